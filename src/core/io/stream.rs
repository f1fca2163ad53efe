//! Stream traits shaped like `wasi:io/streams`, plus the vectored blocking calls the witx
//! front ends use as fast paths (one call moves every iovec).

use super::poll::Pollable;
use crate::core::ErrorCode;
use std::io::{IoSlice, IoSliceMut};

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The stream is closed: end of input, or the reader of an output went away.
    #[error("stream closed")]
    Closed,
    #[error("last operation failed: {0}")]
    LastOperationFailed(ErrorCode),
}

impl From<ErrorCode> for StreamError {
    fn from(e: ErrorCode) -> Self {
        StreamError::LastOperationFailed(e)
    }
}

pub trait InputStream: Pollable {
    /// Non-blocking read: `Ok(0)` means nothing is available right now.
    fn read(&self, buf: &mut [u8]) -> Result<usize, StreamError>;

    /// Reads at least one byte unless the stream is closed; fills the buffers in order.
    fn blocking_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, StreamError> {
        let Some(first) = bufs.iter_mut().find(|b| !b.is_empty()) else {
            return Ok(0);
        };
        loop {
            let n = self.read(first)?;
            if n > 0 {
                return Ok(n);
            }
            super::poll::block(self.as_pollable())?;
        }
    }

    /// Bytes known to be readable without blocking, if the stream can tell.
    fn nbytes(&self) -> Option<u64> {
        None
    }

    fn is_terminal(&self) -> bool {
        false
    }

    fn as_pollable(&self) -> &dyn Pollable;
}

pub trait OutputStream: Pollable {
    /// How many bytes `write` accepts now without blocking (0 = wait for readiness).
    fn check_write(&self) -> Result<usize, StreamError>;

    /// Writes at most `check_write()` bytes; never blocks.
    fn write(&self, bytes: &[u8]) -> Result<(), StreamError>;

    /// Writes every buffer completely, blocking as needed; returns the byte count. An
    /// interrupt or error after some bytes went out returns their count (as POSIX `write`
    /// does): reporting `intr` then would make the caller's retry write them twice. Only a
    /// call that moved nothing fails.
    fn blocking_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, StreamError> {
        let mut total = 0;
        let partial = |total: usize, e: StreamError| if total > 0 { Ok(total) } else { Err(e) };
        for b in bufs {
            let mut rest: &[u8] = b;
            while !rest.is_empty() {
                let n = match self.check_write() {
                    Ok(n) => n.min(rest.len()),
                    Err(e) => return partial(total, e),
                };
                if n == 0 {
                    if let Err(e) = super::poll::block(self.as_pollable()) {
                        return partial(total, e.into());
                    }
                    continue;
                }
                if let Err(e) = self.write(&rest[..n]) {
                    return partial(total, e);
                }
                rest = &rest[n..];
                total += n;
            }
        }
        Ok(total)
    }

    /// Writes what fits now, in buffer order, without blocking; `Ok(0)` when nothing fits
    /// (a nonblocking POSIX write: the caller answers `again`).
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, StreamError> {
        let room = self.check_write()?;
        let mut done = 0;
        for b in bufs {
            let k = b.len().min(room - done);
            if k > 0 {
                self.write(&b[..k])?;
                done += k;
            }
            if done == room {
                break;
            }
        }
        Ok(done)
    }

    fn flush(&self) -> Result<(), StreamError> {
        Ok(())
    }

    fn is_terminal(&self) -> bool {
        false
    }

    fn as_pollable(&self) -> &dyn Pollable;
}
