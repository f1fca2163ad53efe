//! The verdicts: runs on ours, runs on wasmer-wasix, can be wrapped as a component.
//!
//! wasmer-wasix is judged by the import object wasmer-wasix 0.704.2 itself builds
//! (`generate_import_object_from_env` for every WASI version, plus `wasi.thread-spawn`),
//! compared by name and signature as wasmer's linker does, when this crate has the
//! `reference` feature; without it by a static rule (see [`METHOD`]). Either way: it links
//! the memory a module imports, leaves a `dylink.0` module's other imports to its dynamic
//! linker, runs `_start`, and runs no components.

use super::parse::{Raw, RawType};
use super::{Import, Kind, Report, Status};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judgement {
    pub runs: bool,
    /// `runs on ours` / `does not run on ours` (`wasmer-wasix` for the other engine).
    pub summary: String,
    pub reasons: Vec<String>,
}

/// An import a WASI 0.2 component cannot have, with the nearest 0.2 interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    pub import: String,
    pub nearest: Option<&'static str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wrap {
    pub wrappable: bool,
    /// `already a component` / `can be wrapped as a component` / `cannot be wrapped as a component`.
    pub summary: String,
    pub reasons: Vec<String>,
    pub blockers: Vec<Blocker>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub ours: Judgement,
    pub wasmer_wasix: Judgement,
    /// How the wasmer-wasix judgement was made: `import-object` or `static`.
    pub wasmer_wasix_method: &'static str,
    pub component: Wrap,
}

/// `import-object` (wasmer-wasix's own imports, `reference` feature) or `static`
/// (ours minus the 2022-only functions and the WASI 0.2 imports, which wasmer-wasix 0.704
/// does not link).
#[cfg(feature = "reference")]
pub const METHOD: &str = "import-object";
#[cfg(not(feature = "reference"))]
pub const METHOD: &str = "static";

const WITX: &[&str] = &[
    "wasi_unstable",
    "wasi_snapshot_preview1",
    "wasix_32v1",
    "wasix_64v1",
    "wasi",
];

/// Sets [`Import::wasmer_wasix`] on each import.
pub fn mark_wasmer_wasix(raw: &Raw, imports: &mut [Import]) {
    if raw.kind == Kind::Component {
        return;
    }
    let pic = raw.dylink.is_some();
    for (imp, r) in imports.iter_mut().zip(&raw.imports) {
        imp.wasmer_wasix = match &r.ty {
            RawType::Memory(_) => true,
            RawType::Func((p, res)) if WITX.contains(&r.module.as_str()) => {
                links(&r.module, &r.name, p, res, imp)
            }
            _ => pic && !r.module.starts_with("wasi:"),
        };
    }
}

#[cfg(feature = "reference")]
fn links(
    m: &str,
    n: &str,
    p: &[wasmparser::ValType],
    r: &[wasmparser::ValType],
    _ours: &Import,
) -> bool {
    let Some(ft) = super::status::function_type(p, r) else {
        return false;
    };
    crate::reference::imports::wasmer_wasix_imports()
        .iter()
        .any(|(im, iname, t)| im == m && iname == n && *t == ft)
}

#[cfg(not(feature = "reference"))]
fn links(
    _m: &str,
    n: &str,
    p: &[wasmparser::ValType],
    _r: &[wasmparser::ValType],
    ours: &Import,
) -> bool {
    ours.status != Status::Missing && !super::abi::is_2022(n, p.len())
}

/// The WASI 0.2 interface nearest to a witx function, if there is one.
pub fn nearest(name: &str) -> Option<&'static str> {
    Some(match name {
        "args_get" | "args_sizes_get" | "environ_get" | "environ_sizes_get" => {
            "wasi:cli/environment"
        }
        "proc_exit" | "proc_exit2" => "wasi:cli/exit",
        "clock_res_get" | "clock_time_get" => "wasi:clocks",
        "random_get" => "wasi:random/random",
        "poll_oneoff" => "wasi:io/poll",
        "tty_get" => "wasi:cli/terminal-stdout",
        "resolve" => "wasi:sockets/ip-name-lookup",
        "fd_pipe" | "fd_event" | "fd_dup" | "fd_dup2" => return None,
        n if n.starts_with("sock_") => "wasi:sockets",
        n if n.starts_with("fd_") || n.starts_with("path_") => "wasi:filesystem",
        n if n.starts_with("epoll_") => "wasi:io/poll",
        _ => return None,
    })
}

fn judgement(runs: bool, engine: &str, reasons: Vec<String>) -> Judgement {
    Judgement {
        runs,
        summary: match runs {
            true => format!("runs on {engine}"),
            false => format!("does not run on {engine}"),
        },
        reasons,
    }
}

fn list(imports: &[&Import]) -> String {
    imports
        .iter()
        .map(|i| i.qualified())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn judge(r: &Report) -> Verdict {
    // Ours.
    let mut reasons = Vec::new();
    let missing: Vec<&Import> = r
        .imports
        .iter()
        .filter(|i| i.status == Status::Missing)
        .collect();
    if !missing.is_empty() {
        reasons.push(format!("missing imports: {}", list(&missing)));
    }
    let side = r.pic.as_ref().is_some_and(|p| p.role == "side");
    if side {
        reasons.push(
            "a side module (linked -shared): loaded by a main module's dlopen, not run".into(),
        );
    } else if r.entry.is_none() {
        reasons.push(match r.kind {
            Kind::Module => "no entry point: no `_start` of type () -> () and no `wasi:cli/run@0.2.x#run` export".into(),
            Kind::Component => "no entry point: no `wasi:cli/run@0.2.x` export".into(),
        });
    }
    let ours = judgement(reasons.is_empty(), "ours", reasons);

    // wasmer-wasix.
    let mut reasons = Vec::new();
    if r.kind == Kind::Component {
        reasons.push("wasmer-wasix 0.704 runs core modules, not components".into());
    } else {
        let unlinked: Vec<&Import> = r.imports.iter().filter(|i| !i.wasmer_wasix).collect();
        if !unlinked.is_empty() {
            reasons.push(format!(
                "imports wasmer-wasix does not link: {}",
                list(&unlinked)
            ));
        }
        if side {
            reasons.push(
                "a side module (linked -shared): loaded by a main module's dlopen, not run".into(),
            );
        } else if r.entry.as_deref() != Some("_start") {
            reasons.push("no `_start` export of type () -> ()".into());
        }
    }
    let wasmer_wasix = judgement(reasons.is_empty(), "wasmer-wasix", reasons);

    Verdict {
        ours,
        wasmer_wasix,
        wasmer_wasix_method: METHOD,
        component: wrap(r),
    }
}

fn wrap(r: &Report) -> Wrap {
    if r.kind == Kind::Component {
        return Wrap {
            wrappable: true,
            summary: "already a component".into(),
            reasons: Vec::new(),
            blockers: Vec::new(),
        };
    }
    let mut reasons = Vec::new();
    let mut blockers = Vec::new();
    for i in &r.imports {
        let fine = match i.kind {
            // The adapter provides exactly the preview1 functions, with their signatures.
            "func" if i.status == Status::Missing => false,
            "func" => {
                (i.module == "wasi_snapshot_preview1"
                    && crate::witx::PREVIEW1.contains(&i.name.as_str()))
                    || i.module.starts_with("wasi:")
            }
            _ => false,
        };
        if fine {
            continue;
        }
        let nearest = match (i.kind, i.module.as_str()) {
            ("func", "wasi_unstable" | "wasix_32v1" | "wasix_64v1") => nearest(&i.name),
            _ => None,
        };
        blockers.push(Blocker {
            import: i.qualified(),
            nearest,
        });
    }
    if !blockers.is_empty() {
        reasons.push(
            "the preview1 adapter provides the functions of wasi_snapshot_preview1 only: each blocker is an import it cannot satisfy".into(),
        );
    }
    if r.memories.iter().any(|m| m.shared) {
        reasons.push("a shared memory: components have no threads".into());
    }
    if r.pic.is_some() {
        reasons
            .push("position-independent (dylink.0): components are not dynamically linked".into());
    }
    if !r.exports.iter().any(|(n, on)| *n == "_start" && *on)
        && !r
            .exports
            .iter()
            .any(|(n, on)| *n == super::RUN_EXPORT && *on)
    {
        reasons.push("no `_start`: the command adapter calls it".into());
    }
    let wrappable = reasons.is_empty();
    Wrap {
        wrappable,
        summary: match wrappable {
            true => "can be wrapped as a component".into(),
            false => "cannot be wrapped as a component".into(),
        },
        reasons,
        blockers,
    }
}
