//! Per-process signal state shared by every thread: which guest entry point handles
//! signals, and the dispositions the process inherited from whoever started it.

use std::collections::HashMap;
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
    /// the guest registers one. The last exported name any thread registered.
    handler: Mutex<Option<String>>,
    /// The name each thread registered last, which that thread's signals go to: wasix-libc
    /// names `__wasm_signal_blocked` while one thread blocks signals (its mask is that
    /// thread's own), which must not hold back a signal that another thread takes.
    per_thread: Mutex<HashMap<u32, String>>,
    /// Set once a handler was registered: from then on signals wait in `pending` until a
    /// handler that exists can take them (wasix-libc names a missing export while it
    /// blocks signals), instead of taking their default action.
    registered: AtomicBool,
    /// Bit n: signal n is pending for the process, any thread may take it (standard
    /// signals do not queue).
    pending: AtomicU64,
    /// Signals directed at one thread (`pthread_kill`): only that thread takes them.
    /// A leaf lock, as is `handler`; neither is held while a handler runs or a thread is
    /// interrupted (the caller raises, releases, then interrupts).
    directed: Mutex<HashMap<u32, u64>>,
    /// Some thread has a directed signal pending (keeps the common check lock-free).
    any_directed: AtomicBool,
    /// Inherited (signal number, disposition) pairs. A process started by the host
    /// inherits none; a spawned child will inherit its parent's ignored signals.
    inherited: Vec<(u8, Disposition)>,
}

impl SignalState {
    /// Thread `tid` registers `name` for itself; a name the guest exports (`exists`) is
    /// also the process's, which threads that never registered one use. (A name that is
    /// no export is wasix-libc blocking signals in that thread only.)
    pub fn set_handler(&self, tid: u32, name: Option<String>, exists: bool) {
        self.registered.store(name.is_some(), Ordering::SeqCst);
        {
            let mut per = self.per_thread.lock().unwrap_or_else(|e| e.into_inner());
            match &name {
                Some(n) => per.insert(tid, n.clone()),
                None => per.remove(&tid),
            };
        }
        if exists || name.is_none() {
            *self.handler.lock().unwrap_or_else(|e| e.into_inner()) = name;
        }
    }

    /// A forked child's: the same handler names (the child runs the parent's code) and
    /// inherited dispositions, nothing pending.
    pub fn fork_copy(&self) -> SignalState {
        SignalState {
            handler: Mutex::new(
                self.handler
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone(),
            ),
            per_thread: Mutex::new(
                self.per_thread
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&crate::core::process::MAIN_TID)
                    .map(|n| HashMap::from([(crate::core::process::MAIN_TID, n.clone())]))
                    .unwrap_or_default(),
            ),
            registered: AtomicBool::new(self.registered()),
            inherited: self.inherited.clone(),
            ..Default::default()
        }
    }

    /// A spawned or exec'd image's: no handler yet, `inherited` as given.
    pub fn with_inherited(inherited: Vec<(u8, Disposition)>) -> SignalState {
        SignalState {
            inherited,
            ..Default::default()
        }
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

    /// Marks `sig` pending for thread `tid` only.
    pub fn raise_to(&self, tid: u32, sig: u32) {
        if sig < 64 {
            let mut d = self.directed.lock().unwrap_or_else(|e| e.into_inner());
            *d.entry(tid).or_default() |= 1 << sig;
            self.any_directed.store(true, Ordering::SeqCst);
        }
    }

    /// Whether thread `tid` has something to take.
    pub fn has_pending(&self, tid: u32) -> bool {
        self.pending.load(Ordering::SeqCst) != 0
            || (self.any_directed.load(Ordering::SeqCst)
                && self
                    .directed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains_key(&tid))
    }

    /// Takes the lowest signal pending for thread `tid` (its own or the process's).
    pub fn take_pending(&self, tid: u32) -> Option<u32> {
        if self.any_directed.load(Ordering::SeqCst) {
            let mut d = self.directed.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(bits) = d.get_mut(&tid) {
                let sig = bits.trailing_zeros();
                *bits &= !(1 << sig);
                if *bits == 0 {
                    d.remove(&tid);
                }
                self.any_directed.store(!d.is_empty(), Ordering::SeqCst);
                return Some(sig);
            }
        }
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

    /// Forgets what was directed at a thread that has ended, and its handler name.
    pub fn forget_thread(&self, tid: u32) {
        self.per_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tid);
        if self.any_directed.load(Ordering::SeqCst) {
            let mut d = self.directed.lock().unwrap_or_else(|e| e.into_inner());
            d.remove(&tid);
            self.any_directed.store(!d.is_empty(), Ordering::SeqCst);
        }
    }

    /// The export that takes thread `tid`'s signals: the name it registered last, else
    /// the name registered last by any thread.
    pub fn handler(&self, tid: u32) -> Option<String> {
        if let Some(n) = self
            .per_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tid)
        {
            return Some(n.clone());
        }
        self.handler
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn inherited(&self) -> &[(u8, Disposition)] {
        &self.inherited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_blocking_signals_keeps_its_name_to_itself() {
        let s = SignalState::default();
        s.set_handler(1, Some("__wasm_signal".into()), true);
        // Thread 2 blocks (wasix-libc names an export that does not exist).
        s.set_handler(2, Some("__wasm_signal_blocked".into()), false);
        assert_eq!(s.handler(2).as_deref(), Some("__wasm_signal_blocked"));
        assert_eq!(s.handler(1).as_deref(), Some("__wasm_signal"));
        // A thread that never registered one takes the exported name.
        assert_eq!(s.handler(3).as_deref(), Some("__wasm_signal"));
        s.forget_thread(2);
        assert_eq!(s.handler(2).as_deref(), Some("__wasm_signal"));
    }
}
