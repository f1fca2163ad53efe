//! `wasi:clocks/{monotonic-clock,wall-clock}` over [`crate::core::clocks`].

use super::abi::{self, Env, HostResult};
use super::link::Mk;
use super::resources::{PollSource, Resource};
use crate::core::clocks::{self, ClockId};

macro_rules! f {
    ($f:expr) => {
        (|s, e| abi::HostFn::make($f, s, e)) as Mk
    };
}

/// The functions this file serves: (interface without version, function, constructor).
pub const FUNCS: &[(&str, &str, Mk)] = &[
    ("wasi:clocks/monotonic-clock", "now", f!(monotonic_now)),
    (
        "wasi:clocks/monotonic-clock",
        "resolution",
        f!(monotonic_resolution),
    ),
    (
        "wasi:clocks/monotonic-clock",
        "subscribe-instant",
        f!(subscribe_instant),
    ),
    (
        "wasi:clocks/monotonic-clock",
        "subscribe-duration",
        f!(subscribe_duration),
    ),
    ("wasi:clocks/wall-clock", "now", f!(wall_now)),
    ("wasi:clocks/wall-clock", "resolution", f!(wall_resolution)),
];

fn monotonic_now(env: Env) -> HostResult<i64> {
    if let Some(t) = env.data().st.process.pinned.as_ref() {
        if let Some(t) = t.clock_now() {
            return Ok(t as i64);
        }
    }
    Ok(clocks::monotonic_now() as i64)
}

fn monotonic_resolution(_env: Env) -> HostResult<i64> {
    Ok(clocks::resolution(ClockId::Monotonic).unwrap_or(1) as i64)
}

fn subscribe_instant(env: Env, when: i64) -> HostResult<i32> {
    let d = clocks::subscribe_instant(when as u64);
    abi::push(&env, Resource::Pollable(PollSource::Deadline(d)))
}

fn subscribe_duration(env: Env, ns: i64) -> HostResult<i32> {
    let d = clocks::subscribe_duration(ns as u64);
    abi::push(&env, Resource::Pollable(PollSource::Deadline(d)))
}

/// A `datetime { seconds: u64, nanoseconds: u32 }` at the return pointer.
fn datetime(mut env: Env, ret: i32, (s, ns): (u64, u32)) -> HostResult<()> {
    abi::ret(&mut env, ret, |a| {
        a.u64(0, s);
        a.u32(8, ns)
    })
}

fn wall_now(env: Env, ret: i32) -> HostResult<()> {
    // The process's realtime (a WASIX `clock_time_set` of a mixed module moves it too).
    let ns = env
        .data()
        .st
        .process
        .clock_now(ClockId::Realtime)
        .unwrap_or(0);
    datetime(env, ret, (ns / 1_000_000_000, (ns % 1_000_000_000) as u32))
}

fn wall_resolution(env: Env, ret: i32) -> HostResult<()> {
    let ns = clocks::resolution(ClockId::Realtime).unwrap_or(1);
    datetime(env, ret, (ns / 1_000_000_000, (ns % 1_000_000_000) as u32))
}
