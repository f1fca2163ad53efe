//! Socket options and readiness of wasi:sockets through wasi-libc's getsockopt /
//! setsockopt / poll (declared here: the guest links against wasi-libc already), on
//! loopback TCP and UDP sockets. Prints each value it reads back, or the error kind.
use std::ffi::c_void;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};

// wasi-libc's constants for wasm32-wasip2 (as the `libc` crate lists them).
const SOL_SOCKET: i32 = 0x7fff_ffff;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_KEEPALIVE: i32 = 9;
const SO_ACCEPTCONN: i32 = 30;
const SO_DOMAIN: i32 = 39;
const IPPROTO_TCP: i32 = 6;
const TCP_KEEPIDLE: i32 = 4;
const TCP_KEEPINTVL: i32 = 5;
const TCP_KEEPCNT: i32 = 6;
const POLLIN: i16 = 1;
const POLLOUT: i16 = 2;

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

extern "C" {
    fn setsockopt(fd: i32, level: i32, name: i32, val: *const c_void, len: u32) -> i32;
    fn getsockopt(fd: i32, level: i32, name: i32, val: *mut c_void, len: *mut u32) -> i32;
    fn poll(fds: *mut PollFd, n: usize, timeout: i32) -> i32;
}

fn set(fd: RawFd, level: i32, name: i32, v: i32) -> String {
    // SAFETY: a valid int and its size.
    let r = unsafe { setsockopt(fd, level, name, &v as *const i32 as *const c_void, 4) };
    if r == 0 {
        "ok".into()
    } else {
        format!("{:?}", std::io::Error::last_os_error().kind())
    }
}

fn get(fd: RawFd, level: i32, name: i32) -> String {
    let mut v = 0i32;
    let mut len = 4u32;
    // SAFETY: a valid int buffer and its size.
    let r = unsafe { getsockopt(fd, level, name, &mut v as *mut i32 as *mut c_void, &mut len) };
    if r == 0 {
        v.to_string()
    } else {
        format!("{:?}", std::io::Error::last_os_error().kind())
    }
}

/// Which of POLLIN / POLLOUT `fd` reports within `ms`.
fn ready(fd: RawFd, ms: i32) -> String {
    let mut p = PollFd {
        fd,
        events: POLLIN | POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { poll(&mut p, 1, ms) };
    format!(
        "{n} in={} out={}",
        p.revents & POLLIN != 0,
        p.revents & POLLOUT != 0
    )
}

fn main() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let lfd = l.as_raw_fd();
    println!("listener acceptconn {} domain {}", get(lfd, SOL_SOCKET, SO_ACCEPTCONN), get(lfd, SOL_SOCKET, SO_DOMAIN));
    println!("listener idle {}", ready(lfd, 0));
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    println!("listener pending {}", ready(lfd, 10_000));
    let (s, _) = l.accept().unwrap();
    let fd = c.as_raw_fd();
    println!("client acceptconn {}", get(fd, SOL_SOCKET, SO_ACCEPTCONN));
    println!("keepalive {} {}", set(fd, SOL_SOCKET, SO_KEEPALIVE, 1), get(fd, SOL_SOCKET, SO_KEEPALIVE));
    println!("keepidle {} {}", set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 30), get(fd, IPPROTO_TCP, TCP_KEEPIDLE));
    println!("keepintvl {} {}", set(fd, IPPROTO_TCP, TCP_KEEPINTVL, 7), get(fd, IPPROTO_TCP, TCP_KEEPINTVL));
    println!("keepcnt {} {}", set(fd, IPPROTO_TCP, TCP_KEEPCNT, 4), get(fd, IPPROTO_TCP, TCP_KEEPCNT));
    println!("keepidle 0 {}", set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0));
    println!("rcvbuf {} {}", set(fd, SOL_SOCKET, SO_RCVBUF, 65536), get(fd, SOL_SOCKET, SO_RCVBUF));
    println!("sndbuf {} {}", set(fd, SOL_SOCKET, SO_SNDBUF, 32768), get(fd, SOL_SOCKET, SO_SNDBUF));
    println!("rcvbuf 0 {}", set(fd, SOL_SOCKET, SO_RCVBUF, 0));
    c.set_ttl(33).unwrap();
    println!("ttl {:?}", c.ttl());
    println!("ttl 0 {:?}", c.set_ttl(0).map_err(|e| e.kind()));
    println!("server idle {}", ready(s.as_raw_fd(), 0));

    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ufd = u.as_raw_fd();
    u.set_ttl(20).unwrap();
    println!("udp ttl {:?} domain {}", u.ttl(), get(ufd, SOL_SOCKET, SO_DOMAIN));
    println!("udp rcvbuf {} {}", set(ufd, SOL_SOCKET, SO_RCVBUF, 16384), get(ufd, SOL_SOCKET, SO_RCVBUF));
    println!("udp sndbuf {} {}", set(ufd, SOL_SOCKET, SO_SNDBUF, 8192), get(ufd, SOL_SOCKET, SO_SNDBUF));
    u.connect(u.local_addr().unwrap()).unwrap();
    println!("udp idle {}", ready(ufd, 0));
    u.send(b"self").unwrap();
    println!("udp pending {}", ready(ufd, 10_000));
}
