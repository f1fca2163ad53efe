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
    let flow = (u16le(b, at + 16) as u32) << 16 | u16le(b, at + 18) as u32;
    let scope = (u16le(b, at + 20) as u32) << 16 | u16le(b, at + 22) as u32;
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
        b[at + 16 + 2 * k..at + 18 + 2 * k].copy_from_slice(&v.to_le_bytes());
    }
}

/// Reads an `addr_port`.
pub fn read_addr_port(mem: &GuestMem<'_>, ptr: u64) -> Result<SocketAddr, AddrError> {
    let b = mem.slice(ptr, ADDR_SIZE)?;
    match b[0] {
        AF_INET4 => {
            let port = u16le(b, 2);
            Ok(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::new(b[4], b[5], b[6], b[7]),
                port,
            )))
        }
        AF_INET6 => {
            let port = u16le(b, 2);
            let (ip, flow, scope) = ip6_from(b, 4);
            Ok(SocketAddr::V6(SocketAddrV6::new(ip, port, flow, scope)))
        }
        AF_UNSPEC | AF_UNIX => Err(AddrError::Family),
        _ => Err(AddrError::BadTag),
    }
}

/// Writes an `addr_port`: the whole union must be guest memory, but like a C union member
/// assignment only the tag, its padding byte and the active case are written.
pub fn write_addr_port(mem: &GuestMem<'_>, ptr: u64, a: &SocketAddr) -> Result<(), MemError> {
    let b = mem.slice_mut(ptr, ADDR_SIZE)?;
    let case = match a {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 28,
    };
    b[..case].fill(0);
    match a {
        SocketAddr::V4(v4) => {
            b[0] = AF_INET4;
            b[2..4].copy_from_slice(&v4.port().to_le_bytes());
            b[4..8].copy_from_slice(&v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            b[0] = AF_INET6;
            b[2..4].copy_from_slice(&v6.port().to_le_bytes());
            ip6_into(b, 4, v6.ip(), v6.flowinfo(), v6.scope_id());
        }
    }
    Ok(())
}

/// Writes an `addr_ip` (resolve results).
pub fn write_addr_ip(mem: &GuestMem<'_>, ptr: u64, ip: &IpAddr) -> Result<(), MemError> {
    let b = mem.slice_mut(ptr, ADDR_IP_SIZE)?;
    b.fill(0);
    match ip {
        IpAddr::V4(v4) => {
            b[0] = AF_INET4;
            b[2..6].copy_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            b[0] = AF_INET6;
            for (i, s) in v6.segments().iter().enumerate() {
                b[2 + 2 * i..4 + 2 * i].copy_from_slice(&s.to_le_bytes());
            }
        }
    }
    Ok(())
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
        m.slice_mut(8, 1).unwrap()[0] = 9;
        assert_eq!(read_addr_port(&m, 8).unwrap_err(), AddrError::BadTag);
        assert_eq!(
            read_addr_port(&m, 200).unwrap_err(),
            AddrError::Mem(MemError::Fault)
        );
    }
}
