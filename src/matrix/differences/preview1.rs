//! preview1 programs under both engines (`tests/suite/differential.rs`, which masks exactly
//! these and fails on anything else).

/// One known divergence between our engine and wasmer-wasix.
pub struct KnownDifference {
    /// The preview1 function the check exercises.
    pub function: &'static str,
    /// The guest program (file stem under tests/guests/c), or the name of one case of the
    /// differential test when only that invocation of the program differs.
    pub program: &'static str,
    /// The stdout check name, `tree:<relative path>` for a file in the sandbox, `stderr`
    /// for the stderr stream, or `exit-code`.
    pub check: &'static str,
    /// What our engine does.
    pub ours: &'static str,
    /// What wasmer-wasix 0.704.2 does.
    pub wasmer: &'static str,
    /// Why they differ, and who is right.
    pub why: &'static str,
}

const fn kd(
    function: &'static str,
    program: &'static str,
    check: &'static str,
    ours: &'static str,
    wasmer: &'static str,
    why: &'static str,
) -> KnownDifference {
    KnownDifference {
        function,
        program,
        check,
        ours,
        wasmer,
        why,
    }
}

/// Known differences, observed by running every program under both engines (our engine
/// as of this table; wasmer-wasix 0.704.2 through `--engine wasmer-wasix`, host dir at
/// /sandbox). A check name also covers its sub-checks (`name.*`).
pub const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    // ---- p1_fd_io ----
    kd("fd_advise", "p1_fd_io", "fd_advise.bad_advice", "inval", "success",
       "advice is a witx enum (0..=5); wasmer accepts any value"),
    kd("fd_write", "p1_fd_io", "fd_write.on_read_only", "badf", "acces",
       "fd opened without the fd_write right: POSIX and wasmtime say badf (the conformance suite's path_open_read_without_rights accepts only badf); wasmer says acces"),
    kd("fd_read", "p1_fd_io", "fd_read.on_write_only", "badf", "acces",
       "as fd_write.on_read_only, for the fd_read right"),
    kd("fd_renumber", "p1_fd_io", "fd_renumber.from_closed", "badf (source fd closed)", "success (source fd still open)",
       "fd_renumber moves `fd` onto `to`; wasmer leaves the source fd open (dup2 semantics)"),
    kd("fd_renumber", "p1_fd_io", "fd_renumber.bad_to", "badf", "success",
       "renumbering onto an fd that is not open; wasmtime and we answer badf, wasmer creates it"),
    // ---- p1_fd_meta ----
    kd("fd_fdstat_get", "p1_fd_meta", "fd_fdstat_get.stdio0.filetype", "unknown", "character_device",
       "stdio are pipes under the test harness; we report the host stream's kind, wasmer always says character_device"),
    kd("fd_fdstat_get", "p1_fd_meta", "fd_fdstat_get.stdio1.filetype", "unknown", "character_device", "as stdio0"),
    kd("fd_fdstat_get", "p1_fd_meta", "fd_fdstat_get.stdio2.filetype", "unknown", "character_device", "as stdio0"),
    kd("fd_prestat_get", "p1_fd_meta", "fd_prestat_get.stdin", "badf", "success",
       "stdin is not a preopen; wasmer answers prestat for it"),
    kd("fd_prestat_dir_name", "p1_fd_meta", "fd_prestat_dir_name.small_buffer", "nametoolong", "overflow",
       "buffer shorter than the name; witx leaves the errno open, wasmtime uses nametoolong"),
    kd("fd_write", "p1_fd_meta", "fd_write.after_drop", "badf", "acces",
       "FD_WRITE removed with fd_fdstat_set_rights: reads and writes without their right are badf, as above"),
    kd("fd_seek", "p1_fd_meta", "fd_seek.after_drop", "notcapable", "acces",
       "FD_SEEK removed with fd_fdstat_set_rights; other missing rights are notcapable (witx: capabilities insufficient)"),
    kd("fd_filestat_set_times", "p1_fd_meta", "fd_filestat_set_times.mtim_now", "mtim = now", "mtim not close to now",
       "wasmer does not apply MTIM_NOW from fd_filestat_set_times to the host file"),
    kd("fd_filestat_set_times", "p1_fd_meta", "fd_filestat_set_times.bad_flags", "inval", "success",
       "fstflags bit 4 is not defined by the witx; wasmer ignores unknown bits"),
    // ---- p1_readdir ----
    kd("fd_readdir", "p1_readdir", "fd_readdir.full.d_ino_nonzero", "yes", "no",
       "wasmer writes d_ino = 0 for host files; we report stable inode numbers"),
    // ---- p1_path ----
    kd("path_open", "p1_path", "path_open.absolute", "perm", "notcapable",
       "absolute path given to path_open; both refuse, with different errnos"),
    kd("path_rename", "p1_path", "path_rename.escape", "perm", "notcapable", "as path_open.absolute, for `..` in path_rename"),
    kd("path_open", "p1_path", "path_open.bad_oflags", "inval", "success", "oflags bit 4 is undefined; wasmer ignores it"),
    kd("path_open", "p1_path", "path_open.trunc", "file truncated to 0", "size unchanged",
       "wasmer reuses an already-open handle for the inode and skips O_TRUNC"),
    kd("path_filestat_get", "p1_path", "path_filestat_get.dotdot_escape", "perm", "success",
       "`../` from the /sandbox preopen: wasmer resolves it in its virtual root (a guest-side escape of the preopen)"),
    kd("path_filestat_set_times", "p1_path", "path_filestat_set_times.mtim", "7000000000", "unchanged",
       "wasmer's path_filestat_set_times stores the times on the directory fd's inode, not on the path's"),
    kd("path_filestat_set_times", "p1_path", "path_filestat_set_times.atim", "5000000000", "unchanged", "as path_filestat_set_times.mtim"),
    kd("path_filestat_set_times", "p1_path", "path_filestat_set_times.dir", "mtim set", "unchanged", "as path_filestat_set_times.mtim"),
    kd("path_filestat_get", "p1_path", "path_filestat_get.symlink_follow", "success (regular_file, 7 bytes)", "notcapable",
       "wasmer cannot follow a relative symlink in a host directory"),
    kd("path_filestat_get", "p1_path", "path_filestat_get.dangling_follow", "noent", "notcapable", "as path_filestat_get.symlink_follow"),
    kd("path_open", "p1_path", "path_open.symlink_follow", "success", "notcapable", "as path_filestat_get.symlink_follow"),
    kd("path_open", "p1_path", "path_open.symlink_loop", "loop", "notcapable", "as path_filestat_get.symlink_follow"),
    kd("path_open", "p1_path", "get_file.through_dir_link", "success", "notcapable",
       "symlink to a directory in the middle of a path; as path_filestat_get.symlink_follow"),
    kd("path_readlink", "p1_path", "path_readlink.small_buffer", "success, 4 bytes \"targ\" (truncated)", "overflow",
       "buffer shorter than the link target; preview1 hosts truncate (wasmtime does too)"),
    kd("path_link", "p1_path", "path_link.nlink", "2", "1", "wasmer does not count hard links"),
    kd("path_link", "p1_path", "path_link.directory", "perm", "success", "hard links to directories are refused by POSIX hosts"),
    kd("path_rename", "p1_path", "path_rename.file_over_dir", "isdir", "io", "wasmer maps the host error to io"),
    kd("path_rename", "p1_path", "path_rename.dir_over_file", "notdir", "io", "as path_rename.file_over_dir"),
    kd("path_rename", "p1_path", "path_rename.dir_over_nonempty", "notempty", "io", "as path_rename.file_over_dir"),
    kd("path_symlink", "p1_path", "tree:link_to_file", "host symlink -> target.txt", "absent on the host",
       "wasmer's path_symlink records the link only in its own inode table; the host directory never gets it"),
    kd("path_symlink", "p1_path", "tree:link_dir", "host symlink -> rdir2", "absent on the host", "as tree:link_to_file"),
    kd("path_symlink", "p1_path", "tree:dangling", "host symlink -> nope", "absent on the host", "as tree:link_to_file"),
    kd("path_link", "p1_path", "tree:hard.txt", "host hard link to target.txt", "absent on the host",
       "wasmer's path_link is only virtual as well"),
    // ---- p1_poll ----
    kd("poll_oneoff", "p1_poll", "poll_oneoff.zero_timeout", "fires at once", "hangs (skipped for wasmer)",
       "wasmer treats a relative clock timeout of 0 as `no timeout` and waits forever"),
    kd("poll_oneoff", "p1_poll", "poll_oneoff.absolute_realtime", "fires after 20 ms", "hangs (skipped for wasmer)",
       "wasmer compares an absolute REALTIME deadline with the monotonic clock, so it sleeps for decades"),
    kd("poll_oneoff", "p1_poll", "poll_oneoff.two_clocks.earliest_only", "1 event (the earlier clock)", "not just the earlier clock",
       "wasmer keeps only the last clock's timeout and reports every clock subscription"),
    kd("poll_oneoff", "p1_poll", "poll_oneoff.file_read.nbytes", "60 (bytes left after the position)", "100 (file size)",
       "preview1 says nbytes is the number of bytes available to read"),
    kd("poll_oneoff", "p1_poll", "poll_oneoff.bad_fd", "event with error badf", "call returns badf",
       "preview1 reports per-subscription errors in the event; wasmer fails the whole call"),
    kd("poll_oneoff", "p1_poll", "poll_oneoff.bad_clock", "event with error inval", "call returns inval", "as poll_oneoff.bad_fd"),
    // ---- p1_sock ----
    kd("sock_accept", "p1_sock", "sock_accept.file", "notsock", "acces", "socket call on a regular file; wasmer checks rights first"),
    kd("sock_accept", "p1_sock", "sock_accept.dir", "notsock", "acces", "as sock_accept.file"),
    kd("sock_accept", "p1_sock", "sock_accept.stdout", "notsock", "acces", "as sock_accept.file"),
    kd("sock_recv", "p1_sock", "sock_recv.file", "notsock", "acces", "as sock_accept.file"),
    kd("sock_recv", "p1_sock", "sock_recv.dir", "notsock", "acces", "as sock_accept.file"),
    kd("sock_recv", "p1_sock", "sock_recv.stdout", "notsock", "acces", "as sock_accept.file"),
    kd("sock_send", "p1_sock", "sock_send.file", "notsock", "acces", "as sock_accept.file"),
    kd("sock_send", "p1_sock", "sock_send.dir", "notsock", "acces", "as sock_accept.file"),
    kd("sock_send", "p1_sock", "sock_send.stdout", "notsock", "acces", "as sock_accept.file"),
    kd("sock_shutdown", "p1_sock", "sock_shutdown.stdout", "notsock", "acces",
       "as sock_accept.file (sock_shutdown on a file or directory gives notsock in both)"),
    // ---- p1_proc ----
    kd("proc_raise", "proc_raise_usr1", "exit-code", "138 after proc_raise(SIGUSR1)", "0",
       "proc_raise: we apply the signal's default action (terminate, exit 128+signal); wasmer returns success and the guest runs on"),
    kd("proc_raise", "proc_raise_usr1", "proc_raise.returned", "absent (guest terminated)", "success", "as exit-code"),
];
