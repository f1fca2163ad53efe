//! write1: SIZE one-byte writes to a file (default 1,000,000), unbuffered: one host call
//! each. argv[1] is the size, argv[2] the directory.
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = args.get(2).expect("usage: write1 SIZE DIR");
    let mut f = std::fs::File::create(format!("{dir}/write1.out")).expect("create");
    for _ in 0..n {
        assert_eq!(f.write(b"x").expect("write"), 1);
    }
}
