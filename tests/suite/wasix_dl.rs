//! Dynamic linking (issue 16): a position-independent main module (`-fPIC -Wl,-pie`, built
//! with a PIC wasix-libc by `scripts/wasix-pic.sh`) `dlopen`s side modules (`-shared`) from
//! `/lib`; they share its data, call back into it, need other side modules, and are seen by
//! every thread. Each scenario is one run of `tests/guests/wasix/dl/dl_main.c` with exact
//! stdout, on our engine and on wasmer-wasix (whose differences are listed in the matrix as
//! `dl:` cases).

use crate::common;

use common::{
    build_wasix_c, build_wasix_pic, engine_from_env, show, skip_without_wasix_libc, Engine, Run,
    TempDir, WASIX_REV,
};
use std::time::Duration;

const DIR: &str = "tests/guests/wasix/dl";

/// `/lib` as the guest sees it: liba.so, libb.so (needs libbase.so), libbase.so,
/// libundef.so (imports a function nobody defines), a text file, a plain module and the
/// main program itself (for exec).
fn lib_dir() -> TempDir {
    let side = |name: &str, needs: &[(&str, &std::path::Path)]| {
        build_wasix_pic("side", &[&format!("{DIR}/side_{name}.c")], needs)
    };
    let base = side("base", &[]);
    let d = TempDir::new("dl-lib");
    std::fs::copy(side("a", &[]), d.path().join("liba.so")).unwrap();
    std::fs::copy(&base, d.path().join("libbase.so")).unwrap();
    std::fs::copy(side("b", &[("base", &base)]), d.path().join("libb.so")).unwrap();
    std::fs::copy(side("undef", &[]), d.path().join("libundef.so")).unwrap();
    // Needs libgone.so, which is not installed.
    std::fs::copy(
        side("needsgone", &[("gone", &base)]),
        d.path().join("libneedsgone.so"),
    )
    .unwrap();
    std::fs::write(d.path().join("notwasm.so"), "hi\n").unwrap();
    let plain = build_wasix_c(&["tests/guests/wasix/hello.c"], &[], WASIX_REV);
    std::fs::copy(plain, d.path().join("plain.wasm")).unwrap();
    let main = build_wasix_pic("main", &[&format!("{DIR}/dl_main.c")], &[]);
    std::fs::copy(main, d.path().join("dl_main.wasm")).unwrap();
    d
}

/// Runs scenario `what` on engine `e`; returns (status, stdout).
fn scenario(e: Engine, what: &str) -> (Option<i32>, String) {
    let main = build_wasix_pic("main", &[&format!("{DIR}/dl_main.c")], &[]);
    let lib = lib_dir();
    let out = Run::new(&main)
        .engine(e)
        .dir(lib.path(), "/lib")
        .arg(what)
        .timeout(Duration::from_secs(60))
        .run();
    assert!(!out.timed_out, "{e:?} timed out\n{}", show(&out));
    (out.code, out.stdout_str())
}

fn on_each(what: &str, ours: &str, wasmer: &str) {
    if engine_from_env() == Engine::Ours {
        assert_eq!(
            scenario(Engine::Ours, what),
            (Some(0), ours.to_string()),
            "ours"
        );
    }
    assert_eq!(
        scenario(Engine::WasmerWasix, what),
        (Some(0), wasmer.to_string()),
        "wasmer-wasix"
    );
}

macro_rules! skip_unless_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

/// The "two" scenario's stdout on (ours, wasmer-wasix). wasmer-wasix: a function's pointer
/// from dlsym or a side module's GOT differs from the main module's own
/// (dl:pointer-identity), a data symbol of a needed library read through its dependant's
/// handle is 0 (dl:needed-data), and an RTLD_LOCAL module's symbols are found by
/// RTLD_DEFAULT (dl:local-scope).
fn two_stdout() -> (String, String) {
    let head = "liba constructor (counter 40)\na_add(main_twice, 5) = 17\nshared_counter = 41\n\
                b_sum() = 42\nshared_counter = 141\n*a_value = 7\n";
    let tail =
        "dlopen(liba) again same handle: 1\ngreeting via a: hello from main\ndlclose(a) = 0\n";
    (
        format!(
            "{head}dlsym(main_twice) == &main_twice: 1\ndlsym(a, a_add) twice equal: 1\n\
             a_self() == a_add: 1\ndlsym(b, base_value) = 21\ndefault finds a_add: 1, b_sum: 0\n{tail}"
        ),
        format!(
            "{head}dlsym(main_twice) == &main_twice: 0\ndlsym(a, a_add) twice equal: 1\n\
             a_self() == a_add: 0\ndlsym(b, base_value) = 0\ndefault finds a_add: 1, b_sum: 1\n{tail}"
        ),
    )
}

#[test]
fn side_modules_share_data_call_back_and_need_others() {
    skip_unless_wasix_libc!("side_modules_share_data_call_back_and_need_others");
    let (ours, wasmer) = two_stdout();
    on_each("two", &ours, &wasmer);
}

/// exec of a dynamically linked program (the shell case): the new image lays itself out
/// and loads its side modules afresh.
#[test]
fn an_exec_d_dynamic_program_links_again() {
    skip_unless_wasix_libc!("an_exec_d_dynamic_program_links_again");
    let (ours, wasmer) = two_stdout();
    on_each(
        "exec",
        &format!("before exec\n{ours}"),
        &format!("before exec\n{wasmer}"),
    );
}

#[test]
fn failures_are_told_by_dlerror() {
    skip_unless_wasix_libc!("failures_are_told_by_dlerror");
    // wasmer-wasix: its own messages (dl:messages), RTLD_NOLOAD loads (dl:noload),
    // dlopen(NULL) gives no handle on the main module (dl:main-handle), RTLD_NOW accepts
    // an undefined import (dl:rtld-now).
    on_each(
        "errors",
        "missing: 0 libnope.so: cannot open shared object file: No such file or directory\n\
         not wasm: 0 /lib/notwasm.so: not a WebAssembly module\n\
         not side: 0 /lib/plain.wasm: not a side module (no dylink.0 section: link it with -shared)\n\
         noload: 0 /lib/liba.so: not loaded (RTLD_NOLOAD)\n\
         liba constructor (counter 40)\n\
         unknown symbol: 0 symbol not found: nope\n\
         dlclose(bogus) = -1 Invalid dl handle\n\
         dlopen(NULL) is main: 1\n\
         undefined import: 0 /lib/libundef.so: undefined symbol: no_such_function\n\
         missing needed: 0 libgone.so: cannot open shared object file: No such file or directory \
         (needed by /lib/libneedsgone.so)\n",
        "missing: 0 failed to load module: Failed to find shared library libnope.so: \n    \
         libnope.so: entry not found\n    /lib/libnope.so: entry not found\n    \
         /usr/lib/libnope.so: entry not found\n    /usr/local/lib/libnope.so: entry not found\n\
         not wasm: 0 failed to load module: Failed to spawn module: compile error: \
         Wasm(Generic(\"Error when converting wat: expected `(`\\n     --> <anon>:1:1\\n      |\\n    \
         1 | hi\\n      | ^\"))\n\
         not side: 0 failed to load module: Module is not a dynamic library\n\
         liba constructor (counter 40)\n\
         noload: 0x2 (null)\n\
         unknown symbol: 0 failed to resolve symbol: Missing export\n\
         dlclose(bogus) = -1 Invalid dl handle\n\
         dlopen(NULL) is main: 0\n\
         undefined import: 0x3 (null)\n\
         missing needed: 0 failed to load module: Failed to find shared library libgone.so: \n    \
         libgone.so: entry not found\n    /lib/libgone.so: entry not found\n    \
         /usr/lib/libgone.so: entry not found\n    /usr/local/lib/libgone.so: entry not found\n",
    );
}

#[test]
fn a_module_loaded_on_one_thread_works_on_every_thread() {
    skip_unless_wasix_libc!("a_module_loaded_on_one_thread_works_on_every_thread");
    let want = "liba constructor (counter 40)\nmain calls a_add = 11\nthread calls a_add = 9\n\
                main calls b_sum = 42\n";
    on_each("threads", want, want);
}

#[test]
fn bad_arguments_give_exact_errnos() {
    skip_unless_wasix_libc!("bad_arguments_give_exact_errnos");
    // wasmer-wasix: unknown flag bits are accepted (and the module loaded), a failed lookup
    // is errno 79 (`unknown`) where ours says what failed (dl:errnos), and the main
    // module's handle is not valid for dlclose (dl:main-handle).
    on_each(
        "bad",
        "unknown flag: 28\nliba constructor (counter 40)\nbad out ptr: 78\nbad err buf: 78\n\
         zero err buf: 44 untouched=1\nshort err buf: 44 \"libn\"\nbad handle: 28\n\
         dl_invalid_handle(0) = 45\ndl_invalid_handle(1) = 0\n",
        "liba constructor (counter 40)\nunknown flag: 0\nbad out ptr: 78\nbad err buf: 78\n\
         zero err buf: 79 untouched=1\nshort err buf: 79 \"fail\"\nbad handle: 79\n\
         dl_invalid_handle(0) = 45\ndl_invalid_handle(1) = 45\n",
    );
}

/// A module linked without `-pie` has no dynamic linker: every dl import says so, under
/// both namespaces.
#[test]
fn a_static_module_gets_notsup_and_a_message() {
    for (ns, p) in [("wasix_32v1", "i32"), ("wasix_64v1", "i64")] {
        let wat = format!(
            r#"(module
  (import "{ns}" "dlopen" (func $open (param {p} {p} i32 {p} {p} {p} {p} {p}) (result i32)))
  (import "{ns}" "dlsym" (func $sym (param i32 {p} {p} {p} {p} {p}) (result i32)))
  (import "{ns}" "dl_invalid_handle" (func $inv (param i32) (result i32)))
  (import "{ns}" "fd_write" (func $w (param i32 {p} {p} {p}) (result i32)))
  (import "{ns}" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "liba.so")
  (func (export "_start")
    (local $e i32)
    ;; dlopen("liba.so", RTLD_NOW, err=256, 200, NULL, 0, out=64)
    (local.set $e (call $open ({p}.const 16) ({p}.const 7) (i32.const 2) ({p}.const 256)
      ({p}.const 200) ({p}.const 0) ({p}.const 0) ({p}.const 64)))
    (if (i32.ne (local.get $e) (i32.const 58)) (then (call $exit (i32.const 1))))
    (if (i32.ne (call $sym (i32.const 1) ({p}.const 16) ({p}.const 4) ({p}.const 512)
      ({p}.const 0) ({p}.const 64)) (i32.const 58)) (then (call $exit (i32.const 2))))
    (if (i32.ne (call $inv (i32.const 1)) (i32.const 45)) (then (call $exit (i32.const 3))))
    ;; print the message dlopen wrote (its NUL-terminated length found by a scan)
    (local.set $e (i32.const 256))
    (block $end (loop $l
      (br_if $end (i32.eqz (i32.load8_u (local.get $e))))
      (local.set $e (i32.add (local.get $e) (i32.const 1))) (br $l)))
    ({p}.store (i32.const 0) ({p}.const 256))
    ({p}.store (i32.const {len_at}) {len})
    (drop (call $w (i32.const 1) ({p}.const 0) ({p}.const 1) ({p}.const 32))))
)"#,
            len_at = if p == "i64" { 8 } else { 4 },
            len = match p {
                "i64" => "(i64.extend_i32_u (i32.sub (local.get $e) (i32.const 256)))",
                _ => "(i32.sub (local.get $e) (i32.const 256))",
            },
        );
        let d = TempDir::new("dl-static");
        let f = d.path().join("static.wat");
        std::fs::write(&f, wat).unwrap();
        let out = Run::new(&f).run();
        assert_eq!(
            (out.code, out.stdout_str().as_str()),
            (
                Some(0),
                "this module is not dynamically linked (build it with -fPIC -Wl,-pie)"
            ),
            "{ns}\n{}",
            show(&out)
        );
    }
}

/// The `dl:` cases the compat-matrix lists are exactly those the tests above assert.
#[test]
fn differing_cases_are_listed() {
    use wasix_compat::matrix::differences::WASIX_RUNTIME_DIFFERENCES;
    let listed: Vec<&str> = WASIX_RUNTIME_DIFFERENCES
        .iter()
        .filter_map(|d| d.0.strip_prefix("dl:"))
        .collect();
    assert_eq!(
        listed,
        [
            "pointer-identity",
            "needed-data",
            "local-scope",
            "noload",
            "rtld-now",
            "main-handle",
            "errnos",
            "fork",
            "messages"
        ]
    );
}

/// Closures in a dynamically linked program: the slots come from the linker (so a side
/// module loaded later never lands on one) and the trampoline uses the linker's stack
/// pointer. wasmer-wasix gives closures to such programs too: the same output.
#[test]
fn closures_work_in_a_dynamically_linked_program() {
    skip_unless_wasix_libc!("closures_work_in_a_dynamically_linked_program");
    let main = build_wasix_pic("main", &["tests/guests/wasix/closures/closures.c"], &[]);
    let want = "f(1, 2, 3.5) = 18\nf(-10, 10000000000, 0.25) = 29999999970\n\
                after factor -1: f(4, 5, 6.0) = -15\n100000 calls: -100000\nrecursion: -1275\n\
                calls: 100054\ncall_dynamic(closure) = -24\n";
    let engines: &[Engine] = match engine_from_env() {
        Engine::Ours => &[Engine::Ours, Engine::WasmerWasix],
        _ => &[Engine::WasmerWasix],
    };
    for e in engines {
        let out = Run::new(&main).engine(*e).arg("closure").run();
        assert_eq!(
            (out.code, out.stdout_str().as_str()),
            (Some(0), want),
            "{e:?}\n{}",
            show(&out)
        );
    }
}

/// fork of a dynamically linked (asyncified) program: the child's store instantiates the
/// side modules its parent loaded, its stack pointer is rewound with the other globals, and
/// it can load more. wasmer-wasix refuses the fork (ENOTSUP, "fork: Not supported"):
/// listed as dl:fork.
#[test]
fn a_forked_child_keeps_and_extends_its_side_modules() {
    skip_unless_wasix_libc!("a_forked_child_keeps_and_extends_its_side_modules");
    let main = build_wasix_pic("main+asyncify", &[&format!("{DIR}/fork_dl.c")], &[]);
    let lib = lib_dir();
    let run = |e: Engine| {
        let out = Run::new(&main)
            .engine(e)
            .dir(lib.path(), "/lib")
            .timeout(Duration::from_secs(60))
            .run();
        (out.code, out.stdout_str(), out.stderr_str())
    };
    if engine_from_env() == Engine::Ours {
        assert_eq!(
            run(Engine::Ours),
            (
                Some(0),
                "liba constructor (counter 1)\nchild: local 42 add=9\nchild b_sum=42\n\
                 parent: local 42 add=11 child exit 3\n"
                    .to_string(),
                String::new()
            )
        );
    }
    assert_eq!(
        run(Engine::WasmerWasix),
        (
            Some(9),
            "liba constructor (counter 1)\n".to_string(),
            "fork: Not supported\n".to_string()
        )
    );
}
