//! Per-process signal state shared by every thread: which guest entry point handles
//! signals, and the dispositions the process inherited from whoever started it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// What a signal does when the process has no handler of its own for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Default,
    Ignore,
}

#[derive(Default)]
pub struct SignalState {
    /// Name of the guest export that receives signals (`callback_signal`); `None` until
    /// the guest registers one.
    handler: Mutex<Option<String>>,
    /// Set once a handler was registered: from then on signals wait in `pending` until a
    /// handler that exists can take them (wasix-libc names a missing export while it
    /// blocks signals), instead of taking their default action.
    registered: AtomicBool,
    /// Bit n: signal n is pending (standard signals do not queue).
    pending: AtomicU64,
    /// Inherited (signal number, disposition) pairs. A process started by the host
    /// inherits none; a spawned child will inherit its parent's ignored signals.
    inherited: Vec<(u8, Disposition)>,
}

impl SignalState {
    pub fn set_handler(&self, name: Option<String>) {
        self.registered.store(name.is_some(), Ordering::SeqCst);
        *self.handler.lock().unwrap_or_else(|e| e.into_inner()) = name;
    }

    pub fn registered(&self) -> bool {
        self.registered.load(Ordering::SeqCst)
    }

    /// Marks `sig` (0..64) pending.
    pub fn raise(&self, sig: u32) {
        if sig < 64 {
            self.pending.fetch_or(1 << sig, Ordering::SeqCst);
        }
    }

    pub fn has_pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst) != 0
    }

    /// Takes the lowest pending signal.
    pub fn take_pending(&self) -> Option<u32> {
        let mut cur = self.pending.load(Ordering::SeqCst);
        loop {
            if cur == 0 {
                return None;
            }
            let sig = cur.trailing_zeros();
            match self.pending.compare_exchange(
                cur,
                cur & !(1 << sig),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Some(sig),
                Err(now) => cur = now,
            }
        }
    }

    pub fn handler(&self) -> Option<String> {
        self.handler
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn inherited(&self) -> &[(u8, Disposition)] {
        &self.inherited
    }
}
