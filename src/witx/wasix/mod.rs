//! The imports only WASIX has: sockets and ports, epoll and fd extensions, signals,
//! threads and futexes (current and 2022 generations).

pub mod asyncify;
pub mod atomics;
pub mod context;
pub mod epoll;
pub mod exec;
pub mod fdx;
pub mod port;
pub mod procs;
pub mod setjmp;
pub mod signal;
pub mod sock;
pub mod thread;
pub mod thread_2022;
pub mod vfork;
