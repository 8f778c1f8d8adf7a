//! Soundness of the scalar tracking: for random facts and a value that has
//! them, every operation's result has the concrete result, and each branch
//! keeps the values for which its comparison holds.

use super::*;
use crate::prog::insn::Insn;
use proptest::prelude::*;

/// A scalar and a member of it (facts of the kinds the verifier makes).
fn member() -> impl Strategy<Value = (Scalar, u64)> {
    prop_oneof![
        any::<u64>().prop_map(|v| (Scalar::konst(v), v)),
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(a, b, p)| {
            let (lo, hi) = (a.min(b), a.max(b));
            let v = if hi == lo { lo } else { lo + p % (hi - lo) };
            (Scalar::unsigned_range(lo, hi), v)
        }),
        (0u64..300, 0u64..300, any::<u64>()).prop_map(|(a, b, p)| {
            let (lo, hi) = (a.min(b), a.max(b));
            (Scalar::unsigned_range(lo, hi), lo + p % (hi - lo + 1))
        }),
        (any::<i64>(), any::<i64>(), any::<u64>()).prop_map(|(a, b, p)| {
            let (lo, hi) = (a.min(b), a.max(b));
            let span = hi.wrapping_sub(lo) as u64;
            let v = if span == 0 {
                lo
            } else {
                lo.wrapping_add((p % span) as i64)
            };
            (Scalar::signed_range(lo, hi), v as u64)
        }),
        (0u32..4, any::<u64>()).prop_map(|(s, v)| {
            let size = 1u32 << s;
            let v = if size == 8 { v } else { v & ((1u64 << (size * 8)) - 1) };
            (Scalar::loaded(size), v)
        }),
        any::<u64>().prop_map(|v| (Scalar::UNKNOWN, v)),
    ]
}

const OPS: [u8; 12] = [
    BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH, BPF_MOV,
];

const CMPS: [Cmp; 12] = [
    Cmp::Eq,
    Cmp::Ne,
    Cmp::Gt,
    Cmp::Ge,
    Cmp::Lt,
    Cmp::Le,
    Cmp::Sgt,
    Cmp::Sge,
    Cmp::Slt,
    Cmp::Sle,
    Cmp::Set,
    Cmp::Clear,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn alu_results_hold_the_concrete_result(
        (a, x) in member(), (b, y) in member(), op in 0usize..12, alu32 in any::<bool>(), sx in 0usize..3,
    ) {
        prop_assert!(a.has(x) && b.has(y));
        let op = OPS[op];
        let off = if op == BPF_MOV { [0i16, 8, 16][sx] } else { 0 };
        let class = if alu32 { BPF_ALU } else { BPF_ALU64 };
        let i = Insn { code: class | BPF_X | op, off, ..Insn::default() };
        let want = crate::prog::interp::alu(&i, x, y).unwrap();
        let got = a.alu(&b, &i);
        prop_assert!(got.has(want), "{} {:#x} {} = {}, lost {:#x} ({:#x}, {:#x})", a, op, b, got, want, x, y);
    }

    #[test]
    fn branches_keep_the_values_that_take_them(
        (a, x) in member(), (b, y) in member(), c in 0usize..12, bits32 in any::<bool>(),
    ) {
        let cmp = CMPS[c];
        let holds = cmp.eval(x, y, bits32);
        if let Some(d) = a.decide(cmp, &b, bits32) {
            prop_assert_eq!(d, holds, "decided {:?} wrongly for {:#x}, {:#x}", cmp, x, y);
        }
        let taken = if holds { cmp } else { cmp.negate() };
        let (mut a2, mut b2) = (a, b);
        a2.refine(taken, &mut b2, bits32);
        prop_assert!(!a2.is_empty() && !b2.is_empty(), "{:?}: emptied by values that take it", taken);
        prop_assert!(a2.has(x) && b2.has(y), "{:?} {} {} lost {:#x} {:#x}: {} {}", taken, a, b, x, y, a2, b2);
    }
}

#[test]
fn bounds_checks_narrow_as_linux() {
    // if (i < 16) on an unknown: [0, 15] on the taken side.
    let (mut i, mut k) = (Scalar::UNKNOWN, Scalar::konst(16));
    i.refine(Cmp::Lt, &mut k, false);
    assert_eq!((i.umin, i.umax, i.smin, i.smax), (0, 15, 0, 15));
    assert_eq!(i.var, Tnum { value: 0, mask: 15 });
    // A 32-bit load masked: a byte.
    let and = Insn {
        code: BPF_ALU64 | BPF_AND | BPF_K,
        imm: 0xff,
        ..Insn::default()
    };
    let l = Scalar::loaded(4).alu(&Scalar::konst(0xff), &and);
    assert_eq!((l.umin, l.umax), (0, 255));
    // A signed check on a number of unknown sign.
    let (mut s, mut z) = (Scalar::UNKNOWN, Scalar::konst(0));
    s.refine(Cmp::Sge, &mut z, false);
    assert_eq!((s.smin, s.umax), (0, i64::MAX as u64));
}
