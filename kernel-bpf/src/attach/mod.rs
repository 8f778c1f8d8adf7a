//! Attach: probe points, the programs attached to each, and running them
//! when a point fires.
//!
//! - [`target`]: the target strings of BPF_PROG_ATTACH (`kprobe:<fn>`,
//!   `kretprobe@entry:<fn>`, `kretprobe@exit:<fn>`,
//!   `tracepoint:<category>:<name>`, `raw_tracepoint:<name>`), and the
//!   target an ELF program's section names;
//! - [`points`]: the table of points in use, each with its programs in
//!   attach order, and the platform's (un)registration of its probe;
//! - `fire`: [`Bpf::fire`](crate::Bpf::fire), which the platform calls when
//!   a registered point fires: each program runs with that point's context.
//!
//! # Contexts
//!
//! The platform hands a point's context as bytes in the layout the
//! description gives: for kprobes and kretprobes the architecture's
//! `struct bpf_pt_regs_<arch>` (what libbpf's `PT_REGS_*` read), for
//! tracepoints the record with its `struct trace_entry` header, for raw
//! tracepoints the arguments as words (`struct bpf_raw_tracepoint_args`).
//! A program attached with `BPF_F_RCORE_PROBE_CTX` gets the original rCore
//! context, `struct bpf_probe_ctx`, built from the RISC-V registers
//! instead. Programs get a read-only copy, so no program can change the
//! interrupted code's state.
//!
//! # Ownership
//!
//! An attachment holds its program: closing the program's last fd does
//! not detach it (Linux's link semantics); BPF_PROG_DETACH, or the kernel
//! going away, does. Attachments are roots: nothing holds them but the
//! point table, so they are in no cycle.

mod fire;
pub mod points;
pub mod target;

pub use points::{Attached, PointId, Points, ProbeSpec};
pub use target::{ProbeKind, Target};
