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

/// A fixed array of atomic words.
pub(crate) struct Words {
    w: Box<[AtomicU64]>,
}

impl Words {
    /// `n` zeroed words, or [`Error::NoMemory`].
    pub(crate) fn new(n: usize) -> Result<Words> {
        let mut v: Vec<AtomicU64> = Vec::new();
        v.try_reserve_exact(n).map_err(|_| Error::NoMemory)?;
        v.resize_with(n, || AtomicU64::new(0));
        Ok(Words {
            w: v.into_boxed_slice(),
        })
    }

    /// Bytes of memory held.
    pub(crate) fn bytes(&self) -> usize {
        self.w.len() * 8
    }

    /// Copies `out.len()` bytes starting at word `at`.
    pub(crate) fn read(&self, at: usize, out: &mut [u8]) {
        let mut chunks = out.chunks_exact_mut(8);
        let mut i = at;
        for c in &mut chunks {
            c.copy_from_slice(&self.w[i].load(Relaxed).to_ne_bytes());
            i += 1;
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let n = rest.len();
            rest.copy_from_slice(&self.w[i].load(Relaxed).to_ne_bytes()[..n]);
        }
    }

    /// Stores `src` starting at word `at`; the bytes after it in its last
    /// word become zero.
    pub(crate) fn write(&self, at: usize, src: &[u8]) {
        let mut chunks = src.chunks_exact(8);
        let mut i = at;
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.w[i].store(u64::from_ne_bytes(b), Relaxed);
            i += 1;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.w[i].store(u64::from_ne_bytes(b), Relaxed);
        }
    }

    /// Zeroes `n` words from `at`.
    pub(crate) fn zero(&self, at: usize, n: usize) {
        for w in &self.w[at..at + n] {
            w.store(0, Relaxed);
        }
    }

    /// Whether the bytes from word `at` equal `key` (compared a word at a
    /// time; the padding of the last word is always zero).
    pub(crate) fn equals(&self, at: usize, key: &[u8]) -> bool {
        let mut chunks = key.chunks_exact(8);
        let mut i = at;
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            if self.w[i].load(Relaxed) != u64::from_ne_bytes(b) {
                return false;
            }
            i += 1;
        }
        let rest = chunks.remainder();
        if rest.is_empty() {
            return true;
        }
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        self.w[i].load(Relaxed) == u64::from_ne_bytes(b)
    }

    /// The address of word `at`, for programs (valid while `self` lives).
    pub(crate) fn ptr(&self, at: usize) -> *mut u8 {
        self.w[at].as_ptr().cast()
    }

    /// The word `at` itself.
    pub(crate) fn word(&self, at: usize) -> &AtomicU64 {
        &self.w[at]
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
}
