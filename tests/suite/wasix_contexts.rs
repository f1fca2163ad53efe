//! WASIX contexts (`context_create` / `context_switch` / `context_destroy`, wasix-libc's
//! `wasix/context.h`): our C guest `tests/guests/wasix/contexts/contexts.c`, built with
//! wasix-libc and `wasm-opt --asyncify` (what contexts need here), one mode per test; WAT
//! modules for the errnos of bad arguments under both WASIX namespaces; and the cases where
//! wasmer-wasix (0.704.2, whose contexts need an async engine) answers differently, which
//! the compat-matrix lists (`contexts:` in `WASIX_RUNTIME_DIFFERENCES`). Each test asserts
//! one exact outcome.

use crate::common;

use common::{build_wasix_c, build_wat, show, skip_without_wasix_libc, Engine, Run, WASIX_REV};
use std::path::PathBuf;
use std::time::Duration;

macro_rules! skip_unless_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

const TIMEOUT: Duration = Duration::from_secs(30);

/// The guest, asyncified or (for `notsup`) not.
fn guest(asyncify: bool) -> PathBuf {
    let extra: &[&str] = if asyncify { &["--asyncify"] } else { &[] };
    build_wasix_c(
        &["tests/guests/wasix/contexts/contexts.c"],
        extra,
        WASIX_REV,
    )
}

/// `run` on `engine`: exactly this exit status, stdout and stderr.
fn check(run: Run, engine: Engine, code: i32, stdout: &str, stderr: &str) {
    let out = run.engine(engine).timeout(TIMEOUT).run();
    assert!(!out.timed_out, "{engine:?} timed out\n{}", show(&out));
    assert_eq!(
        (
            out.code,
            out.stdout_str().as_str(),
            out.stderr_str().as_str()
        ),
        (Some(code), stdout, stderr),
        "{engine:?}\n{}",
        show(&out)
    );
}

/// Mode `mode` of the asyncified guest on our engine.
fn expect(mode: &str, code: i32, stdout: &str, stderr: &str) {
    check(
        Run::new(guest(true)).arg(mode),
        Engine::Ours,
        code,
        stdout,
        stderr,
    );
}

#[test]
fn ping_pong_between_main_and_two_contexts() {
    skip_unless_wasix_libc!("ping_pong_between_main_and_two_contexts");
    expect(
        "pingpong",
        0,
        "main0\nA0\nB0\nmain1\nA1\nB1\nmain2\nA2\nB2\nend\n",
        "",
    );
}

/// The context switches straight back to main and counts each later resumption: five
/// switches from main, four resumptions.
#[test]
fn main_switches_to_a_context_five_times() {
    skip_unless_wasix_libc!("main_switches_to_a_context_five_times");
    expect("counter", 0, "counter=4\n", "");
}

/// Ids count from 1; the main context is 0.
#[test]
fn three_contexts_each_entered_once_in_order() {
    skip_unless_wasix_libc!("three_contexts_each_entered_once_in_order");
    expect("three", 0, "one\ntwo\nthree\nids 1 2 3 main 0\n", "");
}

#[test]
fn switch_to_a_deleted_or_unknown_context_is_einval() {
    skip_unless_wasix_libc!("switch_to_a_deleted_or_unknown_context_is_einval");
    expect(
        "deleted",
        0,
        "destroy=0\nswitch to deleted=-1 errno=28\nswitch to unknown=-1 errno=28\n\
         switch to self=0\n",
        "",
    );
}

/// Destroying main or the active context is EINVAL (from main and from a context);
/// destroying a deleted, never-run or unknown context is 0.
#[test]
fn destroy_main_or_self_is_einval_destroy_twice_is_0() {
    skip_unless_wasix_libc!("destroy_main_or_self_is_einval_destroy_twice_is_0");
    expect(
        "destroy",
        0,
        "destroy main=-1 errno=28\ndestroy self=-1 errno=28\n\
         destroy main from a context=-1 errno=28\nswitch to self=0\ndestroy never run=0\n\
         destroy twice=0\ndestroy after run=0\ndestroy unknown=0\n",
        "",
    );
}

/// An entrypoint that returns resumes main with a trap: the run ends with 134.
#[test]
fn an_entrypoint_that_returns_traps_the_run() {
    skip_unless_wasix_libc!("an_entrypoint_that_returns_traps_the_run");
    expect(
        "returns",
        134,
        "entry returns\n",
        "wasix-compat: guest trapped: the entrypoint of WASIX context 1 returned (a context \
         entrypoint must not return)\n",
    );
}

/// A trap in a context is the run's trap (its message names the guest function, whose
/// index depends on the build: the line is compared up to it).
#[test]
fn a_trap_in_a_context_traps_the_run() {
    skip_unless_wasix_libc!("a_trap_in_a_context_traps_the_run");
    let out = Run::new(guest(true)).arg("traps").timeout(TIMEOUT).run();
    let line = out.stderr_str();
    let line = line.split(" (in func[").next().unwrap_or("").to_string();
    assert_eq!(
        (out.code, out.stdout_str().as_str(), line.as_str()),
        (
            Some(134),
            "entry traps\n",
            "wasix-compat: guest trapped: unreachable"
        ),
        "{}",
        show(&out)
    );
}

/// exit() in a context ends the process with its status (stdio flushed).
#[test]
fn exit_in_a_context_ends_the_process() {
    skip_unless_wasix_libc!("exit_in_a_context_ends_the_process");
    expect("exit", 3, "exit from a context\n", "");
}

/// fork() from a context other than main is ENOTSUP (58), as in wasmer-wasix.
#[test]
fn fork_in_a_context_is_enotsup() {
    skip_unless_wasix_libc!("fork_in_a_context_is_enotsup");
    expect("fork", 0, "fork in a context=-1 errno=58\n", "");
}

/// Two contexts fill 2 KiB local arrays in 17 nested frames each, print with printf at the
/// bottom and switch away while all of them are live; each finds its data intact when
/// resumed (the sums are those of the unclobbered pattern), and so does main's 4 KiB array:
/// each context has a shadow stack of its own.
#[test]
fn deep_frames_of_contexts_keep_their_data_across_switches() {
    skip_unless_wasix_libc!("deep_frames_of_contexts_keep_their_data_across_switches");
    expect(
        "stacks",
        0,
        "ctx1 at the bottom\nctx2 at the bottom\nmain between\nctx1 back: ctx1 at the bottom\n\
         ctx1 sum=3179\nctx2 back: ctx2 at the bottom\nctx2 sum=2938\nmain's stack intact\n",
        "",
    );
}

/// setjmp in a context, a switch to main and back, then longjmp in the context: it lands
/// at its own setjmp with its locals as they were.
#[test]
fn setjmp_and_longjmp_inside_a_context() {
    skip_unless_wasix_libc!("setjmp_and_longjmp_inside_a_context");
    expect(
        "setjmp",
        0,
        "main\nctx resumed, longjmp\nctx back at its setjmp n=2\nmain end\n",
        "",
    );
}

/// Without asyncify exports there are no contexts: all three are ENOTSUP (58).
#[test]
fn a_module_without_asyncify_gets_enotsup() {
    skip_unless_wasix_libc!("a_module_without_asyncify_gets_enotsup");
    check(
        Run::new(guest(false)).arg("notsup"),
        Engine::Ours,
        0,
        "create=-1 errno=58\nswitch=-1 errno=58\ndestroy=-1 errno=58\n",
        "",
    );
}

// ---- wasmer-wasix ----

/// The asyncified guest on wasmer-wasix: `context_create` is ENOTSUP there (its contexts
/// need an engine with async support, which its default engine lacks), so the program
/// stops at its first create ("contexts:asyncified" in the compat-matrix).
#[test]
fn wasmer_wasix_has_no_contexts_here() {
    skip_unless_wasix_libc!("wasmer_wasix_has_no_contexts_here");
    check(
        Run::new(guest(true)).arg("pingpong"),
        Engine::WasmerWasix,
        1,
        "create=-1 errno=58\n",
        "",
    );
}

/// Where contexts are unavailable, wasmer-wasix's `context_switch` traps (its async import
/// cannot suspend a synchronous call) instead of returning ENOTSUP
/// ("contexts:switch-unavailable").
#[test]
fn wasmer_wasix_context_switch_traps_where_unavailable() {
    skip_unless_wasix_libc!("wasmer_wasix_context_switch_traps_where_unavailable");
    let out = Run::new(guest(false))
        .arg("notsup")
        .engine(Engine::WasmerWasix)
        .timeout(TIMEOUT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (Some(134), "create=-1 errno=58\n"),
        "{}",
        show(&out)
    );
}

/// The `contexts:` cases the compat-matrix lists are exactly the two above.
#[test]
fn differing_cases_are_listed() {
    use wasix_compat::matrix::differences::WASIX_RUNTIME_DIFFERENCES;
    let listed: Vec<&str> = WASIX_RUNTIME_DIFFERENCES
        .iter()
        .filter_map(|d| d.0.strip_prefix("contexts:"))
        .collect();
    assert_eq!(listed, ["asyncified", "switch-unavailable"]);
}

// ---- bad arguments (WAT) ----

/// A module with the asyncify exports (stubs: no check below unwinds), `__stack_pointer`
/// and a function table it does not export (the host exports it before compiling):
/// entry 1 is `() -> ()`, entry 2 `(i32) -> ()`, entry 3 `() -> i32`, entry 0 is null.
/// `$eq` exits with `id` unless `got == want`; the run exits 0 when all hold.
fn bad_args_module(ns: &str, ptr: &str) -> String {
    format!(
        r#"(module
  (import "{ns}" "context_create" (func $create (param {ptr} i32) (result i32)))
  (import "{ns}" "context_switch" (func $switch (param i64) (result i32)))
  (import "{ns}" "context_destroy" (func $destroy (param i64) (result i32)))
  (import "{ns}" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global (export "__stack_pointer") (mut i32) (i32.const 65536))
  (func (export "asyncify_start_unwind") (param i32))
  (func (export "asyncify_stop_unwind"))
  (func (export "asyncify_start_rewind") (param i32))
  (func (export "asyncify_stop_rewind"))
  (table 4 funcref)
  (elem (i32.const 1) $good $takes $gives)
  (func $good)
  (func $takes (param i32))
  (func $gives (result i32) (i32.const 1))
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func (export "_start")
    ;; the id* past the end of memory: memviolation (78)
    (call $eq (i32.const 1) (call $create ({ptr}.const 65532) (i32.const 1)) (i32.const 78))
    (call $eq (i32.const 2) (call $create ({ptr}.const -1) (i32.const 1)) (i32.const 78))
    ;; past the table, a null entry, a parameter, a result: inval (28)
    (call $eq (i32.const 3) (call $create ({ptr}.const 8) (i32.const 4)) (i32.const 28))
    (call $eq (i32.const 4) (call $create ({ptr}.const 8) (i32.const -1)) (i32.const 28))
    (call $eq (i32.const 5) (call $create ({ptr}.const 8) (i32.const 0)) (i32.const 28))
    (call $eq (i32.const 6) (call $create ({ptr}.const 8) (i32.const 2)) (i32.const 28))
    (call $eq (i32.const 7) (call $create ({ptr}.const 8) (i32.const 3)) (i32.const 28))
    ;; a bad pointer wins over a bad entrypoint; nothing was written
    (call $eq (i32.const 8) (call $create ({ptr}.const 65532) (i32.const 2)) (i32.const 78))
    (call $eq (i32.const 9) (i32.load (i32.const 8)) (i32.const 0))
    ;; a good one: 0, id 1
    (call $eq (i32.const 10) (call $create ({ptr}.const 8) (i32.const 1)) (i32.const 0))
    (call $eq (i32.const 11) (i32.load (i32.const 8)) (i32.const 1))
    ;; switch to self (main) 0, to an unknown id inval; destroy main inval, 1 twice 0
    (call $eq (i32.const 12) (call $switch (i64.const 0)) (i32.const 0))
    (call $eq (i32.const 13) (call $switch (i64.const 2)) (i32.const 28))
    (call $eq (i32.const 14) (call $destroy (i64.const 0)) (i32.const 28))
    (call $eq (i32.const 15) (call $destroy (i64.const 1)) (i32.const 0))
    (call $eq (i32.const 16) (call $destroy (i64.const 1)) (i32.const 0))
    (call $eq (i32.const 17) (call $switch (i64.const 1)) (i32.const 28))
    (call $exit (i32.const 0))))"#
    )
}

#[test]
fn bad_pointer_table_index_and_signature_under_wasix_32v1() {
    let w = build_wat("contexts32", &bad_args_module("wasix_32v1", "i32"));
    check(Run::new(&w), Engine::Ours, 0, "", "");
}

#[test]
fn bad_pointer_table_index_and_signature_under_wasix_64v1() {
    let w = build_wat("contexts64", &bad_args_module("wasix_64v1", "i64"));
    check(Run::new(&w), Engine::Ours, 0, "", "");
}

/// The same module without the asyncify exports: ENOTSUP (58) for everything but a bad
/// pointer (memviolation, 78, checked first as by the other asyncify imports).
#[test]
fn without_asyncify_exports_every_call_is_enotsup() {
    let text = r#"(module
  (import "wasix_32v1" "context_create" (func $create (param i32 i32) (result i32)))
  (import "wasix_32v1" "context_switch" (func $switch (param i64) (result i32)))
  (import "wasix_32v1" "context_destroy" (func $destroy (param i64) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global (export "__stack_pointer") (mut i32) (i32.const 65536))
  (table 2 funcref)
  (elem (i32.const 1) $good)
  (func $good)
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func (export "_start")
    (call $eq (i32.const 1) (call $create (i32.const 65532) (i32.const 1)) (i32.const 78))
    (call $eq (i32.const 2) (call $create (i32.const 8) (i32.const 1)) (i32.const 58))
    (call $eq (i32.const 3) (call $switch (i64.const 1)) (i32.const 58))
    (call $eq (i32.const 4) (call $switch (i64.const 0)) (i32.const 58))
    (call $eq (i32.const 5) (call $destroy (i64.const 1)) (i32.const 58))
    (call $exit (i32.const 0))))"#;
    check(
        Run::new(build_wat("contexts-plain", text)),
        Engine::Ours,
        0,
        "",
        "",
    );
}
