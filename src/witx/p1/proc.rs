//! Clocks, randomness, scheduling and process exit.

use crate::core::cli::Exit;
use crate::core::clocks::{self, ClockId};
use crate::guest::MemSize;
use crate::witx::env::{run, WasiEnv};
use crate::witx::errno::Errno;
use wasmer::{FunctionEnvMut, RuntimeError};

pub(crate) fn clock_id(id: u32) -> Result<ClockId, Errno> {
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCpuTime,
        3 => ClockId::ThreadCpuTime,
        _ => return Err(Errno::INVAL),
    })
}

pub fn clock_res_get<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, id: u32, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "clock_res_get", [id as u64, out], |c| {
        let r = clocks::resolution(clock_id(id)?)?;
        Ok(c.mem.write::<u64>(out, r)?)
    })
}

pub fn clock_time_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    id: u32,
    precision: u64,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "clock_time_get",
        [id as u64, precision, out],
        |c| {
            let t = c.ctx.clock_now(clock_id(id)?)?;
            Ok(c.mem.write::<u64>(out, t)?)
        },
    )
}

/// WASIX `clock_time_set(id, ns)`: sets the process's own realtime clock (the host's is
/// never touched), when the embedder allows it (`Builder::allow_clock_set`,
/// `--allow-clock-set`), else `perm`. Other clocks cannot be set: `inval` (as POSIX
/// `clock_settime` answers for CLOCK_MONOTONIC), as is an unknown id.
pub fn clock_time_set(mut env: FunctionEnvMut<WasiEnv>, id: u32, ns: u64) -> i32 {
    run(
        &mut env,
        "clock_time_set",
        [id as u64, ns],
        |c| match clock_id(id)? {
            ClockId::Realtime => Ok(c.ctx.set_realtime(ns)?),
            _ => Err(Errno::INVAL),
        },
    )
}

pub fn random_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    buf: M::Offset,
    len: M::Offset,
) -> i32 {
    let (b, l) = (M::to_u64(buf), M::to_u64(len));
    run(&mut env, "random_get", [b, l], |c| {
        let s = c.mem.slice_mut(b, l)?;
        Ok(c.ctx.fill_random(s)?)
    })
}

pub fn sched_yield(mut env: FunctionEnvMut<WasiEnv>) -> i32 {
    run(&mut env, "sched_yield", [], |_| {
        std::thread::yield_now();
        Ok(())
    })
}

/// Unwinds the guest; the host reports `code` as the exit status.
pub fn proc_exit(mut env: FunctionEnvMut<WasiEnv>, code: u32) -> Result<(), wasmer::RuntimeError> {
    tracing::trace!(target: "wasix_compat::syscall", "proc_exit[{code}]");
    if env.data().ctx.recorder.is_some() {
        let args = format!("[{code}]");
        crate::witx::record::note_unwrapped_args(env.data(), "proc_exit", "exit", 1, &args);
    }
    // A vfork child ends; its parent goes on (see witx::wasix::vfork).
    if crate::witx::wasix::vfork::active(&env) {
        let status = crate::core::proctable::Status::Exited(code as i32);
        return crate::witx::wasix::vfork::child_ends(&mut env, status);
    }
    Err(wasmer::RuntimeError::user(Box::new(Exit(code as i32))))
}

/// Signals the guest itself. With no handlers in a witx guest, the POSIX default action
/// applies: signals that terminate end the run with status 128+N (as a shell reports);
/// those ignored by default (chld, cont, urg, winch) and 0 do nothing; stop signals are
/// ignored too (there is no job control); numbers beyond the witx enum are `inval`.
pub fn proc_raise(env: FunctionEnvMut<WasiEnv>, sig: u32) -> Result<i32, Exit> {
    raise(env, sig, &PREVIEW1_SIGNALS)
}

/// WASIX inserts `stkflt` at 16, so from there its numbers are one higher than preview1's
/// (and equal to Linux's). In the wasix namespaces a guest may have registered a signal
/// entry point (`callback_signal`): then the signal goes to it.
pub fn proc_raise_wasix(mut env: FunctionEnvMut<WasiEnv>, sig: u32) -> Result<i32, RuntimeError> {
    let r = run(&mut env, "proc_raise", [sig as u64], |_| {
        if sig > WASIX_SIGNALS.last {
            return Err(Errno::INVAL);
        }
        Ok(())
    });
    if r == Errno::SUCCESS.0 as i32 && sig != 0 {
        crate::witx::signal::deliver(&mut env, sig, &WASIX_SIGNALS)?;
    }
    Ok(r)
}

/// Default action of each signal of an ABI: ignored (chld, cont, urg, winch, and the stop
/// signals, as there is no job control), else terminate.
pub(crate) struct Signals {
    pub last: u32,
    ignored: &'static [u32],
}

impl Signals {
    /// Whether the default action of valid, non-zero `sig` ends the process.
    pub fn terminates(&self, sig: u32) -> bool {
        sig != 0 && sig <= self.last && !self.ignored.contains(&sig)
    }
}

static PREVIEW1_SIGNALS: Signals = Signals {
    last: 30,
    ignored: &[16, 17, 18, 19, 20, 21, 22, 27],
};
pub(crate) static WASIX_SIGNALS: Signals = Signals {
    last: 31,
    ignored: &[17, 18, 19, 20, 21, 22, 23, 28],
};

fn raise(mut env: FunctionEnvMut<WasiEnv>, sig: u32, table: &Signals) -> Result<i32, Exit> {
    let r = run(&mut env, "proc_raise", [sig as u64], |_| {
        if sig > table.last {
            return Err(Errno::INVAL);
        }
        Ok(())
    });
    if table.terminates(sig) {
        return Err(Exit(128 + sig as i32));
    }
    Ok(r)
}
