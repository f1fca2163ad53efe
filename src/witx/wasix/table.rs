//! The instance's indirect function table (`WasiEnv::table`), as closures, `call_dynamic`
//! and `reflect_signature` see it: a function id is an index into it.
//!
//! Closure slots: `closure_allocate` reuses a freed slot (most recently freed first) or
//! grows the table by one null slot; only slots handed out that way (and not freed since)
//! may be prepared or freed. A freed slot is set back to null, so a stale pointer traps
//! (`uninitialized element`) instead of calling a closure that was given up.
//!
//! The table and these books belong to one instance (one guest thread's store): a closure
//! exists in the thread that prepared it.

use crate::witx::env::WasiEnv;
use crate::witx::errno::Errno;
use std::collections::HashSet;
use wasmer::{AsStoreMut, Function, FunctionEnvMut, FunctionType, Value};

/// The slots of the table that `closure_allocate` handed out.
#[derive(Debug, Default)]
pub struct ClosureSlots {
    live: HashSet<u32>,
    free: Vec<u32>,
}

/// The instance's table (`notsup` when it has none the host can reach).
fn table(env: &FunctionEnvMut<'_, WasiEnv>) -> Result<wasmer::Table, Errno> {
    env.data().table.clone().ok_or(Errno::NOTSUP)
}

/// A function id as a table index; ids past u32 (a wasix_64v1 caller) name no slot.
fn index(id: u64) -> Result<u32, Errno> {
    u32::try_from(id).map_err(|_| Errno::INVAL)
}

/// Why a slot holds no callable function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The instance has no table the host can reach (`notsup`).
    NoTable,
    /// Past the end of the table (or past u32).
    OutOfBounds,
    /// A null slot (or not a function).
    Empty,
    /// A function, but not of the wanted type.
    WrongType,
}

impl From<Lookup> for Errno {
    fn from(l: Lookup) -> Errno {
        match l {
            Lookup::NoTable => Errno::NOTSUP,
            _ => Errno::INVAL,
        }
    }
}

/// The function at `id`, checked against `want` when given.
pub fn lookup(
    env: &mut FunctionEnvMut<'_, WasiEnv>,
    id: u64,
    want: Option<&FunctionType>,
) -> Result<Function, Lookup> {
    let t = env.data().table.clone().ok_or(Lookup::NoTable)?;
    let i = u32::try_from(id).map_err(|_| Lookup::OutOfBounds)?;
    let f = match t.get(env, i) {
        None => return Err(Lookup::OutOfBounds),
        Some(Value::FuncRef(Some(f))) => f,
        Some(_) => return Err(Lookup::Empty),
    };
    match want {
        Some(w) if f.ty(env) != *w => Err(Lookup::WrongType),
        _ => Ok(f),
    }
}

/// Hands out a slot for a closure: a freed one, else a new null slot at the end.
pub fn allocate(env: &mut FunctionEnvMut<'_, WasiEnv>) -> Result<u32, Errno> {
    let t = table(env)?;
    if let Some(i) = env.data_mut().closures.free.pop() {
        env.data_mut().closures.live.insert(i);
        return Ok(i);
    }
    // A dynamically linked process: the linker decides (side modules take table space
    // too). Else the table's maximum or the engine's limits: no more slots.
    let i = match env.data().dl.clone() {
        Some(link) => crate::host::dylink::store::reserve_slot(&mut env.as_store_mut(), &link)
            .map_err(|e| e.errno)?,
        None => t
            .grow(&mut env.as_store_mut(), 1, Value::FuncRef(None))
            .map_err(|_| Errno::NOMEM)?,
    };
    env.data_mut().closures.live.insert(i);
    Ok(i)
}

/// Whether `id` is a slot handed out by [`allocate`] and not freed since.
pub fn is_closure(env: &FunctionEnvMut<'_, WasiEnv>, id: u64) -> bool {
    u32::try_from(id).is_ok_and(|i| env.data().closures.live.contains(&i))
}

/// Gives a closure slot back: it becomes null and the next [`allocate`] reuses it.
pub fn free(env: &mut FunctionEnvMut<'_, WasiEnv>, id: u64) -> Result<(), Errno> {
    let t = table(env)?;
    let i = index(id)?;
    if !env.data_mut().closures.live.remove(&i) {
        return Err(Errno::INVAL);
    }
    // A slot we handed out is inside the table (tables never shrink).
    let _ = t.set(&mut env.as_store_mut(), i, Value::FuncRef(None));
    env.data_mut().closures.free.push(i);
    Ok(())
}

/// Puts `f` in the closure slot `id` (which must be one [`allocate`] handed out).
pub fn set_closure(
    env: &mut FunctionEnvMut<'_, WasiEnv>,
    id: u64,
    f: Function,
) -> Result<(), Errno> {
    let t = table(env)?;
    let i = index(id)?;
    if !env.data().closures.live.contains(&i) {
        return Err(Errno::INVAL);
    }
    t.set(&mut env.as_store_mut(), i, Value::FuncRef(Some(f)))
        .map_err(|_| Errno::INVAL)
}
