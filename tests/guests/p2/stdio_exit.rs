//! Echoes stdin to stdout, prints chosen environment variables, writes to stderr, and
//! exits with status 7 through `std::process::exit`.
use std::io::{Read, Write};

fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).unwrap();
    std::io::stdout().write_all(&input).unwrap();
    let mut vars: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("P2_")).collect();
    vars.sort();
    for (k, v) in vars {
        println!("{k}={v}");
    }
    eprintln!("to stderr");
    std::io::stdout().flush().unwrap();
    std::process::exit(7);
}
