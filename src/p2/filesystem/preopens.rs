//! `wasi:filesystem/preopens`: the process's preopened directories.

use super::*;

/// `get-directories: func() -> list<tuple<descriptor, string>>`: the process's preopens
/// (fds 3.. with a guest path), in order, each a new handle onto the same core `Dir`.
pub(super) fn get_directories(mut env: Env, ret: i32) -> HostResult<()> {
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
