//! The context each program type gets in r1, as the verifier sees it: the
//! `#[ctx]` rules of the ABI description where a type has them (the socket
//! buffer), and Linux's rules for the tracing contexts, which are read-only
//! arrays of machine words. Types whose context is not described here may
//! not touch it at all.

use abi::{ProgType, CTX_FIELDS};
use core::mem::size_of;

/// The context struct of the program types with `#[ctx]` rules.
fn described(t: ProgType) -> Option<&'static str> {
    CTX_FIELDS.iter().find(|f| f.prog_type == t).map(|f| f.ctx)
}

/// The architecture's `struct pt_regs`.
#[cfg(target_arch = "riscv64")]
type PtRegs = abi::PtRegsRiscv64;
#[cfg(not(target_arch = "riscv64"))]
type PtRegs = abi::PtRegsX8664;
#[cfg(target_arch = "riscv64")]
type PerfEventData = abi::PerfEventDataRiscv64;
#[cfg(not(target_arch = "riscv64"))]
type PerfEventData = abi::PerfEventDataX8664;

/// Bytes of a kprobe's context: the architecture's `pt_regs`, or the
/// original `bpf_probe_ctx` when attached with BPF_F_RCORE_PROBE_CTX
/// (the attach checks the program reads no further than it has).
pub const KPROBE_CTX: usize = max(size_of::<PtRegs>(), size_of::<abi::ProbeCtx>());
/// Bytes of `pt_regs` (a kprobe attached without BPF_F_RCORE_PROBE_CTX).
pub const PT_REGS: usize = size_of::<PtRegs>();
/// Bytes of `bpf_probe_ctx`.
pub const PROBE_CTX: usize = size_of::<abi::ProbeCtx>();

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Linux's tracing contexts: `(first readable byte, end)`, read-only, any
/// aligned size.
fn tracing(t: ProgType) -> Option<(usize, usize)> {
    Some(match t {
        ProgType::Kprobe => (0, KPROBE_CTX),
        // The record after its common fields.
        ProgType::Tracepoint => (size_of::<abi::TraceEntry>(), abi::PERF_MAX_TRACE_SIZE as usize),
        ProgType::RawTracepoint | ProgType::RawTracepointWritable => (0, size_of::<abi::RawTracepointArgs>()),
        ProgType::PerfEvent => (0, size_of::<PerfEventData>()),
        _ => return None,
    })
}

/// Whether a program of type `t` may access `size` bytes at `off` of its
/// context.
pub fn access_ok(t: ProgType, off: usize, size: usize, write: bool) -> bool {
    if let Some(name) = described(t) {
        return abi::ctx_access_ok(name, t, off, size, write);
    }
    match tracing(t) {
        Some((lo, hi)) => {
            !write && size.is_power_of_two() && size <= 8 && off % size == 0 && off >= lo && off + size <= hi
        }
        None => false,
    }
}

/// What a context load gives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxLoad {
    /// A number.
    Scalar,
    /// The packet data's start.
    Packet,
    /// The packet data's end.
    PacketEnd,
    /// The packet metadata's start.
    PacketMeta,
}

/// What loading the context field at `off` gives a program of type `t`
/// (the access already checked).
pub fn load(t: ProgType, off: usize) -> CtxLoad {
    let Some(name) = described(t) else {
        return CtxLoad::Scalar;
    };
    let field = CTX_FIELDS
        .iter()
        .find(|f| f.ctx == name && f.prog_type == t && f.offset == off)
        .map(|f| f.field);
    match field {
        Some("data") => CtxLoad::Packet,
        Some("data_end") => CtxLoad::PacketEnd,
        Some("data_meta") => CtxLoad::PacketMeta,
        _ => CtxLoad::Scalar,
    }
}

/// Whether the program type may load packet bytes with BPF_LD_ABS/IND
/// (Linux's `may_access_skb`).
pub fn has_skb(t: ProgType) -> bool {
    described(t) == Some("__sk_buff")
}

/// Whether the program type may write packet data it reaches directly.
pub fn packet_writable(t: ProgType) -> bool {
    matches!(t, ProgType::SchedCls | ProgType::SchedAct | ProgType::Xdp)
}
