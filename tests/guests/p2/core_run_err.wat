;; A core module whose `wasi:cli/run#run` returns `err` after writing through 0.2 stdout.
(module
  (import "wasi:cli/stdout@0.2.3" "get-stdout" (func $stdout (result i32)))
  (import "wasi:io/streams@0.2.3" "[method]output-stream.blocking-write-and-flush"
    (func $write (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "run says err\n")
  (func (export "wasi:cli/run@0.2.3#run") (result i32)
    (call $write (call $stdout) (i32.const 16) (i32.const 13) (i32.const 64))
    (i32.const 1)))
