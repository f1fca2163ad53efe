//! A served bridge's backlog of TCP data read from its sockets but not yet written to the
//! wire, and the back pressure on it.
//!
//! The served side hands virtual-net's remote-networking server a reply queue that never
//! makes a sender wait (`bridge_wire.rs` says why: a waiting sender let a later chunk of the
//! same socket overtake an earlier one). So the bound on memory is kept here instead: once
//! [`LIMIT`] bytes are queued, the bridge's streams read nothing more (`WouldBlock`) and
//! remember their interest handler; when the wire writer has made room they are told
//! `Readable` again (the host's readiness is edge-triggered: without that nudge the data
//! already in the kernel would never be read).

use super::bridge_handler::{Handler, HandlerSlot};
use std::sync::{Arc, Mutex, Weak};
use virtual_net::InterestType;

/// Bytes of a bridge's TCP data that may wait between its sockets and the wire.
pub const LIMIT: usize = 4 << 20;

#[derive(Default)]
struct Inner {
    queued: usize,
    /// Streams refused a read while the backlog was full.
    starved: Vec<Weak<Handler>>,
}

#[derive(Default)]
pub struct Backlog(Mutex<Inner>);

impl std::fmt::Debug for Backlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backlog")
            .field("queued", &self.lock().queued)
            .finish()
    }
}

impl Backlog {
    pub fn new() -> Arc<Backlog> {
        Arc::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `true` if a stream may read now; otherwise it is remembered (checked and remembered
    /// under one lock, so a writer making room in between cannot miss it).
    pub fn admit(&self, handler: &HandlerSlot) -> bool {
        let mut g = self.lock();
        if g.queued < LIMIT {
            return true;
        }
        if !g
            .starved
            .iter()
            .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(handler)))
        {
            g.starved.push(Arc::downgrade(handler));
        }
        false
    }

    /// `n` bytes were read from a stream (they now wait for the wire).
    pub fn read(&self, n: usize) {
        let mut g = self.lock();
        g.queued = g.queued.saturating_add(n);
    }

    /// `n` bytes of data went out on the wire; wakes the starved streams once there is room.
    pub fn written(&self, n: usize) {
        let woken = {
            let mut g = self.lock();
            g.queued = g.queued.saturating_sub(n);
            if g.queued >= LIMIT {
                return;
            }
            std::mem::take(&mut g.starved)
        };
        // Outside the lock: the handler takes virtual-net's own locks.
        for slot in woken.iter().filter_map(Weak::upgrade) {
            if let Some(h) = slot.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                h.push_interest(InterestType::Readable);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use virtual_net::InterestHandler;

    #[derive(Debug)]
    struct Count(Arc<AtomicUsize>);
    impl InterestHandler for Count {
        fn push_interest(&mut self, i: InterestType) {
            if i == InterestType::Readable {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn pop_interest(&mut self, _: InterestType) -> bool {
            false
        }
        fn has_interest(&self, _: InterestType) -> bool {
            false
        }
    }

    /// A full backlog refuses, and the refused stream is told `Readable` exactly once when
    /// the writer makes room.
    #[test]
    fn a_refused_stream_is_woken_once_there_is_room() {
        let b = Backlog::new();
        let woken = Arc::new(AtomicUsize::new(0));
        let slot: HandlerSlot = Arc::new(Mutex::new(Some(Box::new(Count(woken.clone())))));
        b.read(LIMIT);
        let refused = !b.admit(&slot);
        b.written(1);
        b.written(1);
        assert_eq!((refused, woken.load(Ordering::SeqCst)), (true, 1));
    }
}
