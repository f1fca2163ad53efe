//! `wasi:random/{random,insecure,insecure-seed}` over [`crate::core::random`].

use super::abi::{self, Env, HostResult};
use super::link::Mk;
use crate::core::random;

macro_rules! f {
    ($f:expr) => {
        (|s, e| abi::HostFn::make($f, s, e)) as Mk
    };
}

/// The functions this file serves: (interface without version, function, constructor).
pub const FUNCS: &[(&str, &str, Mk)] = &[
    ("wasi:random/random", "get-random-bytes", f!(random_bytes)),
    ("wasi:random/random", "get-random-u64", f!(random_u64)),
    (
        "wasi:random/insecure",
        "get-insecure-random-bytes",
        f!(insecure_bytes),
    ),
    (
        "wasi:random/insecure",
        "get-insecure-random-u64",
        f!(insecure_u64),
    ),
    (
        "wasi:random/insecure-seed",
        "insecure-seed",
        f!(insecure_seed),
    ),
];

/// A `list<u8>` of `len` bytes filled in guest memory by `fill`.
fn bytes(mut env: Env, len: i64, ret: i32, fill: impl Fn(&mut [u8]) -> bool) -> HostResult<()> {
    let len = len as u64;
    let p = abi::alloc(&mut env, len, 1)?;
    let ok = abi::with_mem(&mut env, |m| {
        Ok(len == 0 || fill(m.slice_mut(p as u64, len)?))
    })?;
    if !ok {
        return Err(abi::trap(&env, "the host's random source failed"));
    }
    abi::ret(&mut env, ret, |a| {
        a.u32(0, p);
        a.u32(4, len as u32)
    })
}

fn random_bytes(env: Env, len: i64, ret: i32) -> HostResult<()> {
    // Seeded with `--seed`, else the OS's.
    let process = env.data().st.process.clone();
    bytes(env, len, ret, move |b| process.fill_random(b).is_ok())
}

fn random_u64(env: Env) -> HostResult<i64> {
    let mut b = [0u8; 8];
    env.data()
        .st
        .process
        .fill_random(&mut b)
        .map(|_| i64::from_le_bytes(b))
        .map_err(|_| abi::trap(&env, "the host's random source failed"))
}

fn insecure_bytes(env: Env, len: i64, ret: i32) -> HostResult<()> {
    bytes(env, len, ret, |b| {
        random::fill_insecure(b);
        true
    })
}

fn insecure_u64(_env: Env) -> HostResult<i64> {
    let mut b = [0u8; 8];
    random::fill_insecure(&mut b);
    Ok(i64::from_le_bytes(b))
}

/// `insecure-seed: func() -> tuple<u64, u64>`
fn insecure_seed(mut env: Env, ret: i32) -> HostResult<()> {
    let (a, b) = random::insecure_seed();
    abi::ret(&mut env, ret, |r| {
        r.u64(0, a);
        r.u64(8, b)
    })
}
