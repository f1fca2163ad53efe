//! port_bridge's transports (`tls://`, `tcp://`, bare `host:port`) and `net serve`'s
//! defences, driven through the core's `Network::bridge` (what the `port_bridge` import
//! calls) against an in-process `serve_with` on loopback.
//!
//! - a wire-capturing proxy between client and server: with `tls://` + `classic_encryption`
//!   neither the token nor a payload marker crosses the wire in clear; with `tcp://` +
//!   `unencrypted` both do (so the capture is known to work);
//! - impostor TLS servers (untrusted self-signed, wrong name, wrong pin): `connaborted`, and
//!   the impostor decrypts nothing (no token byte reached it);
//! - a proxy that flips one byte after the handshake: the bridged connection fails, no
//!   corrupt data is delivered;
//! - bad inputs: exact errno and no connection made;
//! - a slow client (silent, or dripping bytes) is cut at the handshake deadline while a good
//!   client bridges; failures are rate-limited per peer address; log lines never carry the
//!   token.
//!
//! Certificates are made at test time with rcgen. Every wait is bounded (timeouts on every
//! socket operation and every channel receive). Loopback only.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtual_net::VirtualConnectedSocketExt;
use wasix_compat::core::sockets::bridge::{
    fingerprint, serve_with, BridgeTrust, ServeConfig, ANY_ENCRYPTION, CLASSIC_ENCRYPTION,
    DOUBLE_ENCRYPTION, UNENCRYPTED,
};
use wasix_compat::core::sockets::{bridge_noise, Network};
use wasix_compat::core::ErrorCode;

pub(crate) const TOKEN: &str = "wxc-secret-token-7f3a9c";
pub(crate) const MARKER: &[u8] = b"WXC-PAYLOAD-MARKER-5d81e2";
pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---- certificates (made here, never stored) ----

pub(crate) struct Ca {
    pub(crate) pem: String,
    issuer: Issuer<'static, KeyPair>,
}

pub(crate) fn ca() -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(p, key),
    }
}

/// (certificate PEM, key PEM, certificate DER) for `names`, signed by `ca` or self-signed.
pub(crate) fn leaf(names: &[&str], ca: Option<&Ca>) -> (String, String, Vec<u8>) {
    let p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = match ca {
        Some(ca) => p.signed_by(&key, &ca.issuer).unwrap(),
        None => p.self_signed(&key).unwrap(),
    };
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

pub(crate) fn trust_ca(ca: &Ca) -> BridgeTrust {
    let mut t = BridgeTrust::default();
    t.add_ca_pem(ca.pem.as_bytes()).unwrap();
    t
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---- servers ----

pub(crate) type Log = Arc<Mutex<Vec<String>>>;

/// `serve_with` on loopback; returns its address and its log lines.
pub(crate) fn start_serve(
    rt: &tokio::runtime::Runtime,
    tls: Option<(&str, &str)>,
    tweak: impl FnOnce(&mut ServeConfig),
) -> (SocketAddr, Log) {
    let mut cfg = ServeConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        vec!["another-token".into(), TOKEN.into()],
    );
    if let Some((c, k)) = tls {
        cfg.tls = Some(ServeConfig::tls_from_pem(c.as_bytes(), k.as_bytes()).unwrap());
    }
    let log: Log = Default::default();
    let l = log.clone();
    cfg.log = Some(Arc::new(move |s: &str| {
        l.lock().unwrap().push(s.to_string())
    }));
    // The echo servers are on loopback, which the egress policy denies by default.
    cfg.egress = Arc::new(wasix_compat::core::sockets::egress::EgressPolicy::allow_all());
    tweak(&mut cfg);
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(serve_with(cfg, move |a| tx.send(a).unwrap()));
    (rx.recv_timeout(WAIT).unwrap(), log)
}

/// An echo server on loopback (tokio), bounded per connection.
pub(crate) fn start_echo(rt: &tokio::runtime::Runtime) -> SocketAddr {
    start_echo_on(rt, "127.0.0.1").0
}

/// An echo server on `ip` (loopback), port chosen by the system; bounded per connection.
/// Counts the connections it accepted.
pub(crate) fn start_echo_on(
    rt: &tokio::runtime::Runtime,
    ip: &str,
) -> (SocketAddr, Arc<Mutex<usize>>) {
    let l = rt
        .block_on(tokio::net::TcpListener::bind(format!("{ip}:0")))
        .unwrap();
    let a = l.local_addr().unwrap();
    let n = Arc::new(Mutex::new(0));
    let n2 = n.clone();
    rt.spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            *n2.lock().unwrap() += 1;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::time::timeout(WAIT, async {
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                })
                .await;
            });
        }
    });
    (a, n)
}

/// A TCP proxy to `target` that records every byte in both directions; when `flip` is
/// set it inverts one byte of the next chunk (either direction) and clears it.
pub(crate) struct Proxy {
    pub(crate) addr: SocketAddr,
    pub(crate) wire: Arc<Mutex<Vec<u8>>>,
    flip: Arc<AtomicBool>,
    flipped: Arc<AtomicUsize>,
}

pub(crate) fn start_proxy(rt: &tokio::runtime::Runtime, target: SocketAddr) -> Proxy {
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let p = Proxy {
        addr: l.local_addr().unwrap(),
        wire: Default::default(),
        flip: Default::default(),
        flipped: Default::default(),
    };
    let (wire, flip, flipped) = (p.wire.clone(), p.flip.clone(), p.flipped.clone());
    rt.spawn(async move {
        while let Ok((c, _)) = l.accept().await {
            let Ok(s) = tokio::net::TcpStream::connect(target).await else {
                continue;
            };
            let (cr, cw) = c.into_split();
            let (sr, sw) = s.into_split();
            for (mut r, mut w) in [
                (
                    Box::new(cr) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
                    Box::new(sw) as Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
                ),
                (Box::new(sr) as _, Box::new(cw) as _),
            ] {
                let (wire, flip, flipped) = (wire.clone(), flip.clone(), flipped.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let _ = tokio::time::timeout(WAIT * 2, async {
                        loop {
                            let n = match r.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            wire.lock().unwrap().extend_from_slice(&buf[..n]);
                            if flip.swap(false, Ordering::SeqCst) {
                                buf[n / 2] ^= 0xff;
                                flipped.fetch_add(1, Ordering::SeqCst);
                            }
                            if w.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = w.shutdown().await;
                    })
                    .await;
                });
            }
        }
    });
    p
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

// ---- the client side ----

pub(crate) fn host_net(trust: BridgeTrust) -> Arc<Network> {
    let n = Network::host().expect("host network");
    n.set_bridge_trust(trust);
    n
}

/// Through the bridged network: connects to `echo`, sends `data`, reads it back.
pub(crate) fn bridged_echo(
    net: &Network,
    echo: SocketAddr,
    data: &[u8],
) -> Result<Vec<u8>, String> {
    bridged_echo_then(net, echo, data, || {})
}

/// As `bridged_echo`, calling `connected` once the bridged connection is open.
fn bridged_echo_then(
    net: &Network,
    echo: SocketAddr,
    data: &[u8],
    connected: impl FnOnce() + Send,
) -> Result<Vec<u8>, String> {
    let b = net.backend().map_err(|e| format!("{e:?}"))?;
    net.runtime().unwrap().block_on(async move {
        tokio::time::timeout(WAIT, async move {
            let mut s = b
                .connect_tcp("0.0.0.0:0".parse().unwrap(), echo)
                .await
                .map_err(|e| format!("connect: {e:?}"))?;
            connected();
            let mut sent = 0;
            while sent < data.len() {
                sent += s
                    .send(&data[sent..])
                    .await
                    .map_err(|e| format!("send: {e:?}"))?;
            }
            let mut got = Vec::new();
            while got.len() < data.len() {
                let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
                let n = s
                    .recv(&mut buf, false)
                    .await
                    .map_err(|e| format!("recv: {e:?}"))?;
                if n == 0 {
                    return Err(format!("eof after {} bytes", got.len()));
                }
                // SAFETY: recv initialised the first n bytes.
                got.extend(buf[..n].iter().map(|b| unsafe { b.assume_init() }));
            }
            Ok(got)
        })
        .await
        .map_err(|_| "timed out".to_string())?
    })
}

// ---- the tests ----

/// `tls://` + classic_encryption: the capture holds TLS records only — neither the token
/// nor the payload marker — and the bridge works.
#[test]
fn tls_hides_token_and_payload_on_the_wire() {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (server, log) = start_serve(&rt, Some((&cert, &key)), |_| {});
    let proxy = start_proxy(&rt, server);
    let echo = start_echo(&rt);
    let net = host_net(trust_ca(&ca));
    let url = format!("tls://{}", proxy.addr);
    assert_eq!(net.bridge(&url, TOKEN, CLASSIC_ENCRYPTION), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let wire = proxy.wire.lock().unwrap().clone();
    assert!(wire.len() > 1000, "captured {} bytes", wire.len());
    assert!(!contains(&wire, TOKEN.as_bytes()), "token on the wire");
    assert!(!contains(&wire, MARKER), "payload on the wire");
    assert!(!contains(&wire, b"WXC-BRIDGE"), "greeting on the wire");
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.contains("event=accepted") && log.contains("transport=tls1.3"),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "token in the log: {log}");
}

/// `tcp://` + unencrypted through the same proxy: token and marker are both visible.
#[test]
fn plain_shows_token_and_payload_on_the_wire() {
    let rt = rt();
    let (server, _) = start_serve(&rt, None, |_| {});
    let proxy = start_proxy(&rt, server);
    let echo = start_echo(&rt);
    let net = host_net(BridgeTrust::default());
    let url = format!("tcp://{}", proxy.addr);
    assert_eq!(net.bridge(&url, TOKEN, UNENCRYPTED), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let wire = proxy.wire.lock().unwrap().clone();
    assert!(contains(&wire, TOKEN.as_bytes()), "token not captured");
    assert!(contains(&wire, MARKER), "payload not captured");
}

/// A TLS server that is not the real one: it records whether a handshake completed and
/// every byte it decrypted.
pub(crate) struct Impostor {
    pub(crate) addr: SocketAddr,
    pub(crate) decrypted: Arc<Mutex<Vec<u8>>>,
    pub(crate) handshakes: Arc<AtomicUsize>,
    pub(crate) attempts: Arc<AtomicUsize>,
}

pub(crate) fn start_impostor(rt: &tokio::runtime::Runtime, cert: &str, key: &str) -> Impostor {
    let cfg = ServeConfig::tls_from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    start_impostor_with(rt, cfg)
}

/// As `start_impostor`, with this TLS configuration (e.g. another ALPN).
pub(crate) fn start_impostor_with(
    rt: &tokio::runtime::Runtime,
    cfg: Arc<rustls::ServerConfig>,
) -> Impostor {
    let acc = tokio_rustls::TlsAcceptor::from(cfg);
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let im = Impostor {
        addr: l.local_addr().unwrap(),
        decrypted: Default::default(),
        handshakes: Default::default(),
        attempts: Default::default(),
    };
    let (d, h, a) = (
        im.decrypted.clone(),
        im.handshakes.clone(),
        im.attempts.clone(),
    );
    rt.spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            let (acc, d, h) = (acc.clone(), d.clone(), h.clone());
            tokio::spawn(async move {
                let _ = tokio::time::timeout(WAIT, async {
                    let Ok(mut t) = acc.accept(s).await else {
                        return;
                    };
                    h.fetch_add(1, Ordering::SeqCst);
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = t.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        d.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                })
                .await;
            });
        }
    });
    im
}

fn assert_impostor_refused(im: &Impostor, trust: BridgeTrust) {
    let net = host_net(trust);
    let url = format!("tls://{}", im.addr);
    assert_eq!(
        net.bridge(&url, TOKEN, CLASSIC_ENCRYPTION | ANY_ENCRYPTION),
        Err(ErrorCode::ConnectionAborted)
    );
    // The impostor's side of the handshake ends shortly after ours; give it a moment.
    std::thread::sleep(Duration::from_millis(200));
    // One connection (none when there is nothing to verify against: a machine without
    // system roots refuses before dialling).
    assert!(
        im.attempts.load(Ordering::SeqCst) <= 1,
        "at most one connection"
    );
    assert_eq!(
        im.handshakes.load(Ordering::SeqCst),
        0,
        "impostor completed a handshake"
    );
    assert!(
        im.decrypted.lock().unwrap().is_empty(),
        "impostor received application bytes"
    );
    assert!(net.port.bridged_to().is_none());
}

#[test]
fn impostor_untrusted_self_signed_gets_nothing() {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], None);
    let im = start_impostor(&rt, &cert, &key);
    assert_impostor_refused(&im, trust_ca(&ca));
}

#[test]
fn impostor_wrong_name_gets_nothing() {
    let rt = rt();
    let ca = ca();
    // Signed by the trusted CA, but for another name.
    let (cert, key, _) = leaf(&["bridge.example"], Some(&ca));
    let im = start_impostor(&rt, &cert, &key);
    assert_impostor_refused(&im, trust_ca(&ca));
}

#[test]
fn impostor_wrong_pin_gets_nothing() {
    let rt = rt();
    let (cert, key, _) = leaf(&["127.0.0.1"], None);
    let (_, _, other) = leaf(&["127.0.0.1"], None);
    let im = start_impostor(&rt, &cert, &key);
    let mut t = BridgeTrust::default();
    t.add_pin_hex(&hex(&fingerprint(&other))).unwrap();
    assert_impostor_refused(&im, t);
}

/// Signed by the trusted CA for the right name, but expired.
#[test]
fn impostor_expired_certificate_gets_nothing() {
    let rt = rt();
    let ca = ca();
    let mut p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    p.not_before = rcgen::date_time_ymd(2001, 1, 1);
    p.not_after = rcgen::date_time_ymd(2002, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    let im = start_impostor(&rt, &cert.pem(), &key.serialize_pem());
    assert_impostor_refused(&im, trust_ca(&ca));
}

/// The system roots do not know a self-signed certificate either.
#[test]
fn impostor_against_system_roots_gets_nothing() {
    let rt = rt();
    let (cert, key, _) = leaf(&["127.0.0.1"], None);
    let im = start_impostor(&rt, &cert, &key);
    assert_impostor_refused(&im, BridgeTrust::default());
}

/// A self-signed server is accepted by its pinned fingerprint (`:`-separated form too).
#[test]
fn pinned_self_signed_server_bridges() {
    let rt = rt();
    let (cert, key, der) = leaf(&["127.0.0.1"], None);
    let (server, _) = start_serve(&rt, Some((&cert, &key)), |_| {});
    let echo = start_echo(&rt);
    let pin = hex(&fingerprint(&der));
    let colons: Vec<&str> = (0..32).map(|i| &pin[2 * i..2 * i + 2]).collect();
    let mut t = BridgeTrust::default();
    t.add_pin_hex(&colons.join(":").to_uppercase()).unwrap();
    let net = host_net(t);
    assert_eq!(
        net.bridge(&format!("tls://{server}"), TOKEN, ANY_ENCRYPTION),
        Ok(())
    );
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
}

fn tamper_setup(rt: &tokio::runtime::Runtime) -> (Proxy, SocketAddr, Arc<Network>) {
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (server, _) = start_serve(rt, Some((&cert, &key)), |_| {});
    let proxy = start_proxy(rt, server);
    let echo = start_echo(rt);
    let net = host_net(trust_ca(&ca));
    assert_eq!(
        net.bridge(&format!("tls://{}", proxy.addr), TOKEN, CLASSIC_ENCRYPTION),
        Ok(())
    );
    (proxy, echo, net)
}

/// One byte flipped in the first record after the handshake (the bridged connect
/// request): the server's TLS refuses it and hangs up, and the bridged connect fails with
/// `connaborted` instead of waiting for an answer that never comes.
#[test]
fn tampered_request_aborts_the_bridged_connect() {
    let rt = rt();
    let (proxy, echo, net) = tamper_setup(&rt);
    proxy.flip.store(true, Ordering::SeqCst);
    let r = bridged_echo(&net, echo, MARKER);
    assert_eq!(
        proxy.flipped.load(Ordering::SeqCst),
        1,
        "a byte was flipped"
    );
    assert_eq!(r, Err("connect: ConnectionAborted".to_string()));
}

/// One byte flipped in the payload of an open bridged connection: the stream fails with
/// `connreset` and no byte of the (corrupt) payload is delivered.
#[test]
fn tampered_payload_resets_the_bridged_stream() {
    let rt = rt();
    let (proxy, echo, net) = tamper_setup(&rt);
    let flip = proxy.flip.clone();
    let r = bridged_echo_then(&net, echo, MARKER, move || {
        flip.store(true, Ordering::SeqCst)
    });
    assert_eq!(
        proxy.flipped.load(Ordering::SeqCst),
        1,
        "a byte was flipped"
    );
    assert_eq!(r, Err("recv: ConnectionReset".to_string()));
}

/// Bad inputs: the exact errno, and nothing reaches the listener.
#[test]
fn bad_inputs_send_nothing() {
    let rt = rt();
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let a = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    rt.spawn(async move {
        while let Ok(_s) = l.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
        }
    });
    let long = "x".repeat(4097);
    let cases: Vec<(String, &str, u8, ErrorCode)> = vec![
        // (`ws://` and `wss://`: bridge_ws.rs::ws_bad_inputs_send_nothing.)
        (format!("ftp://{a}"), TOKEN, UNENCRYPTED, ErrorCode::Invalid),
        ("tls://".into(), TOKEN, ANY_ENCRYPTION, ErrorCode::Invalid),
        (
            "tls://127.0.0.1".into(),
            TOKEN,
            ANY_ENCRYPTION,
            ErrorCode::Invalid,
        ),
        (
            format!("tls://{a}/path"),
            TOKEN,
            ANY_ENCRYPTION,
            ErrorCode::Invalid,
        ),
        (
            format!("tls://user@{a}"),
            TOKEN,
            ANY_ENCRYPTION,
            ErrorCode::Invalid,
        ),
        (
            "tls://127.0.0.1:99999".into(),
            TOKEN,
            ANY_ENCRYPTION,
            ErrorCode::Invalid,
        ),
        (
            format!("tcp://tls://{a}"),
            TOKEN,
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        ("127.0.0.1".into(), TOKEN, UNENCRYPTED, ErrorCode::Invalid),
        ("".into(), TOKEN, UNENCRYPTED, ErrorCode::Invalid),
        (
            format!("tcp://{a}"),
            "to\0ken",
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (
            format!("tcp://{a}"),
            "to\nken",
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (
            format!("tcp://{a}"),
            "to\rken",
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (format!("tcp://{a}"), &long, UNENCRYPTED, ErrorCode::Invalid),
        (
            format!("tls://{a}"),
            &long,
            ANY_ENCRYPTION,
            ErrorCode::Invalid,
        ),
        (format!("tcp://{a}"), TOKEN, 0, ErrorCode::Invalid),
        (format!("tcp://{a}"), TOKEN, 16, ErrorCode::Invalid),
        (
            format!("tcp://{a}"),
            TOKEN,
            UNENCRYPTED | 0x80,
            ErrorCode::Invalid,
        ),
        // Sets the endpoint cannot meet: refused before dialling.
        (
            format!("tls://{a}"),
            TOKEN,
            UNENCRYPTED,
            ErrorCode::Unsupported,
        ),
        (
            format!("tls://{a}"),
            TOKEN,
            DOUBLE_ENCRYPTION,
            ErrorCode::Unsupported,
        ),
        (
            format!("tcp://{a}"),
            TOKEN,
            CLASSIC_ENCRYPTION,
            ErrorCode::Unsupported,
        ),
        (
            format!("tcp://{a}"),
            TOKEN,
            ANY_ENCRYPTION | CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION,
            ErrorCode::Unsupported,
        ),
        (a.to_string(), TOKEN, ANY_ENCRYPTION, ErrorCode::Unsupported),
    ];
    let net = host_net(BridgeTrust::default());
    for (network, token, sec, want) in &cases {
        let shown = format!("{network:.40} token {:.12?} security {sec}", token);
        assert_eq!(net.bridge(network, token, *sec), Err(*want), "{shown}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "a bad input dialled");
}

/// A valid endpoint with nobody listening: the network's errno, not `inval`.
#[test]
fn unreachable_endpoint_answers_the_network_errno() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let net = host_net(BridgeTrust::default());
    for url in [
        format!("tls://127.0.0.1:{port}"),
        format!("tcp://127.0.0.1:{port}"),
    ] {
        let sec = if url.starts_with("tls") {
            CLASSIC_ENCRYPTION
        } else {
            UNENCRYPTED
        };
        assert_eq!(
            net.bridge(&url, TOKEN, sec),
            Err(ErrorCode::ConnectionRefused),
            "{url}"
        );
    }
}

/// A client that connects and sends nothing, and one that drips a byte every 200 ms, are
/// both cut at the handshake deadline (1 s here), while a good client bridges meanwhile.
#[test]
fn slow_handshakes_are_cut_while_a_good_client_bridges() {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (server, log) = start_serve(&rt, Some((&cert, &key)), |c| {
        c.handshake_timeout = Duration::from_secs(1);
    });
    let silent = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(server).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let t = Instant::now();
        let mut buf = [0u8; 64];
        let r = std::io::Read::read(&mut s, &mut buf);
        (r.map_err(|e| e.kind()), t.elapsed())
    });
    let drip = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(server).unwrap();
        let t = Instant::now();
        // A TLS record header announcing a 512-byte handshake record, then one byte every
        // 200 ms: at most 40 over 8 s; the server must hang up long before.
        std::io::Write::write_all(&mut s, b"\x16\x03\x01\x02\x00").unwrap();
        for i in 0..40 {
            if std::io::Write::write_all(&mut s, b"\x01").is_err() {
                return (i, t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        (40, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(100));
    let echo = start_echo(&rt);
    let net = host_net(trust_ca(&ca));
    assert_eq!(
        net.bridge(&format!("tls://{server}"), TOKEN, CLASSIC_ENCRYPTION),
        Ok(())
    );
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let (r, took) = silent.join().unwrap();
    assert_eq!(r, Ok(0), "silent client: the server closes the stream");
    assert!(
        took >= Duration::from_millis(900),
        "cut too early: {took:?}"
    );
    let (sent, _) = drip.join().unwrap();
    // A write fails only once the server's close has come back (a reset): at 1 s that is
    // at most ~7 drips, and in any case before the 40 the client would send.
    assert!(sent < 40, "the dripping client kept the handshake open");
    let log = log.lock().unwrap().join("\n");
    assert_eq!(
        log.matches("reason=handshake-timeout").count(),
        2,
        "both slow clients logged: {log}"
    );
}

/// Past `max_pending` handshakes in progress, a new connection is closed at once
/// (`connaborted` for the client, `too-many-handshakes` in the log); once the slow ones are
/// cut at the deadline, a client bridges again.
#[test]
fn pending_handshakes_are_bounded() {
    let rt = rt();
    let (server, log) = start_serve(&rt, None, |c| {
        c.max_pending = 2;
        c.handshake_timeout = Duration::from_secs(1);
        c.max_failures = 100;
    });
    let slow: Vec<std::net::TcpStream> = (0..2)
        .map(|_| std::net::TcpStream::connect(server).unwrap())
        .collect();
    // Both are accepted (and hold their permits) before the next one comes.
    let deadline = Instant::now() + WAIT;
    let net = host_net(BridgeTrust::default());
    let url = format!("tcp://{server}");
    assert_eq!(
        net.bridge(&url, TOKEN, UNENCRYPTED),
        Err(ErrorCode::ConnectionAborted)
    );
    assert!(log
        .lock()
        .unwrap()
        .join("\n")
        .contains("reason=too-many-handshakes"));
    // The slow ones are cut after 1 s; then there is room again (bounded retries).
    let mut r = Err(ErrorCode::ConnectionAborted);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        r = net.bridge(&url, TOKEN, UNENCRYPTED);
        if r.is_ok() {
            break;
        }
    }
    assert_eq!(r, Ok(()));
    drop(slow);
}

/// After `max_failures` failed handshakes in a minute, a peer address is refused outright,
/// even with the right token (`connaborted`: the server hangs up without reading); the log
/// says why and never shows a token. Plain and TLS servers alike.
#[test]
fn failed_attempts_are_rate_limited_per_peer() {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    for tls in [false, true] {
        let pem = tls.then_some((cert.as_str(), key.as_str()));
        let (server, log) = start_serve(&rt, pem, |c| c.max_failures = 3);
        let net = host_net(trust_ca(&ca));
        let (url, sec) = if tls {
            (format!("tls://{server}"), CLASSIC_ENCRYPTION)
        } else {
            (format!("tcp://{server}"), UNENCRYPTED)
        };
        for _ in 0..3 {
            assert_eq!(
                net.bridge(&url, "wrong-token", sec),
                Err(ErrorCode::Access),
                "{url}"
            );
        }
        for _ in 0..2 {
            assert_eq!(
                net.bridge(&url, TOKEN, sec),
                Err(ErrorCode::ConnectionAborted),
                "{url}"
            );
        }
        let log = log.lock().unwrap().join("\n");
        assert_eq!(log.matches("reason=bad-token").count(), 3, "{log}");
        assert_eq!(log.matches("reason=rate-limited").count(), 2, "{log}");
        assert!(
            !log.contains("wrong-token") && !log.contains(TOKEN),
            "{log}"
        );
    }
}

/// `net serve --tls-cert --tls-key --token-file`: the CLI serves TLS with tokens from a
/// file (several), and logs one line per bridge on stderr; even under RUST_LOG=trace no
/// stderr line carries a token.
#[test]
fn net_serve_cli_serves_tls_with_a_token_file() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("wxc-bridge-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), &key).unwrap();
    std::fs::write(dir.join("tokens"), format!("first-token\r\n\n{TOKEN}\n")).unwrap();
    let port = crate::common::free_tcp_port();
    let mut child = std::process::Command::new(crate::common::bin())
        .args(["net", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .arg("--token-file")
        .arg(dir.join("tokens"))
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    let _kill = Kill(child);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(line.starts_with("serving on"), "{line}");
    let net = host_net(trust_ca(&ca));
    let url = format!("tls://127.0.0.1:{port}");
    assert_eq!(net.bridge(&url, "first-token", CLASSIC_ENCRYPTION), Ok(()));
    let net2 = host_net(trust_ca(&ca));
    assert_eq!(
        net2.bridge(&url, "nope", CLASSIC_ENCRYPTION),
        Err(ErrorCode::Access)
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    // Under RUST_LOG=trace other lines come too; none may carry a token. Bounded: at most
    // 100000 lines or WAIT per line.
    let (mut a, mut b) = (String::new(), String::new());
    for _ in 0..100_000 {
        let Ok(l) = rx.recv_timeout(WAIT) else { break };
        assert!(
            !l.contains("first-token") && !l.contains("nope") && !l.contains(TOKEN),
            "token in the server's stderr: {l}"
        );
        if l.starts_with("wxc-bridge event=accepted") {
            a = l;
        } else if l.starts_with("wxc-bridge event=refused") {
            b = l;
        }
        if !a.is_empty() && !b.is_empty() {
            break;
        }
    }
    assert!(
        a.contains("token_index=0") && a.contains("transport=tls1.3"),
        "{a}"
    );
    assert!(b.contains("reason=bad-token"), "{b}");
}

/// The parsers behind the errnos: network strings, security sets, tokens, pins, token
/// files.
#[test]
fn network_strings_sets_tokens_and_pins() {
    use wasix_compat::core::sockets::bridge::{
        check_security, check_token, parse_network, read_token_file, Endpoint, Transport,
    };
    let ep = |t, h: &str, p| {
        Ok(Endpoint {
            transport: t,
            host: h.to_string(),
            port: p,
            path: String::new(),
        })
    };
    assert_eq!(
        parse_network("tls://a.example:443"),
        ep(Transport::Tls, "a.example", 443)
    );
    assert_eq!(parse_network("TLS://[::1]:7"), ep(Transport::Tls, "::1", 7));
    assert_eq!(
        parse_network("tcp://10.0.0.1:1"),
        ep(Transport::Plain, "10.0.0.1", 1)
    );
    assert_eq!(
        parse_network("host:65535"),
        ep(Transport::Plain, "host", 65535)
    );
    // (`ws://` and `wss://` URLs: bridge_ws.rs.)
    for bad in [
        "tls:/h:1",
        "tls://h",
        "tls://h:",
        "tls://:1",
        "tls://h:1/",
        "tls://h:1?x",
        "tls://h:1#f",
        "tls://u@h:1",
        "tls://[::1]",
        "tls://::1:5",
        "h:-1",
        "h:65536",
        "tls://h h:1",
        "",
    ] {
        assert_eq!(parse_network(bad), Err(ErrorCode::Invalid), "{bad:?}");
    }
    use Transport::{Plain, Tls};
    for (sec, t, want) in [
        (UNENCRYPTED, Plain, Ok(())),
        (UNENCRYPTED | ANY_ENCRYPTION, Plain, Ok(())),
        (ANY_ENCRYPTION, Tls, Ok(())),
        (CLASSIC_ENCRYPTION, Tls, Ok(())),
        (CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION, Tls, Ok(())),
        (UNENCRYPTED | CLASSIC_ENCRYPTION, Tls, Ok(())),
        (UNENCRYPTED, Tls, Err(ErrorCode::Unsupported)),
        (DOUBLE_ENCRYPTION, Tls, Err(ErrorCode::Unsupported)),
        (DOUBLE_ENCRYPTION, Plain, Err(ErrorCode::Unsupported)),
        (CLASSIC_ENCRYPTION, Plain, Err(ErrorCode::Unsupported)),
        (0, Tls, Err(ErrorCode::Invalid)),
        (0x10, Tls, Err(ErrorCode::Invalid)),
        (0xff, Plain, Err(ErrorCode::Invalid)),
    ] {
        assert_eq!(check_security(sec, t), want, "{sec} {t:?}");
    }
    assert_eq!(check_token(&"t".repeat(4096)), Ok(()));
    assert_eq!(check_token(""), Ok(()));
    for bad in ["a\0b", "a\nb", "a\rb", &"t".repeat(4097)] {
        assert_eq!(check_token(bad), Err(ErrorCode::Invalid));
    }
    let mut t = BridgeTrust::default();
    assert!(t.add_pin_hex(&"ab".repeat(32)).is_ok());
    assert!(t.add_pin_hex(&"ab".repeat(31)).is_err());
    assert!(t.add_pin_hex(&"zz".repeat(32)).is_err());
    assert!(t.add_pin_hex(&"é".repeat(32)).is_err());
    assert!(t.add_ca_pem(b"not pem").is_err());
    let f = std::env::temp_dir().join(format!("wxc-tokens-{}", std::process::id()));
    std::fs::write(&f, "one\r\n\ntwo words\nthree\n").unwrap();
    assert_eq!(
        read_token_file(&f),
        Ok(vec!["one".to_string(), "two words".into(), "three".into()])
    );
    std::fs::write(&f, format!("ok\n{}\n", "x".repeat(4097))).unwrap();
    assert!(read_token_file(&f).unwrap_err().contains("line 2"));
    std::fs::write(&f, "a\0b\n").unwrap();
    assert!(read_token_file(&f).is_err());
    let _ = std::fs::remove_file(&f);
}

/// A server that reads `n` bytes per connection, then answers one byte.
fn start_sink(rt: &tokio::runtime::Runtime, n: usize) -> SocketAddr {
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let a = l.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                let _ = tokio::time::timeout(WAIT * 3, async {
                    let mut got = 0;
                    while got < n {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => got += k,
                        }
                    }
                    let _ = s.write_all(b"!").await;
                })
                .await;
            });
        }
    });
    a
}

/// Median 1-byte echo round trip (`rounds`) and the time to push `bulk` bytes to `sink`
/// (until its one-byte answer), through `b`.
fn measure(
    net: &Network,
    b: Arc<dyn virtual_net::VirtualNetworking>,
    echo: SocketAddr,
    sink: SocketAddr,
    rounds: usize,
    bulk: usize,
) -> (Duration, Duration) {
    net.runtime().unwrap().block_on(async move {
        tokio::time::timeout(WAIT * 3, async move {
            let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
            let mut s = b.connect_tcp(any, echo).await.unwrap();
            let mut v = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                assert_eq!(s.send(b"x").await.unwrap(), 1);
                let mut buf = [MaybeUninit::<u8>::uninit(); 16];
                assert_eq!(s.recv(&mut buf, false).await.unwrap(), 1);
                v.push(t.elapsed());
            }
            v.sort();
            let mut s = b.connect_tcp(any, sink).await.unwrap();
            let chunk = vec![0x5au8; 1 << 16];
            let t = Instant::now();
            let mut sent = 0;
            while sent < bulk {
                let k = chunk.len().min(bulk - sent);
                sent += s.send(&chunk[..k]).await.unwrap();
            }
            let mut buf = [MaybeUninit::<u8>::uninit(); 16];
            assert_eq!(s.recv(&mut buf, false).await.unwrap(), 1);
            (v[v.len() / 2], t.elapsed())
        })
        .await
        .expect("measurements within the bound")
    })
}

/// Numbers, not assertions on time: bridge setup (TCP connect + TLS handshake + token),
/// 1-byte echo round trips and 16 MiB pushed, direct against `tcp://` against `tls://`, on
/// loopback. `--nocapture` prints them. Bounded: 20 setups, 300 round trips, 16 MiB per
/// transport, every wait under a timeout.
#[test]
fn bridge_setup_and_round_trip_numbers() {
    const BULK: usize = 16 << 20;
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (plain, _) = start_serve(&rt, None, |_| {});
    let (tls, _) = start_serve(&rt, Some((&cert, &key)), |_| {});
    let (private, public) = noise_pair();
    let (double, _) = start_serve(&rt, Some((&cert, &key)), |c| c.noise_key = Some(private));
    let echo = start_echo(&rt);
    let sink = start_sink(&rt, BULK);
    let direct = host_net(BridgeTrust::default());
    let (rtt, bulk) = measure(&direct, direct.backend().unwrap(), echo, sink, 300, BULK);
    let mbs = |d: Duration| BULK as f64 / d.as_secs_f64() / (1 << 20) as f64;
    println!(
        "direct:        1-byte echo round trip median {rtt:?}, 16 MiB in {bulk:?} ({:.0} MiB/s)",
        mbs(bulk)
    );
    for (name, url, sec) in [
        ("tcp://", format!("tcp://{plain}"), UNENCRYPTED),
        ("tls://", format!("tls://{tls}"), CLASSIC_ENCRYPTION),
        ("double", format!("tls://{double}"), DOUBLE_ENCRYPTION),
    ] {
        let mut setups = Vec::new();
        let mut last = None;
        for _ in 0..20 {
            let net = host_net(trust_double(&ca, &public));
            let t = Instant::now();
            assert_eq!(net.bridge(&url, TOKEN, sec), Ok(()));
            setups.push(t.elapsed());
            last = Some(net);
        }
        setups.sort();
        let net = last.unwrap();
        let (rtt, bulk) = measure(&net, net.backend().unwrap(), echo, sink, 300, BULK);
        println!(
            "bridge {name}: setup median {:?} (20), 1-byte echo round trip median {rtt:?}, 16 MiB in {bulk:?} ({:.0} MiB/s)",
            setups[10],
            mbs(bulk)
        );
    }
}

// ---- double_encryption: Noise NK inside TLS ----

/// A static Noise key pair: (private, public).
fn noise_pair() -> ([u8; 32], [u8; 32]) {
    let k = bridge_noise::generate().unwrap();
    (k, bridge_noise::public_key(&k).unwrap())
}

/// `serve_with` over TLS with the inner layer (when `noise` is given).
fn start_double_serve(
    rt: &tokio::runtime::Runtime,
    ca: &Ca,
    noise: Option<[u8; 32]>,
) -> (SocketAddr, Log) {
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(ca));
    start_serve(rt, Some((&cert, &key)), |c| c.noise_key = noise)
}

fn trust_double(ca: &Ca, public: &[u8; 32]) -> BridgeTrust {
    let mut t = trust_ca(ca);
    t.set_noise_key_hex(&hex(public)).unwrap();
    t
}

/// A proxy that replaces `from` by `to` (same length) in the client's bytes, once.
fn start_rewriting_proxy(
    rt: &tokio::runtime::Runtime,
    target: SocketAddr,
    from: &'static [u8],
    to: &'static [u8],
) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = l.local_addr().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    rt.spawn(async move {
        while let Ok((c, _)) = l.accept().await {
            let Ok(s) = tokio::net::TcpStream::connect(target).await else {
                continue;
            };
            let (mut cr, mut cw) = c.into_split();
            let (mut sr, mut sw) = s.into_split();
            let d = d.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(WAIT * 2, async {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if let Some(i) = buf[..n].windows(from.len()).position(|w| w == from) {
                            buf[i..i + to.len()].copy_from_slice(to);
                            d.fetch_add(1, Ordering::SeqCst);
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                })
                .await;
            });
            tokio::spawn(async move {
                let _ = tokio::time::timeout(WAIT * 2, tokio::io::copy(&mut sr, &mut cw)).await;
            });
        }
    });
    (addr, done)
}

/// `{double}` against a server with the inner layer: the bridge works (so both layers
/// ran: nothing weaker was allowed), 1 MiB echoes intact, and the capture holds neither the
/// token, nor the greeting, nor the payload marker.
#[test]
fn double_hides_token_and_payload_on_the_wire() {
    let rt = rt();
    let ca = ca();
    let (private, public) = noise_pair();
    let (server, log) = start_double_serve(&rt, &ca, Some(private));
    let proxy = start_proxy(&rt, server);
    let echo = start_echo(&rt);
    let net = host_net(trust_double(&ca, &public));
    let url = format!("tls://{}", proxy.addr);
    assert_eq!(net.bridge(&url, TOKEN, DOUBLE_ENCRYPTION), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let big: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    assert_eq!(bridged_echo(&net, echo, &big).map(|v| v == big), Ok(true));
    let wire = proxy.wire.lock().unwrap().clone();
    assert!(wire.len() > 1 << 20, "captured {} bytes", wire.len());
    assert!(!contains(&wire, TOKEN.as_bytes()), "token on the wire");
    assert!(!contains(&wire, MARKER), "payload on the wire");
    assert!(!contains(&wire, b"WXC-BRIDGE"), "greeting on the wire");
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("event=accepted"), "{log}");
    assert!(!log.contains(TOKEN), "token in the log: {log}");
}

/// An endpoint without the inner layer: `{double}` is `notsup`, decided in the TLS
/// handshake (no common ALPN), so no token byte is ever sent: the server accepted nothing
/// and never read a greeting. `{classic, double}` takes the strongest level it offers.
#[test]
fn double_only_against_an_endpoint_without_the_inner_layer_is_notsup() {
    let rt = rt();
    let ca = ca();
    let (_, public) = noise_pair();
    let (server, log) = start_double_serve(&rt, &ca, None);
    let proxy = start_proxy(&rt, server);
    let net = host_net(trust_double(&ca, &public));
    let url = format!("tls://{}", proxy.addr);
    assert_eq!(
        net.bridge(&url, TOKEN, DOUBLE_ENCRYPTION),
        Err(ErrorCode::Unsupported)
    );
    std::thread::sleep(Duration::from_millis(200));
    {
        let log = log.lock().unwrap().join("\n");
        assert!(!log.contains("event=accepted"), "{log}");
        assert!(
            !log.contains("bad-token") && !log.contains("bad-greeting"),
            "{log}"
        );
    }
    assert!(!contains(&proxy.wire.lock().unwrap(), TOKEN.as_bytes()));
    // Double or classic: the endpoint offers classic only.
    let echo = start_echo(&rt);
    assert_eq!(
        net.bridge(&url, TOKEN, CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION),
        Ok(())
    );
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
}

/// An on-path attacker who strips the offer of the inner layer from the ClientHello (so the
/// server would choose plain TLS): the TLS transcript no longer matches, the handshake
/// fails, and the bridge is `connaborted` — it never runs with one layer.
#[test]
fn stripping_the_double_offer_aborts() {
    let rt = rt();
    let ca = ca();
    let (private, public) = noise_pair();
    let (server, log) = start_double_serve(&rt, &ca, Some(private));
    let (proxy, rewrote) =
        start_rewriting_proxy(&rt, server, b"wxc-bridge/2-noise", b"wxc-bridge/2-xoise");
    let net = host_net(trust_double(&ca, &public));
    let url = format!("tls://{proxy}");
    assert_eq!(
        net.bridge(&url, TOKEN, CLASSIC_ENCRYPTION | DOUBLE_ENCRYPTION),
        Err(ErrorCode::ConnectionAborted)
    );
    assert_eq!(rewrote.load(Ordering::SeqCst), 1, "the offer was rewritten");
    std::thread::sleep(Duration::from_millis(200));
    let log = log.lock().unwrap().join("\n");
    assert!(!log.contains("event=accepted"), "{log}");
}

/// A wrong pinned Noise key: the inner handshake fails (the server cannot open the first
/// message) and the bridge is `connaborted` before the token is written — the server
/// refused at `noise-handshake`, never reading a greeting.
#[test]
fn wrong_pinned_noise_key_aborts_before_the_token() {
    let rt = rt();
    let ca = ca();
    let (private, _) = noise_pair();
    let (_, other) = noise_pair();
    let (server, log) = start_double_serve(&rt, &ca, Some(private));
    let net = host_net(trust_double(&ca, &other));
    assert_eq!(
        net.bridge(&format!("tls://{server}"), TOKEN, DOUBLE_ENCRYPTION),
        Err(ErrorCode::ConnectionAborted)
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let l = log.lock().unwrap().join("\n");
        if l.contains("reason=noise-handshake") {
            assert!(
                !l.contains("event=accepted") && !l.contains("bad-token"),
                "{l}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no refusal logged: {l}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pins: 64 hex digits (`:` allowed); anything else is refused.
#[test]
fn noise_key_pins_parse() {
    let mut t = BridgeTrust::default();
    assert!(t.set_noise_key_hex(&"ab".repeat(32)).is_ok());
    assert!(t.set_noise_key_hex(&"ab:".repeat(32)).is_ok());
    assert!(t.set_noise_key_hex(&"ab".repeat(31)).is_err());
    assert!(t.set_noise_key_hex(&"zz".repeat(32)).is_err());
}

/// `net keygen` writes a private key (mode 0600) and prints the public one; `net serve
/// --noise-key` with it serves `{double}` to a client pinning that public key; `--noise-key`
/// without TLS is refused.
#[test]
fn net_keygen_and_serve_with_a_noise_key() {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("wxc-bridge-noise-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let keyfile = dir.join("noise.key");
    let out = std::process::Command::new(crate::common::bin())
        .args(["net", "keygen", "--out"])
        .arg(&keyfile)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(public.len(), 64, "{public}");
    let private = std::fs::read_to_string(&keyfile).unwrap();
    assert_eq!(private.trim().len(), 64);
    assert_ne!(private.trim(), public);
    let mode = std::fs::metadata(&keyfile).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // An existing file is not overwritten.
    let again = std::process::Command::new(crate::common::bin())
        .args(["net", "keygen", "--out"])
        .arg(&keyfile)
        .output()
        .unwrap();
    assert!(!again.status.success());
    // Without TLS: refused at start.
    let plain = std::process::Command::new(crate::common::bin())
        .args(["net", "serve", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .arg("--noise-key")
        .arg(&keyfile)
        .output()
        .unwrap();
    assert!(!plain.status.success());
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("--noise-key needs"),
        "{plain:?}"
    );
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), &key).unwrap();
    let port = crate::common::free_tcp_port();
    let mut child = std::process::Command::new(crate::common::bin())
        .args(["net", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--token", TOKEN, "--tls-cert"])
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .arg("--noise-key")
        .arg(&keyfile)
        // The echo server is on loopback, which the default egress policy denies.
        .args(["--allow", "127.0.0.0/8"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let _kill = Kill(child);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(line.starts_with("serving on"), "{line}");
    let mut pinned = [0u8; 32];
    for (i, c) in public.as_bytes().chunks(2).enumerate() {
        pinned[i] = u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap();
    }
    let echo = start_echo(rt_static());
    let net = host_net(trust_double(&ca, &pinned));
    let url = format!("tls://127.0.0.1:{port}");
    assert_eq!(net.bridge(&url, TOKEN, DOUBLE_ENCRYPTION), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
}

/// A runtime that lives as long as the test process (for servers a test leaves running).
fn rt_static() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(rt)
}

/// Where `got` first differs from `want`, with the words found there (each word of the
/// test data is its own index, so they tell where the bytes came from).
fn difference(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let i = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let w = i & !3;
    let word = |k: usize| {
        got.get(k..k + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let seen: Vec<Option<u32>> = (0..8).map(|k| word(w + 4 * k)).collect();
    Err(format!(
        "{what}: {} bytes, first difference at {i} (word {}): got words {seen:?}",
        got.len(),
        w / 4,
    ))
}

/// `rounds` rounds of `words` 4-byte words through each transport (`tcp://`, `tls://`,
/// double), a fresh bridge each: echoed through a connected stream, then read by a stream
/// accepted on a bridged listener. `Err` names the first that came back altered.
fn echo_rounds(words: u32, rounds: usize) -> Result<(), String> {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (private, public) = noise_pair();
    let (plain, _) = start_serve(&rt, None, |_| {});
    let (tls, _) = start_serve(&rt, Some((&cert, &key)), |_| {});
    let (double, _) = start_serve(&rt, Some((&cert, &key)), |c| c.noise_key = Some(private));
    let echo = start_echo(&rt);
    let big: Vec<u8> = (0..words).flat_map(|i| i.to_le_bytes()).collect();
    for (url, sec) in [
        (format!("tcp://{plain}"), UNENCRYPTED),
        (format!("tls://{tls}"), CLASSIC_ENCRYPTION),
        (format!("tls://{double}"), DOUBLE_ENCRYPTION),
    ] {
        for round in 0..rounds {
            let net = host_net(trust_double(&ca, &public));
            if net.bridge(&url, TOKEN, sec).is_err() {
                return Err(format!("{url} round {round}: bridge failed"));
            }
            let what = format!("{url} round {round} echo");
            let got = bridged_echo(&net, echo, &big).map_err(|e| format!("{what}: {e}"))?;
            difference(&what, &got, &big)?;
            let what = format!("{url} round {round} accepted");
            let got = bridged_accept_read(&net, &big).map_err(|e| format!("{what}: {e}"))?;
            difference(&what, &got, &big)?;
        }
    }
    Ok(())
}

/// Through a listener opened over the bridge: a host client connects to it and sends
/// `data`; what the accepted stream reads, until `data.len()` bytes (bounded by WAIT).
fn bridged_accept_read(net: &Network, data: &[u8]) -> Result<Vec<u8>, String> {
    use virtual_net::VirtualTcpListenerExt;
    let b = net.backend().map_err(|e| format!("{e:?}"))?;
    let data = data.to_vec();
    net.runtime().unwrap().block_on(async move {
        tokio::time::timeout(WAIT, async move {
            let mut l = b
                .listen_tcp("127.0.0.1:0".parse().unwrap(), false, false, false)
                .await
                .map_err(|e| format!("listen: {e:?}"))?;
            let at = l.addr_local().map_err(|e| format!("addr: {e:?}"))?;
            let len = data.len();
            let writer = tokio::spawn(async move {
                let mut c = tokio::net::TcpStream::connect(at).await?;
                c.write_all(&data).await?;
                // Held open until the reader is done (a close could race the last bytes).
                let mut end = [0u8; 1];
                let _ = c.read(&mut end).await;
                Ok::<(), std::io::Error>(())
            });
            let (mut s, _) = l.accept().await.map_err(|e| format!("accept: {e:?}"))?;
            let mut got = Vec::new();
            while got.len() < len {
                let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
                let n = s
                    .recv(&mut buf, false)
                    .await
                    .map_err(|e| format!("recv: {e:?}"))?;
                if n == 0 {
                    return Err(format!("eof after {} bytes", got.len()));
                }
                // SAFETY: recv initialised the first n bytes.
                got.extend(buf[..n].iter().map(|b| unsafe { b.assume_init() }));
            }
            writer.abort();
            Ok(got)
        })
        .await
        .map_err(|_| "timed out".to_string())?
    })
}

/// A stream accepted on a bridged listener reads 1 MiB intact (its data goes through the
/// bridge's own per-stream queue, as a connected stream's does).
#[test]
fn accepted_stream_reads_intact() {
    let rt = rt();
    let (plain, _) = start_serve(&rt, None, |_| {});
    let net = host_net(BridgeTrust::default());
    assert_eq!(
        net.bridge(&format!("tcp://{plain}"), TOKEN, UNENCRYPTED),
        Ok(())
    );
    let big: Vec<u8> = (0..(1u32 << 18)).flat_map(|i| i.to_le_bytes()).collect();
    let got = bridged_accept_read(&net, &big);
    assert_eq!(got.map(|v| difference("accepted", &v, &big)), Ok(Ok(())));
}

/// 1 MiB echoed intact, and read intact by an accepted stream, through each transport
/// (`tcp://`, `tls://`, double), 3 times each.
#[test]
fn bulk_echo_is_intact_on_every_transport() {
    assert_eq!(echo_rounds(1 << 18, 3), Ok(()));
}

/// The reordering soak (run by hand, under CPU load): `WXC_SOAK_ROUNDS` (default 20) rounds
/// of `WXC_SOAK_MIB` MiB (default 4) per transport, as in the test above.
#[test]
#[ignore]
fn bulk_echo_soak() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mib = env("WXC_SOAK_MIB", 4).clamp(1, 64) as u32;
    let rounds = env("WXC_SOAK_ROUNDS", 20).clamp(1, 1000);
    assert_eq!(echo_rounds(mib << 18, rounds), Ok(()));
}

/// The bytes connection `conn` sends: 4-byte words numbered from 0, tagged with the
/// connection in the top byte, so a byte that comes back on the wrong stream or out of order
/// names where it came from.
fn stress_word(conn: u32, i: u32) -> [u8; 4] {
    ((conn << 24) ^ i).to_le_bytes()
}

/// One bridged connection to `echo`: `len` bytes sent in 256 KiB chunks, each read back in
/// full before the next (bounded memory per connection), every byte checked in place.
async fn stress_connection(
    b: Arc<dyn virtual_net::VirtualNetworking>,
    echo: SocketAddr,
    conn: u32,
    len: usize,
) -> Result<(), String> {
    const CHUNK: usize = 256 * 1024;
    let mut s = b
        .connect_tcp("0.0.0.0:0".parse().unwrap(), echo)
        .await
        .map_err(|e| format!("conn {conn}: connect: {e:?}"))?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut buf = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
    let mut at = 0;
    while at < len {
        let n = CHUNK.min(len - at);
        chunk.clear();
        chunk.extend((at..at + n).map(|k| stress_word(conn, (k / 4) as u32)[k % 4]));
        let mut sent = 0;
        while sent < n {
            sent += s
                .send(&chunk[sent..])
                .await
                .map_err(|e| format!("conn {conn}: send at {}: {e:?}", at + sent))?;
        }
        let mut got = 0;
        while got < n {
            let r = s
                .recv(&mut buf, false)
                .await
                .map_err(|e| format!("conn {conn}: recv at {}: {e:?}", at + got))?;
            if r == 0 {
                return Err(format!("conn {conn}: eof at {}", at + got));
            }
            for (k, b) in buf[..r].iter().enumerate() {
                // SAFETY: recv initialised the first r bytes.
                if unsafe { b.assume_init() } != chunk[got + k] {
                    return Err(format!("conn {conn}: byte {} altered", at + got + k));
                }
            }
            got += r;
        }
        at += n;
    }
    Ok(())
}

/// An echo server whose connections last until their client closes (the shared one cuts
/// each after WAIT, shorter than 10 MB takes under a loaded debug build).
fn start_long_echo(rt: &tokio::runtime::Runtime) -> SocketAddr {
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let a = l.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.into_split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    a
}

/// 200 concurrent bridged TCP echo connections from 8 instances (8 bridges to one TLS
/// `net serve`, 25 connections each), 10 MB each way per connection: every byte comes back
/// on its own stream, in order.
#[test]
fn two_hundred_concurrent_bridged_connections_lose_nothing() {
    const INSTANCES: u32 = 8;
    const PER_INSTANCE: u32 = 25;
    const LEN: usize = 10_000_000;
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (server, log) = start_serve(&rt, Some((&cert, &key)), |_| {});
    let echo = start_long_echo(&rt);
    let nets: Vec<Arc<Network>> = (0..INSTANCES)
        .map(|_| {
            let net = host_net(trust_ca(&ca));
            assert_eq!(
                net.bridge(&format!("tls://{server}"), TOKEN, CLASSIC_ENCRYPTION),
                Ok(())
            );
            net
        })
        .collect();
    let mut handles = Vec::new();
    for (i, net) in nets.iter().enumerate() {
        let b = net.backend().unwrap();
        for c in 0..PER_INSTANCE {
            let conn = i as u32 * PER_INSTANCE + c;
            // The connections run on the test's runtime; each bridge's driver on its own.
            handles.push(rt.spawn(stress_connection(b.clone(), echo, conn, LEN)));
        }
    }
    let results: Vec<Result<(), String>> = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(300), async {
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await.map_err(|e| format!("task: {e}")).and_then(|r| r));
            }
            out
        })
        .await
        .expect("200 connections within 300 s")
    });
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(
        (results.len(), failed),
        ((INSTANCES * PER_INSTANCE) as usize, Vec::<&String>::new())
    );
    let log = log.lock().unwrap().join("\n");
    assert_eq!(
        log.matches("event=accepted").count(),
        INSTANCES as usize,
        "{log}"
    );
}

/// A peer that closes ends the bridged stream: its last bytes, then end of stream (not a
/// wait), on each transport. Known bug, kept as the reproducer for the fix: virtual-net's
/// remote server ignores end of stream (`Ok(0) => {}` in its socket drain; it never sends
/// `Closed`), and our framing carries its messages, so the bridged stream waits instead.
#[test]
#[ignore = "known bug (docs/bridge.md): a peer's close does not reach a bridged stream"]
fn a_peer_close_reaches_the_bridged_stream_as_end_of_stream() {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (plain, _) = start_serve(&rt, None, |_| {});
    let (tls, _) = start_serve(&rt, Some((&cert, &key)), |_| {});
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let closer = l.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.write_all(b"bye").await;
            // Dropped here: the peer closes.
        }
    });
    for (url, sec) in [
        (format!("tcp://{plain}"), UNENCRYPTED),
        (format!("tls://{tls}"), CLASSIC_ENCRYPTION),
    ] {
        let net = host_net(trust_ca(&ca));
        assert_eq!(net.bridge(&url, TOKEN, sec), Ok(()));
        let b = net.backend().unwrap();
        let got = net.runtime().unwrap().block_on(async move {
            tokio::time::timeout(WAIT, async move {
                let mut s = b
                    .connect_tcp("0.0.0.0:0".parse().unwrap(), closer)
                    .await
                    .map_err(|e| format!("connect: {e:?}"))?;
                let mut got = Vec::new();
                loop {
                    let mut buf = [MaybeUninit::<u8>::uninit(); 64];
                    let n = s
                        .recv(&mut buf, false)
                        .await
                        .map_err(|e| format!("recv: {e:?}"))?;
                    if n == 0 {
                        return Ok::<_, String>(got);
                    }
                    // SAFETY: recv initialised the first n bytes.
                    got.extend(buf[..n].iter().map(|b| unsafe { b.assume_init() }));
                }
            })
            .await
            .map_err(|_| "no end of stream".to_string())?
        });
        assert_eq!(got, Ok(b"bye".to_vec()), "{url}");
    }
}
