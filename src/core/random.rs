//! `wasi:random`: secure bytes from the OS, a fast insecure generator, and a per-instance seed.

use super::ErrorCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// `random.get-random-bytes`: fills `buf` from the OS CSPRNG.
pub fn fill_secure(buf: &mut [u8]) -> Result<(), ErrorCode> {
    getrandom::getrandom(buf).map_err(|_| ErrorCode::Io)
}

pub fn secure_u64() -> Result<u64, ErrorCode> {
    let mut b = [0u8; 8];
    fill_secure(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// `insecure`: a shared splitmix64 stream seeded from the OS once; cheap, not for secrets.
pub fn fill_insecure(buf: &mut [u8]) {
    static STATE: AtomicU64 = AtomicU64::new(0);
    if STATE.load(Ordering::Relaxed) == 0 {
        let _ = STATE.compare_exchange(
            0,
            secure_u64().unwrap_or(0x9E37_79B9) | 1,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
    splitmix_fill(&STATE, buf);
}

/// Fills `buf` from the splitmix64 stream whose state is `state` (shared: concurrent
/// callers each take their own words).
pub fn splitmix_fill(state: &AtomicU64, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let mut z = state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}

/// `insecure-seed`: fixed for the life of the process, as 0.2 specifies.
pub fn insecure_seed() -> (u64, u64) {
    static SEED: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| (secure_u64().unwrap_or(1), secure_u64().unwrap_or(2)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn secure_bytes_differ() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        super::fill_secure(&mut a).unwrap();
        super::fill_secure(&mut b).unwrap();
        assert_ne!(a, b);
        let mut c = [0u8; 13];
        super::fill_insecure(&mut c);
        assert_eq!(super::insecure_seed(), super::insecure_seed());
    }
}
