//! Establishing sockets: bind, listen, accept, and connect split into start and finish
//! (as WASI 0.2 does), with the waits they need.

use super::*;

impl Socket {
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
    pub(super) fn autobind(&self) -> Result<()> {
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
        // The port decides first: no route to the destination is `netunreach`; while
        // bridged, the routes pick the bridge or the local network (`route::decide`).
        let net = self.net.backend_for(&peer.ip())?;
        let o = self.options();
        if self.kind == Kind::Dgram {
            if matches!(*lock(&self.state), State::Fresh) {
                self.autobind()?;
            }
            *lock(&self.udp_peer) = Some(peer);
            return Ok(());
        }
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
                if stream_progress(&mut lock(&self.state))? {
                    return Ok(());
                }
            }
            match self.wait(true, deadline) {
                Err(ErrorCode::WouldBlock) => return Err(ErrorCode::TimedOut),
                r => r?,
            }
        }
    }

    /// How a connection started without waiting stands: `Ok(true)` open, `Ok(false)` still
    /// in progress, or why it failed (the socket is then unconnected again). Never waits.
    pub fn connect_progress(&self) -> Result<bool> {
        let mut st = lock(&self.state);
        match &*st {
            State::Connecting => Ok(false),
            _ => stream_progress(&mut st),
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
}

/// A connecting stream socket's state: `Ok(true)` open, `Ok(false)` still opening, or why
/// it failed (the socket is then unconnected again); not a stream: `not-connected`.
fn stream_progress(st: &mut State) -> Result<bool> {
    let State::Stream(s) = st else {
        return Err(ErrorCode::NotConnected);
    };
    match s.status()? {
        virtual_net::SocketStatus::Opened => Ok(true),
        virtual_net::SocketStatus::Opening => Ok(false),
        virtual_net::SocketStatus::Failed | virtual_net::SocketStatus::Closed => {
            let e = s
                .last_error()
                .ok()
                .flatten()
                .map(ErrorCode::from)
                .unwrap_or(ErrorCode::ConnectionRefused);
            *st = State::Fresh;
            Err(e)
        }
    }
}
