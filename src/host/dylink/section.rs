//! The `dylink.0` custom section of a position-independent module: how much memory and
//! table it needs at its bases, which side modules it needs, and which of its imports are
//! weak (an unresolved weak import is 0, not an error).

use std::collections::HashSet;
use wasmparser::{BinaryReader, Dylink0SectionReader, Dylink0Subsection, SymbolFlags};

/// What the loader needs from a module's `dylink.0` section.
#[derive(Clone, Debug, Default)]
pub struct DylinkInfo {
    /// Bytes of data the module places at its `__memory_base`.
    pub memory_size: u32,
    /// log2 of the alignment of that area.
    pub memory_align: u32,
    /// Table slots the module fills from its `__table_base`.
    pub table_size: u32,
    pub table_align: u32,
    /// Side modules to load (transitively) before this one.
    pub needed: Vec<String>,
    /// `module.field` of the imports marked weak.
    pub weak_imports: HashSet<(String, String)>,
    /// Exports that are thread-local (their value is relative to `__tls_base`).
    pub tls_exports: HashSet<String>,
}

/// The module's `dylink.0` section, `None` when it has none (a module linked without
/// `-pie`/`-shared`). A malformed section is an error naming what is wrong.
pub fn parse(section: Option<&[u8]>) -> Result<Option<DylinkInfo>, String> {
    let Some(bytes) = section else {
        return Ok(None);
    };
    let mut info = DylinkInfo::default();
    let reader = Dylink0SectionReader::new(BinaryReader::new(bytes, 0));
    for sub in reader {
        match sub.map_err(|e| format!("malformed dylink.0 section: {e}"))? {
            Dylink0Subsection::MemInfo(m) => {
                // Alignments past 2^16 would let a module ask for absurd padding.
                if m.memory_alignment > 16 || m.table_alignment > 16 {
                    return Err("dylink.0 alignment out of range".into());
                }
                info.memory_size = m.memory_size;
                info.memory_align = m.memory_alignment;
                info.table_size = m.table_size;
                info.table_align = m.table_alignment;
            }
            Dylink0Subsection::Needed(n) => info.needed = n.iter().map(|s| s.to_string()).collect(),
            Dylink0Subsection::ImportInfo(list) => {
                for i in list {
                    if i.flags.contains(SymbolFlags::BINDING_WEAK) {
                        info.weak_imports
                            .insert((i.module.to_string(), i.field.to_string()));
                    }
                }
            }
            Dylink0Subsection::ExportInfo(list) => {
                for e in list {
                    if e.flags.contains(SymbolFlags::TLS) {
                        info.tls_exports.insert(e.name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Some(info))
}

/// `dylink.0` of a compiled module (the engine keeps custom sections).
pub fn of_module(module: &wasmer::Module) -> Result<Option<DylinkInfo>, String> {
    let section = module.custom_sections("dylink.0").next();
    parse(section.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(v: u32, out: &mut Vec<u8>) {
        wasm_encoder::Encode::encode(&v, out);
    }

    fn sub(id: u8, body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![id];
        leb(body.len() as u32, &mut out);
        out.extend(body);
        out
    }

    #[test]
    fn mem_info_and_needed_are_read() {
        let mut mem = Vec::new();
        for v in [100, 2, 3, 0] {
            leb(v, &mut mem);
        }
        let mut needed = vec![1, 6];
        needed.extend(b"libx.s");
        let mut s = sub(1, mem);
        s.extend(sub(2, needed));
        let info = parse(Some(&s)).unwrap().unwrap();
        assert_eq!(
            (
                info.memory_size,
                info.memory_align,
                info.table_size,
                info.needed
            ),
            (100, 2, 3, vec!["libx.s".to_string()])
        );
    }

    #[test]
    fn absent_section_is_none_and_garbage_is_an_error() {
        assert!(parse(None).unwrap().is_none());
        assert!(parse(Some(&[1, 9, 0xff])).is_err());
        let mut mem = Vec::new();
        for v in [1, 40, 0, 0] {
            leb(v, &mut mem);
        }
        assert_eq!(
            parse(Some(&sub(1, mem))).unwrap_err(),
            "dylink.0 alignment out of range"
        );
    }
}
