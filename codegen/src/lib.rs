//! Code generation for the bpf(2) ABI.
//!
//! `abi/bpf.abi` is the one description of the ABI. This crate reads it
//! ([`parse`]) into a validated [`model::Abi`] and emits, from that model:
//! - Rust ([`emit::rust`]), which the `codegen-macro` proc-macro expands into
//!   the `abi` crate;
//! - `bpf_abi.h` for userland C ([`emit::c_user`]);
//! - `bpf_helpers.h` for BPF programs built by clang ([`emit::c_helpers`]);
//! - the Markdown reference `docs/abi.md` ([`emit::docs`]).
//!
//! Names are mapped in one place, [`names`]. The `regen` binary writes the
//! committed C headers and docs; the drift tests regenerate and compare.

#![deny(missing_docs)]

pub mod emit;
mod error;
pub mod model;
pub mod names;
pub mod parse;

pub use error::Error;
pub use parse::{parse_file, parse_tokens};

/// Path of the description, relative to the workspace root.
pub const DESCRIPTION_PATH: &str = "abi/bpf.abi";

/// The description's text, as built into this crate.
pub const DESCRIPTION: &str = include_str!("../../abi/bpf.abi");

/// Parses the built-in description.
///
/// # Errors
/// Only if the description is broken, which the `abi` crate would already
/// have refused to compile.
pub fn description() -> Result<model::Abi, Error> {
    parse_file(DESCRIPTION_PATH, DESCRIPTION)
}
