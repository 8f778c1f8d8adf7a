//! `bpf_abi.h`: the ABI for userland C. It stands in for `<linux/bpf.h>`
//! (same names and numbers where Linux has the concept), so programs written
//! against Linux compile; it also carries rCore's extensions.

use super::{banner, c_doc, c_field_type, c_literal};
use crate::model::{Abi, Field, LinuxMatch, Struct};
use crate::names;
use std::fmt::Write;

/// The header's text.
pub fn emit(abi: &Abi) -> String {
    let mut s = banner("/*", " *", " */");
    s += "#ifndef RCORE_BPF_ABI_H\n#define RCORE_BPF_ABI_H\n\n";
    s += "/* This header replaces <linux/bpf.h>; including both is harmless. */\n";
    s += "#ifndef __LINUX_BPF_H__\n#define __LINUX_BPF_H__\n#endif\n\n";
    s += "#include <stddef.h>\n\n";
    s += "/* The same typedefs as <linux/types.h>, so the two can be included together. */\n";
    for (t, c) in [
        ("__u8", "unsigned char"),
        ("__s8", "signed char"),
        ("__u16", "unsigned short"),
        ("__s16", "signed short"),
        ("__u32", "unsigned int"),
        ("__s32", "signed int"),
        ("__u64", "unsigned long long"),
        ("__s64", "signed long long"),
    ] {
        let _ = writeln!(s, "typedef {c} {t};");
    }
    s += "#ifndef __aligned_u64\n#define __aligned_u64 __u64 __attribute__((aligned(8)))\n#endif\n\n";
    s += "#ifdef __cplusplus\n#define BPF_ABI_ASSERT(c, m) static_assert(c, m)\n#else\n#define BPF_ABI_ASSERT(c, m) _Static_assert(c, m)\n#endif\n\n";

    for g in &abi.consts {
        s += &c_doc(&g.meta, "");
        for v in &g.values {
            s += &c_doc(&v.meta, "");
            let _ = writeln!(s, "#define {} {}", v.name, c_literal(v.value, g.ty));
            for a in &v.aliases {
                let _ = writeln!(s, "#define {a} {}", v.name);
            }
        }
        s += "\n";
    }

    for e in &abi.enums {
        s += &c_doc(&e.meta, "");
        if e.c_macros {
            for v in &e.variants {
                s += &c_doc(&v.meta, "");
                let _ = writeln!(s, "#ifndef {0}\n#define {0} {1}\n#endif", v.name, v.value);
            }
            s += "\n";
            continue;
        }
        let _ = writeln!(s, "enum {} {{", e.name);
        for v in &e.variants {
            s += &c_doc(&v.meta, "\t");
            let _ = writeln!(s, "\t{} = {},", v.name, v.value);
            for a in &v.aliases {
                let _ = writeln!(s, "\t{a} = {},", v.name);
            }
        }
        s += "};\n\n";
    }

    if !abi.helpers.is_empty() {
        let _ = writeln!(s, "/* Helper function IDs. */\nenum {} {{", names::HELPER_C_ENUM);
        for h in &abi.helpers {
            s += &c_doc(&h.meta, "\t");
            let _ = writeln!(s, "\t{} = {},", names::helper_const(h), h.id);
        }
        s += "};\n\n";
    }

    for st in &abi.structs {
        s += &c_doc(&st.meta, "");
        let _ = writeln!(s, "struct {} {{", st.name);
        s += &c_fields(st, "\t");
        let _ = writeln!(s, "}} __attribute__((aligned({})));", st.align);
        s += &c_asserts(st);
        s += "\n";
    }

    let members: Vec<&Struct> = abi
        .structs
        .iter()
        .filter(|st| matches!(st.linux, LinuxMatch::AttrAnon | LinuxMatch::AttrNamed(_)))
        .collect();
    if !members.is_empty() {
        s += "/* The bpf(2) attribute union, with the members this ABI serves, as Linux lays it out. */\n";
        s += "union bpf_attr {\n";
        for st in members {
            s += &c_doc(&st.meta, "\t");
            s += "\tstruct {\n";
            s += &c_fields(st, "\t\t");
            match &st.linux {
                LinuxMatch::AttrNamed(m) => {
                    let _ = writeln!(s, "\t}} {m};");
                }
                _ => s += "\t};\n",
            }
        }
        s += "} __attribute__((aligned(8)));\n\n";
    }

    for sc in &abi.syscalls {
        s += &c_doc(&sc.meta, "");
        let m = names::syscall_c_macro(&sc.name);
        let _ = writeln!(s, "#ifndef {m}");
        for (i, (arch, n)) in sc.numbers.iter().enumerate() {
            let kw = if i == 0 { "#if" } else { "#elif" };
            let _ = writeln!(s, "{kw} {}\n#define {m} {n}", arch.c_test());
        }
        s += "#endif\n#endif\n\n";
    }
    s += "#endif /* RCORE_BPF_ABI_H */\n";
    s
}

fn c_field(f: &Field, indent: &str) -> String {
    let (ty, suffix) = c_field_type(&f.ty);
    let mut s = String::new();
    if f.pad {
        // Unnamed, so pads of different members of union bpf_attr never clash;
        // an array pads with one bit-field per element (a bit-field may not
        // be wider than its type).
        let (elem, n) = match &f.ty {
            crate::model::Type::Array(elem, len) => (&**elem, len.n),
            t => (t, 1),
        };
        let (ety, _) = c_field_type(elem);
        for _ in 0..n {
            let _ = writeln!(s, "{indent}{ety} :{};\t/* padding */", elem.size() * 8);
        }
        return s;
    }
    s += &c_doc(&f.meta, indent);
    if !f.ctx.is_empty() {
        let rules: Vec<String> = f.ctx.iter().map(|(p, m)| format!("{p} {m}")).collect();
        let _ = writeln!(
            s,
            "{indent}/* Access (r read, R whole only, w write, a any size): {}. */",
            rules.join(", ")
        );
    }
    if !f.bits.is_empty() {
        for (name, width) in &f.bits {
            // Bits named `_...` are reserved: unnamed in C, as Linux writes them.
            let name = if name.starts_with('_') { "" } else { name.as_str() };
            let _ = writeln!(s, "{indent}{ty} {name}:{width};");
        }
    } else if f.aliases.is_empty() {
        let _ = writeln!(s, "{indent}{ty} {}{suffix};", f.name);
    } else {
        let _ = writeln!(s, "{indent}union {{");
        for n in std::iter::once(&f.name).chain(&f.aliases) {
            let _ = writeln!(s, "{indent}\t{ty} {n}{suffix};");
        }
        let _ = writeln!(s, "{indent}}};");
    }
    s
}

/// The fields of a struct as C member declarations.
pub fn c_fields(st: &Struct, indent: &str) -> String {
    st.fields.iter().map(|f| c_field(f, indent)).collect()
}

fn c_asserts(st: &Struct) -> String {
    let mut s = format!(
        "BPF_ABI_ASSERT(sizeof(struct {0}) == {1}, \"struct {0} must be {1} bytes\");\n",
        st.name, st.size
    );
    for f in st.fields.iter().filter(|f| !f.pad && f.bits.is_empty()) {
        let _ = writeln!(
            s,
            "BPF_ABI_ASSERT(offsetof(struct {0}, {1}) == {2}, \"{0}.{1} must be at offset {2}\");",
            st.name, f.name, f.offset
        );
    }
    s
}
