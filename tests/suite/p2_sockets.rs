//! `wasi:sockets` 0.2 from components: Rust `wasm32-wasip2` programs using std::net on
//! loopback (TCP server and client, UDP, name lookup), the `--net` policy, and WAT
//! components for the TCP state machine and a forged handle. Loopback only, every wait
//! bounded.

use crate::common;

use common::{build_rust, repo, show, Engine, Run};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// The std::net programs run on both engines with the same outcome.
const ENGINES: [Engine; 2] = [Engine::Ours, Engine::Wasmtime];

fn component(name: &str) -> PathBuf {
    build_rust(&format!("tests/guests/p2/{name}.rs"), "wasm32-wasip2")
}

fn wat(name: &str) -> PathBuf {
    repo().join("tests/guests/p2").join(format!("{name}.wat"))
}

/// A host echo server on 127.0.0.1 for one connection: echoes until the client shuts
/// down its side. Returns the port and the thread (which yields the byte count).
fn host_echo_server(ip: &str) -> (u16, std::thread::JoinHandle<usize>) {
    let l = TcpListener::bind((ip, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        c.set_read_timeout(Some(WAIT)).unwrap();
        let mut buf = [0u8; 4096];
        let mut total = 0;
        loop {
            let n = c.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            c.write_all(&buf[..n]).unwrap();
            total += n;
        }
        total
    });
    (port, t)
}

/// The guest listens (std's TcpListener: start-bind, start-listen, accept, streams);
/// a host thread connects, sends 100 000 bytes, shuts down its sending side and reads
/// the echo back.
#[test]
fn p2_tcp_echo_server_in_the_guest() {
    let mut g = Run::new(component("tcp_echo_server")).flag("--net").spawn();
    let port: u16 = g
        .wait_line("listening ", WAIT)
        .expect("the guest prints its port")
        .parse()
        .unwrap();
    let msg: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(WAIT)).unwrap();
    let writer = {
        let mut c = c.try_clone().unwrap();
        let msg = msg.clone();
        std::thread::spawn(move || {
            c.write_all(&msg).unwrap();
            c.shutdown(Shutdown::Write).unwrap();
        })
    };
    let mut back = Vec::new();
    c.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    let out = g.finish(WAIT);
    assert_eq!(
        (back.len(), back == msg),
        (msg.len(), true),
        "{}",
        show(&out)
    );
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            format!(
                "listening {port}\npeer ip 127.0.0.1\nlocal ip 127.0.0.1\necho\
                 ed 100000 bytes\n"
            ),
            String::new()
        ),
        "{}",
        show(&out)
    );
}

/// The guest connects (start-connect, subscribe, finish-connect) to a host echo server,
/// writes 30 000 bytes, shuts down sending and reads the echo to its end.
#[test]
fn p2_tcp_client_to_a_host_server() {
    for engine in ENGINES {
        p2_tcp_client_to_a_host_server_on(engine);
    }
}

fn p2_tcp_client_to_a_host_server_on(engine: Engine) {
    let (port, server) = host_echo_server("127.0.0.1");
    let out = Run::new(component("tcp_client"))
        .engine(engine)
        .flag("--net")
        .arg(&port.to_string())
        .timeout(WAIT)
        .run();
    let echoed = server.join().unwrap();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str(), echoed),
        (
            Some(0),
            format!("peer 127.0.0.1:{port}\nsent 30000 got 30000 same true\n"),
            String::new(),
            30000
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// The same over IPv6 loopback (an `ipv6` socket, `ip-socket-address`'s second case).
#[test]
fn p2_tcp_client_over_ipv6() {
    for engine in ENGINES {
        p2_tcp_client_over_ipv6_on(engine);
    }
}

fn p2_tcp_client_over_ipv6_on(engine: Engine) {
    let (port, server) = host_echo_server("::1");
    let out = Run::new(component("tcp_client"))
        .engine(engine)
        .flag("--net")
        .arg(&port.to_string())
        .arg("::1")
        .timeout(WAIT)
        .run();
    let echoed = server.join().unwrap();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str(), echoed),
        (
            Some(0),
            format!("peer [::1]:{port}\nsent 30000 got 30000 same true\n"),
            String::new(),
            30000
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// Connecting to a loopback port nobody listens on: `finish-connect` reports
/// `connection-refused`, which std shows as ConnectionRefused (ECONNREFUSED, 14 in WASI).
#[test]
fn p2_tcp_connect_refused() {
    for engine in ENGINES {
        p2_tcp_connect_refused_on(engine);
    }
}

fn p2_tcp_connect_refused_on(engine: Engine) {
    let port = common::free_tcp_port();
    let out = Run::new(component("tcp_client"))
        .engine(engine)
        .flag("--net")
        .arg(&port.to_string())
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            "connect: ConnectionRefused: Connection refused (os error 14)\n".to_string(),
            String::new()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// Without `--net` the same client is refused when it creates its socket: std reports
/// `access-denied` as PermissionDenied (EACCES, 2 in WASI's numbering), and the guest's
/// `exit(3)` ends as status 1 (`wasi:cli/exit#exit` can only say ok or err).
#[test]
fn p2_tcp_client_without_net_is_access_denied() {
    for engine in ENGINES {
        p2_tcp_client_without_net_is_access_denied_on(engine);
    }
}

fn p2_tcp_client_without_net_is_access_denied_on(engine: Engine) {
    let out = Run::new(component("tcp_client"))
        .engine(engine)
        .arg("9")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            "connect: PermissionDenied: Permission denied (os error 2)\n".to_string(),
            String::new()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// Two UDP sockets in the guest: send_to / recv_from, then a connected pair (the
/// `stream` call with a remote address), then a 60 000-byte datagram.
#[test]
fn p2_udp_on_loopback() {
    for engine in ENGINES {
        p2_udp_on_loopback_on(engine);
    }
}

fn p2_udp_on_loopback_on(engine: Engine) {
    let out = Run::new(component("udp_pair"))
        .engine(engine)
        .flag("--net")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            "distinct ports true\nb got \"ping\" from a true\nb peer is a true\n\
             a got \"pong\" from b true\nbig 60000 intact true\n"
                .to_string(),
            String::new()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// `localhost` resolves to what this host's resolver says (the core asks the host's), an
/// IP literal to itself, and a name no resolver could take is refused without a lookup.
#[test]
fn p2_name_lookup() {
    for engine in ENGINES {
        p2_name_lookup_on(engine);
    }
}

fn p2_name_lookup_on(engine: Engine) {
    let want: Vec<String> = ("localhost", 80)
        .to_socket_addrs()
        .unwrap()
        .map(|a| a.to_string())
        .collect();
    let out = Run::new(component("lookup"))
        .engine(engine)
        .flag("--net")
        .arg("localhost")
        .arg("127.0.0.1")
        .arg("bad name!")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            format!(
                "localhost: {}\n127.0.0.1: 127.0.0.1:80\nbad name!: error InvalidInput\n",
                want.join(" ")
            ),
            String::new()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// The TCP state machine's errors, as the WIT specifies them (see the .wat for each).
#[test]
fn p2_tcp_state_machine_errors() {
    let out = Run::new(wat("sockets_state"))
        .flag("--net")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (Some(0), String::new(), String::new()),
        "{}",
        show(&out)
    );
}

/// A tcp-socket handle the host never gave out traps, naming it.
#[test]
fn p2_forged_tcp_socket_traps() {
    let out = Run::new(wat("forged_tcp_socket")).flag("--net").run();
    assert_eq!(
        (out.code, out.stderr_str()),
        (
            Some(134),
            "wasix-compat: guest trapped: wasi:sockets/tcp@0.2.0#[method]tcp-socket.\
             is-listening: unknown handle index 42 (in func[1])\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// Options and readiness through wasi-libc's getsockopt / setsockopt / poll: keep-alive
/// (enabled, idle, interval, count), buffer sizes, hop limits, `is-listening`,
/// `address-family`, the refusals of zero values (`invalid-argument`), and the pollables
/// of a listener, a connected stream pair and a UDP socket's datagram streams.
#[test]
fn p2_socket_options_and_readiness() {
    let out = Run::new(component("socket_options"))
        .flag("--net")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            "listener acceptconn 1 domain 1\n\
             listener idle 0 in=false out=false\n\
             listener pending 1 in=true out=true\n\
             client acceptconn 0\n\
             keepalive ok 1\n\
             keepidle ok 30\n\
             keepintvl ok 7\n\
             keepcnt ok 4\n\
             keepidle 0 InvalidInput\n\
             rcvbuf ok 65536\n\
             sndbuf ok 32768\n\
             rcvbuf 0 InvalidInput\n\
             ttl Ok(33)\n\
             ttl 0 Err(InvalidInput)\n\
             server idle 1 in=false out=true\n\
             udp ttl Ok(20) domain 1\n\
             udp rcvbuf ok 16384\n\
             udp sndbuf ok 8192\n\
             udp idle 1 in=false out=true\n\
             udp pending 1 in=true out=true\n"
                .to_string(),
            String::new()
        ),
        "{}",
        show(&out)
    );
}

/// The UDP state machine's errors, stale stream pairs, and the trap for a `send` that no
/// `check-send` permitted (see the .wat).
#[test]
fn p2_udp_state_machine_and_unpermitted_send() {
    let out = Run::new(wat("sockets_udp"))
        .flag("--net")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(134),
            String::new(),
            "wasix-compat: guest trapped: wasi:sockets/udp@0.2.0#[method]outgoing-datagram-\
             stream.send: send without a preceding check-send (in func[15])\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// `ip-name-lookup` through its own stream: IP literals of both families, the pollable,
/// the end of the stream, and `invalid-argument` for a malformed name (see the .wat).
#[test]
fn p2_lookup_stream() {
    let out = Run::new(wat("lookup_stream"))
        .flag("--net")
        .timeout(WAIT)
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (Some(0), String::new(), String::new()),
        "{}",
        show(&out)
    );
}
