//! `wasi:sockets`: the network (policy + virtual-net backend), TCP/UDP sockets with
//! pollables, and name lookup. WASIX `sock_*` and 0.2 `wasi:sockets` both sit on this.

pub mod bridge;
mod bridge_guard;
mod bridge_io;
pub mod egress;
pub mod inprocess;
pub mod network;
pub mod port;
pub mod route;
pub mod socket;

pub use inprocess::InProcessNetwork;
pub use network::{Network, Runtime};
pub use socket::{Family, Kind, Options, Socket, Status};
