//! `wasi:io`: input/output streams, pollables and `poll`.

pub mod event;
pub mod fdstream;
pub mod pipe;
pub mod poll;
pub mod stream;

pub use poll::{poll, Deadline, Pollable};
pub use stream::{InputStream, OutputStream, StreamError};
