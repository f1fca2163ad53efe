//! A bridged stream's interest handler, kept in a slot that others share: the wrapper's
//! helpers (death watcher, backlog, receive queue, tail flusher) wake the owner through it,
//! and the inner socket gets a [`Shared`] that forwards to whatever the owner set last.

use std::sync::{Arc, Mutex};
use virtual_net::{InterestHandler, InterestType};

/// The handler a stream's owner set last.
pub type Handler = Mutex<Option<Box<dyn InterestHandler + Send + Sync>>>;
/// A [`Handler`] shared with whoever must wake the stream.
pub type HandlerSlot = Arc<Handler>;

/// Hands interests to the handler in the slot.
#[derive(Debug)]
pub struct Shared(pub HandlerSlot);

impl InterestHandler for Shared {
    fn push_interest(&mut self, i: InterestType) {
        if let Some(h) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            h.push_interest(i)
        }
    }
    fn pop_interest(&mut self, i: InterestType) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .is_some_and(|h| h.pop_interest(i))
    }
    fn has_interest(&self, i: InterestType) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|h| h.has_interest(i))
    }
}
