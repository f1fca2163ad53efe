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
    "wasmer 7.4.2 cranelift; debug sections dropped; wasix-compat ",
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
    // SAFETY: the entry was written by `store` below into our own cache directory by this
    // wasmer version (its name covers the version, compiler and target) and passed its
    // checksum, so it is byte for byte what `serialize` produced: re-validating the archive
    // (most of a cached start of a large module) adds nothing. wasmer still checks the
    // header and version.
    unsafe { Module::deserialize_unchecked(engine, data) }.ok()
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
    let m = Module::new(engine, &*without_debug_sections(bytes))?;
    store(&m, &path);
    Ok(m)
}

/// Compiles `bytes` through the cache in `dir`, or directly without one.
pub fn compile_with(
    engine: &Engine,
    bytes: &[u8],
    dir: Option<&Path>,
) -> Result<Module, wasmer::CompileError> {
    match dir {
        Some(dir) => compile(engine, bytes, dir),
        None => Module::new(engine, &*without_debug_sections(bytes)),
    }
}

/// `wasm` without its DWARF custom sections (`.debug_*`). wasmer keeps every custom
/// section in the compiled module and copies it on each load from the cache, and nothing
/// here reads DWARF: a `rustc -O` program carries ~2 MB of it (std's), which made loading
/// such a module from the cache several times slower. The `name` section stays (trap
/// messages name functions). Anything that is not a well-formed binary module is returned
/// as is, for the compiler to report.
pub fn without_debug_sections(wasm: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    if !wasm.starts_with(b"\0asm\x01\0\0\0") {
        return Cow::Borrowed(wasm);
    }
    let mut keep: Vec<std::ops::Range<usize>> = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let Some((size, body)) = leb_u32(wasm, at + 1) else {
            return Cow::Borrowed(wasm);
        };
        let Some(end) = body.checked_add(size as usize).filter(|e| *e <= wasm.len()) else {
            return Cow::Borrowed(wasm);
        };
        let debug = id == 0
            && leb_u32(wasm, body).is_some_and(|(n, name)| {
                wasm.get(name..name + n as usize)
                    .is_some_and(|s| s.starts_with(b".debug_"))
            });
        if !debug {
            match keep.last_mut() {
                Some(r) if r.end == at => r.end = end,
                _ => keep.push(at..end),
            }
        }
        at = end;
    }
    if keep.len() == 1 && keep[0] == (8..wasm.len()) {
        return Cow::Borrowed(wasm);
    }
    let mut out = wasm[..8].to_vec();
    for r in keep {
        out.extend_from_slice(&wasm[r]);
    }
    Cow::Owned(out)
}

/// An unsigned LEB128 u32 at `at`: (value, offset after it).
fn leb_u32(b: &[u8], mut at: usize) -> Option<(u32, usize)> {
    let mut v: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *b.get(at)?;
        at += 1;
        v |= ((byte & 0x7f) as u32).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((v, at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::without_debug_sections;

    /// A custom section: id 0, size, name, payload.
    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        let mut s = vec![0, body.len() as u8];
        s.extend(body);
        s
    }

    #[test]
    fn drops_only_debug_sections() {
        let header = b"\0asm\x01\0\0\0".to_vec();
        let types = vec![1u8, 4, 1, 0x60, 0, 0]; // one type: () -> ()
        let name = custom("name", &[1, 2, 3]);
        let wasm = [
            header.clone(),
            custom(".debug_info", &[9; 40]),
            types.clone(),
            custom(".debug_line", &[8; 10]),
            name.clone(),
        ]
        .concat();
        let want = [header, types, name].concat();
        assert_eq!(&*without_debug_sections(&wasm), &want[..]);
        assert!(wasmer::Module::new(&wasmer::Engine::default(), &want).is_ok());
    }

    #[test]
    fn leaves_malformed_or_debugless_input_alone() {
        let truncated = [b"\0asm\x01\0\0\0".as_slice(), &[0, 50, 3]].concat();
        assert_eq!(&*without_debug_sections(&truncated), &truncated[..]);
        assert_eq!(&*without_debug_sections(b"(module)"), b"(module)");
        let plain = [b"\0asm\x01\0\0\0".as_slice(), &[1, 4, 1, 0x60, 0, 0]].concat();
        assert!(matches!(
            without_debug_sections(&plain),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
