;; Asks `blocking-write-zeroes-and-flush` for 4097 bytes of stdout: the WIT allows at most
;; 4096 there, and a guest's u64 must never become an unbounded host loop: the host traps.
(component
  (import "wasi:io/error@0.2.0" (instance $err
    (export "error" (type $e (sub resource)))
  ))
  (alias export $err "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $error (type $ee))
    (export "error" (type $e2 (eq $ee)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $e2)) (case "closed")))
    (export "stream-error" (type $se2 (eq $se)))
    (export "[method]output-stream.blocking-write-zeroes-and-flush"
      (func (param "self" (borrow $os)) (param "len" u64) (result (result (error $se2)))))
  ))
  (alias export $streams "output-stream" (type $ostream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $ostream (type $oo))
    (export "output-stream" (type $o2 (eq $oo)))
    (export "get-stdout" (func (result (own $o2))))
  ))
  (core module $mem (memory (export "memory") 1))
  (core instance $memi (instantiate $mem))
  (alias core export $memi "memory" (core memory $m))
  (alias export $stdout "get-stdout" (func $get))
  (alias export $streams "[method]output-stream.blocking-write-zeroes-and-flush" (func $wz))
  (core func $get_l (canon lower (func $get)))
  (core func $wz_l (canon lower (func $wz) (memory $m)))
  (core module $main
    (import "host" "memory" (memory 1))
    (import "host" "get" (func $get (result i32)))
    (import "host" "wz" (func $wz (param i32 i64 i32)))
    (func (export "run") (result i32)
      (call $wz (call $get) (i64.const 4097) (i32.const 16))
      i32.const 0))
  (core instance $host
    (export "memory" (memory $m)) (export "get" (func $get_l)) (export "wz" (func $wz_l)))
  (core instance $i (instantiate $main (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
