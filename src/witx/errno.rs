//! witx `errno` values and the mapping from core errors.

use crate::core::io::StreamError;
use crate::core::table::TableError;
use crate::core::ErrorCode;
use crate::guest::MemError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u16);

macro_rules! errnos {
    ($($name:ident = $v:literal),* $(,)?) => {
        impl Errno { $(pub const $name: Errno = Errno($v);)* }
        /// witx spelling of an errno, for traces and the compat-matrix.
        pub fn name(e: Errno) -> &'static str {
            match e.0 { $($v => { let n = stringify!($name); &n[..] })* _ => "?" }
        }
    };
}

errnos! {
    SUCCESS = 0, TOOBIG = 1, ACCES = 2, ADDRINUSE = 3, ADDRNOTAVAIL = 4, AFNOSUPPORT = 5,
    AGAIN = 6, ALREADY = 7, BADF = 8, BADMSG = 9, BUSY = 10, CANCELED = 11, CHILD = 12,
    CONNABORTED = 13, CONNREFUSED = 14, CONNRESET = 15, DEADLK = 16, DESTADDRREQ = 17,
    DOM = 18, DQUOT = 19, EXIST = 20, FAULT = 21, FBIG = 22, HOSTUNREACH = 23, IDRM = 24,
    ILSEQ = 25, INPROGRESS = 26, INTR = 27, INVAL = 28, IO = 29, ISCONN = 30, ISDIR = 31,
    LOOP = 32, MFILE = 33, MLINK = 34, MSGSIZE = 35, MULTIHOP = 36, NAMETOOLONG = 37,
    NETDOWN = 38, NETRESET = 39, NETUNREACH = 40, NFILE = 41, NOBUFS = 42, NODEV = 43,
    NOENT = 44, NOEXEC = 45, NOLCK = 46, NOLINK = 47, NOMEM = 48, NOMSG = 49,
    NOPROTOOPT = 50, NOSPC = 51, NOSYS = 52, NOTCONN = 53, NOTDIR = 54, NOTEMPTY = 55,
    NOTRECOVERABLE = 56, NOTSOCK = 57, NOTSUP = 58, NOTTY = 59, NXIO = 60, OVERFLOW = 61,
    OWNERDEAD = 62, PERM = 63, PIPE = 64, PROTO = 65, PROTONOSUPPORT = 66, PROTOTYPE = 67,
    RANGE = 68, ROFS = 69, SPIPE = 70, SRCH = 71, STALE = 72, TIMEDOUT = 73, TXTBSY = 74,
    XDEV = 75, NOTCAPABLE = 76, SHUTDOWN = 77, MEMVIOLATION = 78, UNKNOWN = 79,
}

impl From<ErrorCode> for Errno {
    fn from(e: ErrorCode) -> Errno {
        use ErrorCode::*;
        match e {
            Access => Errno::ACCES,
            WouldBlock => Errno::AGAIN,
            Already => Errno::ALREADY,
            BadDescriptor => Errno::BADF,
            Busy => Errno::BUSY,
            Deadlock => Errno::DEADLK,
            Quota => Errno::DQUOT,
            Exist => Errno::EXIST,
            FileTooLarge => Errno::FBIG,
            IllegalByteSequence => Errno::ILSEQ,
            InProgress => Errno::INPROGRESS,
            Interrupted => Errno::INTR,
            Invalid => Errno::INVAL,
            Io => Errno::IO,
            IsDirectory => Errno::ISDIR,
            Loop => Errno::LOOP,
            TooManyLinks => Errno::MLINK,
            MessageSize => Errno::MSGSIZE,
            NameTooLong => Errno::NAMETOOLONG,
            NoDevice => Errno::NODEV,
            NoEntry => Errno::NOENT,
            NoLock => Errno::NOLCK,
            InsufficientMemory => Errno::NOMEM,
            InsufficientSpace => Errno::NOSPC,
            NotDirectory => Errno::NOTDIR,
            NotEmpty => Errno::NOTEMPTY,
            NotRecoverable => Errno::NOTRECOVERABLE,
            Unsupported => Errno::NOTSUP,
            NoTty => Errno::NOTTY,
            NoSuchDevice => Errno::NXIO,
            Overflow => Errno::OVERFLOW,
            NotPermitted => Errno::PERM,
            Pipe => Errno::PIPE,
            ReadOnly => Errno::ROFS,
            InvalidSeek => Errno::SPIPE,
            TextFileBusy => Errno::TXTBSY,
            CrossDevice => Errno::XDEV,
            NotSocket => Errno::NOTSOCK,
            NotCapable => Errno::NOTCAPABLE,
            TooManyOpen => Errno::MFILE,
            TooBig => Errno::TOOBIG,
            Range => Errno::RANGE,
            AddressInUse => Errno::ADDRINUSE,
            AddressNotAvailable => Errno::ADDRNOTAVAIL,
            ConnectionRefused => Errno::CONNREFUSED,
            ConnectionReset => Errno::CONNRESET,
            ConnectionAborted => Errno::CONNABORTED,
            NotConnected => Errno::NOTCONN,
            AlreadyConnected => Errno::ISCONN,
            TimedOut => Errno::TIMEDOUT,
            NetworkUnreachable => Errno::NETUNREACH,
            HostUnreachable => Errno::HOSTUNREACH,
            FamilyNotSupported => Errno::AFNOSUPPORT,
            ProtocolNotSupported => Errno::PROTONOSUPPORT,
            DestinationRequired => Errno::DESTADDRREQ,
            NameUnresolvable => Errno::NOENT,
            NetworkDown => Errno::NETDOWN,
        }
    }
}

impl From<MemError> for Errno {
    /// `fault` here; the wasix namespaces turn it into `memviolation` at the boundary.
    fn from(e: MemError) -> Errno {
        match e {
            MemError::Fault => Errno::FAULT,
            MemError::Utf8 => Errno::ILSEQ,
            MemError::Overflow => Errno::OVERFLOW,
        }
    }
}

impl From<TableError> for Errno {
    fn from(e: TableError) -> Errno {
        match e {
            TableError::Full => Errno::MFILE,
            TableError::NotPresent | TableError::WrongType => Errno::BADF,
            TableError::HasChildren => Errno::BUSY,
        }
    }
}

impl From<StreamError> for Errno {
    fn from(e: StreamError) -> Errno {
        match e {
            StreamError::Closed => Errno::PIPE,
            StreamError::LastOperationFailed(c) => c.into(),
        }
    }
}
