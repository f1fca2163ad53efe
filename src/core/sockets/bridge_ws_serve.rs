//! `net serve`'s WebSocket listener (`--ws-listen ADDR:PORT[/PATH]`): bridges arriving as
//! `ws://` (or `wss://` when the server has a TLS identity).
//!
//! One HTTP/1.1 request per connection, answered and closed unless it upgrades: another
//! path is `404`, a request without `Upgrade: websocket` is `426`, a missing or wrong
//! `Authorization: Bearer` token `401`, a token past its byte limit `403`. The TLS
//! handshake, the request and the upgrade share the server's one handshake deadline, count
//! against the pending-handshake bound and the per-address failure limit like the raw
//! listener's. After `101` the bridge is virtual-net's WebSocket transport.

use super::bridge::{match_token, Failures, Io, Refusal};
use super::egress::{EgressPolicy, Say, UsageTable};
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{header, Request, Response, StatusCode};
use hyper_tungstenite::{HyperWebsocket, HyperWebsocketStream};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use virtual_net::meta::FrameSerializationFormat;
use virtual_net::VirtualNetworking;

/// A WebSocket listener, bound by the caller (so it knows the port before serving).
#[derive(Clone, Debug)]
pub struct WsListen {
    listener: Arc<std::net::TcpListener>,
    /// The request path that upgrades (`/` by default).
    pub path: String,
}

impl WsListen {
    /// Binds `ADDR:PORT[/PATH]`.
    pub fn bind(spec: &str) -> Result<WsListen, String> {
        let cut = spec.find('/').unwrap_or(spec.len());
        let (addr, path) = spec.split_at(cut);
        let addr: SocketAddr = addr
            .parse()
            .map_err(|_| format!("`{spec}`: expected ADDR:PORT[/PATH]"))?;
        let path = if path.is_empty() { "/" } else { path };
        if !path
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#')
        {
            return Err(format!(
                "`{spec}`: a path is printable ASCII without `?` or `#`"
            ));
        }
        let l = std::net::TcpListener::bind(addr).map_err(|e| format!("{addr}: {e}"))?;
        Ok(WsListen {
            listener: Arc::new(l),
            path: path.to_string(),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The listener as the server runs it: TLS (HTTP/1.1 ALPN) when the server has an
    /// identity. Taken whole when this is its only handle, so that the server closing it
    /// (SIGTERM) really closes the socket.
    pub(super) fn listener(
        self,
        tls: Option<&Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<WsBound> {
        let l = Arc::try_unwrap(self.listener).or_else(|shared| shared.try_clone())?;
        l.set_nonblocking(true)?;
        let tls = tls.map(|cfg| {
            let mut c = (**cfg).clone();
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            tokio_rustls::TlsAcceptor::from(Arc::new(c))
        });
        Ok(WsBound {
            transport: if tls.is_some() { "wss" } else { "ws" },
            listener: tokio::net::TcpListener::from_std(l)?,
            path: self.path,
            tls,
        })
    }
}

pub(super) struct WsBound {
    listener: tokio::net::TcpListener,
    pub(super) path: String,
    pub(super) tls: Option<tokio_rustls::TlsAcceptor>,
    pub(super) transport: &'static str,
}

/// The next connection on the WebSocket listener; never, when there is none.
pub(super) async fn accept(
    ws: Option<&WsBound>,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match ws {
        Some(w) => w.listener.accept().await,
        None => std::future::pending().await,
    }
}

/// One accepted WebSocket connection and what its handshake needs.
pub(super) struct Conn {
    pub(super) stream: tokio::net::TcpStream,
    pub(super) peer: SocketAddr,
    pub(super) transport: &'static str,
    pub(super) path: String,
    pub(super) tls: Option<tokio_rustls::TlsAcceptor>,
    pub(super) deadline: Duration,
    pub(super) tokens: Arc<Vec<[u8; 32]>>,
    pub(super) usage: Arc<UsageTable>,
    pub(super) failures: Arc<Failures>,
    pub(super) say: Say,
}

impl Conn {
    /// Handshake within the deadline (holding `permit` until it ends), then the bridge.
    pub(super) async fn serve(
        self,
        permit: tokio::sync::OwnedSemaphorePermit,
        net: Arc<dyn VirtualNetworking>,
        egress: Arc<EgressPolicy>,
    ) {
        let Conn {
            stream,
            peer,
            transport,
            path,
            tls,
            deadline,
            tokens,
            usage,
            failures,
            say,
        } = self;
        let started = Instant::now();
        let _ = stream.set_nodelay(true);
        let shaken = tokio::time::timeout(
            deadline,
            handshake(stream, tls, path, tokens.clone(), usage.clone()),
        )
        .await
        .unwrap_or(Err(Refusal::Timeout));
        drop(permit);
        let ms = started.elapsed().as_millis();
        match shaken {
            Ok((ws, i)) => {
                say(format!(
                    "wxc-bridge event=accepted peer={peer} transport={transport} token_index={i} handshake_ms={ms}"
                ));
                let u = usage.get(&tokens[i]);
                let net = super::bridge::policed(net, egress, &u, peer, i, &say);
                let (tx, rx) = ws.split();
                let served = virtual_net::RemoteNetworkingServer::new_from_hyper_ws_io(
                    tx,
                    rx,
                    FrameSerializationFormat::Bincode,
                    net,
                );
                let (server, driver) = served;
                let serving = async move {
                    driver.await;
                    drop(server);
                };
                super::bridge::run_bridge(serving, &u, &say, peer, i).await;
            }
            Err(why) => {
                let n = failures.record(peer.ip());
                say(format!(
                    "wxc-bridge event=refused peer={peer} transport={transport} reason={} failures_last_minute={n} handshake_ms={ms}",
                    why.as_str()
                ));
            }
        }
    }
}

type Verdict = Result<(HyperWebsocket, usize), Refusal>;

/// TLS (if any), one HTTP request, the upgrade: the WebSocket and the token's index.
async fn handshake(
    stream: tokio::net::TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    path: String,
    tokens: Arc<Vec<[u8; 32]>>,
    usage: Arc<UsageTable>,
) -> Result<(HyperWebsocketStream, usize), Refusal> {
    let s: Box<dyn Io> = match tls {
        Some(a) => Box::new(a.accept(stream).await.map_err(|_| Refusal::TlsHandshake)?),
        None => Box::new(stream),
    };
    // The service runs inside the connection; it leaves its verdict here (a leaf lock,
    // never held across an await).
    let verdict: Arc<Mutex<Option<Verdict>>> = Default::default();
    let v = verdict.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        let (resp, out) = answer(&mut req, &path, &tokens, &usage);
        *v.lock().unwrap_or_else(|p| p.into_inner()) = Some(out);
        std::future::ready(Ok::<_, std::convert::Infallible>(resp))
    });
    let served = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .serve_connection(TokioIo::new(s), svc)
        .with_upgrades()
        .await;
    let out = verdict.lock().unwrap_or_else(|p| p.into_inner()).take();
    let (upgrade, i) = match (out, served) {
        (Some(Ok(x)), Ok(())) => x,
        (Some(Err(why)), _) => return Err(why),
        (Some(Ok(_)), Err(_)) => return Err(Refusal::Io),
        // Not one complete HTTP request.
        (None, _) => return Err(Refusal::BadGreeting),
    };
    let ws = upgrade.await.map_err(|_| Refusal::Io)?;
    Ok((ws, i))
}

/// The answer to the one request, and what it means for the bridge.
fn answer(
    req: &mut Request<Incoming>,
    path: &str,
    tokens: &[[u8; 32]],
    usage: &UsageTable,
) -> (Response<Full<Bytes>>, Verdict) {
    let refuse = |code: StatusCode, why: Refusal| {
        let mut r = Response::new(Full::new(Bytes::from_static(b"")));
        *r.status_mut() = code;
        r.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        match code {
            StatusCode::UPGRADE_REQUIRED => {
                r.headers_mut().insert(
                    header::UPGRADE,
                    header::HeaderValue::from_static("websocket"),
                );
            }
            StatusCode::UNAUTHORIZED => {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            _ => {}
        }
        (r, Err(why))
    };
    if req.uri().path() != path {
        return refuse(StatusCode::NOT_FOUND, Refusal::BadGreeting);
    }
    if !hyper_tungstenite::is_upgrade_request(req) {
        return refuse(StatusCode::UPGRADE_REQUIRED, Refusal::BadGreeting);
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(presented) = presented else {
        return refuse(StatusCode::UNAUTHORIZED, Refusal::BadGreeting);
    };
    let Some(i) = match_token(presented, tokens) else {
        return refuse(StatusCode::UNAUTHORIZED, Refusal::BadToken);
    };
    if usage.get(&tokens[i]).is_exhausted() {
        return refuse(StatusCode::FORBIDDEN, Refusal::ByteLimit);
    }
    match hyper_tungstenite::upgrade(req, None) {
        Ok((resp, ws)) => (resp, Ok((ws, i))),
        Err(_) => refuse(StatusCode::BAD_REQUEST, Refusal::BadGreeting),
    }
}
