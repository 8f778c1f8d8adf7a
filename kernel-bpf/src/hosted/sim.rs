//! A small simulated kernel for the hosted platform: a handful of
//! functions that kprobes can attach to, tracepoints and raw tracepoints,
//! a toy file system and a few tasks, driven by a deterministic workload.
//! Attach and dispatch run their real code paths: the simulated functions
//! fire their points through [`Bpf::fire`] with the contexts Linux gives
//! (`struct pt_regs` of this machine's architecture, tracepoint records).
//!
//! Everything is deterministic: the clock is fixed and advanced by the
//! workload (each call takes a cost that depends on its arguments), tasks
//! and files are chosen by a seeded generator. Two runs with the same seed
//! fire the same points with the same contexts.

use super::{Hosted, UserMem};
use crate::attach::{PointId, ProbeKind};
use crate::platform::{Platform, Task, TASK_COMM_LEN};
use crate::syscall::Bpf;
use abi::{TraceEventRawSchedSwitch, TraceEventRawSysEnter};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use zerocopy::{FromZeros, IntoBytes};

/// The probe-able functions, with their addresses and C prototypes.
pub const FUNCTIONS: &[(&str, u64, &str)] = &[
    (
        "do_sys_openat2",
        0xffff_ffff_8130_0000,
        "long do_sys_openat2(int dfd, const char __user *filename, struct open_how *how)",
    ),
    (
        "vfs_read",
        0xffff_ffff_8131_0000,
        "ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos)",
    ),
    (
        "vfs_write",
        0xffff_ffff_8132_0000,
        "ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)",
    ),
    ("schedule", 0xffff_ffff_8140_0000, "void schedule(void)"),
];

/// The tracepoints, as `category:name`, with their records.
pub const TRACEPOINTS: &[(&str, &str)] = &[
    (
        "syscalls:sys_enter_openat",
        "struct trace_event_raw_sys_enter: dfd, filename, flags, mode",
    ),
    (
        "syscalls:sys_enter_read",
        "struct trace_event_raw_sys_enter: fd, buf, count",
    ),
    (
        "syscalls:sys_enter_write",
        "struct trace_event_raw_sys_enter: fd, buf, count",
    ),
    ("sched:sched_switch", "struct trace_event_raw_sched_switch"),
];

/// The raw tracepoints, with their arguments.
pub const RAW_TRACEPOINTS: &[(&str, &str)] = &[
    ("sys_enter", "struct pt_regs *regs, long id"),
    (
        "sched_switch",
        "bool preempt, struct task_struct *prev, struct task_struct *next",
    ),
];

/// The kernel's entry from user space: the outermost frame of every stack.
const ENTRY: u64 = 0xffff_ffff_8100_0080;
/// Where task structures live (bpf_get_current_task).
const TASK_BASE: u64 = 0xffff_8880_0100_0000;

/// Which point id, if any, each site of the simulated kernel fires:
/// 0 is nothing attached, `id + 1` otherwise. A site with nothing attached
/// costs its caller one atomic load.
pub struct Sites {
    slots: Vec<AtomicU32>,
}

/// Sites: three per function (kprobe, kretprobe entry, kretprobe exit),
/// then the tracepoints, then the raw tracepoints.
fn site_count() -> usize {
    3 * FUNCTIONS.len() + TRACEPOINTS.len() + RAW_TRACEPOINTS.len()
}

impl Default for Sites {
    fn default() -> Sites {
        Sites {
            slots: (0..site_count()).map(|_| AtomicU32::new(0)).collect(),
        }
    }
}

impl Sites {
    /// The site of a point, if the simulated kernel has it.
    pub fn site_of(kind: ProbeKind, name: &str) -> Option<usize> {
        let f = || FUNCTIONS.iter().position(|f| f.0 == name);
        let fns = 3 * FUNCTIONS.len();
        Some(match kind {
            ProbeKind::Kprobe => 3 * f()?,
            ProbeKind::KretprobeEntry => 3 * f()? + 1,
            ProbeKind::KretprobeExit => 3 * f()? + 2,
            ProbeKind::Tracepoint => fns + TRACEPOINTS.iter().position(|t| t.0 == name)?,
            ProbeKind::RawTracepoint => fns + TRACEPOINTS.len() + RAW_TRACEPOINTS.iter().position(|t| t.0 == name)?,
        })
    }

    /// Arms `site` to fire point `id` (`None`: disarms it).
    pub fn set(&self, site: usize, id: Option<PointId>) {
        if let Some(s) = self.slots.get(site) {
            s.store(id.map_or(0, |i| i + 1), Ordering::Release);
        }
    }

    /// The point `site` fires, if any: one atomic load.
    #[inline]
    pub fn armed(&self, site: usize) -> Option<PointId> {
        match self.slots.get(site)?.load(Ordering::Acquire) {
            0 => None,
            n => Some(n - 1),
        }
    }
}

/// The address of simulated function `name`.
pub fn symbol_addr(name: &str) -> Option<u64> {
    FUNCTIONS.iter().find(|f| f.0 == name).map(|f| f.1)
}

std::thread_local! {
    /// The simulated call stack of this thread, outermost first.
    static STACK: core::cell::RefCell<Vec<u64>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// The simulated kernel stack of this thread, innermost first.
pub(super) fn stack_trace(out: &mut [u64]) -> usize {
    STACK.with(|s| {
        let s = s.borrow();
        for (o, f) in out.iter_mut().zip(s.iter().rev()) {
            *o = *f;
        }
        s.len().min(out.len())
    })
}

/// The address of a task's structure.
pub(super) fn task_addr(pid: u32) -> u64 {
    TASK_BASE + u64::from(pid) * 0x1000
}

/// A task of the workload.
#[derive(Clone, Copy, Debug)]
pub struct SimTask {
    /// Its pid (and tgid).
    pub pid: u32,
    /// Its user id.
    pub uid: u32,
    /// Its name.
    pub comm: &'static str,
}

/// The tasks of the workload.
pub const TASKS: &[SimTask] = &[
    SimTask {
        pid: 101,
        uid: 0,
        comm: "init",
    },
    SimTask {
        pid: 230,
        uid: 1000,
        comm: "bash",
    },
    SimTask {
        pid: 231,
        uid: 1000,
        comm: "cat",
    },
    SimTask {
        pid: 412,
        uid: 33,
        comm: "nginx",
    },
    SimTask {
        pid: 518,
        uid: 0,
        comm: "sshd",
    },
];

/// The files of the toy file system: path and size.
pub const FILES: &[(&str, usize)] = &[
    ("/etc/passwd", 1870),
    ("/etc/hosts", 220),
    ("/var/log/syslog", 65536),
    ("/srv/www/index.html", 5120),
    ("/home/user/notes.txt", 900),
    ("/proc/stat", 3000),
];

/// What one run of the workload did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Files opened.
    pub opens: u64,
    /// Reads.
    pub reads: u64,
    /// Bytes the reads returned.
    pub bytes_read: u64,
    /// Reads that failed.
    pub read_errors: u64,
    /// Writes.
    pub writes: u64,
    /// Context switches.
    pub switches: u64,
    /// Programs run by all the points fired.
    pub programs_run: u64,
}

/// An open file.
struct Open {
    file: usize,
    pos: usize,
}

/// The simulated kernel: the subsystem it runs programs in, its user
/// memory (file names and buffers), and its state.
pub struct Kernel {
    bpf: Arc<Bpf<Hosted>>,
    /// File names, NUL-terminated, then a buffer for reads and writes.
    user: UserMem,
    names: Vec<u64>,
    buf: u64,
    open: Vec<Option<Open>>,
    current: usize,
    now: u64,
    rng: u64,
    counts: Counts,
}

/// Size of the user buffer of reads and writes.
const BUF: usize = 4096;

impl Kernel {
    /// A kernel whose probes run programs in `bpf`, with the workload
    /// seeded by `seed`. It sets the platform's clock and current task.
    pub fn new(bpf: Arc<Bpf<Hosted>>, seed: u64) -> Kernel {
        let names_len: usize = FILES.iter().map(|f| f.0.len() + 1).sum();
        let user = bpf.platform().user_mem(names_len + BUF);
        let mut names = Vec::new();
        let mut off = 0;
        for (path, _) in FILES {
            user.write(off, path.as_bytes());
            names.push(user.at(off));
            off += path.len() + 1;
        }
        let buf = user.at(names_len);
        let k = Kernel {
            bpf,
            user,
            names,
            buf,
            open: Vec::new(),
            current: 0,
            now: 1_000_000_000,
            rng: seed | 1,
            counts: Counts::default(),
        };
        k.bpf.platform().set_time_ns(Some(k.now));
        k.set_task();
        k
    }

    /// The subsystem.
    pub fn bpf(&self) -> &Arc<Bpf<Hosted>> {
        &self.bpf
    }

    /// What the workload did so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic and good enough to pick work.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn advance(&mut self, ns: u64) {
        self.now += ns;
        self.bpf.platform().set_time_ns(Some(self.now));
    }

    fn task(&self) -> SimTask {
        TASKS[self.current]
    }

    fn set_task(&self) {
        let t = self.task();
        let mut comm = [0u8; TASK_COMM_LEN];
        comm[..t.comm.len()].copy_from_slice(t.comm.as_bytes());
        self.bpf.platform().set_task(Task {
            pid: t.pid,
            tgid: t.pid,
            uid: t.uid,
            gid: t.uid,
            comm,
        });
        self.bpf.platform().set_current_task_addr(task_addr(t.pid));
        // Each task runs on its own simulated CPU (of those there are).
        Hosted::set_current_cpu(self.current as u32 % self.bpf.platform().cpu_count());
    }

    /// Fires `site` with `ctx` if something is attached there.
    fn fire(&mut self, site: usize, ctx: impl FnOnce() -> Vec<u8>, func_ip: u64) {
        if let Some(id) = self.bpf.platform().sites().armed(site) {
            self.counts.programs_run += self.bpf.fire(id, &ctx(), func_ip) as u64;
        }
    }

    /// A call of simulated function `f` with `args`: its kprobe and
    /// kretprobe entry, `cost` ns of work, then the kretprobe exit with
    /// `ret` as the return value.
    fn call(&mut self, f: usize, args: [u64; 6], cost: u64, ret: u64) {
        let addr = FUNCTIONS[f].1;
        STACK.with(|s| s.borrow_mut().push(addr));
        let entry = || regs(args, 0, addr);
        self.fire(3 * f, entry, addr);
        self.fire(3 * f + 1, entry, addr);
        self.advance(cost);
        self.fire(3 * f + 2, || regs(args, ret, addr + 0x40), addr);
        STACK.with(|s| s.borrow_mut().pop());
    }

    fn tracepoint(&mut self, tp: usize, record: impl FnOnce() -> Vec<u8>) {
        self.fire(3 * FUNCTIONS.len() + tp, record, 0);
    }

    fn raw_tracepoint(&mut self, rtp: usize, args: &[u64]) {
        let mut words = [0u64; 12];
        words[..args.len()].copy_from_slice(args);
        self.fire(
            3 * FUNCTIONS.len() + TRACEPOINTS.len() + rtp,
            || words.as_bytes().to_vec(),
            0,
        );
    }

    fn sys_enter(&self, nr: i32, args: &[u64]) -> Vec<u8> {
        let mut r = TraceEventRawSysEnter::new_zeroed();
        r.ent = entry_header(1, self.task().pid);
        r.__syscall_nr = nr;
        r.args[..args.len()].copy_from_slice(args);
        r.as_bytes().to_vec()
    }

    /// A system call: the raw `sys_enter` tracepoint, the syscall's own
    /// tracepoint, then its kernel function.
    fn syscall(&mut self, nr: i32, tp: usize, args: &[u64]) {
        STACK.with(|s| s.borrow_mut().push(ENTRY));
        self.raw_tracepoint(0, &[0, nr as u64]);
        let rec = self.sys_enter(nr, args);
        self.tracepoint(tp, || rec);
    }

    fn leave_syscall(&mut self) {
        STACK.with(|s| s.borrow_mut().pop());
    }

    /// `openat(AT_FDCWD, path)` by the current task; returns the fd.
    pub fn openat(&mut self, file: usize) -> u64 {
        let file = file % FILES.len();
        let name = self.names[file];
        self.syscall(257, 0, &[(-100i64) as u64, name, 0, 0]);
        let fd = match self.open.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.open.push(None);
                self.open.len() - 1
            }
        };
        self.open[fd] = Some(Open { file, pos: 0 });
        let fd = fd as u64 + 3;
        self.call(
            0,
            [(-100i64) as u64, name, 0, 0, 0, 0],
            1500 + 40 * FILES[file].0.len() as u64,
            fd,
        );
        self.leave_syscall();
        self.counts.opens += 1;
        fd
    }

    /// `read(fd, buf, count)`; returns bytes read or a negative errno.
    pub fn read(&mut self, fd: u64, count: usize) -> i64 {
        let count = count.min(BUF);
        self.syscall(0, 1, &[fd, self.buf, count as u64]);
        let ret = match self
            .open
            .get_mut((fd as usize).wrapping_sub(3))
            .and_then(Option::as_mut)
        {
            Some(o) => {
                let n = count.min(FILES[o.file].1 - o.pos.min(FILES[o.file].1));
                o.pos += n;
                let fill: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                self.user.write(self.user.len() - BUF, &fill);
                n as i64
            }
            None => -9,
        };
        // A read costs a fixed part and a part per byte.
        self.call(
            1,
            [0xffff_8880_0200_0000 + fd * 0x100, self.buf, count as u64, 0, 0, 0],
            800 + 3 * ret.max(0) as u64,
            ret as u64,
        );
        self.leave_syscall();
        self.counts.reads += 1;
        if ret < 0 {
            self.counts.read_errors += 1;
        } else {
            self.counts.bytes_read += ret as u64;
        }
        ret
    }

    /// `write(fd, buf, count)`; returns bytes written or a negative errno.
    pub fn write(&mut self, fd: u64, count: usize) -> i64 {
        let count = count.min(BUF);
        self.syscall(1, 2, &[fd, self.buf, count as u64]);
        let ret = if self
            .open
            .get((fd as usize).wrapping_sub(3))
            .is_some_and(Option::is_some)
        {
            count as i64
        } else {
            -9
        };
        self.call(
            2,
            [0xffff_8880_0200_0000 + fd * 0x100, self.buf, count as u64, 0, 0, 0],
            1200 + 5 * ret.max(0) as u64,
            ret as u64,
        );
        self.leave_syscall();
        self.counts.writes += 1;
        ret
    }

    /// `close(fd)`.
    pub fn close(&mut self, fd: u64) {
        if let Some(slot) = self.open.get_mut((fd as usize).wrapping_sub(3)) {
            *slot = None;
        }
        self.advance(300);
    }

    /// A context switch to task `next`: `sched:sched_switch`, the raw
    /// tracepoint, and a call of `schedule`.
    pub fn switch_to(&mut self, next: usize) {
        let next = next % TASKS.len();
        let (prev, nt) = (self.task(), TASKS[next]);
        let mut r = TraceEventRawSchedSwitch::new_zeroed();
        r.ent = entry_header(2, prev.pid);
        r.prev_comm[..prev.comm.len()].copy_from_slice(prev.comm.as_bytes());
        r.prev_pid = prev.pid as i32;
        r.prev_prio = 120;
        r.prev_state = 1;
        r.next_comm[..nt.comm.len()].copy_from_slice(nt.comm.as_bytes());
        r.next_pid = nt.pid as i32;
        r.next_prio = 120;
        STACK.with(|s| s.borrow_mut().push(ENTRY));
        self.tracepoint(3, || r.as_bytes().to_vec());
        self.raw_tracepoint(1, &[0, task_addr(prev.pid), task_addr(nt.pid)]);
        self.call(3, [0; 6], 2000, 0);
        STACK.with(|s| s.borrow_mut().pop());
        self.current = next;
        self.set_task();
        self.counts.switches += 1;
    }

    /// One step of the workload: the current task opens a file and reads
    /// it in chunks (some tasks also write), closes it, and now and then
    /// the scheduler switches tasks.
    pub fn step(&mut self) {
        let r = self.next();
        let file = (r % FILES.len() as u64) as usize;
        let fd = self.openat(file);
        let chunks = 1 + (r >> 8) % 3;
        for c in 0..chunks {
            let count = [64, 512, 4096][((r >> (16 + c)) % 3) as usize];
            self.read(fd, count);
        }
        if self.task().comm == "nginx" || (r >> 24) % 4 == 0 {
            self.write(fd, 128 + ((r >> 28) % 8) as usize * 64);
        }
        // An occasional read of a closed fd, which fails with EBADF.
        if (r >> 32) % 16 == 0 {
            self.read(fd + 40, 16);
        }
        self.close(fd);
        if (r >> 40) % 3 == 0 {
            // Another task than the current one.
            let next = self.current + 1 + (self.next() % (TASKS.len() as u64 - 1)) as usize;
            self.switch_to(next);
        }
    }

    /// Runs `steps` steps, calling `progress(done)` after each.
    pub fn run(&mut self, steps: u64, progress: &mut dyn FnMut(u64)) {
        for i in 0..steps {
            self.step();
            progress(i + 1);
        }
    }
}

/// A `struct trace_entry` header.
fn entry_header(event: u16, pid: u32) -> [u8; 8] {
    let e = abi::TraceEntry {
        r#type: event,
        flags: 0,
        preempt_count: 0,
        pid: pid as i32,
    };
    let mut out = [0u8; 8];
    out.copy_from_slice(e.as_bytes());
    out
}

/// This machine's `struct pt_regs` for a call with `args`, returning `rc`.
fn regs(args: [u64; 6], rc: u64, ip: u64) -> Vec<u8> {
    let sp = 0xffff_c900_0000_3f00;
    if cfg!(target_arch = "riscv64") {
        let mut r = abi::PtRegsRiscv64::new_zeroed();
        (r.a0, r.a1, r.a2, r.a3, r.a4, r.a5) = (args[0], args[1], args[2], args[3], args[4], args[5]);
        if rc != 0 {
            r.a0 = rc;
        }
        (r.pc, r.sp, r.ra) = (ip, sp, ENTRY);
        r.as_bytes().to_vec()
    } else {
        let mut r = abi::PtRegsX8664::new_zeroed();
        (r.di, r.si, r.dx, r.cx, r.r8, r.r9) = (args[0], args[1], args[2], args[3], args[4], args[5]);
        r.ax = rc;
        (r.ip, r.sp) = (ip, sp);
        r.as_bytes().to_vec()
    }
}
