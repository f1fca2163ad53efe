;; `--trace` test guest: creates out.txt in the preopen at fd 3, writes "hi\n" to it in
;; two iovecs, closes it, opens missing.txt (noent), reads the clock, exits with 3.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "out.txt")
  (data (i32.const 0x120) "missing.txt")
  (data (i32.const 0x140) "hi\n")
  (func (export "_start")
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x100) (i32.const 7)
      (i32.const 1) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0x200)))
    ;; iovecs at 0x10: "h", "i\n"
    (i32.store (i32.const 0x10) (i32.const 0x140))
    (i32.store (i32.const 0x14) (i32.const 1))
    (i32.store (i32.const 0x18) (i32.const 0x141))
    (i32.store (i32.const 0x1c) (i32.const 2))
    (drop (call $fd_write (i32.load (i32.const 0x200)) (i32.const 0x10) (i32.const 2) (i32.const 0x20)))
    (drop (call $fd_close (i32.load (i32.const 0x200))))
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x120) (i32.const 11)
      (i32.const 0) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0x204)))
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0x208)))
    (call $proc_exit (i32.const 3))))
