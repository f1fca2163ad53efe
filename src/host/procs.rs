//! Running WASIX processes other than the one the embedder started: forked and spawned
//! children, each on its own OS thread with its own `Store` and instance (stores never
//! cross threads), and the image replacement of exec, which any process (the root
//! included) goes through here.

use super::link::WasiImports;
use super::threads::{ThreadHost, OS_STACK};
use crate::core::process::MAIN_TID;
use crate::core::proctable::Status;
use crate::core::threads::ProcessEnd;
use crate::witx::errno::Errno;
use crate::witx::procs::{set_resume, ExecImage, ForkState, Launch, Resume};
use crate::witx::wasix::asyncify::Asyncify;
use crate::witx::WasiCtx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wasmer::{Engine, Instance, Module, SharedMemory, Store};

/// Starts the processes of one family; every process holds one for its own module (fork
/// instantiates that module again).
pub struct ProcHost {
    engine: Engine,
    module: Module,
    /// Programs compiled for exec and spawn, by their bytes' hash, shared by the family: a
    /// shell running the same command 200 times compiles it once.
    loaded: Arc<Mutex<HashMap<u64, Module>>>,
}

impl ProcHost {
    pub fn new(engine: Engine, module: Module) -> ProcHost {
        ProcHost {
            engine,
            module,
            loaded: Default::default(),
        }
    }

    pub(crate) fn for_module(&self, module: Module) -> ProcHost {
        ProcHost {
            engine: self.engine.clone(),
            module,
            loaded: self.loaded.clone(),
        }
    }
}

/// How a process's image starts.
pub(crate) enum Start {
    /// `_start` from the beginning (spawn, exec).
    Fresh,
    /// A fork child: the copied memory, and the frames to rewind into the fork call.
    Fork(SharedMemory, ForkState),
}

impl Launch for ProcHost {
    fn fork(
        &self,
        child: Arc<WasiCtx>,
        (parent, ty): (SharedMemory, wasmer::MemoryType),
        state: ForkState,
    ) -> Result<(), Errno> {
        let host = self.for_module(self.module.clone());
        // The child's thread makes the copy (its memory is born there); the parent waits
        // for it, so its memory does not change under the copy.
        let (copied, done) = std::sync::mpsc::sync_channel(1);
        let engine = self.engine.clone();
        std::thread::Builder::new()
            .name(format!("wasix-proc-{}", child.pid))
            .stack_size(OS_STACK)
            .spawn(move || {
                let memory = copy_memory(&engine, parent, ty);
                let _ = copied.send(memory.as_ref().map(drop).map_err(|e| *e));
                if let Ok(m) = memory {
                    run_child(host, child, Start::Fork(m, state));
                }
            })
            .map_err(|_| Errno::AGAIN)?;
        done.recv().unwrap_or(Err(Errno::AGAIN))
    }

    fn load(&self, bytes: &[u8]) -> Result<Module, Errno> {
        let key = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            h.finish()
        };
        if let Some(m) = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(m.clone());
        }
        let bytes = super::module::with_imported_shared_memory(bytes.to_vec());
        let dir = super::cache::default_dir();
        let module = super::cache::compile_with(&self.engine, &bytes, dir.as_deref())
            .map_err(|_| Errno::NOEXEC)?;
        runnable(&module)?;
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, module.clone());
        Ok(module)
    }

    fn spawn(&self, child: Arc<WasiCtx>, module: Module) -> Result<(), Errno> {
        let host = self.for_module(module);
        std::thread::Builder::new()
            .name(format!("wasix-proc-{}", child.pid))
            .stack_size(OS_STACK)
            .spawn(move || run_child(host, child, Start::Fresh))
            .map(drop)
            .map_err(|_| Errno::AGAIN)
    }
}

/// A private copy of `parent` (a shared memory of type `ty`) for a fork child. Pages that
/// are all zeroes are not written: the new memory's pages are zero already, and most of a
/// wasix-libc program's memory is its 8 MiB stack region, untouched below the deepest call
/// (writing them would fault in and clear every page). Raw copies only: the memory is
/// shared, so no Rust reference to it is formed.
fn copy_memory(
    engine: &Engine,
    parent: SharedMemory,
    ty: wasmer::MemoryType,
) -> Result<SharedMemory, Errno> {
    const PAGE: usize = 4096;
    let mut store = Store::new(engine.clone());
    let mine = wasmer::Memory::new(&mut store, ty).map_err(|_| Errno::NOMEM)?;
    let theirs = parent.attach(&mut store);
    let len = theirs.view(&store).data_size() as usize;
    let have = mine.view(&store).data_size() as usize;
    if len > have {
        let pages = ((len - have) / wasmer::WASM_PAGE_SIZE) as u32;
        mine.grow(&mut store, pages).map_err(|_| Errno::NOMEM)?;
    }
    let src = theirs.view(&store).data_ptr();
    let dst = mine.view(&store).data_ptr();
    let mut page = [0u64; PAGE / 8];
    let mut at = 0;
    while at < len {
        let n = PAGE.min(len - at);
        // SAFETY: both memories are at least `len` bytes (the copy was grown to the
        // source's size, and memories never shrink); `page` holds PAGE bytes; raw copies
        // form no reference into the shared memories.
        unsafe {
            std::ptr::copy_nonoverlapping(src.add(at), page.as_mut_ptr().cast::<u8>(), n);
            if page[..n.div_ceil(8)].iter().any(|w| *w != 0) {
                std::ptr::copy_nonoverlapping(page.as_ptr().cast::<u8>(), dst.add(at), n);
            }
        }
        at += n;
    }
    mine.as_shared(&store).ok_or(Errno::NOMEM)
}

/// A program exec and spawn can start: a command (`_start`, no parameters) whose every
/// function import one of our namespaces provides under that name. `noexec` otherwise (a
/// library, a component, a module for another host), decided before the caller's image
/// is given up.
fn runnable(module: &Module) -> Result<(), Errno> {
    let start = module
        .exports()
        .functions()
        .any(|f| f.name() == "_start" && f.ty().params().is_empty() && f.ty().results().is_empty());
    if !start {
        return Err(Errno::NOEXEC);
    }
    // A position-independent program: the dynamic linker provides its table, globals and
    // side-module functions (a malformed dylink.0 cannot run).
    let pie = super::dylink::section::of_module(module)
        .map_err(|_| Errno::NOEXEC)?
        .is_some();
    for imp in module.imports() {
        let witx = crate::witx::Namespace::from_name(imp.module()).is_some();
        if pie && !witx && !matches!(imp.ty(), wasmer::ExternType::Memory(_)) {
            continue;
        }
        match imp.ty() {
            wasmer::ExternType::Function(_) => {
                let known = crate::witx::Namespace::from_name(imp.module())
                    .is_some_and(|ns| ns.functions().contains(&imp.name()))
                    || crate::p2::core_imports::CoreImports::claims(imp.module());
                if !known {
                    tracing::debug!(
                        "exec: {}::{} is not provided here",
                        imp.module(),
                        imp.name()
                    );
                    return Err(Errno::NOEXEC);
                }
            }
            wasmer::ExternType::Memory(_) => {}
            _ => return Err(Errno::NOEXEC),
        }
    }
    Ok(())
}

/// A child process's OS thread: runs its image (and those it execs), then closes its fds
/// and reports its status to the family (its parent is woken and gets SIGCHLD).
fn run_child(host: ProcHost, ctx: Arc<WasiCtx>, start: Start) {
    let (ctx, end) = run_image(host, ctx, start);
    let status = match end {
        ProcessEnd::Exit(c) => Status::Exited(c),
        ProcessEnd::Signal(s) => Status::Signaled(s),
        ProcessEnd::Trap(m) => {
            // A trap kills a child as SIGABRT would; its message goes where its own
            // stderr goes.
            let line = format!("wasix-compat: process {} trapped: {m}\n", ctx.pid);
            let _ = ctx
                .cli
                .stderr
                .blocking_write_vectored(&[std::io::IoSlice::new(line.as_bytes())]);
            Status::Signaled(6)
        }
    };
    ctx.release();
    ctx.family.exit(ctx.pid, status);
}

/// The root process has ended: every other process of its family ends as by SIGKILL
/// (each unwinds at its next import; the embedder does not wait for them).
pub(crate) fn end_family(ctx: &WasiCtx) {
    for p in ctx.family.live_except(ctx.pid) {
        p.threads.end(ProcessEnd::Signal(9));
    }
}

/// Runs a process's image to its end, following execs; returns the context it ended with
/// (exec gives a new one) and how it ended.
pub(crate) fn run_image(
    mut host: ProcHost,
    mut ctx: Arc<WasiCtx>,
    mut start: Start,
) -> (Arc<WasiCtx>, ProcessEnd) {
    loop {
        let mut store = Store::new(host.engine.clone());
        let r = start_image(&mut store, &host, &ctx, start);
        match r {
            Err(end) => return (ctx, end),
            Ok((imports, Err(e))) => match e.downcast::<ExecImage>() {
                Ok(next) => {
                    retire(&ctx, &next.ctx);
                    drop(imports);
                    drop(store);
                    host = host.for_module(next.module);
                    ctx = next.ctx;
                    start = Start::Fresh;
                }
                Err(e) => return (ctx, imports.finish_main_end(Err(e))),
            },
            Ok((imports, Ok(()))) => return (ctx, imports.finish_main_end(Ok(()))),
        }
    }
}

/// The old image of an exec'ing process: its other threads end (they unwind at their
/// next import; the end hooks, which tell the embedder the process ended, move to the new
/// image first), its timer stops.
pub(crate) fn retire(old: &WasiCtx, new: &WasiCtx) {
    for h in old.threads.take_end_hooks() {
        new.threads.add_end_hook(h);
    }
    old.itimer.cancel();
    old.threads.end(ProcessEnd::Exit(0));
}

type Started = (WasiImports, Result<(), wasmer::RuntimeError>);

/// Instantiates the image and runs `_start` (rewinding into the fork call for a fork
/// child). A setup failure ends the process as a trap would (it is reported the same way).
fn start_image(
    store: &mut Store,
    host: &ProcHost,
    ctx: &Arc<WasiCtx>,
    start: Start,
) -> Result<Started, ProcessEnd> {
    let fail = |what: String| ProcessEnd::Trap(what);
    let (memory, fork) = match start {
        Start::Fresh => (None, None),
        Start::Fork(m, s) => (Some(m), Some(s)),
    };
    let imports = WasiImports::for_thread(
        store,
        &host.module,
        ctx.clone(),
        MAIN_TID,
        memory.as_ref(),
        None,
    )
    .map_err(|e| fail(e.to_string()))?;
    if let Some(h) = ThreadHost::for_module(store, &host.module, &imports) {
        let _ = ctx.spawner.set(h);
    }
    let _ = ctx
        .launcher
        .set(Arc::new(host.for_module(host.module.clone())));
    let instance = Instance::new(store, &host.module, &imports.imports)
        .map_err(|e| fail(format!("instantiate: {e}")))?;
    imports
        .bind(store, &instance)
        .map_err(|e| fail(e.to_string()))?;
    let entry = instance
        .exports
        .get_function("_start")
        .map_err(|e| fail(e.to_string()))?
        .clone();
    if let Some(state) = fork {
        let mem = imports
            .memory()
            .ok_or_else(|| fail("fork child without memory".into()))?;
        let a = Asyncify::find_in(store, &instance.exports, &mem, imports.dl_asyncify_stack())
            .ok_or_else(|| fail("fork child without asyncify".into()))?;
        a.set_globals(store, &state.globals);
        set_resume(Resume {
            errno: Errno::SUCCESS,
            value: 0,
        });
        a.begin_rewind(store, state.sp, &state.saved)
            .map_err(fail)?;
    }
    let r = entry.call(store, &[]).map(drop);
    Ok((imports, r))
}
