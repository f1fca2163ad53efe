//! The syscall fuzzer's CI run: about 100,000 random calls over the six module variants
//! (wasi_unstable, preview1, wasix_32v1 and wasix_64v1, the wasix ones also on a shared
//! memory), seed 1. Exact outcome: no invariant violated. `wasix-compat fuzz --calls N
//! --seed S` runs longer.

use crate::common;

use std::process::Command;

#[test]
fn hundred_thousand_random_calls_break_nothing() {
    let out = Command::new(common::bin())
        .args(["fuzz", "--seed", "1", "--calls", "17000"])
        .output()
        .expect("run wasix-compat fuzz");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let summary = text.lines().next().unwrap_or_default().to_string();
    assert!(
        out.status.success() && summary.ends_with(", 0 failures"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls: u64 = summary
        .split(" — ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // Calls of the functions that end the process (proc_exit, exec, longjmp…) are mostly
    // skipped, so a little under 6 × 17,000 are made.
    assert!(calls >= 95_000, "{summary}");
}
