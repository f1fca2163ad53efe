;; Imports a function no runtime provides: wasi_snapshot_preview1.no_such_fn (i32) -> i32.
(module
  (import "wasi_snapshot_preview1" "no_such_fn" (func $no_such_fn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $no_such_fn (i32.const 1)))
    (call $proc_exit (i32.const 0)))
)
