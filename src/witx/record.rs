//! The import recorder: which imports an instance actually called, and with what result.
//!
//! Off unless the embedder asks (`Builder::record_imports`, or `WASIX_COMPAT_RECORD=FILE`
//! for the CLI), so the normal path carries no cost: when on, each import is wrapped in a
//! forwarding host function at link time. Each distinct (namespace, function, result) is
//! appended once per process as a line `namespace<TAB>function<TAB>result<TAB>arity`
//! (arity tells the ABI generations of one name apart), where result
//! is the witx errno name (`success`, `badf`…), `value N` for `wasi::thread-spawn`,
//! `none` for functions without results, `exit` or `trap`. Lines are written as they are
//! first seen, so a process that exits mid-call still leaves its record. The test suite
//! records every run; the compat-matrix lists, per import, the tests that called it.
//!
//! WASI 0.2 components are recorded in the same file ([`ImportRecorder::note_component`],
//! called by the p2 host functions' recording variants, see `p2::abi::HostFn`): the
//! namespace is the interface without its version (`wasi:io/streams`), the function its
//! WIT name (`[method]output-stream.write`), the result `ok`, `exit` or `trap` (the witx
//! errno names do not apply: a WIT error is an ordinary return) and the arity the core
//! parameter count.

use crate::core::cli::Exit;
use crate::witx::errno::{name, Errno};
use crate::witx::thread::ThreadExit;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wasmer::{AsStoreMut, Function, FunctionEnv, FunctionEnvMut, RuntimeError, Value};

/// Where an instance's (and its threads') import calls are noted.
pub struct ImportRecorder {
    path: PathBuf,
    /// A leaf lock, released before the file write (a blocking syscall).
    seen: Mutex<HashSet<String>>,
}

impl ImportRecorder {
    pub fn new(path: impl AsRef<Path>) -> ImportRecorder {
        ImportRecorder {
            path: path.as_ref().to_path_buf(),
            seen: Mutex::new(HashSet::new()),
        }
    }

    fn note(&self, ns: &str, function: &str, result: String, arity: usize) {
        let line = format!("{ns}\t{function}\t{result}\t{arity}\n");
        // Check under the lock, write after it: the file write is a blocking syscall.
        let fresh = self
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(line.clone());
        if !fresh {
            return;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path);
        // A recorder that cannot write must not change the guest's run: the line is lost
        // (and reported once on stderr of the host).
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            eprintln!("wasix-compat: import record {}: {e}", self.path.display());
        }
    }

    /// Notes a call of the WASI 0.2 import `interface` (without version) `function`, with
    /// `arity` core parameters, that returned (`ok`) or failed with `err` (`exit`, `trap`).
    pub fn note_component(
        &self,
        interface: &str,
        function: &str,
        err: Option<&RuntimeError>,
        arity: usize,
    ) {
        let result = match err {
            None => "ok",
            Some(e) if is_exit(e) => "exit",
            Some(_) => "trap",
        };
        self.note(interface, function, result.into(), arity);
    }

    /// `f` (the import `ns::function`) behind a function of the same type that notes each
    /// call's result.
    pub fn wrap(
        self: &Arc<Self>,
        store: &mut impl AsStoreMut,
        ns: &'static str,
        function: &str,
        f: Function,
    ) -> Function {
        let ty = f.ty(store);
        let function: Arc<str> = function.into();
        let arity = ty.params().len();
        let env = FunctionEnv::new(store, (f, self.clone()));
        Function::new_with_env(
            store,
            &env,
            ty,
            move |mut env: FunctionEnvMut<(Function, Arc<ImportRecorder>)>, args: &[Value]| {
                let (inner, rec) = env.data().clone();
                let r = inner.call(&mut env, args);
                rec.note(ns, &function, outcome(ns, &r), arity);
                r.map(|v| v.into_vec())
            },
        )
    }
}

/// Imports that unwind their caller with asyncify and have the engine call a hook when the
/// entry returns: a forwarding function would be the call the hook follows, so they note
/// their own calls instead.
pub const UNWRAPPED: &[&str] = &[
    "proc_fork",
    "stack_checkpoint",
    "stack_restore",
    "context_switch",
    // A vfork child's exit and exec give the instance back to the parent the same way.
    "proc_exit",
    "proc_exit2",
    "proc_exec",
    "proc_exec2",
    "proc_exec3",
    "proc_exec4",
];

/// Notes a call of an [`UNWRAPPED`] import made through `env`'s namespace: `result` as the
/// wrapper would write it (`success`, an errno name, `exit`, `none`, `trap`).
pub fn note_unwrapped(env: &super::WasiEnv, function: &str, result: &str, arity: usize) {
    if let Some(r) = &env.ctx.recorder {
        r.note(env.ns, function, result.to_string(), arity);
    }
}

/// An errno as the recorder writes it.
pub fn errno_result(e: i32) -> String {
    name(Errno(e as u16)).to_ascii_lowercase()
}

fn is_exit(e: &RuntimeError) -> bool {
    e.downcast_ref::<Exit>().is_some()
        || e.downcast_ref::<ThreadExit>().is_some()
        || e.downcast_ref::<crate::witx::procs::ExecImage>().is_some()
}

fn outcome(ns: &str, r: &Result<Box<[Value]>, RuntimeError>) -> String {
    match r {
        Ok(v) => match (&v[..], ns) {
            ([], _) => "none".into(),
            ([Value::I32(n)], "wasi") => format!("value {n}"),
            ([Value::I32(n)], _) => match u16::try_from(*n) {
                Ok(e) => name(Errno(e)).to_ascii_lowercase(),
                Err(_) => format!("value {n}"),
            },
            (other, _) => format!("value {other:?}"),
        },
        Err(e) if is_exit(e) => "exit".into(),
        Err(_) => "trap".into(),
    }
}
