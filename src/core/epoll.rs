//! An epoll instance: its interest list, keyed by fd. Readiness comes from the objects the
//! fds name (the same pollables as every other wait); this only remembers what was asked.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// What one fd is watched for: the event mask and the caller's 24 data bytes, handed back
/// untouched with each report (so 32- and 64-bit layouts both work).
#[derive(Clone, Copy)]
pub struct Interest {
    pub events: u32,
    pub data: [u8; 24],
}

/// Lock order: the interest list may be held while the fd table is read and a socket's
/// state is polled once (epoll_wait's re-check); never across the wait itself.
#[derive(Default)]
pub struct Epoll {
    interest: Mutex<BTreeMap<u32, Interest>>,
}

impl Epoll {
    /// The interest list, held only for short edits and snapshots (never across a wait).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, Interest>> {
        self.interest.lock().unwrap_or_else(|p| p.into_inner())
    }
}
