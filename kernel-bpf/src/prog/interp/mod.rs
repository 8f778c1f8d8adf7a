//! The interpreter: the whole ISA of RFC 9669 (ALU and ALU64, signed
//! division, sign-extending moves and loads, byte swaps, JMP and JMP32,
//! the long jump, atomics, 64-bit immediates, helper calls, local calls
//! with their own stack frames, exit), with every memory access checked
//! (see [`mem`]).
//!
//! Semantics where the ISA leaves a choice follow Linux: `x / 0 == 0`,
//! `x % 0 == x`, `INT_MIN / -1 == INT_MIN`, `INT_MIN % -1 == 0`, shift
//! counts masked to the operand width, 32-bit results zero-extended.

pub mod mem;

use crate::error::{Error, Result};
use crate::prog::insn::{
    Insn, ADD32_K, ADD32_X, ADD64_K, ADD64_X, AND32_K, AND32_X, AND64_K, AND64_X, ARSH64_K, ARSH64_X, ATOMIC_DW,
    ATOMIC_W, CALL, CALLX, EXIT, JA, JA32, JEQ32_K, JEQ32_X, JEQ_K, JEQ_X, JGE32_K, JGE32_X, JGE_K, JGE_X, JGT32_K,
    JGT32_X, JGT_K, JGT_X, JLE32_K, JLE32_X, JLE_K, JLE_X, JLT32_K, JLT32_X, JLT_K, JLT_X, JNE32_K, JNE32_X, JNE_K,
    JNE_X, JSET32_K, JSET32_X, JSET_K, JSET_X, JSGE32_K, JSGE32_X, JSGE_K, JSGE_X, JSGT32_K, JSGT32_X, JSGT_K, JSGT_X,
    JSLE32_K, JSLE32_X, JSLE_K, JSLE_X, JSLT32_K, JSLT32_X, JSLT_K, JSLT_X, LDXS_B, LDXS_H, LDXS_W, LDX_B, LDX_DW,
    LDX_H, LDX_W, LD_DW_IMM, LSH32_K, LSH32_X, LSH64_K, LSH64_X, MOV32_K, MOV32_X, MOV64_K, MOV64_X, MUL32_K, MUL32_X,
    MUL64_K, MUL64_X, OR32_K, OR32_X, OR64_K, OR64_X, RSH32_K, RSH32_X, RSH64_K, RSH64_X, STX_B, STX_DW, STX_H, STX_W,
    ST_B, ST_DW, ST_H, ST_W, SUB32_K, SUB32_X, SUB64_K, SUB64_X, XOR32_K, XOR32_X, XOR64_K, XOR64_X,
};
use abi::*;
use alloc::sync::Arc;
use mem::{AtomicOp, Memory};

/// Bytes of stack all frames of one run share.
pub const STACK_BYTES: usize = (MAX_BPF_STACK * MAX_CALL_FRAMES) as usize;

/// What a program calls out to.
pub trait Env {
    /// Runs helper `id` with arguments r1..r5; returns r0.
    ///
    /// # Errors
    /// [`Error::UnknownHelper`] for an id it does not provide, or the
    /// helper's own fatal error (a helper's ordinary failures are negative
    /// return values, not errors).
    fn call(&mut self, id: u32, args: [u64; 5], mem: &mut Memory) -> Result<u64>;

    /// bpf_tail_call(ctx, prog_array, index): the program to continue with,
    /// or `None`, and the call falls through to the next instruction.
    fn tail_call(&mut self, prog_array: u64, index: u64, mem: &mut Memory) -> Option<Arc<[Insn]>> {
        let _ = (prog_array, index, mem);
        None
    }
}

/// Limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Jumps and calls a run may take before it is stopped (straight-line
    /// code between them is bounded by the program's length).
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_steps: 1 << 24 }
    }
}

struct Frame {
    ret: usize,
    saved: [u64; 4],
}

/// Bytes a load or store moves.
#[inline]
fn access_size(code: u8) -> u64 {
    match code & BPF_SIZE_MASK {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    }
}

#[inline]
fn fault(pc: usize, addr: u64) -> Error {
    Error::MemoryFault { pc: pc as u32, addr }
}

/// Runs `prog` from its first instruction with `r1`..`r5` = `args`; returns
/// r0 at the final exit. Adds the stack to `mem`.
///
/// # Errors
/// [`Error::BadInstruction`] (an unknown opcode, a jump out of the
/// program, a truncated 64-bit load), [`Error::MemoryFault`],
/// [`Error::CallDepth`], [`Error::StepLimit`], and helper errors.
pub fn run(prog: &[Insn], args: [u64; 5], mem: &mut Memory, env: &mut dyn Env, limits: Limits) -> Result<u64> {
    let stack = mem.stack(STACK_BYTES, MAX_BPF_STACK as usize);
    let mut reg = [0u64; 16];
    reg[1..6].copy_from_slice(&args);
    let mut steps = 0u64;
    let mut tail: Option<Arc<[Insn]>> = None;
    let mut tails_left = MAX_TAIL_CALL_CNT;
    loop {
        reg[10] = stack;
        let p: &[Insn] = tail.as_deref().unwrap_or(prog);
        match exec(p, reg, mem, env, limits, &mut steps, tails_left > 0)? {
            Exit::Return(r0) => return Ok(r0),
            Exit::Tail(next, ctx) => {
                // The next program starts afresh with the context in r1.
                reg = [0; 16];
                reg[1] = ctx;
                tail = Some(next);
                tails_left -= 1;
            }
        }
    }
}

/// The result of ALU or ALU64 instruction `i` on `dst` and `src` (the
/// source register's value, unused by immediate forms), as Linux computes
/// it: division by zero gives 0, modulo by zero leaves `dst`, 32-bit
/// results are zero-extended. `None` for an encoding that is not an
/// instruction. The verifier folds constants with it.
pub fn alu(i: &Insn, dst: u64, src: u64) -> Option<u64> {
    let x = i.code & BPF_SRC_MASK == BPF_X;
    let op = i.code & BPF_OP_MASK;
    if i.class() == BPF_ALU64 {
        let v = if x { src } else { i.imm as i64 as u64 };
        return Some(match op {
            BPF_ADD => dst.wrapping_add(v),
            BPF_SUB => dst.wrapping_sub(v),
            BPF_MUL => dst.wrapping_mul(v),
            BPF_DIV if i.off == 1 => match v {
                0 => 0,
                _ => (dst as i64).wrapping_div(v as i64) as u64,
            },
            BPF_DIV => dst.checked_div(v).unwrap_or(0),
            BPF_MOD if i.off == 1 => match v {
                0 => dst,
                _ => (dst as i64).wrapping_rem(v as i64) as u64,
            },
            BPF_MOD => dst.checked_rem(v).unwrap_or(dst),
            BPF_OR => dst | v,
            BPF_AND => dst & v,
            BPF_XOR => dst ^ v,
            BPF_LSH => dst.wrapping_shl(v as u32),
            BPF_RSH => dst.wrapping_shr(v as u32),
            BPF_ARSH => (dst as i64).wrapping_shr(v as u32) as u64,
            BPF_NEG => dst.wrapping_neg(),
            BPF_MOV => match i.off {
                0 => v,
                8 => src as i8 as i64 as u64,
                16 => src as i16 as i64 as u64,
                32 => src as i32 as i64 as u64,
                _ => return None,
            },
            BPF_END if !x => match i.imm {
                16 => u64::from((dst as u16).swap_bytes()),
                32 => u64::from((dst as u32).swap_bytes()),
                64 => dst.swap_bytes(),
                _ => return None,
            },
            _ => return None,
        });
    }
    if i.class() != BPF_ALU {
        return None;
    }
    let a = dst as u32;
    let v = if x { src as u32 } else { i.imm as u32 };
    Some(u64::from(match op {
        BPF_ADD => a.wrapping_add(v),
        BPF_SUB => a.wrapping_sub(v),
        BPF_MUL => a.wrapping_mul(v),
        BPF_DIV if i.off == 1 => match v {
            0 => 0,
            _ => (a as i32).wrapping_div(v as i32) as u32,
        },
        BPF_DIV => a.checked_div(v).unwrap_or(0),
        BPF_MOD if i.off == 1 => match v {
            0 => a,
            _ => (a as i32).wrapping_rem(v as i32) as u32,
        },
        BPF_MOD => a.checked_rem(v).unwrap_or(a),
        BPF_OR => a | v,
        BPF_AND => a & v,
        BPF_XOR => a ^ v,
        BPF_LSH => a.wrapping_shl(v),
        BPF_RSH => a.wrapping_shr(v),
        BPF_ARSH => (a as i32).wrapping_shr(v) as u32,
        BPF_NEG => a.wrapping_neg(),
        BPF_MOV => match i.off {
            0 => v,
            8 => src as i8 as i32 as u32,
            16 => src as i16 as i32 as u32,
            _ => return None,
        },
        // Byte order: `x` (BPF_TO_BE) swaps on little-endian hosts.
        BPF_END => {
            let swap = x != cfg!(target_endian = "big");
            return match (i.imm, swap) {
                (16, false) => Some(u64::from(dst as u16)),
                (32, false) => Some(u64::from(dst as u32)),
                (64, false) => Some(dst),
                (16, true) => Some(u64::from((dst as u16).swap_bytes())),
                (32, true) => Some(u64::from((dst as u32).swap_bytes())),
                (64, true) => Some(dst.swap_bytes()),
                _ => None,
            };
        }
        _ => return None,
    }))
}

/// How one program's execution ended.
enum Exit {
    Return(u64),
    Tail(Arc<[Insn]>, u64),
}

/// Helper id of bpf_tail_call, from the generated table.
const TAIL_CALL: u32 = abi::Helper::TailCall.raw();

/// Runs one program until it exits or tail calls (`can_tail`: the run's
/// tail-call budget is not spent).
fn exec(
    prog: &[Insn],
    mut reg: [u64; 16],
    mem: &mut Memory,
    env: &mut dyn Env,
    limits: Limits,
    steps: &mut u64,
    can_tail: bool,
) -> Result<Exit> {
    let bad = |pc: usize| Error::BadInstruction { pc: pc as u32 };
    // Registers are checked once here, so the loop indexes a 16-entry file
    // without bounds checks.
    if let Some(pc) = prog.iter().position(|i| i.dst > 10 || i.src > 10) {
        return Err(bad(pc));
    }
    let mut frames: alloc::vec::Vec<Frame> = alloc::vec::Vec::new();
    let mut pc = 0usize;
    loop {
        let Some(&i) = prog.get(pc) else { return Err(bad(pc)) };
        let (d, s) = (usize::from(i.dst & 15), usize::from(i.src & 15));
        let imm = i.imm as i64 as u64;
        let imm32 = i.imm as u32;
        let off = i64::from(i.off);
        let dst = reg[d];
        let src = reg[s];
        let addr = |base: u64| base.wrapping_add(off as u64);
        let mut next = pc + 1;
        // A jump to `pc + 1 + rel`, checked to stay in the program. Jumps
        // (and calls) are what the step budget counts: code between them
        // runs at most once through the program.
        let mut jump = |rel: i64| -> Result<usize> {
            *steps += 1;
            if *steps > limits.max_steps {
                return Err(Error::StepLimit);
            }
            let t = pc as i64 + 1 + rel;
            if t < 0 || t as usize >= prog.len() {
                return Err(bad(pc));
            }
            Ok(t as usize)
        };
        // The common operations have an arm of their own, so one jump table
        // dispatches them; everything else is decoded by class below.
        match i.code {
            ADD64_K => reg[d] = dst.wrapping_add(imm),
            ADD64_X => reg[d] = dst.wrapping_add(src),
            ADD32_K => reg[d] = u64::from((dst as u32).wrapping_add(imm32)),
            ADD32_X => reg[d] = u64::from((dst as u32).wrapping_add(src as u32)),
            SUB64_K => reg[d] = dst.wrapping_sub(imm),
            SUB64_X => reg[d] = dst.wrapping_sub(src),
            SUB32_K => reg[d] = u64::from((dst as u32).wrapping_sub(imm32)),
            SUB32_X => reg[d] = u64::from((dst as u32).wrapping_sub(src as u32)),
            MUL64_K => reg[d] = dst.wrapping_mul(imm),
            MUL64_X => reg[d] = dst.wrapping_mul(src),
            MUL32_K => reg[d] = u64::from((dst as u32).wrapping_mul(imm32)),
            MUL32_X => reg[d] = u64::from((dst as u32).wrapping_mul(src as u32)),
            OR64_K => reg[d] = dst | imm,
            OR64_X => reg[d] = dst | src,
            OR32_K => reg[d] = u64::from((dst as u32) | imm32),
            OR32_X => reg[d] = u64::from((dst as u32) | (src as u32)),
            AND64_K => reg[d] = dst & imm,
            AND64_X => reg[d] = dst & src,
            AND32_K => reg[d] = u64::from((dst as u32) & imm32),
            AND32_X => reg[d] = u64::from((dst as u32) & (src as u32)),
            XOR64_K => reg[d] = dst ^ imm,
            XOR64_X => reg[d] = dst ^ src,
            XOR32_K => reg[d] = u64::from((dst as u32) ^ imm32),
            XOR32_X => reg[d] = u64::from((dst as u32) ^ (src as u32)),
            LSH64_K => reg[d] = dst.wrapping_shl(imm as u32),
            LSH64_X => reg[d] = dst.wrapping_shl(src as u32),
            LSH32_K => reg[d] = u64::from((dst as u32).wrapping_shl(imm32)),
            LSH32_X => reg[d] = u64::from((dst as u32).wrapping_shl(src as u32)),
            RSH64_K => reg[d] = dst.wrapping_shr(imm as u32),
            RSH64_X => reg[d] = dst.wrapping_shr(src as u32),
            RSH32_K => reg[d] = u64::from((dst as u32).wrapping_shr(imm32)),
            RSH32_X => reg[d] = u64::from((dst as u32).wrapping_shr(src as u32)),
            ARSH64_K => reg[d] = (dst as i64).wrapping_shr(imm32) as u64,
            ARSH64_X => reg[d] = (dst as i64).wrapping_shr(src as u32) as u64,
            MOV64_K => reg[d] = imm,
            MOV64_X if i.off == 0 => reg[d] = src,
            MOV32_K => reg[d] = u64::from(imm32),
            MOV32_X if i.off == 0 => reg[d] = u64::from(src as u32),
            JEQ_K => {
                if dst == imm {
                    next = jump(off)?;
                }
            }
            JEQ_X => {
                if dst == src {
                    next = jump(off)?;
                }
            }
            JEQ32_K => {
                if (dst as u32) == imm32 {
                    next = jump(off)?;
                }
            }
            JEQ32_X => {
                if (dst as u32) == (src as u32) {
                    next = jump(off)?;
                }
            }
            JNE_K => {
                if dst != imm {
                    next = jump(off)?;
                }
            }
            JNE_X => {
                if dst != src {
                    next = jump(off)?;
                }
            }
            JNE32_K => {
                if (dst as u32) != imm32 {
                    next = jump(off)?;
                }
            }
            JNE32_X => {
                if (dst as u32) != (src as u32) {
                    next = jump(off)?;
                }
            }
            JGT_K => {
                if dst > imm {
                    next = jump(off)?;
                }
            }
            JGT_X => {
                if dst > src {
                    next = jump(off)?;
                }
            }
            JGT32_K => {
                if (dst as u32) > imm32 {
                    next = jump(off)?;
                }
            }
            JGT32_X => {
                if (dst as u32) > (src as u32) {
                    next = jump(off)?;
                }
            }
            JGE_K => {
                if dst >= imm {
                    next = jump(off)?;
                }
            }
            JGE_X => {
                if dst >= src {
                    next = jump(off)?;
                }
            }
            JGE32_K => {
                if (dst as u32) >= imm32 {
                    next = jump(off)?;
                }
            }
            JGE32_X => {
                if (dst as u32) >= (src as u32) {
                    next = jump(off)?;
                }
            }
            JLT_K => {
                if dst < imm {
                    next = jump(off)?;
                }
            }
            JLT_X => {
                if dst < src {
                    next = jump(off)?;
                }
            }
            JLT32_K => {
                if (dst as u32) < imm32 {
                    next = jump(off)?;
                }
            }
            JLT32_X => {
                if (dst as u32) < (src as u32) {
                    next = jump(off)?;
                }
            }
            JLE_K => {
                if dst <= imm {
                    next = jump(off)?;
                }
            }
            JLE_X => {
                if dst <= src {
                    next = jump(off)?;
                }
            }
            JLE32_K => {
                if (dst as u32) <= imm32 {
                    next = jump(off)?;
                }
            }
            JLE32_X => {
                if (dst as u32) <= (src as u32) {
                    next = jump(off)?;
                }
            }
            JSET_K => {
                if dst & imm != 0 {
                    next = jump(off)?;
                }
            }
            JSET_X => {
                if dst & src != 0 {
                    next = jump(off)?;
                }
            }
            JSET32_K => {
                if (dst as u32) & imm32 != 0 {
                    next = jump(off)?;
                }
            }
            JSET32_X => {
                if (dst as u32) & (src as u32) != 0 {
                    next = jump(off)?;
                }
            }
            JSGT_K => {
                if (dst as i64) > (imm as i64) {
                    next = jump(off)?;
                }
            }
            JSGT_X => {
                if (dst as i64) > (src as i64) {
                    next = jump(off)?;
                }
            }
            JSGT32_K => {
                if (dst as u32 as i32) > (imm32 as i32) {
                    next = jump(off)?;
                }
            }
            JSGT32_X => {
                if (dst as u32 as i32) > (src as u32 as i32) {
                    next = jump(off)?;
                }
            }
            JSGE_K => {
                if (dst as i64) >= (imm as i64) {
                    next = jump(off)?;
                }
            }
            JSGE_X => {
                if (dst as i64) >= (src as i64) {
                    next = jump(off)?;
                }
            }
            JSGE32_K => {
                if (dst as u32 as i32) >= (imm32 as i32) {
                    next = jump(off)?;
                }
            }
            JSGE32_X => {
                if (dst as u32 as i32) >= (src as u32 as i32) {
                    next = jump(off)?;
                }
            }
            JSLT_K => {
                if (dst as i64) < (imm as i64) {
                    next = jump(off)?;
                }
            }
            JSLT_X => {
                if (dst as i64) < (src as i64) {
                    next = jump(off)?;
                }
            }
            JSLT32_K => {
                if (dst as u32 as i32) < (imm32 as i32) {
                    next = jump(off)?;
                }
            }
            JSLT32_X => {
                if (dst as u32 as i32) < (src as u32 as i32) {
                    next = jump(off)?;
                }
            }
            JSLE_K => {
                if (dst as i64) <= (imm as i64) {
                    next = jump(off)?;
                }
            }
            JSLE_X => {
                if (dst as i64) <= (src as i64) {
                    next = jump(off)?;
                }
            }
            JSLE32_K => {
                if (dst as u32 as i32) <= (imm32 as i32) {
                    next = jump(off)?;
                }
            }
            JSLE32_X => {
                if (dst as u32 as i32) <= (src as u32 as i32) {
                    next = jump(off)?;
                }
            }
            _ => {
                match i.code & BPF_CLASS_MASK {
                    BPF_ALU64 | BPF_ALU => reg[d] = alu(&i, dst, src).ok_or_else(|| bad(pc))?,
                    BPF_LD => {
                        let mode = i.code & BPF_MODE_MASK;
                        if mode == BPF_ABS || mode == BPF_IND {
                            // Legacy packet load from the skb in r6: a
                            // failed load ends the program with r0 = 0.
                            let size = match i.code & BPF_SIZE_MASK {
                                BPF_B => 1,
                                BPF_H => 2,
                                BPF_W => 4,
                                _ => return Err(bad(pc)),
                            };
                            let off = if mode == BPF_ABS {
                                imm32 as i32
                            } else {
                                (reg[s] as u32).wrapping_add(imm32) as i32
                            };
                            match mem.load_packet(reg[6], off, size) {
                                Some(v) => reg[0] = v,
                                None => return Ok(Exit::Return(0)),
                            }
                            pc += 1;
                            continue;
                        }
                        if i.code != LD_DW_IMM {
                            return Err(bad(pc));
                        }
                        let Some(hi) = prog.get(pc + 1) else {
                            return Err(bad(pc));
                        };
                        if hi.code != 0 || i.src != 0 {
                            // Map references are resolved by the loader before a run.
                            return Err(bad(pc));
                        }
                        reg[d] = (u64::from(hi.imm as u32) << 32) | u64::from(imm32);
                        next = pc + 2;
                    }
                    BPF_LDX => {
                        if !matches!(i.code, LDX_B | LDX_H | LDX_W | LDX_DW | LDXS_B | LDXS_H | LDXS_W) {
                            return Err(bad(pc));
                        }
                        let size = access_size(i.code);
                        let a = addr(src);
                        let v = mem.load(a, size).ok_or(fault(pc, a))?;
                        reg[d] = if i.code & BPF_MODE_MASK == BPF_MEMSX {
                            match size {
                                1 => v as i8 as i64 as u64,
                                2 => v as i16 as i64 as u64,
                                _ => v as i32 as i64 as u64,
                            }
                        } else {
                            v
                        };
                    }
                    BPF_ST | BPF_STX
                        if matches!(i.code, ST_B | ST_H | ST_W | ST_DW | STX_B | STX_H | STX_W | STX_DW) =>
                    {
                        let size = access_size(i.code);
                        let v = if i.code & BPF_CLASS_MASK == BPF_ST { imm } else { src };
                        let a = addr(dst);
                        mem.store(a, size, v).ok_or(fault(pc, a))?;
                    }
                    BPF_STX if matches!(i.code, ATOMIC_W | ATOMIC_DW) => {
                        let size = if i.code == ATOMIC_W { 4 } else { 8 };
                        let a = addr(dst);
                        let fetch = imm32 & BPF_FETCH != 0;
                        if imm32 == BPF_CMPXCHG {
                            let old = mem.cmpxchg(a, size, reg[0], src).ok_or(fault(pc, a))?;
                            reg[0] = if size == 4 { u64::from(old as u32) } else { old };
                        } else {
                            let op = match imm32 & !BPF_FETCH {
                                x if x == u32::from(BPF_ADD) => AtomicOp::Add,
                                x if x == u32::from(BPF_OR) => AtomicOp::Or,
                                x if x == u32::from(BPF_AND) => AtomicOp::And,
                                x if x == u32::from(BPF_XOR) => AtomicOp::Xor,
                                _ if imm32 == BPF_XCHG => AtomicOp::Xchg,
                                _ => return Err(bad(pc)),
                            };
                            let old = mem.atomic(a, size, op, src).ok_or(fault(pc, a))?;
                            if fetch {
                                reg[s] = if size == 4 { u64::from(old as u32) } else { old };
                            }
                        }
                    }
                    BPF_ST | BPF_STX => return Err(bad(pc)),
                    _ => match i.code {
                        JA => next = jump(off)?,
                        JA32 => next = jump(i64::from(i.imm))?,
                        CALL if i.src == BPF_PSEUDO_CALL => {
                            if frames.len() + 1 >= MAX_CALL_FRAMES as usize {
                                return Err(Error::CallDepth { pc: pc as u32 });
                            }
                            frames.push(Frame {
                                ret: pc + 1,
                                saved: [reg[6], reg[7], reg[8], reg[9]],
                            });
                            reg[10] += u64::from(MAX_BPF_STACK);
                            // The callee's frame starts zeroed, as the entry frame does.
                            mem.zero(reg[10] - u64::from(MAX_BPF_STACK), MAX_BPF_STACK as usize);
                            next = jump(i64::from(i.imm))?;
                        }
                        CALL | CALLX => {
                            let id = if i.code == CALLX { reg[d] as u32 } else { imm32 };
                            if i.code == CALL && i.src != 0 {
                                return Err(bad(pc));
                            }
                            if id == TAIL_CALL {
                                // Only the entry frame may tail call; a failed tail
                                // call falls through.
                                if frames.is_empty() && can_tail {
                                    if let Some(next) = env.tail_call(reg[2], reg[3], mem) {
                                        return Ok(Exit::Tail(next, reg[1]));
                                    }
                                }
                            } else {
                                reg[0] = env.call(id, [reg[1], reg[2], reg[3], reg[4], reg[5]], mem)?;
                            }
                        }
                        EXIT => match frames.pop() {
                            None => return Ok(Exit::Return(reg[0])),
                            Some(f) => {
                                reg[6..10].copy_from_slice(&f.saved);
                                reg[10] -= u64::from(MAX_BPF_STACK);
                                next = f.ret;
                            }
                        },
                        // Conditional jumps, 64- and 32-bit.
                        c if matches!(c & BPF_CLASS_MASK, BPF_JMP | BPF_JMP32) => {
                            let x = c & BPF_SRC_MASK == BPF_X;
                            let wide = c & BPF_CLASS_MASK == BPF_JMP;
                            let (a, b) = if wide {
                                (dst, if x { src } else { imm })
                            } else {
                                (u64::from(dst as u32), u64::from(if x { src as u32 } else { imm32 }))
                            };
                            let (sa, sb) = if wide {
                                (a as i64, b as i64)
                            } else {
                                (i64::from(a as u32 as i32), i64::from(b as u32 as i32))
                            };
                            let taken = match c & BPF_OP_MASK {
                                BPF_JEQ => a == b,
                                BPF_JNE => a != b,
                                BPF_JGT => a > b,
                                BPF_JGE => a >= b,
                                BPF_JLT => a < b,
                                BPF_JLE => a <= b,
                                BPF_JSET => a & b != 0,
                                BPF_JSGT => sa > sb,
                                BPF_JSGE => sa >= sb,
                                BPF_JSLT => sa < sb,
                                BPF_JSLE => sa <= sb,
                                _ => return Err(bad(pc)),
                            };
                            if taken {
                                next = jump(off)?;
                            }
                        }
                        _ => return Err(bad(pc)),
                    },
                }
            }
        }
        pc = next;
    }
}

#[cfg(test)]
mod tests;
