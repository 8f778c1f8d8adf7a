//! BPF_PROG_LOAD and BPF_PROG_TEST_RUN, and program info.

use crate::error::{Error, Result};
use crate::object::Object;
use crate::platform::Platform;
use crate::prog::helpers::KernelEnv;
use crate::prog::interp::{self, mem::Memory, Limits};
use crate::prog::verify::Log;
use crate::prog::{license_is_gpl, Program, Request};
use crate::syscall::{buffer, AttrBytes, Bpf};
use abi::{
    ObjInfoAttr, ProgInfo, ProgLoadAttr, ProgTestRunAttr, ProgType, BPF_COMPLEXITY_LIMIT_INSNS, BPF_F_ANY_ALIGNMENT,
    BPF_F_SLEEPABLE, BPF_F_STRICT_ALIGNMENT, BPF_F_TEST_RND_HI32, BPF_F_TEST_STATE_FREQ, BPF_F_XDP_HAS_FRAGS,
    BPF_LICENSE_LEN, PAGE_SIZE,
};
use alloc::sync::Arc;
use zerocopy::{FromBytes, IntoBytes};

/// Largest data_in of a test run.
const MAX_TEST_DATA: u32 = 1 << 20;

const PROG_FLAGS: u32 = BPF_F_STRICT_ALIGNMENT
    | BPF_F_ANY_ALIGNMENT
    | BPF_F_TEST_RND_HI32
    | BPF_F_TEST_STATE_FREQ
    | BPF_F_SLEEPABLE
    | BPF_F_XDP_HAS_FRAGS;

impl<P: Platform> Bpf<P> {
    /// BPF_PROG_LOAD: copies in the instructions and license, resolves map
    /// references and checks helper calls; returns the program's fd. With
    /// a log level, a refusal is explained in the log buffer.
    pub(crate) fn prog_load(&self, buf: &AttrBytes) -> Result<usize> {
        let (a, _) = ProgLoadAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let level = Self::check_log(a.log_level, a.log_buf, a.log_size)?;
        let mut log = Log::bounded(level, (a.log_size as usize).saturating_sub(1));
        let r = self.prog_load_checked(&a, &mut log);
        if let Err(e) = &r {
            if log.text().is_empty() {
                log.line(format_args!("{e}"));
            }
        }
        self.write_log(level, a.log_buf, a.log_size, log.output())?;
        let fits = !log.truncated();
        // Linux: a log that did not fit fails the load (whatever the
        // verifier decided), with the log cut to the buffer.
        match r {
            Ok(fd) if !fits => {
                self.objects.remove(fd as u32);
                Err(Error::NoSpace)
            }
            Err(_) if !fits => Err(Error::NoSpace),
            r => r,
        }
    }

    fn prog_load_checked(&self, a: &ProgLoadAttr, log: &mut Log) -> Result<usize> {
        let prog_type = match ProgType::try_from(a.prog_type) {
            Ok(ProgType::Unspec) | Err(_) => return Err(Error::InvalidArgument),
            Ok(t) => t,
        };
        if a.prog_flags & !PROG_FLAGS != 0 {
            return Err(Error::BadFlags {
                flags: a.prog_flags.into(),
            });
        }
        if a.insn_cnt == 0 || a.insn_cnt > BPF_COMPLEXITY_LIMIT_INSNS {
            return Err(Error::SizeTooLarge);
        }
        let mut license = [0u8; BPF_LICENSE_LEN as usize];
        let len = match self.platform.read_user_str(a.license, &mut license) {
            Ok(n) => n,
            // An unterminated license is cut, as strncpy_from_user leaves it.
            Err(Error::InvalidArgument) => license.len() - 1,
            Err(e) => return Err(e),
        };
        let gpl = license_is_gpl(&license[..len]);
        let mut code = buffer(a.insn_cnt as usize * crate::prog::insn::Insn::SIZE)?;
        self.platform.copy_from_user(a.insns, &mut code)?;
        let name = crate::map::check_name(&a.prog_name)?;
        let mapper = self.code_mapper();
        let req = Request {
            prog_type,
            name,
            gpl,
            code: &code,
            keep_checks: self.keeps_memory_checks(),
            jit: mapper.as_ref().map(|m| m as _),
            isa: self.platform.isa(),
            blind: self.blinding_seed(),
        };
        let prog = Program::load(self.objects.next_id(), &req, &self.objects, log)?;
        Ok(self.objects.insert(Object::Prog(Arc::new(prog)))? as usize)
    }

    /// Runs a loaded program once: r1 = the context (or the data), r2 = its
    /// length; returns r0.
    ///
    /// # Errors
    /// What the interpreter reports (a fault, an unknown helper, ...).
    pub fn run_program(&self, prog: &Arc<Program>, mem: &mut Memory, r1: u64, r2: u64) -> Result<u64> {
        self.run_probe(prog, mem, r1, r2, 0)
    }

    /// [`Bpf::run_program`] for a probe of function `func_ip`
    /// (bpf_get_func_ip).
    ///
    /// # Errors
    /// What the interpreter reports.
    pub fn run_probe(&self, prog: &Arc<Program>, mem: &mut Memory, r1: u64, r2: u64, func_ip: u64) -> Result<u64> {
        prog.lend_values(mem);
        let mut env = KernelEnv {
            bpf: self,
            prog,
            tail: None,
            func_ip,
            inner: alloc::vec::Vec::new(),
        };
        interp::run_code(&prog.code, [r1, r2, 0, 0, 0], mem, &mut env, Limits::default())
    }

    /// BPF_PROG_TEST_RUN. Socket filters and tc programs run on a socket
    /// buffer, as in Linux (see `skb`). Other types, which Linux does not
    /// test-run this way, run `repeat` times on a copy of `data_in` (r1 =
    /// its address, r2 = its length) or, if given, of `ctx_in` (r1 = the
    /// context, r2 = its length): a way to try a tracing program on a
    /// context of one's making. Reports r0 (`retval`), the mean time
    /// (`duration`, ns) and copies the data and context back.
    pub(crate) fn prog_test_run(&self, buf: &AttrBytes, uattr: u64) -> Result<usize> {
        let (a, _) = ProgTestRunAttr::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        let prog = self.objects.prog(a.prog_fd)?;
        if a.flags != 0 || a.cpu != 0 || a.batch_size != 0 {
            return Err(Error::InvalidArgument);
        }
        if let Some(l2) = super::skb::skb_kind(prog.prog_type) {
            // Linux's bpf_prog_test_run: a context size goes with a pointer.
            if (a.ctx_size_in != 0) != (a.ctx_in != 0) || (a.ctx_size_out != 0) != (a.ctx_out != 0) {
                return Err(Error::InvalidArgument);
            }
            return self.test_run_skb(&prog, &a, uattr, l2);
        }
        if a.data_size_in > MAX_TEST_DATA || a.ctx_size_in > PAGE_SIZE {
            return Err(Error::InvalidArgument);
        }
        let mut data = buffer(a.data_size_in as usize)?;
        self.platform.copy_from_user(a.data_in, &mut data)?;
        let mut ctx = buffer(a.ctx_size_in as usize)?;
        self.platform.copy_from_user(a.ctx_in, &mut ctx)?;
        let mut mem = Memory::new();
        let (dh, daddr) = mem.own(data, true);
        let (ch, caddr) = mem.own(ctx, true);
        let (r1, r2) = if a.ctx_size_in > 0 {
            (caddr, u64::from(a.ctx_size_in))
        } else {
            (daddr, u64::from(a.data_size_in))
        };
        let repeat = a.repeat.max(1);
        let start = self.platform.monotonic_ns();
        let mut r0 = 0;
        for _ in 0..repeat {
            r0 = self.run_program(&prog, &mut mem, r1, r2)?;
        }
        let duration =
            (self.platform.monotonic_ns().saturating_sub(start) / u64::from(repeat)).min(u64::from(u32::MAX)) as u32;
        let mut short = false;
        for (h, out, out_size, size_field) in [
            (
                dh,
                a.data_out,
                a.data_size_out,
                core::mem::offset_of!(ProgTestRunAttr, data_size_out),
            ),
            (
                ch,
                a.ctx_out,
                a.ctx_size_out,
                core::mem::offset_of!(ProgTestRunAttr, ctx_size_out),
            ),
        ] {
            let bytes = mem.buffer(h).map(|b| b.to_vec()).unwrap_or_default();
            if out != 0 && !bytes.is_empty() {
                let n = bytes.len().min(out_size as usize);
                short |= n < bytes.len();
                self.platform.copy_to_user(out, &bytes[..n])?;
                self.write_attr(uattr, size_field, &(bytes.len() as u32).to_ne_bytes())?;
            }
        }
        self.write_attr(
            uattr,
            core::mem::offset_of!(ProgTestRunAttr, retval),
            &(r0 as u32).to_ne_bytes(),
        )?;
        self.write_attr(
            uattr,
            core::mem::offset_of!(ProgTestRunAttr, duration),
            &duration.to_ne_bytes(),
        )?;
        if short {
            return Err(Error::NoSpace);
        }
        Ok(0)
    }

    /// OBJ_GET_INFO_BY_FD for a program. As in Linux, the caller's
    /// `jited_prog_len` and `jited_prog_insns` ask for the machine code:
    /// up to that many bytes are copied there (when both are set), and the
    /// code's length is returned in `jited_prog_len` (0 for an interpreted
    /// program).
    pub(crate) fn prog_info(&self, a: &ObjInfoAttr, p: &Program, uattr: u64) -> Result<usize> {
        let mut asked = ProgInfo::default();
        let n = (a.info_len as usize).min(core::mem::size_of::<ProgInfo>());
        self.platform.copy_from_user(a.info, &mut asked.as_mut_bytes()[..n])?;
        let image = p.code.image().map_or(&[][..], |i| i.bytes());
        let mut info = ProgInfo {
            r#type: p.prog_type.raw(),
            id: p.id,
            xlated_prog_len: (p.insns.len() * crate::prog::insn::Insn::SIZE) as u32,
            jited_prog_len: image.len() as u32,
            jited_prog_insns: asked.jited_prog_insns,
            nr_map_ids: p.maps.len() as u32,
            name: p.name,
            ..ProgInfo::default()
        };
        if asked.jited_prog_len != 0 && !image.is_empty() && asked.jited_prog_insns != 0 {
            let len = image.len().min(asked.jited_prog_len as usize);
            self.platform.copy_to_user(asked.jited_prog_insns, &image[..len])?;
        }
        info.set_gpl_compatible(u32::from(p.gpl));
        self.write_info(a, info.as_bytes(), uattr)
    }
}
