//! An assembler and a disassembler for the text syntax of the eBPF
//! conformance corpus (`op %dst, src`, `[%r+off]` memory operands, labels,
//! `lock` atomics, `call local`), so tests and users can write programs.
//! [`disassemble`] prints what [`assemble`] reads: the two round-trip.

use crate::prog::insn::{
    Insn, ATOMIC_DW, ATOMIC_W, CALL, CALLX, EXIT, JA, JA32, LD_ABS_B, LD_ABS_H, LD_ABS_W, LD_DW_IMM, LD_IND_B,
    LD_IND_H, LD_IND_W,
};
use abi::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// What was wrong, and on which line (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsmError {
    /// The line.
    pub line: usize,
    /// The problem.
    pub kind: AsmErrorKind,
}

/// Kinds of assembly errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsmErrorKind {
    /// The mnemonic is not known.
    UnknownMnemonic,
    /// An operand is missing, extra, or malformed.
    BadOperand,
    /// A jump or call names a label that is not defined.
    UnknownLabel,
    /// A jump target is out of the offset's range.
    OffsetOutOfRange,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            AsmErrorKind::UnknownMnemonic => "unknown mnemonic",
            AsmErrorKind::BadOperand => "bad operand",
            AsmErrorKind::UnknownLabel => "unknown label",
            AsmErrorKind::OffsetOutOfRange => "jump offset out of range",
        };
        write!(f, "line {}: {what}", self.line)
    }
}

impl core::error::Error for AsmError {}

const ALU_OPS: &[(&str, u8)] = &[
    ("add", BPF_ADD),
    ("sub", BPF_SUB),
    ("mul", BPF_MUL),
    ("div", BPF_DIV),
    ("or", BPF_OR),
    ("and", BPF_AND),
    ("lsh", BPF_LSH),
    ("rsh", BPF_RSH),
    ("mod", BPF_MOD),
    ("xor", BPF_XOR),
    ("mov", BPF_MOV),
    ("arsh", BPF_ARSH),
];

const JMP_OPS: &[(&str, u8)] = &[
    ("jeq", BPF_JEQ),
    ("jgt", BPF_JGT),
    ("jge", BPF_JGE),
    ("jset", BPF_JSET),
    ("jne", BPF_JNE),
    ("jsgt", BPF_JSGT),
    ("jsge", BPF_JSGE),
    ("jlt", BPF_JLT),
    ("jle", BPF_JLE),
    ("jslt", BPF_JSLT),
    ("jsle", BPF_JSLE),
];

const SIZES: &[(&str, u8)] = &[("b", BPF_B), ("h", BPF_H), ("w", BPF_W), ("dw", BPF_DW)];

const ATOMIC_OPS: &[(&str, u8)] = &[("add", BPF_ADD), ("and", BPF_AND), ("or", BPF_OR), ("xor", BPF_XOR)];

type Res<T> = core::result::Result<T, AsmErrorKind>;

fn reg(s: &str) -> Res<u8> {
    let n = s.trim().strip_prefix("%r").ok_or(AsmErrorKind::BadOperand)?;
    match n.parse::<u8>() {
        Ok(r) if r <= 10 => Ok(r),
        _ => Err(AsmErrorKind::BadOperand),
    }
}

/// An integer: decimal (signed) or `0x` hex.
fn int(s: &str) -> Res<i64> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).map_err(|_| AsmErrorKind::BadOperand)? as i64,
        None => body.parse::<u64>().map_err(|_| AsmErrorKind::BadOperand)? as i64,
    };
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// A 32-bit immediate: values up to `u32::MAX` are taken as bit patterns.
fn imm32(s: &str) -> Res<i32> {
    let v = int(s)?;
    if v < i64::from(i32::MIN) || v > i64::from(u32::MAX) {
        return Err(AsmErrorKind::BadOperand);
    }
    Ok(v as u32 as i32)
}

/// `[%rN]`, `[%rN+off]` or `[%rN-off]`.
fn mem(s: &str) -> Res<(u8, i16)> {
    let inner = s
        .trim()
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or(AsmErrorKind::BadOperand)?;
    let (r, off) = match inner.find(['+', '-']) {
        Some(i) => (&inner[..i], int(&inner[i..])?),
        None => (inner, 0),
    };
    let off = i16::try_from(off).map_err(|_| AsmErrorKind::BadOperand)?;
    Ok((reg(r)?, off))
}

fn operands(s: &str) -> Vec<&str> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    s.split(',').map(str::trim).collect()
}

/// A parsed line before labels are resolved.
enum Item<'a> {
    Done(Insn),
    Lddw(u8, i64),
    Jump {
        code: u8,
        dst: u8,
        src: u8,
        imm: i32,
        target: &'a str,
        in_imm: bool,
    },
    LocalCall(&'a str),
}

fn parse_line<'a>(mnemonic: &str, rest: &'a str) -> Res<Item<'a>> {
    let ops = operands(rest);
    let want = |n: usize| {
        if ops.len() == n {
            Ok(())
        } else {
            Err(AsmErrorKind::BadOperand)
        }
    };
    let insn = |code, dst, src, off, imm| {
        Ok(Item::Done(Insn {
            code,
            dst,
            src,
            off,
            imm,
        }))
    };
    if mnemonic == "exit" {
        want(0)?;
        return insn(EXIT, 0, 0, 0, 0);
    }
    if mnemonic == "lddw" {
        want(2)?;
        return Ok(Item::Lddw(reg(ops[0])?, int(ops[1])?));
    }
    // Legacy packet loads: `ldabsw 12`, `ldindb %r7, 14`.
    for (prefix, mode) in [("ldabs", BPF_ABS), ("ldind", BPF_IND)] {
        if let Some(size) = mnemonic
            .strip_prefix(prefix)
            .and_then(|s| SIZES.iter().find(|(n, _)| *n == s && *n != "dw"))
        {
            let code = BPF_LD | size.1 | mode;
            return if mode == BPF_ABS {
                want(1)?;
                insn(code, 0, 0, 0, imm32(ops[0])?)
            } else {
                want(2)?;
                insn(code, 0, reg(ops[0])?, 0, imm32(ops[1])?)
            };
        }
    }
    if mnemonic == "call" {
        let arg = rest.trim();
        if let Some(label) = arg.strip_prefix("local ") {
            return Ok(Item::LocalCall(label.trim()));
        }
        if arg.starts_with("%r") {
            return insn(CALLX, reg(arg)?, 0, 0, 0);
        }
        return insn(CALL, 0, 0, 0, imm32(arg)?);
    }
    if mnemonic == "ja" || mnemonic == "ja32" {
        want(1)?;
        let code = if mnemonic == "ja" { JA } else { JA32 };
        return Ok(Item::Jump {
            code,
            dst: 0,
            src: 0,
            imm: 0,
            target: ops[0],
            in_imm: mnemonic == "ja32",
        });
    }
    if mnemonic == "lock" {
        return parse_lock(rest);
    }
    // Byte swaps.
    for (prefix, code) in [
        ("le", BPF_ALU | BPF_END | BPF_TO_LE),
        ("be", BPF_ALU | BPF_END | BPF_TO_BE),
        ("bswap", BPF_ALU64 | BPF_END),
        ("swap", BPF_ALU64 | BPF_END),
    ] {
        if let Some(width) = mnemonic.strip_prefix(prefix).and_then(|w| w.parse::<i32>().ok()) {
            want(1)?;
            if ![16, 32, 64].contains(&width) {
                return Err(AsmErrorKind::BadOperand);
            }
            return insn(code, reg(ops[0])?, 0, 0, width);
        }
    }
    // Loads and stores.
    for (prefix, class, mode) in [
        ("ldxs", BPF_LDX, BPF_MEMSX),
        ("ldx", BPF_LDX, BPF_MEM),
        ("stx", BPF_STX, BPF_MEM),
        ("st", BPF_ST, BPF_MEM),
    ] {
        if let Some(size) = mnemonic
            .strip_prefix(prefix)
            .and_then(|s| SIZES.iter().find(|(n, _)| *n == s))
        {
            want(2)?;
            let code = class | size.1 | mode;
            return match class {
                BPF_LDX => {
                    let (src, off) = mem(ops[1])?;
                    insn(code, reg(ops[0])?, src, off, 0)
                }
                BPF_STX => {
                    let (dst, off) = mem(ops[0])?;
                    insn(code, dst, reg(ops[1])?, off, 0)
                }
                _ => {
                    let (dst, off) = mem(ops[0])?;
                    insn(code, dst, 0, off, imm32(ops[1])?)
                }
            };
        }
    }
    // Jumps.
    let (base, wide) = match mnemonic.strip_suffix("32") {
        Some(b) => (b, false),
        None => (mnemonic, true),
    };
    if let Some((_, op)) = JMP_OPS.iter().find(|(n, _)| *n == base) {
        want(3)?;
        let class = if wide { BPF_JMP } else { BPF_JMP32 };
        let dst = reg(ops[0])?;
        return Ok(match reg(ops[1]) {
            Ok(src) => Item::Jump {
                code: class | op | BPF_X,
                dst,
                src,
                imm: 0,
                target: ops[2],
                in_imm: false,
            },
            Err(_) => Item::Jump {
                code: class | op | BPF_K,
                dst,
                src: 0,
                imm: imm32(ops[1])?,
                target: ops[2],
                in_imm: false,
            },
        });
    }
    // Arithmetic.
    let class = if wide { BPF_ALU64 } else { BPF_ALU };
    if base == "neg" {
        want(1)?;
        return insn(class | BPF_NEG, reg(ops[0])?, 0, 0, 0);
    }
    let (op, off) = match base {
        "sdiv" => (BPF_DIV, 1),
        "smod" => (BPF_MOD, 1),
        _ => match ALU_OPS.iter().find(|(n, _)| *n == base) {
            Some((_, op)) => (*op, 0),
            None => return parse_movsx(mnemonic, &ops),
        },
    };
    want(2)?;
    let dst = reg(ops[0])?;
    match reg(ops[1]) {
        Ok(src) => insn(class | op | BPF_X, dst, src, off, 0),
        Err(_) => insn(class | op | BPF_K, dst, 0, off, imm32(ops[1])?),
    }
}

/// `movsx832`, `movsx1632` (32-bit) and `movsx864`, `movsx1664`, `movsx3264`.
fn parse_movsx<'a>(mnemonic: &str, ops: &[&str]) -> Res<Item<'a>> {
    let forms: [(&str, u8, i16); 5] = [
        ("movsx832", BPF_ALU, 8),
        ("movsx1632", BPF_ALU, 16),
        ("movsx864", BPF_ALU64, 8),
        ("movsx1664", BPF_ALU64, 16),
        ("movsx3264", BPF_ALU64, 32),
    ];
    let (_, class, off) = forms
        .iter()
        .find(|(n, _, _)| *n == mnemonic)
        .ok_or(AsmErrorKind::UnknownMnemonic)?;
    if ops.len() != 2 {
        return Err(AsmErrorKind::BadOperand);
    }
    Ok(Item::Done(Insn {
        code: class | BPF_MOV | BPF_X,
        dst: reg(ops[0])?,
        src: reg(ops[1])?,
        off: *off,
        imm: 0,
    }))
}

/// `lock [fetch] add|and|or|xor[32] [%d+off], %s`, `lock xchg[32] ...`, `lock cmpxchg[32] ...`.
fn parse_lock(rest: &str) -> Res<Item<'_>> {
    let rest = rest.trim();
    let (fetch, rest) = match rest.strip_prefix("fetch ") {
        Some(r) => (true, r.trim()),
        None => (false, rest),
    };
    let (word, ops) = rest.split_once(' ').ok_or(AsmErrorKind::BadOperand)?;
    let (name, wide) = match word.strip_suffix("32") {
        Some(n) => (n, false),
        None => (word, true),
    };
    let imm = match name {
        "xchg" if !fetch => BPF_XCHG,
        "cmpxchg" if !fetch => BPF_CMPXCHG,
        _ => {
            let op = ATOMIC_OPS
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or(AsmErrorKind::UnknownMnemonic)?
                .1;
            u32::from(op) | if fetch { BPF_FETCH } else { 0 }
        }
    };
    let ops = operands(ops);
    if ops.len() != 2 {
        return Err(AsmErrorKind::BadOperand);
    }
    let (dst, off) = mem(ops[0])?;
    let code = if wide { ATOMIC_DW } else { ATOMIC_W };
    Ok(Item::Done(Insn {
        code,
        dst,
        src: reg(ops[1])?,
        off,
        imm: imm as i32,
    }))
}

/// Assembles a program.
///
/// # Errors
/// The first line that cannot be assembled.
pub fn assemble(text: &str) -> core::result::Result<Vec<Insn>, AsmError> {
    let mut items: Vec<(usize, Item<'_>)> = Vec::new();
    let mut labels: Vec<(&str, usize)> = Vec::new();
    let mut slot = 0usize;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |kind| AsmError { line: n + 1, kind };
        if let Some(label) = line.strip_suffix(':') {
            labels.push((label.trim(), slot));
            continue;
        }
        let (mnemonic, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let item = parse_line(mnemonic, rest).map_err(err)?;
        if matches!(item, Item::Done(Insn { code: EXIT, .. })) && !labels.iter().any(|(l, _)| *l == "exit") {
            // The first exit defines the label `exit`.
            labels.push(("exit", slot));
        }
        slot += if matches!(item, Item::Lddw(..)) { 2 } else { 1 };
        items.push((n + 1, item));
    }
    let mut out = Vec::new();
    for (line, item) in items {
        let err = |kind| AsmError { line, kind };
        let pc = out.len() as i64;
        let target = |t: &str| -> core::result::Result<i64, AsmError> {
            if t.starts_with('+') || t.starts_with('-') {
                return int(t).map_err(err);
            }
            let at = labels
                .iter()
                .find(|(l, _)| *l == t)
                .ok_or(err(AsmErrorKind::UnknownLabel))?
                .1;
            Ok(at as i64 - pc - 1)
        };
        match item {
            Item::Done(i) => out.push(i),
            Item::Lddw(dst, v) => {
                out.push(Insn {
                    code: LD_DW_IMM,
                    dst,
                    src: 0,
                    off: 0,
                    imm: v as i32,
                });
                out.push(Insn {
                    code: 0,
                    dst: 0,
                    src: 0,
                    off: 0,
                    imm: (v >> 32) as i32,
                });
            }
            Item::Jump {
                code,
                dst,
                src,
                imm,
                target: t,
                in_imm,
            } => {
                let rel = target(t)?;
                if in_imm {
                    let imm = i32::try_from(rel).map_err(|_| err(AsmErrorKind::OffsetOutOfRange))?;
                    out.push(Insn {
                        code,
                        dst,
                        src,
                        off: 0,
                        imm,
                    });
                } else {
                    let off = i16::try_from(rel).map_err(|_| err(AsmErrorKind::OffsetOutOfRange))?;
                    out.push(Insn {
                        code,
                        dst,
                        src,
                        off,
                        imm,
                    });
                }
            }
            Item::LocalCall(t) => {
                let imm = i32::try_from(target(t)?).map_err(|_| err(AsmErrorKind::OffsetOutOfRange))?;
                out.push(Insn {
                    code: CALL,
                    dst: 0,
                    src: BPF_PSEUDO_CALL,
                    off: 0,
                    imm,
                });
            }
        }
    }
    Ok(out)
}

fn name_of(table: &[(&'static str, u8)], v: u8) -> Option<&'static str> {
    table.iter().find(|(_, x)| *x == v).map(|(n, _)| *n)
}

fn memop(r: u8, off: i16) -> String {
    match off {
        0 => format!("[%r{r}]"),
        o if o < 0 => format!("[%r{r}-{}]", -i32::from(o)),
        o => format!("[%r{r}+{o}]"),
    }
}

fn rel(v: i64) -> String {
    if v < 0 {
        format!("{v}")
    } else {
        format!("+{v}")
    }
}

/// Prints one instruction (for `lddw`, pass the next slot too); `None` for
/// an encoding the assembler has no syntax for.
pub fn disassemble_one(i: &Insn, next: Option<&Insn>) -> Option<String> {
    let class = i.class();
    let op = i.code & BPF_OP_MASK;
    let x = i.code & BPF_SRC_MASK == BPF_X;
    let size = name_of(SIZES, i.code & BPF_SIZE_MASK);
    Some(match i.code {
        EXIT => "exit".into(),
        LD_DW_IMM => {
            let hi = next?.imm as u32 as u64;
            format!("lddw %r{}, {:#x}", i.dst, (hi << 32) | u64::from(i.imm as u32))
        }
        LD_ABS_B | LD_ABS_H | LD_ABS_W => format!("ldabs{} {}", size?, i.imm),
        LD_IND_B | LD_IND_H | LD_IND_W => format!("ldind{} %r{}, {}", size?, i.src, i.imm),
        CALL if i.src == BPF_PSEUDO_CALL => format!("call local {}", rel(i64::from(i.imm))),
        CALL => format!("call {}", i.imm),
        CALLX => format!("call %r{}", i.dst),
        JA => format!("ja {}", rel(i64::from(i.off))),
        JA32 => format!("ja32 {}", rel(i64::from(i.imm))),
        ATOMIC_W | ATOMIC_DW => {
            let w = if i.code == ATOMIC_W { "32" } else { "" };
            let imm = i.imm as u32;
            let body = match imm {
                BPF_XCHG => format!("xchg{w}"),
                BPF_CMPXCHG => format!("cmpxchg{w}"),
                _ => {
                    let name = name_of(ATOMIC_OPS, (imm & !BPF_FETCH) as u8)?;
                    let fetch = if imm & BPF_FETCH != 0 { "fetch " } else { "" };
                    format!("{fetch}{name}{w}")
                }
            };
            format!("lock {body} {}, %r{}", memop(i.dst, i.off), i.src)
        }
        _ => match class {
            BPF_LDX => {
                let s = if i.code & BPF_MODE_MASK == BPF_MEMSX { "s" } else { "" };
                format!("ldx{s}{} %r{}, {}", size?, i.dst, memop(i.src, i.off))
            }
            BPF_ST => format!("st{} {}, {}", size?, memop(i.dst, i.off), i.imm),
            BPF_STX => format!("stx{} {}, %r{}", size?, memop(i.dst, i.off), i.src),
            BPF_JMP | BPF_JMP32 => {
                let w = if class == BPF_JMP32 { "32" } else { "" };
                let src = if x {
                    format!("%r{}", i.src)
                } else {
                    format!("{}", i.imm)
                };
                format!(
                    "{}{w} %r{}, {src}, {}",
                    name_of(JMP_OPS, op)?,
                    i.dst,
                    rel(i64::from(i.off))
                )
            }
            BPF_ALU | BPF_ALU64 => {
                let w = if class == BPF_ALU { "32" } else { "" };
                if op == BPF_END {
                    let name = match (class, x) {
                        (BPF_ALU64, _) => "bswap",
                        (_, false) => "le",
                        (_, true) => "be",
                    };
                    return Some(format!("{name}{} %r{}", i.imm, i.dst));
                }
                if op == BPF_NEG {
                    return Some(format!("neg{w} %r{}", i.dst));
                }
                if op == BPF_MOV && i.off != 0 {
                    return Some(format!(
                        "movsx{}{} %r{}, %r{}",
                        i.off,
                        if class == BPF_ALU { 32 } else { 64 },
                        i.dst,
                        i.src
                    ));
                }
                let name = match (op, i.off) {
                    (BPF_DIV, 1) => "sdiv",
                    (BPF_MOD, 1) => "smod",
                    (_, 0) => name_of(ALU_OPS, op)?,
                    _ => return None,
                };
                let src = if x {
                    format!("%r{}", i.src)
                } else {
                    format!("{}", i.imm)
                };
                format!("{name}{w} %r{}, {src}", i.dst)
            }
            _ => return None,
        },
    })
}

/// Prints a program, one instruction per line (the second slot of a
/// 64-bit immediate load is folded into its first).
pub fn disassemble(insns: &[Insn]) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < insns.len() {
        let i = &insns[pc];
        let line = disassemble_one(i, insns.get(pc + 1)).unwrap_or_else(|| format!("# unknown {:#04x}", i.code));
        out.push_str(&line);
        out.push('\n');
        pc += if i.is_lddw() { 2 } else { 1 };
    }
    out
}

#[cfg(test)]
mod tests;
