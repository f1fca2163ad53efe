//! Bad input across the canonical ABI: a hand-written component
//! (tests/guests/p2/bad_abi_input.wat) passes broken strings, lists and return pointers
//! to host functions, one case per run (`--env CASE=N`). Each must trap in the host
//! function, naming what was wrong, with the trap status (134) — never a host panic, and
//! never a call that quietly goes ahead.

use crate::common;

use common::{repo, show, Run, TempDir};

/// Runs case `n` with an empty preopen at /data: (status, stdout, stderr).
fn case(n: u32) -> (Option<i32>, String, String) {
    let dir = TempDir::new("p2-bad-input");
    let out = Run::new(repo().join("tests/guests/p2/bad_abi_input.wat"))
        .env("CASE", &n.to_string())
        .dir(dir.path(), "/data")
        .run();
    assert!(!out.timed_out, "{}", show(&out));
    (out.code, out.stdout_str(), out.stderr_str())
}

/// The trap line for a failed call of `func` in guest function `frame`.
fn trapped(func: &str, msg: &str, frame: &str) -> (Option<i32>, String, String) {
    (
        Some(134),
        String::new(),
        format!("wasix-compat: guest trapped: {func}: {msg} (in {frame})\n"),
    )
}

const OPEN_AT: &str = "wasi:filesystem/types@0.2.0#[method]descriptor.open-at";
const WRITE: &str = "wasi:io/streams@0.2.0#[method]output-stream.blocking-write-and-flush";
const POLL: &str = "wasi:io/poll@0.2.0#poll";

/// The same calls with good arguments (aligned list and return pointer included) work:
/// the traps below come from the bad argument alone.
#[test]
fn p2_abi_good_arguments_pass() {
    assert_eq!(case(0), (Some(0), "hi\n".into(), String::new()));
}

#[test]
fn p2_abi_string_not_utf8_traps() {
    assert_eq!(
        case(1),
        trapped(
            OPEN_AT,
            "string at 0x6c is not valid UTF-8 (byte 0 of 2)",
            "open"
        )
    );
}

#[test]
fn p2_abi_string_past_memory_traps() {
    assert_eq!(
        case(2),
        trapped(
            OPEN_AT,
            "string at 0xfffa of 10 bytes runs past the end of guest memory (65536 bytes)",
            "open"
        )
    );
}

#[test]
fn p2_abi_string_huge_length_traps() {
    assert_eq!(
        case(3),
        trapped(
            OPEN_AT,
            "string at 0x64 of 4294967295 bytes runs past the end of guest memory \
             (65536 bytes)",
            "open"
        )
    );
}

#[test]
fn p2_abi_list_past_memory_traps() {
    assert_eq!(
        case(4),
        trapped(
            WRITE,
            "list<u8> at 0xfffa of 10 bytes runs past the end of guest memory (65536 bytes)",
            "func[13]"
        )
    );
}

#[test]
fn p2_abi_list_huge_length_traps() {
    assert_eq!(
        case(5),
        trapped(
            WRITE,
            "list<u8> at 0x70 of 4294967295 bytes runs past the end of guest memory \
             (65536 bytes)",
            "func[13]"
        )
    );
}

/// A list of 4-byte handles at an odd address: the canonical ABI traps on it (the host
/// used to read the handles from there and poll).
#[test]
fn p2_abi_misaligned_list_traps() {
    assert_eq!(
        case(6),
        trapped(
            POLL,
            "list<borrow<pollable>> at 0x2 is not aligned to 4 bytes",
            "poll_at"
        )
    );
}

/// A `datetime` record (u64, u32) returned at a 4-aligned pointer: the canonical ABI
/// wants 8 (the host used to write it there).
#[test]
fn p2_abi_misaligned_return_pointer_traps() {
    assert_eq!(
        case(7),
        trapped(
            "wasi:clocks/wall-clock@0.2.0#now",
            "return pointer 0x4 is not aligned to 8 bytes",
            "func[13]"
        )
    );
}

#[test]
fn p2_abi_list_of_handles_past_memory_traps() {
    assert_eq!(
        case(8),
        trapped(
            POLL,
            "list<borrow<pollable>> at 0xfffc of 8 bytes runs past the end of guest memory \
             (65536 bytes)",
            "func[13]"
        )
    );
}

/// The whole return area of `result<descriptor-stat, error-code>` (104 bytes) must fit,
/// whichever case the host writes.
#[test]
fn p2_abi_return_area_past_memory_traps() {
    assert_eq!(
        case(9),
        trapped(
            "wasi:filesystem/types@0.2.0#[method]descriptor.stat",
            "return area at 0xfff8 of 104 bytes runs past the end of guest memory \
             (65536 bytes)",
            "func[13]"
        )
    );
}
