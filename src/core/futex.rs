//! Futexes: wait on an address until woken, with a timeout. Keys are guest addresses, but
//! the core only sees numbers and a closure that reads the current value, so it stays
//! independent of guest memory.
//!
//! The value check and the enqueue happen under the table lock, and a waker takes that same
//! lock, so a wake that follows a store to the futex word can never be lost. Interrupts
//! follow the same rule: the waiter looks at its thread's interrupt flag (and whether the
//! table is closed) under the table lock, and an interrupter raises the flag before it
//! takes that lock to end the waits, so an interrupt that lands between the start of an
//! import and its sleep is never lost either. Waiting itself happens on the waiter's own
//! condition variable with the table lock released.
//!
//! Lock order: `queues`, then one waiter's `state` (a waker finishes waiters only after
//! releasing `queues`; a waiter never takes `queues` while holding its `state`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Why a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The word did not hold the expected value: nothing was waited for.
    Mismatch,
    /// A `wake` chose this waiter.
    Woken,
    TimedOut,
    /// [`Futexes::interrupt_all`] or [`Futexes::close`] (a signal or process exit) ended
    /// the wait, or the calling thread's interrupt flag was already up.
    Interrupted,
}

#[derive(Default)]
struct Waiter {
    /// 0 waiting, 1 woken, 2 interrupted.
    state: Mutex<u8>,
    cv: Condvar,
}

impl Waiter {
    fn finish(&self, how: u8) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *s != 0 {
            return false;
        }
        *s = how;
        self.cv.notify_one();
        true
    }
}

/// Every futex of one process (threads share it).
#[derive(Default)]
pub struct Futexes {
    /// Leaf lock apart from the waiters' `state` taken after it (see the module docs).
    queues: Mutex<HashMap<u64, Vec<Arc<Waiter>>>>,
    /// Set once the process ends: no wait sleeps any more. Read under `queues`.
    closed: AtomicBool,
}

impl Futexes {
    /// Waits on `key` while `current()` equals `expected`, at most `timeout` (`None`: until
    /// woken or interrupted). A zero timeout only checks the value. A calling thread whose
    /// interrupt flag is up ([`interrupt_pending`]), or a closed table, does not sleep:
    /// `Interrupted` at once (the flag stays up for the caller to take).
    ///
    /// [`interrupt_pending`]: crate::core::io::poll::interrupt_pending
    pub fn wait<E>(
        &self,
        key: u64,
        expected: u32,
        current: impl FnOnce() -> Result<u32, E>,
        timeout: Option<Duration>,
    ) -> Result<WaitOutcome, E> {
        let me = {
            let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            if current()? != expected {
                return Ok(WaitOutcome::Mismatch);
            }
            if timeout == Some(Duration::ZERO) {
                return Ok(WaitOutcome::TimedOut);
            }
            // Under the lock an interrupter must take to end waits: either it raised the flag
            // (or closed the table) before we look here, or it finds us queued below.
            if self.closed.load(Ordering::SeqCst) || crate::core::io::poll::interrupt_pending() {
                return Ok(WaitOutcome::Interrupted);
            }
            // Only a real wait allocates its waiter.
            let me = Arc::new(Waiter::default());
            q.entry(key).or_default().push(me.clone());
            me
        };
        // Deadlines past what Instant can represent mean "forever".
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut s = me.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match *s {
                1 => return Ok(WaitOutcome::Woken),
                2 => return Ok(WaitOutcome::Interrupted),
                _ => {}
            }
            match deadline {
                None => s = me.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break;
                    }
                    s = me
                        .cv
                        .wait_timeout(s, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        drop(s);
        // Timed out: leave the queue, unless a waker picked us in the meantime.
        self.remove(key, &me);
        let s = me.state.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match *s {
            1 => WaitOutcome::Woken,
            2 => WaitOutcome::Interrupted,
            _ => WaitOutcome::TimedOut,
        })
    }

    fn remove(&self, key: u64, me: &Arc<Waiter>) {
        let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = q.get_mut(&key) {
            v.retain(|w| !Arc::ptr_eq(w, me));
            if v.is_empty() {
                q.remove(&key);
            }
        }
    }

    /// Wakes up to `n` waiters on `key` in arrival order; returns how many woke.
    pub fn wake(&self, key: u64, n: usize) -> usize {
        let chosen: Vec<Arc<Waiter>> = {
            let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            let Some(v) = q.get_mut(&key) else {
                return 0;
            };
            let take = n.min(v.len());
            let out: Vec<_> = v.drain(..take).collect();
            if v.is_empty() {
                q.remove(&key);
            }
            out
        };
        chosen.iter().filter(|w| w.finish(1)).count()
    }

    /// Ends every wait and makes every later one return `Interrupted` at once (process
    /// exit).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.interrupt_all();
    }

    /// Ends every current wait (signal delivery, process exit). Raise the target thread's
    /// interrupt flag first: a waiter that is not queued yet checks it under `queues`.
    pub fn interrupt_all(&self) {
        let all: Vec<Arc<Waiter>> = {
            let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            q.drain().flat_map(|(_, v)| v).collect()
        };
        for w in all {
            w.finish(2);
        }
    }

    /// Number of threads waiting on `key` (tests, diagnostics).
    pub fn waiters(&self, key: u64) -> usize {
        self.queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map_or(0, Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn ok(v: u32) -> impl FnOnce() -> Result<u32, Infallible> {
        move || Ok(v)
    }

    #[test]
    fn mismatch_returns_at_once() {
        let f = Futexes::default();
        assert_eq!(f.wait(8, 1, ok(2), None), Ok(WaitOutcome::Mismatch));
        assert_eq!(f.waiters(8), 0);
    }

    #[test]
    fn zero_timeout_only_checks() {
        let f = Futexes::default();
        let r = f.wait(8, 1, ok(1), Some(Duration::ZERO));
        assert_eq!(r, Ok(WaitOutcome::TimedOut));
        assert_eq!(f.waiters(8), 0);
    }

    #[test]
    fn timeout_leaves_queue() {
        let f = Futexes::default();
        let r = f.wait(8, 1, ok(1), Some(Duration::from_millis(20)));
        assert_eq!(r, Ok(WaitOutcome::TimedOut));
        assert_eq!(f.waiters(8), 0);
    }

    #[test]
    fn wake_without_waiters_is_zero() {
        assert_eq!(Futexes::default().wake(8, 1), 0);
    }

    #[test]
    fn wake_one_of_two_then_all() {
        let f = Arc::new(Futexes::default());
        let word = Arc::new(AtomicU32::new(0));
        let spawn = |f: Arc<Futexes>, w: Arc<AtomicU32>| {
            std::thread::spawn(move || {
                f.wait(
                    64,
                    0,
                    || Ok::<_, Infallible>(w.load(Ordering::SeqCst)),
                    None,
                )
            })
        };
        let a = spawn(f.clone(), word.clone());
        let b = spawn(f.clone(), word.clone());
        let t0 = Instant::now();
        while f.waiters(64) < 2 && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(f.waiters(64), 2);
        assert_eq!(f.wake(64, 1), 1);
        assert_eq!(f.waiters(64), 1);
        assert_eq!(f.wake(64, usize::MAX), 1);
        assert_eq!(a.join().unwrap(), Ok(WaitOutcome::Woken));
        assert_eq!(b.join().unwrap(), Ok(WaitOutcome::Woken));
    }

    #[test]
    fn interrupt_ends_an_endless_wait() {
        let f = Arc::new(Futexes::default());
        let g = f.clone();
        let t = std::thread::spawn(move || g.wait(4, 7, ok(7), None));
        let t0 = Instant::now();
        while f.waiters(4) < 1 && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        f.interrupt_all();
        assert_eq!(t.join().unwrap(), Ok(WaitOutcome::Interrupted));
    }

    /// The lost-interrupt race, made deterministic: the interrupt (flag up, queues woken)
    /// lands after the import started but before the waiter queued itself. The wait must
    /// not sleep (before the fix it slept forever).
    #[test]
    fn interrupt_before_the_sleep_is_not_lost() {
        let f = Arc::new(Futexes::default());
        let g = f.clone();
        let t = std::thread::spawn(move || {
            let me = crate::core::io::poll::current_interrupter();
            // What an interrupter does: raise the flag, then wake every queue (empty now).
            me.interrupt();
            g.interrupt_all();
            let r = g.wait(4, 7, ok(7), None);
            (r, crate::core::io::poll::take_interrupt(), g.waiters(4))
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(t.join().unwrap()));
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("wait slept");
        assert_eq!(got, (Ok(WaitOutcome::Interrupted), true, 0));
    }

    /// A closed table (process exit) ends waits that start afterwards too.
    #[test]
    fn closed_table_never_sleeps() {
        let f = Futexes::default();
        f.close();
        assert_eq!(f.wait(4, 7, ok(7), None), Ok(WaitOutcome::Interrupted));
        assert_eq!(f.waiters(4), 0);
        // Nothing to wait for still says so.
        assert_eq!(f.wait(4, 7, ok(8), None), Ok(WaitOutcome::Mismatch));
    }

    #[test]
    fn reader_error_propagates() {
        let f = Futexes::default();
        assert_eq!(f.wait(0, 0, || Err::<u32, _>("fault"), None), Err("fault"));
    }
}
