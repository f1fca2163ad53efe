//! Threads need the process's memory to outlive any one instance: every thread is a fresh
//! instance of the module on the *same* memory, which it can only get through an import.
//! A module that defines (and exports) its shared memory instead is rewritten, before it
//! is compiled, to import that memory as `env.memory` with the very limits it declared; the
//! host then creates it from those limits, exactly as for a wasix-libc module. Memory index
//! 0 stays memory 0 (imported memories come first), so code, data and the `memory` export
//! mean what they did.
//!
//! Only the one case is rewritten: no imported memory and exactly one defined memory, which
//! is shared. Anything this reader does not understand leaves the module as it was (the
//! engine's validator then has the last word on it).
//!
//! As in every wasi-threads host, active data segments are applied by each instance: a
//! threaded module initialises its memory through passive segments (wasm-ld emits them
//! for shared memories), so this changes nothing for real toolchains' output.

const IMPORT: u8 = 2;
const MEMORY: u8 = 5;

/// The module with its defined shared memory turned into an `env.memory` import, or `None`
/// when nothing needs to change (or the module is not one this reader can rewrite).
pub fn import_defined_shared_memory(wasm: &[u8]) -> Option<Vec<u8>> {
    let body = wasm.strip_prefix(b"\0asm\x01\0\0\0")?;
    let mut sections = Vec::new();
    let mut r = Reader(body);
    while !r.0.is_empty() {
        let id = r.byte()?;
        let len = r.u32()? as usize;
        sections.push((id, r.take(len)?));
    }
    let mut imports_at = None;
    let mut memory_at = None;
    for (i, (id, data)) in sections.iter().enumerate() {
        match *id {
            IMPORT => {
                if imports_memory(data)? {
                    return None;
                }
                imports_at = Some(i);
            }
            MEMORY => memory_at = Some(i),
            _ => {}
        }
    }
    let limits = one_shared_memory(sections[memory_at?].1)?;
    // The new import entry: "env" "memory" (memory <limits>).
    let mut entry = Vec::new();
    for name in [&b"env"[..], b"memory"] {
        leb(&mut entry, name.len() as u64);
        entry.extend_from_slice(name);
    }
    entry.push(0x02);
    entry.extend_from_slice(limits);
    let import_section = match imports_at {
        Some(i) => {
            let mut r = Reader(sections[i].1);
            let n = r.u32()?;
            let mut s = Vec::new();
            leb(&mut s, u64::from(n) + 1);
            s.extend_from_slice(r.0);
            s.extend_from_slice(&entry);
            s
        }
        None => {
            let mut s = vec![1];
            s.extend_from_slice(&entry);
            s
        }
    };
    let mut out = wasm[..8].to_vec();
    let mut placed = false;
    let push = |out: &mut Vec<u8>, id: u8, data: &[u8]| {
        out.push(id);
        leb(out, data.len() as u64);
        out.extend_from_slice(data);
    };
    for (i, (id, data)) in sections.iter().enumerate() {
        if Some(i) == memory_at {
            continue;
        }
        if Some(i) == imports_at {
            push(&mut out, IMPORT, &import_section);
            placed = true;
            continue;
        }
        // A new import section goes after the type section, before any later section.
        if !placed && imports_at.is_none() && *id != 0 && *id != 1 {
            push(&mut out, IMPORT, &import_section);
            placed = true;
        }
        push(&mut out, *id, data);
    }
    placed.then_some(out)
}

/// Whether an import section imports a memory (`None`: an entry we cannot read).
fn imports_memory(section: &[u8]) -> Option<bool> {
    let mut r = Reader(section);
    for _ in 0..r.u32()? {
        for _ in 0..2 {
            let n = r.u32()? as usize;
            r.take(n)?;
        }
        match r.byte()? {
            0x00 => drop(r.u32()?),
            0x01 => {
                ref_type(&mut r)?;
                limits(&mut r)?;
            }
            0x02 => return Some(true),
            0x03 => {
                val_type(&mut r)?;
                r.byte()?;
            }
            0x04 => {
                r.byte()?;
                r.u32()?;
            }
            _ => return None,
        }
    }
    r.0.is_empty().then_some(false)
}

/// The raw limits of the memory section's only memory, when there is one and it is shared.
fn one_shared_memory(section: &[u8]) -> Option<&[u8]> {
    let mut r = Reader(section);
    if r.u32()? != 1 {
        return None;
    }
    let start = r.0;
    let flags = limits(&mut r)?;
    let raw = &start[..start.len() - r.0.len()];
    (r.0.is_empty() && flags & 0x02 != 0).then_some(raw)
}

/// Reads limits; returns their flags. Flags beyond max/shared/64-bit are not ours to read.
fn limits(r: &mut Reader) -> Option<u8> {
    let flags = r.byte()?;
    if flags & !0x07 != 0 {
        return None;
    }
    r.u64()?;
    if flags & 0x01 != 0 {
        r.u64()?;
    }
    Some(flags)
}

fn ref_type(r: &mut Reader) -> Option<()> {
    match r.byte()? {
        0x6f | 0x70 => Some(()),
        _ => None,
    }
}

fn val_type(r: &mut Reader) -> Option<()> {
    match r.byte()? {
        0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x6f | 0x70 => Some(()),
        _ => None,
    }
}

fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u64(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return None;
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn u32(&mut self) -> Option<u32> {
        self.u64()?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasm(text: &str) -> Vec<u8> {
        wat::parse_str(text).unwrap()
    }

    /// The memory imports of a module, as wasmer reads them after the rewrite.
    fn memory_imports(bytes: &[u8]) -> Vec<(String, String, wasmer::MemoryType)> {
        let m = wasmer::Module::new(&wasmer::Engine::default(), bytes).unwrap();
        m.imports()
            .filter_map(|i| {
                let wasmer::ExternType::Memory(t) = i.ty() else {
                    return None;
                };
                Some((i.module().to_string(), i.name().to_string(), *t))
            })
            .collect()
    }

    #[test]
    fn a_defined_shared_memory_becomes_env_memory_with_its_limits() {
        let src = r#"(module
            (type (func))
            (import "wasi" "thread-spawn" (func (param i32) (result i32)))
            (memory (export "memory") 2 300 shared)
            (func (export "_start"))
            (data (i32.const 8) "hi"))"#;
        let out = import_defined_shared_memory(&wasm(src)).expect("rewritten");
        let mems = memory_imports(&out);
        assert_eq!(mems.len(), 1);
        let (m, n, t) = &mems[0];
        assert_eq!((m.as_str(), n.as_str()), ("env", "memory"));
        assert_eq!(
            (t.minimum.0, t.maximum.map(|p| p.0), t.shared),
            (2, Some(300), true)
        );
    }

    #[test]
    fn a_module_without_imports_gets_an_import_section_in_place() {
        let src = r#"(module (type (func)) (memory (export "memory") 1 1 shared)
            (func (export "_start") (drop (i32.load (i32.const 0)))))"#;
        let out = import_defined_shared_memory(&wasm(src)).expect("rewritten");
        assert_eq!(memory_imports(&out).len(), 1);
    }

    #[test]
    fn a_wasm64_shared_memory_keeps_its_index_type() {
        let src = r#"(module (memory (export "memory") i64 1 10 shared))"#;
        let out = import_defined_shared_memory(&wasm(src)).expect("rewritten");
        // The import entry carries the declared limits unchanged: 64-bit|shared|max, 1, 10.
        let entry = b"\x03env\x06memory\x02\x07\x01\x0a";
        assert!(out.windows(entry.len()).any(|w| w == entry));
        let section = [MEMORY, 0x04, 0x01, 0x07, 0x01, 0x0a];
        assert!(!out.windows(6).any(|w| w == section), "memory section gone");
    }

    #[test]
    fn other_modules_are_left_alone() {
        for src in [
            r#"(module (memory (export "memory") 1))"#,
            r#"(module (import "env" "memory" (memory 1 10 shared)))"#,
            r#"(module (func (export "_start")))"#,
        ] {
            assert_eq!(import_defined_shared_memory(&wasm(src)), None, "{src}");
        }
        assert_eq!(
            import_defined_shared_memory(b"\0asm\x01\0\0\0\x05\xff"),
            None
        );
        assert_eq!(import_defined_shared_memory(b"not wasm"), None);
    }
}
