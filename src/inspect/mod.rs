//! `wasix-compat inspect`: what a module or component needs and whether it runs here, on
//! wasmer-wasix, or as a WASI 0.2 component — decided without running it.
//!
//! [`inspect_file`] reads a binary or WAT file into a [`Report`]: the ABIs it speaks
//! ([`abi`]), each import with its status here ([`status`], from the linker's registry and
//! the compat-matrix tables in `crate::matrix`), memory, asyncify, `dylink.0`, the exports
//! the ABIs look for, and the verdicts ([`verdict`]). [`json`] and [`text`] render it.

pub mod abi;
pub mod json;
mod parse;
pub mod status;
pub mod text;
pub mod verdict;

use std::path::Path;

/// The `schema` field of `--json` output; documented in docs/inspect.md.
pub const SCHEMA: &str = "wasix-compat.inspect/1";

/// A file that cannot be inspected; its message is one line.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct InspectError {
    pub path: String,
    pub why: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Module,
    Component,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Module => "module",
            Kind::Component => "component",
        }
    }
}

/// Whether we provide an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Implemented,
    /// Provided, with a documented behaviour or difference from wasmer-wasix listed in the
    /// compat-matrix tables ([`Import::differences`] says which).
    ImplementedWithDifference,
    /// No function of this name and signature (or no namespace of this name).
    Missing,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Implemented => "implemented",
            Status::ImplementedWithDifference => "implemented-with-difference",
            Status::Missing => "missing",
        }
    }
}

/// One entry of a compat-matrix table that concerns an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The table in `src/matrix/`: `DOCUMENTED`, `DOCUMENTED_BY_ARITY`, `KNOWN_DIFFERENCES`,
    /// `WASIX_ABI_NOTES`, `SOCKET_DIFFERENCES`, …
    pub table: &'static str,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Import {
    /// The import module (`wasi_snapshot_preview1`, `env`, `wasi:cli/stdout@0.2.0`, …).
    pub module: String,
    pub name: String,
    /// `func`, `memory`, `table`, `global` or `tag`.
    pub kind: &'static str,
    /// `(i32, i32) -> (i32)` for a function; the type for anything else.
    pub signature: String,
    /// Parameter count of a function (0 otherwise).
    pub arity: usize,
    pub status: Status,
    /// Who provides it here: `wasix-compat` (a witx namespace), `wasi-0.2` (the component
    /// front end), `host-memory` (created from its type), `dynamic-linker`; `None` if missing.
    pub provider: Option<&'static str>,
    pub differences: Vec<Difference>,
    /// Why it is missing.
    pub reason: Option<String>,
    /// Whether wasmer-wasix 0.704 links it (see [`verdict`]).
    pub wasmer_wasix: bool,
}

impl Import {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    /// `module.name` of an imported memory; `None` for one the module defines.
    pub import: Option<String>,
    pub shared: bool,
    pub memory64: bool,
    pub min_pages: u64,
    pub max_pages: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asyncify {
    /// Exports `asyncify_{start,stop}_{unwind,rewind}` (binaryen's `--asyncify`).
    pub asyncified: bool,
    /// fork needs asyncify and a shared memory; setjmp and contexts need asyncify.
    pub fork: bool,
    pub setjmp: bool,
    pub contexts: bool,
}

/// A position-independent module (a `dylink.0` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pic {
    /// `main` (linked `-pie`: exports `_start`) or `side` (`-shared`).
    pub role: &'static str,
    pub needed: Vec<String>,
    pub memory_size: u32,
    pub table_size: u32,
}

/// The exports the ABIs look for, in this order.
pub const ABI_EXPORTS: &[&str] = &[
    "_start",
    "_initialize",
    "wasi_thread_start",
    "__wasm_signal",
    "__wasm_call_ctors",
    "cabi_realloc",
    RUN_EXPORT,
];

/// How [`ABI_EXPORTS`] names the WASI 0.2 command entry, whatever its 0.2.x version.
pub const RUN_EXPORT: &str = "wasi:cli/run@0.2.x#run";

#[derive(Clone, Debug)]
pub struct Report {
    pub file: String,
    pub kind: Kind,
    pub abis: Vec<abi::Abi>,
    pub imports: Vec<Import>,
    pub memories: Vec<Memory>,
    pub asyncify: Asyncify,
    pub pic: Option<Pic>,
    /// Each of [`ABI_EXPORTS`] with whether it is exported.
    pub exports: Vec<(&'static str, bool)>,
    /// The entry point a run would call (`_start`, or the run export's real name).
    pub entry: Option<String>,
    pub verdict: verdict::Verdict,
}

/// Inspects the module or component in `path` (binary or WAT).
pub fn inspect_file(path: &Path) -> Result<Report, InspectError> {
    let shown = path.display().to_string();
    let err = |why: String| InspectError {
        path: shown.clone(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let wasm = parse::binary(&bytes).map_err(err)?;
    let raw = parse::parse(&wasm).map_err(err)?;
    Ok(build(shown, raw))
}

/// Inspects wasm (or WAT) bytes; `file` is only the name shown in the report.
pub fn inspect_bytes(file: &str, bytes: &[u8]) -> Result<Report, InspectError> {
    let err = |why: String| InspectError {
        path: file.to_string(),
        why,
    };
    let wasm = parse::binary(bytes).map_err(err)?;
    let raw = parse::parse(&wasm).map_err(err)?;
    Ok(build(file.to_string(), raw))
}

fn build(file: String, raw: parse::Raw) -> Report {
    let mut imports = status::resolve(&raw);
    verdict::mark_wasmer_wasix(&raw, &mut imports);
    let abis = abi::detect(&raw);
    let exported = |n: &str| match n {
        RUN_EXPORT => raw.run_export().is_some(),
        _ => raw.exports.iter().any(|e| e == n),
    };
    let exports = ABI_EXPORTS.iter().map(|n| (*n, exported(n))).collect();
    let asyncified = [
        "asyncify_start_unwind",
        "asyncify_stop_unwind",
        "asyncify_start_rewind",
        "asyncify_stop_rewind",
    ]
    .iter()
    .all(|n| raw.exports.iter().any(|e| e == n));
    let shared = raw.memories.iter().any(|m| m.shared);
    let asyncify = Asyncify {
        asyncified,
        fork: asyncified && shared,
        setjmp: asyncified,
        contexts: asyncified,
    };
    let pic = raw.dylink.as_ref().map(|d| Pic {
        role: match raw.exports.iter().any(|e| e == "_start") {
            true => "main",
            false => "side",
        },
        needed: d.needed.clone(),
        memory_size: d.memory_size,
        table_size: d.table_size,
    });
    let entry = match raw.kind {
        Kind::Component => raw.run_export(),
        Kind::Module => match raw.start_ok {
            true => Some("_start".to_string()),
            false => raw.run_export(),
        },
    };
    let mut report = Report {
        file,
        kind: raw.kind,
        abis,
        imports,
        memories: raw.memories.clone(),
        asyncify,
        pic,
        exports,
        entry,
        verdict: verdict::Verdict::default(),
    };
    report.verdict = verdict::judge(&report);
    report
}
