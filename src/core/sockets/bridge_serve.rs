//! The server end of port_bridge: `wasix-compat net serve` (TLS or plain TCP listener,
//! tokens, handshake deadline, rate limit, egress policy, per-token limits, signals). The
//! client end and the shared wire constants are in bridge.rs; the WebSocket listener in
//! bridge_ws_serve.rs.

use super::bridge::*;
use rustls::pki_types::CertificateDer;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use virtual_net::VirtualNetworking;

/// Where `net serve` writes its per-bridge lines.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// What `net serve` serves and how.
#[derive(Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Accepted tokens (any one of them).
    pub tokens: Vec<String>,
    /// Serve TLS 1.3 with this configuration (see [`ServeConfig::tls_from_pem`]).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Bound on a whole handshake (TLS and greeting) from accept.
    pub handshake_timeout: Duration,
    /// Failed handshakes per peer address within a minute before it is refused outright.
    pub max_failures: u32,
    /// Handshakes in progress at once (default [`MAX_PENDING_HANDSHAKES`]).
    pub max_pending: usize,
    /// One line per accepted or refused bridge (never with the token).
    pub log: Option<LogSink>,
    /// What bridged guests may reach (default: all but loopback, link-local, metadata).
    pub egress: Arc<super::egress::EgressPolicy>,
    /// Per-token socket and byte limits.
    pub limits: super::egress::TokenLimits,
    /// Re-reads the tokens on SIGHUP (with `signals`).
    pub reload: Option<TokenSource>,
    /// Handle SIGHUP (reload) and SIGTERM (graceful shutdown).
    pub signals: bool,
    /// On SIGTERM: how long running bridges may go on before the server exits anyway.
    pub grace: Duration,
    /// The static Noise (X25519) private key: with `tls`, the server also offers
    /// `double_encryption` (Noise NK inside TLS, `bridge_double.rs`).
    pub noise_key: Option<[u8; 32]>,
    /// A WebSocket listener besides `listen` (`ws://`, or `wss://` with `tls`).
    pub ws: Option<super::bridge_ws_serve::WsListen>,
    /// Serve this in-process network (one host on it per bridge) instead of the host's.
    pub lan: Option<Arc<super::lan::Lan>>,
}

/// Produces the current token list (`net serve`: `--token` values and token files).
pub type TokenSource = Arc<dyn Fn() -> Result<Vec<String>, String> + Send + Sync>;

/// Default bound on the graceful shutdown.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

impl ServeConfig {
    pub fn new(listen: SocketAddr, tokens: Vec<String>) -> ServeConfig {
        ServeConfig {
            listen,
            tokens,
            tls: None,
            handshake_timeout: DEFAULT_SERVER_HANDSHAKE_TIMEOUT,
            max_failures: DEFAULT_MAX_FAILURES,
            max_pending: MAX_PENDING_HANDSHAKES,
            log: None,
            egress: Default::default(),
            limits: Default::default(),
            reload: None,
            signals: false,
            grace: DEFAULT_GRACE,
            noise_key: None,
            ws: None,
            lan: None,
        }
    }

    /// A TLS 1.3 server configuration from a PEM certificate chain and private key.
    pub fn tls_from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Arc<rustls::ServerConfig>, String> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::PrivateKeyDer;
        let certs = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("bad PEM certificate: {e}"))?;
        if certs.is_empty() {
            return Err("no certificate in the certificate file".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| format!("bad PEM private key: {e}"))?;
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("certificate and key do not make a TLS identity: {e}"))?;
        cfg.alpn_protocols = vec![ALPN.to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// Reads a token file: one token per line (CR LF or LF), empty lines skipped.
pub fn read_token_file(path: &std::path::Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut tokens = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.strip_suffix('\r').unwrap_or(l);
        if t.is_empty() {
            continue;
        }
        if check_token(t).is_err() {
            return Err(format!(
                "{}: line {}: a token is at most {MAX_TOKEN} bytes without NUL",
                path.display(),
                i + 1
            ));
        }
        tokens.push(t.to_string());
    }
    Ok(tokens)
}

/// Failed handshakes per peer address within the last [`FAILURE_WINDOW`].
pub(super) struct Failures {
    max: u32,
    map: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Failures {
    fn prune(q: &mut VecDeque<Instant>, now: Instant) {
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            q.pop_front();
        }
    }

    /// Whether `ip` is over its limit now.
    fn blocked(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        match m.get_mut(&ip) {
            Some(q) => {
                Self::prune(q, now);
                q.len() >= self.max as usize
            }
            None => false,
        }
    }

    /// Records a failure; returns the failures in the window.
    pub(super) fn record(&self, ip: IpAddr) -> usize {
        let now = Instant::now();
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded memory: forget addresses whose failures all left the window.
        if m.len() > 4096 {
            m.retain(|_, q| {
                Self::prune(q, now);
                !q.is_empty()
            });
        }
        let q = m.entry(ip).or_default();
        Self::prune(q, now);
        // At most `max` kept: more cannot change the answer.
        if q.len() >= self.max.max(1) as usize {
            q.pop_front();
        }
        q.push_back(now);
        q.len()
    }
}

/// Why a handshake was refused (logged; never contains the token).
#[derive(Clone, Copy, Debug)]
pub(super) enum Refusal {
    RateLimited,
    Busy,
    Timeout,
    TlsHandshake,
    NoiseHandshake,
    BadGreeting,
    BadToken,
    ByteLimit,
    Io,
}

impl Refusal {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Refusal::RateLimited => "rate-limited",
            Refusal::Busy => "too-many-handshakes",
            Refusal::Timeout => "handshake-timeout",
            Refusal::TlsHandshake => "tls-handshake",
            Refusal::NoiseHandshake => "noise-handshake",
            Refusal::BadGreeting => "bad-greeting",
            Refusal::BadToken => "bad-token",
            Refusal::ByteLimit => "byte-limit",
            Refusal::Io => "io",
        }
    }
}

/// SHA-256 digests of tokens: compared in constant time without revealing lengths.
fn token_digest(t: &str) -> [u8; 32] {
    fingerprint(t.as_bytes())
}

/// The index of the configured token that `presented` matches, looking at every one.
pub(super) fn match_token(presented: &str, tokens: &[[u8; 32]]) -> Option<usize> {
    let d = token_digest(presented);
    let mut found = None;
    for (i, t) in tokens.iter().enumerate() {
        if ct_eq(&d, t) && found.is_none() {
            found = Some(i);
        }
    }
    found
}

/// `wasix-compat net serve` with one token, plain TCP (as before).
pub async fn serve(
    listen: SocketAddr,
    token: String,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    serve_with(ServeConfig::new(listen, vec![token]), ready).await
}

/// `wasix-compat net serve`: serves the host's network to bridges that present one of
/// `cfg.tokens`. Runs until the process is stopped; `ready` gets the bound address.
pub async fn serve_with(
    mut cfg: ServeConfig,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    let ws = match cfg.ws.take() {
        Some(w) => Some(w.listener(cfg.tls.as_ref())?),
        None => None,
    };
    let mut signals = super::egress::Signals::new(cfg.signals)?;
    ready(listener.local_addr()?);
    let digests = |ts: &[String]| -> Arc<Vec<[u8; 32]>> {
        Arc::new(ts.iter().map(|t| token_digest(t)).collect())
    };
    // Swapped whole on SIGHUP: a handshake uses the list it read at its start.
    let token_list = Arc::new(std::sync::RwLock::new(digests(&cfg.tokens)));
    let usage = Arc::new(super::egress::UsageTable::new(cfg.limits));
    let mut bridges = tokio::task::JoinSet::new();
    let failures = Arc::new(Failures {
        max: cfg.max_failures,
        map: Mutex::new(HashMap::new()),
    });
    let local: Arc<dyn VirtualNetworking> = Arc::new(virtual_net::host::LocalNetworking::new());
    let noise_key = cfg.noise_key;
    let acceptor = cfg
        .tls
        .clone()
        .map(|t| super::bridge_double::server_tls(t, noise_key.is_some()))
        .map(tokio_rustls::TlsAcceptor::from);
    let pending = Arc::new(tokio::sync::Semaphore::new(cfg.max_pending.max(1)));
    let transport = if acceptor.is_some() { "tls1.3" } else { "tcp" };
    let log = cfg.log.clone();
    let say = move |line: String| {
        if let Some(l) = &log {
            l(&line)
        }
    };
    loop {
        while bridges.try_join_next().is_some() {}
        let (accepted, on_ws) = tokio::select! {
            a = listener.accept() => (a, false),
            a = super::bridge_ws_serve::accept(ws.as_ref()) => (a, true),
            s = signals.next() => {
                match s {
                    super::egress::Signal::Reload => {
                        match cfg.reload.as_ref().map(|r| r()) {
                            Some(Ok(ts)) => {
                                say(format!("wxc-bridge event=reloaded tokens={}", ts.len()));
                                *token_list.write().unwrap_or_else(|p| p.into_inner()) = digests(&ts);
                            }
                            Some(Err(e)) => say(format!(
                                "wxc-bridge event=reload-failed error={:?} (tokens kept)",
                                e
                            )),
                            None => say("wxc-bridge event=reload-failed error=\"no token file\"".into()),
                        }
                    }
                    super::egress::Signal::Terminate => {
                        drop(listener);
                        drop(ws);
                        let n = bridges.len();
                        say(format!("wxc-bridge event=shutdown bridges={n} grace_ms={}", cfg.grace.as_millis()));
                        let drained = tokio::time::timeout(cfg.grace, async {
                            while bridges.join_next().await.is_some() {}
                        })
                        .await
                        .is_ok();
                        bridges.abort_all();
                        say(format!("wxc-bridge event=stopped drained={drained}"));
                        return Ok(());
                    }
                }
                continue;
            }
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            // Out of descriptors and the like: wait a little instead of spinning or ending.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let transport = match &ws {
            Some(w) if on_ws => w.transport,
            _ => transport,
        };
        if failures.blocked(peer.ip()) {
            say(format!(
                "wxc-bridge event=refused peer={peer} transport={transport} reason={}",
                Refusal::RateLimited.as_str()
            ));
            drop(stream);
            continue;
        }
        let tokens = token_list.read().unwrap_or_else(|p| p.into_inner()).clone();
        let (usage, egress) = (usage.clone(), cfg.egress.clone());
        // Isolated: each bridge is its own host on the in-process LAN.
        let local = match &cfg.lan {
            Some(lan) => Arc::new(lan.host()) as Arc<dyn VirtualNetworking>,
            None => local.clone(),
        };
        let (tokens, local, failures, acceptor, say) = (
            tokens,
            local,
            failures.clone(),
            acceptor.clone(),
            say.clone(),
        );
        let Ok(permit) = pending.clone().try_acquire_owned() else {
            say(format!(
                "wxc-bridge event=refused peer={peer} transport={transport} reason={}",
                Refusal::Busy.as_str()
            ));
            drop(stream);
            continue;
        };
        let deadline = cfg.handshake_timeout;
        if let (Some(w), true) = (&ws, on_ws) {
            let c = super::bridge_ws_serve::Conn {
                stream,
                peer,
                transport,
                path: w.path.clone(),
                tls: w.tls.clone(),
                deadline,
                tokens,
                usage,
                failures,
                say: Arc::new(say),
            };
            bridges.spawn(c.serve(permit, local, egress));
            continue;
        }
        bridges.spawn(async move {
            let started = Instant::now();
            let _ = stream.set_nodelay(true);
            // One deadline for the TLS handshake and the greeting together.
            let shaken = tokio::time::timeout(deadline, async {
                let s: Box<dyn Io> = match acceptor {
                    Some(a) => {
                        let t = a.accept(stream).await.map_err(|_| Refusal::TlsHandshake)?;
                        let chosen = t.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                        match (chosen, noise_key) {
                            (Some(p), Some(k)) if p == NOISE_ALPN => Box::new(
                                super::bridge_double::server(t, &k)
                                    .await
                                    .map_err(|_| Refusal::NoiseHandshake)?,
                            ),
                            _ => Box::new(t),
                        }
                    }
                    None => Box::new(stream),
                };
                let (r, mut w) = tokio::io::split(s);
                let mut r = BufReader::new(r);
                let mut line = String::new();
                (&mut r)
                    .take(MAX_TOKEN as u64 + 64)
                    .read_line(&mut line)
                    .await
                    .map_err(|_| Refusal::Io)?;
                let Some(presented) = line
                    .strip_suffix('\n')
                    .and_then(|l| l.strip_prefix(GREETING))
                    .and_then(|s| s.strip_prefix(' '))
                else {
                    let _ = w.write_all(b"DENIED\n").await;
                    let _ = w.shutdown().await;
                    return Err(Refusal::BadGreeting);
                };
                match match_token(presented, &tokens) {
                    Some(i) if usage.get(&tokens[i]).is_exhausted() => {
                        let _ = w.write_all(b"DENIED\n").await;
                        let _ = w.shutdown().await;
                        Err(Refusal::ByteLimit)
                    }
                    Some(i) => {
                        w.write_all(b"OK\n").await.map_err(|_| Refusal::Io)?;
                        w.flush().await.map_err(|_| Refusal::Io)?;
                        Ok((r, w, i))
                    }
                    None => {
                        let _ = w.write_all(b"DENIED\n").await;
                        let _ = w.shutdown().await;
                        Err(Refusal::BadToken)
                    }
                }
            })
            .await
            .unwrap_or(Err(Refusal::Timeout));
            drop(permit);
            let ms = started.elapsed().as_millis();
            match shaken {
                Ok((r, w, i)) => {
                    say(format!(
                        "wxc-bridge event=accepted peer={peer} transport={transport} token_index={i} handshake_ms={ms}"
                    ));
                    let u = usage.get(&tokens[i]);
                    let say: super::egress::Say = Arc::new(say);
                    let net = policed(local, egress, &u, peer, i, &say);
                    run_bridge(super::bridge_wire::serve(r, w, net), &u, &say, peer, i).await;
                }
                Err(why) => {
                    let n = failures.record(peer.ip());
                    say(format!(
                        "wxc-bridge event=refused peer={peer} transport={transport} reason={} failures_last_minute={n} handshake_ms={ms}",
                        why.as_str()
                    ));
                }
            }
        });
    }
}

/// The served network as the bridge of token `i` from `peer` sees it (policy and limits).
pub(super) fn policed(
    net: Arc<dyn VirtualNetworking>,
    egress: Arc<super::egress::EgressPolicy>,
    u: &Arc<super::egress::Usage>,
    peer: SocketAddr,
    i: usize,
    say: &super::egress::Say,
) -> Arc<dyn VirtualNetworking> {
    Arc::new(super::egress::Policed::new(
        net,
        egress,
        u.clone(),
        format!("peer={peer} token_index={i}"),
        say.clone(),
    ))
}

/// Runs one accepted bridge (`serving`) until its stream ends or its token's byte budget
/// is spent (then this bridge ends, all its sockets with it).
pub(super) async fn run_bridge(
    serving: impl std::future::Future,
    u: &super::egress::Usage,
    say: &super::egress::Say,
    peer: SocketAddr,
    i: usize,
) {
    tokio::select! {
        _ = serving => {}
        _ = u.exhausted() => say(format!(
            "wxc-bridge event=closed peer={peer} token_index={i} reason=byte-limit"
        )),
    }
}
