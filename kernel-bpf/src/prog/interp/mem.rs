//! The interpreter's memory: every load and store a program makes goes
//! through [`Memory::check`], which allows only the regions the program may
//! touch (its stack, the context or packet, map values and memory helpers
//! returned), except those the verifier proved in bounds (see
//! `Code::trust`), which use [`load_unchecked`] and [`store_unchecked`]
//! directly. A violation is an error, never undefined behaviour. Programs
//! run with `&Memory`; the buffers it owns are only handed out by `&mut`
//! between runs.
//!
//! One caveat: map values are shared with other CPUs, which reach them
//! through atomic words (see `map::slab`), while a program's loads and
//! stores here are plain. That is BPF's own memory model (C-level races on
//! map values, as in Linux), but in Rust's model such a concurrent plain
//! access is a data race; the bytes stay within the value either way.

#![allow(unsafe_code)]

use crate::map::Map;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// A range of addresses a program may access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Whether stores are allowed.
    pub writable: bool,
}

/// The regions of one run, and what keeps them alive: buffers it owns
/// (stack, context, packet) and maps whose values it lends to programs.
#[derive(Default)]
pub struct Memory {
    regions: Vec<Region>,
    owned: Vec<Vec<u8>>,
    maps: Vec<Arc<dyn Map>>,
    /// The stack buffer's handle and address, made on first use.
    stack: Option<(usize, u64)>,
    /// Buffers of earlier runs, for [`Memory::own_copy`] to reuse.
    spare: Vec<Vec<u8>>,
    /// The packet of a socket buffer context, for LD_ABS and LD_IND.
    packet: Option<Packet>,
    /// The region the last access fell in: accesses come in runs (a
    /// stack frame, a map value), so it is asked first.
    last: core::cell::Cell<usize>,
}

/// Where a socket buffer's packet lies in an owned buffer: the context it
/// belongs to, and the offsets (in that buffer) of Linux's skb pointers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The context address (what r6 must hold for a legacy packet load).
    pub ctx: u64,
    /// The owned buffer (from [`Memory::own`]): headroom, then the frame.
    pub handle: usize,
    /// `skb->mac_header`.
    pub mac: usize,
    /// `skb->network_header`.
    pub network: usize,
    /// `skb->data`: offset 0 of LD_ABS.
    pub data: usize,
    /// `skb_tail_pointer(skb)`: the end of the packet.
    pub end: usize,
    /// The cookie of the packet's socket (0: none).
    pub sock_cookie: u64,
    /// The owner uid of the packet's socket.
    pub sock_uid: u32,
}

/// Spare buffers a recycled [`Memory`] keeps.
const SPARE: usize = 4;

/// An atomic read-modify-write the program asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicOp {
    /// `*p += v`
    Add,
    /// `*p |= v`
    Or,
    /// `*p &= v`
    And,
    /// `*p ^= v`
    Xor,
    /// `*p = v`
    Xchg,
}

impl Memory {
    /// An empty set of regions.
    pub fn new() -> Memory {
        Memory::default()
    }

    /// Takes `data` for the run and allows the program to access it; returns
    /// its handle for [`Memory::buffer`] and its address.
    pub fn own(&mut self, data: Vec<u8>, writable: bool) -> (usize, u64) {
        let start = data.as_ptr() as u64;
        self.regions.push(Region {
            start,
            end: start + data.len() as u64,
            writable,
        });
        self.owned.push(data);
        (self.owned.len() - 1, start)
    }

    /// Takes `data` for the run without allowing the program to access it
    /// (a packet only legacy loads and packet helpers read); returns its
    /// handle.
    pub fn own_unmapped(&mut self, data: Vec<u8>) -> usize {
        self.owned.push(data);
        self.owned.len() - 1
    }

    /// Takes `data` for the run, allowing reads of all of it and writes of
    /// the `writable` ranges only (a context with writable fields); returns
    /// its handle and address.
    pub fn own_with(&mut self, data: Vec<u8>, writable: &[core::ops::Range<usize>]) -> (usize, u64) {
        let start = data.as_ptr() as u64;
        let mut cuts: Vec<(usize, usize, bool)> = Vec::new();
        let mut at = 0;
        let mut ranges: Vec<&core::ops::Range<usize>> = writable.iter().filter(|r| r.end <= data.len()).collect();
        ranges.sort_by_key(|r| r.start);
        for r in ranges {
            if r.start > at {
                cuts.push((at, r.start, false));
            }
            cuts.push((r.start.max(at), r.end, true));
            at = r.end.max(at);
        }
        if at < data.len() {
            cuts.push((at, data.len(), false));
        }
        for (a, b, writable) in cuts.into_iter().filter(|c| c.0 < c.1) {
            self.regions.push(Region {
                start: start + a as u64,
                end: start + b as u64,
                writable,
            });
        }
        self.owned.push(data);
        (self.owned.len() - 1, start)
    }

    /// Takes an owned buffer back out (after the run); `None` for a bad
    /// handle. Its regions must not be used again: call only at the end.
    pub fn take(&mut self, handle: usize) -> Option<Vec<u8>> {
        self.owned.get_mut(handle).map(core::mem::take)
    }

    /// Makes `p` the packet of its context for legacy packet loads.
    pub fn set_packet(&mut self, p: Packet) {
        self.packet = Some(p);
    }

    /// The packet of context `ctx` and its buffer, for the packet helpers.
    pub fn packet(&self, ctx: u64) -> Option<(Packet, &[u8])> {
        let p = self.packet.filter(|p| p.ctx == ctx)?;
        Some((p, self.owned.get(p.handle)?))
    }

    /// A legacy packet load (LD_ABS, LD_IND) of `size` bytes at `off` of
    /// the packet of context `ctx`, in network byte order, as Linux's
    /// `bpf_skb_load_helper_*`: a non-negative offset counts from
    /// `skb->data` and must stay inside the packet; offsets from
    /// `SKF_NET_OFF` and `SKF_LL_OFF` count from the network and link-layer
    /// headers and must stay inside the buffer. `None` when the load cannot
    /// be made (the program then ends with r0 = 0).
    pub fn load_packet(&self, ctx: u64, off: i32, size: usize) -> Option<u64> {
        let p = self.packet.filter(|p| p.ctx == ctx)?;
        let buf = self.owned.get(p.handle)?;
        let start = if off >= 0 {
            let s = p.data.checked_add(off as usize)?;
            if s.checked_add(size)? > p.end {
                return None;
            }
            s
        } else {
            let (base, rel) = if off >= abi::SKF_NET_OFF {
                (p.network, i64::from(off) - i64::from(abi::SKF_NET_OFF))
            } else if off >= abi::SKF_LL_OFF {
                (p.mac, i64::from(off) - i64::from(abi::SKF_LL_OFF))
            } else {
                return None;
            };
            let s = usize::try_from(base as i64 + rel).ok()?;
            if s.checked_add(size)? > p.end.min(buf.len()) {
                return None;
            }
            s
        };
        let bytes = buf.get(start..start + size)?;
        Some(bytes.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
    }

    /// Copies `data` into a buffer of the run (reusing one of an earlier
    /// run's when it can) and allows access as [`Memory::own`] does.
    pub fn own_copy(&mut self, data: &[u8], writable: bool) -> (usize, u64) {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        self.own(buf, writable)
    }

    /// Readies the memory for another run, as a kernel reuses a per-CPU
    /// run context: every region but the stack goes, maps are let go, and
    /// owned buffers are kept for [`Memory::own_copy`].
    pub fn recycle(&mut self) {
        if let Some((0, _)) = self.stack {
            // The stack is the first buffer and region (a recycled memory):
            // keep both, drop the rest.
            for b in self.owned.drain(1..) {
                if self.spare.len() < SPARE {
                    self.spare.push(b);
                }
            }
            self.regions.truncate(1);
            self.maps.clear();
            self.packet = None;
            return;
        }
        let stack = self.stack.take().map(|(h, _)| core::mem::take(&mut self.owned[h]));
        for b in self.owned.drain(..) {
            if b.capacity() > 0 && self.spare.len() < SPARE {
                self.spare.push(b);
            }
        }
        self.regions.clear();
        self.maps.clear();
        self.packet = None;
        if let Some(s) = stack {
            let addr = s.as_ptr() as u64;
            self.regions.push(Region {
                start: addr,
                end: addr + s.len() as u64,
                writable: true,
            });
            self.owned.push(s);
            self.stack = Some((0, addr));
        }
    }

    /// The run's stack of `bytes` bytes (made once, reused by later runs),
    /// with its first `frame` bytes zeroed if `zero`; returns the address
    /// one past the first frame, the entry frame's r10.
    #[inline]
    pub fn stack(&mut self, bytes: usize, frame: usize, zero: bool) -> u64 {
        let (h, addr) = match self.stack {
            Some(s) => s,
            None => self.make_stack(bytes),
        };
        if zero {
            self.owned[h][..frame].fill(0);
        }
        addr + frame as u64
    }

    /// The stack buffer, made on the first run.
    #[cold]
    fn make_stack(&mut self, bytes: usize) -> (usize, u64) {
        let s = self.own(alloc::vec![0u8; bytes], true);
        self.stack = Some(s);
        s
    }

    /// Zeroes `len` bytes at `addr` of an owned buffer (a new stack frame).
    pub fn zero(&mut self, addr: u64, len: usize) {
        for b in &mut self.owned {
            let start = b.as_ptr() as u64;
            if addr >= start && addr + len as u64 <= start + b.len() as u64 {
                let at = (addr - start) as usize;
                b[at..at + len].fill(0);
                return;
            }
        }
    }

    /// The bytes of an owned buffer (between runs).
    pub fn buffer(&mut self, handle: usize) -> Option<&mut [u8]> {
        self.owned.get_mut(handle).map(|v| v.as_mut_slice())
    }

    /// Allows `len` bytes at `ptr`, a value of `map` (which it keeps alive).
    /// `ptr` must come from the map's [`Map::lookup_ptr`] (or another of its
    /// own value pointers), which point into storage at least `value_size`
    /// bytes long that lives as long as the map.
    pub fn lend(&mut self, map: Arc<dyn Map>, ptr: NonNull<u8>, len: usize, writable: bool) {
        let start = ptr.as_ptr() as u64;
        if !self
            .regions
            .iter()
            .any(|r| r.start == start && r.end == start + len as u64)
        {
            self.regions.push(Region {
                start,
                end: start + len as u64,
                writable,
            });
        }
        self.keep_map(&map);
    }

    /// Allows access to the values of `map` (what [`Map::holds_value`]
    /// accepts, writes only where programs may write its values) and keeps
    /// it alive for the run: a lookup's value needs no region of its own.
    #[inline]
    pub fn keep_map(&mut self, map: &Arc<dyn Map>) {
        if !self.maps.iter().any(|m| Arc::ptr_eq(m, map)) {
            self.maps.push(map.clone());
        }
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// Whether no region is allowed.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The first region `addr` lies in. Regions stay while a program runs
    /// (helpers only add to them; `take` and `recycle` come between runs),
    /// so compiled code may keep one's bounds for the run.
    pub fn region_at(&self, addr: u64) -> Option<Region> {
        self.regions.iter().find(|r| addr >= r.start && addr < r.end).copied()
    }

    /// Whether `[addr, addr + len)` lies in one allowed region.
    #[inline]
    pub fn check(&self, addr: u64, len: u64, write: bool) -> bool {
        let Some(end) = addr.checked_add(len) else { return false };
        let fits = |r: &Region| addr >= r.start && end <= r.end && (r.writable || !write);
        if self.regions.get(self.last.get()).is_some_and(fits) {
            return true;
        }
        match self.regions.iter().position(fits) {
            Some(k) => {
                self.last.set(k);
                true
            }
            None => self.in_map_value(addr, len, write),
        }
    }

    /// Whether `[addr, addr + len)` is inside a value of a kept map.
    #[cold]
    fn in_map_value(&self, addr: u64, len: u64, write: bool) -> bool {
        self.maps
            .iter()
            .any(|m| (!write || m.def().prog_can_write()) && m.holds_value(addr, len))
    }

    /// Loads `size` (1, 2, 4 or 8) bytes, zero-extended.
    #[inline]
    pub fn load(&self, addr: u64, size: u64) -> Option<u64> {
        if !self.check(addr, size, false) {
            return None;
        }
        // SAFETY: `check` found the bytes inside a region, which is a buffer
        // this Memory owns or a value of a map it keeps alive; no Rust
        // reference to those bytes exists while a program runs (`buffer`
        // needs `&mut self`).
        Some(unsafe { load_unchecked(addr, size) })
    }

    /// Stores the low `size` bytes of `v`.
    #[inline]
    pub fn store(&self, addr: u64, size: u64, v: u64) -> Option<()> {
        if !self.check(addr, size, true) {
            return None;
        }
        // SAFETY: as in `load`, for a writable region.
        unsafe { store_unchecked(addr, size, v) };
        Some(())
    }

    /// Copies `out.len()` bytes from `addr` (for helpers reading program memory).
    pub fn read_bytes(&self, addr: u64, out: &mut [u8]) -> Option<()> {
        if !self.check(addr, out.len() as u64, false) {
            return None;
        }
        // SAFETY: as in `load`; `out` is a distinct Rust buffer.
        unsafe { core::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), out.len()) };
        Some(())
    }

    /// Copies `src` to `addr` (for helpers writing program memory).
    pub fn write_bytes(&self, addr: u64, src: &[u8]) -> Option<()> {
        if !self.check(addr, src.len() as u64, true) {
            return None;
        }
        // SAFETY: as in `store`; `src` is a distinct Rust buffer.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), addr as *mut u8, src.len()) };
        Some(())
    }

    /// An atomic read-modify-write of 4 or 8 aligned bytes; returns the old value.
    pub fn atomic(&self, addr: u64, size: u64, op: AtomicOp, v: u64) -> Option<u64> {
        if addr % size != 0 || !self.check(addr, size, true) {
            return None;
        }
        let o = Ordering::SeqCst;
        if size == 4 {
            // SAFETY: checked to lie in a writable region, and aligned.
            let a = unsafe { AtomicU32::from_ptr(addr as *mut u32) };
            let v = v as u32;
            return Some(u64::from(match op {
                AtomicOp::Add => a.fetch_add(v, o),
                AtomicOp::Or => a.fetch_or(v, o),
                AtomicOp::And => a.fetch_and(v, o),
                AtomicOp::Xor => a.fetch_xor(v, o),
                AtomicOp::Xchg => a.swap(v, o),
            }));
        }
        // SAFETY: checked to lie in a writable region, and aligned.
        let a = unsafe { AtomicU64::from_ptr(addr as *mut u64) };
        Some(match op {
            AtomicOp::Add => a.fetch_add(v, o),
            AtomicOp::Or => a.fetch_or(v, o),
            AtomicOp::And => a.fetch_and(v, o),
            AtomicOp::Xor => a.fetch_xor(v, o),
            AtomicOp::Xchg => a.swap(v, o),
        })
    }

    /// Atomic compare-and-exchange; returns the old value.
    pub fn cmpxchg(&self, addr: u64, size: u64, expected: u64, new: u64) -> Option<u64> {
        if addr % size != 0 || !self.check(addr, size, true) {
            return None;
        }
        let o = Ordering::SeqCst;
        if size == 4 {
            // SAFETY: checked to lie in a writable region, and aligned.
            let a = unsafe { AtomicU32::from_ptr(addr as *mut u32) };
            return Some(u64::from(
                a.compare_exchange(expected as u32, new as u32, o, o)
                    .unwrap_or_else(|x| x),
            ));
        }
        // SAFETY: checked to lie in a writable region, and aligned.
        let a = unsafe { AtomicU64::from_ptr(addr as *mut u64) };
        Some(a.compare_exchange(expected, new, o, o).unwrap_or_else(|x| x))
    }
}

/// Loads `size` (1, 2, 4 or 8) bytes at `addr`, zero-extended, without a
/// check (unaligned reads for every size).
///
/// # Safety
/// The bytes must lie inside memory that is alive and that no Rust
/// reference is writing: a buffer of the run's [`Memory`], a value of a map
/// it (or the running program) keeps alive, or memory a helper handed out.
#[inline]
pub unsafe fn load_unchecked(addr: u64, size: u64) -> u64 {
    let p = addr as *const u8;
    // SAFETY: the caller's.
    unsafe {
        match size {
            1 => u64::from(p.read()),
            2 => u64::from(p.cast::<u16>().read_unaligned()),
            4 => u64::from(p.cast::<u32>().read_unaligned()),
            _ => p.cast::<u64>().read_unaligned(),
        }
    }
}

/// Stores the low `size` (1, 2, 4 or 8) bytes of `v` at `addr` without a
/// check.
///
/// # Safety
/// As [`load_unchecked`], and the memory must be writable by programs.
#[inline]
pub unsafe fn store_unchecked(addr: u64, size: u64, v: u64) {
    let p = addr as *mut u8;
    // SAFETY: the caller's.
    unsafe {
        match size {
            1 => p.write(v as u8),
            2 => p.cast::<u16>().write_unaligned(v as u16),
            4 => p.cast::<u32>().write_unaligned(v as u32),
            _ => p.cast::<u64>().write_unaligned(v),
        }
    }
}
