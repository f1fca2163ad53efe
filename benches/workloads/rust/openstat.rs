//! openstat: open + stat + close of an existing file, SIZE times (default 100,000).
//! argv[1] is the size, argv[2] the directory.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = args.get(2).expect("usage: openstat SIZE DIR");
    let path = format!("{dir}/openstat.file");
    std::fs::write(&path, b"data").expect("create");
    let mut total = 0;
    for _ in 0..n {
        let f = std::fs::File::open(&path).expect("open");
        total += f.metadata().expect("stat").len();
    }
    assert_eq!(total, 4 * n);
}
