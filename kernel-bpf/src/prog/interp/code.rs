//! Programs prepared for the interpreter: each instruction decoded once
//! into a 16-byte [`Op`] whose kind is one dense number (one jump table
//! dispatches every instruction) and whose jump target is an index that is
//! always inside the code. A target outside the program, an invalid opcode and
//! the end of the program are trap ops appended after the program, so the
//! run loop has no check of its own for them.

use crate::error::{Error, Result};
use crate::prog::insn::Insn;
use crate::prog::insn::*;
use abi::*;
use alloc::vec::Vec;

/// What an op does. ALU and jump kinds come in register (`X`) and
/// immediate (`K`) forms, 64- and 32-bit (`W`).
#[allow(missing_docs)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum K {
    AddX,
    AddK,
    SubX,
    SubK,
    MulX,
    MulK,
    OrX,
    OrK,
    AndX,
    AndK,
    XorX,
    XorK,
    LshX,
    LshK,
    RshX,
    RshK,
    ArshX,
    ArshK,
    MovX,
    MovK,
    AddWX,
    AddWK,
    SubWX,
    SubWK,
    MulWX,
    MulWK,
    OrWX,
    OrWK,
    AndWX,
    AndWK,
    XorWX,
    XorWK,
    LshWX,
    LshWK,
    RshWX,
    RshWK,
    MovWX,
    MovWK,
    /// Any other ALU operation (division, modulo, sign-extending moves,
    /// negation, byte swaps): computed by [`super::alu`].
    AluOther,
    Ja,
    JeqX,
    JeqK,
    JneX,
    JneK,
    JgtX,
    JgtK,
    JgeX,
    JgeK,
    JltX,
    JltK,
    JleX,
    JleK,
    JsetX,
    JsetK,
    JsgtX,
    JsgtK,
    JsgeX,
    JsgeK,
    JsltX,
    JsltK,
    JsleX,
    JsleK,
    JeqWX,
    JeqWK,
    JneWX,
    JneWK,
    JgtWX,
    JgtWK,
    JgeWX,
    JgeWK,
    JltWX,
    JltWK,
    JleWX,
    JleWK,
    JsetWX,
    JsetWK,
    JsgtWX,
    JsgtWK,
    JsgeWX,
    JsgeWK,
    JsltWX,
    JsltWK,
    JsleWX,
    JsleWK,
    /// `dst += imm`, then a 64-bit comparison of `dst` with the small
    /// constant `off` (a loop counter's step and test in one dispatch; the
    /// jump's own op stays after it for code that jumps to it).
    AddJeq,
    AddJne,
    AddJgt,
    AddJge,
    AddJlt,
    AddJle,
    AddJsgt,
    AddJsge,
    AddJslt,
    AddJsle,
    /// `dst = *(size *)(src + off)`.
    Ldx,
    /// The same, sign-extended.
    LdxS,
    /// `*(size *)(dst + off) = imm`.
    St,
    /// `*(size *)(dst + off) = src`.
    Stx,
    /// [`K::Ldx`], [`K::St`] and [`K::Stx`] that the verifier proved in
    /// bounds of memory that lives through the run: no check when run
    /// (made by [`Code::trust`] only).
    LdxP,
    StP,
    StxP,
    /// An atomic operation (`imm`), `size` 4 or 8.
    Atomic,
    /// `dst = imm` (the 64-bit immediate load; the next slot is skipped).
    LdImm,
    /// Legacy packet load at `imm`.
    LdAbs,
    /// Legacy packet load at `src + imm`.
    LdInd,
    /// Helper call (`imm` the id).
    Call,
    /// Call through a register.
    CallX,
    /// bpf-to-bpf call to `target`.
    CallLocal,
    Exit,
    /// An invalid instruction, or a jump out of the program, at `imm`.
    Trap,
}

/// One prepared instruction.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    /// What it does.
    pub k: K,
    /// Destination register (below 11).
    pub d: u8,
    /// Source register (below 11).
    pub s: u8,
    /// Bytes a memory access moves.
    pub size: u8,
    /// Memory offset.
    pub off: i16,
    /// The original opcode (for [`K::AluOther`]).
    pub code: u8,
    /// Jump or call target: always an index into the code (for
    /// [`K::LdImm`], the index of its value in `Code::wide`).
    pub target: u32,
    /// The immediate.
    pub imm: i32,
}

/// A program ready to run.
#[derive(Clone, Debug)]
pub struct Code {
    pub(super) ops: Vec<Op>,
    /// The values of 64-bit immediate loads.
    pub(super) wide: Vec<u64>,
    len: usize,
    /// Verified: the program never reads stack it did not write, so its
    /// frames need no zeroing.
    pub(super) verified: bool,
    /// The program compiled to machine code, which runs instead of the
    /// ops when present.
    pub(crate) jit: Option<alloc::sync::Arc<crate::prog::jit::Image>>,
}

impl Code {
    /// Instructions of the program (trap ops not counted).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no instruction.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The code with `image`, `jit::compile`'s output for these very
    /// instructions, which then runs instead of the ops.
    pub fn with_image(mut self, image: crate::prog::jit::Image) -> Code {
        self.jit = Some(alloc::sync::Arc::new(image));
        self
    }

    /// The machine code the program runs, when it was compiled.
    pub fn image(&self) -> Option<&crate::prog::jit::Image> {
        self.jit.as_deref()
    }

    /// Marks the code as the verifier's: its stack frames start as they
    /// are, not zeroed (the verifier refuses reads of stack never written).
    pub fn verified(mut self) -> Code {
        self.verified = true;
        self
    }

    /// Drops the run-time check of the loads and stores `proven` marks
    /// (by instruction index, as [`crate::prog::verify::Verified::proven`]).
    ///
    /// # Safety
    /// `proven` must be the verifier's result for these very instructions,
    /// with map references resolved to maps whose values the program keeps
    /// alive: each marked access then lies, on every run, inside the run's
    /// stack, a value of one of those maps or memory a helper handed out
    /// for the run, and the interpreter reads and writes it directly.
    #[allow(unsafe_code)]
    pub unsafe fn trust(mut self, proven: &[bool]) -> Code {
        for (op, _) in self.ops.iter_mut().zip(proven).filter(|(_, &p)| p) {
            op.k = match op.k {
                K::Ldx => K::LdxP,
                K::St => K::StP,
                K::Stx => K::StxP,
                k => k,
            };
        }
        self
    }

    /// Loads and stores that run without a check.
    pub fn trusted_accesses(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| matches!(o.k, K::LdxP | K::StP | K::StxP))
            .count()
    }
}

fn alu_kind(code: u8) -> K {
    use K::*;
    match code {
        ADD64_X => AddX,
        ADD64_K => AddK,
        SUB64_X => SubX,
        SUB64_K => SubK,
        MUL64_X => MulX,
        MUL64_K => MulK,
        OR64_X => OrX,
        OR64_K => OrK,
        AND64_X => AndX,
        AND64_K => AndK,
        XOR64_X => XorX,
        XOR64_K => XorK,
        LSH64_X => LshX,
        LSH64_K => LshK,
        RSH64_X => RshX,
        RSH64_K => RshK,
        ARSH64_X => ArshX,
        ARSH64_K => ArshK,
        MOV64_X => MovX,
        MOV64_K => MovK,
        ADD32_X => AddWX,
        ADD32_K => AddWK,
        SUB32_X => SubWX,
        SUB32_K => SubWK,
        MUL32_X => MulWX,
        MUL32_K => MulWK,
        OR32_X => OrWX,
        OR32_K => OrWK,
        AND32_X => AndWX,
        AND32_K => AndWK,
        XOR32_X => XorWX,
        XOR32_K => XorWK,
        LSH32_X => LshWX,
        LSH32_K => LshWK,
        RSH32_X => RshWX,
        RSH32_K => RshWK,
        MOV32_X => MovWX,
        MOV32_K => MovWK,
        _ => AluOther,
    }
}

fn jump_kind(code: u8) -> Option<K> {
    use K::*;
    const KINDS: [[K; 4]; 11] = [
        [JeqX, JeqK, JeqWX, JeqWK],
        [JgtX, JgtK, JgtWX, JgtWK],
        [JgeX, JgeK, JgeWX, JgeWK],
        [JsetX, JsetK, JsetWX, JsetWK],
        [JneX, JneK, JneWX, JneWK],
        [JsgtX, JsgtK, JsgtWX, JsgtWK],
        [JsgeX, JsgeK, JsgeWX, JsgeWK],
        [JltX, JltK, JltWX, JltWK],
        [JleX, JleK, JleWX, JleWK],
        [JsltX, JsltK, JsltWX, JsltWK],
        [JsleX, JsleK, JsleWX, JsleWK],
    ];
    let row = match code & BPF_OP_MASK {
        BPF_JEQ => 0,
        BPF_JGT => 1,
        BPF_JGE => 2,
        BPF_JSET => 3,
        BPF_JNE => 4,
        BPF_JSGT => 5,
        BPF_JSGE => 6,
        BPF_JLT => 7,
        BPF_JLE => 8,
        BPF_JSLT => 9,
        BPF_JSLE => 10,
        _ => return None,
    };
    let col = usize::from(code & BPF_SRC_MASK != BPF_X) + 2 * usize::from(code & BPF_CLASS_MASK == BPF_JMP32);
    Some(KINDS[row][col])
}

/// Prepares `insns`.
///
/// # Errors
/// [`Error::BadInstruction`] for a register number above 10 (anywhere in
/// the program, as the old run loop checked before running). Other
/// invalid instructions become traps that fail when they are reached.
pub fn prepare(insns: &[Insn]) -> Result<Code> {
    if let Some(pc) = insns.iter().position(|i| i.dst > 10 || i.src > 10) {
        return Err(Error::BadInstruction { pc: pc as u32 });
    }
    let n = insns.len();
    let mut ops = Vec::new();
    ops.try_reserve_exact(n + 1).map_err(|_| Error::NoMemory)?;
    let mut traps: Vec<Op> = Vec::new();
    let mut wide = Vec::new();
    let trap = |pc: usize| Op {
        k: K::Trap,
        d: 0,
        s: 0,
        size: 0,
        off: 0,
        target: 0,
        imm: pc as i32,
        code: 0,
    };
    // A target inside the program, or a trap (after the end) for `pc`.
    let target = |pc: usize, rel: i64, traps: &mut Vec<Op>| -> u32 {
        let t = pc as i64 + 1 + rel;
        if t >= 0 && (t as usize) < n {
            t as u32
        } else {
            traps.push(trap(pc));
            (n + traps.len()) as u32
        }
    };
    for (pc, i) in insns.iter().enumerate() {
        let mut op = Op {
            k: K::Trap,
            d: i.dst,
            s: i.src,
            size: access_size(i.code),
            off: i.off,
            target: 0,
            imm: i.imm,
            code: i.code,
        };
        op.k = match i.class() {
            BPF_ALU | BPF_ALU64 => {
                let k = alu_kind(i.code);
                // Sign-extending moves have an offset; they go the long way.
                if matches!(k, K::MovX | K::MovWX) && i.off != 0 {
                    K::AluOther
                } else {
                    k
                }
            }
            BPF_JMP | BPF_JMP32 => match i.code {
                JA => {
                    op.target = target(pc, i.off.into(), &mut traps);
                    K::Ja
                }
                JA32 => {
                    op.target = target(pc, i.imm.into(), &mut traps);
                    K::Ja
                }
                EXIT => K::Exit,
                CALL if i.src == BPF_PSEUDO_CALL => {
                    op.target = target(pc, i.imm.into(), &mut traps);
                    K::CallLocal
                }
                CALL if i.src == 0 => K::Call,
                CALLX => K::CallX,
                c => match jump_kind(c) {
                    Some(k) => {
                        op.target = target(pc, i.off.into(), &mut traps);
                        k
                    }
                    None => K::Trap,
                },
            },
            BPF_LDX => match i.code & BPF_MODE_MASK {
                BPF_MEM => K::Ldx,
                BPF_MEMSX if op.size < 8 => K::LdxS,
                _ => K::Trap,
            },
            BPF_ST if i.code & BPF_MODE_MASK == BPF_MEM => K::St,
            BPF_STX if i.code & BPF_MODE_MASK == BPF_MEM => K::Stx,
            BPF_STX if matches!(i.code, ATOMIC_W | ATOMIC_DW) => K::Atomic,
            BPF_LD if i.code == LD_DW_IMM => match insns.get(pc + 1) {
                // Map references are resolved by the loader before a run.
                Some(hi) if hi.code == 0 && i.src == 0 => {
                    wide.push((u64::from(hi.imm as u32) << 32) | u64::from(i.imm as u32));
                    op.target = (wide.len() - 1) as u32;
                    K::LdImm
                }
                _ => K::Trap,
            },
            BPF_LD if op.size < 8 => match i.code & BPF_MODE_MASK {
                BPF_ABS => K::LdAbs,
                BPF_IND => K::LdInd,
                _ => K::Trap,
            },
            _ => K::Trap,
        };
        if op.k == K::Trap {
            op = trap(pc);
        }
        ops.push(op);
    }
    fuse_counters(&mut ops);
    // Falling off the end traps at the end; then the jump traps.
    ops.push(trap(n));
    ops.extend(traps);
    Ok(Code {
        ops,
        wide,
        len: n,
        verified: false,
        jit: None,
    })
}

/// Fuses `dst += k` (or `dst -= k`) followed by a comparison of `dst` with
/// a constant that fits 16 bits into one op.
fn fuse_counters(ops: &mut [Op]) {
    for pc in 0..ops.len().saturating_sub(1) {
        let (a, j) = (ops[pc], ops[pc + 1]);
        let step = match a.k {
            K::AddK => a.imm,
            K::SubK => match a.imm.checked_neg() {
                Some(n) => n,
                None => continue,
            },
            _ => continue,
        };
        let Ok(limit) = i16::try_from(j.imm) else { continue };
        let k = match j.k {
            K::JeqK => K::AddJeq,
            K::JneK => K::AddJne,
            K::JgtK => K::AddJgt,
            K::JgeK => K::AddJge,
            K::JltK => K::AddJlt,
            K::JleK => K::AddJle,
            K::JsgtK => K::AddJsgt,
            K::JsgeK => K::AddJsge,
            K::JsltK => K::AddJslt,
            K::JsleK => K::AddJsle,
            _ => continue,
        };
        if j.d != a.d {
            continue;
        }
        ops[pc] = Op {
            k,
            imm: step,
            off: limit,
            target: j.target,
            ..a
        };
    }
}

// The run loop's working set: one op is 16 bytes.
const _: () = assert!(core::mem::size_of::<Op>() == 16);
