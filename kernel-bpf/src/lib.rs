//! The eBPF subsystem of rCore, against the generated [`abi`] types.
//!
//! `no_std` + `alloc`; locks from `spin`; everything the OS provides comes
//! through [`Platform`], and `hosted` (feature `std`) implements it for a
//! normal process.
//!
//! Modules, by the life of a program and its maps:
//! - [`platform`]: the one way out to the OS (user memory, task, time,
//!   CPUs, console, randomness), and `hosted`, its implementation for a
//!   normal process;
//! - [`map`]: the map types behind one [`Map`] trait, with a copying
//!   syscall path and a pointer-returning helper path;
//! - [`elf`]: objects clang builds, read into programs, maps and
//!   relocations (shared with the user side);
//! - [`prog`]: programs: instructions, loading, helpers, the interpreter;
//! - [`attach`]: probe points, the programs attached to them, and firing;
//! - [`object`]: the fd table of reference-counted objects and who owns
//!   whom;
//! - `syscall`: [`Bpf::sys_bpf`], the bpf(2) entry point with Linux's attr
//!   rules and errnos, one file per family of commands;
//! - [`error`]: the one error type and its errnos.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use kernel_bpf::{hosted::Hosted, Bpf};
//! use abi::{Cmd, MapCreateAttr, MapElemAttr, MapType};
//! use zerocopy::IntoBytes;
//!
//! let bpf = Bpf::new(Hosted::new(2));
//! let mem = bpf.platform().user_mem(256);
//! let create = MapCreateAttr { map_type: MapType::Hash.raw(), key_size: 4, value_size: 8, max_entries: 16, ..Default::default() };
//! mem.write(0, create.as_bytes());
//! let fd = bpf.sys_bpf(Cmd::MapCreate.raw(), mem.addr(), create.as_bytes().len() as u32).unwrap() as u32;
//! mem.write(128, &7u32.to_ne_bytes());
//! mem.write(136, &42u64.to_ne_bytes());
//! let op = MapElemAttr { map_fd: fd, key: mem.at(128), value: mem.at(136), ..Default::default() };
//! mem.write(64, op.as_bytes());
//! bpf.sys_bpf(Cmd::MapUpdateElem.raw(), mem.at(64), 32).unwrap();
//! mem.write(136, &0u64.to_ne_bytes());
//! bpf.sys_bpf(Cmd::MapLookupElem.raw(), mem.at(64), 32).unwrap();
//! assert_eq!(mem.read(136, 8), 42u64.to_ne_bytes());
//! # }
//! ```

#![no_std]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "std")]
extern crate std;

pub mod attach;
pub mod elf;
pub mod error;
#[cfg(feature = "std")]
pub mod hosted;
pub mod map;
pub mod object;
pub mod platform;
pub mod prog;
mod syscall;

pub use abi;
pub use error::{Error, Result};
pub use map::{Map, MapDef};
pub use platform::{Platform, Task};
pub use syscall::Bpf;
