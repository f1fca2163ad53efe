//! The imports only WASIX has: sockets and ports, epoll and fd extensions, signals,
//! threads and futexes (current and 2022 generations), closures and dynamic calls through
//! the indirect function table.

pub mod asyncify;
pub mod atomics;
pub mod call_dynamic;
pub mod closure;
pub mod context;
pub mod dl;
pub mod epoll;
pub mod exec;
pub mod fdx;
pub mod port;
pub mod procs;
pub mod setjmp;
pub mod signal;
pub mod sock;
pub mod table;
pub mod thread;
pub mod thread_2022;
pub mod vfork;
