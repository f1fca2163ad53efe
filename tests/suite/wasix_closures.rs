//! WASIX closures (`closure_allocate` / `closure_prepare` / `closure_free`), `call_dynamic`
//! and `reflect_signature` on an ordinary (non-PIC) wasix-libc program, whose table the
//! host exports and makes growable when the module imports them.
//!
//! C cases: `tests/guests/wasix/closures/closures.c CASE`, each run asserting its exact
//! stdout and status. WAT cases: bad pointers, bad type codes, huge lengths and forged ids
//! (exact errnos, each module exits with the number of its first failed check), the
//! `wasix_64v1` forms, and a trap through call_dynamic. wasmer-wasix 0.704.2 answers
//! `notsup` to all of them for a module that is not a dynamically linked PIC main
//! (`WASIX_RUNTIME_DIFFERENCES`, case `closures:non-pic`).

use crate::common;

use common::{build_wasix_c, build_wat, show, skip_without_wasix_libc, Engine, Run, WASIX_REV};
use std::path::PathBuf;

macro_rules! skip_unless_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

fn guest() -> PathBuf {
    build_wasix_c(&["tests/guests/wasix/closures/closures.c"], &[], WASIX_REV)
}

/// Runs `closures.wasm CASE` on `engine`; asserts the exact status and stdout.
fn expect(engine: Engine, case: &str, code: i32, stdout: &str) {
    let out = Run::new(guest()).engine(engine).arg(case).run();
    assert!(!out.timed_out, "{case} timed out\n{}", show(&out));
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (Some(code), stdout),
        "{case} on {engine:?}\n{}",
        show(&out)
    );
}

#[test]
fn a_libffi_style_closure_is_called_through_a_function_pointer() {
    skip_unless_wasix_libc!("a_libffi_style_closure_is_called_through_a_function_pointer");
    expect(
        Engine::Ours,
        "closure",
        0,
        "f(1, 2, 3.5) = 18\n\
         f(-10, 10000000000, 0.25) = 29999999970\n\
         after factor -1: f(4, 5, 6.0) = -15\n\
         100000 calls: -100000\n\
         recursion: -1275\n\
         calls: 100054\n\
         call_dynamic(closure) = -24\n",
    );
}

#[test]
fn a_closure_prepared_again_takes_the_new_signature() {
    skip_unless_wasix_libc!("a_closure_prepared_again_takes_the_new_signature");
    expect(
        Engine::Ours,
        "reprepare",
        0,
        "sum: 6\n\
         mul: 6.50\n\
         reflect: cacheable 0, 2 args (2 2), 1 results (2)\n\
         count: 2\n",
    );
}

#[test]
fn freed_slots_are_reused_and_only_closure_slots_can_be_prepared_or_freed() {
    skip_unless_wasix_libc!(
        "freed_slots_are_reused_and_only_closure_slots_can_be_prepared_or_freed"
    );
    expect(
        Engine::Ours,
        "reuse",
        0,
        "two slots: adjacent\n\
         reallocated: same slot\n\
         free b: 0\n\
         free b again: -1 errno 28\n\
         prepare freed: -1 errno 28\n\
         prepare a function's slot: -1 errno 28\n\
         free a function's slot: -1 errno 28\n\
         prepare wrong backing: -1 errno 28\n\
         prepare missing backing: -1 errno 28\n\
         prepare bad type: -1 errno 28\n",
    );
}

#[test]
fn call_dynamic_strict_and_loose() {
    skip_unless_wasix_libc!("call_dynamic_strict_and_loose");
    expect(
        Engine::Ours,
        "call_dynamic",
        0,
        "strict: 0 -> 7008030\n\
         strict, values 20 of 24: -1 errno 28\n\
         strict, values 28 of 24: -1 errno 28\n\
         strict, results 16 of 8: -1 errno 28\n\
         loose, values 16 of 24: 0 -> 7008005, byte 8 0xee\n\
         loose, values 32 of 24: 0 -> 7008030\n\
         loose, results 4 of 8: 0, bytes 0xee 0xee\n\
         half: 0 -> 2.50\n\
         nothing: 0, called 1\n\
         null: -1 errno 28\n\
         past the table: -1 errno 28\n",
    );
}

#[test]
fn reflect_signature_of_functions_and_closures() {
    skip_unless_wasix_libc!("reflect_signature_of_functions_and_closures");
    expect(
        Engine::Ours,
        "reflect",
        0,
        "mix: 0 cacheable 1, 4 args (0 1 2 3), 1 results (1)\n\
         nothing: 0 cacheable 1, 0 args, 0 results\n\
         mix, 3 argument slots: -1 errno 61, 4 args 1 results, buffers 0x77 0x77\n\
         mix, 0 result slots: -1 errno 61, buffers 0x77 0x77\n\
         past the table: -1 errno 28, cacheable 0\n\
         unprepared closure: -1 errno 28, cacheable 0\n",
    );
}

/// The differential case: every import answers on our engine; wasmer-wasix answers
/// `notsup` (58) to each for a non-PIC module (it has closures only through its dynamic
/// linker).
#[test]
fn wasmer_wasix_answers_notsup_for_a_non_pic_module() {
    skip_unless_wasix_libc!("wasmer_wasix_answers_notsup_for_a_non_pic_module");
    expect(
        Engine::Ours,
        "probe",
        0,
        "closure_allocate: 0\ncall_dynamic: 0\nreflect_signature: 0\nclosure_free: 0\n",
    );
    expect(
        Engine::WasmerWasix,
        "probe",
        0,
        "closure_allocate: 58\ncall_dynamic: 58\nreflect_signature: 58\nclosure_free: 58\n",
    );
}

/// The differences listed for this area are exactly the ones asserted above.
#[test]
fn differing_cases_are_listed() {
    use wasix_compat::matrix::differences::WASIX_RUNTIME_DIFFERENCES;
    let listed: Vec<&str> = WASIX_RUNTIME_DIFFERENCES
        .iter()
        .filter_map(|d| d.0.strip_prefix("closures:"))
        .collect();
    assert_eq!(listed, ["non-pic"]);
}

// ---- WAT: bad input, exact errnos ----

/// A `wasix_32v1` module whose table (`$t`, 4 fixed slots: null, the backing function,
/// one of the wrong type, `$add`) the host exports. Exits with the number of the first
/// failed check.
const BAD_INPUT: &str = r#"(module
  (import "wasix_32v1" "closure_allocate" (func $alloc (param i32) (result i32)))
  (import "wasix_32v1" "closure_prepare" (func $prep (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "closure_free" (func $free (param i32) (result i32)))
  (import "wasix_32v1" "call_dynamic" (func $dyn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "reflect_signature" (func $refl (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
  (table $t 4 4 funcref)
  (elem (i32.const 1) func $backing $wrong $add)
  (type $closure (func (param i32) (result i32)))
  (func $backing (param $v i32) (param $r i32) (param $d i32)
    (i32.store (local.get $r) (i32.add (i32.load (local.get $v)) (local.get $d))))
  (func $wrong (param i32))
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $check (param $n i32) (param $ok i32)
    (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $n)))))
  (func $is (param $n i32) (param $got i32) (param $want i32)
    (call $check (local.get $n) (i32.eq (local.get $got) (local.get $want))))
  (data (i32.const 200) "\00\05\ff")
  (func (export "_start")
    (local $id i32)
    ;; closure_allocate: the out-pointer past memory, or straddling its end
    (call $is (i32.const 1) (call $alloc (i32.const 65536)) (i32.const 78))
    (call $is (i32.const 2) (call $alloc (i32.const 65534)) (i32.const 78))
    ;; ... takes no slot: the first one handed out is 4, right past the table's own
    (call $is (i32.const 3) (call $alloc (i32.const 100)) (i32.const 0))
    (local.set $id (i32.load (i32.const 100)))
    (call $is (i32.const 4) (local.get $id) (i32.const 4))
    ;; closure_prepare: type arrays outside memory, a huge length
    (call $is (i32.const 5) (call $prep (i32.const 1) (local.get $id) (i32.const 0x20000) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 78))
    (call $is (i32.const 6) (call $prep (i32.const 1) (local.get $id) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 0x7fffffff) (i32.const 0)) (i32.const 78))
    (call $is (i32.const 7) (call $prep (i32.const 1) (local.get $id) (i32.const 200) (i32.const -1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 78))
    ;; unknown type codes (5, 255)
    (call $is (i32.const 8) (call $prep (i32.const 1) (local.get $id) (i32.const 200) (i32.const 2) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 9) (call $prep (i32.const 1) (local.get $id) (i32.const 200) (i32.const 1) (i32.const 202) (i32.const 1) (i32.const 0)) (i32.const 28))
    ;; more than 1000 parameters (zero bytes: i32s)
    (call $is (i32.const 10) (call $prep (i32.const 1) (local.get $id) (i32.const 1000) (i32.const 1001) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    ;; forged closure ids: a function's slot, null, past the table, past u32 is n/a here
    (call $is (i32.const 11) (call $prep (i32.const 1) (i32.const 3) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 12) (call $prep (i32.const 1) (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 13) (call $prep (i32.const 1) (i32.const 4000) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    ;; backing functions: null, of the wrong type, past the table
    (call $is (i32.const 14) (call $prep (i32.const 0) (local.get $id) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 15) (call $prep (i32.const 2) (local.get $id) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 16) (call $prep (i32.const -1) (local.get $id) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0)) (i32.const 28))
    ;; a good one: (i32) -> i32, the argument plus user data 1000
    (call $is (i32.const 17) (call $prep (i32.const 1) (local.get $id) (i32.const 200) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 1000)) (i32.const 0))
    (call $is (i32.const 18) (call_indirect $t (type $closure) (i32.const 5) (local.get $id)) (i32.const 1005))
    ;; the shadow stack is back where it was
    (call $is (i32.const 19) (global.get $sp) (i32.const 65536))
    ;; closure_free: forged ids
    (call $is (i32.const 20) (call $free (i32.const 3)) (i32.const 28))
    (call $is (i32.const 21) (call $free (i32.const 99)) (i32.const 28))
    (call $is (i32.const 22) (call $free (i32.const -1)) (i32.const 28))
    ;; call_dynamic of $add (8 bytes in, 4 out): values or results outside memory
    (i64.store (i32.const 300) (i64.const 0x0000000400000003))
    (call $is (i32.const 23) (call $dyn (i32.const 3) (i32.const 65532) (i32.const 8) (i32.const 400) (i32.const 4) (i32.const 1)) (i32.const 78))
    (call $is (i32.const 24) (call $dyn (i32.const 3) (i32.const 300) (i32.const 8) (i32.const 65534) (i32.const 4) (i32.const 1)) (i32.const 78))
    ;; strict must be a witx bool
    (call $is (i32.const 25) (call $dyn (i32.const 3) (i32.const 300) (i32.const 8) (i32.const 400) (i32.const 4) (i32.const 2)) (i32.const 28))
    ;; huge lengths: strict refuses, loose reads only what the signature needs
    (call $is (i32.const 26) (call $dyn (i32.const 3) (i32.const 300) (i32.const -1) (i32.const 400) (i32.const 4) (i32.const 1)) (i32.const 28))
    (call $is (i32.const 27) (call $dyn (i32.const 3) (i32.const 300) (i32.const -1) (i32.const 400) (i32.const -1) (i32.const 0)) (i32.const 0))
    (call $is (i32.const 28) (i32.load (i32.const 400)) (i32.const 7))
    ;; null, past the table, past u32 n/a; a closure slot freed is null again
    (call $is (i32.const 29) (call $dyn (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 30) (call $dyn (i32.const 77) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 28))
    (call $is (i32.const 31) (call $free (local.get $id)) (i32.const 0))
    (call $is (i32.const 32) (call $dyn (local.get $id) (i32.const 300) (i32.const 4) (i32.const 400) (i32.const 4) (i32.const 1)) (i32.const 28))
    ;; reflect_signature: the result or a type buffer outside memory; a bad index
    (call $is (i32.const 33) (call $refl (i32.const 3) (i32.const 500) (i32.const 2) (i32.const 510) (i32.const 1) (i32.const 65532)) (i32.const 78))
    (call $is (i32.const 34) (call $refl (i32.const 3) (i32.const 65535) (i32.const 2) (i32.const 510) (i32.const 1) (i32.const 600)) (i32.const 78))
    (call $is (i32.const 35) (call $refl (i32.const 99) (i32.const 500) (i32.const 2) (i32.const 510) (i32.const 1) (i32.const 600)) (i32.const 28))
    (call $is (i32.const 36) (i32.load8_u (i32.const 600)) (i32.const 0))
    ;; only the low 16 bits of a length count: 0x10002 is 2
    (call $is (i32.const 37) (call $refl (i32.const 3) (i32.const 500) (i32.const 0x10002) (i32.const 510) (i32.const 1) (i32.const 600)) (i32.const 0))
    (call $is (i32.const 38) (i32.load16_u (i32.const 500)) (i32.const 0))
    (call $is (i32.const 39) (i32.load16_u (i32.const 602)) (i32.const 2))
    (call $exit (i32.const 0)))
)"#;

#[test]
fn bad_pointers_type_codes_lengths_and_forged_ids_get_exact_errnos() {
    let w = build_wat("closures_bad_input", BAD_INPUT);
    let out = Run::new(&w).run();
    assert_eq!(out.code, Some(0), "{}", show(&out));
}

/// The `wasix_64v1` forms: i64 function ids, pointers and lengths; an 8-byte id written
/// by closure_allocate; a backing function of `(i64, i64, i64) -> ()`.
const WIDE: &str = r#"(module
  (import "wasix_64v1" "closure_allocate" (func $alloc (param i64) (result i32)))
  (import "wasix_64v1" "closure_prepare" (func $prep (param i64 i64 i64 i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "call_dynamic" (func $dyn (param i64 i64 i64 i64 i64 i32) (result i32)))
  (import "wasix_64v1" "reflect_signature" (func $refl (param i64 i64 i32 i64 i32 i64) (result i32)))
  (import "wasix_64v1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
  (table $t 3 3 funcref)
  (elem (i32.const 1) func $backing $narrow)
  (type $closure (func (param i64 f32) (result f64)))
  ;; result = value0 + value1 + user data
  (func $backing (param $v i64) (param $r i64) (param $d i64)
    (f64.store (i32.wrap_i64 (local.get $r))
      (f64.add
        (f64.add (f64.convert_i64_s (i64.load (i32.wrap_i64 (local.get $v))))
                 (f64.promote_f32 (f32.load offset=8 (i32.wrap_i64 (local.get $v)))))
        (f64.convert_i64_u (local.get $d)))))
  (func $narrow (param i32 i32 i32))
  (func $check (param $n i32) (param $ok i32)
    (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $n)))))
  (func $is (param $n i32) (param $got i32) (param $want i32)
    (call $check (local.get $n) (i32.eq (local.get $got) (local.get $want))))
  (data (i32.const 200) "\01\02\03")
  (func (export "_start")
    (local $id i64)
    (i64.store (i32.const 100) (i64.const -1))
    (call $is (i32.const 1) (call $alloc (i64.const 100)) (i32.const 0))
    (local.set $id (i64.load (i32.const 100)))
    (call $check (i32.const 2) (i64.eq (local.get $id) (i64.const 3)))
    ;; an id past u32, an out-pointer past u32
    (call $is (i32.const 3) (call $prep (i64.const 1) (i64.const 0x100000003) (i64.const 200) (i64.const 2) (i64.const 202) (i64.const 1) (i64.const 0)) (i32.const 28))
    (call $is (i32.const 4) (call $alloc (i64.const 0x100000000)) (i32.const 78))
    ;; a wasm32-shaped backing function does not do here
    (call $is (i32.const 5) (call $prep (i64.const 2) (local.get $id) (i64.const 200) (i64.const 2) (i64.const 202) (i64.const 1) (i64.const 0)) (i32.const 28))
    ;; (i64, f32) -> f64 with user data 100
    (call $is (i32.const 6) (call $prep (i64.const 1) (local.get $id) (i64.const 200) (i64.const 2) (i64.const 202) (i64.const 1) (i64.const 100)) (i32.const 0))
    (call $check (i32.const 7)
      (f64.eq (call_indirect $t (type $closure) (i64.const 20) (f32.const 0.5) (i32.wrap_i64 (local.get $id)))
              (f64.const 120.5)))
    (call $is (i32.const 8) (global.get $sp) (i32.const 65536))
    ;; the same through call_dynamic: 12 bytes in, 8 out
    (i64.store (i32.const 300) (i64.const 1))
    (f32.store (i32.const 308) (f32.const 0.25))
    (call $is (i32.const 9) (call $dyn (local.get $id) (i64.const 300) (i64.const 12) (i64.const 400) (i64.const 8) (i32.const 1)) (i32.const 0))
    (call $check (i32.const 10) (f64.eq (f64.load (i32.const 400)) (f64.const 101.25)))
    ;; reflected: (i64, f32) -> f64, not cacheable (a closure slot)
    (call $is (i32.const 11) (call $refl (local.get $id) (i64.const 500) (i32.const 2) (i64.const 510) (i32.const 1) (i64.const 600)) (i32.const 0))
    (call $is (i32.const 12) (i32.load16_u (i32.const 500)) (i32.const 0x0201))
    (call $is (i32.const 13) (i32.load8_u (i32.const 510)) (i32.const 3))
    (call $check (i32.const 14) (i64.eq (i64.load (i32.const 600)) (i64.const 0x0000000100020000)))
    (call $exit (i32.const 0)))
)"#;

#[test]
fn the_wasix_64v1_forms() {
    let w = build_wat("closures_wide", WIDE);
    let out = Run::new(&w).run();
    assert_eq!(out.code, Some(0), "{}", show(&out));
}

/// A trap in a function called through call_dynamic (or a closure's backing function)
/// ends the run as a trap in a direct call would.
#[test]
fn a_trap_in_the_callee_is_a_trap() {
    let m = |how: &str| {
        format!(
            r#"(module
  (import "wasix_32v1" "call_dynamic" (func $dyn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "closure_allocate" (func $alloc (param i32) (result i32)))
  (import "wasix_32v1" "closure_prepare" (func $prep (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
  (table $t 2 2 funcref)
  (elem (i32.const 1) func $boom)
  (func $boom (param i32 i32 i32) unreachable)
  (func (export "_start")
    {how}))"#
        )
    };
    let dynamic = "(drop (call $dyn (i32.const 1) (i32.const 0) (i32.const 12) (i32.const 0) (i32.const 0) (i32.const 1)))";
    let closure = "(drop (call $alloc (i32.const 0))) \
                   (drop (call $prep (i32.const 1) (i32.load (i32.const 0)) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))) \
                   (call_indirect $t (i32.load (i32.const 0)))";
    let direct = "(call $boom (i32.const 0) (i32.const 0) (i32.const 0))";
    for (name, how) in [
        ("direct", direct),
        ("dynamic", dynamic),
        ("closure", closure),
    ] {
        let w = build_wat(&format!("closures_trap_{name}"), &m(how));
        let out = Run::new(&w).run();
        assert_eq!(
            (out.code, out.stderr_str().as_str()),
            (
                Some(134),
                "wasix-compat: guest trapped: unreachable (in boom)\n"
            ),
            "{name}\n{}",
            show(&out)
        );
    }
}
