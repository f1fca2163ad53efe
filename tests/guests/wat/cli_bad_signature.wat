;; Imports a real preview1 function with the wrong signature: fd_write (i32) -> i32.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $fd_write (i32.const 1))))
)
