//! What `net serve` lets a bridged guest reach, and how much of it: the egress policy
//! (`--allow` / `--deny CIDR[:PORTS]`) and the per-token limits (`--max-sockets`,
//! `--max-bytes`). The served network (`VirtualNetworking`) is wrapped by [`Policed`], one
//! per bridge, which checks every connect, bind, listen and datagram destination the guest
//! asks the server to use.
//!
//! Policy: rules `CIDR[:PORTS]` (PORTS = `N`, `N-M`, or a comma list of those). Built-in
//! deny rules come first: loopback (`127.0.0.0/8`, `::1/128`), the unspecified addresses
//! (`0.0.0.0/32`, `::/128`, which reach the server's own host), link-local
//! (`169.254.0.0/16`, `fe80::/10`) and the cloud metadata addresses (`169.254.169.254/32`,
//! `fd00:ec2::254/128`). For a destination the most specific matching rule decides: the
//! longer prefix; at equal prefix a rule with ports beats one without; at equal
//! specificity an explicit (`--allow`/`--deny`) rule beats a built-in one, and deny beats
//! allow. No matching rule: allowed (add `--deny 0.0.0.0/0 --deny ::/0` for an allow-list).
//! IPv4-mapped IPv6 destinations are checked as their IPv4 address.
//!
//! A refused connect / send answers `PermissionDenied` (the guest sees `acces`), and one
//! line is logged: `wxc-bridge event=egress-refused peer=... token_index=N op=connect
//! dest=ADDR rule=deny:CIDR[:PORTS]|default-deny:CIDR` (never the token).
//!
//! Limits (per token, over all its bridges): `max_sockets` open sockets (streams,
//! listeners, UDP sockets, accepted streams); past it the next one answers `WouldBlock`
//! (`again`). `max_bytes` bytes relayed (sent plus received by the server's sockets);
//! the byte that passes it ends every bridge of the token (its TCP streams then answer
//! `connreset` on read, `pipe` on write; network calls `connaborted`), and the token's
//! later bridges are refused (`acces`) until the server restarts.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use virtual_net::{
    InterestHandler, IpCidr, IpRoute, NetworkError, Result, SocketStatus, StreamSecurity,
    VirtualConnectedSocket, VirtualConnectionlessSocket, VirtualIcmpSocket, VirtualIoSource,
    VirtualNetworking, VirtualRawSocket, VirtualSocket, VirtualTcpBoundSocket, VirtualTcpListener,
    VirtualTcpSocket, VirtualUdpSocket,
};

use super::port::Cidr;

/// One `--allow`/`--deny` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub cidr: Cidr,
    /// Inclusive port ranges; `None` = every port.
    pub ports: Option<Vec<(u16, u16)>>,
    pub allow: bool,
    /// Built in (the default denies), not given by the operator.
    pub builtin: bool,
    text: String,
}

impl Rule {
    /// `CIDR[:PORTS]`: `10.0.0.0/8`, `127.0.0.1/32:8080`, `192.168.1.5:80-90,443`,
    /// `[::1]/128:22`, `::1/128` (a bare address is a /32 or /128). Errors name the problem.
    pub fn parse(s: &str, allow: bool) -> std::result::Result<Rule, String> {
        let bad = |why: &str| format!("bad rule `{s}`: {why}");
        if s.is_empty() || s.len() > 512 {
            return Err(bad("expected CIDR[:PORTS]"));
        }
        // Split off ports: "[v6]/n:ports", "v4/n:ports", "v4:ports"; bare v6 has no ports.
        let (net, ports) = if let Some(rest) = s.strip_prefix('[') {
            let (ip, after) = rest.split_once(']').ok_or_else(|| bad("missing `]`"))?;
            let (prefix, ports) = match after.split_once(':') {
                Some((p, ports)) => (p, Some(ports)),
                None => (after, None),
            };
            (format!("{ip}{prefix}"), ports)
        } else if s.matches(':').count() >= 2 {
            (s.to_string(), None)
        } else {
            match s.split_once(':') {
                Some((n, p)) => (n.to_string(), Some(p)),
                None => (s.to_string(), None),
            }
        };
        let (ip, prefix) = match net.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (net.as_str(), None),
        };
        let ip: IpAddr = ip.parse().map_err(|_| bad("not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad("prefix out of range"))?,
        };
        // An IPv4-mapped network (`::ffff:a.b.c.d/n`, n >= 96) is the IPv4 one.
        let (ip, prefix) = match (ip, normalize(ip)) {
            (IpAddr::V6(_), v4 @ IpAddr::V4(_)) if prefix >= 96 => (v4, prefix - 96),
            (IpAddr::V6(v6), IpAddr::V4(_)) => (IpAddr::V6(v6), prefix),
            (_, n) => (n, prefix),
        };
        let cidr = Cidr::new(ip, prefix).map_err(|_| bad("prefix out of range"))?;
        let ports = match ports {
            None => None,
            Some(p) => Some(parse_ports(p).ok_or_else(|| bad("ports are N, N-M or a list"))?),
        };
        Ok(Rule {
            cidr,
            ports,
            allow,
            builtin: false,
            text: s.to_string(),
        })
    }

    fn builtin_deny(s: &str) -> Rule {
        let mut r = Rule::parse(s, false).expect("built-in rule");
        r.builtin = true;
        r
    }

    fn matches(&self, dest: &SocketAddr) -> bool {
        self.cidr.contains(&normalize(dest.ip()))
            && self
                .ports
                .as_ref()
                .is_none_or(|ps| ps.iter().any(|(a, b)| (*a..=*b).contains(&dest.port())))
    }

    /// Higher wins: prefix, then ports given, then explicit, then deny.
    fn rank(&self) -> (u8, bool, bool, bool) {
        (
            self.cidr.prefix,
            self.ports.is_some(),
            !self.builtin,
            !self.allow,
        )
    }

    /// How the rule is named in log lines.
    pub fn describe(&self) -> String {
        let kind = match (self.builtin, self.allow) {
            (true, _) => "default-deny",
            (false, true) => "allow",
            (false, false) => "deny",
        };
        format!("{kind}:{}", self.text)
    }
}

fn parse_ports(p: &str) -> Option<Vec<(u16, u16)>> {
    let mut out = Vec::new();
    for part in p.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?),
            None => {
                let a = part.parse::<u16>().ok()?;
                (a, a)
            }
        };
        if a > b || out.len() >= 64 {
            return None;
        }
        out.push((a, b));
    }
    (!out.is_empty()).then_some(out)
}

/// IPv4-mapped IPv6 addresses are their IPv4 address.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The rules `net serve` applies to what bridged guests reach.
#[derive(Clone, Debug)]
pub struct EgressPolicy {
    rules: Vec<Rule>,
}

/// The built-in denies: loopback, unspecified, link-local, cloud metadata.
pub const DEFAULT_DENY: &[&str] = &[
    "127.0.0.0/8",
    "::1/128",
    "0.0.0.0/32",
    "::/128",
    "169.254.0.0/16",
    "fe80::/10",
    "169.254.169.254/32",
    "fd00:ec2::254/128",
];

impl Default for EgressPolicy {
    fn default() -> Self {
        EgressPolicy {
            rules: DEFAULT_DENY.iter().map(|s| Rule::builtin_deny(s)).collect(),
        }
    }
}

impl EgressPolicy {
    /// No rules at all: everything is reachable (the library's `serve` of old; tests).
    pub fn allow_all() -> EgressPolicy {
        EgressPolicy { rules: Vec::new() }
    }

    /// Adds an operator rule.
    pub fn push(&mut self, r: Rule) {
        self.rules.push(r);
    }

    /// `Ok(())` when `dest` may be used, else the rule that refuses it.
    pub fn check(&self, dest: &SocketAddr) -> std::result::Result<(), &Rule> {
        match self
            .rules
            .iter()
            .filter(|r| r.matches(dest))
            .max_by_key(|r| r.rank())
        {
            Some(r) if !r.allow => Err(r),
            _ => Ok(()),
        }
    }
}

/// Per-token limits (`None`: unlimited).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokenLimits {
    pub max_sockets: Option<usize>,
    pub max_bytes: Option<u64>,
}

/// What one token uses, over all its bridges.
#[derive(Debug)]
pub struct Usage {
    sockets: AtomicUsize,
    bytes: AtomicU64,
    limits: TokenLimits,
    exhausted: tokio::sync::watch::Sender<bool>,
}

impl Usage {
    fn new(limits: TokenLimits) -> Usage {
        Usage {
            sockets: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            limits,
            exhausted: tokio::sync::watch::channel(false).0,
        }
    }

    /// Whether the token spent its bytes.
    pub fn is_exhausted(&self) -> bool {
        *self.exhausted.borrow()
    }

    /// Resolves once the token spent its bytes.
    pub async fn exhausted(&self) {
        let mut rx = self.exhausted.subscribe();
        let _ = rx.wait_for(|d| *d).await;
    }

    /// Takes a socket slot, or `WouldBlock` past `max_sockets`.
    fn slot(self: &Arc<Self>) -> Result<Slot> {
        let max = self.limits.max_sockets.unwrap_or(usize::MAX);
        self.sockets
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| NetworkError::WouldBlock)?;
        Ok(Slot(self.clone()))
    }

    /// Counts relayed bytes; false once the token is past `max_bytes`.
    fn spend(&self, n: usize) -> bool {
        let total = self.bytes.fetch_add(n as u64, Ordering::AcqRel) + n as u64;
        if self.limits.max_bytes.is_some_and(|m| total > m) {
            self.exhausted.send_replace(true);
            return false;
        }
        true
    }

    fn check(&self) -> Result<()> {
        if self.is_exhausted() {
            return Err(NetworkError::ConnectionReset);
        }
        Ok(())
    }
}

/// A held socket slot, given back on drop.
#[derive(Debug)]
struct Slot(Arc<Usage>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.sockets.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The usage of every token seen, keyed by the token's digest (so it survives reloads that
/// reorder the token file).
#[derive(Debug, Default)]
pub struct UsageTable {
    limits: TokenLimits,
    map: Mutex<HashMap<[u8; 32], Arc<Usage>>>,
}

impl UsageTable {
    pub fn new(limits: TokenLimits) -> UsageTable {
        UsageTable {
            limits,
            map: Default::default(),
        }
    }

    pub fn get(&self, digest: &[u8; 32]) -> Arc<Usage> {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(*digest)
            .or_insert_with(|| Arc::new(Usage::new(self.limits)))
            .clone()
    }
}

/// Where refusals are logged.
pub type Say = Arc<dyn Fn(String) + Send + Sync>;

/// The served network as one bridge sees it: policy and limits applied.
pub struct Policed {
    inner: Arc<dyn VirtualNetworking>,
    policy: Arc<EgressPolicy>,
    usage: Arc<Usage>,
    /// "peer=... token_index=N" for log lines.
    who: String,
    say: Say,
}

impl Policed {
    pub fn new(
        inner: Arc<dyn VirtualNetworking>,
        policy: Arc<EgressPolicy>,
        usage: Arc<Usage>,
        who: String,
        say: Say,
    ) -> Policed {
        Policed {
            inner,
            policy,
            usage,
            who,
            say,
        }
    }

    fn check(&self, op: &str, dest: &SocketAddr) -> Result<()> {
        check(&self.policy, &self.say, &self.who, op, dest)
    }
}

fn check(policy: &EgressPolicy, say: &Say, who: &str, op: &str, dest: &SocketAddr) -> Result<()> {
    match policy.check(dest) {
        Ok(()) => Ok(()),
        Err(rule) => {
            say(format!(
                "wxc-bridge event=egress-refused {who} op={op} dest={dest} rule={}",
                rule.describe()
            ));
            Err(NetworkError::PermissionDenied)
        }
    }
}

/// A local address to bind: the unspecified address (any interface) is fine; a specific
/// one must pass the policy (binding the server's loopback is reaching it).
fn check_bind(p: &Policed, op: &str, addr: &SocketAddr) -> Result<()> {
    if addr.ip().is_unspecified() {
        return Ok(());
    }
    p.check(op, addr)
}

#[async_trait::async_trait]
impl VirtualNetworking for Policed {
    async fn bridge(&self, _n: &str, _t: &str, _s: StreamSecurity) -> Result<()> {
        Err(NetworkError::Unsupported)
    }
    async fn unbridge(&self) -> Result<()> {
        Err(NetworkError::Unsupported)
    }
    async fn dhcp_acquire(&self) -> Result<Vec<IpAddr>> {
        Err(NetworkError::Unsupported)
    }
    // The bridge's own addresses: an isolated LAN host keeps them (the host network
    // answers `Unsupported`, so the client's port table does).
    async fn ip_add(&self, ip: IpAddr, prefix: u8) -> Result<()> {
        self.inner.ip_add(ip, prefix).await
    }
    async fn ip_remove(&self, ip: IpAddr) -> Result<()> {
        self.inner.ip_remove(ip).await
    }
    async fn ip_clear(&self) -> Result<()> {
        self.inner.ip_clear().await
    }
    async fn ip_list(&self) -> Result<Vec<IpCidr>> {
        self.inner.ip_list().await
    }
    async fn mac(&self) -> Result<[u8; 6]> {
        Err(NetworkError::Unsupported)
    }
    async fn gateway_set(&self, _ip: IpAddr) -> Result<()> {
        Err(NetworkError::Unsupported)
    }
    async fn route_add(
        &self,
        _cidr: IpCidr,
        _via: IpAddr,
        _preferred_until: Option<Duration>,
        _expires_at: Option<Duration>,
    ) -> Result<()> {
        Err(NetworkError::Unsupported)
    }
    async fn route_remove(&self, _cidr: IpAddr) -> Result<()> {
        Err(NetworkError::Unsupported)
    }
    async fn route_clear(&self) -> Result<()> {
        Err(NetworkError::Unsupported)
    }
    async fn route_list(&self) -> Result<Vec<IpRoute>> {
        Err(NetworkError::Unsupported)
    }
    /// Raw and ICMP sockets would reach any address unchecked: refused.
    async fn bind_raw(&self) -> Result<Box<dyn VirtualRawSocket + Sync>> {
        Err(NetworkError::PermissionDenied)
    }
    async fn bind_icmp(&self, _addr: IpAddr) -> Result<Box<dyn VirtualIcmpSocket + Sync>> {
        Err(NetworkError::PermissionDenied)
    }
    async fn listen_tcp(
        &self,
        addr: SocketAddr,
        only_v6: bool,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpListener + Sync>> {
        self.usage.check()?;
        check_bind(self, "listen", &addr)?;
        let slot = self.usage.slot()?;
        let l = self
            .inner
            .listen_tcp(addr, only_v6, reuse_port, reuse_addr)
            .await?;
        Ok(Box::new(PolicedListener {
            inner: l,
            usage: self.usage.clone(),
            _slot: slot,
        }))
    }
    /// A bound socket could later connect anywhere unchecked: the client binds lazily
    /// instead (its connect then comes through `connect_tcp`, which is checked).
    async fn bind_tcp(
        &self,
        _addr: SocketAddr,
        _only_v6: bool,
        _reuse_port: bool,
        _reuse_addr: bool,
    ) -> Result<Box<dyn VirtualTcpBoundSocket + Sync>> {
        Err(NetworkError::Unsupported)
    }
    async fn bind_udp(
        &self,
        addr: SocketAddr,
        reuse_port: bool,
        reuse_addr: bool,
    ) -> Result<Box<dyn VirtualUdpSocket + Sync>> {
        self.usage.check()?;
        check_bind(self, "bind", &addr)?;
        let slot = self.usage.slot()?;
        let s = self.inner.bind_udp(addr, reuse_port, reuse_addr).await?;
        Ok(Box::new(PolicedUdp {
            inner: s,
            usage: self.usage.clone(),
            policy: self.policy.clone(),
            who: self.who.clone(),
            say: self.say.clone(),
            _slot: slot,
        }))
    }
    async fn connect_tcp(
        &self,
        addr: SocketAddr,
        peer: SocketAddr,
    ) -> Result<Box<dyn VirtualTcpSocket + Sync>> {
        self.usage.check()?;
        self.check("connect", &peer)?;
        check_bind(self, "bind", &addr)?;
        let slot = self.usage.slot()?;
        let s = self.inner.connect_tcp(addr, peer).await?;
        (self.say)(format!(
            "wxc-bridge event=egress {} op=connect dest={peer}",
            self.who
        ));
        Ok(Box::new(PolicedTcp {
            inner: s,
            usage: self.usage.clone(),
            _slot: slot,
        }))
    }
    async fn resolve(
        &self,
        host: &str,
        port: Option<u16>,
        dns_server: Option<IpAddr>,
    ) -> Result<Vec<IpAddr>> {
        if let Some(d) = dns_server {
            self.check("resolve", &SocketAddr::new(d, 53))?;
        }
        self.inner.resolve(host, port, dns_server).await
    }
}

impl std::fmt::Debug for Policed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policed").field("who", &self.who).finish()
    }
}

impl std::fmt::Debug for PolicedUdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicedUdp")
            .field("inner", &self.inner)
            .finish()
    }
}

/// A TCP stream of a bridge: counts its bytes against the token.
#[derive(Debug)]
struct PolicedTcp {
    inner: Box<dyn VirtualTcpSocket + Sync>,
    usage: Arc<Usage>,
    _slot: Slot,
}

impl VirtualIoSource for PolicedTcp {
    fn remove_handler(&mut self) {
        self.inner.remove_handler()
    }
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        if self.usage.is_exhausted() {
            return Poll::Ready(Err(NetworkError::ConnectionReset));
        }
        self.inner.poll_read_ready(cx)
    }
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        if self.usage.is_exhausted() {
            return Poll::Ready(Err(NetworkError::ConnectionReset));
        }
        self.inner.poll_write_ready(cx)
    }
}

impl VirtualSocket for PolicedTcp {
    forward_socket!();
}

impl VirtualConnectedSocket for PolicedTcp {
    forward_linger!();
    fn try_send(&mut self, data: &[u8]) -> Result<usize> {
        self.usage.check()?;
        let n = self.inner.try_send(data)?;
        if !self.usage.spend(n) {
            return Err(NetworkError::ConnectionReset);
        }
        Ok(n)
    }
    fn try_flush(&mut self) -> Result<()> {
        self.usage.check()?;
        self.inner.try_flush()
    }
    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
    fn try_recv(&mut self, buf: &mut [MaybeUninit<u8>], peek: bool) -> Result<usize> {
        self.usage.check()?;
        let n = self.inner.try_recv(buf, peek)?;
        if !peek && !self.usage.spend(n) {
            return Err(NetworkError::ConnectionReset);
        }
        Ok(n)
    }
}

impl VirtualTcpSocket for PolicedTcp {
    forward_tcp_options!();
    fn is_closed(&self) -> bool {
        self.usage.is_exhausted() || self.inner.is_closed()
    }
}

/// A listener of a bridge: accepted streams take a slot and count bytes too.
#[derive(Debug)]
struct PolicedListener {
    inner: Box<dyn VirtualTcpListener + Sync>,
    usage: Arc<Usage>,
    _slot: Slot,
}

impl VirtualIoSource for PolicedListener {
    forward_io_source!();
}

impl VirtualTcpListener for PolicedListener {
    fn try_accept(&mut self) -> Result<(Box<dyn VirtualTcpSocket + Sync>, SocketAddr)> {
        self.usage.check()?;
        let (s, a) = self.inner.try_accept()?;
        // Over the limit: the connection is dropped (closed), as a full backlog would.
        let slot = self.usage.slot()?;
        Ok((
            Box::new(PolicedTcp {
                inner: s,
                usage: self.usage.clone(),
                _slot: slot,
            }),
            a,
        ))
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

/// A UDP socket of a bridge: every destination is checked, bytes are counted.
struct PolicedUdp {
    inner: Box<dyn VirtualUdpSocket + Sync>,
    usage: Arc<Usage>,
    policy: Arc<EgressPolicy>,
    who: String,
    say: Say,
    _slot: Slot,
}

impl VirtualIoSource for PolicedUdp {
    forward_io_source!();
}

impl VirtualSocket for PolicedUdp {
    forward_socket!();
}

impl VirtualConnectionlessSocket for PolicedUdp {
    fn try_send_to(&mut self, data: &[u8], addr: SocketAddr) -> Result<usize> {
        self.usage.check()?;
        check(&self.policy, &self.say, &self.who, "sendto", &addr)?;
        let n = self.inner.try_send_to(data, addr)?;
        if !self.usage.spend(n) {
            return Err(NetworkError::ConnectionReset);
        }
        Ok(n)
    }
    fn try_recv_from(
        &mut self,
        buf: &mut [MaybeUninit<u8>],
        peek: bool,
    ) -> Result<(usize, SocketAddr)> {
        self.usage.check()?;
        let (n, a) = self.inner.try_recv_from(buf, peek)?;
        if !peek && !self.usage.spend(n) {
            return Err(NetworkError::ConnectionReset);
        }
        Ok((n, a))
    }
}

impl VirtualUdpSocket for PolicedUdp {
    fn set_broadcast(&mut self, b: bool) -> Result<()> {
        // Broadcast reaches the whole LAN at once: not through the policy.
        if b {
            return Err(NetworkError::PermissionDenied);
        }
        self.inner.set_broadcast(b)
    }
    fn broadcast(&self) -> Result<bool> {
        self.inner.broadcast()
    }
    fn set_multicast_loop_v4(&mut self, v: bool) -> Result<()> {
        self.inner.set_multicast_loop_v4(v)
    }
    fn multicast_loop_v4(&self) -> Result<bool> {
        self.inner.multicast_loop_v4()
    }
    fn set_multicast_loop_v6(&mut self, v: bool) -> Result<()> {
        self.inner.set_multicast_loop_v6(v)
    }
    fn multicast_loop_v6(&self) -> Result<bool> {
        self.inner.multicast_loop_v6()
    }
    fn set_multicast_ttl_v4(&mut self, t: u32) -> Result<()> {
        self.inner.set_multicast_ttl_v4(t)
    }
    fn multicast_ttl_v4(&self) -> Result<u32> {
        self.inner.multicast_ttl_v4()
    }
    fn join_multicast_v4(&mut self, m: Ipv4Addr, i: Ipv4Addr) -> Result<()> {
        self.inner.join_multicast_v4(m, i)
    }
    fn leave_multicast_v4(&mut self, m: Ipv4Addr, i: Ipv4Addr) -> Result<()> {
        self.inner.leave_multicast_v4(m, i)
    }
    fn join_multicast_v6(&mut self, m: Ipv6Addr, i: u32) -> Result<()> {
        self.inner.join_multicast_v6(m, i)
    }
    fn leave_multicast_v6(&mut self, m: Ipv6Addr, i: u32) -> Result<()> {
        self.inner.leave_multicast_v6(m, i)
    }
    fn addr_peer(&self) -> Result<Option<SocketAddr>> {
        self.inner.addr_peer()
    }
}

/// What a signal asks `net serve` to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP: re-read the tokens.
    Reload,
    /// SIGTERM: stop accepting, let bridges finish within the grace period, return.
    Terminate,
}

/// SIGHUP and SIGTERM as a stream (tokio::signal); never resolves when not enabled.
pub struct Signals {
    hup: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn new(enabled: bool) -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        if !enabled {
            return Ok(Signals {
                hup: None,
                term: None,
            });
        }
        Ok(Signals {
            hup: Some(signal(SignalKind::hangup())?),
            term: Some(signal(SignalKind::terminate())?),
        })
    }

    pub async fn next(&mut self) -> Signal {
        match (&mut self.hup, &mut self.term) {
            (Some(h), Some(t)) => tokio::select! {
                Some(()) = h.recv() => Signal::Reload,
                Some(()) = t.recv() => Signal::Terminate,
                else => std::future::pending().await,
            },
            _ => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_deny_loopback_link_local_metadata() {
        let p = EgressPolicy::default();
        for d in [
            "127.0.0.1:80",
            "127.9.9.9:1",
            "[::1]:80",
            "169.254.169.254:80",
            "[fe80::1]:22",
            "[fd00:ec2::254]:80",
            "0.0.0.0:80",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(p.check(&sa(d)).is_err(), "{d}");
        }
        assert!(p.check(&sa("93.184.216.34:443")).is_ok());
    }

    #[test]
    fn most_specific_wins_deny_wins_ties() {
        let mut p = EgressPolicy::default();
        p.push(Rule::parse("127.0.0.1/32", true).unwrap());
        assert!(p.check(&sa("127.0.0.1:5")).is_ok());
        assert!(p.check(&sa("127.0.0.2:5")).is_err());
        p.push(Rule::parse("127.0.0.1/32:5-6,9", false).unwrap());
        assert!(
            p.check(&sa("127.0.0.1:5")).is_err(),
            "ports are more specific"
        );
        assert!(p.check(&sa("127.0.0.1:7")).is_ok());
        assert!(p.check(&sa("127.0.0.1:9")).is_err());
        p.push(Rule::parse("127.0.0.1:7", true).unwrap());
        p.push(Rule::parse("127.0.0.1:7", false).unwrap());
        assert!(p.check(&sa("127.0.0.1:7")).is_err(), "deny wins a tie");
        // An explicit /8 allow beats the built-in /8 deny.
        let mut q = EgressPolicy::default();
        q.push(Rule::parse("127.0.0.0/8", true).unwrap());
        assert!(q.check(&sa("127.3.0.1:1")).is_ok());
        assert!(Rule::parse("[::1]/128:22", true).unwrap().ports.is_some());
        assert!(Rule::parse("::1/128", true).unwrap().ports.is_none());
        let m = Rule::parse("::ffff:127.0.0.1/128", true).unwrap();
        assert_eq!(
            (m.cidr.ip, m.cidr.prefix),
            ("127.0.0.1".parse().unwrap(), 32)
        );
        for bad in [
            "",
            "1.2.3.4/33",
            "1.2.3.4:0-",
            "1.2.3.4:9-3",
            "x/8",
            "1.2.3.4:",
            "::1/129",
            "1.2.3.4:65536",
            "[::1",
            "1.2.3.4/8/8",
        ] {
            assert!(Rule::parse(bad, true).is_err(), "{bad}");
        }
    }
}
