//! Resolving a module's imports against our namespaces, with errors that name the import.

use super::RunError;
use crate::p1::{Namespace, WasiCtx, WasiEnv};
use std::sync::Arc;
use wasmer::{ExternType, FunctionEnv, FunctionType, Imports, Instance, Memory, Module, Store};

/// The imports for one module plus what must be wired after instantiation.
pub struct WasiImports {
    pub imports: Imports,
    envs: Vec<FunctionEnv<WasiEnv>>,
    imported_memory: Option<Memory>,
    pub ctx: Arc<WasiCtx>,
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

impl WasiImports {
    pub fn new(
        store: &mut Store,
        module: &Module,
        ctx: Arc<WasiCtx>,
    ) -> Result<WasiImports, RunError> {
        let mut imports = Imports::new();
        let mut envs: Vec<(Namespace, FunctionEnv<WasiEnv>)> = Vec::new();
        let mut imported_memory = None;
        for imp in module.imports() {
            let (m, n) = (imp.module(), imp.name());
            match imp.ty() {
                // wasix-libc modules import their (shared) memory: create it from the type.
                ExternType::Memory(mt) => {
                    let mem = Memory::new(store, *mt).map_err(|e| RunError::Setup {
                        what: format!("memory `{m}::{n}`"),
                        why: e.to_string(),
                    })?;
                    imports.define(m, n, mem.clone());
                    imported_memory = Some(mem);
                }
                ExternType::Function(ft) => {
                    let unknown = || RunError::UnknownImport {
                        module: m.into(),
                        name: n.into(),
                        sig: sig(ft),
                    };
                    let ns = Namespace::from_name(m).ok_or_else(unknown)?;
                    let env = match envs.iter().find(|(k, _)| *k == ns) {
                        Some((_, e)) => e.clone(),
                        None => {
                            let e = FunctionEnv::new(store, WasiEnv::new(ctx.clone(), ns.flavor()));
                            envs.push((ns, e.clone()));
                            e
                        }
                    };
                    let f = ns.make(n, store, &env, Some(ft)).ok_or_else(unknown)?;
                    let have = f.ty(store);
                    if have != *ft {
                        return Err(RunError::ImportSignature {
                            module: m.into(),
                            name: n.into(),
                            got: sig(ft),
                            want: sig(&have),
                        });
                    }
                    imports.define(m, n, f);
                }
                other => {
                    return Err(RunError::UnknownImport {
                        module: m.into(),
                        name: n.into(),
                        sig: format!("{other:?}"),
                    });
                }
            }
        }
        // An imported memory is known before instantiation: attach it now, so that a start
        // function (run by instantiation, before `bind`) can already make WASI calls.
        if let Some(m) = &imported_memory {
            let shared = m.ty(store).shared;
            for (_, e) in &envs {
                let data = e.as_mut(store);
                data.memory = Some(m.clone());
                data.memory_shared = shared;
            }
        }
        Ok(WasiImports {
            imports,
            envs: envs.into_iter().map(|(_, e)| e).collect(),
            imported_memory,
            ctx,
        })
    }

    /// Points every namespace at the instance's memory (exported `memory`, else imported).
    pub fn bind(&self, store: &mut Store, instance: &Instance) -> Result<(), RunError> {
        let mem = match instance.exports.get_memory("memory") {
            Ok(m) => Some(m.clone()),
            Err(_) => self.imported_memory.clone(),
        };
        let shared = mem.as_ref().is_some_and(|m| m.ty(store).shared);
        for e in &self.envs {
            let data = e.as_mut(store);
            data.memory = mem.clone();
            data.memory_shared = shared;
            data.exports = Some(instance.exports.clone());
        }
        Ok(())
    }
}
