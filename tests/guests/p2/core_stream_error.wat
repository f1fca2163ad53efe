;; A core module whose stdin cannot be read (the host gives it a directory): the read's
;; `last-operation-failed` error is described by `to-debug-string` and classified by
;; `filesystem-error-code`. Prints the description, then the error-code's case number.
(module
  (import "wasi:cli/stdin@0.2.0" "get-stdin" (func $stdin (result i32)))
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $stdout (result i32)))
  (import "wasi:cli/exit@0.2.0" "exit-with-code" (func $exit (param i32)))
  (import "wasi:io/streams@0.2.0" "[method]input-stream.blocking-read"
    (func $read (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write (param i32 i32 i32 i32)))
  (import "wasi:io/error@0.2.0" "[method]error.to-debug-string" (func $debug (param i32 i32)))
  (import "wasi:filesystem/types@0.2.0" "filesystem-error-code" (func $fscode (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1000) "\n")
  (global $next (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "wasi:cli/run@0.2.0#run") (result i32)
    (local $out i32) (local $err i32)
    (local.set $out (call $stdout))
    ;; result<list<u8>, stream-error> at 64: err (1), last-operation-failed (0), handle.
    (call $read (call $stdin) (i64.const 10) (i32.const 64))
    (if (i32.or (i32.ne (i32.load8_u (i32.const 64)) (i32.const 1))
                (i32.ne (i32.load8_u (i32.const 68)) (i32.const 0)))
      (then (call $exit (i32.const 10))))
    (local.set $err (i32.load (i32.const 72)))
    (call $debug (local.get $err) (i32.const 80))
    (call $write (local.get $out) (i32.load (i32.const 80)) (i32.load (i32.const 84))
      (i32.const 96))
    (call $write (local.get $out) (i32.const 1000) (i32.const 1) (i32.const 96))
    ;; option<error-code> at 88: some, then the case as the exit status (+100).
    (call $fscode (local.get $err) (i32.const 88))
    (if (i32.eqz (i32.load8_u (i32.const 88))) (then (call $exit (i32.const 11))))
    (call $exit (i32.add (i32.const 100) (i32.load8_u (i32.const 89))))
    (i32.const 0)))
