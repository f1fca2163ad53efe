//! `wasi:sockets/*` over the core's network and sockets: the very `Network` and `Socket`
//! objects the witx front ends' socket fds hold ([`crate::core::sockets`]). This layer
//! keeps only what 0.2 adds on top: the two-phase state machines of `tcp-socket` and
//! `udp-socket`, their error codes, and the canonical-ABI encoding of addresses.

use super::abi::{self, Env, HostResult, RetArea};
use crate::core::sockets::Family;
use crate::core::ErrorCode;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

macro_rules! f {
    ($f:expr) => {
        (|s, e| $crate::p2::abi::HostFn::make($f, s, e)) as $crate::p2::link::Mk
    };
}

pub(super) mod lookup;
pub(super) mod network;
pub(super) mod tcp;
pub(super) mod tcp_options;
pub(super) mod udp;

pub use lookup::ResolveStream;
pub use tcp::TcpSocket;
pub use udp::{Incoming, Outgoing, UdpSocket};

/// `wasi:sockets/network.error-code`, in the WIT's order (the discriminant is the index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    Unknown,
    AccessDenied,
    NotSupported,
    InvalidArgument,
    OutOfMemory,
    Timeout,
    ConcurrencyConflict,
    NotInProgress,
    WouldBlock,
    InvalidState,
    NewSocketLimit,
    AddressNotBindable,
    AddressInUse,
    RemoteUnreachable,
    ConnectionRefused,
    ConnectionReset,
    ConnectionAborted,
    DatagramTooLarge,
    NameUnresolvable,
    TemporaryResolverFailure,
    PermanentResolverFailure,
}

impl From<ErrorCode> for Code {
    fn from(e: ErrorCode) -> Code {
        use ErrorCode as E;
        match e {
            E::Access | E::NotPermitted => Code::AccessDenied,
            E::Unsupported | E::ProtocolNotSupported | E::FamilyNotSupported => Code::NotSupported,
            E::Invalid => Code::InvalidArgument,
            E::InsufficientMemory => Code::OutOfMemory,
            E::TimedOut => Code::Timeout,
            E::Already => Code::ConcurrencyConflict,
            E::WouldBlock | E::InProgress => Code::WouldBlock,
            E::NotConnected | E::AlreadyConnected => Code::InvalidState,
            E::TooManyOpen => Code::NewSocketLimit,
            E::AddressNotAvailable => Code::AddressNotBindable,
            E::AddressInUse => Code::AddressInUse,
            E::NetworkUnreachable | E::HostUnreachable | E::NetworkDown => Code::RemoteUnreachable,
            E::ConnectionRefused => Code::ConnectionRefused,
            E::ConnectionReset | E::Pipe => Code::ConnectionReset,
            E::ConnectionAborted => Code::ConnectionAborted,
            E::MessageSize => Code::DatagramTooLarge,
            E::NameUnresolvable => Code::NameUnresolvable,
            _ => Code::Unknown,
        }
    }
}

pub type SockResult<T> = Result<T, Code>;

/// `ip-address-family` from its flat form; another value is a trap (canonical ABI).
pub(super) fn family(env: &Env, v: i32) -> HostResult<Family> {
    match v {
        0 => Ok(Family::Inet4),
        1 => Ok(Family::Inet6),
        _ => Err(abi::trap(env, format!("invalid ip-address-family {v}"))),
    }
}

pub(super) fn family_code(f: Family) -> i32 {
    match f {
        Family::Inet4 => 0,
        Family::Inet6 => 1,
    }
}

/// A flat `ip-socket-address`: the case, then the joined payload (11 slots).
pub type FlatAddr = [i32; 12];

/// An `ip-socket-address` passed flat: its case, then the 11 words of the larger payload.
pub(super) fn flat(d: i32, p: [i32; 11]) -> FlatAddr {
    let mut f = [0; 12];
    f[0] = d;
    f[1..].copy_from_slice(&p);
    f
}

/// Lifts a flat `ip-socket-address` (integers wider than their type are truncated, as the
/// canonical ABI lifts them; a bad case is a trap).
pub(super) fn lift_addr(env: &Env, f: FlatAddr) -> HostResult<SocketAddr> {
    let p = &f[1..];
    match f[0] {
        0 => Ok(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::new(p[1] as u8, p[2] as u8, p[3] as u8, p[4] as u8),
            p[0] as u16,
        ))),
        1 => {
            let s: [u16; 8] = std::array::from_fn(|i| p[2 + i] as u16);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(s),
                p[0] as u16,
                p[1] as u32,
                p[10] as u32,
            )))
        }
        d => Err(abi::trap(
            env,
            format!("invalid ip-socket-address case {d}"),
        )),
    }
}

/// Reads an `ip-socket-address` (32 bytes, align 4) from guest memory bytes.
pub(super) fn read_addr(env: &Env, b: &[u8]) -> HostResult<SocketAddr> {
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    match b[0] {
        0 => Ok(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::new(b[6], b[7], b[8], b[9]),
            u16_at(4),
        ))),
        1 => {
            let s: [u16; 8] = std::array::from_fn(|i| u16_at(12 + 2 * i));
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(s),
                u16_at(4),
                u32_at(8),
                u32_at(28),
            )))
        }
        d => Err(abi::trap(
            env,
            format!("invalid ip-socket-address case {d}"),
        )),
    }
}

/// An `ip-socket-address` as it lies in memory (32 bytes: the case, then the payload 4
/// bytes on; unused bytes zero).
pub(super) fn encode_addr(addr: &SocketAddr) -> [u8; 32] {
    let mut b = [0u8; 32];
    match addr {
        SocketAddr::V4(v) => {
            b[4..6].copy_from_slice(&v.port().to_le_bytes());
            b[6..10].copy_from_slice(&v.ip().octets());
        }
        SocketAddr::V6(v) => {
            b[0] = 1;
            b[4..6].copy_from_slice(&v.port().to_le_bytes());
            b[8..12].copy_from_slice(&v.flowinfo().to_le_bytes());
            for (i, s) in v.ip().segments().iter().enumerate() {
                b[12 + 2 * i..14 + 2 * i].copy_from_slice(&s.to_le_bytes());
            }
            b[28..32].copy_from_slice(&v.scope_id().to_le_bytes());
        }
    }
    b
}

/// Writes an `ip-socket-address` at `at` of a return area.
pub(super) fn put_addr(a: &mut RetArea, at: usize, addr: &SocketAddr) {
    a.put(at, &encode_addr(addr));
}

/// Writes `result<T, error-code>`: `ok` fills the payload; the error code sits at
/// `payload` (the payload's offset: the larger of the two alignments).
pub(super) fn ret<T>(
    env: &mut Env,
    ret: i32,
    payload: usize,
    r: SockResult<T>,
    ok: impl FnOnce(&mut RetArea, T),
) -> HostResult<()> {
    abi::ret_result(env, ret, payload, r.map_err(|c| c as u8), ok)
}

/// `result<u64, error-code>` of a buffer size.
pub(super) fn ret_size(env: &mut Env, r: i32, n: usize) -> HostResult<()> {
    ret(env, r, 8, Ok(n as u64), |a, v| a.u64(8, v))
}

/// A buffer size to set: 0 is refused, more than the host can name is its most.
pub(super) fn size(v: i64) -> usize {
    (v as u64).min(usize::MAX as u64) as usize
}

/// `result<_, error-code>`.
pub(super) fn ret_unit(env: &mut Env, r: i32, v: SockResult<()>) -> HostResult<()> {
    ret(env, r, 1, v, |_, ()| {})
}

fn family_of(a: &SocketAddr) -> Family {
    match a {
        SocketAddr::V4(_) => Family::Inet4,
        SocketAddr::V6(_) => Family::Inet6,
    }
}

/// The WIT's `invalid-argument` checks shared by binds: the address is of the socket's
/// family, and an IPv6 socket is not given an IPv4-mapped address (0.2 has no dual-stack).
pub(super) fn check_local(f: Family, a: &SocketAddr) -> SockResult<()> {
    if family_of(a) != f || is_v4_mapped(a) {
        return Err(Code::InvalidArgument);
    }
    Ok(())
}

/// As [`check_local`], and a remote address must be a unicast address and port.
pub(super) fn check_remote(f: Family, a: &SocketAddr) -> SockResult<()> {
    check_local(f, a)?;
    let ip = a.ip();
    let broadcast = matches!(ip, IpAddr::V4(v) if v.is_broadcast());
    if a.port() == 0 || ip.is_unspecified() || ip.is_multicast() || broadcast {
        return Err(Code::InvalidArgument);
    }
    Ok(())
}

fn is_v4_mapped(a: &SocketAddr) -> bool {
    matches!(a, SocketAddr::V6(v) if v.ip().to_ipv4_mapped().is_some())
}

/// Pollables that are always ready (a finished lookup, a bound UDP socket).
pub(super) fn ready_pollable() -> super::resources::PollSource {
    super::resources::PollSource::Other(std::sync::Arc::new(crate::core::io::poll::Ready))
}
