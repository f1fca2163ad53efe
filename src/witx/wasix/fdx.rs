//! WASIX fd extensions: fd_dup, fd_dup2, fd_fdflags_get/set, fd_pipe, fd_event, getcwd,
//! chdir, tty_get, tty_set, path_open2.

use crate::core::fds::{rights, FdEntry, FdKind};
use crate::core::io::event::EventCounter;
use crate::core::process::FDFLAGSEXT_CLOEXEC;
use crate::guest::MemSize;
use crate::witx::env::{run, Call, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::fd::entry;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wasmer::FunctionEnvMut;

const EVENTFD_SEMAPHORE: u32 = 1;

fn insert(c: &Call<'_>, e: FdEntry) -> Result<u32, Errno> {
    Ok(c.ctx.fds.insert(Arc::new(e))?)
}

pub fn fd_dup<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, fd: u32, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "fd_dup", [fd as u64, out], |c| {
        c.mem.check_range(out, 4)?;
        let e = entry(c, fd)?;
        let new = insert(c, e.duplicate())?;
        c.mem.write::<u32>(out, new)?;
        Ok(())
    })
}

/// Duplicates onto the lowest free fd not below `min` (fcntl `F_DUPFD[_CLOEXEC]`).
pub fn fd_dup2<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    min: u32,
    cloexec: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(
        &mut env,
        "fd_dup2",
        [fd as u64, min as u64, cloexec as u64, out],
        |c| {
            if cloexec > 1 {
                return Err(Errno::INVAL);
            }
            c.mem.check_range(out, 4)?;
            let e = entry(c, fd)?;
            let dup = Arc::new(e.duplicate());
            dup.fdflags_ext.store(
                if cloexec == 1 { FDFLAGSEXT_CLOEXEC } else { 0 },
                Ordering::Relaxed,
            );
            let new = c.ctx.fds.insert_from(min, dup)?;
            c.mem.write::<u32>(out, new)?;
            Ok(())
        },
    )
}

/// WASIX `fd_renumber(from, to)` is dup2: `to` (open or not) becomes a second descriptor
/// of `from`'s object, without cloexec, and `from` stays open — what wasix-libc's `dup2`
/// and `dup3` expect and wasmer-wasix does. (preview1's renumber moves `from` onto an open
/// `to`; the preview1 namespaces keep that.)
pub fn fd_renumber_wasix(mut env: FunctionEnvMut<WasiEnv>, from: u32, to: u32) -> i32 {
    run(&mut env, "fd_renumber", [from as u64, to as u64], |c| {
        renumber_dup2(c, from, to)
    })
}

/// dup2(`from`, `to`) (see [`fd_renumber_wasix`]).
pub(crate) fn renumber_dup2(c: &Call<'_>, from: u32, to: u32) -> Result<(), Errno> {
    let e = entry(c, from)?;
    if from == to {
        return Ok(());
    }
    let dup = Arc::new(e.duplicate());
    let replaced = c.ctx.fds.insert_at(to, dup).map_err(|e| match e {
        crate::core::table::TableError::Full => Errno::BADF,
        e => e.into(),
    })?;
    drop(replaced);
    Ok(())
}

pub fn fd_fdflags_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "fd_fdflags_get", [fd as u64, out], |c| {
        let e = entry(c, fd)?;
        c.mem
            .write::<u16>(out, e.fdflags_ext.load(Ordering::Relaxed) as u16)?;
        Ok(())
    })
}

pub fn fd_fdflags_set(mut env: FunctionEnvMut<WasiEnv>, fd: u32, flags: u32) -> i32 {
    run(&mut env, "fd_fdflags_set", [fd as u64, flags as u64], |c| {
        if flags as u64 & !FDFLAGSEXT_CLOEXEC != 0 {
            return Err(Errno::INVAL);
        }
        entry(c, fd)?
            .fdflags_ext
            .store(flags as u64, Ordering::Relaxed);
        Ok(())
    })
}

/// Creates two connected duplex ends and writes their fds to `o1` / `o2`.
/// `socket`: `sock_pair` ends (socket rights, socket calls work) rather than pipe ends.
pub(crate) fn insert_duplex_pair(
    c: &Call<'_>,
    o1: u64,
    o2: u64,
    socket: bool,
) -> Result<(), Errno> {
    let rights = if socket {
        rights::SOCKET
    } else {
        rights::STREAM
    };
    c.mem.check_range(o1, 4)?;
    c.mem.check_range(o2, 4)?;
    let (a, b) = crate::core::fds::duplex_pair(socket);
    let fa = insert(c, FdEntry::new(a, rights, 0))?;
    let fb = match insert(c, FdEntry::new(b, rights, 0)) {
        Ok(f) => f,
        Err(e) => {
            let _ = c.ctx.fds.remove(fa);
            return Err(e);
        }
    };
    c.mem.write::<u32>(o1, fa)?;
    c.mem.write::<u32>(o2, fb)?;
    Ok(())
}

pub fn fd_pipe<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, ro: M::Offset, wo: M::Offset) -> i32 {
    let (ro, wo) = (M::to_u64(ro), M::to_u64(wo));
    run(&mut env, "fd_pipe", [ro, wo], |c| {
        // The witx makes WASIX pipes bidirectional: each end reads what the other writes.
        insert_duplex_pair(c, ro, wo, false)
    })
}

pub fn fd_event<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    initial: u64,
    flags: u32,
    out: M::Offset,
) -> i32 {
    let out = M::to_u64(out);
    run(&mut env, "fd_event", [initial, flags as u64, out], |c| {
        if flags & !EVENTFD_SEMAPHORE != 0 || initial == u64::MAX {
            return Err(Errno::INVAL);
        }
        c.mem.check_range(out, 4)?;
        let ev = EventCounter::new(initial, flags & EVENTFD_SEMAPHORE != 0);
        let fd = insert(
            c,
            FdEntry::new(FdKind::Event(Arc::new(ev)), rights::STREAM, 0),
        )?;
        c.mem.write::<u32>(out, fd)?;
        Ok(())
    })
}

/// Writes the cwd, NUL-terminated, and its length. A buffer shorter than the path plus its
/// NUL is `range` with the needed size (path + NUL) written back: wasix-libc's
/// `getcwd(NULL, 0)` asks with size 0, allocates what we report and asks again, so that
/// size must leave room for the NUL (wasmer-wasix reports the bare length and the second
/// call then returns an unterminated string). The witx says `overflow`; wasix-libc only
/// understands `range`, which wasmer-wasix answers too.
pub fn getcwd<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, buf: M::Offset, len: M::Offset) -> i32 {
    let (buf, lenp) = (M::to_u64(buf), M::to_u64(len));
    run(&mut env, "getcwd", [buf, lenp], |c| {
        let max = c.mem.read_off::<M>(lenp)?;
        let cwd = c.ctx.cwd();
        let need = cwd.len() as u64 + 1;
        if need > max {
            c.mem.write_off::<M>(lenp, need)?;
            return Err(Errno::RANGE);
        }
        c.mem.check_range(buf, need)?;
        c.mem.copy_out(buf, need, cwd.as_bytes())?;
        c.mem.write::<u8>(buf + cwd.len() as u64, 0)?;
        c.mem.write_off::<M>(lenp, cwd.len() as u64)?;
        Ok(())
    })
}

/// Changes the cwd to a directory, given absolute or relative to the cwd. The path is
/// normalised, resolved through the preopen with the longest matching guest path, and must
/// name a directory there; an empty path is `noent`, as POSIX says.
pub fn chdir<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, p: M::Offset, l: M::Offset) -> i32 {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(&mut env, "chdir", [p, l], |c| {
        let path = c.mem.str(p, l)?;
        if path.is_empty() {
            return Err(Errno::NOENT);
        }
        let target = c.ctx.absolute(path);
        let (d, rest) = c.ctx.resolve_abs(&target)?;
        let st = if rest.is_empty() {
            d.stat()?
        } else {
            d.stat_at(&rest, true)?
        };
        if st.ty() != crate::core::fs::DescriptorType::Directory {
            return Err(Errno::NOTDIR);
        }
        *c.ctx.cwd.lock().unwrap_or_else(|p| p.into_inner()) = target;
        Ok(())
    })
}

/// `tty` record: cols, rows, width, height (u32), then six bools at 16..22.
const TTY_SIZE: u64 = 24;

pub fn tty_get<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, p: M::Offset) -> i32 {
    let p = M::to_u64(p);
    run(&mut env, "tty_get", [p], |c| {
        c.mem.check_range(p, TTY_SIZE)?;
        let mut b = [0u8; TTY_SIZE as usize];
        let t = c.ctx.tty();
        for (k, v) in [t.cols, t.rows, t.width, t.height].iter().enumerate() {
            b[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
        }
        let cli = &c.ctx.cli;
        let flags = [
            cli.stdin.is_terminal(),
            cli.stdout.is_terminal(),
            cli.stderr.is_terminal(),
            t.echo,
            t.line_buffered,
            t.line_feeds,
        ];
        for (k, f) in flags.iter().enumerate() {
            b[16 + k] = *f as u8;
        }
        Ok(c.mem.write_bytes(p, &b)?)
    })
}

/// Records the guest's terminal settings (size, echo, line buffering); the host terminal
/// itself is not reconfigured.
pub fn tty_set<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, p: M::Offset) -> i32 {
    let p = M::to_u64(p);
    run(&mut env, "tty_set", [p], |c| {
        let b = c.mem.slice(p, TTY_SIZE)?;
        if b[16..22].iter().any(|v| *v > 1) {
            return Err(Errno::INVAL);
        }
        let u = |k: usize| u32::from_le_bytes(b[4 * k..4 * k + 4].try_into().expect("4 bytes"));
        let mut t = c.ctx.tty.lock().unwrap_or_else(|p| p.into_inner());
        t.cols = u(0);
        t.rows = u(1);
        t.width = u(2);
        t.height = u(3);
        t.echo = b[19] == 1;
        t.line_buffered = b[20] == 1;
        t.line_feeds = b[21] == 1;
        Ok(())
    })
}

/// path_open with WASIX's extra `fdflagsext` (cloexec).
#[allow(clippy::too_many_arguments)]
pub fn path_open2<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    dirflags: u32,
    p: M::Offset,
    l: M::Offset,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    fdflagsext: u32,
    out: M::Offset,
) -> i32 {
    let (p, l, out) = (M::to_u64(p), M::to_u64(l), M::to_u64(out));
    let args = [
        fd as u64,
        dirflags as u64,
        p,
        l,
        oflags as u64,
        base,
        inheriting,
        fdflags as u64,
        fdflagsext as u64,
        out,
    ];
    run(&mut env, "path_open2", args, |c| {
        if fdflagsext as u64 & !FDFLAGSEXT_CLOEXEC != 0 {
            return Err(Errno::INVAL);
        }
        c.mem.check_range(out, 4)?;
        let new_fd =
            crate::witx::path::open(c, fd, dirflags, p, l, oflags, base, inheriting, fdflags)?;
        c.ctx
            .fds
            .get(new_fd)?
            .fdflags_ext
            .store(fdflagsext as u64, Ordering::Relaxed);
        c.mem.write::<u32>(out, new_fd)?;
        Ok(())
    })
}
