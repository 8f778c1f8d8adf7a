//! The ELF module: what `clang -target bpf` builds, read into programs, map
//! definitions and relocations, and linked into instruction streams ready
//! for BPF_PROG_LOAD. It is the one parser: the kernel's BPF_PROG_LOAD_EX
//! and the user side's loader both use it.
//!
//! - [`parse`] reads an object ([`ElfObject`]): its programs (typed by their
//!   section names, as libbpf does: [`section`]), the maps it defines
//!   ([`maps`]: legacy `maps` records, BTF `.maps`, global data), its
//!   license and kernel version;
//! - [`ElfObject::link`] makes one program's instructions: the program's
//!   function, then every subprogram it calls (bpf-to-bpf calls), each
//!   appended once and relocated, with map references left to the caller
//!   ([`MapRef`]), who knows the map fds.
//!
//! Little-endian 64-bit objects for EM_BPF (or EM_NONE, which older LLVM
//! wrote). Malformed input is an [`ElfError`] naming the section and
//! offset, never a panic.

mod btf;
pub mod maps;
pub mod section;

pub use maps::{object_name, MapInit, MapOrigin, MapSpec};
pub use section::{SectionKind, Target};

use crate::prog::insn::{decode, Insn, CALL, LD_DW_IMM};
use abi::{BPF_PSEUDO_CALL, R_BPF_64_32, R_BPF_64_64};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use object::elf::{EM_BPF, EM_NONE, SHF_EXECINSTR};
use object::read::elf::{ElfFile64, ElfSection64, SectionHeader};
use object::{
    LittleEndian, Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionIndex, SymbolIndex,
    SymbolKind, SymbolSection,
};

/// What is wrong with an object, and where: the log line of a failed load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfError {
    /// The section, or the part of the file (`ELF header`, `.BTF`).
    pub section: String,
    /// The byte offset in that section, if one place is to blame.
    pub offset: Option<u64>,
    /// What is wrong.
    pub what: String,
}

impl ElfError {
    /// An error in `section` at `offset`.
    pub fn new(section: &str, offset: Option<u64>, what: String) -> ElfError {
        ElfError {
            section: section.into(),
            offset,
            what,
        }
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "section '{}' offset {o:#x}: {}", self.section, self.what),
            None => write!(f, "section '{}': {}", self.section, self.what),
        }
    }
}

/// A program of an object.
#[derive(Clone, Debug)]
pub struct ElfProgram {
    /// Its symbol name (the C function's name).
    pub name: String,
    /// Its section name.
    pub section: String,
    /// What the section name says: type, expected attach type, target.
    pub kind: SectionKind,
    /// Where its function is: code section, first instruction, length.
    func: Func,
}

/// A map reference in a linked program, for the loader to turn into an fd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapRef {
    /// The map [`ElfObject::maps`]`[i]` (BPF_PSEUDO_MAP_FD).
    Map(usize),
    /// A byte offset into the value of map `i` (global data,
    /// BPF_PSEUDO_MAP_VALUE).
    Value(usize, u32),
    /// A symbol the object does not define, which the caller names.
    Named(String),
}

/// One program's instructions, subprograms appended, with the map
/// references still to be filled in.
#[derive(Clone, Debug)]
pub struct Linked {
    /// The instructions.
    pub insns: Vec<Insn>,
    /// `(index of an lddw, what it loads)`.
    pub map_refs: Vec<(usize, MapRef)>,
}

impl Linked {
    /// Fills in the map references: `resolve` gives the map fd (and, for
    /// [`MapRef::Value`], the offset stays in the second slot's immediate),
    /// as BPF_PROG_LOAD takes them.
    ///
    /// # Errors
    /// What `resolve` returns.
    pub fn resolve<E>(&self, mut resolve: impl FnMut(&MapRef) -> Result<u32, E>) -> Result<Vec<Insn>, E> {
        let mut insns = self.insns.clone();
        for (at, r) in &self.map_refs {
            let fd = resolve(r)?;
            let (src, off) = match r {
                MapRef::Value(_, off) => (abi::BPF_PSEUDO_MAP_VALUE, *off),
                _ => (abi::BPF_PSEUDO_MAP_FD, 0),
            };
            insns[*at].src = src;
            insns[*at].imm = fd as i32;
            insns[*at + 1].imm = off as i32;
        }
        Ok(insns)
    }
}

/// A function: its code section (index into the object's code sections),
/// first instruction and instruction count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Func {
    sec: usize,
    start: usize,
    len: usize,
}

/// What a relocation in code points at, resolved at parse time.
#[derive(Clone, Debug)]
enum Reloc {
    Map(MapRef),
    /// A call into code section `sec` at instruction `at`.
    Call {
        sec: usize,
        at: usize,
    },
}

/// An executable section.
#[derive(Debug)]
struct CodeSection {
    name: String,
    insns: Vec<Insn>,
    /// Functions by first instruction.
    funcs: Vec<Func>,
    /// Their symbol names, by first instruction.
    names: BTreeMap<usize, String>,
    relocs: BTreeMap<usize, Reloc>,
}

/// A parsed object.
#[derive(Debug)]
pub struct ElfObject {
    /// The `license` section's string (empty if there is none).
    pub license: String,
    /// The `version` section's kernel version, if any.
    pub kern_version: Option<u32>,
    /// Programs, in section then address order.
    pub programs: Vec<ElfProgram>,
    /// Map definitions: legacy, BTF and global data, in section order.
    pub maps: Vec<MapSpec>,
    code: Vec<CodeSection>,
}

type File<'a> = ElfFile64<'a, LittleEndian>;
type Section<'a, 'f> = ElfSection64<'a, 'f, LittleEndian>;

/// A section's `sh_flags`.
fn sh_flags(s: &Section<'_, '_>) -> u64 {
    s.elf_section_header().sh_flags(LittleEndian).0
}

fn sec_name<'a>(file: &File<'a>, idx: SectionIndex) -> String {
    file.section_by_index(idx)
        .ok()
        .and_then(|s| s.name().ok().map(String::from))
        .unwrap_or_else(|| format!("#{}", idx.0))
}

/// Reads an object.
///
/// # Errors
/// An [`ElfError`] for anything malformed or unsupported: not a 64-bit
/// little-endian BPF object, sections or symbols out of bounds, unknown map
/// records, relocations against what is not a map or a function, ...
pub fn parse(data: &[u8]) -> Result<ElfObject, ElfError> {
    let header = |what: String| ElfError::new("ELF header", None, what);
    let file = File::parse(data).map_err(|e| header(format!("not a 64-bit little-endian ELF object: {e}")))?;
    let machine = file.elf_header().e_machine.get(LittleEndian);
    if machine != EM_BPF && machine != EM_NONE {
        return Err(header(format!("machine {machine} is not EM_BPF ({EM_BPF})")));
    }
    let mut license = String::new();
    let mut kern_version = None;
    let mut code = Vec::new();
    // ELF section index -> code section index.
    let mut code_of: BTreeMap<usize, usize> = BTreeMap::new();
    for s in file.sections() {
        let name = s.name().map_err(|e| header(format!("section name: {e}")))?;
        let flags = sh_flags(&s);
        let bytes = || {
            s.data()
                .map_err(|e| ElfError::new(name, None, format!("data out of bounds: {e}")))
        };
        match name {
            "license" => {
                let b = bytes()?;
                let end = b
                    .iter()
                    .position(|&c| c == 0)
                    .ok_or_else(|| ElfError::new(name, None, "license is not NUL-terminated".into()))?;
                license = String::from_utf8_lossy(&b[..end]).into_owned();
            }
            "version" => {
                let b = bytes()?;
                let v: [u8; 4] = b
                    .try_into()
                    .map_err(|_| ElfError::new(name, None, format!("version is {} bytes, not 4", b.len())))?;
                kern_version = Some(u32::from_le_bytes(v));
            }
            _ if flags & SHF_EXECINSTR.0 != 0 && s.size() > 0 => {
                let b = bytes()?;
                let insns = decode(b).map_err(|_| {
                    ElfError::new(
                        name,
                        None,
                        format!("size {} is not a whole number of instructions", b.len()),
                    )
                })?;
                code_of.insert(s.index().0, code.len());
                code.push(CodeSection {
                    name: name.into(),
                    insns,
                    funcs: Vec::new(),
                    names: BTreeMap::new(),
                    relocs: BTreeMap::new(),
                });
            }
            _ => {}
        }
    }
    let maps = maps::collect(&file)?;
    // Functions: FUNC symbols of each code section.
    for sym in file.symbols() {
        let SymbolSection::Section(idx) = sym.section() else {
            continue;
        };
        let Some(&ci) = code_of.get(&idx.0) else { continue };
        if sym.kind() != SymbolKind::Text {
            continue;
        }
        let c = &mut code[ci];
        let name = sym.name().unwrap_or("");
        if sym.address() % Insn::SIZE as u64 != 0 || sym.address() / Insn::SIZE as u64 >= c.insns.len() as u64 {
            return Err(ElfError::new(
                &c.name,
                Some(sym.address()),
                format!("function '{name}' is not at an instruction in the section"),
            ));
        }
        let start = (sym.address() / Insn::SIZE as u64) as usize;
        let len = (sym.size() / Insn::SIZE as u64) as usize;
        if len > c.insns.len() - start {
            return Err(ElfError::new(
                &c.name,
                Some(sym.address()),
                format!("function '{name}' runs past the end of the section"),
            ));
        }
        c.funcs.push(Func { sec: ci, start, len });
        c.names.entry(start).or_insert_with(|| name.into());
    }
    for (ci, c) in code.iter_mut().enumerate() {
        c.funcs.sort();
        c.funcs.dedup_by_key(|f| f.start);
        if c.funcs.is_empty() {
            // No symbols (stripped): the section is one function.
            c.funcs.push(Func {
                sec: ci,
                start: 0,
                len: c.insns.len(),
            });
        }
        // A function without a size runs to the next one.
        let ends: Vec<usize> = c.funcs.iter().skip(1).map(|f| f.start).chain([c.insns.len()]).collect();
        for (f, end) in c.funcs.iter_mut().zip(ends) {
            if f.len == 0 || f.start + f.len > end {
                f.len = end - f.start;
            }
        }
    }
    // Relocations of code sections.
    for s in file.sections() {
        let Some(&ci) = code_of.get(&s.index().0) else { continue };
        for (off, r) in s.relocations() {
            let sec = code[ci].name.clone();
            let at_err = |what: String| ElfError::new(&sec, Some(off), what);
            let r_type = match r.flags() {
                RelocationFlags::Elf { r_type } => r_type.0,
                _ => return Err(at_err("not an ELF relocation".into())),
            };
            let RelocationTarget::Symbol(si) = r.target() else {
                return Err(at_err("relocation without a symbol".into()));
            };
            if off % Insn::SIZE as u64 != 0 || off / Insn::SIZE as u64 >= code[ci].insns.len() as u64 {
                return Err(at_err("relocation not at an instruction".into()));
            }
            let at = (off / Insn::SIZE as u64) as usize;
            let insn = code[ci].insns[at];
            let reloc = code_reloc(&file, &maps, &code_of, si, r_type, insn, &at_err)?;
            code[ci].relocs.insert(at, reloc);
        }
    }
    let mut programs = Vec::new();
    for c in &code {
        if c.name == ".text" {
            continue;
        }
        let kind = section::classify(&c.name)
            .ok_or_else(|| ElfError::new(&c.name, None, "not a program section libbpf knows".into()))?;
        for f in &c.funcs {
            let name = c
                .names
                .get(&f.start)
                .cloned()
                .unwrap_or_else(|| c.name.replace('/', "_"));
            programs.push(ElfProgram {
                name,
                section: c.name.clone(),
                kind: kind.clone(),
                func: *f,
            });
        }
    }
    Ok(ElfObject {
        license,
        kern_version,
        programs,
        maps,
        code,
    })
}

/// Resolves one relocation of a code section.
fn code_reloc(
    file: &File<'_>,
    maps: &[MapSpec],
    code_of: &BTreeMap<usize, usize>,
    si: SymbolIndex,
    r_type: u32,
    insn: Insn,
    at_err: &dyn Fn(String) -> ElfError,
) -> Result<Reloc, ElfError> {
    let sym = file
        .symbol_by_index(si)
        .map_err(|e| at_err(format!("bad symbol index {}: {e}", si.0)))?;
    let name = sym.name().unwrap_or("").to_string();
    match r_type {
        R_BPF_64_64 => {
            if insn.code != LD_DW_IMM {
                return Err(at_err(format!(
                    "R_BPF_64_64 against '{name}' on a non-lddw instruction"
                )));
            }
            let sidx = match sym.section() {
                SymbolSection::Section(i) => i,
                SymbolSection::Undefined => return Ok(Reloc::Map(MapRef::Named(name))),
                _ => return Err(at_err(format!("'{name}' is not in a section"))),
            };
            let symbol_map = maps.iter().position(|m| m.origin.symbol_in(sidx.0, &name));
            if let Some(i) = symbol_map {
                return Ok(Reloc::Map(MapRef::Map(i)));
            }
            if let Some(i) = maps.iter().position(|m| m.origin.data_section() == Some(sidx.0)) {
                // Global data: section symbol plus the immediate, or the
                // variable's own offset.
                let off = sym.address().wrapping_add(i64::from(insn.imm) as u64);
                if off >= u64::from(maps[i].value_size) && maps[i].value_size > 0 {
                    return Err(at_err(format!(
                        "'{name}' + {} is past the end of its data section",
                        insn.imm
                    )));
                }
                return Ok(Reloc::Map(MapRef::Value(i, off as u32)));
            }
            Err(at_err(format!(
                "R_BPF_64_64 against '{name}' in section '{}', which is neither a map nor global data",
                sec_name(file, sidx)
            )))
        }
        R_BPF_64_32 => {
            if insn.code != CALL || insn.src != BPF_PSEUDO_CALL {
                return Err(at_err(format!(
                    "R_BPF_64_32 against '{name}' on a non-call instruction"
                )));
            }
            let SymbolSection::Section(sidx) = sym.section() else {
                return Err(at_err(format!("call to '{name}', which is not defined here")));
            };
            let Some(&sec) = code_of.get(&sidx.0) else {
                return Err(at_err(format!("call to '{name}', which is not in a code section")));
            };
            if sym.address() % Insn::SIZE as u64 != 0 {
                return Err(at_err(format!("call to '{name}', which is not at an instruction")));
            }
            let t = (sym.address() / Insn::SIZE as u64) as i64 + i64::from(insn.imm) + 1;
            Ok(Reloc::Call {
                sec,
                at: usize::try_from(t).map_err(|_| at_err(format!("call to '{name}' before its section")))?,
            })
        }
        t => Err(at_err(format!("relocation type {t} against '{name}' in code"))),
    }
}

impl ElfObject {
    /// Whether program `index` is a tail-call target: a prog array of the
    /// object holds it from the start (`.values`), so a loader does not
    /// attach it where its section points.
    pub fn is_tail_call_target(&self, index: usize) -> bool {
        self.programs
            .get(index)
            .is_some_and(|p| self.maps.iter().any(|m| m.init.iter().any(|i| i.symbol == p.name)))
    }

    /// The function of code section `sec` containing instruction `at`.
    fn func_at(&self, sec: usize, at: usize) -> Option<Func> {
        self.code
            .get(sec)?
            .funcs
            .iter()
            .find(|f| f.start <= at && at < f.start + f.len)
            .copied()
    }

    /// Program `index`'s instructions: its function, then each function it
    /// calls (directly or not) appended once, calls relocated to them.
    ///
    /// # Errors
    /// A call to no function, or out of its section, naming the place.
    pub fn link(&self, index: usize) -> Result<Linked, ElfError> {
        let prog = self
            .programs
            .get(index)
            .ok_or_else(|| ElfError::new("", None, format!("no program {index}")))?;
        let mut placed: Vec<(Func, usize)> = Vec::new();
        let mut insns: Vec<Insn> = Vec::new();
        let mut map_refs = Vec::new();
        let mut queue = alloc::collections::VecDeque::new();
        placed.push((prog.func, 0));
        queue.push_back(0usize);
        while let Some(pi) = queue.pop_front() {
            let (f, base) = placed[pi];
            let c = &self.code[f.sec];
            debug_assert_eq!(insns.len(), base);
            insns.extend_from_slice(&c.insns[f.start..f.start + f.len]);
            for i in 0..f.len {
                let at = f.start + i;
                let insn = c.insns[at];
                let err = |what: String| ElfError::new(&c.name, Some((at * Insn::SIZE) as u64), what);
                match c.relocs.get(&at) {
                    Some(Reloc::Map(r)) => {
                        if i + 1 >= f.len {
                            return Err(err("a 64-bit load cut off by the end of its function".into()));
                        }
                        map_refs.push((base + i, r.clone()));
                        continue;
                    }
                    Some(Reloc::Call { .. }) | None if insn.code == CALL && insn.src == BPF_PSEUDO_CALL => {}
                    _ => continue,
                }
                let (tsec, tat) = match c.relocs.get(&at) {
                    Some(Reloc::Call { sec, at }) => (*sec, *at),
                    _ => {
                        let t = at as i64 + i64::from(insn.imm) + 1;
                        (
                            f.sec,
                            usize::try_from(t).map_err(|_| err("call before the start of its section".into()))?,
                        )
                    }
                };
                let target = self
                    .func_at(tsec, tat)
                    .ok_or_else(|| err(format!("call to instruction {tat}, which is in no function")))?;
                let tbase = match placed.iter().find(|(p, _)| *p == target) {
                    Some(&(_, b)) => b,
                    None => {
                        let b = placed.last().map_or(0, |&(p, b)| b + p.len);
                        placed.push((target, b));
                        queue.push_back(placed.len() - 1);
                        b
                    }
                };
                let rel = (tbase + (tat - target.start)) as i64 - (base + i) as i64 - 1;
                insns[base + i].imm = i32::try_from(rel).map_err(|_| err("call offset out of range".into()))?;
            }
        }
        Ok(Linked { insns, map_refs })
    }
}
