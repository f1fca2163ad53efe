//! WASIX contexts (wasix-libc's `wasix/context.h`): `context_create(id*, entrypoint)`,
//! `context_switch(id)`, `context_destroy(id)` — lightweight execution contexts with call
//! stacks of their own, on one thread.
//!
//! Built on asyncify (see [`super::asyncify`]), as setjmp is, instead of wasmer-wasix's
//! async engine. The main context (id 0) is the host's entry call (`_start`). A switch
//! unwinds the active context's frames to the host and keeps them (saved bytes, mutable
//! globals, stack pointer); then the engine's `on_called` hook of the entry call — the
//! *driver* — runs the target: a new context by calling its entrypoint from the indirect
//! function table (a nested call, on its own stack), a suspended one by rewinding its kept
//! frames into that same entrypoint, and the main context by rewinding into the entry
//! call (the hook returns `InvokeAgain`). A switch made inside a nested call only leaves
//! its request here: the nested call returns to the driver, which goes on with it, so the
//! host stack does not grow with the number of switches.
//!
//! Stacks: each context gets its own shadow stack of [`STACK_SIZE`] bytes, taken from
//! fresh pages the host adds with `memory.grow` (malloc never hands them out: wasix-libc's
//! `sbrk` always grows past the current end), reused after `context_destroy`. A context
//! starts with `__stack_pointer` at the top of its stack, and every context gets its own
//! pointer back when resumed, so stacks never clobber each other. Its asyncify buffer
//! lies at the bottom of its own stack, below anything live.
//!
//! An entrypoint that returns, or traps, ends the run with a trap (the main context is
//! resumed with it, as in wasmer-wasix). A `proc_exit` in a context ends the process.
//! Contexts need an asyncified module, the main thread, no signal handler running and no
//! vfork child borrowing the instance; otherwise every call is `notsup`.

use super::asyncify::{Asyncify, Globals, Unwound};
use super::procs::{asyncify_of, set_resume, take_resume, Resume};
use crate::core::process::MAIN_TID;
use crate::guest::MemSize;
use crate::witx::env::{run, with_call, WasiEnv};
use crate::witx::errno::Errno;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use wasmer::{AsStoreMut, Function, FunctionEnvMut, OnCalledAction, Pages, RuntimeError, StoreMut};

/// The main context's id.
pub const MAIN: u64 = 0;

/// Bytes of shadow stack per context (wasix-libc's main thread has 8 MiB; a context, like
/// a small thread, 1 MiB). Host-grown pages are reserved address space until touched.
pub const STACK_SIZE: u64 = 1 << 20;

const PAGE: u64 = 65536;

/// A context's frames while it is suspended.
struct Frames {
    saved: Vec<u8>,
    globals: Globals,
    sp: u64,
}

enum State {
    /// Created, never run: the next switch calls the entrypoint.
    Fresh,
    /// The active context (or the one the driver is about to run).
    Running,
    Suspended(Frames),
}

struct Context {
    entry: Function,
    /// The bottom of its stack (the top is `stack + STACK_SIZE`).
    stack: u64,
    state: State,
}

/// A switch the active context asked for, its frames unwound.
struct Switch {
    from: u64,
    to: u64,
    unwound: Unwound,
    globals: Globals,
}

/// The contexts of one instance (its main thread).
#[derive(Default)]
pub struct Contexts {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    active: u64,
    /// The last id given (ids are never reused).
    last: u64,
    live: HashMap<u64, Context>,
    /// The main context's frames while another one runs.
    main: Option<Frames>,
    request: Option<Switch>,
    /// Stacks of destroyed contexts, for new ones.
    free: Vec<u64>,
}

impl Contexts {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The active context's id.
    pub fn active(&self) -> u64 {
        self.lock().active
    }
}

impl Inner {
    /// Whether a switch to `id` (not the active one) may go: the main context, or one
    /// created and not destroyed.
    fn can_resume(&self, id: u64) -> bool {
        id == MAIN
            || self
                .live
                .get(&id)
                .is_some_and(|c| !matches!(c.state, State::Running))
    }

    fn stack_of(&self, id: u64) -> Option<u64> {
        self.live.get(&id).map(|c| c.stack)
    }
}

/// Whether the calling instance runs its main context (fork is refused elsewhere).
pub fn on_main(env: &FunctionEnvMut<WasiEnv>) -> bool {
    env.data().contexts.active() == MAIN
}

/// The instance's asyncify exports when contexts can work here (see the module doc).
fn usable(env: &mut FunctionEnvMut<WasiEnv>) -> Option<Asyncify> {
    if env.data().tid != MAIN_TID || super::signal::in_handler() || super::vfork::active(env) {
        return None;
    }
    asyncify_of(env)
}

/// The `() -> ()` function at `index` of the instance's function table; `inval` for an
/// index out of the table, a null entry, another signature, or no table at all.
fn entrypoint(env: &mut FunctionEnvMut<WasiEnv>, index: u32) -> Result<Function, Errno> {
    let void = wasmer::FunctionType::new([], []);
    super::table::lookup(env, index as u64, Some(&void)).map_err(|_| Errno::INVAL)
}

/// A stack for a new context: a destroyed one's, or [`STACK_SIZE`] fresh bytes at the end
/// of memory; `nomem` when memory cannot grow.
fn new_stack(env: &mut FunctionEnvMut<WasiEnv>, cs: &Contexts) -> Result<u64, Errno> {
    if let Some(s) = cs.lock().free.pop() {
        return Ok(s);
    }
    let (data, mut store) = env.data_and_store_mut();
    let memory = data.memory.clone().ok_or(Errno::NOTSUP)?;
    let old = memory
        .grow(&mut store, Pages((STACK_SIZE / PAGE) as u32))
        .map_err(|_| Errno::NOMEM)?;
    Ok(u64::from(old.0) * PAGE)
}

/// `context_create(id*, entrypoint)`: a new suspended context whose first resumption calls
/// `entrypoint` (an index into the function table, of a `() -> ()` function) on a stack
/// of its own. In this order: `memviolation` for a bad `id*`, `notsup` where contexts
/// cannot work (see the module doc), `inval` for a bad entrypoint, `nomem` when no stack
/// can be had.
pub fn context_create<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    out: M::Offset,
    index: u32,
) -> i32 {
    let out = M::to_u64(out);
    let cs = env.data().contexts.clone();
    // The pointer first, as the project's other asyncify imports check it.
    let fits = with_call(&mut env, |c| c.mem.check_range(out, 8).is_ok());
    let f = match usable(&mut env) {
        Some(_) if fits => entrypoint(&mut env, index),
        _ => Err(Errno::NOTSUP),
    };
    let stack = match (&f, fits) {
        (Ok(_), true) => new_stack(&mut env, &cs),
        _ => Err(Errno::NOMEM),
    };
    run(&mut env, "context_create", [out, index as u64], |c| {
        c.mem.check_range(out, 8)?;
        let entry = f?;
        let stack = stack?;
        let mut g = cs.lock();
        g.last += 1;
        let id = g.last;
        g.live.insert(
            id,
            Context {
                entry,
                stack,
                state: State::Fresh,
            },
        );
        drop(g);
        Ok(c.mem.write::<u64>(out, id)?)
    })
}

/// `context_destroy(id)`: a suspended (or never run) context is deleted and its stack
/// kept for the next one; an unknown or already deleted id is success. `inval` for the
/// active context and the main one; `notsup` where contexts cannot work.
pub fn context_destroy(mut env: FunctionEnvMut<WasiEnv>, target: u64) -> i32 {
    let ok = usable(&mut env).is_some();
    let cs = env.data().contexts.clone();
    run(&mut env, "context_destroy", [target], |_| {
        if !ok {
            return Err(Errno::NOTSUP);
        }
        let mut g = cs.lock();
        if target == g.active || target == MAIN {
            return Err(Errno::INVAL);
        }
        if let Some(c) = g.live.remove(&target) {
            g.free.push(c.stack);
        }
        Ok(())
    })
}

fn note(env: &FunctionEnvMut<WasiEnv>, errno: i32) {
    let result = crate::witx::record::errno_result(errno);
    crate::witx::record::note_unwrapped(env.data(), "context_switch", &result, 1);
}

/// `context_switch(id)`: suspends the active context and resumes `id` (from its
/// entrypoint the first time); returns 0 when something switches back. To the active
/// context: 0 at once. `inval` for an id that names no suspended context (never created,
/// deleted); `notsup` where contexts cannot work (see the module doc).
pub fn context_switch(mut env: FunctionEnvMut<WasiEnv>, target: u64) -> Result<i32, RuntimeError> {
    if let Some(r) = take_resume(&mut env)? {
        let e = r.errno.0 as i32;
        note(&env, e);
        // As after any wait: the process may have ended, signals may be pending.
        crate::witx::env::after_rewind(&mut env)?;
        return Ok(e);
    }
    let a = usable(&mut env);
    let cs = env.data().contexts.clone();
    let mut go = false;
    let e = run(&mut env, "context_switch", [target], |_| {
        if a.is_none() {
            return Err(Errno::NOTSUP);
        }
        let g = cs.lock();
        if target == g.active {
            return Ok(());
        }
        if !g.can_resume(target) {
            return Err(Errno::INVAL);
        }
        go = true;
        Ok(())
    });
    let a = match (go, a) {
        (true, Some(a)) => a,
        _ => {
            note(&env, e);
            return Ok(e);
        }
    };
    let globals = a.globals(&mut env);
    let (from, base) = {
        let g = cs.lock();
        (g.active, g.stack_of(g.active))
    };
    let unwound = match a.begin_unwind_at(&mut env, base) {
        Ok(u) => u,
        Err(e) => {
            note(&env, e.0 as i32);
            return Ok(e.0 as i32);
        }
    };
    cs.lock().request = Some(Switch {
        from,
        to: target,
        unwound,
        globals,
    });
    // Inside a context the driver is already running: it sees the request when the
    // context's call returns.
    if from == MAIN {
        env.as_store_mut()
            .on_called(move |store| drive(store, &a, &cs));
    }
    Ok(0)
}

/// What the driver runs next.
enum Next {
    Main(Option<Frames>),
    Context(u64, Function, u64, State),
}

type HookResult = Result<OnCalledAction, Box<dyn std::error::Error + Send + Sync>>;

/// The driver: the main context has unwound to switch away; runs contexts until one
/// switches back to main (which is then rewound) or one ends (the run then traps).
fn drive(mut store: StoreMut<'_>, a: &Asyncify, cs: &Contexts) -> HookResult {
    loop {
        let req = cs
            .lock()
            .request
            .take()
            .ok_or("context switch without a request")?;
        let saved = a.end_unwind(&mut store, &req.unwound)?;
        let frames = Frames {
            saved,
            globals: req.globals,
            sp: req.unwound.sp,
        };
        let next = {
            let mut g = cs.lock();
            g.active = req.to;
            match g.live.get_mut(&req.from) {
                Some(c) => c.state = State::Suspended(frames),
                None => g.main = Some(frames),
            }
            match g.live.get_mut(&req.to) {
                Some(c) => Next::Context(
                    req.to,
                    c.entry.clone(),
                    c.stack,
                    std::mem::replace(&mut c.state, State::Running),
                ),
                None => Next::Main(g.main.take()),
            }
        };
        // No lock is held while guest code runs.
        let (id, result) = match next {
            Next::Main(frames) => {
                let f = frames.ok_or("context switch to main: main was not suspended")?;
                a.set_globals(&mut store, &f.globals);
                a.begin_rewind(&mut store, f.sp, &f.saved)?;
                set_resume(Resume {
                    errno: Errno::SUCCESS,
                    value: 0,
                });
                return Ok(OnCalledAction::InvokeAgain);
            }
            Next::Context(id, entry, stack, State::Fresh) => {
                a.set_stack_pointer(&mut store, stack + STACK_SIZE);
                (id, entry.call(&mut store, &[]))
            }
            Next::Context(id, entry, stack, State::Suspended(f)) => {
                a.set_globals(&mut store, &f.globals);
                a.begin_rewind_at(&mut store, Some(stack), f.sp, &f.saved)?;
                set_resume(Resume {
                    errno: Errno::SUCCESS,
                    value: 0,
                });
                (id, entry.call(&mut store, &[]))
            }
            Next::Context(id, _, _, State::Running) => {
                return Err(format!("context switch to context {id}, which is running").into())
            }
        };
        match result {
            // A trap (or the process's end) in the context: the main context gets it.
            Err(e) => return Err(Box::new(e)),
            Ok(_) if cs.lock().request.is_some() => continue,
            Ok(_) => {
                return Err(Box::new(RuntimeError::new(format!(
                    "the entrypoint of WASIX context {id} returned (a context entrypoint must \
                     not return)"
                ))))
            }
        }
    }
}
