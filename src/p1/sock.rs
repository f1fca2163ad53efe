//! preview1's four socket calls. Socket fds arrive with the WASIX sockets work; until then
//! every open fd is a non-socket, so these answer `notsock` (and `badf` for unknown fds)
//! after validating their arguments.

use super::env::{run, WasiEnv};
use super::errno::Errno;
use super::fd::entry;
use crate::guest::MemSize;
use wasmer::FunctionEnvMut;

fn not_a_socket(c: &super::env::Call<'_>, fd: u32) -> Result<(), Errno> {
    entry(c, fd)?;
    Err(Errno::NOTSOCK)
}

pub fn sock_accept<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    flags: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "sock_accept",
        [fd as u64, flags as u64, out],
        |c| {
            entry(c, fd)?;
            // Only `nonblock` is meaningful for accept.
            if flags & !4 != 0 {
                return Err(Errno::INVAL);
            }
            not_a_socket(c, fd)
        },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn sock_recv<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    iovs: M::Offset,
    n: M::Offset,
    flags: u32,
    ro_len: M::Offset,
    ro_flags: M::Offset,
) -> i32 {
    let a = [
        fd as u64,
        M::to_u64(iovs),
        M::to_u64(n),
        flags as u64,
        M::to_u64(ro_len),
        M::to_u64(ro_flags),
    ];
    run(&mut env, "sock_recv", a, |c| not_a_socket(c, fd))
}

pub fn sock_send<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    iovs: M::Offset,
    n: M::Offset,
    flags: u32,
    so_len: M::Offset,
) -> i32 {
    let a = [
        fd as u64,
        M::to_u64(iovs),
        M::to_u64(n),
        flags as u64,
        M::to_u64(so_len),
    ];
    run(&mut env, "sock_send", a, |c| not_a_socket(c, fd))
}

pub fn sock_shutdown(mut env: FunctionEnvMut<WasiEnv>, fd: u32, how: u32) -> i32 {
    run(&mut env, "sock_shutdown", [fd as u64, how as u64], |c| {
        entry(c, fd)?;
        if how == 0 || how & !3 != 0 {
            return Err(Errno::INVAL);
        }
        not_a_socket(c, fd)
    })
}
