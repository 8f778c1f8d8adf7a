//! The bpf(2) ABI as Rust types.
//!
//! Everything here is expanded at compile time from `abi/bpf.abi`, the one
//! description of the ABI, by the `codegen_macro::bpf_abi!` proc-macro; no
//! Rust is committed. The same description generates the C headers in
//! `user-bindings/include/` and the reference in `docs/abi.md`, so the kernel
//! side, the user side and BPF programs cannot drift apart.
//!
//! What is here: constants with Linux's names (`BPF_ANY`, `BPF_F_RDONLY`,
//! instruction encoding, ...), enums (`Cmd`, `MapType`, `ProgType`,
//! `AttachType`, `Errno`, ...) with `TryFrom` their integers, attr structs
//! (`MapCreateAttr`, `ProgLoadAttr`, ...) deriving zerocopy's traits, the
//! helper table `HELPERS` with prototypes in the verifier's vocabulary, and
//! the bpf(2) system call numbers.
//!
//! ```
//! use abi::{Cmd, MapType, MapCreateAttr};
//! use zerocopy::FromBytes;
//!
//! assert_eq!(Cmd::try_from(0), Ok(Cmd::MapCreate));
//! assert_eq!(Cmd::ProgLoadEx.raw(), 1000);
//! assert!(Cmd::try_from(999).is_err());
//! let attr = MapCreateAttr::read_from_prefix(&[1u8; 80]).unwrap().0;
//! assert_eq!(attr.map_type, 0x0101_0101);
//! assert_eq!(MapType::Hash.c_name(), "BPF_MAP_TYPE_HASH");
//! ```

#![no_std]
#![deny(missing_docs)]

#[allow(
    clippy::identity_op,
    clippy::upper_case_acronyms,
    reason = "generated code: masks and shifts are written uniformly, errno keeps its C names"
)]
mod generated {
    include!("../bpf.abi");
}

pub use generated::*;
