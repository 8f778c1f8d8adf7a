//! Loading a program (the kernel side of BPF_PROG_LOAD): map references
//! resolved to the maps they name, and the load-time checks that do not need
//! the verifier (helpers exist and respect the license, jumps stay inside).

use crate::error::{Error, Result};
use crate::map::Map;
use crate::map::{is_map_in_map, MapInMap};
use crate::object::Objects;
use crate::prog::insn::{decode, known_opcode, Insn, LD_DW_IMM};
use crate::prog::interp::code::{prepare, Code};
use crate::prog::interp::mem::Memory;
use crate::prog::jit::Lookups;
use crate::prog::verify::{self, LdImm, Log, MapInfo, Verified};
use abi::{ProgType, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ptr::NonNull;

/// The high bits of the value a map reference loads: programs see an
/// opaque handle, and helpers take it back to the program's own map list.
pub const MAP_HANDLE_TAG: u64 = 0xffff_b9f0_0000_0000;

/// A loaded program.
pub struct Program {
    /// Program id.
    pub id: u32,
    /// The type.
    pub prog_type: ProgType,
    /// Name, NUL-padded.
    pub name: [u8; 16],
    /// Whether the license is GPL-compatible.
    pub gpl: bool,
    /// Instructions, with map references resolved.
    pub insns: Arc<[Insn]>,
    /// The same, prepared for the interpreter.
    pub code: Arc<Code>,
    /// The maps it uses; a map reference loads `MAP_HANDLE_TAG | index`.
    pub maps: Vec<Arc<dyn Map>>,
    /// Map values it addresses directly (BPF_PSEUDO_MAP_VALUE), lent to
    /// every run: map index, value pointer, length.
    /// (map index, value address, length): addresses into `maps`' storage.
    values: Vec<(usize, u64, usize)>,
    /// Maps (indices into `maps`) whose values its compiled code looks up
    /// without a helper, kept by every run's memory.
    kept: Vec<usize>,
    /// What the verifier proved.
    pub verified: Verified,
}

/// Licenses Linux counts as GPL-compatible.
pub fn license_is_gpl(license: &[u8]) -> bool {
    matches!(
        license,
        b"GPL" | b"GPL v2" | b"GPL and additional rights" | b"Dual BSD/GPL" | b"Dual MIT/GPL" | b"Dual MPL/GPL"
    )
}

/// Places compiled code in executable memory ([`crate::Platform::map_code`]).
pub type CodeMapper<'a> = &'a dyn Fn(&[u8]) -> Option<alloc::boxed::Box<dyn crate::platform::CodeMapping>>;

/// What a loader asks to load.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The type.
    pub prog_type: ProgType,
    /// Name, NUL-padded.
    pub name: [u8; 16],
    /// Whether the license is GPL-compatible.
    pub gpl: bool,
    /// Instruction bytes.
    pub code: &'a [u8],
    /// Keep the run-time check of every memory access, even those the
    /// verifier proved (a debugging aid; see `Bpf::keep_memory_checks`).
    pub keep_checks: bool,
    /// Compile the program and have this place it (`None`: interpret it).
    pub jit: Option<CodeMapper<'a>>,
    /// The cores' ISA string, for the extensions the riscv64 JIT may use
    /// (see `Platform::isa`).
    pub isa: Option<&'a str>,
    /// Blind the compiled program's constants, with keys from this seed.
    pub blind: Option<u64>,
}

impl Program {
    /// Prepares instruction bytes: resolves map references through
    /// `objects`, then verifies the program, writing what `log` asks for
    /// (every refusal ends in the log, with Linux's words where Linux has
    /// them).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for malformed code; [`Error::BadFd`] or
    /// [`Error::WrongObjectKind`] for bad map fds; the verifier's errors.
    pub fn load(id: u32, req: &Request<'_>, objects: &Objects, log: &mut Log) -> Result<Program> {
        // The verifier writes its own refusals; the rest are said here.
        Program::load_unlogged(id, req, objects, log).inspect_err(|e| {
            let logged = matches!(
                e,
                Error::Rejected { .. }
                    | Error::Cfg(_)
                    | Error::UnknownHelper { .. }
                    | Error::HelperNotAllowed { .. }
                    | Error::GplOnlyHelper { .. }
            );
            if !logged {
                log.line(format_args!("{e}"));
            }
        })
    }

    fn load_unlogged(id: u32, req: &Request<'_>, objects: &Objects, log: &mut Log) -> Result<Program> {
        let Request {
            prog_type, name, gpl, ..
        } = *req;
        let mut insns = decode(req.code)?;
        let mut ld = Vec::new();
        let mut maps: Vec<Arc<dyn Map>> = Vec::new();
        let mut values = Vec::new();
        let n = insns.len();
        let mut pc = 0;
        while pc < n {
            let i = insns[pc];
            if i.code == LD_DW_IMM {
                if pc + 1 >= n || insns[pc + 1].code != 0 {
                    return Err(Error::InvalidArgument);
                }
                match i.src {
                    0 => {}
                    BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_VALUE => {
                        let m = objects.map(i.imm as u32)?;
                        let idx = match maps.iter().position(|x| Arc::ptr_eq(x, &m)) {
                            Some(x) => x,
                            None => {
                                maps.push(m.clone());
                                maps.len() - 1
                            }
                        };
                        let value = if i.src == BPF_PSEUDO_MAP_FD {
                            ld.push((pc, LdImm::Map(idx as u16)));
                            MAP_HANDLE_TAG | idx as u64
                        } else {
                            // Direct value access: arrays only, inside the value.
                            let off = insns[pc + 1].imm as u32 as usize;
                            let d = m.def();
                            if d.map_type != abi::MapType::Array || off >= d.value_size as usize {
                                return Err(Error::InvalidArgument);
                            }
                            let base = m.lookup_ptr(&0u32.to_ne_bytes(), 0).ok_or(Error::InvalidArgument)?;
                            ld.push((pc, LdImm::Value(idx as u16, off as u32)));
                            values.push((idx, base.as_ptr() as u64, d.value_size as usize));
                            base.as_ptr() as u64 + off as u64
                        };
                        insns[pc] = Insn {
                            src: 0,
                            imm: value as u32 as i32,
                            ..i
                        };
                        insns[pc + 1].imm = (value >> 32) as u32 as i32;
                    }
                    _ => return Err(Error::InvalidArgument),
                }
                pc += 2;
                continue;
            }
            if !known_opcode(&i) {
                log.line(format_args!("unknown opcode {:02x}", i.code));
                return Err(Error::Rejected {
                    errno: abi::Errno::EINVAL,
                    pc: pc as u32,
                });
            }
            pc += 1;
        }
        let input = verify::Input {
            insns: &insns,
            prog_type,
            gpl,
            maps: map_infos(&maps),
            ld,
        };
        let verified = verify::verify(&input, log)?;
        let mut code = prepare(&insns)?.verified();
        if !req.keep_checks {
            // SAFETY: `verified` is the verifier's result for `insns`, whose
            // map references name `maps`, which the program holds (and
            // with them their values) for as long as its code exists.
            #[allow(unsafe_code)]
            let trusted = unsafe { code.trust(&verified.proven) };
            code = trusted;
        }
        let mut kept = Vec::new();
        if let Some(map) = req.jit {
            // Every access checked, and every helper called, when checks
            // are kept.
            let (proven, lookups): (&[bool], _) = if req.keep_checks {
                (&[], Lookups::default())
            } else {
                (&verified.proven, Lookups::plan(&insns, &verified.call_map, &maps))
            };
            // SAFETY: as for `trust` just above: `proven` is the verifier's
            // result for `insns`, whose maps the program holds; `lookups`
            // is planned from it on those maps, and every run keeps the
            // maps it uses (`lend_values`); the back end is this machine's,
            // with the extensions the platform says its cores have.
            #[allow(unsafe_code)]
            let image = crate::prog::jit::Arch::host(req.isa).and_then(|arch| unsafe {
                crate::prog::jit::compile_as(arch, &insns, proven, &lookups, map, req.blind)
            });
            if image.is_some() {
                kept = lookups.kept;
            }
            code.jit = image.map(Arc::new);
        }
        let code = Arc::new(code);
        Ok(Program {
            id,
            prog_type,
            name,
            gpl,
            insns: insns.into(),
            code,
            maps,
            values,
            kept,
            verified,
        })
    }

    /// The maps (indices into [`Program::maps`]) whose values its compiled
    /// code looks up itself, without the helper (see
    /// [`crate::prog::jit::Lookup`]); none when it is interpreted.
    pub fn compiled_lookups(&self) -> &[usize] {
        &self.kept
    }

    /// Lends the program's directly addressed map values to a run, and
    /// has it keep the maps its compiled lookups use.
    pub fn lend_values(&self, mem: &mut Memory) {
        for m in self.kept.iter().filter_map(|&k| self.maps.get(k)) {
            mem.keep_map(m);
        }
        for &(idx, addr, len) in &self.values {
            if let (Some(m), Some(ptr)) = (self.maps.get(idx), NonNull::new(addr as *mut u8)) {
                let writable = m.def().prog_can_write();
                mem.lend(m.clone(), ptr, len, writable);
            }
        }
    }

    /// The map a handle names, if it is one of this program's.
    pub fn map_of(&self, handle: u64) -> Option<&Arc<dyn Map>> {
        if handle & !0xffff_ffff != MAP_HANDLE_TAG {
            return None;
        }
        self.maps.get((handle & 0xffff_ffff) as usize)
    }
}

/// The verifier's view of `maps`, the inner templates of maps of maps
/// appended after them.
fn map_infos(maps: &[Arc<dyn Map>]) -> Vec<MapInfo> {
    let info = |t, k, v, n, f| MapInfo {
        map_type: t,
        key_size: k,
        value_size: v,
        max_entries: n,
        flags: f,
        inner: None,
    };
    let mut out: Vec<MapInfo> = maps
        .iter()
        .map(|m| {
            let d = m.def();
            info(d.map_type, d.key_size, d.value_size, d.max_entries, d.flags)
        })
        .collect();
    for (k, m) in maps.iter().enumerate() {
        if is_map_in_map(m.def().map_type) {
            if let Some(outer) = m.as_any().downcast_ref::<MapInMap>() {
                let (t, ks, vs, f) = outer.template();
                out.push(info(t, ks, vs, 0, f));
                out[k].inner = Some((out.len() - 1) as u16);
            }
        }
    }
    out
}
