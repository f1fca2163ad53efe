//! `wasi:filesystem/{types,preopens}` over the core's descriptors ([`crate::core::fs`]):
//! a component's preopens are the process's (`--dir`, the Builder's), and the
//! `descriptor` handed out for one is the very core `Dir` that p1's fd 3.. holds. Paths are
//! resolved by the core beneath the descriptor, so `..` escapes, absolute paths and
//! symlinks leading out are refused exactly as for preview1 (`not-permitted`).
//!
//! Permissions: a directory descriptor may change its tree unless its preopen is
//! read-only (`--dir-ro`; directories opened beneath inherit that, and asking for `write`
//! or `mutate-directory` there is refused). The error is the core's `read-only`, as
//! preview1 gets, where wasmtime would say `not-permitted`. A file may be read or written
//! only when opened with `read` / `write`, else `bad-descriptor`. File operations on a
//! directory are `bad-descriptor`, directory operations on a file `not-directory`.

use super::abi::{self, Env, HostResult, RetArea};
use super::link::Mk;
use super::resources::{Kind, Resource};
use crate::core::fds::FdKind;
use crate::core::fs::stream::{FileInput, FileOutput};
use crate::core::fs::{
    Advice, Descriptor, DescriptorFlags, DescriptorType, Dir, DirEntry, File, NewTimestamp,
    OpenFlags, Stat,
};
use crate::core::ErrorCode;
use std::collections::VecDeque;
use std::io::{IoSlice, IoSliceMut};
use std::sync::{Arc, Mutex};

type R<T> = Result<T, ErrorCode>;

/// Most bytes one positional `read` returns (the guest asks with a u64).
const MAX_READ: u64 = 1 << 24;

macro_rules! f {
    ($f:expr) => {
        (|s, e| abi::HostFn::make($f, s, e)) as Mk
    };
}

const T: &str = "wasi:filesystem/types";

/// The functions this file serves: (interface without version, function, constructor).
pub const FUNCS: &[(&str, &str, Mk)] = &[
    (T, "[method]descriptor.read-via-stream", f!(read_via_stream)),
    (
        T,
        "[method]descriptor.write-via-stream",
        f!(write_via_stream),
    ),
    (
        T,
        "[method]descriptor.append-via-stream",
        f!(append_via_stream),
    ),
    (T, "[method]descriptor.advise", f!(advise)),
    (T, "[method]descriptor.sync-data", f!(sync_data)),
    (T, "[method]descriptor.get-flags", f!(get_flags)),
    (T, "[method]descriptor.get-type", f!(get_type)),
    (T, "[method]descriptor.set-size", f!(set_size)),
    (T, "[method]descriptor.set-times", f!(set_times)),
    (T, "[method]descriptor.read", f!(read)),
    (T, "[method]descriptor.write", f!(write)),
    (T, "[method]descriptor.read-directory", f!(read_directory)),
    (T, "[method]descriptor.sync", f!(sync)),
    (
        T,
        "[method]descriptor.create-directory-at",
        f!(create_directory_at),
    ),
    (T, "[method]descriptor.stat", f!(stat)),
    (T, "[method]descriptor.stat-at", f!(stat_at)),
    (T, "[method]descriptor.set-times-at", f!(set_times_at)),
    (T, "[method]descriptor.link-at", f!(link_at)),
    (T, "[method]descriptor.open-at", f!(open_at)),
    (T, "[method]descriptor.readlink-at", f!(readlink_at)),
    (
        T,
        "[method]descriptor.remove-directory-at",
        f!(remove_directory_at),
    ),
    (T, "[method]descriptor.rename-at", f!(rename_at)),
    (T, "[method]descriptor.symlink-at", f!(symlink_at)),
    (T, "[method]descriptor.unlink-file-at", f!(unlink_file_at)),
    (T, "[method]descriptor.is-same-object", f!(is_same_object)),
    (T, "[method]descriptor.metadata-hash", f!(metadata_hash)),
    (
        T,
        "[method]descriptor.metadata-hash-at",
        f!(metadata_hash_at),
    ),
    (
        T,
        "[method]directory-entry-stream.read-directory-entry",
        f!(read_directory_entry),
    ),
    (T, "filesystem-error-code", f!(filesystem_error_code)),
    (
        "wasi:filesystem/preopens",
        "get-directories",
        f!(get_directories),
    ),
];

/// What a `descriptor` handle holds.
pub enum Desc {
    /// `mutate`: whether this descriptor may change the tree beneath it (its preopen is
    /// not read-only).
    Dir {
        dir: Arc<Dir>,
        mutate: bool,
    },
    File(Arc<File>),
}

/// The entries of a `read-directory` not yet returned (`.` and `..` left out).
pub struct DirEntries(Mutex<VecDeque<DirEntry>>);

/// The WIT `error-code` case of a core error. The first 37 core codes are the WIT's, in
/// its order; the rest (codes the witx front ends need) are approximated: `not-socket`
/// as `bad-descriptor`, `not-capable` as `not-permitted` (a sandbox refusal), too many
/// open files as `insufficient-memory`, `2big` as `invalid`, `range` as `overflow`, the
/// socket codes as `io`.
pub fn error_code(e: ErrorCode) -> u8 {
    use ErrorCode::*;
    match e {
        Access => 0,
        WouldBlock => 1,
        Already => 2,
        BadDescriptor => 3,
        Busy => 4,
        Deadlock => 5,
        Quota => 6,
        Exist => 7,
        FileTooLarge => 8,
        IllegalByteSequence => 9,
        InProgress => 10,
        Interrupted => 11,
        Invalid => 12,
        Io => 13,
        IsDirectory => 14,
        Loop => 15,
        TooManyLinks => 16,
        MessageSize => 17,
        NameTooLong => 18,
        NoDevice => 19,
        NoEntry => 20,
        NoLock => 21,
        InsufficientMemory => 22,
        InsufficientSpace => 23,
        NotDirectory => 24,
        NotEmpty => 25,
        NotRecoverable => 26,
        Unsupported => 27,
        NoTty => 28,
        NoSuchDevice => 29,
        Overflow => 30,
        NotPermitted => 31,
        Pipe => 32,
        ReadOnly => 33,
        InvalidSeek => 34,
        TextFileBusy => 35,
        CrossDevice => 36,
        NotSocket => 3,
        NotCapable => 31,
        TooManyOpen => 22,
        TooBig => 12,
        Range => 30,
        _ => 13,
    }
}

fn descriptor_type(t: DescriptorType) -> u8 {
    match t {
        DescriptorType::Unknown => 0,
        DescriptorType::BlockDevice => 1,
        DescriptorType::CharacterDevice => 2,
        DescriptorType::Directory => 3,
        DescriptorType::Fifo => 4,
        DescriptorType::SymbolicLink => 5,
        DescriptorType::RegularFile => 6,
        DescriptorType::Socket => 7,
    }
}

// descriptor-flags bits
const READ: u32 = 1;
const WRITE: u32 = 2;
const FILE_INTEGRITY_SYNC: u32 = 4;
const DATA_INTEGRITY_SYNC: u32 = 8;
const REQUESTED_WRITE_SYNC: u32 = 16;
const MUTATE_DIRECTORY: u32 = 32;
// path-flags
const SYMLINK_FOLLOW: i32 = 1;

fn desc(env: &Env, h: i32) -> HostResult<Arc<Desc>> {
    match abi::get(env, h, Kind::Descriptor)? {
        Resource::Descriptor(d) => Ok(d),
        _ => unreachable!("kind checked"),
    }
}

impl Desc {
    fn dir(&self) -> R<&Arc<Dir>> {
        match self {
            Desc::Dir { dir, .. } => Ok(dir),
            Desc::File(_) => Err(ErrorCode::NotDirectory),
        }
    }
    /// The directory, which must allow changes.
    fn dir_mut(&self) -> R<&Arc<Dir>> {
        match self {
            Desc::Dir { dir, mutate: true } => Ok(dir),
            Desc::Dir { .. } => Err(ErrorCode::ReadOnly),
            Desc::File(_) => Err(ErrorCode::NotDirectory),
        }
    }
    fn file(&self) -> R<&Arc<File>> {
        match self {
            Desc::File(f) => Ok(f),
            Desc::Dir { .. } => Err(ErrorCode::BadDescriptor),
        }
    }
    fn readable(&self) -> R<&Arc<File>> {
        let f = self.file()?;
        if f.flags.read {
            Ok(f)
        } else {
            Err(ErrorCode::BadDescriptor)
        }
    }
    fn writable(&self) -> R<&Arc<File>> {
        let f = self.file()?;
        if f.flags.write || f.flags.append {
            Ok(f)
        } else {
            Err(ErrorCode::BadDescriptor)
        }
    }
    fn stat(&self) -> R<Stat> {
        match self {
            Desc::Dir { dir, .. } => dir.stat(),
            Desc::File(f) => f.stat(),
        }
    }
}

/// A `string` parameter (invalid UTF-8 or a range past memory traps).
fn string_arg(env: &mut Env, ptr: i32, len: i32) -> HostResult<String> {
    abi::with_mem(env, |m| {
        m.str(ptr as u32 as u64, len as u32 as u64)
            .map(str::to_string)
    })
}

/// `result<_, error-code>`: case at 0, error at 1.
fn ret_unit(env: &mut Env, ret: i32, r: R<()>) -> HostResult<()> {
    match r {
        Ok(()) => abi::ret(env, ret, |a| a.u8(0, 0)),
        Err(e) => abi::ret(env, ret, |a| {
            a.u8(0, 1);
            a.u8(1, error_code(e))
        }),
    }
}

/// `result<u8-sized, error-code>` (flags, enums): payload at 1.
fn ret_byte(env: &mut Env, ret: i32, r: R<u8>) -> HostResult<()> {
    let (case, v) = match r {
        Ok(v) => (0, v),
        Err(e) => (1, error_code(e)),
    };
    abi::ret(env, ret, |a| {
        a.u8(0, case);
        a.u8(1, v)
    })
}

/// `result<own<R>, error-code>`: a new handle at 4, or the error at 4.
fn ret_handle(env: &mut Env, ret: i32, r: R<Resource>) -> HostResult<()> {
    match r {
        Ok(res) => {
            let h = abi::push(env, res)? as u32;
            abi::ret(env, ret, |a| {
                a.u8(0, 0);
                a.u32(4, h)
            })
        }
        Err(e) => abi::ret(env, ret, |a| {
            a.u8(0, 1);
            a.u8(4, error_code(e))
        }),
    }
}

/// `result<T, error-code>` where T is 8-aligned and written by `f` at 8.
fn ret_at8<T>(env: &mut Env, ret: i32, r: R<T>, f: impl FnOnce(&mut RetArea, T)) -> HostResult<()> {
    match r {
        Ok(v) => abi::ret(env, ret, |a| {
            a.u8(0, 0);
            f(a, v)
        }),
        Err(e) => abi::ret(env, ret, |a| {
            a.u8(0, 1);
            a.u8(8, error_code(e))
        }),
    }
}

/// A `descriptor-stat` at `at` (96 bytes, 8-aligned): type, link-count at 8, size at 16,
/// then three `option<datetime>` of 24 bytes each (case, seconds at +8, nanoseconds at
/// +16) at 24, 48 and 72.
fn put_stat(a: &mut RetArea, at: usize, s: &Stat) {
    a.u8(at, descriptor_type(s.ty()));
    a.u64(at + 8, s.nlink);
    a.u64(at + 16, s.size);
    for (i, t) in [s.atim, s.mtim, s.ctim].into_iter().enumerate() {
        let o = at + 24 + 24 * i;
        a.u8(o, 1);
        a.u64(o + 8, t / 1_000_000_000);
        a.u32(o + 16, (t % 1_000_000_000) as u32);
    }
}

/// A `new-timestamp` from its flat form (case, seconds, nanoseconds).
fn new_timestamp(env: &Env, case: i32, s: i64, ns: i32) -> HostResult<R<NewTimestamp>> {
    Ok(match case {
        0 => Ok(NewTimestamp::NoChange),
        1 => Ok(NewTimestamp::Now),
        2 => (s as u64)
            .checked_mul(1_000_000_000)
            .and_then(|t| t.checked_add(ns as u32 as u64))
            .map(NewTimestamp::At)
            .ok_or(ErrorCode::Overflow),
        d => return Err(abi::trap(env, format!("invalid new-timestamp case {d}"))),
    })
}

/// `metadata-hash-value`: two independent 64-bit hashes of (device, inode).
fn hash(s: &Stat) -> (u64, u64) {
    use std::hash::{Hash, Hasher};
    let h = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, s.dev, s.ino).hash(&mut h);
        h.finish()
    };
    (h(0), h(1))
}

/// `read-via-stream: func(offset: filesize) -> result<input-stream, error-code>`
fn read_via_stream(mut env: Env, h: i32, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d
        .readable()
        .map(|f| Resource::InputStream(Arc::new(FileInput::new(f.clone(), off as u64))));
    ret_handle(&mut env, ret, r)
}

/// `write-via-stream: func(offset: filesize) -> result<output-stream, error-code>`
fn write_via_stream(mut env: Env, h: i32, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d
        .writable()
        .map(|f| Resource::OutputStream(Arc::new(FileOutput::at(f.clone(), off as u64))));
    ret_handle(&mut env, ret, r)
}

/// `append-via-stream: func() -> result<output-stream, error-code>`
fn append_via_stream(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d
        .writable()
        .map(|f| Resource::OutputStream(Arc::new(FileOutput::append(f.clone()))));
    ret_handle(&mut env, ret, r)
}

/// `advise: func(offset, length, advice) -> result<_, error-code>`
fn advise(mut env: Env, h: i32, off: i64, len: i64, advice: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let Some(a) = Advice::from_index(advice as u32) else {
        return Err(abi::trap(&env, format!("invalid advice {advice}")));
    };
    let r = d.file().and_then(|f| f.advise(off as u64, len as u64, a));
    ret_unit(&mut env, ret, r)
}

/// `sync-data: func() -> result<_, error-code>`
fn sync_data(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = match &*d {
        Desc::File(f) => f.datasync(),
        Desc::Dir { dir, .. } => dir.sync(),
    };
    ret_unit(&mut env, ret, r)
}

/// `sync: func() -> result<_, error-code>`
fn sync(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = match &*d {
        Desc::File(f) => f.sync(),
        Desc::Dir { dir, .. } => dir.sync(),
    };
    ret_unit(&mut env, ret, r)
}

/// `get-flags: func() -> result<descriptor-flags, error-code>`
fn get_flags(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let bits = match &*d {
        Desc::Dir { mutate, .. } => READ | if *mutate { MUTATE_DIRECTORY } else { 0 },
        Desc::File(f) => {
            let fl = f.flags();
            let b = |on: bool, bit: u32| if on { bit } else { 0 };
            b(fl.read, READ)
                | b(fl.write || fl.append, WRITE)
                | b(fl.file_sync, FILE_INTEGRITY_SYNC)
                | b(fl.data_sync, DATA_INTEGRITY_SYNC)
                | b(fl.read_sync, REQUESTED_WRITE_SYNC)
        }
    };
    ret_byte(&mut env, ret, Ok(bits as u8))
}

/// `get-type: func() -> result<descriptor-type, error-code>`
fn get_type(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = match &*d {
        Desc::Dir { .. } => Ok(DescriptorType::Directory),
        Desc::File(f) => f.file_type(),
    };
    ret_byte(&mut env, ret, r.map(descriptor_type))
}

/// `set-size: func(size: filesize) -> result<_, error-code>`
fn set_size(mut env: Env, h: i32, size: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.writable().and_then(|f| f.set_size(size as u64));
    ret_unit(&mut env, ret, r)
}

/// `set-times: func(data-access-timestamp, data-modification-timestamp) -> result<_, error-code>`
#[allow(clippy::too_many_arguments)]
fn set_times(
    mut env: Env,
    h: i32,
    ac: i32,
    as_: i64,
    ans: i32,
    mc: i32,
    ms: i64,
    mns: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let a = new_timestamp(&env, ac, as_, ans)?;
    let m = new_timestamp(&env, mc, ms, mns)?;
    let r = (|| {
        let (a, m) = (a?, m?);
        match &*d {
            Desc::File(f) => {
                d.writable()?;
                f.set_times(a, m)
            }
            Desc::Dir { .. } => d.dir_mut()?.set_times(a, m),
        }
    })();
    ret_unit(&mut env, ret, r)
}

/// `read: func(length, offset) -> result<tuple<list<u8>, bool>, error-code>`: the bool is
/// true when the read reached the end of the file.
fn read(mut env: Env, h: i32, len: i64, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let want = (len as u64).min(MAX_READ);
    let r = d.readable().and_then(|f| {
        let mut buf = vec![0u8; want as usize];
        let mut n = 0usize;
        while n < buf.len() {
            let k =
                f.pread_vectored(&mut [IoSliceMut::new(&mut buf[n..])], off as u64 + n as u64)?;
            if k == 0 {
                break;
            }
            n += k;
        }
        let eof = n < buf.len();
        buf.truncate(n);
        Ok((buf, eof))
    });
    match r {
        Ok((bytes, eof)) => {
            let (p, l) = abi::list_u8(&mut env, &bytes)?;
            abi::ret(&mut env, ret, |a| {
                a.u8(0, 0);
                a.u32(4, p);
                a.u32(8, l);
                a.u8(12, eof as u8)
            })
        }
        Err(e) => abi::ret(&mut env, ret, |a| {
            a.u8(0, 1);
            a.u8(4, error_code(e))
        }),
    }
}

/// `write: func(buffer: list<u8>, offset) -> result<filesize, error-code>`
fn write(mut env: Env, h: i32, ptr: i32, len: i32, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let (ptr, len) = (ptr as u32 as u64, len as u32 as u64);
    let r = abi::with_mem(&mut env, |m| {
        let bytes = m.slice(ptr, len)?;
        Ok(d.writable().and_then(|f| {
            let mut n = 0usize;
            while n < bytes.len() {
                let k = f.pwrite_vectored(&[IoSlice::new(&bytes[n..])], off as u64 + n as u64)?;
                if k == 0 {
                    return Err(ErrorCode::Io);
                }
                n += k;
            }
            Ok(n as u64)
        }))
    })?;
    ret_at8(&mut env, ret, r, |a, n| a.u64(8, n))
}

/// `read-directory: func() -> result<directory-entry-stream, error-code>`
fn read_directory(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.dir().and_then(|dir| dir.read_dir()).map(|list| {
        let rest = list
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .collect();
        Resource::DirectoryEntryStream(Arc::new(DirEntries(Mutex::new(rest))))
    });
    ret_handle(&mut env, ret, r)
}

/// `read-directory-entry: func() -> result<option<directory-entry>, error-code>`:
/// case at 0; the option's case at 4, the entry's type at 8 and name at 12/16. A name
/// that is not UTF-8 is `illegal-byte-sequence` (and skipped).
fn read_directory_entry(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let Resource::DirectoryEntryStream(s) = abi::get(&env, h, Kind::DirectoryEntryStream)? else {
        unreachable!("kind checked")
    };
    let next = s.0.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
    let Some(e) = next else {
        return abi::ret(&mut env, ret, |a| {
            a.u8(0, 0);
            a.u8(4, 0)
        });
    };
    let Ok(name) = std::str::from_utf8(&e.name) else {
        return abi::ret(&mut env, ret, |a| {
            a.u8(0, 1);
            a.u8(4, error_code(ErrorCode::IllegalByteSequence))
        });
    };
    let (p, l) = abi::string(&mut env, name)?;
    abi::ret(&mut env, ret, |a| {
        a.u8(0, 0);
        a.u8(4, 1);
        a.u8(8, descriptor_type(e.ty));
        a.u32(12, p);
        a.u32(16, l)
    })
}

/// `create-directory-at: func(path: string) -> result<_, error-code>`
fn create_directory_at(mut env: Env, h: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d.dir_mut().and_then(|dir| dir.create_directory_at(&path));
    ret_unit(&mut env, ret, r)
}

/// `stat: func() -> result<descriptor-stat, error-code>`
fn stat(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.stat();
    ret_at8(&mut env, ret, r, |a, s| put_stat(a, 8, &s))
}

/// `stat-at: func(path-flags, path: string) -> result<descriptor-stat, error-code>`
fn stat_at(mut env: Env, h: i32, pf: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d
        .dir()
        .and_then(|dir| dir.stat_at(&path, pf & SYMLINK_FOLLOW != 0));
    ret_at8(&mut env, ret, r, |a, s| put_stat(a, 8, &s))
}

/// `set-times-at: func(path-flags, path, atime: new-timestamp, mtime: new-timestamp)`
#[allow(clippy::too_many_arguments)]
fn set_times_at(
    mut env: Env,
    h: i32,
    pf: i32,
    p: i32,
    l: i32,
    ac: i32,
    as_: i64,
    ans: i32,
    mc: i32,
    ms: i64,
    mns: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let a = new_timestamp(&env, ac, as_, ans)?;
    let m = new_timestamp(&env, mc, ms, mns)?;
    let r = (|| {
        let (a, m) = (a?, m?);
        d.dir_mut()?
            .set_times_at(&path, pf & SYMLINK_FOLLOW != 0, a, m)
    })();
    ret_unit(&mut env, ret, r)
}

/// `link-at: func(old-path-flags, old-path, new-descriptor: borrow<descriptor>, new-path)`
#[allow(clippy::too_many_arguments)]
fn link_at(
    mut env: Env,
    h: i32,
    pf: i32,
    op: i32,
    ol: i32,
    nh: i32,
    np: i32,
    nl: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let nd = desc(&env, nh)?;
    let old = string_arg(&mut env, op, ol)?;
    let new = string_arg(&mut env, np, nl)?;
    let r = (|| {
        let (a, b) = (d.dir_mut()?, nd.dir_mut()?);
        a.link_at(&old, pf & SYMLINK_FOLLOW != 0, b, &new)
    })();
    ret_unit(&mut env, ret, r)
}

/// `open-at: func(path-flags, path, open-flags, flags: descriptor-flags) -> result<descriptor, error-code>`
#[allow(clippy::too_many_arguments)]
fn open_at(
    mut env: Env,
    h: i32,
    pf: i32,
    p: i32,
    l: i32,
    of: i32,
    df: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let (of, df) = (of as u32, df as u32);
    let r = (|| {
        let (dir, mutate) = match &*d {
            Desc::Dir { dir, mutate } => (dir, *mutate),
            Desc::File(_) => return Err(ErrorCode::NotDirectory),
        };
        let o = OpenFlags {
            create: of & 1 != 0,
            directory: of & 2 != 0,
            exclusive: of & 4 != 0,
            truncate: of & 8 != 0,
        };
        let f = DescriptorFlags {
            read: df & READ != 0,
            write: df & WRITE != 0,
            file_sync: df & FILE_INTEGRITY_SYNC != 0,
            data_sync: df & DATA_INTEGRITY_SYNC != 0,
            read_sync: df & REQUESTED_WRITE_SYNC != 0,
            ..Default::default()
        };
        let want_mutate = df & MUTATE_DIRECTORY != 0;
        if !mutate && (o.create || o.truncate || f.write || want_mutate) {
            return Err(ErrorCode::ReadOnly);
        }
        Ok(match dir.open_at(&path, pf & SYMLINK_FOLLOW != 0, o, f)? {
            // A directory inherits its parent's permission, as under wasmtime (neither
            // wasi-libc's preview2 layer nor the preview1 adapter asks for
            // `mutate-directory`, so it cannot be a condition).
            Descriptor::Dir(dd) => Desc::Dir {
                dir: Arc::new(dd),
                mutate,
            },
            Descriptor::File(ff) => Desc::File(Arc::new(ff)),
            // Device files standing for the process's stdio live only in a WASIX
            // program's virtual root, which a component does not get.
            Descriptor::Stdio(_) => return Err(ErrorCode::Unsupported),
        })
    })();
    ret_handle(&mut env, ret, r.map(|d| Resource::Descriptor(Arc::new(d))))
}

/// `readlink-at: func(path) -> result<string, error-code>`: a target that is not UTF-8
/// is `illegal-byte-sequence`.
fn readlink_at(mut env: Env, h: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d
        .dir()
        .and_then(|dir| dir.readlink_at(&path))
        .and_then(|t| String::from_utf8(t).map_err(|_| ErrorCode::IllegalByteSequence));
    match r {
        Ok(t) => {
            let (p, l) = abi::string(&mut env, &t)?;
            abi::ret(&mut env, ret, |a| {
                a.u8(0, 0);
                a.u32(4, p);
                a.u32(8, l)
            })
        }
        Err(e) => abi::ret(&mut env, ret, |a| {
            a.u8(0, 1);
            a.u8(4, error_code(e))
        }),
    }
}

/// `remove-directory-at: func(path) -> result<_, error-code>`
fn remove_directory_at(mut env: Env, h: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d.dir_mut().and_then(|dir| dir.remove_directory_at(&path));
    ret_unit(&mut env, ret, r)
}

/// `rename-at: func(old-path, new-descriptor: borrow<descriptor>, new-path)`
#[allow(clippy::too_many_arguments)]
fn rename_at(
    mut env: Env,
    h: i32,
    op: i32,
    ol: i32,
    nh: i32,
    np: i32,
    nl: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let nd = desc(&env, nh)?;
    let old = string_arg(&mut env, op, ol)?;
    let new = string_arg(&mut env, np, nl)?;
    let r = (|| d.dir_mut()?.rename_at(&old, nd.dir_mut()?, &new))();
    ret_unit(&mut env, ret, r)
}

/// `symlink-at: func(old-path, new-path) -> result<_, error-code>`: an absolute target is
/// refused by the core (`not-permitted`), as for preview1.
fn symlink_at(
    mut env: Env,
    h: i32,
    op: i32,
    ol: i32,
    np: i32,
    nl: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let target = string_arg(&mut env, op, ol)?;
    let path = string_arg(&mut env, np, nl)?;
    let r = d.dir_mut().and_then(|dir| dir.symlink_at(&target, &path));
    ret_unit(&mut env, ret, r)
}

/// `unlink-file-at: func(path) -> result<_, error-code>`
fn unlink_file_at(mut env: Env, h: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d.dir_mut().and_then(|dir| dir.unlink_file_at(&path));
    ret_unit(&mut env, ret, r)
}

/// `is-same-object: func(other: borrow<descriptor>) -> bool`: same device and inode.
fn is_same_object(env: Env, h: i32, other: i32) -> HostResult<i32> {
    let a = desc(&env, h)?;
    let b = desc(&env, other)?;
    let same = match (a.stat(), b.stat()) {
        (Ok(x), Ok(y)) => x.dev == y.dev && x.ino == y.ino,
        _ => false,
    };
    Ok(same as i32)
}

/// `metadata-hash: func() -> result<metadata-hash-value, error-code>`
fn metadata_hash(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.stat().map(|s| hash(&s));
    ret_at8(&mut env, ret, r, |a, (lo, hi)| {
        a.u64(8, lo);
        a.u64(16, hi)
    })
}

/// `metadata-hash-at: func(path-flags, path) -> result<metadata-hash-value, error-code>`
fn metadata_hash_at(mut env: Env, h: i32, pf: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d
        .dir()
        .and_then(|dir| dir.stat_at(&path, pf & SYMLINK_FOLLOW != 0))
        .map(|s| hash(&s));
    ret_at8(&mut env, ret, r, |a, (lo, hi)| {
        a.u64(8, lo);
        a.u64(16, hi)
    })
}

/// `filesystem-error-code: func(err: borrow<error>) -> option<error-code>`: every core
/// stream error is a filesystem one (case at 0, code at 1).
fn filesystem_error_code(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let Resource::Error(code) = abi::get(&env, h, Kind::Error)? else {
        unreachable!("kind checked")
    };
    abi::ret(&mut env, ret, |a| {
        a.u8(0, 1);
        a.u8(1, error_code(code))
    })
}

/// `get-directories: func() -> list<tuple<descriptor, string>>`: the process's preopens
/// (fds 3.. with a guest path), in order, each a new handle onto the same core `Dir`.
fn get_directories(mut env: Env, ret: i32) -> HostResult<()> {
    let process = env.data().st.process.clone();
    let mut dirs = Vec::new();
    let mut fd = 3;
    while let Ok(e) = process.fds.get(fd) {
        if let (Some(name), FdKind::Dir(d)) = (&e.preopen, &e.kind) {
            dirs.push((name.clone(), d.clone()));
        }
        fd += 1;
    }
    // Elements are 12 bytes: handle, then the string's pointer and length.
    let count = dirs.len() as u32;
    let list = abi::alloc(&mut env, 12 * count as u64, 4)?;
    for (i, (name, dir)) in dirs.into_iter().enumerate() {
        let mutate = !dir.readonly;
        let h = abi::push(
            &env,
            Resource::Descriptor(Arc::new(Desc::Dir { dir, mutate })),
        )?;
        let (p, l) = abi::string(&mut env, &name)?;
        let at = list as u64 + 12 * i as u64;
        abi::with_mem(&mut env, |m| {
            m.write_bytes(at, &h.to_le_bytes())?;
            m.write_bytes(at + 4, &p.to_le_bytes())?;
            m.write_bytes(at + 8, &l.to_le_bytes())
        })?;
    }
    abi::ret(&mut env, ret, |a| {
        a.u32(0, list);
        a.u32(4, count)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::io::{InputStream, OutputStream, StreamError};

    #[test]
    fn p2_file_streams_read_write_and_append_at_their_own_offsets() {
        let dir = Dir::memory();
        let create = OpenFlags {
            create: true,
            ..Default::default()
        };
        let rw = DescriptorFlags {
            read: true,
            write: true,
            ..Default::default()
        };
        let Descriptor::File(f) = dir.open_at("f", false, create, rw).unwrap() else {
            panic!("not a file")
        };
        let f = Arc::new(f);
        FileOutput::at(f.clone(), 0).write(b"hello").unwrap();
        FileOutput::append(f.clone()).write(b" world").unwrap();
        FileOutput::at(f.clone(), 1).write(b"E").unwrap();
        let r = FileInput::new(f.clone(), 1);
        let mut buf = [0u8; 64];
        let n = r.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"Ello world");
        assert_eq!(r.read(&mut buf), Err(StreamError::Closed));
    }

    #[test]
    fn p2_error_codes_follow_the_wit_order() {
        assert_eq!(error_code(ErrorCode::Access), 0);
        assert_eq!(error_code(ErrorCode::NoEntry), 20);
        assert_eq!(error_code(ErrorCode::NotPermitted), 31);
        assert_eq!(error_code(ErrorCode::CrossDevice), 36);
        assert_eq!(error_code(ErrorCode::NotCapable), 31);
    }
}
