//! Where our engine's answers differ from the reference engines' (wasmer-wasix 0.704.2;
//! wasmtime 48 for components), one file per area, each table kept exact by the tests that
//! run both engines. The compat-matrix is generated from these tables.

mod components;
mod corpus;
mod ports;
mod preview1;
mod processes;
mod sockets;
mod wasix_runtime;

pub use components::COMPONENT_DIFFERENCES;
pub use corpus::{CorpusDifference, CORPUS_DIFFERENCES};
pub use ports::PORT_DIFFERENCES;
pub use preview1::{KnownDifference, KNOWN_DIFFERENCES};
pub use processes::{PROCESS_DIFFERENCES, PROCESS_NOTES};
pub use sockets::{SOCKET_DIFFERENCES, SOCKET_VALUE_DIFFERENCES};
pub use wasix_runtime::{WASIX_ABI_NOTES, WASIX_LIBC_LIMITATIONS, WASIX_RUNTIME_DIFFERENCES};
