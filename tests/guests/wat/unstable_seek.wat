;; wasi_unstable fd_seek: whence is cur=0, end=1, set=2 (preview1: set=0, cur=1, end=2).
;; Expects a preopen "/sandbox" holding f.txt = "0123456789". Prints one `key=value` line
;; per result; tests/wasi_unstable.rs compares the whole output.
(module
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_unstable" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_unstable" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; ---- printing helpers (shared by the unstable_*.wat modules) ----
  ;; scratch: 0x100 iovec, 0x110 nwritten, 0x120..0x160 digits, 0x1f0 "=\n" and "" at 0x1f2
  (data (i32.const 0x1f0) "=\n\00")
  (func $strlen (param $p i32) (result i32)
    (local $i i32)
    (local.set $i (local.get $p))
    (block $end
      (loop $l
        (br_if $end (i32.eqz (i32.load8_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.sub (local.get $i) (local.get $p)))
  (func $write (param $p i32) (param $n i32)
    (i32.store (i32.const 0x100) (local.get $p))
    (i32.store (i32.const 0x104) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 0x100) (i32.const 1) (i32.const 0x110))))
  (func $puts (param $s i32)
    (call $write (local.get $s) (call $strlen (local.get $s))))
  (func $put_u64 (param $v i64)
    (local $i i32)
    (local.set $i (i32.const 0x160))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $l (i64.ne (local.get $v) (i64.const 0))))
    (call $write (local.get $i) (i32.sub (i32.const 0x160) (local.get $i))))
  ;; prints "<prefix><name>=<v>\n" (both strings NUL-terminated)
  (func $kv (param $prefix i32) (param $name i32) (param $v i64)
    (call $puts (local.get $prefix))
    (call $puts (local.get $name))
    (call $write (i32.const 0x1f0) (i32.const 1))
    (call $put_u64 (local.get $v))
    (call $write (i32.const 0x1f1) (i32.const 1)))

  ;; fd of the preopen named by the NUL-terminated string at $name (exit 90 if none).
  ;; Accepts a pr_name_len that counts a trailing NUL. Scratch: 0x180 prestat, 0x200 name.
  (func $preopen (param $name i32) (result i32)
    (local $fd i32) (local $n i32) (local $len i32) (local $i i32)
    (local.set $n (call $strlen (local.get $name)))
    (local.set $fd (i32.const 3))
    (loop $next
      (block $skip
        (br_if $skip (call $fd_prestat_get (local.get $fd) (i32.const 0x180)))
        (br_if $skip (i32.load8_u (i32.const 0x180)))
        (local.set $len (i32.load (i32.const 0x184)))
        (br_if $skip (i32.and (i32.ne (local.get $len) (local.get $n))
                              (i32.ne (local.get $len) (i32.add (local.get $n) (i32.const 1)))))
        (br_if $skip (call $fd_prestat_dir_name (local.get $fd) (i32.const 0x200) (local.get $len)))
        (local.set $i (i32.const 0))
        (loop $cmp
          (if (i32.eq (local.get $i) (local.get $n)) (then (return (local.get $fd))))
          (br_if $skip (i32.ne (i32.load8_u (i32.add (i32.const 0x200) (local.get $i)))
                               (i32.load8_u (i32.add (local.get $name) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $cmp)))
      (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $fd) (i32.const 64))))
    (call $proc_exit (i32.const 90))
    (unreachable))

  (data (i32.const 0x1000) "/sandbox\00")
  (data (i32.const 0x1010) "f.txt\00")
  (data (i32.const 0x1020) "open.errno\00")
  (data (i32.const 0x1030) "read.errno\00")
  (data (i32.const 0x1040) "set3\00")
  (data (i32.const 0x1050) "cur2\00")
  (data (i32.const 0x1060) "end-1\00")
  (data (i32.const 0x1070) "byte\00")
  (data (i32.const 0x1080) "tell\00")
  (data (i32.const 0x1090) "bad_whence3\00")
  (data (i32.const 0x10a0) "bad_whence255\00")
  (data (i32.const 0x10b0) ".errno\00")
  (data (i32.const 0x10c0) ".pos\00")
  (data (i32.const 0x10d0) "negative\00")
  (data (i32.const 0x10e0) "set0\00")
  (data (i32.const 0x10f0) "end0\00")

  ;; fd_seek, then prints <label>.errno and, on success, <label>.pos
  (func $seek (param $fd i32) (param $off i64) (param $whence i32) (param $label i32)
    (local $e i32)
    (i64.store (i32.const 0x400) (i64.const 0x7777))
    (local.set $e (call $fd_seek (local.get $fd) (local.get $off) (local.get $whence) (i32.const 0x400)))
    (call $kv (local.get $label) (i32.const 0x10b0) (i64.extend_i32_u (local.get $e)))
    (if (i32.eqz (local.get $e))
      (then (call $kv (local.get $label) (i32.const 0x10c0) (i64.load (i32.const 0x400))))))

  (func (export "_start")
    (local $dir i32) (local $fd i32) (local $e i32)
    (local.set $dir (call $preopen (i32.const 0x1000)))
    ;; rights: fd_read | fd_seek | fd_tell | fd_write | fd_filestat_get
    (local.set $e (call $path_open (local.get $dir) (i32.const 1) (i32.const 0x1010) (i32.const 5)
      (i32.const 0) (i64.const 0x200066) (i64.const 0x200066) (i32.const 0) (i32.const 0x3f0)))
    (call $kv (i32.const 0x1f2) (i32.const 0x1020) (i64.extend_i32_u (local.get $e)))
    (if (local.get $e) (then (call $proc_exit (i32.const 91))))
    (local.set $fd (i32.load (i32.const 0x3f0)))
    (call $seek (local.get $fd) (i64.const 3) (i32.const 2) (i32.const 0x1040))   ;; set: 3
    (call $seek (local.get $fd) (i64.const 2) (i32.const 0) (i32.const 0x1050))   ;; cur: 5
    (call $seek (local.get $fd) (i64.const -1) (i32.const 1) (i32.const 0x1060))  ;; end: 9
    ;; read one byte at 9: '9' (57)
    (i32.store (i32.const 0x410) (i32.const 0x420))
    (i32.store (i32.const 0x414) (i32.const 1))
    (local.set $e (call $fd_read (local.get $fd) (i32.const 0x410) (i32.const 1) (i32.const 0x418)))
    (call $kv (i32.const 0x1f2) (i32.const 0x1030) (i64.extend_i32_u (local.get $e)))
    (call $kv (i32.const 0x1f2) (i32.const 0x1070) (i64.load8_u (i32.const 0x420)))
    ;; fd_tell: 10
    (local.set $e (call $fd_tell (local.get $fd) (i32.const 0x400)))
    (call $kv (i32.const 0x1080) (i32.const 0x10b0) (i64.extend_i32_u (local.get $e)))
    (call $kv (i32.const 0x1080) (i32.const 0x10c0) (i64.load (i32.const 0x400)))
    ;; bad whence values and a negative result: inval (28)
    (call $seek (local.get $fd) (i64.const 0) (i32.const 3) (i32.const 0x1090))
    (call $seek (local.get $fd) (i64.const 0) (i32.const 255) (i32.const 0x10a0))
    (call $seek (local.get $fd) (i64.const -100) (i32.const 0) (i32.const 0x10d0))
    (call $seek (local.get $fd) (i64.const 0) (i32.const 2) (i32.const 0x10e0))   ;; set: 0
    (call $seek (local.get $fd) (i64.const 0) (i32.const 1) (i32.const 0x10f0))   ;; end: 10
    (call $proc_exit (i32.const 0)))
)
