;; `diff` test guest: opens the existing a.txt in the preopen at fd 3 with oflags 0x10 (an
;; undefined bit) and exits with the errno: 28 (inval) on ours, 0 on wasmer-wasix, which
;; ignores the bit (compat-matrix: path_open.bad_oflags).
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "a.txt")
  (func (export "_start")
    (call $proc_exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x100)
      (i32.const 5) (i32.const 0x10) (i64.const 0x1fffffff) (i64.const 0x1fffffff)
      (i32.const 0) (i32.const 0x200)))))
