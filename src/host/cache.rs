//! A compiled-module cache for ordinary `.wasm` / `.wat` files, in a directory we own, so
//! that the second start of a module skips compilation.
//!
//! An entry is named after a 128-bit hash of the module bytes and of everything that
//! changes the machine code (wasmer version, compiler, target, this crate's version); its
//! last 8 bytes are a checksum of the rest. An entry that is unreadable, fails its checksum
//! or that wasmer refuses is ignored and rebuilt. Trust: entries are native code and are
//! loaded as such; only a user who can already write our cache directory (and so run code
//! as us) could plant one, and a foreign or damaged file fails the checksum or wasmer's own
//! header and version checks.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmer::{Engine, Module};

/// What goes into an entry's name besides the module bytes.
const FLAVOUR: &str = concat!(
    "wasmer 7.4.2 cranelift; wasix-compat ",
    env!("CARGO_PKG_VERSION")
);

/// `$WASIX_COMPAT_CACHE_DIR`, else `$XDG_CACHE_HOME/wasix-compat/modules`, else
/// `~/.cache/wasix-compat/modules`; `None` when none can be named.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WASIX_COMPAT_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("wasix-compat").join("modules"))
}

fn hash64(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    seed.hash(&mut h);
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

/// The entry file for `bytes` in `dir`.
pub fn entry_path(dir: &Path, bytes: &[u8]) -> PathBuf {
    let target = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
    let parts: [&[u8]; 3] = [bytes, FLAVOUR.as_bytes(), target.as_bytes()];
    dir.join(format!(
        "{:016x}{:016x}.wasmu",
        hash64(1, &parts),
        hash64(2, &parts)
    ))
}

/// The cached module for `bytes`, if a sound entry exists.
fn lookup(engine: &Engine, path: &Path) -> Option<Module> {
    let mut data = std::fs::read(path).ok()?;
    let split = data.len().checked_sub(8)?;
    let sum = u64::from_le_bytes(data[split..].try_into().ok()?);
    data.truncate(split);
    if hash64(3, &[&data]) != sum {
        return None;
    }
    // SAFETY: the entry was written by `store` below into our own cache directory and
    // passed its checksum; wasmer checks its header, version and target again.
    unsafe { Module::deserialize(engine, data) }.ok()
}

/// Writes the entry atomically (temporary file, then rename); failures only cost speed.
fn store(module: &Module, path: &Path) {
    let Ok(bytes) = module.serialize() else {
        return;
    };
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut data = bytes.to_vec();
    let sum = hash64(3, &[&data]);
    data.extend_from_slice(&sum.to_le_bytes());
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    if std::fs::write(&tmp, &data).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Compiles `bytes`, going through the cache in `dir`.
pub fn compile(engine: &Engine, bytes: &[u8], dir: &Path) -> Result<Module, wasmer::CompileError> {
    let path = entry_path(dir, bytes);
    if let Some(m) = lookup(engine, &path) {
        return Ok(m);
    }
    let m = Module::new(engine, bytes)?;
    store(&m, &path);
    Ok(m)
}
