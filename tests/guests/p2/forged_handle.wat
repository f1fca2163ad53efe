;; A hand-written command component that calls `[method]pollable.ready` on handle 42,
;; which the host never gave out: the run must end in a trap naming the handle.
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
  ))
  (alias export $poll "[method]pollable.ready" (func $ready))
  (core func $ready_lowered (canon lower (func $ready)))
  (core module $m
    (import "host" "ready" (func $ready (param i32) (result i32)))
    (func (export "run") (result i32)
      (drop (call $ready (i32.const 42)))
      i32.const 0)
  )
  (core instance $host (export "ready" (func $ready_lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
