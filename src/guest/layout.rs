//! The layout of every Pod type, named as in the witx, for the ABI test (`tests/suite/witx_abi.rs`)
//! to compare against our `witx/` files.

use super::types::*;
use std::mem::{align_of, offset_of, size_of};

#[derive(Clone, Copy, Debug)]
pub struct TypeLayout {
    /// "preview0" or "preview1": which witx document names the type.
    pub abi: &'static str,
    /// witx type name without `$`.
    pub witx: &'static str,
    pub size: usize,
    pub align: usize,
    /// (witx member name, byte offset). Union members are written `case.field`.
    pub fields: &'static [(&'static str, usize)],
}

macro_rules! layout {
    ($abi:literal, $witx:literal, $t:ty, [$(($name:literal, $field:ident)),* $(,)?]) => {
        TypeLayout {
            abi: $abi,
            witx: $witx,
            size: size_of::<$t>(),
            align: align_of::<$t>(),
            fields: &[$(($name, offset_of!($t, $field))),*],
        }
    };
}

macro_rules! both_abis {
    ($witx:literal, $t:ty, $fields:tt) => {
        [
            layout!("preview0", $witx, $t, $fields),
            layout!("preview1", $witx, $t, $fields),
        ]
    };
}

const IOVEC: [TypeLayout; 2] = both_abis!("iovec", Iovec, [("buf", buf), ("buf_len", buf_len)]);
const CIOVEC: [TypeLayout; 2] = both_abis!("ciovec", Iovec, [("buf", buf), ("buf_len", buf_len)]);
const FDSTAT: [TypeLayout; 2] = both_abis!(
    "fdstat",
    Fdstat,
    [
        ("fs_filetype", fs_filetype),
        ("fs_flags", fs_flags),
        ("fs_rights_base", fs_rights_base),
        ("fs_rights_inheriting", fs_rights_inheriting)
    ]
);
const DIRENT: [TypeLayout; 2] = both_abis!(
    "dirent",
    Dirent,
    [
        ("d_next", d_next),
        ("d_ino", d_ino),
        ("d_namlen", d_namlen),
        ("d_type", d_type)
    ]
);
const PRESTAT: [TypeLayout; 2] = both_abis!(
    "prestat",
    Prestat,
    [("tag", tag), ("dir.pr_name_len", pr_name_len)]
);
const EVENT: [TypeLayout; 2] = both_abis!(
    "event",
    Event,
    [
        ("userdata", userdata),
        ("error", error),
        ("type", type_),
        ("fd_readwrite", nbytes),
        ("fd_readwrite.nbytes", nbytes),
        ("fd_readwrite.flags", flags)
    ]
);

pub static LAYOUTS: &[TypeLayout] = &[
    super::addr::LAYOUTS[0],
    super::addr::LAYOUTS[1],
    super::addr::LAYOUTS[2],
    super::addr::LAYOUTS[3],
    super::addr::LAYOUTS[4],
    super::addr::LAYOUTS[5],
    super::addr::LAYOUTS[6],
    super::addr::LAYOUTS[7],
    // WASIX records the p1 layer encodes field by field (sock.rs, fdx.rs, epoll.rs).
    TypeLayout {
        abi: "wasix",
        witx: "option_timestamp",
        size: 16,
        align: 8,
        fields: &[("tag", 0), ("some", 8)],
    },
    TypeLayout {
        abi: "wasix",
        witx: "tty",
        size: 24,
        align: 4,
        fields: &[
            ("cols", 0),
            ("rows", 4),
            ("width", 8),
            ("height", 12),
            ("stdin_tty", 16),
            ("stdout_tty", 17),
            ("stderr_tty", 18),
            ("echo", 19),
            ("line_buffered", 20),
            ("line_feeds", 21),
        ],
    },
    // thread_spawn_v2 checks the whole record is readable; the new thread's entry reads it.
    TypeLayout {
        abi: "wasix",
        witx: "thread_start",
        size: 64,
        align: 4,
        fields: &[
            ("stack", 0),
            ("tls_base", 4),
            ("start_funct", 8),
            ("start_args", 12),
            ("reserved0", 16),
            ("reserved1", 20),
            ("reserved2", 24),
            ("reserved3", 28),
            ("reserved4", 32),
            ("reserved5", 36),
            ("reserved6", 40),
            ("reserved7", 44),
            ("reserved8", 48),
            ("reserved9", 52),
            ("stack_size", 56),
            ("guard_size", 60),
        ],
    },
    // The process imports (witx/wasix/procs.rs, exec.rs, setjmp.rs), wasm32 offsets; the
    // wasm64 `proc_spawn_fd_op` (size 64) is computed in exec.rs.
    TypeLayout {
        abi: "wasix",
        witx: "option_pid",
        size: 8,
        align: 4,
        fields: &[("tag", 0), ("some", 4)],
    },
    TypeLayout {
        abi: "wasix",
        witx: "join_status",
        size: 6,
        align: 2,
        fields: &[
            ("tag", 0),
            ("exit_normal", 2),
            ("exit_signal.exit_code", 2),
            ("exit_signal.signal", 4),
            ("stopped", 2),
        ],
    },
    TypeLayout {
        abi: "wasix",
        witx: "signal_disposition",
        size: 2,
        align: 1,
        fields: &[("sig", 0), ("disp", 1)],
    },
    TypeLayout {
        abi: "wasix",
        witx: "process_handles",
        size: 28,
        align: 4,
        fields: &[("pid", 0), ("stdin", 4), ("stdout", 12), ("stderr", 20)],
    },
    TypeLayout {
        abi: "wasix",
        witx: "stack_snapshot",
        size: 24,
        align: 8,
        fields: &[("user", 0), ("hash", 8)],
    },
    TypeLayout {
        abi: "wasix",
        witx: "proc_spawn_fd_op",
        size: 56,
        align: 8,
        fields: &[
            ("cmd", 0),
            ("fd", 4),
            ("src_fd", 8),
            ("path", 12),
            ("path_len", 16),
            ("dirflags", 20),
            ("oflags", 24),
            ("fs_rights_base", 32),
            ("fs_rights_inheriting", 40),
            ("fdflags", 48),
            ("fdflagsext", 50),
        ],
    },
    TypeLayout {
        abi: "wasix",
        witx: "epoll_event",
        size: 32,
        align: 8,
        fields: &[("events", 0), ("data", 8)],
    },
    layout!(
        "wasix",
        "reflection_result",
        ReflectionResult,
        [
            ("cacheable", cacheable),
            ("arguments", arguments),
            ("results", results)
        ]
    ),
    IOVEC[0],
    IOVEC[1],
    CIOVEC[0],
    CIOVEC[1],
    FDSTAT[0],
    FDSTAT[1],
    DIRENT[0],
    DIRENT[1],
    PRESTAT[0],
    PRESTAT[1],
    EVENT[0],
    EVENT[1],
    layout!(
        "preview1",
        "filestat",
        Filestat,
        [
            ("dev", dev),
            ("ino", ino),
            ("filetype", filetype),
            ("nlink", nlink),
            ("size", size),
            ("atim", atim),
            ("mtim", mtim),
            ("ctim", ctim)
        ]
    ),
    layout!(
        "preview0",
        "filestat",
        Filestat0,
        [
            ("dev", dev),
            ("ino", ino),
            ("filetype", filetype),
            ("nlink", nlink),
            ("size", size),
            ("atim", atim),
            ("mtim", mtim),
            ("ctim", ctim)
        ]
    ),
    layout!(
        "preview1",
        "subscription",
        Subscription,
        [
            ("userdata", userdata),
            ("u", tag),
            ("u.tag", tag),
            ("u.clock.id", clock_id_or_fd),
            ("u.clock.timeout", timeout),
            ("u.clock.precision", precision),
            ("u.clock.flags", flags),
            ("u.fd_read.file_descriptor", clock_id_or_fd)
        ]
    ),
    layout!(
        "preview0",
        "subscription",
        Subscription0,
        [
            ("userdata", userdata),
            ("u", tag),
            ("u.tag", tag),
            ("u.clock.identifier", identifier_or_fd),
            ("u.clock.id", clock_id),
            ("u.clock.timeout", timeout),
            ("u.clock.precision", precision),
            ("u.clock.flags", flags),
            ("u.fd_read.file_descriptor", identifier_or_fd)
        ]
    ),
];
