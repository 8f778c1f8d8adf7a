//! The map commands: create, the element commands, freeze, and info.

use super::{buffer, AttrBytes, Bpf};
use crate::error::{Error, Result};
use crate::map::{self, Map};
use crate::object::Object;
use crate::platform::Platform;
use abi::{MapCreateAttr, MapElemAttr, MapInfo, MapType, ObjInfoAttr, BPF_ANY, BPF_F_LOCK};
use alloc::vec::Vec;
use zerocopy::{FromBytes, IntoBytes};

impl<P: Platform> Bpf<P> {
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

    pub(super) fn map_create(&self, buf: &AttrBytes) -> Result<usize> {
        let (attr, _) = MapCreateAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let id = self.objects.next_id();
        let inner = MapType::try_from(attr.map_type)
            .is_ok_and(map::is_map_in_map)
            .then(|| self.objects.map(attr.inner_map_fd));
        let m = map::create_with(
            &attr,
            id,
            self.platform.cpu_count(),
            self.platform.random_u32(),
            inner.as_ref().map(|r| r.as_ref().map(|m| &**m).map_err(|e| *e)),
        )?;
        Ok(self.objects.insert(Object::Map(m))? as usize)
    }

    fn elem_attr(buf: &AttrBytes) -> Result<MapElemAttr> {
        Ok(MapElemAttr::read_from_prefix(buf)
            .map_err(|_| Error::InvalidArgument)?
            .0)
    }

    pub(super) fn map_lookup(&self, buf: &AttrBytes) -> Result<usize> {
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

    pub(super) fn map_update(&self, buf: &AttrBytes) -> Result<usize> {
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
        if let Some(outer) = map::is_map_in_map(d.map_type)
            .then(|| m.as_any().downcast_ref::<map::MapInMap>())
            .flatten()
        {
            // The value is a map fd.
            let fd = u32::from_ne_bytes(value[..4].try_into().map_err(|_| Error::InvalidArgument)?);
            return outer.set(key, self.objects.map(fd)?, flags);
        }
        m.update(key, value, flags, None)
    }

    pub(super) fn map_delete(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        let m = self.objects.map(a.map_fd)?;
        if !m.def().sys_can_write() {
            return Err(Error::PermissionDenied);
        }
        let key = self.copy_key(a.key, m.def().key_size)?;
        m.delete(&key)?;
        Ok(0)
    }

    pub(super) fn map_next_key(&self, buf: &AttrBytes) -> Result<usize> {
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

    pub(super) fn map_lookup_and_delete(&self, buf: &AttrBytes) -> Result<usize> {
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

    pub(super) fn map_freeze(&self, buf: &AttrBytes) -> Result<usize> {
        let a = Self::elem_attr(buf)?;
        let m = self.objects.map(a.map_fd)?;
        // Linux checks write permission first, so freezing twice is EPERM.
        if !m.def().sys_can_write() {
            return Err(Error::PermissionDenied);
        }
        m.def().freeze()?;
        Ok(0)
    }

    pub(super) fn obj_info(&self, buf: &AttrBytes, uattr: u64) -> Result<usize> {
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
