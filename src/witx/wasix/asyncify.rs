//! Binaryen's asyncify (`wasm-opt --asyncify`), which fork and setjmp/longjmp need: an
//! import starts an *unwind* (every instrumented frame saves its locals into a buffer in
//! guest memory and returns), the host's entry call returns, and the engine's `on_called`
//! hook then does the work and starts a *rewind* (the entry is invoked again and every
//! frame restores its locals from the buffer, down to the same import call, which then
//! returns its result).
//!
//! The buffer is `{start, end}` (two pointers) at the bottom of the main thread's stack,
//! followed by the saved data: `start` moves up while unwinding and back down while
//! rewinding, `end` is the limit (the current stack pointer: nothing below it is live).
//! The bottom is `__data_end` when the data lies below the stack, else 0 (wasm-ld's
//! stack-first layout, which wasix-libc programs have) — where wasmer-wasix puts it too.
//!
//! Rewinding skips the instrumented code between a function's entry and the call being
//! resumed, `__stack_pointer` updates included, so the host puts back the mutable globals
//! as they were when the import was entered.

use crate::witx::errno::Errno;
use wasmer::{AsStoreMut, AsStoreRef, Exports, Extern, Function, Global, Memory, Type, Value};

/// The asyncify exports of one instance and where its buffer goes.
#[derive(Clone)]
pub struct Asyncify {
    start_unwind: Function,
    stop_unwind: Function,
    start_rewind: Function,
    stop_rewind: Function,
    memory: Memory,
    /// The exported mutable globals (`__stack_pointer`, `__tls_base`): restored on rewind.
    globals: Vec<Global>,
    stack_pointer: Global,
    data_end: Option<u64>,
    wide: bool,
}

/// Values of the exported mutable globals, in [`Asyncify`]'s order, as raw bits (plain
/// numbers cross threads: a fork child's instance sets them).
pub type Globals = Vec<u64>;

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::I32(x) => Some(*x as u32 as u64),
        Value::I64(x) => Some(*x as u64),
        _ => None,
    }
}

impl Asyncify {
    /// The instance's asyncify exports; `None` when it was not transformed (or has no
    /// exported `__stack_pointer` to find its stack by).
    pub fn find(
        store: &mut impl AsStoreMut,
        exports: &Exports,
        memory: &Memory,
    ) -> Option<Asyncify> {
        Self::find_in(store, exports, memory, None)
    }

    /// [`find`](Self::find) for a position-independent module, which imports its stack
    /// pointer: `pie` is that global and the bottom of its stack (the data lies below).
    pub fn find_in(
        store: &mut impl AsStoreMut,
        exports: &Exports,
        memory: &Memory,
        pie: Option<(Global, u64)>,
    ) -> Option<Asyncify> {
        let f = |n: &str| exports.get_function(n).ok().cloned();
        let stack_pointer = match &pie {
            Some((g, _)) => g.clone(),
            None => exports.get_global("__stack_pointer").ok()?.clone(),
        };
        let wide = stack_pointer.ty(&*store).ty == Type::I64;
        let data_end = match &pie {
            Some((_, low)) => Some(*low),
            None => exports
                .get_global("__data_end")
                .ok()
                .and_then(|g| as_u64(&g.get(store))),
        };
        let mut globals: Vec<Global> = exports
            .iter()
            .filter_map(|(_, e)| match e {
                Extern::Global(g) if g.ty(&*store).mutability.is_mutable() => Some(g.clone()),
                _ => None,
            })
            .collect();
        // The imported stack pointer is restored with the exported globals (last).
        if pie.is_some() {
            globals.push(stack_pointer.clone());
        }
        Some(Asyncify {
            start_unwind: f("asyncify_start_unwind")?,
            stop_unwind: f("asyncify_stop_unwind")?,
            start_rewind: f("asyncify_start_rewind")?,
            stop_rewind: f("asyncify_stop_rewind")?,
            memory: memory.clone(),
            globals,
            stack_pointer,
            data_end,
            wide,
        })
    }

    fn ptr(&self, v: u64) -> Value {
        match self.wide {
            true => Value::I64(v as i64),
            false => Value::I32(v as u32 as i32),
        }
    }

    fn header_size(&self) -> u64 {
        if self.wide {
            16
        } else {
            8
        }
    }

    pub fn stack_pointer(&self, store: &mut impl AsStoreMut) -> u64 {
        as_u64(&self.stack_pointer.get(store)).unwrap_or(0)
    }

    /// Where the buffer's header goes for a stack whose pointer is `sp`.
    fn lower(&self, sp: u64) -> u64 {
        match self.data_end {
            Some(d) if d < sp => (d + 15) & !15,
            _ => 0,
        }
    }

    /// Where the buffer goes: at `base` when given, else below the main thread's stack.
    fn lower_at(&self, base: Option<u64>, sp: u64) -> u64 {
        match base {
            Some(b) => (b + 15) & !15,
            None => self.lower(sp),
        }
    }

    /// Sets `__stack_pointer` (a WASIX context starting on its own stack).
    pub fn set_stack_pointer(&self, store: &mut impl AsStoreMut, sp: u64) {
        let _ = self.stack_pointer.set(store, self.ptr(sp));
    }

    pub fn globals(&self, store: &mut impl AsStoreMut) -> Globals {
        self.globals
            .iter()
            .map(|g| match g.get(store) {
                Value::I32(x) => x as u32 as u64,
                Value::I64(x) => x as u64,
                Value::F32(x) => x.to_bits() as u64,
                Value::F64(x) => x.to_bits(),
                _ => 0,
            })
            .collect()
    }

    pub fn set_globals(&self, store: &mut impl AsStoreMut, values: &Globals) {
        for (g, v) in self.globals.iter().zip(values) {
            let val = match g.ty(&*store).ty {
                Type::I32 => Value::I32(*v as u32 as i32),
                Type::I64 => Value::I64(*v as i64),
                Type::F32 => Value::F32(f32::from_bits(*v as u32)),
                Type::F64 => Value::F64(f64::from_bits(*v)),
                _ => continue,
            };
            let _ = g.set(store, val);
        }
    }

    fn write_header(&self, store: &impl AsStoreRef, at: u64, start: u64, end: u64) -> bool {
        let view = self.memory.view(store);
        let mut b = Vec::with_capacity(16);
        if self.wide {
            b.extend_from_slice(&start.to_le_bytes());
            b.extend_from_slice(&end.to_le_bytes());
        } else {
            b.extend_from_slice(&(start as u32).to_le_bytes());
            b.extend_from_slice(&(end as u32).to_le_bytes());
        }
        view.write(at, &b).is_ok()
    }

    fn read_header_start(&self, store: &impl AsStoreRef, at: u64) -> Option<u64> {
        let view = self.memory.view(store);
        if self.wide {
            let mut b = [0u8; 8];
            view.read(at, &mut b).ok()?;
            Some(u64::from_le_bytes(b))
        } else {
            let mut b = [0u8; 4];
            view.read(at, &mut b).ok()?;
            Some(u32::from_le_bytes(b) as u64)
        }
    }

    /// Starts unwinding the calling thread's stack (call from an import, which must then
    /// return at once). Returns the stack pointer the buffer ends at.
    pub fn begin_unwind(&self, store: &mut impl AsStoreMut) -> Result<Unwound, Errno> {
        self.begin_unwind_at(store, None)
    }

    /// [`Self::begin_unwind`] with the buffer at `base` (16-aligned up) instead of the
    /// bottom of the main thread's stack: a WASIX context's stack keeps its own buffer
    /// below its stack pointer (see [`super::context`]).
    pub fn begin_unwind_at(
        &self,
        store: &mut impl AsStoreMut,
        base: Option<u64>,
    ) -> Result<Unwound, Errno> {
        let sp = self.stack_pointer(store);
        let lower = self.lower_at(base, sp);
        let data = lower + self.header_size();
        if sp <= data || !self.write_header(store, lower, data, sp) {
            return Err(Errno::NOMEM);
        }
        self.start_unwind
            .call(store, &[self.ptr(lower)])
            .map_err(|_| Errno::NOTSUP)?;
        Ok(Unwound { lower, sp })
    }

    /// After the unwound entry returned: ends the unwind and returns the saved bytes.
    pub fn end_unwind(&self, store: &mut impl AsStoreMut, u: &Unwound) -> Result<Vec<u8>, String> {
        self.stop_unwind
            .call(store, &[])
            .map_err(|e| format!("asyncify_stop_unwind: {e}"))?;
        let data = u.lower + self.header_size();
        let end = self
            .read_header_start(store, u.lower)
            .filter(|e| *e >= data && *e <= u.sp)
            .ok_or("asyncify buffer out of bounds")?;
        let mut saved = vec![0u8; (end - data) as usize];
        self.memory
            .view(store)
            .read(data, &mut saved)
            .map_err(|e| e.to_string())?;
        Ok(saved)
    }

    /// Puts `saved` back as the buffer of a stack whose pointer was `sp` and starts the
    /// rewind (the caller then has the entry invoked again).
    pub fn begin_rewind(
        &self,
        store: &mut impl AsStoreMut,
        sp: u64,
        saved: &[u8],
    ) -> Result<(), String> {
        self.begin_rewind_at(store, None, sp, saved)
    }

    /// [`Self::begin_rewind`] with the buffer at `base` (as [`Self::begin_unwind_at`]).
    pub fn begin_rewind_at(
        &self,
        store: &mut impl AsStoreMut,
        base: Option<u64>,
        sp: u64,
        saved: &[u8],
    ) -> Result<(), String> {
        let lower = self.lower_at(base, sp);
        let data = lower + self.header_size();
        let end = data + saved.len() as u64;
        if end > sp {
            return Err("asyncify buffer does not fit below the stack".into());
        }
        self.memory
            .view(store)
            .write(data, saved)
            .map_err(|e| e.to_string())?;
        if !self.write_header(store, lower, end, sp) {
            return Err("asyncify header out of bounds".into());
        }
        self.start_rewind
            .call(store, &[self.ptr(lower)])
            .map(drop)
            .map_err(|e| format!("asyncify_start_rewind: {e}"))
    }

    /// The rewind reached the import: normal execution resumes from here.
    pub fn end_rewind(&self, store: &mut impl AsStoreMut) -> Result<(), wasmer::RuntimeError> {
        self.stop_rewind.call(store, &[]).map(drop)
    }
}

/// Where an unwind's buffer is.
#[derive(Clone, Copy, Debug)]
pub struct Unwound {
    lower: u64,
    pub sp: u64,
}
