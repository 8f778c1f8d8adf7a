//! The one funnel to the real kernel: bpf(2), close(2), and memory the
//! kernel reads and writes through user pointers.

#![allow(unsafe_code)]

use crate::perf::{EventAttr as PerfEventAttr, PerfSource};
use crate::{Backend, Errno, UserBuffer};
use std::cell::UnsafeCell;

/// Process memory handed to the real kernel by address.
struct HeapBuffer {
    bytes: Box<[UnsafeCell<u8>]>,
}

// SAFETY: the bytes are only accessed by copies through raw pointers
// (here, and by the kernel during a syscall the owner is waiting on).
unsafe impl Send for HeapBuffer {}
// SAFETY: as above.
unsafe impl Sync for HeapBuffer {}

impl UserBuffer for HeapBuffer {
    fn addr(&self) -> u64 {
        self.bytes.as_ptr() as u64
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn write(&self, off: usize, src: &[u8]) {
        assert!(
            off.checked_add(src.len()).is_some_and(|e| e <= self.bytes.len()),
            "write outside buffer"
        );
        // SAFETY: bounds checked above; UnsafeCell permits writes through a
        // shared reference, and no reference to the bytes is held elsewhere.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                UnsafeCell::raw_get(self.bytes.as_ptr().add(off)),
                src.len(),
            )
        }
    }

    fn read(&self, off: usize, len: usize) -> Vec<u8> {
        assert!(
            off.checked_add(len).is_some_and(|e| e <= self.bytes.len()),
            "read outside buffer"
        );
        let mut out = vec![0u8; len];
        // SAFETY: bounds checked above; see `write`.
        unsafe {
            std::ptr::copy_nonoverlapping(UnsafeCell::raw_get(self.bytes.as_ptr().add(off)), out.as_mut_ptr(), len)
        }
        out
    }
}

/// The real bpf(2) of the running Linux kernel, through libc.
///
/// ```no_run
/// use user_bindings::{maps::Array, sys::Syscall};
/// // On Linux, as root (or with unprivileged BPF allowed).
/// let a: Array<_, u64> = Array::create(&Syscall, 4).unwrap();
/// a.set(1, &7, 0).unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Syscall;

impl Syscall {
    /// Whether bpf(2) is usable here: a map can be created (and is closed
    /// again). `Err` carries the reason, for tests that skip.
    ///
    /// # Errors
    /// The reason bpf(2) is refused (no permission, not compiled in, ...).
    ///
    /// ```
    /// match user_bindings::sys::Syscall::probe() {
    ///     Ok(_) => println!("bpf(2) works here"),
    ///     Err(why) => println!("skipping: {why}"),
    /// }
    /// ```
    pub fn probe() -> Result<Syscall, String> {
        let s = Syscall;
        let attr = abi::MapCreateAttr {
            map_type: abi::MapType::Array.raw(),
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            ..Default::default()
        };
        let buf = s.buffer(std::mem::size_of_val(&attr));
        buf.write(0, zerocopy::IntoBytes::as_bytes(&attr));
        match s.bpf(abi::Cmd::MapCreate.raw(), buf.addr(), buf.len() as u32) {
            Ok(fd) => {
                let _ = s.close(fd);
                Ok(s)
            }
            Err(e) => Err(format!("bpf(BPF_MAP_CREATE) failed with errno {e}")),
        }
    }
}

impl Backend for Syscall {
    fn buffer(&self, len: usize) -> Box<dyn UserBuffer> {
        Box::new(HeapBuffer {
            bytes: (0..len.max(1)).map(|_| UnsafeCell::new(0)).collect(),
        })
    }

    fn bpf(&self, cmd: u32, attr: u64, size: u32) -> Result<u32, Errno> {
        // SAFETY: bpf(2) only reads and writes user memory through the
        // kernel's checked copies; a bad address is EFAULT, not UB here.
        let r = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd as libc::c_long,
                attr as libc::c_long,
                size as libc::c_long,
            )
        };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u32)
    }

    fn close(&self, fd: u32) -> Result<(), Errno> {
        // SAFETY: closing an fd number has no memory effects.
        if unsafe { libc::close(fd as libc::c_int) } < 0 {
            return Err(last_errno());
        }
        Ok(())
    }
}

impl crate::Sys for Syscall {
    unsafe fn bpf(&self, cmd: u32, attr: *mut u8, size: u32) -> Result<u32, Errno> {
        Backend::bpf(self, cmd, attr as u64, size)
    }

    fn close(&self, fd: u32) -> Result<(), Errno> {
        Backend::close(self, fd)
    }

    fn ringbuf_consume(&self, fd: u32, size: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize, Errno> {
        crate::os::ringbuf_consume(self, fd, size, f)
    }

    fn perf_open(&self, map_fd: u32, slots: u32, pages: u32) -> Result<Box<dyn PerfSource + '_>, Errno> {
        crate::os::perf_open(self, map_fd, slots, pages)
    }
}

fn last_errno() -> Errno {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl crate::os::Os for Syscall {
    fn page_size(&self) -> usize {
        // SAFETY: sysconf has no memory effects.
        unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
    }

    fn mmap(&self, fd: u32, len: usize, prot: usize, offset: usize) -> Result<usize, Errno> {
        // SAFETY: a new shared mapping (no address asked for); the kernel
        // checks the fd, the length and the offset.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot as libc::c_int,
                crate::os::MAP_SHARED as libc::c_int,
                fd as libc::c_int,
                offset as libc::off_t,
            )
        };
        if at == libc::MAP_FAILED {
            return Err(last_errno());
        }
        Ok(at as usize)
    }

    unsafe fn munmap(&self, at: usize, len: usize) {
        // SAFETY: the caller's contract: a mapping of ours, unused after.
        unsafe { libc::munmap(at as *mut libc::c_void, len) };
    }

    fn perf_event_open(&self, attr: &PerfEventAttr, cpu: u32) -> Result<u32, Errno> {
        // SAFETY: the kernel reads `attr.size` (64) bytes of `attr`.
        let r = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                attr as *const PerfEventAttr,
                -1 as libc::c_int,
                cpu as libc::c_int,
                -1 as libc::c_int,
                crate::perf::FLAG_FD_CLOEXEC as libc::c_ulong,
            )
        };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u32)
    }
}
