//! vfork in place (`proc_fork(copy_memory = 0)`): the child borrows its parent's instance
//! and memory until it execs or exits, as on Linux, instead of getting a copy of both.
//! Shells vfork for every external command, so this saves a memory copy and an instance
//! per command.
//!
//! vfork unwinds the caller (see [`super::asyncify`]) and keeps the frames; every import
//! of the instance is pointed at the child's context (its pid, fds, signals); the frames
//! are rewound at once and `vfork()` returns 0 — the child runs. When the child execs (the
//! new image starts on a thread of its own, as a spawn would), exits or is killed, the
//! imports are pointed back at the parent, the child's frames are unwound and thrown away,
//! and the kept ones rewound: `vfork()` returns the child's pid — the parent runs on.
//!
//! The child runs on the parent's memory, stack included, as Linux's vfork child does: it
//! may only exec or exit (dash's vfork child only does that). A trap in the child is a
//! trap of the instance, and so of the parent.

use super::asyncify::{Asyncify, Globals, Unwound};
use super::procs::{set_resume, Resume};
use crate::core::io::poll::current_interrupter;
use crate::core::process::MAIN_TID;
use crate::core::proctable::Status;
use crate::witx::env::WasiEnv;
use crate::witx::errno::Errno;
use crate::witx::WasiCtx;
use std::sync::{Arc, Mutex};
use wasmer::{AsStoreMut, FunctionEnvMut, RuntimeError};

/// What a vfork child keeps of its parent until it gives the instance back.
pub struct VforkParent {
    pub parent: Arc<WasiCtx>,
    /// The parent's frames at the vfork call, and its globals and stack pointer there.
    saved: Vec<u8>,
    globals: Globals,
    sp: u64,
}

/// Set in a vfork child's context while it borrows its parent's instance.
pub type VforkSlot = Mutex<Option<VforkParent>>;

/// Points every import of the calling instance at `ctx`, and the calling OS thread's
/// interrupts at `ctx`'s main thread.
fn point_imports_at(env: &mut FunctionEnvMut<WasiEnv>, ctx: &Arc<WasiCtx>) {
    let siblings = env.data().siblings.clone();
    for fe in &siblings {
        fe.as_mut(env).ctx = ctx.clone();
    }
    env.data_mut().ctx = ctx.clone();
    ctx.threads.attach(MAIN_TID, current_interrupter());
}

/// vfork (from `proc_fork`, whose checks have passed): `child` is the child's context,
/// its pid reserved and attached. Starts the unwind; the engine's hook then rewinds into
/// `proc_fork`, which returns 0 as the child.
pub(super) fn start(
    env: &mut FunctionEnvMut<WasiEnv>,
    a: Asyncify,
    child: Arc<WasiCtx>,
) -> Result<(), Errno> {
    let parent = env.data().ctx.clone();
    let globals = a.globals(env);
    let unwound: Unwound = a.begin_unwind(env)?;
    point_imports_at(env, &child);
    env.as_store_mut().on_called(move |mut store| {
        let saved = a.end_unwind(&mut store, &unwound)?;
        a.set_globals(&mut store, &globals);
        a.begin_rewind(&mut store, unwound.sp, &saved)?;
        *child.vfork.lock().unwrap_or_else(|e| e.into_inner()) = Some(VforkParent {
            parent,
            saved,
            globals,
            sp: unwound.sp,
        });
        set_resume(Resume {
            errno: Errno::SUCCESS,
            value: 0,
        });
        Ok(wasmer::OnCalledAction::InvokeAgain)
    });
    Ok(())
}

/// Whether the calling instance is lent to a vfork child.
pub fn active(env: &FunctionEnvMut<WasiEnv>) -> bool {
    env.data()
        .ctx
        .vfork
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some()
}

/// The vfork child gives the instance back (it exec'd into a process of its own, or
/// ended with `status`, already reported): the imports point at the parent again, the
/// child's frames are unwound and dropped, and the parent's are rewound so that its
/// `vfork()` returns the child's pid. The caller returns at once (the unwind is running).
pub fn give_back(env: &mut FunctionEnvMut<WasiEnv>) -> Result<(), RuntimeError> {
    let child = env.data().ctx.clone();
    let Some(back) = child.vfork.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return Ok(());
    };
    let a = super::procs::asyncify_of(env)
        .ok_or_else(|| RuntimeError::new("vfork child without asyncify"))?;
    let unwound = a
        .begin_unwind(env)
        .map_err(|e| RuntimeError::new(format!("vfork child cannot unwind: errno {}", e.0)))?;
    point_imports_at(env, &back.parent);
    // The child's setjmps wrote their tokens into the memory it shares with the parent.
    back.parent.checkpoints.adopt(&child.checkpoints);
    let pid = child.pid;
    env.as_store_mut().on_called(move |mut store| {
        a.end_unwind(&mut store, &unwound)?;
        a.set_globals(&mut store, &back.globals);
        a.begin_rewind(&mut store, back.sp, &back.saved)?;
        set_resume(Resume {
            errno: Errno::SUCCESS,
            value: pid as u64,
        });
        Ok(wasmer::OnCalledAction::InvokeAgain)
    });
    Ok(())
}

/// The vfork child ends with `status` (exit, or a signal's end): its fds close, its parent
/// learns the status, and the instance goes back to the parent.
pub fn child_ends(env: &mut FunctionEnvMut<WasiEnv>, status: Status) -> Result<(), RuntimeError> {
    let child = env.data().ctx.clone();
    child.release();
    child.family.exit(child.pid, status);
    give_back(env)
}
