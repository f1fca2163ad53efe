//! port_bridge's `ws://` and `wss://` transports, client side.
//!
//! The URL is `ws://host[:port][/path]` (default ports 80 and 443). Over the dialled stream
//! (inside verified TLS 1.3 for `wss://`) the client sends one HTTP/1.1 upgrade request for
//! `path` carrying the token as `Authorization: Bearer <token>`; after `101` the bridge is
//! virtual-net's own WebSocket transport (one bincode frame per binary message, the form
//! wasmer's remote networks use). The token therefore travels only inside the channel the
//! transport provides: in clear for `ws://` (which meets only `unencrypted`), inside TLS for
//! `wss://`. `401`/`403` is `acces`; any other answer (a plain HTTP server's `200`, `404`,
//! a wrong `Sec-WebSocket-Accept`, no HTTP at all, a hang-up) is `connaborted`.

use super::bridge::{within, Endpoint, Io, Transport};
use crate::core::ErrorCode;
use futures_util::StreamExt;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_tungstenite::tungstenite::handshake::derive_accept_key;
use hyper_tungstenite::tungstenite::protocol::Role;
use hyper_tungstenite::WebSocketStream;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use virtual_net::meta::FrameSerializationFormat;
use virtual_net::VirtualNetworking;

/// Longest request target accepted (a URL path is not a place for data).
const MAX_PATH: usize = 2048;

/// The part of a `ws://` / `wss://` string after the scheme: `host[:port][/path][?query]`.
/// No user part, no fragment, no spaces or control characters: anything else is `inval`.
pub(super) fn parse_url(rest: &str, tls: bool) -> Result<Endpoint, ErrorCode> {
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(cut);
    let path = match target.as_bytes().first() {
        None => "/".to_string(),
        Some(b'/') => target.to_string(),
        // `ws://host?q`: the target is `/?q`, as in HTTP.
        _ => format!("/{target}"),
    };
    if path.len() > MAX_PATH || !path.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
        return Err(ErrorCode::Invalid);
    }
    let (host, port) = match super::bridge::split_host_port(authority) {
        Ok(hp) => hp,
        // No port: the scheme's default. A bracketed IPv6 literal or a name, nothing else.
        Err(_) => {
            let default = if tls { 443 } else { 80 };
            match authority
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
            {
                Some(v6) => {
                    let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| ErrorCode::Invalid)?;
                    (ip.to_string(), default)
                }
                None => super::bridge::split_host_port(&format!("{authority}:{default}"))?,
            }
        }
    };
    Ok(Endpoint {
        transport: if tls { Transport::Wss } else { Transport::Ws },
        host,
        port,
        path,
    })
}

/// The ALPN of a `wss://` bridge: the WebSocket upgrade is HTTP/1.1.
pub(super) const HTTP_ALPN: &[u8] = b"http/1.1";

/// The upgrade request of one bridge, checked before anything is dialled.
pub(super) struct Upgrade {
    request: hyper::Request<Empty<Bytes>>,
    key: String,
}

impl Upgrade {
    /// `inval` when the token cannot be an HTTP header value (control characters).
    pub(super) fn new(ep: &Endpoint, token: &str) -> Result<Upgrade, ErrorCode> {
        use hyper::header;
        let auth = header::HeaderValue::from_bytes(format!("Bearer {token}").as_bytes())
            .map_err(|_| ErrorCode::Invalid)?;
        let host = match ep.host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{}]:{}", ep.host, ep.port),
            Err(_) => format!("{}:{}", ep.host, ep.port),
        };
        let key = hyper_tungstenite::tungstenite::handshake::client::generate_key();
        let request = hyper::Request::builder()
            .method(hyper::Method::GET)
            .uri(ep.path.as_str())
            .header(header::HOST, host)
            .header(header::CONNECTION, "Upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
            .header(header::SEC_WEBSOCKET_KEY, key.as_str())
            .header(header::AUTHORIZATION, auth)
            .body(Empty::new())
            .map_err(|_| ErrorCode::Invalid)?;
        Ok(Upgrade { request, key })
    }

    /// Upgrades `stream` and returns the bridged network (guarded like the other transports:
    /// its calls fail once the WebSocket ends).
    pub(super) async fn run(
        self,
        stream: Box<dyn Io>,
    ) -> Result<Arc<dyn VirtualNetworking>, ErrorCode> {
        let aborted = |_| ErrorCode::ConnectionAborted;
        let (mut send, conn) = within(hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(
            TokioIo::new(stream),
        ))
        .await?
        .map_err(aborted)?;
        // The connection hands the stream to the upgrade once the 101 is read; bounded, so a
        // server that never answers does not leave it behind.
        tokio::spawn(within(conn.with_upgrades()));
        let resp = within(send.send_request(self.request))
            .await?
            // A hang-up, or an answer that is not HTTP.
            .map_err(aborted)?;
        match resp.status() {
            hyper::StatusCode::SWITCHING_PROTOCOLS => {}
            hyper::StatusCode::UNAUTHORIZED | hyper::StatusCode::FORBIDDEN => {
                return Err(ErrorCode::Access)
            }
            _ => return Err(ErrorCode::ConnectionAborted),
        }
        let h = resp.headers();
        let accept = derive_accept_key(self.key.as_bytes());
        let is = |name: hyper::header::HeaderName, want: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case(want))
        };
        if !is(hyper::header::UPGRADE, "websocket")
            || h.get(hyper::header::SEC_WEBSOCKET_ACCEPT)
                .map(|v| v.as_bytes())
                != Some(accept.as_bytes())
        {
            return Err(ErrorCode::ConnectionAborted);
        }
        let up = within(hyper::upgrade::on(resp)).await?.map_err(aborted)?;
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(up), Role::Client, None).await;
        let (tx, rx) = ws.split();
        let (client, driver) = virtual_net::RemoteNetworkingClient::new_from_hyper_ws_io(
            tx,
            rx,
            FrameSerializationFormat::Bincode,
        );
        // virtual-net's own client reads the WebSocket: no stream is registered in the
        // (empty) inboxes, so streams read through virtual-net's queues.
        let inboxes = super::bridge_inbox::Inboxes::new();
        Ok(super::bridge_guard::guard(
            Arc::new(client),
            driver,
            inboxes,
        ))
    }
}
