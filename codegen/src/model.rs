//! The ABI model: what `parse` produces and every emitter reads.
//!
//! A model is only handed out after [`Abi::validate`] has passed, so the
//! emitters can rely on its invariants: unique names, values that fit their
//! type, struct layouts with no implicit padding (offsets are computed here,
//! once), helper prototypes whose kinds exist and whose memory arguments are
//! followed by a size.

use proc_macro2::Span;
use std::collections::BTreeMap;

/// The whole description, in file order within each category.
#[derive(Clone, Debug, Default)]
pub struct Abi {
    /// `consts` groups.
    pub consts: Vec<ConstGroup>,
    /// `enum` items.
    pub enums: Vec<Enum>,
    /// `struct` items, with computed layouts.
    pub structs: Vec<Struct>,
    /// The verifier's argument vocabulary.
    pub arg_kinds: Vec<Kind>,
    /// The verifier's return vocabulary.
    pub ret_kinds: Vec<Kind>,
    /// The helper table, sorted by id after validation.
    pub helpers: Vec<Helper>,
    /// System call numbers per architecture.
    pub syscalls: Vec<Syscall>,
}

/// Where an item's definition comes from; only `Linux` items are checked
/// against the system's `linux/bpf.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Linux uapi (`include/uapi/linux/bpf.h`, `errno.h`).
    Linux,
    /// An rCore extension (`#[ext]`).
    Rcore,
    /// LLVM's BPF ELF conventions (`#[origin(llvm)]`).
    Llvm,
    /// libbpf conventions (`#[origin(libbpf)]`).
    Libbpf,
}

impl Origin {
    /// The word used in docs and generated comments.
    pub fn label(self) -> &'static str {
        match self {
            Origin::Linux => "Linux",
            Origin::Rcore => "rCore extension",
            Origin::Llvm => "LLVM",
            Origin::Libbpf => "libbpf",
        }
    }
}

/// What every item carries besides its payload.
#[derive(Clone, Debug)]
pub struct Meta {
    /// Doc lines (from `///`), trimmed.
    pub doc: Vec<String>,
    /// Where the definition comes from.
    pub origin: Origin,
    /// First Linux version with the item, when newer than the baseline
    /// headers (`#[since = "6.6"]`), as (major, minor).
    pub since: Option<(u32, u32)>,
    /// Where it was written, for error messages.
    pub span: Span,
}

impl Meta {
    /// The doc lines joined with spaces.
    pub fn doc_line(&self) -> String {
        self.doc.join(" ")
    }
}

/// A fixed-width integer type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
}

impl Scalar {
    /// Parses a Rust integer type name.
    pub fn from_name(s: &str) -> Option<Scalar> {
        Some(match s {
            "u8" => Scalar::U8,
            "u16" => Scalar::U16,
            "u32" => Scalar::U32,
            "u64" => Scalar::U64,
            "i8" => Scalar::I8,
            "i16" => Scalar::I16,
            "i32" => Scalar::I32,
            "i64" => Scalar::I64,
            _ => return None,
        })
    }

    /// Size (and alignment) in bytes.
    pub fn size(self) -> usize {
        match self {
            Scalar::U8 | Scalar::I8 => 1,
            Scalar::U16 | Scalar::I16 => 2,
            Scalar::U32 | Scalar::I32 => 4,
            Scalar::U64 | Scalar::I64 => 8,
        }
    }

    /// Whether the type is signed.
    pub fn signed(self) -> bool {
        matches!(self, Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::I64)
    }

    /// The Rust spelling.
    pub fn rust(self) -> &'static str {
        match self {
            Scalar::U8 => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
            Scalar::I8 => "i8",
            Scalar::I16 => "i16",
            Scalar::I32 => "i32",
            Scalar::I64 => "i64",
        }
    }

    /// The Linux uapi spelling (`__u32`, ...).
    pub fn c(self) -> &'static str {
        match self {
            Scalar::U8 => "__u8",
            Scalar::U16 => "__u16",
            Scalar::U32 => "__u32",
            Scalar::U64 => "__u64",
            Scalar::I8 => "__s8",
            Scalar::I16 => "__s16",
            Scalar::I32 => "__s32",
            Scalar::I64 => "__s64",
        }
    }

    /// The inclusive range of values the type holds.
    pub fn range(self) -> (i128, i128) {
        let bits = self.size() as u32 * 8;
        if self.signed() {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        }
    }
}

/// A named value (a constant or an enum variant).
#[derive(Clone, Debug)]
pub struct Value {
    /// C name, as Linux spells it.
    pub name: String,
    /// The value.
    pub value: i128,
    /// Other C names for the same value (`#[alias(BPF_PROG_RUN)]`).
    pub aliases: Vec<String>,
    /// For commands: the attr struct they take (`#[attr(struct, last = field)]`).
    pub attr: Option<AttrUse>,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// Which attr struct a command reads, and up to which field. Bytes after
/// that field (up to the size of `union bpf_attr`) must be zero, as Linux's
/// `CHECK_ATTR` demands.
#[derive(Clone, Debug)]
pub struct AttrUse {
    /// C name of the struct.
    pub struct_name: String,
    /// The last field the command reads; `None` means the struct's last
    /// non-padding field.
    pub last: Option<String>,
    /// Bytes used: end of the last field, computed by validation.
    pub used: usize,
}

/// A group of constants with one type (`consts NAME: TY { ... }`).
#[derive(Clone, Debug)]
pub struct ConstGroup {
    /// Group name (used for docs and headings only).
    pub name: String,
    /// Type of every constant in the group.
    pub ty: Scalar,
    /// The constants; values are distinct within a group.
    pub values: Vec<Value>,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// An enumeration (`enum c_name: TY { ... }`).
#[derive(Clone, Debug)]
pub struct Enum {
    /// C name (`bpf_cmd`).
    pub name: String,
    /// Representation.
    pub ty: Scalar,
    /// Keep the C names as Rust variant names (`#[keep_names]`, for errno).
    pub keep_names: bool,
    /// In C, emit guarded `#define`s instead of an enum (`#[c_macros]`, for
    /// errno, whose names `<errno.h>` already defines as macros).
    pub c_macros: bool,
    /// The variants; values are distinct within an enum.
    pub variants: Vec<Value>,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// How a struct is compared with Linux's headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinuxMatch {
    /// Not compared (extensions, or no Linux counterpart).
    None,
    /// Compared with the Linux struct of the same name (`#[linux(struct)]`).
    Struct,
    /// An anonymous member of `union bpf_attr`, found by its first field
    /// (`#[linux(bpf_attr)]`).
    AttrAnon,
    /// A named member of `union bpf_attr` (`#[linux(bpf_attr = "batch")]`).
    AttrNamed(String),
}

/// A field type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// A fixed-width integer.
    Scalar(Scalar),
    /// A user pointer carried in 64 bits (`__aligned_u64`).
    UPtr,
    /// A C `char` (a byte in Rust).
    Char,
    /// A fixed-length array.
    Array(Box<Type>, ArrayLen),
}

/// The length of an array field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayLen {
    /// Resolved length.
    pub n: usize,
    /// The constant it was written as, if any (kept for the C header).
    pub name: Option<String>,
}

impl Type {
    /// Size in bytes.
    pub fn size(&self) -> usize {
        match self {
            Type::Scalar(s) => s.size(),
            Type::UPtr => 8,
            Type::Char => 1,
            Type::Array(t, n) => t.size() * n.n,
        }
    }

    /// Alignment in bytes (C rules on the 64-bit targets we serve, with
    /// `__u64` fields 8-aligned everywhere as `__aligned_u64` would be).
    pub fn align(&self) -> usize {
        match self {
            Type::Scalar(s) => s.size(),
            Type::UPtr => 8,
            Type::Char => 1,
            Type::Array(t, _) => t.align(),
        }
    }
}

/// A struct field.
#[derive(Clone, Debug)]
pub struct Field {
    /// Field name, as Linux spells it.
    pub name: String,
    /// Type.
    pub ty: Type,
    /// Explicit padding (`#[pad]`): must be zero, not part of the API.
    pub pad: bool,
    /// Other names for the same storage (`#[alias(next_key)]`), emitted in C
    /// as an anonymous union.
    pub aliases: Vec<String>,
    /// Bit-fields packed into this field, low bits first (`#[bits(a = 4, b = 4)]`);
    /// names starting with `_` are reserved bits.
    pub bits: Vec<(String, u32)>,
    /// The enum whose values the field holds (`#[values(bpf_map_type)]`).
    pub values: Option<String>,
    /// Register roles of a `#[pt_regs]` struct's field (`#[reg(parm1, rc)]`):
    /// what libbpf's `PT_REGS_*` macros read from it.
    pub reg: Vec<String>,
    /// How programs of each type may access the field when the struct is
    /// their context (`#[ctx(socket_filter = "r", sched_cls = "rw")]`):
    /// `r` reads at the field's (element's) size or narrower, `R` reads at
    /// that size only, `w` writes at that size, `a` reads and writes at any
    /// aligned size inside the field. A type not named has no access.
    pub ctx: Vec<(String, String)>,
    /// Byte offset, computed by validation.
    pub offset: usize,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// Register roles a `#[pt_regs]` field may have: the arguments, the return
/// value, and the stack, frame and instruction pointers, and the register
/// holding the return address (libbpf's `PT_REGS_RET`).
pub const REG_ROLES: &[&str] = &[
    "parm1", "parm2", "parm3", "parm4", "parm5", "parm6", "rc", "sp", "fp", "ip", "ret",
];

/// A `#[repr(C)]` struct.
#[derive(Clone, Debug)]
pub struct Struct {
    /// C name (`bpf_map_create_attr`).
    pub name: String,
    /// How it is checked against Linux.
    pub linux: LinuxMatch,
    /// For a register file (`#[pt_regs(x86)]`): the `__TARGET_ARCH_*` name
    /// whose programs read it through `PT_REGS_*`.
    pub pt_regs: Option<String>,
    /// Fields in order.
    pub fields: Vec<Field>,
    /// Size in bytes, computed by validation.
    pub size: usize,
    /// Alignment in bytes, computed by validation.
    pub align: usize,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// An argument or return kind of the verifier's vocabulary.
#[derive(Clone, Debug)]
pub struct Kind {
    /// Name (`ARG_PTR_TO_MAP_KEY`).
    pub name: String,
    /// Default C type in helper declarations.
    pub c_type: String,
    /// A pointer to memory whose size is the next argument (`#[mem]`).
    pub mem: bool,
    /// The size of the previous memory argument (`#[size]`).
    pub size: bool,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// A helper argument.
#[derive(Clone, Debug)]
pub struct Arg {
    /// Parameter name in C declarations.
    pub name: String,
    /// Argument kind (an `arg_kinds` entry).
    pub kind: String,
    /// C type, when it differs from the kind's default.
    pub c_type: Option<String>,
    /// Where the kind was written, for error messages.
    pub span: Span,
}

/// A helper function.
#[derive(Clone, Debug)]
pub struct Helper {
    /// Linux helper ID.
    pub id: u32,
    /// Name without prefix (`map_lookup_elem`).
    pub name: String,
    /// Arguments, at most five.
    pub args: Vec<Arg>,
    /// Return kind (a `ret_kinds` entry).
    pub ret: String,
    /// C return type, when it differs from the kind's default.
    pub ret_c_type: Option<String>,
    /// Only GPL-compatible programs may call it (`#[gpl]`).
    pub gpl_only: bool,
    /// In C, declared with `...` after the last argument that is not
    /// `ARG_ANYTHING` (`#[variadic]`, for `trace_printk`).
    pub variadic: bool,
    /// The program types that may call it, by their lower-case names
    /// (`#[progs(socket_filter, sched_cls)]`); empty: every type.
    pub progs: Vec<String>,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// The `bpf_prog_type` value name of a program type's lower-case name
/// (`socket_filter` is `BPF_PROG_TYPE_SOCKET_FILTER`).
pub fn prog_type_value(lower: &str) -> String {
    format!("BPF_PROG_TYPE_{}", lower.to_uppercase())
}

/// An architecture we know the system call number for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86-64.
    X86_64,
    /// RISC-V, 64-bit.
    Riscv64,
    /// AArch64.
    Aarch64,
    /// LoongArch, 64-bit.
    Loongarch64,
}

impl Arch {
    /// Parses a Rust `target_arch` name.
    pub fn from_name(s: &str) -> Option<Arch> {
        Some(match s {
            "x86_64" => Arch::X86_64,
            "riscv64" => Arch::Riscv64,
            "aarch64" => Arch::Aarch64,
            "loongarch64" => Arch::Loongarch64,
            _ => return None,
        })
    }

    /// The Rust `target_arch` name.
    pub fn rust(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Riscv64 => "riscv64",
            Arch::Aarch64 => "aarch64",
            Arch::Loongarch64 => "loongarch64",
        }
    }

    /// The C preprocessor test for the architecture.
    pub fn c_test(self) -> &'static str {
        match self {
            Arch::X86_64 => "defined(__x86_64__)",
            Arch::Riscv64 => "defined(__riscv) && __riscv_xlen == 64",
            Arch::Aarch64 => "defined(__aarch64__)",
            Arch::Loongarch64 => "defined(__loongarch64)",
        }
    }
}

/// A system call and its number per architecture.
#[derive(Clone, Debug)]
pub struct Syscall {
    /// Name (`bpf`).
    pub name: String,
    /// Numbers per architecture.
    pub numbers: Vec<(Arch, u32)>,
    /// Docs, origin, span.
    pub meta: Meta,
}

/// A validation error: a message and where the bad item was written.
#[derive(Debug)]
pub struct ModelError {
    /// What is wrong.
    pub message: String,
    /// The offending item.
    pub span: Span,
}

fn err<T>(span: Span, message: String) -> Result<T, ModelError> {
    Err(ModelError { message, span })
}

impl Abi {
    /// Checks the invariants the emitters rely on and computes layouts.
    ///
    /// # Errors
    /// The first problem found: a duplicate name or value, a value out of
    /// range, an unknown type, enum or kind, implicit padding, a memory
    /// argument without a size, or an unknown architecture.
    pub fn validate(&mut self) -> Result<(), ModelError> {
        self.check_names()?;
        for g in &self.consts {
            check_values(&g.name, g.ty, &g.values)?;
        }
        for e in &self.enums {
            check_values(&e.name, e.ty, &e.variants)?;
        }
        let enums: Vec<String> = self.enums.iter().map(|e| e.name.clone()).collect();
        for s in &mut self.structs {
            layout(s, &enums)?;
        }
        let structs = self.structs.clone();
        for v in self.enums.iter_mut().flat_map(|e| e.variants.iter_mut()) {
            if let Some(a) = &mut v.attr {
                let Some(st) = structs.iter().find(|s| s.name == a.struct_name) else {
                    return err(
                        v.meta.span,
                        format!("unknown attr struct `{}` of `{}`", a.struct_name, v.name),
                    );
                };
                let last = match &a.last {
                    Some(l) => st.fields.iter().find(|f| &f.name == l && !f.pad),
                    None => st.fields.iter().rev().find(|f| !f.pad),
                };
                let Some(last) = last else {
                    return err(
                        v.meta.span,
                        format!(
                            "struct `{}` has no field `{}`",
                            st.name,
                            a.last.clone().unwrap_or_default()
                        ),
                    );
                };
                a.used = last.offset + last.ty.size();
            }
        }
        self.check_helpers()?;
        for s in &self.syscalls {
            let mut seen = Vec::new();
            for (arch, _) in &s.numbers {
                if seen.contains(arch) {
                    return err(
                        s.meta.span,
                        format!("architecture `{}` listed twice for syscall `{}`", arch.rust(), s.name),
                    );
                }
                seen.push(*arch);
            }
        }
        Ok(())
    }

    /// Every C-level name in the description with its span; a name may be
    /// defined once.
    fn check_names(&self) -> Result<(), ModelError> {
        let mut seen: BTreeMap<String, ()> = BTreeMap::new();
        let mut names: Vec<(&str, Span)> = Vec::new();
        for g in &self.consts {
            for v in &g.values {
                names.push((&v.name, v.meta.span));
                names.extend(v.aliases.iter().map(|a| (a.as_str(), v.meta.span)));
            }
        }
        for e in &self.enums {
            names.push((&e.name, e.meta.span));
            for v in &e.variants {
                names.push((&v.name, v.meta.span));
                names.extend(v.aliases.iter().map(|a| (a.as_str(), v.meta.span)));
            }
        }
        for s in &self.structs {
            names.push((&s.name, s.meta.span));
        }
        for k in self.arg_kinds.iter().chain(&self.ret_kinds) {
            names.push((&k.name, k.meta.span));
        }
        for h in &self.helpers {
            names.push((&h.name, h.meta.span));
        }
        for (name, span) in names {
            if seen.insert(name.to_string(), ()).is_some() {
                return err(span, format!("duplicate name `{name}`"));
            }
        }
        for s in &self.structs {
            let mut fields: Vec<&str> = Vec::new();
            for f in &s.fields {
                for n in std::iter::once(&f.name)
                    .chain(&f.aliases)
                    .chain(f.bits.iter().map(|(n, _)| n))
                {
                    if fields.contains(&n.as_str()) {
                        return err(f.meta.span, format!("duplicate field `{n}` in struct `{}`", s.name));
                    }
                    fields.push(n);
                }
            }
        }
        Ok(())
    }

    fn check_helpers(&mut self) -> Result<(), ModelError> {
        let prog_types: Vec<&str> = self
            .enums
            .iter()
            .filter(|e| e.name == "bpf_prog_type")
            .flat_map(|e| e.variants.iter().map(|v| v.name.as_str()))
            .collect();
        for st in &self.structs {
            for f in &st.fields {
                for (p, _) in &f.ctx {
                    if !prog_types.contains(&prog_type_value(p).as_str()) {
                        return err(
                            f.meta.span,
                            format!(
                                "field `{}` of `{}`: `{p}` is not a program type (bpf_prog_type)",
                                f.name, st.name
                            ),
                        );
                    }
                }
            }
        }
        for h in &self.helpers {
            for p in &h.progs {
                if !prog_types.contains(&prog_type_value(p).as_str()) {
                    return err(
                        h.meta.span,
                        format!("helper `{}`: `{p}` is not a program type (bpf_prog_type)", h.name),
                    );
                }
            }
            if h.args.len() > 5 {
                return err(
                    h.meta.span,
                    format!(
                        "helper `{}` has {} arguments; BPF passes at most 5",
                        h.name,
                        h.args.len()
                    ),
                );
            }
            let ret = self.ret_kinds.iter().find(|k| k.name == h.ret);
            if ret.is_none() {
                return err(
                    h.meta.span,
                    format!("unknown return kind `{}` of helper `{}`", h.ret, h.name),
                );
            }
            let mut prev_mem = false;
            for a in &h.args {
                let Some(kind) = self.arg_kinds.iter().find(|k| k.name == a.kind) else {
                    return err(
                        a.span,
                        format!(
                            "unknown argument kind `{}` of `{}` in helper `{}`",
                            a.kind, a.name, h.name
                        ),
                    );
                };
                if kind.size && !prev_mem {
                    return err(
                        a.span,
                        format!(
                            "size argument `{}` of helper `{}` does not follow a memory argument",
                            a.name, h.name
                        ),
                    );
                }
                if prev_mem && !kind.size {
                    return err(
                        a.span,
                        format!(
                            "memory argument before `{}` of helper `{}` has no size argument",
                            a.name, h.name
                        ),
                    );
                }
                prev_mem = kind.mem;
            }
            if prev_mem {
                return err(
                    h.meta.span,
                    format!("last argument of helper `{}` is memory without a size argument", h.name),
                );
            }
        }
        let mut ids: BTreeMap<u32, &str> = BTreeMap::new();
        for h in &self.helpers {
            if let Some(other) = ids.insert(h.id, &h.name) {
                return err(
                    h.meta.span,
                    format!("helper id {} used by both `{other}` and `{}`", h.id, h.name),
                );
            }
        }
        self.helpers.sort_by_key(|h| h.id);
        Ok(())
    }

    /// Size of `union bpf_attr` as far as this ABI describes it: the largest
    /// struct that is a member of it.
    pub fn attr_union_size(&self) -> usize {
        self.structs
            .iter()
            .filter(|s| matches!(s.linux, LinuxMatch::AttrAnon | LinuxMatch::AttrNamed(_)))
            .map(|s| s.size)
            .max()
            .unwrap_or(0)
    }

    /// Looks up an enum by C name.
    pub fn enum_named(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// Looks up an argument or return kind by name.
    pub fn kind_named(&self, name: &str) -> Option<&Kind> {
        self.arg_kinds.iter().chain(&self.ret_kinds).find(|k| k.name == name)
    }

    /// Every constant and enum variant with its type, in description order:
    /// the numbers the drift tests compare.
    pub fn all_values(&self) -> Vec<(&Value, Scalar)> {
        let mut out = Vec::new();
        for g in &self.consts {
            out.extend(g.values.iter().map(|v| (v, g.ty)));
        }
        for e in &self.enums {
            out.extend(e.variants.iter().map(|v| (v, e.ty)));
        }
        out
    }
}

fn check_values(group: &str, ty: Scalar, values: &[Value]) -> Result<(), ModelError> {
    let (lo, hi) = ty.range();
    let mut seen: BTreeMap<i128, &str> = BTreeMap::new();
    if values.is_empty() {
        return err(Span::call_site(), format!("`{group}` has no entries"));
    }
    for v in values {
        if v.value < lo || v.value > hi {
            return err(
                v.meta.span,
                format!("value {} of `{}` does not fit in {}", v.value, v.name, ty.rust()),
            );
        }
        if let Some(other) = seen.insert(v.value, &v.name) {
            return err(
                v.meta.span,
                format!(
                    "`{}` and `{other}` in `{group}` both have value {}; write one with #[alias(...)]",
                    v.name, v.value
                ),
            );
        }
    }
    Ok(())
}

fn layout(s: &mut Struct, enums: &[String]) -> Result<(), ModelError> {
    if s.fields.is_empty() {
        return err(s.meta.span, format!("struct `{}` has no fields", s.name));
    }
    let mut offset = 0usize;
    let mut align = 1usize;
    for f in &mut s.fields {
        let a = f.ty.align();
        if offset % a != 0 {
            let gap = a - offset % a;
            return err(
                f.meta.span,
                format!(
                    "implicit padding of {gap} bytes before field `{}` of struct `{}` (offset {offset}, alignment {a}); add an explicit #[pad] field",
                    f.name, s.name
                ),
            );
        }
        if let Some(e) = &f.values {
            if !enums.contains(e) {
                return err(
                    f.meta.span,
                    format!("unknown enum `{e}` in #[values] of field `{}`", f.name),
                );
            }
        }
        if !f.bits.is_empty() {
            let Type::Scalar(sc) = f.ty else {
                return err(
                    f.meta.span,
                    format!("bit-fields of `{}` need an unsigned integer field", f.name),
                );
            };
            let total: u32 = f.bits.iter().map(|(_, w)| w).sum();
            if sc.signed() || total != sc.size() as u32 * 8 || f.bits.iter().any(|(_, w)| *w == 0) {
                return err(
                    f.meta.span,
                    format!(
                        "bit-fields of `{}` must fill its {} bits exactly",
                        f.name,
                        sc.size() * 8
                    ),
                );
            }
        }
        f.offset = offset;
        offset += f.ty.size();
        align = align.max(a);
    }
    if offset % align != 0 {
        return err(
            s.meta.span,
            format!(
                "implicit tail padding of {} bytes in struct `{}` (size {offset}, alignment {align}); add an explicit #[pad] field",
                align - offset % align,
                s.name
            ),
        );
    }
    s.size = offset;
    s.align = align;
    Ok(())
}
