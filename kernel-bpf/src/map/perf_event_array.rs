//! PERF_EVENT_ARRAY: one event buffer per slot (Linux indexes them by CPU),
//! which `bpf_perf_event_output` appends records to and a consumer drains.
//!
//! Linux fills a slot with a perf event fd (perf_event_open) and user space
//! reads the event's mmap'ed ring. This kernel has no perf events: a kernel
//! consumer opens a slot ([`PerfEventArray::open`], what libbpf's
//! perf_buffer does per CPU) and drains it ([`PerfEventArray::consume`]).
//! Output to a slot nobody opened is `-ENOENT`, as in Linux; a full buffer
//! drops the record and counts it lost (`-ENOSPC`), as a full perf ring does.
//! Syscall lookups and updates are not supported (no perf event fds);
//! deleting a slot closes it.

use super::array::{index, next_index};
use super::{Map, MapDef};
use crate::error::{Error, Result};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::any::Any;
use core::ptr::NonNull;

/// Bytes of records one slot keeps before dropping new ones.
pub const SLOT_BYTES: usize = 256 * 1024;

#[derive(Default)]
struct Slot {
    records: VecDeque<Vec<u8>>,
    bytes: usize,
    lost: u64,
}

/// PERF_EVENT_ARRAY.
pub struct PerfEventArray {
    def: MapDef,
    slots: Vec<spin::Mutex<Option<Slot>>>,
}

impl PerfEventArray {
    pub(super) fn new(def: MapDef) -> Result<PerfEventArray> {
        super::check_memory(u128::from(def.max_entries) * 64)?;
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(def.max_entries as usize)
            .map_err(|_| Error::NoMemory)?;
        slots.resize_with(def.max_entries as usize, || spin::Mutex::new(None));
        Ok(PerfEventArray { def, slots })
    }

    /// Opens slot `idx` for output (idempotent).
    ///
    /// # Errors
    /// [`Error::MapFull`] (E2BIG) past the end.
    pub fn open(&self, idx: u32) -> Result<()> {
        let mut s = self.slots.get(idx as usize).ok_or(Error::MapFull)?.lock();
        s.get_or_insert_with(Slot::default);
        Ok(())
    }

    /// Whether slot `idx` is open; `None` past the end.
    pub fn is_open(&self, idx: u32) -> Option<bool> {
        Some(self.slots.get(idx as usize)?.lock().is_some())
    }

    /// Appends a record to slot `idx` (the helper's side).
    ///
    /// # Errors
    /// [`Error::MapFull`] past the end, [`Error::NotFound`] for a slot not
    /// open, [`Error::NoSpace`] when its buffer is full (the record is lost).
    pub fn output(&self, idx: u32, data: &[u8]) -> Result<()> {
        let mut guard = self.slots.get(idx as usize).ok_or(Error::MapFull)?.lock();
        let slot = guard.as_mut().ok_or(Error::NotFound)?;
        if slot.bytes + data.len() > SLOT_BYTES {
            slot.lost += 1;
            return Err(Error::NoSpace);
        }
        let mut rec = Vec::new();
        rec.try_reserve_exact(data.len()).map_err(|_| Error::NoMemory)?;
        rec.extend_from_slice(data);
        slot.bytes += rec.len();
        slot.records.push_back(rec);
        Ok(())
    }

    /// Hands every record waiting in every open slot to `f(slot, record)`,
    /// oldest first per slot; returns how many, and how many were lost
    /// since the last call.
    pub fn consume(&self, f: &mut dyn FnMut(u32, &[u8])) -> (usize, u64) {
        let (mut n, mut lost) = (0, 0);
        for (i, s) in self.slots.iter().enumerate() {
            // Taken out under the lock, handed over outside it.
            let (records, l) = match s.lock().as_mut() {
                Some(slot) => {
                    slot.bytes = 0;
                    (core::mem::take(&mut slot.records), core::mem::take(&mut slot.lost))
                }
                None => continue,
            };
            lost += l;
            for r in records {
                f(i as u32, &r);
                n += 1;
            }
        }
        (n, lost)
    }
}

impl Map for PerfEventArray {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, _key: &[u8], _out: &mut [u8]) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn update(&self, _key: &[u8], value: &[u8], _flags: u64, _cpu: Option<u32>) -> Result<()> {
        // The value would be a perf event fd; this kernel has none (slots
        // are opened with `open`), so every number is what Linux calls a
        // bad perf event fd.
        let fd = value.first_chunk::<4>().map_or(0, |b| u32::from_ne_bytes(*b));
        Err(Error::BadFd { fd })
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        let s = self.slots.get(index(key) as usize).ok_or(Error::InvalidArgument)?;
        s.lock().take().map(|_| ()).ok_or(Error::NotFound)
    }

    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        next_index(key, self.def.max_entries, out)
    }

    fn lookup_ptr(&self, _key: &[u8], _cpu: u32) -> Option<NonNull<u8>> {
        None
    }

    fn memory_bytes(&self) -> usize {
        self.slots.len() * core::mem::size_of::<spin::Mutex<Option<Slot>>>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
