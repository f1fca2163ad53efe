//! WASI 0.2 imports of a core module (not a component): what `wasm32-wasip2` compilers
//! emit before componentization (`wasi:cli/stdout@0.2.0` `get-stdout`, …), and mixed
//! modules that import preview1/WASIX and `wasi:*@0.2` side by side. The host functions
//! are the component front end's own; the canonical options are the module's: its memory
//! and its `cabi_realloc` export, known once it is instantiated ([`CoreImports::bind`]).
//! One handle table serves the module and every thread instance of it.

use super::abi::{Lower, State};
use super::link::{host_fn, resource_drop_fn, unversioned};
use super::resources::Kind;
use crate::core::process::Process;
use crate::witx::record::ImportRecorder;
use std::sync::{Arc, Mutex};
use wasmer::{Function, FunctionEnv, Memory, Store};

/// The WASI 0.2 imports of one instance of a core module.
pub struct CoreImports {
    st: Arc<State>,
    envs: Vec<FunctionEnv<Lower>>,
}

/// The realloc signature of the canonical ABI.
type Realloc = wasmer::TypedFunction<(i32, i32, i32, i32), i32>;

impl CoreImports {
    /// A new handle table for `process`.
    pub fn new(process: Arc<Process>) -> CoreImports {
        Self::sharing(Arc::new(State {
            process,
            handles: Mutex::new(Default::default()),
        }))
    }

    /// Imports over an existing handle table (a thread instance of the module).
    pub fn sharing(st: Arc<State>) -> CoreImports {
        CoreImports {
            st,
            envs: Vec::new(),
        }
    }

    /// The handle table, for the module's other instances.
    pub fn state(&self) -> Arc<State> {
        self.st.clone()
    }

    /// Whether `module` names a WASI 0.2 interface (`wasi:…@0.2.x`): its imports are ours
    /// to provide or to refuse.
    pub fn claims(module: &str) -> bool {
        module.starts_with("wasi:") && unversioned(module).is_some()
    }

    /// Our function for import `module` `name` (see [`CoreImports::claims`]), or `None`
    /// when we do not provide it. With `recorder`, each call is noted there.
    pub fn make(
        &mut self,
        store: &mut Store,
        module: &str,
        name: &str,
        recorder: Option<&Arc<ImportRecorder>>,
    ) -> Option<Function> {
        let interface = unversioned(module)?;
        let (mk, drop_kind) = match name.strip_prefix("[resource-drop]") {
            Some(resource) => (resource_drop_fn(), Some(Kind::of(interface, resource)?)),
            None => (host_fn(module, name)?, None),
        };
        let record = match drop_kind {
            None => recorder.map(|r| (r.clone(), interface.into(), name.into())),
            // Drops are not functions of the interface (the matrix lists functions).
            Some(_) => None,
        };
        let env = FunctionEnv::new(
            store,
            Lower {
                st: self.st.clone(),
                name: format!("{module}#{name}").into(),
                memory: None,
                realloc: None,
                // A core module carries no WIT types to size its return areas by: results
                // are bounds-checked as they are written.
                ret_area: None,
                drop_kind,
                record,
            },
        );
        let f = mk(store, &env);
        self.envs.push(env);
        Some(f)
    }

    /// Gives the functions the module's memory and its `cabi_realloc` (when it exports
    /// one with the canonical type; a function returning a list without it traps).
    pub fn bind(&self, store: &mut Store, memory: Option<Memory>, realloc: Option<&Function>) {
        let realloc: Option<Realloc> = realloc.and_then(|f| f.typed(store).ok());
        for e in &self.envs {
            let l = e.as_mut(store);
            l.memory = memory.clone();
            l.realloc = realloc.clone();
        }
    }
}

/// The module's entry when it has no `_start`: an export `wasi:cli/run@0.2.x#run`.
pub fn run_export(exports: &wasmer::Exports) -> Option<Function> {
    exports.iter().find_map(|(name, e)| {
        let (interface, func) = name.split_once('#')?;
        let is_run = unversioned(interface) == Some("wasi:cli/run") && func == "run";
        match e {
            wasmer::Extern::Function(f) if is_run => Some(f.clone()),
            _ => None,
        }
    })
}
