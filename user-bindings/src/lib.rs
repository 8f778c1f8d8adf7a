//! User-side bindings of the bpf(2) ABI.
//!
//! - [`Backend`]: the one way to reach a kernel's bpf(2): the real system
//!   call ([`sys::Syscall`], Linux or rCore) or an in-process hosted
//!   kernel-bpf ([`hosted::HostedBackend`], feature `hosted`).
//! - [`Client`]: typed commands over any backend, built on the generated
//!   [`abi`] types; `object` adds what objects clang builds need (their
//!   maps, read by the kernel's ELF module).
//! - The generated C headers ([`BPF_ABI_H`], [`BPF_HELPERS_H`], and the
//!   committed copies in `include/`).

#![deny(missing_docs)]

mod client;
#[cfg(feature = "hosted")]
pub mod hosted;
mod object;
pub mod sys;

pub use abi;
pub use client::{BatchOut, Client, LoadedObject, TestRun};

/// A raw errno value as the kernel returned it.
pub type Errno = i32;

/// Memory the kernel reaches through user pointers.
pub trait UserBuffer: Send + Sync {
    /// Address of the first byte, as passed to the kernel.
    fn addr(&self) -> u64;
    /// Size in bytes.
    fn len(&self) -> usize;
    /// Whether the buffer is empty (never: buffers have at least one byte).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Address of byte `off`.
    fn at(&self, off: usize) -> u64 {
        self.addr() + off as u64
    }
    /// Writes `src` at `off`. Panics if it does not fit (a caller bug).
    fn write(&self, off: usize, src: &[u8]);
    /// Reads `len` bytes at `off`. Panics if outside (a caller bug).
    fn read(&self, off: usize, len: usize) -> Vec<u8>;
}

/// A kernel's bpf(2).
pub trait Backend: Send + Sync {
    /// A zeroed buffer of `len` bytes the kernel can read and write.
    fn buffer(&self, len: usize) -> Box<dyn UserBuffer>;
    /// bpf(2): command, attr address, attr size; the non-negative result.
    ///
    /// # Errors
    /// The errno.
    fn bpf(&self, cmd: u32, attr: u64, size: u32) -> Result<u32, Errno>;
    /// Closes an fd bpf(2) returned.
    ///
    /// # Errors
    /// The errno (EBADF for an fd not open).
    fn close(&self, fd: u32) -> Result<(), Errno>;
}

/// `bpf_abi.h`: the ABI for userland C programs.
pub const BPF_ABI_H: &str = include_str!(concat!(env!("OUT_DIR"), "/bpf_abi.h"));

/// `bpf_helpers.h`: helper declarations and macros for BPF programs built by clang.
pub const BPF_HELPERS_H: &str = include_str!(concat!(env!("OUT_DIR"), "/bpf_helpers.h"));

/// The directory of the committed headers, for `-I` on a C compiler's command line.
pub fn include_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}
