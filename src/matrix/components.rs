//! The WASI 0.2 table: every function and resource method of every interface `wit/`'s
//! `wasi:cli/command` world imports, read from `wit/` with wit-parser (feature `matrix`).

use std::path::Path;

/// (interface without version, function) for every function of every interface the
/// `wasi:cli/command` world in `wit` imports, in the world's order.
#[cfg(feature = "matrix")]
pub fn command_world_functions(wit: &Path) -> anyhow::Result<Vec<(String, String)>> {
    use wit_parser::{Resolve, WorldItem};
    let mut resolve = Resolve {
        all_features: true,
        ..Resolve::default()
    };
    let (pkg, _) = resolve
        .push_dir(wit)
        .map_err(|e| anyhow::anyhow!("{} does not parse: {e:#}", wit.display()))?;
    let world = resolve.select_world(pkg, Some("command"))?;
    let mut out = Vec::new();
    for (key, item) in &resolve.worlds[world].imports {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        let versioned = resolve.name_world_key(key);
        let name = versioned.split('@').next().unwrap_or(&versioned);
        for fname in resolve.interfaces[*id].functions.keys() {
            out.push((name.to_string(), fname.clone()));
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "the command world in {} imports no functions",
        wit.display()
    );
    Ok(out)
}

#[cfg(not(feature = "matrix"))]
pub fn command_world_functions(_wit: &Path) -> anyhow::Result<Vec<(String, String)>> {
    anyhow::bail!(
        "this wasix-compat was built without the `matrix` feature (wit-parser, for the WASI 0.2 table)"
    )
}

/// Whether the WASI 0.2 front end serves `function` of `interface` (without version).
pub fn served(interface: &str, function: &str) -> bool {
    crate::p2::link::registered().any(|(i, f, _)| *i == interface && *f == function)
}
