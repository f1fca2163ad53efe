//! What a position-independent module imports from the linker: table, stack pointer,
//! bases, GOT entries (filled after instantiation) and functions of other modules (bound
//! now, or by a stub at the first call).

use super::load::{dl_err, DlError};
use super::resolve::{data_address, pointer_of, resolve, Scope};
use super::section::DylinkInfo;
use super::store::{apply_slots, lock, Link};
use crate::witx::errno::Errno;
use crate::witx::Namespace;
use wasmer::{
    AsStoreMut, Extern, ExternType, Function, FunctionEnv, FunctionEnvMut, FunctionType, Global,
    GlobalType, Mutability, RuntimeError, Type, Value,
};

/// A `GOT.*` import: filled with a data address or a function pointer after instantiation.
#[derive(Clone, Debug)]
pub(super) enum Got {
    Mem(String),
    Func(String),
}

pub(super) fn int_value(ty: Type, v: u64) -> Value {
    match ty {
        Type::I64 => Value::I64(v as i64),
        _ => Value::I32(v as u32 as i32),
    }
}

pub(super) fn global_u64(store: &mut impl AsStoreMut, g: &Global) -> Option<u64> {
    match g.get(store) {
        Value::I32(v) => Some(v as u32 as u64),
        Value::I64(v) => Some(v as u64),
        _ => None,
    }
}

/// The extern for one import of a position-independent module at (`memory_base`,
/// `table_base`). `GOT.*` entries are added to `pending`.
#[allow(clippy::too_many_arguments)]
pub(super) fn provide(
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

pub(super) struct Stub {
    link: Link,
    scope: Scope,
    name: String,
    ty: FunctionType,
    weak: bool,
    target: Option<Function>,
}

/// A function import: bound now when `scope` defines it, else a stub that resolves at its
/// first call (lazy binding). Still undefined then: a trap naming the symbol.
pub(super) fn stub(
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

pub(super) fn fill_got(
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
