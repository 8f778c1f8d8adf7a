//! Firing a point: every attached program runs, in attach order, on a
//! read-only copy of the point's context.

use super::points::PointId;
use super::target::ProbeKind;
use crate::platform::Platform;
use crate::syscall::Bpf;
use abi::{ProbeCtx, ProbeType};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use zerocopy::{FromZeros, IntoBytes};

/// The original rCore context of a function probe, from the platform's
/// register file (`struct bpf_pt_regs_<arch>` bytes).
fn rcore_ctx(kind: ProbeKind, regs: &[u8], func_ip: u64) -> Vec<u8> {
    let mut c = ProbeCtx::new_zeroed();
    c.probe_type = match kind {
        ProbeKind::KretprobeEntry => ProbeType::KretprobeEntry,
        ProbeKind::KretprobeExit => ProbeType::KretprobeExit,
        _ => ProbeType::Kprobe,
    }
    .raw()
    .into();
    c.paddr = func_ip;
    let words: Vec<u64> = regs
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
        .collect();
    if cfg!(target_arch = "riscv64") {
        // user_regs_struct: pc, then x1..x31; x0 reads as zero.
        c.pc = words.first().copied().unwrap_or(0);
        for (r, w) in c.regs.iter_mut().zip(words.iter()).skip(1) {
            *r = *w;
        }
    } else {
        // Other architectures: the register file's words in order.
        for (r, w) in c.regs.iter_mut().zip(&words) {
            *r = *w;
        }
    }
    c.as_bytes().to_vec()
}

impl<P: Platform> Bpf<P> {
    /// Runs every program attached to point `id` (a number the platform got
    /// in [`Platform::register_probe`]); the platform calls this when the
    /// point fires. `ctx` is the point's context in the layout its kind
    /// takes (see [`crate::attach`]); `func_ip` the probed function's
    /// address (bpf_get_func_ip), 0 for tracepoints. Returns how many
    /// programs ran. A point with nothing attached returns at once.
    pub fn fire(&self, id: PointId, ctx: &[u8], func_ip: u64) -> usize {
        let Some(point) = self.attach.get(id) else { return 0 };
        let progs = point.progs.read().clone();
        // A run context from the pool (its stack and buffers reused).
        let mut mem = self.attach.scratch.lock().pop().unwrap_or_default();
        for a in progs.iter() {
            mem.recycle();
            let (_, addr) = if a.rcore_ctx {
                mem.own_copy(&rcore_ctx(point.target.kind, ctx, func_ip), false)
            } else {
                mem.own_copy(ctx, false)
            };
            a.runs.fetch_add(1, Ordering::Relaxed);
            if self.run_probe(&a.prog, &mut mem, addr, 0, func_ip).is_err() {
                a.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        mem.recycle();
        self.attach.scratch.lock().push(mem);
        progs.len()
    }
}
