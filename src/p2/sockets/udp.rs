//! `wasi:sockets/{udp,udp-create-socket}`: a bound core socket and the datagram stream
//! pairs `stream` hands out. Each `stream` call starts a new pair (a new generation): the
//! pairs it replaces answer `invalid-state` from then on.
#![allow(clippy::too_many_arguments)]

use super::super::abi::{self, Env, HostResult};
use super::super::link::Mk;
use super::super::resources::{Kind, PollSource, Resource};
use super::tcp_options::hop_limit_of;
use super::SockResult;
use super::{check_local, check_remote, encode_addr, family, family_code, flat, lift_addr};
use super::{put_addr, read_addr, ready_pollable, ret, ret_size, ret_unit, size, Code};
use crate::core::io::poll::with_thread_context;
use crate::core::sockets::socket::OwnedReadiness;
use crate::core::sockets::{Kind as SockKind, Options, Socket};
use std::io::{IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

const U: &str = "wasi:sockets/udp";

/// Most datagrams one `receive` returns or one `check-send` permits.
const BATCH: u64 = 64;

/// Largest UDP payloads (IPv4 / IPv6 without jumbograms).
const MAX_V4: usize = 65_507;
const MAX_V6: usize = 65_527;

pub const FUNCS: &[(&str, &str, Mk)] = &[
    (
        "wasi:sockets/udp-create-socket",
        "create-udp-socket",
        f!(create),
    ),
    (U, "[method]udp-socket.start-bind", f!(start_bind)),
    (U, "[method]udp-socket.finish-bind", f!(finish_bind)),
    (U, "[method]udp-socket.stream", f!(stream)),
    (U, "[method]udp-socket.local-address", f!(local_address)),
    (U, "[method]udp-socket.remote-address", f!(remote_address)),
    (U, "[method]udp-socket.address-family", f!(address_family)),
    (U, "[method]udp-socket.unicast-hop-limit", f!(hop_limit)),
    (
        U,
        "[method]udp-socket.set-unicast-hop-limit",
        f!(set_hop_limit),
    ),
    (
        U,
        "[method]udp-socket.receive-buffer-size",
        f!(receive_buffer_size),
    ),
    (
        U,
        "[method]udp-socket.set-receive-buffer-size",
        f!(set_receive_buffer_size),
    ),
    (
        U,
        "[method]udp-socket.send-buffer-size",
        f!(send_buffer_size),
    ),
    (
        U,
        "[method]udp-socket.set-send-buffer-size",
        f!(set_send_buffer_size),
    ),
    (U, "[method]udp-socket.subscribe", f!(subscribe)),
    (U, "[method]incoming-datagram-stream.receive", f!(receive)),
    (
        U,
        "[method]incoming-datagram-stream.subscribe",
        f!(incoming_subscribe),
    ),
    (
        U,
        "[method]outgoing-datagram-stream.check-send",
        f!(check_send),
    ),
    (U, "[method]outgoing-datagram-stream.send", f!(send)),
    (
        U,
        "[method]outgoing-datagram-stream.subscribe",
        f!(outgoing_subscribe),
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unbound,
    /// `start-bind` is in the core.
    Binding,
    BindStarted,
    Bound,
    /// `stream` was given a remote address.
    Connected(SocketAddr),
}

/// A `udp-socket`. Lock order: `state`, then the core socket's locks.
pub struct UdpSocket {
    sock: Arc<Socket>,
    state: Mutex<State>,
    /// Bumped by each `stream` call: older stream pairs are stale.
    generation: AtomicU64,
}

impl UdpSocket {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What both halves of a pair know: their socket, generation and remote address.
struct Pair {
    udp: Arc<UdpSocket>,
    generation: u64,
    remote: Option<SocketAddr>,
}

impl Pair {
    fn live(&self) -> SockResult<()> {
        if self.udp.generation.load(Ordering::Acquire) != self.generation {
            return Err(Code::InvalidState);
        }
        Ok(())
    }
}

/// `incoming-datagram-stream`.
pub struct Incoming(Pair);

/// `outgoing-datagram-stream`, with what the last `check-send` permitted (a `send` uses
/// the permit up).
pub struct Outgoing(Pair, Mutex<Option<u64>>);

fn socket(env: &Env, h: i32) -> HostResult<Arc<UdpSocket>> {
    match abi::get(env, h, Kind::UdpSocket)? {
        Resource::UdpSocket(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

fn incoming(env: &Env, h: i32) -> HostResult<Arc<Incoming>> {
    match abi::get(env, h, Kind::IncomingDatagramStream)? {
        Resource::IncomingDatagramStream(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

fn outgoing(env: &Env, h: i32) -> HostResult<Arc<Outgoing>> {
    match abi::get(env, h, Kind::OutgoingDatagramStream)? {
        Resource::OutgoingDatagramStream(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

/// `create-udp-socket: func(address-family) -> result<udp-socket, error-code>`
fn create(mut env: Env, fam: i32, r: i32) -> HostResult<()> {
    let fam = family(&env, fam)?;
    let net = env.data().st.process.net.clone();
    let res = match Socket::new(net, fam, SockKind::Dgram) {
        Ok(s) => {
            let u = UdpSocket {
                sock: Arc::new(s),
                state: Mutex::new(State::Unbound),
                generation: AtomicU64::new(0),
            };
            Ok(abi::push(&env, Resource::UdpSocket(Arc::new(u)))? as u32)
        }
        Err(e) => Err(Code::from(e)),
    };
    ret(&mut env, r, 4, res, |a, h| a.u32(4, h))
}

/// `start-bind: func(network: borrow<network>, local-address) -> result<_, error-code>`
fn start_bind(
    mut env: Env,
    h: i32,
    n: i32,
    d: i32,
    p0: i32,
    p1: i32,
    p2: i32,
    p3: i32,
    p4: i32,
    p5: i32,
    p6: i32,
    p7: i32,
    p8: i32,
    p9: i32,
    p10: i32,
    r: i32,
) -> HostResult<()> {
    let s = socket(&env, h)?;
    super::network::network(&env, n)?;
    let addr = lift_addr(&env, flat(d, [p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10]))?;
    let res = (|| {
        check_local(s.sock.family, &addr)?;
        // Marked before the core call (which may wait, unlocked): a concurrent bind meets
        // `concurrency-conflict`; a failed one leaves the socket unbound.
        {
            let mut st = s.state();
            match *st {
                State::Unbound => *st = State::Binding,
                State::Binding | State::BindStarted => return Err(Code::ConcurrencyConflict),
                _ => return Err(Code::InvalidState),
            }
        }
        let r = s.sock.bind(addr).map_err(Code::from);
        *s.state() = if r.is_ok() {
            State::BindStarted
        } else {
            State::Unbound
        };
        r
    })();
    ret_unit(&mut env, r, res)
}

/// `finish-bind: func() -> result<_, error-code>`
fn finish_bind(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = {
        let mut st = s.state();
        match *st {
            State::BindStarted => {
                *st = State::Bound;
                Ok(())
            }
            State::Binding => Err(Code::WouldBlock),
            _ => Err(Code::NotInProgress),
        }
    };
    ret_unit(&mut env, r, res)
}

/// `%stream: func(remote-address: option<ip-socket-address>)
///   -> result<tuple<incoming-datagram-stream, outgoing-datagram-stream>, error-code>`
fn stream(
    mut env: Env,
    h: i32,
    some: i32,
    d: i32,
    p0: i32,
    p1: i32,
    p2: i32,
    p3: i32,
    p4: i32,
    p5: i32,
    p6: i32,
    p7: i32,
    p8: i32,
    p9: i32,
    p10: i32,
    r: i32,
) -> HostResult<()> {
    let s = socket(&env, h)?;
    let remote = match some {
        0 => None,
        1 => Some(lift_addr(
            &env,
            flat(d, [p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10]),
        )?),
        _ => return Err(abi::trap(&env, format!("invalid option case {some}"))),
    };
    let res = (|| {
        let mut st = s.state();
        if !matches!(*st, State::Bound | State::Connected(_)) {
            return Err(Code::InvalidState);
        }
        if let Some(a) = &remote {
            check_remote(s.sock.family, a)?;
        }
        s.sock.set_udp_peer(remote);
        *st = match remote {
            Some(a) => State::Connected(a),
            None => State::Bound,
        };
        Ok(s.generation.fetch_add(1, Ordering::AcqRel) + 1)
    })();
    let res = match res {
        Ok(generation) => {
            let pair = || Pair {
                udp: s.clone(),
                generation,
                remote,
            };
            let i = Resource::IncomingDatagramStream(Arc::new(Incoming(pair())));
            let o = Resource::OutgoingDatagramStream(Arc::new(Outgoing(pair(), Mutex::new(None))));
            Ok((abi::push(&env, i)? as u32, abi::push(&env, o)? as u32))
        }
        Err(c) => Err(c),
    };
    ret(&mut env, r, 4, res, |a, (i, o)| {
        a.u32(4, i);
        a.u32(8, o)
    })
}

/// `local-address: func() -> result<ip-socket-address, error-code>`
fn local_address(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = match *s.state() {
        State::Unbound | State::Binding | State::BindStarted => Err(Code::InvalidState),
        _ => s.sock.addr_local().map_err(Code::from),
    };
    ret(&mut env, r, 4, res, |a, v| put_addr(a, 4, &v))
}

/// `remote-address: func() -> result<ip-socket-address, error-code>`
fn remote_address(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = match *s.state() {
        State::Connected(a) => Ok(a),
        _ => Err(Code::InvalidState),
    };
    ret(&mut env, r, 4, res, |a, v| put_addr(a, 4, &v))
}

/// `address-family: func() -> ip-address-family`
fn address_family(env: Env, h: i32) -> HostResult<i32> {
    Ok(family_code(socket(&env, h)?.sock.family))
}

fn set(env: &mut Env, h: i32, r: i32, valid: bool, f: impl FnOnce(&mut Options)) -> HostResult<()> {
    let s = socket(env, h)?;
    let res = if valid {
        s.sock.set_options(f).map_err(Code::from)
    } else {
        Err(Code::InvalidArgument)
    };
    ret_unit(env, r, res)
}

fn hop_limit(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let v = hop_limit_of(&socket(&env, h)?.sock);
    ret(&mut env, r, 1, Ok(v), |a, v| a.u8(1, v))
}

fn set_hop_limit(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    let v = v as u8;
    set(&mut env, h, r, v != 0, |o| o.ttl = Some(v as u32))
}

fn receive_buffer_size(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = socket(&env, h)?.sock.buffer_size(true);
    ret_size(&mut env, r, n)
}

fn set_receive_buffer_size(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| o.recv_buf_size = Some(size(v)))
}

fn send_buffer_size(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = socket(&env, h)?.sock.buffer_size(false);
    ret_size(&mut env, r, n)
}

fn set_send_buffer_size(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| o.send_buf_size = Some(size(v)))
}

/// `subscribe: func() -> pollable`: binding completes in `start-bind`, so always ready.
fn subscribe(env: Env, h: i32) -> HostResult<i32> {
    socket(&env, h)?;
    abi::push_child(&env, Resource::Pollable(ready_pollable()), h)
}

fn readiness(sock: &Arc<Socket>, write: bool) -> PollSource {
    PollSource::Other(Arc::new(OwnedReadiness {
        sock: sock.clone(),
        write,
    }))
}

fn incoming_subscribe(env: Env, h: i32) -> HostResult<i32> {
    let s = incoming(&env, h)?;
    abi::push_child(&env, Resource::Pollable(readiness(&s.0.udp.sock, false)), h)
}

fn outgoing_subscribe(env: Env, h: i32) -> HostResult<i32> {
    let s = outgoing(&env, h)?;
    abi::push_child(&env, Resource::Pollable(readiness(&s.0.udp.sock, true)), h)
}

/// Up to `max` datagrams waiting now (from the remote address only, when there is one).
fn take_datagrams(p: &Pair, max: u64) -> SockResult<Vec<(Vec<u8>, SocketAddr)>> {
    p.live()?;
    let mut got = Vec::new();
    // The stream reads' buffer: no 64 KiB allocated and zeroed per `receive`.
    let mut buf = abi::scratch(MAX_V6);
    let mut failed = None;
    while (got.len() as u64) < max.min(BATCH) {
        match p
            .udp
            .sock
            .recv_from(&mut [IoSliceMut::new(&mut buf[..MAX_V6])], false, true)
        {
            Ok((n, from, _)) => {
                if p.remote.is_none_or(|r| r == from) {
                    got.push((buf[..n].to_vec(), from));
                }
            }
            Err(crate::core::ErrorCode::WouldBlock) => break,
            Err(e) if got.is_empty() => {
                failed = Some(e);
                break;
            }
            Err(_) => break,
        }
    }
    abi::recycle(buf);
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(got),
    }
}

/// `receive: func(max-results: u64) -> result<list<incoming-datagram>, error-code>`
fn receive(mut env: Env, h: i32, max: i64, r: i32) -> HostResult<()> {
    let s = incoming(&env, h)?;
    let res = match take_datagrams(&s.0, max as u64) {
        Ok(dgrams) => {
            // Each record: data (pointer, length), then the address 8 bytes on; 40 bytes.
            let mut recs = Vec::with_capacity(dgrams.len() * 40);
            for (data, from) in &dgrams {
                let (p, l) = abi::list_u8(&mut env, data)?;
                recs.extend_from_slice(&p.to_le_bytes());
                recs.extend_from_slice(&l.to_le_bytes());
                recs.extend_from_slice(&encode_addr(from));
            }
            let list = abi::alloc(&mut env, recs.len() as u64, 4)?;
            if !recs.is_empty() {
                abi::with_mem(&mut env, |m| m.write_bytes(list as u64, &recs))?;
            }
            Ok((list, dgrams.len() as u32))
        }
        Err(c) => Err(c),
    };
    ret(&mut env, r, 4, res, |a, (p, l)| {
        a.u32(4, p);
        a.u32(8, l)
    })
}

/// `check-send: func() -> result<u64, error-code>`: a batch while the socket is writable.
fn check_send(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = outgoing(&env, h)?;
    let res = s.0.live().map(|()| {
        let ready = with_thread_context(|cx| s.0.udp.sock.poll_dir(true, cx).is_ready());
        let n = if ready { BATCH } else { 0 };
        *s.1.lock().unwrap_or_else(|p| p.into_inner()) = Some(n);
        n
    });
    ret(&mut env, r, 8, res, |a, n| a.u64(8, n))
}

/// One `outgoing-datagram` (44 bytes: data, then `option<ip-socket-address>` at 8).
struct Datagram {
    data: Vec<u8>,
    to: Option<SocketAddr>,
}

fn read_datagrams(env: &mut Env, ptr: i32, n: u64) -> HostResult<Vec<Datagram>> {
    let raw = abi::with_mem(env, |m| {
        m.slice(ptr as u32 as u64, n * 44).map(<[u8]>::to_vec)
    })?;
    let mut out = Vec::with_capacity(n as usize);
    for rec in raw.chunks_exact(44) {
        let u32_at = |i: usize| u32::from_le_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
        let to = match rec[8] {
            0 => None,
            1 => Some(read_addr(env, &rec[12..44])?),
            c => return Err(abi::trap(env, format!("invalid option case {c}"))),
        };
        let (p, l) = (u32_at(0) as u64, u32_at(4) as u64);
        let data = abi::with_mem(env, |m| m.slice(p, l).map(<[u8]>::to_vec))?;
        out.push(Datagram { data, to });
    }
    Ok(out)
}

/// Sends one datagram: to its address, or to the stream's remote address (a different
/// one, or none on an unconnected stream, is `invalid-argument`).
fn send_one(p: &Pair, d: &Datagram) -> SockResult<()> {
    let to = match (d.to, p.remote) {
        (Some(a), Some(r)) if a != r => return Err(Code::InvalidArgument),
        (Some(a), _) => a,
        (None, Some(r)) => r,
        (None, None) => return Err(Code::InvalidArgument),
    };
    check_remote(p.udp.sock.family, &to)?;
    let max = if to.is_ipv4() { MAX_V4 } else { MAX_V6 };
    if d.data.len() > max {
        return Err(Code::DatagramTooLarge);
    }
    p.udp
        .sock
        .send_to(&[IoSlice::new(&d.data)], to, true)
        .map(drop)
        .map_err(Code::from)
}

/// `send: func(datagrams: list<outgoing-datagram>) -> result<u64, error-code>`: as many as
/// the last `check-send` permitted (more, or none permitted, is a guest error: a trap).
fn send(mut env: Env, h: i32, ptr: i32, len: i32, r: i32) -> HostResult<()> {
    let s = outgoing(&env, h)?;
    let n = len as u32 as u64;
    if let Err(c) = s.0.live() {
        return ret(&mut env, r, 8, Err(c), |_, ()| {});
    }
    if n == 0 {
        return ret(&mut env, r, 8, Ok(0u64), |a, v| a.u64(8, v));
    }
    let permit = s.1.lock().unwrap_or_else(|p| p.into_inner()).take();
    match permit {
        None => return Err(abi::trap(&env, "send without a preceding check-send")),
        Some(p) if n > p => {
            return Err(abi::trap(
                &env,
                format!("send of {n} datagrams, but check-send permitted {p}"),
            ))
        }
        Some(_) => {}
    }
    let dgrams = read_datagrams(&mut env, ptr, n)?;
    let mut sent = 0u64;
    let mut res = Ok(0);
    for d in &dgrams {
        match send_one(&s.0, d) {
            Ok(()) => sent += 1,
            Err(c) if sent == 0 => {
                res = Err(c);
                break;
            }
            Err(_) => break,
        }
        res = Ok(sent);
    }
    ret(&mut env, r, 8, res, |a, v| a.u64(8, v))
}
