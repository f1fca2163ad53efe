;; Prints "before trap\n", then traps. argv[1] picks the trap by its first letter:
;; o = out-of-bounds load, d = integer divide by zero, s = call stack exhausted,
;; anything else / nothing = `unreachable`.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x800) "before trap\n")
  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "_start")
    (local $mode i32)
    (i32.store (i32.const 0x10) (i32.const 0x800))
    (i32.store (i32.const 0x14) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0x10) (i32.const 1) (i32.const 0x18)))
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.ge_u (i32.load (i32.const 0)) (i32.const 2))
      (then
        (drop (call $args_get (i32.const 0x100) (i32.const 0x1000)))
        (local.set $mode (i32.load8_u (i32.load (i32.const 0x104))))))
    (if (i32.eq (local.get $mode) (i32.const 111)) ;; 'o'
      (then (drop (i32.load (i32.const 0xFFFFFFF0)))))
    (if (i32.eq (local.get $mode) (i32.const 100)) ;; 'd'
      (then (drop (i32.div_s (i32.const 1) (i32.sub (local.get $mode) (i32.const 100))))))
    (if (i32.eq (local.get $mode) (i32.const 115)) ;; 's'
      (then (drop (call $recurse (i32.const 0)))))
    unreachable)
)
