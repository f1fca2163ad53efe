//! Pinned clocks and randomness, so that two runs of one program can be compared
//! (`wasix-compat run|diff --fake-clock NS --seed N`).
//!
//! - Fake clock: every clock reading (realtime, monotonic, the CPU-time clocks; p1/WASIX
//!   `clock_time_get` and WASI 0.2 `wall-clock.now` / `monotonic-clock.now`) returns
//!   `start + n × 1 µs`, where `n` counts the readings made so far by the process family
//!   (one counter shared by every clock). Real elapsed time never enters, so a
//!   single-threaded program reads the same values on every run. Timeouts (`poll_oneoff`,
//!   sleeps) still wait in real time; an absolute `poll_oneoff` deadline waits its distance
//!   from the current pinned reading.
//! - Seed: `random_get` and WASI 0.2 `get-random-bytes` / `get-random-u64` draw from a
//!   splitmix64 stream seeded with `N` (one stream per process family).

use std::sync::atomic::{AtomicU64, Ordering};

/// The pins of one process family (shared by forked children).
#[derive(Debug, Default)]
pub struct Pinned {
    clock: Option<(u64, AtomicU64)>,
    rng: Option<AtomicU64>,
}

impl Pinned {
    pub fn new(fake_clock: Option<u64>, seed: Option<u64>) -> Pinned {
        Pinned {
            clock: fake_clock.map(|s| (s, AtomicU64::new(0))),
            rng: seed.map(AtomicU64::new),
        }
    }

    pub fn pins_clock(&self) -> bool {
        self.clock.is_some()
    }

    pub fn pins_random(&self) -> bool {
        self.rng.is_some()
    }

    /// The next fake clock reading, when the clock is pinned.
    #[inline]
    pub fn clock_now(&self) -> Option<u64> {
        self.clock.as_ref().map(|(start, n)| {
            start.wrapping_add(n.fetch_add(1, Ordering::Relaxed).wrapping_mul(1_000))
        })
    }

    /// What the clock reads now, without counting a reading: where an absolute deadline
    /// (`poll_oneoff`'s abstime) is measured from, so that a deadline computed from a pinned
    /// reading waits its distance from that reading, not until the real clock gets there.
    pub fn clock_peek(&self) -> Option<u64> {
        self.clock
            .as_ref()
            .map(|(start, n)| start.wrapping_add(n.load(Ordering::Relaxed).wrapping_mul(1_000)))
    }

    /// Fills `buf` from the seeded stream; `false` when randomness is not pinned.
    pub fn fill_random(&self, buf: &mut [u8]) -> bool {
        let Some(state) = &self.rng else {
            return false;
        };
        super::random::splitmix_fill(state, buf);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Pinned;

    #[test]
    fn fake_clock_counts_and_seed_repeats() {
        let p = Pinned::new(Some(5_000), Some(7));
        assert_eq!(
            (p.clock_now(), p.clock_now(), p.clock_now()),
            (Some(5_000), Some(6_000), Some(7_000))
        );
        let (mut a, mut b) = ([0u8; 13], [0u8; 13]);
        assert!(p.fill_random(&mut a));
        assert!(Pinned::new(None, Some(7)).fill_random(&mut b));
        assert_eq!(a, b);
        assert_eq!(p.clock_peek(), Some(8_000));
        assert_eq!(p.clock_now(), Some(8_000));
        assert_eq!(Pinned::default().clock_now(), None);
        assert!(!Pinned::default().fill_random(&mut a));
    }
}
