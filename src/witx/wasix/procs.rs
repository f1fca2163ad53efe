//! WASIX processes: `proc_id`, `proc_parent`, `proc_join` (both ABI generations),
//! `proc_signal`, `proc_fork`, `proc_fork_env`, `proc_snapshot`. The books are the core's
//! [`ProcTable`](crate::core::proctable::ProcTable); running a child (a new instance on
//! its own OS thread) is the host's, behind [`Launch`].
//!
//! fork needs an asyncify-transformed module (see [`super::asyncify`]): the import unwinds
//! the caller, the engine's `on_called` hook copies the memory, starts the child rewinding
//! into the same import (which returns 0 there), and rewinds the parent (which gets the
//! child's pid). Only the main thread of a process may fork, outside signal handlers.

use super::asyncify::{Asyncify, Globals};
use crate::core::futex::WaitOutcome;
use crate::core::process::MAIN_TID;
use crate::core::proctable::{ProcError, Status, Which, CHILD_EVENTS_KEY};
use crate::guest::MemSize;
use crate::witx::env::{run, run_blocking, Call, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::WasiCtx;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wasmer::{AsStoreMut, FunctionEnvMut, RuntimeError, SharedMemory};

/// What a fork child starts from.
pub struct ForkState {
    /// The parent's mutable exported globals at the fork call.
    pub globals: Globals,
    /// The stack pointer at the fork call (the asyncify buffer ends there).
    pub sp: u64,
    /// The unwound frames, to rewind.
    pub saved: Vec<u8>,
}

/// The host side of processes: starting a forked child or a new program.
pub trait Launch: Send + Sync {
    /// Runs `child` (reserved and attached in the family) as a new instance of the
    /// caller's module on a copy of the caller's `memory` (of type `.1`; it does not change
    /// until this returns), rewinding `state` so that the fork import returns 0 in it. An
    /// error leaves the pid to the caller to release.
    fn fork(
        &self,
        child: Arc<WasiCtx>,
        memory: (SharedMemory, wasmer::MemoryType),
        state: ForkState,
    ) -> Result<(), Errno>;
    /// Compiles a program for exec or spawn and checks that it can run here (a command
    /// whose every import we provide): `noexec` otherwise.
    fn load(&self, bytes: &[u8]) -> Result<wasmer::Module, Errno>;
    /// Runs `child` (reserved and attached) from `module`'s `_start` on a new thread.
    fn spawn(&self, child: Arc<WasiCtx>, module: wasmer::Module) -> Result<(), Errno>;
}

/// exec unwinds the old image with this: the host's run loop starts `module` with `ctx`
/// (the same pid, the fds that survive exec) in its place.
#[derive(thiserror::Error)]
#[error("exec")]
pub struct ExecImage {
    pub module: wasmer::Module,
    pub ctx: Arc<WasiCtx>,
}

impl std::fmt::Debug for ExecImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exec of pid {}", self.ctx.pid)
    }
}

/// What a rewound import returns once the rewind reaches it.
#[derive(Clone, Copy, Debug)]
pub struct Resume {
    pub errno: Errno,
    pub value: u64,
}

impl From<ProcError> for Errno {
    fn from(e: ProcError) -> Errno {
        match e {
            ProcError::NoChild => Errno::CHILD,
            ProcError::NoProcess => Errno::SRCH,
            ProcError::Again => Errno::AGAIN,
        }
    }
}

/// `proc_id() -> pid`.
pub fn proc_id<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "proc_id", [out], |c| {
        Ok(c.mem.write::<u32>(out, c.ctx.pid)?)
    })
}

/// `proc_parent(pid) -> ppid`: the parent of `pid` (the caller's for its own pid or 0);
/// 0 for the root; `srch` for a pid not in the family.
pub fn proc_parent<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, pid: u32, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "proc_parent", [pid as u64, out], |c| {
        let who = if pid == 0 { c.ctx.pid } else { pid };
        let ppid = c.ctx.family.parent(who).ok_or(Errno::SRCH)?;
        Ok(c.mem.write::<u32>(out, ppid)?)
    })
}

/// `join_flags`: NON_BLOCKING, WAKE_STOPPED.
const JOIN_NON_BLOCKING: u32 = 1;
const JOIN_KNOWN: u32 = 3;

/// Waits for (or, non-blocking, looks for) an ended child of the caller. `Ok(None)`: none
/// has ended yet (non-blocking only).
fn join(c: &Call<'_>, which: Which, nonblocking: bool) -> Result<Option<(u32, Status)>, Errno> {
    let p = &c.ctx.process;
    loop {
        // The counter is read before looking, so an exit between the look and the wait
        // changes it and the wait does not sleep.
        let seen = p.child_events.load(Ordering::SeqCst);
        if let Some(found) = p.family.try_join(p.pid, which)? {
            return Ok(Some(found));
        }
        if nonblocking {
            return Ok(None);
        }
        let now = || Ok::<_, ()>(p.child_events.load(Ordering::SeqCst));
        match p.threads.futexes.wait(CHILD_EVENTS_KEY, seen, now, None) {
            Ok(WaitOutcome::Interrupted) => return Err(Errno::INTR),
            _ => continue,
        }
    }
}

/// `proc_join(pid*, flags, status*)`: `option_pid` in (none = any child) and out (the
/// child that ended); `join_status` {tag u8, then at 2: exit code u16 | (exit code u16,
/// signal u8)}. Non-blocking with nothing ended: `Some(0)` and status `nothing`, which
/// wasix-libc's waitpid returns as 0. No child to wait for: `child`.
pub fn proc_join<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    pid_io: M::Offset,
    flags: u32,
    status: M::Offset,
) -> Result<i32, RuntimeError> {
    let (pid_io, status) = (M::to_u64(pid_io), M::to_u64(status));
    run_blocking(&mut env, "proc_join", [pid_io, flags as u64, status], |c| {
        let tag = c.mem.read::<u8>(pid_io)?;
        let which = match tag {
            0 => Which::Any,
            1 => Which::Pid(c.mem.read::<u32>(pid_io + 4)?),
            _ => return Err(Errno::INVAL),
        };
        c.mem.check_range(status, 6)?;
        if flags & !JOIN_KNOWN != 0 {
            return Err(Errno::INVAL);
        }
        // wasmer-wasix writes "none" and "nothing" first: a failed join leaves them.
        c.mem.write::<u8>(pid_io, 0)?;
        c.mem.write::<u8>(status, 0)?;
        let (pid, st) = match join(c, which, flags & JOIN_NON_BLOCKING != 0)? {
            Some(found) => found,
            None => {
                c.mem.write::<u8>(pid_io, 1)?;
                return Ok(c.mem.write::<u32>(pid_io + 4, 0)?);
            }
        };
        c.mem.write::<u8>(pid_io, 1)?;
        c.mem.write::<u32>(pid_io + 4, pid)?;
        match st {
            Status::Exited(code) => {
                c.mem.write::<u8>(status, 1)?;
                c.mem.write::<u16>(status + 2, code as u16)?;
            }
            Status::Signaled(sig) => {
                // exit_code 0 is what makes wasix-libc's W_EXITCODE a signal status.
                c.mem.write::<u8>(status, 2)?;
                c.mem.write::<u16>(status + 2, 0)?;
                c.mem.write::<u8>(status + 4, sig)?;
            }
        }
        Ok(())
    })
}

/// The 2022 ABI's `proc_join(pid, exitcode*)`: waits for child `pid` (`-1`: any child);
/// the exit code, or 128 + the signal, written as a u32 (that libc's waitpid stores it in
/// `*status` unchanged).
pub fn proc_join_2022<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    pid: u32,
    out: M::Offset,
) -> Result<i32, RuntimeError> {
    let out = M::to_u64(out);
    run_blocking(&mut env, "proc_join", [pid as u64, out], |c| {
        c.mem.check_range(out, 4)?;
        let which = match pid as i32 {
            -1 => Which::Any,
            p => Which::Pid(p as u32),
        };
        let (_, st) = join(c, which, false)?.ok_or(Errno::CHILD)?;
        let code = match st {
            Status::Exited(c) => c as u32,
            Status::Signaled(s) => 128 + s as u32,
        };
        Ok(c.mem.write::<u32>(out, code)?)
    })
}

/// `proc_signal(pid, sig)`: `pid > 0` that process, `0` the caller's group, `-1` every
/// process of the family but the root and the caller, `< -1` the group `-pid`. To the
/// caller itself the signal is delivered before the call returns. Signal 0 checks that
/// the target exists.
pub fn proc_signal(
    mut env: FunctionEnvMut<WasiEnv>,
    pid: u32,
    sig: u32,
) -> Result<i32, RuntimeError> {
    let me = env.data().ctx.pid;
    let mut targets = Vec::new();
    let r = run(&mut env, "proc_signal", [pid as u64, sig as u64], |c| {
        if sig > crate::witx::proc::WASIX_SIGNALS.last {
            return Err(Errno::INVAL);
        }
        targets = c.ctx.family.targets(me, pid as i32)?;
        Ok(())
    });
    if r != 0 || sig == 0 {
        return Ok(r);
    }
    let mut to_me = false;
    for p in targets {
        if p.pid == me {
            to_me = true;
        } else {
            super::signal::signal_process(&p, sig);
        }
    }
    if to_me {
        super::signal::deliver(&mut env, sig, &crate::witx::proc::WASIX_SIGNALS)?;
    }
    Ok(r)
}

/// `proc_snapshot()`: `notsup` — there is no journal to snapshot into.
pub fn proc_snapshot(mut env: FunctionEnvMut<WasiEnv>) -> i32 {
    run(&mut env, "proc_snapshot", [], |_| Err(Errno::NOTSUP))
}

/// `proc_fork_env(pid*)`: the vfork of exception-handling builds of wasix-libc (the child
/// borrows the parent's instance until it execs or exits). `notsup`: asyncify builds use
/// `proc_fork(0)`, which works.
pub fn proc_fork_env<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "proc_fork_env", [out], |c| {
        c.mem.check_range(out, 4)?;
        Err(Errno::NOTSUP)
    })
}

thread_local! {
    /// What the import an asyncify rewind re-enters returns. Per OS thread: the hook that
    /// sets it runs on the thread of the store whose entry it re-invokes, and each guest
    /// thread has its own OS thread.
    static PENDING: std::cell::Cell<Option<Resume>> = const { std::cell::Cell::new(None) };
}

/// The rewind about to start on this thread ends in an import that returns `r`.
pub fn set_resume(r: Resume) {
    PENDING.with(|p| p.set(Some(r)));
}

/// Takes the result a rewind brought back to this import, ending the rewind.
pub(super) fn take_resume(
    env: &mut FunctionEnvMut<WasiEnv>,
) -> Result<Option<Resume>, RuntimeError> {
    let Some(r) = PENDING.with(|p| p.take()) else {
        return Ok(None);
    };
    let a = asyncify_of(env).ok_or_else(|| RuntimeError::new("rewind without asyncify"))?;
    a.end_rewind(env)?;
    Ok(Some(r))
}

/// Records a call of an asyncify import (they are not wrapped: see
/// [`UNWRAPPED`](crate::witx::record::UNWRAPPED)); `None` is a trap.
pub(super) fn note<M: MemSize>(
    env: &FunctionEnvMut<WasiEnv>,
    name: &str,
    errno: Option<i32>,
    arity: usize,
) {
    let _ = M::BYTES;
    let result = match errno {
        // A noreturn import that went through.
        Some(e) if e == u16::MAX as i32 => "none".to_string(),
        Some(e) => crate::witx::record::errno_result(e),
        None => "trap".to_string(),
    };
    crate::witx::record::note_unwrapped(env.data(), name, &result, arity);
}

/// The calling instance's asyncify exports, if it has them.
/// Looked up once per instance (every setjmp and longjmp asks twice), once its exports are
/// known.
pub(super) fn asyncify_of(env: &mut FunctionEnvMut<WasiEnv>) -> Option<Asyncify> {
    let (data, mut store) = env.data_and_store_mut();
    if let Some(a) = &data.asyncify {
        return a.clone();
    }
    let memory = data.memory.clone()?;
    let exports = data.exports.as_ref()?;
    let pie = data
        .dl
        .as_ref()
        .map(crate::host::dylink::store::asyncify_stack);
    let a = Asyncify::find_in(&mut store, exports, &memory, pie);
    data.asyncify = Some(a.clone());
    a
}

/// `proc_fork(copy_memory, pid*)`: the child gets 0, the parent the child's pid. vfork
/// (`copy_memory` 0) is a fork too, as POSIX allows. `notsup` for a module that is not
/// asyncified or has no shared memory, from a thread other than the main one, from a
/// signal handler, or from a WASIX context other than the main one; `again` at the process
/// limit.
pub fn proc_fork<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    copy_memory: u32,
    out: M::Offset,
) -> Result<i32, RuntimeError> {
    let out = M::to_u64(out);
    if let Some(r) = take_resume(&mut env)? {
        let value = r.value as u32;
        let e = run(&mut env, "proc_fork", [copy_memory as u64, out], |c| {
            c.mem.write::<u32>(out, value)?;
            match r.errno {
                Errno::SUCCESS => Ok(()),
                e => Err(e),
            }
        });
        note::<M>(&env, "proc_fork", Some(e), 2);
        return Ok(e);
    }
    let a = asyncify_of(&mut env);
    let (tid, nested) = (env.data().tid, super::signal::in_handler());
    // A vfork child may only exec or exit.
    let lent = super::vfork::active(&env);
    let main_ctx = super::context::on_main(&env);
    let ctx = env.data().ctx.clone();
    let memory = env.data().memory.clone();
    let mut child = 0;
    let e = run(&mut env, "proc_fork", [copy_memory as u64, out], |c| {
        c.mem.check_range(out, 4)?;
        // Only the main context forks (as in wasmer-wasix).
        if a.is_none() || tid != MAIN_TID || nested || lent || !main_ctx || !c.mem.is_shared() {
            return Err(Errno::NOTSUP);
        }
        c.ctx.launcher.get().ok_or(Errno::NOTSUP)?;
        child = c.ctx.family.reserve(c.ctx.pid)?;
        c.mem.write::<u32>(out, 0)?;
        Ok(())
    });
    if e != 0 {
        note::<M>(&env, "proc_fork", Some(e), 2);
        return Ok(e);
    }
    let (a, memory) = (a.expect("checked"), memory.expect("shared"));
    if copy_memory == 0 {
        // vfork: the child borrows this instance until it execs or exits.
        let process = Arc::new(ctx.process.fork_copy(child));
        ctx.family.attach(child, &process);
        let cctx = Arc::new(ctx.fork_copy(process));
        if let Some(l) = ctx.launcher.get() {
            let _ = cctx.launcher.set(l.clone());
        }
        if let Err(e) = super::vfork::start(&mut env, a, cctx) {
            ctx.family.release(child);
            note::<M>(&env, "proc_fork", Some(e.0 as i32), 2);
            return Ok(e.0 as i32);
        }
        return Ok(0);
    }
    let globals = a.globals(&mut env);
    let unwound = match a.begin_unwind(&mut env) {
        Ok(u) => u,
        Err(e) => {
            ctx.family.release(child);
            note::<M>(&env, "proc_fork", Some(e.0 as i32), 2);
            return Ok(e.0 as i32);
        }
    };
    env.as_store_mut().on_called(move |mut store| {
        let saved = a.end_unwind(&mut store, &unwound)?;
        a.set_globals(&mut store, &globals);
        let state = ForkState {
            globals: globals.clone(),
            sp: unwound.sp,
            saved: saved.clone(),
        };
        let ty = memory.ty(&store);
        let started = memory
            .as_shared(&store)
            .ok_or(Errno::NOTSUP)
            .and_then(|parent| start_child(&ctx, child, (parent, ty), state));
        let resume = match started {
            Ok(()) => Resume {
                errno: Errno::SUCCESS,
                value: child as u64,
            },
            Err(e) => {
                ctx.family.release(child);
                Resume { errno: e, value: 0 }
            }
        };
        set_resume(resume);
        a.begin_rewind(&mut store, unwound.sp, &saved)?;
        Ok(wasmer::OnCalledAction::InvokeAgain)
    });
    Ok(0)
}

/// The child process of a fork: its core process (fds, cwd, signal names copied), its
/// context (setjmp checkpoints copied), started by the host.
fn start_child(
    parent: &Arc<WasiCtx>,
    pid: u32,
    memory: (SharedMemory, wasmer::MemoryType),
    state: ForkState,
) -> Result<(), Errno> {
    let launcher = parent.launcher.get().ok_or(Errno::NOTSUP)?.clone();
    let process = Arc::new(parent.process.fork_copy(pid));
    parent.family.attach(pid, &process);
    let ctx = Arc::new(parent.fork_copy(process));
    launcher.fork(ctx, memory, state)
}
