//! WASIX closures: `closure_allocate`, `closure_prepare`, `closure_free` — a function
//! pointer of any signature whose calls land in one generic guest function (libffi's
//! closures, language runtimes' callbacks).
//!
//! A closure is a slot of the instance's indirect function table ([`super::table`]).
//! `closure_prepare(backing, closure, arg_types, result_types, user_data)` puts there a
//! function of the requested signature (types as `wasm_value_type` codes, see
//! [`super::call_dynamic`]) that, on each call:
//! 1. takes space for the argument and result buffers from the guest's shadow stack (the
//!    exported `__stack_pointer`, each buffer rounded up to 16 bytes so the stack stays
//!    16-aligned: results just below the old stack pointer, arguments below them),
//! 2. stores its arguments there in the value-buffer layout of `call_dynamic` (packed,
//!    little-endian, 4/8/4/8/16 bytes for i32/i64/f32/f64/v128),
//! 3. calls `backing(values*, results*, user_data)` through the table
//!    (`call_indirect`: `(i32, i32, i32) -> ()` under `wasix_32v1`, `(i64, i64, i64) -> ()`
//!    under `wasix_64v1`),
//! 4. loads its results from the result buffer and gives the stack space back.
//!
//! wasmer cannot put a host (dynamic) function in a table, so the function is wasm: a
//! small trampoline module per signature, compiled once per process and instantiated per
//! prepare with the backing index and user data as its globals (wasmer-wasix compiles a
//! new module for every prepare). Its instance lives as long as the store.
//!
//! Errors: no table the host can reach, no memory or no `(mut i32)` `__stack_pointer`
//! export: `notsup`. A type code other than 0..=4, more than 1000 parameters or results
//! (the engine's limits), a closure id that closure_allocate did not hand out (or that was
//! freed), a backing function that is missing or not of the backing type: `inval`. Type
//! arrays outside guest memory: `memviolation`.

use super::call_dynamic::{from_code, value_size};
use super::table;
use crate::guest::MemSize;
use crate::witx::env::{run, with_call, WasiEnv};
use crate::witx::errno::Errno;
use std::collections::HashMap;
use std::sync::Mutex;
use wasmer::{
    AsStoreRef, FunctionEnvMut, FunctionType, Global, GlobalType, Instance, Module, Mutability,
    Type, Value,
};

/// The most parameters (and, separately, results) a wasm function may have in wasmer.
const MAX_VALUES: usize = 1000;

/// Compiled trampoline modules of one process, by their text (signature, memory sharing
/// and pointer width make it).
#[derive(Default)]
pub struct Trampolines(Mutex<HashMap<String, Module>>);

impl Trampolines {
    /// The module for `wat`, compiled on first use (no lock held while compiling).
    fn get(&self, engine: &wasmer::Engine, wat: &str) -> Result<Module, Errno> {
        let cached = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(wat)
            .cloned();
        if let Some(m) = cached {
            return Ok(m);
        }
        let m = Module::new(engine, wat.as_bytes()).map_err(|e| {
            tracing::debug!(target: "wasix_compat::syscall", "closure trampoline: {e}");
            Errno::NOTSUP
        })?;
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Ok(g.entry(wat.to_string()).or_insert(m).clone())
    }
}

impl std::fmt::Debug for Trampolines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trampolines")
    }
}

fn type_name(t: Type) -> &'static str {
    match t {
        Type::I32 => "i32",
        Type::I64 => "i64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        _ => "v128",
    }
}

/// Rounds a buffer size up to the stack alignment (16).
fn aligned(n: u64) -> u64 {
    n.div_ceil(16) * 16
}

/// The trampoline module's text: imports `env.memory`, `env.table`, `env.sp` (the
/// instance's `__stack_pointer`), `env.backing` (i32 table index) and `env.data` (the user
/// data pointer, of the namespace's pointer width); exports `closure`.
fn trampoline_wat(params: &[Type], results: &[Type], shared: bool, wide: bool) -> String {
    use std::fmt::Write;
    let p = if wide { "i64" } else { "i32" };
    let ptr = |local: &str| match wide {
        true => format!("(i64.extend_i32_u (local.get {local}))"),
        false => format!("(local.get {local})"),
    };
    let (vals, res) = (ptr("$vals"), ptr("$res"));
    let memory = if shared {
        "(memory 0 65536 shared)"
    } else {
        "(memory 0)"
    };
    let list = |ts: &[Type]| {
        ts.iter()
            .map(|t| type_name(*t))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let size = |ts: &[Type]| ts.iter().map(|t| value_size(*t).unwrap_or(0)).sum::<u64>();
    let mut w = String::new();
    let _ = write!(
        w,
        "(module\n (type $backing (func (param {p} {p} {p})))\n \
         (import \"env\" \"memory\" {memory})\n \
         (import \"env\" \"table\" (table 0 funcref))\n \
         (import \"env\" \"sp\" (global $sp (mut i32)))\n \
         (import \"env\" \"backing\" (global $fn i32))\n \
         (import \"env\" \"data\" (global $data {p}))\n \
         (func (export \"closure\") (param {}) (result {})\n  \
         (local $orig i32) (local $res i32) (local $vals i32)\n  \
         (local.set $orig (global.get $sp))\n  \
         (local.set $res (i32.sub (local.get $orig) (i32.const {})))\n  \
         (local.set $vals (i32.sub (local.get $res) (i32.const {})))\n  \
         (global.set $sp (local.get $vals))\n",
        list(params),
        list(results),
        aligned(size(results)),
        aligned(size(params)),
    );
    let mut at = 0;
    for (i, t) in params.iter().enumerate() {
        let _ = writeln!(
            w,
            "  ({}.store offset={at} align=1 (local.get $vals) (local.get {i}))",
            type_name(*t)
        );
        at += value_size(*t).unwrap_or(0);
    }
    let _ = writeln!(
        w,
        "  (call_indirect (type $backing) {vals} {res} (global.get $data) (global.get $fn))"
    );
    let mut at = 0;
    for t in results {
        let _ = writeln!(
            w,
            "  ({}.load offset={at} align=1 (local.get $res))",
            type_name(*t)
        );
        at += value_size(*t).unwrap_or(0);
    }
    w.push_str("  (global.set $sp (local.get $orig))))\n");
    w
}

/// `closure_allocate(closure*)`: a table slot for a closure (a freed one first, else the
/// table grows by one), written as a `function_pointer` (4 bytes under `wasix_32v1`, 8
/// under `wasix_64v1`). Until it is prepared the slot is null (calling it traps). No table
/// the host can reach: `notsup`; `closure*` outside memory: `memviolation` (no slot is
/// taken); the table cannot grow: `nomem`.
pub fn closure_allocate<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, out: M::Offset) -> i32 {
    let out = M::to_u64(out);
    let r = (|| {
        if env.data().table.is_none() {
            return Err(Errno::NOTSUP);
        }
        with_call(&mut env, |c| c.mem.check_range(out, M::BYTES as u64))?;
        table::allocate(&mut env)
    })();
    run(&mut env, "closure_allocate", [out], |c| {
        Ok(c.mem.write_off::<M>(out, r? as u64)?)
    })
}

/// `closure_free(closure)`: gives the slot back (it becomes null; the next
/// closure_allocate reuses it). A slot closure_allocate did not hand out, or one already
/// freed: `inval`; no table: `notsup`.
pub fn closure_free<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, closure: M::Offset) -> i32 {
    let id = M::to_u64(closure);
    let r = table::free(&mut env, id);
    run(&mut env, "closure_free", [id], |_| r)
}

/// `closure_prepare(backing, closure, argument_types, argument_types_len, result_types,
/// result_types_len, user_data)`: see the module doc. Preparing a slot again replaces its
/// function (another signature, backing function or user data).
#[allow(clippy::too_many_arguments)]
pub fn closure_prepare<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    backing: M::Offset,
    closure: M::Offset,
    argument_types: M::Offset,
    argument_types_len: M::Offset,
    result_types: M::Offset,
    result_types_len: M::Offset,
    user_data: M::Offset,
) -> i32 {
    let args = [
        M::to_u64(backing),
        M::to_u64(closure),
        M::to_u64(argument_types),
        M::to_u64(argument_types_len),
        M::to_u64(result_types),
        M::to_u64(result_types_len),
        M::to_u64(user_data),
    ];
    let r = prepare::<M>(&mut env, args);
    run(&mut env, "closure_prepare", args, |_| r)
}

fn prepare<M: MemSize>(env: &mut FunctionEnvMut<WasiEnv>, a: [u64; 7]) -> Result<(), Errno> {
    let [backing, id, at, al, rt, rl, user_data] = a;
    let table = env.data().table.clone().ok_or(Errno::NOTSUP)?;
    let (params, results) = with_call(env, |c| -> Result<_, Errno> {
        let decode = |p, n| -> Result<Vec<Type>, Errno> {
            c.mem.check_range(p, n)?;
            let v = c.mem.slice(p, n)?.iter().map(|b| from_code(*b)).collect();
            v
        };
        let params = decode(at, al);
        let results = decode(rt, rl);
        Ok((params?, results?))
    })?;
    if params.len() > MAX_VALUES || results.len() > MAX_VALUES || !table::is_closure(env, id) {
        return Err(Errno::INVAL);
    }
    let p = if M::BYTES == 8 { Type::I64 } else { Type::I32 };
    let backing_ty = FunctionType::new([p, p, p], []);
    table::lookup(env, backing, Some(&backing_ty)).map_err(Errno::from)?;
    // A slot index, checked by lookup.
    let backing = backing as u32;
    let memory = env.data().memory.clone().ok_or(Errno::NOTSUP)?;
    // A PIC module imports its stack pointer from the dynamic linker.
    let sp = match env.data().dl.clone() {
        Some(link) => Some(crate::host::dylink::store::stack_pointer(&link)),
        None => env
            .data()
            .exports
            .as_ref()
            .and_then(|e| e.get_global("__stack_pointer").ok().cloned()),
    }
    .ok_or(Errno::NOTSUP)?;
    if sp.ty(env) != GlobalType::new(Type::I32, Mutability::Var) {
        return Err(Errno::NOTSUP);
    }
    let shared = memory.ty(env).shared;
    let wat = trampoline_wat(&params, &results, shared, M::BYTES == 8);
    let engine = env.as_store_ref().engine().clone();
    let module = env.data().ctx.trampolines.get(&engine, &wat)?;
    let data = match M::BYTES {
        8 => Value::I64(user_data as i64),
        _ => Value::I32(user_data as u32 as i32),
    };
    let backing = Global::new(env, Value::I32(backing as i32));
    let data = Global::new(env, data);
    let imports = wasmer::imports! {
        "env" => {
            "memory" => memory,
            "table" => table,
            "sp" => sp,
            "backing" => backing,
            "data" => data,
        }
    };
    let instance = Instance::new(env, &module, &imports).map_err(|e| {
        tracing::debug!(target: "wasix_compat::syscall", "closure trampoline: {e}");
        Errno::NOTSUP
    })?;
    let f = instance
        .exports
        .get_function("closure")
        .map_err(|_| Errno::NOTSUP)?
        .clone();
    table::set_closure(env, id, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trampolines_are_valid_wasm() {
        let all = [Type::I32, Type::I64, Type::F32, Type::F64, Type::V128];
        for (shared, wide) in [(false, false), (true, false), (true, true)] {
            for (p, r) in [
                (&all[..], &all[..]),
                (&[][..], &[][..]),
                (&all[1..3], &[][..]),
            ] {
                let wat = trampoline_wat(p, r, shared, wide);
                let wasm = wat::parse_str(&wat).unwrap_or_else(|e| panic!("{e}\n{wat}"));
                let mut v =
                    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
                v.validate_all(&wasm)
                    .unwrap_or_else(|e| panic!("{e}\n{wat}"));
            }
        }
    }

    #[test]
    fn buffers_keep_the_stack_aligned() {
        let wat = trampoline_wat(
            &[Type::I32, Type::I64, Type::F64],
            &[Type::I64],
            false,
            false,
        );
        // 20 bytes of arguments and 8 of results, each rounded up to 16.
        assert!(
            wat.contains("(i32.sub (local.get $orig) (i32.const 16))"),
            "{wat}"
        );
        assert!(
            wat.contains("(i32.sub (local.get $res) (i32.const 32))"),
            "{wat}"
        );
        assert!(wat.contains("(f64.store offset=12 align=1"), "{wat}");
    }
}
