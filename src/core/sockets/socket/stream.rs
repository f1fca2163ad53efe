//! A connected TCP socket as a `wasi:io/streams` pair: the 0.2 front end hands these out
//! from `finish-connect` and `accept`. Both hold the very `Socket` a witx fd would hold, so
//! reads, writes, shutdown and readiness go through one implementation.

use super::Socket;
use crate::core::io::poll::{with_thread_context, Pollable};
use crate::core::io::{InputStream, OutputStream, StreamError};
use crate::core::ErrorCode;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;
use std::task::{Context, Poll};

/// What `check-write` permits while the socket is writable: the kernel's send buffer
/// takes this much at once in practice, so a permitted write rarely has to wait.
pub const WRITE_BUDGET: usize = 64 * 1024;

/// The receiving half.
pub struct SocketInput(pub Arc<Socket>);

/// The sending half.
pub struct SocketOutput(pub Arc<Socket>);

/// End of stream and a vanished peer read as `closed`; the rest as the failure it is.
fn stream_err(e: ErrorCode) -> StreamError {
    match e {
        ErrorCode::Pipe => StreamError::Closed,
        e => StreamError::LastOperationFailed(e),
    }
}

impl Pollable for SocketInput {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll_dir(false, cx)
    }
}

impl InputStream for SocketInput {
    fn read(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.0.recv(&mut [IoSliceMut::new(buf)], false, true) {
            Ok(0) => Err(StreamError::Closed),
            Ok(n) => Ok(n),
            Err(ErrorCode::WouldBlock) => Ok(0),
            Err(e) => Err(stream_err(e)),
        }
    }

    fn blocking_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, StreamError> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Ok(0);
        }
        match self.0.recv(bufs, false, false) {
            Ok(0) => Err(StreamError::Closed),
            Ok(n) => Ok(n),
            Err(e) => Err(stream_err(e)),
        }
    }

    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

impl Pollable for SocketOutput {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll_dir(true, cx)
    }
}

impl OutputStream for SocketOutput {
    fn check_write(&self) -> Result<usize, StreamError> {
        if self.0.write_shut() {
            return Err(StreamError::Closed);
        }
        let ready = with_thread_context(|cx| self.0.poll_dir(true, cx).is_ready());
        Ok(if ready { WRITE_BUDGET } else { 0 })
    }

    /// Sends everything: what the kernel does not take at once (rare, since `check-write`
    /// permits only while writable) is sent with an interruptible wait, never dropped.
    fn write(&self, bytes: &[u8]) -> Result<(), StreamError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = match self.0.send(&[IoSlice::new(rest)], true) {
                Err(ErrorCode::WouldBlock) => self.0.send(&[IoSlice::new(rest)], false),
                r => r,
            }
            .map_err(stream_err)?;
            rest = &rest[n..];
        }
        Ok(())
    }

    fn blocking_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, StreamError> {
        let mut total = 0;
        for b in bufs {
            if let Err(e) = self.write(b) {
                return if total > 0 { Ok(total) } else { Err(e) };
            }
            total += b.len();
        }
        Ok(total)
    }

    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}
