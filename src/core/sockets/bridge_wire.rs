//! The bridge's wire: virtual-net's remote-networking messages over one byte stream, in our
//! own framing, so bulk data is not serialised byte by byte.
//!
//! virtual-net's own stream transport (`new_from_async_io`) bincode-encodes every message,
//! `Vec<u8>` payloads included, one serde call per byte, and flushes the stream once per
//! message. Profiling a bridged 16 MiB push (debug build) put bincode's per-byte
//! (de)serialisation at the top of the profile: about 8 MiB/s for both `tcp://` and
//! `tls://`. Here the client and the server are built over in-process channels
//! (`new_from_mpsc`) and two tasks per side carry the messages:
//!
//! - the writer drains every queued message (up to [`BATCH`] bytes) into one buffer, writes
//!   it and flushes once per batch, not per message;
//! - the reader reads through a large buffer and decodes frames.
//!
//! Order of a stream's data (the served side). virtual-net's server reads a readable
//! socket in 10 KiB chunks and queues each as its own reply future; every such read makes
//! a new "drain" future (a `FuturesOrdered` of those chunk futures) in the driver's task
//! list, and several drains of one socket can be alive at once. A chunk takes its place in
//! the reply channel when its send completes. A bounded channel that is full makes the
//! sends wait, and then the order is the order in which the chunk futures were *first
//! polled*: `FuturesUnordered` does not promise that every future of a drain is polled
//! before the drain yields (it stops after two futures woken while being polled, after as
//! many polls as it holds futures, or when a waker on another thread is mid-enqueue), and
//! a yielding drain goes to the back of the driver's queue, behind the next drain of the
//! same socket. The next drain's chunks then queue for capacity first: a later chunk
//! overtakes earlier ones (seen as 84 992 bytes out of place in a 1 MiB echo about one run
//! in six under load, and reproduced by `bulk_echo_soak` under `yes` loads). So the served
//! side's reply channel never makes a sender wait: its capacity is tokio's maximum, and the
//! driver runs `unconstrained` (a send that found tokio's cooperative budget spent would
//! wait too). Then every chunk is in the channel by the end of its drain's first poll, and
//! drains are first polled in the order they were made: one order per socket, the order of
//! its reads. The memory bound is kept by the socket reads instead (`bridge_backlog.rs`),
//! and by the reader, which stops taking requests while [`REPLY_BACKLOG`] replies wait.
//!
//! The client's driver queues each received chunk for its socket's receive channel from its
//! own future too, but all of them in one `FuturesOrdered`, whose first polls follow the
//! order of arrival; it also runs `unconstrained`.
//!
//! A frame is `u32 LE length` then `tag`: `0` is the whole message in bincode (requests,
//! replies, UDP); `1` is TCP data — a request `Send { socket, data, req_id }` or a reply
//! `Recv { socket_id, data }` — as `socket id (u64 LE)`, `req_id` (`0`, or `1` and a u64 LE)
//! and the raw bytes. A frame over [`MAX_FRAME`], an unknown tag or a message that does not
//! decode ends the wire. When either task ends (end of stream, an I/O or TLS error, a bad
//! frame) both stop and the message channels close, so the remote client's driver ends and
//! the bridge is seen dead (`bridge_guard`).

use super::bridge_backlog::Backlog;
use super::bridge_inbox::Inboxes;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, Notify, Semaphore};
use virtual_net::meta::{MessageRequest, MessageResponse, ResponseType, SocketId};
use virtual_net::{RemoteNetworkingClient, RemoteNetworkingServer, VirtualNetworking};

/// Bytes gathered into one write (and one flush).
pub const BATCH: usize = 256 << 10;
/// The largest frame either side accepts.
pub const MAX_FRAME: usize = 8 << 20;
/// Messages queued between the wire and a remote-networking object (requests to the
/// server, replies to the client).
const QUEUE: usize = 64;
/// Replies the served side lets wait for the wire before it stops reading requests.
pub const REPLY_BACKLOG: usize = 4096;
const READ_BUF: usize = 256 << 10;

const TAG_BINCODE: u8 = 0;
const TAG_DATA: u8 = 1;

/// A message that may carry TCP data.
pub trait Wire: Sized + Send + 'static {
    fn to_bincode(&self) -> Option<Vec<u8>>;
    fn from_bincode(b: &[u8]) -> Option<Self>;
    /// Splits off the TCP data (socket, req_id, data), or gives the message back.
    fn take_data(self) -> Result<(SocketId, Option<u64>, Vec<u8>), Self>;
    fn with_data(socket: SocketId, req_id: Option<u64>, data: Vec<u8>) -> Option<Self>;
}

impl Wire for MessageRequest {
    fn to_bincode(&self) -> Option<Vec<u8>> {
        bincode::serialize(self).ok()
    }
    fn from_bincode(b: &[u8]) -> Option<Self> {
        bincode::deserialize(b).ok()
    }
    fn take_data(self) -> Result<(SocketId, Option<u64>, Vec<u8>), Self> {
        match self {
            MessageRequest::Send {
                socket,
                data,
                req_id,
            } => Ok((socket, req_id, data)),
            m => Err(m),
        }
    }
    fn with_data(socket: SocketId, req_id: Option<u64>, data: Vec<u8>) -> Option<Self> {
        Some(MessageRequest::Send {
            socket,
            data,
            req_id,
        })
    }
}

impl Wire for MessageResponse {
    fn to_bincode(&self) -> Option<Vec<u8>> {
        bincode::serialize(self).ok()
    }
    fn from_bincode(b: &[u8]) -> Option<Self> {
        bincode::deserialize(b).ok()
    }
    fn take_data(self) -> Result<(SocketId, Option<u64>, Vec<u8>), Self> {
        match self {
            MessageResponse::Recv { socket_id, data } => Ok((socket_id, None, data)),
            m => Err(m),
        }
    }
    fn with_data(socket: SocketId, req_id: Option<u64>, data: Vec<u8>) -> Option<Self> {
        // A reply never carries a request id.
        req_id.is_none().then_some(MessageResponse::Recv {
            socket_id: socket,
            data,
        })
    }
}

fn socket_bits(s: SocketId) -> u64 {
    // SocketId(u64) is bincode-encoded as its u64, little-endian.
    let v = bincode::serialize(&s).unwrap_or_default();
    u64::from_le_bytes(v.try_into().unwrap_or([0; 8]))
}

fn socket_of(bits: u64) -> SocketId {
    SocketId::from(bits)
}

/// Appends one frame for `m` to `buf`: `Some(bytes of TCP data it carries)`, or `None` if
/// it cannot be encoded (or is too large).
pub fn encode<T: Wire>(m: T, buf: &mut Vec<u8>) -> Option<usize> {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    let mut carried = 0;
    match m.take_data() {
        Ok((socket, req_id, data)) => {
            buf.push(TAG_DATA);
            buf.extend_from_slice(&socket_bits(socket).to_le_bytes());
            match req_id {
                None => buf.push(0),
                Some(r) => {
                    buf.push(1);
                    buf.extend_from_slice(&r.to_le_bytes());
                }
            }
            buf.extend_from_slice(&data);
            carried = data.len();
        }
        Err(m) => {
            buf.push(TAG_BINCODE);
            let Some(v) = m.to_bincode() else {
                buf.truncate(start);
                return None;
            };
            buf.extend_from_slice(&v);
        }
    }
    let len = buf.len() - start - 4;
    if len > MAX_FRAME {
        buf.truncate(start);
        return None;
    }
    buf[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    Some(carried)
}

/// Reads one frame; `None` at the end of the stream or on any bad frame.
pub async fn read_frame<T: Wire, R: AsyncRead + Unpin>(r: &mut R) -> Option<T> {
    let len = r.read_u32_le().await.ok()? as usize;
    if len == 0 || len > MAX_FRAME {
        return None;
    }
    match r.read_u8().await.ok()? {
        TAG_DATA => {
            let socket = socket_of(r.read_u64_le().await.ok()?);
            let (req_id, head) = match r.read_u8().await.ok()? {
                0 => (None, 1 + 8 + 1),
                1 => (Some(r.read_u64_le().await.ok()?), 1 + 8 + 1 + 8),
                _ => return None,
            };
            let n = len.checked_sub(head)?;
            let mut data = vec![0u8; n];
            r.read_exact(&mut data).await.ok()?;
            T::with_data(socket, req_id, data)
        }
        TAG_BINCODE => {
            let mut v = vec![0u8; len - 1];
            r.read_exact(&mut v).await.ok()?;
            let m = T::from_bincode(&v)?;
            // Data travels as tag 1 only.
            m.take_data().err()
        }
        _ => None,
    }
}

/// Writes queued messages, batched, until the queue closes or a write fails. `written`
/// runs after each batch with the bytes of TCP data it carried (see [`client`], [`serve`]).
/// `seen` is shown each message before it is written.
async fn write_loop<T: Wire, W: AsyncWrite + Unpin>(
    mut rx: mpsc::Receiver<T>,
    mut w: W,
    seen: impl Fn(&T),
    written: impl Fn(usize),
) {
    let mut buf = Vec::with_capacity(BATCH + (64 << 10));
    while let Some(m) = rx.recv().await {
        seen(&m);
        let Some(mut data) = encode(m, &mut buf) else {
            break;
        };
        while buf.len() < BATCH {
            let Ok(m) = rx.try_recv() else { break };
            seen(&m);
            match encode(m, &mut buf) {
                Some(n) => data += n,
                None => return,
            }
        }
        if w.write_all(&buf).await.is_err() || w.flush().await.is_err() {
            return;
        }
        buf.clear();
        written(data);
    }
    let _ = w.shutdown().await;
}

/// The served side's replies waiting for the wire, and the writer's signal that it took
/// some.
struct Replies {
    queue: mpsc::WeakSender<MessageResponse>,
    taken: Arc<Notify>,
}

impl Replies {
    /// Returns once at most [`REPLY_BACKLOG`] replies wait (or the queue is gone).
    async fn room(&self) {
        loop {
            let taken = self.taken.notified();
            tokio::pin!(taken);
            // Registered before the check, so a batch written in between is not missed.
            taken.as_mut().enable();
            let waiting = match self.queue.upgrade() {
                Some(q) => q.max_capacity() - q.capacity(),
                None => return,
            };
            if waiting <= REPLY_BACKLOG {
                return;
            }
            taken.await;
        }
    }
}

/// Reads messages and queues them on `tx`; `route` may take a message instead (`None`).
async fn read_loop<T: Wire, R: AsyncRead + Unpin>(
    r: R,
    tx: mpsc::Sender<T>,
    replies: Option<Replies>,
    route: impl Fn(T) -> Option<T>,
) {
    let mut r = BufReader::with_capacity(READ_BUF, r);
    loop {
        if let Some(q) = &replies {
            q.room().await;
        }
        let Some(m) = read_frame::<T, _>(&mut r).await else {
            break;
        };
        let Some(m) = route(m) else { continue };
        if tx.send(m).await.is_err() {
            break;
        }
    }
}

/// Runs the reader and the writer as two tasks; when one ends, the other is stopped.
fn spawn_pair(
    read: impl std::future::Future<Output = ()> + Send + 'static,
    write: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let stop = Arc::new(Notify::new());
    let (s1, s2) = (stop.clone(), stop);
    tokio::spawn(async move {
        tokio::select! {
            _ = read => {}
            _ = s1.notified() => {}
        }
        s1.notify_one();
    });
    tokio::spawn(async move {
        tokio::select! {
            _ = write => {}
            _ = s2.notified() => {}
        }
        s2.notify_one();
    });
}

/// The bridge's client over `r`/`w`: a remote-networking client, its driver, and the
/// receive queues of the streams it connects (`bridge_inbox.rs`).
pub fn client<R, W>(
    r: R,
    w: W,
) -> (
    RemoteNetworkingClient,
    impl std::future::Future<Output = ()>,
    Arc<Inboxes>,
)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (req_tx, req_rx) = mpsc::channel::<MessageRequest>(QUEUE);
    let (res_tx, res_rx) = mpsc::channel::<MessageResponse>(QUEUE);
    // A client whose request queue was full parks a waker that virtual-net wakes only when
    // a reply arrives: after each batch the writer posts a reply nobody waits for
    // (an unknown request id, ignored by the client), so such a sender always gets woken.
    let weak = res_tx.downgrade();
    let nudge = move |_| {
        if let Some(tx) = weak.upgrade() {
            let _ = tx.try_send(MessageResponse::ResponseToRequest {
                req_id: u64::MAX,
                res: ResponseType::None,
            });
        }
    };
    let inboxes = Inboxes::new();
    let (seen, route) = (inboxes.clone(), inboxes.clone());
    spawn_pair(
        read_loop(r, res_tx, None, move |m| route.route(m)),
        write_loop(req_rx, w, move |m| seen.requested(m), nudge),
    );
    let (client, driver) = RemoteNetworkingClient::new_from_mpsc(req_tx, res_rx);
    (client, tokio::task::unconstrained(driver), inboxes)
}

/// The bridge's server over `r`/`w`, serving `inner`; returns when the bridge ends.
pub async fn serve<R, W>(r: R, w: W, inner: Arc<dyn VirtualNetworking + Send + Sync>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let backlog = Backlog::new();
    let inner = super::bridge_whole::whole(inner, backlog.clone());
    let (req_tx, req_rx) = mpsc::channel::<MessageRequest>(QUEUE);
    // Never full: a reply send that waited could overtake (see the module docs).
    let (res_tx, res_rx) = mpsc::channel::<MessageResponse>(Semaphore::MAX_PERMITS);
    let taken = Arc::new(Notify::new());
    let replies = Replies {
        queue: res_tx.downgrade(),
        taken: taken.clone(),
    };
    let written = move |n| {
        backlog.written(n);
        taken.notify_waiters();
    };
    spawn_pair(
        read_loop(r, req_tx, Some(replies), Some),
        write_loop(res_rx, w, |_| {}, written),
    );
    let (server, driver) = RemoteNetworkingServer::new_from_mpsc(res_tx, req_rx, inner);
    tokio::task::unconstrained(driver).await;
    drop(server);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip() {
        let mut buf = Vec::new();
        let data: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        // Each frame reports the TCP data it carries.
        let carried = [
            encode(
                MessageRequest::Send {
                    socket: SocketId::from(7),
                    data: data.clone(),
                    req_id: Some(9),
                },
                &mut buf,
            ),
            encode(
                MessageRequest::Send {
                    socket: SocketId::from(u64::MAX),
                    data: vec![],
                    req_id: None,
                },
                &mut buf,
            ),
            encode(
                MessageRequest::Socket {
                    socket: SocketId::from(3),
                    req: virtual_net::meta::RequestType::Flush,
                    req_id: Some(1),
                },
                &mut buf,
            ),
        ];
        assert_eq!(carried, [Some(70_000), Some(0), Some(0)]);
        let mut r = &buf[..];
        match read_frame::<MessageRequest, _>(&mut r).await {
            Some(MessageRequest::Send {
                socket,
                data: d,
                req_id,
            }) => {
                assert_eq!(socket, SocketId::from(7));
                assert_eq!(d, data);
                assert_eq!(req_id, Some(9));
            }
            m => panic!("{m:?}"),
        }
        assert!(matches!(
            read_frame::<MessageRequest, _>(&mut r).await,
            Some(MessageRequest::Send { req_id: None, ref data, .. }) if data.is_empty()
        ));
        assert!(matches!(
            read_frame::<MessageRequest, _>(&mut r).await,
            Some(MessageRequest::Socket { .. })
        ));
        assert!(read_frame::<MessageRequest, _>(&mut r).await.is_none());
    }

    #[tokio::test]
    async fn bad_frames_end_the_wire() {
        // Too long, unknown tag, data with a request id in a reply, truncated.
        for bad in [
            &((MAX_FRAME as u32 + 1).to_le_bytes())[..],
            &[2, 0, 0, 0, 9, 0][..],
            &[
                19, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0,
            ][..],
            &[10, 0, 0, 0, 1, 1][..],
        ] {
            let mut r = bad;
            assert!(read_frame::<MessageResponse, _>(&mut r).await.is_none());
        }
    }
}
