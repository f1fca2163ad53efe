//! `wasix-compat matrix`: generates `compat-matrix/` from the import registry, the tables
//! below, `wit/` (the WASI 0.2 table) and the import records the test suite leaves in
//! `target/import-evidence/`. `--check` fails when the committed files are stale.

pub mod components;
pub mod differences;

use crate::witx::Namespace;
use differences::KNOWN_DIFFERENCES;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a function does when it cannot do the real thing, stated once here.
pub struct Documented {
    pub function: &'static str,
    pub behaviour: &'static str,
}

pub const DOCUMENTED: &[Documented] = &[
    Documented { function: "dlopen", behaviour: "for a main module linked with `-fPIC -Wl,-pie` (else `notsup` and a message): loads a `-shared` side module (dylink.0) from the guest's file system — a name with `/` is a path, a bare name is looked for in LD_LIBRARY_PATH, /lib, /usr/lib, /usr/local/lib — with what it needs first; RTLD_NOW refuses undefined imports, RTLD_LAZY binds at the first call; RTLD_GLOBAL/LOCAL/NOLOAD honoured; NULL is the main module (handle 1); failures write the dlerror text (truncated, NUL-terminated); side modules with thread-locals get the loading thread's block only" },
    Documented { function: "dlsym", behaviour: "a function's table index (one per function: the module's own slot if its elements have one) or a data symbol's address; handle 0 is RTLD_DEFAULT (main + RTLD_GLOBAL modules), 1 the main module, else the module and what it needs; not found `noent` with `symbol not found: NAME`; an unknown handle `inval`" },
    Documented { function: "dl_invalid_handle", behaviour: "wasix-libc's dlclose: `success` for the main module's or a loaded module's handle, else `noexec`; modules stay loaded (as under wasmer-wasix)" },
    Documented { function: "sock_accept", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds (sockets arrive with the WASIX sockets work)" },
    Documented { function: "sock_recv", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds" },
    Documented { function: "sock_send", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds" },
    Documented { function: "sock_shutdown", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds, `inval` for bad `how`" },
    Documented { function: "proc_raise", behaviour: "default POSIX action: terminating signals end the run with status 128+N; ignored-by-default and stop signals do nothing; >30 is `inval`" },
    Documented { function: "fd_fdstat_set_flags", behaviour: "changing dsync/rsync/sync after open is `notsup` (Linux cannot); append and nonblock work" },
    Documented { function: "path_symlink", behaviour: "absolute targets are `perm` (they could only lead outside the sandbox); in-memory trees: `notsup`" },
    Documented { function: "path_link", behaviour: "in-memory trees: `notsup`; across a host dir and an in-memory tree: `xdev`" },
    Documented { function: "thread_signal", behaviour: "to the caller: delivered before it returns; to another live thread: pending for that thread, which is interrupted and runs the handler at its next blocking import (wasix-libc's 0x3fffffff means the main thread); unknown ids are `srch`; SIGKILL ends the process (137) and SIGSTOP does nothing without reaching a handler; before any handler is registered, a signal to another thread takes its POSIX default action for the process (SIGTERM: 143)" },
    Documented { function: "thread_exit", behaviour: "ends the calling thread; the last thread exiting ends the process with its code (after the main thread's thread_exit: the code of the thread that ends last, 0 for one that returned from its entry)" },
    Documented { function: "thread_spawn", behaviour: "the 2022 5-argument form; reactor threads (`reactor` = 1) are `notsup`; without a shared memory `notsup`, without the entry export `notcapable`" },
    Documented { function: "thread_spawn_v2", behaviour: "without a shared memory `notsup` (wasmer-wasix: `memviolation`), without `wasi_thread_start` `notcapable`; past the thread limit `again`" },
    Documented { function: "thread-spawn", behaviour: "negated errno as thread_spawn_v2 (the wasi-threads convention)" },
    Documented { function: "clock_time_set", behaviour: "`perm` unless the embedder allows it (`--allow-clock-set`, `Builder::allow_clock_set`; wasmer-wasix lets every guest set any clock); allowed, it sets the process's own realtime clock (clock_time_get, realtime poll deadlines, wasi:clocks wall-clock of the same process), never the host's; forked children inherit it; other clocks and unknown ids `inval` (POSIX clock_settime)" },
    Documented { function: "fd_renumber", behaviour: "preview1-only modules: moves `fd` onto the open `to` (the witx); in a module that also imports WASIX: dup2 (the target need not be open, the source stays open), as wasmer-wasix and wasix-libc's dup2 expect" },
    Documented { function: "proc_fork", behaviour: "needs an asyncify-transformed module with a shared memory, from the main thread outside signal handlers; else `notsup` (wasmer-wasix: the process exits with 45); past `--max-procs` `again`; vfork (`copy_memory` 0) lends the instance and memory to the child until it execs or exits (as wasmer-wasix); a vfork child may not fork (`notsup`)" },
    Documented { function: "proc_fork_env", behaviour: "`notsup` (the vfork of exception-handling wasix-libc builds; asyncify builds use proc_fork)" },
    Documented { function: "proc_snapshot", behaviour: "`notsup`: there is no journal (wasmer-wasix: success without one)" },
    Documented { function: "proc_join", behaviour: "a pid that is not a child (or no child at all) is `child`; non-blocking with nothing ended answers pid 0 and status `nothing` (waitpid returns 0); signal deaths are `exit_signal` with exit code 0" },
    Documented { function: "proc_signal", behaviour: "0: the caller's group, -1: every process but the root and the caller, < -1: a group; unknown pid or group `srch`; > 31 `inval`; to another process SIGKILL ends it, others take the default action before it registered a handler, else become pending and interrupt its main thread" },
    Documented { function: "proc_parent", behaviour: "the parent of `pid` (0 or the caller's pid: the caller's); 0 for the root; a pid not in the family `srch` (wasmer-wasix: the pid itself / `badf`)" },
    Documented { function: "proc_exec", behaviour: "noreturn: a failure ends the process with the errno as its status (as wasmer-wasix)" },
    Documented { function: "proc_exec2", behaviour: "noreturn: a failure ends the process with the errno as its status (as wasmer-wasix)" },
    Documented { function: "proc_exec3", behaviour: "from the main thread only (`notsup` elsewhere); missing `noent`, a directory `acces`, not a module or a command we cannot link `noexec`; `#!` scripts run their interpreter; the image is replaced in place (same pid), fds with cloexec closed" },
    Documented { function: "proc_exec4", behaviour: "as proc_exec3 with NUL-terminated string arrays (more than 1 MiB of strings: `2big`)" },
    Documented { function: "proc_spawn", behaviour: "`chroot` and a preopen list `notsup`; stdio `null` and `log` are null streams (wasmer-wasix closes the fd); `piped` gives the caller the other end" },
    Documented { function: "proc_spawn2", behaviour: "file actions in order (close of a closed fd is ignored; dup2 onto itself clears cloexec; fchdir only to a preopen); missing program `noent` (wasmer-wasix: `noexec`); past `--max-procs` `again`" },
    Documented { function: "proc_spawn3", behaviour: "as proc_spawn2 with NUL-terminated string arrays" },
    Documented { function: "stack_checkpoint", behaviour: "needs asyncify and the main thread, outside signal handlers; else `notsup` (wasix-libc's setjmp then traps; wasmer-wasix exits with 45)" },
    Documented { function: "stack_restore", behaviour: "a buffer that names no live checkpoint of this thread traps (`longjmp to a jmp_buf that is not live`; wasmer-wasix exits with 79)" },
    Documented { function: "closure_allocate", behaviour: "a slot of the instance's indirect function table (a freed one first, else the table grows by one), written as a function_pointer (8 bytes under wasix_64v1; wasmer-wasix writes 4); null until prepared. Works for non-PIC wasix-libc modules: the host exports their table (`__indirect_function_table`) and drops its maximum when the module imports a closure, call_dynamic or reflect_signature import (wasmer-wasix: `notsup` unless the module is a dynamically linked PIC main). No table `notsup`; bad out-pointer `memviolation` (no slot taken); the table cannot grow `nomem`" },
    Documented { function: "closure_prepare", behaviour: "puts a function of the requested signature in the closure slot: it packs its arguments (i32 4, i64 8, f32 4, f64 8, v128 16 bytes, little-endian, no padding) on the guest's shadow stack (`__stack_pointer`, each buffer rounded to 16 bytes, restored after) and calls backing(values*, results*, user_data) through the table, then loads the results. A small wasm trampoline compiled once per signature and instantiated per prepare (wasmer cannot put host functions in tables; wasmer-wasix compiles and links a module per prepare). Backing type (i32,i32,i32)->() under wasix_32v1, (i64,i64,i64)->() under wasix_64v1 (wasmer-wasix: i32 under both). Type code > 4, more than 1000 parameters or results, a slot closure_allocate did not hand out (or freed), a missing or wrongly typed backing function: `inval` (wasmer-wasix checks none of these at prepare); type arrays outside memory `memviolation`; no table, memory or `(mut i32)` `__stack_pointer` export `notsup`. Closures are per thread instance (each thread has its own table) and are not carried into forked children" },
    Documented { function: "closure_free", behaviour: "the slot becomes null (a stale call traps) and is reused by the next closure_allocate; a slot not handed out by closure_allocate, or already freed, `inval` (wasmer-wasix, for a dynamically linked module: success, nothing freed; and it leaves a freed slot's closure in place)" },
    Documented { function: "call_dynamic", behaviour: "calls the table's function with arguments decoded from the value buffer (packed as closure_prepare's). strict 1: values_len and results_len must equal the signature's buffer sizes, else `inval` before the call (wasmer-wasix checks the results length after calling); strict 0: missing argument bytes are zero, extra ignored, results written in order while each fits whole (wasmer-wasix skips a result that does not fit and may write a later, smaller one); strict other than 0/1 `inval`. Null slot, index past the table, reference-typed signature `inval` (wasmer-wasix panics on reference types); buffers outside memory `memviolation`, checked before the call; a trap or exit in the callee propagates as from a direct call. wasmer-wasix: `notsup` for non-PIC modules" },
    Documented { function: "reflect_signature", behaviour: "writes reflection_result {cacheable u8 @0, arguments u16 @2, results u16 @4} (cacheable 0 for closure slots), then the type codes when both buffers are big enough, else `overflow` with the buffers untouched; only the low 16 bits of each length count. Null slot `inval` (result {cacheable, 0, 0}), index past the table `inval` (result {0, 0, 0}), reference-typed signature `inval` after the counts; result or buffers outside memory `memviolation`. wasmer-wasix: `notsup` for non-PIC modules" },
    Documented { function: "port_bridge", behaviour: "joins a network served by `wasix-compat net serve` (wasmer-wasix: `notsup` for every call). `network` is `tls://host:port` (TLS 1.3, server certificate verified against the system roots, a CA file or a pinned SHA-256 fingerprint: `--bridge-ca`/`--bridge-pin`, `Builder::bridge_ca`/`bridge_pin`), `tcp://host:port` or `host:port` (plain TCP), `ws://host[:port][/path]` or `wss://...` (virtual-net's WebSocket transport after an HTTP/1.1 upgrade carrying the token as `Authorization: Bearer`; `wss://` verified as `tls://`; `401`/`403` `acces`, a server that answers without upgrading `connaborted`); another scheme or a malformed string `inval`; an unreachable endpoint the network's errno (`connrefused`, ...). `security` is a set: `unencrypted` is met only by plain TCP and `ws://`, `any_encryption`/`classic_encryption` only by `tls://` and `wss://`, `double_encryption` only by `tls://` with a pinned Noise key (`--bridge-noise-key`, `Builder::bridge_noise_key`: Noise NK inside TLS 1.3, bound to the TLS session, offered through ALPN; the strongest level in the set the endpoint offers is used; stripping the offer `connaborted`); a set the endpoint cannot meet `notsup` before anything is dialled; 0 or unknown bits `inval`. Token over 4 KiB or with NUL/CR/LF `inval`. The token goes only inside the verified channel: a certificate that fails verification (or any TLS failure) `connaborted` before it is sent; a refused token `acces`; a server that hangs up during the handshake (e.g. refusing a rate-limited peer) `connaborted`. Through the bridge, `net serve`'s egress policy applies (loopback, link-local and cloud metadata denied unless `--allow`ed; most specific rule wins, deny wins ties): a refused connect `acces`; past a token's `--max-sockets` a new socket `again`; past its `--max-bytes` the token's bridges end (open streams `connreset` on read, calls `connaborted`, a new bridge `acces`)" },
    Documented { function: "port_route_add", behaviour: "the route steers new sockets (wasmer-wasix on host networking: `notsup`): longest prefix wins, among equal prefixes a still-preferred and later `preferred_until` first; `expires_at` in the past removes it. Bridged: a route whose `via` is the gateway (or any route when no gateway is set) goes over the bridge, other destinations use the local network (split tunnelling); a gateway makes the bridge the default route. Not bridged: a route via a router that is neither the gateway, on-link, loopback nor unspecified is `netunreach` on connect. While bridged the table is the instance's own, not the server's" },
    Documented { function: "port_route_remove", behaviour: "removes the routes to that network (`noent` when none); the next socket is routed without them" },
    Documented { function: "port_route_clear", behaviour: "removes every route; with none left, a bridged instance sends everything over the bridge again and an unbridged one reaches every destination" },
    Documented { function: "context_create", behaviour: "a suspended context whose first switch calls the `() -> ()` function at the given function-table index, on a 1 MiB shadow stack of its own (host-grown memory pages, reused after destroy; its `__stack_pointer` starts at the top); ids count from 1, never reused. Needs asyncify, the main thread, no signal handler running and no vfork child; else `notsup`. Then: an index past the table, a null entry or any other signature `inval` (wasmer-wasix lets through a function with parameters but no results, or results but no parameters, and traps calling it); a bad id pointer `memviolation` (checked after the entrypoint; wasmer-wasix creates the context first); memory that cannot grow `nomem`. wasmer-wasix: `notsup` unless its engine supports async" },
    Documented { function: "context_switch", behaviour: "unwinds the active context's frames with asyncify and resumes the target (from its entrypoint the first time); returns 0 when switched back. To the active context: 0 at once; a deleted or unknown id `inval`; where contexts are unavailable `notsup` (wasmer-wasix traps). An entrypoint that returns ends the run with a trap naming the context (134; wasmer-wasix exits with 129); a trap or exit in a context ends the run with it. fork in a context other than main is `notsup` (as wasmer-wasix). Each context gets its own `__stack_pointer` back when resumed (wasmer-wasix shares the creator's)" },
    Documented { function: "context_destroy", behaviour: "the active context or the main one `inval`; a suspended or never-run context is deleted at once and its stack kept for the next create; an unknown or already deleted id is success; `notsup` where contexts are unavailable" },
    Documented { function: "proc_raise_interval", behaviour: "interval in ns (0 disarms), repeat 0 fires once; one timer per process; its signal reaches the main thread at its next blocking import or handler registration (a thread computing without imports sees it later)" },
];

/// Where one name has two forms told apart by their parameter count: (function, parameter
/// count, behaviour), taking precedence over [`DOCUMENTED`].
pub const DOCUMENTED_BY_ARITY: &[(&str, usize, &str)] = &[
    ("thread_spawn", 2, "the 2-argument `thread_spawn(start*, tid*)` is `thread_spawn_v2` under its older name: without a shared memory `notsup`, without `wasi_thread_start` `notcapable`; past the thread limit `again`"),
];

struct Row {
    /// The witx module, or for a WASI 0.2 row the interface without version.
    namespace: String,
    function: String,
    /// A WASI 0.2 row (the second table): status `implemented` or `missing`.
    component: bool,
    params: String,
    status: String,
    tests: Vec<String>,
    differences: Vec<String>,
}

/// (namespace, function, parameter count) → the tests that called it.
type Evidence = BTreeMap<(String, String, usize), BTreeSet<String>>;

/// Which tests called each import, from the import records the test suite leaves under
/// `target/import-evidence/` (one file per test, see `witx::record`). A test counts for an import it called, whatever the result.
fn evidence(dir: &Path) -> anyhow::Result<Evidence> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        anyhow::anyhow!(
            "no import records in {} ({e}): run the test suite first (scripts/test.sh)",
            dir.display()
        )
    })?;
    let mut out = Evidence::new();
    for e in rd.flatten() {
        let p = e.path();
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        // `suite--threads.pthread_join` is `threads::pthread_join` in tests/suite/.
        let Some((binary, test)) = stem.split_once("--") else {
            continue;
        };
        let test = test.replace('.', "::");
        let test = if binary == "suite" {
            test
        } else {
            format!("{binary}::{test}")
        };
        for line in std::fs::read_to_string(&p)?.lines() {
            let mut f = line.split('\t');
            let (ns, func, _result, arity) = (f.next(), f.next(), f.next(), f.next());
            if let (Some(ns), Some(func), Some(Ok(arity))) = (ns, func, arity.map(str::parse)) {
                out.entry((ns.to_string(), func.to_string(), arity))
                    .or_default()
                    .insert(test.clone());
            }
        }
    }
    anyhow::ensure!(!out.is_empty(), "{} holds no import records", dir.display());
    Ok(out)
}

fn rows(seen: &Evidence) -> Vec<Row> {
    let sigs = crate::registry::signatures();
    let mut rows = Vec::new();
    for s in &sigs {
        let params = s
            .params
            .iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let by_arity = DOCUMENTED_BY_ARITY
            .iter()
            .find(|(f, n, _)| *f == s.name && *n == s.params.len())
            .map(|(_, _, b)| *b);
        let behaviour = by_arity.or_else(|| {
            DOCUMENTED
                .iter()
                .find(|d| d.function == s.name)
                .map(|d| d.behaviour)
        });
        let status = match behaviour {
            Some(b) => format!("implemented; documented: {b}"),
            None => "implemented".to_string(),
        };
        let tests = seen
            .get(&(s.module.to_string(), s.name.to_string(), s.params.len()))
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        // Observed through preview1; wasix_32v1 runs the same functions in both engines.
        let differences = KNOWN_DIFFERENCES
            .iter()
            .filter(|d| {
                d.function == s.name
                    && matches!(s.module, "wasi_snapshot_preview1" | "wasix_32v1")
                    // A WASIX module's fd_renumber is dup2, as wasmer-wasix's.
                    && !(s.module == "wasix_32v1" && s.name == "fd_renumber")
            })
            .map(|d| format!("`{}`: ours {}; wasmer-wasix {}", d.check, d.ours, d.wasmer))
            .collect();
        rows.push(Row {
            namespace: s.module.to_string(),
            function: s.name.to_string(),
            component: false,
            params,
            status,
            tests,
            differences,
        });
    }
    rows.sort_by(|a, b| (&a.namespace, &a.function).cmp(&(&b.namespace, &b.function)));
    rows
}

/// The WASI 0.2 rows: every function of wit/'s command world, `implemented` when the
/// component front end registers it, else `missing`; tests as for the witx rows (any core
/// arity: the recorder notes the flat parameter count, which is the same for all).
fn component_rows(functions: Vec<(String, String)>, seen: &Evidence) -> Vec<Row> {
    let mut rows: Vec<Row> = functions
        .into_iter()
        .map(|(interface, function)| {
            let tests: BTreeSet<String> = seen
                .iter()
                .filter(|((ns, f, _), _)| *ns == interface && *f == function)
                .flat_map(|(_, t)| t.iter().cloned())
                .collect();
            let status = match components::served(&interface, &function) {
                true => "implemented",
                false => "missing",
            };
            Row {
                namespace: interface,
                function,
                component: true,
                params: String::new(),
                status: status.to_string(),
                tests: tests.into_iter().collect(),
                differences: Vec::new(),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.namespace, &a.function).cmp(&(&b.namespace, &b.function)));
    rows
}

/// For `--check`: keeps the committed test lists where this run's records agree with them
/// up to timing. Which tests reach an import can depend on scheduling (a `sched_yield` in a
/// spin, a `futex_wait` under contention), so a list stays valid while it names only tests
/// that still exist and is empty exactly when no test called the import in this run.
fn keep_committed_lists(rows: &mut [Row], committed_csv: &str, seen: &Evidence) {
    let known: BTreeSet<&String> = seen.values().flatten().collect();
    let lines: Vec<&str> = committed_csv.lines().skip(1).collect();
    if lines.len() != rows.len() {
        return;
    }
    for (r, line) in rows.iter_mut().zip(lines) {
        let mut f = line.splitn(4, ',');
        let (ns, func, _status, tests) = (f.next(), f.next(), f.next(), f.next().unwrap_or(""));
        if ns != Some(r.namespace.as_str()) || func != Some(r.function.as_str()) {
            continue;
        }
        let listed: Vec<String> = tests
            .split(';')
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        let exist = listed.iter().all(|t| known.contains(t));
        if exist && listed.is_empty() == r.tests.is_empty() {
            r.tests = listed;
        }
    }
}

/// The generated files (name → contents) from the records in `evidence_dir` and the
/// WIT in `wit_dir`; with `committed_csv`, its test lists are kept where this run agrees
/// with them.
pub fn render(
    evidence_dir: &Path,
    wit_dir: &Path,
    committed_csv: Option<&str>,
) -> anyhow::Result<BTreeMap<&'static str, String>> {
    let seen = evidence(evidence_dir)?;
    let mut rows = rows(&seen);
    rows.extend(component_rows(
        components::command_world_functions(wit_dir)?,
        &seen,
    ));
    if let Some(csv) = committed_csv {
        keep_committed_lists(&mut rows, csv, &seen);
    }
    let mut md = String::new();
    md.push_str("# Compatibility matrix\n\n");
    md.push_str(
        "Generated by `wasix-compat matrix` from the import registry, the tables in `src/matrix/`\n",
    );
    md.push_str("and the import records of the test suite. Do not edit by hand; CI fails when it is stale.\n\n");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.component) {
        *counts.entry(&r.namespace).or_default() += 1;
    }
    md.push_str("| namespace | functions provided |\n|---|---|\n");
    for ns in Namespace::ALL {
        md.push_str(&format!(
            "| `{}` | {} |\n",
            ns.name(),
            counts.get(ns.name()).copied().unwrap_or(0)
        ));
    }
    md.push_str("\nNo import is missing from the namespaces above; an import outside them fails at link time\n");
    md.push_str("with an error naming the namespace, function and signature.\n\n");
    md.push_str("## Differences from wasmer-wasix 0.704.2\n\n");
    md.push_str("Observed by `tests/suite/differential.rs`, which runs every preview1 program under both engines\n");
    md.push_str(
        "and fails on any difference not listed here (table: `src/matrix/differences.rs`).\n\n",
    );
    md.push_str(
        "| function | program | check | ours | wasmer-wasix | why |\n|---|---|---|---|---|---|\n",
    );
    for d in KNOWN_DIFFERENCES {
        md.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} | {} | {} |\n",
            d.function, d.program, d.check, d.ours, d.wasmer, d.why
        ));
    }
    md.push_str("\n## WASIX sockets: differences from wasmer-wasix 0.704.2\n\n");
    md.push_str("From `tests/suite/sockets.rs`, which runs every socket program under both engines. These checks\n");
    md.push_str(
        "fail under wasmer-wasix and pass under ours (the test asserts the list is exact):\n\n",
    );
    md.push_str("| case | check | why |\n|---|---|---|\n");
    for (case, check, why) in differences::SOCKET_DIFFERENCES {
        md.push_str(&format!("| `{case}` | `{check}` | {why} |\n"));
    }
    md.push_str("\nBoth answers accepted, different values:\n\n| case | check | ours | wasmer-wasix | why |\n|---|---|---|---|---|\n");
    for (case, check, ours, theirs, why) in differences::SOCKET_VALUE_DIFFERENCES {
        md.push_str(&format!(
            "| `{case}` | `{check}` | {ours} | {theirs} | {why} |\n"
        ));
    }
    md.push_str("\n## WASIX port: differences from wasmer-wasix 0.704.2\n\n");
    md.push_str("From `tests/suite/ports.rs` (globs over case and check names; the test keeps the list exact):\n\n");
    md.push_str("| case | check | wasmer-wasix says | why |\n|---|---|---|---|\n");
    for (case, check, text, why) in differences::PORT_DIFFERENCES {
        md.push_str(&format!(
            "| `{case}` | `{check}` | {} | {why} |\n",
            if text.is_empty() {
                "(any failure)"
            } else {
                text
            }
        ));
    }
    md.push_str("\n## WASIX threads, futexes, signals and wasix-libc programs: differences from wasmer-wasix 0.704.2\n\n");
    md.push_str(
        "From `tests/suite/wasix_sync.rs` (WAT, one case per module), `tests/suite/wasix_libc.rs` (C with\n",
    );
    md.push_str("wasix-libc), `tests/suite/threads.rs` (pthreads, Rust std::thread, WAT) and `tests/suite/wasix_contexts.rs`\n");
    md.push_str(
        "(WASIX contexts), which run every case on both engines and keep this list exact:\n\n",
    );
    md.push_str("| case | check | ours | wasmer-wasix | why |\n|---|---|---|---|---|\n");
    for (case, check, ours, theirs, why) in differences::WASIX_RUNTIME_DIFFERENCES {
        md.push_str(&format!(
            "| `{case}` | {check} | {ours} | {theirs} | {why} |\n"
        ));
    }
    md.push_str("\n## wasix-libc limitations (the same on both engines)\n\n");
    md.push_str("What the guest's C library does that no host can change:\n\n| function | what | tests |\n|---|---|---|\n");
    for (f, what, tests) in differences::WASIX_LIBC_LIMITATIONS {
        md.push_str(&format!("| `{f}` | {what} | {tests} |\n"));
    }
    md.push_str("\n## WASIX processes: differences from wasmer-wasix 0.704.2\n\n");
    md.push_str("From `tests/suite/wasix_procs.rs` (C guests built with wasix-libc and `wasm-opt --asyncify`), which runs every scenario on both engines:\n\n");
    md.push_str("| test | check | ours | wasmer-wasix | why |\n|---|---|---|---|---|\n");
    for (test, check, ours, theirs, why) in differences::PROCESS_DIFFERENCES {
        md.push_str(&format!(
            "| `{test}` | {check} | {ours} | {theirs} | {why} |\n"
        ));
    }
    md.push_str("\nAnd by design, from wasmer-wasix's source:\n\n| what | ours | wasmer-wasix | why |\n|---|---|---|---|\n");
    for (what, ours, theirs, why) in differences::PROCESS_NOTES {
        md.push_str(&format!("| {what} | {ours} | {theirs} | {why} |\n"));
    }
    corpus_table(&mut md);
    md.push_str("\n## WASIX: where we follow wasix-libc rather than the witx\n\n| function | what |\n|---|---|\n");
    for (f, what) in differences::WASIX_ABI_NOTES {
        md.push_str(&format!("| `{f}` | {what} |\n"));
    }
    md.push_str("\n## Every import\n\n");
    md.push_str(
        "\"tests\" are the tests whose runs called the import (any result), as recorded by the\n",
    );
    md.push_str("import recorder (`WASIX_COMPAT_RECORD`, `Builder::record_imports`) during the test suite;\n");
    md.push_str("names are `module::test` in `tests/suite/`. `matrix.csv` lists them all. Which tests reach\n");
    md.push_str("an import can depend on scheduling, so the staleness check accepts these lists while they\n");
    md.push_str("name only existing tests and no import gains or loses its last test.\n\n| namespace | function | params | status | tests | differences |\n|---|---|---|---|---|---|\n");
    for r in rows.iter().filter(|r| !r.component) {
        md.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} |\n",
            r.namespace,
            r.function,
            r.params,
            r.status,
            tests_cell(&r.tests),
            if r.differences.is_empty() {
                "—".to_string()
            } else {
                r.differences.join("<br>")
            }
        ));
    }
    component_table(&mut md, &rows);
    md.push_str("\n## WASI 0.2 components: differences from wasmtime 48\n\n");
    md.push_str("From `tests/suite/p2.rs`, which runs every component under our engine and under wasmtime 48 +\n");
    md.push_str("wasmtime-wasi (`--engine wasmtime`) and asserts the same outcome except for these, where it\n");
    md.push_str("asserts each engine's own:\n\n");
    md.push_str("| test | check | ours | wasmtime | why |\n|---|---|---|---|---|\n");
    for (test, check, ours, theirs, why) in differences::COMPONENT_DIFFERENCES {
        md.push_str(&format!(
            "| `{test}` | {check} | {ours} | {theirs} | {why} |\n"
        ));
    }
    // The WASI 0.2 rows follow the witx rows; their namespace is the interface.
    let mut csv = String::from("namespace,function,status,tests\n");
    for r in &rows {
        let status = if r.component || r.status == "implemented" {
            r.status.as_str()
        } else {
            "implemented-documented"
        };
        csv.push_str(&format!(
            "{},{},{},{}\n",
            r.namespace,
            r.function,
            status,
            r.tests.join(";")
        ));
    }
    Ok(BTreeMap::from([("README.md", md), ("matrix.csv", csv)]))
}

/// The second table: WASI 0.2, per interface and function.
/// Every replay of the test corpus that differs (`tests/corpus_diff.rs` keeps it exact).
fn corpus_table(md: &mut String) {
    // Table cells: one line, no column breaks, long engine messages shortened (the list in
    // corpus.rs has them whole).
    fn cell(s: &str) -> String {
        let s = s.replace('|', "\\|");
        match s.char_indices().nth(100) {
            Some((i, _)) => format!("{}…", &s[..i]),
            None => s,
        }
    }
    let list = &*differences::CORPUS_DIFFERENCES;
    md.push_str("\n## The whole test corpus under both engines\n\n");
    md.push_str("Every self-contained run the suite makes of a core module (its module, flags, arguments,\n");
    md.push_str(
        "stdin and a copy of its trees, recorded under `target/diff-corpus/`) is replayed with\n",
    );
    md.push_str(
        "`wasix-compat diff --engines ours,wasmer-wasix --timeout` by `tests/corpus_diff.rs`\n",
    );
    md.push_str("(`scripts/test.sh` runs it after the suite). Every run not listed here is identical on both\n");
    md.push_str("engines (status, stdout, stderr, trees); each listed one differs exactly as shown (status,\n");
    md.push_str("then the first other aspect that differs); `varies`: wasmer-wasix's outcome changes from\n");
    md.push_str(&format!(
        "run to run, only ours is checked. {} entries:\n\n",
        list.len()
    ));
    md.push_str("| test | program | status (ours / wasmer-wasix) | first other difference | ours | wasmer-wasix | why |\n|---|---|---|---|---|---|---|\n");
    for k in list {
        let mut program = format!("`{}`", k.program);
        if let Some(a) = k.args {
            program.push_str(&format!(" args `{}`", cell(a)));
        }
        if let Some(f) = k.flags {
            program.push_str(&format!(" flags `{}`", cell(f)));
        }
        let status = k
            .status
            .map_or(String::new(), |(a, b)| format!("{a} / {b}"));
        let at = match k.what {
            "" => String::new(),
            w if k.at.is_empty() => w.to_string(),
            w => format!("{w} {}", k.at),
        };
        md.push_str(&format!(
            "| `{}` | {program} | {status} | {at} | {} | {} | {} |\n",
            k.test,
            cell(k.ours),
            cell(k.wasmer),
            k.why.replace('|', "\\|")
        ));
    }
}

fn component_table(md: &mut String, rows: &[Row]) {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.component).collect();
    md.push_str("\n## WASI 0.2 (components)\n\n");
    md.push_str("Every function and resource method of every interface that `wit/`'s `wasi:cli/command` world\n");
    md.push_str("imports (read with wit-parser), at any 0.2.x version. \"implemented\": the component front end\n");
    md.push_str("(`src/p2/`) serves it; \"missing\": a component importing it fails at link time with an error\n");
    md.push_str("naming the function. Resource drops are not listed (every resource of a served interface can\n");
    md.push_str("be dropped), nor are interfaces that declare only types and resources. \"tests\" are the\n");
    md.push_str("tests whose component runs called the function (any result: `ok`, `exit` or `trap`), recorded\n");
    md.push_str("as for the witx imports; `matrix.csv` lists them all.\n\n");
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let e = per.entry(&r.namespace).or_default();
        match r.status == "implemented" {
            true => e.0 += 1,
            false => e.1 += 1,
        }
    }
    md.push_str("| interface | implemented | missing |\n|---|---|---|\n");
    for (i, (ok, missing)) in &per {
        md.push_str(&format!("| `{i}` | {ok} | {missing} |\n"));
    }
    md.push_str("\n| interface | function | status | tests |\n|---|---|---|---|\n");
    for r in rows {
        md.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            r.namespace,
            r.function,
            r.status,
            tests_cell(&r.tests)
        ));
    }
}

/// The count and the first few names (the rest are in matrix.csv).
fn tests_cell(tests: &[String]) -> String {
    const SHOWN: usize = 3;
    if tests.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = tests.iter().take(SHOWN).map(|t| format!("`{t}`")).collect();
    let more = match tests.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!("<br>and {n} more"),
    };
    format!("{}: {}{more}", tests.len(), names.join("<br>"))
}

pub fn cli(args: &[String]) -> anyhow::Result<()> {
    let mut check = false;
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut evidence = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--check" => check = true,
            "--root" => {
                root = it
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--root needs a value"))?
                    .into()
            }
            "--evidence" => {
                evidence =
                    Some(PathBuf::from(it.next().ok_or_else(|| {
                        anyhow::anyhow!("--evidence needs a value")
                    })?))
            }
            o => anyhow::bail!("unknown matrix option `{o}` (--check, --root DIR, --evidence DIR)"),
        }
    }
    let out = root.join("compat-matrix");
    let evidence = evidence.unwrap_or_else(|| root.join("target/import-evidence"));
    let committed = std::fs::read_to_string(out.join("matrix.csv")).ok();
    let files = render(
        &evidence,
        &root.join("wit"),
        committed.as_deref().filter(|_| check),
    )?;
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|(name, text)| {
                std::fs::read_to_string(out.join(name)).ok().as_deref() != Some(text.as_str())
            })
            .map(|(n, _)| *n)
            .collect();
        if !stale.is_empty() {
            anyhow::bail!(
                "compat-matrix is stale ({}); run `cargo run -- matrix` and commit",
                stale.join(", ")
            );
        }
        println!("compat-matrix is up to date");
        return Ok(());
    }
    std::fs::create_dir_all(&out)?;
    for (name, text) in files {
        std::fs::write(out.join(name), text)?;
    }
    println!("wrote {}", out.display());
    Ok(())
}
