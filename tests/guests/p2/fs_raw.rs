//! What std::fs does not reach, through wasi-libc on the `/data` preopen: positional
//! reads and writes, fdatasync, posix_fadvise, futimens and utimensat (as a component these
//! become `descriptor.read` / `write` / `sync-data` / `advise` / `set-times` /
//! `set-times-at`). Built for wasm32-wasip2 and wasm32-wasip1 alike.
use std::ffi::c_char;
use std::fs::{self, File, OpenOptions};
use std::os::fd::AsRawFd;
use std::time::UNIX_EPOCH;

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i32,
}

extern "C" {
    fn pread(fd: i32, buf: *mut u8, n: usize, off: i64) -> isize;
    fn pwrite(fd: i32, buf: *const u8, n: usize, off: i64) -> isize;
    fn fdatasync(fd: i32) -> i32;
    fn posix_fadvise(fd: i32, off: i64, len: i64, advice: i32) -> i32;
    fn futimens(fd: i32, times: *const Timespec) -> i32;
    fn utimensat(dirfd: i32, path: *const c_char, times: *const Timespec, flags: i32) -> i32;
}

fn mtime(path: &str) -> String {
    let d = fs::metadata(path)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

fn main() {
    fs::write("/data/r.txt", "0123456789").unwrap();
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/data/r.txt")
        .unwrap();
    let fd = f.as_raw_fd();
    let mut buf = [0u8; 4];
    // SAFETY (all calls below): valid fds, buffers and NUL-terminated strings.
    let n = unsafe { pread(fd, buf.as_mut_ptr(), 4, 3) };
    println!("pread 4 at 3: {n} {:?}", String::from_utf8_lossy(&buf[..n.max(0) as usize]));
    let n = unsafe { pread(fd, buf.as_mut_ptr(), 4, 8) };
    println!("pread 4 at 8: {n} {:?}", String::from_utf8_lossy(&buf[..n.max(0) as usize]));
    let n = unsafe { pread(fd, buf.as_mut_ptr(), 4, 20) };
    println!("pread 4 at 20: {n}");
    let n = unsafe { pwrite(fd, b"AB".as_ptr(), 2, 4) };
    println!("pwrite 2 at 4: {n}");
    let n = unsafe { pwrite(fd, b"Z".as_ptr(), 1, 12) };
    println!("pwrite 1 at 12: {n}");
    println!("fdatasync: {}", unsafe { fdatasync(fd) });
    println!("posix_fadvise: {}", unsafe { posix_fadvise(fd, 0, 10, 0) });
    let times = [
        Timespec {
            sec: 1_000_000_000,
            nsec: 5,
        },
        Timespec {
            sec: 1_500_000_000,
            nsec: 250,
        },
    ];
    println!("futimens: {}", unsafe { futimens(fd, times.as_ptr()) });
    println!("mtime: {}", mtime("/data/r.txt"));
    let dir = File::open("/data").unwrap();
    let times = [
        Timespec {
            sec: 1_600_000_000,
            nsec: 0,
        },
        Timespec {
            sec: 1_700_000_000,
            nsec: 7,
        },
    ];
    let name = c"r.txt";
    let r = unsafe { utimensat(dir.as_raw_fd(), name.as_ptr(), times.as_ptr(), 0) };
    println!("utimensat: {r}");
    println!("mtime: {}", mtime("/data/r.txt"));
    drop(f);
    println!("content: {:?}", fs::read("/data/r.txt").unwrap());
}
