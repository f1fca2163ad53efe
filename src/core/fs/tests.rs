//! Core-level sandbox and descriptor tests over a real host directory and an in-memory tree.

use super::*;
use std::path::PathBuf;

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("wxc-core-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("box/sub")).unwrap();
        std::fs::write(p.join("secret"), b"top secret").unwrap();
        std::fs::write(p.join("box/file"), b"inside").unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rw() -> DescriptorFlags {
    DescriptorFlags {
        read: true,
        write: true,
        ..Default::default()
    }
}
fn ro() -> DescriptorFlags {
    DescriptorFlags {
        read: true,
        ..Default::default()
    }
}

fn open(d: &Dir, p: &str, follow: bool) -> Result<Descriptor> {
    d.open_at(p, follow, OpenFlags::default(), ro())
}

#[test]
fn dotdot_and_absolute_paths_stay_inside() {
    let t = Tmp::new("dotdot");
    let d = Dir::host(&t.0.join("box"), false).unwrap();
    assert!(open(&d, "file", true).is_ok());
    assert!(open(&d, "sub/../file", true).is_ok());
    assert_eq!(
        open(&d, "../secret", true).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(
        open(&d, "sub/../../secret", true).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(
        open(&d, "/etc/passwd", true).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(d.stat_at("..", false).err(), Some(ErrorCode::NotPermitted));
    assert_eq!(
        open(&d, "fi\0le", true).err(),
        Some(ErrorCode::IllegalByteSequence)
    );
}

#[test]
fn symlinks_cannot_lead_out() {
    let t = Tmp::new("links");
    let b = t.0.join("box");
    std::os::unix::fs::symlink("../secret", b.join("rel_out")).unwrap();
    std::os::unix::fs::symlink(t.0.join("secret"), b.join("abs_out")).unwrap();
    std::os::unix::fs::symlink("../..", b.join("sub/up2")).unwrap();
    std::os::unix::fs::symlink("file", b.join("ok_link")).unwrap();
    std::os::unix::fs::symlink("loop_b", b.join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", b.join("loop_b")).unwrap();
    let d = Dir::host(&b, false).unwrap();
    assert_eq!(
        open(&d, "rel_out", true).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(
        open(&d, "abs_out", true).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(
        open(&d, "sub/up2/secret", true).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(open(&d, "loop_a", true).err(), Some(ErrorCode::Loop));
    // Without follow, a final symlink is not opened through.
    assert_eq!(open(&d, "rel_out", false).err(), Some(ErrorCode::Loop));
    assert!(matches!(open(&d, "ok_link", true), Ok(Descriptor::File(_))));
    assert_eq!(
        d.stat_at("rel_out", false).unwrap().ty(),
        DescriptorType::SymbolicLink
    );
    assert_eq!(d.readlink_at("rel_out").unwrap(), b"../secret");
    // Creating through a link that points outside is refused, nothing appears outside.
    let c = OpenFlags {
        create: true,
        ..Default::default()
    };
    std::os::unix::fs::symlink("../newfile", b.join("dangling_out")).unwrap();
    assert_eq!(
        d.open_at("dangling_out", true, c, rw()).err(),
        Some(ErrorCode::NotPermitted)
    );
    assert!(!t.0.join("newfile").exists());
    assert_eq!(
        d.symlink_at("/etc/passwd", "abs").err(),
        Some(ErrorCode::NotPermitted)
    );
}

#[test]
fn rename_and_link_out_are_refused() {
    let t = Tmp::new("rename");
    let d = Dir::host(&t.0.join("box"), false).unwrap();
    assert_eq!(
        d.rename_at("file", &d, "../stolen").err(),
        Some(ErrorCode::NotPermitted)
    );
    assert_eq!(
        d.link_at("file", false, &d, "../stolen").err(),
        Some(ErrorCode::NotPermitted)
    );
    assert!(!t.0.join("stolen").exists());
    d.rename_at("file", &d, "sub/moved").unwrap();
    assert!(t.0.join("box/sub/moved").exists());
}

#[test]
fn readonly_refuses_every_mutation() {
    let t = Tmp::new("ro");
    let d = Dir::host(&t.0.join("box"), true).unwrap();
    let trunc = OpenFlags {
        truncate: true,
        ..Default::default()
    };
    assert_eq!(
        d.open_at("file", true, trunc, ro()).err(),
        Some(ErrorCode::ReadOnly)
    );
    assert_eq!(
        d.open_at("file", true, OpenFlags::default(), rw()).err(),
        Some(ErrorCode::ReadOnly)
    );
    assert_eq!(d.create_directory_at("x").err(), Some(ErrorCode::ReadOnly));
    assert_eq!(d.unlink_file_at("file").err(), Some(ErrorCode::ReadOnly));
    assert_eq!(
        d.remove_directory_at("sub").err(),
        Some(ErrorCode::ReadOnly)
    );
    assert_eq!(d.symlink_at("file", "l").err(), Some(ErrorCode::ReadOnly));
    assert_eq!(
        d.rename_at("file", &d, "g").err(),
        Some(ErrorCode::ReadOnly)
    );
    assert_eq!(std::fs::read(t.0.join("box/file")).unwrap(), b"inside");
    // A directory opened beneath a read-only preopen is read-only too.
    match open(&d, "sub", true).unwrap() {
        Descriptor::Dir(sub) => assert_eq!(
            sub.create_directory_at("y").err(),
            Some(ErrorCode::ReadOnly)
        ),
        _ => panic!("sub is a directory"),
    }
    assert!(matches!(open(&d, "file", true), Ok(Descriptor::File(_))));
}

#[test]
fn file_io_and_stat() {
    let t = Tmp::new("io");
    let d = Dir::host(&t.0.join("box"), false).unwrap();
    let c = OpenFlags {
        create: true,
        ..Default::default()
    };
    let Descriptor::File(f) = d.open_at("new", true, c, rw()).unwrap() else {
        panic!()
    };
    let n = f
        .write_vectored(&[std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"cd")])
        .unwrap();
    assert_eq!(n, 4);
    f.pwrite_vectored(&[std::io::IoSlice::new(b"Z")], 1)
        .unwrap();
    let mut buf = [0u8; 8];
    let got = f
        .pread_vectored(&mut [std::io::IoSliceMut::new(&mut buf)], 0)
        .unwrap();
    assert_eq!(&buf[..got], b"aZcd");
    assert_eq!(f.seek(0, Whence::Cur).unwrap(), 4);
    let s1 = f.stat().unwrap();
    let s2 = d.stat_at("new", false).unwrap();
    assert_eq!(
        (s1.ino, s1.size, s1.ty()),
        (s2.ino, 4, DescriptorType::RegularFile)
    );
    let names: Vec<Vec<u8>> = d.read_dir().unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(&names[..2], &[b".".to_vec(), b"..".to_vec()]);
    assert!(names.contains(&b"new".to_vec()) && names.contains(&b"sub".to_vec()));
}

#[test]
fn memory_tree_works_as_a_preopen() {
    let d = Dir::memory();
    d.create_directory_at("a").unwrap();
    let c = OpenFlags {
        create: true,
        ..Default::default()
    };
    let Descriptor::File(f) = d.open_at("a/f", true, c, rw()).unwrap() else {
        panic!()
    };
    f.write_vectored(&[std::io::IoSlice::new(b"hello")])
        .unwrap();
    let i1 = d.stat_at("a/f", true).unwrap().ino;
    d.rename_at("a/f", &d, "g").unwrap();
    let s = d.stat_at("g", true).unwrap();
    assert_eq!((s.size, s.ino), (5, i1), "inode numbers survive renames");
    assert_eq!(open(&d, "../x", true).err(), Some(ErrorCode::NotPermitted));
    assert_eq!(d.remove_directory_at("a").ok(), Some(()));
    assert_eq!(d.symlink_at("g", "l").err(), Some(ErrorCode::Unsupported));
}

/// A rename that fails changes nothing (the in-memory backend used to remove the target
/// before its last checks), and one onto itself is a no-op.
#[test]
fn memory_tree_failed_rename_keeps_the_target() {
    let d = Dir::memory();
    let c = OpenFlags {
        create: true,
        ..Default::default()
    };
    let put = |p: &str, data: &[u8]| {
        let Descriptor::File(f) = d.open_at(p, true, c, rw()).unwrap() else {
            panic!()
        };
        f.write_vectored(&[std::io::IoSlice::new(data)]).unwrap();
    };
    put("f", b"keep");
    assert_eq!(d.rename_at("f", &d, "f"), Ok(()));
    assert_eq!(d.stat_at("f", true).unwrap().size, 4, "renamed onto itself");
    d.create_directory_at("dir").unwrap();
    d.create_directory_at("dir/sub").unwrap();
    assert_eq!(d.rename_at("dir", &d, "dir/sub"), Err(ErrorCode::Invalid));
    assert!(
        d.stat_at("dir/sub", true).is_ok(),
        "target of a refused rename"
    );
    assert_eq!(d.rename_at("f", &d, "nowhere/g"), Err(ErrorCode::NoEntry));
    assert_eq!(d.rename_at("f", &d, "dir"), Err(ErrorCode::IsDirectory));
    assert_eq!(d.stat_at("f", true).unwrap().size, 4);
    // Replacing an existing file leaves exactly the new contents under the name.
    put("g", b"older!");
    d.rename_at("f", &d, "g").unwrap();
    assert_eq!(d.stat_at("g", true).unwrap().size, 4);
    assert_eq!(d.stat_at("f", true).err(), Some(ErrorCode::NoEntry));
    let names: Vec<Vec<u8>> = d.read_dir().unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names.len(), 4, "., .., dir, g and no leftover: {names:?}");
}

/// pwrite on an append descriptor writes at its offset (POSIX, WASI 0.2), on both backends.
#[test]
fn pwrite_on_append_writes_at_the_offset() {
    let t = Tmp::new("pwrite-append");
    for d in [Dir::host(&t.0, false).unwrap(), Dir::memory()] {
        let flags = DescriptorFlags {
            append: true,
            ..rw()
        };
        let c = OpenFlags {
            create: true,
            ..Default::default()
        };
        let Descriptor::File(f) = d.open_at("a", true, c, flags).unwrap() else {
            panic!()
        };
        f.write_vectored(&[std::io::IoSlice::new(b"ab")]).unwrap();
        f.pwrite_vectored(&[std::io::IoSlice::new(b"x")], 0)
            .unwrap();
        f.write_vectored(&[std::io::IoSlice::new(b"c")]).unwrap();
        let mut buf = [0u8; 8];
        let n = f
            .pread_vectored(&mut [std::io::IoSliceMut::new(&mut buf)], 0)
            .unwrap();
        assert_eq!(&buf[..n], b"xbc");
    }
}
