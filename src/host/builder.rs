//! `Builder`: the embedder's entry point, named like wasmer-wasix's `WasiEnvBuilder`.

use super::procs::{end_family, retire, run_image, ProcHost, Start};
use super::threads::{thread_end, ThreadHost};
use super::{link::WasiImports, RunError};
use crate::core::cli::{Cli, Exit};
use crate::core::fds::{rights, FdEntry, FdKind, FdTable};
use crate::core::fs::mounts::{guest_mount_path, names_root, wasix_root_base, MountTree};
use crate::core::fs::Dir;
use crate::core::io::poll::current_interrupter;
use crate::core::io::{InputStream, OutputStream};
use crate::core::sockets::Network;
use crate::core::threads::ProcessEnd;
use crate::witx::env::MAIN_TID;
use crate::witx::procs::ExecImage;
use crate::witx::thread::ThreadExit;
use crate::witx::WasiCtx;
use std::path::Path;
use std::sync::Arc;
use wasmer::{Module, Store};

pub struct Builder {
    cli: Cli,
    preopens: Vec<(String, Dir)>,
    net: Option<Arc<Network>>,
    bridge_trust: Option<crate::core::sockets::bridge::BridgeTrust>,
    wasix_root: bool,
    threads: bool,
    max_threads: u32,
    max_processes: u32,
    sigchld: bool,
    clock_set: bool,
    record: Option<std::path::PathBuf>,
    trace: Option<Arc<crate::witx::trace::Tracer>>,
    fake_clock: Option<u64>,
    seed: Option<u64>,
    on_end: Option<crate::core::threads::EndHook>,
    error: Option<RunError>,
}

impl Builder {
    /// `program` becomes `argv[0]`.
    pub fn new(program: impl Into<String>) -> Builder {
        Builder {
            cli: Cli {
                args: vec![program.into()],
                ..Default::default()
            },
            preopens: Vec::new(),
            net: None,
            bridge_trust: None,
            wasix_root: false,
            threads: true,
            max_threads: crate::core::threads::DEFAULT_MAX_THREADS,
            max_processes: crate::core::proctable::DEFAULT_MAX_PROCESSES,
            sigchld: false,
            clock_set: false,
            record: None,
            trace: None,
            fake_clock: None,
            seed: None,
            on_end: None,
            error: None,
        }
    }

    /// Gives the guest the file system `wasmer run` gives a WASIX program: `/` is an
    /// in-memory tree with `/tmp`, `/dev/{null,zero,urandom,stdin,stdout,stderr,tty}`,
    /// `/bin`, `/etc`, and every directory added with `map_dir` & co. is mounted in it at
    /// its guest path (a relative guest path under `/home`, which then is the initial
    /// working directory). `/` is preopened as fd 3 (where wasmer-wasix always has it),
    /// then each mount in order; `..` walks between mounts through the root. Without a `/` mapping
    /// only: a directory mapped at `/` replaces the whole tree and this is ignored.
    pub fn wasix_root(mut self, on: bool) -> Self {
        self.wasix_root = on;
        self
    }

    /// Appends to `file` which imports the guest calls and with what result, one line per
    /// distinct (namespace, function, result); see [`crate::witx::record`]. Each import
    /// goes through a forwarding function then, so leave it off where speed matters.
    pub fn record_imports(mut self, file: impl Into<std::path::PathBuf>) -> Self {
        self.record = Some(file.into());
        self
    }

    /// Writes every import call to `tracer` as a JSON line (see [`crate::witx::trace`]);
    /// like [`Builder::record_imports`], each import goes through a forwarding function.
    /// Flush the tracer (or drop it) when the run ends.
    pub fn trace(mut self, tracer: Arc<crate::witx::trace::Tracer>) -> Self {
        self.trace = Some(tracer);
        self
    }

    /// Pins the clocks: every reading is `start_ns` plus 1 µs per reading made so far
    /// (see [`crate::core::pinned`]).
    pub fn fake_clock(mut self, start_ns: u64) -> Self {
        self.fake_clock = Some(start_ns);
        self
    }

    /// Pins randomness: `random_get` and WASI 0.2 random bytes come from a stream seeded
    /// with `seed` (see [`crate::core::pinned`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    fn recorder(&self) -> Option<Arc<crate::witx::record::ImportRecorder>> {
        match (&self.record, &self.trace) {
            (None, None) => None,
            (p, t) => Some(Arc::new(crate::witx::record::ImportRecorder::with(
                p.clone(),
                t.clone(),
            ))),
        }
    }

    /// Lets the guest start threads (on by default). Off, every spawn is `notsup`, as for
    /// a module without a shared memory.
    pub fn threads(mut self, on: bool) -> Self {
        self.threads = on;
        self
    }

    /// Most threads alive at once, the main thread included (default
    /// [`DEFAULT_MAX_THREADS`](crate::core::threads::DEFAULT_MAX_THREADS)); a spawn past it
    /// is `again`, as `pthread_create` reports it.
    pub fn max_threads(mut self, n: u32) -> Self {
        self.max_threads = n;
        self
    }

    /// Most processes of the guest's family alive or not yet joined at once, the first
    /// one included (default
    /// [`DEFAULT_MAX_PROCESSES`](crate::core::proctable::DEFAULT_MAX_PROCESSES)); a fork or
    /// spawn past it is `again` (EAGAIN).
    pub fn max_processes(mut self, n: u32) -> Self {
        self.max_processes = n;
        self
    }

    /// Sends SIGCHLD to a parent when its child ends (off by default, as in wasmer-wasix:
    /// wasix-libc's default action for SIGCHLD traps, so turn it on only for programs that
    /// catch SIGCHLD, such as shells).
    pub fn sigchld(mut self, on: bool) -> Self {
        self.sigchld = on;
        self
    }

    /// Lets the guest set its realtime clock with WASIX `clock_time_set` (off by default:
    /// `perm`). It sets the process's own clock, an offset from the host's, which never
    /// changes; forked children inherit it.
    pub fn allow_clock_set(mut self, on: bool) -> Self {
        self.clock_set = on;
        self
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.cli.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.cli.args.extend(a.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.cli.env.push((k.into(), v.into()));
        self
    }

    pub fn envs<I: IntoIterator<Item = (K, V)>, K: Into<String>, V: Into<String>>(
        mut self,
        e: I,
    ) -> Self {
        self.cli
            .env
            .extend(e.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    fn add(mut self, guest: &str, dir: Result<Dir, crate::core::ErrorCode>, host: &str) -> Self {
        match dir {
            Ok(d) => self.preopens.push((guest.to_string(), d)),
            Err(e) => {
                self.error.get_or_insert(RunError::Setup {
                    what: format!("directory `{host}`"),
                    why: e.to_string(),
                });
            }
        }
        self
    }

    /// Preopens a host directory under the same path in the guest.
    pub fn preopen_dir(self, host: impl AsRef<Path>) -> Self {
        let h = host.as_ref().to_string_lossy().into_owned();
        let d = Dir::host(host.as_ref(), false);
        self.add(&h.clone(), d, &h)
    }

    /// Shows host directory `host` at guest path `guest` (`/` allowed).
    pub fn map_dir(self, guest: &str, host: impl AsRef<Path>) -> Self {
        let h = host.as_ref().to_string_lossy().into_owned();
        let d = Dir::host(host.as_ref(), false);
        self.add(guest, d, &h)
    }

    /// Like [`Builder::map_dir`], refusing every mutation beneath it.
    pub fn map_dir_readonly(self, guest: &str, host: impl AsRef<Path>) -> Self {
        let h = host.as_ref().to_string_lossy().into_owned();
        let d = Dir::host(host.as_ref(), true);
        self.add(guest, d, &h)
    }

    /// A fresh in-memory tree at `guest`.
    pub fn map_memory_dir(mut self, guest: &str) -> Self {
        self.preopens.push((guest.to_string(), Dir::memory()));
        self
    }

    /// Any virtual-fs file system, its `/` shown at `guest`.
    pub fn fs(self, guest: &str, fs: Arc<dyn virtual_fs::FileSystem + Send + Sync>) -> Self {
        let d = Dir::virtual_fs(fs, "/", false);
        self.add(guest, d, "virtual file system")
    }

    /// Enables networking through the host's network stack (virtual-net `LocalNetworking`).
    pub fn host_networking(mut self) -> Self {
        match Network::host() {
            Ok(n) => self.net = Some(n),
            Err(e) => {
                self.error.get_or_insert(RunError::Setup {
                    what: "host networking".into(),
                    why: e.to_string(),
                });
            }
        }
        self
    }

    /// Networking through any virtual-net backend (e.g. `LoopbackNetworking` for tests).
    pub fn net(mut self, net: Arc<Network>) -> Self {
        self.net = Some(net);
        self
    }

    /// `tls://` bridges (port_bridge) trust only the CA certificates in this PEM file
    /// instead of the system roots.
    pub fn bridge_ca(mut self, pem_file: impl AsRef<Path>) -> Self {
        let t = self.bridge_trust.get_or_insert_with(Default::default);
        if let Err(why) = t.add_ca_file(pem_file.as_ref()) {
            self.error.get_or_insert(RunError::Setup {
                what: "bridge CA".into(),
                why,
            });
        }
        self
    }

    /// `tls://` bridges accept a server whose certificate has this SHA-256 fingerprint
    /// (64 hex digits; may be given several times).
    pub fn bridge_pin(mut self, sha256_hex: &str) -> Self {
        let t = self.bridge_trust.get_or_insert_with(Default::default);
        if let Err(why) = t.add_pin_hex(sha256_hex) {
            self.error.get_or_insert(RunError::Setup {
                what: "bridge pin".into(),
                why,
            });
        }
        self
    }

    /// Pins the bridge server's static Noise public key (64 hex digits, as `net keygen`
    /// prints it): `tls://` bridges can then meet `double_encryption`.
    pub fn bridge_noise_key(mut self, hex: &str) -> Self {
        let t = self.bridge_trust.get_or_insert_with(Default::default);
        if let Err(why) = t.set_noise_key_hex(hex) {
            self.error.get_or_insert(RunError::Setup {
                what: "bridge Noise key".into(),
                why,
            });
        }
        self
    }

    /// The guest's initial working directory (WASIX getcwd).
    pub fn current_dir(mut self, dir: impl Into<String>) -> Self {
        self.cli.initial_cwd = Some(dir.into());
        self
    }

    pub fn stdin(mut self, s: Arc<dyn InputStream>) -> Self {
        self.cli.stdin = s;
        self
    }

    pub fn stdout(mut self, s: Arc<dyn OutputStream>) -> Self {
        self.cli.stdout = s;
        self
    }

    pub fn stderr(mut self, s: Arc<dyn OutputStream>) -> Self {
        self.cli.stderr = s;
        self
    }

    /// The per-instance context: fds 0-2 are stdio, preopens follow from 3 in order.
    pub fn build_ctx(self) -> Result<Arc<WasiCtx>, RunError> {
        let recorder = self.recorder();
        let process = self.build_process()?;
        let process = Arc::new(process);
        process
            .family
            .attach(crate::core::proctable::ROOT_PID, &process);
        let mut ctx = WasiCtx::new(process);
        ctx.recorder = recorder;
        Ok(Arc::new(ctx))
    }

    /// The process every front end shares: fds 0-2 are stdio, preopens from 3 in order.
    pub fn build_process(self) -> Result<crate::core::process::Process, RunError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let fds = FdTable::default();
        let stream = |k: FdKind| Arc::new(FdEntry::new(k, rights::STREAM, 0));
        let table_full = |_| RunError::Setup {
            what: "fd table".into(),
            why: "full".into(),
        };
        fds.insert(stream(FdKind::Input(self.cli.stdin.clone())))
            .map_err(table_full)?;
        fds.insert(stream(FdKind::Output(self.cli.stdout.clone())))
            .map_err(table_full)?;
        fds.insert(stream(FdKind::Output(self.cli.stderr.clone())))
            .map_err(table_full)?;
        let mut cli = self.cli;
        let root_mapped = self.preopens.iter().any(|(g, _)| names_root(g));
        if self.wasix_root && !root_mapped {
            let setup = |e: crate::core::ErrorCode| RunError::Setup {
                what: "WASIX root file system".into(),
                why: e.to_string(),
            };
            let mut mounts = Vec::new();
            let mut relative = false;
            for (guest, dir) in self.preopens {
                let (abs, rel) = guest_mount_path(&guest).map_err(setup)?;
                relative |= rel;
                mounts.push((abs, dir));
            }
            let points: Vec<String> = mounts.iter().map(|(g, _)| g.clone()).collect();
            let tree = Arc::new(
                MountTree::new(wasix_root_base(&points).map_err(setup)?, mounts).map_err(setup)?,
            );
            // `/` first (fd 3), as wasmer-wasix always has it, then each mount in order.
            for g in std::iter::once(&"/".to_string()).chain(points.iter()) {
                let view = tree.view(g).map_err(setup)?;
                fds.insert(Arc::new(FdEntry::dir(view, Some(g.clone()))))
                    .map_err(table_full)?;
            }
            if relative && cli.initial_cwd.is_none() {
                cli.initial_cwd = Some("/home".into());
            }
        } else {
            for (guest, dir) in self.preopens {
                fds.insert(Arc::new(FdEntry::dir(dir, Some(guest))))
                    .map_err(table_full)?;
            }
        }
        let net = self.net.unwrap_or_else(Network::disabled);
        if let Some(t) = self.bridge_trust {
            net.set_bridge_trust(t);
        }
        let mut process = crate::core::process::Process::new(cli, fds, net);
        if self.fake_clock.is_some() || self.seed.is_some() {
            process.pinned = Some(Arc::new(crate::core::pinned::Pinned::new(
                self.fake_clock,
                self.seed,
            )));
        }
        process.threads.set_limit(self.max_threads);
        process.family.set_limit(self.max_processes);
        process
            .sigchld
            .store(self.sigchld, std::sync::atomic::Ordering::Relaxed);
        process
            .clock_settable
            .store(self.clock_set, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.on_end {
            process.threads.add_end_hook(h);
        }
        Ok(process)
    }

    /// Runs a WASI 0.2 command component (`wasi:cli/run#run`) on the calling thread;
    /// returns the exit status. Its streams are the process's own (p1's fds 0-2). With
    /// [`Builder::record_imports`], its import calls are recorded as a module's are.
    pub fn run_component(
        self,
        store: &mut Store,
        component: &crate::p2::Component,
    ) -> Result<i32, RunError> {
        let recorder = self.recorder();
        let process = Arc::new(self.build_process()?);
        match component.run_recorded(store, process, recorder)? {
            crate::p2::RunEnd::Status(c) => Ok(c),
            crate::p2::RunEnd::Trap(e) => Err(RunError::Trap(trap_line(&e))),
        }
    }

    /// Builds the imports `module` needs into `store`, for an embedder that instantiates
    /// and runs `_start` itself: instantiate with `imports.imports`, call
    /// [`WasiImports::bind`] with the instance on the thread that will run `_start` (it
    /// attaches that thread as the main thread), call `_start`, and hand its result to
    /// [`WasiImports::finish_main`], which ends the process (its other threads, its timer)
    /// and gives the status. Without `finish_main` the guest's other threads live on.
    pub fn imports(self, store: &mut Store, module: &Module) -> Result<WasiImports, RunError> {
        let threads = self.threads;
        let ctx = self.build_ctx()?;
        let imports = WasiImports::new(store, module, ctx)?;
        let host = ProcHost::new(store.engine().clone(), module.clone());
        let _ = imports.ctx.launcher.set(Arc::new(host));
        if threads {
            if let Some(h) = ThreadHost::for_module(store, module, &imports) {
                let _ = imports.ctx.spawner.set(h);
            }
        }
        Ok(imports)
    }

    /// Instantiates `module` and runs `_start` on the calling thread (the guest's main
    /// thread) to completion; returns the exit status. The process ends when the main
    /// thread returns or any thread exits (other threads are interrupted and unwind at
    /// their next import); after a main-thread `thread_exit` it ends when the last thread
    /// has ended, with that thread's code. An embedder that instantiates itself does the
    /// same with [`WasiImports::bind`] and [`WasiImports::finish_main`].
    pub fn run(self, store: &mut Store, module: &Module) -> Result<i32, RunError> {
        let imports = self.imports(store, module)?;
        let r = match run_main(store, module, &imports) {
            Err(Main::Setup(e)) => {
                imports.end_main(ProcessEnd::Exit(1));
                end_family(&imports.ctx);
                return Err(e);
            }
            Ok(()) => Ok(()),
            Err(Main::Guest(e)) => Err(e),
        };
        let (ctx, end) = match r.map_err(|e| e.downcast::<ExecImage>()) {
            // The root exec'd: the new image runs on this thread, in a store of its own.
            Err(Ok(next)) => {
                retire(&imports.ctx, &next.ctx);
                let host = ProcHost::new(store.engine().clone(), next.module.clone());
                run_image(host, next.ctx, Start::Fresh)
            }
            Err(Err(e)) => (imports.ctx.clone(), imports.finish_main_end(Err(e))),
            Ok(()) => (imports.ctx.clone(), imports.finish_main_end(Ok(()))),
        };
        end_family(&ctx);
        match end {
            ProcessEnd::Trap(m) => Err(RunError::Trap(m)),
            e => Ok(e.status().unwrap_or(1)),
        }
    }

    /// Calls `on_end` once, from whichever thread decides it, when the process's end is
    /// decided (its status, or a trap). The threads may still be unwinding then, and one
    /// computing without imports never stops by itself: the CLI returns on this.
    pub fn on_process_end(mut self, on_end: crate::core::threads::EndHook) -> Self {
        self.on_end = Some(on_end);
        self
    }
}

impl WasiImports {
    /// Makes the calling OS thread the guest's main thread: interrupts meant for the main
    /// thread (a signal, another thread's `exit`) reach what it blocks in. [`bind`](Self::bind)
    /// does this for the main thread's imports; call it again only when `_start` runs on a
    /// thread other than the one that called `bind`.
    pub fn attach_main_thread(&self) {
        self.ctx.threads.attach(MAIN_TID, current_interrupter());
    }

    /// For an embedder that calls `_start` itself: hand its result here. Decides how the
    /// process ends as [`Builder::run`] does (returning ends it with 0, `proc_exit` with its
    /// code, a trap with the trap; after a `thread_exit` of the main thread this waits for
    /// the other threads and the last one's code counts), interrupts every other thread,
    /// stops the interval timer and returns the status.
    pub fn finish_main(&self, r: Result<(), wasmer::RuntimeError>) -> Result<i32, RunError> {
        match self.finish_main_end(r) {
            ProcessEnd::Trap(m) => Err(RunError::Trap(m)),
            e => Ok(e.status().unwrap_or(1)),
        }
    }

    /// [`finish_main`](Self::finish_main), giving how the process ended.
    pub(crate) fn finish_main_end(&self, r: Result<(), wasmer::RuntimeError>) -> ProcessEnd {
        let ctx = &self.ctx;
        let end = match r {
            Ok(()) => Some(ProcessEnd::Exit(0)),
            Err(e) => match e.downcast_ref::<ThreadExit>() {
                // Only the main thread ends: the process lives on in its other threads.
                Some(ThreadExit(code)) => {
                    let last = ctx.threads.main_exited(MAIN_TID, *code as i32);
                    Some(ProcessEnd::Exit(last))
                }
                None => thread_end(ctx, Err(e)),
            },
        };
        match end {
            Some(e) => self.end_main(e),
            None => {
                let e = ctx.threads.ended().unwrap_or(ProcessEnd::Exit(0));
                self.end_main(e)
            }
        }
    }

    /// Ends the process (the first decision stands) as its main thread ends.
    fn end_main(&self, how: ProcessEnd) -> ProcessEnd {
        let decided = self.ctx.threads.end(how);
        self.ctx.itimer.cancel();
        self.ctx.threads.finish(MAIN_TID);
        decided
    }
}

enum Main {
    Setup(RunError),
    Guest(wasmer::RuntimeError),
}

fn run_main(store: &mut Store, module: &Module, imports: &WasiImports) -> Result<(), Main> {
    let instance = wasmer::Instance::new(store, module, &imports.imports).map_err(|e| {
        Main::Setup(match e {
            wasmer::InstantiationError::Start(t) => match t.downcast_ref::<Exit>() {
                Some(_) => RunError::Trap("exit during start function".into()),
                None => RunError::Trap(t.message()),
            },
            other => RunError::Instantiate(other.to_string()),
        })
    })?;
    imports.bind(store, &instance).map_err(Main::Setup)?;
    let start = match instance.exports.get_function("_start") {
        Ok(f) => f.clone(),
        // A core module of a `wasm32-wasip2` compiler: its entry is `wasi:cli/run#run`.
        Err(_) => match crate::p2::core_imports::run_export(&instance.exports) {
            Some(run) => return run_p2(store, &run),
            None => return Err(Main::Setup(RunError::NoStart)),
        },
    };
    let ty = start.ty(store);
    if !ty.params().is_empty() || !ty.results().is_empty() {
        return Err(Main::Setup(RunError::BadStart(format!("{ty}"))));
    }
    start.call(store, &[]).map(drop).map_err(Main::Guest)
}

/// Calls a core module's `wasi:cli/run#run`: `ok` is status 0, `err` status 1 (as for
/// a component).
fn run_p2(store: &mut Store, run: &wasmer::Function) -> Result<(), Main> {
    let run = run
        .typed::<(), i32>(store)
        .map_err(|e| Main::Setup(RunError::BadStart(format!("wasi:cli/run#run: {e}"))))?;
    match run.call(store).map_err(Main::Guest)? {
        0 => Ok(()),
        1 => Err(Main::Guest(wasmer::RuntimeError::user(Box::new(Exit(1))))),
        d => Err(Main::Guest(wasmer::RuntimeError::new(format!(
            "wasi:cli/run#run returned invalid result discriminant {d}"
        )))),
    }
}

/// One line: the trap message and the innermost guest function, if known.
pub(super) fn trap_line(e: &wasmer::RuntimeError) -> String {
    let msg = e.message().lines().next().unwrap_or("").to_string();
    match e.trace().first() {
        Some(f) => format!(
            "{msg} (in {})",
            f.function_name()
                .map(String::from)
                .unwrap_or_else(|| format!("func[{}]", f.func_index()))
        ),
        None => msg,
    }
}
