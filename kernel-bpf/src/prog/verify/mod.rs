//! The verifier, pass by pass as Linux's `bpf_check`:
//!
//! - [`cfg`](mod@cfg): the control-flow graph (subprograms, jump ranges, last
//!   instructions, reachability);
//! - `check`: every path walked with the abstract state of [`state`]
//!   (registers as [`scalar`]s with [`tnum`]s, or typed pointers; stack
//!   bytes; references), memory accesses checked against the regions and
//!   the context rules of [`ctx`], helper calls against their prototypes;
//! - [`log`]: the log a loader asked for, worded as Linux's.
//!
//! The model is Linux's privileged loader, with the deliberate differences
//! listed in `docs/verifier.md`.

pub mod cfg;
mod check;
pub mod ctx;
pub mod log;
pub mod scalar;
pub mod state;
pub mod tnum;

pub use cfg::CfgError;
pub use log::Log;

use crate::error::Error;
use crate::prog::insn::Insn;
use abi::{MapType, ProgType};
use alloc::vec::Vec;

/// What the verifier knows of a map a program uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// The type.
    pub map_type: MapType,
    /// Key size.
    pub key_size: u32,
    /// Value size.
    pub value_size: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// BPF_F_* flags (read-only and write-only for programs).
    pub flags: u32,
    /// For a map of maps, the index of its inner template in the table.
    pub inner: Option<u16>,
}

/// What a 64-bit immediate load at an instruction loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LdImm {
    /// A map (BPF_PSEUDO_MAP_FD), by index in the map table.
    Map(u16),
    /// A map's value at an offset (BPF_PSEUDO_MAP_VALUE).
    Value(u16, u32),
}

/// A program to verify.
pub struct Input<'a> {
    /// Its instructions.
    pub insns: &'a [Insn],
    /// Its type.
    pub prog_type: ProgType,
    /// Whether its license is GPL-compatible.
    pub gpl: bool,
    /// The maps it references, and the inner templates of maps of maps.
    pub maps: Vec<MapInfo>,
    /// The 64-bit immediate loads of maps: (instruction, what it loads),
    /// in instruction order.
    pub ld: Vec<(usize, LdImm)>,
}

/// What the verifier proved, for the loader.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// The end of the furthest context byte the program reads or writes.
    pub ctx_end: usize,
    /// Stack bytes each subprogram uses, in order.
    pub stack_depth: Vec<usize>,
    /// By instruction: a load or store that, on every path, reached only
    /// the stack, a map value or helper memory, in bounds (so it needs no
    /// check when the program runs).
    pub proven: Vec<bool>,
    /// By instruction: for a helper call that takes a map, the map (an
    /// index into the input's maps) when every path passed the same one,
    /// with its key (if the helper takes one) on the stack or in a map
    /// value, which needs no check (Linux's per-call map state, which
    /// lets it inline lookups).
    pub call_map: Vec<Option<u16>>,
}

/// Verifies `p` (its control flow first), writing what `log` asks for.
///
/// # Errors
/// [`Error::Cfg`] for the control flow; [`Error::Rejected`] (the reason
/// in the log) or the helper errors ([`Error::UnknownHelper`],
/// [`Error::HelperNotAllowed`], [`Error::GplOnlyHelper`]) for the rest.
pub fn verify(p: &Input<'_>, log: &mut Log) -> Result<Verified, Error> {
    let starts = cfg::check(p.insns).map_err(|e| {
        log.line(format_args!("{e}"));
        Error::Cfg(e)
    })?;
    check::Walk::new(p, log, &starts).run()
}

#[cfg(test)]
mod tests;
