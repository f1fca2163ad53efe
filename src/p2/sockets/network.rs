//! `wasi:sockets/instance-network`: the process's network as a `network` handle. Whether
//! it may be used is the process's `--net` policy, checked by each socket operation in the
//! core (a disabled network answers `access-denied`), as for the witx socket calls.

use super::super::abi::{self, Env, HostResult};
use super::super::link::Mk;
use super::super::resources::{Kind, Resource};
use crate::core::sockets::Network;
use std::sync::Arc;

pub const FUNCS: &[(&str, &str, Mk)] = &[(
    "wasi:sockets/instance-network",
    "instance-network",
    f!(instance_network),
)];

/// `instance-network: func() -> network`
fn instance_network(env: Env) -> HostResult<i32> {
    let net = env.data().st.process.net.clone();
    abi::push(&env, Resource::Network(net))
}

/// The `network` a borrow handle names (checked, so a forged one traps).
pub(super) fn network(env: &Env, h: i32) -> HostResult<Arc<Network>> {
    match abi::get(env, h, Kind::Network)? {
        Resource::Network(n) => Ok(n),
        _ => unreachable!("kind checked"),
    }
}
