//! `wasix_64v1`, the 13 port_* imports: a hand-written WAT guest
//! (tests/guests/wat/wasix64_port.wat) imports them with i64 pointers and uses each one
//! for real — address table (inet4 + inet6 CIDRs, list with an 8-byte count, overflow,
//! count-only, remove / noent, clear), gateway, route table (timestamps set and unset,
//! 176-byte entries checked field by field, an already-expired route, overflow, remove,
//! clear), port_mac (6 bytes, locally administered unicast, stable), port_dhcp_acquire,
//! port_unbridge and port_bridge's argument checks (security flags, out-of-bounds strings).
//! Every out-value is surrounded by 0xAA sentinels; list buffers start as 0xAA so entries
//! past the count must be left alone. Pointers whose low 32 bits are valid but which lie
//! above 4 GiB must be `memviolation`, not truncated.
//!
//! The guest runs with `--net`: port_bridge checks its security flags before contacting
//! anything, so no bridge server is needed. It prints `<check>: ok`,
//! `<check>: FAIL errno <n>` or `<check>: FAIL check <k> (value|sentinel)`, then
//! `failures=<n>`, and exits with the number of failures.

use crate::common;

use common::{build_wat, has_line, show, Run};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

const GUEST: &str = "wasix64_port";

fn wat_path() -> PathBuf {
    common::repo()
        .join("tests/guests/wat")
        .join(format!("{GUEST}.wat"))
}

/// The 13 port functions with their `wasix_64v1` signatures.
const PORT_IMPORTS: &[(&str, &str)] = &[
    ("port_bridge", "(param i64 i64 i64 i64 i32) (result i32)"),
    ("port_unbridge", "(result i32)"),
    ("port_dhcp_acquire", "(result i32)"),
    ("port_addr_add", "(param i64) (result i32)"),
    ("port_addr_remove", "(param i64) (result i32)"),
    ("port_addr_clear", "(result i32)"),
    ("port_mac", "(param i64) (result i32)"),
    ("port_addr_list", "(param i64 i64) (result i32)"),
    ("port_gateway_set", "(param i64) (result i32)"),
    ("port_route_add", "(param i64 i64 i64 i64) (result i32)"),
    ("port_route_remove", "(param i64) (result i32)"),
    ("port_route_clear", "(result i32)"),
    ("port_route_list", "(param i64 i64) (result i32)"),
];

/// Every check the guest makes, in order.
const CHECKS: &[&str] = &[
    "addr_list.initial",
    "addr_add.v4",
    "addr_add.v6",
    "addr_add.prefix_too_long",
    "addr_list",
    "addr_list.overflow",
    "addr_list.count_only",
    "addr_list.cap_high_half",
    "addr_remove",
    "addr_remove.again",
    "addr_remove.absent",
    "addr_list.after_remove",
    "addr_clear",
    "addr_list.after_clear",
    "addr_add.above_4g",
    "addr_list.after_above_4g",
    "gateway_set.v4",
    "gateway_set.v6",
    "route_list.initial",
    "route_add.unset_unset",
    "route_add.set_set",
    "route_add.set_unset",
    "route_add.expired",
    "route_list",
    "route_list.overflow",
    "route_list.count_oob",
    "route_remove",
    "route_remove.again",
    "route_remove.expired",
    "route_list.after_remove",
    "route_clear",
    "route_list.after_clear",
    "mac",
    "mac.again",
    "mac.straddle",
    "dhcp_acquire",
    "dhcp.addr_list",
    "unbridge",
    "bridge.security_notsup",
    "bridge.security_zero",
    "bridge.security_wide",
    "bridge.network_oob",
    "bridge.token_above_4g",
];

#[test]
fn guest_imports_every_port_function() {
    let text = std::fs::read_to_string(wat_path()).unwrap();
    let mut got = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("(import \"") else {
            continue;
        };
        let mut parts = rest.splitn(4, '"');
        let module = parts.next().unwrap();
        parts.next();
        let field = parts.next().unwrap();
        let sig = parts.next().unwrap_or("");
        assert_eq!(module, "wasix_64v1", "{GUEST} imports {module}.{field}");
        if !field.starts_with("port_") {
            continue;
        }
        let want = PORT_IMPORTS
            .iter()
            .find(|(f, _)| *f == field)
            .unwrap_or_else(|| panic!("unexpected port import {field}"));
        assert!(
            sig.contains(&format!("{})", want.1)),
            "{field} imported as {sig}, want {}",
            want.1
        );
        got.insert(field.to_string());
    }
    let want: BTreeSet<String> = PORT_IMPORTS.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(got, want, "port imports");
    // Every port function the WASIX table registers is covered.
    let registered: BTreeSet<String> = wasix_compat::witx::WASIX
        .iter()
        .filter(|f| f.starts_with("port_"))
        .map(|f| f.to_string())
        .collect();
    assert_eq!(registered, want, "registered port_* functions");
}

#[test]
fn port_functions_under_wasix_64v1() {
    let text = std::fs::read_to_string(wat_path()).unwrap();
    expect_all_ok(build_wat(GUEST, &text));
}

/// The same guest on an imported shared memory (as wasix-libc programs have): every
/// out-value is copied out exactly as on an own memory. (Route entries used to be zeroed
/// by a scratch copy written back at the end of the call.)
#[test]
fn port_functions_on_a_shared_memory() {
    let text = std::fs::read_to_string(wat_path()).unwrap();
    let own = r#"(memory (export "memory") 1)"#;
    assert!(text.contains(own));
    let text = text.replace(
        own,
        r#"(import "env" "memory" (memory 1 1 shared)) (export "memory" (memory 0))"#,
    );
    expect_all_ok(build_wat(&format!("{GUEST}-shared"), &text));
}

fn expect_all_ok(wasm: PathBuf) {
    let mut run = Run::new(wasm).flag("--net");
    run.timeout = Duration::from_secs(60);
    let out = run.run();
    let stdout = out.stdout_str();
    assert!(!out.timed_out, "timed out\n{}", show(&out));

    // Exactly the expected checks, in order, each `ok`.
    let reported: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(n, _)| n))
        .collect();
    assert_eq!(reported, CHECKS, "checks reported\n{}", show(&out));
    for check in CHECKS {
        assert!(
            has_line(&stdout, &format!("{check}: ok")),
            "{check} not ok\n{}",
            show(&out)
        );
    }
    assert!(has_line(&stdout, "failures=0"), "{}", show(&out));
    assert_eq!(out.code, Some(0), "{}", show(&out));
}
