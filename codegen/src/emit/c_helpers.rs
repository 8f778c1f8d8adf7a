//! `bpf_helpers.h`: for BPF programs compiled by `clang -target bpf`. It
//! declares every described helper as a pointer to its ID (the way Linux's
//! and libbpf's headers do, so calls compile to `call ID`), plus `SEC()` and
//! the map-definition macros.

use super::{banner, c_doc};
use crate::model::{Abi, Helper};
use crate::names;
use std::fmt::Write;

/// The header's text.
pub fn emit(abi: &Abi) -> String {
    let mut s = banner("/*", " *", " */");
    s += "#ifndef RCORE_BPF_HELPERS_H\n#define RCORE_BPF_HELPERS_H\n\n";
    s += "#include \"bpf_abi.h\"\n\n";
    s += "/* Place a program or map in an ELF section. */\n";
    s += "#define SEC(name) __attribute__((section(name), used))\n\n";
    s += "/* BTF-style map definitions: struct { __uint(type, BPF_MAP_TYPE_HASH); ... } m SEC(\".maps\"); */\n";
    s += "#define __uint(name, val) int (*name)[val]\n";
    s += "#define __type(name, val) __typeof__(val) *name\n";
    s += "#define __array(name, val) __typeof__(val) *name[]\n\n";
    s += "#ifndef __always_inline\n#define __always_inline inline __attribute__((always_inline))\n#endif\n";
    s += "#ifndef NULL\n#define NULL ((void *)0)\n#endif\n\n";
    s += "/* libbpf's bpf_printk: the format in .rodata, then bpf_trace_printk (at most 3 arguments). */\n";
    s += "#define bpf_printk(fmt, ...) ({ static const char ____fmt[] = fmt; bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__); })\n\n";
    s += &pt_regs(abi);
    for h in &abi.helpers {
        s += &c_doc(&h.meta, "");
        if !h.progs.is_empty() {
            let _ = writeln!(s, "/* Program types: {}. */", h.progs.join(", "));
        }
        let _ = writeln!(
            s,
            "static {} (* const {})({}) = (void *) {};\n",
            ret_type(abi, h),
            names::helper_c_fn(h),
            params(abi, h),
            names::helper_const(h)
        );
    }
    s += "#endif /* RCORE_BPF_HELPERS_H */\n";
    s
}

/// libbpf's `PT_REGS_*` accessors for each register file of the
/// description, chosen by `-D__TARGET_ARCH_<arch>` as libbpf chooses.
fn pt_regs(abi: &Abi) -> String {
    let mut s = String::from(
        "/* Kprobe arguments and results, as libbpf's bpf_tracing.h reads them: build with -D__TARGET_ARCH_<arch>. */\n",
    );
    for st in abi.structs.iter().filter(|st| st.pt_regs.is_some()) {
        let arch = st.pt_regs.as_deref().unwrap_or_default();
        let _ = writeln!(s, "#if defined(__TARGET_ARCH_{arch}) && !defined(PT_REGS_RC)");
        for role in crate::model::REG_ROLES {
            if let Some(f) = st.fields.iter().find(|f| f.reg.iter().any(|r| r == role)) {
                let _ = writeln!(
                    s,
                    "#define PT_REGS_{}(x) (((const struct {} *)(x))->{})",
                    role.to_uppercase(),
                    st.name,
                    f.name
                );
            }
        }
        s += "#endif\n";
    }
    s + "\n"
}

fn ret_type(abi: &Abi, h: &Helper) -> String {
    h.ret_c_type
        .clone()
        .unwrap_or_else(|| abi.kind_named(&h.ret).map(|k| k.c_type.clone()).unwrap_or_default())
}

fn params(abi: &Abi, h: &Helper) -> String {
    let mut args = h.args.as_slice();
    if h.variadic {
        let keep = args.iter().rposition(|a| a.kind != "ARG_ANYTHING").map_or(0, |i| i + 1);
        args = &args[..keep];
    }
    let mut out: Vec<String> = args
        .iter()
        .map(|a| {
            let ty = a
                .c_type
                .clone()
                .unwrap_or_else(|| abi.kind_named(&a.kind).map(|k| k.c_type.clone()).unwrap_or_default());
            if ty.ends_with('*') {
                format!("{ty}{}", a.name)
            } else {
                format!("{ty} {}", a.name)
            }
        })
        .collect();
    if h.variadic {
        out.push("...".into());
    }
    if out.is_empty() {
        "void".into()
    } else {
        out.join(", ")
    }
}
