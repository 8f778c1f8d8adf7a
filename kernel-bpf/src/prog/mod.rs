//! Programs, from instructions to runs.
//!
//! - [`insn`]: the instruction encoding, decoding and opcode names;
//! - [`asm`]: an assembler and disassembler for the text form;
//! - [`load`]: a loaded [`Program`]: map references resolved, load-time
//!   checks;
//! - [`verify`]: the verifier (control flow, then every path's registers,
//!   stack and memory accesses), which every load passes;
//! - [`helpers`]: the helper functions programs call, by Linux helper ID;
//! - [`interp`]: the interpreter, on code prepared once at load, with
//!   checked memory;
//! - [`jit`]: the compiler to machine code, whose image runs instead of
//!   the interpreter where there is one.

pub mod asm;
pub mod helpers;
pub mod insn;
pub mod interp;
pub mod jit;
pub mod load;
pub mod verify;

pub use load::{license_is_gpl, Program, Request, MAP_HANDLE_TAG};
