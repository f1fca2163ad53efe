//! In-memory streams: a bounded pipe (embedders capturing output, feeding input; later the
//! WASIX `fd_pipe`), and trivial empty/sink streams.

use super::poll::Pollable;
use super::stream::{InputStream, OutputStream, StreamError};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// One lock per pipe (a leaf): wakers are woken while it is held, which only unparks
/// threads or schedules tasks and never takes another core lock.
struct State {
    buf: VecDeque<u8>,
    cap: usize,
    writer_closed: bool,
    reader_closed: bool,
    read_wakers: Vec<Waker>,
    write_wakers: Vec<Waker>,
}

type Shared = Arc<Mutex<State>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn add_waker(list: &mut Vec<Waker>, w: &Waker) {
    if !list.iter().any(|x| x.will_wake(w)) {
        list.push(w.clone());
    }
}

/// Creates a pipe holding at most `cap` unread bytes.
pub fn pipe(cap: usize) -> (PipeWriter, PipeReader) {
    let s = Arc::new(Mutex::new(State {
        buf: VecDeque::new(),
        cap: cap.max(1),
        writer_closed: false,
        reader_closed: false,
        read_wakers: Vec::new(),
        write_wakers: Vec::new(),
    }));
    (PipeWriter(s.clone()), PipeReader(s))
}

pub struct PipeReader(Shared);
pub struct PipeWriter(Shared);

impl PipeReader {
    /// Everything buffered now (for embedders that collect output after the run).
    pub fn take_all(&self) -> Vec<u8> {
        let mut g = lock(&self.0);
        let v: Vec<u8> = g.buf.drain(..).collect();
        for w in g.write_wakers.drain(..) {
            w.wake();
        }
        v
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        let mut g = lock(&self.0);
        g.reader_closed = true;
        for w in g.write_wakers.drain(..) {
            w.wake();
        }
    }
}
impl Drop for PipeWriter {
    fn drop(&mut self) {
        let mut g = lock(&self.0);
        g.writer_closed = true;
        for w in g.read_wakers.drain(..) {
            w.wake();
        }
    }
}

impl Pollable for PipeReader {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut g = lock(&self.0);
        if !g.buf.is_empty() || g.writer_closed {
            return Poll::Ready(());
        }
        add_waker(&mut g.read_wakers, cx.waker());
        Poll::Pending
    }
}

impl InputStream for PipeReader {
    fn read(&self, out: &mut [u8]) -> Result<usize, StreamError> {
        let mut g = lock(&self.0);
        if g.buf.is_empty() {
            return if g.writer_closed && !out.is_empty() {
                Err(StreamError::Closed)
            } else {
                Ok(0)
            };
        }
        let n = out.len().min(g.buf.len());
        let (a, b) = g.buf.as_slices();
        let na = n.min(a.len());
        out[..na].copy_from_slice(&a[..na]);
        out[na..n].copy_from_slice(&b[..n - na]);
        g.buf.drain(..n);
        for w in g.write_wakers.drain(..) {
            w.wake();
        }
        Ok(n)
    }
    fn nbytes(&self) -> Option<u64> {
        Some(lock(&self.0).buf.len() as u64)
    }
    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

impl Pollable for PipeWriter {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut g = lock(&self.0);
        if g.buf.len() < g.cap || g.reader_closed {
            return Poll::Ready(());
        }
        add_waker(&mut g.write_wakers, cx.waker());
        Poll::Pending
    }
}

impl OutputStream for PipeWriter {
    fn check_write(&self) -> Result<usize, StreamError> {
        let g = lock(&self.0);
        if g.reader_closed {
            return Err(StreamError::Closed);
        }
        Ok(g.cap - g.buf.len().min(g.cap))
    }
    fn write(&self, bytes: &[u8]) -> Result<(), StreamError> {
        let mut g = lock(&self.0);
        if g.reader_closed {
            return Err(StreamError::Closed);
        }
        g.buf.extend(bytes);
        for w in g.read_wakers.drain(..) {
            w.wake();
        }
        Ok(())
    }
    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

/// Input with nothing in it: reads report end of stream.
pub struct EmptyInput;
impl Pollable for EmptyInput {
    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}
impl InputStream for EmptyInput {
    fn read(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            Ok(0)
        } else {
            Err(StreamError::Closed)
        }
    }
    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

/// Output that discards everything.
pub struct Sink;
impl Pollable for Sink {
    fn poll_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}
impl OutputStream for Sink {
    fn check_write(&self) -> Result<usize, StreamError> {
        Ok(usize::MAX / 2)
    }
    fn write(&self, _bytes: &[u8]) -> Result<(), StreamError> {
        Ok(())
    }
    fn as_pollable(&self) -> &dyn Pollable {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::IoSlice;

    #[test]
    fn pipe_round_trip_and_close() {
        let (w, r) = pipe(8);
        let t = std::thread::spawn(move || {
            w.blocking_write_vectored(&[IoSlice::new(b"hello "), IoSlice::new(b"world!")])
                .unwrap()
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 4];
        loop {
            match r.blocking_read_vectored(&mut [std::io::IoSliceMut::new(&mut buf)]) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(StreamError::Closed) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(t.join().unwrap(), 12);
        assert_eq!(got, b"hello world!");
    }

    /// Runs `f` on its own thread; its result, or a panic if it takes longer than `secs`.
    fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(secs))
            .expect("did not finish in time")
    }

    /// A blocking write that fills the pipe and is then interrupted reports the bytes that
    /// went in (4 of 10), not `intr`: a retry must not write them again.
    #[test]
    fn interrupted_partial_write_returns_the_count() {
        let (w, r) = pipe(4);
        let (tx, rx) = std::sync::mpsc::channel();
        let got = within(10, move || {
            let t = std::thread::spawn(move || {
                tx.send(crate::core::io::poll::current_interrupter())
                    .unwrap();
                let n = w.blocking_write_vectored(&[IoSlice::new(b"0123456789")]);
                (n, crate::core::io::poll::take_interrupt())
            });
            let who = rx.recv().unwrap();
            // Wait until the writer filled the pipe and blocks.
            while r.nbytes() != Some(4) {
                std::thread::yield_now();
            }
            who.interrupt();
            let res = t.join().unwrap();
            (res, r.take_all())
        });
        assert_eq!(got, ((Ok(4), true), b"0123".to_vec()));
    }

    /// Interrupted before anything went in: `intr`, and the pipe holds nothing new.
    #[test]
    fn interrupted_write_of_nothing_is_intr() {
        let (w, r) = pipe(4);
        let got = within(10, move || {
            w.write(b"full").unwrap();
            crate::core::io::poll::current_interrupter().interrupt();
            let n = w.blocking_write_vectored(&[IoSlice::new(b"x")]);
            (n, crate::core::io::poll::take_interrupt(), r.take_all())
        });
        let intr = StreamError::LastOperationFailed(crate::core::ErrorCode::Interrupted);
        assert_eq!(got, (Err(intr), true, b"full".to_vec()));
    }
}
