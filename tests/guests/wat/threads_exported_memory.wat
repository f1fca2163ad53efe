;; A threaded module that defines and exports its shared memory instead of importing it
;; (wasm-ld --shared-memory --export-memory without --import-memory). Four threads add
;; their start argument (1..4) to the word at 0 and count themselves done at 4; main waits
;; for the count with memory.atomic.wait32 and exits with the sum: 10 when every thread
;; ran on main's memory; 100 if the bounded wait ran out; 101 if a spawn failed.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 16 shared)
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (local.get $arg)))
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))
  (func (export "_start")
    (local $i i32) (local $d i32)
    (local.set $i (i32.const 1))
    (loop $more
      (if (i32.le_s (call $spawn (local.get $i)) (i32.const 0))
        (then (call $exit (i32.const 101))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.le_u (local.get $i) (i32.const 4))))
    (local.set $i (i32.const 0))
    (block $done
      (loop $again
        (local.set $d (i32.atomic.load (i32.const 4)))
        (br_if $done (i32.ge_u (local.get $d) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.gt_u (local.get $i) (i32.const 50)) (then (call $exit (i32.const 100))))
        (drop (memory.atomic.wait32 (i32.const 4) (local.get $d) (i64.const 100000000)))
        (br $again)))
    (call $exit (i32.atomic.load (i32.const 0)))))
