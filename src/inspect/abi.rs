//! Which ABIs a module speaks, from its import modules, and which generation of WASIX.

use super::parse::{Raw, RawType};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abi {
    /// The import module (`wasi_snapshot_preview1`, `wasix_32v1`, `wasi`), or
    /// `wasi:*@0.2.x` with the version imported.
    pub name: String,
    /// For `wasix_32v1` / `wasix_64v1`: `2022`, `current`, `mixed` (imports of both) or
    /// `unknown` (only imports both generations have). `None` for the others.
    pub generation: Option<&'static str>,
    /// What decided the generation (`proc_join/2`, `thread_spawn_v2`, …); for `wasi` the
    /// proposal (`wasi-threads`); for WASI 0.2 the interfaces imported.
    pub evidence: Vec<String>,
}

/// Namespaces in the order reported.
const WITX: &[&str] = &[
    "wasi_unstable",
    "wasi_snapshot_preview1",
    "wasix_32v1",
    "wasix_64v1",
    "wasi",
];

/// The 2022 ABI (wasix-libc 6c2e047): functions the current ABI dropped, and the old
/// arities of `thread_spawn` (5) and `proc_join` (2).
pub(super) fn is_2022(name: &str, arity: usize) -> bool {
    name.starts_with("thread_local_")
        || name.starts_with("bus_")
        || matches!(
            name,
            "call_reply" | "ws_connect" | "http_request" | "http_status"
        )
        || (name == "thread_spawn" && arity == 5)
        || (name == "proc_join" && arity == 2)
}

/// The current ABI (wasix-libc 34178a6 and wasmer-wasix 0.704): functions added after 2022,
/// and the new arities of `thread_spawn` (2: `thread_spawn_v2` under its old name) and
/// `proc_join` (3).
fn is_current(name: &str, arity: usize) -> bool {
    matches!(
        name,
        "thread_spawn_v2"
            | "proc_exit2"
            | "proc_exec2"
            | "proc_exec3"
            | "proc_exec4"
            | "proc_spawn2"
            | "proc_spawn3"
            | "proc_signals_get"
            | "proc_signals_sizes_get"
            | "call_dynamic"
            | "reflect_signature"
            | "fd_fdflags_get"
            | "fd_fdflags_set"
            | "dl_invalid_handle"
    ) || name.starts_with("closure_")
        || name.starts_with("context_")
        || name.starts_with("epoll_")
        || (name == "thread_spawn" && arity == 2)
        || (name == "proc_join" && arity == 3)
}

fn arity(t: &RawType) -> usize {
    match t {
        RawType::Func((p, _)) => p.len(),
        _ => 0,
    }
}

pub fn detect(raw: &Raw) -> Vec<Abi> {
    let mut out = Vec::new();
    for ns in WITX {
        let imports: Vec<_> = raw.imports.iter().filter(|i| i.module == *ns).collect();
        if imports.is_empty() {
            continue;
        }
        let (generation, evidence) = match *ns {
            "wasix_32v1" | "wasix_64v1" => {
                let mut old = Vec::new();
                let mut new = Vec::new();
                for i in &imports {
                    let n = arity(&i.ty);
                    let shown = match i.name.as_str() {
                        "thread_spawn" | "proc_join" => format!("{}/{n}", i.name),
                        _ => i.name.clone(),
                    };
                    if is_2022(&i.name, n) {
                        old.push(shown);
                    } else if is_current(&i.name, n) {
                        new.push(shown);
                    }
                }
                // wasix-libc of 2022 imported its preview1 functions from wasix_32v1 (the
                // current one from wasi_snapshot_preview1): the sign left when a program
                // uses nothing else that tells the generations apart.
                let p1_here = imports
                    .iter()
                    .any(|i| crate::witx::PREVIEW1.contains(&i.name.as_str()));
                // (wasi-threads' `thread-spawn` came after 2022.)
                let p1_elsewhere = raw
                    .imports
                    .iter()
                    .any(|i| matches!(i.module.as_str(), "wasi_snapshot_preview1" | "wasi"));
                if *ns == "wasix_32v1"
                    && old.is_empty()
                    && new.is_empty()
                    && p1_here
                    && !p1_elsewhere
                {
                    old.push("preview1 functions imported from wasix_32v1".to_string());
                }
                let g = match (old.is_empty(), new.is_empty()) {
                    (false, true) => "2022",
                    (true, false) => "current",
                    (false, false) => "mixed",
                    (true, true) => "unknown",
                };
                old.extend(new);
                (Some(g), old)
            }
            "wasi" => (None, vec!["wasi-threads".to_string()]),
            _ => (None, Vec::new()),
        };
        out.push(Abi {
            name: ns.to_string(),
            generation,
            evidence,
        });
    }
    // WASI 0.2: a component's lowered imports, or a core module's `wasi:…@0.2.x` modules.
    let mut p2: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let modules = raw
        .imports
        .iter()
        .map(|i| i.module.as_str())
        .chain(raw.lowered.iter().map(|l| l.interface.as_str()));
    for m in modules {
        if !m.starts_with("wasi:") {
            continue;
        }
        let Some((interface, version)) = m.split_once('@') else {
            continue;
        };
        let list = p2.entry(version.to_string()).or_default();
        if !list.iter().any(|i| i == interface) {
            list.push(interface.to_string());
        }
    }
    for (version, mut interfaces) in p2 {
        interfaces.sort();
        out.push(Abi {
            name: format!("wasi:*@{version}"),
            generation: None,
            evidence: interfaces,
        });
    }
    out
}
