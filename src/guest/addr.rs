//! WASIX socket addresses in guest memory, laid out as the witx says (not as wasmer-wasix
//! does): `addr_port` / `addr` are unions tagged by `address_family` (u8) whose payload
//! starts at 2 and is sized by the largest case, the 108-byte unix path — 110 bytes in all.
//! Every integer is little-endian, ports and ip6 segments included.

use super::{GuestMem, MemError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Size of `addr`, `addr_port`.
pub const ADDR_SIZE: u64 = 110;
/// Size of `addr_ip` (tag + `addr_ip6_bare`, 16 bytes of segments).
pub const ADDR_IP_SIZE: u64 = 18;
/// Where the union payload starts (after the u8 tag, aligned to the u16 fields).
pub const PAYLOAD: usize = 2;
/// `addr_ip4_port` / `addr_ip6_port`: the port, then the address.
pub const PORT_AT: usize = PAYLOAD;
pub const PORT_ADDR_AT: usize = PAYLOAD + 2;
/// In `addr_ip6`: flow info and scope id follow the 8 segments, as (high, low) u16 pairs.
pub const IP6_FLOW_AT: usize = 16;
pub const IP6_SCOPE_AT: usize = 20;
/// Bytes of the inet4 / inet6 cases of `addr_port` counted from 0 (tag included).
pub const INET4_PORT_END: usize = PORT_ADDR_AT + 4;
pub const INET6_PORT_END: usize = PORT_ADDR_AT + 24;

pub const AF_UNSPEC: u8 = 0;
pub const AF_INET4: u8 = 1;
pub const AF_INET6: u8 = 2;
pub const AF_UNIX: u8 = 3;

#[derive(Debug, PartialEq, Eq)]
pub enum AddrError {
    Mem(MemError),
    /// An unknown tag.
    BadTag,
    /// A family we cannot speak (unix, unspec where an address is required).
    Family,
}

impl From<MemError> for AddrError {
    fn from(e: MemError) -> Self {
        AddrError::Mem(e)
    }
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// ip6 as the witx stores it: 8 segments, then flow info and scope id as (high, low) u16s.
fn ip6_from(b: &[u8], at: usize) -> (Ipv6Addr, u32, u32) {
    let mut seg = [0u16; 8];
    for (i, s) in seg.iter_mut().enumerate() {
        *s = u16le(b, at + 2 * i);
    }
    let flow = (u16le(b, at + IP6_FLOW_AT) as u32) << 16 | u16le(b, at + IP6_FLOW_AT + 2) as u32;
    let scope = (u16le(b, at + IP6_SCOPE_AT) as u32) << 16 | u16le(b, at + IP6_SCOPE_AT + 2) as u32;
    (Ipv6Addr::from(seg), flow, scope)
}

fn ip6_into(b: &mut [u8], at: usize, ip: &Ipv6Addr, flow: u32, scope: u32) {
    for (i, s) in ip.segments().iter().enumerate() {
        b[at + 2 * i..at + 2 * i + 2].copy_from_slice(&s.to_le_bytes());
    }
    for (k, v) in [
        (flow >> 16) as u16,
        flow as u16,
        (scope >> 16) as u16,
        scope as u16,
    ]
    .iter()
    .enumerate()
    {
        let o = at + IP6_FLOW_AT + 2 * k;
        b[o..o + 2].copy_from_slice(&v.to_le_bytes());
    }
}

/// Reads an `addr_port`.
pub fn read_addr_port(mem: &GuestMem<'_>, ptr: u64) -> Result<SocketAddr, AddrError> {
    let b = mem.slice(ptr, ADDR_SIZE)?;
    let port = u16le(b, PORT_AT);
    let at = PORT_ADDR_AT;
    match b[0] {
        AF_INET4 => {
            let ip = Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]);
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        AF_INET6 => {
            let (ip, flow, scope) = ip6_from(b, at);
            Ok(SocketAddr::V6(SocketAddrV6::new(ip, port, flow, scope)))
        }
        AF_UNSPEC | AF_UNIX => Err(AddrError::Family),
        _ => Err(AddrError::BadTag),
    }
}

/// Writes an `addr_port`: the whole union must be guest memory, but like a C union member
/// assignment only the tag, its padding byte and the active case are written.
pub fn write_addr_port(mem: &GuestMem<'_>, ptr: u64, a: &SocketAddr) -> Result<(), MemError> {
    mem.check_range(ptr, ADDR_SIZE)?;
    let mut b = [0u8; ADDR_SIZE as usize];
    let end = match a {
        SocketAddr::V4(_) => INET4_PORT_END,
        SocketAddr::V6(_) => INET6_PORT_END,
    };
    b[PORT_AT..PORT_AT + 2].copy_from_slice(&a.port().to_le_bytes());
    match a {
        SocketAddr::V4(v4) => {
            b[0] = AF_INET4;
            b[PORT_ADDR_AT..INET4_PORT_END].copy_from_slice(&v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            b[0] = AF_INET6;
            ip6_into(&mut b, PORT_ADDR_AT, v6.ip(), v6.flowinfo(), v6.scope_id());
        }
    }
    mem.write_bytes(ptr, &b[..end])
}

/// Writes an `addr_ip` (resolve results).
pub fn write_addr_ip(mem: &GuestMem<'_>, ptr: u64, ip: &IpAddr) -> Result<(), MemError> {
    let mut b = [0u8; ADDR_IP_SIZE as usize];
    match ip {
        IpAddr::V4(v4) => {
            b[0] = AF_INET4;
            b[PAYLOAD..PAYLOAD + 4].copy_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            b[0] = AF_INET6;
            for (i, s) in v6.segments().iter().enumerate() {
                let o = PAYLOAD + 2 * i;
                b[o..o + 2].copy_from_slice(&s.to_le_bytes());
            }
        }
    }
    mem.write_bytes(ptr, &b)
}

/// An `addr_ip4` (4 bytes) or `addr_ip6` (24 bytes) as used by the multicast calls.
pub fn read_ip4(mem: &GuestMem<'_>, ptr: u64) -> Result<Ipv4Addr, MemError> {
    let b = mem.slice(ptr, 4)?;
    Ok(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

pub fn read_ip6(mem: &GuestMem<'_>, ptr: u64) -> Result<Ipv6Addr, MemError> {
    let b = mem.slice(ptr, 24)?;
    Ok(ip6_from(b, 0).0)
}

/// Size of `addr_cidr`: tag at 0, payload at 2 (address, then the prefix byte).
pub const CIDR_SIZE: u64 = 28;
/// Size of `option_timestamp`: tag u8 at 0, nanoseconds at 8.
pub const OPT_TS_SIZE: u64 = 16;
/// Size of `route`, and where its members sit.
pub const ROUTE_SIZE: u64 = 176;
pub const ROUTE_VIA_AT: u64 = 28;
pub const ROUTE_PREFERRED_AT: u64 = 144;
pub const ROUTE_EXPIRES_AT: u64 = 160;

/// Reads an `addr` (no port): inet4 octets or inet6 segments at the payload.
pub fn read_addr(mem: &GuestMem<'_>, ptr: u64) -> Result<IpAddr, AddrError> {
    let b = mem.slice(ptr, ADDR_SIZE)?;
    ip_at(b)
}

fn ip_at(b: &[u8]) -> Result<IpAddr, AddrError> {
    let p = PAYLOAD;
    match b[0] {
        AF_INET4 => Ok(IpAddr::V4(Ipv4Addr::new(
            b[p],
            b[p + 1],
            b[p + 2],
            b[p + 3],
        ))),
        AF_INET6 => Ok(IpAddr::V6(ip6_from(b, p).0)),
        AF_UNSPEC | AF_UNIX => Err(AddrError::Family),
        _ => Err(AddrError::BadTag),
    }
}

/// Writes the tag and address of an `addr`-shaped union; returns where the address ends.
fn put_ip(b: &mut [u8], ip: &IpAddr) -> usize {
    match ip {
        IpAddr::V4(v4) => {
            b[..PAYLOAD + 4].fill(0);
            b[0] = AF_INET4;
            b[PAYLOAD..PAYLOAD + 4].copy_from_slice(&v4.octets());
            PAYLOAD + 4
        }
        IpAddr::V6(v6) => {
            b[..PAYLOAD + 24].fill(0);
            b[0] = AF_INET6;
            ip6_into(b, PAYLOAD, v6, 0, 0);
            PAYLOAD + 24
        }
    }
}

pub fn write_addr(mem: &GuestMem<'_>, ptr: u64, ip: &IpAddr) -> Result<(), MemError> {
    mem.check_range(ptr, ADDR_SIZE)?;
    let mut b = [0u8; ADDR_SIZE as usize];
    let end = put_ip(&mut b, ip);
    mem.write_bytes(ptr, &b[..end])
}

/// Reads an `addr_cidr` as (address, prefix); the prefix byte follows the address.
pub fn read_cidr(mem: &GuestMem<'_>, ptr: u64) -> Result<(IpAddr, u8), AddrError> {
    let b = mem.slice(ptr, CIDR_SIZE)?;
    let ip = ip_at(b)?;
    let at = if ip.is_ipv4() {
        PAYLOAD + 4
    } else {
        PAYLOAD + 24
    };
    Ok((ip, b[at]))
}

pub fn write_cidr(mem: &GuestMem<'_>, ptr: u64, ip: &IpAddr, prefix: u8) -> Result<(), MemError> {
    let mut b = [0u8; CIDR_SIZE as usize];
    let end = put_ip(&mut b, ip);
    b[end] = prefix;
    mem.check_range(ptr, CIDR_SIZE)?;
    mem.write_bytes(ptr, &b[..=end])
}

/// `option_timestamp`: `Err(BadTag)` for a tag other than none (0) / some (1).
pub fn read_opt_ts(mem: &GuestMem<'_>, ptr: u64) -> Result<Option<u64>, AddrError> {
    let b = mem.slice(ptr, OPT_TS_SIZE)?;
    match b[0] {
        0 => Ok(None),
        1 => Ok(Some(u64::from_le_bytes(
            b[8..16].try_into().expect("8 bytes"),
        ))),
        _ => Err(AddrError::BadTag),
    }
}

pub fn write_opt_ts(mem: &GuestMem<'_>, ptr: u64, v: Option<u64>) -> Result<(), MemError> {
    let mut b = [0u8; OPT_TS_SIZE as usize];
    if let Some(ns) = v {
        b[0] = 1;
        b[8..16].copy_from_slice(&ns.to_le_bytes());
    }
    mem.write_bytes(ptr, &b)
}

/// The layouts this module encodes, for the witx ABI test (`guest::layout::LAYOUTS`).
pub const LAYOUTS: [super::layout::TypeLayout; 8] = [
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "addr",
        size: ADDR_SIZE as usize,
        align: 2,
        fields: &[
            ("tag", 0),
            ("inet4", PAYLOAD),
            ("inet6", PAYLOAD),
            ("inet6.scope_id0", PAYLOAD + IP6_SCOPE_AT + 2),
        ],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "hardware_address",
        size: 6,
        align: 1,
        fields: &[
            ("n0", 0),
            ("n1", 1),
            ("n2", 2),
            ("h0", 3),
            ("h1", 4),
            ("h2", 5),
        ],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "addr_cidr",
        size: CIDR_SIZE as usize,
        align: 2,
        fields: &[
            ("tag", 0),
            ("inet4.addr", PAYLOAD),
            ("inet4.prefix", PAYLOAD + 4),
            ("inet6.addr", PAYLOAD),
            ("inet6.prefix", PAYLOAD + 24),
        ],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "route",
        size: ROUTE_SIZE as usize,
        align: 8,
        fields: &[
            ("cidr", 0),
            ("via_router", ROUTE_VIA_AT as usize),
            ("preferred_until", ROUTE_PREFERRED_AT as usize),
            ("expires_at", ROUTE_EXPIRES_AT as usize),
        ],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "addr_port",
        size: ADDR_SIZE as usize,
        align: 2,
        fields: &[
            ("tag", 0),
            ("inet4.port", PORT_AT),
            ("inet4.addr", PORT_ADDR_AT),
            ("inet6.port", PORT_AT),
            ("inet6.addr", PORT_ADDR_AT),
            ("inet6.addr.flow_info1", PORT_ADDR_AT + IP6_FLOW_AT),
            ("inet6.addr.scope_id1", PORT_ADDR_AT + IP6_SCOPE_AT),
        ],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "addr_ip",
        size: ADDR_IP_SIZE as usize,
        align: 2,
        fields: &[("tag", 0), ("inet4", PAYLOAD), ("inet6", PAYLOAD)],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "addr_ip4",
        size: 4,
        align: 1,
        fields: &[("n0", 0), ("n1", 1), ("h0", 2), ("h1", 3)],
    },
    super::layout::TypeLayout {
        abi: "wasix",
        witx: "addr_ip6",
        size: 24,
        align: 2,
        fields: &[
            ("n0", 0),
            ("n1", 2),
            ("n2", 4),
            ("n3", 6),
            ("h0", 8),
            ("h1", 10),
            ("h2", 12),
            ("h3", 14),
            ("flow_info1", IP6_FLOW_AT),
            ("flow_info0", IP6_FLOW_AT + 2),
            ("scope_id1", IP6_SCOPE_AT),
            ("scope_id0", IP6_SCOPE_AT + 2),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_layout() {
        let mut buf = vec![0xAAu8; 256];
        let m = GuestMem::from_slice(&mut buf);
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        write_addr_port(&m, 8, &a).unwrap();
        assert_eq!(read_addr_port(&m, 8).unwrap(), a);
        let raw = m.slice(8, ADDR_SIZE).unwrap();
        // tag, pad, little-endian port (0x1f90), octets in order, rest zero.
        assert_eq!(&raw[..8], &[1, 0, 0x90, 0x1f, 127, 0, 0, 1]);
        assert!(
            raw[8..].iter().all(|b| *b == 0xAA),
            "bytes past the ip4 case untouched"
        );
        let six: SocketAddr = "[::1]:443".parse().unwrap();
        write_addr_port(&m, 8, &six).unwrap();
        assert_eq!(read_addr_port(&m, 8).unwrap(), six);
        assert_eq!(
            m.slice(8 + 18, 2).unwrap(),
            &[1, 0],
            "last segment little-endian"
        );
        m.write::<u8>(8, 9).unwrap();
        assert_eq!(read_addr_port(&m, 8).unwrap_err(), AddrError::BadTag);
        assert_eq!(
            read_addr_port(&m, 200).unwrap_err(),
            AddrError::Mem(MemError::Fault)
        );
    }
}
