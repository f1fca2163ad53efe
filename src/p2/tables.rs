//! DESIGN §9: wasmer 7.4.2 keeps a private copy of a table whose size is fixed
//! (`(table N N funcref)`) in the instance that defines it, so writes through another
//! instance (wit-component's fixup module fills the shim's table) are never seen. Tables
//! without a maximum are shared properly, so every table type, defined or imported, loses
//! its maximum (rewritten by [`crate::host::reencode`]).

use super::P2Error;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};

struct NoMax;

impl Reencode for NoMax {
    type Error = std::convert::Infallible;
    fn table_type(
        &mut self,
        t: wasmparser::TableType,
    ) -> Result<wasm_encoder::TableType, wasm_encoder::reencode::Error<Self::Error>> {
        let mut t = RoundtripReencoder.table_type(t)?;
        t.maximum = None;
        Ok(t)
    }
}

/// `wasm` with every table maximum dropped, and without DWARF sections (which nothing
/// here reads; dropping them first spares copying, hashing and compiling them along).
pub fn growable_tables(wasm: &[u8]) -> Result<Vec<u8>, P2Error> {
    use wasmparser::Payload;
    let wasm = &*crate::host::cache::without_debug_sections(wasm);
    let mut has_max = false;
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        match p.map_err(P2Error::invalid)? {
            Payload::TableSection(r) => {
                for t in r {
                    has_max |= t.map_err(P2Error::invalid)?.ty.maximum.is_some();
                }
            }
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    if let wasmparser::TypeRef::Table(t) = i.map_err(P2Error::invalid)?.ty {
                        has_max |= t.maximum.is_some();
                    }
                }
            }
            _ => {}
        }
    }
    if !has_max {
        return Ok(wasm.to_vec());
    }
    crate::host::reencode::module_types(wasm, &mut NoMax).map_err(|e| P2Error::invalid(e.0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn p2_fixed_tables_lose_their_maximum() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "a" "t" (table 2 2 funcref))
                 (table 3 3 funcref)
                 (func $f) (elem (table 1) (i32.const 0) func $f)
                 (export "f" (func $f)))"#,
        )
        .unwrap();
        let out = super::growable_tables(&wasm).unwrap();
        let text = wasmprinter_like(&out);
        assert_eq!(text, vec![(2, None), (3, None)]);
        wasmparser::Validator::new().validate_all(&out).unwrap();
    }

    /// (initial, maximum) of every table, imported first.
    fn wasmprinter_like(wasm: &[u8]) -> Vec<(u64, Option<u64>)> {
        let mut v = Vec::new();
        for p in wasmparser::Parser::new(0).parse_all(wasm) {
            match p.unwrap() {
                wasmparser::Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        if let wasmparser::TypeRef::Table(t) = i.unwrap().ty {
                            v.push((t.initial, t.maximum));
                        }
                    }
                }
                wasmparser::Payload::TableSection(r) => {
                    for t in r {
                        let t = t.unwrap().ty;
                        v.push((t.initial, t.maximum));
                    }
                }
                _ => {}
            }
        }
        v
    }
}
