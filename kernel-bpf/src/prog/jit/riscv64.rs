//! The riscv64 back end (rCore's architecture): RV64IMA, so it runs on any
//! RV64GC core, and the Zba and Zbb forms where the core has them
//! ([`Extensions`]: `zext.w`, `zext.h`, `sext.b`, `sext.h`, `rev8`, each
//! of which is otherwise written out). It writes code for riscv64 on any
//! host, so the tests run its output under an emulator.
//!
//! | BPF | r0 | r1 | r2 | r3 | r4 | r5 | r6 | r7 | r8 | r9 | r10 |
//! |---|---|---|---|---|---|---|---|---|---|---|---|
//! | riscv64 | a5 | a0 | a1 | a2 | a3 | a4 | s1 | s2 | s3 | s4 | s5 |
//!
//! s6 holds the run's [`super::RunCtx`]; t0-t2 are scratch. What is
//! compiled and what goes to the slow path is as on x86_64 (see
//! [`super::x86_64`]), and so is calling the Rust functions through the
//! addresses in the run's context. A
//! conditional jump is an inverted short branch over a `jal`, which reaches
//! 1 MiB either way.

use super::{
    copy_add, jump_target, null_test, words_by_shift_add, ArgSetup, Keys, Lookup, Lookups, Places, Shape, Target,
    ENTRY_RSP, FAILED, FAST_END8, FAST_LO, HELPER, HELPER_FN, LOOKUP_FN, REGS, SLOW_FN,
};
use crate::error::{Error, Result};
use crate::map::{HashTable, HASH_INDEX, HASH_LOCK, HASH_NULLS};
use crate::prog::insn::Insn;
use crate::prog::insn::*;
use abi::*;
use alloc::vec::Vec;

const ZERO: u8 = 0;
const RA: u8 = 1;
const SP: u8 = 2;
const T0: u8 = 5;
const T1: u8 = 6;
const T2: u8 = 7;
const T3: u8 = 28;
const S1: u8 = 9;
const A0: u8 = 10;
const A1: u8 = 11;
const A2: u8 = 12;
const A3: u8 = 13;
const A4: u8 = 14;
const A5: u8 = 15;
const S2: u8 = 18;
const S3: u8 = 19;
const S4: u8 = 20;
const S5: u8 = 21;
const S6: u8 = 22;

/// The machine register of each BPF register.
const REG: [u8; 11] = [A5, A0, A1, A2, A3, A4, S1, S2, S3, S4, S5];

fn reg(bpf: u8) -> u8 {
    REG[usize::from(bpf).min(10)]
}

/// Major opcodes.
const OP: u32 = 0x33;
const OP_32: u32 = 0x3b;
const OP_IMM: u32 = 0x13;
const OP_IMM_32: u32 = 0x1b;
const LOAD: u32 = 0x03;
const STORE: u32 = 0x23;
const BRANCH: u32 = 0x63;
const JAL: u32 = 0x6f;
const JALR: u32 = 0x67;
const LUI: u32 = 0x37;
const AMO: u32 = 0x2f;

/// Branch conditions (funct3).
const BEQ: u32 = 0;
const BNE: u32 = 1;
const BLT: u32 = 4;
const BGE: u32 = 5;
const BLTU: u32 = 6;
const BGEU: u32 = 7;

/// Machine code being written (32-bit instructions).
#[derive(Default)]
struct Asm {
    b: Vec<u8>,
    ext: Extensions,
}

/// The optional extensions compiled code may use; without them, it is
/// RV64IMA (any RV64GC core runs it). Where the core has them, fewer
/// instructions do the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    /// Zba: `zext.w` (`add.uw`) zero-extends 32-bit results.
    pub zba: bool,
    /// Zbb: `rev8` swaps bytes; `sext.b`, `sext.h` and `zext.h` extend.
    pub zbb: bool,
}

impl Extensions {
    /// The extensions an ISA string names that compiled code may use: a
    /// device tree's `riscv,isa` or the `isa` line of Linux's
    /// `/proc/cpuinfo`, such as `rv64imafdc_zicsr_zba_zbb`. Single letters
    /// come first (`b` among them is Zba, Zbb and Zbs), then the
    /// multi-letter extensions, each after an underscore (the first may
    /// follow the letters directly). Case does not matter; a string that
    /// is not for RV64 names none.
    pub fn from_isa(isa: &str) -> Extensions {
        let mut e = Extensions::default();
        let Some(rest) = isa
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("rv64"))
            .map(|_| &isa[4..])
        else {
            return e;
        };
        let (letters, first) = match rest.find(|c: char| c == '_' || "zsxZSX".contains(c)) {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if letters.contains(['b', 'B']) {
            e = Extensions { zba: true, zbb: true };
        }
        for name in first.split('_') {
            e.zba |= name.eq_ignore_ascii_case("zba");
            e.zbb |= name.eq_ignore_ascii_case("zbb");
        }
        e
    }
}

fn fits12(v: i64) -> bool {
    (-2048..2048).contains(&v)
}

impl Asm {
    fn emit(&mut self, w: u32) {
        self.b.extend_from_slice(&w.to_le_bytes());
    }

    fn here(&self) -> usize {
        self.b.len()
    }

    fn r(&mut self, f7: u32, rs2: u8, rs1: u8, f3: u32, rd: u8, op: u32) {
        self.emit(f7 << 25 | u32::from(rs2) << 20 | u32::from(rs1) << 15 | f3 << 12 | u32::from(rd) << 7 | op);
    }

    fn i(&mut self, imm: i32, rs1: u8, f3: u32, rd: u8, op: u32) {
        self.emit((imm as u32 & 0xfff) << 20 | u32::from(rs1) << 15 | f3 << 12 | u32::from(rd) << 7 | op);
    }

    fn s(&mut self, imm: i32, rs2: u8, rs1: u8, f3: u32) {
        let v = imm as u32;
        self.emit(
            (v >> 5 & 0x7f) << 25 | u32::from(rs2) << 20 | u32::from(rs1) << 15 | f3 << 12 | (v & 0x1f) << 7 | STORE,
        );
    }

    fn b_type(imm: i32, rs2: u8, rs1: u8, f3: u32) -> u32 {
        let v = imm as u32;
        (v >> 12 & 1) << 31
            | (v >> 5 & 0x3f) << 25
            | u32::from(rs2) << 20
            | u32::from(rs1) << 15
            | f3 << 12
            | (v >> 1 & 0xf) << 8
            | (v >> 11 & 1) << 7
            | BRANCH
    }

    fn j_type(imm: i32, rd: u8) -> u32 {
        let v = imm as u32;
        (v >> 20 & 1) << 31
            | (v >> 1 & 0x3ff) << 21
            | (v >> 11 & 1) << 20
            | (v >> 12 & 0xff) << 12
            | u32::from(rd) << 7
            | JAL
    }

    fn addi(&mut self, rd: u8, rs: u8, imm: i32) {
        self.i(imm, rs, 0, rd, OP_IMM);
    }

    fn mv(&mut self, rd: u8, rs: u8) {
        if rd != rs {
            self.addi(rd, rs, 0);
        }
    }

    fn slli(&mut self, rd: u8, rs: u8, n: u32) {
        self.i(n as i32 & 63, rs, 1, rd, OP_IMM);
    }

    fn srli(&mut self, rd: u8, rs: u8, n: u32) {
        self.i(n as i32 & 63, rs, 5, rd, OP_IMM);
    }

    fn srai(&mut self, rd: u8, rs: u8, n: u32) {
        self.i(0x400 | (n as i32 & 63), rs, 5, rd, OP_IMM);
    }

    /// `rd = rs`'s low 32 bits, zero-extended.
    fn zext32(&mut self, rd: u8, rs: u8) {
        if self.ext.zba {
            // add.uw rd, rs, zero
            self.r(0x04, ZERO, rs, 0, rd, OP_32);
        } else {
            self.slli(rd, rs, 32);
            self.srli(rd, rd, 32);
        }
    }

    /// `rd = rs`'s low 16 bits, zero-extended.
    fn zext16(&mut self, rd: u8, rs: u8) {
        if self.ext.zbb {
            // zext.h
            self.r(0x04, ZERO, rs, 4, rd, OP_32);
        } else {
            self.slli(rd, rs, 48);
            self.srli(rd, rd, 48);
        }
    }

    /// `rd = rs`'s low `bits` (8 or 16) bits, sign-extended.
    fn sext_small(&mut self, rd: u8, rs: u8, bits: u32) {
        if self.ext.zbb {
            // sext.b or sext.h
            self.i(if bits == 8 { 0x604 } else { 0x605 }, rs, 1, rd, OP_IMM);
        } else {
            self.slli(rd, rs, 64 - bits);
            self.srai(rd, rd, 64 - bits);
        }
    }

    /// `rd = base + index * bytes` (`rd` not `base`; `tmp` a scratch): a
    /// shift and an add, or Zba's one `shNadd`, where `bytes` is a power of
    /// two (a hash table's slots, most arrays' values); with Zba, two
    /// `shNadd` where it is 3, 5 or 9 words (`index` plus itself shifted,
    /// then that times 8 plus `base`: a `u32 -> u64` hash map's 24-byte
    /// slots); else a multiply.
    fn index_addr(&mut self, rd: u8, base: u8, index: u8, bytes: u64, tmp: u8) {
        if self.multiplies(bytes) {
            self.li(tmp, bytes as i64);
            self.mul_addr(rd, base, index, tmp);
            return;
        }
        if let Some(s) = words_by_shift_add(bytes).filter(|_| self.ext.zba) {
            self.r(0x10, index, index, 2 * u32::from(s), tmp, OP);
            self.r(0x10, base, tmp, 6, rd, OP);
            return;
        }
        match bytes.trailing_zeros() {
            0 => self.r(0, base, index, 0, rd, OP),
            // sh1add, sh2add, sh3add: rd = base + (index << k).
            k @ 1..=3 if self.ext.zba => self.r(0x10, base, index, 2 * k, rd, OP),
            k => {
                self.slli(rd, index, k);
                self.r(0, base, rd, 0, rd, OP);
            }
        }
    }

    /// Whether [`Asm::index_addr`] multiplies by `bytes` (not a power of
    /// two, nor 3, 5 or 9 words with Zba).
    fn multiplies(&self, bytes: u64) -> bool {
        !(bytes.is_power_of_two() || self.ext.zba && words_by_shift_add(bytes).is_some())
    }

    /// `rd = base + index * tmp` (`rd` not `base`).
    fn mul_addr(&mut self, rd: u8, base: u8, index: u8, tmp: u8) {
        self.r(1, tmp, index, 0, rd, OP);
        self.r(0, base, rd, 0, rd, OP);
    }

    /// `rd = rs`'s low 32 bits, sign-extended (`sext.w`).
    fn sext32(&mut self, rd: u8, rs: u8) {
        self.i(0, rs, 0, rd, OP_IMM_32);
    }

    /// `rd = v`.
    fn li(&mut self, rd: u8, v: i64) {
        if let Ok(v32) = i32::try_from(v) {
            let lo = (v32 << 20) >> 20;
            let hi = (i64::from(v32) - i64::from(lo)) >> 12;
            if hi != 0 {
                self.emit(((hi as u32) & 0xfffff) << 12 | u32::from(rd) << 7 | LUI);
                if lo != 0 {
                    self.i(lo, rd, 0, rd, OP_IMM_32);
                }
            } else {
                self.addi(rd, ZERO, lo);
            }
            return;
        }
        // The low 12 bits, sign-extended, then the rest: shifted down past
        // its trailing zeros, loaded (fewer bits each time), shifted back.
        let lo = ((v << 52) >> 52) as i32;
        let rest = v.wrapping_sub(i64::from(lo));
        let shift = rest.trailing_zeros().min(63);
        self.li(rd, rest >> shift);
        self.slli(rd, rd, shift);
        if lo != 0 {
            self.addi(rd, rd, lo);
        }
    }

    /// `rd = mem[base + off]` of `size` bytes, zero-extended.
    fn load(&mut self, size: u8, rd: u8, base: u8, off: i32) {
        let f3 = match size {
            1 => 4,
            2 => 5,
            4 => 6,
            _ => 3,
        };
        let (base, off) = self.address(base, off);
        self.i(off, base, f3, rd, LOAD);
    }

    fn store(&mut self, size: u8, base: u8, off: i32, src: u8) {
        let f3 = match size {
            1 => 0,
            2 => 1,
            4 => 2,
            _ => 3,
        };
        let (base, off) = self.address(base, off);
        self.s(off, src, base, f3);
    }

    /// A base and a 12-bit offset for `base + off` (through t2 when the
    /// offset does not fit).
    fn address(&mut self, base: u8, off: i32) -> (u8, i32) {
        if fits12(off.into()) {
            (base, off)
        } else {
            self.li(T2, off.into());
            self.r(0, base, T2, 0, T2, OP);
            (T2, 0)
        }
    }

    /// A `jal rd` to be patched; returns where it is.
    fn jal(&mut self, rd: u8) -> usize {
        self.emit(Self::j_type(0, rd));
        self.here() - 4
    }

    /// A branch `f3` over the next instruction when the condition fails:
    /// `b<not f3> a, b, +8; jal zero, <patched>`; returns the `jal`.
    fn branch(&mut self, f3: u32, a: u8, b: u8) -> usize {
        self.emit(Self::b_type(8, b, a, f3 ^ 1));
        self.jal(ZERO)
    }

    /// Points the `jal` at `at` to `to`.
    fn patch(&mut self, at: usize, to: usize) -> bool {
        let rel = to as i64 - at as i64;
        if !(-(1 << 20)..(1 << 20)).contains(&rel) {
            return false;
        }
        let rd = (u32::from_le_bytes(self.b[at..at + 4].try_into().unwrap_or_default()) >> 7 & 31) as u8;
        self.b[at..at + 4].copy_from_slice(&Self::j_type(rel as i32, rd).to_le_bytes());
        true
    }

    /// `jalr ra, 0(rs)`.
    fn call_reg(&mut self, rs: u8) {
        self.i(0, rs, 0, RA, JALR);
    }

    fn ret(&mut self) {
        self.i(0, RA, 0, ZERO, JALR);
    }

    /// `fence r, r`: loads before it are ordered before loads after it.
    fn fence_rr(&mut self) {
        self.emit(0x0220_000f);
    }
}

/// Registers the entry saves, and their slots.
const MAIN_SAVED: [u8; 7] = [RA, S1, S2, S3, S4, S5, S6];
/// Registers a subprogram saves (r6-r9 and the return address).
const SUB_SAVED: [u8; 5] = [RA, S1, S2, S3, S4];

fn prologue(a: &mut Asm, saved: &[u8]) {
    let frame = (saved.len() as i32 * 8 + 15) & !15;
    a.addi(SP, SP, -frame);
    for (k, &r) in saved.iter().enumerate() {
        a.store(8, SP, 8 * k as i32, r);
    }
}

fn epilogue(a: &mut Asm, saved: &[u8]) {
    let frame = (saved.len() as i32 * 8 + 15) & !15;
    for (k, &r) in saved.iter().enumerate() {
        a.load(8, r, SP, 8 * k as i32);
    }
    a.addi(SP, SP, frame);
    a.ret();
}

/// Compiles `insns` as [`super::x86_64::compile`] does, for riscv64 with
/// the extensions `ext`.
///
/// # Errors
/// [`Error::BadInstruction`] for an instruction the verifier would not
/// have passed, or code too long for its jumps.
pub(super) fn compile(
    insns: &[Insn],
    proven: &[bool],
    lookups: &Lookups,
    shape: &Shape,
    blind: Option<u64>,
    ext: Extensions,
) -> Result<Vec<u8>> {
    let layout = &shape.layout;
    let n = insns.len();
    let bad = |pc: usize| Error::BadInstruction { pc: pc as u32 };
    let mut keys = Keys::new(blind);
    let setup = ArgSetup::of(insns, &shape.targets, lookups, keys.on());
    let mut a = Asm {
        b: Vec::with_capacity(64 + 16 * insns.len()),
        ext,
    };
    let mut places = Places::new(n);
    let mut fixups: Vec<(usize, Target)> = Vec::new();

    // The entry, `fn(cx, args, r10)` as on x86_64: a1 (r2's) and a2
    // (r3's) are read before r2 and r3 are loaded.
    prologue(&mut a, &MAIN_SAVED);
    a.mv(S6, A0);
    a.mv(T0, A1);
    a.mv(reg(10), A2);
    for bpf in 1..=5u8 {
        a.load(8, reg(bpf), T0, 8 * (i32::from(bpf) - 1));
    }
    a.store(8, S6, ENTRY_RSP, SP);

    // The instruction at `pc` was compiled with the one before it (a null
    // test a lookup took as its branch, a sum one `add` computed).
    let mut joined = false;
    for pc in 0..n {
        let func = layout.func_of(pc);
        if layout.starts(pc) && pc != 0 {
            places.func(pc, a.here());
            prologue(&mut a, &SUB_SAVED);
        }
        places.insn(pc, a.here());
        if setup.skips(pc) || core::mem::take(&mut joined) {
            continue;
        }
        let i = insns[pc];
        let (d, mut s) = (reg(i.dst), reg(i.src));
        let class = i.class();
        let op = i.code & BPF_OP_MASK;
        let jumpy = matches!(class, BPF_ALU | BPF_ALU64 | BPF_JMP | BPF_JMP32);
        let mut x = i.code & BPF_SRC_MASK == BPF_X && jumpy;
        let size = access_size(i.code);
        let jump_to = |rel: i64| jump_target(pc, rel, n).ok_or_else(|| bad(pc));
        // An immediate source operand goes to t0 first (blinded, when
        // asked), except where the instruction takes it as it is.
        let direct = match class {
            BPF_ALU | BPF_ALU64 => matches!(op, BPF_LSH | BPF_RSH | BPF_ARSH | BPF_END | BPF_NEG),
            BPF_JMP | BPF_JMP32 => matches!(op, BPF_JA | BPF_CALL | BPF_EXIT),
            _ => true,
        };
        if !x && !direct {
            let w = class == BPF_ALU64 || class == BPF_JMP;
            let v = if w { i64::from(i.imm) } else { i64::from(i.imm as u32) };
            match keys.next() {
                Some(k) => {
                    let k = if w { k as i64 } else { i64::from(k as u32) };
                    a.li(T0, v ^ k);
                    a.li(T1, k);
                    a.r(0, T1, T0, 4, T0, OP);
                }
                None => a.li(T0, v),
            }
            x = true;
            s = T0;
        }
        match class {
            BPF_ALU | BPF_ALU64 => match copy_add(insns, &shape.targets, pc, keys.on()) {
                // `add d, s, x` or `addi d, s, c` (the `w` forms, then
                // zero-extended, for 32 bits).
                Some((index, c)) => {
                    joined = true;
                    let w = class == BPF_ALU64;
                    match index {
                        Some(r) => a.r(0, reg(r), s, 0, d, if w { OP } else { OP_32 }),
                        None if (-2048..2048).contains(&c) => a.i(c, s, 0, d, if w { OP_IMM } else { OP_IMM_32 }),
                        None => {
                            a.li(T0, c.into());
                            a.r(0, T0, s, 0, d, if w { OP } else { OP_32 });
                        }
                    }
                    if !w {
                        a.zext32(d, d);
                    }
                }
                None => alu(&mut a, &i, class == BPF_ALU64, d, s, x, op).ok_or_else(|| bad(pc))?,
            },
            BPF_JMP | BPF_JMP32 => match i.code {
                JA => {
                    let p = a.jal(ZERO);
                    fixups.push((p, jump_to(i.off.into())?));
                }
                JA32 => {
                    let p = a.jal(ZERO);
                    fixups.push((p, jump_to(i.imm.into())?));
                }
                EXIT if func == 0 => {
                    a.mv(A0, A5);
                    epilogue(&mut a, &MAIN_SAVED);
                }
                EXIT => epilogue(&mut a, &SUB_SAVED),
                CALL if i.src == BPF_PSEUDO_CALL => {
                    let t = match jump_to(i.imm.into())? {
                        Target::Insn(t) if layout.starts(t) => t,
                        _ => return Err(bad(pc)),
                    };
                    a.addi(S5, S5, MAX_BPF_STACK as i32);
                    let p = a.jal(RA);
                    fixups.push((p, Target::Func(t)));
                    a.addi(S5, S5, -(MAX_BPF_STACK as i32));
                }
                CALL if lookups.get(pc).is_some() => {
                    // The next instruction's test of r0, where the lookup
                    // takes it as its own branch.
                    let test = null_test(insns, &shape.targets, lookups, pc);
                    joined = test.is_some();
                    // A key the lookup reads from the stack itself: its
                    // address, where r2 would have it.
                    if let Some(off) = setup.key_at(pc) {
                        a.addi(A1, reg(10), off);
                    }
                    match lookups.get(pc) {
                        Some(Lookup::Array(v)) => {
                            // r0 = the u32 key r2 points to; below max_entries,
                            // base + key * stride, else 0. Past the branch,
                            // the index is and'ed with all ones when below
                            // the size, else 0 (as Linux's
                            // `array_index_nospec`): where the processor
                            // runs on before the branch is resolved, it
                            // still reads inside the array.
                            a.load(4, A5, A1, 0);
                            imm64(&mut a, &mut keys, T0, v.max_entries.into());
                            // Found: over the next two.
                            a.emit(Asm::b_type(12, T0, A5, BLTU));
                            a.addi(A5, ZERO, 0);
                            let missing = a.jal(ZERO);
                            a.r(0, T0, A5, 3, T1, OP); // sltu t1, a5, t0
                            a.r(0x20, T1, ZERO, 0, T1, OP); // neg t1
                            a.r(0, T1, A5, 7, A5, OP); // and a5, a5, t1
                            imm64(&mut a, &mut keys, T2, v.base);
                            map_index_addr(&mut a, &mut keys, (A5, T2, A5), v.stride, (T0, T1));
                            match test {
                                // Missing: the test's null way; found: on.
                                Some((true, t)) => fixups.push((missing, t)),
                                // Found: the test's way; missing: on.
                                Some((false, t)) => {
                                    let found = a.jal(ZERO);
                                    fixups.push((found, t));
                                    fixups.push((missing, Target::Insn(pc + 2)));
                                }
                                None => {
                                    let end = a.here();
                                    if !a.patch(missing, end) {
                                        return Err(bad(pc));
                                    }
                                }
                            }
                        }
                        Some(Lookup::Table(t)) => {
                            if !hash_probe(&mut a, &mut keys, &t, test, &mut fixups) {
                                return Err(bad(pc));
                            }
                        }
                        _ => {
                            // Hash: the map's address in r1 instead of its
                            // handle, the key already in r2.
                            if let Some(Lookup::Hash(m)) = lookups.get(pc) {
                                imm64(&mut a, &mut keys, A0, m);
                            }
                            a.load(8, T1, S6, LOOKUP_FN);
                            a.call_reg(T1);
                            a.mv(A5, A0);
                        }
                    }
                }
                CALL if i.imm as u32 != abi::Helper::TailCall.raw() => {
                    a.li(T0, i.imm.into());
                    a.store(8, S6, HELPER, T0);
                    call_helper(&mut a, &mut fixups);
                }
                CALLX => {
                    // The helper whose id is the register's low 32 bits, as
                    // on x86_64; a tail call takes the slow path.
                    let d = reg(i.dst);
                    a.zext32(T1, d);
                    a.li(T0, abi::Helper::TailCall.raw().into());
                    let tail = a.branch(BEQ, T1, T0);
                    a.store(8, S6, HELPER, d);
                    call_helper(&mut a, &mut fixups);
                    let done = a.jal(ZERO);
                    let here = a.here();
                    slow_op(&mut a, pc, func == 0, &mut fixups);
                    let end = a.here();
                    if !(a.patch(tail, here) && a.patch(done, end)) {
                        return Err(bad(pc));
                    }
                }
                CALL => slow_op(&mut a, pc, func == 0, &mut fixups),
                _ => {
                    let wide = class == BPF_JMP;
                    let (l, r) = if wide {
                        (d, s)
                    } else {
                        // Compare the low halves, extended as the condition reads them.
                        let signed = matches!(op, BPF_JSGT | BPF_JSGE | BPF_JSLT | BPF_JSLE);
                        for (to, from) in [(T1, d), (T2, s)] {
                            if signed {
                                a.sext32(to, from);
                            } else {
                                a.zext32(to, from);
                            }
                        }
                        (T1, T2)
                    };
                    let (f3, p, q) = match op {
                        BPF_JEQ => (BEQ, l, r),
                        BPF_JNE => (BNE, l, r),
                        BPF_JGT => (BLTU, r, l),
                        BPF_JGE => (BGEU, l, r),
                        BPF_JLT => (BLTU, l, r),
                        BPF_JLE => (BGEU, r, l),
                        BPF_JSGT => (BLT, r, l),
                        BPF_JSGE => (BGE, l, r),
                        BPF_JSLT => (BLT, l, r),
                        BPF_JSLE => (BGE, r, l),
                        BPF_JSET => {
                            a.r(0, r, l, 7, T2, OP);
                            (BNE, T2, ZERO)
                        }
                        _ => return Err(bad(pc)),
                    };
                    let j = a.branch(f3, p, q);
                    fixups.push((j, jump_to(i.off.into())?));
                }
            },
            BPF_LD if i.code == LD_DW_IMM => {
                let hi = insns.get(pc + 1).ok_or_else(|| bad(pc))?.imm as u32;
                imm64(&mut a, &mut keys, d, u64::from(hi) << 32 | u64::from(i.imm as u32));
            }
            _ if i.code == 0 && pc > 0 && insns[pc - 1].code == LD_DW_IMM => {}
            BPF_LDX if i.code & BPF_MODE_MASK == BPF_MEM && proven.get(pc) == Some(&true) => {
                a.load(size, d, s, i.off.into());
            }
            BPF_LDX if i.code & BPF_MODE_MASK == BPF_MEM => {
                // Inside the entry's region, a plain load; else the slow path.
                let (base, off) = a.address(s, i.off.into());
                a.addi(T0, base, off);
                a.load(8, T1, S6, FAST_LO);
                a.emit(Asm::b_type(8, T1, T0, BGEU));
                let below = a.jal(ZERO);
                a.addi(T2, T0, i32::from(size) - 8);
                a.load(8, T1, S6, FAST_END8);
                a.emit(Asm::b_type(8, T2, T1, BGEU));
                let above = a.jal(ZERO);
                a.load(size, d, T0, 0);
                let done = a.jal(ZERO);
                let here = a.here();
                for p in [below, above] {
                    if !a.patch(p, here) {
                        return Err(bad(pc));
                    }
                }
                slow_op(&mut a, pc, func == 0, &mut fixups);
                let end = a.here();
                if !a.patch(done, end) {
                    return Err(bad(pc));
                }
            }
            BPF_ST if proven.get(pc) == Some(&true) => {
                match keys.next() {
                    Some(k) => {
                        a.li(T0, i64::from(i.imm) ^ k as i64);
                        a.li(T1, k as i64);
                        a.r(0, T1, T0, 4, T0, OP);
                    }
                    None => a.li(T0, i.imm.into()),
                }
                a.store(size, d, i.off.into(), T0);
            }
            BPF_STX if i.code & BPF_MODE_MASK == BPF_MEM && proven.get(pc) == Some(&true) => {
                a.store(size, d, i.off.into(), s);
            }
            BPF_LDX if i.code & BPF_MODE_MASK == BPF_MEMSX && proven.get(pc) == Some(&true) => {
                // lb, lh, lw sign-extend.
                let (base, off) = a.address(s, i.off.into());
                let f3 = match size {
                    1 => 0,
                    2 => 1,
                    _ => 2,
                };
                a.i(off, base, f3, d, LOAD);
            }
            BPF_STX if i.code & BPF_MODE_MASK == BPF_ATOMIC && proven.get(pc) == Some(&true) => {
                atomic(&mut a, &i, size, d, s).ok_or_else(|| bad(pc))?;
            }
            BPF_LD | BPF_LDX | BPF_ST | BPF_STX => slow_op(&mut a, pc, func == 0, &mut fixups),
            _ => return Err(bad(pc)),
        }
    }
    places.insn(n, a.here());
    places.leave = a.here();
    a.load(8, SP, S6, ENTRY_RSP);
    a.mv(A0, A5);
    epilogue(&mut a, &MAIN_SAVED);
    for (p, t) in fixups {
        if !places.of(t).is_some_and(|to| a.patch(p, to)) {
            return Err(bad(0));
        }
    }
    Ok(a.b)
}

/// `r0 = ` the value of the key r2 points to in the hash table `t`, or 0:
/// the search of `HashMap::find` in machine code, as on x86_64 (see
/// [`HashTable`]), using only registers a call clobbers. RISC-V orders a
/// load before a load whose address depends on it (a head before its
/// slot's key and link), but not the key before the value the program
/// then reads from the same slot: a `fence r, r` after the key is found
/// does, as the Rust search's acquire load. With the next instruction's
/// `test` of r0 (see [`null_test`]), the search goes the test's way
/// itself (its jumps to instructions join `fixups`). False if a jump does
/// not reach.
fn hash_probe(
    a: &mut Asm,
    keys: &mut Keys,
    t: &HashTable,
    test: Option<(bool, Target)>,
    fixups: &mut Vec<(usize, Target)>,
) -> bool {
    // a2 = the key's word, a3 = its bucket.
    a.load(t.key_size, A2, A1, 0);
    imm64(a, keys, T0, t.mult);
    a.r(1, T0, A2, 0, A3, OP);
    a.srli(A3, A3, t.shift.into());
    // a4 = the first slot, a0 = the bucket's head.
    imm64(a, keys, A4, t.slots);
    imm64(a, keys, A5, t.heads);
    a.index_addr(A0, A5, A3, 4, T1);
    // t0 = an entry: a slot's number, or a locked head, a chain's end, or
    // no slot.
    let retry = a.here();
    a.load(4, T0, A0, 0);
    let walk = a.here();
    blinded(a, keys, T1, t.slot_count.into(), T2);
    let not_slot = a.branch(BGEU, T0, T1);
    // t2 = the slot. Another key: the next entry. (A slot's key: 8 bytes
    // where it is that long, else 4, zero-extended.)
    map_index_addr(a, keys, (T2, A4, T0), t.slot_bytes.into(), (T1, T2));
    a.load(if t.key_size == 8 { 8 } else { 4 }, T1, T2, t.key_at);
    let other = a.branch(BNE, T1, A2);
    // The key: its value.
    a.fence_rr();
    a.addi(A5, T2, t.value_at);
    let found = a.jal(ZERO);
    let next = a.here();
    a.load(4, T0, T2, t.link_at);
    let back = a.jal(ZERO);
    // Not a slot: a locked head (unlock our copy and go on), the end of a
    // chain (another bucket's means the entry we followed moved: start
    // over), or nothing (not found).
    let other_entry = a.here();
    a.li(T1, HASH_LOCK.into());
    a.r(0, T1, T0, 7, T2, OP);
    let unlocked = a.branch(BEQ, T2, ZERO);
    a.r(0, T1, T0, 4, T0, OP);
    let back_unlocked = a.jal(ZERO);
    let end = a.here();
    a.li(T1, HASH_NULLS.into());
    a.r(0, T1, T0, 7, T2, OP);
    let nothing = a.branch(BEQ, T2, ZERO);
    a.li(T1, HASH_INDEX.into());
    a.r(0, T1, T0, 7, T0, OP);
    let moved = a.branch(BNE, T0, A3);
    let none = a.here();
    a.addi(A5, ZERO, 0);
    // Missing: the test's way for null, else on; found: on, or the test's
    // way for not null.
    match test {
        Some((true, t)) => {
            let p = a.jal(ZERO);
            fixups.push((p, t));
        }
        Some((false, t)) => fixups.push((found, t)),
        None => {}
    }
    let done = a.here();
    let found_to = if matches!(test, Some((false, _))) {
        None
    } else {
        Some((found, done))
    };
    [
        (other, next),
        (back, walk),
        (not_slot, other_entry),
        (unlocked, end),
        (back_unlocked, walk),
        (nothing, none),
        (moved, retry),
    ]
    .into_iter()
    .chain(found_to)
    .all(|(at, to)| a.patch(at, to))
}

/// `dst = v`, blinded when there are keys (t1 is the scratch for the key).
fn imm64(a: &mut Asm, keys: &mut Keys, dst: u8, v: u64) {
    blinded(a, keys, dst, v, T1);
}

/// `dst = v`, blinded when there are keys (`scratch`, not `dst`, for the
/// key): a program's constant, or a map's that a compiled lookup uses (as
/// Linux blinds the constants of the lookups it inlines).
fn blinded(a: &mut Asm, keys: &mut Keys, dst: u8, v: u64, scratch: u8) {
    match keys.next() {
        Some(k) => {
            a.li(dst, (v ^ k) as i64);
            a.li(scratch, k as i64);
            a.r(0, scratch, dst, 4, dst, OP);
        }
        None => a.li(dst, v as i64),
    }
}

/// `rd = base + index * bytes` as [`Asm::index_addr`] (`tmp` a scratch),
/// where `bytes` is a map's (a stride, a slot's size): a multiply's
/// constant is blinded where there are keys (`scratch`, not `tmp`, for
/// the key).
fn map_index_addr(a: &mut Asm, keys: &mut Keys, (rd, base, index): (u8, u8, u8), bytes: u64, (tmp, scratch): (u8, u8)) {
    if keys.on() && a.multiplies(bytes) {
        blinded(a, keys, tmp, bytes, scratch);
        a.mul_addr(rd, base, index, tmp);
    } else {
        a.index_addr(rd, base, index, bytes, tmp);
    }
}

/// One ALU instruction (`s` holds the source, an immediate already loaded
/// where `x`); `None` for an encoding that is none.
fn alu(a: &mut Asm, i: &Insn, w: bool, d: u8, s: u8, x: bool, op: u8) -> Option<()> {
    // 32-bit results are zero-extended after.
    let mut zext = !w;
    match op {
        BPF_ADD | BPF_SUB | BPF_MUL => {
            let (f7, f3) = match op {
                BPF_ADD => (0, 0),
                BPF_SUB => (0x20, 0),
                _ => (1, 0),
            };
            a.r(f7, s, d, f3, d, if w { OP } else { OP_32 });
        }
        BPF_OR | BPF_AND | BPF_XOR => {
            let f3 = match op {
                BPF_OR => 6,
                BPF_AND => 7,
                _ => 4,
            };
            a.r(0, s, d, f3, d, OP);
        }
        BPF_MOV => match (x, i.off) {
            (true, 0) if w => a.mv(d, s),
            (true, 0) => a.zext32(d, s),
            (true, 8 | 16) => a.sext_small(d, s, i.off as u32),
            (true, 32) if w => a.sext32(d, s),
            _ => return None,
        },
        BPF_NEG => a.r(0x20, d, ZERO, 0, d, if w { OP } else { OP_32 }),
        BPF_LSH | BPF_RSH | BPF_ARSH => {
            let (f3, f7) = match op {
                BPF_LSH => (1, 0),
                BPF_RSH => (5, 0),
                _ => (5, 0x20),
            };
            if x {
                a.r(f7, s, d, f3, d, if w { OP } else { OP_32 });
            } else {
                let n = i.imm as u32 & if w { 63 } else { 31 };
                a.i(
                    (f7 << 5) as i32 | n as i32,
                    d,
                    f3,
                    d,
                    if w { OP_IMM } else { OP_IMM_32 },
                );
            }
        }
        BPF_DIV | BPF_MOD => {
            let signed = i.off == 1;
            let rem = op == BPF_MOD;
            // By zero: a quotient of 0, the dividend as remainder.
            let divisor = if w {
                s
            } else {
                a.zext32(T1, s);
                T1
            };
            a.emit(Asm::b_type(8, divisor, ZERO, BEQ ^ 1));
            let zero = a.jal(ZERO);
            let f3 = match (rem, signed) {
                (false, true) => 4,
                (false, false) => 5,
                (true, true) => 6,
                (true, false) => 7,
            };
            a.r(1, s, d, f3, d, if w { OP } else { OP_32 });
            let done = a.jal(ZERO);
            let here = a.here();
            a.patch(zero, here);
            if !rem {
                a.addi(d, ZERO, 0);
            }
            let end = a.here();
            a.patch(done, end);
        }
        BPF_END => {
            zext = false;
            let swap = w || x;
            match (i.imm, swap) {
                (16, false) => a.zext16(d, d),
                (32, false) => a.zext32(d, d),
                (64, false) => {}
                (16 | 32 | 64, true) => swap_bytes(a, d, i.imm as u32 / 8),
                _ => return None,
            }
        }
        _ => return None,
    }
    if zext {
        a.zext32(d, d);
    }
    Some(())
}

/// An atomic read-modify-write of `[d + off]` (4 or 8 bytes) with `s`,
/// proven aligned and in bounds, with the A extension's AMOs (ordered
/// both ways, as Linux's JIT orders them) or, for cmpxchg, an LR/SC loop.
fn atomic(a: &mut Asm, i: &Insn, size: u8, d: u8, s: u8) -> Option<()> {
    let w = size == 8;
    let f3 = if w { 3 } else { 2 };
    let imm = i.imm as u32;
    let fetch = imm & BPF_FETCH != 0;
    let (base, off) = a.address(d, i.off.into());
    a.addi(T0, base, off);
    // funct5 | aq | rl, rs2, rs1 = t0, rd.
    let amo = |a: &mut Asm, f5: u32, rs2: u8, rd: u8| a.r(f5 << 2 | 3, rs2, T0, f3, rd, AMO);
    if imm == BPF_CMPXCHG {
        // t2 = r0 as the loaded word compares (lr.w sign-extends).
        if w {
            a.mv(T2, A5);
        } else {
            a.sext32(T2, A5);
        }
        let again = a.here();
        a.r(0x02 << 2 | 2, ZERO, T0, f3, T1, AMO); // lr (aq)
        a.emit(Asm::b_type(12, T2, T1, BNE));
        a.r(0x03 << 2 | 1, s, T0, f3, T3, AMO); // sc (rl)
        let back = again as i64 - a.here() as i64;
        a.emit(Asm::b_type(back as i32, ZERO, T3, BNE));
        if w {
            a.mv(A5, T1);
        } else {
            a.zext32(A5, T1);
        }
        return Some(());
    }
    let f5 = match imm {
        BPF_XCHG => 0x01,
        _ => match (imm & !BPF_FETCH) as u8 {
            BPF_ADD => 0x00,
            BPF_XOR => 0x04,
            BPF_OR => 0x08,
            BPF_AND => 0x0c,
            _ => return None,
        },
    };
    if fetch || imm == BPF_XCHG {
        amo(a, f5, s, s);
        if !w {
            a.zext32(s, s);
        }
    } else {
        amo(a, f5, s, ZERO);
    }
    Some(())
}

/// `d` = its low `n` bytes in the other order (zero-extended).
fn swap_bytes(a: &mut Asm, d: u8, n: u32) {
    if a.ext.zbb {
        // rev8, then the swapped bytes down to the bottom.
        a.i(0x6b8, d, 5, d, OP_IMM);
        if n < 8 {
            a.srli(d, d, 64 - 8 * n);
        }
        return;
    }
    a.addi(T0, ZERO, 0);
    for k in 0..n {
        // t1 = byte k of d, moved to byte n-1-k.
        a.srli(T1, d, 8 * k);
        a.i(0xff, T1, 7, T1, OP_IMM);
        a.slli(T1, T1, 8 * (n - 1 - k));
        a.r(0, T1, T0, 6, T0, OP);
    }
    a.mv(d, T0);
}

/// Calls the helper whose id the context holds (the context the sixth
/// argument, r1..r5 where they are), r0 its result; leaves the run if it
/// failed.
fn call_helper(a: &mut Asm, fixups: &mut Vec<(usize, Target)>) {
    a.mv(A5, S6);
    a.load(8, T1, S6, HELPER_FN);
    a.call_reg(T1);
    a.mv(A5, A0);
    a.load(8, T0, S6, FAILED);
    let p = a.branch(BNE, T0, ZERO);
    fixups.push((p, Target::Leave));
}

/// Hands the instruction at `pc` to the slow path, as on x86_64.
fn slow_op(a: &mut Asm, pc: usize, entry_frame: bool, fixups: &mut Vec<(usize, Target)>) {
    for bpf in 0..=10u8 {
        a.store(8, S6, REGS + 8 * i32::from(bpf), reg(bpf));
    }
    a.mv(A0, S6);
    a.li(A1, i64::from(pc as u32 | u32::from(entry_frame) << 31));
    a.load(8, T1, S6, SLOW_FN);
    a.call_reg(T1);
    let p = a.branch(BNE, A0, ZERO);
    fixups.push((p, Target::Leave));
    for bpf in 0..=9u8 {
        a.load(8, reg(bpf), S6, REGS + 8 * i32::from(bpf));
    }
}

/// What the tests check of riscv64 code.
#[cfg(all(test, feature = "std"))]
pub(crate) mod tests {
    use super::Extensions;
    use core::str::FromStr;
    use riscv_isa::{decode_le_bytes, Instruction, Target};

    /// The offset of the first 4 bytes of `code` that are not an
    /// instruction of RV64IMA and the extensions `ext` (the decoder's
    /// `UNIMP`, or a compressed one), if any.
    pub(crate) fn undecodable(code: &[u8], ext: Extensions) -> Option<usize> {
        let mut target = Target::from_str("RV64IMA").expect("a target");
        target.zba = ext.zba;
        target.zbb = ext.zbb;
        // riscv-isa 0.3 reads RV64's rev8 (a Zbb instruction) only under
        // Zbkb, which shares it: that one is allowed along with Zbb. (The
        // tests crate checks the exact extensions with GNU objdump.)
        target.zbkb = ext.zbb;
        (0..code.len())
            .step_by(4)
            .find(|&at| !matches!(decode_le_bytes(&code[at..], &target), Some((i, 4)) if i != Instruction::UNIMP))
    }

    #[test]
    fn the_decoder_knows_the_extensions_apart() {
        // rev8 a0, a0 is Zbb; addi a0, a0, 1 is RV64I.
        let (rev8, addi) = (0x6b85_5513u32.to_le_bytes(), 0x0015_0513u32.to_le_bytes());
        let zb = Extensions { zba: true, zbb: true };
        assert_eq!(undecodable(&addi, Extensions::default()), None);
        assert_eq!(undecodable(&rev8, Extensions::default()), Some(0));
        assert_eq!(undecodable(&rev8, zb), None);
        assert_eq!(undecodable(&[0; 4], zb), Some(0));
    }

    #[test]
    fn extensions_come_from_the_isa_string() {
        let of = |isa: &str| {
            let e = Extensions::from_isa(isa);
            (e.zba, e.zbb)
        };
        assert_eq!(of("rv64imafdc_zicsr_zifencei_zba_zbb"), (true, true));
        assert_eq!(of("RV64GC_Zba"), (true, false));
        assert_eq!(of("rv64imaczbb_zicsr"), (false, true));
        assert_eq!(of("rv64imafdcbv"), (true, true));
        // Legacy device trees list the s and u modes as letters.
        assert_eq!(of("rv64imafdcsu"), (false, false));
        assert_eq!(of("rv64gc_zbs_zbkb_zbc"), (false, false));
        assert_eq!(of("rv64gc_zbazbb"), (false, false));
        assert_eq!(of("rv32imac_zba_zbb"), (false, false));
        assert_eq!(of(""), (false, false));
        assert_eq!(of("rv6"), (false, false));
    }
}
