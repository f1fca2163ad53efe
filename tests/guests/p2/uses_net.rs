//! Binds a TCP socket: imports wasi:sockets, which the front end does not provide yet.
fn main() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{:?}", l.local_addr());
}
