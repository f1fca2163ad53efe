//! A process's interval timer (`setitimer` / `proc_raise_interval`): after `interval` it
//! fires, then again every `interval` when repeating. Setting it again, or to zero,
//! replaces the previous timer. One timer thread runs while a timer is armed; it waits on
//! a condition variable, so replacing a timer wakes and retires it at once.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct IntervalTimer {
    /// (generation, its condvar). A leaf lock: the timer thread waits on it but releases
    /// it before firing (the signal delivery takes thread and signal locks).
    state: Arc<(Mutex<u64>, Condvar)>,
}

impl IntervalTimer {
    /// Arms the timer (`interval` zero: disarms it). `fire` runs on the timer thread.
    pub fn set(&self, interval: Duration, repeat: bool, fire: Arc<dyn Fn() + Send + Sync>) {
        let generation = {
            let mut g = self.state.0.lock().unwrap_or_else(|e| e.into_inner());
            *g += 1;
            *g
        };
        self.state.1.notify_all();
        if interval.is_zero() {
            return;
        }
        let state = self.state.clone();
        let _ = std::thread::Builder::new()
            .name("wasix-itimer".into())
            .spawn(move || {
                let (lock, cv) = &*state;
                let mut next = Instant::now() + interval;
                let mut g = lock.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if *g != generation {
                        return;
                    }
                    let now = Instant::now();
                    if now < next {
                        g = cv
                            .wait_timeout(g, next - now)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                        continue;
                    }
                    // Fire without the lock: `fire` may set the timer again.
                    drop(g);
                    fire();
                    if !repeat {
                        return;
                    }
                    next += interval;
                    g = lock.lock().unwrap_or_else(|e| e.into_inner());
                }
            });
    }

    /// Disarms the timer (the process is ending).
    pub fn cancel(&self) {
        *self.state.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.state.1.notify_all();
    }
}

impl Drop for IntervalTimer {
    /// The process is gone: its timer thread retires at once.
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn repeats_until_replaced_and_one_shot_fires_once() {
        let t = IntervalTimer::default();
        let n = Arc::new(AtomicU32::new(0));
        let n2 = n.clone();
        t.set(
            Duration::from_millis(5),
            true,
            Arc::new(move || {
                n2.fetch_add(1, Ordering::SeqCst);
            }),
        );
        for _ in 0..400 {
            if n.load(Ordering::SeqCst) >= 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        t.set(Duration::ZERO, false, Arc::new(|| {}));
        // A firing already past its check may still land; after that the count stands.
        std::thread::sleep(Duration::from_millis(20));
        let stopped = n.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!((stopped >= 3, n.load(Ordering::SeqCst)), (true, stopped));

        let once = Arc::new(AtomicU32::new(0));
        let o2 = once.clone();
        t.set(
            Duration::from_millis(5),
            false,
            Arc::new(move || {
                o2.fetch_add(1, Ordering::SeqCst);
            }),
        );
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(once.load(Ordering::SeqCst), 1);
    }
}
