//! `wasix-compat migrate`: wraps a preview1 module into a WASI 0.2 command component with
//! the official preview1 adapter (`wasi-preview1-component-adapter-provider` 50.0.1 and
//! `wit-component`), the encoding the test suite's round trips use.
//!
//! Whether a module can be wrapped is [`crate::inspect`]'s component verdict: a module that
//! imports anything beyond `wasi_snapshot_preview1` (WASIX, `wasi_unstable`, `wasi`
//! threads, `env`), has a shared memory or a `dylink.0` section, or has no `_start`, is
//! refused with the verdict's reasons and blockers (each with the nearest WASI 0.2
//! interface) instead of producing a component that fails later.

use crate::inspect::{self, verdict::Wrap, Kind, Report};

/// Why a module was not migrated.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Not wasm or WAT, unreadable, or the encoder refused it (exit 2).
    #[error("{0}")]
    Bad(String),
    /// A valid module that has no WASI 0.2 command component form (exit 1).
    #[error("{file}: {}", .wrap.summary)]
    Blocked { file: String, wrap: Box<Wrap> },
    /// Already a component: nothing to wrap (exit 1).
    #[error("{0}: already a component")]
    Component(String),
}

impl MigrateError {
    /// The CLI's exit code: 1 for a module that cannot be migrated, 2 for a bad file.
    pub fn exit_code(&self) -> u8 {
        match self {
            MigrateError::Bad(_) => 2,
            _ => 1,
        }
    }

    /// What the CLI prints: one line, then (for a blocked module) each reason and each
    /// import without a WASI 0.2 equivalent with its nearest interface.
    pub fn render(&self) -> String {
        let mut out = format!("wasix-compat: migrate: {self}\n");
        if let MigrateError::Blocked { wrap, .. } = self {
            for r in &wrap.reasons {
                out.push_str(&format!("- {r}\n"));
            }
            for b in &wrap.blockers {
                out.push_str(&format!(
                    "  {} -> {}\n",
                    b.import,
                    b.nearest.unwrap_or("no WASI 0.2 equivalent")
                ));
            }
        }
        out
    }
}

/// The inspect report of `bytes` and, when its component verdict allows, the command
/// component the official adapter makes of it.
pub fn migrate_bytes(file: &str, bytes: &[u8]) -> Result<Vec<u8>, MigrateError> {
    let report =
        inspect::inspect_bytes(file, bytes).map_err(|e| MigrateError::Bad(e.to_string()))?;
    check(&report)?;
    // WAT text: the encoder wants the binary.
    let wasm = wasmer::wat2wasm(bytes).map_err(|e| MigrateError::Bad(format!("{file}: {e}")))?;
    encode(&wasm)
        .map_err(|e| MigrateError::Bad(format!("{file}: the preview1 adapter refused it: {e}")))
}

/// Refuses a report whose component verdict says it cannot be wrapped.
pub fn check(report: &Report) -> Result<(), MigrateError> {
    if report.kind == Kind::Component {
        return Err(MigrateError::Component(report.file.clone()));
    }
    let wrap = &report.verdict.component;
    if !wrap.wrappable {
        return Err(MigrateError::Blocked {
            file: report.file.clone(),
            wrap: Box::new(wrap.clone()),
        });
    }
    Ok(())
}

/// `wit-component`'s `ComponentEncoder` with the official command adapter, validated.
#[cfg(feature = "migrate")]
pub fn encode(module: &[u8]) -> Result<Vec<u8>, String> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME as NAME,
        WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER as ADAPTER,
    };
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|e| e.adapter(NAME, ADAPTER))
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| format!("{e:#}"))
}

#[cfg(not(feature = "migrate"))]
pub fn encode(_module: &[u8]) -> Result<Vec<u8>, String> {
    Err("this build of wasix-compat has no `migrate` feature".into())
}

/// Migrates the file `input` and writes the component to `output`.
pub fn migrate_file(input: &std::path::Path, output: &std::path::Path) -> Result<(), MigrateError> {
    let file = input.display().to_string();
    let bytes =
        std::fs::read(input).map_err(|e| MigrateError::Bad(format!("{file}: cannot read: {e}")))?;
    let component = migrate_bytes(&file, &bytes)?;
    std::fs::write(output, component)
        .map_err(|e| MigrateError::Bad(format!("{}: cannot write: {e}", output.display())))
}
