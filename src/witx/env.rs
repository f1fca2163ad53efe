//! Per-instance state the witx imports work on, and the glue that gives each host call its
//! guest memory.

use super::errno::{self, Errno};
use crate::core::process::Process;
use crate::guest::GuestMem;
use std::sync::{Arc, OnceLock};
use wasmer::{FunctionEnvMut, Memory};

/// What the witx front end keeps per instance beside the core [`Process`] it serves (which
/// it derefs to: `ctx.fds`, `ctx.threads`… are the process's).
pub struct WasiCtx {
    pub process: Arc<Process>,
    /// The helper module whose instructions wait and notify in the shared memory's queues
    /// (compiled by the first instance with a shared memory; see [`super::atomics`]).
    pub atomics_helper: OnceLock<wasmer::Module>,
    /// The 2022 ABI's registered entry points.
    pub callbacks: super::thread_2022::CallbackNames,
    /// Starts a thread (set by the host when the module can have threads).
    pub spawner: OnceLock<Arc<dyn super::thread::SpawnThread>>,
    /// Notes every import call when the embedder asked for a record (see [`super::record`]).
    pub recorder: Option<Arc<super::record::ImportRecorder>>,
    /// Starts forked and spawned processes (set by the host).
    pub launcher: OnceLock<Arc<dyn super::wasix::procs::Launch>>,
    /// setjmp checkpoints (`stack_checkpoint`) that a longjmp may still return to.
    pub checkpoints: super::wasix::setjmp::Checkpoints,
    /// Set while this (vfork child's) context borrows its parent's instance.
    pub vfork: super::wasix::vfork::VforkSlot,
    /// The process's dynamic-linking books (a position-independent main module).
    pub dl: OnceLock<Arc<crate::host::dylink::Linker>>,
    /// Compiled closure trampolines, one per signature (see [`super::wasix::closure`]).
    pub trampolines: super::wasix::closure::Trampolines,
}

pub use crate::core::process::MAIN_TID;

impl WasiCtx {
    pub fn new(process: Arc<Process>) -> WasiCtx {
        WasiCtx {
            process,
            atomics_helper: OnceLock::new(),
            spawner: OnceLock::new(),
            callbacks: Default::default(),
            recorder: None,
            launcher: OnceLock::new(),
            checkpoints: Default::default(),
            vfork: Default::default(),
            dl: OnceLock::new(),
            trampolines: Default::default(),
        }
    }

    /// A forked child's context over `process`: the same recorder and 2022 entry names,
    /// the main thread's setjmp checkpoints (a child may longjmp to one made before the
    /// fork). The host sets its launcher and spawner.
    pub fn fork_copy(&self, process: Arc<Process>) -> WasiCtx {
        let mut c = WasiCtx::new(process);
        c.recorder = self.recorder.clone();
        c.callbacks = std::sync::Mutex::new(
            self.callbacks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        );
        c.checkpoints = self.checkpoints.fork_copy();
        // The child's memory is a copy: its side modules are where the parent's are.
        if let Some(l) = self.dl.get() {
            let _ = c.dl.set(Arc::new(l.fork_copy()));
        }
        c
    }
}

impl std::ops::Deref for WasiCtx {
    type Target = Process;
    #[inline]
    fn deref(&self) -> &Process {
        &self.process
    }
}

/// Which ABI family an import belongs to; decides e.g. the bad-pointer errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `wasi_unstable`, `wasi_snapshot_preview1`: bad pointer → `fault`.
    Wasi,
    /// `wasix_32v1`, `wasix_64v1`: bad pointer → `memviolation`.
    Wasix,
}

/// The `FunctionEnv` data of one namespace.
pub struct WasiEnv {
    pub ctx: Arc<WasiCtx>,
    pub memory: Option<Memory>,
    pub flavor: Flavor,
    /// The instance's exports (signal handlers are guest functions called back by name).
    pub exports: Option<wasmer::Exports>,
    /// `memory` is shared (threads): guest memory is then copied, never referenced.
    pub memory_shared: bool,
    /// The thread this instance runs.
    pub tid: u32,
    /// This store's handles on the shared memory's wait queues (`None`: not shared).
    pub atomics: Option<Arc<super::atomics::Atomics>>,
    /// The shared memory never moves (its style is static): its (base, length) is cached
    /// here instead of asking the engine for a view per call.
    pub memory_fixed: bool,
    pub view_cache: std::cell::Cell<(usize, u64)>,
    /// The module imports `wasix_32v1`/`wasix_64v1` too: it was built with wasix-libc (or
    /// for wasmer), whose preview1 imports keep wasmer-wasix's meanings where they differ
    /// from the witx (`fd_renumber` is dup2).
    pub wasix_module: bool,
    /// The envs of every namespace this instance imports (this one included): a vfork
    /// points all of them at the child's context and back.
    pub siblings: Vec<wasmer::FunctionEnv<WasiEnv>>,
    /// The namespace these imports are of (for the import recorder).
    pub ns: &'static str,
    /// The instance's asyncify exports (`None` inside: it has none), once looked up.
    pub asyncify: Option<Option<super::wasix::asyncify::Asyncify>>,
    /// This store's dynamic linking (a position-independent main module).
    pub dl: Option<crate::host::dylink::Link>,
    /// The instance's indirect function table: its `__indirect_function_table` export
    /// (the host exports a wasix-libc module's table when it uses closures, see
    /// [`crate::host::reencode::export_indirect_table`]) or, for a PIC module, the table
    /// it imports. Accessed through [`super::wasix::table`].
    pub table: Option<wasmer::Table>,
    /// Which slots of `table` closure_allocate handed out (see [`super::wasix::table`]).
    pub closures: super::wasix::table::ClosureSlots,
    /// This instance's WASIX contexts (`context_create` / `context_switch`).
    pub contexts: Arc<super::wasix::context::Contexts>,
}

impl WasiEnv {
    pub fn new(ctx: Arc<WasiCtx>, flavor: Flavor) -> WasiEnv {
        WasiEnv {
            ctx,
            memory: None,
            flavor,
            exports: None,
            memory_shared: false,
            tid: MAIN_TID,
            atomics: None,
            memory_fixed: false,
            view_cache: std::cell::Cell::new((0, 0)),
            wasix_module: false,
            siblings: Vec::new(),
            ns: "",
            asyncify: None,
            dl: None,
            table: None,
            closures: Default::default(),
            contexts: Default::default(),
        }
    }
}

/// What one host call works with.
pub struct Call<'a> {
    pub mem: GuestMem<'a>,
    pub ctx: &'a WasiCtx,
    pub flavor: Flavor,
    /// The module also imports a WASIX namespace (see [`WasiEnv::wasix_module`]).
    pub wasix_module: bool,
}

#[cold]
fn catch_up(link: &crate::host::dylink::Link, store: &mut wasmer::StoreMut<'_>) {
    if let Err(e) = crate::host::dylink::store::sync(store, link) {
        tracing::warn!("dynamic linking: {}", e.message);
    }
}

/// Runs `f` on the call's view of guest memory.
#[inline]
pub fn with_call<R>(env: &mut FunctionEnvMut<'_, WasiEnv>, f: impl FnOnce(&Call<'_>) -> R) -> R {
    let (data, mut store) = env.data_and_store_mut();
    // A dynamically linked process: copy what another thread loaded before going on.
    if let Some(link) = &data.dl {
        if crate::host::dylink::store::stale(link) {
            catch_up(link, &mut store);
        }
    }
    let data: &WasiEnv = data;
    if let (Some(m), true) = (&data.memory, data.memory_shared && data.memory_fixed) {
        let fresh = || {
            let v = m.view(&store);
            let now = (v.data_ptr() as usize, v.data_size());
            data.view_cache.set(now);
            now
        };
        let (base, len) = match data.view_cache.get() {
            (0, _) => fresh(),
            c => c,
        };
        let grown = || fresh().1;
        // SAFETY: a static-style shared memory is reserved at its maximum and never moves,
        // so the cached base stays valid; `grown` reads the current length of the same
        // memory (which never shrinks) when an access falls past the cached one.
        let mem = unsafe { GuestMem::new_growable(base as *mut u8, len, &grown) };
        return f(&Call {
            mem,
            ctx: &data.ctx,
            flavor: data.flavor,
            wasix_module: data.wasix_module,
        });
    }
    let mem = match &data.memory {
        Some(m) => {
            let v = m.view(&store);
            // SAFETY: the view covers exactly the instance's memory, which cannot grow or
            // move during this host call (we hold the store); a shared memory is accessed
            // in GuestMem's copying mode.
            unsafe { GuestMem::new(v.data_ptr(), v.data_size(), data.memory_shared) }
        }
        // No memory: every pointer faults.
        None => GuestMem::from_slice(&mut []),
    };
    f(&Call {
        mem,
        ctx: &data.ctx,
        flavor: data.flavor,
        wasix_module: data.wasix_module,
    })
}

/// Runs one import: builds the memory view, runs `f`, turns the outcome into an errno
/// (logging it under `RUST_LOG=wasix_compat=trace`).
#[inline]
pub fn run<const N: usize>(
    env: &mut FunctionEnvMut<'_, WasiEnv>,
    name: &'static str,
    args: [u64; N],
    f: impl FnOnce(&Call<'_>) -> Result<(), Errno>,
) -> i32 {
    let (flavor, r) = with_call(env, |c| (c.flavor, f(c)));
    let mut e = match r {
        Ok(()) => Errno::SUCCESS,
        Err(e) => e,
    };
    if e == Errno::FAULT && flavor == Flavor::Wasix {
        e = Errno::MEMVIOLATION;
    }
    tracing::trace!(target: "wasix_compat::syscall", "{name}{args:?} -> {}", errno::name(e));
    e.0 as i32
}

/// Runs an import that may block: afterwards, a thread interrupted because its process is
/// ending unwinds (`Exit`), and signals that interrupted it run their handler.
#[inline]
pub fn run_blocking<const N: usize>(
    env: &mut FunctionEnvMut<'_, WasiEnv>,
    name: &'static str,
    args: [u64; N],
    f: impl FnOnce(&Call<'_>) -> Result<(), Errno>,
) -> Result<i32, wasmer::RuntimeError> {
    park_dl(env);
    let e = run(env, name, args, f);
    after_wait(env)?;
    Ok(e)
}

/// What every blocking import does after its wait: take the thread's interrupt flag, unwind
/// if the process is ending, and hand pending signals to the guest.
#[inline]
pub fn after_wait(env: &mut FunctionEnvMut<'_, WasiEnv>) -> Result<(), wasmer::RuntimeError> {
    crate::core::io::poll::take_interrupt();
    // One look at the env (each `data()` is a checked downcast) for the common case:
    // the process goes on and nothing is pending for this thread.
    let data = env.data();
    if let Some(end) = data.ctx.threads.ended() {
        // A vfork child killed while it borrows its parent's instance: it ends, the parent
        // goes on. (Not while imports are recorded: this import may be behind the
        // recorder's forwarding function, which the engine's hook would follow; the whole
        // instance then ends, the parent with the child.)
        if data.ctx.recorder.is_none() && super::wasix::vfork::active(env) {
            return super::wasix::vfork::child_ends(env, end.into());
        }
        return Err(unwind(end));
    }
    // Another thread loaded a side module or placed a function pointer while this one
    // waited (a pthread_join, a lock): copy it before the guest can call through it.
    if let Some(link) = data.dl.clone() {
        let (_, mut st) = env.data_and_store_mut();
        crate::host::dylink::store::resume(&mut st, &link)
            .map_err(|e| wasmer::RuntimeError::new(e.message))?;
    }
    let data = env.data();
    if !data.ctx.signals.has_pending(data.tid) {
        return Ok(());
    }
    super::signal::run_pending(env)
}

/// After a rewind into an import (setjmp's second return, a context resumed): the
/// thread takes its process's end and its pending signals here, as blocking imports do,
/// so that a thread that only computes and rewinds can still be killed.
pub fn after_rewind(env: &mut FunctionEnvMut<'_, WasiEnv>) -> Result<(), wasmer::RuntimeError> {
    let data = env.data();
    if let Some(end) = data.ctx.threads.ended() {
        return Err(unwind(end));
    }
    if data.ctx.signals.has_pending(data.tid) {
        super::signal::run_pending(env)?;
    }
    Ok(())
}

/// Before an import that may block: a dynamically linked process's loader need not wait
/// for this thread (it copies new side modules in [`after_wait`], before the guest runs).
#[inline]
pub fn park_dl(env: &FunctionEnvMut<'_, WasiEnv>) {
    if let Some(link) = &env.data().dl {
        crate::host::dylink::store::park(link);
    }
}

/// The error that unwinds a thread of a process that has ended.
pub fn unwind(end: crate::core::threads::ProcessEnd) -> wasmer::RuntimeError {
    match end {
        crate::core::threads::ProcessEnd::Exit(c) => {
            wasmer::RuntimeError::user(Box::new(crate::core::cli::Exit(c)))
        }
        crate::core::threads::ProcessEnd::Signal(s) => {
            wasmer::RuntimeError::user(Box::new(crate::core::cli::SignalDeath(s)))
        }
        crate::core::threads::ProcessEnd::Trap(m) => wasmer::RuntimeError::new(m),
    }
}
