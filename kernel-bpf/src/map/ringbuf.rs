//! RINGBUF: a multi-producer, single-consumer ring of variable-size records.
//!
//! Layout, as Linux's: a consumer position and a producer position (both
//! growing byte counters), and a data area of `max_entries` bytes (a power
//! of two, a multiple of the page size). Each record starts with an 8-byte
//! header, `{ u32 len; u32 pg_off; }`, where `len` carries
//! `BPF_RINGBUF_BUSY_BIT` while the record is reserved and
//! `BPF_RINGBUF_DISCARD_BIT` if it was discarded; records are padded to 8
//! bytes. A consumer reads records from its position up to the first busy
//! one, skips discarded ones, and advances its position.
//!
//! One difference: Linux maps the data pages twice so a record may wrap
//! around the end; here the storage is plain memory, so a record that would
//! wrap is preceded by a discarded filler record up to the end of the area.
//! Consumers that skip discarded records (all of them) see no difference.
//! Where the platform can map pages, user space can map the same layout;
//! in hosted mode [`RingBuf::consume`] is the consumer.

use super::slab::Words;
use super::{Map, MapDef, RINGBUF_FLAGS};
use crate::error::{Error, Result};
use abi::{
    MapCreateAttr, BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT,
    BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, PAGE_SIZE,
};
use alloc::vec;
use core::any::Any;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

const HDR: u64 = BPF_RINGBUF_HDR_SZ as u64;
const LEN_MASK: u32 = !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

/// Linux's `ringbuf_map_alloc` checks.
pub(super) fn check(attr: &MapCreateAttr) -> Result<()> {
    if attr.map_flags & !RINGBUF_FLAGS != 0 {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.key_size != 0
        || attr.value_size != 0
        || !attr.max_entries.is_power_of_two()
        || attr.max_entries % PAGE_SIZE != 0
    {
        return Err(Error::BadMapAttr);
    }
    Ok(())
}

/// A record handed to a consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingRecord {
    /// The record's bytes.
    pub data: alloc::vec::Vec<u8>,
}

/// RINGBUF.
pub struct RingBuf {
    def: MapDef,
    size: u64,
    data: Words,
    consumer: AtomicU64,
    producer: AtomicU64,
    /// Serializes producers (reservations), as Linux's spin lock does.
    lock: spin::Mutex<()>,
}

fn round8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

impl RingBuf {
    pub(super) fn new(def: MapDef) -> Result<RingBuf> {
        let size = u64::from(def.max_entries);
        super::check_memory(u128::from(size))?;
        let data = Words::new((size / 8) as usize)?;
        Ok(RingBuf {
            def,
            size,
            data,
            consumer: AtomicU64::new(0),
            producer: AtomicU64::new(0),
            lock: spin::Mutex::new(()),
        })
    }

    fn header(&self, pos: u64) -> &AtomicU64 {
        self.data.word(((pos % self.size) / 8) as usize)
    }

    /// Reserves `len` bytes; returns the byte offset of the record's data in
    /// the data area, to fill and then [`RingBuf::commit`].
    ///
    /// # Errors
    /// [`Error::SizeTooLarge`] if the record can never fit, [`Error::NoSpace`]
    /// if the consumer has not made room.
    pub fn reserve(&self, len: u32) -> Result<u64> {
        if u64::from(len) > self.size - HDR || len & !LEN_MASK != 0 {
            return Err(Error::SizeTooLarge);
        }
        let total = round8(u64::from(len) + HDR);
        let _guard = self.lock.lock();
        let mut prod = self.producer.load(Ordering::Relaxed);
        let cons = self.consumer.load(Ordering::Acquire);
        let off = prod % self.size;
        let pad = if off + total > self.size { self.size - off } else { 0 };
        if prod + pad + total - cons > self.size {
            return Err(Error::NoSpace);
        }
        if pad > 0 {
            let filler = u64::from(((pad - HDR) as u32) | BPF_RINGBUF_DISCARD_BIT);
            self.header(prod)
                .store(filler | ((off / u64::from(PAGE_SIZE)) << 32), Ordering::Release);
            prod += pad;
        }
        let off = prod % self.size;
        let busy = u64::from(len | BPF_RINGBUF_BUSY_BIT);
        self.header(prod)
            .store(busy | ((off / u64::from(PAGE_SIZE)) << 32), Ordering::Release);
        self.producer.store(prod + total, Ordering::Release);
        Ok(off + HDR)
    }

    /// Publishes (or discards) the record whose data starts at `data_off`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if no reserved record starts there.
    pub fn commit(&self, data_off: u64, discard: bool) -> Result<()> {
        if data_off < HDR || data_off >= self.size || data_off % 8 != 0 {
            return Err(Error::InvalidArgument);
        }
        let h = self.header(data_off - HDR);
        let word = h.load(Ordering::Acquire);
        if word as u32 & BPF_RINGBUF_BUSY_BIT == 0 {
            return Err(Error::InvalidArgument);
        }
        let mut len = word as u32 & LEN_MASK;
        if discard {
            len |= BPF_RINGBUF_DISCARD_BIT;
        }
        h.store((word & !0xffff_ffff) | u64::from(len), Ordering::Release);
        Ok(())
    }

    /// Copies `data` into a new record (bpf_ringbuf_output).
    ///
    /// # Errors
    /// As [`RingBuf::reserve`].
    pub fn output(&self, data: &[u8]) -> Result<()> {
        let len = u32::try_from(data.len()).map_err(|_| Error::SizeTooLarge)?;
        let off = self.reserve(len)?;
        self.data.write((off / 8) as usize, data);
        self.commit(off, false)
    }

    /// A pointer to byte `data_off` of the data area, for programs.
    pub fn data_ptr(&self, data_off: u64) -> Option<NonNull<u8>> {
        (data_off < self.size && data_off % 8 == 0).then(|| NonNull::new(self.data.ptr((data_off / 8) as usize)))?
    }

    /// The data offset of a pointer into the data area, if it is one.
    pub fn offset_of(&self, ptr: *const u8) -> Option<u64> {
        let base = self.data.ptr(0) as usize;
        let p = ptr as usize;
        (p >= base && p < base + self.size as usize).then(|| (p - base) as u64)
    }

    /// Hands every committed record to `f`, in order, up to the first one
    /// still reserved; returns how many it handed over.
    pub fn consume(&self, f: &mut dyn FnMut(&[u8])) -> usize {
        let mut cons = self.consumer.load(Ordering::Relaxed);
        let prod = self.producer.load(Ordering::Acquire);
        let mut n = 0;
        let mut buf = vec![0u8; 0];
        while cons < prod {
            let word = self.header(cons).load(Ordering::Acquire) as u32;
            if word & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            let len = u64::from(word & LEN_MASK);
            if word & BPF_RINGBUF_DISCARD_BIT == 0 {
                buf.resize(len as usize, 0);
                self.data.read(((cons % self.size + HDR) / 8) as usize, &mut buf);
                f(&buf);
                n += 1;
            }
            cons += round8(len + HDR);
            self.consumer.store(cons, Ordering::Release);
        }
        n
    }

    /// bpf_ringbuf_query.
    pub fn query(&self, flag: u64) -> u64 {
        let cons = self.consumer.load(Ordering::Acquire);
        let prod = self.producer.load(Ordering::Acquire);
        match flag {
            BPF_RB_AVAIL_DATA => prod - cons,
            BPF_RB_RING_SIZE => self.size,
            BPF_RB_CONS_POS => cons,
            BPF_RB_PROD_POS => prod,
            _ => 0,
        }
    }
}

impl Map for RingBuf {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, _key: &[u8], _out: &mut [u8]) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _cpu: Option<u32>) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn delete(&self, _key: &[u8]) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn next_key(&self, _key: Option<&[u8]>, _out: &mut [u8]) -> Result<()> {
        Err(Error::NotSupported)
    }

    fn lookup_ptr(&self, _key: &[u8], _cpu: u32) -> Option<NonNull<u8>> {
        None
    }

    fn memory_bytes(&self) -> usize {
        self.data.bytes()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
