//! The witx front end: `wasi_unstable`, `wasi_snapshot_preview1`, and the preview1 set
//! under `wasix_32v1` / `wasix_64v1`. Each import decodes its arguments from guest memory,
//! calls the core, and encodes the result as an errno.

pub mod args;
pub mod env;
pub mod errno;
pub mod fd;
pub mod fds;
pub mod path;
pub mod poll;
pub mod proc;
pub mod readdir;
pub mod sock;

use crate::guest::{MemSize, M32, M64};
pub use env::{Flavor, WasiCtx, WasiEnv};
use wasmer::{AsStoreMut, Function, FunctionEnv};

/// An import namespace we provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    WasiUnstable,
    Preview1,
    Wasix32,
    Wasix64,
}

impl Namespace {
    pub const ALL: [Namespace; 4] = [
        Namespace::WasiUnstable,
        Namespace::Preview1,
        Namespace::Wasix32,
        Namespace::Wasix64,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Namespace::WasiUnstable => "wasi_unstable",
            Namespace::Preview1 => "wasi_snapshot_preview1",
            Namespace::Wasix32 => "wasix_32v1",
            Namespace::Wasix64 => "wasix_64v1",
        }
    }

    pub fn from_name(s: &str) -> Option<Namespace> {
        Namespace::ALL.into_iter().find(|n| n.name() == s)
    }

    pub fn flavor(self) -> Flavor {
        match self {
            Namespace::WasiUnstable | Namespace::Preview1 => Flavor::Wasi,
            Namespace::Wasix32 | Namespace::Wasix64 => Flavor::Wasix,
        }
    }

    /// Every function name this namespace provides.
    pub fn functions(self) -> Vec<&'static str> {
        match self {
            Namespace::WasiUnstable => PREVIEW1
                .iter()
                .copied()
                .filter(|n| *n != "sock_accept")
                .collect(),
            _ => PREVIEW1.to_vec(),
        }
    }

    /// Builds the host function for `name`, or `None` if this namespace has no such import.
    pub fn make(
        self,
        name: &str,
        store: &mut impl AsStoreMut,
        env: &FunctionEnv<WasiEnv>,
    ) -> Option<Function> {
        match self {
            Namespace::WasiUnstable => make_unstable(name, store, env),
            Namespace::Preview1 | Namespace::Wasix32 => make_preview1::<M32>(name, store, env),
            Namespace::Wasix64 => make_preview1::<M64>(name, store, env),
        }
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
fn make_unstable(
    name: &str,
    store: &mut impl AsStoreMut,
    env: &FunctionEnv<WasiEnv>,
) -> Option<Function> {
    Some(match name {
        "fd_seek" => Function::new_typed_with_env(store, env, fd::fd_seek_unstable),
        "fd_filestat_get" => Function::new_typed_with_env(store, env, fd::fd_filestat_get_unstable),
        "path_filestat_get" => {
            Function::new_typed_with_env(store, env, path::path_filestat_get_unstable)
        }
        "poll_oneoff" => Function::new_typed_with_env(store, env, poll::poll_oneoff_unstable),
        "sock_accept" => return None,
        _ => return make_preview1::<M32>(name, store, env),
    })
}

macro_rules! preview1 {
    ($($name:literal => $f:expr),* $(,)?) => {
        /// The 46 functions of wasi_snapshot_preview1.
        pub const PREVIEW1: &[&str] = &[$($name),*];

        fn make_preview1<M: MemSize>(name: &str, store: &mut impl AsStoreMut, env: &FunctionEnv<WasiEnv>) -> Option<Function> {
            Some(match name {
                $($name => Function::new_typed_with_env(store, env, $f),)*
                _ => return None,
            })
        }
    };
}

preview1! {
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
}
