//! The processes of one family (the process the host started and every process it forked
//! or spawned, transitively): pids, parent links, exit statuses kept until joined (zombies),
//! orphans, the process limit, and the signal fan-out of `kill` to pids and groups.
//!
//! The table only keeps books. Waiting for a child happens on the parent's own futex table
//! (so whatever interrupts the parent's waits interrupts a join too) and is woken through
//! it; SIGCHLD goes through the parent's signal state. Nothing here runs guest code.
//!
//! Lock order: `slots` is a leaf. Processes are reached through `Weak`s cloned out of it and
//! signalled or woken after it is released.

use super::process::Process;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// How a process ended, as its parent's join reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `exit(code)` (the low 16 bits travel in WASIX's `join_status`).
    Exited(i32),
    /// Ended by a signal's default action or SIGKILL.
    Signaled(u8),
}

impl From<crate::core::threads::ProcessEnd> for Status {
    /// A trap ends a process as SIGABRT would.
    fn from(e: crate::core::threads::ProcessEnd) -> Status {
        use crate::core::threads::ProcessEnd;
        match e {
            ProcessEnd::Exit(c) => Status::Exited(c),
            ProcessEnd::Signal(s) => Status::Signaled(s),
            ProcessEnd::Trap(_) => Status::Signaled(6),
        }
    }
}

/// Which child a join waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Any,
    Pid(u32),
}

/// Why a join or kill failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcError {
    /// No such child (ECHILD).
    NoChild,
    /// No such process or group (ESRCH).
    NoProcess,
    /// The process limit is reached (EAGAIN).
    Again,
}

enum State {
    Live(Weak<Process>),
    /// Reserved by `reserve` and not yet attached to its process.
    Starting,
    Zombie(Status),
}

struct Slot {
    ppid: u32,
    pgid: u32,
    state: State,
    /// Its parent ended first: reparented to the root for `getppid`, joined by nobody.
    orphan: bool,
}

/// Default most processes alive or unjoined at once in one family (each is an OS thread, an
/// instance and a copy of the parent's memory).
pub const DEFAULT_MAX_PROCESSES: u32 = 256;

/// The pid of the process the host starts.
pub const ROOT_PID: u32 = 1;

/// The futex key a parent waits on for its children (no guest address can have it).
pub const CHILD_EVENTS_KEY: u64 = u64::MAX - (1 << 32);

/// SIGCHLD's WASIX number.
pub const SIGCHLD: u32 = 17;

pub struct ProcTable {
    limit: AtomicU32,
    next: AtomicU32,
    slots: Mutex<HashMap<u32, Slot>>,
}

impl Default for ProcTable {
    fn default() -> Self {
        ProcTable::new(DEFAULT_MAX_PROCESSES)
    }
}

impl ProcTable {
    pub fn new(limit: u32) -> ProcTable {
        ProcTable {
            limit: AtomicU32::new(limit.max(1)),
            next: AtomicU32::new(ROOT_PID + 1),
            slots: Mutex::new(HashMap::from([(
                ROOT_PID,
                Slot {
                    ppid: 0,
                    pgid: ROOT_PID,
                    state: State::Starting,
                    orphan: false,
                },
            )])),
        }
    }

    pub fn set_limit(&self, n: u32) {
        self.limit.store(n.max(1), Ordering::SeqCst);
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A pid for a new child of `parent`, counted from now (live or zombie processes count
    /// against the limit): `Again` at the limit.
    pub fn reserve(&self, parent: u32) -> Result<u32, ProcError> {
        let mut slots = self.slots();
        if slots.len() as u32 >= self.limit.load(Ordering::SeqCst) {
            return Err(ProcError::Again);
        }
        let pgid = slots.get(&parent).map_or(parent, |s| s.pgid);
        loop {
            let pid = self.next.fetch_add(1, Ordering::Relaxed) & 0x3fff_ffff;
            if pid > ROOT_PID && !slots.contains_key(&pid) {
                slots.insert(
                    pid,
                    Slot {
                        ppid: parent,
                        pgid,
                        state: State::Starting,
                        orphan: false,
                    },
                );
                return Ok(pid);
            }
        }
    }

    /// `pid`'s process runs from now (signals and joins reach it).
    pub fn attach(&self, pid: u32, p: &Arc<Process>) {
        if let Some(s) = self.slots().get_mut(&pid) {
            s.state = State::Live(Arc::downgrade(p));
        }
    }

    /// A reserved pid whose process never started: forgotten, as if never given.
    pub fn release(&self, pid: u32) {
        self.slots().remove(&pid);
    }

    /// `pid`'s parent (0 for the root), `None` for an unknown pid.
    pub fn parent(&self, pid: u32) -> Option<u32> {
        self.slots().get(&pid).map(|s| s.ppid)
    }

    /// `pid` has ended with `status`: it stays a zombie until its parent joins it (or is
    /// dropped at once when its parent is gone), its children are handed to the root
    /// (reaped by nobody: they vanish when they end), and the parent gets SIGCHLD and is
    /// woken in its joins.
    pub fn exit(&self, pid: u32, status: Status) {
        let parent = {
            let mut slots = self.slots();
            // Orphans: `getppid` says 1 from now, nobody joins them.
            slots.retain(|_, s| s.ppid != pid || !matches!(s.state, State::Zombie(_)));
            for s in slots.values_mut() {
                if s.ppid == pid {
                    s.ppid = ROOT_PID;
                    s.orphan = true;
                }
            }
            let me = slots.get(&pid).map(|s| (s.ppid, s.orphan));
            let parent = match me {
                Some((pp, false)) => match slots.get(&pp).map(|s| &s.state) {
                    Some(State::Live(w)) => w.upgrade(),
                    _ => None,
                },
                _ => None,
            };
            match (&parent, slots.get_mut(&pid)) {
                (Some(_), Some(s)) => s.state = State::Zombie(status),
                _ => {
                    slots.remove(&pid);
                }
            }
            parent
        };
        // SIGCHLD and the wake-up after the lock (they take the parent's own locks).
        if let Some(p) = parent {
            p.child_event(SIGCHLD);
        }
    }

    /// Takes an ended child of `me` (`Which::Pid` must name one of its children). `Ok(None)`
    /// when the child(ren) still run; `NoChild` when there is nothing to wait for.
    pub fn try_join(&self, me: u32, which: Which) -> Result<Option<(u32, Status)>, ProcError> {
        let mut slots = self.slots();
        let found = match which {
            Which::Pid(p) => match slots.get(&p) {
                Some(s) if s.ppid == me && !s.orphan => match s.state {
                    State::Zombie(st) => Some((p, st)),
                    _ => return Ok(None),
                },
                _ => return Err(ProcError::NoChild),
            },
            Which::Any => {
                let mut any = false;
                let mut zombie = None;
                for (p, s) in slots.iter() {
                    if s.ppid != me || s.orphan || *p == me {
                        continue;
                    }
                    any = true;
                    if let State::Zombie(st) = s.state {
                        // The lowest pid first, so results do not depend on hash order.
                        if zombie.is_none_or(|(q, _)| *p < q) {
                            zombie = Some((*p, st));
                        }
                    }
                }
                if !any {
                    return Err(ProcError::NoChild);
                }
                zombie
            }
        };
        if let Some((p, _)) = found {
            slots.remove(&p);
        }
        Ok(found)
    }

    /// The live processes a `kill(pid, _)` from `me` addresses: `pid > 0` that process,
    /// `0` the caller's group, `-1` every process but the root and the caller, `< -1` the
    /// group `-pid`. `NoProcess` when nothing matches.
    pub fn targets(&self, me: u32, pid: i32) -> Result<Vec<Arc<Process>>, ProcError> {
        let slots = self.slots();
        let my_group = slots.get(&me).map_or(me, |s| s.pgid);
        let pick = |p: u32, s: &Slot| match pid {
            0 => s.pgid == my_group,
            -1 => p != ROOT_PID && p != me,
            n if n < -1 => s.pgid == n.unsigned_abs(),
            n => p == n as u32,
        };
        let mut known = false;
        let mut out = Vec::new();
        for (p, s) in slots.iter() {
            if !pick(*p, s) {
                continue;
            }
            known = true;
            if let State::Live(w) = &s.state {
                if let Some(proc) = w.upgrade() {
                    out.push(proc);
                }
            }
        }
        // A zombie exists for kill (POSIX: success, nothing happens).
        if !known {
            return Err(ProcError::NoProcess);
        }
        Ok(out)
    }

    /// Every live process but `except` (the root ending takes its family with it).
    pub fn live_except(&self, except: u32) -> Vec<Arc<Process>> {
        self.slots()
            .iter()
            .filter(|(p, _)| **p != except)
            .filter_map(|(_, s)| match &s.state {
                State::Live(w) => w.upgrade(),
                _ => None,
            })
            .collect()
    }

    /// Processes alive or unjoined (for tests and the limit).
    pub fn count(&self) -> usize {
        self.slots().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cli::Cli;
    use crate::core::fds::FdTable;
    use crate::core::sockets::Network;

    fn root() -> Arc<Process> {
        let p = Arc::new(Process::new(
            Cli::default(),
            FdTable::default(),
            Network::disabled(),
        ));
        p.family.attach(ROOT_PID, &p);
        p
    }

    fn child_of(parent: &Arc<Process>) -> Arc<Process> {
        let pid = parent.family.reserve(parent.pid).unwrap();
        let c = Arc::new(parent.fork_copy(pid));
        parent.family.attach(pid, &c);
        c
    }

    #[test]
    fn reserve_stops_at_the_limit_and_release_frees() {
        let r = root();
        r.family.set_limit(3);
        let a = r.family.reserve(1).unwrap();
        let _b = r.family.reserve(1).unwrap();
        assert_eq!(r.family.reserve(1), Err(ProcError::Again));
        r.family.release(a);
        assert!(r.family.reserve(1).is_ok());
    }

    #[test]
    fn zombies_wait_for_their_parent_and_join_takes_them_once() {
        let r = root();
        let c = child_of(&r);
        assert_eq!(r.family.try_join(1, Which::Pid(c.pid)), Ok(None));
        assert_eq!(r.family.try_join(1, Which::Any), Ok(None));
        let before = r.child_events.load(Ordering::SeqCst);
        r.family.exit(c.pid, Status::Exited(7));
        assert_eq!(r.child_events.load(Ordering::SeqCst), before + 1);
        assert_eq!(
            r.family.try_join(1, Which::Any),
            Ok(Some((c.pid, Status::Exited(7))))
        );
        assert_eq!(r.family.try_join(1, Which::Any), Err(ProcError::NoChild));
        assert_eq!(
            r.family.try_join(1, Which::Pid(c.pid)),
            Err(ProcError::NoChild)
        );
    }

    #[test]
    fn a_pid_that_is_not_a_child_is_no_child() {
        let r = root();
        let c = child_of(&r);
        let g = child_of(&c);
        assert_eq!(
            r.family.try_join(1, Which::Pid(g.pid)),
            Err(ProcError::NoChild)
        );
        assert_eq!(
            r.family.try_join(c.pid, Which::Pid(1)),
            Err(ProcError::NoChild)
        );
        assert_eq!(r.family.parent(g.pid), Some(c.pid));
        assert_eq!(r.family.parent(1), Some(0));
        assert_eq!(r.family.parent(4242), None);
    }

    #[test]
    fn orphans_are_reparented_and_never_joined() {
        let r = root();
        let c = child_of(&r);
        let g = child_of(&c);
        r.family.exit(c.pid, Status::Exited(0));
        assert_eq!(r.family.parent(g.pid), Some(ROOT_PID));
        // The root's wait sees its own child, not the orphan.
        assert_eq!(
            r.family.try_join(1, Which::Any),
            Ok(Some((c.pid, Status::Exited(0))))
        );
        assert_eq!(r.family.try_join(1, Which::Any), Err(ProcError::NoChild));
        r.family.exit(g.pid, Status::Signaled(9));
        assert_eq!(r.family.count(), 1, "the orphan is gone when it ends");
    }

    #[test]
    fn kill_targets_by_pid_group_and_all() {
        let r = root();
        let a = child_of(&r);
        let b = child_of(&r);
        let pids = |v: Vec<Arc<Process>>| {
            let mut p: Vec<u32> = v.iter().map(|p| p.pid).collect();
            p.sort();
            p
        };
        assert_eq!(pids(r.family.targets(1, a.pid as i32).unwrap()), [a.pid]);
        assert_eq!(pids(r.family.targets(1, 0).unwrap()), [1, a.pid, b.pid]);
        assert_eq!(pids(r.family.targets(a.pid, -1).unwrap()), [b.pid]);
        assert_eq!(pids(r.family.targets(1, -1).unwrap()), [a.pid, b.pid]);
        assert_eq!(
            r.family.targets(1, 9999).map(pids),
            Err(ProcError::NoProcess)
        );
        assert_eq!(
            r.family.targets(1, -9999).map(pids),
            Err(ProcError::NoProcess)
        );
        // A zombie still exists for kill (nothing to signal).
        r.family.exit(b.pid, Status::Exited(0));
        assert_eq!(
            pids(r.family.targets(1, b.pid as i32).unwrap()),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn a_parent_gone_first_leaves_no_zombie() {
        let r = root();
        let c = child_of(&r);
        let g = child_of(&c);
        drop(c);
        // The child's process object is gone (it ended without reporting): its own child
        // exits into nobody's wait.
        r.family.exit(g.pid, Status::Exited(1));
        assert_eq!(r.family.parent(g.pid), None);
    }
}
