//! Programs: loaded from instructions (with the verifier's log when
//! refused), test-run, and attached to a probe by target string with a
//! guard that detaches on drop.
//!
//! ```
//! use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
//! let sys = Process::new(1);
//! // r0 = 2; exit
//! let insns = [Insn { code: 0xb7, imm: 2, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
//! let prog = Program::load(&sys, ProgType::SocketFilter, &insns, "GPL").unwrap();
//! let mut packet = [0u8; 64];
//! packet[12] = 0x08;
//! packet[14] = 0x45;
//! assert_eq!(prog.test_run(&packet, 1).unwrap().retval, 2);
//! ```

// Loads and runs hand the kernel pointers to the instructions, the
// license, the log and the packets here; each call says why they are valid.
#![allow(unsafe_code)]

use crate::fd::{Error, Fd, Result};
use crate::{raw, Sys};
use abi::{AttachTarget, Insn, ObjInfoAttr, ProgInfo, ProgLoadAttr, ProgTestRunAttr, ProgType};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A loaded program: its fd (closed on drop) and type.
///
/// ```
/// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
/// let exit0 = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
/// let p = Program::load(&Process::new(1), ProgType::SocketFilter, &exit0, "GPL").unwrap();
/// assert_eq!(p.prog_type(), ProgType::SocketFilter);
/// ```
#[derive(Debug)]
pub struct Program<S: Sys> {
    fd: Fd<S>,
    prog_type: ProgType,
}

/// What a test run gave.
///
/// ```
/// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
/// # let exit0 = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
/// # let p = Program::load(&Process::new(1), ProgType::SocketFilter, &exit0, "GPL").unwrap();
/// let mut packet = vec![0u8; 40];
/// packet[12] = 0x08;
/// packet[14] = 0x45;
/// let run = p.test_run(&packet, 3).unwrap();
/// assert_eq!((run.retval, run.data_out.len()), (0, 40));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestRun {
    /// The program's return value (of the last run).
    pub retval: u32,
    /// The data after the run (for packet programs: the packet).
    pub data_out: Vec<u8>,
    /// Mean nanoseconds per run.
    pub duration: u32,
}

/// What a load may say beyond the type, instructions and license, for
/// [`Program::load_with`].
///
/// ```
/// # use user_bindings::programs::LoadOptions;
/// let opts = LoadOptions { name: "count_opens", ..Default::default() };
/// assert_eq!(opts.kern_version, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions<'a> {
    /// The program's name (cut to 15 bytes).
    pub name: &'a str,
    /// `expected_attach_type` (0: none).
    pub expected_attach_type: u32,
    /// The kernel version the program was built for (old kprobe loaders).
    pub kern_version: u32,
}

/// Bytes of log kept for a refused load.
const LOG_BYTES: usize = 64 * 1024;

impl<S: Sys + Clone> Program<S> {
    /// Loads `insns` as a program of `prog_type` (BPF_PROG_LOAD); on
    /// refusal, loads again with a log so the error says why.
    ///
    /// # Errors
    /// The errno, with the verifier's log.
    ///
    /// ```
    /// use user_bindings::{hosted::Process, programs::Program, abi::{Errno, Insn, ProgType}};
    /// // r0 = r2 (never written); exit
    /// let bad = [Insn { code: 0xbf, regs: 0x20, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let err = Program::load(&Process::new(1), ProgType::SocketFilter, &bad, "GPL").unwrap_err();
    /// assert_eq!(err.errno, Errno::EACCES.raw());
    /// assert!(err.log.contains("R2 !read_ok"), "{}", err.log);
    /// ```
    pub fn load(sys: &S, prog_type: ProgType, insns: &[Insn], license: &str) -> Result<Program<S>> {
        Self::load_with(sys, prog_type, insns, license, &LoadOptions::default())
    }

    /// [`Program::load`] with a name, an expected attach type or a kernel
    /// version.
    ///
    /// # Errors
    /// As [`Program::load`].
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::{LoadOptions, Program}, abi::{Insn, ProgType}};
    /// let exit0 = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let opts = LoadOptions { name: "exit0", ..Default::default() };
    /// let p = Program::load_with(&Process::new(1), ProgType::SocketFilter, &exit0, "GPL", &opts).unwrap();
    /// assert_eq!(&p.info().unwrap().name[..6], b"exit0\0");
    /// ```
    pub fn load_with(
        sys: &S,
        prog_type: ProgType,
        insns: &[Insn],
        license: &str,
        opts: &LoadOptions<'_>,
    ) -> Result<Program<S>> {
        let mut license = license.as_bytes().to_vec();
        license.push(0);
        let mut name = [0u8; 16];
        let n = opts.name.len().min(15);
        name[..n].copy_from_slice(&opts.name.as_bytes()[..n]);
        let load = |log: &mut [u8]| {
            let mut attr = ProgLoadAttr {
                prog_type: prog_type.raw(),
                insn_cnt: insns.len() as u32,
                insns: insns.as_ptr() as u64,
                license: license.as_ptr() as u64,
                prog_name: name,
                expected_attach_type: opts.expected_attach_type,
                kern_version: opts.kern_version,
                ..Default::default()
            };
            if !log.is_empty() {
                attr.log_level = 1;
                attr.log_size = log.len() as u32;
                attr.log_buf = log.as_mut_ptr() as u64;
            }
            // SAFETY: the instructions, the NUL-terminated license and the
            // log buffer (`log_size` bytes) live until the call returns.
            unsafe { raw::prog_load(sys, &mut attr) }
        };
        match load(&mut []) {
            Ok(fd) => Ok(Program {
                fd: Fd::new(sys.clone(), fd),
                prog_type,
            }),
            Err(errno) => {
                let mut log = vec![0u8; LOG_BYTES];
                if let Ok(fd) = load(&mut log) {
                    // Loaded the second time (a transient failure): keep it.
                    return Ok(Program {
                        fd: Fd::new(sys.clone(), fd),
                        prog_type,
                    });
                }
                let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                Err(Error {
                    what: "BPF_PROG_LOAD",
                    errno,
                    log: String::from_utf8_lossy(&log[..end]).into_owned(),
                })
            }
        }
    }

    /// Takes ownership of a program fd of type `prog_type` (from an
    /// object, for instance).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// let sys = Process::new(1);
    /// let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let fd = Program::load(&sys, ProgType::SocketFilter, &insns, "GPL").unwrap().into_fd();
    /// let again = Program::from_fd(fd, ProgType::SocketFilter);
    /// assert_eq!(again.prog_type(), ProgType::SocketFilter);
    /// ```
    pub fn from_fd(fd: Fd<S>, prog_type: ProgType) -> Program<S> {
        Program { fd, prog_type }
    }
}

impl<S: Sys> Program<S> {
    /// Its fd.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let p = Program::load(&Process::new(1), ProgType::SocketFilter, &insns, "GPL").unwrap();
    /// assert!(p.fd().raw() > 0);
    /// ```
    pub fn fd(&self) -> &Fd<S> {
        &self.fd
    }

    /// Gives up the program, keeping its fd open.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let p = Program::load(&Process::new(1), ProgType::SocketFilter, &insns, "GPL").unwrap();
    /// assert!(p.into_fd().raw() > 0);
    /// ```
    pub fn into_fd(self) -> Fd<S> {
        self.fd
    }

    /// Its type.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let p = Program::load(&Process::new(1), ProgType::SocketFilter, &insns, "GPL").unwrap();
    /// assert_eq!(p.prog_type(), ProgType::SocketFilter);
    /// ```
    pub fn prog_type(&self) -> ProgType {
        self.prog_type
    }

    /// What the kernel says of the program (BPF_OBJ_GET_INFO_BY_FD).
    ///
    /// # Errors
    /// The errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// # let exit0 = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let p = Program::load(&Process::new(1), ProgType::SocketFilter, &exit0, "GPL").unwrap();
    /// assert_eq!(p.info().unwrap().r#type, ProgType::SocketFilter.raw());
    /// ```
    pub fn info(&self) -> Result<ProgInfo> {
        let mut info = ProgInfo::default();
        let mut attr = ObjInfoAttr {
            bpf_fd: self.fd.raw(),
            info_len: core::mem::size_of::<ProgInfo>() as u32,
            info: &mut info as *mut ProgInfo as u64,
        };
        // SAFETY: `info` is live and `info_len` bytes long.
        unsafe { raw::obj_get_info_by_fd(self.fd.sys(), &mut attr) }
            .map_err(|e| Error::new("BPF_OBJ_GET_INFO_BY_FD", e))?;
        Ok(info)
    }

    /// Runs the program `repeat` times on `data` (BPF_PROG_TEST_RUN).
    ///
    /// # Errors
    /// The errno (EINVAL for a packet too short for its type, ...).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Errno, Insn, ProgType}};
    /// let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let p = Program::load(&Process::new(1), ProgType::SocketFilter, &insns, "GPL").unwrap();
    /// assert_eq!(p.test_run(&[0; 4], 1).unwrap_err().errno, Errno::EINVAL.raw());
    /// ```
    pub fn test_run(&self, data: &[u8], repeat: u32) -> Result<TestRun> {
        let mut out = vec![0u8; data.len() + 256];
        let mut attr = ProgTestRunAttr {
            prog_fd: self.fd.raw(),
            data_in: data.as_ptr() as u64,
            data_size_in: data.len() as u32,
            data_out: out.as_mut_ptr() as u64,
            data_size_out: out.len() as u32,
            repeat,
            ..Default::default()
        };
        // SAFETY: the data in (read) and out (`data_size_out` bytes,
        // written) live until the call returns.
        unsafe { raw::prog_test_run(self.fd.sys(), &mut attr) }.map_err(|e| Error::new("BPF_PROG_TEST_RUN", e))?;
        out.truncate((attr.data_size_out as usize).min(out.len()));
        Ok(TestRun {
            retval: attr.retval,
            data_out: out,
            duration: attr.duration,
        })
    }

    /// Attaches the program to the probe `target` names (rCore's
    /// BPF_PROG_ATTACH: `kprobe:<fn>`, `kretprobe@exit:<fn>`,
    /// `tracepoint:<category>:<name>`, `raw_tracepoint:<name>`); it stays
    /// attached until the returned guard is dropped.
    ///
    /// # Errors
    /// The errno (EINVAL for an unknown target or the wrong program type;
    /// Linux has no such command).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// let sys = Process::new(1);
    /// let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let p = Program::load(&sys, ProgType::Kprobe, &insns, "GPL").unwrap();
    /// let attached = p.attach("kprobe:do_sys_openat2").unwrap();
    /// drop(attached); // detached
    /// ```
    pub fn attach(&self, target: &str) -> Result<Attachment<'_, S>> {
        let mut t = target.as_bytes().to_vec();
        t.push(0);
        let mut attr = AttachTarget {
            target: t.as_ptr() as u64,
            prog_fd: self.fd.raw(),
            flags: 0,
        };
        // SAFETY: the NUL-terminated target lives until the call returns.
        unsafe { raw::prog_attach(self.fd.sys(), &mut attr) }.map_err(|e| Error::new("BPF_PROG_ATTACH", e))?;
        Ok(Attachment { prog: self, target: t })
    }
}

/// A program attached to a probe; detached when dropped.
///
/// ```
/// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
/// # let exit0 = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
/// let p = Program::load(&Process::new(1), ProgType::RawTracepoint, &exit0, "GPL").unwrap();
/// {
///     let _on = p.attach("raw_tracepoint:sys_enter").unwrap();
/// } // detached here
/// ```
#[derive(Debug)]
pub struct Attachment<'a, S: Sys> {
    prog: &'a Program<S>,
    /// The target, NUL-terminated.
    target: Vec<u8>,
}

impl<S: Sys> Attachment<'_, S> {
    /// The target string.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, programs::Program, abi::{Insn, ProgType}};
    /// # let insns = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// # let p = Program::load(&Process::new(1), ProgType::Kprobe, &insns, "GPL").unwrap();
    /// let a = p.attach("kprobe:do_sys_openat2").unwrap();
    /// assert_eq!(a.target(), "kprobe:do_sys_openat2");
    /// ```
    pub fn target(&self) -> &str {
        core::str::from_utf8(&self.target[..self.target.len() - 1]).unwrap_or("")
    }
}

impl<S: Sys> Drop for Attachment<'_, S> {
    fn drop(&mut self) {
        let mut attr = AttachTarget {
            target: self.target.as_ptr() as u64,
            prog_fd: self.prog.fd.raw(),
            flags: 0,
        };
        // SAFETY: the NUL-terminated target lives until the call returns.
        // A failed detach leaves nothing to undo.
        let _ = unsafe { raw::prog_detach(self.prog.fd.sys(), &mut attr) };
    }
}
