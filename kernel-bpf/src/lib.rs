//! The eBPF subsystem of rCore, against the generated [`abi`] types.
//!
//! This crate is `no_std` + `alloc`. It will hold the object table,
//! `sys_bpf`, maps, helpers, the loader, the verifier and the interpreter;
//! for now it re-exports the ABI it is built against.

#![no_std]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "std")]
extern crate std;

pub use abi;
