//! A thread-safe resource table: numbered slots holding `Arc`s, with parent/child links and a
//! capacity limit. The p1 fd table and the 0.2 resource handles are both built on it.
//!
//! Why parent/child: a pollable borrows its stream, a directory stream its descriptor; the
//! parent may not be removed while children live (0.2's "drop the pollable first" rule).

use std::any::Any;
use std::marker::PhantomData;
use std::sync::{Arc, RwLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("resource table is full")]
    Full,
    #[error("no such resource")]
    NotPresent,
    #[error("resource has a different type")]
    WrongType,
    #[error("resource still has children")]
    HasChildren,
}

struct Slot<T: ?Sized> {
    value: Arc<T>,
    parent: Option<u32>,
    children: u32,
}

struct Inner<T: ?Sized> {
    slots: Vec<Option<Slot<T>>>,
    /// Lowest index that may be free; keeps insert O(1) amortised for the common case.
    free_hint: usize,
    len: usize,
}

impl<T: ?Sized> Inner<T> {
    /// A child of `parent` left the table.
    fn unlink(&mut self, parent: Option<u32>) {
        if let Some(Some(ps)) = parent.and_then(|p| self.slots.get_mut(p as usize)) {
            ps.children -= 1;
        }
    }

    /// Slot `i` was emptied: count it, let inserts find it, and trim trailing empties so
    /// the table does not grow without bound.
    fn vacated(&mut self, i: usize) {
        self.len -= 1;
        if i < self.free_hint {
            self.free_hint = i;
        }
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        if self.free_hint > self.slots.len() {
            self.free_hint = self.slots.len();
        }
    }
}

/// Slots are numbered from 0; `insert` takes the lowest free number (POSIX fd rule).
///
/// Lock order: `inner` is a leaf. Every operation is one critical section that takes no
/// other lock, and entries it removes are dropped after it is released (a socket close
/// may block).
pub struct Table<T: ?Sized> {
    inner: RwLock<Inner<T>>,
    capacity: usize,
}

pub const DEFAULT_CAPACITY: usize = 1 << 16;

impl<T: ?Sized> Default for Table<T> {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl<T: ?Sized> Table<T> {
    pub fn with_capacity(capacity: usize) -> Self {
        Table {
            inner: RwLock::new(Inner {
                slots: Vec::new(),
                free_hint: 0,
                len: 0,
            }),
            capacity,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner<T>> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner<T>> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn len(&self) -> usize {
        self.read().len
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn insert(&self, value: Arc<T>) -> Result<u32, TableError> {
        self.insert_child(value, None)
    }

    /// Inserts with an optional parent; the parent must exist.
    pub fn insert_child(&self, value: Arc<T>, parent: Option<u32>) -> Result<u32, TableError> {
        let mut g = self.write();
        if let Some(p) = parent {
            match g.slots.get_mut(p as usize) {
                Some(Some(s)) => s.children += 1,
                _ => return Err(TableError::NotPresent),
            }
        }
        let start = g.free_hint;
        let idx = match g.slots[start..].iter().position(|s| s.is_none()) {
            Some(i) => start + i,
            None => g.slots.len(),
        };
        if idx >= self.capacity {
            if let Some(p) = parent {
                if let Some(Some(s)) = g.slots.get_mut(p as usize) {
                    s.children -= 1;
                }
            }
            return Err(TableError::Full);
        }
        let slot = Some(Slot {
            value,
            parent,
            children: 0,
        });
        if idx == g.slots.len() {
            g.slots.push(slot);
        } else {
            g.slots[idx] = slot;
        }
        g.free_hint = idx + 1;
        g.len += 1;
        Ok(idx as u32)
    }

    /// Places `value` at exactly `idx` (replacing what was there, which is returned).
    pub fn insert_at(&self, idx: u32, value: Arc<T>) -> Result<Option<Arc<T>>, TableError> {
        let i = idx as usize;
        if i >= self.capacity {
            return Err(TableError::Full);
        }
        let mut g = self.write();
        if g.slots.len() <= i {
            g.slots.resize_with(i + 1, || None);
        }
        if let Some(Some(s)) = g.slots.get(i) {
            if s.children > 0 {
                return Err(TableError::HasChildren);
            }
        }
        let old = g.slots[i].replace(Slot {
            value,
            parent: None,
            children: 0,
        });
        match &old {
            Some(o) => {
                if let Some(p) = o.parent {
                    if let Some(Some(ps)) = g.slots.get_mut(p as usize) {
                        ps.children -= 1;
                    }
                }
            }
            None => g.len += 1,
        }
        Ok(old.map(|s| s.value))
    }

    pub fn get(&self, idx: u32) -> Result<Arc<T>, TableError> {
        match self.read().slots.get(idx as usize) {
            Some(Some(s)) => Ok(s.value.clone()),
            _ => Err(TableError::NotPresent),
        }
    }

    /// Runs `f` on the entry without cloning the `Arc` (hot paths).
    pub fn with<R>(&self, idx: u32, f: impl FnOnce(&T) -> R) -> Result<R, TableError> {
        match self.read().slots.get(idx as usize) {
            Some(Some(s)) => Ok(f(&s.value)),
            _ => Err(TableError::NotPresent),
        }
    }

    pub fn contains(&self, idx: u32) -> bool {
        matches!(self.read().slots.get(idx as usize), Some(Some(_)))
    }

    pub fn remove(&self, idx: u32) -> Result<Arc<T>, TableError> {
        let mut g = self.write();
        let i = idx as usize;
        match g.slots.get(i) {
            Some(Some(s)) if s.children > 0 => return Err(TableError::HasChildren),
            Some(Some(_)) => {}
            _ => return Err(TableError::NotPresent),
        }
        let s = g.slots[i].take().expect("checked above");
        g.unlink(s.parent);
        g.vacated(i);
        Ok(s.value)
    }

    /// Inserts at the lowest free index not below `min` (F_DUPFD), in one critical section:
    /// a concurrent insert can never take the slot between the search and the store.
    pub fn insert_from(&self, min: u32, value: Arc<T>) -> Result<u32, TableError> {
        let mut g = self.write();
        let start = min as usize;
        let idx = match g
            .slots
            .get(start..)
            .and_then(|s| s.iter().position(|s| s.is_none()))
        {
            Some(i) => start + i,
            None => g.slots.len().max(start),
        };
        if idx >= self.capacity {
            return Err(TableError::Full);
        }
        if g.slots.len() <= idx {
            g.slots.resize_with(idx + 1, || None);
        }
        g.slots[idx] = Some(Slot {
            value,
            parent: None,
            children: 0,
        });
        if idx == g.free_hint {
            g.free_hint = idx + 1;
        }
        g.len += 1;
        Ok(idx as u32)
    }

    /// Moves the entry at `from` to `to`, closing whatever was at `to` (fd_renumber). One
    /// critical section; the replaced entry is dropped after the lock is released, since
    /// dropping it may block (a socket's close).
    pub fn renumber(&self, from: u32, to: u32) -> Result<(), TableError> {
        if from == to {
            return self.get(from).map(|_| ());
        }
        let replaced = {
            let mut g = self.write();
            let (f, t) = (from as usize, to as usize);
            let has = |g: &Inner<T>, i: usize| matches!(g.slots.get(i), Some(Some(_)));
            if !has(&g, f) || !has(&g, t) {
                return Err(TableError::NotPresent);
            }
            let busy = |g: &Inner<T>, i: usize| g.slots[i].as_ref().is_some_and(|s| s.children > 0);
            if busy(&g, f) || busy(&g, t) {
                return Err(TableError::HasChildren);
            }
            let moved = g.slots[f].take();
            let old = std::mem::replace(&mut g.slots[t], moved);
            g.unlink(old.as_ref().and_then(|o| o.parent));
            g.vacated(f);
            old
        };
        drop(replaced);
        Ok(())
    }

    /// Snapshot of (index, entry) pairs, in index order.
    /// Checks the table's bookkeeping (the fuzzer runs it after every call): the count, the
    /// free hint, no trailing empty slots, and every child's parent present and counted.
    pub fn audit(&self) -> Result<(), String> {
        let g = self.read();
        let used = g.slots.iter().filter(|s| s.is_some()).count();
        if used != g.len {
            return Err(format!("len {} but {used} slots in use", g.len));
        }
        if matches!(g.slots.last(), Some(None)) {
            return Err("trailing empty slot".into());
        }
        if let Some(first_free) = g.slots.iter().position(|s| s.is_none()) {
            if g.free_hint > first_free {
                return Err(format!(
                    "free hint {} past free slot {first_free}",
                    g.free_hint
                ));
            }
        }
        let mut children = vec![0u32; g.slots.len()];
        for (i, s) in g.slots.iter().enumerate() {
            if let Some(p) = s.as_ref().and_then(|s| s.parent) {
                match children.get_mut(p as usize) {
                    Some(c) if g.slots[p as usize].is_some() => *c += 1,
                    _ => return Err(format!("slot {i}: parent {p} missing")),
                }
            }
        }
        for (i, s) in g.slots.iter().enumerate() {
            if let Some(s) = s {
                if s.children != children[i] {
                    return Err(format!(
                        "slot {i}: {} children counted, {} present",
                        s.children, children[i]
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn entries(&self) -> Vec<(u32, Arc<T>)> {
        self.read()
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, s.value.clone())))
            .collect()
    }
}

/// A typed handle into a [`ResourceTable`].
pub struct Resource<T> {
    rep: u32,
    _t: PhantomData<fn() -> T>,
}
impl<T> Clone for Resource<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Resource<T> {}
impl<T> std::fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Resource({})", self.rep)
    }
}
impl<T> Resource<T> {
    pub fn new(rep: u32) -> Self {
        Resource {
            rep,
            _t: PhantomData,
        }
    }
    pub fn rep(&self) -> u32 {
        self.rep
    }
}

/// Heterogeneous table for 0.2-style resources: typed handles over one [`Table`].
#[derive(Default)]
pub struct ResourceTable {
    table: Table<dyn Any + Send + Sync>,
}

impl ResourceTable {
    pub fn with_capacity(capacity: usize) -> Self {
        ResourceTable {
            table: Table::with_capacity(capacity),
        }
    }
    pub fn push<T: Any + Send + Sync>(&self, v: T) -> Result<Resource<T>, TableError> {
        self.table.insert(Arc::new(v)).map(Resource::new)
    }
    pub fn push_child<T: Any + Send + Sync, P>(
        &self,
        v: T,
        parent: Resource<P>,
    ) -> Result<Resource<T>, TableError> {
        self.table
            .insert_child(Arc::new(v), Some(parent.rep))
            .map(Resource::new)
    }
    pub fn get<T: Any + Send + Sync>(&self, r: Resource<T>) -> Result<Arc<T>, TableError> {
        let a = self.table.get(r.rep)?;
        a.downcast::<T>().map_err(|_| TableError::WrongType)
    }
    pub fn delete<T: Any + Send + Sync>(&self, r: Resource<T>) -> Result<Arc<T>, TableError> {
        // Check the type before removing, so a wrong handle does not destroy another entry.
        if !self.table.with(r.rep, |v| v.is::<T>())? {
            return Err(TableError::WrongType);
        }
        let a = self.table.remove(r.rep)?;
        Ok(a.downcast::<T>()
            .unwrap_or_else(|_| unreachable!("type checked above")))
    }
    pub fn len(&self) -> usize {
        self.table.len()
    }
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_and_capacity() {
        let t: Table<u32> = Table::with_capacity(3);
        assert_eq!(t.insert(Arc::new(10)).unwrap(), 0);
        assert_eq!(t.insert(Arc::new(11)).unwrap(), 1);
        assert_eq!(t.insert(Arc::new(12)).unwrap(), 2);
        assert_eq!(t.insert(Arc::new(13)), Err(TableError::Full));
        t.remove(1).unwrap();
        assert_eq!(t.insert(Arc::new(14)).unwrap(), 1);
        assert_eq!(*t.get(1).unwrap(), 14);
        assert_eq!(t.remove(7).unwrap_err(), TableError::NotPresent);
    }

    #[test]
    fn parent_outlives_children() {
        #[derive(Debug)]
        struct Stream;
        #[derive(Debug)]
        struct Pollable;
        let rt = ResourceTable::default();
        let s = rt.push(Stream).unwrap();
        let p = rt.push_child(Pollable, s).unwrap();
        assert_eq!(rt.delete(s).unwrap_err(), TableError::HasChildren);
        assert_eq!(
            rt.get::<Stream>(Resource::new(p.rep())).unwrap_err(),
            TableError::WrongType
        );
        rt.delete(p).unwrap();
        rt.delete(s).unwrap();
        assert!(rt.is_empty());
    }

    #[test]
    fn renumber_moves_and_closes_target() {
        let t: Table<&str> = Table::default();
        t.insert(Arc::new("a")).unwrap();
        t.insert(Arc::new("b")).unwrap();
        t.renumber(0, 1).unwrap();
        assert_eq!(*t.get(1).unwrap(), "a");
        assert!(!t.contains(0));
        assert_eq!(t.len(), 1);
        assert_eq!(t.insert(Arc::new("c")).unwrap(), 0);
    }

    /// Counts live tokens, so a test can tell an entry lost or kept twice.
    static LIVE: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);
    struct Token;
    impl Token {
        fn new() -> Arc<Token> {
            LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Arc::new(Token)
        }
    }
    impl Drop for Token {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn insert_from_takes_the_lowest_free_slot_at_or_above() {
        let t: Table<u32> = Table::with_capacity(16);
        for v in 0..3 {
            t.insert(Arc::new(v)).unwrap();
        }
        assert_eq!(t.insert_from(1, Arc::new(9)).unwrap(), 3);
        assert_eq!(t.insert_from(10, Arc::new(9)).unwrap(), 10);
        assert_eq!(t.insert(Arc::new(4)).unwrap(), 4, "gaps below stay usable");
        t.remove(1).unwrap();
        assert_eq!(t.insert_from(0, Arc::new(1)).unwrap(), 1);
        assert_eq!(t.insert_from(16, Arc::new(1)), Err(TableError::Full));
        assert_eq!(t.len(), 6);
    }

    /// 8 threads x 100k random opens, closes, dups, renumbers and lookups on one table:
    /// afterwards every live entry is in the table exactly once (the live-token count is
    /// the table's length), and the bookkeeping agrees with a full scan.
    #[test]
    fn concurrent_operations_lose_nothing() {
        let t: Arc<Table<Token>> = Arc::new(Table::with_capacity(1 << 12));
        let start = std::time::Instant::now();
        let threads: Vec<_> = (0..8u64)
            .map(|k| {
                let t = t.clone();
                std::thread::spawn(move || {
                    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (k + 1);
                    let mut rnd = move || {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x
                    };
                    for _ in 0..100_000 {
                        let r = rnd();
                        let fd = (r >> 8) as u32 % 64;
                        match r % 5 {
                            0 => {
                                let _ = t.insert(Token::new());
                            }
                            1 => drop(t.remove(fd)),
                            2 => {
                                if t.get(fd).is_ok() {
                                    let _ = t.insert_from((r >> 20) as u32 % 64, Token::new());
                                }
                            }
                            3 => {
                                let _ = t.renumber(fd, (r >> 20) as u32 % 64);
                            }
                            _ => {
                                let _ = t.with(fd, |_| ());
                            }
                        }
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(120));
        let n = t.entries().len();
        assert_eq!(t.len(), n);
        assert_eq!(LIVE.load(std::sync::atomic::Ordering::SeqCst), n as isize);
        for (i, _) in t.entries() {
            t.remove(i).unwrap();
        }
        assert_eq!(LIVE.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
