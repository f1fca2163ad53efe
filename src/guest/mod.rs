//! Guest-memory access for every front end: one bounds-checked accessor over a linear
//! memory (32- or 64-bit offsets), Pod reads/writes, and strings.

pub mod addr;
pub mod layout;
pub mod types;

use bytemuck::Pod;
use std::io::{IoSlice, IoSliceMut};
use std::marker::PhantomData;

/// A guest pointer or length was outside linear memory (or overflowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MemError {
    #[error("guest memory access out of bounds")]
    Fault,
    #[error("guest string is not valid UTF-8")]
    Utf8,
    /// A value does not fit the guest's width (a size over 4 GiB into a wasm32 slot).
    #[error("value does not fit the guest's integer width")]
    Overflow,
}

/// Offset width of a memory: `M32` for wasm32 (preview0/1, wasix_32v1), `M64` for wasix_64v1.
pub trait MemSize: Copy + Send + Sync + 'static {
    type Offset: wasmer::FromToNativeWasmType + Copy + Send + Sync + 'static;
    const BYTES: usize;
    fn to_u64(o: Self::Offset) -> u64;
    /// `None` when the value does not fit (a 64-bit count into a 32-bit slot).
    fn from_u64(v: u64) -> Option<Self::Offset>;
}

#[derive(Clone, Copy, Debug)]
pub struct M32;
#[derive(Clone, Copy, Debug)]
pub struct M64;

impl MemSize for M32 {
    type Offset = u32;
    const BYTES: usize = 4;
    #[inline]
    fn to_u64(o: u32) -> u64 {
        o as u64
    }
    #[inline]
    fn from_u64(v: u64) -> Option<u32> {
        u32::try_from(v).ok()
    }
}

impl MemSize for M64 {
    type Offset = u64;
    const BYTES: usize = 8;
    #[inline]
    fn to_u64(o: u64) -> u64 {
        o
    }
    #[inline]
    fn from_u64(v: u64) -> Option<u64> {
        Some(v)
    }
}

/// A view of guest linear memory for the duration of one host call.
///
/// Safety model: the host call holds the store, so the memory cannot grow or move while
/// this exists, and every access is bounds-checked against the length seen at creation.
///
/// Two modes. An unshared memory is only touched by the calling thread, so `slice`,
/// `slice_mut`, `str` and the iovec gathers hand out references straight into it (zero
/// copy). A *shared* memory (threads) can change under us at any moment, and a Rust
/// reference to bytes another thread writes is undefined behaviour: there, those calls
/// copy the bytes out into scratch buffers owned by this view (byte copies through raw
/// pointers, never references into guest memory), and buffers handed out mutably are
/// copied back into guest memory when the view is dropped at the end of the call. Each
/// region is copied once per call. `read` / `write` of Pod values and the atomic futex load
/// never form references in either mode.
///
/// Aliasing (unshared mode): the guest chooses every pointer, so two regions of one call
/// may overlap (two iovecs over the same bytes, a readlink buffer over its own path).
/// Handing out a `&mut` that overlaps another live reference would be undefined behaviour
/// even with one thread, so the view remembers the regions it referenced during the call
/// and serves an overlapping one from a scratch copy instead (written back on drop, after
/// every reference has ended; for overlapping read buffers the later one wins, as in
/// `readv`). Raw writes (`write`, `copy_out`) are the encode step of an import and come
/// after the last use of the references it decoded, as every import here is written.
pub struct GuestMem<'a> {
    base: *mut u8,
    len: std::cell::Cell<u64>,
    /// Shared memories that never move: the caller's cached length may be stale (another
    /// thread grew the memory); this gives the current one when a check would fail.
    grown: Option<&'a dyn Fn() -> u64>,
    shared: bool,
    /// Scratch copies handed out by this view; freed (and written back) on drop.
    scratch: std::cell::RefCell<Vec<Scratch>>,
    /// Unshared mode: where this view's claims start in the thread's [`CLAIMS`] (set by
    /// the first claim; `None` until then, so calls that borrow nothing never touch it).
    claims_from: std::cell::Cell<Option<usize>>,
    _p: PhantomData<&'a mut [u8]>,
}

/// A scratch copy: our allocation of `len` bytes and, when it is written back, the guest
/// offset and how many of its first bytes to copy back.
struct Scratch {
    buf: *mut u8,
    len: usize,
    back: Option<(u64, usize)>,
}

/// A region of guest memory a reference of this call points into.
#[derive(Clone, Copy)]
struct Borrow {
    start: u64,
    end: u64,
    mutable: bool,
}

thread_local! {
    /// The regions the views on this thread have referenced, innermost view last (a view
    /// made during another's call — a signal handler's import — stacks above it). Kept
    /// outside `GuestMem` so that building a view per import costs nothing for it.
    static CLAIMS: std::cell::RefCell<Vec<Borrow>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for GuestMem<'_> {
    fn drop(&mut self) {
        self.release_claims(None);
        for Scratch { buf, len, back } in self.scratch.get_mut().drain(..) {
            if let Some((at, n)) = back {
                // SAFETY: `at..at+len` (and `n <= len`) was bounds-checked when the copy
                // was made and the memory cannot have shrunk; `buf` is our own allocation
                // of `len` bytes; no reference into either is alive (the view is dropping).
                unsafe { std::ptr::copy_nonoverlapping(buf, self.base.add(at as usize), n) };
            }
            // SAFETY: made by `Box::into_raw` of a `len`-byte boxed slice in `copy`.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buf, len)) });
        }
    }
}

impl<'a> GuestMem<'a> {
    /// # Safety
    /// `base..base+len` must be valid, writable memory for `'a`. When `shared`, other
    /// threads may write it meanwhile (and no reference into it is ever made).
    pub unsafe fn new(base: *mut u8, len: u64, shared: bool) -> Self {
        GuestMem {
            base,
            len: std::cell::Cell::new(len),
            grown: None,
            shared,
            scratch: Default::default(),
            claims_from: Default::default(),
            _p: PhantomData,
        }
    }

    /// A view of a shared memory from a cached (base, length): no engine call per host
    /// call (taking the memory's lock for a fresh view costs every thread of the guest a
    /// cache-line transfer), and `grown` is asked for the current length only when an
    /// access falls past the cached one.
    ///
    /// # Safety
    /// As [`GuestMem::new`] with `shared`; moreover the memory must never move (`base`
    /// stays valid as it grows), and `grown` must return the current length of this same
    /// memory, which never shrinks.
    pub unsafe fn new_growable(base: *mut u8, len: u64, grown: &'a dyn Fn() -> u64) -> Self {
        GuestMem {
            base,
            len: std::cell::Cell::new(len),
            grown: Some(grown),
            shared: true,
            scratch: Default::default(),
            claims_from: Default::default(),
            _p: PhantomData,
        }
    }

    /// A view over a plain byte buffer (tests, embedders).
    pub fn from_slice(s: &'a mut [u8]) -> Self {
        GuestMem {
            base: s.as_mut_ptr(),
            len: std::cell::Cell::new(s.len() as u64),
            grown: None,
            shared: false,
            scratch: Default::default(),
            claims_from: Default::default(),
            _p: PhantomData,
        }
    }

    /// Whether this view copies instead of referencing (a shared memory).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// A scratch copy of `p..p+len` (already bounds-checked), copied back whole on drop
    /// when `back`.
    #[allow(clippy::mut_from_ref)]
    fn copy(&self, p: usize, len: usize, back: bool) -> &mut [u8] {
        let mut b = Box::<[u8]>::new_uninit_slice(len);
        // SAFETY: in bounds (checked by the caller); a raw byte copy, no reference to guest
        // memory is formed, and it initialises all `len` bytes.
        let b = unsafe {
            std::ptr::copy_nonoverlapping(self.base.add(p), b.as_mut_ptr() as *mut u8, len);
            b.assume_init()
        };
        self.keep(b, back.then_some((p as u64, len)))
    }

    /// A zero-filled scratch buffer for `len` bytes that a read will fill; nothing is
    /// copied back until [`GuestMem::with_iovecs`] knows how much was filled.
    #[allow(clippy::mut_from_ref)]
    fn blank(&self, p: usize, len: usize) -> &mut [u8] {
        self.keep(vec![0u8; len].into_boxed_slice(), Some((p as u64, 0)))
    }

    #[allow(clippy::mut_from_ref)]
    fn keep(&self, b: Box<[u8]>, back: Option<(u64, usize)>) -> &mut [u8] {
        let len = b.len();
        let buf = Box::into_raw(b) as *mut u8;
        self.scratch.borrow_mut().push(Scratch { buf, len, back });
        // SAFETY: our own allocation, alive until drop and handed out exactly once.
        unsafe { std::slice::from_raw_parts_mut(buf, len) }
    }

    /// Unshared mode: records a reference to `p..p+len` and says whether it may point into
    /// guest memory itself (false: it overlaps a live reference it would alias).
    #[inline]
    fn claim(&self, p: usize, len: u64, mutable: bool) -> bool {
        if len == 0 {
            return true;
        }
        let (start, end) = (p as u64, p as u64 + len);
        CLAIMS.with_borrow_mut(|b| {
            let from = match self.claims_from.get() {
                Some(f) => f,
                None => {
                    self.claims_from.set(Some(b.len()));
                    b.len()
                }
            };
            let clash = b[from..]
                .iter()
                .any(|o| (mutable || o.mutable) && o.start < end && start < o.end);
            if !clash {
                b.push(Borrow {
                    start,
                    end,
                    mutable,
                });
            }
            !clash
        })
    }

    /// How many claims this view holds now (a mark to release back to).
    fn claim_mark(&self) -> Option<usize> {
        self.claims_from
            .get()
            .map(|_| CLAIMS.with_borrow(|b| b.len()))
    }

    /// Releases the claims made since `mark` (their references have ended).
    fn release_claims(&self, mark: Option<usize>) {
        if let Some(from) = self.claims_from.get() {
            let keep = mark.unwrap_or(from);
            CLAIMS.with_borrow_mut(|b| b.truncate(keep));
        }
    }

    #[inline]
    pub fn len(&self) -> u64 {
        self.len.get()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    #[inline]
    fn check(&self, ptr: u64, len: u64) -> Result<usize, MemError> {
        match ptr.checked_add(len) {
            Some(end) if end <= self.len.get() => Ok(ptr as usize),
            Some(end) => self.check_grown(ptr, end),
            None => Err(MemError::Fault),
        }
    }

    /// Past the known length: maybe another thread grew the memory since it was cached.
    #[cold]
    fn check_grown(&self, ptr: u64, end: u64) -> Result<usize, MemError> {
        if let Some(grown) = self.grown {
            let now = grown();
            if now > self.len.get() {
                self.len.set(now);
            }
            if end <= self.len.get() {
                return Ok(ptr as usize);
            }
        }
        Err(MemError::Fault)
    }

    /// Only checks that `ptr..ptr+len` is inside memory.
    #[inline]
    pub fn check_range(&self, ptr: u64, len: u64) -> Result<(), MemError> {
        self.check(ptr, len).map(|_| ())
    }

    /// The bytes at `ptr..ptr+len` (a copy when the memory is shared).
    #[inline]
    pub fn slice(&self, ptr: u64, len: u64) -> Result<&[u8], MemError> {
        let p = self.check(ptr, len)?;
        if self.shared || !self.claim(p, len, false) {
            return Ok(self.copy(p, len as usize, false));
        }
        // SAFETY: bounds checked above; unshared, so only this thread touches it, and no
        // live `&mut` of this view overlaps it (`claim`).
        Ok(unsafe { std::slice::from_raw_parts(self.base.add(p), len as usize) })
    }

    /// Writable bytes at `ptr..ptr+len`: the guest's own (unshared), or a copy written back
    /// when this view is dropped (shared).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn slice_mut(&self, ptr: u64, len: u64) -> Result<&mut [u8], MemError> {
        let p = self.check(ptr, len)?;
        if self.shared || !self.claim(p, len, true) {
            return Ok(self.copy(p, len as usize, true));
        }
        // SAFETY: bounds checked above; unshared, so only this thread touches it, and no
        // other live reference of this view overlaps it (`claim`).
        Ok(unsafe { std::slice::from_raw_parts_mut(self.base.add(p), len as usize) })
    }

    /// A read buffer at `ptr..ptr+len`, and whether it is a scratch copy. Shared mode:
    /// the copy starts blank. Unshared, a buffer overlapping a live reference is a copy of
    /// the guest bytes. Either way nothing is copied back until [`GuestMem::with_iovecs`]
    /// knows how far the read filled it, so bytes past the data stay as they are.
    #[allow(clippy::mut_from_ref)]
    fn read_buf(&self, ptr: u64, len: u64) -> Result<(&mut [u8], bool), MemError> {
        let p = self.check(ptr, len)?;
        if self.shared {
            return Ok((self.blank(p, len as usize), true));
        }
        if !self.claim(p, len, true) {
            let b = self.copy(p, len as usize, true);
            if let Some(s) = self.scratch.borrow_mut().last_mut() {
                s.back = Some((p as u64, 0));
            }
            return Ok((b, true));
        }
        // SAFETY: as `slice_mut`.
        Ok((
            unsafe { std::slice::from_raw_parts_mut(self.base.add(p), len as usize) },
            false,
        ))
    }

    /// Reads a Pod value (guest pointers need not be aligned).
    #[inline]
    pub fn read<T: Pod>(&self, ptr: u64) -> Result<T, MemError> {
        let p = self.check(ptr, std::mem::size_of::<T>() as u64)?;
        // SAFETY: in bounds; read_unaligned tolerates any alignment; T is Pod.
        Ok(unsafe { std::ptr::read_unaligned(self.base.add(p) as *const T) })
    }

    #[inline]
    pub fn write<T: Pod>(&self, ptr: u64, v: T) -> Result<(), MemError> {
        let p = self.check(ptr, std::mem::size_of::<T>() as u64)?;
        // SAFETY: in bounds; write_unaligned tolerates any alignment; T is Pod.
        unsafe { std::ptr::write_unaligned(self.base.add(p) as *mut T, v) };
        Ok(())
    }

    /// Atomically loads an aligned u32 (a futex word other threads may be storing to).
    /// `None` when `ptr` is not 4-byte aligned; `Err` when out of bounds.
    #[inline]
    pub fn load_u32_atomic(&self, ptr: u64) -> Result<Option<u32>, MemError> {
        let p = self.check(ptr, 4)?;
        if !ptr.is_multiple_of(4) {
            return Ok(None);
        }
        // SAFETY: in bounds. A linear memory's base is page-aligned, so the host address is
        // 4-aligned too and the atomic load is sound however other threads access the word;
        // a plain byte buffer (`from_slice`) may not be aligned, and nothing else can touch
        // it meanwhile, so it is read plainly.
        unsafe {
            let at = self.base.add(p);
            if (at as usize).is_multiple_of(4) {
                let a = std::sync::atomic::AtomicU32::from_ptr(at as *mut u32);
                Ok(Some(a.load(std::sync::atomic::Ordering::SeqCst)))
            } else {
                Ok(Some(std::ptr::read_unaligned(at as *const u32)))
            }
        }
    }

    /// Reads a guest-sized offset (u32 or u64).
    #[inline]
    pub fn read_off<M: MemSize>(&self, ptr: u64) -> Result<u64, MemError> {
        if M::BYTES == 4 {
            self.read::<u32>(ptr).map(u64::from)
        } else {
            self.read::<u64>(ptr)
        }
    }

    /// Writes a guest-sized offset; a value beyond the guest's width is `Overflow` (and
    /// nothing is written), never a silent wrap.
    #[inline]
    pub fn write_off<M: MemSize>(&self, ptr: u64, v: u64) -> Result<(), MemError> {
        if M::BYTES == 4 {
            let v = u32::try_from(v).map_err(|_| MemError::Overflow)?;
            self.write::<u32>(ptr, v)
        } else {
            self.write::<u64>(ptr, v)
        }
    }

    /// Element `i` of an array of `T` at `ptr`, with overflow-checked address arithmetic.
    #[inline]
    pub fn elem_addr<T>(ptr: u64, i: u64) -> Result<u64, MemError> {
        i.checked_mul(std::mem::size_of::<T>() as u64)
            .and_then(|o| ptr.checked_add(o))
            .ok_or(MemError::Fault)
    }

    /// A UTF-8 string of `len` bytes at `ptr`.
    pub fn str(&self, ptr: u64, len: u64) -> Result<&str, MemError> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| MemError::Utf8)
    }

    /// Writes all of `bytes` at `ptr` (a raw copy: no reference into guest memory).
    #[inline]
    pub fn write_bytes(&self, ptr: u64, bytes: &[u8]) -> Result<(), MemError> {
        self.copy_out(ptr, bytes.len() as u64, bytes).map(|_| ())
    }

    /// Copies `bytes` to the guest, at most `cap` of them; returns the number copied.
    pub fn copy_out(&self, ptr: u64, cap: u64, bytes: &[u8]) -> Result<usize, MemError> {
        let n = (bytes.len() as u64).min(cap);
        let p = self.check(ptr, n)?;
        // SAFETY: in bounds; a raw byte copy (no reference into guest memory).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(p), n as usize) };
        Ok(n as usize)
    }

    /// Gathers an iovec array (`{buf, len}` pairs of guest offsets) into host slices and
    /// hands them to `f` for one vectored read. Everything is checked before any I/O;
    /// up to 16 entries live on the stack (no allocation on the hot path). What `f`
    /// returns says how many bytes it put into the buffers, in order ([`Filled`]): in
    /// shared mode exactly those bytes are copied back to the guest.
    pub fn with_iovecs<M: MemSize, R: Filled>(
        &self,
        iovs: u64,
        count: u64,
        f: impl FnOnce(&mut [IoSliceMut<'_>]) -> R,
    ) -> Result<R, MemError> {
        let table = self.iov_table::<M>(iovs, count)?;
        // Past IOV_MAX entries a call is short (as the host's readv/writev would make it):
        // the guest's whole array is checked, but the host never gathers more than this.
        let count = count.min(IOV_MAX);
        let first_scratch = self.scratch.borrow().len();
        let claims = self.claim_mark();
        // Each buffer's length and whether it is a scratch copy, in iovec order (read
        // once: a read may overwrite the guest's own iovec table).
        let mut order: smallvec::SmallVec<[(usize, bool); STACK_IOVS]> = Default::default();
        let mut get = |i: u64| -> Result<IoSliceMut<'_>, MemError> {
            let (buf, len) = self.iov_at::<M>(table, i)?;
            let (b, copied) = self.read_buf(buf, len)?;
            order.push((b.len(), copied));
            Ok(IoSliceMut::new(b))
        };
        let r = if count <= STACK_IOVS as u64 {
            let mut arr: [IoSliceMut<'_>; STACK_IOVS] =
                std::array::from_fn(|_| IoSliceMut::new(&mut []));
            for i in 0..count {
                arr[i as usize] = get(i)?;
            }
            f(&mut arr[..count as usize])
        } else {
            let mut v = Vec::with_capacity(count.min(4096) as usize);
            for i in 0..count {
                v.push(get(i)?);
            }
            f(&mut v)
        };
        // The buffers' references ended with `f`: their regions are free again.
        self.release_claims(claims);
        let mut scratch = self.scratch.borrow_mut();
        if scratch.len() > first_scratch {
            // The data filled the buffers in iovec order: copy back exactly that much of
            // each scratch copy, when the view drops.
            let mut left = r.filled();
            let mut copies = scratch[first_scratch..].iter_mut();
            for (len, copied) in order {
                let n = left.min(len);
                left -= n;
                if copied {
                    if let Some(Scratch {
                        back: Some((_, k)), ..
                    }) = copies.next()
                    {
                        *k = n;
                    }
                }
            }
        }
        Ok(r)
    }

    /// The iovec array as raw `iovec`s pointing into guest memory itself, for a syscall to
    /// read or fill: nothing in Rust reads or writes through them (the kernel does), so no
    /// reference is formed and a shared memory needs no copy. Every buffer is checked
    /// first; up to 16 entries live on the stack.
    ///
    /// # Safety
    /// The kernel's access must not alias a reference this view handed out: call it on a
    /// shared memory (which never hands any out) before any scratch copy of the call, so no
    /// copy written back on drop can overwrite what the kernel stored.
    pub unsafe fn with_raw_iovecs<M: MemSize, R>(
        &self,
        iovs: u64,
        count: u64,
        f: impl FnOnce(&[libc::iovec]) -> R,
    ) -> Result<R, MemError> {
        let table = self.iov_table::<M>(iovs, count)?;
        // Past IOV_MAX entries a call is short (as the host's readv/writev would make it):
        // the guest's whole array is checked, but the host never gathers more than this.
        let count = count.min(IOV_MAX);
        let get = |i: u64| -> Result<libc::iovec, MemError> {
            let (buf, len) = self.iov_at::<M>(table, i)?;
            let p = self.check(buf, len)?;
            Ok(libc::iovec {
                // SAFETY: in bounds (checked above); only an address is computed.
                iov_base: unsafe { self.base.add(p) } as *mut libc::c_void,
                iov_len: len as usize,
            })
        };
        let empty = libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        if count <= STACK_IOVS as u64 {
            let mut arr = [empty; STACK_IOVS];
            for i in 0..count {
                arr[i as usize] = get(i)?;
            }
            Ok(f(&arr[..count as usize]))
        } else {
            let mut v = Vec::with_capacity(count.min(4096) as usize);
            for i in 0..count {
                v.push(get(i)?);
            }
            Ok(f(&v))
        }
    }

    /// Read-only counterpart of [`GuestMem::with_iovecs`] (ciovec arrays).
    pub fn with_ciovecs<M: MemSize, R>(
        &self,
        iovs: u64,
        count: u64,
        f: impl FnOnce(&[IoSlice<'_>]) -> R,
    ) -> Result<R, MemError> {
        let table = self.iov_table::<M>(iovs, count)?;
        // Past IOV_MAX entries a call is short (as the host's readv/writev would make it):
        // the guest's whole array is checked, but the host never gathers more than this.
        let count = count.min(IOV_MAX);
        let claims = self.claim_mark();
        let get = |i: u64| -> Result<IoSlice<'_>, MemError> {
            let (buf, len) = self.iov_at::<M>(table, i)?;
            Ok(IoSlice::new(self.slice(buf, len)?))
        };
        let r = if count <= STACK_IOVS as u64 {
            let mut arr = [IoSlice::new(&[]); STACK_IOVS];
            for i in 0..count {
                arr[i as usize] = get(i)?;
            }
            f(&arr[..count as usize])
        } else {
            let mut v = Vec::with_capacity(count.min(4096) as usize);
            for i in 0..count {
                v.push(get(i)?);
            }
            f(&v)
        };
        // The buffers' references ended with `f`: their regions are free again.
        self.release_claims(claims);
        Ok(r)
    }

    fn iov_table<M: MemSize>(&self, iovs: u64, count: u64) -> Result<u64, MemError> {
        let bytes = count
            .checked_mul(2 * M::BYTES as u64)
            .ok_or(MemError::Fault)?;
        self.check(iovs, bytes).map(|p| p as u64)
    }

    #[inline]
    fn iov_at<M: MemSize>(&self, table: u64, i: u64) -> Result<(u64, u64), MemError> {
        let at = table + i * 2 * M::BYTES as u64;
        Ok((
            self.read_off::<M>(at)?,
            self.read_off::<M>(at + M::BYTES as u64)?,
        ))
    }
}

const STACK_IOVS: usize = 16;

/// The most iovecs one call gathers (Linux's IOV_MAX).
const IOV_MAX: u64 = 1024;

/// How many bytes a vectored read put into its buffers (0 for an error).
pub trait Filled {
    fn filled(&self) -> usize;
}

impl Filled for usize {
    fn filled(&self) -> usize {
        *self
    }
}

impl Filled for (usize, bool) {
    fn filled(&self) -> usize {
        self.0
    }
}

impl<A> Filled for (usize, A, bool) {
    fn filled(&self) -> usize {
        self.0
    }
}

impl<T: Filled, E> Filled for Result<T, E> {
    fn filled(&self) -> usize {
        self.as_ref().map_or(0, T::filled)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cached_length_is_refreshed_only_past_its_end() {
        let mut buf = vec![0u8; 8192];
        let calls = std::cell::Cell::new(0);
        let grown = || {
            calls.set(calls.get() + 1);
            8192
        };
        // SAFETY: `buf` outlives the view and does not move; `grown` reports its length.
        let m = unsafe { GuestMem::new_growable(buf.as_mut_ptr(), 4096, &grown) };
        m.write::<u32>(100, 7).unwrap();
        assert_eq!(calls.get(), 0);
        m.write::<u32>(5000, 9).unwrap();
        assert_eq!((calls.get(), m.len()), (1, 8192));
        assert_eq!(m.read::<u32>(8190), Err(MemError::Fault));
        assert_eq!(calls.get(), 2);
        drop(m);
        assert_eq!(u32::from_le_bytes(buf[5000..5004].try_into().unwrap()), 9);
    }

    use super::*;

    #[test]
    fn bounds_and_overflow() {
        let mut buf = vec![0u8; 64];
        let m = GuestMem::from_slice(&mut buf);
        assert!(m.slice(60, 4).is_ok());
        assert_eq!(m.slice(60, 5).unwrap_err(), MemError::Fault);
        assert_eq!(m.slice(u64::MAX, 2).unwrap_err(), MemError::Fault);
        m.write::<u64>(3, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(m.read::<u64>(3).unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(m.read::<u32>(62).unwrap_err(), MemError::Fault);
        assert_eq!(
            GuestMem::elem_addr::<u64>(u64::MAX - 4, 1).unwrap_err(),
            MemError::Fault
        );
    }

    #[test]
    fn iovecs_are_checked_before_use() {
        let mut buf = vec![0u8; 64];
        let m = GuestMem::from_slice(&mut buf);
        m.write::<u32>(0, 16).unwrap();
        m.write::<u32>(4, 8).unwrap();
        m.write::<u32>(8, 60).unwrap();
        m.write::<u32>(12, 8).unwrap(); // out of bounds
        assert_eq!(m.with_ciovecs::<M32, _>(0, 1, |v| v.len()).unwrap(), 1);
        assert_eq!(
            m.with_ciovecs::<M32, _>(0, 2, |v| v.len()).unwrap_err(),
            MemError::Fault
        );
        assert_eq!(
            m.with_ciovecs::<M32, _>(0, u64::MAX, |v| v.len())
                .unwrap_err(),
            MemError::Fault
        );
        m.write::<u8>(16, 0xff).unwrap();
        assert_eq!(m.str(16, 1).unwrap_err(), MemError::Utf8);
    }

    #[test]
    fn write_off_never_wraps() {
        let mut buf = [0xAAu8; 16];
        let m = GuestMem::from_slice(&mut buf);
        assert_eq!(m.write_off::<M32>(0, 1 << 32), Err(MemError::Overflow));
        assert_eq!(m.read::<u32>(0), Ok(0xAAAA_AAAA), "nothing written");
        assert_eq!(m.write_off::<M32>(4, u32::MAX as u64), Ok(()));
        assert_eq!(m.read::<u32>(4), Ok(u32::MAX));
        assert_eq!(m.write_off::<M64>(8, 1 << 40), Ok(()));
        assert_eq!(m.read_off::<M64>(8), Ok(1 << 40));
    }

    #[test]
    fn atomic_load_checks_alignment_and_bounds() {
        let mut buf = [0u8; 8];
        buf[4] = 7;
        let m = GuestMem::from_slice(&mut buf);
        assert_eq!(m.load_u32_atomic(4), Ok(Some(7)));
        assert_eq!(m.load_u32_atomic(2), Ok(None));
        assert_eq!(m.load_u32_atomic(8), Err(MemError::Fault));
        assert_eq!(m.load_u32_atomic(u64::MAX - 1), Err(MemError::Fault));
    }

    /// Raw iovecs point into the memory itself, and a bad entry fails before `f` runs.
    #[test]
    fn raw_iovecs_point_into_memory_after_checks() {
        let mut buf = [0u8; 64];
        let base = buf.as_mut_ptr() as usize;
        let m = GuestMem::from_slice(&mut buf);
        m.write::<u32>(0, 16).unwrap();
        m.write::<u32>(4, 8).unwrap();
        m.write::<u32>(8, 60).unwrap();
        m.write::<u32>(12, 8).unwrap(); // 60..68: past the end
                                        // SAFETY: nothing else of this view is borrowed, and `f` only reads the iovecs.
        let got = unsafe {
            m.with_raw_iovecs::<M32, _>(0, 1, |v| (v[0].iov_base as usize - base, v[0].iov_len))
        }
        .unwrap();
        assert_eq!(got, (16, 8));
        let mut ran = false;
        // SAFETY: as above.
        let r = unsafe { m.with_raw_iovecs::<M32, _>(0, 2, |_| ran = true) };
        assert_eq!(r, Err(MemError::Fault));
        assert!(!ran);
    }

    /// Two iovecs over the same bytes never become two `&mut` into guest memory: the
    /// second is a copy, and the bytes land as `readv` leaves them (in iovec order, the
    /// later buffer winning where they overlap, and only as far as the read filled).
    #[test]
    fn overlapping_read_buffers_do_not_alias() {
        let mut buf = [b'.'; 64];
        let m = GuestMem::from_slice(&mut buf);
        // iovec 0: 8 bytes at 32; iovec 1: 8 bytes at 36 (overlapping the last 4 of 0)
        for (i, (p, l)) in [(32u32, 8u32), (36, 8)].into_iter().enumerate() {
            m.write::<u32>(i as u64 * 8, p).unwrap();
            m.write::<u32>(i as u64 * 8 + 4, l).unwrap();
        }
        let n = m
            .with_iovecs::<M32, _>(0, 2, |v| {
                let a = v[0].as_ptr() as usize;
                let b = v[1].as_ptr() as usize;
                assert!(b < a || b >= a + 8, "the second buffer is not guest memory");
                v[0].copy_from_slice(b"ABCDEFGH");
                v[1][..3].copy_from_slice(b"xyz");
                11usize
            })
            .unwrap();
        assert_eq!(n, 11);
        drop(m);
        assert_eq!(&buf[32..44], b"ABCDxyzH....");
    }

    /// A string and a mutable buffer over the same bytes: the buffer is a copy, so the
    /// string keeps its bytes for the whole call; the buffer lands on drop.
    #[test]
    fn a_mutable_buffer_over_a_live_string_is_a_copy() {
        let mut buf = *b"hello, world....";
        let m = GuestMem::from_slice(&mut buf);
        let s = m.str(0, 5).unwrap();
        let b = m.slice_mut(2, 4).unwrap();
        b.copy_from_slice(b"LLO!");
        assert_eq!(s, "hello");
        drop(m);
        assert_eq!(&buf[..8], b"heLLO! w");
    }

    /// Shared mode: a read copies back only the bytes it filled, so bytes past them keep
    /// what other threads stored there meanwhile.
    #[test]
    fn shared_reads_copy_back_only_what_they_filled() {
        let mut mem = vec![b'.'; 256];
        let base = mem.as_mut_ptr();
        // SAFETY: `mem` outlives the view; the raw store below stands for another thread.
        let m = unsafe { GuestMem::new(base, 256, true) };
        m.write::<u32>(0, 100).unwrap();
        m.write::<u32>(4, 4).unwrap();
        m.write::<u32>(8, 200).unwrap();
        m.write::<u32>(12, 16).unwrap();
        let got = m
            .with_iovecs::<M32, _>(0, 2, |v| {
                v[0].copy_from_slice(b"abcd");
                v[1][..2].copy_from_slice(b"ef");
                // another thread writes just past the data meanwhile
                unsafe { *base.add(203) = b'!' };
                Ok::<usize, ()>(6)
            })
            .unwrap();
        assert_eq!(got, Ok(6));
        drop(m);
        assert_eq!(&mem[100..104], b"abcd");
        assert_eq!(&mem[200..206], b"ef.!..");
    }

    /// Shared mode: while another thread keeps rewriting the memory, reads see copies
    /// (each byte one of the values it held), writes land when the view is dropped, and
    /// nothing hands out a reference into the memory itself. (Racy byte copies are how a
    /// shared memory is read, as in wasmtime: Miri calls any race UB, so it skips this.)
    #[test]
    #[cfg_attr(miri, ignore)]
    fn shared_mode_copies_and_writes_back() {
        use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
        use std::sync::Arc;
        let mem: Arc<Vec<AtomicU8>> = Arc::new((0..4096).map(|_| AtomicU8::new(b'a')).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let scribbler = {
            let (mem, stop) = (mem.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut v = b'a';
                while !stop.load(Ordering::Relaxed) {
                    v = if v == b'a' { b'b' } else { b'a' };
                    for b in &mem[..1024] {
                        b.store(v, Ordering::Relaxed);
                    }
                }
            })
        };
        let base = mem.as_ptr() as *mut u8;
        for _ in 0..200 {
            // SAFETY: `mem` outlives the view; the other thread only uses atomics.
            let m = unsafe { GuestMem::new(base, 4096, true) };
            assert!(m.is_shared());
            let s = m.str(0, 512).unwrap();
            assert!(s.bytes().all(|b| b == b'a' || b == b'b'));
            // an iovec at 2048 naming 1000 bytes at 16
            m.write::<u32>(2048, 16).unwrap();
            m.write::<u32>(2052, 1000).unwrap();
            let n = m
                .with_ciovecs::<M32, _>(2048, 1, |v| {
                    v[0].iter().filter(|b| **b == b'a' || **b == b'b').count()
                })
                .unwrap();
            assert_eq!(n, 1000);
            m.slice_mut(3000, 8).unwrap().copy_from_slice(b"written!");
            assert_eq!(
                mem[3000].load(Ordering::Relaxed),
                b'a',
                "not before the drop"
            );
            drop(m);
            let got: Vec<u8> = mem[3000..3008]
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect();
            assert_eq!(&got, b"written!");
            mem[3000].store(b'a', Ordering::Relaxed);
        }
        stop.store(true, Ordering::Relaxed);
        scribbler.join().unwrap();
    }
}
