//! `witx/` is the source of truth for the witx ABIs (DESIGN.md §2, §4). This test parses it
//! with the `witx` crate and checks the library against it:
//!
//! * every host function registered under `wasi_unstable` / `wasi_snapshot_preview1` is
//!   exactly the witx function set, with the witx core wasm signature;
//! * `wasix_32v1` registers every preview1 function with the preview1 signature, and
//!   `wasix_64v1` the same with pointer-sized parameters widened to i64 (see `wide_mask`);
//!   other wasix names are allowed only when a `witx/wasix/*.witx` declares them;
//! * every entry of `guest::layout::LAYOUTS` has the witx size, alignment and field offsets,
//!   and every struct / union the witx passes through guest memory has an entry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use wasix_compat::guest::layout::{TypeLayout, LAYOUTS};
use wasix_compat::registry::{signatures, ImportSig};
use witx::{Document, Id, InterfaceFunc, Layout, RecordKind, Type, TypeRef, WasmType};

// ---------------------------------------------------------------------------------------------
// witx loading
// ---------------------------------------------------------------------------------------------

fn witx_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("witx")
}

fn load(path: &Path) -> Document {
    witx::load(&[path])
        .unwrap_or_else(|e| panic!("{} does not load: {}", path.display(), e.report()))
}

fn preview0() -> Document {
    load(&witx_dir().join("preview0/wasi_unstable.witx"))
}

fn preview1() -> Document {
    load(&witx_dir().join("preview1/wasi_snapshot_preview1.witx"))
}

/// Documents under `witx/wasix/` that declare a module (typename-only files are pulled in by
/// their `use`). `None` when the directory does not exist yet.
fn wasix_docs() -> Option<Vec<(PathBuf, Document)>> {
    let dir = witx_dir().join("wasix");
    if !dir.is_dir() {
        return None;
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "witx"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("(module"))
        .collect();
    paths.sort();
    Some(paths.into_iter().map(|p| (p.clone(), load(&p))).collect())
}

fn single_module(doc: &Document, want: &str) -> Vec<std::rc::Rc<InterfaceFunc>> {
    let modules: Vec<_> = doc.modules().collect();
    assert_eq!(
        modules.len(),
        1,
        "expected exactly one module in the {want} witx"
    );
    assert_eq!(modules[0].name.as_str(), want, "module name");
    modules[0].funcs().collect()
}

// ---------------------------------------------------------------------------------------------
// Core wasm signatures
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sig {
    params: Vec<String>,
    results: Vec<String>,
}

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "({}) -> ({})",
            self.params.join(", "),
            self.results.join(", ")
        )
    }
}

fn wasm_name(t: WasmType) -> String {
    match t {
        WasmType::I32 => "i32",
        WasmType::I64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
    }
    .to_string()
}

fn wasmer_name(t: &wasmer::Type) -> String {
    match t {
        wasmer::Type::I32 => "i32".to_string(),
        wasmer::Type::I64 => "i64".to_string(),
        wasmer::Type::F32 => "f32".to_string(),
        wasmer::Type::F64 => "f64".to_string(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn registered_sig(s: &ImportSig) -> Sig {
    Sig {
        params: s.params.iter().map(wasmer_name).collect(),
        results: s.results.iter().map(wasmer_name).collect(),
    }
}

/// True if `tref` is (an alias chain through) the typename `size`, or a builtin marked
/// pointer-sized (`usize` in witx, e.g. wasix's `$pointersize`).
fn is_size_like(tref: &TypeRef) -> bool {
    let mut cur = tref;
    loop {
        match cur {
            TypeRef::Name(nt) if nt.name.as_str() == "size" => return true,
            TypeRef::Name(nt) => cur = &nt.tref,
            TypeRef::Value(t) => {
                return matches!(
                    **t,
                    Type::Builtin(witx::BuiltinType::U32 {
                        lang_ptr_size: true
                    })
                )
            }
        }
    }
}

/// For each core parameter of `f` (in `wasm_signature()` order), whether it is pointer-sized
/// on a 64-bit memory (wasmer-wasix's `M::Offset` / `WasmPtr<_, M>` rule):
/// * `(@witx pointer T)` / `(@witx const_pointer T)` parameters;
/// * both halves (pointer, length) of `string` / `(list T)` parameters;
/// * parameters whose witx type is (an alias of) `$size`, or a `usize` builtin;
/// * the trailing out-pointers that receive an `expected` ok value (one per tuple member).
///
/// Everything else (fds, enums, flags, 64-bit integers, the errno result) keeps its width.
fn wide_mask(f: &InterfaceFunc) -> Vec<bool> {
    let mut mask = Vec::new();
    for p in &f.params {
        match &**p.tref.type_() {
            Type::List(_) => mask.extend([true, true]),
            Type::Pointer(_) | Type::ConstPointer(_) => mask.push(true),
            _ => mask.push(is_size_like(&p.tref)),
        }
    }
    for r in &f.results {
        if let Type::Variant(v) = &**r.tref.type_() {
            if v.is_enum() {
                continue;
            }
            if let Some(ok) = &v.cases[0].tref {
                match &**ok.type_() {
                    Type::Record(rec) if rec.is_tuple() => {
                        mask.extend(rec.members.iter().map(|_| true))
                    }
                    _ => mask.push(true),
                }
            }
        }
    }
    mask
}

/// Core signature of a witx function; `wide` applies the wasm64 widening of `wide_mask`.
fn core_sig(f: &InterfaceFunc, wide: bool) -> Sig {
    let (params, results) = f.wasm_signature();
    let mask = wide_mask(f);
    assert_eq!(
        mask.len(),
        params.len(),
        "internal: pointer mask of `{}` does not line up with its core params {:?}",
        f.name.as_str(),
        params
    );
    Sig {
        params: params
            .iter()
            .zip(&mask)
            .map(|(&t, &ptr)| {
                if wide && ptr {
                    "i64".to_string()
                } else {
                    wasm_name(t)
                }
            })
            .collect(),
        results: results.into_iter().map(wasm_name).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Namespace checks
// ---------------------------------------------------------------------------------------------

/// name -> acceptable signatures (with where each came from).
type Expected = BTreeMap<String, Vec<(Sig, String)>>;

fn add_funcs(exp: &mut Expected, funcs: &[std::rc::Rc<InterfaceFunc>], wide: bool, origin: &str) {
    for f in funcs {
        let sig = core_sig(f, wide);
        let e = exp.entry(f.name.as_str().to_string()).or_default();
        if !e.iter().any(|(s, _)| *s == sig) {
            e.push((sig, origin.to_string()));
        }
    }
}

fn check_namespace(ns: &str, expected: &Expected, all: &[ImportSig], errors: &mut Vec<String>) {
    let mut registered: BTreeMap<&str, Vec<Sig>> = BTreeMap::new();
    for s in all.iter().filter(|s| s.module == ns) {
        registered
            .entry(s.name)
            .or_default()
            .push(registered_sig(s));
    }
    for (name, cands) in expected {
        let Some(got) = registered.get(name.as_str()) else {
            let want: Vec<String> = cands.iter().map(|(s, o)| format!("{s} [{o}]")).collect();
            errors.push(format!(
                "{ns}::{name}: not registered (witx expects {})",
                want.join(" or ")
            ));
            continue;
        };
        for (i, g) in got.iter().enumerate() {
            if got[..i].contains(g) {
                errors.push(format!(
                    "{ns}::{name}: signature {g} registered more than once"
                ));
            } else if !cands.iter().any(|(s, _)| s == g) {
                let want: Vec<String> = cands.iter().map(|(s, o)| format!("{s} [{o}]")).collect();
                errors.push(format!(
                    "{ns}::{name}: signature mismatch: expected {}, got {g}",
                    want.join(" or ")
                ));
            }
        }
        for (s, origin) in cands {
            if !got.contains(s) && got.len() > 1 {
                errors.push(format!(
                    "{ns}::{name}: witx signature {s} [{origin}] not registered"
                ));
            }
        }
    }
    for (name, got) in &registered {
        if !expected.contains_key(*name) {
            let got: Vec<String> = got.iter().map(|s| s.to_string()).collect();
            errors.push(format!(
                "{ns}::{name}: registered ({}) but not declared by any witx for this namespace",
                got.join(", ")
            ));
        }
    }
}

#[test]
fn registered_signatures_match_witx() {
    let p0 = preview0();
    let p1 = preview1();
    let f0 = single_module(&p0, "wasi_unstable");
    let f1 = single_module(&p1, "wasi_snapshot_preview1");
    let wasix = wasix_docs();

    let all = signatures();
    let mut errors = Vec::new();

    let mut e0 = Expected::new();
    add_funcs(&mut e0, &f0, false, "preview0 witx");
    check_namespace("wasi_unstable", &e0, &all, &mut errors);

    let mut e1 = Expected::new();
    add_funcs(&mut e1, &f1, false, "preview1 witx");
    check_namespace("wasi_snapshot_preview1", &e1, &all, &mut errors);

    for (ns, wide) in [("wasix_32v1", false), ("wasix_64v1", true)] {
        let mut e = Expected::new();
        add_funcs(&mut e, &f1, wide, "preview1 witx");
        for (path, doc) in wasix.iter().flatten() {
            let origin = format!("witx/wasix/{}", path.file_name().unwrap().to_string_lossy());
            for m in doc.modules() {
                let funcs: Vec<_> = m.funcs().collect();
                add_funcs(&mut e, &funcs, wide, &origin);
            }
        }
        check_namespace(ns, &e, &all, &mut errors);
    }

    if wasix.is_none() {
        eprintln!("note: witx/wasix/ does not exist; wasix-only names are not allowed yet");
    }
    errors.sort();
    assert!(
        errors.is_empty(),
        "{} ABI mismatch(es):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------------

/// A record (not flags, not tuple) or a union (variant with payloads): what a Pod struct models.
fn is_struct_like(t: &Type) -> bool {
    match t {
        Type::Record(r) => matches!(r.kind, RecordKind::Other),
        Type::Variant(v) => !v.is_enum(),
        _ => false,
    }
}

/// Offset of a dotted field path inside `t`. Segments: a record member name; for a union,
/// `tag` (offset 0), `payload` or `u` (the payload offset), or a case name (payload offset,
/// then continue inside that case's type).
fn field_offset(t: &Type, path: &str) -> Result<usize, String> {
    let mut ty = t.clone();
    let mut off = 0usize;
    let segs: Vec<&str> = path.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match &ty {
            Type::Record(r) if matches!(r.kind, RecordKind::Other) => {
                let ml = r.member_layout();
                let Some(m) = ml.iter().find(|m| m.member.name.as_str() == *seg) else {
                    let names: Vec<&str> = r.members.iter().map(|m| m.name.as_str()).collect();
                    return Err(format!("no member `{seg}` (members: {names:?})"));
                };
                off += m.offset;
                let next = (**m.member.tref.type_()).clone();
                ty = next;
            }
            Type::Variant(v) if !v.is_enum() => {
                if *seg == "tag" {
                    if !last {
                        return Err("`tag` has no sub-fields".into());
                    }
                    return Ok(off);
                }
                if *seg == "payload" || *seg == "u" {
                    if !last {
                        return Err(format!("`{seg}` has no sub-fields; name the case instead"));
                    }
                    return Ok(off + v.payload_offset());
                }
                let Some(c) = v.cases.iter().find(|c| c.name.as_str() == *seg) else {
                    let names: Vec<&str> = v.cases.iter().map(|c| c.name.as_str()).collect();
                    return Err(format!(
                        "no case `{seg}` (tag, payload, or one of {names:?})"
                    ));
                };
                off += v.payload_offset();
                match &c.tref {
                    Some(t) => ty = (**t.type_()).clone(),
                    None if last => {}
                    None => return Err(format!("case `{seg}` has no payload")),
                }
            }
            _ => {
                return Err(format!(
                    "`{seg}` is inside a {} type, which has no fields",
                    ty.kind()
                ))
            }
        }
    }
    Ok(off)
}

/// Checks one LAYOUTS entry against `doc`; returns the problems found.
fn check_layout(l: &TypeLayout, doc: &Document, doc_name: &str) -> Vec<String> {
    let who = format!("LAYOUTS[{}/{}] vs {doc_name} witx", l.abi, l.witx);
    let Some(nt) = doc.typename(&Id::new(l.witx)) else {
        return vec![format!("{who}: no witx type `${}`", l.witx)];
    };
    let mut errs = Vec::new();
    let sa = nt.mem_size_align();
    if (l.size, l.align) != (sa.size, sa.align) {
        errs.push(format!(
            "{who}: size/align expected {}/{}, got {}/{}",
            sa.size, sa.align, l.size, l.align
        ));
    }
    let t = &**nt.type_();
    let mut seen = BTreeSet::new();
    for &(path, got) in l.fields {
        if !seen.insert(path) {
            errs.push(format!("{who}: field `{path}` listed twice"));
        }
        match field_offset(t, path) {
            Ok(want) if want == got => {}
            Ok(want) => errs.push(format!(
                "{who}: field `{path}` offset expected {want}, got {got}"
            )),
            Err(e) => errs.push(format!("{who}: field `{path}`: {e}")),
        }
    }
    match t {
        Type::Record(r) if matches!(r.kind, RecordKind::Other) => {
            for m in &r.members {
                if !seen.contains(m.name.as_str()) {
                    errs.push(format!(
                        "{who}: member `{}` not listed in fields",
                        m.name.as_str()
                    ));
                }
            }
        }
        Type::Variant(v) if !v.is_enum() && !seen.contains("tag") => {
            errs.push(format!("{who}: union entry must list `tag`"));
        }
        _ => {}
    }
    errs
}

/// Struct / union types the witx exchanges through guest memory: pointees of pointer
/// params, elements of list params, `expected` ok values written through out-pointers, and
/// `dirent` (the header of each `fd_readdir` record).
fn memory_types(doc: &Document) -> BTreeSet<String> {
    fn add(out: &mut BTreeSet<String>, tref: &TypeRef) {
        if let TypeRef::Name(nt) = tref {
            if is_struct_like(nt.type_()) {
                out.insert(nt.name.as_str().to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    for m in doc.modules() {
        for f in m.funcs() {
            for p in &f.params {
                match &**p.tref.type_() {
                    Type::Pointer(t) | Type::ConstPointer(t) | Type::List(t) => add(&mut out, t),
                    _ => {}
                }
            }
            for r in &f.results {
                if let Type::Variant(v) = &**r.tref.type_() {
                    if let Some((Some(ok), _)) = v.as_expected() {
                        match &**ok.type_() {
                            Type::Record(rec) if rec.is_tuple() => {
                                rec.members.iter().for_each(|m| add(&mut out, &m.tref))
                            }
                            _ => add(&mut out, ok),
                        }
                    }
                }
            }
        }
    }
    if doc.typename(&Id::new("dirent")).is_some() {
        out.insert("dirent".to_string());
    }
    out
}

#[test]
fn layouts_match_witx() {
    let p0 = preview0();
    let p1 = preview1();
    let wasix = wasix_docs();
    let mut errors = Vec::new();

    let mut keys = BTreeSet::new();
    for l in LAYOUTS {
        if !keys.insert((l.abi, l.witx)) {
            errors.push(format!("LAYOUTS[{}/{}]: duplicate entry", l.abi, l.witx));
        }
        match l.abi {
            "preview0" => errors.extend(check_layout(l, &p0, "preview0")),
            "preview1" => errors.extend(check_layout(l, &p1, "preview1")),
            "wasix" => match &wasix {
                Some(docs) => errors.extend(check_layout(l, &docs[0].1, "wasix")),
                None => errors.push(format!(
                    "LAYOUTS[wasix/{}]: witx/wasix/ does not exist",
                    l.witx
                )),
            },
            other => errors.push(format!(
                "LAYOUTS[{other}/{}]: unknown abi `{other}`",
                l.witx
            )),
        }
    }

    // Coverage. A preview0 / wasix type may reuse the preview1 entry when that entry's
    // size, alignment and offsets also hold in the other document.
    let find = |abi: &str, name: &str| LAYOUTS.iter().find(|l| l.abi == abi && l.witx == name);
    let mut missing = Vec::new();
    let mut docs: Vec<(&str, &Document)> = vec![("preview0", &p0), ("preview1", &p1)];
    if let Some(w) = &wasix {
        docs.extend(w.iter().map(|(_, d)| ("wasix", d)));
    }
    for (abi, doc) in docs {
        for name in memory_types(doc) {
            if find(abi, &name).is_some() {
                continue;
            }
            match find("preview1", &name) {
                // A wrong preview1 entry is already reported above; judge reuse only when it holds.
                Some(l) if abi != "preview1" && check_layout(l, &p1, "preview1").is_empty() => {
                    let errs = check_layout(l, doc, abi);
                    if !errs.is_empty() {
                        errors.push(format!(
                            "{abi} `{name}` differs from preview1, so it needs its own LAYOUTS entry:\n    {}",
                            errs.join("\n    ")
                        ));
                    }
                }
                Some(_) if abi != "preview1" => {}
                _ => missing.push(format!("{abi}/{name}")),
            }
        }
    }
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        errors.push(format!(
            "types passed through guest memory without a LAYOUTS entry: {}",
            missing.join(", ")
        ));
    }
    errors.sort();
    assert!(
        errors.is_empty(),
        "{} layout problem(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Self-consistency of our witx (does not depend on the library's tables)
// ---------------------------------------------------------------------------------------------

fn func<'a>(funcs: &'a [std::rc::Rc<InterfaceFunc>], name: &str) -> &'a InterfaceFunc {
    funcs
        .iter()
        .find(|f| f.name.as_str() == name)
        .unwrap_or_else(|| panic!("no witx function {name}"))
}

fn sig(params: &[&str], results: &[&str]) -> Sig {
    Sig {
        params: params.iter().map(|s| s.to_string()).collect(),
        results: results.iter().map(|s| s.to_string()).collect(),
    }
}

fn size_align(doc: &Document, name: &str) -> (usize, usize) {
    let sa = doc
        .typename(&Id::new(name))
        .unwrap_or_else(|| panic!("no type {name}"))
        .mem_size_align();
    (sa.size, sa.align)
}

fn enum_cases(doc: &Document, name: &str) -> Vec<String> {
    match &**doc.typename(&Id::new(name)).unwrap().type_() {
        Type::Variant(v) => v
            .cases
            .iter()
            .map(|c| c.name.as_str().to_string())
            .collect(),
        Type::Record(r) => r
            .members
            .iter()
            .map(|m| m.name.as_str().to_string())
            .collect(),
        t => panic!("{name} is a {}", t.kind()),
    }
}

#[test]
fn witx_self_consistency() {
    let p0 = preview0();
    let p1 = preview1();
    let f0 = single_module(&p0, "wasi_unstable");
    let f1 = single_module(&p1, "wasi_snapshot_preview1");
    assert_eq!(f0.len(), 45, "wasi_unstable function count");
    assert_eq!(f1.len(), 46, "wasi_snapshot_preview1 function count");

    let n0: BTreeSet<&str> = f0.iter().map(|f| f.name.as_str()).collect();
    let n1: BTreeSet<&str> = f1.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        n1.difference(&n0).copied().collect::<Vec<_>>(),
        ["sock_accept"]
    );
    assert!(n0.is_subset(&n1));
    // Same core signatures in both generations; the differences are in memory only.
    for f in &f0 {
        assert!(
            core_sig(f, false) == core_sig(func(&f1, f.name.as_str()), false),
            "{}",
            f.name.as_str()
        );
    }

    // Spot checks of core signatures, narrow and wasm64-wide.
    let s = |n: &str, wide: bool| core_sig(func(&f1, n), wide);
    assert!(s("fd_write", false) == sig(&["i32", "i32", "i32", "i32"], &["i32"]));
    assert!(s("fd_write", true) == sig(&["i32", "i64", "i64", "i64"], &["i32"]));
    assert!(s("fd_seek", false) == sig(&["i32", "i64", "i32", "i32"], &["i32"]));
    assert!(s("fd_seek", true) == sig(&["i32", "i64", "i32", "i64"], &["i32"]));
    assert!(s("clock_time_get", true) == sig(&["i32", "i64", "i64"], &["i32"]));
    assert!(s("args_sizes_get", true) == sig(&["i64", "i64"], &["i32"]));
    assert!(s("proc_exit", true) == sig(&["i32"], &[]));
    assert!(s("poll_oneoff", true) == sig(&["i64", "i64", "i64", "i64"], &["i32"]));
    assert!(s("fd_prestat_dir_name", true) == sig(&["i32", "i64", "i64"], &["i32"]));
    assert!(s("sock_recv", false) == sig(&["i32", "i32", "i32", "i32", "i32", "i32"], &["i32"]));
    assert!(s("sock_recv", true) == sig(&["i32", "i64", "i64", "i32", "i64", "i64"], &["i32"]));
    assert!(
        s("path_open", false)
            == sig(
                &["i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"],
                &["i32"]
            )
    );
    assert!(
        s("path_open", true)
            == sig(
                &["i32", "i32", "i64", "i64", "i32", "i64", "i64", "i32", "i64"],
                &["i32"]
            )
    );
    assert!(s("fd_readdir", true) == sig(&["i32", "i64", "i64", "i64", "i64"], &["i32"]));

    // The four documented preview0 / preview1 differences (DESIGN.md §4).
    assert_eq!(enum_cases(&p0, "whence"), ["cur", "end", "set"]);
    assert_eq!(enum_cases(&p1, "whence"), ["set", "cur", "end"]);
    assert_eq!(size_align(&p0, "filestat"), (56, 8));
    assert_eq!(size_align(&p1, "filestat"), (64, 8));
    assert_eq!(size_align(&p0, "subscription"), (56, 8));
    assert_eq!(size_align(&p1, "subscription"), (48, 8));
    for doc in [&p0, &p1] {
        assert_eq!(size_align(doc, "iovec"), (8, 4));
        assert_eq!(size_align(doc, "ciovec"), (8, 4));
        assert_eq!(size_align(doc, "dirent"), (24, 8));
        assert_eq!(size_align(doc, "fdstat"), (24, 8));
        assert_eq!(size_align(doc, "event"), (32, 8));
        assert_eq!(size_align(doc, "prestat"), (8, 4));
        assert_eq!(size_align(doc, "errno"), (2, 2));
        assert_eq!(enum_cases(doc, "errno").len(), 77);
        assert_eq!(enum_cases(doc, "signal").len(), 31);
    }
    assert_eq!(enum_cases(&p0, "rights").len(), 29);
    assert_eq!(enum_cases(&p1, "rights").len(), 30);

    // Field-path resolution used by the LAYOUTS check.
    let sub = p1.typename(&Id::new("subscription")).unwrap();
    assert_eq!(field_offset(sub.type_(), "u.tag"), Ok(8));
    assert_eq!(field_offset(sub.type_(), "u.clock.timeout"), Ok(24));
    assert_eq!(
        field_offset(sub.type_(), "u.fd_read.file_descriptor"),
        Ok(16)
    );
    let sub0 = p0.typename(&Id::new("subscription")).unwrap();
    assert_eq!(field_offset(sub0.type_(), "u.clock.timeout"), Ok(32));

    let mt: Vec<String> = memory_types(&p1).into_iter().collect();
    assert_eq!(
        mt,
        [
            "ciovec",
            "dirent",
            "event",
            "fdstat",
            "filestat",
            "iovec",
            "prestat",
            "subscription"
        ]
    );
}
