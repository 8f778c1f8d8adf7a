//! Every name mapping between the description (Linux's C spelling) and Rust.
//! Emitters call these and never build names themselves.

use crate::model::{Enum, Helper, Kind, Struct};

/// `PERCPU_ARRAY` or `map_lookup_elem` to `PercpuArray` / `MapLookupElem`.
pub fn camel(s: &str) -> String {
    s.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut c = lower.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Rust type name of a C type name: drop a leading `bpf_`, then CamelCase
/// (`bpf_map_create_attr` to `MapCreateAttr`, `errno` to `Errno`).
pub fn rust_type(c_name: &str) -> String {
    camel(c_name.strip_prefix("bpf_").unwrap_or(c_name))
}

/// The longest prefix ending in `_` shared by all names; `""` if there is
/// none or it would leave a name empty.
pub fn common_prefix<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut prefix: &str = first;
    for n in &names[1..] {
        while !n.starts_with(prefix) {
            prefix = &prefix[..prefix.len() - 1];
        }
    }
    let cut = prefix.rfind('_').map_or(0, |i| i + 1);
    let prefix = &first[..cut];
    if names.iter().any(|n| n.len() == prefix.len()) {
        return String::new();
    }
    prefix.to_string()
}

/// Rust variant names of an enum, in order: the C names without their
/// common prefix, CamelCase; or the C names as they are (`#[keep_names]`).
pub fn variants(e: &Enum) -> Vec<String> {
    if e.keep_names {
        return e.variants.iter().map(|v| v.name.clone()).collect();
    }
    let prefix = common_prefix(e.variants.iter().map(|v| v.name.as_str()));
    e.variants.iter().map(|v| camel(&v.name[prefix.len()..])).collect()
}

/// Rust name of an enum variant's alias, as an associated constant.
pub fn alias_const(e: &Enum, alias: &str) -> String {
    let prefix = common_prefix(e.variants.iter().map(|v| v.name.as_str()));
    alias.strip_prefix(prefix.as_str()).unwrap_or(alias).to_string()
}

/// Rust name of a struct.
pub fn struct_type(s: &Struct) -> String {
    rust_type(&s.name)
}

/// Rust variant names of a kind vocabulary (`ARG_PTR_TO_MAP_KEY` to
/// `PtrToMapKey`).
pub fn kinds(kinds: &[Kind]) -> Vec<String> {
    let prefix = common_prefix(kinds.iter().map(|k| k.name.as_str()));
    kinds.iter().map(|k| camel(&k.name[prefix.len()..])).collect()
}

/// Rust enum of the argument kinds.
pub const ARG_KIND_TYPE: &str = "ArgKind";
/// Rust enum of the return kinds.
pub const RET_KIND_TYPE: &str = "RetKind";
/// Rust enum of the helper IDs.
pub const HELPER_TYPE: &str = "Helper";
/// C enum of the helper IDs (Linux's name).
pub const HELPER_C_ENUM: &str = "bpf_func_id";

/// Linux's constant for a helper ID (`BPF_FUNC_map_lookup_elem`).
pub fn helper_const(h: &Helper) -> String {
    format!("BPF_FUNC_{}", h.name)
}

/// Rust variant of a helper (`MapLookupElem`).
pub fn helper_variant(h: &Helper) -> String {
    camel(&h.name)
}

/// C function-pointer name of a helper in `bpf_helpers.h` (`bpf_map_lookup_elem`).
pub fn helper_c_fn(h: &Helper) -> String {
    format!("bpf_{}", h.name)
}

/// Rust constant of a system call number (`SYS_BPF`).
pub fn syscall_const(name: &str) -> String {
    format!("SYS_{}", name.to_ascii_uppercase())
}

/// C macro of a system call number (`__NR_bpf`).
pub fn syscall_c_macro(name: &str) -> String {
    format!("__NR_{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_cases() {
        assert_eq!(camel("PERCPU_ARRAY"), "PercpuArray");
        assert_eq!(camel("map_lookup_elem"), "MapLookupElem");
        assert_eq!(camel("CGROUP_INET4_BIND"), "CgroupInet4Bind");
        assert_eq!(rust_type("bpf_map_create_attr"), "MapCreateAttr");
        assert_eq!(rust_type("errno"), "Errno");
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            common_prefix(["BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_ARRAY"]),
            "BPF_MAP_TYPE_"
        );
        assert_eq!(
            common_prefix(["BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_PROG_LOAD"]),
            "BPF_"
        );
        assert_eq!(common_prefix(["EPERM", "ENOENT"]), "");
        // A prefix that would leave a name empty is not a prefix.
        assert_eq!(common_prefix(["BPF_X", "BPF_X_Y"]), "BPF_");
        assert_eq!(common_prefix(["A_B"]), "A_");
    }
}
