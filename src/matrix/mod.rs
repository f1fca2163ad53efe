//! `wasix-compat matrix`: generates `compat-matrix/` from the import registry, the test
//! sources, and the tables below. `--check` fails when the committed files are stale.

pub mod differences;

use crate::witx::Namespace;
use differences::KNOWN_DIFFERENCES;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a function does when it cannot do the real thing, stated once here.
pub struct Documented {
    pub function: &'static str,
    pub behaviour: &'static str,
}

pub const DOCUMENTED: &[Documented] = &[
    Documented { function: "sock_accept", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds (sockets arrive with the WASIX sockets work)" },
    Documented { function: "sock_recv", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds" },
    Documented { function: "sock_send", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds" },
    Documented { function: "sock_shutdown", behaviour: "`notsock` for every non-socket fd, `badf` for unknown fds, `inval` for bad `how`" },
    Documented { function: "proc_raise", behaviour: "default POSIX action: terminating signals end the run with status 128+N; ignored-by-default and stop signals do nothing; >30 is `inval`" },
    Documented { function: "fd_fdstat_set_flags", behaviour: "changing dsync/rsync/sync after open is `notsup` (Linux cannot); append and nonblock work" },
    Documented { function: "path_symlink", behaviour: "absolute targets are `perm` (they could only lead outside the sandbox); in-memory trees: `notsup`" },
    Documented { function: "path_link", behaviour: "in-memory trees: `notsup`; across a host dir and an in-memory tree: `xdev`" },
    Documented { function: "thread_signal", behaviour: "to the caller: delivered before it returns; to another live thread: pending for that thread, which is interrupted and runs the handler at its next blocking import (wasix-libc's 0x3fffffff means the main thread); unknown ids are `srch`; SIGKILL ends the process (137) and SIGSTOP does nothing without reaching a handler" },
    Documented { function: "thread_exit", behaviour: "ends the calling thread; the last thread exiting ends the process with its code" },
    Documented { function: "thread_spawn", behaviour: "the 2022 5-argument form; reactor threads (`reactor` = 1) are `notsup`; without a shared memory `notsup`, without the entry export `notcapable`" },
    Documented { function: "thread_spawn_v2", behaviour: "without a shared memory `notsup` (wasmer-wasix: `memviolation`), without `wasi_thread_start` `notcapable`; past the thread limit `again`" },
    Documented { function: "thread-spawn", behaviour: "negated errno as thread_spawn_v2 (the wasi-threads convention)" },
    Documented { function: "proc_raise_interval", behaviour: "one timer per process; its signal reaches the main thread at its next blocking import or handler registration (a thread computing without imports sees it later)" },
];

struct Row {
    namespace: &'static str,
    function: &'static str,
    params: String,
    status: String,
    tests: Vec<String>,
    differences: Vec<String>,
}

/// The namespaces a test file exercises: WAT and C name their import modules (C through
/// wasi-libc is preview1); Rust files count for the namespaces they spell out, else preview1.
fn namespaces_of(path: &str, text: &str) -> Vec<&'static str> {
    let named: Vec<&'static str> = Namespace::ALL
        .iter()
        .map(|n| n.name())
        .filter(|n| text.contains(&format!("\"{n}\"")))
        .collect();
    if path.ends_with(".wat") || (!named.is_empty() && !path.ends_with(".c")) {
        return named;
    }
    let mut v = named;
    if !v.contains(&"wasi_snapshot_preview1") {
        v.push("wasi_snapshot_preview1");
    }
    v
}

/// Test files that exercise `function` of `namespace` (named as `name`, `__wasi_name` or an
/// import string).
fn tests_mentioning(files: &[(String, String)], namespace: &str, function: &str) -> Vec<String> {
    let mut v: Vec<String> = files
        .iter()
        .filter(|(path, text)| namespaces_of(path, text).contains(&namespace))
        .filter(|(_, text)| {
            text.match_indices(function).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + function.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
                // `__wasi_fd_read` counts; `fd_readdir` does not count for `fd_read`.
                !word(after) && after != Some('_') && (!word(before) || before == Some('_'))
            })
        })
        .map(|(p, _)| p.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Whether a preview1 C program that tests/suite/namespaces.rs re-targets calls `function`.
fn p1_programs_call(files: &[(String, String)], function: &str) -> bool {
    let p1: Vec<(String, String)> = files
        .iter()
        .filter(|(p, _)| p.starts_with("tests/guests/c/p1_") && !p.ends_with("p1_proc.c"))
        .cloned()
        .collect();
    !tests_mentioning(&p1, "wasi_snapshot_preview1", function).is_empty()
}

fn collect_test_files(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("tests")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("rs" | "c" | "h" | "wat")
            ) {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    let rel = p
                        .strip_prefix(root)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned();
                    out.push((rel, text));
                }
            }
        }
    }
    out.sort();
    out
}

fn rows(root: &Path) -> Vec<Row> {
    let files = collect_test_files(root);
    let sigs = crate::registry::signatures();
    let mut rows = Vec::new();
    for s in &sigs {
        let params = s
            .params
            .iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let status = match DOCUMENTED.iter().find(|d| d.function == s.name) {
            Some(d) => format!("implemented; documented: {}", d.behaviour),
            None => "implemented".to_string(),
        };
        let mut tests = tests_mentioning(&files, s.module, s.name);
        // tests/suite/namespaces.rs re-runs the preview1 programs with their imports moved to
        // wasix_32v1, and to wasi_unstable for the functions it shares with preview1.
        let retargeted = s.module == "wasix_32v1"
            || (s.module == "wasi_unstable" && !crate::witx::UNSTABLE_DIFFERS.contains(&s.name));
        if retargeted && p1_programs_call(&files, s.name) {
            tests.push("tests/suite/namespaces.rs (preview1 programs re-targeted)".into());
        }
        // The generated sweep calls every registered import with bad input.
        tests.push("tests/suite/bad_input.rs (sweep)".into());
        // Observed through preview1; wasix_32v1 runs the same functions in both engines.
        let differences = KNOWN_DIFFERENCES
            .iter()
            .filter(|d| {
                d.function == s.name && matches!(s.module, "wasi_snapshot_preview1" | "wasix_32v1")
            })
            .map(|d| format!("`{}`: ours {}; wasmer-wasix {}", d.check, d.ours, d.wasmer))
            .collect();
        rows.push(Row {
            namespace: s.module,
            function: s.name,
            params,
            status,
            tests,
            differences,
        });
    }
    rows.sort_by(|a, b| (a.namespace, a.function).cmp(&(b.namespace, b.function)));
    rows
}

/// The generated files: name → contents.
pub fn render(root: &Path) -> BTreeMap<&'static str, String> {
    let rows = rows(root);
    let mut md = String::new();
    md.push_str("# Compatibility matrix\n\n");
    md.push_str(
        "Generated by `wasix-compat matrix` from the import registry, the test sources and\n",
    );
    md.push_str("`src/matrix.rs`. Do not edit by hand; CI fails when it is stale.\n\n");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *counts.entry(r.namespace).or_default() += 1;
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
    md.push_str("wasix-libc) and `tests/suite/threads.rs` (pthreads, Rust std::thread, WAT), which run every case on both engines and keep this list exact:\n\n");
    md.push_str("| case | check | ours | wasmer-wasix | why |\n|---|---|---|---|---|\n");
    for (case, check, ours, theirs, why) in differences::WASIX_RUNTIME_DIFFERENCES {
        md.push_str(&format!(
            "| `{case}` | {check} | {ours} | {theirs} | {why} |\n"
        ));
    }
    md.push_str("\n## WASIX: where we follow wasix-libc rather than the witx\n\n| function | what |\n|---|---|\n");
    for (f, what) in differences::WASIX_ABI_NOTES {
        md.push_str(&format!("| `{f}` | {what} |\n"));
    }
    md.push_str("\n## Every import\n\n| namespace | function | params | status | tests | differences |\n|---|---|---|---|---|---|\n");
    for r in &rows {
        md.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} |\n",
            r.namespace,
            r.function,
            r.params,
            r.status,
            r.tests
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join("<br>"),
            if r.differences.is_empty() {
                "—".to_string()
            } else {
                r.differences.join("<br>")
            }
        ));
    }
    let mut csv = String::from("namespace,function,status,tests\n");
    for r in &rows {
        let status = if r.status == "implemented" {
            "implemented"
        } else {
            "documented-errno"
        };
        csv.push_str(&format!(
            "{},{},{},{}\n",
            r.namespace,
            r.function,
            status,
            r.tests.join(";")
        ));
    }
    BTreeMap::from([("README.md", md), ("matrix.csv", csv)])
}

pub fn cli(args: &[String]) -> anyhow::Result<()> {
    let mut check = false;
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
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
            o => anyhow::bail!("unknown matrix option `{o}` (--check, --root DIR)"),
        }
    }
    let out = root.join("compat-matrix");
    let files = render(&root);
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
