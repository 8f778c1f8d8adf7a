//! The JIT: verified programs compiled to machine code at load, run instead
//! of the interpreter.
//!
//! - [`x86_64`]: the back end for x86_64 (hosted runs and x86_64 kernels);
//! - [`riscv64`]: the back end for riscv64 (rCore), which writes its code
//!   on any host (the tests run it under an emulator).
//!
//! The loader compiles for this machine ([`Arch::host`]: on riscv64, with
//! the extensions the platform's ISA string names) and places only this
//! machine's code ([`compile_as`]); [`code_for`] writes either's.
//!
//! The common case runs as machine code: ALU, jumps, 64-bit immediates,
//! bpf-to-bpf calls, the loads, stores and atomics the verifier proved in
//! bounds, helper calls (straight to `helper`, by an id in the code or
//! in a register), and map lookups on maps known at load ([`Lookups`]:
//! an array's and, for one-word keys of preallocated maps, a hash map's
//! search in machine code, other hash maps' a direct call of
//! `hash_lookup`). The rest (tail calls, accesses the verifier could
//! not prove outside the entry's region, legacy packet loads) goes
//! through one slow path: the compiled code spills the registers into
//! the run's [`RunCtx`] and calls `slow`, which runs that instruction
//! with the interpreter's own code (`interp::slow_op`), so both agree
//! by construction there.
//!
//! Compiled code is `extern "C" fn(cx, args, r10) -> r0`; a leaf program
//! (`Shape::leaf`) never reads `cx` and is entered without one
//! (`run_leaf`).
//!
//! The machine code is placed by the platform ([`Platform::map_code`]):
//! written while writable, then executable and never writable again. A
//! platform that cannot map code runs everything interpreted.
//!
//! [`Platform::map_code`]: crate::Platform::map_code

#![allow(unsafe_code)]

pub mod riscv64;
#[cfg(target_arch = "x86_64")]
pub mod x86_64;

use crate::error::Result;
use crate::map::{ArrayValues, HashMap, HashTable, Map};
use crate::platform::CodeMapping;
use crate::prog::insn::{Insn, CALL, CALLX, EXIT, JA32, LD_DW_IMM};
use crate::prog::interp::code::Code;
use crate::prog::interp::mem::Memory;
use crate::prog::interp::{self, Env, Exit};
use crate::prog::load::CodeMapper;
use abi::{
    BPF_ADD, BPF_ALU, BPF_ALU64, BPF_CLASS_MASK, BPF_JEQ, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_K, BPF_LD, BPF_LDX, BPF_MEM,
    BPF_MEMSX, BPF_MODE_MASK, BPF_MOV, BPF_OP_MASK, BPF_SRC_MASK, BPF_ST, BPF_STX, BPF_SUB, BPF_X,
};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// The offset in [`RunCtx`] of a field compiled code reads or writes.
macro_rules! offset {
    ($field:ident) => {
        core::mem::offset_of!(RunCtx<'static>, $field) as i32
    };
}

/// The spilled registers r0..r10.
const REGS: i32 = offset!(regs);
/// The stack pointer at the run's entry.
const ENTRY_RSP: i32 = offset!(entry_rsp);
/// The helper id the next direct call is for.
const HELPER: i32 = offset!(helper);
/// The flag a failed helper sets.
const FAILED: i32 = offset!(failed);
/// The first address of the region r1 points to at entry (the context,
/// usually), and its end less 8.
const FAST_LO: i32 = offset!(fast_lo);
const FAST_END8: i32 = offset!(fast_end8);
/// The addresses of [`slow`] and [`helper`], which compiled code calls
/// through (so it holds no absolute address).
const SLOW_FN: i32 = offset!(slow_fn);
const HELPER_FN: i32 = offset!(helper_fn);
/// The address of [`hash_lookup`].
const LOOKUP_FN: i32 = offset!(lookup_fn);

/// What compiled code and the Rust functions it calls share during one
/// run. The compiled code reads and writes only the fields named above, at
/// their offsets.
#[repr(C)]
pub struct RunCtx<'a> {
    regs: [u64; 11],
    entry_rsp: u64,
    helper: u64,
    failed: u64,
    /// Loads inside `[fast_lo, fast_end8 + 8)` need not leave the compiled
    /// code: that region is live for the whole run.
    fast_lo: u64,
    fast_end8: u64,
    slow_fn: u64,
    helper_fn: u64,
    lookup_fn: u64,
    code: &'a Code,
    mem: &'a mut Memory,
    env: &'a mut dyn Env,
    can_tail: bool,
    /// How the run ended, when the slow path ended it.
    outcome: Option<Result<Exit>>,
}

/// A program's machine code, placed by the platform.
pub struct Image {
    mapping: Box<dyn CodeMapping>,
    /// The code's first byte, asked of the mapping once.
    entry: *const u8,
    /// Its code never reads the run's context (see [`Shape::leaf`]).
    leaf: bool,
    /// It loads from the entry's region with an inline check.
    fast: bool,
}

// SAFETY: `entry` points into the mapping, which is Send and Sync and
// read-only once placed.
unsafe impl Send for Image {}
// SAFETY: as above.
unsafe impl Sync for Image {}

impl core::fmt::Debug for Image {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Image").field("len", &self.mapping.len()).finish()
    }
}

impl Image {
    /// Bytes of machine code.
    pub fn len(&self) -> usize {
        self.mapping.len()
    }

    /// Whether there is none (never: a program has an exit).
    pub fn is_empty(&self) -> bool {
        self.mapping.len() == 0
    }

    /// The machine code.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes for its lifetime.
        unsafe { core::slice::from_raw_parts(self.mapping.addr(), self.mapping.len()) }
    }
}

/// Where a patched jump or call goes: an instruction's code, a function's
/// entry, or the exit that leaves the run (shared by the back ends).
#[derive(Clone, Copy)]
enum Target {
    Insn(usize),
    Func(usize),
    Leave,
}

/// Where the code of instructions and function entries is, to resolve
/// [`Target`]s once all is written.
struct Places {
    /// By instruction, then the end: where its code starts, where that
    /// was noted ([`Places::NONE`] elsewhere). A back end notes at least
    /// every jump's target, and every instruction that follows a call.
    /// (Code is far shorter than 4 GiB: see [`Places::insn`].)
    at: Vec<u32>,
    /// Each subprogram's first instruction and its entry, in order.
    entry: Vec<(usize, usize)>,
    leave: usize,
}

impl Places {
    /// Not noted.
    const NONE: u32 = u32::MAX;

    fn new(n: usize) -> Places {
        Places {
            at: alloc::vec![Places::NONE; n + 1],
            entry: Vec::new(),
            leave: usize::MAX,
        }
    }

    /// The code of instruction `pc` (`n`: the end) starts at `pos`; past
    /// 4 GiB, it is not noted, and jumps there are not resolved (the
    /// program is then not compiled).
    #[inline]
    fn insn(&mut self, pc: usize, pos: usize) {
        if let Some(at) = self.at.get_mut(pc) {
            *at = u32::try_from(pos).unwrap_or(Places::NONE);
        }
    }

    /// The entry of the subprogram starting at instruction `pc` is at
    /// `pos` (subprograms come in order).
    fn func(&mut self, pc: usize, pos: usize) {
        self.entry.push((pc, pos));
    }

    /// Where `t` is, if it was written.
    fn of(&self, t: Target) -> Option<usize> {
        match t {
            Target::Insn(t) => self
                .at
                .get(t)
                .copied()
                .filter(|&p| p != Places::NONE)
                .map(|p| p as usize),
            Target::Func(f) => {
                let i = self.entry.binary_search_by_key(&f, |e| e.0).ok()?;
                Some(self.entry[i].1)
            }
            Target::Leave => (self.leave != usize::MAX).then_some(self.leave),
        }
    }
}

/// The instruction a jump at `pc` by `rel` lands on, inside `n`
/// instructions.
fn jump_target(pc: usize, rel: i64, n: usize) -> Option<Target> {
    let t = pc as i64 + 1 + rel;
    (t >= 0 && (t as usize) < n).then_some(Target::Insn(t as usize))
}

/// For a stride of 3, 5 or 9 words (a `u32 -> u64` hash map's 24-byte
/// slots, 40 and 72): the `s` that makes a number times the stride's words
/// the number plus itself shifted left by `s`, which both back ends
/// compute without a multiply (x86_64's `lea`, riscv64's Zba `shNadd`).
fn words_by_shift_add(bytes: u64) -> Option<u8> {
    matches!(bytes, 24 | 40 | 72).then(|| (bytes / 8 - 1).trailing_zeros() as u8)
}

/// The keys of constant blinding: an xorshift64 stream from the seed, or
/// none without one.
struct Keys(Option<u64>);

impl Keys {
    fn new(seed: Option<u64>) -> Keys {
        Keys(seed.map(|s| s | 1))
    }

    /// Whether constants are blinded.
    fn on(&self) -> bool {
        self.0.is_some()
    }

    fn next(&mut self) -> Option<u64> {
        let mut x = self.0?;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = Some(x);
        Some(x)
    }
}

/// A map lookup (`bpf_map_lookup_elem`) compiled without the helper
/// table, on the map the verifier found at that call on every path, as
/// Linux inlines array and hash lookups. The run's memory keeps the map
/// (see [`Lookups::kept`]), so the values it gives pass later checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A plain array: `r0 = key < max_entries ? base + key * stride : 0`,
    /// in machine code.
    Array(ArrayValues),
    /// A hash map (plain or LRU, not per-CPU): a direct call of
    /// `hash_lookup` with the map's address (a `HashMap` the program
    /// holds) and the key.
    Hash(u64),
    /// A hash map whose table compiled code searches itself, in machine
    /// code (see [`HashTable`]).
    Table(HashTable),
}

/// The lookups of one program, by instruction, and the maps they use.
#[derive(Default)]
pub struct Lookups {
    /// By instruction: the lookup a helper call is compiled as.
    pub at: Vec<Option<Lookup>>,
    /// The program's maps (indices) that its compiled lookups use, for
    /// each run's memory to keep ([`Memory::keep_map`]).
    pub kept: Vec<usize>,
}

impl Lookups {
    /// The lookups of `insns`, from the verifier's map of each call
    /// (`call_map`) and the program's `maps`.
    pub fn plan(insns: &[Insn], call_map: &[Option<u16>], maps: &[Arc<dyn Map>]) -> Lookups {
        let mut out = Lookups {
            at: alloc::vec![None; insns.len()],
            kept: Vec::new(),
        };
        for (pc, i) in insns.iter().enumerate() {
            if i.code != CALL || i.src != 0 || i.imm as u32 != abi::Helper::MapLookupElem.raw() {
                continue;
            }
            let Some(idx) = call_map.get(pc).copied().flatten().map(usize::from) else {
                continue;
            };
            let Some(m) = maps.get(idx).filter(|m| m.def().prog_can_read()) else {
                continue;
            };
            let lookup = match (m.array_values(), m.as_any().downcast_ref::<HashMap>()) {
                (Some(a), _) if a.stride <= i32::MAX as u64 => Lookup::Array(a),
                (_, Some(h)) if !m.def().is_percpu() => match h.table() {
                    Some(t) => Lookup::Table(t),
                    None => Lookup::Hash(h as *const HashMap as u64),
                },
                _ => continue,
            };
            out.at[pc] = Some(lookup);
            if !out.kept.contains(&idx) {
                out.kept.push(idx);
            }
        }
        out
    }

    /// The lookup the call at `pc` is compiled as, if any.
    fn get(&self, pc: usize) -> Option<Lookup> {
        self.at.get(pc).copied().flatten()
    }
}

/// How the arguments of the compiled lookups are set up, where that needs
/// no code. In the usual `r1 = map; r2 = r10; r2 += off; call`:
/// - the `r1 = map` load (a 64-bit immediate) is unused when no
///   instruction between it and the lookup jumps or touches r1: the
///   compiled lookup takes its map from the plan, and the call leaves r1
///   unreadable;
/// - the key pointer's setup is unused, and the lookup reads its key at
///   `r10 + off` itself, when besides no instruction from the `+=` to the
///   lookup is a jump's target (or a function's start), so that no other
///   path reaches the lookup through it.
#[derive(Default)]
pub(super) struct ArgSetup {
    /// By instruction (empty: none): whether it needs no code.
    skip: Vec<bool>,
    /// By instruction (empty: none): where the key of the lookup there is,
    /// as an offset from r10.
    key_at: Vec<Option<i32>>,
}

impl ArgSetup {
    /// The setups of `lookups` in `insns` (`target`: their
    /// [`Shape::targets`]); with `blinded` constants, only the map loads (a
    /// key offset would appear in the code as it is).
    pub(super) fn of(insns: &[Insn], target: &[bool], lookups: &Lookups, blinded: bool) -> ArgSetup {
        let n = insns.len();
        let mut out = ArgSetup::default();
        if lookups.at.iter().all(Option::is_none) {
            return out;
        }
        out.skip = alloc::vec![false; n];
        out.key_at = alloc::vec![None; n];
        for (pc, _) in lookups.at.iter().enumerate().take(n).filter(|(_, l)| l.is_some()) {
            // The map load: back over what leaves r1 alone.
            let mut q = pc;
            while q >= 2 {
                q -= 1;
                let i = insns[q];
                if i.code == 0 && insns[q - 1].code == LD_DW_IMM {
                    out.skip[q - 1] = insns[q - 1].dst == 1;
                    break;
                }
                if i.dst == 1 || i.src == 1 || matches!(i.class(), BPF_JMP | BPF_JMP32) {
                    break;
                }
            }
            if blinded {
                continue;
            }
            // The key pointer: back over what leaves r2 alone and no jump
            // lands on (positions q..=pc).
            let mut q = pc;
            while q >= 2 && !target[q] {
                let (i, m) = (insns[q - 1], insns[q - 2]);
                if i.code == BPF_ALU64 | BPF_ADD | BPF_K && i.dst == 2 {
                    let stack = (-(abi::MAX_BPF_STACK as i32)..0).contains(&i.imm);
                    if stack && !target[q - 1] && m.code == BPF_ALU64 | BPF_MOV | BPF_X && m.dst == 2 && m.src == 10 {
                        out.key_at[pc] = Some(i.imm);
                        out.skip[q - 2] = true;
                        out.skip[q - 1] = true;
                    }
                    break;
                }
                if i.dst == 2 || i.src == 2 || matches!(i.class(), BPF_JMP | BPF_JMP32) {
                    break;
                }
                q -= 1;
            }
        }
        out
    }

    /// Whether the instruction at `pc` needs no code.
    pub(super) fn skips(&self, pc: usize) -> bool {
        self.skip.get(pc) == Some(&true)
    }

    /// Where the key of the lookup at `pc` is, as an offset from r10, if
    /// the lookup reads it there itself.
    pub(super) fn key_at(&self, pc: usize) -> Option<i32> {
        self.key_at.get(pc).copied().flatten()
    }
}

/// The test of r0 against null right after the lookup at `pc` (`if r0
/// == 0` or `if r0 != 0`, which no jump lands on), where the lookup is
/// machine code (an array's, a hash table's search): whether it jumps on
/// null, and where. The compiled lookup takes it as its own branch: it
/// knows which way it went without testing r0.
fn null_test(insns: &[Insn], targets: &[bool], lookups: &Lookups, pc: usize) -> Option<(bool, Target)> {
    if !matches!(lookups.get(pc), Some(Lookup::Array(_) | Lookup::Table(_))) {
        return None;
    }
    let i = insns.get(pc + 1)?;
    let k = i.class() == BPF_JMP && i.code & BPF_SRC_MASK == BPF_K && i.dst == 0 && i.imm == 0;
    let null = match i.code & BPF_OP_MASK {
        BPF_JEQ => true,
        BPF_JNE => false,
        _ => return None,
    };
    (k && targets.get(pc + 1) == Some(&false))
        .then(|| jump_target(pc + 1, i.off.into(), insns.len()))
        .flatten()
        .map(|t| (null, t))
}

/// A copy and an addition to it (`d = s; d += x`, `x` a register or a
/// constant, or `d -= c`), which no jump comes between, at `pc`: one
/// instruction computes both (x86_64's `lea d, [s + x]`, riscv64's `add
/// d, s, x`). The register added (a BPF register) or the constant; none
/// where `blinded` constants would appear in it.
fn copy_add(insns: &[Insn], targets: &[bool], pc: usize, blinded: bool) -> Option<(Option<u8>, i32)> {
    let (i, j) = (insns[pc], *insns.get(pc + 1)?);
    let copy = i.code & !BPF_CLASS_MASK == BPF_MOV | BPF_X && i.off == 0;
    if !copy || j.class() != i.class() || j.dst != i.dst || targets.get(pc + 1) != Some(&false) {
        return None;
    }
    match (j.code & !BPF_CLASS_MASK, blinded) {
        // After the copy, d is s.
        (c, _) if c == BPF_ADD | BPF_X => Some((Some(if j.src == i.dst { i.src } else { j.src }), 0)),
        (c, false) if c == BPF_ADD | BPF_K => Some((None, j.imm)),
        (c, false) if c == BPF_SUB | BPF_K && j.imm != i32::MIN => Some((None, -j.imm)),
        _ => None,
    }
}

/// What a program's entry must set up, known before its code is written.
pub(super) struct Shape {
    /// The program calls nothing (no helper, no subprogram, no slow path)
    /// and makes only proven accesses: its code never reads the run's
    /// context, so the entry neither takes one nor saves more than the
    /// registers the program uses (as Linux's JIT saves only those).
    pub leaf: bool,
    /// It loads from the entry's region with an inline check (the context
    /// must hold that region's bounds).
    pub fast: bool,
    /// The BPF registers it names.
    pub uses: [bool; 11],
    /// By BPF register (r1 to r5): its value at entry may be read, as it
    /// is named and not written before it is read in the straight run of
    /// instructions the program begins with (see [`entry_reads`]; all
    /// named ones where the program is not a leaf).
    pub args: [bool; 6],
    /// By instruction: the target of a backward jump (its code starts on
    /// 16 bytes, which the processor fetches loops best from).
    pub loop_heads: Vec<bool>,
    /// By instruction: the target of a jump or a bpf-to-bpf call, which
    /// code may reach from elsewhere than the instruction before.
    pub targets: Vec<bool>,
    /// Its functions.
    pub layout: Layout,
}

impl Shape {
    /// The shape of `insns`, whose accesses `proven` marks as needing no
    /// check.
    #[inline(never)]
    pub(super) fn of(insns: &[Insn], proven: &[bool], lookups: &Lookups) -> Shape {
        let mut loop_heads = alloc::vec![false; insns.len()];
        let mut targets = alloc::vec![false; insns.len()];
        // Bit r: the program names register r (past r10: r10).
        let mut uses = 0u32;
        let mut rest = Rest {
            leaf: true,
            fast: false,
            starts: alloc::vec![0],
        };
        // The most common instructions here; calls, exits and the rest of
        // class LD in `Rest::note`, so that this loop keeps its state in
        // registers.
        for (pc, i) in insns.iter().enumerate() {
            uses |= 1 << (i.dst & 15) | 1 << (i.src & 15);
            match i.class() {
                BPF_ALU | BPF_ALU64 => {}
                BPF_JMP | BPF_JMP32 if !matches!(i.code, CALL | CALLX | EXIT) => {
                    let rel = if i.code == JA32 { i.imm } else { i32::from(i.off) };
                    let t = pc as i64 + 1 + i64::from(rel);
                    if t >= 0 && (t as usize) < insns.len() {
                        loop_heads[t as usize] |= rel < 0;
                        targets[t as usize] = true;
                    }
                }
                BPF_LDX | BPF_STX | BPF_ST => {
                    let direct = proven.get(pc) == Some(&true);
                    rest.fast |= !direct && i.code & (BPF_MODE_MASK | BPF_CLASS_MASK) == BPF_MEM | BPF_LDX;
                    rest.leaf &= direct;
                }
                _ => rest.note((insns, lookups), pc, &mut targets),
            }
        }
        let Rest { leaf, fast, starts } = rest;
        // Only a leaf's entry loads fewer than all five.
        let reads = if leaf { entry_reads(insns, uses) } else { [true; 6] };
        Shape {
            leaf,
            fast,
            uses: core::array::from_fn(|r| uses & 1 << r != 0 || (r == 10 && uses >> 11 != 0)),
            args: core::array::from_fn(|r| r >= 1 && uses & 1 << r != 0 && reads[r]),
            loop_heads,
            targets,
            layout: Layout::new(starts),
        }
    }
}

/// What [`Shape::of`] learns beyond where jumps land.
struct Rest {
    leaf: bool,
    fast: bool,
    /// Where functions start.
    starts: Vec<usize>,
}

impl Rest {
    /// Notes the call, exit or 64-bit immediate at `pc` (`targets`: where
    /// jumps and calls land).
    #[inline(never)]
    fn note(&mut self, (insns, lookups): (&[Insn], &Lookups), pc: usize, targets: &mut [bool]) {
        let i = insns[pc];
        match i.code {
            // An array lookup is machine code, not a call, and so is a
            // hash table's.
            CALL | CALLX => {
                self.leaf &= matches!(lookups.get(pc), Some(Lookup::Array(_) | Lookup::Table(_)));
                if i.code == CALL && i.src == abi::BPF_PSEUDO_CALL {
                    let t = pc as i64 + 1 + i64::from(i.imm);
                    if t > 0 && (t as usize) < insns.len() {
                        self.starts.push(t as usize);
                        targets[t as usize] = true;
                    }
                }
            }
            EXIT => {}
            // A 64-bit immediate (its second half is code 0).
            _ => self.leaf &= i.code == LD_DW_IMM || (i.code == 0 && pc > 0 && insns[pc - 1].code == LD_DW_IMM),
        }
    }
}

/// By register r0 to r5: the program may read its value at entry. In the
/// straight run of instructions it begins with (up to the first jump,
/// call, exit or atomic), a register written before it is read is not
/// (clang's code sets r2 to r5 before it reads them); one that run does
/// not write may be read after it. The walk ends where each of r1 to r5
/// the program names (bit r of `named`) is known read or written.
fn entry_reads(insns: &[Insn], named: u32) -> [bool; 6] {
    let (mut read, mut written) = ([false; 6], [false; 6]);
    let open = |read: &[bool; 6], written: &[bool; 6]| (1..6).any(|r| named & 1 << r != 0 && !read[r] && !written[r]);
    let mut pc = 0;
    while let Some(i) = insns.get(pc).filter(|_| open(&read, &written)) {
        let (d, s) = (usize::from(i.dst), usize::from(i.src));
        let x = i.code & BPF_SRC_MASK == BPF_X;
        let (reads, writes) = match i.class() {
            BPF_ALU | BPF_ALU64 if i.code & BPF_OP_MASK == BPF_MOV => ([x.then_some(s), None], true),
            BPF_ALU | BPF_ALU64 => ([Some(d), x.then_some(s)], true),
            BPF_LD if i.code == LD_DW_IMM => ([None, None], true),
            BPF_LDX if matches!(i.code & BPF_MODE_MASK, BPF_MEM | BPF_MEMSX) => ([Some(s), None], true),
            BPF_ST if i.code & BPF_MODE_MASK == BPF_MEM => ([Some(d), None], false),
            BPF_STX if i.code & BPF_MODE_MASK == BPF_MEM => ([Some(d), Some(s)], false),
            _ => break,
        };
        for r in reads.into_iter().flatten().filter(|&r| r < 6) {
            read[r] |= !written[r];
        }
        if writes && d < 6 {
            written[d] = true;
        }
        pc += if i.code == LD_DW_IMM { 2 } else { 1 };
    }
    core::array::from_fn(|r| read[r] || !written[r])
}

/// Where each function of a program starts: the entry at 0 and every
/// target of a bpf-to-bpf call.
pub(super) struct Layout {
    /// The first instruction of each function, in order (0 first).
    starts: Vec<usize>,
}

impl Layout {
    /// The functions starting at `starts` (0 and every call's target).
    fn new(mut starts: Vec<usize>) -> Layout {
        starts.sort_unstable();
        starts.dedup();
        Layout { starts }
    }

    /// Whether a function starts at `pc`.
    pub(super) fn starts(&self, pc: usize) -> bool {
        self.starts.binary_search(&pc).is_ok()
    }

    /// The index of the function `pc` belongs to (0: the entry's).
    pub(super) fn func_of(&self, pc: usize) -> usize {
        self.starts.partition_point(|&s| s <= pc).saturating_sub(1)
    }
}

/// A back end: the machine the code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86_64.
    X86_64,
    /// riscv64, using the optional extensions given.
    Riscv64(riscv64::Extensions),
}

impl Arch {
    /// The back end for this machine (`None`: there is none); on riscv64,
    /// using the extensions `isa` names, the cores' ISA string (see
    /// [`Platform::isa`](crate::Platform::isa)), or none without one.
    pub fn host(isa: Option<&str>) -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "riscv64") {
            Some(Arch::Riscv64(
                isa.map(riscv64::Extensions::from_isa).unwrap_or_default(),
            ))
        } else {
            None
        }
    }
}

/// A program's machine code for some [`Arch`], not yet placed.
#[derive(Debug)]
pub struct Compiled {
    /// The machine code.
    pub bytes: Vec<u8>,
    /// It never reads the run's context (see `Shape::leaf`).
    pub leaf: bool,
    /// It loads from the entry's region with an inline check.
    pub fast: bool,
}

/// Compiles a verified program for `arch`, its constants blinded with keys
/// from the seed `blind` (see each back end's `compile`).
/// Any host writes riscv64 code; x86_64 code is written on x86_64 hosts.
///
/// # Errors
/// [`crate::Error::BadInstruction`] for what the back end does not
/// compile; [`crate::Error::NotSupported`] for x86_64 code elsewhere.
pub fn code_for(
    arch: Arch,
    insns: &[Insn],
    proven: &[bool],
    lookups: &Lookups,
    blind: Option<u64>,
) -> Result<Compiled> {
    let shape = Shape::of(insns, proven, lookups);
    match arch {
        #[cfg(target_arch = "x86_64")]
        Arch::X86_64 => Ok(Compiled {
            bytes: x86_64::compile(insns, proven, lookups, &shape, blind)?,
            leaf: shape.leaf,
            fast: shape.fast,
        }),
        #[cfg(not(target_arch = "x86_64"))]
        Arch::X86_64 => Err(crate::Error::NotSupported),
        // Its code always takes the run's context.
        Arch::Riscv64(ext) => Ok(Compiled {
            bytes: riscv64::compile(insns, proven, lookups, &shape, blind, ext)?,
            leaf: false,
            fast: shape.fast,
        }),
    }
}

/// Compiles a verified program for this machine's base ISA (see
/// [`compile_as`]).
///
/// # Safety
/// As for [`compile_as`].
pub unsafe fn compile(
    insns: &[Insn],
    proven: &[bool],
    lookups: &Lookups,
    map: CodeMapper<'_>,
    blind: Option<u64>,
) -> Option<Image> {
    // SAFETY: the caller's promises, and `host`'s back end is this
    // machine's.
    unsafe { compile_as(Arch::host(None)?, insns, proven, lookups, map, blind) }
}

/// Compiles a verified program for `arch`, which must be this machine's
/// (from [`Arch::host`]), and has `map` place the code, its constants
/// blinded with keys from the seed `blind`; `None` where `arch` is another
/// machine's, the program uses what the back end does not compile, or
/// `map` cannot place it (the program is then interpreted). On riscv64,
/// `map` must also make the code visible to every hart's instruction
/// fetch (see [`Platform::map_code`](crate::Platform::map_code)), and the
/// cores must have the extensions `arch` names.
///
/// # Safety
/// `proven` must be the verifier's result for `insns`, as for
/// [`Code::trust`]: the compiled code makes the proven accesses directly.
/// Code the verifier did not see may be compiled with an empty `proven`
/// (every access is then checked), but must still not nest bpf-to-bpf
/// calls deeper than `MAX_CALL_FRAMES` (the compiled code does not count
/// them) and must end, as verified code does. `lookups` must come from
/// [`Lookups::plan`] on the verifier's result and maps the program holds
/// for as long as the image lives, and each run's memory must keep the
/// maps it names ([`Lookups::kept`]); code the verifier did not see takes
/// none (`Lookups::default()`).
pub unsafe fn compile_as(
    arch: Arch,
    insns: &[Insn],
    proven: &[bool],
    lookups: &Lookups,
    map: CodeMapper<'_>,
    blind: Option<u64>,
) -> Option<Image> {
    let host = Arch::host(None)?;
    if core::mem::discriminant(&arch) != core::mem::discriminant(&host) {
        return None;
    }
    let code = code_for(arch, insns, proven, lookups, blind).ok()?;
    map(&code.bytes).map(|mapping| Image {
        entry: mapping.addr(),
        mapping,
        leaf: code.leaf,
        fast: code.fast,
    })
}

/// The signature of compiled code: the run's context (null for a leaf),
/// r1..r5, and r10 (the entry frame's stack top); returns r0.
type EntryFn = extern "C" fn(*mut RunCtx<'_>, *const u64, u64) -> u64;

/// Runs a leaf image (see [`Shape::leaf`]) with `args` in r1..r5 and
/// `r10` the entry frame's stack top; its r0, or `None` for an image that
/// is not a leaf (run with [`run`]).
#[inline]
pub(crate) fn run_leaf(image: &Image, args: &[u64; 5], r10: u64) -> Option<u64> {
    if !image.leaf {
        return None;
    }
    // SAFETY: as in `run`; a leaf's code reads no context, so none is
    // passed.
    let entry: EntryFn = unsafe { core::mem::transmute(image.entry) };
    Some(entry(core::ptr::null_mut(), args.as_ptr(), r10))
}

/// Runs `code`'s compiled image from its entry with `args` in r1..r5 and
/// `r10` the entry frame's stack top; how it ended.
///
/// # Errors
/// The slow path's errors (memory faults, helper errors).
#[inline]
pub(crate) fn run(
    image: &Image,
    code: &Code,
    args: &[u64; 5],
    r10: u64,
    mem: &mut Memory,
    env: &mut dyn Env,
    can_tail: bool,
) -> Result<Exit> {
    // SAFETY: the image is code `compile` produced for this program and
    // the platform mapped executable: a function of this signature that
    // reads the five arguments, touches of the context only the fields
    // named at its top (none for a leaf), memory the verifier proved, and
    // what the slow path hands it.
    let entry: EntryFn = unsafe { core::mem::transmute(image.entry) };
    let (fast_lo, fast_end8) = match image.fast.then(|| mem.region_at(args[0])).flatten() {
        Some(r) if r.end - r.start >= 8 => (r.start, r.end - 8),
        _ => (u64::MAX, 0),
    };
    let mut cx = RunCtx {
        regs: [0; 11],
        entry_rsp: 0,
        helper: 0,
        failed: 0,
        fast_lo,
        fast_end8,
        slow_fn: SLOW as usize as u64,
        helper_fn: HELPER_CALL as usize as u64,
        lookup_fn: HASH_LOOKUP as usize as u64,
        code,
        mem,
        env,
        can_tail,
        outcome: None,
    };
    let r0 = entry(&mut cx, args.as_ptr(), r10);
    cx.outcome.take().unwrap_or(Ok(Exit::Return(r0)))
}

type HelperFn = extern "C" fn(u64, u64, u64, u64, u64, *mut RunCtx<'_>) -> u64;
type SlowFn = extern "C" fn(*mut RunCtx<'_>, u64) -> u64;
type LookupFn = extern "C" fn(*const HashMap, *const u8) -> u64;
const HELPER_CALL: HelperFn = helper;
const SLOW: SlowFn = slow;
const HASH_LOOKUP: LookupFn = hash_lookup;

/// `bpf_map_lookup_elem` on a hash map known at load, called straight
/// from compiled code (no helper table, no dynamic dispatch): the value's
/// address, or 0.
extern "C" fn hash_lookup(map: *const HashMap, key: *const u8) -> u64 {
    // SAFETY: compiled code passes the address of a hash map the program
    // holds (see `Lookup::Hash`), so it lives through the run, and a key
    // the verifier proved readable for the map's key size (on the stack
    // or in a map value).
    let (map, key) = unsafe { (&*map, core::slice::from_raw_parts(key, (*map).def().key_size as usize)) };
    map.lookup_ptr(key, 0).map_or(0, |p| p.as_ptr() as u64)
}

/// A helper call straight from compiled code: the arguments are r1..r5
/// where they already are, the helper's id in the context; returns r0. A
/// helper's error sets the context's `failed` (and the run's outcome).
extern "C" fn helper(a1: u64, a2: u64, a3: u64, a4: u64, a5: u64, cx: *mut RunCtx<'_>) -> u64 {
    // SAFETY: as for `slow`.
    let cx = unsafe { &mut *cx };
    match cx.env.call(cx.helper as u32, [a1, a2, a3, a4, a5], cx.mem) {
        Ok(r0) => r0,
        Err(e) => {
            cx.outcome = Some(Err(e));
            cx.failed = 1;
            0
        }
    }
}

/// The slow path: runs the instruction `arg` names (its index, and in bit
/// 31 whether it is in the entry function) on the spilled registers;
/// returns 0 to go on, 1 when the run ends (its outcome is then in the
/// context).
extern "C" fn slow(cx: *mut RunCtx<'_>, arg: u64) -> u64 {
    // SAFETY: compiled code passes the context `run` lent it, which no
    // other reference reaches while the run is in the compiled code.
    let cx = unsafe { &mut *cx };
    let pc = (arg & 0x7fff_ffff) as usize;
    let entry = arg & 1 << 31 != 0;
    let mut reg = [0u64; 16];
    reg[..11].copy_from_slice(&cx.regs);
    match interp::slow_op(cx.code, pc, &mut reg, cx.mem, cx.env, cx.can_tail && entry) {
        Ok(None) => {
            cx.regs.copy_from_slice(&reg[..11]);
            0
        }
        Ok(Some(exit)) => {
            cx.outcome = Some(Ok(exit));
            1
        }
        Err(e) => {
            cx.outcome = Some(Err(e));
            1
        }
    }
}

#[cfg(all(test, feature = "std", target_arch = "x86_64"))]
pub(crate) mod tests;
