//! The 13 port_* imports: the instance's network port (`core::sockets::port`), its table
//! forwarded to the backend when the backend implements port operations, and bridging.
//! Layouts as the witx (`guest::addr`); list calls report the needed count and answer
//! `overflow` when the guest's buffer is too small. Every call that may reach the backend
//! (a bridge answers over the network) is a blocking import: an interrupt ends it (`intr`).

use crate::core::sockets::port::{Cidr, Route};
use crate::guest::addr::{self, AddrError};
use crate::guest::{MemError, MemSize};
use crate::witx::env::{run, run_blocking, Call, WasiEnv};
use crate::witx::errno::Errno;
use wasmer::{FunctionEnvMut, RuntimeError};

/// Strings given to port_bridge: not UTF-8 is `inval` (as the port issue specifies).
fn text<'c>(c: &'c Call<'_>, p: u64, l: u64) -> Result<&'c str, Errno> {
    c.mem.str(p, l).map_err(|e| match e {
        MemError::Utf8 => Errno::INVAL,
        m => m.into(),
    })
}

/// A port value that is not an IP address (bad tag, unix, unspec) is `inval`, unlike the
/// socket calls, where a foreign family is `afnosupport`.
fn bad_value(e: AddrError) -> Errno {
    match e {
        AddrError::Mem(m) => Errno::from(m),
        AddrError::BadTag | AddrError::Family => Errno::INVAL,
    }
}

fn cidr(c: &Call<'_>, p: u64) -> Result<Cidr, Errno> {
    let (ip, prefix) = addr::read_cidr(&c.mem, p).map_err(bad_value)?;
    Ok(Cidr::new(ip, prefix)?)
}

fn ip(c: &Call<'_>, p: u64) -> Result<std::net::IpAddr, Errno> {
    addr::read_addr(&c.mem, p).map_err(bad_value)
}

fn opt_ts(c: &Call<'_>, p: u64) -> Result<Option<u64>, Errno> {
    addr::read_opt_ts(&c.mem, p).map_err(bad_value)
}

pub fn port_bridge<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    net: M::Offset,
    net_len: M::Offset,
    token: M::Offset,
    token_len: M::Offset,
    security: u32,
) -> Result<i32, RuntimeError> {
    let (n, nl, t, tl) = (
        M::to_u64(net),
        M::to_u64(net_len),
        M::to_u64(token),
        M::to_u64(token_len),
    );
    run_blocking(
        &mut env,
        "port_bridge",
        [n, nl, t, tl, security as u64],
        |c| {
            let network = text(c, n, nl)?;
            let token = text(c, t, tl)?;
            let security = u8::try_from(security).map_err(|_| Errno::INVAL)?;
            Ok(c.ctx.net.bridge(network, token, security)?)
        },
    )
}

pub fn port_unbridge(mut env: FunctionEnvMut<WasiEnv>) -> i32 {
    run(&mut env, "port_unbridge", [], |c| {
        match c.ctx.net.unbridge() {
            // Not bridged: already on the local network.
            Err(crate::core::ErrorCode::Invalid) => Ok(()),
            r => Ok(r?),
        }
    })
}

pub fn port_dhcp_acquire(mut env: FunctionEnvMut<WasiEnv>) -> Result<i32, RuntimeError> {
    run_blocking(&mut env, "port_dhcp_acquire", [], |c| {
        Ok(c.ctx.net.port_dhcp_acquire().map(|_| ())?)
    })
}

pub fn port_addr_add<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
) -> Result<i32, RuntimeError> {
    let p = M::to_u64(p);
    run_blocking(&mut env, "port_addr_add", [p], |c| {
        Ok(c.ctx.net.port_addr_add(cidr(c, p)?)?)
    })
}

pub fn port_addr_remove<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
) -> Result<i32, RuntimeError> {
    let p = M::to_u64(p);
    run_blocking(&mut env, "port_addr_remove", [p], |c| {
        Ok(c.ctx.net.port_addr_remove(ip(c, p)?)?)
    })
}

pub fn port_addr_clear(mut env: FunctionEnvMut<WasiEnv>) -> Result<i32, RuntimeError> {
    run_blocking(&mut env, "port_addr_clear", [], |c| {
        Ok(c.ctx.net.port_addr_clear()?)
    })
}

pub fn port_mac<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
) -> Result<i32, RuntimeError> {
    let p = M::to_u64(p);
    run_blocking(&mut env, "port_mac", [p], |c| {
        c.mem.check_range(p, 6)?;
        let mac = c.ctx.net.port_mac()?;
        Ok(c.mem.write_bytes(p, &mac)?)
    })
}

/// Shared by the two list calls: `*n` holds the capacity in entries on entry and the
/// needed count on return; a short buffer is `overflow` with nothing else written.
fn list<M: MemSize, T>(
    c: &Call<'_>,
    buf: u64,
    n: u64,
    size: u64,
    items: &[T],
    write: impl Fn(&Call<'_>, u64, &T) -> Result<(), MemError>,
) -> Result<(), Errno> {
    let cap = c.mem.read_off::<M>(n)?;
    c.mem
        .check_range(buf, cap.checked_mul(size).ok_or(Errno::FAULT)?)?;
    c.mem.write_off::<M>(n, items.len() as u64)?;
    if (items.len() as u64) > cap {
        return Err(Errno::OVERFLOW);
    }
    for (k, it) in items.iter().enumerate() {
        write(c, buf + k as u64 * size, it)?;
    }
    Ok(())
}

pub fn port_addr_list<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    buf: M::Offset,
    n: M::Offset,
) -> Result<i32, RuntimeError> {
    let (b, n) = (M::to_u64(buf), M::to_u64(n));
    run_blocking(&mut env, "port_addr_list", [b, n], |c| {
        let addrs = c.ctx.net.port_addr_list()?;
        list::<M, _>(c, b, n, addr::CIDR_SIZE, &addrs, |c, at, x| {
            addr::write_cidr(&c.mem, at, &x.ip, x.prefix)
        })
    })
}

pub fn port_gateway_set<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
) -> Result<i32, RuntimeError> {
    let p = M::to_u64(p);
    run_blocking(&mut env, "port_gateway_set", [p], |c| {
        Ok(c.ctx.net.port_gateway_set(ip(c, p)?)?)
    })
}

pub fn port_route_add<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    cidr_p: M::Offset,
    via: M::Offset,
    preferred: M::Offset,
    expires: M::Offset,
) -> Result<i32, RuntimeError> {
    let (cp, vp, pp, ep) = (
        M::to_u64(cidr_p),
        M::to_u64(via),
        M::to_u64(preferred),
        M::to_u64(expires),
    );
    run_blocking(&mut env, "port_route_add", [cp, vp, pp, ep], |c| {
        let route = Route {
            cidr: cidr(c, cp)?,
            via: ip(c, vp)?,
            preferred_until: opt_ts(c, pp)?,
            expires_at: opt_ts(c, ep)?,
        };
        Ok(c.ctx.net.port_route_add(route)?)
    })
}

pub fn port_route_remove<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
) -> Result<i32, RuntimeError> {
    let p = M::to_u64(p);
    run_blocking(&mut env, "port_route_remove", [p], |c| {
        Ok(c.ctx.net.port_route_remove(ip(c, p)?)?)
    })
}

pub fn port_route_clear(mut env: FunctionEnvMut<WasiEnv>) -> Result<i32, RuntimeError> {
    run_blocking(&mut env, "port_route_clear", [], |c| {
        Ok(c.ctx.net.port_route_clear()?)
    })
}

pub fn port_route_list<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    buf: M::Offset,
    n: M::Offset,
) -> Result<i32, RuntimeError> {
    let (b, n) = (M::to_u64(buf), M::to_u64(n));
    run_blocking(&mut env, "port_route_list", [b, n], |c| {
        let routes = c.ctx.net.port_route_list()?;
        list::<M, _>(c, b, n, addr::ROUTE_SIZE, &routes, |c, at, r| {
            c.mem.write_bytes(at, &[0; addr::ROUTE_SIZE as usize])?;
            addr::write_cidr(&c.mem, at, &r.cidr.ip, r.cidr.prefix)?;
            addr::write_addr(&c.mem, at + addr::ROUTE_VIA_AT, &r.via)?;
            addr::write_opt_ts(&c.mem, at + addr::ROUTE_PREFERRED_AT, r.preferred_until)?;
            addr::write_opt_ts(&c.mem, at + addr::ROUTE_EXPIRES_AT, r.expires_at)
        })
    })
}
