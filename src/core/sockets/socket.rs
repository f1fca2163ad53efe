//! TCP and UDP sockets shaped like `wasi:sockets/tcp` and `udp`, over virtual-net. Every
//! operation is non-blocking underneath; blocking callers wait on the socket's pollable
//! (with the socket's timeout as a deadline), never holding the state lock while waiting.

use super::network::Network;
use crate::core::io::poll::{poll, Deadline, Pollable};
use crate::core::ErrorCode;
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use virtual_net::{
    NetworkError, VirtualTcpBoundSocket, VirtualTcpListener, VirtualTcpSocket, VirtualUdpSocket,
};

type Result<T> = std::result::Result<T, ErrorCode>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Inet4,
    Inet6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Stream,
    Dgram,
}

/// `wasi:sockets` has no status call; WASIX's `sock_status` reports these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Opening,
    Opened,
    Closed,
    Failed,
}

/// Settable options; values set before bind/connect are applied when the socket exists.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub reuse_addr: bool,
    pub reuse_port: bool,
    pub only_v6: bool,
    pub no_delay: bool,
    pub keep_alive: bool,
    pub dont_route: bool,
    pub broadcast: bool,
    pub multicast_loop_v4: bool,
    pub multicast_loop_v6: bool,
    pub oob_inline: bool,
    pub linger: Option<Duration>,
    pub recv_buf_size: Option<usize>,
    pub send_buf_size: Option<usize>,
    pub recv_timeout: Option<Duration>,
    pub send_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub accept_timeout: Option<Duration>,
    pub ttl: Option<u32>,
    pub multicast_ttl_v4: Option<u32>,
}

enum State {
    Fresh,
    Bound(Box<dyn VirtualTcpBoundSocket + Sync>),
    /// The backend cannot bind without listening: the address waits for `listen`.
    BoundLater(SocketAddr),
    Listening(Box<dyn VirtualTcpListener + Sync>),
    Stream(Box<dyn VirtualTcpSocket + Sync>),
    Udp(Box<dyn VirtualUdpSocket + Sync>),
    /// A `connect` is in progress on some thread (which holds no lock meanwhile).
    Connecting,
    Closed,
}

/// Lock order: `state` first; `opts`, `udp_peer`, `shut` and `dgram_buf` are leaves,
/// taken alone or under `state`, never two of them together. No socket lock is held across
/// a wait or a `block_on` (waits poll readiness, which takes `state` for one poll only).
/// Above a socket: an epoll interest list, then the fd table (whose lock is a leaf too:
/// lookups hand out an `Arc` and release it).
pub struct Socket {
    pub family: Family,
    pub kind: Kind,
    net: Arc<Network>,
    state: Mutex<State>,
    opts: Mutex<Options>,
    /// `connect` on a UDP socket fixes the peer for send/recv.
    udp_peer: Mutex<Option<SocketAddr>>,
    /// (read, write) shut down.
    shut: Mutex<(bool, bool)>,
    /// One datagram's worth of scratch space, allocated on the first receive and reused,
    /// so that truncation can be told without an allocation per call. A receive takes it
    /// out for its duration (the lock is never held across a wait); uninitialised bytes,
    /// as the receive APIs expect.
    dgram_buf: Mutex<Vec<MaybeUninit<u8>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unspecified(f: Family) -> SocketAddr {
    match f {
        Family::Inet4 => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        Family::Inet6 => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

/// Readable / writable readiness of one socket, as a pollable.
pub struct Readiness<'a> {
    sock: &'a Socket,
    write: bool,
}

impl Pollable for Readiness<'_> {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.sock.poll_dir(self.write, cx)
    }
}

/// Owned form of [`Readiness`], for pollables that outlive a borrow (poll_oneoff, epoll).
pub struct OwnedReadiness {
    pub sock: Arc<Socket>,
    pub write: bool,
}

impl Pollable for OwnedReadiness {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.sock.poll_dir(self.write, cx)
    }
}

impl Socket {
    /// `create-tcp-socket` / `create-udp-socket`. Refused with `access` when networking is
    /// disabled for the instance.
    pub fn new(net: Arc<Network>, family: Family, kind: Kind) -> Result<Socket> {
        net.backend()?;
        Ok(Socket {
            family,
            kind,
            net,
            state: Mutex::new(State::Fresh),
            opts: Mutex::new(Options::default()),
            udp_peer: Mutex::new(None),
            shut: Mutex::new((false, false)),
            dgram_buf: Mutex::new(Vec::new()),
        })
    }

    fn from_stream(
        net: Arc<Network>,
        family: Family,
        s: Box<dyn VirtualTcpSocket + Sync>,
        opts: Options,
    ) -> Socket {
        Socket {
            family,
            kind: Kind::Stream,
            net,
            state: Mutex::new(State::Stream(s)),
            opts: Mutex::new(opts),
            udp_peer: Mutex::new(None),
            shut: Mutex::new((false, false)),
            dgram_buf: Mutex::new(Vec::new()),
        }
    }

    fn check_family(&self, a: &SocketAddr) -> Result<()> {
        match (self.family, a) {
            (Family::Inet4, SocketAddr::V4(_)) | (Family::Inet6, SocketAddr::V6(_)) => Ok(()),
            _ => Err(ErrorCode::FamilyNotSupported),
        }
    }

    pub fn options(&self) -> Options {
        lock(&self.opts).clone()
    }

    /// Updates options and applies what the live socket supports.
    pub fn set_options(&self, f: impl FnOnce(&mut Options)) -> Result<()> {
        let o = {
            let mut g = lock(&self.opts);
            f(&mut g);
            g.clone()
        };
        let mut st = lock(&self.state);
        apply(&mut st, &o)
    }

    /// `bind`. The backend call runs without the state lock (it may wait, and an interrupt
    /// ends it with `intr`); the result is installed only if the socket is still unbound
    /// then. A concurrent bind, listen or connect that got there first wins: this one
    /// drops its socket and answers `inval`, as binding a bound socket does.
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        self.check_family(&addr)?;
        let o = self.options();
        if !matches!(*lock(&self.state), State::Fresh) {
            return Err(ErrorCode::Invalid);
        }
        let net = self.net.backend()?;
        let rt = self.net.runtime()?;
        let new = match self.kind {
            Kind::Stream => {
                let f = net.bind_tcp(addr, o.only_v6, o.reuse_port, o.reuse_addr);
                match rt.block_on_interruptible(f) {
                    None => return Err(ErrorCode::Interrupted),
                    Some(Ok(b)) => State::Bound(b),
                    Some(Err(NetworkError::Unsupported)) => State::BoundLater(addr),
                    Some(Err(e)) => return Err(e.into()),
                }
            }
            Kind::Dgram => {
                let f = net.bind_udp(addr, o.reuse_port, o.reuse_addr);
                match rt.block_on_interruptible(f) {
                    None => return Err(ErrorCode::Interrupted),
                    Some(r) => State::Udp(r?),
                }
            }
        };
        let mut st = lock(&self.state);
        if !matches!(*st, State::Fresh) {
            drop(st);
            drop(new);
            return Err(ErrorCode::Invalid);
        }
        *st = new;
        apply(&mut st, &o)
    }

    /// The implicit bind of a UDP socket's first send or connect: a concurrent one that won
    /// is as good as ours.
    fn autobind(&self) -> Result<()> {
        match self.bind(unspecified(self.family)) {
            Err(ErrorCode::Invalid) if !matches!(*lock(&self.state), State::Fresh) => Ok(()),
            r => r,
        }
    }

    /// `listen`; the backlog is advisory (virtual-net has no backlog parameter). As with
    /// `bind`, a backend call that may wait runs without the state lock; its listener is
    /// installed only over the state it started from.
    pub fn listen(&self, _backlog: u32) -> Result<()> {
        if self.kind != Kind::Stream {
            return Err(ErrorCode::Unsupported);
        }
        let o = self.options();
        let at = {
            let mut st = lock(&self.state);
            match std::mem::replace(&mut *st, State::Closed) {
                // Synchronous (the socket exists already): done under the lock.
                State::Bound(mut b) => {
                    return match b.listen() {
                        Ok(l) => {
                            *st = State::Listening(l);
                            apply(&mut st, &o)
                        }
                        Err(e) => {
                            *st = State::Fresh;
                            Err(e.into())
                        }
                    };
                }
                State::BoundLater(a) => {
                    *st = State::BoundLater(a);
                    Some(a)
                }
                // POSIX binds an unbound socket to an ephemeral port on listen.
                State::Fresh => {
                    *st = State::Fresh;
                    None
                }
                l @ State::Listening(_) => {
                    *st = l;
                    return Ok(());
                }
                other => {
                    *st = other;
                    return Err(ErrorCode::Invalid);
                }
            }
        };
        let l = self.listen_at(at.unwrap_or_else(|| unspecified(self.family)), &o)?;
        let mut st = lock(&self.state);
        let unchanged = match (&*st, at) {
            (State::Fresh, None) => true,
            (State::BoundLater(a), Some(b)) => *a == b,
            _ => false,
        };
        if !unchanged {
            // Someone else listened, bound or connected meanwhile.
            let already = matches!(*st, State::Listening(_));
            drop(st);
            drop(l);
            return if already {
                Ok(())
            } else {
                Err(ErrorCode::Invalid)
            };
        }
        *st = State::Listening(l);
        apply(&mut st, &o)
    }

    fn listen_at(&self, a: SocketAddr, o: &Options) -> Result<Box<dyn VirtualTcpListener + Sync>> {
        let net = self.net.backend()?;
        let rt = self.net.runtime()?;
        let f = net.listen_tcp(a, o.only_v6, o.reuse_port, o.reuse_addr);
        match rt.block_on_interruptible(f) {
            None => Err(ErrorCode::Interrupted),
            Some(r) => Ok(r?),
        }
    }

    /// Waits for readiness until `deadline`; `WouldBlock` when the deadline passes first.
    fn wait(&self, write: bool, deadline: Option<Instant>) -> Result<()> {
        let r = Readiness { sock: self, write };
        match deadline {
            None => {
                if poll(&[&r]).is_empty() {
                    return Err(ErrorCode::Interrupted);
                }
                Ok(())
            }
            Some(d) => {
                let t = Deadline(d);
                let ready = poll(&[&r, &t]);
                if ready.contains(&0) {
                    Ok(())
                } else if ready.is_empty() {
                    Err(ErrorCode::Interrupted)
                } else {
                    Err(ErrorCode::WouldBlock)
                }
            }
        }
    }

    fn deadline(t: Option<Duration>) -> Option<Instant> {
        t.map(|d| Instant::now() + d)
    }

    pub fn accept(&self, nonblocking: bool) -> Result<(Socket, SocketAddr)> {
        let o = self.options();
        let deadline = Self::deadline(o.accept_timeout.or(o.recv_timeout));
        loop {
            {
                let mut st = lock(&self.state);
                let State::Listening(l) = &mut *st else {
                    return Err(ErrorCode::Invalid);
                };
                match l.try_accept() {
                    Ok((s, peer)) => {
                        let mut st2 = State::Stream(s);
                        // Accepted sockets inherit the listener's options (as on Linux).
                        let _ = apply(&mut st2, &o);
                        let State::Stream(s) = st2 else {
                            unreachable!("just built")
                        };
                        return Ok((
                            Socket::from_stream(self.net.clone(), self.family, s, o),
                            peer,
                        ));
                    }
                    Err(NetworkError::WouldBlock) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(false, deadline)?;
        }
    }

    /// `connect`. Blocking: returns once connected (or failed). Non-blocking (TCP): starts
    /// the connection and answers `inprogress` (as Linux does for every TCP connect that
    /// is not refused at once); write readiness then reports the outcome, a second
    /// `connect` answers `already` while it is pending, `isconn` once connected, and the
    /// failure itself once failed. (WASI 0.2's start-connect / finish-connect.)
    pub fn connect(&self, peer: SocketAddr, nonblocking: bool) -> Result<()> {
        self.check_family(&peer)?;
        // The port decides first: no route to the destination is `netunreach`.
        self.net.check_route(&peer.ip())?;
        let o = self.options();
        if self.kind == Kind::Dgram {
            if matches!(*lock(&self.state), State::Fresh) {
                self.autobind()?;
            }
            *lock(&self.udp_peer) = Some(peer);
            return Ok(());
        }
        let net = self.net.backend()?;
        let rt = self.net.runtime()?;
        // Start under the lock; wait without it (the socket shows as Connecting), so other
        // threads can use the table and their sockets meanwhile; finish under it again.
        let mut st = lock(&self.state);
        let from = match std::mem::replace(&mut *st, State::Connecting) {
            State::Fresh => None,
            State::BoundLater(a) => Some(a),
            State::Bound(mut b) => {
                // A bound socket connects synchronously (the backend starts the handshake).
                let r = rt.enter(|| b.connect(peer));
                return self.finish_connect(st, r, State::Fresh, o.connect_timeout, nonblocking);
            }
            State::Stream(s) => {
                // A connect started earlier: report how it stands.
                let r = match s.status() {
                    Ok(virtual_net::SocketStatus::Opening) => Err(ErrorCode::Already),
                    Ok(virtual_net::SocketStatus::Opened) => Err(ErrorCode::AlreadyConnected),
                    _ => Err(s
                        .last_error()
                        .ok()
                        .flatten()
                        .map(ErrorCode::from)
                        .unwrap_or(ErrorCode::ConnectionRefused)),
                };
                if r == Err(ErrorCode::Already) || r == Err(ErrorCode::AlreadyConnected) {
                    *st = State::Stream(s);
                } else {
                    // Failed: the socket may connect again (as on Linux).
                    *st = State::Fresh;
                    drop(st);
                    drop(s);
                }
                return r;
            }
            State::Connecting => return Err(ErrorCode::Already),
            other => {
                *st = other;
                return Err(ErrorCode::Invalid);
            }
        };
        drop(st);
        let fut = net.connect_tcp(from.unwrap_or_else(|| unspecified(self.family)), peer);
        let r = match o.connect_timeout {
            Some(t) => rt
                .block_on_interruptible(async { tokio::time::timeout(t, fut).await })
                .map(|r| r.map_err(|_| NetworkError::TimedOut).and_then(|r| r)),
            None => rt.block_on_interruptible(fut),
        };
        let before = match from {
            Some(a) => State::BoundLater(a),
            None => State::Fresh,
        };
        let st = lock(&self.state);
        match r {
            Some(r) => self.finish_connect(st, r, before, o.connect_timeout, nonblocking),
            None => {
                // Interrupted: the attempt is abandoned and the socket is as it was.
                let mut st = st;
                *st = before;
                Err(ErrorCode::Interrupted)
            }
        }
    }

    /// Installs the connected stream (or restores `before` on failure), then waits for the
    /// handshake without the lock.
    fn finish_connect(
        &self,
        mut st: std::sync::MutexGuard<'_, State>,
        r: std::result::Result<Box<dyn VirtualTcpSocket + Sync>, NetworkError>,
        before: State,
        timeout: Option<Duration>,
        nonblocking: bool,
    ) -> Result<()> {
        let o = self.options();
        match r {
            Ok(s) => {
                *st = State::Stream(s);
                apply(&mut st, &o)?;
            }
            Err(e) => {
                *st = before;
                return Err(e.into());
            }
        }
        drop(st);
        if nonblocking {
            return Err(ErrorCode::InProgress);
        }
        self.await_connected(Self::deadline(timeout))
    }

    /// Backends may return from `connect` before the handshake ends (host sockets connect
    /// non-blocking): wait until the socket is open, or report why it failed.
    fn await_connected(&self, deadline: Option<Instant>) -> Result<()> {
        loop {
            {
                let mut st = lock(&self.state);
                let State::Stream(s) = &mut *st else {
                    return Err(ErrorCode::NotConnected);
                };
                match s.status()? {
                    virtual_net::SocketStatus::Opened => return Ok(()),
                    virtual_net::SocketStatus::Opening => {}
                    virtual_net::SocketStatus::Failed | virtual_net::SocketStatus::Closed => {
                        let e = s
                            .last_error()
                            .ok()
                            .flatten()
                            .map(ErrorCode::from)
                            .unwrap_or(ErrorCode::ConnectionRefused);
                        *st = State::Fresh;
                        return Err(e);
                    }
                }
            }
            match self.wait(true, deadline) {
                Err(ErrorCode::WouldBlock) => return Err(ErrorCode::TimedOut),
                r => r?,
            }
        }
    }

    /// The peer is gone (end of stream or a failed connection): the hang-up condition.
    pub fn hung_up(&self) -> bool {
        let mut st = lock(&self.state);
        match &mut *st {
            State::Stream(s) => {
                if matches!(
                    s.status(),
                    Ok(virtual_net::SocketStatus::Failed | virtual_net::SocketStatus::Closed)
                ) {
                    return true;
                }
                let mut b = [MaybeUninit::uninit(); 1];
                matches!(
                    s.try_recv(&mut b, true),
                    Ok(0)
                        | Err(NetworkError::ConnectionReset
                            | NetworkError::BrokenPipe
                            | NetworkError::UnexpectedEof)
                )
            }
            State::Closed => true,
            _ => false,
        }
    }

    /// Sends from the buffers in order; a partial count is a success. Blocking callers wait
    /// for room (up to the send timeout).
    pub fn send(&self, bufs: &[IoSlice<'_>], nonblocking: bool) -> Result<usize> {
        if lock(&self.shut).1 {
            return Err(ErrorCode::Pipe);
        }
        if self.kind == Kind::Dgram {
            let peer = lock(&self.udp_peer).ok_or(ErrorCode::DestinationRequired)?;
            return self.send_to(bufs, peer, nonblocking);
        }
        let deadline = Self::deadline(self.options().send_timeout);
        loop {
            {
                let mut st = lock(&self.state);
                let State::Stream(s) = &mut *st else {
                    return Err(ErrorCode::NotConnected);
                };
                let mut total = 0;
                let mut blocked = false;
                for b in bufs.iter().filter(|b| !b.is_empty()) {
                    match s.try_send(b) {
                        Ok(n) => {
                            total += n;
                            if n < b.len() {
                                break;
                            }
                        }
                        Err(NetworkError::WouldBlock) => {
                            blocked = true;
                            break;
                        }
                        Err(e) if total == 0 => return Err(e.into()),
                        Err(_) => break,
                    }
                }
                if total > 0 || !blocked {
                    return Ok(total);
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(true, deadline)?;
        }
    }

    /// Receives into the buffers; `Ok(0)` is end of stream.
    pub fn recv(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<usize> {
        self.recv_flagged(bufs, peek, nonblocking).map(|(n, _)| n)
    }

    /// Like [`Socket::recv`], also telling whether a datagram was truncated.
    pub fn recv_flagged(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<(usize, bool)> {
        if self.kind == Kind::Dgram {
            let peer = *lock(&self.udp_peer);
            loop {
                let (n, from, trunc) = self.recv_from(bufs, peek, nonblocking)?;
                // A connected UDP socket only hears its peer.
                if peer.is_none_or(|p| p == from) {
                    return Ok((n, trunc));
                }
            }
        }
        self.recv_stream(bufs, peek, nonblocking)
            .map(|n| (n, false))
    }

    fn recv_stream(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<usize> {
        if lock(&self.shut).0 {
            return Ok(0);
        }
        let deadline = Self::deadline(self.options().recv_timeout);
        loop {
            {
                let mut st = lock(&self.state);
                let State::Stream(s) = &mut *st else {
                    return Err(ErrorCode::NotConnected);
                };
                let Some(first) = bufs.iter_mut().find(|b| !b.is_empty()) else {
                    return Ok(0);
                };
                // The receive API fills uninitialised memory; the guest's buffer is
                // initialised bytes, which may not be handed out as uninitialised. So the
                // bytes land in scratch space first (at most 64 KiB: a short read).
                let mut scratch = [MaybeUninit::<u8>::uninit(); 1 << 16];
                let room = first.len().min(scratch.len());
                match s.try_recv(&mut scratch[..room], peek) {
                    Ok(n) => {
                        let n = n.min(room);
                        // SAFETY: the receive initialised the first `n` bytes.
                        let got =
                            unsafe { std::slice::from_raw_parts(scratch.as_ptr() as *const u8, n) };
                        first[..n].copy_from_slice(got);
                        return Ok(n);
                    }
                    Err(NetworkError::WouldBlock) => {}
                    // The peer went away: end of stream for the reader.
                    Err(
                        NetworkError::ConnectionReset
                        | NetworkError::BrokenPipe
                        | NetworkError::UnexpectedEof,
                    ) => return Ok(0),
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(false, deadline)?;
        }
    }

    pub fn send_to(
        &self,
        bufs: &[IoSlice<'_>],
        to: SocketAddr,
        nonblocking: bool,
    ) -> Result<usize> {
        self.check_family(&to)?;
        self.net.check_route(&to.ip())?;
        if self.kind == Kind::Stream {
            return Err(ErrorCode::AlreadyConnected);
        }
        if matches!(*lock(&self.state), State::Fresh) {
            self.autobind()?;
        }
        // One datagram: gather the buffers (rarely more than one).
        let data: std::borrow::Cow<'_, [u8]> = match bufs {
            [one] => std::borrow::Cow::Borrowed(&one[..]),
            many => std::borrow::Cow::Owned(many.iter().flat_map(|b| b.iter().copied()).collect()),
        };
        let deadline = Self::deadline(self.options().send_timeout);
        loop {
            {
                let mut st = lock(&self.state);
                let State::Udp(u) = &mut *st else {
                    return Err(ErrorCode::Invalid);
                };
                match u.try_send_to(&data, to) {
                    Ok(n) => return Ok(n),
                    Err(NetworkError::WouldBlock) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(true, deadline)?;
        }
    }

    /// One datagram into the buffers; excess bytes of a large datagram are dropped and
    /// reported as truncation (the third value).
    pub fn recv_from(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<(usize, SocketAddr, bool)> {
        if self.kind == Kind::Stream {
            let n = self.recv_stream(bufs, peek, nonblocking)?;
            return Ok((n, self.addr_peer()?, false));
        }
        let deadline = Self::deadline(self.options().recv_timeout);
        // Taken out (a concurrent receive on the same socket allocates its own), so no
        // lock is held while waiting; put back when done.
        let mut tmp = std::mem::take(&mut *lock(&self.dgram_buf));
        if tmp.is_empty() {
            tmp.resize(virtual_net::MAX_SOCKET_PAYLOAD, MaybeUninit::uninit());
        }
        let r = self.recv_datagram(&mut tmp, bufs, peek, nonblocking, deadline);
        *lock(&self.dgram_buf) = tmp;
        r
    }

    fn recv_datagram(
        &self,
        tmp: &mut [MaybeUninit<u8>],
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
        deadline: Option<Instant>,
    ) -> Result<(usize, SocketAddr, bool)> {
        loop {
            {
                let mut st = lock(&self.state);
                let State::Udp(u) = &mut *st else {
                    return Err(ErrorCode::Invalid);
                };
                match u.try_recv_from(tmp, peek) {
                    Ok((n, from)) => {
                        let n = n.min(tmp.len());
                        // SAFETY: the receive initialised the first `n` bytes.
                        let got: &[u8] =
                            unsafe { std::slice::from_raw_parts(tmp.as_ptr() as *const u8, n) };
                        let mut copied = 0;
                        for b in bufs.iter_mut() {
                            let k = b.len().min(n - copied);
                            b[..k].copy_from_slice(&got[copied..copied + k]);
                            copied += k;
                            if copied == n {
                                break;
                            }
                        }
                        return Ok((copied, from, copied < n));
                    }
                    Err(NetworkError::WouldBlock) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(false, deadline)?;
        }
    }

    pub fn shutdown(&self, read: bool, write: bool) -> Result<()> {
        let mut st = lock(&self.state);
        match &mut *st {
            State::Stream(s) => {
                let how = match (read, write) {
                    (true, true) => Shutdown::Both,
                    (true, false) => Shutdown::Read,
                    (false, true) => Shutdown::Write,
                    (false, false) => return Err(ErrorCode::Invalid),
                };
                s.shutdown(how)?;
            }
            State::Udp(_) if lock(&self.udp_peer).is_some() => {}
            _ => return Err(ErrorCode::NotConnected),
        }
        let mut sh = lock(&self.shut);
        sh.0 |= read;
        sh.1 |= write;
        Ok(())
    }

    pub fn addr_local(&self) -> Result<SocketAddr> {
        let st = lock(&self.state);
        Ok(match &*st {
            State::Fresh | State::Connecting => unspecified(self.family),
            State::Bound(b) => b.addr_local()?,
            State::BoundLater(a) => *a,
            State::Listening(l) => l.addr_local()?,
            State::Stream(s) => s.addr_local()?,
            State::Udp(u) => u.addr_local()?,
            State::Closed => return Err(ErrorCode::BadDescriptor),
        })
    }

    pub fn addr_peer(&self) -> Result<SocketAddr> {
        let st = lock(&self.state);
        match &*st {
            State::Stream(s) => Ok(s.addr_peer()?),
            State::Udp(_) => lock(&self.udp_peer).ok_or(ErrorCode::NotConnected),
            _ => Err(ErrorCode::NotConnected),
        }
    }

    pub fn status(&self) -> Status {
        match &*lock(&self.state) {
            State::Fresh | State::Bound(_) | State::BoundLater(_) | State::Connecting => {
                Status::Opening
            }
            State::Listening(_) | State::Udp(_) => Status::Opened,
            State::Stream(s) if s.is_closed() => Status::Closed,
            State::Stream(s) => match s.status() {
                Ok(virtual_net::SocketStatus::Opening) => Status::Opening,
                Ok(virtual_net::SocketStatus::Opened) => Status::Opened,
                Ok(virtual_net::SocketStatus::Closed) => Status::Closed,
                _ => Status::Failed,
            },
            State::Closed => Status::Closed,
        }
    }

    pub fn is_listening(&self) -> bool {
        matches!(*lock(&self.state), State::Listening(_))
    }

    /// Readiness in one direction. Sockets that cannot make progress in that direction
    /// (unconnected, closed) report ready so waiting guests see the error at once.
    pub fn poll_dir(&self, write: bool, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.state);
        let p = match &mut *st {
            State::Listening(l) if !write => l.poll_read_ready(cx),
            State::Listening(_) => return Poll::Pending,
            State::Stream(s) => {
                if write {
                    s.poll_write_ready(cx)
                } else {
                    s.poll_read_ready(cx)
                }
            }
            State::Udp(u) => {
                if write {
                    u.poll_write_ready(cx)
                } else {
                    u.poll_read_ready(cx)
                }
            }
            _ => return Poll::Ready(()),
        };
        p.map(|_| ())
    }

    /// Bytes readable now, where the backend says.
    pub fn readable_bytes(&self) -> u64 {
        let mut st = lock(&self.state);
        let r = crate::core::io::poll::with_thread_context(|cx| match &mut *st {
            State::Stream(s) => Some(s.poll_read_ready(cx)),
            State::Udp(u) => Some(u.poll_read_ready(cx)),
            _ => None,
        });
        let Some(r) = r else { return 0 };
        match r {
            Poll::Ready(Ok(n)) => n as u64,
            _ => 0,
        }
    }

    /// Joins / leaves a multicast group (UDP only).
    pub fn multicast(
        &self,
        group: IpAddr,
        iface: IpAddr,
        iface_index: u32,
        join: bool,
    ) -> Result<()> {
        let mut st = lock(&self.state);
        let State::Udp(u) = &mut *st else {
            return Err(ErrorCode::Invalid);
        };
        match (group, iface, join) {
            (IpAddr::V4(g), IpAddr::V4(i), true) => u.join_multicast_v4(g, i)?,
            (IpAddr::V4(g), IpAddr::V4(i), false) => u.leave_multicast_v4(g, i)?,
            (IpAddr::V6(g), _, true) => u.join_multicast_v6(g, iface_index)?,
            (IpAddr::V6(g), _, false) => u.leave_multicast_v6(g, iface_index)?,
            _ => return Err(ErrorCode::Invalid),
        }
        Ok(())
    }
}

/// Applies options to a live socket; unsupported ones are kept and reported as set.
fn apply(st: &mut State, o: &Options) -> Result<()> {
    let ok = |r: std::result::Result<(), NetworkError>| match r {
        Ok(()) | Err(NetworkError::Unsupported) => Ok(()),
        Err(e) => Err(ErrorCode::from(e)),
    };
    match st {
        State::Stream(s) => {
            ok(s.set_nodelay(o.no_delay))?;
            if o.keep_alive {
                ok(s.set_keepalive(true))?;
            }
            if o.linger.is_some() {
                ok(s.set_linger(o.linger))?;
            }
            if let Some(n) = o.recv_buf_size {
                ok(s.set_recv_buf_size(n))?;
            }
            if let Some(n) = o.send_buf_size {
                ok(s.set_send_buf_size(n))?;
            }
            if let Some(t) = o.ttl {
                ok(s.set_ttl(t))?;
            }
        }
        State::Udp(u) => {
            if o.broadcast {
                ok(u.set_broadcast(true))?;
            }
            if let Some(t) = o.ttl {
                ok(u.set_ttl(t))?;
            }
            if let Some(t) = o.multicast_ttl_v4 {
                ok(u.set_multicast_ttl_v4(t))?;
            }
        }
        _ => {}
    }
    Ok(())
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let State::Stream(s) = &mut *lock(&self.state) {
            let _ = s.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sockets::{InProcessNetwork, Runtime};

    fn net() -> Arc<Network> {
        Network::with_backend(
            Arc::new(InProcessNetwork::new()),
            Runtime::new().expect("tokio runtime"),
        )
    }

    fn listener(net: &Arc<Network>) -> Arc<Socket> {
        let s = Socket::new(net.clone(), Family::Inet4, Kind::Stream).unwrap();
        s.bind(SocketAddr::from(([127, 0, 0, 1], 4100))).unwrap();
        s.listen(8).unwrap();
        Arc::new(s)
    }

    /// A thread blocked in accept (no timeout, nobody connecting) returns `Interrupted`
    /// when another thread interrupts it; the listener still works afterwards.
    #[test]
    fn interrupt_ends_a_blocked_accept() {
        let net = net();
        let l = listener(&net);
        let (tx, rx) = std::sync::mpsc::channel();
        let (rtx, rrx) = std::sync::mpsc::channel();
        let l2 = l.clone();
        std::thread::spawn(move || {
            tx.send(crate::core::io::poll::current_interrupter())
                .unwrap();
            let r = l2.accept(false).map(|_| ());
            let flag = crate::core::io::poll::take_interrupt();
            let _ = rtx.send((r, flag));
        });
        let who = rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        who.interrupt();
        let got = rrx
            .recv_timeout(Duration::from_secs(10))
            .expect("accept did not return");
        assert_eq!(got, (Err(ErrorCode::Interrupted), true));
        assert!(l.is_listening());
        assert_eq!(l.accept(true).map(|_| ()), Err(ErrorCode::WouldBlock));
    }

    /// An interrupt raised before a blocking bind's backend call makes it `intr` only if
    /// the call has to wait: the in-process backend answers at once, so the bind is done.
    /// A second bind of the bound socket is `inval` (state checked before and after the
    /// backend call, no lock held across it).
    #[test]
    fn bind_twice_is_invalid_and_bind_after_listen_too() {
        let net = net();
        let s = Socket::new(net.clone(), Family::Inet4, Kind::Stream).unwrap();
        crate::core::io::poll::current_interrupter().interrupt();
        let r = s.bind(SocketAddr::from(([127, 0, 0, 1], 4101)));
        crate::core::io::poll::take_interrupt();
        assert_eq!(r, Ok(()));
        assert_eq!(
            s.bind(SocketAddr::from(([127, 0, 0, 1], 4102))),
            Err(ErrorCode::Invalid)
        );
        s.listen(1).unwrap();
        assert_eq!(s.listen(1), Ok(()));
        assert_eq!(
            s.bind(SocketAddr::from(([127, 0, 0, 1], 4103))),
            Err(ErrorCode::Invalid)
        );
    }
}
