//! The bad-input sweep (DESIGN.md §4): every registered import, in every namespace, called
//! with a bad fd, out-of-bounds pointers, huge lengths, invalid UTF-8 and bad enum values.
//! Parameter kinds come from our `witx/`; one generated WAT module per namespace makes all
//! the calls and reports each errno. The host must never trap or panic, and each errno must
//! be the documented one.

use crate::common;

use common::{build_wat, Run, TempDir};
use std::collections::BTreeMap;
use std::fmt::Write;
use wasix_compat::registry::{signatures, ImportSig};

const FAULT: u16 = 21;
const MEMVIOLATION: u16 = 78;
const BADF: u16 = 8;
const INVAL: u16 = 28;
const ILSEQ: u16 = 25;
const NOTSOCK: u16 = 57;
const SRCH: u16 = 71;
const CHILD: u16 = 12;
const NOTSUP: u16 = 58;
const NOEXEC: u16 = 45;
/// What a call of a function without a result records: it returned (no trap, no exit).
const RETURNED: u16 = 0xFFFF;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum K {
    Fd,
    Ptr,
    Str,
    Len,
    Val,
}

/// Parameter kinds of the 2022 WASIX forms, which no current witx declares (tests/suite/witx_abi.rs
/// lists them as alternates).
fn legacy_kinds(name: &str, arity: usize) -> Option<Vec<K>> {
    use K::*;
    let ks = match name {
        "thread_spawn" => vec![Val, Val, Val, Val, Ptr],
        "thread_local_create" => vec![Val, Ptr],
        "thread_local_destroy" => vec![Val],
        "thread_local_set" => vec![Val, Val],
        "thread_local_get" => vec![Val, Ptr],
        "proc_join" => vec![Val, Ptr],
        "callback_thread" | "callback_reactor" | "callback_thread_local_destroy" => vec![Str, Len],
        _ => return None,
    };
    (ks.len() == arity).then_some(ks)
}

/// Parameter kinds of each function, in wasm order, from a witx document.
fn kinds_of(doc: &witx::Document) -> BTreeMap<String, Vec<K>> {
    use witx::{BuiltinType, Type, TypeRef};
    let mut out = BTreeMap::new();
    for m in doc.modules() {
        for f in m.funcs() {
            let mut ks = Vec::new();
            for p in &f.params {
                let named = |n: &str| matches!(&p.tref, TypeRef::Name(nt) if nt.name.as_str() == n);
                match &**p.tref.type_() {
                    // A pid is no fd: its bad values are in wasix_enum_cases.
                    _ if named("pid") => ks.push(K::Val),
                    Type::Handle(_) => ks.push(K::Fd),
                    _ if named("fd") => ks.push(K::Fd),
                    Type::Pointer(_) | Type::ConstPointer(_) => ks.push(K::Ptr),
                    Type::List(elem) => {
                        let is_str = matches!(&**elem.type_(), Type::Builtin(BuiltinType::Char));
                        ks.push(if is_str { K::Str } else { K::Ptr });
                        ks.push(K::Len);
                    }
                    _ if named("size") => ks.push(K::Len),
                    _ => ks.push(K::Val),
                }
            }
            // Results other than the errno come back through pointers appended to params.
            let (params, _) = f.wasm_signature();
            while ks.len() < params.len() {
                ks.push(K::Ptr);
            }
            out.insert(f.name.as_str().to_string(), ks);
        }
    }
    out
}

fn witx_kinds(dir: &str) -> BTreeMap<String, Vec<K>> {
    let root = common::repo().join("witx").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "witx"))
        .collect();
    files.sort();
    let doc = witx::load(&files).unwrap_or_else(|e| panic!("witx {dir}: {e}"));
    kinds_of(&doc)
}

struct Case {
    func: &'static str,
    case: &'static str,
    args: Vec<u64>,
    expect: Vec<u16>,
}

/// Fd used when a call needs a *valid* fd: 3 is the preopened directory, 4 a file the
/// module opens first.
fn good_fd(func: &str) -> u64 {
    if func.starts_with("path_") || func == "fd_readdir" || func.starts_with("fd_prestat") {
        3
    } else {
        4
    }
}

const SCRATCH: u64 = 1024; // valid scratch areas: SCRATCH + i*256
const BAD_UTF8: u64 = 900; // two bytes 0xff 0xfe
const RESULTS: u64 = 32768;

/// The `k`-th plain value argument of `f`: valid, so that only the pointer, length or fd
/// under test can be wrong (how=3 for sock_shutdown; inet4 stream sockets).
fn valid_value(f: &str, k: usize) -> u64 {
    match (f, k) {
        ("sock_shutdown", 0) => 3,
        ("sock_open" | "sock_pair", 0 | 1) => 1,
        _ => 0,
    }
}

fn cases(sig: &ImportSig, ks: &[K], wide: bool) -> Vec<Case> {
    let mut v = errno_cases(sig, ks, wide);
    // A function without a result (callback_signal) cannot report: bad input is ignored,
    // and the call must return.
    if sig.results.is_empty() {
        for c in &mut v {
            c.expect = vec![RETURNED];
        }
    }
    v
}

fn errno_cases(sig: &ImportSig, ks: &[K], wide: bool) -> Vec<Case> {
    let f = sig.name;
    let fault = if sig.module.starts_with("wasix") {
        MEMVIOLATION
    } else {
        FAULT
    };
    let oob: u64 = if wide { 0x1_0000_0040 } else { 0xFFFF_FFF0 };
    let huge: u64 = if wide { u64::MAX } else { 0xFFFF_FFFF };
    let has = |k: K| ks.contains(&k);
    // Socket calls on fd 4 (a file) stop at `notsock` before touching memory; those
    // without an fd (sock_open, sock_pair) reach the pointer.
    let is_sock = f.starts_with("sock_") && has(K::Fd);
    // epoll calls on fd 4 stop at `inval`: it is not an epoll fd.
    let is_epoll_op = f == "epoll_ctl" || f == "epoll_wait";
    let mut out = Vec::new();
    let build = |fd: u64, ptr: &dyn Fn(usize) -> u64, len: &dyn Fn(usize) -> u64| -> Vec<u64> {
        ks.iter()
            .enumerate()
            .map(|(i, k)| match k {
                K::Fd => fd,
                K::Ptr | K::Str => ptr(i),
                K::Len => len(i),
                K::Val => valid_value(f, ks[..i].iter().filter(|k| **k == K::Val).count()),
            })
            .collect()
    };
    if has(K::Fd) {
        out.push(Case {
            func: f,
            case: "bad_fd",
            args: build(9999, &|i| SCRATCH + i as u64 * 256, &|_| 0),
            expect: vec![BADF],
        });
    }
    if has(K::Ptr) || has(K::Str) {
        let e = if is_sock {
            NOTSOCK
        } else if is_epoll_op {
            INVAL
        } else {
            fault
        };
        out.push(Case {
            func: f,
            case: "oob_ptr",
            args: build(good_fd(f), &|_| oob, &|_| 16),
            expect: vec![e],
        });
    }
    if has(K::Len) {
        let e = if is_sock {
            NOTSOCK
        } else if is_epoll_op {
            INVAL
        } else {
            fault
        };
        out.push(Case {
            func: f,
            case: "huge_len",
            args: build(good_fd(f), &|i| SCRATCH + i as u64 * 256, &|_| huge),
            expect: vec![e],
        });
    }
    if has(K::Str) {
        // Each string points at invalid UTF-8 (length 2); other buffers are valid.
        let strs: Vec<usize> = ks
            .iter()
            .enumerate()
            .filter(|(_, k)| **k == K::Str)
            .map(|(i, _)| i)
            .collect();
        let args = build(
            3,
            &|i| {
                if strs.contains(&i) {
                    BAD_UTF8
                } else {
                    SCRATCH + i as u64 * 256
                }
            },
            &|i| {
                if i > 0 && strs.contains(&(i - 1)) {
                    2
                } else {
                    16
                }
            },
        );
        out.push(Case {
            func: f,
            case: "bad_utf8",
            args,
            // port_bridge's network and token are `inval` when not UTF-8 (port issue).
            expect: vec![if f == "port_bridge" { INVAL } else { ILSEQ }],
        });
    }
    out
}

/// Calls with bad enum / flag values, by name (wasm-order argument lists). Whence 3 is
/// out of range in both the preview0 and the preview1 order.
fn enum_cases() -> Vec<Case> {
    let s = SCRATCH;
    vec![
        Case {
            func: "fd_seek",
            case: "bad_whence",
            args: vec![4, 0, 3, s],
            expect: vec![INVAL],
        },
        Case {
            func: "fd_advise",
            case: "bad_advice",
            args: vec![4, 0, 0, 6],
            expect: vec![INVAL],
        },
        Case {
            func: "clock_time_get",
            case: "bad_clock",
            args: vec![4, 0, s],
            expect: vec![INVAL],
        },
        Case {
            func: "clock_res_get",
            case: "bad_clock",
            args: vec![99, s],
            expect: vec![INVAL],
        },
        Case {
            func: "fd_filestat_set_times",
            case: "atim_and_now",
            args: vec![4, 0, 0, 3],
            expect: vec![INVAL],
        },
        Case {
            func: "fd_filestat_set_times",
            case: "unknown_fst",
            args: vec![4, 0, 0, 0x10],
            expect: vec![INVAL],
        },
        Case {
            func: "fd_fdstat_set_flags",
            case: "unknown_fdflags",
            args: vec![4, 0x20],
            expect: vec![INVAL],
        },
        Case {
            func: "path_open",
            case: "unknown_oflags",
            args: vec![3, 0, 800, 1, 0x10, 0, 0, 0, s],
            expect: vec![INVAL],
        },
        Case {
            func: "path_open",
            case: "unknown_fdflags",
            args: vec![3, 0, 800, 1, 0, 0, 0, 0x20, s],
            expect: vec![INVAL],
        },
        Case {
            func: "path_open",
            case: "unknown_lookupflags",
            args: vec![3, 2, 800, 1, 0, 0, 0, 0, s],
            expect: vec![INVAL],
        },
        Case {
            func: "path_filestat_get",
            case: "unknown_lookupflags",
            args: vec![3, 2, 800, 1, s],
            expect: vec![INVAL],
        },
        Case {
            func: "sock_shutdown",
            case: "bad_how",
            args: vec![4, 0],
            expect: vec![INVAL],
        },
        Case {
            func: "proc_raise",
            case: "bad_signal",
            args: vec![99],
            expect: vec![INVAL],
        },
        // poll_oneoff with one subscription whose tag (at byte 8) is 3: no such event type.
        Case {
            func: "poll_oneoff",
            case: "bad_tag",
            args: vec![2048, 4096, 1, s],
            expect: vec![INVAL],
        },
        Case {
            func: "poll_oneoff",
            case: "no_subscriptions",
            args: vec![2048, 4096, 0, s],
            expect: vec![INVAL],
        },
        Case {
            func: "fd_renumber",
            case: "to_unknown_fd",
            args: vec![4, 9999],
            expect: vec![BADF],
        },
    ]
}

/// Bad values for the WASIX thread and signal imports (wasix namespaces only).
fn wasix_enum_cases() -> Vec<Case> {
    let s = SCRATCH;
    vec![
        // The sweep module has no function table (see TABLE_USERS below).
        Case {
            func: "closure_free",
            case: "no_table",
            args: vec![3],
            expect: vec![NOTSUP],
        },
        // The sweep module is not position-independent: no handle is valid.
        Case {
            func: "dl_invalid_handle",
            case: "not_dynamic",
            args: vec![3],
            expect: vec![NOEXEC],
        },
        // clock_time_set: an unknown clock is inval (checked before the permission).
        Case {
            func: "clock_time_set",
            case: "bad_clock",
            args: vec![99, 0],
            expect: vec![INVAL],
        },
        // Pids: one not in the family is `srch`; signals past 31 and unknown join flags or
        // option tags are `inval`.
        Case {
            func: "proc_parent",
            case: "unknown_pid",
            args: vec![9999, s],
            expect: vec![SRCH],
        },
        Case {
            func: "proc_signal",
            case: "unknown_pid",
            args: vec![9999, 0],
            expect: vec![SRCH],
        },
        Case {
            func: "proc_signal",
            case: "bad_signal",
            args: vec![1, 40],
            expect: vec![INVAL],
        },
        Case {
            func: "proc_join",
            case: "bad_flags",
            args: vec![s, 4, s + 16],
            expect: vec![INVAL],
        },
        Case {
            func: "proc_join",
            case: "no_children",
            args: vec![s, 1, s + 16],
            expect: vec![CHILD],
        },
        Case {
            func: "thread_signal",
            case: "bad_signal",
            args: vec![1, 99],
            expect: vec![INVAL],
        },
        Case {
            func: "thread_signal",
            case: "unknown_thread",
            args: vec![77, 10],
            expect: vec![SRCH],
        },
        // A tid is no fd: one never given out is `srch`, as pthread_join says.
        Case {
            func: "thread_join",
            case: "unknown_thread",
            args: vec![9999],
            expect: vec![SRCH],
        },
        // Signal 0 and numbers past the enum, and a bool that is neither 0 nor 1.
        Case {
            func: "proc_raise_interval",
            case: "no_signal",
            args: vec![0, 1_000_000, 0],
            expect: vec![INVAL],
        },
        Case {
            func: "proc_raise_interval",
            case: "bad_signal",
            args: vec![99, 1_000_000, 0],
            expect: vec![INVAL],
        },
        Case {
            func: "proc_raise_interval",
            case: "bad_repeat",
            args: vec![14, 1_000_000, 2],
            expect: vec![INVAL],
        },
        // The 2022 spawn: reactor is a bool, the stack's start lies below its base.
        Case {
            func: "thread_spawn",
            case: "bad_reactor",
            args: vec![0, 4096, 0, 2, s],
            expect: vec![INVAL],
        },
        Case {
            func: "thread_spawn",
            case: "inverted_stack",
            args: vec![0, 4096, 8192, 0, s],
            expect: vec![INVAL],
        },
        Case {
            func: "thread_local_destroy",
            case: "unknown_key",
            args: vec![12345],
            expect: vec![INVAL],
        },
        Case {
            func: "thread_local_set",
            case: "unknown_key",
            args: vec![12345, 7],
            expect: vec![INVAL],
        },
        Case {
            func: "thread_local_get",
            case: "unknown_key",
            args: vec![12345, s],
            expect: vec![INVAL],
        },
        // The futex word must be 4-byte aligned; a timeout tag must be none or some.
        Case {
            func: "futex_wait",
            case: "unaligned",
            args: vec![s + 1, 0, s + 16, s + 64],
            expect: vec![INVAL],
        },
        Case {
            func: "futex_wake",
            case: "unaligned",
            args: vec![s + 2, s + 64],
            expect: vec![INVAL],
        },
        Case {
            func: "futex_wake_all",
            case: "unaligned",
            args: vec![s + 3, s + 64],
            expect: vec![INVAL],
        },
        Case {
            func: "futex_wait",
            case: "bad_timeout_tag",
            args: vec![s, 0, BAD_UTF8, s + 64],
            expect: vec![INVAL],
        },
    ]
}

fn wat_for(ns: &str, sigs: &[&ImportSig], calls: &[Case]) -> String {
    let ty = |t: &wasmer::Type| match t {
        wasmer::Type::I64 => "i64",
        _ => "i32",
    };
    let mut w = String::new();
    writeln!(w, "(module").unwrap();
    // Set-up and output go through preview1, which also shows mixed namespaces work.
    writeln!(w, r#"  (import "wasi_snapshot_preview1" "path_open" (func $setup_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))"#).unwrap();
    writeln!(w, r#"  (import "wasi_snapshot_preview1" "fd_write" (func $setup_write (param i32 i32 i32 i32) (result i32)))"#).unwrap();
    for s in sigs {
        let p: Vec<&str> = s.params.iter().map(ty).collect();
        let r: Vec<&str> = s.results.iter().map(ty).collect();
        writeln!(
            w,
            r#"  (import "{ns}" "{n}" (func ${n} (param {}){}))"#,
            p.join(" "),
            if r.is_empty() {
                String::new()
            } else {
                format!(" (result {})", r.join(" "))
            },
            n = s.name
        )
        .unwrap();
    }
    writeln!(w, "  (memory (export \"memory\") 1)").unwrap();
    writeln!(w, r#"  (data (i32.const 800) "sweep.txt")"#).unwrap();
    writeln!(w, r#"  (data (i32.const {BAD_UTF8}) "\ff\fe")"#).unwrap();
    // A subscription with tag 3 at 2048 (userdata 0, tag at +8).
    writeln!(w, r#"  (data (i32.const 2056) "\03")"#).unwrap();
    writeln!(w, "  (func (export \"_start\")").unwrap();
    // fd 4 := path_open(3, 0, "sweep.txt", creat, all rights) with read+write.
    writeln!(w, "    (if (i32.ne (call $setup_open (i32.const 3) (i32.const 0) (i32.const 800) (i32.const 9) (i32.const 1) (i64.const 0x3fffffff) (i64.const 0x3fffffff) (i32.const 0) (i32.const 0)) (i32.const 0)) (then unreachable))").unwrap();
    for (k, c) in calls.iter().enumerate() {
        let s = sigs
            .iter()
            .find(|s| s.name == c.func)
            .expect("call of a registered function");
        let args: Vec<String> = s
            .params
            .iter()
            .zip(&c.args)
            .map(|(t, v)| match t {
                wasmer::Type::I64 => format!("(i64.const {v})"),
                _ => format!("(i32.const {})", *v as u32),
            })
            .collect();
        if s.results.is_empty() {
            writeln!(
                w,
                "    (call ${} {}) (i32.store16 (i32.const {}) (i32.const {RETURNED}))",
                c.func,
                args.join(" "),
                RESULTS + 2 * k as u64,
            )
            .unwrap();
        } else {
            writeln!(
                w,
                "    (i32.store16 (i32.const {}) (call ${} {}))",
                RESULTS + 2 * k as u64,
                c.func,
                args.join(" ")
            )
            .unwrap();
        }
    }
    // iovec at 16: RESULTS, 2*len; then exit normally.
    writeln!(w, "    (i32.store (i32.const 16) (i32.const {RESULTS}))").unwrap();
    writeln!(
        w,
        "    (i32.store (i32.const 20) (i32.const {}))",
        2 * calls.len()
    )
    .unwrap();
    writeln!(
        w,
        "    (drop (call $setup_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))"
    )
    .unwrap();
    writeln!(w, "  ))").unwrap();
    w
}

/// Sweeps every import of `ns`. A function registered in two ABI generations cannot be
/// imported twice by one module, so the second generation gets a module of its own.
fn sweep(ns: &'static str) {
    let all = signatures();
    let mut primary: Vec<&ImportSig> = Vec::new();
    let mut alternates: Vec<&ImportSig> = Vec::new();
    for s in all.iter().filter(|s| s.module == ns) {
        if primary.iter().any(|p| p.name == s.name) {
            alternates.push(s);
        } else {
            primary.push(s);
        }
    }
    assert!(!primary.is_empty(), "no imports registered for {ns}");
    sweep_module(ns, "main", &primary, true);
    if !alternates.is_empty() {
        sweep_module(ns, "alternates", &alternates, false);
    }
}

fn sweep_module(ns: &'static str, part: &str, sigs: &[&ImportSig], with_enums: bool) {
    let sigs = sigs.to_vec();
    let kinds = if ns == "wasi_unstable" {
        witx_kinds("preview0")
    } else if ns.starts_with("wasix") && common::repo().join("witx/wasix").exists() {
        let mut k = witx_kinds("preview1");
        k.extend(witx_kinds("wasix"));
        k
    } else {
        witx_kinds("preview1")
    };
    let wide = ns == "wasix_64v1";
    let mut calls = Vec::new();
    for s in &sigs {
        // These end the run by design; proc_raise's and thread_signal's bad values are
        // covered below, the noreturn process imports' in wasix_procs_bad_input.
        if matches!(
            s.name,
            "proc_exit"
                | "proc_exit2"
                | "thread_exit"
                | "proc_raise"
                | "thread_signal"
                | "thread_join"
                | "proc_exec"
                | "proc_exec2"
                | "stack_restore"
        ) {
            continue;
        }
        // Names with two ABI generations are told apart by arity (sock_accept with four
        // parameters is sock_accept_v2's shape).
        let legacy = legacy_kinds(s.name, s.params.len());
        let ks = kinds
            .get(s.name)
            .filter(|k| k.len() == s.params.len())
            .or(legacy.as_ref())
            .or_else(|| kinds.get(&format!("{}_v2", s.name)))
            .unwrap_or_else(|| panic!("{ns}::{} is not in our witx", s.name));
        assert_eq!(
            ks.len(),
            s.params.len(),
            "{ns}::{}: witx kinds vs wasm params",
            s.name
        );
        calls.extend(cases(s, ks, wide));
    }
    // The sweep module has no function table: the imports that work on one answer
    // `notsup` before reading any pointer (their bad input, on a module with a table, is
    // tests/suite/wasix_closures.rs's).
    const TABLE_USERS: [&str; 5] = [
        "closure_allocate",
        "closure_prepare",
        "closure_free",
        "call_dynamic",
        "reflect_signature",
    ];
    for c in calls.iter_mut().filter(|c| TABLE_USERS.contains(&c.func)) {
        c.expect = vec![NOTSUP];
    }
    // proc_raise(99) returns inval without exiting, so it can be part of the sweep.
    if with_enums {
        calls.extend(enum_cases());
        if ns.starts_with("wasix") {
            calls.extend(wasix_enum_cases());
            // A WASIX fd_renumber is dup2: the target need not be open.
            for c in calls.iter_mut().filter(|c| c.case == "to_unknown_fd") {
                c.expect = vec![0];
            }
        }
    }
    let covered: std::collections::BTreeSet<&str> = calls.iter().map(|c| c.func).collect();
    for s in &sigs {
        assert!(
            // Functions without parameters have no input to get wrong.
            covered.contains(s.name)
                || matches!(s.name, "proc_exit" | "proc_exit2" | "thread_exit")
                // Noreturn: their bad input ends the run (wasix_procs::*_bad_input).
                || matches!(s.name, "proc_exec" | "proc_exec2" | "stack_restore")
                // Every u64 is a valid duration (tests/suite/wasix_sync.rs sleeps 0 and 1 ms).
                || s.name == "thread_sleep"
                // Every u64 names a context or none (`inval`: tests/suite/wasix_contexts.rs).
                || matches!(s.name, "context_switch" | "context_destroy")
                || s.params.is_empty(),
            "{ns}::{} has no bad-input case",
            s.name
        );
    }
    let wasm = build_wat(&format!("sweep-{ns}-{part}"), &wat_for(ns, &sigs, &calls));
    let tmp = TempDir::new("sweep");
    // The sweep's fds are fixed (3 the sandbox, 4 its file): no WASIX root in front.
    let out = Run::new(&wasm)
        .dir(tmp.path(), "/sandbox")
        .flag("--preopens-only")
        .run();
    out.assert_ok();
    assert_eq!(out.stdout.len(), 2 * calls.len(), "one errno per call");
    let mut failures = Vec::new();
    for (k, c) in calls.iter().enumerate() {
        let got = u16::from_le_bytes([out.stdout[2 * k], out.stdout[2 * k + 1]]);
        if !c.expect.contains(&got) {
            failures.push(format!(
                "{ns}::{} [{}] args={:?}: got errno {got}, want {:?}",
                c.func, c.case, c.args, c.expect
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} calls wrong:\n{}",
        failures.len(),
        calls.len(),
        failures.join("\n")
    );
    eprintln!(
        "{ns}: {} bad-input calls, all with the documented errno",
        calls.len()
    );
}

#[test]
fn sweep_wasi_unstable() {
    sweep("wasi_unstable");
}

#[test]
fn sweep_wasi_snapshot_preview1() {
    sweep("wasi_snapshot_preview1");
}

#[test]
fn sweep_wasix_32v1() {
    sweep("wasix_32v1");
}

#[test]
fn sweep_wasix_64v1() {
    sweep("wasix_64v1");
}
