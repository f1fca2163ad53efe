//! `wit/` is the source of truth for the WASI 0.2 side (DESIGN.md §2): it must parse with
//! wit-parser as a package set, its `wasi:cli/command@0.2.0` world must import the
//! interfaces the seed names and export `wasi:cli/run`, and it must agree with what the
//! host registers, both ways.

use std::collections::BTreeSet;
use std::path::PathBuf;

use wit_parser::{PackageId, Resolve, WorldId, WorldItem, WorldKey};

const IMPORTS: &[&str] = &[
    "wasi:io/error@0.2.0",
    "wasi:io/poll@0.2.0",
    "wasi:io/streams@0.2.0",
    "wasi:clocks/monotonic-clock@0.2.0",
    "wasi:clocks/wall-clock@0.2.0",
    "wasi:random/random@0.2.0",
    "wasi:random/insecure@0.2.0",
    "wasi:random/insecure-seed@0.2.0",
    "wasi:cli/environment@0.2.0",
    "wasi:cli/exit@0.2.0",
    "wasi:cli/stdin@0.2.0",
    "wasi:cli/stdout@0.2.0",
    "wasi:cli/stderr@0.2.0",
    "wasi:cli/terminal-input@0.2.0",
    "wasi:cli/terminal-output@0.2.0",
    "wasi:cli/terminal-stdin@0.2.0",
    "wasi:cli/terminal-stdout@0.2.0",
    "wasi:cli/terminal-stderr@0.2.0",
    "wasi:filesystem/types@0.2.0",
    "wasi:filesystem/preopens@0.2.0",
    "wasi:sockets/network@0.2.0",
    "wasi:sockets/instance-network@0.2.0",
    "wasi:sockets/tcp@0.2.0",
    "wasi:sockets/tcp-create-socket@0.2.0",
    "wasi:sockets/udp@0.2.0",
    "wasi:sockets/udp-create-socket@0.2.0",
    "wasi:sockets/ip-name-lookup@0.2.0",
];

const EXPORTS: &[&str] = &["wasi:cli/run@0.2.0"];

fn wit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wit")
}

fn load() -> (Resolve, PackageId, WorldId) {
    let mut resolve = Resolve::default();
    let (pkg, _sources) = resolve
        .push_dir(wit_dir())
        .unwrap_or_else(|e| panic!("wit/ does not parse: {e:?}"));
    let name = &resolve.packages[pkg].name;
    assert_eq!(
        (
            name.namespace.as_str(),
            name.name.as_str(),
            name.version.as_ref().map(|v| v.to_string())
        ),
        ("wasi", "cli", Some("0.2.0".to_string())),
        "wit/ root package must be wasi:cli@0.2.0, got {name}"
    );
    let world = resolve
        .select_world(pkg, Some("command"))
        .unwrap_or_else(|e| panic!("no world `command` in wasi:cli@0.2.0: {e:?}"));
    (resolve, pkg, world)
}

fn interface_names<'a>(
    resolve: &Resolve,
    items: impl IntoIterator<Item = (&'a WorldKey, &'a WorldItem)>,
) -> BTreeSet<String> {
    items
        .into_iter()
        .filter(|(_, item)| matches!(item, WorldItem::Interface { .. }))
        .map(|(key, _)| resolve.name_world_key(key))
        .collect()
}

#[test]
fn command_world_imports_and_exports() {
    let (resolve, _pkg, world) = load();
    let world = &resolve.worlds[world];

    let imports = interface_names(&resolve, world.imports.iter());
    let missing: Vec<&str> = IMPORTS
        .iter()
        .copied()
        .filter(|i| !imports.contains(*i))
        .collect();
    assert!(
        missing.is_empty(),
        "command world lacks imports {missing:?}; it has {imports:?}"
    );
    let extra: Vec<&String> = imports
        .iter()
        .filter(|i| !IMPORTS.contains(&i.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "command world imports interfaces not listed in this test: {extra:?}"
    );
    let funcs: Vec<String> = world
        .imports
        .iter()
        .filter(|(_, i)| matches!(i, WorldItem::Function(_)))
        .map(|(k, _)| k)
        .map(|k| resolve.name_world_key(k))
        .collect();
    assert!(
        funcs.is_empty(),
        "command world imports bare functions: {funcs:?}"
    );

    let exports: Vec<String> = world
        .exports
        .keys()
        .map(|k| resolve.name_world_key(k))
        .collect();
    assert_eq!(exports, EXPORTS, "command world exports");
}

/// Interfaces of the command world the WASI 0.2 front end does not serve yet: a component
/// importing them fails at link time, naming the function. Exactly these functions are the
/// ones wit/ has and the host lacks (the test below fails when one is added, so the list
/// shrinks as the front end grows).
const NOT_YET: &[&str] = &[];

/// wit/ against what the host registers, both ways: every function the WASI 0.2 front end
/// registers is in wit/ with the flat core signature wit-parser computes for it; every
/// function of wit/'s command world is registered unless its interface is in `NOT_YET`
/// (and none of those is); every resource of a served interface can be dropped.
#[test]
fn wit_and_the_host_registrations_agree_both_ways() {
    use wasix_compat::p2::link::{host_fn_type, provides_drop, registered, sig};
    use wit_parser::abi::{AbiVariant, WasmType};
    use wit_parser::TypeDefKind;
    let mut resolve = Resolve {
        all_features: true,
        ..Resolve::default()
    };
    let (pkg, _) = resolve.push_dir(wit_dir()).unwrap();
    let world = resolve.select_world(pkg, Some("command")).unwrap();
    let flat = |v: &[WasmType]| -> Vec<&str> {
        v.iter()
            .map(|w| match w {
                WasmType::I64 | WasmType::PointerOrI64 => "i64",
                WasmType::F32 => "f32",
                WasmType::F64 => "f64",
                _ => "i32",
            })
            .collect()
    };
    let mut in_wit = BTreeSet::new();
    let mut errors = Vec::new();
    let mut unserved = BTreeSet::new();
    for (key, item) in &resolve.worlds[world].imports {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        let versioned = resolve.name_world_key(key);
        let name = versioned.split('@').next().unwrap().to_string();
        let later = NOT_YET.iter().any(|p| name.starts_with(p));
        let iface = &resolve.interfaces[*id];
        for (fname, f) in &iface.functions {
            in_wit.insert((name.clone(), fname.clone()));
            match (host_fn_type(&versioned, fname), later) {
                (None, true) => {
                    unserved.insert(format!("{name}#{fname}"));
                }
                (None, false) => errors.push(format!("{name}#{fname}: in wit/, not registered")),
                (Some(_), true) => errors.push(format!(
                    "{name}#{fname}: registered, but its interface is listed as not yet served"
                )),
                (Some(t), false) => {
                    let ws = resolve.wasm_signature(AbiVariant::GuestImport, f);
                    let want = sig(&flat(&ws.params), &flat(&ws.results)).replace('"', "");
                    let have = sig(t.params(), t.results());
                    if have != want {
                        errors.push(format!("{name}#{fname}: ours {have}, wit/ {want}"));
                    }
                }
            }
        }
        for (tname, ty) in &iface.types {
            if matches!(resolve.types[*ty].kind, TypeDefKind::Resource)
                && provides_drop(&versioned, tname) == later
            {
                errors.push(format!("{name}#[resource-drop]{tname}: served={}", !later));
            }
        }
    }
    for (i, f, _) in registered() {
        if !in_wit.contains(&(i.to_string(), f.to_string())) {
            errors.push(format!("{i}#{f}: registered, not in wit/"));
        }
    }
    assert_eq!(errors, Vec::<String>::new());
    // What remains is exactly every function of the listed interfaces (counted from wit/).
    assert_eq!(
        (registered().count(), unserved.len()),
        (in_wit.len() - unserved.len(), 0)
    );
}
