;; Takes a pollable from `subscribe-duration`, drops it, then asks it `ready`: the host
;; must trap on the dead handle (and `ready` on the live one must have worked first).
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
  ))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $pp))
    (export "pollable" (type $p2 (eq $pp)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p2))))
  ))
  (alias export $clock "subscribe-duration" (func $sub))
  (alias export $poll "[method]pollable.ready" (func $ready))
  (core func $sub_l (canon lower (func $sub)))
  (core func $ready_l (canon lower (func $ready)))
  (core func $drop_l (canon resource.drop $pollable))
  (core module $m
    (import "host" "sub" (func $sub (param i64) (result i32)))
    (import "host" "ready" (func $ready (param i32) (result i32)))
    (import "host" "drop" (func $drop (param i32)))
    (func (export "run") (result i32)
      (local $h i32)
      (local.set $h (call $sub (i64.const 0)))
      (if (i32.eqz (call $ready (local.get $h))) (then unreachable))
      (call $drop (local.get $h))
      (drop (call $ready (local.get $h)))
      i32.const 0)
  )
  (core instance $host
    (export "sub" (func $sub_l)) (export "ready" (func $ready_l)) (export "drop" (func $drop_l)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
