//! wasm-ld exports a module's indirect function table only when asked (`--export-table`,
//! or PIC builds); wasix-libc's ordinary builds do not. Imports that take a function
//! pointer (WASIX `context_create`'s entrypoint) need the table, so a module whose table 0
//! is not exported gets an export `__indirect_function_table` of it — the name PIC builds
//! and wasmer-wasix use — before it is compiled. Nothing else changes: the export section
//! gets one entry (or is created where the section order puts it).
//!
//! Anything this reader does not understand leaves the module as it was.

use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// The export name the table gets.
pub const TABLE_EXPORT: &str = "__indirect_function_table";

const EXPORT: u8 = 7;
/// start, element, data count, code, data: the sections that come after exports.
const AFTER_EXPORT: [u8; 5] = [8, 9, 12, 10, 11];

/// The module with its table 0 exported, or `None` when it has no table, already exports
/// one, or is not a module this reader can rewrite.
pub fn export_function_table(wasm: &[u8]) -> Option<Vec<u8>> {
    if !wasm.starts_with(b"\0asm\x01\0\0\0") {
        return None;
    }
    let mut tables = 0u32;
    // (section start, data range, entry count) of the export section.
    let mut exports: Option<(usize, std::ops::Range<usize>, u32)> = None;
    // Where a new export section goes: before the first section that must follow it.
    let mut insert_at = None;
    // Sections are contiguous: each one starts (its id byte) where the last one ended.
    let mut next_start = 8;
    for p in Parser::new(0).parse_all(wasm) {
        let p = p.ok()?;
        let Some((id, range)) = p.as_section() else {
            continue;
        };
        let start = next_start;
        next_start = range.end;
        match p {
            Payload::ImportSection(s) => {
                for i in s.into_imports() {
                    if let TypeRef::Table(_) = i.ok()?.ty {
                        tables += 1;
                    }
                }
            }
            Payload::TableSection(s) => tables += s.count(),
            Payload::ExportSection(s) => {
                let count = s.count();
                for e in s {
                    if e.ok()?.kind == ExternalKind::Table {
                        return None;
                    }
                }
                exports = Some((start, range, count));
            }
            _ if insert_at.is_none() && AFTER_EXPORT.contains(&id) => insert_at = Some(start),
            _ => {}
        }
    }
    if tables == 0 {
        return None;
    }
    let mut entry = Vec::new();
    leb(&mut entry, TABLE_EXPORT.len() as u64);
    entry.extend_from_slice(TABLE_EXPORT.as_bytes());
    entry.push(0x01); // table
    entry.push(0x00); // index 0
    let (start, end, body) = match exports {
        Some((start, range, count)) => {
            // The old entries follow the count's LEB.
            let mut body = Vec::new();
            leb(&mut body, u64::from(count) + 1);
            let old = &wasm[range.clone()];
            body.extend_from_slice(&old[leb_len(old)?..]);
            body.extend_from_slice(&entry);
            (start, range.end, body)
        }
        None => {
            let at = insert_at.unwrap_or(wasm.len());
            let mut body = vec![1];
            body.extend_from_slice(&entry);
            (at, at, body)
        }
    };
    let mut out = Vec::with_capacity(wasm.len() + body.len() + 8);
    out.extend_from_slice(&wasm[..start]);
    out.push(EXPORT);
    leb(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    out.extend_from_slice(&wasm[end..]);
    Some(out)
}

fn leb_len(b: &[u8]) -> Option<usize> {
    b.iter().position(|x| x & 0x80 == 0).map(|i| i + 1)
}

fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exported_tables(wasm: &[u8]) -> Vec<String> {
        let mut v = Vec::new();
        for p in Parser::new(0).parse_all(wasm) {
            if let Payload::ExportSection(s) = p.unwrap() {
                for e in s {
                    let e = e.unwrap();
                    if e.kind == ExternalKind::Table {
                        v.push(e.name.to_string());
                    }
                }
            }
        }
        v
    }

    #[test]
    fn exports_a_hidden_table() {
        for src in [
            r#"(module (table 2 funcref) (func $f) (elem (i32.const 1) $f)
                 (func (export "_start")))"#,
            r#"(module (import "env" "t" (table 1 funcref)) (func $f))"#,
            r#"(module (table 1 funcref) (func $f) (start $f))"#,
            r#"(module (table 1 funcref) (memory 1) (data (i32.const 0) "x"))"#,
        ] {
            let out = export_function_table(&wat::parse_str(src).unwrap()).expect(src);
            wasmparser::Validator::new().validate_all(&out).expect(src);
            assert_eq!(exported_tables(&out), [TABLE_EXPORT], "{src}");
        }
    }

    #[test]
    fn leaves_other_modules_alone() {
        for src in [
            r#"(module (func (export "_start")))"#,
            r#"(module (table (export "t") 1 funcref))"#,
        ] {
            assert_eq!(export_function_table(&wat::parse_str(src).unwrap()), None);
        }
        assert_eq!(export_function_table(b"not wasm"), None);
    }
}
