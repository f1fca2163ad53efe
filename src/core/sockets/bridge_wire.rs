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
//! Both drivers run `unconstrained` (outside tokio's cooperative budget). virtual-net's
//! drivers push every received chunk into a bounded channel from its own future, in a
//! `FuturesOrdered`; the channel hands out capacity in request order, but a future that
//! finds the task's budget spent is put back at the end of the run queue without having
//! asked, so a later chunk could take capacity first: TCP data arrived reordered (seen as a
//! 10 KiB chunk out of place in a 1 MiB echo, about one run in three). Without the budget
//! every chunk asks in the order it was read.
//!
//! A frame is `u32 LE length` then `tag`: `0` is the whole message in bincode (requests,
//! replies, UDP); `1` is TCP data — a request `Send { socket, data, req_id }` or a reply
//! `Recv { socket_id, data }` — as `socket id (u64 LE)`, `req_id` (`0`, or `1` and a u64 LE)
//! and the raw bytes. A frame over [`MAX_FRAME`], an unknown tag or a message that does not
//! decode ends the wire. When either task ends (end of stream, an I/O or TLS error, a bad
//! frame) both stop and the message channels close, so the remote client's driver ends and
//! the bridge is seen dead (`bridge_guard`).

use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, Notify};
use virtual_net::meta::{MessageRequest, MessageResponse, ResponseType, SocketId};
use virtual_net::{RemoteNetworkingClient, RemoteNetworkingServer, VirtualNetworking};

/// Bytes gathered into one write (and one flush).
pub const BATCH: usize = 256 << 10;
/// The largest frame either side accepts.
pub const MAX_FRAME: usize = 8 << 20;
/// Messages queued each way between the remote-networking object and the wire.
const QUEUE: usize = 64;
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

/// Appends one frame for `m` to `buf`; `false` if it cannot be encoded (or is too large).
pub fn encode<T: Wire>(m: T, buf: &mut Vec<u8>) -> bool {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
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
        }
        Err(m) => {
            buf.push(TAG_BINCODE);
            let Some(v) = m.to_bincode() else {
                buf.truncate(start);
                return false;
            };
            buf.extend_from_slice(&v);
        }
    }
    let len = buf.len() - start - 4;
    if len > MAX_FRAME {
        buf.truncate(start);
        return false;
    }
    buf[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    true
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

/// Writes queued messages, batched, until the queue closes or a write fails. `nudge` runs
/// after each batch (see [`client`]).
async fn write_loop<T: Wire, W: AsyncWrite + Unpin>(
    mut rx: mpsc::Receiver<T>,
    mut w: W,
    nudge: impl Fn(),
) {
    let mut buf = Vec::with_capacity(BATCH + (64 << 10));
    while let Some(m) = rx.recv().await {
        if !encode(m, &mut buf) {
            break;
        }
        while buf.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => {
                    if !encode(m, &mut buf) {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        if w.write_all(&buf).await.is_err() || w.flush().await.is_err() {
            return;
        }
        buf.clear();
        nudge();
    }
    let _ = w.shutdown().await;
}

async fn read_loop<T: Wire, R: AsyncRead + Unpin>(r: R, tx: mpsc::Sender<T>) {
    let mut r = BufReader::with_capacity(READ_BUF, r);
    while let Some(m) = read_frame::<T, _>(&mut r).await {
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

/// The bridge's client over `r`/`w`: a remote-networking client and its driver.
pub fn client<R, W>(
    r: R,
    w: W,
) -> (
    RemoteNetworkingClient,
    impl std::future::Future<Output = ()>,
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
    let nudge = move || {
        if let Some(tx) = weak.upgrade() {
            let _ = tx.try_send(MessageResponse::ResponseToRequest {
                req_id: u64::MAX,
                res: ResponseType::None,
            });
        }
    };
    spawn_pair(read_loop(r, res_tx), write_loop(req_rx, w, nudge));
    let (client, driver) = RemoteNetworkingClient::new_from_mpsc(req_tx, res_rx);
    (client, tokio::task::unconstrained(driver))
}

/// The bridge's server over `r`/`w`, serving `inner`; returns when the bridge ends.
pub async fn serve<R, W>(r: R, w: W, inner: Arc<dyn VirtualNetworking + Send + Sync>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (req_tx, req_rx) = mpsc::channel::<MessageRequest>(QUEUE);
    let (res_tx, res_rx) = mpsc::channel::<MessageResponse>(QUEUE);
    spawn_pair(read_loop(r, req_tx), write_loop(res_rx, w, || {}));
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
        assert!(encode(
            MessageRequest::Send {
                socket: SocketId::from(7),
                data: data.clone(),
                req_id: Some(9),
            },
            &mut buf
        ));
        assert!(encode(
            MessageRequest::Send {
                socket: SocketId::from(u64::MAX),
                data: vec![],
                req_id: None,
            },
            &mut buf
        ));
        assert!(encode(
            MessageRequest::Socket {
                socket: SocketId::from(3),
                req: virtual_net::meta::RequestType::Flush,
                req_id: Some(1),
            },
            &mut buf
        ));
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
