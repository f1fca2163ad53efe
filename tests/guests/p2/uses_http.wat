;; Imports `wasi:http/outgoing-handler#handle`, which wasix-compat does not provide: the
;; run must fail before instantiation with one line naming the function. (The link check
;; goes by name, so the function's type is reduced to nothing here.)
(component
  (import "wasi:http/outgoing-handler@0.2.0" (instance $http
    (export "handle" (func))
  ))
  (alias export $http "handle" (func $handle))
  (core func $handle_l (canon lower (func $handle)))
  (core module $m
    (import "host" "handle" (func $handle))
    (func (export "run") (result i32)
      (call $handle)
      i32.const 0)
  )
  (core instance $host (export "handle" (func $handle_l)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
