//! UDP through std::net (wasi:sockets/udp): two sockets on loopback exchange datagrams,
//! unconnected (send_to / recv_from) and connected (send / recv).
use std::net::UdpSocket;

fn main() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    println!("distinct ports {}", aa.port() != ba.port() && aa.port() != 0);
    a.send_to(b"ping", ba).unwrap();
    let mut buf = [0u8; 100];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    println!("b got {:?} from a {}", std::str::from_utf8(&buf[..n]).unwrap(), from == aa);
    b.connect(aa).unwrap();
    println!("b peer is a {}", b.peer_addr().unwrap() == aa);
    b.send(b"pong").unwrap();
    let (n, from) = a.recv_from(&mut buf).unwrap();
    println!("a got {:?} from b {}", std::str::from_utf8(&buf[..n]).unwrap(), from == ba);
    let big = vec![7u8; 60000];
    a.send_to(&big, ba).unwrap();
    let mut bigbuf = vec![0u8; 65536];
    let n = b.recv(&mut bigbuf).unwrap();
    println!("big {} intact {}", n, bigbuf[..n] == big[..]);
}
