//! User-side bindings of the bpf(2) ABI.
//!
//! - [`raw`]: the low-level layer, one function per command over its attr
//!   struct, generated from the description, over any [`Sys`]: the system
//!   call made directly ([`direct::DirectSyscall`], no libc, `no_std`),
//!   through libc ([`sys::Syscall`]), or the hosted kernel in this process
//!   ([`hosted::Process`]). Without the default `std` feature, this layer
//!   is all there is: the crate is then `no_std` (with `alloc`), for
//!   rCore's Rust user programs.
//! - [`Backend`]: the one way to reach a kernel's bpf(2): the real system
//!   call ([`sys::Syscall`], Linux or rCore) or an in-process hosted
//!   kernel-bpf ([`hosted::HostedBackend`], feature `hosted`).
//! - [`Client`]: typed commands over any backend, built on the generated
//!   [`abi`] types; `object` adds what objects clang builds need (their
//!   maps, read by the kernel's ELF module).
//! - The generated C headers ([`BPF_ABI_H`], [`BPF_HELPERS_H`], and the
//!   committed copies in `include/`).

#![deny(missing_docs)]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "std")]
mod client;
#[cfg(any(target_arch = "x86_64", target_arch = "riscv64"))]
pub mod direct;
pub mod fd;
#[cfg(feature = "hosted")]
pub mod hosted;
pub mod loader;
pub mod maps;
#[cfg(feature = "std")]
mod object;
#[cfg(any(target_arch = "x86_64", target_arch = "riscv64", feature = "std"))]
mod os;
pub mod perf;
pub mod programs;
pub mod raw;
mod ringbuf;
#[cfg(feature = "std")]
pub mod sys;

pub use abi;
#[cfg(feature = "std")]
pub use client::{BatchOut, Client, LoadedObject, TestRun};
pub use fd::{Error, Fd};

/// A raw errno value as the kernel returned it.
pub type Errno = i32;

/// bpf(2) over this process's memory: what the low-level layer ([`raw`])
/// calls, and what the typed API ([`maps`], [`programs`], [`loader`]) is
/// generic over.
///
/// ```
/// use user_bindings::{hosted::Process, maps::HashMap, Sys};
/// fn count<S: Sys + Clone>(sys: &S) -> usize {
///     let m: HashMap<S, u32, u32> = HashMap::create(sys, 4).unwrap();
///     m.insert(&1, &1, 0).unwrap();
///     m.keys().count()
/// }
/// assert_eq!(count(&Process::new(1)), 1);
/// ```
// The system call's contract is an unsafe one: it writes through pointers.
#[allow(unsafe_code)]
pub trait Sys {
    /// bpf(2): command, attr, attr size; the non-negative result.
    ///
    /// # Safety
    /// `attr` points to `size` readable and writable bytes, and every
    /// pointer in them is valid for what `cmd` reads and writes through it.
    ///
    /// # Errors
    /// The errno.
    ///
    /// ```
    /// use user_bindings::{abi, hosted::Process, Sys};
    /// let mut attr = abi::MapCreateAttr { map_type: abi::MapType::Array.raw(), key_size: 4, value_size: 4, max_entries: 1, ..Default::default() };
    /// let size = core::mem::size_of_val(&attr) as u32;
    /// // SAFETY: the attr is `size` bytes and holds no pointers.
    /// let fd = unsafe { Process::new(1).bpf(abi::Cmd::MapCreate.raw(), (&raw mut attr).cast(), size) };
    /// assert!(fd.is_ok());
    /// ```
    unsafe fn bpf(&self, cmd: u32, attr: *mut u8, size: u32) -> Result<u32, Errno>;

    /// close(2) of an fd that bpf(2) returned.
    ///
    /// # Errors
    /// The errno (EBADF for an fd that is not open).
    ///
    /// ```
    /// # use user_bindings::{abi::Errno, hosted::Process, Sys};
    /// assert_eq!(Process::new(1).close(12345), Err(Errno::EBADF.raw()));
    /// ```
    fn close(&self, fd: u32) -> Result<(), Errno>;

    /// Possible CPUs: how many values a per-CPU map holds per key. With
    /// `std`, Linux's count (`/sys/devices/system/cpu/possible`); without,
    /// 1 unless the backend knows better.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, Sys};
    /// assert_eq!(Process::new(3).possible_cpus(), 3);
    /// ```
    fn possible_cpus(&self) -> u32 {
        default_possible_cpus()
    }

    /// Hands each record of the ring buffer `fd` (`size` data bytes) that
    /// is ready to `f`, in order, and frees it; returns how many.
    ///
    /// # Errors
    /// EOPNOTSUPP where the backend cannot reach ring buffers (the
    /// default); the errno of mapping the buffer.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::RingBuf, Sys};
    /// let sys = Process::new(1);
    /// let rb = RingBuf::create(&sys, 4096).unwrap();
    /// assert_eq!(sys.ringbuf_consume(rb.map().fd().raw(), 4096, &mut |_| {}), Ok(0));
    /// ```
    fn ringbuf_consume(&self, fd: u32, size: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize, Errno> {
        let _ = (fd, size, f);
        Err(abi::Errno::EOPNOTSUPP.raw())
    }

    /// Opens the PERF_EVENT_ARRAY `map_fd` (of `slots` slots) for reading:
    /// on Linux, a BPF output event per CPU in its slot, each with a ring
    /// of `pages` data pages (a power of 2); the slots are emptied when
    /// the reader is dropped.
    ///
    /// # Errors
    /// EOPNOTSUPP where the backend cannot read perf buffers (the default);
    /// EINVAL for `pages` not a power of 2; the errno of opening or
    /// mapping an event.
    ///
    /// ```
    /// # use user_bindings::{abi::Errno, hosted::Process, maps::PerfEventArray, Sys};
    /// let sys = Process::new(1);
    /// let events = PerfEventArray::create(&sys, 1).unwrap();
    /// let fd = events.map().fd().raw();
    /// assert!(sys.perf_open(fd, 1, 4).is_ok());
    /// assert_eq!(sys.perf_open(fd, 1, 3).err(), Some(Errno::EINVAL.raw()));
    /// ```
    fn perf_open(
        &self,
        map_fd: u32,
        slots: u32,
        pages: u32,
    ) -> Result<alloc::boxed::Box<dyn perf::PerfSource + '_>, Errno> {
        let _ = (map_fd, slots, pages);
        Err(abi::Errno::EOPNOTSUPP.raw())
    }
}

#[cfg(feature = "std")]
pub(crate) fn default_possible_cpus() -> u32 {
    kernel_bpf::platform::count_cpu_list(
        &std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default(),
    )
}

#[cfg(not(feature = "std"))]
pub(crate) fn default_possible_cpus() -> u32 {
    1
}

/// Memory the kernel reaches through user pointers.
///
/// ```
/// use user_bindings::{sys::Syscall, Backend, UserBuffer};
/// let buf = Syscall.buffer(8);
/// buf.write(2, &[1, 2]);
/// assert_eq!((buf.len(), buf.is_empty(), buf.at(2) - buf.addr()), (8, false, 2));
/// assert_eq!(buf.read(0, 4), [0, 0, 1, 2]);
/// ```
#[cfg(feature = "std")]
pub trait UserBuffer: Send + Sync {
    /// Address of the first byte, as passed to the kernel.
    ///
    /// ```
    /// # use user_bindings::{hosted::HostedBackend, Backend};
    /// assert_ne!(HostedBackend::new(1).buffer(4).addr(), 0);
    /// ```
    fn addr(&self) -> u64;
    /// Size in bytes.
    ///
    /// ```
    /// # use user_bindings::{hosted::HostedBackend, Backend};
    /// assert_eq!(HostedBackend::new(1).buffer(4).len(), 4);
    /// ```
    fn len(&self) -> usize;
    /// Whether the buffer is empty (never: buffers have at least one byte).
    ///
    /// ```
    /// # use user_bindings::{sys::Syscall, Backend};
    /// assert!(!Syscall.buffer(0).is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Address of byte `off`.
    ///
    /// ```
    /// # use user_bindings::{hosted::HostedBackend, Backend};
    /// let b = HostedBackend::new(1).buffer(4);
    /// assert_eq!(b.at(3), b.addr() + 3);
    /// ```
    fn at(&self, off: usize) -> u64 {
        self.addr() + off as u64
    }
    /// Writes `src` at `off`. Panics if it does not fit (a caller bug).
    ///
    /// ```
    /// # use user_bindings::{hosted::HostedBackend, Backend};
    /// let b = HostedBackend::new(1).buffer(4);
    /// b.write(1, &[9]);
    /// assert_eq!(b.read(0, 2), [0, 9]);
    /// ```
    fn write(&self, off: usize, src: &[u8]);
    /// Reads `len` bytes at `off`. Panics if outside (a caller bug).
    ///
    /// ```
    /// # use user_bindings::{hosted::HostedBackend, Backend};
    /// assert_eq!(HostedBackend::new(1).buffer(4).read(1, 3), [0; 3]);
    /// ```
    fn read(&self, off: usize, len: usize) -> Vec<u8>;
}

/// A kernel's bpf(2), over buffers it hands out (what [`Client`] uses).
///
/// ```
/// use user_bindings::{hosted::HostedBackend, Backend, Client};
/// use user_bindings::abi::{MapCreateAttr, MapType};
/// let c = Client::new(HostedBackend::new(1));
/// let attr = MapCreateAttr { map_type: MapType::Array.raw(), key_size: 4, value_size: 8, max_entries: 2, ..Default::default() };
/// let fd = c.map_create(&attr).unwrap();
/// assert!(c.backend().close(fd).is_ok());
/// ```
#[cfg(feature = "std")]
pub trait Backend: Send + Sync {
    /// A zeroed buffer of `len` bytes the kernel can read and write.
    ///
    /// ```
    /// # use user_bindings::{hosted::HostedBackend, Backend};
    /// assert_eq!(HostedBackend::new(1).buffer(16).read(0, 16), [0; 16]);
    /// ```
    fn buffer(&self, len: usize) -> Box<dyn UserBuffer>;
    /// bpf(2): command, attr address, attr size; the non-negative result.
    ///
    /// # Errors
    /// The errno.
    ///
    /// ```
    /// # use user_bindings::{abi, hosted::HostedBackend, Backend};
    /// let b = HostedBackend::new(1);
    /// let attr = b.buffer(8);
    /// // A map_fd that is not open.
    /// attr.write(0, &7u32.to_ne_bytes());
    /// assert_eq!(b.bpf(abi::Cmd::MapFreeze.raw(), attr.addr(), 8), Err(abi::Errno::EBADF.raw()));
    /// ```
    fn bpf(&self, cmd: u32, attr: u64, size: u32) -> Result<u32, Errno>;
    /// Closes an fd bpf(2) returned.
    ///
    /// # Errors
    /// The errno (EBADF for an fd not open).
    ///
    /// ```
    /// # use user_bindings::{abi::Errno, hosted::HostedBackend, Backend};
    /// assert_eq!(HostedBackend::new(1).close(99), Err(Errno::EBADF.raw()));
    /// ```
    fn close(&self, fd: u32) -> Result<(), Errno>;
}

/// `bpf_abi.h`: the ABI for userland C programs.
#[cfg(feature = "std")]
pub const BPF_ABI_H: &str = include_str!(concat!(env!("OUT_DIR"), "/bpf_abi.h"));

/// `bpf_helpers.h`: helper declarations and macros for BPF programs built by clang.
#[cfg(feature = "std")]
pub const BPF_HELPERS_H: &str = include_str!(concat!(env!("OUT_DIR"), "/bpf_helpers.h"));

/// The directory of the committed headers, for `-I` on a C compiler's command line.
///
/// ```
/// assert!(user_bindings::include_dir().join("bpf/bpf.h").exists());
/// ```
#[cfg(feature = "std")]
pub fn include_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}
