//! One test per defect found in review (issue "Core ready for threads…", §5): each fails on
//! the code before its fix and states the one outcome expected now.

use crate::common;

use common::{build_wat, show, Run, TempDir};

/// A start function runs during instantiation, before the host could look at the
/// instance; with an imported memory it can already make WASI calls.
#[test]
fn start_function_can_call_wasi_with_an_imported_memory() {
    let w = build_wat(
        "reg-start-imported-memory",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 1))
  (data (i32.const 100) "from start\0afrom _start\0a")
  (func $say (param $at i32) (param $n i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $n))
    (if (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable)))
  (func $init (call $say (i32.const 100) (i32.const 11)))
  (start $init)
  (func (export "_start") (call $say (i32.const 111) (i32.const 12))))"#,
    );
    let out = Run::new(&w).run();
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (Some(0), "from start\nfrom _start\n"),
        "{}",
        show(&out)
    );
}

/// A nonblocking write larger than the pipe's free space writes what fits (64 KiB) and
/// reports it; with nothing free it is `again`; after a 10-byte read, 10 bytes fit.
#[test]
fn nonblocking_pipe_write_is_partial() {
    let w = build_wat(
        "reg-nonblock-pipe",
        r#"(module
  (import "wasix_32v1" "fd_pipe" (func $pipe (param i32 i32) (result i32)))
  (import "wasix_32v1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "fd_fdstat_set_flags" (func $setfl (param i32 i32) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 4)
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func (export "_start")
    (local $r i32) (local $w i32)
    (call $eq (i32.const 1) (call $pipe (i32.const 0) (i32.const 4)) (i32.const 0))
    (local.set $r (i32.load (i32.const 0)))
    (local.set $w (i32.load (i32.const 4)))
    (call $eq (i32.const 2) (call $setfl (local.get $w) (i32.const 4)) (i32.const 0))
    ;; two iovecs of 60000 bytes each: 65536 fit
    (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 60000))
    (i32.store (i32.const 24) (i32.const 1024)) (i32.store (i32.const 28) (i32.const 60000))
    (call $eq (i32.const 3) (call $write (local.get $w) (i32.const 16) (i32.const 2) (i32.const 8)) (i32.const 0))
    (call $eq (i32.const 4) (i32.load (i32.const 8)) (i32.const 65536))
    (call $eq (i32.const 5) (call $write (local.get $w) (i32.const 16) (i32.const 1) (i32.const 8)) (i32.const 6))
    (i32.store (i32.const 32) (i32.const 128000)) (i32.store (i32.const 36) (i32.const 10))
    (call $eq (i32.const 6) (call $read (local.get $r) (i32.const 32) (i32.const 1) (i32.const 8)) (i32.const 0))
    (call $eq (i32.const 7) (i32.load (i32.const 8)) (i32.const 10))
    (call $eq (i32.const 8) (call $write (local.get $w) (i32.const 16) (i32.const 1) (i32.const 8)) (i32.const 0))
    (call $eq (i32.const 9) (i32.load (i32.const 8)) (i32.const 10))))"#,
    );
    let out = Run::new(&w).run();
    assert_eq!(out.code, Some(0), "{}", show(&out));
}

/// The same on a host pipe: stdout is a pipe nobody reads; with `nonblock` set on fd 1 a
/// write of 120000 bytes takes what the pipe holds (64 KiB) and the next one is `again`,
/// instead of blocking until a reader drains it.
#[test]
fn nonblocking_write_to_a_full_host_pipe_is_partial() {
    let w = build_wat(
        "reg-nonblock-host-pipe",
        r#"(module
  (import "wasix_32v1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "fd_fdstat_set_flags" (func $setfl (param i32 i32) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 4)
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func (export "_start")
    (call $eq (i32.const 2) (call $setfl (i32.const 1) (i32.const 4)) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 60000))
    (i32.store (i32.const 24) (i32.const 1024)) (i32.store (i32.const 28) (i32.const 60000))
    (call $eq (i32.const 3) (call $write (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 8)) (i32.const 0))
    (call $eq (i32.const 4) (i32.load (i32.const 8)) (i32.const 65536))
    (call $eq (i32.const 5) (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)) (i32.const 6))))"#,
    );
    let (mut r, pw) = std::io::pipe().unwrap();
    let mut child = std::process::Command::new(common::bin())
        .arg("run")
        .arg(&w)
        .stdout(pw)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The child must finish while nobody reads: a write that blocked would hang here.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the nonblocking write blocked on the full pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut got).unwrap();
    assert_eq!((status.code(), got.len()), (Some(0), 65536));
}

/// `oflags=directory` on a regular file is `notdir` (POSIX, wasmtime, wasmer), with or
/// without write rights; a directory asked for with write rights stays `isdir`.
#[test]
fn open_directory_flag_on_a_file_is_notdir() {
    let w = build_wat(
        "reg-odirectory-file",
        r#"(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "file")
  (data (i32.const 200) "dir")
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func (export "_start")
    ;; create "file" (creat), then open it with `directory`: read-only, then read+write
    (call $eq (i32.const 1) (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4) (i32.const 1) (i64.const 0x3fffffff) (i64.const 0) (i32.const 0) (i32.const 0)) (i32.const 0))
    (call $eq (i32.const 2) (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4) (i32.const 2) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)) (i32.const 54))
    (call $eq (i32.const 3) (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4) (i32.const 2) (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 0)) (i32.const 54))
    (call $eq (i32.const 4) (call $mkdir (i32.const 3) (i32.const 200) (i32.const 3)) (i32.const 0))
    (call $eq (i32.const 5) (call $open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 3) (i32.const 2) (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 0)) (i32.const 31))))"#,
    );
    let tmp = TempDir::new("reg-odir");
    let out = Run::new(&w).dir(tmp.path(), "/sandbox").run();
    assert_eq!(out.code, Some(0), "{}", show(&out));
}

fn cli(args: &[&str], cache: &std::path::Path) -> std::process::Output {
    let mut cmd = std::process::Command::new(common::bin());
    common::record_imports(&mut cmd);
    cmd.env("WASIX_COMPAT_CACHE_DIR", cache)
        .args(args)
        .output()
        .expect("run wasix-compat")
}

fn hello() -> String {
    common::repo()
        .join("examples/hello.wat")
        .display()
        .to_string()
}

/// A precompiled artifact is native code: `run` refuses it unless asked to trust it.
#[test]
fn precompiled_artifacts_need_consent() {
    let tmp = TempDir::new("reg-artifact");
    let art = tmp.path().join("hello.wasmu");
    let art_s = art.display().to_string();
    let o = cli(&["compile", &hello(), "-o", &art_s], tmp.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Named like an ordinary module, it is still refused.
    let disguised = tmp.path().join("download.wasm");
    std::fs::copy(&art, &disguised).unwrap();
    let d = disguised.display().to_string();
    let o = cli(&["run", &d, "--", "Ada"], tmp.path());
    assert_eq!(
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned()
        ),
        (
            Some(1),
            format!(
                "wasix-compat: cannot prepare module {d}: it is a precompiled wasmer artifact, \
                 i.e. native code; run it only if you made or trust it, with --allow-precompiled\n"
            )
        )
    );
    assert!(o.stdout.is_empty());
    let o = cli(
        &["run", "--allow-precompiled", &art_s, "--", "Ada"],
        tmp.path(),
    );
    assert_eq!(
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned()
        ),
        (Some(0), "Hello, Ada!\n".to_string())
    );
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The first run compiles and stores one entry; the second loads it untouched; a damaged
/// entry is ignored and rewritten; `--no-cache` writes nothing.
#[test]
fn compiled_module_cache() {
    let tmp = TempDir::new("reg-cache");
    let cache = tmp.path().join("cache");
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        let h = hello();
        args.push(&h);
        args.extend_from_slice(&["--", "Grace"]);
        let o = cli(&args, &cache);
        assert_eq!(
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned()
            ),
            (Some(0), "Hello, Grace!\n".to_string()),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&["--no-cache"]);
    assert_eq!(entries(&cache).len(), 0, "--no-cache stores nothing");
    run(&[]);
    let e = entries(&cache);
    assert_eq!(e.len(), 1, "{e:?}");
    let first = std::fs::read(&e[0]).unwrap();
    let mtime = std::fs::metadata(&e[0]).unwrap().modified().unwrap();
    run(&[]);
    assert_eq!(entries(&cache), e);
    assert_eq!(
        std::fs::metadata(&e[0]).unwrap().modified().unwrap(),
        mtime,
        "loaded, not rewritten"
    );
    // Damage: one flipped byte in the middle, then a truncated file.
    let mut bad = first.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    std::fs::write(&e[0], &bad).unwrap();
    run(&[]);
    assert_eq!(
        std::fs::read(&e[0]).unwrap(),
        first,
        "rebuilt after corruption"
    );
    std::fs::write(&e[0], &first[..100]).unwrap();
    run(&[]);
    assert_eq!(
        std::fs::read(&e[0]).unwrap(),
        first,
        "rebuilt after truncation"
    );
}

/// A shared memory is read by copy: while a host thread keeps rewriting the bytes that
/// fd_write and path_open read, every call sees some mix of old and new bytes (one of the
/// interleavings), nothing crashes, and no Rust reference into the memory is ever made
/// (GuestMem's shared mode).
#[test]
fn shared_memory_scribbled_during_calls() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let tmp = TempDir::new("reg-shared");
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (export "memory" (memory 0))
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 256))
    (loop $l
      (if (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable))
      (if (i32.eqz (call $open (i32.const 3) (i32.const 0) (i32.const 2048) (i32.const 9) (i32.const 1)
                     (i64.const 0x3fffffff) (i64.const 0) (i32.const 0) (i32.const 16)))
        (then (drop (call $close (i32.load (i32.const 16))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 2000))))))"#;
    let mut store = wasmer::Store::default();
    let module = wasmer::Module::new(&store, wat).unwrap();
    let (w, r) = wasix_compat::core::io::pipe::pipe(1 << 20);
    let imports = wasix_compat::Builder::new("shared")
        .map_dir("/d", tmp.path())
        .stdout(Arc::new(w))
        .imports(&mut store, &module)
        .unwrap();
    let instance = wasmer::Instance::new(&mut store, &module, &imports.imports).unwrap();
    imports.bind(&mut store, &instance).unwrap();
    let mem = instance.exports.get_memory("memory").unwrap();
    assert!(mem.ty(&store).shared);
    let base = mem.view(&store).data_ptr() as usize;
    // The initial bytes: 256 x 'a' at 1024, "file-aaaa" at 2048.
    unsafe {
        std::ptr::write_bytes((base + 1024) as *mut u8, b'a', 256);
        std::ptr::copy_nonoverlapping(b"file-aaaa".as_ptr(), (base + 2048) as *mut u8, 9);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let scribbler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut v = b'a';
            while !stop.load(Ordering::Relaxed) {
                v = if v == b'a' { b'b' } else { b'a' };
                for i in (1024..1280).chain(2053..2057) {
                    // SAFETY: inside the one page of the shared memory, which lives until
                    // the instance is dropped after this thread is joined. Volatile byte
                    // stores: what another wasm thread's plain stores would be.
                    unsafe { std::ptr::write_volatile((base + i) as *mut u8, v) };
                }
            }
        })
    };
    let start = instance.exports.get_function("_start").unwrap();
    let res = start.call(&mut store, &[]);
    stop.store(true, Ordering::Relaxed);
    scribbler.join().unwrap();
    assert!(res.is_ok(), "{res:?}");
    let out = r.take_all();
    assert_eq!(out.len(), 2000 * 256);
    assert!(out.iter().all(|b| *b == b'a' || *b == b'b'));
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let tail = name
            .strip_prefix("file-")
            .unwrap_or_else(|| panic!("{name}"));
        assert!(
            tail.len() == 4 && tail.bytes().all(|b| b == b'a' || b == b'b'),
            "{name}"
        );
    }
}
