//! WASIX signals: the guest registers an exported entry point (`callback_signal`), and a
//! signal raised to a thread of ours calls it with the signal number. wasix-libc registers
//! `__wasm_signal` at start-up (which runs the sigaction handler or the POSIX default) and
//! swaps in `__wasm_signal_blocked` while signals are blocked, so both must be honoured.
//! Blocking is per thread (as a signal mask is): a thread's signals go to the name that
//! thread registered last, or, for a thread that never registered one, to the last name
//! registered that the guest exports.

use crate::core::cli::SignalDeath;
use crate::core::signal::Disposition;
use crate::core::threads::ProcessEnd;
use crate::guest::MemSize;
use crate::witx::env::{run, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::proc::{Signals, WASIX_SIGNALS};
use wasmer::{FunctionEnvMut, RuntimeError};

/// wasix-libc's main thread calls itself this before it has asked the host for its id
/// (musl's `td->tid` placeholder); it means "the main thread".
pub(crate) const LIBC_MAIN_TID: u32 = 0x3fff_ffff;

/// `callback_signal(name)`: a name that is not a valid UTF-8 string in memory is ignored, as
/// the function has no errno to report it with (wasmer-wasix ignores it too). Signals that
/// waited for a handler are delivered to the new one before the call returns.
pub fn callback_signal<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
    l: M::Offset,
) -> Result<(), RuntimeError> {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    let mut name = None;
    run(&mut env, "callback_signal", [p, l], |c| {
        name = Some(c.mem.str(p, l)?.to_string());
        Ok(())
    });
    if let Some(name) = name {
        let data = env.data();
        // Not bound yet (a start function): take the name as exported.
        let exists = data
            .exports
            .as_ref()
            .is_none_or(|e| e.get_function(&name).is_ok());
        data.ctx.signals.set_handler(data.tid, Some(name), exists);
    }
    run_pending(&mut env)
}

/// `thread_signal(tid, sig)`: to the calling thread, the signal is delivered before the
/// call returns; to another live thread, it becomes pending and that thread is interrupted
/// (its blocking import returns and the handler runs there). SIGKILL ends the process
/// whichever thread it names, and so do the other terminating signals while no handler
/// was ever registered (POSIX default actions are process-wide); ignored-by-default ones
/// are dropped then. Signal 0 checks that the thread exists.
pub fn thread_signal(
    mut env: FunctionEnvMut<WasiEnv>,
    tid: u32,
    sig: u32,
) -> Result<i32, RuntimeError> {
    let me = env.data().tid;
    let tid = crate::witx::thread::resolve_tid(tid);
    let r = run(&mut env, "thread_signal", [tid as u64, sig as u64], |c| {
        if sig > WASIX_SIGNALS.last {
            return Err(Errno::INVAL);
        }
        if !c.ctx.threads.is_alive(tid) {
            return Err(Errno::SRCH);
        }
        Ok(())
    });
    if r != Errno::SUCCESS.0 as i32 || sig == 0 {
        return Ok(r);
    }
    if tid == me {
        deliver(&mut env, sig, &WASIX_SIGNALS)?;
    } else {
        let ctx = env.data().ctx.clone();
        // SIGKILL, and before the guest ever registered a handler every signal whose
        // default action terminates, ends the whole process, as it would from the caller;
        // the other defaults ignore the signal.
        let fatal = sig == SIGKILL || (!ctx.signals.registered() && WASIX_SIGNALS.terminates(sig));
        if fatal {
            let end = ctx.threads.end(ProcessEnd::Signal(sig as u8));
            return Err(crate::witx::env::unwind(end));
        }
        if sig != SIGSTOP && ctx.signals.registered() {
            ctx.signals.raise_to(tid, sig);
            ctx.threads.interrupt(Some(tid));
        }
    }
    Ok(r)
}

/// WASIX numbers of the two signals no handler may take.
const SIGKILL: u32 = 9;
const SIGSTOP: u32 = 19;

/// Raises `sig` to the calling thread. Before the guest ever registered a handler, the
/// default action applies at once. After, the signal is pending until a handler that
/// exists takes it: at once normally, later while wasix-libc blocks signals (it then names
/// `__wasm_signal_blocked`, which it does not export). SIGKILL always ends the process and
/// SIGSTOP does nothing (no job control); no handler sees either, as POSIX says.
pub(crate) fn deliver(
    env: &mut FunctionEnvMut<WasiEnv>,
    sig: u32,
    table: &Signals,
) -> Result<(), RuntimeError> {
    let wasix = std::ptr::eq(table, &WASIX_SIGNALS);
    if wasix && sig == SIGKILL {
        return Err(RuntimeError::user(Box::new(SignalDeath(sig as u8))));
    }
    if wasix && sig == SIGSTOP {
        return Ok(());
    }
    let signals = &env.data().ctx.signals;
    if !signals.registered() {
        if table.terminates(sig) {
            return Err(RuntimeError::user(Box::new(SignalDeath(sig as u8))));
        }
        return Ok(());
    }
    signals.raise(sig);
    run_pending(env)
}

thread_local! {
    /// How many guest signal handlers the host is running on this thread (an import
    /// called from one cannot unwind past the host frames that called it).
    static IN_HANDLER: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether the calling thread is inside a signal handler the host called.
pub(crate) fn in_handler() -> bool {
    IN_HANDLER.with(|d| d.get() > 0)
}

/// A signal from another process (`kill`): SIGKILL ends `p`; before `p` ever registered
/// a handler, the default action applies (terminate, or ignore); after, the signal is
/// pending for the process and its main thread is interrupted to take it (any thread
/// once the main thread is gone). SIGSTOP does nothing (no job control).
pub(crate) fn signal_process(p: &crate::core::process::Process, sig: u32) {
    if sig == SIGKILL || (!p.signals.registered() && WASIX_SIGNALS.terminates(sig)) {
        p.threads.end(ProcessEnd::Signal(sig as u8));
        return;
    }
    if sig == SIGSTOP || !p.signals.registered() {
        return;
    }
    let main = crate::witx::env::MAIN_TID;
    if p.threads.is_alive(main) {
        p.signals.raise_to(main, sig);
        p.threads.interrupt(Some(main));
    } else {
        p.signals.raise(sig);
        p.threads.interrupt(None);
    }
}

/// Hands pending signals, lowest first, to the registered handler while it exists.
#[cold]
pub(crate) fn run_pending(env: &mut FunctionEnvMut<WasiEnv>) -> Result<(), RuntimeError> {
    // wasix-libc re-registers its handler around every block/unblock: with nothing
    // pending, that costs no lookup.
    let me = env.data().tid;
    while env.data().ctx.signals.has_pending(me) {
        let handler = env.data().ctx.signals.handler(me).and_then(|name| {
            let exports = env.data().exports.as_ref()?;
            exports.get_typed_function::<i32, ()>(&*env, &name).ok()
        });
        let Some(f) = handler else { return Ok(()) };
        let Some(sig) = env.data().ctx.signals.take_pending(me) else {
            return Ok(());
        };
        tracing::trace!(target: "wasix_compat::syscall", "signal {sig} -> guest handler");
        IN_HANDLER.with(|d| d.set(d.get() + 1));
        let r = f.call(env, sig as i32);
        IN_HANDLER.with(|d| d.set(d.get() - 1));
        r?;
    }
    Ok(())
}

/// Number of inherited signal dispositions (none for a process the host started).
pub fn proc_signals_sizes_get<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "proc_signals_sizes_get", [out], |c| {
        let n = c.ctx.signals.inherited().len() as u64;
        Ok(c.mem.write_off::<M>(out, n)?)
    })
}

/// The inherited dispositions as `signal_disposition` pairs (signal u8, disposition u8).
pub fn proc_signals_get<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, buf: M::Offset) -> i32 {
    let buf = M::to_u64(buf);
    run(&mut env, "proc_signals_get", [buf], |c| {
        let list = c.ctx.signals.inherited();
        let out: Vec<u8> = list
            .iter()
            .flat_map(|(sig, d)| {
                let d = match d {
                    Disposition::Default => 0,
                    Disposition::Ignore => 1,
                };
                [*sig, d]
            })
            .collect();
        Ok(c.mem.write_bytes(buf, &out)?)
    })
}

/// `proc_raise_interval(sig, interval, repeat)`: raises `sig` to the process after
/// `interval` ns (then every `interval` when `repeat`); zero disarms, and a new call
/// replaces the timer (one per process, as ITIMER_REAL). The signal goes to the main
/// thread while it lives (else to any thread), interrupting what it waits in; it is
/// handled at that thread's next blocking import or handler registration. Without a
/// handler, the default action applies when it fires.
pub fn proc_raise_interval(
    mut env: FunctionEnvMut<WasiEnv>,
    sig: u32,
    interval: u64,
    repeat: u32,
) -> i32 {
    let weak = std::sync::Arc::downgrade(&env.data().ctx);
    run(
        &mut env,
        "proc_raise_interval",
        [sig as u64, interval, repeat as u64],
        |c| {
            if sig == 0 || sig > WASIX_SIGNALS.last || repeat > 1 {
                return Err(Errno::INVAL);
            }
            let fire = move || {
                if let Some(ctx) = weak.upgrade() {
                    signal_process(&ctx.process, sig);
                }
            };
            let d = std::time::Duration::from_nanos(interval);
            c.ctx.itimer.set(d, repeat == 1, std::sync::Arc::new(fire));
            Ok(())
        },
    )
}
