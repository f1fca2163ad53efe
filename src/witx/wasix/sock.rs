//! Socket imports: preview1's four (sock_accept, sock_recv, sock_send, sock_shutdown) and
//! the WASIX set, all thin translations onto `core::sockets`. Addresses use the witx
//! layouts (`guest::addr`); networking disabled for the instance answers `acces`.

use crate::core::fds::{rights, FdEntry, FdKind};
use crate::core::sockets::{Family, Kind, Socket, Status};
use crate::guest::addr::{self, AddrError};
use crate::guest::MemSize;
use crate::witx::env::{run, run_blocking, Call, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::fd::{entry, fdflags};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use wasmer::FunctionEnvMut;

const RECV_PEEK: u32 = 1;
const RECV_WAITALL: u32 = 2;
const RECV_DONT_WAIT: u32 = 8;
const SEND_DONT_WAIT: u32 = 1;
/// roflags: the datagram did not fit (preview1's bit).
const RECV_DATA_TRUNCATED: u16 = 1;
const SHUT_RD: u32 = 1;
const SHUT_WR: u32 = 2;

impl From<AddrError> for Errno {
    fn from(e: AddrError) -> Errno {
        match e {
            AddrError::Mem(m) => m.into(),
            AddrError::BadTag => Errno::INVAL,
            AddrError::Family => Errno::AFNOSUPPORT,
        }
    }
}

fn socket(c: &Call<'_>, fd: u32) -> Result<(Arc<FdEntry>, Arc<Socket>), Errno> {
    let e = entry(c, fd)?;
    let s = e.as_socket()?.clone();
    Ok((e, s))
}

fn insert_socket(c: &Call<'_>, s: Socket, flags: u16) -> Result<u32, Errno> {
    let e = FdEntry::new(FdKind::Socket(Arc::new(s)), rights::SOCKET, 0);
    e.fdflags
        .store((flags & fdflags::NONBLOCK) as u64, Ordering::Relaxed);
    Ok(c.ctx.fds.insert(Arc::new(e))?)
}

/// Accepts one connection: blocking per the *listener's* nonblock flag; `flags` (nonblock
/// only) apply to the new socket, like accept4.
fn accept(c: &Call<'_>, fd: u32, flags: u32) -> Result<(u32, SocketAddr), Errno> {
    let (e, s) = socket(c, fd)?;
    if flags & !(fdflags::NONBLOCK as u32) != 0 {
        return Err(Errno::INVAL);
    }
    e.need(rights::SOCK_ACCEPT)?;
    let (new, peer) = s.accept(e.nonblocking())?;
    Ok((insert_socket(c, new, flags as u16)?, peer))
}

/// preview1 form: `(fd, flags, ro_fd)`.
pub fn sock_accept<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    flags: u32,
    out: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let out = M::to_u64(out);
    run_blocking(
        &mut env,
        "sock_accept",
        [fd as u64, flags as u64, out],
        |c| {
            socket(c, fd)?;
            c.mem.check_range(out, 4)?;
            let (new, _) = accept(c, fd, flags)?;
            c.mem.write::<u32>(out, new)?;
            Ok(())
        },
    )
}

/// WASIX form (also what wasmer registers as `sock_accept` in the wasix namespaces):
/// `(fd, flags, ro_fd, ro_addr)`.
pub fn sock_accept_v2<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    flags: u32,
    out: M::Offset,
    out_addr: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (out, oa) = (M::to_u64(out), M::to_u64(out_addr));
    run_blocking(
        &mut env,
        "sock_accept_v2",
        [fd as u64, flags as u64, out, oa],
        |c| {
            socket(c, fd)?;
            c.mem.check_range(out, 4)?;
            c.mem.check_range(oa, addr::ADDR_SIZE)?;
            let (new, peer) = accept(c, fd, flags)?;
            c.mem.write::<u32>(out, new)?;
            addr::write_addr_port(&c.mem, oa, &peer)?;
            Ok(())
        },
    )
}

/// Receives into the iovecs; `waitall` keeps reading until they are full or the stream
/// ends (a nonblocking receive: until nothing more is there). Returns the count and whether
/// a datagram was truncated.
fn recv_into<M: MemSize>(
    c: &Call<'_>,
    e: &FdEntry,
    s: &Socket,
    iovs: u64,
    n: u64,
    flags: u32,
) -> Result<(usize, bool), Errno> {
    if flags & !(RECV_PEEK | RECV_WAITALL | RECV_DONT_WAIT) != 0 {
        return Err(Errno::INVAL);
    }
    let peek = flags & RECV_PEEK != 0;
    let nb = e.nonblocking() || flags & RECV_DONT_WAIT != 0;
    c.mem
        .with_iovecs::<M, _>(iovs, n, |bufs| -> Result<(usize, bool), Errno> {
            let (mut total, truncated) = s.recv_flagged(bufs, peek, nb)?;
            if flags & RECV_WAITALL == 0 || peek || s.kind == Kind::Dgram {
                return Ok((total, truncated));
            }
            let want: usize = bufs.iter().map(|b| b.len()).sum();
            while total < want {
                // Continue into the unfilled part.
                let mut skip = total;
                let mut rest: Vec<std::io::IoSliceMut<'_>> = Vec::new();
                for b in bufs.iter_mut() {
                    if skip >= b.len() {
                        skip -= b.len();
                    } else {
                        rest.push(std::io::IoSliceMut::new(&mut b[skip..]));
                        skip = 0;
                    }
                }
                // An error or interrupt after some data returns what arrived (POSIX); the
                // bytes already taken off the socket are never dropped. A nonblocking
                // receive (O_NONBLOCK or MSG_DONTWAIT) takes only what is there: WAITALL
                // does not make it block (as on Linux).
                match s.recv(&mut rest, false, nb) {
                    Ok(0) => break,
                    Ok(k) => total += k,
                    Err(_) if total > 0 => break,
                    Err(e) => return Err(e.into()),
                }
            }
            Ok((total, false))
        })?
}

#[allow(clippy::too_many_arguments)]
pub fn sock_recv<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    iovs: M::Offset,
    n: M::Offset,
    flags: u32,
    ro_len: M::Offset,
    ro_flags: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (iovs, n, rl, rf) = (
        M::to_u64(iovs),
        M::to_u64(n),
        M::to_u64(ro_len),
        M::to_u64(ro_flags),
    );
    run_blocking(
        &mut env,
        "sock_recv",
        [fd as u64, iovs, n, flags as u64, rl, rf],
        |c| {
            let e = entry(c, fd)?;
            if !matches!(e.kind, FdKind::Socket(_) | FdKind::Duplex(_, _, true)) {
                return Err(Errno::NOTSOCK);
            }
            c.mem.check_range(rl, M::BYTES as u64)?;
            c.mem.check_range(rf, 2)?;
            let (got, truncated) = match &e.kind {
                FdKind::Socket(s) => recv_into::<M>(c, &e, s, iovs, n, flags)?,
                // A sock_pair end is an in-memory stream: recv is a read (socketpair).
                FdKind::Duplex(i, _, _) => {
                    let nb = e.nonblocking() || flags & RECV_DONT_WAIT != 0;
                    (
                        crate::witx::fd::read_stream::<M>(c, &**i, nb, iovs, n)?,
                        false,
                    )
                }
                _ => unreachable!("checked above"),
            };
            c.mem.write_off::<M>(rl, got as u64)?;
            c.mem
                .write::<u16>(rf, if truncated { RECV_DATA_TRUNCATED } else { 0 })?;
            Ok(())
        },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn sock_recv_from<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    iovs: M::Offset,
    n: M::Offset,
    flags: u32,
    ro_len: M::Offset,
    ro_flags: M::Offset,
    ro_addr: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (iovs, n, rl, rf, ra) = (
        M::to_u64(iovs),
        M::to_u64(n),
        M::to_u64(ro_len),
        M::to_u64(ro_flags),
        M::to_u64(ro_addr),
    );
    run_blocking(
        &mut env,
        "sock_recv_from",
        [fd as u64, iovs, n, flags as u64, rl, rf, ra],
        |c| {
            let (e, s) = socket(c, fd)?;
            if flags & !(RECV_PEEK | RECV_WAITALL | RECV_DONT_WAIT) != 0 {
                return Err(Errno::INVAL);
            }
            c.mem.check_range(rl, M::BYTES as u64)?;
            c.mem.check_range(rf, 2)?;
            c.mem.check_range(ra, addr::ADDR_SIZE)?;
            let nb = e.nonblocking() || flags & RECV_DONT_WAIT != 0;
            let (got, from, truncated) = c
                .mem
                .with_iovecs::<M, _>(iovs, n, |b| s.recv_from(b, flags & RECV_PEEK != 0, nb))??;
            c.mem.write_off::<M>(rl, got as u64)?;
            c.mem
                .write::<u16>(rf, if truncated { RECV_DATA_TRUNCATED } else { 0 })?;
            addr::write_addr_port(&c.mem, ra, &from)?;
            Ok(())
        },
    )
}

pub fn sock_send<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    iovs: M::Offset,
    n: M::Offset,
    flags: u32,
    so_len: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (iovs, n, sl) = (M::to_u64(iovs), M::to_u64(n), M::to_u64(so_len));
    run_blocking(
        &mut env,
        "sock_send",
        [fd as u64, iovs, n, flags as u64, sl],
        |c| {
            let e = entry(c, fd)?;
            if !matches!(e.kind, FdKind::Socket(_) | FdKind::Duplex(_, _, true)) {
                return Err(Errno::NOTSOCK);
            }
            if flags & !SEND_DONT_WAIT != 0 {
                return Err(Errno::INVAL);
            }
            c.mem.check_range(sl, M::BYTES as u64)?;
            let nb = e.nonblocking() || flags & SEND_DONT_WAIT != 0;
            let put = match &e.kind {
                FdKind::Duplex(_, o, _) => {
                    crate::witx::fd::write_stream::<M>(c, &**o, nb, iovs, n)?
                }
                FdKind::Socket(s) => c.mem.with_ciovecs::<M, _>(iovs, n, |b| s.send(b, nb))??,
                _ => unreachable!("checked above"),
            };
            c.mem.write_off::<M>(sl, put as u64)?;
            Ok(())
        },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn sock_send_to<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    iovs: M::Offset,
    n: M::Offset,
    flags: u32,
    to: M::Offset,
    so_len: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (iovs, n, to, sl) = (
        M::to_u64(iovs),
        M::to_u64(n),
        M::to_u64(to),
        M::to_u64(so_len),
    );
    run_blocking(
        &mut env,
        "sock_send_to",
        [fd as u64, iovs, n, flags as u64, to, sl],
        |c| {
            let (e, s) = socket(c, fd)?;
            if flags & !SEND_DONT_WAIT != 0 {
                return Err(Errno::INVAL);
            }
            c.mem.check_range(sl, M::BYTES as u64)?;
            let dest = addr::read_addr_port(&c.mem, to)?;
            let nb = e.nonblocking() || flags & SEND_DONT_WAIT != 0;
            let put = c
                .mem
                .with_ciovecs::<M, _>(iovs, n, |b| s.send_to(b, dest, nb))??;
            c.mem.write_off::<M>(sl, put as u64)?;
            Ok(())
        },
    )
}

/// Copies `count` bytes of a file from `offset` to a socket (the file offset is untouched).
pub fn sock_send_file<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    out_fd: u32,
    in_fd: u32,
    offset: u64,
    count: u64,
    sent: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let sent = M::to_u64(sent);
    run_blocking(
        &mut env,
        "sock_send_file",
        [out_fd as u64, in_fd as u64, offset, count, sent],
        |c| {
            let (e, s) = socket(c, out_fd)?;
            c.mem.check_range(sent, 8)?;
            let src = entry(c, in_fd)?;
            let FdKind::File(f) = &src.kind else {
                return Err(Errno::BADF);
            };
            src.need(rights::FD_READ).map_err(|_| Errno::BADF)?;
            let mut buf = vec![0u8; (count.min(64 * 1024)) as usize];
            let mut done = 0u64;
            while done < count {
                let want = (count - done).min(buf.len() as u64) as usize;
                let got = f.pread_vectored(
                    &mut [std::io::IoSliceMut::new(&mut buf[..want])],
                    offset + done,
                )?;
                if got == 0 {
                    break;
                }
                let mut off = 0;
                while off < got {
                    match s.send(&[std::io::IoSlice::new(&buf[off..got])], e.nonblocking()) {
                        // No progress (the socket takes nothing more): report what went out
                        // instead of asking again forever.
                        Ok(0) => break,
                        Ok(k) => off += k,
                        // A full nonblocking socket (or an interrupt) after some bytes went
                        // out: report exactly those, as sendfile(2) does; none is lost.
                        Err(_) if done + off as u64 > 0 => break,
                        Err(e) => return Err(e.into()),
                    }
                }
                done += off as u64;
                if off < got {
                    break;
                }
            }
            c.mem.write::<u64>(sent, done)?;
            Ok(())
        },
    )
}

pub fn sock_shutdown(mut env: FunctionEnvMut<WasiEnv>, fd: u32, how: u32) -> i32 {
    run(&mut env, "sock_shutdown", [fd as u64, how as u64], |c| {
        let e = entry(c, fd)?;
        if how == 0 || how & !(SHUT_RD | SHUT_WR) != 0 {
            return Err(Errno::INVAL);
        }
        let s = e.as_socket()?;
        e.need(rights::SOCK_SHUTDOWN)?;
        Ok(s.shutdown(how & SHUT_RD != 0, how & SHUT_WR != 0)?)
    })
}

pub fn sock_open<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    af: u32,
    ty: u32,
    proto: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "sock_open",
        [af as u64, ty as u64, proto as u64, out],
        |c| {
            let family = match af as u8 {
                _ if af > 255 => return Err(Errno::INVAL),
                addr::AF_INET4 => Family::Inet4,
                addr::AF_INET6 => Family::Inet6,
                addr::AF_UNIX => return Err(Errno::AFNOSUPPORT),
                _ => return Err(Errno::INVAL),
            };
            // sock_type: stream 1, dgram 2, raw 3, seqpacket 4. sock_proto: ip 0, tcp 6, udp 17.
            let kind = match (ty, proto) {
                (1, 0 | 6) => Kind::Stream,
                (2, 0 | 17) => Kind::Dgram,
                (1 | 2, p) if p < 256 => return Err(Errno::PROTONOSUPPORT),
                (3 | 4, _) => return Err(Errno::NOTSUP),
                _ => return Err(Errno::INVAL),
            };
            c.mem.check_range(out, 4)?;
            let s = Socket::new(c.ctx.net.clone(), family, kind)?;
            let fd = insert_socket(c, s, 0)?;
            c.mem.write::<u32>(out, fd)?;
            Ok(())
        },
    )
}

/// A connected pair of in-memory stream sockets (AF_UNIX socketpair).
pub fn sock_pair<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    af: u32,
    ty: u32,
    proto: u32,
    o1: M::Offset,
    o2: M::Offset,
) -> i32 {
    let (o1, o2) = (M::to_u64(o1), M::to_u64(o2));
    run(
        &mut env,
        "sock_pair",
        [af as u64, ty as u64, proto as u64, o1, o2],
        |c| {
            if af > 3 || af == 0 {
                return Err(Errno::INVAL);
            }
            match ty {
                1 => {}
                2..=4 => return Err(Errno::NOTSUP),
                _ => return Err(Errno::INVAL),
            }
            // wasix-libc asks for tcp (6) explicitly for a stream pair; udp (17) cannot
            // carry a stream (as wasmer-wasix says, `notsup`).
            match proto {
                0 | 6 => {}
                17 => return Err(Errno::NOTSUP),
                _ => return Err(Errno::PROTONOSUPPORT),
            }
            crate::witx::fdx::insert_duplex_pair(c, o1, o2, true)
        },
    )
}

pub fn sock_bind<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    a: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let a = M::to_u64(a);
    run_blocking(&mut env, "sock_bind", [fd as u64, a], |c| {
        let (_, s) = socket(c, fd)?;
        let sa = addr::read_addr_port(&c.mem, a)?;
        Ok(s.bind(sa)?)
    })
}

pub fn sock_listen<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    backlog: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let b = M::to_u64(backlog);
    run_blocking(&mut env, "sock_listen", [fd as u64, b], |c| {
        let (_, s) = socket(c, fd)?;
        Ok(s.listen(b.min(u32::MAX as u64) as u32)?)
    })
}

pub fn sock_connect<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    a: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let a = M::to_u64(a);
    run_blocking(&mut env, "sock_connect", [fd as u64, a], |c| {
        let (e, s) = socket(c, fd)?;
        let sa = addr::read_addr_port(&c.mem, a)?;
        Ok(s.connect(sa, e.nonblocking())?)
    })
}

pub fn sock_status<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, fd: u32, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "sock_status", [fd as u64, out], |c| {
        let (_, s) = socket(c, fd)?;
        let v: u8 = match s.status() {
            Status::Opening => 0,
            Status::Opened => 1,
            Status::Closed => 2,
            Status::Failed => 3,
        };
        c.mem.write::<u8>(out, v)?;
        Ok(())
    })
}

pub fn sock_addr_local<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "sock_addr_local", [fd as u64, out], |c| {
        let (_, s) = socket(c, fd)?;
        c.mem.check_range(out, addr::ADDR_SIZE)?;
        Ok(addr::write_addr_port(&c.mem, out, &s.addr_local()?)?)
    })
}

pub fn sock_addr_peer<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "sock_addr_peer", [fd as u64, out], |c| {
        let (_, s) = socket(c, fd)?;
        c.mem.check_range(out, addr::ADDR_SIZE)?;
        Ok(addr::write_addr_port(&c.mem, out, &s.addr_peer()?)?)
    })
}

// sock_option numbers (witx enum order).
const OPT_REUSE_PORT: u32 = 1;
const OPT_REUSE_ADDR: u32 = 2;
const OPT_NO_DELAY: u32 = 3;
const OPT_DONT_ROUTE: u32 = 4;
const OPT_ONLY_V6: u32 = 5;
const OPT_BROADCAST: u32 = 6;
const OPT_MULTICAST_LOOP_V4: u32 = 7;
const OPT_MULTICAST_LOOP_V6: u32 = 8;
const OPT_PROMISCUOUS: u32 = 9;
const OPT_LISTENING: u32 = 10;
const OPT_KEEP_ALIVE: u32 = 12;
const OPT_LINGER: u32 = 13;
const OPT_OOB_INLINE: u32 = 14;
const OPT_RECV_BUF_SIZE: u32 = 15;
const OPT_SEND_BUF_SIZE: u32 = 16;
const OPT_RECV_TIMEOUT: u32 = 19;
const OPT_SEND_TIMEOUT: u32 = 20;
const OPT_CONNECT_TIMEOUT: u32 = 21;
const OPT_ACCEPT_TIMEOUT: u32 = 22;
const OPT_TTL: u32 = 23;
const OPT_MULTICAST_TTL_V4: u32 = 24;
const OPT_TYPE: u32 = 25;
const OPT_PROTO: u32 = 26;
const OPT_LAST: u32 = 26;

/// The one rule for every sockopt getter and setter: an option number outside the witx
/// enum is `inval`; a known option of another kind (a time through the flag calls, say),
/// or a read-only one given to a setter, is `noprotoopt`, as POSIX setsockopt says.
fn bad_option(opt: u32) -> Errno {
    if opt > OPT_LAST {
        Errno::INVAL
    } else {
        Errno::NOPROTOOPT
    }
}

pub fn sock_set_opt_flag(mut env: FunctionEnvMut<WasiEnv>, fd: u32, opt: u32, flag: u32) -> i32 {
    run(
        &mut env,
        "sock_set_opt_flag",
        [fd as u64, opt as u64, flag as u64],
        |c| {
            let (_, s) = socket(c, fd)?;
            if flag > 1 {
                return Err(Errno::INVAL);
            }
            let on = flag == 1;
            let set: fn(&mut crate::core::sockets::Options, bool) = match opt {
                OPT_REUSE_PORT => |o, v| o.reuse_port = v,
                OPT_REUSE_ADDR => |o, v| o.reuse_addr = v,
                OPT_NO_DELAY => |o, v| o.no_delay = v,
                OPT_DONT_ROUTE => |o, v| o.dont_route = v,
                OPT_ONLY_V6 => |o, v| o.only_v6 = v,
                OPT_BROADCAST => |o, v| o.broadcast = v,
                OPT_MULTICAST_LOOP_V4 => |o, v| o.multicast_loop_v4 = v,
                OPT_MULTICAST_LOOP_V6 => |o, v| o.multicast_loop_v6 = v,
                OPT_KEEP_ALIVE => |o, v| o.keep_alive = v,
                OPT_OOB_INLINE => |o, v| o.oob_inline = v,
                OPT_PROMISCUOUS => return Err(Errno::NOTSUP),
                o => return Err(bad_option(o)),
            };
            Ok(s.set_options(|o| set(o, on))?)
        },
    )
}

pub fn sock_get_opt_flag<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    opt: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "sock_get_opt_flag",
        [fd as u64, opt as u64, out],
        |c| {
            let (_, s) = socket(c, fd)?;
            let o = s.options();
            let v = match opt {
                OPT_REUSE_PORT => o.reuse_port,
                OPT_REUSE_ADDR => o.reuse_addr,
                OPT_NO_DELAY => o.no_delay,
                OPT_DONT_ROUTE => o.dont_route,
                OPT_ONLY_V6 => o.only_v6,
                OPT_BROADCAST => o.broadcast,
                OPT_MULTICAST_LOOP_V4 => o.multicast_loop_v4,
                OPT_MULTICAST_LOOP_V6 => o.multicast_loop_v6,
                OPT_KEEP_ALIVE => o.keep_alive,
                OPT_OOB_INLINE => o.oob_inline,
                OPT_LISTENING => s.is_listening(),
                OPT_PROMISCUOUS => false,
                o => return Err(bad_option(o)),
            };
            c.mem.write::<u8>(out, v as u8)?;
            Ok(())
        },
    )
}

fn time_slot(
    o: &mut crate::core::sockets::Options,
    opt: u32,
) -> Result<&mut Option<Duration>, Errno> {
    Ok(match opt {
        OPT_RECV_TIMEOUT => &mut o.recv_timeout,
        OPT_SEND_TIMEOUT => &mut o.send_timeout,
        OPT_CONNECT_TIMEOUT => &mut o.connect_timeout,
        OPT_ACCEPT_TIMEOUT => &mut o.accept_timeout,
        OPT_LINGER => &mut o.linger,
        o => return Err(bad_option(o)),
    })
}

pub fn sock_set_opt_time<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    opt: u32,
    t: M::Offset,
) -> i32 {
    let t = M::to_u64(t);
    run(
        &mut env,
        "sock_set_opt_time",
        [fd as u64, opt as u64, t],
        |c| {
            let (_, s) = socket(c, fd)?;
            let v = addr::read_opt_ts(&c.mem, t)?.map(Duration::from_nanos);
            time_slot(&mut s.options(), opt)?;
            Ok(s.set_options(|o| {
                if let Ok(slot) = time_slot(o, opt) {
                    *slot = v;
                }
            })?)
        },
    )
}

pub fn sock_get_opt_time<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    opt: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "sock_get_opt_time",
        [fd as u64, opt as u64, out],
        |c| {
            let (_, s) = socket(c, fd)?;
            let mut o = s.options();
            let v = *time_slot(&mut o, opt)?;
            let ns = v.map(|d| d.as_nanos().min(u64::MAX as u128) as u64);
            Ok(addr::write_opt_ts(&c.mem, out, ns)?)
        },
    )
}

pub fn sock_set_opt_size(mut env: FunctionEnvMut<WasiEnv>, fd: u32, opt: u32, size: u64) -> i32 {
    run(
        &mut env,
        "sock_set_opt_size",
        [fd as u64, opt as u64, size],
        |c| {
            let (_, s) = socket(c, fd)?;
            let n = usize::try_from(size).map_err(|_| Errno::INVAL)?;
            let t = u32::try_from(size).ok();
            match opt {
                OPT_RECV_BUF_SIZE => s.set_options(|o| o.recv_buf_size = Some(n))?,
                OPT_SEND_BUF_SIZE => s.set_options(|o| o.send_buf_size = Some(n))?,
                OPT_TTL => {
                    let t = t.filter(|t| (1..=255).contains(t)).ok_or(Errno::INVAL)?;
                    s.set_options(|o| o.ttl = Some(t))?
                }
                OPT_MULTICAST_TTL_V4 => {
                    let t = t.filter(|t| *t <= 255).ok_or(Errno::INVAL)?;
                    s.set_options(|o| o.multicast_ttl_v4 = Some(t))?
                }
                OPT_TYPE | OPT_PROTO => return Err(Errno::NOPROTOOPT),
                o => return Err(bad_option(o)),
            }
            Ok(())
        },
    )
}

pub fn sock_get_opt_size<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    opt: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "sock_get_opt_size",
        [fd as u64, opt as u64, out],
        |c| {
            let (_, s) = socket(c, fd)?;
            let o = s.options();
            let v: u64 = match opt {
                OPT_RECV_BUF_SIZE => o.recv_buf_size.unwrap_or(0) as u64,
                OPT_SEND_BUF_SIZE => o.send_buf_size.unwrap_or(0) as u64,
                OPT_TTL => o.ttl.unwrap_or(64) as u64,
                OPT_MULTICAST_TTL_V4 => o.multicast_ttl_v4.unwrap_or(1) as u64,
                OPT_TYPE => match s.kind {
                    Kind::Stream => 1,
                    Kind::Dgram => 2,
                },
                OPT_PROTO => match s.kind {
                    Kind::Stream => 6,
                    Kind::Dgram => 17,
                },
                o => return Err(bad_option(o)),
            };
            c.mem.write::<u64>(out, v)?;
            Ok(())
        },
    )
}

fn multicast_v4<M: MemSize>(
    env: &mut FunctionEnvMut<WasiEnv>,
    name: &'static str,
    fd: u32,
    g: M::Offset,
    i: M::Offset,
    join: bool,
) -> i32 {
    let (g, i) = (M::to_u64(g), M::to_u64(i));
    run(env, name, [fd as u64, g, i], |c| {
        let (_, s) = socket(c, fd)?;
        let (ga, ia) = (addr::read_ip4(&c.mem, g)?, addr::read_ip4(&c.mem, i)?);
        if !ga.is_multicast() {
            return Err(Errno::INVAL);
        }
        Ok(s.multicast(ga.into(), ia.into(), 0, join)?)
    })
}

fn multicast_v6<M: MemSize>(
    env: &mut FunctionEnvMut<WasiEnv>,
    name: &'static str,
    fd: u32,
    g: M::Offset,
    iface: u32,
    join: bool,
) -> i32 {
    let g = M::to_u64(g);
    run(env, name, [fd as u64, g, iface as u64], |c| {
        let (_, s) = socket(c, fd)?;
        let ga = addr::read_ip6(&c.mem, g)?;
        if !ga.is_multicast() {
            return Err(Errno::INVAL);
        }
        Ok(s.multicast(ga.into(), ga.into(), iface, join)?)
    })
}

pub fn sock_join_multicast_v4<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    g: M::Offset,
    i: M::Offset,
) -> i32 {
    multicast_v4::<M>(&mut env, "sock_join_multicast_v4", fd, g, i, true)
}
pub fn sock_leave_multicast_v4<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    g: M::Offset,
    i: M::Offset,
) -> i32 {
    multicast_v4::<M>(&mut env, "sock_leave_multicast_v4", fd, g, i, false)
}
pub fn sock_join_multicast_v6<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    g: M::Offset,
    iface: u32,
) -> i32 {
    multicast_v6::<M>(&mut env, "sock_join_multicast_v6", fd, g, iface, true)
}
pub fn sock_leave_multicast_v6<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    g: M::Offset,
    iface: u32,
) -> i32 {
    multicast_v6::<M>(&mut env, "sock_leave_multicast_v6", fd, g, iface, false)
}

/// Resolves `host`, writing up to `naddrs` `addr_ip` entries and their count.
#[allow(clippy::too_many_arguments)]
pub fn resolve<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    host: M::Offset,
    host_len: M::Offset,
    port: u32,
    addrs: M::Offset,
    naddrs: M::Offset,
    ro_n: M::Offset,
) -> Result<i32, wasmer::RuntimeError> {
    let (h, hl, a, na, rn) = (
        M::to_u64(host),
        M::to_u64(host_len),
        M::to_u64(addrs),
        M::to_u64(naddrs),
        M::to_u64(ro_n),
    );
    run_blocking(&mut env, "resolve", [h, hl, port as u64, a, na, rn], |c| {
        let name = c.mem.str(h, hl)?;
        if port > u16::MAX as u32 {
            return Err(Errno::INVAL);
        }
        c.mem
            .check_range(a, na.checked_mul(addr::ADDR_IP_SIZE).ok_or(Errno::FAULT)?)?;
        c.mem.check_range(rn, M::BYTES as u64)?;
        let ips = c.ctx.net.resolve(name)?;
        let n = (ips.len() as u64).min(na);
        for (k, ip) in ips.iter().take(n as usize).enumerate() {
            addr::write_addr_ip(&c.mem, a + k as u64 * addr::ADDR_IP_SIZE, ip)?;
        }
        c.mem.write_off::<M>(rn, n)?;
        Ok(())
    })
}
