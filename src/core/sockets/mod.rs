//! `wasi:sockets`: the network (policy + virtual-net backend), TCP/UDP sockets with
//! pollables, and name lookup. WASIX `sock_*` and 0.2 `wasi:sockets` both sit on this.

/// The `VirtualTcpSocket` options and peer calls of a wrapper that only forwards them to its
/// `inner` socket (the bridge's guard and egress wrappers change reads, writes and `is_closed`).
macro_rules! forward_tcp_options {
    () => {
        fn set_recv_buf_size(&mut self, size: usize) -> Result<()> {
            self.inner.set_recv_buf_size(size)
        }
        fn recv_buf_size(&self) -> Result<usize> {
            self.inner.recv_buf_size()
        }
        fn set_send_buf_size(&mut self, size: usize) -> Result<()> {
            self.inner.set_send_buf_size(size)
        }
        fn send_buf_size(&self) -> Result<usize> {
            self.inner.send_buf_size()
        }
        fn set_nodelay(&mut self, on: bool) -> Result<()> {
            self.inner.set_nodelay(on)
        }
        fn nodelay(&self) -> Result<bool> {
            self.inner.nodelay()
        }
        fn set_keepalive(&mut self, on: bool) -> Result<()> {
            self.inner.set_keepalive(on)
        }
        fn keepalive(&self) -> Result<bool> {
            self.inner.keepalive()
        }
        fn set_dontroute(&mut self, on: bool) -> Result<()> {
            self.inner.set_dontroute(on)
        }
        fn dontroute(&self) -> Result<bool> {
            self.inner.dontroute()
        }
        fn addr_peer(&self) -> Result<std::net::SocketAddr> {
            self.inner.addr_peer()
        }
        fn shutdown(&mut self, how: std::net::Shutdown) -> Result<()> {
            self.inner.shutdown(how)
        }
    };
}

/// The `VirtualSocket` calls of a wrapper that forwards them all to its `inner` socket.
macro_rules! forward_socket {
    () => {
        fn set_ttl(&mut self, ttl: u32) -> Result<()> {
            self.inner.set_ttl(ttl)
        }
        fn ttl(&self) -> Result<u32> {
            self.inner.ttl()
        }
        fn addr_local(&self) -> Result<std::net::SocketAddr> {
            self.inner.addr_local()
        }
        fn status(&self) -> Result<SocketStatus> {
            self.inner.status()
        }
        fn last_error(&self) -> Result<Option<NetworkError>> {
            self.inner.last_error()
        }
        fn set_handler(&mut self, h: Box<dyn InterestHandler + Send + Sync>) -> Result<()> {
            self.inner.set_handler(h)
        }
    };
}

/// The `VirtualIoSource` calls of a wrapper that forwards them all to its `inner` socket.
macro_rules! forward_io_source {
    () => {
        fn remove_handler(&mut self) {
            self.inner.remove_handler()
        }
        fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
            self.inner.poll_read_ready(cx)
        }
        fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
            self.inner.poll_write_ready(cx)
        }
    };
}

/// `set_linger` / `linger` of a connected-socket wrapper, forwarded to its `inner` socket.
macro_rules! forward_linger {
    () => {
        fn set_linger(&mut self, linger: Option<std::time::Duration>) -> Result<()> {
            self.inner.set_linger(linger)
        }
        fn linger(&self) -> Result<Option<std::time::Duration>> {
            self.inner.linger()
        }
    };
}

pub mod bridge;
mod bridge_backlog;
mod bridge_double;
mod bridge_guard;
mod bridge_handler;
mod bridge_inbox;
mod bridge_io;
pub mod bridge_noise;
mod bridge_serve;
mod bridge_whole;
mod bridge_wire;
mod bridge_ws;
pub mod bridge_ws_serve;
pub mod egress;
pub mod inprocess;
pub mod lan;
pub mod network;
pub mod port;
pub mod route;
pub mod socket;

pub use inprocess::InProcessNetwork;
pub use network::{Network, Runtime};
pub use socket::{Family, Kind, Options, Socket, Status};
