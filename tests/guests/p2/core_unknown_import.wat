;; A core module importing a WASI 0.2 function we do not provide.
(module
  (import "wasi:http/outgoing-handler@0.2.0" "handle" (func (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "wasi:cli/run@0.2.0#run") (result i32) (i32.const 0)))
