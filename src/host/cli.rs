//! `wasix-compat run` with our engine.

use super::Builder;
use crate::core::io::fdstream::FdInput;
use crate::core::threads::ProcessEnd;
use crate::options::RunOptions;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;
use wasmer::Store;

pub fn run_cli(o: &RunOptions) -> anyhow::Result<i32> {
    let tracer = match &o.trace {
        Some(p) => Some(Arc::new(crate::witx::trace::Tracer::create(p).map_err(
            |e| anyhow::anyhow!("cannot create --trace {}: {e}", p.display()),
        )?)),
        None => None,
    };
    let r = run_traced(o, tracer.clone());
    if let Some(t) = tracer {
        t.flush();
    }
    r
}

fn run_traced(
    o: &RunOptions,
    tracer: Option<Arc<crate::witx::trace::Tracer>>,
) -> anyhow::Result<i32> {
    let program = o
        .module
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut b = Builder::new(program)
        .args(o.args.iter().cloned())
        .envs(o.envs.iter().cloned());
    for d in &o.dirs {
        b = if d.readonly {
            b.map_dir_readonly(&d.guest, &d.host)
        } else {
            b.map_dir(&d.guest, &d.host)
        };
    }
    for g in &o.tmpfs {
        b = b.map_memory_dir(g);
    }
    if o.net {
        b = b.host_networking();
    }
    if let Some(ca) = &o.bridge_ca {
        b = b.bridge_ca(ca);
    }
    for p in &o.bridge_pins {
        b = b.bridge_pin(p);
    }
    if let Some(k) = &o.bridge_noise_key {
        b = b.bridge_noise_key(k);
    }
    // The test suite's evidence of which imports each test called (see witx::record).
    if let Some(f) = std::env::var_os("WASIX_COMPAT_RECORD") {
        b = b.record_imports(f);
    }
    if let Some(t) = tracer {
        b = b.trace(t);
    }
    if let Some(ns) = o.fake_clock {
        b = b.fake_clock(ns);
    }
    if let Some(n) = o.seed {
        b = b.seed(n);
    }
    if let Some(n) = o.max_threads {
        b = b.max_threads(n);
    }
    if let Some(n) = o.max_procs {
        b = b.max_processes(n);
    }
    b = b.sigchld(o.sigchld).allow_clock_set(o.allow_clock_set);
    if let Some(p) = &o.stdin {
        let f = std::fs::File::open(p)
            .map_err(|e| anyhow::anyhow!("cannot open --stdin {}: {e}", p.display()))?;
        b = b.stdin(Arc::new(FdInput::owned(f.into())));
    }
    let path = o.module.clone();
    let preopens_only = o.preopens_only;
    let load = crate::host::module::LoadOptions {
        import_shared_memory: true,
        ..o.load_options()
    };
    // The run ends when the guest thread returns, or soon after the process's end is
    // decided: a thread computing without imports (the main thread in a loop while a
    // worker calls `exit`) is never unwound, and the CLI's own exit ends it.
    let (tx, rx) = mpsc::channel::<Note>();
    let ended = tx.clone();
    b = b.on_process_end(Arc::new(move |e: &ProcessEnd| {
        let _ = ended.send(Note::Ended(e.clone()));
    }));
    // The guest runs on its own thread (DESIGN §3), with room for deep host frames.
    let t = std::thread::Builder::new()
        .name("wasix-guest".into())
        .stack_size(16 << 20)
        .spawn(move || {
            let _done = DoneOnDrop(tx);
            let mut store = Store::default();
            if let Some(c) = load_component(&store, &path, &load)? {
                return b.run_component(&mut store, &c);
            }
            let module = super::module::load(store.engine(), &path, &load)?;
            let wasix = !preopens_only && super::module::is_wasix(&module);
            b.wasix_root(wasix).run(&mut store, &module)
        })?;
    let join = |t: std::thread::JoinHandle<Result<i32, super::RunError>>| -> anyhow::Result<i32> {
        Ok(t.join()
            .map_err(|_| anyhow::anyhow!("guest thread panicked"))??)
    };
    match rx.recv() {
        Ok(Note::Ended(end)) => {
            // The main thread normally returns at once (it unwinds at its next import);
            // past the grace period it is computing and is not waited for.
            match rx.recv_timeout(UNWIND_GRACE) {
                Ok(Note::Done) | Err(RecvTimeoutError::Disconnected) => join(t),
                Ok(Note::Ended(_)) | Err(RecvTimeoutError::Timeout) => match end {
                    ProcessEnd::Trap(m) => Err(super::RunError::Trap(m).into()),
                    e => Ok(e.status().unwrap_or(1)),
                },
            }
        }
        Ok(Note::Done) | Err(_) => join(t),
    }
}

/// How long the CLI waits, once the process's end is decided, for the main guest thread
/// to unwind before it exits without it.
const UNWIND_GRACE: Duration = Duration::from_millis(1000);

enum Note {
    /// The process's end was decided (by any thread).
    Ended(ProcessEnd),
    /// The guest thread is done (returned or panicked).
    Done,
}

/// Tells the CLI the guest thread is done, also when it panics.
struct DoneOnDrop(mpsc::Sender<Note>);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(Note::Done);
    }
}

/// A WASI 0.2 component at `path` (binary, or text that assembles to one), compiled
/// through the module cache; `None` for a core module.
fn load_component(
    store: &Store,
    path: &std::path::Path,
    load: &crate::host::module::LoadOptions,
) -> Result<Option<crate::p2::Component>, crate::RunError> {
    let bytes = std::fs::read(path).map_err(|e| crate::RunError::Setup {
        what: format!("module {}", path.display()),
        why: e.to_string(),
    })?;
    let bytes = match bytes.starts_with(b"\0asm") {
        true => bytes,
        false => match wasmer::wat2wasm(&bytes) {
            Ok(b) => b.into_owned(),
            Err(_) => return Ok(None),
        },
    };
    if !crate::p2::is_component(&bytes) {
        return Ok(None);
    }
    let engine = store.engine();
    let compile = |m: &[u8]| {
        super::cache::compile_with(engine, m, load.cache.as_deref()).map_err(|e| e.to_string())
    };
    let c = match load.trap_unknown_imports {
        false => crate::p2::Component::new(&bytes, compile)?,
        true => crate::p2::Component::new_trapping_unknown(&bytes, compile)?,
    };
    Ok(Some(c))
}
