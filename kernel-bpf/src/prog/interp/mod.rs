//! The interpreter: the whole ISA of RFC 9669 (ALU and ALU64, signed
//! division, sign-extending moves and loads, byte swaps, JMP and JMP32,
//! the long jump, atomics, 64-bit immediates, helper calls, local calls
//! with their own stack frames, exit), with every memory access checked
//! (see [`mem`]) except those the verifier proved (see [`Code::trust`]).
//!
//! Semantics where the ISA leaves a choice follow Linux: `x / 0 == 0`,
//! `x % 0 == x`, `INT_MIN / -1 == INT_MIN`, `INT_MIN % -1 == 0`, shift
//! counts masked to the operand width, 32-bit results zero-extended.

pub mod code;
pub mod mem;

use crate::error::{Error, Result};
use crate::prog::insn::Insn;
use abi::*;
use alloc::sync::Arc;
use code::{Code, Op, K};
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
    fn tail_call(&mut self, prog_array: u64, index: u64, mem: &mut Memory) -> Option<Arc<Code>> {
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

#[inline]
fn fault(pc: usize, addr: u64) -> Error {
    Error::MemoryFault { pc: pc as u32, addr }
}

/// Runs `prog` from its first instruction with `r1`..`r5` = `args`; returns
/// r0 at the final exit. Adds the stack to `mem`. (A loaded program runs
/// its code prepared at load with [`run_code`].)
///
/// # Errors
/// [`Error::BadInstruction`] (a register above r10 anywhere; an unknown
/// opcode, a jump out of the program or a truncated 64-bit load when
/// reached), [`Error::MemoryFault`], [`Error::CallDepth`],
/// [`Error::StepLimit`], and helper errors.
pub fn run(prog: &[Insn], args: [u64; 5], mem: &mut Memory, env: &mut dyn Env, limits: Limits) -> Result<u64> {
    run_code(&code::prepare(prog)?, args, mem, env, limits)
}

/// [`run`] for prepared code.
///
/// # Errors
/// As [`run`].
#[inline]
pub fn run_code(code: &Code, args: [u64; 5], mem: &mut Memory, env: &mut dyn Env, limits: Limits) -> Result<u64> {
    let stack = mem.stack(STACK_BYTES, MAX_BPF_STACK as usize, !code.verified);
    // Compiled code that calls nothing: entered straight away, as a plain
    // function call (the shortest path, for the shortest programs).
    if let Some(r0) = code
        .jit
        .as_deref()
        .and_then(|image| crate::prog::jit::run_leaf(image, &args, stack))
    {
        return Ok(r0);
    }
    run_on_stack(code, args, stack, mem, env, limits)
}

/// [`run_code`] on the run's stack (`stack`: the entry frame's r10), for
/// all but compiled leaf programs.
#[inline(never)]
fn run_on_stack(
    code: &Code,
    args: [u64; 5],
    stack: u64,
    mem: &mut Memory,
    env: &mut dyn Env,
    limits: Limits,
) -> Result<u64> {
    if let Some(image) = &code.jit {
        return match crate::prog::jit::run(image, code, &args, stack, mem, env, MAX_TAIL_CALL_CNT > 0)? {
            Exit::Return(r0) => Ok(r0),
            Exit::Tail(next, ctx) => chain(next, ctx, stack, mem, env, limits.max_steps, MAX_TAIL_CALL_CNT - 1),
        };
    }
    let mut reg = [0u64; 16];
    reg[1..6].copy_from_slice(&args);
    reg[10] = stack;
    let mut left = limits.max_steps;
    match exec(code, reg, mem, env, &mut left, MAX_TAIL_CALL_CNT > 0)? {
        Exit::Return(r0) => Ok(r0),
        Exit::Tail(next, ctx) => chain(next, ctx, stack, mem, env, left, MAX_TAIL_CALL_CNT - 1),
    }
}

/// Goes on with the program `next` that a tail call chose (`ctx` in r1),
/// and its own tail calls, `tails_left` more at most.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn chain(
    mut next: Arc<Code>,
    mut ctx: u64,
    stack: u64,
    mem: &mut Memory,
    env: &mut dyn Env,
    mut left: u64,
    mut tails_left: u32,
) -> Result<u64> {
    loop {
        // The next program starts afresh with the context in r1.
        let c: &Code = &next;
        let exit = match &c.jit {
            Some(image) => crate::prog::jit::run(image, c, &[ctx, 0, 0, 0, 0], stack, mem, env, tails_left > 0)?,
            None => {
                let mut reg = [0u64; 16];
                reg[1] = ctx;
                reg[10] = stack;
                exec(c, reg, mem, env, &mut left, tails_left > 0)?
            }
        };
        match exit {
            Exit::Return(r0) => return Ok(r0),
            Exit::Tail(n, x) => {
                next = n;
                ctx = x;
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
pub(crate) enum Exit {
    Return(u64),
    Tail(Arc<Code>, u64),
}

/// Helper id of bpf_tail_call, from the generated table.
const TAIL_CALL: u32 = abi::Helper::TailCall.raw();

/// Runs one program until it exits or tail calls (`left`: the jumps and
/// calls the run may still take; `can_tail`: the run's tail-call budget is
/// not spent).
fn exec(
    code: &Code,
    mut reg: [u64; 16],
    mem: &mut Memory,
    env: &mut dyn Env,
    left: &mut u64,
    can_tail: bool,
) -> Result<Exit> {
    let bad = |pc: usize| Error::BadInstruction { pc: pc as u32 };
    let ops = &code.ops[..];
    let mut cx = Cold {
        frames: alloc::vec::Vec::new(),
        mem,
        env,
        can_tail,
    };
    // In a register while the program runs.
    let mut budget = *left;
    let mut pc = 0usize;
    loop {
        // Prepared code keeps every index inside `ops`; the check stays.
        let op = &ops[pc];
        let at = pc;
        pc += 1;
        // Operands are read in the arms that use them, so the dispatch
        // itself loads only the kind.
        let d = usize::from(op.d & 15);
        macro_rules! dst {
            () => {
                reg[d]
            };
        }
        macro_rules! src {
            () => {
                reg[usize::from(op.s & 15)]
            };
        }
        // A taken jump (or call): jumps are what the step budget counts,
        // the code between them runs at most once through the program.
        macro_rules! jump {
            ($cond:expr) => {
                if $cond {
                    if budget == 0 {
                        return Err(Error::StepLimit);
                    }
                    budget -= 1;
                    pc = op.target as usize;
                }
            };
        }
        macro_rules! fused {
            (|$v:ident, $k:ident| $cond:expr) => {{
                let $v = reg[d].wrapping_add(op.imm as i64 as u64);
                reg[d] = $v;
                let $k = i64::from(op.off);
                pc += 1;
                jump!($cond);
            }};
        }
        // Sign-extended; 32-bit operations use its low half.
        let imm = op.imm as i64 as u64;
        let addr = |base: u64| base.wrapping_add(op.off as i64 as u64);
        match op.k {
            K::AddX => reg[d] = dst!().wrapping_add(src!()),
            K::AddK => reg[d] = dst!().wrapping_add(imm),
            K::SubX => reg[d] = dst!().wrapping_sub(src!()),
            K::SubK => reg[d] = dst!().wrapping_sub(imm),
            K::MulX => reg[d] = dst!().wrapping_mul(src!()),
            K::MulK => reg[d] = dst!().wrapping_mul(imm),
            K::OrX => reg[d] = dst!() | src!(),
            K::OrK => reg[d] = dst!() | imm,
            K::AndX => reg[d] = dst!() & src!(),
            K::AndK => reg[d] = dst!() & imm,
            K::XorX => reg[d] = dst!() ^ src!(),
            K::XorK => reg[d] = dst!() ^ imm,
            K::LshX => reg[d] = dst!().wrapping_shl(src!() as u32),
            K::LshK => reg[d] = dst!().wrapping_shl(imm as u32),
            K::RshX => reg[d] = dst!().wrapping_shr(src!() as u32),
            K::RshK => reg[d] = dst!().wrapping_shr(imm as u32),
            K::ArshX => reg[d] = (dst!() as i64).wrapping_shr(src!() as u32) as u64,
            K::ArshK => reg[d] = (dst!() as i64).wrapping_shr(imm as u32) as u64,
            K::MovX => reg[d] = src!(),
            K::MovK => reg[d] = imm,
            K::AddWX => reg[d] = u64::from((dst!() as u32).wrapping_add(src!() as u32)),
            K::AddWK => reg[d] = u64::from((dst!() as u32).wrapping_add(imm as u32)),
            K::SubWX => reg[d] = u64::from((dst!() as u32).wrapping_sub(src!() as u32)),
            K::SubWK => reg[d] = u64::from((dst!() as u32).wrapping_sub(imm as u32)),
            K::MulWX => reg[d] = u64::from((dst!() as u32).wrapping_mul(src!() as u32)),
            K::MulWK => reg[d] = u64::from((dst!() as u32).wrapping_mul(imm as u32)),
            K::OrWX => reg[d] = u64::from((dst!() as u32) | (src!() as u32)),
            K::OrWK => reg[d] = u64::from((dst!() as u32) | (imm as u32)),
            K::AndWX => reg[d] = u64::from((dst!() as u32) & (src!() as u32)),
            K::AndWK => reg[d] = u64::from((dst!() as u32) & (imm as u32)),
            K::XorWX => reg[d] = u64::from((dst!() as u32) ^ (src!() as u32)),
            K::XorWK => reg[d] = u64::from((dst!() as u32) ^ (imm as u32)),
            K::LshWX => reg[d] = u64::from((dst!() as u32).wrapping_shl(src!() as u32)),
            K::LshWK => reg[d] = u64::from((dst!() as u32).wrapping_shl(imm as u32)),
            K::RshWX => reg[d] = u64::from((dst!() as u32).wrapping_shr(src!() as u32)),
            K::RshWK => reg[d] = u64::from((dst!() as u32).wrapping_shr(imm as u32)),
            K::MovWX => reg[d] = u64::from(src!() as u32),
            K::MovWK => reg[d] = u64::from(imm as u32),
            K::AluOther => {
                let i = Insn {
                    code: op.code,
                    dst: op.d,
                    src: op.s,
                    off: op.off,
                    imm: op.imm,
                };
                reg[d] = alu(&i, dst!(), src!()).ok_or_else(|| bad(at))?;
            }
            K::Ja => jump!(true),
            K::JeqX => jump!(dst!() == src!()),
            K::JeqK => jump!(dst!() == imm),
            K::JneX => jump!(dst!() != src!()),
            K::JneK => jump!(dst!() != imm),
            K::JgtX => jump!(dst!() > src!()),
            K::JgtK => jump!(dst!() > imm),
            K::JgeX => jump!(dst!() >= src!()),
            K::JgeK => jump!(dst!() >= imm),
            K::JltX => jump!(dst!() < src!()),
            K::JltK => jump!(dst!() < imm),
            K::JleX => jump!(dst!() <= src!()),
            K::JleK => jump!(dst!() <= imm),
            K::JsetX => jump!(dst!() & src!() != 0),
            K::JsetK => jump!(dst!() & imm != 0),
            K::JsgtX => jump!((dst!() as i64) > (src!() as i64)),
            K::JsgtK => jump!((dst!() as i64) > (imm as i64)),
            K::JsgeX => jump!((dst!() as i64) >= (src!() as i64)),
            K::JsgeK => jump!((dst!() as i64) >= (imm as i64)),
            K::JsltX => jump!((dst!() as i64) < (src!() as i64)),
            K::JsltK => jump!((dst!() as i64) < (imm as i64)),
            K::JsleX => jump!((dst!() as i64) <= (src!() as i64)),
            K::JsleK => jump!((dst!() as i64) <= (imm as i64)),
            K::JeqWX => jump!(dst!() as u32 == src!() as u32),
            K::JeqWK => jump!(dst!() as u32 == imm as u32),
            K::JneWX => jump!(dst!() as u32 != src!() as u32),
            K::JneWK => jump!(dst!() as u32 != imm as u32),
            K::JgtWX => jump!(dst!() as u32 > src!() as u32),
            K::JgtWK => jump!(dst!() as u32 > imm as u32),
            K::JgeWX => jump!(dst!() as u32 >= src!() as u32),
            K::JgeWK => jump!(dst!() as u32 >= imm as u32),
            K::JltWX => jump!((dst!() as u32) < src!() as u32),
            K::JltWK => jump!((dst!() as u32) < imm as u32),
            K::JleWX => jump!(dst!() as u32 <= src!() as u32),
            K::JleWK => jump!(dst!() as u32 <= imm as u32),
            K::JsetWX => jump!(dst!() as u32 & src!() as u32 != 0),
            K::JsetWK => jump!(dst!() as u32 & imm as u32 != 0),
            K::JsgtWX => jump!(dst!() as i32 > src!() as i32),
            K::JsgtWK => jump!(dst!() as i32 > imm as i32),
            K::JsgeWX => jump!(dst!() as i32 >= src!() as i32),
            K::JsgeWK => jump!(dst!() as i32 >= imm as i32),
            K::JsltWX => jump!((dst!() as i32) < src!() as i32),
            K::JsltWK => jump!((dst!() as i32) < imm as i32),
            K::JsleWX => jump!(dst!() as i32 <= src!() as i32),
            K::JsleWK => jump!(dst!() as i32 <= imm as i32),
            // The fused step-and-test: past the jump's own op when not
            // taken.
            K::AddJeq => fused!(|v, k| v == k as u64),
            K::AddJne => fused!(|v, k| v != k as u64),
            K::AddJgt => fused!(|v, k| v > k as u64),
            K::AddJge => fused!(|v, k| v >= k as u64),
            K::AddJlt => fused!(|v, k| v < k as u64),
            K::AddJle => fused!(|v, k| v <= k as u64),
            K::AddJsgt => fused!(|v, k| v as i64 > k),
            K::AddJsge => fused!(|v, k| v as i64 >= k),
            K::AddJslt => fused!(|v, k| (v as i64) < k),
            K::AddJsle => fused!(|v, k| v as i64 <= k),
            K::Ldx | K::LdxS | K::St | K::Stx => checked_access(op, at, &mut reg, cx.mem)?,
            // Proven in bounds of live memory by the verifier: ops of these
            // kinds come only from `Code::trust`, whose caller vouches for
            // the proof (see there).
            #[allow(unsafe_code)]
            K::LdxP => {
                // SAFETY: proven by the verifier, as just said.
                reg[d] = unsafe { mem::load_unchecked(addr(src!()), op.size.into()) };
            }
            #[allow(unsafe_code)]
            K::StP => {
                // SAFETY: as for `LdxP`; the verifier refuses stores to
                // memory programs may not write.
                unsafe { mem::store_unchecked(addr(dst!()), op.size.into(), imm) };
            }
            #[allow(unsafe_code)]
            K::StxP => {
                // SAFETY: as for `StP`.
                unsafe { mem::store_unchecked(addr(dst!()), op.size.into(), src!()) };
            }
            // The rest is out of line, so the hot loop keeps its
            // registers.
            K::Exit if cx.frames.is_empty() => {
                *left = budget;
                return Ok(Exit::Return(reg[0]));
            }
            K::Atomic | K::LdImm | K::LdAbs | K::LdInd | K::Call | K::CallX | K::CallLocal | K::Exit | K::Trap => {
                if op.k == K::CallLocal {
                    // A call counts as a jump.
                    if budget == 0 {
                        return Err(Error::StepLimit);
                    }
                    budget -= 1;
                }
                match cold(op, at, pc, &mut reg, &mut cx, code)? {
                    Step::Go(next) => pc = next,
                    Step::Done(exit) => {
                        *left = budget;
                        return Ok(exit);
                    }
                }
            }
        }
    }
}

/// A load or store of the kinds that check their address (`Ldx`, `LdxS`,
/// `St`, `Stx`).
#[inline(always)]
fn checked_access(op: &Op, at: usize, reg: &mut [u64; 16], mem: &Memory) -> Result<()> {
    let d = usize::from(op.d & 15);
    let s = usize::from(op.s & 15);
    let base = if matches!(op.k, K::Ldx | K::LdxS) {
        reg[s]
    } else {
        reg[d]
    };
    let a = base.wrapping_add(op.off as i64 as u64);
    match op.k {
        K::Ldx | K::LdxS => {
            let v = mem.load(a, op.size.into()).ok_or(fault(at, a))?;
            reg[d] = match (op.k, op.size) {
                (K::Ldx, _) => v,
                (_, 1) => v as i8 as i64 as u64,
                (_, 2) => v as i16 as i64 as u64,
                _ => v as i32 as i64 as u64,
            };
        }
        _ => {
            let v = if op.k == K::St { op.imm as i64 as u64 } else { reg[s] };
            mem.store(a, op.size.into(), v).ok_or(fault(at, a))?;
        }
    }
    Ok(())
}

/// Runs the one instruction at `at` that compiled code left to the
/// interpreter (a helper or tail call, a checked access, an atomic, a
/// legacy packet load) on `reg`; `Some` when it ends the run (a tail
/// call). `can_tail`: a tail call may be taken here.
///
/// # Errors
/// As [`run`].
pub(crate) fn slow_op(
    code: &Code,
    at: usize,
    reg: &mut [u64; 16],
    mem: &mut Memory,
    env: &mut dyn Env,
    can_tail: bool,
) -> Result<Option<Exit>> {
    let op = code.ops.get(at).ok_or(Error::BadInstruction { pc: at as u32 })?;
    match op.k {
        K::Ldx | K::LdxS | K::St | K::Stx => checked_access(op, at, reg, mem).map(|()| None),
        _ => {
            let mut cx = Cold {
                frames: alloc::vec::Vec::new(),
                mem,
                env,
                can_tail,
            };
            match cold(op, at, at + 1, reg, &mut cx, code)? {
                Step::Go(_) => Ok(None),
                Step::Done(exit) => Ok(Some(exit)),
            }
        }
    }
}

/// What the rarely used ops need beside the registers.
struct Cold<'a> {
    frames: alloc::vec::Vec<Frame>,
    mem: &'a mut Memory,
    env: &'a mut dyn Env,
    can_tail: bool,
}

/// The ops the run loop keeps out of line: atomics, legacy packet loads,
/// calls, exits and traps; `pc` is the next op's index.
#[inline(never)]
fn cold(op: &Op, at: usize, mut pc: usize, reg: &mut [u64; 16], cx: &mut Cold<'_>, code: &Code) -> Result<Step> {
    let bad = |pc: usize| Error::BadInstruction { pc: pc as u32 };
    let d = usize::from(op.d & 15);
    let imm = op.imm as i64 as u64;
    let addr = |base: u64| base.wrapping_add(op.off as i64 as u64);
    match op.k {
        K::Atomic => {
            let size = u64::from(op.size);
            let a = addr(reg[d]);
            let imm32 = imm as u32;
            if imm32 == BPF_CMPXCHG {
                let old = cx
                    .mem
                    .cmpxchg(a, size, reg[0], reg[usize::from(op.s & 15)])
                    .ok_or(fault(at, a))?;
                reg[0] = if size == 4 { u64::from(old as u32) } else { old };
            } else {
                let aop = match imm32 & !BPF_FETCH {
                    x if x == u32::from(BPF_ADD) => AtomicOp::Add,
                    x if x == u32::from(BPF_OR) => AtomicOp::Or,
                    x if x == u32::from(BPF_AND) => AtomicOp::And,
                    x if x == u32::from(BPF_XOR) => AtomicOp::Xor,
                    _ if imm32 == BPF_XCHG => AtomicOp::Xchg,
                    _ => return Err(bad(at)),
                };
                let old = cx
                    .mem
                    .atomic(a, size, aop, reg[usize::from(op.s & 15)])
                    .ok_or(fault(at, a))?;
                if imm32 & BPF_FETCH != 0 {
                    reg[usize::from(op.s & 15)] = if size == 4 { u64::from(old as u32) } else { old };
                }
            }
        }
        K::LdImm => {
            reg[d] = code.wide[op.target as usize];
            pc += 1;
        }
        K::LdAbs | K::LdInd => {
            // Legacy packet load from the skb in r6: a failed load ends
            // the program with r0 = 0.
            let off = if op.k == K::LdAbs {
                imm as u32 as i32
            } else {
                (reg[usize::from(op.s & 15)] as u32).wrapping_add(imm as u32) as i32
            };
            match cx.mem.load_packet(reg[6], off, op.size.into()) {
                Some(v) => reg[0] = v,
                None => return Ok(Step::Done(Exit::Return(0))),
            }
        }
        K::Call | K::CallX => {
            let id = if op.k == K::CallX { reg[d] as u32 } else { imm as u32 };
            if id == TAIL_CALL {
                // Only the entry frame may tail call; a failed tail call
                // falls through.
                if cx.frames.is_empty() && cx.can_tail {
                    if let Some(next) = cx.env.tail_call(reg[2], reg[3], cx.mem) {
                        return Ok(Step::Done(Exit::Tail(next, reg[1])));
                    }
                }
            } else {
                reg[0] = cx.env.call(id, [reg[1], reg[2], reg[3], reg[4], reg[5]], cx.mem)?;
            }
        }
        K::CallLocal => {
            if cx.frames.len() + 1 >= MAX_CALL_FRAMES as usize {
                return Err(Error::CallDepth { pc: at as u32 });
            }
            cx.frames.push(Frame {
                ret: pc,
                saved: [reg[6], reg[7], reg[8], reg[9]],
            });
            reg[10] += u64::from(MAX_BPF_STACK);
            // The callee's frame starts zeroed, as the entry frame does
            // (verified code never reads what it did not write).
            if !code.verified {
                cx.mem.zero(reg[10] - u64::from(MAX_BPF_STACK), MAX_BPF_STACK as usize);
            }
            pc = op.target as usize;
        }
        K::Exit => match cx.frames.pop() {
            None => return Ok(Step::Done(Exit::Return(reg[0]))),
            Some(f) => {
                reg[6..10].copy_from_slice(&f.saved);
                reg[10] -= u64::from(MAX_BPF_STACK);
                pc = f.ret;
            }
        },
        K::Trap => return Err(bad(op.imm as usize)),
        _ => return Err(bad(at)),
    }
    Ok(Step::Go(pc))
}

/// Where the run goes after an out-of-line op (the program counter is
/// returned, not lent, so the run loop keeps it in a register).
enum Step {
    Go(usize),
    Done(Exit),
}

#[cfg(test)]
mod tests;
