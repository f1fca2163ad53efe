//! The 2022 WASIX thread-local variables (`thread_local_create/destroy/set/get`): keys are
//! process-wide and carry the creator's user data (handed to the destructor), values are
//! per thread and start at 0.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct ThreadLocals {
    /// A leaf lock; never held across a guest call (a thread's values are taken out before
    /// the destructors run).
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u32,
    /// key -> the user data given at creation.
    keys: HashMap<u32, u64>,
    /// (tid, key) -> value; absent means 0.
    values: HashMap<(u32, u32), u64>,
}

/// A key that does not exist (never created, or destroyed).
#[derive(Debug, PartialEq, Eq)]
pub struct NoSuchKey;

impl ThreadLocals {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A forked child's: the keys, and the main thread's values (the only thread a fork
    /// copies).
    pub fn fork_copy(&self) -> ThreadLocals {
        let g = self.lock();
        let main = crate::core::process::MAIN_TID;
        ThreadLocals {
            inner: Mutex::new(Inner {
                next: g.next,
                keys: g.keys.clone(),
                values: g
                    .values
                    .iter()
                    .filter(|((t, _), _)| *t == main)
                    .map(|(k, v)| (*k, *v))
                    .collect(),
            }),
        }
    }

    /// A new key; `None` once 2^32 keys exist.
    pub fn create(&self, user_data: u64) -> Option<u32> {
        let mut g = self.lock();
        if g.keys.len() >= u32::MAX as usize {
            return None;
        }
        loop {
            let k = g.next;
            g.next = g.next.wrapping_add(1);
            if let std::collections::hash_map::Entry::Vacant(e) = g.keys.entry(k) {
                e.insert(user_data);
                return Some(k);
            }
        }
    }

    /// Destroys `key` and every thread's value for it (no destructor runs, as with
    /// `pthread_key_delete`).
    pub fn destroy(&self, key: u32) -> Result<(), NoSuchKey> {
        let mut g = self.lock();
        g.keys.remove(&key).ok_or(NoSuchKey)?;
        g.values.retain(|(_, k), _| *k != key);
        Ok(())
    }

    pub fn set(&self, tid: u32, key: u32, val: u64) -> Result<(), NoSuchKey> {
        let mut g = self.lock();
        if !g.keys.contains_key(&key) {
            return Err(NoSuchKey);
        }
        if val == 0 {
            g.values.remove(&(tid, key));
        } else {
            g.values.insert((tid, key), val);
        }
        Ok(())
    }

    pub fn get(&self, tid: u32, key: u32) -> Result<u64, NoSuchKey> {
        let g = self.lock();
        if !g.keys.contains_key(&key) {
            return Err(NoSuchKey);
        }
        Ok(g.values.get(&(tid, key)).copied().unwrap_or(0))
    }

    /// Removes thread `tid`'s values, returning (user data, value) for each non-zero one,
    /// in key order, for the destructor.
    pub fn take_thread(&self, tid: u32) -> Vec<(u64, u64)> {
        let mut g = self.lock();
        let mut mine: Vec<(u32, u64)> = Vec::new();
        g.values.retain(|(t, k), v| {
            if *t == tid {
                mine.push((*k, *v));
                false
            } else {
                true
            }
        });
        mine.sort_unstable();
        mine.into_iter()
            .filter_map(|(k, v)| g.keys.get(&k).map(|u| (*u, v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_per_thread_and_keys_per_process() {
        let t = ThreadLocals::default();
        let k = t.create(77).unwrap();
        assert_eq!(t.get(1, k), Ok(0));
        t.set(1, k, 5).unwrap();
        t.set(2, k, 6).unwrap();
        assert_eq!((t.get(1, k), t.get(2, k)), (Ok(5), Ok(6)));
        assert_eq!(t.take_thread(2), vec![(77, 6)]);
        assert_eq!(t.get(2, k), Ok(0));
        t.destroy(k).unwrap();
        assert_eq!(t.get(1, k), Err(NoSuchKey));
        assert_eq!(t.set(1, k, 1), Err(NoSuchKey));
        assert_eq!(t.destroy(k), Err(NoSuchKey));
    }
}
