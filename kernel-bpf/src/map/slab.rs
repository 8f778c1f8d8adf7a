//! Map storage: 64-bit atomic words. Values live here because programs
//! write them through pointers while other CPUs copy them from syscalls;
//! relaxed atomic words make that sharing sound without `unsafe` (plain
//! loads and stores on the machines we target). Every slot is a whole number
//! of words, so values are 8-byte aligned as in Linux.

use crate::error::{Error, Result};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Words needed for `bytes` bytes.
pub(crate) const fn words(bytes: usize) -> usize {
    bytes.div_ceil(8)
}

/// The word holding `bytes` (at most 8) in memory order, zero-padded:
/// what storing them at the start of a zeroed word gives. (Byte loops are
/// written with shifts: a copying loop would become a call to `memcpy`.)
#[inline]
pub(crate) fn pack(bytes: &[u8]) -> u64 {
    match bytes.len() {
        8 => u64::from_ne_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]),
        4 => u64::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3], 0, 0, 0, 0]),
        _ => {
            let mut w = 0u64;
            for (i, &b) in bytes.iter().take(8).enumerate() {
                w |= u64::from(b) << (8 * i);
            }
            u64::from_le(w)
        }
    }
}

/// Writes the first `out.len()` (at most 8) bytes of word `w` to `out`.
#[inline]
fn unpack(w: u64, out: &mut [u8]) {
    match out.len() {
        8 => out.copy_from_slice(&w.to_ne_bytes()),
        4 => out.copy_from_slice(&w.to_ne_bytes()[..4]),
        _ => {
            let w = w.to_le();
            for (i, b) in out.iter_mut().take(8).enumerate() {
                *b = (w >> (8 * i)) as u8;
            }
        }
    }
}

/// Where values lie in a block of [`Words`] (see [`Words::holds_value`]).
#[derive(Clone, Copy)]
pub(crate) struct ValueLayout {
    pub slot: usize,
    pub first: usize,
    pub copies: usize,
    pub value_words: usize,
    pub value_size: usize,
}

/// A fixed array of atomic words, starting on a cache line (64 bytes), so
/// that slots of 32 or 64 bytes never straddle two.
pub(crate) struct Words {
    all: Box<[AtomicU64]>,
    /// The first word of the line-aligned array in `all`.
    start: usize,
}

/// Words in a cache line.
const LINE_WORDS: usize = 8;

impl Words {
    /// `n` zeroed words, or [`Error::NoMemory`].
    pub(crate) fn new(n: usize) -> Result<Words> {
        let mut v: Vec<AtomicU64> = Vec::new();
        let len = n.checked_add(LINE_WORDS - 1).ok_or(Error::NoMemory)?;
        v.try_reserve_exact(len).map_err(|_| Error::NoMemory)?;
        v.resize_with(len, || AtomicU64::new(0));
        let start = (v.as_ptr() as usize).wrapping_neg() / 8 % LINE_WORDS;
        Ok(Words {
            all: v.into_boxed_slice(),
            start,
        })
    }

    /// The words.
    #[inline(always)]
    fn w(&self) -> &[AtomicU64] {
        &self.all[self.start..]
    }

    /// Bytes of memory held.
    pub(crate) fn bytes(&self) -> usize {
        self.all.len() * 8
    }

    /// Copies `out.len()` bytes starting at word `at`.
    #[inline]
    pub(crate) fn read(&self, at: usize, out: &mut [u8]) {
        for (i, c) in out.chunks_mut(8).enumerate() {
            unpack(self.w()[at + i].load(Relaxed), c);
        }
    }

    /// Stores `src` starting at word `at`; the bytes after it in its last
    /// word become zero.
    #[inline]
    pub(crate) fn write(&self, at: usize, src: &[u8]) {
        for (i, c) in src.chunks(8).enumerate() {
            self.w()[at + i].store(pack(c), Relaxed);
        }
    }

    /// Zeroes `n` words from `at`.
    pub(crate) fn zero(&self, at: usize, n: usize) {
        for w in &self.w()[at..at + n] {
            w.store(0, Relaxed);
        }
    }

    /// Whether the bytes from word `at` equal `key` (compared a word at a
    /// time; the padding of the last word is always zero).
    #[inline]
    pub(crate) fn equals(&self, at: usize, key: &[u8]) -> bool {
        key.chunks(8)
            .enumerate()
            .all(|(i, c)| self.w()[at + i].load(Relaxed) == pack(c))
    }

    /// The address of word `at`, for programs (valid while `self` lives).
    pub(crate) fn ptr(&self, at: usize) -> *mut u8 {
        self.word(at).as_ptr().cast()
    }

    /// Whether `[addr, addr + len)` lies inside one value stored here: the
    /// block is slots of `slot` words, each holding `copies` values (one
    /// per CPU) of `value_words` words from its word `first`, and a
    /// value's first `value_size` bytes are the program's.
    pub(crate) fn holds_value(&self, addr: u64, len: u64, at: ValueLayout) -> bool {
        if at.slot == 0 || at.value_words == 0 {
            return false;
        }
        let start = self.w().as_ptr() as u64;
        let Some(off) = addr.checked_sub(start).filter(|&o| o < self.w().len() as u64 * 8) else {
            return false;
        };
        let in_slot = off % (at.slot as u64 * 8);
        let value_bytes = at.value_words as u64 * 8;
        match in_slot.checked_sub(at.first as u64 * 8) {
            Some(rel) if rel < at.copies as u64 * value_bytes => (rel % value_bytes)
                .checked_add(len)
                .is_some_and(|end| end <= at.value_size as u64),
            _ => false,
        }
    }

    /// The word `at` itself (one bounds check: the searches' path).
    #[inline(always)]
    pub(crate) fn word(&self, at: usize) -> &AtomicU64 {
        &self.all[self.start + at]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_pad_with_zero() {
        let w = Words::new(4).unwrap();
        w.write(1, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        let mut out = [0u8; 11];
        w.read(1, &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!(w.word(2).load(Relaxed).to_ne_bytes(), [9, 10, 11, 0, 0, 0, 0, 0]);
        assert!(w.equals(1, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
        assert!(!w.equals(1, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]));
        w.zero(1, 2);
        assert!(w.equals(1, &[0; 16]));
        assert_eq!(words(0), 0);
        assert_eq!(words(9), 2);
    }

    #[test]
    fn words_start_on_a_cache_line() {
        let held: Vec<Words> = (0..40).map(|n| Words::new(n * 3 + 1).unwrap()).collect();
        for (n, w) in held.iter().enumerate() {
            assert_eq!(w.ptr(0) as usize % 64, 0, "{} words", n * 3 + 1);
            w.write(n * 3, &[0xff; 8]);
            assert_eq!(w.word(n * 3).load(Relaxed), !0);
        }
    }
}
