//! `wit/` is the source of truth for the WASI 0.2 side (DESIGN.md §2): it must parse with
//! wit-parser as a package set, and its `wasi:cli/command@0.2.0` world must import every
//! interface the core serves and export `wasi:cli/run`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use wit_parser::{Function, Interface, PackageId, Resolve, Results, WorldId, WorldItem, WorldKey};

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

/// (interface, function, number of params incl. `self`, number of results)
const KEY_FUNCS: &[(&str, &str, usize, usize)] = &[
    ("wasi:io/poll@0.2.0", "poll", 1, 1),
    ("wasi:io/poll@0.2.0", "[method]pollable.ready", 1, 1),
    ("wasi:io/poll@0.2.0", "[method]pollable.block", 1, 0),
    ("wasi:io/error@0.2.0", "[method]error.to-debug-string", 1, 1),
    ("wasi:io/streams@0.2.0", "[method]input-stream.read", 2, 1),
    (
        "wasi:io/streams@0.2.0",
        "[method]input-stream.blocking-read",
        2,
        1,
    ),
    (
        "wasi:io/streams@0.2.0",
        "[method]input-stream.subscribe",
        1,
        1,
    ),
    (
        "wasi:io/streams@0.2.0",
        "[method]output-stream.check-write",
        1,
        1,
    ),
    ("wasi:io/streams@0.2.0", "[method]output-stream.write", 2, 1),
    (
        "wasi:io/streams@0.2.0",
        "[method]output-stream.blocking-write-and-flush",
        2,
        1,
    ),
    (
        "wasi:io/streams@0.2.0",
        "[method]output-stream.splice",
        3,
        1,
    ),
    ("wasi:clocks/monotonic-clock@0.2.0", "now", 0, 1),
    (
        "wasi:clocks/monotonic-clock@0.2.0",
        "subscribe-duration",
        1,
        1,
    ),
    ("wasi:clocks/wall-clock@0.2.0", "now", 0, 1),
    ("wasi:random/random@0.2.0", "get-random-bytes", 1, 1),
    ("wasi:random/insecure-seed@0.2.0", "insecure-seed", 0, 1),
    ("wasi:cli/environment@0.2.0", "get-arguments", 0, 1),
    ("wasi:cli/environment@0.2.0", "get-environment", 0, 1),
    ("wasi:cli/exit@0.2.0", "exit", 1, 0),
    ("wasi:cli/stdin@0.2.0", "get-stdin", 0, 1),
    (
        "wasi:cli/terminal-stdout@0.2.0",
        "get-terminal-stdout",
        0,
        1,
    ),
    ("wasi:cli/run@0.2.0", "run", 0, 1),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]descriptor.open-at",
        5,
        1,
    ),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]descriptor.read",
        3,
        1,
    ),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]descriptor.write",
        3,
        1,
    ),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]descriptor.stat-at",
        3,
        1,
    ),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]descriptor.link-at",
        5,
        1,
    ),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]descriptor.set-times-at",
        5,
        1,
    ),
    (
        "wasi:filesystem/types@0.2.0",
        "[method]directory-entry-stream.read-directory-entry",
        1,
        1,
    ),
    ("wasi:filesystem/types@0.2.0", "filesystem-error-code", 1, 1),
    ("wasi:filesystem/preopens@0.2.0", "get-directories", 0, 1),
    (
        "wasi:sockets/instance-network@0.2.0",
        "instance-network",
        0,
        1,
    ),
    (
        "wasi:sockets/tcp@0.2.0",
        "[method]tcp-socket.start-bind",
        3,
        1,
    ),
    (
        "wasi:sockets/tcp@0.2.0",
        "[method]tcp-socket.start-connect",
        3,
        1,
    ),
    ("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.accept", 1, 1),
    (
        "wasi:sockets/tcp@0.2.0",
        "[method]tcp-socket.shutdown",
        2,
        1,
    ),
    (
        "wasi:sockets/tcp-create-socket@0.2.0",
        "create-tcp-socket",
        1,
        1,
    ),
    ("wasi:sockets/udp@0.2.0", "[method]udp-socket.stream", 2, 1),
    (
        "wasi:sockets/udp@0.2.0",
        "[method]incoming-datagram-stream.receive",
        2,
        1,
    ),
    (
        "wasi:sockets/udp@0.2.0",
        "[method]outgoing-datagram-stream.send",
        2,
        1,
    ),
    (
        "wasi:sockets/udp-create-socket@0.2.0",
        "create-udp-socket",
        1,
        1,
    ),
    (
        "wasi:sockets/ip-name-lookup@0.2.0",
        "resolve-addresses",
        2,
        1,
    ),
    (
        "wasi:sockets/ip-name-lookup@0.2.0",
        "[method]resolve-address-stream.resolve-next-address",
        1,
        1,
    ),
];

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

fn find_interface<'a>(resolve: &'a Resolve, id: &str) -> &'a Interface {
    resolve
        .interfaces
        .iter()
        .map(|(_, i)| i)
        .find(|i| {
            i.name.is_some()
                && i.package.is_some()
                && resolve.id_of_name(i.package.unwrap(), i.name.as_deref().unwrap()) == id
        })
        .unwrap_or_else(|| panic!("interface {id} not found in wit/"))
}

fn result_count(f: &Function) -> usize {
    match &f.results {
        Results::Named(p) => p.len(),
        Results::Anon(_) => 1,
    }
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

#[test]
fn key_functions_have_expected_arity() {
    let (resolve, _pkg, _world) = load();
    let mut errors = Vec::new();
    for &(iface, func, params, results) in KEY_FUNCS {
        let i = find_interface(&resolve, iface);
        match i.functions.get(func) {
            None => errors.push(format!("{iface}: function `{func}` missing")),
            Some(f) => {
                if f.params.len() != params || result_count(f) != results {
                    errors.push(format!(
                        "{iface}: `{func}` expected {params} params / {results} results, got {} / {}",
                        f.params.len(),
                        result_count(f)
                    ));
                }
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn resources_and_key_types_exist() {
    let (resolve, _pkg, _world) = load();
    let expect: &[(&str, &[&str])] = &[
        ("wasi:io/error@0.2.0", &["error"]),
        ("wasi:io/poll@0.2.0", &["pollable"]),
        (
            "wasi:io/streams@0.2.0",
            &["input-stream", "output-stream", "stream-error"],
        ),
        (
            "wasi:clocks/monotonic-clock@0.2.0",
            &["instant", "duration"],
        ),
        ("wasi:clocks/wall-clock@0.2.0", &["datetime"]),
        (
            "wasi:filesystem/types@0.2.0",
            &[
                "descriptor",
                "directory-entry-stream",
                "descriptor-type",
                "descriptor-flags",
                "descriptor-stat",
                "error-code",
                "new-timestamp",
                "open-flags",
                "path-flags",
            ],
        ),
        (
            "wasi:sockets/network@0.2.0",
            &["network", "error-code", "ip-socket-address"],
        ),
        ("wasi:sockets/tcp@0.2.0", &["tcp-socket", "shutdown-type"]),
        (
            "wasi:sockets/udp@0.2.0",
            &[
                "udp-socket",
                "incoming-datagram-stream",
                "outgoing-datagram-stream",
            ],
        ),
        (
            "wasi:sockets/ip-name-lookup@0.2.0",
            &["resolve-address-stream"],
        ),
        ("wasi:cli/terminal-input@0.2.0", &["terminal-input"]),
        ("wasi:cli/terminal-output@0.2.0", &["terminal-output"]),
    ];
    let mut errors = Vec::new();
    for (iface, types) in expect {
        let i = find_interface(&resolve, iface);
        for t in *types {
            if !i.types.contains_key(*t) {
                errors.push(format!("{iface}: type `{t}` missing"));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
