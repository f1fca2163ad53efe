//! epoll_create / epoll_ctl / epoll_wait. An epoll fd keeps an interest list; waiting turns
//! it into pollables (the same readiness as poll_oneoff) and the core `poll` does the rest.
//! Level-triggered: `epollet` is accepted and behaves as level (a valid, if busier,
//! reading of edge semantics); `epolloneshot` disarms the entry after one report.

use crate::core::clocks;
use crate::core::epoll::{Epoll, Interest};
use crate::core::fds::{rights, FdEntry, FdKind};
use crate::core::io::poll::{poll_into, ready_now, Pollable, ReadyList};
use crate::witx::env::{run, run_blocking, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::fd::entry;
use smallvec::SmallVec;

/// Up to this many interests (and ready events) are handled without a heap allocation.
const INLINE: usize = 8;
use crate::guest::MemSize;
use std::sync::Arc;
use wasmer::FunctionEnvMut;

pub const EPOLLIN: u32 = 1;
pub const EPOLLOUT: u32 = 2;
pub const EPOLLRDHUP: u32 = 4;
pub const EPOLLPRI: u32 = 8;
pub const EPOLLERR: u32 = 16;
pub const EPOLLHUP: u32 = 32;
pub const EPOLLET: u32 = 64;
pub const EPOLLONESHOT: u32 = 128;
const KNOWN: u32 = 255;

/// `epoll_event`: `events` (u32) then `epoll_data` at 8; the data's 24 bytes are the
/// guest's and are handed back untouched (so 32- and 64-bit layouts both work).
const EVENT_SIZE: u64 = 32;

pub fn epoll_create<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "epoll_create", [out], |c| {
        c.mem.check_range(out, 4)?;
        let e = FdEntry::new(
            FdKind::Epoll(Arc::new(Epoll::default())),
            rights::POLL_FD_READWRITE,
            0,
        );
        let fd = c.ctx.fds.insert(Arc::new(e))?;
        c.mem.write::<u32>(out, fd)?;
        Ok(())
    })
}

pub fn epoll_ctl<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    epfd: u32,
    op: u32,
    fd: u32,
    event: M::Offset,
) -> i32 {
    let ev = M::to_u64(event);
    run(
        &mut env,
        "epoll_ctl",
        [epfd as u64, op as u64, fd as u64, ev],
        |c| {
            let ep = entry(c, epfd)?;
            let FdKind::Epoll(ep) = &ep.kind else {
                return Err(Errno::INVAL);
            };
            // wasix-libc passes Linux's EPOLL_CTL_* numbers (add 1, del 2, mod 3) where the
            // witx enum says add 0, mod 1, del 2; like wasmer-wasix we take 0 and 1 as add.
            let op = match op {
                0 | 1 => 0,
                2 => 2,
                3 => 1,
                _ => return Err(Errno::INVAL),
            };
            let target = entry(c, fd)?;
            if fd == epfd || matches!(target.kind, FdKind::Epoll(_)) {
                return Err(Errno::INVAL);
            }
            let mut list = ep.lock();
            if op == 2 {
                return list.remove(&fd).map(|_| ()).ok_or(Errno::NOENT);
            }
            let raw = c.mem.slice(ev, EVENT_SIZE)?;
            let events = u32::from_le_bytes(raw[..4].try_into().expect("4 bytes"));
            if events & !KNOWN != 0 {
                return Err(Errno::INVAL);
            }
            let mut data = [0u8; 24];
            data.copy_from_slice(&raw[8..32]);
            match (op, list.contains_key(&fd)) {
                (0, true) => Err(Errno::EXIST),
                (1, false) => Err(Errno::NOENT),
                _ => {
                    list.insert(fd, Interest { events, data });
                    Ok(())
                }
            }
        },
    )
}

pub fn epoll_wait<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    epfd: u32,
    events: M::Offset,
    maxevents: M::Offset,
    timeout: u64,
    nevents: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (evp, max, ne) = (M::to_u64(events), M::to_u64(maxevents), M::to_u64(nevents));
    run_blocking(
        &mut env,
        "epoll_wait",
        [epfd as u64, evp, max, timeout, ne],
        |c| {
            let ep = entry(c, epfd)?;
            let FdKind::Epoll(ep) = &ep.kind else {
                return Err(Errno::INVAL);
            };
            if max == 0 {
                return Err(Errno::INVAL);
            }
            c.mem
                .check_range(evp, max.checked_mul(EVENT_SIZE).ok_or(Errno::FAULT)?)?;
            c.mem.check_range(ne, M::BYTES as u64)?;
            // One pollable per (fd, direction) of interest; closed fds drop out, as on Linux.
            let snapshot: SmallVec<[(u32, Interest); INLINE]> =
                ep.lock().iter().map(|(k, v)| (*k, *v)).collect();
            let mut items: SmallVec<[(u32, u32, crate::core::fds::Readiness); INLINE]> =
                SmallVec::new();
            for (fd, i) in &snapshot {
                let Ok(e) = c.ctx.fds.get(*fd) else { continue };
                if i.events & (EPOLLIN | EPOLLRDHUP | EPOLLPRI) != 0 {
                    items.push((*fd, EPOLLIN, e.kind.readiness(false)));
                }
                if i.events & EPOLLOUT != 0 {
                    items.push((*fd, EPOLLOUT, e.kind.readiness(true)));
                }
            }
            // u64::MAX (and anything absurdly large) is "no timeout"; 0 only looks.
            let deadline = (timeout < u64::MAX / 2).then(|| clocks::subscribe_duration(timeout));
            let mut list: SmallVec<[&dyn Pollable; INLINE]> =
                items.iter().map(|(_, _, r)| r as &dyn Pollable).collect();
            if let Some(d) = &deadline {
                list.push(d);
            }
            let mut ready = ReadyList::new();
            if timeout == 0 || list.is_empty() {
                ready_now(&list, &mut ready);
            } else {
                poll_into(&list, &mut ready);
                if ready.is_empty() {
                    return Err(Errno::INTR);
                }
            }
            // Merge directions per fd, in interest order.
            let mut out: SmallVec<[(u32, u32); INLINE]> = SmallVec::new();
            for k in ready {
                let Some((fd, bit, _)) = items.get(k as usize) else {
                    continue;
                };
                match out.iter_mut().find(|(f, _)| f == fd) {
                    Some((_, b)) => *b |= bit,
                    None => out.push((*fd, *bit)),
                }
            }
            // One short critical section: re-check each ready fd against its interest as it
            // is now (another thread may have modified it, or disarmed a oneshot it already
            // reported, while we waited without the lock), disarm oneshots, and build the
            // records; guest memory is written after the lock is released.
            let mut records: SmallVec<[[u8; EVENT_SIZE as usize]; INLINE]> = SmallVec::new();
            {
                let mut list = ep.lock();
                for (fd, bits) in &out {
                    if records.len() as u64 == max {
                        break;
                    }
                    let Some(i) = list.get_mut(fd) else { continue };
                    let mut report = bits & i.events;
                    if report == 0 {
                        continue;
                    }
                    // A peer that hung up is always reported (as Linux does), rdhup when asked.
                    if let Ok(FdKind::Socket(s)) = c.ctx.fds.get(*fd).as_deref().map(|e| &e.kind) {
                        if s.hung_up() {
                            report |= EPOLLHUP | (i.events & EPOLLRDHUP);
                        }
                    }
                    let mut rec = [0u8; EVENT_SIZE as usize];
                    rec[..4].copy_from_slice(&report.to_le_bytes());
                    rec[8..32].copy_from_slice(&i.data);
                    records.push(rec);
                    if i.events & EPOLLONESHOT != 0 {
                        i.events = 0;
                    }
                }
            }
            for (k, rec) in records.iter().enumerate() {
                c.mem
                    .copy_out(evp + k as u64 * EVENT_SIZE, EVENT_SIZE, rec)?;
            }
            c.mem.write_off::<M>(ne, records.len() as u64)?;
            Ok(())
        },
    )
}
