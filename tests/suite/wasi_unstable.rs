//! `wasi_unstable` (preview0) differs from preview1 in four places (DESIGN §4): `fd_seek`
//! whence order, the 56-byte filestat (nlink u32) of `fd_filestat_get` /
//! `path_filestat_get`, and the 56-byte subscriptions of `poll_oneoff`. C cannot target
//! `wasi_unstable`, so these guests are hand-written WAT (tests/guests/wat/unstable_*.wat)
//! that print `key=value` lines.
//!
//! Layouts follow the preview0 witx: a clock subscription is userdata 0, tag 8,
//! identifier 16, clock id 24, timeout 32, precision 40, flags 48 (the `identifier` field
//! that preview1 dropped is why it is 56 bytes, not 48).
//!
//! `WXC_TEST_ENGINE=wasmer-wasix` runs the same assertions under the reference engine.

use crate::common;

use common::{build_wat, engine_from_env, Outcome, Run, TempDir};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

const SENTINEL: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// Guest builds are serialized: the harness's temp file name is per process, so two test
/// threads building the same guest at once would collide.
static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn wat(name: &str) -> PathBuf {
    let path = common::repo()
        .join("tests/guests/wat")
        .join(format!("{name}.wat"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let _g = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    build_wat(name, &text)
}

/// A sandbox dir with f.txt = "0123456789".
fn sandbox(tag: &str) -> TempDir {
    let t = TempDir::new(tag);
    std::fs::write(t.path().join("f.txt"), "0123456789").unwrap();
    t
}

fn kv(out: &Outcome) -> BTreeMap<String, String> {
    out.stdout_str()
        .lines()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn show(out: &Outcome) -> String {
    format!(
        "code={:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.code,
        out.stdout_str(),
        out.stderr_str()
    )
}

fn num(m: &BTreeMap<String, String>, k: &str, out: &Outcome) -> u64 {
    m.get(k)
        .unwrap_or_else(|| panic!("missing `{k}`\n{}", show(out)))
        .parse()
        .unwrap_or_else(|_| panic!("`{k}` is not a number\n{}", show(out)))
}

#[test]
fn fd_seek_uses_preview0_whence_order() {
    let dir = sandbox("unstable-seek");
    let out = Run::new(wat("unstable_seek"))
        .engine(engine_from_env())
        .dir(dir.path(), "/sandbox")
        .run();
    let want = "\
open.errno=0
set3.errno=0
set3.pos=3
cur2.errno=0
cur2.pos=5
end-1.errno=0
end-1.pos=9
read.errno=0
byte=57
tell.errno=0
tell.pos=10
bad_whence3.errno=28
bad_whence255.errno=28
negative.errno=28
set0.errno=0
set0.pos=0
end0.errno=0
end0.pos=10
";
    assert_eq!(out.stdout_str(), want, "\n{}", show(&out));
    out.assert_ok();
}

#[test]
fn filestat_is_56_bytes_with_u32_nlink() {
    let dir = sandbox("unstable-filestat");
    let p = dir.path();
    std::fs::hard_link(p.join("f.txt"), p.join("g.txt")).unwrap();
    std::fs::create_dir_all(p.join("d/e")).unwrap();
    std::os::unix::fs::symlink("f.txt", p.join("l")).unwrap();
    let host = std::fs::metadata(p.join("f.txt")).unwrap();
    let host_mtim = host.mtime() as i128 * 1_000_000_000 + host.mtime_nsec() as i128;

    let out = Run::new(wat("unstable_filestat"))
        .engine(engine_from_env())
        .dir(p, "/sandbox")
        .run();
    let m = kv(&out);
    let n = |k: &str| num(&m, k, &out);
    let mut fails = Vec::new();
    let mut want = |k: &str, v: u64| {
        let got = n(k);
        if got != v {
            fails.push(format!("{k}: got {got}, want {v}"));
        }
    };
    for pre in ["fd.", "path."] {
        want(&format!("{pre}errno"), 0);
        want(&format!("{pre}filetype"), 4);
        want(&format!("{pre}size"), 10);
        want(&format!("{pre}nlink"), 2);
        want(&format!("{pre}tail"), SENTINEL);
    }
    want("dir.errno", 0);
    want("dir.filetype", 3);
    want("dir.tail", SENTINEL);
    want("link.errno", 0);
    want("link.filetype", 7);
    want("link.size", 5);
    want("link.tail", SENTINEL);
    let mut fails2 = Vec::new();
    for pre in ["fd.", "path."] {
        let mt = n(&format!("{pre}mtim")) as i128;
        if (mt - host_mtim).abs() > 1_000_000_000 {
            fails2.push(format!("{pre}mtim {mt} is not the host's {host_mtim}"));
        }
        for f in ["atim", "ctim", "ino"] {
            if n(&format!("{pre}{f}")) == 0 {
                fails2.push(format!("{pre}{f} is 0"));
            }
        }
    }
    for f in ["dev", "ino", "mtim", "ctim"] {
        if n(&format!("fd.{f}")) != n(&format!("path.{f}")) {
            fails2.push(format!("fd.{f} != path.{f}"));
        }
    }
    if n("dir.nlink") == 0 {
        fails2.push("dir.nlink is 0".into());
    }
    fails.extend(fails2);
    assert!(
        fails.is_empty(),
        "filestat mismatches:\n  {}\n{}",
        fails.join("\n  "),
        show(&out)
    );
    out.assert_ok();
}

#[test]
fn poll_oneoff_reads_56_byte_subscriptions() {
    let out = Run::new(wat("unstable_poll"))
        .engine(engine_from_env())
        .run();
    let m = kv(&out);
    let n = |k: &str| num(&m, k, &out);
    let mut fails = Vec::new();
    let mut want = |k: &str, v: u64| {
        let got = n(k);
        if got != v {
            fails.push(format!("{k}: got {got}, want {v}"));
        }
    };
    // a: two relative clocks, the 20 ms one fires
    for (pre, userdata, typ) in [
        ("a.", 0x1111, 0),
        ("b.", 0x3333, 0),
        ("c.", 0x4444, 2),
        ("d.", 0x6666, 0),
        ("e.", 0x7777, 0),
    ] {
        want(&format!("{pre}errno"), 0);
        want(&format!("{pre}nevents"), 1);
        want(&format!("{pre}userdata"), userdata);
        want(&format!("{pre}error"), 0);
        want(&format!("{pre}type"), typ);
        want(&format!("{pre}waited_enough"), 1);
        want(&format!("{pre}fast_enough"), 1);
    }
    assert!(
        fails.is_empty(),
        "poll_oneoff mismatches:\n  {}\n{}",
        fails.join("\n  "),
        show(&out)
    );
    out.assert_ok();
}

#[test]
fn one_module_can_import_both_wasi_unstable_and_preview1() {
    let dir = sandbox("unstable-mixed");
    let out = Run::new(wat("unstable_mixed"))
        .engine(engine_from_env())
        .dir(dir.path(), "/sandbox")
        .arg("x")
        .arg("y")
        .run();
    let want = format!(
        "\
open.errno=0
u_set4.errno=0
u_set4.pos=4
p_cur0.errno=0
p_cur0.pos=4
p_end-2.errno=0
p_end-2.pos=8
u_cur0.errno=0
u_cur0.pos=8
p_read.errno=0
p_read.bytes={}
u_stat.errno=0
u_stat.filetype=4
u_stat.nlink=1
u_stat.size=10
u_stat.tail={SENTINEL}
p_stat.errno=0
p_stat.filetype=4
p_stat.nlink=1
p_stat.size=10
p_stat.tail={SENTINEL}
argc=3
argc_same=1
u_close.errno=0
p_close_again.errno=8
",
        u16::from_le_bytes(*b"89")
    );
    assert_eq!(out.stdout_str(), want, "\n{}", show(&out));
    assert_eq!(out.code, Some(7), "{}", show(&out));
}

#[test]
fn the_rest_of_wasi_unstable_behaves_like_preview1() {
    let wasm = wat("unstable_basic");
    let out = Run::new(&wasm)
        .engine(engine_from_env())
        .env("A", "1")
        .env("B", "two words")
        .arg("first")
        .arg("second arg")
        .run();
    let expected = |argv0: &str| {
        let mut want = Vec::new();
        let argv_buf = format!("{argv0}\0first\0second arg\0");
        want.extend_from_slice(
            format!(
                "argc=3\nargv_buf_size={}\nargs_get.errno=0\n[",
                argv_buf.len()
            )
            .as_bytes(),
        );
        want.extend_from_slice(argv_buf.as_bytes());
        let env_buf = "A=1\0B=two words\0";
        want.extend_from_slice(
            format!(
                "]\nenvc=2\nenviron_buf_size={}\nenviron_get.errno=0\n[",
                env_buf.len()
            )
            .as_bytes(),
        );
        want.extend_from_slice(env_buf.as_bytes());
        want.extend_from_slice(
            b"]\nrealtime_sane=1\nmonotonic_res.errno=0\nrandom.errno=0\nrandom_nonzero=1\nsched_yield.errno=0\n",
        );
        want
    };
    // argv[0] is the module's file name (or the path as given).
    let by_name = expected(&wasm.file_name().unwrap().to_string_lossy());
    let by_path = expected(&wasm.display().to_string());
    if out.stdout != by_path {
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&by_name),
            "\n{}",
            show(&out)
        );
    }
    assert_eq!(out.stderr, b"to-stderr", "{}", show(&out));
    out.assert_ok();
}
