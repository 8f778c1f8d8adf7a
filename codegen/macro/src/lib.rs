//! The `bpf_abi!` proc-macro: expands the ABI description into Rust.
//!
//! `abi/bpf.abi` is one invocation of this macro, which the `abi` crate
//! `include!`s, so errors in the description point at its own lines. The
//! expansion ([`codegen::emit::rust`]) holds:
//! - every `consts` entry as a `pub const` with its C name;
//! - every `enum` as a `#[repr(int)]` Rust enum with `ALL`, `c_name()`,
//!   `is_extension()`, `From<Enum> for int` and `TryFrom<int>` (an unknown
//!   number is an `UnknownValue` error);
//! - every `struct` as a `#[repr(C)]` struct deriving zerocopy's
//!   `FromBytes`, `IntoBytes`, `KnownLayout` and `Immutable`, with `const`
//!   assertions of its size, alignment and every field offset, and accessors
//!   for bit-fields;
//! - `ArgKind`, `RetKind`, `HelperProto`, the `HELPERS` table sorted by ID,
//!   `helper_proto(id)` and the `Helper` enum;
//! - `SYS_BPF` for the target architecture and `SYS_BPF_BY_ARCH`.

use proc_macro::TokenStream;

/// Expands a bpf(2) ABI description; see the crate docs for what it emits
/// and `abi/bpf.abi` for the grammar.
#[proc_macro]
pub fn bpf_abi(input: TokenStream) -> TokenStream {
    match codegen::parse_tokens(input.into()) {
        Ok(abi) => codegen::emit::rust::emit(&abi).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
