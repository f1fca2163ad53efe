//! Each import's status here: looked up the way the linker does (`src/host/link.rs`):
//! witx namespaces through `Namespace::make` with the import's type (which picks among a
//! name's ABI generations), `wasi:*@0.2.x` through the component front end, memories
//! created from their type, and for a position-independent module everything else left to
//! the dynamic linker. A provided import is `implemented-with-difference` when a table in
//! `src/matrix/` documents its behaviour or a difference from wasmer-wasix.

use super::parse::{sig_text, val, Raw, RawType};
use super::{Difference, Import, Status};
use crate::matrix::differences as d;
use crate::p2::core_imports::CoreImports;
use crate::p2::link::{host_fn, provides_drop};
use crate::witx::{Namespace, WasiEnv};
use wasmer::{FunctionEnv, FunctionType, Store, Type};
use wasmparser::ValType;

fn wasmer_type(t: &ValType) -> Option<Type> {
    Some(match t {
        ValType::I32 => Type::I32,
        ValType::I64 => Type::I64,
        ValType::F32 => Type::F32,
        ValType::F64 => Type::F64,
        ValType::V128 => Type::V128,
        ValType::Ref(r) if r.is_func_ref() => Type::FuncRef,
        ValType::Ref(r) if r.is_extern_ref() => Type::ExternRef,
        ValType::Ref(_) => return None,
    })
}

/// The wasmer type of a wasmparser signature (`None` for reference types wasmer lacks).
pub fn function_type(params: &[ValType], results: &[ValType]) -> Option<FunctionType> {
    let p: Option<Vec<Type>> = params.iter().map(wasmer_type).collect();
    let r: Option<Vec<Type>> = results.iter().map(wasmer_type).collect();
    Some(FunctionType::new(p?, r?))
}

fn wasmer_sig(t: &FunctionType) -> String {
    let list = |v: &[Type]| {
        v.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
    };
    sig_text(&list(t.params()), &list(t.results()))
}

struct Ours {
    store: Store,
    ctx: std::sync::Arc<crate::witx::WasiCtx>,
    envs: Vec<(Namespace, FunctionEnv<WasiEnv>)>,
    p2: CoreImports,
}

impl Ours {
    fn new() -> Ours {
        let ctx = crate::host::scratch_ctx();
        let p2 = CoreImports::new(ctx.process.clone());
        Ours {
            store: Store::default(),
            ctx,
            envs: Vec::new(),
            p2,
        }
    }

    fn env(&mut self, ns: Namespace) -> FunctionEnv<WasiEnv> {
        if let Some((_, e)) = self.envs.iter().find(|(n, _)| *n == ns) {
            return e.clone();
        }
        let e = FunctionEnv::new(&mut self.store, WasiEnv::new(self.ctx.clone(), ns.flavor()));
        self.envs.push((ns, e.clone()));
        e
    }
}

/// (provider, or why it is missing).
type Lookup = Result<&'static str, String>;

fn function(ours: &mut Ours, pic: bool, m: &str, n: &str, ft: &FunctionType) -> Lookup {
    if CoreImports::claims(m) {
        let f = ours
            .p2
            .make(&mut ours.store, m, n, None)
            .ok_or_else(|| format!("`{m}` has no function `{n}` here"))?;
        let have = f.ty(&ours.store);
        return match have == *ft {
            true => Ok("wasi-0.2"),
            false => Err(format!("signature differs: ours is {}", wasmer_sig(&have))),
        };
    }
    let Some(ns) = Namespace::from_name(m) else {
        return match pic {
            true => Ok("dynamic-linker"),
            false => Err(format!("unknown import module `{m}`")),
        };
    };
    let env = ours.env(ns);
    let f = ns
        .make(n, &mut ours.store, &env, Some(ft))
        .ok_or_else(|| format!("`{m}` has no function `{n}`"))?;
    let have = f.ty(&ours.store);
    match have == *ft {
        true => Ok("wasix-compat"),
        false => Err(format!("signature differs: ours is {}", wasmer_sig(&have))),
    }
}

/// Every import of `raw` with its status.
pub fn resolve(raw: &Raw) -> Vec<Import> {
    let mut ours = Ours::new();
    let pic = raw.dylink.is_some();
    let mut out = Vec::new();
    for i in &raw.imports {
        let (kind, signature, arity, found) = match &i.ty {
            RawType::Func((p, r)) => {
                let text = sig_text(
                    &p.iter().map(val).collect::<Vec<_>>(),
                    &r.iter().map(val).collect::<Vec<_>>(),
                );
                let found = match function_type(p, r) {
                    Some(ft) => function(&mut ours, pic, &i.module, &i.name, &ft),
                    None => Err("a reference type the engine cannot pass".to_string()),
                };
                ("func", text, p.len(), found)
            }
            RawType::Memory(m) => ("memory", memory_text(m), 0, Ok("host-memory")),
            other => {
                let (kind, text) = match other {
                    RawType::Table(t) => ("table", t.clone()),
                    RawType::Global(g) => ("global", g.clone()),
                    _ => ("tag", String::new()),
                };
                let found = match pic {
                    true => Ok("dynamic-linker"),
                    false => Err(format!(
                        "a {kind} import: only functions and memories are provided outside dynamic linking"
                    )),
                };
                (kind, text, 0, found)
            }
        };
        out.push(entry(&i.module, &i.name, kind, signature, arity, found));
    }
    for l in &raw.lowered {
        let text = |v: &[crate::p2::translate::Val]| {
            v.iter()
                .map(|t| format!("{t:?}").to_lowercase())
                .collect::<Vec<_>>()
        };
        let found = match &l.drop {
            Some(resource) => match provides_drop(&l.interface, resource) {
                true => Ok("wasi-0.2"),
                false => Err(format!(
                    "no resource `{resource}` of `{}` here",
                    l.interface
                )),
            },
            None => match host_fn(&l.interface, &l.func) {
                Some(_) => Ok("wasi-0.2"),
                None => Err(format!(
                    "`{}` has no function `{}` here",
                    l.interface, l.func
                )),
            },
        };
        let sig = sig_text(&text(&l.params), &text(&l.results));
        out.push(entry(
            &l.interface,
            &l.func,
            "func",
            sig,
            l.params.len(),
            found,
        ));
    }
    out
}

fn entry(
    module: &str,
    name: &str,
    kind: &'static str,
    signature: String,
    arity: usize,
    found: Lookup,
) -> Import {
    let (status, provider, differences, reason) = match found {
        Ok(p) => {
            let diffs = match p {
                "wasix-compat" => differences(module, name, arity),
                _ => Vec::new(),
            };
            let status = match diffs.is_empty() {
                true => Status::Implemented,
                false => Status::ImplementedWithDifference,
            };
            (status, Some(p), diffs, None)
        }
        Err(why) => (Status::Missing, None, Vec::new(), Some(why)),
    };
    Import {
        module: module.to_string(),
        name: name.to_string(),
        kind,
        signature,
        arity,
        status,
        provider,
        differences,
        reason,
        wasmer_wasix: false,
    }
}

pub fn memory_text(m: &wasmparser::MemoryType) -> String {
    let mut s = format!("{}", m.initial);
    if let Some(max) = m.maximum {
        s.push_str(&format!(" {max}"));
    }
    if m.memory64 {
        s = format!("i64 {s}");
    }
    if m.shared {
        s.push_str(" shared");
    }
    format!("(memory {s})")
}

/// `name` appears in `text` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(name).any(|(i, _)| {
        !ident(text[..i].chars().next_back()) && !ident(text[i + name.len()..].chars().next())
    })
}

/// The compat-matrix entries about function `name` (with `arity` parameters) of witx
/// namespace `ns`: the documented behaviours (as the matrix's rows apply them), the
/// preview1 differences observed on preview1 and wasix_32v1, the WASIX ABI notes; and
/// for a WASIX-only function under a WASIX namespace, every row of the WASIX difference
/// tables that names it.
pub fn differences(ns: &str, name: &str, arity: usize) -> Vec<Difference> {
    let mut out = Vec::new();
    let by_arity = crate::matrix::DOCUMENTED_BY_ARITY
        .iter()
        .find(|(f, n, _)| *f == name && *n == arity);
    match by_arity {
        Some((_, _, b)) => out.push(Difference {
            table: "DOCUMENTED_BY_ARITY",
            text: b.to_string(),
        }),
        None => out.extend(
            crate::matrix::DOCUMENTED
                .iter()
                .filter(|doc| doc.function == name)
                .map(|doc| Difference {
                    table: "DOCUMENTED",
                    text: doc.behaviour.to_string(),
                }),
        ),
    }
    let p1_observed = matches!(ns, "wasi_snapshot_preview1" | "wasix_32v1")
        && !(ns == "wasix_32v1" && name == "fd_renumber");
    if p1_observed {
        out.extend(
            d::KNOWN_DIFFERENCES
                .iter()
                .filter(|k| k.function == name)
                .map(|k| Difference {
                    table: "KNOWN_DIFFERENCES",
                    text: format!("`{}`: ours {}; wasmer-wasix {}", k.check, k.ours, k.wasmer),
                }),
        );
    }
    if !matches!(ns, "wasix_32v1" | "wasix_64v1") {
        return out;
    }
    out.extend(
        d::WASIX_ABI_NOTES
            .iter()
            .filter(|(f, _)| *f == name)
            .map(|(_, t)| Difference {
                table: "WASIX_ABI_NOTES",
                text: t.to_string(),
            }),
    );
    if crate::witx::PREVIEW1.contains(&name) {
        return out;
    }
    let five = |table: &'static str, rows: &[(&str, &str, &str, &str, &str)]| {
        rows.iter()
            .filter(|(_, check, ours, theirs, why)| {
                [check, ours, theirs, why].iter().any(|t| mentions(t, name))
            })
            .map(|(case, check, ours, theirs, _)| Difference {
                table,
                text: format!("{case}: {check}: ours {ours}; wasmer-wasix {theirs}"),
            })
            .collect::<Vec<_>>()
    };
    out.extend(five(
        "WASIX_RUNTIME_DIFFERENCES",
        d::WASIX_RUNTIME_DIFFERENCES,
    ));
    out.extend(five("PROCESS_DIFFERENCES", d::PROCESS_DIFFERENCES));
    out.extend(five(
        "SOCKET_VALUE_DIFFERENCES",
        d::SOCKET_VALUE_DIFFERENCES,
    ));
    out.extend(
        d::PROCESS_NOTES
            .iter()
            .filter(|(what, ours, theirs, why)| {
                [what, ours, theirs, why].iter().any(|t| mentions(t, name))
            })
            .map(|(what, ours, theirs, _)| Difference {
                table: "PROCESS_NOTES",
                text: format!("{what}: ours {ours}; wasmer-wasix {theirs}"),
            }),
    );
    out.extend(
        d::SOCKET_DIFFERENCES
            .iter()
            .filter(|(_, check, why)| mentions(check, name) || mentions(why, name))
            .map(|(case, check, why)| Difference {
                table: "SOCKET_DIFFERENCES",
                text: format!("{case}: {check}: {why}"),
            }),
    );
    out.extend(
        d::PORT_DIFFERENCES
            .iter()
            .filter(|(_, _, _, why)| mentions(why, name))
            .map(|(case, check, _, why)| Difference {
                table: "PORT_DIFFERENCES",
                text: format!("{case} {check}: {why}"),
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_mentions_whole_identifiers_only() {
        assert!(mentions("port_addr_add goes to the host", "port_addr_add"));
        assert!(!mentions("port_addr_add_x", "port_addr_add"));
        assert!(!mentions("xport_addr_add", "port_addr_add"));
        assert!(mentions("(futex_wait / futex_wake)", "futex_wake"));
    }

    #[test]
    fn inspect_documented_by_arity_wins() {
        let d = differences("wasix_32v1", "thread_spawn", 2);
        assert_eq!(d[0].table, "DOCUMENTED_BY_ARITY");
        let d = differences("wasix_32v1", "thread_spawn", 5);
        assert_eq!(d[0].table, "DOCUMENTED");
    }

    #[test]
    fn inspect_preview1_differences_skip_wasix_fd_renumber() {
        let p1 = differences("wasi_snapshot_preview1", "fd_renumber", 2);
        assert!(p1.iter().any(|d| d.table == "KNOWN_DIFFERENCES"));
        let wx = differences("wasix_32v1", "fd_renumber", 2);
        assert!(!wx.iter().any(|d| d.table == "KNOWN_DIFFERENCES"));
    }
}
