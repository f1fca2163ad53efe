;; Calls `[method]tcp-socket.is-listening` on handle 42, which the host never gave out:
;; the run must end in a trap naming the handle (not a host panic, not an error code).
(component
  (import "wasi:sockets/tcp@0.2.0" (instance $tcp
    (export "tcp-socket" (type $t (sub resource)))
    (export "[method]tcp-socket.is-listening" (func (param "self" (borrow $t)) (result bool)))
  ))
  (alias export $tcp "[method]tcp-socket.is-listening" (func $is_listening))
  (core func $is_listening_l (canon lower (func $is_listening)))
  (core module $m
    (import "host" "is-listening" (func $is_listening (param i32) (result i32)))
    (func (export "run") (result i32)
      (drop (call $is_listening (i32.const 42)))
      i32.const 0)
  )
  (core instance $host (export "is-listening" (func $is_listening_l)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
