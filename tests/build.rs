//! Builds the three views of the ABI that `tests/drift.rs` compares, all
//! enumerated from the description (a new struct or constant is covered with
//! no test edit):
//! - `rust_side.rs`: layouts and values of the `abi` crate, by `offset_of!`;
//! - `c_header.rs`: bindgen over the committed `bpf_abi.h`, plus layouts and
//!   values read from the bindgen types by `offset_of!`;
//! - `mutated.rs`: the same over a header emitted from a deliberately altered
//!   copy of the model (one field's type, one constant), to test the tester;
//! - `linux.rs`: bindgen over the system's `linux/bpf.h` (Debian
//!   `linux-libc-dev`) for every item of Linux origin.

use codegen::model::{Abi, LinuxMatch, Origin, Scalar, Type};
use codegen::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The struct and field, and the constant, that `mutated.rs` alters.
const MUTATED_STRUCT: &str = "bpf_map_create_attr";
const MUTATED_FIELD: &str = "key_size";
const MUTATED_CONST: &str = "BPF_NOEXIST";

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("..");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let desc = root.join(codegen::DESCRIPTION_PATH);
    let header = root.join("user-bindings/include/bpf_abi.h");
    for p in [&desc, &header] {
        println!("cargo::rerun-if-changed={}", p.display());
    }
    let text = std::fs::read_to_string(&desc).expect("read abi/bpf.abi");
    let abi = codegen::parse_file(codegen::DESCRIPTION_PATH, &text).unwrap_or_else(|e| panic!("{e}"));

    write(&out.join("rust_side.rs"), rust_side(&abi));

    let c = bindgen_header(&std::fs::read_to_string(&header).expect("read bpf_abi.h"), "bpf_abi.h");
    write(&out.join("c_header.rs"), with_views(&c, &abi, View::Header));

    let mut mutated = abi.clone();
    mutate(&mut mutated);
    let m = bindgen_header(&codegen::emit::c_user::emit(&mutated), "mutated_bpf_abi.h");
    write(&out.join("mutated.rs"), with_views(&m, &abi, View::Header));

    let linux = bindgen_header(
        "#include <linux/version.h>\n#include <linux/bpf.h>\n#include <linux/filter.h>\n#include <linux/if_packet.h>\n#include <linux/errno.h>\n#include <asm/unistd.h>\n#include <linux/perf_event.h>\n",
        "linux_wrapper.h",
    );
    write(&out.join("linux.rs"), with_views(&linux, &abi, View::Linux));
}

fn write(path: &Path, text: String) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// One altered field type and one altered constant.
fn mutate(abi: &mut Abi) {
    let s = abi
        .structs
        .iter_mut()
        .find(|s| s.name == MUTATED_STRUCT)
        .expect("mutated struct exists");
    let f = s
        .fields
        .iter_mut()
        .find(|f| f.name == MUTATED_FIELD)
        .expect("mutated field exists");
    f.ty = Type::Scalar(Scalar::U16);
    for g in &mut abi.consts {
        for v in &mut g.values {
            if v.name == MUTATED_CONST {
                v.value += 100;
            }
        }
    }
}

fn bindgen_header(text: &str, name: &str) -> String {
    bindgen::Builder::default()
        .header_contents(name, text)
        .prepend_enum_name(false)
        .layout_tests(false)
        .generate_comments(false)
        .generate()
        .unwrap_or_else(|e| {
            panic!("bindgen over {name} failed: {e}; is libclang installed (scripts/test.sh installs it)?")
        })
        .to_string()
}

/// The struct, union and constant names of a bindgen output, with field
/// names and type tokens.
struct Index {
    types: BTreeMap<String, Vec<(String, syn::Type)>>,
    consts: BTreeMap<String, syn::Expr>,
}

fn index(src: &str) -> Index {
    let file = syn::parse_file(src).expect("bindgen output parses");
    let mut idx = Index {
        types: BTreeMap::new(),
        consts: BTreeMap::new(),
    };
    let named = |fields: &syn::FieldsNamed| -> Vec<(String, syn::Type)> {
        fields
            .named
            .iter()
            .map(|f| (f.ident.as_ref().expect("named").to_string(), f.ty.clone()))
            .collect()
    };
    for item in file.items {
        match item {
            syn::Item::Struct(s) => {
                if let syn::Fields::Named(f) = &s.fields {
                    idx.types.insert(s.ident.to_string(), named(f));
                }
            }
            syn::Item::Union(u) => {
                idx.types.insert(u.ident.to_string(), named(&u.fields));
            }
            syn::Item::Const(c) => {
                idx.consts.insert(c.ident.to_string(), *c.expr);
            }
            _ => {}
        }
    }
    idx
}

fn type_name(t: &syn::Type) -> Option<String> {
    match t {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The path to field `name` in type `ty`, looking through bindgen's
/// anonymous members, and the field's type.
fn find_field(idx: &Index, ty: &str, name: &str) -> Option<(Vec<String>, syn::Type)> {
    let fields = idx.types.get(ty)?;
    // bindgen appends `_` to C names that are Rust keywords (`type` -> `type_`).
    let keyword = syn::parse_str::<syn::Ident>(name).is_err();
    if let Some((n, t)) = fields
        .iter()
        .find(|(n, _)| n == name || (keyword && *n == format!("{name}_")))
    {
        return Some((vec![n.clone()], t.clone()));
    }
    for (n, t) in fields.iter().filter(|(n, _)| n.starts_with("__bindgen_anon_")) {
        if let Some((mut path, t)) = type_name(t).and_then(|inner| find_field(idx, &inner, name)) {
            path.insert(0, n.clone());
            return Some((path, t));
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq)]
enum View {
    /// Our generated header: every struct, every value.
    Header,
    /// Linux's headers: only what the description says Linux has.
    Linux,
}

/// Fields compared: not padding, not bit-field storage (C has only the bits).
fn compared_fields(s: &codegen::model::Struct) -> impl Iterator<Item = &codegen::model::Field> {
    s.fields.iter().filter(|f| !f.pad && f.bits.is_empty())
}

/// A described value: C name, Rust path, origin, first Linux version.
type DescribedValue = (String, TokenStream, Origin, Option<(u32, u32)>);

/// Every value the description defines.
fn values(abi: &Abi) -> Vec<DescribedValue> {
    let mut out = Vec::new();
    for g in &abi.consts {
        for v in &g.values {
            for n in std::iter::once(&v.name).chain(&v.aliases) {
                let id = format_ident!("{}", n);
                out.push((n.clone(), quote! { ::abi::#id }, v.meta.origin, v.meta.since));
            }
        }
    }
    for e in &abi.enums {
        let ty = format_ident!("{}", names::rust_type(&e.name));
        for (v, rv) in e.variants.iter().zip(names::variants(e)) {
            let rv = format_ident!("{}", rv);
            out.push((v.name.clone(), quote! { ::abi::#ty::#rv }, v.meta.origin, v.meta.since));
            for a in &v.aliases {
                let c = format_ident!("{}", names::alias_const(e, a));
                out.push((a.clone(), quote! { ::abi::#ty::#c }, v.meta.origin, v.meta.since));
            }
        }
    }
    let helper = format_ident!("{}", names::HELPER_TYPE);
    for h in &abi.helpers {
        let v = format_ident!("{}", names::helper_variant(h));
        out.push((
            names::helper_const(h),
            quote! { ::abi::#helper::#v },
            h.meta.origin,
            h.meta.since,
        ));
    }
    for s in &abi.syscalls {
        let c = format_ident!("{}", names::syscall_const(&s.name));
        out.push((
            names::syscall_c_macro(&s.name),
            quote! { ::abi::#c },
            s.meta.origin,
            s.meta.since,
        ));
    }
    out
}

fn rust_side(abi: &Abi) -> String {
    let layouts = abi.structs.iter().map(|s| {
        let name = &s.name;
        let ty = format_ident!("{}", names::struct_type(s));
        let fields = compared_fields(s).map(|f| {
            let n = &f.name;
            let id = syn::parse_str::<syn::Ident>(n).unwrap_or_else(|_| syn::Ident::new_raw(n, proc_macro2::Span::call_site()));
            let fty = codegen::emit::rust::field_ty(&f.ty);
            quote! { ::tests::FieldLayout { name: #n, at: Some((::core::mem::offset_of!(::abi::#ty, #id), ::core::mem::size_of::<#fty>())) } }
        });
        quote! {
            ::tests::Layout {
                name: #name,
                size_align: Some((::core::mem::size_of::<::abi::#ty>(), ::core::mem::align_of::<::abi::#ty>())),
                present: true,
                fields: vec![#(#fields),*],
            }
        }
    });
    let vals = values(abi)
        .into_iter()
        .map(|(n, path, _, _)| quote! { (#n, Some(#path as i128)) });
    quote! {
        /// Layouts of the `abi` crate's structs.
        pub fn layouts() -> Vec<::tests::Layout> { vec![#(#layouts),*] }
        /// Values of the `abi` crate's constants and enums.
        pub fn values() -> Vec<::tests::NamedValue> { vec![#(#vals),*] }
    }
    .to_string()
}

/// Bindgen output followed by `layouts()` and `values()` over its types.
fn with_views(bindgen_out: &str, abi: &Abi, view: View) -> String {
    let idx = index(bindgen_out);
    let version = idx.consts.get("LINUX_VERSION_CODE").and_then(|e| match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i), ..
        }) => i.base10_parse::<u32>().ok(),
        _ => None,
    });
    let too_new = |since: Option<(u32, u32)>| match (since, version) {
        (Some((a, b)), Some(v)) => (a << 16 | b << 8) > v,
        (Some(_), None) => true,
        _ => false,
    };
    let layouts = abi.structs.iter().filter_map(|s| {
        let name = &s.name;
        // The type whose fields are compared, and whether sizes are too.
        let (root, whole): (Option<String>, bool) = match (view, &s.linux) {
            (View::Header, _) => (Some(s.name.clone()), true),
            (View::Linux, LinuxMatch::None) => return None,
            (View::Linux, LinuxMatch::Struct) => (Some(s.name.clone()), true),
            (View::Linux, LinuxMatch::AttrNamed(m)) => (find_field(&idx, "bpf_attr", m).and_then(|(_, t)| type_name(&t)), false),
            (View::Linux, LinuxMatch::AttrAnon) => {
                let first = compared_fields(s).next().map(|f| f.name.clone()).unwrap_or_default();
                let members = idx.types.get("bpf_attr").cloned().unwrap_or_default();
                let found = members
                    .iter()
                    .filter(|(n, _)| n.starts_with("__bindgen_anon_"))
                    .filter_map(|(_, t)| type_name(t))
                    .find(|t| find_field(&idx, t, &first).is_some());
                (found, false)
            }
        };
        let Some(root) = root.filter(|r| idx.types.contains_key(r)) else {
            return Some(quote! { ::tests::Layout { name: #name, size_align: None, present: false, fields: vec![] } });
        };
        let root_id = format_ident!("{}", root);
        let fields = compared_fields(s).map(|f| {
            let n = &f.name;
            match find_field(&idx, &root, n) {
                Some((path, fty)) => {
                    let path = path.iter().map(|p| format_ident!("{}", p));
                    quote! { ::tests::FieldLayout { name: #n, at: Some((::core::mem::offset_of!(#root_id, #(#path).*), ::core::mem::size_of::<#fty>())) } }
                }
                None => quote! { ::tests::FieldLayout { name: #n, at: None } },
            }
        });
        let size_align = if whole {
            quote! { Some((::core::mem::size_of::<#root_id>(), ::core::mem::align_of::<#root_id>())) }
        } else {
            quote! { None }
        };
        Some(quote! { ::tests::Layout { name: #name, size_align: #size_align, present: true, fields: vec![#(#fields),*] } })
    });
    let vals = values(abi).into_iter().filter_map(|(n, _, origin, since)| {
        if view == View::Linux && (origin != Origin::Linux || too_new(since)) {
            return None;
        }
        Some(if idx.consts.contains_key(&n) {
            let id = format_ident!("{}", n);
            quote! { (#n, Some(#id as i128)) }
        } else {
            quote! { (#n, None) }
        })
    });
    let skipped: Vec<String> = values(abi)
        .into_iter()
        .filter(|(_, _, origin, since)| view == View::Linux && *origin == Origin::Linux && too_new(*since))
        .map(|(n, ..)| n)
        .collect();
    let views = quote! {
        /// Layouts of the described structs, as this header lays them out.
        pub fn layouts() -> Vec<::tests::Layout> { vec![#(#layouts),*] }
        /// Values of the described names, as this header defines them.
        pub fn values() -> Vec<::tests::NamedValue> { vec![#(#vals),*] }
        /// Linux items newer than these headers, left out of `values()`.
        pub const TOO_NEW: &[&str] = &[#(#skipped),*];
    };
    format!("{bindgen_out}\n{views}\n")
}
