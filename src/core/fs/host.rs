//! Host-directory backend: every path operation is an `*at` syscall relative to a directory
//! fd, after the core has walked the path component by component beneath the descriptor.
//!
//! Why not virtual-fs's `host_fs`: it has no symlinks, hard links, inode numbers or link
//! counts, and resolves paths with the host kernel (so a symlink could lead out). Walking
//! with `openat(O_NOFOLLOW)` and reading links ourselves keeps every step inside the sandbox.

use super::types::*;
use crate::core::ErrorCode;
use std::ffi::{CStr, CString, OsStr};
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

type Result<T> = std::result::Result<T, ErrorCode>;

/// Symlinks followed in one resolution before giving up with `loop` (Linux uses 40).
pub const MAX_SYMLINKS: u32 = 40;

fn cstr(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| ErrorCode::IllegalByteSequence)
}

fn check(r: libc::c_int) -> Result<libc::c_int> {
    if r < 0 {
        Err(ErrorCode::last_os())
    } else {
        Ok(r)
    }
}

fn retry<T: PartialOrd + Default + Copy>(mut f: impl FnMut() -> T) -> Result<T> {
    loop {
        let r = f();
        if r >= T::default() {
            return Ok(r);
        }
        let e = ErrorCode::last_os();
        if e != ErrorCode::Interrupted {
            return Err(e);
        }
    }
}

fn openat(dir: RawFd, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> Result<OwnedFd> {
    // SAFETY: valid C string; the returned fd is owned by us.
    let fd = retry(|| unsafe {
        libc::openat(
            dir,
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    })?;
    // SAFETY: fd was just opened.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn readlinkat(dir: RawFd, name: &str) -> Result<Vec<u8>> {
    let c = cstr(name)?;
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: buffer is valid for buf.len() bytes.
        let n = unsafe {
            libc::readlinkat(
                dir,
                c.as_ptr(),
                buf.as_mut_ptr() as *mut libc::c_char,
                buf.len(),
            )
        };
        if n < 0 {
            return Err(ErrorCode::last_os());
        }
        let n = n as usize;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        buf.resize(buf.len() * 2, 0);
    }
}

pub(crate) fn stat_from(st: &libc::stat) -> Stat {
    let ty = match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => DescriptorType::RegularFile,
        libc::S_IFDIR => DescriptorType::Directory,
        libc::S_IFLNK => DescriptorType::SymbolicLink,
        libc::S_IFCHR => DescriptorType::CharacterDevice,
        libc::S_IFBLK => DescriptorType::BlockDevice,
        libc::S_IFSOCK => DescriptorType::Socket,
        libc::S_IFIFO => DescriptorType::Fifo,
        _ => DescriptorType::Unknown,
    };
    let ns = |s: i64, n: i64| {
        (s.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(n.max(0) as u64)
    };
    Stat {
        dev: st.st_dev,
        ino: st.st_ino,
        ty: Some(ty),
        nlink: st.st_nlink,
        size: st.st_size as u64,
        atim: ns(st.st_atime, st.st_atime_nsec),
        mtim: ns(st.st_mtime, st.st_mtime_nsec),
        ctim: ns(st.st_ctime, st.st_ctime_nsec),
    }
}

fn fstatat(dir: RawFd, name: &str, follow: bool) -> Result<Stat> {
    let c = cstr(name)?;
    // SAFETY: zeroed stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: valid pointers.
    check(unsafe { libc::fstatat(dir, c.as_ptr(), &mut st, flags) })?;
    Ok(stat_from(&st))
}

pub(crate) fn fstat(fd: RawFd) -> Result<Stat> {
    // SAFETY: zeroed stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer.
    check(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(stat_from(&st))
}

fn timespec(t: NewTimestamp) -> libc::timespec {
    match t {
        NewTimestamp::NoChange => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        },
        NewTimestamp::Now => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_NOW,
        },
        NewTimestamp::At(ns) => libc::timespec {
            tv_sec: (ns / 1_000_000_000) as libc::time_t,
            tv_nsec: (ns % 1_000_000_000) as libc::c_long,
        },
    }
}

/// A component-by-component walk beneath a directory fd. `..` may not climb above the
/// starting directory and absolute paths or symlink targets are refused (`perm`), which
/// is what makes every directory descriptor a sandbox root.
struct Walk<'a> {
    base: RawFd,
    stack: Vec<OwnedFd>,
    links: u32,
    _base: std::marker::PhantomData<&'a ()>,
}

impl<'a> Walk<'a> {
    fn new(base: &'a OwnedFd) -> Self {
        Walk {
            base: base.as_raw_fd(),
            stack: Vec::new(),
            links: 0,
            _base: Default::default(),
        }
    }

    fn cur(&self) -> RawFd {
        self.stack.last().map_or(self.base, |f| f.as_raw_fd())
    }

    fn bump(&mut self) -> Result<()> {
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            Err(ErrorCode::Loop)
        } else {
            Ok(())
        }
    }

    /// Moves into directory `name`, following it if it is a symlink.
    fn enter(&mut self, name: &str) -> Result<()> {
        match name {
            "" | "." => Ok(()),
            ".." => self.stack.pop().map(|_| ()).ok_or(ErrorCode::NotPermitted),
            _ => {
                let c = cstr(name)?;
                let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW;
                match openat(self.cur(), &c, flags, 0) {
                    Ok(fd) => {
                        self.stack.push(fd);
                        Ok(())
                    }
                    Err(e @ (ErrorCode::Loop | ErrorCode::NotDirectory)) => {
                        match readlinkat(self.cur(), name) {
                            Ok(target) => {
                                self.bump()?;
                                let last = self.walk_dirs(&target)?;
                                let last = self.follow(last)?;
                                self.enter(&last)
                            }
                            Err(_) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Enters every directory component of `path` but the last, which is returned
    /// (trailing slashes removed). Absolute paths are escapes.
    fn walk_dirs(&mut self, path: &[u8]) -> Result<String> {
        let path = std::str::from_utf8(path).map_err(|_| ErrorCode::IllegalByteSequence)?;
        if path.starts_with('/') {
            return Err(ErrorCode::NotPermitted);
        }
        if path.contains('\0') {
            return Err(ErrorCode::IllegalByteSequence);
        }
        let trimmed = path.trim_end_matches('/');
        let (dirs, last) = match trimmed.rsplit_once('/') {
            Some((d, l)) => (d, l),
            None => ("", trimmed),
        };
        for c in dirs.split('/') {
            self.enter(c)?;
        }
        Ok(last.to_string())
    }

    /// Replaces `name` by its symlink target (repeatedly) until it names a non-link.
    fn follow(&mut self, mut name: String) -> Result<String> {
        loop {
            if matches!(name.as_str(), "" | "." | "..") {
                return Ok(name);
            }
            match readlinkat(self.cur(), &name) {
                Ok(target) => {
                    self.bump()?;
                    name = self.walk_dirs(&target)?;
                }
                // EINVAL: exists and is not a link; ENOENT: a name to create.
                Err(ErrorCode::Invalid | ErrorCode::NoEntry) => return Ok(name),
                Err(e) => return Err(e),
            }
        }
    }

    /// Resolves `path` to (directory, final name). With `follow` (or a trailing slash) a
    /// final symlink is resolved too. A final `..` is entered, so the name is then `.`.
    fn resolve(&mut self, path: &str, follow: bool) -> Result<String> {
        if path.is_empty() {
            return Err(ErrorCode::NoEntry);
        }
        let trailing = path.ends_with('/');
        let mut last = self.walk_dirs(path.as_bytes())?;
        if follow || trailing {
            last = self.follow(last)?;
        }
        if last == ".." {
            self.enter("..")?;
            last = ".".into();
        }
        if last.is_empty() {
            last = ".".into();
        }
        if trailing && last != "." {
            last.push('/');
        }
        Ok(last)
    }
}

/// A directory on the host.
#[derive(Debug)]
pub struct HostDir {
    fd: OwnedFd,
}

/// A regular file (or other non-directory) on the host.
#[derive(Debug)]
pub struct HostFile {
    file: std::fs::File,
    /// What the file was when opened (an fd keeps its inode, so this never changes).
    ty: DescriptorType,
    /// (device, inode) from the same fstat, for the same reason.
    id: (u64, u64),
    /// O_APPEND, mirrored so fdstat needs no fcntl.
    append: std::sync::atomic::AtomicBool,
}

pub enum HostOpened {
    Dir(HostDir),
    File(HostFile),
}

impl HostDir {
    /// Opens a host directory to serve as a preopen.
    pub fn open(path: &std::path::Path) -> Result<HostDir> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| ErrorCode::IllegalByteSequence)?;
        let fd = openat(libc::AT_FDCWD, &c, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
        Ok(HostDir { fd })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn stat(&self) -> Result<Stat> {
        fstat(self.fd.as_raw_fd())
    }

    pub fn open_at(
        &self,
        path: &str,
        follow: bool,
        o: OpenFlags,
        f: DescriptorFlags,
    ) -> Result<HostOpened> {
        let mut w = Walk::new(&self.fd);
        let mut name = w.resolve(path, false)?;
        let mut o = o;
        if o.create && o.directory {
            // open(2) cannot create directories (Linux answers EINVAL): an existing one is
            // `exist` under excl and simply opened otherwise; a missing one is `inval`.
            match fstatat(w.cur(), name.trim_end_matches('/'), false) {
                Ok(_) if o.exclusive => return Err(ErrorCode::Exist),
                Ok(_) => {
                    o.create = false;
                }
                Err(ErrorCode::NoEntry) => return Err(ErrorCode::Invalid),
                Err(e) => return Err(e),
            }
        }
        // No O_NONBLOCK unless asked: regular files ignore it, and a FIFO opened by a
        // blocking guest should block like open(2) does.
        let mut flags = libc::O_NOFOLLOW;
        if f.nonblock {
            flags |= libc::O_NONBLOCK;
        }
        flags |= match (f.read || !f.write, f.write) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
        if o.create {
            flags |= libc::O_CREAT;
        }
        if o.exclusive {
            flags |= libc::O_EXCL;
        }
        if o.truncate {
            flags |= libc::O_TRUNC;
        }
        if o.directory {
            flags |= libc::O_DIRECTORY;
        }
        if f.append {
            flags |= libc::O_APPEND;
        }
        if f.data_sync {
            flags |= libc::O_DSYNC;
        }
        if f.file_sync || f.read_sync {
            flags |= libc::O_SYNC;
        }
        let fd = loop {
            let c = cstr(&name)?;
            match openat(w.cur(), &c, flags, 0o666) {
                Ok(fd) => break fd,
                // O_NOFOLLOW hit a symlink (ELOOP, or ENOTDIR with O_DIRECTORY): follow it
                // ourselves, inside the sandbox.
                Err(e @ (ErrorCode::Loop | ErrorCode::NotDirectory))
                    if follow && !(o.create && o.exclusive) =>
                {
                    let trailing = name.ends_with('/');
                    let bare = name.trim_end_matches('/').to_string();
                    let next = w.follow(bare.clone())?;
                    if next == bare {
                        return Err(e);
                    }
                    name = if trailing { next + "/" } else { next };
                    if w.links > MAX_SYMLINKS {
                        return Err(ErrorCode::Loop);
                    }
                }
                // Opening a directory for writing: POSIX says EISDIR; a read-only retry
                // serves opens that only asked for write rights they will not use.
                Err(ErrorCode::IsDirectory) if !o.create && !o.truncate && !f.write => {
                    break openat(
                        w.cur(),
                        &c,
                        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                        0,
                    )?
                }
                Err(e) => return Err(e),
            }
        };
        let st = fstat(fd.as_raw_fd())?;
        if st.ty() == DescriptorType::Directory {
            if f.write {
                return Err(ErrorCode::IsDirectory);
            }
            return Ok(HostOpened::Dir(HostDir { fd }));
        }
        if o.directory {
            return Err(ErrorCode::NotDirectory);
        }
        Ok(HostOpened::File(HostFile {
            file: std::fs::File::from(fd),
            ty: st.ty(),
            id: (st.dev, st.ino),
            append: f.append.into(),
        }))
    }

    pub fn stat_at(&self, path: &str, follow: bool) -> Result<Stat> {
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, follow)?;
        fstatat(w.cur(), &name, false)
    }

    pub fn set_times_at(
        &self,
        path: &str,
        follow: bool,
        atim: NewTimestamp,
        mtim: NewTimestamp,
    ) -> Result<()> {
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, follow)?;
        let c = cstr(&name)?;
        let ts = [timespec(atim), timespec(mtim)];
        // SAFETY: valid pointers.
        check(unsafe {
            libc::utimensat(w.cur(), c.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW)
        })
        .map(|_| ())
    }

    pub fn create_directory_at(&self, path: &str) -> Result<()> {
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, false)?;
        let c = cstr(&name)?;
        // SAFETY: valid C string.
        check(unsafe { libc::mkdirat(w.cur(), c.as_ptr(), 0o777) }).map(|_| ())
    }

    pub fn remove_directory_at(&self, path: &str) -> Result<()> {
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, false)?;
        let c = cstr(&name)?;
        // SAFETY: valid C string.
        check(unsafe { libc::unlinkat(w.cur(), c.as_ptr(), libc::AT_REMOVEDIR) }).map(|_| ())
    }

    pub fn unlink_file_at(&self, path: &str) -> Result<()> {
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, false)?;
        if name.ends_with('/') {
            // "file/" names a directory that is not there; a real directory is refused too.
            let st = fstatat(w.cur(), name.trim_end_matches('/'), false)?;
            return Err(if st.ty() == DescriptorType::Directory {
                ErrorCode::IsDirectory
            } else {
                ErrorCode::NotDirectory
            });
        }
        let c = cstr(&name)?;
        // SAFETY: valid C string.
        match check(unsafe { libc::unlinkat(w.cur(), c.as_ptr(), 0) }) {
            Ok(_) => Ok(()),
            // Linux reports EISDIR for directories; keep it (witx: isdir).
            Err(e) => Err(e),
        }
    }

    pub fn rename_at(&self, old: &str, new_dir: &HostDir, new: &str) -> Result<()> {
        let mut a = Walk::new(&self.fd);
        let on = a.resolve(old, false)?;
        let mut b = Walk::new(&new_dir.fd);
        let nn = b.resolve(new, false)?;
        // A trailing slash on either side requires the source to be a directory.
        if on.ends_with('/') || nn.ends_with('/') {
            let st = fstatat(a.cur(), on.trim_end_matches('/'), false)?;
            if st.ty() != DescriptorType::Directory {
                return Err(ErrorCode::NotDirectory);
            }
        }
        let (oc, nc) = (
            cstr(on.trim_end_matches('/'))?,
            cstr(nn.trim_end_matches('/'))?,
        );
        // SAFETY: valid C strings.
        check(unsafe { libc::renameat(a.cur(), oc.as_ptr(), b.cur(), nc.as_ptr()) }).map(|_| ())
    }

    pub fn link_at(&self, old: &str, follow: bool, new_dir: &HostDir, new: &str) -> Result<()> {
        let mut a = Walk::new(&self.fd);
        let on = a.resolve(old, follow)?;
        let mut b = Walk::new(&new_dir.fd);
        let nn = b.resolve(new, false)?;
        if nn.ends_with('/') {
            return Err(ErrorCode::NoEntry);
        }
        let (oc, nc) = (cstr(&on)?, cstr(&nn)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::linkat(a.cur(), oc.as_ptr(), b.cur(), nc.as_ptr(), 0) }).map(|_| ())
    }

    pub fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        // An absolute target could only ever point outside the sandbox.
        if target.starts_with('/') {
            return Err(ErrorCode::NotPermitted);
        }
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, false)?;
        if name.ends_with('/') {
            // Linux: a link name with a trailing slash must already be a directory.
            let bare = name.trim_end_matches('/');
            return Err(match fstatat(w.cur(), bare, false) {
                Ok(_) => ErrorCode::Exist,
                Err(_) => ErrorCode::NoEntry,
            });
        }
        let (t, c) = (cstr(target)?, cstr(&name)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::symlinkat(t.as_ptr(), w.cur(), c.as_ptr()) }).map(|_| ())
    }

    pub fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        let mut w = Walk::new(&self.fd);
        let name = w.resolve(path, false)?;
        if name.ends_with('/') {
            return Err(ErrorCode::NotDirectory);
        }
        readlinkat(w.cur(), &name)
    }

    /// The whole listing, `.` and `..` first (the witx front end resumes by index).
    pub fn read_dir(&self) -> Result<Vec<DirEntry>> {
        // SAFETY: dup gives us an fd that fdopendir may own and close.
        let dup = retry(|| unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
        // SAFETY: dup is a valid directory fd.
        let dirp = unsafe { libc::fdopendir(dup) };
        if dirp.is_null() {
            let e = ErrorCode::last_os();
            // SAFETY: we still own dup.
            unsafe { libc::close(dup) };
            return Err(e);
        }
        // SAFETY: dirp is valid until closedir below.
        unsafe { libc::rewinddir(dirp) };
        let mut out = Vec::new();
        loop {
            // SAFETY: readdir on a valid stream.
            let ent = unsafe { libc::readdir64(dirp) };
            if ent.is_null() {
                break;
            }
            // SAFETY: d_name is NUL-terminated within the entry.
            let (name, ino, dt) = unsafe {
                let e = &*ent;
                (
                    CStr::from_ptr(e.d_name.as_ptr()).to_bytes().to_vec(),
                    e.d_ino,
                    e.d_type,
                )
            };
            let ty = match dt {
                libc::DT_REG => DescriptorType::RegularFile,
                libc::DT_DIR => DescriptorType::Directory,
                libc::DT_LNK => DescriptorType::SymbolicLink,
                libc::DT_CHR => DescriptorType::CharacterDevice,
                libc::DT_BLK => DescriptorType::BlockDevice,
                libc::DT_SOCK => DescriptorType::Socket,
                libc::DT_FIFO => DescriptorType::Fifo,
                _ => std::str::from_utf8(&name)
                    .ok()
                    .and_then(|n| fstatat(self.fd.as_raw_fd(), n, false).ok())
                    .map_or(DescriptorType::Unknown, |s| s.ty()),
            };
            out.push(DirEntry { name, ino, ty });
        }
        // SAFETY: closes dirp and dup.
        unsafe { libc::closedir(dirp) };
        // Kernel order is arbitrary; put `.` and `..` first so cookies 0 and 1 are stable.
        out.sort_by_key(|e| match e.name.as_slice() {
            b"." => 0,
            b".." => 1,
            _ => 2,
        });
        Ok(out)
    }

    pub fn sync(&self) -> Result<()> {
        // SAFETY: plain fsync on our fd.
        check(unsafe { libc::fsync(self.fd.as_raw_fd()) }).map(|_| ())
    }

    pub fn set_times(&self, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
        futimens(self.fd.as_raw_fd(), atim, mtim)
    }

    pub fn try_clone(&self) -> Result<HostDir> {
        Ok(HostDir {
            fd: self.fd.try_clone()?,
        })
    }
}

fn futimens(fd: RawFd, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
    let ts = [timespec(atim), timespec(mtim)];
    // SAFETY: valid pointer to two timespecs.
    check(unsafe { libc::futimens(fd, ts.as_ptr()) }).map(|_| ())
}

fn get_fl(fd: RawFd) -> Result<libc::c_int> {
    // SAFETY: F_GETFL takes no pointer.
    check(unsafe { libc::fcntl(fd, libc::F_GETFL) })
}

fn set_fl(fd: RawFd, bit: libc::c_int, on: bool) -> Result<()> {
    let cur = get_fl(fd)?;
    let new = if on { cur | bit } else { cur & !bit };
    if new != cur {
        // SAFETY: F_SETFL with an int.
        check(unsafe { libc::fcntl(fd, libc::F_SETFL, new) })?;
    }
    Ok(())
}

impl HostFile {
    pub fn from_std(file: std::fs::File) -> Result<Self> {
        let st = fstat(file.as_raw_fd())?;
        let append = get_fl(file.as_raw_fd())? & libc::O_APPEND != 0;
        Ok(HostFile {
            file,
            ty: st.ty(),
            id: (st.dev, st.ino),
            append: append.into(),
        })
    }
    pub fn raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
    #[inline]
    pub fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        Ok((&self.file).read_vectored(bufs)?)
    }
    #[inline]
    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        Ok((&self.file).write_vectored(bufs)?)
    }
    /// # Safety
    /// Every iovec names memory valid for writes for the duration of the call.
    pub unsafe fn readv_raw(&self, iov: &[libc::iovec], off: Option<u64>) -> Result<usize> {
        let cnt = iov.len().min(1024) as libc::c_int;
        let n = match off {
            // SAFETY: per this function's contract.
            None => retry(|| unsafe { libc::readv(self.raw_fd(), iov.as_ptr(), cnt) })?,
            Some(off) => {
                let off = i64::try_from(off).map_err(|_| ErrorCode::Invalid)?;
                // SAFETY: per this function's contract.
                retry(|| unsafe { libc::preadv(self.raw_fd(), iov.as_ptr(), cnt, off) })?
            }
        };
        Ok(n as usize)
    }
    /// `None` for a positional write on an append descriptor (that takes the IoSlice path).
    ///
    /// # Safety
    /// Every iovec names memory valid for reads for the duration of the call.
    pub unsafe fn writev_raw(
        &self,
        iov: &[libc::iovec],
        off: Option<u64>,
    ) -> Option<Result<usize>> {
        let cnt = iov.len().min(1024) as libc::c_int;
        let r = match off {
            // SAFETY: per this function's contract.
            None => retry(|| unsafe { libc::writev(self.raw_fd(), iov.as_ptr(), cnt) }),
            Some(_) if self.append() => return None,
            Some(off) => match i64::try_from(off) {
                // SAFETY: per this function's contract.
                Ok(off) => {
                    retry(|| unsafe { libc::pwritev(self.raw_fd(), iov.as_ptr(), cnt, off) })
                }
                Err(_) => Err(ErrorCode::Invalid),
            },
        };
        Some(r.map(|n| n as usize))
    }
    pub fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], off: u64) -> Result<usize> {
        let cnt = bufs.len().min(1024) as libc::c_int;
        let off = i64::try_from(off).map_err(|_| ErrorCode::Invalid)?;
        // SAFETY: IoSliceMut is iovec-compatible; buffers valid for writes.
        retry(|| unsafe {
            libc::preadv(self.raw_fd(), bufs.as_ptr() as *const libc::iovec, cnt, off)
        })
        .map(|n| n as usize)
    }
    pub fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], off: u64) -> Result<usize> {
        let off = i64::try_from(off).map_err(|_| ErrorCode::Invalid)?;
        if self.append() {
            return self.pwrite_noappend(bufs, off);
        }
        let cnt = bufs.len().min(1024) as libc::c_int;
        // SAFETY: IoSlice is iovec-compatible.
        retry(|| unsafe {
            libc::pwritev(self.raw_fd(), bufs.as_ptr() as *const libc::iovec, cnt, off)
        })
        .map(|n| n as usize)
    }
    /// pwrite on an O_APPEND fd writes at `off`, as POSIX and WASI 0.2's
    /// `descriptor.write(offset)` say; Linux's pwrite would append instead. Linux 6.9+
    /// does it in one call (RWF_NOAPPEND); elsewhere O_APPEND is cleared around the write
    /// (then a concurrent append through the same fd may land at the offset).
    fn pwrite_noappend(&self, bufs: &[IoSlice<'_>], off: i64) -> Result<usize> {
        let cnt = bufs.len().min(1024) as libc::c_int;
        #[cfg(target_os = "linux")]
        {
            // SAFETY: IoSlice is iovec-compatible.
            let r = retry(|| unsafe {
                libc::pwritev2(
                    self.raw_fd(),
                    bufs.as_ptr() as *const libc::iovec,
                    cnt,
                    off,
                    libc::RWF_NOAPPEND,
                )
            });
            match r {
                Err(ErrorCode::Invalid | ErrorCode::Unsupported) => {}
                r => return r.map(|n| n as usize),
            }
        }
        set_fl(self.raw_fd(), libc::O_APPEND, false)?;
        // SAFETY: IoSlice is iovec-compatible.
        let r = retry(|| unsafe {
            libc::pwritev(self.raw_fd(), bufs.as_ptr() as *const libc::iovec, cnt, off)
        });
        set_fl(self.raw_fd(), libc::O_APPEND, true)?;
        r.map(|n| n as usize)
    }
    pub fn seek(&self, delta: i64, whence: Whence) -> Result<u64> {
        let w = match whence {
            Whence::Set => libc::SEEK_SET,
            Whence::Cur => libc::SEEK_CUR,
            Whence::End => libc::SEEK_END,
        };
        // SAFETY: lseek on our fd.
        let r = unsafe { libc::lseek(self.raw_fd(), delta, w) };
        if r < 0 {
            Err(ErrorCode::last_os())
        } else {
            Ok(r as u64)
        }
    }
    pub fn stat(&self) -> Result<Stat> {
        fstat(self.raw_fd())
    }
    /// (device, inode), known since the open.
    pub fn identity(&self) -> (u64, u64) {
        self.id
    }
    pub fn set_size(&self, size: u64) -> Result<()> {
        Ok(self.file.set_len(size)?)
    }
    pub fn set_times(&self, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
        futimens(self.raw_fd(), atim, mtim)
    }
    pub fn sync(&self) -> Result<()> {
        Ok(self.file.sync_all()?)
    }
    pub fn datasync(&self) -> Result<()> {
        Ok(self.file.sync_data()?)
    }
    pub fn advise(&self, off: u64, len: u64, a: Advice) -> Result<()> {
        let adv = match a {
            Advice::Normal => libc::POSIX_FADV_NORMAL,
            Advice::Sequential => libc::POSIX_FADV_SEQUENTIAL,
            Advice::Random => libc::POSIX_FADV_RANDOM,
            Advice::WillNeed => libc::POSIX_FADV_WILLNEED,
            Advice::DontNeed => libc::POSIX_FADV_DONTNEED,
            Advice::NoReuse => libc::POSIX_FADV_NOREUSE,
        };
        let (off, len) = (
            i64::try_from(off).map_err(|_| ErrorCode::Invalid)?,
            i64::try_from(len).map_err(|_| ErrorCode::Invalid)?,
        );
        // SAFETY: advisory call on our fd; returns the error number directly.
        let r = unsafe { libc::posix_fadvise(self.raw_fd(), off, len, adv) };
        match r {
            0 => Ok(()),
            // Pipes/devices cannot take advice; the advice is only a hint.
            libc::ESPIPE => Ok(()),
            e => Err(ErrorCode::from_raw_os(e)),
        }
    }
    pub fn allocate(&self, off: u64, len: u64) -> Result<()> {
        let end = off.checked_add(len).ok_or(ErrorCode::FileTooLarge)?;
        if i64::try_from(end).is_err() {
            return Err(ErrorCode::FileTooLarge);
        }
        // SAFETY: returns the error number directly.
        let r = unsafe { libc::posix_fallocate(self.raw_fd(), off as i64, len as i64) };
        match r {
            0 => Ok(()),
            // Filesystems without fallocate: grow with set_len (no holes guarantee).
            libc::EOPNOTSUPP => {
                if self.stat()?.size < end {
                    self.set_size(end)?;
                }
                Ok(())
            }
            e => Err(ErrorCode::from_raw_os(e)),
        }
    }
    pub fn append(&self) -> bool {
        self.append.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn set_append(&self, on: bool) -> Result<()> {
        set_fl(self.raw_fd(), libc::O_APPEND, on)?;
        self.append.store(on, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    pub fn file_type(&self) -> DescriptorType {
        self.ty
    }
}

/// Lossless `&[u8]` → `OsStr` for host names.
pub fn os_name(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}
