//! Reads a file from the `/data` preopen.
fn main() {
    print!("{}", std::fs::read_to_string("/data/x.txt").unwrap());
}
