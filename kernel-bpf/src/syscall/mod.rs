//! `sys_bpf`: the bpf(2) entry point, with Linux's attr handling and errnos.
//!
//! The attr is read as Linux reads it: at most a page; bytes past
//! `union bpf_attr` must be zero (`E2BIG`); a shorter attr is zero-extended;
//! bytes of the union the command does not read must be zero (`EINVAL`,
//! Linux's `CHECK_ATTR`, with each command's extent from the description).
//! User memory is copied in before any lock is taken and copied out after.
//!
//! The commands, by the objects they serve:
//! - `map`: MAP_CREATE, the element commands, MAP_FREEZE, OBJ_GET_INFO_BY_FD;
//! - `batch`: the four batch commands;
//! - `prog`: PROG_LOAD, PROG_TEST_RUN, program info;
//! - `skb`: PROG_TEST_RUN of socket filters and tc programs, on an skb;
//! - `load_ex`: PROG_LOAD_EX, an ELF object's programs and maps at once;
//! - `attach`: PROG_ATTACH and PROG_DETACH by target string.

mod attach;
mod batch;
mod load_ex;
mod map;
mod prog;
mod skb;

use crate::error::{Error, Result};
use crate::map::{self as maps, Map};
use crate::object::Objects;
use crate::platform::Platform;
use abi::{Cmd, Errno, ObjInfoAttr, BPF_ATTR_SIZE, PAGE_SIZE};
use alloc::sync::Arc;
use alloc::vec::Vec;

/// The attr as the command sees it: `union bpf_attr`, zero-extended.
pub(crate) type AttrBytes = [u8; BPF_ATTR_SIZE];

/// A kernel's bpf subsystem: the platform it runs on and its objects.
pub struct Bpf<P: Platform> {
    pub(crate) platform: P,
    pub(crate) objects: Objects,
    pub(crate) attach: crate::attach::Points,
    /// The last socket cookie handed out (test runs make a socket each).
    sock_cookie: core::sync::atomic::AtomicU64,
    /// Programs loaded from now on keep every memory check.
    keep_checks: core::sync::atomic::AtomicBool,
    /// Programs loaded from now on are interpreted, not compiled.
    interpret: core::sync::atomic::AtomicBool,
    /// Programs compiled from now on have their constants blinded.
    blind: core::sync::atomic::AtomicBool,
}

/// A zeroed buffer of `n` bytes, or [`Error::NoMemory`].
pub(crate) fn buffer(n: usize) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::NoMemory)?;
    v.resize(n, 0);
    Ok(v)
}

impl<P: Platform> Bpf<P> {
    /// A subsystem with no objects yet.
    pub fn new(platform: P) -> Bpf<P> {
        let first = platform.first_fd();
        Bpf {
            platform,
            objects: Objects::new(first),
            attach: crate::attach::Points::default(),
            sock_cookie: core::sync::atomic::AtomicU64::new(0),
            keep_checks: core::sync::atomic::AtomicBool::new(false),
            interpret: core::sync::atomic::AtomicBool::new(false),
            blind: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether programs compiled from now on have their constants blinded
    /// (`on`; off by default), as Linux's `net.core.bpf_jit_harden` asks:
    /// every immediate is written into the machine code xor a random key,
    /// so a program cannot plant chosen bytes in executable memory.
    pub fn blind_constants(&self, on: bool) {
        self.blind.store(on, core::sync::atomic::Ordering::Relaxed);
    }

    /// A fresh seed for blinding one program's constants, when they are
    /// to be blinded.
    pub(crate) fn blinding_seed(&self) -> Option<u64> {
        self.blind
            .load(core::sync::atomic::Ordering::Relaxed)
            .then(|| u64::from(self.platform.random_u32()) << 32 | u64::from(self.platform.random_u32()))
    }

    /// Whether programs loaded from now on are compiled to machine code
    /// (`on`, the default where there is a back end for this architecture
    /// and the platform maps code: [`Platform::map_code`]) or interpreted,
    /// as Linux's `net.core.bpf_jit_enable` chooses.
    pub fn use_jit(&self, on: bool) {
        self.interpret.store(!on, core::sync::atomic::Ordering::Relaxed);
    }

    /// Whether loads compile programs (see [`Bpf::use_jit`]).
    pub fn uses_jit(&self) -> bool {
        !self.interpret.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// The code placer for [`Request::jit`], unless programs are
    /// interpreted.
    pub(crate) fn code_mapper(
        &self,
    ) -> Option<impl Fn(&[u8]) -> Option<alloc::boxed::Box<dyn crate::platform::CodeMapping>> + '_> {
        self.uses_jit().then_some(|code: &[u8]| self.platform.map_code(code))
    }

    /// Whether programs loaded from now on check every memory access when
    /// they run (`on`), or only those the verifier could not prove (the
    /// default: context and packet accesses, atomics, helpers' reads). A
    /// debugging aid, as a sysctl would be: a verifier mistake then shows
    /// as a fault instead of a stray access.
    pub fn keep_memory_checks(&self, on: bool) {
        self.keep_checks.store(on, core::sync::atomic::Ordering::Relaxed);
    }

    /// Whether loads keep every memory check (see
    /// [`Bpf::keep_memory_checks`]).
    pub fn keeps_memory_checks(&self) -> bool {
        self.keep_checks.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// The platform.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// The object table.
    pub fn objects(&self) -> &Objects {
        &self.objects
    }

    /// A new socket cookie (never 0, never repeated).
    pub(crate) fn next_sock_cookie(&self) -> u64 {
        self.sock_cookie.fetch_add(1, core::sync::atomic::Ordering::Relaxed) + 1
    }

    /// The probe points in use and their programs.
    pub fn points(&self) -> &crate::attach::Points {
        &self.attach
    }

    /// bpf(2): runs command `cmd` with the attr at user address `attr` of
    /// `size` bytes; returns a new fd or 0.
    ///
    /// # Errors
    /// The errno Linux gives in the same situation; see [`Bpf::bpf`] for
    /// the detailed error.
    pub fn sys_bpf(&self, cmd: u32, attr: u64, size: u32) -> core::result::Result<usize, Errno> {
        self.bpf(cmd, attr, size).map_err(|e| e.errno())
    }

    /// [`Bpf::sys_bpf`] with the detailed error.
    ///
    /// # Errors
    /// [`Error::AttrTooBig`] (E2BIG), [`Error::BadAddress`] (EFAULT),
    /// [`Error::UnknownCommand`] and [`Error::AttrTailNotZero`] (EINVAL),
    /// and each command's own errors.
    pub fn bpf(&self, cmd: u32, attr: u64, size: u32) -> Result<usize> {
        let buf = self.read_attr(attr, size)?;
        let c = Cmd::try_from(cmd).map_err(|_| Error::UnknownCommand { cmd })?;
        let used = c.attr_size().ok_or(Error::UnknownCommand { cmd })?;
        if buf[used..].iter().any(|&b| b != 0) {
            return Err(Error::AttrTailNotZero { cmd });
        }
        match c {
            Cmd::MapCreate => self.map_create(&buf),
            Cmd::MapLookupElem => self.map_lookup(&buf),
            Cmd::MapUpdateElem => self.map_update(&buf),
            Cmd::MapDeleteElem => self.map_delete(&buf),
            Cmd::MapGetNextKey => self.map_next_key(&buf),
            Cmd::MapLookupAndDeleteElem => self.map_lookup_and_delete(&buf),
            Cmd::MapFreeze => self.map_freeze(&buf),
            Cmd::ObjGetInfoByFd => self.obj_info(&buf, attr),
            Cmd::MapLookupBatch => self.batch(&buf, attr, true, false),
            Cmd::MapLookupAndDeleteBatch => self.batch(&buf, attr, true, true),
            Cmd::MapUpdateBatch => self.update_batch(&buf, attr),
            Cmd::MapDeleteBatch => self.batch(&buf, attr, false, true),
            Cmd::ProgLoad => self.prog_load(&buf),
            Cmd::ProgTestRun => self.prog_test_run(&buf, attr),
            Cmd::ProgLoadEx => self.prog_load_ex(&buf, attr),
            Cmd::ProgAttach => self.prog_attach(&buf),
            Cmd::ProgDetach => self.prog_detach(&buf),
            _ => Err(Error::UnknownCommand { cmd }),
        }
    }

    /// Closes `fd` (the seed's `bpf_object_remove`). Objects still in use
    /// elsewhere live on until their last user lets go.
    ///
    /// # Errors
    /// [`Error::BadFd`] if `fd` is not open.
    pub fn close(&self, fd: u32) -> Result<()> {
        self.objects.remove(fd).map(|_| ()).ok_or(Error::BadFd { fd })
    }

    /// How many maps and programs are alive, whether an fd, another object
    /// or a run in flight holds them (see [`crate::object`]).
    pub fn live(&self) -> crate::object::Live {
        self.objects.live()
    }

    /// The map behind `fd`, for kernel users (helpers, the ring buffer consumer).
    ///
    /// # Errors
    /// [`Error::BadFd`] or [`Error::WrongObjectKind`].
    pub fn map(&self, fd: u32) -> Result<Arc<dyn Map>> {
        self.objects.map(fd)
    }

    /// The program behind `fd`, for kernel users (attach points, tools).
    ///
    /// # Errors
    /// [`Error::BadFd`] or [`Error::WrongObjectKind`].
    pub fn program(&self, fd: u32) -> Result<Arc<crate::prog::Program>> {
        self.objects.prog(fd)
    }

    /// Hands every committed record of the ring buffer `fd` to `f`; returns
    /// how many (the kernel-side consumer; see `map::RingBuf` for the layout).
    ///
    /// # Errors
    /// [`Error::BadFd`], or [`Error::WrongObjectKind`] if `fd` is not a ring buffer.
    pub fn consume_ringbuf(&self, fd: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize> {
        let m = self.objects.map(fd)?;
        let rb = m
            .as_any()
            .downcast_ref::<maps::RingBuf>()
            .ok_or(Error::WrongObjectKind { fd })?;
        Ok(rb.consume(f))
    }

    /// Opens every slot of the PERF_EVENT_ARRAY `fd` for output (what
    /// libbpf's perf_buffer does per CPU; see `map::PerfEventArray`).
    ///
    /// # Errors
    /// [`Error::BadFd`], or [`Error::WrongObjectKind`] if `fd` is not a perf event array.
    pub fn open_perf_buffer(&self, fd: u32) -> Result<()> {
        let m = self.objects.map(fd)?;
        let pa = m
            .as_any()
            .downcast_ref::<maps::PerfEventArray>()
            .ok_or(Error::WrongObjectKind { fd })?;
        for slot in 0..m.def().max_entries {
            pa.open(slot)?;
        }
        Ok(())
    }

    /// Hands every record waiting in the PERF_EVENT_ARRAY `fd` to
    /// `f(slot, record)`; returns how many, and how many were lost.
    ///
    /// # Errors
    /// [`Error::BadFd`], or [`Error::WrongObjectKind`] if `fd` is not a perf event array.
    pub fn consume_perf(&self, fd: u32, f: &mut dyn FnMut(u32, &[u8])) -> Result<(usize, u64)> {
        let m = self.objects.map(fd)?;
        let pa = m
            .as_any()
            .downcast_ref::<maps::PerfEventArray>()
            .ok_or(Error::WrongObjectKind { fd })?;
        Ok(pa.consume(f))
    }

    fn read_attr(&self, ptr: u64, size: u32) -> Result<AttrBytes> {
        if size > PAGE_SIZE {
            return Err(Error::AttrTooBig { size });
        }
        let size = size as usize;
        if size > BPF_ATTR_SIZE {
            let mut tail = [0u8; 256];
            let mut off = BPF_ATTR_SIZE;
            while off < size {
                let n = (size - off).min(tail.len());
                let addr = ptr
                    .checked_add(off as u64)
                    .ok_or(Error::BadAddress { addr: ptr, len: size })?;
                self.platform.copy_from_user(addr, &mut tail[..n])?;
                if tail[..n].iter().any(|&b| b != 0) {
                    return Err(Error::AttrTooBig { size: size as u32 });
                }
                off += n;
            }
        }
        let mut buf = [0u8; BPF_ATTR_SIZE];
        let n = size.min(BPF_ATTR_SIZE);
        self.platform.copy_from_user(ptr, &mut buf[..n])?;
        Ok(buf)
    }

    /// Checks a log buffer as Linux (6.4 on) does: a buffer and its size
    /// come together, a buffer needs a level, the level has only known
    /// bits and the size stays below 2^30. Returns the level that logs:
    /// none without a buffer.
    pub(crate) fn check_log(level: u32, buf: u64, size: u32) -> Result<u32> {
        if (buf != 0) != (size != 0) || (buf != 0 && level == 0) || level & !15 != 0 || size > u32::MAX >> 2 {
            return Err(Error::InvalidArgument);
        }
        Ok(if buf == 0 { 0 } else { level })
    }

    /// Writes `text` into a caller's log buffer (NUL-terminated, cut to
    /// fit) if it asked for a log; whether it fit.
    pub(crate) fn write_log(&self, level: u32, buf: u64, size: u32, text: &str) -> Result<bool> {
        if level == 0 || buf == 0 || size == 0 || text.is_empty() {
            return Ok(true);
        }
        let n = text.len().min(size as usize - 1);
        let mut bytes = Vec::from(&text.as_bytes()[..n]);
        bytes.push(0);
        self.platform.copy_to_user(buf, &bytes)?;
        Ok(n == text.len())
    }

    /// Writes `bytes` at `offset` of the caller's attr (output fields).
    pub(crate) fn write_attr(&self, attr: u64, offset: usize, bytes: &[u8]) -> Result<()> {
        let addr = attr.checked_add(offset as u64).ok_or(Error::BadAddress {
            addr: attr,
            len: bytes.len(),
        })?;
        self.platform.copy_to_user(addr, bytes)
    }

    /// Hands out an info struct as Linux does: the caller's buffer may be
    /// shorter (it gets a prefix) or longer (the rest must be zero, E2BIG
    /// otherwise); `info_len` is set to the bytes written.
    pub(crate) fn write_info(&self, a: &ObjInfoAttr, info: &[u8], uattr: u64) -> Result<usize> {
        let len = a.info_len as usize;
        if len > PAGE_SIZE as usize {
            return Err(Error::AttrTooBig { size: a.info_len });
        }
        if len > info.len() {
            let mut tail = buffer(len - info.len())?;
            self.platform
                .copy_from_user(a.info.wrapping_add(info.len() as u64), &mut tail)?;
            if tail.iter().any(|&b| b != 0) {
                return Err(Error::AttrTooBig { size: a.info_len });
            }
        }
        let n = len.min(info.len());
        self.platform.copy_to_user(a.info, &info[..n])?;
        self.write_attr(
            uattr,
            core::mem::offset_of!(ObjInfoAttr, info_len),
            &(n as u32).to_ne_bytes(),
        )?;
        Ok(0)
    }
}
