//! The Rust emitter: what `codegen_macro::bpf_abi!` expands to in the `abi`
//! crate. Output is `no_std` (only `core` paths) and uses `::zerocopy`.

use crate::model::{Abi, Enum, Field, Kind, Meta, Origin, Scalar, Struct, Type};
use crate::names;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// A field name as a Rust identifier (raw for keywords such as `type`).
fn field_ident(s: &str) -> Ident {
    if syn::parse_str::<Ident>(s).is_ok() {
        ident(s)
    } else {
        Ident::new_raw(s, Span::call_site())
    }
}

fn docs(meta: &Meta) -> TokenStream {
    let mut lines: Vec<String> = meta.doc.iter().map(|l| format!(" {l}")).collect();
    if meta.origin != Origin::Linux {
        lines.push(String::new());
        lines.push(format!(" Origin: {}.", meta.origin.label()));
    }
    if let Some((a, b)) = meta.since {
        lines.push(String::new());
        lines.push(format!(" Linux {a}.{b} and later."));
    }
    quote! { #( #[doc = #lines] )* }
}

fn scalar_ty(s: Scalar) -> Ident {
    ident(s.rust())
}

fn lit(v: i128, ty: Scalar) -> TokenStream {
    let l = match ty {
        Scalar::U8 | Scalar::U16 | Scalar::U32 | Scalar::U64 => Literal::u64_unsuffixed(v as u64),
        _ => Literal::i64_unsuffixed(v.unsigned_abs() as i64),
    };
    if v < 0 {
        quote! { -#l }
    } else {
        quote! { #l }
    }
}

/// The whole expansion.
pub fn emit(abi: &Abi) -> TokenStream {
    let consts = abi.consts.iter().map(|g| {
        let ty = scalar_ty(g.ty);
        let items = g.values.iter().map(|v| {
            let d = docs(&v.meta);
            let n = ident(&v.name);
            let l = lit(v.value, g.ty);
            let aliases = v.aliases.iter().map(|a| {
                let a = ident(a);
                let doc = format!(" Same as [`{}`].", v.name);
                quote! { #[doc = #doc] pub const #a: #ty = #n; }
            });
            quote! { #d pub const #n: #ty = #l; #(#aliases)* }
        });
        quote! { #(#items)* }
    });
    let enums = abi.enums.iter().map(enumeration);
    let structs = abi.structs.iter().map(structure);
    let helpers = helpers(abi);
    let ctx_fields = ctx_fields(abi);
    let attr_size = Literal::usize_unsuffixed(abi.attr_union_size());
    let syscalls = abi.syscalls.iter().map(|s| {
        let by_arch = format_ident!("{}_BY_ARCH", names::syscall_const(&s.name));
        let c = ident(&names::syscall_const(&s.name));
        let d = docs(&s.meta);
        let rows = s.numbers.iter().map(|(a, n)| {
            let a = a.rust();
            let n = Literal::usize_unsuffixed(*n as usize);
            quote! { (#a, #n) }
        });
        let per_arch = s.numbers.iter().map(|(a, n)| {
            let a = a.rust();
            let n = Literal::usize_unsuffixed(*n as usize);
            quote! { #d #[cfg(target_arch = #a)] pub const #c: usize = #n; }
        });
        quote! {
            #d
            /// As `(target_arch, number)` rows, for every architecture described.
            pub const #by_arch: &[(&str, usize)] = &[#(#rows),*];
            #(#per_arch)*
        }
    });
    quote! {
        /// A number that is not a value of the enum it was converted to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct UnknownValue {
            /// The C name of the enum.
            pub type_name: &'static str,
            /// The number given.
            pub value: i128,
        }
        impl ::core::fmt::Display for UnknownValue {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{} is not a value of {}", self.value, self.type_name)
            }
        }
        impl ::core::error::Error for UnknownValue {}
        /// Size of `union bpf_attr` as this ABI describes it: the largest of
        /// its member structs. Bytes a caller passes beyond it must be zero.
        pub const BPF_ATTR_SIZE: usize = #attr_size;
        #(#consts)*
        #(#enums)*
        #(#structs)*
        #helpers
        #ctx_fields
        #(#syscalls)*
    }
}

/// `CTX_FIELDS`: the `#[ctx]` access rules of context structs.
fn ctx_fields(abi: &Abi) -> TokenStream {
    let Some(prog_enum) = abi.enums.iter().find(|e| e.name == "bpf_prog_type") else {
        return quote! {};
    };
    let prog_ty = ident(&names::rust_type("bpf_prog_type"));
    let vs = names::variants(prog_enum);
    let mut rows = Vec::new();
    for st in &abi.structs {
        for f in &st.fields {
            for (prog, modes) in &f.ctx {
                let v = crate::model::prog_type_value(prog);
                let pv = ident(&vs[prog_enum.variants.iter().position(|x| x.name == v).expect("validated")]);
                let (elem, len) = match &f.ty {
                    crate::model::Type::Array(e, n) => (e.size(), n.n),
                    t => (t.size(), 1),
                };
                let (cname, fname) = (st.name.as_str(), f.name.as_str());
                let (off, elem, len) = (
                    Literal::usize_unsuffixed(f.offset),
                    Literal::usize_unsuffixed(elem),
                    Literal::usize_unsuffixed(len),
                );
                let flag = |c: char, bit: u8| if modes.contains(c) { bit } else { 0 };
                let m = Literal::u8_unsuffixed(flag('r', 1) | flag('R', 2) | flag('w', 4) | flag('a', 8));
                rows.push(quote! {
                    CtxField { ctx: #cname, field: #fname, prog_type: #prog_ty::#pv, offset: #off, elem: #elem, len: #len, modes: #m }
                });
            }
        }
    }
    quote! {
        /// How a program type may access a field of its context (`#[ctx]`
        /// in the description).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct CtxField {
            /// The context struct's C name.
            pub ctx: &'static str,
            /// The field.
            pub field: &'static str,
            /// The program type.
            pub prog_type: #prog_ty,
            /// Byte offset.
            pub offset: usize,
            /// Size of one element (the whole field, unless an array).
            pub elem: usize,
            /// Elements (1 unless an array).
            pub len: usize,
            /// `CTX_READ | CTX_READ_WHOLE | CTX_WRITE | CTX_ANY_SIZE`.
            pub modes: u8,
        }
        /// Reads at the element's size or narrower (aligned).
        pub const CTX_READ: u8 = 1;
        /// Reads at the element's size only.
        pub const CTX_READ_WHOLE: u8 = 2;
        /// Writes at the element's size.
        pub const CTX_WRITE: u8 = 4;
        /// Reads and writes at any aligned size inside the field.
        pub const CTX_ANY_SIZE: u8 = 8;
        /// Every access rule of the description's contexts.
        pub const CTX_FIELDS: &[CtxField] = &[#(#rows),*];
        /// Whether a program of type `t` may access `size` bytes at `off` of
        /// context `ctx` (`write`: a store): the field's rule, the size, and
        /// alignment to the size, as Linux's `*_is_valid_access`.
        pub fn ctx_access_ok(ctx: &str, t: #prog_ty, off: usize, size: usize, write: bool) -> bool {
            if size == 0 || off % size != 0 {
                return false;
            }
            let Some(f) = CTX_FIELDS.iter().find(|f| {
                f.ctx == ctx && f.prog_type == t && f.offset <= off && off < f.offset + f.elem * f.len
            }) else {
                return false;
            };
            let end = f.offset + f.elem * f.len;
            if off + size > end {
                return false;
            }
            if f.modes & CTX_ANY_SIZE != 0 {
                return true;
            }
            // One element, at its size (or narrower for plain reads).
            let elem_start = f.offset + (off - f.offset) / f.elem * f.elem;
            if off + size > elem_start + f.elem {
                return false;
            }
            if write {
                f.modes & CTX_WRITE != 0 && size == f.elem
            } else {
                (f.modes & CTX_READ != 0 && size <= f.elem)
                    || (f.modes & CTX_READ_WHOLE != 0 && size == f.elem && off == elem_start)
            }
        }
    }
}

fn enumeration(e: &Enum) -> TokenStream {
    let name = ident(&names::rust_type(&e.name));
    enum_body(
        &name,
        &e.name,
        e.ty,
        &e.meta,
        &names::variants(e),
        e.variants.iter().map(|v| (v.value, &v.name, &v.meta)),
        {
            let aliases = e.variants.iter().zip(names::variants(e)).flat_map(|(v, rv)| {
                let rv = ident(&rv);
                let name = name.clone();
                v.aliases.iter().map(move |a| {
                    let c = ident(&names::alias_const(e, a));
                    let doc = format!(" `{a}`, the same value as `{}`.", v.name);
                    quote! { #[doc = #doc] pub const #c: #name = #name::#rv; }
                })
            });
            let attrs = attr_fns(e, &name);
            quote! { #(#aliases)* #attrs }
        },
    )
}

/// `attr_struct()` and `attr_size()` for enums whose values name the attr
/// struct they read (commands).
fn attr_fns(e: &Enum, name: &Ident) -> TokenStream {
    if e.variants.iter().all(|v| v.attr.is_none()) {
        return quote! {};
    }
    let vs: Vec<Ident> = names::variants(e).iter().map(|v| ident(v)).collect();
    let structs = e.variants.iter().zip(&vs).map(|(v, id)| match &v.attr {
        Some(a) => {
            let s = &a.struct_name;
            quote! { #name::#id => Some(#s) }
        }
        None => quote! { #name::#id => None },
    });
    let sizes = e.variants.iter().zip(&vs).map(|(v, id)| match &v.attr {
        Some(a) => {
            let n = Literal::usize_unsuffixed(a.used);
            quote! { #name::#id => Some(#n) }
        }
        None => quote! { #name::#id => None },
    });
    quote! {
        /// The C name of the attr struct this command reads, if described.
        pub const fn attr_struct(self) -> Option<&'static str> {
            match self { #(#structs,)* }
        }
        /// Bytes of the attr this command reads; the rest of `union bpf_attr`
        /// (up to [`BPF_ATTR_SIZE`]) must be zero, as Linux's `CHECK_ATTR` demands.
        pub const fn attr_size(self) -> Option<usize> {
            match self { #(#sizes,)* }
        }
    }
}

/// A `#[repr(int)]` enum with `ALL`, `c_name`, `is_extension`, and
/// conversions to and from its integer.
fn enum_body<'a>(
    name: &Ident,
    c_enum: &str,
    ty: Scalar,
    meta: &Meta,
    rust_variants: &[String],
    values: impl Iterator<Item = (i128, &'a String, &'a Meta)>,
    extra: TokenStream,
) -> TokenStream {
    let ty_id = scalar_ty(ty);
    let d = docs(meta);
    let values: Vec<_> = values.collect();
    let vs: Vec<Ident> = rust_variants.iter().map(|v| ident(v)).collect();
    let decl = values.iter().zip(&vs).map(|((v, _, m), id)| {
        let d = docs(m);
        let l = lit(*v, ty);
        quote! { #d #id = #l }
    });
    let c_names = values.iter().map(|(_, n, _)| n.as_str());
    let ext: Vec<&Ident> = values
        .iter()
        .zip(&vs)
        .filter(|((_, _, m), _)| m.origin != Origin::Linux)
        .map(|(_, v)| v)
        .collect();
    let arms = values.iter().zip(&vs).map(|((v, _, _), id)| {
        let l = lit(*v, ty);
        quote! { #l => Ok(#name::#id) }
    });
    let is_ext = if ext.is_empty() {
        quote! { let _ = self; false }
    } else {
        quote! { matches!(self, #(#name::#ext)|*) }
    };
    quote! {
        #d
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(#ty_id)]
        pub enum #name { #(#decl,)* }
        impl #name {
            /// Every variant, in description order.
            pub const ALL: &'static [#name] = &[#(#name::#vs),*];
            /// The C name of the enum.
            pub const C_ENUM: &'static str = #c_enum;
            /// The C name of this value, as Linux spells it.
            pub const fn c_name(self) -> &'static str {
                match self { #(#name::#vs => #c_names,)* }
            }
            /// Whether this value is not Linux's (an rCore extension).
            pub const fn is_extension(self) -> bool { #is_ext }
            /// The raw value.
            pub const fn raw(self) -> #ty_id { self as #ty_id }
            #extra
        }
        impl ::core::convert::From<#name> for #ty_id {
            fn from(v: #name) -> #ty_id { v as #ty_id }
        }
        impl ::core::convert::TryFrom<#ty_id> for #name {
            type Error = UnknownValue;
            fn try_from(v: #ty_id) -> ::core::result::Result<#name, UnknownValue> {
                match v {
                    #(#arms,)*
                    _ => Err(UnknownValue { type_name: #c_enum, value: v as i128 }),
                }
            }
        }
    }
}

/// The Rust type of a field.
pub fn field_ty(t: &Type) -> TokenStream {
    match t {
        Type::Scalar(s) => {
            let s = scalar_ty(*s);
            quote! { #s }
        }
        Type::UPtr => quote! { u64 },
        Type::Char => quote! { u8 },
        Type::Array(e, n) => {
            let e = field_ty(e);
            let n = Literal::usize_unsuffixed(n.n);
            quote! { [#e; #n] }
        }
    }
}

fn max_array(t: &Type) -> usize {
    match t {
        Type::Array(e, n) => n.n.max(max_array(e)),
        _ => 0,
    }
}

fn field_docs(f: &Field) -> TokenStream {
    let mut meta = f.meta.clone();
    if f.pad {
        meta.doc.push("Padding: must be zero.".into());
    }
    if !f.aliases.is_empty() {
        meta.doc.push(format!("In C also named: {}.", f.aliases.join(", ")));
    }
    if let Some(e) = &f.values {
        meta.doc.push(format!("Holds a [`{}`] value.", names::rust_type(e)));
    }
    docs(&meta)
}

fn structure(s: &Struct) -> TokenStream {
    let name = ident(&names::struct_type(s));
    let d = docs(&s.meta);
    let c_name = &s.name;
    let fields = s.fields.iter().map(|f| {
        let d = field_docs(f);
        let n = field_ident(&f.name);
        let t = field_ty(&f.ty);
        quote! { #d pub #n: #t }
    });
    // Default is derived only where core implements it for every array.
    let default = if s.fields.iter().all(|f| max_array(&f.ty) <= 32) {
        quote! { Default, }
    } else {
        quote! {}
    };
    let size = Literal::usize_unsuffixed(s.size);
    let align = Literal::usize_unsuffixed(s.align);
    let offsets = s.fields.iter().map(|f| {
        let n = field_ident(&f.name);
        let o = Literal::usize_unsuffixed(f.offset);
        let msg = format!("{}.{} is not at offset {}", s.name, f.name, f.offset);
        quote! { assert!(::core::mem::offset_of!(#name, #n) == #o, #msg); }
    });
    let size_msg = format!("{} is not {} bytes", s.name, s.size);
    let align_msg = format!("{} is not {}-aligned", s.name, s.align);
    let accessors = s.fields.iter().filter(|f| !f.bits.is_empty()).map(bit_accessors);
    quote! {
        #d
        #[derive(Clone, Copy, Debug, #default PartialEq, Eq, Hash,
                 ::zerocopy::FromBytes, ::zerocopy::IntoBytes, ::zerocopy::KnownLayout, ::zerocopy::Immutable)]
        #[repr(C)]
        pub struct #name { #(#fields,)* }
        impl #name {
            /// The C name of this struct.
            pub const C_NAME: &'static str = #c_name;
            #(#accessors)*
        }
        const _: () = {
            assert!(::core::mem::size_of::<#name>() == #size, #size_msg);
            assert!(::core::mem::align_of::<#name>() == #align, #align_msg);
            #(#offsets)*
        };
    }
}

fn bit_accessors(f: &Field) -> TokenStream {
    let Type::Scalar(sc) = f.ty else { return quote! {} };
    let ty = scalar_ty(sc);
    let store = field_ident(&f.name);
    let mut shift = 0u32;
    let mut out = Vec::new();
    for (name, width) in &f.bits {
        if name.starts_with('_') {
            // Reserved bits get no accessors.
            shift += width;
            continue;
        }
        let get = ident(name);
        let set = format_ident!("set_{}", name);
        let mask = Literal::u64_unsuffixed((1u64 << width) - 1);
        let sh = Literal::u32_unsuffixed(shift);
        let gdoc = format!(
            " Bits {}..{} of `{}` (C bit-field `{name}`).",
            shift,
            shift + width,
            f.name
        );
        let sdoc = format!(
            " Sets bits {}..{} of `{}`; higher bits of `v` are ignored.",
            shift,
            shift + width,
            f.name
        );
        out.push(quote! {
            #[doc = #gdoc]
            pub const fn #get(&self) -> #ty { (self.#store >> #sh) & #mask }
            #[doc = #sdoc]
            pub fn #set(&mut self, v: #ty) { self.#store = (self.#store & !(#mask << #sh)) | ((v & #mask) << #sh); }
        });
        shift += width;
    }
    quote! { #(#out)* }
}

fn kind_enum(type_name: &str, c_enum: &str, kinds: &[Kind]) -> TokenStream {
    let name = ident(type_name);
    let vs = names::kinds(kinds);
    let mem: Vec<Ident> = kinds
        .iter()
        .zip(&vs)
        .filter(|(k, _)| k.mem)
        .map(|(_, v)| ident(v))
        .collect();
    let size: Vec<Ident> = kinds
        .iter()
        .zip(&vs)
        .filter(|(k, _)| k.size)
        .map(|(_, v)| ident(v))
        .collect();
    let pred = |list: &[Ident]| {
        if list.is_empty() {
            quote! { let _ = self; false }
        } else {
            quote! { matches!(self, #(#name::#list)|*) }
        }
    };
    let (is_mem, is_size) = (pred(&mem), pred(&size));
    let meta = Meta {
        doc: vec![format!("The verifier's `{c_enum}` vocabulary.")],
        ..kinds[0].meta.clone()
    };
    let extra = quote! {
        /// A pointer to memory whose size is the next argument.
        pub const fn is_mem(self) -> bool { #is_mem }
        /// The size of the previous (memory) argument.
        pub const fn is_size(self) -> bool { #is_size }
    };
    let values: Vec<(i128, &String, &Meta)> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| (i as i128, &k.name, &k.meta))
        .collect();
    enum_body(&name, c_enum, Scalar::U32, &meta, &vs, values.into_iter(), extra)
}

fn helpers(abi: &Abi) -> TokenStream {
    if abi.helpers.is_empty() {
        return quote! {};
    }
    let arg_kind = ident(names::ARG_KIND_TYPE);
    let ret_kind = ident(names::RET_KIND_TYPE);
    let arg_enum = kind_enum(names::ARG_KIND_TYPE, "bpf_arg_type", &abi.arg_kinds);
    let ret_enum = kind_enum(names::RET_KIND_TYPE, "bpf_return_type", &abi.ret_kinds);
    let arg_vs = names::kinds(&abi.arg_kinds);
    let ret_vs = names::kinds(&abi.ret_kinds);
    let kind_of =
        |list: &[Kind], vs: &[String], k: &str| ident(&vs[list.iter().position(|x| x.name == k).expect("validated")]);
    let helper = ident(names::HELPER_TYPE);
    let prog_enum = abi.enums.iter().find(|e| e.name == "bpf_prog_type");
    let prog_ty = ident(&names::rust_type("bpf_prog_type"));
    let prog_variant = |lower: &str| {
        let e = prog_enum.expect("validated: helpers name program types");
        let vs = names::variants(e);
        let v = crate::model::prog_type_value(lower);
        ident(&vs[e.variants.iter().position(|x| x.name == v).expect("validated")])
    };
    let rows = abi.helpers.iter().map(|h| {
        let id = Literal::u32_unsuffixed(h.id);
        let name = &h.name;
        let ret = kind_of(&abi.ret_kinds, &ret_vs, &h.ret);
        let args = h.args.iter().map(|a| kind_of(&abi.arg_kinds, &arg_vs, &a.kind));
        let arg_names = h.args.iter().map(|a| a.name.as_str());
        let gpl = h.gpl_only;
        let variadic = h.variadic;
        let doc = h.meta.doc_line();
        let progs = h.progs.iter().map(|p| prog_variant(p));
        quote! {
            HelperProto { id: #id, name: #name, ret: #ret_kind::#ret, args: &[#(#arg_kind::#args),*],
                          arg_names: &[#(#arg_names),*], gpl_only: #gpl, variadic: #variadic, progs: &[#(#prog_ty::#progs),*], doc: #doc }
        }
    });
    let hvs: Vec<String> = abi.helpers.iter().map(names::helper_variant).collect();
    let helper_meta = Meta {
        doc: vec!["Helper function IDs (Linux's `enum bpf_func_id`).".into()],
        ..abi.helpers[0].meta.clone()
    };
    let index_arms = hvs.iter().enumerate().map(|(i, v)| {
        let v = ident(v);
        let i = Literal::usize_unsuffixed(i);
        quote! { #helper::#v => &HELPERS[#i] }
    });
    let consts: Vec<String> = abi.helpers.iter().map(names::helper_const).collect();
    let values: Vec<(i128, &String, &Meta)> = abi
        .helpers
        .iter()
        .zip(&consts)
        .map(|(h, c)| (h.id as i128, c, &h.meta))
        .collect();
    let helper_enum = enum_body(
        &helper,
        names::HELPER_C_ENUM,
        Scalar::U32,
        &helper_meta,
        &hvs,
        values.into_iter(),
        quote! {
            /// The prototype of this helper.
            pub const fn proto(self) -> &'static HelperProto {
                match self { #(#index_arms,)* }
            }
        },
    );
    quote! {
        #arg_enum
        #ret_enum
        /// A helper's prototype as the verifier reads it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct HelperProto {
            /// Linux helper ID.
            pub id: u32,
            /// Name without the `bpf_` prefix.
            pub name: &'static str,
            /// What the helper returns.
            pub ret: #ret_kind,
            /// Argument kinds, r1 first.
            pub args: &'static [#arg_kind],
            /// Argument names, as in the C declarations.
            pub arg_names: &'static [&'static str],
            /// Callable only from GPL-compatible programs.
            pub gpl_only: bool,
            /// Its trailing ARG_ANYTHING arguments are optional (C `...`).
            pub variadic: bool,
            /// The program types that may call it; empty: every type.
            pub progs: &'static [#prog_ty],
            /// One-line description.
            pub doc: &'static str,
        }
        impl HelperProto {
            /// Whether programs of type `t` may call it.
            pub fn allows(&self, t: #prog_ty) -> bool {
                self.progs.is_empty() || self.progs.contains(&t)
            }
        }
        /// Every helper, sorted by ID.
        pub const HELPERS: &[HelperProto] = &[#(#rows),*];
        /// The prototype of helper `id`, if it is described.
        pub fn helper_proto(id: u32) -> ::core::option::Option<&'static HelperProto> {
            HELPERS.binary_search_by_key(&id, |h| h.id).ok().map(|i| &HELPERS[i])
        }
        #helper_enum
    }
}
