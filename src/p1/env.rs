//! Per-instance state the witx imports work on, and the glue that gives each host call its
//! guest memory.

use super::errno::{self, Errno};
use super::fds::FdTable;
use crate::core::cli::Cli;
use crate::core::futex::Futexes;
use crate::core::signal::SignalState;
use crate::core::sockets::Network;
use crate::guest::GuestMem;
use std::sync::{Arc, Mutex};
use wasmer::{FunctionEnvMut, Memory};

/// Shared by every namespace of one instance (and by its threads).
pub struct WasiCtx {
    pub cli: Cli,
    pub fds: FdTable,
    /// The instance's network (disabled unless the embedder enables it).
    pub net: Arc<Network>,
    /// WASIX current directory (getcwd / chdir).
    pub cwd: Mutex<String>,
    /// WASIX terminal settings (tty_get / tty_set).
    pub tty: Mutex<Tty>,
    /// WASIX futexes (futex_wait / futex_wake), shared by the process's threads.
    pub futexes: Futexes,
    /// The guest's signal entry point and inherited dispositions.
    pub signals: SignalState,
}

/// The process id a host-started WASIX process sees, and its main thread's id (equal, as
/// in wasmer-wasix: the main thread's id is the process id).
pub const PID: u32 = 1;
pub const MAIN_TID: u32 = PID;

/// The guest's view of its terminal.
#[derive(Clone, Copy, Debug)]
pub struct Tty {
    pub cols: u32,
    pub rows: u32,
    pub width: u32,
    pub height: u32,
    pub echo: bool,
    pub line_buffered: bool,
    pub line_feeds: bool,
}

impl Default for Tty {
    /// The host terminal's size when stdout is one, else 80x25; canonical mode.
    fn default() -> Self {
        let mut ws = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ fills one winsize; failure leaves zeros.
        let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } == 0 && ws.ws_col > 0;
        let (cols, rows) = if ok {
            (ws.ws_col as u32, ws.ws_row as u32)
        } else {
            (80, 25)
        };
        Tty {
            cols,
            rows,
            width: ws.ws_xpixel as u32,
            height: ws.ws_ypixel as u32,
            echo: true,
            line_buffered: true,
            line_feeds: true,
        }
    }
}

impl WasiCtx {
    pub fn new(cli: Cli, fds: FdTable, net: Arc<Network>) -> WasiCtx {
        let cwd = cli.initial_cwd.clone().unwrap_or_else(|| "/".into());
        WasiCtx {
            cli,
            fds,
            net,
            cwd: Mutex::new(cwd),
            tty: Mutex::new(Tty::default()),
            futexes: Futexes::default(),
            signals: SignalState::default(),
        }
    }

    pub fn cwd(&self) -> String {
        self.cwd.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn tty(&self) -> Tty {
        *self.tty.lock().unwrap_or_else(|p| p.into_inner())
    }
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
    /// The instance's exports (signal handlers are guest functions called back by name).
    pub exports: Option<wasmer::Exports>,
    /// `memory` is shared (threads): guest memory is then copied, never referenced.
    pub memory_shared: bool,
}

impl WasiEnv {
    pub fn new(ctx: Arc<WasiCtx>, flavor: Flavor) -> WasiEnv {
        WasiEnv {
            ctx,
            memory: None,
            flavor,
            exports: None,
            memory_shared: false,
        }
    }
}

/// What one host call works with.
pub struct Call<'a> {
    pub mem: GuestMem<'a>,
    pub ctx: &'a WasiCtx,
    pub flavor: Flavor,
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
            // move during this host call (we hold the store); a shared memory is accessed
            // in GuestMem's copying mode.
            unsafe { GuestMem::new(v.data_ptr(), v.data_size(), data.memory_shared) }
        }
        // No memory: every pointer faults.
        None => GuestMem::from_slice(&mut []),
    };
    let call = Call {
        mem,
        ctx: &data.ctx,
        flavor: data.flavor,
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
