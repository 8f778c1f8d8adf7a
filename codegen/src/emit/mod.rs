//! Emitters: one per output, each a pure function of the validated model.
//! Output is deterministic (description order, no timestamps, no paths
//! beyond the repository-relative source).

pub mod c_helpers;
pub mod c_user;
pub mod docs;
pub mod rust;
pub mod rust_user;

use crate::model::{Abi, Meta, Origin, Scalar, Type};

/// The command that rewrites the committed generated files.
pub const REGEN_COMMAND: &str = "cargo run -p codegen --bin regen";

/// First lines of every generated file, in the file's comment syntax
/// (`open`, `line`, `close`, e.g. `/*`, ` *`, ` */`).
pub fn banner(open: &str, line: &str, close: &str) -> String {
    format!(
        "{open}\n{line} Generated from {} by the codegen crate. Do not edit.\n{line} Regenerate with: {REGEN_COMMAND}\n{close}\n",
        crate::DESCRIPTION_PATH
    )
}

/// A C literal of `v` in type `ty`: hex from 16 on, with a `U`/`ULL` suffix
/// for 32/64-bit unsigned types and `LL` for signed 64-bit ones (narrower
/// types promote to `int` in C anyway, as Linux's own defines do).
pub fn c_literal(v: i128, ty: Scalar) -> String {
    let suffix = match ty {
        Scalar::U64 => "ULL",
        Scalar::I64 => "LL",
        Scalar::U32 => "U",
        _ => "",
    };
    let body = if v.unsigned_abs() >= 16 {
        format!("0x{:x}", v.unsigned_abs())
    } else {
        v.unsigned_abs().to_string()
    };
    if v < 0 {
        format!("(-{body}{suffix})")
    } else {
        format!("{body}{suffix}")
    }
}

/// The C type of a field (element type for arrays) and its array suffix.
pub fn c_field_type(t: &Type) -> (String, String) {
    match t {
        Type::Scalar(s) => (s.c().to_string(), String::new()),
        Type::UPtr => ("__aligned_u64".to_string(), String::new()),
        Type::Char => ("char".to_string(), String::new()),
        Type::Array(e, n) => {
            let (base, inner) = c_field_type(e);
            let len = n.name.clone().unwrap_or_else(|| n.n.to_string());
            (base, format!("[{len}]{inner}"))
        }
    }
}

/// A C block comment of an item's docs at `indent`, or nothing.
pub fn c_doc(meta: &Meta, indent: &str) -> String {
    let mut lines = meta.doc.clone();
    if meta.origin != Origin::Linux {
        lines.push(format!("Origin: {}.", meta.origin.label()));
    }
    if let Some((a, b)) = meta.since {
        lines.push(format!("Linux {a}.{b} and later."));
    }
    match lines.len() {
        0 => String::new(),
        1 => format!("{indent}/* {} */\n", lines[0]),
        _ => {
            let mut s = format!("{indent}/*\n");
            for l in lines {
                s += &format!("{indent} * {l}\n");
            }
            s + &format!("{indent} */\n")
        }
    }
}

/// Counts of what the description holds, for summaries.
pub fn counts(abi: &Abi) -> String {
    let cmds = abi.enum_named("bpf_cmd").map_or(0, |e| e.variants.len());
    let maps = abi.enum_named("bpf_map_type").map_or(0, |e| e.variants.len());
    let progs = abi.enum_named("bpf_prog_type").map_or(0, |e| e.variants.len());
    let consts: usize = abi.consts.iter().map(|g| g.values.len()).sum();
    format!(
        "{cmds} commands, {maps} map types, {progs} program types, {} enums, {consts} constants, {} structs, {} helpers",
        abi.enums.len(),
        abi.structs.len(),
        abi.helpers.len()
    )
}

/// The committed generated files: repository-relative path and content.
pub fn committed_files(abi: &Abi) -> Vec<(&'static str, String)> {
    vec![
        ("user-bindings/include/bpf_abi.h", c_user::emit(abi)),
        ("user-bindings/include/bpf_helpers.h", c_helpers::emit(abi)),
        ("docs/abi.md", docs::emit(abi)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_literals() {
        assert_eq!(c_literal(16, Scalar::U32), "0x10U");
        assert_eq!(c_literal(4, Scalar::U64), "4ULL");
        assert_eq!(c_literal(0xc0, Scalar::U8), "0xc0");
        assert_eq!(c_literal(-1, Scalar::I32), "(-1)");
        assert_eq!(c_literal(-32, Scalar::I64), "(-0x20LL)");
    }

    #[test]
    fn output_is_deterministic_and_location_free() {
        let abi = crate::description().expect("description parses");
        let first = committed_files(&abi);
        let again = committed_files(&crate::description().unwrap());
        assert_eq!(first, again);
        let root = env!("CARGO_MANIFEST_DIR");
        for (path, text) in &first {
            assert!(text.contains(REGEN_COMMAND), "{path} lacks the banner");
            assert!(!text.contains(root), "{path} names an absolute path");
        }
        assert_eq!(rust::emit(&abi).to_string(), rust::emit(&abi).to_string());
    }
}
