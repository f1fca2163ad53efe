//! The process's dynamic-linking books, shared by every store (thread) of the process:
//! where the main module and each side module live in memory and in the table, and which
//! function pointers the linker handed out. The stores' tables must agree slot for slot
//! (a function pointer travels between threads), so every slot is decided here first and
//! each store copies the decisions (see [`super::store`]).

use super::section::DylinkInfo;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The handle of the main module (`dlopen(NULL)`); side modules count up from 2.
pub const MAIN_HANDLE: u32 = 1;
/// Shadow stack of a position-independent main module (wasixcc's default, 8 MiB).
pub const STACK_SIZE: u64 = 8 << 20;
/// Most side modules one process may load (each costs memory, table space and a compile).
pub const MAX_MODULES: usize = 1024;

/// Where the main module lives.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub memory_base: u64,
    pub table_base: u32,
    /// Table slots the main module's own elements fill from `table_base`.
    pub table_size: u32,
    pub stack_low: u64,
    pub stack_high: u64,
}

/// A side module the process loaded.
pub struct Side {
    pub handle: u32,
    /// Absolute guest path it was read from.
    pub path: String,
    pub module: wasmer::Module,
    pub info: DylinkInfo,
    pub memory_base: u64,
    pub table_base: u32,
    /// Handles of the side modules it needs (its `dylink.0` needed list).
    pub deps: Vec<u32>,
    /// RTLD_GLOBAL: its symbols resolve later modules' imports and RTLD_DEFAULT lookups.
    pub global: AtomicBool,
    /// Its constructors have run (until then a `dlopen` of it from a constructor finds it).
    pub ready: AtomicBool,
    /// Loading it failed: it is skipped by every lookup (its space is not reused).
    pub failed: AtomicBool,
}

impl Side {
    pub fn live(&self) -> bool {
        !self.failed.load(Ordering::Acquire)
    }
}

#[derive(Clone, Copy, Default)]
struct Ack {
    seen: u64,
    parked: bool,
}

/// How long a dlopen waits for the process's other threads to copy what it loaded before
/// it returns anyway (a thread computing without imports copies at its next import).
pub const PUBLISH_WAIT: Duration = Duration::from_secs(2);

/// A function pointer the linker placed (for a `GOT.func` import or a `dlsym`).
#[derive(Clone, Debug)]
pub struct Slot {
    pub index: u32,
    pub owner: u32,
    pub name: String,
}

pub struct Linker {
    state: Mutex<State>,
    /// Per thread (tid): the generation its store has copied, and whether it is parked in
    /// a blocking import (it copies before it returns to the guest). See [`Linker::publish`].
    acks: Mutex<HashMap<u32, Ack>>,
    acked: Condvar,
    /// Bumped by every load and every new slot: a store that saw another value syncs.
    generation: AtomicU64,
}

#[derive(Clone)]
struct State {
    layout: Layout,
    /// The size every store's table must have.
    table_len: u32,
    modules: Vec<Arc<Side>>,
    slots: Vec<Slot>,
    slot_of: HashMap<(u32, String), u32>,
}

impl Linker {
    pub fn new(layout: Layout, table_len: u32) -> Linker {
        Linker {
            state: Mutex::new(State {
                layout,
                table_len,
                modules: Vec::new(),
                slots: Vec::new(),
                slot_of: HashMap::new(),
            }),
            generation: AtomicU64::new(0),
            acks: Mutex::new(HashMap::new()),
            acked: Condvar::new(),
        }
    }

    fn acks(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Ack>> {
        self.acks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Thread `tid`'s store has copied everything up to `generation`.
    pub fn note_seen(&self, tid: u32, generation: u64) {
        self.acks().insert(
            tid,
            Ack {
                seen: generation,
                parked: false,
            },
        );
        self.acked.notify_all();
    }

    /// Thread `tid` enters (true) or leaves a blocking import.
    pub fn park(&self, tid: u32, parked: bool) {
        if let Some(a) = self.acks().get_mut(&tid) {
            a.parked = parked;
        }
        self.acked.notify_all();
    }

    /// After `me` loaded a module or placed a slot: waits (at most [`PUBLISH_WAIT`]) until
    /// every other live thread has copied it or is parked in an import (it copies before
    /// it runs guest code again), so that a pointer handed to it works — what wasmer's
    /// stop-the-world does for its instance groups.
    pub fn publish(&self, me: u32, alive: impl Fn(u32) -> bool) {
        let target = self.generation();
        let deadline = Instant::now() + PUBLISH_WAIT;
        let mut acks = self.acks();
        loop {
            acks.retain(|t, _| alive(*t));
            let done = acks
                .iter()
                .all(|(t, a)| *t == me || a.parked || a.seen >= target);
            let left = deadline.saturating_duration_since(Instant::now());
            if done || left.is_zero() {
                return;
            }
            acks = self
                .acked
                .wait_timeout(acks, left.min(Duration::from_millis(50)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Changes whenever a store has something new to copy.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A forked child's books: the same modules at the same places (its memory is a copy).
    pub fn fork_copy(&self) -> Linker {
        Linker {
            state: Mutex::new(self.lock().clone()),
            generation: AtomicU64::new(self.generation()),
            acks: Mutex::new(HashMap::new()),
            acked: Condvar::new(),
        }
    }

    pub fn layout(&self) -> Layout {
        self.lock().layout
    }

    pub fn table_len(&self) -> u32 {
        self.lock().table_len
    }

    /// Every module loaded so far, in load order.
    pub fn modules(&self) -> Vec<Arc<Side>> {
        self.lock().modules.clone()
    }

    pub fn module(&self, handle: u32) -> Option<Arc<Side>> {
        let i = handle.checked_sub(MAIN_HANDLE + 1)? as usize;
        self.lock().modules.get(i).filter(|m| m.live()).cloned()
    }

    /// The live module read from `path`, if it was loaded.
    pub fn find_loaded(&self, path: &str) -> Option<Arc<Side>> {
        self.lock()
            .modules
            .iter()
            .find(|m| m.path == path && m.live())
            .cloned()
    }

    /// Registers a module at `memory_base`, reserving its table area; returns it with its
    /// handle. `None` past [`MAX_MODULES`].
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &self,
        path: String,
        module: wasmer::Module,
        info: DylinkInfo,
        memory_base: u64,
        deps: Vec<u32>,
        global: bool,
    ) -> Option<Arc<Side>> {
        let mut st = self.lock();
        if st.modules.len() >= MAX_MODULES {
            return None;
        }
        let align = 1u32 << info.table_align;
        let table_base = st.table_len.checked_add(align - 1)? & !(align - 1);
        st.table_len = table_base.checked_add(info.table_size)?;
        let side = Arc::new(Side {
            handle: MAIN_HANDLE + 1 + st.modules.len() as u32,
            path,
            module,
            info,
            memory_base,
            table_base,
            deps,
            global: AtomicBool::new(global),
            ready: AtomicBool::new(false),
            failed: AtomicBool::new(false),
        });
        st.modules.push(side.clone());
        drop(st);
        self.bump();
        Some(side)
    }

    /// The table index already decided for `owner`'s export `name`.
    pub fn known_slot(&self, owner: u32, name: &str) -> Option<u32> {
        self.lock().slot_of.get(&(owner, name.to_string())).copied()
    }

    /// The table index of `owner`'s export `name`: `own` when the module's elements
    /// already put it there (so `&f` in the module and `dlsym("f")` are equal), else a new
    /// slot the first time. The same function always has the same pointer.
    pub fn slot(&self, owner: u32, name: &str, own: Option<u32>) -> u32 {
        let mut st = self.lock();
        if let Some(i) = st.slot_of.get(&(owner, name.to_string())) {
            return *i;
        }
        if let Some(i) = own {
            st.slot_of.insert((owner, name.to_string()), i);
            return i;
        }
        let index = st.table_len;
        st.table_len += 1;
        st.slot_of.insert((owner, name.to_string()), index);
        st.slots.push(Slot {
            index,
            owner,
            name: name.to_string(),
        });
        drop(st);
        self.bump();
        index
    }

    /// One more table slot that no module owns (a closure's); every store grows past it.
    pub fn reserve_slot(&self) -> u32 {
        let mut st = self.lock();
        let i = st.table_len;
        st.table_len += 1;
        drop(st);
        self.bump();
        i
    }

    /// The slots placed after the first `n`.
    pub fn slots_from(&self, n: usize) -> Vec<Slot> {
        self.lock().slots.get(n..).unwrap_or_default().to_vec()
    }
}
