//! bpf(2) and close(2) issued directly, without a C library: the
//! `syscall` (x86_64) or `ecall` (riscv64) instruction with the numbers of
//! the description (`abi::SYS_BPF`, `abi::SYS_CLOSE`). For rCore's Rust
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
}
