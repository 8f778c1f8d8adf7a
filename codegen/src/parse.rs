//! The parser: Rust tokens of the description in, an unvalidated [`Abi`] out.
//!
//! The grammar is documented at the top of `abi/bpf.abi`. Every error is a
//! `syn::Error` carrying the span of the offending token, so inside the
//! proc-macro it points at the line in `bpf.abi`, and outside (regen, tests)
//! [`crate::Error`] turns it into `file:line:column`.

use crate::model::{
    Abi, Arch, Arg, ArrayLen, AttrUse, ConstGroup, Enum, Field, Helper, Kind, LinuxMatch, Meta, Origin, Scalar, Struct,
    Syscall, Type, Value,
};
use proc_macro2::Span;
use quote::ToTokens;
use std::collections::BTreeMap;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{braced, bracketed, parenthesized, Attribute, Expr, Ident, LitInt, LitStr, Token};

/// Parsed from the tokens inside `bpf_abi! { ... }`.
pub struct Description(pub Abi);

impl Parse for Description {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut p = Parser {
            abi: Abi::default(),
            values: BTreeMap::new(),
        };
        while !input.is_empty() {
            p.item(input)?;
        }
        Ok(Description(p.abi))
    }
}

struct Parser {
    abi: Abi,
    /// Every constant and variant parsed so far, for references in values
    /// and array lengths.
    values: BTreeMap<String, i128>,
}

/// Attributes of one item, consumed by name; leftovers are errors.
struct Attrs {
    doc: Vec<String>,
    rest: Vec<Attribute>,
    span: Span,
}

impl Attrs {
    fn parse(input: ParseStream) -> syn::Result<Attrs> {
        let span = input.span();
        let mut doc = Vec::new();
        let mut rest = Vec::new();
        for a in Attribute::parse_outer(input)? {
            if a.path().is_ident("doc") {
                let nv = a.meta.require_name_value()?;
                match &nv.value {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s), ..
                    }) => doc.push(s.value().trim().to_string()),
                    other => return Err(syn::Error::new(other.span(), "doc must be a string")),
                }
            } else {
                rest.push(a);
            }
        }
        Ok(Attrs { doc, rest, span })
    }

    fn take(&mut self, name: &str) -> Option<Attribute> {
        let i = self.rest.iter().position(|a| a.path().is_ident(name))?;
        Some(self.rest.remove(i))
    }

    fn flag(&mut self, name: &str) -> syn::Result<bool> {
        match self.take(name) {
            None => Ok(false),
            Some(a) => {
                a.meta.require_path_only()?;
                Ok(true)
            }
        }
    }

    fn idents(&mut self, name: &str) -> syn::Result<Vec<String>> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(a) => {
                let list = a.parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated)?;
                Ok(list.iter().map(Ident::to_string).collect())
            }
        }
    }

    /// Docs, `#[ext]`, `#[origin(...)]` and `#[since = "x.y"]`.
    fn meta(&mut self, inherited: Origin) -> syn::Result<Meta> {
        let mut origin = inherited;
        if self.flag("ext")? {
            origin = Origin::Rcore;
        }
        if let Some(a) = self.take("origin") {
            let id: Ident = a.parse_args()?;
            origin = match id.to_string().as_str() {
                "linux" => Origin::Linux,
                "rcore" => Origin::Rcore,
                "llvm" => Origin::Llvm,
                "libbpf" => Origin::Libbpf,
                _ => {
                    return Err(syn::Error::new(
                        id.span(),
                        "unknown origin; expected linux, rcore, llvm or libbpf",
                    ))
                }
            };
        }
        let mut since = None;
        if let Some(a) = self.take("since") {
            let nv = a.meta.require_name_value()?;
            let bad = || syn::Error::new(nv.value.span(), "expected a version string like \"6.6\"");
            let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) = &nv.value
            else {
                return Err(bad());
            };
            let v = s.value();
            let (a, b) = v.split_once('.').ok_or_else(bad)?;
            since = Some((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?));
        }
        Ok(Meta {
            doc: std::mem::take(&mut self.doc),
            origin,
            since,
            span: self.span,
        })
    }

    fn finish(self) -> syn::Result<()> {
        match self.rest.first() {
            None => Ok(()),
            Some(a) => Err(syn::Error::new(
                a.path().span(),
                format!("attribute `{}` not allowed here", a.path().to_token_stream()),
            )),
        }
    }
}

fn require_doc(meta: &Meta, what: &str) -> syn::Result<()> {
    if meta.doc.is_empty() {
        return Err(syn::Error::new(
            meta.span,
            format!("{what} needs a doc line (`/// ...`)"),
        ));
    }
    Ok(())
}

fn scalar(input: ParseStream) -> syn::Result<Scalar> {
    let id: Ident = input.parse()?;
    Scalar::from_name(&id.to_string()).ok_or_else(|| syn::Error::new(id.span(), format!("unknown integer type `{id}`")))
}

impl Parser {
    fn item(&mut self, input: ParseStream) -> syn::Result<()> {
        let mut attrs = Attrs::parse(input)?;
        if input.peek(Token![enum]) {
            input.parse::<Token![enum]>()?;
            return self.enumeration(input, attrs);
        }
        if input.peek(Token![struct]) {
            input.parse::<Token![struct]>()?;
            return self.structure(input, attrs);
        }
        let kw: Ident = input.parse()?;
        attrs.span = kw.span();
        match kw.to_string().as_str() {
            "consts" => self.consts(input, attrs),
            "arg_kinds" => {
                let kinds = self.kinds(input, attrs)?;
                self.abi.arg_kinds.extend(kinds);
                Ok(())
            }
            "ret_kinds" => {
                let kinds = self.kinds(input, attrs)?;
                self.abi.ret_kinds.extend(kinds);
                Ok(())
            }
            "helpers" => self.helpers(input, attrs),
            "syscall" => self.syscall(input, attrs),
            other => Err(syn::Error::new(
                kw.span(),
                format!(
                    "unknown item `{other}`; expected consts, enum, struct, arg_kinds, ret_kinds, helpers or syscall"
                ),
            )),
        }
    }

    /// `NAME = VALUE,` entries of a consts group or enum.
    fn values(&mut self, input: ParseStream, origin: Origin) -> syn::Result<Vec<Value>> {
        let body;
        braced!(body in input);
        let mut out = Vec::new();
        while !body.is_empty() {
            let mut attrs = Attrs::parse(&body)?;
            let name: Ident = body.parse()?;
            attrs.span = name.span();
            let aliases = attrs.idents("alias")?;
            let attr = match attrs.take("attr") {
                None => None,
                Some(a) => Some(a.parse_args_with(|p: ParseStream| {
                    let st: Ident = p.parse()?;
                    let mut last = None;
                    if !p.is_empty() {
                        p.parse::<Token![,]>()?;
                        let kw: Ident = p.parse()?;
                        if kw != "last" {
                            return Err(syn::Error::new(kw.span(), "expected `last = field`"));
                        }
                        p.parse::<Token![=]>()?;
                        last = Some(p.parse::<Ident>()?.to_string());
                    }
                    Ok(AttrUse {
                        struct_name: st.to_string(),
                        last,
                        used: 0,
                    })
                })?),
            };
            let meta = attrs.meta(origin)?;
            attrs.finish()?;
            require_doc(&meta, &format!("`{name}`"))?;
            body.parse::<Token![=]>()?;
            let expr: Expr = body.parse()?;
            let value = self.eval(&expr)?;
            self.values.insert(name.to_string(), value);
            for a in &aliases {
                self.values.insert(a.clone(), value);
            }
            out.push(Value {
                name: name.to_string(),
                value,
                aliases,
                attr,
                meta,
            });
            comma(&body)?;
        }
        Ok(out)
    }

    /// Integer literals, `-x`, `a << b`, `a | b`, `a + b`, parentheses and
    /// names defined earlier.
    fn eval(&self, e: &Expr) -> syn::Result<i128> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i), ..
            }) => i.base10_parse::<i128>(),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Group(g) => self.eval(&g.expr),
            Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Neg(_),
                expr,
                ..
            }) => Ok(-self.eval(expr)?),
            Expr::Binary(b) => {
                let (l, r) = (self.eval(&b.left)?, self.eval(&b.right)?);
                let v = match b.op {
                    syn::BinOp::Shl(_) if (0..127).contains(&r) => l.checked_shl(r as u32),
                    syn::BinOp::BitOr(_) => Some(l | r),
                    syn::BinOp::Add(_) => l.checked_add(r),
                    _ => None,
                };
                v.ok_or_else(|| syn::Error::new(b.span(), "unsupported or overflowing operator; use <<, | or +"))
            }
            Expr::Path(p) => {
                let id = p
                    .path
                    .get_ident()
                    .ok_or_else(|| syn::Error::new(p.span(), "expected a constant name"))?;
                self.values.get(&id.to_string()).copied().ok_or_else(|| {
                    syn::Error::new(id.span(), format!("unknown constant `{id}` (define it before use)"))
                })
            }
            other => Err(syn::Error::new(other.span(), "expected an integer expression")),
        }
    }

    fn consts(&mut self, input: ParseStream, mut attrs: Attrs) -> syn::Result<()> {
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = scalar(input)?;
        let meta = attrs.meta(Origin::Linux)?;
        attrs.finish()?;
        require_doc(&meta, &format!("consts `{name}`"))?;
        let values = self.values(input, meta.origin)?;
        self.abi.consts.push(ConstGroup {
            name: name.to_string(),
            ty,
            values,
            meta,
        });
        Ok(())
    }

    fn enumeration(&mut self, input: ParseStream, mut attrs: Attrs) -> syn::Result<()> {
        let name: Ident = input.parse()?;
        attrs.span = name.span();
        input.parse::<Token![:]>()?;
        let ty = scalar(input)?;
        let keep_names = attrs.flag("keep_names")?;
        let c_macros = attrs.flag("c_macros")?;
        let meta = attrs.meta(Origin::Linux)?;
        attrs.finish()?;
        require_doc(&meta, &format!("enum `{name}`"))?;
        let variants = self.values(input, meta.origin)?;
        self.abi.enums.push(Enum {
            name: name.to_string(),
            ty,
            keep_names,
            c_macros,
            variants,
            meta,
        });
        Ok(())
    }

    fn field_type(&self, input: ParseStream) -> syn::Result<Type> {
        if input.peek(syn::token::Bracket) {
            let inner;
            bracketed!(inner in input);
            let elem = self.field_type(&inner)?;
            inner.parse::<Token![;]>()?;
            let len = if inner.peek(LitInt) {
                let lit: LitInt = inner.parse()?;
                ArrayLen {
                    n: lit.base10_parse()?,
                    name: None,
                }
            } else {
                let id: Ident = inner.parse()?;
                let n =
                    self.values.get(&id.to_string()).copied().ok_or_else(|| {
                        syn::Error::new(id.span(), format!("unknown constant `{id}` as array length"))
                    })?;
                let n = usize::try_from(n).map_err(|_| syn::Error::new(id.span(), "negative array length"))?;
                ArrayLen {
                    n,
                    name: Some(id.to_string()),
                }
            };
            if len.n == 0 {
                return Err(syn::Error::new(inner.span(), "zero-length arrays are not allowed"));
            }
            return Ok(Type::Array(Box::new(elem), len));
        }
        let id: Ident = input.parse()?;
        let s = id.to_string();
        if let Some(sc) = Scalar::from_name(&s) {
            return Ok(Type::Scalar(sc));
        }
        match s.as_str() {
            "uptr" => Ok(Type::UPtr),
            "char" => Ok(Type::Char),
            _ => Err(syn::Error::new(
                id.span(),
                format!("unknown type `{s}`; expected u8..u64, i8..i64, uptr, char or [T; N]"),
            )),
        }
    }

    fn structure(&mut self, input: ParseStream, mut attrs: Attrs) -> syn::Result<()> {
        let name: Ident = input.parse()?;
        attrs.span = name.span();
        let linux = match attrs.take("linux") {
            None => LinuxMatch::None,
            Some(a) => a.parse_args_with(|p: ParseStream| {
                let what: Ident = if p.peek(Token![struct]) {
                    let t: Token![struct] = p.parse()?;
                    Ident::new("struct", t.span)
                } else {
                    p.parse()?
                };
                match what.to_string().as_str() {
                    "struct" => Ok(LinuxMatch::Struct),
                    "bpf_attr" if p.is_empty() => Ok(LinuxMatch::AttrAnon),
                    "bpf_attr" => {
                        p.parse::<Token![=]>()?;
                        let member: LitStr = p.parse()?;
                        Ok(LinuxMatch::AttrNamed(member.value()))
                    }
                    _ => Err(syn::Error::new(what.span(), "expected `struct` or `bpf_attr`")),
                }
            })?,
        };
        let pt_regs = attrs.idents("pt_regs")?.into_iter().next();
        let meta = attrs.meta(Origin::Linux)?;
        attrs.finish()?;
        require_doc(&meta, &format!("struct `{name}`"))?;
        if linux != LinuxMatch::None && meta.origin != Origin::Linux {
            return Err(syn::Error::new(
                name.span(),
                "#[linux(...)] on a struct that is not of Linux origin",
            ));
        }
        let body;
        braced!(body in input);
        let mut fields = Vec::new();
        while !body.is_empty() {
            let mut attrs = Attrs::parse(&body)?;
            let fname: Ident = body.parse()?;
            attrs.span = fname.span();
            let pad = attrs.flag("pad")?;
            let aliases = attrs.idents("alias")?;
            let values = attrs.idents("values")?.into_iter().next();
            let reg = attrs.idents("reg")?;
            let ctx = match attrs.take("ctx") {
                None => Vec::new(),
                Some(a) => {
                    let list = a.parse_args_with(Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated)?;
                    let mut out = Vec::new();
                    for nv in list {
                        let prog = nv
                            .path
                            .get_ident()
                            .ok_or_else(|| syn::Error::new(nv.path.span(), "expected a program type name"))?;
                        let syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(modes),
                            ..
                        }) = &nv.value
                        else {
                            return Err(syn::Error::new(nv.value.span(), "expected a string of access modes"));
                        };
                        if modes.value().is_empty() || !modes.value().chars().all(|c| "rRwa".contains(c)) {
                            return Err(syn::Error::new(
                                modes.span(),
                                "access modes are letters of `rRwa`: r read (narrow too), R read whole, w write whole, a any size",
                            ));
                        }
                        out.push((prog.to_string(), modes.value()));
                    }
                    out
                }
            };
            for r in &reg {
                if !crate::model::REG_ROLES.contains(&r.as_str()) {
                    return Err(syn::Error::new(
                        fname.span(),
                        format!(
                            "unknown register role `{r}`; expected one of {:?}",
                            crate::model::REG_ROLES
                        ),
                    ));
                }
            }
            let bits = match attrs.take("bits") {
                None => Vec::new(),
                Some(a) => {
                    let list = a.parse_args_with(Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated)?;
                    let mut bits = Vec::new();
                    for nv in list {
                        let id = nv
                            .path
                            .get_ident()
                            .ok_or_else(|| syn::Error::new(nv.path.span(), "expected a name"))?;
                        let w = self.eval(&nv.value)?;
                        let w = u32::try_from(w).map_err(|_| syn::Error::new(nv.value.span(), "bad bit width"))?;
                        bits.push((id.to_string(), w));
                    }
                    bits
                }
            };
            let fmeta = attrs.meta(meta.origin)?;
            attrs.finish()?;
            if !pad {
                require_doc(&fmeta, &format!("field `{fname}`"))?;
            }
            body.parse::<Token![:]>()?;
            let ty = self.field_type(&body)?;
            fields.push(Field {
                name: syn::ext::IdentExt::unraw(&fname).to_string(),
                ty,
                pad,
                aliases,
                bits,
                values,
                reg,
                ctx,
                offset: 0,
                meta: fmeta,
            });
            comma(&body)?;
        }
        if pt_regs.is_none() && fields.iter().any(|f: &Field| !f.reg.is_empty()) {
            return Err(syn::Error::new(
                name.span(),
                "#[reg(...)] fields need #[pt_regs(ARCH)] on the struct",
            ));
        }
        self.abi.structs.push(Struct {
            name: name.to_string(),
            linux,
            pt_regs,
            fields,
            size: 0,
            align: 0,
            meta,
        });
        Ok(())
    }

    fn kinds(&mut self, input: ParseStream, mut attrs: Attrs) -> syn::Result<Vec<Kind>> {
        let gmeta = attrs.meta(Origin::Linux)?;
        attrs.finish()?;
        let body;
        braced!(body in input);
        let mut out = Vec::new();
        while !body.is_empty() {
            let mut attrs = Attrs::parse(&body)?;
            let name: Ident = body.parse()?;
            attrs.span = name.span();
            let mem = attrs.flag("mem")?;
            let size = attrs.flag("size")?;
            let meta = attrs.meta(gmeta.origin)?;
            attrs.finish()?;
            require_doc(&meta, &format!("kind `{name}`"))?;
            body.parse::<Token![=]>()?;
            let c_type: LitStr = body.parse()?;
            out.push(Kind {
                name: name.to_string(),
                c_type: c_type.value(),
                mem,
                size,
                meta,
            });
            comma(&body)?;
        }
        Ok(out)
    }

    /// `ID => fn name(arg: KIND [as "c type"], ...) -> KIND [as "c type"];`
    fn helpers(&mut self, input: ParseStream, mut attrs: Attrs) -> syn::Result<()> {
        let gmeta = attrs.meta(Origin::Linux)?;
        attrs.finish()?;
        let body;
        braced!(body in input);
        while !body.is_empty() {
            let mut attrs = Attrs::parse(&body)?;
            let id: LitInt = body.parse()?;
            body.parse::<Token![=>]>()?;
            body.parse::<Token![fn]>()?;
            let name: Ident = body.parse()?;
            attrs.span = name.span();
            let gpl_only = attrs.flag("gpl")?;
            let variadic = attrs.flag("variadic")?;
            let progs = attrs.idents("progs")?;
            let meta = attrs.meta(gmeta.origin)?;
            attrs.finish()?;
            require_doc(&meta, &format!("helper `{name}`"))?;
            let args_in;
            parenthesized!(args_in in body);
            let mut args = Vec::new();
            while !args_in.is_empty() {
                let an: Ident = args_in.parse()?;
                args_in.parse::<Token![:]>()?;
                let kind: Ident = args_in.parse()?;
                let c_type = optional_c_type(&args_in)?;
                args.push(Arg {
                    name: an.to_string(),
                    kind: kind.to_string(),
                    c_type,
                    span: kind.span(),
                });
                comma(&args_in)?;
            }
            body.parse::<Token![->]>()?;
            let ret: Ident = body.parse()?;
            let ret_c_type = optional_c_type(&body)?;
            body.parse::<Token![;]>()?;
            self.abi.helpers.push(Helper {
                id: id.base10_parse()?,
                name: name.to_string(),
                args,
                ret: ret.to_string(),
                ret_c_type,
                gpl_only,
                variadic,
                progs,
                meta,
            });
        }
        Ok(())
    }

    fn syscall(&mut self, input: ParseStream, mut attrs: Attrs) -> syn::Result<()> {
        let name: Ident = input.parse()?;
        let meta = attrs.meta(Origin::Linux)?;
        attrs.finish()?;
        require_doc(&meta, &format!("syscall `{name}`"))?;
        let body;
        braced!(body in input);
        let list = Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated(&body)?;
        let mut numbers = Vec::new();
        for nv in list {
            let id = nv
                .path
                .get_ident()
                .ok_or_else(|| syn::Error::new(nv.path.span(), "expected an architecture"))?;
            let arch = Arch::from_name(&id.to_string()).ok_or_else(|| {
                syn::Error::new(
                    id.span(),
                    format!("unknown architecture `{id}`; expected x86_64, riscv64, aarch64 or loongarch64"),
                )
            })?;
            let n = u32::try_from(self.eval(&nv.value)?)
                .map_err(|_| syn::Error::new(nv.value.span(), "bad syscall number"))?;
            numbers.push((arch, n));
        }
        self.abi.syscalls.push(Syscall {
            name: name.to_string(),
            numbers,
            meta,
        });
        Ok(())
    }
}

/// Between entries of a list: a comma, unless the list ends here.
fn comma(input: ParseStream) -> syn::Result<()> {
    if !input.is_empty() {
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

fn optional_c_type(input: ParseStream) -> syn::Result<Option<String>> {
    if input.peek(Token![as]) {
        input.parse::<Token![as]>()?;
        let s: LitStr = input.parse()?;
        return Ok(Some(s.value()));
    }
    Ok(None)
}

/// Parses and validates the tokens inside `bpf_abi! { ... }`.
///
/// # Errors
/// A `syn::Error` spanning the bad token or item.
pub fn parse_tokens(tokens: proc_macro2::TokenStream) -> syn::Result<Abi> {
    let Description(mut abi) = syn::parse2(tokens)?;
    abi.validate().map_err(|e| syn::Error::new(e.span, e.message))?;
    Ok(abi)
}

/// Parses and validates a description file (`codegen_macro::bpf_abi! { ... }`
/// with comments around it).
///
/// # Errors
/// [`crate::Error`] naming `path:line:column` of the bad item.
pub fn parse_file(path: &str, text: &str) -> Result<Abi, crate::Error> {
    let at = |e: syn::Error| crate::Error::at(path, &e);
    let file = syn::parse_file(text).map_err(at)?;
    let mut invocations = file.items.iter().filter_map(|i| match i {
        syn::Item::Macro(m) if m.mac.path.segments.last().is_some_and(|s| s.ident == "bpf_abi") => Some(&m.mac),
        _ => None,
    });
    let Some(mac) = invocations.next() else {
        return Err(crate::Error {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: "no `bpf_abi! { ... }` in file".into(),
        });
    };
    if file.items.len() != 1 {
        return Err(crate::Error {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: "the file must hold exactly one `bpf_abi! { ... }` and comments".into(),
        });
    }
    parse_tokens(mac.tokens.clone()).map_err(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(body: &str) -> String {
        format!("// a test description\ncodegen_macro::bpf_abi! {{\n{body}\n}}\n")
    }

    #[test]
    fn file_errors_name_line_and_column() {
        let text =
            wrap("    /// Flags.\n    consts flags: u32 {\n        /// One.\n        BPF_F_ONE = 1 << 40,\n    }");
        let e = parse_file("x.abi", &text).unwrap_err();
        assert_eq!((e.line, e.column), (6, 9), "{e}");
        assert_eq!(
            e.to_string(),
            "x.abi:6:9: value 1099511627776 of `BPF_F_ONE` does not fit in u32"
        );
    }

    #[test]
    fn syntax_errors_name_line() {
        let text = wrap("    /// A struct.\n    struct bpf_x {\n        /// Field.\n        a u32,\n    }");
        let e = parse_file("x.abi", &text).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("expected `:`"), "{e}");
    }

    #[test]
    fn file_must_hold_one_invocation() {
        let e = parse_file("x.abi", "fn main() {}").unwrap_err();
        assert!(e.message.contains("bpf_abi!"), "{e}");
        let e = parse_file("x.abi", &(wrap("") + "fn main() {}")).unwrap_err();
        assert!(e.message.contains("exactly one"), "{e}");
    }

    #[test]
    fn values_evaluate_expressions_and_references() {
        let abi = parse_file(
            "x.abi",
            &wrap("    /// Ops.\n    consts ops: u32 {\n        /// F.\n        BPF_FETCH = 0x01,\n        /// X.\n        BPF_XCHG = 0xe0 | BPF_FETCH,\n        /// S.\n        BPF_S = (1 << 4) + 2,\n    }"),
        )
        .unwrap();
        let v: Vec<i128> = abi.consts[0].values.iter().map(|v| v.value).collect();
        assert_eq!(v, [1, 0xe1, 18]);
    }

    #[test]
    fn layouts_are_computed() {
        let abi = parse_file(
            "x.abi",
            &wrap("    /// N.\n    consts n: u32 {\n        /// L.\n        LEN = 5,\n    }\n    /// S.\n    struct bpf_s {\n        /// A.\n        a: u16,\n        /// B.\n        b: [char; LEN],\n        #[pad]\n        _p: u8,\n        /// C.\n        c: uptr,\n    }"),
        )
        .unwrap();
        let s = &abi.structs[0];
        let offsets: Vec<usize> = s.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [0, 2, 7, 8]);
        assert_eq!((s.size, s.align), (16, 8));
    }
}
