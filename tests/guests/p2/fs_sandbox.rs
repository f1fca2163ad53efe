//! Tries to leave the `/data` preopen: every attempt must fail and touch nothing outside.
use std::fs;

/// `symlink(2)` from wasi-libc (std's `std::os::wasi::fs::symlink_path` is unstable):
/// resolves `link` through the preopens as every std::fs call does.
fn symlink(target: &str, link: &str) -> std::io::Result<()> {
    extern "C" {
        fn symlink(target: *const std::ffi::c_char, link: *const std::ffi::c_char) -> i32;
    }
    let t = std::ffi::CString::new(target).unwrap();
    let l = std::ffi::CString::new(link).unwrap();
    // SAFETY: two NUL-terminated strings.
    if unsafe { symlink(t.as_ptr(), l.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn show<T: std::fmt::Debug>(what: &str, r: std::io::Result<T>) {
    match r {
        Ok(v) => println!("{what}: ok {v:?}"),
        Err(e) => println!("{what}: {:?} (os error {:?})", e.kind(), e.raw_os_error()),
    }
}

fn main() {
    show("read ../outside.txt", fs::read_to_string("/data/../outside.txt"));
    show("write ../escaped.txt", fs::write("/data/../escaped.txt", "x"));
    show("mkdir ../newdir", fs::create_dir("/data/../newdir"));
    show("read absolute /etc/passwd", fs::read_to_string("/etc/passwd"));
    show("symlink to /etc/passwd", symlink("/etc/passwd", "/data/abs"));
    show("symlink to ..", symlink("..", "/data/up"));
    show("read up/outside.txt", fs::read_to_string("/data/up/outside.txt"));
    show("write up/escaped.txt", fs::write("/data/up/escaped.txt", "x"));
    show("read inside.txt", fs::read_to_string("/data/inside.txt"));
    // `/ro` is a read-only preopen.
    show("ro: read f.txt", fs::read_to_string("/ro/f.txt"));
    show("ro: write new.txt", fs::write("/ro/new.txt", "x"));
    show("ro: truncate f.txt", fs::write("/ro/f.txt", "x"));
    show("ro: mkdir d", fs::create_dir("/ro/d"));
    show("ro: remove f.txt", fs::remove_file("/ro/f.txt"));
    show("ro: rename f.txt", fs::rename("/ro/f.txt", "/ro/g.txt"));
    show("ro: rename into /data", fs::rename("/ro/f.txt", "/data/g.txt"));
    show("ro: list", fs::read_dir("/ro").map(|d| d.map(|e| e.unwrap().file_name()).collect::<Vec<_>>()));
}
