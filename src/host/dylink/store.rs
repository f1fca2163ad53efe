//! One store's (one thread's) side of dynamic linking: its indirect function table, its
//! `__stack_pointer`, its instances of the main module and of each side module. The first
//! store of a process lays the process out and runs relocations and constructors; every
//! other store (a thread, a fork child) instantiates the same modules at the same bases and
//! copies the linker's slots, so a function pointer means the same function on every thread.
//!
//! No lock is held while guest code runs (constructors, relocations, a stub's target).

use super::imports::{fill_got, int_value, provide, Got};
use super::linker::{Layout, Linker, MAIN_HANDLE, STACK_SIZE};
use super::load::{dl_err, instantiate, load, DlError, RTLD_GLOBAL, RTLD_NOW};
use super::resolve::{resolve, Scope};
use super::section::DylinkInfo;
use crate::witx::errno::Errno;
use crate::witx::{Namespace, WasiCtx, WasiEnv};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wasmer::{
    AsStoreMut, Extern, ExternType, FunctionEnv, Global, Imports, Instance, Memory, Module, Pages,
    Table, TableType, Type, Value,
};

pub struct StoreLink {
    pub linker: Arc<Linker>,
    pub(super) memory: Memory,
    pub(super) table: Table,
    pub(super) stack_pointer: Global,
    /// The main instance's namespace envs: a side module's WASI imports use them.
    pub(super) envs: Vec<FunctionEnv<WasiEnv>>,
    pub(super) main: Option<Instance>,
    pub(super) sides: HashMap<u32, Instance>,
    pub(super) slots_applied: usize,
    /// The main module's GOT imports, filled once it is instantiated.
    pub(super) pending: Vec<(Global, Got)>,
    /// Per module, its own table area: function reference → index (see [`pointer_of`]).
    pub(super) own: HashMap<u32, HashMap<usize, u32>>,
}

/// A store's linking state, shared by the envs and stubs of that store. What every import
/// looks at ([`stale`], [`park`]) is outside the lock.
pub struct LinkCell {
    state: Mutex<StoreLink>,
    linker: Arc<Linker>,
    /// The guest thread this store runs.
    tid: u32,
    /// The linker generation this store has copied.
    seen: AtomicU64,
}

pub type Link = Arc<LinkCell>;

pub(super) fn lock(link: &Link) -> std::sync::MutexGuard<'_, StoreLink> {
    link.state.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn align_up(v: u64, align: u64) -> u64 {
    v.div_ceil(align) * align
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
    let link = Arc::new(LinkCell {
        linker: linker.clone(),
        tid,
        seen: AtomicU64::new(u64::MAX),
        state: Mutex::new(StoreLink {
            linker,
            memory: memory.clone(),
            table,
            stack_pointer,
            envs,
            main: None,
            sides: HashMap::new(),
            slots_applied: 0,
            pending: Vec::new(),
            own: HashMap::new(),
        }),
    });
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

pub(super) fn call_init(
    store: &mut impl AsStoreMut,
    i: &Instance,
    name: &str,
) -> Result<(), String> {
    match i.exports.get_function(name) {
        Ok(f) => f
            .call(store, &[])
            .map(drop)
            .map_err(|e| format!("{name}: {}", e.message())),
        Err(_) => Ok(()),
    }
}

/// Grows this store's table to the linker's size and sets the slots placed since.
pub(super) fn apply_slots(store: &mut impl AsStoreMut, link: &Link) -> Result<(), DlError> {
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
    // Nothing new since the last copy: nothing to do (dlsym calls this every time).
    if !stale(link) {
        return Ok(());
    }
    let linker = link.linker.clone();
    let generation = linker.generation();
    for side in linker.modules() {
        if !side.live() || lock(link).sides.contains_key(&side.handle) {
            continue;
        }
        instantiate(store, link, &side, false, false)?;
    }
    apply_slots(store, link)?;
    link.seen.store(generation, Ordering::Release);
    linker.note_seen(link.tid, generation);
    Ok(())
}

/// This store's thread leaves a blocking import: it copies what it missed.
pub fn resume(store: &mut impl AsStoreMut, link: &Link) -> Result<(), DlError> {
    if stale(link) {
        return sync(store, link);
    }
    link.linker.park(link.tid, false);
    Ok(())
}

/// This store's thread enters a blocking import (see [`Linker::publish`]).
pub fn park(link: &Link) {
    link.linker.park(link.tid, true);
}

/// After a load or a new slot: lets the process's other threads copy it (see
/// [`Linker::publish`]).
pub fn publish(link: &Link, ctx: &WasiCtx) {
    let (linker, tid) = (&link.linker, link.tid);
    // This thread has it all already.
    linker.note_seen(tid, linker.generation());
    linker.publish(tid, |t| ctx.threads.is_alive(t));
}

/// Whether another store loaded a module or placed a slot since this one last synced.
#[inline]
pub fn stale(link: &Link) -> bool {
    link.seen.load(Ordering::Acquire) != link.linker.generation()
}

/// What asyncify needs of a position-independent module: its imported stack pointer and
/// the bottom of the main thread's stack (the data lies below it).
pub fn asyncify_stack(link: &Link) -> (Global, u64) {
    let l = lock(link);
    (l.stack_pointer.clone(), l.linker.layout().stack_low)
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
