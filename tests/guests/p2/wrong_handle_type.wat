;; Passes a pollable's handle where an output-stream is expected (the guest forges the
;; type: the component model would keep them apart): the host must trap naming both.
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
  ))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $pp))
    (export "pollable" (type $p2 (eq $pp)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p2))))
  ))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $pollable (type $pp))
    (export "pollable" (type $p3 (eq $pp)))
    (export "output-stream" (type $os (sub resource)))
    (export "[method]output-stream.subscribe" (func (param "self" (borrow $os)) (result (own $p3))))
  ))
  (alias export $clock "subscribe-duration" (func $sub))
  (alias export $streams "[method]output-stream.subscribe" (func $out_sub))
  (core func $sub_l (canon lower (func $sub)))
  (core func $out_sub_l (canon lower (func $out_sub)))
  (core module $m
    (import "host" "sub" (func $sub (param i64) (result i32)))
    (import "host" "out-sub" (func $out_sub (param i32) (result i32)))
    (func (export "run") (result i32)
      (drop (call $out_sub (call $sub (i64.const 0))))
      i32.const 0)
  )
  (core instance $host (export "sub" (func $sub_l)) (export "out-sub" (func $out_sub_l)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
