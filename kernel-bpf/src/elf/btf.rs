//! Just enough of BTF (the `.BTF` section) to read BTF-defined maps: the
//! `.maps` data section's variables, and the struct each one has, whose
//! members encode the map's attributes as libbpf's macros write them
//! (`__uint(name, n)` is a pointer to an array of `n` ints, `__type(name, T)`
//! a pointer to `T`, `__array(values, T)` an array of pointers to `T`).
//!
//! Every read is bounds-checked and every walk through type references has
//! a depth limit, so a malformed `.BTF` is an error, never a panic or a
//! loop.

use super::ElfError;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

const MAGIC: u16 = 0xeb9f;
const HEADER: usize = 24;
/// How many type references a size or member lookup follows.
const MAX_DEPTH: usize = 32;

/// BTF kinds (Linux's `BTF_KIND_*`).
mod kind {
    pub const INT: u32 = 1;
    pub const PTR: u32 = 2;
    pub const ARRAY: u32 = 3;
    pub const STRUCT: u32 = 4;
    pub const UNION: u32 = 5;
    pub const ENUM: u32 = 6;
    pub const FWD: u32 = 7;
    pub const TYPEDEF: u32 = 8;
    pub const VOLATILE: u32 = 9;
    pub const CONST: u32 = 10;
    pub const RESTRICT: u32 = 11;
    pub const FUNC: u32 = 12;
    pub const FUNC_PROTO: u32 = 13;
    pub const VAR: u32 = 14;
    pub const DATASEC: u32 = 15;
    pub const FLOAT: u32 = 16;
    pub const DECL_TAG: u32 = 17;
    pub const TYPE_TAG: u32 = 18;
    pub const ENUM64: u32 = 19;
}

/// One type: its kind, name, `size_or_type` word, and the bytes after it.
#[derive(Clone, Copy)]
struct Type<'a> {
    kind: u32,
    kind_flag: bool,
    vlen: usize,
    name_off: u32,
    size_or_type: u32,
    extra: &'a [u8],
}

/// A parsed `.BTF` section.
pub struct Btf<'a> {
    types: Vec<Type<'a>>,
    strings: &'a [u8],
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off.checked_add(4)?)?.try_into().ok()?))
}

fn bad(what: String) -> ElfError {
    ElfError::new(".BTF", None, what)
}

/// A member of a struct or union, or a variable of a data section.
pub struct Member<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its type id.
    pub type_id: u32,
    /// Its offset in bytes (members of a struct; 0 for variables).
    pub offset: u32,
}

impl<'a> Btf<'a> {
    /// Parses a little-endian `.BTF` section.
    ///
    /// # Errors
    /// A bad magic, header or type record, with its offset.
    pub fn parse(data: &'a [u8]) -> Result<Btf<'a>, ElfError> {
        let magic = data.get(..2).map(|m| u16::from_le_bytes([m[0], m[1]]));
        if magic != Some(MAGIC) {
            return Err(bad(String::from("bad magic (not little-endian BTF)")));
        }
        let word = |off| u32_at(data, off).ok_or_else(|| bad(String::from("header cut short")));
        let hdr_len = word(4)? as usize;
        if hdr_len < HEADER {
            return Err(bad(format!("header length {hdr_len} < {HEADER}")));
        }
        let (type_off, type_len, str_off, str_len) = (word(8)?, word(12)?, word(16)?, word(20)?);
        let range = |off: u32, len: u32| {
            let start = hdr_len.checked_add(off as usize)?;
            data.get(start..start.checked_add(len as usize)?)
        };
        let types_bytes = range(type_off, type_len).ok_or_else(|| bad(String::from("type section out of bounds")))?;
        let strings = range(str_off, str_len).ok_or_else(|| bad(String::from("string section out of bounds")))?;
        let mut types = Vec::new();
        // Type id 0 is void.
        types.push(Type {
            kind: 0,
            kind_flag: false,
            vlen: 0,
            name_off: 0,
            size_or_type: 0,
            extra: &[],
        });
        let mut off = 0usize;
        while off < types_bytes.len() {
            let rec = |o| u32_at(types_bytes, off + o).ok_or_else(|| bad(format!("type record at {off} cut short")));
            let (name_off, info, size_or_type) = (rec(0)?, rec(4)?, rec(8)?);
            let kind = (info >> 24) & 0x1f;
            let vlen = (info & 0xffff) as usize;
            let extra_len = match kind {
                kind::INT | kind::VAR | kind::DECL_TAG => 4,
                kind::ARRAY => 12,
                kind::STRUCT | kind::UNION | kind::DATASEC | kind::ENUM64 => 12 * vlen,
                kind::ENUM | kind::FUNC_PROTO => 8 * vlen,
                kind::PTR
                | kind::FWD
                | kind::TYPEDEF
                | kind::VOLATILE
                | kind::CONST
                | kind::RESTRICT
                | kind::FUNC
                | kind::FLOAT
                | kind::TYPE_TAG => 0,
                k => return Err(bad(format!("unknown kind {k} at type offset {off}"))),
            };
            let start = off + 12;
            let extra = types_bytes
                .get(start..start + extra_len)
                .ok_or_else(|| bad(format!("type record at {off} cut short")))?;
            types.push(Type {
                kind,
                kind_flag: info >> 31 != 0,
                vlen,
                name_off,
                size_or_type,
                extra,
            });
            off = start + extra_len;
        }
        Ok(Btf { types, strings })
    }

    fn ty(&self, id: u32) -> Result<Type<'a>, ElfError> {
        self.types
            .get(id as usize)
            .copied()
            .ok_or_else(|| bad(format!("type id {id} out of range")))
    }

    /// The string at `off` of the string section.
    fn name(&self, off: u32) -> Result<&'a str, ElfError> {
        let s = self
            .strings
            .get(off as usize..)
            .ok_or_else(|| bad(format!("name offset {off} out of range")))?;
        let end = s
            .iter()
            .position(|&c| c == 0)
            .ok_or_else(|| bad(format!("name at {off} not terminated")))?;
        core::str::from_utf8(&s[..end]).map_err(|_| bad(format!("name at {off} not UTF-8")))
    }

    /// Follows typedefs and qualifiers.
    fn skip_mods(&self, mut id: u32) -> Result<(u32, Type<'a>), ElfError> {
        for _ in 0..MAX_DEPTH {
            let t = self.ty(id)?;
            match t.kind {
                kind::TYPEDEF | kind::VOLATILE | kind::CONST | kind::RESTRICT | kind::TYPE_TAG => id = t.size_or_type,
                _ => return Ok((id, t)),
            }
        }
        Err(bad(format!("type {id}: reference chain too long")))
    }

    /// The size in bytes of type `id`.
    ///
    /// # Errors
    /// For types without a size (void, functions) or malformed chains.
    pub fn size_of(&self, id: u32) -> Result<u64, ElfError> {
        let mut id = id;
        let mut mult = 1u64;
        for _ in 0..MAX_DEPTH {
            let (resolved, t) = self.skip_mods(id)?;
            match t.kind {
                kind::INT | kind::STRUCT | kind::UNION | kind::ENUM | kind::ENUM64 | kind::DATASEC | kind::FLOAT => {
                    return mult
                        .checked_mul(u64::from(t.size_or_type))
                        .ok_or_else(|| bad(format!("type {resolved}: size overflows")));
                }
                kind::PTR => {
                    return mult
                        .checked_mul(8)
                        .ok_or_else(|| bad(format!("type {resolved}: size overflows")))
                }
                kind::ARRAY => {
                    let elem = u32_at(t.extra, 0).unwrap_or(0);
                    let n = u64::from(u32_at(t.extra, 8).unwrap_or(0));
                    mult = mult
                        .checked_mul(n)
                        .ok_or_else(|| bad(format!("type {resolved}: size overflows")))?;
                    id = elem;
                }
                k => return Err(bad(format!("type {resolved} (kind {k}) has no size"))),
            }
        }
        Err(bad(format!("type {id}: array nesting too deep")))
    }

    /// The members of a struct or union, or the variables of a data
    /// section, by name and type.
    ///
    /// # Errors
    /// If `id` is none of those, or a name is malformed.
    pub fn members(&self, id: u32) -> Result<Vec<Member<'a>>, ElfError> {
        let (resolved, t) = self.skip_mods(id)?;
        let mut out = Vec::new();
        match t.kind {
            kind::STRUCT | kind::UNION => {
                for i in 0..t.vlen {
                    let (n, ty, bits) = (
                        u32_at(t.extra, i * 12).unwrap_or(0),
                        u32_at(t.extra, i * 12 + 4).unwrap_or(0),
                        u32_at(t.extra, i * 12 + 8).unwrap_or(0),
                    );
                    // With kind_flag set, the high byte is a bit-field size.
                    let bits = if t.kind_flag { bits & 0x00ff_ffff } else { bits };
                    out.push(Member {
                        name: self.name(n)?,
                        type_id: ty,
                        offset: bits / 8,
                    });
                }
            }
            kind::DATASEC => {
                for i in 0..t.vlen {
                    let var_id = u32_at(t.extra, i * 12).unwrap_or(0);
                    let var = self.ty(var_id)?;
                    if var.kind != kind::VAR {
                        return Err(bad(format!("data section {resolved}: entry {i} is not a variable")));
                    }
                    out.push(Member {
                        name: self.name(var.name_off)?,
                        type_id: var.size_or_type,
                        offset: 0,
                    });
                }
            }
            k => return Err(bad(format!("type {resolved} (kind {k}) is not a struct"))),
        }
        Ok(out)
    }

    /// The data section named `name`, if any.
    pub fn datasec(&self, name: &str) -> Option<u32> {
        (1..self.types.len() as u32).find(|&id| {
            let t = self.types[id as usize];
            t.kind == kind::DATASEC && self.name(t.name_off).is_ok_and(|n| n == name)
        })
    }

    /// `__uint(name, n)`: a pointer to an array of `n` elements; returns `n`.
    ///
    /// # Errors
    /// If the member is not of that shape.
    pub fn uint_member(&self, type_id: u32, what: &str) -> Result<u32, ElfError> {
        let (_, p) = self.skip_mods(type_id)?;
        if p.kind != kind::PTR {
            return Err(bad(format!("map attribute '{what}' is not __uint()")));
        }
        let (_, a) = self.skip_mods(p.size_or_type)?;
        if a.kind != kind::ARRAY {
            return Err(bad(format!("map attribute '{what}' is not __uint()")));
        }
        Ok(u32_at(a.extra, 8).unwrap_or(0))
    }

    /// `__type(name, T)`: a pointer to `T`; returns `T`'s id.
    ///
    /// # Errors
    /// If the member is not a pointer.
    pub fn pointee(&self, type_id: u32, what: &str) -> Result<u32, ElfError> {
        let (_, p) = self.skip_mods(type_id)?;
        if p.kind != kind::PTR {
            return Err(bad(format!("map attribute '{what}' is not __type()")));
        }
        Ok(p.size_or_type)
    }

    /// `__array(values, T)`: an array of pointers to `T`; returns `T`'s id.
    ///
    /// # Errors
    /// If the member is not of that shape.
    pub fn array_of_pointers(&self, type_id: u32, what: &str) -> Result<u32, ElfError> {
        let (_, a) = self.skip_mods(type_id)?;
        if a.kind != kind::ARRAY {
            return Err(bad(format!("map attribute '{what}' is not __array()")));
        }
        let elem = u32_at(a.extra, 0).unwrap_or(0);
        self.pointee(elem, what)
    }
}
