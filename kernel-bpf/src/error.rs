//! The crate's one error type. Every variant maps to the errno Linux gives
//! for the same situation; `errno()` is exhaustive so a new variant forces
//! a choice.

use abi::Errno;
use core::fmt;

/// What went wrong in a bpf(2) command or a map operation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// User memory at `addr` (`len` bytes) could not be read or written.
    BadAddress {
        /// The user address.
        addr: u64,
        /// Bytes wanted.
        len: usize,
    },
    /// The attr is larger than a page, or has non-zero bytes past `union bpf_attr`.
    AttrTooBig {
        /// The size passed.
        size: u32,
    },
    /// Bytes the command does not read are not zero (Linux `CHECK_ATTR`).
    AttrTailNotZero {
        /// The command.
        cmd: u32,
    },
    /// No such command.
    UnknownCommand {
        /// The number passed.
        cmd: u32,
    },
    /// No open object has this fd.
    BadFd {
        /// The fd.
        fd: u32,
    },
    /// OBJ_GET_INFO_BY_FD on an fd that is not open (Linux gives EBADFD there).
    InfoBadFd {
        /// The fd.
        fd: u32,
    },
    /// The fd is not of the kind the command needs (e.g. not a map).
    WrongObjectKind {
        /// The fd.
        fd: u32,
    },
    /// Too many objects are open.
    TooManyObjects,
    /// A map type that does not exist, or that this kernel does not provide.
    UnsupportedMapType {
        /// The map type number.
        map_type: u32,
    },
    /// Key size, value size or max entries not allowed for the map type.
    BadMapAttr,
    /// A key or value size over the map type's limit.
    SizeTooLarge,
    /// Flags not allowed here.
    BadFlags {
        /// The flags passed.
        flags: u64,
    },
    /// Any other invalid argument (a name without NUL, a non-NULL key for a
    /// keyless map, an operation a map type rejects as invalid, ...).
    InvalidArgument,
    /// The key does not exist (or a queue or stack is empty).
    NotFound,
    /// The key exists and BPF_NOEXIST was given.
    Exists,
    /// The map is full.
    MapFull,
    /// A write to a frozen or read-only map, or a read of a write-only one.
    PermissionDenied,
    /// The map is already frozen.
    Busy,
    /// The map type does not support the operation (Linux's ENOTSUPP).
    NotSupported,
    /// A batch stopped because the output arrays were too small for a bucket.
    NoSpace,
    /// An allocation failed.
    NoMemory,
    /// A batch lookup kept losing elements to concurrent deletes.
    Interrupted,
    /// A program has an unknown opcode, a jump out of it, or a truncated
    /// 64-bit load at instruction `pc`.
    BadInstruction {
        /// Instruction index.
        pc: u32,
    },
    /// A program accessed memory it may not at instruction `pc`.
    MemoryFault {
        /// Instruction index.
        pc: u32,
        /// The address.
        addr: u64,
    },
    /// Local calls nested deeper than MAX_CALL_FRAMES.
    CallDepth {
        /// Instruction index of the call.
        pc: u32,
    },
    /// A run executed more instructions than its limit.
    StepLimit,
    /// A call to a helper that does not exist here.
    UnknownHelper {
        /// The helper id.
        id: u32,
    },
    /// The control flow is refused (the verifier's first pass).
    Cfg(crate::prog::verify::CfgError),
    /// The verifier refused the program; its log says why.
    Rejected {
        /// Linux's errno for the reason (EACCES, EINVAL, E2BIG).
        errno: Errno,
        /// The instruction.
        pc: u32,
    },
    /// No such network device (a test run's `ifindex`).
    NoDevice,
    /// A helper the program's type may not call.
    HelperNotAllowed {
        /// The helper ID.
        id: u32,
        /// The calling instruction.
        pc: usize,
    },
    /// The program is already attached there (the original's EAGAIN).
    Again,
    /// A program whose license is not GPL-compatible calls a GPL-only helper.
    GplOnlyHelper {
        /// The helper ID.
        id: u32,
        /// The calling instruction.
        pc: usize,
    },
}

/// Results of this crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The errno Linux returns in the same situation.
    pub fn errno(&self) -> Errno {
        match self {
            Error::BadAddress { .. } => Errno::EFAULT,
            Error::AttrTooBig { .. } => Errno::E2BIG,
            Error::AttrTailNotZero { .. } => Errno::EINVAL,
            Error::UnknownCommand { .. } => Errno::EINVAL,
            Error::BadFd { .. } => Errno::EBADF,
            Error::InfoBadFd { .. } => Errno::EBADFD,
            Error::WrongObjectKind { .. } => Errno::EINVAL,
            Error::TooManyObjects => Errno::ENFILE,
            Error::UnsupportedMapType { .. } => Errno::EINVAL,
            Error::BadMapAttr => Errno::EINVAL,
            Error::SizeTooLarge => Errno::E2BIG,
            Error::BadFlags { .. } => Errno::EINVAL,
            Error::InvalidArgument => Errno::EINVAL,
            Error::NotFound => Errno::ENOENT,
            Error::Exists => Errno::EEXIST,
            Error::MapFull => Errno::E2BIG,
            Error::PermissionDenied => Errno::EPERM,
            Error::Busy => Errno::EBUSY,
            Error::NotSupported => Errno::ENOTSUPP,
            Error::NoSpace => Errno::ENOSPC,
            Error::NoMemory => Errno::ENOMEM,
            Error::Interrupted => Errno::EINTR,
            Error::BadInstruction { .. } => Errno::EINVAL,
            Error::MemoryFault { .. } => Errno::EFAULT,
            Error::CallDepth { .. } => Errno::E2BIG,
            Error::StepLimit => Errno::ELOOP,
            Error::UnknownHelper { .. } => Errno::EINVAL,
            Error::GplOnlyHelper { .. } => Errno::EINVAL,
            Error::Again => Errno::EAGAIN,
            Error::NoDevice => Errno::ENODEV,
            Error::Cfg(_) => Errno::EINVAL,
            Error::Rejected { errno, .. } => *errno,
            Error::HelperNotAllowed { .. } => Errno::EINVAL,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadAddress { addr, len } => write!(f, "bad user address {addr:#x} ({len} bytes)"),
            Error::AttrTooBig { size } => write!(f, "attr of {size} bytes has non-zero bytes past union bpf_attr"),
            Error::AttrTailNotZero { cmd } => write!(f, "attr of command {cmd} has non-zero unused bytes"),
            Error::UnknownCommand { cmd } => write!(f, "unknown command {cmd}"),
            Error::BadFd { fd } => write!(f, "no object with fd {fd}"),
            Error::InfoBadFd { fd } => write!(f, "no object with fd {fd} to describe"),
            Error::WrongObjectKind { fd } => write!(f, "fd {fd} is not an object of the needed kind"),
            Error::TooManyObjects => write!(f, "too many open objects"),
            Error::UnsupportedMapType { map_type } => write!(f, "unsupported map type {map_type}"),
            Error::BadMapAttr => write!(f, "key size, value size or max entries not valid for the map type"),
            Error::SizeTooLarge => write!(f, "key or value size too large"),
            Error::BadFlags { flags } => write!(f, "flags {flags:#x} not allowed"),
            Error::InvalidArgument => write!(f, "invalid argument"),
            Error::NotFound => write!(f, "no such element"),
            Error::Exists => write!(f, "element exists"),
            Error::MapFull => write!(f, "map is full"),
            Error::PermissionDenied => write!(f, "access not permitted"),
            Error::Busy => write!(f, "map already frozen"),
            Error::NotSupported => write!(f, "operation not supported by the map type"),
            Error::NoSpace => write!(f, "output arrays too small"),
            Error::NoMemory => write!(f, "out of memory"),
            Error::Interrupted => write!(f, "batch interrupted by concurrent deletes"),
            Error::BadInstruction { pc } => write!(f, "invalid instruction at {pc}"),
            Error::MemoryFault { pc, addr } => write!(f, "invalid memory access at {addr:#x} by instruction {pc}"),
            Error::CallDepth { pc } => write!(f, "call at {pc} nests too deep"),
            Error::StepLimit => write!(f, "instruction limit reached"),
            Error::UnknownHelper { id } => write!(f, "invalid func unknown#{id}"),
            Error::Again => write!(f, "the program is already attached there"),
            Error::NoDevice => write!(f, "no such network device"),
            Error::Cfg(e) => write!(f, "{e}"),
            Error::Rejected { pc, .. } => write!(f, "the verifier refused instruction {pc} (see its log)"),
            Error::HelperNotAllowed { id, pc } => {
                let name = abi::helper_proto(*id).map_or("?", |h| h.name);
                write!(
                    f,
                    "program of this type cannot use helper bpf_{name}#{id} (instruction {pc})"
                )
            }
            Error::GplOnlyHelper { id, pc } => {
                let name = abi::helper_proto(*id).map_or("?", |h| h.name);
                write!(
                    f,
                    "cannot call GPL-restricted function from non-GPL compatible program (bpf_{name}#{id} at instruction {pc})"
                )
            }
        }
    }
}

impl core::error::Error for Error {}
