//! Tracked numbers ("tnums", as Linux's verifier calls them): what is known
//! of a value bit by bit. A bit set in `mask` is unknown; the others are the
//! bits of `value`. The arithmetic here over-approximates: every concrete
//! result of an operation on members of the inputs is a member of the
//! output.

use core::fmt;

/// Known and unknown bits of a 64-bit value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tnum {
    /// The known bits (zero where unknown).
    pub value: u64,
    /// The unknown bits.
    pub mask: u64,
}

impl Tnum {
    /// Nothing known.
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };

    /// Exactly `v`.
    pub const fn konst(v: u64) -> Tnum {
        Tnum { value: v, mask: 0 }
    }

    /// The smallest tnum holding every value of `min..=max`.
    pub fn range(min: u64, max: u64) -> Tnum {
        let chi = min ^ max;
        let bits = 64 - chi.leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let delta = (1u64 << bits) - 1;
        Tnum {
            value: min & !delta,
            mask: delta,
        }
    }

    /// Whether every bit is known.
    pub fn is_const(self) -> bool {
        self.mask == 0
    }

    /// Shift left by a known amount.
    pub fn lsh(self, s: u32) -> Tnum {
        Tnum {
            value: self.value << s,
            mask: self.mask << s,
        }
    }

    /// Logical shift right by a known amount.
    pub fn rsh(self, s: u32) -> Tnum {
        Tnum {
            value: self.value >> s,
            mask: self.mask >> s,
        }
    }

    /// Arithmetic shift right by a known amount, in 32 or 64 bits.
    pub fn arsh(self, s: u32, bits32: bool) -> Tnum {
        if bits32 {
            Tnum {
                value: ((self.value as i32) >> s) as u32 as u64,
                mask: ((self.mask as i32) >> s) as u32 as u64,
            }
        } else {
            Tnum {
                value: ((self.value as i64) >> s) as u64,
                mask: ((self.mask as i64) >> s) as u64,
            }
        }
    }

    /// Sum.
    fn sum(self, b: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(b.mask);
        let sv = self.value.wrapping_add(b.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | b.mask;
        Tnum {
            value: sv & !mu,
            mask: mu,
        }
    }

    /// Difference.
    fn difference(self, b: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(b.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(b.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | b.mask;
        Tnum {
            value: dv & !mu,
            mask: mu,
        }
    }

    /// Bitwise and.
    pub fn and(self, b: Tnum) -> Tnum {
        let alpha = self.value | self.mask;
        let beta = b.value | b.mask;
        let v = self.value & b.value;
        Tnum {
            value: v,
            mask: alpha & beta & !v,
        }
    }

    /// Bitwise or.
    pub fn or(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask | b.mask;
        Tnum {
            value: v,
            mask: mu & !v,
        }
    }

    /// Bitwise exclusive or.
    pub fn xor(self, b: Tnum) -> Tnum {
        let v = self.value ^ b.value;
        let mu = self.mask | b.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// Product: the sum of the partial products of each bit of `self`.
    fn product(self, b: Tnum) -> Tnum {
        let (mut a, mut b) = (self, b);
        let acc_v = a.value.wrapping_mul(b.value);
        let mut acc_m = Tnum::konst(0);
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                acc_m = acc_m.sum(Tnum { value: 0, mask: b.mask });
            } else if a.mask & 1 != 0 {
                acc_m = acc_m.sum(Tnum {
                    value: 0,
                    mask: b.value | b.mask,
                });
            }
            a = a.rsh(1);
            b = b.lsh(1);
        }
        Tnum::konst(acc_v).sum(acc_m)
    }

    /// What both `self` and `b` say (they describe the same value).
    pub fn intersect(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask & b.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// The low `bytes` bytes, the rest zero.
    pub fn cast(self, bytes: u32) -> Tnum {
        if bytes >= 8 {
            return self;
        }
        let keep = (1u64 << (bytes * 8)) - 1;
        Tnum {
            value: self.value & keep,
            mask: self.mask & keep,
        }
    }

    /// The low 32 bits.
    pub fn subreg(self) -> Tnum {
        self.cast(4)
    }

    /// The high 32 bits, the low ones zero.
    pub fn clear_subreg(self) -> Tnum {
        self.rsh(32).lsh(32)
    }

    /// The high 32 bits of `self` with the low ones from `low`.
    pub fn with_subreg(self, low: Tnum) -> Tnum {
        self.clear_subreg().or(low.subreg())
    }

    /// Whether every member of `b` is a member of `self`.
    pub fn contains(self, b: Tnum) -> bool {
        if b.mask & !self.mask != 0 {
            return false;
        }
        b.value & !self.mask == self.value
    }

    /// Whether `v` is a member.
    pub fn has(self, v: u64) -> bool {
        v & !self.mask == self.value
    }
}

impl core::ops::Add for Tnum {
    type Output = Tnum;
    fn add(self, b: Tnum) -> Tnum {
        self.sum(b)
    }
}

impl core::ops::Sub for Tnum {
    type Output = Tnum;
    fn sub(self, b: Tnum) -> Tnum {
        self.difference(b)
    }
}

impl core::ops::Mul for Tnum {
    type Output = Tnum;
    fn mul(self, b: Tnum) -> Tnum {
        self.product(b)
    }
}

impl fmt::Display for Tnum {
    /// Linux's `tnum_strn`: `(0x value; 0x mask)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(0x{:x}; 0x{:x})", self.value, self.mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tnum and a member of it.
    fn member() -> impl Strategy<Value = (Tnum, u64)> {
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(v, m, pick)| {
            let t = Tnum { value: v & !m, mask: m };
            (t, t.value | (pick & m))
        })
    }

    proptest! {
        #[test]
        fn operations_hold_their_members((a, x) in member(), (b, y) in member(), s in 0u32..64) {
            prop_assert!((a + b).has(x.wrapping_add(y)));
            prop_assert!((a - b).has(x.wrapping_sub(y)));
            prop_assert!((a * b).has(x.wrapping_mul(y)));
            prop_assert!(a.and(b).has(x & y));
            prop_assert!(a.or(b).has(x | y));
            prop_assert!(a.xor(b).has(x ^ y));
            prop_assert!(a.lsh(s).has(x << s));
            prop_assert!(a.rsh(s).has(x >> s));
            prop_assert!(a.arsh(s, false).has(((x as i64) >> s) as u64));
            prop_assert!(a.arsh(s % 32, true).subreg().has((((x as i32) >> (s % 32)) as u32).into()));
            prop_assert!(Tnum::range(x.min(y), x.max(y)).has(x));
            prop_assert!(Tnum::range(x.min(y), x.max(y)).has(y));
            prop_assert!(a.contains(Tnum::konst(x)));
        }
    }
}
