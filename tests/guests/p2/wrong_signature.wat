;; A component that declares `monotonic-clock.now` as returning u32 (WIT says u64): its
;; lowering has the core type `() -> i32`, which the host refuses at link time.
(component
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (export "now" (func (result u32)))
  ))
  (alias export $clock "now" (func $now))
  (core func $now_lowered (canon lower (func $now)))
  (core module $m
    (import "host" "now" (func $now (result i32)))
    (func (export "run") (result i32)
      (drop (call $now))
      i32.const 0)
  )
  (core instance $host (export "now" (func $now_lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
