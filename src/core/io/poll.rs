//! Pollables and `poll` over many of them.
//!
//! A pollable answers "ready now?" through `poll_ready` with a standard `Waker`, so anything
//! async (virtual-net sockets, pipes, host fds watched by a thread) can plug in. Timers only
//! report a deadline: `poll` sleeps until the earliest one instead of needing a timer thread,
//! and a zero-timeout poll never leaves the calling thread.

use crate::core::ErrorCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::thread::Thread;
use std::time::Instant;

pub trait Pollable: Send + Sync {
    /// Ready now? When not, `cx`'s waker must be woken once readiness may have changed.
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()>;
    /// For timers: the instant at which this becomes ready.
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

/// A pollable that is ready at (or after) an instant on the monotonic clock.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Instant);

impl Pollable for Deadline {
    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
    fn deadline(&self) -> Option<Instant> {
        Some(self.0)
    }
}

/// Always ready (regular files, sinks).
pub struct Ready;
impl Pollable for Ready {
    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
    /// Raised by an [`Interrupter`]: blocking waits on this thread return early.
    interrupted: AtomicBool,
    /// Made by the thread's first wait in `poll(2)` ([`wait_fd`]): an interrupt also makes
    /// it readable, since unparking cannot wake a thread blocked in a syscall.
    wake_fd: std::sync::OnceLock<Option<std::os::fd::OwnedFd>>,
}

impl ThreadWaker {
    fn signal(&self) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Interrupts the blocking waits of one thread (the thread that called
/// [`current_interrupter`]): its flag goes up and a parked poll wakes. The flag stays up
/// until that thread takes it ([`take_interrupt`]), so an interrupt that lands between two
/// waits still ends the next one.
#[derive(Clone)]
pub struct Interrupter(Arc<ThreadWaker>);

impl Interrupter {
    pub fn interrupt(&self) {
        self.0.interrupted.store(true, Ordering::SeqCst);
        self.0.signal();
        // Pairs with the fence in `wait_fd`: either that thread sees the flag, or we see
        // its wake fd and poke it.
        std::sync::atomic::fence(Ordering::SeqCst);
        if let Some(Some(fd)) = self.0.wake_fd.get() {
            poke(fd);
        }
    }
    /// Lowers the flag (a thread starting afresh on a reused OS thread).
    pub fn clear(&self) {
        self.0.interrupted.store(false, Ordering::SeqCst);
    }
}

/// The calling thread's interrupter.
pub fn current_interrupter() -> Interrupter {
    WAKER.with(|(tw, _)| Interrupter(tw.clone()))
}

/// Whether the calling thread has been interrupted (the flag stays up).
pub fn interrupt_pending() -> bool {
    WAKER.with(|(tw, _)| tw.interrupted.load(Ordering::SeqCst))
}

/// Takes the calling thread's interrupt flag: true if it was up.
pub fn take_interrupt() -> bool {
    // Every blocking import ends here: a load (no locked instruction) when the flag is
    // down. A flag raised just after the load stays up for the next wait, as it would
    // after a swap.
    WAKER.with(|(tw, _)| {
        tw.interrupted.load(Ordering::SeqCst) && tw.interrupted.swap(false, Ordering::SeqCst)
    })
}

// A hand-made waker with one `static` vtable: every clone then has the same vtable
// address, so `will_wake` recognises it wherever it is compared (std's `Waker::from(Arc)`
// may give the original and its clones different vtable copies across codegen units, and
// then every source that dedupes by `will_wake` keeps one clone per wait).
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_tw, wake_tw, wake_by_ref_tw, drop_tw);

unsafe fn clone_tw(p: *const ()) -> RawWaker {
    // SAFETY: `p` came from `Arc::into_raw` of a ThreadWaker still alive (we hold a count).
    unsafe { Arc::increment_strong_count(p as *const ThreadWaker) };
    RawWaker::new(p, &VTABLE)
}
unsafe fn wake_tw(p: *const ()) {
    // SAFETY: consumes the count this waker held.
    let a = unsafe { Arc::from_raw(p as *const ThreadWaker) };
    a.signal();
}
unsafe fn wake_by_ref_tw(p: *const ()) {
    // SAFETY: the waker holds a count, so the ThreadWaker is alive.
    unsafe { &*(p as *const ThreadWaker) }.signal();
}
unsafe fn drop_tw(p: *const ()) {
    // SAFETY: releases the count this waker held.
    drop(unsafe { Arc::from_raw(p as *const ThreadWaker) });
}

fn thread_waker(tw: &Arc<ThreadWaker>) -> Waker {
    let p = Arc::into_raw(tw.clone()) as *const ();
    // SAFETY: the vtable's functions follow the RawWaker contract for this pointer.
    unsafe { Waker::from_raw(RawWaker::new(p, &VTABLE)) }
}

thread_local! {
    /// One waker per thread, reused by every blocking wait: pollables keep the wakers they
    /// were given until they fire, and they dedupe by `will_wake`, so a fresh waker per
    /// wait would pile up in every source that never fires (a leak that grows per poll).
    static WAKER: (Arc<ThreadWaker>, Waker) = {
        let tw = Arc::new(ThreadWaker {
            thread: std::thread::current(),
            woken: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
            wake_fd: std::sync::OnceLock::new(),
        });
        let w = thread_waker(&tw);
        (tw, w)
    };
}

/// Indices of ready pollables; up to 8 without a heap allocation.
pub type ReadyList = smallvec::SmallVec<[u32; 8]>;

/// Blocks until at least one pollable is ready; returns the indices of all ready ones, in
/// order. An empty list returns an empty result at once, and so does an interrupted wait
/// ([`interrupt_pending`] tells which).
pub fn poll(list: &[&dyn Pollable]) -> ReadyList {
    let mut ready = ReadyList::new();
    poll_into(list, &mut ready);
    ready
}

/// Runs `f` with a context carrying this thread's waker. Used for every readiness check,
/// the zero-timeout ones included: sources keep the waker they are given, and a no-op
/// waker is no better there (a clone of it may not be recognised by `will_wake` either,
/// so it piles up just the same), while this one is a single deduplicated entry.
pub fn with_thread_context<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
    WAKER.with(|(_, waker)| f(&mut Context::from_waker(waker)))
}

/// Fills `ready` with what is ready now, without waiting.
pub fn ready_now(list: &[&dyn Pollable], ready: &mut ReadyList) {
    ready.clear();
    with_thread_context(|cx| scan(list, cx, ready));
}

/// Like [`poll`], filling the caller's list. No allocation when something is ready at
/// once, nor (for up to 8 ready items) when waiting.
pub fn poll_into(list: &[&dyn Pollable], ready: &mut ReadyList) {
    ready.clear();
    if list.is_empty() {
        return;
    }
    let deadline = list.iter().filter_map(|p| p.deadline()).min();
    WAKER.with(|(tw, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            tw.woken.store(false, Ordering::Release);
            scan(list, &mut cx, ready);
            if !ready.is_empty() || tw.interrupted.load(Ordering::SeqCst) {
                return;
            }
            // Sleep until woken or until the earliest deadline; spurious unparks just
            // rescan.
            if !tw.woken.load(Ordering::Acquire) {
                match deadline {
                    Some(d) => {
                        let now = Instant::now();
                        if d > now {
                            std::thread::park_timeout(d - now);
                        }
                    }
                    None => std::thread::park(),
                }
            }
        }
    })
}

fn scan(list: &[&dyn Pollable], cx: &mut Context<'_>, ready: &mut ReadyList) {
    for (i, p) in list.iter().enumerate() {
        if p.poll_ready(cx).is_ready() {
            ready.push(i as u32);
        }
    }
}

/// Runs a future to completion on the calling thread (parks between wake-ups). Futures from
/// in-memory backends complete on the first poll, so this costs no thread hop.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        return v;
    }
    WAKER.with(|(tw, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            tw.woken.store(false, Ordering::Release);
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            if !tw.woken.load(Ordering::Acquire) {
                std::thread::park();
            }
        }
    })
}

/// Like [`block_on`], but gives up (dropping the future) when the calling thread is
/// interrupted first.
pub fn block_on_interruptible<F: std::future::Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    WAKER.with(|(tw, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            tw.woken.store(false, Ordering::Release);
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return Some(v);
            }
            if tw.interrupted.load(Ordering::SeqCst) {
                return None;
            }
            if !tw.woken.load(Ordering::Acquire) {
                std::thread::park();
            }
        }
    })
}

/// Waits in `poll(2)` until host fd `fd` reports one of `events` (or an error or hang-up),
/// or the calling thread is interrupted (`Interrupted`; the flag stays up).
///
/// A thread in a syscall cannot be unparked, so the interrupt also pokes a per-thread
/// eventfd that this wait polls beside `fd` (made on the thread's first such wait and kept
/// for its life: one fd per thread that ever waits on a host fd, no fd per wait). Where no
/// eventfd can be made, the wait polls in 100 ms slices and looks at the flag in between.
pub fn wait_fd(fd: std::os::fd::RawFd, events: libc::c_short) -> Result<(), ErrorCode> {
    use std::os::fd::AsRawFd;
    WAKER.with(|(tw, _)| {
        let wake = tw
            .wake_fd
            .get_or_init(make_wake_fd)
            .as_ref()
            .map(|f| f.as_raw_fd());
        // Pairs with the fence in `Interrupter::interrupt` (see there).
        std::sync::atomic::fence(Ordering::SeqCst);
        loop {
            if tw.interrupted.load(Ordering::SeqCst) {
                return Err(ErrorCode::Interrupted);
            }
            let mut p = [
                libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                },
                libc::pollfd {
                    fd: wake.unwrap_or(-1),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let timeout = if wake.is_some() { -1 } else { 100 };
            // SAFETY: two valid pollfds (a negative fd is ignored by poll).
            let r = unsafe { libc::poll(p.as_mut_ptr(), 2, timeout) };
            if r < 0 {
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => continue,
                    _ => return Err(ErrorCode::last_os()),
                }
            }
            if p[1].revents != 0 {
                if let Some(w) = wake {
                    drain(w);
                }
            }
            if p[0].revents != 0 {
                return Ok(());
            }
        }
    })
}

#[cfg(target_os = "linux")]
fn make_wake_fd() -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: eventfd returns a fresh fd we then own (or -1).
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    // SAFETY: `fd` is a new, open fd nobody else owns.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

#[cfg(not(target_os = "linux"))]
fn make_wake_fd() -> Option<std::os::fd::OwnedFd> {
    None
}

fn poke(fd: &std::os::fd::OwnedFd) {
    use std::os::fd::AsRawFd;
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64 to an eventfd we own; a full counter (EAGAIN)
    // still leaves it readable, which is all the waiter needs.
    unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
}

fn drain(fd: std::os::fd::RawFd) {
    let mut v: u64 = 0;
    // SAFETY: reads at most 8 bytes into a live u64; the eventfd is nonblocking.
    unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) };
}

/// Waits for one pollable (the 0.2 `pollable.block`); `Interrupted` if the thread is
/// interrupted first.
pub fn block(p: &dyn Pollable) -> Result<(), ErrorCode> {
    if poll(&[p]).is_empty() {
        return Err(ErrorCode::Interrupted);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_deadline_wins() {
        let now = Instant::now();
        let a = Deadline(now + Duration::from_millis(40));
        let b = Deadline(now + Duration::from_millis(5));
        let r = poll(&[&a, &b]);
        assert_eq!(r.as_slice(), [1]);
        assert!(Instant::now() >= b.0);
    }

    #[test]
    fn ready_items_reported_together() {
        let past = Deadline(Instant::now());
        assert_eq!(poll(&[&Ready, &past]).as_slice(), [0, 1]);
        assert!(poll(&[]).is_empty());
    }

    /// A source that is pending once (waking the waiter at once), then ready, and keeps
    /// every distinct waker it is given (deduped by `will_wake`, as pipes and sockets do).
    struct Flaky {
        polls: std::sync::atomic::AtomicU32,
        wakers: std::sync::Mutex<Vec<Waker>>,
    }
    impl Pollable for Flaky {
        fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
            let n = self.polls.fetch_add(1, Ordering::SeqCst);
            if n % 2 == 1 {
                return Poll::Ready(());
            }
            let mut w = self.wakers.lock().unwrap();
            if !w.iter().any(|x| x.will_wake(cx.waker())) {
                w.push(cx.waker().clone());
            }
            // Readiness changes at once: wake the waiter, which then polls again.
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Never ready; keeps every distinct waker it is given.
    struct Never(std::sync::Mutex<Vec<Waker>>);
    impl Pollable for Never {
        fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
            let mut w = self.0.lock().unwrap();
            if !w.iter().any(|x| x.will_wake(cx.waker())) {
                w.push(cx.waker().clone());
            }
            Poll::Pending
        }
    }

    /// An interrupt raised before a poll (between the start of an import and its wait)
    /// ends the poll at once with nothing ready; the flag stays up for the caller.
    #[test]
    fn poll_after_an_interrupt_returns_at_once() {
        let never = Never(Default::default());
        current_interrupter().interrupt();
        assert!(poll(&[&never]).is_empty());
        assert!(take_interrupt());
        assert!(!take_interrupt());
    }

    /// `wait_fd` on a host pipe that never becomes readable ends with `Interrupted`,
    /// whether the interrupt comes before the wait or during it.
    #[test]
    fn wait_fd_ends_on_interrupt() {
        let mut fds = [0; 2];
        // SAFETY: pipe(2) fills two fds that this test closes at the end.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let rd = fds[0];
        let (tx, rx) = std::sync::mpsc::channel();
        let (rtx, rrx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(current_interrupter()).unwrap();
            let during = wait_fd(rd, libc::POLLIN);
            take_interrupt();
            current_interrupter().interrupt();
            let before = wait_fd(rd, libc::POLLIN);
            take_interrupt();
            let _ = rtx.send((during, before));
        });
        let who = rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        who.interrupt();
        let got = rrx
            .recv_timeout(Duration::from_secs(10))
            .expect("wait_fd did not return");
        let intr = Err(ErrorCode::Interrupted);
        assert_eq!(got, (intr, intr));
        // SAFETY: closes the two fds made above, used by no one now.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }

    /// A million blocking polls leave one waker behind, not a million.
    #[test]
    fn one_waker_per_thread_however_often_it_waits() {
        let never = Never(Default::default());
        let flaky = Flaky {
            polls: 0.into(),
            wakers: Default::default(),
        };
        for _ in 0..1_000_000 {
            // The first scan finds nothing and `flaky` wakes us; the second finds it ready.
            let r = poll(&[&never, &flaky]);
            assert_eq!(r.as_slice(), [1]);
        }
        assert_eq!(never.0.lock().unwrap().len(), 1);
    }
}
