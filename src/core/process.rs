//! One guest process as every front end sees it: its cli (args, env, stdio, exit), fd
//! table with the preopens, cwd, terminal, network, threads, signals and timers. The witx
//! front end (p0, p1, WASIX) and a WASI 0.2 front end are clients of the same `Process`.

use crate::core::cli::Cli;
use crate::core::fds::FdTable;
use crate::core::itimer::IntervalTimer;
use crate::core::signal::SignalState;
use crate::core::sockets::Network;
use crate::core::thread_locals::ThreadLocals;
use crate::core::threads::Threads;
use std::sync::{Arc, Mutex};

pub struct Process {
    pub cli: Cli,
    pub fds: FdTable,
    /// The instance's network (disabled unless the embedder enables it).
    pub net: Arc<Network>,
    /// The current directory (WASIX getcwd / chdir). A leaf lock, held only to read or
    /// replace the string (chdir resolves its target before taking it).
    pub cwd: Mutex<String>,
    /// Terminal settings (WASIX tty_get / tty_set). A leaf lock, like `cwd`.
    pub tty: Mutex<Tty>,
    /// The process's threads, futexes and exit.
    pub threads: Threads,
    /// The guest's signal entry point, dispositions and pending signals.
    pub signals: SignalState,
    /// `setitimer` / `alarm`.
    pub itimer: IntervalTimer,
    /// The 2022 ABI's thread-local variables.
    pub thread_locals: ThreadLocals,
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

impl Process {
    pub fn new(cli: Cli, fds: FdTable, net: Arc<Network>) -> Process {
        let cwd = cli.initial_cwd.clone().unwrap_or_else(|| "/".into());
        Process {
            cli,
            fds,
            net,
            cwd: Mutex::new(cwd),
            tty: Mutex::new(Tty::default()),
            threads: Threads::default(),
            signals: SignalState::default(),
            itimer: Default::default(),
            thread_locals: Default::default(),
        }
    }

    pub fn cwd(&self) -> String {
        self.cwd.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn tty(&self) -> Tty {
        *self.tty.lock().unwrap_or_else(|p| p.into_inner())
    }
}
