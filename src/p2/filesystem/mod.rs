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

mod file;
mod path;
mod preopens;
use file::*;
use path::*;
use preopens::*;

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
    /// The file, open for writing. Beneath a read-only preopen the answer is
    /// `read-only` whatever the open flags, as for preview1 (`rofs`): the preview1 adapter
    /// opens without write access when a program asks only for e.g. the set-size right.
    fn writable(&self) -> R<&Arc<File>> {
        let f = self.file()?;
        if f.readonly {
            Err(ErrorCode::ReadOnly)
        } else if f.flags.write || f.flags.append {
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

    /// What `metadata-hash` hashes: (device, inode), without a syscall for a file that
    /// was stat'ed before.
    fn identity(&self) -> R<(u64, u64)> {
        match self {
            Desc::Dir { dir, .. } => dir.stat().map(|s| (s.dev, s.ino)),
            Desc::File(f) => f.identity(),
        }
    }
}

/// A `string` parameter (invalid UTF-8 or a range past memory traps).
fn string_arg(env: &mut Env, ptr: i32, len: i32) -> HostResult<String> {
    let (p, n) = abi::list_arg(env, "string", ptr, len, 1, 1)?;
    let bytes = abi::with_mem(env, |m| m.slice(p, n).map(<[u8]>::to_vec))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        abi::trap(
            env,
            format!("string at {p:#x} is not valid UTF-8 (byte {at} of {n})"),
        )
    })
}

/// `result<_, error-code>`: case at 0, error at 1.
fn ret_unit(env: &mut Env, ret: i32, r: R<()>) -> HostResult<()> {
    abi::ret_result(env, ret, 1, r.map_err(error_code), |_, ()| {})
}

/// `result<u8-sized, error-code>` (flags, enums): payload at 1.
fn ret_byte(env: &mut Env, ret: i32, r: R<u8>) -> HostResult<()> {
    abi::ret_result(env, ret, 1, r.map_err(error_code), |a, v| a.u8(1, v))
}

/// `result<own<R>, error-code>`: a new handle at 4, or the error at 4.
fn ret_handle(env: &mut Env, ret: i32, r: R<Resource>) -> HostResult<()> {
    let r = match r {
        Ok(res) => Ok(abi::push(env, res)? as u32),
        Err(e) => Err(error_code(e)),
    };
    abi::ret_result(env, ret, 4, r, |a, h| a.u32(4, h))
}

/// `result<T, error-code>` where T is 8-aligned and written by `f` at 8.
fn ret_at8<T>(env: &mut Env, ret: i32, r: R<T>, f: impl FnOnce(&mut RetArea, T)) -> HostResult<()> {
    abi::ret_result(env, ret, 8, r.map_err(error_code), f)
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
    hash_identity((s.dev, s.ino))
}

fn hash_identity((dev, ino): (u64, u64)) -> (u64, u64) {
    use std::hash::{Hash, Hasher};
    let h = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, dev, ino).hash(&mut h);
        h.finish()
    };
    (h(0), h(1))
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
