//! The preview2-style resource core. Nothing here knows about wasmer, witx or guest memory:
//! front ends (`witx` for p0/p1/WASIX, later `p2`) decode their ABI and call into these
//! types. [`process::Process`] is the per-instance state both share.

pub mod cli;
pub mod clocks;
pub mod epoll;
pub mod error;
pub mod exec;
pub mod fds;
pub mod fs;
pub mod futex;
pub mod io;
pub mod itimer;
pub mod pinned;
pub mod process;
pub mod proctable;
pub mod random;
pub mod signal;
pub mod sockets;
pub mod table;
pub mod thread_locals;
pub mod threads;

pub use error::{ErrorCode, Result};
