//! What the backends that make Linux system calls (libc's
//! [`crate::sys::Syscall`] and [`crate::direct::DirectSyscall`]) share
//! above the calls themselves: shared mappings, and the ring-buffer and
//! perf-buffer readers built on them. `no_std`.

#![allow(unsafe_code)]

use crate::perf::{self, EventAttr, PerfSource};
use crate::{raw, Errno, Sys};
use alloc::boxed::Box;
use alloc::vec::Vec;

pub(crate) const PROT_READ: usize = 1;
pub(crate) const PROT_WRITE: usize = 2;
pub(crate) const MAP_SHARED: usize = 1;

/// The system calls beyond bpf(2) and close(2) that the readers need.
pub(crate) trait Os: Sys {
    /// The size of a page.
    fn page_size(&self) -> usize;

    /// mmap(2) of `len` bytes of `fd` from `offset`, shared, with `prot`;
    /// the address.
    fn mmap(&self, fd: u32, len: usize, prot: usize, offset: usize) -> Result<usize, Errno>;

    /// munmap(2).
    ///
    /// # Safety
    /// `at` and `len` are a mapping `mmap` made, which nothing uses after.
    unsafe fn munmap(&self, at: usize, len: usize);

    /// perf_event_open(2) for any process on `cpu`, close-on-exec.
    fn perf_event_open(&self, attr: &EventAttr, cpu: u32) -> Result<u32, Errno>;
}

/// A shared mapping of an fd, unmapped on drop.
struct Mapping<'a, O: Os> {
    os: &'a O,
    at: usize,
    len: usize,
}

impl<'a, O: Os> Mapping<'a, O> {
    fn new(os: &'a O, fd: u32, len: usize, prot: usize, offset: usize) -> Result<Self, Errno> {
        Ok(Mapping {
            os,
            at: os.mmap(fd, len, prot, offset)?,
            len,
        })
    }
}

impl<O: Os> Drop for Mapping<'_, O> {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, not used after this.
        unsafe { self.os.munmap(self.at, self.len) };
    }
}

/// Consumes the ready records of the ring buffer `fd` of `size` bytes
/// (see [`crate::ringbuf`]).
pub(crate) fn ringbuf_consume<O: Os>(os: &O, fd: u32, size: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize, Errno> {
    let (page, size) = (os.page_size(), size as usize);
    crate::ringbuf::check(size, page)?;
    let consumer = Mapping::new(os, fd, page, PROT_READ | PROT_WRITE, 0)?;
    let producer = Mapping::new(os, fd, page + 2 * size, PROT_READ, page)?;
    // SAFETY: the two mappings are the ring buffer's consumer page and its
    // producer page with the data twice, as `consume` needs, and live
    // until it returns.
    unsafe { crate::ringbuf::consume(consumer.at as *mut u8, producer.at as *const u8, page, size, f) }
}

/// One CPU's event and its mapped ring.
struct Ring<'a, O: Os> {
    cpu: u32,
    event: u32,
    mapping: Mapping<'a, O>,
}

/// The per-CPU events of a PERF_EVENT_ARRAY, each in its slot, and their
/// rings; the slots are emptied and the events closed on drop.
struct Events<'a, O: Os> {
    os: &'a O,
    map_fd: u32,
    rings: Vec<Ring<'a, O>>,
    scratch: Vec<u8>,
}

impl<O: Os> Drop for Events<'_, O> {
    fn drop(&mut self) {
        for ring in core::mem::take(&mut self.rings) {
            let mut key = ring.cpu;
            let mut attr = abi::MapElemAttr {
                map_fd: self.map_fd,
                key: &raw mut key as u64,
                ..Default::default()
            };
            // SAFETY: the key is the map's 4 bytes, alive during the call.
            // A failure leaves a slot whose event is closed below, which the
            // kernel treats as empty.
            let _ = unsafe { raw::map_delete_elem(self.os, &mut attr) };
            drop(ring.mapping);
            let _ = self.os.close(ring.event);
        }
    }
}

impl<O: Os> PerfSource for Events<'_, O> {
    fn read(&mut self, f: &mut dyn FnMut(u32, &[u8])) -> Result<(usize, u64), Errno> {
        let (mut n, mut lost) = (0, 0);
        for ring in &self.rings {
            // SAFETY: the ring's mapping lives as long as `ring`.
            let (a, b) = unsafe {
                perf::consume(
                    ring.mapping.at as *mut u8,
                    ring.mapping.len,
                    self.os.page_size(),
                    ring.cpu,
                    &mut self.scratch,
                    f,
                )
            }?;
            n += a;
            lost += b;
        }
        Ok((n, lost))
    }
}

/// Opens a BPF output event on each CPU that slot `cpu` of the
/// PERF_EVENT_ARRAY `map_fd` (of `slots` slots) names, maps its ring of
/// `pages` data pages, and stores it in the slot, as libbpf's perf buffer
/// does; CPUs that are offline (ENODEV) are left out.
pub(crate) fn perf_open<O: Os>(os: &O, map_fd: u32, slots: u32, pages: u32) -> Result<Box<dyn PerfSource + '_>, Errno> {
    if !pages.is_power_of_two() {
        return Err(abi::Errno::EINVAL.raw());
    }
    let mut events = Events {
        os,
        map_fd,
        rings: Vec::new(),
        scratch: Vec::new(),
    };
    let len = (pages as usize + 1)
        .checked_mul(os.page_size())
        .ok_or(abi::Errno::E2BIG.raw())?;
    for cpu in 0..slots.min(os.possible_cpus()) {
        let event = match os.perf_event_open(&EventAttr::bpf_output(), cpu) {
            Ok(fd) => fd,
            Err(e) if e == abi::Errno::ENODEV.raw() => continue,
            Err(e) => return Err(e),
        };
        let mapping = match Mapping::new(os, event, len, PROT_READ | PROT_WRITE, 0) {
            Ok(m) => m,
            Err(e) => {
                let _ = os.close(event);
                return Err(e);
            }
        };
        events.rings.push(Ring { cpu, event, mapping });
        let (mut key, mut value) = (cpu, event);
        let mut attr = abi::MapElemAttr {
            map_fd,
            key: &raw mut key as u64,
            value: &raw mut value as u64,
            ..Default::default()
        };
        // SAFETY: key and value are the map's 4 bytes each, alive during
        // the call.
        unsafe { raw::map_update_elem(os, &mut attr) }?;
    }
    Ok(Box::new(events))
}
