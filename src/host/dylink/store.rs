//! One store's (one thread's) side of dynamic linking: its indirect function table, its
//! `__stack_pointer`, its instances of the main module and of each side module. The first
//! store of a process lays the process out and runs relocations and constructors; every
//! other store (a thread, a fork child) instantiates the same modules at the same bases and
//! copies the linker's slots, so a function pointer means the same function on every thread.
//!
//! No lock is held while guest code runs (constructors, relocations, a stub's target).

use super::linker::{Layout, Linker, Side, MAIN_HANDLE, STACK_SIZE};
use super::section::DylinkInfo;
use crate::witx::errno::Errno;
use crate::witx::{Namespace, WasiCtx, WasiEnv};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use wasmer::{
    AsStoreMut, AsStoreRef, Extern, ExternType, Function, FunctionEnv, FunctionEnvMut,
    FunctionType, Global, GlobalType, Imports, Instance, Memory, Module, Mutability, Pages,
    RuntimeError, Table, TableType, Type, Value,
};

/// A failed `dlopen`/`dlsym`: the errno and the `dlerror()` text.
#[derive(Debug)]
pub struct DlError {
    pub errno: Errno,
    pub message: String,
}

fn dl_err(errno: Errno, message: impl Into<String>) -> DlError {
    DlError {
        errno,
        message: message.into(),
    }
}

/// dlopen flags (the witx `dl_flags`).
pub const RTLD_LAZY: u32 = 1;
pub const RTLD_NOW: u32 = 2;
pub const RTLD_GLOBAL: u32 = 4;
pub const RTLD_NOLOAD: u32 = 8;
pub const RTLD_NODELETE: u32 = 16;
pub const RTLD_DEEPBIND: u32 = 32;
pub const RTLD_ALL: u32 = 63;

/// Where bare side-module names are looked for after `LD_LIBRARY_PATH`.
const SYSTEM_DIRS: &[&str] = &["/lib", "/usr/lib", "/usr/local/lib"];
/// How deep needed-library chains may go.
const MAX_DEPTH: u32 = 32;

pub struct StoreLink {
    pub linker: Arc<Linker>,
    memory: Memory,
    table: Table,
    stack_pointer: Global,
    /// The main instance's namespace envs: a side module's WASI imports use them.
    envs: Vec<FunctionEnv<WasiEnv>>,
    main: Option<Instance>,
    sides: HashMap<u32, Instance>,
    slots_applied: usize,
    /// The main module's GOT imports, filled once it is instantiated.
    pending: Vec<(Global, Got)>,
    /// The linker generation this store has copied.
    seen: u64,
    /// Per module, its own table area: function reference → index (see [`pointer_of`]).
    own: HashMap<u32, HashMap<usize, u32>>,
    /// The guest thread this store runs.
    tid: u32,
}

/// A store's linking state, shared by the envs and stubs of that store.
pub type Link = Arc<Mutex<StoreLink>>;

fn lock(link: &Link) -> std::sync::MutexGuard<'_, StoreLink> {
    link.lock().unwrap_or_else(|e| e.into_inner())
}

/// A `GOT.*` import: filled with a data address or a function pointer after instantiation.
#[derive(Clone, Debug)]
enum Got {
    Mem(String),
    Func(String),
}

/// Which modules a lookup searches (the main module always first).
#[derive(Clone, Copy)]
enum Scope {
    /// RTLD_DEFAULT: the main module and every RTLD_GLOBAL side module, in load order.
    Default,
    /// A dlsym handle: that module and what it needs.
    Module(u32),
    /// A module being linked: the default scope plus itself and what it needs.
    Loading(u32),
}

fn align_up(v: u64, align: u64) -> u64 {
    v.div_ceil(align) * align
}

fn int_value(ty: Type, v: u64) -> Value {
    match ty {
        Type::I64 => Value::I64(v as i64),
        _ => Value::I32(v as u32 as i32),
    }
}

fn global_u64(store: &mut impl AsStoreMut, g: &Global) -> Option<u64> {
    match g.get(store) {
        Value::I32(v) => Some(v as u32 as u64),
        Value::I64(v) => Some(v as u64),
        _ => None,
    }
}

/// What a position-independent main module imports beyond its memory and WASI: table,
/// stack pointer, bases, GOT entries and functions of the side modules it needs (stubs
/// that resolve at their first call). The process's first store lays the process out.
#[allow(clippy::too_many_arguments)]
pub fn main_imports(
    store: &mut impl AsStoreMut,
    tid: u32,
    module: &Module,
    info: &DylinkInfo,
    ctx: &WasiCtx,
    memory: &Memory,
    envs: Vec<FunctionEnv<WasiEnv>>,
    imports: &mut Imports,
) -> Result<(Link, bool), String> {
    let first = ctx.dl.get().is_none();
    let table_min = module
        .imports()
        .find_map(|i| match i.ty() {
            ExternType::Table(t) if i.name() == "__indirect_function_table" => Some(*t),
            _ => None,
        })
        .unwrap_or(TableType::new(Type::FuncRef, 0, None));
    let linker = match ctx.dl.get() {
        Some(l) => l.clone(),
        None => {
            let memory_base = align_up(1024, 1u64 << info.memory_align);
            let stack_low = align_up(memory_base + info.memory_size as u64, 16);
            let layout = Layout {
                memory_base,
                table_base: 1,
                table_size: info.table_size,
                stack_low,
                stack_high: stack_low + STACK_SIZE,
            };
            let table_len = (1 + info.table_size).max(table_min.minimum);
            let l = Arc::new(Linker::new(layout, table_len));
            let _ = ctx.dl.set(l.clone());
            l
        }
    };
    let layout = linker.layout();
    if first {
        let have = memory.view(store).data_size();
        if have < layout.stack_high {
            let pages = (layout.stack_high - have).div_ceil(wasmer::WASM_PAGE_SIZE as u64);
            memory
                .grow(store, Pages(pages as u32))
                .map_err(|e| format!("memory for the data and stack of a PIE module: {e}"))?;
        }
    }
    let table = Table::new(
        store,
        TableType::new(Type::FuncRef, linker.table_len(), table_min.maximum),
        Value::FuncRef(None),
    )
    .map_err(|e| format!("indirect function table: {e}"))?;
    let sp_ty = module
        .imports()
        .find_map(|i| match i.ty() {
            ExternType::Global(g) if i.name() == "__stack_pointer" => Some(g.ty),
            _ => None,
        })
        .unwrap_or(Type::I32);
    // A thread sets its own stack pointer in its entry (wasi_thread_start).
    let stack_pointer = Global::new_mut(store, int_value(sp_ty, layout.stack_high));
    let link = Arc::new(Mutex::new(StoreLink {
        linker,
        memory: memory.clone(),
        table,
        stack_pointer,
        envs,
        main: None,
        sides: HashMap::new(),
        slots_applied: 0,
        pending: Vec::new(),
        seen: u64::MAX,
        own: HashMap::new(),
        tid,
    }));
    let mut pending = Vec::new();
    for imp in module.imports() {
        let (m, n) = (imp.module(), imp.name());
        if matches!(imp.ty(), ExternType::Memory(_)) || Namespace::from_name(m).is_some() {
            continue;
        }
        if crate::p2::core_imports::CoreImports::claims(m) {
            continue;
        }
        let e = provide(
            store,
            &link,
            Scope::Default,
            info,
            (m, n, imp.ty()),
            layout.memory_base,
            layout.table_base,
            &mut pending,
        )?;
        imports.define(m, n, e);
    }
    lock(&link).pending = pending;
    Ok((link, first))
}

/// After the main instance exists: fill its GOT, and in the process's first store apply
/// its data relocations and load the side modules it needs; in any other store bring the
/// table and the side modules up to date.
pub fn after_main(
    store: &mut impl AsStoreMut,
    link: &Link,
    instance: &Instance,
    first: bool,
    ctx: &WasiCtx,
    info: &DylinkInfo,
) -> Result<(), String> {
    let pending = {
        let mut l = lock(link);
        l.main = Some(instance.clone());
        std::mem::take(&mut l.pending)
    };
    if first {
        call_init(store, instance, "__wasm_apply_data_relocs")?;
        call_init(store, instance, "__wasm_apply_tls_relocs")?;
        for name in &info.needed {
            load(store, link, ctx, name, RTLD_NOW | RTLD_GLOBAL, &[], 1).map_err(|e| e.message)?;
        }
    } else {
        sync(store, link).map_err(|e| e.message)?;
    }
    fill_got(store, link, &pending, Scope::Default).map_err(|e| e.message)?;
    sync(store, link).map_err(|e| e.message)
}

fn call_init(store: &mut impl AsStoreMut, i: &Instance, name: &str) -> Result<(), String> {
    match i.exports.get_function(name) {
        Ok(f) => f
            .call(store, &[])
            .map(drop)
            .map_err(|e| format!("{name}: {}", e.message())),
        Err(_) => Ok(()),
    }
}

/// The extern for one import of a position-independent module at (`memory_base`,
/// `table_base`). `GOT.*` entries are added to `pending`.
#[allow(clippy::too_many_arguments)]
fn provide(
    store: &mut impl AsStoreMut,
    link: &Link,
    scope: Scope,
    info: &DylinkInfo,
    (m, n, ty): (&str, &str, &ExternType),
    memory_base: u64,
    table_base: u32,
    pending: &mut Vec<(Global, Got)>,
) -> Result<Extern, String> {
    let l = lock(link);
    let layout = l.linker.layout();
    let unsupported = || format!("unsupported import `{m}::{n}` ({ty:?})");
    let e = match (m, ty) {
        ("env", ExternType::Memory(_)) => l.memory.clone().into(),
        ("env", ExternType::Table(_)) if n == "__indirect_function_table" => l.table.clone().into(),
        (_, ExternType::Global(g)) => {
            let konst = |store: &mut _, v: u64| -> Extern {
                let v = int_value(g.ty, v);
                match g.mutability {
                    Mutability::Var => Global::new_mut(store, v),
                    Mutability::Const => Global::new(store, v),
                }
                .into()
            };
            match (m, n) {
                ("env", "__stack_pointer") => l.stack_pointer.clone().into(),
                ("env", "__memory_base") => konst(store, memory_base),
                ("env", "__table_base") => konst(store, table_base as u64),
                ("GOT.mem", "__stack_high") | ("GOT.mem", "__heap_base") => {
                    konst(store, layout.stack_high)
                }
                ("GOT.mem", "__stack_low") => konst(store, layout.stack_low),
                ("GOT.mem", _) | ("GOT.func", _) => {
                    let GlobalType {
                        ty,
                        mutability: Mutability::Var,
                    } = *g
                    else {
                        return Err(unsupported());
                    };
                    let g = Global::new_mut(store, int_value(ty, 0));
                    let got = match m {
                        "GOT.mem" => Got::Mem(n.to_string()),
                        _ => Got::Func(n.to_string()),
                    };
                    pending.push((g.clone(), got));
                    g.into()
                }
                _ => return Err(unsupported()),
            }
        }
        ("env", ExternType::Function(ft)) => {
            let weak = info.weak_imports.contains(&(m.to_string(), n.to_string()));
            drop(l);
            stub(store, link, scope, n, ft.clone(), weak).into()
        }
        (_, ExternType::Function(ft)) => {
            // A side module calling WASI itself: the main instance's env of that namespace.
            let ns = Namespace::from_name(m).ok_or_else(unsupported)?;
            let env = l
                .envs
                .iter()
                .find(|e| e.as_ref(store).ns == ns.name())
                .cloned()
                .ok_or_else(|| format!("`{m}::{n}`: the main module does not import {m}"))?;
            drop(l);
            let mut sm = store.as_store_mut();
            let f = ns
                .make(n, &mut sm, &env, Some(ft))
                .ok_or_else(unsupported)?;
            if f.ty(store) != *ft {
                return Err(format!("`{m}::{n}` has the wrong signature"));
            }
            f.into()
        }
        _ => return Err(unsupported()),
    };
    Ok(e)
}

struct Stub {
    link: Link,
    scope: Scope,
    name: String,
    ty: FunctionType,
    weak: bool,
    target: Option<Function>,
}

/// A function import: bound now when `scope` defines it, else a stub that resolves at its
/// first call (lazy binding). Still undefined then: a trap naming the symbol.
fn stub(
    store: &mut impl AsStoreMut,
    link: &Link,
    scope: Scope,
    name: &str,
    ty: FunctionType,
    weak: bool,
) -> Function {
    // An already loaded definition is bound now.
    if let Some((_, Extern::Function(f))) = resolve(store, link, name, scope) {
        if f.ty(store) == ty {
            return f;
        }
    }
    let env = FunctionEnv::new(
        store,
        Stub {
            link: link.clone(),
            scope,
            name: name.to_string(),
            ty: ty.clone(),
            weak,
            target: None,
        },
    );
    Function::new_with_env(
        store,
        &env,
        ty,
        |mut env: FunctionEnvMut<Stub>, args: &[Value]| {
            let target = match env.data().target.clone() {
                Some(f) => f,
                None => {
                    let (link, scope, name, ty, weak) = {
                        let s = env.data();
                        (
                            s.link.clone(),
                            s.scope,
                            s.name.clone(),
                            s.ty.clone(),
                            s.weak,
                        )
                    };
                    let found = resolve(&mut env, &link, &name, scope);
                    let f = match found {
                        Some((_, Extern::Function(f))) if f.ty(&env) == ty => f,
                        Some(_) => {
                            return Err(RuntimeError::new(format!(
                                "symbol `{name}` has another type than its import"
                            )))
                        }
                        None if weak => {
                            return Err(RuntimeError::new(format!(
                                "call to undefined weak symbol `{name}`"
                            )))
                        }
                        None => return Err(RuntimeError::new(format!("undefined symbol: {name}"))),
                    };
                    env.data_mut().target = Some(f.clone());
                    f
                }
            };
            target.call(&mut env, args).map(|r| r.into_vec())
        },
    )
}

/// The handles `scope` searches, in order.
fn scope_handles(linker: &Linker, scope: Scope) -> Vec<u32> {
    let deps_of = |root: u32, out: &mut Vec<u32>| {
        let mut todo = vec![root];
        while let Some(h) = todo.pop() {
            if out.contains(&h) {
                continue;
            }
            out.push(h);
            if let Some(m) = linker.module(h) {
                todo.extend(m.deps.iter().rev());
            }
        }
    };
    let default = |out: &mut Vec<u32>| {
        out.push(MAIN_HANDLE);
        for m in linker.modules() {
            if m.live() && m.global.load(Ordering::Acquire) {
                out.push(m.handle);
            }
        }
    };
    let mut out = Vec::new();
    match scope {
        Scope::Default => default(&mut out),
        Scope::Module(MAIN_HANDLE) => out.push(MAIN_HANDLE),
        Scope::Module(h) => deps_of(h, &mut out),
        Scope::Loading(h) => {
            default(&mut out);
            deps_of(h, &mut out);
        }
    }
    out
}

/// The first definition of `name` in `scope`: (owner handle, export).
fn resolve(
    store: &mut impl AsStoreMut,
    link: &Link,
    name: &str,
    scope: Scope,
) -> Option<(u32, Extern)> {
    let (linker, instances) = {
        let l = lock(link);
        let hs = scope_handles(&l.linker, scope);
        let inst: Vec<(u32, Instance)> = hs
            .into_iter()
            .filter_map(|h| match h {
                MAIN_HANDLE => l.main.clone().map(|i| (h, i)),
                _ => l.sides.get(&h).cloned().map(|i| (h, i)),
            })
            .collect();
        (l.linker.clone(), inst)
    };
    let _ = (store, linker);
    instances.into_iter().find_map(|(h, i)| {
        // Internal linker symbols are never another module's definition.
        if name.starts_with("__wasm_") || name == "__tls_base" || name == "__stack_pointer" {
            return None;
        }
        i.exports.get_extern(name).cloned().map(|e| (h, e))
    })
}

/// The address of data symbol `name` exported by `owner` as the global `g`.
fn data_address(
    store: &mut impl AsStoreMut,
    link: &Link,
    owner: u32,
    name: &str,
    g: &Global,
) -> Option<u64> {
    let v = global_u64(store, g)?;
    let l = lock(link);
    let (base, tls, inst) = match owner {
        MAIN_HANDLE => (l.linker.layout().memory_base, false, l.main.clone()),
        h => {
            let side = l.linker.module(h)?;
            (
                side.memory_base,
                side.info.tls_exports.contains(name),
                l.sides.get(&h).cloned(),
            )
        }
    };
    drop(l);
    if tls {
        // A thread-local: relative to this thread's TLS block of that module.
        let tb = inst?.exports.get_global("__tls_base").ok()?.clone();
        return Some(global_u64(store, &tb)? + v);
    }
    Some(base + v)
}

fn fill_got(
    store: &mut impl AsStoreMut,
    link: &Link,
    pending: &[(Global, Got)],
    scope: Scope,
) -> Result<(), DlError> {
    for (g, got) in pending {
        let name = match got {
            Got::Mem(n) | Got::Func(n) => n,
        };
        let value = match (got, resolve(store, link, name, scope)) {
            (Got::Mem(_), Some((owner, Extern::Global(e)))) => {
                data_address(store, link, owner, name, &e)
            }
            (Got::Func(_), Some((owner, Extern::Function(f)))) => {
                Some(pointer_of(store, link, owner, name, &f) as u64)
            }
            _ => None,
        };
        let Some(v) = value else {
            return Err(dl_err(Errno::NOEXEC, format!("undefined symbol: {name}")));
        };
        let ty = g.ty(store).ty;
        g.set(store, int_value(ty, v))
            .map_err(|e| dl_err(Errno::NOEXEC, format!("GOT entry {name}: {e}")))?;
    }
    apply_slots(store, link)
}

/// The function pointer of `owner`'s export `name` (`f` in this store).
fn pointer_of(
    store: &mut impl AsStoreMut,
    link: &Link,
    owner: u32,
    name: &str,
    f: &Function,
) -> u32 {
    let linker = lock(link).linker.clone();
    if let Some(i) = linker.known_slot(owner, name) {
        return i;
    }
    let own = own_index(store, link, owner, f);
    linker.slot(owner, name, own)
}

/// The engine's identity of a function (its funcref), equal for every handle on it.
fn funcref_id(store: &mut impl AsStoreMut, f: &Function) -> usize {
    // SAFETY: a funcref value's raw form is its `funcref` pointer.
    unsafe { Value::FuncRef(Some(f.clone())).as_raw(store).funcref }
}

/// Where `owner`'s own elements put `f`, if they did: each module's table area is read
/// once per store into a map.
fn own_index(store: &mut impl AsStoreMut, link: &Link, owner: u32, f: &Function) -> Option<u32> {
    let key = funcref_id(store, f);
    let mut l = lock(link);
    if !l.own.contains_key(&owner) {
        let (base, size) = match owner {
            MAIN_HANDLE => {
                let lay = l.linker.layout();
                (lay.table_base, lay.table_size)
            }
            h => {
                let side = l.linker.module(h)?;
                (side.table_base, side.info.table_size)
            }
        };
        let table = l.table.clone();
        let mut map = HashMap::new();
        for i in base..base.saturating_add(size) {
            if let Some(Value::FuncRef(Some(g))) = table.get(store, i) {
                map.entry(funcref_id(store, &g)).or_insert(i);
            }
        }
        l.own.insert(owner, map);
    }
    l.own.get(&owner)?.get(&key).copied()
}

/// Grows this store's table to the linker's size and sets the slots placed since.
fn apply_slots(store: &mut impl AsStoreMut, link: &Link) -> Result<(), DlError> {
    let (table, linker, from) = {
        let l = lock(link);
        (l.table.clone(), l.linker.clone(), l.slots_applied)
    };
    let want = linker.table_len();
    let have = table.size(store);
    if have < want {
        table
            .grow(store, want - have, Value::FuncRef(None))
            .map_err(|e| dl_err(Errno::NOMEM, format!("table: {e}")))?;
    }
    let slots = linker.slots_from(from);
    let mut done = 0;
    for s in &slots {
        // A slot of a module this store has not instantiated yet waits for it (slots are
        // applied in order; instantiating it applies them).
        let here = s.owner == MAIN_HANDLE || lock(link).sides.contains_key(&s.owner);
        if !here && linker.module(s.owner).is_some() {
            break;
        }
        if let Some((_, Extern::Function(f))) =
            resolve(store, link, &s.name, Scope::Module(s.owner))
        {
            table
                .set(store, s.index, Value::FuncRef(Some(f)))
                .map_err(|e| dl_err(Errno::NOMEM, format!("table: {e}")))?;
        }
        done += 1;
    }
    lock(link).slots_applied = from + done;
    Ok(())
}

/// Instantiates every module the process loaded that this store has not yet (a thread
/// started before, or running while, another thread's dlopen) and copies the slots.
pub fn sync(store: &mut impl AsStoreMut, link: &Link) -> Result<(), DlError> {
    let linker = lock(link).linker.clone();
    let generation = linker.generation();
    for side in linker.modules() {
        if !side.live() || lock(link).sides.contains_key(&side.handle) {
            continue;
        }
        instantiate(store, link, &side, false, false)?;
    }
    apply_slots(store, link)?;
    let tid = {
        let mut l = lock(link);
        l.seen = generation;
        l.tid
    };
    linker.note_seen(tid, generation);
    Ok(())
}

/// This store's thread leaves a blocking import: it copies what it missed.
pub fn resume(store: &mut impl AsStoreMut, link: &Link) -> Result<(), DlError> {
    if stale(link) {
        return sync(store, link);
    }
    let l = lock(link);
    l.linker.park(l.tid, false);
    Ok(())
}

/// This store's thread enters a blocking import (see [`Linker::publish`]).
pub fn park(link: &Link) {
    let l = lock(link);
    l.linker.park(l.tid, true);
}

/// After a load or a new slot: lets the process's other threads copy it (see
/// [`Linker::publish`]).
pub fn publish(link: &Link, ctx: &WasiCtx) {
    let (linker, tid) = {
        let l = lock(link);
        (l.linker.clone(), l.tid)
    };
    // This thread has it all already.
    linker.note_seen(tid, linker.generation());
    linker.publish(tid, |t| ctx.threads.is_alive(t));
}

/// Whether another store loaded a module or placed a slot since this one last synced.
pub fn stale(link: &Link) -> bool {
    let l = lock(link);
    l.seen != l.linker.generation()
}

/// Instantiates `side` in this store; `fresh` (the loading store) also runs its data
/// relocations and constructors, and with `now` refuses it when an import is undefined.
fn instantiate(
    store: &mut impl AsStoreMut,
    link: &Link,
    side: &Arc<Side>,
    fresh: bool,
    now: bool,
) -> Result<(), DlError> {
    let fail = |m: String| dl_err(Errno::NOEXEC, format!("{}: {m}", side.path));
    apply_slots(store, link)?;
    let mut imports = Imports::new();
    let mut pending = Vec::new();
    for imp in side.module.imports() {
        let e = provide(
            store,
            link,
            Scope::Loading(side.handle),
            &side.info,
            (imp.module(), imp.name(), imp.ty()),
            side.memory_base,
            side.table_base,
            &mut pending,
        )
        .map_err(fail)?;
        imports.define(imp.module(), imp.name(), e);
    }
    let instance = Instance::new(store, &side.module, &imports).map_err(|e| fail(e.to_string()))?;
    lock(link).sides.insert(side.handle, instance.clone());
    fill_got(store, link, &pending, Scope::Loading(side.handle))?;
    if fresh && now {
        // RTLD_NOW: every function it imports must be defined somewhere by now.
        for imp in side.module.imports() {
            let (m, n) = (imp.module(), imp.name());
            let weak = side
                .info
                .weak_imports
                .contains(&(m.to_string(), n.to_string()));
            if m == "env"
                && matches!(imp.ty(), ExternType::Function(_))
                && !weak
                && resolve(store, link, n, Scope::Loading(side.handle)).is_none()
            {
                return Err(fail(format!("undefined symbol: {n}")));
            }
        }
    }
    if fresh {
        call_init(store, &instance, "__wasm_apply_data_relocs").map_err(fail)?;
        call_init(store, &instance, "__wasm_call_ctors").map_err(fail)?;
    }
    Ok(())
}

/// Finds `name` as the dynamic loader does: a name with a `/` is a path (relative to the
/// cwd); a bare name is looked for in `lib_path` then the system directories.
fn locate(
    ctx: &WasiCtx,
    name: &str,
    lib_path: &[String],
) -> Result<(String, Option<Vec<u8>>), DlError> {
    let linker = ctx.dl.get();
    let candidates: Vec<String> = if name.contains('/') {
        vec![ctx.absolute(name)]
    } else {
        lib_path
            .iter()
            .map(String::as_str)
            .chain(SYSTEM_DIRS.iter().copied())
            .filter(|d| !d.is_empty())
            .map(|d| ctx.absolute(&format!("{d}/{name}")))
            .collect()
    };
    let mut last = Errno::NOENT;
    for abs in candidates {
        if linker.and_then(|l| l.find_loaded(&abs)).is_some() {
            return Ok((abs, None));
        }
        match ctx.read_program(&abs) {
            Ok(crate::core::exec::Program::Wasm(b)) => return Ok((abs, Some(b))),
            Ok(_) => {
                return Err(dl_err(
                    Errno::NOEXEC,
                    format!("{abs}: not a WebAssembly module"),
                ))
            }
            Err(e) => {
                let e = Errno::from(e);
                if e != Errno::NOENT && e != Errno::NOTDIR {
                    last = e;
                }
            }
        }
    }
    Err(dl_err(
        last,
        format!("{name}: cannot open shared object file: {}", describe(last)),
    ))
}

/// strerror's words for the errnos a lookup ends with.
fn describe(e: Errno) -> &'static str {
    match e {
        Errno::NOENT => "No such file or directory",
        Errno::ACCES => "Permission denied",
        Errno::NOTDIR => "Not a directory",
        Errno::ISDIR => "Is a directory",
        Errno::NOMEM => "Out of memory",
        _ => crate::witx::errno::name(e),
    }
}

/// Loads side module `name` (and what it needs, first) into the process and this store;
/// returns its handle. An already loaded one is found again (RTLD_GLOBAL promotes it).
pub fn load(
    store: &mut impl AsStoreMut,
    link: &Link,
    ctx: &WasiCtx,
    name: &str,
    flags: u32,
    lib_path: &[String],
    depth: u32,
) -> Result<u32, DlError> {
    if depth > MAX_DEPTH {
        return Err(dl_err(
            Errno::LOOP,
            format!("{name}: needed libraries nest too deep"),
        ));
    }
    let linker = lock(link).linker.clone();
    let (path, bytes) = locate(ctx, name, lib_path)?;
    let Some(bytes) = bytes else {
        let side = linker
            .find_loaded(&path)
            .ok_or_else(|| dl_err(Errno::NOENT, format!("{path}: unloaded")))?;
        if flags & RTLD_GLOBAL != 0 {
            side.global.store(true, Ordering::Release);
        }
        return Ok(side.handle);
    };
    if flags & RTLD_NOLOAD != 0 {
        return Err(dl_err(
            Errno::NOENT,
            format!("{path}: not loaded (RTLD_NOLOAD)"),
        ));
    }
    let engine = store.as_store_ref().engine().clone();
    let module = Module::new(&engine, &bytes)
        .map_err(|e| dl_err(Errno::NOEXEC, format!("{path}: not a valid module: {e}")))?;
    let info = super::section::of_module(&module)
        .map_err(|e| dl_err(Errno::NOEXEC, format!("{path}: {e}")))?
        .ok_or_else(|| {
            dl_err(
                Errno::NOEXEC,
                format!("{path}: not a side module (no dylink.0 section: link it with -shared)"),
            )
        })?;
    let mut deps = Vec::new();
    for n in &info.needed {
        deps.push(load(
            store,
            link,
            ctx,
            n,
            flags & RTLD_GLOBAL,
            lib_path,
            depth + 1,
        )?);
    }
    // Its data goes in fresh pages at the end of memory (malloc's sbrk grows past them).
    let memory = lock(link).memory.clone();
    let align = 1u64 << info.memory_align;
    let memory_base = if info.memory_size == 0 {
        0
    } else {
        let need = info.memory_size as u64 + align;
        let pages = need.div_ceil(wasmer::WASM_PAGE_SIZE as u64);
        let prev = memory
            .grow(store, Pages(pages as u32))
            .map_err(|e| dl_err(Errno::NOMEM, format!("{path}: no memory for its data: {e}")))?;
        align_up(prev.0 as u64 * wasmer::WASM_PAGE_SIZE as u64, align)
    };
    let side = linker
        .add(
            path.clone(),
            module,
            info,
            memory_base,
            deps,
            flags & RTLD_GLOBAL != 0,
        )
        .ok_or_else(|| dl_err(Errno::NOMEM, format!("{path}: too many side modules")))?;
    // RTLD_LAZY binds at the first call; anything else (RTLD_NOW, needed libraries) now.
    let now = flags & RTLD_LAZY == 0 || flags & RTLD_NOW != 0;
    if let Err(e) = instantiate(store, link, &side, true, now) {
        side.failed.store(true, Ordering::Release);
        lock(link).sides.remove(&side.handle);
        return Err(e);
    }
    side.ready.store(true, Ordering::Release);
    Ok(side.handle)
}

/// `dlsym`: a function's table index or a data symbol's address. Handle 0 is
/// RTLD_DEFAULT, [`MAIN_HANDLE`] the main module.
pub fn symbol(
    store: &mut impl AsStoreMut,
    link: &Link,
    handle: u32,
    name: &str,
) -> Result<u64, DlError> {
    sync(store, link)?;
    let linker = lock(link).linker.clone();
    let scope = match handle {
        0 => Scope::Default,
        MAIN_HANDLE => Scope::Module(MAIN_HANDLE),
        h if linker.module(h).is_some() => Scope::Module(h),
        h => return Err(dl_err(Errno::INVAL, format!("invalid handle {h:#x}"))),
    };
    match resolve(store, link, name, scope) {
        Some((owner, Extern::Function(f))) => {
            let i = pointer_of(store, link, owner, name, &f);
            apply_slots(store, link)?;
            Ok(i as u64)
        }
        Some((owner, Extern::Global(g))) => data_address(store, link, owner, name, &g)
            .ok_or_else(|| dl_err(Errno::NOENT, format!("{name}: not a data symbol"))),
        _ => Err(dl_err(Errno::NOENT, format!("symbol not found: {name}"))),
    }
}

/// This store's `__stack_pointer`.
pub fn stack_pointer(link: &Link) -> Global {
    lock(link).stack_pointer.clone()
}

/// This store's indirect function table.
pub fn table(link: &Link) -> Table {
    lock(link).table.clone()
}

/// A new table slot outside every module's area (a closure): decided by the linker so
/// that no side module loaded later lands on it; this store's table grows to hold it.
pub fn reserve_slot(store: &mut impl AsStoreMut, link: &Link) -> Result<u32, DlError> {
    let linker = lock(link).linker.clone();
    let i = linker.reserve_slot();
    apply_slots(store, link)?;
    Ok(i)
}

/// Whether `handle` names the main module or a loaded side module.
pub fn valid_handle(link: &Link, handle: u32) -> bool {
    handle == MAIN_HANDLE || lock(link).linker.module(handle).is_some()
}
