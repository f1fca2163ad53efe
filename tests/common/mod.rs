//! Shared harness for integration tests: builds guest programs from our own C / WAT
//! sources at test time and runs them through the `wasix-compat` binary, under our
//! implementation or under the wasmer-wasix reference (`--engine wasmer-wasix`).
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

pub mod corpus;

/// The CLI under test. `WASIX_COMPAT_BIN` overrides it (handy while iterating).
pub fn bin() -> PathBuf {
    std::env::var_os("WASIX_COMPAT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wasix-compat")))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the runs of the calling test note the imports they call: one file per test
/// (named after the test thread, which the harness names after the test), read by the
/// compat-matrix generator for its "tests" column.
pub fn evidence_file() -> PathBuf {
    let d = repo().join("target").join("import-evidence");
    std::fs::create_dir_all(&d).unwrap();
    let t = std::thread::current();
    let test = t.name().unwrap_or("unnamed");
    d.join(format!(
        "{}--{}.log",
        env!("CARGO_CRATE_NAME"),
        test.replace("::", ".")
    ))
}

/// Makes a `wasix-compat` command record its import calls for the calling test.
pub fn record_imports(cmd: &mut Command) {
    cmd.env("WASIX_COMPAT_RECORD", evidence_file());
}

/// Where built guests are cached (by content hash), under target/.
pub fn guest_out_dir() -> PathBuf {
    let d = repo().join("target").join("guests");
    std::fs::create_dir_all(&d).unwrap();
    d
}

static TOOLCHAIN: Once = Once::new();

/// Installs clang/lld/wasi-libc when missing (fresh machine), once per test process.
pub fn ensure_toolchain() {
    TOOLCHAIN.call_once(|| {
        let st = Command::new("bash")
            .arg(repo().join("scripts/setup.sh"))
            .status()
            .expect("run scripts/setup.sh");
        assert!(st.success(), "scripts/setup.sh failed");
    });
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

/// Compiles C sources (paths relative to the repo) to a wasm32-wasi module with Debian's
/// clang. Cached by the hash of sources and flags, so repeated tests do not rebuild.
pub fn build_c(sources: &[&str], extra: &[&str]) -> PathBuf {
    ensure_toolchain();
    let inc = repo().join("tests/guests/c/include");
    let mut blobs = key_blobs(sources, extra, &inc);
    blobs.push(b"compile, then link without -O".to_vec());
    let out = cached_guest_path("", sources, &blobs);
    if out.exists() {
        return out;
    }
    build_c_uncached(sources, extra, &inc, &out)
}

/// target/guests/PREFIX<first source's stem>-<hash of the key>.wasm
fn cached_guest_path(prefix: &str, sources: &[&str], key: &[Vec<u8>]) -> PathBuf {
    let refs: Vec<&[u8]> = key.iter().map(|b| b.as_slice()).collect();
    let stem = Path::new(sources[0])
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string();
    guest_out_dir().join(format!("{prefix}{stem}-{:016x}.wasm", hash_of(&refs)))
}

/// What a built guest's cache key covers: its sources, the flags, and those of our headers
/// in `inc` that a source names (editing check.h does not rebuild programs that never
/// include it).
fn key_blobs(sources: &[&str], extra: &[&str], inc: &Path) -> Vec<Vec<u8>> {
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for s in sources {
        let p = resolve(s);
        blobs.push(std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())));
    }
    for e in extra {
        blobs.push(e.as_bytes().to_vec());
    }
    if let Ok(rd) = std::fs::read_dir(inc) {
        let mut names: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        for n in names {
            let file = n
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if blobs
                .iter()
                .any(|b| b.windows(file.len()).any(|w| w == file.as_bytes()))
            {
                blobs.push(std::fs::read(n).unwrap_or_default());
            }
        }
    }
    blobs
}

fn build_c_uncached(sources: &[&str], extra: &[&str], inc: &Path, out: &Path) -> PathBuf {
    // Compile and link in two steps: clang runs binaryen's `wasm-opt` after an optimizing
    // link whenever one is on PATH (and that drops the `name` section), so a one-step build
    // would depend on whether some other test installed binaryen first. Debian's clang 14
    // has no `--no-wasm-opt`; a link without `-O` never runs it.
    let tmp = out.with_extension(unique_tmp());
    // Beside the unique temporary name (two tests may build the same guest at once).
    let objs = PathBuf::from(format!("{}.objs", tmp.display()));
    std::fs::create_dir_all(&objs).unwrap();
    let mut link = Command::new("clang");
    link.arg("--target=wasm32-wasi").arg("-o").arg(&tmp);
    for (i, s) in sources.iter().enumerate() {
        let obj = objs.join(format!("{i}.o"));
        let o = Command::new("clang")
            .args(["--target=wasm32-wasi", "-O2", "-Wall", "-c", "-I"])
            .arg(inc)
            .arg("-o")
            .arg(&obj)
            .arg(resolve(s))
            .args(
                extra
                    .iter()
                    .filter(|e| !e.starts_with("-l") && !e.starts_with("-Wl,")),
            )
            .output()
            .expect("spawn clang");
        assert!(
            o.status.success(),
            "clang failed for {s}:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        link.arg(obj);
    }
    link.args(
        extra
            .iter()
            .filter(|e| e.starts_with("-l") || e.starts_with("-Wl,")),
    );
    let o = link.output().expect("spawn clang");
    let _ = std::fs::remove_dir_all(&objs);
    assert!(
        o.status.success(),
        "linking {sources:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, out).unwrap();
    out.to_path_buf()
}

/// Compiles WAT text to a wasm file under target/guests (cached).
pub fn build_wat(name: &str, text: &str) -> PathBuf {
    let out = guest_out_dir().join(format!("{name}-{:016x}.wasm", hash_of(&[text.as_bytes()])));
    if !out.exists() {
        let bytes = wat::parse_str(text).unwrap_or_else(|e| panic!("wat {name}: {e}"));
        let tmp = out.with_extension(unique_tmp());
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}

fn resolve(s: &str) -> PathBuf {
    let p = Path::new(s);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        repo().join(p)
    }
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(PathBuf);
impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("wxc-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Engine {
    Ours,
    WasmerWasix,
    /// wasmtime 48 + wasmtime-wasi: the reference for WASI 0.2 components.
    Wasmtime,
}

/// One invocation of `wasix-compat run`.
#[derive(Clone)]
pub struct Run {
    pub engine: Engine,
    pub wasm: PathBuf,
    pub flags: Vec<String>,
    pub args: Vec<String>,
    pub stdin: Option<Vec<u8>>,
    /// Give the guest a stdin pipe that stays open (and empty) until it exits.
    pub hold_stdin: bool,
    pub timeout: Duration,
}

pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// Panics with stdout/stderr shown unless the guest exited 0.
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.code == Some(0) && !self.timed_out,
            "guest failed: code={:?} timed_out={}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.timed_out,
            self.stdout_str(),
            self.stderr_str()
        );
        self
    }
}

impl Run {
    pub fn new(wasm: impl Into<PathBuf>) -> Run {
        Run {
            engine: Engine::Ours,
            wasm: wasm.into(),
            flags: Vec::new(),
            args: Vec::new(),
            stdin: None,
            hold_stdin: false,
            timeout: Duration::from_secs(120),
        }
    }
    pub fn engine(mut self, e: Engine) -> Self {
        self.engine = e;
        self
    }
    /// `--dir HOST::GUEST`
    pub fn dir(mut self, host: &Path, guest: &str) -> Self {
        self.flags.push("--dir".into());
        self.flags.push(format!("{}::{guest}", host.display()));
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.flags.push("--env".into());
        self.flags.push(format!("{k}={v}"));
        self
    }
    pub fn flag(mut self, f: &str) -> Self {
        self.flags.push(f.into());
        self
    }
    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn stdin(mut self, data: &[u8]) -> Self {
        self.stdin = Some(data.to_vec());
        self
    }
    /// A stdin pipe that stays open and empty: reads block until the guest exits.
    pub fn hold_stdin(mut self) -> Self {
        self.hold_stdin = true;
        self
    }
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// `wasix-compat run …` for this run, stdio not yet set.
    fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        // Compiled modules are cached under target/, not in the user's home.
        cmd.env("WASIX_COMPAT_CACHE_DIR", repo().join("target/module-cache"));
        record_imports(&mut cmd);
        cmd.arg("run");
        match self.engine {
            Engine::Ours => {}
            Engine::WasmerWasix => {
                cmd.arg("--engine").arg("wasmer-wasix");
            }
            Engine::Wasmtime => {
                cmd.arg("--engine").arg("wasmtime");
            }
        }
        cmd.args(&self.flags).arg(&self.wasm);
        if !self.args.is_empty() {
            cmd.arg("--").args(&self.args);
        }
        cmd
    }

    /// Runs to the end. Inside [`migrate`], a preview1 module on our engine runs twice (as
    /// the module and as its adapter-wrapped component) and the two must agree.
    pub fn run(&self) -> Outcome {
        if self.engine == Engine::Ours && migrating() && is_core_module(&self.wasm) {
            return self.run_migrated();
        }
        self.run_once()
    }

    fn run_once(&self) -> Outcome {
        let record = corpus::before(self);
        let out = self.run_unrecorded();
        if let Some(pending) = record {
            corpus::after(self, pending, out.timed_out);
        }
        out
    }

    fn run_unrecorded(&self) -> Outcome {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() || self.hold_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn wasix-compat");
        let _held = if self.hold_stdin {
            child.stdin.take()
        } else {
            None
        };
        if let Some(data) = &self.stdin {
            let mut si = child.stdin.take().unwrap();
            let data = data.clone();
            std::thread::spawn(move || {
                let _ = si.write_all(&data);
            });
        }
        // Drain pipes on threads so a chatty guest cannot deadlock us.
        let mut so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let t1 = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut so, &mut v);
            v
        });
        let t2 = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut se, &mut v);
            v
        });
        let start = Instant::now();
        let mut timed_out = false;
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break Some(st);
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                timed_out = true;
                break child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Outcome {
            code: status.and_then(|s| s.code()),
            stdout: t1.join().unwrap(),
            stderr: t2.join().unwrap(),
            timed_out,
        }
    }
}

// ---- Added by the sandbox / CLI tests helper ----

impl Run {
    /// `--dir-ro HOST::GUEST`: a read-only preopen.
    pub fn dir_ro(mut self, host: &Path, guest: &str) -> Self {
        self.flags.push("--dir-ro".into());
        self.flags.push(format!("{}::{guest}", host.display()));
        self
    }
}

/// The engine the whole test file should use: `WXC_TEST_ENGINE=wasmer-wasix` points a
/// suite at the reference engine (to check that expectations are reasonable).
pub fn engine_from_env() -> Engine {
    match std::env::var("WXC_TEST_ENGINE").as_deref() {
        Ok("wasmer-wasix") => Engine::WasmerWasix,
        _ => Engine::Ours,
    }
}

// ---- added for the preview1 program / differential tests ----

/// A snapshot of a directory tree: relative path → description. Files are `file:<bytes as
/// escaped text>`, directories `dir`, symlinks `symlink-><target>`. Times are not included.
pub fn tree_snapshot(root: &Path) -> std::collections::BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let Ok(md) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if md.file_type().is_symlink() {
                let t = std::fs::read_link(&p)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                out.insert(rel, format!("symlink->{t}"));
            } else if md.is_dir() {
                out.insert(rel, "dir".into());
                walk(base, &p, out);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.insert(rel, format!("file:{}", bytes.escape_ascii()));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// True when `stdout` has exactly the line `line`.
pub fn has_line(stdout: &str, line: &str) -> bool {
    stdout.lines().any(|l| l == line)
}

/// A temp-file extension unique per process *and* call, so parallel test threads building
/// the same guest never write the same file.
fn unique_tmp() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "tmp{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Rewrites a module's imports from `wasi_snapshot_preview1` to namespace `ns`, except the
/// functions in `keep`, which stay on preview1 (the module then imports both namespaces).
/// Lets the preview1 C programs exercise `wasix_32v1` and `wasi_unstable` unchanged.
pub fn retarget_imports(wasm: &Path, ns: &str, keep: &[&str]) -> PathBuf {
    let bytes = std::fs::read(wasm).unwrap();
    let key = format!("{ns}:{}", keep.join(","));
    let stem = wasm.file_stem().unwrap().to_string_lossy().to_string();
    let out = guest_out_dir().join(format!(
        "{stem}-{ns}-{:016x}.wasm",
        hash_of(&[&bytes, key.as_bytes()])
    ));
    if out.exists() {
        return out;
    }
    let mut w = bytes[..8].to_vec();
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        let (size, n) = leb(&bytes[at + 1..]);
        let body = &bytes[at + 1 + n..at + 1 + n + size as usize];
        let body = if id == 2 {
            rewrite_import_section(body, ns, keep)
        } else {
            body.to_vec()
        };
        w.push(id);
        put_leb(&mut w, body.len() as u64);
        w.extend_from_slice(&body);
        at += 1 + n + size as usize;
    }
    let tmp = out.with_extension(unique_tmp());
    std::fs::write(&tmp, w).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

fn leb(b: &[u8]) -> (u64, usize) {
    let (mut v, mut shift, mut i) = (0u64, 0, 0);
    loop {
        let byte = b[i];
        v |= ((byte & 0x7f) as u64) << shift;
        i += 1;
        if byte & 0x80 == 0 {
            return (v, i);
        }
        shift += 7;
    }
}

fn put_leb(w: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            w.push(byte);
            return;
        }
        w.push(byte | 0x80);
    }
}

fn rewrite_import_section(body: &[u8], ns: &str, keep: &[&str]) -> Vec<u8> {
    let (count, mut at) = leb(body);
    let mut out = Vec::new();
    put_leb(&mut out, count);
    let name = |at: &mut usize| -> String {
        let (len, n) = leb(&body[*at..]);
        let s = String::from_utf8(body[*at + n..*at + n + len as usize].to_vec()).unwrap();
        *at += n + len as usize;
        s
    };
    for _ in 0..count {
        let module = name(&mut at);
        let field = name(&mut at);
        let desc_start = at;
        let kind = body[at];
        at += 1;
        let skip_limits = |at: &mut usize| {
            let flags = body[*at];
            *at += 1;
            *at += leb(&body[*at..]).1;
            if flags & 1 != 0 {
                *at += leb(&body[*at..]).1;
            }
        };
        match kind {
            0x00 => at += leb(&body[at..]).1,
            0x01 => {
                at += 1;
                skip_limits(&mut at)
            }
            0x02 => skip_limits(&mut at),
            0x03 => at += 2,
            0x04 => at += 1 + leb(&body[at + 1..]).1,
            k => panic!("unknown import kind {k}"),
        }
        let new_module = if module == "wasi_snapshot_preview1" && !keep.contains(&field.as_str()) {
            ns
        } else {
            &module
        };
        put_leb(&mut out, new_module.len() as u64);
        out.extend_from_slice(new_module.as_bytes());
        put_leb(&mut out, field.len() as u64);
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(&body[desc_start..at]);
    }
    assert_eq!(at, body.len(), "import section fully parsed");
    out
}

// ---- added for the sockets tests ----

/// A guest running in the background (e.g. a server), whose stdout is read line by line.
pub struct Spawned {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Run {
    /// Starts the run without waiting; stdout lines arrive through `Spawned::wait_line`.
    pub fn spawn(&self) -> Spawned {
        let mut cmd = self.command();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn wasix-compat");
        let so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for l in std::io::BufReader::new(so).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut se, &mut v);
            v
        });
        Spawned {
            child,
            lines: rx,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }
}

impl Spawned {
    /// The rest of the first stdout line starting with `prefix`, waiting at most `timeout`.
    pub fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if let Some(rest) = l.strip_prefix(prefix) {
                        return Some(rest.trim().to_string());
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Waits for the exit (killing the process after `timeout`) and collects the output.
    pub fn finish(mut self, timeout: Duration) -> Outcome {
        let start = Instant::now();
        let mut timed_out = false;
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break Some(st);
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                timed_out = true;
                break self.child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut out = self.seen.join("\n");
        // The reader thread ends at EOF once the process is gone.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&l);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        Outcome {
            code: status.and_then(|s| s.code()),
            stdout: out.into_bytes(),
            stderr: self
                .stderr
                .take()
                .and_then(|h| h.join().ok())
                .unwrap_or_default(),
            timed_out,
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // Never leave a guest server behind when a test panics.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback TCP port that was free a moment ago (bound to port 0 and released).
pub fn free_tcp_port() -> u16 {
    asymmetric(|| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    })
}

/// A port from `pick` whose two bytes differ: with equal bytes a port written in the wrong
/// byte order reads back right, and a check for that (wasmer-wasix writes ports big-endian)
/// would pass by chance. At most 16 tries.
fn asymmetric(pick: impl Fn() -> u16) -> u16 {
    let mut p = pick();
    for _ in 0..16 {
        if p >> 8 != p & 0xff {
            break;
        }
        p = pick();
    }
    p
}

/// A loopback UDP port that was free a moment ago.
pub fn free_udp_port() -> u16 {
    asymmetric(|| {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    })
}

/// Path of a WAT guest of ours, `tests/guests/wat/NAME.wat`.
pub fn wat_path(name: &str) -> PathBuf {
    repo().join("tests/guests/wat").join(format!("{name}.wat"))
}

/// Builds the WAT guest `NAME` (cached like every guest).
pub fn wat(name: &str) -> PathBuf {
    let path = wat_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    build_wat(name, &text)
}

/// An outcome for a failure message: exit code, timeout and both streams.
pub fn show(out: &Outcome) -> String {
    format!(
        "code={:?} timed_out={}\n--- stdout\n{}\n--- stderr\n{}",
        out.code,
        out.timed_out,
        out.stdout_str(),
        out.stderr_str()
    )
}

// ---- wasix-libc guests (../shared/wasix-libc) ----

/// `../shared/wasix-libc`, where the wasix-libc snapshots and `cc.sh` live; `None` on a
/// plain checkout without it (tests then skip, saying so).
pub fn wasix_libc_dir() -> Option<PathBuf> {
    let d = repo().join("../shared/wasix-libc");
    d.join("cc.sh").exists().then_some(d)
}

/// Prints why a wasix-libc test did not run; every caller returns right after.
pub fn skip_without_wasix_libc(test: &str) -> bool {
    if wasix_libc_dir().is_some() {
        return false;
    }
    eprintln!("SKIPPED {test}: ../shared/wasix-libc is absent (CI has it and runs this test)");
    true
}

static WASIX_SYSROOT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());

/// The wasix-libc sysroot of `rev`, built once (cached by `build.sh` under ~/.cache).
pub fn wasix_sysroot(rev: &str) -> PathBuf {
    let mut g = WASIX_SYSROOT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = g.iter().find(|(r, _)| r == rev) {
        return p.clone();
    }
    let dir = wasix_libc_dir().expect("../shared/wasix-libc");
    let p = build_script(&dir.join("build.sh"), &[rev]);
    assert!(p.is_dir(), "build.sh {rev} printed no sysroot");
    g.push((rev.to_string(), p.clone()));
    p
}

/// Runs a build script (`bash SCRIPT ARGS`, its stderr shown) that prints the path of what
/// it built as its last line; returns that path.
pub fn build_script(script: &Path, args: &[&str]) -> PathBuf {
    let o = Command::new("bash")
        .arg(script)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(o.status.success(), "{} {args:?} failed", script.display());
    let last = String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    PathBuf::from(last)
}

/// Current wasix-libc (the default of cc.sh) and the 2022 ABI.
pub const WASIX_REV: &str = "34178a6";
pub const WASIX_REV_2022: &str = "6c2e047";

/// Compiles C sources with wasix-libc the way wasixcc does (`cc.sh`), cached under
/// target/guests by the hash of sources, flags and revision.
pub fn build_wasix_c(sources: &[&str], extra: &[&str], rev: &str) -> PathBuf {
    let dir = wasix_libc_dir().expect("../shared/wasix-libc");
    let mut blobs = key_blobs(sources, extra, &repo().join("tests/guests/wasix/include"));
    blobs.push(rev.as_bytes().to_vec());
    blobs.push(std::fs::read(dir.join("cc.sh")).unwrap_or_default());
    blobs.push(b"--no-wasm-opt".to_vec());
    let out = cached_guest_path(&format!("wasix-{rev}-"), sources, &blobs);
    if out.exists() {
        return out;
    }
    let sysroot = wasix_sysroot(rev);
    let tmp = out.with_extension(unique_tmp());
    let mut cmd = Command::new("bash");
    cmd.arg(dir.join("cc.sh"))
        .arg("--sysroot")
        .arg(&sysroot)
        .arg("-o")
        .arg(&tmp);
    for s in sources {
        cmd.arg(resolve(s));
    }
    cmd.arg("-I").arg(repo().join("tests/guests/wasix/include"));
    // Without it clang runs binaryen's `wasm-opt` after linking whenever one is installed
    // (cc.sh --asyncify installs it), and the guest would depend on test order.
    cmd.arg("--no-wasm-opt");
    cmd.args(extra);
    let o = cmd.output().expect("spawn cc.sh");
    assert!(
        o.status.success(),
        "cc.sh failed for {sources:?}:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// A position-independent wasix-libc program (`scripts/wasix-pic.sh`): `kind` is "main"
/// (`-pie`, libc linked in and exported), "main+asyncify" (the same through
/// `wasm-opt --asyncify`) or "side" (`-shared`); `needs` are side modules
/// it links against as (name, file): they become its needed libraries `libNAME.so`.
/// Cached under target/guests by sources, kind, needs and the script.
pub fn build_wasix_pic(kind: &str, sources: &[&str], needs: &[(&str, &Path)]) -> PathBuf {
    let script = repo().join("scripts/wasix-pic.sh");
    let mut blobs = key_blobs(sources, &[kind], &repo().join("tests/guests/wasix/include"));
    blobs.push(std::fs::read(&script).unwrap_or_default());
    for (name, file) in needs {
        blobs.push(name.as_bytes().to_vec());
        blobs.push(std::fs::read(file).unwrap_or_default());
    }
    let out = cached_guest_path(&format!("pic-{kind}-"), sources, &blobs);
    if out.exists() {
        return out;
    }
    // The PIC sysroot is built once, before any compile (two tests building it at the
    // same time would share build.sh's work directory).
    {
        static PIC_SYSROOT: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);
        let mut g = PIC_SYSROOT.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            // The plain sysroot first: its build installs clang-22 under the harness's lock,
            // so the PIC build never runs apt-get beside another test's install.
            wasix_sysroot(WASIX_REV);
            let p = build_script(&script, &["sysroot"]);
            assert!(p.is_dir(), "wasix-pic.sh sysroot printed no sysroot");
            *g = Some(p);
        }
    }
    let tmp = out.with_extension(unique_tmp());
    let libdir = TempDir::new("pic-needs");
    let mut cmd = Command::new("bash");
    // "main+asyncify": a main module run through `wasm-opt --asyncify` (fork, setjmp).
    match kind.split_once('+') {
        Some((k, "asyncify")) => cmd.arg(&script).arg(k).arg("--asyncify"),
        _ => cmd.arg(&script).arg(kind),
    };
    cmd.arg("-o").arg(&tmp);
    for s in sources {
        cmd.arg(resolve(s));
    }
    cmd.arg(format!(
        "-I{}",
        repo().join("tests/guests/wasix/include").display()
    ));
    for (name, file) in needs {
        std::fs::copy(file, libdir.path().join(format!("lib{name}.so"))).unwrap();
        cmd.arg(format!("-l{name}"));
    }
    if !needs.is_empty() {
        cmd.arg(format!("-L{}", libdir.path().display()));
    }
    let o = cmd.output().expect("spawn wasix-pic.sh");
    assert!(
        o.status.success(),
        "wasix-pic.sh {kind} failed for {sources:?}:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// Compiles a Rust source (path relative to the repo) for `target` (a rustup target, or
/// "native"), cached under target/guests by source hash. Returns the artifact.
pub fn build_rust(source: &str, target: &str) -> PathBuf {
    build_rust_args(source, target, &[])
}

/// [`build_rust`] with extra `rustc` arguments (part of the cache key).
pub fn build_rust_args(source: &str, target: &str, args: &[&str]) -> PathBuf {
    ensure_toolchain();
    let src = resolve(source);
    let text = std::fs::read(&src).unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
    let ext = if target == "native" { "bin" } else { "wasm" };
    let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
    let joined = args.join("\0");
    let key: &[&[u8]] = match args.is_empty() {
        true => &[&text, target.as_bytes()],
        false => &[&text, target.as_bytes(), joined.as_bytes()],
    };
    let out = guest_out_dir().join(format!("rust-{target}-{stem}-{:016x}.{ext}", hash_of(key)));
    if out.exists() {
        return out;
    }
    let tmp = out.with_extension(unique_tmp());
    let mut cmd = Command::new("rustc");
    cmd.arg("-O")
        .arg("--edition=2021")
        .arg("-o")
        .arg(&tmp)
        .arg(&src);
    if target != "native" {
        cmd.arg("--target").arg(target);
    }
    cmd.args(args);
    let o = cmd.output().expect("spawn rustc");
    assert!(
        o.status.success(),
        "rustc --target {target} failed for {source}:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).unwrap();
    out
}

// ---- preview1 modules as WASI 0.2 components (the official preview1 adapter) ----

use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME as ADAPTER_NAME,
    WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER as ADAPTER,
};

/// Wraps a preview1 core module into a command component with the official adapter; the
/// encoder's error (its whole context chain) as text.
pub fn adapt_bytes(module: &[u8]) -> Result<Vec<u8>, String> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|e| e.adapter(ADAPTER_NAME, ADAPTER))
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| format!("{e:#}"))
}

/// The adapter-wrapped component of `module`, cached under
/// target/guests/adapted-<hash>/ with the module's own file name, so the program sees the
/// same argv[0] either way.
pub fn adapt(module: &Path) -> PathBuf {
    let bytes = std::fs::read(module).unwrap_or_else(|e| panic!("{}: {e}", module.display()));
    let dir = guest_out_dir().join(format!("adapted-{:016x}", hash_of(&[&bytes, ADAPTER])));
    let out = dir.join(module.file_name().unwrap());
    if out.exists() {
        return out;
    }
    std::fs::create_dir_all(&dir).unwrap();
    // Through the product: `wasix-compat migrate` (tests/suite/migrate.rs checks that its
    // output is byte for byte `adapt_bytes`'s).
    let tmp = out.with_extension(unique_tmp());
    let o = Command::new(bin())
        .arg("migrate")
        .arg(module)
        .arg("-o")
        .arg(&tmp)
        .output()
        .expect("spawn wasix-compat migrate");
    assert!(
        o.status.success(),
        "wasix-compat migrate refused {}: {:?}\n{}",
        module.display(),
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// A binary core module (not a component, not WAT text)?
pub fn is_core_module(path: &Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == *b"\0asm\x01\0\0\0"
}

/// A difference the calling test expects between a program's module runs and its
/// component runs. Each one must occur in some run, so a stale entry fails too.
#[derive(Clone, Copy, Debug)]
pub enum Known {
    /// This whole stdout line of the module's run reads `component` in the component's.
    Line {
        module: &'static str,
        component: &'static str,
    },
    /// The module exits with `module`, the component with `component`.
    Code { module: i32, component: i32 },
    /// The component stops where the module printed the line `at` (an adapter function
    /// that fails or traps there): its stdout is the module's up to that line, then
    /// `stdout`; its stderr is `stderr`. Its host trees, left half-way, are not compared;
    /// the module's are put back for the rest of the test.
    Diverges {
        at: &'static str,
        stdout: &'static str,
        stderr: &'static str,
    },
}

#[derive(Default)]
struct Migration {
    known: Vec<Known>,
    used: Vec<bool>,
    compared: usize,
}

thread_local! {
    // Per test thread: the harness runs each test on its own thread.
    static MIGRATE: std::cell::RefCell<Option<Migration>> = const { std::cell::RefCell::new(None) };
}

fn migrating() -> bool {
    MIGRATE.with(|m| m.borrow().is_some())
}

/// Runs `test` (an existing test's body) with every run of a preview1 module on our engine
/// done twice — as the module, then as its adapter-wrapped component with the same flags,
/// args, env and stdin, on `--dir` trees restored to what the module started from — and
/// asserts that exit code, stdout, stderr and the host trees of both runs are identical
/// (after `known`). The test's own assertions then check the module's outcome and the
/// component's host trees. Returns how many runs were compared (never 0).
pub fn migrate(known: &[Known], test: impl FnOnce()) -> usize {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            MIGRATE.with(|m| m.borrow_mut().take());
        }
    }
    MIGRATE.with(|m| {
        *m.borrow_mut() = Some(Migration {
            known: known.to_vec(),
            used: vec![false; known.len()],
            compared: 0,
        })
    });
    let _reset = Reset;
    test();
    let (n, unused) = MIGRATE.with(|m| {
        let g = m.borrow();
        let g = g.as_ref().unwrap();
        let unused: Vec<Known> = g
            .known
            .iter()
            .zip(&g.used)
            .filter(|(_, u)| !**u)
            .map(|(k, _)| *k)
            .collect();
        (g.compared, unused)
    });
    assert!(n > 0, "the test ran no preview1 module to compare");
    assert!(
        unused.is_empty(),
        "known differences that never occurred: {unused:?}"
    );
    n
}

impl Run {
    /// The host directories of `--dir` / `--dir-ro` (`HOST[::GUEST]`) and `--mapdir
    /// GUEST:HOST`.
    fn host_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for w in self.flags.windows(2) {
            match w[0].as_str() {
                "--dir" | "--dir-ro" => {
                    let host = w[1].split_once("::").map_or(w[1].as_str(), |(h, _)| h);
                    dirs.push(PathBuf::from(host));
                }
                "--mapdir" => {
                    if let Some((_, h)) = w[1].split_once(':') {
                        dirs.push(PathBuf::from(h));
                    }
                }
                _ => {}
            }
        }
        dirs
    }

    fn run_migrated(&self) -> Outcome {
        let dirs = self.host_dirs();
        let saved = TempDir::new("migrate");
        for (i, d) in dirs.iter().enumerate() {
            copy_tree(d, &saved.path().join(i.to_string()));
        }
        let m = self.run_once();
        let m_trees: Vec<_> = dirs.iter().map(|d| tree_snapshot(d)).collect();
        for (i, d) in dirs.iter().enumerate() {
            copy_tree(d, &saved.path().join(format!("module-{i}")));
            clear_dir(d);
            copy_tree(&saved.path().join(i.to_string()), d);
        }
        let mut as_component = self.clone();
        as_component.wasm = adapt(&self.wasm);
        let c = as_component.run_once();
        let c_trees: Vec<_> = dirs.iter().map(|d| tree_snapshot(d)).collect();

        let known = MIGRATE.with(|m| m.borrow().as_ref().unwrap().known.clone());
        let (mut code, mut stdout, mut stderr) = (m.code, m.stdout_str(), m.stderr_str());
        let mut used = vec![false; known.len()];
        let mut diverged = false;
        for (k, used) in known.iter().zip(&mut used) {
            match *k {
                Known::Line { module, component } => {
                    if has_line(&stdout, module) {
                        *used = true;
                        stdout = stdout
                            .split_inclusive('\n')
                            .map(|l| match l.strip_suffix('\n') {
                                Some(b) if b == module => format!("{component}\n"),
                                None if l == module => component.to_string(),
                                _ => l.to_string(),
                            })
                            .collect();
                    }
                }
                Known::Diverges {
                    at,
                    stdout: tail,
                    stderr: err,
                } => {
                    if let Some(i) = stdout
                        .find(&format!("{at}\n"))
                        .filter(|&i| i == 0 || stdout.as_bytes()[i - 1] == b'\n')
                    {
                        *used = true;
                        diverged = true;
                        stdout = format!("{}{tail}", &stdout[..i]);
                        stderr = err.to_string();
                    }
                }
                Known::Code { module, component } => {
                    if code == Some(module) {
                        *used = true;
                        code = Some(component);
                    }
                }
            }
        }
        let name = self.wasm.file_name().unwrap().to_string_lossy();
        let want = (code, m.timed_out, stdout, stderr);
        let got = (c.code, c.timed_out, c.stdout_str(), c.stderr_str());
        assert!(
            want == got,
            "{name} {:?} {:?}: the adapter-wrapped component differs from the module (after \
             the known differences): code {:?} vs {:?}, timed out {} vs {}\n--- stdout \
             (-module +component)\n{}--- stderr (-module +component)\n{}--- from the first \
             difference: module {:?}, component {:?}, component stderr {:?}",
            self.flags,
            self.args,
            want.0,
            got.0,
            want.1,
            got.1,
            line_diff(&want.2, &got.2),
            line_diff(&want.3, &got.3),
            first_diff(&want.2, &got.2).0,
            first_diff(&want.2, &got.2).1,
            got.3,
        );
        if diverged {
            // The component stopped early: its trees are the module's half-way. The test
            // goes on from the module's trees.
            for (i, d) in dirs.iter().enumerate() {
                clear_dir(d);
                copy_tree(&saved.path().join(format!("module-{i}")), d);
            }
        } else {
            assert_eq!(
                m_trees, c_trees,
                "{name} {:?} {:?}: host trees after the module (left) and the component (right)",
                self.flags, self.args
            );
        }
        MIGRATE.with(|m| {
            let mut g = m.borrow_mut();
            let g = g.as_mut().unwrap();
            g.compared += 1;
            for (u, now) in g.used.iter_mut().zip(used) {
                *u |= now;
            }
        });
        m
    }
}

/// The lines only one side has, in order (`-` for `a`, `+` for `b`); enough to read a
/// failed comparison of two program outputs.
fn line_diff(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for l in &la {
        if !lb.contains(l) {
            out += &format!("-{l}\n");
        }
    }
    for l in &lb {
        if !la.contains(l) {
            out += &format!("+{l}\n");
        }
    }
    out
}

/// The first line where `a` and `b` part, and the rest of `b` from there on.
fn first_diff<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    let mut at = 0;
    for (la, lb) in a.split_inclusive('\n').zip(b.split_inclusive('\n')) {
        if la != lb {
            break;
        }
        at += la.len();
    }
    let line = a[at..].split_inclusive('\n').next().unwrap_or("");
    (line.trim_end_matches('\n'), &b[at..])
}

/// Copies `from` into `to` (created), keeping symlinks, hard links within the tree, modes
/// and modification times.
fn copy_tree(from: &Path, to: &Path) {
    use std::os::unix::fs::MetadataExt;
    fn walk(from: &Path, to: &Path, links: &mut std::collections::HashMap<(u64, u64), PathBuf>) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let (src, dst) = (e.path(), to.join(e.file_name()));
            let md = std::fs::symlink_metadata(&src).unwrap();
            if md.file_type().is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
            } else if md.is_dir() {
                walk(&src, &dst, links);
                set_mtime(&dst, &md);
            } else if let Some(first) = links.get(&(md.dev(), md.ino())) {
                std::fs::hard_link(first, &dst).unwrap();
            } else {
                std::fs::copy(&src, &dst).unwrap();
                set_mtime(&dst, &md);
                if md.nlink() > 1 {
                    links.insert((md.dev(), md.ino()), dst);
                }
            }
        }
    }
    fn set_mtime(p: &Path, md: &std::fs::Metadata) {
        if let (Ok(f), Ok(t)) = (std::fs::File::open(p), md.modified()) {
            let _ = f.set_modified(t);
        }
    }
    let md = std::fs::metadata(from).unwrap();
    walk(from, to, &mut Default::default());
    set_mtime(to, &md);
}

/// Removes everything inside `dir`, keeping `dir` itself.
fn clear_dir(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let md = std::fs::symlink_metadata(&p).unwrap();
        if md.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else {
            std::fs::remove_file(&p).unwrap();
        }
    }
}
