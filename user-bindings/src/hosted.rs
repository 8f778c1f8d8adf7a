//! The in-process backend: a hosted kernel-bpf.

use crate::perf::PerfSource;
use crate::{Backend, Errno, UserBuffer};
use kernel_bpf::hosted::{Hosted, UserMem};
use kernel_bpf::Bpf;
use std::sync::Arc;

impl UserBuffer for UserMem {
    fn addr(&self) -> u64 {
        UserMem::addr(self)
    }
    fn len(&self) -> usize {
        UserMem::len(self)
    }
    fn write(&self, off: usize, src: &[u8]) {
        UserMem::write(self, off, src)
    }
    fn read(&self, off: usize, len: usize) -> Vec<u8> {
        UserMem::read(self, off, len)
    }
}

/// bpf(2) served by a kernel-bpf in this process, over buffers of its
/// own (the [`Backend`] of [`crate::Client`]).
///
/// ```
/// use user_bindings::{hosted::HostedBackend, Client};
/// let c = Client::new(HostedBackend::new(2));
/// assert!(c.backend().bpf.objects().is_empty());
/// ```
#[derive(Clone)]
pub struct HostedBackend {
    /// The kernel.
    pub bpf: Arc<Bpf<Hosted>>,
}

impl HostedBackend {
    /// A new kernel with `cpus` simulated CPUs.
    ///
    /// ```
    /// # use user_bindings::hosted::HostedBackend;
    /// assert_eq!(kernel_bpf::Platform::cpu_count(HostedBackend::new(4).bpf.platform()), 4);
    /// ```
    pub fn new(cpus: u32) -> HostedBackend {
        HostedBackend {
            bpf: Arc::new(Bpf::new(Hosted::new(cpus))),
        }
    }
}

impl Backend for HostedBackend {
    fn buffer(&self, len: usize) -> Box<dyn UserBuffer> {
        Box::new(self.bpf.platform().user_mem(len))
    }

    fn bpf(&self, cmd: u32, attr: u64, size: u32) -> Result<u32, Errno> {
        match self.bpf.sys_bpf(cmd, attr, size) {
            Ok(v) => Ok(v as u32),
            Err(e) => Err(e.raw()),
        }
    }

    fn close(&self, fd: u32) -> Result<(), Errno> {
        self.bpf.close(fd).map_err(|e| e.errno().raw())
    }
}

/// bpf(2) served by a kernel-bpf in this process whose user memory is the
/// whole process ([`Hosted::whole_process`]): the [`crate::Sys`] of the
/// low-level layer, taking this process's own pointers as the system call
/// does (and refusing unmapped ones with EFAULT).
///
/// ```
/// use user_bindings::{hosted::Process, maps::Array, Sys};
/// let sys = Process::new(4);
/// assert_eq!(sys.possible_cpus(), 4);
/// let a: Array<_, u32> = Array::create(&sys, 1).unwrap();
/// assert_eq!(sys.bpf.objects().len(), 1);
/// # drop(a);
/// ```
#[derive(Clone)]
pub struct Process {
    /// The kernel.
    pub bpf: Arc<Bpf<Hosted>>,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process").finish_non_exhaustive()
    }
}

impl Process {
    /// A new kernel with `cpus` simulated CPUs.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, Sys};
    /// assert_eq!(Process::new(2).possible_cpus(), 2);
    /// ```
    pub fn new(cpus: u32) -> Process {
        Process {
            bpf: Arc::new(Bpf::new(Hosted::whole_process(cpus))),
        }
    }
}

// The kernel copies through checked process-memory calls; the unsafety is
// the caller's side of `Sys::bpf`.
#[allow(unsafe_code)]
impl crate::Sys for Process {
    unsafe fn bpf(&self, cmd: u32, attr: *mut u8, size: u32) -> Result<u32, Errno> {
        match self.bpf.sys_bpf(cmd, attr as u64, size) {
            Ok(v) => Ok(v as u32),
            Err(e) => Err(e.raw()),
        }
    }

    fn close(&self, fd: u32) -> Result<(), Errno> {
        self.bpf.close(fd).map_err(|e| e.errno().raw())
    }

    fn possible_cpus(&self) -> u32 {
        kernel_bpf::Platform::cpu_count(self.bpf.platform())
    }

    fn ringbuf_consume(&self, fd: u32, _size: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize, Errno> {
        self.bpf.consume_ringbuf(fd, f).map_err(|e| e.errno().raw())
    }

    fn perf_open(&self, map_fd: u32, slots: u32, pages: u32) -> Result<Box<dyn PerfSource + '_>, Errno> {
        if !pages.is_power_of_two() {
            return Err(abi::Errno::EINVAL.raw());
        }
        self.bpf.open_perf_buffer(map_fd).map_err(|e| e.errno().raw())?;
        Ok(Box::new(PerfSlots {
            process: self,
            map_fd,
            slots,
            padded: Vec::new(),
        }))
    }
}

/// The hosted kernel's PERF_EVENT_ARRAY slots, drained in the kernel and
/// handed over as Linux hands them (padded: [`crate::perf::padded_len`]);
/// closed on drop, as the Linux reader empties its slots.
struct PerfSlots<'a> {
    process: &'a Process,
    map_fd: u32,
    slots: u32,
    padded: Vec<u8>,
}

impl Drop for PerfSlots<'_> {
    fn drop(&mut self) {
        if let Ok(map) = self.process.bpf.map(self.map_fd) {
            for slot in 0..self.slots {
                let _ = map.delete(&slot.to_ne_bytes());
            }
        }
    }
}

impl PerfSource for PerfSlots<'_> {
    fn read(&mut self, f: &mut dyn FnMut(u32, &[u8])) -> Result<(usize, u64), Errno> {
        let padded = &mut self.padded;
        let mut pad = |cpu: u32, record: &[u8]| {
            padded.clear();
            padded.extend_from_slice(record);
            padded.resize(crate::perf::padded_len(record.len()), 0);
            f(cpu, padded);
        };
        self.process
            .bpf
            .consume_perf(self.map_fd, &mut pad)
            .map_err(|e| e.errno().raw())
    }
}
