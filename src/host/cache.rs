//! A compiled-module cache for ordinary `.wasm` / `.wat` files, in a directory we own, so
//! that the second start of a module skips compilation.
//!
//! An entry is named after a BLAKE3 hash (collision-resistant, and the same on every
//! toolchain: a second module must never find the first one's machine code) of the module
//! bytes and of everything that changes the machine code (wasmer version, compiler, target,
//! this crate's version); its last 32 bytes are a BLAKE3 checksum of the rest. An entry that is unreadable, fails its checksum
//! or that wasmer refuses is ignored and rebuilt. Trust: entries are native code and are
//! loaded as such; only a user who can already write our cache directory (and so run code
//! as us) could plant one, and a foreign or damaged file fails the checksum or wasmer's own
//! header and version checks.

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

/// The checksum that ends an entry.
const SUM: usize = 32;

/// The entry file for `bytes` in `dir`.
pub fn entry_path(dir: &Path, bytes: &[u8]) -> PathBuf {
    flavoured_path(dir, FLAVOUR, "wasmu", bytes)
}

/// The entry file for `bytes` compiled by the engine `flavour` names (every engine gets
/// its own names in the one directory).
pub(crate) fn flavoured_path(dir: &Path, flavour: &str, ext: &str, bytes: &[u8]) -> PathBuf {
    let target = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
    let mut h = blake3::Hasher::new();
    // Each part length-prefixed, so no two different lists of parts hash alike.
    for p in [flavour.as_bytes(), target.as_bytes(), bytes] {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    dir.join(format!("{}.{ext}", h.finalize().to_hex()))
}

/// The cached module for `bytes`, if a sound entry exists.
fn lookup(engine: &Engine, path: &Path) -> Option<Module> {
    let data = read_checked(path)?;
    // SAFETY: the entry was written by `store` below into our own cache directory and
    // passed its checksum; wasmer checks its header, version and target again.
    unsafe { Module::deserialize(engine, data) }.ok()
}

/// An entry's contents without its checksum, when the checksum matches.
pub(crate) fn read_checked(path: &Path) -> Option<Vec<u8>> {
    let mut data = std::fs::read(path).ok()?;
    let split = data.len().checked_sub(SUM)?;
    let sum: [u8; SUM] = data[split..].try_into().ok()?;
    data.truncate(split);
    // blake3's Hash compares in constant time; speed matters more here than secrecy.
    (blake3::hash(&data) == blake3::Hash::from_bytes(sum)).then_some(data)
}

/// Writes the entry atomically (temporary file, then rename); failures only cost speed.
fn store(module: &Module, path: &Path) {
    if let Ok(bytes) = module.serialize() {
        write_checked(path, bytes.to_vec());
    }
}

/// Writes `data` and its checksum to `path` atomically; failures only cost speed.
pub(crate) fn write_checked(path: &Path, mut data: Vec<u8>) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let sum = blake3::hash(&data);
    data.extend_from_slice(sum.as_bytes());
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
