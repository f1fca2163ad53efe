;; `diff --timeout` test guest: poll_oneoff on one relative monotonic clock of 0 ns, then
;; prints "woke\n" and exits 0. Ours fires the clock at once; wasmer-wasix 0.704 never
;; returns from a zero timeout (compat-matrix: poll_oneoff.zero_timeout).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "woke\n")
  (func (export "_start")
    ;; subscription at 0x200: userdata 7, tag clock (0), clock monotonic (1), timeout 0,
    ;; precision 0, flags 0 (relative).
    (i64.store (i32.const 0x200) (i64.const 7))
    (i32.store8 (i32.const 0x208) (i32.const 0))
    (i32.store (i32.const 0x210) (i32.const 1))
    (i64.store (i32.const 0x218) (i64.const 0))
    (i64.store (i32.const 0x220) (i64.const 0))
    (i32.store16 (i32.const 0x228) (i32.const 0))
    (drop (call $poll_oneoff (i32.const 0x200) (i32.const 0x300) (i32.const 1) (i32.const 0x340)))
    (i32.store (i32.const 0) (i32.const 0x100))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
