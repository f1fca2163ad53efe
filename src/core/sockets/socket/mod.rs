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

mod connect;
pub mod stream;
mod transfer;

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
    /// TCP keep-alive timing (`wasi:sockets/tcp`); recorded and reported, not applied:
    /// virtual-net has no call for them.
    pub keep_alive_idle: Option<Duration>,
    pub keep_alive_interval: Option<Duration>,
    pub keep_alive_count: Option<u32>,
    /// `set-listen-backlog-size` (advisory, like `listen`'s backlog).
    pub listen_backlog: Option<u64>,
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

    /// The receive (or send) buffer size: the one set, else the live socket's, else the
    /// system's default for new sockets.
    pub fn buffer_size(&self, recv: bool) -> usize {
        let o = self.options();
        if let Some(n) = if recv {
            o.recv_buf_size
        } else {
            o.send_buf_size
        } {
            return n;
        }
        if let State::Stream(s) = &*lock(&self.state) {
            let live = if recv {
                s.recv_buf_size()
            } else {
                s.send_buf_size()
            };
            if let Ok(n) = live {
                return n;
            }
        }
        let key = if recv { "rmem_default" } else { "wmem_default" };
        system_default(&format!("/proc/sys/net/core/{key}"), 212_992) as usize
    }

    /// Whether sending was shut down.
    pub fn write_shut(&self) -> bool {
        lock(&self.shut).1
    }

    /// Fixes (or, with `None`, forgets) a UDP socket's peer: sends without an address go
    /// there and receives hear only it (`wasi:sockets/udp`'s `stream`).
    pub fn set_udp_peer(&self, peer: Option<SocketAddr>) {
        *lock(&self.udp_peer) = peer;
    }

    pub fn is_listening(&self) -> bool {
        matches!(*lock(&self.state), State::Listening(_))
    }

    /// Readiness in one direction. Sockets that cannot make progress in that direction
    /// (unconnected, closed) report ready so waiting guests see the error at once.
    pub fn poll_dir(&self, write: bool, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.state);
        let p = match &mut *st {
            // virtual-net's remote listener answers `Pending` from the poll that moves an
            // accepted connection into its buffer (having used up the wakeup): ask again.
            State::Listening(l) if !write => match l.poll_read_ready(cx) {
                Poll::Pending => l.poll_read_ready(cx),
                ready => ready,
            },
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

/// A number from `/proc/sys` (Linux's defaults for new sockets), or `fallback` elsewhere.
pub fn system_default(path: &str, fallback: u64) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(fallback)
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
