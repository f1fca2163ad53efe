//! Operations on a path beneath a directory descriptor (the `*-at` methods): opening,
//! creating, linking, renaming, removing, stat and times. The core resolves every path.

use super::*;

/// `create-directory-at: func(path: string) -> result<_, error-code>`
pub(super) fn create_directory_at(
    mut env: Env,
    h: i32,
    p: i32,
    l: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d.dir_mut().and_then(|dir| dir.create_directory_at(&path));
    ret_unit(&mut env, ret, r)
}

/// `stat-at: func(path-flags, path: string) -> result<descriptor-stat, error-code>`
pub(super) fn stat_at(mut env: Env, h: i32, pf: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d
        .dir()
        .and_then(|dir| dir.stat_at(&path, pf & SYMLINK_FOLLOW != 0));
    ret_at8(&mut env, ret, r, |a, s| put_stat(a, 8, &s))
}

/// `set-times-at: func(path-flags, path, atime: new-timestamp, mtime: new-timestamp)`
#[allow(clippy::too_many_arguments)]
pub(super) fn set_times_at(
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
pub(super) fn link_at(
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
pub(super) fn open_at(
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
pub(super) fn readlink_at(mut env: Env, h: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d
        .dir()
        .and_then(|dir| dir.readlink_at(&path))
        .and_then(|t| String::from_utf8(t).map_err(|_| ErrorCode::IllegalByteSequence));
    let r = match r {
        Ok(t) => Ok(abi::string(&mut env, &t)?),
        Err(e) => Err(error_code(e)),
    };
    abi::ret_result(&mut env, ret, 4, r, |a, (p, l)| {
        a.u32(4, p);
        a.u32(8, l)
    })
}

/// `remove-directory-at: func(path) -> result<_, error-code>`
pub(super) fn remove_directory_at(
    mut env: Env,
    h: i32,
    p: i32,
    l: i32,
    ret: i32,
) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d.dir_mut().and_then(|dir| dir.remove_directory_at(&path));
    ret_unit(&mut env, ret, r)
}

/// `rename-at: func(old-path, new-descriptor: borrow<descriptor>, new-path)`
#[allow(clippy::too_many_arguments)]
pub(super) fn rename_at(
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
pub(super) fn symlink_at(
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
pub(super) fn unlink_file_at(mut env: Env, h: i32, p: i32, l: i32, ret: i32) -> HostResult<()> {
    let d = desc(&env, h)?;
    let path = string_arg(&mut env, p, l)?;
    let r = d.dir_mut().and_then(|dir| dir.unlink_file_at(&path));
    ret_unit(&mut env, ret, r)
}

/// `metadata-hash-at: func(path-flags, path) -> result<metadata-hash-value, error-code>`
pub(super) fn metadata_hash_at(
    mut env: Env,
    h: i32,
    pf: i32,
    p: i32,
    l: i32,
    ret: i32,
) -> HostResult<()> {
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
