//! `wasi:cli`: arguments, environment, initial cwd, standard streams, terminals and exit.

use super::io::fdstream::{FdInput, FdOutput};
use super::io::{InputStream, OutputStream};
use std::sync::Arc;

/// What the guest sees as its process environment.
pub struct Cli {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub initial_cwd: Option<String>,
    pub stdin: Arc<dyn InputStream>,
    pub stdout: Arc<dyn OutputStream>,
    pub stderr: Arc<dyn OutputStream>,
}

impl Default for Cli {
    /// Inherits the host's standard streams; no args, no env.
    fn default() -> Self {
        Cli {
            args: Vec::new(),
            env: Vec::new(),
            initial_cwd: None,
            stdin: Arc::new(FdInput::stdin()),
            stdout: Arc::new(FdOutput::stdout()),
            stderr: Arc::new(FdOutput::stderr()),
        }
    }
}

/// A signal's default action (or SIGKILL) ends the process: unwinds the guest with this
/// value; the host's status is 128 + the signal, a parent's join sees the signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("guest killed by signal {0}")]
pub struct SignalDeath(pub u8);

/// `wasi:cli/exit.exit` unwinds the guest with this value; the host turns it into the
/// process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("guest exited with status {0}")]
pub struct Exit(pub i32);
