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
use crate::core::proctable::{ProcTable, CHILD_EVENTS_KEY, ROOT_PID};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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
    /// This process's id in its family's table.
    pub pid: u32,
    /// Every process of the family: parents, children, exit statuses.
    pub family: Arc<ProcTable>,
    /// Counts child exits: a join waits (on the futex key
    /// [`CHILD_EVENTS_KEY`](crate::core::proctable::CHILD_EVENTS_KEY)) while it is unchanged.
    pub child_events: AtomicU32,
    /// Whether a child's end raises SIGCHLD here. Off unless the embedder turns it on:
    /// wasix-libc's default action for SIGCHLD calls `SIG_IGN` as a function and traps, so
    /// a program that does not catch SIGCHLD would die of it (wasmer-wasix never sends it).
    pub sigchld: AtomicBool,
}

/// The disposition every process is told it inherited: SIGHUP at its default. It changes
/// nothing, but it makes wasix-libc's start-up call its own `sigaction`, the only place
/// that sets its default-action handler: without that call, a program that never called
/// `sigaction` traps (a call through a null pointer) on the first signal it gets, instead
/// of taking the default action (for SIGTERM: print and end with 127).
pub const LIBC_DEFAULTS_PRIMER: (u8, crate::core::signal::Disposition) =
    (1, crate::core::signal::Disposition::Default);

/// The main thread's id in every process (thread ids are per process).
pub const MAIN_TID: u32 = 1;

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
            signals: SignalState::with_inherited(vec![LIBC_DEFAULTS_PRIMER]),
            itimer: Default::default(),
            thread_locals: Default::default(),
            pid: ROOT_PID,
            family: Arc::new(ProcTable::default()),
            child_events: AtomicU32::new(0),
            sigchld: AtomicBool::new(false),
        }
    }

    /// The child of a fork or spawn, `pid` already reserved in the family: the same
    /// standard streams, network, cwd and terminal; the fd table copied entry by entry
    /// (each new entry shares its open file, cursor included, and keeps its cloexec
    /// flag); signal handler names kept (the child runs the same code until it execs), and
    /// nothing pending; no interval timer; only a main thread.
    pub fn fork_copy(&self, pid: u32) -> Process {
        let cli = Cli {
            args: self.cli.args.clone(),
            env: self.cli.env.clone(),
            initial_cwd: self.cli.initial_cwd.clone(),
            stdin: self.cli.stdin.clone(),
            stdout: self.cli.stdout.clone(),
            stderr: self.cli.stderr.clone(),
        };
        let fds = FdTable::default();
        for (n, e) in self.fds.entries() {
            // Same numbers into an empty table of the same capacity: cannot fail.
            let _ = fds.insert_at(n, Arc::new(e.fork_copy()));
        }
        Process {
            cli,
            fds,
            net: self.net.clone(),
            cwd: Mutex::new(self.cwd()),
            tty: Mutex::new(self.tty()),
            threads: Threads::new(self.threads.limit()),
            signals: self.signals.fork_copy(),
            itimer: Default::default(),
            thread_locals: self.thread_locals.fork_copy(),
            pid,
            family: self.family.clone(),
            child_events: AtomicU32::new(0),
            sigchld: AtomicBool::new(self.sigchld.load(Ordering::Relaxed)),
        }
    }

    /// A child of this process ended: joins wake; with [`sigchld`](Self::sigchld) on,
    /// SIGCHLD becomes pending (it interrupts nothing: the host cannot see whether the
    /// guest catches it, and an uncaught SIGCHLD must not make a blocking call fail with
    /// EINTR; a handler runs at the next import that delivers signals).
    pub fn child_event(&self, sig: u32) {
        self.child_events.fetch_add(1, Ordering::SeqCst);
        if self.sigchld.load(Ordering::Relaxed) && self.signals.registered() {
            self.signals.raise(sig);
        }
        self.threads.futexes.wake(CHILD_EVENTS_KEY, usize::MAX);
    }

    pub fn cwd(&self) -> String {
        self.cwd.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn tty(&self) -> Tty {
        *self.tty.lock().unwrap_or_else(|p| p.into_inner())
    }
}
