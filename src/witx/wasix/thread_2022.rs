//! The 2022 WASIX thread ABI, which wasmer-wasix has dropped and binaries of that time
//! (Rust programs built for WASIX in 2022) still import: the 5-argument `thread_spawn`
//! entering an exported `_start_thread(user_data lo, hi)`, the `callback_*` registrations
//! naming other entry points, and `thread_local_create/destroy/set/get`.

use crate::guest::MemSize;
use crate::witx::env::{run, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::thread::{spawn, ThreadStart};
use std::sync::Mutex;
use wasmer::FunctionEnvMut;

/// The guest exports the 2022 ABI calls back, by name (registered with `callback_*`).
#[derive(Clone)]
pub struct Callbacks {
    pub thread: String,
    pub reactor: String,
    pub thread_local_destroy: String,
}

impl Default for Callbacks {
    fn default() -> Self {
        Callbacks {
            thread: "_start_thread".into(),
            reactor: "_reactor".into(),
            thread_local_destroy: "_thread_local_destroy".into(),
        }
    }
}

pub type CallbackNames = Mutex<Callbacks>;

/// `callback_*(name, len)`: an unreadable or non-UTF-8 name is ignored (no errno exists).
fn register<M: MemSize>(
    env: &mut FunctionEnvMut<WasiEnv>,
    what: &'static str,
    p: M::Offset,
    l: M::Offset,
    set: fn(&mut Callbacks, String),
) {
    let (p, l) = (M::to_u64(p), M::to_u64(l));
    run(env, what, [p, l], |c| {
        let name = c.mem.str(p, l)?.to_string();
        set(
            &mut c.ctx.callbacks.lock().unwrap_or_else(|e| e.into_inner()),
            name,
        );
        Ok(())
    });
}

pub fn callback_thread<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, p: M::Offset, l: M::Offset) {
    register::<M>(&mut env, "callback_thread", p, l, |c, n| c.thread = n);
}

pub fn callback_reactor<M: MemSize>(mut env: FunctionEnvMut<WasiEnv>, p: M::Offset, l: M::Offset) {
    register::<M>(&mut env, "callback_reactor", p, l, |c, n| c.reactor = n);
}

pub fn callback_thread_local_destroy<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    p: M::Offset,
    l: M::Offset,
) {
    register::<M>(&mut env, "callback_thread_local_destroy", p, l, |c, n| {
        c.thread_local_destroy = n
    });
}

/// `thread_spawn(user_data, stack_base, stack_start, reactor, tid*)`: the new thread's
/// `__stack_pointer` is set to `stack_base` (the top of the stack the guest allocated)
/// and it enters the registered thread callback with `user_data` split in two i32s.
/// Reactor threads (called again whenever I/O is ready) are not supported: `notsup`.
pub fn thread_spawn<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    user_data: u64,
    stack_base: u64,
    stack_start: u64,
    reactor: u32,
    out: M::Offset,
) -> i32 {
    let o = M::to_u64(out);
    let args = [user_data, stack_base, stack_start, reactor as u64, o];
    run(&mut env, "thread_spawn", args, |c| {
        c.mem.check_range(o, 4)?;
        match reactor {
            0 => {}
            1 => return Err(Errno::NOTSUP),
            _ => return Err(Errno::INVAL),
        }
        if stack_start > stack_base || stack_base > c.mem.len() {
            return Err(Errno::INVAL);
        }
        let entry = c
            .ctx
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .thread
            .clone();
        let tid = spawn(
            c,
            ThreadStart::Legacy {
                entry,
                user_data,
                stack_base,
            },
        )?;
        Ok(c.mem.write::<u32>(o, tid)?)
    })
}

pub fn thread_local_create<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    user_data: u64,
    out: M::Offset,
) -> i32 {
    let o = M::to_u64(out);
    run(&mut env, "thread_local_create", [user_data, o], |c| {
        c.mem.check_range(o, 4)?;
        let k = c.ctx.thread_locals.create(user_data).ok_or(Errno::AGAIN)?;
        Ok(c.mem.write::<u32>(o, k)?)
    })
}

pub fn thread_local_destroy(mut env: FunctionEnvMut<WasiEnv>, key: u32) -> i32 {
    run(&mut env, "thread_local_destroy", [key as u64], |c| {
        c.ctx.thread_locals.destroy(key).map_err(|_| Errno::INVAL)
    })
}

pub fn thread_local_set(mut env: FunctionEnvMut<WasiEnv>, key: u32, val: u64) -> i32 {
    let tid = env.data().tid;
    run(&mut env, "thread_local_set", [key as u64, val], |c| {
        c.ctx
            .thread_locals
            .set(tid, key, val)
            .map_err(|_| Errno::INVAL)
    })
}

pub fn thread_local_get<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    key: u32,
    out: M::Offset,
) -> i32 {
    let o = M::to_u64(out);
    let tid = env.data().tid;
    run(&mut env, "thread_local_get", [key as u64, o], |c| {
        c.mem.check_range(o, 8)?;
        let v = c
            .ctx
            .thread_locals
            .get(tid, key)
            .map_err(|_| Errno::INVAL)?;
        Ok(c.mem.write::<u64>(o, v)?)
    })
}
