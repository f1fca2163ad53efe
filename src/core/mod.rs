//! The preview2-style resource core. Nothing here knows about wasmer, witx or guest memory:
//! front ends (`p1`, later `p2`) decode their ABI and call into these types.

pub mod cli;
pub mod clocks;
pub mod error;
pub mod fs;
pub mod futex;
pub mod io;
pub mod random;
pub mod signal;
pub mod sockets;
pub mod table;

pub use error::{ErrorCode, Result};
