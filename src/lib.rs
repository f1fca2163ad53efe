//! wasix-compat: runs witx-era WASI / WASIX modules unchanged on wasmer by translating every
//! witx import onto a preview2-style resource core (see DESIGN.md §2 for the layering).
//!
//! Modules: [`core`] (resources and the per-process state, no wasmer, no witx), [`witx`]
//! (the witx front end: p0, p1 and WASIX imports), [`p2`] (WASI 0.2 components), [`guest`] (guest-memory access),
//! [`host`] (linking, instantiation, threads, the [`Builder`]).
//!
//! # Threading model
//!
//! A guest process is one [`core::process::Process`] (fds, cwd, signals, futexes and the
//! thread books, [`core::threads::Threads`]) shared by all of its threads; the witx front
//! end wraps it in a [`witx::WasiCtx`] with what only that ABI needs. [`Builder::run`] runs the main
//! thread on the caller's thread and `Store`. A spawn (`wasi.thread-spawn`,
//! `thread_spawn_v2`, the 2022 `thread_spawn`) reserves a tid under the thread limit and
//! starts an OS thread that makes its own `Store`, instantiates the same compiled module
//! importing the process's shared memory (`SharedMemory::attach`; stores never cross
//! threads) and calls the entry export. Guest memory that is shared is only copied in and
//! out, never referenced (see [`guest::GuestMem`]).
//!
//! Every blocking import waits interruptibly: an interrupt raises the target thread's flag
//! ([`core::io::poll::Interrupter`]), wakes its poll, and wakes every wait queue; waiters
//! that were not targeted wait again. No lock is held across a wait. Futex waits on a shared
//! memory run `memory.atomic.wait32` itself (a small helper module instantiated on the same
//! memory in each store), so the imports and the instructions share one set of queues.
//!
//! The process ends once ([`core::threads::ProcessEnd`]): the first exit, trap or fatal
//! signal in any thread decides; every other thread is interrupted, the memory's atomics
//! are closed, and each thread unwinds at its next import.
//!
//! An embedder running `_start` in its own `Store` ([`Builder::imports`]) calls
//! [`host::WasiImports::bind`] on the thread that runs `_start` (attaching it as the main
//! thread, so interrupts reach it) and hands `_start`'s result to
//! [`host::WasiImports::finish_main`], which ends the process as [`Builder::run`] does.

pub mod core;
pub mod diff;
pub mod engine;
pub mod fuzz;
pub mod guest;
pub mod host;
pub mod inspect;
pub mod matrix;
pub mod migrate;
pub mod options;
pub mod p2;
pub mod package;
#[cfg(feature = "reference")]
pub mod reference;
pub mod registry;
pub mod witx;

pub use host::{Builder, RunError};
