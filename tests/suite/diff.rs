//! `wasix-compat diff` and `run --trace` (issue 15, second part): planted differences
//! between ours and wasmer-wasix (behaviours listed in the compat-matrix) are found and
//! reported as exactly one difference each; pinned runs of ours vs ours are identical every
//! time; a trace is compared line by line with its durations masked.
//! Guests: tests/guests/wat/{diff_*,trace_small}.wat, tests/guests/c/diff_clock_random.c.

use crate::common;

use common::{bin, build_c, Run, TempDir};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn wat(name: &str) -> PathBuf {
    common::wat(name)
}

/// A directory holding `a.txt` ("hello\n").
fn data_dir(tag: &str) -> TempDir {
    let d = TempDir::new(tag);
    std::fs::write(d.path().join("a.txt"), "hello\n").unwrap();
    d
}

/// `wasix-compat diff ARGS`: (exit code, stdout, stderr).
fn diff(args: &[&str]) -> (Option<i32>, String, String) {
    let mut c = Command::new(bin());
    c.arg("diff").args(args);
    common::record_imports(&mut c);
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `diff --json` on ours vs wasmer-wasix with `dir` at `/`: (exit code, report).
fn diff_json(guest: &Path, dir: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let spec = format!("{}::/", dir.display());
    let mut args = vec!["--json", "--engines", "ours,wasmer-wasix", "--dir", &spec];
    args.extend(extra);
    let g = guest.to_str().unwrap();
    args.push(g);
    let (code, out, err) = diff(&args);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    (code, v)
}

#[test]
fn diff_finds_a_file_written_differently() {
    let d = data_dir("diff-tree");
    let (code, v) = diff_json(&wat("diff_tree"), d.path(), &[]);
    assert_eq!(code, Some(1), "{v:#}");
    let ours = blake3::hash(b"prestat 0: 8\n").to_hex().to_string();
    let theirs = blake3::hash(b"prestat 0: 0\n").to_hex().to_string();
    assert_eq!(
        v["differences"],
        json!([{
            "what": "tree",
            "at": "/out.txt",
            "left": format!("file, 13 bytes, blake3 {}", &ours[..16]),
            "right": format!("file, 13 bytes, blake3 {}", &theirs[..16]),
            "context": []
        }])
    );
    // The host directory itself is untouched: each side ran on its own copy.
    assert!(!d.path().join("out.txt").exists());
}

#[test]
fn diff_finds_a_different_exit_status() {
    let d = data_dir("diff-exit");
    let (code, v) = diff_json(&wat("diff_exit"), d.path(), &[]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(
        (&v["differences"], &v["notes"]),
        (
            &json!([{"what": "status", "at": "exit status", "left": "28", "right": "0", "context": []}]),
            &json!(["import traces not compared (only ours can trace)"])
        )
    );
}

#[test]
fn diff_pinned_ours_and_wasmer_wasix_read_the_same_time_and_random() {
    let g = build_c(&["tests/guests/c/diff_clock_random.c"], &[]);
    let (code, out, err) = diff(&[
        "--json",
        "--fake-clock",
        "1700000000000000000",
        "--seed",
        "42",
        g.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    let pins = |i: usize| {
        (
            &v["sides"][i]["clock_pinned"],
            &v["sides"][i]["random_pinned"],
        )
    };
    assert_eq!(
        (code, &v["differences"], pins(0), pins(1)),
        (
            Some(0),
            &json!([]),
            (&json!(true), &json!(true)),
            (&json!(true), &json!(true))
        )
    );
}

/// A deadline computed from a pinned reading is measured in pinned time: 20 ms after the
/// reading, not when the real monotonic clock reaches 1.7e18 ns (decades away).
#[test]
fn a_pinned_absolute_poll_deadline_waits_its_distance_from_the_reading() {
    let g = build_c(&["tests/guests/c/diff_clock_random.c"], &[]);
    let out = Run::new(&g)
        .flag("--fake-clock")
        .flag("1700000000000000000")
        .arg("abstime")
        .timeout(Duration::from_secs(60))
        .run();
    assert_eq!(
        (out.code, out.timed_out, out.stdout_str()),
        (
            Some(0),
            false,
            "abstime monotonic: errno 0, 1 event(s), userdata 7, error 0\n".to_string()
        )
    );
}

/// `--timeout`: the side that hangs (wasmer-wasix never returns from a zero poll timeout)
/// is killed and differs by its status; the other side's output is compared as usual.
#[test]
fn diff_timeout_kills_the_side_that_hangs() {
    let (code, out, err) = diff(&[
        "--json",
        "--timeout",
        "3",
        wat("diff_hang").to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    let side = |i: usize| (&v["sides"][i]["status"], &v["sides"][i]["timed_out"]);
    assert_eq!(
        (code, side(0), side(1), &v["differences"]),
        (
            Some(1),
            (&json!(0), &json!(false)),
            (&json!(null), &json!(true)),
            &json!([
                {"what": "status", "at": "exit status", "left": "0",
                 "right": "timed out after 3 s", "context": []},
                {"what": "stdout", "at": "line 1", "left": "woke", "right": "<end>",
                 "context": []}
            ])
        )
    );
}

#[test]
fn diff_timeout_needs_whole_seconds() {
    let g = wat("diff_hang");
    for bad in ["0", "-1", "1.5", "soon"] {
        let (code, out, err) = diff(&["--timeout", bad, g.to_str().unwrap()]);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (
                Some(2),
                "",
                "wasix-compat: --timeout takes a number of seconds (1 or more)\n"
            ),
            "--timeout {bad}"
        );
    }
}

#[test]
fn diff_notes_an_engine_that_cannot_pin() {
    let g = wat("diff_print");
    let (code, out, err) = diff(&[
        "--json",
        "--engines",
        "ours,wasmtime",
        "--seed",
        "1",
        g.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    // (wasmtime runs components only: its side fails, which is a difference too.)
    assert_eq!(
        (code, &v["notes"]),
        (
            Some(1),
            &json!([
                "wasmtime: random unpinned (the engine cannot pin them)",
                "import traces not compared (only ours can trace)"
            ])
        )
    );
}

#[test]
fn diff_finds_different_output_with_context() {
    let d = data_dir("diff-print");
    let g = wat("diff_print");
    let spec = format!("{}::/", d.path().display());
    let (code, out, err) = diff(&["--dir", &spec, g.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert_eq!(
        out,
        format!(
            "diff {}: ours vs wasmer-wasix: different (stdout)\n\
             first divergence: stdout at line 2\n    start\n\
             \x20 - ours: prestat 0: 8\n\
             \x20 + wasmer-wasix: prestat 0: 0\n\
             note: import traces not compared (only ours can trace)\n",
            g.display()
        )
    );
}

#[test]
fn diff_reports_pinned_runs_identical_ten_times() {
    let g = build_c(&["tests/guests/c/diff_clock_random.c"], &[]);
    let g = g.to_str().unwrap();
    let mut outputs = Vec::new();
    for _ in 0..10 {
        let (code, out, err) = diff(&[
            "--json",
            "--engines",
            "ours,ours",
            "--fake-clock",
            "1700000000000000000",
            "--seed",
            "42",
            g,
        ]);
        assert_eq!(code, Some(0), "{out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (&v["identical"], &v["differences"], &v["compared"]),
            (
                &json!(true),
                &json!([]),
                &json!(["status", "stdout", "stderr", "tree", "trace"])
            )
        );
        outputs.push(v["sides"][0]["stdout_blake3"].clone());
    }
    // And the same output on every run, the one this program prints pinned.
    let want = "realtime 1700000000.000000000\nmonotonic 1700000000.000001000\n\
                realtime 1700000000.000002000\nrandom 956eeb2f2632d7bd03f166b233e3ef28\n";
    let want = json!(blake3::hash(want.as_bytes()).to_hex().to_string());
    assert_eq!(outputs, vec![want; 10]);
}

#[test]
fn diff_of_unpinned_clocks_differs() {
    let g = build_c(&["tests/guests/c/diff_clock_random.c"], &[]);
    let (code, v) = {
        let (code, out, _) = diff(&["--json", "--engines", "ours,ours", g.to_str().unwrap()]);
        (code, serde_json::from_str::<Value>(&out).unwrap())
    };
    assert_eq!(
        (
            code,
            &v["differences"][0]["what"],
            &v["differences"][0]["at"]
        ),
        (Some(1), &json!("stdout"), &json!("line 1"))
    );
}

#[test]
fn diff_usage_errors_exit_2() {
    let g = wat("diff_print");
    let g = g.to_str().unwrap();
    for args in [
        vec!["--engines", "ours,nope", g],
        vec!["--engines", "ours", g],
        vec!["--engine", "ours", g],
        vec!["--json"],
    ] {
        let (code, out, err) = diff(&args);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}: {err}");
    }
}

#[test]
fn run_trace_writes_one_line_per_call() {
    let d = data_dir("trace");
    let t = TempDir::new("trace-out");
    let trace = t.path().join("t.jsonl");
    let mut c = Command::new(bin());
    c.arg("run")
        .arg("--trace")
        .arg(&trace)
        .arg("--dir")
        .arg(format!("{}::/", d.path().display()))
        .arg(wat("trace_small"));
    common::record_imports(&mut c);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let text = std::fs::read_to_string(&trace).unwrap();
    let masked: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if v["dur_ns"].is_u64() {
                v["dur_ns"] = json!("N");
            }
            v.to_string()
        })
        .collect();
    let p = "wasi_snapshot_preview1";
    let all = 0x1fff_ffffu64;
    let want: Vec<String> = [
        json!({"tid":1,"ns":p,"name":"path_open","args":[3,0,{"ptr":256,"len":7,"str":"out.txt"},1,all,all,0,512],"result":"success","dur_ns":"N"}),
        json!({"tid":1,"ns":p,"name":"fd_write","args":[4,{"ptr":16,"len":2,"bytes":3},32],"result":"success","dur_ns":"N"}),
        json!({"tid":1,"ns":p,"name":"fd_close","args":[4],"result":"success","dur_ns":"N"}),
        json!({"tid":1,"ns":p,"name":"path_open","args":[3,0,{"ptr":288,"len":11,"str":"missing.txt"},0,all,all,0,516],"result":"noent","dur_ns":"N"}),
        json!({"tid":1,"ns":p,"name":"clock_time_get","args":[0,1,520],"result":"success","dur_ns":"N"}),
        json!({"tid":1,"ns":p,"name":"proc_exit","args":[3],"result":"exit","dur_ns":null}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect();
    assert_eq!(masked, want);
    // Keys in this order on every line.
    for l in text.lines() {
        assert!(
            l.starts_with("{\"tid\":1,\"ns\":\"wasi_snapshot_preview1\",\"name\":")
                && l.contains(",\"args\":")
                && l.contains(",\"result\":")
                && l.contains(",\"dur_ns\":"),
            "{l}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(d.path().join("out.txt")).unwrap(),
        "hi\n"
    );
}

#[test]
fn run_refuses_pins_on_engines_that_cannot_pin() {
    let mut c = Command::new(bin());
    c.args(["run", "--engine", "wasmtime", "--seed", "1"])
        .arg(wat("diff_print"));
    let out = c.output().unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (
            Some(2),
            "wasix-compat: --seed is not supported by the wasmtime engine\n".to_string()
        )
    );
}
