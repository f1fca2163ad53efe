//! `wasi:sockets/{tcp,tcp-create-socket}`: the WIT's two-phase state machine over a core
//! `Socket`. Each `start-*` does the work (the core never blocks on a bind, listen or
//! the start of a connect); `finish-*` reports it, or `not-in-progress` / `would-block`.
#![allow(clippy::too_many_arguments)]

use super::super::abi::{self, Env, HostResult};
use super::super::link::Mk;
use super::super::resources::{Kind, PollSource, Resource};
use super::{check_local, check_remote, family, family_code, lift_addr, put_addr, ret, ret_unit};
use super::{Code, FlatAddr, SockResult};
use crate::core::io::poll::Pollable;
use crate::core::sockets::socket::stream::{SocketInput, SocketOutput};
use crate::core::sockets::socket::system_default;
use crate::core::sockets::{Kind as SockKind, Options, Socket};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

const T: &str = "wasi:sockets/tcp";

pub const FUNCS: &[(&str, &str, Mk)] = &[
    (
        "wasi:sockets/tcp-create-socket",
        "create-tcp-socket",
        f!(create),
    ),
    (T, "[method]tcp-socket.start-bind", f!(start_bind)),
    (T, "[method]tcp-socket.finish-bind", f!(finish_bind)),
    (T, "[method]tcp-socket.start-connect", f!(start_connect)),
    (T, "[method]tcp-socket.finish-connect", f!(finish_connect)),
    (T, "[method]tcp-socket.start-listen", f!(start_listen)),
    (T, "[method]tcp-socket.finish-listen", f!(finish_listen)),
    (T, "[method]tcp-socket.accept", f!(accept)),
    (T, "[method]tcp-socket.local-address", f!(local_address)),
    (T, "[method]tcp-socket.remote-address", f!(remote_address)),
    (T, "[method]tcp-socket.is-listening", f!(is_listening)),
    (T, "[method]tcp-socket.address-family", f!(address_family)),
    (
        T,
        "[method]tcp-socket.set-listen-backlog-size",
        f!(set_backlog),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-enabled",
        f!(keep_alive_enabled),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-enabled",
        f!(set_keep_alive_enabled),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-idle-time",
        f!(keep_alive_idle),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-idle-time",
        f!(set_keep_alive_idle),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-interval",
        f!(keep_alive_interval),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-interval",
        f!(set_keep_alive_interval),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-count",
        f!(keep_alive_count),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-count",
        f!(set_keep_alive_count),
    ),
    (T, "[method]tcp-socket.hop-limit", f!(hop_limit)),
    (T, "[method]tcp-socket.set-hop-limit", f!(set_hop_limit)),
    (
        T,
        "[method]tcp-socket.receive-buffer-size",
        f!(receive_buffer_size),
    ),
    (
        T,
        "[method]tcp-socket.set-receive-buffer-size",
        f!(set_receive_buffer_size),
    ),
    (
        T,
        "[method]tcp-socket.send-buffer-size",
        f!(send_buffer_size),
    ),
    (
        T,
        "[method]tcp-socket.set-send-buffer-size",
        f!(set_send_buffer_size),
    ),
    (T, "[method]tcp-socket.subscribe", f!(subscribe)),
    (T, "[method]tcp-socket.shutdown", f!(shutdown)),
];

/// Where a socket is in the WIT's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unbound,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    /// `start-connect` handed the connection to the core; it is open, opening or failed.
    Connecting,
    /// `start-connect` failed in the backend: `finish-connect` reports it.
    ConnectFailed(Code),
    Connected,
    /// A failed connect leaves the socket unusable (the WIT's "closed").
    Closed,
}

/// A `tcp-socket`: the core socket and where the 0.2 state machine stands. Lock order:
/// `state`, then the core socket's own locks (never the other way round).
pub struct TcpSocket {
    sock: Arc<Socket>,
    state: Mutex<State>,
}

impl TcpSocket {
    fn new(sock: Arc<Socket>, state: State) -> TcpSocket {
        TcpSocket {
            sock,
            state: Mutex::new(state),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Readiness of a socket's pending operation: a connect's outcome, an incoming
/// connection; otherwise ready (the `finish-*` call answers at once).
struct Ready(Arc<TcpSocket>);

impl Pollable for Ready {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let st = *self.0.state();
        match st {
            State::Connecting => self.0.sock.poll_dir(true, cx),
            State::Listening => self.0.sock.poll_dir(false, cx),
            _ => Poll::Ready(()),
        }
    }
}

fn socket(env: &Env, h: i32) -> HostResult<Arc<TcpSocket>> {
    match abi::get(env, h, Kind::TcpSocket)? {
        Resource::TcpSocket(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

/// A fresh socket's or an accepted one's handle.
fn push_socket(env: &Env, s: TcpSocket) -> HostResult<i32> {
    abi::push(env, Resource::TcpSocket(Arc::new(s)))
}

/// The stream pair of a connected socket: the core socket itself, read and written.
fn push_streams(env: &Env, sock: &Arc<Socket>) -> HostResult<(u32, u32)> {
    let i = abi::push(
        env,
        Resource::InputStream(Arc::new(SocketInput(sock.clone()))),
    )?;
    let o = abi::push(
        env,
        Resource::OutputStream(Arc::new(SocketOutput(sock.clone()))),
    )?;
    Ok((i as u32, o as u32))
}

/// `create-tcp-socket: func(address-family) -> result<tcp-socket, error-code>`
fn create(mut env: Env, fam: i32, r: i32) -> HostResult<()> {
    let fam = family(&env, fam)?;
    let net = env.data().st.process.net.clone();
    let res = match Socket::new(net, fam, SockKind::Stream) {
        Ok(s) => Ok(push_socket(&env, TcpSocket::new(Arc::new(s), State::Unbound))? as u32),
        Err(e) => Err(Code::from(e)),
    };
    ret(&mut env, r, 4, res, |a, h| a.u32(4, h))
}

/// Another bind, listen or connect is under way: `concurrency-conflict`; the socket is
/// past the state `op` needs: `invalid-state`.
fn busy_or_invalid(st: State) -> Code {
    match st {
        State::BindStarted | State::ListenStarted | State::Connecting => Code::ConcurrencyConflict,
        _ => Code::InvalidState,
    }
}

fn flat(d: i32, p: [i32; 11]) -> FlatAddr {
    let mut f = [0; 12];
    f[0] = d;
    f[1..].copy_from_slice(&p);
    f
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
        if addr.ip().is_multicast() {
            return Err(Code::InvalidArgument);
        }
        let mut st = s.state();
        if *st != State::Unbound {
            return Err(busy_or_invalid(*st));
        }
        s.sock.bind(addr).map_err(Code::from)?;
        *st = State::BindStarted;
        Ok(())
    })();
    ret_unit(&mut env, r, res)
}

/// Moves a started operation `from` to `to`; anything else is `not-in-progress`.
fn finish(s: &TcpSocket, from: State, to: State) -> SockResult<()> {
    let mut st = s.state();
    if *st != from {
        return Err(Code::NotInProgress);
    }
    *st = to;
    Ok(())
}

/// `finish-bind: func() -> result<_, error-code>`
fn finish_bind(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = finish(&s, State::BindStarted, State::Bound);
    ret_unit(&mut env, r, res)
}

/// `start-connect: func(network: borrow<network>, remote-address) -> result<_, error-code>`
fn start_connect(
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
        check_remote(s.sock.family, &addr)?;
        let mut st = s.state();
        if !matches!(*st, State::Unbound | State::Bound) {
            return Err(busy_or_invalid(*st));
        }
        // The core starts the connection and answers `inprogress`; a failure it sees at
        // once (refused, unreachable) is the outcome `finish-connect` reports.
        *st = match s.sock.connect(addr, true) {
            Ok(()) | Err(crate::core::ErrorCode::InProgress) => State::Connecting,
            Err(crate::core::ErrorCode::Access) => return Err(Code::AccessDenied),
            Err(e) => State::ConnectFailed(e.into()),
        };
        Ok(())
    })();
    ret_unit(&mut env, r, res)
}

/// `finish-connect: func() -> result<tuple<input-stream, output-stream>, error-code>`
fn finish_connect(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = {
        let mut st = s.state();
        match *st {
            State::ConnectFailed(c) => {
                *st = State::Closed;
                Err(c)
            }
            State::Connecting => match s.sock.connect_progress() {
                Ok(true) => {
                    *st = State::Connected;
                    Ok(())
                }
                Ok(false) => Err(Code::WouldBlock),
                Err(e) => {
                    *st = State::Closed;
                    Err(e.into())
                }
            },
            _ => Err(Code::NotInProgress),
        }
    };
    let res = match res {
        Ok(()) => Ok(push_streams(&env, &s.sock)?),
        Err(c) => Err(c),
    };
    ret(&mut env, r, 4, res, |a, (i, o)| {
        a.u32(4, i);
        a.u32(8, o)
    })
}

/// `start-listen: func() -> result<_, error-code>`
fn start_listen(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = (|| {
        let mut st = s.state();
        match *st {
            State::Bound => {}
            State::Unbound | State::Listening | State::Connected | State::Closed => {
                return Err(Code::InvalidState)
            }
            other => return Err(busy_or_invalid(other)),
        }
        let backlog = s.sock.options().listen_backlog.unwrap_or(128);
        s.sock
            .listen(backlog.min(u32::MAX as u64) as u32)
            .map_err(Code::from)?;
        *st = State::ListenStarted;
        Ok(())
    })();
    ret_unit(&mut env, r, res)
}

/// `finish-listen: func() -> result<_, error-code>`
fn finish_listen(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = finish(&s, State::ListenStarted, State::Listening);
    ret_unit(&mut env, r, res)
}

/// `accept: func() -> result<tuple<tcp-socket, input-stream, output-stream>, error-code>`
fn accept(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let got = if *s.state() != State::Listening {
        Err(Code::InvalidState)
    } else {
        s.sock.accept(true).map_err(Code::from)
    };
    let res = match got {
        Ok((c, _peer)) => {
            let c = Arc::new(c);
            let (i, o) = push_streams(&env, &c)?;
            let t = push_socket(&env, TcpSocket::new(c, State::Connected))?;
            Ok((t as u32, i, o))
        }
        Err(c) => Err(c),
    };
    ret(&mut env, r, 4, res, |a, (t, i, o)| {
        a.u32(4, t);
        a.u32(8, i);
        a.u32(12, o)
    })
}

/// `local-address: func() -> result<ip-socket-address, error-code>`
fn local_address(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = match *s.state() {
        State::Unbound | State::BindStarted => Err(Code::InvalidState),
        _ => s.sock.addr_local().map_err(Code::from),
    };
    ret(&mut env, r, 4, res, |a, v| put_addr(a, 4, &v))
}

/// `remote-address: func() -> result<ip-socket-address, error-code>`
fn remote_address(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let res = match *s.state() {
        State::Connected => s.sock.addr_peer().map_err(Code::from),
        _ => Err(Code::InvalidState),
    };
    ret(&mut env, r, 4, res, |a, v| put_addr(a, 4, &v))
}

/// `is-listening: func() -> bool`
fn is_listening(env: Env, h: i32) -> HostResult<i32> {
    let s = socket(&env, h)?;
    let st = *s.state();
    Ok((st == State::Listening) as i32)
}

/// `address-family: func() -> ip-address-family`
fn address_family(env: Env, h: i32) -> HostResult<i32> {
    Ok(family_code(socket(&env, h)?.sock.family))
}

/// Sets an option after checking it (`invalid-argument` for what the WIT refuses).
fn set(env: &mut Env, h: i32, r: i32, valid: bool, f: impl FnOnce(&mut Options)) -> HostResult<()> {
    let s = socket(env, h)?;
    let res = if valid {
        s.sock.set_options(f).map_err(Code::from)
    } else {
        Err(Code::InvalidArgument)
    };
    ret_unit(env, r, res)
}

/// Reads an option: `get` returns it as its flat payload.
fn get_opt<V>(env: &Env, h: i32, get: impl FnOnce(&Socket) -> V) -> HostResult<V> {
    Ok(get(&socket(env, h)?.sock))
}

/// `set-listen-backlog-size: func(value: u64) -> result<_, error-code>`
fn set_backlog(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let st = *s.state();
    if matches!(st, State::Connecting | State::Connected) {
        return ret_unit(&mut env, r, Err(Code::InvalidState));
    }
    set(&mut env, h, r, v != 0, |o| {
        o.listen_backlog = Some(v as u64)
    })
}

fn keep_alive_enabled(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let v = get_opt(&env, h, |s| s.options().keep_alive)?;
    ret(&mut env, r, 1, Ok(v), |a, v| a.u8(1, v as u8))
}

fn set_keep_alive_enabled(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    set(&mut env, h, r, true, |o| o.keep_alive = v != 0)
}

/// Linux's keep-alive defaults (for sockets that never set their own).
fn keep_alive_default(name: &str, fallback: u64) -> u64 {
    system_default(&format!("/proc/sys/net/ipv4/{name}"), fallback)
}

fn ret_duration(env: &mut Env, r: i32, d: Duration) -> HostResult<()> {
    let ns = d.as_nanos().min(u64::MAX as u128) as u64;
    ret(env, r, 8, Ok(ns), |a, v| a.u64(8, v))
}

fn keep_alive_idle(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let d = get_opt(&env, h, |s| s.options().keep_alive_idle)?;
    let d = d.unwrap_or(Duration::from_secs(keep_alive_default(
        "tcp_keepalive_time",
        7200,
    )));
    ret_duration(&mut env, r, d)
}

fn set_keep_alive_idle(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    let d = Duration::from_nanos(v as u64);
    set(&mut env, h, r, v != 0, |o| o.keep_alive_idle = Some(d))
}

fn keep_alive_interval(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let d = get_opt(&env, h, |s| s.options().keep_alive_interval)?;
    let d = d.unwrap_or(Duration::from_secs(keep_alive_default(
        "tcp_keepalive_intvl",
        75,
    )));
    ret_duration(&mut env, r, d)
}

fn set_keep_alive_interval(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    let d = Duration::from_nanos(v as u64);
    set(&mut env, h, r, v != 0, |o| o.keep_alive_interval = Some(d))
}

fn keep_alive_count(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = get_opt(&env, h, |s| s.options().keep_alive_count)?;
    let n = n.unwrap_or(keep_alive_default("tcp_keepalive_probes", 9) as u32);
    ret(&mut env, r, 4, Ok(n), |a, v| a.u32(4, v))
}

fn set_keep_alive_count(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| {
        o.keep_alive_count = Some(v as u32)
    })
}

/// The hop limit set, else Linux's default TTL.
pub(super) fn hop_limit_of(s: &Socket) -> u8 {
    let t = s.options().ttl;
    t.unwrap_or_else(|| system_default("/proc/sys/net/ipv4/ip_default_ttl", 64) as u32)
        .min(255) as u8
}

fn hop_limit(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let v = get_opt(&env, h, hop_limit_of)?;
    ret(&mut env, r, 1, Ok(v), |a, v| a.u8(1, v))
}

fn set_hop_limit(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    let v = v as u8;
    set(&mut env, h, r, v != 0, |o| o.ttl = Some(v as u32))
}

fn ret_size(env: &mut Env, r: i32, n: usize) -> HostResult<()> {
    ret(env, r, 8, Ok(n as u64), |a, v| a.u64(8, v))
}

/// A buffer size to set: 0 is refused, more than the host can name is its most.
fn size(v: i64) -> usize {
    (v as u64).min(usize::MAX as u64) as usize
}

fn receive_buffer_size(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = get_opt(&env, h, |s| s.buffer_size(true))?;
    ret_size(&mut env, r, n)
}

fn set_receive_buffer_size(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| o.recv_buf_size = Some(size(v)))
}

fn send_buffer_size(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = get_opt(&env, h, |s| s.buffer_size(false))?;
    ret_size(&mut env, r, n)
}

fn set_send_buffer_size(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| o.send_buf_size = Some(size(v)))
}

/// `subscribe: func() -> pollable`
fn subscribe(env: Env, h: i32) -> HostResult<i32> {
    let s = socket(&env, h)?;
    abi::push_child(
        &env,
        Resource::Pollable(PollSource::Other(Arc::new(Ready(s)))),
        h,
    )
}

/// `shutdown: func(shutdown-type) -> result<_, error-code>`
fn shutdown(mut env: Env, h: i32, how: i32, r: i32) -> HostResult<()> {
    let s = socket(&env, h)?;
    let (rd, wr) = match how {
        0 => (true, false),
        1 => (false, true),
        2 => (true, true),
        _ => return Err(abi::trap(&env, format!("invalid shutdown-type {how}"))),
    };
    let res = if *s.state() != State::Connected {
        Err(Code::InvalidState)
    } else {
        s.sock.shutdown(rd, wr).map_err(Code::from)
    };
    ret_unit(&mut env, r, res)
}
