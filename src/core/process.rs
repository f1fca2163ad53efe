//! One guest process as every front end sees it: its cli (args, env, stdio, exit), fd
//! table with the preopens, cwd, terminal, network, threads, signals and timers. The witx
//! front end (p0, p1, WASIX) and a WASI 0.2 front end are clients of the same `Process`.

use crate::core::cli::Cli;
use crate::core::fds::FdTable;
use crate::core::itimer::IntervalTimer;
use crate::core::proctable::{ProcTable, CHILD_EVENTS_KEY, ROOT_PID};
use crate::core::signal::SignalState;
use crate::core::sockets::Network;
use crate::core::thread_locals::ThreadLocals;
use crate::core::threads::Threads;

/// WASIX `fdflagsext`'s cloexec bit.
pub const FDFLAGSEXT_CLOEXEC: u64 = 1;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
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
    /// Added to the host's realtime clock for this process (`clock_time_set`, when the
    /// embedder allows it); the host clock itself never changes.
    pub realtime_offset: AtomicI64,
    /// Whether the guest may set its realtime clock (off unless the embedder allows it).
    pub clock_settable: AtomicBool,
    /// Fake clock and seeded randomness (`--fake-clock`, `--seed`), shared by the family.
    pub pinned: Option<Arc<crate::core::pinned::Pinned>>,
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
            realtime_offset: AtomicI64::new(0),
            clock_settable: AtomicBool::new(false),
            pinned: None,
        }
    }

    /// The child of a fork or spawn, `pid` already reserved in the family: the same
    /// standard streams, network, cwd and terminal; the fd table copied entry by entry
    /// (each new entry shares its open file, cursor included, and keeps its cloexec
    /// flag); signal handler names kept (the child runs the same code until it execs), and
    /// nothing pending; no interval timer; only a main thread.
    pub fn fork_copy(&self, pid: u32) -> Process {
        let cli = self.cli_with(self.cli.args.clone(), self.cli.env.clone());
        let fds = FdTable::default();
        for (n, e) in self.fds.entries() {
            // Same numbers into an empty table of the same capacity: cannot fail.
            let _ = fds.insert_at(n, Arc::new(e.fork_copy()));
        }
        let mut p = self.derive(pid, cli, fds, self.signals.fork_copy());
        p.thread_locals = self.thread_locals.fork_copy();
        p
    }

    /// The new image of an exec: the same pid, its fds but those marked cloexec, its cwd
    /// and terminal; `args` and `env`; no signal handler yet (the image registers its own)
    /// and the dispositions it inherited; no threads but the main one, no timer.
    pub fn exec_copy(&self, args: Vec<String>, env: Vec<(String, String)>) -> Process {
        let fds = FdTable::default();
        for (n, e) in self.fds.entries() {
            if e.fdflags_ext.load(Ordering::Relaxed) & FDFLAGSEXT_CLOEXEC == 0 {
                let _ = fds.insert_at(n, Arc::new(e.fork_copy()));
            }
        }
        let signals = SignalState::with_inherited(self.signals.inherited().to_vec());
        self.derive(self.pid, self.cli_with(args, env), fds, signals)
    }

    /// A spawned child's process before its file actions: every fd copied (cloexec ones
    /// too: the actions may still use them; [`close_on_exec`](Self::close_on_exec) ends
    /// them after), `inherited` dispositions.
    pub fn spawn_copy(
        &self,
        pid: u32,
        args: Vec<String>,
        env: Vec<(String, String)>,
        inherited: Vec<(u8, crate::core::signal::Disposition)>,
    ) -> Process {
        let fds = FdTable::default();
        for (n, e) in self.fds.entries() {
            let _ = fds.insert_at(n, Arc::new(e.fork_copy()));
        }
        let signals = SignalState::with_inherited(inherited);
        self.derive(pid, self.cli_with(args, env), fds, signals)
    }

    /// What ends with a process besides its threads: its fds (so the other ends of its
    /// pipes see EOF) and its interval timer. The fds are dropped after the table's lock.
    pub fn release(&self) {
        self.itimer.cancel();
        let closed: Vec<_> = self
            .fds
            .entries()
            .into_iter()
            .filter_map(|(n, _)| self.fds.remove(n).ok())
            .collect();
        drop(closed);
    }

    /// Closes every fd marked cloexec (a spawned image starts).
    pub fn close_on_exec(&self) {
        let closed: Vec<_> = self
            .fds
            .entries()
            .into_iter()
            .filter(|(_, e)| e.fdflags_ext.load(Ordering::Relaxed) & FDFLAGSEXT_CLOEXEC != 0)
            .filter_map(|(n, _)| self.fds.remove(n).ok())
            .collect();
        drop(closed);
    }

    fn cli_with(&self, args: Vec<String>, env: Vec<(String, String)>) -> Cli {
        Cli {
            args,
            env,
            initial_cwd: self.cli.initial_cwd.clone(),
            stdin: self.cli.stdin.clone(),
            stdout: self.cli.stdout.clone(),
            stderr: self.cli.stderr.clone(),
        }
    }

    /// Another process of this family (or this process's next image) sharing the
    /// network, with this one's cwd and terminal.
    fn derive(&self, pid: u32, cli: Cli, fds: FdTable, signals: SignalState) -> Process {
        Process {
            cli,
            fds,
            net: self.net.clone(),
            cwd: Mutex::new(self.cwd()),
            tty: Mutex::new(self.tty()),
            threads: Threads::new(self.threads.limit()),
            signals,
            itimer: Default::default(),
            thread_locals: Default::default(),
            pid,
            family: self.family.clone(),
            child_events: AtomicU32::new(0),
            sigchld: AtomicBool::new(self.sigchld.load(Ordering::Relaxed)),
            realtime_offset: AtomicI64::new(self.realtime_offset.load(Ordering::Relaxed)),
            clock_settable: AtomicBool::new(self.clock_settable.load(Ordering::Relaxed)),
            pinned: self.pinned.clone(),
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

    /// Nanoseconds on `id` as this process sees it (its realtime offset applied).
    #[inline]
    pub fn clock_now(
        &self,
        id: crate::core::clocks::ClockId,
    ) -> Result<u64, crate::core::ErrorCode> {
        if let Some(t) = self.pinned.as_ref().and_then(|p| p.clock_now()) {
            return Ok(t);
        }
        let t = crate::core::clocks::now(id)?;
        Ok(match id {
            crate::core::clocks::ClockId::Realtime => {
                t.wrapping_add(self.realtime_offset.load(Ordering::Relaxed) as u64)
            }
            _ => t,
        })
    }

    /// Sets this process's realtime clock to `ns` (an offset from the host's, which does
    /// not change): `NotPermitted` unless the embedder allowed it.
    /// Fills `buf` with random bytes: the seeded stream when randomness is pinned, else
    /// the OS's.
    pub fn fill_random(&self, buf: &mut [u8]) -> Result<(), crate::core::ErrorCode> {
        match &self.pinned {
            Some(p) if p.fill_random(buf) => Ok(()),
            _ => crate::core::random::fill_secure(buf),
        }
    }

    pub fn set_realtime(&self, ns: u64) -> Result<(), crate::core::ErrorCode> {
        if !self.clock_settable.load(Ordering::Relaxed) {
            return Err(crate::core::ErrorCode::NotPermitted);
        }
        let host = crate::core::clocks::now(crate::core::clocks::ClockId::Realtime)?;
        self.realtime_offset
            .store(ns.wrapping_sub(host) as i64, Ordering::Relaxed);
        Ok(())
    }

    pub fn cwd(&self) -> String {
        self.cwd.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn tty(&self) -> Tty {
        *self.tty.lock().unwrap_or_else(|p| p.into_inner())
    }
}
