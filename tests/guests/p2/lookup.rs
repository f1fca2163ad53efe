//! Name lookup through std::net (wasi:sockets/ip-name-lookup): prints what each argument
//! resolves to (with port 80), or the error.
use std::net::ToSocketAddrs;

fn main() {
    for name in std::env::args().skip(1) {
        match (name.as_str(), 80).to_socket_addrs() {
            Ok(list) => {
                let v: Vec<String> = list.map(|a| a.to_string()).collect();
                println!("{name}: {}", v.join(" "));
            }
            Err(e) => println!("{name}: error {:?}", e.kind()),
        }
    }
}
