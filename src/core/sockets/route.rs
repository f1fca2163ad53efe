//! Which network a new socket to a destination uses: the routing decision behind
//! `port_route_add` (split tunnelling while bridged).
//!
//! The route for a destination is the live route (not expired) with the longest prefix
//! that contains it; among equal prefixes, one still preferred (`preferred_until` unset or
//! in the future) beats one past it, and a later `preferred_until` beats an earlier one
//! (unset = preferred for ever). A route whose `expires_at` has passed is removed.
//!
//! Not bridged:
//! - no routes at all: every destination is reachable (the backend decides);
//! - a matching route whose `via` is a known router — the port's gateway, an address inside
//!   one of the port's own CIDRs (on-link), a loopback or the unspecified address (direct)
//!   — uses the local network; a matching route via any other address is `netunreach`;
//! - no matching route: the gateway (if set) is the default route, else `netunreach`.
//!
//! Bridged (`port_bridge` succeeded), the bridge is the router the instance reaches through
//! its gateway:
//! - no routes at all: everything goes over the bridge (as before routes steered);
//! - a matching route goes over the bridge when its `via` is the port's gateway (set by
//!   `port_gateway_set` or DHCP) or, when no gateway is set, whatever its `via` (the bridge
//!   is then the only router there is); a matching route via another address uses the
//!   local network (`netunreach` if that address is not a known router, as above);
//! - no matching route: over the bridge when a gateway is set (the default route),
//!   otherwise the local network (split tunnelling: only routed destinations cross).
//!
//! Decided per new socket (TCP connect, UDP connect/send check), so `port_route_add`,
//! `port_route_remove`, `port_route_clear` and expiry take effect for the next socket; a
//! socket already connected keeps its network.

use super::port::{Cidr, Route};
use crate::core::ErrorCode;
use std::net::IpAddr;

/// Where a new socket goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The instance's current backend (the bridge when bridged, else the local network).
    Default,
    /// Over the bridge.
    Bridge,
    /// The local network, also while bridged.
    Local,
}

/// The best live route for `dest` at time `now` (realtime nanoseconds).
pub fn best<'a>(routes: &'a [Route], dest: &IpAddr, now: u64) -> Option<&'a Route> {
    routes
        .iter()
        .filter(|r| r.expires_at.is_none_or(|e| e > now))
        .filter(|r| r.cidr.contains(dest))
        .max_by_key(|r| {
            let preferred = r.preferred_until.is_none_or(|p| p > now);
            (
                r.cidr.prefix,
                preferred,
                r.preferred_until.unwrap_or(u64::MAX),
            )
        })
}

/// What the port knows about its routers.
pub struct Known<'a> {
    pub gateway: Option<IpAddr>,
    pub addrs: &'a [Cidr],
}

impl Known<'_> {
    fn router(&self, via: &IpAddr) -> bool {
        self.gateway == Some(*via)
            || via.is_loopback()
            || via.is_unspecified()
            || self.addrs.iter().any(|c| c.contains(via))
    }
}

/// The decision for a new socket to `dest` (see the module docs).
pub fn decide(
    routes: &[Route],
    known: &Known<'_>,
    bridged: bool,
    dest: &IpAddr,
    now: u64,
) -> Result<Path, ErrorCode> {
    let live = routes.iter().any(|r| r.expires_at.is_none_or(|e| e > now));
    if !live {
        return Ok(Path::Default);
    }
    match (best(routes, dest, now), bridged) {
        (Some(r), true) => {
            if known.gateway.is_none_or(|g| g == r.via) {
                Ok(Path::Bridge)
            } else if known.router(&r.via) {
                Ok(Path::Local)
            } else {
                Err(ErrorCode::NetworkUnreachable)
            }
        }
        (Some(r), false) => {
            if known.router(&r.via) {
                Ok(Path::Default)
            } else {
                Err(ErrorCode::NetworkUnreachable)
            }
        }
        (None, true) => Ok(if known.gateway.is_some() {
            Path::Bridge
        } else {
            Path::Local
        }),
        (None, false) => {
            if known.gateway.is_some() {
                Ok(Path::Default)
            } else {
                Err(ErrorCode::NetworkUnreachable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn route(c: &str, p: u8, via: &str, pu: Option<u64>, ea: Option<u64>) -> Route {
        Route {
            cidr: Cidr::new(ip(c), p).unwrap(),
            via: ip(via),
            preferred_until: pu,
            expires_at: ea,
        }
    }

    #[test]
    fn longest_prefix_then_preference() {
        let rs = [
            route("10.0.0.0", 8, "192.0.2.1", None, None),
            route("10.1.0.0", 16, "192.0.2.2", Some(5), None),
            route("10.1.0.0", 16, "192.0.2.3", Some(50), None),
            route("10.1.2.0", 24, "192.0.2.4", None, Some(10)),
        ];
        let d = ip("10.1.2.3");
        assert_eq!(best(&rs, &d, 1).unwrap().via, ip("192.0.2.4"), "longest");
        assert_eq!(
            best(&rs, &d, 20).unwrap().via,
            ip("192.0.2.3"),
            "expired /24"
        );
        // Both /16s past their preferred time: the later one still orders first.
        assert_eq!(best(&rs, &d, 60).unwrap().via, ip("192.0.2.3"));
        assert_eq!(best(&rs, &ip("10.9.0.1"), 60).unwrap().via, ip("192.0.2.1"));
    }

    #[test]
    fn bridged_splits_unbridged_needs_known_router() {
        let rs = [route("127.0.0.2", 32, "10.0.0.1", None, None)];
        let none = Known {
            gateway: None,
            addrs: &[],
        };
        let (a, b) = (ip("127.0.0.2"), ip("127.0.0.1"));
        assert_eq!(decide(&rs, &none, true, &a, 1), Ok(Path::Bridge));
        assert_eq!(decide(&rs, &none, true, &b, 1), Ok(Path::Local));
        assert_eq!(
            decide(&rs, &none, false, &a, 1),
            Err(ErrorCode::NetworkUnreachable)
        );
        let gw = Known {
            gateway: Some(ip("10.0.0.1")),
            addrs: &[],
        };
        assert_eq!(decide(&rs, &gw, false, &a, 1), Ok(Path::Default));
        assert_eq!(decide(&rs, &gw, true, &b, 1), Ok(Path::Bridge), "default");
        let other = Known {
            gateway: Some(ip("10.0.0.9")),
            addrs: &[],
        };
        assert_eq!(
            decide(&rs, &other, true, &a, 1),
            Err(ErrorCode::NetworkUnreachable),
            "via an unknown router"
        );
        assert_eq!(decide(&[], &none, true, &a, 1), Ok(Path::Default));
    }
}
