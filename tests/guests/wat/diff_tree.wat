;; `diff` test guest: writes "prestat 0: E\n" to a new out.txt in the preopen at fd 3,
;; where E is fd_prestat_get(0)'s errno as one digit: 8 (badf) on ours, 0 on
;; wasmer-wasix, which answers prestat for stdin (compat-matrix: fd_prestat_get.stdin).
;; Same size on both engines, different content. The directory is the preopen after the
;; first: fd 3 on ours; on wasmer-wasix fd 3 is always its own root, where creating fails,
;; and the --dir is fd 4 (so: fd 4 when stdin answers prestat, else 3). Exits 0.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "out.txt")
  (data (i32.const 0x120) "prestat 0: ?\n")
  (func (export "_start")
    (local $e i32)
    (local.set $e (call $fd_prestat_get (i32.const 0) (i32.const 0x300)))
    (i32.store8 (i32.const 0x12b) (i32.add (i32.const 48) (i32.rem_u (local.get $e) (i32.const 10))))
    (drop (call $path_open (select (i32.const 4) (i32.const 3) (i32.eqz (local.get $e))) (i32.const 0) (i32.const 0x100) (i32.const 7)
      (i32.const 1) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0x200)))
    (i32.store (i32.const 0) (i32.const 0x120))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.load (i32.const 0x200)) (i32.const 0) (i32.const 1) (i32.const 8)))))
