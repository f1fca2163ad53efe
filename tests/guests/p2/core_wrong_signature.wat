;; A core module importing `get-stdout` with a core type that is not its flat signature.
(module
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func (result i64)))
  (memory (export "memory") 1)
  (func (export "wasi:cli/run@0.2.0#run") (result i32) (i32.const 0)))
