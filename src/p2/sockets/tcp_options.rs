//! `wasi:sockets/tcp`'s options: keep-alive, hop limit, buffer sizes and the listen
//! backlog, kept in the core socket's `Options` (applied to the live socket where
//! virtual-net can; keep-alive timing is recorded and reported only). A value never set
//! reads as the system's default (Linux's `/proc/sys`), never a made-up one.

use super::super::abi::{Env, HostResult};
use super::super::link::Mk;
use super::tcp::socket;
use super::{ret, ret_size, ret_unit, size, Code};
use crate::core::sockets::socket::system_default;
use crate::core::sockets::{Options, Socket};
use std::time::Duration;

const T: &str = "wasi:sockets/tcp";

pub const FUNCS: &[(&str, &str, Mk)] = &[
    (
        T,
        "[method]tcp-socket.set-listen-backlog-size",
        f!(set_backlog),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-enabled",
        f!(keep_alive_enabled),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-enabled",
        f!(set_keep_alive_enabled),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-idle-time",
        f!(keep_alive_idle),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-idle-time",
        f!(set_keep_alive_idle),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-interval",
        f!(keep_alive_interval),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-interval",
        f!(set_keep_alive_interval),
    ),
    (
        T,
        "[method]tcp-socket.keep-alive-count",
        f!(keep_alive_count),
    ),
    (
        T,
        "[method]tcp-socket.set-keep-alive-count",
        f!(set_keep_alive_count),
    ),
    (T, "[method]tcp-socket.hop-limit", f!(hop_limit)),
    (T, "[method]tcp-socket.set-hop-limit", f!(set_hop_limit)),
    (
        T,
        "[method]tcp-socket.receive-buffer-size",
        f!(receive_buffer_size),
    ),
    (
        T,
        "[method]tcp-socket.set-receive-buffer-size",
        f!(set_receive_buffer_size),
    ),
    (
        T,
        "[method]tcp-socket.send-buffer-size",
        f!(send_buffer_size),
    ),
    (
        T,
        "[method]tcp-socket.set-send-buffer-size",
        f!(set_send_buffer_size),
    ),
];

/// Sets an option after checking it (`invalid-argument` for what the WIT refuses).
fn set(env: &mut Env, h: i32, r: i32, valid: bool, f: impl FnOnce(&mut Options)) -> HostResult<()> {
    let s = socket(env, h)?;
    let res = if valid {
        s.sock.set_options(f).map_err(Code::from)
    } else {
        Err(Code::InvalidArgument)
    };
    ret_unit(env, r, res)
}

/// Reads an option: `get` returns it as its flat payload.
fn get_opt<V>(env: &Env, h: i32, get: impl FnOnce(&Socket) -> V) -> HostResult<V> {
    Ok(get(&socket(env, h)?.sock))
}

/// `set-listen-backlog-size: func(value: u64) -> result<_, error-code>`
fn set_backlog(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    if socket(&env, h)?.is_connecting_or_connected() {
        return ret_unit(&mut env, r, Err(Code::InvalidState));
    }
    set(&mut env, h, r, v != 0, |o| {
        o.listen_backlog = Some(v as u64)
    })
}

fn keep_alive_enabled(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let v = get_opt(&env, h, |s| s.options().keep_alive)?;
    ret(&mut env, r, 1, Ok(v), |a, v| a.u8(1, v as u8))
}

fn set_keep_alive_enabled(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    set(&mut env, h, r, true, |o| o.keep_alive = v != 0)
}

/// Linux's keep-alive defaults (for sockets that never set their own).
fn keep_alive_default(name: &str, fallback: u64) -> u64 {
    system_default(&format!("/proc/sys/net/ipv4/{name}"), fallback)
}

fn ret_duration(env: &mut Env, r: i32, d: Duration) -> HostResult<()> {
    let ns = d.as_nanos().min(u64::MAX as u128) as u64;
    ret(env, r, 8, Ok(ns), |a, v| a.u64(8, v))
}

fn keep_alive_idle(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let d = get_opt(&env, h, |s| s.options().keep_alive_idle)?;
    let d = d.unwrap_or(Duration::from_secs(keep_alive_default(
        "tcp_keepalive_time",
        7200,
    )));
    ret_duration(&mut env, r, d)
}

fn set_keep_alive_idle(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    let d = Duration::from_nanos(v as u64);
    set(&mut env, h, r, v != 0, |o| o.keep_alive_idle = Some(d))
}

fn keep_alive_interval(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let d = get_opt(&env, h, |s| s.options().keep_alive_interval)?;
    let d = d.unwrap_or(Duration::from_secs(keep_alive_default(
        "tcp_keepalive_intvl",
        75,
    )));
    ret_duration(&mut env, r, d)
}

fn set_keep_alive_interval(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    let d = Duration::from_nanos(v as u64);
    set(&mut env, h, r, v != 0, |o| o.keep_alive_interval = Some(d))
}

fn keep_alive_count(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = get_opt(&env, h, |s| s.options().keep_alive_count)?;
    let n = n.unwrap_or(keep_alive_default("tcp_keepalive_probes", 9) as u32);
    ret(&mut env, r, 4, Ok(n), |a, v| a.u32(4, v))
}

fn set_keep_alive_count(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| {
        o.keep_alive_count = Some(v as u32)
    })
}

/// The hop limit set, else Linux's default TTL.
pub(super) fn hop_limit_of(s: &Socket) -> u8 {
    let t = s.options().ttl;
    t.unwrap_or_else(|| system_default("/proc/sys/net/ipv4/ip_default_ttl", 64) as u32)
        .min(255) as u8
}

fn hop_limit(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let v = get_opt(&env, h, hop_limit_of)?;
    ret(&mut env, r, 1, Ok(v), |a, v| a.u8(1, v))
}

fn set_hop_limit(mut env: Env, h: i32, v: i32, r: i32) -> HostResult<()> {
    let v = v as u8;
    set(&mut env, h, r, v != 0, |o| o.ttl = Some(v as u32))
}

fn receive_buffer_size(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = get_opt(&env, h, |s| s.buffer_size(true))?;
    ret_size(&mut env, r, n)
}

fn set_receive_buffer_size(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| o.recv_buf_size = Some(size(v)))
}

fn send_buffer_size(mut env: Env, h: i32, r: i32) -> HostResult<()> {
    let n = get_opt(&env, h, |s| s.buffer_size(false))?;
    ret_size(&mut env, r, n)
}

fn set_send_buffer_size(mut env: Env, h: i32, v: i64, r: i32) -> HostResult<()> {
    set(&mut env, h, r, v != 0, |o| o.send_buf_size = Some(size(v)))
}
