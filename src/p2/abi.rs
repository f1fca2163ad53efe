//! Canonical-ABI helpers for the host functions: the per-lowering environment, guest
//! memory views, results through the return pointer, and lists returned through the
//! guest's `realloc`. Every bad pointer or handle becomes a trap with a message.

use super::resources::{Handles, Kind, Resource, Trap};
use crate::core::io::StreamError;
use crate::core::process::Process;
use crate::guest::{GuestMem, MemError};
use crate::witx::record::ImportRecorder;
use std::sync::{Arc, Mutex, MutexGuard};
use wasmer::{
    FromToNativeWasmType, Function, FunctionEnv, FunctionEnvMut, Memory, RuntimeError, Store,
    TypedFunction, WasmTypeList,
};

/// One component instance's state, shared by all of its host functions.
pub struct State {
    pub process: Arc<Process>,
    pub handles: Mutex<Handles>,
}

/// The environment of one lowered import: the instance's state plus the canonical
/// options it was lowered with (filled in as the instance's memory and realloc appear).
pub struct Lower {
    pub st: Arc<State>,
    /// `interface#function`, for trap messages.
    pub name: Arc<str>,
    pub memory: Option<Memory>,
    pub realloc: Option<TypedFunction<(i32, i32, i32, i32), i32>>,
    /// (size, alignment) of the results when they come back through a return pointer.
    pub ret_area: Option<(u32, u32)>,
    /// For `[resource-drop]`: the resource's kind.
    pub drop_kind: Option<Kind>,
    /// When the run records its imports: where, and this import's interface (without
    /// version) and function. Set before the host function is made ([`HostFn::make`]).
    pub record: Option<Record>,
}

/// Where a lowered import's calls are noted, and under which (interface, function).
pub type Record = (Arc<ImportRecorder>, Arc<str>, Arc<str>);

/// A host function of the front end, `f(env, core params…) -> HostResult<core results>`.
pub trait HostFn<Params, R> {
    /// `self` as a typed host function; when `env` records, behind a typed wrapper of the
    /// same signature that notes each call. (A typed wrapper, not a dynamic one: the
    /// function is called directly, on the guest's stack, so a trap's guest frames are the
    /// same with the recorder as without it.)
    fn make(self, store: &mut Store, env: &FunctionEnv<Lower>) -> Function;
}

macro_rules! host_fn {
    ($($p:ident),*) => {
        impl<F, R, $($p,)*> HostFn<($($p,)*), R> for F
        where
            F: Fn(Env, $($p),*) -> HostResult<R> + Send + Sync + 'static,
            R: WasmTypeList,
            $($p: FromToNativeWasmType,)*
        {
            #[allow(non_snake_case)]
            fn make(self, store: &mut Store, env: &FunctionEnv<Lower>) -> Function {
                if env.as_ref(store).record.is_none() {
                    return Function::new_typed_with_env(store, env, self);
                }
                let arity = <[&str]>::len(&[$(stringify!($p)),*]);
                Function::new_typed_with_env(
                    store,
                    env,
                    move |mut env: Env, $($p: $p),*| -> HostResult<R> {
                        let r = self(env.as_mut(), $($p),*);
                        if let Some((rec, interface, function)) = &env.data().record {
                            rec.note_component(interface, function, r.as_ref().err(), arity);
                        }
                        r
                    },
                )
            }
        }
    };
}

host_fn!();
host_fn!(P1);
host_fn!(P1, P2);
host_fn!(P1, P2, P3);
host_fn!(P1, P2, P3, P4);
host_fn!(P1, P2, P3, P4, P5);
host_fn!(P1, P2, P3, P4, P5, P6);
host_fn!(P1, P2, P3, P4, P5, P6, P7);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15);
host_fn!(P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15, P16);

pub type Env<'a> = FunctionEnvMut<'a, Lower>;
pub type HostResult<T> = Result<T, RuntimeError>;

pub fn trap(env: &Env, msg: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::new(format!("{}: {msg}", env.data().name))
}

impl Lower {
    pub fn handles(&self) -> MutexGuard<'_, Handles> {
        self.st.handles.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Looks up handle `h` of kind `k` (cloning the object out, so no lock is held while the
/// caller blocks).
pub fn get(env: &Env, h: i32, k: Kind) -> HostResult<Resource> {
    let r = env.data().handles().get(h as u32, k).cloned();
    r.map_err(|Trap(m)| trap(env, m))
}

/// A new own handle.
pub fn push(env: &Env, r: Resource) -> HostResult<i32> {
    let h = env.data().handles().push(r);
    h.map(|h| h as i32).map_err(|Trap(m)| trap(env, m))
}

/// A new own handle derived from `parent` (a stream's pollable).
pub fn push_child(env: &Env, r: Resource, parent: i32) -> HostResult<i32> {
    let h = env.data().handles().push_child(r, parent as u32);
    h.map(|h| h as i32).map_err(|Trap(m)| trap(env, m))
}

/// Runs `f` on a view of the lowering's memory.
pub fn with_mem<R>(
    env: &mut Env,
    f: impl FnOnce(&GuestMem<'_>) -> Result<R, MemError>,
) -> HostResult<R> {
    let (data, store) = env.data_and_store_mut();
    let Some(m) = &data.memory else {
        return Err(RuntimeError::new(format!(
            "{}: lowered without a memory",
            data.name
        )));
    };
    let shared = m.ty(&store).shared;
    let v = m.view(&store);
    // SAFETY: the view covers the instance's memory, which cannot grow or move during
    // this host call (we hold the store); a shared memory is accessed by copying.
    let mem = unsafe { GuestMem::new(v.data_ptr(), v.data_size(), shared) };
    f(&mem).map_err(|e| RuntimeError::new(format!("{}: {e}", data.name)))
}

/// The byte size of the lowering's memory now.
fn mem_size(env: &Env) -> HostResult<u64> {
    match &env.data().memory {
        Some(m) => Ok(m.view(env).data_size()),
        None => Err(trap(env, "lowered without a memory")),
    }
}

/// Checks a `string` or `list<T>` argument (`what`, for the message) the way the
/// canonical ABI lifts one: `ptr` aligned to the element's `align` and all `len`
/// elements of `size` bytes inside memory. Returns (pointer, length in bytes).
pub fn list_arg(
    env: &Env,
    what: &str,
    ptr: i32,
    len: i32,
    size: u32,
    align: u32,
) -> HostResult<(u64, u64)> {
    let (p, n) = (ptr as u32 as u64, len as u32 as u64 * size as u64);
    if !p.is_multiple_of(align as u64) {
        return Err(trap(
            env,
            format!("{what} at {p:#x} is not aligned to {align} bytes"),
        ));
    }
    let mem = mem_size(env)?;
    if p + n > mem {
        return Err(trap(
            env,
            format!(
                "{what} at {p:#x} of {n} bytes runs past the end of guest memory ({mem} bytes)"
            ),
        ));
    }
    Ok((p, n))
}

/// Calls the guest's `realloc(0, 0, align, size)` for a result buffer — for an empty
/// list too, as the canonical ABI does: the preview1 adapter hands out its own buffer
/// through `realloc` and asserts that every result list (even an empty read at EOF)
/// lands in it.
pub fn alloc(env: &mut Env, size: u64, align: u32) -> HostResult<u32> {
    let Ok(size) = i32::try_from(size) else {
        return Err(trap(env, format!("result of {size} bytes is too large")));
    };
    let Some(realloc) = env.data().realloc.clone() else {
        return Err(trap(env, "lowered without a realloc"));
    };
    let p = realloc.call(env, 0, 0, align as i32, size)? as u32;
    if !p.is_multiple_of(align) {
        return Err(trap(
            env,
            format!("realloc returned unaligned pointer {p:#x}"),
        ));
    }
    Ok(p)
}

/// Allocates and fills a `list<u8>`: returns (pointer, length).
pub fn list_u8(env: &mut Env, bytes: &[u8]) -> HostResult<(u32, u32)> {
    let p = alloc(env, bytes.len() as u64, 1)?;
    if !bytes.is_empty() {
        with_mem(env, |m| m.write_bytes(p as u64, bytes))?;
    }
    Ok((p, bytes.len() as u32))
}

/// A `string` result (UTF-8).
pub fn string(env: &mut Env, s: &str) -> HostResult<(u32, u32)> {
    list_u8(env, s.as_bytes())
}

/// Writes `f`'s little-endian fields at the return pointer, which must be aligned for the
/// results and hold all of them (whichever case is written), as the canonical ABI says.
pub fn ret(env: &mut Env, ptr: i32, f: impl FnOnce(&mut RetArea)) -> HostResult<()> {
    if let Some((size, align)) = env.data().ret_area {
        let p = ptr as u32 as u64;
        if !p.is_multiple_of(align as u64) {
            return Err(trap(
                env,
                format!("return pointer {p:#x} is not aligned to {align} bytes"),
            ));
        }
        let mem = mem_size(env)?;
        if p + size as u64 > mem {
            return Err(trap(
                env,
                format!(
                    "return area at {p:#x} of {size} bytes runs past the end of guest \
                     memory ({mem} bytes)"
                ),
            ));
        }
    }
    let mut a = RetArea::default();
    f(&mut a);
    let bytes = &a.bytes[..a.len];
    with_mem(env, |m| m.write_bytes(ptr as u32 as u64, bytes))
}

/// A `result<T, E>` whose error is an enum: the case at 0, then `ok` writes T's fields or
/// the error's byte goes at `err_at`.
pub fn ret_result<T>(
    env: &mut Env,
    ptr: i32,
    err_at: usize,
    r: Result<T, u8>,
    ok: impl FnOnce(&mut RetArea, T),
) -> HostResult<()> {
    ret(env, ptr, |a| match r {
        Ok(v) => {
            a.u8(0, 0);
            ok(a, v)
        }
        Err(code) => {
            a.u8(0, 1);
            a.u8(err_at, code)
        }
    })
}

/// A return area being built (the largest here is `result<descriptor-stat, error-code>`,
/// 104 bytes); bytes between fields are written as zeroes.
pub struct RetArea {
    bytes: [u8; 112],
    len: usize,
}

impl Default for RetArea {
    fn default() -> Self {
        RetArea {
            bytes: [0; 112],
            len: 0,
        }
    }
}

impl RetArea {
    pub fn put(&mut self, at: usize, b: &[u8]) {
        self.bytes[at..at + b.len()].copy_from_slice(b);
        self.len = self.len.max(at + b.len());
    }
    pub fn u8(&mut self, at: usize, v: u8) {
        self.put(at, &[v]);
    }
    pub fn u16(&mut self, at: usize, v: u16) {
        self.put(at, &v.to_le_bytes());
    }
    pub fn u32(&mut self, at: usize, v: u32) {
        self.put(at, &v.to_le_bytes());
    }
    pub fn u64(&mut self, at: usize, v: u64) {
        self.put(at, &v.to_le_bytes());
    }
}

/// A `stream-error` as its case and payload: `closed`, or `last-operation-failed` with
/// a new `error` handle.
pub fn stream_error(env: &Env, e: StreamError) -> HostResult<(u8, u32)> {
    Ok(match e {
        StreamError::LastOperationFailed(code) => (0, push(env, Resource::Error(code))? as u32),
        StreamError::Closed => (1, 0),
    })
}

thread_local! {
    /// The read buffer, kept between reads: a read needs no allocation (nor zeroing) once
    /// the buffer has grown to the sizes the guest asks for. Taken out while in use, so a
    /// read the guest's realloc might make meanwhile just gets a fresh one.
    static READ_BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// This thread's read buffer, at least `len` bytes long; hand it back with [`recycle`].
pub fn scratch(len: usize) -> Vec<u8> {
    let mut buf = READ_BUF.take();
    if buf.len() < len {
        buf.resize(len, 0);
    }
    buf
}

/// Keeps `buf` as this thread's read buffer (see [`scratch`]).
pub fn recycle(buf: Vec<u8>) {
    if buf.capacity() > 0 {
        READ_BUF.set(buf);
    }
}
