//! Every integration test in one binary: linking wasmer into two dozen test binaries
//! dominated the suite's time on two cores. One module per area; `common` is shared
//! with `tests/threads_memory.rs`, which stays a binary of its own (it measures its
//! process's memory).

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod bridge_lan;
mod bridge_policy;
mod bridge_tls;
mod bridge_ws;
mod cli;
mod conformance;
mod dash;
mod diff;
mod differential;
mod fuzz;
mod inspect;
mod interrupts;
mod loopback_net;
mod migrate;
mod namespaces;
mod p1_programs;
mod p2;
mod p2_adapter;
mod p2_bad_input;
mod p2_core;
mod p2_langs;
mod p2_sockets;
mod package;
mod ports;
mod real_programs;
mod regressions;
mod sandbox;
mod sockets;
mod sqlite;
mod threads;
mod wasi_unstable;
mod wasix64;
mod wasix64_net;
mod wasix64_port;
mod wasix_clock;
mod wasix_closures;
mod wasix_contexts;
mod wasix_dl;
mod wasix_libc;
mod wasix_procs;
mod wasix_sync;
mod wit_parse;
mod witx_abi;
