//! `wasix-compat diff`: one program on two engines, and where their runs diverge.
//!
//! Each side runs in its own `wasix-compat run --engine E` process (engines write to the
//! process's own standard streams, and a guest thread that never reaches an import cannot
//! be reclaimed inside a process), with the same arguments, environment and stdin (the
//! `--stdin` file, else empty), and its own copy of every `--dir` tree. Compared, in this
//! order: exit status, stdout, stderr, every tree (paths, types, sizes, blake3 content
//! hashes, symlink targets) and — when both engines can trace (ours vs ours) — the import
//! traces with durations masked. Schema of `--json`: [`SCHEMA`] (docs/diff.md).

use crate::engine::Engine;
use crate::inspect::json::J;
use crate::options::RunOptions;
use anyhow::{anyhow, Context};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `--json` schema's name and version.
pub const SCHEMA: &str = "wasix-compat.diff/1";

/// One side's run.
pub struct Side {
    pub engine: &'static str,
    /// `module` or `component` (`diff --as`); `None` for the file as given.
    pub form: Option<&'static str>,
    /// The exit status (`None`: ended by a signal, or killed at the time limit).
    pub status: Option<i32>,
    /// The time limit (`--timeout`, seconds) when the run was killed at it.
    pub timed_out: Option<u64>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Per `--dir`, in order: the tree after the run.
    pub trees: Vec<Vec<Entry>>,
    /// The import trace with durations masked (engines that trace).
    pub trace: Option<Vec<String>>,
    /// Whether the clocks / random were pinned on this side.
    pub clock_pinned: bool,
    pub random_pinned: bool,
}

/// One file system entry of a tree after a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the tree's root, `/`-separated.
    pub path: String,
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: &'static str,
    pub size: u64,
    /// blake3 of a file's content.
    pub hash: Option<String>,
    /// A symlink's target.
    pub target: Option<String>,
}

/// Where the two runs first diverge, in one aspect.
pub struct Difference {
    /// `status`, `stdout`, `stderr`, `tree`, `trace`.
    pub what: &'static str,
    /// Where: `line 3`, the tree's guest path and entry, …
    pub at: String,
    /// The left and right side's version (a line, a description of an entry).
    pub left: String,
    pub right: String,
    /// Up to two lines before the divergence, common to both sides.
    pub context: Vec<String>,
}

pub struct Report {
    pub file: String,
    pub sides: [Side; 2],
    /// Guest paths of the compared trees.
    pub dirs: Vec<String>,
    /// One per aspect that differs, in comparison order.
    pub differences: Vec<Difference>,
    /// Whether `--fake-clock` / `--seed` were given.
    pub asked_clock: bool,
    pub asked_seed: bool,
}

/// How a side runs the program (`diff --as`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The preview1 module as given.
    Module,
    /// The module wrapped into a WASI 0.2 command component ([`crate::migrate`]).
    Component,
}

impl Form {
    pub fn name(self) -> &'static str {
        match self {
            Form::Module => "module",
            Form::Component => "component",
        }
    }

    pub fn parse(s: &str) -> Result<Form, String> {
        match s {
            "module" => Ok(Form::Module),
            "component" => Ok(Form::Component),
            f => Err(format!("unknown form `{f}` (module, component)")),
        }
    }
}

/// Runs `opts` on both engines and compares.
pub fn diff(opts: &RunOptions, engines: [&dyn Engine; 2]) -> anyhow::Result<Report> {
    diff_as(opts, engines, None, None)
}

/// As [`diff`]; with `forms`, side `n` runs the module as `forms[n]`: the component is the
/// module migrated with the official adapter (same file name, so the same `argv[0]`).
/// A module's and a component's imports differ, so their traces are not compared.
/// With `timeout`, a side still running after it is killed; its status is `timed out`.
pub fn diff_as(
    opts: &RunOptions,
    engines: [&dyn Engine; 2],
    forms: Option<[Form; 2]>,
    timeout: Option<std::time::Duration>,
) -> anyhow::Result<Report> {
    let scratch = Scratch::new()?;
    let exe = std::env::current_exe().context("cannot find the wasix-compat executable")?;
    let mut component = None;
    if forms.is_some_and(|f| f.contains(&Form::Component)) {
        let name = opts
            .module
            .file_name()
            .ok_or_else(|| anyhow!("{}: not a file", opts.module.display()))?;
        let dir = scratch.0.join("component");
        std::fs::create_dir_all(&dir)?;
        let out = dir.join(name);
        crate::migrate::migrate_file(&opts.module, &out).map_err(|e| {
            anyhow!(
                "{}",
                e.render().trim_end().trim_start_matches("wasix-compat: ")
            )
        })?;
        component = Some(out);
    }
    let mut sides = Vec::new();
    for (n, e) in engines.iter().enumerate() {
        let dir = scratch.0.join(format!("side{n}"));
        let mut o = opts.clone();
        let form = forms.map(|f| f[n]);
        if form == Some(Form::Component) {
            o.module = component.clone().expect("migrated above");
        }
        let mut side = run_side(&exe, *e, &o, &dir, timeout)?;
        side.form = form.map(Form::name);
        sides.push(side);
    }
    let [mut a, mut b]: [Side; 2] = sides.try_into().map_err(|_| anyhow!("two sides"))?;
    if a.form != b.form {
        a.trace = None;
        b.trace = None;
    }
    let differences = compare(&a, &b, opts);
    Ok(Report {
        file: opts.module.display().to_string(),
        dirs: opts.dirs.iter().map(|d| d.guest.clone()).collect(),
        sides: [a, b],
        differences,
        asked_clock: opts.fake_clock.is_some(),
        asked_seed: opts.seed.is_some(),
    })
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("wasix-compat-diff-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).with_context(|| format!("create {}", p.display()))?;
        Ok(Scratch(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_side(
    exe: &Path,
    engine: &dyn Engine,
    opts: &RunOptions,
    dir: &Path,
    timeout: Option<std::time::Duration>,
) -> anyhow::Result<Side> {
    let caps = engine.capabilities();
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let mut o = opts.clone();
    // Each side mutates its own copy of every tree.
    let mut roots = Vec::new();
    for (i, d) in o.dirs.iter_mut().enumerate() {
        let copy = dir.join(format!("dir{i}"));
        copy_tree(&d.host, &copy).with_context(|| format!("copy --dir {}", d.host.display()))?;
        d.host = copy.clone();
        roots.push(copy);
    }
    if !caps.fake_clock {
        o.fake_clock = None;
    }
    if !caps.seed {
        o.seed = None;
    }
    let trace = dir.join("trace.jsonl");
    o.trace = caps.trace.then(|| trace.clone());
    // With `--stdin FILE` the run reads the file itself; else its stdin is empty.
    let stdin = Stdio::null();
    let mut child = Command::new(exe)
        .arg("run")
        .arg("--engine")
        .arg(engine.name())
        .args(o.to_args())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("run {}", exe.display()))?;
    let drain = |mut from: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = from.read_to_end(&mut v);
            v
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    // The run is one process (both engines run the guest, its threads and its forked
    // children inside it), so killing it ends the side.
    let mut timed_out = None;
    let status = match timeout {
        None => child.wait()?,
        Some(limit) => {
            let start = std::time::Instant::now();
            loop {
                if let Some(st) = child.try_wait()? {
                    break st;
                }
                if start.elapsed() >= limit {
                    let _ = child.kill();
                    timed_out = Some(limit.as_secs());
                    break child.wait()?;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let trees = roots
        .iter()
        .map(|r| snapshot(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let trace = match caps.trace {
        true => Some(
            std::fs::read_to_string(&trace)
                .unwrap_or_default()
                .lines()
                .map(mask_duration)
                .collect(),
        ),
        false => None,
    };
    Ok(Side {
        engine: engine.name(),
        form: None,
        status: status.code().filter(|_| timed_out.is_none()),
        timed_out,
        stdout,
        stderr,
        trees,
        trace,
        clock_pinned: opts.fake_clock.is_some() && caps.fake_clock,
        random_pinned: opts.seed.is_some() && caps.seed,
    })
}

/// A trace line with its `dur_ns` value replaced by `"*"`.
pub fn mask_duration(line: &str) -> String {
    match line.rfind(",\"dur_ns\":") {
        Some(i) => format!("{},\"dur_ns\":\"*\"}}", &line[..i]),
        None => line.to_string(),
    }
}

/// Copies `from` to `to` (created): directories, files, and symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let ty = e.file_type()?;
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if ty.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Every entry beneath `root`, sorted by path.
fn snapshot(root: &Path) -> anyhow::Result<Vec<Entry>> {
    fn walk(root: &Path, rel: &str, out: &mut Vec<Entry>) -> anyhow::Result<()> {
        let dir = root.join(rel);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("list {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = match rel {
                "" => name,
                r => format!("{r}/{name}"),
            };
            let md = std::fs::symlink_metadata(e.path())?;
            let ty = md.file_type();
            let mut entry = Entry {
                path: path.clone(),
                kind: "other",
                size: 0,
                hash: None,
                target: None,
            };
            if ty.is_symlink() {
                entry.kind = "symlink";
                entry.target = Some(std::fs::read_link(e.path())?.to_string_lossy().into_owned());
                out.push(entry);
            } else if ty.is_dir() {
                entry.kind = "dir";
                out.push(entry);
                walk(root, &path, out)?;
            } else if ty.is_file() {
                entry.kind = "file";
                entry.size = md.len();
                let data = std::fs::read(e.path())?;
                entry.hash = Some(blake3::hash(&data).to_hex().to_string());
                out.push(entry);
            } else {
                out.push(entry);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, "", &mut out)?;
    Ok(out)
}

fn status_text(s: &Side) -> String {
    match (s.status, s.timed_out) {
        (_, Some(t)) => format!("timed out after {t} s"),
        (Some(c), None) => c.to_string(),
        (None, None) => "killed by a signal".into(),
    }
}

/// The first differing line of two streams (or trace lines), with context.
fn first_line_difference(what: &'static str, a: &[String], b: &[String]) -> Option<Difference> {
    let i = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    let show = |l: Option<&String>| l.cloned().unwrap_or_else(|| "<end>".into());
    Some(Difference {
        what,
        at: format!("line {}", i + 1),
        left: show(a.get(i)),
        right: show(b.get(i)),
        context: a[i.saturating_sub(2)..i].to_vec(),
    })
}

fn lines(b: &[u8]) -> Vec<String> {
    let t = String::from_utf8_lossy(b);
    let mut v: Vec<String> = t
        .split('\n')
        .map(|l| {
            // Control characters escaped (`\r`, `\u{1b}`), the rest as is.
            l.chars()
                .map(|c| match c.is_control() && c != '\t' {
                    true => c.escape_debug().to_string(),
                    false => c.to_string(),
                })
                .collect::<String>()
        })
        .collect();
    // A final newline ends the last line; it does not start an empty one.
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn describe(e: Option<&Entry>) -> String {
    match e {
        None => "<absent>".into(),
        Some(e) => match e.kind {
            "file" => format!(
                "file, {} bytes, blake3 {}",
                e.size,
                e.hash.as_deref().map(|h| &h[..16]).unwrap_or("?")
            ),
            "symlink" => format!("symlink -> {}", e.target.as_deref().unwrap_or("?")),
            k => k.to_string(),
        },
    }
}

fn compare(a: &Side, b: &Side, opts: &RunOptions) -> Vec<Difference> {
    let mut d = Vec::new();
    if (a.status, a.timed_out) != (b.status, b.timed_out) {
        d.push(Difference {
            what: "status",
            at: "exit status".into(),
            left: status_text(a),
            right: status_text(b),
            context: Vec::new(),
        });
    }
    for (what, x, y) in [
        ("stdout", &a.stdout, &b.stdout),
        ("stderr", &a.stderr, &b.stderr),
    ] {
        if x != y {
            let diff = first_line_difference(what, &lines(x), &lines(y));
            // Same lines, different bytes: only a final newline differs.
            d.push(diff.unwrap_or(Difference {
                what,
                at: "end".into(),
                left: format!("{} bytes", x.len()),
                right: format!("{} bytes", y.len()),
                context: Vec::new(),
            }));
        }
    }
    for (i, (ta, tb)) in a.trees.iter().zip(&b.trees).enumerate() {
        let guest = &opts.dirs[i].guest;
        let mut paths: Vec<&str> = ta.iter().chain(tb).map(|e| e.path.as_str()).collect();
        paths.sort();
        paths.dedup();
        let find = |t: &'_ [Entry], p: &str| t.iter().find(|e| e.path == p).cloned();
        if let Some(p) = paths.into_iter().find(|p| find(ta, p) != find(tb, p)) {
            d.push(Difference {
                what: "tree",
                at: format!("{}/{p}", guest.trim_end_matches('/')),
                left: describe(find(ta, p).as_ref()),
                right: describe(find(tb, p).as_ref()),
                context: Vec::new(),
            });
        }
    }
    if let (Some(x), Some(y)) = (&a.trace, &b.trace) {
        if let Some(diff) = first_line_difference("trace", x, y) {
            d.push(diff);
        }
    }
    d
}

impl Side {
    /// `ours`, or `ours (component)` under `--as`.
    pub fn label(&self) -> String {
        match self.form {
            Some(f) => format!("{} ({f})", self.engine),
            None => self.engine.to_string(),
        }
    }
}

impl Report {
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }

    /// What was asked to be pinned but a side could not pin, and what was not compared.
    fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        for s in &self.sides {
            let mut cannot = Vec::new();
            if self.asked_clock && !s.clock_pinned {
                cannot.push("clocks");
            }
            if self.asked_seed && !s.random_pinned {
                cannot.push("random");
            }
            if !cannot.is_empty() {
                v.push(format!(
                    "{}: {} unpinned (the engine cannot pin them)",
                    s.label(),
                    cannot.join(" and ")
                ));
            }
        }
        if self.sides[0].form != self.sides[1].form {
            v.push(
                "import traces not compared (a module's and a component's imports differ)".into(),
            );
        } else if self.sides.iter().any(|s| s.trace.is_none()) {
            v.push("import traces not compared (only ours can trace)".into());
        }
        v
    }

    /// The report for people: the verdict, the first divergence with context, notes.
    pub fn text(&self) -> String {
        let [a, b] = &self.sides;
        let mut out = format!("diff {}: {} vs {}: ", self.file, a.label(), b.label());
        match self.differences.first() {
            None => out.push_str(&format!(
                "identical (status {}, stdout {} bytes, stderr {} bytes, {} tree(s){})\n",
                status_text(a),
                a.stdout.len(),
                a.stderr.len(),
                a.trees.len(),
                match &a.trace {
                    Some(t) if b.trace.is_some() => format!(", {} import calls", t.len()),
                    _ => String::new(),
                }
            )),
            Some(d) => {
                let aspects: Vec<&str> = self.differences.iter().map(|d| d.what).collect();
                out.push_str(&format!("different ({})\n", aspects.join(", ")));
                out.push_str(&format!("first divergence: {} at {}\n", d.what, d.at));
                for c in &d.context {
                    out.push_str(&format!("    {c}\n"));
                }
                out.push_str(&format!("  - {}: {}\n", a.label(), d.left));
                out.push_str(&format!("  + {}: {}\n", b.label(), d.right));
            }
        }
        for n in self.notes() {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }

    /// `--json`: schema [`SCHEMA`].
    pub fn json(&self) -> String {
        let side = |s: &Side| {
            let mut fields = vec![("engine", J::Str(s.engine.into()))];
            // Only under `--as`.
            if let Some(f) = s.form {
                fields.push(("as", J::Str(f.into())));
            }
            fields.extend(vec![
                (
                    "status",
                    s.status.map(|c| J::Num(c as u64)).unwrap_or(J::Null),
                ),
                ("timed_out", J::Bool(s.timed_out.is_some())),
                ("stdout_bytes", J::Num(s.stdout.len() as u64)),
                ("stderr_bytes", J::Num(s.stderr.len() as u64)),
                (
                    "stdout_blake3",
                    J::Str(blake3::hash(&s.stdout).to_hex().to_string()),
                ),
                (
                    "stderr_blake3",
                    J::Str(blake3::hash(&s.stderr).to_hex().to_string()),
                ),
                (
                    "tree_entries",
                    J::Arr(s.trees.iter().map(|t| J::Num(t.len() as u64)).collect()),
                ),
                (
                    "import_calls",
                    s.trace
                        .as_ref()
                        .map(|t| J::Num(t.len() as u64))
                        .unwrap_or(J::Null),
                ),
                ("clock_pinned", J::Bool(s.clock_pinned)),
                ("random_pinned", J::Bool(s.random_pinned)),
            ]);
            J::Obj(fields)
        };
        let difference = |d: &Difference| {
            J::Obj(vec![
                ("what", J::Str(d.what.into())),
                ("at", J::Str(d.at.clone())),
                ("left", J::Str(d.left.clone())),
                ("right", J::Str(d.right.clone())),
                (
                    "context",
                    J::Arr(d.context.iter().map(|c| J::Str(c.clone())).collect()),
                ),
            ])
        };
        let traced = self.sides.iter().all(|s| s.trace.is_some());
        let mut compared: Vec<J> = ["status", "stdout", "stderr", "tree"]
            .iter()
            .map(|s| J::Str((*s).into()))
            .collect();
        if traced {
            compared.push(J::Str("trace".into()));
        }
        J::Obj(vec![
            ("schema", J::Str(SCHEMA.into())),
            ("file", J::Str(self.file.clone())),
            ("identical", J::Bool(self.identical())),
            ("compared", J::Arr(compared)),
            (
                "dirs",
                J::Arr(self.dirs.iter().map(|d| J::Str(d.clone())).collect()),
            ),
            ("sides", J::Arr(self.sides.iter().map(side).collect())),
            (
                "differences",
                J::Arr(self.differences.iter().map(difference).collect()),
            ),
            (
                "notes",
                J::Arr(self.notes().into_iter().map(J::Str).collect()),
            ),
        ])
        .render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(trace: &[&str]) -> Side {
        Side {
            engine: "ours",
            form: None,
            status: Some(0),
            timed_out: None,
            stdout: b"same\n".to_vec(),
            stderr: Vec::new(),
            trees: Vec::new(),
            trace: Some(trace.iter().map(|l| mask_duration(l)).collect()),
            clock_pinned: true,
            random_pinned: true,
        }
    }

    #[test]
    fn a_different_import_call_is_a_trace_difference_with_context() {
        let l = |name: &str, dur: u32| {
            format!("{{\"tid\":1,\"ns\":\"p\",\"name\":\"{name}\",\"args\":[],\"result\":\"success\",\"dur_ns\":{dur}}}")
        };
        let (a1, a2, a3) = (l("args_get", 5), l("fd_write", 9), l("sched_yield", 1));
        let (b1, b2, b3) = (l("args_get", 7), l("fd_write", 2), l("clock_time_get", 3));
        let a = side(&[&a1, &a2, &a3]);
        let b = side(&[&b1, &b2, &b3]);
        let d = compare(&a, &b, &RunOptions::default());
        let masked = |n: &str| {
            format!("{{\"tid\":1,\"ns\":\"p\",\"name\":\"{n}\",\"args\":[],\"result\":\"success\",\"dur_ns\":\"*\"}}")
        };
        assert_eq!(
            d.iter()
                .map(|d| (
                    d.what,
                    d.at.clone(),
                    d.left.clone(),
                    d.right.clone(),
                    d.context.clone()
                ))
                .collect::<Vec<_>>(),
            vec![(
                "trace",
                "line 3".to_string(),
                masked("sched_yield"),
                masked("clock_time_get"),
                vec![masked("args_get"), masked("fd_write")]
            )]
        );
        // Durations alone never differ.
        assert!(compare(
            &a,
            &side(&[&l("args_get", 1), &l("fd_write", 1), &l("sched_yield", 8)]),
            &RunOptions::default()
        )
        .is_empty());
    }
}
