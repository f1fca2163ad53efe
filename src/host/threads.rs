//! Running guest threads: each is a fresh `Store` and instance of the same compiled module,
//! importing the process's shared memory, on its own OS thread. Stores never cross threads
//! (each is made on the thread that runs it); only the compiled module, the engine and a
//! handle on the memory do.

use super::link::WasiImports;
use crate::core::cli::{Exit, SignalDeath};
use crate::core::io::poll::current_interrupter;
use crate::core::threads::ProcessEnd;
use crate::witx::errno::Errno;
use crate::witx::thread::{SpawnThread, ThreadExit, ThreadStart};
use crate::witx::WasiCtx;
use std::sync::{Arc, Weak};
use wasmer::Type::{I32, I64};
use wasmer::{Engine, Instance, Module, SharedMemory, Store, Value};

/// The entry export of wasi-threads and WASIX `thread_spawn_v2`.
pub const ENTRY: &str = "wasi_thread_start";

/// OS stack of a guest thread: the guest's own stack lives in its memory, this one holds
/// wasm frames and host calls (the main guest thread gets the same).
pub const OS_STACK: usize = 8 << 20;

pub struct ThreadHost {
    engine: Engine,
    module: Module,
    memory: SharedMemory,
    /// Weak: the context owns this spawner.
    ctx: Weak<WasiCtx>,
    /// The main instance's WASI 0.2 handle table, shared by every thread instance.
    p2: Option<Arc<crate::p2::abi::State>>,
}

impl ThreadHost {
    /// A spawner for `module`'s process, if it can have threads: it imports a shared
    /// memory. (The entry export is checked at each spawn: the 2022 ABI names it at run
    /// time.)
    pub fn for_module(
        store: &Store,
        module: &Module,
        imports: &WasiImports,
    ) -> Option<Arc<ThreadHost>> {
        let memory = imports.shared_memory.clone()?;
        Some(Arc::new(ThreadHost {
            engine: store.engine().clone(),
            module: module.clone(),
            memory,
            ctx: Arc::downgrade(&imports.ctx),
            p2: imports.p2_state(),
        }))
    }
}

impl SpawnThread for ThreadHost {
    fn spawn(&self, tid: u32, start: ThreadStart) -> Result<(), Errno> {
        let ctx = self.ctx.upgrade().ok_or(Errno::NOTSUP)?;
        // The entry must exist with the right type before a thread is started for it
        // (wasmer-wasix also answers `notcapable` here).
        let (name, want): (&str, &[&[wasmer::Type]]) = match &start {
            // wasm64 guests pass the start argument as an i64.
            ThreadStart::WasiThreadStart { .. } => (ENTRY, &[&[I32, I32], &[I32, I64]]),
            ThreadStart::Legacy { entry, .. } => (entry, &[&[I32, I32], &[I64]]),
        };
        let ok = self.module.exports().functions().any(|f| {
            f.name() == name && f.ty().results().is_empty() && want.contains(&f.ty().params())
        });
        if !ok {
            return Err(Errno::NOTCAPABLE);
        }
        let memory = self.memory.clone();
        let (engine, module, p2) = (self.engine.clone(), self.module.clone(), self.p2.clone());
        std::thread::Builder::new()
            .name(format!("wasix-thread-{tid}"))
            .stack_size(OS_STACK)
            .spawn(move || run_thread(engine, module, ctx, tid, (memory, p2), start))
            .map(drop)
            .map_err(|_| Errno::AGAIN)
    }
}

/// What a thread instance shares with the main one: the memory, the WASI 0.2 handles.
type Shared = (SharedMemory, Option<Arc<crate::p2::abi::State>>);

fn run_thread(
    engine: Engine,
    module: Module,
    ctx: Arc<WasiCtx>,
    tid: u32,
    shared: Shared,
    start: ThreadStart,
) {
    ctx.threads.attach(tid, current_interrupter());
    let (end, code) = {
        let mut store = Store::new(engine);
        let r = instantiate_and_run(&mut store, &module, &ctx, tid, shared, start);
        // Returning from the entry is `thread_exit(0)`, as wasix-libc's pthread_exit does.
        let code = match &r {
            Ok(()) => Some(0),
            Err(e) => e.downcast_ref::<ThreadExit>().map(|t| t.0 as i32),
        };
        (thread_end(&ctx, r), code)
        // The store (instance, stacks) is dropped here, before the thread counts as ended.
    };
    if let Some(end) = end {
        ctx.threads.end(end);
    }
    ctx.signals.forget_thread(tid);
    ctx.threads.finish_with(tid, code);
}

fn instantiate_and_run(
    store: &mut Store,
    module: &Module,
    ctx: &Arc<WasiCtx>,
    tid: u32,
    (memory, p2): Shared,
    start: ThreadStart,
) -> Result<(), wasmer::RuntimeError> {
    let setup = |e: super::RunError| wasmer::RuntimeError::new(e.to_string());
    let imports = WasiImports::for_thread(store, module, ctx.clone(), tid, Some(&memory), p2)
        .map_err(setup)?;
    let instance = Instance::new(store, module, &imports.imports)
        .map_err(|e| wasmer::RuntimeError::new(format!("thread {tid}: {e}")))?;
    imports.bind(store, &instance).map_err(setup)?;
    let missing = |e: wasmer::ExportError| wasmer::RuntimeError::new(e.to_string());
    let r = match start {
        ThreadStart::WasiThreadStart { arg } => {
            let f = instance.exports.get_function(ENTRY).map_err(missing)?;
            let arg = match f.ty(&*store).params() {
                [_, I64] => Value::I64(arg as i64),
                _ => Value::I32(arg as i32),
            };
            f.call(store, &[Value::I32(tid as i32), arg]).map(drop)
        }
        ThreadStart::Legacy {
            entry,
            user_data,
            stack_base,
        } => {
            if let Ok(sp) = instance.exports.get_global("__stack_pointer") {
                let v = match sp.ty(&*store).ty {
                    I64 => Value::I64(stack_base as i64),
                    _ => Value::I32(stack_base as i32),
                };
                let _ = sp.set(store, v);
            }
            let f = instance.exports.get_function(&entry).map_err(missing)?;
            let args: &[Value] = if f.ty(&*store).params() == [I64] {
                &[Value::I64(user_data as i64)]
            } else {
                &[
                    Value::I32(user_data as u32 as i32),
                    Value::I32((user_data >> 32) as u32 as i32),
                ]
            };
            f.call(store, args).map(drop)
        }
    };
    destroy_thread_locals(store, &instance, ctx, tid, &r);
    r
}

/// Runs the 2022 `_thread_local_destroy(user lo, hi, value lo, hi)` callback for each
/// non-zero value of the ending thread, unless the process is ending.
fn destroy_thread_locals(
    store: &mut Store,
    instance: &Instance,
    ctx: &WasiCtx,
    tid: u32,
    r: &Result<(), wasmer::RuntimeError>,
) {
    let values = ctx.thread_locals.take_thread(tid);
    let ended_normally = match r {
        Ok(()) => true,
        Err(e) => e.downcast_ref::<ThreadExit>().is_some(),
    };
    if values.is_empty() || !ended_normally || ctx.threads.ending() {
        return;
    }
    let name = ctx
        .callbacks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .thread_local_destroy
        .clone();
    let Ok(f) = instance
        .exports
        .get_typed_function::<(i32, i32, i32, i32), ()>(&*store, &name)
    else {
        return;
    };
    for (user, val) in values {
        let split = |v: u64| (v as u32 as i32, (v >> 32) as u32 as i32);
        let ((ul, uh), (vl, vh)) = (split(user), split(val));
        if f.call(store, ul, uh, vl, vh).is_err() {
            return;
        }
    }
}

/// How a thread's run bears on its process: `None` when only the thread ends (it returned,
/// called `thread_exit`, or was unwound because the process is already ending).
pub fn thread_end(ctx: &WasiCtx, r: Result<(), wasmer::RuntimeError>) -> Option<ProcessEnd> {
    let e = match r {
        Ok(()) => return None,
        Err(e) => e,
    };
    if e.downcast_ref::<ThreadExit>().is_some() {
        return None;
    }
    if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
        return Some(ProcessEnd::Exit(*code));
    }
    if let Some(SignalDeath(sig)) = e.downcast_ref::<SignalDeath>() {
        return Some(ProcessEnd::Signal(*sig));
    }
    // A trap after the process decided to end is the unwinding (closed atomics) itself.
    if ctx.threads.ending() {
        return None;
    }
    Some(ProcessEnd::Trap(super::builder::trap_line(&e)))
}
