//! What the verifier knows of a number: its bits ([`Tnum`]) and its signed
//! and unsigned ranges in 64 and in 32 bits (the low half), kept in step
//! with each other as Linux's `reg_bounds_sync` keeps them, through ALU
//! operations and the refinements a conditional jump gives each branch.
//! Everything here over-approximates: a value the program can compute is
//! always inside what is tracked.

use super::tnum::Tnum;
use abi::*;
use core::cmp::{max, min};
use core::fmt;

/// The known facts of a scalar (or of a pointer's variable offset).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Scalar {
    /// Known bits.
    pub var: Tnum,
    /// Signed 64-bit range.
    pub smin: i64,
    /// Signed 64-bit range.
    pub smax: i64,
    /// Unsigned 64-bit range.
    pub umin: u64,
    /// Unsigned 64-bit range.
    pub umax: u64,
    /// Signed range of the low 32 bits.
    pub s32min: i32,
    /// Signed range of the low 32 bits.
    pub s32max: i32,
    /// Unsigned range of the low 32 bits.
    pub u32min: u32,
    /// Unsigned range of the low 32 bits.
    pub u32max: u32,
}

impl Scalar {
    /// Any value.
    pub const UNKNOWN: Scalar = Scalar {
        var: Tnum::UNKNOWN,
        smin: i64::MIN,
        smax: i64::MAX,
        umin: 0,
        umax: u64::MAX,
        s32min: i32::MIN,
        s32max: i32::MAX,
        u32min: 0,
        u32max: u32::MAX,
    };

    /// Exactly `v`.
    pub fn konst(v: u64) -> Scalar {
        Scalar {
            var: Tnum::konst(v),
            smin: v as i64,
            smax: v as i64,
            umin: v,
            umax: v,
            s32min: v as i32,
            s32max: v as i32,
            u32min: v as u32,
            u32max: v as u32,
        }
    }

    /// The value, if it is known.
    pub fn value(&self) -> Option<u64> {
        self.var.is_const().then_some(self.var.value)
    }

    /// The low 32 bits, if they are known.
    pub fn value32(&self) -> Option<u32> {
        self.var.subreg().is_const().then_some(self.var.value as u32)
    }

    /// Whether `v` may be the value.
    pub fn has(&self, v: u64) -> bool {
        self.var.has(v)
            && (self.smin..=self.smax).contains(&(v as i64))
            && (self.umin..=self.umax).contains(&v)
            && (self.s32min..=self.s32max).contains(&(v as i32))
            && (self.u32min..=self.u32max).contains(&(v as u32))
    }

    /// Whether the facts contradict each other: no value has them all
    /// (a branch that cannot be taken).
    pub fn is_empty(&self) -> bool {
        self.smin > self.smax
            || self.umin > self.umax
            || self.s32min > self.s32max
            || self.u32min > self.u32max
            || self.var.value > self.umax
            || self.var.value | self.var.mask < self.umin
    }

    /// Whether every value `other` allows, `self` allows (state pruning).
    pub fn contains(&self, o: &Scalar) -> bool {
        self.var.contains(o.var)
            && self.smin <= o.smin
            && o.smax <= self.smax
            && self.umin <= o.umin
            && o.umax <= self.umax
            && self.s32min <= o.s32min
            && o.s32max <= self.s32max
            && self.u32min <= o.u32min
            && o.u32max <= self.u32max
    }

    fn unbound64(&mut self) {
        (self.smin, self.smax, self.umin, self.umax) = (i64::MIN, i64::MAX, 0, u64::MAX);
    }

    fn unbound32(&mut self) {
        (self.s32min, self.s32max, self.u32min, self.u32max) = (i32::MIN, i32::MAX, 0, u32::MAX);
    }

    /// Linux's `__update_reg_bounds`: ranges narrowed by the known bits.
    fn bounds_from_bits(&mut self) {
        let v32 = self.var.subreg();
        let (val, mask) = (v32.value as u32, v32.mask as u32);
        self.s32min = max(self.s32min, (val | (mask & 0x8000_0000)) as i32);
        self.s32max = min(self.s32max, (val | (mask & 0x7fff_ffff)) as i32);
        self.u32min = max(self.u32min, val);
        self.u32max = min(self.u32max, val | mask);
        let (val, mask) = (self.var.value, self.var.mask);
        self.smin = max(self.smin, (val | (mask & (1 << 63))) as i64);
        self.smax = min(self.smax, (val | (mask & !(1 << 63))) as i64);
        self.umin = max(self.umin, val);
        self.umax = min(self.umax, val | mask);
    }

    /// Linux's `__reg_deduce_bounds`: each range narrowed by the others.
    fn deduce(&mut self) {
        // 32 bits from 64 when the high halves agree.
        if self.umin >> 32 == self.umax >> 32 {
            self.u32min = max(self.u32min, self.umin as u32);
            self.u32max = min(self.u32max, self.umax as u32);
            if (self.umin as i32) <= (self.umax as i32) {
                self.s32min = max(self.s32min, self.umin as i32);
                self.s32max = min(self.s32max, self.umax as i32);
            }
        }
        if self.smin >> 32 == self.smax >> 32 {
            if (self.smin as u32) <= (self.smax as u32) {
                self.u32min = max(self.u32min, self.smin as u32);
                self.u32max = min(self.u32max, self.smax as u32);
            }
            if (self.smin as i32) <= (self.smax as i32) {
                self.s32min = max(self.s32min, self.smin as i32);
                self.s32max = min(self.s32max, self.smax as i32);
            }
        }
        // 32-bit signed and unsigned, when one does not cross the other's
        // wrap point.
        if (self.u32min as i32) <= (self.u32max as i32) {
            self.s32min = max(self.s32min, self.u32min as i32);
            self.s32max = min(self.s32max, self.u32max as i32);
        }
        if (self.s32min as u32) <= (self.s32max as u32) {
            self.u32min = max(self.u32min, self.s32min as u32);
            self.u32max = min(self.u32max, self.s32max as u32);
        }
        // 64-bit signed and unsigned likewise.
        if (self.umin as i64) <= (self.umax as i64) {
            self.smin = max(self.smin, self.umin as i64);
            self.smax = min(self.smax, self.umax as i64);
        }
        if (self.smin as u64) <= (self.smax as u64) {
            self.umin = max(self.umin, self.smin as u64);
            self.umax = min(self.umax, self.smax as u64);
        }
        // 64 bits from 32: the low half of the bounds.
        let lo = 0xffff_ffffu64;
        let umin = (self.umin & !lo) | u64::from(self.u32min);
        let umax = (self.umax & !lo) | u64::from(self.u32max);
        self.umin = max(self.umin, umin);
        self.umax = min(self.umax, umax);
        if (self.umin as i64) <= (self.umax as i64) {
            self.smin = max(self.smin, self.umin as i64);
            self.smax = min(self.smax, self.umax as i64);
        }
    }

    /// Linux's `__reg_bound_offset`: known bits narrowed by the ranges.
    fn bits_from_bounds(&mut self) {
        let v64 = self.var.intersect(Tnum::range(self.umin, self.umax));
        let v32 = v64
            .subreg()
            .intersect(Tnum::range(self.u32min.into(), self.u32max.into()));
        self.var = v64.with_subreg(v32);
    }

    /// Linux's `reg_bounds_sync`.
    pub fn sync(&mut self) {
        if self.is_empty() {
            return;
        }
        self.bounds_from_bits();
        self.deduce();
        self.bits_from_bounds();
        self.bounds_from_bits();
    }

    /// The low 32 bits, zero-extended (a 32-bit write).
    pub fn zext32(&mut self) {
        self.var = self.var.subreg();
        self.umin = self.u32min.into();
        self.umax = self.u32max.into();
        if self.s32min >= 0 {
            self.smin = self.s32min.into();
            self.smax = self.s32max.into();
        } else {
            self.smin = 0;
            self.smax = u32::MAX.into();
        }
        self.sync();
    }

    /// Signed range `lo..=hi` in 64 bits, nothing else known.
    pub fn signed_range(lo: i64, hi: i64) -> Scalar {
        let mut s = Scalar {
            smin: lo,
            smax: hi,
            ..Scalar::UNKNOWN
        };
        s.sync();
        s
    }

    /// Unsigned range `lo..=hi` in 64 bits, nothing else known.
    pub fn unsigned_range(lo: u64, hi: u64) -> Scalar {
        let mut s = Scalar {
            umin: lo,
            umax: hi,
            ..Scalar::UNKNOWN
        };
        s.sync();
        s
    }

    /// `self op src` for ALU operation `op` (a `BPF_OP` value) in 64 bits
    /// or (`bits32`) in 32 bits with the result zero-extended. `insn` is
    /// the instruction, for the operations folded exactly on constants.
    pub fn alu(&self, src: &Scalar, insn: &crate::prog::insn::Insn) -> Scalar {
        let bits32 = insn.class() == BPF_ALU;
        let op = insn.code & BPF_OP_MASK;
        // Constants fold exactly, as the interpreter computes.
        if let (Some(a), Some(b)) = (self.value(), src.value()) {
            if let Some(r) = crate::prog::interp::alu(insn, a, b) {
                return Scalar::konst(r);
            }
        }
        if op == BPF_MOV {
            return self.mov(src, insn.off, bits32);
        }
        let mut d = *self;
        let s = *src;
        match op {
            BPF_ADD => {
                d.var = d.var + s.var;
                match (d.smin.checked_add(s.smin), d.smax.checked_add(s.smax)) {
                    (Some(a), Some(b)) => (d.smin, d.smax) = (a, b),
                    _ => (d.smin, d.smax) = (i64::MIN, i64::MAX),
                }
                match (d.umin.checked_add(s.umin), d.umax.checked_add(s.umax)) {
                    (Some(a), Some(b)) => (d.umin, d.umax) = (a, b),
                    _ => (d.umin, d.umax) = (0, u64::MAX),
                }
                match (d.s32min.checked_add(s.s32min), d.s32max.checked_add(s.s32max)) {
                    (Some(a), Some(b)) => (d.s32min, d.s32max) = (a, b),
                    _ => (d.s32min, d.s32max) = (i32::MIN, i32::MAX),
                }
                match (d.u32min.checked_add(s.u32min), d.u32max.checked_add(s.u32max)) {
                    (Some(a), Some(b)) => (d.u32min, d.u32max) = (a, b),
                    _ => (d.u32min, d.u32max) = (0, u32::MAX),
                }
            }
            BPF_SUB => {
                d.var = d.var - s.var;
                match (d.smin.checked_sub(s.smax), d.smax.checked_sub(s.smin)) {
                    (Some(a), Some(b)) => (d.smin, d.smax) = (a, b),
                    _ => (d.smin, d.smax) = (i64::MIN, i64::MAX),
                }
                if d.umin < s.umax {
                    (d.umin, d.umax) = (0, u64::MAX);
                } else {
                    (d.umin, d.umax) = (d.umin - s.umax, d.umax - s.umin);
                }
                match (d.s32min.checked_sub(s.s32max), d.s32max.checked_sub(s.s32min)) {
                    (Some(a), Some(b)) => (d.s32min, d.s32max) = (a, b),
                    _ => (d.s32min, d.s32max) = (i32::MIN, i32::MAX),
                }
                if d.u32min < s.u32max {
                    (d.u32min, d.u32max) = (0, u32::MAX);
                } else {
                    (d.u32min, d.u32max) = (d.u32min - s.u32max, d.u32max - s.u32min);
                }
            }
            BPF_MUL => {
                d.var = d.var * s.var;
                match (d.umin.checked_mul(s.umin), d.umax.checked_mul(s.umax)) {
                    (Some(a), Some(b)) => (d.umin, d.umax) = (a, b),
                    _ => (d.umin, d.umax) = (0, u64::MAX),
                }
                let p = [
                    d.smin.checked_mul(s.smin),
                    d.smin.checked_mul(s.smax),
                    d.smax.checked_mul(s.smin),
                    d.smax.checked_mul(s.smax),
                ];
                if p.iter().all(Option::is_some) {
                    let p = p.map(Option::unwrap_or_default);
                    (d.smin, d.smax) = (p.into_iter().min().unwrap_or(0), p.into_iter().max().unwrap_or(0));
                } else {
                    (d.smin, d.smax) = (i64::MIN, i64::MAX);
                }
                match (d.u32min.checked_mul(s.u32min), d.u32max.checked_mul(s.u32max)) {
                    (Some(a), Some(b)) => (d.u32min, d.u32max) = (a, b),
                    _ => (d.u32min, d.u32max) = (0, u32::MAX),
                }
                let p = [
                    d.s32min.checked_mul(s.s32min),
                    d.s32min.checked_mul(s.s32max),
                    d.s32max.checked_mul(s.s32min),
                    d.s32max.checked_mul(s.s32max),
                ];
                if p.iter().all(Option::is_some) {
                    let p = p.map(Option::unwrap_or_default);
                    (d.s32min, d.s32max) = (p.into_iter().min().unwrap_or(0), p.into_iter().max().unwrap_or(0));
                } else {
                    (d.s32min, d.s32max) = (i32::MIN, i32::MAX);
                }
            }
            BPF_AND | BPF_OR | BPF_XOR => {
                d.var = match op {
                    BPF_AND => d.var.and(s.var),
                    BPF_OR => d.var.or(s.var),
                    _ => d.var.xor(s.var),
                };
                let (umin, umax, u32min, u32max) = match op {
                    BPF_AND => (
                        d.var.value,
                        min(d.umax, s.umax),
                        d.var.value as u32,
                        min(d.u32max, s.u32max),
                    ),
                    BPF_OR => (
                        max(d.umin, s.umin),
                        d.var.value | d.var.mask,
                        max(d.u32min, s.u32min),
                        (d.var.value | d.var.mask) as u32,
                    ),
                    _ => (
                        d.var.value,
                        d.var.value | d.var.mask,
                        d.var.value as u32,
                        (d.var.value | d.var.mask) as u32,
                    ),
                };
                (d.umin, d.umax, d.u32min, d.u32max) = (umin, umax, u32min, u32max);
                // Signed ranges follow the unsigned ones where those stay
                // on one side of the sign bit.
                (d.smin, d.smax) = if (umin as i64) <= (umax as i64) {
                    (umin as i64, umax as i64)
                } else {
                    (i64::MIN, i64::MAX)
                };
                (d.s32min, d.s32max) = if (u32min as i32) <= (u32max as i32) {
                    (u32min as i32, u32max as i32)
                } else {
                    (i32::MIN, i32::MAX)
                };
            }
            BPF_LSH | BPF_RSH | BPF_ARSH => {
                let width = if bits32 { 32 } else { 64 };
                let Some(sh) = src.value().filter(|&v| v < width) else {
                    // A shift by an unknown or too large amount: anything.
                    return if bits32 {
                        Scalar::unsigned_range(0, u32::MAX.into())
                    } else {
                        Scalar::UNKNOWN
                    };
                };
                let sh = sh as u32;
                if bits32 {
                    return d.shift32(op, sh);
                }
                match op {
                    BPF_LSH => {
                        d.var = d.var.lsh(sh);
                        if sh > 0 && d.umax > (u64::MAX >> sh) {
                            (d.umin, d.umax) = (0, u64::MAX);
                        } else {
                            (d.umin, d.umax) = (d.umin << sh, d.umax << sh);
                        }
                        (d.smin, d.smax) = (i64::MIN, i64::MAX);
                    }
                    BPF_RSH => {
                        d.var = d.var.rsh(sh);
                        (d.umin, d.umax) = (d.umin >> sh, d.umax >> sh);
                        (d.smin, d.smax) = (i64::MIN, i64::MAX);
                    }
                    _ => {
                        d.var = d.var.arsh(sh, false);
                        (d.smin, d.smax) = (d.smin >> sh, d.smax >> sh);
                        (d.umin, d.umax) = (0, u64::MAX);
                    }
                }
                d.unbound32();
            }
            // Division, modulo, negation, byte swaps of unknowns: nothing
            // is tracked (a 32-bit result is still below 2^32).
            _ => {
                return if bits32 {
                    Scalar::unsigned_range(0, u32::MAX.into())
                } else {
                    Scalar::UNKNOWN
                };
            }
        }
        if bits32 {
            d.sync32_only();
            d.zext32();
        } else {
            // The 32-bit view of a 64-bit result comes from its bits.
            if !matches!(op, BPF_ADD | BPF_SUB | BPF_MUL | BPF_AND | BPF_OR | BPF_XOR) {
                d.unbound32();
            }
            d.sync();
        }
        d
    }

    /// After a 32-bit operation: only the 32-bit facts mean anything yet.
    fn sync32_only(&mut self) {
        self.unbound64();
        self.var = Tnum::UNKNOWN.with_subreg(self.var);
        self.sync();
    }

    /// A 32-bit shift by a known amount below 32.
    fn shift32(mut self, op: u8, sh: u32) -> Scalar {
        let v = self.var.subreg();
        match op {
            BPF_LSH => {
                self.var = v.lsh(sh).subreg();
                if sh > 0 && self.u32max > (u32::MAX >> sh) {
                    (self.u32min, self.u32max) = (0, u32::MAX);
                } else {
                    (self.u32min, self.u32max) = (self.u32min << sh, self.u32max << sh);
                }
                (self.s32min, self.s32max) = (i32::MIN, i32::MAX);
            }
            BPF_RSH => {
                self.var = v.rsh(sh);
                (self.u32min, self.u32max) = (self.u32min >> sh, self.u32max >> sh);
                (self.s32min, self.s32max) = (i32::MIN, i32::MAX);
            }
            _ => {
                self.var = v.arsh(sh, true).subreg();
                (self.s32min, self.s32max) = (self.s32min >> sh, self.s32max >> sh);
                (self.u32min, self.u32max) = (0, u32::MAX);
            }
        }
        self.sync32_only();
        self.zext32();
        self
    }

    /// `mov` of `src` (with a sign extension from `off` bits if non-zero).
    fn mov(&self, src: &Scalar, off: i16, bits32: bool) -> Scalar {
        match (off, bits32) {
            (0, false) => *src,
            (0, true) => {
                let mut s = *src;
                s.zext32();
                s
            }
            (n, _) => {
                let n = n as u32;
                let (lo, hi) = (-(1i64 << (n - 1)), (1i64 << (n - 1)) - 1);
                // Values already inside the narrow signed range keep
                // their facts.
                let mut s = if src.smin >= lo && src.smax <= hi {
                    *src
                } else {
                    Scalar::signed_range(lo, hi)
                };
                if bits32 {
                    s.zext32();
                }
                s
            }
        }
    }

    /// The value loaded by a `size`-byte load that zero-extends.
    pub fn loaded(size: u32) -> Scalar {
        if size >= 8 {
            Scalar::UNKNOWN
        } else {
            Scalar::unsigned_range(0, (1u64 << (size * 8)) - 1)
        }
    }

    /// The value loaded by a `size`-byte sign-extending load.
    pub fn loaded_signed(size: u32) -> Scalar {
        if size >= 8 {
            return Scalar::UNKNOWN;
        }
        let bits = size * 8;
        Scalar::signed_range(-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    }

    /// The low `size` bytes, zero-extended (a narrow fill of a spilled
    /// scalar).
    pub fn truncated(&self, size: u32) -> Scalar {
        if size >= 8 {
            return *self;
        }
        match self.value() {
            Some(v) => Scalar::konst(v & ((1u64 << (size * 8)) - 1)),
            None => Scalar::loaded(size),
        }
    }

    /// Whether it is the known value 0.
    pub fn is_zero(&self) -> bool {
        self.value() == Some(0)
    }
}

/// What a conditional jump's comparison is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cmp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// Unsigned `>`.
    Gt,
    /// Unsigned `>=`.
    Ge,
    /// Unsigned `<`.
    Lt,
    /// Unsigned `<=`.
    Le,
    /// Signed `>`.
    Sgt,
    /// Signed `>=`.
    Sge,
    /// Signed `<`.
    Slt,
    /// Signed `<=`.
    Sle,
    /// `&` non-zero.
    Set,
    /// `&` zero (a JSET not taken).
    Clear,
}

impl Cmp {
    /// The comparison of a jump opcode's `BPF_OP` bits.
    pub fn of(op: u8) -> Option<Cmp> {
        Some(match op {
            BPF_JEQ => Cmp::Eq,
            BPF_JNE => Cmp::Ne,
            BPF_JGT => Cmp::Gt,
            BPF_JGE => Cmp::Ge,
            BPF_JLT => Cmp::Lt,
            BPF_JLE => Cmp::Le,
            BPF_JSGT => Cmp::Sgt,
            BPF_JSGE => Cmp::Sge,
            BPF_JSLT => Cmp::Slt,
            BPF_JSLE => Cmp::Sle,
            BPF_JSET => Cmp::Set,
            _ => return None,
        })
    }

    /// The comparison that holds when this one does not.
    pub fn negate(self) -> Cmp {
        match self {
            Cmp::Eq => Cmp::Ne,
            Cmp::Ne => Cmp::Eq,
            Cmp::Gt => Cmp::Le,
            Cmp::Ge => Cmp::Lt,
            Cmp::Lt => Cmp::Ge,
            Cmp::Le => Cmp::Gt,
            Cmp::Sgt => Cmp::Sle,
            Cmp::Sge => Cmp::Slt,
            Cmp::Slt => Cmp::Sge,
            Cmp::Sle => Cmp::Sgt,
            Cmp::Set => Cmp::Clear,
            Cmp::Clear => Cmp::Set,
        }
    }

    /// `b op a` for `a op b` (the operands swapped).
    pub fn swap(self) -> Cmp {
        match self {
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Sgt => Cmp::Slt,
            Cmp::Sge => Cmp::Sle,
            Cmp::Slt => Cmp::Sgt,
            Cmp::Sle => Cmp::Sge,
            c => c,
        }
    }

    /// The concrete comparison, in 64 bits or in the low 32.
    pub fn eval(self, a: u64, b: u64, bits32: bool) -> bool {
        let (a, b) = if bits32 {
            (a as u32 as u64, b as u32 as u64)
        } else {
            (a, b)
        };
        let (sa, sb) = if bits32 {
            (a as u32 as i32 as i64, b as u32 as i32 as i64)
        } else {
            (a as i64, b as i64)
        };
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Sgt => sa > sb,
            Cmp::Sge => sa >= sb,
            Cmp::Slt => sa < sb,
            Cmp::Sle => sa <= sb,
            Cmp::Set => a & b != 0,
            Cmp::Clear => a & b == 0,
        }
    }
}

/// A range view (64 or 32 bits) of a scalar for comparisons, wide enough
/// that a narrowing past an end shows as a crossed range.
#[derive(Clone, Copy)]
struct View {
    umin: i128,
    umax: i128,
    smin: i128,
    smax: i128,
}

impl Scalar {
    fn view(&self, bits32: bool) -> View {
        if bits32 {
            View {
                umin: self.u32min.into(),
                umax: self.u32max.into(),
                smin: self.s32min.into(),
                smax: self.s32max.into(),
            }
        } else {
            View {
                umin: self.umin.into(),
                umax: self.umax.into(),
                smin: self.smin.into(),
                smax: self.smax.into(),
            }
        }
    }

    /// Stores a narrowed view; a crossed one makes the scalar empty.
    fn set_view(&mut self, v: View, bits32: bool) {
        if v.umin > v.umax || v.smin > v.smax {
            (self.umin, self.umax) = (1, 0);
            return;
        }
        // Narrowing keeps each end inside the domain it started in.
        if bits32 {
            self.u32min = v.umin as u32;
            self.u32max = v.umax as u32;
            self.s32min = v.smin as i32;
            self.s32max = v.smax as i32;
        } else {
            (self.umin, self.umax) = (v.umin as u64, v.umax as u64);
            (self.smin, self.smax) = (v.smin as i64, v.smax as i64);
        }
    }

    /// Whether `self op b` is certainly true (`Some(true)`), certainly
    /// false, or unknown (Linux's `is_branch_taken`).
    pub fn decide(&self, op: Cmp, b: &Scalar, bits32: bool) -> Option<bool> {
        let (x, y) = (self.view(bits32), b.view(bits32));
        let (tx, ty) = if bits32 {
            (self.var.subreg(), b.var.subreg())
        } else {
            (self.var, b.var)
        };
        if tx.is_const() && ty.is_const() {
            return Some(op.eval(tx.value, ty.value, bits32));
        }
        match op {
            Cmp::Eq | Cmp::Ne => {
                // Disjoint ranges or a known differing bit: never equal.
                let differ = x.umin > y.umax
                    || x.umax < y.umin
                    || x.smin > y.smax
                    || x.smax < y.smin
                    || (tx.value ^ ty.value) & !(tx.mask | ty.mask) != 0;
                differ.then_some(op == Cmp::Ne)
            }
            Cmp::Set | Cmp::Clear => {
                let set = if tx.value & ty.value != 0 {
                    Some(true)
                } else if (tx.value | tx.mask) & (ty.value | ty.mask) == 0 {
                    Some(false)
                } else {
                    None
                };
                set.map(|s| s == (op == Cmp::Set))
            }
            Cmp::Gt => order(x.umin > y.umax, x.umax <= y.umin),
            Cmp::Ge => order(x.umin >= y.umax, x.umax < y.umin),
            Cmp::Lt => order(x.umax < y.umin, x.umin >= y.umax),
            Cmp::Le => order(x.umax <= y.umin, x.umin > y.umax),
            Cmp::Sgt => order(x.smin > y.smax, x.smax <= y.smin),
            Cmp::Sge => order(x.smin >= y.smax, x.smax < y.smin),
            Cmp::Slt => order(x.smax < y.smin, x.smin >= y.smax),
            Cmp::Sle => order(x.smax <= y.smin, x.smin > y.smax),
        }
    }

    /// Narrows `self` and `b` by the knowledge that `self op b` holds.
    /// Either may come out empty ([`Scalar::is_empty`]): then the branch
    /// cannot be taken.
    pub fn refine(&mut self, op: Cmp, b: &mut Scalar, bits32: bool) {
        let (mut x, mut y) = (self.view(bits32), b.view(bits32));
        let known = |s: &Scalar| if bits32 { s.value32().map(u64::from) } else { s.value() };
        match op {
            Cmp::Eq => {
                x.umin = max(x.umin, y.umin);
                x.umax = min(x.umax, y.umax);
                x.smin = max(x.smin, y.smin);
                x.smax = min(x.smax, y.smax);
                y = x;
                if bits32 {
                    let t = self.var.subreg().intersect(b.var.subreg());
                    self.var = self.var.with_subreg(t);
                    b.var = b.var.with_subreg(t);
                } else {
                    let t = self.var.intersect(b.var);
                    (self.var, b.var) = (t, t);
                }
            }
            Cmp::Ne => {
                // Only a constant at an end of the other's range helps.
                if let Some(v) = known(b) {
                    trim(&mut x, v, bits32);
                }
                if let Some(v) = known(self) {
                    trim(&mut y, v, bits32);
                }
            }
            Cmp::Set => {
                // A known single bit on the other side is set here.
                if let Some(v) = known(b).filter(|v| v.is_power_of_two()) {
                    self.var = self.var.or(Tnum::konst(v));
                }
            }
            Cmp::Clear => {
                // The other side's known bits are clear here.
                if let Some(v) = known(b) {
                    self.var = self.var.and(Tnum::konst(!v));
                }
            }
            Cmp::Gt | Cmp::Ge => {
                let s = i128::from(op == Cmp::Gt);
                x.umin = max(x.umin, y.umin + s);
                y.umax = min(y.umax, x.umax - s);
            }
            Cmp::Lt | Cmp::Le => {
                let s = i128::from(op == Cmp::Lt);
                x.umax = min(x.umax, y.umax - s);
                y.umin = max(y.umin, x.umin + s);
            }
            Cmp::Sgt | Cmp::Sge => {
                let s = i128::from(op == Cmp::Sgt);
                x.smin = max(x.smin, y.smin + s);
                y.smax = min(y.smax, x.smax - s);
            }
            Cmp::Slt | Cmp::Sle => {
                let s = i128::from(op == Cmp::Slt);
                x.smax = min(x.smax, y.smax - s);
                y.smin = max(y.smin, x.smin + s);
            }
        }
        self.set_view(x, bits32);
        b.set_view(y, bits32);
        self.sync();
        b.sync();
    }
}

/// `Some(true)` if `yes`, `Some(false)` if `no`, else unknown.
fn order(yes: bool, no: bool) -> Option<bool> {
    if yes {
        Some(true)
    } else if no {
        Some(false)
    } else {
        None
    }
}

/// A range without `v`, where `v` is one of its ends.
fn trim(x: &mut View, v: u64, bits32: bool) {
    let (u, sv) = if bits32 {
        (i128::from(v as u32), i128::from(v as u32 as i32))
    } else {
        (i128::from(v), i128::from(v as i64))
    };
    if x.umin == u {
        x.umin += 1;
    } else if x.umax == u {
        x.umax -= 1;
    }
    if x.smin == sv {
        x.smin += 1;
    } else if x.smax == sv {
        x.smax -= 1;
    }
}

impl fmt::Display for Scalar {
    /// Linux's form: the value if known, else the facts that say more than
    /// "anything".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.value() {
            return write!(f, "{}", v as i64);
        }
        write!(f, "scalar(")?;
        let mut sep = "";
        let mut item = |f: &mut fmt::Formatter<'_>, name: &str, show: bool, v: &dyn fmt::Display| {
            if show {
                let r = write!(f, "{sep}{name}={v}");
                sep = ",";
                r
            } else {
                Ok(())
            }
        };
        item(f, "smin", self.smin != i64::MIN, &self.smin)?;
        item(f, "smax", self.smax != i64::MAX, &self.smax)?;
        item(f, "umin", self.umin != 0, &self.umin)?;
        item(f, "umax", self.umax != u64::MAX, &self.umax)?;
        item(f, "smin32", self.s32min != i32::MIN, &self.s32min)?;
        item(f, "smax32", self.s32max != i32::MAX, &self.s32max)?;
        item(f, "umin32", self.u32min != 0, &self.u32min)?;
        item(f, "umax32", self.u32max != u32::MAX, &self.u32max)?;
        item(
            f,
            "var_off",
            !self.var.is_const() && self.var.mask != u64::MAX,
            &self.var,
        )?;
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests;
