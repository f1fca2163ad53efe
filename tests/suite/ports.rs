//! The virtual network port: the 13 `port_*` imports of `wasix_32v1`, exercised by our own
//! C guests (tests/guests/c/port_*.c, declarations in include/wasix.h, helpers in
//! include/port_util.h) under our engine, plus a reference run of the same programs under
//! wasmer-wasix 0.704.2 whose failing checks must be exactly the ones in `PORT_DIFFERENCES`.
//!
//! - `port_table 4|6`: address table, gateway, route table with every timestamp
//!   combination, list overflow and count-only lists, absent entries, over-long prefixes.
//! - `port_misc`: port_mac, port_dhcp_acquire, bad tags and out-of-bounds pointers for
//!   every pointer-taking import.
//! - `port_route 4|6`: routing is real. The test runs a TCP listener and a UDP socket on
//!   loopback; the guest connects / sends with and without covering routes, and the test
//!   checks on the host side that exactly the allowed connections and datagrams arrived.
//! - `port_bridge`: a second process, `wasix-compat net serve`, serves the host network;
//!   the guest bridges to it and talks to an echo server the test runs. How the test
//!   proves that traffic crossed the bridge: when the echo server accepts a connection it
//!   looks up the client end of that very connection (local = the peer address it sees,
//!   remote = the echo port) in /proc/net/tcp, takes its socket inode, and finds the
//!   process holding `socket:[inode]` under /proc/*/fd. The client is blocked waiting for
//!   the echo while this happens, so the socket is certainly alive. Connections tagged
//!   `bridged*` must belong to the `net serve` process; `local-*` ones to the guest's own
//!   `wasix-compat run` process. Bounded: socket timeouts, a deadline on every wait, and
//!   every child process killed on drop. `bridge_over_tls_from_a_guest` does the same over
//!   `tls://` (`net serve --tls-cert/--tls-key`, `run --bridge-ca`); the transports in
//!   detail are tested in bridge_tls.rs.
//!
//! Every wait is bounded (harness timeouts, socket read timeouts, deadlines).

use crate::common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasix_compat::matrix::differences::PORT_DIFFERENCES;

pub(crate) const T: Duration = Duration::from_secs(90);
const TOKEN: &str = "wxc-port-test-token";

/// `*` matches any run of characters.
fn glob(pat: &str, s: &str) -> bool {
    match pat.split_once('*') {
        None => pat == s,
        Some((head, rest)) => {
            s.starts_with(head)
                && (head.len()..=s.len()).any(|k| s.is_char_boundary(k) && glob(rest, &s[k..]))
        }
    }
}

pub(crate) fn guest(name: &str) -> std::path::PathBuf {
    build_c(&[&format!("tests/guests/c/{name}.c")], &[])
}

fn parse_checks(o: &Outcome) -> BTreeMap<String, String> {
    let mut checks = BTreeMap::new();
    for l in o.stdout_str().lines() {
        if let Some((k, v)) = l.split_once(": ") {
            checks.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    checks
}

// ---- host-side helpers ----

/// `wasix-compat net serve` in the background, killed on drop.
pub(crate) struct NetServe {
    child: Child,
    pub(crate) addr: String,
}

impl NetServe {
    fn start(token: &str) -> NetServe {
        NetServe::start_with(token, &[])
    }

    /// With more `net serve` options (e.g. `--tls-cert`, `--tls-key`).
    pub(crate) fn start_with(token: &str, extra: &[&std::ffi::OsStr]) -> NetServe {
        // A port that was free a moment ago; retry a few times in case another test took it.
        for _ in 0..5 {
            let port = free_tcp_port();
            let want = format!("127.0.0.1:{port}");
            let mut child = Command::new(bin())
                .args(["net", "serve", "--listen", &want, "--token", token])
                // The echo servers are on loopback, which the egress policy denies by default.
                .args(["--allow", "127.0.0.0/8"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn wasix-compat net serve");
            let so = child.stdout.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(so).lines() {
                    let Ok(l) = l else { break };
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    assert_eq!(line, format!("serving on {want}"), "net serve's first line");
                    return NetServe { child, addr: want };
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
        panic!("`wasix-compat net serve` never printed `serving on ADDR`");
    }
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for NetServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The socket inode of the TCP endpoint whose local address is `local` and whose remote
/// port is `remote_port`, from /proc/net/tcp{,6}.
fn tcp_inode(local: SocketAddr, remote_port: u16) -> Option<u64> {
    let table = if local.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let text = std::fs::read_to_string(table).ok()?;
    let parse = |s: &str| -> Option<(Vec<u8>, u16)> {
        let (ip, port) = s.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        // Each 32-bit word is printed in host byte order.
        let mut bytes = Vec::new();
        for k in (0..ip.len()).step_by(8) {
            let w = u32::from_str_radix(ip.get(k..k + 8)?, 16).ok()?;
            bytes.extend_from_slice(&w.to_ne_bytes());
        }
        Some((bytes, port))
    };
    let want_ip: Vec<u8> = match local.ip() {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 10 {
            continue;
        }
        let (Some((lip, lport)), Some((_, rport))) = (parse(f[1]), parse(f[2])) else {
            continue;
        };
        if lip == want_ip && lport == local.port() && rport == remote_port {
            let inode: u64 = f[9].parse().ok()?;
            if inode != 0 {
                return Some(inode);
            }
        }
    }
    None
}

/// The process holding socket `inode` open (scans /proc/*/fd).
fn socket_owner(inode: u64) -> Option<u32> {
    let want = format!("socket:[{inode}]");
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|t| t.to_string_lossy() == want) {
                return Some(pid);
            }
        }
    }
    None
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// One accepted echo connection: the line it sent and the process owning its client end.
#[derive(Debug, Clone)]
pub(crate) struct EchoRecord {
    pub(crate) tag: String,
    pub(crate) owner: Option<u32>,
    /// The owner's command line, read while the connection is alive.
    owner_cmdline: String,
}

/// A line echo server on 127.0.0.1 that attributes each connection to a process.
pub(crate) struct EchoServer {
    pub(crate) port: u16,
    records: Arc<Mutex<Vec<EchoRecord>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    pub(crate) fn start() -> EchoServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let records = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r2, s2) = (records.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, peer)) => {
                        let r3 = r2.clone();
                        std::thread::spawn(move || {
                            let _ = s.set_nonblocking(false);
                            let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
                            let _ = s.set_write_timeout(Some(Duration::from_secs(20)));
                            let mut rd = BufReader::new(s.try_clone().unwrap());
                            let mut line = String::new();
                            if rd.read_line(&mut line).is_err() || line.is_empty() {
                                return;
                            }
                            // The client waits for the echo: its end is alive right now.
                            let owner = tcp_inode(peer, port).and_then(socket_owner);
                            r3.lock().unwrap().push(EchoRecord {
                                tag: line.trim_end().to_string(),
                                owner,
                                owner_cmdline: owner.map(cmdline).unwrap_or_default(),
                            });
                            let mut w = s;
                            let _ = w.write_all(line.as_bytes());
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => break,
                }
            }
        });
        EchoServer {
            port,
            records,
            stop,
            thread: Some(thread),
        }
    }
    pub(crate) fn records(&self) -> Vec<EchoRecord> {
        self.records.lock().unwrap().clone()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A TCP listener (counting accepted connections) and a UDP socket (recording datagrams)
/// on the loopback address of one family.
struct Sink {
    tcp_port: u16,
    udp_port: u16,
    accepted: Arc<AtomicUsize>,
    datagrams: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Sink {
    fn start(v6: bool) -> Sink {
        let host = if v6 { "[::1]:0" } else { "127.0.0.1:0" };
        let l = TcpListener::bind(host).unwrap();
        l.set_nonblocking(true).unwrap();
        let u = UdpSocket::bind(host).unwrap();
        u.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let (tcp_port, udp_port) = (
            l.local_addr().unwrap().port(),
            u.local_addr().unwrap().port(),
        );
        let accepted = Arc::new(AtomicUsize::new(0));
        let datagrams = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a2, s2) = (accepted.clone(), stop.clone());
        let t1 = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok(_) => {
                        a2.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        let (d2, s3) = (datagrams.clone(), stop.clone());
        let t2 = std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while !s3.load(Ordering::Relaxed) {
                if let Ok((n, _)) = u.recv_from(&mut buf) {
                    d2.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
            }
        });
        Sink {
            tcp_port,
            udp_port,
            accepted,
            datagrams,
            stop,
            threads: vec![t1, t2],
        }
    }
    /// Stops after a short grace period; (accepted connections, datagrams in order).
    fn finish(mut self) -> (usize, Vec<String>) {
        std::thread::sleep(Duration::from_millis(300));
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        (
            self.accepted.load(Ordering::Relaxed),
            self.datagrams.lock().unwrap().clone(),
        )
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

// ---- the cases ----

/// What a case saw on the host side, for the host-side assertions.
enum HostSide {
    None,
    Sink {
        accepted: usize,
        datagrams: Vec<String>,
    },
    Bridge {
        records: Vec<EchoRecord>,
        serve_pid: u32,
    },
}

const CASES: &[&str] = &[
    "table4",
    "table6",
    "table4-net",
    "table6-net",
    "misc",
    "misc-net",
    "route4",
    "route6",
    "bridge",
    "bridge-nonet",
    "bridge-policy",
    "bridge-routes",
];

fn run_case(name: &str, engine: Engine) -> (Outcome, BTreeMap<String, String>, HostSide) {
    let base = |prog: &str| {
        let mut r = Run::new(guest(prog))
            .engine(engine)
            .env("WXC_KEEP_GOING", "1");
        r.timeout = T;
        r
    };
    let (o, host) = match name {
        "table4" | "table6" | "table4-net" | "table6-net" => {
            let mut r = base("port_table").arg(if name.starts_with("table4") { "4" } else { "6" });
            if name.ends_with("-net") {
                r = r.flag("--net");
            }
            (r.run(), HostSide::None)
        }
        "misc" => (base("port_misc").run(), HostSide::None),
        "misc-net" => (base("port_misc").flag("--net").run(), HostSide::None),
        "route4" | "route6" => {
            let v6 = name == "route6";
            let sink = Sink::start(v6);
            let o = base("port_route")
                .flag("--net")
                .arg(if v6 { "6" } else { "4" })
                .arg(&sink.tcp_port.to_string())
                .arg(&sink.udp_port.to_string())
                .run();
            let (accepted, datagrams) = sink.finish();
            (
                o,
                HostSide::Sink {
                    accepted,
                    datagrams,
                },
            )
        }
        "bridge" => {
            let serve = NetServe::start(TOKEN);
            let echo = EchoServer::start();
            let o = base("port_bridge")
                .flag("--net")
                .arg("full")
                .arg(&serve.addr)
                .arg(TOKEN)
                .arg(&echo.port.to_string())
                .arg(&free_tcp_port().to_string())
                .run();
            let records = echo.records();
            (
                o,
                HostSide::Bridge {
                    records,
                    serve_pid: serve.pid(),
                },
            )
        }
        "bridge-policy" => {
            let echo = EchoServer::start();
            let denied = free_tcp_port().to_string();
            let rule = format!("127.0.0.1/32:{denied}");
            let serve = NetServe::start_with(TOKEN, &["--deny".as_ref(), rule.as_ref()]);
            let o = base("port_bridge")
                .flag("--net")
                .arg("policy")
                .arg(&serve.addr)
                .arg(TOKEN)
                .arg(&denied)
                .arg(&echo.port.to_string())
                .run();
            let records = echo.records();
            (
                o,
                HostSide::Bridge {
                    records,
                    serve_pid: serve.pid(),
                },
            )
        }
        "bridge-routes" => {
            let serve = NetServe::start(TOKEN);
            let echo = EchoServer::start();
            let o = base("port_bridge")
                .flag("--net")
                .arg("routes")
                .arg(&serve.addr)
                .arg(TOKEN)
                .arg(&echo.port.to_string())
                .run();
            let records = echo.records();
            (
                o,
                HostSide::Bridge {
                    records,
                    serve_pid: serve.pid(),
                },
            )
        }
        "bridge-nonet" => {
            let serve = NetServe::start(TOKEN);
            let o = base("port_bridge")
                .arg("nonet")
                .arg(&serve.addr)
                .arg(TOKEN)
                .run();
            (o, HostSide::None)
        }
        other => panic!("unknown case {other}"),
    };
    let checks = parse_checks(&o);
    (o, checks, host)
}

fn assert_ours(name: &str) -> HostSide {
    let (o, _, host) = run_case(name, Engine::Ours);
    o.assert_ok();
    host
}

// ---- our engine: every check passes ----

#[test]
fn address_and_route_tables_ipv4() {
    assert_ours("table4");
    assert_ours("table4-net");
}

#[test]
fn address_and_route_tables_ipv6() {
    assert_ours("table6");
    assert_ours("table6-net");
}

#[test]
fn mac_dhcp_and_bad_input() {
    assert_ours("misc");
    assert_ours("misc-net");
}

fn assert_routing(name: &str) {
    let HostSide::Sink {
        accepted,
        datagrams,
    } = assert_ours(name)
    else {
        unreachable!()
    };
    // no_routes, covered, past_preferred, cleared, gateway
    assert_eq!(accepted, 5, "{name}: connections that reached the listener");
    let got: BTreeSet<&str> = datagrams.iter().map(String::as_str).collect();
    let want: BTreeSet<&str> = ["no_routes", "covered", "cleared", "gateway"]
        .into_iter()
        .collect();
    assert_eq!(got, want, "{name}: datagrams that reached the socket");
    assert_eq!(datagrams.len(), 4, "{name}: {datagrams:?}");
}

#[test]
fn routing_decides_reachability_ipv4() {
    assert_routing("route4");
}

#[test]
fn routing_decides_reachability_ipv6() {
    assert_routing("route6");
}

/// From a guest: `net serve --deny 127.0.0.1/32:PORT` makes the bridged connect to PORT
/// `acces`; the echo port (allowed by `--allow 127.0.0.0/8`) is reached by `net serve`.
#[test]
fn bridge_policy_from_a_guest() {
    let HostSide::Bridge { records, serve_pid } = assert_ours("bridge-policy") else {
        unreachable!()
    };
    assert_owners(&records, serve_pid, &["bridged-allowed"]);
}

/// From a guest: a route for 127.0.0.1/32 while bridged sends the echo connection through
/// `net serve`; with only a route for 127.0.0.2/32 the next one is the guest's own.
/// port_route_add with prefix 33 is `inval`, with an out-of-bounds pointer `memviolation`.
#[test]
fn bridge_routes_from_a_guest() {
    let HostSide::Bridge { records, serve_pid } = assert_ours("bridge-routes") else {
        unreachable!()
    };
    assert_owners(&records, serve_pid, &["bridged-routed", "local-unrouted"]);
}

/// The bridged connections are made by the `net serve` process, the others by the guest's.
#[test]
fn bridge_traffic_crosses_the_served_network() {
    let HostSide::Bridge { records, serve_pid } = assert_ours("bridge") else {
        unreachable!()
    };
    assert_owners(
        &records,
        serve_pid,
        &[
            "local-before",
            "bridged",
            "local-after",
            "bridged-any",
            "local-end",
        ],
    );
}

/// Each tag in `want` came once; `bridged*` ones from `net serve`, others from the guest's
/// own process; no other connection reached the echo server.
fn assert_owners(records: &[EchoRecord], serve_pid: u32, want_all: &[&str]) {
    let tags: Vec<&str> = records.iter().map(|r| r.tag.as_str()).collect();
    for r in records {
        println!(
            "{:12} client end owned by {:?} `{}`",
            r.tag,
            r.owner,
            r.owner_cmdline.trim()
        );
    }
    for &want in want_all {
        let r: Vec<&EchoRecord> = records.iter().filter(|r| r.tag == want).collect();
        assert_eq!(r.len(), 1, "one `{want}` connection; saw {tags:?}");
        let owner = r[0]
            .owner
            .unwrap_or_else(|| panic!("`{want}`: no process owns the client end ({records:?})"));
        if want.starts_with("bridged") {
            assert_eq!(
                owner, serve_pid,
                "`{want}` should come from net serve (pid {serve_pid}), came from {owner}: {}",
                r[0].owner_cmdline
            );
        } else {
            assert_ne!(owner, serve_pid, "`{want}` went through the bridge");
            assert_ne!(
                owner,
                std::process::id(),
                "`{want}` owned by the test itself"
            );
            let cl = &r[0].owner_cmdline;
            assert!(
                cl.contains(" run ") && cl.contains("port_bridge"),
                "`{want}` should come from the guest's own process: {owner} `{cl}`"
            );
        }
    }
    assert_eq!(
        records.len(),
        want_all.len(),
        "no other connection reached the echo server: {tags:?}"
    );
}

#[test]
fn bridge_needs_networking() {
    assert_ours("bridge-nonet");
}

/// A refused token gets `acces` from the server, not a connection.
#[test]
fn net_serve_refuses_a_wrong_token() {
    let serve = NetServe::start(TOKEN);
    let mut s = std::net::TcpStream::connect(&serve.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // Whatever the greeting format, a wrong token never gets past it: the server closes
    // the stream after at most a short refusal.
    let _ = s.write_all(b"WXC-BRIDGE/1 not-the-token\n");
    let mut buf = Vec::new();
    let start = Instant::now();
    let _ = std::io::Read::read_to_end(&mut s, &mut buf);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "server kept the stream open"
    );
    assert!(
        buf.len() < 64,
        "refusal too long: {:?}",
        String::from_utf8_lossy(&buf)
    );
    // The server is still serving afterwards.
    assert!(std::net::TcpStream::connect(&serve.addr).is_ok());
}

/// A guest bridges over `tls://` (`net serve --tls-cert/--tls-key`, the guest run with
/// `--bridge-ca`): sets the endpoint cannot meet are `notsup`, a wrong token `acces`, the
/// bridged echo comes from the `net serve` process; without the CA the certificate is not
/// trusted (`connaborted`). Certificates made here with rcgen, in a temp dir removed after.
#[test]
fn bridge_over_tls_from_a_guest() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = std::env::temp_dir().join(format!("wxc-ports-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    struct Rm(std::path::PathBuf);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _rm = Rm(dir.clone());
    let mut cap = CertificateParams::new(Vec::<String>::new()).unwrap();
    cap.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = cap.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(cap, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (ca_pem, cert_pem, key_pem) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();
    let serve = NetServe::start_with(
        TOKEN,
        &[
            "--tls-cert".as_ref(),
            cert_pem.as_os_str(),
            "--tls-key".as_ref(),
            key_pem.as_os_str(),
        ],
    );
    let url = format!("tls://{}", serve.addr);
    let echo = EchoServer::start();
    let mut r = Run::new(guest("port_bridge"))
        .flag("--net")
        .flag("--bridge-ca")
        .flag(ca_pem.to_str().unwrap())
        .arg("tls")
        .arg(&url)
        .arg(TOKEN)
        .arg(&echo.port.to_string());
    r.timeout = T;
    r.run().assert_ok();
    let records = echo.records();
    let tags: Vec<&str> = records.iter().map(|r| r.tag.as_str()).collect();
    assert_eq!(tags.len(), 2, "{tags:?}");
    for r in &records {
        let owner = r.owner.unwrap_or_else(|| panic!("`{}`: no owner", r.tag));
        match r.tag.as_str() {
            "bridged-tls" => assert_eq!(owner, serve.pid(), "bridged-tls via net serve"),
            "local-tls-after" => assert_ne!(owner, serve.pid(), "local-tls-after is local"),
            t => panic!("unexpected connection `{t}`"),
        }
    }
    let mut r = Run::new(guest("port_bridge"))
        .flag("--net")
        .arg("tls-untrusted")
        .arg(&url)
        .arg(TOKEN);
    r.timeout = T;
    r.run().assert_ok();
}

/// `double_encryption` from a guest: `net keygen` makes the server's Noise key, `net serve
/// --noise-key` offers the inner layer, `run --bridge-noise-key` pins its public half; the
/// guest's `{double}` bridge goes through net serve, and `port_unbridge` returns to the local
/// network.
#[test]
fn bridge_double_from_a_guest() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = std::env::temp_dir().join(format!("wxc-ports-double-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    struct Rm(std::path::PathBuf);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _rm = Rm(dir.clone());
    let mut cap = CertificateParams::new(Vec::<String>::new()).unwrap();
    cap.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = cap.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(cap, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (ca_pem, cert_pem, key_pem, noise) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("noise.key"),
    );
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();
    let out = Command::new(bin())
        .args(["net", "keygen", "--out"])
        .arg(&noise)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let serve = NetServe::start_with(
        TOKEN,
        &[
            "--tls-cert".as_ref(),
            cert_pem.as_os_str(),
            "--tls-key".as_ref(),
            key_pem.as_os_str(),
            "--noise-key".as_ref(),
            noise.as_os_str(),
        ],
    );
    let url = format!("tls://{}", serve.addr);
    let echo = EchoServer::start();
    let mut r = Run::new(guest("port_bridge"))
        .flag("--net")
        .flag("--bridge-ca")
        .flag(ca_pem.to_str().unwrap())
        .flag("--bridge-noise-key")
        .flag(&public)
        .arg("double")
        .arg(&url)
        .arg(TOKEN)
        .arg(&echo.port.to_string());
    r.timeout = T;
    r.run().assert_ok();
    let records = echo.records();
    let tags: Vec<&str> = records.iter().map(|r| r.tag.as_str()).collect();
    assert_eq!(tags.len(), 2, "{tags:?}");
    for r in &records {
        let owner = r.owner.unwrap_or_else(|| panic!("`{}`: no owner", r.tag));
        match r.tag.as_str() {
            "bridged-double" => assert_eq!(owner, serve.pid(), "bridged-double via net serve"),
            "local-double-after" => assert_ne!(owner, serve.pid(), "local-double-after is local"),
            t => panic!("unexpected connection `{t}`"),
        }
    }
}

// ---- wasmer-wasix reference ----

/// Every program under wasmer-wasix: the checks that fail there are exactly the ones
/// PORT_DIFFERENCES describes (no unknown failure, no stale entry). `--nocapture` prints
/// a summary per case.
#[test]
fn reference_differences_are_known() {
    let mut problems = Vec::new();
    let mut used = vec![false; PORT_DIFFERENCES.len()];
    for c in CASES {
        let (o, checks, _) = run_case(c, Engine::WasmerWasix);
        if o.timed_out {
            problems.push(format!("{c}: timed out under wasmer-wasix"));
            continue;
        }
        if checks.is_empty() {
            problems.push(format!(
                "{c}: no output under wasmer-wasix (code {:?}): {}",
                o.code,
                o.stderr_str()
            ));
            continue;
        }
        let mut failing = 0;
        for (k, v) in checks.iter().filter(|(_, v)| v.starts_with("FAIL")) {
            failing += 1;
            let mut covered = false;
            for (i, (cg, kg, text, _)) in PORT_DIFFERENCES.iter().enumerate() {
                if glob(cg, c) && glob(kg, k) && v.contains(text) {
                    used[i] = true;
                    covered = true;
                }
            }
            if !covered {
                problems.push(format!(
                    "{c}: `{k}` fails under wasmer-wasix but is not listed: {v}"
                ));
            }
        }
        println!(
            "{c:12} wasmer-wasix: {} checks, {failing} known differences",
            checks.len() - usize::from(checks.contains_key("done"))
        );
    }
    for (i, (cg, kg, text, _)) in PORT_DIFFERENCES.iter().enumerate() {
        if !used[i] {
            problems.push(format!(
                "stale entry ({cg}, {kg}, {text:?}): no failing check matches"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn differences_table_is_well_formed() {
    let mut seen = BTreeSet::new();
    for (cg, kg, _, why) in PORT_DIFFERENCES {
        assert!(CASES.iter().any(|c| glob(cg, c)), "no case matches {cg}");
        assert!(!why.is_empty(), "{cg} {kg}: no reason");
        assert!(seen.insert((cg, kg)), "duplicate entry {cg} {kg}");
    }
    assert!(glob("route*", "route6") && glob("*.connect", "a.b.connect") && !glob("mac*", "xmac"));
}
