//! The instance's virtual network port: its addresses, routes, gateway, MAC, DHCP lease
//! and bridge. Port operations go to the network backend first; when the backend does not
//! implement them (virtual-net's default is `Unsupported`, as host networking is), the port
//! keeps the table itself. Outbound connects and sends consult it (longest-prefix match).

use crate::core::clocks::{self, ClockId};
use crate::core::ErrorCode;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;

type Result<T> = std::result::Result<T, ErrorCode>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub ip: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// A CIDR whose prefix fits the address family.
    pub fn new(ip: IpAddr, prefix: u8) -> Result<Cidr> {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(ErrorCode::Invalid);
        }
        Ok(Cidr { ip, prefix })
    }

    pub fn contains(&self, a: &IpAddr) -> bool {
        match (self.ip, a) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(*a) & mask
            }
            _ => false,
        }
    }
}

/// Times are nanoseconds on the realtime clock, as the witx `timestamp`s the guest gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub cidr: Cidr,
    pub via: IpAddr,
    pub preferred_until: Option<u64>,
    pub expires_at: Option<u64>,
}

#[derive(Default)]
struct State {
    addrs: Vec<Cidr>,
    routes: Vec<Route>,
    gateway: Option<IpAddr>,
    dhcp: bool,
    bridged_to: Option<String>,
}

pub struct Port {
    /// A leaf lock: every method takes it for one table operation and calls nothing else
    /// under it (the network consults the port before or after a backend call, never
    /// during one).
    state: Mutex<State>,
    mac: [u8; 6],
}

impl Default for Port {
    fn default() -> Self {
        Port::new()
    }
}

fn now() -> u64 {
    clocks::now(ClockId::Realtime).unwrap_or(0)
}

impl Port {
    /// A fresh port with a random, locally administered unicast MAC.
    pub fn new() -> Port {
        let mut mac = [0u8; 6];
        crate::core::random::fill_insecure(&mut mac);
        mac[0] = (mac[0] & 0xfc) | 0x02;
        Port {
            state: Mutex::new(State::default()),
            mac,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    pub fn addr_add(&self, c: Cidr) {
        let mut s = self.lock();
        if !s.addrs.contains(&c) {
            s.addrs.push(c);
        }
    }

    pub fn addr_remove(&self, ip: &IpAddr) -> Result<()> {
        let mut s = self.lock();
        let before = s.addrs.len();
        s.addrs.retain(|c| c.ip != *ip);
        if s.addrs.len() == before {
            return Err(ErrorCode::NoEntry);
        }
        Ok(())
    }

    pub fn addr_clear(&self) {
        let mut s = self.lock();
        s.addrs.clear();
        s.dhcp = false;
    }

    pub fn addr_list(&self) -> Vec<Cidr> {
        self.lock().addrs.clone()
    }

    pub fn gateway_set(&self, ip: IpAddr) {
        self.lock().gateway = Some(ip);
    }

    pub fn gateway(&self) -> Option<IpAddr> {
        self.lock().gateway
    }

    pub fn route_add(&self, r: Route) {
        let mut s = self.lock();
        s.routes.retain(|x| x.cidr != r.cidr);
        s.routes.push(r);
    }

    /// Removes the route(s) whose destination network is `ip`.
    pub fn route_remove(&self, ip: &IpAddr) -> Result<()> {
        let mut s = self.lock();
        let before = s.routes.len();
        s.routes.retain(|r| r.cidr.ip != *ip);
        if s.routes.len() == before {
            return Err(ErrorCode::NoEntry);
        }
        Ok(())
    }

    pub fn route_clear(&self) {
        self.lock().routes.clear();
    }

    /// Live routes: expired ones are dropped for good.
    pub fn route_list(&self) -> Vec<Route> {
        let t = now();
        let mut s = self.lock();
        s.routes.retain(|r| r.expires_at.is_none_or(|e| e > t));
        s.routes.clone()
    }

    /// A DHCP lease on the port's own table: a private /24 derived from the MAC, with its
    /// .1 as gateway (a stable, collision-unlikely choice; no DHCP server is consulted).
    pub fn dhcp_acquire(&self) -> Vec<IpAddr> {
        let mut s = self.lock();
        let net = [10, self.mac[4], self.mac[5]];
        let ip = IpAddr::V4(Ipv4Addr::new(
            net[0],
            net[1],
            net[2],
            2 + (self.mac[3] % 250),
        ));
        if let Ok(c) = Cidr::new(ip, 24) {
            if !s.addrs.contains(&c) {
                s.addrs.push(c);
            }
        }
        s.gateway
            .get_or_insert(IpAddr::V4(Ipv4Addr::new(net[0], net[1], net[2], 1)));
        s.dhcp = true;
        vec![ip]
    }

    pub fn set_bridged(&self, to: Option<String>) {
        self.lock().bridged_to = to;
    }

    pub fn bridged_to(&self) -> Option<String> {
        self.lock().bridged_to.clone()
    }

    /// The route for `dest` (see `route::best`: longest prefix, then preference), and
    /// whether the destination is reachable when not bridged.
    pub fn route_for(&self, dest: &IpAddr) -> Result<Option<Route>> {
        let routes = self.route_list();
        self.decide(dest, false)?;
        Ok(super::route::best(&routes, dest, now()).copied())
    }

    /// Which network a new socket to `dest` uses (`route::decide`).
    pub fn decide(&self, dest: &IpAddr, bridged: bool) -> Result<super::route::Path> {
        let t = now();
        let s = {
            let mut s = self.lock();
            s.routes.retain(|r| r.expires_at.is_none_or(|e| e > t));
            (s.routes.clone(), s.gateway, s.addrs.clone())
        };
        let known = super::route::Known {
            gateway: s.1,
            addrs: &s.2,
        };
        super::route::decide(&s.0, &known, bridged, dest, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_bounds_and_matching() {
        assert_eq!(Cidr::new(ip("10.0.0.0"), 33), Err(ErrorCode::Invalid));
        assert!(Cidr::new(ip("::"), 128).is_ok());
        let c = Cidr::new(ip("10.1.0.0"), 16).unwrap();
        assert!(c.contains(&ip("10.1.200.3")));
        assert!(!c.contains(&ip("10.2.0.1")));
        assert!(!c.contains(&ip("::1")));
        assert!(Cidr::new(ip("0.0.0.0"), 0)
            .unwrap()
            .contains(&ip("8.8.8.8")));
    }

    #[test]
    fn longest_prefix_then_preference_then_gateway() {
        let p = Port::new();
        let d = ip("10.1.2.3");
        assert_eq!(p.route_for(&d), Ok(None), "no routes: unrestricted");
        // The routers below are on-link (known): inside the port's own /24.
        p.addr_add(Cidr::new(ip("10.0.0.9"), 24).unwrap());
        let r16 = Route {
            cidr: Cidr::new(ip("10.1.0.0"), 16).unwrap(),
            via: ip("10.0.0.1"),
            preferred_until: None,
            expires_at: None,
        };
        let r24 = Route {
            cidr: Cidr::new(ip("10.1.2.0"), 24).unwrap(),
            via: ip("10.0.0.2"),
            preferred_until: Some(1),
            expires_at: None,
        };
        p.route_add(r16);
        p.route_add(r24);
        // Longest prefix wins, preferred or not.
        assert_eq!(p.route_for(&d).unwrap().unwrap().via, ip("10.0.0.2"));
        p.route_remove(&ip("10.1.0.0")).unwrap();
        assert_eq!(
            p.route_for(&d).unwrap().unwrap().via,
            ip("10.0.0.2"),
            "non-preferred used when alone"
        );
        assert_eq!(
            p.route_for(&ip("192.168.1.1")),
            Err(ErrorCode::NetworkUnreachable)
        );
        p.gateway_set(ip("10.0.0.254"));
        assert_eq!(
            p.route_for(&ip("192.168.1.1")),
            Ok(None),
            "gateway is the default route"
        );
        let expired = Route {
            cidr: Cidr::new(ip("172.16.0.0"), 12).unwrap(),
            via: ip("10.0.0.3"),
            preferred_until: None,
            expires_at: Some(1),
        };
        p.route_add(expired);
        assert!(
            p.route_list().iter().all(|r| r.cidr.ip != ip("172.16.0.0")),
            "expired routes vanish"
        );
        assert_eq!(p.route_remove(&ip("1.2.3.4")), Err(ErrorCode::NoEntry));
        assert_eq!(p.mac()[0] & 0x03, 0x02);
    }
}
