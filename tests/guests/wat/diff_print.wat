;; `diff` test guest: prints "start\nprestat 0: E\nend\n" where E is fd_prestat_get(0)'s
;; errno as one digit: 8 (badf) on ours, 0 on wasmer-wasix, which answers prestat for
;; stdin (compat-matrix: fd_prestat_get.stdin). Exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "start\nprestat 0: ?\nend\n")
  (func (export "_start")
    (i32.store8 (i32.const 0x111)
      (i32.add (i32.const 48) (i32.rem_u (call $fd_prestat_get (i32.const 0) (i32.const 0x200)) (i32.const 10))))
    (i32.store (i32.const 0) (i32.const 0x100))
    (i32.store (i32.const 4) (i32.const 23))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
