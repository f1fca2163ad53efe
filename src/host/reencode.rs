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
            // The code section arrives as a start entry plus one entry per body; its
            // raw range is copied once, at the start entry.
            Payload::CodeSectionStart { range, .. } => {
                out.section(&wasm_encoder::RawSection {
                    id: wasm_encoder::SectionId::Code as u8,
                    data: &wasm[range],
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
    Ok(out.finish())
}
