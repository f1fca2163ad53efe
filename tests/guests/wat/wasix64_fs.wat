;; wasix_64v1, part 2: files, directories, links, polling and sockets in the preopen
;; `/sandbox` (fd 3). Same ABI rules as wasix64_basic.wat: i64 pointers and sizes, 16-byte
;; (c)iovecs, u64 size results; fds written back (path_open) stay u32.
;;
;; Covered: path_open, fd_write, fd_tell, fd_seek, fd_read, fd_pwrite, fd_pread,
;; fd_filestat_get, fd_allocate, fd_filestat_set_size, fd_filestat_set_times, fd_fdstat_get,
;; fd_fdstat_set_flags, fd_advise, fd_sync, fd_datasync, poll_oneoff (file fds),
;; sock_accept / sock_recv / sock_send / sock_shutdown (a file is not a socket: 57),
;; fd_fdstat_set_rights, fd_renumber, fd_close, path_create_directory, path_filestat_get,
;; path_filestat_set_times, path_link, path_symlink, path_readlink, fd_readdir, path_rename,
;; path_unlink_file, path_remove_directory, proc_exit.
;;
;; What the sandbox holds afterwards:
;;   data.txt     "abcdXYZhi!"
;;   renamed.txt  hard link to data.txt (made as dir/hard.txt, then renamed)
;;   other.txt    empty, atime 1200000000.000000007 s, mtime 1300000000.000000009 s
;;   link         symlink -> data.txt
;;   dir/         empty (nested/, sym, hard.txt were removed / moved)
;; It also prints `dirent <name> <type>` for each entry of dir/ at the time it is listed.
;; Verdict lines and exit status as in wasix64_basic.wat.
(module
  (import "wasix_64v1" "fd_write" (func $fd_write (param i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_read" (func $fd_read (param i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_pwrite" (func $fd_pwrite (param i32 i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_pread" (func $fd_pread (param i32 i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_seek" (func $fd_seek (param i32 i64 i32 i64) (result i32)))
  (import "wasix_64v1" "fd_tell" (func $fd_tell (param i32 i64) (result i32)))
  (import "wasix_64v1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasix_64v1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasix_64v1" "fd_sync" (func $fd_sync (param i32) (result i32)))
  (import "wasix_64v1" "fd_datasync" (func $fd_datasync (param i32) (result i32)))
  (import "wasix_64v1" "fd_advise" (func $fd_advise (param i32 i64 i64 i32) (result i32)))
  (import "wasix_64v1" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i64) (result i32)))
  (import "wasix_64v1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasix_64v1" "fd_fdstat_set_rights" (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "fd_filestat_get" (func $fd_filestat_get (param i32 i64) (result i32)))
  (import "wasix_64v1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
  (import "wasix_64v1" "fd_filestat_set_times" (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasix_64v1" "fd_readdir" (func $fd_readdir (param i32 i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "path_open" (func $path_open (param i32 i32 i64 i64 i32 i64 i64 i32 i64) (result i32)))
  (import "wasix_64v1" "path_create_directory" (func $path_create_directory (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "path_filestat_set_times" (func $path_filestat_set_times (param i32 i32 i64 i64 i64 i64 i32) (result i32)))
  (import "wasix_64v1" "path_link" (func $path_link (param i32 i32 i64 i64 i32 i64 i64) (result i32)))
  (import "wasix_64v1" "path_readlink" (func $path_readlink (param i32 i64 i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "path_remove_directory" (func $path_remove_directory (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "path_rename" (func $path_rename (param i32 i64 i64 i32 i64 i64) (result i32)))
  (import "wasix_64v1" "path_symlink" (func $path_symlink (param i64 i64 i32 i64 i64) (result i32)))
  (import "wasix_64v1" "path_unlink_file" (func $path_unlink_file (param i32 i64 i64) (result i32)))
  (import "wasix_64v1" "poll_oneoff" (func $poll_oneoff (param i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "sock_accept" (func $sock_accept (param i32 i32 i64) (result i32)))
  (import "wasix_64v1" "sock_recv" (func $sock_recv (param i32 i64 i64 i32 i64 i64) (result i32)))
  (import "wasix_64v1" "sock_send" (func $sock_send (param i32 i64 i64 i32 i64) (result i32)))
  (import "wasix_64v1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
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

  ;; ======== extra helpers for this program ========
  ;; n bytes at a equal n bytes at b
  (func $eq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $no
      (loop $l
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $no (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                           (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.const 0))
  ;; For a call that must fail: ok when it returned `want`, else `FAIL errno <got>`.
  (func $report_errno (param $name i32) (param $got i32) (param $want i32)
    (if (i32.eq (local.get $got) (local.get $want))
      (then (call $report (local.get $name) (i32.const 0)))
      (else
        (call $puts (local.get $name))
        (call $puts (i32.const 0x110))
        (call $put_u64 (i64.extend_i32_u (local.get $got)))
        (call $puts (i32.const 0x150))
        (global.set $fails (i32.add (global.get $fails) (i32.const 1)))
        (global.set $detail (i32.const 0)))))
  ;; one 16-byte (c)iovec {buf: u64, buf_len: u64} at `at`
  (func $iov (param $at i32) (param $buf i32) (param $len i32)
    (i64.store (local.get $at) (i64.extend_i32_u (local.get $buf)))
    (i64.store (i32.add (local.get $at) (i32.const 8)) (i64.extend_i32_u (local.get $len))))
  ;; fd_filestat_get into 0x5200 (64 bytes, guarded); the errno, or 1000 if a sentinel broke
  (func $fstat (param $fd i32) (result i32)
    (local $e i32)
    (call $guard (i32.const 0x5200) (i32.const 64))
    (local.set $e (call $fd_filestat_get (local.get $fd) (i64.const 0x5200)))
    (if (result i32) (i32.and (i32.eqz (local.get $e))
                              (i32.eqz (call $intact (i32.const 0x5200) (i32.const 64))))
      (then (i32.const 1000)) (else (local.get $e))))
  ;; path_filestat_get(fd 3) into 0x5400 (64 bytes, guarded); errno or 1000 as above
  (func $pstat (param $flags i32) (param $p i32) (param $n i32) (result i32)
    (local $e i32)
    (call $guard (i32.const 0x5400) (i32.const 64))
    (local.set $e (call $path_filestat_get (i32.const 3) (local.get $flags)
      (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $n)) (i64.const 0x5400)))
    (if (result i32) (i32.and (i32.eqz (local.get $e))
                              (i32.eqz (call $intact (i32.const 0x5400) (i32.const 64))))
      (then (i32.const 1000)) (else (local.get $e))))
  ;; fd_fdstat_get into 0x5300 (24 bytes, guarded); errno or 1000
  (func $fdstat (param $fd i32) (result i32)
    (local $e i32)
    (call $guard (i32.const 0x5300) (i32.const 24))
    (local.set $e (call $fd_fdstat_get (local.get $fd) (i64.const 0x5300)))
    (if (result i32) (i32.and (i32.eqz (local.get $e))
                              (i32.eqz (call $intact (i32.const 0x5300) (i32.const 24))))
      (then (i32.const 1000)) (else (local.get $e))))
  ;; Walks `used` bytes of dirents at buf: checks each d_next is the running cookie
  ;; (first = `cookie`+1), prints `dirent <name> <type>`, returns the entry count.
  (func $walk (param $buf i32) (param $used i32) (param $cookie i64) (param $k i32) (result i32)
    (local $at i32) (local $n i32) (local $len i32)
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (i32.add (local.get $at) (i32.const 24)) (local.get $used)))
        (local.set $len (i32.load (i32.add (local.get $buf) (i32.add (local.get $at) (i32.const 16)))))
        (br_if $done (i32.gt_u (i32.add (i32.add (local.get $at) (i32.const 24)) (local.get $len))
                               (local.get $used)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (call $want (i64.eq (i64.load (i32.add (local.get $buf) (local.get $at)))
                            (i64.add (local.get $cookie) (i64.extend_i32_u (local.get $n))))
          (local.get $k))
        (call $puts (i32.const 0x1480))
        (call $write (i32.add (local.get $buf) (i32.add (local.get $at) (i32.const 24))) (local.get $len))
        (call $puts (i32.const 0x1490))
        (call $put_u64 (i64.load8_u (i32.add (local.get $buf) (i32.add (local.get $at) (i32.const 20)))))
        (call $puts (i32.const 0x150))
        (local.set $at (i32.add (local.get $at) (i32.add (i32.const 24) (local.get $len))))
        (br $l)))
    (local.get $n))

  ;; ======== check names (32-byte slots) ========
  (data (i32.const 0x1000) "path_open.create\00")
  (data (i32.const 0x1020) "fd_write.file\00")
  (data (i32.const 0x1040) "fd_tell\00")
  (data (i32.const 0x1060) "fd_seek\00")
  (data (i32.const 0x1080) "fd_read.file\00")
  (data (i32.const 0x10a0) "fd_pwrite\00")
  (data (i32.const 0x10c0) "fd_pread\00")
  (data (i32.const 0x10e0) "fd_filestat_get\00")
  (data (i32.const 0x1100) "fd_allocate\00")
  (data (i32.const 0x1120) "fd_filestat_set_size\00")
  (data (i32.const 0x1140) "fd_filestat_set_times\00")
  (data (i32.const 0x1160) "fd_fdstat_get.file\00")
  (data (i32.const 0x1180) "fd_fdstat_set_flags\00")
  (data (i32.const 0x11a0) "fd_advise\00")
  (data (i32.const 0x11c0) "fd_sync\00")
  (data (i32.const 0x11e0) "fd_datasync\00")
  (data (i32.const 0x1200) "poll_oneoff.file\00")
  (data (i32.const 0x1220) "sock_accept\00")
  (data (i32.const 0x1240) "sock_recv\00")
  (data (i32.const 0x1260) "sock_send\00")
  (data (i32.const 0x1280) "sock_shutdown\00")
  (data (i32.const 0x12a0) "fd_fdstat_set_rights\00")
  (data (i32.const 0x12c0) "fd_renumber\00")
  (data (i32.const 0x12e0) "fd_close\00")
  (data (i32.const 0x1300) "path_create_directory\00")
  (data (i32.const 0x1320) "path_filestat_get\00")
  (data (i32.const 0x1340) "path_filestat_set_times\00")
  (data (i32.const 0x1360) "path_link\00")
  (data (i32.const 0x1380) "path_symlink\00")
  (data (i32.const 0x13a0) "path_readlink\00")
  (data (i32.const 0x13c0) "path_filestat_get.symlink\00")
  (data (i32.const 0x13e0) "path_open.directory\00")
  (data (i32.const 0x1400) "fd_readdir\00")
  (data (i32.const 0x1420) "path_rename\00")
  (data (i32.const 0x1440) "path_unlink_file\00")
  (data (i32.const 0x1460) "path_remove_directory\00")
  (data (i32.const 0x1480) "dirent \00")
  (data (i32.const 0x1490) " \00")
  (data (i32.const 0x14a0) "failures=\00")
  (data (i32.const 0x14c0) "fd_readdir.cookie\00")
  (data (i32.const 0x14e0) "fd_readdir.short\00")
  (data (i32.const 0x1500) "path_readlink.short\00")

  ;; ======== paths and payloads ========
  (data (i32.const 0x2000) "data.txt")      ;; 8
  (data (i32.const 0x2010) "other.txt")     ;; 9
  (data (i32.const 0x2020) "dir")           ;; 3
  (data (i32.const 0x2030) "dir/nested")    ;; 10
  (data (i32.const 0x2040) "dir/hard.txt")  ;; 12
  (data (i32.const 0x2050) "dir/sym")       ;; 7
  (data (i32.const 0x2060) "../data.txt")   ;; 11
  (data (i32.const 0x2070) "renamed.txt")   ;; 11
  (data (i32.const 0x2090) "link")          ;; 4
  (data (i32.const 0x20a0) "abc")
  (data (i32.const 0x20a8) "defgh")
  (data (i32.const 0x20b0) "ij")
  (data (i32.const 0x20c0) "XY")
  (data (i32.const 0x20c8) "Z")
  (data (i32.const 0x20d0) "!")
  (data (i32.const 0x20e0) "cdefghij")
  (data (i32.const 0x20f0) "dXYZ")

  (func (export "_start")
    (local $e i32) (local $fd i32) (local $fd2 i32) (local $dfd i32) (local $n i32)
    (local $ino i64) (local $rights i64)

    ;; ---------------- one file, written and read in pieces ----------------
    ;; path_open(create|trunc) "data.txt": the new fd is a u32 (4 bytes, sentinels around)
    (call $guard (i32.const 0x4000) (i32.const 4))
    (local.set $e (call $path_open (i32.const 3) (i32.const 1) (i64.const 0x2000) (i64.const 8)
      (i32.const 9) (i64.const -1) (i64.const -1) (i32.const 0) (i64.const 0x4000)))
    (call $want_guard (i32.const 0x4000) (i32.const 4) (i32.const 1))
    (local.set $fd (i32.load (i32.const 0x4000)))
    (call $want (i32.gt_u (local.get $fd) (i32.const 3)) (i32.const 2))
    (call $want (i32.lt_u (local.get $fd) (i32.const 100)) (i32.const 3))
    (call $report (i32.const 0x1000) (local.get $e))

    ;; fd_write with three ciovecs "abc" "defgh" "ij": nwritten = 10 as a u64
    (call $iov (i32.const 0x5000) (i32.const 0x20a0) (i32.const 3))
    (call $iov (i32.const 0x5010) (i32.const 0x20a8) (i32.const 5))
    (call $iov (i32.const 0x5020) (i32.const 0x20b0) (i32.const 2))
    (call $guard (i32.const 0x4040) (i32.const 8))
    (local.set $e (call $fd_write (local.get $fd) (i64.const 0x5000) (i64.const 3) (i64.const 0x4040)))
    (call $want64 (i32.const 0x4040) (i64.const 10) (i32.const 1))
    (call $report (i32.const 0x1020) (local.get $e))

    ;; fd_tell: 10
    (call $guard (i32.const 0x4080) (i32.const 8))
    (local.set $e (call $fd_tell (local.get $fd) (i64.const 0x4080)))
    (call $want64 (i32.const 0x4080) (i64.const 10) (i32.const 1))
    (call $report (i32.const 0x1040) (local.get $e))

    ;; fd_seek: end-4 → 6, set 0 → 0, cur+2 → 2
    (call $guard (i32.const 0x40c0) (i32.const 8))
    (local.set $e (call $fd_seek (local.get $fd) (i64.const -4) (i32.const 2) (i64.const 0x40c0)))
    (call $want64 (i32.const 0x40c0) (i64.const 6) (i32.const 1))
    (call $guard (i32.const 0x40c0) (i32.const 8))
    (call $want (i32.eqz (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i64.const 0x40c0)))
      (i32.const 2))
    (call $want64 (i32.const 0x40c0) (i64.const 0) (i32.const 3))
    (call $guard (i32.const 0x40c0) (i32.const 8))
    (call $want (i32.eqz (call $fd_seek (local.get $fd) (i64.const 2) (i32.const 1) (i64.const 0x40c0)))
      (i32.const 4))
    (call $want64 (i32.const 0x40c0) (i64.const 2) (i32.const 5))
    (call $report (i32.const 0x1060) (local.get $e))

    ;; fd_read from 2 into two iovecs of 3 and 10 bytes: "cde" + "fghij", nread 8
    (call $guard (i32.const 0xa000) (i32.const 3))
    (call $guard (i32.const 0xa010) (i32.const 10))
    (call $iov (i32.const 0x5000) (i32.const 0xa000) (i32.const 3))
    (call $iov (i32.const 0x5010) (i32.const 0xa010) (i32.const 10))
    (call $guard (i32.const 0x4100) (i32.const 8))
    (local.set $e (call $fd_read (local.get $fd) (i64.const 0x5000) (i64.const 2) (i64.const 0x4100)))
    (call $want64 (i32.const 0x4100) (i64.const 8) (i32.const 1))
    (call $want_guard (i32.const 0xa000) (i32.const 3) (i32.const 2))
    (call $want_guard (i32.const 0xa010) (i32.const 5) (i32.const 3))
    (call $want (call $eq (i32.const 0xa000) (i32.const 0x20e0) (i32.const 3)) (i32.const 4))
    (call $want (call $eq (i32.const 0xa010) (i32.const 0x20e3) (i32.const 5)) (i32.const 5))
    (call $report (i32.const 0x1080) (local.get $e))

    ;; fd_pwrite "XY" + "Z" at offset 4: nwritten 3, position unchanged (10)
    (call $iov (i32.const 0x5000) (i32.const 0x20c0) (i32.const 2))
    (call $iov (i32.const 0x5010) (i32.const 0x20c8) (i32.const 1))
    (call $guard (i32.const 0x4140) (i32.const 8))
    (local.set $e (call $fd_pwrite (local.get $fd) (i64.const 0x5000) (i64.const 2) (i64.const 4)
      (i64.const 0x4140)))
    (call $want64 (i32.const 0x4140) (i64.const 3) (i32.const 1))
    (call $guard (i32.const 0x4080) (i32.const 8))
    (call $want (i32.eqz (call $fd_tell (local.get $fd) (i64.const 0x4080))) (i32.const 2))
    (call $want64 (i32.const 0x4080) (i64.const 10) (i32.const 3))
    (call $report (i32.const 0x10a0) (local.get $e))

    ;; fd_pread at 3 into two 2-byte iovecs: "dX" "YZ" (file is now "abcdXYZhij")
    (call $guard (i32.const 0xa100) (i32.const 2))
    (call $guard (i32.const 0xa110) (i32.const 2))
    (call $iov (i32.const 0x5000) (i32.const 0xa100) (i32.const 2))
    (call $iov (i32.const 0x5010) (i32.const 0xa110) (i32.const 2))
    (call $guard (i32.const 0x4180) (i32.const 8))
    (local.set $e (call $fd_pread (local.get $fd) (i64.const 0x5000) (i64.const 2) (i64.const 3)
      (i64.const 0x4180)))
    (call $want64 (i32.const 0x4180) (i64.const 4) (i32.const 1))
    (call $want_guard (i32.const 0xa100) (i32.const 2) (i32.const 2))
    (call $want_guard (i32.const 0xa110) (i32.const 2) (i32.const 3))
    (call $want (call $eq (i32.const 0xa100) (i32.const 0x20f0) (i32.const 2)) (i32.const 4))
    (call $want (call $eq (i32.const 0xa110) (i32.const 0x20f2) (i32.const 2)) (i32.const 5))
    (call $guard (i32.const 0x4080) (i32.const 8))
    (call $want (i32.eqz (call $fd_tell (local.get $fd) (i64.const 0x4080))) (i32.const 6))
    (call $want64 (i32.const 0x4080) (i64.const 10) (i32.const 7))
    (call $report (i32.const 0x10c0) (local.get $e))

    ;; fd_filestat_get: 64 bytes; regular file (4), one link, size 10
    (local.set $e (call $fstat (local.get $fd)))
    (call $want (i32.eq (i32.load8_u (i32.const 0x5210)) (i32.const 4)) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5218)) (i64.const 1)) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x5220)) (i64.const 10)) (i32.const 3))
    (local.set $ino (i64.load (i32.const 0x5208)))
    (call $report (i32.const 0x10e0) (local.get $e))

    ;; fd_allocate(0, 16) grows the file to 16
    (local.set $e (call $fd_allocate (local.get $fd) (i64.const 0) (i64.const 16)))
    (call $want (i32.eqz (call $fstat (local.get $fd))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5220)) (i64.const 16)) (i32.const 2))
    (call $report (i32.const 0x1100) (local.get $e))

    ;; fd_filestat_set_size(9): "abcdXYZhi"
    (local.set $e (call $fd_filestat_set_size (local.get $fd) (i64.const 9)))
    (call $want (i32.eqz (call $fstat (local.get $fd))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5220)) (i64.const 9)) (i32.const 2))
    (call $report (i32.const 0x1120) (local.get $e))

    ;; fd_filestat_set_times(atim, mtim, ATIM|MTIM) then read them back
    (local.set $e (call $fd_filestat_set_times (local.get $fd)
      (i64.const 1000000000111111111) (i64.const 1500000000222222222) (i32.const 5)))
    (call $want (i32.eqz (call $fstat (local.get $fd))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5228)) (i64.const 1000000000111111111)) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x5230)) (i64.const 1500000000222222222)) (i32.const 3))
    (call $report (i32.const 0x1140) (local.get $e))

    ;; fd_fdstat_get: 24 bytes; regular file, no flags, can read/write/seek
    (local.set $e (call $fdstat (local.get $fd)))
    (call $want (i32.eq (i32.load8_u (i32.const 0x5300)) (i32.const 4)) (i32.const 1))
    (call $want (i32.eqz (i32.load16_u (i32.const 0x5302))) (i32.const 2))
    (call $want (i64.eq (i64.and (i64.load (i32.const 0x5308)) (i64.const 0x46)) (i64.const 0x46))
      (i32.const 3))
    (local.set $rights (i64.load (i32.const 0x5308)))
    (call $report (i32.const 0x1160) (local.get $e))

    ;; fd_fdstat_set_flags(append): reported back, and a write lands at the end ("!")
    (local.set $e (call $fd_fdstat_set_flags (local.get $fd) (i32.const 1)))
    (call $want (i32.eqz (call $fdstat (local.get $fd))) (i32.const 1))
    (call $want (i32.eq (i32.load16_u (i32.const 0x5302)) (i32.const 1)) (i32.const 2))
    (drop (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i64.const 0x40c0)))
    (call $iov (i32.const 0x5000) (i32.const 0x20d0) (i32.const 1))
    (call $guard (i32.const 0x4040) (i32.const 8))
    (call $want (i32.eqz (call $fd_write (local.get $fd) (i64.const 0x5000) (i64.const 1) (i64.const 0x4040)))
      (i32.const 3))
    (call $want64 (i32.const 0x4040) (i64.const 1) (i32.const 4))
    (call $want (i32.eqz (call $fstat (local.get $fd))) (i32.const 5))
    (call $want (i64.eq (i64.load (i32.const 0x5220)) (i64.const 10)) (i32.const 6))
    (call $want (i32.eqz (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0))) (i32.const 7))
    (call $want (i32.eqz (call $fdstat (local.get $fd))) (i32.const 8))
    (call $want (i32.eqz (i32.load16_u (i32.const 0x5302))) (i32.const 9))
    (call $report (i32.const 0x1180) (local.get $e))

    ;; fd_advise (dontneed, then sequential), fd_sync, fd_datasync
    (local.set $e (call $fd_advise (local.get $fd) (i64.const 0) (i64.const 10) (i32.const 4)))
    (call $want (i32.eqz (call $fd_advise (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 1)))
      (i32.const 1))
    (call $report (i32.const 0x11a0) (local.get $e))
    (call $report (i32.const 0x11c0) (call $fd_sync (local.get $fd)))
    (call $report (i32.const 0x11e0) (call $fd_datasync (local.get $fd)))

    ;; poll_oneoff: fd_read + fd_write on the file (ready at once) and a 10 s clock.
    ;; Position 3 → the read event reports 7 readable bytes. Two events, nevents u64.
    (drop (call $fd_seek (local.get $fd) (i64.const 3) (i32.const 0) (i64.const 0x40c0)))
    (memory.fill (i32.const 0x6000) (i32.const 0) (i32.const 144))
    (i64.store (i32.const 0x6000) (i64.const 0x11))
    (i32.store8 (i32.const 0x6008) (i32.const 1))
    (i32.store (i32.const 0x6010) (local.get $fd))
    (i64.store (i32.const 0x6030) (i64.const 0x22))
    (i32.store8 (i32.const 0x6038) (i32.const 2))
    (i32.store (i32.const 0x6040) (local.get $fd))
    (i64.store (i32.const 0x6060) (i64.const 0x33))
    (i32.store8 (i32.const 0x6068) (i32.const 0))
    (i32.store (i32.const 0x6070) (i32.const 1))
    (i64.store (i32.const 0x6078) (i64.const 10000000000))
    (call $guard (i32.const 0x6200) (i32.const 96))
    (call $guard (i32.const 0x41c0) (i32.const 8))
    (local.set $e (call $poll_oneoff (i64.const 0x6000) (i64.const 0x6200) (i64.const 3) (i64.const 0x41c0)))
    (call $want64 (i32.const 0x41c0) (i64.const 2) (i32.const 1))
    (call $want_guard (i32.const 0x6200) (i32.const 96) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x6200)) (i64.const 0x11)) (i32.const 3))
    (call $want (i32.eqz (i32.load16_u (i32.const 0x6208))) (i32.const 4))
    (call $want (i32.eq (i32.load8_u (i32.const 0x620a)) (i32.const 1)) (i32.const 5))
    (call $want (i64.eq (i64.load (i32.const 0x6210)) (i64.const 7)) (i32.const 6))
    (call $want (i64.eq (i64.load (i32.const 0x6220)) (i64.const 0x22)) (i32.const 7))
    (call $want (i32.eqz (i32.load16_u (i32.const 0x6228))) (i32.const 8))
    (call $want (i32.eq (i32.load8_u (i32.const 0x622a)) (i32.const 2)) (i32.const 9))
    (call $want (i64.eq (i64.load (i32.const 0x6240)) (i64.const 0xAAAAAAAAAAAAAAAA)) (i32.const 10))
    (call $report (i32.const 0x1200) (local.get $e))

    ;; sock_*: a regular file is not a socket (57); out-values stay untouched
    (call $guard (i32.const 0x4200) (i32.const 4))
    (local.set $e (call $sock_accept (local.get $fd) (i32.const 0) (i64.const 0x4200)))
    (call $want_guard (i32.const 0x4200) (i32.const 0) (i32.const 1))
    (call $report_errno (i32.const 0x1220) (local.get $e) (i32.const 57))
    (call $iov (i32.const 0x5000) (i32.const 0xa200) (i32.const 8))
    (call $guard (i32.const 0x4240) (i32.const 8))
    (call $guard (i32.const 0x4280) (i32.const 8))
    (local.set $e (call $sock_recv (local.get $fd) (i64.const 0x5000) (i64.const 1) (i32.const 0)
      (i64.const 0x4240) (i64.const 0x4280)))
    (call $want_guard (i32.const 0x4240) (i32.const 0) (i32.const 1))
    (call $want_guard (i32.const 0x4280) (i32.const 0) (i32.const 2))
    (call $report_errno (i32.const 0x1240) (local.get $e) (i32.const 57))
    (call $guard (i32.const 0x42c0) (i32.const 8))
    (local.set $e (call $sock_send (local.get $fd) (i64.const 0x5000) (i64.const 1) (i32.const 0)
      (i64.const 0x42c0)))
    (call $want_guard (i32.const 0x42c0) (i32.const 0) (i32.const 1))
    (call $report_errno (i32.const 0x1260) (local.get $e) (i32.const 57))
    (call $report_errno (i32.const 0x1280)
      (call $sock_shutdown (local.get $fd) (i32.const 3)) (i32.const 57))

    ;; fd_fdstat_set_rights: drop fd_write (bit 6); fdstat shows it; writing is now badf (8)
    (local.set $e (call $fd_fdstat_set_rights (local.get $fd)
      (i64.and (local.get $rights) (i64.const -65)) (i64.const 0)))
    (call $want (i32.eqz (call $fdstat (local.get $fd))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5308)) (i64.and (local.get $rights) (i64.const -65)))
      (i32.const 2))
    (call $want (i64.eqz (i64.load (i32.const 0x5310))) (i32.const 3))
    (call $want (i32.eq (call $fd_write (local.get $fd) (i64.const 0x5000) (i64.const 1) (i64.const 0x4040))
                        (i32.const 8)) (i32.const 4))
    (call $report (i32.const 0x12a0) (local.get $e))

    ;; fd_renumber: open other.txt, put the data.txt fd onto it; WASIX's renumber is dup2
    ;; (what wasix-libc's dup2 calls, as wasmer-wasix has it), so the old number stays open
    (call $guard (i32.const 0x4300) (i32.const 4))
    (call $want (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i64.const 0x2010) (i64.const 9)
      (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i64.const 0x4300))) (i32.const 1))
    (call $want_guard (i32.const 0x4300) (i32.const 4) (i32.const 2))
    (local.set $fd2 (i32.load (i32.const 0x4300)))
    (call $want (i32.ne (local.get $fd2) (local.get $fd)) (i32.const 3))
    (local.set $e (call $fd_renumber (local.get $fd) (local.get $fd2)))
    (call $want (i32.eqz (call $fstat (local.get $fd2))) (i32.const 4))
    (call $want (i64.eq (i64.load (i32.const 0x5220)) (i64.const 10)) (i32.const 5))
    (call $want (i64.eq (i64.load (i32.const 0x5208)) (local.get $ino)) (i32.const 6))
    (call $want (i32.eqz (call $fdstat (local.get $fd))) (i32.const 7))
    (call $want (i32.eqz (call $fd_close (local.get $fd))) (i32.const 8))
    (call $report (i32.const 0x12c0) (local.get $e))

    ;; fd_close: closes once; the second close is badf
    (local.set $e (call $fd_close (local.get $fd2)))
    (call $want (i32.eq (call $fd_close (local.get $fd2)) (i32.const 8)) (i32.const 1))
    (call $report (i32.const 0x12e0) (local.get $e))

    ;; ---------------- directories and links ----------------
    ;; path_create_directory: dir, dir/nested
    (local.set $e (call $path_create_directory (i32.const 3) (i64.const 0x2020) (i64.const 3)))
    (call $want (i32.eqz (call $path_create_directory (i32.const 3) (i64.const 0x2030) (i64.const 10)))
      (i32.const 1))
    (call $report (i32.const 0x1300) (local.get $e))

    ;; path_filestat_get: dir is a directory (3); data.txt is the file we wrote
    (local.set $e (call $pstat (i32.const 0) (i32.const 0x2020) (i32.const 3)))
    (call $want (i32.eq (i32.load8_u (i32.const 0x5410)) (i32.const 3)) (i32.const 1))
    (call $want (i32.eqz (call $pstat (i32.const 0) (i32.const 0x2000) (i32.const 8))) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x5408)) (local.get $ino)) (i32.const 3))
    (call $want (i64.eq (i64.load (i32.const 0x5420)) (i64.const 10)) (i32.const 4))
    (call $report (i32.const 0x1320) (local.get $e))

    ;; path_filestat_set_times on other.txt (left alone afterwards; the host checks it)
    (local.set $e (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i64.const 0x2010) (i64.const 9)
      (i64.const 1200000000000000007) (i64.const 1300000000000000009) (i32.const 5)))
    (call $want (i32.eqz (call $pstat (i32.const 0) (i32.const 0x2010) (i32.const 9))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5428)) (i64.const 1200000000000000007)) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x5430)) (i64.const 1300000000000000009)) (i32.const 3))
    (call $report (i32.const 0x1340) (local.get $e))

    ;; path_link data.txt → dir/hard.txt: same inode, two links
    (local.set $e (call $path_link (i32.const 3) (i32.const 0) (i64.const 0x2000) (i64.const 8)
      (i32.const 3) (i64.const 0x2040) (i64.const 12)))
    (call $want (i32.eqz (call $pstat (i32.const 0) (i32.const 0x2040) (i32.const 12))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5408)) (local.get $ino)) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0x5418)) (i64.const 2)) (i32.const 3))
    (call $report (i32.const 0x1360) (local.get $e))

    ;; path_symlink: dir/sym → ../data.txt, link → data.txt
    (local.set $e (call $path_symlink (i64.const 0x2060) (i64.const 11) (i32.const 3)
      (i64.const 0x2050) (i64.const 7)))
    (call $want (i32.eqz (call $path_symlink (i64.const 0x2000) (i64.const 8) (i32.const 3)
      (i64.const 0x2090) (i64.const 4))) (i32.const 1))
    (call $report (i32.const 0x1380) (local.get $e))

    ;; path_readlink: 11 bytes into a 64-byte buffer, bufused u64 = 11
    (call $guard (i32.const 0xa300) (i32.const 64))
    (call $guard (i32.const 0x4340) (i32.const 8))
    (local.set $e (call $path_readlink (i32.const 3) (i64.const 0x2050) (i64.const 7)
      (i64.const 0xa300) (i64.const 64) (i64.const 0x4340)))
    (call $want64 (i32.const 0x4340) (i64.const 11) (i32.const 1))
    (call $want (call $eq (i32.const 0xa300) (i32.const 0x2060) (i32.const 11)) (i32.const 2))
    (call $want_guard (i32.const 0xa300) (i32.const 11) (i32.const 3))
    (call $report (i32.const 0x13a0) (local.get $e))
    ;; a 4-byte buffer gets the first 4 bytes, bufused 4
    (call $guard (i32.const 0xa400) (i32.const 4))
    (call $guard (i32.const 0x4380) (i32.const 8))
    (local.set $e (call $path_readlink (i32.const 3) (i64.const 0x2050) (i64.const 7)
      (i64.const 0xa400) (i64.const 4) (i64.const 0x4380)))
    (call $want64 (i32.const 0x4380) (i64.const 4) (i32.const 1))
    (call $want (call $eq (i32.const 0xa400) (i32.const 0x2060) (i32.const 4)) (i32.const 2))
    (call $want_guard (i32.const 0xa400) (i32.const 4) (i32.const 3))
    (call $report (i32.const 0x1500) (local.get $e))

    ;; path_filestat_get through the symlink (follow → the file) and of it (no follow → 7)
    (local.set $e (call $pstat (i32.const 1) (i32.const 0x2050) (i32.const 7)))
    (call $want (i32.eq (i32.load8_u (i32.const 0x5410)) (i32.const 4)) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5408)) (local.get $ino)) (i32.const 2))
    (call $want (i32.eqz (call $pstat (i32.const 0) (i32.const 0x2050) (i32.const 7))) (i32.const 3))
    (call $want (i32.eq (i32.load8_u (i32.const 0x5410)) (i32.const 7)) (i32.const 4))
    (call $want (i64.eq (i64.load (i32.const 0x5420)) (i64.const 11)) (i32.const 5))
    (call $report (i32.const 0x13c0) (local.get $e))

    ;; path_open(directory) "dir", every right except fd_write
    (call $guard (i32.const 0x43c0) (i32.const 4))
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i64.const 0x2020) (i64.const 3)
      (i32.const 2) (i64.const -65) (i64.const -1) (i32.const 0) (i64.const 0x43c0)))
    (call $want_guard (i32.const 0x43c0) (i32.const 4) (i32.const 1))
    (local.set $dfd (i32.load (i32.const 0x43c0)))
    (call $want (i32.eqz (call $fdstat (local.get $dfd))) (i32.const 2))
    (call $want (i32.eq (i32.load8_u (i32.const 0x5300)) (i32.const 3)) (i32.const 3))
    (call $report (i32.const 0x13e0) (local.get $e))

    ;; fd_readdir from cookie 0: ".", "..", then nested (3), hard.txt (4), sym (7) in some
    ;; order: 5 x 24 header bytes + 1+2+6+8+3 name bytes = 140, bufused as a u64
    (call $guard (i32.const 0xc000) (i32.const 1024))
    (call $guard (i32.const 0x4400) (i32.const 8))
    (local.set $e (call $fd_readdir (local.get $dfd) (i64.const 0xc000) (i64.const 1024) (i64.const 0)
      (i64.const 0x4400)))
    (call $want64 (i32.const 0x4400) (i64.const 140) (i32.const 1))
    (call $want_guard (i32.const 0xc000) (i32.const 140) (i32.const 2))
    (if (i32.eqz (local.get $e))
      (then
        (call $want (i32.eq (call $walk (i32.const 0xc000) (i32.const 140) (i64.const 0) (i32.const 3))
                            (i32.const 5)) (i32.const 4))))
    ;; the first two are "." and ".."
    (call $want (i32.eq (i32.load (i32.const 0xc010)) (i32.const 1)) (i32.const 5))
    (call $want (i32.eq (i32.load8_u (i32.const 0xc018)) (i32.const 46)) (i32.const 6))
    (call $want (i32.eq (i32.load (i32.const 0xc029)) (i32.const 2)) (i32.const 7))
    (call $report (i32.const 0x1400) (local.get $e))
    ;; resume at cookie 2: the three named entries only, 140 - 25 - 26 = 89 bytes
    (call $guard (i32.const 0xc800) (i32.const 512))
    (call $guard (i32.const 0x4440) (i32.const 8))
    (local.set $e (call $fd_readdir (local.get $dfd) (i64.const 0xc800) (i64.const 512) (i64.const 2)
      (i64.const 0x4440)))
    (call $want64 (i32.const 0x4440) (i64.const 89) (i32.const 1))
    (call $want_guard (i32.const 0xc800) (i32.const 89) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0xc800)) (i64.const 3)) (i32.const 3))
    (call $report (i32.const 0x14c0) (local.get $e))
    ;; a 10-byte buffer is filled exactly (truncated entry), bufused 10
    (call $guard (i32.const 0xd000) (i32.const 10))
    (call $guard (i32.const 0x4480) (i32.const 8))
    (local.set $e (call $fd_readdir (local.get $dfd) (i64.const 0xd000) (i64.const 10) (i64.const 0)
      (i64.const 0x4480)))
    (call $want64 (i32.const 0x4480) (i64.const 10) (i32.const 1))
    (call $want_guard (i32.const 0xd000) (i32.const 10) (i32.const 2))
    (call $want (i64.eq (i64.load (i32.const 0xd000)) (i64.const 1)) (i32.const 3))
    (call $report (i32.const 0x14e0) (local.get $e))

    ;; path_rename dir/hard.txt → renamed.txt
    (local.set $e (call $path_rename (i32.const 3) (i64.const 0x2040) (i64.const 12)
      (i32.const 3) (i64.const 0x2070) (i64.const 11)))
    (call $want (i32.eqz (call $pstat (i32.const 0) (i32.const 0x2070) (i32.const 11))) (i32.const 1))
    (call $want (i64.eq (i64.load (i32.const 0x5408)) (local.get $ino)) (i32.const 2))
    (call $want (i32.eq (call $pstat (i32.const 0) (i32.const 0x2040) (i32.const 12)) (i32.const 44))
      (i32.const 3))
    (call $report (i32.const 0x1420) (local.get $e))

    ;; path_unlink_file dir/sym
    (local.set $e (call $path_unlink_file (i32.const 3) (i64.const 0x2050) (i64.const 7)))
    (call $want (i32.eq (call $pstat (i32.const 0) (i32.const 0x2050) (i32.const 7)) (i32.const 44))
      (i32.const 1))
    (call $report (i32.const 0x1440) (local.get $e))

    ;; path_remove_directory dir/nested
    (local.set $e (call $path_remove_directory (i32.const 3) (i64.const 0x2030) (i64.const 10)))
    (call $want (i32.eq (call $pstat (i32.const 0) (i32.const 0x2030) (i32.const 10)) (i32.const 44))
      (i32.const 1))
    (call $report (i32.const 0x1460) (local.get $e))

    (drop (call $fd_close (local.get $dfd)))

    ;; ---- proc_exit: the failure count is the exit status ----
    (call $puts (i32.const 0x14a0))
    (call $put_u64 (i64.extend_i32_u (global.get $fails)))
    (call $puts (i32.const 0x150))
    (call $proc_exit (global.get $fails))
    unreachable)
)
