//! The verifier log: Linux's `log_level`/`log_buf`/`log_size` semantics
//! (level 1: the instructions of the path that failed and the reason;
//! level 2: every instruction walked with the register state), and
//! instructions printed as Linux's disassembler prints them
//! (`0: (61) r0 = *(u32 *)(r1 +0)`), so the log reads like Linux's.

use crate::prog::insn::Insn;
use crate::prog::insn::*;
use abi::*;
use alloc::string::String;
use core::fmt::{self, Write};

/// Bit of `log_level`: the failing path.
pub const LEVEL1: u32 = 1;
/// Bit of `log_level`: every instruction and state.
pub const LEVEL2: u32 = 2;
/// Bit of `log_level`: statistics.
pub const STATS: u32 = 4;

/// Bit of `log_level`: when the buffer is too small, keep the log's start
/// (without it, the log rotates and keeps its end, where the reason is).
pub const FIXED: u32 = 8;

/// A verifier log, bounded as the caller's buffer is.
#[derive(Clone, Debug, Default)]
pub struct Log {
    level: u32,
    text: String,
    /// Bytes the caller's buffer takes (0: no bound).
    cap: usize,
    /// Bytes written in all, kept or not.
    total: usize,
    /// Bytes dropped from the front of `text` (a rotating log).
    dropped: usize,
}

impl Log {
    /// A log at `level` (0: none kept), without a bound.
    pub fn new(level: u32) -> Log {
        Log::bounded(level, usize::MAX)
    }

    /// A log at `level` for a buffer of `cap` bytes of text: memory stays
    /// within twice that, however long the walk.
    pub fn bounded(level: u32, cap: usize) -> Log {
        Log {
            level,
            text: String::new(),
            cap,
            total: 0,
            dropped: 0,
        }
    }

    /// The level.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// Whether anything is kept.
    pub fn on(&self) -> bool {
        self.level != 0
    }

    /// The text kept (with a bound, more than the buffer takes).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What goes to the caller's buffer: all of it, or with a bound the
    /// start (FIXED) or the end.
    pub fn output(&self) -> &str {
        let t = self.text.as_str();
        if t.len() <= self.cap {
            return t;
        }
        if self.level & FIXED != 0 {
            &t[..floor_char(t, self.cap)]
        } else {
            &t[ceil_char(t, t.len() - self.cap)..]
        }
    }

    /// Whether the log was longer than the buffer (ENOSPC).
    pub fn truncated(&self) -> bool {
        self.total > self.cap
    }

    /// Where the log ends now (to roll back to with [`Log::truncate`]).
    pub fn mark(&self) -> usize {
        self.total
    }

    /// Drops what was written after `mark` (level 1 forgets paths that
    /// ended well).
    pub fn truncate(&mut self, mark: usize) {
        if self.level & LEVEL2 != 0 || mark >= self.total {
            return;
        }
        self.total = mark;
        match mark.checked_sub(self.dropped) {
            Some(keep) if keep <= self.text.len() => self.text.truncate(floor_char(&self.text, keep)),
            Some(_) => {}
            None => {
                self.text.clear();
                self.dropped = mark;
            }
        }
    }

    /// Appends a formatted line (a newline is added).
    pub fn line(&mut self, args: fmt::Arguments<'_>) {
        if self.on() {
            let before = self.text.len();
            let _ = self.text.write_fmt(args);
            self.text.push('\n');
            self.wrote(self.text.len() - before);
        }
    }

    /// Appends text as is.
    pub fn push(&mut self, s: &str) {
        if self.on() {
            self.text.push_str(s);
            self.wrote(s.len());
        }
    }

    /// Keeps the text within its bound after `n` more bytes.
    fn wrote(&mut self, n: usize) {
        self.total += n;
        if self.text.len() <= self.cap.saturating_mul(2) {
            return;
        }
        if self.level & FIXED != 0 {
            // The start is all that will be shown.
            let keep = floor_char(&self.text, self.cap + 1);
            self.text.truncate(keep);
        } else {
            let cut = ceil_char(&self.text, self.text.len() - self.cap);
            self.text.drain(..cut);
            self.dropped += cut;
        }
    }
}

/// The largest char boundary of `s` at or below `at`.
fn floor_char(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest char boundary of `s` at or above `at`.
fn ceil_char(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Writes a line into `log` (`vlog!(log, "R{} !read_ok", r)`).
macro_rules! vlog {
    ($log:expr, $($arg:tt)*) => { $log.line(format_args!($($arg)*)) };
}
pub(crate) use vlog;

const ALU_SYMS: [&str; 14] = [
    "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian",
];
/// Linux's symbol for an ALU operation (`+=`, `<<=`, ...), by its
/// `BPF_OP` bits.
pub fn alu_sym(op: u8) -> &'static str {
    ALU_SYMS.get(usize::from(op >> 4)).copied().unwrap_or("?")
}

const JMP_SYMS: [&str; 14] = [
    "goto", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=",
];

fn size_name(code: u8, signed: bool) -> &'static str {
    match (code & BPF_SIZE_MASK, signed) {
        (BPF_B, false) => "u8",
        (BPF_H, false) => "u16",
        (BPF_W, false) => "u32",
        (BPF_B, true) => "s8",
        (BPF_H, true) => "s16",
        (BPF_W, true) => "s32",
        _ => "u64",
    }
}

/// Linux's disassembly of instruction `i` (`next`: the slot after, for the
/// 64-bit immediate load).
pub struct Disasm<'a> {
    /// The instruction.
    pub i: &'a Insn,
    /// The next slot, if any.
    pub next: Option<&'a Insn>,
}

impl fmt::Display for Disasm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.i;
        let code = i.code;
        write!(f, "({code:02x}) ")?;
        let x = code & BPF_SRC_MASK == BPF_X;
        let op = code & BPF_OP_MASK;
        match i.class() {
            BPF_ALU | BPF_ALU64 => {
                let r = if i.class() == BPF_ALU64 { 'r' } else { 'w' };
                let sym = alu_sym(op);
                match op {
                    BPF_NEG => write!(f, "{r}{} = -{r}{}", i.dst, i.dst),
                    BPF_END => {
                        let kind = match (i.class(), x) {
                            (BPF_ALU64, _) => "bswap",
                            (_, true) => "be",
                            _ => "le",
                        };
                        write!(f, "r{} = {kind}{} r{}", i.dst, i.imm, i.dst)
                    }
                    BPF_MOV if i.off != 0 && x => write!(f, "{r}{} = (s{}){r}{}", i.dst, i.off, i.src),
                    _ if x => {
                        let sym = if i.off == 1 && matches!(op, BPF_DIV | BPF_MOD) {
                            if op == BPF_DIV {
                                "s/="
                            } else {
                                "s%="
                            }
                        } else {
                            sym
                        };
                        write!(f, "{r}{} {sym} {r}{}", i.dst, i.src)
                    }
                    _ => write!(f, "{r}{} {sym} {}", i.dst, i.imm),
                }
            }
            BPF_STX if code & BPF_MODE_MASK == BPF_ATOMIC => {
                let sz = size_name(code, false);
                let fetch = i.imm & BPF_FETCH as i32 != 0;
                let base = (i.imm & !(BPF_FETCH as i32)) as u8;
                match (i.imm as u32, fetch) {
                    (BPF_CMPXCHG, _) => write!(
                        f,
                        "r0 = atomic{}_cmpxchg((u{} *)(r{} {:+}), r0, r{})",
                        if sz == "u64" { "64" } else { "" },
                        if sz == "u64" { 64 } else { 32 },
                        i.dst,
                        i.off,
                        i.src
                    ),
                    (BPF_XCHG, _) => write!(
                        f,
                        "r{} = atomic{}_xchg((u{} *)(r{} {:+}), r{})",
                        i.src,
                        if sz == "u64" { "64" } else { "" },
                        if sz == "u64" { 64 } else { 32 },
                        i.dst,
                        i.off,
                        i.src
                    ),
                    (_, false) => {
                        let sym = alu_sym(base);
                        write!(f, "lock *({sz} *)(r{} {:+}) {sym} r{}", i.dst, i.off, i.src)
                    }
                    (_, true) => {
                        let name = match base {
                            BPF_ADD => "add",
                            BPF_AND => "and",
                            BPF_OR => "or",
                            BPF_XOR => "xor",
                            _ => "?",
                        };
                        write!(
                            f,
                            "r{} = atomic{}_fetch_{name}((u{} *)(r{} {:+}), r{})",
                            i.src,
                            if sz == "u64" { "64" } else { "" },
                            if sz == "u64" { 64 } else { 32 },
                            i.dst,
                            i.off,
                            i.src
                        )
                    }
                }
            }
            BPF_STX => write!(
                f,
                "*({} *)(r{} {:+}) = r{}",
                size_name(code, false),
                i.dst,
                i.off,
                i.src
            ),
            BPF_ST => write!(f, "*({} *)(r{} {:+}) = {}", size_name(code, false), i.dst, i.off, i.imm),
            BPF_LDX => write!(
                f,
                "r{} = *({} *)(r{} {:+})",
                i.dst,
                size_name(code, code & BPF_MODE_MASK == BPF_MEMSX),
                i.src,
                i.off
            ),
            BPF_LD if code == LD_DW_IMM => {
                let hi = self.next.map_or(0, |n| n.imm as u32);
                let v = u64::from(hi) << 32 | u64::from(i.imm as u32);
                match i.src {
                    BPF_PSEUDO_MAP_FD => write!(f, "r{} = map[id:{}]", i.dst, i.imm),
                    _ => write!(f, "r{} = {v:#x}", i.dst),
                }
            }
            BPF_LD if code & BPF_MODE_MASK == BPF_ABS => {
                write!(f, "r0 = *({} *)skb[{}]", size_name(code, false), i.imm)
            }
            BPF_LD => write!(f, "r0 = *({} *)skb[r{} + {}]", size_name(code, false), i.src, i.imm),
            BPF_JMP | BPF_JMP32 => {
                let r = if i.class() == BPF_JMP { 'r' } else { 'w' };
                match code {
                    EXIT => write!(f, "exit"),
                    CALL if i.src == BPF_PSEUDO_CALL => write!(f, "call pc{:+}", i.imm),
                    CALL => {
                        let name = abi::helper_proto(i.imm as u32).map_or("unknown", |h| h.name);
                        if name == "unknown" {
                            write!(f, "call unknown#{}", i.imm)
                        } else {
                            write!(f, "call bpf_{name}#{}", i.imm)
                        }
                    }
                    JA => write!(f, "goto pc{:+}", i.off),
                    JA32 => write!(f, "gotol pc{:+}", i.imm),
                    _ => {
                        let sym = JMP_SYMS.get(usize::from(op >> 4)).copied().unwrap_or("?");
                        if x {
                            write!(f, "if {r}{} {sym} {r}{} goto pc{:+}", i.dst, i.src, i.off)
                        } else {
                            write!(f, "if {r}{} {sym} {:#x} goto pc{:+}", i.dst, i.imm, i.off)
                        }
                    }
                }
            }
            _ => write!(f, "unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prog::asm::assemble;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    #[test]
    fn a_bounded_log_keeps_its_end_or_its_start() {
        let mut rot = Log::bounded(LEVEL1, 16);
        let mut fixed = Log::bounded(LEVEL1 | FIXED, 16);
        for k in 0..1000 {
            rot.line(format_args!("line {k}"));
            fixed.line(format_args!("line {k}"));
        }
        assert!(rot.text().len() <= 2 * 16 + 10, "memory stays bounded");
        assert_eq!(rot.output(), "ne 998\nline 999\n");
        assert_eq!(fixed.output(), "line 0\nline 1\nli");
        assert!(rot.truncated() && fixed.truncated());
        // Rolling back forgets what came after the mark.
        let mut l = Log::bounded(LEVEL1, 64);
        l.line(format_args!("kept"));
        let m = l.mark();
        l.line(format_args!("dropped"));
        l.truncate(m);
        assert_eq!(l.output(), "kept\n");
        assert!(!l.truncated());
    }

    #[test]
    fn prints_as_linux() {
        let p = assemble(
            "ldxw %r0, [%r1+0]\nstxdw [%r10-8], %r1\nadd32 %r0, 5\njgt %r1, %r2, +1\n\
             lddw %r1, 0x100000000\ncall 1\nexit",
        )
        .unwrap();
        let text: Vec<_> = (0..p.len())
            .filter(|&k| k == 0 || !p[k - 1].is_lddw())
            .map(|k| {
                Disasm {
                    i: &p[k],
                    next: p.get(k + 1),
                }
                .to_string()
            })
            .collect();
        assert_eq!(
            text,
            [
                "(61) r0 = *(u32 *)(r1 +0)",
                "(7b) *(u64 *)(r10 -8) = r1",
                "(04) w0 += 5",
                "(2d) if r1 > r2 goto pc+1",
                "(18) r1 = 0x100000000",
                "(85) call bpf_map_lookup_elem#1",
                "(95) exit",
            ]
        );
    }
}
