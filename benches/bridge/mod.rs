//! Bridge rows of `compare` (`bridge_setup`, `bridge_rtt`, `bridge_bulk`): in-process, on
//! loopback, the core's `Network` (what `port_bridge` drives) against `serve_with`:
//! - `bridge_setup`: `Network::bridge` (connect + TLS handshake + token), `tcp://` / `tls://`;
//! - `bridge_rtt`: 1-byte echo round trips (10,000; quick 1,000), per round trip;
//! - `bridge_bulk`: 64 MiB (quick 8 MiB) pushed to a sink until its one-byte answer;
//!
//! each direct (host network, no bridge), bridged `tcp://`, bridged `tls://` and bridged
//! double (`double_encryption`: Noise NK inside TLS; certificates and Noise keys made at run
//! time). Medians of `reps`.

use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtual_net::{VirtualConnectedSocketExt, VirtualNetworking};
use wasix_compat::core::sockets::bridge::{
    serve_with, BridgeTrust, ServeConfig, CLASSIC_ENCRYPTION, DOUBLE_ENCRYPTION, UNENCRYPTED,
};
use wasix_compat::core::sockets::{bridge_noise, Network};

const TOKEN: &str = "bench-token";
const BOUND: Duration = Duration::from_secs(120);

/// One row: medians in ns for direct (None for setup), `tcp://`, `tls://`, double.
pub struct BridgeRow {
    pub name: &'static str,
    pub direct: Option<u128>,
    pub tcp: u128,
    pub tls: u128,
    pub double: u128,
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// Echo and sink servers; the sink reads `bulk` bytes per connection, then answers `!`.
fn servers(rt: &tokio::runtime::Runtime, bulk: usize) -> (SocketAddr, SocketAddr) {
    let (e, s) = rt.block_on(async { (listener().await, listener().await) });
    let addrs = (e.local_addr().unwrap(), s.local_addr().unwrap());
    rt.spawn(async move {
        while let Ok((mut c, _)) = e.accept().await {
            tokio::spawn(async move {
                let mut b = [0u8; 4096];
                while let Ok(Ok(n)) = tokio::time::timeout(BOUND, c.read(&mut b)).await {
                    if n == 0 || c.write_all(&b[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    rt.spawn(async move {
        while let Ok((mut c, _)) = s.accept().await {
            tokio::spawn(async move {
                let mut b = vec![0u8; 1 << 16];
                let mut got = 0;
                while got < bulk {
                    match tokio::time::timeout(BOUND, c.read(&mut b)).await {
                        Ok(Ok(n)) if n > 0 => got += n,
                        _ => return,
                    }
                }
                let _ = c.write_all(b"!").await;
            });
        }
    });
    addrs
}

/// (per round trip, bulk push) through `b`.
fn measure(
    net: &Network,
    b: Arc<dyn VirtualNetworking>,
    echo: SocketAddr,
    sink: SocketAddr,
    rounds: usize,
    bulk: usize,
) -> (u128, u128) {
    net.runtime().unwrap().block_on(async move {
        tokio::time::timeout(BOUND, async move {
            let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
            let mut s = b.connect_tcp(any, echo).await.expect("bridged connect");
            let mut buf = [MaybeUninit::<u8>::uninit(); 16];
            let t = Instant::now();
            for _ in 0..rounds {
                assert_eq!(s.send(b"x").await.unwrap(), 1);
                assert_eq!(s.recv(&mut buf, false).await.unwrap(), 1);
            }
            let rtt = t.elapsed().as_nanos() / rounds as u128;
            let mut s = b.connect_tcp(any, sink).await.expect("bridged connect");
            let chunk = vec![0x5au8; 1 << 16];
            let t = Instant::now();
            let mut sent = 0;
            while sent < bulk {
                let k = chunk.len().min(bulk - sent);
                sent += s.send(&chunk[..k]).await.unwrap();
            }
            assert_eq!(s.recv(&mut buf, false).await.unwrap(), 1);
            (rtt, t.elapsed().as_nanos())
        })
        .await
        .expect("bridge bench within its bound")
    })
}

pub fn bridge_rows(quick: bool, reps: usize, only: Option<&[String]>) -> Vec<BridgeRow> {
    let names = ["bridge_setup", "bridge_rtt", "bridge_bulk"];
    if only.is_some_and(|o| !o.iter().any(|n| names.contains(&n.as_str()))) {
        return vec![];
    }
    let (rounds, bulk) = if quick {
        (1_000, 8 << 20)
    } else {
        (10_000, 64 << 20)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let noise = bridge_noise::generate().unwrap();
    let noise_public: String = bridge_noise::public_key(&noise)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut trust = BridgeTrust::default();
    trust.add_ca_pem(ca_pem.as_bytes()).unwrap();
    trust.set_noise_key_hex(&noise_public).unwrap();
    let serve = |tls: bool, double: bool| {
        let mut cfg = ServeConfig::new("127.0.0.1:0".parse().unwrap(), vec![TOKEN.into()]);
        // The echo and sink servers are on loopback, which the egress policy denies by default.
        cfg.egress = Arc::new(wasix_compat::core::sockets::egress::EgressPolicy::allow_all());
        if double {
            cfg.noise_key = Some(noise);
        }
        if tls {
            cfg.tls = Some(
                ServeConfig::tls_from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
                    .unwrap(),
            );
        }
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(serve_with(cfg, move |a| tx.send(a).unwrap()));
        rx.recv_timeout(BOUND).unwrap()
    };
    let (plain, tls, double) = (serve(false, false), serve(true, false), serve(true, true));
    let (echo, sink) = servers(&rt, bulk);
    let host = || {
        let n = Network::host().expect("host network");
        n.set_bridge_trust(trust.clone());
        n
    };
    // [setup, rtt, bulk] x [direct, tcp, tls, double]
    let mut v: [[Vec<u128>; 4]; 3] = Default::default();
    for rep in 0..reps {
        let direct = host();
        let (r, b) = measure(&direct, direct.backend().unwrap(), echo, sink, rounds, bulk);
        v[1][0].push(r);
        v[2][0].push(b);
        for (i, url, sec) in [
            (1, format!("tcp://{plain}"), UNENCRYPTED),
            (2, format!("tls://{tls}"), CLASSIC_ENCRYPTION),
            (3, format!("tls://{double}"), DOUBLE_ENCRYPTION),
        ] {
            let net = host();
            let t = Instant::now();
            net.bridge(&url, TOKEN, sec).expect("bridge");
            v[0][i].push(t.elapsed().as_nanos());
            let (r, b) = measure(&net, net.backend().unwrap(), echo, sink, rounds, bulk);
            v[1][i].push(r);
            v[2][i].push(b);
        }
        eprintln!("   bridge rep {rep} done");
    }
    let mut take = |k: usize| std::mem::take(&mut v[k]);
    let mut rows = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let [d, t, s, x] = take(k);
        rows.push(BridgeRow {
            name,
            direct: (!d.is_empty()).then(|| median(d)),
            tcp: median(t),
            tls: median(s),
            double: median(x),
        });
    }
    rt.shutdown_background();
    rows
}
