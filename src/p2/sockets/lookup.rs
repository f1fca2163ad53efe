//! `wasi:sockets/ip-name-lookup` over the core's `Network::resolve` (the lookup the witx
//! `resolve` call makes). The lookup runs in `resolve-addresses` (interruptible); its
//! outcome is handed out by `resolve-next-address`, so the stream's pollable is ready.

use super::super::abi::{self, Env, HostResult};
use super::super::link::Mk;
use super::super::resources::{Kind, Resource};
use super::{ready_pollable, ret, Code, SockResult};
use crate::core::ErrorCode;
use std::net::IpAddr;
use std::sync::Mutex;

const L: &str = "wasi:sockets/ip-name-lookup";

pub const FUNCS: &[(&str, &str, Mk)] = &[
    (L, "resolve-addresses", f!(resolve_addresses)),
    (
        L,
        "[method]resolve-address-stream.resolve-next-address",
        f!(resolve_next_address),
    ),
    (L, "[method]resolve-address-stream.subscribe", f!(subscribe)),
];

/// `resolve-address-stream`: the addresses not yet handed out, or why the lookup failed
/// (reported once, then the stream is exhausted).
pub struct ResolveStream(Mutex<Result<std::vec::IntoIter<IpAddr>, Code>>);

/// A host name (letters, digits, `-`, `_`, dots between labels) or an IP literal; anything
/// else is `invalid-argument` without asking a resolver.
fn valid_name(name: &str) -> bool {
    let literal = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok();
    literal
        || (!name.is_empty()
            && name.len() <= 253
            && name.trim_end_matches('.').split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }))
}

fn lookup_code(e: ErrorCode) -> Code {
    match e {
        ErrorCode::Access | ErrorCode::NotPermitted => Code::AccessDenied,
        ErrorCode::Invalid => Code::InvalidArgument,
        ErrorCode::TimedOut | ErrorCode::WouldBlock | ErrorCode::Interrupted => {
            Code::TemporaryResolverFailure
        }
        _ => Code::NameUnresolvable,
    }
}

/// `resolve-addresses: func(network: borrow<network>, name: string)
///   -> result<resolve-address-stream, error-code>`
fn resolve_addresses(mut env: Env, n: i32, ptr: i32, len: i32, r: i32) -> HostResult<()> {
    let net = super::network::network(&env, n)?;
    let name = abi::with_mem(&mut env, |m| {
        m.str(ptr as u32 as u64, len as u32 as u64)
            .map(str::to_owned)
    })?;
    let res: SockResult<Vec<IpAddr>> = if !valid_name(&name) {
        Err(Code::InvalidArgument)
    } else {
        // A network the process may not use refuses at once; a failed lookup is the
        // stream's to report.
        match net.backend() {
            Err(e) => Err(lookup_code(e)),
            Ok(_) => net.resolve(&name).map_err(lookup_code),
        }
        .and_then(|v| {
            if v.is_empty() {
                Err(Code::NameUnresolvable)
            } else {
                Ok(v)
            }
        })
    };
    // Only refusals of the request itself come back here; the lookup's failures wait.
    let res = match res {
        Err(c @ (Code::InvalidArgument | Code::AccessDenied)) => Err(c),
        other => {
            let s = ResolveStream(Mutex::new(other.map(Vec::into_iter)));
            Ok(abi::push(&env, Resource::ResolveAddressStream(s.into()))? as u32)
        }
    };
    ret(&mut env, r, 4, res, |a, h| a.u32(4, h))
}

fn stream(env: &Env, h: i32) -> HostResult<std::sync::Arc<ResolveStream>> {
    match abi::get(env, h, Kind::ResolveAddressStream)? {
        Resource::ResolveAddressStream(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

/// `resolve-next-address: func() -> result<option<ip-address>, error-code>`
fn resolve_next_address(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let s = stream(&env, h)?;
    let next = {
        let mut g = s.0.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *g {
            Ok(it) => Ok(it.next()),
            Err(c) => {
                let c = *c;
                *g = Ok(Vec::new().into_iter());
                Err(c)
            }
        }
    };
    // result (case at 0), option (case at 2), ip-address (case at 4, payload at 6).
    ret(&mut env, r, 2, next, |a, ip| match ip {
        None => a.u8(2, 0),
        Some(IpAddr::V4(v)) => {
            a.u8(2, 1);
            a.u8(4, 0);
            a.put(6, &v.octets());
        }
        Some(IpAddr::V6(v)) => {
            a.u8(2, 1);
            a.u8(4, 1);
            for (i, s) in v.segments().iter().enumerate() {
                a.u16(6 + 2 * i, *s);
            }
        }
    })
}

/// `subscribe: func() -> pollable` (the lookup is done: always ready).
fn subscribe(env: Env, h: i32) -> HostResult<i32> {
    stream(&env, h)?;
    abi::push_child(&env, Resource::Pollable(ready_pollable()), h)
}
