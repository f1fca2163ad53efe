//! `wasi:io/{error,poll,streams}` over the core's streams and pollables.

use super::abi::{self, Env, HostResult};
use super::link::Mk;
use super::resources::{Kind, PollSource, Resource};
use crate::core::io::poll::{self, with_thread_context};
use crate::core::io::{InputStream, OutputStream, StreamError};
use smallvec::SmallVec;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

/// Most bytes one `read` / `skip` / `splice` moves (the guest asks with a u64).
const MAX_CHUNK: u64 = 1 << 20;

macro_rules! f {
    ($f:expr) => {
        (|s, e| abi::HostFn::make($f, s, e)) as Mk
    };
}

/// The functions this file serves: (interface without version, function, constructor).
pub const FUNCS: &[(&str, &str, Mk)] = &[
    (
        "wasi:io/error",
        "[method]error.to-debug-string",
        f!(error_to_debug_string),
    ),
    ("wasi:io/poll", "[method]pollable.ready", f!(pollable_ready)),
    ("wasi:io/poll", "[method]pollable.block", f!(pollable_block)),
    ("wasi:io/poll", "poll", f!(poll_list)),
    ("wasi:io/streams", "[method]input-stream.read", f!(read_nb)),
    (
        "wasi:io/streams",
        "[method]input-stream.blocking-read",
        f!(read_b),
    ),
    ("wasi:io/streams", "[method]input-stream.skip", f!(skip_nb)),
    (
        "wasi:io/streams",
        "[method]input-stream.blocking-skip",
        f!(skip_b),
    ),
    (
        "wasi:io/streams",
        "[method]input-stream.subscribe",
        f!(input_subscribe),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.check-write",
        f!(check_write),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.write",
        f!(write_nb),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.blocking-write-and-flush",
        f!(write_b),
    ),
    ("wasi:io/streams", "[method]output-stream.flush", f!(flush)),
    (
        "wasi:io/streams",
        "[method]output-stream.blocking-flush",
        f!(flush),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.subscribe",
        f!(output_subscribe),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.write-zeroes",
        f!(zeroes_nb),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.blocking-write-zeroes-and-flush",
        f!(zeroes_b),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.splice",
        f!(splice_nb),
    ),
    (
        "wasi:io/streams",
        "[method]output-stream.blocking-splice",
        f!(splice_b),
    ),
];

// The blocking and non-blocking forms of each method share one body.
fn read_nb(e: Env, s: i32, n: i64, r: i32) -> HostResult<()> {
    read(e, s, n, r, false)
}
fn read_b(e: Env, s: i32, n: i64, r: i32) -> HostResult<()> {
    read(e, s, n, r, true)
}
fn skip_nb(e: Env, s: i32, n: i64, r: i32) -> HostResult<()> {
    skip(e, s, n, r, false)
}
fn skip_b(e: Env, s: i32, n: i64, r: i32) -> HostResult<()> {
    skip(e, s, n, r, true)
}
fn write_nb(e: Env, s: i32, p: i32, l: i32, r: i32) -> HostResult<()> {
    write(e, s, p, l, r, false)
}
fn write_b(e: Env, s: i32, p: i32, l: i32, r: i32) -> HostResult<()> {
    write(e, s, p, l, r, true)
}
fn zeroes_nb(e: Env, s: i32, n: i64, r: i32) -> HostResult<()> {
    write_zeroes(e, s, n, r, false)
}
fn zeroes_b(e: Env, s: i32, n: i64, r: i32) -> HostResult<()> {
    write_zeroes(e, s, n, r, true)
}
fn splice_nb(e: Env, s: i32, i: i32, n: i64, r: i32) -> HostResult<()> {
    splice(e, s, i, n, r, false)
}
fn splice_b(e: Env, s: i32, i: i32, n: i64, r: i32) -> HostResult<()> {
    splice(e, s, i, n, r, true)
}

fn input(env: &Env, h: i32) -> HostResult<Arc<dyn InputStream>> {
    match abi::get(env, h, Kind::InputStream)? {
        Resource::InputStream(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

fn output(env: &Env, h: i32) -> HostResult<Arc<dyn OutputStream>> {
    match abi::get(env, h, Kind::OutputStream)? {
        Resource::OutputStream(s) => Ok(s),
        _ => unreachable!("kind checked"),
    }
}

fn pollable(env: &Env, h: i32) -> HostResult<PollSource> {
    match abi::get(env, h, Kind::Pollable)? {
        Resource::Pollable(p) => Ok(p),
        _ => unreachable!("kind checked"),
    }
}

/// Writes `result<_, stream-error>` (12 bytes: case, then the error at 4).
fn ret_unit(env: &mut Env, ret: i32, r: Result<(), StreamError>) -> HostResult<()> {
    match r {
        Ok(()) => abi::ret(env, ret, |a| a.u8(0, 0)),
        Err(e) => {
            let (case, h) = abi::stream_error(env, e)?;
            abi::ret(env, ret, |a| {
                a.u8(0, 1);
                a.u8(4, case);
                a.u32(8, h)
            })
        }
    }
}

/// Writes `result<u64, stream-error>` (16 bytes: case, then the payload at 8).
fn ret_u64(env: &mut Env, ret: i32, r: Result<u64, StreamError>) -> HostResult<()> {
    match r {
        Ok(n) => abi::ret(env, ret, |a| {
            a.u8(0, 0);
            a.u64(8, n)
        }),
        Err(e) => {
            let (case, h) = abi::stream_error(env, e)?;
            abi::ret(env, ret, |a| {
                a.u8(0, 1);
                a.u8(8, case);
                a.u32(12, h)
            })
        }
    }
}

fn block(p: &dyn poll::Pollable) -> Result<(), StreamError> {
    poll::block(p).map_err(StreamError::LastOperationFailed)
}

/// Reads up to `len` bytes (at most [`MAX_CHUNK`]; at least one unless closed when
/// `blocking`): the buffer holding them and their count.
/// Hand the buffer back with [`abi::recycle`].
fn read_some(
    s: &dyn InputStream,
    len: u64,
    blocking: bool,
) -> Result<(Vec<u8>, usize), StreamError> {
    let want = len.min(MAX_CHUNK) as usize;
    if want == 0 {
        return Ok((Vec::new(), 0));
    }
    let mut buf = abi::scratch(want);
    let r = if blocking {
        s.blocking_read_vectored(&mut [IoSliceMut::new(&mut buf[..want])])
    } else {
        s.read(&mut buf[..want])
    };
    match r {
        Ok(n) => Ok((buf, n)),
        Err(e) => {
            recycle(buf);
            Err(e)
        }
    }
}

use abi::recycle;

/// `read` / `blocking-read: func(len: u64) -> result<list<u8>, stream-error>`
fn read(mut env: Env, h: i32, len: i64, ret: i32, blocking: bool) -> HostResult<()> {
    let s = input(&env, h)?;
    match read_some(&*s, len as u64, blocking) {
        Ok((buf, n)) => {
            let listed = abi::list_u8(&mut env, &buf[..n]);
            recycle(buf);
            let (p, l) = listed?;
            abi::ret(&mut env, ret, |a| {
                a.u8(0, 0);
                a.u32(4, p);
                a.u32(8, l)
            })
        }
        Err(e) => {
            let (case, eh) = abi::stream_error(&env, e)?;
            abi::ret(&mut env, ret, |a| {
                a.u8(0, 1);
                a.u8(4, case);
                a.u32(8, eh)
            })
        }
    }
}

/// `skip` / `blocking-skip: func(len: u64) -> result<u64, stream-error>`
fn skip(mut env: Env, h: i32, len: i64, ret: i32, blocking: bool) -> HostResult<()> {
    let s = input(&env, h)?;
    let r = read_some(&*s, len as u64, blocking).map(|(buf, n)| {
        recycle(buf);
        n as u64
    });
    ret_u64(&mut env, ret, r)
}

fn input_subscribe(env: Env, h: i32) -> HostResult<i32> {
    let s = input(&env, h)?;
    abi::push_child(&env, Resource::Pollable(PollSource::Input(s)), h)
}

fn output_subscribe(env: Env, h: i32) -> HostResult<i32> {
    let s = output(&env, h)?;
    abi::push_child(&env, Resource::Pollable(PollSource::Output(s)), h)
}

/// `check-write: func() -> result<u64, stream-error>`
fn check_write(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let s = output(&env, h)?;
    let r = s.check_write().map(|n| n as u64);
    ret_u64(&mut env, ret, r)
}

/// `write` / `blocking-write-and-flush: func(contents: list<u8>) -> result<_, stream-error>`
fn write(mut env: Env, h: i32, ptr: i32, len: i32, ret: i32, blocking: bool) -> HostResult<()> {
    let s = output(&env, h)?;
    let (ptr, len) = abi::list_arg(&env, "list<u8>", ptr, len, 1, 1)?;
    let r = abi::with_mem(&mut env, |m| {
        let bytes = m.slice(ptr, len)?;
        Ok(if blocking {
            s.blocking_write_vectored(&[IoSlice::new(bytes)])
                .and_then(|_| s.flush())
        } else {
            s.write(bytes)
        })
    })?;
    ret_unit(&mut env, ret, r)
}

/// `flush` / `blocking-flush: func() -> result<_, stream-error>`: the core's streams
/// write through, so both complete at once.
fn flush(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let s = output(&env, h)?;
    let r = s.flush();
    ret_unit(&mut env, ret, r)
}

static ZEROES: [u8; 4096] = [0; 4096];

/// `write-zeroes` / `blocking-write-zeroes-and-flush: func(len: u64) -> result<_, stream-error>`
fn write_zeroes(mut env: Env, h: i32, len: i64, ret: i32, blocking: bool) -> HostResult<()> {
    let s = output(&env, h)?;
    let mut left = len as u64;
    // The WIT's limits: the non-blocking form writes at most what `check-write` permits,
    // the blocking one at most 4096 bytes; more is a guest error (as wasmtime treats it),
    // never an unbounded host loop.
    let limit = if blocking {
        Ok(ZEROES.len() as u64)
    } else {
        s.check_write().map(|n| n as u64)
    };
    if matches!(limit, Ok(l) if left > l) {
        return Err(abi::trap(
            &env,
            format!(
                "write-zeroes of {left} bytes exceeds the permitted {}",
                limit.unwrap_or(0)
            ),
        ));
    }
    let r = (|| {
        while left > 0 {
            let n = left.min(ZEROES.len() as u64) as usize;
            if blocking {
                s.blocking_write_vectored(&[IoSlice::new(&ZEROES[..n])])?;
            } else {
                s.write(&ZEROES[..n])?;
            }
            left -= n as u64;
        }
        if blocking {
            s.flush()?;
        }
        Ok(())
    })();
    ret_unit(&mut env, ret, r)
}

/// `splice` / `blocking-splice: func(src: borrow<input-stream>, len: u64) -> result<u64, stream-error>`
fn splice(mut env: Env, h: i32, src: i32, len: i64, ret: i32, blocking: bool) -> HostResult<()> {
    let s = output(&env, h)?;
    let i = input(&env, src)?;
    let r = (|| {
        let mut len = len as u64;
        if blocking {
            // Wait until the destination takes bytes, then until the source has some.
            while s.check_write()? == 0 {
                block(s.as_pollable())?;
            }
        }
        len = len.min(s.check_write()? as u64);
        let (buf, n) = read_some(&*i, len, blocking)?;
        let written = if blocking {
            s.blocking_write_vectored(&[IoSlice::new(&buf[..n])])
                .map(|_| ())
        } else {
            s.write(&buf[..n])
        };
        recycle(buf);
        written?;
        Ok(n as u64)
    })();
    ret_u64(&mut env, ret, r)
}

/// `to-debug-string: func() -> string`
fn error_to_debug_string(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let Resource::Error(code) = abi::get(&env, h, Kind::Error)? else {
        unreachable!("kind checked")
    };
    let (p, l) = abi::string(&mut env, &code.to_string())?;
    abi::ret(&mut env, ret, |a| {
        a.u32(0, p);
        a.u32(4, l)
    })
}

/// `ready: func() -> bool`
fn pollable_ready(env: Env, h: i32) -> HostResult<i32> {
    let p = pollable(&env, h)?;
    let ready = with_thread_context(|cx| p.as_pollable().poll_ready(cx).is_ready());
    Ok(ready as i32)
}

/// `block: func()`; an interrupted wait (the process is ending) returns early.
fn pollable_block(env: Env, h: i32) -> HostResult<()> {
    let p = pollable(&env, h)?;
    let _ = poll::block(p.as_pollable());
    Ok(())
}

/// `poll: func(in: list<borrow<pollable>>) -> list<u32>`
fn poll_list(mut env: Env, ptr: i32, len: i32, ret: i32) -> HostResult<()> {
    let n = len as u32 as u64;
    if n == 0 {
        return Err(abi::trap(&env, "empty poll list"));
    }
    // Each entry must be a live handle (duplicates allowed): a longer list than the table
    // can hold is a forged one, refused before the host builds anything for it.
    if n > super::resources::MAX_HANDLES as u64 {
        return Err(abi::trap(&env, format!("poll list of {n} entries")));
    }
    // Up to 8 pollables (the usual event loop) live on the stack: no allocation per poll.
    let (ptr, bytes) = abi::list_arg(&env, "list<borrow<pollable>>", ptr, len, 4, 4)?;
    let handles = abi::with_mem(&mut env, |m| {
        let raw = m.slice(ptr, bytes)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect::<SmallVec<[i32; 8]>>())
    })?;
    let sources = handles
        .iter()
        .map(|h| pollable(&env, *h))
        .collect::<HostResult<SmallVec<[_; 8]>>>()?;
    let list: SmallVec<[&dyn poll::Pollable; 8]> =
        sources.iter().map(|p| p.as_pollable()).collect();
    let ready = poll::poll(&list);
    let bytes: SmallVec<[u8; 32]> = ready.iter().flat_map(|i| i.to_le_bytes()).collect();
    let p = abi::alloc(&mut env, bytes.len() as u64, 4)?;
    if !bytes.is_empty() {
        abi::with_mem(&mut env, |m| m.write_bytes(p as u64, &bytes))?;
    }
    abi::ret(&mut env, ret, |a| {
        a.u32(0, p);
        a.u32(4, ready.len() as u32)
    })
}
