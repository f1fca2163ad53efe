//! One error vocabulary for the core, shaped like `wasi:filesystem/types.error-code` plus the
//! few codes the witx front ends need that 0.2 folds elsewhere (bad descriptor, not a socket).

use std::io;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ErrorCode {
    #[error("permission denied")]
    Access,
    #[error("operation would block")]
    WouldBlock,
    #[error("connection already in progress")]
    Already,
    #[error("bad descriptor")]
    BadDescriptor,
    #[error("device or resource busy")]
    Busy,
    #[error("resource deadlock would occur")]
    Deadlock,
    #[error("storage quota exceeded")]
    Quota,
    #[error("file exists")]
    Exist,
    #[error("file too large")]
    FileTooLarge,
    #[error("illegal byte sequence")]
    IllegalByteSequence,
    #[error("operation in progress")]
    InProgress,
    #[error("interrupted")]
    Interrupted,
    #[error("invalid argument")]
    Invalid,
    #[error("i/o error")]
    Io,
    #[error("is a directory")]
    IsDirectory,
    #[error("too many levels of symbolic links")]
    Loop,
    #[error("too many links")]
    TooManyLinks,
    #[error("message too large")]
    MessageSize,
    #[error("filename too long")]
    NameTooLong,
    #[error("no such device")]
    NoDevice,
    #[error("no such file or directory")]
    NoEntry,
    #[error("no locks available")]
    NoLock,
    #[error("not enough memory")]
    InsufficientMemory,
    #[error("no space left on device")]
    InsufficientSpace,
    #[error("not a directory")]
    NotDirectory,
    #[error("directory not empty")]
    NotEmpty,
    #[error("state not recoverable")]
    NotRecoverable,
    #[error("not supported")]
    Unsupported,
    #[error("inappropriate ioctl for device")]
    NoTty,
    #[error("no such device or address")]
    NoSuchDevice,
    #[error("value too large")]
    Overflow,
    #[error("operation not permitted")]
    NotPermitted,
    #[error("broken pipe")]
    Pipe,
    #[error("read-only file system")]
    ReadOnly,
    #[error("invalid seek")]
    InvalidSeek,
    #[error("text file busy")]
    TextFileBusy,
    #[error("cross-device link")]
    CrossDevice,
    // Beyond wasi:filesystem's list:
    #[error("not a socket")]
    NotSocket,
    #[error("capability insufficient")]
    NotCapable,
    #[error("too many open files")]
    TooManyOpen,
    #[error("argument list too long")]
    TooBig,
    #[error("result out of range")]
    Range,
    // Sockets (wasi:sockets error-code, spelled as the errno they become):
    #[error("address in use")]
    AddressInUse,
    #[error("address not available")]
    AddressNotAvailable,
    #[error("connection refused")]
    ConnectionRefused,
    #[error("connection reset")]
    ConnectionReset,
    #[error("connection aborted")]
    ConnectionAborted,
    #[error("not connected")]
    NotConnected,
    #[error("already connected")]
    AlreadyConnected,
    #[error("timed out")]
    TimedOut,
    #[error("network unreachable")]
    NetworkUnreachable,
    #[error("host unreachable")]
    HostUnreachable,
    #[error("address family not supported")]
    FamilyNotSupported,
    #[error("protocol not supported")]
    ProtocolNotSupported,
    #[error("destination address required")]
    DestinationRequired,
    #[error("name does not resolve")]
    NameUnresolvable,
    #[error("network is down")]
    NetworkDown,
}

pub type Result<T, E = ErrorCode> = std::result::Result<T, E>;

impl ErrorCode {
    /// Maps a host errno to the core vocabulary.
    pub fn from_raw_os(e: i32) -> ErrorCode {
        use ErrorCode::*;
        match e {
            libc::EACCES => Access,
            libc::EAGAIN => WouldBlock,
            libc::EALREADY => Already,
            libc::EBADF => BadDescriptor,
            libc::EBUSY => Busy,
            libc::EDEADLK => Deadlock,
            libc::EDQUOT => Quota,
            libc::EEXIST => Exist,
            libc::EFBIG => FileTooLarge,
            libc::EILSEQ => IllegalByteSequence,
            libc::EINPROGRESS => InProgress,
            libc::EINTR => Interrupted,
            libc::EINVAL => Invalid,
            libc::EIO => Io,
            libc::EISDIR => IsDirectory,
            libc::ELOOP => Loop,
            libc::EMLINK => TooManyLinks,
            libc::EMSGSIZE => MessageSize,
            libc::ENAMETOOLONG => NameTooLong,
            libc::ENODEV => NoDevice,
            libc::ENOENT => NoEntry,
            libc::ENOLCK => NoLock,
            libc::ENOMEM => InsufficientMemory,
            libc::ENOSPC => InsufficientSpace,
            libc::ENOTDIR => NotDirectory,
            libc::ENOTEMPTY => NotEmpty,
            libc::ENOTRECOVERABLE => NotRecoverable,
            libc::ENOTSUP => Unsupported,
            libc::ENOTTY => NoTty,
            libc::ENXIO => NoSuchDevice,
            libc::EOVERFLOW => Overflow,
            libc::EPERM => NotPermitted,
            libc::EPIPE => Pipe,
            libc::EROFS => ReadOnly,
            libc::ESPIPE => InvalidSeek,
            libc::ETXTBSY => TextFileBusy,
            libc::EXDEV => CrossDevice,
            libc::ENOTSOCK => NotSocket,
            libc::EMFILE | libc::ENFILE => TooManyOpen,
            libc::E2BIG => TooBig,
            libc::ERANGE => Range,
            libc::EADDRINUSE => AddressInUse,
            libc::EADDRNOTAVAIL => AddressNotAvailable,
            libc::ECONNREFUSED => ConnectionRefused,
            libc::ECONNRESET => ConnectionReset,
            libc::ECONNABORTED => ConnectionAborted,
            libc::ENOTCONN => NotConnected,
            libc::EISCONN => AlreadyConnected,
            libc::ETIMEDOUT => TimedOut,
            libc::ENETUNREACH => NetworkUnreachable,
            libc::EHOSTUNREACH => HostUnreachable,
            libc::EAFNOSUPPORT => FamilyNotSupported,
            libc::EPROTONOSUPPORT => ProtocolNotSupported,
            libc::EDESTADDRREQ => DestinationRequired,
            libc::ENETDOWN => NetworkDown,
            _ => Io,
        }
    }

    pub fn last_os() -> ErrorCode {
        Self::from_raw_os(io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl From<io::Error> for ErrorCode {
    fn from(e: io::Error) -> ErrorCode {
        if let Some(raw) = e.raw_os_error() {
            return ErrorCode::from_raw_os(raw);
        }
        use io::ErrorKind as K;
        match e.kind() {
            K::NotFound => ErrorCode::NoEntry,
            K::PermissionDenied => ErrorCode::Access,
            K::AlreadyExists => ErrorCode::Exist,
            K::WouldBlock => ErrorCode::WouldBlock,
            K::InvalidInput | K::InvalidData => ErrorCode::Invalid,
            K::Interrupted => ErrorCode::Interrupted,
            K::Unsupported => ErrorCode::Unsupported,
            K::BrokenPipe => ErrorCode::Pipe,
            K::OutOfMemory => ErrorCode::InsufficientMemory,
            _ => ErrorCode::Io,
        }
    }
}

impl From<virtual_net::NetworkError> for ErrorCode {
    fn from(e: virtual_net::NetworkError) -> ErrorCode {
        use virtual_net::NetworkError as N;
        match e {
            N::InvalidFd => ErrorCode::BadDescriptor,
            N::AlreadyExists => ErrorCode::Exist,
            N::Lock => ErrorCode::NoLock,
            N::IOError | N::UnknownError => ErrorCode::Io,
            N::AddressInUse => ErrorCode::AddressInUse,
            N::AddressNotAvailable => ErrorCode::AddressNotAvailable,
            N::BrokenPipe => ErrorCode::Pipe,
            N::InsufficientMemory => ErrorCode::InsufficientMemory,
            N::ConnectionAborted => ErrorCode::ConnectionAborted,
            N::ConnectionRefused => ErrorCode::ConnectionRefused,
            N::ConnectionReset => ErrorCode::ConnectionReset,
            N::Interrupted => ErrorCode::Interrupted,
            N::InvalidData | N::InvalidInput => ErrorCode::Invalid,
            N::MessageSize => ErrorCode::MessageSize,
            N::NotConnected => ErrorCode::NotConnected,
            N::NoDevice => ErrorCode::NoDevice,
            N::PermissionDenied => ErrorCode::Access,
            N::TimedOut => ErrorCode::TimedOut,
            N::UnexpectedEof => ErrorCode::ConnectionReset,
            N::WouldBlock => ErrorCode::WouldBlock,
            N::WriteZero => ErrorCode::Pipe,
            N::TooManyOpenFiles => ErrorCode::TooManyOpen,
            N::Unsupported => ErrorCode::Unsupported,
            N::NetworkUnreachable => ErrorCode::NetworkUnreachable,
            N::HostUnreachable => ErrorCode::HostUnreachable,
            #[allow(unreachable_patterns)]
            _ => ErrorCode::Io,
        }
    }
}

impl From<virtual_fs::FsError> for ErrorCode {
    fn from(e: virtual_fs::FsError) -> ErrorCode {
        use virtual_fs::FsError as F;
        match e {
            F::BaseNotDirectory => ErrorCode::NotDirectory,
            F::NotAFile => ErrorCode::IsDirectory,
            F::NoDevice => ErrorCode::NoDevice,
            F::InvalidFd => ErrorCode::BadDescriptor,
            F::AlreadyExists => ErrorCode::Exist,
            F::Lock => ErrorCode::NoLock,
            F::IOError | F::UnknownError => ErrorCode::Io,
            F::AddressInUse | F::AddressNotAvailable | F::BrokenPipe => ErrorCode::Pipe,
            F::EntryNotFound => ErrorCode::NoEntry,
            F::PermissionDenied => ErrorCode::Access,
            F::DirectoryNotEmpty => ErrorCode::NotEmpty,
            F::WouldBlock => ErrorCode::WouldBlock,
            F::InvalidInput | F::InvalidData => ErrorCode::Invalid,
            F::Interrupted => ErrorCode::Interrupted,
            F::StorageFull => ErrorCode::InsufficientSpace,
            F::Unsupported => ErrorCode::Unsupported,
            _ => ErrorCode::Io,
        }
    }
}
