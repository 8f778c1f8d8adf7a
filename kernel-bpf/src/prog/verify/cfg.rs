//! The control-flow graph, checked as Linux's `check_subprogs` and
//! `check_cfg` check it, with Linux's log lines: subprograms start at
//! instruction 0 and at every bpf-to-bpf call's target; a jump stays inside
//! its subprogram; each subprogram ends in `exit` or an unconditional jump;
//! every instruction is reachable; nothing jumps into the second half of a
//! 64-bit immediate load. Loops are allowed (a privileged loader's rule);
//! whether they end is the later passes' question.

use crate::prog::insn::{Insn, CALL, EXIT, JA, JA32, LD_DW_IMM};
use abi::{BPF_CALL, BPF_EXIT, BPF_JMP, BPF_JMP32, BPF_OP_MASK, BPF_PSEUDO_CALL};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Why a program's control flow is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfgError {
    /// A bpf-to-bpf call outside the program.
    CallOutOfRange {
        /// The call.
        pc: usize,
    },
    /// A jump leaves its subprogram (or the program).
    JumpOutOfRange {
        /// The jump.
        from: usize,
        /// Where it goes.
        to: i64,
    },
    /// A subprogram's last instruction can fall through.
    LastNotExit {
        /// That instruction.
        pc: usize,
    },
    /// An instruction no path reaches.
    Unreachable {
        /// The instruction.
        pc: usize,
    },
    /// A jump lands on the second half of the 64-bit immediate load at `pc`.
    IntoLddw {
        /// The load.
        pc: usize,
    },
}

impl fmt::Display for CfgError {
    /// Linux's log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CfgError::CallOutOfRange { .. } => write!(f, "call to invalid destination"),
            CfgError::JumpOutOfRange { from, to } => write!(f, "jump out of range from insn {from} to {to}"),
            CfgError::LastNotExit { .. } => write!(f, "last insn is not an exit or jmp"),
            CfgError::Unreachable { pc } => write!(f, "unreachable insn {pc}"),
            CfgError::IntoLddw { pc } => write!(f, "jump into the middle of ldimm64 insn {pc}"),
        }
    }
}

/// Whether `i` is a jump (conditional or not), not a call or exit.
fn is_jump(i: &Insn) -> bool {
    let (class, op) = (i.class(), i.code & BPF_OP_MASK);
    (class == BPF_JMP || class == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT
}

/// The target of jump `i` at `pc`.
fn target(pc: usize, i: &Insn) -> i64 {
    let off = if i.code == JA32 {
        i64::from(i.imm)
    } else {
        i64::from(i.off)
    };
    pc as i64 + 1 + off
}

fn is_pseudo_call(i: &Insn) -> bool {
    i.code == CALL && i.src == BPF_PSEUDO_CALL
}

/// Checks `insns` (well-formed 64-bit loads are the caller's check);
/// returns the first instruction of each subprogram, in order.
///
/// # Errors
/// The first problem, in Linux's order: calls and jumps out of range, a
/// subprogram that can fall off its end, then unreachable instructions and
/// jumps into a 64-bit load.
pub fn check(insns: &[Insn]) -> Result<Vec<usize>, CfgError> {
    let n = insns.len();
    let mut starts = vec![0usize];
    for (pc, i) in insns.iter().enumerate() {
        if is_pseudo_call(i) {
            let t = pc as i64 + 1 + i64::from(i.imm);
            if t < 0 || t >= n as i64 {
                return Err(CfgError::CallOutOfRange { pc });
            }
            starts.push(t as usize);
        }
    }
    starts.sort_unstable();
    starts.dedup();
    // Jumps stay inside their subprogram, which ends in exit or a jump.
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        for (pc, i) in insns.iter().enumerate().take(end).skip(start) {
            if is_jump(i) {
                let to = target(pc, i);
                if to < start as i64 || to >= end as i64 {
                    return Err(CfgError::JumpOutOfRange { from: pc, to });
                }
            }
        }
        let last = &insns[end - 1];
        if !matches!(last.code, EXIT | JA | JA32) {
            return Err(CfgError::LastNotExit { pc: end - 1 });
        }
    }
    // Reachability from the entry, depth first.
    let mut seen = vec![false; n];
    let mut stack = vec![0usize];
    while let Some(pc) = stack.pop() {
        if pc >= n || seen[pc] {
            continue;
        }
        seen[pc] = true;
        let i = &insns[pc];
        if i.code == EXIT {
            continue;
        }
        if is_jump(i) {
            stack.push(target(pc, i) as usize);
            if matches!(i.code, JA | JA32) {
                continue;
            }
        }
        if is_pseudo_call(i) {
            stack.push((pc as i64 + 1 + i64::from(i.imm)) as usize);
        }
        stack.push(pc + if i.code == LD_DW_IMM { 2 } else { 1 });
    }
    let mut pc = 0;
    while pc < n {
        if !seen[pc] {
            return Err(CfgError::Unreachable { pc });
        }
        if insns[pc].code == LD_DW_IMM {
            if seen.get(pc + 1) == Some(&true) {
                return Err(CfgError::IntoLddw { pc });
            }
            pc += 2;
        } else {
            pc += 1;
        }
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prog::asm::assemble;
    use alloc::string::ToString;

    fn cfg(text: &str) -> Result<Vec<usize>, CfgError> {
        check(&assemble(text).unwrap())
    }

    #[test]
    fn linux_control_flow_rules() {
        assert_eq!(cfg("mov %r0, 0\nexit"), Ok(vec![0]));
        assert_eq!(
            cfg("mov %r0, 0\njeq %r0, 0, +1\nexit\nexit"),
            Ok(vec![0]),
            "both ends reachable"
        );
        assert_eq!(
            cfg("mov %r0, 0\nja +1\nmov %r0, 1\nexit"),
            Err(CfgError::Unreachable { pc: 2 })
        );
        assert_eq!(
            cfg("mov %r0, 0\njeq %r0, 0, +5\nexit"),
            Err(CfgError::JumpOutOfRange { from: 1, to: 7 })
        );
        assert_eq!(cfg("mov %r0, 0"), Err(CfgError::LastNotExit { pc: 0 }));
        assert_eq!(
            cfg("lddw %r0, 5\njeq %r0, 0, -2\nexit"),
            Err(CfgError::IntoLddw { pc: 0 }),
            "a jump to the second half of lddw"
        );
        // A loop is fine here; its end is a later pass's question.
        assert_eq!(cfg("mov %r0, 0\nadd %r0, 1\njlt %r0, 9, -2\nexit"), Ok(vec![0]));
        // bpf-to-bpf calls: subprograms, and jumps may not cross them.
        assert_eq!(cfg("call local f\nexit\nf:\nmov %r0, 1\nexit"), Ok(vec![0, 2]));
        assert_eq!(
            cfg("call local f\nja +1\nf:\nmov %r0, 1\nexit"),
            Err(CfgError::JumpOutOfRange { from: 1, to: 3 })
        );
        assert_eq!(
            cfg("call local f\nf:\nmov %r0, 1\nexit"),
            Err(CfgError::LastNotExit { pc: 0 })
        );
        assert_eq!(CfgError::Unreachable { pc: 3 }.to_string(), "unreachable insn 3");
    }
}
