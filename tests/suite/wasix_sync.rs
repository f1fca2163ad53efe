//! The single-thread semantics of WASIX's thread, futex and signal imports, edge by edge,
//! from WAT guests: exact errnos for bad pointers, unaligned futex words, bad option tags,
//! unknown threads and signals; futex results for mismatch, zero and short timeouts;
//! handlers called back through `callback_signal`; exit codes of `thread_exit`,
//! `proc_exit2` and default signal actions. Each guest checks in order and exits with the
//! number of the first check that failed (0: all passed). Every module runs once with its
//! own exported memory and once importing a shared `env.memory`, as wasix-libc does.

use crate::common;

use common::{build_wat, show, Run};

const IMPORTS: &str = r#"
  (import "wasix_32v1" "futex_wait" (func $fw (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "futex_wake" (func $fk (param i32 i32) (result i32)))
  (import "wasix_32v1" "futex_wake_all" (func $fka (param i32 i32) (result i32)))
  (import "wasix_32v1" "thread_id" (func $tid (param i32) (result i32)))
  (import "wasix_32v1" "thread_signal" (func $ts (param i32 i32) (result i32)))
  (import "wasix_32v1" "thread_sleep" (func $sleep (param i64) (result i32)))
  (import "wasix_32v1" "thread_parallelism" (func $par (param i32) (result i32)))
  (import "wasix_32v1" "thread_exit" (func $texit (param i32)))
  (import "wasix_32v1" "proc_exit2" (func $exit2 (param i32)))
  (import "wasix_32v1" "proc_signals_sizes_get" (func $pss (param i32) (result i32)))
  (import "wasix_32v1" "proc_signals_get" (func $psg (param i32) (result i32)))
  (import "wasix_32v1" "callback_signal" (func $cb (param i32 i32)))
  (import "wasix_32v1" "proc_raise" (func $raise (param i32) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
"#;

/// A module around `body` (the statements of `_start`), with memory of one page either
/// exported or imported shared, the `$eq` check helper, and a signal handler `on_signal`
/// that counts calls in `$handled` and remembers the signal in `$last`.
fn module(name: &str, shared: bool, body: &str) -> std::path::PathBuf {
    let memory = if shared {
        r#"(import "env" "memory" (memory 1 16 shared))"#
    } else {
        r#"(memory (export "memory") 1)"#
    };
    let text = format!(
        r#"(module {IMPORTS}
  {memory}
  (global $handled (mut i32) (i32.const 0))
  (global $last (mut i32) (i32.const 0))
  (func (export "on_signal") (param $s i32)
    (global.set $handled (i32.add (global.get $handled) (i32.const 1)))
    (global.set $last (local.get $s)))
  (data (i32.const 512) "on_signal")
  (data (i32.const 600) "\ff\fe")
  (data (i32.const 640) "no_such_export")
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func $timeout (param $tag i32) (param $ns i64)
    (i32.store8 (i32.const 64) (local.get $tag))
    (i64.store (i32.const 72) (local.get $ns)))
  (func (export "_start") {body}))"#
    );
    build_wat(
        &format!("{name}-{}", if shared { "shared" } else { "own" }),
        &text,
    )
}

fn run_both_memories(name: &str, body: &str, code: i32) {
    for shared in [false, true] {
        let out = Run::new(module(name, shared, body)).run();
        assert_eq!(out.code, Some(code), "shared={shared}\n{}", show(&out));
    }
}

/// futex word at 0 holding 5; option_timestamp at 64; the bool result at 32.
const FUTEX_CHECKS: &str = r#"
    (i32.store (i32.const 0) (i32.const 5))
    ;; the word differs from `expected`: success at once, woken = 1
    (call $timeout (i32.const 0) (i64.const 0))
    (i32.store8 (i32.const 32) (i32.const 0xaa))
    (call $eq (i32.const 1) (call $fw (i32.const 0) (i32.const 4) (i32.const 64) (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 2) (i32.load8_u (i32.const 32)) (i32.const 1))
    ;; a mismatch with the largest timeout also returns at once
    (call $timeout (i32.const 1) (i64.const -1))
    (call $eq (i32.const 3) (call $fw (i32.const 0) (i32.const 4) (i32.const 64) (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 4) (i32.load8_u (i32.const 32)) (i32.const 1))
    ;; timeout 0 with a matching word: success, woken = 0
    (call $timeout (i32.const 1) (i64.const 0))
    (call $eq (i32.const 5) (call $fw (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 6) (i32.load8_u (i32.const 32)) (i32.const 0))
    ;; a 2 ms timeout expires: woken = 0
    (i32.store8 (i32.const 32) (i32.const 0xaa))
    (call $timeout (i32.const 1) (i64.const 2000000))
    (call $eq (i32.const 7) (call $fw (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 8) (i32.load8_u (i32.const 32)) (i32.const 0))
    ;; unaligned word: inval; word out of memory: memviolation
    (call $eq (i32.const 9) (call $fw (i32.const 2) (i32.const 5) (i32.const 64) (i32.const 32)) (i32.const 28))
    (call $eq (i32.const 10) (call $fw (i32.const 65536) (i32.const 5) (i32.const 64) (i32.const 32)) (i32.const 78))
    (call $eq (i32.const 11) (call $fw (i32.const -4) (i32.const 5) (i32.const 64) (i32.const 32)) (i32.const 78))
    ;; timeout tag neither none nor some: inval; timeout or result out of memory: memviolation
    (call $timeout (i32.const 2) (i64.const 0))
    (call $eq (i32.const 12) (call $fw (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 32)) (i32.const 28))
    (call $eq (i32.const 13) (call $fw (i32.const 0) (i32.const 5) (i32.const 65530) (i32.const 32)) (i32.const 78))
    (call $timeout (i32.const 1) (i64.const 0))
    (call $eq (i32.const 14) (call $fw (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 65536)) (i32.const 78))
    ;; wake with nobody waiting: success, 0 woken
    (i32.store8 (i32.const 32) (i32.const 0xaa))
    (call $eq (i32.const 15) (call $fk (i32.const 0) (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 16) (i32.load8_u (i32.const 32)) (i32.const 0))
    (i32.store8 (i32.const 32) (i32.const 0xaa))
    (call $eq (i32.const 17) (call $fka (i32.const 0) (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 18) (i32.load8_u (i32.const 32)) (i32.const 0))
    (call $eq (i32.const 19) (call $fk (i32.const 1) (i32.const 32)) (i32.const 28))
    (call $eq (i32.const 20) (call $fka (i32.const 65536) (i32.const 32)) (i32.const 78))
    (call $eq (i32.const 21) (call $fk (i32.const 0) (i32.const 65536)) (i32.const 78))
"#;

#[test]
fn futex_results_and_errnos() {
    run_both_memories("futex", FUTEX_CHECKS, 0);
}

const THREAD_CHECKS: &str = r#"
    ;; the main thread's id is 1 (the process id), written as a u32
    (i64.store (i32.const 40) (i64.const -1))
    (call $eq (i32.const 1) (call $tid (i32.const 40)) (i32.const 0))
    (call $eq (i32.const 2) (i32.load (i32.const 40)) (i32.const 1))
    (call $eq (i32.const 3) (i32.load (i32.const 44)) (i32.const -1))
    (call $eq (i32.const 4) (call $tid (i32.const 65534)) (i32.const 78))
    ;; one inherited disposition: SIGHUP (1) at default (0), which makes wasix-libc
    ;; set up its default handler
    (i32.store (i32.const 40) (i32.const -1))
    (call $eq (i32.const 5) (call $pss (i32.const 40)) (i32.const 0))
    (call $eq (i32.const 6) (i32.load (i32.const 40)) (i32.const 1))
    (i32.store (i32.const 48) (i32.const -1))
    (call $eq (i32.const 7) (call $psg (i32.const 48)) (i32.const 0))
    (call $eq (i32.const 59) (i32.load (i32.const 48)) (i32.const 0xffff0001))
    (call $eq (i32.const 8) (call $pss (i32.const 65535)) (i32.const 78))
    ;; parallelism at least 1; bad pointer
    (call $eq (i32.const 9) (call $par (i32.const 40)) (i32.const 0))
    (call $eq (i32.const 10) (i32.eqz (i32.load (i32.const 40))) (i32.const 0))
    (call $eq (i32.const 11) (call $par (i32.const 65534)) (i32.const 78))
    ;; sleeping 1 ms and 0 ns
    (call $eq (i32.const 12) (call $sleep (i64.const 1000000)) (i32.const 0))
    (call $eq (i32.const 13) (call $sleep (i64.const 0)) (i32.const 0))
"#;

#[test]
fn thread_id_sleep_parallelism_dispositions() {
    run_both_memories("thread", THREAD_CHECKS, 0);
}

const SIGNAL_CHECKS: &str = r#"
    ;; unknown thread: srch; signal past the WASIX range: inval; 0 only checks
    (call $eq (i32.const 1) (call $ts (i32.const 99) (i32.const 10)) (i32.const 71))
    (call $eq (i32.const 2) (call $ts (i32.const 1) (i32.const 32)) (i32.const 28))
    (call $eq (i32.const 3) (call $ts (i32.const 1) (i32.const 0)) (i32.const 0))
    ;; without a handler, default actions that ignore (chld, urg, winch) do nothing
    (call $eq (i32.const 4) (call $ts (i32.const 1) (i32.const 17)) (i32.const 0))
    (call $eq (i32.const 5) (call $raise (i32.const 23)) (i32.const 0))
    (call $eq (i32.const 6) (call $ts (i32.const 1) (i32.const 28)) (i32.const 0))
    ;; register the handler: thread_signal and proc_raise call it before returning
    (call $cb (i32.const 512) (i32.const 9))
    (call $eq (i32.const 7) (call $ts (i32.const 1) (i32.const 10)) (i32.const 0))
    (call $eq (i32.const 8) (global.get $handled) (i32.const 1))
    (call $eq (i32.const 9) (global.get $last) (i32.const 10))
    (call $eq (i32.const 10) (call $raise (i32.const 12)) (i32.const 0))
    (call $eq (i32.const 11) (global.get $handled) (i32.const 2))
    (call $eq (i32.const 12) (global.get $last) (i32.const 12))
    ;; wasix-libc's placeholder id for the main thread reaches it too
    (call $eq (i32.const 13) (call $ts (i32.const 0x3fffffff) (i32.const 15)) (i32.const 0))
    (call $eq (i32.const 14) (global.get $last) (i32.const 15))
    ;; a name that is not UTF-8, or not in memory, is ignored: the handler stays
    (call $cb (i32.const 600) (i32.const 2))
    (call $cb (i32.const 65530) (i32.const 100))
    (call $eq (i32.const 15) (call $ts (i32.const 1) (i32.const 2)) (i32.const 0))
    (call $eq (i32.const 16) (global.get $handled) (i32.const 4))
    ;; signal 0 never reaches the handler
    (call $eq (i32.const 17) (call $ts (i32.const 1) (i32.const 0)) (i32.const 0))
    (call $eq (i32.const 18) (global.get $handled) (i32.const 4))
    ;; a handler named after no export (as wasix-libc does while it blocks signals): the
    ;; signals wait, even ones whose default action terminates...
    (call $cb (i32.const 640) (i32.const 14))
    (call $eq (i32.const 19) (call $ts (i32.const 1) (i32.const 17)) (i32.const 0))
    (call $eq (i32.const 20) (call $ts (i32.const 1) (i32.const 15)) (i32.const 0))
    (call $eq (i32.const 21) (global.get $handled) (i32.const 4))
    ;; ...and reach the next handler that exists as soon as it is registered, lowest first
    (call $cb (i32.const 512) (i32.const 9))
    (call $eq (i32.const 22) (global.get $handled) (i32.const 6))
    (call $eq (i32.const 23) (global.get $last) (i32.const 17))
    ;; SIGKILL and SIGSTOP never reach a handler: stop does nothing here
    (call $eq (i32.const 24) (call $ts (i32.const 1) (i32.const 19)) (i32.const 0))
    (call $eq (i32.const 25) (global.get $handled) (i32.const 6))
"#;

#[test]
fn signals_reach_the_registered_handler() {
    run_both_memories("signal", SIGNAL_CHECKS, 0);
}

#[test]
fn default_terminating_signal_ends_with_128_plus_n() {
    // SIGTERM (15) with no handler ever registered.
    run_both_memories(
        "sigterm",
        "(drop (call $ts (i32.const 1) (i32.const 15))) (call $exit (i32.const 1))",
        143,
    );
    // SIGKILL ends the process even with a handler registered.
    run_both_memories(
        "sigkill-handled",
        "(call $cb (i32.const 512) (i32.const 9)) (drop (call $raise (i32.const 9))) (call $exit (i32.const 1))",
        137,
    );
}

#[test]
fn thread_exit_of_the_only_thread_ends_the_process() {
    run_both_memories(
        "texit",
        "(call $texit (i32.const 5)) (call $exit (i32.const 1))",
        5,
    );
}

#[test]
fn proc_exit2_ends_the_process() {
    run_both_memories(
        "exit2",
        "(call $exit2 (i32.const 6)) (call $exit (i32.const 1))",
        6,
    );
}

#[test]
fn a_handler_that_exits_ends_the_process() {
    // The handler is `_start`'s own exit path: on_signal counts, then we raise from a
    // handler that calls proc_exit — modelled by registering `exit_handler`.
    let text = format!(
        r#"(module {IMPORTS}
  (memory (export "memory") 1)
  (data (i32.const 512) "exit_handler")
  (func (export "exit_handler") (param $s i32) (call $exit (i32.add (i32.const 100) (local.get $s))))
  (func (export "_start")
    (call $cb (i32.const 512) (i32.const 12))
    (drop (call $ts (i32.const 1) (i32.const 10)))
    (call $exit (i32.const 1))))"#
    );
    let out = Run::new(build_wat("sig-exit-handler", &text)).run();
    assert_eq!(out.code, Some(110), "{}", show(&out));
}

/// Every case above on wasmer-wasix: it differs exactly where the compat-matrix says
/// (`WASIX_RUNTIME_DIFFERENCES`), with the first failing check (or status) given here.
#[test]
fn wasmer_wasix_differs_exactly_where_listed() {
    use common::Engine;
    use wasix_compat::matrix::differences::WASIX_RUNTIME_DIFFERENCES;
    let sigterm = "(drop (call $ts (i32.const 1) (i32.const 15))) (call $exit (i32.const 1))";
    let sigkill = "(call $cb (i32.const 512) (i32.const 9)) (drop (call $raise (i32.const 9))) (call $exit (i32.const 1))";
    let texit = "(call $texit (i32.const 5)) (call $exit (i32.const 1))";
    let exit2 = "(call $exit2 (i32.const 6)) (call $exit (i32.const 1))";
    // (case, body, our status, wasmer-wasix's status)
    let cases: [(&str, &str, i32, i32); 7] = [
        ("futex", FUTEX_CHECKS, 0, 9),
        ("thread", THREAD_CHECKS, 0, 6),
        ("signal", SIGNAL_CHECKS, 0, 1),
        ("sigterm", sigterm, 143, 1),
        ("sigkill-handled", sigkill, 137, 1),
        ("texit", texit, 5, 1),
        ("exit2", exit2, 6, 6),
    ];
    let mut differing = Vec::new();
    for (name, body, ours, theirs) in cases {
        for shared in [false, true] {
            let w = module(name, shared, body);
            let a = Run::new(&w).run();
            let b = Run::new(&w).engine(Engine::WasmerWasix).run();
            assert_eq!(
                (a.code, b.code),
                (Some(ours), Some(theirs)),
                "{name} shared={shared}\nours: {}\nwasmer-wasix: {}",
                show(&a),
                show(&b)
            );
        }
        if ours != theirs {
            differing.push(name);
        }
    }
    let listed: Vec<&str> = WASIX_RUNTIME_DIFFERENCES
        .iter()
        .map(|d| d.0)
        // wasix-libc:, threads:, closures:, contexts: and dl: cases are asserted in
        // tests/suite/wasix_libc.rs, threads.rs, wasix_closures.rs, wasix_contexts.rs and
        // wasix_dl.rs.
        .filter(|c| {
            !c.starts_with("wasix-libc:")
                && !c.starts_with("threads:")
                && !c.starts_with("procs:")
                && !c.starts_with("closures:")
                && !c.starts_with("contexts:")
                && !c.starts_with("dl:")
        })
        .collect();
    assert_eq!(differing, listed);
}

/// The same imports under `wasix_64v1`: 64-bit pointers, and `$size` results (parallelism,
/// disposition count) written as 8 bytes, checked with sentinels on both sides.
#[test]
fn the_same_under_wasix_64v1() {
    let text = r#"(module
  (import "wasix_64v1" "futex_wait" (func $fw (param i64 i32 i64 i64) (result i32)))
  (import "wasix_64v1" "futex_wake" (func $fk (param i64 i64) (result i32)))
  (import "wasix_64v1" "futex_wake_all" (func $fka (param i64 i64) (result i32)))
  (import "wasix_64v1" "thread_id" (func $tid (param i64) (result i32)))
  (import "wasix_64v1" "thread_signal" (func $ts (param i32 i32) (result i32)))
  (import "wasix_64v1" "thread_sleep" (func $sleep (param i64) (result i32)))
  (import "wasix_64v1" "thread_parallelism" (func $par (param i64) (result i32)))
  (import "wasix_64v1" "thread_exit" (func $texit (param i32)))
  (import "wasix_64v1" "proc_exit2" (func $exit2 (param i32)))
  (import "wasix_64v1" "proc_signals_sizes_get" (func $pss (param i64) (result i32)))
  (import "wasix_64v1" "proc_signals_get" (func $psg (param i64) (result i32)))
  (import "wasix_64v1" "callback_signal" (func $cb (param i64 i64)))
  (import "wasix_64v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $handled (mut i32) (i32.const 0))
  (func (export "on_signal") (param $s i32)
    (global.set $handled (i32.add (global.get $handled) (local.get $s))))
  (data (i32.const 512) "on_signal")
  (func $eq (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func $eq64 (param $id i32) (param $got i64) (param $want i64)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $id)))))
  (func (export "_start")
    (local $n i64)
    (i32.store (i32.const 0) (i32.const 5))
    ;; mismatch, then timeout 0 (option_timestamp at 64), result byte at 32
    (i32.store8 (i32.const 64) (i32.const 1)) (i64.store (i32.const 72) (i64.const 0))
    (call $eq (i32.const 1) (call $fw (i64.const 0) (i32.const 4) (i64.const 64) (i64.const 32)) (i32.const 0))
    (call $eq (i32.const 2) (i32.load8_u (i32.const 32)) (i32.const 1))
    (call $eq (i32.const 3) (call $fw (i64.const 0) (i32.const 5) (i64.const 64) (i64.const 32)) (i32.const 0))
    (call $eq (i32.const 4) (i32.load8_u (i32.const 32)) (i32.const 0))
    ;; beyond 4 GiB and unaligned
    (call $eq (i32.const 5) (call $fw (i64.const 0x100000000) (i32.const 5) (i64.const 64) (i64.const 32)) (i32.const 78))
    (call $eq (i32.const 6) (call $fw (i64.const 6) (i32.const 5) (i64.const 64) (i64.const 32)) (i32.const 28))
    (call $eq (i32.const 7) (call $fk (i64.const 0) (i64.const 0x100000020)) (i32.const 78))
    (call $eq (i32.const 8) (call $fka (i64.const 0) (i64.const 32)) (i32.const 0))
    ;; thread id: a u32 even here (sentinel after it stays)
    (i64.store (i32.const 128) (i64.const -1))
    (call $eq (i32.const 9) (call $tid (i64.const 128)) (i32.const 0))
    (call $eq64 (i32.const 10) (i64.load (i32.const 128)) (i64.const 0xffffffff00000001))
    ;; size results are 8 bytes
    (i64.store (i32.const 136) (i64.const -1)) (i64.store (i32.const 144) (i64.const -1))
    (call $eq (i32.const 11) (call $pss (i64.const 136)) (i32.const 0))
    (call $eq64 (i32.const 12) (i64.load (i32.const 136)) (i64.const 1))
    (call $eq64 (i32.const 13) (i64.load (i32.const 144)) (i64.const -1))
    (i64.store (i32.const 136) (i64.const -1))
    (call $eq (i32.const 14) (call $par (i64.const 136)) (i32.const 0))
    (local.set $n (i64.load (i32.const 136)))
    (call $eq (i32.const 15) (i32.and (i64.ge_u (local.get $n) (i64.const 1)) (i64.lt_u (local.get $n) (i64.const 65536))) (i32.const 1))
    (call $eq64 (i32.const 16) (i64.load (i32.const 144)) (i64.const -1))
    (call $eq (i32.const 17) (call $psg (i64.const 200)) (i32.const 0))
    (call $eq (i32.const 18) (call $sleep (i64.const 1000)) (i32.const 0))
    ;; handler by name, called with the signal
    (call $cb (i64.const 512) (i64.const 9))
    (call $eq (i32.const 19) (call $ts (i32.const 1) (i32.const 10)) (i32.const 0))
    (call $eq (i32.const 20) (global.get $handled) (i32.const 10))
    (call $cb (i64.const 0x100000000) (i64.const 9))
    (call $eq (i32.const 21) (call $ts (i32.const 1) (i32.const 12)) (i32.const 0))
    (call $eq (i32.const 22) (global.get $handled) (i32.const 22))
    ;; the only thread exiting ends the process with its code
    (call $texit (i32.const 42))
    (call $exit (i32.const 99))))"#;
    let out = Run::new(build_wat("sync-wasix64", text)).run();
    assert_eq!(out.code, Some(42), "{}", show(&out));
    let text2 = text.replace(
        "(call $texit (i32.const 42))",
        "(call $exit2 (i32.const 43))",
    );
    let out = Run::new(build_wat("sync-wasix64-exit2", &text2)).run();
    assert_eq!(out.code, Some(43), "{}", show(&out));
}
