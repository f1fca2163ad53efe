//! An event counter (Linux eventfd; WASIX `fd_event`): writes add, a read takes the whole
//! count (or 1 in semaphore mode) and waits while it is zero.

use super::poll::Pollable;
use crate::core::ErrorCode;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

pub struct EventCounter {
    /// (count, waiting readers). A leaf lock; wakers are woken under it (that only unparks
    /// or schedules) and no one waits holding it.
    state: Mutex<(u64, Vec<Waker>)>,
    semaphore: bool,
}

impl EventCounter {
    pub fn new(initial: u64, semaphore: bool) -> EventCounter {
        EventCounter {
            state: Mutex::new((initial, Vec::new())),
            semaphore,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<Waker>)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Non-blocking read: `WouldBlock` while the count is zero.
    pub fn try_read(&self) -> Result<u64, ErrorCode> {
        let mut g = self.lock();
        if g.0 == 0 {
            return Err(ErrorCode::WouldBlock);
        }
        let v = if self.semaphore { 1 } else { g.0 };
        g.0 -= v;
        Ok(v)
    }

    pub fn read(&self, nonblocking: bool) -> Result<u64, ErrorCode> {
        loop {
            match self.try_read() {
                Err(ErrorCode::WouldBlock) if !nonblocking => super::poll::block(self)?,
                r => return r,
            }
        }
    }

    /// Adds `v`; the count saturates below u64::MAX as eventfd's does (`overflow` past it).
    pub fn write(&self, v: u64) -> Result<(), ErrorCode> {
        if v == u64::MAX {
            return Err(ErrorCode::Invalid);
        }
        let mut g = self.lock();
        g.0 =
            g.0.checked_add(v)
                .filter(|n| *n < u64::MAX)
                .ok_or(ErrorCode::WouldBlock)?;
        for w in g.1.drain(..) {
            w.wake();
        }
        Ok(())
    }

    pub fn count(&self) -> u64 {
        self.lock().0
    }
}

impl Pollable for EventCounter {
    /// Readable while the count is non-zero.
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut g = self.lock();
        if g.0 > 0 {
            return Poll::Ready(());
        }
        if !g.1.iter().any(|w| w.will_wake(cx.waker())) {
            g.1.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn counts_and_wakes() {
        let e = Arc::new(EventCounter::new(2, true));
        assert_eq!(e.read(true).unwrap(), 1);
        assert_eq!(e.read(true).unwrap(), 1);
        assert_eq!(e.read(true).unwrap_err(), ErrorCode::WouldBlock);
        let e2 = e.clone();
        let t = std::thread::spawn(move || e2.read(false).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(20));
        e.write(5).unwrap();
        assert_eq!(t.join().unwrap(), 1);
        assert_eq!(e.count(), 4);
    }
}
