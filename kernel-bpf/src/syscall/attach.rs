//! BPF_PROG_ATTACH and BPF_PROG_DETACH in the original rCore form: a target
//! string and a program fd (`struct bpf_attach_target`).

use super::{AttrBytes, Bpf};
use crate::attach::Target;
use crate::error::{Error, Result};
use crate::platform::Platform;
use abi::{AttachTarget, BPF_F_RCORE_PROBE_CTX};
use zerocopy::FromBytes;

/// Longest target string, NUL included.
const TARGET_MAX: usize = 256;

impl<P: Platform> Bpf<P> {
    fn target(&self, a: &AttachTarget) -> Result<Target> {
        let mut buf = [0u8; TARGET_MAX];
        let n = self.platform.read_user_str(a.target, &mut buf)?;
        let s = core::str::from_utf8(&buf[..n]).map_err(|_| Error::InvalidArgument)?;
        Target::parse(s)
    }

    pub(super) fn prog_attach(&self, buf: &AttrBytes) -> Result<usize> {
        let (a, _) = AttachTarget::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        if a.flags & !BPF_F_RCORE_PROBE_CTX != 0 {
            return Err(Error::BadFlags { flags: a.flags.into() });
        }
        let target = self.target(&a)?;
        let prog = self.objects.prog(a.prog_fd)?;
        self.attach
            .attach(&self.platform, target, prog, a.flags & BPF_F_RCORE_PROBE_CTX != 0)?;
        Ok(0)
    }

    pub(super) fn prog_detach(&self, buf: &AttrBytes) -> Result<usize> {
        let (a, _) = AttachTarget::read_from_prefix(buf).map_err(|_| Error::InvalidArgument)?;
        if a.flags != 0 {
            return Err(Error::BadFlags { flags: a.flags.into() });
        }
        let target = self.target(&a)?;
        let prog = match a.prog_fd {
            0 => None,
            fd => Some(self.objects.prog(fd)?),
        };
        self.attach.detach(&self.platform, &target, prog.as_ref())?;
        Ok(0)
    }
}
