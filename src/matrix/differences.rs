//! Differences between our engine and wasmer-wasix 0.704.2, observed by running our
//! preview1 programs under both (`tests/suite/differential.rs`, which masks exactly these and fails
//! on anything else). The compat-matrix is generated from this table.

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

/// Known differences of wasmer-wasix 0.704.2 from the witx / POSIX behaviour the programs
/// check: (case, check name, why). Under wasmer-wasix exactly these checks fail.
pub const SOCKET_DIFFERENCES: &[(&str, &str, &str)] = &[
    // ports: wasmer reads addr_port ports little-endian but writes them big-endian (witx: LE)
    (
        "tcp4",
        "tcp.addr_local_listener.port",
        "wasmer writes ports big-endian",
    ),
    (
        "tcp4",
        "tcp.addr_peer_client.is_listener",
        "wasmer writes ports big-endian",
    ),
    (
        "tcp4",
        "tcp.addr_local_server.port",
        "wasmer writes ports big-endian",
    ),
    (
        "tcp4",
        "tcp.connect_again",
        "wasmer: connect on a connected socket → notsup (POSIX: isconn)",
    ),
    (
        "tcp4",
        "tcp.addr_peer_listener",
        "wasmer: addr_peer of a listener → notsup (POSIX: notconn)",
    ),
    // ip6: witx addr_ip6 is 8 little-endian u16 segments; wasmer reads 16 octets, so ::1
    // written per the witx is ::100 to wasmer and the bind fails
    (
        "tcp6",
        "tcp.bind",
        "wasmer reads ip6 as octets, not LE u16 segments",
    ),
    (
        "udp6",
        "udp.bind_a",
        "wasmer reads ip6 as octets, not LE u16 segments",
    ),
    (
        "epoll",
        "epoll.level_triggered",
        "wasmer epoll does not re-report a still-ready fd",
    ),
    (
        "epoll",
        "epoll.two_ready.together",
        "wasmer epoll does not re-report a still-ready fd",
    ),
    (
        "epoll",
        "epoll.maxevents_1",
        "wasmer epoll does not re-report a still-ready fd",
    ),
    (
        "epoll",
        "epoll.wait_oob_events",
        "wasmer: nothing ready → no write → success",
    ),
    (
        "udp4",
        "udp.addr_local_a.port",
        "wasmer writes ports big-endian",
    ),
    (
        "udp4",
        "udp.addr_local_b.port",
        "wasmer writes ports big-endian",
    ),
    (
        "udp4",
        "udp.recv_from.port",
        "wasmer writes ports big-endian",
    ),
    (
        "udp4",
        "udp.reply.from_port",
        "wasmer writes ports big-endian",
    ),
    (
        "udp4",
        "udp.addr_peer_connected.port",
        "wasmer writes ports big-endian",
    ),
    (
        "udp4",
        "udp.truncate.roflags",
        "wasmer never sets recv_data_truncated",
    ),
    (
        "opts",
        "opt.broadcast.set_true",
        "wasmer: broadcast on an unbound UDP socket → inval",
    ),
    (
        "opts",
        "opt.broadcast.get_true",
        "wasmer: broadcast on an unbound UDP socket → inval",
    ),
    (
        "opts",
        "opt.broadcast.set_false",
        "wasmer: broadcast on an unbound UDP socket → inval",
    ),
    (
        "opts",
        "opt.broadcast.get_false",
        "wasmer: broadcast on an unbound UDP socket → inval",
    ),
    (
        "opts",
        "opt.ttl.set",
        "wasmer: ttl on an unconnected TCP socket → io",
    ),
    (
        "opts",
        "opt.ttl.get",
        "wasmer: ttl on an unconnected TCP socket → io",
    ),
    (
        "opts",
        "opt.linger.set_some",
        "wasmer: linger on an unconnected TCP socket → io",
    ),
    (
        "opts",
        "opt.linger.get_some",
        "wasmer: linger on an unconnected TCP socket → io",
    ),
    (
        "opts",
        "opt.linger.set_none",
        "wasmer: linger on an unconnected TCP socket → io",
    ),
    (
        "opts",
        "opt.linger.get_none",
        "wasmer: linger on an unconnected TCP socket → io",
    ),
    (
        "opts",
        "opt.time_bad_tag",
        "wasmer accepts an option tag other than none/some",
    ),
    (
        "bad",
        "bad.open_family",
        "wasmer: sock_open with family 9 succeeds",
    ),
    ("bad", "bad.open_type", "wasmer: bad socket type → notsup"),
    ("bad", "bad.open_proto", "wasmer: stream + udp → notsup"),
    (
        "bad",
        "bad.bind_straddles_end",
        "wasmer reads a 20-byte addr_port, not the 110-byte witx union",
    ),
    (
        "bad",
        "bad.bind_udp",
        "wasmer: bind of a UDP socket after a failed send_to → notsup",
    ),
    (
        "bad",
        "bad.connect_refused",
        "wasmer: connect to a closed port reports success",
    ),
    (
        "bad",
        "bad.pipe.sock_send",
        "wasmer: sock_send on a pipe writes to it",
    ),
    (
        "bad",
        "bad.pipe.sock_bind",
        "wasmer: sock_bind on a non-socket → acces",
    ),
    (
        "bad",
        "bad.stdout.sock_connect",
        "wasmer: sock_connect on a non-socket → acces",
    ),
    (
        "bad",
        "bad.stdout.sock_listen",
        "wasmer: sock_listen on a non-socket → acces",
    ),
    (
        "fd",
        "fd.fdflags_set_unknown_bits",
        "wasmer ignores unknown fdflagsext bits",
    ),
    (
        "fd",
        "fd.pipe.reverse_write",
        "witx: pipes are bidirectional; wasmer's are not",
    ),
    (
        "fd",
        "fd.pipe.reverse_read",
        "witx: pipes are bidirectional; wasmer's are not",
    ),
    (
        "fd",
        "fd.event.short_read",
        "wasmer: 4-byte read of an eventfd → again",
    ),
    (
        "fd",
        "fd.event_semaphore.read1",
        "wasmer: semaphore eventfd does not count down by one",
    ),
    (
        "fd",
        "fd.event.bad_flags",
        "wasmer ignores unknown eventfdflags bits",
    ),
    (
        "fd",
        "fd.getcwd_short.needed",
        "wasmer reports the size without the NUL, so wasix-libc's getcwd(NULL, 0) allocates one byte too few",
    ),
    (
        "fd",
        "fd.getcwd_no_room_for_nul",
        "wasmer fills a buffer of exactly the path's length and writes no NUL",
    ),
    ("fd", "fd.tty_get", "wasmer: tty_get without a tty → notsup"),
    ("fd", "fd.tty_get.bools", "follows from tty_get"),
    (
        "fd",
        "fd.tty_get_oob",
        "wasmer: tty_get → notsup before touching memory",
    ),
    (
        "fd",
        "fd.pipe.write_no_reader",
        "wasmer ends the process (exit 64) on EPIPE: skipped",
    ),
    // networking cannot be turned off: reference.rs ignores --net
    (
        "nonet",
        "nonet.bind",
        "reference engine always has host networking",
    ),
    (
        "nonet",
        "nonet.connect",
        "reference engine always has host networking",
    ),
    (
        "nonet",
        "nonet.udp_send_to",
        "reference engine always has host networking",
    ),
    (
        "nonet",
        "nonet.resolve",
        "reference engine always has host networking",
    ),
];

/// WASIX socket checks where both engines give an accepted answer, but different ones
/// (POSIX against wasmer's choice): (case, check, ours, wasmer-wasix, why).
pub const SOCKET_VALUE_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "opts",
        "opt.flag_via_time",
        "noprotoopt",
        "inval",
        "an option of another kind: POSIX setsockopt answers ENOPROTOOPT",
    ),
    (
        "opts",
        "opt.time_via_flag",
        "noprotoopt",
        "inval",
        "as opt.flag_via_time",
    ),
    (
        "opts",
        "opt.set_type_read_only",
        "noprotoopt",
        "inval",
        "a read-only option (SO_TYPE) given to a setter: POSIX setsockopt answers ENOPROTOOPT; one rule for every sockopt call",
    ),
    (
        "opts",
        "opt.recv_timeout.effect",
        "again",
        "timedout",
        "an expired SO_RCVTIMEO is EAGAIN in POSIX",
    ),
    (
        "bad",
        "bad.accept_unbound",
        "inval",
        "notconn",
        "accept on a socket that is not listening: POSIX EINVAL",
    ),
    (
        "bad",
        "bad.bind_unspec",
        "afnosupport",
        "inval",
        "an address of the wrong family: POSIX EAFNOSUPPORT",
    ),
    (
        "nonet",
        "nonet.sock_open",
        "acces",
        "allowed (fails on use)",
        "networking off: we refuse at sock_open, wasmer opens the socket and fails at bind/connect",
    ),
];

/// port_* differences, from `tests/suite/ports.rs`.
/// Checks that fail under wasmer-wasix 0.704.2 with host networking:
/// (case glob, check glob, what wasmer's FAIL line contains ("" = any), why).
/// Globs use `*` for any run of characters. `reference_differences_are_known` keeps the
/// table exact: every failing check is covered by an entry whose text matches, and every
/// entry covers at least one failing check.
pub const PORT_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    // -- tables (port_table, 4 / 6, with and without --net) --
    ("table*", "addr.add*", "got notsup", "port_addr_add goes to the host backend (LocalNetworking), which answers Unsupported; no prefix check happens first"),
    ("table*", "addr.remove*", "got notsup", "port_addr_remove: backend Unsupported, so never noent"),
    ("table*", "addr.clear*", "got notsup", "port_addr_clear: backend Unsupported"),
    ("table*", "addr.list*", "", "port_addr_list: notsup, so counts, contents and overflow are never reported"),
    ("table*", "gateway.set*", "got notsup", "port_gateway_set: backend Unsupported"),
    ("table*", "route.add*", "got notsup", "port_route_add: backend Unsupported; no prefix check happens first"),
    ("table*", "route.remove*", "got notsup", "port_route_remove: backend Unsupported, so never noent"),
    ("table*", "route.clear*", "got notsup", "port_route_clear: backend Unsupported"),
    ("table*", "route.list*", "", "port_route_list: notsup, so counts, timestamps, expiry and overflow are never reported"),
    // -- mac, dhcp, bad input (port_misc, with and without --net) --
    ("misc*", "mac*", "", "port_mac: notsup, even for an out-of-bounds pointer (the backend is asked before memory is checked)"),
    ("misc*", "dhcp.*", "", "port_dhcp_acquire / port_addr_clear / port_addr_list: notsup"),
    ("misc*", "route_add.*_bad_tag", "got notsup", "option_timestamp tags (and, for via, nothing else) are not validated before the backend's notsup"),
    ("misc*", "addr_list.buf_*", "got notsup", "port_addr_list asks the backend before checking the buffer"),
    ("misc*", "refused.*", "", "the list calls used to show the tables are unchanged answer notsup"),
    ("misc*", "setup.*", "got notsup", "port_addr_add / port_route_add: notsup"),
    ("misc*", "cleanup.*", "got notsup", "port_addr_clear / port_route_clear: notsup"),
    // -- routing (port_route 4 / 6) --
    ("route*", "*.route_add", "got notsup", "no route table on host networking"),
    ("route*", "*.route_remove", "got notsup", "no route table on host networking"),
    ("route*", "*.route_clear", "got notsup", "no route table on host networking"),
    ("route*", "gateway.set", "got notsup", "port_gateway_set: notsup"),
    ("route*", "*.connect", "got success", "routes are never consulted: every destination stays reachable"),
    ("route4", "*.send_to", "got success", "routes are never consulted: every datagram is sent"),
    ("route6", "*.send_to", "got errno#2004", "the guest's bind of [::1]:0 fails first (2000 + addrnotavail): wasmer reads ip6 as octets, not LE u16 segments (as in SOCKET_DIFFERENCES udp6)"),
    // -- bridging (port_bridge) --
    ("bridge", "bridge*", "got notsup", "port_bridge on host networking answers Unsupported for any valid call: no served network, no token check"),
    ("bridge", "unbridge*", "got notsup", "port_unbridge: notsup, even when not bridged"),
    ("bridge", "bridged.mac", "got notsup", "port_mac: notsup"),
    ("bridge", "security.none", "got notsup", "stream_security read as an enum 0..3: 0 is `unencrypted` there, so the call goes on to the backend instead of inval"),
    ("bridge", "security.*_encryption*", "got inval", "stream_security read as an enum 0..3: the flags 4 and 8 (and 14) are out of range, inval instead of notsup"),
    ("bridge-nonet", "nonet.bridge", "got notsup", "with networking off wasmer answers notsup, not acces"),
];

/// Single-threaded WASIX thread / futex / signal imports and wasix-libc programs: where
/// wasmer-wasix 0.704.2 answers differently (`tests/suite/wasix_sync.rs` and
/// `tests/suite/wasix_libc.rs` run each case on both engines and keep this list exact):
/// (case, check, ours, wasmer-wasix, why).
pub const WASIX_RUNTIME_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "futex",
        "futex_wait / futex_wake on an unaligned word",
        "inval",
        "proceeds (reads the unaligned word)",
        "a futex word is an aligned u32 (as memory.atomic.wait32 requires); wasmer does not check; its bad option tags also mean \"no timeout\" (from its source) where we say inval",
    ),
    (
        "thread",
        "proc_signals_sizes_get / proc_signals_get of a process the host started",
        "1: SIGHUP at its default",
        "0",
        "wasix-libc sets up its default-action handler only inside sigaction(), which its start-up calls once per inherited disposition: with none, a program that never called sigaction traps (null function pointer) on its first signal instead of taking the default action; SIGHUP at default changes nothing else",
    ),
    (
        "signal",
        "thread_signal to a thread that does not exist",
        "srch",
        "success (signal lost)",
        "POSIX pthread_kill answers ESRCH, which `pthread_kill(t, 0)` liveness checks rely on",
    ),
    (
        "sigterm",
        "SIGTERM before any handler is registered",
        "process ends, status 143",
        "ignored",
        "POSIX default action of SIGTERM (and of every signal not ignored by default) is to terminate; wasmer terminates only for INT, QUIT, KILL, ABRT and PIPE",
    ),
    (
        "sigkill-handled",
        "SIGKILL with a handler registered",
        "process ends, status 137, handler not called",
        "handler called (wasix-libc's then aborts, 127)",
        "SIGKILL cannot be caught (POSIX)",
    ),
    (
        "texit",
        "thread_exit(5) from the only thread",
        "process ends with status 5",
        "error `WASI thread exited` (status 1 through our reference runner)",
        "the witx: when the last thread exits, the process exits with its code",
    ),
    (
        "wasix-libc:preopens",
        "preopened directories of a WASIX program",
        "3 `/`, then each mount",
        "3 `/` (virtual), each mount, `/` again",
        "wasmer-wasix's fd 3 cannot look through mounts, so its engine set-up adds a second `/` preopen that wasix-libc uses; fds a program opens are one higher there",
    ),
    (
        "wasix-libc:pipes_events",
        "epoll_wait after the eventfd was reported once and is still readable",
        "eventfd and pipe ready (2)",
        "pipe only (1)",
        "epoll is level-triggered unless EPOLLET: a non-zero eventfd stays readable",
    ),
    (
        "threads:pthread_kill",
        "pthread_kill(worker, SIGUSR1) while the worker sleeps",
        "handler runs on the worker (pthread_self is the target)",
        "handler runs on another thread",
        "POSIX: a signal sent with pthread_kill is delivered to that thread",
    ),
    (
        "threads:sigkill",
        "raise(SIGKILL) while four workers sit in memory.atomic.wait32",
        "process ends at once, status 137",
        "status 27",
        "SIGKILL's status is 128+9; the workers' waits are woken and their atomics closed",
    ),
    (
        "threads:exit",
        "exit(7) from a worker while main blocks in read() on an open, empty stdin",
        "process ends, status 7",
        "hangs until stdin yields data or closes",
        "exit ends every thread; a read blocked in the host is interrupted",
    ),
    (
        "threads:itimer",
        "setitimer 20 ms interval, main sleeping in usleep",
        "SIGALRM handler runs every 20 ms",
        "no tick in 5 s",
        "the interval timer raises SIGALRM to the process; the sleep is interrupted and the handler runs",
    ),
    (
        "threads:limit",
        "pthread_create past `--max-threads 20`",
        "19 created, then EAGAIN",
        "no limit (the limit scenario is not run there: it would create 256 threads)",
        "a runtime needs a bound on OS threads per guest",
    ),
    (
        "threads:atomics",
        "futex_wait woken by memory.atomic.notify; memory.atomic.wait32 woken by futex_wake",
        "both wake (one set of wait queues, the engine's)",
        "neither wakes: the bounded loops run out (exit 100)",
        "the imports and the instructions name the same futex words",
    ),
    (
        "threads:2022",
        "thread_spawn(user_data, stack_base, stack_start, reactor, tid*), thread_local_*",
        "run (entry `_start_thread(lo, hi)`, __stack_pointer = stack_base)",
        "unknown import",
        "binaries of 2022 import them; wasmer-wasix dropped them",
    ),
    (
        "threads:join",
        "thread_join of a tid never given out",
        "srch",
        "success",
        "pthread_join answers ESRCH for a thread that does not exist; an ended thread joins at once on both",
    ),
    (
        "threads:no-shared-memory",
        "thread_spawn_v2 in a module whose memory is not shared",
        "notsup",
        "memviolation",
        "no memory for a second instance to share: threads are not supported for that module",
    ),
    (
        "threads:exported-memory",
        "four wasi-threads adding into a shared memory the module defines and exports",
        "10: every thread adds into main's memory",
        "100: main's count never moves",
        "the defined memory is loaded as an `env.memory` import with its declared limits, so each thread instance gets the process's memory",
    ),
    (
        "threads:oneshot",
        "proc_raise_interval(SIGALRM, 200 ms in ns, repeat = 0) called directly, then sleeping",
        "the handler runs once",
        "no tick in 2.6 s",
        "the witx interval is a timestamp (ns) and repeat false means once; wasmer-wasix reads it as milliseconds (200,000,000 ms) and always repeats",
    ),
    (
        "threads:spin",
        "exit(9) from a worker while main computes in a loop that calls no import",
        "process ends, status 9 (the CLI returns once the end is decided)",
        "hangs",
        "exit ends every thread; a thread that never calls an import cannot unwind, so the runner must not wait for it",
    ),
    (
        "threads:sa_restart",
        "read() on a pipe interrupted by pthread_kill(main, SIGUSR1) with an SA_RESTART handler; a byte written 200 ms later",
        "-1 EINTR after the handler ran",
        "returns the byte; the handler has not run by then",
        "the host cannot see wasix-libc's sigaction flags: a handled signal ends the blocking call with intr after the handler (wasix-libc retries only its futex waits); wasmer-wasix does not interrupt reads (and runs handlers inside poll/futex waits, which go on waiting)",
    ),
    (
        "threads:sleep-signal",
        "thread_signal(worker, SIGUSR1) with a handler while the worker sits in thread_sleep(u64::MAX - 1)",
        "the handler runs on the worker and the sleep returns intr",
        "the handler runs and the sleep goes on (main's join hangs)",
        "a handled signal interrupts a blocking call, as POSIX nanosleep (EINTR)",
    ),
    (
        "threads:signal-other-default",
        "thread_signal(worker, SIGTERM) before any handler was registered (SIGCHLD first)",
        "process ends, status 143 (SIGCHLD ignored)",
        "both ignored: main goes on",
        "POSIX default actions are process-wide, whichever thread the signal names",
    ),
    (
        "threads:last-thread",
        "main calls thread_exit(5) while two workers run; the last one calls thread_exit(6)",
        "process ends when the last thread has, status 6",
        "error `WASI thread exited` (status 1)",
        "the witx: when the last thread exits, the process exits with its code",
    ),
    (
        "threads:futex-huge-timeout",
        "futex_wait with timeout u64::MAX - 1 ns (or none) woken by futex_wake from main",
        "woken = 1, the waiter returns",
        "sometimes lost: futex_wake reports the waiter woken and the waiter sleeps on (with a 10 s timeout it returns at the timeout, woken = 0); not asserted there, as it varies from run to run",
        "a wake that reports a woken waiter must end that waiter's wait",
    ),
    (
        "wasix-libc:nonblocking-connect",
        "connect() on an O_NONBLOCK TCP socket to a loopback listener, then poll(POLLOUT) and connect() again",
        "EINPROGRESS, writable, EISCONN; refused: EINPROGRESS, ready, ECONNREFUSED",
        "0 (connected before returning), writable, ENOTSUP; refused: EINPROGRESS, ready, ENOTSUP",
        "as Linux: a nonblocking connect starts the handshake and reports it through readiness (WASI 0.2 start-connect / finish-connect)",
    ),
    (
        "wasix-libc:sendfile",
        "sendfile() of 32 MiB on a nonblocking TCP socket while the peer drains it",
        "partial counts, every byte delivered once",
        "does not finish in 10 s",
        "a partial send reports what went out (sendfile(2)); a full socket is `again`",
    ),
    (
        "wasix-libc:sigkill",
        "raise(SIGKILL) in a wasix-libc program",
        "status 137, nothing printed",
        "status 127 after wasix-libc's \"Program recieved termination signal: Killed\"",
        "as sigkill-handled",
    ),
    (
        "wasix-libc:2022-signals",
        "raise() in a program built against the 2022 sysroot (6c2e047), which passes thread_signal a thread id it never initialised",
        "srch (the program's check fails and the 2022 strerror traps: status 134)",
        "success, the signal is dropped (no handler runs)",
        "as `signal`: an id that names no thread is srch",
    ),
    (
        "wasix-libc:2022-symlinks",
        "symlink() in a 2022 program: its libc resolves relative paths against the `/` preopen, an in-memory tree",
        "notsup (the check fails, the 2022 strerror traps: status 134)",
        "the link is made in the in-memory tree",
        "our in-memory trees have no symlinks (documented for path_symlink)",
    ),
];

/// Limitations of the guest's C library that no host can mend: the same on both engines
/// (function, what, where it is tested).
pub const WASIX_LIBC_LIMITATIONS: &[(&str, &str, &str)] = &[
    (
        "alarm",
        "never fires: wasix-libc 34178a6's alarm(n) calls setitimer with only `it_value` set, and its setitimer passes `it_interval` (0 = cancel) to `proc_raise_interval` with repeat = 1, dropping `it_value`; a setitimer whose `it_interval` equals its `it_value` works (repeating), and a one-shot timer needs `proc_raise_interval(sig, ns, 0)` itself",
        "threads::interval_timer_reaches_the_handler (`alarm fired: 0` on both), threads::one_shot_interval_timer_fires_once",
    ),
    (
        "sigaction SA_RESTART",
        "invisible to the host: wasix-libc keeps the flags and registers one handler export (`__wasm_signal`) for every signal, so a blocking call interrupted by a handled signal returns EINTR whatever the flags (wasix-libc retries only its own futex waits); programs that rely on SA_RESTART for read/accept/poll must retry on EINTR",
        "threads::a_handled_signal_interrupts_read_even_with_sa_restart",
    ),
];

/// Where our WASIX answers depart from the witx to agree with what wasix-libc passes and
/// wasmer-wasix expects (tests named in the why).
pub const WASIX_ABI_NOTES: &[(&str, &str)] = &[
    (
        "epoll_ctl",
        "op 0 or 1 adds, 2 deletes, 3 modifies: wasix-libc passes Linux's EPOLL_CTL_* numbers unchanged where the witx enum says add 0, mod 1, del 2; wasmer-wasix decodes the same way (tests/suite/wasix_libc.rs pipes_poll_eventfd_epoll)",
    ),
    (
        "fd_fdstat_get",
        "under wasix_32v1 / wasix_64v1 the process's stdin, stdout and stderr are character devices whatever the host streams are (as wasmer-wasix): 2022 wasix-libc runs no destructors when main returns, so only a line-buffered (terminal) stdout keeps its output (tests/suite/wasix_libc.rs hello_world_from_the_2022_sysroot); preview1 namespaces report the host stream's kind",
    ),
    (
        "sock_pair",
        "protocol tcp (6) is accepted for a stream pair, as wasix-libc's socketpair() asks for it; udp (17) is notsup",
    ),
];

/// WASI 0.2 components: where wasmtime 48 + wasmtime-wasi (`--engine wasmtime`) answers
/// differently from our engine. `tests/suite/p2.rs` runs every component on both engines
/// and asserts each engine's exact outcome: (test, check, ours, wasmtime, why).
pub const COMPONENT_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "p2_std_fs_sandbox",
        "writing, truncating, creating, removing or renaming under a `--dir-ro` preopen",
        "`read-only` (std: ReadOnlyFilesystem, errno 69)",
        "`not-permitted` (std: PermissionDenied, errno 63)",
        "the WIT's error-code has `read-only` for exactly this; preview1 programs get `rofs` from us the same way",
    ),
    (
        "p2_use_after_drop_traps",
        "first `ready` of a `subscribe-duration(0)` pollable",
        "true",
        "false (it yields to its executor once; the next `ready` is true)",
        "a zero duration has already elapsed when the pollable is made; the guest of this test checks it and stops at its `unreachable` on wasmtime (without the check both engines trap on the use after drop)",
    ),
    (
        "p2_forged_handle_traps, p2_use_after_drop_traps, p2_wrong_handle_type_traps, p2_write_zeroes_keeps_to_the_wit_limit",
        "trap message for a bad handle or an over-long write-zeroes",
        "names the import and the core function: `wasi:io/poll@0.2.0#[method]pollable.ready: unknown handle index 42 (in func[1])`",
        "the bare reason: `unknown handle index 42`",
        "both trap (status 134); ours says where",
    ),
    (
        "p2_wrong_core_signature_is_a_link_error",
        "a lowering whose core type is not the WIT function's",
        "`import … has core signature () -> (i32), but wasix-compat provides () -> (i64)`",
        "`component imports instance …, but a matching implementation was not found in the linker: … type mismatch …`",
        "both refuse before `run` (status 1), with different wording",
    ),
    (
        "p2_truncated_component_is_one_error_line",
        "a truncated component",
        "`invalid component: unexpected end-of-file (at offset 0x3e0)`",
        "`cannot compile component: failed to parse WebAssembly module: unexpected end-of-file (at offset 0x3e0)`",
        "both refuse it (status 1), with different prefixes",
    ),
    (
        "p2_wasmtime_engine_refuses_modules_and_tmpfs",
        "`--tmpfs GUEST` with `--engine wasmtime`",
        "an in-memory preopen",
        "refused (wasmtime-wasi preopens host directories only)",
        "a limit of the reference engine, not of the guest",
    ),
];

/// WASIX processes (fork, exec, spawn, join, signals, setjmp): where wasmer-wasix 0.704.2
/// answers differently. `tests/suite/wasix_procs.rs` runs each scenario on both engines and
/// asserts each one's exact outcome; `process_differences_are_listed` there keeps this
/// list equal to the scenarios that differ: (test, check, ours, wasmer-wasix, why).
pub const PROCESS_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "fork_then_wait_for_the_exit_status",
        "getppid() in a forked child",
        "the parent's pid",
        "0",
        "POSIX: a child's parent is the process that forked it",
    ),
    (
        "fork_without_asyncify",
        "fork() in a module not transformed by `wasm-opt --asyncify`",
        "-1, errno ENOTSUP (58); the program goes on",
        "the process exits with status 45",
        "fork cannot work there; the caller gets an errno it can report, not a dead process",
    ),
    (
        "fork_from_a_pthread",
        "fork() from a pthread",
        "-1, errno ENOTSUP",
        "succeeds, but the child's `_exit(3)` is reported as status 0",
        "the host cannot place the asyncify buffer on a pthread's stack (its bounds are libc's); a wrong status is worse than a clear errno",
    ),
    (
        "sigkill_a_child_blocked_in_read",
        "kill(child, SIGKILL) while the child blocks in read()",
        "waitpid: WIFSIGNALED, WTERMSIG 9",
        "hangs (waitpid never returns)",
        "SIGKILL ends the target, whatever it waits in; join reports the signal",
    ),
    (
        "sigterm_a_child_blocked_in_read",
        "kill(child, SIGTERM) while the child blocks in read() (no handler)",
        "the child ends with 127 (wasix-libc's default action prints and aborts)",
        "hangs",
        "the signal interrupts the wait and the libc's default action runs",
    ),
    (
        "sigterm_a_child_blocked_in_sleep",
        "kill(child, SIGTERM) while the child sleeps (no handler)",
        "the child ends with 127",
        "the child ends with 27 (the errno `intr`)",
        "as above; with no inherited disposition wasix-libc would trap on the signal instead (see `thread` above)",
    ),
    (
        "waitpid_wnohang_on_a_running_child",
        "waitpid(child, WNOHANG) while the child runs",
        "0",
        "the child's pid, with status 0",
        "POSIX: WNOHANG returns 0 while no child has changed state",
    ),
    (
        "kill_of_an_unknown_pid",
        "kill(99999, SIGTERM)",
        "ESRCH (71, returned by wasix-libc's kill)",
        "0",
        "POSIX: no such process is ESRCH; 0 and negative pids address process groups",
    ),
    (
        "fork_bomb_stops_at_the_process_limit",
        "fork in a loop with `--max-procs 8`",
        "7 forks, then EAGAIN; every child reaped",
        "no limit (20 of 20 forks); two or more children reading one pipe never see EOF and waitpid hangs",
        "a runtime needs a bound on processes (each is an OS thread, an instance and a memory copy); a pipe reaches EOF once every write end is closed",
    ),
    (
        "posix_spawn_of_a_missing_program",
        "posix_spawn of a path that does not exist",
        "ENOENT (44)",
        "ENOEXEC (45)",
        "POSIX: a missing file is ENOENT; ENOEXEC is for a file that is not a program",
    ),
    (
        "longjmp_to_an_unset_jmp_buf",
        "longjmp to a jmp_buf no setjmp filled",
        "trap `longjmp to a jmp_buf that is not live (stack_restore)`, status 134",
        "exit status 79",
        "there is no frame to return to and no errno to return; a trap names the cause",
    ),
    (
        "setjmp_without_asyncify",
        "setjmp in a module not transformed by asyncify",
        "stack_checkpoint answers notsup; wasix-libc's setjmp then traps (status 134)",
        "the process exits with status 45",
        "the import never traps itself: the errno is the libc's to handle",
    ),
];

/// Process behaviour no scenario above compares, each tested on our engine: (what, ours,
/// wasmer-wasix from its source, why).
pub const PROCESS_NOTES: &[(&str, &str, &str, &str)] = &[
    (
        "SIGCHLD",
        "sent to the parent only with `--sigchld` / `Builder::sigchld(true)` (then a handler counts each child)",
        "never sent",
        "wasix-libc's default action for SIGCHLD calls SIG_IGN as a function and traps, so sending it by default would kill every parent that does not catch it",
    ),
    (
        "exec",
        "replaces the image in place: same pid, parent, children; fds without cloexec; the old instance and memory are freed",
        "runs the new program as a second run with the same pid and waits for it",
        "exit codes are the same; our process table stays exact (getppid, waitpid across exec)",
    ),
    (
        "join of a pid that is not a child",
        "ECHILD",
        "joins any process of the runtime",
        "POSIX waitpid",
    ),
    (
        "proc_parent(other pid)",
        "that process's parent; an unknown pid is srch",
        "the pid itself; badf",
        "the witx: the parent of `pid`",
    ),
    (
        "a child that traps",
        "reported as killed by SIGABRT (WTERMSIG 6), the trap line on its stderr",
        "an exit code",
        "a trapping process dies of a signal on a real system",
    ),
    (
        "proc_snapshot, proc_fork_env",
        "notsup",
        "snapshot: success without a journal; fork_env: a vfork of exception-handling builds",
        "there is no journal; exception-handling builds of wasix-libc are not supported yet (asyncify builds use proc_fork(0))",
    ),
    (
        "fd_renumber in a module importing WASIX",
        "dup2: the source stays open, the target need not be open",
        "the same",
        "wasix-libc's dup2 and dup3 are this import (a preview1-only module keeps the witx's move onto an open fd)",
    ),
    (
        "orphans",
        "reparented to pid 1 for getppid, reaped when they end",
        "not reparented",
        "nobody waits for them",
    ),
];
