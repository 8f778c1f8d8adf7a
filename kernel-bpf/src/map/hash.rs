//! HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH.
//!
//! The shape is Linux's: `max_entries` rounded up to a power of two buckets,
//! each the head of a chain of element slots, with a lock per bucket for
//! writers and lock-free readers. A chain ends in a "nulls" marker naming
//! its bucket, so a reader whose element moved to another chain notices and
//! starts over. As in Linux, a lookup beside a delete of its key may find
//! the element being deleted.
//!
//! Slots live in one block allocated up front (the default, as Linux's
//! preallocation) or in chunks of 1024 allocated on first use
//! (`BPF_F_NO_PREALLOC`); a slot's memory is
//! never freed while the map lives, so the pointers the helper path returns
//! stay valid, and a deleted slot is reused, as in Linux. Free slots are
//! bits of a bitmap (with a second level naming its words that have any).
//!
//! The bucket heads are an array of their own (a `u32` each), and a slot
//! is no more than its element: the link to the next entry, the key, the
//! values. A key of at most 4 bytes shares the link's word, so a `u32 ->
//! u64` map's slot is 16 bytes: a table of 100,000 such elements is
//! 1.6 MiB of slots and half a MiB of heads, about what a swiss table
//! (hashbrown) of the same keys takes, and lookups of a table that size
//! stay in a 2 MiB cache. A writer fills a slot's values before its key
//! (and stores the key with release order), so a reader that finds the
//! key, even by a link it followed just before the slot was reused, finds
//! the values with it. A key longer than a word cannot be read in one
//! load; its slot keeps a sequence number in the link's word, odd while
//! the slot is free or being filled, which readers check around the
//! comparison. Syscall reads take the bucket lock. A new element goes
//! first in its chain, as in Linux. As in Linux, updating an existing
//! key fills a fresh slot, puts it first in the chain and unlinks the old
//! one, so a program reading the old value through a pointer keeps seeing
//! a whole value, and a reader on a slot reused so walks on to the
//! chain's end past every element; a few spare slots (one per CPU,
//! Linux's "extra elements") make this work in a full map. Per-CPU values
//! are updated in place, as Linux does, and so is a value when no spare
//! slot is free; values programs write through pointers are, of course,
//! in place.
//!
//! LRU maps evict when full: the least recently used of up to 64 slots
//! scanned from a rotating cursor (exact for maps of at most 64 entries,
//! approximate above, as Linux's own LRU is).
//!
//! The hash depends on a per-map random seed (zero with
//! `BPF_F_ZERO_SEED`): one-word keys (most) take the multiply-shift hash,
//! longer ones a multiply-xor over their words (see [`HashMap::bucket`]).

use super::slab::{words, ValueLayout, Words};
use super::{access_ok, check_memory, HashTable, Map, MapDef, HASH_FLAGS};
use crate::error::{Error, Result};
use abi::{MapCreateAttr, MapType, BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_NOEXIST};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::any::Any;
use core::ptr::NonNull;
use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

const CHUNK_SHIFT: u32 = 10;
const CHUNK: usize = 1 << CHUNK_SHIFT;
/// Bucket head bit: a writer holds the bucket.
pub(crate) const LOCK: u32 = 1 << 31;
/// Chain entry bit: the end of a chain; the low bits name the bucket.
pub(crate) const NULLS: u32 = 1 << 30;
pub(crate) const INDEX: u32 = NULLS - 1;
/// The multipliers of the hash of keys longer than a word (see
/// [`HashMap::bucket`]).
const HASH_M1: u64 = 0x517c_c1b7_2722_0a95;
const HASH_M2: u64 = 0x9e37_79b9_7f4a_7c15;
/// Slots an LRU eviction compares.
const LRU_SCAN: u32 = 64;
/// The words of a slot: the link word (the next entry in its low half;
/// in its high half, its *tag*, a key of at most 4 bytes (a *short* key)
/// or, for a key longer than a word, the sequence number); then a longer
/// key's words, the values' and (LRU) the use stamp. A short key sharing
/// the link's word keeps the slot of the most common maps (`u32` keys) a
/// word smaller: a `u32 -> u64` map's is 16 bytes.
const LINK: usize = 0;
const KEY: usize = 1;
/// Keys of at most this many bytes are short (see [`LINK`]).
const SHORT_KEY: u32 = 4;
/// The byte offsets of a slot's link (32 bits), and of its short key (the
/// link word's high half), for compiled code (see [`HashTable`]).
const LINK_AT: i32 = LINK as i32 * 8 + if cfg!(target_endian = "little") { 0 } else { 4 };
const SHORT_KEY_AT: i32 = LINK as i32 * 8 + if cfg!(target_endian = "little") { 4 } else { 0 };

/// A short key's bytes as they sit in the link word's high half, from
/// `word`, the key packed ([`super::slab::pack`]: its bytes in memory
/// order at the start of a word).
#[inline(always)]
fn short(word: u64) -> u32 {
    if cfg!(target_endian = "little") {
        word as u32
    } else {
        (word >> 32) as u32
    }
}

/// Linux's `htab_map_alloc_check` and the bucket limit of `htab_map_alloc`.
pub(super) fn check(attr: &MapCreateAttr) -> Result<()> {
    let t = attr.map_type;
    let percpu = t == MapType::PercpuHash.raw() || t == MapType::LruPercpuHash.raw();
    let lru = t == MapType::LruHash.raw() || t == MapType::LruPercpuHash.raw();
    let flags = attr.map_flags;
    let bad_flags = Error::BadFlags { flags: flags.into() };
    if flags & !HASH_FLAGS != 0 || !access_ok(flags) {
        return Err(bad_flags);
    }
    if !lru && flags & BPF_F_NO_COMMON_LRU != 0 {
        return Err(bad_flags);
    }
    if lru && flags & BPF_F_NO_PREALLOC != 0 {
        return Err(Error::NotSupported);
    }
    if flags & BPF_F_NUMA_NODE != 0 && (percpu || flags & BPF_F_NO_COMMON_LRU != 0) {
        return Err(bad_flags);
    }
    if attr.max_entries == 0 || attr.key_size == 0 || attr.value_size == 0 {
        return Err(Error::BadMapAttr);
    }
    if u64::from(attr.value_size) >= u64::from(abi::KMALLOC_MAX_SIZE - abi::MAX_BPF_STACK) {
        return Err(Error::SizeTooLarge);
    }
    if percpu && words(attr.value_size as usize) * 8 > abi::PCPU_MIN_UNIT_SIZE as usize {
        return Err(Error::SizeTooLarge);
    }
    if u64::from(attr.max_entries).next_power_of_two() > u64::from(abi::HTAB_MAX_BUCKETS) {
        return Err(Error::SizeTooLarge);
    }
    Ok(())
}

/// One element slot inside its block or chunk: the link word (the next
/// entry, and a short key or a long key's sequence number; see [`LINK`]),
/// a longer key's words, the value words, and for LRU maps a last-use
/// stamp. Only the thread that owns a slot (holds its bucket, or has
/// just taken it from or is giving it back to the free bits) writes it.
#[derive(Clone, Copy)]
struct Slot<'a> {
    w: &'a Words,
    base: usize,
    /// The key's words after the link word (0 for a short key).
    kw: usize,
    stride: usize,
}

impl Slot<'_> {
    fn link_word(&self) -> &AtomicU64 {
        self.w.word(self.base + LINK)
    }
    /// Next entry in the chain (kept while the slot is free).
    fn next(&self, o: Ordering) -> u32 {
        self.link_word().load(o) as u32
    }
    fn set_next(&self, n: u32, o: Ordering) {
        let m = self.link_word().load(Ordering::Relaxed);
        self.link_word().store(m & !0xffff_ffff | u64::from(n), o);
    }
    /// Whether the key has a sequence number: it is longer than a word.
    fn sequenced(&self) -> bool {
        self.kw > 1
    }
    /// Makes a long key's sequence number odd: free, or being filled.
    fn retire(&self) {
        let m = self.link_word().load(Ordering::Relaxed);
        if self.sequenced() && (m >> 32) & 1 == 0 {
            self.link_word().store(m.wrapping_add(1 << 32), Ordering::Release);
        }
    }
    /// Whether the slot holds `key` (`word`: the key packed, for keys of at
    /// most 8 bytes, which then compare with one load). Loads with acquire
    /// order: a key found is the values filled.
    #[inline]
    fn key_is(&self, word: Option<u64>, key: &[u8]) -> bool {
        match word {
            Some(w) if self.kw == 0 => (self.link_word().load(Ordering::Acquire) >> 32) as u32 == short(w),
            Some(w) => self.w.word(self.base + KEY).load(Ordering::Acquire) == w,
            None => {
                let eq = self.w.equals(self.base + KEY, key);
                fence(Ordering::Acquire);
                eq
            }
        }
    }
    fn read_key(&self, out: &mut [u8]) {
        if self.kw == 0 {
            let k = (self.link_word().load(Ordering::Relaxed) >> 32) as u32;
            out.copy_from_slice(&k.to_ne_bytes()[..out.len()]);
        } else {
            self.w.read(self.base + KEY, out);
        }
    }
    /// (The owner's, once the values are in: the key goes in last, with
    /// release order, and links the slot to `next`. A long key's sequence
    /// number, odd since the slot was freed, becomes even with it.)
    fn seal(&self, key: &[u8], next: u32) {
        let m = self.link_word().load(Ordering::Relaxed);
        let tag = match self.kw {
            0 => u64::from(short(super::slab::pack(key))),
            _ => {
                fence(Ordering::Release);
                self.w.write(self.base + KEY, key);
                (m >> 32) + u64::from(self.sequenced())
            }
        };
        self.link_word()
            .store((tag & 0xffff_ffff) << 32 | u64::from(next), Ordering::Release);
    }
    fn values(&self) -> usize {
        self.base + KEY + self.kw
    }
    fn read_values(&self, out: &mut [u8]) {
        self.w.read(self.values(), out);
    }
    fn write_values(&self, word: usize, v: &[u8]) {
        self.w.write(self.values() + word, v);
    }
    fn zero_values(&self) {
        self.w.zero(self.values(), self.stride);
    }
    fn value_ptr(&self, word: usize) -> *mut u8 {
        self.w.ptr(self.values() + word)
    }
    fn stamp(&self) -> &AtomicU64 {
        self.w.word(self.values() + self.stride)
    }
}

/// `n` slots of `slot_words` words, each free and linked to nothing (with
/// `sequenced` keys, an odd sequence number).
fn free_slots(n: usize, slot_words: usize, sequenced: bool) -> Result<Words> {
    let w = Words::new(n * slot_words)?;
    for i in 0..n {
        w.word(i * slot_words + LINK)
            .store(u64::from(sequenced) << 32 | u64::from(NULLS | INDEX), Ordering::Relaxed);
    }
    Ok(w)
}

/// Which slots are free: a bit per slot, and a second level with a bit
/// per word of the first that may have one (set whenever it has one, once
/// the call that freed it returns), so that finding a free slot reads a
/// word per 4096 slots at most.
struct FreeBits {
    bits: Box<[AtomicU64]>,
    words: Box<[AtomicU64]>,
}

impl FreeBits {
    /// `n` slots, all free.
    fn new(n: usize) -> Result<FreeBits> {
        let full = |n: usize, i: usize| match (n - 64 * i).min(64) {
            64 => !0,
            b => (1u64 << b) - 1,
        };
        let nw = n.div_ceil(64);
        let (mut i, mut j) = (0, 0);
        Ok(FreeBits {
            bits: atomics(nw, || {
                i += 1;
                AtomicU64::new(full(n, i - 1))
            })?,
            words: atomics(nw.div_ceil(64), || {
                j += 1;
                AtomicU64::new(full(nw, j - 1))
            })?,
        })
    }

    fn bytes(&self) -> usize {
        (self.bits.len() + self.words.len()) * 8
    }

    /// Takes a free slot: `near` if free, else the next free one in its
    /// word of 64, else one in the next word that has any (wrapping
    /// around); `None` if none is.
    fn take(&self, near: u32) -> Option<u32> {
        let w0 = (near / 64) as usize % self.bits.len();
        if let Some(s) = self.take_in(w0, near % 64) {
            return Some(s);
        }
        // Word w0 is done: the words after it, then the rest around.
        let mut at = w0 / 64;
        let mut above = !1u64 << (w0 % 64);
        for _ in 0..=self.words.len() {
            let mut has = self.words[at].load(Ordering::SeqCst) & above;
            while has != 0 {
                let w = at * 64 + has.trailing_zeros() as usize;
                if let Some(s) = self.take_in(w, 0) {
                    return Some(s);
                }
                has &= has - 1;
            }
            at = (at + 1) % self.words.len();
            above = !0;
        }
        None
    }

    /// Takes a free slot of word `w`, the first at or after bit `from` if
    /// any is free.
    fn take_in(&self, w: usize, from: u32) -> Option<u32> {
        let word = &self.bits[w];
        loop {
            let free = word.load(Ordering::SeqCst);
            if free == 0 {
                return None;
            }
            let after = free & (!0u64 << from);
            let bit = 1u64 << if after != 0 { after } else { free }.trailing_zeros();
            let was = word.fetch_and(!bit, Ordering::SeqCst);
            if was & bit == 0 {
                continue;
            }
            if was == bit {
                // The word has no free slot left: clear its bit above,
                // unless a slot was freed meanwhile (whose freeing may
                // have set the bit before we cleared it).
                let (above, b) = (&self.words[w / 64], 1u64 << (w % 64));
                above.fetch_and(!b, Ordering::SeqCst);
                if word.load(Ordering::SeqCst) != 0 {
                    above.fetch_or(b, Ordering::SeqCst);
                }
            }
            return Some(w as u32 * 64 + bit.trailing_zeros());
        }
    }

    /// Whether `slot` is free (a moment ago).
    fn holds(&self, slot: u32) -> bool {
        self.bits[slot as usize / 64].load(Ordering::Relaxed) & 1 << (slot % 64) != 0
    }

    fn put(&self, slot: u32) {
        let w = slot as usize / 64;
        self.bits[w].fetch_or(1 << (slot % 64), Ordering::SeqCst);
        // Its bit above is mostly set already. If a taker clears it after
        // this load, that taker then sees the slot just freed and sets it
        // again (see `take_in`).
        let (above, b) = (&self.words[w / 64], 1u64 << (w % 64));
        if above.load(Ordering::SeqCst) & b == 0 {
            above.fetch_or(b, Ordering::SeqCst);
        }
    }
}

fn atomics<T>(n: usize, make: impl FnMut() -> T) -> Result<Box<[T]>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::NoMemory)?;
    v.resize_with(n, make);
    Ok(v.into_boxed_slice())
}

/// One of the four hash map types.
pub(crate) struct HashMap {
    def: MapDef,
    /// The hash's state before the first key word is mixed in (see
    /// [`HashMap::bucket`]), fixed by the seed and the key size.
    start: u64,
    /// For one-word keys: the odd multiplier (from the seed) and the shift
    /// of the multiply-shift hash (see [`HashMap::bucket`]).
    mult: u64,
    shift: u32,
    lru: bool,
    /// The key's words after a slot's link word (0 for a short key, which
    /// is in the link word).
    key_words: usize,
    value_words: usize,
    /// Value words of one slot (all CPUs' values for per-CPU maps).
    stride: usize,
    /// The bucket heads: the first entry of each chain (see [`LOCK`] and
    /// [`NULLS`]).
    heads: Box<[AtomicU32]>,
    mask: u32,
    /// Words of one slot: link, key, values, LRU stamp.
    slot_words: usize,
    chunks: Box<[spin::Once<Words>]>,
    /// With preallocation (the default), every slot in one block instead
    /// of chunks: a lookup then finds a slot without a chunk to go through.
    flat: Option<Words>,
    free: FreeBits,
    /// In chunks: where the search for a free slot starts (the last one
    /// taken), so chunks fill in order.
    hint: AtomicU32,
    /// Slots in all: `max_entries` plus the spares for replacing updates.
    pool: u32,
    /// Live elements.
    count: AtomicU32,
    tick: AtomicU64,
    cursor: AtomicU32,
}

impl HashMap {
    pub(super) fn new(def: MapDef, seed: u32) -> Result<HashMap> {
        let lru = matches!(def.map_type, MapType::LruHash | MapType::LruPercpuHash);
        let key_words = match def.key_size <= SHORT_KEY {
            true => 0,
            false => words(def.key_size as usize),
        };
        let value_words = words(def.value_size as usize);
        let stride = value_words * if def.is_percpu() { def.cpus as usize } else { 1 };
        // At least two, so that a one-word key's bucket is a shift by less
        // than 64.
        let n_buckets = u64::from(def.max_entries).next_power_of_two().max(2);
        let prealloc = def.flags & BPF_F_NO_PREALLOC == 0;
        let pool = def.max_entries.saturating_add(def.cpus.clamp(1, 64));
        let n_chunks = (pool as usize).div_ceil(CHUNK);
        let slot_words = KEY + key_words + stride + usize::from(lru);
        let slots = match prealloc {
            true => u128::from(pool),
            false => (n_chunks * CHUNK) as u128,
        };
        check_memory(u128::from(n_buckets) * 4 + slots * slot_words as u128 * 8 + u128::from(pool) / 8)?;
        let heads = {
            let mut i = 0u32;
            atomics(n_buckets as usize, || {
                i += 1;
                AtomicU32::new(NULLS | (i - 1))
            })?
        };
        let chunks = atomics(if prealloc { 0 } else { n_chunks }, spin::Once::new)?;
        let flat = match prealloc {
            true => Some(free_slots(pool as usize, slot_words, key_words > 1)?),
            false => None,
        };
        let start = u64::from(seed) ^ u64::from(def.key_size).wrapping_mul(HASH_M2);
        let map = HashMap {
            lru,
            start,
            mult: splitmix64(u64::from(seed)) | 1,
            shift: 64 - n_buckets.trailing_zeros(),
            key_words,
            value_words,
            stride,
            slot_words,
            heads,
            mask: (n_buckets - 1) as u32,
            chunks,
            flat,
            free: FreeBits::new(pool as usize)?,
            hint: AtomicU32::new(0),
            pool,
            count: AtomicU32::new(0),
            tick: AtomicU64::new(1),
            cursor: AtomicU32::new(0),
            def,
        };
        Ok(map)
    }

    /// Makes chunk `c` (without preallocation) if it is not yet made.
    fn make_chunk(&self, c: usize) -> Result<()> {
        if self.flat.is_none() {
            self.chunks[c].try_call_once(|| free_slots(CHUNK, self.slot_words, self.key_words > 1))?;
        }
        Ok(())
    }

    /// The slot `slot`, if it exists (its chunk is made).
    #[inline]
    fn at(&self, slot: u32) -> Option<Slot<'_>> {
        let (w, base) = match &self.flat {
            Some(w) if slot < self.pool => (w, slot as usize * self.slot_words),
            Some(_) => return None,
            None => (
                self.chunks.get((slot >> CHUNK_SHIFT) as usize)?.get()?,
                (slot as usize & (CHUNK - 1)) * self.slot_words,
            ),
        };
        Some(Slot {
            w,
            base,
            kw: self.key_words,
            stride: self.stride,
        })
    }

    /// The head of bucket `b`.
    #[inline(always)]
    fn head(&self, b: u32) -> &AtomicU32 {
        &self.heads[b as usize]
    }

    /// The bucket of `key`, and the key packed into one word (computed once
    /// for hashing and comparing).
    #[inline(always)]
    fn locate(&self, key: &[u8]) -> (u32, Option<u64>) {
        let word = Self::word(key);
        (self.bucket(key, word), word)
    }

    /// `key` packed into one word, for keys of at most 8 bytes (most), which
    /// then hash and compare as one word.
    #[inline(always)]
    fn word(key: &[u8]) -> Option<u64> {
        (key.len() <= 8).then(|| super::slab::pack(key))
    }

    /// The bucket of `key` (`word`: the key packed, if one word). A
    /// one-word key's is the top bits of `word * mult`, `mult` a random
    /// odd number (the multiply-shift hash, universal: two keys share a
    /// bucket with probability at most 2 / buckets). Longer keys mix each
    /// word into the state as `h = (rotl(h, 23) ^ word) * M1`, then take
    /// the bucket from `h ^ (h >> 32)` times M2.
    #[inline(always)]
    fn bucket(&self, key: &[u8], word: Option<u64>) -> u32 {
        match word {
            Some(w) => (w.wrapping_mul(self.mult) >> self.shift) as u32,
            None => {
                let mut h = self.start;
                for c in key.chunks(8) {
                    h = (h.rotate_left(23) ^ super::slab::pack(c)).wrapping_mul(HASH_M1);
                }
                h ^= h >> 32;
                (h.wrapping_mul(HASH_M2) >> 32) as u32 & self.mask
            }
        }
    }

    /// Where compiled code finds the values of keys itself, as
    /// [`HashMap::find`] does: for a map of one-word keys (1, 2, 4 or 8
    /// bytes) whose slots are one block and that keeps no use stamps (not
    /// LRU) or per-CPU values; `None` for others.
    pub(crate) fn table(&self) -> Option<HashTable> {
        let slots = self.flat.as_ref().filter(|_| !self.lru && !self.def.is_percpu())?;
        matches!(self.def.key_size, 1 | 2 | 4 | 8).then(|| HashTable {
            mult: self.mult,
            shift: self.shift as u8,
            heads: self.heads.as_ptr() as u64,
            slots: slots.ptr(0) as u64,
            slot_bytes: (self.slot_words * 8) as u32,
            slot_count: self.pool,
            key_size: self.def.key_size as u8,
            key_at: match self.key_words {
                0 => SHORT_KEY_AT,
                _ => KEY as i32 * 8,
            },
            link_at: LINK_AT,
            place_bytes: i32::try_from(u64::from(self.pool) * self.slot_words as u64 * 8).unwrap_or(0),
            value_at: (KEY + self.key_words) as i32 * 8,
        })
    }

    /// Lock-free search: the slot holding `key`, if any.
    #[inline(always)]
    fn find(&self, key: &[u8], word: Option<u64>) -> Option<(u32, Slot<'_>)> {
        let bucket = self.bucket(key, word);
        'retry: loop {
            let mut e = self.head(bucket).load(Ordering::Acquire) & !LOCK;
            while e & NULLS == 0 {
                let c = self.at(e)?;
                let m = c.link_word().load(Ordering::Acquire);
                let hit = match word {
                    Some(w) if c.kw == 0 => (m >> 32) as u32 == short(w),
                    // A long key is compared while its sequence number
                    // is even, and counts if the number did not change.
                    None if c.sequenced() => {
                        if m & 1 << 32 == 0 && c.key_is(word, key) {
                            if c.link_word().load(Ordering::Relaxed) >> 32 == m >> 32 {
                                return Some((e, c));
                            }
                            continue 'retry;
                        }
                        false
                    }
                    _ => c.key_is(word, key),
                };
                if hit {
                    return Some((e, c));
                }
                e = m as u32;
            }
            if e & INDEX != bucket {
                continue 'retry;
            }
            return None;
        }
    }

    fn lock(&self, bucket: u32) -> BucketGuard<'_> {
        let head = self.head(bucket);
        loop {
            let h = head.load(Ordering::Relaxed);
            if h & LOCK == 0
                && head
                    .compare_exchange_weak(h, h | LOCK, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return BucketGuard { head };
            }
            core::hint::spin_loop();
        }
    }

    /// Under the bucket lock: the slot of `key` and the entry before it
    /// (`None`: the bucket head).
    fn find_locked(&self, g: &BucketGuard<'_>, key: &[u8], word: Option<u64>) -> Option<(u32, Option<u32>)> {
        let mut prev = None;
        let mut e = g.first();
        while e & NULLS == 0 {
            let c = self.at(e)?;
            if c.key_is(word, key) {
                return Some((e, prev));
            }
            prev = Some(e);
            e = c.next(Ordering::Relaxed);
        }
        None
    }

    /// The place of `bucket` among the slots: bucket `b` of `n`, slot `b *
    /// slots / n`.
    fn place(&self, bucket: u32) -> u32 {
        ((u64::from(bucket) * u64::from(self.pool)) >> (64 - self.shift)) as u32
    }

    /// A free slot for an element of `bucket` (`None`: none is free): in
    /// one block, the first free at or after the bucket's place, so the
    /// entries of a chain mostly lie near each other and near it.
    fn alloc_slot(&self, bucket: u32) -> Result<Option<u32>> {
        let near = match self.flat {
            Some(_) => self.place(bucket),
            None => self.hint.load(Ordering::Relaxed),
        };
        let Some(slot) = self.free.take(near) else {
            return Ok(None);
        };
        if self.flat.is_none() {
            self.hint.store(slot, Ordering::Relaxed);
            if let Err(e) = self.make_chunk((slot >> CHUNK_SHIFT) as usize) {
                self.free.put(slot);
                return Err(e);
            }
        }
        Ok(Some(slot))
    }

    /// Frees an unlinked slot. Its link stays: a reader still on it walks
    /// on along its old chain (or, once it is reused, the new one, whose
    /// end tells it so).
    fn free_slot(&self, slot: u32) {
        let Some(c) = self.at(slot) else { return };
        c.retire();
        self.free.put(slot);
    }

    fn write_value(&self, c: &Slot<'_>, value: &[u8], cpu: Option<u32>, fresh: bool) {
        match cpu {
            Some(cpu) if self.def.is_percpu() => {
                if fresh {
                    c.zero_values();
                }
                c.write_values((cpu % self.def.cpus) as usize * self.value_words, value);
            }
            _ => c.write_values(0, value),
        }
    }

    fn touch(&self, c: &Slot<'_>) {
        if self.lru {
            c.stamp()
                .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    fn unlink(&self, g: &BucketGuard<'_>, slot: u32, prev: Option<u32>) {
        let Some(c) = self.at(slot) else { return };
        let next = c.next(Ordering::Relaxed);
        match prev.and_then(|p| self.at(p)) {
            Some(pc) => pc.set_next(next, Ordering::Release),
            None => g.set_first(next),
        }
    }

    /// Evicts the least recently used of the slots scanned.
    fn evict(&self) -> bool {
        let used = self.pool;
        let start = self.cursor.fetch_add(LRU_SCAN, Ordering::Relaxed) % used;
        let mut best: Option<(u64, u32)> = None;
        for k in 0..LRU_SCAN.min(used) {
            let slot = (start + k) % used;
            let Some(c) = self.at(slot).filter(|_| !self.free.holds(slot)) else {
                continue;
            };
            let stamp = c.stamp().load(Ordering::Relaxed);
            if best.is_none_or(|(s, _)| stamp < s) {
                best = Some((stamp, slot));
            }
        }
        let Some((_, slot)) = best else { return false };
        let Some(c) = self.at(slot) else { return false };
        let mut key = alloc::vec![0u8; self.def.key_size as usize];
        c.read_key(&mut key);
        let (bucket, word) = self.locate(&key);
        let g = self.lock(bucket);
        match self.find_locked(&g, &key, word) {
            Some((s, prev)) if s == slot => {
                self.unlink(&g, s, prev);
                drop(g);
                self.count.fetch_sub(1, Ordering::Relaxed);
                self.free_slot(s);
                true
            }
            // It changed under us; the caller tries again.
            _ => true,
        }
    }

    /// Copies out and removes, under the bucket lock.
    fn remove(&self, key: &[u8], out: Option<&mut [u8]>) -> Result<()> {
        let (bucket, word) = self.locate(key);
        let g = self.lock(bucket);
        let (slot, prev) = self.find_locked(&g, key, word).ok_or(Error::NotFound)?;
        if let (Some(out), Some(c)) = (out, self.at(slot)) {
            c.read_values(out);
        }
        self.unlink(&g, slot, prev);
        drop(g);
        self.count.fetch_sub(1, Ordering::Relaxed);
        self.free_slot(slot);
        Ok(())
    }

    /// The first key of bucket `b` or a later one.
    fn first_from(&self, mut b: u64, out: &mut [u8]) -> Result<()> {
        while b <= u64::from(self.mask) {
            let g = self.lock(b as u32);
            let e = g.first();
            if e & NULLS == 0 {
                if let Some(c) = self.at(e) {
                    c.read_key(out);
                    return Ok(());
                }
            }
            drop(g);
            b += 1;
        }
        Err(Error::NotFound)
    }

    /// Number of buckets (batch positions are bucket numbers, as in Linux).
    pub(crate) fn buckets(&self) -> u32 {
        self.mask + 1
    }

    /// The keys and values in bucket `b`, for batch operations; deletes them
    /// if `delete`. Values are in the syscall layout.
    pub(crate) fn bucket_entries(&self, b: u32, delete: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
        let g = self.lock(b);
        let mut out = Vec::new();
        let mut e = g.first();
        while e & NULLS == 0 {
            let Some(c) = self.at(e) else { break };
            let mut k = alloc::vec![0u8; self.def.key_size as usize];
            let mut v = alloc::vec![0u8; self.def.syscall_value_size()];
            c.read_key(&mut k);
            c.read_values(&mut v);
            out.push((k, v));
            e = c.next(Ordering::Relaxed);
        }
        if delete {
            let mut e = g.first();
            g.set_first(NULLS | b);
            drop(g);
            while e & NULLS == 0 {
                let Some(c) = self.at(e) else { break };
                let next = c.next(Ordering::Relaxed);
                self.count.fetch_sub(1, Ordering::Relaxed);
                self.free_slot(e);
                e = next;
            }
        }
        out
    }
}

/// A well-mixed 64-bit number from `x` (Steele, Lea and Flood's
/// SplitMix64 finalizer).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A held bucket lock; dropping it releases the lock.
struct BucketGuard<'a> {
    head: &'a AtomicU32,
}

impl BucketGuard<'_> {
    fn first(&self) -> u32 {
        self.head.load(Ordering::Relaxed) & !LOCK
    }

    fn set_first(&self, e: u32) {
        self.head.store(e | LOCK, Ordering::Release);
    }
}

impl Drop for BucketGuard<'_> {
    fn drop(&mut self) {
        self.head.fetch_and(!LOCK, Ordering::Release);
    }
}

impl Map for HashMap {
    fn def(&self) -> &MapDef {
        &self.def
    }

    fn lookup(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        let (bucket, word) = self.locate(key);
        let g = self.lock(bucket);
        let (slot, _) = self.find_locked(&g, key, word).ok_or(Error::NotFound)?;
        let c = self.at(slot).ok_or(Error::NotFound)?;
        c.read_values(out);
        self.touch(&c);
        Ok(())
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, cpu: Option<u32>) -> Result<()> {
        if flags > BPF_EXIST {
            return Err(Error::BadFlags { flags });
        }
        let (bucket, word) = self.locate(key);
        loop {
            let g = self.lock(bucket);
            if let Some((old, prev)) = self.find_locked(&g, key, word) {
                if flags == BPF_NOEXIST {
                    return Err(Error::Exists);
                }
                let c = self.at(old).ok_or(Error::NotFound)?;
                // One word is stored whole anyway; per-CPU values stay put.
                let in_place = self.def.is_percpu() || self.stride == 1;
                let spare = if in_place { None } else { self.alloc_slot(bucket)? };
                let Some(new) = spare else {
                    self.write_value(&c, value, cpu, false);
                    self.touch(&c);
                    return Ok(());
                };
                // Fill a fresh slot, put it first (as a new element, see
                // below), then unlink the old one, as Linux does: readers
                // meanwhile find the new one first, or the old one.
                let nc = self.at(new).ok_or(Error::NoMemory)?;
                self.write_value(&nc, value, cpu, true);
                self.touch(&nc);
                nc.seal(key, g.first());
                g.set_first(new);
                let next = c.next(Ordering::Relaxed);
                match prev.and_then(|p| self.at(p)) {
                    Some(pc) => pc.set_next(next, Ordering::Release),
                    None => nc.set_next(next, Ordering::Release),
                }
                drop(g);
                self.free_slot(old);
                return Ok(());
            }
            if flags == BPF_EXIST {
                return Err(Error::NotFound);
            }
            let max = self.def.max_entries;
            if self
                .count
                .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| (n < max).then_some(n + 1))
                .is_err()
            {
                drop(g);
                if self.lru && self.evict() {
                    continue;
                }
                return Err(Error::MapFull);
            }
            let Some(slot) = self.alloc_slot(bucket)? else {
                // Every spare is in the middle of a replacing update.
                self.count.fetch_sub(1, Ordering::Relaxed);
                return Err(Error::MapFull);
            };
            let c = self.at(slot).ok_or(Error::NoMemory)?;
            self.write_value(&c, value, cpu, true);
            self.touch(&c);
            // Then publish it at the head. (Only there: a slot freed and
            // reused in its own chain then starts over from the head, so
            // a reader still on its old link walks the whole chain again.
            // Put second, it would take a reader on its old link past the
            // first element.)
            c.seal(key, g.first());
            g.set_first(slot);
            return Ok(());
        }
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.remove(key, None)
    }

    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        let Some(key) = key else { return self.first_from(0, out) };
        let (bucket, word) = self.locate(key);
        let g = self.lock(bucket);
        let Some((slot, _)) = self.find_locked(&g, key, word) else {
            drop(g);
            return self.first_from(0, out);
        };
        let c = self.at(slot).ok_or(Error::NotFound)?;
        let next = c.next(Ordering::Relaxed);
        if next & NULLS == 0 {
            if let Some(nc) = self.at(next) {
                nc.read_key(out);
                return Ok(());
            }
        }
        drop(g);
        self.first_from(u64::from(bucket) + 1, out)
    }

    fn lookup_and_delete(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        self.remove(key, Some(out))
    }

    #[inline]
    fn lookup_ptr(&self, key: &[u8], cpu: u32) -> Option<NonNull<u8>> {
        let (_, c) = self.find(key, Self::word(key))?;
        self.touch(&c);
        let cpu_off = if self.def.is_percpu() {
            (cpu % self.def.cpus) as usize * self.value_words
        } else {
            0
        };
        NonNull::new(c.value_ptr(cpu_off))
    }

    fn holds_value(&self, addr: u64, len: u64) -> bool {
        let at = ValueLayout {
            slot: self.slot_words,
            first: KEY + self.key_words,
            copies: self.stride / self.value_words.max(1),
            value_words: self.value_words,
            value_size: self.def.value_size as usize,
        };
        self.flat
            .iter()
            .chain(self.chunks.iter().filter_map(spin::Once::get))
            .any(|w| w.holds_value(addr, len, at))
    }

    fn memory_bytes(&self) -> usize {
        let chunks = self.chunks.iter().filter(|c| c.get().is_some()).count();
        let slots = self.flat.as_ref().map_or(0, Words::bytes);
        self.heads.len() * 4 + chunks * CHUNK * self.slot_words * 8 + slots + self.free.bytes()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    /// A HASH map of `key_size`-byte keys and `value_size`-byte values.
    fn hash(key_size: u32, value_size: u32, max_entries: u32) -> alloc::sync::Arc<dyn Map> {
        let attr = MapCreateAttr {
            map_type: MapType::Hash.raw(),
            key_size,
            value_size,
            max_entries,
            ..Default::default()
        };
        super::super::create(&attr, 1, 4, 1).unwrap()
    }

    #[test]
    fn chains_are_short() {
        let m = hash(4, 8, 1000);
        let h = m.as_any().downcast_ref::<HashMap>().unwrap();
        for i in 0..1000u32 {
            m.update(
                &i.wrapping_mul(2_654_435_761).to_ne_bytes(),
                &[1; 8],
                abi::BPF_ANY,
                None,
            )
            .unwrap();
        }
        let mut longest = 0;
        let mut total = 0;
        for b in 0..h.buckets() {
            let n = h.bucket_entries(b, false).len();
            longest = longest.max(n);
            total += n;
        }
        assert_eq!(total, 1000);
        assert!(longest <= 8, "longest chain {longest}");
    }

    /// A slot is its element and a link: 16 bytes for a `u32 -> u64` map
    /// (the key shares the link's word), 24 for `u64 -> u64`; with the
    /// heads and the free bits, a full map of 100,000 `u32 -> u64`
    /// elements takes about 21 bytes each.
    #[test]
    fn slots_hold_their_element_and_a_link() {
        for (key_size, slot_bytes) in [(4, 16), (8, 24)] {
            let m = hash(key_size, 8, 100_000);
            let h = m.as_any().downcast_ref::<HashMap>().unwrap();
            assert_eq!(h.table().unwrap().slot_bytes, slot_bytes, "{key_size}-byte keys");
            if key_size == 4 {
                let per_entry = m.memory_bytes() as f64 / 100_000.0;
                assert!((20.0..22.0).contains(&per_entry), "{per_entry} bytes an entry");
            }
        }
    }

    /// A key takes a free slot at or after the place of its bucket among
    /// the slots (bucket `b` of `n`, slot `b * slots / n`), so the entries
    /// of a chain lie near each other: with 100,000 random keys in 131,072
    /// buckets and as many slots as keys, the first two entries of almost
    /// half the chains of two or more lie within four slots (a cache
    /// line's worth) of each other, and a search reads both. (Slots taken
    /// in order instead would put almost none so.)
    #[test]
    fn chains_lie_together() {
        let m = hash(4, 8, 100_000);
        let h = m.as_any().downcast_ref::<HashMap>().unwrap();
        for i in 0..100_000u64 {
            m.update(&(splitmix64(i) as u32).to_ne_bytes(), &[1; 8], abi::BPF_ANY, None)
                .unwrap();
        }
        let (mut pairs, mut near) = (0, 0);
        for b in 0..h.buckets() {
            let first = h.head(b).load(Ordering::Relaxed);
            let Some(c) = h.at(first).filter(|_| first & NULLS == 0) else {
                continue;
            };
            let second = c.next(Ordering::Relaxed);
            if second & NULLS == 0 {
                pairs += 1;
                near += usize::from(first.abs_diff(second) < 4);
            }
        }
        assert!(
            near * 10 >= pairs * 4,
            "{near} of {pairs} chains' first two entries within four slots"
        );
    }

    /// A long key is compared a word at a time: a reader comparing one
    /// while its slot is refilled with another key could see words of
    /// both. Here a writer keeps filling one slot with B = [1, x] and
    /// C = [y, 2] (keys of one bucket) in turn, and readers look up A =
    /// [1, 2], which is never in the map, and must never find it: the
    /// slot's sequence number tells a reader the key changed under it.
    #[cfg(feature = "std")]
    #[test]
    fn a_long_key_is_never_found_from_two_keys_words() {
        use core::sync::atomic::AtomicBool;
        let m = hash(16, 8, 2);
        let h = m.as_any().downcast_ref::<HashMap>().unwrap();
        let key = |a: u64, b: u64| [a.to_ne_bytes(), b.to_ne_bytes()].concat();
        let bucket = |k: &[u8]| h.bucket(k, None);
        let a = key(1, 2);
        let x = (3..).find(|&x| bucket(&key(1, x)) == bucket(&a)).unwrap();
        let y = (3..).find(|&y| bucket(&key(y, 2)) == bucket(&a)).unwrap();
        let (b, c) = (key(1, x), key(y, 2));
        let stop = AtomicBool::new(false);
        let found = std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    for k in [&b, &c] {
                        m.update(k, &[0; 8], abi::BPF_ANY, None).unwrap();
                        m.delete(k).unwrap();
                    }
                }
            });
            let found = (0..2_000_000).filter(|_| m.lookup_ptr(&a, 0).is_some()).count();
            stop.store(true, Ordering::Relaxed);
            found
        });
        assert_eq!(found, 0, "lookups that found a key never inserted");
    }

    /// A replacing update puts its fresh slot first in the chain, as
    /// Linux does, not where the old one was: a reader on a slot that is
    /// freed and then taken for the update would otherwise go on from the
    /// old element's place, past what lies before it. With the chain C,
    /// A, B (keys of one bucket), replacing B makes it B, C, A, and a
    /// reader on any slot of the bucket walks on to its end. (Values of
    /// two words: one word is updated in place.)
    #[test]
    fn a_replacing_update_goes_first_in_its_chain() {
        let m = hash(4, 16, 3);
        let h = m.as_any().downcast_ref::<HashMap>().unwrap();
        let bucket = |k: u32| h.bucket(&k.to_ne_bytes(), Some(u64::from(k)));
        let mut same = (1u32..).filter(|&k| bucket(k) == bucket(0));
        let (a, b, c) = (0u32, same.next().unwrap(), same.next().unwrap());
        for k in [b, a, c] {
            m.update(&k.to_ne_bytes(), &[1; 16], abi::BPF_ANY, None).unwrap();
        }
        m.update(&b.to_ne_bytes(), &[2; 16], abi::BPF_ANY, None).unwrap();
        let chain: Vec<u32> = h
            .bucket_entries(bucket(0), false)
            .iter()
            .map(|(k, _)| u32::from_ne_bytes(k[..4].try_into().unwrap()))
            .collect();
        assert_eq!(chain, [b, c, a]);
        let mut v = [0u8; 16];
        m.lookup(&b.to_ne_bytes(), &mut v).unwrap();
        assert_eq!(v, [2; 16]);
    }
}
