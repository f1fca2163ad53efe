//! `wasi:sockets/{tcp,tcp-create-socket}`: the WIT's two-phase state machine over a core
//! `Socket`. Each `start-*` does the work (the core never blocks on a bind, listen or
//! the start of a connect); `finish-*` reports it, or `not-in-progress` / `would-block`.
#![allow(clippy::too_many_arguments)]

use super::super::abi::{self, Env, HostResult};
use super::super::link::Mk;
use super::super::resources::{Kind, PollSource, Resource};
use super::ret_unit;
use super::{check_local, check_remote, family, family_code, flat, lift_addr, put_addr, ret};
use super::{Code, SockResult};
use crate::core::io::poll::Pollable;
use crate::core::sockets::socket::stream::{SocketInput, SocketOutput};
use crate::core::sockets::{Kind as SockKind, Socket};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

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
    (T, "[method]tcp-socket.subscribe", f!(subscribe)),
    (T, "[method]tcp-socket.shutdown", f!(shutdown)),
];

/// Where a socket is in the WIT's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unbound,
    /// A `start-*` call is in the core (see [`in_core`]).
    Busy,
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
    pub(super) sock: Arc<Socket>,
    state: Mutex<State>,
}

impl TcpSocket {
    fn new(sock: Arc<Socket>, state: State) -> TcpSocket {
        TcpSocket {
            sock,
            state: Mutex::new(state),
        }
    }

    pub(super) fn is_connecting_or_connected(&self) -> bool {
        matches!(*self.state(), State::Connecting | State::Connected)
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

pub(super) fn socket(env: &Env, h: i32) -> HostResult<Arc<TcpSocket>> {
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
        let check = |st| match st {
            State::Unbound => Ok(()),
            st => Err(busy_or_invalid(st)),
        };
        in_core(&s, check, || {
            s.sock.bind(addr).map_err(Code::from)?;
            Ok(State::BindStarted)
        })
    })();
    ret_unit(&mut env, r, res)
}

/// Runs `op`, a core call that may wait (a bridged backend answers over the network), if
/// `check` allows it from the current state: meanwhile the state is `Busy` (another call
/// meets `concurrency-conflict`) and not locked. `op`'s state replaces it; on an error the
/// state is as before.
fn in_core(
    s: &TcpSocket,
    check: impl FnOnce(State) -> SockResult<()>,
    op: impl FnOnce() -> SockResult<State>,
) -> SockResult<()> {
    let prev = {
        let mut st = s.state();
        check(*st)?;
        std::mem::replace(&mut *st, State::Busy)
    };
    let r = op();
    let mut st = s.state();
    match r {
        Ok(next) => {
            *st = next;
            Ok(())
        }
        Err(c) => {
            *st = prev;
            Err(c)
        }
    }
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
        let check = |st| match st {
            State::Unbound | State::Bound => Ok(()),
            st => Err(busy_or_invalid(st)),
        };
        // The core starts the connection and answers `inprogress`; a failure it sees at
        // once (refused, unreachable) is the outcome `finish-connect` reports.
        in_core(&s, check, || match s.sock.connect(addr, true) {
            Ok(()) | Err(crate::core::ErrorCode::InProgress) => Ok(State::Connecting),
            Err(crate::core::ErrorCode::Access) => Err(Code::AccessDenied),
            Err(e) => Ok(State::ConnectFailed(e.into())),
        })
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
    let check = |st| match st {
        State::Bound => Ok(()),
        State::Unbound | State::Listening | State::Connected | State::Closed => {
            Err(Code::InvalidState)
        }
        other => Err(busy_or_invalid(other)),
    };
    let res = in_core(&s, check, || {
        let backlog = s.sock.options().listen_backlog.unwrap_or(128);
        s.sock
            .listen(backlog.min(u32::MAX as u64) as u32)
            .map_err(Code::from)?;
        Ok(State::ListenStarted)
    });
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
