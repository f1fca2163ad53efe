//! `wasi:filesystem`: descriptors over a host directory or any virtual-fs tree, with
//! sandboxed path resolution (DESIGN.md §6) and read-only preopens.

pub mod host;
pub mod mounts;
pub mod stream;
pub mod types;
pub mod vfs;

use crate::core::ErrorCode;
use host::{HostDir, HostFile, HostOpened};
use mounts::MountView;
use std::io::{IoSlice, IoSliceMut};
pub use types::*;
use vfs::{VfsDir, VfsFile, VfsOpened};

type Result<T> = std::result::Result<T, ErrorCode>;

pub enum DirKind {
    Host(HostDir),
    Vfs(VfsDir),
    /// A directory of a mount tree's root part (see `mounts`).
    Mounts(MountView),
}

pub enum FileKind {
    Host(HostFile),
    Vfs(VfsFile),
}

/// A directory descriptor. `readonly` is inherited by everything opened beneath it.
pub struct Dir {
    pub kind: DirKind,
    pub readonly: bool,
}

/// A file descriptor; `flags` records the access it was opened with, `readonly` that it
/// was opened beneath a read-only preopen (so even metadata may not change).
pub struct File {
    pub kind: FileKind,
    pub flags: DescriptorFlags,
    pub readonly: bool,
}

pub enum Descriptor {
    Dir(Dir),
    File(File),
    /// A device file that stands for one of the process's own descriptors (`/dev/stdout`
    /// is fd 1): the front end duplicates that descriptor.
    Stdio(u32),
}

macro_rules! both {
    ($self:expr, $d:ident => $e:expr) => {
        match &$self.kind {
            DirKind::Host($d) => $e,
            DirKind::Vfs($d) => $e,
            DirKind::Mounts($d) => $e,
        }
    };
}

macro_rules! file {
    ($self:expr, $f:ident => $e:expr) => {
        match &$self.kind {
            FileKind::Host($f) => $e,
            FileKind::Vfs($f) => $e,
        }
    };
}

impl Dir {
    pub fn host(path: &std::path::Path, readonly: bool) -> Result<Dir> {
        Ok(Dir {
            kind: DirKind::Host(HostDir::open(path)?),
            readonly,
        })
    }

    pub fn memory() -> Dir {
        Dir {
            kind: DirKind::Vfs(VfsDir::memory()),
            readonly: false,
        }
    }

    pub fn virtual_fs(
        fs: std::sync::Arc<dyn virtual_fs::FileSystem + Send + Sync>,
        path: &str,
        readonly: bool,
    ) -> Result<Dir> {
        Ok(Dir {
            kind: DirKind::Vfs(VfsDir::new(fs, path)?),
            readonly,
        })
    }

    fn writable(&self) -> Result<()> {
        if self.readonly {
            Err(ErrorCode::ReadOnly)
        } else {
            Ok(())
        }
    }

    pub fn stat(&self) -> Result<Stat> {
        both!(self, d => d.stat())
    }

    pub fn open_at(
        &self,
        path: &str,
        follow: bool,
        o: OpenFlags,
        f: DescriptorFlags,
    ) -> Result<Descriptor> {
        if f.write || f.append || o.create || o.truncate {
            self.writable()?;
        }
        let readonly = self.readonly;
        Ok(match &self.kind {
            DirKind::Host(d) => match d.open_at(path, follow, o, f)? {
                HostOpened::Dir(d) => Descriptor::Dir(Dir {
                    kind: DirKind::Host(d),
                    readonly,
                }),
                HostOpened::File(h) => Descriptor::File(File {
                    kind: FileKind::Host(h),
                    flags: f,
                    readonly,
                }),
            },
            DirKind::Vfs(d) => match d.open_at(path, o, f)? {
                VfsOpened::Dir(d) => Descriptor::Dir(Dir {
                    kind: DirKind::Vfs(d),
                    readonly,
                }),
                VfsOpened::File(v) => Descriptor::File(File {
                    kind: FileKind::Vfs(v),
                    flags: f,
                    readonly,
                }),
                VfsOpened::Stdio(n) => Descriptor::Stdio(n),
            },
            DirKind::Mounts(m) => m.open_at(path, follow, o, f)?,
        })
    }

    pub fn stat_at(&self, path: &str, follow: bool) -> Result<Stat> {
        match &self.kind {
            DirKind::Host(d) => d.stat_at(path, follow),
            DirKind::Vfs(d) => d.stat_at(path),
            DirKind::Mounts(m) => m.stat_at(path, follow),
        }
    }

    pub fn set_times_at(
        &self,
        path: &str,
        follow: bool,
        a: NewTimestamp,
        m: NewTimestamp,
    ) -> Result<()> {
        self.writable()?;
        match &self.kind {
            DirKind::Host(d) => d.set_times_at(path, follow, a, m),
            DirKind::Vfs(d) => d.set_times_at(path, a, m),
            DirKind::Mounts(v) => v.set_times_at(path, follow, a, m),
        }
    }

    pub fn set_times(&self, a: NewTimestamp, m: NewTimestamp) -> Result<()> {
        self.writable()?;
        both!(self, d => d.set_times(a, m))
    }

    pub fn create_directory_at(&self, path: &str) -> Result<()> {
        self.writable()?;
        both!(self, d => d.create_directory_at(path))
    }

    pub fn remove_directory_at(&self, path: &str) -> Result<()> {
        self.writable()?;
        both!(self, d => d.remove_directory_at(path))
    }

    pub fn unlink_file_at(&self, path: &str) -> Result<()> {
        self.writable()?;
        both!(self, d => d.unlink_file_at(path))
    }

    pub fn rename_at(&self, old: &str, new_dir: &Dir, new: &str) -> Result<()> {
        self.writable()?;
        new_dir.writable()?;
        match (&self.kind, &new_dir.kind) {
            (DirKind::Mounts(a), _) => a.rename_at(old, new_dir, new),
            (_, DirKind::Mounts(b)) => {
                let (nd, nr) = b.resolve_for(new)?;
                self.rename_at(old, nd, &nr)
            }
            (DirKind::Host(a), DirKind::Host(b)) => a.rename_at(old, b, new),
            (DirKind::Vfs(a), DirKind::Vfs(b)) => a.rename_at(old, b, new),
            _ => Err(ErrorCode::CrossDevice),
        }
    }

    pub fn link_at(&self, old: &str, follow: bool, new_dir: &Dir, new: &str) -> Result<()> {
        // A link out of a read-only tree would make its file writable through the new name.
        self.writable()?;
        new_dir.writable()?;
        match (&self.kind, &new_dir.kind) {
            (DirKind::Mounts(a), _) => a.link_at(old, follow, new_dir, new),
            (_, DirKind::Mounts(b)) => {
                let (nd, nr) = b.resolve_for(new)?;
                self.link_at(old, follow, nd, &nr)
            }
            (DirKind::Host(a), DirKind::Host(b)) => a.link_at(old, follow, b, new),
            (DirKind::Vfs(a), DirKind::Vfs(b)) => a.link_at(old, b, new),
            _ => Err(ErrorCode::CrossDevice),
        }
    }

    pub fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        self.writable()?;
        both!(self, d => d.symlink_at(target, path))
    }

    pub fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        both!(self, d => d.readlink_at(path))
    }

    /// The full listing, `.` and `..` first.
    pub fn read_dir(&self) -> Result<Vec<DirEntry>> {
        both!(self, d => d.read_dir())
    }

    pub fn sync(&self) -> Result<()> {
        match &self.kind {
            DirKind::Host(d) => d.sync(),
            DirKind::Vfs(_) => Ok(()),
            DirKind::Mounts(m) => m.sync(),
        }
    }
}

impl File {
    #[inline]
    pub fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        file!(self, f => f.read_vectored(bufs))
    }
    #[inline]
    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        file!(self, f => f.write_vectored(bufs))
    }
    pub fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], off: u64) -> Result<usize> {
        file!(self, f => f.pread_vectored(bufs, off))
    }
    /// Reads into buffers given as raw iovecs (at `off`, or the cursor), straight from the
    /// kernel: for a shared guest memory, which Rust must never reference, this saves the
    /// copy through a scratch buffer. `None`: not a host file (the caller copies).
    ///
    /// # Safety
    /// Every iovec names memory valid for writes for the duration of the call.
    pub unsafe fn readv_raw(&self, iov: &[libc::iovec], off: Option<u64>) -> Option<Result<usize>> {
        match &self.kind {
            // SAFETY: per this function's contract.
            FileKind::Host(f) => Some(unsafe { f.readv_raw(iov, off) }),
            FileKind::Vfs(_) => None,
        }
    }
    /// The write counterpart of [`File::readv_raw`].
    ///
    /// # Safety
    /// Every iovec names memory valid for reads for the duration of the call.
    pub unsafe fn writev_raw(
        &self,
        iov: &[libc::iovec],
        off: Option<u64>,
    ) -> Option<Result<usize>> {
        match &self.kind {
            // SAFETY: per this function's contract.
            FileKind::Host(f) => unsafe { f.writev_raw(iov, off) },
            FileKind::Vfs(_) => None,
        }
    }
    pub fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], off: u64) -> Result<usize> {
        file!(self, f => f.pwrite_vectored(bufs, off))
    }
    /// `read_vectored` at the cursor (`None`) or `pread_vectored` at `off`.
    pub fn read_at(&self, bufs: &mut [IoSliceMut<'_>], off: Option<u64>) -> Result<usize> {
        match off {
            None => self.read_vectored(bufs),
            Some(o) => self.pread_vectored(bufs, o),
        }
    }
    /// `write_vectored` at the cursor (`None`) or `pwrite_vectored` at `off`.
    pub fn write_at(&self, bufs: &[IoSlice<'_>], off: Option<u64>) -> Result<usize> {
        match off {
            None => self.write_vectored(bufs),
            Some(o) => self.pwrite_vectored(bufs, o),
        }
    }
    pub fn seek(&self, delta: i64, whence: Whence) -> Result<u64> {
        file!(self, f => f.seek(delta, whence))
    }
    pub fn stat(&self) -> Result<Stat> {
        file!(self, f => f.stat())
    }

    /// (device, inode): a host file knows it since its open (WASI 0.2 programs ask for it
    /// after every stat, through `metadata-hash`), an in-memory one looks it up.
    pub fn identity(&self) -> Result<(u64, u64)> {
        match &self.kind {
            FileKind::Host(f) => Ok(f.identity()),
            FileKind::Vfs(_) => self.stat().map(|s| (s.dev, s.ino)),
        }
    }
    fn writable(&self) -> Result<()> {
        if self.readonly {
            Err(ErrorCode::ReadOnly)
        } else {
            Ok(())
        }
    }
    pub fn set_size(&self, size: u64) -> Result<()> {
        self.writable()?;
        file!(self, f => f.set_size(size))
    }
    pub fn set_times(&self, a: NewTimestamp, m: NewTimestamp) -> Result<()> {
        self.writable()?;
        file!(self, f => f.set_times(a, m))
    }
    pub fn sync(&self) -> Result<()> {
        file!(self, f => f.sync())
    }
    pub fn datasync(&self) -> Result<()> {
        match &self.kind {
            FileKind::Host(f) => f.datasync(),
            FileKind::Vfs(f) => f.sync(),
        }
    }
    pub fn advise(&self, off: u64, len: u64, a: Advice) -> Result<()> {
        match &self.kind {
            FileKind::Host(f) => f.advise(off, len, a),
            FileKind::Vfs(_) => Ok(()),
        }
    }
    pub fn allocate(&self, off: u64, len: u64) -> Result<()> {
        self.writable()?;
        file!(self, f => f.allocate(off, len))
    }
    /// Current flags: as opened (sync modes cannot change), with the live append bit.
    /// No syscall.
    pub fn flags(&self) -> DescriptorFlags {
        let mut fl = self.flags;
        fl.append = match &self.kind {
            FileKind::Host(f) => f.append(),
            FileKind::Vfs(f) => f.append(),
        };
        fl
    }
    /// The file's type as opened (no syscall).
    pub fn file_type(&self) -> Result<DescriptorType> {
        match &self.kind {
            FileKind::Host(f) => Ok(f.file_type()),
            FileKind::Vfs(_) => Ok(DescriptorType::RegularFile),
        }
    }
    pub fn set_append(&self, on: bool) -> Result<()> {
        match &self.kind {
            FileKind::Host(f) => f.set_append(on),
            FileKind::Vfs(f) => {
                f.set_append(on);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
