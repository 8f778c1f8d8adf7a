//! bpf(2), close(2), and mmap(2)/munmap(2) for ring buffers, issued
//! directly, without a C library: the `syscall` (x86_64) or `ecall`
//! (riscv64) instruction with the numbers of the description
//! (`abi::SYS_BPF`, `abi::SYS_CLOSE`, `abi::SYS_MMAP`, `abi::SYS_MUNMAP`). For rCore's Rust
//! user programs, which have no libc; `no_std`.

#![allow(unsafe_code)]

use crate::{Errno, Sys};

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
        let (page, size) = (abi::PAGE_SIZE as usize, size as usize);
        crate::ringbuf::check(size, page)?;
        let consumer = Mapping::new(fd, page, PROT_READ | PROT_WRITE, 0)?;
        let producer = Mapping::new(fd, page + 2 * size, PROT_READ, page)?;
        // SAFETY: the two mappings are the ring buffer's consumer page and
        // its producer page with the data twice, as `consume` needs, and
        // live until it returns.
        unsafe { crate::ringbuf::consume(consumer.at as *mut u8, producer.at as *const u8, page, size, f) }
    }
}

const PROT_READ: usize = 1;
const PROT_WRITE: usize = 2;
const MAP_SHARED: usize = 1;

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

/// A shared mapping of an fd, unmapped on drop.
struct Mapping {
    at: usize,
    len: usize,
}

impl Mapping {
    fn new(fd: u32, len: usize, prot: usize, offset: usize) -> Result<Mapping, Errno> {
        // SAFETY: a new shared mapping (no address asked for); the kernel
        // checks the fd, the length and the offset.
        let r = unsafe { syscall6(abi::SYS_MMAP, [0, len, prot, MAP_SHARED, fd as usize, offset]) };
        if (-4095..0).contains(&r) {
            return Err(-r as Errno);
        }
        Ok(Mapping { at: r as usize, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, not used after this.
        unsafe { syscall3(abi::SYS_MUNMAP, self.at, self.len, 0) };
    }
}
