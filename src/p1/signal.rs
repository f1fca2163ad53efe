//! WASIX signals: the guest registers an exported entry point (`callback_signal`), and a
//! signal raised to a thread of ours calls it with the signal number. wasix-libc registers
//! `__wasm_signal` at start-up (which runs the sigaction handler or the POSIX default) and
//! swaps in `__wasm_signal_blocked` while signals are blocked, so both must be honoured.

use super::env::{run, WasiEnv, MAIN_TID};
use super::errno::Errno;
use super::proc::{Signals, WASIX_SIGNALS};
use crate::core::cli::Exit;
use crate::core::signal::Disposition;
use crate::guest::MemSize;
use wasmer::{FunctionEnvMut, RuntimeError};

/// wasix-libc's main thread calls itself this before it has asked the host for its id
/// (musl's `td->tid` placeholder); it means "the main thread".
const LIBC_MAIN_TID: u32 = 0x3fff_ffff;

/// `callback_signal(name)`: a name that is not a valid UTF-8 string in memory is ignored, as
/// the function has no errno to report it with (wasmer-wasix ignores it too). Signals that
/// waited for a handler are delivered to the new one before the call returns.
pub fn callback_signal<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
    l: M::Offset,
) -> Result<(), RuntimeError> {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(&mut env, "callback_signal", [p, l], |c| {
        let name = c.mem.str(p, l)?;
        c.ctx.signals.set_handler(Some(name.to_string()));
        Ok(())
    });
    run_pending(&mut env)
}

/// `thread_signal(tid, sig)`: with one thread, only the main thread exists; the signal is
/// delivered before the call returns. Signal 0 checks that the thread exists.
pub fn thread_signal(
    mut env: FunctionEnvMut<WasiEnv>,
    tid: u32,
    sig: u32,
) -> Result<i32, RuntimeError> {
    let r = run(&mut env, "thread_signal", [tid as u64, sig as u64], |_| {
        if sig > WASIX_SIGNALS.last {
            return Err(Errno::INVAL);
        }
        if tid != MAIN_TID && tid != LIBC_MAIN_TID {
            return Err(Errno::SRCH);
        }
        Ok(())
    });
    if r == Errno::SUCCESS.0 as i32 && sig != 0 {
        deliver(&mut env, sig, &WASIX_SIGNALS)?;
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
        return Err(RuntimeError::user(Box::new(Exit(128 + sig as i32))));
    }
    if wasix && sig == SIGSTOP {
        return Ok(());
    }
    let signals = &env.data().ctx.signals;
    if !signals.registered() {
        if table.terminates(sig) {
            return Err(RuntimeError::user(Box::new(Exit(128 + sig as i32))));
        }
        return Ok(());
    }
    signals.raise(sig);
    run_pending(env)
}

/// Hands pending signals, lowest first, to the registered handler while it exists.
fn run_pending(env: &mut FunctionEnvMut<WasiEnv>) -> Result<(), RuntimeError> {
    // wasix-libc re-registers its handler around every block/unblock: with nothing
    // pending, that costs no lookup.
    while env.data().ctx.signals.has_pending() {
        let handler = env.data().ctx.signals.handler().and_then(|name| {
            let exports = env.data().exports.as_ref()?;
            exports.get_typed_function::<i32, ()>(&*env, &name).ok()
        });
        let Some(f) = handler else { return Ok(()) };
        let Some(sig) = env.data().ctx.signals.take_pending() else {
            return Ok(());
        };
        tracing::trace!(target: "wasix_compat::syscall", "signal {sig} -> guest handler");
        f.call(env, sig as i32)?;
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
        let out = c.mem.slice_mut(buf, 2 * list.len() as u64)?;
        for (pair, (sig, d)) in out.chunks_exact_mut(2).zip(list) {
            pair[0] = *sig;
            pair[1] = match d {
                Disposition::Default => 0,
                Disposition::Ignore => 1,
            };
        }
        Ok(())
    })
}
