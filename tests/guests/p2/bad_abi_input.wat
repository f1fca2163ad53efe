;; Bad input across the canonical ABI, one case per run, chosen by the first byte of the
;; first environment variable's value (`--env CASE=N`; none is case 0). Every case but 0
;; must trap in the host function it calls, naming what was wrong:
;;   0  the calls of cases 1, 4, 6 and 7 with good arguments: returns `ok`
;;   1  open-at with a path that is not UTF-8 (bytes ff fe)
;;   2  open-at with a path running past the end of memory (10 bytes at 65530)
;;   3  open-at with a path of length 0xffff_ffff
;;   4  blocking-write-and-flush of a list<u8> past the end of memory (10 bytes at 65530)
;;   5  blocking-write-and-flush of a list<u8> of length 0xffff_ffff
;;   6  poll with its list<borrow<pollable>> at address 2 (the ABI wants 4-byte alignment)
;;   7  wall-clock now with its return pointer at 4 (a datetime record wants 8)
;;   8  poll with a list of 2 handles at 65532 (the second lies past the end of memory)
;;   9  descriptor.stat with its return area (104 bytes) starting at 65528
;; The single preopen (`--dir … ::/data` from the test) gives open-at its descriptor.
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "poll" (func (param "in" (list (borrow $p))) (result (list u32))))
  ))
  (alias export $poll "pollable" (type $pollable))
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
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
        (result (result (error $se2)))))
  ))
  (alias export $streams "output-stream" (type $ostream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $ostream (type $oo))
    (export "output-stream" (type $o2 (eq $oo)))
    (export "get-stdout" (func (result (own $o2))))
  ))
  (import "wasi:cli/environment@0.2.0" (instance $environment
    (type $kv (tuple string string))
    (export "get-environment" (func (result (list $kv))))
  ))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $pp))
    (export "pollable" (type $p2 (eq $pp)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p2))))
  ))
  (import "wasi:clocks/wall-clock@0.2.0" (instance $wall
    (type $dt' (record (field "seconds" u64) (field "nanoseconds" u32)))
    (export "datetime" (type $dt (eq $dt')))
    (export "now" (func (result $dt)))
  ))
  (import "wasi:filesystem/types@0.2.0" (instance $types
    (export "descriptor" (type $d (sub resource)))
    (type $ec' (enum "access" "would-block" "already" "bad-descriptor" "busy" "deadlock"
      "quota" "exist" "file-too-large" "illegal-byte-sequence" "in-progress" "interrupted"
      "invalid" "io" "is-directory" "loop" "too-many-links" "message-size" "name-too-long"
      "no-device" "no-entry" "no-lock" "insufficient-memory" "insufficient-space"
      "not-directory" "not-empty" "not-recoverable" "unsupported" "no-tty" "no-such-device"
      "overflow" "not-permitted" "pipe" "read-only" "invalid-seek" "text-file-busy"
      "cross-device"))
    (export "error-code" (type $ec (eq $ec')))
    (type $dty' (enum "unknown" "block-device" "character-device" "directory" "fifo"
      "symbolic-link" "regular-file" "socket"))
    (export "descriptor-type" (type $dty (eq $dty')))
    (type $pf' (flags "symlink-follow"))
    (export "path-flags" (type $pf (eq $pf')))
    (type $of' (flags "create" "directory" "exclusive" "truncate"))
    (export "open-flags" (type $of (eq $of')))
    (type $df' (flags "read" "write" "file-integrity-sync" "data-integrity-sync"
      "requested-write-sync" "mutate-directory"))
    (export "descriptor-flags" (type $df (eq $df')))
    (type $dt' (record (field "seconds" u64) (field "nanoseconds" u32)))
    (export "datetime" (type $dt (eq $dt')))
    (type $odt (option $dt))
    (type $stat' (record (field "type" $dty) (field "link-count" u64) (field "size" u64)
      (field "data-access-timestamp" $odt) (field "data-modification-timestamp" $odt)
      (field "status-change-timestamp" $odt)))
    (export "descriptor-stat" (type $stat (eq $stat')))
    (export "[method]descriptor.open-at" (func (param "self" (borrow $d))
      (param "path-flags" $pf) (param "path" string) (param "open-flags" $of)
      (param "flags" $df) (result (result (own $d) (error $ec)))))
    (export "[method]descriptor.stat" (func (param "self" (borrow $d))
      (result (result $stat (error $ec)))))
  ))
  (alias export $types "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@0.2.0" (instance $preopens
    (alias outer 1 $descriptor (type $dd))
    (export "descriptor" (type $d (eq $dd)))
    (type $own (own $d))
    (type $t (tuple $own string))
    (type $l (list $t))
    (export "get-directories" (func (result $l)))
  ))

  (core module $libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 4096))
    ;; A bump allocator: realloc(0, 0, align, size).
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p
        (i32.and
          (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
  )
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))

  (alias export $poll "poll" (func $poll_f))
  (alias export $streams "[method]output-stream.blocking-write-and-flush" (func $write_f))
  (alias export $stdout "get-stdout" (func $stdout_f))
  (alias export $environment "get-environment" (func $env_f))
  (alias export $clock "subscribe-duration" (func $sub_f))
  (alias export $wall "now" (func $now_f))
  (alias export $types "[method]descriptor.open-at" (func $open_at_f))
  (alias export $types "[method]descriptor.stat" (func $stat_f))
  (alias export $preopens "get-directories" (func $dirs_f))
  (core func $poll_l (canon lower (func $poll_f) (memory $mem) (realloc $realloc)))
  (core func $write_l (canon lower (func $write_f) (memory $mem)))
  (core func $stdout_l (canon lower (func $stdout_f)))
  (core func $env_l (canon lower (func $env_f) (memory $mem) (realloc $realloc)))
  (core func $sub_l (canon lower (func $sub_f)))
  (core func $now_l (canon lower (func $now_f) (memory $mem)))
  (core func $open_at_l (canon lower (func $open_at_f) (memory $mem)))
  (core func $stat_l (canon lower (func $stat_f) (memory $mem)))
  (core func $dirs_l (canon lower (func $dirs_f) (memory $mem) (realloc $realloc)))

  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "poll" (func $poll (param i32 i32 i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "stdout" (func $stdout (result i32)))
    (import "host" "env" (func $env (param i32)))
    (import "host" "sub" (func $sub (param i64) (result i32)))
    (import "host" "now" (func $now (param i32)))
    (import "host" "open-at" (func $open_at (param i32 i32 i32 i32 i32 i32 i32)))
    (import "host" "stat" (func $stat (param i32 i32)))
    (import "host" "dirs" (func $dirs (param i32)))
    (data (i32.const 100) "ok.txt")
    (data (i32.const 108) "\ff\fe")
    (data (i32.const 112) "hi\n")
    ;; The preopen's descriptor (the first of get-directories' list).
    (func $dir (result i32)
      (call $dirs (i32.const 200))
      (i32.load (i32.load (i32.const 200))))
    ;; open-at(dir, no flags, path, create, write): the result lands at 304.
    (func $open (param $ptr i32) (param $len i32)
      (call $open_at (call $dir) (i32.const 0) (local.get $ptr) (local.get $len)
        (i32.const 1) (i32.const 2) (i32.const 304)))
    ;; poll on one pollable stored (unaligned stores are fine in core wasm) at $at.
    (func $poll_at (param $at i32)
      (i32.store align=1 (local.get $at) (call $sub (i64.const 0)))
      (call $poll (local.get $at) (i32.const 1) (i32.const 320)))
    (func $case (result i32)
      (call $env (i32.const 240))
      (if (i32.eqz (i32.load (i32.const 244))) (then (return (i32.const 0))))
      ;; First element: key (ptr, len), value (ptr, len); the value's first byte.
      (i32.sub (i32.load8_u (i32.load offset=8 (i32.load (i32.const 240)))) (i32.const 48)))
    (func (export "run") (result i32)
      (block $c9 (block $c8 (block $c7 (block $c6 (block $c5 (block $c4 (block $c3
        (block $c2 (block $c1 (block $c0
          (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $c7 $c8 $c9 $c0 (call $case)))
          (call $open (i32.const 100) (i32.const 6))
          (call $write (call $stdout) (i32.const 112) (i32.const 3) (i32.const 336))
          (call $poll_at (i32.const 4))
          (call $now (i32.const 352))
          (return (i32.const 0)))
        (call $open (i32.const 108) (i32.const 2)) (return (i32.const 0)))
        (call $open (i32.const 65530) (i32.const 10)) (return (i32.const 0)))
        (call $open (i32.const 100) (i32.const -1)) (return (i32.const 0)))
        (call $write (call $stdout) (i32.const 65530) (i32.const 10) (i32.const 336))
        (return (i32.const 0)))
        (call $write (call $stdout) (i32.const 112) (i32.const -1) (i32.const 336))
        (return (i32.const 0)))
        (call $poll_at (i32.const 2)) (return (i32.const 0)))
        (call $now (i32.const 4)) (return (i32.const 0)))
        (i32.store (i32.const 65532) (call $sub (i64.const 0)))
        (call $poll (i32.const 65532) (i32.const 2) (i32.const 320))
        (return (i32.const 0)))
      (call $stat (call $dir) (i32.const 65528))
      i32.const 0)
  )
  (core instance $host
    (export "poll" (func $poll_l))
    (export "write" (func $write_l))
    (export "stdout" (func $stdout_l))
    (export "env" (func $env_l))
    (export "sub" (func $sub_l))
    (export "now" (func $now_l))
    (export "open-at" (func $open_at_l))
    (export "stat" (func $stat_l))
    (export "dirs" (func $dirs_l)))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
