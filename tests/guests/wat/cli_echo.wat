;; Writes "[<argv buffer>]\n[<environ buffer>]\n" (NUL-separated, raw) to stdout, then
;; copies stdin to stdout byte for byte until EOF, then returns (exit 0).
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 0x20) "[]\n")
  ;; writes all of [p, p+n) to stdout
  (func $write (param $p i32) (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store (i32.const 0x0) (local.get $p))
        (i32.store (i32.const 0x4) (local.get $n))
        (if (call $fd_write (i32.const 1) (i32.const 0x0) (i32.const 1) (i32.const 0x8))
          (then (call $proc_exit (i32.const 70))))
        (local.set $p (i32.add (local.get $p) (i32.load (i32.const 0x8))))
        (local.set $n (i32.sub (local.get $n) (i32.load (i32.const 0x8))))
        (br $l))))
  (func (export "_start")
    (local $n i32)
    (drop (call $args_sizes_get (i32.const 0x40) (i32.const 0x44)))
    (drop (call $args_get (i32.const 0x1000) (i32.const 0x4000)))
    (call $write (i32.const 0x20) (i32.const 1))
    (call $write (i32.const 0x4000) (i32.load (i32.const 0x44)))
    (call $write (i32.const 0x21) (i32.const 2))
    (drop (call $environ_sizes_get (i32.const 0x48) (i32.const 0x4c)))
    (drop (call $environ_get (i32.const 0x2000) (i32.const 0x8000)))
    (call $write (i32.const 0x20) (i32.const 1))
    (call $write (i32.const 0x8000) (i32.load (i32.const 0x4c)))
    (call $write (i32.const 0x21) (i32.const 2))
    ;; stdin -> stdout, 4 KiB at a time, into 0x10000
    (block $eof
      (loop $l
        (i32.store (i32.const 0x50) (i32.const 0x10000))
        (i32.store (i32.const 0x54) (i32.const 4096))
        (if (call $fd_read (i32.const 0) (i32.const 0x50) (i32.const 1) (i32.const 0x58))
          (then (call $proc_exit (i32.const 71))))
        (local.set $n (i32.load (i32.const 0x58)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write (i32.const 0x10000) (local.get $n))
        (br $l))))
)
