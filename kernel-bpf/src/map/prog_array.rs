//! PROG_ARRAY: program references indexed by a u32 key, for tail calls.
//! The syscall side stores a program fd and reads back the program's id.
//! Entries are filled through [`ProgArray::set`] by whoever resolves fds to
//! programs (the object table), since a map alone cannot.

use super::array::{self, index, next_index};
use super::{Map, MapDef};
use crate::error::{Error, Result};
use abi::{MapCreateAttr, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::ptr::NonNull;

/// Linux's `fd_array_map_alloc_check`.
pub(super) fn check(attr: &MapCreateAttr) -> Result<()> {
    if attr.value_size != 4 || attr.map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0 {
        return Err(Error::BadMapAttr);
    }
    array::check(attr)
}

/// A program held by a PROG_ARRAY slot: its id and the object itself.
#[derive(Clone)]
pub struct ProgEntry {
    /// The program's id, which syscall lookups return.
    pub id: u32,
    /// The program.
    pub prog: Arc<crate::prog::Program>,
}

/// PROG_ARRAY.
pub struct ProgArray {
    def: MapDef,
    slots: spin::RwLock<Vec<Option<ProgEntry>>>,
}

impl ProgArray {
    pub(super) fn new(def: MapDef) -> Result<ProgArray> {
        super::check_memory(u128::from(def.max_entries) * 24)?;
        let mut v = Vec::new();
        v.try_reserve_exact(def.max_entries as usize)
            .map_err(|_| Error::NoMemory)?;
        v.resize(def.max_entries as usize, None);
        Ok(ProgArray {
            def,
            slots: spin::RwLock::new(v),
        })
    }

    /// Puts a program in slot `idx` (or empties it); returns what was there.
    ///
    /// # Errors
    /// [`Error::MapFull`] (E2BIG) for an index past the end, as Linux;
    /// [`Error::BadFd`] when storing into a map whose last user reference
    /// has gone (only a racing close can get there), since nothing would
    /// ever clear it again.
    pub fn set(&self, idx: u32, entry: Option<ProgEntry>) -> Result<Option<ProgEntry>> {
        let mut slots = self.slots.write();
        // Checked under the lock that `release_users` takes to clear, so a
        // store either sees the release or is cleared by it.
        if entry.is_some() && !self.def.has_users() {
            return Err(Error::BadFd { fd: 0 });
        }
        let slot = slots.get_mut(idx as usize).ok_or(Error::MapFull)?;
        Ok(core::mem::replace(slot, entry))
    }

    /// The program in slot `idx`, for tail calls.
    pub fn get(&self, idx: u32) -> Option<ProgEntry> {
        self.slots.read().get(idx as usize).cloned().flatten()
    }
}

impl Map for ProgArray {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        let e = self.get(index(key)).ok_or(Error::NotFound)?;
        out.copy_from_slice(&e.id.to_ne_bytes());
        Ok(())
    }

    /// Storing needs an fd resolved to a program: see [`ProgArray::set`].
    fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _cpu: Option<u32>) -> Result<()> {
        Err(Error::InvalidArgument)
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        let i = index(key);
        if i >= self.def.max_entries {
            // Linux's fd_array_map_delete_elem.
            return Err(Error::MapFull);
        }
        match self.set(i, None)? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound),
        }
    }

    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        next_index(key, self.def.max_entries, out)
    }

    fn lookup_ptr(&self, _key: &[u8], _cpu: u32) -> Option<NonNull<u8>> {
        None
    }

    fn memory_bytes(&self) -> usize {
        self.def.max_entries as usize * core::mem::size_of::<Option<ProgEntry>>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    /// Empties every slot: the programs stored here may hold this map
    /// (a program that tail-calls itself), and with no user left nobody
    /// could ever empty them.
    fn release_users(&self) {
        let old: Vec<Option<ProgEntry>> = {
            let mut slots = self.slots.write();
            slots.iter_mut().map(Option::take).collect()
        };
        // Dropped outside the lock: a program freed here may free maps,
        // and with them (through another prog array) take this lock again.
        drop(old);
    }
}
