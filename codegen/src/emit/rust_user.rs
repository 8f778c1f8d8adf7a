//! The low-level layer of the Rust user bindings (`user_bindings::raw`):
//! one function per command that has an attr struct, handing that struct
//! (up to the bytes the command reads) to a `Sys`. Its `build.rs` writes
//! this into `OUT_DIR`; the output names `abi`, `Sys` and `Errno`, which
//! the including module brings into scope.

use crate::model::{Abi, Enum};
use crate::names;
use std::fmt::Write;

/// The Rust function name of a command (`BPF_MAP_CREATE` to `map_create`).
pub fn command_fn(c_name: &str) -> String {
    c_name.strip_prefix("BPF_").unwrap_or(c_name).to_ascii_lowercase()
}

/// The layer, as Rust source (written as text, so that each unsafe block
/// keeps its SAFETY comment).
pub fn emit(abi: &Abi) -> String {
    let mut out = String::from("// Generated from abi/bpf.abi by codegen::emit::rust_user. Do not edit.\n");
    if let Some(cmd) = abi.enums.iter().find(|e| e.name == "bpf_cmd") {
        commands(cmd, &mut out);
    }
    out
}

fn commands(cmd: &Enum, out: &mut String) {
    for (v, variant) in cmd.variants.iter().zip(names::variants(cmd)) {
        let Some(a) = v.attr.as_ref() else { continue };
        let f = command_fn(&v.name);
        let ty = names::rust_type(&a.struct_name);
        let _ = write!(
            out,
            r#"
/// `{c}`: {doc}
///
/// The kernel reads the first {used} bytes of `attr` (`struct {s}`) and
/// writes its output fields back.
///
/// # Safety
/// Every pointer in `attr` must be valid for what the command reads and
/// writes through it, as for the system call: the kernel writes through
/// output pointers without knowing Rust's borrows.
///
/// # Errors
/// The errno the kernel returned.
pub unsafe fn {f}<S: Sys + ?Sized>(sys: &S, attr: &mut abi::{ty}) -> Result<u32, Errno> {{
    // SAFETY: `attr` is a live, writable struct at least as long as the
    // bytes the command uses; the caller vouches for the pointers in it.
    unsafe {{ sys.bpf(abi::Cmd::{variant}.raw(), (attr as *mut abi::{ty}).cast::<u8>(), {used}) }}
}}
"#,
            c = v.name,
            doc = v.meta.doc_line(),
            used = a.used,
            s = a.struct_name,
        );
    }
}
