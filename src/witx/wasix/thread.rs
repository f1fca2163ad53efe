//! WASIX thread and futex imports, `proc_exit2`, and the wasi-threads `thread-spawn`.
//!
//! A thread is a fresh instance of the module on the same shared memory, run by the host
//! ([`SpawnThread`]) on its own OS thread; the books (ids, limit, joins, exit) are the
//! core's [`Threads`](crate::core::threads::Threads). Futexes on a shared memory wait in
//! the engine's own queues (see [`crate::witx::atomics`]), elsewhere in the core's.

use crate::core::cli::Exit;
use crate::core::futex::WaitOutcome;
use crate::guest::addr::{read_opt_ts, AddrError};
use crate::guest::MemSize;
use crate::witx::atomics::{Atomics, EngineWait};
use crate::witx::env::{after_wait, run, run_blocking, with_call, Call, WasiEnv, MAIN_TID};
use crate::witx::errno::Errno;
use std::time::{Duration, Instant};
use wasmer::{AsStoreMut, FunctionEnvMut, RuntimeError};

/// How a new thread starts.
#[derive(Clone, Debug)]
pub enum ThreadStart {
    /// `wasi_thread_start(tid, arg)`: wasi-threads' `thread-spawn` and WASIX
    /// `thread_spawn_v2` (whose argument is a `thread_start` record the guest reads itself).
    WasiThreadStart { arg: u64 },
    /// The 2022 ABI: `entry(user_data lo, hi)` with `__stack_pointer` set to `stack_base`.
    Legacy {
        entry: String,
        user_data: u64,
        stack_base: u64,
    },
}

/// The host side of spawning: instantiates the module again on the shared memory and runs
/// `start` on a new OS thread as `tid` (already reserved). An error leaves `tid` to the
/// caller to release.
pub trait SpawnThread: Send + Sync {
    fn spawn(&self, tid: u32, start: ThreadStart) -> Result<(), Errno>;
}

/// `thread_exit` unwinds its thread with this; only that thread ends.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("thread exit {0}")]
pub struct ThreadExit(pub u32);

/// Reserves an id and starts the thread: `again` past the thread limit, `notsup` for a
/// module that cannot have threads (no shared memory, or no entry export).
pub(super) fn spawn(c: &Call<'_>, start: ThreadStart) -> Result<u32, Errno> {
    let spawner = c.ctx.spawner.get().ok_or(Errno::NOTSUP)?;
    let tid = c.ctx.threads.reserve().ok_or(Errno::AGAIN)?;
    if let Err(e) = spawner.spawn(tid, start) {
        c.ctx.threads.finish(tid);
        return Err(e);
    }
    Ok(tid)
}

/// wasi-threads `thread-spawn(start_arg) -> tid`: a positive tid, or a negated errno.
pub fn wasi_thread_spawn(mut env: FunctionEnvMut<WasiEnv>, arg: u32) -> i32 {
    let mut tid = 0u32;
    let e = run(&mut env, "thread-spawn", [arg as u64], |c| {
        tid = spawn(c, ThreadStart::WasiThreadStart { arg: arg as u64 })?;
        Ok(())
    });
    if e == 0 {
        tid as i32
    } else {
        -e
    }
}

/// `thread_spawn_v2(start*, tid*)`: the new thread enters `wasi_thread_start(tid, start)`.
pub fn thread_spawn_v2<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    start: M::Offset,
    out: M::Offset,
) -> i32 {
    let (s, o) = (M::to_u64(start), M::to_u64(out));
    run(&mut env, "thread_spawn_v2", [s, o], |c| {
        // The record must be readable: the new thread reads its stack and TLS from it.
        c.mem.check_range(s, 16 * M::BYTES as u64)?;
        c.mem.check_range(o, 4)?;
        if M::BYTES == 4 && s > u32::MAX as u64 {
            return Err(Errno::INVAL);
        }
        let tid = spawn(c, ThreadStart::WasiThreadStart { arg: s })?;
        Ok(c.mem.write::<u32>(o, tid)?)
    })
}

/// `thread_join(tid)`: waits for `tid` to end; at once for a thread that has ended. A tid
/// never given out is `srch` (as pthread_join; wasmer-wasix returns success), joining
/// itself would wait forever: `deadlk`.
pub fn thread_join(mut env: FunctionEnvMut<WasiEnv>, tid: u32) -> Result<i32, RuntimeError> {
    let me = env.data().tid;
    run_blocking(&mut env, "thread_join", [tid as u64], |c| {
        if tid == me {
            return Err(Errno::DEADLK);
        }
        if !c.ctx.threads.issued(tid) {
            return Err(Errno::SRCH);
        }
        match c.ctx.threads.join(tid) {
            WaitOutcome::Interrupted => Err(Errno::INTR),
            _ => Ok(()),
        }
    })
}

pub fn thread_id<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    let tid = env.data().tid;
    run(&mut env, "thread_id", [out], |c| {
        Ok(c.mem.write::<u32>(out, tid)?)
    })
}

/// Ends the calling thread; the last thread ending ends the process with `code`.
pub fn thread_exit(_env: FunctionEnvMut<WasiEnv>, code: u32) -> Result<(), ThreadExit> {
    tracing::trace!(target: "wasix_compat::syscall", "thread_exit[{code}]");
    Err(ThreadExit(code))
}

/// `proc_exit`, except in a vfork child: the child ends with `code` and the instance goes
/// back to its parent, whose `vfork()` returns.
pub fn proc_exit2(mut env: FunctionEnvMut<WasiEnv>, code: u32) -> Result<(), RuntimeError> {
    tracing::trace!(target: "wasix_compat::syscall", "proc_exit2[{code}]");
    crate::witx::record::note_unwrapped(env.data(), "proc_exit2", "exit", 1);
    if super::vfork::active(&env) {
        let status = crate::core::proctable::Status::Exited(code as i32);
        return super::vfork::child_ends(&mut env, status);
    }
    Err(RuntimeError::user(Box::new(Exit(code as i32))))
}

/// The number of threads that can run at once on this host.
pub fn thread_parallelism<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "thread_parallelism", [out], |c| {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        Ok(c.mem.write_off::<M>(out, n)?)
    })
}

/// Sleeps `ns` nanoseconds, on a futex key no guest address can have (one per thread), so
/// whatever interrupts futex waits interrupts it too: then `intr`.
pub fn thread_sleep(mut env: FunctionEnvMut<WasiEnv>, ns: u64) -> Result<i32, RuntimeError> {
    let key = u64::MAX - env.data().tid as u64;
    run_blocking(&mut env, "thread_sleep", [ns], |c| {
        match core_wait(c, key, 0, || Ok(0), Some(Duration::from_nanos(ns)))? {
            WaitOutcome::Interrupted => Err(Errno::INTR),
            _ => Ok(()),
        }
    })
}

/// A wait in the core's queues that only an interrupt addressed to this thread ends early:
/// interrupts of other threads wake every queue, and those waiters wait again (re-checking
/// the value, so a wake in between is not lost).
fn core_wait(
    c: &Call<'_>,
    key: u64,
    expected: u32,
    read: impl Fn() -> Result<u32, Errno>,
    timeout: Option<Duration>,
) -> Result<WaitOutcome, Errno> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match c.ctx.threads.futexes.wait(key, expected, &read, left)? {
            WaitOutcome::Interrupted if !c.ctx.threads.was_me() => continue,
            o => return Ok(o),
        }
    }
}

/// The futex word's address: inside memory (`fault`) and 4-byte aligned (`inval`).
fn futex_addr(c: &Call<'_>, ptr: u64) -> Result<u64, Errno> {
    c.mem.check_range(ptr, 4)?;
    if !ptr.is_multiple_of(4) {
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
) -> Result<i32, RuntimeError> {
    let (f, t, w) = (M::to_u64(futex), M::to_u64(timeout), M::to_u64(woken));
    let args = [f, expected as u64, t, w];
    let engine = env.data().atomics.clone().filter(|_| f <= u32::MAX as u64);
    let mut decoded = None;
    crate::witx::env::park_dl(&env);
    let e = run(&mut env, "futex_wait", args, |c| {
        let addr = futex_addr(c, f)?;
        let timeout = read_opt_ts(&c.mem, t).map_err(|e| match e {
            AddrError::BadTag => Errno::INVAL,
            _ => Errno::FAULT,
        })?;
        c.mem.check_range(w, 1)?;
        if engine.is_some() {
            // A wake usually follows within microseconds from another core: watching the
            // word briefly before sleeping saves the sleep and the wake-up (two syscalls
            // and two context switches) that make a hand-off slow. Ending the wait early
            // once the word has changed is what a wake would have done.
            if timeout != Some(0) && spin_until_changed(&c.mem, addr, expected) {
                return write_woken(c, w, WaitOutcome::Mismatch);
            }
            decoded = Some(timeout);
            return Ok(());
        }
        let mem = &c.mem;
        let read = || -> Result<u32, Errno> { Ok(mem.load_u32_atomic(addr)?.unwrap_or(0)) };
        let o = core_wait(c, addr, expected, read, timeout.map(Duration::from_nanos))?;
        write_woken(c, w, o)
    });
    // On a shared memory the wait happens here, outside the memory view: it runs the
    // engine's instruction in this store.
    let e = match (engine, decoded) {
        (Some(a), Some(timeout)) if e == 0 => {
            let o = engine_wait(&mut env, &a, f as u32, expected, timeout);
            run(&mut env, "futex_wait", args, |c| write_woken(c, w, o))
        }
        _ => e,
    };
    after_wait(&mut env)?;
    Ok(e)
}

/// Spin iterations (pause hints, then yields) before a futex wait sleeps.
const SPINS: u32 = 100;
const YIELDS: u32 = 10;

/// Watches the futex word for a little while; true once it no longer holds `expected`.
fn spin_until_changed(mem: &crate::guest::GuestMem<'_>, addr: u64, expected: u32) -> bool {
    for i in 0..SPINS + YIELDS {
        match mem.load_u32_atomic(addr) {
            Ok(Some(v)) if v == expected => {}
            _ => return true,
        }
        if i < SPINS {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    false
}

fn write_woken(c: &Call<'_>, w: u64, o: WaitOutcome) -> Result<(), Errno> {
    let flag = match o {
        WaitOutcome::Woken | WaitOutcome::Mismatch => 1u8,
        WaitOutcome::TimedOut => 0,
        WaitOutcome::Interrupted => return Err(Errno::INTR),
    };
    Ok(c.mem.write::<u8>(w, flag)?)
}

/// A futex wait in the engine's queue. An interrupt wakes every waiter there and looks like
/// a notify; when one happened during the wait (the epoch moved) and was not for this
/// thread, the wait resumes unless the word has changed, so interrupts of other threads
/// do not become spurious wake-ups (save a notify racing one and leaving the word as it
/// was, which futex callers re-check anyway).
///
/// An interrupt that lands before the wait starts is seen by the check ahead of each
/// engine wait. The engine's queue lock is not ours to take, so a few instructions remain
/// between that check and the sleep where an interrupt's wake-up finds nobody: each engine
/// wait is therefore bounded by [`ENGINE_SLICE`], after which the flag is looked at again.
/// That bounds the delay of such an interrupt without a timer per wait.
fn engine_wait(
    env: &mut FunctionEnvMut<WasiEnv>,
    a: &Atomics,
    addr: u32,
    expected: u32,
    timeout: Option<u64>,
) -> WaitOutcome {
    let ctx = env.data().ctx.clone();
    let deadline = timeout.and_then(|t| Instant::now().checked_add(Duration::from_nanos(t)));
    loop {
        // The epoch first: an interrupt after it is either seen by the check below or moves
        // the epoch, which the wake-up then tells apart from a notify.
        let epoch = ctx.threads.epoch();
        if ctx.threads.was_me() {
            return WaitOutcome::Interrupted;
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let slice = left.map_or(ENGINE_SLICE, |l| l.min(ENGINE_SLICE));
        match a.wait32(
            &mut env.as_store_mut(),
            addr,
            expected,
            Some(slice.as_nanos() as u64),
        ) {
            EngineWait::Mismatch => return WaitOutcome::Mismatch,
            EngineWait::TimedOut if left.is_some_and(|l| l <= slice) => {
                return WaitOutcome::TimedOut
            }
            // A slice ended: look at the flag again (top of the loop) and wait on.
            EngineWait::TimedOut => {}
            EngineWait::Closed => return WaitOutcome::Interrupted,
            EngineWait::Woken if ctx.threads.epoch() == epoch => return WaitOutcome::Woken,
            EngineWait::Woken => {
                if ctx.threads.was_me() {
                    return WaitOutcome::Interrupted;
                }
                let now = with_call(env, |c| c.mem.load_u32_atomic(addr as u64));
                if !matches!(now, Ok(Some(v)) if v == expected) {
                    return WaitOutcome::Woken;
                }
            }
        }
    }
}

/// Longest single engine wait (see [`engine_wait`]): the worst-case delay of an interrupt
/// that raced the start of a futex wait on a shared memory.
const ENGINE_SLICE: Duration = Duration::from_millis(200);

fn wake<M: MemSize>(
    env: &mut FunctionEnvMut<WasiEnv>,
    name: &'static str,
    futex: M::Offset,
    out: M::Offset,
    n: u32,
) -> i32 {
    let (f, o) = (M::to_u64(futex), M::to_u64(out));
    let engine = env.data().atomics.clone().filter(|_| f <= u32::MAX as u64);
    let Some(a) = engine else {
        return run(env, name, [f, o], |c| {
            let addr = futex_addr(c, f)?;
            c.mem.check_range(o, 1)?;
            let woke = c.ctx.threads.futexes.wake(addr, n as usize);
            Ok(c.mem.write::<u8>(o, (woke > 0) as u8)?)
        });
    };
    // The memory's own queues (waiters of futex_wait and of memory.atomic.wait32): check
    // the arguments, notify through this thread's store, then report.
    let checked = with_call(env, |c| {
        let addr = futex_addr(c, f)?;
        c.mem.check_range(o, 1)?;
        Ok::<_, Errno>(addr)
    });
    let woke = match checked {
        Ok(addr) => a.notify(&mut env.as_store_mut(), addr as u32, n),
        Err(_) => 0,
    };
    run(env, name, [f, o], |c| {
        checked?;
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
    wake::<M>(&mut env, "futex_wake_all", futex, out, u32::MAX)
}

/// The main thread's id (wasix-libc's placeholder for it included) as the given tid.
pub fn resolve_tid(tid: u32) -> u32 {
    if tid == crate::witx::signal::LIBC_MAIN_TID {
        MAIN_TID
    } else {
        tid
    }
}
