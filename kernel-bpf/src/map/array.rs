//! ARRAY and PERCPU_ARRAY: `max_entries` values indexed by a u32 key, all
//! present from creation, none deletable.

use super::slab::{words, ValueLayout, Words};
use super::{access_ok, check_memory, ArrayValues, Map, MapDef, ARRAY_FLAGS};
use crate::error::{Error, Result};
use abi::{MapCreateAttr, MapType, BPF_EXIST, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_PRESERVE_ELEMS, BPF_NOEXIST};
use core::any::Any;
use core::ptr::NonNull;

/// Linux's `array_map_alloc_check`, plus the per-CPU value limit.
pub(super) fn check(attr: &MapCreateAttr) -> Result<()> {
    let percpu = attr.map_type == MapType::PercpuArray.raw();
    if attr.max_entries == 0 || attr.key_size != 4 || attr.value_size == 0 {
        return Err(Error::BadMapAttr);
    }
    if attr.map_flags & !ARRAY_FLAGS != 0 || !access_ok(attr.map_flags) {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if percpu && attr.map_flags & abi::BPF_F_NUMA_NODE != 0 {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.map_type != MapType::Array.raw() && attr.map_flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP) != 0 {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.map_flags & BPF_F_PRESERVE_ELEMS != 0 && attr.map_type != MapType::PerfEventArray.raw() {
        // Only perf event arrays take it.
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.value_size > i32::MAX as u32 {
        return Err(Error::SizeTooLarge);
    }
    if percpu && words(attr.value_size as usize) * 8 > abi::PCPU_MIN_UNIT_SIZE as usize {
        return Err(Error::SizeTooLarge);
    }
    Ok(())
}

/// The index a 4-byte key names; a key of another length names none
/// (`u32::MAX`, past every array), so a caller's mistake is "not found",
/// never a panic.
pub(super) fn index(key: &[u8]) -> u32 {
    match key {
        [a, b, c, d] => u32::from_ne_bytes([*a, *b, *c, *d]),
        _ => u32::MAX,
    }
}

/// Linux's array `get_next_key`: a missing or out-of-range key starts over.
pub(super) fn next_index(key: Option<&[u8]>, max_entries: u32, out: &mut [u8]) -> Result<()> {
    let next = match key.map(index) {
        None => 0,
        Some(i) if i >= max_entries => 0,
        Some(i) if i == max_entries - 1 => return Err(Error::NotFound),
        Some(i) => i + 1,
    };
    out.copy_from_slice(&next.to_ne_bytes());
    Ok(())
}

/// ARRAY or PERCPU_ARRAY.
pub(crate) struct ArrayMap {
    def: MapDef,
    /// Words of one CPU's value.
    value_words: usize,
    /// Words of one element (all CPUs' values).
    stride: usize,
    values: Words,
}

impl ArrayMap {
    pub(super) fn new(def: MapDef) -> Result<ArrayMap> {
        let value_words = words(def.value_size as usize);
        let copies = if def.is_percpu() { def.cpus as usize } else { 1 };
        let stride = value_words * copies;
        check_memory(stride as u128 * 8 * u128::from(def.max_entries))?;
        let values = Words::new(stride * def.max_entries as usize)?;
        Ok(ArrayMap {
            def,
            value_words,
            stride,
            values,
        })
    }

    fn slot(&self, key: &[u8]) -> Option<usize> {
        let i = index(key);
        (i < self.def.max_entries).then(|| i as usize * self.stride)
    }
}

impl Map for ArrayMap {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        let at = self.slot(key).ok_or(Error::NotFound)?;
        self.values.read(at, out);
        Ok(())
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, cpu: Option<u32>) -> Result<()> {
        if flags > BPF_EXIST {
            return Err(Error::BadFlags { flags });
        }
        let at = self.slot(key).ok_or(Error::MapFull)?;
        if flags == BPF_NOEXIST {
            return Err(Error::Exists);
        }
        match cpu {
            Some(c) if self.def.is_percpu() => {
                self.values
                    .write(at + (c % self.def.cpus) as usize * self.value_words, value);
            }
            _ => self.values.write(at, value),
        }
        Ok(())
    }

    fn delete(&self, _key: &[u8]) -> Result<()> {
        Err(Error::InvalidArgument)
    }

    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        next_index(key, self.def.max_entries, out)
    }

    fn lookup_ptr(&self, key: &[u8], cpu: u32) -> Option<NonNull<u8>> {
        let at = self.slot(key)?;
        let at = if self.def.is_percpu() {
            at + (cpu % self.def.cpus) as usize * self.value_words
        } else {
            at
        };
        NonNull::new(self.values.ptr(at))
    }

    fn holds_value(&self, addr: u64, len: u64) -> bool {
        let at = ValueLayout {
            slot: self.stride,
            first: 0,
            copies: self.stride / self.value_words.max(1),
            value_words: self.value_words,
            value_size: self.def.value_size as usize,
        };
        self.values.holds_value(addr, len, at)
    }

    fn array_values(&self) -> Option<ArrayValues> {
        (!self.def.is_percpu()).then(|| ArrayValues {
            base: self.values.ptr(0) as u64,
            max_entries: self.def.max_entries,
            stride: self.stride as u64 * 8,
        })
    }

    fn memory_bytes(&self) -> usize {
        self.values.bytes()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
