//! The verifier, pass by pass (Linux's `bpf_check`). Today it has the first
//! pass, the control-flow graph ([`cfg`]): subprograms, jump ranges, the
//! last instruction of each subprogram, reachability. The abstract
//! interpretation of registers and memory comes next (issue 9).

pub mod cfg;

pub use cfg::CfgError;
