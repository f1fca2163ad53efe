//! args_* and environ_*: a pointer array plus NUL-terminated strings in one buffer.

use crate::guest::{GuestMem, MemSize};
use crate::witx::env::{run, WasiEnv};
use crate::witx::errno::Errno;
use wasmer::FunctionEnvMut;

fn sizes<'a>(items: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> (u64, u64) {
    items.fold((0, 0), |(n, b), (x, y)| {
        (n + 1, b + x.len() as u64 + y.len() as u64 + 1)
    })
}

/// Writes `items` (each `x` followed by `y`, then NUL) as argv-style pointer array + buffer.
fn write_list<'a, M: MemSize>(
    mem: &GuestMem<'_>,
    ptrs: u64,
    buf: u64,
    items: impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone,
) -> Result<(), Errno> {
    let (count, total) = sizes(items.clone());
    // Check both regions up front so a fault leaves guest memory untouched.
    mem.check_range(
        ptrs,
        count.checked_mul(M::BYTES as u64).ok_or(Errno::FAULT)?,
    )?;
    mem.check_range(buf, total)?;
    let mut at = buf;
    for (i, (x, y)) in items.enumerate() {
        mem.write_off::<M>(ptrs + i as u64 * M::BYTES as u64, at)?;
        mem.write_bytes(at, x)?;
        at += x.len() as u64;
        mem.write_bytes(at, y)?;
        at += y.len() as u64;
        mem.write::<u8>(at, 0)?;
        at += 1;
    }
    Ok(())
}

fn write_sizes<M: MemSize>(
    mem: &GuestMem<'_>,
    a: u64,
    b: u64,
    (n, bytes): (u64, u64),
) -> Result<(), Errno> {
    if M::from_u64(n).is_none() || M::from_u64(bytes).is_none() {
        return Err(Errno::OVERFLOW);
    }
    mem.check_range(a, M::BYTES as u64)?;
    mem.check_range(b, M::BYTES as u64)?;
    mem.write_off::<M>(a, n)?;
    mem.write_off::<M>(b, bytes)?;
    Ok(())
}

pub fn args_sizes_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    argc: M::Offset,
    size: M::Offset,
) -> i32 {
    let (a, b) = (M::to_u64(argc), M::to_u64(size));
    run(&mut env, "args_sizes_get", [a, b], |c| {
        let s = sizes(c.ctx.cli.args.iter().map(|x| (x.as_bytes(), &b""[..])));
        write_sizes::<M>(&c.mem, a, b, s)
    })
}

pub fn args_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    argv: M::Offset,
    buf: M::Offset,
) -> i32 {
    let (a, b) = (M::to_u64(argv), M::to_u64(buf));
    run(&mut env, "args_get", [a, b], |c| {
        write_list::<M>(
            &c.mem,
            a,
            b,
            c.ctx.cli.args.iter().map(|x| (x.as_bytes(), &b""[..])),
        )
    })
}

fn env_items(c: &[(String, String)]) -> impl Iterator<Item = (&[u8], &[u8])> + Clone {
    // "KEY=VALUE": the '=' travels with the key half.
    c.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes()))
}

pub fn environ_sizes_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    count: M::Offset,
    size: M::Offset,
) -> i32 {
    let (a, b) = (M::to_u64(count), M::to_u64(size));
    run(&mut env, "environ_sizes_get", [a, b], |c| {
        let (n, bytes) = sizes(env_items(&c.ctx.cli.env));
        write_sizes::<M>(&c.mem, a, b, (n, bytes + n)) // + one '=' each
    })
}

pub fn environ_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    environ: M::Offset,
    buf: M::Offset,
) -> i32 {
    let (a, b) = (M::to_u64(environ), M::to_u64(buf));
    run(&mut env, "environ_get", [a, b], |c| {
        let joined: Vec<Vec<u8>> = c
            .ctx
            .cli
            .env
            .iter()
            .map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat())
            .collect();
        write_list::<M>(
            &c.mem,
            a,
            b,
            joined.iter().map(|x| (x.as_slice(), &b""[..])),
        )
    })
}
