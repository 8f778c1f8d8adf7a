//! The hosted platform: kernel-bpf in a normal process, for tests,
//! benchmarks, the demo and the in-process user backend.
//!
//! "User memory" is memory of this process that was handed out as
//! [`UserMem`] and is still alive: a user pointer is valid only inside such a
//! block, so null, dangling and stray pointers are `EFAULT`, never a crash.
//! [`Hosted::whole_process`] makes it all of the process's memory instead
//! (for C programs linked with the hosted kernel): copies then go through
//! `process_vm_readv`/`process_vm_writev`, so an unmapped or read-only
//! address is still `EFAULT`.
//! CPUs are simulated: each thread runs on one of `cpus` CPUs (round-robin on
//! first use, or chosen with [`Hosted::set_current_cpu`]). The clock is real
//! unless fixed with [`Hosted::set_time_ns`].

#![allow(unsafe_code)]

pub mod sim;

use crate::error::{Error, Result};
use crate::platform::{CodeMapping, Platform, Task, TASK_COMM_LEN};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::Cell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::time::Instant;

/// The registered user ranges, `[start, end)`, sorted and disjoint.
#[derive(Default)]
struct Ranges {
    list: spin::RwLock<Vec<(u64, u64)>>,
}

impl Ranges {
    /// Runs `f` while `[addr, addr + len)` is known to lie in one live block.
    fn with_valid<T>(&self, addr: u64, len: usize, f: impl FnOnce() -> T) -> Result<T> {
        let bad = Error::BadAddress { addr, len };
        let end = addr.checked_add(len as u64).ok_or(bad)?;
        let list = self.list.read();
        let i = list.partition_point(|&(start, _)| start <= addr);
        let ok = i > 0 && end <= list[i - 1].1;
        if !ok {
            return Err(bad);
        }
        // The read lock keeps the block alive (UserMem's Drop takes the write
        // lock before freeing).
        Ok(f())
    }
}

/// A block of simulated user memory. Its addresses (`addr`, `at`) are what
/// commands and programs receive as user pointers; it is zeroed when made.
/// Reads and writes through this handle must not race with a command that
/// uses the same bytes from another thread.
pub struct UserMem {
    ptr: NonNull<u8>,
    len: usize,
    ranges: Arc<Ranges>,
}

// SAFETY: UserMem owns its allocation; all access goes through raw pointers
// with bounds checks, so moving or sharing the handle across threads is sound.
unsafe impl Send for UserMem {}
// SAFETY: as above; shared access only copies bytes through raw pointers.
unsafe impl Sync for UserMem {}

impl UserMem {
    const ALIGN: usize = 8;

    /// The address of the first byte.
    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    /// The address of byte `off` (may be one past the end).
    ///
    /// # Panics
    /// If `off > len` (a test bug, not user input).
    pub fn at(&self, off: usize) -> u64 {
        assert!(off <= self.len, "offset {off} outside a {}-byte UserMem", self.len);
        self.addr() + off as u64
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the block is empty (never: blocks have at least one byte).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes `bytes` at `off`.
    ///
    /// # Panics
    /// If the bytes do not fit (a test bug, not user input).
    pub fn write(&self, off: usize, bytes: &[u8]) {
        assert!(
            off.checked_add(bytes.len()).is_some_and(|e| e <= self.len),
            "write outside UserMem"
        );
        // SAFETY: the range was checked against the allocation just above.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr().add(off), bytes.len()) }
    }

    /// Reads `len` bytes at `off`.
    ///
    /// # Panics
    /// If the bytes are outside the block (a test bug, not user input).
    pub fn read(&self, off: usize, len: usize) -> Vec<u8> {
        assert!(
            off.checked_add(len).is_some_and(|e| e <= self.len),
            "read outside UserMem"
        );
        let mut out = alloc::vec![0u8; len];
        // SAFETY: the range was checked against the allocation just above.
        unsafe { core::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(off), out.as_mut_ptr(), len) }
        out
    }
}

impl Drop for UserMem {
    fn drop(&mut self) {
        let start = self.addr();
        self.ranges.list.write().retain(|&(s, _)| s != start);
        // SAFETY: allocated in `Hosted::user_mem` with this layout, and no
        // longer reachable through `Ranges` (removed under the write lock).
        unsafe {
            dealloc(
                self.ptr.as_ptr(),
                Layout::from_size_align_unchecked(self.len, Self::ALIGN),
            )
        }
    }
}

/// Pages of this process holding a compiled program: whole pages of the
/// heap, written, then made read-only and executable (`mprotect`); made
/// writable again and given back on drop.
///
/// The heap, not a mapping of their own: a mapping lands gigabytes away
/// from this program's code (under the stack), and calls between code so
/// far apart cost more (an empty compiled program, called 5 million
/// times: 2.0 ns a call from its own mapping, 1.35 ns from the heap, as
/// for a Rust function). Linux places its JIT's images near the kernel's
/// code (the module area) for the same reason.
struct Executable {
    ptr: NonNull<u8>,
    len: usize,
    mapped: usize,
}

// SAFETY: the pages are read-only once made executable; nothing writes
// them after `new`.
unsafe impl Send for Executable {}
// SAFETY: as above.
unsafe impl Sync for Executable {}

impl Executable {
    /// The page size (what `mprotect` works in).
    fn page() -> usize {
        // SAFETY: sysconf has no memory effects.
        unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize
    }

    fn new(code: &[u8]) -> Option<Executable> {
        let page = Self::page();
        let mapped = code.len().max(1).checked_next_multiple_of(page)?;
        // Whole pages: no other allocation shares one, so none is made
        // read-only with them.
        let layout = Layout::from_size_align(mapped, page).ok()?;
        // SAFETY: `layout` has a nonzero size.
        let ptr = NonNull::new(unsafe { std::alloc::alloc(layout) })?;
        let exe = Executable {
            ptr,
            len: code.len(),
            mapped,
        };
        // SAFETY: the block is `mapped >= code.len()` writable bytes, ours
        // alone until this returns.
        unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), ptr.as_ptr(), code.len()) };
        // SAFETY: the block's pages, from now on read-only and executable.
        let sealed = unsafe { libc::mprotect(ptr.as_ptr().cast(), mapped, libc::PROT_READ | libc::PROT_EXEC) };
        // Where that failed, drop makes them writable (as they are) and
        // frees them.
        (sealed == 0).then_some(exe)
    }
}

impl CodeMapping for Executable {
    fn addr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Executable {
    fn drop(&mut self) {
        // SAFETY: the block's pages from `new`; the program that ran them
        // is gone with its owner. Writable again before the allocator
        // has them back (it writes freed blocks).
        let writable = unsafe {
            libc::mprotect(
                self.ptr.as_ptr().cast(),
                self.mapped,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if writable != 0 {
            // Not given back (a leak), rather than given back read-only.
            return;
        }
        // SAFETY: allocated in `new` with this layout (whole pages, aligned
        // to one).
        unsafe {
            dealloc(
                self.ptr.as_ptr(),
                Layout::from_size_align_unchecked(self.mapped, Self::page()),
            )
        };
    }
}

/// Number of possible CPUs of this machine, from
/// `/sys/devices/system/cpu/possible` ("0-3", "0,2-5"), as libbpf counts
/// them (Linux sizes per-CPU values by it); 1 if it cannot be read.
pub fn possible_cpus() -> u32 {
    crate::platform::count_cpu_list(&std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default())
}

/// Copies `len` bytes between `local` and this process's address `remote`
/// (into `remote` when `write`) through the kernel, which refuses an
/// unmapped or (for a write) read-only `remote` with EFAULT instead of
/// faulting.
fn process_copy(remote: u64, local: *mut u8, len: usize, write: bool) -> Result<()> {
    let bad = Error::BadAddress { addr: remote, len };
    let local_iov = libc::iovec {
        iov_base: local.cast(),
        iov_len: len,
    };
    let remote_iov = libc::iovec {
        iov_base: remote as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: `local` is a live buffer of `len` bytes that the caller lends
    // (writable unless `write`); the kernel checks every `remote` byte.
    let n = unsafe {
        let pid = libc::getpid();
        if write {
            libc::process_vm_writev(pid, &local_iov, 1, &remote_iov, 1, 0)
        } else {
            libc::process_vm_readv(pid, &local_iov, 1, &remote_iov, 1, 0)
        }
    };
    if n == len as isize {
        Ok(())
    } else {
        Err(bad)
    }
}

std::thread_local! {
    static CPU: Cell<Option<u32>> = const { Cell::new(None) };
}
static NEXT_CPU: AtomicU32 = AtomicU32::new(0);

/// The hosted platform.
pub struct Hosted {
    ranges: Arc<Ranges>,
    /// User memory is the whole process (see [`Hosted::whole_process`]).
    whole_process: bool,
    cpus: u32,
    start: Instant,
    fixed_time: AtomicU64,
    time_is_fixed: AtomicBool,
    suspended_ns: AtomicU64,
    task: spin::Mutex<Task>,
    console: spin::Mutex<String>,
    echo: AtomicBool,
    rng: AtomicU64,
    sites: sim::Sites,
    task_addr: AtomicU64,
}

impl Default for Hosted {
    fn default() -> Self {
        Hosted::new(4)
    }
}

impl Hosted {
    /// A platform with `cpus` simulated CPUs (at least one).
    pub fn new(cpus: u32) -> Hosted {
        let mut comm = [0u8; TASK_COMM_LEN];
        comm[..6].copy_from_slice(b"hosted");
        let pid = std::process::id();
        Hosted {
            ranges: Arc::default(),
            whole_process: false,
            cpus: cpus.max(1),
            start: Instant::now(),
            fixed_time: AtomicU64::new(0),
            time_is_fixed: AtomicBool::new(false),
            suspended_ns: AtomicU64::new(0),
            task: spin::Mutex::new(Task {
                pid,
                tgid: pid,
                uid: 0,
                gid: 0,
                comm,
            }),
            console: spin::Mutex::new(String::new()),
            echo: AtomicBool::new(false),
            rng: AtomicU64::new(0x9e37_79b9_7f4a_7c15),
            sites: sim::Sites::default(),
            task_addr: AtomicU64::new(0),
        }
    }

    /// A platform whose user memory is every mapped address of this
    /// process, as a system call sees a process's memory: for a C program
    /// that passes its own pointers to the hosted kernel.
    pub fn whole_process(cpus: u32) -> Hosted {
        Hosted {
            whole_process: true,
            ..Hosted::new(cpus)
        }
    }

    /// A zeroed block of `len` (at least 1) bytes of user memory.
    ///
    /// # Panics
    /// If the process is out of memory.
    pub fn user_mem(&self, len: usize) -> UserMem {
        let len = len.max(1);
        let layout = Layout::from_size_align(len, UserMem::ALIGN).expect("UserMem size");
        // SAFETY: the layout has a non-zero size.
        let ptr = NonNull::new(unsafe { alloc_zeroed(layout) }).expect("out of memory");
        let start = ptr.as_ptr() as u64;
        let mut list = self.ranges.list.write();
        let i = list.partition_point(|&(s, _)| s < start);
        list.insert(i, (start, start + len as u64));
        drop(list);
        UserMem {
            ptr,
            len,
            ranges: self.ranges.clone(),
        }
    }

    /// Runs the current thread on simulated CPU `cpu` (taken modulo the count).
    pub fn set_current_cpu(cpu: u32) {
        CPU.with(|c| c.set(Some(cpu)));
    }

    /// Fixes the clock at `ns` (`None`: the real clock again).
    pub fn set_time_ns(&self, ns: Option<u64>) {
        self.fixed_time.store(ns.unwrap_or(0), Ordering::Relaxed);
        self.time_is_fixed.store(ns.is_some(), Ordering::Relaxed);
    }

    /// Time spent "suspended": boot time runs ahead of monotonic time by it.
    pub fn set_suspended_ns(&self, ns: u64) {
        self.suspended_ns.store(ns, Ordering::Relaxed);
    }

    /// Sets the current task.
    pub fn set_task(&self, task: Task) {
        *self.task.lock() = task;
    }

    /// The probe sites of the simulated kernel ([`sim`]).
    pub fn sites(&self) -> &sim::Sites {
        &self.sites
    }

    /// Sets what bpf_get_current_task returns.
    pub fn set_current_task_addr(&self, addr: u64) {
        self.task_addr.store(addr, Ordering::Relaxed);
    }

    /// Seeds the random source.
    pub fn seed(&self, seed: u64) {
        self.rng.store(seed | 1, Ordering::Relaxed);
    }

    /// Also print console output to stdout.
    pub fn echo_console(&self, on: bool) {
        self.echo.store(on, Ordering::Relaxed);
    }

    /// Takes what was written to the console so far.
    pub fn take_console(&self) -> String {
        core::mem::take(&mut *self.console.lock())
    }
}

impl Platform for Hosted {
    fn symbol_addr(&self, name: &str) -> Option<u64> {
        sim::symbol_addr(name)
    }

    fn map_code(&self, code: &[u8]) -> Option<Box<dyn CodeMapping>> {
        Executable::new(code).map(|e| Box::new(e) as Box<dyn CodeMapping>)
    }

    fn register_probe(&self, probe: &crate::attach::ProbeSpec<'_>) -> Result<()> {
        let site = sim::Sites::site_of(probe.kind, probe.name).ok_or(Error::NotFound)?;
        self.sites.set(site, Some(probe.id));
        Ok(())
    }

    fn unregister_probe(&self, probe: &crate::attach::ProbeSpec<'_>) {
        if let Some(site) = sim::Sites::site_of(probe.kind, probe.name) {
            self.sites.set(site, None);
        }
    }

    fn stack_trace(&self, _user: bool, out: &mut [u64]) -> usize {
        sim::stack_trace(out)
    }

    fn current_task_addr(&self) -> u64 {
        self.task_addr.load(Ordering::Relaxed)
    }

    fn copy_from_user(&self, src: u64, dst: &mut [u8]) -> Result<()> {
        if dst.is_empty() {
            return Ok(());
        }
        if self.whole_process {
            return process_copy(src, dst.as_mut_ptr(), dst.len(), false);
        }
        self.ranges.with_valid(src, dst.len(), || {
            // SAFETY: `with_valid` checked that the source lies in a live
            // block and keeps it alive during the copy; `dst` is a distinct
            // Rust buffer.
            unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr(), dst.len()) }
        })
    }

    fn copy_to_user(&self, dst: u64, src: &[u8]) -> Result<()> {
        if src.is_empty() {
            return Ok(());
        }
        if self.whole_process {
            // The local side is only read.
            return process_copy(dst, src.as_ptr().cast_mut(), src.len(), true);
        }
        self.ranges.with_valid(dst, src.len(), || {
            // SAFETY: as in copy_from_user, for the destination.
            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, src.len()) }
        })
    }

    fn current_task(&self) -> Task {
        *self.task.lock()
    }

    fn monotonic_ns(&self) -> u64 {
        if self.time_is_fixed.load(Ordering::Relaxed) {
            return self.fixed_time.load(Ordering::Relaxed);
        }
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn boot_ns(&self) -> u64 {
        self.monotonic_ns()
            .saturating_add(self.suspended_ns.load(Ordering::Relaxed))
    }

    fn cpu_id(&self) -> u32 {
        let cpu = CPU.with(|c| match c.get() {
            Some(cpu) => cpu,
            None => {
                let cpu = NEXT_CPU.fetch_add(1, Ordering::Relaxed);
                c.set(Some(cpu));
                cpu
            }
        });
        cpu % self.cpus
    }

    fn cpu_count(&self) -> u32 {
        self.cpus
    }

    fn console(&self, text: &str) {
        if self.echo.load(Ordering::Relaxed) {
            std::print!("{text}");
        }
        self.console.lock().push_str(text);
    }

    fn random_u32(&self) -> u32 {
        // xorshift64*, one atomic step per number.
        let step = |mut x: u64| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x
        };
        let prev = self
            .rng
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| Some(step(x)))
            .unwrap_or(1);
        (step(prev).wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_process_memory_is_checked_by_the_kernel() {
        let h = Hosted::whole_process(2);
        let mut buf = [0u8; 5];
        let text = *b"hello";
        h.copy_from_user(text.as_ptr() as u64, &mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        let mut out = [0u8; 3];
        h.copy_to_user(out.as_mut_ptr() as u64, b"abc").unwrap();
        assert_eq!(&out, b"abc");
        // Null, the unmapped first page, and read-only code.
        for addr in [0u64, 4096] {
            assert_eq!(
                h.copy_from_user(addr, &mut buf),
                Err(Error::BadAddress { addr, len: 5 })
            );
        }
        let code = whole_process_memory_is_checked_by_the_kernel as *const () as u64;
        assert_eq!(
            h.copy_to_user(code, b"x"),
            Err(Error::BadAddress { addr: code, len: 1 })
        );
    }

    #[test]
    fn user_memory_is_checked() {
        let h = Hosted::new(2);
        let m = h.user_mem(16);
        m.write(0, b"hello");
        let mut buf = [0u8; 5];
        h.copy_from_user(m.addr(), &mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        assert_eq!(
            h.copy_from_user(0, &mut buf),
            Err(Error::BadAddress { addr: 0, len: 5 })
        );
        assert_eq!(
            h.copy_from_user(m.at(12), &mut buf),
            Err(Error::BadAddress { addr: m.at(12), len: 5 })
        );
        assert!(h.copy_from_user(u64::MAX - 2, &mut buf).is_err());
        h.copy_to_user(m.at(11), b"world").unwrap();
        assert_eq!(m.read(11, 5), b"world");
        let addr = m.addr();
        drop(m);
        assert!(h.copy_from_user(addr, &mut buf).is_err(), "freed memory stays invalid");
        assert!(h.copy_from_user(addr, &mut []).is_ok(), "empty copies need no memory");
    }

    #[test]
    fn user_strings_are_bounded() {
        let h = Hosted::new(1);
        let m = h.user_mem(8);
        m.write(0, b"abc\0");
        let mut buf = [0u8; 8];
        assert_eq!(h.read_user_str(m.addr(), &mut buf), Ok(3));
        m.write(0, b"abcdefgh");
        assert_eq!(h.read_user_str(m.addr(), &mut buf), Err(Error::InvalidArgument));
        assert!(matches!(
            h.read_user_str(m.addr(), &mut [0u8; 9]),
            Err(Error::BadAddress { .. })
        ));
    }

    #[test]
    fn clock_cpus_and_random() {
        let h = Hosted::new(3);
        h.set_time_ns(Some(42));
        assert_eq!(h.monotonic_ns(), 42);
        h.set_suspended_ns(8);
        assert_eq!(h.boot_ns(), 50);
        Hosted::set_current_cpu(5);
        assert_eq!(h.cpu_id(), 2);
        let a: Vec<u32> = (0..4).map(|_| h.random_u32()).collect();
        assert!(a.windows(2).all(|w| w[0] != w[1]), "{a:?}");
    }
}
