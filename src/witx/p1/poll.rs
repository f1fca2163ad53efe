//! poll_oneoff: clock subscriptions become deadlines, fd subscriptions become the fd's
//! pollable, and the core `poll` waits for the first of them. Files are always ready;
//! a bad fd yields an event carrying the error instead of failing the whole call.

use crate::core::clocks::{self, ClockId};
use crate::core::fds::{FdEntry, FdKind, Readiness};
use crate::core::fs::Whence;
use crate::core::io::poll::{poll_into, ready_now, Deadline, Pollable, ReadyList};
use crate::witx::env::{run, run_blocking, Call, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::proc::clock_id;
use smallvec::SmallVec;

/// Up to this many subscriptions are handled without a heap allocation.
const INLINE: usize = 8;
use crate::guest::types::{Event, Subscription, Subscription0};
use crate::guest::{GuestMem, MemSize};
use std::sync::Arc;
use wasmer::FunctionEnvMut;

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCK_ABSTIME: u16 = 1;
const EVENTRWFLAGS_HANGUP: u16 = 1;

/// One decoded subscription (layout-independent).
struct Sub {
    userdata: u64,
    tag: u8,
    clock_id: u32,
    timeout: u64,
    flags: u16,
    fd: u32,
}

enum Waiting {
    Timer(Deadline),
    Fd(Arc<FdEntry>, Readiness),
}

impl Waiting {
    fn pollable(&self) -> &dyn Pollable {
        match self {
            Waiting::Timer(d) => d,
            Waiting::Fd(_, r) => r,
        }
    }
}

/// `offset`: the process's realtime offset (an absolute realtime timeout is in its time).
/// `pinned`: the pinned clock's current reading (`--fake-clock`), which every clock reads.
fn deadline(
    id: ClockId,
    timeout: u64,
    flags: u16,
    offset: i64,
    pinned: Option<u64>,
) -> Result<Deadline, Errno> {
    if flags & SUBCLOCK_ABSTIME == 0 {
        return Ok(clocks::subscribe_duration(timeout));
    }
    if let Some(now) = pinned {
        clocks::now(id)?;
        return Ok(clocks::subscribe_duration(timeout.saturating_sub(now)));
    }
    Ok(match id {
        ClockId::Monotonic => clocks::subscribe_instant(timeout),
        ClockId::Realtime => clocks::deadline_for(id, timeout.wrapping_sub(offset as u64))?,
        other => clocks::deadline_for(other, timeout)?,
    })
}

/// Bytes readable now, where known (files: size - position).
fn nbytes(e: &FdEntry, read: bool) -> u64 {
    match &e.kind {
        FdKind::File(f) if read => {
            let size = f.stat().map(|s| s.size).unwrap_or(0);
            let pos = f.seek(0, Whence::Cur).unwrap_or(0);
            size.saturating_sub(pos)
        }
        FdKind::Input(s) if read => s.nbytes().unwrap_or(0),
        FdKind::Output(s) if !read => s.check_write().map(|n| n as u64).unwrap_or(0),
        FdKind::Socket(s) if read => s.readable_bytes(),
        FdKind::Event(ev) if read => ev.count().min(1) * 8,
        _ => 0,
    }
}

fn poll_common(
    c: &Call<'_>,
    subs: &[Sub],
    out: u64,
    nevents: u64,
    write_n: impl Fn(&GuestMem<'_>, u64, u64) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let ev_size = std::mem::size_of::<Event>() as u64;
    c.mem.check_range(out, subs.len() as u64 * ev_size)?;
    let mut events: SmallVec<[Event; INLINE]> = SmallVec::new();
    let mut waiting: SmallVec<[(usize, Waiting); INLINE]> = SmallVec::with_capacity(subs.len());
    let event = |s: &Sub, error: Errno| Event {
        userdata: s.userdata,
        error: error.0,
        type_: s.tag,
        ..Default::default()
    };
    for (i, s) in subs.iter().enumerate() {
        match s.tag {
            EVENTTYPE_CLOCK => {
                let offset = c
                    .ctx
                    .realtime_offset
                    .load(std::sync::atomic::Ordering::Relaxed);
                let pinned = c.ctx.pinned.as_ref().and_then(|p| p.clock_peek());
                match clock_id(s.clock_id)
                    .and_then(|id| deadline(id, s.timeout, s.flags, offset, pinned))
                {
                    Ok(d) => waiting.push((i, Waiting::Timer(d))),
                    Err(e) => events.push(event(s, e)),
                }
            }
            EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => match c.ctx.fds.get(s.fd) {
                Ok(e) if matches!(e.kind, FdKind::Dir(_) | FdKind::Epoll(_)) => {
                    events.push(event(s, Errno::BADF))
                }
                Ok(e) => {
                    let r = e.kind.readiness(s.tag == EVENTTYPE_FD_WRITE);
                    waiting.push((i, Waiting::Fd(e, r)))
                }
                Err(_) => events.push(event(s, Errno::BADF)),
            },
            _ => return Err(Errno::INVAL),
        }
    }
    // Errors are events already: then only report what is ready right now.
    let list: SmallVec<[&dyn Pollable; INLINE]> =
        waiting.iter().map(|(_, w)| w.pollable()).collect();
    let mut ready = ReadyList::new();
    if events.is_empty() {
        poll_into(&list, &mut ready);
        if ready.is_empty() && !list.is_empty() {
            return Err(Errno::INTR);
        }
    } else {
        ready_now(&list, &mut ready);
    }
    for r in ready {
        let (i, w) = &waiting[r as usize];
        let s = &subs[*i];
        let mut ev = event(s, Errno::SUCCESS);
        if let Waiting::Fd(e, _) = w {
            ev.nbytes = nbytes(e, s.tag == EVENTTYPE_FD_READ);
            if let FdKind::Socket(sock) = &e.kind {
                if sock.hung_up() {
                    ev.flags = EVENTRWFLAGS_HANGUP;
                }
            }
        }
        events.push(ev);
    }
    for (k, ev) in events.iter().enumerate() {
        c.mem.write(out + k as u64 * ev_size, *ev)?;
    }
    write_n(&c.mem, nevents, events.len() as u64)
}

fn read_subs<T: bytemuck::Pod>(
    mem: &GuestMem<'_>,
    at: u64,
    n: u64,
    conv: impl Fn(T) -> Sub,
) -> Result<SmallVec<[Sub; INLINE]>, Errno> {
    let size = std::mem::size_of::<T>() as u64;
    mem.check_range(at, n.checked_mul(size).ok_or(Errno::FAULT)?)?;
    (0..n)
        .map(|i| Ok(conv(mem.read::<T>(at + i * size)?)))
        .collect()
}

pub fn poll_oneoff<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    inp: M::Offset,
    out: M::Offset,
    n: M::Offset,
    nevents: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (inp, out, n, ne) = (
        M::to_u64(inp),
        M::to_u64(out),
        M::to_u64(n),
        M::to_u64(nevents),
    );
    run_blocking(&mut env, "poll_oneoff", [inp, out, n, ne], |c| {
        if n == 0 {
            return Err(Errno::INVAL);
        }
        c.mem.check_range(ne, M::BYTES as u64)?;
        let subs = read_subs(&c.mem, inp, n, |s: Subscription| Sub {
            userdata: s.userdata,
            tag: s.tag,
            clock_id: s.clock_id_or_fd,
            timeout: s.timeout,
            flags: s.flags,
            fd: s.clock_id_or_fd,
        })?;
        poll_common(c, &subs, out, ne, |m, at, v| Ok(m.write_off::<M>(at, v)?))
    })
}

/// wasi_unstable: 56-byte subscriptions (the clock case has its own identifier).
pub fn poll_oneoff_unstable(
    mut env: FunctionEnvMut<WasiEnv>,
    inp: u32,
    out: u32,
    n: u32,
    nevents: u32,
) -> i32 {
    let (inp, out, n, ne) = (inp as u64, out as u64, n as u64, nevents as u64);
    run(&mut env, "poll_oneoff", [inp, out, n, ne], |c| {
        if n == 0 {
            return Err(Errno::INVAL);
        }
        c.mem.check_range(ne, 4)?;
        let subs = read_subs(&c.mem, inp, n, |s: Subscription0| Sub {
            userdata: s.userdata,
            tag: s.tag,
            clock_id: s.clock_id,
            timeout: s.timeout,
            flags: s.flags,
            fd: s.identifier_or_fd as u32,
        })?;
        poll_common(c, &subs, out, ne, |m, at, v| {
            Ok(m.write::<u32>(at, v as u32)?)
        })
    })
}
