//! setjmp/longjmp of wasix-libc's asyncify builds: `stack_checkpoint(jmp_buf*, ret*)` and
//! `stack_restore(jmp_buf*, val)`. A checkpoint unwinds the caller's frames (see
//! [`super::asyncify`]), keeps the saved bytes and globals here, and rewinds at once (the
//! call returns 0); a restore unwinds the current frames, throws them away, and rewinds
//! the kept ones (the checkpoint call returns `val` a second time). The stack memory is
//! not restored, as C's longjmp leaves it.
//!
//! The guest's `jmp_buf` holds a 24-byte token {user u64, hash 16 bytes} — the current ABI's
//! `stack_snapshot`; the 2022 ABI's larger struct begins the same way and the guest never
//! reads it. The token names the checkpoint by (generation, a per-process tag), so a stale
//! or forged buffer never rewinds another frame list.

use super::asyncify::Globals;
use super::procs::{asyncify_of, note, set_resume, take_resume, Resume};
use crate::core::process::MAIN_TID;
use crate::guest::MemSize;
use crate::witx::env::{run, WasiEnv};
use crate::witx::errno::Errno;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wasmer::{AsStoreMut, FunctionEnvMut, RuntimeError};

/// Most live checkpoints per process: the oldest goes first (a program that setjmps into
/// ever new buffers must not grow the host without bound).
pub const MAX_CHECKPOINTS: usize = 4096;

/// The `stack_snapshot` size the guest's buffer must have.
const TOKEN: u64 = 24;

#[derive(Clone)]
struct Checkpoint {
    generation: u64,
    saved: Vec<u8>,
    globals: Globals,
    sp: u64,
}

/// The checkpoints of one process, by (thread, jmp_buf address): a new setjmp into the
/// same buffer replaces the old one (which C no longer allows jumping to).
pub struct Checkpoints {
    inner: Mutex<Inner>,
}

struct Inner {
    next: u64,
    tag: u64,
    live: HashMap<(u32, u64), Arc<Checkpoint>>,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Checkpoints {
            inner: Mutex::new(Inner {
                next: 1,
                tag: crate::core::random::secure_u64().unwrap_or(0x5eed),
                live: HashMap::new(),
            }),
        }
    }
}

impl Checkpoints {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self) -> (u64, u64) {
        let mut g = self.lock();
        g.next += 1;
        (g.next, g.tag)
    }

    fn insert(&self, key: (u32, u64), cp: Checkpoint) {
        let cp = Arc::new(cp);
        let mut g = self.lock();
        if g.live.len() >= MAX_CHECKPOINTS && !g.live.contains_key(&key) {
            if let Some(oldest) = g
                .live
                .iter()
                .min_by_key(|(_, c)| c.generation)
                .map(|(k, _)| *k)
            {
                g.live.remove(&oldest);
            }
        }
        g.live.insert(key, cp);
    }

    /// Shared, not copied: a longjmp rewinds the kept frames without copying them.
    fn find(&self, key: (u32, u64), generation: u64, tag: u64) -> Option<Arc<Checkpoint>> {
        let g = self.lock();
        if tag != g.tag {
            return None;
        }
        g.live
            .get(&key)
            .filter(|c| c.generation == generation)
            .cloned()
    }

    /// A vfork child hands the instance back: the checkpoints it made (their tokens are in
    /// the memory it shared with this process) become this process's, and generations go
    /// on after the child's, so no token is given twice.
    pub fn adopt(&self, child: &Checkpoints) {
        let (next, live): (u64, Vec<_>) = {
            let c = child.lock();
            (
                c.next,
                c.live.iter().map(|(k, v)| (*k, v.clone())).collect(),
            )
        };
        let mut g = self.lock();
        g.next = g.next.max(next);
        for (k, v) in live {
            g.live.insert(k, v);
        }
        while g.live.len() > MAX_CHECKPOINTS {
            let Some(oldest) = g
                .live
                .iter()
                .min_by_key(|(_, c)| c.generation)
                .map(|(k, _)| *k)
            else {
                break;
            };
            g.live.remove(&oldest);
        }
    }

    /// A forked child's: the main thread's checkpoints, same tag (the child's memory holds
    /// the same tokens).
    pub fn fork_copy(&self) -> Checkpoints {
        let g = self.lock();
        Checkpoints {
            inner: Mutex::new(Inner {
                next: g.next,
                tag: g.tag,
                live: g
                    .live
                    .iter()
                    .filter(|((t, _), _)| *t == MAIN_TID)
                    .map(|(k, v)| (*k, v.clone()))
                    .collect(),
            }),
        }
    }
}

/// `stack_checkpoint(snapshot*, ret*)`: 0 now, `val` when a `stack_restore` comes back.
/// `notsup` for a module that is not asyncified, from a thread other than the main one
/// (its stack's bounds are unknown here) or inside a signal handler; wasix-libc's setjmp
/// traps then.
pub fn stack_checkpoint<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    snap: M::Offset,
    ret: M::Offset,
) -> Result<i32, RuntimeError> {
    let (snap, ret) = (M::to_u64(snap), M::to_u64(ret));
    if let Some(r) = take_resume(&mut env)? {
        let e = run(&mut env, "stack_checkpoint", [snap, ret], |c| {
            Ok(c.mem.write::<u64>(ret, r.value)?)
        });
        note::<M>(&env, "stack_checkpoint", Some(e), 2);
        // The rewind is over: a thread that only computes and setjmps (dash's `while :; do
        // :; done` calls no other import) takes its process's end and its pending signals
        // here, or `kill` would never reach it.
        crate::witx::env::after_rewind(&mut env)?;
        return Ok(e);
    }
    let a = asyncify_of(&mut env);
    let (tid, nested) = (env.data().tid, super::signal::in_handler());
    let ctx = env.data().ctx.clone();
    let mut generation = 0;
    let e = run(&mut env, "stack_checkpoint", [snap, ret], |c| {
        c.mem.check_range(snap, TOKEN)?;
        c.mem.check_range(ret, 8)?;
        if a.is_none() || tid != MAIN_TID || nested {
            return Err(Errno::NOTSUP);
        }
        let (g, tag) = c.ctx.checkpoints.next();
        generation = g;
        let mut token = [0u8; TOKEN as usize];
        token[..8].copy_from_slice(&ret.to_le_bytes());
        token[8..16].copy_from_slice(&g.to_le_bytes());
        token[16..].copy_from_slice(&tag.to_le_bytes());
        c.mem.write_bytes(snap, &token)?;
        Ok(c.mem.write::<u64>(ret, 0)?)
    });
    if e != 0 {
        note::<M>(&env, "stack_checkpoint", Some(e), 2);
        return Ok(e);
    }
    let a = a.expect("checked");
    let globals = a.globals(&mut env);
    let unwound = match a.begin_unwind(&mut env) {
        Ok(u) => u,
        Err(e) => {
            note::<M>(&env, "stack_checkpoint", Some(e.0 as i32), 2);
            return Ok(e.0 as i32);
        }
    };
    env.as_store_mut().on_called(move |mut store| {
        let saved = a.end_unwind(&mut store, &unwound)?;
        a.set_globals(&mut store, &globals);
        let cp = Checkpoint {
            generation,
            saved,
            globals,
            sp: unwound.sp,
        };
        a.begin_rewind(&mut store, cp.sp, &cp.saved)?;
        ctx.checkpoints.insert((tid, snap), cp);
        set_resume(Resume {
            errno: Errno::SUCCESS,
            value: 0,
        });
        Ok(wasmer::OnCalledAction::InvokeAgain)
    });
    Ok(0)
}

/// `stack_restore(snapshot*, val)`: returns to the checkpoint the buffer names, whose
/// call then returns `val`. A buffer that names no live checkpoint of this thread (never
/// set, replaced, from another process or thread, or forged) ends the process with a trap:
/// there is no errno to return and no frame to go back to.
pub fn stack_restore<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    snap: M::Offset,
    val: u64,
) -> Result<(), RuntimeError> {
    let snap = M::to_u64(snap);
    let tid = env.data().tid;
    let mut token = [0u8; TOKEN as usize];
    let e = run(&mut env, "stack_restore", [snap, val], |c| {
        token.copy_from_slice(c.mem.slice(snap, TOKEN)?);
        Ok(())
    });
    let word = |i: usize| u64::from_le_bytes(token[i..i + 8].try_into().expect("8 bytes"));
    let cp = match e {
        0 => env
            .data()
            .ctx
            .checkpoints
            .find((tid, snap), word(8), word(16)),
        _ => None,
    };
    let stale = || RuntimeError::new("longjmp to a jmp_buf that is not live (stack_restore)");
    // A restore that goes through is seen as "none" (it returns into the checkpoint).
    note::<M>(
        &env,
        "stack_restore",
        cp.as_ref().map(|_| u16::MAX as i32),
        2,
    );
    let cp = cp.ok_or_else(stale)?;
    let a = asyncify_of(&mut env).ok_or_else(stale)?;
    let unwound = a
        .begin_unwind(&mut env)
        .map_err(|_| RuntimeError::new("stack_restore: cannot unwind"))?;
    env.as_store_mut().on_called(move |mut store| {
        a.end_unwind(&mut store, &unwound)?;
        a.set_globals(&mut store, &cp.globals);
        a.begin_rewind(&mut store, cp.sp, &cp.saved)?;
        set_resume(Resume {
            errno: Errno::SUCCESS,
            value: val,
        });
        Ok(wasmer::OnCalledAction::InvokeAgain)
    });
    Ok(())
}
