//! Streams over host file descriptors: the process's stdin/stdout/stderr, or any fd the
//! embedder hands over (e.g. a file given as `--stdin`). Writes go straight to the fd with
//! `writev` — no buffering, no executor hop, byte-exact.

use super::poll::Pollable;
use super::stream::{InputStream, OutputStream, StreamError};
use crate::core::ErrorCode;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A stream's fd: owned (closed on drop), or borrowed for the whole run (`'static`: the
/// type system, not a comment, keeps it from outliving its owner).
enum Fd {
    Borrowed(BorrowedFd<'static>),
    Owned(OwnedFd),
}
impl Fd {
    fn raw(&self) -> RawFd {
        match self {
            Fd::Borrowed(f) => f.as_raw_fd(),
            Fd::Owned(f) => f.as_raw_fd(),
        }
    }
}

/// One of the process's standard streams, open for the life of the process.
fn stdio(fd: RawFd) -> BorrowedFd<'static> {
    debug_assert!((0..=2).contains(&fd));
    // SAFETY: fds 0-2 belong to the process for its whole life and the host never closes
    // them (the standard library makes the same assumption for io::stdin and friends).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Readiness of a host fd. When not ready, one watcher thread waits in `poll(2)` and wakes
/// whoever asked; blocking reads and writes wait in [`wait_fd`](super::poll::wait_fd)
/// instead, where an interrupt reaches them.
///
/// Lock order: `waiters` is a leaf; the watcher wakes the wakers while holding it (waking
/// only unparks or schedules, never takes another core lock).
struct Watch {
    fd: RawFd,
    events: libc::c_short,
    waiters: Mutex<(Vec<Waker>, bool)>,
}

impl Watch {
    fn new(fd: RawFd, events: libc::c_short) -> Self {
        Watch {
            fd,
            events,
            waiters: Mutex::new((Vec::new(), false)),
        }
    }
    fn ready_now(&self) -> bool {
        poll_fd(self.fd, self.events, 0)
    }
    fn poll_ready(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.ready_now() {
            return Poll::Ready(());
        }
        let mut g = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        if !g.0.iter().any(|w| w.will_wake(cx.waker())) {
            g.0.push(cx.waker().clone());
        }
        if !g.1 {
            g.1 = true;
            let (fd, events) = (self.fd, self.events);
            let me = self.clone();
            let _ = std::thread::Builder::new()
                .name("wxc-fd-watch".into())
                .spawn(move || {
                    poll_fd(fd, events, -1);
                    let mut g = me.waiters.lock().unwrap_or_else(|p| p.into_inner());
                    g.1 = false;
                    for w in g.0.drain(..) {
                        w.wake();
                    }
                });
        }
        Poll::Pending
    }
}

/// How writes to a host fd avoid sleeping in the kernel, where no interrupt can reach them.
///
/// A pipe or socket (stdout into `| head`, a full pipe nobody reads) can block a write
/// forever. Its fd is usually blocking and shared with other processes, so we do not set
/// O_NONBLOCK on it (that would change it for them too); instead each write asks for a
/// nonblocking attempt itself (`pwritev2(RWF_NOWAIT)`, one syscall like `writev`), and only
/// a write that would block waits in `poll(2)` where an interrupt ends it
/// ([`wait_fd`](super::poll::wait_fd)). Files and terminals keep plain `writev`.
struct WriteMode {
    /// The fd is a pipe or socket and the kernel has not refused RWF_NOWAIT for it.
    nowait: AtomicBool,
}

impl WriteMode {
    fn for_fd(fd: RawFd) -> WriteMode {
        // SAFETY: fstat fills the zeroed stat for an fd we hold.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let kind = if unsafe { libc::fstat(fd, &mut st) } == 0 {
            st.st_mode & libc::S_IFMT
        } else {
            0
        };
        let may_block =
            cfg!(target_os = "linux") && (kind == libc::S_IFIFO || kind == libc::S_IFSOCK);
        WriteMode {
            nowait: AtomicBool::new(may_block),
        }
    }
}

/// One `writev` (nonblocking where `mode` allows), retried on EINTR; EAGAIN (a full pipe,
/// or an fd opened O_NONBLOCK) waits for room until the calling thread is interrupted.
fn writev_once(fd: RawFd, bufs: &[IoSlice<'_>], mode: &WriteMode) -> Result<usize, ErrorCode> {
    let cnt = bufs.len().min(1024) as libc::c_int;
    let iov = bufs.as_ptr() as *const libc::iovec;
    loop {
        let nowait = mode.nowait.load(Ordering::Relaxed);
        // SAFETY: IoSlice is ABI-compatible with iovec; buffers are valid for reads.
        let n = unsafe {
            if nowait {
                nowait_writev(fd, iov, cnt)
            } else {
                libc::writev(fd, iov, cnt)
            }
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let raw = std::io::Error::last_os_error().raw_os_error();
        if nowait && matches!(raw, Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL)) {
            // This kernel cannot do it for this fd: plain (blocking) writes from now on.
            mode.nowait.store(false, Ordering::Relaxed);
            continue;
        }
        match ErrorCode::last_os() {
            ErrorCode::Interrupted => continue,
            ErrorCode::WouldBlock => super::poll::wait_fd(fd, libc::POLLOUT)?,
            e => return Err(e),
        }
    }
}

/// `writev` that returns EAGAIN instead of sleeping, at the current file position.
///
/// # Safety
/// `iov` points to `cnt` valid iovecs.
#[cfg(target_os = "linux")]
unsafe fn nowait_writev(fd: RawFd, iov: *const libc::iovec, cnt: libc::c_int) -> isize {
    // SAFETY: per this function's contract; offset -1 means "the current position".
    unsafe { libc::pwritev2(fd, iov, cnt, -1, libc::RWF_NOWAIT) }
}

#[cfg(not(target_os = "linux"))]
unsafe fn nowait_writev(fd: RawFd, iov: *const libc::iovec, cnt: libc::c_int) -> isize {
    // Never chosen (`WriteMode` enables it on Linux only).
    unsafe { libc::writev(fd, iov, cnt) }
}

fn poll_fd(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return r > 0;
    }
}

fn is_tty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the fd.
    unsafe { libc::isatty(fd) == 1 }
}

/// Input from a host fd.
pub struct FdInput {
    fd: Fd,
    watch: Arc<Watch>,
}

impl FdInput {
    /// The process's standard input (fd 0), not closed on drop.
    pub fn stdin() -> Self {
        Self::borrowed(stdio(0))
    }
    /// A stream over an fd someone else owns for the rest of the program.
    pub fn borrowed(fd: BorrowedFd<'static>) -> Self {
        let raw = fd.as_raw_fd();
        FdInput {
            fd: Fd::Borrowed(fd),
            watch: Arc::new(Watch::new(raw, libc::POLLIN)),
        }
    }
    pub fn owned(fd: OwnedFd) -> Self {
        let raw = fd.as_raw_fd();
        FdInput {
            fd: Fd::Owned(fd),
            watch: Arc::new(Watch::new(raw, libc::POLLIN)),
        }
    }
}

fn read_raw(fd: RawFd, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, StreamError> {
    let cnt = bufs.len().min(1024) as libc::c_int;
    loop {
        // SAFETY: IoSliceMut is ABI-compatible with iovec; the buffers are valid for writes.
        let n = unsafe { libc::readv(fd, bufs.as_mut_ptr() as *const libc::iovec, cnt) };
        if n >= 0 {
            return if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
                Err(StreamError::Closed)
            } else {
                Ok(n as usize)
            };
        }
        match ErrorCode::last_os() {
            ErrorCode::Interrupted => continue,
            e => return Err(StreamError::LastOperationFailed(e)),
        }
    }
}

impl Pollable for FdInput {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.watch.poll_ready(cx)
    }
}

impl InputStream for FdInput {
    fn read(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() || !self.watch.ready_now() {
            return Ok(0);
        }
        read_raw(self.fd.raw(), &mut [IoSliceMut::new(buf)])
    }
    fn blocking_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, StreamError> {
        // Wait for readiness where an interrupt can end the wait, then read; a read(2) that
        // blocked could not be interrupted.
        if !self.watch.ready_now() {
            super::poll::wait_fd(self.fd.raw(), libc::POLLIN)?;
        }
        read_raw(self.fd.raw(), bufs)
    }
    fn nbytes(&self) -> Option<u64> {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int.
        let r = unsafe { libc::ioctl(self.fd.raw(), libc::FIONREAD, &mut n) };
        (r == 0).then_some(n.max(0) as u64)
    }
    fn is_terminal(&self) -> bool {
        is_tty(self.fd.raw())
    }
    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

/// Output to a host fd.
pub struct FdOutput {
    fd: Fd,
    watch: Arc<Watch>,
    mode: WriteMode,
}

impl FdOutput {
    pub fn stdout() -> Self {
        Self::borrowed(stdio(1))
    }
    pub fn stderr() -> Self {
        Self::borrowed(stdio(2))
    }
    /// A stream over an fd someone else owns for the rest of the program.
    pub fn borrowed(fd: BorrowedFd<'static>) -> Self {
        let raw = fd.as_raw_fd();
        FdOutput {
            fd: Fd::Borrowed(fd),
            watch: Arc::new(Watch::new(raw, libc::POLLOUT)),
            mode: WriteMode::for_fd(raw),
        }
    }
    pub fn owned(fd: OwnedFd) -> Self {
        let raw = fd.as_raw_fd();
        FdOutput {
            fd: Fd::Owned(fd),
            watch: Arc::new(Watch::new(raw, libc::POLLOUT)),
            mode: WriteMode::for_fd(raw),
        }
    }
}

impl Pollable for FdOutput {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.watch.poll_ready(cx)
    }
}

impl OutputStream for FdOutput {
    fn check_write(&self) -> Result<usize, StreamError> {
        Ok(if self.watch.ready_now() { 1 << 20 } else { 0 })
    }
    /// A pipe or socket takes what fits in one RWF_NOWAIT writev (the pipe's free space,
    /// not the 1 MiB `check_write` promises); other fds write as the default does.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, StreamError> {
        if !self.mode.nowait.load(Ordering::Relaxed) {
            return match self.check_write()? {
                0 => Ok(0),
                _ => self.blocking_write_vectored(bufs),
            };
        }
        let cnt = bufs.len().min(1024) as libc::c_int;
        loop {
            // SAFETY: IoSlice is ABI-compatible with iovec; buffers are valid for reads.
            let n =
                unsafe { nowait_writev(self.fd.raw(), bufs.as_ptr() as *const libc::iovec, cnt) };
            if n >= 0 {
                return Ok(n as usize);
            }
            return match ErrorCode::last_os() {
                ErrorCode::Interrupted => continue,
                ErrorCode::WouldBlock => Ok(0),
                ErrorCode::Pipe => Err(StreamError::Closed),
                e => Err(StreamError::LastOperationFailed(e)),
            };
        }
    }
    fn write(&self, bytes: &[u8]) -> Result<(), StreamError> {
        self.blocking_write_vectored(&[IoSlice::new(bytes)])
            .map(|_| ())
    }
    fn blocking_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, StreamError> {
        let fd = self.fd.raw();
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        // Common case: one writev moves everything.
        let first = match writev_once(fd, bufs, &self.mode) {
            Ok(n) => n,
            Err(ErrorCode::Pipe) => return Err(StreamError::Closed),
            Err(e) => return Err(StreamError::LastOperationFailed(e)),
        };
        if first >= total {
            return Ok(first);
        }
        // Partial write (pipes under pressure): continue over a private copy of the slices.
        let mut storage: Vec<IoSlice<'_>> = bufs.to_vec();
        let mut rest: &mut [IoSlice<'_>] = &mut storage;
        IoSlice::advance_slices(&mut rest, first);
        let mut done = first;
        // An interrupt or error now reports the bytes already written (POSIX).
        while done < total {
            match writev_once(fd, rest, &self.mode) {
                Ok(n) => {
                    done += n;
                    IoSlice::advance_slices(&mut rest, n);
                }
                Err(_) => break,
            }
        }
        Ok(done)
    }
    fn is_terminal(&self) -> bool {
        is_tty(self.fd.raw())
    }
    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, AsRawFd, FromRawFd};

    /// Borrowed streams need an fd that lives as long as the program (`'static`).
    #[test]
    fn borrowed_streams_over_a_static_pipe() {
        let mut fds = [0; 2];
        // SAFETY: pipe(2) fills two fds we then own.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both fds are fresh and ours.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let (r, w): (&'static OwnedFd, &'static OwnedFd) =
            (Box::leak(Box::new(r)), Box::leak(Box::new(w)));
        let out = FdOutput::borrowed(w.as_fd());
        let inp = FdInput::borrowed(r.as_fd());
        assert_eq!(out.blocking_write_vectored(&[IoSlice::new(b"ping")]), Ok(4));
        let mut buf = [0u8; 8];
        assert_eq!(inp.read(&mut buf), Ok(4));
        assert_eq!(&buf[..4], b"ping");
    }

    fn host_pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: pipe(2) fills two fds we then own.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both fds are fresh and ours.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    /// Runs `f` on its own thread and interrupts that thread a little later (wherever it
    /// is by then: the outcome must not depend on it); panics unless `f` has returned
    /// within ten seconds.
    fn interrupted_after<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        let (rtx, rrx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(crate::core::io::poll::current_interrupter())
                .unwrap();
            let r = f();
            let _ = rtx.send((r, crate::core::io::poll::take_interrupt()));
        });
        let who = rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        who.interrupt();
        let (r, taken) = rrx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the blocked call did not return after the interrupt");
        assert!(taken, "the interrupt flag stays up for the caller");
        r
    }

    /// Fills a host pipe through a nonblocking write end (the test's own, not the stream's
    /// fd mode); returns how many bytes it holds.
    fn fill(w: &OwnedFd) -> usize {
        let fd = w.as_raw_fd();
        // SAFETY: flag changes and writes on an fd the test owns, from a live buffer.
        unsafe {
            let fl = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
            let chunk = [7u8; 4096];
            let mut n = 0;
            loop {
                let k = libc::write(fd, chunk.as_ptr().cast(), chunk.len());
                if k <= 0 {
                    break;
                }
                n += k as usize;
            }
            libc::fcntl(fd, libc::F_SETFL, fl);
            n
        }
    }

    /// A blocking write into a full host pipe that nobody reads (a blocking fd, as stdout
    /// usually is) ends with `intr` when its thread is interrupted, nothing written.
    #[test]
    fn write_into_a_full_host_pipe_is_interruptible() {
        let (r, w) = host_pipe();
        let held = fill(&w);
        let out = FdOutput::owned(w);
        let got = interrupted_after(move || out.blocking_write_vectored(&[IoSlice::new(b"x")]));
        assert_eq!(
            got,
            Err(StreamError::LastOperationFailed(ErrorCode::Interrupted))
        );
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int.
        unsafe { libc::ioctl(r.as_raw_fd(), libc::FIONREAD, &mut n) };
        assert_eq!(n as usize, held);
    }

    /// With room for one page, a blocking write of two pages writes one, then waits; the
    /// interrupt makes it report that page (4096), not `intr`.
    #[test]
    fn interrupted_host_pipe_write_reports_the_part_written() {
        let (r, w) = host_pipe();
        fill(&w);
        let mut page = [0u8; 4096];
        // SAFETY: reads one page of the full pipe into a live buffer.
        let k = unsafe { libc::read(r.as_raw_fd(), page.as_mut_ptr().cast(), page.len()) };
        assert_eq!(k, 4096);
        let out = FdOutput::owned(w);
        let got = interrupted_after(move || {
            let two = [1u8; 8192];
            out.blocking_write_vectored(&[IoSlice::new(&two)])
        });
        assert_eq!(got, Ok(4096));
    }

    /// A blocking read of an empty host pipe ends with `intr` when its thread is interrupted.
    #[test]
    fn read_of_an_empty_host_pipe_is_interruptible() {
        let (r, w) = host_pipe();
        let inp = FdInput::owned(r);
        let got = interrupted_after(move || {
            let mut buf = [0u8; 8];
            inp.blocking_read_vectored(&mut [IoSliceMut::new(&mut buf)])
        });
        assert_eq!(
            got,
            Err(StreamError::LastOperationFailed(ErrorCode::Interrupted))
        );
        drop(w);
    }
}
