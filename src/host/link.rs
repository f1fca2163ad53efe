//! Resolving a module's imports against our namespaces, with errors that name the import.

use super::RunError;
use crate::p2::abi::State as P2State;
use crate::p2::core_imports::CoreImports;
use crate::witx::atomics::{self, Atomics};
use crate::witx::{Namespace, WasiCtx, WasiEnv};
use std::sync::Arc;
use wasmer::{
    ExternType, FunctionEnv, FunctionType, Imports, Instance, Memory, MemoryType, Module,
    SharedMemory, Store,
};

/// The imports for one module plus what must be wired after instantiation.
pub struct WasiImports {
    pub imports: Imports,
    envs: Vec<FunctionEnv<WasiEnv>>,
    imported_memory: Option<Memory>,
    /// A handle on the imported memory when it is shared: what thread instances attach.
    pub(super) shared_memory: Option<SharedMemory>,
    pub ctx: Arc<WasiCtx>,
    /// The guest thread these imports are for.
    tid: u32,
    /// The module's WASI 0.2 imports, if it has any.
    p2: Option<CoreImports>,
    /// A position-independent main module's linking: this store's state, whether this
    /// store lays the process out, the module's `dylink.0`.
    dl: Option<(super::dylink::Link, bool, super::dylink::DylinkInfo)>,
}

fn sig(t: &FunctionType) -> String {
    let list = |v: &[wasmer::Type]| {
        v.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(t.params()), list(t.results()))
}

fn setup(what: String) -> impl FnOnce(wasmer::MemoryError) -> RunError {
    move |e| RunError::Setup {
        what,
        why: e.to_string(),
    }
}

/// A memory for an import of type `mt`: the process's shared memory for a thread's
/// instance, else a new one.
fn import_memory(
    store: &mut Store,
    mt: &MemoryType,
    name: String,
    existing: Option<&SharedMemory>,
) -> Result<(Memory, Option<SharedMemory>), RunError> {
    if let Some(m) = existing {
        return Ok((m.clone().attach(store), Some(m.clone())));
    }
    let mem = Memory::new(store, *mt).map_err(setup(name))?;
    let shared = mem.as_shared(store);
    Ok((mem, shared))
}

impl WasiImports {
    pub fn new(
        store: &mut Store,
        module: &Module,
        ctx: Arc<WasiCtx>,
    ) -> Result<WasiImports, RunError> {
        Self::for_thread(store, module, ctx, crate::witx::env::MAIN_TID, None, None)
    }

    /// The imports of thread `tid`'s instance; `memory` is the process's shared memory
    /// (`None` for the main thread, whose import creates it), `p2` the handle table of
    /// the main instance's WASI 0.2 imports.
    pub(crate) fn for_thread(
        store: &mut Store,
        module: &Module,
        ctx: Arc<WasiCtx>,
        tid: u32,
        memory: Option<&SharedMemory>,
        p2: Option<Arc<P2State>>,
    ) -> Result<WasiImports, RunError> {
        let mut p2 = p2.map(CoreImports::sharing);
        let wasix_module = module
            .imports()
            .any(|i| matches!(i.module(), "wasix_32v1" | "wasix_64v1"));
        // A `-pie` main module: the dynamic linker provides its table, globals and the
        // functions of side modules (below, once the memory exists).
        let dylink = super::dylink::section::of_module(module).map_err(|why| RunError::Setup {
            what: "dylink.0 section".into(),
            why,
        })?;
        let mut imports = Imports::new();
        let mut envs: Vec<(Namespace, FunctionEnv<WasiEnv>)> = Vec::new();
        let mut imported_memory = None;
        let mut shared_memory = None;
        for imp in module.imports() {
            let (m, n) = (imp.module(), imp.name());
            match imp.ty() {
                // wasix-libc modules import their (shared) memory: create it from the type.
                ExternType::Memory(mt) => {
                    let (mem, keep) =
                        import_memory(store, mt, format!("memory `{m}::{n}`"), memory)?;
                    imports.define(m, n, mem.clone());
                    imported_memory = Some(mem);
                    shared_memory = keep;
                }
                ExternType::Function(ft) => {
                    let unknown = || RunError::UnknownImport {
                        module: m.into(),
                        name: n.into(),
                        sig: sig(ft),
                    };
                    let check = |store: &Store, f: &wasmer::Function| {
                        let have = f.ty(store);
                        match have == *ft {
                            true => Ok(()),
                            false => Err(RunError::ImportSignature {
                                module: m.into(),
                                name: n.into(),
                                got: sig(ft),
                                want: sig(&have),
                            }),
                        }
                    };
                    // `wasi:cli/stdout@0.2.0` and the like: the component front end's
                    // functions, with this module's memory and realloc.
                    if CoreImports::claims(m) {
                        let p2 = p2.get_or_insert_with(|| CoreImports::new(ctx.process.clone()));
                        let f = p2
                            .make(store, m, n, ctx.recorder.as_ref())
                            .ok_or_else(unknown)?;
                        check(store, &f)?;
                        imports.define(m, n, f);
                        continue;
                    }
                    if dylink.is_some() && Namespace::from_name(m).is_none() {
                        continue;
                    }
                    let ns = Namespace::from_name(m).ok_or_else(unknown)?;
                    let env = match envs.iter().find(|(k, _)| *k == ns) {
                        Some((_, e)) => e.clone(),
                        None => {
                            let mut data = WasiEnv::new(ctx.clone(), ns.flavor());
                            data.tid = tid;
                            data.wasix_module = wasix_module;
                            data.ns = ns.name();
                            let e = FunctionEnv::new(store, data);
                            envs.push((ns, e.clone()));
                            e
                        }
                    };
                    let f = ns.make(n, store, &env, Some(ft)).ok_or_else(unknown)?;
                    check(store, &f)?;
                    let f = match &ctx.recorder {
                        Some(r) if !crate::witx::record::UNWRAPPED.contains(&n) => {
                            r.wrap(store, ns.name(), n, f, tid, env.clone())
                        }
                        _ => f,
                    };
                    imports.define(m, n, f);
                }
                _ if dylink.is_some() => {}
                other => {
                    return Err(RunError::UnknownImport {
                        module: m.into(),
                        name: n.into(),
                        sig: format!("{other:?}"),
                    });
                }
            }
        }
        let all: Vec<FunctionEnv<WasiEnv>> = envs.iter().map(|(_, e)| e.clone()).collect();
        for e in &all {
            e.as_mut(store).siblings = all.clone();
        }
        let dl = match dylink {
            Some(info) => {
                let mem = imported_memory.as_ref().ok_or_else(|| RunError::Setup {
                    what: "position-independent module".into(),
                    why: "it imports no memory".into(),
                })?;
                let (link, first) = super::dylink::store::main_imports(
                    store,
                    tid,
                    module,
                    &info,
                    &ctx,
                    mem,
                    all.clone(),
                    &mut imports,
                )
                .map_err(|why| RunError::Setup {
                    what: "dynamic linking".into(),
                    why,
                })?;
                let table = super::dylink::store::table(&link);
                for e in &all {
                    let data = e.as_mut(store);
                    data.dl = Some(link.clone());
                    data.table = Some(table.clone());
                }
                Some((link, first, info))
            }
            None => None,
        };
        // An imported memory is known before instantiation: attach it now, so that a start
        // function (run by instantiation, before `bind`) can already make WASI calls.
        if let Some(m) = &imported_memory {
            let (shared, fixed) = (m.ty(store).shared, never_moves(store, m));
            for (_, e) in &envs {
                let data = e.as_mut(store);
                data.memory = Some(m.clone());
                data.memory_shared = shared;
                data.memory_fixed = fixed;
                data.view_cache.set((0, 0));
            }
            if let Some(p) = &p2 {
                p.bind(store, Some(m.clone()), None);
            }
        }
        // Futexes on a 32-bit shared memory wait in the engine's queues (the helper's
        // instructions, in this store); the first instance also lets interrupts wake them.
        // (A memory the 32-bit helper cannot import, a 64-bit one, keeps the core's queues.)
        if let (Some(shared), Some(mem)) = (&shared_memory, &imported_memory) {
            if let Some(a) = engine_atomics(store, &ctx, mem, shared) {
                let a = Arc::new(a);
                for (_, e) in &envs {
                    e.as_mut(store).atomics = Some(a.clone());
                }
                if memory.is_none() {
                    let m = shared.clone();
                    ctx.threads
                        .add_wake_hook(Arc::new(move |closing| atomics::wake_all(&m, closing)));
                }
            }
        }
        Ok(WasiImports {
            imports,
            envs: envs.into_iter().map(|(_, e)| e).collect(),
            imported_memory,
            shared_memory,
            ctx,
            tid,
            p2,
            dl,
        })
    }

    /// A position-independent module's stack pointer and stack bottom (for asyncify).
    pub(crate) fn dl_asyncify_stack(&self) -> Option<(wasmer::Global, u64)> {
        self.dl
            .as_ref()
            .map(|(link, _, _)| super::dylink::store::asyncify_stack(link))
    }

    /// The imported memory, if the module imports one.
    pub(crate) fn memory(&self) -> Option<Memory> {
        self.imported_memory.clone()
    }

    /// The handle table of the module's WASI 0.2 imports, for its thread instances.
    pub(super) fn p2_state(&self) -> Option<Arc<P2State>> {
        self.p2.as_ref().map(CoreImports::state)
    }

    /// Points every namespace at the instance's memory (exported `memory`, else imported).
    /// For the main thread's imports, also makes the calling OS thread the guest's main
    /// thread (see [`WasiImports::attach_main_thread`]): call it where `_start` will run.
    pub fn bind(&self, store: &mut Store, instance: &Instance) -> Result<(), RunError> {
        if self.tid == crate::witx::env::MAIN_TID {
            self.attach_main_thread();
        }
        let mem = match instance.exports.get_memory("memory") {
            Ok(m) => Some(m.clone()),
            Err(_) => self.imported_memory.clone(),
        };
        let shared = mem.as_ref().is_some_and(|m| m.ty(store).shared);
        let fixed = mem.as_ref().is_some_and(|m| never_moves(store, m));
        for e in &self.envs {
            let data = e.as_mut(store);
            data.memory = mem.clone();
            data.memory_shared = shared;
            data.memory_fixed = fixed;
            data.view_cache.set((0, 0));
            data.exports = Some(instance.exports.clone());
            if data.table.is_none() {
                data.table = instance
                    .exports
                    .get_table(crate::host::reencode::INDIRECT_TABLE)
                    .ok()
                    .cloned();
            }
        }
        if let Some(p) = &self.p2 {
            let realloc = instance.exports.get_function("cabi_realloc").ok();
            p.bind(store, mem, realloc);
        }
        if let Some((link, first, info)) = &self.dl {
            super::dylink::store::after_main(store, link, instance, *first, &self.ctx, info)
                .map_err(|why| RunError::Setup {
                    what: "dynamic linking".into(),
                    why,
                })?;
        }
        Ok(())
    }
}

fn engine_atomics(
    store: &mut Store,
    ctx: &WasiCtx,
    mem: &Memory,
    shared: &SharedMemory,
) -> Option<Atomics> {
    let helper = match ctx.atomics_helper.get() {
        Some(m) => m.clone(),
        None => {
            let m = atomics::helper_module(store).ok()?;
            ctx.atomics_helper.get_or_init(|| m).clone()
        }
    };
    Atomics::new(store, &helper, mem, shared.clone()).ok()
}

/// Whether `m` keeps its address as it grows: memories of the static style are reserved at
/// their maximum up front (the engine's tunables decide the style from the type, the same
/// way they did when the memory was made).
fn never_moves(store: &Store, m: &Memory) -> bool {
    use wasmer::sys::NativeEngineExt;
    let ty = m.ty(store);
    matches!(
        store.engine().tunables().memory_style(&ty),
        wasmer::sys::vm::MemoryStyle::Static
    )
}
