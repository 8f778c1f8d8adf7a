//! BPF_PROG_LOAD_EX, the original rCore command: an ELF object in, every
//! program loaded, the maps it defines created (or taken from the caller),
//! as `bpf_program_load_ex_attr` documents (docs/abi.md). All or nothing:
//! a failure closes every fd the command opened.

use super::{buffer, AttrBytes, Bpf};
use crate::elf::{self, object_name, ElfObject, MapRef, MapSpec};
use crate::error::{Error, Result};
use crate::map::{self, Map, MapInMap, ProgArray, ProgEntry};
use crate::object::Object;
use crate::platform::Platform;
use crate::prog::insn::encode;
use crate::prog::verify::Log;
use crate::prog::{license_is_gpl, Program, Request};
use abi::{LoadExMap, LoadExProg, MapFdEntry, ProgramLoadExAttr, BPF_ANY};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use zerocopy::{FromBytes, FromZeros, IntoBytes};

/// Largest object accepted.
const MAX_ELF: u32 = 64 << 20;
/// Most map names a caller may pass.
const MAX_NAMED: u32 = 1024;
/// Longest map symbol name a caller may pass, NUL included.
const NAME_MAX: usize = 256;

/// A map the caller names: (symbol, fd, map).
type Named = (String, u32, Arc<dyn Map>);

/// Fds opened so far; closed unless the command succeeds.
struct Opened<'a, P: Platform> {
    bpf: &'a Bpf<P>,
    fds: Vec<u32>,
}

impl<P: Platform> Drop for Opened<'_, P> {
    fn drop(&mut self) {
        for &fd in &self.fds {
            self.bpf.objects.remove(fd);
        }
    }
}

/// `s` NUL-terminated in 64 bytes.
fn c64(s: &str) -> [u8; 64] {
    let mut out = [0u8; 64];
    let n = s.len().min(63);
    out[..n].copy_from_slice(&s.as_bytes()[..n]);
    out
}

impl<P: Platform> Bpf<P> {
    pub(super) fn prog_load_ex(&self, buf: &AttrBytes, uattr: u64) -> Result<usize> {
        let (a, _) = ProgramLoadExAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let level = Self::check_log(a.log_level, a.log_buf, a.log_size)?;
        let mut log = String::new();
        let r = self.load_ex(&a, uattr, &mut log);
        self.write_log(level, a.log_buf, a.log_size, &log)?;
        r
    }

    fn load_ex(&self, a: &ProgramLoadExAttr, uattr: u64, log: &mut String) -> Result<usize> {
        if a.elf_size == 0 {
            return Err(Error::InvalidArgument);
        }
        if a.elf_size > MAX_ELF || a.map_array_len > MAX_NAMED {
            return Err(Error::SizeTooLarge);
        }
        let named = self.named_maps(a)?;
        let mut image = buffer(a.elf_size as usize)?;
        self.platform.copy_from_user(a.elf_prog, &mut image)?;
        let obj = elf::parse(&image).map_err(|e| {
            *log = format!("{e}\n");
            Error::InvalidArgument
        })?;
        let fail = |log: &mut String, what: String| {
            *log = what + "\n";
            Error::InvalidArgument
        };
        if obj.programs.is_empty() {
            return Err(fail(log, String::from("the object has no programs")));
        }
        let (nprogs, nmaps) = (obj.programs.len() as u32, obj.maps.len() as u32);
        // Counts out first, so a caller with too small arrays learns them.
        for (ptr, cap, count, field) in [
            (
                a.progs,
                a.progs_len,
                nprogs,
                core::mem::offset_of!(ProgramLoadExAttr, progs_len),
            ),
            (
                a.maps,
                a.maps_len,
                nmaps,
                core::mem::offset_of!(ProgramLoadExAttr, maps_len),
            ),
        ] {
            if ptr != 0 {
                self.write_attr(uattr, field, &count.to_ne_bytes())?;
                if cap < count {
                    return Err(Error::NoSpace);
                }
            }
        }
        let mut opened = Opened {
            bpf: self,
            fds: Vec::new(),
        };
        // Maps: the caller's, or new ones.
        let mut map_fds = Vec::new();
        let mut created = Vec::new();
        for spec in &obj.maps {
            let (fd, new) = match named.iter().find(|(n, _, _)| *n == spec.name) {
                Some((_, fd, m)) => {
                    let d = m.def();
                    if d.map_type.raw() != spec.map_type
                        || d.key_size != spec.key_size
                        || d.value_size != spec.value_size
                    {
                        return Err(fail(
                            log,
                            format!(
                                "map '{}': the caller's map fd {fd} does not match its definition",
                                spec.name
                            ),
                        ));
                    }
                    (*fd, false)
                }
                None => {
                    let m = self
                        .create_spec(spec, &map_fds)
                        .map_err(|e| fail(log, format!("map '{}': cannot be created: {e}", spec.name)))?;
                    let fd = self.objects.insert(Object::Map(m))?;
                    opened.fds.push(fd);
                    (fd, true)
                }
            };
            map_fds.push(fd);
            created.push(new);
        }
        // Programs.
        let gpl = license_is_gpl(obj.license.as_bytes());
        let mut progs = Vec::new();
        for (i, p) in obj.programs.iter().enumerate() {
            let linked = obj.link(i).map_err(|e| fail(log, format!("{e}")))?;
            let insns = linked
                .resolve(|r| match r {
                    MapRef::Map(k) | MapRef::Value(k, _) => Ok(map_fds[*k]),
                    MapRef::Named(n) => named
                        .iter()
                        .find(|(name, _, _)| name == n)
                        .map(|(_, fd, _)| *fd)
                        .ok_or_else(|| {
                            format!(
                                "program '{}': map symbol '{n}' is not defined and not named by the caller",
                                p.name
                            )
                        }),
                })
                .map_err(|e| fail(log, e))?;
            // The verifier's log of this program, bounded by the caller's
            // buffer (which the object's log then fills).
            let cap = if a.log_size == 0 {
                usize::MAX
            } else {
                a.log_size as usize
            };
            let mut vlog = Log::bounded(a.log_level, cap);
            let mapper = self.code_mapper();
            let req = Request {
                prog_type: p.kind.prog_type,
                name: object_name(&p.name),
                gpl,
                code: &encode(&insns),
                keep_checks: self.keeps_memory_checks(),
                jit: mapper.as_ref().map(|m| m as _),
                isa: self.platform.isa(),
                blind: self.blinding_seed(),
            };
            let prog = Program::load(self.objects.next_id(), &req, &self.objects, &mut vlog).inspect_err(|e| {
                *log = if vlog.text().is_empty() {
                    format!("program '{}' (section '{}'): {e}\n", p.name, p.section)
                } else {
                    format!("program '{}' (section '{}'):\n{}", p.name, p.section, vlog.text())
                };
            })?;
            let prog = Arc::new(prog);
            let fd = self.objects.insert(Object::Prog(prog.clone()))?;
            opened.fds.push(fd);
            progs.push((fd, prog, insns.len()));
        }
        self.fill_slots(&obj, &map_fds, &progs).map_err(|e| fail(log, e))?;
        // Out: the arrays, then which fds the caller keeps.
        let mut keep: Vec<u32> = Vec::new();
        if a.progs != 0 {
            let mut out = Vec::new();
            for (p, (fd, _, n)) in obj.programs.iter().zip(&progs) {
                let e = LoadExProg {
                    fd: *fd,
                    prog_type: p.kind.prog_type.raw(),
                    insn_cnt: *n as u32,
                    expected_attach_type: p.kind.expected_attach_type.map_or(0, |t| t.raw()),
                    name: c64(&p.name),
                    section: c64(&p.section),
                };
                out.extend_from_slice(e.as_bytes());
                keep.push(*fd);
            }
            self.platform.copy_to_user(a.progs, &out)?;
        }
        if a.maps != 0 {
            let mut out = Vec::new();
            for ((spec, fd), new) in obj.maps.iter().zip(&map_fds).zip(&created) {
                let mut e = LoadExMap::new_zeroed();
                e.fd = *fd;
                e.map_type = spec.map_type;
                e.created = u32::from(*new);
                e.name = c64(&spec.name);
                out.extend_from_slice(e.as_bytes());
                keep.push(*fd);
            }
            self.platform.copy_to_user(a.maps, &out)?;
        }
        let first = progs[0].0;
        keep.push(first);
        opened.fds.retain(|fd| !keep.contains(fd));
        // Whatever the caller does not keep is closed now (`opened` drops).
        Ok(first as usize)
    }

    /// The caller's `bpf_map_fd_entry` array: (symbol, fd, map).
    fn named_maps(&self, a: &ProgramLoadExAttr) -> Result<Vec<Named>> {
        let size = core::mem::size_of::<MapFdEntry>();
        let mut raw = buffer(a.map_array_len as usize * size)?;
        self.platform.copy_from_user(a.map_array, &mut raw)?;
        let mut out = Vec::new();
        for chunk in raw.chunks_exact(size) {
            let (e, _) = MapFdEntry::read_from_prefix(chunk).map_err(|_| Error::InvalidArgument)?;
            let mut name = [0u8; NAME_MAX];
            let n = self.platform.read_user_str(e.name, &mut name)?;
            let name = core::str::from_utf8(&name[..n]).map_err(|_| Error::InvalidArgument)?;
            out.push((String::from(name), e.fd, self.objects.map(e.fd)?));
        }
        Ok(out)
    }

    /// A map for a definition of the object, filled with its initial data;
    /// `made` are the fds of the object's maps made so far (a legacy
    /// record names its inner map by index among them).
    fn create_spec(&self, spec: &MapSpec, made: &[u32]) -> Result<Arc<dyn Map>> {
        let attr = spec.create_attr(self.platform.cpu_count());
        // A map of maps: its inner map's definition makes the template.
        let template: Option<Arc<dyn Map>> = match (&spec.inner, spec.inner_index) {
            (Some(inner), _) => Some(self.create_spec(inner, made)?),
            (None, Some(i)) => Some(self.objects.map(*made.get(i as usize).ok_or(Error::InvalidArgument)?)?),
            (None, None) => None,
        };
        let m = map::create_with(
            &attr,
            self.objects.next_id(),
            self.platform.cpu_count(),
            self.platform.random_u32(),
            Some(template.as_deref().ok_or(Error::BadFd { fd: 0 })),
        )?;
        if let Some(data) = &spec.data {
            m.update(&0u32.to_ne_bytes(), data, BPF_ANY, None)?;
        }
        if spec.freeze {
            m.def().freeze()?;
        }
        Ok(m)
    }

    /// Initial slots of prog arrays (`.values = { [i] = &prog }`).
    fn fill_slots(
        &self,
        obj: &ElfObject,
        map_fds: &[u32],
        progs: &[(u32, Arc<Program>, usize)],
    ) -> core::result::Result<(), String> {
        for (spec, fd) in obj.maps.iter().zip(map_fds) {
            if spec.init.is_empty() {
                continue;
            }
            let m = self.objects.map(*fd).map_err(|e| format!("map '{}': {e}", spec.name))?;
            for init in &spec.init {
                let bad = |e: Error| format!("map '{}' slot {}: {e}", spec.name, init.slot);
                if let Some(pa) = m.as_any().downcast_ref::<ProgArray>() {
                    let k = obj
                        .programs
                        .iter()
                        .position(|p| p.name == init.symbol)
                        .ok_or_else(|| format!("map '{}': '{}' is not a program", spec.name, init.symbol))?;
                    let prog = progs[k].1.clone();
                    pa.set(init.slot, Some(ProgEntry { id: prog.id, prog })).map_err(bad)?;
                } else if let Some(outer) = m.as_any().downcast_ref::<MapInMap>() {
                    let k = obj
                        .maps
                        .iter()
                        .position(|x| x.name == init.symbol)
                        .ok_or_else(|| format!("map '{}': '{}' is not a map", spec.name, init.symbol))?;
                    let inner = self.objects.map(map_fds[k]).map_err(bad)?;
                    outer.set(&init.slot.to_ne_bytes(), inner, BPF_ANY).map_err(bad)?;
                } else {
                    return Err(format!(
                        "map '{}': initial values are for prog arrays and maps of maps",
                        spec.name
                    ));
                }
            }
        }
        Ok(())
    }
}
