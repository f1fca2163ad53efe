//! fd_readdir: the listing is taken once (at cookie 0 or on a cold cursor) and kept on the
//! fd, so reading a whole directory through small buffers is O(n), and any cookie handed
//! out earlier resumes at the same entry.

use crate::core::fds::{rights, DirCursor};
use crate::guest::types::Dirent;
use crate::guest::MemSize;
use crate::witx::env::{run, WasiEnv};
use crate::witx::fd::{entry, filetype_of};
use wasmer::FunctionEnvMut;

pub fn fd_readdir<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    fd: u32,
    buf: M::Offset,
    buf_len: M::Offset,
    cookie: u64,
    bufused: M::Offset,
) -> i32 {
    let (buf, len, used) = (M::to_u64(buf), M::to_u64(buf_len), M::to_u64(bufused));
    run(
        &mut env,
        "fd_readdir",
        [fd as u64, buf, len, cookie, used],
        |c| {
            let e = entry(c, fd)?;
            let dir = e.as_dir()?;
            e.need(rights::FD_READDIR)?;
            c.mem.check_range(buf, len)?;
            c.mem.check_range(used, M::BYTES as u64)?;
            let mut cur = e.dir_cursor.lock().unwrap_or_else(|p| p.into_inner());
            if cookie == 0 || cur.is_none() {
                *cur = Some(DirCursor {
                    entries: dir.read_dir()?,
                });
            }
            let entries = &cur.as_ref().expect("filled above").entries;
            let mut at = 0u64;
            let start = usize::try_from(cookie).unwrap_or(usize::MAX);
            for (i, ent) in entries.iter().enumerate().skip(start) {
                if at >= len {
                    break;
                }
                let head = Dirent {
                    d_next: i as u64 + 1,
                    d_ino: ent.ino,
                    d_namlen: ent.name.len() as u32,
                    d_type: filetype_of(ent.ty),
                    ..Default::default()
                };
                // Entries that do not fit are truncated: a full buffer tells the guest to
                // come back with the last complete entry's d_next.
                at += c
                    .mem
                    .copy_out(buf + at, len - at, bytemuck::bytes_of(&head))?
                    as u64;
                at += c.mem.copy_out(buf + at, len - at, &ent.name)? as u64;
            }
            c.mem.write_off::<M>(used, at)?;
            Ok(())
        },
    )
}
