//! QUEUE (FIFO) and STACK (LIFO): keyless maps of up to `max_entries`
//! values, behind one spin lock as in Linux.

use super::{access_ok, check_memory, Map, MapDef, QUEUE_FLAGS};
use crate::error::{Error, Result};
use abi::{MapCreateAttr, MapType, BPF_EXIST, BPF_NOEXIST};
use alloc::vec::Vec;
use core::any::Any;
use core::ptr::NonNull;

/// Linux's `queue_stack_map_alloc_check`.
pub(super) fn check(attr: &MapCreateAttr) -> Result<()> {
    if attr.max_entries == 0 || attr.key_size != 0 || attr.value_size == 0 {
        return Err(Error::BadMapAttr);
    }
    if attr.map_flags & !QUEUE_FLAGS != 0 || !access_ok(attr.map_flags) {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.value_size > abi::KMALLOC_MAX_SIZE {
        return Err(Error::SizeTooLarge);
    }
    Ok(())
}

/// A ring of `max_entries + 1` slots: `head` is where the next push goes,
/// `tail` the oldest value; equal means empty.
struct Ring {
    data: Vec<u8>,
    head: usize,
    tail: usize,
}

/// QUEUE or STACK.
pub(crate) struct QueueMap {
    def: MapDef,
    stack: bool,
    slots: usize,
    ring: spin::Mutex<Ring>,
}

impl QueueMap {
    pub(super) fn new(def: MapDef) -> Result<QueueMap> {
        let slots = def.max_entries as usize + 1;
        let bytes = check_memory(slots as u128 * u128::from(def.value_size))?;
        let mut data = Vec::new();
        data.try_reserve_exact(bytes).map_err(|_| Error::NoMemory)?;
        data.resize(bytes, 0);
        let stack = def.map_type == MapType::Stack;
        Ok(QueueMap {
            def,
            stack,
            slots,
            ring: spin::Mutex::new(Ring { data, head: 0, tail: 0 }),
        })
    }

    fn size(&self) -> usize {
        self.def.value_size as usize
    }

    /// Copies the next value out (the oldest for a queue, the newest for a
    /// stack), removing it if `delete`.
    fn take(&self, out: &mut [u8], delete: bool) -> Result<()> {
        let n = self.size();
        let mut r = self.ring.lock();
        if r.head == r.tail {
            return Err(Error::NotFound);
        }
        let at = if self.stack {
            (r.head + self.slots - 1) % self.slots
        } else {
            r.tail
        };
        out[..n].copy_from_slice(&r.data[at * n..(at + 1) * n]);
        if delete {
            if self.stack {
                r.head = at;
            } else {
                r.tail = (r.tail + 1) % self.slots;
            }
        }
        Ok(())
    }
}

impl Map for QueueMap {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, _key: &[u8], out: &mut [u8]) -> Result<()> {
        self.take(out, false)
    }

    /// Push; BPF_EXIST on a full map overwrites the oldest value.
    fn update(&self, _key: &[u8], value: &[u8], flags: u64, _cpu: Option<u32>) -> Result<()> {
        if flags & BPF_NOEXIST != 0 || flags > BPF_EXIST {
            return Err(Error::BadFlags { flags });
        }
        let n = self.size();
        let mut r = self.ring.lock();
        if (r.head + 1) % self.slots == r.tail {
            if flags != BPF_EXIST {
                return Err(Error::MapFull);
            }
            r.tail = (r.tail + 1) % self.slots;
        }
        let at = r.head;
        r.data[at * n..(at + 1) * n].copy_from_slice(&value[..n]);
        r.head = (at + 1) % self.slots;
        Ok(())
    }

    fn delete(&self, _key: &[u8]) -> Result<()> {
        Err(Error::InvalidArgument)
    }

    fn next_key(&self, _key: Option<&[u8]>, _out: &mut [u8]) -> Result<()> {
        Err(Error::InvalidArgument)
    }

    fn lookup_and_delete(&self, _key: &[u8], out: &mut [u8]) -> Result<()> {
        self.take(out, true)
    }

    fn lookup_ptr(&self, _key: &[u8], _cpu: u32) -> Option<NonNull<u8>> {
        None
    }

    fn memory_bytes(&self) -> usize {
        self.ring.lock().data.len()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
