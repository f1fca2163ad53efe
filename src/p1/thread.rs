//! WASIX thread and futex imports, and `proc_exit2`. A process here has one thread (the
//! main thread, id [`MAIN_TID`]); futexes are real (the core's wait queues), so a wait
//! ends by wake, timeout or interruption exactly as it will with more threads.

use super::env::{run, WasiEnv, MAIN_TID};
use super::errno::Errno;
use crate::core::cli::Exit;
use crate::core::futex::WaitOutcome;
use crate::guest::addr::{read_opt_ts, AddrError};
use crate::guest::MemSize;
use std::time::Duration;
use wasmer::FunctionEnvMut;

pub fn thread_id<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "thread_id", [out], |c| {
        Ok(c.mem.write::<u32>(out, MAIN_TID)?)
    })
}

/// Ends the calling thread; the last thread ending ends the process with `code`.
pub fn thread_exit(_env: FunctionEnvMut<WasiEnv>, code: u32) -> Result<(), Exit> {
    tracing::trace!(target: "wasix_compat::syscall", "thread_exit[{code}]");
    Err(Exit(code as i32))
}

/// Same as `proc_exit` outside a vfork child.
pub fn proc_exit2(_env: FunctionEnvMut<WasiEnv>, code: u32) -> Result<(), Exit> {
    tracing::trace!(target: "wasix_compat::syscall", "proc_exit2[{code}]");
    Err(Exit(code as i32))
}

/// The number of threads that can run at once on this host.
pub fn thread_parallelism<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "thread_parallelism", [out], |c| {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        Ok(c.mem.write_off::<M>(out, n)?)
    })
}

/// Sleeps `ns` nanoseconds. The sleep waits on a futex key no guest address can have, so
/// whatever interrupts futex waits (signals, exit) interrupts it too: then `intr`.
pub fn thread_sleep(mut env: FunctionEnvMut<WasiEnv>, ns: u64) -> i32 {
    run(&mut env, "thread_sleep", [ns], |c| {
        let key = u64::MAX - MAIN_TID as u64;
        let r = c
            .ctx
            .futexes
            .wait(key, 0, || Ok::<_, Errno>(0), Some(Duration::from_nanos(ns)))?;
        match r {
            WaitOutcome::Interrupted => Err(Errno::INTR),
            _ => Ok(()),
        }
    })
}

/// The futex word's address: inside memory (`fault`) and 4-byte aligned (`inval`).
fn futex_addr(c: &super::env::Call<'_>, ptr: u64) -> Result<u64, Errno> {
    c.mem.check_range(ptr, 4)?;
    if ptr % 4 != 0 {
        return Err(Errno::INVAL);
    }
    Ok(ptr)
}

/// `futex_wait(addr, expected, timeout*, woken*)`: `woken` is 1 when the wait ended by a
/// wake or because the word no longer held `expected` (nothing to wait for), 0 on timeout.
/// A signal ends the wait with `intr`. A timeout tag other than none/some is `inval`.
pub fn futex_wait<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    futex: M::Offset,
    expected: u32,
    timeout: M::Offset,
    woken: M::Offset,
) -> i32 {
    let (f, t, w) = (M::to_u64(futex), M::to_u64(timeout), M::to_u64(woken));
    run(&mut env, "futex_wait", [f, expected as u64, t, w], |c| {
        let addr = futex_addr(c, f)?;
        let timeout = read_opt_ts(&c.mem, t).map_err(|e| match e {
            AddrError::BadTag => Errno::INVAL,
            _ => Errno::FAULT,
        })?;
        c.mem.check_range(w, 1)?;
        let mem = &c.mem;
        let read = || -> Result<u32, Errno> { Ok(mem.load_u32_atomic(addr)?.unwrap_or(0)) };
        let r = c
            .ctx
            .futexes
            .wait(addr, expected, read, timeout.map(Duration::from_nanos))?;
        let flag = match r {
            WaitOutcome::Woken | WaitOutcome::Mismatch => 1u8,
            WaitOutcome::TimedOut => 0,
            WaitOutcome::Interrupted => return Err(Errno::INTR),
        };
        Ok(c.mem.write::<u8>(w, flag)?)
    })
}

fn wake<M: MemSize>(
    env: &mut FunctionEnvMut<WasiEnv>,
    name: &'static str,
    futex: M::Offset,
    out: M::Offset,
    n: usize,
) -> i32 {
    let (f, o) = (M::to_u64(futex), M::to_u64(out));
    run(env, name, [f, o], |c| {
        let addr = futex_addr(c, f)?;
        c.mem.check_range(o, 1)?;
        let woke = c.ctx.futexes.wake(addr, n);
        Ok(c.mem.write::<u8>(o, (woke > 0) as u8)?)
    })
}

/// Wakes one waiter; writes 1 if one was woken.
pub fn futex_wake<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    futex: M::Offset,
    out: M::Offset,
) -> i32 {
    wake::<M>(&mut env, "futex_wake", futex, out, 1)
}

/// Wakes every waiter; writes 1 if any was woken.
pub fn futex_wake_all<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    futex: M::Offset,
    out: M::Offset,
) -> i32 {
    wake::<M>(&mut env, "futex_wake_all", futex, out, usize::MAX)
}
