//! The threads of one process: their ids and limit, joining, the process-wide exit, and
//! interrupting whatever a thread is blocked in. The core does not run threads (a front end
//! does, one engine instance per thread); it only keeps the books every thread shares.
//!
//! Interrupts work in two halves. The target thread's [`Interrupter`] raises its flag and
//! wakes its parked poll; then every wait queue is woken ([`Futexes::interrupt_all`] and
//! the front end's hooks for waits the engine itself performs). A woken waiter whose own
//! flag is down was not the target: it goes back to waiting, re-checking its condition.

use super::futex::{Futexes, WaitOutcome};
use super::io::poll::Interrupter;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Called on every interrupt; `closing` is true once the process exits (waits the engine
/// performs should then fail instead of resuming).
pub type WakeHook = Arc<dyn Fn(bool) + Send + Sync>;

/// Called once, with the decision, when the process's end is decided (the CLI returns on
/// it even while some thread computes without ever calling an import).
pub type EndHook = Arc<dyn Fn(&ProcessEnd) + Send + Sync>;

/// The process exit, once decided: a code, or a trap in some thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessEnd {
    Exit(i32),
    /// A signal's default action or SIGKILL (status 128 + n on the host).
    Signal(u8),
    Trap(String),
}

impl ProcessEnd {
    /// The status the host reports: the code, or 128 + the signal (as a shell shows it);
    /// `None` for a trap.
    pub fn status(&self) -> Option<i32> {
        match self {
            ProcessEnd::Exit(c) => Some(*c),
            ProcessEnd::Signal(s) => Some(128 + *s as i32),
            ProcessEnd::Trap(_) => None,
        }
    }
}

/// Lock order: `live`, `end` and `hooks` are leaves, never held together nor across a call
/// out (interrupters, hooks and futex queues run after the lock is released: `interrupt`
/// clones the targets out of `live` first).
pub struct Threads {
    /// Most threads alive at once, the main thread included.
    limit: AtomicU32,
    next: AtomicU32,
    live: Mutex<HashMap<u32, Option<Interrupter>>>,
    /// Joiners wait here, keyed by the tid they join.
    joins: Futexes,
    /// The guest's futexes (futex_wait / futex_wake, thread_sleep).
    pub futexes: Futexes,
    end: Mutex<Option<ProcessEnd>>,
    ending: AtomicBool,
    hooks: Mutex<Vec<WakeHook>>,
    end_hooks: Mutex<Vec<EndHook>>,
    /// The code of the thread that ended last (`thread_exit(code)`, 0 for a thread that
    /// returned from its entry): the process's status once its main thread has called
    /// `thread_exit` and every other thread has ended too.
    last_code: Mutex<i32>,
    /// Counts interrupts, so a waiter can tell a wake-up that may be an interrupt's.
    epoch: AtomicU64,
}

/// Default thread limit (wasmer-wasix has none; Linux's default per-user limit is larger,
/// but every thread here is an OS thread plus an instance).
pub const DEFAULT_MAX_THREADS: u32 = 1024;

impl Default for Threads {
    fn default() -> Self {
        Threads::new(DEFAULT_MAX_THREADS)
    }
}

impl Threads {
    /// `main` is the main thread's id; spawned threads get the ids after it.
    pub fn new(limit: u32) -> Threads {
        Threads {
            limit: AtomicU32::new(limit.max(1)),
            next: AtomicU32::new(2),
            live: Mutex::new(HashMap::from([(1, None)])),
            joins: Futexes::default(),
            futexes: Futexes::default(),
            end: Mutex::new(None),
            ending: AtomicBool::new(false),
            hooks: Mutex::new(Vec::new()),
            end_hooks: Mutex::new(Vec::new()),
            last_code: Mutex::new(0),
            epoch: AtomicU64::new(0),
        }
    }

    pub fn set_limit(&self, n: u32) {
        self.limit.store(n.max(1), Ordering::SeqCst);
    }

    pub fn limit(&self) -> u32 {
        self.limit.load(Ordering::SeqCst)
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Option<Interrupter>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new thread's id, counted as alive from now; `None` at the limit or once the
    /// process is ending.
    pub fn reserve(&self) -> Option<u32> {
        let mut live = self.live();
        if self.ending() || live.len() as u32 >= self.limit() {
            return None;
        }
        // Ids are never reused while the process runs (u32 wraps after 4 billion spawns:
        // skip ids still in use).
        loop {
            let tid = self.next.fetch_add(1, Ordering::Relaxed) & 0x3fff_ffff;
            if tid > 1 && !live.contains_key(&tid) {
                live.insert(tid, None);
                return Some(tid);
            }
        }
    }

    /// The calling OS thread runs `tid` from now: interrupts for `tid` reach it.
    pub fn attach(&self, tid: u32, who: Interrupter) {
        who.clear();
        if let Some(slot) = self.live().get_mut(&tid) {
            *slot = Some(who);
        }
    }

    /// Whether `tid` was ever given out (the main thread's included).
    pub fn issued(&self, tid: u32) -> bool {
        tid == 1
            || (tid >= 2 && tid < (self.next.load(Ordering::Relaxed) & 0x3fff_ffff))
            || self.is_alive(tid)
    }

    pub fn is_alive(&self, tid: u32) -> bool {
        self.live().contains_key(&tid)
    }

    pub fn count(&self) -> usize {
        self.live().len()
    }

    /// `tid` has ended: joiners wake. The interrupter is dropped after the lock.
    pub fn finish(&self, tid: u32) {
        self.finish_with(tid, None);
    }

    /// `tid` has ended with `code` (`Some`: by `thread_exit(code)`, or 0 by returning from
    /// its entry), which becomes the last thread's code.
    pub fn finish_with(&self, tid: u32, code: Option<i32>) {
        let gone = {
            let mut live = self.live();
            if let Some(c) = code {
                *self.last_code.lock().unwrap_or_else(|e| e.into_inner()) = c;
            }
            live.remove(&tid)
        };
        drop(gone);
        self.joins.wake(tid as u64, usize::MAX);
    }

    /// The main thread called `thread_exit(code)` (it stays counted until it finishes):
    /// waits until every other thread has ended and returns the code of the one that
    /// ended last (`code` itself if none outlived the main thread).
    pub fn main_exited(&self, me: u32, code: i32) -> i32 {
        {
            let _live = self.live();
            *self.last_code.lock().unwrap_or_else(|e| e.into_inner()) = code;
        }
        self.join_others(me);
        *self.last_code.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `tid` has ended (at once if it never existed or has ended). `Interrupted`
    /// when the caller is interrupted.
    pub fn join(&self, tid: u32) -> WaitOutcome {
        loop {
            let alive = || Ok::<_, ()>(self.is_alive(tid) as u32);
            match self.joins.wait(tid as u64, 1, alive, None) {
                Ok(WaitOutcome::Interrupted) if !self.was_me() => continue,
                Ok(WaitOutcome::Woken) => continue,
                Ok(o) => return o,
                Err(()) => return WaitOutcome::Mismatch,
            }
        }
    }

    /// Waits until only the caller (`me`) is left, or the process ends. The caller's own
    /// guest code has ended (`thread_exit` on the main thread), so an interrupt of it has
    /// nothing to run: it is taken and the wait goes on.
    pub fn join_others(&self, me: u32) {
        loop {
            let other = self.live().keys().copied().find(|t| *t != me);
            let Some(t) = other else { return };
            if self.join(t) == WaitOutcome::Interrupted {
                if self.ending() {
                    return;
                }
                crate::core::io::poll::take_interrupt();
            }
        }
    }

    /// Whether an interrupt addressed the calling thread (its flag is up, or the process
    /// is ending, which addresses everyone).
    pub fn was_me(&self) -> bool {
        crate::core::io::poll::interrupt_pending() || self.ending()
    }

    /// `h` runs once the process's end is decided (at once if it already is).
    pub fn add_end_hook(&self, h: EndHook) {
        let now = {
            let mut hooks = self.end_hooks.lock().unwrap_or_else(|e| e.into_inner());
            match self.ended() {
                Some(e) => Some(e),
                None => {
                    hooks.push(h.clone());
                    None
                }
            }
        };
        if let Some(e) = now {
            h(&e);
        }
    }

    /// The end hooks not yet called, handed over (exec moves them to the new image).
    pub fn take_end_hooks(&self) -> Vec<EndHook> {
        std::mem::take(&mut *self.end_hooks.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn add_wake_hook(&self, h: WakeHook) {
        self.hooks.lock().unwrap_or_else(|e| e.into_inner()).push(h);
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Interrupts thread `tid` (`None`: every thread) in whatever it waits for.
    pub fn interrupt(&self, tid: Option<u32>) {
        let targets: Vec<Interrupter> = {
            let live = self.live();
            match tid {
                Some(t) => live.get(&t).cloned().flatten().into_iter().collect(),
                None => live.values().filter_map(|i| i.clone()).collect(),
            }
        };
        for t in &targets {
            t.interrupt();
        }
        self.wake_waiters(false);
    }

    /// Call after raising the targets' flags (and `ending` when closing): waiters that have
    /// not queued yet look at those under the queue lock these calls take.
    fn wake_waiters(&self, closing: bool) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if closing {
            self.futexes.close();
            self.joins.close();
        } else {
            self.futexes.interrupt_all();
            self.joins.interrupt_all();
        }
        let hooks: Vec<WakeHook> = self.hooks.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for h in hooks {
            h(closing);
        }
    }

    /// Decides how the process ends (the first decision wins) and interrupts every thread
    /// so each unwinds at its next import. Returns the decision in force.
    pub fn end(&self, how: ProcessEnd) -> ProcessEnd {
        let decided = {
            let mut e = self.end.lock().unwrap_or_else(|p| p.into_inner());
            e.get_or_insert(how).clone()
        };
        if !self.ending.swap(true, Ordering::SeqCst) {
            let all: Vec<Interrupter> = self.live().values().filter_map(|i| i.clone()).collect();
            for t in &all {
                t.interrupt();
            }
            self.wake_waiters(true);
            let hooks: Vec<EndHook> =
                std::mem::take(&mut *self.end_hooks.lock().unwrap_or_else(|e| e.into_inner()));
            for h in hooks {
                h(&decided);
            }
        }
        decided
    }

    pub fn ending(&self) -> bool {
        self.ending.load(Ordering::SeqCst)
    }

    /// How the process ends, once decided.
    pub fn ended(&self) -> Option<ProcessEnd> {
        if !self.ending() {
            return None;
        }
        self.end.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::io::poll::current_interrupter;
    use std::time::Duration;

    #[test]
    fn limit_counts_the_main_thread_and_frees_on_finish() {
        let t = Threads::new(3);
        let a = t.reserve().unwrap();
        let b = t.reserve().unwrap();
        assert_eq!((a, b), (2, 3));
        assert_eq!(t.reserve(), None);
        t.finish(a);
        assert_eq!(t.reserve(), Some(4));
    }

    #[test]
    fn end_hooks_run_once_with_the_decision_and_late_ones_at_once() {
        let t = Threads::new(8);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        t.add_end_hook(Arc::new(move |e| s2.lock().unwrap().push(e.clone())));
        t.end(ProcessEnd::Exit(9));
        t.end(ProcessEnd::Exit(4));
        let s3 = seen.clone();
        t.add_end_hook(Arc::new(move |e| s3.lock().unwrap().push(e.clone())));
        assert_eq!(
            *seen.lock().unwrap(),
            [ProcessEnd::Exit(9), ProcessEnd::Exit(9)]
        );
    }

    #[test]
    fn after_main_exits_the_last_thread_to_finish_gives_the_code() {
        let t = Arc::new(Threads::new(8));
        let (a, b) = (t.reserve().unwrap(), t.reserve().unwrap());
        t.finish_with(a, Some(3));
        let t2 = t.clone();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            t2.finish_with(b, Some(6));
        });
        assert_eq!(t.main_exited(1, 5), 6);
        h.join().unwrap();
        // Nobody outlives main: its own code.
        assert_eq!(Threads::new(8).main_exited(1, 5), 5);
    }

    #[test]
    fn join_returns_when_the_thread_finishes() {
        let t = Arc::new(Threads::new(8));
        let tid = t.reserve().unwrap();
        let t2 = t.clone();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            t2.finish(tid);
        });
        assert_eq!(t.join(tid), WaitOutcome::Mismatch);
        assert!(!t.is_alive(tid));
        h.join().unwrap();
        // Joining an ended or unknown thread returns at once.
        assert_eq!(t.join(tid), WaitOutcome::Mismatch);
        assert_eq!(t.join(999), WaitOutcome::Mismatch);
    }

    #[test]
    fn interrupt_reaches_only_its_target_and_end_reaches_all() {
        let t = Arc::new(Threads::new(8));
        let waiter = |t: Arc<Threads>| {
            let tid = t.reserve().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let h = std::thread::spawn(move || {
                t.attach(tid, current_interrupter());
                tx.send(()).unwrap();
                let r = t.join(1);
                (r, crate::core::io::poll::take_interrupt())
            });
            rx.recv().unwrap();
            (tid, h)
        };
        let (a, ha) = waiter(t.clone());
        let (_b, hb) = waiter(t.clone());
        std::thread::sleep(Duration::from_millis(20));
        t.interrupt(Some(a));
        assert_eq!(ha.join().unwrap(), (WaitOutcome::Interrupted, true));
        assert_eq!(t.end(ProcessEnd::Exit(3)), ProcessEnd::Exit(3));
        assert_eq!(hb.join().unwrap(), (WaitOutcome::Interrupted, true));
        // The first decision stands.
        assert_eq!(t.end(ProcessEnd::Exit(4)), ProcessEnd::Exit(3));
        assert_eq!(t.reserve(), None);
    }

    /// A join that starts after the thread's interrupt (a signal raised between the start
    /// of `thread_join` and its sleep) returns `Interrupted` instead of sleeping.
    #[test]
    fn join_after_an_interrupt_does_not_sleep() {
        let t = Arc::new(Threads::new(8));
        let other = t.reserve().unwrap();
        let me = t.reserve().unwrap();
        let t2 = t.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            t2.attach(me, current_interrupter());
            t2.interrupt(Some(me));
            let r = t2.join(other);
            let _ = tx.send((r, crate::core::io::poll::take_interrupt()));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("join slept");
        assert_eq!(got, (WaitOutcome::Interrupted, true));
    }

    /// Once the process is ending, a join started by a thread attached too late to get the
    /// interrupt (its flag is down) still returns at once.
    #[test]
    fn join_after_the_end_does_not_sleep() {
        let t = Arc::new(Threads::new(8));
        let other = t.reserve().unwrap();
        t.end(ProcessEnd::Exit(0));
        let t2 = t.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(t2.join(other));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("join slept");
        assert_eq!(got, WaitOutcome::Interrupted);
    }
}
