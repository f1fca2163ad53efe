//! The preview1 imports: what `wasi_unstable` and `wasi_snapshot_preview1` name, and what
//! `wasix_32v1` / `wasix_64v1` inherit from them (the wasix namespaces register the same
//! functions, with wasm64 offsets under `wasix_64v1`).

pub mod args;
pub mod fd;
pub mod path;
pub mod poll;
pub mod proc;
pub mod readdir;
