;; What std::fs never asks through the preview1 adapter: `get-directories` (its list of
;; (descriptor, string) read from guest memory), `open-at` results and errors,
;; `is-same-object`, `metadata-hash` and the canonical layout of `descriptor-stat`.
;; The host dir holds `x.txt` with "content" (7 bytes) and is preopened as `/data`.
;; Every check that fails ends the run through `exit-with-code` with its own number;
;; all passing returns `ok` (status 0).
(component
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
    (type $mh' (record (field "lower" u64) (field "upper" u64)))
    (export "metadata-hash-value" (type $mh (eq $mh')))
    (export "[method]descriptor.open-at" (func (param "self" (borrow $d))
      (param "path-flags" $pf) (param "path" string) (param "open-flags" $of)
      (param "flags" $df) (result (result (own $d) (error $ec)))))
    (export "[method]descriptor.is-same-object" (func (param "self" (borrow $d))
      (param "other" (borrow $d)) (result bool)))
    (export "[method]descriptor.metadata-hash" (func (param "self" (borrow $d))
      (result (result $mh (error $ec)))))
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
  (import "wasi:cli/exit@0.2.6" (instance $exit
    (export "exit-with-code" (func (param "status-code" u8)))
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

  (alias export $preopens "get-directories" (func $get_dirs))
  (alias export $types "[method]descriptor.open-at" (func $open_at))
  (alias export $types "[method]descriptor.is-same-object" (func $same))
  (alias export $types "[method]descriptor.metadata-hash" (func $hash))
  (alias export $types "[method]descriptor.stat" (func $stat))
  (alias export $exit "exit-with-code" (func $exit_with_code))
  (core func $get_dirs_l (canon lower (func $get_dirs) (memory $mem) (realloc $realloc)))
  (core func $open_at_l (canon lower (func $open_at) (memory $mem)))
  (core func $same_l (canon lower (func $same)))
  (core func $hash_l (canon lower (func $hash) (memory $mem)))
  (core func $stat_l (canon lower (func $stat) (memory $mem)))
  (core func $exit_l (canon lower (func $exit_with_code)))

  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "get-directories" (func $get_dirs (param i32)))
    (import "host" "open-at" (func $open_at (param i32 i32 i32 i32 i32 i32 i32)))
    (import "host" "is-same-object" (func $same (param i32 i32) (result i32)))
    (import "host" "metadata-hash" (func $hash (param i32 i32)))
    (import "host" "stat" (func $stat (param i32 i32)))
    (import "host" "exit" (func $exit (param i32)))
    (data (i32.const 100) ".")
    (data (i32.const 104) "x.txt")
    (data (i32.const 112) "nope")
    (data (i32.const 120) "../x.txt")
    ;; Ends with status `code` unless `ok`.
    (func $check (param $ok i32) (param $code i32)
      (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $code)))))
    (func (export "run") (result i32)
      (local $elem i32) (local $h i32) (local $h2 i32) (local $h3 i32) (local $name i32)
      ;; get-directories: one preopen, `/data`.
      (call $get_dirs (i32.const 200))
      (call $check (i32.eq (i32.load (i32.const 204)) (i32.const 1)) (i32.const 10))
      (local.set $elem (i32.load (i32.const 200)))
      (local.set $h (i32.load (local.get $elem)))
      (local.set $name (i32.load offset=4 (local.get $elem)))
      (call $check (i32.eq (i32.load offset=8 (local.get $elem)) (i32.const 5)) (i32.const 11))
      (call $check (i32.eq (i32.load8_u (local.get $name)) (i32.const 47)) (i32.const 12))
      (call $check (i32.eq (i32.load8_u offset=4 (local.get $name)) (i32.const 97)) (i32.const 13))
      ;; open-at(".", directory, read) is the same object with the same hash.
      (call $open_at (local.get $h) (i32.const 0) (i32.const 100) (i32.const 1)
        (i32.const 2) (i32.const 1) (i32.const 300))
      (call $check (i32.eqz (i32.load8_u (i32.const 300))) (i32.const 20))
      (local.set $h2 (i32.load (i32.const 304)))
      (call $check (call $same (local.get $h) (local.get $h2)) (i32.const 21))
      (call $hash (local.get $h) (i32.const 400))
      (call $hash (local.get $h2) (i32.const 440))
      (call $check (i32.eqz (i32.load8_u (i32.const 400))) (i32.const 22))
      (call $check (i64.eq (i64.load (i32.const 408)) (i64.load (i32.const 448))) (i32.const 23))
      (call $check (i64.eq (i64.load (i32.const 416)) (i64.load (i32.const 456))) (i32.const 24))
      ;; open-at("x.txt", read) is another object with another hash.
      (call $open_at (local.get $h) (i32.const 0) (i32.const 104) (i32.const 5)
        (i32.const 0) (i32.const 1) (i32.const 300))
      (call $check (i32.eqz (i32.load8_u (i32.const 300))) (i32.const 30))
      (local.set $h3 (i32.load (i32.const 304)))
      (call $check (i32.eqz (call $same (local.get $h) (local.get $h3))) (i32.const 31))
      (call $hash (local.get $h3) (i32.const 480))
      (call $check (i64.ne (i64.load (i32.const 488)) (i64.load (i32.const 408))) (i32.const 32))
      ;; stat: ok, regular-file, one link, 7 bytes, every timestamp `some` and recent.
      (call $stat (local.get $h3) (i32.const 512))
      (call $check (i32.eqz (i32.load8_u (i32.const 512))) (i32.const 40))
      (call $check (i32.eq (i32.load8_u (i32.const 520)) (i32.const 6)) (i32.const 41))
      (call $check (i64.eq (i64.load (i32.const 528)) (i64.const 1)) (i32.const 42))
      (call $check (i64.eq (i64.load (i32.const 536)) (i64.const 7)) (i32.const 43))
      (call $check (i32.eq (i32.load8_u (i32.const 544)) (i32.const 1)) (i32.const 44))
      (call $check (i32.eq (i32.load8_u (i32.const 568)) (i32.const 1)) (i32.const 45))
      (call $check (i64.gt_u (i64.load (i32.const 576)) (i64.const 1600000000)) (i32.const 46))
      (call $check (i32.lt_u (i32.load (i32.const 584)) (i32.const 1000000000)) (i32.const 47))
      (call $check (i32.eq (i32.load8_u (i32.const 592)) (i32.const 1)) (i32.const 48))
      ;; stat of the directory: type directory.
      (call $stat (local.get $h) (i32.const 512))
      (call $check (i32.eq (i32.load8_u (i32.const 520)) (i32.const 3)) (i32.const 49))
      ;; open-at errors: no-entry (20), and not-permitted (31) for `..`.
      (call $open_at (local.get $h) (i32.const 0) (i32.const 112) (i32.const 4)
        (i32.const 0) (i32.const 1) (i32.const 300))
      (call $check (i32.eq (i32.load8_u (i32.const 300)) (i32.const 1)) (i32.const 50))
      (call $check (i32.eq (i32.load8_u (i32.const 304)) (i32.const 20)) (i32.const 51))
      (call $open_at (local.get $h) (i32.const 0) (i32.const 120) (i32.const 8)
        (i32.const 0) (i32.const 1) (i32.const 300))
      (call $check (i32.eq (i32.load8_u (i32.const 300)) (i32.const 1)) (i32.const 52))
      (call $check (i32.eq (i32.load8_u (i32.const 304)) (i32.const 31)) (i32.const 53))
      i32.const 0)
  )
  (core instance $host
    (export "get-directories" (func $get_dirs_l))
    (export "open-at" (func $open_at_l))
    (export "is-same-object" (func $same_l))
    (export "metadata-hash" (func $hash_l))
    (export "stat" (func $stat_l))
    (export "exit" (func $exit_l)))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance))
)
