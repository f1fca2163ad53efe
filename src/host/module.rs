//! Loading a module for either engine: `.wasm`, `.wat`, or an artifact made by
//! `wasix-compat compile` (compiled once, loaded without recompiling).

use super::RunError;
use std::path::Path;
use wasmer::{Engine, Module};

/// wasmer's serialized-artifact header.
const ARTIFACT_MAGIC: &[u8] = b"wasmer-universal";

/// How `load` treats what it finds.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Run precompiled artifacts (native code: only ones you made or trust).
    pub allow_precompiled: bool,
    /// Compiled-module cache for ordinary modules (`None`: compile every time).
    pub cache: Option<std::path::PathBuf>,
    /// Turn a defined shared memory into an `env.memory` import, so that threads can share
    /// it (see [`memory_import`](super::memory_import)). Our engine asks for it; the
    /// reference engine gets the module as written.
    pub import_shared_memory: bool,
    /// Components: imports we do not provide become functions that trap when called
    /// (the run starts; it fails only if the guest calls one), instead of a link error.
    pub trap_unknown_imports: bool,
}

/// Loads a `.wasm` / `.wat` (through the cache when one is given) or, only when allowed, a
/// precompiled artifact: an artifact is machine code, so a file that merely claims to be
/// a module must not get to run as one.
pub fn load(engine: &Engine, path: &Path, o: &LoadOptions) -> Result<Module, RunError> {
    let bytes = std::fs::read(path).map_err(|e| RunError::Setup {
        what: format!("module {}", path.display()),
        why: e.to_string(),
    })?;
    if bytes.starts_with(ARTIFACT_MAGIC) {
        if !o.allow_precompiled {
            return Err(RunError::Setup {
                what: format!("module {}", path.display()),
                why: "it is a precompiled wasmer artifact, i.e. native code; run it only if you \
                      made or trust it, with --allow-precompiled"
                    .into(),
            });
        }
        // SAFETY: the caller vouched for the artifact (--allow-precompiled); wasmer checks
        // its header and version before use.
        return unsafe { Module::deserialize(engine, bytes) }.map_err(|e| {
            RunError::Compile(format!(
                "cannot load compiled artifact {}: {e}",
                path.display()
            ))
        });
    }
    let bytes = match o.import_shared_memory {
        true => with_imported_shared_memory(bytes),
        false => bytes,
    };
    super::cache::compile_with(engine, &bytes, o.cache.as_deref())
        .map_err(|e| RunError::Compile(e.to_string()))
}

/// `bytes` (binary or text) rewritten as [`memory_import`](super::memory_import) describes
/// when that applies, and with its function table exported (see
/// [`table_export`](super::table_export)), else unchanged. Embedders who compile modules themselves call this
/// on the bytes first to get threads for modules that define their shared memory.
pub fn with_imported_shared_memory(bytes: Vec<u8>) -> Vec<u8> {
    let binary = match wasmer::wat2wasm(&bytes) {
        Ok(b) => b,
        Err(_) => return bytes,
    };
    let rewritten = super::memory_import::import_defined_shared_memory(&binary);
    let wasm = rewritten.as_deref().unwrap_or(&binary);
    // The function table, for imports that take a function pointer (WASIX contexts).
    match super::table_export::export_function_table(wasm) {
        Some(t) => t,
        None => rewritten.unwrap_or(bytes),
    }
}

/// `wasix-compat compile IN -o OUT`: compiles once and stores the artifact.
pub fn compile_cli(args: &[String]) -> anyhow::Result<()> {
    let (mut input, mut output) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" => output = it.next().cloned(),
            _ if input.is_none() => input = Some(a.clone()),
            o => anyhow::bail!(
                "unexpected argument `{o}` (usage: compile FILE.{{wasm,wat}} -o FILE.wasmu)"
            ),
        }
    }
    let (Some(input), Some(output)) = (input, output) else {
        anyhow::bail!("usage: wasix-compat compile FILE.{{wasm,wat}} -o FILE.wasmu");
    };
    let module = load(
        &Engine::default(),
        Path::new(&input),
        &LoadOptions {
            import_shared_memory: true,
            ..LoadOptions::default()
        },
    )?;
    module
        .serialize_to_file(&output)
        .map_err(|e| anyhow::anyhow!("cannot write {output}: {e}"))?;
    Ok(())
}

/// Whether `module` is a WASIX program: it imports from `wasix_32v1` or `wasix_64v1`.
pub fn is_wasix(module: &Module) -> bool {
    module
        .imports()
        .any(|i| matches!(i.module(), "wasix_32v1" | "wasix_64v1"))
}
