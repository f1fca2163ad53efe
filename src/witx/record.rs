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
use crate::witx::env::MAIN_TID;
use crate::witx::errno::{name, Errno};
use crate::witx::thread::ThreadExit;
use crate::witx::trace::Tracer;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wasmer::{AsStoreMut, Function, FunctionEnv, FunctionEnvMut, RuntimeError, Value};

/// Where an instance's (and its threads') import calls are noted: the evidence file
/// (distinct calls), the trace (every call, see [`super::trace`]), or both.
pub struct ImportRecorder {
    path: Option<PathBuf>,
    /// A leaf lock, released before the file write (a blocking syscall).
    seen: Mutex<HashSet<String>>,
    trace: Option<Arc<Tracer>>,
}

impl ImportRecorder {
    pub fn new(path: impl AsRef<Path>) -> ImportRecorder {
        ImportRecorder::with(Some(path.as_ref().to_path_buf()), None)
    }

    /// A recorder writing evidence to `path` (if any) and every call to `trace` (if any).
    pub fn with(path: Option<PathBuf>, trace: Option<Arc<Tracer>>) -> ImportRecorder {
        ImportRecorder {
            path,
            seen: Mutex::new(HashSet::new()),
            trace,
        }
    }

    fn note(&self, ns: &str, function: &str, result: String, arity: usize) {
        let Some(path) = &self.path else {
            return;
        };
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
            .open(path);
        // A recorder that cannot write must not change the guest's run: the line is lost
        // (and reported once on stderr of the host).
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            eprintln!("wasix-compat: import record {}: {e}", path.display());
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
        if let Some(t) = &self.trace {
            t.line(MAIN_TID, interface, function, "null", result, "null");
        }
        self.note(interface, function, result.into(), arity);
    }

    /// `f` (the import `ns::function` of thread `tid`, whose memory `menv` holds) behind a
    /// function of the same type that notes each call's result (and traces the call).
    pub fn wrap(
        self: &Arc<Self>,
        store: &mut impl AsStoreMut,
        ns: &'static str,
        function: &str,
        f: Function,
        tid: u32,
        menv: FunctionEnv<super::WasiEnv>,
    ) -> Function {
        let ty = f.ty(store);
        let function: Arc<str> = function.into();
        let arity = ty.params().len();
        let wide = ns == "wasix_64v1";
        let env = FunctionEnv::new(store, (f, self.clone(), menv));
        type Data = (Function, Arc<ImportRecorder>, FunctionEnv<super::WasiEnv>);
        Function::new_with_env(
            store,
            &env,
            ty,
            move |mut env: FunctionEnvMut<Data>, args: &[Value]| {
                let (inner, rec, menv) = env.data().clone();
                let Some(t) = &rec.trace else {
                    let r = inner.call(&mut env, args);
                    rec.note(ns, &function, outcome(ns, &r), arity);
                    return r.map(|v| v.into_vec());
                };
                let mem = menv.as_ref(&env).memory.clone();
                let decoded = super::trace::decode_args(
                    &function,
                    args,
                    mem.as_ref().map(|m| (m, &env)),
                    wide,
                );
                let t0 = std::time::Instant::now();
                let r = inner.call(&mut env, args);
                let dur = t0.elapsed().as_nanos().to_string();
                let result = outcome(ns, &r);
                t.line(tid, ns, &function, &decoded, &result, &dur);
                rec.note(ns, &function, result, arity);
                r.map(|v| v.into_vec())
            },
        )
    }

    /// Writes out the trace's buffered lines.
    pub fn flush(&self) {
        if let Some(t) = &self.trace {
            t.flush();
        }
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
    note_unwrapped_args(env, function, result, arity, "null")
}

/// [`note_unwrapped`] with the call's arguments for the trace (a JSON array).
pub fn note_unwrapped_args(
    env: &super::WasiEnv,
    function: &str,
    result: &str,
    arity: usize,
    args: &str,
) {
    if let Some(r) = &env.ctx.recorder {
        if let Some(t) = &r.trace {
            t.line(env.tid, env.ns, function, args, result, "null");
        }
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
