//! The corpus of runs the suite makes: every self-contained run of a core module on our
//! engine is recorded under `target/diff-corpus/` (the module, its flags with each preopened
//! tree copied as it was before the run, its arguments and stdin), so that
//! `tests/corpus_diff.rs` can afterwards replay each one with
//! `wasix-compat diff --engines ours,wasmer-wasix` and hold every difference to the list in
//! the compat-matrix. Runs that need something only the test provides while they run (a
//! network peer, a held-open stdin, a trace file) are not self-contained and not recorded.

use super::{hash_of, repo, tree_snapshot, Engine, Run};
use std::path::{Path, PathBuf};

/// Flags whose runs depend on the test's surroundings while they run.
const NOT_SELF_CONTAINED: &[&str] = &[
    "--net",
    "--trace",
    "--stdin",
    "--bridge-ca",
    "--bridge-pin",
    "--engine",
];

pub fn dir() -> PathBuf {
    repo().join("target").join("diff-corpus")
}

/// One recorded run, as `run.json` holds it.
pub struct Record {
    /// The test that made the run (the harness names test threads after tests).
    pub test: String,
    /// The program: the module's file stem without the cache hash.
    pub program: String,
    /// The module, copied into the record.
    pub wasm: PathBuf,
    /// `run` flags, preopens pointing at the record's copies.
    pub flags: Vec<String>,
    pub args: Vec<String>,
    /// The stdin file, when the run had one.
    pub stdin: Option<PathBuf>,
}

/// A preopen flag's value split around its host path: (before, host, after).
fn preopen_host(flag: &str, value: &str) -> Option<(String, String, String)> {
    match flag {
        "--dir" | "--dir-ro" => Some(match value.split_once("::") {
            Some((h, g)) => (String::new(), h.to_string(), format!("::{g}")),
            // Without GUEST the guest sees the host path: keep it as the guest path.
            None => (String::new(), value.to_string(), format!("::{value}")),
        }),
        "--volume" => {
            let (h, g) = value.split_once(':')?;
            Some((String::new(), h.to_string(), format!(":{g}")))
        }
        "--mapdir" => {
            let (g, h) = value.split_once(':')?;
            Some((format!("{g}:"), h.to_string(), String::new()))
        }
        _ => None,
    }
}

/// The program's name: the module's file stem without the cache hashes
/// (`p1_fd_io-0123456789abcdef-wasix_32v1.wasm` → `p1_fd_io-wasix_32v1`).
fn program_name(wasm: &Path) -> String {
    let stem = wasm.file_stem().unwrap_or_default().to_string_lossy();
    let hash = |p: &&str| p.len() == 16 && p.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = stem.split('-').filter(|p| !hash(p)).collect();
    parts.join("-")
}

/// What is needed to record `run` once it has finished: its preopened trees as they were
/// before it (copied now), or `None` for a run that is not recorded.
pub struct Pending {
    staging: PathBuf,
    flags: Vec<String>,
    key_parts: Vec<Vec<u8>>,
}

pub fn before(run: &Run) -> Option<Pending> {
    if run.engine != Engine::Ours
        || run.hold_stdin
        || !super::is_core_module(&run.wasm)
        || run
            .flags
            .iter()
            .any(|f| NOT_SELF_CONTAINED.contains(&f.as_str()))
    {
        return None;
    }
    let staging = dir().join(format!("staging-{}", super::unique_tmp()));
    std::fs::create_dir_all(&staging).ok()?;
    let mut flags = Vec::new();
    let mut key_parts = Vec::new();
    let mut i = 0;
    let mut n_dirs = 0;
    while i < run.flags.len() {
        let f = &run.flags[i];
        let value = run.flags.get(i + 1);
        match value.and_then(|v| preopen_host(f, v)) {
            Some((before, host, after)) => {
                let copy = staging.join(format!("dir-{n_dirs}"));
                n_dirs += 1;
                if !Path::new(&host).is_dir() {
                    let _ = std::fs::remove_dir_all(&staging);
                    return None;
                }
                super::copy_tree(Path::new(&host), &copy);
                key_parts.push(format!("{:?}", tree_snapshot(&copy)).into_bytes());
                flags.push(f.clone());
                // The final name is only known once the key is: a placeholder for now.
                flags.push(format!("{before}@RECORD@/dir-{}{after}", n_dirs - 1));
                i += 2;
            }
            None => {
                flags.push(f.clone());
                i += 1;
            }
        }
    }
    key_parts.push(flags.join("\0").into_bytes());
    Some(Pending {
        staging,
        flags,
        key_parts,
    })
}

/// Files the run as a record (once per distinct module, flags, trees, args and stdin), unless
/// it timed out (the test's own failure, not a program's behaviour).
pub fn after(run: &Run, pending: Pending, timed_out: bool) {
    let Pending {
        staging,
        flags,
        mut key_parts,
    } = pending;
    let Ok(wasm) = std::fs::read(&run.wasm) else {
        let _ = std::fs::remove_dir_all(&staging);
        return;
    };
    if timed_out {
        let _ = std::fs::remove_dir_all(&staging);
        return;
    }
    key_parts.push(wasm.clone());
    key_parts.push(run.args.join("\0").into_bytes());
    key_parts.push(run.stdin.clone().unwrap_or_default());
    let refs: Vec<&[u8]> = key_parts.iter().map(|b| b.as_slice()).collect();
    let key = format!("{:016x}", hash_of(&refs));
    let record = dir().join(&key);
    if record.exists() {
        let _ = std::fs::remove_dir_all(&staging);
        return;
    }
    let name = run.wasm.file_name().unwrap_or_default();
    let ok = std::fs::write(staging.join(name), &wasm).is_ok()
        && run
            .stdin
            .as_ref()
            .is_none_or(|d| std::fs::write(staging.join("stdin"), d).is_ok());
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string();
    let flags: Vec<String> = flags
        .iter()
        .map(|f| f.replace("@RECORD@", &record.display().to_string()))
        .collect();
    let json = serde_json::json!({
        "test": test,
        "program": program_name(&run.wasm),
        "wasm": name.to_string_lossy(),
        "flags": flags,
        "args": run.args,
    });
    if !ok
        || std::fs::write(staging.join("run.json"), json.to_string()).is_err()
        // Another test thread may file the same run at the same moment: one rename wins.
        || std::fs::rename(&staging, &record).is_err()
    {
        let _ = std::fs::remove_dir_all(&staging);
    }
}

/// Every record under `target/diff-corpus/`, in key order.
pub fn load() -> Vec<Record> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir()) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("staging-")
        })
        .collect();
    dirs.sort();
    for d in dirs {
        let Ok(text) = std::fs::read_to_string(d.join("run.json")) else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&text).expect("run.json");
        let strings = |k: &str| -> Vec<String> {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        };
        out.push(Record {
            test: v["test"].as_str().unwrap().to_string(),
            program: v["program"].as_str().unwrap().to_string(),
            wasm: d.join(v["wasm"].as_str().unwrap()),
            flags: strings("flags"),
            args: strings("args"),
            stdin: Some(d.join("stdin")).filter(|p| p.exists()),
        });
    }
    out
}
