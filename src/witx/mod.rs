//! The witx front end: `wasi_unstable`, `wasi_snapshot_preview1`, and the preview1 set
//! under `wasix_32v1` / `wasix_64v1`. Each import decodes its arguments from guest memory,
//! calls the core, and encodes the result as an errno.

pub mod env;
pub mod errno;
pub mod p1;
pub mod record;
pub mod trace;
pub mod wasix;

// One flat set of import modules for the tables below (and `crate::witx::fd` etc.).
pub use p1::{args, fd, path, poll, proc, readdir};
pub use wasix::{
    atomics, call_dynamic, closure, context, dl, epoll, exec, fdx, port, procs, setjmp, signal,
    sock, thread, thread_2022,
};

use crate::guest::{MemSize, M32, M64};
pub use env::{Flavor, WasiCtx, WasiEnv};
use wasmer::{AsStoreMut, Function, FunctionEnv, FunctionType, StoreMut};

/// Builds one host function.
type Maker = fn(&mut StoreMut<'_>, &FunctionEnv<WasiEnv>) -> Function;

/// An import namespace we provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    WasiUnstable,
    Preview1,
    Wasix32,
    Wasix64,
    /// `wasi`: the wasi-threads proposal's one import, `thread-spawn`.
    WasiThreads,
}

impl Namespace {
    pub const ALL: [Namespace; 5] = [
        Namespace::WasiUnstable,
        Namespace::Preview1,
        Namespace::Wasix32,
        Namespace::Wasix64,
        Namespace::WasiThreads,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Namespace::WasiUnstable => "wasi_unstable",
            Namespace::Preview1 => "wasi_snapshot_preview1",
            Namespace::Wasix32 => "wasix_32v1",
            Namespace::Wasix64 => "wasix_64v1",
            Namespace::WasiThreads => "wasi",
        }
    }

    pub fn from_name(s: &str) -> Option<Namespace> {
        Namespace::ALL.into_iter().find(|n| n.name() == s)
    }

    pub fn flavor(self) -> Flavor {
        match self {
            Namespace::WasiUnstable | Namespace::Preview1 | Namespace::WasiThreads => Flavor::Wasi,
            Namespace::Wasix32 | Namespace::Wasix64 => Flavor::Wasix,
        }
    }

    /// Every (function name, constructor) this namespace provides. A name may appear more
    /// than once: functions with several ABI generations (e.g. WASIX `sock_accept`).
    fn table(self) -> Vec<(&'static str, Maker)> {
        match self {
            Namespace::WasiUnstable => unstable_table(),
            Namespace::Preview1 => preview1_table::<M32>(),
            Namespace::Wasix32 => wasix_full_table::<M32>(),
            Namespace::Wasix64 => wasix_full_table::<M64>(),
            Namespace::WasiThreads => wasi_threads_table::<M32>(),
        }
    }

    /// Every function name this namespace provides (with repeats for multi-generation ones).
    pub fn functions(self) -> Vec<&'static str> {
        self.table().into_iter().map(|(n, _)| n).collect()
    }

    /// Every variant of every function, built (registry introspection).
    pub fn build_all(
        self,
        store: &mut impl AsStoreMut,
        env: &FunctionEnv<WasiEnv>,
    ) -> Vec<(&'static str, Function)> {
        let mut s = store.as_store_mut();
        self.table()
            .into_iter()
            .map(|(n, m)| (n, m(&mut s, env)))
            .collect()
    }

    /// Builds the host function for `name`. When the name has several generations, `want`
    /// (the module's import type) picks the one with that signature; `None` if no match.
    pub fn make(
        self,
        name: &str,
        store: &mut impl AsStoreMut,
        env: &FunctionEnv<WasiEnv>,
        want: Option<&FunctionType>,
    ) -> Option<Function> {
        let mut s = store.as_store_mut();
        let mut first = None;
        for (n, m) in self.table() {
            if n != name {
                continue;
            }
            let f = m(&mut s, env);
            match want {
                Some(w) if f.ty(&s) == *w => return Some(f),
                Some(_) => {
                    first.get_or_insert(f);
                }
                None => return Some(f),
            }
        }
        first
    }
}

/// The functions whose wasi_unstable form differs from preview1 (whence order, 56-byte
/// filestat, 56-byte subscription); every other one is shared.
pub const UNSTABLE_DIFFERS: &[&str] = &[
    "fd_seek",
    "fd_filestat_get",
    "path_filestat_get",
    "poll_oneoff",
];

/// wasi_unstable = preview1 minus sock_accept, with its four layout differences.
fn unstable_table() -> Vec<(&'static str, Maker)> {
    let mut t = preview1_table::<M32>();
    t.retain(|(n, _)| *n != "sock_accept");
    for (n, m) in t.iter_mut() {
        *m = match *n {
            "fd_seek" => |s, e| Function::new_typed_with_env(s, e, fd::fd_seek_unstable),
            "fd_filestat_get" => {
                |s, e| Function::new_typed_with_env(s, e, fd::fd_filestat_get_unstable)
            }
            "path_filestat_get" => {
                |s, e| Function::new_typed_with_env(s, e, path::path_filestat_get_unstable)
            }
            "poll_oneoff" => |s, e| Function::new_typed_with_env(s, e, poll::poll_oneoff_unstable),
            _ => continue,
        };
    }
    t
}

/// The wasix namespaces: every preview1 function (with offsets of width M) plus WASIX's.
fn wasix_full_table<M: MemSize>() -> Vec<(&'static str, Maker)> {
    let mut t = preview1_table::<M>();
    // Same name, same signature, different meaning in WASIX: WASIX's replaces preview1's.
    t.retain(|(n, _)| !WASIX_REPLACES.contains(n));
    t.extend(wasix_table::<M>());
    t
}

/// preview1 functions whose WASIX namesake has the same signature but other semantics.
const WASIX_REPLACES: &[&str] = &["proc_raise", "fd_renumber"];

macro_rules! table {
    ($(#[$doc:meta])* $names:ident, $table:ident, { $($name:literal => $f:expr),* $(,)? }) => {
        $(#[$doc])*
        pub const $names: &[&str] = &[$($name),*];

        // (One table, wasi-threads', has no pointer-width-dependent function.)
        #[allow(clippy::extra_unused_type_parameters)]
        fn $table<M: MemSize>() -> Vec<(&'static str, Maker)> {
            vec![$(($name, |s: &mut StoreMut<'_>, e: &FunctionEnv<WasiEnv>| Function::new_typed_with_env(s, e, $f))),*]
        }
    };
}

table! {
    /// The 46 functions of wasi_snapshot_preview1.
    PREVIEW1, preview1_table, {
    "args_get" => args::args_get::<M>,
    "args_sizes_get" => args::args_sizes_get::<M>,
    "environ_get" => args::environ_get::<M>,
    "environ_sizes_get" => args::environ_sizes_get::<M>,
    "clock_res_get" => proc::clock_res_get::<M>,
    "clock_time_get" => proc::clock_time_get::<M>,
    "fd_advise" => fd::fd_advise,
    "fd_allocate" => fd::fd_allocate,
    "fd_close" => fd::fd_close,
    "fd_datasync" => fd::fd_datasync,
    "fd_fdstat_get" => fd::fd_fdstat_get::<M>,
    "fd_fdstat_set_flags" => fd::fd_fdstat_set_flags,
    "fd_fdstat_set_rights" => fd::fd_fdstat_set_rights,
    "fd_filestat_get" => fd::fd_filestat_get::<M>,
    "fd_filestat_set_size" => fd::fd_filestat_set_size,
    "fd_filestat_set_times" => fd::fd_filestat_set_times,
    "fd_pread" => fd::fd_pread::<M>,
    "fd_prestat_get" => fd::fd_prestat_get::<M>,
    "fd_prestat_dir_name" => fd::fd_prestat_dir_name::<M>,
    "fd_pwrite" => fd::fd_pwrite::<M>,
    "fd_read" => fd::fd_read::<M>,
    "fd_readdir" => readdir::fd_readdir::<M>,
    "fd_renumber" => fd::fd_renumber,
    "fd_seek" => fd::fd_seek::<M>,
    "fd_sync" => fd::fd_sync,
    "fd_tell" => fd::fd_tell::<M>,
    "fd_write" => fd::fd_write::<M>,
    "path_create_directory" => path::path_create_directory::<M>,
    "path_filestat_get" => path::path_filestat_get::<M>,
    "path_filestat_set_times" => path::path_filestat_set_times::<M>,
    "path_link" => path::path_link::<M>,
    "path_open" => path::path_open::<M>,
    "path_readlink" => path::path_readlink::<M>,
    "path_remove_directory" => path::path_remove_directory::<M>,
    "path_rename" => path::path_rename::<M>,
    "path_symlink" => path::path_symlink::<M>,
    "path_unlink_file" => path::path_unlink_file::<M>,
    "poll_oneoff" => poll::poll_oneoff::<M>,
    "proc_exit" => proc::proc_exit,
    "proc_raise" => proc::proc_raise,
    "sched_yield" => proc::sched_yield,
    "random_get" => proc::random_get::<M>,
    "sock_accept" => sock::sock_accept::<M>,
    "sock_recv" => sock::sock_recv::<M>,
    "sock_send" => sock::sock_send::<M>,
    "sock_shutdown" => sock::sock_shutdown,
}}

table! {
    /// What the wasix namespaces add to preview1 (sockets, fd extensions, epoll). Repeated
    /// names are ABI generations picked by signature.
    WASIX, wasix_table, {
    "proc_raise" => proc::proc_raise_wasix,
    "fd_renumber" => fdx::fd_renumber_wasix,
    "clock_time_set" => proc::clock_time_set,
    "sock_accept" => sock::sock_accept_v2::<M>,
    "sock_accept_v2" => sock::sock_accept_v2::<M>,
    "sock_open" => sock::sock_open::<M>,
    "sock_pair" => sock::sock_pair::<M>,
    "sock_status" => sock::sock_status::<M>,
    "sock_addr_local" => sock::sock_addr_local::<M>,
    "sock_addr_peer" => sock::sock_addr_peer::<M>,
    "sock_set_opt_flag" => sock::sock_set_opt_flag,
    "sock_get_opt_flag" => sock::sock_get_opt_flag::<M>,
    "sock_set_opt_time" => sock::sock_set_opt_time::<M>,
    "sock_get_opt_time" => sock::sock_get_opt_time::<M>,
    "sock_set_opt_size" => sock::sock_set_opt_size,
    "sock_get_opt_size" => sock::sock_get_opt_size::<M>,
    "sock_join_multicast_v4" => sock::sock_join_multicast_v4::<M>,
    "sock_leave_multicast_v4" => sock::sock_leave_multicast_v4::<M>,
    "sock_join_multicast_v6" => sock::sock_join_multicast_v6::<M>,
    "sock_leave_multicast_v6" => sock::sock_leave_multicast_v6::<M>,
    "sock_bind" => sock::sock_bind::<M>,
    "sock_listen" => sock::sock_listen::<M>,
    "sock_connect" => sock::sock_connect::<M>,
    "sock_recv_from" => sock::sock_recv_from::<M>,
    "sock_send_to" => sock::sock_send_to::<M>,
    "sock_send_file" => sock::sock_send_file::<M>,
    "resolve" => sock::resolve::<M>,
    "fd_dup" => fdx::fd_dup::<M>,
    "fd_dup2" => fdx::fd_dup2::<M>,
    "fd_fdflags_get" => fdx::fd_fdflags_get::<M>,
    "fd_fdflags_set" => fdx::fd_fdflags_set,
    "fd_pipe" => fdx::fd_pipe::<M>,
    "fd_event" => fdx::fd_event::<M>,
    "getcwd" => fdx::getcwd::<M>,
    "chdir" => fdx::chdir::<M>,
    "tty_get" => fdx::tty_get::<M>,
    "tty_set" => fdx::tty_set::<M>,
    "path_open2" => fdx::path_open2::<M>,
    "epoll_create" => epoll::epoll_create::<M>,
    "epoll_ctl" => epoll::epoll_ctl::<M>,
    "epoll_wait" => epoll::epoll_wait::<M>,
    "port_bridge" => port::port_bridge::<M>,
    "port_unbridge" => port::port_unbridge,
    "port_dhcp_acquire" => port::port_dhcp_acquire,
    "port_addr_add" => port::port_addr_add::<M>,
    "port_addr_remove" => port::port_addr_remove::<M>,
    "port_addr_clear" => port::port_addr_clear,
    "port_mac" => port::port_mac::<M>,
    "port_addr_list" => port::port_addr_list::<M>,
    "port_gateway_set" => port::port_gateway_set::<M>,
    "port_route_add" => port::port_route_add::<M>,
    "port_route_remove" => port::port_route_remove::<M>,
    "port_route_clear" => port::port_route_clear,
    "port_route_list" => port::port_route_list::<M>,
    "callback_signal" => signal::callback_signal::<M>,
    "thread_signal" => signal::thread_signal,
    "proc_signals_get" => signal::proc_signals_get::<M>,
    "proc_signals_sizes_get" => signal::proc_signals_sizes_get::<M>,
    "proc_exit2" => thread::proc_exit2,
    "proc_id" => procs::proc_id::<M>,
    "proc_parent" => procs::proc_parent::<M>,
    "proc_join" => procs::proc_join::<M>,
    "proc_join" => procs::proc_join_2022::<M>,
    "proc_signal" => procs::proc_signal,
    "proc_fork" => procs::proc_fork::<M>,
    "proc_exec" => exec::proc_exec::<M>,
    "proc_exec2" => exec::proc_exec2::<M>,
    "proc_exec3" => exec::proc_exec3::<M>,
    "proc_exec4" => exec::proc_exec4::<M>,
    "proc_spawn" => exec::proc_spawn::<M>,
    "proc_spawn2" => exec::proc_spawn2::<M>,
    "proc_spawn3" => exec::proc_spawn3::<M>,
    "proc_fork_env" => procs::proc_fork_env::<M>,
    "proc_snapshot" => procs::proc_snapshot,
    "stack_checkpoint" => setjmp::stack_checkpoint::<M>,
    "stack_restore" => setjmp::stack_restore::<M>,
    "context_create" => context::context_create::<M>,
    "context_switch" => context::context_switch,
    "context_destroy" => context::context_destroy,
    "proc_raise_interval" => signal::proc_raise_interval,
    "thread_id" => thread::thread_id::<M>,
    "thread_spawn_v2" => thread::thread_spawn_v2::<M>,
    "thread_join" => thread::thread_join,
    "thread_spawn" => thread_2022::thread_spawn::<M>,
    "thread_spawn" => thread::thread_spawn_v2::<M>,
    "thread_local_create" => thread_2022::thread_local_create::<M>,
    "thread_local_destroy" => thread_2022::thread_local_destroy,
    "thread_local_set" => thread_2022::thread_local_set,
    "thread_local_get" => thread_2022::thread_local_get::<M>,
    "callback_thread" => thread_2022::callback_thread::<M>,
    "callback_reactor" => thread_2022::callback_reactor::<M>,
    "callback_thread_local_destroy" => thread_2022::callback_thread_local_destroy::<M>,
    "thread_exit" => thread::thread_exit,
    "thread_sleep" => thread::thread_sleep,
    "thread_parallelism" => thread::thread_parallelism::<M>,
    "futex_wait" => thread::futex_wait::<M>,
    "futex_wake" => thread::futex_wake::<M>,
    "futex_wake_all" => thread::futex_wake_all::<M>,
    "dlopen" => dl::dlopen::<M>,
    "dlsym" => dl::dlsym::<M>,
    "dl_invalid_handle" => dl::dl_invalid_handle,
    "closure_allocate" => closure::closure_allocate::<M>,
    "closure_prepare" => closure::closure_prepare::<M>,
    "closure_free" => closure::closure_free::<M>,
    "call_dynamic" => call_dynamic::call_dynamic::<M>,
    "reflect_signature" => call_dynamic::reflect_signature::<M>,
}}

table! {
    /// The wasi-threads proposal (`wasi` module), imported by wasi-libc `-pthread` and Rust
    /// `wasm32-wasip1-threads` programs, and by wasix-libc's `pthread_create`.
    WASI_THREADS, wasi_threads_table, {
    "thread-spawn" => thread::wasi_thread_spawn,
}}
