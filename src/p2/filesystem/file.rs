//! Operations on a descriptor itself: its streams, data, flags, times, size, stat and
//! identity, and directory listing.

use super::*;

/// `read-via-stream: func(offset: filesize) -> result<input-stream, error-code>`
pub(super) fn read_via_stream(mut env: Env, h: i32, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d
        .readable()
        .map(|f| Resource::InputStream(Arc::new(FileInput::new(f.clone(), off as u64))));
    ret_handle(&mut env, ret, r)
}

/// `write-via-stream: func(offset: filesize) -> result<output-stream, error-code>`
pub(super) fn write_via_stream(mut env: Env, h: i32, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d
        .writable()
        .map(|f| Resource::OutputStream(Arc::new(FileOutput::at(f.clone(), off as u64))));
    ret_handle(&mut env, ret, r)
}

/// `append-via-stream: func() -> result<output-stream, error-code>`
pub(super) fn append_via_stream(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d
        .writable()
        .map(|f| Resource::OutputStream(Arc::new(FileOutput::append(f.clone()))));
    ret_handle(&mut env, ret, r)
}

/// `advise: func(offset, length, advice) -> result<_, error-code>`
pub(super) fn advise(
    mut env: Env,
    h: i32,
    off: i64,
    len: i64,
    advice: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let Some(a) = Advice::from_index(advice as u32) else {
        return Err(abi::trap(&env, format!("invalid advice {advice}")));
    };
    let r = d.file().and_then(|f| f.advise(off as u64, len as u64, a));
    ret_unit(&mut env, ret, r)
}

/// `sync-data: func() -> result<_, error-code>`
pub(super) fn sync_data(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = match &*d {
        Desc::File(f) => f.datasync(),
        Desc::Dir { dir, .. } => dir.sync(),
    };
    ret_unit(&mut env, ret, r)
}

/// `sync: func() -> result<_, error-code>`
pub(super) fn sync(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = match &*d {
        Desc::File(f) => f.sync(),
        Desc::Dir { dir, .. } => dir.sync(),
    };
    ret_unit(&mut env, ret, r)
}

/// `get-flags: func() -> result<descriptor-flags, error-code>`
pub(super) fn get_flags(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
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
pub(super) fn get_type(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = match &*d {
        Desc::Dir { .. } => Ok(DescriptorType::Directory),
        Desc::File(f) => f.file_type(),
    };
    ret_byte(&mut env, ret, r.map(descriptor_type))
}

/// `set-size: func(size: filesize) -> result<_, error-code>`
pub(super) fn set_size(mut env: Env, h: i32, size: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.writable().and_then(|f| f.set_size(size as u64));
    ret_unit(&mut env, ret, r)
}

/// `set-times: func(data-access-timestamp, data-modification-timestamp) -> result<_, error-code>`
#[allow(clippy::too_many_arguments)]
pub(super) fn set_times(
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
pub(super) fn read(mut env: Env, h: i32, len: i64, off: i64, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let want = (len as u64).min(MAX_READ);
    let want = want as usize;
    // The stream reads' buffer: no allocation (nor zeroing) per positional read.
    let mut buf = abi::scratch(want);
    let r = d.readable().and_then(|f| {
        let mut n = 0usize;
        while n < want {
            let k = f.pread_vectored(
                &mut [IoSliceMut::new(&mut buf[n..want])],
                off as u64 + n as u64,
            )?;
            if k == 0 {
                break;
            }
            n += k;
        }
        Ok(n)
    });
    let listed = match r {
        Ok(n) => abi::list_u8(&mut env, &buf[..n]).map(|(p, l)| Ok((p, l, n < want))),
        Err(e) => Ok(Err(error_code(e))),
    };
    abi::recycle(buf);
    abi::ret_result(&mut env, ret, 4, listed?, |a, (p, l, eof)| {
        a.u32(4, p);
        a.u32(8, l);
        a.u8(12, eof as u8)
    })
}

/// `write: func(buffer: list<u8>, offset) -> result<filesize, error-code>`
pub(super) fn write(
    mut env: Env,
    h: i32,
    ptr: i32,
    len: i32,
    off: i64,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let (ptr, len) = abi::list_arg(&env, "list<u8>", ptr, len, 1, 1)?;
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
pub(super) fn read_directory(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
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
pub(super) fn read_directory_entry(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
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

/// `stat: func() -> result<descriptor-stat, error-code>`
pub(super) fn stat(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.stat();
    ret_at8(&mut env, ret, r, |a, s| put_stat(a, 8, &s))
}

/// `is-same-object: func(other: borrow<descriptor>) -> bool`: same device and inode.
pub(super) fn is_same_object(env: Env, h: i32, other: i32) -> HostResult<i32> {
    let a = desc(&env, h)?;
    let b = desc(&env, other)?;
    let same = match (a.stat(), b.stat()) {
        (Ok(x), Ok(y)) => x.dev == y.dev && x.ino == y.ino,
        _ => false,
    };
    Ok(same as i32)
}

/// `metadata-hash: func() -> result<metadata-hash-value, error-code>`
pub(super) fn metadata_hash(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let r = d.identity().map(hash_identity);
    ret_at8(&mut env, ret, r, |a, (lo, hi)| {
        a.u64(8, lo);
        a.u64(16, hi)
    })
}

/// `filesystem-error-code: func(err: borrow<error>) -> option<error-code>`: every core
/// stream error is a filesystem one (case at 0, code at 1).
pub(super) fn filesystem_error_code(mut env: Env, h: i32, ret: i32) -> HostResult<()> {
    let Resource::Error(code) = abi::get(&env, h, Kind::Error)? else {
        unreachable!("kind checked")
    };
    abi::ret(&mut env, ret, |a| {
        a.u8(0, 1);
        a.u8(1, error_code(code))
    })
}
