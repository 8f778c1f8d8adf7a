//! `docs/abi.md`: the Markdown reference of the whole ABI.

use super::{banner, c_field_type, c_literal, counts};
use crate::model::{Abi, LinuxMatch, Meta, Origin, Type};
use crate::names;
use std::fmt::Write;

fn origin(meta: &Meta) -> String {
    let mut s = match meta.origin {
        Origin::Linux => String::new(),
        o => format!(" *({})*", o.label()),
    };
    if let Some((a, b)) = meta.since {
        let _ = write!(s, " *(Linux {a}.{b}+)*");
    }
    s
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The reference's text.
pub fn emit(abi: &Abi) -> String {
    let mut s = banner("<!--", "", "-->");
    s += "\n# The bpf(2) ABI reference\n\n";
    let _ = writeln!(
        s,
        "This page is generated from `{}`, the one description of the ABI. It holds {}.\n",
        crate::DESCRIPTION_PATH,
        counts(abi)
    );
    s += "Numbers follow Linux (`include/uapi/linux/bpf.h`) wherever Linux has the concept; items marked *(rCore extension)* are rCore's own. ";
    s += "Rust names are those of the `abi` crate; C names are those of `bpf_abi.h` and `bpf_helpers.h`.\n\n";
    s += "## Contents\n\n";
    for (title, anchor) in [
        ("Constants", "constants"),
        ("Enums", "enums"),
        ("Structs", "structs"),
        ("Helpers", "helpers"),
        ("System calls", "system-calls"),
    ] {
        let _ = writeln!(s, "- [{title}](#{anchor})");
    }

    s += "\n## Constants\n";
    for g in &abi.consts {
        let _ = writeln!(
            s,
            "\n### `{}` ({}){}\n\n{}\n",
            g.name,
            g.ty.rust(),
            origin(&g.meta),
            g.meta.doc_line()
        );
        s += "| C and Rust name | Value | Description |\n|---|---|---|\n";
        for v in &g.values {
            let mut name = format!("`{}`", v.name);
            for a in &v.aliases {
                let _ = write!(name, ", `{a}`");
            }
            let _ = writeln!(
                s,
                "| {name} | `{}` | {}{} |",
                c_literal(v.value, g.ty),
                cell(&v.meta.doc_line()),
                origin(&v.meta)
            );
        }
    }

    s += "\n## Enums\n";
    for e in &abi.enums {
        let rust = names::rust_type(&e.name);
        let _ = writeln!(
            s,
            "\n### `{}` (Rust `{rust}`, {}){}\n\n{}\n",
            e.name,
            e.ty.rust(),
            origin(&e.meta),
            e.meta.doc_line()
        );
        s += "| Value | C name | Rust variant | Description |\n|---|---|---|---|\n";
        for (v, rv) in e.variants.iter().zip(names::variants(e)) {
            let aliases: String = v.aliases.iter().map(|a| format!(", `{a}`")).collect();
            let attr = match &v.attr {
                Some(a) => format!(" Attr: `struct {}`, first {} bytes.", a.struct_name, a.used),
                None => String::new(),
            };
            let _ = writeln!(
                s,
                "| {} | `{}`{aliases} | `{rust}::{rv}` | {}{attr}{} |",
                v.value,
                v.name,
                cell(&v.meta.doc_line()),
                origin(&v.meta)
            );
        }
    }

    s += "\n## Structs\n\nEvery struct is `#[repr(C)]` with explicit padding, so the Rust types derive zerocopy's `FromBytes` and `IntoBytes`.\n";
    for st in &abi.structs {
        let linux = match &st.linux {
            LinuxMatch::None => String::new(),
            LinuxMatch::Struct => format!(" Same layout as Linux's `struct {}`.", st.name),
            LinuxMatch::AttrAnon => " Same layout as its anonymous member of Linux's `union bpf_attr`.".to_string(),
            LinuxMatch::AttrNamed(m) => format!(" Same layout as `union bpf_attr` member `{m}` in Linux."),
        };
        let _ = writeln!(
            s,
            "\n### `struct {}` (Rust `{}`){}\n\n{}{linux} Size {} bytes, alignment {}.\n",
            st.name,
            names::struct_type(st),
            origin(&st.meta),
            st.meta.doc_line(),
            st.size,
            st.align
        );
        s += "| Offset | Field | C type | Description |\n|---|---|---|---|\n";
        for f in &st.fields {
            let (ty, suffix) = c_field_type(&f.ty);
            let mut name = format!("`{}`", f.name);
            for a in &f.aliases {
                let _ = write!(name, " / `{a}`");
            }
            let mut desc = if f.pad {
                "Padding, must be zero.".to_string()
            } else {
                f.meta.doc_line()
            };
            if let Some(e) = &f.values {
                let _ = write!(desc, " Values: `{e}`.");
            }
            if !f.ctx.is_empty() {
                let rules: Vec<String> = f.ctx.iter().map(|(p, m)| format!("{p} `{m}`")).collect();
                let _ = write!(
                    desc,
                    " Access (r read, R whole only, w write, a any size): {}.",
                    rules.join(", ")
                );
            }
            if !f.bits.is_empty() {
                let bits: Vec<String> = f.bits.iter().map(|(n, w)| format!("`{n}`:{w}")).collect();
                let _ = write!(desc, " Bit-fields, low bits first: {}.", bits.join(", "));
            }
            let ty = if matches!(f.ty, Type::UPtr) {
                "__aligned_u64 (user pointer)".to_string()
            } else {
                format!("{ty}{suffix}")
            };
            let _ = writeln!(s, "| {} | {name} | `{ty}` | {} |", f.offset, cell(&desc));
        }
    }

    s += "\n## Helpers\n\n";
    s += "Prototypes use the verifier's vocabulary below; a memory argument is always followed by its size.\n\n";
    for (title, kinds) in [("Argument kinds", &abi.arg_kinds), ("Return kinds", &abi.ret_kinds)] {
        let _ = writeln!(s, "### {title}\n\n| Kind | C type | Description |\n|---|---|---|");
        for k in kinds {
            let _ = writeln!(s, "| `{}` | `{}` | {} |", k.name, k.c_type, cell(&k.meta.doc_line()));
        }
        s += "\n";
    }
    s += "### Helper table\n\nProgram types: who may call the helper (all: every type).\n\n| ID | Name | Returns | Arguments | GPL | Program types | Description |\n|---|---|---|---|---|---|---|\n";
    for h in &abi.helpers {
        let args: Vec<String> = h.args.iter().map(|a| format!("`{}`: `{}`", a.name, a.kind)).collect();
        let _ = writeln!(
            s,
            "| {} | `{}` | `{}` | {} | {} | {} | {}{} |",
            h.id,
            h.name,
            h.ret,
            args.join(", "),
            if h.gpl_only { "yes" } else { "" },
            if h.progs.is_empty() {
                "all".to_string()
            } else {
                h.progs.join(", ")
            },
            cell(&h.meta.doc_line()),
            origin(&h.meta)
        );
    }

    s += "\n## System calls\n";
    for sc in &abi.syscalls {
        let _ = writeln!(
            s,
            "\n### `{}`\n\n{}\n\n| Architecture | Number |\n|---|---|",
            sc.name,
            sc.meta.doc_line()
        );
        for (a, n) in &sc.numbers {
            let _ = writeln!(s, "| {} | {n} |", a.rust());
        }
    }
    s
}
