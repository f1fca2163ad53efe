//! A bridge's transport as tokio I/O halves over one of the instance's own sockets, so the
//! bridge is dialled through the instance's network and never the host's directly.
//!
//! virtual-net sockets keep one interest handler; the reading and the writing half are
//! polled from different tasks, so each half parks its waker here and the one handler wakes
//! both (a spurious wake costs one retry; a lost one would hang the bridge).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use virtual_net::{InterestHandler, InterestType, NetworkError, VirtualTcpSocket};

type Sock = Box<dyn VirtualTcpSocket + Sync>;

#[derive(Default)]
struct Wakers {
    read: Option<Waker>,
    write: Option<Waker>,
}

/// Lock order: `sock` and `wakers` are never held together (`poll` takes one after the
/// other; the interest handler, which the socket may call under `sock`, takes `wakers` and
/// wakes after releasing it).
struct Shared {
    sock: Mutex<Sock>,
    wakers: Arc<Mutex<Wakers>>,
}

/// Wakes whichever halves are parked, on any interest; remembers interests as
/// virtual-net's own handlers do (a set, popped by the socket).
#[derive(Debug)]
struct WakeBoth(Arc<Mutex<Wakers>>, u8);

fn bit(i: InterestType) -> u8 {
    match i {
        InterestType::Readable => 1,
        InterestType::Writable => 2,
        InterestType::Closed => 4,
        InterestType::Error => 8,
    }
}

impl std::fmt::Debug for Wakers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wakers")
            .field("read", &self.read.is_some())
            .field("write", &self.write.is_some())
            .finish()
    }
}

impl InterestHandler for WakeBoth {
    fn push_interest(&mut self, i: InterestType) {
        self.1 |= bit(i);
        let (r, w) = {
            let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
            (g.read.take(), g.write.take())
        };
        // Woken after the lock is released: a waker may run the task inline.
        r.into_iter().chain(w).for_each(Waker::wake);
    }
    fn pop_interest(&mut self, i: InterestType) -> bool {
        let had = self.1 & bit(i) != 0;
        self.1 &= !bit(i);
        had
    }
    fn has_interest(&self, i: InterestType) -> bool {
        self.1 & bit(i) != 0
    }
}

pub struct ReadHalf(Arc<Shared>);
pub struct WriteHalf(Arc<Shared>);

/// Splits `sock` into halves that share it.
pub fn split(mut sock: Sock) -> Result<(ReadHalf, WriteHalf), NetworkError> {
    let wakers = Arc::new(Mutex::new(Wakers::default()));
    sock.set_handler(Box::new(WakeBoth(wakers.clone(), 0)))?;
    let s = Arc::new(Shared {
        sock: Mutex::new(sock),
        wakers,
    });
    Ok((ReadHalf(s.clone()), WriteHalf(s)))
}

/// The matching `io::ErrorKind` (reset, broken pipe, ...), so the handshake can tell a
/// server that hung up from other failures.
fn io_err(e: NetworkError) -> std::io::Error {
    virtual_net::net_error_into_io_err(e)
}

impl Shared {
    /// Runs `op` on the socket; on `WouldBlock` parks `cx`'s waker (`read` or write slot)
    /// first and retries once, so a wake between the try and the park is not lost.
    fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        read: bool,
        mut op: impl FnMut(&mut Sock) -> Result<T, NetworkError>,
    ) -> Poll<std::io::Result<T>> {
        let mut attempt = |s: &Self| op(&mut s.sock.lock().unwrap_or_else(|p| p.into_inner()));
        match attempt(self) {
            Err(NetworkError::WouldBlock) => {}
            r => return Poll::Ready(r.map_err(io_err)),
        }
        {
            let mut g = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
            let slot = if read { &mut g.read } else { &mut g.write };
            *slot = Some(cx.waker().clone());
        }
        match attempt(self) {
            Err(NetworkError::WouldBlock) => Poll::Pending,
            r => Poll::Ready(r.map_err(io_err)),
        }
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // SAFETY: try_recv writes initialised bytes only into the front of the unfilled
        // part (it takes `MaybeUninit` exactly so) and reports how many.
        let n = self.0.poll(cx, true, |s| {
            s.try_recv(unsafe { buf.unfilled_mut() }, false)
        });
        n.map_ok(|n| {
            // SAFETY: `n` bytes at the front of the unfilled part were just written.
            unsafe { buf.assume_init(n) };
            buf.advance(n);
        })
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.poll(cx, false, |s| s.try_send(data))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.poll(cx, false, |s| s.try_flush())
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let mut s = self.0.sock.lock().unwrap_or_else(|p| p.into_inner());
        Poll::Ready(s.shutdown(std::net::Shutdown::Write).map_err(io_err))
    }
}
