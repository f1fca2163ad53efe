//! WASIX `call_dynamic` and `reflect_signature`: calling and inspecting a function of the
//! instance's indirect function table by index ([`super::table`]).
//!
//! **Value buffers** (call_dynamic's `values` / `results`, a closure's argument and result
//! buffers): the values one after another, little-endian, without padding or alignment —
//! i32 and f32 take 4 bytes, i64 and f64 8, v128 16. `(i32, i64, f64)` is 20 bytes:
//! i32 at 0, i64 at 4, f64 at 12.
//!
//! **`wasm_value_type`** (a u8): i32 = 0, i64 = 1, f32 = 2, f64 = 3, v128 = 4; any other
//! byte is `inval`. Functions with reference-typed parameters or results cannot be
//! called or described (`inval`).
//!
//! **`reflection_result`** (6 bytes, align 2): `cacheable` (bool u8) at 0, `arguments`
//! (u16) at 2, `results` (u16) at 4.

use super::table::{self, Lookup};
use crate::guest::types::ReflectionResult;
use crate::guest::MemSize;
use crate::witx::env::{run, with_call, WasiEnv};
use crate::witx::errno::Errno;
use wasmer::{FunctionEnvMut, RuntimeError, Type, Value};

/// The WASIX `wasm_value_type` of a wasm type (`None` for reference types).
pub fn type_code(t: Type) -> Option<u8> {
    Some(match t {
        Type::I32 => 0,
        Type::I64 => 1,
        Type::F32 => 2,
        Type::F64 => 3,
        Type::V128 => 4,
        _ => return None,
    })
}

/// The wasm type of a WASIX `wasm_value_type` (`inval` for an unknown code).
pub fn from_code(c: u8) -> Result<Type, Errno> {
    Ok(match c {
        0 => Type::I32,
        1 => Type::I64,
        2 => Type::F32,
        3 => Type::F64,
        4 => Type::V128,
        _ => return Err(Errno::INVAL),
    })
}

/// Bytes a value of `t` takes in a value buffer (`None`: not storable).
pub fn value_size(t: Type) -> Option<u64> {
    Some(match t {
        Type::I32 | Type::F32 => 4,
        Type::I64 | Type::F64 => 8,
        Type::V128 => 16,
        _ => return None,
    })
}

/// Total buffer size of `ts` (`inval` when one is a reference type).
fn buffer_size(ts: &[Type]) -> Result<u64, Errno> {
    ts.iter().map(|t| value_size(*t).ok_or(Errno::INVAL)).sum()
}

/// Decodes a value of `t` from its little-endian bytes (`b` is exactly its size).
fn decode(t: Type, b: &[u8]) -> Value {
    let mut w = [0u8; 16];
    w[..b.len()].copy_from_slice(b);
    match t {
        Type::I32 => Value::I32(i32::from_le_bytes([w[0], w[1], w[2], w[3]])),
        Type::F32 => Value::F32(f32::from_le_bytes([w[0], w[1], w[2], w[3]])),
        Type::I64 => Value::I64(i64::from_le_bytes(w[..8].try_into().unwrap_or_default())),
        Type::F64 => Value::F64(f64::from_le_bytes(w[..8].try_into().unwrap_or_default())),
        _ => Value::V128(u128::from_le_bytes(w)),
    }
}

/// A value's little-endian bytes (reference values have none).
fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::V128(x) => out.extend_from_slice(&x.to_le_bytes()),
        _ => {}
    }
}

/// A witx `bool`: 0 or 1, anything else `inval`.
fn witx_bool(b: u32) -> Result<bool, Errno> {
    match b {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Errno::INVAL),
    }
}

/// `call_dynamic(function_id, values, values_len, results, results_len, strict)`: calls
/// the function at `function_id` with its arguments decoded from `values` and writes its
/// results to `results` (layout in the module doc).
///
/// * strict (1): `values_len` and `results_len` must be exactly the signature's buffer
///   sizes, else `inval` — checked before the call, so a refused call has no effects.
/// * non-strict (0): missing argument bytes are zero (a value cut short reads its present
///   bytes, the rest zero), extra ones are ignored; results are written in order while each
///   fits whole in `results_len`, the first that does not and every later one are dropped.
/// * an empty slot, an index past the table, a function with reference-typed parameters
///   or results, or a `strict` other than 0/1: `inval`; no table reachable: `notsup`.
/// * the argument bytes read and the result bytes to write must be in guest memory, else
///   `memviolation` (checked before the call).
/// * a trap (or exit) in the callee propagates as from a direct call.
pub fn call_dynamic<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    function_id: M::Offset,
    values: M::Offset,
    values_len: M::Offset,
    results: M::Offset,
    results_len: M::Offset,
    strict: u32,
) -> Result<i32, RuntimeError> {
    const NAME: &str = "call_dynamic";
    let (id, vp, vl, rp, rl) = (
        M::to_u64(function_id),
        M::to_u64(values),
        M::to_u64(values_len),
        M::to_u64(results),
        M::to_u64(results_len),
    );
    let args = [id, vp, vl, rp, rl, strict as u64];
    let fail = |env: &mut FunctionEnvMut<WasiEnv>, e: Errno| run(env, NAME, args, |_| Err(e));
    let strict = match witx_bool(strict) {
        Ok(s) => s,
        Err(e) => return Ok(fail(&mut env, e)),
    };
    let f = match table::lookup(&mut env, id, None) {
        Ok(f) => f,
        Err(l) => return Ok(fail(&mut env, l.into())),
    };
    let ty = f.ty(&env);
    let (need, rneed) = match (buffer_size(ty.params()), buffer_size(ty.results())) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Ok(fail(&mut env, Errno::INVAL)),
    };
    if strict && (vl != need || rl != rneed) {
        return Ok(fail(&mut env, Errno::INVAL));
    }
    // Decode the arguments and check the result buffer before the call.
    let decoded = with_call(&mut env, |c| -> Result<Vec<Value>, Errno> {
        let have = vl.min(need);
        let bytes = c.mem.slice(vp, have)?.to_vec();
        c.mem.check_range(rp, rl.min(rneed))?;
        let mut at = 0usize;
        let mut out = Vec::with_capacity(ty.params().len());
        for t in ty.params() {
            let n = value_size(*t).unwrap_or(0) as usize;
            let end = (at + n).min(bytes.len());
            let b = bytes.get(at.min(end)..end).unwrap_or(&[]);
            out.push(decode(*t, b));
            at += n;
        }
        Ok(out)
    });
    let argv = match decoded {
        Ok(v) => v,
        Err(e) => return Ok(fail(&mut env, e)),
    };
    let got = f.call(&mut env, &argv)?;
    let mut bytes = Vec::with_capacity(rneed as usize);
    for v in got.iter() {
        let at = bytes.len();
        encode(v, &mut bytes);
        if bytes.len() as u64 > rl {
            bytes.truncate(at);
            break;
        }
    }
    Ok(run(&mut env, NAME, args, |c| {
        Ok(c.mem.write_bytes(rp, &bytes)?)
    }))
}

/// `reflect_signature(function_id, argument_types, argument_types_len, result_types,
/// result_types_len, result*)`: the signature of the function at `function_id`.
///
/// Writes `result` (`reflection_result`: counts, and `cacheable` = the slot is not a
/// closure slot, whose signature the next closure_prepare may change), then the type codes
/// when both buffers are big enough; else `overflow` with the buffers untouched. An empty
/// slot or an index past the table: `inval`, with `result` {cacheable 0, 0, 0} for an
/// index past the table and {cacheable as above, 0, 0} for an empty slot; a function with
/// reference types: `inval` after writing the counts; no table reachable: `notsup`
/// (nothing written). The u16 lengths arrive in i32 parameters; only their low 16 bits
/// count (as a C `uint16_t` argument would be).
pub fn reflect_signature<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    function_id: M::Offset,
    argument_types: M::Offset,
    argument_types_len: u32,
    result_types: M::Offset,
    result_types_len: u32,
    result: M::Offset,
) -> i32 {
    let (id, ap, rp, out) = (
        M::to_u64(function_id),
        M::to_u64(argument_types),
        M::to_u64(result_types),
        M::to_u64(result),
    );
    let (al, rl) = (argument_types_len as u16, result_types_len as u16);
    let args = [id, ap, al as u64, rp, rl as u64, out];
    let cacheable = !table::is_closure(&env, id);
    let found = table::lookup(&mut env, id, None).map(|f| f.ty(&env));
    run(&mut env, "reflect_signature", args, |c| {
        let write = |cacheable: bool, arguments: u16, results: u16| -> Result<(), Errno> {
            let rec = ReflectionResult {
                cacheable: cacheable as u8,
                _pad: 0,
                arguments,
                results,
            };
            Ok(c.mem.write(out, rec)?)
        };
        let ty = match found {
            Ok(t) => t,
            Err(Lookup::NoTable) => return Err(Errno::NOTSUP),
            Err(Lookup::OutOfBounds) => {
                write(false, 0, 0)?;
                return Err(Errno::INVAL);
            }
            Err(l) => {
                write(cacheable, 0, 0)?;
                return Err(l.into());
            }
        };
        // A function has at most 1000 parameters and results (the engine's limits).
        let (na, nr) = (ty.params().len() as u16, ty.results().len() as u16);
        write(cacheable, na, nr)?;
        let codes = |ts: &[Type]| -> Result<Vec<u8>, Errno> {
            ts.iter()
                .map(|t| type_code(*t).ok_or(Errno::INVAL))
                .collect()
        };
        let (a, r) = (codes(ty.params())?, codes(ty.results())?);
        if na > al || nr > rl {
            return Err(Errno::OVERFLOW);
        }
        c.mem.check_range(ap, a.len() as u64)?;
        c.mem.check_range(rp, r.len() as u64)?;
        c.mem.write_bytes(ap, &a)?;
        Ok(c.mem.write_bytes(rp, &r)?)
    })
}
