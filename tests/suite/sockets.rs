//! WASIX sockets and the fd calls that come with them: our own C guests
//! (tests/guests/c/sock_*.c, declarations in include/wasix.h, witx layouts) run with
//! `--net` on loopback under our engine, plus a load test (a guest echo server, 200
//! concurrent std::net clients, every byte verified) and a reference run of the same
//! programs under wasmer-wasix 0.704.2 whose failing checks must be exactly the ones listed
//! in `SOCKET_DIFFERENCES`.
//!
//! Every wait is bounded: guests run under the harness timeout, the guests bound their own
//! poll / epoll waits, and the Rust clients use socket timeouts and a global deadline.

use crate::common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use wasix_compat::matrix::differences::{SOCKET_DIFFERENCES, SOCKET_VALUE_DIFFERENCES};

const T: Duration = Duration::from_secs(90);

/// Checks that would end or hang a wasmer-wasix run: its run gets WXC_SKIP=<these>.
const WASMER_SKIP: &[(&str, &str)] = &[("fd", "fd.pipe.write_no_reader")];

fn guest(name: &str) -> std::path::PathBuf {
    build_c(&[&format!("tests/guests/c/{name}.c")], &[])
}

#[derive(Clone, Copy)]
enum Port {
    Tcp,
    Udp,
}

struct Case {
    name: &'static str,
    program: &'static str,
    /// Leading fixed args; then one free port per entry of `ports`.
    args: &'static [&'static str],
    ports: &'static [Port],
    net: bool,
    sandbox: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "tcp4",
        program: "sock_tcp_local",
        args: &["4"],
        ports: &[Port::Tcp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "tcp6",
        program: "sock_tcp_local",
        args: &["6"],
        ports: &[Port::Tcp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "epoll",
        program: "sock_epoll",
        args: &[],
        ports: &[Port::Tcp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "udp4",
        program: "sock_udp",
        args: &["4"],
        ports: &[Port::Udp, Port::Udp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "udp6",
        program: "sock_udp",
        args: &["6"],
        ports: &[Port::Udp, Port::Udp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "resolve",
        program: "sock_resolve",
        args: &[],
        ports: &[],
        net: true,
        sandbox: false,
    },
    Case {
        name: "opts",
        program: "sock_opts",
        args: &[],
        ports: &[Port::Tcp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "bad",
        program: "sock_bad_input",
        args: &[],
        ports: &[Port::Tcp],
        net: true,
        sandbox: false,
    },
    Case {
        name: "fd",
        program: "sock_fd_ops",
        args: &[],
        ports: &[],
        net: false,
        sandbox: true,
    },
    Case {
        name: "nonet",
        program: "sock_nonet",
        args: &[],
        ports: &[],
        net: false,
        sandbox: false,
    },
];

/// Runs a case with fixed free ports (wasmer-wasix cannot report an ephemeral port back
/// correctly, so both engines get the same kind of arguments). Returns the outcome and the
/// `check: result` lines.
fn run_case(c: &Case, engine: Engine) -> (Outcome, BTreeMap<String, String>) {
    let sb = TempDir::new(&format!("sock-{}", c.name));
    let mut r = Run::new(guest(c.program))
        .engine(engine)
        .env("WXC_KEEP_GOING", "1");
    r.timeout = T;
    if c.net {
        r = r.flag("--net");
    }
    if c.sandbox {
        r = r.dir(sb.path(), "/sandbox");
    }
    if engine == Engine::WasmerWasix {
        let skip: Vec<&str> = WASMER_SKIP
            .iter()
            .filter(|(n, _)| *n == c.name)
            .map(|(_, k)| *k)
            .collect();
        if !skip.is_empty() {
            r = r.env("WXC_SKIP", &skip.join(","));
        }
    }
    for a in c.args {
        r = r.arg(a);
    }
    for p in c.ports {
        let port = match p {
            Port::Tcp => free_tcp_port(),
            Port::Udp => free_udp_port(),
        };
        r = r.arg(&port.to_string());
    }
    let o = r.run();
    let mut checks = BTreeMap::new();
    for l in o.stdout_str().lines() {
        if let Some((k, v)) = l.split_once(": ") {
            // A REQUIRE stop repeats the check name; keep the first (the real failure).
            checks.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    (o, checks)
}

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).unwrap()
}

fn assert_case_ours(name: &str) {
    let (o, _) = run_case(case(name), Engine::Ours);
    o.assert_ok();
}

// ---- our engine: every check passes ----

#[test]
fn tcp_ipv4_in_one_module() {
    assert_case_ours("tcp4");
}

#[test]
fn tcp_ipv6_in_one_module() {
    assert_case_ours("tcp6");
}

/// The fully witx path: ephemeral ports learned through sock_addr_local.
#[test]
fn tcp_ephemeral_ports() {
    for fam in ["4", "6"] {
        let mut r = Run::new(guest("sock_tcp_local")).flag("--net").arg(fam);
        r.timeout = T;
        r.run().assert_ok();
    }
    let mut r = Run::new(guest("sock_udp")).flag("--net").arg("4");
    r.timeout = T;
    r.run().assert_ok();
    let mut r = Run::new(guest("sock_epoll")).flag("--net");
    r.timeout = T;
    r.run().assert_ok();
}

#[test]
fn epoll_readiness() {
    assert_case_ours("epoll");
}

#[test]
fn udp_round_trip() {
    assert_case_ours("udp4");
    assert_case_ours("udp6");
}

#[test]
fn resolve_localhost() {
    assert_case_ours("resolve");
}

#[test]
fn socket_options() {
    assert_case_ours("opts");
}

#[test]
fn socket_bad_input() {
    assert_case_ours("bad");
}

#[test]
fn wasix_fd_ops() {
    assert_case_ours("fd");
}

#[test]
fn networking_off_by_default() {
    assert_case_ours("nonet");
}

/// Server in one process, client in another (both guests, our engine).
#[test]
fn tcp_echo_across_two_modules() {
    cross_module(Engine::Ours, 0, "epoll");
    cross_module(Engine::Ours, 0, "poll");
}

fn cross_module(engine: Engine, port: u16, mode: &str) {
    let mut srv = Run::new(guest("sock_echo_server"))
        .engine(engine)
        .flag("--net")
        .arg(&port.to_string())
        .arg("3")
        .arg(mode)
        .arg("20000")
        .spawn();
    let port = srv
        .wait_line("listening: ", Duration::from_secs(60))
        .expect("server printed `listening: PORT`");
    let mut cl = Run::new(guest("sock_echo_client"))
        .engine(engine)
        .flag("--net")
        .arg(&port)
        .arg("300000")
        .arg("3");
    cl.timeout = T;
    cl.run().assert_ok();
    let so = srv.finish(T);
    so.assert_ok();
    assert!(
        has_line(&so.stdout_str(), "served: 3"),
        "{}",
        so.stdout_str()
    );
    assert!(
        has_line(&so.stdout_str(), "bytes: 900000"),
        "{}",
        so.stdout_str()
    );
}

/// A guest echo server and 200 concurrent std::net clients, each sending a distinct
/// pattern and verifying every byte of the echo. Bounded by socket timeouts and a global
/// deadline.
#[test]
fn load_200_concurrent_connections() {
    load_test(Engine::Ours, 0, "epoll", 200);
}

#[test]
fn load_200_concurrent_connections_poll_oneoff() {
    load_test(Engine::Ours, 0, "poll", 200);
}

fn load_test(engine: Engine, port: u16, mode: &str, clients: usize) {
    const PER: usize = 32 * 1024;
    let mut srv = Run::new(guest("sock_echo_server"))
        .engine(engine)
        .flag("--net")
        .arg(&port.to_string())
        .arg(&clients.to_string())
        .arg(mode)
        .arg("30000")
        .spawn();
    let port: u16 = srv
        .wait_line("listening: ", Duration::from_secs(60))
        .expect("server printed `listening: PORT`")
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..clients {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let r = (|| -> std::io::Result<()> {
                let data: Vec<u8> = (0..PER)
                    .map(|k| {
                        (k as u32)
                            .wrapping_mul(2654435761)
                            .wrapping_add(i as u32 * 97) as u8
                    })
                    .collect();
                let mut s = std::net::TcpStream::connect_timeout(
                    &([127, 0, 0, 1], port).into(),
                    Duration::from_secs(30),
                )?;
                s.set_read_timeout(Some(Duration::from_secs(60)))?;
                s.set_write_timeout(Some(Duration::from_secs(60)))?;
                // Write from a second thread so a slow echo cannot deadlock us.
                let mut w = s.try_clone()?;
                let d2 = data.clone();
                let wt = std::thread::spawn(move || -> std::io::Result<()> {
                    for chunk in d2.chunks(4096) {
                        w.write_all(chunk)?;
                    }
                    w.shutdown(std::net::Shutdown::Write)
                });
                let mut back = Vec::with_capacity(PER);
                s.read_to_end(&mut back)?;
                wt.join().unwrap()?;
                if back != data {
                    return Err(std::io::Error::other(format!(
                        "client {i}: echo differs ({} of {PER} bytes back)",
                        back.len()
                    )));
                }
                Ok(())
            })();
            let _ = tx.send((i, r));
        });
    }
    drop(tx);
    let mut ok = 0;
    let mut errors = Vec::new();
    for _ in 0..clients {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((_, Ok(()))) => ok += 1,
            Ok((i, Err(e))) => errors.push(format!("client {i}: {e}")),
            Err(_) => {
                errors.push("global deadline passed".into());
                break;
            }
        }
    }
    let so = srv.finish(Duration::from_secs(60));
    assert!(
        errors.is_empty() && ok == clients,
        "{ok}/{clients} clients verified; errors: {:?}\nserver stdout:\n{}\nstderr:\n{}",
        &errors[..errors.len().min(10)],
        so.stdout_str(),
        so.stderr_str()
    );
    so.assert_ok();
    assert!(
        has_line(&so.stdout_str(), &format!("served: {clients}")),
        "{}",
        so.stdout_str()
    );
    assert!(
        has_line(&so.stdout_str(), &format!("bytes: {}", clients * PER)),
        "{}",
        so.stdout_str()
    );
}

// ---- wasmer-wasix reference ----

/// The load test against the reference engine (given a fixed port: wasmer-wasix writes
/// sock_addr_local ports big-endian, so an ephemeral port cannot be learned correctly).
#[test]
fn load_200_concurrent_connections_reference() {
    load_test(Engine::WasmerWasix, free_tcp_port(), "epoll", 200);
    load_test(Engine::WasmerWasix, free_tcp_port(), "poll", 200);
}

/// Every program under wasmer-wasix: the checks that fail there are exactly the ones in
/// SOCKET_DIFFERENCES (no unknown failure, no stale entry). `--nocapture` prints a summary.
#[test]
fn reference_differences_are_known() {
    let mut problems = Vec::new();
    for c in CASES {
        let (o, checks) = run_case(c, Engine::WasmerWasix);
        if o.timed_out {
            problems.push(format!("{}: timed out under wasmer-wasix", c.name));
            continue;
        }
        let failing: BTreeSet<&str> = checks
            .iter()
            .filter(|(_, v)| v.starts_with("FAIL"))
            .map(|(k, _)| k.as_str())
            .collect();
        let listed: BTreeSet<&str> = SOCKET_DIFFERENCES
            .iter()
            .filter(|(n, _, _)| *n == c.name)
            .map(|(_, k, _)| *k)
            .filter(|k| !WASMER_SKIP.contains(&(c.name, *k)))
            .collect();
        for f in failing.difference(&listed) {
            problems.push(format!(
                "{}: `{f}` fails under wasmer-wasix but is not listed: {}",
                c.name, checks[*f]
            ));
        }
        for l in listed.difference(&failing) {
            problems.push(format!(
                "{}: `{l}` is listed but passes under wasmer-wasix",
                c.name
            ));
        }
        println!(
            "{:8} wasmer-wasix: {} checks, {} known differences",
            c.name,
            checks.len(),
            failing.len()
        );
    }
    // The cross-module echo works under the reference when it is told the port.
    cross_module(Engine::WasmerWasix, free_tcp_port(), "epoll");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Our engine and wasmer-wasix agree on every check outside SOCKET_DIFFERENCES.
#[test]
fn differential_against_wasmer() {
    let mut problems = Vec::new();
    for c in CASES {
        let (ours, a) = run_case(c, Engine::Ours);
        let (theirs, b) = run_case(c, Engine::WasmerWasix);
        let stop =
            |m: &BTreeMap<String, String>| m.values().any(|v| v.contains("required step failed"));
        for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            if SOCKET_DIFFERENCES
                .iter()
                .any(|(n, ck, _)| *n == c.name && ck == k)
                || SOCKET_VALUE_DIFFERENCES
                    .iter()
                    .any(|(n, ck, ..)| *n == c.name && ck == k)
            {
                continue;
            }
            // After wasmer stops early (a REQUIRE, or an exit on a listed difference such as
            // its ip6 bind), the checks it never reached are not differences; nor is the
            // failure count, which the listed differences explain.
            if k == "done" || (!b.contains_key(k) && (stop(&b) || theirs.code != Some(0))) {
                continue;
            }
            if a.get(k) != b.get(k) {
                problems.push(format!(
                    "{}: {k}: ours {:?} vs wasmer {:?}",
                    c.name,
                    a.get(k),
                    b.get(k)
                ));
            }
        }
        if ours.code != Some(0) {
            problems.push(format!(
                "{}: our engine exited {:?}: {}",
                c.name,
                ours.code,
                ours.stderr_str()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn differences_table_is_well_formed() {
    let mut seen = BTreeSet::new();
    for (n, k, why) in SOCKET_DIFFERENCES {
        assert!(CASES.iter().any(|c| c.name == *n), "unknown case {n}");
        assert!(!why.is_empty());
        assert!(seen.insert((n, k)), "duplicate entry {n} {k}");
    }
}
