//! WASIX `clock_time_set`: refused (`perm`) unless the embedder allows it
//! (`--allow-clock-set`); when allowed, it moves the guest's own realtime clock — what
//! `clock_time_get` and a realtime poll deadline see — and never the host's. Other clocks
//! cannot be set (`inval`).

use crate::common;

use common::{build_wat, show, Engine, Run};

/// Exits with the number of the first failed check (0: all passed). `$want_set` is the
/// errno the first `clock_time_set(realtime, 2001-09-09)` must return.
fn module(want_set: u32) -> String {
    format!(
        r#"(module
  (import "wasix_32v1" "clock_time_set" (func $set (param i32 i64) (result i32)))
  (import "wasix_32v1" "clock_time_get" (func $get (param i32 i64 i32) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $check (param $id i32) (param $ok i32)
    (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $id)))))
  (func $main (export "_start")
    (local $t i64)
    ;; 1e18 ns: 2001-09-09
    (call $check (i32.const 1)
      (i32.eq (call $set (i32.const 0) (i64.const 1000000000000000000)) (i32.const {want_set})))
    (call $check (i32.const 2) (i32.eqz (call $get (i32.const 0) (i64.const 1) (i32.const 64))))
    (local.set $t (i64.load (i32.const 64)))
    ;; allowed: the guest's realtime is 2001 now (within 10 minutes); refused: the host's (after 2020)
    (call $check (i32.const 3)
      (if (result i32) (i32.eqz (i32.const {want_set}))
        (then (i32.and (i64.ge_u (local.get $t) (i64.const 1000000000000000000))
                       (i64.lt_u (local.get $t) (i64.const 1000000600000000000))))
        (else (i64.gt_u (local.get $t) (i64.const 1577836800000000000)))))
    ;; the other clocks cannot be set, nor unknown ones
    (call $check (i32.const 4) (i32.eq (call $set (i32.const 1) (i64.const 0)) (i32.const 28)))
    (call $check (i32.const 5) (i32.eq (call $set (i32.const 2) (i64.const 0)) (i32.const 28)))
    (call $check (i32.const 6) (i32.eq (call $set (i32.const 99) (i64.const 0)) (i32.const 28)))
  )
)"#
    )
}

#[test]
fn clock_time_set_is_refused_unless_allowed() {
    let w = build_wat("clock_set_refused", &module(63));
    let out = Run::new(&w).run();
    assert_eq!(out.code, Some(0), "{}", show(&out));
    // wasmer-wasix lets every guest set any clock (its check 1 fails: success, not perm).
    let out = Run::new(&w).engine(Engine::WasmerWasix).run();
    assert_eq!(out.code, Some(1), "{}", show(&out));
}

#[test]
fn clock_time_set_moves_only_the_guests_realtime_clock() {
    let w = build_wat("clock_set_allowed", &module(0));
    let before = std::time::SystemTime::now();
    let out = Run::new(&w).flag("--allow-clock-set").run();
    assert_eq!(out.code, Some(0), "{}", show(&out));
    // The host's clock did not move.
    assert!(std::time::SystemTime::now() >= before);
}
