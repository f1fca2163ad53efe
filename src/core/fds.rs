//! The fd table: numbered descriptors over core resources, with the witx rights and flags
//! (the one table every front end's handles point into).
//! Kinds WASIX adds (sockets, pipes, event fds, epoll) become further `FdKind` variants;
//! every operation matches on the kind, so an unsupported combination is one `_ =>` arm.

use crate::core::error::ErrorCode;
use crate::core::fs::{Dir, DirEntry, File};
use crate::core::io::event::EventCounter;
use crate::core::io::poll::Pollable;
use crate::core::io::{InputStream, OutputStream};
use crate::core::sockets::socket::OwnedReadiness;
use crate::core::sockets::Socket;
use crate::core::table::Table;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    pub const ALL: u64 = (1 << 30) - 1;

    /// Rights that make sense on a regular file.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// Rights that make sense on a directory.
    pub const DIR: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// Rights of a stream (stdio, pipes).
    pub const STREAM: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// Rights of a socket.
    pub const SOCKET: u64 = STREAM | SOCK_SHUTDOWN | SOCK_ACCEPT;
    /// Rights that need the file opened for writing (fdatasync works on read-only fds,
    /// so FD_DATASYNC alone does not ask for write access).
    pub const WRITE_ACCESS: u64 = FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
    pub const READ_ACCESS: u64 = FD_READ | FD_READDIR;
}

pub enum FdKind {
    File(Arc<File>),
    Dir(Arc<Dir>),
    /// A readable stream (stdin, a pipe's read end).
    Input(Arc<dyn InputStream>),
    /// A writable stream (stdout, stderr, a pipe's write end).
    Output(Arc<dyn OutputStream>),
    /// A TCP or UDP socket.
    Socket(Arc<Socket>),
    /// Both directions of an in-memory stream (one end of `sock_pair`).
    /// The flag tells a `sock_pair` end (a socket) from a pipe end.
    Duplex(Arc<dyn InputStream>, Arc<dyn OutputStream>, bool),
    /// An event counter (`fd_event`).
    Event(Arc<EventCounter>),
    /// An epoll instance.
    Epoll(Arc<crate::core::epoll::Epoll>),
}

/// Two connected in-memory duplex ends (WASIX pipes are bidirectional; `sock_pair`).
pub fn duplex_pair(socket: bool) -> (FdKind, FdKind) {
    use crate::core::io::pipe::pipe;
    /// Bytes a direction holds before writers wait (Linux's default pipe size).
    const CAPACITY: usize = 64 * 1024;
    let (w1, r1) = pipe(CAPACITY);
    let (w2, r2) = pipe(CAPACITY);
    (
        FdKind::Duplex(Arc::new(r1), Arc::new(w2), socket),
        FdKind::Duplex(Arc::new(r2), Arc::new(w1), socket),
    )
}

/// What an fd's readiness in one direction waits on (poll_oneoff and epoll_wait).
pub enum Readiness {
    Always,
    Never,
    Input(Arc<dyn InputStream>),
    Output(Arc<dyn OutputStream>),
    Socket(OwnedReadiness),
    Event(Arc<EventCounter>),
}

impl Pollable for Readiness {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            Readiness::Always => Poll::Ready(()),
            Readiness::Never => Poll::Pending,
            Readiness::Input(s) => s.poll_ready(cx),
            Readiness::Output(s) => s.poll_ready(cx),
            Readiness::Socket(r) => r.poll_ready(cx),
            Readiness::Event(e) => e.poll_ready(cx),
        }
    }
}

impl FdKind {
    /// Readiness to read (`write == false`) or to write. Files and directories are always
    /// ready (POSIX); a direction a stream does not have never becomes ready.
    pub fn readiness(&self, write: bool) -> Readiness {
        match (self, write) {
            (FdKind::File(_) | FdKind::Dir(_), _) => Readiness::Always,
            (FdKind::Input(s) | FdKind::Duplex(s, _, _), false) => Readiness::Input(s.clone()),
            (FdKind::Output(s) | FdKind::Duplex(_, s, _), true) => Readiness::Output(s.clone()),
            (FdKind::Input(_), true) | (FdKind::Output(_), false) => Readiness::Never,
            (FdKind::Socket(s), w) => Readiness::Socket(OwnedReadiness {
                sock: s.clone(),
                write: w,
            }),
            (FdKind::Event(e), false) => Readiness::Event(e.clone()),
            (FdKind::Event(_), true) => Readiness::Always,
            (FdKind::Epoll(_), _) => Readiness::Never,
        }
    }
}

/// Where an `fd_readdir` listing stands between calls: the listing taken when cookie 0 was
/// asked for, reused for every later cookie, so a whole directory is read in O(n).
pub struct DirCursor {
    pub entries: Vec<DirEntry>,
}

pub struct FdEntry {
    pub kind: FdKind,
    pub rights_base: AtomicU64,
    pub rights_inheriting: AtomicU64,
    /// witx fdflags kept by the front end (nonblock for streams).
    pub fdflags: AtomicU64,
    /// WASIX fdflagsext (cloexec).
    pub fdflags_ext: AtomicU64,
    /// Guest path when this fd is a preopen (fd_prestat_*).
    pub preopen: Option<String>,
    pub dir_cursor: Mutex<Option<DirCursor>>,
}

impl FdEntry {
    pub fn new(kind: FdKind, base: u64, inheriting: u64) -> FdEntry {
        FdEntry {
            kind,
            rights_base: AtomicU64::new(base),
            rights_inheriting: AtomicU64::new(inheriting),
            fdflags: AtomicU64::new(0),
            fdflags_ext: AtomicU64::new(0),
            preopen: None,
            dir_cursor: Mutex::new(None),
        }
    }

    pub fn dir(dir: Dir, preopen: Option<String>) -> FdEntry {
        let mut e = FdEntry::new(FdKind::Dir(Arc::new(dir)), rights::DIR, rights::ALL);
        e.preopen = preopen;
        e
    }

    #[inline]
    pub fn base(&self) -> u64 {
        self.rights_base.load(Ordering::Relaxed)
    }

    /// The witx `nonblock` fd flag.
    #[inline]
    pub fn nonblocking(&self) -> bool {
        self.fdflags.load(Ordering::Relaxed) & 4 != 0
    }

    #[inline]
    pub fn need(&self, r: u64) -> Result<(), ErrorCode> {
        if self.base() & r == r {
            Ok(())
        } else {
            Err(ErrorCode::NotCapable)
        }
    }

    /// A second entry sharing this one's object (fd_dup): rights and flags copied, the
    /// readdir cursor not shared.
    pub fn duplicate(&self) -> FdEntry {
        let kind = match &self.kind {
            FdKind::File(f) => FdKind::File(f.clone()),
            FdKind::Dir(d) => FdKind::Dir(d.clone()),
            FdKind::Input(s) => FdKind::Input(s.clone()),
            FdKind::Output(s) => FdKind::Output(s.clone()),
            FdKind::Socket(s) => FdKind::Socket(s.clone()),
            FdKind::Duplex(i, o, k) => FdKind::Duplex(i.clone(), o.clone(), *k),
            FdKind::Event(e) => FdKind::Event(e.clone()),
            FdKind::Epoll(e) => FdKind::Epoll(e.clone()),
        };
        let e = FdEntry::new(
            kind,
            self.base(),
            self.rights_inheriting.load(Ordering::Relaxed),
        );
        e.fdflags
            .store(self.fdflags.load(Ordering::Relaxed), Ordering::Relaxed);
        FdEntry {
            preopen: self.preopen.clone(),
            ..e
        }
    }

    /// The entry a forked or spawned child gets for this one: a duplicate that also keeps
    /// the descriptor's cloexec flag (which `duplicate`, for `fd_dup`, clears).
    pub fn fork_copy(&self) -> FdEntry {
        let e = self.duplicate();
        e.fdflags_ext
            .store(self.fdflags_ext.load(Ordering::Relaxed), Ordering::Relaxed);
        e
    }

    pub fn as_socket(&self) -> Result<&Arc<Socket>, ErrorCode> {
        match &self.kind {
            FdKind::Socket(s) => Ok(s),
            _ => Err(ErrorCode::NotSocket),
        }
    }

    pub fn as_dir(&self) -> Result<&Arc<Dir>, ErrorCode> {
        match &self.kind {
            FdKind::Dir(d) => Ok(d),
            _ => Err(ErrorCode::NotDirectory),
        }
    }
}

pub type FdTable = Table<FdEntry>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::io::event::EventCounter;

    /// The fd table under 8 threads × 100k random opens, closes, dups (`F_DUPFD`), dup2s
    /// (`insert_at`), renumbers and fdstat reads on real entries: afterwards every entry
    /// is accounted for — each holds one reference to one shared object, so that object's
    /// reference count is exactly the table's length plus ours (none lost, none doubled).
    #[test]
    fn fd_operations_from_eight_threads_lose_no_entry() {
        let obj = Arc::new(EventCounter::new(0, false));
        let t: Arc<FdTable> = Arc::new(FdTable::with_capacity(1 << 12));
        let threads: Vec<_> = (0..8u64)
            .map(|k| {
                let (t, obj) = (t.clone(), obj.clone());
                std::thread::spawn(move || {
                    let mut x = 0x2545_F491_4F6C_DD1Du64 ^ (k + 1);
                    let mut rnd = move || {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x
                    };
                    let entry =
                        || Arc::new(FdEntry::new(FdKind::Event(obj.clone()), rights::STREAM, 0));
                    let mut stats = 0u64;
                    for _ in 0..100_000 {
                        let r = rnd();
                        let (fd, to) = ((r >> 8) as u32 % 64, (r >> 20) as u32 % 64);
                        match r % 6 {
                            0 => drop(t.insert(entry())),
                            1 => drop(t.remove(fd)),
                            2 => {
                                if let Ok(e) = t.get(fd) {
                                    let _ = t.insert_from(to, Arc::new(e.duplicate()));
                                }
                            }
                            3 => {
                                if let Ok(e) = t.get(fd) {
                                    let _ = t.insert_at(to, Arc::new(e.duplicate()));
                                }
                            }
                            4 => drop(t.renumber(fd, to)),
                            _ => {
                                if let Ok(b) = t.with(fd, |e| e.base() | e.nonblocking() as u64) {
                                    stats += b & 1;
                                }
                            }
                        }
                    }
                    stats
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        t.audit().unwrap();
        let n = t.entries().len();
        assert_eq!(t.len(), n);
        assert_eq!(Arc::strong_count(&obj), n + 1);
        for (i, _) in t.entries() {
            t.remove(i).unwrap();
        }
        assert_eq!(Arc::strong_count(&obj), 1);
    }
}
