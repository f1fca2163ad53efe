//! A bridged network that notices the loss of its transport.
//!
//! virtual-net's remote client keeps a pending request (and a socket's receive queue)
//! waiting forever when its stream ends: its driver stops, nothing answers. That happens
//! when the server hangs up, and when TLS rejects a record an on-path attacker altered. So
//! the bridge watches its driver: once it has ended ("dead"), every network call in flight
//! or made later answers `connaborted`, and every TCP stream opened through the bridge
//! answers `connreset` (reads, polls) or `pipe` (writes); its interest handler is woken so a
//! waiting reader sees it. Listeners and UDP sockets are passed through unwatched (noted in
//! the bridge docs as not yet covered).
//!
//! A stream it connects, or accepts on a listener opened through it, is watched the same
//! way and reads its data from its own ordered queue (`bridge_inbox.rs`), not from
//! virtual-net's.

use super::bridge_handler::{HandlerSlot, Shared};
use super::bridge_inbox::{remote_socket_id, Inbox, Inboxes};
use std::future::Future;
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::watch;
use virtual_net::meta::SocketId;
use virtual_net::{
    InterestHandler, InterestType, IpCidr, IpRoute, NetworkError, Result, SocketStatus,
    StreamSecurity, VirtualConnectedSocket, VirtualIcmpSocket, VirtualIoSource, VirtualNetworking,
    VirtualRawSocket, VirtualSocket, VirtualTcpBoundSocket, VirtualTcpListener, VirtualTcpSocket,
    VirtualUdpSocket,
};

/// Spawns `driver`, and returns `inner` wrapped so that the driver's end is seen; its
/// streams read from `inboxes`.
pub fn guard(
    inner: Arc<dyn VirtualNetworking>,
    driver: impl Future<Output = ()> + Send + 'static,
    inboxes: Arc<Inboxes>,
) -> Arc<dyn VirtualNetworking> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        driver.await;
        let _ = tx.send(true);
    });
    Arc::new(Guarded {
        inner,
        streams: Streams {
            dead: rx,
            inboxes,
            rt: tokio::runtime::Handle::current(),
        },
    })
}

#[derive(Debug)]
struct Guarded {
    inner: Arc<dyn VirtualNetworking>,
    streams: Streams,
}

/// What a stream of the bridge is made with.
#[derive(Debug, Clone)]
struct Streams {
    dead: watch::Receiver<bool>,
    inboxes: Arc<Inboxes>,
    /// Accepts happen on guest threads, outside the runtime: the watchers are spawned here.
    rt: tokio::runtime::Handle,
}

impl Streams {
    /// `s` watched, reading from its registered queue (if it has one).
    fn wrap(&self, s: Box<dyn VirtualTcpSocket + Sync>) -> GuardedTcp {
        let inbox = remote_socket_id(&s).and_then(|id| {
            let inbox = self.inboxes.claim(id)?;
            Some(Claimed {
                id,
                inbox,
                inboxes: self.inboxes.clone(),
            })
        });
        GuardedTcp::new(s, self.dead.clone(), inbox, &self.rt)
    }
}

/// Resolves once the bridge is dead (or its watcher is gone, which is the same).
async fn died(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|d| *d).await;
}

impl Guarded {
    async fn guard<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            biased;
            _ = died(self.streams.dead.clone()) => Err(NetworkError::ConnectionAborted),
            r = f => r,
        }
    }
}

#[async_trait::async_trait]
impl VirtualNetworking for Guarded {
    async fn bridge(&self, network: &str, token: &str, security: StreamSecurity) -> Result<()> {
        self.guard(self.inner.bridge(network, token, security))
            .await
    }
    async fn unbridge(&self) -> Result<()> {
        self.guard(self.inner.unbridge()).await
    }
    async fn dhcp_acquire(&self) -> Result<Vec<IpAddr>> {
        self.guard(self.inner.dhcp_acquire()).await
    }
    async fn ip_add(&self, ip: IpAddr, prefix: u8) -> Result<()> {
        self.guard(self.inner.ip_add(ip, prefix)).await
    }
    async fn ip_remove(&self, ip: IpAddr) -> Result<()> {
        self.guard(self.inner.ip_remove(ip)).await
    }
    async fn ip_clear(&self) -> Result<()> {
        self.guard(self.inner.ip_clear()).await
    }
    async fn ip_list(&self) -> Result<Vec<IpCidr>> {
        self.guard(self.inner.ip_list()).await
    }
    async fn mac(&self) -> Result<[u8; 6]> {
        self.guard(self.inner.mac()).await
    }
    async fn gateway_set(&self, ip: IpAddr) -> Result<()> {
        self.guard(self.inner.gateway_set(ip)).await
    }
    async fn route_add(
        &self,
        cidr: IpCidr,
        via: IpAddr,
        preferred_until: Option<Duration>,
        expires_at: Option<Duration>,
    ) -> Result<()> {
        self.guard(self.inner.route_add(cidr, via, preferred_until, expires_at))
            .await
    }
    async fn route_remove(&self, cidr: IpAddr) -> Result<()> {
        self.guard(self.inner.route_remove(cidr)).await
    }
    async fn route_clear(&self) -> Result<()> {
        self.guard(self.inner.route_clear()).await
    }
    async fn route_list(&self) -> Result<Vec<IpRoute>> {
        self.guard(self.inner.route_list()).await
    }
    async fn bind_raw(&self) -> Result<Box<dyn VirtualRawSocket + Sync>> {
        self.guard(self.inner.bind_raw()).await
    }
    async fn listen_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpListener + Sync>> {
        let l = self
            .guard(self.inner.listen_tcp(addr, only_v6, reuse_port, reuse_addr))
            .await?;
        Ok(Box::new(GuardedListener {
            inner: l,
            streams: self.streams.clone(),
        }))
    }
    async fn bind_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpBoundSocket + Sync>> {
        self.guard(self.inner.bind_tcp(addr, only_v6, reuse_port, reuse_addr))
            .await
    }
    async fn bind_udp(
        &self,
        addr: SocketAddr,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualUdpSocket + Sync>> {
        self.guard(self.inner.bind_udp(addr, reuse_port, reuse_addr))
            .await
    }
    async fn bind_icmp(&self, addr: IpAddr) -> Result<Box<dyn VirtualIcmpSocket + Sync>> {
        self.guard(self.inner.bind_icmp(addr)).await
    }
    async fn connect_tcp(
        &self,
        addr: SocketAddr,
        peer: SocketAddr,
    ) -> Result<Box<dyn VirtualTcpSocket + Sync>> {
        let s = self.guard(self.inner.connect_tcp(addr, peer)).await?;
        Ok(Box::new(self.streams.wrap(s)))
    }
    async fn resolve(
        &self,
        host: &str,
        port: Option<u16>,
        dns_server: Option<IpAddr>,
    ) -> Result<Vec<IpAddr>> {
        self.guard(self.inner.resolve(host, port, dns_server)).await
    }
}

/// A listener of the bridge: the streams it accepts are watched and read from their own
/// queues, as connected ones do.
#[derive(Debug)]
struct GuardedListener {
    inner: Box<dyn VirtualTcpListener + Sync>,
    streams: Streams,
}

impl VirtualIoSource for GuardedListener {
    forward_io_source!();
}

impl VirtualTcpListener for GuardedListener {
    fn try_accept(&mut self) -> Result<(Box<dyn VirtualTcpSocket + Sync>, SocketAddr)> {
        let (s, a) = self.inner.try_accept()?;
        Ok((Box::new(self.streams.wrap(s)), a))
    }
    fn set_handler(&mut self, h: Box<dyn InterestHandler + Send + Sync>) -> Result<()> {
        self.inner.set_handler(h)
    }
    fn addr_local(&self) -> Result<SocketAddr> {
        self.inner.addr_local()
    }
    fn set_ttl(&mut self, ttl: u8) -> Result<()> {
        self.inner.set_ttl(ttl)
    }
    fn ttl(&self) -> Result<u8> {
        self.inner.ttl()
    }
}

/// A stream's own receive queue; released (unregistered) with the stream.
#[derive(Debug)]
struct Claimed {
    id: SocketId,
    inbox: Arc<Inbox>,
    inboxes: Arc<Inboxes>,
}

impl Drop for Claimed {
    fn drop(&mut self) {
        self.inboxes.release(self.id);
    }
}

/// A TCP stream through the bridge that fails once the bridge is dead.
struct GuardedTcp {
    inner: Box<dyn VirtualTcpSocket + Sync>,
    dead: watch::Receiver<bool>,
    /// Completes when the bridge dies (polled by the readiness calls, never after).
    death: Mutex<Pin<Box<dyn Future<Output = ()> + Send>>>,
    seen_dead: bool,
    handler: HandlerSlot,
    /// Where its received data waits (`None`: in virtual-net's queue).
    inbox: Option<Claimed>,
    /// Dropped with the socket: ends its watcher.
    _alive: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for GuardedTcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedTcp")
            .field("inner", &self.inner)
            .field("dead", &self.is_dead())
            .finish()
    }
}

impl GuardedTcp {
    fn new(
        inner: Box<dyn VirtualTcpSocket + Sync>,
        dead: watch::Receiver<bool>,
        inbox: Option<Claimed>,
        rt: &tokio::runtime::Handle,
    ) -> GuardedTcp {
        let handler: HandlerSlot = Default::default();
        if let Some(c) = &inbox {
            c.inbox.set_handler(&handler);
        }
        let (alive, gone) = tokio::sync::oneshot::channel::<()>();
        // Wakes whoever waits on the socket when the bridge dies (or stops with the socket).
        let (slot, rx) = (handler.clone(), dead.clone());
        rt.spawn(async move {
            tokio::select! {
                _ = died(rx) => {
                    if let Some(h) = slot.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                        h.push_interest(InterestType::Error);
                        h.push_interest(InterestType::Closed);
                        h.push_interest(InterestType::Readable);
                        h.push_interest(InterestType::Writable);
                    }
                }
                _ = gone => {}
            }
        });
        GuardedTcp {
            inner,
            death: Mutex::new(Box::pin(died(dead.clone()))),
            seen_dead: false,
            dead,
            handler,
            inbox,
            _alive: alive,
        }
    }

    fn is_dead(&self) -> bool {
        *self.dead.borrow()
    }

    fn poll_dead(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.seen_dead {
            let f = self.death.get_mut().unwrap_or_else(|p| p.into_inner());
            self.seen_dead = f.as_mut().poll(cx).is_ready();
        }
        self.seen_dead
    }
}

impl VirtualIoSource for GuardedTcp {
    fn remove_handler(&mut self) {
        self.handler
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.inner.remove_handler()
    }
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        if self.poll_dead(cx) {
            return Poll::Ready(Err(NetworkError::ConnectionReset));
        }
        if let Some(n) = self.inbox.as_ref().and_then(|c| c.inbox.ready(cx.waker())) {
            return Poll::Ready(Ok(n));
        }
        self.inner.poll_read_ready(cx)
    }
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        if self.poll_dead(cx) {
            return Poll::Ready(Err(NetworkError::ConnectionReset));
        }
        self.inner.poll_write_ready(cx)
    }
}

impl VirtualSocket for GuardedTcp {
    fn set_ttl(&mut self, ttl: u32) -> Result<()> {
        self.inner.set_ttl(ttl)
    }
    fn ttl(&self) -> Result<u32> {
        self.inner.ttl()
    }
    fn addr_local(&self) -> Result<SocketAddr> {
        self.inner.addr_local()
    }
    fn status(&self) -> Result<SocketStatus> {
        if self.is_dead() {
            return Ok(SocketStatus::Failed);
        }
        self.inner.status()
    }
    fn last_error(&self) -> Result<Option<NetworkError>> {
        if self.is_dead() {
            return Ok(Some(NetworkError::ConnectionReset));
        }
        self.inner.last_error()
    }
    fn set_handler(&mut self, h: Box<dyn InterestHandler + Send + Sync>) -> Result<()> {
        let dead = self.is_dead();
        {
            let mut slot = self.handler.lock().unwrap_or_else(|p| p.into_inner());
            *slot = Some(h);
            if dead {
                // Set after the death: wake it now.
                if let Some(h) = slot.as_mut() {
                    h.push_interest(InterestType::Closed);
                }
                return Ok(());
            }
        }
        self.inner
            .set_handler(Box::new(Shared(self.handler.clone())))
    }
}

impl VirtualConnectedSocket for GuardedTcp {
    forward_linger!();
    fn try_send(&mut self, data: &[u8]) -> Result<usize> {
        if self.is_dead() {
            return Err(NetworkError::BrokenPipe);
        }
        self.inner.try_send(data)
    }
    fn try_flush(&mut self) -> Result<()> {
        if self.is_dead() {
            return Err(NetworkError::BrokenPipe);
        }
        self.inner.try_flush()
    }
    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
    fn try_recv(&mut self, buf: &mut [MaybeUninit<u8>], peek: bool) -> Result<usize> {
        if self.is_dead() {
            return Err(NetworkError::ConnectionReset);
        }
        if let Some(n) = self.inbox.as_ref().and_then(|c| c.inbox.read(buf, peek)) {
            return Ok(n);
        }
        self.inner.try_recv(buf, peek)
    }
}

impl VirtualTcpSocket for GuardedTcp {
    forward_tcp_options!();
    fn is_closed(&self) -> bool {
        self.is_dead() || self.inner.is_closed()
    }
}
