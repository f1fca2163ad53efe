//! The client side's receive queues for TCP streams it connected through a bridge: one
//! ordered queue per stream, filled by the wire's reader itself.
//!
//! virtual-net's client hands each received chunk to its socket's bounded channel (100
//! chunks) from a future of its own. When that channel is full the chunk futures wait for
//! room, and the channel's fairness is on room, not on delivery: the chunk given room first
//! is pushed only when its future is polled again, and a newer chunk whose *first* poll
//! comes before that takes the next room and is pushed ahead of it. That reordered a
//! stream's bytes under load (seen with `bulk_echo_soak` once the served side stopped
//! holding data back). So the reader keeps a stream's data out of virtual-net: a `Recv`
//! for a stream registered here goes straight into its [`Inbox`], in wire order, and the
//! stream (`bridge_guard::GuardedTcp`) reads from there.
//!
//! A stream is registered when the request that names its id is written — `ConnectTcp`, or
//! a listener's `BeginAccept` for the next stream it accepts — before any reply can arrive,
//! and unregistered if the connect fails or the stream is dropped. (A stream made from a
//! bound socket, `ConnectBound`, is not registered: it keeps virtual-net's queue.)

use super::bridge_handler::{Handler, HandlerSlot};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use virtual_net::meta::{MessageRequest, MessageResponse, RequestType, ResponseType, SocketId};
use virtual_net::InterestType;

#[derive(Default)]
struct Queue {
    data: VecDeque<u8>,
    wakers: Vec<Waker>,
    handler: Option<Weak<Handler>>,
}

/// One stream's received bytes, in wire order.
#[derive(Default)]
pub struct Inbox(Mutex<Queue>);

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("queued", &self.lock().data.len())
            .finish()
    }
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a chunk and wakes the reader (outside the lock: the handler takes its own).
    fn push(&self, chunk: &[u8]) {
        let (wakers, handler) = {
            let mut q = self.lock();
            q.data.extend(chunk);
            (std::mem::take(&mut q.wakers), q.handler.clone())
        };
        wakers.into_iter().for_each(Waker::wake);
        if let Some(slot) = handler.and_then(|h| h.upgrade()) {
            if let Some(h) = slot.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                h.push_interest(InterestType::Readable);
            }
        }
    }

    /// The stream's owner is told `Readable` through `slot` whenever data arrives.
    pub fn set_handler(&self, slot: &HandlerSlot) {
        self.lock().handler = Some(Arc::downgrade(slot));
    }

    /// Bytes waiting, or `None` (with `waker` kept for the next chunk) when there are none.
    pub fn ready(&self, waker: &Waker) -> Option<usize> {
        let mut q = self.lock();
        if q.data.is_empty() {
            if !q.wakers.iter().any(|w| w.will_wake(waker)) {
                q.wakers.push(waker.clone());
            }
            return None;
        }
        Some(q.data.len())
    }

    /// Copies up to `buf.len()` bytes out (and takes them unless `peek`); `None` if empty.
    pub fn read(&self, buf: &mut [std::mem::MaybeUninit<u8>], peek: bool) -> Option<usize> {
        let mut q = self.lock();
        if q.data.is_empty() {
            return None;
        }
        let n = buf.len().min(q.data.len());
        let (a, b) = q.data.as_slices();
        let first = n.min(a.len());
        for (at, src) in [(0, &a[..first]), (first, &b[..n - first])] {
            // SAFETY: writes `src.len()` initialised bytes inside `buf` (at + len <= n <=
            // buf.len()); writing into uninitialised memory through a raw pointer is sound.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.as_ptr(),
                    buf.as_mut_ptr().add(at).cast::<u8>(),
                    src.len(),
                )
            };
        }
        if !peek {
            q.data.drain(..n);
        }
        Some(n)
    }
}

/// The bridge's registered streams.
#[derive(Default)]
pub struct Inboxes {
    streams: Mutex<HashMap<SocketId, Arc<Inbox>>>,
    /// Connect requests not answered yet: request id to the stream it opens.
    connects: Mutex<HashMap<u64, SocketId>>,
}

impl std::fmt::Debug for Inboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inboxes")
    }
}

impl Inboxes {
    pub fn new() -> Arc<Inboxes> {
        Arc::default()
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, HashMap<SocketId, Arc<Inbox>>> {
        self.streams.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn connects(&self) -> std::sync::MutexGuard<'_, HashMap<u64, SocketId>> {
        self.connects.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The writer is about to send `m`: a `ConnectTcp` or `BeginAccept` registers its
    /// stream.
    pub fn requested(&self, m: &MessageRequest) {
        match m {
            MessageRequest::Interface {
                req: RequestType::ConnectTcp { socket_id, .. },
                req_id,
            } => {
                self.streams().insert(*socket_id, Arc::default());
                if let Some(r) = req_id {
                    self.connects().insert(*r, *socket_id);
                }
            }
            MessageRequest::Socket {
                req: RequestType::BeginAccept(child),
                ..
            } => {
                self.streams().entry(*child).or_default();
            }
            _ => {}
        }
    }

    /// The reader got `m`: a registered stream's data goes to its inbox (`None`), anything
    /// else on to virtual-net's client. A failed connect unregisters its stream.
    pub fn route(&self, m: MessageResponse) -> Option<MessageResponse> {
        match m {
            MessageResponse::Recv { socket_id, data } => {
                let inbox = self.streams().get(&socket_id).cloned();
                match inbox {
                    Some(i) => {
                        i.push(&data);
                        None
                    }
                    None => Some(MessageResponse::Recv { socket_id, data }),
                }
            }
            MessageResponse::ResponseToRequest { req_id, res } => {
                let opened = self.connects().remove(&req_id);
                if let Some(id) = opened {
                    if !matches!(res, ResponseType::Socket(_) | ResponseType::None) {
                        self.streams().remove(&id);
                    }
                }
                Some(MessageResponse::ResponseToRequest { req_id, res })
            }
            m => Some(m),
        }
    }

    /// The inbox of a stream that was connected through this bridge.
    pub fn claim(&self, id: SocketId) -> Option<Arc<Inbox>> {
        self.streams().get(&id).cloned()
    }

    /// The stream is gone: later data for it is virtual-net's to drop.
    pub fn release(&self, id: SocketId) {
        self.streams().remove(&id);
    }
}

/// The id of a virtual-net remote socket. virtual-net keeps it private; its `Debug` output
/// (`RemoteSocket { socket_id: SocketId(N), ... }`, virtual-net pinned to =0.704.2) is the
/// one place that shows it. Only that prefix is formatted: the writer stops there.
pub fn remote_socket_id(s: &dyn std::fmt::Debug) -> Option<SocketId> {
    const HEAD: &str = "RemoteSocket { socket_id: SocketId(";
    struct Prefix(String);
    impl std::fmt::Write for Prefix {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.push_str(s);
            // Enough for the head and a u64; stop formatting the rest (its locks, its maps).
            if self.0.len() > HEAD.len() + 21 {
                return Err(std::fmt::Error);
            }
            Ok(())
        }
    }
    let mut p = Prefix(String::new());
    let _ = std::fmt::write(&mut p, format_args!("{s:?}"));
    let digits = p.0.strip_prefix(HEAD)?;
    let end = digits.find(')')?;
    digits[..end].parse::<u64>().ok().map(SocketId::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Data for a registered stream stays out of virtual-net and reads back in wire order;
    /// data for any other socket passes on.
    #[test]
    fn registered_stream_data_is_kept_in_order() {
        let b = Inboxes::new();
        let id = SocketId::from(7);
        b.requested(&MessageRequest::Interface {
            req: RequestType::ConnectTcp {
                socket_id: id,
                addr: "0.0.0.0:0".parse().unwrap(),
                peer: "127.0.0.1:1".parse().unwrap(),
            },
            req_id: Some(3),
        });
        let recv = |s: u64, d: &[u8]| MessageResponse::Recv {
            socket_id: SocketId::from(s),
            data: d.to_vec(),
        };
        let passed = [
            b.route(recv(7, b"ab")).is_some(),
            b.route(recv(8, b"zz")).is_some(),
            b.route(recv(7, b"cd")).is_some(),
        ];
        let mut buf = [std::mem::MaybeUninit::new(0u8); 8];
        let n = b
            .claim(id)
            .and_then(|i| i.read(&mut buf, false))
            .unwrap_or(0);
        // SAFETY: every byte of `buf` was initialised at its creation.
        let got: Vec<u8> = buf[..n]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        assert_eq!((passed, got), ([false, true, false], b"abcd".to_vec()));
    }
}
