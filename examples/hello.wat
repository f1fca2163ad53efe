;; A tiny preview1 command: greets each argument on stdout and exits 0.
;; Runs with no toolchain installed:
;;   cargo run -- run examples/hello.wat -- Ada Grace
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "Hello, ")
  (data (i32.const 8) "!\n")
  ;; 16: argc, 20: argv_buf_size, 32: iovec scratch, 64: nwritten,
  ;; 1024: argv pointers, 4096: argv strings.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 32) (local.get $ptr))
    (i32.store (i32.const 36) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 64))))
  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func (export "_start")
    (local $i i32) (local $arg i32)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $i (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 16))))
        (local.set $arg (i32.load (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4)))))
        (call $print (i32.const 0) (i32.const 7))
        (call $print (local.get $arg) (call $strlen (local.get $arg)))
        (call $print (i32.const 8) (i32.const 2))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $proc_exit (i32.const 0))))
