//! Pollables and `poll` over many of them.
//!
//! A pollable answers "ready now?" through `poll_ready` with a standard `Waker`, so anything
//! async (virtual-net sockets, pipes, host fds watched by a thread) can plug in. Timers only
//! report a deadline: `poll` sleeps until the earliest one instead of needing a timer thread,
//! and a zero-timeout poll never leaves the calling thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
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
}
impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Blocks until at least one pollable is ready; returns the indices of all ready ones, in
/// order. An empty list returns an empty result at once.
pub fn poll(list: &[&dyn Pollable]) -> Vec<u32> {
    let mut ready = Vec::new();
    poll_into(list, &mut ready);
    ready
}

/// Like [`poll`], reusing the caller's buffer.
pub fn poll_into(list: &[&dyn Pollable], ready: &mut Vec<u32>) {
    ready.clear();
    if list.is_empty() {
        return;
    }
    // Fast path: everything checked once without any waker machinery.
    let mut cx = Context::from_waker(Waker::noop());
    scan(list, &mut cx, ready);
    if !ready.is_empty() {
        return;
    }
    let tw = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(tw.clone());
    let mut cx = Context::from_waker(&waker);
    let deadline = list.iter().filter_map(|p| p.deadline()).min();
    loop {
        tw.woken.store(false, Ordering::Release);
        scan(list, &mut cx, ready);
        if !ready.is_empty() {
            return;
        }
        // Sleep until woken or until the earliest deadline; spurious unparks just rescan.
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
}

fn scan(list: &[&dyn Pollable], cx: &mut Context<'_>, ready: &mut Vec<u32>) {
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
    let tw = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(tw.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        tw.woken.store(false, Ordering::Release);
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        if !tw.woken.load(Ordering::Acquire) {
            std::thread::park();
        }
    }
}

/// Waits for one pollable (the 0.2 `pollable.block`).
pub fn block(p: &dyn Pollable) {
    poll(&[p]);
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
        assert_eq!(r, vec![1]);
        assert!(Instant::now() >= b.0);
    }

    #[test]
    fn ready_items_reported_together() {
        let past = Deadline(Instant::now());
        assert_eq!(poll(&[&Ready, &past]), vec![0, 1]);
        assert!(poll(&[]).is_empty());
    }
}
