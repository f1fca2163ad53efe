//! std::fs on the `/data` preopen: the same source is built for wasm32-wasip2 (a
//! component) and wasm32-wasip1 (a module); both runs must print the same and leave the
//! same host tree (tests/suite/p2.rs).
use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime};

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

fn p(rel: &str) -> String {
    format!("/data/{rel}")
}

fn names(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(p(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn kind<T: std::fmt::Debug>(r: std::io::Result<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("{:?} (os error {:?})", e.kind(), e.raw_os_error()),
    }
}

fn main() {
    // create, write, read
    fs::write(p("a.txt"), b"hello\n").unwrap();
    println!("read: {:?}", fs::read_to_string(p("a.txt")).unwrap());

    // append
    let mut f = OpenOptions::new().append(true).open(p("a.txt")).unwrap();
    f.write_all(b"world\n").unwrap();
    drop(f);
    println!("appended: {:?}", fs::read_to_string(p("a.txt")).unwrap());

    // seek, overwrite in place, read back
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(p("a.txt"))
        .unwrap();
    f.seek(SeekFrom::Start(6)).unwrap();
    f.write_all(b"W").unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    println!("after seek+write: {s:?}");
    let at = f.seek(SeekFrom::End(-4)).unwrap();
    let mut tail = String::new();
    f.read_to_string(&mut tail).unwrap();
    println!("tail at {at}: {tail:?}");
    f.sync_all().unwrap();
    drop(f);

    // a larger file through several writes
    let mut f = fs::File::create(p("big.bin")).unwrap();
    for i in 0..64u32 {
        f.write_all(&[i as u8; 1000]).unwrap();
    }
    drop(f);
    let big = fs::read(p("big.bin")).unwrap();
    println!(
        "big: {} bytes, byte 63999 = {}",
        big.len(),
        big[63999]
    );

    // directories
    fs::create_dir(p("sub")).unwrap();
    fs::create_dir_all(p("sub/deep/er")).unwrap();
    fs::write(p("sub/one"), "1").unwrap();
    fs::write(p("sub/two"), "22").unwrap();
    println!("sub: {:?}", names("sub"));
    println!("create_dir again: {}", kind(fs::create_dir(p("sub"))));
    println!("remove_dir non-empty: {}", kind(fs::remove_dir(p("sub"))));
    println!("open missing: {}", kind(fs::File::open(p("missing"))));

    // metadata
    let m = fs::metadata(p("a.txt")).unwrap();
    println!("a.txt: len={} file={} dir={}", m.len(), m.is_file(), m.is_dir());
    let m = fs::metadata(p("sub")).unwrap();
    println!("sub: file={} dir={}", m.is_file(), m.is_dir());
    let age = SystemTime::now()
        .duration_since(fs::metadata(p("a.txt")).unwrap().modified().unwrap())
        .unwrap_or_default();
    println!("modified within a minute: {}", age < Duration::from_secs(60));

    // rename, remove_file, remove_dir
    fs::rename(p("sub/two"), p("sub/three")).unwrap();
    fs::remove_file(p("sub/one")).unwrap();
    fs::remove_dir(p("sub/deep/er")).unwrap();
    println!("sub after: {:?}", names("sub"));

    // symlink + read_link
    symlink("a.txt", &p("link")).unwrap();
    println!("read_link: {:?}", fs::read_link(p("link")).unwrap());
    println!("through link: {:?}", fs::read_to_string(p("link")).unwrap());
    println!(
        "link is symlink: {}",
        fs::symlink_metadata(p("link")).unwrap().file_type().is_symlink()
    );

    // hard link
    fs::hard_link(p("a.txt"), p("hard")).unwrap();
    fs::write(p("hard"), "via hard link\n").unwrap();
    println!("a.txt via hard link: {:?}", fs::read_to_string(p("a.txt")).unwrap());

    // set_len grows and shrinks
    let f = OpenOptions::new().write(true).open(p("sub/three")).unwrap();
    f.set_len(5).unwrap();
    println!("grown: {:?}", fs::read(p("sub/three")).unwrap());
    f.set_len(1).unwrap();
    f.sync_all().unwrap();
    drop(f);
    println!("shrunk: {:?}", fs::read(p("sub/three")).unwrap());

    fs::remove_file(p("big.bin")).unwrap();
    println!("root: {:?}", names(""));
}
