//! WASI 0.2 components against wasmtime (`tests/suite/p2.rs`).

/// WASI 0.2 components: where wasmtime 48 + wasmtime-wasi (`--engine wasmtime`) answers
/// differently from our engine. `tests/suite/p2.rs` runs every component on both engines
/// and asserts each engine's exact outcome: (test, check, ours, wasmtime, why).
pub const COMPONENT_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "p2_std_fs_sandbox",
        "writing, truncating, creating, removing or renaming under a `--dir-ro` preopen",
        "`read-only` (std: ReadOnlyFilesystem, errno 69)",
        "`not-permitted` (std: PermissionDenied, errno 63)",
        "the WIT's error-code has `read-only` for exactly this; preview1 programs get `rofs` from us the same way",
    ),
    (
        "p2_use_after_drop_traps",
        "first `ready` of a `subscribe-duration(0)` pollable",
        "true",
        "false (it yields to its executor once; the next `ready` is true)",
        "a zero duration has already elapsed when the pollable is made; the guest of this test checks it and stops at its `unreachable` on wasmtime (without the check both engines trap on the use after drop)",
    ),
    (
        "p2_forged_handle_traps, p2_use_after_drop_traps, p2_wrong_handle_type_traps, p2_write_zeroes_keeps_to_the_wit_limit",
        "trap message for a bad handle or an over-long write-zeroes",
        "names the import and the core function: `wasi:io/poll@0.2.0#[method]pollable.ready: unknown handle index 42 (in func[1])`",
        "the bare reason: `unknown handle index 42`",
        "both trap (status 134); ours says where",
    ),
    (
        "p2_wrong_core_signature_is_a_link_error",
        "a lowering whose core type is not the WIT function's",
        "`import … has core signature () -> (i32), but wasix-compat provides () -> (i64)`",
        "`component imports instance …, but a matching implementation was not found in the linker: … type mismatch …`",
        "both refuse before `run` (status 1), with different wording",
    ),
    (
        "p2_truncated_component_is_one_error_line",
        "a truncated component",
        "`invalid component: unexpected end-of-file (at offset 0x3e0)`",
        "`cannot compile component: failed to parse WebAssembly module: unexpected end-of-file (at offset 0x3e0)`",
        "both refuse it (status 1), with different prefixes",
    ),
    (
        "p2_wasmtime_engine_refuses_modules_and_tmpfs",
        "`--tmpfs GUEST` with `--engine wasmtime`",
        "an in-memory preopen",
        "refused (wasmtime-wasi preopens host directories only)",
        "a limit of the reference engine, not of the guest",
    ),
];
