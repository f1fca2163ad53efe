;; wasi:sockets/ip-name-lookup called directly: a literal resolves to itself through the
;; stream (whose pollable is ready), `none` ends it, and a name that is not one is
;; `invalid-argument`. Needs `--net`. A failed check exits with its own number.
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
  ))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:sockets/network@0.2.0" (instance $network
    (export "network" (type (sub resource)))
    (type $ec' (enum "unknown" "access-denied" "not-supported" "invalid-argument"
      "out-of-memory" "timeout" "concurrency-conflict" "not-in-progress" "would-block"
      "invalid-state" "new-socket-limit" "address-not-bindable" "address-in-use"
      "remote-unreachable" "connection-refused" "connection-reset" "connection-aborted"
      "datagram-too-large" "name-unresolvable" "temporary-resolver-failure"
      "permanent-resolver-failure"))
    (export "error-code" (type (eq $ec')))
    (type $v4' (tuple u8 u8 u8 u8))
    (export "ipv4-address" (type $v4 (eq $v4')))
    (type $v6' (tuple u16 u16 u16 u16 u16 u16 u16 u16))
    (export "ipv6-address" (type $v6 (eq $v6')))
    (type $ip' (variant (case "ipv4" $v4) (case "ipv6" $v6)))
    (export "ip-address" (type (eq $ip')))
  ))
  (alias export $network "network" (type $network_t))
  (alias export $network "error-code" (type $ec))
  (alias export $network "ip-address" (type $ip))
  (import "wasi:sockets/instance-network@0.2.0" (instance $inet
    (alias outer 1 $network_t (type $nn))
    (export "network" (type $n (eq $nn)))
    (export "instance-network" (func (result (own $n))))
  ))
  (import "wasi:sockets/ip-name-lookup@0.2.0" (instance $lookup
    (alias outer 1 $pollable (type $pp))
    (export "pollable" (type $p (eq $pp)))
    (alias outer 1 $network_t (type $nn))
    (export "network" (type $n (eq $nn)))
    (alias outer 1 $ec (type $ee))
    (export "error-code" (type $e (eq $ee)))
    (alias outer 1 $ip (type $ii))
    (export "ip-address" (type $i (eq $ii)))
    (export "resolve-address-stream" (type $r (sub resource)))
    (export "resolve-addresses" (func (param "network" (borrow $n)) (param "name" string)
      (result (result (own $r) (error $e)))))
    (export "[method]resolve-address-stream.resolve-next-address"
      (func (param "self" (borrow $r)) (result (result (option $i) (error $e)))))
    (export "[method]resolve-address-stream.subscribe"
      (func (param "self" (borrow $r)) (result (own $p))))
  ))
  (import "wasi:cli/exit@0.2.6" (instance $exit
    (export "exit-with-code" (func (param "status-code" u8)))
  ))

  (core module $libc
    (memory (export "mem") 1)
  )
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))

  (alias export $inet "instance-network" (func $inet_f))
  (alias export $lookup "resolve-addresses" (func $resolve))
  (alias export $lookup "[method]resolve-address-stream.resolve-next-address" (func $next))
  (alias export $lookup "[method]resolve-address-stream.subscribe" (func $subscribe))
  (alias export $poll "[method]pollable.ready" (func $ready))
  (alias export $exit "exit-with-code" (func $exit_with_code))
  (core func $inet_l (canon lower (func $inet_f)))
  (core func $resolve_l (canon lower (func $resolve) (memory $mem)))
  (core func $next_l (canon lower (func $next) (memory $mem)))
  (core func $subscribe_l (canon lower (func $subscribe)))
  (core func $ready_l (canon lower (func $ready)))
  (core func $exit_l (canon lower (func $exit_with_code)))

  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "instance-network" (func $inet (result i32)))
    (import "host" "resolve" (func $resolve (param i32 i32 i32 i32)))
    (import "host" "next" (func $next (param i32 i32)))
    (import "host" "subscribe" (func $subscribe (param i32) (result i32)))
    (import "host" "ready" (func $ready (param i32) (result i32)))
    (import "host" "exit" (func $exit (param i32)))
    (data (i32.const 100) "127.0.0.1")
    (data (i32.const 120) "bad name!")
    (data (i32.const 140) "::1")
    (func $check (param $ok i32) (param $code i32)
      (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $code)))))
    (func (export "run") (result i32)
      (local $net i32) (local $r i32)
      (local.set $net (call $inet))
      ;; 127.0.0.1: a stream whose pollable is ready, giving ipv4 127.0.0.1, then none
      (call $resolve (local.get $net) (i32.const 100) (i32.const 9) (i32.const 300))
      (call $check (i32.eqz (i32.load8_u (i32.const 300))) (i32.const 10))
      (local.set $r (i32.load (i32.const 304)))
      (call $check (call $ready (call $subscribe (local.get $r))) (i32.const 11))
      (call $next (local.get $r) (i32.const 300))
      (call $check (i32.eqz (i32.load8_u (i32.const 300))) (i32.const 12))
      (call $check (i32.eq (i32.load8_u (i32.const 302)) (i32.const 1)) (i32.const 13))
      (call $check (i32.eqz (i32.load8_u (i32.const 304))) (i32.const 14))
      (call $check (i32.eq (i32.load (i32.const 306)) (i32.const 0x0100007f)) (i32.const 15))
      (call $next (local.get $r) (i32.const 300))
      (call $check (i32.eqz (i32.load8_u (i32.const 300))) (i32.const 16))
      (call $check (i32.eqz (i32.load8_u (i32.const 302))) (i32.const 17))
      ;; ::1: ipv6, the last segment 1
      (call $resolve (local.get $net) (i32.const 140) (i32.const 3) (i32.const 300))
      (call $check (i32.eqz (i32.load8_u (i32.const 300))) (i32.const 20))
      (call $next (i32.load (i32.const 304)) (i32.const 300))
      (call $check (i32.eq (i32.load8_u (i32.const 304)) (i32.const 1)) (i32.const 21))
      (call $check (i32.eq (i32.load16_u (i32.const 320)) (i32.const 1)) (i32.const 22))
      (call $check (i32.eqz (i32.load16_u (i32.const 306))) (i32.const 23))
      ;; "bad name!": invalid-argument (3)
      (call $resolve (local.get $net) (i32.const 120) (i32.const 9) (i32.const 300))
      (call $check (i32.eq (i32.load8_u (i32.const 300)) (i32.const 1)) (i32.const 30))
      (call $check (i32.eq (i32.load8_u (i32.const 304)) (i32.const 3)) (i32.const 31))
      i32.const 0)
  )
  (core instance $host
    (export "instance-network" (func $inet_l))
    (export "resolve" (func $resolve_l))
    (export "next" (func $next_l))
    (export "subscribe" (func $subscribe_l))
    (export "ready" (func $ready_l))
    (export "exit" (func $exit_l)))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
