//! Futexes on a shared memory wait in the engine's own queues. wasmer keeps the waiters of
//! `memory.atomic.wait32` in the memory; waiting and notifying there (not in a table of
//! ours) lets guest code mix the instructions and the imports on one address: a
//! `futex_wake` wakes an `atomic.wait32`, an `atomic.notify` a `futex_wait`.
//!
//! wasmer's public API can notify those queues (`SharedMemory::notify`) but can only wait
//! in them without checking the value first (a wake between our check and the wait would
//! be lost), so a wait runs as the instruction itself, in a one-function helper module
//! instantiated on the same memory in each thread's store.

use wasmer::{
    Imports, Instance, Memory, MemoryLocation, Module, SharedMemory, Store, TypedFunction,
};

const HELPER: &str = r#"(module
  (import "m" "memory" (memory 0 65536 shared))
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1))))"#;

/// How an engine wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineWait {
    /// Notified, or woken by an interrupt (which looks the same from here).
    Woken,
    Mismatch,
    TimedOut,
    /// The memory's atomics are closed: the process is ending.
    Closed,
}

/// The helper module, compiled once per process.
pub fn helper_module(store: &Store) -> Result<Module, String> {
    Module::new(store, HELPER).map_err(|e| e.to_string())
}

/// One thread's handle on the wait instruction, and the memory's notify.
pub struct Atomics {
    wait: TypedFunction<(i32, i32, i64), i32>,
    /// The instruction, not `SharedMemory::notify`: the public call upgrades a weak handle
    /// to the memory's wait queues on every call (a shared reference count every waking
    /// thread contends on); the instruction reaches them through the instance.
    notify: TypedFunction<(i32, i32), i32>,
    shared: SharedMemory,
}

impl Atomics {
    /// Instantiates the helper on `memory` (a 32-bit shared memory) in this store.
    pub fn new(
        store: &mut Store,
        helper: &Module,
        memory: &Memory,
        shared: SharedMemory,
    ) -> Result<Atomics, String> {
        let mut imports = Imports::new();
        imports.define("m", "memory", memory.clone());
        let i = Instance::new(store, helper, &imports).map_err(|e| e.to_string())?;
        let wait = i
            .exports
            .get_typed_function(&*store, "wait")
            .map_err(|e| e.to_string())?;
        let notify = i
            .exports
            .get_typed_function(&*store, "notify")
            .map_err(|e| e.to_string())?;
        Ok(Atomics {
            wait,
            notify,
            shared,
        })
    }

    /// `memory.atomic.wait32`: `addr` must be 4-aligned and in bounds (else the
    /// instruction traps, reported as `Closed`); `timeout` in ns, `None` forever.
    pub fn wait32(
        &self,
        store: &mut impl wasmer::AsStoreMut,
        addr: u32,
        expected: u32,
        timeout: Option<u64>,
    ) -> EngineWait {
        let t = timeout.map_or(-1, |t| t.min(i64::MAX as u64) as i64);
        match self.wait.call(store, addr as i32, expected as i32, t) {
            Ok(0) => EngineWait::Woken,
            Ok(1) => EngineWait::Mismatch,
            Ok(_) => EngineWait::TimedOut,
            Err(_) => EngineWait::Closed,
        }
    }

    /// Wakes up to `n` waiters on `addr` (of `futex_wait` and of `memory.atomic.wait32`);
    /// returns how many. `addr` must be 4-aligned and in bounds (checked by the caller).
    pub fn notify(&self, store: &mut impl wasmer::AsStoreMut, addr: u32, n: u32) -> u32 {
        match self.notify.call(store, addr as i32, n as i32) {
            Ok(k) => k as u32,
            // Only a closed memory (the process is ending) makes the instruction fail.
            Err(_) => self
                .shared
                .notify(MemoryLocation::new_32(addr), n)
                .unwrap_or(0),
        }
    }
}

/// Wakes every waiter of the memory (interrupts); `closing` also makes every later wait
/// trap, so a thread in `memory.atomic.wait32` of an ending process unwinds.
pub fn wake_all(memory: &SharedMemory, closing: bool) {
    let _ = if closing {
        memory.disable_atomics()
    } else {
        memory.wake_all_atomic_waiters()
    };
}
