//! `net serve --network isolated` (issue 14): every bridge is one host on a private
//! in-process LAN. Two guest instances bridged to one `net serve` reach each other by the
//! addresses they add (10.9.0.2 listens, 10.9.0.3 connects); the host's own echo server is
//! not on that LAN (`hostunreach`, although the policy allows loopback) and receives
//! nothing. The LAN's rules are also checked directly on `Lan`. Loopback only (the LAN's
//! 10.9.0.0/24 never leaves the process); every wait bounded.

use crate::bridge_tls::{rt, WAIT};
use crate::common::*;
use crate::ports::{guest, EchoServer, NetServe, T};
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::Arc;
use virtual_net::{
    NetworkError, VirtualConnectedSocketExt, VirtualNetworking, VirtualTcpListenerExt,
};
use wasix_compat::core::sockets::bridge::{serve_with, ServeConfig, UNENCRYPTED};
use wasix_compat::core::sockets::egress::EgressPolicy;
use wasix_compat::core::sockets::lan::Lan;
use wasix_compat::core::sockets::port::Cidr;
use wasix_compat::core::sockets::{Family, Kind, Network, Socket};
use wasix_compat::core::ErrorCode;

const TOKEN: &str = "wxc-lan-token-93be";

#[test]
fn isolated_network_connects_two_guests() {
    let serve = NetServe::start_with(TOKEN, &["--network".as_ref(), "isolated".as_ref()]);
    let host_echo = EchoServer::start();
    let port = "7077";
    let mut a = Run::new(guest("port_bridge"))
        .flag("--net")
        .arg("lan-listen")
        .arg(&serve.addr)
        .arg(TOKEN)
        .arg(port);
    a.timeout = T;
    let mut a = a.spawn();
    assert!(
        a.wait_line("lan.listening:", T).is_some(),
        "instance A never listened"
    );
    let mut b = Run::new(guest("port_bridge"))
        .flag("--net")
        .arg("lan-connect")
        .arg(&serve.addr)
        .arg(TOKEN)
        .arg(port)
        .arg(&host_echo.port.to_string());
    b.timeout = T;
    let b = b.run();
    b.assert_ok();
    a.finish(T).assert_ok();
    assert!(
        host_echo.records().is_empty(),
        "the host's echo server was reached"
    );
}

fn sock(a: &str) -> SocketAddr {
    a.parse().unwrap()
}

/// Addresses belong to one host; listeners are reached by their host's addresses; the
/// errnos for nobody there and nobody listening; a host's addresses are freed with it.
#[test]
fn lan_hosts_reach_each_other_by_their_addresses() {
    let rt = rt();
    rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            let lan = Arc::new(Lan::new());
            let (a, b) = (lan.host(), lan.host());
            a.ip_add("10.9.0.2".parse().unwrap(), 24).await.unwrap();
            b.ip_add("10.9.0.3".parse().unwrap(), 24).await.unwrap();
            assert_eq!(
                b.ip_add("10.9.0.2".parse().unwrap(), 24).await,
                Err(NetworkError::AddressInUse)
            );
            assert_eq!(
                a.listen_tcp(sock("10.9.0.3:80"), false, false, false)
                    .await
                    .err(),
                Some(NetworkError::AddressNotAvailable)
            );
            let mut l = a
                .listen_tcp(sock("0.0.0.0:80"), false, false, false)
                .await
                .unwrap();
            let mut c = b
                .connect_tcp(sock("0.0.0.0:0"), sock("10.9.0.2:80"))
                .await
                .unwrap();
            assert_eq!(c.addr_local().unwrap().ip(), sock("10.9.0.3:0").ip());
            let (mut s, peer) = l.accept().await.unwrap();
            assert_eq!(peer, c.addr_local().unwrap());
            assert_eq!(s.addr_local().unwrap(), sock("10.9.0.2:80"));
            c.send(b"ping").await.unwrap();
            let mut buf = [MaybeUninit::<u8>::uninit(); 8];
            let n = s.recv(&mut buf, false).await.unwrap();
            // SAFETY: recv initialised the first n bytes.
            let got: Vec<u8> = buf[..n]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            assert_eq!(got, b"ping");
            s.send(b"pong").await.unwrap();
            let n = c.recv(&mut buf, false).await.unwrap();
            // SAFETY: recv initialised the first n bytes.
            let got: Vec<u8> = buf[..n]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            assert_eq!(got, b"pong");
            assert_eq!(
                b.connect_tcp(sock("0.0.0.0:0"), sock("10.9.0.2:81"))
                    .await
                    .err(),
                Some(NetworkError::ConnectionRefused)
            );
            assert_eq!(
                b.connect_tcp(sock("0.0.0.0:0"), sock("10.9.0.9:80"))
                    .await
                    .err(),
                Some(NetworkError::HostUnreachable)
            );
            drop(l);
            assert_eq!(
                b.connect_tcp(sock("0.0.0.0:0"), sock("10.9.0.2:80"))
                    .await
                    .err(),
                Some(NetworkError::ConnectionRefused)
            );
            drop(a);
            assert_eq!(b.ip_add("10.9.0.2".parse().unwrap(), 24).await, Ok(()));
        })
        .await
        .expect("bounded")
    });
}

/// Two bridges to one in-process `serve_with` on an isolated LAN: a line each way.
#[test]
fn two_bridges_on_one_isolated_lan() {
    let rt = rt();
    let mut cfg = ServeConfig::new("127.0.0.1:0".parse().unwrap(), vec![TOKEN.into()]);
    cfg.lan = Some(Arc::new(Lan::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(serve_with(cfg, move |a| tx.send(a).unwrap()));
    let server: SocketAddr = rx.recv_timeout(WAIT).unwrap();
    let bridged = || {
        let n = Network::host().unwrap();
        n.bridge(&format!("tcp://{server}"), TOKEN, UNENCRYPTED)
            .unwrap();
        n
    };
    // The networks own the runtimes their bridges' drivers run on: kept alive.
    let (na, nb) = (bridged(), bridged());
    let (a, b) = (na.backend().unwrap(), nb.backend().unwrap());
    let r = rt.block_on(async move {
        tokio::time::timeout(WAIT, async move {
            a.ip_add("10.9.0.2".parse().unwrap(), 24).await.unwrap();
            let mut l = a
                .listen_tcp(sock("0.0.0.0:80"), false, false, false)
                .await
                .unwrap();
            b.ip_add("10.9.0.3".parse().unwrap(), 24).await.unwrap();
            let mut c = b
                .connect_tcp(sock("0.0.0.0:0"), sock("10.9.0.2:80"))
                .await
                .unwrap();
            let (mut s, _) = l.accept().await.unwrap();
            c.send(b"ping").await.unwrap();
            let mut buf = [MaybeUninit::<u8>::uninit(); 8];
            let n = s.recv(&mut buf, false).await.unwrap();
            assert_eq!(n, 4);
            // The reader waits before the data is there (as a guest blocked in recv).
            let reader = tokio::spawn(async move {
                let mut buf = [MaybeUninit::<u8>::uninit(); 8];
                let n = c.recv(&mut buf, false).await.unwrap();
                // SAFETY: recv initialised the first n bytes.
                buf[..n]
                    .iter()
                    .map(|b| unsafe { b.assume_init() })
                    .collect::<Vec<u8>>()
            });
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            s.send(b"pong").await.unwrap();
            reader.await.unwrap()
        })
        .await
    });
    assert_eq!(r, Ok(b"pong".to_vec()));
}

/// Through the core's `Socket` (what `sock_listen` / `sock_accept` call), blocking: A
/// listens and echoes one message, B connects, sends, reads the echo. Over the isolated LAN,
/// and over the host network (loopback) — a blocking accept through a bridge once waited
/// forever (virtual-net's remote listener used up the wakeup of the accepted connection).
fn socket_echo_through_bridges(lan: bool) -> Result<Vec<u8>, ErrorCode> {
    let rt = rt();
    let mut cfg = ServeConfig::new("127.0.0.1:0".parse().unwrap(), vec![TOKEN.into()]);
    if lan {
        cfg.lan = Some(Arc::new(Lan::new()));
    } else {
        // The listener is on the server's loopback, which the policy denies by default.
        cfg.egress = Arc::new(EgressPolicy::allow_all());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(serve_with(cfg, move |a| tx.send(a).unwrap()));
    let server: SocketAddr = rx.recv_timeout(WAIT).unwrap();
    let bridged = |ip: &str| -> Result<Arc<Network>, ErrorCode> {
        let n = Network::host().unwrap();
        n.bridge(&format!("tcp://{server}"), TOKEN, UNENCRYPTED)?;
        if lan {
            n.port_addr_add(Cidr {
                ip: ip.parse().unwrap(),
                prefix: 24,
            })?;
        }
        Ok(n)
    };
    let port = free_tcp_port();
    let (at, to) = match lan {
        true => (sock("0.0.0.0:80"), sock("10.9.0.2:80")),
        false => (
            SocketAddr::from(([127, 0, 0, 1], port)),
            SocketAddr::from(([127, 0, 0, 1], port)),
        ),
    };
    let timeouts = |s: &Socket| {
        s.set_options(|o| {
            o.recv_timeout = Some(WAIT);
            o.send_timeout = Some(WAIT);
        })
    };
    let l = Socket::new(bridged("10.9.0.2")?, Family::Inet4, Kind::Stream)?;
    timeouts(&l)?;
    l.bind(at)?;
    l.listen(8)?;
    let a = std::thread::spawn(move || -> Result<(), ErrorCode> {
        let (s, _) = l.accept(false)?;
        timeouts(&s)?;
        let mut buf = [0u8; 4];
        let n = s.recv(&mut [IoSliceMut::new(&mut buf)], false, false)?;
        s.send(&[IoSlice::new(&buf[..n])], false)?;
        // The client's last byte says it has read the echo.
        s.recv(&mut [IoSliceMut::new(&mut buf)], false, false)?;
        Ok(())
    });
    let c = Socket::new(bridged("10.9.0.3")?, Family::Inet4, Kind::Stream)?;
    timeouts(&c)?;
    c.connect(to, false)?;
    c.send(&[IoSlice::new(b"ping")], false)?;
    let mut buf = [0u8; 4];
    let n = c.recv(&mut [IoSliceMut::new(&mut buf)], false, false)?;
    c.send(&[IoSlice::new(b".")], false)?;
    a.join().unwrap()?;
    Ok(buf[..n].to_vec())
}

#[test]
fn socket_echo_on_the_isolated_lan() {
    assert_eq!(socket_echo_through_bridges(true), Ok(b"ping".to_vec()));
}

#[test]
fn blocking_accept_through_a_bridge() {
    assert_eq!(socket_echo_through_bridges(false), Ok(b"ping".to_vec()));
}
