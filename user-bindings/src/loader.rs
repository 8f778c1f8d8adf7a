//! Objects clang builds, loaded from user space as libbpf and aya load
//! them, over any [`Sys`] (so on Linux too): read by the kernel's own ELF
//! module (`kernel_bpf::elf`, no second parser), maps created (legacy,
//! BTF-defined, global data filled and `.rodata` frozen), programs linked
//! and relocated to those maps, then loaded; handles by name.
//!
//! ```
//! use user_bindings::{hosted::Process, loader::Object, maps::HashMap};
//! let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
//! let sys = Process::new(2);
//! let mut obj = Object::load(&sys, &elf).unwrap();
//! assert!(obj.program("count_opens").is_some());
//! let opens: HashMap<_, [u8; 16], u64> = HashMap::try_from(obj.take_map("opens").unwrap()).unwrap();
//! assert_eq!(opens.keys().count(), 0);
//! ```

use crate::fd::{Error, Result};
use crate::maps::{Map, MapSpec};
use crate::programs::{Attachment, LoadOptions, Program};
use crate::Sys;
use abi::{Insn, MapType};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kernel_bpf::elf::{self, MapRef};
use zerocopy::FromBytes;

/// A program of an object.
///
/// ```
/// # use user_bindings::{hosted::Process, loader::Object};
/// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
/// let obj = Object::load(&Process::new(1), &elf).unwrap();
/// let p = &obj.programs()[1];
/// assert_eq!((p.name.as_str(), p.section.as_str()), ("count_opens", "kprobe/do_sys_openat2"));
/// ```
#[derive(Debug)]
pub struct ObjectProgram<S: Sys> {
    /// Its symbol name.
    pub name: String,
    /// Its section name (which says its type and where it attaches).
    pub section: String,
    /// The probe its section names ("kprobe:do_sys_openat2", ...), unless
    /// it is only a tail-call target or names none.
    pub target: Option<String>,
    /// The loaded program.
    pub program: Program<S>,
}

/// A loaded object: its maps and programs, by name.
///
/// ```
/// # use user_bindings::{hosted::Process, loader::Object};
/// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
/// let obj = Object::load(&Process::new(1), &elf).unwrap();
/// assert!(obj.map("opens").is_some() && obj.program("count_syscalls").is_some());
/// ```
#[derive(Debug)]
pub struct Object<S: Sys> {
    maps: Vec<(String, Option<Map<S>>)>,
    programs: Vec<ObjectProgram<S>>,
}

fn elf_error(e: impl ToString) -> Error {
    Error {
        what: "ELF object",
        errno: abi::Errno::EINVAL.raw(),
        log: e.to_string(),
    }
}

impl<S: Sys + Clone> Object<S> {
    /// Loads every map and program of the object `elf`.
    ///
    /// # Errors
    /// EINVAL with the reason in `log` for a malformed object; the errno
    /// of the map or program that failed (with the verifier's log).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object, abi::Errno};
    /// let err = Object::load(&Process::new(1), b"not an object").unwrap_err();
    /// assert_eq!(err.errno, Errno::EINVAL.raw());
    /// assert!(err.log.contains("ELF"), "{}", err.log);
    /// ```
    pub fn load(sys: &S, elf: &[u8]) -> Result<Object<S>> {
        let o = elf::parse(elf).map_err(elf_error)?;
        let cpus = sys.possible_cpus();
        let mut maps: Vec<(String, Option<Map<S>>)> = Vec::new();
        for spec in &o.maps {
            let template = match (&spec.inner, spec.inner_index) {
                (Some(inner), _) => Some(Map::create(sys, &spec_of(&inner.create_attr(cpus)))?),
                _ => None,
            };
            let mut attr = spec_of(&spec.create_attr(cpus));
            if let Some(t) = &template {
                attr.inner_map_fd = t.fd().raw();
            } else if let Some(Some(m)) = spec
                .inner_index
                .and_then(|i| maps.get(i as usize))
                .map(|m| m.1.as_ref())
            {
                attr.inner_map_fd = m.fd().raw();
            }
            let map = Map::create(sys, &attr)?;
            if let Some(data) = &spec.data {
                map.update_bytes(&0u32.to_ne_bytes(), data)?;
            }
            if spec.freeze {
                map.freeze()?;
            }
            maps.push((spec.name.clone(), Some(map)));
        }
        let mut programs = Vec::new();
        for (i, p) in o.programs.iter().enumerate() {
            let linked = o.link(i).map_err(elf_error)?;
            let insns = linked.resolve(|r| match r {
                MapRef::Map(k) | MapRef::Value(k, _) => maps
                    .get(*k)
                    .and_then(|m| m.1.as_ref())
                    .map(|m| m.fd().raw())
                    .ok_or_else(|| elf_error(format!("program {} names map {k}, which is not there", p.name))),
                MapRef::Named(n) => Err(elf_error(format!(
                    "program {} names map {n}, which is not there",
                    p.name
                ))),
            })?;
            let bytes = kernel_bpf::prog::insn::encode(&insns);
            let insns = <[Insn]>::ref_from_bytes(&bytes).map_err(|_| elf_error("instructions"))?;
            let opts = LoadOptions {
                name: &p.name,
                expected_attach_type: p.kind.expected_attach_type.map_or(0, |t| t.raw()),
                kern_version: o.kern_version.unwrap_or(0),
            };
            let program = Program::load_with(sys, p.kind.prog_type, insns, &o.license, &opts).map_err(|mut e| {
                e.log = format!("program {} (section {}):\n{}", p.name, p.section, e.log);
                e
            })?;
            let target = kernel_bpf::attach::Target::of_section(&p.kind).filter(|_| !o.is_tail_call_target(i));
            programs.push(ObjectProgram {
                name: p.name.clone(),
                section: p.section.clone(),
                target,
                program,
            });
        }
        let object = Object { maps, programs };
        object.fill_slots(&o)?;
        Ok(object)
    }
}

impl<S: Sys> Object<S> {
    /// Fills the slots of program arrays and maps of maps that the object
    /// declares (BTF `.values`), with the fds of its programs and maps.
    fn fill_slots(&self, o: &elf::ElfObject) -> Result<()> {
        for (spec, (_, map)) in o.maps.iter().zip(&self.maps) {
            let Some(map) = map else { continue };
            for init in &spec.init {
                let fd = match self.programs.iter().find(|p| p.name == init.symbol) {
                    Some(p) => p.program.fd().raw(),
                    None => self.map(&init.symbol).map(|m| m.fd().raw()).ok_or_else(|| {
                        elf_error(format!("map {}: {} is neither program nor map", spec.name, init.symbol))
                    })?,
                };
                map.update_bytes(&init.slot.to_ne_bytes(), &fd.to_ne_bytes())?;
            }
        }
        Ok(())
    }
}

impl<S: Sys> Object<S> {
    /// The map named `name` (its symbol, or `.rodata`, `.data`, `.bss`).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object};
    /// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    /// let obj = Object::load(&Process::new(1), &elf).unwrap();
    /// assert_eq!(obj.map("counts").unwrap().key_size(), 4);
    /// ```
    pub fn map(&self, name: &str) -> Option<&Map<S>> {
        self.maps.iter().find(|m| m.0 == name).and_then(|m| m.1.as_ref())
    }

    /// Every map the object still holds, with its name, in object order.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object};
    /// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    /// let obj = Object::load(&Process::new(1), &elf).unwrap();
    /// let names: Vec<&str> = obj.maps().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["counts", "opens"]);
    /// ```
    pub fn maps(&self) -> impl Iterator<Item = (&str, &Map<S>)> {
        self.maps
            .iter()
            .filter_map(|(name, m)| Some((name.as_str(), m.as_ref()?)))
    }

    /// Takes the map named `name` out of the object (to view it as a typed
    /// map); the object then no longer has it.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object};
    /// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    /// let mut obj = Object::load(&Process::new(1), &elf).unwrap();
    /// assert!(obj.take_map("counts").is_some());
    /// assert!(obj.map("counts").is_none());
    /// ```
    pub fn take_map(&mut self, name: &str) -> Option<Map<S>> {
        self.maps.iter_mut().find(|m| m.0 == name).and_then(|m| m.1.take())
    }

    /// The program named `name`.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object, abi::ProgType};
    /// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    /// let obj = Object::load(&Process::new(1), &elf).unwrap();
    /// assert_eq!(obj.program("count_opens").unwrap().prog_type(), ProgType::Kprobe);
    /// ```
    pub fn program(&self, name: &str) -> Option<&Program<S>> {
        self.programs.iter().find(|p| p.name == name).map(|p| &p.program)
    }

    /// Every program, in object order.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object};
    /// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    /// let obj = Object::load(&Process::new(1), &elf).unwrap();
    /// let targets: Vec<_> = obj.programs().iter().map(|p| p.target.clone().unwrap()).collect();
    /// assert_eq!(targets, ["raw_tracepoint:sys_enter", "kprobe:do_sys_openat2"]);
    /// ```
    pub fn programs(&self) -> &[ObjectProgram<S>] {
        &self.programs
    }

    /// Attaches every program whose section names a probe; they stay
    /// attached while the returned guards live.
    ///
    /// # Errors
    /// The first attach that fails (those before it are detached again).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, loader::Object};
    /// # let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    /// let obj = Object::load(&Process::new(1), &elf).unwrap();
    /// let attached = obj.attach_all().unwrap();
    /// assert_eq!(attached.len(), 2);
    /// ```
    pub fn attach_all(&self) -> Result<Vec<Attachment<'_, S>>> {
        self.programs
            .iter()
            .filter_map(|p| p.target.as_deref().map(|t| p.program.attach(t)))
            .collect()
    }
}

/// A map spec from the create attr the ELF module derived.
fn spec_of(a: &abi::MapCreateAttr) -> MapSpec {
    MapSpec {
        map_type: MapType::try_from(a.map_type).unwrap_or(MapType::Unspec),
        key_size: a.key_size,
        value_size: a.value_size,
        max_entries: a.max_entries,
        flags: a.map_flags,
        name: a.map_name,
        inner_map_fd: a.inner_map_fd,
    }
}
