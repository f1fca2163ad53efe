//! tcp_echo: SIZE one-byte round trips over a loopback TCP connection (default 100,000),
//! client and server in one thread: the connection completes in the listen backlog
//! before `accept`, so no second thread is needed (a wasip2 program has none).
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut c = TcpStream::connect(l.local_addr().expect("local addr")).expect("connect");
    let (mut s, _) = l.accept().expect("accept");
    // WASI 0.2 has no TCP_NODELAY; strict ping-pong never waits on Nagle anyway.
    let _ = c.set_nodelay(true);
    let _ = s.set_nodelay(true);
    let mut b = [0u8; 1];
    for _ in 0..n {
        c.write_all(b"x").expect("client write");
        s.read_exact(&mut b).expect("server read");
        s.write_all(&b).expect("server write");
        c.read_exact(&mut b).expect("client read");
    }
    assert_eq!(b[0], b'x');
}
