//! `inspect` for people: one fact per line, then one import per line with its status.

use super::verdict::Judgement;
use super::{Report, Status};

fn pages(n: u64) -> String {
    format!("{n} page{}", if n == 1 { "" } else { "s" })
}

fn memory_line(m: &super::Memory) -> String {
    format!(
        "{} {}, max {}, {}, {}",
        match &m.import {
            Some(i) => format!("imported {i}:"),
            None => "defined:".into(),
        },
        pages(m.min_pages),
        m.max_pages.map(pages).unwrap_or_else(|| "none".into()),
        if m.memory64 { "64-bit" } else { "32-bit" },
        if m.shared { "shared" } else { "unshared" },
    )
}

fn verdict_lines(out: &mut Vec<(String, String)>, key: &str, j: &Judgement) {
    out.push((key.into(), j.summary.clone()));
    for r in &j.reasons {
        out.push((String::new(), format!("- {r}")));
    }
}

pub fn render(r: &Report) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.push(("file".into(), r.file.clone()));
    rows.push(("kind".into(), r.kind.name().into()));
    if r.abis.is_empty() {
        rows.push(("abis".into(), "none".into()));
    }
    for (n, a) in r.abis.iter().enumerate() {
        let mut line = a.name.clone();
        match (a.generation, a.name.as_str()) {
            (Some(g), _) if a.evidence.is_empty() => line.push_str(&format!(" (generation {g})")),
            (Some(g), _) => line.push_str(&format!(" (generation {g}: {})", a.evidence.join(", "))),
            (None, _) if !a.evidence.is_empty() => {
                line.push_str(&format!(" ({})", a.evidence.join(", ")))
            }
            _ => {}
        }
        rows.push((if n == 0 { "abis" } else { "" }.into(), line));
    }
    if r.memories.is_empty() {
        rows.push(("memory".into(), "none".into()));
    }
    for (n, m) in r.memories.iter().enumerate() {
        rows.push((if n == 0 { "memory" } else { "" }.into(), memory_line(m)));
    }
    let a = &r.asyncify;
    rows.push((
        "asyncify".into(),
        match (a.asyncified, a.fork) {
            (false, _) => "no (fork, setjmp and contexts unavailable)".into(),
            (true, true) => "yes (fork, setjmp, contexts)".into(),
            (true, false) => "yes (setjmp, contexts; fork needs a shared memory)".into(),
        },
    ));
    rows.push((
        "pic".into(),
        match &r.pic {
            None => "no".into(),
            Some(p) => {
                let how = if p.role == "main" { "-pie" } else { "-shared" };
                match p.needed.is_empty() {
                    true => format!("{} module ({how})", p.role),
                    false => format!("{} module ({how}), needs {}", p.role, p.needed.join(", ")),
                }
            }
        },
    ));
    let present: Vec<&str> = r.exports.iter().filter(|e| e.1).map(|e| e.0).collect();
    let absent: Vec<&str> = r.exports.iter().filter(|e| !e.1).map(|e| e.0).collect();
    rows.push((
        "exports".into(),
        match present.is_empty() {
            true => "none".into(),
            false => present.join(", "),
        },
    ));
    if !absent.is_empty() {
        rows.push(("absent".into(), absent.join(", ")));
    }
    rows.push((
        "entry".into(),
        r.entry.clone().unwrap_or_else(|| "none".into()),
    ));
    verdict_lines(&mut rows, "ours", &r.verdict.ours);
    verdict_lines(&mut rows, "wasmer-wasix", &r.verdict.wasmer_wasix);
    let c = &r.verdict.component;
    rows.push(("component".into(), c.summary.clone()));
    for reason in &c.reasons {
        rows.push((String::new(), format!("- {reason}")));
    }
    for b in &c.blockers {
        rows.push((
            String::new(),
            format!(
                "  {} -> {}",
                b.import,
                b.nearest.unwrap_or("no WASI 0.2 equivalent")
            ),
        ));
    }
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in &rows {
        out.push_str(&format!("{k:w$}  {v}\n"));
    }
    let count = |s: Status| r.imports.iter().filter(|i| i.status == s).count();
    out.push_str(&format!(
        "imports ({}: {} implemented, {} implemented-with-difference, {} missing)\n",
        r.imports.len(),
        count(Status::Implemented),
        count(Status::ImplementedWithDifference),
        count(Status::Missing)
    ));
    let wm = r.imports.iter().map(|i| i.module.len()).max().unwrap_or(0);
    let wn = r.imports.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let ws = r
        .imports
        .iter()
        .map(|i| i.signature.len())
        .max()
        .unwrap_or(0);
    for i in &r.imports {
        let mut status = i.status.name().to_string();
        if !i.differences.is_empty() {
            let mut tables: Vec<&str> = i.differences.iter().map(|d| d.table).collect();
            tables.dedup();
            status.push_str(&format!(" ({})", tables.join(", ")));
        }
        if let Some(why) = &i.reason {
            status.push_str(&format!(" ({why})"));
        }
        out.push_str(
            format!(
                "  {:wm$}  {:wn$}  {:ws$}  {status}\n",
                i.module, i.name, i.signature
            )
            .as_str(),
        );
    }
    out
}
