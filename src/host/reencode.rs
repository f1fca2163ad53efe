//! Rewriting the types a module declares — its imports', tables' and memories' — through a
//! `wasm_encoder` reencoder, copying every other section byte for byte. Used where the
//! engine needs a module a little different from what the toolchain wrote (growable
//! tables for components; the benchmark's unshared twin of a shared-memory module).

use wasm_encoder::reencode::{utils, Reencode};
use wasmparser::{BinaryReaderError, Payload};

/// A module that is not valid wasm (or that the reencoder refused).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReencodeError(pub String);

impl From<BinaryReaderError> for ReencodeError {
    fn from(e: BinaryReaderError) -> Self {
        ReencodeError(e.to_string())
    }
}

/// `wasm` with its import, table and memory sections passed through `r`.
pub fn module_types<R: Reencode>(wasm: &[u8], r: &mut R) -> Result<Vec<u8>, ReencodeError>
where
    R::Error: std::fmt::Display,
{
    let err = |e: wasm_encoder::reencode::Error<R::Error>| ReencodeError(e.to_string());
    let mut out = wasm_encoder::Module::new();
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        match p? {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::ImportSection(s) => {
                let mut t = wasm_encoder::ImportSection::new();
                utils::parse_import_section(r, &mut t, s).map_err(err)?;
                out.section(&t);
            }
            Payload::TableSection(s) => {
                let mut t = wasm_encoder::TableSection::new();
                utils::parse_table_section(r, &mut t, s).map_err(err)?;
                out.section(&t);
            }
            Payload::MemorySection(s) => {
                let mut t = wasm_encoder::MemorySection::new();
                utils::parse_memory_section(r, &mut t, s).map_err(err)?;
                out.section(&t);
            }
            other => copy_raw(&mut out, wasm, &other),
        }
    }
    Ok(out.finish())
}

/// The name under which the toolchains (and wasmer-wasix) know a module's function table.
pub const INDIRECT_TABLE: &str = "__indirect_function_table";

/// The imports that work on the instance's indirect function table (closures, dynamic
/// calls, reflection; `context_create` starts a context at a function of it).
pub const TABLE_USERS: &[&str] = &[
    "closure_allocate",
    "closure_prepare",
    "closure_free",
    "call_dynamic",
    "reflect_signature",
    "context_create",
];

/// Drops the maximum of every table the module defines.
struct Growable;

impl Reencode for Growable {
    type Error = std::convert::Infallible;
    fn table_type(
        &mut self,
        t: wasmparser::TableType,
    ) -> Result<wasm_encoder::TableType, wasm_encoder::reencode::Error<Self::Error>> {
        let mut t = wasm_encoder::reencode::RoundtripReencoder.table_type(t)?;
        t.maximum = None;
        Ok(t)
    }
}

/// For a module that imports one of [`TABLE_USERS`] from a WASIX namespace and *defines*
/// its table 0 (wasix-libc's non-PIC output: `(table N N funcref)`, not exported): the
/// module with that table exported as [`INDIRECT_TABLE`] and every defined table growable
/// (no maximum; closures add slots, and wasmer keeps a private copy of fixed-size tables,
/// DESIGN §9). `None` for every other module (left as it is: a PIC module imports its
/// table, the dynamic linker's business). Only the table and export sections change; the
/// rest is copied byte for byte.
pub fn export_indirect_table(wasm: &[u8]) -> Result<Option<Vec<u8>>, ReencodeError> {
    let (mut uses, mut imported_tables, mut defined_tables, mut exported) = (false, 0, 0, false);
    let mut has_max = false;
    let mut export_section = false;
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        match p? {
            Payload::ImportSection(s) => {
                for i in s.into_imports() {
                    let i = i?;
                    match i.ty {
                        wasmparser::TypeRef::Table(_) => imported_tables += 1,
                        wasmparser::TypeRef::Func(_) => {
                            uses |= matches!(i.module, "wasix_32v1" | "wasix_64v1")
                                && TABLE_USERS.contains(&i.name)
                        }
                        _ => {}
                    }
                }
            }
            Payload::TableSection(s) => {
                for t in s {
                    defined_tables += 1;
                    has_max |= t?.ty.maximum.is_some();
                }
            }
            Payload::ExportSection(s) => {
                export_section = true;
                for e in s {
                    let e = e?;
                    if e.name == INDIRECT_TABLE {
                        exported = true;
                    }
                }
            }
            // Nothing the decision needs comes later.
            Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    if !uses || imported_tables > 0 || defined_tables == 0 || (exported && !has_max) {
        return Ok(None);
    }
    let err =
        |e: wasm_encoder::reencode::Error<std::convert::Infallible>| ReencodeError(e.to_string());
    let export = |out: &mut wasm_encoder::Module, s: Option<wasmparser::ExportSectionReader>| {
        let mut t = wasm_encoder::ExportSection::new();
        if let Some(s) = s {
            utils::parse_export_section(&mut Growable, &mut t, s).map_err(err)?;
        }
        if !exported {
            t.export(INDIRECT_TABLE, wasm_encoder::ExportKind::Table, 0);
        }
        out.section(&t);
        Ok::<_, ReencodeError>(())
    };
    let mut out = wasm_encoder::Module::new();
    let mut exports_done = false;
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        let p = p?;
        // A module without an export section gets one where it belongs: before the first
        // section that follows exports (start, elements, data count, code, data).
        if !export_section && !exports_done {
            if let Some((id, _)) = p.as_section() {
                if matches!(id, 8..=12) {
                    export(&mut out, None)?;
                    exports_done = true;
                }
            }
        }
        match p {
            Payload::Version { .. } => {}
            Payload::End(_) => {
                if !export_section && !exports_done {
                    export(&mut out, None)?;
                    exports_done = true;
                }
            }
            Payload::TableSection(s) => {
                let mut t = wasm_encoder::TableSection::new();
                utils::parse_table_section(&mut Growable, &mut t, s).map_err(err)?;
                out.section(&t);
            }
            Payload::ExportSection(s) => export(&mut out, Some(s))?,
            other => copy_raw(&mut out, wasm, &other),
        }
    }
    Ok(Some(out.finish()))
}

/// Copies a section the rewrite leaves alone byte for byte. The code section arrives as a
/// start entry plus one entry per body: its raw range is copied once, at the start entry.
fn copy_raw(out: &mut wasm_encoder::Module, wasm: &[u8], p: &Payload<'_>) {
    match p {
        Payload::CodeSectionStart { range, .. } => {
            out.section(&wasm_encoder::RawSection {
                id: wasm_encoder::SectionId::Code as u8,
                data: &wasm[range.clone()],
            });
        }
        Payload::CodeSectionEntry(_) => {}
        other => {
            if let Some((id, range)) = other.as_section() {
                out.section(&wasm_encoder::RawSection {
                    id,
                    data: &wasm[range],
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(wat: &str) -> Option<String> {
        let wasm = wat::parse_str(wat).unwrap();
        let out = export_indirect_table(&wasm).unwrap()?;
        wasmparser::Validator::new().validate_all(&out).unwrap();
        let mut v = Vec::new();
        for p in wasmparser::Parser::new(0).parse_all(&out) {
            match p.unwrap() {
                Payload::TableSection(r) => {
                    for t in r {
                        let t = t.unwrap().ty;
                        v.push(format!("table {} {:?}", t.initial, t.maximum));
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.unwrap();
                        v.push(format!("export {} {:?} {}", e.name, e.kind, e.index));
                    }
                }
                _ => {}
            }
        }
        Some(v.join("; "))
    }

    const USER: &str =
        r#"(import "wasix_32v1" "closure_allocate" (func (param i32) (result i32)))"#;

    #[test]
    fn a_closure_user_gets_its_table_exported_and_growable() {
        let m = format!(
            r#"(module {USER} (table 2 2 funcref) (func $f) (elem (i32.const 1) func $f)
                 (memory 1) (export "memory" (memory 0)) (func (export "_start")))"#
        );
        assert_eq!(
            rewrite(&m).as_deref(),
            Some("table 2 None; export memory Memory 0; export _start Func 2; export __indirect_function_table Table 0")
        );
        // Exported already (`--export-table`) but fixed: only the maximum goes.
        let m = format!(
            r#"(module {USER} (table 1 1 funcref) (export "__indirect_function_table" (table 0)))"#
        );
        assert_eq!(
            rewrite(&m).as_deref(),
            Some("table 1 None; export __indirect_function_table Table 0")
        );
        // Without an export section, one is added before the elements.
        let m = format!(
            r#"(module {USER} (table 2 2 funcref) (func $f) (elem (i32.const 1) func $f))"#
        );
        assert_eq!(
            rewrite(&m).as_deref(),
            Some("table 2 None; export __indirect_function_table Table 0")
        );
    }

    #[test]
    fn other_modules_are_left_alone() {
        // No table user.
        assert_eq!(rewrite("(module (table 2 2 funcref))"), None);
        // An imported table (PIC).
        let m = format!(
            r#"(module {USER} (import "env" "__indirect_function_table" (table 1 funcref)))"#
        );
        assert_eq!(rewrite(&m), None);
        // No table at all.
        assert_eq!(rewrite(&format!("(module {USER})")), None);
        // Already exported and growable.
        let m = format!(
            r#"(module {USER} (table 1 funcref) (export "__indirect_function_table" (table 0)))"#
        );
        assert_eq!(rewrite(&m), None);
    }
}
