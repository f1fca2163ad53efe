//! `cargo bench --bench compare [-- --quick] [-- --only NAME,...]`
//!
//! Builds our C workloads (benches/workloads) for wasm32-wasi with Debian's clang and natively
//! with the system C compiler, compiles each module once (`wasix-compat compile`, timed and
//! reported apart), then runs every workload as a whole process under wasix-compat, under
//! wasmer-wasix (the same wasmer engine, same compiled code, `--engine wasmer-wasix`) and
//! natively, alternating A/B/C per repetition on a fresh temp directory each run. Prints a
//! Markdown table and writes target/bench/compare.json.
//!
//! Component rows (`p2_*`): the same Rust program (benches/workloads/rust) built as a
//! `wasm32-wasip2` component, run on ours and on wasmtime 48 (`--engine wasmtime`), and as
//! a `wasm32-wasip1` module on ours; all through the module cache, warmed once (except
//! `p2_startup_compile`, which compiles every start). A second table gives
//! component-on-ours / module-on-ours and ours / wasmtime.
//!
//! The `dash` row: Debian's dash (`scripts/build-dash.sh`, asyncified) runs a `sh -c` loop of
//! SIZE external commands (`/bin/true`: the `startup` program built with wasix-libc), each a
//! vfork (in place, with asyncify) and an exec; natively the host's `/bin/sh` (dash on
//! Debian) and coreutils' `/bin/true`. Through the module cache, warmed once.
//!
//! Bridge rows (`bridge_*`, benches/bridge/mod.rs): port_bridge's transports in process, direct
//! against bridged `tcp://` against bridged `tls://` against bridged double (Noise inside TLS).

mod bridge;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Workload {
    name: &'static str,
    /// Default size (about a second natively on the reference machine).
    size: u64,
    /// The second argument: the fresh temp dir, a free loopback port (with networking
    /// enabled), or nothing.
    arg: Arg,
    /// Prepares the temp dir before each run (not timed).
    prepare: fn(&Path),
    /// Built with wasix-libc (`../shared/wasix-libc/cc.sh`, pthreads) instead of wasi-libc;
    /// natively with `-pthread`.
    wasix: bool,
    /// The wasix-libc module with its imported memory's `shared` flag cleared: the same
    /// code on an unshared memory, so `X_unshared` against `X_shared` is the cost of
    /// GuestMem's copying mode alone.
    unshare: bool,
    /// How the module reaches the runtimes.
    load: Load,
    /// Transformed with `wasm-opt --asyncify` (fork, setjmp): `cc.sh --asyncify`.
    asyncify: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Load {
    /// A precompiled artifact (`--allow-precompiled`): run time without compilation.
    Artifact,
    /// The `.wasm`, compiled on every start (`--no-cache`; wasmer-wasix as we start it).
    NoCache,
    /// The `.wasm` through our module cache, warmed once before timing.
    Cached,
}

#[derive(Clone, Copy, PartialEq)]
enum Arg {
    None,
    Dir,
    Port,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().unwrap().port()
}

fn nothing(_: &Path) {}

fn ten_thousand_entries(dir: &Path) {
    let d = dir.join("entries");
    std::fs::create_dir_all(&d).unwrap();
    for i in 0..10_000 {
        std::fs::write(d.join(format!("entry-{i:05}")), b"").unwrap();
    }
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "write1",
        size: 1_000_000,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "stream",
        size: 256,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    // The same two programs built with wasix-libc: their memory is an imported *shared*
    // one, so every buffer is copied in and out (GuestMem's shared mode).
    Workload {
        name: "write1_shared",
        size: 1_000_000,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "stream_shared",
        size: 256,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "write1_unshared",
        size: 1_000_000,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: true,
        unshare: true,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "stream_unshared",
        size: 256,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: true,
        unshare: true,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "openstat",
        size: 100_000,
        arg: Arg::Dir,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "readdir",
        size: 20,
        arg: Arg::Dir,
        prepare: ten_thousand_entries,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "clock",
        size: 5_000_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "poll0",
        size: 200_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "stdout",
        size: 256,
        arg: Arg::None,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "tcp_echo",
        size: 100_000,
        arg: Arg::Port,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "startup",
        size: 0,
        arg: Arg::None,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    // Start-up from the `.wasm`: compiling every time, and through the module cache.
    Workload {
        name: "startup_compile",
        size: 0,
        arg: Arg::None,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::NoCache,
        asyncify: false,
    },
    Workload {
        name: "startup_cached",
        size: 0,
        arg: Arg::None,
        prepare: nothing,
        wasix: false,
        unshare: false,
        load: Load::Cached,
        asyncify: false,
    },
    Workload {
        name: "spawn_join",
        size: 2_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "futex_pingpong",
        size: 50_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "mutex_uncontended",
        size: 20_000_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "fork_wait",
        size: 200,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: true,
    },
    Workload {
        name: "setjmp",
        size: 20_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: true,
    },
    Workload {
        name: "contended8",
        size: 2_000_000,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Artifact,
        asyncify: false,
    },
    Workload {
        name: "dash",
        size: 50,
        arg: Arg::None,
        prepare: nothing,
        wasix: true,
        unshare: false,
        load: Load::Cached,
        // Built (and asyncified) by scripts/build-dash.sh, not from a workload source.
        asyncify: true,
    },
];

/// The `dash` row's script: `$1` external commands, one after another.
const DASH_SCRIPT: &str = "i=0; while [ $i -lt $1 ]; do /bin/true; i=$((i+1)); done";

/// `../shared/wasix-libc`, when present (thread workloads need it).
fn wasix_libc() -> Option<PathBuf> {
    let d = repo().join("../shared/wasix-libc");
    d.join("cc.sh").exists().then_some(d)
}

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Ours,
    Wasmer,
    Native,
}

struct Sample {
    ns: Option<u128>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wasix-compat"))
}

fn sh(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds wasm + native binaries and the compiled artifact; returns (artifact, native,
/// compile time of the module).
fn build(w: &Workload, out: &Path) -> (PathBuf, PathBuf, Duration) {
    if w.name == "dash" {
        return build_dash(out);
    }
    // `X_shared` / `X_unshared` are program X built with wasix-libc; `startup_*` is startup.
    let base = w.name.strip_suffix("_shared").unwrap_or(w.name);
    let base = base.strip_suffix("_unshared").unwrap_or(base);
    let base = if base.starts_with("startup") {
        "startup"
    } else {
        base
    };
    let src = repo().join("benches/workloads").join(format!("{base}.c"));
    let wasm = out.join(format!("{}.wasm", w.name));
    let native = out.join(format!("{}.native", w.name));
    let artifact = out.join(format!("{}.wasmu", w.name));
    let inc = repo().join("benches/workloads");
    match wasix_libc() {
        Some(dir) if w.wasix => sh(
            Command::new("bash")
                .arg(dir.join("cc.sh"))
                .args(w.asyncify.then_some("--asyncify"))
                .arg("-o")
                .arg(&wasm)
                .arg(&src)
                .arg("-O2")
                .arg("-I")
                .arg(&inc),
            "wasix-libc cc.sh",
        ),
        _ => sh(
            Command::new("clang")
                .args(["--target=wasm32-wasi", "-O2", "-I"])
                .arg(&inc)
                .arg(&src)
                .arg("-o")
                .arg(&wasm),
            "clang",
        ),
    }
    if w.unshare {
        let bytes = std::fs::read(&wasm).unwrap();
        std::fs::write(&wasm, unshare_memory(&bytes)).unwrap();
    }
    sh(
        Command::new("cc")
            .args(["-O2", "-pthread", "-I"])
            .arg(&inc)
            .arg(&src)
            .arg("-o")
            .arg(&native),
        "cc",
    );
    let t = Instant::now();
    sh(
        Command::new(cli())
            .arg("compile")
            .arg(&wasm)
            .arg("-o")
            .arg(&artifact),
        "wasix-compat compile",
    );
    (artifact, native, t.elapsed())
}

/// The `dash` row: `dash.wasm` beside its artifact, `/bin/true` for it in `dash-bin/`, and
/// the host's `/bin/sh` as the native side.
fn build_dash(out: &Path) -> (PathBuf, PathBuf, Duration) {
    let built = Command::new("bash")
        .arg(repo().join("scripts/build-dash.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/build-dash.sh");
    assert!(built.status.success(), "scripts/build-dash.sh failed");
    let dash = PathBuf::from(
        String::from_utf8_lossy(&built.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .trim(),
    );
    let wasm = out.join("dash.wasm");
    let artifact = out.join("dash.wasmu");
    std::fs::copy(&dash, &wasm).unwrap();
    let bin = out.join("dash-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let dir = wasix_libc().expect("../shared/wasix-libc");
    sh(
        Command::new("bash")
            .arg(dir.join("cc.sh"))
            .arg("-o")
            .arg(bin.join("true"))
            .arg(repo().join("benches/workloads/startup.c")),
        "wasix-libc cc.sh",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(bin.join("true"), mode).unwrap();
    }
    let t = Instant::now();
    sh(
        Command::new(cli())
            .arg("compile")
            .arg(&wasm)
            .arg("-o")
            .arg(&artifact),
        "wasix-compat compile",
    );
    (artifact, PathBuf::from("/bin/sh"), t.elapsed())
}

/// Clears the `shared` flag of the module's memories (wasix-libc imports one); everything
/// else stays as it was, and atomic instructions stay valid on an unshared memory.
fn unshare_memory(wasm: &[u8]) -> Vec<u8> {
    use wasm_encoder::reencode::{Error, Reencode, RoundtripReencoder};
    struct Unshare;
    impl Reencode for Unshare {
        type Error = std::convert::Infallible;
        fn memory_type(
            &mut self,
            m: wasmparser::MemoryType,
        ) -> Result<wasm_encoder::MemoryType, Error<Self::Error>> {
            let mut m = RoundtripReencoder.memory_type(m)?;
            assert!(m.shared, "the memory is not shared");
            m.shared = false;
            Ok(m)
        }
    }
    wasix_compat::host::reencode::module_types(wasm, &mut Unshare).expect("rewrite the module")
}

fn run_once(
    who: Who,
    w: &Workload,
    size: u64,
    artifact: &Path,
    native: &Path,
    timeout: Duration,
) -> Sample {
    let tmp = std::env::temp_dir().join(format!("wxc-bench-{}-{}", w.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    (w.prepare)(&tmp);
    let mut args: Vec<String> = Vec::new();
    if w.name == "dash" {
        args.extend(["-c", DASH_SCRIPT, "sh"].map(String::from));
    }
    if w.name != "startup" {
        args.push(size.to_string());
    }
    if w.arg == Arg::Port {
        args.push(free_port().to_string());
    }
    let mut cmd = match who {
        Who::Native => {
            if w.arg == Arg::Dir {
                args.push(tmp.display().to_string());
            }
            let mut c = Command::new(native);
            c.args(&args);
            c
        }
        Who::Ours | Who::Wasmer => {
            let mut c = Command::new(cli());
            c.arg("run");
            if who == Who::Wasmer {
                c.args(["--engine", "wasmer-wasix"]);
            }
            if w.arg == Arg::Dir {
                c.arg("--dir").arg(format!("{}::/bench", tmp.display()));
                args.push("/bench".into());
            }
            if w.arg == Arg::Port {
                c.arg("--net");
            }
            if w.name == "dash" {
                let bin = artifact.with_file_name("dash-bin");
                c.arg("--sigchld")
                    .arg("--dir")
                    .arg(format!("{}::/bin", bin.display()));
            }
            match w.load {
                Load::Artifact => c.arg("--allow-precompiled").arg(artifact),
                Load::NoCache => c.arg("--no-cache").arg(artifact.with_extension("wasm")),
                Load::Cached => c
                    .env("WASIX_COMPAT_CACHE_DIR", cache_dir())
                    .arg(artifact.with_extension("wasm")),
            };
            c.arg("--").args(&args);
            c
        }
    };
    let s = time(
        &mut cmd,
        timeout,
        &format!("{} under {}", w.name, label(who)),
    );
    let _ = std::fs::remove_dir_all(&tmp);
    s
}

/// Runs `cmd` to its end (killed past `timeout`: no sample); panics when it fails.
fn time(cmd: &mut Command, timeout: Duration, what: &str) -> Sample {
    // stdout goes to a pipe the bench drains (the `stdout` workload measures exactly that).
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn workload");
    let mut so = child.stdout.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while matches!(so.read(&mut buf), Ok(n) if n > 0) {}
    });
    let mut se = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let elapsed = start.elapsed();
    let _ = drain.join();
    let stderr = err.join().unwrap_or_default();
    match status {
        Some(st) if st.success() => Sample {
            ns: Some(elapsed.as_nanos()),
        },
        Some(st) => panic!("{what} exited with {st}:\n{stderr}"),
        None => Sample { ns: None },
    }
}

/// The module cache of the `Load::Cached` rows (emptied once per bench run).
fn cache_dir() -> PathBuf {
    repo().join("target/bench/module-cache")
}

fn label(w: Who) -> &'static str {
    match w {
        Who::Ours => "wasix-compat",
        Who::Wasmer => "wasmer-wasix",
        Who::Native => "native",
    }
}

fn median(v: &mut [u128]) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn fmt_s(ns: u128) -> String {
    let s = ns as f64 / 1e9;
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

struct Row {
    name: &'static str,
    compile: Duration,
    ours: Vec<u128>,
    wasmer: Vec<u128>,
    wasmer_dnf: bool,
    /// The bound a wasmer-wasix run was given (it hangs on some workloads).
    wasmer_bound: Duration,
    native: Vec<u128>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !args.iter().any(|a| a == "--bench") {
        println!("compare: run with `cargo bench --bench compare`");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(String::from).collect());
    let reps: usize = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let st = Command::new("bash")
        .arg(repo().join("scripts/setup.sh"))
        .status()
        .expect("scripts/setup.sh");
    assert!(st.success(), "scripts/setup.sh failed");
    let out = repo().join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    let _ = std::fs::remove_dir_all(cache_dir());

    let mut rows = Vec::new();
    for w in WORKLOADS {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|n| n == w.name))
        {
            continue;
        }
        if w.wasix && wasix_libc().is_none() {
            eprintln!("== {} skipped: ../shared/wasix-libc is absent", w.name);
            continue;
        }
        let size = if quick { (w.size / 10).max(1) } else { w.size };
        let (artifact, native, compile) = build(w, &out);
        eprintln!(
            "== {} (size {size}, module compiled in {})",
            w.name,
            fmt_s(compile.as_nanos())
        );
        if w.load == Load::Cached {
            // Fill the cache (untimed) for both engines, as a user's earlier run would.
            for who in [Who::Ours, Who::Wasmer] {
                run_once(who, w, size, &artifact, &native, Duration::from_secs(120));
            }
        }
        let mut row = Row {
            name: w.name,
            compile,
            ours: vec![],
            wasmer: vec![],
            wasmer_dnf: false,
            wasmer_bound: Duration::ZERO,
            native: vec![],
        };
        for rep in 0..reps {
            for who in [Who::Ours, Who::Wasmer, Who::Native] {
                if who == Who::Wasmer && row.wasmer_dnf {
                    continue;
                }
                // A bound, not a target: wasmer-wasix hangs on some workloads.
                let native_est = row.native.iter().copied().max().unwrap_or(2_000_000_000);
                let timeout = Duration::from_nanos(
                    (native_est * 200).clamp(20_000_000_000, 120_000_000_000) as u64,
                );
                if who == Who::Wasmer {
                    row.wasmer_bound = timeout;
                }
                let s = run_once(who, w, size, &artifact, &native, timeout);
                eprintln!(
                    "   rep {rep} {:>13}: {}",
                    label(who),
                    s.ns.map(fmt_s).unwrap_or_else(|| "did not finish".into())
                );
                match (who, s.ns) {
                    (Who::Ours, Some(ns)) => row.ours.push(ns),
                    (Who::Wasmer, Some(ns)) => row.wasmer.push(ns),
                    (Who::Native, Some(ns)) => row.native.push(ns),
                    (Who::Wasmer, None) => row.wasmer_dnf = true,
                    (w, None) => panic!("{} timed out under {}", row.name, label(w)),
                }
            }
        }
        rows.push(row);
    }
    let p2_rows = component_rows(&out, quick, reps, only.as_deref());
    let bridge_rows = bridge::bridge_rows(quick, reps, only.as_deref());
    report(&rows, &p2_rows, &bridge_rows, &out, quick);
}

/// A Rust workload for the component rows.
struct P2Workload {
    name: &'static str,
    /// benches/workloads/rust/PROGRAM.rs
    program: &'static str,
    size: u64,
    /// Works in a fresh `--dir` preopen at /bench.
    dir: bool,
    /// Through the module cache (warmed once) rather than compiled at every start.
    cached: bool,
    /// Needs `--net`.
    net: bool,
    /// Has a wasm32-wasip1 build to compare with (std::net has no sockets on wasip1: the
    /// p1-era comparator of `p2_tcp_echo` is the `tcp_echo` row's WASIX module).
    p1: bool,
}

const P2_WORKLOADS: &[P2Workload] = &[
    P2Workload {
        name: "p2_startup",
        program: "startup",
        size: 0,
        dir: false,
        cached: true,
        net: false,
        p1: true,
    },
    P2Workload {
        name: "p2_startup_compile",
        program: "startup",
        size: 0,
        dir: false,
        cached: false,
        net: false,
        p1: true,
    },
    P2Workload {
        name: "p2_write1",
        program: "write1",
        size: 1_000_000,
        dir: true,
        cached: true,
        net: false,
        p1: true,
    },
    P2Workload {
        name: "p2_stream",
        program: "stream",
        size: 256,
        dir: true,
        cached: true,
        net: false,
        p1: true,
    },
    P2Workload {
        name: "p2_openstat",
        program: "openstat",
        size: 100_000,
        dir: true,
        cached: true,
        net: false,
        p1: true,
    },
    P2Workload {
        name: "p2_tcp_echo",
        program: "tcp_echo",
        size: 100_000,
        dir: false,
        cached: true,
        net: true,
        p1: false,
    },
];

/// How a component row's program runs.
#[derive(Clone, Copy, PartialEq)]
enum P2Who {
    /// The wasm32-wasip2 component on our engine.
    ComponentOurs,
    /// The same component on wasmtime.
    ComponentWasmtime,
    /// The wasm32-wasip1 module of the same source on our engine.
    ModuleOurs,
}

impl P2Who {
    const ALL: [P2Who; 3] = [
        P2Who::ComponentOurs,
        P2Who::ComponentWasmtime,
        P2Who::ModuleOurs,
    ];
    fn label(self) -> &'static str {
        match self {
            P2Who::ComponentOurs => "p2 on ours",
            P2Who::ComponentWasmtime => "p2 on wasmtime",
            P2Who::ModuleOurs => "p1 on ours",
        }
    }
}

struct P2Row {
    name: &'static str,
    /// Medians-to-be per `P2Who::ALL` entry.
    ns: [Vec<u128>; 3],
}

fn build_rust(program: &str, target: &str, out: &Path) -> PathBuf {
    let src = repo()
        .join("benches/workloads/rust")
        .join(format!("{program}.rs"));
    let wasm = out.join(format!("rust-{program}-{target}.wasm"));
    sh(
        Command::new("rustc")
            .args(["-O", "--edition=2021", "--target", target, "-o"])
            .arg(&wasm)
            .arg(&src),
        "rustc",
    );
    wasm
}

fn component_rows(out: &Path, quick: bool, reps: usize, only: Option<&[String]>) -> Vec<P2Row> {
    let mut rows = Vec::new();
    for w in P2_WORKLOADS {
        if only.is_some_and(|o| !o.iter().any(|n| n == w.name)) {
            continue;
        }
        let size = if quick { (w.size / 10).max(1) } else { w.size };
        let component = build_rust(w.program, "wasm32-wasip2", out);
        let module = w.p1.then(|| build_rust(w.program, "wasm32-wasip1", out));
        let whos: Vec<P2Who> = P2Who::ALL
            .into_iter()
            .filter(|w2| *w2 != P2Who::ModuleOurs || w.p1)
            .collect();
        eprintln!("== {} (size {size})", w.name);
        let run = |who: P2Who, timeout: Duration| -> Sample {
            let tmp =
                std::env::temp_dir().join(format!("wxc-bench-{}-{}", w.name, std::process::id()));
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).unwrap();
            let mut c = Command::new(cli());
            c.arg("run");
            if who == P2Who::ComponentWasmtime {
                c.args(["--engine", "wasmtime"]);
            }
            if w.dir {
                c.arg("--dir").arg(format!("{}::/bench", tmp.display()));
            }
            if w.net {
                c.arg("--net");
            }
            match w.cached {
                true => c.env("WASIX_COMPAT_CACHE_DIR", cache_dir()),
                false => c.arg("--no-cache"),
            };
            c.arg(match (who, &module) {
                (P2Who::ModuleOurs, Some(m)) => m,
                _ => &component,
            });
            if w.size > 0 {
                c.arg("--").arg(size.to_string());
                if w.dir {
                    c.arg("/bench");
                }
            }
            let s = time(&mut c, timeout, &format!("{} {}", w.name, who.label()));
            let _ = std::fs::remove_dir_all(&tmp);
            s
        };
        if w.cached {
            // Fill the cache (untimed), as a user's earlier run would.
            for &who in &whos {
                run(who, Duration::from_secs(120));
            }
        }
        let mut row = P2Row {
            name: w.name,
            ns: [vec![], vec![], vec![]],
        };
        for rep in 0..reps {
            for (i, who) in P2Who::ALL.into_iter().enumerate() {
                if !whos.contains(&who) {
                    continue;
                }
                let s = run(who, Duration::from_secs(120));
                eprintln!(
                    "   rep {rep} {:>15}: {}",
                    who.label(),
                    s.ns.map(fmt_s).unwrap_or_else(|| "did not finish".into())
                );
                let ns =
                    s.ns.unwrap_or_else(|| panic!("{} timed out as {}", w.name, who.label()));
                row.ns[i].push(ns);
            }
        }
        rows.push(row);
    }
    rows
}

fn report(
    rows: &[Row],
    p2_rows: &[P2Row],
    bridge_rows: &[bridge::BridgeRow],
    out: &Path,
    quick: bool,
) {
    let spread = |v: &[u128]| -> String {
        let (lo, hi) = (
            v.iter().min().copied().unwrap_or(0),
            v.iter().max().copied().unwrap_or(0),
        );
        format!(
            "±{:.0}%",
            if lo == 0 {
                0.0
            } else {
                (hi - lo) as f64 / lo as f64 * 50.0
            }
        )
    };
    println!(
        "\n{}",
        if quick {
            "Quick run (1/10 sizes)."
        } else {
            "Full sizes."
        }
    );
    if !rows.is_empty() {
        println!("\n| workload | wasix-compat | wasmer-wasix | native | ours / wasmer-wasix | ours / native | module compile |");
        println!("|---|---|---|---|---|---|---|");
    }
    let mut json = Vec::new();
    for r in rows {
        let (mut o, mut w, mut n) = (r.ours.clone(), r.wasmer.clone(), r.native.clone());
        let (om, nm) = (median(&mut o), median(&mut n));
        let wm = if r.wasmer_dnf || w.is_empty() {
            None
        } else {
            Some(median(&mut w))
        };
        let rw = wm.map(|w| om as f64 / w as f64);
        let rn = om as f64 / nm as f64;
        println!(
            "| {} | {} {} | {} | {} {} | {} | {:.2} | {} |",
            r.name,
            fmt_s(om),
            spread(&r.ours),
            match wm {
                Some(w) => format!("{} {}", fmt_s(w), spread(&r.wasmer)),
                None => format!("did not finish in {} s", r.wasmer_bound.as_secs()),
            },
            fmt_s(nm),
            spread(&r.native),
            rw.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into()),
            rn,
            fmt_s(r.compile.as_nanos())
        );
        json.push(format!(
            "  {{\"workload\": \"{}\", \"ours_ns\": {om}, \"wasmer_ns\": {}, \"native_ns\": {nm}, \"ratio_vs_wasmer\": {}, \"ratio_vs_native\": {rn:.4}, \"compile_ns\": {}}}",
            r.name,
            wm.map(|w| w.to_string()).unwrap_or_else(|| "null".into()),
            rw.map(|x| format!("{x:.4}")).unwrap_or_else(|| "null".into()),
            r.compile.as_nanos()
        ));
    }
    if !p2_rows.is_empty() {
        println!("\n| workload | p2 on ours | p2 on wasmtime | p1 on ours | p2 ours / p1 ours | p2 ours / wasmtime |");
        println!("|---|---|---|---|---|---|");
    }
    for r in p2_rows {
        // A row without a p1 build has no third median.
        let m: Vec<Option<u128>> =
            r.ns.iter()
                .map(|v| (!v.is_empty()).then(|| median(&mut v.clone())))
                .collect();
        let (c, wt) = (m[0].unwrap_or(0), m[1].unwrap_or(0));
        let vs_p1 = m[2].map(|p| c as f64 / p as f64);
        let vs_wasmtime = c as f64 / wt as f64;
        println!(
            "| {} | {} {} | {} {} | {} | {} | {vs_wasmtime:.2} |",
            r.name,
            fmt_s(c),
            spread(&r.ns[0]),
            fmt_s(wt),
            spread(&r.ns[1]),
            m[2].map(|p| format!("{} {}", fmt_s(p), spread(&r.ns[2])))
                .unwrap_or_else(|| "—".into()),
            vs_p1
                .map(|x| format!("{x:.2}"))
                .unwrap_or_else(|| "—".into()),
        );
        json.push(format!(
            "  {{\"workload\": \"{}\", \"p2_ours_ns\": {c}, \"p2_wasmtime_ns\": {wt}, \"p1_ours_ns\": {}, \"ratio_p2_vs_p1\": {}, \"ratio_vs_wasmtime\": {vs_wasmtime:.4}}}",
            r.name,
            m[2].map(|p| p.to_string()).unwrap_or_else(|| "null".into()),
            vs_p1.map(|x| format!("{x:.4}")).unwrap_or_else(|| "null".into()),
        ));
    }
    if !bridge_rows.is_empty() {
        println!(
            "\n| bridge | direct | bridged tcp:// | bridged tls:// | bridged double | tls / tcp | tls / direct | double / direct |"
        );
        println!("|---|---|---|---|---|---|---|---|");
    }
    let fmt_fine = |ns: u128| {
        if ns < 1_000_000 {
            format!("{:.1} µs", ns as f64 / 1e3)
        } else {
            fmt_s(ns)
        }
    };
    for r in bridge_rows {
        let vs_tcp = r.tls as f64 / r.tcp as f64;
        let vs_direct = r.direct.map(|d| r.tls as f64 / d as f64);
        let double_vs_direct = r.direct.map(|d| r.double as f64 / d as f64);
        let ratio =
            |x: Option<f64>, p: usize| x.map(|x| format!("{x:.p$}")).unwrap_or_else(|| "—".into());
        println!(
            "| {} | {} | {} | {} | {} | {vs_tcp:.2} | {} | {} |",
            r.name,
            r.direct.map(fmt_fine).unwrap_or_else(|| "—".into()),
            fmt_fine(r.tcp),
            fmt_fine(r.tls),
            fmt_fine(r.double),
            ratio(vs_direct, 2),
            ratio(double_vs_direct, 2),
        );
        json.push(format!(
            "  {{\"workload\": \"{}\", \"direct_ns\": {}, \"bridged_tcp_ns\": {}, \"bridged_tls_ns\": {}, \"bridged_double_ns\": {}, \"ratio_tls_vs_tcp\": {vs_tcp:.4}, \"ratio_tls_vs_direct\": {}, \"ratio_double_vs_direct\": {}}}",
            r.name,
            r.direct.map(|d| d.to_string()).unwrap_or_else(|| "null".into()),
            r.tcp,
            r.tls,
            r.double,
            ratio(vs_direct, 4).replace('—', "null"),
            ratio(double_vs_direct, 4).replace('—', "null"),
        ));
    }
    let path = out.join("compare.json");
    std::fs::write(&path, format!("[\n{}\n]\n", json.join(",\n"))).unwrap();
    if !bridge_rows.is_empty() {
        println!(
            "\nBridge rows: in process, medians per operation (bridge_bulk: 64 MiB, quick 8 MiB)."
        );
    }
    println!(
        "\nMedians of whole-process wall time; spread = half the min-max range. JSON: {}",
        path.display()
    );
}
