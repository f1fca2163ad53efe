//! `wasi:clocks`: monotonic and wall clocks, resolutions, and timer pollables. Readings come
//! straight from `clock_gettime` (vDSO: no syscall, no allocation).

use super::io::poll::Deadline;
use super::ErrorCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockId {
    Realtime,
    Monotonic,
    ProcessCpuTime,
    ThreadCpuTime,
}

impl ClockId {
    fn raw(self) -> libc::clockid_t {
        match self {
            ClockId::Realtime => libc::CLOCK_REALTIME,
            ClockId::Monotonic => libc::CLOCK_MONOTONIC,
            ClockId::ProcessCpuTime => libc::CLOCK_PROCESS_CPUTIME_ID,
            ClockId::ThreadCpuTime => libc::CLOCK_THREAD_CPUTIME_ID,
        }
    }
}

/// Nanoseconds on `id`.
#[inline]
pub fn now(id: ClockId) -> Result<u64, ErrorCode> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-pointer.
    if unsafe { libc::clock_gettime(id.raw(), &mut ts) } != 0 {
        return Err(ErrorCode::last_os());
    }
    Ok((ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64))
}

pub fn resolution(id: ClockId) -> Result<u64, ErrorCode> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-pointer.
    if unsafe { libc::clock_getres(id.raw(), &mut ts) } != 0 {
        return Err(ErrorCode::last_os());
    }
    Ok((ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64).max(1))
}

/// `wasi:clocks/monotonic-clock.now`.
#[inline]
pub fn monotonic_now() -> u64 {
    now(ClockId::Monotonic).unwrap_or(0)
}

/// Pairs a monotonic reading with an `Instant` once, so nanosecond instants convert to
/// `Instant`s (on Linux both are CLOCK_MONOTONIC; the pairing keeps that an internal detail).
fn anchor() -> (Instant, u64) {
    static A: OnceLock<(Instant, u64)> = OnceLock::new();
    *A.get_or_init(|| (Instant::now(), monotonic_now()))
}

/// The `Instant` at which monotonic time reaches `ns`.
pub fn instant_at_monotonic(ns: u64) -> Instant {
    let (i, base) = anchor();
    if ns >= base {
        i.checked_add(Duration::from_nanos(ns - base))
            .unwrap_or(i + Duration::from_secs(1 << 40))
    } else {
        i.checked_sub(Duration::from_nanos(base - ns)).unwrap_or(i)
    }
}

/// `subscribe-duration`: ready `ns` from now.
pub fn subscribe_duration(ns: u64) -> Deadline {
    let now = Instant::now();
    Deadline(
        now.checked_add(Duration::from_nanos(ns))
            .unwrap_or(now + Duration::from_secs(1 << 40)),
    )
}

/// `subscribe-instant`: ready when the monotonic clock reaches `ns`.
pub fn subscribe_instant(ns: u64) -> Deadline {
    Deadline(instant_at_monotonic(ns))
}

/// A deadline for an absolute reading `ns` of any clock (the witx "abstime" flag).
pub fn deadline_for(id: ClockId, ns: u64) -> Result<Deadline, ErrorCode> {
    let cur = now(id)?;
    Ok(subscribe_duration(ns.saturating_sub(cur)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_moves_forward_and_converts() {
        let a = monotonic_now();
        let b = monotonic_now();
        assert!(b >= a);
        let d = instant_at_monotonic(a + 1_000_000);
        assert!(d > instant_at_monotonic(a));
        assert!(resolution(ClockId::Monotonic).unwrap() >= 1);
        assert!(now(ClockId::ThreadCpuTime).is_ok());
    }
}
