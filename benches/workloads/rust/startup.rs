//! startup: nothing at all; measures process start to `main` and back.
fn main() {}
