//! The one funnel to the real kernel: bpf(2), close(2), and memory the
//! kernel reads and writes through user pointers.

#![allow(unsafe_code)]

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

/// The real bpf(2) of the running Linux kernel.
#[derive(Clone, Copy, Debug, Default)]
pub struct Syscall;

impl Syscall {
    /// Whether bpf(2) is usable here: a map can be created (and is closed
    /// again). `Err` carries the reason, for tests that skip.
    ///
    /// # Errors
    /// The reason bpf(2) is refused (no permission, not compiled in, ...).
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
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        Ok(r as u32)
    }

    fn close(&self, fd: u32) -> Result<(), Errno> {
        // SAFETY: closing an fd number has no memory effects.
        if unsafe { libc::close(fd as libc::c_int) } < 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
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
        ringbuf_consume(fd, size as usize, f)
    }
}

/// A shared mapping of a bpf object's fd, unmapped on drop.
struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Mapping {
    fn new(fd: u32, len: usize, prot: libc::c_int, offset: usize) -> Result<Mapping, Errno> {
        // SAFETY: a new shared mapping of the fd; the kernel checks the
        // fd, the length and the offset.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd as libc::c_int,
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        Ok(Mapping { ptr, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, not used after this.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// Consumes the ready records of a ring buffer mapped with libc's mmap
/// (see [`crate::ringbuf`]).
fn ringbuf_consume(fd: u32, size: usize, f: &mut dyn FnMut(&[u8])) -> Result<usize, Errno> {
    // SAFETY: sysconf has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    crate::ringbuf::check(size, page)?;
    let consumer = Mapping::new(fd, page, libc::PROT_READ | libc::PROT_WRITE, 0)?;
    let producer = Mapping::new(fd, page + 2 * size, libc::PROT_READ, page)?;
    // SAFETY: the two mappings are the ring buffer's consumer page and its
    // producer page with the data twice, as `consume` needs, and live
    // until it returns.
    unsafe { crate::ringbuf::consume(consumer.ptr.cast(), producer.ptr.cast(), page, size, f) }
}
