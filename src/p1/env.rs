//! Per-instance state the witx imports work on, and the glue that gives each host call its
//! guest memory.

use super::errno::{self, Errno};
use super::fds::FdTable;
use crate::core::cli::Cli;
use crate::guest::GuestMem;
use std::sync::Arc;
use wasmer::{FunctionEnvMut, Memory};

/// Shared by every namespace of one instance (and by its threads).
pub struct WasiCtx {
    pub cli: Cli,
    pub fds: FdTable,
}

/// Which ABI family an import belongs to; decides e.g. the bad-pointer errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `wasi_unstable`, `wasi_snapshot_preview1`: bad pointer → `fault`.
    Wasi,
    /// `wasix_32v1`, `wasix_64v1`: bad pointer → `memviolation`.
    Wasix,
}

/// The `FunctionEnv` data of one namespace.
pub struct WasiEnv {
    pub ctx: Arc<WasiCtx>,
    pub memory: Option<Memory>,
    pub flavor: Flavor,
}

/// What one host call works with.
pub struct Call<'a> {
    pub mem: GuestMem<'a>,
    pub ctx: &'a WasiCtx,
}

/// Runs one import: builds the memory view, runs `f`, turns the outcome into an errno
/// (logging it under `RUST_LOG=wasix_compat=trace`).
#[inline]
pub fn run<const N: usize>(
    env: &mut FunctionEnvMut<'_, WasiEnv>,
    name: &'static str,
    args: [u64; N],
    f: impl FnOnce(&Call<'_>) -> Result<(), Errno>,
) -> i32 {
    let (data, store) = env.data_and_store_mut();
    let mem = match &data.memory {
        Some(m) => {
            let v = m.view(&store);
            // SAFETY: the view covers exactly the instance's memory, which cannot grow or
            // move during this host call (we hold the store).
            unsafe { GuestMem::new(v.data_ptr(), v.data_size()) }
        }
        // No memory: every pointer faults.
        None => GuestMem::from_slice(&mut []),
    };
    let call = Call {
        mem,
        ctx: &data.ctx,
    };
    let mut e = match f(&call) {
        Ok(()) => Errno::SUCCESS,
        Err(e) => e,
    };
    if e == Errno::FAULT && data.flavor == Flavor::Wasix {
        e = Errno::MEMVIOLATION;
    }
    tracing::trace!(target: "wasix_compat::syscall", "{name}{args:?} -> {}", errno::name(e));
    e.0 as i32
}
