//! TCP client through std::net (wasi:sockets/tcp): connects to PORT (first argument) on
//! HOST (second, default 127.0.0.1), sends a message, shuts down its sending side and
//! prints the reply.
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

fn main() {
    let port: u16 = std::env::args().nth(1).unwrap().parse().unwrap();
    let host = std::env::args().nth(2).unwrap_or_else(|| "127.0.0.1".into());
    let mut s = match TcpStream::connect((host.as_str(), port)) {
        Ok(s) => s,
        Err(e) => {
            println!("connect: {:?}: {e}", e.kind());
            std::process::exit(3);
        }
    };
    println!("peer {}", s.peer_addr().unwrap());
    let msg = b"hello from a wasip2 component\n".repeat(1000);
    s.write_all(&msg).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    println!("sent {} got {} same {}", msg.len(), reply.len(), reply == msg);
}
