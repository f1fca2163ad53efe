//! `#[repr(C)]` Pod mirrors of the witx records that cross guest memory, preview1 and the
//! preview0 variants. Padding is explicit so every byte is defined; `layout.rs` lists them
//! and a test checks each against the witx.

use bytemuck::{Pod, Zeroable};

/// `iovec` / `ciovec` on wasm32.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Iovec {
    pub buf: u32,
    pub buf_len: u32,
}

/// `fdstat`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Fdstat {
    pub fs_filetype: u8,
    pub _pad0: u8,
    pub fs_flags: u16,
    pub _pad1: u32,
    pub fs_rights_base: u64,
    pub fs_rights_inheriting: u64,
}

/// `filestat` (preview1: 64-bit link count).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub _pad0: [u8; 7],
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// `filestat` of preview0 (`wasi_unstable`): 32-bit link count, 56 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Filestat0 {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub _pad0: [u8; 3],
    pub nlink: u32,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// `dirent` header; the name follows it in the buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Dirent {
    pub d_next: u64,
    pub d_ino: u64,
    pub d_namlen: u32,
    pub d_type: u8,
    pub _pad0: [u8; 3],
}

/// `prestat`: union tagged by `preopentype` (only `dir`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Prestat {
    pub tag: u8,
    pub _pad0: [u8; 3],
    pub pr_name_len: u32,
}

/// `event` (same in preview0 and preview1).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Event {
    pub userdata: u64,
    pub error: u16,
    pub type_: u8,
    pub _pad0: [u8; 5],
    pub nbytes: u64,
    pub flags: u16,
    pub _pad1: [u8; 6],
}

/// preview1 `subscription`: the union's clock and fd_readwrite cases overlap at 16.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Subscription {
    pub userdata: u64,
    pub tag: u8,
    pub _pad0: [u8; 7],
    /// clock: `id`; fd_read / fd_write: `file_descriptor`.
    pub clock_id_or_fd: u32,
    pub _pad1: u32,
    pub timeout: u64,
    pub precision: u64,
    pub flags: u16,
    pub _pad2: [u8; 6],
}

/// preview0 `subscription`: the clock case carries its own `identifier` first (56 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Subscription0 {
    pub userdata: u64,
    pub tag: u8,
    pub _pad0: [u8; 7],
    /// clock: `identifier`; fd_read / fd_write: the low 32 bits are `file_descriptor`.
    pub identifier_or_fd: u64,
    pub clock_id: u32,
    pub _pad1: u32,
    pub timeout: u64,
    pub precision: u64,
    pub flags: u16,
    pub _pad2: [u8; 6],
}

const _: () = {
    assert!(std::mem::size_of::<Fdstat>() == 24);
    assert!(std::mem::size_of::<Filestat>() == 64);
    assert!(std::mem::size_of::<Filestat0>() == 56);
    assert!(std::mem::size_of::<Dirent>() == 24);
    assert!(std::mem::size_of::<Event>() == 32);
    assert!(std::mem::size_of::<Subscription>() == 48);
    assert!(std::mem::size_of::<Subscription0>() == 56);
};

/// WASIX `reflection_result` (`reflect_signature`'s answer).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct ReflectionResult {
    /// witx `bool`: 1 when the signature at this index cannot change.
    pub cacheable: u8,
    pub _pad: u8,
    pub arguments: u16,
    pub results: u16,
}
