//! The maps an object defines, in each form real objects use:
//! - legacy records in a `maps` section (or one `maps/<name>` section per
//!   map), one per symbol: `struct bpf_map_def` of 20 bytes (libbpf before
//!   1.0) or 28 bytes (samples/bpf, with `inner_map_idx` and `numa_node`),
//!   or iproute2's 36-byte `struct bpf_elf_map`;
//! - BTF-defined maps in `.maps`, each a variable whose struct type says
//!   the attributes (libbpf's `__uint`, `__type`, `__array`), with the
//!   inner map of a map-in-map and initial slots (`.values = { ... }`);
//! - global data: each `.rodata*`, `.data*` and `.bss*` section becomes a
//!   one-element ARRAY holding the section, as libbpf makes them;
//!   `.rodata` is read-only for programs and frozen once filled.

use super::btf::Btf;
use super::{ElfError, File, Section};
use abi::{MapCreateAttr, MapType, BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_OBJ_NAME_LEN};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use object::elf::{SHF_ALLOC, SHF_EXECINSTR};
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionKind, SymbolKind, SymbolSection};

/// Where a map definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    /// A legacy record: section index and symbol.
    Legacy {
        /// ELF section index.
        section: usize,
        /// Symbol name.
        symbol: String,
    },
    /// A BTF-defined map in `.maps`.
    Btf {
        /// ELF section index.
        section: usize,
        /// Symbol name.
        symbol: String,
    },
    /// A global data section (`.rodata`, `.data`, `.bss`, ...).
    Data {
        /// ELF section index.
        section: usize,
    },
    /// The inner map template of a map-in-map.
    Inner,
}

impl MapOrigin {
    /// Whether this is the map of symbol `name` in section `section`.
    pub fn symbol_in(&self, section: usize, name: &str) -> bool {
        match self {
            MapOrigin::Legacy { section: s, symbol } | MapOrigin::Btf { section: s, symbol } => {
                *s == section && symbol == name
            }
            _ => false,
        }
    }

    /// The data section this map holds, if it is global data.
    pub fn data_section(&self) -> Option<usize> {
        match self {
            MapOrigin::Data { section } => Some(*section),
            _ => None,
        }
    }
}

/// An initial slot of a map (`.values = { [i] = &x }`): a program or map
/// symbol to put at `slot` once loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInit {
    /// The slot.
    pub slot: u32,
    /// The program's or map's symbol.
    pub symbol: String,
}

/// A map definition of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    /// Its name: the symbol, or the section for global data.
    pub name: String,
    /// `BPF_MAP_TYPE_*` (as a number: an object may name a type this
    /// kernel does not have; creating it then fails as in Linux).
    pub map_type: u32,
    /// Key size.
    pub key_size: u32,
    /// Value size.
    pub value_size: u32,
    /// Max entries (0 for a PERF_EVENT_ARRAY means one per CPU).
    pub max_entries: u32,
    /// Creation flags.
    pub map_flags: u32,
    /// NUMA node (legacy 28-byte records, BTF `numa_node`).
    pub numa_node: u32,
    /// The inner map of a map-in-map.
    pub inner: Option<Box<MapSpec>>,
    /// For legacy records, the index (among this object's maps) of the
    /// inner map template.
    pub inner_index: Option<u32>,
    /// Where it came from.
    pub origin: MapOrigin,
    /// Initial contents of element 0 (global data).
    pub data: Option<Vec<u8>>,
    /// Frozen once filled (`.rodata`).
    pub freeze: bool,
    /// Initial slots.
    pub init: Vec<MapInit>,
}

impl MapSpec {
    fn new(name: String, origin: MapOrigin) -> MapSpec {
        MapSpec {
            name,
            map_type: 0,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            map_flags: 0,
            numa_node: 0,
            inner: None,
            inner_index: None,
            origin,
            data: None,
            freeze: false,
            init: Vec::new(),
        }
    }
}

impl MapSpec {
    /// The BPF_MAP_CREATE attr of this definition on a machine of `cpus`
    /// CPUs (a PERF_EVENT_ARRAY without max_entries gets one slot per CPU,
    /// as libbpf gives it); `inner_map_fd` is the caller's to set for a map
    /// of maps.
    pub fn create_attr(&self, cpus: u32) -> MapCreateAttr {
        let max_entries = if self.map_type == MapType::PerfEventArray.raw() && self.max_entries == 0 {
            cpus
        } else {
            self.max_entries
        };
        MapCreateAttr {
            map_type: self.map_type,
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries,
            map_flags: self.map_flags,
            map_name: object_name(&self.name),
            numa_node: self.numa_node,
            ..MapCreateAttr::default()
        }
    }
}

/// A name for the kernel's object table: the characters Linux allows in
/// map and program names (alphanumerics, `_`, `.`), cut to fit with its NUL.
pub fn object_name(s: &str) -> [u8; BPF_OBJ_NAME_LEN as usize] {
    let mut out = [0u8; BPF_OBJ_NAME_LEN as usize];
    let room = out.len() - 1;
    for (o, c) in out[..room].iter_mut().zip(
        s.bytes()
            .filter(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.'),
    ) {
        *o = c;
    }
    out
}

fn word(b: &[u8], i: usize) -> u32 {
    b.get(i * 4..i * 4 + 4)
        .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// Every map the object defines.
pub(super) fn collect(file: &File<'_>) -> Result<Vec<MapSpec>, ElfError> {
    let mut maps = Vec::new();
    let mut btf_maps_section = None;
    for s in file.sections() {
        let name = s.name().unwrap_or("");
        let flags = super::sh_flags(&s);
        if name == "maps" || name.starts_with("maps/") {
            legacy(file, &s, name, &mut maps)?;
        } else if name == ".maps" {
            btf_maps_section = Some(s.index().0);
        } else if flags & SHF_ALLOC.0 != 0
            && flags & SHF_EXECINSTR.0 == 0
            && [".rodata", ".data", ".bss"]
                .iter()
                .any(|p| name == *p || name.starts_with(&format!("{p}.")))
            && s.size() > 0
        {
            let size = u32::try_from(s.size())
                .map_err(|_| ElfError::new(name, None, format!("{} bytes of global data", s.size())))?;
            let data = if s.kind() == SectionKind::UninitializedData {
                alloc::vec![0; size as usize]
            } else {
                s.data()
                    .map_err(|e| ElfError::new(name, None, format!("data out of bounds: {e}")))?
                    .to_vec()
            };
            let rodata = name.starts_with(".rodata");
            let mut m = MapSpec::new(name.to_string(), MapOrigin::Data { section: s.index().0 });
            m.map_type = MapType::Array.raw();
            m.key_size = 4;
            m.value_size = size;
            m.max_entries = 1;
            m.map_flags = BPF_F_MMAPABLE | if rodata { BPF_F_RDONLY_PROG } else { 0 };
            m.data = Some(data);
            m.freeze = rodata;
            maps.push(m);
        }
    }
    if let Some(sec) = btf_maps_section {
        btf_maps(file, sec, &mut maps)?;
    }
    Ok(maps)
}

/// Legacy records: the section's size divided among its symbols.
fn legacy(file: &File<'_>, s: &Section<'_, '_>, name: &str, maps: &mut Vec<MapSpec>) -> Result<(), ElfError> {
    let data = s
        .data()
        .map_err(|e| ElfError::new(name, None, format!("data out of bounds: {e}")))?;
    let mut syms: Vec<(u64, String)> = file
        .symbols()
        .filter(|sym| sym.section() == SymbolSection::Section(s.index()) && sym.kind() != SymbolKind::Section)
        .filter_map(|sym| Some((sym.address(), sym.name().ok()?.to_string())))
        .filter(|(_, n)| !n.is_empty())
        .collect();
    syms.sort();
    if syms.is_empty() {
        return if data.is_empty() {
            Ok(())
        } else {
            Err(ElfError::new(name, None, "map records without symbols".into()))
        };
    }
    if data.len() % syms.len() != 0 {
        return Err(ElfError::new(
            name,
            None,
            format!("{} bytes do not divide into {} map records", data.len(), syms.len()),
        ));
    }
    let size = data.len() / syms.len();
    if size < 20 {
        return Err(ElfError::new(
            name,
            None,
            format!("map records of {size} bytes (at least 20)"),
        ));
    }
    let first = maps.len() as u32;
    for (addr, sym) in syms {
        let off = addr as usize;
        let rec = data
            .get(off..off + size)
            .filter(|_| off % size == 0)
            .ok_or_else(|| ElfError::new(name, Some(addr), format!("map '{sym}' is not at a record")))?;
        let mut m = MapSpec::new(
            sym.clone(),
            MapOrigin::Legacy {
                section: s.index().0,
                symbol: sym,
            },
        );
        (m.map_type, m.key_size, m.value_size, m.max_entries, m.map_flags) =
            (word(rec, 0), word(rec, 1), word(rec, 2), word(rec, 3), word(rec, 4));
        let known = match size {
            // samples/bpf: inner_map_idx, numa_node.
            28 => {
                m.inner_index = Some(word(rec, 5))
                    .filter(|_| is_map_in_map(m.map_type))
                    .map(|i| first + i);
                m.numa_node = word(rec, 6);
                28
            }
            // iproute2's bpf_elf_map: id, pinning, inner_id, inner_idx.
            36 => {
                m.inner_index = Some(word(rec, 8))
                    .filter(|_| is_map_in_map(m.map_type))
                    .map(|i| first + i);
                36
            }
            _ => 20,
        };
        if rec[known.min(size)..].iter().any(|&b| b != 0) {
            return Err(ElfError::new(
                name,
                Some(addr),
                format!(
                    "map '{}': unknown non-zero bytes past {known} in a {size}-byte record",
                    m.name
                ),
            ));
        }
        maps.push(m);
    }
    Ok(())
}

fn is_map_in_map(t: u32) -> bool {
    t == MapType::ArrayOfMaps.raw() || t == MapType::HashOfMaps.raw()
}

/// BTF-defined maps: each symbol of `.maps`, read through its BTF type.
fn btf_maps(file: &File<'_>, sec: usize, maps: &mut Vec<MapSpec>) -> Result<(), ElfError> {
    let btf_bytes = file
        .section_by_name(".BTF")
        .ok_or_else(|| ElfError::new(".maps", None, "BTF-defined maps need a .BTF section".into()))?
        .data()
        .map_err(|e| ElfError::new(".BTF", None, format!("data out of bounds: {e}")))?;
    let btf = Btf::parse(btf_bytes)?;
    let datasec = btf
        .datasec(".maps")
        .ok_or_else(|| ElfError::new(".BTF", None, "no DATASEC '.maps'".into()))?;
    let vars = btf.members(datasec)?;
    let index = object::SectionIndex(sec);
    let mut syms: Vec<(u64, u64, String)> = file
        .symbols()
        .filter(|sym| sym.section() == SymbolSection::Section(index) && sym.kind() != SymbolKind::Section)
        .filter_map(|sym| Some((sym.address(), sym.size(), sym.name().ok()?.to_string())))
        .collect();
    syms.sort();
    let first = maps.len();
    let mut values_at = Vec::new();
    for (addr, _, name) in &syms {
        let var = vars
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| ElfError::new(".maps", Some(*addr), format!("map '{name}' has no BTF variable")))?;
        let mut m = MapSpec::new(
            name.clone(),
            MapOrigin::Btf {
                section: sec,
                symbol: name.clone(),
            },
        );
        values_at.push(btf_def(&btf, var.type_id, &mut m, true)?);
        maps.push(m);
    }
    // `.values = { ... }`: relocations of `.maps` name what goes in each slot.
    if let Ok(s) = file.section_by_index(index) {
        for (off, r) in s.relocations() {
            let RelocationTarget::Symbol(si) = r.target() else {
                continue;
            };
            let target = file
                .symbol_by_index(si)
                .ok()
                .and_then(|t| t.name().ok().map(String::from))
                .ok_or_else(|| ElfError::new(".maps", Some(off), "relocation without a symbol".into()))?;
            let Some(k) = syms.iter().position(|(a, size, _)| *a <= off && off < a + size) else {
                return Err(ElfError::new(".maps", Some(off), "relocation outside every map".into()));
            };
            let (base, ref name) = (syms[k].0, &syms[k].2);
            let Some(values) = values_at[k] else {
                return Err(ElfError::new(
                    ".maps",
                    Some(off),
                    format!("map '{name}' has initial values but no 'values' member"),
                ));
            };
            let rel = off - base;
            if rel < u64::from(values) || (rel - u64::from(values)) % 8 != 0 {
                return Err(ElfError::new(
                    ".maps",
                    Some(off),
                    format!("map '{name}': misplaced initial value"),
                ));
            }
            let slot = u32::try_from((rel - u64::from(values)) / 8)
                .map_err(|_| ElfError::new(".maps", Some(off), "slot out of range".into()))?;
            maps[first + k].init.push(MapInit { slot, symbol: target });
        }
    }
    Ok(())
}

/// Reads one map's struct; returns the offset of its `values` member.
fn btf_def(btf: &Btf<'_>, type_id: u32, m: &mut MapSpec, outer: bool) -> Result<Option<u32>, ElfError> {
    let err = |what: String| ElfError::new(".maps", None, what);
    let mut values = None;
    let mut inner_type = None;
    for member in btf.members(type_id)? {
        let what = member.name;
        let t = member.type_id;
        match what {
            "type" => m.map_type = btf.uint_member(t, what)?,
            "max_entries" => m.max_entries = btf.uint_member(t, what)?,
            "map_flags" => m.map_flags = btf.uint_member(t, what)?,
            "numa_node" => m.numa_node = btf.uint_member(t, what)?,
            "key_size" => m.key_size = btf.uint_member(t, what)?,
            "value_size" => m.value_size = btf.uint_member(t, what)?,
            // Pinning by path and map_extra (bloom filters) are not served;
            // an object that only sets them to 0 still loads.
            "pinning" | "map_extra" => {
                if btf.uint_member(t, what)? != 0 {
                    return Err(err(format!("map '{}': '{what}' is not supported here", m.name)));
                }
            }
            "key" => m.key_size = size32(btf, btf.pointee(t, what)?, &m.name, what)?,
            "value" => m.value_size = size32(btf, btf.pointee(t, what)?, &m.name, what)?,
            "values" if outer => {
                values = Some(member.offset);
                inner_type = Some(btf.array_of_pointers(t, what)?);
            }
            other => return Err(err(format!("map '{}': unknown field '{other}'", m.name))),
        }
    }
    if m.map_type == 0 {
        return Err(err(format!("map '{}' has no type", m.name)));
    }
    if let Some(inner) = inner_type {
        if is_map_in_map(m.map_type) {
            let mut spec = MapSpec::new(format!("{}.inner", m.name), MapOrigin::Inner);
            btf_def(btf, inner, &mut spec, false)?;
            m.inner = Some(Box::new(spec));
        }
        // Map-in-map and prog array values are fds.
        m.value_size = 4;
    }
    Ok(values)
}

fn size32(btf: &Btf<'_>, id: u32, map: &str, what: &str) -> Result<u32, ElfError> {
    let s = btf.size_of(id)?;
    u32::try_from(s).map_err(|_| ElfError::new(".maps", None, format!("map '{map}': {what} of {s} bytes")))
}
