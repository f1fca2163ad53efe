//! stream: write SIZE MiB sequentially in 64 KiB chunks, then read it all back
//! (default 256). argv[1] is the size, argv[2] the directory.
use std::io::{Read, Seek, SeekFrom, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mib: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(256);
    let dir = args.get(2).expect("usage: stream SIZE DIR");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(format!("{dir}/stream.out"))
        .expect("open");
    let mut buf: Vec<u8> = (0..64 * 1024).map(|i| i as u8).collect();
    let chunks = mib * 16;
    for _ in 0..chunks {
        f.write_all(&buf).expect("write");
    }
    f.seek(SeekFrom::Start(0)).expect("seek");
    let (mut total, mut sum) = (0u64, 0u64);
    loop {
        let r = f.read(&mut buf).expect("read");
        if r == 0 {
            break;
        }
        sum += buf[r - 1] as u64;
        total += r as u64;
    }
    assert_eq!(total, chunks * buf.len() as u64, "read back what was written");
    assert!(sum > 0);
}
