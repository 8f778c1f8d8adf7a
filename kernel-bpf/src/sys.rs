//! `sys_bpf`: the bpf(2) entry point, with Linux's attr handling and errnos.
//!
//! The attr is read as Linux reads it: at most a page; bytes past
//! `union bpf_attr` must be zero (`E2BIG`); a shorter attr is zero-extended;
//! bytes of the union the command does not read must be zero (`EINVAL`,
//! Linux's `CHECK_ATTR`, with each command's extent from the description).
//! User memory is copied in before any lock is taken and copied out after.

use crate::error::{Error, Result};
use crate::map::{self, Map};
use crate::object::{Object, Objects};
use crate::platform::Platform;
use abi::{
    Cmd, Errno, MapCreateAttr, MapElemAttr, MapInfo, MapType, ObjInfoAttr, BPF_ANY, BPF_ATTR_SIZE, BPF_F_LOCK,
    PAGE_SIZE,
};
use alloc::sync::Arc;
use alloc::vec::Vec;
use zerocopy::{FromBytes, IntoBytes};

/// The attr as the command sees it: `union bpf_attr`, zero-extended.
pub(crate) type AttrBytes = [u8; BPF_ATTR_SIZE];

/// A kernel's bpf subsystem: the platform it runs on and its objects.
pub struct Bpf<P: Platform> {
    pub(crate) platform: P,
    pub(crate) objects: Objects,
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
        }
    }

    /// The platform.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// The object table.
    pub fn objects(&self) -> &Objects {
        &self.objects
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

    /// Hands every committed record of the ring buffer `fd` to `f`; returns
    /// how many (the kernel-side consumer; see `map::RingBuf` for the layout).
    ///
    /// # Errors
    /// [`Error::BadFd`], or [`Error::WrongObjectKind`] if `fd` is not a ring buffer.
    pub fn consume_ringbuf(&self, fd: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize> {
        let m = self.objects.map(fd)?;
        let rb = m
            .as_any()
            .downcast_ref::<map::RingBuf>()
            .ok_or(Error::WrongObjectKind { fd })?;
        Ok(rb.consume(f))
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

    /// A key from user memory; keyless maps take only a NULL key.
    pub(crate) fn copy_key(&self, ukey: u64, size: u32) -> Result<Vec<u8>> {
        if size == 0 {
            return if ukey == 0 {
                Ok(Vec::new())
            } else {
                Err(Error::InvalidArgument)
            };
        }
        let mut key = buffer(size as usize)?;
        self.platform.copy_from_user(ukey, &mut key)?;
        Ok(key)
    }

    fn map_create(&self, buf: &AttrBytes) -> Result<usize> {
        let (attr, _) = MapCreateAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let id = self.objects.next_id();
        let m = map::create(&attr, id, self.platform.cpu_count(), self.platform.random_u32())?;
        Ok(self.objects.insert(Object::Map(m))? as usize)
    }

    fn elem_attr(buf: &AttrBytes) -> Result<MapElemAttr> {
        Ok(MapElemAttr::read_from_prefix(buf)
            .map_err(|_| Error::InvalidArgument)?
            .0)
    }

    fn map_lookup(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        if a.flags & !BPF_F_LOCK != 0 {
            return Err(Error::BadFlags { flags: a.flags });
        }
        let m = self.objects.map(a.map_fd)?;
        let d = m.def();
        if !d.sys_can_read() {
            return Err(Error::PermissionDenied);
        }
        if a.flags & BPF_F_LOCK != 0 {
            // No map here has a spin lock in its value.
            return Err(Error::BadFlags { flags: a.flags });
        }
        let key = self.copy_key(a.key, d.key_size)?;
        let mut value = buffer(d.syscall_value_size())?;
        m.lookup(&key, &mut value)?;
        self.platform.copy_to_user(a.value, &value)?;
        Ok(0)
    }

    fn map_update(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        let m = self.objects.map(a.map_fd)?;
        let d = m.def();
        if !d.sys_can_write() {
            return Err(Error::PermissionDenied);
        }
        if a.flags & BPF_F_LOCK != 0 {
            return Err(Error::BadFlags { flags: a.flags });
        }
        let key = self.copy_key(a.key, d.key_size)?;
        let mut value = buffer(d.syscall_value_size())?;
        self.platform.copy_from_user(a.value, &mut value)?;
        self.update_value(&*m, &key, &value, a.flags)?;
        Ok(0)
    }

    /// One element update on the syscall path (plain and batch).
    pub(crate) fn update_value(&self, m: &dyn Map, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        let d = m.def();
        if d.map_type == MapType::ProgArray {
            // The value is a program fd; only programs may be stored.
            if flags != BPF_ANY {
                return Err(Error::BadFlags { flags });
            }
            let idx = u32::from_ne_bytes(key[..4].try_into().map_err(|_| Error::InvalidArgument)?);
            if idx >= d.max_entries {
                return Err(Error::MapFull);
            }
            let fd = u32::from_ne_bytes(value[..4].try_into().map_err(|_| Error::InvalidArgument)?);
            let prog = self.objects.prog(fd)?;
            let pa = m
                .as_any()
                .downcast_ref::<map::ProgArray>()
                .ok_or(Error::InvalidArgument)?;
            pa.set(idx, Some(map::ProgEntry { id: prog.id, prog }))?;
            return Ok(());
        }
        m.update(key, value, flags, None)
    }

    fn map_delete(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        let m = self.objects.map(a.map_fd)?;
        if !m.def().sys_can_write() {
            return Err(Error::PermissionDenied);
        }
        let key = self.copy_key(a.key, m.def().key_size)?;
        m.delete(&key)?;
        Ok(0)
    }

    fn map_next_key(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        let m = self.objects.map(a.map_fd)?;
        let d = m.def();
        if !d.sys_can_read() {
            return Err(Error::PermissionDenied);
        }
        let key = if a.key == 0 {
            None
        } else {
            Some(self.copy_key(a.key, d.key_size)?)
        };
        let mut next = buffer(d.key_size as usize)?;
        m.next_key(key.as_deref(), &mut next)?;
        self.platform.copy_to_user(a.value, &next)?;
        Ok(0)
    }

    fn map_lookup_and_delete(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        if a.flags & !BPF_F_LOCK != 0 {
            return Err(Error::BadFlags { flags: a.flags });
        }
        let m = self.objects.map(a.map_fd)?;
        let d = m.def();
        if !d.sys_can_read() || !d.sys_can_write() {
            return Err(Error::PermissionDenied);
        }
        if a.flags != 0 {
            return Err(Error::BadFlags { flags: a.flags });
        }
        let key = self.copy_key(a.key, d.key_size)?;
        let mut value = buffer(d.syscall_value_size())?;
        if !matches!(
            d.map_type,
            MapType::Queue
                | MapType::Stack
                | MapType::Hash
                | MapType::PercpuHash
                | MapType::LruHash
                | MapType::LruPercpuHash
        ) {
            return Err(Error::NotSupported);
        }
        // Linux deletes first and may then fail to copy out, losing the
        // element; proving the destination writable first loses nothing.
        self.platform.copy_to_user(a.value, &value)?;
        m.lookup_and_delete(&key, &mut value)?;
        self.platform.copy_to_user(a.value, &value)?;
        Ok(0)
    }

    fn map_freeze(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        let m = self.objects.map(a.map_fd)?;
        // Linux checks write permission first, so freezing twice is EPERM.
        if !m.def().sys_can_write() {
            return Err(Error::PermissionDenied);
        }
        m.def().freeze()?;
        Ok(0)
    }

    fn obj_info(&self, buf: &AttrBytes, uattr: u64) -> Result<usize> {
        let (a, _) = ObjInfoAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let obj = self
            .objects
            .get(a.bpf_fd)
            .map_err(|_| Error::InfoBadFd { fd: a.bpf_fd })?;
        let m = match obj {
            Object::Map(m) => m,
            Object::Prog(p) => return self.prog_info(&a, &p, uattr),
        };
        let d = m.def();
        let info = MapInfo {
            r#type: d.map_type.raw(),
            id: d.id,
            key_size: d.key_size,
            value_size: d.value_size,
            max_entries: d.max_entries,
            // RDONLY and WRONLY are the fd's access mode, not map flags.
            map_flags: d.flags & !(abi::BPF_F_RDONLY | abi::BPF_F_WRONLY),
            name: d.name,
            ..MapInfo::default()
        };
        self.write_info(&a, info.as_bytes(), uattr)
    }
}
