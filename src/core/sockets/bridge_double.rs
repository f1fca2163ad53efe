//! `double_encryption`: the Noise NK inner layer (`bridge_noise.rs`) set up inside a
//! verified TLS 1.3 session whose ALPN chose it (`wxc-bridge/2-noise`), bound to that
//! session through the TLS exporter. The token line and everything after it travel inside
//! both layers.

use super::bridge::NOISE_ALPN;
use super::bridge_noise::{self, EXPORTER_LABEL};
use crate::core::ErrorCode;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};

/// The server's TLS configuration, offering the inner layer first when it has a key.
pub fn server_tls(cfg: Arc<rustls::ServerConfig>, noise: bool) -> Arc<rustls::ServerConfig> {
    if !noise {
        return cfg;
    }
    let mut c = (*cfg).clone();
    let mut alpn = vec![NOISE_ALPN.to_vec()];
    alpn.extend(c.alpn_protocols.iter().cloned());
    c.alpn_protocols = alpn;
    Arc::new(c)
}

/// The inner prologue for a TLS session: 32 bytes of its exporter, on which both ends of
/// that session, and only they, agree.
fn prologue_of<D>(conn: &rustls::ConnectionCommon<D>) -> Option<Vec<u8>> {
    let mut ex = [0u8; 32];
    conn.export_keying_material(&mut ex[..], EXPORTER_LABEL, None)
        .ok()?;
    Some(bridge_noise::prologue(&ex))
}

/// Client side over a verified TLS stream: the plaintext end of the inner layer. Any
/// failure (wrong pinned key, a prologue that differs, an altered message, a server that
/// hangs up) is `connaborted`, before the token is written.
pub async fn client<S>(
    mut s: tokio_rustls::client::TlsStream<S>,
    server_static: &[u8; 32],
) -> Result<DuplexStream, ErrorCode>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let prologue = prologue_of(s.get_ref().1).ok_or(ErrorCode::ConnectionAborted)?;
    let (send, recv) = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        bridge_noise::initiate(&mut s, server_static, &prologue),
    )
    .await
    .map_err(|_| ErrorCode::TimedOut)?
    .map_err(|_| ErrorCode::ConnectionAborted)?;
    Ok(bridge_noise::transport(s, send, recv))
}

/// Server side (inside the server's handshake deadline).
pub async fn server<S>(
    mut s: tokio_rustls::server::TlsStream<S>,
    static_private: &[u8; 32],
) -> Result<DuplexStream, ()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let prologue = prologue_of(s.get_ref().1).ok_or(())?;
    let (send, recv) = bridge_noise::respond(&mut s, static_private, &prologue)
        .await
        .map_err(|_| ())?;
    Ok(bridge_noise::transport(s, send, recv))
}
