//! An in-process network for tests and sandboxes without host sockets: virtual-net's
//! `LoopbackNetworking`, whose connections are made through its own `loopback_connect_to`
//! rather than `connect_tcp` — this adapter routes `connect_tcp` there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use virtual_net::{
    LoopbackNetworking, NetworkError, Result, VirtualNetworking, VirtualTcpBoundSocket,
    VirtualTcpListener, VirtualTcpSocket, VirtualUdpSocket,
};

#[derive(Debug, Default)]
pub struct InProcessNetwork {
    inner: Arc<LoopbackNetworking>,
    /// Next ephemeral port for unbound clients.
    next_port: std::sync::atomic::AtomicU16,
}

impl InProcessNetwork {
    pub fn new() -> InProcessNetwork {
        InProcessNetwork {
            inner: Arc::new(LoopbackNetworking::new()),
            next_port: 49152.into(),
        }
    }

    /// An unbound client gets the loopback address of the peer's family and an ephemeral
    /// port (the backend would otherwise reuse the server's port as the client's).
    fn client_addr(&self, addr: SocketAddr, peer: SocketAddr) -> SocketAddr {
        if !addr.ip().is_unspecified() && addr.port() != 0 {
            return addr;
        }
        let ip = match (addr.ip().is_unspecified(), peer.ip()) {
            (false, _) => addr.ip(),
            (true, IpAddr::V4(_)) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            (true, IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        let port = self
            .next_port
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .max(49152);
        SocketAddr::new(ip, port)
    }
}

#[async_trait::async_trait]
impl VirtualNetworking for InProcessNetwork {
    async fn listen_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpListener + Sync>> {
        self.inner
            .listen_tcp(addr, only_v6, reuse_port, reuse_addr)
            .await
    }

    async fn bind_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpBoundSocket + Sync>> {
        self.inner
            .bind_tcp(addr, only_v6, reuse_port, reuse_addr)
            .await
    }

    async fn bind_udp(
        &self,
        addr: SocketAddr,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualUdpSocket + Sync>> {
        self.inner.bind_udp(addr, reuse_port, reuse_addr).await
    }

    async fn connect_tcp(
        &self,
        addr: SocketAddr,
        peer: SocketAddr,
    ) -> Result<Box<dyn VirtualTcpSocket + Sync>> {
        self.inner
            .loopback_connect_to(self.client_addr(addr, peer), peer)
            .map(|s| Box::new(s) as Box<dyn VirtualTcpSocket + Sync>)
            .ok_or(NetworkError::ConnectionRefused)
    }

    /// Only `localhost` exists on this network.
    async fn resolve(
        &self,
        host: &str,
        _port: Option<u16>,
        _dns: Option<IpAddr>,
    ) -> Result<Vec<IpAddr>> {
        match host {
            "localhost" => Ok(vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]),
            _ => Err(NetworkError::AddressNotAvailable),
        }
    }
}
