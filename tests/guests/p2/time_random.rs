//! Clocks and random numbers through std: the monotonic clock never goes back, sleeping
//! advances it, the wall clock is near the host's (passed as the first argument, in Unix
//! seconds), and two RandomState hashers differ (seeded from wasi:random).
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let host: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let mut prev = Instant::now();
    let mut monotonic = true;
    for _ in 0..1000 {
        let now = Instant::now();
        monotonic &= now >= prev;
        prev = now;
    }
    println!("monotonic: {monotonic}");
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    println!("slept at least 20ms: {}", t0.elapsed() >= Duration::from_millis(20));
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    println!("wall within a minute: {}", wall.abs_diff(host) < 60);
    let h = |s: &RandomState| {
        let mut h = s.build_hasher();
        h.write_u64(42);
        h.finish()
    };
    println!("random hashers differ: {}", h(&RandomState::new()) != h(&RandomState::new()));
}
