//! Perf event buffers, the reader side of a PERF_EVENT_ARRAY.
//!
//! On Linux each slot of the array holds a perf event (a software
//! `PERF_COUNT_SW_BPF_OUTPUT` event opened per CPU); `bpf_perf_event_output`
//! appends a sample record to the event's ring, which the reader maps: a
//! header page (`struct perf_event_mmap_page`, whose `data_head` the kernel
//! advances and whose `data_tail` the reader does) and a power-of-two
//! number of data pages, in which records wrap around. A sample carries
//! the output bytes padded so that they and their 4-byte length fill whole
//! 8-byte words, as libbpf hands them over. A backend answers
//! [`crate::Sys::perf_open`] with a [`PerfSource`]; the walk over a mapped
//! ring here is the Linux one. `no_std`.
//!
//! The layouts are Linux's `<linux/perf_event.h>`; the tests compare them
//! with bindgen's reading of that header.

#![allow(unsafe_code)]

use crate::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

/// `PERF_TYPE_SOFTWARE`.
pub const TYPE_SOFTWARE: u32 = 1;
/// `PERF_COUNT_SW_BPF_OUTPUT`: the event bpf_perf_event_output writes to.
pub const COUNT_SW_BPF_OUTPUT: u64 = 10;
/// `PERF_SAMPLE_RAW`: samples carry the program's bytes.
pub const SAMPLE_RAW: u64 = 1 << 10;
/// `PERF_FLAG_FD_CLOEXEC`.
pub const FLAG_FD_CLOEXEC: u32 = 8;
/// `PERF_RECORD_LOST`: records were dropped (the ring was full).
pub const RECORD_LOST: u32 = 2;
/// `PERF_RECORD_SAMPLE`.
pub const RECORD_SAMPLE: u32 = 9;
/// Offsets of `data_head`, `data_tail`, `data_offset` and `data_size` in
/// `struct perf_event_mmap_page`.
pub const DATA_HEAD: usize = 1024;
/// See [`DATA_HEAD`].
pub const DATA_TAIL: usize = 1032;
/// See [`DATA_HEAD`].
pub const DATA_OFFSET: usize = 1040;
/// See [`DATA_HEAD`].
pub const DATA_SIZE: usize = 1048;

/// The first 64 bytes of `struct perf_event_attr` (`PERF_ATTR_SIZE_VER0`),
/// all a BPF output event needs.
///
/// ```
/// use user_bindings::perf::EventAttr;
/// assert_eq!(core::mem::size_of::<EventAttr>(), 64);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventAttr {
    /// `type`: [`TYPE_SOFTWARE`].
    pub kind: u32,
    /// `size`: 64.
    pub size: u32,
    /// `config`: [`COUNT_SW_BPF_OUTPUT`].
    pub config: u64,
    /// `sample_period` (a union with `sample_freq`).
    pub sample_period: u64,
    /// `sample_type`: [`SAMPLE_RAW`].
    pub sample_type: u64,
    /// `read_format`.
    pub read_format: u64,
    /// The bit fields (`disabled`, `inherit`, ...): all clear, so the
    /// event counts from the start.
    pub flags: u64,
    /// `wakeup_events` (a union with `wakeup_watermark`).
    pub wakeup_events: u32,
    /// `bp_type`.
    pub bp_type: u32,
    /// `config1`.
    pub config1: u64,
}

impl EventAttr {
    /// The attributes of the event a PERF_EVENT_ARRAY slot holds, as
    /// libbpf's perf buffer opens it.
    ///
    /// ```
    /// let a = user_bindings::perf::EventAttr::bpf_output();
    /// assert_eq!((a.size, a.config), (64, user_bindings::perf::COUNT_SW_BPF_OUTPUT));
    /// ```
    pub fn bpf_output() -> EventAttr {
        EventAttr {
            kind: TYPE_SOFTWARE,
            size: core::mem::size_of::<EventAttr>() as u32,
            config: COUNT_SW_BPF_OUTPUT,
            sample_period: 1,
            sample_type: SAMPLE_RAW,
            wakeup_events: 1,
            ..EventAttr::default()
        }
    }
}

/// The records of a PERF_EVENT_ARRAY, as a backend delivers them
/// ([`crate::Sys::perf_open`]; [`crate::maps::PerfBuffer`] wraps one).
///
/// ```
/// use user_bindings::{hosted::Process, maps::PerfEventArray, perf::PerfSource, Sys};
/// let sys = Process::new(1);
/// let events = PerfEventArray::create(&sys, 1).unwrap();
/// let mut source: Box<dyn PerfSource + '_> = sys.perf_open(events.map().fd().raw(), 1, 1).unwrap();
/// assert_eq!(source.read(&mut |_, _| {}), Ok((0, 0)));
/// ```
pub trait PerfSource {
    /// Hands each waiting sample to `f(cpu, bytes)`, oldest first per CPU,
    /// and frees it; returns how many, and how many records the kernel
    /// reported lost.
    ///
    /// # Errors
    /// EINVAL for a ring whose contents make no sense (a record that
    /// overruns the ring).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerfEventArray, Sys};
    /// # let sys = Process::new(1);
    /// # let events = PerfEventArray::create(&sys, 1).unwrap();
    /// let mut source = sys.perf_open(events.map().fd().raw(), 1, 1).unwrap();
    /// let mut samples = 0;
    /// source.read(&mut |_cpu, _bytes| samples += 1).unwrap();
    /// assert_eq!(samples, 0);
    /// ```
    fn read(&mut self, f: &mut dyn FnMut(u32, &[u8])) -> Result<(usize, u64), Errno>;
}

/// The bytes of an output of `len` bytes as Linux delivers them: padded
/// with zeros so that they and their 4-byte length fill whole 8-byte
/// words. Backends that keep exact records pad with this.
///
/// ```
/// assert_eq!(user_bindings::perf::padded_len(8), 12);
/// assert_eq!(user_bindings::perf::padded_len(4), 4);
/// ```
pub fn padded_len(len: usize) -> usize {
    (len + 4).next_multiple_of(8) - 4
}

/// Copies `out.len()` bytes at ring position `pos` out of the `size`-byte
/// data area at `data`, wrapping at its end.
///
/// # Safety
/// `data` is `size` readable bytes, and `out.len() <= size`.
unsafe fn copy_out(data: *const u8, size: usize, pos: u64, out: &mut [u8]) {
    let start = (pos % size as u64) as usize;
    let first = out.len().min(size - start);
    // SAFETY: `start + first <= size`, and the rest (`out.len() - first`,
    // at most `size`) from the start of the data.
    unsafe {
        core::ptr::copy_nonoverlapping(data.add(start), out.as_mut_ptr(), first);
        core::ptr::copy_nonoverlapping(data, out.as_mut_ptr().add(first), out.len() - first);
    }
}

fn word<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at + N)?.try_into().ok()
}

/// Hands each sample of the perf ring mapped at `base` (`len` bytes: the
/// header page, then the data pages) to `f(cpu, bytes)`, adds the lost
/// records it reports to the count returned, and moves `data_tail` past
/// them; `scratch` holds a record while it is read.
///
/// # Safety
/// `base` is a live shared mapping of a perf event's ring, `len` bytes,
/// page-aligned, staying mapped until this returns.
pub(crate) unsafe fn consume(
    base: *mut u8,
    len: usize,
    page: usize,
    cpu: u32,
    scratch: &mut Vec<u8>,
    f: &mut dyn FnMut(u32, &[u8]),
) -> Result<(usize, u64), Errno> {
    let bad = abi::Errno::EINVAL.raw();
    if len < page + page || page < DATA_SIZE + 8 {
        return Err(bad);
    }
    // SAFETY: the header page's words are 8-byte aligned, inside the first
    // page, and shared with the kernel, so only touched atomically.
    let at = |off: usize| unsafe { &*(base.add(off) as *const AtomicU64) };
    let (head, tail) = (at(DATA_HEAD), at(DATA_TAIL));
    let (offset, size) = match (
        at(DATA_OFFSET).load(Ordering::Relaxed),
        at(DATA_SIZE).load(Ordering::Relaxed),
    ) {
        // Kernels before 4.1 leave both 0: the data follows the header page.
        (0, 0) => (page, len - page),
        (o, s) => (o as usize, s as usize),
    };
    if !size.is_power_of_two() || offset.checked_add(size).is_none_or(|end| end > len) {
        return Err(bad);
    }
    // SAFETY: checked just above to lie inside the mapping.
    let data = unsafe { base.add(offset) } as *const u8;
    let (mut n, mut lost) = (0, 0);
    let end = head.load(Ordering::Acquire);
    let mut pos = tail.load(Ordering::Relaxed);
    while pos < end {
        let mut hdr = [0u8; 8];
        let left = end - pos;
        if left < 8 {
            return Err(bad);
        }
        // SAFETY: 8 bytes of the `size`-byte data.
        unsafe { copy_out(data, size, pos, &mut hdr) };
        let kind = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let rec_len = usize::from(u16::from_ne_bytes([hdr[6], hdr[7]]));
        if rec_len < 8 || rec_len as u64 > left {
            return Err(bad);
        }
        scratch.clear();
        scratch.resize(rec_len, 0);
        // SAFETY: `rec_len` is at most 65535 bytes and at most what the
        // kernel published, which the ring holds.
        unsafe { copy_out(data, size, pos, scratch) };
        match kind {
            RECORD_SAMPLE => {
                let raw = word::<4>(scratch, 8).map_or(0, u32::from_ne_bytes) as usize;
                let bytes = scratch.get(12..12 + raw).ok_or(bad)?;
                f(cpu, bytes);
                n += 1;
            }
            RECORD_LOST => lost += word::<8>(scratch, 16).map_or(0, u64::from_ne_bytes),
            _ => {}
        }
        pos += rec_len as u64;
        tail.store(pos, Ordering::Release);
    }
    Ok((n, lost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const PAGE: usize = 4096;

    /// A ring of one data page whose reader is at `tail`, holding
    /// `records` (written from `tail` on, wrapping).
    fn ring(tail: u64, records: &[Vec<u8>]) -> Vec<u64> {
        let mut words = vec![0u64; 2 * PAGE / 8];
        let mut pos = tail;
        for r in records {
            for &b in r {
                let at = PAGE + (pos as usize % PAGE);
                let w = &mut words[at / 8];
                let shift = (at % 8) * 8;
                *w = (*w & !(0xff << shift)) | (u64::from(b) << shift);
                pos += 1;
            }
        }
        words[DATA_HEAD / 8] = pos;
        words[DATA_TAIL / 8] = tail;
        words
    }

    fn sample(bytes: &[u8]) -> Vec<u8> {
        let len = 12 + bytes.len();
        let mut r = vec![];
        r.extend(RECORD_SAMPLE.to_ne_bytes());
        r.extend(0u16.to_ne_bytes());
        r.extend((len as u16).to_ne_bytes());
        r.extend((bytes.len() as u32).to_ne_bytes());
        r.extend(bytes);
        r
    }

    /// What a read returned, and the samples it handed over.
    type Read = (Result<(usize, u64), Errno>, Vec<Vec<u8>>);

    fn read(words: &mut [u64]) -> Read {
        let mut seen = vec![];
        let mut scratch = vec![];
        // SAFETY: `words` is a page-aligned-enough stand-in for a mapping
        // of two pages, alive during the call.
        let r = unsafe {
            consume(
                words.as_mut_ptr().cast(),
                2 * PAGE,
                PAGE,
                3,
                &mut scratch,
                &mut |cpu, s| {
                    assert_eq!(cpu, 3);
                    seen.push(s.to_vec());
                },
            )
        };
        (r, seen)
    }

    #[test]
    fn samples_that_wrap_around_read_whole_and_lost_records_count() {
        let mut lost = vec![];
        lost.extend(RECORD_LOST.to_ne_bytes());
        lost.extend(0u16.to_ne_bytes());
        lost.extend(24u16.to_ne_bytes());
        lost.extend(0u64.to_ne_bytes());
        lost.extend(5u64.to_ne_bytes());
        let records = [sample(&[1, 2, 3, 4]), lost, sample(&[9; 20])];
        // Starts 20 bytes before the end of the data, so the lost record
        // wraps.
        let tail = PAGE as u64 * 7 - 20;
        let mut words = ring(tail, &records);
        let (r, seen) = read(&mut words);
        assert_eq!(r, Ok((2, 5)));
        assert_eq!(seen, [vec![1, 2, 3, 4], vec![9; 20]]);
        assert_eq!(words[DATA_TAIL / 8], words[DATA_HEAD / 8], "the reader moved past them");
        assert_eq!(read(&mut words), (Ok((0, 0)), vec![]));
    }

    #[test]
    fn nonsense_is_einval_not_a_panic() {
        let einval = Err(abi::Errno::EINVAL.raw());
        let mut short = sample(&[1; 4]);
        short[6] = 4; // a record shorter than its header
        let mut long = sample(&[1; 4]);
        long[6] = 200; // longer than what the kernel published
        let mut overrun = sample(&[1; 4]);
        overrun[8] = 100; // raw bytes past the record
        for r in [short, long, overrun] {
            let mut words = ring(0, &[r]);
            assert_eq!(read(&mut words).0, einval);
        }
        let mut words = ring(0, &[sample(&[1])]);
        words[DATA_SIZE / 8] = 3000; // not a power of 2
        words[DATA_OFFSET / 8] = PAGE as u64;
        assert_eq!(read(&mut words).0, einval);
    }
}
