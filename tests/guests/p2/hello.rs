//! WASI 0.2 hello world: prints a greeting and its arguments, one per line.
fn main() {
    println!("hello from a component");
    for (i, a) in std::env::args().enumerate() {
        println!("arg[{i}]={a}");
    }
}
