//! `wasix-compat inspect`: the report on programs of the test corpus (WAT, C preview1,
//! wasix-libc current and 2022, asyncified, position-independent, Rust wasip1 /
//! wasip1-threads / wasip2 component, core modules importing WASI 0.2), checked field by
//! field against values written here; bad files exit 2 with one exact line.

use crate::common::{
    bin, build_c, build_rust, build_wasix_c, repo, skip_without_wasix_libc, wat_path, Engine, Run,
    TempDir, WASIX_REV, WASIX_REV_2022,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `inspect --json FILE`, which must succeed, parsed.
fn inspect(file: &Path) -> Value {
    let o = Command::new(bin())
        .args(["inspect", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "inspect {}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("inspect --json prints JSON");
    assert_eq!(v["schema"], "wasix-compat.inspect/1");
    v
}

/// The import `module.name` of a report.
fn import<'a>(v: &'a Value, module: &str, name: &str) -> &'a Value {
    v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["module"] == module && i["name"] == name)
        .unwrap_or_else(|| panic!("no import {module}.{name} in {v:#}"))
}

fn abi_names(v: &Value) -> Vec<String> {
    v["abis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

fn abi<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["abis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no ABI {name} in {v:#}"))
}

fn blocker(v: &Value, import: &str) -> Value {
    v["verdict"]["component"]["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["import"] == import)
        .unwrap_or_else(|| panic!("no blocker {import} in {v:#}"))["nearest"]
        .clone()
}

/// A wasix-libc program of the corpus, current ABI.
fn wasix(source: &str, extra: &[&str]) -> PathBuf {
    build_wasix_c(&[source], extra, WASIX_REV)
}

macro_rules! skip_unless_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

// ---- WAT ----

#[test]
fn inspect_unknown_import_is_missing_and_does_not_run_on_ours() {
    let v = inspect(&wat_path("cli_unknown_import"));
    let i = import(&v, "wasi_snapshot_preview1", "no_such_fn");
    assert_eq!(i["status"], "missing");
    assert_eq!(i["provider"], Value::Null);
    assert_eq!(
        i["reason"],
        "`wasi_snapshot_preview1` has no function `no_such_fn`"
    );
    assert_eq!(
        v["verdict"]["ours"],
        json!({"runs": false, "summary": "does not run on ours",
               "reasons": ["missing imports: wasi_snapshot_preview1.no_such_fn"]})
    );
    assert_eq!(
        v["verdict"]["component"]["blockers"],
        json!([{"import": "wasi_snapshot_preview1.no_such_fn", "nearest": null}])
    );
    assert_eq!(
        v["counts"],
        json!({"implemented": 1, "implemented-with-difference": 0, "missing": 1})
    );
}

#[test]
fn inspect_wrong_signature_is_missing() {
    let v = inspect(&wat_path("cli_bad_signature"));
    let missing: Vec<&Value> = v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "missing")
        .collect();
    assert_eq!(missing.len(), 1, "{v:#}");
    assert!(
        missing[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("signature differs: ours is ("),
        "{v:#}"
    );
    assert_eq!(v["verdict"]["ours"]["summary"], "does not run on ours");
}

#[test]
fn inspect_2022_threads_wat() {
    let v = inspect(&wat_path("threads_2022"));
    assert_eq!(
        v["abis"],
        json!([{"name": "wasix_32v1", "generation": "2022",
                "evidence": ["thread_spawn/5", "thread_local_create", "thread_local_destroy",
                             "thread_local_set", "thread_local_get"]}])
    );
    assert_eq!(
        v["memory"],
        json!([{"import": "env.memory", "shared": true, "memory64": false,
                "min_pages": 1, "max_pages": 1}])
    );
    let tl = import(&v, "wasix_32v1", "thread_local_create");
    assert_eq!(tl["status"], "implemented");
    assert_eq!(tl["wasmer_wasix"], false);
    assert_eq!(
        import(&v, "env", "memory")["signature"],
        "(memory 1 1 shared)"
    );
    assert_eq!(v["verdict"]["ours"]["summary"], "runs on ours");
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], false);
    assert_eq!(v["verdict"]["wasmer_wasix"]["method"], "import-object");
    assert_eq!(blocker(&v, "wasix_32v1.thread_local_get"), Value::Null);
}

#[test]
fn inspect_wasix64_wat() {
    let v = inspect(&wat_path("wasix64_basic"));
    assert_eq!(abi_names(&v), ["wasix_64v1"]);
    assert_eq!(abi(&v, "wasix_64v1")["generation"], "unknown");
    assert_eq!(
        import(&v, "wasix_64v1", "fd_write")["signature"],
        "(i32, i64, i64, i64) -> (i32)"
    );
    assert_eq!(v["verdict"]["ours"]["runs"], true);
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], true);
    assert_eq!(blocker(&v, "wasix_64v1.fd_write"), "wasi:filesystem");
}

/// Where inspect says wasmer-wasix does not link an import, wasmer-wasix's own
/// instantiation fails naming that import.
#[test]
fn inspect_wasmer_wasix_verdict_agrees_with_its_linker() {
    let v = inspect(&wat_path("wasix64_fs"));
    assert_eq!(
        v["verdict"]["wasmer_wasix"],
        json!({"runs": false, "summary": "does not run on wasmer-wasix",
               "reasons": ["imports wasmer-wasix does not link: wasix_64v1.sock_accept"],
               "method": "import-object"})
    );
    assert_eq!(
        import(&v, "wasix_64v1", "sock_accept")["status"],
        "implemented-with-difference"
    );
    let out = Run::new(wat_path("wasix64_fs"))
        .engine(Engine::WasmerWasix)
        .flag("--preopens-only")
        .run();
    assert!(
        out.stderr_str().contains(
            r#"Error while importing "wasix_64v1"."sock_accept": incompatible import type"#
        ),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn inspect_bad_start_runs_nowhere() {
    let v = inspect(&wat_path("cli_bad_start"));
    assert_eq!(v["exports"]["_start"], true);
    assert_eq!(v["entry"], Value::Null);
    assert_eq!(v["verdict"]["ours"]["runs"], false);
    assert_eq!(
        v["verdict"]["wasmer_wasix"]["reasons"],
        json!(["no `_start` export of type () -> ()"])
    );
}

#[test]
fn inspect_wasi_threads_wat_is_not_taken_for_2022() {
    let v = inspect(&wat_path("threads_atomics_interop"));
    assert_eq!(abi_names(&v), ["wasix_32v1", "wasi"]);
    assert_eq!(abi(&v, "wasix_32v1")["generation"], "unknown");
}

#[test]
fn inspect_wasi_unstable_wat() {
    let v = inspect(&wat_path("unstable_seek"));
    assert_eq!(abi_names(&v), ["wasi_unstable"]);
    assert_eq!(
        import(&v, "wasi_unstable", "fd_seek")["status"],
        "implemented"
    );
    assert_eq!(
        v["verdict"]["wasmer_wasix"]["summary"],
        "runs on wasmer-wasix"
    );
    assert_eq!(v["verdict"]["component"]["wrappable"], false);
    assert_eq!(blocker(&v, "wasi_unstable.fd_seek"), "wasi:filesystem");
}

#[test]
fn inspect_reactor_has_no_entry_point() {
    let v = inspect(&wat_path("cli_reactor"));
    assert_eq!(v["entry"], Value::Null);
    assert_eq!(v["exports"]["_start"], false);
    assert_eq!(v["verdict"]["ours"]["runs"], false);
}

/// The text output of one small module, exactly.
#[test]
fn inspect_text_output_of_a_small_module() {
    let dir = TempDir::new("inspect-text");
    std::fs::copy(wat_path("cli_exit"), dir.path().join("exit.wat")).unwrap();
    let o = Command::new(bin())
        .args(["inspect", "exit.wat"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8(o.stdout).unwrap(), TEXT_EXIT);
}

const TEXT_EXIT: &str = "\
file          exit.wat
kind          module
abis          wasi_snapshot_preview1
memory        defined: 1 page, max none, 32-bit, unshared
asyncify      no (fork, setjmp and contexts unavailable)
pic           no
exports       _start
absent        _initialize, wasi_thread_start, __wasm_signal, __wasm_call_ctors, cabi_realloc, wasi:cli/run@0.2.x#run
entry         _start
ours          runs on ours
wasmer-wasix  runs on wasmer-wasix
component     can be wrapped as a component
imports (3: 3 implemented, 0 implemented-with-difference, 0 missing)
  wasi_snapshot_preview1  args_sizes_get  (i32, i32) -> (i32)  implemented
  wasi_snapshot_preview1  args_get        (i32, i32) -> (i32)  implemented
  wasi_snapshot_preview1  proc_exit       (i32) -> ()          implemented
";

// ---- bad files ----

fn bad(file: &Path) -> (i32, String, String) {
    let o = Command::new(bin())
        .args(["inspect", "--json"])
        .arg(file)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn inspect_not_wasm_exits_2() {
    let dir = TempDir::new("inspect-bad");
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "hello, not wasm\n").unwrap();
    assert_eq!(
        bad(&f),
        (
            2,
            String::new(),
            format!(
                "wasix-compat: {}: not a WebAssembly module or component (no `\\0asm` header, not WAT)\n",
                f.display()
            )
        )
    );
}

#[test]
fn inspect_truncated_wasm_exits_2() {
    let dir = TempDir::new("inspect-trunc");
    let f = dir.path().join("cut.wasm");
    let full = wat::parse_file(wat_path("cli_exit")).unwrap();
    std::fs::write(&f, &full[..40]).unwrap();
    let (code, out, err) = bad(&f);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!(
            "wasix-compat: {}: invalid WebAssembly: unexpected end-of-file (at offset 0x1a)\n",
            f.display()
        )
    );
}

#[test]
fn inspect_unreadable_file_exits_2() {
    let f = repo().join("target/no-such-file.wasm");
    assert_eq!(
        bad(&f),
        (
            2,
            String::new(),
            format!(
                "wasix-compat: {}: cannot read: No such file or directory (os error 2)\n",
                f.display()
            )
        )
    );
}

#[test]
fn inspect_invalid_wat_exits_2() {
    let dir = TempDir::new("inspect-badwat");
    let f = dir.path().join("broken.wat");
    std::fs::write(&f, "(module (func $f (result i32)))\n").unwrap();
    let (code, out, err) = bad(&f);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "wasix-compat: {}: invalid WebAssembly: ",
            f.display()
        )),
        "{err}"
    );
}

// ---- C preview1 ----

#[test]
fn inspect_c_preview1_program() {
    let v = inspect(&build_c(&["tests/guests/c/p1_fd_io.c"], &[]));
    assert_eq!(abi_names(&v), ["wasi_snapshot_preview1"]);
    assert_eq!(v["memory"][0]["import"], Value::Null);
    assert_eq!(v["memory"][0]["shared"], false);
    assert_eq!(v["memory"][0]["memory64"], false);
    assert_eq!(v["asyncify"]["asyncified"], false);
    assert_eq!(v["pic"], Value::Null);
    let adv = import(&v, "wasi_snapshot_preview1", "fd_advise");
    assert_eq!(adv["status"], "implemented-with-difference");
    assert_eq!(adv["differences"][0]["table"], "KNOWN_DIFFERENCES");
    assert_eq!(
        adv["differences"][0]["text"],
        "`fd_advise.bad_advice`: ours inval; wasmer-wasix success"
    );
    assert_eq!(v["entry"], "_start");
    assert_eq!(v["verdict"]["ours"]["summary"], "runs on ours");
    assert_eq!(
        v["verdict"]["wasmer_wasix"]["summary"],
        "runs on wasmer-wasix"
    );
    assert_eq!(
        v["verdict"]["component"],
        json!({"wrappable": true, "summary": "can be wrapped as a component",
               "reasons": [], "blockers": []})
    );
}

#[test]
fn inspect_c_module_importing_preview1_and_wasi_p2() {
    let v = inspect(&build_c(&["tests/guests/c/mixed_p1_p2.c"], &[]));
    let names = abi_names(&v);
    assert_eq!(names[0], "wasi_snapshot_preview1");
    assert!(names[1].starts_with("wasi:*@0.2."), "{names:?}");
    let p2: Vec<&Value> = v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["module"].as_str().unwrap().starts_with("wasi:"))
        .collect();
    assert!(!p2.is_empty());
    assert!(p2
        .iter()
        .all(|i| i["provider"] == "wasi-0.2" && i["wasmer_wasix"] == false));
    assert_eq!(v["verdict"]["ours"]["runs"], true);
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], false);
}

// ---- core modules importing WASI 0.2 directly ----

#[test]
fn inspect_core_module_with_wasi_p2_imports() {
    let v = inspect(&repo().join("tests/guests/p2/core_streams.wat"));
    assert_eq!(abi_names(&v), ["wasi:*@0.2.0"]);
    assert_eq!(v["counts"]["missing"], 0);
    assert_eq!(v["verdict"]["ours"]["summary"], "runs on ours");
    assert_eq!(
        v["verdict"]["wasmer_wasix"]["summary"],
        "does not run on wasmer-wasix"
    );
}

#[test]
fn inspect_core_module_with_an_unknown_wasi_p2_import() {
    let v = inspect(&repo().join("tests/guests/p2/core_unknown_import.wat"));
    assert_eq!(v["counts"]["missing"], 1);
    assert_eq!(v["verdict"]["ours"]["summary"], "does not run on ours");
}

// ---- Rust ----

#[test]
fn inspect_rust_wasip1_program() {
    let v = inspect(&build_rust("tests/guests/p2/hello.rs", "wasm32-wasip1"));
    assert_eq!(abi_names(&v), ["wasi_snapshot_preview1"]);
    assert_eq!(v["memory"][0]["shared"], false);
    assert_eq!(v["verdict"]["ours"]["runs"], true);
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], true);
    assert_eq!(v["verdict"]["component"]["wrappable"], true);
}

#[test]
fn inspect_rust_wasip1_threads_program() {
    let v = inspect(&build_rust(
        "tests/guests/rust/threads.rs",
        "wasm32-wasip1-threads",
    ));
    assert_eq!(abi_names(&v), ["wasi_snapshot_preview1", "wasi"]);
    assert_eq!(abi(&v, "wasi")["evidence"], json!(["wasi-threads"]));
    assert_eq!(v["memory"][0]["import"], "env.memory");
    assert_eq!(v["memory"][0]["shared"], true);
    assert_eq!(v["exports"]["wasi_thread_start"], true);
    assert_eq!(
        import(&v, "wasi", "thread-spawn")["status"],
        "implemented-with-difference"
    );
    assert_eq!(v["verdict"]["ours"]["runs"], true);
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], true);
    assert_eq!(blocker(&v, "wasi.thread-spawn"), Value::Null);
}

#[test]
fn inspect_rust_wasip2_component() {
    let v = inspect(&build_rust("tests/guests/p2/hello.rs", "wasm32-wasip2"));
    assert_eq!(v["kind"], "component");
    let names = abi_names(&v);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("wasi:*@0.2."), "{names:?}");
    assert!(abi(&v, &names[0])["evidence"]
        .as_array()
        .unwrap()
        .contains(&json!("wasi:cli/stdout")));
    assert_eq!(v["exports"]["wasi:cli/run@0.2.x#run"], true);
    assert!(v["entry"]
        .as_str()
        .unwrap()
        .starts_with("wasi:cli/run@0.2."));
    assert_eq!(v["counts"]["missing"], 0);
    assert_eq!(v["verdict"]["ours"]["summary"], "runs on ours");
    assert_eq!(
        v["verdict"]["wasmer_wasix"]["reasons"],
        json!(["wasmer-wasix 0.704 runs core modules, not components"])
    );
    assert_eq!(v["verdict"]["component"]["summary"], "already a component");
}

// ---- wasix-libc ----

#[test]
fn inspect_wasix_libc_hello() {
    skip_unless_wasix_libc!("inspect_wasix_libc_hello");
    let v = inspect(&wasix("tests/guests/wasix/hello.c", &[]));
    assert_eq!(abi_names(&v), ["wasi_snapshot_preview1", "wasix_32v1"]);
    assert_eq!(
        abi(&v, "wasix_32v1")["evidence"],
        json!(["proc_exit2", "proc_signals_get", "proc_signals_sizes_get"])
    );
    assert_eq!(abi(&v, "wasix_32v1")["generation"], "current");
    assert_eq!(v["memory"][0]["import"], "env.memory");
    assert_eq!(v["memory"][0]["shared"], true);
    assert_eq!(v["memory"][0]["max_pages"], 65536);
    assert_eq!(v["asyncify"]["asyncified"], false);
    assert_eq!(v["exports"]["__wasm_signal"], true);
    assert_eq!(v["exports"]["__wasm_call_ctors"], true);
    assert_eq!(
        import(&v, "wasix_32v1", "callback_signal")["status"],
        "implemented"
    );
    assert_eq!(
        import(&v, "wasix_32v1", "thread_signal")["status"],
        "implemented-with-difference"
    );
    assert_eq!(v["verdict"]["ours"]["runs"], true);
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], true);
    assert_eq!(v["verdict"]["component"]["wrappable"], false);
    assert_eq!(blocker(&v, "wasix_32v1.futex_wait"), Value::Null);
    assert_eq!(blocker(&v, "wasix_32v1.proc_exit2"), "wasi:cli/exit");
}

#[test]
fn inspect_asyncified_fork_program() {
    skip_unless_wasix_libc!("inspect_asyncified_fork_program");
    let v = inspect(&wasix(
        "tests/guests/wasix/procs/fork_wait.c",
        &["--asyncify"],
    ));
    assert_eq!(
        v["asyncify"],
        json!({"asyncified": true, "fork": true, "setjmp": true, "contexts": true})
    );
    let fork = import(&v, "wasix_32v1", "proc_fork");
    assert_eq!(fork["status"], "implemented-with-difference");
    assert_eq!(fork["differences"][0]["table"], "DOCUMENTED");
    assert_eq!(abi(&v, "wasix_32v1")["generation"], "current");
    assert_eq!(blocker(&v, "wasix_32v1.proc_fork"), Value::Null);
}

#[test]
fn inspect_fork_program_without_asyncify() {
    skip_unless_wasix_libc!("inspect_fork_program_without_asyncify");
    let v = inspect(&wasix("tests/guests/wasix/procs/fork_wait.c", &[]));
    assert_eq!(
        v["asyncify"],
        json!({"asyncified": false, "fork": false, "setjmp": false, "contexts": false})
    );
}

#[test]
fn inspect_2022_wasix_libc_program() {
    skip_unless_wasix_libc!("inspect_2022_wasix_libc_program");
    let v = inspect(&build_wasix_c(
        &["tests/guests/wasix/hello.c"],
        &[],
        WASIX_REV_2022,
    ));
    assert_eq!(abi_names(&v), ["wasix_32v1"]);
    assert_eq!(
        abi(&v, "wasix_32v1"),
        &json!({"name": "wasix_32v1", "generation": "2022",
                "evidence": ["preview1 functions imported from wasix_32v1"]})
    );
    assert_eq!(v["verdict"]["ours"]["runs"], true);
    assert_eq!(v["verdict"]["wasmer_wasix"]["runs"], true);
    assert_eq!(blocker(&v, "wasix_32v1.fd_write"), "wasi:filesystem");
}

/// Position-independent modules of `scripts/wasix-pic.sh` (a PIC wasix-libc), built into
/// target/guests/inspect-pic/ as `out`.
fn pic(kind: &str, source: &str, out: &str, libs: &[&str]) -> PathBuf {
    let dir = crate::common::guest_out_dir().join("inspect-pic");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(out);
    let st = Command::new("bash")
        .arg(repo().join("scripts/wasix-pic.sh"))
        .arg(kind)
        .arg("-o")
        .arg(&out)
        .arg(repo().join(source))
        .arg(format!("-L{}", dir.display()))
        .args(libs)
        .status()
        .unwrap();
    assert!(st.success(), "wasix-pic.sh {kind} {source}");
    out
}

#[test]
fn inspect_pic_main_and_side_modules() {
    skip_unless_wasix_libc!("inspect_pic_main_and_side_modules");
    let main = inspect(&pic(
        "main",
        "tests/guests/wasix/dl/dl_main.c",
        "dl_main.wasm",
        &[],
    ));
    assert_eq!(main["pic"]["role"], "main");
    assert_eq!(main["pic"]["needed"], json!([]));
    assert_eq!(main["verdict"]["ours"]["runs"], true);
    assert_eq!(
        main["verdict"]["component"]["reasons"][2],
        "position-independent (dylink.0): components are not dynamically linked"
    );
    let side = inspect(&pic(
        "side",
        "tests/guests/wasix/dl/side_a.c",
        "liba.so",
        &[],
    ));
    assert_eq!(side["pic"]["role"], "side");
    assert_eq!(side["entry"], Value::Null);
    assert_eq!(
        side["verdict"]["ours"]["reasons"],
        json!(["a side module (linked -shared): loaded by a main module's dlopen, not run"])
    );
}

#[test]
fn inspect_pic_side_module_names_its_needed_libraries() {
    skip_unless_wasix_libc!("inspect_pic_side_module_names_its_needed_libraries");
    pic(
        "side",
        "tests/guests/wasix/dl/side_base.c",
        "libbase.so",
        &[],
    );
    let b = inspect(&pic(
        "side",
        "tests/guests/wasix/dl/side_b.c",
        "libb.so",
        &["-lbase"],
    ));
    assert_eq!(b["pic"]["role"], "side");
    assert_eq!(b["pic"]["needed"], json!(["libbase.so"]));
    assert_eq!(b["abis"], json!([]));
    assert!(b["imports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] != "memory")
        .all(|i| i["provider"] == "dynamic-linker"));
}

/// docs/inspect.md's JSON example is this build's output, byte for byte.
#[test]
fn inspect_docs_example_is_current() {
    let doc = std::fs::read_to_string(repo().join("docs/inspect.md")).unwrap();
    let start = doc.find("```json\n").expect("a ```json block") + "```json\n".len();
    let end = start + doc[start..].find("```\n").unwrap();
    let o = Command::new(bin())
        .args(["inspect", "--json", "tests/guests/wat/threads_2022.wat"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(&doc[start..end], String::from_utf8(o.stdout).unwrap());
}
