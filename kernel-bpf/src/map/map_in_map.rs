//! ARRAY_OF_MAPS and HASH_OF_MAPS: maps whose values are maps. The syscall
//! side stores a map fd and reads back the map's id; programs look up an
//! inner map and use it as a map argument.
//!
//! At creation, `inner_map_fd` names a template: every map stored must
//! match it (type, key and value sizes, flags, and max entries unless the
//! template has BPF_F_INNER_MAP), as Linux's `bpf_map_meta_equal`. Maps
//! that hold programs or maps cannot be inner maps, so an outer map holds
//! only plain maps and no ownership cycle can pass through it (see
//! [`crate::object`]).

use super::array::{index, next_index};
use super::{Map, MapDef};
use crate::error::{Error, Result};
use abi::{MapCreateAttr, MapType, BPF_ANY, BPF_EXIST, BPF_F_INNER_MAP, BPF_NOEXIST};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::ptr::NonNull;

/// What a stored map must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Meta {
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    map_flags: u32,
    max_entries: u32,
}

impl Meta {
    fn of(d: &MapDef) -> Meta {
        Meta {
            map_type: d.map_type,
            key_size: d.key_size,
            value_size: d.value_size,
            map_flags: d.flags,
            max_entries: d.max_entries,
        }
    }

    /// Linux's `bpf_map_meta_equal`.
    fn accepts(&self, d: &MapDef) -> bool {
        let m = Meta::of(d);
        m.map_type == self.map_type
            && m.key_size == self.key_size
            && m.value_size == self.value_size
            && m.map_flags == self.map_flags
            && (self.map_flags & BPF_F_INNER_MAP != 0 || m.max_entries == self.max_entries)
    }
}

/// Whether a map type holds maps.
pub fn is_map_in_map(t: MapType) -> bool {
    matches!(t, MapType::ArrayOfMaps | MapType::HashOfMaps)
}

/// Linux's checks of the outer map: a 4-byte value (a map fd), then the
/// array's or the hash's own.
pub(super) fn check_outer(attr: &MapCreateAttr) -> Result<()> {
    if attr.value_size != 4 {
        return Err(Error::BadMapAttr);
    }
    if attr.map_type == MapType::ArrayOfMaps.raw() {
        super::array::check(attr)
    } else {
        super::hash::check(attr)
    }
}

/// Linux's check of the template (`bpf_map_meta_alloc`): one level only,
/// and no maps that hold programs.
pub(super) fn check(inner: &dyn Map) -> Result<()> {
    let d = inner.def();
    if is_map_in_map(d.map_type) {
        return Err(Error::InvalidArgument);
    }
    if d.map_type == MapType::ProgArray {
        // Linux: no map_meta_equal for program arrays.
        return Err(Error::NotSupported);
    }
    Ok(())
}

enum Slots {
    Array(Vec<Option<Arc<dyn Map>>>),
    Hash(BTreeMap<Vec<u8>, Arc<dyn Map>>),
}

/// ARRAY_OF_MAPS or HASH_OF_MAPS.
pub struct MapInMap {
    def: MapDef,
    meta: Meta,
    slots: spin::RwLock<Slots>,
}

impl MapInMap {
    pub(super) fn new(def: MapDef, inner: &dyn Map) -> Result<MapInMap> {
        super::check_memory(u128::from(def.max_entries) * 16)?;
        let slots = if def.map_type == MapType::ArrayOfMaps {
            let mut v = Vec::new();
            v.try_reserve_exact(def.max_entries as usize)
                .map_err(|_| Error::NoMemory)?;
            v.resize(def.max_entries as usize, None);
            Slots::Array(v)
        } else {
            Slots::Hash(BTreeMap::new())
        };
        Ok(MapInMap {
            meta: Meta::of(inner.def()),
            def,
            slots: spin::RwLock::new(slots),
        })
    }

    /// The template's type, key size, value size and flags (what the
    /// verifier knows of an inner map a program looks up).
    pub fn template(&self) -> (MapType, u32, u32, u32) {
        let m = &self.meta;
        (m.map_type, m.key_size, m.value_size, m.map_flags)
    }

    /// The inner map at `key`, for programs.
    pub fn get(&self, key: &[u8]) -> Option<Arc<dyn Map>> {
        match &*self.slots.read() {
            Slots::Array(v) => v.get(index(key) as usize).cloned().flatten(),
            Slots::Hash(h) => h.get(key).cloned(),
        }
    }

    /// Stores `inner` at `key` (the syscall side, with the fd resolved).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `inner` does not match the template;
    /// the array's and hash's own errors for the key and flags.
    pub fn set(&self, key: &[u8], inner: Arc<dyn Map>, flags: u64) -> Result<()> {
        if !self.meta.accepts(inner.def()) {
            return Err(Error::InvalidArgument);
        }
        let old = match &mut *self.slots.write() {
            Slots::Array(v) => {
                // Linux's fd arrays take BPF_ANY only.
                if flags != BPF_ANY {
                    return Err(Error::BadFlags { flags });
                }
                let slot = v.get_mut(index(key) as usize).ok_or(Error::MapFull)?;
                slot.replace(inner)
            }
            Slots::Hash(h) => {
                let exists = h.contains_key(key);
                match flags {
                    BPF_NOEXIST if exists => return Err(Error::Exists),
                    BPF_EXIST if !exists => return Err(Error::NotFound),
                    BPF_ANY | BPF_NOEXIST | BPF_EXIST => {}
                    _ => return Err(Error::BadFlags { flags }),
                }
                if !exists && h.len() >= self.def.max_entries as usize {
                    return Err(Error::MapFull);
                }
                h.insert(key.to_vec(), inner)
            }
        };
        // Dropped outside the lock: it may be the map's last reference.
        drop(old);
        Ok(())
    }
}

impl Map for MapInMap {
    fn def(&self) -> &MapDef {
        &self.def
    }

    /// The stored map's id, as Linux's syscall lookup returns it.
    fn lookup(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        let m = self.get(key).ok_or(Error::NotFound)?;
        out.copy_from_slice(&m.def().id.to_ne_bytes());
        Ok(())
    }

    /// Storing needs an fd resolved to a map: see [`MapInMap::set`].
    fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _cpu: Option<u32>) -> Result<()> {
        Err(Error::InvalidArgument)
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        let old = match &mut *self.slots.write() {
            Slots::Array(v) => {
                let slot = v.get_mut(index(key) as usize).ok_or(Error::MapFull)?;
                slot.take().ok_or(Error::NotFound)?
            }
            Slots::Hash(h) => h.remove(key).ok_or(Error::NotFound)?,
        };
        drop(old);
        Ok(())
    }

    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        match &*self.slots.read() {
            Slots::Array(_) => next_index(key, self.def.max_entries, out),
            Slots::Hash(h) => {
                // Key order (a missing key starts over, as in hash maps).
                let next = match key {
                    Some(k) if h.contains_key(k) => h
                        .range::<[u8], _>((core::ops::Bound::Excluded(k), core::ops::Bound::Unbounded))
                        .next(),
                    _ => h.iter().next(),
                };
                let (k, _) = next.ok_or(Error::NotFound)?;
                out.copy_from_slice(k);
                Ok(())
            }
        }
    }

    fn lookup_ptr(&self, _key: &[u8], _cpu: u32) -> Option<NonNull<u8>> {
        None
    }

    fn memory_bytes(&self) -> usize {
        self.def.max_entries as usize * core::mem::size_of::<Option<Arc<dyn Map>>>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
