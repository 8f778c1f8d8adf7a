//! The BPF_MAP_*_BATCH commands, as Linux does them.
//!
//! Arrays use Linux's generic batch: the position (`in_batch`,
//! `out_batch`) is a key, and a lookup returns the elements after it. Hash
//! maps use Linux's bucket batch: the position is a u32 bucket number, and
//! a bucket is never split (`ENOSPC` if the first bucket does not fit).
//! Lookups end with `ENOENT` once the map is exhausted. Updates and deletes
//! go element by element and stop at the first error; `count` then says
//! how many were done. One difference: Linux deletes a bucket before
//! copying it out and loses it if the copy faults; here the copy comes first.

use crate::error::{Error, Result};
use crate::map::{Map, MapDef};
use crate::platform::Platform;
use crate::syscall::{buffer, AttrBytes, Bpf};
use abi::{MapBatchAttr, MapType, BPF_F_LOCK};
use alloc::vec::Vec;
use zerocopy::FromBytes;

/// How many times a generic lookup retries a key that vanished between
/// next-key and lookup (Linux MAP_LOOKUP_RETRIES).
const LOOKUP_RETRIES: u32 = 3;

fn count_offset() -> usize {
    core::mem::offset_of!(MapBatchAttr, count)
}

fn is_hash(d: &MapDef) -> bool {
    matches!(
        d.map_type,
        MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash
    )
}

fn is_array(d: &MapDef) -> bool {
    matches!(d.map_type, MapType::Array | MapType::PercpuArray)
}

impl<P: Platform> Bpf<P> {
    fn batch_attr(
        &self,
        buf: &AttrBytes,
        read: bool,
        write: bool,
    ) -> Result<(MapBatchAttr, alloc::sync::Arc<dyn Map>)> {
        let (a, _) = MapBatchAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let m = self.objects.map(a.map_fd)?;
        let d = m.def();
        if (read && !d.sys_can_read()) || (write && !d.sys_can_write()) {
            return Err(Error::PermissionDenied);
        }
        Ok((a, m))
    }

    fn elem_flags_ok(a: &MapBatchAttr) -> Result<()> {
        // BPF_F_LOCK needs a spin lock in the value, which no map here has.
        if a.elem_flags & !BPF_F_LOCK != 0 || a.elem_flags & BPF_F_LOCK != 0 {
            return Err(Error::BadFlags { flags: a.elem_flags });
        }
        Ok(())
    }

    fn put_count(&self, uattr: u64, n: u32) -> Result<()> {
        self.write_attr(uattr, count_offset(), &n.to_ne_bytes())
    }

    /// LOOKUP_BATCH (`read`), LOOKUP_AND_DELETE_BATCH (`read` and `delete`)
    /// and DELETE_BATCH (`delete`).
    pub(crate) fn batch(&self, buf: &AttrBytes, uattr: u64, read: bool, delete: bool) -> Result<usize> {
        let (a, m) = self.batch_attr(buf, read, delete)?;
        let d = m.def();
        let supported = match (read, delete) {
            (true, false) => is_hash(d) || is_array(d),
            (true, true) | (false, true) => is_hash(d),
            (false, false) => false,
        };
        if !supported {
            return Err(Error::NotSupported);
        }
        if !read {
            return self.delete_batch(&a, &*m, uattr);
        }
        if is_hash(d) {
            self.hash_lookup_batch(&a, &*m, uattr, delete)
        } else {
            self.generic_lookup_batch(&a, &*m, uattr)
        }
    }

    fn generic_lookup_batch(&self, a: &MapBatchAttr, m: &dyn Map, uattr: u64) -> Result<usize> {
        Self::elem_flags_ok(a)?;
        let d = m.def();
        let (ks, vs) = (d.key_size as usize, d.syscall_value_size());
        if a.count == 0 {
            return Ok(0);
        }
        self.put_count(uattr, 0)?;
        let mut prev = if a.in_batch != 0 {
            Some(self.copy_key(a.in_batch, d.key_size)?)
        } else {
            None
        };
        let mut key = buffer(ks)?;
        let mut value = buffer(vs)?;
        let mut cp = 0u32;
        let mut retry = LOOKUP_RETRIES;
        let mut end = Ok(());
        while cp < a.count {
            if let Err(e) = m.next_key(prev.as_deref(), &mut key) {
                end = Err(e);
                break;
            }
            match m.lookup(&key, &mut value) {
                Err(Error::NotFound) if retry > 0 => {
                    retry -= 1;
                    continue;
                }
                Err(Error::NotFound) => {
                    end = Err(Error::Interrupted);
                    break;
                }
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            let at = cp as u64;
            self.platform.copy_to_user(a.keys.wrapping_add(at * ks as u64), &key)?;
            self.platform
                .copy_to_user(a.values.wrapping_add(at * vs as u64), &value)?;
            prev = Some(key.clone());
            retry = LOOKUP_RETRIES;
            cp += 1;
        }
        self.put_count(uattr, cp)?;
        if cp > 0 {
            if let Some(p) = &prev {
                self.platform.copy_to_user(a.out_batch, p)?;
            }
        }
        end.map(|()| 0)
    }

    fn hash_lookup_batch(&self, a: &MapBatchAttr, m: &dyn Map, uattr: u64, delete: bool) -> Result<usize> {
        Self::elem_flags_ok(a)?;
        if a.flags != 0 {
            return Err(Error::BadFlags { flags: a.flags });
        }
        let h = m
            .as_any()
            .downcast_ref::<crate::map::HashMap>()
            .ok_or(Error::NotSupported)?;
        let d = m.def();
        let (ks, vs) = (d.key_size as u64, d.syscall_value_size() as u64);
        if a.count == 0 {
            return Ok(0);
        }
        self.put_count(uattr, 0)?;
        let mut batch = [0u8; 4];
        if a.in_batch != 0 {
            self.platform.copy_from_user(a.in_batch, &mut batch)?;
        }
        let mut bucket = u32::from_ne_bytes(batch);
        if bucket >= h.buckets() {
            return Err(Error::NotFound);
        }
        let mut total = 0u32;
        let mut end = Ok(());
        loop {
            let entries = h.bucket_entries(bucket, false);
            let n = entries.len() as u32;
            if n > a.count - total {
                if total == 0 {
                    end = Err(Error::NoSpace);
                }
                break;
            }
            for (i, (k, v)) in entries.iter().enumerate() {
                let at = u64::from(total) + i as u64;
                self.platform.copy_to_user(a.keys.wrapping_add(at * ks), k)?;
                self.platform.copy_to_user(a.values.wrapping_add(at * vs), v)?;
            }
            if delete {
                for (k, _) in &entries {
                    // Gone already if another CPU deleted it meanwhile.
                    let _ = m.delete(k);
                }
            }
            total += n;
            bucket += 1;
            if bucket >= h.buckets() {
                end = Err(Error::NotFound);
                break;
            }
        }
        self.platform.copy_to_user(a.out_batch, &bucket.to_ne_bytes())?;
        self.put_count(uattr, total)?;
        end.map(|()| 0)
    }

    fn delete_batch(&self, a: &MapBatchAttr, m: &dyn Map, uattr: u64) -> Result<usize> {
        if a.elem_flags & !BPF_F_LOCK != 0 {
            return Err(Error::BadFlags { flags: a.elem_flags });
        }
        let d = m.def();
        if a.count == 0 {
            return Ok(0);
        }
        self.put_count(uattr, 0)?;
        let mut key = buffer(d.key_size as usize)?;
        let mut cp = 0u32;
        let mut end = Ok(());
        while cp < a.count {
            let at = u64::from(cp) * u64::from(d.key_size);
            if let Err(e) = self.platform.copy_from_user(a.keys.wrapping_add(at), &mut key) {
                end = Err(e);
                break;
            }
            if let Err(e) = m.delete(&key) {
                end = Err(e);
                break;
            }
            cp += 1;
        }
        self.put_count(uattr, cp)?;
        end.map(|()| 0)
    }

    /// UPDATE_BATCH: Linux's generic batch update, for hashes and arrays.
    pub(crate) fn update_batch(&self, buf: &AttrBytes, uattr: u64) -> Result<usize> {
        let (a, m) = self.batch_attr(buf, false, true)?;
        let d = m.def();
        if !(is_hash(d) || is_array(d)) {
            return Err(Error::NotSupported);
        }
        Self::elem_flags_ok(&a)?;
        if a.count == 0 {
            return Ok(0);
        }
        self.put_count(uattr, 0)?;
        let (ks, vs) = (d.key_size as usize, d.syscall_value_size());
        let mut key: Vec<u8> = buffer(ks)?;
        let mut value: Vec<u8> = buffer(vs)?;
        let mut cp = 0u32;
        let mut end = Ok(());
        while cp < a.count {
            let i = u64::from(cp);
            let read = self
                .platform
                .copy_from_user(a.keys.wrapping_add(i * ks as u64), &mut key)
                .and_then(|()| {
                    self.platform
                        .copy_from_user(a.values.wrapping_add(i * vs as u64), &mut value)
                });
            if let Err(e) = read.and_then(|()| self.update_value(&*m, &key, &value, a.elem_flags)) {
                end = Err(e);
                break;
            }
            cp += 1;
        }
        self.put_count(uattr, cp)?;
        end.map(|()| 0)
    }
}
