//! `dlopen`, `dlsym`, `dl_invalid_handle`: wasix-libc's `dlopen()`/`dlsym()`/`dlclose()`
//! over the host's dynamic linker ([`crate::host::dylink`]). A failure writes the
//! `dlerror()` text into the guest's buffer (truncated, always NUL-terminated) and returns
//! an errno: wasix-libc shows the text when there is one.

use crate::guest::MemSize;
use crate::host::dylink::load::{self, DlError, RTLD_ALL};
use crate::host::dylink::MAIN_HANDLE;
use crate::host::dylink::{resolve_symbol, store};
use crate::witx::env::{with_call, WasiEnv};
use crate::witx::errno::{self, Errno};
use crate::witx::Flavor;
use wasmer::FunctionEnvMut;

/// Most bytes of `LD_LIBRARY_PATH` and of a path or symbol name we read.
const MAX_NAME: u64 = 64 * 1024;

fn finish(env: &mut FunctionEnvMut<WasiEnv>, name: &str, r: Result<(), Errno>) -> i32 {
    let e = match r {
        Ok(()) => Errno::SUCCESS,
        Err(Errno::FAULT) if env.data().flavor == Flavor::Wasix => Errno::MEMVIOLATION,
        Err(e) => e,
    };
    tracing::trace!(target: "wasix_compat::syscall", "{name} -> {}", errno::name(e));
    e.0 as i32
}

/// Reads an optional string argument (a null pointer is "none", as wasix-libc passes
/// `strlen(NULL)` for an unset one).
fn opt_str(env: &mut FunctionEnvMut<WasiEnv>, p: u64, l: u64) -> Result<Option<String>, Errno> {
    if p == 0 {
        return Ok(None);
    }
    read_str(env, p, l).map(Some)
}

/// A name argument: in memory (else a bad pointer), at most [`MAX_NAME`] bytes, UTF-8.
fn read_str(env: &mut FunctionEnvMut<WasiEnv>, p: u64, l: u64) -> Result<String, Errno> {
    with_call(env, |c| {
        // Out of memory first (a bad pointer), then too long for a name.
        c.mem.check_range(p, l)?;
        if l > MAX_NAME {
            return Err(Errno::NAMETOOLONG);
        }
        Ok(c.mem.str(p, l)?.to_string())
    })
}

/// Writes `e`'s text into the guest's error buffer and returns its errno.
fn report(env: &mut FunctionEnvMut<WasiEnv>, e: DlError, buf: u64, cap: u64) -> Errno {
    if cap == 0 {
        return e.errno;
    }
    let mut text = e.message.into_bytes();
    text.truncate((cap - 1).min(4096) as usize);
    text.push(0);
    match with_call(env, |c| c.mem.write_bytes(buf, &text)) {
        Ok(()) => e.errno,
        Err(_) => Errno::FAULT,
    }
}

fn not_dynamic() -> DlError {
    DlError {
        errno: Errno::NOTSUP,
        message: "this module is not dynamically linked (build it with -fPIC -Wl,-pie)".into(),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn dlopen<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    path: M::Offset,
    path_len: M::Offset,
    flags: u32,
    err_buf: M::Offset,
    err_len: M::Offset,
    lib: M::Offset,
    lib_len: M::Offset,
    out: M::Offset,
) -> i32 {
    let (path, path_len) = (M::to_u64(path), M::to_u64(path_len));
    let (err_buf, err_len) = (M::to_u64(err_buf), M::to_u64(err_len));
    let (lib, lib_len, out) = (M::to_u64(lib), M::to_u64(lib_len), M::to_u64(out));
    let r = (|| {
        if flags & !RTLD_ALL != 0 {
            return Err(Errno::INVAL);
        }
        let name = opt_str(&mut env, path, path_len)?;
        let lib_path = opt_str(&mut env, lib, lib_len)?.unwrap_or_default();
        let handle = match (name, env.data().dl.clone()) {
            (None, Some(_)) => Ok(MAIN_HANDLE),
            (_, None) => Err(not_dynamic()),
            (Some(name), Some(link)) => {
                let dirs: Vec<String> = lib_path.split(':').map(String::from).collect();
                let ctx = env.data().ctx.clone();
                let (_, mut st) = env.data_and_store_mut();
                let h = store::sync(&mut st, &link)
                    .and_then(|()| load::load(&mut st, &link, &ctx, &name, flags, &dirs, 0));
                store::publish(&link, &ctx);
                h
            }
        };
        match handle {
            Ok(h) => with_call(&mut env, |c| {
                c.mem.write::<u32>(out, h).map_err(Errno::from)
            }),
            Err(e) => Err(report(&mut env, e, err_buf, err_len)),
        }
    })();
    finish(&mut env, "dlopen", r)
}

pub fn dlsym<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    handle: u32,
    sym: M::Offset,
    sym_len: M::Offset,
    err_buf: M::Offset,
    err_len: M::Offset,
    out: M::Offset,
) -> i32 {
    let (sym, sym_len) = (M::to_u64(sym), M::to_u64(sym_len));
    let (err_buf, err_len, out) = (M::to_u64(err_buf), M::to_u64(err_len), M::to_u64(out));
    let r = (|| {
        let name = read_str(&mut env, sym, sym_len)?;
        let found = match env.data().dl.clone() {
            None => Err(not_dynamic()),
            Some(link) => {
                let ctx = env.data().ctx.clone();
                let (_, mut st) = env.data_and_store_mut();
                let v = resolve_symbol(&mut st, &link, handle, &name);
                store::publish(&link, &ctx);
                v
            }
        };
        match found {
            Ok(v) => with_call(&mut env, |c| {
                c.mem.write_off::<M>(out, v).map_err(Errno::from)
            }),
            Err(e) => Err(report(&mut env, e, err_buf, err_len)),
        }
    })();
    finish(&mut env, "dlsym", r)
}

/// wasix-libc's `dlclose()`: `success` for the main module's or a loaded module's handle,
/// `noexec` for anything else (modules stay loaded, as under wasmer).
pub fn dl_invalid_handle(mut env: FunctionEnvMut<WasiEnv>, handle: u32) -> i32 {
    let r = match env.data().dl.clone() {
        Some(link) if handle != 0 && store::valid_handle(&link, handle) => Ok(()),
        _ => Err(Errno::NOEXEC),
    };
    finish(&mut env, "dl_invalid_handle", r)
}
