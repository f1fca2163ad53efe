;; futex_* imports and memory.atomic.wait32/notify instructions on the same addresses.
;; Thread 1 waits with the futex_wait import; main wakes it with memory.atomic.notify
;; (retried until it reports one waiter woken: the value never changes, so only a notify
;; that reaches the import's waiter can end that wait). Thread 2 waits with the
;; instruction; main wakes it with futex_wake. Exit code: 1 + 2 + 4 + 8 when all four
;; observations hold; 100 if a bounded loop ran out.
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasix_32v1" "futex_wait" (func $fwait (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "futex_wake" (func $fwake (param i32 i32) (result i32)))
  (import "wasix_32v1" "thread_sleep" (func $sleep (param i64) (result i32)))
  (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
  ;; 0: word A   4: thread 1 ready   8: thread 1's woken byte   16..32: timeout = none
  ;; 32: word B  36: thread 2 ready  40: thread 2's wait32 result  44: threads done
  ;; 48: futex_wake's woken byte
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (if (i32.eq (local.get $arg) (i32.const 1))
      (then
        (i32.atomic.store (i32.const 4) (i32.const 1))
        (drop (call $fwait (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 8))))
      (else
        (i32.atomic.store (i32.const 36) (i32.const 1))
        (i32.atomic.store (i32.const 40)
          (memory.atomic.wait32 (i32.const 32) (i32.const 0) (i64.const -1)))))
    (drop (i32.atomic.rmw.add (i32.const 44) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 44) (i32.const 1))))

  (func $until_set (param $addr i32)
    (local $i i32)
    (block $ok
      (loop $again
        (br_if $ok (i32.atomic.load (local.get $addr)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.gt_u (local.get $i) (i32.const 5000)) (then (call $exit (i32.const 100))))
        (drop (call $sleep (i64.const 1000000)))
        (br $again))))

  (func (export "_start")
    (local $i i32) (local $n i32) (local $code i32) (local $d i32)
    ;; Import waits, instruction wakes.
    (drop (call $spawn (i32.const 1)))
    (call $until_set (i32.const 4))
    (block $woke
      (loop $again
        (local.set $n (memory.atomic.notify (i32.const 0) (i32.const 1)))
        (br_if $woke (i32.eq (local.get $n) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.gt_u (local.get $i) (i32.const 5000)) (then (call $exit (i32.const 100))))
        (drop (call $sleep (i64.const 1000000)))
        (br $again)))
    (local.set $code (i32.const 1))
    ;; Instruction waits, import wakes.
    (drop (call $spawn (i32.const 2)))
    (call $until_set (i32.const 36))
    (local.set $i (i32.const 0))
    (block $woke2
      (loop $again
        (drop (call $fwake (i32.const 32) (i32.const 48)))
        (br_if $woke2 (i32.load8_u (i32.const 48)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.gt_u (local.get $i) (i32.const 5000)) (then (call $exit (i32.const 100))))
        (drop (call $sleep (i64.const 1000000)))
        (br $again)))
    (local.set $code (i32.or (local.get $code) (i32.const 4)))
    ;; Both threads report back.
    (local.set $i (i32.const 0))
    (block $done
      (loop $again
        (local.set $d (i32.atomic.load (i32.const 44)))
        (br_if $done (i32.ge_u (local.get $d) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.gt_u (local.get $i) (i32.const 50)) (then (call $exit (i32.const 100))))
        (drop (memory.atomic.wait32 (i32.const 44) (local.get $d) (i64.const 100000000)))
        (br $again)))
    (if (i32.eq (i32.load8_u (i32.const 8)) (i32.const 1))
      (then (local.set $code (i32.or (local.get $code) (i32.const 2)))))
    (if (i32.eqz (i32.atomic.load (i32.const 40)))
      (then (local.set $code (i32.or (local.get $code) (i32.const 8)))))
    (call $exit (local.get $code))))
