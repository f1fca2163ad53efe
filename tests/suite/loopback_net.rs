//! Networking through an embedder-supplied backend: an in-process network over
//! virtual-net's loopback, no host sockets involved, wired in with the library builder.

use crate::common;
use std::sync::Arc;
use wasix_compat::core::io::pipe::pipe;
use wasix_compat::core::sockets::{InProcessNetwork, Network, Runtime};
use wasix_compat::Builder;

#[test]
fn tcp_echo_over_in_process_loopback() {
    let wasm = common::build_c(&["tests/guests/c/sock_tcp_local.c"], &[]);
    let backend = Arc::new(InProcessNetwork::new());
    let net = Network::with_backend(backend, Runtime::new().expect("tokio runtime"));
    let (out_w, out_r) = pipe(64 << 20);
    let mut store = wasmer::Store::default();
    let module = wasmer::Module::new(&store, std::fs::read(&wasm).unwrap()).unwrap();
    let code = Builder::new("sock_tcp_local.wasm")
        .arg("4")
        .net(net)
        .stdout(Arc::new(out_w))
        .run(&mut store, &module)
        .expect("guest runs");
    let out = String::from_utf8_lossy(&out_r.take_all()).into_owned();
    assert_eq!(code, 0, "guest output:\n{out}");
    assert!(out.contains("done: 0 failure(s)"), "guest output:\n{out}");
}

#[test]
fn sockets_refused_when_networking_is_off() {
    let wasm = common::build_c(&["tests/guests/c/sock_nonet.c"], &[]);
    let mut store = wasmer::Store::default();
    let module = wasmer::Module::new(&store, std::fs::read(&wasm).unwrap()).unwrap();
    let (out_w, out_r) = pipe(1 << 20);
    let code = Builder::new("sock_nonet.wasm")
        .stdout(Arc::new(out_w))
        .run(&mut store, &module)
        .expect("guest runs");
    let out = String::from_utf8_lossy(&out_r.take_all()).into_owned();
    assert_eq!(code, 0, "guest output:\n{out}");
    assert!(
        out.contains("nonet.sock_open: acces"),
        "guest output:\n{out}"
    );
}

/// port_bridge dials through the instance's own network: a `net serve` bridge listening on
/// the host's 127.0.0.1 is out of an in-process network's reach (`connrefused`, nothing
/// there has that port), while the same call on host networking reaches it (and a wrong
/// token is `acces`).
#[test]
fn port_bridge_goes_through_the_instance_network() {
    use wasix_compat::core::sockets::bridge::{serve, UNENCRYPTED};
    use wasix_compat::core::ErrorCode;
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    server.spawn(serve(
        "127.0.0.1:0".parse().unwrap(),
        "sesame".into(),
        move |a| tx.send(a).unwrap(),
    ));
    let addr = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap()
        .to_string();
    let inproc = Network::with_backend(
        Arc::new(InProcessNetwork::new()),
        Runtime::new().expect("tokio runtime"),
    );
    assert_eq!(
        inproc.bridge(&addr, "sesame", UNENCRYPTED),
        Err(ErrorCode::ConnectionRefused)
    );
    let host = Network::host().expect("host network");
    assert_eq!(
        host.bridge(&addr, "wrong", UNENCRYPTED),
        Err(ErrorCode::Access)
    );
    assert_eq!(host.bridge(&addr, "sesame", UNENCRYPTED), Ok(()));
}
