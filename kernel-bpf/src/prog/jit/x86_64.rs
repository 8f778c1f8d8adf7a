//! The x86_64 back end: BPF registers live in machine registers (Linux's
//! assignment), and each instruction becomes a few machine instructions.
//!
//! | BPF | r0 | r1 | r2 | r3 | r4 | r5 | r6 | r7 | r8 | r9 | r10 |
//! |---|---|---|---|---|---|---|---|---|---|---|---|
//! | x86_64 | rax | rdi | rsi | rdx | rcx | r8 | rbx | r13 | r14 | r15 | rbp |
//!
//! r12 holds the run's [`super::RunCtx`]; r9, r10 and r11 are scratch.
//! Compiled here: ALU and ALU64 (Linux's division semantics, sign-extending
//! moves, byte swaps), JMP and JMP32, 64-bit immediates, the loads,
//! stores and atomics the verifier proved, loads inside the region r1
//! pointed to at entry (checked inline), helper calls by an id in the code
//! or in a register (straight to `jit::helper`, the arguments already
//! where the C convention wants them, through the address in the run's
//! context), map lookups on maps known at load (an array's inline, a hash
//! map's table searched inline or its lookup called directly), bpf-to-bpf
//! calls and exits. Everything else (tail
//! calls, other checked accesses, legacy packet loads) calls the slow
//! path, which runs that one instruction as the interpreter does on the
//! spilled registers (see [`super`]).
//!
//! A program is one machine function, `extern "C" fn(*mut RunCtx, *const
//! u64, u64) -> u64` (the context, r1..r5, r10); each subprogram is a
//! local function that saves r6-r9. Frames keep `rsp` 16-byte aligned at
//! every call.

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

const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;
const RBX: u8 = 3;
const RSP: u8 = 4;
const RBP: u8 = 5;
const RSI: u8 = 6;
const RDI: u8 = 7;
const R8: u8 = 8;
const R9: u8 = 9;
const R10: u8 = 10;
const R11: u8 = 11;
const R12: u8 = 12;
const R13: u8 = 13;
const R14: u8 = 14;
const R15: u8 = 15;

/// The machine register of each BPF register.
/// A register field past r10, which the verifier refuses, names r10 here.
const REG: [u8; 16] = [
    RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP, RBP, RBP, RBP, RBP, RBP,
];

#[inline]
fn reg(bpf: u8) -> u8 {
    REG[usize::from(bpf & 15)]
}

/// Condition codes.
const CC_E: u8 = 0x4;
const CC_NE: u8 = 0x5;

/// Machine code being written: `b[..at]`; past it, room the next
/// instruction's bytes go straight into.
#[derive(Default)]
struct Asm {
    b: Vec<u8>,
    at: usize,
}

impl Asm {
    /// An empty buffer with room for about `bytes` of code.
    fn with_room(bytes: usize) -> Asm {
        Asm {
            b: alloc::vec![0; bytes.max(16)],
            at: 0,
        }
    }

    /// Makes `b` at least `len` long.
    #[cold]
    fn grow(&mut self, len: usize) {
        self.b.resize(len.max(2 * self.b.len()), 0);
    }

    /// Room for one instruction (at most 15 bytes), written in place: the
    /// bytes are stored where they stay, not gathered and copied (which
    /// would reload the just-stored bytes as one wide word, a store the
    /// processor cannot forward).
    #[inline(always)]
    fn enc(&mut self) -> Enc<'_> {
        if self.b.len() < self.at + 16 {
            self.grow(self.at + 16);
        }
        let Asm { b, at } = self;
        let room = <&mut [u8; 16]>::try_from(&mut b[*at..*at + 16]).expect("16 bytes make a [u8; 16]");
        Enc { b: room, n: 0, at }
    }

    /// Writes `v` as it is (padding, a return, a call's opcode).
    #[inline]
    fn bytes(&mut self, v: &[u8]) {
        let end = self.at + v.len();
        if self.b.len() < end {
            self.grow(end);
        }
        self.b[self.at..end].copy_from_slice(v);
        self.at = end;
    }

    /// The code written.
    fn code(&self) -> &[u8] {
        &self.b[..self.at]
    }

    /// The code written, as the buffer.
    fn into_code(mut self) -> Vec<u8> {
        self.b.truncate(self.at);
        self.b
    }

    /// `op dst, src` of the "r/m, reg" form (`opc`: add 01, or 09, and 21,
    /// sub 29, xor 31, cmp 39, test 85, mov 89).
    #[inline]
    fn op_rr(&mut self, opc: u8, w: bool, dst: u8, src: u8) {
        let mut e = self.enc();
        e.rex(w, src, dst, false);
        e.byte(opc);
        e.rr(src, dst);
        e.end();
    }

    /// `op dst, imm` of group 1 (`ext`: add 0, or 1, and 4, sub 5, xor 6,
    /// cmp 7).
    #[inline]
    fn op_ri(&mut self, ext: u8, w: bool, dst: u8, imm: i32) {
        let mut e = self.enc();
        e.rex(w, 0, dst, false);
        if let Ok(b) = i8::try_from(imm) {
            e.byte(0x83);
            e.rr(ext, dst);
            e.byte(b as u8);
        } else {
            e.byte(0x81);
            e.rr(ext, dst);
            e.i32(imm);
        }
        e.end();
    }

    /// `dst = imm` (as [`Asm::mov_imm`]), written as `(imm ^ key) ^ key`:
    /// a blinded constant, the key its low 32 bits.
    fn mov_blinded(&mut self, w: bool, dst: u8, imm: i32, key: u64) {
        let k = key as u32 as i32;
        self.mov_imm(w, dst, imm ^ k);
        self.op_ri(6, w, dst, k);
    }

    /// `mov dst, src` (32-bit zero-extends).
    #[inline]
    fn mov(&mut self, w: bool, dst: u8, src: u8) {
        self.op_rr(0x89, w, dst, src);
    }

    /// `dst = imm` sign-extended to 64 bits (`w`) or as 32 bits.
    #[inline(always)]
    fn mov_imm(&mut self, w: bool, dst: u8, imm: i32) {
        let mut e = self.enc();
        if w && imm < 0 {
            e.rex(true, 0, dst, false);
            e.byte(0xc7);
            e.rr(0, dst);
            e.i32(imm);
        } else if imm == 0 {
            return self.op_rr(0x31, false, dst, dst);
        } else {
            e.rex(false, 0, dst, false);
            e.byte(0xb8 | (dst & 7));
            e.i32(imm);
        }
        e.end();
    }

    #[inline]
    fn mov_imm64(&mut self, dst: u8, v: u64) {
        if let Ok(small) = u32::try_from(v) {
            self.mov_imm(false, dst, small as i32);
        } else if let Ok(neg) = i32::try_from(v as i64) {
            self.mov_imm(true, dst, neg);
        } else {
            let mut e = self.enc();
            e.rex(true, 0, dst, false);
            e.byte(0xb8 | (dst & 7));
            e.bytes(&v.to_le_bytes());
            e.end();
        }
    }

    /// A group-3 op on `dst` (`ext`: test-imm 0, neg 3, div 6, idiv 7).
    #[inline]
    fn grp3(&mut self, ext: u8, w: bool, dst: u8) {
        let mut e = self.enc();
        e.rex(w, 0, dst, false);
        e.byte(0xf7);
        e.rr(ext, dst);
        e.end();
    }

    /// `shift dst, cl` (`ext`: shl 4, shr 5, sar 7).
    #[inline]
    fn shift_cl(&mut self, ext: u8, w: bool, dst: u8) {
        let mut e = self.enc();
        e.rex(w, 0, dst, false);
        e.byte(0xd3);
        e.rr(ext, dst);
        e.end();
    }

    #[inline]
    fn shift_imm(&mut self, ext: u8, w: bool, dst: u8, n: u8) {
        let mut e = self.enc();
        e.rex(w, 0, dst, false);
        e.byte(0xc1);
        e.rr(ext, dst);
        e.byte(n);
        e.end();
    }

    #[inline]
    fn imul_rr(&mut self, w: bool, dst: u8, src: u8) {
        let mut e = self.enc();
        e.rex(w, dst, src, false);
        e.bytes(&[0x0f, 0xaf]);
        e.rr(dst, src);
        e.end();
    }

    /// `dst = src * imm`.
    #[inline]
    fn imul_ri(&mut self, w: bool, dst: u8, src: u8, imm: i32) {
        let mut e = self.enc();
        e.rex(w, dst, src, false);
        e.byte(0x69);
        e.rr(dst, src);
        e.i32(imm);
        e.end();
    }

    /// `test r, imm` (sign-extended with `w`).
    #[inline]
    fn test_ri(&mut self, w: bool, r: u8, imm: i32) {
        let mut e = self.enc();
        e.rex(w, 0, r, false);
        e.byte(0xf7);
        e.rr(0, r);
        e.i32(imm);
        e.end();
    }

    /// A bit test: the carry flag becomes bit `bit` of `r` (`ext`: bt 4,
    /// btr 6, which also clears it).
    #[inline]
    fn bt_ri(&mut self, ext: u8, w: bool, r: u8, bit: u8) {
        let mut e = self.enc();
        e.rex(w, 0, r, false);
        e.bytes(&[0x0f, 0xba]);
        e.rr(ext, r);
        e.byte(bit);
        e.end();
    }

    /// `movzx`/`movsx` of a register's low 8 or 16 bits (`opc`: 0f b6, b7,
    /// be, bf).
    #[inline]
    fn extend(&mut self, opc: u8, w: bool, dst: u8, src: u8) {
        let mut e = self.enc();
        e.rex(w, dst, src, opc == 0xb6 || opc == 0xbe);
        e.bytes(&[0x0f, opc]);
        e.rr(dst, src);
        e.end();
    }

    #[inline]
    fn movsxd(&mut self, dst: u8, src: u8) {
        let mut e = self.enc();
        e.rex(true, dst, src, false);
        e.byte(0x63);
        e.rr(dst, src);
        e.end();
    }

    #[inline]
    fn bswap(&mut self, w: bool, r: u8) {
        let mut e = self.enc();
        e.rex(w, 0, r, false);
        e.bytes(&[0x0f, 0xc8 | (r & 7)]);
        e.end();
    }

    /// `dst = zero-extended [base + off]` of `size` bytes.
    #[inline(always)]
    fn load(&mut self, size: u8, dst: u8, base: u8, off: i32) {
        let mut e = self.enc();
        match size {
            1 | 2 => {
                e.rex(false, dst, base, false);
                e.bytes(&[0x0f, if size == 1 { 0xb6 } else { 0xb7 }]);
            }
            _ => {
                e.rex(size == 8, dst, base, false);
                e.byte(0x8b);
            }
        }
        e.mem(dst, base, off);
        e.end();
    }

    /// `dst = sign-extended [base + off]` of `size` (1, 2 or 4) bytes.
    #[inline]
    fn load_sx(&mut self, size: u8, dst: u8, base: u8, off: i32) {
        let mut e = self.enc();
        e.rex(true, dst, base, false);
        match size {
            1 => e.bytes(&[0x0f, 0xbe]),
            2 => e.bytes(&[0x0f, 0xbf]),
            _ => e.byte(0x63),
        }
        e.mem(dst, base, off);
        e.end();
    }

    /// `[base + off] op= src` (or with `lock`), of `size` (4 or 8) bytes;
    /// `opc` as for [`Asm::op_rr`], or the two-byte `0f xx` forms.
    #[inline]
    fn op_mr(&mut self, lock: bool, opc: &[u8], size: u8, base: u8, off: i32, src: u8) {
        let mut e = self.enc();
        if lock {
            e.byte(0xf0);
        }
        e.rex(size == 8, src, base, false);
        e.bytes(opc);
        e.mem(src, base, off);
        e.end();
    }

    /// `[base + off] = src`'s low `size` bytes.
    #[inline(always)]
    fn store(&mut self, size: u8, base: u8, off: i32, src: u8) {
        let mut e = self.enc();
        if size == 2 {
            e.byte(0x66);
        }
        e.rex(size == 8, src, base, size == 1);
        e.byte(if size == 1 { 0x88 } else { 0x89 });
        e.mem(src, base, off);
        e.end();
    }

    /// `[base + off] = imm` (`size` bytes; 8 sign-extends it).
    #[inline(always)]
    fn store_imm(&mut self, size: u8, base: u8, off: i32, imm: i32) {
        let mut e = self.enc();
        if size == 2 {
            e.byte(0x66);
        }
        e.rex(size == 8, 0, base, false);
        e.byte(if size == 1 { 0xc6 } else { 0xc7 });
        e.mem(0, base, off);
        match size {
            1 => e.byte(imm as u8),
            2 => e.bytes(&(imm as u16).to_le_bytes()),
            _ => e.i32(imm),
        }
        e.end();
    }

    /// `lea dst, [base + disp]` (a 32-bit result, zero-extended, unless
    /// `w`).
    #[inline]
    fn lea(&mut self, w: bool, dst: u8, base: u8, disp: i32) {
        let mut e = self.enc();
        e.rex(w, dst, base, false);
        e.byte(0x8d);
        e.mem(dst, base, disp);
        e.end();
    }

    /// `lea dst, [base + index << scale]` (`scale` 0 to 3).
    #[inline]
    fn lea_index(&mut self, dst: u8, base: u8, index: u8, scale: u8) {
        self.op_index(0x8d, true, dst, (base, index, scale, 0));
    }

    /// `lea dst, [index << scale]` (no base: a zero 32-bit displacement).
    #[inline]
    fn lea_scaled(&mut self, dst: u8, index: u8, scale: u8) {
        let mut e = self.enc();
        e.byte(0x48 | (dst >> 3 & 1) << 2 | (index >> 3 & 1) << 1);
        e.byte(0x8d);
        e.byte((dst & 7) << 3 | 0x04);
        e.byte(scale << 6 | (index & 7) << 3 | 0x05);
        e.i32(0);
        e.end();
    }

    /// The instruction of one-byte opcode `op` (`0x8b` mov, `0x3b` cmp,
    /// `0x8d` lea) on register `r` (64-bit if `w`) and
    /// `[base + index << scale + disp]` (`index` not rsp).
    #[inline(always)]
    fn op_index(&mut self, op: u8, w: bool, r: u8, at: (u8, u8, u8, i32)) {
        let mut e = self.enc();
        e.indexed([op], w, r, at);
        e.end();
    }

    /// `prefetcht0 [base + index << scale + disp]`: the line brought to the
    /// caches, the instruction waiting on nothing.
    fn prefetch(&mut self, at: (u8, u8, u8, i32)) {
        let mut e = self.enc();
        e.indexed([0x0f, 0x18], false, 1, at);
        e.end();
    }

    /// `rol r16, n`.
    #[inline]
    fn rol16(&mut self, r: u8, n: u8) {
        let mut e = self.enc();
        e.byte(0x66);
        e.rex(false, 0, r, false);
        e.byte(0xc1);
        e.rr(0, r);
        e.byte(n);
        e.end();
    }

    /// `cmovcc dst, src` (64-bit).
    #[inline]
    fn cmov(&mut self, cc: u8, dst: u8, src: u8) {
        let mut e = self.enc();
        e.rex(true, dst, src, false);
        e.bytes(&[0x0f, 0x40 | cc]);
        e.rr(dst, src);
        e.end();
    }

    /// `cmp r, [base + disp]` (64-bit with `w`, else 32).
    #[inline]
    fn cmp_rm(&mut self, w: bool, r: u8, base: u8, disp: i32) {
        let mut e = self.enc();
        e.rex(w, r, base, false);
        e.byte(0x3b);
        e.mem(r, base, disp);
        e.end();
    }

    /// `cmp qword [base + disp], imm8`.
    #[inline]
    fn cmp_mi8(&mut self, base: u8, disp: i32, imm: i8) {
        let mut e = self.enc();
        e.rex(true, 0, base, false);
        e.byte(0x83);
        e.mem(7, base, disp);
        e.byte(imm as u8);
        e.end();
    }

    /// `call qword [base + disp]`.
    #[inline]
    fn call_mem(&mut self, base: u8, disp: i32) {
        let mut e = self.enc();
        e.rex(false, 0, base, false);
        e.byte(0xff);
        e.mem(2, base, disp);
        e.end();
    }

    #[inline]
    fn push(&mut self, r: u8) {
        let mut e = self.enc();
        e.rex(false, 0, r, false);
        e.byte(0x50 | (r & 7));
        e.end();
    }

    #[inline]
    fn pop(&mut self, r: u8) {
        let mut e = self.enc();
        e.rex(false, 0, r, false);
        e.byte(0x58 | (r & 7));
        e.end();
    }

    /// A jump (`cc`: `None` for `jmp`) with a 32-bit displacement to be
    /// patched; returns where the displacement is.
    #[inline]
    fn jump(&mut self, cc: Option<u8>) -> usize {
        let mut e = self.enc();
        match cc {
            Some(c) => e.bytes(&[0x0f, 0x80 | c]),
            None => e.byte(0xe9),
        }
        e.i32(0);
        e.end();
        self.at - 4
    }

    /// A jump (`cc`: `None` for `jmp`) back to `to`, already written: two
    /// bytes where the distance fits one, as a loop's usually does.
    #[inline]
    fn jump_back(&mut self, cc: Option<u8>, to: usize) {
        let short = to as i64 - (self.at as i64 + 2);
        if let Ok(rel) = i8::try_from(short) {
            let mut e = self.enc();
            e.byte(cc.map_or(0xeb, |c| 0x70 | c));
            e.byte(rel as u8);
            e.end();
        } else {
            let p = self.jump(cc);
            self.patch(p, to);
        }
    }

    /// Points the displacement at `at` to `to`.
    #[inline]
    fn patch(&mut self, at: usize, to: usize) {
        let rel = to as i64 - (at as i64 + 4);
        self.b[at..at + 4].copy_from_slice(&(rel as i32).to_le_bytes());
    }

    #[inline]
    fn here(&self) -> usize {
        self.at
    }
}

/// One machine instruction's bytes, written in the code's room for it
/// (see [`Asm::enc`]): the room is checked once per instruction, not per
/// byte, and [`Enc::end`] takes the bytes written.
struct Enc<'a> {
    b: &'a mut [u8; 16],
    n: usize,
    at: &'a mut usize,
}

impl Enc<'_> {
    /// Opcode `op` on register `r` (or an opcode extension; 64-bit if `w`)
    /// and `[base + index << scale + disp]` (`index` not rsp).
    #[inline(always)]
    fn indexed<const N: usize>(&mut self, op: [u8; N], w: bool, r: u8, (base, index, scale, disp): (u8, u8, u8, i32)) {
        let rex = 0x40 | u8::from(w) << 3 | (r >> 3 & 1) << 2 | (index >> 3 & 1) << 1 | (base >> 3 & 1);
        if rex != 0x40 {
            self.byte(rex);
        }
        self.bytes(&op);
        let md = match disp {
            0 if base & 7 != RBP => 0,
            d if i8::try_from(d).is_ok() => 1,
            _ => 2,
        };
        self.byte(md << 6 | (r & 7) << 3 | 0x04);
        self.byte(scale << 6 | (index & 7) << 3 | (base & 7));
        match md {
            1 => self.byte(disp as i8 as u8),
            2 => self.i32(disp),
            _ => {}
        }
    }

    /// The instruction is complete.
    #[inline(always)]
    fn end(self) {
        debug_assert!(self.n < 16, "an x86_64 instruction is at most 15 bytes");
        *self.at += self.n;
    }

    #[inline(always)]
    fn byte(&mut self, v: u8) {
        self.b[self.n & 15] = v;
        self.n += 1;
    }

    #[inline(always)]
    fn bytes(&mut self, v: &[u8]) {
        for &x in v {
            self.byte(x);
        }
    }

    #[inline(always)]
    fn i32(&mut self, v: i32) {
        self.bytes(&v.to_le_bytes());
    }

    /// A REX prefix if one is needed (`byte_regs`: an 8-bit operand in
    /// spl, bpl, sil or dil, which only exist with one).
    #[inline(always)]
    fn rex(&mut self, w: bool, r: u8, b: u8, byte_regs: bool) {
        let v = 0x40 | u8::from(w) << 3 | (r >> 3 & 1) << 2 | (b >> 3 & 1);
        if v != 0x40 || (byte_regs && (r & 7 >= 4 || b & 7 >= 4)) {
            self.byte(v);
        }
    }

    /// A register-direct ModRM byte.
    #[inline(always)]
    fn rr(&mut self, r: u8, b: u8) {
        self.byte(0xc0 | (r & 7) << 3 | (b & 7));
    }

    /// A ModRM (and SIB) for `[base + disp]`.
    #[inline(always)]
    fn mem(&mut self, r: u8, base: u8, disp: i32) {
        let small = i8::try_from(disp).is_ok();
        let md = if disp == 0 && base & 7 != RBP {
            0
        } else if small {
            1
        } else {
            2
        };
        self.byte(md << 6 | (r & 7) << 3 | (base & 7));
        if base & 7 == RSP {
            self.byte(0x24);
        }
        match md {
            1 => self.byte(disp as i8 as u8),
            2 => self.i32(disp),
            _ => {}
        }
    }
}

/// Where the key of the lookup at `pc` is: `[rbp + off]` where the lookup
/// reads it from the stack itself (see [`ArgSetup`]), else where r2
/// points.
fn key_place(setup: &ArgSetup, pc: usize) -> (u8, i32) {
    match setup.key_at(pc) {
        Some(off) => (RBP, off),
        None => (RSI, 0),
    }
}

/// Code kept out of the straight path (a lookup's rare cases), placed
/// after the program so the common case runs without taken jumps.
#[derive(Default)]
struct Cold {
    a: Asm,
    /// Jumps in the main code (where their displacement is) to cold code.
    into: Vec<(usize, usize)>,
    /// Jumps in the cold code back to the main code.
    back: Vec<(usize, usize)>,
    /// Jumps in the cold code to instructions (resolved with the main
    /// code's).
    to: Vec<(usize, Target)>,
}

impl Cold {
    /// Points the main code's jump whose displacement is at `from` here.
    fn enter(&mut self, from: usize) {
        self.into.push((from, self.a.here()));
    }

    /// A jump (`cc`: `None` for `jmp`) to `to` in the main code.
    fn back(&mut self, cc: Option<u8>, to: usize) {
        let p = self.a.jump(cc);
        self.back.push((p, to));
    }

    /// A `jmp` to the instruction `t`.
    fn goto(&mut self, t: Target) {
        let p = self.a.jump(None);
        self.to.push((p, t));
    }

    /// Appends the cold code to `a` and resolves the jumps both ways; those
    /// to instructions join `fixups`.
    fn place(self, a: &mut Asm, fixups: &mut Vec<(usize, Target)>) {
        let base = a.here();
        a.bytes(self.a.code());
        for (from, to) in self.into {
            a.patch(from, base + to);
        }
        for (from, to) in self.back {
            a.patch(base + from, to);
        }
        fixups.extend(self.to.into_iter().map(|(from, t)| (base + from, t)));
    }
}

/// Compiles `insns` (verified; `proven[pc]`: the access at `pc` needs no
/// check; `shape`: their [`Shape::of`]) into machine code. With `blind`, the seed of
/// the keys, no immediate of the program appears in the code as it is:
/// each is written xor a random key and the key xor'ed back at run time
/// (Linux's constant blinding), so a program's constants cannot plant
/// chosen instruction bytes.
///
/// Most instructions of most programs are plain (see [`plain`]): without
/// blinding, runs of them are written by [`plain_run`], a small loop apart
/// from this function's state. Everything else (entries, exits, calls,
/// lookups, checked accesses, blinded constants) is written here. Kept in
/// one function, the plain ones took 1.4 times as long, the general path's
/// state spilled and reloaded around each.
///
/// # Errors
/// [`Error::BadInstruction`] for an instruction the verifier would not
/// have passed (an unknown opcode, a jump out of the program).
pub(super) fn compile(
    insns: &[Insn],
    proven: &[bool],
    lookups: &Lookups,
    shape: &Shape,
    blind: Option<u64>,
) -> Result<Vec<u8>> {
    let mut keys = Keys::new(blind);
    let setup = ArgSetup::of(insns, &shape.targets, lookups, keys.on());
    let n = insns.len();
    let bad = |pc: usize| Error::BadInstruction { pc: pc as u32 };
    let mut a = Asm::with_room(64 + 8 * insns.len());
    // Where instructions' code starts (where jumps and calls need it),
    // and each function's entry.
    let mut places = Places::new(n);
    // Room for a jump every four instructions, as compiled C has about.
    let mut fixups: Vec<(usize, Target)> = Vec::with_capacity(n / 4);
    let mut cold = Cold::default();

    // The run's entry, `fn(cx, args, r10)`: save what the caller needs
    // kept, take the arguments (r1..r5 from `args`), and, unless the
    // program is a leaf, the context and the stack for leaving from any
    // depth.
    let layout = &shape.layout;
    let saved: Vec<u8> = if shape.leaf {
        // Only the callee-saved registers the program uses.
        [RBX, R13, R14, R15, RBP]
            .into_iter()
            .filter(|&r| (6..=10).any(|bpf| shape.uses[bpf] && reg(bpf as u8) == r))
            .collect()
    } else {
        alloc::vec![RBP, RBX, R12, R13, R14, R15]
    };
    for &r in &saved {
        a.push(r);
    }
    if !shape.leaf {
        a.op_ri(5, true, RSP, 8);
        a.mov(true, R12, RDI);
    }
    // The arguments a leaf reads (others need all five: the slow path and
    // helpers see them). rsi (r2's) and rdx (r3's) are read before r2 and
    // r3 are loaded.
    let args = (1..=5u8).filter(|&r| !shape.leaf || shape.args[usize::from(r)]);
    if args.clone().next().is_some() {
        a.mov(true, R11, RSI);
    }
    if !shape.leaf || shape.uses[10] {
        a.mov(true, RBP, RDX);
    }
    for bpf in args {
        a.load(8, reg(bpf), R11, 8 * (i32::from(bpf) - 1));
    }
    if !shape.leaf {
        a.store(8, R12, ENTRY_RSP, RSP);
    }
    let main_epilogue = |a: &mut Asm| {
        if !shape.leaf {
            a.op_ri(0, true, RSP, 8);
        }
        for &r in saved.iter().rev() {
            a.pop(r);
        }
        a.bytes(&[0xc3]);
    };

    // Functions in order: `func` is the one `pc` is in.
    let mut func = 0;
    // The instruction at `pc` was compiled with the one before it (a null
    // test a lookup took as its branch, a sum one `lea` computed).
    let mut joined = false;
    let mut pcs = 0..n;
    while let Some(pc) = pcs.next() {
        if !joined && !keys.on() {
            // The plain instructions from `pc` on, up to the next
            // function's start, then on from the first it did not write.
            let stop = layout.starts.get(func + 1).copied().unwrap_or(n);
            let next = plain_run(
                &mut a,
                &mut places,
                &mut fixups,
                (insns, proven, shape, &setup),
                pc..stop,
            );
            if next > pc {
                pcs.start = next;
                continue;
            }
        }
        if layout.starts.get(func + 1) == Some(&pc) {
            // A subprogram: r6-r9 are the caller's.
            func += 1;
            places.func(pc, a.here());
            for r in [RBX, R13, R14, R15] {
                a.push(r);
            }
            a.op_ri(5, true, RSP, 8);
        }
        // Loop heads (targets of backward jumps) start on 16 bytes.
        if shape.loop_heads.get(pc) == Some(&true) {
            while a.here() % 16 != 0 {
                a.bytes(&[0x90]);
            }
        }
        places.insn(pc, a.here());
        if setup.skips(pc) || core::mem::take(&mut joined) {
            continue;
        }
        let i = insns[pc];
        let (d, s) = (reg(i.dst), reg(i.src));
        let class = i.class();
        let op = i.code & BPF_OP_MASK;
        let x = i.code & BPF_SRC_MASK == BPF_X && matches!(class, BPF_ALU | BPF_ALU64 | BPF_JMP | BPF_JMP32);
        let mut blinded = false;
        let blindable = || match class {
            BPF_ALU | BPF_ALU64 => matches!(
                op,
                BPF_ADD | BPF_SUB | BPF_AND | BPF_OR | BPF_XOR | BPF_MUL | BPF_MOV | BPF_DIV | BPF_MOD
            ),
            BPF_JMP | BPF_JMP32 => !matches!(op, BPF_JA | BPF_CALL | BPF_EXIT),
            BPF_ST => proven.get(pc) == Some(&true),
            _ => false,
        };
        if !x && keys.on() && blindable() {
            if let Some(k) = keys.next() {
                // r10 = imm, written as (imm ^ k) ^ k; the instruction then
                // takes it as its source register.
                a.mov_blinded(class != BPF_ALU && class != BPF_JMP32, R10, i.imm, k);
                blinded = true;
            }
        }
        let sum = matches!(class, BPF_ALU | BPF_ALU64).then(|| copy_add(insns, &shape.targets, pc, keys.on()));
        if let Some(sum) = sum.flatten() {
            joined = true;
            match sum {
                (Some(index), _) => a.op_index(0x8d, class == BPF_ALU64, d, (s, reg(index), 0, 0)),
                (None, disp) => a.lea(class == BPF_ALU64, d, s, disp),
            }
            continue;
        }
        let prog = (insns, proven, &shape.targets[..]);
        if plain(&mut a, prog, (pc, i), Caller::General { blinded }, &places, &mut fixups) {
            continue;
        }
        let size = access_size(i.code);
        let jump_to = |rel: i64| jump_target(pc, rel, n).ok_or_else(|| bad(pc));
        match class {
            BPF_JMP | BPF_JMP32 => match i.code {
                JA => branch(&mut a, &places, &mut fixups, None, jump_to(i.off.into())?),
                JA32 => branch(&mut a, &places, &mut fixups, None, jump_to(i.imm.into())?),
                EXIT if func == 0 => main_epilogue(&mut a),
                EXIT => {
                    a.op_ri(0, true, RSP, 8);
                    for r in [R15, R14, R13, RBX] {
                        a.pop(r);
                    }
                    a.bytes(&[0xc3]);
                }
                CALL if i.src == BPF_PSEUDO_CALL => {
                    let t = match jump_to(i.imm.into())? {
                        Target::Insn(t) if layout.starts(t) => t,
                        _ => return Err(bad(pc)),
                    };
                    // The callee's frame is the next stack slice up, as
                    // in the interpreter.
                    a.op_ri(0, true, RBP, MAX_BPF_STACK as i32);
                    a.bytes(&[0xe8, 0, 0, 0, 0]);
                    fixups.push((a.here() - 4, Target::Func(t)));
                    a.op_ri(5, true, RBP, MAX_BPF_STACK as i32);
                }
                CALL if lookups.get(pc).is_some() => {
                    let test = null_test(insns, &shape.targets, lookups, pc);
                    joined = test.is_some();
                    // Where a lookup that finds nothing goes, r0 = 0: the
                    // test's way for null, else on.
                    let none = match test {
                        Some((true, t)) => t,
                        Some((false, _)) => Target::Insn(pc + 2),
                        None => Target::Insn(pc + 1),
                    };
                    match lookups.get(pc) {
                        Some(Lookup::Array(v)) if test.is_some() => {
                            array_index(&mut a, &mut cold, &mut keys, key_place(&setup, pc), v.max_entries, none);
                            imm64(&mut a, &mut keys, RAX, v.base);
                            array_element(&mut a, &mut keys, RAX, v.stride);
                        }
                        Some(Lookup::Array(v)) => {
                            // r0 = the u32 key r2 points to; below max_entries,
                            // base + key * stride, else 0. Without a branch:
                            // even speculatively, r0 is never past the end.
                            let (kb, ko) = key_place(&setup, pc);
                            a.load(4, RCX, kb, ko);
                            imm64(&mut a, &mut keys, R11, v.base);
                            array_element(&mut a, &mut keys, R11, v.stride);
                            a.op_rr(0x31, false, RAX, RAX);
                            op_imm(&mut a, &mut keys, CMP, RCX, v.max_entries as i32);
                            a.cmov(0x2, RAX, R11);
                        }
                        Some(Lookup::Table(t)) => {
                            hash_probe(&mut a, &mut cold, &mut keys, &t, key_place(&setup, pc), none);
                        }
                        _ => {
                            if let Some(off) = setup.key_at(pc) {
                                a.lea(true, RSI, RBP, off);
                            }
                            // Hash: the map's address in r1 instead of its
                            // handle, the key already in r2.
                            if let Some(Lookup::Hash(m)) = lookups.get(pc) {
                                imm64(&mut a, &mut keys, RDI, m);
                            }
                            a.call_mem(R12, LOOKUP_FN);
                        }
                    }
                    // Found, where the test jumps on that.
                    if let Some((false, t)) = test {
                        branch(&mut a, &places, &mut fixups, None, t);
                    }
                }
                CALL if i.imm as u32 != abi::Helper::TailCall.raw() => {
                    // Straight to the helper: r1..r5 are already the first
                    // five arguments; the context is the sixth.
                    a.store_imm(8, R12, HELPER, i.imm);
                    call_helper(&mut a, &mut fixups);
                }
                CALLX => {
                    // The helper whose id is in the register (its low 32
                    // bits, as the interpreter reads it); a tail call
                    // takes the slow path.
                    a.op_ri(7, false, d, abi::Helper::TailCall.raw() as i32);
                    let tail = a.jump(Some(CC_E));
                    a.store(8, R12, HELPER, d);
                    call_helper(&mut a, &mut fixups);
                    let done = a.jump(None);
                    let here = a.here();
                    a.patch(tail, here);
                    slow_op(&mut a, pc, func == 0, &mut fixups);
                    let end = a.here();
                    a.patch(done, end);
                }
                CALL => slow_op(&mut a, pc, func == 0, &mut fixups),
                // Conditional jumps are plain: these have no operation or
                // no target.
                _ => return Err(bad(pc)),
            },
            BPF_LD if i.code == LD_DW_IMM => {
                let hi = insns.get(pc + 1).ok_or_else(|| bad(pc))?.imm as u32;
                let v = u64::from(hi) << 32 | u64::from(i.imm as u32);
                imm64(&mut a, &mut keys, d, v);
            }
            // The second slot of a 64-bit immediate: no code.
            _ if i.code == 0 && pc > 0 && insns[pc - 1].code == LD_DW_IMM => {}
            BPF_LDX if i.code & BPF_MODE_MASK == BPF_MEM => {
                // Inside the entry's region (checked here), a plain load;
                // anywhere else, the slow path's checked one.
                a.lea(true, R11, s, i.off.into());
                a.cmp_rm(true, R11, R12, FAST_LO);
                let below = a.jump(Some(0x2));
                a.lea(true, R10, R11, i32::from(size) - 8);
                a.cmp_rm(true, R10, R12, FAST_END8);
                let above = a.jump(Some(0x7));
                a.load(size, d, R11, 0);
                let done = a.jump(None);
                let here = a.here();
                a.patch(below, here);
                a.patch(above, here);
                slow_op(&mut a, pc, func == 0, &mut fixups);
                let end = a.here();
                a.patch(done, end);
            }
            BPF_LDX if i.code & BPF_MODE_MASK == BPF_MEMSX && proven.get(pc) == Some(&true) => {
                a.load_sx(size, d, s, i.off.into());
            }
            BPF_STX if i.code & BPF_MODE_MASK == BPF_ATOMIC && proven.get(pc) == Some(&true) => {
                atomic(&mut a, &i, size, d, s).ok_or_else(|| bad(pc))?;
            }
            BPF_LD | BPF_LDX | BPF_ST | BPF_STX => slow_op(&mut a, pc, func == 0, &mut fixups),
            _ => return Err(bad(pc)),
        }
    }
    places.insn(n, a.here());
    if !shape.leaf {
        // Leaving from any depth (a fault, a tail call, the slow path's
        // exit): back to the entry's stack, then the entry's epilogue.
        places.leave = a.here();
        a.load(8, RSP, R12, ENTRY_RSP);
        main_epilogue(&mut a);
    }
    cold.place(&mut a, &mut fixups);
    for (p, t) in fixups {
        a.patch(p, places.of(t).ok_or_else(|| bad(0))?);
    }
    Ok(a.into_code())
}

/// Writes the code of the instructions of `run` in a row that are plain
/// (see [`plain`]) and have nothing else at their place (a loop's head, a
/// lookup's setup that takes no code, a copy one `lea` computes with the
/// sum after it); the first one it leaves to `compile`'s general path, or
/// the run's end. It notes where the run starts (which may follow a call)
/// and where each jump's target in it does, not every instruction.
#[inline(never)]
fn plain_run(
    a: &mut Asm,
    places: &mut Places,
    fixups: &mut Vec<(usize, Target)>,
    (insns, proven, shape, setup): (&[Insn], &[bool], &Shape, &ArgSetup),
    run: core::ops::Range<usize>,
) -> usize {
    places.insn(run.start, a.here());
    let targets = &shape.targets[run.clone()];
    for ((pc, i), &target) in run.clone().zip(&insns[run.clone()]).zip(targets) {
        if target {
            if shape.loop_heads[pc] {
                return pc;
            }
            places.insn(pc, a.here());
        }
        if setup.skips(pc) {
            return pc;
        }
        if !plain(
            a,
            (insns, proven, &shape.targets),
            (pc, *i),
            Caller::Run,
            places,
            fixups,
        ) {
            return pc;
        }
    }
    run.end
}

/// How [`plain`] writes an instruction, by its opcode (and whether its
/// constant is blinded): decoded once, in [`FORMS`], not per instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Form {
    /// Not plain: `compile`'s general path writes it.
    General,
    /// `op d, s` of the "r/m, reg" form (add, sub, or, and, xor): its
    /// opcode.
    Rr {
        opc: u8,
        w: bool,
    },
    /// `op d, imm` of group 1: its extension.
    Ri {
        ext: u8,
        w: bool,
    },
    /// `d = s`, or its sign extension by the offset.
    Mov {
        w: bool,
    },
    /// `d = imm`.
    MovImm {
        w: bool,
    },
    /// A shift by a constant: its extension (shl 4, shr 5, sar 7).
    Shift {
        ext: u8,
        w: bool,
    },
    /// Another ALU operation (see [`alu`]; `x`: by a register).
    Alu {
        w: bool,
        x: bool,
    },
    /// A conditional jump: its condition; `x`: against a register; `test`:
    /// on bits (`jset`), not a comparison.
    Jump {
        cc: u8,
        w: bool,
        x: bool,
        test: bool,
    },
    /// A proven load, store, or store of the constant, of `size` bytes.
    Load(u8),
    Store(u8),
    StoreImm(u8),
}

/// [`Form`]s by opcode: `FORMS[0]` with constants as they are, `FORMS[1]`
/// with them blinded (in r10, the machine register, which the instruction
/// takes as its source).
const FORMS: [[Form; 256]; 2] = {
    let mut t = [[Form::General; 256]; 2];
    let mut c = 0;
    while c < 256 {
        t[0][c] = form(c as u8, false);
        t[1][c] = form(c as u8, true);
        c += 1;
    }
    t
};

/// The [`Form`] of opcode `code`.
const fn form(code: u8, blinded: bool) -> Form {
    let (class, op) = (code & BPF_CLASS_MASK, code & BPF_OP_MASK);
    let x = blinded || code & BPF_SRC_MASK == BPF_X;
    let w = class == BPF_ALU64 || class == BPF_JMP;
    let size = access_size(code);
    let mem = code & BPF_MODE_MASK == BPF_MEM;
    match class {
        BPF_ALU | BPF_ALU64 => {
            let (opc, ext) = match op {
                BPF_ADD => (0x01, 0),
                BPF_SUB => (0x29, 5),
                BPF_OR => (0x09, 1),
                BPF_AND => (0x21, 4),
                BPF_XOR => (0x31, 6),
                BPF_MOV if x => return Form::Mov { w },
                BPF_MOV => return Form::MovImm { w },
                // By the instruction's own constant, blinded or not: shift
                // counts are not blinded.
                BPF_LSH | BPF_RSH | BPF_ARSH if code & BPF_SRC_MASK == BPF_K => {
                    return Form::Shift { ext: shift_ext(op), w }
                }
                _ => return Form::Alu { w, x },
            };
            match x {
                true => Form::Rr { opc, w },
                false => Form::Ri { ext, w },
            }
        }
        BPF_JMP | BPF_JMP32 => match jcc(op) {
            Some(cc) => Form::Jump {
                cc,
                w,
                x,
                test: op == BPF_JSET,
            },
            None => Form::General,
        },
        BPF_LDX if mem => Form::Load(size),
        BPF_STX if mem => Form::Store(size),
        BPF_ST if mem && blinded => Form::Store(size),
        BPF_ST if mem => Form::StoreImm(size),
        _ => Form::General,
    }
}

/// Where [`plain`] is called from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// [`plain_run`]: constants are as they are, and a copy that one `lea`
    /// computes with the sum after it (see [`copy_add`]) is left to the
    /// general path.
    Run,
    /// `compile`'s general path, which has checked for such a copy
    /// (`blinded`: the constant is in r10, the machine register).
    General { blinded: bool },
}

/// The code of the instruction `i` at `pc` of `insns` (`targets`: their
/// [`Shape::targets`]) where it is plain, its code its own: an ALU
/// operation, a conditional jump, a proven load or store; `false`, writing
/// nothing, for the others.
#[inline(always)]
fn plain(
    a: &mut Asm,
    (insns, proven, targets): (&[Insn], &[bool], &[bool]),
    (pc, i): (usize, Insn),
    caller: Caller,
    places: &Places,
    fixups: &mut Vec<(usize, Target)>,
) -> bool {
    let blinded = caller == Caller::General { blinded: true };
    let d = reg(i.dst);
    let s = if blinded { R10 } else { reg(i.src) };
    let proven = || proven.get(pc) == Some(&true);
    match FORMS[usize::from(blinded)][usize::from(i.code)] {
        Form::Rr { opc, w } => a.op_rr(opc, w, d, s),
        Form::Ri { ext, w } => a.op_ri(ext, w, d, i.imm),
        Form::Mov { w } => match i.off {
            0 if caller == Caller::Run && copy_add(insns, targets, pc, false).is_some() => return false,
            0 => a.mov(w, d, s),
            8 => a.extend(0xbe, w, d, s),
            16 => a.extend(0xbf, w, d, s),
            32 if w => a.movsxd(d, s),
            _ => return false,
        },
        Form::MovImm { w } => a.mov_imm(w, d, i.imm),
        Form::Shift { ext, w } => a.shift_imm(ext, w, d, i.imm as u8 & if w { 63 } else { 31 }),
        Form::Alu { w, x } => return alu(a, &i, w, d, s, x).is_some(),
        Form::Jump { cc, w, x, test } => {
            let Some(t) = jump_target(pc, i.off.into(), insns.len()) else {
                return false;
            };
            match (test, x) {
                (true, true) => a.op_rr(0x85, w, d, s),
                (true, false) => a.test_ri(w, d, i.imm),
                (false, true) => a.op_rr(0x39, w, d, s),
                // test sets the flags as cmp with 0 does.
                (false, false) if i.imm == 0 => a.op_rr(0x85, w, d, d),
                (false, false) => a.op_ri(7, w, d, i.imm),
            }
            branch(a, places, fixups, Some(cc), t);
        }
        // Eight bytes, the most common size, with the size a constant.
        Form::Load(8) if proven() => a.load(8, d, s, i.off.into()),
        Form::Store(8) if proven() => a.store(8, d, i.off.into(), s),
        Form::Load(size) if proven() => a.load(size, d, s, i.off.into()),
        Form::Store(size) if proven() => a.store(size, d, i.off.into(), s),
        Form::StoreImm(size) if proven() => a.store_imm(size, d, i.off.into(), i.imm),
        _ => return false,
    }
    true
}

/// A jump (`cc`: `None` for `jmp`) to the instruction `t`: straight
/// there if its code is written (a loop's jump back), else to be patched.
#[inline(always)]
fn branch(a: &mut Asm, places: &Places, fixups: &mut Vec<(usize, Target)>, cc: Option<u8>, t: Target) {
    match places.of(t) {
        Some(to) => a.jump_back(cc, to),
        None => {
            let p = a.jump(cc);
            fixups.push((p, t));
        }
    }
}

/// `ecx` = the u32 key at `[kb + ko]`, an index of an array of
/// `max_entries`; past the end, r0 = 0 and to `none`. Even where the
/// processor runs on past the branch before it is resolved, the index it
/// goes on with is inside the array: masked to the size where that is a
/// power of two, else to 0 by the comparison's carry (as Linux's
/// `array_index_nospec`).
fn array_index(a: &mut Asm, cold: &mut Cold, keys: &mut Keys, (kb, ko): (u8, i32), max_entries: u32, none: Target) {
    a.load(4, RCX, kb, ko);
    op_imm(a, keys, CMP, RCX, max_entries as i32);
    let past = a.jump(Some(0x3));
    cold.enter(past);
    cold.a.op_rr(0x31, false, RAX, RAX);
    cold.goto(none);
    if max_entries.is_power_of_two() {
        op_imm(a, keys, AND, RCX, (max_entries - 1) as i32);
    } else {
        // edx = all ones (the carry: below the size), and so the index.
        a.op_rr(0x19, false, RDX, RDX);
        a.op_rr(0x21, false, RCX, RDX);
    }
}

/// `base += rcx * stride`: the address of an array's element.
fn array_element(a: &mut Asm, keys: &mut Keys, base: u8, stride: u64) {
    match (stride, words_by_shift_add(stride)) {
        // One lea where the stride is a scale.
        (1 | 2 | 4 | 8, _) => a.lea_index(base, base, RCX, stride.trailing_zeros() as u8),
        // Two where it is 3, 5 or 9 words.
        (_, Some(s)) => {
            a.lea_index(RDX, RCX, RCX, s);
            a.lea_index(base, base, RDX, 3);
        }
        _ => {
            mul_imm(a, keys, RDX, RCX, stride as i32);
            a.op_rr(0x01, true, base, RDX);
        }
    }
}

/// `dst = v`, blinded when there are keys (r10, the machine register, is
/// the scratch for the key).
fn imm64(a: &mut Asm, keys: &mut Keys, dst: u8, v: u64) {
    match keys.next() {
        Some(k) => {
            a.mov_imm64(dst, v ^ k);
            a.mov_imm64(R10, k);
            a.op_rr(0x31, true, dst, R10);
        }
        None => a.mov_imm64(dst, v),
    }
}

/// `cmp` and `and` of group 1: the extension of their "r/m, imm" form and
/// the opcode of their "r/m, reg" form.
const CMP: (u8, u8) = (7, 0x39);
const AND: (u8, u8) = (4, 0x21);

/// `op r, imm` (32-bit; `op` one of [`CMP`] and [`AND`]) on a constant of
/// a map's (its size, an index mask), blinded where there are keys, as
/// Linux blinds the constants of the lookups it inlines: built in r10 (the
/// machine register, which must be free) as `(imm ^ k) ^ k`.
fn op_imm(a: &mut Asm, keys: &mut Keys, (ext, opc): (u8, u8), r: u8, imm: i32) {
    match keys.next() {
        Some(k) => {
            a.mov_blinded(false, R10, imm, k);
            a.op_rr(opc, false, r, R10);
        }
        None => a.op_ri(ext, false, r, imm),
    }
}

/// `dst = src * imm` (64-bit, `imm` not negative: a map's stride), the
/// constant blinded where there are keys (built in `dst`, which must not
/// be `src`).
fn mul_imm(a: &mut Asm, keys: &mut Keys, dst: u8, src: u8, imm: i32) {
    match keys.next() {
        Some(k) => {
            a.mov_blinded(false, dst, imm, k);
            a.imul_rr(true, dst, src);
        }
        None => a.imul_ri(true, dst, src, imm),
    }
}

/// How the hash search addresses a table's slots: as a slot's number in
/// words, scaled by 8 in the address, where that is a shift away (slots
/// of 8 to 64 bytes, a power of two: `Shift` by so many bits) or one `lea`
/// (slots of 3, 5 or 9 words: the number plus itself shifted by so many
/// bits), not a multiply on the way to the misses; other slots by their
/// byte offset, a multiply.
#[derive(Clone, Copy)]
enum Units {
    Shift(u8),
    Lea(u8),
    Bytes,
}

impl Units {
    fn of(slot_bytes: u32) -> Units {
        let words = slot_bytes / 8;
        if slot_bytes.is_power_of_two() && (8..=64).contains(&slot_bytes) {
            Units::Shift(words.trailing_zeros() as u8)
        } else if let Some(s) = words_by_shift_add(slot_bytes.into()) {
            Units::Lea(s)
        } else {
            Units::Bytes
        }
    }
}

/// `r0 = ` the value of the key at `[kb + ko]` (where r2 points) in the
/// hash table `t`, or 0 and to `none`:
/// the search of `HashMap::find` in machine code (see [`HashTable`]),
/// using only registers a call clobbers (r1..r5 and the scratch ones).
/// Memory order needs nothing more than plain loads on x86_64 (loads are
/// not reordered with other loads).
///
/// The straight path takes the key from the first two entries of its
/// chain without a branch on which one holds it: whether the first does
/// is a coin the predictor cannot call (in a well-filled table the key is
/// not first in up to two lookups in five), and a mispredicted branch
/// there throws away the lookups the processor runs ahead. (Three entries
/// measured slower: more operations wait on each lookup's misses.) The
/// rest (a chain's end, a locked head, a key third or later, a missing
/// key) is the full search, in the cold code.
fn hash_probe(a: &mut Asm, cold: &mut Cold, keys: &mut Keys, t: &HashTable, (kb, ko): (u8, i32), none: Target) {
    // r11 = the key's word (at `[kb + ko]`), rdx = its bucket. A slot's
    // key compares as 8 bytes where it is that long, else as 4.
    a.load(t.key_size, R11, kb, ko);
    let wide_key = t.key_size == 8;
    imm64(a, keys, RDX, t.mult);
    a.imul_rr(true, RDX, R11);
    a.shift_imm(5, true, RDX, t.shift);
    // r8 = the first head, rsi = the first slot.
    imm64(a, keys, R8, t.heads);
    imm64(a, keys, RSI, t.slots);
    // The line of the bucket's place among the slots, where its entries
    // mostly lie, is fetched while the head is read. (Not with blinded
    // constants: its multiplier follows from the map's size.)
    if t.place_bytes > 0 && !keys.on() {
        a.imul_ri(true, RDI, RDX, t.place_bytes);
        a.shift_imm(5, true, RDI, 64 - t.shift);
        a.prefetch((RSI, RDI, 0, 0));
    }
    let head = (R8, RDX, 2, 0);
    let units = Units::of(t.slot_bytes);
    // The slot of the entry in `e` (`spare` a free register): the index
    // register and scale of its address.
    let slot = |a: &mut Asm, keys: &mut Keys, e: u8, spare: u8| match units {
        Units::Shift(0) => (e, 3),
        Units::Shift(k) => {
            a.lea_scaled(spare, e, k);
            (spare, 3)
        }
        Units::Lea(s) => {
            a.lea_index(spare, e, e, s);
            (spare, 3)
        }
        Units::Bytes => {
            mul_imm(a, keys, spare, e, t.slot_bytes as i32);
            (spare, 0)
        }
    };
    let at = |(index, scale): (u8, u8), off| (RSI, index, scale, off);

    // ecx = the chain's first entry; not a slot (a locked head, an empty
    // chain): the full search.
    a.op_index(0x8b, false, RCX, head);
    op_imm(a, keys, CMP, RCX, t.slot_count as i32);
    let not_slot = a.jump(Some(0x3));
    // r9 = the next entry, or the first again where there is none (so its
    // slot is one to read).
    let first = slot(a, keys, RCX, RDI);
    a.op_index(0x8b, false, R9, at(first, t.link_at));
    op_imm(a, keys, CMP, R9, t.slot_count as i32);
    a.cmov(0x3, R9, RCX);
    // The first slot where its key is the key, else the second.
    let second = slot(a, keys, R9, R10);
    a.op_index(0x3b, wide_key, R11, at(first, t.key_at));
    a.cmov(CC_E, second.0, first.0);
    let chosen = second;
    // Not the key (in neither): the full search. The key: its value.
    a.op_index(0x3b, wide_key, R11, at(chosen, t.key_at));
    let other = a.jump(Some(CC_NE));
    a.op_index(0x8d, true, RAX, at(chosen, t.value_at));
    let done = a.here();

    // The full search: from the head, each entry in turn.
    cold.enter(other);
    let c = &mut cold.a;
    let full = c.here();
    c.op_index(0x8b, false, RCX, head);
    let walk = c.here();
    cold.enter(not_slot);
    let c = &mut cold.a;
    op_imm(c, keys, CMP, RCX, t.slot_count as i32);
    let end = c.jump(Some(0x3));
    let s = slot(c, keys, RCX, RDI);
    // Another key: the next entry.
    c.op_index(0x3b, wide_key, R11, at(s, t.key_at));
    let other = c.jump(Some(CC_NE));
    c.op_index(0x8d, true, RAX, at(s, t.value_at));
    cold.back(None, done);
    let c = &mut cold.a;
    let next = c.here();
    c.patch(other, next);
    c.op_index(0x8b, false, RCX, at(s, t.link_at));
    c.jump_back(None, walk);
    // Not a slot: a locked head (unlock our copy and go on), the end of a
    // chain (another bucket's means the entry we followed moved to
    // another chain: start over), or nothing (not found).
    let here = c.here();
    c.patch(end, here);
    c.bt_ri(6, false, RCX, HASH_LOCK.trailing_zeros() as u8);
    c.jump_back(Some(0x2), walk);
    c.test_ri(false, RCX, HASH_NULLS as i32);
    let nothing = c.jump(Some(CC_E));
    c.op_ri(4, false, RCX, HASH_INDEX as i32);
    c.op_rr(0x39, false, RCX, RDX);
    c.jump_back(Some(CC_NE), full);
    let here = c.here();
    c.patch(nothing, here);
    c.op_rr(0x31, false, RAX, RAX);
    cold.goto(none);
}

/// The group-2 extension of a shift (`op` one of `BPF_LSH`, `BPF_RSH`,
/// `BPF_ARSH`): shl 4, shr 5, sar 7.
const fn shift_ext(op: u8) -> u8 {
    match op {
        BPF_LSH => 4,
        BPF_RSH => 5,
        _ => 7,
    }
}

/// The condition of a conditional jump.
const fn jcc(op: u8) -> Option<u8> {
    Some(match op {
        BPF_JEQ => CC_E,
        BPF_JNE | BPF_JSET => CC_NE,
        BPF_JGT => 0x7,
        BPF_JGE => 0x3,
        BPF_JLT => 0x2,
        BPF_JLE => 0x6,
        BPF_JSGT => 0xf,
        BPF_JSGE => 0xd,
        BPF_JSLT => 0xc,
        BPF_JSLE => 0xe,
        _ => return None,
    })
}

/// An ALU instruction of [`Form::Alu`]: not one of group 1's, nor a
/// move; `None` for an encoding that is none.
#[inline(always)]
fn alu(a: &mut Asm, i: &Insn, w: bool, d: u8, s: u8, x: bool) -> Option<()> {
    let op = i.code & BPF_OP_MASK;
    match op {
        BPF_MUL => match (x, i.imm) {
            (true, _) => a.imul_rr(w, d, s),
            // By 3, 5 or 9: `lea d, [d + d * (m - 1)]`, a cycle where
            // `imul` takes three, as compilers reduce it; by a power of
            // two, a shift.
            (false, m @ (3 | 5 | 9)) => a.op_index(0x8d, w, d, (d, d, (m - 1).trailing_zeros() as u8, 0)),
            (false, m) if m >= 2 && m & (m - 1) == 0 => a.shift_imm(4, w, d, m.trailing_zeros() as u8),
            (false, m) => a.imul_ri(w, d, d, m),
        },
        BPF_NEG => a.grp3(3, w, d),
        // By a register (a constant's are `Form::Shift`).
        BPF_LSH | BPF_RSH | BPF_ARSH if x => {
            let ext = shift_ext(op);
            if s == RCX && d != RCX {
                a.shift_cl(ext, w, d);
            } else {
                // The count must be in cl, which is r4's: r4 waits in r11.
                a.mov(true, R11, RCX);
                if s != RCX {
                    a.mov(true, RCX, s);
                }
                if d == RCX {
                    a.shift_cl(ext, w, R11);
                    a.mov(true, RCX, R11);
                } else {
                    a.shift_cl(ext, w, d);
                    a.mov(true, RCX, R11);
                }
            }
        }
        BPF_DIV | BPF_MOD => divide(a, i, w, d, s, x, op == BPF_MOD),
        BPF_END => {
            let swap = w || x;
            match (i.imm, swap) {
                (16, false) => a.extend(0xb7, false, d, d),
                (32, false) => a.mov(false, d, d),
                (64, false) => {}
                (16, true) => {
                    // rol r16, 8 then zero-extend.
                    a.rol16(d, 8);
                    a.extend(0xb7, false, d, d);
                }
                (32, true) => a.bswap(false, d),
                (64, true) => a.bswap(true, d),
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(())
}

/// Division and modulo as Linux defines them: by zero, a quotient of 0 and
/// a remainder of the dividend; signed `MIN / -1` is `MIN` (and `% -1` is
/// 0), which x86's `idiv` would fault on.
fn divide(a: &mut Asm, i: &Insn, w: bool, d: u8, s: u8, x: bool, rem: bool) {
    let signed = i.off == 1;
    // The divisor in r11.
    if x {
        a.mov(w, R11, s);
    } else {
        a.mov_imm(w, R11, i.imm);
    }
    a.op_rr(0x85, w, R11, R11);
    let nonzero = a.jump(Some(CC_NE));
    if rem {
        // dst unchanged (a 32-bit one zero-extended).
        if !w {
            a.mov(false, d, d);
        }
    } else {
        a.mov_imm(false, d, 0);
    }
    let done_zero = a.jump(None);
    let start = a.here();
    a.patch(nonzero, start);
    let mut done = Vec::new();
    if signed {
        a.op_ri(7, w, R11, -1);
        let normal = a.jump(Some(CC_NE));
        if rem {
            a.mov_imm(false, d, 0);
        } else {
            a.grp3(3, w, d);
        }
        done.push(a.jump(None));
        let here = a.here();
        a.patch(normal, here);
    }
    // rax and rdx are r0 and r3: kept on the stack around the division.
    a.push(RAX);
    a.push(RDX);
    a.mov(w, RAX, d);
    if signed {
        if w {
            a.bytes(&[0x48, 0x99]); // cqo
        } else {
            a.bytes(&[0x99]); // cdq
        }
        a.grp3(7, w, R11);
    } else {
        a.mov_imm(false, RDX, 0);
        a.grp3(6, w, R11);
    }
    a.mov(w, R10, if rem { RDX } else { RAX });
    a.pop(RDX);
    a.pop(RAX);
    a.mov(w, d, R10);
    let end = a.here();
    a.patch(done_zero, end);
    for p in done {
        a.patch(p, end);
    }
}

/// An atomic read-modify-write of `[d + off]` (4 or 8 bytes) with `s`,
/// proven aligned and in bounds; `None` for an operation that is none.
fn atomic(a: &mut Asm, i: &Insn, size: u8, d: u8, s: u8) -> Option<()> {
    let w = size == 8;
    let imm = i.imm as u32;
    let fetch = imm & BPF_FETCH != 0;
    // The address in r10, so rax (r0, which cmpxchg uses) can be any base.
    a.lea(true, R10, d, i.off.into());
    match imm {
        BPF_XCHG => {
            a.op_mr(false, &[0x87], size, R10, 0, s);
            if !w {
                a.mov(false, s, s);
            }
        }
        BPF_CMPXCHG => {
            a.op_mr(true, &[0x0f, 0xb1], size, R10, 0, s);
            // r0 = the old value, zero-extended for 32 bits either way.
            if !w {
                a.mov(false, RAX, RAX);
            }
        }
        _ if imm & !BPF_FETCH == u32::from(BPF_ADD) && fetch => {
            a.op_mr(true, &[0x0f, 0xc1], size, R10, 0, s);
            if !w {
                a.mov(false, s, s);
            }
        }
        _ if !fetch => {
            let opc = match (imm & !BPF_FETCH) as u8 {
                BPF_ADD => 0x01,
                BPF_AND => 0x21,
                BPF_OR => 0x09,
                BPF_XOR => 0x31,
                _ => return None,
            };
            a.op_mr(true, &[opc], size, R10, 0, s);
        }
        _ => {
            // Fetching and, or, xor: a compare-and-exchange loop on rax,
            // which is r0's, kept on the stack meanwhile.
            let opc = match (imm & !BPF_FETCH) as u8 {
                BPF_AND => 0x21,
                BPF_OR => 0x09,
                BPF_XOR => 0x31,
                _ => return None,
            };
            a.mov(true, R9, s);
            a.push(RAX);
            a.load(size, RAX, R10, 0);
            let again = a.here();
            a.mov(true, R11, RAX);
            a.op_rr(opc, w, R11, R9);
            a.op_mr(true, &[0x0f, 0xb1], size, R10, 0, R11);
            a.jump_back(Some(CC_NE), again);
            a.mov(w, R9, RAX);
            a.pop(RAX);
            a.mov(true, s, R9);
        }
    }
    Some(())
}

/// Calls the helper whose id the context holds, with r1..r5 where they
/// are; leaves the run if it failed.
fn call_helper(a: &mut Asm, fixups: &mut Vec<(usize, Target)>) {
    a.mov(true, R9, R12);
    a.call_mem(R12, HELPER_FN);
    a.cmp_mi8(R12, FAILED, 0);
    let p = a.jump(Some(CC_NE));
    fixups.push((p, Target::Leave));
}

/// Hands the instruction at `pc` to the slow path: the registers go to the
/// run's context, the slow path runs it, and the registers come back (or
/// the run leaves, when it says so).
fn slow_op(a: &mut Asm, pc: usize, entry_frame: bool, fixups: &mut Vec<(usize, Target)>) {
    for bpf in 0..=10u8 {
        a.store(8, R12, REGS + 8 * i32::from(bpf), reg(bpf));
    }
    a.mov(true, RDI, R12);
    a.mov_imm(false, RSI, (pc as u32 | u32::from(entry_frame) << 31) as i32);
    a.call_mem(R12, SLOW_FN);
    a.op_rr(0x85, false, RAX, RAX);
    let p = a.jump(Some(CC_NE));
    fixups.push((p, Target::Leave));
    for bpf in 0..=9u8 {
        a.load(8, reg(bpf), R12, REGS + 8 * i32::from(bpf));
    }
}
