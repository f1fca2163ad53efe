//! Instantiates a [`Plan`]'s core modules in order on one wasmer `Store`, wiring each
//! import to an earlier instance's export or to our host function for a trampoline.

use super::abi::{self, Env, HostResult, Lower, State};
use super::resources::Kind;
use super::translate::{Def, Plan, Step, Trampoline, TrampolineKind, Val};
use super::P2Error;
use crate::witx::record::ImportRecorder;
use std::sync::Arc;
use wasmer::{Extern, Function, FunctionEnv, Imports, Instance, Module, Store, Type};

/// Makes one host function in a store.
pub type Mk = fn(&mut Store, &FunctionEnv<Lower>) -> Function;

/// `wasi:cli/stdout@0.2.6` → `wasi:cli/stdout`: every 0.2.x import resolves to the same
/// implementation; other versions resolve to none.
pub fn unversioned(interface: &str) -> Option<&str> {
    let (i, v) = interface.split_once('@')?;
    v.starts_with("0.2.").then_some(i)
}

/// Every function we serve: (interface without version, function, constructor).
pub fn registered() -> impl Iterator<Item = &'static (&'static str, &'static str, Mk)> {
    [
        super::cli::FUNCS,
        super::io::FUNCS,
        super::clocks::FUNCS,
        super::random::FUNCS,
        super::filesystem::FUNCS,
        super::sockets::network::FUNCS,
        super::sockets::tcp::FUNCS,
        super::sockets::tcp_options::FUNCS,
        super::sockets::udp::FUNCS,
        super::sockets::lookup::FUNCS,
    ]
    .into_iter()
    .flatten()
}

/// Our implementation of `func` of `interface`, if we have one (a linear search: it runs
/// once per lowered import, at link time).
pub fn host_fn(interface: &str, func: &str) -> Option<Mk> {
    let i = unversioned(interface)?;
    registered()
        .find(|(ri, rf, _)| *ri == i && *rf == func)
        .map(|(_, _, mk)| *mk)
}

/// The core type of our implementation of `func` (introspection; the tests compare it
/// with what `wit/` says).
pub fn host_fn_type(interface: &str, func: &str) -> Option<wasmer::FunctionType> {
    use crate::core::{fds::FdTable, process::Process, sockets::Network};
    let mk = host_fn(interface, func)?;
    let mut store = Store::default();
    let process = Process::new(Default::default(), FdTable::default(), Network::disabled());
    let st = Arc::new(State {
        process: Arc::new(process),
        handles: Default::default(),
    });
    let lower = Lower {
        st,
        name: func.into(),
        memory: None,
        realloc: None,
        ret_area: None,
        drop_kind: None,
        record: None,
    };
    let env = FunctionEnv::new(&mut store, lower);
    Some(mk(&mut store, &env).ty(&store))
}

/// Whether `[resource-drop]resource` of `interface` is provided.
pub fn provides_drop(interface: &str, resource: &str) -> bool {
    unversioned(interface)
        .and_then(|i| Kind::of(i, resource))
        .is_some()
}

/// Fails with the first trampoline we cannot provide, naming it: functions first (a
/// missing function says more than the drop of its resource).
pub fn check_imports(plan: &Plan) -> Result<(), P2Error> {
    let lowers = plan
        .trampolines
        .iter()
        .filter(|t| matches!(t.kind, TrampolineKind::Lower { .. }));
    let drops = plan
        .trampolines
        .iter()
        .filter(|t| matches!(t.kind, TrampolineKind::ResourceDrop { .. }));
    match lowers.chain(drops).find_map(unprovided) {
        Some((interface, func)) => Err(P2Error::UnknownImport { interface, func }),
        None => Ok(()),
    }
}

/// (interface, function) of a trampoline we do not provide.
fn unprovided(t: &Trampoline) -> Option<(String, String)> {
    match &t.kind {
        TrampolineKind::Lower {
            interface, func, ..
        } => host_fn(interface, func)
            .is_none()
            .then(|| (interface.clone(), func.clone())),
        TrampolineKind::ResourceDrop {
            interface,
            resource,
        } => unversioned(interface)
            .and_then(|i| Kind::of(i, resource))
            .is_none()
            .then(|| (interface.clone(), format!("[resource-drop]{resource}"))),
    }
}

/// A function of `t`'s core type that traps naming `interface#func` (what
/// `--trap-unknown-imports` links an import we do not provide to).
fn trapping(
    store: &mut Store,
    t: &Trampoline,
    interface: &str,
    func: &str,
) -> Result<Function, P2Error> {
    let params: Option<Vec<Type>> = t.params.iter().map(|v| ty(*v)).collect();
    let results: Option<Vec<Type>> = t.results.iter().map(|v| ty(*v)).collect();
    let (Some(params), Some(results)) = (params, results) else {
        return Err(P2Error::Signature {
            name: format!("{interface}#{func}"),
            got: sig(&t.params, &t.results),
            want: "a signature of i32, i64, f32 and f64".into(),
        });
    };
    let msg = format!(
        "{interface}#{func}: called, but wasix-compat does not provide it \
         (linked by --trap-unknown-imports)"
    );
    let ty = wasmer::FunctionType::new(params, results);
    Ok(Function::new(store, ty, move |_| {
        Err(wasmer::RuntimeError::new(msg.clone()))
    }))
}

/// The constructor of every `[resource-drop]R` (the kind is in the env's `drop_kind`).
pub fn resource_drop_fn() -> Mk {
    |s, e| Function::new_typed_with_env(s, e, resource_drop)
}

/// `[resource-drop]R`: drops an own handle (and the core object, with its last holder).
fn resource_drop(env: Env, h: i32) -> HostResult<()> {
    let kind = env.data().drop_kind.expect("set for drops");
    let r = env.data().handles().drop_handle(h as u32, kind);
    r.map(drop).map_err(|t| abi::trap(&env, t))
}

fn ty(v: Val) -> Option<Type> {
    Some(match v {
        Val::I32 => Type::I32,
        Val::I64 => Type::I64,
        Val::F32 => Type::F32,
        Val::F64 => Type::F64,
        Val::Other => return None,
    })
}

/// `(i32, i64) -> (i32)`, as the witx front end writes core signatures.
pub fn sig<T: std::fmt::Debug>(params: &[T], results: &[T]) -> String {
    let list = |v: &[T]| {
        v.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

/// A linked component instance, ready to run.
pub struct Linked {
    pub run: Function,
    pub run_post_return: Option<Function>,
    /// Keeps the core instances alive with the store.
    _instances: Vec<Instance>,
}

struct Linker<'a> {
    plan: &'a Plan,
    st: Arc<State>,
    instances: Vec<Instance>,
    funcs: Vec<Option<Function>>,
    /// Each host function's env with its options' memory and realloc indices.
    envs: Vec<(FunctionEnv<Lower>, Option<usize>, Option<usize>)>,
    memories: Vec<Option<wasmer::Memory>>,
    reallocs: Vec<Option<Function>>,
    post_returns: Vec<Option<Function>>,
    /// When on, each lowered import's host function notes its calls (see `abi::HostFn`).
    recorder: Option<Arc<ImportRecorder>>,
    /// Imports we do not provide link to trapping functions (`--trap-unknown-imports`).
    trap_unknown: bool,
}

impl Linker<'_> {
    fn resolve(&mut self, store: &mut Store, d: &Def) -> Result<Extern, P2Error> {
        match d {
            Def::Export { instance, name } => self
                .instances
                .get(*instance)
                .and_then(|i| i.exports.get_extern(name))
                .cloned()
                .ok_or_else(|| P2Error::Instantiate(format!("missing core export `{name}`"))),
            Def::Trampoline(t) => Ok(Extern::Function(self.trampoline(store, *t)?)),
        }
    }

    fn trampoline(&mut self, store: &mut Store, t: usize) -> Result<Function, P2Error> {
        if let Some(f) = &self.funcs[t] {
            return Ok(f.clone());
        }
        let tr = &self.plan.trampolines[t];
        if self.trap_unknown {
            if let Some((interface, func)) = unprovided(tr) {
                let f = trapping(store, tr, &interface, &func)?;
                self.funcs[t] = Some(f.clone());
                return Ok(f);
            }
        }
        // (interface without version, function) of a lowered import, for the recorder.
        let mut recorded = None;
        let mut ret_area = None;
        let (mk, name, memory, realloc, drop_kind): (Mk, String, _, _, _) = match &tr.kind {
            TrampolineKind::Lower {
                interface,
                func,
                memory,
                realloc,
                ret_area: area,
            } => (
                {
                    let mk = host_fn(interface, func).ok_or_else(|| P2Error::UnknownImport {
                        interface: interface.clone(),
                        func: func.clone(),
                    })?;
                    recorded = unversioned(interface).map(|i| (i, func.as_str()));
                    ret_area = *area;
                    mk
                },
                format!("{interface}#{func}"),
                *memory,
                *realloc,
                None,
            ),
            TrampolineKind::ResourceDrop {
                interface,
                resource,
            } => (
                resource_drop_fn(),
                format!("{interface}#[resource-drop]{resource}"),
                None,
                None,
                unversioned(interface).and_then(|i| Kind::of(i, resource)),
            ),
        };
        let lower = Lower {
            st: self.st.clone(),
            name: name.clone().into(),
            memory: memory.and_then(|m| self.memories[m].clone()),
            realloc: realloc
                .and_then(|r| self.reallocs[r].as_ref())
                .and_then(|f| f.typed(store).ok()),
            ret_area,
            drop_kind,
            record: self
                .recorder
                .as_ref()
                .zip(recorded)
                .map(|(r, (i, f))| (r.clone(), i.into(), f.into())),
        };
        let env = FunctionEnv::new(store, lower);
        let f = mk(store, &env);
        // The component's core signature must be the one our function implements.
        let have = f.ty(store);
        let want: Option<Vec<Type>> = tr.params.iter().map(|v| ty(*v)).collect();
        let want_r: Option<Vec<Type>> = tr.results.iter().map(|v| ty(*v)).collect();
        if want.as_deref() != Some(have.params()) || want_r.as_deref() != Some(have.results()) {
            return Err(P2Error::Signature {
                name,
                got: sig(&tr.params, &tr.results),
                want: sig(have.params(), have.results()),
            });
        }
        self.envs.push((env, memory, realloc));
        self.funcs[t] = Some(f.clone());
        Ok(f)
    }

    fn step(&mut self, store: &mut Store, modules: &[Module], s: &Step) -> Result<(), P2Error> {
        match s {
            Step::Instantiate { module, args } => {
                let mut imports = Imports::new();
                for (m, n, d) in args {
                    let e = self.resolve(store, d)?;
                    imports.define(m, n, e);
                }
                let i = Instance::new(store, &modules[*module], &imports)
                    .map_err(|e| P2Error::Instantiate(e.to_string()))?;
                self.instances.push(i);
            }
            Step::Memory { index, def } => {
                let Extern::Memory(m) = self.resolve(store, def)? else {
                    return Err(P2Error::Instantiate("memory option is not a memory".into()));
                };
                for (env, mi, _) in &self.envs {
                    if *mi == Some(*index) {
                        env.as_mut(store).memory = Some(m.clone());
                    }
                }
                self.memories[*index] = Some(m);
            }
            Step::Realloc { index, def } => {
                let Extern::Function(f) = self.resolve(store, def)? else {
                    return Err(P2Error::Instantiate("realloc is not a function".into()));
                };
                let typed = f
                    .typed::<(i32, i32, i32, i32), i32>(store)
                    .map_err(|e| P2Error::Instantiate(format!("realloc: {e}")))?;
                for (env, _, ri) in &self.envs {
                    if *ri == Some(*index) {
                        env.as_mut(store).realloc = Some(typed.clone());
                    }
                }
                self.reallocs[*index] = Some(f);
            }
            Step::PostReturn { index, def } => {
                let Extern::Function(f) = self.resolve(store, def)? else {
                    return Err(P2Error::Instantiate("post-return is not a function".into()));
                };
                self.post_returns[*index] = Some(f);
            }
        }
        Ok(())
    }
}

/// Instantiates every core module of `plan` (compiled as `modules`) into `store`; with
/// `recorder`, each lowered import notes its calls there (see [`crate::witx::record`]).
/// With `trap_unknown`, imports we do not provide trap when called instead of failing.
pub fn link(
    store: &mut Store,
    plan: &Plan,
    modules: &[Module],
    st: Arc<State>,
    recorder: Option<Arc<ImportRecorder>>,
    trap_unknown: bool,
) -> Result<Linked, P2Error> {
    let mut l = Linker {
        plan,
        st,
        instances: Vec::new(),
        funcs: vec![None; plan.trampolines.len()],
        envs: Vec::new(),
        memories: vec![None; plan.memories],
        reallocs: vec![None; plan.reallocs],
        post_returns: vec![None; plan.post_returns],
        recorder,
        trap_unknown,
    };
    for s in &plan.steps {
        l.step(store, modules, s)?;
    }
    let Extern::Function(run) = l.resolve(store, &plan.run)? else {
        return Err(P2Error::Instantiate("`run` is not a function".into()));
    };
    let run_post_return = plan.run_post_return.and_then(|i| l.post_returns[i].clone());
    Ok(Linked {
        run,
        run_post_return,
        _instances: l.instances,
    })
}
