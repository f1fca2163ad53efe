;; A core module calling the stream, random and environment functions no std program
;; reaches: skip, blocking-skip, splice, blocking-splice, write-zeroes, flush, initial-cwd,
;; the u64 randoms and insecure bytes. Run with stdin = a file holding "0123456789abcdef".
;; Each check that fails exits with its own code (exit-with-code); stdout gets "5678",
;; "9abcdef", three NUL bytes and "done\n".
(module
  (import "wasi:cli/stdin@0.2.0" "get-stdin" (func $stdin (result i32)))
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $stdout (result i32)))
  (import "wasi:cli/environment@0.2.0" "initial-cwd" (func $cwd (param i32)))
  (import "wasi:cli/exit@0.2.0" "exit-with-code" (func $exit (param i32)))
  (import "wasi:io/streams@0.2.0" "[method]input-stream.skip"
    (func $skip (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.0" "[method]input-stream.blocking-skip"
    (func $bskip (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.splice"
    (func $splice (param i32 i32 i64 i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-splice"
    (func $bsplice (param i32 i32 i64 i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.write-zeroes"
    (func $zeroes (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.flush" (func $flush (param i32 i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write (param i32 i32 i32 i32)))
  (import "wasi:random/random@0.2.0" "get-random-u64" (func $r64 (result i64)))
  (import "wasi:random/insecure@0.2.0" "get-insecure-random-u64" (func $i64 (result i64)))
  (import "wasi:random/insecure@0.2.0" "get-insecure-random-bytes"
    (func $ibytes (param i64 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1000) "done\n")
  ;; A bump allocator for the lists the host returns.
  (global $next (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func $check (param $ok i32) (param $code i32)
    (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $code)))))
  ;; result<u64, stream-error> at 64: ok with value $n?
  (func $ok_n (param $n i64) (result i32)
    (i32.and (i32.eqz (i32.load8_u (i32.const 64)))
      (i64.eq (i64.load (i32.const 72)) (local.get $n))))
  (func (export "wasi:cli/run@0.2.0#run") (result i32)
    (local $in i32) (local $out i32)
    (local.set $in (call $stdin))
    (local.set $out (call $stdout))
    ;; No cwd is given to the program.
    (call $cwd (i32.const 64))
    (call $check (i32.eqz (i32.load8_u (i32.const 64))) (i32.const 10))
    ;; Two draws of 64 random bits differ (fails with probability 2^-64).
    (call $check (i64.ne (call $r64) (call $r64)) (i32.const 11))
    (call $check (i64.ne (call $i64) (call $i64)) (i32.const 12))
    (call $ibytes (i64.const 16) (i32.const 64))
    (call $check (i32.eq (i32.load (i32.const 68)) (i32.const 16)) (i32.const 13))
    ;; "0123456789abcdef": skip 3, skip 2, splice 4 ("5678"), splice the rest (7).
    (call $bskip (local.get $in) (i64.const 3) (i32.const 64))
    (call $check (call $ok_n (i64.const 3)) (i32.const 20))
    (call $skip (local.get $in) (i64.const 2) (i32.const 64))
    (call $check (call $ok_n (i64.const 2)) (i32.const 21))
    (call $splice (local.get $out) (local.get $in) (i64.const 4) (i32.const 64))
    (call $check (call $ok_n (i64.const 4)) (i32.const 22))
    (call $bsplice (local.get $out) (local.get $in) (i64.const 100) (i32.const 64))
    (call $check (call $ok_n (i64.const 7)) (i32.const 23))
    ;; At the end: `closed` (result tag 1, stream-error case 1).
    (call $skip (local.get $in) (i64.const 1) (i32.const 64))
    (call $check (i32.and (i32.eq (i32.load8_u (i32.const 64)) (i32.const 1))
      (i32.eq (i32.load8_u (i32.const 72)) (i32.const 1))) (i32.const 24))
    (call $zeroes (local.get $out) (i64.const 3) (i32.const 64))
    (call $check (i32.eqz (i32.load8_u (i32.const 64))) (i32.const 30))
    (call $flush (local.get $out) (i32.const 64))
    (call $check (i32.eqz (i32.load8_u (i32.const 64))) (i32.const 31))
    (call $write (local.get $out) (i32.const 1000) (i32.const 5) (i32.const 64))
    (i32.const 0)))
