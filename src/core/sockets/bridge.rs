//! Bridging a port to a network served elsewhere (`wasix-compat net serve`).
//!
//! The `network` string names the transport by scheme:
//! - `tls://host:port`: TLS 1.3 (rustls, aws-lc-rs provider). The server's certificate is
//!   verified against the system roots, or only against a CA file, or by a pinned SHA-256
//!   fingerprint of its end-entity certificate ([`BridgeTrust`]; `Builder::bridge_ca` /
//!   `bridge_pin`, `run --bridge-ca FILE` / `--bridge-pin SHA256HEX`). ALPN `wxc-bridge/1`.
//! - `tcp://host:port` and a bare `host:port` (as before): plain TCP.
//! - `ws://host[:port][/path]` and `wss://...`: virtual-net's own WebSocket transport after
//!   an HTTP/1.1 upgrade (`bridge_ws.rs`); `wss://` verifies the server as `tls://` does.
//!
//! Any other scheme, or a string that is not `host:port` after it, is `inval`. A valid
//! endpoint that cannot be reached answers the network's errno (`connrefused`, ...).
//!
//! The stream is dialled through the instance's own network (so a sandboxed or in-process
//! network never reaches the host's). Over it — inside TLS for `tls://` — the client
//! presents its token in one line and the server answers `OK` or `DENIED`; then
//! virtual-net's remote-networking protocol runs on the same stream in our own framing
//! (`bridge_wire.rs`), and the client becomes the instance's network backend.
//!
//! Security (`stream_security` is a set of acceptable levels, the witx flags):
//! - `unencrypted` is met by `tcp://` and bare endpoints only;
//! - `any_encryption` and `classic_encryption` are met by `tls://` only. The TLS transport
//!   always is TLS 1.3 with a verified certificate, so it meets both;
//! - `double_encryption` (two independent layers) is met by `tls://` when the client pins the
//!   server's static Noise key ([`BridgeTrust::set_noise_key_hex`]) and the server has one
//!   ([`ServeConfig::noise_key`]): Noise NK inside TLS 1.3, bound to the TLS exporter
//!   (`bridge_noise.rs`, `bridge_double.rs`). Which level runs is chosen by ALPN inside the
//!   authenticated TLS handshake (the strongest the set allows and the server offers), so
//!   stripping it breaks the handshake; a server that offers none of the set's levels is
//!   `notsup` before any token byte.
//!
//! A set the endpoint cannot meet is `notsup`, decided before anything is dialled: plain
//! TCP to a `tls://` endpoint never happens. Unknown flag bits or an empty set are `inval`.
//! A server whose certificate fails verification (untrusted, wrong name, wrong pin) or any
//! other TLS failure ends the bridge with `connaborted` before the token is written; a
//! server that refuses the token answers `acces`.
//!
//! The server (`serve_with`) compares tokens in constant time (SHA-256 digests compared
//! without early exit, so neither content nor length leaks through timing), never logs a
//! token, bounds the whole handshake (TLS + greeting) by one deadline a slow client cannot
//! stretch, refuses a peer address outright once it has failed [`DEFAULT_MAX_FAILURES`]
//! times within a minute, and holds at most [`MAX_PENDING_HANDSHAKES`] handshakes at once.

use super::network::Runtime;
use crate::core::ErrorCode;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use virtual_net::VirtualNetworking;

pub const UNENCRYPTED: u8 = 1;
pub const ANY_ENCRYPTION: u8 = 2;
pub const CLASSIC_ENCRYPTION: u8 = 4;
pub const DOUBLE_ENCRYPTION: u8 = 8;
const KNOWN: u8 = UNENCRYPTED | ANY_ENCRYPTION | CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION;

pub(super) const GREETING: &str = "WXC-BRIDGE/1";
pub(super) const ALPN: &[u8] = b"wxc-bridge/1";
/// ALPN of a TLS session that carries the Noise inner layer (`double_encryption`).
pub const NOISE_ALPN: &[u8] = b"wxc-bridge/2-noise";
/// The client's bound on each step of its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The server's bound on a whole handshake (TLS and greeting), default.
pub const DEFAULT_SERVER_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Failed handshakes a peer address may make within [`FAILURE_WINDOW`] before the server
/// refuses its connections without reading from them.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
pub const MAX_TOKEN: usize = 4096;
/// Handshakes in progress at once, all peers together, by default: past it a new connection
/// is closed at once (bounds what slow clients from many addresses can hold).
pub const MAX_PENDING_HANDSHAKES: usize = 1024;

/// The transport a network string names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Plain,
    Tls,
    /// WebSocket over plain TCP (`ws://`).
    Ws,
    /// WebSocket over TLS 1.3 (`wss://`).
    Wss,
}

/// A parsed network string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub transport: Transport,
    pub host: String,
    pub port: u16,
    /// The request target of a WebSocket endpoint (`/` at least); empty for the others.
    pub path: String,
}

/// `tls://host:port`, `tcp://host:port` or `host:port`; anything else is `inval`.
pub fn parse_network(network: &str) -> Result<Endpoint, ErrorCode> {
    // Schemes are case-insensitive, as in URLs.
    let (transport, rest) = match network.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("tls") => (Transport::Tls, rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("tcp") => (Transport::Plain, rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("ws") || s.eq_ignore_ascii_case("wss") => {
            return super::bridge_ws::parse_url(rest, s.eq_ignore_ascii_case("wss"));
        }
        Some(_) => return Err(ErrorCode::Invalid),
        None => (Transport::Plain, network),
    };
    let (host, port) = split_host_port(rest)?;
    Ok(Endpoint {
        transport,
        host,
        port,
        path: String::new(),
    })
}

/// Validates the security set against a transport: `inval` for an empty set or unknown
/// bits, `notsup` when no level in the set is one the transport provides (a client without
/// a pinned Noise key: see [`check_security_with`]).
pub fn check_security(security: u8, transport: Transport) -> Result<(), ErrorCode> {
    check_security_with(security, transport, false)
}

/// As [`check_security`]; `noise_pinned`: the client has the server's Noise key, so a
/// `tls://` endpoint can also meet `double_encryption` (if the server offers it: that is
/// learnt in the TLS handshake).
pub fn check_security_with(
    security: u8,
    transport: Transport,
    noise_pinned: bool,
) -> Result<(), ErrorCode> {
    if security == 0 || security & !KNOWN != 0 {
        return Err(ErrorCode::Invalid);
    }
    let offered = match transport {
        Transport::Plain | Transport::Ws => UNENCRYPTED,
        // TLS 1.3 with a verified certificate: both encrypted levels; double with a pin.
        Transport::Tls if noise_pinned => ANY_ENCRYPTION | CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION,
        // wss:// carries virtual-net's WebSocket protocol, which has no inner layer.
        Transport::Tls | Transport::Wss => ANY_ENCRYPTION | CLASSIC_ENCRYPTION,
    };
    if security & offered == 0 {
        return Err(ErrorCode::Unsupported);
    }
    Ok(())
}

/// A token the client may send: at most 4 KiB, no NUL, CR or LF (it travels in one line).
pub fn check_token(token: &str) -> Result<(), ErrorCode> {
    if token.len() > MAX_TOKEN || token.contains(['\n', '\r', '\0']) {
        return Err(ErrorCode::Invalid);
    }
    Ok(())
}

fn io(e: std::io::Error) -> ErrorCode {
    ErrorCode::from(e)
}

/// How a `tls://` bridge decides that the server is the right one.
#[derive(Clone, Default)]
pub struct BridgeTrust {
    /// Trust anchors from a CA file (then the system roots are not used).
    ca: Option<Arc<rustls::RootCertStore>>,
    /// SHA-256 fingerprints of acceptable end-entity certificates. When set, a server whose
    /// certificate matches one is accepted (and, with a CA file too, it must also chain to
    /// that CA and name the host).
    pins: Vec<[u8; 32]>,
    /// The server's static Noise (X25519) public key, pinned: needed for
    /// `double_encryption`.
    noise: Option<[u8; 32]>,
}

impl std::fmt::Debug for BridgeTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeTrust")
            .field("ca", &self.ca.as_ref().map(|r| r.len()))
            .field("pins", &self.pins.len())
            .field("noise", &self.noise.is_some())
            .finish()
    }
}

impl BridgeTrust {
    /// Adds the certificates of a PEM CA file as the only trust anchors.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<(), String> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = self
            .ca
            .as_deref()
            .cloned()
            .unwrap_or_else(rustls::RootCertStore::empty);
        let mut n = 0;
        for c in CertificateDer::pem_slice_iter(pem) {
            let c = c.map_err(|e| format!("bad PEM certificate: {e}"))?;
            roots
                .add(c)
                .map_err(|e| format!("unusable CA certificate: {e}"))?;
            n += 1;
        }
        if n == 0 {
            return Err("no certificate in the CA file".into());
        }
        self.ca = Some(Arc::new(roots));
        Ok(())
    }

    pub fn add_ca_file(&mut self, path: &std::path::Path) -> Result<(), String> {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.add_ca_pem(&pem)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Adds a pinned SHA-256 fingerprint: 64 hex digits, `:` separators allowed.
    pub fn add_pin_hex(&mut self, hex: &str) -> Result<(), String> {
        let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 {
            return Err(format!("a SHA-256 pin is 64 hex digits, not `{hex}`"));
        }
        let mut pin = [0u8; 32];
        for (i, ch) in digits.chunks(2).enumerate() {
            let s = std::str::from_utf8(ch).map_err(|_| format!("bad pin `{hex}`"))?;
            pin[i] = u8::from_str_radix(s, 16).map_err(|_| format!("bad pin `{hex}`"))?;
        }
        self.pins.push(pin);
        Ok(())
    }

    /// Pins the server's static Noise public key: 64 hex digits (`net keygen` prints it).
    pub fn set_noise_key_hex(&mut self, hex: &str) -> Result<(), String> {
        self.noise = Some(
            parse_hex32(hex)
                .ok_or_else(|| format!("a Noise public key is 64 hex digits, not `{hex}`"))?,
        );
        Ok(())
    }

    pub(super) fn client_config(
        &self,
        alpn: Vec<Vec<u8>>,
    ) -> Result<Arc<rustls::ClientConfig>, ErrorCode> {
        let provider = provider();
        let inner = match (&self.ca, self.pins.is_empty()) {
            (Some(ca), _) => Some(ca.clone()),
            (None, true) => Some(system_roots()?),
            (None, false) => None,
        };
        let webpki = match inner {
            Some(roots) => Some(
                rustls::client::WebPkiServerVerifier::builder_with_provider(
                    roots,
                    provider.clone(),
                )
                .build()
                .map_err(|_| ErrorCode::ConnectionAborted)?,
            ),
            None => None,
        };
        let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = if self.pins.is_empty()
        {
            webpki.ok_or(ErrorCode::ConnectionAborted)?
        } else {
            Arc::new(PinVerifier {
                pins: self.pins.clone(),
                inner: webpki,
                provider: provider.clone(),
            })
        };
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|_| ErrorCode::Unsupported)?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        cfg.alpn_protocols = alpn;
        Ok(Arc::new(cfg))
    }
}

/// 32 bytes from 64 hex digits (`:` separators and surrounding white space allowed).
pub fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    let digits: Vec<u8> = hex.trim().bytes().filter(|b| *b != b':').collect();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, ch) in digits.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(ch).ok()?, 16).ok()?;
    }
    Some(out)
}

pub(super) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static P: std::sync::OnceLock<Arc<rustls::crypto::CryptoProvider>> = std::sync::OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}

/// The system's trust anchors, read once (rustls-native-certs).
fn system_roots() -> Result<Arc<rustls::RootCertStore>, ErrorCode> {
    static R: std::sync::OnceLock<Arc<rustls::RootCertStore>> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        Arc::new(roots)
    });
    if r.is_empty() {
        // Nothing to verify against: never connect unverified.
        return Err(ErrorCode::ConnectionAborted);
    }
    Ok(r.clone())
}

/// SHA-256 of a certificate's DER.
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(der).into()
}

pub(super) fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Accepts a server whose end-entity certificate has a pinned fingerprint (and, with a CA
/// file, that also passes the usual chain and name checks). The handshake signature is
/// always checked against the certificate's key.
#[derive(Debug)]
struct PinVerifier {
    pins: Vec<[u8; 32]>,
    inner: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if let Some(v) = &self.inner {
            v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        }
        let fp = fingerprint(end_entity);
        let mut ok = false;
        for p in &self.pins {
            ok |= ct_eq(p, &fp);
        }
        if ok {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A bidirectional byte stream (plain or TLS), boxed so both transports share one path.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Connects to the served network `network` through `via`, the instance's own network, and
/// returns it as a backend. `route` is the port's routing rule for the destination; `trust`
/// decides whether a `tls://` server is the right one. Every argument is checked before
/// anything is dialled.
pub fn connect(
    rt: &Runtime,
    via: Arc<dyn VirtualNetworking>,
    route: impl Fn(&IpAddr) -> Result<(), ErrorCode>,
    network: &str,
    token: &str,
    security: u8,
    trust: &BridgeTrust,
) -> Result<Arc<dyn VirtualNetworking>, ErrorCode> {
    if security == 0 || security & !KNOWN != 0 {
        return Err(ErrorCode::Invalid);
    }
    let ep = parse_network(network)?;
    check_token(token)?;
    check_security_with(security, ep.transport, trust.noise.is_some())?;
    let ws = match ep.transport {
        Transport::Ws | Transport::Wss => Some(super::bridge_ws::Upgrade::new(&ep, token)?),
        Transport::Plain | Transport::Tls => None,
    };
    // What the client offers in ALPN, strongest first: the server picks (its preference is
    // double first). The choice is inside the TLS handshake, so it is authenticated: an
    // on-path attacker who strips or alters it breaks the handshake.
    let double_ok = security & DOUBLE_ENCRYPTION != 0 && trust.noise.is_some();
    let single_ok = security & (ANY_ENCRYPTION | CLASSIC_ENCRYPTION) != 0;
    let noise_pin = trust.noise;
    let tls = match ep.transport {
        Transport::Tls | Transport::Wss => {
            let name = ServerName::try_from(ep.host.as_str())
                .map_err(|_| ErrorCode::Invalid)?
                .to_owned();
            let alpn = match ws {
                // The WebSocket upgrade is HTTP/1.1.
                Some(_) => vec![super::bridge_ws::HTTP_ALPN.to_vec()],
                None => {
                    let mut alpn = Vec::new();
                    if double_ok {
                        alpn.push(NOISE_ALPN.to_vec());
                    }
                    if single_ok {
                        alpn.push(ALPN.to_vec());
                    }
                    alpn
                }
            };
            Some((trust.client_config(alpn)?, name))
        }
        Transport::Plain | Transport::Ws => None,
    };
    let Endpoint { host, port, .. } = ep;
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
                // Reset right after the connect: the server hung up (e.g. refusing a
                // rate-limited peer), as a hang-up later in the handshake.
                return Err(match e.map(ErrorCode::from) {
                    None => ErrorCode::ConnectionRefused,
                    Some(ErrorCode::ConnectionReset | ErrorCode::Pipe) => {
                        ErrorCode::ConnectionAborted
                    }
                    Some(e) => e,
                });
            }
        }
        let _ = sock.set_nodelay(true);
        let (r, w) = super::bridge_io::split(sock)?;
        let plain = tokio::io::join(r, w);
        let stream: Box<dyn Io> = match tls {
            None => Box::new(plain),
            Some((cfg, name)) => {
                let s = within(tokio_rustls::TlsConnector::from(cfg).connect(name, plain))
                    .await?
                    .map_err(tls_error)?;
                // Configured for TLS 1.3 only; checked again rather than assumed.
                let conn = s.get_ref().1;
                if conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
                    return Err(ErrorCode::ConnectionAborted);
                }
                // The level the server chose, among those we offered (none: not ours).
                let chosen = conn.alpn_protocol().map(<[u8]>::to_vec);
                match (chosen, noise_pin) {
                    // wss://: the WebSocket upgrade runs over the TLS session.
                    (Some(p), _) if ws.is_some() && p == super::bridge_ws::HTTP_ALPN => Box::new(s),
                    (Some(p), Some(pin)) if p == NOISE_ALPN && double_ok => {
                        Box::new(super::bridge_double::client(s, &pin).await?)
                    }
                    (Some(p), _) if p == ALPN && single_ok => Box::new(s),
                    _ => return Err(ErrorCode::ConnectionAborted),
                }
            }
        };
        if let Some(ws) = ws {
            return ws.run(stream).await;
        }
        let (r, mut w) = tokio::io::split(stream);
        w.write_all(format!("{GREETING} {token}\n").as_bytes())
            .await
            .map_err(hangup)?;
        w.flush().await.map_err(hangup)?;
        let mut r = BufReader::new(r);
        let mut reply = String::new();
        // The reply is one short line: a server cannot make us buffer more.
        within((&mut r).take(64).read_line(&mut reply))
            .await?
            .map_err(hangup)?;
        match reply.trim_end() {
            "OK" => {}
            "DENIED" => return Err(ErrorCode::Access),
            _ => return Err(ErrorCode::ConnectionAborted),
        }
        // virtual-net's remote-networking protocol in our framing (bridge_wire.rs).
        let (client, driver, inboxes) = super::bridge_wire::client(r, w);
        // The client's driver ending (the server hung up, or TLS refused an altered record)
        // fails the bridge's calls and streams instead of leaving them waiting.
        Ok(super::bridge_guard::guard(
            Arc::new(client),
            driver,
            inboxes,
        ))
    })
    .unwrap_or(Err(ErrorCode::Interrupted))
}

/// A failed TLS handshake: verification or protocol failures (and a server that hangs up
/// mid-handshake) are `connaborted`; other I/O errors keep their errno.
pub(super) fn tls_error(e: std::io::Error) -> ErrorCode {
    let tls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    // The server speaks none of the levels offered (e.g. no inner layer, and only
    // `double_encryption` allowed): nothing was sent yet.
    if let Some(rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)) = tls
    {
        return ErrorCode::Unsupported;
    }
    if tls.is_some() {
        ErrorCode::ConnectionAborted
    } else {
        hangup(e)
    }
}

/// An I/O error during the handshake: a server that hangs up (end of stream, reset,
/// broken pipe — e.g. one that refuses a rate-limited peer) aborted it: `connaborted`.
pub(super) fn hangup(e: std::io::Error) -> ErrorCode {
    use std::io::ErrorKind::*;
    match e.kind() {
        UnexpectedEof | ConnectionReset | BrokenPipe | ConnectionAborted => {
            ErrorCode::ConnectionAborted
        }
        _ => io(e),
    }
}

/// `f`, or `timedout` past the handshake's bound.
pub(super) async fn within<T>(f: impl std::future::Future<Output = T>) -> Result<T, ErrorCode> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, f)
        .await
        .map_err(|_| ErrorCode::TimedOut)
}

/// "host:port" or "[v6]:port"; anything else is `inval`.
pub(super) fn split_host_port(network: &str) -> Result<(String, u16), ErrorCode> {
    if let Ok(a) = network.parse::<SocketAddr>() {
        return Ok((a.ip().to_string(), a.port()));
    }
    let (host, port) = network.rsplit_once(':').ok_or(ErrorCode::Invalid)?;
    let port = port.parse::<u16>().map_err(|_| ErrorCode::Invalid)?;
    if host.is_empty()
        || host.len() > 253
        || host.contains(['[', ']', ':', ' ', '/', '@', '?', '#', '\0'])
    {
        return Err(ErrorCode::Invalid);
    }
    Ok((host.to_string(), port))
}

// The server (`wasix-compat net serve`) is in bridge_serve.rs; its public items stay
// reachable here.
pub(super) use super::bridge_serve::{match_token, policed, run_bridge, Failures, Refusal};
pub use super::bridge_serve::{
    read_token_file, serve, serve_with, LogSink, ServeConfig, TokenSource, DEFAULT_GRACE,
};
