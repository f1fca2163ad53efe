//! Dynamic linking of position-independent modules, as wasix-libc and wasmer do it: a
//! main module linked with `-fPIC -Wl,-pie` imports its table, stack pointer, memory and
//! table bases and GOT entries from us; `dlopen` loads side modules (`-shared`, with a
//! `dylink.0` section) from the guest's file system into the same memory and table,
//! resolves their imports against the main module and the side modules loaded before,
//! runs their relocations and constructors. See `docs/dynamic-linking.md`.

mod imports;
pub mod linker;
pub mod load;
mod resolve;
pub mod section;
pub mod store;

pub use linker::{Linker, MAIN_HANDLE};
pub use load::DlError;
pub use resolve::symbol as resolve_symbol;
pub use section::DylinkInfo;
pub use store::Link;
