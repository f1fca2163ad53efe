//! `--fake-clock` / `--seed` on the wasmer-wasix engine: an instantiation hook replaces
//! the `clock_time_get` and `random_get` imports wasmer-wasix links (in every witx
//! namespace) with functions that read the same [`Pinned`] state our engine uses, so one
//! program reads the same clock values and random bytes on both engines.
//!
//! Only those two imports are pinned: wasmer-wasix's other uses of time (file timestamps,
//! `poll_oneoff` deadlines, `clock_res_get`) stay real.

use crate::core::pinned::Pinned;
use std::sync::{Arc, Mutex};
use wasmer::{ExternType, Function, FunctionEnv, FunctionEnvMut, Memory, Value};
use wasmer_wasix::runtime::{InstantiationHook, InstantiationState};

/// The hook; register it on the runtime wasmer-wasix instantiates with.
#[derive(Debug)]
pub struct PinHook(pub Arc<Pinned>);

/// The memory of the instance the replaced imports belong to (set once instantiated).
type Slot = Arc<Mutex<Option<Memory>>>;

const FAULT: i32 = 21;
const INVAL: i32 = 28;

#[derive(Clone)]
struct Env {
    pinned: Arc<Pinned>,
    memory: Slot,
}

fn num(v: &Value) -> u64 {
    match v {
        Value::I32(n) => *n as u32 as u64,
        Value::I64(n) => *n as u64,
        _ => 0,
    }
}

/// Writes `bytes` at `at` in the instance's memory: the errno.
fn write(env: &FunctionEnvMut<Env>, at: u64, bytes: &[u8]) -> i32 {
    let mem = env
        .data()
        .memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match mem.map(|m| m.view(env).write(at, bytes)) {
        Some(Ok(())) => 0,
        _ => FAULT,
    }
}

fn clock_time_get(
    env: FunctionEnvMut<Env>,
    args: &[Value],
) -> Result<Vec<Value>, wasmer::RuntimeError> {
    let errno = match num(&args[0]) {
        0..=3 => match env.data().pinned.clock_now() {
            Some(t) => write(&env, num(&args[2]), &t.to_le_bytes()),
            None => INVAL,
        },
        _ => INVAL,
    };
    Ok(vec![Value::I32(errno)])
}

fn random_get(
    env: FunctionEnvMut<Env>,
    args: &[Value],
) -> Result<Vec<Value>, wasmer::RuntimeError> {
    let (at, len) = (num(&args[0]), num(&args[1]));
    let errno = match usize::try_from(len) {
        Ok(len) if len <= 1 << 30 => {
            let mut b = vec![0u8; len];
            env.data().pinned.fill_random(&mut b);
            write(&env, at, &b)
        }
        _ => FAULT,
    };
    Ok(vec![Value::I32(errno)])
}

impl InstantiationHook for PinHook {
    fn prepare_imports(
        &self,
        module: &wasmer::Module,
        store: &mut wasmer::StoreMut,
        imports: &mut wasmer::Imports,
    ) -> anyhow::Result<InstantiationState> {
        let slot: Slot = Arc::new(Mutex::new(None));
        let env = FunctionEnv::new(
            store,
            Env {
                pinned: self.0.clone(),
                memory: slot.clone(),
            },
        );
        for imp in module.imports() {
            let (m, n) = (imp.module(), imp.name());
            if !matches!(
                m,
                "wasi_snapshot_preview1" | "wasi_unstable" | "wasix_32v1" | "wasix_64v1"
            ) {
                continue;
            }
            let ExternType::Function(ft) = imp.ty() else {
                continue;
            };
            let f = match (n, ft.params().len(), ft.results().len()) {
                ("clock_time_get", 3, 1) if self.0.pins_clock() => {
                    Function::new_with_env(store, &env, ft.clone(), clock_time_get)
                }
                ("random_get", 2, 1) if self.0.pins_random() => {
                    Function::new_with_env(store, &env, ft.clone(), random_get)
                }
                _ => continue,
            };
            imports.define(m, n, f);
        }
        Ok(InstantiationState::new(slot))
    }

    fn configure_new_instance(
        &self,
        _module: &wasmer::Module,
        _store: &mut wasmer::StoreMut,
        instance: &wasmer::Instance,
        imported_memory: Option<&wasmer::Memory>,
        state: InstantiationState,
    ) -> anyhow::Result<()> {
        let slot: Slot = state.take()?;
        let mem = imported_memory
            .cloned()
            .or_else(|| instance.exports.get_memory("memory").ok().cloned());
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = mem;
        Ok(())
    }
}
