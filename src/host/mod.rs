//! Host side: build the witx imports for a module into a caller's `Store`, instantiate,
//! run `_start`, and turn exits and traps into results.

mod builder;
pub mod cache;
mod cli;
mod link;
pub mod memory_import;
pub mod module;
pub mod procs;
pub mod reencode;
pub mod table_export;
pub mod threads;

pub use builder::Builder;
pub use cli::run_cli;
pub use link::WasiImports;

use crate::core::fds::FdTable;
use crate::core::process::Process;
use crate::witx::WasiCtx;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The guest trapped (a guest bug, not an ABI error).
    #[error("guest trapped: {0}")]
    Trap(String),
    #[error("unknown import `{module}::{name}` with signature {sig}")]
    UnknownImport {
        module: String,
        name: String,
        sig: String,
    },
    #[error("import `{module}::{name}` has signature {got}, but wasix-compat provides {want}")]
    ImportSignature {
        module: String,
        name: String,
        got: String,
        want: String,
    },
    #[error("module exports no `_start` function (a reactor or library module cannot be run as a command)")]
    NoStart,
    #[error("`_start` has type {0}; a command's `_start` takes and returns nothing")]
    BadStart(String),
    #[error("cannot prepare {what}: {why}")]
    Setup { what: String, why: String },
    #[error("instantiation failed: {0}")]
    Instantiate(String),
    #[error("cannot compile module: {0}")]
    Compile(String),
    /// A WASI 0.2 component could not be translated, linked or instantiated.
    #[error(transparent)]
    Component(#[from] crate::p2::P2Error),
}

impl RunError {
    pub fn is_trap(&self) -> bool {
        matches!(self, RunError::Trap(_))
    }
}

/// A context with inherited stdio and no preopens (registry introspection).
pub fn scratch_ctx() -> Arc<WasiCtx> {
    Arc::new(WasiCtx::new(Arc::new(Process::new(
        Default::default(),
        FdTable::default(),
        crate::core::sockets::Network::disabled(),
    ))))
}

/// `RUST_LOG=wasix_compat=trace` prints every import call with arguments and errno.
pub fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}
