;; wasix_64v1 proc_exit: the code given is the process status, and nothing after the call
;; runs. Prints "before exit" (through a 16-byte ciovec), exits 42 from inside a nested
;; call, and would print "after exit" if control ever came back.
(module
  (import "wasix_64v1" "fd_write" (func $fd_write (param i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "before exit\n")
  (data (i32.const 0x120) "after exit\n")
  (func $say (param $p i64) (param $n i64)
    (i64.store (i32.const 0x10) (local.get $p))
    (i64.store (i32.const 0x18) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i64.const 0x10) (i64.const 1) (i64.const 0x20))))
  (func $leave (param $code i32)
    (call $proc_exit (local.get $code))
    (call $say (i64.const 0x120) (i64.const 11)))
  (func (export "_start")
    (call $say (i64.const 0x100) (i64.const 12))
    (call $leave (i32.const 42))
    (call $say (i64.const 0x120) (i64.const 11)))
)
