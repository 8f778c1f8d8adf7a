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

    /// The kernel's jiffies counter (bpf_jiffies64). The default counts
    /// 4 ms ticks (HZ = 250) of [`Platform::monotonic_ns`].
    fn jiffies(&self) -> u64 {
        self.monotonic_ns() / 4_000_000
    }

    /// Monotonic time at the clock tick's resolution
    /// (bpf_ktime_get_coarse_ns); the default rounds
    /// [`Platform::monotonic_ns`] down to the 4 ms tick of the default
    /// [`Platform::jiffies`].
    fn coarse_ns(&self) -> u64 {
        self.monotonic_ns() / 4_000_000 * 4_000_000
    }

    /// The NUMA node of the running CPU (bpf_get_numa_node_id); the
    /// default is a machine of one node.
    fn numa_node_id(&self) -> u32 {
        0
    }

    /// The cgroup (v2) id of the current task (bpf_get_current_cgroup_id);
    /// the default, for an OS without cgroups, is the root cgroup's id, 1.
    fn current_cgroup_id(&self) -> u64 {
        1
    }

    /// The address of the current task's kernel structure
    /// (bpf_get_current_task), for programs that read it with probe_read;
    /// 0 where there is none to show.
    fn current_task_addr(&self) -> u64 {
        0
    }

    /// Unwinds the current stack (the kernel's, or with `user` the user
    /// task's) into `out`, innermost frame first; returns how many frames
    /// it wrote. Called from probes, so it must not sleep or fault. The
    /// default knows no stack.
    fn stack_trace(&self, user: bool, out: &mut [u64]) -> usize {
        let _ = (user, out);
        0
    }

    /// The address of kernel function `name`, for kprobes; `None` if there
    /// is no such symbol (BPF_PROG_ATTACH then fails with ENOENT).
    fn symbol_addr(&self, name: &str) -> Option<u64> {
        let _ = name;
        None
    }

    /// Arms a probe point: from now on, when it fires, the OS calls
    /// [`Bpf::fire`](crate::Bpf::fire) with `probe.id` and the point's
    /// context (see [`crate::attach`] for each kind's layout). Called once
    /// per point, when its first program attaches.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a tracepoint the OS does not have; the
    /// default, for an OS without probes, is [`Error::NotSupported`].
    fn register_probe(&self, probe: &crate::attach::ProbeSpec<'_>) -> Result<()> {
        let _ = probe;
        Err(Error::NotSupported)
    }

    /// Disarms a point registered with [`Platform::register_probe`], when
    /// its last program detaches. After it returns, the OS no longer fires
    /// `probe.id` (firing an id with nothing attached is harmless).
    fn unregister_probe(&self, probe: &crate::attach::ProbeSpec<'_>) {
        let _ = probe;
    }

    /// Places `code`, a compiled program, in memory that is written while
    /// writable and then made executable, never both at once; `None`
    /// where the OS does not offer that (programs then run interpreted).
    /// The mapping is freed when the returned owner is dropped. Where the
    /// OS can, the code should lie near the kernel's own (within 2 GiB on
    /// x86_64, as Linux's module area): calls between code farther apart
    /// cost more, both into the program and from it to the helpers. Where
    /// instruction fetch does not see stores by itself (riscv64), the code
    /// must be made visible to it on every hart before this returns
    /// (`fence.i` here, and a remote one, as the SBI's, on the others).
    fn map_code(&self, code: &[u8]) -> Option<alloc::boxed::Box<dyn CodeMapping>> {
        let _ = code;
        None
    }

    /// The ISA string of the cores that run compiled programs, as a
    /// device tree's `riscv,isa` (`rv64imafdc_zba_zbb`): the riscv64 JIT
    /// uses the optional extensions it names (see
    /// [`Extensions::from_isa`](crate::prog::jit::riscv64::Extensions::from_isa)).
    /// `None` (the default): the base ISA only. Every core must have what
    /// it names.
    fn isa(&self) -> Option<&str> {
        None
    }

    /// The first fd handed out for bpf objects (the original used
    /// `0x1000_0000`, which keeps them apart from file fds).
    fn first_fd(&self) -> u32 {
        0x1000_0000
    }
}

/// Executable memory holding a compiled program ([`Platform::map_code`]);
/// unmapped on drop.
pub trait CodeMapping: Send + Sync {
    /// Its first byte, where the program starts.
    fn addr(&self) -> *const u8;
    /// Its length in bytes (the code's, not rounded to pages).
    fn len(&self) -> usize;
    /// Whether it is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counts the CPUs of a Linux CPU list such as `/sys/devices/system/cpu/possible`
/// holds ("0-3", "0,2-5"), as libbpf counts them; a malformed range counts
/// none, and the total is at least 1.
///
/// ```
/// use kernel_bpf::platform::count_cpu_list;
/// assert_eq!(count_cpu_list("0-3\n"), 4);
/// assert_eq!(count_cpu_list("0,2-5"), 5);
/// assert_eq!(count_cpu_list(""), 1);
/// ```
pub fn count_cpu_list(text: &str) -> u32 {
    let count = |r: &str| -> Option<u32> {
        match r.split_once('-') {
            Some((a, b)) => b.parse::<u32>().ok()?.checked_sub(a.parse().ok()?)?.checked_add(1),
            None => r.parse::<u32>().ok().map(|_| 1),
        }
    };
    text.trim()
        .split(',')
        .map(|r| count(r).unwrap_or(0))
        .fold(0u32, u32::saturating_add)
        .max(1)
}
