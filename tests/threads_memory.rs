//! Spawning and ending 10,000 threads inside this process through the embedding API gives
//! its memory and OS threads back. A binary of its own: other tests running alongside in
//! the same process would move its RSS.

mod common;

use common::{build_wasix_c, skip_without_wasix_libc, WASIX_REV};
use std::time::Duration;

#[test]
fn ten_thousand_spawns_leave_bounded_memory_and_no_threads() {
    if skip_without_wasix_libc("ten_thousand_spawns_leave_bounded_memory_and_no_threads") {
        return;
    }
    let wasm = build_wasix_c(&["tests/guests/wasix/threads.c"], &[], WASIX_REV);
    let mut store = wasmer::Store::default();
    let module = wasmer::Module::from_file(&store, &wasm).unwrap();
    let run = |store: &mut wasmer::Store, n: &str| {
        let (w, r) = wasix_compat::core::io::pipe::pipe(1 << 16);
        let code = wasix_compat::host::Builder::new("threads")
            .args(["spawnloop", n])
            .stdout(std::sync::Arc::new(w))
            .run(store, &module)
            .unwrap();
        (code, String::from_utf8(r.take_all()).unwrap())
    };
    // Warm up allocator pools and caches, then measure.
    assert_eq!(run(&mut store, "500").0, 0);
    let (rss0, threads0) = proc_status();
    let (code, text) = run(&mut store, "10000");
    assert_eq!(
        (code, text.as_str()),
        (0, "spawned=10000 sum=20000\nfailures=0\n")
    );
    // Threads finish after their last join wakes the joiner: give them a moment to go.
    let mut after = proc_status();
    for _ in 0..200 {
        if after.1 <= threads0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        after = proc_status();
    }
    assert!(after.1 <= threads0, "threads {threads0} -> {}", after.1);
    let grown = after.0.saturating_sub(rss0);
    assert!(grown < 64 << 20, "RSS grew by {} KiB", grown >> 10);
}

/// (VmRSS bytes, thread count) of this process.
fn proc_status() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |k: &str| -> u64 {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:") * 1024, field("Threads:"))
}
