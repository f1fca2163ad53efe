//! Reads a file: imports wasi:filesystem, which this increment does not provide.
fn main() {
    print!("{}", std::fs::read_to_string("/data/x.txt").unwrap());
}
