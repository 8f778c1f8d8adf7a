//! Everything the OS provides, behind one trait. No other module touches the
//! OS. rCore implements it in the kernel; `hosted` implements it for a
//! normal process.

use crate::error::{Error, Result};

/// Length of a task name (`comm`), NUL included.
pub const TASK_COMM_LEN: usize = 16;

/// The task a program or command runs on behalf of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// Thread id.
    pub pid: u32,
    /// Process id.
    pub tgid: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Name, NUL-padded.
    pub comm: [u8; TASK_COMM_LEN],
}

/// The OS services kernel-bpf needs. Implementations must be callable from
/// several CPUs at once; kernel-bpf holds none of its locks across a call.
pub trait Platform: Send + Sync + 'static {
    /// Copies `dst.len()` bytes from user address `src`.
    ///
    /// # Errors
    /// [`Error::BadAddress`] if any byte is not readable user memory; `dst`
    /// may then hold partial data. Never panics or reads out of bounds.
    fn copy_from_user(&self, src: u64, dst: &mut [u8]) -> Result<()>;

    /// Copies `src` to user address `dst`.
    ///
    /// # Errors
    /// [`Error::BadAddress`] if any byte is not writable user memory.
    fn copy_to_user(&self, dst: u64, src: &[u8]) -> Result<()>;

    /// Reads a NUL-terminated string from user address `src` into `buf`
    /// and returns its length without the NUL.
    ///
    /// # Errors
    /// [`Error::BadAddress`] for unreadable memory, [`Error::InvalidArgument`]
    /// if no NUL is found within `buf.len()` bytes.
    fn read_user_str(&self, src: u64, buf: &mut [u8]) -> Result<usize> {
        for i in 0..buf.len() {
            let addr = src
                .checked_add(i as u64)
                .ok_or(Error::BadAddress { addr: src, len: i + 1 })?;
            self.copy_from_user(addr, &mut buf[i..=i])?;
            if buf[i] == 0 {
                return Ok(i);
            }
        }
        Err(Error::InvalidArgument)
    }

    /// Copies `dst.len()` bytes of kernel memory at `src` without faulting
    /// (probe_read). The default treats kernel memory as user memory, which
    /// suits a hosted kernel; a real kernel checks its own mappings.
    ///
    /// # Errors
    /// [`Error::BadAddress`] if any byte cannot be read.
    fn read_kernel(&self, src: u64, dst: &mut [u8]) -> Result<()> {
        self.copy_from_user(src, dst)
    }

    /// The task on whose behalf the current code runs.
    fn current_task(&self) -> Task;

    /// Monotonic time in ns (Linux `ktime_get_ns`).
    fn monotonic_ns(&self) -> u64;

    /// Time since boot in ns, suspend included (Linux `ktime_get_boot_ns`).
    fn boot_ns(&self) -> u64;

    /// The id of the CPU running the caller, below [`Platform::cpu_count`].
    fn cpu_id(&self) -> u32;

    /// Number of possible CPUs (per-CPU maps hold one value for each).
    fn cpu_count(&self) -> u32;

    /// Writes to the kernel console (trace output).
    fn console(&self, text: &str);

    /// A random 32-bit number.
    fn random_u32(&self) -> u32;

    /// The first fd handed out for bpf objects (the original used
    /// `0x1000_0000`, which keeps them apart from file fds).
    fn first_fd(&self) -> u32 {
        0x1000_0000
    }
}
