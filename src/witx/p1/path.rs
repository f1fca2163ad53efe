//! path_* imports: resolve the base fd to a core directory, decode the path, call core.

use crate::core::fds::{rights, FdEntry, FdKind};
use crate::core::fs::{Descriptor, DescriptorFlags, Dir, OpenFlags};
use crate::guest::MemSize;
use crate::witx::env::{run, Call, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::fd::{entry, timestamps, write_filestat};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wasmer::FunctionEnvMut;

const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

fn follow(flags: u32) -> Result<bool, Errno> {
    if flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::INVAL);
    }
    Ok(flags & LOOKUP_SYMLINK_FOLLOW != 0)
}

/// The directory behind `fd`, after checking it holds `need`.
fn dir(c: &Call<'_>, fd: u32, need: u64) -> Result<(Arc<FdEntry>, Arc<Dir>), Errno> {
    let e = entry(c, fd)?;
    let d = e.as_dir()?.clone();
    e.need(need)?;
    Ok((e, d))
}

/// [`dir`] for a call that names the path at `(p, l)` under `fd`. In a WASIX process (its
/// preopens are views of one root tree) an absolute path that `fd` cannot serve, because
/// `fd` is closed or no longer a directory, resolves from that tree's root: POSIX `openat`
/// ignores the fd of an absolute path, and wasmer-wasix resolves absolute paths from its
/// root. wasix-libc passes every absolute path with the `/` preopen's number (3), which a
/// shell may have redirected since (`exec 3>file`). Errors stay as they were otherwise.
fn dir_at(
    c: &Call<'_>,
    fd: u32,
    need: u64,
    p: u64,
    l: u64,
) -> Result<(Arc<FdEntry>, Arc<Dir>), Errno> {
    let r = dir(c, fd, need);
    if r.is_err() && path(c, p, l).is_ok_and(|s| s.starts_with('/')) {
        if let Some(root) = c.ctx.mount_root() {
            let e = Arc::new(FdEntry::dir(root, Some("/".into())));
            let d = e.as_dir()?.clone();
            return Ok((e, d));
        }
    }
    r
}

fn path<'c>(c: &'c Call<'_>, ptr: u64, len: u64) -> Result<&'c str, Errno> {
    Ok(c.mem.str(ptr, len)?)
}

pub fn path_create_directory<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    p: M::Offset,
    l: M::Offset,
) -> i32 {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(&mut env, "path_create_directory", [fd as u64, p, l], |c| {
        let (_, d) = dir_at(c, fd, rights::PATH_CREATE_DIRECTORY, p, l)?;
        Ok(d.create_directory_at(path(c, p, l)?)?)
    })
}

fn filestat_get(
    c: &Call<'_>,
    fd: u32,
    flags: u32,
    p: u64,
    l: u64,
    out: u64,
    legacy: bool,
) -> Result<(), Errno> {
    let follow = follow(flags)?;
    let (_, d) = dir_at(c, fd, rights::PATH_FILESTAT_GET, p, l)?;
    let s = d.stat_at(path(c, p, l)?, follow)?;
    write_filestat(c, out, &s, legacy)
}

pub fn path_filestat_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    flags: u32,
    p: M::Offset,
    l: M::Offset,
    out: M::Offset,
) -> i32 {
    let (p, l, out) = (M::to_u64(p), M::to_u64(l), M::to_u64(out));
    run(
        &mut env,
        "path_filestat_get",
        [fd as u64, flags as u64, p, l, out],
        |c| filestat_get(c, fd, flags, p, l, out, false),
    )
}

pub fn path_filestat_get_unstable(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    flags: u32,
    p: u32,
    l: u32,
    out: u32,
) -> i32 {
    let (p, l, out) = (p as u64, l as u64, out as u64);
    run(
        &mut env,
        "path_filestat_get",
        [fd as u64, flags as u64, p, l, out],
        |c| filestat_get(c, fd, flags, p, l, out, true),
    )
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    flags: u32,
    p: M::Offset,
    l: M::Offset,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> i32 {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(
        &mut env,
        "path_filestat_set_times",
        [fd as u64, flags as u64, p, l, atim, mtim, fst as u64],
        |c| {
            let follow = follow(flags)?;
            let (a, m) = timestamps(atim, mtim, fst)?;
            let (_, d) = dir_at(c, fd, rights::PATH_FILESTAT_SET_TIMES, p, l)?;
            Ok(d.set_times_at(path(c, p, l)?, follow, a, m)?)
        },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn path_link<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    old_fd: u32,
    old_flags: u32,
    op: M::Offset,
    ol: M::Offset,
    new_fd: u32,
    np: M::Offset,
    nl: M::Offset,
) -> i32 {
    let (op, ol, np, nl) = (M::to_u64(op), M::to_u64(ol), M::to_u64(np), M::to_u64(nl));
    run(
        &mut env,
        "path_link",
        [
            old_fd as u64,
            old_flags as u64,
            op,
            ol,
            new_fd as u64,
            np,
            nl,
        ],
        |c| {
            let follow = follow(old_flags)?;
            let (_, a) = dir_at(c, old_fd, rights::PATH_LINK_SOURCE, op, ol)?;
            let (_, b) = dir_at(c, new_fd, rights::PATH_LINK_TARGET, np, nl)?;
            Ok(a.link_at(path(c, op, ol)?, follow, &b, path(c, np, nl)?)?)
        },
    )
}

pub mod oflags {
    pub const CREAT: u32 = 1;
    pub const DIRECTORY: u32 = 2;
    pub const EXCL: u32 = 4;
    pub const TRUNC: u32 = 8;
}

/// The open itself, shared by path_open and path_open2: returns the new fd.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open(
    c: &Call<'_>,
    fd: u32,
    dirflags: u32,
    p: u64,
    l: u64,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
) -> Result<u32, Errno> {
    use crate::witx::fd::fdflags as ff;
    let follow = follow(dirflags)?;
    if oflags & !0xF != 0 || fdflags & !(ff::ALL as u32) != 0 {
        return Err(Errno::INVAL);
    }
    let o = OpenFlags {
        create: oflags & oflags::CREAT != 0,
        directory: oflags & oflags::DIRECTORY != 0,
        exclusive: oflags & oflags::EXCL != 0,
        truncate: oflags & oflags::TRUNC != 0,
    };
    let mut need = rights::PATH_OPEN;
    if o.create {
        need |= rights::PATH_CREATE_FILE;
    }
    let (pe, d) = dir_at(c, fd, need, p, l)?;
    // O_TRUNC without PATH_FILESTAT_SET_SIZE is `perm` (suite: truncation_rights).
    if o.truncate && pe.base() & rights::PATH_FILESTAT_SET_SIZE == 0 {
        return Err(Errno::PERM);
    }

    let ff16 = fdflags as u16;
    let f = DescriptorFlags {
        read: base & rights::READ_ACCESS != 0,
        // A directory is never opened for writing, whatever rights were asked for.
        write: !o.directory && (base & rights::WRITE_ACCESS != 0 || ff16 & ff::APPEND != 0),
        append: ff16 & ff::APPEND != 0,
        nonblock: ff16 & ff::NONBLOCK != 0,
        data_sync: ff16 & ff::DSYNC != 0,
        file_sync: ff16 & ff::SYNC != 0,
        read_sync: ff16 & ff::RSYNC != 0,
    };
    let parent_inh = pe.rights_inheriting.load(Ordering::Relaxed);
    let opened = d.open_at(path(c, p, l)?, follow, o, f)?;
    // A directory cannot be opened for writing (suite: path_open_preopen); asked of a
    // regular file, `directory` is `notdir` (checked by the open above) as POSIX says.
    if o.directory && base & rights::FD_WRITE != 0 {
        return Err(Errno::ISDIR);
    }
    let entry = match opened {
        Descriptor::File(file) => FdEntry::new(
            FdKind::File(Arc::new(file)),
            base & parent_inh & rights::FILE,
            inheriting & parent_inh,
        ),
        Descriptor::Dir(dd) => FdEntry::new(
            FdKind::Dir(Arc::new(dd)),
            base & parent_inh & rights::DIR,
            inheriting & parent_inh,
        ),
        // `/dev/stdout` and friends: a new descriptor of the same stream, as Linux's
        // /proc/self/fd links give.
        Descriptor::Stdio(n) => return Ok(c.ctx.fds.insert(Arc::new(entry(c, n)?.duplicate()))?),
    };
    entry
        .fdflags
        .store((ff16 & ff::NONBLOCK) as u64, Ordering::Relaxed);
    let new_fd = c.ctx.fds.insert(Arc::new(entry))?;
    Ok(new_fd)
}

#[allow(clippy::too_many_arguments)]
pub fn path_open<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    dirflags: u32,
    p: M::Offset,
    l: M::Offset,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    out: M::Offset,
) -> i32 {
    let (p, l, out) = (M::to_u64(p), M::to_u64(l), M::to_u64(out));
    run(
        &mut env,
        "path_open",
        [
            fd as u64,
            dirflags as u64,
            p,
            l,
            oflags as u64,
            base,
            inheriting,
            fdflags as u64,
            out,
        ],
        |c| {
            c.mem.check_range(out, 4)?;
            let new_fd = open(c, fd, dirflags, p, l, oflags, base, inheriting, fdflags)?;
            c.mem.write::<u32>(out, new_fd)?;
            Ok(())
        },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn path_readlink<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    p: M::Offset,
    l: M::Offset,
    buf: M::Offset,
    buf_len: M::Offset,
    used: M::Offset,
) -> i32 {
    let (p, l, buf, bl, used) = (
        M::to_u64(p),
        M::to_u64(l),
        M::to_u64(buf),
        M::to_u64(buf_len),
        M::to_u64(used),
    );
    run(
        &mut env,
        "path_readlink",
        [fd as u64, p, l, buf, bl, used],
        |c| {
            let (_, d) = dir_at(c, fd, rights::PATH_READLINK, p, l)?;
            c.mem.check_range(buf, bl)?;
            c.mem.check_range(used, M::BYTES as u64)?;
            let target = d.readlink_at(path(c, p, l)?)?;
            // Like readlink(2): a short buffer gets a truncated target.
            let n = c.mem.copy_out(buf, bl, &target)?;
            c.mem.write_off::<M>(used, n as u64)?;
            Ok(())
        },
    )
}

pub fn path_remove_directory<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    p: M::Offset,
    l: M::Offset,
) -> i32 {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(&mut env, "path_remove_directory", [fd as u64, p, l], |c| {
        let (_, d) = dir_at(c, fd, rights::PATH_REMOVE_DIRECTORY, p, l)?;
        Ok(d.remove_directory_at(path(c, p, l)?)?)
    })
}

#[allow(clippy::too_many_arguments)]
pub fn path_rename<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    op: M::Offset,
    ol: M::Offset,
    new_fd: u32,
    np: M::Offset,
    nl: M::Offset,
) -> i32 {
    let (op, ol, np, nl) = (M::to_u64(op), M::to_u64(ol), M::to_u64(np), M::to_u64(nl));
    run(
        &mut env,
        "path_rename",
        [fd as u64, op, ol, new_fd as u64, np, nl],
        |c| {
            let (_, a) = dir_at(c, fd, rights::PATH_RENAME_SOURCE, op, ol)?;
            let (_, b) = dir_at(c, new_fd, rights::PATH_RENAME_TARGET, np, nl)?;
            Ok(a.rename_at(path(c, op, ol)?, &b, path(c, np, nl)?)?)
        },
    )
}

pub fn path_symlink<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    op: M::Offset,
    ol: M::Offset,
    fd: u32,
    np: M::Offset,
    nl: M::Offset,
) -> i32 {
    let (op, ol, np, nl) = (M::to_u64(op), M::to_u64(ol), M::to_u64(np), M::to_u64(nl));
    run(&mut env, "path_symlink", [op, ol, fd as u64, np, nl], |c| {
        let (_, d) = dir_at(c, fd, rights::PATH_SYMLINK, np, nl)?;
        Ok(d.symlink_at(path(c, op, ol)?, path(c, np, nl)?)?)
    })
}

pub fn path_unlink_file<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    p: M::Offset,
    l: M::Offset,
) -> i32 {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(&mut env, "path_unlink_file", [fd as u64, p, l], |c| {
        let (_, d) = dir_at(c, fd, rights::PATH_UNLINK_FILE, p, l)?;
        Ok(d.unlink_file_at(path(c, p, l)?)?)
    })
}
