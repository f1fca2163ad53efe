//! Finding symbols: which modules a lookup searches, a symbol's definition, a data
//! symbol's address and a function's one pointer (`dlsym`).

use super::imports::global_u64;
use super::linker::{Linker, MAIN_HANDLE};
use super::load::{dl_err, DlError};
use super::store::{apply_slots, lock, sync, Link};
use crate::witx::errno::Errno;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use wasmer::{AsStoreMut, Extern, Function, Global, Instance, Value};

/// Which modules a lookup searches (the main module always first).
#[derive(Clone, Copy)]
pub(super) enum Scope {
    /// RTLD_DEFAULT: the main module and every RTLD_GLOBAL side module, in load order.
    Default,
    /// A dlsym handle: that module and what it needs.
    Module(u32),
    /// A module being linked: the default scope plus itself and what it needs.
    Loading(u32),
}

/// The handles `scope` searches, in order.
pub(super) fn scope_handles(linker: &Linker, scope: Scope) -> Vec<u32> {
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
pub(super) fn resolve(
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
pub(super) fn data_address(
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

/// The function pointer of `owner`'s export `name` (`f` in this store).
pub(super) fn pointer_of(
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
pub(super) fn funcref_id(store: &mut impl AsStoreMut, f: &Function) -> usize {
    // SAFETY: a funcref value's raw form is its `funcref` pointer.
    unsafe { Value::FuncRef(Some(f.clone())).as_raw(store).funcref }
}

/// Where `owner`'s own elements put `f`, if they did: each module's table area is read
/// once per store into a map.
pub(super) fn own_index(
    store: &mut impl AsStoreMut,
    link: &Link,
    owner: u32,
    f: &Function,
) -> Option<u32> {
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
