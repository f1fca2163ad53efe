//! Streams over a file at an offset, as `wasi:filesystem`'s `read-via-stream`,
//! `write-via-stream` and `append-via-stream` give them: each stream keeps its own
//! position and reads or writes the core [`File`] positionally, so it never moves the
//! descriptor's own offset (which the witx front end's `fd_read` / `fd_write` use).
//! Files are always ready: a read at end of file reports the stream closed.

use super::File;
use crate::core::io::poll::Pollable;
use crate::core::io::{InputStream, OutputStream, StreamError};
use crate::core::ErrorCode;
use std::io::{IoSlice, IoSliceMut};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Most bytes `check_write` offers at once.
const WRITE_BUDGET: usize = 1 << 20;

/// Reads `file` from an offset on.
pub struct FileInput {
    file: Arc<File>,
    pos: Mutex<u64>,
}

impl FileInput {
    pub fn new(file: Arc<File>, offset: u64) -> FileInput {
        FileInput {
            file,
            pos: Mutex::new(offset),
        }
    }
}

impl Pollable for FileInput {
    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

impl InputStream for FileInput {
    fn read(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut pos = self.pos.lock().unwrap_or_else(|p| p.into_inner());
        let n = self
            .file
            .pread_vectored(&mut [IoSliceMut::new(buf)], *pos)?;
        if n == 0 {
            return Err(StreamError::Closed);
        }
        *pos += n as u64;
        Ok(n)
    }

    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

/// Writes `file` from an offset on, or always at its end (`append`).
pub struct FileOutput {
    file: Arc<File>,
    /// `None`: append.
    pos: Mutex<Option<u64>>,
}

impl FileOutput {
    pub fn at(file: Arc<File>, offset: u64) -> FileOutput {
        FileOutput {
            file,
            pos: Mutex::new(Some(offset)),
        }
    }

    /// Each write lands at the file's size at that moment. Approximation: the size is
    /// read, then written at, so another writer appending in between through a different
    /// descriptor may be overwritten (the descriptor itself need not be O_APPEND).
    pub fn append(file: Arc<File>) -> FileOutput {
        FileOutput {
            file,
            pos: Mutex::new(None),
        }
    }
}

impl Pollable for FileOutput {
    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

impl OutputStream for FileOutput {
    fn check_write(&self) -> Result<usize, StreamError> {
        Ok(WRITE_BUDGET)
    }

    fn write(&self, bytes: &[u8]) -> Result<(), StreamError> {
        let mut pos = self.pos.lock().unwrap_or_else(|p| p.into_inner());
        let mut at = match *pos {
            Some(p) => p,
            None => self.file.stat()?.size,
        };
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = self.file.pwrite_vectored(&[IoSlice::new(rest)], at)?;
            if n == 0 {
                return Err(StreamError::LastOperationFailed(ErrorCode::Io));
            }
            rest = &rest[n..];
            at += n as u64;
        }
        if pos.is_some() {
            *pos = Some(at);
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StreamError> {
        Ok(())
    }

    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}
