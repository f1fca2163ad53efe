//! Loading a side module: finding it on the guest's file system, what it needs first, its
//! place in memory and table, instantiating it in the loading store with its relocations
//! and constructors (`dlopen`'s work), and the errors `dlerror()` shows.

use super::imports::{fill_got, provide};
use super::linker::Side;
use super::resolve::{resolve, Scope};
use super::store::{align_up, apply_slots, call_init, lock, Link};
use crate::witx::errno::Errno;
use crate::witx::WasiCtx;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wasmer::{AsStoreMut, AsStoreRef, ExternType, Imports, Instance, Module, Pages};

/// A failed `dlopen`/`dlsym`: the errno and the `dlerror()` text.
#[derive(Debug)]
pub struct DlError {
    pub errno: Errno,
    pub message: String,
}

pub(super) fn dl_err(errno: Errno, message: impl Into<String>) -> DlError {
    DlError {
        errno,
        message: message.into(),
    }
}

/// dlopen flags (the witx `dl_flags`).
pub const RTLD_LAZY: u32 = 1;
pub const RTLD_NOW: u32 = 2;
pub const RTLD_GLOBAL: u32 = 4;
pub const RTLD_NOLOAD: u32 = 8;
pub const RTLD_NODELETE: u32 = 16;
pub const RTLD_DEEPBIND: u32 = 32;
pub const RTLD_ALL: u32 = 63;

/// Where bare side-module names are looked for after `LD_LIBRARY_PATH`.
pub(super) const SYSTEM_DIRS: &[&str] = &["/lib", "/usr/lib", "/usr/local/lib"];
/// How deep needed-library chains may go.
pub(super) const MAX_DEPTH: u32 = 32;

/// Instantiates `side` in this store; `fresh` (the loading store) also runs its data
/// relocations and constructors, and with `now` refuses it when an import is undefined.
pub(super) fn instantiate(
    store: &mut impl AsStoreMut,
    link: &Link,
    side: &Arc<Side>,
    fresh: bool,
    now: bool,
) -> Result<(), DlError> {
    let fail = |m: String| dl_err(Errno::NOEXEC, format!("{}: {m}", side.path));
    apply_slots(store, link)?;
    let mut imports = Imports::new();
    let mut pending = Vec::new();
    for imp in side.module.imports() {
        let e = provide(
            store,
            link,
            Scope::Loading(side.handle),
            &side.info,
            (imp.module(), imp.name(), imp.ty()),
            side.memory_base,
            side.table_base,
            &mut pending,
        )
        .map_err(fail)?;
        imports.define(imp.module(), imp.name(), e);
    }
    let instance = Instance::new(store, &side.module, &imports).map_err(|e| fail(e.to_string()))?;
    lock(link).sides.insert(side.handle, instance.clone());
    fill_got(store, link, &pending, Scope::Loading(side.handle))?;
    if fresh && now {
        // RTLD_NOW: every function it imports must be defined somewhere by now.
        for imp in side.module.imports() {
            let (m, n) = (imp.module(), imp.name());
            let weak = side
                .info
                .weak_imports
                .contains(&(m.to_string(), n.to_string()));
            if m == "env"
                && matches!(imp.ty(), ExternType::Function(_))
                && !weak
                && resolve(store, link, n, Scope::Loading(side.handle)).is_none()
            {
                return Err(fail(format!("undefined symbol: {n}")));
            }
        }
    }
    if fresh {
        call_init(store, &instance, "__wasm_apply_data_relocs").map_err(fail)?;
        call_init(store, &instance, "__wasm_call_ctors").map_err(fail)?;
    }
    Ok(())
}

/// Finds `name` as the dynamic loader does: a name with a `/` is a path (relative to the
/// cwd); a bare name is looked for in `lib_path` then the system directories.
pub(super) fn locate(
    ctx: &WasiCtx,
    name: &str,
    lib_path: &[String],
) -> Result<(String, Option<Vec<u8>>), DlError> {
    let linker = ctx.dl.get();
    let candidates: Vec<String> = if name.contains('/') {
        vec![ctx.absolute(name)]
    } else {
        lib_path
            .iter()
            .map(String::as_str)
            .chain(SYSTEM_DIRS.iter().copied())
            .filter(|d| !d.is_empty())
            .map(|d| ctx.absolute(&format!("{d}/{name}")))
            .collect()
    };
    let mut last = Errno::NOENT;
    for abs in candidates {
        if linker.and_then(|l| l.find_loaded(&abs)).is_some() {
            return Ok((abs, None));
        }
        match ctx.read_program(&abs) {
            Ok(crate::core::exec::Program::Wasm(b)) => return Ok((abs, Some(b))),
            Ok(_) => {
                return Err(dl_err(
                    Errno::NOEXEC,
                    format!("{abs}: not a WebAssembly module"),
                ))
            }
            Err(e) => {
                let e = Errno::from(e);
                if e != Errno::NOENT && e != Errno::NOTDIR {
                    last = e;
                }
            }
        }
    }
    Err(dl_err(
        last,
        format!("{name}: cannot open shared object file: {}", describe(last)),
    ))
}

/// strerror's words for the errnos a lookup ends with.
pub(super) fn describe(e: Errno) -> &'static str {
    match e {
        Errno::NOENT => "No such file or directory",
        Errno::ACCES => "Permission denied",
        Errno::NOTDIR => "Not a directory",
        Errno::ISDIR => "Is a directory",
        Errno::NOMEM => "Out of memory",
        _ => crate::witx::errno::name(e),
    }
}

/// Loads side module `name` (and what it needs, first) into the process and this store;
/// returns its handle. An already loaded one is found again (RTLD_GLOBAL promotes it).
pub fn load(
    store: &mut impl AsStoreMut,
    link: &Link,
    ctx: &WasiCtx,
    name: &str,
    flags: u32,
    lib_path: &[String],
    depth: u32,
) -> Result<u32, DlError> {
    if depth > MAX_DEPTH {
        return Err(dl_err(
            Errno::LOOP,
            format!("{name}: needed libraries nest too deep"),
        ));
    }
    let linker = lock(link).linker.clone();
    let (path, bytes) = locate(ctx, name, lib_path)?;
    let Some(bytes) = bytes else {
        let side = linker
            .find_loaded(&path)
            .ok_or_else(|| dl_err(Errno::NOENT, format!("{path}: unloaded")))?;
        if flags & RTLD_GLOBAL != 0 {
            side.global.store(true, Ordering::Release);
        }
        return Ok(side.handle);
    };
    if flags & RTLD_NOLOAD != 0 {
        return Err(dl_err(
            Errno::NOENT,
            format!("{path}: not loaded (RTLD_NOLOAD)"),
        ));
    }
    let engine = store.as_store_ref().engine().clone();
    let module = Module::new(&engine, &bytes)
        .map_err(|e| dl_err(Errno::NOEXEC, format!("{path}: not a valid module: {e}")))?;
    let info = super::section::of_module(&module)
        .map_err(|e| dl_err(Errno::NOEXEC, format!("{path}: {e}")))?
        .ok_or_else(|| {
            dl_err(
                Errno::NOEXEC,
                format!("{path}: not a side module (no dylink.0 section: link it with -shared)"),
            )
        })?;
    let mut deps = Vec::new();
    for n in &info.needed {
        let dep = load(
            store,
            link,
            ctx,
            n,
            flags & RTLD_GLOBAL,
            lib_path,
            depth + 1,
        );
        deps.push(dep.map_err(|e| DlError {
            message: format!("{} (needed by {path})", e.message),
            ..e
        })?);
    }
    // Its data goes in fresh pages at the end of memory (malloc's sbrk grows past them).
    let memory = lock(link).memory.clone();
    let align = 1u64 << info.memory_align;
    let memory_base = if info.memory_size == 0 {
        0
    } else {
        let need = info.memory_size as u64 + align;
        let pages = need.div_ceil(wasmer::WASM_PAGE_SIZE as u64);
        let prev = memory
            .grow(store, Pages(pages as u32))
            .map_err(|e| dl_err(Errno::NOMEM, format!("{path}: no memory for its data: {e}")))?;
        align_up(prev.0 as u64 * wasmer::WASM_PAGE_SIZE as u64, align)
    };
    let side = linker
        .add(
            path.clone(),
            module,
            info,
            memory_base,
            deps,
            flags & RTLD_GLOBAL != 0,
        )
        .ok_or_else(|| dl_err(Errno::NOMEM, format!("{path}: too many side modules")))?;
    // RTLD_LAZY binds at the first call; anything else (RTLD_NOW, needed libraries) now.
    let now = flags & RTLD_LAZY == 0 || flags & RTLD_NOW != 0;
    if let Err(e) = instantiate(store, link, &side, true, now) {
        side.failed.store(true, Ordering::Release);
        lock(link).sides.remove(&side.handle);
        return Err(e);
    }
    side.ready.store(true, Ordering::Release);
    Ok(side.handle)
}
