//! `wasix-compat fuzz`: a deterministic random-syscall driver. For each witx namespace a
//! generated module imports every registered function and re-exports each through a
//! wrapper; the driver calls the wrappers in a seeded random order with random and boundary
//! arguments (bad pointers, lengths near 2^32 and 2^64, bad fds and enums) after scribbling
//! structured garbage into the module's memory (iovec arrays, paths, invalid UTF-8).
//!
//! Invariants, checked as it goes: no host panic; no trap other than an exit the guest asked
//! for (then the instance is rebuilt); every call returns, and a call that blocks returns
//! once interrupted (a watchdog interrupts any call running over 20 ms and fails the run if
//! it has not returned 5 s later); the fd table's bookkeeping holds after every call; no file
//! outside the preopened scratch directory changes.

use crate::core::io::pipe::{pipe, PipeWriter, Sink};
use crate::core::sockets::{InProcessNetwork, Network, Runtime};
use crate::host::{Builder, WasiImports};
use crate::registry::ImportSig;
use crate::witx::env::MAIN_TID;
use crate::witx::{Namespace, WasiCtx};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmer::{Instance, Module, Store, Type, Value};

pub struct Options {
    pub seed: u64,
    /// Calls per namespace.
    pub calls: u64,
    pub namespaces: Vec<Namespace>,
    /// Also fuzz each wasix namespace on a shared (imported) memory.
    pub shared: bool,
}

#[derive(Default, Debug)]
pub struct Report {
    pub calls: u64,
    /// Instances rebuilt after the guest exited (proc_exit, fatal signals).
    pub restarts: u64,
    /// Calls the watchdog had to interrupt (blocking waits).
    pub interrupted: u64,
    pub elapsed: Duration,
    /// Every invariant violation, with what reproduces it.
    pub failures: Vec<String>,
    /// How often each errno came back (0 = success).
    pub errnos: BTreeMap<i32, u64>,
}

/// splitmix64: small, seedable, good enough to spread arguments.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const PAGES: u64 = 2;
const MEM: u64 = PAGES * 65536;

/// Functions that end the process by design: called rarely (each costs a rebuild).
const ENDS: &[&str] = &[
    "proc_exit",
    "proc_exit2",
    "thread_exit",
    "proc_exec",
    "proc_exec2",
    "stack_restore",
];

fn wat_type(t: &Type) -> &'static str {
    match t {
        Type::I64 => "i64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        _ => "i32",
    }
}

/// The generated module: each import `$fN` re-exported as `cN`; the memory exported (or
/// imported shared).
fn module_text(ns: Namespace, sigs: &[&ImportSig], shared: bool) -> String {
    let mut t = String::from("(module\n");
    for (i, s) in sigs.iter().enumerate() {
        let p: Vec<&str> = s.params.iter().map(wat_type).collect();
        let r: Vec<&str> = s.results.iter().map(wat_type).collect();
        t.push_str(&format!(
            "  (import \"{}\" \"{}\" (func $f{i} (param {}) (result {})))\n",
            ns.name(),
            s.name,
            p.join(" "),
            r.join(" ")
        ));
    }
    if shared {
        t.push_str(&format!(
            "  (import \"env\" \"memory\" (memory {PAGES} {PAGES} shared))\n  (export \"memory\" (memory 0))\n"
        ));
    } else {
        t.push_str(&format!("  (memory (export \"memory\") {PAGES})\n"));
    }
    for (i, s) in sigs.iter().enumerate() {
        let p: Vec<&str> = s.params.iter().map(wat_type).collect();
        let r: Vec<&str> = s.results.iter().map(wat_type).collect();
        let gets: String = (0..p.len()).map(|k| format!("(local.get {k}) ")).collect();
        t.push_str(&format!(
            "  (func (export \"c{i}\") (param {}) (result {}) {gets}(call $f{i}))\n",
            p.join(" "),
            r.join(" ")
        ));
    }
    t.push_str("  (func (export \"_start\")))\n");
    t
}

/// One argument: mostly small numbers, fds and in-memory pointers, often a boundary; now
/// and then a structure scribbled for this call (an iovec array, a path), whose count or
/// length then comes as the next argument, so that calls get past their decoding.
fn arg(rng: &mut Rng, t: &Type, made: &[(u64, u64)], len_next: &mut Option<u64>) -> Value {
    if let Some(l) = len_next.take() {
        if rng.below(4) != 0 {
            return match t {
                Type::I64 => Value::I64(l as i64),
                _ => Value::I32(l as u32 as i32),
            };
        }
    }
    let v = match rng.below(20) {
        16.. if !made.is_empty() => {
            let &(at, len) = rng.pick(made);
            *len_next = Some(len);
            at
        }
        0 => 0,
        1 => 1,
        2..=4 => rng.below(12),              // fds, small enums and counts
        5..=8 => rng.below(MEM),             // somewhere in memory
        9 => MEM - rng.below(16),            // at the end of memory
        10 => (1 << 32) - 1 - rng.below(16), // near 2^32
        11 => (1 << 31) + rng.below(4),      // sign bit of an i32
        12 => u64::MAX - rng.below(16),      // near 2^64
        13 => (1 << 32) + rng.below(MEM),    // past 4 GiB (wasix64 offsets)
        14 => rng.below(256),                // enum values and signals
        _ => rng.next(),
    };
    match t {
        Type::I64 => Value::I64(v as i64),
        _ => Value::I32(v as u32 as i32),
    }
}

const PATHS: &[&[u8]] = &[
    b"a",
    b"dir",
    b"dir/file",
    b"../outside/canary",
    b"..",
    b"/",
    b"/sandbox/a",
    b"./a/../../x",
    b"\xff\xfe",
    b"",
    b"a\0b",
    b"link",
    b"/dev/null",
];

/// Scribbles structured garbage into memory through `put(offset, bytes)`: iovec arrays
/// (8- and 16-byte forms), paths, invalid UTF-8, option tags, random bytes. Returns where
/// the iovec arrays and paths went, with their entry count or byte length.
fn scribble(rng: &mut Rng, mut put: impl FnMut(u64, &[u8])) -> Vec<(u64, u64)> {
    let mut made = Vec::new();
    for _ in 0..rng.below(4) {
        let at = rng.below(MEM - 64);
        match rng.below(5) {
            0 => {
                // iovec / ciovec array of 1-4 entries, 32-bit or 64-bit form
                let wide = rng.below(2) == 1;
                let mut bytes = Vec::new();
                let n = 1 + rng.below(4);
                made.push((at, n));
                for _ in 0..n {
                    let ptr = rng.below(MEM);
                    let len = *rng.pick(&[0, 1, 16, 4096, MEM, 1 << 32, u64::MAX]);
                    if wide {
                        bytes.extend_from_slice(&ptr.to_le_bytes());
                        bytes.extend_from_slice(&len.to_le_bytes());
                    } else {
                        bytes.extend_from_slice(&(ptr as u32).to_le_bytes());
                        bytes.extend_from_slice(&(len as u32).to_le_bytes());
                    }
                }
                put(at, &bytes);
            }
            1 => {
                let p: &[u8] = PATHS[rng.below(PATHS.len() as u64) as usize];
                made.push((at, p.len() as u64));
                put(at, p)
            }
            2 => put(at, &[rng.below(4) as u8]), // option/variant tag
            _ => {
                let b: Vec<u8> = (0..32).map(|_| rng.next() as u8).collect();
                put(at, &b);
            }
        }
    }
    made
}

/// Names, sizes and contents of every file outside `sandbox` under `root`.
fn snapshot(root: &Path, sandbox: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p == sandbox {
                out.insert(p, b"(sandbox)".to_vec());
                continue;
            }
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {
                    out.insert(p.clone(), b"(dir)".to_vec());
                    stack.push(p);
                }
                Ok(_) => {
                    out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
                }
                Err(_) => {}
            }
        }
    }
    out
}

/// The instance under test and what it needs alive.
struct Live {
    store: Store,
    instance: Instance,
    ctx: Arc<WasiCtx>,
    _stdin: PipeWriter,
}

fn instantiate(
    engine: &wasmer::Engine,
    module: &Module,
    sandbox: &Path,
    rt: &Runtime,
) -> Result<Live, String> {
    let mut store = Store::new(engine.clone());
    let (w, r) = pipe(4096);
    let net = Network::with_backend(
        Arc::new(InProcessNetwork::new()),
        Runtime::from_handle(rt.handle().clone()),
    );
    let imports: WasiImports = Builder::new("fuzz")
        .args(["fuzz", "a"])
        .env("K", "V")
        .map_dir("/sandbox", sandbox)
        .stdin(Arc::new(r))
        .stdout(Arc::new(Sink))
        .stderr(Arc::new(Sink))
        .net(net)
        .imports(&mut store, module)
        .map_err(|e| e.to_string())?;
    let instance =
        Instance::new(&mut store, module, &imports.imports).map_err(|e| e.to_string())?;
    imports
        .bind(&mut store, &instance)
        .map_err(|e| e.to_string())?;
    let ctx = imports.ctx.clone();
    ctx.threads
        .attach(MAIN_TID, crate::core::io::poll::current_interrupter());
    Ok(Live {
        store,
        instance,
        ctx,
        _stdin: w,
    })
}

/// The running call: its number (0 = none), start and process.
type Running = (u64, Option<Instant>, Option<Arc<WasiCtx>>);

/// Interrupts the driver's call when it runs over 20 ms; flags it when it has not returned
/// 5 s after that.
struct Watchdog {
    started: Arc<Mutex<Running>>,
    stuck: Arc<AtomicBool>,
    interrupted: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let w = Watchdog {
            started: Arc::new(Mutex::new((0, None, None))),
            stuck: Arc::new(AtomicBool::new(false)),
            interrupted: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (started, stuck, interrupted, stop) = (
            w.started.clone(),
            w.stuck.clone(),
            w.interrupted.clone(),
            w.stop.clone(),
        );
        std::thread::spawn(move || {
            let mut last_interrupted = 0;
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
                let (n, t, ctx) = {
                    let g = started.lock().unwrap_or_else(|e| e.into_inner());
                    (g.0, g.1, g.2.clone())
                };
                let (Some(t), Some(ctx)) = (t, ctx) else {
                    continue;
                };
                let age = t.elapsed();
                if age > Duration::from_secs(5) + Duration::from_millis(20) {
                    stuck.store(true, Ordering::SeqCst);
                }
                // One interrupt per call: a wait that misses it (one raised just before
                // the wait began) is a lost interrupt, reported as stuck.
                if age > Duration::from_millis(20) && last_interrupted != n {
                    last_interrupted = n;
                    interrupted.fetch_add(1, Ordering::SeqCst);
                    ctx.threads.interrupt(Some(MAIN_TID));
                }
            }
        });
        w
    }
    fn arm(&self, n: u64, ctx: &Arc<WasiCtx>) {
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) =
            (n, Some(Instant::now()), Some(ctx.clone()));
    }
    fn disarm(&self) {
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) = (0, None, None);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Runs the fuzzer; the report lists every invariant violation.
pub fn run(o: &Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut report = Report::default();
    let rt = Runtime::new().map_err(|e| anyhow::anyhow!("tokio runtime: {e}"))?;
    let sigs = crate::registry::signatures();
    let wd = Watchdog::start();
    let mut rng = Rng(o.seed);
    for &ns in &o.namespaces {
        let mut by_name: Vec<&ImportSig> = Vec::new();
        for s in sigs.iter().filter(|s| s.module == ns.name()) {
            // One form per name: a module cannot import one name at two types.
            if !by_name.iter().any(|b| b.name == s.name) {
                by_name.push(s);
            }
        }
        let wasix = matches!(ns, Namespace::Wasix32 | Namespace::Wasix64);
        for shared in [false, true] {
            if shared && !(o.shared && wasix) {
                continue;
            }
            fuzz_one(o, ns, &by_name, shared, &rt, &wd, &mut rng, &mut report)?;
        }
    }
    report.interrupted = wd.interrupted.load(Ordering::SeqCst);
    report.elapsed = started.elapsed();
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn fuzz_one(
    o: &Options,
    ns: Namespace,
    sigs: &[&ImportSig],
    shared: bool,
    rt: &Runtime,
    wd: &Watchdog,
    rng: &mut Rng,
    report: &mut Report,
) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!(
        "wxc-fuzz-{}-{}-{}",
        std::process::id(),
        ns.name(),
        shared
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    let sandbox = scratch.join("sandbox");
    std::fs::create_dir_all(sandbox.join("dir"))?;
    std::fs::write(sandbox.join("a"), b"hello")?;
    std::fs::write(sandbox.join("dir/file"), b"x")?;
    std::fs::create_dir_all(scratch.join("outside"))?;
    std::fs::write(scratch.join("outside/canary"), b"do not touch")?;
    let before = snapshot(&scratch, &sandbox);

    let store = Store::default();
    let text = module_text(ns, sigs, shared);
    let module = Module::new(&store, &text)?;
    let engine = store.engine().clone();
    let mut live = instantiate(&engine, &module, &sandbox, rt).map_err(|e| anyhow::anyhow!(e))?;
    let where_ = |i: u64| format!("seed {} {} shared={shared} call #{i}", o.seed, ns.name());
    for i in 0..o.calls {
        let k = rng.below(sigs.len() as u64) as usize;
        let s = sigs[k];
        if ENDS.contains(&s.name) && rng.below(200) != 0 {
            continue;
        }
        // Scribble into guest memory first (not while a call runs).
        let made = match live.instance.exports.get_memory("memory") {
            Ok(m) => {
                let view = m.view(&live.store);
                scribble(rng, |at, b| {
                    let _ = view.write(at, b);
                })
            }
            Err(_) => Vec::new(),
        };
        let mut len_next = None;
        let args: Vec<Value> = s
            .params
            .iter()
            .map(|t| arg(rng, t, &made, &mut len_next))
            .collect();
        let f = live
            .instance
            .exports
            .get_function(&format!("c{k}"))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .clone();
        wd.arm(i + 1, &live.ctx);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f.call(&mut live.store, &args)
        }));
        wd.disarm();
        crate::core::io::poll::take_interrupt();
        report.calls += 1;
        let restart = match r {
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                report
                    .failures
                    .push(format!("{}: {}{args:?} panicked: {msg}", where_(i), s.name));
                true
            }
            Ok(Ok(v)) => {
                if let Some(Value::I32(e)) = v.first() {
                    *report.errnos.entry(*e).or_default() += 1;
                }
                false
            }
            Ok(Err(e)) => {
                // A longjmp to a buffer that names no checkpoint ends the process by
                // design (there is no errno to return).
                let stale_longjmp = s.name == "stack_restore" && e.message().contains("not live");
                let exit = e.downcast_ref::<crate::core::cli::Exit>().is_some()
                    || e.downcast_ref::<crate::core::cli::SignalDeath>().is_some()
                    || e.downcast_ref::<crate::witx::thread::ThreadExit>()
                        .is_some()
                    || stale_longjmp;
                if !exit {
                    report
                        .failures
                        .push(format!("{}: {}{args:?} trapped: {e}", where_(i), s.name));
                }
                true
            }
        };
        if wd.stuck.swap(false, Ordering::SeqCst) {
            report.failures.push(format!(
                "{}: {}{args:?} did not return within 5 s of its interrupt",
                where_(i),
                s.name
            ));
        }
        if let Err(e) = live.ctx.fds.audit() {
            report.failures.push(format!(
                "{}: {}{args:?} broke the fd table: {e}",
                where_(i),
                s.name
            ));
            return Ok(());
        }
        // Files outside the preopen: checked every 64 calls, so a failure names a short
        // stretch of calls (the tree is a handful of files).
        if i % 64 == 63 && snapshot(&scratch, &sandbox) != before {
            report.failures.push(format!(
                "{}: files outside the sandbox changed within the last 64 calls",
                where_(i)
            ));
            return Ok(());
        }
        if restart {
            report.restarts += 1;
            live.ctx
                .threads
                .end(crate::core::threads::ProcessEnd::Exit(0));
            live = instantiate(&engine, &module, &sandbox, rt).map_err(|e| anyhow::anyhow!(e))?;
        }
        if report.failures.len() > 20 {
            break;
        }
    }
    live.ctx
        .threads
        .end(crate::core::threads::ProcessEnd::Exit(0));
    drop(live);
    let after = snapshot(&scratch, &sandbox);
    if after != before {
        let changed: Vec<_> = after
            .keys()
            .chain(before.keys())
            .filter(|k| after.get(*k) != before.get(*k))
            .collect();
        report.failures.push(format!(
            "seed {} {} shared={shared}: files outside the sandbox changed: {changed:?}",
            o.seed,
            ns.name()
        ));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
