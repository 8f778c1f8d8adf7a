//! The low-level layer: one function per bpf(2) command over its attr
//! struct, generated from the description (`abi/bpf.abi`) by `build.rs`
//! (`codegen::emit::rust_user`). `no_std`. The functions are `unsafe`: an
//! attr carries raw pointers that the kernel writes through. The typed
//! API above it (`Client`) is the safe way in.
//!
//! ```
//! # #[cfg(feature = "hosted")] {
//! use user_bindings::{abi, raw, hosted::Process};
//! let sys = Process::new(2);
//! let mut attr = abi::MapCreateAttr {
//!     map_type: abi::MapType::Array.raw(),
//!     key_size: 4,
//!     value_size: 8,
//!     max_entries: 4,
//!     ..Default::default()
//! };
//! // SAFETY: the attr has no pointers.
//! let fd = unsafe { raw::map_create(&sys, &mut attr) }.unwrap();
//! let (key, mut value) = (1u32, 0u64);
//! let mut elem = abi::MapElemAttr {
//!     map_fd: fd,
//!     key: &key as *const u32 as u64,
//!     value: &mut value as *mut u64 as u64,
//!     ..Default::default()
//! };
//! // SAFETY: the key and value live until the call returns.
//! unsafe { raw::map_lookup_elem(&sys, &mut elem) }.unwrap();
//! assert_eq!(value, 0);
//! # }
//! ```

#![allow(unsafe_code)]

use crate::{Errno, Sys};

include!(concat!(env!("OUT_DIR"), "/raw.rs"));
