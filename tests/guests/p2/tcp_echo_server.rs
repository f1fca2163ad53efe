//! TCP server through std::net (wasi:sockets/tcp): listens on 127.0.0.1:0, prints the
//! port, accepts one connection, echoes everything it reads until the peer shuts down
//! its side, then reports what it saw.
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    println!("listening {}", addr.port());
    let (mut c, peer) = l.accept().unwrap();
    println!("peer ip {}", peer.ip());
    println!("local ip {}", c.local_addr().unwrap().ip());
    let mut total = 0;
    let mut buf = [0u8; 1000];
    loop {
        let n = c.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        c.write_all(&buf[..n]).unwrap();
        total += n;
    }
    println!("echoed {total} bytes");
}
