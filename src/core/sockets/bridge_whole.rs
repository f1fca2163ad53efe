//! The network `net serve` hands to virtual-net's remote-networking server: the host's,
//! with TCP streams whose `try_send` never takes part of a message.
//!
//! virtual-net's server answers a client's `Send` with `try_send(&data)` once and forgets
//! whatever the socket did not take: a partial write (the kernel's send buffer is full)
//! silently drops the rest. At the rates the bridge reaches with its own framing
//! (`bridge_wire.rs`) that happens on loopback. Here a stream takes a message whole: what
//! the kernel does not take now is kept (the "tail") and written first, before anything
//! newer, by the next call on the socket or by a small task that retries every millisecond
//! until it is out (bounded: [`TAIL_LIMIT`], then the stream fails).
//!
//! Order: a message is either taken whole (written, or queued behind the tail) or refused
//! with `WouldBlock` — once the tail holds [`TAIL_CAP`] bytes. virtual-net's server retries a
//! refused message later from a background task, but its driver may meanwhile hand the
//! socket the *next* message; so after a refusal the stream refuses every other message
//! until the refused one (recognised by its BLAKE3 digest) comes back. Without that rule a
//! refusal reorders the byte stream.
//!
//! Reads: a stream reads only while its bridge's backlog has room (`bridge_backlog.rs`).

use super::bridge_backlog::Backlog;
use super::bridge_handler::{HandlerSlot, Shared};
use std::mem::MaybeUninit;
use std::net::{Shutdown, SocketAddr};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use virtual_net::{
    InterestHandler, InterestType, NetworkError, Result, SocketStatus, VirtualConnectedSocket,
    VirtualIoSource, VirtualNetworking, VirtualSocket, VirtualTcpListener, VirtualTcpSocket,
};

/// How long a kept tail may wait for the destination to take it before the stream fails.
pub const TAIL_LIMIT: Duration = Duration::from_secs(60);
/// Bytes queued behind the kernel before messages are refused (the server's back pressure).
pub const TAIL_CAP: usize = 1 << 20;

type Sock = Box<dyn VirtualTcpSocket + Sync>;

#[derive(Debug)]
pub struct WholeWrites {
    inner: Arc<dyn VirtualNetworking>,
    backlog: Arc<Backlog>,
}

/// `inner` with whole-message TCP streams whose reads stop while `backlog` is full.
pub fn whole(
    inner: Arc<dyn VirtualNetworking>,
    backlog: Arc<Backlog>,
) -> Arc<dyn VirtualNetworking> {
    Arc::new(WholeWrites { inner, backlog })
}

#[async_trait::async_trait]
impl VirtualNetworking for WholeWrites {
    // The bridge's own addresses go to the served network (an isolated LAN host keeps
    // them; the host network answers `Unsupported`).
    async fn ip_add(&self, ip: std::net::IpAddr, prefix: u8) -> Result<()> {
        self.inner.ip_add(ip, prefix).await
    }
    async fn ip_remove(&self, ip: std::net::IpAddr) -> Result<()> {
        self.inner.ip_remove(ip).await
    }
    async fn ip_clear(&self) -> Result<()> {
        self.inner.ip_clear().await
    }
    async fn ip_list(&self) -> Result<Vec<virtual_net::IpCidr>> {
        self.inner.ip_list().await
    }
    async fn connect_tcp(&self, addr: SocketAddr, peer: SocketAddr) -> Result<Sock> {
        let s = self.inner.connect_tcp(addr, peer).await?;
        Ok(Box::new(Whole::new(s, self.backlog.clone())))
    }
    async fn listen_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpListener + Sync>> {
        let l = self
            .inner
            .listen_tcp(addr, only_v6, reuse_port, reuse_addr)
            .await?;
        Ok(Box::new(WholeListener(l, self.backlog.clone())))
    }
    async fn bind_udp(
        &self,
        addr: SocketAddr,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn virtual_net::VirtualUdpSocket + Sync>> {
        self.inner.bind_udp(addr, reuse_port, reuse_addr).await
    }
    async fn bind_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn virtual_net::VirtualTcpBoundSocket + Sync>> {
        self.inner
            .bind_tcp(addr, only_v6, reuse_port, reuse_addr)
            .await
    }
    async fn bind_icmp(
        &self,
        addr: std::net::IpAddr,
    ) -> Result<Box<dyn virtual_net::VirtualIcmpSocket + Sync>> {
        self.inner.bind_icmp(addr).await
    }
    async fn bind_raw(&self) -> Result<Box<dyn virtual_net::VirtualRawSocket + Sync>> {
        self.inner.bind_raw().await
    }
    async fn resolve(
        &self,
        host: &str,
        port: Option<u16>,
        dns_server: Option<std::net::IpAddr>,
    ) -> Result<Vec<std::net::IpAddr>> {
        self.inner.resolve(host, port, dns_server).await
    }
}

#[derive(Debug)]
struct WholeListener(Box<dyn VirtualTcpListener + Sync>, Arc<Backlog>);

impl VirtualIoSource for WholeListener {
    fn remove_handler(&mut self) {
        self.0.remove_handler()
    }
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        self.0.poll_read_ready(cx)
    }
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        self.0.poll_write_ready(cx)
    }
}

impl VirtualTcpListener for WholeListener {
    fn try_accept(&mut self) -> Result<(Sock, SocketAddr)> {
        let (s, a) = self.0.try_accept()?;
        Ok((Box::new(Whole::new(s, self.1.clone())), a))
    }
    fn set_handler(&mut self, handler: Box<dyn InterestHandler + Send + Sync>) -> Result<()> {
        self.0.set_handler(handler)
    }
    fn addr_local(&self) -> Result<SocketAddr> {
        self.0.addr_local()
    }
    fn set_ttl(&mut self, ttl: u8) -> Result<()> {
        self.0.set_ttl(ttl)
    }
    fn ttl(&self) -> Result<u8> {
        self.0.ttl()
    }
}

struct State {
    sock: Sock,
    /// What the kernel did not take yet, oldest first.
    tail: Vec<u8>,
    /// A retry task is running.
    flushing: bool,
    /// The tail could not be written (error or [`TAIL_LIMIT`]): the stream has failed.
    failed: Option<NetworkError>,
    /// The digest of the message refused last: until it comes back, nothing else is taken.
    refused: Option<[u8; 32]>,
}

impl State {
    /// Writes as much of the tail as the socket takes; `true` once it is empty.
    fn push_tail(&mut self) -> bool {
        while !self.tail.is_empty() {
            match self.sock.try_send(&self.tail) {
                Ok(0) | Err(NetworkError::WouldBlock) => return false,
                Ok(n) => {
                    self.tail.drain(..n);
                }
                Err(e) => {
                    self.failed = Some(e);
                    self.tail.clear();
                    return false;
                }
            }
        }
        true
    }
}

struct Whole {
    state: Arc<Mutex<State>>,
    /// The owner's handler (virtual-net's server): the inner socket reaches it through
    /// this slot, and so do the backlog and the tail flusher.
    handler: HandlerSlot,
    backlog: Arc<Backlog>,
}

impl std::fmt::Debug for Whole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Whole")
    }
}

impl Whole {
    fn new(sock: Sock, backlog: Arc<Backlog>) -> Whole {
        Whole {
            state: Arc::new(Mutex::new(State {
                sock,
                tail: Vec::new(),
                flushing: false,
                failed: None,
                refused: None,
            })),
            handler: Arc::default(),
            backlog,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Retries the tail every millisecond until it is out (or [`TAIL_LIMIT`] passes).
    fn spawn_flusher(&self) {
        let state = Arc::downgrade(&self.state);
        let handler = Arc::downgrade(&self.handler);
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            let start = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                let Some(s) = state.upgrade() else { return };
                let done = {
                    let mut g = s.lock().unwrap_or_else(|p| p.into_inner());
                    if g.push_tail() || g.failed.is_some() {
                        g.flushing = false;
                        true
                    } else if start.elapsed() > TAIL_LIMIT {
                        g.failed = Some(NetworkError::TimedOut);
                        g.tail.clear();
                        g.flushing = false;
                        true
                    } else {
                        false
                    }
                };
                if done {
                    // A refused message waits in virtual-net for a writable interest: give
                    // it one (outside the state lock: the handler takes virtual-net's locks).
                    if let Some(h) = handler.upgrade() {
                        Shared(h).push_interest(InterestType::Writable);
                    }
                    return;
                }
            }
        });
    }
}

impl VirtualIoSource for Whole {
    fn remove_handler(&mut self) {
        self.handler
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.lock().sock.remove_handler()
    }
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        self.lock().sock.poll_read_ready(cx)
    }
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        let mut g = self.lock();
        if let Some(e) = g.failed {
            return Poll::Ready(Err(e));
        }
        if !g.push_tail() {
            // The retry task wakes the stream's handler through the socket once it drains.
            let _ = g.sock.poll_write_ready(cx);
            return Poll::Pending;
        }
        g.sock.poll_write_ready(cx)
    }
}

impl VirtualSocket for Whole {
    fn set_ttl(&mut self, ttl: u32) -> Result<()> {
        self.lock().sock.set_ttl(ttl)
    }
    fn ttl(&self) -> Result<u32> {
        self.lock().sock.ttl()
    }
    fn addr_local(&self) -> Result<SocketAddr> {
        self.lock().sock.addr_local()
    }
    fn status(&self) -> Result<SocketStatus> {
        let g = self.lock();
        if g.failed.is_some() {
            return Ok(SocketStatus::Failed);
        }
        g.sock.status()
    }
    fn last_error(&self) -> Result<Option<NetworkError>> {
        let g = self.lock();
        if let Some(e) = g.failed {
            return Ok(Some(e));
        }
        g.sock.last_error()
    }
    fn set_handler(&mut self, h: Box<dyn InterestHandler + Send + Sync>) -> Result<()> {
        *self.handler.lock().unwrap_or_else(|p| p.into_inner()) = Some(h);
        let shared = Box::new(Shared(self.handler.clone()));
        self.lock().sock.set_handler(shared)
    }
}

impl VirtualConnectedSocket for Whole {
    fn set_linger(&mut self, linger: Option<Duration>) -> Result<()> {
        self.lock().sock.set_linger(linger)
    }
    fn linger(&self) -> Result<Option<Duration>> {
        self.lock().sock.linger()
    }
    fn try_send(&mut self, data: &[u8]) -> Result<usize> {
        let mut g = self.lock();
        if let Some(e) = g.failed {
            return Err(e);
        }
        if let Some(d) = g.refused {
            // Only the message refused last may come next.
            if *blake3::hash(data).as_bytes() != d {
                return Err(NetworkError::WouldBlock);
            }
        }
        g.push_tail();
        if let Some(e) = g.failed {
            return Err(e);
        }
        let taken = if g.tail.is_empty() {
            match g.sock.try_send(data) {
                Ok(n) => n,
                Err(NetworkError::WouldBlock) => 0,
                Err(e) => return Err(e),
            }
        } else if g.tail.len() + data.len() <= TAIL_CAP {
            0
        } else {
            g.refused = Some(*blake3::hash(data).as_bytes());
            return Err(NetworkError::WouldBlock);
        };
        g.refused = None;
        if taken < data.len() {
            g.tail.extend_from_slice(&data[taken..]);
            if !g.flushing {
                g.flushing = true;
                drop(g);
                self.spawn_flusher();
            }
        }
        Ok(data.len())
    }
    fn try_flush(&mut self) -> Result<()> {
        let mut g = self.lock();
        if !g.push_tail() {
            return Err(g.failed.unwrap_or(NetworkError::WouldBlock));
        }
        g.sock.try_flush()
    }
    fn close(&mut self) -> Result<()> {
        self.lock().sock.close()
    }
    fn try_recv(&mut self, buf: &mut [MaybeUninit<u8>], peek: bool) -> Result<usize> {
        if !peek && !self.backlog.admit(&self.handler) {
            return Err(NetworkError::WouldBlock);
        }
        let n = self.lock().sock.try_recv(buf, peek)?;
        if !peek {
            self.backlog.read(n);
        }
        Ok(n)
    }
}

impl VirtualTcpSocket for Whole {
    fn set_recv_buf_size(&mut self, size: usize) -> Result<()> {
        self.lock().sock.set_recv_buf_size(size)
    }
    fn recv_buf_size(&self) -> Result<usize> {
        self.lock().sock.recv_buf_size()
    }
    fn set_send_buf_size(&mut self, size: usize) -> Result<()> {
        self.lock().sock.set_send_buf_size(size)
    }
    fn send_buf_size(&self) -> Result<usize> {
        self.lock().sock.send_buf_size()
    }
    fn set_nodelay(&mut self, on: bool) -> Result<()> {
        self.lock().sock.set_nodelay(on)
    }
    fn nodelay(&self) -> Result<bool> {
        self.lock().sock.nodelay()
    }
    fn set_keepalive(&mut self, on: bool) -> Result<()> {
        self.lock().sock.set_keepalive(on)
    }
    fn keepalive(&self) -> Result<bool> {
        self.lock().sock.keepalive()
    }
    fn set_dontroute(&mut self, on: bool) -> Result<()> {
        self.lock().sock.set_dontroute(on)
    }
    fn dontroute(&self) -> Result<bool> {
        self.lock().sock.dontroute()
    }
    fn addr_peer(&self) -> Result<SocketAddr> {
        self.lock().sock.addr_peer()
    }
    fn shutdown(&mut self, how: Shutdown) -> Result<()> {
        let mut g = self.lock();
        // A write shutdown after a kept tail would cut it off: write it first if it goes.
        g.push_tail();
        g.sock.shutdown(how)
    }
    fn is_closed(&self) -> bool {
        self.lock().sock.is_closed()
    }
}
