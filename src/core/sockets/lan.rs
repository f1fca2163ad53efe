//! An in-process LAN (`net serve --network isolated`): every bridge is one host on it,
//! owning the addresses its guest adds with `port_addr_add`; hosts reach each other's TCP
//! listeners by those addresses, and nothing leaves the process (no host socket is made).
//!
//! - An address belongs to one host at a time (`port_addr_add` of another host's address
//!   is `addrinuse`); a bridge's addresses are released when it ends.
//! - `listen` on the unspecified address listens on all of the host's addresses; on a
//!   specific one it must be the host's own (`addrnotavail`).
//! - `connect` leaves from the host's address in the destination's subnet (else its first
//!   of the family; none: `netunreach`). A destination nobody owns is `hostunreach`; an
//!   owned address with no listener on the port `connrefused`.
//! - TCP only: UDP, raw sockets and name lookup (other than IP literals) are `notsup`.
//!
//! Locks: the LAN's table and each listener's backlog are leaves, never held together.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use virtual_net::tcp_pair::TcpSocketHalf;
use virtual_net::{
    InterestHandler, InterestType, IpCidr, NetworkError, Result, VirtualNetworking,
    VirtualTcpListener, VirtualTcpSocket,
};

/// Bytes buffered per direction of a connection (as virtual-net's loopback network).
const BUFFER: usize = 1 << 20;
const EPHEMERAL: u16 = 49152;

/// Who listens where: `(host, address)`, the address unspecified for "all of the host's".
type Key = (u64, SocketAddr);

#[derive(Default)]
struct Table {
    owners: HashMap<IpAddr, u64>,
    listeners: HashMap<Key, Arc<Backlog>>,
    next_host: u64,
    next_port: u16,
}

/// The shared network. One per `net serve`.
#[derive(Default)]
pub struct Lan {
    table: Mutex<Table>,
}

impl std::fmt::Debug for Lan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lan")
    }
}

impl Lan {
    pub fn new() -> Lan {
        Lan::default()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new host on this LAN, with no address yet.
    pub fn host(self: &Arc<Self>) -> LanHost {
        let mut t = self.lock();
        t.next_host += 1;
        LanHost {
            lan: self.clone(),
            id: t.next_host,
            addrs: Mutex::new(Vec::new()),
        }
    }

    fn ephemeral(t: &mut Table) -> u16 {
        t.next_port = t.next_port.wrapping_add(1).max(EPHEMERAL);
        t.next_port
    }
}

/// One bridge's view of the LAN.
pub struct LanHost {
    lan: Arc<Lan>,
    id: u64,
    addrs: Mutex<Vec<IpCidr>>,
}

impl std::fmt::Debug for LanHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LanHost({})", self.id)
    }
}

impl LanHost {
    fn addrs(&self) -> Vec<IpCidr> {
        self.addrs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn release(&self, ips: &[IpAddr]) {
        let mut t = self.lan.lock();
        for ip in ips {
            if t.owners.get(ip) == Some(&self.id) {
                t.owners.remove(ip);
            }
        }
    }

    /// The address a connection to `peer` leaves from.
    fn source(&self, peer: IpAddr) -> Result<IpAddr> {
        let addrs = self.addrs();
        let same = |c: &&IpCidr| c.ip.is_ipv4() == peer.is_ipv4();
        addrs
            .iter()
            .filter(same)
            .find(|c| in_subnet(c, peer))
            .or_else(|| addrs.iter().find(same))
            .map(|c| c.ip)
            .ok_or(NetworkError::NetworkUnreachable)
    }
}

impl Drop for LanHost {
    fn drop(&mut self) {
        let ips: Vec<IpAddr> = self.addrs().iter().map(|c| c.ip).collect();
        self.release(&ips);
    }
}

fn in_subnet(c: &IpCidr, ip: IpAddr) -> bool {
    let (a, b, bits) = match (c.ip, ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let p = u32::from(c.prefix.min(bits as u8));
    let shift = bits - p;
    // A /0 matches everything (a shift by the full width would overflow).
    shift >= bits || (a >> shift) == (b >> shift)
}

fn unspecified(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

#[async_trait::async_trait]
impl VirtualNetworking for LanHost {
    async fn ip_add(&self, ip: IpAddr, prefix: u8) -> Result<()> {
        {
            let mut t = self.lan.lock();
            match t.owners.get(&ip) {
                Some(o) if *o != self.id => return Err(NetworkError::AddressInUse),
                _ => {
                    t.owners.insert(ip, self.id);
                }
            }
        }
        let mut a = self.addrs.lock().unwrap_or_else(|p| p.into_inner());
        a.retain(|c| c.ip != ip);
        a.push(IpCidr { ip, prefix });
        Ok(())
    }

    async fn ip_remove(&self, ip: IpAddr) -> Result<()> {
        self.addrs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|c| c.ip != ip);
        self.release(&[ip]);
        Ok(())
    }

    async fn ip_clear(&self) -> Result<()> {
        let old = std::mem::take(&mut *self.addrs.lock().unwrap_or_else(|p| p.into_inner()));
        self.release(&old.iter().map(|c| c.ip).collect::<Vec<_>>());
        Ok(())
    }

    async fn ip_list(&self) -> Result<Vec<IpCidr>> {
        Ok(self.addrs())
    }

    async fn listen_tcp(
        &self,
        addr: SocketAddr,
        _only_v6: bool,
        _reuse_port: bool,
        _reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpListener + Sync>> {
        if !addr.ip().is_unspecified() && !self.addrs().iter().any(|c| c.ip == addr.ip()) {
            return Err(NetworkError::AddressNotAvailable);
        }
        let mut t = self.lan.lock();
        let mut addr = addr;
        if addr.port() == 0 {
            addr.set_port(Lan::ephemeral(&mut t));
        }
        let key = (self.id, addr);
        if t.listeners.contains_key(&key) {
            return Err(NetworkError::AddressInUse);
        }
        let backlog = Arc::new(Backlog::default());
        t.listeners.insert(key, backlog.clone());
        Ok(Box::new(LanListener {
            lan: self.lan.clone(),
            key,
            backlog,
        }))
    }

    async fn connect_tcp(
        &self,
        addr: SocketAddr,
        peer: SocketAddr,
    ) -> Result<Box<dyn VirtualTcpSocket + Sync>> {
        let ip = if addr.ip().is_unspecified() {
            self.source(peer.ip())?
        } else if self.addrs().iter().any(|c| c.ip == addr.ip()) {
            addr.ip()
        } else {
            return Err(NetworkError::AddressNotAvailable);
        };
        let backlog = {
            let mut t = self.lan.lock();
            let Some(owner) = t.owners.get(&peer.ip()).copied() else {
                return Err(NetworkError::HostUnreachable);
            };
            let wild = SocketAddr::new(unspecified(peer.ip()), peer.port());
            let found = t
                .listeners
                .get(&(owner, peer))
                .or_else(|| t.listeners.get(&(owner, wild)))
                .cloned();
            let port = match addr.port() {
                0 => Lan::ephemeral(&mut t),
                p => p,
            };
            (found.ok_or(NetworkError::ConnectionRefused)?, port)
        };
        let (backlog, port) = backlog;
        let local = SocketAddr::new(ip, port);
        let (theirs, ours) = TcpSocketHalf::channel(BUFFER, peer, local);
        backlog.push(theirs);
        Ok(Box::new(ours))
    }

    /// IP literals only: the LAN has no names.
    async fn resolve(
        &self,
        host: &str,
        _port: Option<u16>,
        _dns: Option<IpAddr>,
    ) -> Result<Vec<IpAddr>> {
        host.parse::<IpAddr>()
            .map(|ip| vec![ip])
            .map_err(|_| NetworkError::Unsupported)
    }
}

/// A listener's queue of connections not yet accepted.
#[derive(Default)]
struct Backlog {
    state: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<TcpSocketHalf>,
    handler: Option<Box<dyn InterestHandler + Send + Sync>>,
    wakers: Vec<Waker>,
}

impl Backlog {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, s: TcpSocketHalf) {
        let mut q = self.lock();
        q.waiting.push_back(s);
        if let Some(h) = q.handler.as_mut() {
            h.push_interest(InterestType::Readable);
        }
        for w in q.wakers.drain(..) {
            w.wake();
        }
    }
}

struct LanListener {
    lan: Arc<Lan>,
    key: Key,
    backlog: Arc<Backlog>,
}

impl std::fmt::Debug for LanListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LanListener({:?})", self.key)
    }
}

impl Drop for LanListener {
    fn drop(&mut self) {
        let mut t = self.lan.lock();
        if t.listeners
            .get(&self.key)
            .is_some_and(|b| Arc::ptr_eq(b, &self.backlog))
        {
            t.listeners.remove(&self.key);
        }
    }
}

impl virtual_net::VirtualIoSource for LanListener {
    fn remove_handler(&mut self) {
        self.backlog.lock().handler = None;
    }

    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        let mut q = self.backlog.lock();
        if !q.waiting.is_empty() {
            return Poll::Ready(Ok(q.waiting.len()));
        }
        if !q.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            q.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    fn poll_write_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<usize>> {
        Poll::Pending
    }
}

impl VirtualTcpListener for LanListener {
    fn try_accept(&mut self) -> Result<(Box<dyn VirtualTcpSocket + Sync>, SocketAddr)> {
        let s = self
            .backlog
            .lock()
            .waiting
            .pop_front()
            .ok_or(NetworkError::WouldBlock)?;
        let peer = s.addr_peer()?;
        Ok((Box::new(s), peer))
    }

    fn set_handler(&mut self, mut h: Box<dyn InterestHandler + Send + Sync>) -> Result<()> {
        let mut q = self.backlog.lock();
        if !q.waiting.is_empty() {
            h.push_interest(InterestType::Readable);
        }
        q.handler = Some(h);
        Ok(())
    }

    fn addr_local(&self) -> Result<SocketAddr> {
        Ok(self.key.1)
    }

    fn set_ttl(&mut self, _ttl: u8) -> Result<()> {
        Ok(())
    }

    fn ttl(&self) -> Result<u8> {
        Ok(64)
    }
}
