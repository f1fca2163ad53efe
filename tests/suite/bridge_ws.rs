//! port_bridge over `ws://` and `wss://` (issue 14): virtual-net's WebSocket transport after
//! an HTTP/1.1 upgrade, against `serve_with`'s WebSocket listener (in-process: wire
//! captures, impostors, bad inputs) and `wasix-compat net serve --ws-listen` (guests).
//!
//! - a wire capture: with `ws://` the token and a payload marker cross in clear (so the
//!   capture is known to work); with `wss://` neither does;
//! - an impostor TLS server (HTTP/1.1 ALPN, so only the pin can refuse it): `connaborted`,
//!   no TLS handshake completes, no token byte reaches it;
//! - bad inputs: malformed URLs and unmeetable sets answer before anything is dialled; an
//!   unreachable endpoint is `connrefused`; a plain HTTP server `connaborted`; a wrong token
//!   `acces`; a non-upgrade request gets a 4xx and the connection is closed;
//! - 100 slow handshakes (silent, or one byte per second) do not stop a good client: it
//!   bridges and echoes before any of them is cut by the 10 s deadline.
//!
//! Certificates are made at test time with rcgen. Loopback only; every wait bounded.

use crate::bridge_tls::{
    bridged_echo, ca, contains, hex, host_net, leaf, rt, start_echo, start_impostor_with,
    start_proxy, start_serve, trust_ca, Log, MARKER, TOKEN, WAIT,
};
use crate::common::*;
use crate::ports::{guest, EchoServer, NetServe, T};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasix_compat::core::sockets::bridge::{
    fingerprint, parse_network, BridgeTrust, Endpoint, ServeConfig, Transport, ANY_ENCRYPTION,
    CLASSIC_ENCRYPTION, UNENCRYPTED,
};
use wasix_compat::core::sockets::bridge_ws_serve::WsListen;
use wasix_compat::core::ErrorCode;

/// `serve_with` with a WebSocket listener on `/bridge` (TLS when `tls` is given); the
/// WebSocket address and the log.
fn start_ws(
    rt: &tokio::runtime::Runtime,
    tls: Option<(&str, &str)>,
    tweak: impl FnOnce(&mut ServeConfig),
) -> (SocketAddr, Log) {
    let ws = WsListen::bind("127.0.0.1:0/bridge").unwrap();
    let addr = ws.local_addr().unwrap();
    let (_, log) = start_serve(rt, tls, move |c| {
        c.ws = Some(ws);
        tweak(c)
    });
    (addr, log)
}

#[test]
fn ws_shows_token_and_payload_on_the_wire() {
    let rt = rt();
    let (server, log) = start_ws(&rt, None, |_| {});
    let proxy = start_proxy(&rt, server);
    let echo = start_echo(&rt);
    let net = host_net(BridgeTrust::default());
    let url = format!("ws://{}/bridge", proxy.addr);
    assert_eq!(net.bridge(&url, TOKEN, UNENCRYPTED), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let wire = proxy.wire.lock().unwrap().clone();
    assert!(contains(&wire, TOKEN.as_bytes()), "token not captured");
    // Client frames are masked; the echo comes back in the server's unmasked frames.
    assert!(contains(&wire, MARKER), "payload not captured");
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.contains("event=accepted") && log.contains("transport=ws "),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "token in the log: {log}");
}

#[test]
fn wss_hides_token_and_payload_on_the_wire() {
    let rt = rt();
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let (server, log) = start_ws(&rt, Some((&cert, &key)), |_| {});
    let proxy = start_proxy(&rt, server);
    let echo = start_echo(&rt);
    let net = host_net(trust_ca(&ca));
    let url = format!("wss://{}/bridge", proxy.addr);
    assert_eq!(net.bridge(&url, TOKEN, CLASSIC_ENCRYPTION), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let wire = proxy.wire.lock().unwrap().clone();
    assert!(wire.len() > 1000, "captured {} bytes", wire.len());
    assert!(!contains(&wire, TOKEN.as_bytes()), "token on the wire");
    assert!(!contains(&wire, MARKER), "payload on the wire");
    assert!(!contains(&wire, b"Bearer"), "upgrade request on the wire");
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.contains("event=accepted") && log.contains("transport=wss "),
        "{log}"
    );
}

/// A TLS server with a certificate for the right name and HTTP/1.1's ALPN, but not the
/// pinned one: the pin alone refuses it before any token byte is written.
#[test]
fn wss_wrong_pin_is_connaborted_and_the_impostor_gets_nothing() {
    let rt = rt();
    let (cert, key, _) = leaf(&["127.0.0.1"], None);
    let (_, _, other) = leaf(&["127.0.0.1"], None);
    let mut cfg = (*ServeConfig::tls_from_pem(cert.as_bytes(), key.as_bytes()).unwrap()).clone();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let im = start_impostor_with(&rt, Arc::new(cfg));
    let mut t = BridgeTrust::default();
    t.add_pin_hex(&hex(&fingerprint(&other))).unwrap();
    let net = host_net(t);
    let url = format!("wss://{}/bridge", im.addr);
    assert_eq!(
        net.bridge(&url, TOKEN, CLASSIC_ENCRYPTION),
        Err(ErrorCode::ConnectionAborted)
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(im.attempts.load(Ordering::SeqCst), 1, "one connection");
    assert_eq!(
        im.handshakes.load(Ordering::SeqCst),
        0,
        "impostor completed a handshake"
    );
    assert!(
        im.decrypted.lock().unwrap().is_empty(),
        "impostor received bytes"
    );
    assert!(net.port.bridged_to().is_none());
}

/// The same server's real certificate, pinned: the bridge works.
#[test]
fn wss_pinned_self_signed_server_bridges() {
    let rt = rt();
    let (cert, key, der) = leaf(&["127.0.0.1"], None);
    let (server, _) = start_ws(&rt, Some((&cert, &key)), |_| {});
    let echo = start_echo(&rt);
    let mut t = BridgeTrust::default();
    t.add_pin_hex(&hex(&fingerprint(&der))).unwrap();
    let net = host_net(t);
    let url = format!("wss://{server}/bridge");
    assert_eq!(net.bridge(&url, TOKEN, ANY_ENCRYPTION), Ok(()));
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
}

#[test]
fn ws_urls_parse_or_are_inval() {
    let ep = |t, h: &str, p, path: &str| {
        Ok(Endpoint {
            transport: t,
            host: h.to_string(),
            port: p,
            path: path.to_string(),
        })
    };
    use Transport::{Ws, Wss};
    for (url, want) in [
        ("ws://h:1", ep(Ws, "h", 1, "/")),
        ("wss://a.example/net", ep(Wss, "a.example", 443, "/net")),
        ("WS://[::1]:8080/x?y=1", ep(Ws, "::1", 8080, "/x?y=1")),
        ("Wss://10.0.0.1:9/a/b", ep(Wss, "10.0.0.1", 9, "/a/b")),
        ("ws://h?q", ep(Ws, "h", 80, "/?q")),
        ("ws://[::1]", ep(Ws, "::1", 80, "/")),
    ] {
        assert_eq!(parse_network(url), want, "{url:?}");
    }
    for bad in [
        "ws://",
        "ws:///p",
        "ws://h:99999/",
        "ws://h:/",
        "ws://u@h:1/",
        "ws://h:1/a b",
        "ws://h:1/p#f",
        "ws://[::1/",
        "ws://::1:5/",
        "wss://h:1/\x7f",
        "ws://h:1/é",
        "ws:/h:1/",
        "wsx://h:1/",
    ] {
        assert_eq!(parse_network(bad), Err(ErrorCode::Invalid), "{bad:?}");
    }
}

/// Bad URLs, sets the transport cannot meet and a token that cannot be a header value:
/// the exact errno, and nothing reaches the listener.
#[test]
fn ws_bad_inputs_send_nothing() {
    let rt = rt();
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let a = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let n = accepted.clone();
    rt.spawn(async move {
        while let Ok((_s, _)) = l.accept().await {
            n.fetch_add(1, Ordering::SeqCst);
        }
    });
    let net = host_net(BridgeTrust::default());
    for (url, token, sec, want) in [
        (
            format!("ws://{a}/p#f"),
            TOKEN,
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (
            format!("ws://u@{a}/"),
            TOKEN,
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (
            format!("wsx://{a}/"),
            TOKEN,
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (
            format!("ws://{a}/"),
            "tok\x01en",
            UNENCRYPTED,
            ErrorCode::Invalid,
        ),
        (
            format!("ws://{a}/"),
            TOKEN,
            CLASSIC_ENCRYPTION,
            ErrorCode::Unsupported,
        ),
        (
            format!("ws://{a}/"),
            TOKEN,
            ANY_ENCRYPTION,
            ErrorCode::Unsupported,
        ),
        (
            format!("wss://{a}/"),
            TOKEN,
            UNENCRYPTED,
            ErrorCode::Unsupported,
        ),
        (format!("ws://{a}/"), TOKEN, 0, ErrorCode::Invalid),
    ] {
        assert_eq!(net.bridge(&url, token, sec), Err(want), "{url:?} {sec}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "something was dialled");
}

#[test]
fn ws_unreachable_is_connrefused() {
    let port = free_tcp_port();
    let net = host_net(BridgeTrust::default());
    assert_eq!(
        net.bridge(&format!("ws://127.0.0.1:{port}/bridge"), TOKEN, UNENCRYPTED),
        Err(ErrorCode::ConnectionRefused)
    );
}

/// A server that answers HTTP without upgrading (`200`): `connaborted`.
#[test]
fn plain_http_server_is_connaborted() {
    let rt = rt();
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let a = l.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(WAIT, async {
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !contains(&req, b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = s
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
                        .await;
                })
                .await;
            });
        }
    });
    let net = host_net(BridgeTrust::default());
    assert_eq!(
        net.bridge(&format!("ws://{a}/bridge"), TOKEN, UNENCRYPTED),
        Err(ErrorCode::ConnectionAborted)
    );
}

#[test]
fn ws_wrong_token_is_acces() {
    let rt = rt();
    let (server, log) = start_ws(&rt, None, |_| {});
    let net = host_net(BridgeTrust::default());
    assert_eq!(
        net.bridge(
            &format!("ws://{server}/bridge"),
            "not-the-token",
            UNENCRYPTED
        ),
        Err(ErrorCode::Access)
    );
    // The server writes its refusal line after it has answered 401: wait for it (bounded).
    let mut text = String::new();
    for _ in 0..500 {
        text = log.lock().unwrap().join("\n");
        if text.contains("reason=bad-token") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(text.contains("reason=bad-token"), "{text}");
}

/// Requests that do not upgrade get a 4xx status line, then the server closes.
#[test]
fn non_upgrade_requests_get_4xx_and_are_closed() {
    let rt = rt();
    let (server, _) = start_ws(&rt, None, |_| {});
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for (req, want) in [
        (
            "GET /bridge HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
            "HTTP/1.1 426 Upgrade Required",
        ),
        (
            "GET /other HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
            "HTTP/1.1 404 Not Found",
        ),
        (
            format!("GET /bridge HTTP/1.1\r\nHost: x\r\n{upgrade}\r\n"),
            "HTTP/1.1 401 Unauthorized",
        ),
    ] {
        let got = rt.block_on(async {
            tokio::time::timeout(WAIT, async {
                let mut s = tokio::net::TcpStream::connect(server).await.unwrap();
                s.write_all(req.as_bytes()).await.unwrap();
                let mut all = Vec::new();
                // read_to_end returns only once the server has closed.
                s.read_to_end(&mut all).await.unwrap();
                all
            })
            .await
            .expect("the server closed the connection")
        });
        let text = String::from_utf8_lossy(&got);
        assert_eq!(text.lines().next(), Some(want), "{req:?}");
    }
}

/// 100 slow handshakes on the WebSocket listener (50 silent, 50 sending one byte a
/// second) are all pending while a good client bridges and echoes: it is done before the
/// first of them is cut (no `handshake-timeout` in the log yet).
#[test]
fn hundred_slow_handshakes_do_not_stop_a_good_client() {
    let rt = rt();
    let (server, log) = start_ws(&rt, None, |_| {});
    let echo = start_echo(&rt);
    let mut slow = Vec::new();
    for i in 0..100 {
        let s = rt.block_on(tokio::net::TcpStream::connect(server)).unwrap();
        slow.push(rt.spawn(async move {
            let mut s = s;
            let _ = tokio::time::timeout(Duration::from_secs(15), async {
                if i % 2 == 0 {
                    let mut buf = [0u8; 64];
                    let _ = s.read(&mut buf).await;
                    return;
                }
                for b in b"GET /bridge HTTP/1.1\r\nHost: x\r\n".iter().cycle() {
                    if s.write_all(&[*b]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
            .await;
        }));
    }
    let net = host_net(BridgeTrust::default());
    assert_eq!(
        net.bridge(&format!("ws://{server}/bridge"), TOKEN, UNENCRYPTED),
        Ok(())
    );
    assert_eq!(bridged_echo(&net, echo, MARKER), Ok(MARKER.to_vec()));
    let log = log.lock().unwrap().join("\n");
    assert_eq!(log.matches("event=accepted").count(), 1, "{log}");
    assert!(
        !log.contains("event=refused"),
        "a slow client was already cut: {log}"
    );
    for t in slow {
        t.abort();
    }
}

// ---- guests, against `wasix-compat net serve --ws-listen` ----

/// `ws://` from a guest: the `bridged-ws` echo connection belongs to `net serve`, the
/// `local-ws-after` one to the guest's own process.
#[test]
fn ws_bridge_from_a_guest() {
    let port = free_tcp_port();
    let spec = format!("127.0.0.1:{port}/bridge");
    let serve = NetServe::start_with(TOKEN, &["--ws-listen".as_ref(), spec.as_ref()]);
    let echo = EchoServer::start();
    let mut r = Run::new(guest("port_bridge"))
        .flag("--net")
        .arg("ws")
        .arg(&format!("ws://{spec}"))
        .arg(TOKEN)
        .arg(&echo.port.to_string());
    r.timeout = T;
    r.run().assert_ok();
    assert_owners(&echo, &serve, "bridged-ws", "local-ws-after");
}

/// `wss://` from a guest (`net serve --tls-cert/--tls-key --ws-listen`, `run --bridge-ca`):
/// the `tls` mode's checks, over the WebSocket listener.
#[test]
fn wss_bridge_from_a_guest() {
    let ca = ca();
    let (cert, key, _) = leaf(&["127.0.0.1"], Some(&ca));
    let dir = TempDir::new("wxc-bridge-wss");
    let (ca_pem, cert_pem, key_pem) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca_pem, &ca.pem).unwrap();
    std::fs::write(&cert_pem, cert).unwrap();
    std::fs::write(&key_pem, key).unwrap();
    let port = free_tcp_port();
    let spec = format!("127.0.0.1:{port}/bridge");
    let serve = NetServe::start_with(
        TOKEN,
        &[
            "--ws-listen".as_ref(),
            spec.as_ref(),
            "--tls-cert".as_ref(),
            cert_pem.as_os_str(),
            "--tls-key".as_ref(),
            key_pem.as_os_str(),
        ],
    );
    let echo = EchoServer::start();
    let mut r = Run::new(guest("port_bridge"))
        .flag("--net")
        .flag("--bridge-ca")
        .flag(ca_pem.to_str().unwrap())
        .arg("tls")
        .arg(&format!("wss://{spec}"))
        .arg(TOKEN)
        .arg(&echo.port.to_string());
    r.timeout = T;
    r.run().assert_ok();
    assert_owners(&echo, &serve, "bridged-tls", "local-tls-after");
}

/// Exactly two echo connections: `bridged` made by `net serve`, `local` by someone else.
fn assert_owners(echo: &EchoServer, serve: &NetServe, bridged: &str, local: &str) {
    let records = echo.records();
    let tags: Vec<&str> = records.iter().map(|r| r.tag.as_str()).collect();
    assert_eq!(tags, [bridged, local], "{tags:?}");
    let owner = |i: usize| {
        records[i]
            .owner
            .unwrap_or_else(|| panic!("`{}`: no owner", tags[i]))
    };
    assert_eq!(owner(0), serve.pid(), "{bridged} via net serve");
    assert_ne!(owner(1), serve.pid(), "{local} is local");
}

/// SIGTERM closes the WebSocket listener at once, as it does `--listen`: a new `ws://`
/// bridge is `connrefused` while the server still runs its grace period.
#[test]
fn sigterm_closes_the_websocket_listener() {
    let port = free_tcp_port();
    let spec = format!("127.0.0.1:{port}/bridge");
    let serve = NetServe::start_with(TOKEN, &["--ws-listen".as_ref(), spec.as_ref()]);
    // An open bridge keeps the server in its grace period after the signal.
    let open = host_net(BridgeTrust::default());
    let url = format!("ws://{spec}");
    assert_eq!(open.bridge(&url, TOKEN, UNENCRYPTED), Ok(()));
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(serve.pid() as i32, libc::SIGTERM) }, 0);
    // The signal is handled asynchronously: bounded wait for the listener to go.
    let until = std::time::Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        && std::time::Instant::now() < until
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let net = host_net(BridgeTrust::default());
    assert_eq!(
        net.bridge(&url, TOKEN, UNENCRYPTED),
        Err(ErrorCode::ConnectionRefused)
    );
    assert!(open.port.bridged_to().is_some());
}
