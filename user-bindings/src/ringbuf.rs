//! The consumer side of a Linux (and rCore) ring buffer map, as libbpf
//! reads it once the backend has mapped it: the consumer page (writable)
//! holds the consumer position; the producer page holds the producer
//! position and is followed by the data, mapped twice in a row so that a
//! record that wraps around reads as one slice. `no_std`.

#![allow(unsafe_code)]

use crate::Errno;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// A record header: the length, and these flags (from the description).
const BUSY: u32 = abi::BPF_RINGBUF_BUSY_BIT;
const DISCARD: u32 = abi::BPF_RINGBUF_DISCARD_BIT;
const HDR: usize = abi::BPF_RINGBUF_HDR_SZ as usize;

/// EINVAL unless `size` is a power of 2 of at least a page (what the
/// kernel created).
pub(crate) fn check(size: usize, page: usize) -> Result<(), Errno> {
    if size.is_power_of_two() && size >= page {
        Ok(())
    } else {
        Err(abi::Errno::EINVAL.raw())
    }
}

/// Hands each committed record to `f`, skips discarded ones, and moves the
/// consumer position past them; stops at the producer position or at a
/// record still being written. Returns how many `f` saw.
///
/// # Safety
/// `consumer` is the mapped consumer page (writable), `producer` the
/// mapped producer page followed by the `size` data bytes twice, of a ring
/// buffer of `size` bytes with pages of `page` bytes; both stay mapped
/// until this returns.
pub(crate) unsafe fn consume(
    consumer: *mut u8,
    producer: *const u8,
    page: usize,
    size: usize,
    f: &mut dyn FnMut(&[u8]),
) -> Result<usize, Errno> {
    // SAFETY: both positions are 8-byte words at the start of their pages,
    // shared with the kernel, so they are only touched atomically.
    let (cons_pos, prod_pos) = unsafe { (&*(consumer as *const AtomicU64), &*(producer as *const AtomicU64)) };
    // SAFETY: the data starts one page into the producer mapping.
    let data = unsafe { producer.add(page) };
    let mask = size as u64 - 1;
    let mut n = 0;
    let mut cons = cons_pos.load(Ordering::Acquire);
    while cons < prod_pos.load(Ordering::Acquire) {
        let at = (cons & mask) as usize;
        // SAFETY: `at` is inside the data; headers are 8-byte aligned
        // words the kernel writes atomically.
        let hdr = unsafe { &*(data.add(at) as *const AtomicU32) }.load(Ordering::Acquire);
        if hdr & BUSY != 0 {
            break;
        }
        let len = (hdr & !(BUSY | DISCARD)) as usize;
        if len > size - HDR {
            return Err(abi::Errno::EINVAL.raw());
        }
        if hdr & DISCARD == 0 {
            // SAFETY: the record (`len` bytes after its header) lies in the
            // doubled data, which the kernel does not reuse until the
            // consumer position passes it.
            f(unsafe { core::slice::from_raw_parts(data.add(at + HDR), len) });
            n += 1;
        }
        cons += (len + HDR).next_multiple_of(8) as u64;
        cons_pos.store(cons, Ordering::Release);
    }
    Ok(n)
}
