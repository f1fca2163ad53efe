//! `net serve`'s egress policy, per-token limits and signals, and routes that steer a
//! guest's sockets over the bridge or the local network (issue 14, second part).
//!
//! Policy and limits run against an in-process `serve_with` on loopback and are driven
//! through the core's `Socket` (what `sock_connect` / `sock_send` / `sock_recv` call), so
//! the errno is the guest's. Signals run against a `wasix-compat net serve` child process.
//! Routes compare what the server's log saw with what it did not. Every wait is bounded;
//! every address is loopback (refusals are tested with policies that deny loopback).

use crate::bridge_tls::start_echo_on;
use std::io::{BufRead, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasix_compat::core::sockets::bridge::{serve_with, ServeConfig, UNENCRYPTED};
use wasix_compat::core::sockets::egress::{EgressPolicy, Rule, TokenLimits};
use wasix_compat::core::sockets::port::{Cidr, Route};
use wasix_compat::core::sockets::{Family, Kind, Network, Socket};
use wasix_compat::core::ErrorCode;

const TOKEN: &str = "wxc-policy-token-41c7";
const WAIT: Duration = Duration::from_secs(20);

type Log = Arc<Mutex<Vec<String>>>;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `serve_with` (plain TCP) with these `--allow`/`--deny` rules and limits.
fn start_serve(
    rt: &tokio::runtime::Runtime,
    rules: &[(&str, bool)],
    limits: TokenLimits,
) -> (SocketAddr, Log) {
    let mut cfg = ServeConfig::new("127.0.0.1:0".parse().unwrap(), vec![TOKEN.into()]);
    let mut p = EgressPolicy::default();
    for (r, allow) in rules {
        p.push(Rule::parse(r, *allow).unwrap());
    }
    cfg.egress = Arc::new(p);
    cfg.limits = limits;
    let log: Log = Default::default();
    let l = log.clone();
    cfg.log = Some(Arc::new(move |s: &str| {
        l.lock().unwrap().push(s.to_string())
    }));
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(serve_with(cfg, move |a| tx.send(a).unwrap()));
    (rx.recv_timeout(WAIT).unwrap(), log)
}

fn start_echo(rt: &tokio::runtime::Runtime) -> SocketAddr {
    start_echo_on(rt, "127.0.0.1").0
}

fn bridged(server: SocketAddr, token: &str) -> Result<Arc<Network>, ErrorCode> {
    let n = Network::host().expect("host network");
    n.bridge(&server.to_string(), token, UNENCRYPTED)?;
    Ok(n)
}

fn connect(net: &Arc<Network>, to: SocketAddr) -> Result<Socket, ErrorCode> {
    let s = Socket::new(net.clone(), Family::Inet4, Kind::Stream)?;
    s.connect(to, false)?;
    Ok(s)
}

/// Sends `data`, then reads until as many bytes came back; bounded by WAIT (polls).
fn echo(s: &Socket, data: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let mut sent = 0;
    let until = Instant::now() + WAIT;
    while sent < data.len() {
        match s.send(&[IoSlice::new(&data[sent..])], true) {
            Ok(n) => sent += n,
            Err(ErrorCode::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => return Err(e),
        }
    }
    let mut got = Vec::new();
    while got.len() < data.len() {
        let mut buf = [0u8; 4096];
        match s.recv(&mut [IoSliceMut::new(&mut buf)], false, true) {
            Ok(0) => return Err(ErrorCode::ConnectionReset),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(ErrorCode::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn lines(log: &Log, pat: &str) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(pat))
        .cloned()
        .collect()
}

/// Waits (bounded) for a log line containing every pattern.
fn wait_line(log: &Log, pats: &[&str]) -> Option<String> {
    let until = Instant::now() + WAIT;
    while Instant::now() < until {
        if let Some(l) = log
            .lock()
            .unwrap()
            .iter()
            .find(|l| pats.iter().all(|p| l.contains(p)))
        {
            return Some(l.clone());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

// ---- egress policy ----

/// A loopback port the rules deny answers `acces`, with one log line naming the rule and
/// never the token; another port on the same (allowed) address works.
#[test]
fn bridge_policy_denied_port_is_acces_allowed_port_works() {
    let rt = rt();
    let (ok, bad) = (start_echo(&rt), start_echo(&rt));
    let deny = format!("127.0.0.1/32:{}", bad.port());
    let (server, log) = start_serve(&rt, &[("127.0.0.1/32", true), (&deny, false)], {
        TokenLimits::default()
    });
    let net = bridged(server, TOKEN).unwrap();
    assert_eq!(connect(&net, bad).err(), Some(ErrorCode::Access));
    let s = connect(&net, ok).unwrap();
    assert_eq!(
        echo(&s, b"through the policy").unwrap(),
        b"through the policy"
    );
    let refused = lines(&log, "event=egress-refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].contains(&format!("op=connect dest={bad}"))
            && refused[0].contains(&format!("rule=deny:{deny}"))
            && refused[0].contains("token_index=0"),
        "{}",
        refused[0]
    );
    assert!(log.lock().unwrap().iter().all(|l| !l.contains(TOKEN)));
}

/// The default policy denies loopback; `--allow 127.0.0.1/32` opens exactly that address.
#[test]
fn bridge_policy_default_denies_loopback_unless_allowed() {
    let rt = rt();
    let echo_addr = start_echo(&rt);
    let (server, log) = start_serve(&rt, &[], TokenLimits::default());
    let net = bridged(server, TOKEN).unwrap();
    assert_eq!(connect(&net, echo_addr).err(), Some(ErrorCode::Access));
    let l = wait_line(&log, &["event=egress-refused"]).unwrap();
    assert!(l.contains("rule=default-deny:127.0.0.0/8"), "{l}");
    // 127.0.0.2 is loopback too (a default deny), also with 127.0.0.1/32 allowed.
    let (server, _) = start_serve(&rt, &[("127.0.0.1/32", true)], TokenLimits::default());
    let net = bridged(server, TOKEN).unwrap();
    let s = connect(&net, echo_addr).unwrap();
    assert_eq!(echo(&s, b"allowed").unwrap(), b"allowed");
    let other: SocketAddr = format!("127.0.0.2:{}", echo_addr.port()).parse().unwrap();
    assert_eq!(connect(&net, other).err(), Some(ErrorCode::Access));
}

// ---- per-token limits ----

/// `max_sockets` 2: the third concurrent socket of the token is `again`; closing one frees
/// its slot for the next connect.
#[test]
fn bridge_limit_sockets_past_the_limit_is_again() {
    let rt = rt();
    let echo_addr = start_echo(&rt);
    let limits = TokenLimits {
        max_sockets: Some(2),
        max_bytes: None,
    };
    let (server, _) = start_serve(&rt, &[("127.0.0.1/32", true)], limits);
    let net = bridged(server, TOKEN).unwrap();
    let a = connect(&net, echo_addr).unwrap();
    let b = connect(&net, echo_addr).unwrap();
    assert_eq!(connect(&net, echo_addr).err(), Some(ErrorCode::WouldBlock));
    // Another bridge of the same token shares the count.
    let net2 = bridged(server, TOKEN).unwrap();
    assert_eq!(connect(&net2, echo_addr).err(), Some(ErrorCode::WouldBlock));
    assert_eq!(echo(&b, b"still fine").unwrap(), b"still fine");
    drop(a);
    // The close reaches the server asynchronously: bounded retries.
    let mut r = Err(ErrorCode::WouldBlock);
    for _ in 0..200 {
        r = connect(&net, echo_addr).map(|_| ());
        if r != Err(ErrorCode::WouldBlock) {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(r, Ok(()));
}

/// `max_bytes` 1000 (sent plus received by the server): a 400-byte echo (800 relayed)
/// works; the next 400 pass the limit, which ends the token's bridge: the open stream
/// answers `connreset` on read, a new connect on that bridge `connaborted`, and a new
/// bridge with the token `acces`.
#[test]
fn bridge_limit_bytes_past_the_limit_is_connreset() {
    let rt = rt();
    let echo_addr = start_echo(&rt);
    let limits = TokenLimits {
        max_sockets: None,
        max_bytes: Some(1000),
    };
    let (server, log) = start_serve(&rt, &[("127.0.0.1/32", true)], limits);
    let net = bridged(server, TOKEN).unwrap();
    let s = connect(&net, echo_addr).unwrap();
    let chunk = [b'x'; 400];
    assert_eq!(echo(&s, &chunk).unwrap().len(), 400);
    assert_eq!(echo(&s, &chunk).err(), Some(ErrorCode::ConnectionReset));
    assert_eq!(
        connect(&net, echo_addr).err(),
        Some(ErrorCode::ConnectionAborted)
    );
    assert_eq!(bridged(server, TOKEN).err(), Some(ErrorCode::Access));
    assert!(wait_line(&log, &["reason=byte-limit", "event=closed"]).is_some());
    assert!(wait_line(&log, &["reason=byte-limit", "event=refused"]).is_some());
}

// ---- signals (a `wasix-compat net serve` child process) ----

/// `net serve` in the background: its stderr lines on a channel; killed on drop.
struct Child {
    child: std::process::Child,
    addr: SocketAddr,
    err: std::sync::mpsc::Receiver<String>,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Child {
    fn start(extra: &[&str]) -> Child {
        for _ in 0..5 {
            let port = crate::common::free_tcp_port();
            let want = format!("127.0.0.1:{port}");
            let mut child = std::process::Command::new(crate::common::bin())
                .args(["net", "serve", "--listen", &want])
                .args(extra)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let (so, se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
            let (tx, err) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for l in std::io::BufReader::new(se).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            let mut line = String::new();
            let _ = std::io::BufReader::new(so).read_line(&mut line);
            if line.trim_end() == format!("serving on {want}") {
                return Child {
                    child,
                    addr: want.parse().unwrap(),
                    err,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("net serve did not start");
    }

    fn signal(&self, sig: i32) {
        // SAFETY: a signal to our own child process, by its id.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    /// The first stderr line containing `pat` (bounded: WAIT per line, 10000 lines).
    fn expect_line(&self, pat: &str) -> String {
        for _ in 0..10_000 {
            match self.err.recv_timeout(WAIT) {
                Ok(l) if l.contains(pat) => return l,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        panic!("no `{pat}` line from net serve");
    }
}

/// SIGHUP re-reads the token file: the new token bridges, the removed one is `acces`,
/// and a bridge made with the removed token before the reload keeps working.
#[test]
fn bridge_signal_sighup_reloads_the_token_file() {
    let rt = rt();
    let echo_addr = start_echo(&rt);
    let dir = std::env::temp_dir().join(format!("wxc-policy-hup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tokens");
    std::fs::write(&file, "old-token-1\n").unwrap();
    let serve = Child::start(&[
        "--token-file",
        file.to_str().unwrap(),
        "--allow",
        "127.0.0.1/32",
    ]);
    let old = bridged(serve.addr, "old-token-1").unwrap();
    let s = connect(&old, echo_addr).unwrap();
    assert_eq!(
        bridged(serve.addr, "new-token-2").err(),
        Some(ErrorCode::Access)
    );
    std::fs::write(&file, "new-token-2\n").unwrap();
    serve.signal(libc::SIGHUP);
    let l = serve.expect_line("event=reloaded");
    assert!(l.contains("tokens=1"), "{l}");
    let _ = std::fs::remove_dir_all(&dir);
    let new = bridged(serve.addr, "new-token-2").unwrap();
    assert_eq!(
        echo(&connect(&new, echo_addr).unwrap(), b"new").unwrap(),
        b"new"
    );
    assert_eq!(
        bridged(serve.addr, "old-token-1").err(),
        Some(ErrorCode::Access)
    );
    assert_eq!(echo(&s, b"existing bridge").unwrap(), b"existing bridge");
}

/// SIGTERM: the listener closes at once (a new bridge is `connrefused`), the open bridge
/// may go on for the grace period (1 s here), then the process exits with status 0.
#[test]
fn bridge_signal_sigterm_exits_0_within_the_grace_period() {
    let rt = rt();
    let echo_addr = start_echo(&rt);
    let mut serve = Child::start(&[
        "--token",
        TOKEN,
        "--allow",
        "127.0.0.1/32",
        "--shutdown-grace",
        "1",
    ]);
    let net = bridged(serve.addr, TOKEN).unwrap();
    let s = connect(&net, echo_addr).unwrap();
    let t0 = Instant::now();
    serve.signal(libc::SIGTERM);
    let l = serve.expect_line("event=shutdown");
    assert!(
        l.contains("bridges=1") && l.contains("grace_ms=1000"),
        "{l}"
    );
    assert_eq!(
        bridged(serve.addr, TOKEN).err(),
        Some(ErrorCode::ConnectionRefused)
    );
    // Within the grace period the bridge still relays.
    assert_eq!(echo(&s, b"during grace").unwrap(), b"during grace");
    let status = loop {
        if let Some(st) = serve.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "net serve did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    assert!(serve.expect_line("event=stopped").contains("drained=false"));
}

// ---- routes steer new sockets (client side) ----

fn route(cidr: &str, prefix: u8, via: &str, expires_at: Option<u64>) -> Route {
    Route {
        cidr: Cidr::new(cidr.parse().unwrap(), prefix).unwrap(),
        via: via.parse().unwrap(),
        preferred_until: None,
        expires_at,
    }
}

/// Lines where the server made a connection to `dest`.
fn seen(log: &Log, dest: SocketAddr) -> usize {
    lines(log, "event=egress peer=")
        .iter()
        .filter(|l| l.ends_with(&format!("op=connect dest={dest}")))
        .count()
}

/// Bridged, with routes for 127.0.0.2/32 and 127.0.0.3/32 (no gateway set: every route
/// means the bridge): a connect to 127.0.0.2 is made by the server (its log line), one
/// to 127.0.0.1 stays local (no line; the echo server still answers). Expiry, removal and
/// clearing take effect for the next socket.
#[test]
fn bridge_routes_steer_new_sockets_over_the_bridge_or_local() {
    let rt = rt();
    let (one, one_n) = start_echo_on(&rt, "127.0.0.1");
    let (two, _) = start_echo_on(&rt, "127.0.0.2");
    let (server, log) = start_serve(&rt, &[("127.0.0.0/8", true)], TokenLimits::default());
    let net = bridged(server, TOKEN).unwrap();
    net.port_route_add(route("127.0.0.2", 32, "10.0.0.1", None))
        .unwrap();
    net.port_route_add(route("127.0.0.3", 32, "10.0.0.1", None))
        .unwrap();
    assert_eq!(net.port_route_list().unwrap().len(), 2);
    let s = connect(&net, two).unwrap();
    assert_eq!(echo(&s, b"via bridge").unwrap(), b"via bridge");
    assert_eq!(seen(&log, two), 1);
    let s = connect(&net, one).unwrap();
    assert_eq!(echo(&s, b"local").unwrap(), b"local");
    assert_eq!(
        seen(&log, one),
        0,
        "split tunnelling: 127.0.0.1 stayed local"
    );
    assert_eq!(*one_n.lock().unwrap(), 1);
    // Expired: the route is gone, 127.0.0.2 is now local too.
    net.port_route_add(route("127.0.0.2", 32, "10.0.0.1", Some(1)))
        .unwrap();
    assert_eq!(net.port_route_list().unwrap().len(), 1);
    let s = connect(&net, two).unwrap();
    assert_eq!(echo(&s, b"expired").unwrap(), b"expired");
    assert_eq!(seen(&log, two), 1);
    // Added again, then removed.
    net.port_route_add(route("127.0.0.2", 32, "10.0.0.1", None))
        .unwrap();
    connect(&net, two).unwrap();
    assert_eq!(seen(&log, two), 2);
    net.port_route_remove("127.0.0.2".parse().unwrap()).unwrap();
    connect(&net, two).unwrap();
    assert_eq!(seen(&log, two), 2, "removed: local");
    // No routes at all: everything over the bridge again.
    net.port_route_clear().unwrap();
    connect(&net, one).unwrap();
    assert_eq!(seen(&log, one), 1);
    drop(s);
}

/// With a gateway set while bridged, the gateway is the bridge: a route via another
/// on-link router stays local, unrouted destinations cross the bridge.
#[test]
fn bridge_routes_gateway_is_the_bridge() {
    let rt = rt();
    let (one, _) = start_echo_on(&rt, "127.0.0.1");
    let (two, _) = start_echo_on(&rt, "127.0.0.2");
    let (server, log) = start_serve(&rt, &[("127.0.0.0/8", true)], TokenLimits::default());
    let net = bridged(server, TOKEN).unwrap();
    net.port_gateway_set("10.0.0.1".parse().unwrap()).unwrap();
    net.port_route_add(route("127.0.0.2", 32, "127.0.0.1", None))
        .unwrap();
    connect(&net, two).unwrap();
    assert_eq!(seen(&log, two), 0, "via a local router: local");
    connect(&net, one).unwrap();
    assert_eq!(seen(&log, one), 1, "default route: the bridge");
    // A route via an address that is neither the gateway nor a known router.
    net.port_route_add(route("127.0.0.2", 32, "192.0.2.77", None))
        .unwrap();
    assert_eq!(
        connect(&net, two).err(),
        Some(ErrorCode::NetworkUnreachable)
    );
}

/// Not bridged: a route via an unknown gateway is `netunreach`; once that address is the
/// gateway, the same connect works. Bad routes are refused by the core (`inval`).
#[test]
fn bridge_routes_unbridged_unknown_gateway_is_netunreach() {
    let rt = rt();
    let one = start_echo(&rt);
    let net = Network::host().unwrap();
    net.port_route_add(route("127.0.0.0", 8, "10.9.9.9", None))
        .unwrap();
    assert_eq!(
        connect(&net, one).err(),
        Some(ErrorCode::NetworkUnreachable)
    );
    net.port_gateway_set("10.9.9.9".parse().unwrap()).unwrap();
    let s = connect(&net, one).unwrap();
    assert_eq!(echo(&s, b"gw").unwrap(), b"gw");
    assert_eq!(
        Cidr::new("10.0.0.0".parse().unwrap(), 33),
        Err(ErrorCode::Invalid)
    );
    assert_eq!(
        Cidr::new("::".parse().unwrap(), 129),
        Err(ErrorCode::Invalid)
    );
}

/// Bad values for the new `net serve` flags: one line on stderr, exit status 1, nothing
/// served.
#[test]
fn bridge_policy_bad_flags_are_refused() {
    for (flag, value, msg) in [
        (
            "--allow",
            "127.0.0.1/33",
            "bad rule `127.0.0.1/33`: prefix out of range",
        ),
        (
            "--deny",
            "10.0.0.0/8:9-3",
            "bad rule `10.0.0.0/8:9-3`: ports are N, N-M or a list",
        ),
        (
            "--allow",
            "localhost",
            "bad rule `localhost`: not an IP address",
        ),
        (
            "--max-sockets",
            "0",
            "--max-sockets takes a positive count, not `0`",
        ),
        (
            "--max-bytes",
            "-5",
            "--max-bytes takes a positive count, not `-5`",
        ),
        (
            "--shutdown-grace",
            "x",
            "--shutdown-grace takes seconds, not `x`",
        ),
    ] {
        let out = std::process::Command::new(crate::common::bin())
            .args(["net", "serve", "--listen", "127.0.0.1:0", "--token", "t"])
            .args([flag, value])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag} {value}");
        assert!(out.stdout.is_empty(), "{flag} {value}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("wasix-compat: {msg}\n"),
            "{flag} {value}"
        );
    }
}

/// SIGTERM with no bridge open: nothing to wait for, so the process exits with status 0
/// long before its (30 s) grace period ends.
#[test]
fn bridge_signal_sigterm_without_bridges_exits_at_once() {
    let mut serve = Child::start(&["--token", TOKEN, "--shutdown-grace", "30"]);
    let t0 = Instant::now();
    serve.signal(libc::SIGTERM);
    let status = loop {
        if let Some(st) = serve.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "net serve did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(serve.expect_line("event=shutdown").contains("bridges=0"));
    assert!(serve.expect_line("event=stopped").contains("drained=true"));
}
