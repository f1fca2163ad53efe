//! Backend over any `virtual_fs::FileSystem` (an in-memory tree, or whatever the embedder
//! passes). Paths are resolved lexically beneath the descriptor (`..` may not climb above
//! it, absolute paths are refused); virtual-fs has no inode numbers, so the core assigns
//! stable ones per path.

use super::types::*;
use crate::core::io::poll::block_on;
use crate::core::ErrorCode;
use std::collections::HashMap;
use std::io::{IoSlice, IoSliceMut, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use virtual_fs::{FileSystem, VirtualFile};

type Result<T> = std::result::Result<T, ErrorCode>;

/// Stable inode numbers for a virtual tree, keyed by path; renames carry them along.
/// Lock order: `map` is a leaf (no other lock is taken under it, and it is never held
/// across a backend call).
#[derive(Default, Debug)]
pub struct Inodes {
    map: Mutex<(HashMap<PathBuf, u64>, u64)>,
}

impl Inodes {
    pub fn of(&self, p: &Path) -> u64 {
        let mut g = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = g.0.get(p) {
            return *i;
        }
        g.1 += 1;
        let i = g.1 + 1; // 1 is the root
        let i = if p == Path::new("/") { 1 } else { i };
        g.0.insert(p.to_path_buf(), i);
        i
    }
    fn renamed(&self, from: &Path, to: &Path) {
        let mut g = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let moved: Vec<(PathBuf, u64)> =
            g.0.iter()
                .filter(|(k, _)| k.starts_with(from))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
        g.0.retain(|k, _| !k.starts_with(to));
        for (k, v) in moved {
            g.0.remove(&k);
            let rest = k.strip_prefix(from).unwrap_or(Path::new(""));
            g.0.insert(to.join(rest), v);
        }
    }
    fn forget(&self, p: &Path) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .remove(p);
    }
}

/// (atime, mtime) overrides of a directory; `None` keeps the backend's value.
type DirTimes = (Option<u64>, Option<u64>);

/// Shared by every descriptor of one virtual tree.
#[derive(Debug)]
pub struct VfsRoot {
    pub fs: Arc<dyn FileSystem + Send + Sync>,
    pub inodes: Inodes,
    pub dev: u64,
    /// Directory (atime, mtime) set by the guest: virtual-fs cannot store them itself.
    /// A leaf lock, like `inodes`; never held with it nor across a backend call.
    dir_times: Mutex<HashMap<PathBuf, DirTimes>>,
}

impl VfsRoot {
    fn with_dir_times(&self, p: &Path, mut st: Stat) -> Stat {
        if let Some((a, m)) = self
            .dir_times
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(p)
        {
            st.atim = a.unwrap_or(st.atim);
            st.mtim = m.unwrap_or(st.mtim);
        }
        st
    }
}

#[derive(Clone, Debug)]
pub struct VfsDir {
    root: Arc<VfsRoot>,
    path: PathBuf,
}

pub struct VfsFile {
    root: Arc<VfsRoot>,
    path: PathBuf,
    /// The open file, used by one operation at a time (a pread's seek-read-seek must not
    /// interleave with another). An async mutex: the guard lives inside the future that
    /// `block_on` runs, so no std lock is held across a wait, and a second thread that
    /// wants the file parks on its own waker until the first is done. Lock order: taken
    /// alone; `root.inodes` and `root.dir_times` are never taken under it.
    file: tokio::sync::Mutex<Box<dyn VirtualFile + Send + Sync>>,
    append: std::sync::atomic::AtomicBool,
}

pub enum VfsOpened {
    Dir(VfsDir),
    File(VfsFile),
    /// A device file standing for one of the process's descriptors (virtual-fs's
    /// `DeviceFile`: `/dev/stdin`, `/dev/stdout`, `/dev/stderr`).
    Stdio(u32),
}

fn meta_stat(root: &VfsRoot, path: &Path, m: &virtual_fs::Metadata) -> Stat {
    let ty = if m.ft.dir {
        DescriptorType::Directory
    } else if m.ft.symlink {
        DescriptorType::SymbolicLink
    } else if m.ft.char_device {
        DescriptorType::CharacterDevice
    } else if m.ft.block_device {
        DescriptorType::BlockDevice
    } else if m.ft.socket {
        DescriptorType::Socket
    } else if m.ft.fifo {
        DescriptorType::Fifo
    } else {
        DescriptorType::RegularFile
    };
    let st = Stat {
        dev: root.dev,
        ino: root.inodes.of(path),
        ty: Some(ty),
        nlink: 1,
        size: m.len,
        atim: m.accessed,
        mtim: m.modified,
        ctim: m.modified.max(m.created),
    };
    if ty == DescriptorType::Directory {
        root.with_dir_times(path, st)
    } else {
        st
    }
}

impl VfsDir {
    /// A descriptor for `path` (absolute, inside `fs`) — used for preopens.
    pub fn new(fs: Arc<dyn FileSystem + Send + Sync>, path: &str) -> Result<VfsDir> {
        static DEV: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x7766_0000);
        let dev = DEV.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = Arc::new(VfsRoot {
            fs,
            inodes: Inodes::default(),
            dev,
            dir_times: Default::default(),
        });
        let d = VfsDir {
            root,
            path: PathBuf::from(path),
        };
        if !d.root.fs.metadata(&d.path)?.is_dir() {
            return Err(ErrorCode::NotDirectory);
        }
        Ok(d)
    }

    /// A fresh in-memory tree.
    pub fn memory() -> VfsDir {
        let fs: Arc<dyn FileSystem + Send + Sync> =
            Arc::new(virtual_fs::mem_fs::FileSystem::default());
        VfsDir::new(fs, "/").expect("mem_fs root is a directory")
    }

    /// Lexical resolution beneath this directory.
    fn resolve(&self, path: &str) -> Result<(PathBuf, bool)> {
        if path.is_empty() {
            return Err(ErrorCode::NoEntry);
        }
        if path.contains('\0') {
            return Err(ErrorCode::IllegalByteSequence);
        }
        if path.starts_with('/') {
            return Err(ErrorCode::NotPermitted);
        }
        let trailing = path.ends_with('/');
        let mut out = self.path.clone();
        let mut depth = 0usize;
        for c in Path::new(path).components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    if depth == 0 {
                        return Err(ErrorCode::NotPermitted);
                    }
                    depth -= 1;
                    out.pop();
                }
                Component::Normal(n) => {
                    depth += 1;
                    out.push(n);
                }
                _ => return Err(ErrorCode::NotPermitted),
            }
        }
        Ok((out, trailing))
    }

    fn meta(&self, p: &Path) -> Result<virtual_fs::Metadata> {
        Ok(self.root.fs.metadata(p)?)
    }

    pub fn stat(&self) -> Result<Stat> {
        Ok(meta_stat(&self.root, &self.path, &self.meta(&self.path)?))
    }

    pub fn same_tree(&self, other: &VfsDir) -> bool {
        Arc::ptr_eq(&self.root, &other.root)
    }

    pub fn open_at(&self, path: &str, o: OpenFlags, f: DescriptorFlags) -> Result<VfsOpened> {
        let (p, trailing) = self.resolve(path)?;
        let existing = self.root.fs.metadata(&p);
        match &existing {
            Ok(m) if m.is_dir() => {
                if o.create && o.exclusive {
                    return Err(ErrorCode::Exist);
                }
                if f.write || o.truncate {
                    return Err(ErrorCode::IsDirectory);
                }
                return Ok(VfsOpened::Dir(VfsDir {
                    root: self.root.clone(),
                    path: p,
                }));
            }
            Ok(_) if o.directory || trailing => return Err(ErrorCode::NotDirectory),
            Ok(_) if o.create && o.exclusive => return Err(ErrorCode::Exist),
            Err(_) if !o.create => return Err(ErrorCode::NoEntry),
            Err(_) if o.directory || trailing => return Err(ErrorCode::NoEntry),
            _ => {}
        }
        let file = self
            .root
            .fs
            .new_open_options()
            .read(f.read || !f.write)
            .write(f.write || o.truncate || o.create)
            .create(o.create)
            .create_new(o.create && o.exclusive)
            .truncate(o.truncate)
            // Appending is done by `write_vectored` (seek to the end first), so that a
            // pwrite on an append descriptor still writes at its offset.
            .append(false)
            .open(&p)?;
        if let Some(fd) = file.get_special_fd() {
            return Ok(VfsOpened::Stdio(fd));
        }
        Ok(VfsOpened::File(VfsFile {
            root: self.root.clone(),
            path: p,
            file: tokio::sync::Mutex::new(file),
            append: f.append.into(),
        }))
    }

    pub fn stat_at(&self, path: &str) -> Result<Stat> {
        let (p, trailing) = self.resolve(path)?;
        let m = self
            .root
            .fs
            .symlink_metadata(&p)
            .or_else(|_| self.root.fs.metadata(&p))?;
        if trailing && !m.is_dir() {
            return Err(ErrorCode::NotDirectory);
        }
        Ok(meta_stat(&self.root, &p, &m))
    }

    pub fn create_directory_at(&self, path: &str) -> Result<()> {
        let (p, _) = self.resolve(path)?;
        if self.root.fs.metadata(&p).is_ok() {
            return Err(ErrorCode::Exist);
        }
        Ok(self.root.fs.create_dir(&p)?)
    }

    pub fn remove_directory_at(&self, path: &str) -> Result<()> {
        let (p, _) = self.resolve(path)?;
        if p == self.path {
            return Err(ErrorCode::Invalid);
        }
        if !self.meta(&p)?.is_dir() {
            return Err(ErrorCode::NotDirectory);
        }
        if self.root.fs.read_dir(&p)?.next().is_some() {
            return Err(ErrorCode::NotEmpty);
        }
        self.root.fs.remove_dir(&p)?;
        self.root.inodes.forget(&p);
        Ok(())
    }

    pub fn unlink_file_at(&self, path: &str) -> Result<()> {
        let (p, trailing) = self.resolve(path)?;
        let m = self.meta(&p)?;
        if m.is_dir() {
            return Err(ErrorCode::IsDirectory);
        }
        if trailing {
            return Err(ErrorCode::NotDirectory);
        }
        self.root.fs.remove_file(&p)?;
        self.root.inodes.forget(&p);
        Ok(())
    }

    /// Every check happens before anything changes, so a failing rename leaves both names
    /// as they were.
    pub fn rename_at(&self, old: &str, new_dir: &VfsDir, new: &str) -> Result<()> {
        if !self.same_tree(new_dir) {
            return Err(ErrorCode::CrossDevice);
        }
        let (a, at) = self.resolve(old)?;
        let (b, bt) = new_dir.resolve(new)?;
        let am = self.meta(&a)?;
        if (at || bt) && !am.is_dir() {
            return Err(ErrorCode::NotDirectory);
        }
        if a == b {
            // POSIX: renaming a name onto itself does nothing.
            return Ok(());
        }
        if b.starts_with(&a) {
            return Err(ErrorCode::Invalid);
        }
        let fs = &self.root.fs;
        match b.parent().map(|p| fs.metadata(p)) {
            Some(Ok(m)) if m.is_dir() => {}
            Some(Ok(_)) => return Err(ErrorCode::NotDirectory),
            _ => return Err(ErrorCode::NoEntry),
        }
        let target = fs.metadata(&b).ok();
        if let Some(bm) = &target {
            match (am.is_dir(), bm.is_dir()) {
                (true, false) => return Err(ErrorCode::NotDirectory),
                (false, true) => return Err(ErrorCode::IsDirectory),
                (true, true) if fs.read_dir(&b)?.next().is_some() => {
                    return Err(ErrorCode::NotEmpty)
                }
                _ => {}
            }
        }
        match target {
            // Onto an empty directory: virtual-fs renames only replace files (mem_fs would
            // leave two entries of one name), so the empty target goes first and comes
            // back if the rename fails. It is the one case another thread can see the name
            // missing for a moment; an empty directory has nothing else to lose.
            Some(bm) if bm.is_dir() => {
                fs.remove_dir(&b)?;
                if let Err(e) = block_on(fs.rename(&a, &b)) {
                    let _ = fs.create_dir(&b);
                    return Err(e.into());
                }
            }
            // Onto nothing or a file: one backend rename, which replaces a file atomically
            // (mem_fs under its tree lock, a host tree by rename(2)), so every reader
            // sees either the old target or the new one.
            _ => block_on(fs.rename(&a, &b))?,
        }
        self.root.inodes.renamed(&a, &b);
        Ok(())
    }

    pub fn link_at(&self, _old: &str, _new_dir: &VfsDir, _new: &str) -> Result<()> {
        Err(ErrorCode::Unsupported)
    }

    pub fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        if target.starts_with('/') {
            return Err(ErrorCode::NotPermitted);
        }
        let (p, _) = self.resolve(path)?;
        if self.root.fs.symlink_metadata(&p).is_ok() {
            return Err(ErrorCode::Exist);
        }
        // Links in a virtual tree are never followed by the core; keep them unsupported
        // rather than half-working.
        Err(ErrorCode::Unsupported)
    }

    pub fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        let (p, _) = self.resolve(path)?;
        self.meta(&p)?;
        // Nothing in a virtual tree is a link the core would follow.
        Err(ErrorCode::Invalid)
    }

    pub fn read_dir(&self) -> Result<Vec<DirEntry>> {
        let mut out = vec![
            DirEntry {
                name: b".".to_vec(),
                ino: self.root.inodes.of(&self.path),
                ty: DescriptorType::Directory,
            },
            DirEntry {
                name: b"..".to_vec(),
                ino: self
                    .root
                    .inodes
                    .of(self.path.parent().unwrap_or(&self.path)),
                ty: DescriptorType::Directory,
            },
        ];
        for e in self.root.fs.read_dir(&self.path)? {
            let e = e?;
            let p = e.path();
            let ty = match e.file_type() {
                Ok(ft) if ft.dir => DescriptorType::Directory,
                Ok(ft) if ft.symlink => DescriptorType::SymbolicLink,
                Ok(_) => DescriptorType::RegularFile,
                Err(_) => DescriptorType::Unknown,
            };
            let name = p
                .file_name()
                .map(|n| n.as_encoded_bytes().to_vec())
                .unwrap_or_default();
            out.push(DirEntry {
                name,
                ino: self.root.inodes.of(&p),
                ty,
            });
        }
        Ok(out)
    }

    pub fn set_times_at(&self, path: &str, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
        let (p, _) = self.resolve(path)?;
        let m = self.meta(&p)?;
        if m.is_dir() {
            return self.set_dir_times(p, atim, mtim);
        }
        let mut f = self.root.fs.new_open_options().read(true).open(&p)?;
        set_vfile_times(&mut *f, atim, mtim)
    }
}

impl VfsDir {
    fn set_dir_times(&self, p: PathBuf, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
        let mut g = self
            .root
            .dir_times
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let e = g.entry(p).or_default();
        e.0 = time_value(atim).or(e.0);
        e.1 = time_value(mtim).or(e.1);
        Ok(())
    }

    /// Times of this directory itself (fd_filestat_set_times on a directory fd).
    pub fn set_times(&self, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
        self.set_dir_times(self.path.clone(), atim, mtim)
    }
}

fn now_ns() -> u64 {
    crate::core::clocks::now(crate::core::clocks::ClockId::Realtime).unwrap_or(0)
}

/// The nanosecond value a `NewTimestamp` asks for (`None`: leave unchanged).
fn time_value(t: NewTimestamp) -> Option<u64> {
    match t {
        NewTimestamp::NoChange => None,
        NewTimestamp::Now => Some(now_ns()),
        NewTimestamp::At(n) => Some(n),
    }
}

fn set_vfile_times(
    f: &mut (dyn VirtualFile + Send + Sync),
    atim: NewTimestamp,
    mtim: NewTimestamp,
) -> Result<()> {
    Ok(f.set_times(time_value(atim), time_value(mtim))?)
}

type FileGuard<'a> = tokio::sync::MutexGuard<'a, Box<dyn VirtualFile + Send + Sync>>;

impl VfsFile {
    /// The file, for synchronous calls (no wait while it is held). Uncontended, the lock
    /// future is ready at its first poll: no park.
    fn lock(&self) -> FileGuard<'_> {
        block_on(self.file.lock())
    }
    pub fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        block_on(async { Ok(read_bufs(&mut **self.file.lock().await, bufs).await?) })
    }
    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        let append = self.append.load(std::sync::atomic::Ordering::Relaxed);
        block_on(async {
            let mut f = self.file.lock().await;
            if append {
                f.seek(SeekFrom::End(0)).await?;
            }
            within_limit(f.stream_position().await?, total_len(bufs))?;
            Ok(write_bufs(&mut **f, bufs).await?)
        })
    }
    /// At `off`, leaving the cursor where it was (virtual-fs files have only the cursor).
    pub fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], off: u64) -> Result<usize> {
        block_on(async {
            let mut f = self.file.lock().await;
            let saved = f.stream_position().await?;
            f.seek(SeekFrom::Start(off)).await?;
            let r = read_bufs(&mut **f, bufs).await;
            f.seek(SeekFrom::Start(saved)).await?;
            Ok(r?)
        })
    }
    pub fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], off: u64) -> Result<usize> {
        within_limit(off, total_len(bufs))?;
        block_on(async {
            let mut f = self.file.lock().await;
            let saved = f.stream_position().await?;
            f.seek(SeekFrom::Start(off)).await?;
            let r = write_bufs(&mut **f, bufs).await;
            f.seek(SeekFrom::Start(saved)).await?;
            Ok(r?)
        })
    }
    pub fn seek(&self, delta: i64, whence: Whence) -> Result<u64> {
        block_on(async {
            let mut f = self.file.lock().await;
            let pos = match whence {
                Whence::Set => {
                    SeekFrom::Start(u64::try_from(delta).map_err(|_| ErrorCode::Invalid)?)
                }
                Whence::Cur => {
                    let cur = f.stream_position().await?;
                    SeekFrom::Start(cur.checked_add_signed(delta).ok_or(ErrorCode::Invalid)?)
                }
                Whence::End => {
                    let size = f.size();
                    SeekFrom::Start(size.checked_add_signed(delta).ok_or(ErrorCode::Invalid)?)
                }
            };
            Ok(f.seek(pos).await?)
        })
    }
    pub fn stat(&self) -> Result<Stat> {
        let ino = self.root.inodes.of(&self.path);
        let f = self.lock();
        Ok(Stat {
            dev: self.root.dev,
            ino,
            ty: Some(DescriptorType::RegularFile),
            nlink: 1,
            size: f.size(),
            atim: f.last_accessed(),
            mtim: f.last_modified(),
            ctim: f.last_modified().max(f.created_time()),
        })
    }
    pub fn set_size(&self, size: u64) -> Result<()> {
        within_limit(size, 0)?;
        Ok(self.lock().set_len(size)?)
    }
    pub fn set_times(&self, atim: NewTimestamp, mtim: NewTimestamp) -> Result<()> {
        set_vfile_times(&mut **self.lock(), atim, mtim)
    }
    pub fn sync(&self) -> Result<()> {
        block_on(async { Ok(self.file.lock().await.flush().await?) })
    }
    pub fn allocate(&self, off: u64, len: u64) -> Result<()> {
        let end = within_limit(off, len)?;
        let mut f = self.lock();
        if f.size() < end {
            f.set_len(end)?;
        }
        Ok(())
    }
    pub fn append(&self) -> bool {
        self.append.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn set_append(&self, on: bool) {
        self.append.store(on, std::sync::atomic::Ordering::Relaxed)
    }
}

/// The largest in-memory file: virtual-fs keeps a file in one `Vec` and grows it to any
/// offset written or size set, so a guest's `u64` would otherwise abort the host (a failed
/// allocation) or panic it (capacity overflow).
pub const MAX_MEMORY_FILE: u64 = 1 << 32;

/// `off + len` when it stays within [`MAX_MEMORY_FILE`], else `FileTooLarge`.
fn within_limit(off: u64, len: u64) -> Result<u64> {
    off.checked_add(len)
        .filter(|end| *end <= MAX_MEMORY_FILE)
        .ok_or(ErrorCode::FileTooLarge)
}

/// Fills the buffers in order from the cursor, stopping at the first short read.
async fn read_bufs<F: tokio::io::AsyncRead + Unpin + ?Sized>(
    f: &mut F,
    bufs: &mut [IoSliceMut<'_>],
) -> std::io::Result<usize> {
    let mut total = 0;
    for b in bufs.iter_mut() {
        let n = f.read(b).await?;
        total += n;
        if n < b.len() {
            break;
        }
    }
    Ok(total)
}

/// Writes every buffer at the cursor.
async fn write_bufs<F: tokio::io::AsyncWrite + Unpin + ?Sized>(
    f: &mut F,
    bufs: &[IoSlice<'_>],
) -> std::io::Result<usize> {
    let mut total = 0;
    for b in bufs {
        f.write_all(b).await?;
        total += b.len();
    }
    Ok(total)
}

fn total_len(bufs: &[IoSlice<'_>]) -> u64 {
    bufs.iter().map(|b| b.len() as u64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(d: &VfsDir, name: &str, body: &[u8]) {
        let o = OpenFlags {
            create: true,
            truncate: true,
            ..Default::default()
        };
        let f = DescriptorFlags {
            write: true,
            ..Default::default()
        };
        let VfsOpened::File(f) = d.open_at(name, o, f).unwrap() else {
            panic!("not a file")
        };
        let n = f.pwrite_vectored(&[IoSlice::new(body)], 0).unwrap();
        assert_eq!(n, body.len());
    }

    /// Renaming files over a name that a second thread keeps looking up: the name never
    /// goes missing (the rename replaces it in one step, never moving it aside first).
    #[test]
    fn renaming_over_a_file_never_hides_the_target() {
        let d = VfsDir::memory();
        file(&d, "target", b"old");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let looker = {
            let (d, stop) = (d.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut missing = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if d.stat_at("target").is_err() {
                        missing += 1;
                    }
                }
                missing
            })
        };
        for i in 0..2000 {
            file(&d, "next", format!("v{i}").as_bytes());
            d.rename_at("next", &d, "target").unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(looker.join().unwrap(), 0);
        assert_eq!(d.stat_at("target").unwrap().size, 5);
        assert_eq!(d.stat_at("next").unwrap_err(), ErrorCode::NoEntry);
    }

    /// A guest-chosen size or offset far past what memory can hold is `FileTooLarge`,
    /// never an allocation that aborts the host.
    #[test]
    fn huge_sizes_and_offsets_are_refused() {
        let d = VfsDir::memory();
        file(&d, "f", b"x");
        let o = OpenFlags::default();
        let w = DescriptorFlags {
            write: true,
            ..Default::default()
        };
        let VfsOpened::File(f) = d.open_at("f", o, w).unwrap() else {
            panic!("not a file")
        };
        let big = [IoSlice::new(b"y")];
        assert_eq!(f.set_size(1 << 40), Err(ErrorCode::FileTooLarge));
        assert_eq!(f.set_size(u64::MAX), Err(ErrorCode::FileTooLarge));
        assert_eq!(
            f.pwrite_vectored(&big, u64::MAX),
            Err(ErrorCode::FileTooLarge)
        );
        assert_eq!(
            f.pwrite_vectored(&big, 1 << 40),
            Err(ErrorCode::FileTooLarge)
        );
        assert_eq!(f.allocate(1 << 40, 1), Err(ErrorCode::FileTooLarge));
        assert_eq!(f.seek(1 << 40, Whence::Set), Ok(1 << 40));
        assert_eq!(f.write_vectored(&big), Err(ErrorCode::FileTooLarge));
        assert_eq!(d.stat_at("f").unwrap().size, 1);
    }

    /// Onto an empty directory the rename works; onto a full one it fails and changes
    /// nothing.
    #[test]
    fn renaming_onto_directories() {
        let d = VfsDir::memory();
        d.create_directory_at("a").unwrap();
        file(&d, "a/x", b"x");
        d.create_directory_at("empty").unwrap();
        d.create_directory_at("full").unwrap();
        file(&d, "full/y", b"y");
        assert_eq!(d.rename_at("a", &d, "full"), Err(ErrorCode::NotEmpty));
        assert_eq!(d.stat_at("full/y").unwrap().size, 1);
        d.rename_at("a", &d, "empty").unwrap();
        assert_eq!(d.stat_at("empty/x").unwrap().size, 1);
        assert_eq!(d.stat_at("a").unwrap_err(), ErrorCode::NoEntry);
        let names: Vec<Vec<u8>> = d.read_dir().unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names.iter().filter(|n| n.as_slice() == b"empty").count(), 1);
    }
}
