//! Filesystem value types, shaped like `wasi:filesystem/types`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptorType {
    Unknown,
    BlockDevice,
    CharacterDevice,
    Directory,
    Fifo,
    SymbolicLink,
    RegularFile,
    Socket,
}

/// Timestamps are nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub ty: Option<DescriptorType>,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

impl Stat {
    pub fn ty(&self) -> DescriptorType {
        self.ty.unwrap_or(DescriptorType::Unknown)
    }
}

/// `open-flags` of 0.2 (the witx `oflags` carry the same four bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    pub create: bool,
    pub directory: bool,
    pub exclusive: bool,
    pub truncate: bool,
}

/// Access and behaviour of an opened descriptor: 0.2's `descriptor-flags` plus the two
/// witx fd flags 0.2 has no room for (`append`, `nonblock`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DescriptorFlags {
    pub read: bool,
    pub write: bool,
    pub append: bool,
    pub nonblock: bool,
    /// O_DSYNC
    pub data_sync: bool,
    /// O_SYNC
    pub file_sync: bool,
    /// O_RSYNC (Linux folds it into O_SYNC for reads)
    pub read_sync: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewTimestamp {
    NoChange,
    Now,
    At(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advice {
    Normal,
    Sequential,
    Random,
    WillNeed,
    DontNeed,
    NoReuse,
}

impl Advice {
    /// By position: the witx `advice` and WASI 0.2's `advice` number the cases alike.
    pub fn from_index(i: u32) -> Option<Advice> {
        Some(match i {
            0 => Advice::Normal,
            1 => Advice::Sequential,
            2 => Advice::Random,
            3 => Advice::WillNeed,
            4 => Advice::DontNeed,
            5 => Advice::NoReuse,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Raw bytes: host names need not be UTF-8.
    pub name: Vec<u8>,
    pub ino: u64,
    pub ty: DescriptorType,
}

/// Where `seek` starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    Set,
    Cur,
    End,
}
