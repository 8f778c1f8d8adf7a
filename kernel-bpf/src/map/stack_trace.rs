//! STACK_TRACE: stacks of instruction addresses stored by
//! `bpf_get_stackid`, keyed by a stack id (a hash of the stack, as Linux's
//! bucket index); the syscall side reads a stack by id and deletes it.

use super::{check_memory, Map, MapDef};
use crate::error::{Error, Result};
use abi::{
    MapCreateAttr, BPF_F_FAST_STACK_CMP, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_REUSE_STACKID, BPF_F_SKIP_FIELD_MASK,
    BPF_F_USER_STACK, BPF_F_WRONLY, BPF_MAX_STACK_DEPTH,
};
use alloc::vec::Vec;
use core::any::Any;
use core::ptr::NonNull;

/// Creation flags Linux accepts (BPF_F_STACK_BUILD_ID aside: no build ids here).
const FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/// Linux's `stack_map_alloc` checks.
pub(super) fn check(attr: &MapCreateAttr) -> Result<()> {
    if attr.map_flags & !FLAGS != 0 {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.max_entries == 0
        || attr.key_size != 4
        || attr.value_size < 8
        || attr.value_size % 8 != 0
        || attr.value_size / 8 > BPF_MAX_STACK_DEPTH
    {
        return Err(Error::BadMapAttr);
    }
    if attr.max_entries > 1 << 31 {
        return Err(Error::SizeTooLarge);
    }
    Ok(())
}

/// STACK_TRACE.
pub struct StackTrace {
    def: MapDef,
    /// One stack per bucket; the bucket index is the stack id.
    buckets: spin::RwLock<Vec<Option<Vec<u64>>>>,
}

/// FNV-1a over the frames: the stack's bucket.
fn hash(frames: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in frames {
        for b in f.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl StackTrace {
    pub(super) fn new(def: MapDef) -> Result<StackTrace> {
        let n = def.max_entries.next_power_of_two() as usize;
        check_memory(n as u128 * u128::from(def.value_size))?;
        let mut v = Vec::new();
        v.try_reserve_exact(n).map_err(|_| Error::NoMemory)?;
        v.resize(n, None);
        Ok(StackTrace {
            def,
            buckets: spin::RwLock::new(v),
        })
    }

    /// `bpf_get_stackid`: stores `frames` (innermost first, `skip` and
    /// depth applied by the caller's flags) and returns its id.
    ///
    /// # Errors
    /// [`Error::BadFlags`] for unknown flags, [`Error::BadAddress`]
    /// (-EFAULT) for an empty stack, [`Error::Exists`] when another stack
    /// holds the bucket and BPF_F_REUSE_STACKID is not set.
    pub fn store(&self, frames: &[u64], flags: u64) -> Result<u32> {
        let known = BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID;
        if flags & !known != 0 {
            return Err(Error::BadFlags { flags });
        }
        let skip = (flags & BPF_F_SKIP_FIELD_MASK) as usize;
        let depth = self.def.value_size as usize / 8;
        let frames: Vec<u64> = frames.iter().skip(skip).take(depth).copied().collect();
        if frames.is_empty() {
            return Err(Error::BadAddress { addr: 0, len: 0 });
        }
        let mut b = self.buckets.write();
        let id = (hash(&frames) as usize) & (b.len() - 1);
        match &b[id] {
            Some(old) if *old == frames => {}
            Some(_) if flags & BPF_F_REUSE_STACKID == 0 => return Err(Error::Exists),
            _ => b[id] = Some(frames),
        }
        Ok(id as u32)
    }

    fn id(key: &[u8]) -> usize {
        super::array::index(key) as usize
    }
}

impl Map for StackTrace {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        let b = self.buckets.read();
        let frames = b.get(Self::id(key)).and_then(Option::as_ref).ok_or(Error::NotFound)?;
        out.fill(0);
        for (slot, f) in out.chunks_exact_mut(8).zip(frames) {
            slot.copy_from_slice(&f.to_ne_bytes());
        }
        Ok(())
    }

    fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _cpu: Option<u32>) -> Result<()> {
        Err(Error::InvalidArgument)
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        let mut b = self.buckets.write();
        let slot = b.get_mut(Self::id(key)).ok_or(Error::NotFound)?;
        slot.take().map(|_| ()).ok_or(Error::NotFound)
    }

    /// Linux's `stack_map_get_next_key`: the next used bucket after `key`
    /// (from the start for none or an out-of-range key).
    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        let b = self.buckets.read();
        let start = match key.map(Self::id) {
            Some(i) if i < b.len() => i + 1,
            _ => 0,
        };
        let next = (start..b.len()).find(|&i| b[i].is_some()).ok_or(Error::NotFound)?;
        out.copy_from_slice(&(next as u32).to_ne_bytes());
        Ok(())
    }

    fn lookup_ptr(&self, _key: &[u8], _cpu: u32) -> Option<NonNull<u8>> {
        None
    }

    fn memory_bytes(&self) -> usize {
        self.buckets.read().len() * self.def.value_size as usize
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
