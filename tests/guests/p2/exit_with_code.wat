;; A hand-written command component that ends through the unstable
;; `wasi:cli/exit#exit-with-code` with status 9 (std's `process::exit` only reaches
;; `exit(result)`, which can say 0 or 1).
(component
  (import "wasi:cli/exit@0.2.6" (instance $exit
    (export "exit-with-code" (func (param "status-code" u8)))
  ))
  (alias export $exit "exit-with-code" (func $exit_with_code))
  (core func $exit_lowered (canon lower (func $exit_with_code)))
  (core module $m
    (import "host" "exit-with-code" (func $exit (param i32)))
    (func (export "run") (result i32)
      (call $exit (i32.const 9))
      unreachable)
  )
  (core instance $host (export "exit-with-code" (func $exit_lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
