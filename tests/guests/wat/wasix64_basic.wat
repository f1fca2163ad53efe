;; wasix_64v1, part 1: the process-level functions. Every pointer and every size is an i64;
;; every size the host hands back through a pointer is a u64; argv / environ pointer arrays
;; and (c)iovecs use 8-byte slots. Memory is an ordinary 32-bit memory.
;;
;; Covered: args_sizes_get, args_get, environ_sizes_get, environ_get, clock_res_get,
;; clock_time_get, random_get, fd_write (stdout, two iovecs), fd_read (stdin, two iovecs),
;; fd_fdstat_get (stdout), fd_prestat_get, fd_prestat_dir_name, sched_yield, proc_raise(0),
;; poll_oneoff (clock alone; stdout writable + long clock), proc_exit (with the failure count).
;;
;; Expects: `-- alpha beta-gamma`, `--env FOO=bar --env EMPTY=`, stdin "stdin-data-XYZ\n"
;; (15 bytes), and a preopen `/sandbox` at fd 3.
;;
;; Output: one `<check>: ok` line per check, or `<check>: FAIL errno <n>` when the call
;; returned an error, or `<check>: FAIL check <k> (value|sentinel)` when a result was wrong
;; (value) or bytes around an out-value were touched (sentinel). The exit code is the number
;; of failed checks.
(module
  (import "wasix_64v1" "fd_write" (func $fd_write (param i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_read" (func $fd_read (param i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "args_sizes_get" (func $args_sizes_get (param i64 i64) (result i32)))
  (import "wasix_64v1" "args_get" (func $args_get (param i64 i64) (result i32)))
  (import "wasix_64v1" "environ_sizes_get" (func $environ_sizes_get (param i64 i64) (result i32)))
  (import "wasix_64v1" "environ_get" (func $environ_get (param i64 i64) (result i32)))
  (import "wasix_64v1" "clock_res_get" (func $clock_res_get (param i32 i64) (result i32)))
  (import "wasix_64v1" "clock_time_get" (func $clock_time_get (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "random_get" (func $random_get (param i64 i64) (result i32)))
  (import "wasix_64v1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i64) (result i32)))
  (import "wasix_64v1" "fd_prestat_get" (func $fd_prestat_get (param i32 i64) (result i32)))
  (import "wasix_64v1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "sched_yield" (func $sched_yield (result i32)))
  (import "wasix_64v1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasix_64v1" "poll_oneoff" (func $poll_oneoff (param i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  ;; ======== reporting helpers (same in every wasix64_*.wat) ========
  ;; 0x10 one ciovec (16 bytes), 0x20 its nwritten (8), 0x40..0x60 decimal digits.
  (data (i32.const 0x100) ": ok\n\00")
  (data (i32.const 0x110) ": FAIL errno \00")
  (data (i32.const 0x120) ": FAIL check \00")
  (data (i32.const 0x130) " (sentinel)\n\00")
  (data (i32.const 0x140) " (value)\n\00")
  (data (i32.const 0x150) "\n\00")
  (data (i32.const 0x152) "=\00")
  (global $fails (mut i32) (i32.const 0))
  (global $detail (mut i32) (i32.const 0))
  (global $why (mut i32) (i32.const 0))

  (func $write (param $p i32) (param $n i32)
    (i64.store (i32.const 0x10) (i64.extend_i32_u (local.get $p)))
    (i64.store (i32.const 0x18) (i64.extend_i32_u (local.get $n)))
    (drop (call $fd_write (i32.const 1) (i64.const 0x10) (i64.const 1) (i64.const 0x20))))
  (func $strlen (param $p i32) (result i32)
    (local $i i32)
    (local.set $i (local.get $p))
    (block $end
      (loop $l
        (br_if $end (i32.eqz (i32.load8_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.sub (local.get $i) (local.get $p)))
  (func $puts (param $s i32)
    (call $write (local.get $s) (call $strlen (local.get $s))))
  (func $put_u64 (param $v i64)
    (local $i i32)
    (local.set $i (i32.const 0x60))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $l (i64.ne (local.get $v) (i64.const 0))))
    (call $write (local.get $i) (i32.sub (i32.const 0x60) (local.get $i))))
  ;; Fills [a-8, a+n+8) with 0xAA: the out-value plus an 8-byte sentinel on each side.
  (func $guard (param $a i32) (param $n i32)
    (memory.fill (i32.sub (local.get $a) (i32.const 8)) (i32.const 0xAA)
      (i32.add (local.get $n) (i32.const 16))))
  ;; Both sentinels around an n-byte out-value are still 0xAA.
  (func $intact (param $a i32) (param $n i32) (result i32)
    (i32.and
      (i64.eq (i64.load (i32.sub (local.get $a) (i32.const 8))) (i64.const 0xAAAAAAAAAAAAAAAA))
      (i64.eq (i64.load (i32.add (local.get $a) (local.get $n))) (i64.const 0xAAAAAAAAAAAAAAAA))))
  ;; Remembers the first failed check of the current report.
  (func $want (param $c i32) (param $k i32)
    (if (i32.and (i32.eqz (local.get $c)) (i32.eqz (global.get $detail)))
      (then (global.set $detail (local.get $k)) (global.set $why (i32.const 0x140)))))
  (func $want_guard (param $a i32) (param $n i32) (param $k i32)
    (if (i32.and (i32.eqz (call $intact (local.get $a) (local.get $n)))
                 (i32.eqz (global.get $detail)))
      (then (global.set $detail (local.get $k)) (global.set $why (i32.const 0x130)))))
  ;; An 8-byte out-value equal to v, sentinels intact.
  (func $want64 (param $a i32) (param $v i64) (param $k i32)
    (call $want_guard (local.get $a) (i32.const 8) (local.get $k))
    (call $want (i64.eq (i64.load (local.get $a)) (local.get $v)) (local.get $k)))
  ;; Prints the verdict for `name` given the call's errno and the checks since last report.
  (func $report (param $name i32) (param $e i32)
    (call $puts (local.get $name))
    (if (local.get $e)
      (then
        (call $puts (i32.const 0x110))
        (call $put_u64 (i64.extend_i32_u (local.get $e)))
        (call $puts (i32.const 0x150))
        (global.set $fails (i32.add (global.get $fails) (i32.const 1))))
      (else
        (if (global.get $detail)
          (then
            (call $puts (i32.const 0x120))
            (call $put_u64 (i64.extend_i32_u (global.get $detail)))
            (call $puts (global.get $why))
            (global.set $fails (i32.add (global.get $fails) (i32.const 1))))
          (else (call $puts (i32.const 0x100))))))
    (global.set $detail (i32.const 0)))
  ;; prints "<prefix><str>\n" for a NUL-terminated guest string
  (func $show (param $prefix i32) (param $s i32)
    (call $puts (local.get $prefix))
    (call $puts (local.get $s))
    (call $puts (i32.const 0x150)))

  ;; ======== check names (32-byte slots) ========
  (data (i32.const 0x1000) "args_sizes_get\00")
  (data (i32.const 0x1020) "args_get\00")
  (data (i32.const 0x1040) "environ_sizes_get\00")
  (data (i32.const 0x1060) "environ_get\00")
  (data (i32.const 0x1080) "clock_res_get\00")
  (data (i32.const 0x10a0) "clock_time_get.realtime\00")
  (data (i32.const 0x10c0) "clock_time_get.monotonic\00")
  (data (i32.const 0x10e0) "clock_time_get.process\00")
  (data (i32.const 0x1100) "random_get\00")
  (data (i32.const 0x1120) "fd_write.stdout\00")
  (data (i32.const 0x1140) "fd_read.stdin\00")
  (data (i32.const 0x1160) "fd_fdstat_get.stdout\00")
  (data (i32.const 0x1180) "fd_prestat_get\00")
  (data (i32.const 0x11a0) "fd_prestat_dir_name\00")
  (data (i32.const 0x11c0) "sched_yield\00")
  (data (i32.const 0x11e0) "proc_raise\00")
  (data (i32.const 0x1200) "poll_oneoff.clock\00")
  (data (i32.const 0x1220) "poll_oneoff.stdout\00")
  (data (i32.const 0x1240) "arg[\00")
  (data (i32.const 0x1250) "env[\00")
  (data (i32.const 0x1260) "]=\00")
  (data (i32.const 0x1270) "stdin=\00")
  (data (i32.const 0x1280) "failures=\00")

  ;; ======== payloads ========
  (data (i32.const 0x2000) "hello, ")
  (data (i32.const 0x2010) "wasix64\n")
  (data (i32.const 0x2020) "/sandbox")

  ;; prints "<prefix><i>]=<string at p>\n"
  (func $show_item (param $prefix i32) (param $i i32) (param $p i32)
    (call $puts (local.get $prefix))
    (call $put_u64 (i64.extend_i32_u (local.get $i)))
    (call $puts (i32.const 0x1260))
    (call $puts (local.get $p))
    (call $puts (i32.const 0x150)))

  ;; The argv / environ check: `count` u64 pointers at `ptrs` must walk the `size`-byte
  ;; buffer at `buf` string by string (first at buf, each next right after the previous
  ;; NUL, the last ending exactly at buf+size). Prints every string. k: first check number.
  (func $check_list (param $prefix i32) (param $ptrs i32) (param $buf i32) (param $count i32)
                    (param $size i32) (param $k i32)
    (local $i i32) (local $at i64)
    (local.set $at (i64.extend_i32_u (local.get $buf)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (call $want
          (i64.eq (i64.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 3))))
                  (local.get $at))
          (i32.add (local.get $k) (local.get $i)))
        (call $show_item (local.get $prefix) (local.get $i) (i32.wrap_i64 (local.get $at)))
        (local.set $at (i64.add (local.get $at)
          (i64.extend_i32_u (i32.add (i32.const 1) (call $strlen (i32.wrap_i64 (local.get $at)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $want
      (i64.eq (local.get $at) (i64.extend_i32_u (i32.add (local.get $buf) (local.get $size))))
      (i32.add (local.get $k) (i32.const 10))))

  (func (export "_start")
    (local $e i32) (local $n i32) (local $size i32) (local $total i32) (local $got i32)
    (local $t0 i64) (local $t1 i64)

    ;; ---- args: three strings (argv[0] is the program), counts as u64 ----
    (call $guard (i32.const 0x4000) (i32.const 8))
    (call $guard (i32.const 0x4040) (i32.const 8))
    (local.set $e (call $args_sizes_get (i64.const 0x4000) (i64.const 0x4040)))
    (call $want64 (i32.const 0x4000) (i64.const 3) (i32.const 1))
    (call $want_guard (i32.const 0x4040) (i32.const 8) (i32.const 2))
    ;; "alpha\0beta-gamma\0" is 17 bytes; argv[0] adds at least 2
    (call $want (i64.ge_u (i64.load (i32.const 0x4040)) (i64.const 19)) (i32.const 3))
    (call $want (i64.lt_u (i64.load (i32.const 0x4040)) (i64.const 0x1000)) (i32.const 4))
    (call $report (i32.const 0x1000) (local.get $e))
    (local.set $n (i32.wrap_i64 (i64.load (i32.const 0x4000))))
    (local.set $size (i32.wrap_i64 (i64.load (i32.const 0x4040))))
    (if (i32.and (i32.eq (local.get $n) (i32.const 3)) (i32.lt_u (local.get $size) (i32.const 0x1000)))
      (then
        ;; pointer array (3 x u64) at 0x5000, strings at 0x8000
        (call $guard (i32.const 0x5000) (i32.const 24))
        (call $guard (i32.const 0x8000) (local.get $size))
        (local.set $e (call $args_get (i64.const 0x5000) (i64.const 0x8000)))
        (call $want_guard (i32.const 0x5000) (i32.const 24) (i32.const 1))
        (call $want_guard (i32.const 0x8000) (local.get $size) (i32.const 2))
        (call $check_list (i32.const 0x1240) (i32.const 0x5000) (i32.const 0x8000)
          (i32.const 3) (local.get $size) (i32.const 10))
        (call $report (i32.const 0x1020) (local.get $e))))

    ;; ---- environ: FOO=bar and EMPTY= → 2 entries, 15 bytes ----
    (call $guard (i32.const 0x4080) (i32.const 8))
    (call $guard (i32.const 0x40c0) (i32.const 8))
    (local.set $e (call $environ_sizes_get (i64.const 0x4080) (i64.const 0x40c0)))
    (call $want64 (i32.const 0x4080) (i64.const 2) (i32.const 1))
    (call $want64 (i32.const 0x40c0) (i64.const 15) (i32.const 2))
    (call $report (i32.const 0x1040) (local.get $e))
    (call $guard (i32.const 0x5100) (i32.const 16))
    (call $guard (i32.const 0x9000) (i32.const 15))
    (local.set $e (call $environ_get (i64.const 0x5100) (i64.const 0x9000)))
    (call $want_guard (i32.const 0x5100) (i32.const 16) (i32.const 1))
    (call $want_guard (i32.const 0x9000) (i32.const 15) (i32.const 2))
    (call $check_list (i32.const 0x1250) (i32.const 0x5100) (i32.const 0x9000)
      (i32.const 2) (i32.const 15) (i32.const 10))
    (call $report (i32.const 0x1060) (local.get $e))

    ;; ---- clocks ----
    ;; monotonic resolution: 8 bytes, somewhere in 1ns..1s
    (call $guard (i32.const 0x4100) (i32.const 8))
    (local.set $e (call $clock_res_get (i32.const 1) (i64.const 0x4100)))
    (call $want_guard (i32.const 0x4100) (i32.const 8) (i32.const 1))
    (call $want (i64.ne (i64.load (i32.const 0x4100)) (i64.const 0)) (i32.const 2))
    (call $want (i64.le_u (i64.load (i32.const 0x4100)) (i64.const 1000000000)) (i32.const 3))
    (call $report (i32.const 0x1080) (local.get $e))
    ;; realtime: after 2020-09-13 (1.6e18 ns) and before 2100
    (call $guard (i32.const 0x4140) (i32.const 8))
    (local.set $e (call $clock_time_get (i32.const 0) (i64.const 1) (i64.const 0x4140)))
    (call $want_guard (i32.const 0x4140) (i32.const 8) (i32.const 1))
    (call $want (i64.gt_u (i64.load (i32.const 0x4140)) (i64.const 1600000000000000000)) (i32.const 2))
    (call $want (i64.lt_u (i64.load (i32.const 0x4140)) (i64.const 4102444800000000000)) (i32.const 3))
    (call $report (i32.const 0x10a0) (local.get $e))
    ;; monotonic twice: never goes back
    (call $guard (i32.const 0x4180) (i32.const 8))
    (call $guard (i32.const 0x41c0) (i32.const 8))
    (local.set $e (call $clock_time_get (i32.const 1) (i64.const 0) (i64.const 0x4180)))
    (call $want (i32.eqz (call $clock_time_get (i32.const 1) (i64.const 0) (i64.const 0x41c0)))
      (i32.const 1))
    (call $want_guard (i32.const 0x4180) (i32.const 8) (i32.const 2))
    (call $want_guard (i32.const 0x41c0) (i32.const 8) (i32.const 3))
    (call $want (i64.ge_u (i64.load (i32.const 0x41c0)) (i64.load (i32.const 0x4180))) (i32.const 4))
    (call $report (i32.const 0x10c0) (local.get $e))
    ;; process cputime
    (call $guard (i32.const 0x4200) (i32.const 8))
    (local.set $e (call $clock_time_get (i32.const 2) (i64.const 0) (i64.const 0x4200)))
    (call $want_guard (i32.const 0x4200) (i32.const 8) (i32.const 1))
    (call $report (i32.const 0x10e0) (local.get $e))

    ;; ---- random_get: exactly 32 bytes, not left as the fill pattern ----
    (call $guard (i32.const 0x9100) (i32.const 32))
    (local.set $e (call $random_get (i64.const 0x9100) (i64.const 32)))
    (call $want_guard (i32.const 0x9100) (i32.const 32) (i32.const 1))
    (call $want
      (i32.or
        (i32.or (i64.ne (i64.load (i32.const 0x9100)) (i64.const 0xAAAAAAAAAAAAAAAA))
                (i64.ne (i64.load (i32.const 0x9108)) (i64.const 0xAAAAAAAAAAAAAAAA)))
        (i32.or (i64.ne (i64.load (i32.const 0x9110)) (i64.const 0xAAAAAAAAAAAAAAAA))
                (i64.ne (i64.load (i32.const 0x9118)) (i64.const 0xAAAAAAAAAAAAAAAA))))
      (i32.const 2))
    (call $want (i64.ne (i64.load (i32.const 0x9100)) (i64.load (i32.const 0x9108))) (i32.const 3))
    (call $report (i32.const 0x1100) (local.get $e))

    ;; ---- fd_write: two 16-byte ciovecs to stdout, nwritten is a u64 ----
    (i64.store (i32.const 0x5200) (i64.const 0x2000))
    (i64.store (i32.const 0x5208) (i64.const 7))
    (i64.store (i32.const 0x5210) (i64.const 0x2010))
    (i64.store (i32.const 0x5218) (i64.const 8))
    (call $guard (i32.const 0x4240) (i32.const 8))
    (local.set $e (call $fd_write (i32.const 1) (i64.const 0x5200) (i64.const 2) (i64.const 0x4240)))
    (call $want64 (i32.const 0x4240) (i64.const 15) (i32.const 1))
    (call $report (i32.const 0x1120) (local.get $e))

    ;; ---- fd_read: stdin into two iovecs (4 bytes at 0xa000, 60 at 0xa010) ----
    (call $guard (i32.const 0xa000) (i32.const 4))
    (call $guard (i32.const 0xa010) (i32.const 60))
    (i64.store (i32.const 0x5300) (i64.const 0xa000))
    (i64.store (i32.const 0x5308) (i64.const 4))
    (i64.store (i32.const 0x5310) (i64.const 0xa010))
    (i64.store (i32.const 0x5318) (i64.const 60))
    (call $guard (i32.const 0x4280) (i32.const 8))
    (local.set $e (call $fd_read (i32.const 0) (i64.const 0x5300) (i64.const 2) (i64.const 0x4280)))
    (call $want_guard (i32.const 0x4280) (i32.const 8) (i32.const 1))
    (call $want_guard (i32.const 0xa000) (i32.const 4) (i32.const 2))
    (call $want_guard (i32.const 0xa010) (i32.const 60) (i32.const 3))
    (call $want (i64.ge_u (i64.load (i32.const 0x4280)) (i64.const 1)) (i32.const 4))
    (call $want (i64.le_u (i64.load (i32.const 0x4280)) (i64.const 15)) (i32.const 5))
    ;; gather what the first read scattered into 0xb000, then read to EOF after it
    (local.set $got (i32.wrap_i64 (i64.load (i32.const 0x4280))))
    (if (i32.eqz (local.get $e))
      (then
        (if (i32.le_u (local.get $got) (i32.const 4))
          (then (memory.copy (i32.const 0xb000) (i32.const 0xa000) (local.get $got)))
          (else
            (memory.copy (i32.const 0xb000) (i32.const 0xa000) (i32.const 4))
            (memory.copy (i32.const 0xb004) (i32.const 0xa010)
              (i32.sub (local.get $got) (i32.const 4)))))
        (local.set $total (local.get $got))
        (block $eof
          (loop $more
            (br_if $eof (i32.ge_u (local.get $total) (i32.const 64)))
            (i64.store (i32.const 0x5300) (i64.extend_i32_u (i32.add (i32.const 0xb000) (local.get $total))))
            (i64.store (i32.const 0x5308) (i64.const 16))
            (call $guard (i32.const 0x4280) (i32.const 8))
            (call $want (i32.eqz (call $fd_read (i32.const 0) (i64.const 0x5300) (i64.const 1) (i64.const 0x4280)))
              (i32.const 6))
            (call $want_guard (i32.const 0x4280) (i32.const 8) (i32.const 7))
            (br_if $eof (i64.eqz (i64.load (i32.const 0x4280))))
            (br_if $eof (i64.gt_u (i64.load (i32.const 0x4280)) (i64.const 16)))
            (local.set $total (i32.add (local.get $total) (i32.wrap_i64 (i64.load (i32.const 0x4280)))))
            (br $more)))
        (call $want (i32.eq (local.get $total) (i32.const 15)) (i32.const 8))
        (call $puts (i32.const 0x1270))
        (call $write (i32.const 0xb000) (local.get $total))))
    (call $report (i32.const 0x1140) (local.get $e))

    ;; ---- fd_fdstat_get on stdout: 24 bytes, may write ----
    (call $guard (i32.const 0x5400) (i32.const 24))
    (local.set $e (call $fd_fdstat_get (i32.const 1) (i64.const 0x5400)))
    (call $want_guard (i32.const 0x5400) (i32.const 24) (i32.const 1))
    ;; a pipe is `unknown` (0), a terminal `character_device` (2)
    (call $want (i32.or (i32.eqz (i32.load8_u (i32.const 0x5400)))
                        (i32.eq (i32.load8_u (i32.const 0x5400)) (i32.const 2))) (i32.const 2))
    ;; rights_base has fd_write (bit 6)
    (call $want (i64.ne (i64.and (i64.load (i32.const 0x5408)) (i64.const 0x40)) (i64.const 0))
      (i32.const 3))
    (call $report (i32.const 0x1160) (local.get $e))

    ;; ---- preopen fd 3: prestat {u8 tag=dir; u32 len=8}, name "/sandbox" ----
    (call $guard (i32.const 0x4300) (i32.const 8))
    (local.set $e (call $fd_prestat_get (i32.const 3) (i64.const 0x4300)))
    (call $want_guard (i32.const 0x4300) (i32.const 8) (i32.const 1))
    (call $want (i32.eqz (i32.load8_u (i32.const 0x4300))) (i32.const 2))
    (call $want (i32.eq (i32.load (i32.const 0x4304)) (i32.const 8)) (i32.const 3))
    (call $report (i32.const 0x1180) (local.get $e))
    (call $guard (i32.const 0x4340) (i32.const 8))
    (local.set $e (call $fd_prestat_dir_name (i32.const 3) (i64.const 0x4340) (i64.const 8)))
    (call $want_guard (i32.const 0x4340) (i32.const 8) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x4340)) (i64.load (i32.const 0x2020))) (i32.const 2))
    (call $report (i32.const 0x11a0) (local.get $e))

    ;; ---- sched_yield, proc_raise(0) (signal 0 is a no-op) ----
    (call $report (i32.const 0x11c0) (call $sched_yield))
    (call $report (i32.const 0x11e0) (call $proc_raise (i32.const 0)))

    ;; ---- poll_oneoff: one relative 2ms monotonic clock ----
    ;; subscription (48 bytes) at 0x6000: userdata 0, tag 8, clock id 16, timeout 24,
    ;; precision 32, flags 40. Events (32 bytes) at 0x6100, nevents (u64) at 0x4380.
    (memory.fill (i32.const 0x6000) (i32.const 0) (i32.const 96))
    (i64.store (i32.const 0x6000) (i64.const 0x1234))
    (i32.store8 (i32.const 0x6008) (i32.const 0))
    (i32.store (i32.const 0x6010) (i32.const 1))
    (i64.store (i32.const 0x6018) (i64.const 2000000))
    (call $guard (i32.const 0x6100) (i32.const 32))
    (call $guard (i32.const 0x4380) (i32.const 8))
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i64.const 0x43c0)))
    (local.set $t0 (i64.load (i32.const 0x43c0)))
    (local.set $e (call $poll_oneoff (i64.const 0x6000) (i64.const 0x6100) (i64.const 1) (i64.const 0x4380)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i64.const 0x43c0)))
    (local.set $t1 (i64.load (i32.const 0x43c0)))
    (call $want64 (i32.const 0x4380) (i64.const 1) (i32.const 1))
    (call $want_guard (i32.const 0x6100) (i32.const 32) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x6100)) (i64.const 0x1234)) (i32.const 3))
    (call $want (i32.eqz (i32.load16_u (i32.const 0x6108))) (i32.const 4))
    (call $want (i32.eqz (i32.load8_u (i32.const 0x610a))) (i32.const 5))
    (call $want (i64.ge_u (i64.sub (local.get $t1) (local.get $t0)) (i64.const 2000000)) (i32.const 6))
    (call $report (i32.const 0x1200) (local.get $e))

    ;; ---- poll_oneoff: stdout writable (fd_write, tag 2) vs a 10 s clock ----
    (memory.fill (i32.const 0x6000) (i32.const 0) (i32.const 96))
    (i64.store (i32.const 0x6000) (i64.const 0x55))
    (i32.store8 (i32.const 0x6008) (i32.const 2))
    (i32.store (i32.const 0x6010) (i32.const 1))
    (i64.store (i32.const 0x6030) (i64.const 0x66))
    (i32.store8 (i32.const 0x6038) (i32.const 0))
    (i32.store (i32.const 0x6040) (i32.const 1))
    (i64.store (i32.const 0x6048) (i64.const 10000000000))
    (call $guard (i32.const 0x6100) (i32.const 64))
    (call $guard (i32.const 0x4380) (i32.const 8))
    (local.set $e (call $poll_oneoff (i64.const 0x6000) (i64.const 0x6100) (i64.const 2) (i64.const 0x4380)))
    (call $want64 (i32.const 0x4380) (i64.const 1) (i32.const 1))
    (call $want_guard (i32.const 0x6100) (i32.const 64) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x6100)) (i64.const 0x55)) (i32.const 3))
    (call $want (i32.eqz (i32.load16_u (i32.const 0x6108))) (i32.const 4))
    (call $want (i32.eq (i32.load8_u (i32.const 0x610a)) (i32.const 2)) (i32.const 5))
    ;; the second event slot stays as it was (only one event written)
    (call $want (i64.eq (i64.load (i32.const 0x6120)) (i64.const 0xAAAAAAAAAAAAAAAA)) (i32.const 6))
    (call $report (i32.const 0x1220) (local.get $e))

    ;; ---- proc_exit: the failure count is the exit status ----
    (call $puts (i32.const 0x1280))
    (call $put_u64 (i64.extend_i32_u (global.get $fails)))
    (call $puts (i32.const 0x150))
    (call $proc_exit (global.get $fails))
    unreachable)
)
