//! User-side bindings of the bpf(2) ABI.
//!
//! For now: the generated C headers (the same text as the committed
//! `include/bpf_abi.h` and `include/bpf_helpers.h`, emitted by `build.rs`
//! from `abi/bpf.abi`) and the Rust ABI types of the [`abi`] crate.

#![deny(missing_docs)]

pub use abi;

/// `bpf_abi.h`: the ABI for userland C programs.
pub const BPF_ABI_H: &str = include_str!(concat!(env!("OUT_DIR"), "/bpf_abi.h"));

/// `bpf_helpers.h`: helper declarations and macros for BPF programs built by clang.
pub const BPF_HELPERS_H: &str = include_str!(concat!(env!("OUT_DIR"), "/bpf_helpers.h"));

/// The directory of the committed headers, for `-I` on a C compiler's command line.
pub fn include_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}
