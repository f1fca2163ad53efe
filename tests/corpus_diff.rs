//! `wasix-compat diff --engines ours,wasmer-wasix` over the whole test corpus: every
//! self-contained run the suite made of a core module on our engine (recorded by
//! `tests/common/corpus.rs` under `target/diff-corpus/`) is replayed on both engines with
//! its recorded flags, arguments, stdin and copies of its trees, and each run's first
//! divergence must be exactly the one the compat-matrix lists for it
//! (`CORPUS_DIFFERENCES`, with the reason), or none. The clocks are not pinned unless the
//! run pinned them: wasmer-wasix measures absolute `poll_oneoff` deadlines against the real
//! clock, so a pinned program that polls until one would wait for decades there.
//!
//! It replays what the suite recorded, so it runs after the suite: `scripts/test.sh` calls
//! `cargo test --test corpus_diff -- --ignored` once `cargo test --all-targets` is done.

#[path = "common/mod.rs"]
mod common;

use common::corpus::{self, Record};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wasix_compat::matrix::differences::{CorpusDifference, CORPUS_DIFFERENCES};

/// Each side of a replay that the list says hangs on one engine gets this long
/// (`diff --timeout`): it shows as `timed out after 30 s` on that side.
const HANG_TIMEOUT: &str = "30";
/// Every other side gets this long: enough to compile a large module (yosys) cold on a
/// loaded machine, so a slow side is never mistaken for a hang.
const SIDE_TIMEOUT: &str = "300";
/// A safety net: `diff` itself ends within its two sides' limits.
const TIMEOUT: Duration = Duration::from_secs(700);

/// What one replay showed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Identical,
    /// The exit statuses when they differ (ours, wasmer-wasix), and the first divergence
    /// of the first other aspect that differs (empty strings when only the status does).
    Differs {
        status: Option<(String, String)>,
        what: String,
        at: String,
        ours: String,
        wasmer: String,
    },
    /// `diff` could not compare (exit 2): the first line of its message.
    Error(String),
    TimedOut,
}

/// The side limit for `r`: short where the list expects a side to hang.
fn side_timeout(r: &Record) -> &'static str {
    let hangs = expected(r)
        .and_then(|k| k.status)
        .is_some_and(|(a, b)| a == "timed out" || b == "timed out");
    if hangs {
        HANG_TIMEOUT
    } else {
        SIDE_TIMEOUT
    }
}

fn replay(r: &Record) -> Seen {
    let mut cmd = Command::new(common::bin());
    cmd.env(
        "WASIX_COMPAT_CACHE_DIR",
        common::repo().join("target/module-cache"),
    )
    .args(["diff", "--engines", "ours,wasmer-wasix", "--json"])
    .args(["--timeout", side_timeout(r)]);
    if let Some(stdin) = &r.stdin {
        cmd.arg("--stdin").arg(stdin);
    }
    cmd.args(&r.flags).arg(&r.wasm);
    if !r.args.is_empty() {
        cmd.arg("--").args(&r.args);
    }
    // Its own process group: a replay that hangs is killed with both of its sides.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasix-compat diff");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t1 = std::thread::spawn(move || {
        let mut v = String::new();
        let _ = std::io::Read::read_to_string(&mut so, &mut v);
        v
    });
    let t2 = std::thread::spawn(move || {
        let mut v = String::new();
        let _ = std::io::Read::read_to_string(&mut se, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > TIMEOUT {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (t1.join().unwrap(), t2.join().unwrap());
    let Some(status) = status else {
        return Seen::TimedOut;
    };
    match status.code() {
        Some(0) => Seen::Identical,
        Some(1) => {
            let v: serde_json::Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("diff --json: {e}\n{stdout}"));
            let diffs = v["differences"].as_array().unwrap();
            let s = |d: &serde_json::Value, k: &str| d[k].as_str().unwrap_or_default().to_string();
            let status_of = |i: usize| {
                let side = &v["sides"][i];
                match side["status"].as_i64() {
                    _ if side["timed_out"] == true => "timed out".to_string(),
                    Some(n) => n.to_string(),
                    None => "signal".to_string(),
                }
            };
            let status = diffs
                .iter()
                .any(|d| d["what"] == "status")
                .then(|| (status_of(0), status_of(1)));
            let other = diffs.iter().find(|d| d["what"] != "status");
            let field = |k: &str| other.map(|d| s(d, k)).unwrap_or_default();
            Seen::Differs {
                status,
                what: field("what"),
                at: field("at"),
                ours: field("left"),
                wasmer: field("right"),
            }
        }
        _ => Seen::Error(stderr.lines().next().unwrap_or_default().to_string()),
    }
}

/// A record's flags as the list names them: each preopen's host path (the record's copy)
/// shortened to `dir-N`.
fn flags_key(r: &Record) -> String {
    let flags: Vec<String> = r
        .flags
        .iter()
        .map(|f| match f.find("/diff-corpus/") {
            Some(i) => {
                let rest = &f[i + "/diff-corpus/".len()..];
                rest.split_once('/')
                    .map_or(f.clone(), |(_, t)| t.to_string())
            }
            None => f.clone(),
        })
        .collect();
    flags.join(" ")
}

/// What the list expects of a record, if it names the record's test and program (and the
/// arguments or flags, when the entry gives them).
fn expected(r: &Record) -> Option<&'static CorpusDifference> {
    let args = r.args.join(" ");
    let flags = flags_key(r);
    CORPUS_DIFFERENCES.iter().find(|k| {
        k.program == r.program
            && (k.test.is_empty() || r.test.ends_with(k.test))
            && k.args.is_none_or(|a| a == args)
            && k.flags.is_none_or(|f| f == flags)
    })
}

/// `want` as the list writes it: exact, or a prefix when it ends with `...` (long binary
/// lines).
fn text_matches(want: &str, seen: &str) -> bool {
    match want.strip_suffix("...") {
        Some(prefix) => seen.starts_with(prefix),
        None => want == seen,
    }
}

fn matches(k: Option<&CorpusDifference>, seen: &Seen) -> bool {
    let Some(k) = k else {
        return *seen == Seen::Identical;
    };
    match (k.what, seen) {
        ("error", Seen::Error(m)) => m == k.ours,
        // wasmer-wasix's outcome varies from run to run: only our status is held to the
        // list (the run's own test asserts the rest of ours).
        ("varies", Seen::Identical) => k.status.is_none(),
        ("varies", Seen::Differs { status, .. }) => match (status, k.status) {
            (Some((ours, _)), Some((want, _))) => ours == want,
            (None, None) => true,
            _ => false,
        },
        (
            _,
            Seen::Differs {
                status,
                what,
                at,
                ours,
                wasmer,
            },
        ) => {
            status.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) == k.status
                && what == k.what
                && at == k.at
                && text_matches(k.ours, ours)
                && text_matches(k.wasmer, wasmer)
        }
        _ => false,
    }
}

#[test]
#[ignore = "replays the suite's recorded runs: scripts/test.sh runs it after the suite"]
fn every_recorded_run_matches_wasmer_wasix_or_a_listed_difference() {
    let records = corpus::load();
    assert!(
        records.len() >= 100,
        "only {} runs recorded under {}: run the suite first",
        records.len(),
        corpus::dir().display()
    );
    let queue = Mutex::new(records.iter().enumerate());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some((i, r)) = queue.lock().unwrap().next() else {
                    break;
                };
                let seen = replay(r);
                results.lock().unwrap().push((i, seen));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut used = vec![false; CORPUS_DIFFERENCES.len()];
    let mut failures = Vec::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, seen) in &results {
        let r = &records[*i];
        let known = expected(r);
        if let Some(k) = known {
            let at = CORPUS_DIFFERENCES
                .iter()
                .position(|c| std::ptr::eq(c, k))
                .unwrap();
            used[at] = true;
        }
        *tally
            .entry(match seen {
                Seen::Identical => "identical",
                Seen::Differs { .. } => "different",
                Seen::Error(_) => "refused by diff",
                Seen::TimedOut => "timed out",
            })
            .or_default() += 1;
        if !matches(known, seen) {
            failures.push(format!(
                "{} [{}] {} flags {:?} args {:?}\n  want {:?}\n  seen {seen:?}",
                r.program,
                r.test,
                r.wasm.parent().unwrap().display(),
                flags_key(r),
                r.args.join(" "),
                known.map(|k| (k.status, k.what, k.at, k.ours, k.wasmer)),
            ));
        }
    }
    let unused: Vec<String> = CORPUS_DIFFERENCES
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(k, _)| format!("{} [{}] {:?}", k.program, k.test, k.args))
        .collect();
    println!("{} recorded runs replayed: {tally:?}", records.len());
    assert!(
        failures.is_empty() && unused.is_empty(),
        "{} of {} replays differ from the list:\n{}\nlisted but not recorded: {unused:#?}",
        failures.len(),
        records.len(),
        failures.join("\n")
    );
}
