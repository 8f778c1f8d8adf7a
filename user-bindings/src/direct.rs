//! bpf(2), close(2), and for the readers of ring and perf buffers mmap(2),
//! munmap(2) and perf_event_open(2), issued directly, without a C library:
//! the `syscall` (x86_64) or `ecall` (riscv64) instruction with the numbers
//! of the description (`abi::SYS_BPF`, `abi::SYS_CLOSE`, `abi::SYS_MMAP`,
//! `abi::SYS_MUNMAP`, `abi::SYS_PERF_EVENT_OPEN`). For rCore's Rust user
//! programs, which have no libc; `no_std`.

#![allow(unsafe_code)]

use crate::perf::{EventAttr, PerfSource};
use crate::{Errno, Sys};
use alloc::boxed::Box;

/// The system call, made directly.
///
/// ```no_run
/// use user_bindings::{direct::DirectSyscall, maps::HashMap};
/// // On Linux (root) or rCore: the kernel's own maps.
/// let m: HashMap<_, u32, u64> = HashMap::create(&DirectSyscall, 16).unwrap();
/// m.insert(&1, &1, 0).unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectSyscall;

/// A three-argument system call: the raw return (negative errno on failure).
///
/// # Safety
/// The call's own contract: pointers among the arguments must be valid for
/// what the kernel does with them.
#[cfg(target_arch = "x86_64")]
unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> isize {
    let ret: isize;
    // SAFETY: the Linux x86_64 system call convention: number in rax,
    // arguments in rdi, rsi, rdx; the kernel clobbers rcx and r11.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a,
            in("rsi") b,
            in("rdx") c,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// As for x86_64.
///
/// # Safety
/// As for x86_64.
#[cfg(target_arch = "riscv64")]
unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> isize {
    let ret: isize;
    // SAFETY: the Linux (and rCore) riscv64 convention: number in a7,
    // arguments in a0..a2, the result in a0.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") a as isize => ret,
            in("a1") b,
            in("a2") c,
            in("a7") nr,
            options(nostack),
        );
    }
    ret
}

/// The kernel's answer: a result, or `-errno` in [-4095, -1].
fn result(ret: isize) -> Result<u32, Errno> {
    if (-4095..0).contains(&ret) {
        Err(-ret as Errno)
    } else {
        Ok(ret as u32)
    }
}

impl Sys for DirectSyscall {
    unsafe fn bpf(&self, cmd: u32, attr: *mut u8, size: u32) -> Result<u32, Errno> {
        // SAFETY: the caller's contract is the system call's.
        result(unsafe { syscall3(abi::SYS_BPF, cmd as usize, attr as usize, size as usize) })
    }

    fn close(&self, fd: u32) -> Result<(), Errno> {
        // SAFETY: closing an fd number has no memory effects.
        result(unsafe { syscall3(abi::SYS_CLOSE, fd as usize, 0, 0) }).map(|_| ())
    }

    fn ringbuf_consume(&self, fd: u32, size: u32, f: &mut dyn FnMut(&[u8])) -> Result<usize, Errno> {
        crate::os::ringbuf_consume(self, fd, size, f)
    }

    fn perf_open(&self, map_fd: u32, slots: u32, pages: u32) -> Result<Box<dyn PerfSource + '_>, Errno> {
        crate::os::perf_open(self, map_fd, slots, pages)
    }
}

impl crate::os::Os for DirectSyscall {
    fn page_size(&self) -> usize {
        abi::PAGE_SIZE as usize
    }

    fn mmap(&self, fd: u32, len: usize, prot: usize, offset: usize) -> Result<usize, Errno> {
        // SAFETY: a new shared mapping (no address asked for); the kernel
        // checks the fd, the length and the offset.
        let r = unsafe {
            syscall6(
                abi::SYS_MMAP,
                [0, len, prot, crate::os::MAP_SHARED, fd as usize, offset],
            )
        };
        if (-4095..0).contains(&r) {
            return Err(-r as Errno);
        }
        Ok(r as usize)
    }

    unsafe fn munmap(&self, at: usize, len: usize) {
        // SAFETY: the caller's contract: a mapping of ours, unused after.
        unsafe { syscall3(abi::SYS_MUNMAP, at, len, 0) };
    }

    fn perf_event_open(&self, attr: &EventAttr, cpu: u32) -> Result<u32, Errno> {
        let args = [
            attr as *const EventAttr as usize,
            usize::MAX, // pid -1: any process
            cpu as usize,
            usize::MAX, // group_fd -1: none
            crate::perf::FLAG_FD_CLOEXEC as usize,
            0,
        ];
        // SAFETY: the kernel reads `attr.size` (64) bytes of `attr`.
        result(unsafe { syscall6(abi::SYS_PERF_EVENT_OPEN, args) })
    }
}

/// A six-argument system call (mmap's).
///
/// # Safety
/// As [`syscall3`].
#[cfg(target_arch = "x86_64")]
unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall3`, with arguments 4-6 in r10, r8, r9.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            in("r9") a[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// As for x86_64.
///
/// # Safety
/// As [`syscall3`].
#[cfg(target_arch = "riscv64")]
unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall3`, with arguments in a0..a5.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") a[0] as isize => ret,
            in("a1") a[1],
            in("a2") a[2],
            in("a3") a[3],
            in("a4") a[4],
            in("a5") a[5],
            in("a7") nr,
            options(nostack),
        );
    }
    ret
}
