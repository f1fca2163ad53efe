//! Bridging a port to a network served elsewhere (`wasix-compat net serve`). The transport
//! is a TCP stream dialled through the instance's own network; the client first presents its token in one line and the server answers
//! `OK` or `DENIED`; then virtual-net's own remote-networking protocol (bincode frames)
//! runs on the same stream, and the client becomes the instance's network backend.
//!
//! Security: `stream_security` is a set of acceptable levels. This transport is plain TCP,
//! so only a set that includes `unencrypted` is accepted; asking for encryption alone is
//! refused (`notsup`) rather than silently downgraded.

use super::network::Runtime;
use crate::core::ErrorCode;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use virtual_net::meta::FrameSerializationFormat;
use virtual_net::VirtualNetworking;

pub const UNENCRYPTED: u8 = 1;
pub const ANY_ENCRYPTION: u8 = 2;
pub const CLASSIC_ENCRYPTION: u8 = 4;
pub const DOUBLE_ENCRYPTION: u8 = 8;
const KNOWN: u8 = UNENCRYPTED | ANY_ENCRYPTION | CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION;

const GREETING: &str = "WXC-BRIDGE/1";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_TOKEN: usize = 4096;

/// Validates the security set for this (unencrypted) transport.
pub fn check_security(security: u8) -> Result<(), ErrorCode> {
    if security == 0 || security & !KNOWN != 0 {
        return Err(ErrorCode::Invalid);
    }
    if security & UNENCRYPTED == 0 {
        return Err(ErrorCode::Unsupported);
    }
    Ok(())
}

fn io(e: std::io::Error) -> ErrorCode {
    ErrorCode::from(e)
}

/// Connects to the served network `network` ("host:port", the host a name or an address)
/// through `via`, the instance's own network (so a sandboxed or in-process network never
/// reaches the host's), and returns it as a backend. `route` is the port's routing rule
/// for the destination.
pub fn connect(
    rt: &Runtime,
    via: Arc<dyn VirtualNetworking>,
    route: impl Fn(&IpAddr) -> Result<(), ErrorCode>,
    network: &str,
    token: &str,
    security: u8,
) -> Result<Arc<dyn VirtualNetworking>, ErrorCode> {
    check_security(security)?;
    if token.len() > MAX_TOKEN || token.contains(['\n', '\r']) {
        return Err(ErrorCode::Invalid);
    }
    let (host, port) = split_host_port(network)?;
    let token = token.to_string();
    // The handshake can take up to HANDSHAKE_TIMEOUT per step: an interrupt ends the wait
    // (`intr`), dropping the half-made connection.
    rt.block_on_interruptible(async move {
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => *via
                .resolve(&host, Some(port), None)
                .await?
                .first()
                .ok_or(ErrorCode::NameUnresolvable)?,
        };
        route(&ip)?;
        let peer = SocketAddr::new(ip, port);
        let local = match ip {
            IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        };
        let mut sock = within(via.connect_tcp(local, peer)).await??;
        // The backend may return before the handshake ends: wait until writable, then ask.
        within(std::future::poll_fn(|cx| sock.poll_write_ready(cx))).await??;
        match sock.status()? {
            virtual_net::SocketStatus::Opened => {}
            _ => {
                let e = sock.last_error().ok().flatten();
                return Err(e
                    .map(ErrorCode::from)
                    .unwrap_or(ErrorCode::ConnectionRefused));
            }
        }
        let _ = sock.set_nodelay(true);
        let (r, mut w) = super::bridge_io::split(sock)?;
        w.write_all(format!("{GREETING} {token}\n").as_bytes())
            .await
            .map_err(io)?;
        let mut r = BufReader::new(r);
        let mut reply = String::new();
        // The reply is one short line: a server cannot make us buffer more.
        within((&mut r).take(64).read_line(&mut reply))
            .await?
            .map_err(io)?;
        match reply.trim_end() {
            "OK" => {}
            "DENIED" => return Err(ErrorCode::Access),
            _ => return Err(ErrorCode::ConnectionAborted),
        }
        let (client, driver) = virtual_net::RemoteNetworkingClient::new_from_async_io(
            w,
            r,
            FrameSerializationFormat::Bincode,
        );
        tokio::spawn(driver);
        Ok(Arc::new(client) as Arc<dyn VirtualNetworking>)
    })
    .unwrap_or(Err(ErrorCode::Interrupted))
}

/// `f`, or `timedout` past the handshake's bound.
async fn within<T>(f: impl std::future::Future<Output = T>) -> Result<T, ErrorCode> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, f)
        .await
        .map_err(|_| ErrorCode::TimedOut)
}

/// "host:port" or "[v6]:port"; anything else is `inval`.
fn split_host_port(network: &str) -> Result<(String, u16), ErrorCode> {
    if let Ok(a) = network.parse::<SocketAddr>() {
        return Ok((a.ip().to_string(), a.port()));
    }
    let (host, port) = network.rsplit_once(':').ok_or(ErrorCode::Invalid)?;
    let port = port.parse::<u16>().map_err(|_| ErrorCode::Invalid)?;
    if host.is_empty() || host.len() > 253 || host.contains(['[', ']', ':', ' ', '/']) {
        return Err(ErrorCode::Invalid);
    }
    Ok((host.to_string(), port))
}

/// Compares tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `wasix-compat net serve`: serves the host's network to bridges that present `token`.
/// Runs until the process is stopped; `ready` gets the bound address.
pub async fn serve(
    listen: SocketAddr,
    token: String,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    ready(listener.local_addr()?);
    let token = Arc::new(token);
    let local: Arc<dyn VirtualNetworking> = Arc::new(virtual_net::host::LocalNetworking::new());
    loop {
        let (stream, peer) = listener.accept().await?;
        let (token, local) = (token.clone(), local.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let mut line = String::new();
            let got = tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                (&mut r).take(MAX_TOKEN as u64 + 64).read_line(&mut line),
            )
            .await;
            let presented = line
                .trim_end()
                .strip_prefix(GREETING)
                .and_then(|s| s.strip_prefix(' '));
            let ok = matches!(got, Ok(Ok(_))) && presented.is_some_and(|t| same_token(t, &token));
            if !ok {
                tracing::warn!(%peer, "bridge refused: bad greeting or token");
                let _ = w.write_all(b"DENIED\n").await;
                return;
            }
            if w.write_all(b"OK\n").await.is_err() {
                return;
            }
            let (server, driver) = virtual_net::RemoteNetworkingServer::new_from_async_io(
                w,
                r,
                FrameSerializationFormat::Bincode,
                local,
            );
            driver.await;
            drop(server);
        });
    }
}
