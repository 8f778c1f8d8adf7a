//! The main pass (Linux's `do_check`): every path of the program walked
//! with an abstract [`State`], each instruction checked against what the
//! registers and the stack hold, conditional jumps splitting the state
//! with what each branch learns. Paths end at `exit`, or where a state
//! already proven safe covers them (pruning); a path that comes back to a
//! state it already had is an infinite loop; the walk as a whole has
//! Linux's budget of one million instructions.

use super::ctx::{self, CtxLoad};
use super::log::{alu_sym, vlog, Disasm, Log, LEVEL2};
use super::scalar::{Cmp, Scalar};
use super::state::{Byte, Frame, Kind, Ref, Reg, Slot, State, STACK_BYTES};
use super::{Input, LdImm, Verified};
use crate::error::Error;
use crate::prog::insn::Insn;
use crate::prog::insn::*;
use abi::*;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

type R<T> = core::result::Result<T, Error>;

/// Most instructions walked over all paths (Linux's limit).
const INSN_LIMIT: usize = BPF_COMPLEXITY_LIMIT_INSNS as usize;
/// Most states kept per instruction for pruning.
const STATES_PER_INSN: usize = 64;
/// Largest offset a pointer may be moved by (Linux's BPF_MAX_VAR_OFF).
const MAX_VAR_OFF: i64 = 1 << 29;

/// Rejects with a log line: `reject!(self, EACCES, "R{} !read_ok", r)`.
macro_rules! reject {
    ($v:expr, $errno:ident, $($arg:tt)*) => {
        return Err($v.fail(Errno::$errno, format_args!($($arg)*)))
    };
}

/// A state saved at a pruning point.
struct Saved {
    state: State,
    /// The saved state this one's path came through.
    parent: Option<usize>,
    /// Paths still being walked from here (0: proven safe).
    branches: u32,
}

/// A branch waiting to be walked.
struct Pending {
    state: State,
    pc: usize,
    from: usize,
    parent: Option<usize>,
    log_mark: usize,
}

/// What an instruction leads to.
enum Flow {
    /// The next instruction to walk.
    Next(usize),
    /// The path ends (exit from the program).
    End,
}

/// Which side of a memory access.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

impl Access {
    fn words(self) -> &'static str {
        match self {
            Access::Read => "read from",
            Access::Write => "write to",
        }
    }
}

pub(super) struct Walk<'a, 'l> {
    p: &'a Input<'a>,
    log: &'l mut Log,
    pc: usize,
    next_id: u32,
    processed: usize,
    saved: Vec<Saved>,
    explored: Vec<Vec<usize>>,
    prune: Vec<bool>,
    pending: Vec<Pending>,
    /// Saved states still being walked from, and the most there were.
    live: usize,
    peak: usize,
    /// Stack bytes each subprogram uses, by start instruction.
    depth: Vec<(usize, usize)>,
    ctx_end: usize,
    /// Per instruction, the kinds of memory its loads and stores reached
    /// on the paths walked (`REACH_*` bits).
    reach: Vec<u8>,
    /// Per helper call that takes a map, the map on the paths walked
    /// (`MAP_CALL_*` otherwise).
    map_call: Vec<u32>,
}

/// No path reached the call yet.
const MAP_CALL_UNSEEN: u32 = u32::MAX;
/// Paths gave different maps.
const MAP_CALL_MIXED: u32 = u32::MAX - 1;
/// Or'ed in: the key was in memory checked at run time (a packet).
const MAP_CALL_KEY_CHECKED: u32 = 1 << 16;

/// A load or store reached the stack, a map value or helper memory.
const REACH_PROVEN: u8 = 1;
/// ... the context.
const REACH_CTX: u8 = 2;
/// ... a packet.
const REACH_OTHER: u8 = 4;

impl<'a, 'l> Walk<'a, 'l> {
    pub(super) fn new(p: &'a Input<'a>, log: &'l mut Log, starts: &[usize]) -> Walk<'a, 'l> {
        let n = p.insns.len();
        let mut prune = vec![false; n];
        for (pc, i) in p.insns.iter().enumerate() {
            let c = i.class();
            if (c == BPF_JMP || c == BPF_JMP32) && !matches!(i.code, CALL | EXIT) {
                let off = if i.code == JA32 {
                    i64::from(i.imm)
                } else {
                    i64::from(i.off)
                };
                if let Some(t) = usize::try_from(pc as i64 + 1 + off).ok().filter(|&t| t < n) {
                    prune[t] = true;
                }
                if pc + 1 < n {
                    prune[pc + 1] = true;
                }
            }
        }
        Walk {
            p,
            log,
            pc: 0,
            next_id: 0,
            processed: 0,
            saved: Vec::new(),
            explored: (0..n).map(|_| Vec::new()).collect(),
            prune,
            pending: Vec::new(),
            live: 0,
            peak: 0,
            depth: starts.iter().map(|&s| (s, 0)).collect(),
            ctx_end: 0,
            reach: vec![0; n],
            map_call: vec![MAP_CALL_UNSEEN; n],
        }
    }

    /// Writes the reason into the log and makes the error.
    fn fail(&mut self, errno: Errno, args: fmt::Arguments<'_>) -> Error {
        self.log.line(args);
        Error::Rejected {
            errno,
            pc: self.pc as u32,
        }
    }

    fn new_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Walks every path.
    pub(super) fn run(mut self) -> R<Verified> {
        let mut st = State::entry();
        let mut pc = 0;
        let mut parent: Option<usize> = None;
        loop {
            self.pc = pc;
            self.processed += 1;
            if self.processed > INSN_LIMIT {
                let n = self.processed;
                reject!(self, E2BIG, "BPF program is too large. Processed {n} insn");
            }
            let mut end = false;
            if self.prune[pc] {
                match self.visit(pc, &st, parent)? {
                    Visit::Pruned => {
                        if self.log.level() & LEVEL2 != 0 {
                            vlog!(self.log, "{pc}: safe");
                        }
                        end = true;
                    }
                    Visit::Saved(k) => parent = Some(k),
                    Visit::Go => {}
                }
            }
            if !end {
                if self.log.level() & LEVEL2 != 0 {
                    vlog!(self.log, "{pc}: {st}");
                }
                let i = &self.p.insns[pc];
                if self.log.on() {
                    vlog!(
                        self.log,
                        "{pc}: {}",
                        Disasm {
                            i,
                            next: self.p.insns.get(pc + 1)
                        }
                    );
                }
                match self.step(&mut st, pc, parent)? {
                    Flow::Next(n) => {
                        pc = n;
                        continue;
                    }
                    Flow::End => {}
                }
            }
            // This path is done: its ancestors may now be complete.
            self.finish(parent);
            let Some(next) = self.pending.pop() else { break };
            self.log.truncate(next.log_mark);
            st = next.state;
            pc = next.pc;
            parent = next.parent;
            if self.log.on() {
                vlog!(self.log, "from {} to {}: {st}", next.from, pc);
            }
        }
        self.check_stack_depth()?;
        let max_states = self.explored.iter().map(Vec::len).max().unwrap_or(0);
        vlog!(
            self.log,
            "processed {} insns (limit {INSN_LIMIT}) max_states_per_insn {max_states} total_states {} peak_states {} mark_read 0",
            self.processed,
            self.saved.len(),
            self.peak
        );
        Ok(Verified {
            ctx_end: self.ctx_end,
            stack_depth: self.depth.iter().map(|&(_, d)| d).collect(),
            proven: self.reach.iter().map(|&r| r == REACH_PROVEN).collect(),
            call_map: self.map_call.iter().map(|&m| u16::try_from(m).ok()).collect(),
        })
    }

    /// Notes that the helper call at `pc` took map `m` (and its key, if
    /// any, from the stack or a map value when `key_direct`) on one path:
    /// the call keeps a map only if every path gives the same.
    fn note_map_call(&mut self, pc: usize, m: u16, key_direct: bool) {
        let seen = u32::from(m) | if key_direct { 0 } else { MAP_CALL_KEY_CHECKED };
        self.map_call[pc] = match self.map_call[pc] {
            MAP_CALL_UNSEEN => seen,
            s if s == seen => s,
            _ => MAP_CALL_MIXED,
        };
    }

    /// Marks the end of a path through `parent`.
    fn finish(&mut self, mut parent: Option<usize>) {
        while let Some(k) = parent {
            let s = &mut self.saved[k];
            s.branches -= 1;
            if s.branches > 0 {
                break;
            }
            self.live -= 1;
            parent = s.parent;
        }
    }

    /// Queues the branch `st` at `to` (from `from`), a sibling of the
    /// current path.
    fn push(&mut self, st: State, to: usize, from: usize, parent: Option<usize>) {
        if let Some(k) = parent {
            self.saved[k].branches += 1;
        }
        let log_mark = self.log.mark();
        self.pending.push(Pending {
            state: st,
            pc: to,
            from,
            parent,
            log_mark,
        });
    }

    /// At a pruning point: prune, detect a loop, or save the state.
    fn visit(&mut self, pc: usize, st: &State, parent: Option<usize>) -> R<Visit> {
        for &k in &self.explored[pc] {
            let s = &self.saved[k];
            if s.branches > 0 {
                // Still being walked: an ancestor of this path (a loop)
                // or of a queued one.
                if s.state.covers(st) && st.covers(&s.state) && self.is_ancestor(k, parent) {
                    reject!(self, EINVAL, "infinite loop detected at insn {pc}");
                }
                continue;
            }
            if s.state.covers(st) {
                return Ok(Visit::Pruned);
            }
        }
        if self.explored[pc].len() >= STATES_PER_INSN {
            return Ok(Visit::Go);
        }
        self.saved.push(Saved {
            state: st.clone(),
            parent,
            branches: 1,
        });
        let k = self.saved.len() - 1;
        self.explored[pc].push(k);
        self.live += 1;
        self.peak = self.peak.max(self.live);
        Ok(Visit::Saved(k))
    }

    fn is_ancestor(&self, k: usize, mut p: Option<usize>) -> bool {
        while let Some(x) = p {
            if x == k {
                return true;
            }
            p = self.saved[x].parent;
        }
        false
    }

    // ---- registers -------------------------------------------------

    /// A register a instruction reads: it exists and was written.
    fn read(&mut self, st: &State, r: u8) -> R<Reg> {
        if r > 10 {
            reject!(self, EINVAL, "R{r} is invalid");
        }
        let reg = st.cur().regs[usize::from(r)];
        if reg.kind == Kind::NotInit {
            reject!(self, EACCES, "R{r} !read_ok");
        }
        Ok(reg)
    }

    /// A register an instruction writes: it exists and is not r10.
    fn dst(&mut self, r: u8) -> R<usize> {
        if r > 10 {
            reject!(self, EINVAL, "R{r} is invalid");
        }
        if r == 10 {
            reject!(self, EACCES, "frame pointer is read only");
        }
        Ok(usize::from(r))
    }

    // ---- one instruction ------------------------------------------

    fn step(&mut self, st: &mut State, pc: usize, parent: Option<usize>) -> R<Flow> {
        let i = self.p.insns[pc];
        match i.class() {
            BPF_ALU | BPF_ALU64 => {
                self.alu(st, &i)?;
                Ok(Flow::Next(pc + 1))
            }
            BPF_LDX => {
                if i.imm != 0 {
                    reject!(self, EINVAL, "BPF_LDX uses reserved fields");
                }
                let ptr = self.read(st, i.src)?;
                let d = self.dst(i.dst)?;
                let size = size_of(i.code);
                let mut v = self.mem(st, i.src, ptr, i.off, size, Access::Read, None)?;
                self.reached(pc, ptr.kind)?;
                if i.code & BPF_MODE_MASK == BPF_MEMSX && v.kind == Kind::Scalar {
                    v.s = match v.s.value() {
                        Some(x) => Scalar::konst(sign_extend(x, size)),
                        None => Scalar::loaded_signed(size),
                    };
                }
                st.cur_mut().regs[d] = v;
                Ok(Flow::Next(pc + 1))
            }
            BPF_STX if i.code & BPF_MODE_MASK == BPF_ATOMIC => {
                self.atomic(st, &i)?;
                Ok(Flow::Next(pc + 1))
            }
            BPF_STX | BPF_ST => {
                let value = if i.class() == BPF_STX {
                    if i.imm != 0 {
                        reject!(self, EINVAL, "BPF_STX uses reserved fields");
                    }
                    self.read(st, i.src)?
                } else {
                    if i.src != 0 {
                        reject!(self, EINVAL, "BPF_ST uses reserved fields");
                    }
                    Reg::scalar(Scalar::konst(i.imm as i64 as u64))
                };
                let ptr = self.read(st, i.dst)?;
                let size = size_of(i.code);
                let mut value = value;
                // A number spilled whole stays linked to its register, as a
                // copy (Linux's spill of a scalar keeps its id).
                if i.class() == BPF_STX && matches!(ptr.kind, Kind::Stack(_)) && value.kind == Kind::Scalar {
                    let fits = size == 8 || value.s.umax < 1u64 << (size * 8);
                    if fits {
                        if value.id == 0 {
                            value.id = self.new_id();
                            st.cur_mut().regs[usize::from(i.src)].id = value.id;
                        }
                    } else {
                        value.id = 0;
                    }
                }
                self.mem(st, i.dst, ptr, i.off, size, Access::Write, Some(value))?;
                self.reached(pc, ptr.kind)?;
                Ok(Flow::Next(pc + 1))
            }
            BPF_LD if i.code == LD_DW_IMM => {
                let d = self.dst(i.dst)?;
                let hi = self.p.insns.get(pc + 1).map_or(0, |n| n.imm as u32);
                let ld = self.p.ld.binary_search_by_key(&pc, |&(at, _)| at).ok();
                let reg = match ld.map(|k| self.p.ld[k].1) {
                    Some(LdImm::Map(m)) => Reg::ptr(Kind::MapPtr(m)),
                    Some(LdImm::Value(m, off)) => Reg {
                        off: off as i32,
                        ..Reg::ptr(Kind::MapValue(m))
                    },
                    None => Reg::scalar(Scalar::konst(u64::from(hi) << 32 | u64::from(i.imm as u32))),
                };
                st.cur_mut().regs[d] = reg;
                Ok(Flow::Next(pc + 2))
            }
            BPF_LD => {
                self.ld_abs(st, &i)?;
                Ok(Flow::Next(pc + 1))
            }
            _ => self.jump(st, &i, pc, parent),
        }
    }

    // ---- ALU --------------------------------------------------------

    fn alu(&mut self, st: &mut State, i: &Insn) -> R<()> {
        let op = i.code & BPF_OP_MASK;
        let x = i.code & BPF_SRC_MASK == BPF_X;
        let bits32 = i.class() == BPF_ALU;
        // Linux's reserved-field rules.
        let ok = match op {
            BPF_NEG => !x && i.src == 0 && i.off == 0 && i.imm == 0,
            BPF_END => i.src == 0 && i.off == 0 && matches!(i.imm, 16 | 32 | 64) && (bits32 || !x),
            BPF_MOV if x => i.imm == 0 && matches!((i.off, bits32), (0 | 8 | 16, _) | (32, false)),
            BPF_MOV => i.src == 0 && i.off == 0,
            _ if op > BPF_END => reject!(self, EINVAL, "invalid BPF_ALU opcode {:x}", op),
            _ => {
                (if x { i.imm == 0 } else { i.src == 0 })
                    && (i.off == 0 || (i.off == 1 && matches!(op, BPF_DIV | BPF_MOD)))
            }
        };
        if !ok {
            let what = match op {
                BPF_NEG => "BPF_NEG",
                BPF_END => "BPF_END",
                BPF_MOV => "BPF_MOV",
                _ => "BPF_ALU",
            };
            reject!(self, EINVAL, "{what} uses reserved fields");
        }
        let src = if x {
            self.read(st, i.src)?
        } else {
            Reg::scalar(Scalar::konst(i.imm as i64 as u64))
        };
        let d = self.dst(i.dst)?;
        if op == BPF_MOV {
            let out = if src.kind == Kind::Scalar {
                let mut s = st.cur().regs[d].s;
                s = s.alu(&src.s, i);
                let mut r = Reg::scalar(s);
                // A plain copy shares what branches learn (a 32-bit one
                // when the source fits 32 bits, as Linux links them).
                if x && i.off == 0 && (!bits32 || src.s.umax <= u64::from(u32::MAX)) {
                    let id = if src.id != 0 { src.id } else { self.new_id() };
                    st.cur_mut().regs[usize::from(i.src)].id = id;
                    r.id = id;
                }
                r
            } else if bits32 {
                // Part of a pointer: a number.
                Reg::scalar(Scalar::unsigned_range(0, u32::MAX.into()))
            } else if i.off != 0 {
                reject!(self, EACCES, "R{} sign-extension part of pointer", i.src);
            } else {
                src
            };
            st.cur_mut().regs[d] = out;
            return Ok(());
        }
        if !x && matches!(op, BPF_DIV | BPF_MOD) && i.imm == 0 {
            reject!(self, EINVAL, "div by zero");
        }
        if !x && matches!(op, BPF_LSH | BPF_RSH | BPF_ARSH) {
            let width = if bits32 { 32 } else { 64 };
            if i.imm < 0 || i.imm >= width {
                reject!(self, EINVAL, "invalid shift {}", i.imm);
            }
        }
        let dst = self.read(st, i.dst)?;
        let sym = alu_sym(op);
        let out = match (dst.kind.is_ptr(), src.kind.is_ptr()) {
            (false, false) => Reg::scalar(dst.s.alu(&src.s, i)),
            // Privileged: what is left of a pointer is a number.
            _ if matches!(op, BPF_NEG | BPF_END) => Reg::scalar(if bits32 {
                Scalar::unsigned_range(0, u32::MAX.into())
            } else {
                Scalar::UNKNOWN
            }),
            (true, true) => {
                if op == BPF_SUB {
                    // Privileged: the distance between two pointers.
                    Reg::scalar(if bits32 {
                        Scalar::unsigned_range(0, u32::MAX.into())
                    } else {
                        Scalar::UNKNOWN
                    })
                } else {
                    reject!(self, EACCES, "R{} pointer {sym} pointer prohibited", i.dst)
                }
            }
            (true, false) => self.ptr_math(i, &dst, &src, false)?,
            (false, true) => self.ptr_math(i, &src, &dst, true)?,
        };
        st.cur_mut().regs[d] = out;
        Ok(())
    }

    /// `ptr op off` (`swapped`: the instruction was `off op ptr`), as
    /// Linux's `adjust_ptr_min_max_vals`.
    fn ptr_math(&mut self, i: &Insn, ptr: &Reg, off: &Reg, swapped: bool) -> R<Reg> {
        let d = i.dst;
        let op = i.code & BPF_OP_MASK;
        if i.class() == BPF_ALU {
            // Privileged: a 32-bit difference is a meaningless number.
            if op == BPF_SUB {
                return Ok(Reg::scalar(Scalar::unsigned_range(0, u32::MAX.into())));
            }
            reject!(self, EACCES, "R{d} 32-bit pointer arithmetic prohibited");
        }
        if ptr.null {
            reject!(
                self,
                EACCES,
                "R{d} pointer arithmetic on {} prohibited, null-check it first",
                ptr.type_name()
            );
        }
        match ptr.kind {
            Kind::MapPtr(_) if off.s.is_zero() && op == BPF_ADD => return Ok(*ptr),
            Kind::MapPtr(_) | Kind::PacketEnd => {
                reject!(
                    self,
                    EACCES,
                    "R{d} pointer arithmetic on {} prohibited",
                    ptr.type_name()
                )
            }
            _ => {}
        }
        let tname = ptr.type_name();
        self.sane(off, tname)?;
        let known = off.s.value().map(|v| v as i64);
        let mut out = *ptr;
        let pkt = matches!(ptr.kind, Kind::Packet | Kind::PacketMeta);
        match op {
            BPF_ADD => match known {
                Some(v) => out.off = ptr.off.wrapping_add(v as i32),
                None => {
                    out.s = ptr.s.alu(&off.s, &add64());
                    if pkt {
                        out.id = self.new_id();
                        out.range = 0;
                    }
                }
            },
            BPF_SUB => {
                if swapped {
                    reject!(self, EACCES, "R{d} tried to subtract pointer from scalar");
                }
                if matches!(ptr.kind, Kind::Stack(_)) {
                    reject!(self, EACCES, "R{d} subtraction from stack pointer prohibited");
                }
                match known {
                    Some(v) => out.off = ptr.off.wrapping_sub(v as i32),
                    None => {
                        out.s = ptr.s.alu(&off.s, &sub64());
                        if pkt {
                            out.id = self.new_id();
                            out.range = 0;
                        }
                    }
                }
            }
            BPF_AND | BPF_OR | BPF_XOR => {
                reject!(
                    self,
                    EACCES,
                    "R{d} bitwise operator {} on pointer prohibited",
                    alu_sym(op)
                )
            }
            _ => reject!(
                self,
                EACCES,
                "R{d} pointer arithmetic with {} operator prohibited",
                alu_sym(op)
            ),
        }
        self.sane(&out, tname)?;
        Ok(out)
    }

    /// Linux's `check_reg_sane_offset`, for the offset added to a pointer
    /// and for the pointer it makes.
    fn sane(&mut self, r: &Reg, tname: &str) -> R<()> {
        let s = &r.s;
        if let Some(v) = s.value().map(|v| v as i64) {
            if !(-MAX_VAR_OFF < v && v < MAX_VAR_OFF) {
                reject!(self, EINVAL, "math between {tname} pointer and {v} is not allowed");
            }
        }
        if i64::from(r.off).abs() >= MAX_VAR_OFF {
            reject!(self, EINVAL, "{tname} pointer offset {} is not allowed", r.off);
        }
        if s.smin == i64::MIN {
            reject!(
                self,
                EINVAL,
                "math between {tname} pointer and register with unbounded min value is not allowed"
            );
        }
        if s.smin >= MAX_VAR_OFF || s.smin <= -MAX_VAR_OFF {
            reject!(self, EINVAL, "value {} makes {tname} pointer be out of bounds", s.smin);
        }
        Ok(())
    }

    // ---- memory -----------------------------------------------------

    /// Checks a `size`-byte access at `off` from register `regno`
    /// (holding `ptr`); a store writes `value`. Returns what a load gives.
    #[allow(clippy::too_many_arguments)]
    fn mem(
        &mut self,
        st: &mut State,
        regno: u8,
        ptr: Reg,
        off: i16,
        size: u32,
        a: Access,
        value: Option<Reg>,
    ) -> R<Reg> {
        if let (Kind::MapPtr(m), false, Access::Write) = (ptr.kind, ptr.null, a) {
            let name = match self.p.maps[usize::from(m)].map_type {
                MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash => "bpf_htab",
                MapType::Array | MapType::PercpuArray | MapType::ProgArray | MapType::PerfEventArray => "bpf_array",
                _ => "bpf_map",
            };
            reject!(self, EACCES, "only read from {name} is supported");
        }
        if ptr.null || !ptr.kind.is_ptr() || matches!(ptr.kind, Kind::MapPtr(_) | Kind::PacketEnd) {
            reject!(self, EACCES, "R{regno} invalid mem access '{}'", ptr.type_name());
        }
        let off = i64::from(off);
        let sz = i64::from(size);
        match ptr.kind {
            Kind::Stack(frame) => self.stack_access(st, regno, &ptr, frame, off, size, a, value),
            Kind::Ctx => {
                if ptr.off != 0 {
                    reject!(
                        self,
                        EACCES,
                        "dereference of modified ctx ptr R{regno} off={} disallowed",
                        ptr.off
                    );
                }
                if !ptr.s.is_zero() {
                    reject!(self, EACCES, "variable ctx access var_off={} disallowed", ptr.s.var);
                }
                let ok = off >= 0 && ctx::access_ok(self.p.prog_type, off as usize, size as usize, a == Access::Write);
                if !ok {
                    reject!(self, EACCES, "invalid bpf_context access off={off} size={size}");
                }
                if let Some(v) = value {
                    if v.kind.is_ptr() {
                        reject!(self, EACCES, "R{} leaks addr into ctx", regno);
                    }
                }
                self.ctx_end = self.ctx_end.max((off + sz) as usize);
                Ok(match ctx::load(self.p.prog_type, off as usize) {
                    CtxLoad::Packet => Reg::ptr(Kind::Packet),
                    CtxLoad::PacketEnd => Reg::ptr(Kind::PacketEnd),
                    CtxLoad::PacketMeta => Reg::ptr(Kind::PacketMeta),
                    CtxLoad::Scalar => Reg::scalar(Scalar::loaded(size)),
                })
            }
            Kind::MapValue(m) => {
                let info = self.p.maps[usize::from(m)];
                let vs = info.value_size;
                let o = i64::from(ptr.off) + off;
                if a == Access::Write && info.flags & BPF_F_RDONLY_PROG != 0 {
                    reject!(
                        self,
                        EACCES,
                        "write into map forbidden, value_size={vs} off={o} size={size}"
                    );
                }
                if a == Access::Read && info.flags & BPF_F_WRONLY_PROG != 0 {
                    reject!(
                        self,
                        EACCES,
                        "read from map forbidden, value_size={vs} off={o} size={size}"
                    );
                }
                self.region(regno, &ptr, o, sz, i64::from(vs), Region::MapValue)?;
                Ok(Reg::scalar(Scalar::loaded(size)))
            }
            Kind::Mem(n) => {
                let o = i64::from(ptr.off) + off;
                self.region(regno, &ptr, o, sz, i64::from(n), Region::Mem)?;
                Ok(Reg::scalar(Scalar::loaded(size)))
            }
            Kind::Packet | Kind::PacketMeta => {
                if a == Access::Write && !ctx::packet_writable(self.p.prog_type) {
                    reject!(self, EACCES, "cannot write into packet");
                }
                self.packet(regno, &ptr, off, sz)?;
                Ok(Reg::scalar(Scalar::loaded(size)))
            }
            _ => reject!(self, EACCES, "R{regno} invalid mem access '{}'", ptr.type_name()),
        }
    }

    /// Notes that the access at `pc` passed its checks on a pointer of
    /// `kind`. Stack, map value and helper memory accesses need no check
    /// at run time: their regions live as long as the run, at the sizes
    /// the verifier knew. Context and packet accesses keep theirs (their
    /// buffers are built by whoever runs the program). As in Linux, one
    /// instruction may not reach the context on one path and other memory
    /// on another (Linux rewrites context accesses).
    fn reached(&mut self, pc: usize, kind: Kind) -> R<()> {
        let bit = match kind {
            Kind::Stack(_) | Kind::MapValue(_) | Kind::Mem(_) => REACH_PROVEN,
            Kind::Ctx => REACH_CTX,
            _ => REACH_OTHER,
        };
        let seen = self.reach[pc] | bit;
        if seen & REACH_CTX != 0 && seen != REACH_CTX {
            reject!(self, EINVAL, "same insn cannot be used with different pointers");
        }
        self.reach[pc] = seen;
        Ok(())
    }

    /// `[o + var, o + var + size)` inside `[0, limit)`, as Linux's
    /// `check_mem_region_access`.
    fn region(&mut self, regno: u8, ptr: &Reg, o: i64, size: i64, limit: i64, what: Region) -> R<()> {
        let s = &ptr.s;
        if s.smin < 0 {
            reject!(
                self,
                EACCES,
                "R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."
            );
        }
        let lo = s.smin + o;
        let bad = |at: i64| at < 0 || at + size > limit;
        let which = if bad(lo) {
            Some(("min", lo))
        } else if s.umax >= MAX_VAR_OFF as u64 {
            reject!(
                self,
                EACCES,
                "R{regno} unbounded memory access, make sure to bounds check any such access"
            );
        } else if bad(s.umax as i64 + o) {
            Some(("max", s.umax as i64 + o))
        } else {
            None
        };
        if let Some((end, at)) = which {
            match what {
                Region::MapValue => vlog!(
                    self.log,
                    "invalid access to map value, value_size={limit} off={at} size={size}"
                ),
                Region::Mem => vlog!(
                    self.log,
                    "invalid access to memory, mem_size={limit} off={at} size={size}"
                ),
            }
            reject!(
                self,
                EACCES,
                "R{regno} {end} value is outside of the allowed memory range"
            );
        }
        Ok(())
    }

    /// A packet access: inside the range a comparison with the packet's
    /// end proved.
    fn packet(&mut self, regno: u8, ptr: &Reg, off: i64, size: i64) -> R<()> {
        if ptr.s.smin < 0 {
            reject!(
                self,
                EACCES,
                "R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."
            );
        }
        let o = i64::from(ptr.off) + off;
        if o < 0 || o + size > i64::from(ptr.range) {
            vlog!(
                self.log,
                "invalid access to packet, off={o} size={size}, R{regno}(id={},off={},r={})",
                ptr.id,
                ptr.off,
                ptr.range
            );
            reject!(self, EACCES, "R{regno} offset is outside of the packet");
        }
        Ok(())
    }

    /// A direct stack access.
    #[allow(clippy::too_many_arguments)]
    fn stack_access(
        &mut self,
        st: &mut State,
        regno: u8,
        ptr: &Reg,
        frame: u8,
        off: i64,
        size: u32,
        a: Access,
        value: Option<Reg>,
    ) -> R<Reg> {
        let o = i64::from(ptr.off) + off;
        let sz = i64::from(size);
        let var = ptr.s;
        if let Some(v) = var.value() {
            let at = o + v as i64;
            if at % sz != 0 {
                reject!(
                    self,
                    EACCES,
                    "misaligned stack access off {}+{}+{} size {size}",
                    var_str(&var),
                    ptr.off,
                    off
                );
            }
            self.stack_bounds(regno, at, o, sz, a)?;
            self.note_depth(st, frame, at);
            return self.stack_fixed(st, frame, at, size, a, value);
        }
        // A variable offset: every byte it may reach.
        let (lo, hi) = self.var_stack_range(regno, &var, o, sz, a)?;
        self.note_depth(st, frame, lo);
        let f = &mut st.frames[usize::from(frame)];
        match a {
            Access::Write => {
                for b in lo..hi {
                    set_byte(f, b, Byte::Misc);
                }
                Ok(Reg::NOT_INIT)
            }
            Access::Read => {
                for b in lo..hi {
                    if byte(f, b) == Byte::Invalid {
                        reject!(
                            self,
                            EACCES,
                            "invalid variable-offset read from stack R{regno} var_off={} off={o} size={size}",
                            var.var
                        );
                    }
                }
                Ok(Reg::scalar(Scalar::loaded(size)))
            }
        }
    }

    /// A stack access at the known offset `at` (checked inside the frame).
    fn stack_fixed(&mut self, st: &mut State, frame: u8, at: i64, size: u32, a: Access, value: Option<Reg>) -> R<Reg> {
        let f = &mut st.frames[usize::from(frame)];
        let slot = ((-at - 1) / 8) as usize;
        match a {
            Access::Write => {
                let v = value.unwrap_or(Reg::scalar(Scalar::UNKNOWN));
                if size == 8 {
                    *f.slot_mut(slot) = Slot {
                        bytes: [Byte::Spill; 8],
                        spill: v,
                    };
                    return Ok(Reg::NOT_INIT);
                }
                if v.kind.is_ptr() {
                    reject!(self, EACCES, "invalid size of register spill");
                }
                let s = f.slot_mut(slot);
                if at % 8 == 0 && value.is_some() {
                    // A number stored narrow at a slot's start stays
                    // known (Linux's spill of a 32-bit scalar).
                    let n = size as usize;
                    s.scrub();
                    s.bytes[..n].fill(Byte::Spill);
                    s.spill = v;
                    return Ok(Reg::NOT_INIT);
                }
                let mark = if v.s.is_zero() { Byte::Zero } else { Byte::Misc };
                for b in at..at + i64::from(size) {
                    set_byte(f, b, mark);
                }
                Ok(Reg::NOT_INIT)
            }
            Access::Read => {
                let s = f.slot(slot);
                if let Some(r) = s.spilled() {
                    if size == 8 {
                        return Ok(*r);
                    }
                    if r.kind != Kind::Scalar {
                        reject!(self, EACCES, "invalid size of register fill");
                    }
                }
                if let Some(v) = fill(&s, at, size) {
                    return Ok(v);
                }
                let mut zero = true;
                for (k, b) in (at..at + i64::from(size)).enumerate() {
                    match byte(f, b) {
                        Byte::Invalid => {
                            reject!(self, EACCES, "invalid read from stack off {at}+{k} size {size}")
                        }
                        Byte::Zero => {}
                        _ => zero = false,
                    }
                }
                Ok(Reg::scalar(if zero { Scalar::konst(0) } else { Scalar::loaded(size) }))
            }
        }
    }

    /// Records stack use down to `at` in `frame`'s subprogram.
    fn note_depth(&mut self, st: &State, frame: u8, at: i64) {
        let start = st.frames[usize::from(frame)].subprog;
        let used = (-at) as usize;
        if let Some(e) = self.depth.iter_mut().find(|(s, _)| *s == start) {
            e.1 = e.1.max(used);
        }
    }

    /// Atomic read-modify-write.
    fn atomic(&mut self, st: &mut State, i: &Insn) -> R<()> {
        let size = size_of(i.code);
        let imm = i.imm;
        let fetch = imm & BPF_FETCH as i32 != 0;
        let op = (imm & !(BPF_FETCH as i32)) as u8;
        let valid = matches!(op, BPF_ADD | BPF_AND | BPF_OR | BPF_XOR) || matches!(imm as u32, BPF_XCHG | BPF_CMPXCHG);
        if !valid || imm > 0xff {
            reject!(self, EINVAL, "BPF_ATOMIC uses invalid atomic opcode {:02x}", imm);
        }
        let src = self.read(st, i.src)?;
        let ptr = self.read(st, i.dst)?;
        if imm as u32 == BPF_CMPXCHG {
            self.read(st, 0)?;
        }
        if src.kind.is_ptr() {
            reject!(self, EACCES, "R{} leaks addr into mem", i.src);
        }
        if matches!(ptr.kind, Kind::Ctx | Kind::Packet | Kind::PacketMeta) {
            reject!(
                self,
                EACCES,
                "BPF_ATOMIC stores into R{} {} is not allowed",
                i.dst,
                ptr.type_name()
            );
        }
        // Atomics are aligned whatever the architecture allows.
        let desc = match ptr.kind {
            Kind::MapValue(_) => "value ",
            Kind::Stack(_) => "stack ",
            _ => "",
        };
        if let Some(v) = ptr.s.value() {
            if (i64::from(ptr.off) + i64::from(i.off) + v as i64) % i64::from(size) != 0 {
                reject!(
                    self,
                    EACCES,
                    "misaligned {desc}access off {}+{}+{} size {size}",
                    var_str(&ptr.s),
                    ptr.off,
                    i.off
                );
            }
        }
        self.mem(st, i.dst, ptr, i.off, size, Access::Read, None)?;
        self.mem(
            st,
            i.dst,
            ptr,
            i.off,
            size,
            Access::Write,
            Some(Reg::scalar(Scalar::UNKNOWN)),
        )?;
        let out = Reg::scalar(Scalar::loaded(size));
        if imm as u32 == BPF_CMPXCHG {
            st.cur_mut().regs[0] = out;
        } else if fetch {
            let d = self.dst(i.src)?;
            st.cur_mut().regs[d] = out;
        }
        Ok(())
    }

    /// Legacy packet loads: r6 the socket buffer, r1-r5 clobbered.
    fn ld_abs(&mut self, st: &mut State, i: &Insn) -> R<()> {
        let mode = i.code & BPF_MODE_MASK;
        if !matches!(mode, BPF_ABS | BPF_IND) {
            reject!(self, EINVAL, "unknown opcode {:02x}", i.code);
        }
        if !ctx::has_skb(self.p.prog_type) {
            reject!(
                self,
                EINVAL,
                "BPF_LD_[ABS|IND] instructions not allowed for this program type"
            );
        }
        if i.dst != 0 || i.off != 0 || size_of(i.code) == 8 || (mode == BPF_ABS && i.src != 0) {
            reject!(self, EINVAL, "BPF_LD_[ABS|IND] uses reserved fields");
        }
        let r6 = self.read(st, 6)?;
        if mode == BPF_IND {
            self.read(st, i.src)?;
        }
        if !st.refs.is_empty() {
            reject!(self, EINVAL, "BPF_LD_[ABS|IND] would lead to reference leak");
        }
        if r6.kind != Kind::Ctx || r6.off != 0 {
            reject!(self, EINVAL, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
        }
        let f = st.cur_mut();
        for r in 1..=5 {
            f.regs[r] = Reg::NOT_INIT;
        }
        f.regs[0] = Reg::scalar(Scalar::loaded(size_of(i.code)));
        Ok(())
    }

    // ---- control flow -----------------------------------------------

    fn jump(&mut self, st: &mut State, i: &Insn, pc: usize, parent: Option<usize>) -> R<Flow> {
        let op = i.code & BPF_OP_MASK;
        let x = i.code & BPF_SRC_MASK == BPF_X;
        let target = |off: i64| (pc as i64 + 1 + off) as usize;
        match i.code {
            JA => return Ok(Flow::Next(target(i.off.into()))),
            JA32 => return Ok(Flow::Next(target(i.imm.into()))),
            EXIT => return self.exit(st),
            CALL if i.src == BPF_PSEUDO_CALL => return self.local_call(st, i, pc),
            CALL => {
                self.helper_call(st, i)?;
                return Ok(Flow::Next(pc + 1));
            }
            _ => {}
        }
        let Some(cmp) = Cmp::of(op) else {
            reject!(self, EINVAL, "unknown opcode {:02x}", i.code);
        };
        if (x && i.imm != 0) || (!x && i.src != 0) {
            reject!(self, EINVAL, "BPF_JMP/JMP32 uses reserved fields");
        }
        let bits32 = i.class() == BPF_JMP32;
        let dst = self.read(st, i.dst)?;
        let src = if x {
            self.read(st, i.src)?
        } else {
            Reg::scalar(Scalar::konst(i.imm as i64 as u64))
        };
        let taken_pc = target(i.off.into());
        let (taken, fall) = self.branches(st, i, cmp, bits32, &dst, &src);
        match (taken, fall) {
            (Some(t), Some(f)) => {
                self.push(t, taken_pc, pc, parent);
                *st = f;
                Ok(Flow::Next(pc + 1))
            }
            (Some(t), None) => {
                *st = t;
                Ok(Flow::Next(taken_pc))
            }
            (None, Some(f)) => {
                *st = f;
                Ok(Flow::Next(pc + 1))
            }
            // Neither can happen: this path is dead.
            (None, None) => Ok(Flow::End),
        }
    }

    /// The states of the taken and the fall-through branch of a
    /// conditional jump (`None`: that branch cannot happen).
    fn branches(
        &mut self,
        st: &State,
        i: &Insn,
        cmp: Cmp,
        bits32: bool,
        dst: &Reg,
        src: &Reg,
    ) -> (Option<State>, Option<State>) {
        let (dk, sk) = (dst.kind, src.kind);
        // Both numbers: decide, or narrow each side.
        if dk == Kind::Scalar && sk == Kind::Scalar {
            match dst.s.decide(cmp, &src.s, bits32) {
                Some(true) => return (Some(st.clone()), None),
                Some(false) => return (None, Some(st.clone())),
                None => {}
            }
            let side = |c: Cmp| {
                let (mut a, mut b) = (dst.s, src.s);
                a.refine(c, &mut b, bits32);
                if a.is_empty() || b.is_empty() {
                    return None;
                }
                let mut s = st.clone();
                let regs = &mut s.cur_mut().regs;
                regs[usize::from(i.dst)].s = a;
                if i.code & BPF_SRC_MASK == BPF_X {
                    regs[usize::from(i.src)].s = b;
                }
                share_bounds(&mut s, dst.id, a);
                if i.code & BPF_SRC_MASK == BPF_X {
                    share_bounds(&mut s, src.id, b);
                }
                Some(s)
            };
            return (side(cmp), side(cmp.negate()));
        }
        // A pointer that may be null against zero: the null check.
        let zero = |r: &Reg| r.kind == Kind::Scalar && r.s.is_zero();
        if !bits32 && matches!(cmp, Cmp::Eq | Cmp::Ne) {
            let (p, other) = if dst.null { (dst, src) } else { (src, dst) };
            if p.null && zero(other) {
                let mut is_null = st.clone();
                let mut not_null = st.clone();
                mark_null(&mut is_null, p, true);
                mark_null(&mut not_null, p, false);
                return if cmp == Cmp::Eq {
                    (Some(is_null), Some(not_null))
                } else {
                    (Some(not_null), Some(is_null))
                };
            }
            // A pointer known not to be null is never zero.
            let (p, other) = if dk.is_ptr() { (dst, src) } else { (src, dst) };
            if p.kind.is_ptr() && !p.null && zero(other) {
                return if cmp == Cmp::Ne {
                    (Some(st.clone()), None)
                } else {
                    (None, Some(st.clone()))
                };
            }
        }
        // A packet pointer against the packet's end.
        if !bits32 {
            let pkt = |k: Kind| matches!(k, Kind::Packet | Kind::PacketMeta);
            let mut t = st.clone();
            let mut f = st.clone();
            let mut learned = false;
            // (the pointer, whether the taken branch learns, right-open)
            let rule = match cmp {
                Cmp::Gt if pkt(dk) && sk == Kind::PacketEnd => Some((dst, false, false)),
                Cmp::Gt if dk == Kind::PacketEnd && pkt(sk) => Some((src, true, true)),
                Cmp::Lt if pkt(dk) && sk == Kind::PacketEnd => Some((dst, true, true)),
                Cmp::Lt if dk == Kind::PacketEnd && pkt(sk) => Some((src, false, false)),
                Cmp::Ge if pkt(dk) && sk == Kind::PacketEnd => Some((dst, false, true)),
                Cmp::Ge if dk == Kind::PacketEnd && pkt(sk) => Some((src, true, false)),
                Cmp::Le if pkt(dk) && sk == Kind::PacketEnd => Some((dst, true, false)),
                Cmp::Le if dk == Kind::PacketEnd && pkt(sk) => Some((src, false, true)),
                _ => None,
            };
            if let Some((p, in_taken, open)) = rule {
                if p.off >= 0 && !(p.off == 0 && open) {
                    let range = p.off as u32 + u32::from(open);
                    mark_packet_range(if in_taken { &mut t } else { &mut f }, p, range);
                    learned = true;
                }
            }
            if learned {
                return (Some(t), Some(f));
            }
        }
        (Some(st.clone()), Some(st.clone()))
    }

    fn exit(&mut self, st: &mut State) -> R<Flow> {
        if st.frames.len() > 1 {
            // Back to the caller, with r0 as it is (Linux checks it where
            // the caller reads it, not here).
            let r0 = st.cur().regs[0];
            if let Kind::Stack(fr) = r0.kind {
                if usize::from(fr) == st.frames.len() - 1 {
                    reject!(self, EINVAL, "cannot return stack pointer to the caller frame");
                }
            }
            let callee = st.frames.pop().unwrap_or_else(|| Frame::new(0, 0, 0));
            let depth = st.frames.len() as u8;
            let f = st.cur_mut();
            for r in 1..=5 {
                f.regs[r] = Reg::NOT_INIT;
            }
            f.regs[0] = r0;
            // Nothing may keep pointing into the callee's frame.
            st.for_each_reg(|r| {
                if let Kind::Stack(d) = r.kind {
                    if d >= depth {
                        *r = Reg::scalar(Scalar::UNKNOWN);
                    }
                }
            });
            return Ok(Flow::Next(callee.callsite + 1));
        }
        self.read(st, 0)?;
        if let Some(r) = st.refs.first() {
            let (id, insn) = (r.id, r.insn);
            vlog!(self.log, "Unreleased reference id={id} alloc_insn={insn}");
            reject!(
                self,
                EINVAL,
                "BPF_EXIT instruction in main prog would lead to reference leak"
            );
        }
        Ok(Flow::End)
    }

    fn local_call(&mut self, st: &mut State, i: &Insn, pc: usize) -> R<Flow> {
        if i.dst != 0 || i.off != 0 {
            reject!(self, EINVAL, "BPF_CALL uses reserved fields");
        }
        let frames = st.frames.len();
        if frames >= MAX_CALL_FRAMES as usize {
            reject!(self, E2BIG, "the call stack of {} frames is too deep", frames + 1);
        }
        let target = (pc as i64 + 1 + i64::from(i.imm)) as usize;
        let mut callee = Frame::new(frames as u8, pc, target);
        let caller = st.cur();
        callee.regs[1..=5].copy_from_slice(&caller.regs[1..=5]);
        st.frames.push(callee);
        Ok(Flow::Next(target))
    }

    // ---- helpers ----------------------------------------------------

    fn helper_call(&mut self, st: &mut State, i: &Insn) -> R<()> {
        let id = i.imm as u32;
        let pc = self.pc;
        if i.dst != 0 || i.off != 0 || i.src != 0 {
            reject!(self, EINVAL, "BPF_CALL uses reserved fields");
        }
        let Some(proto) = abi::helper_proto(id) else {
            return Err(self.fail_with(Error::UnknownHelper { id }));
        };
        if !proto.allows(self.p.prog_type) {
            return Err(self.fail_with(Error::HelperNotAllowed { id, pc }));
        }
        if proto.gpl_only && !self.p.gpl {
            return Err(self.fail_with(Error::GplOnlyHelper { id, pc }));
        }
        let mut map: Option<u16> = None;
        let mut key_direct = true;
        let mut key: Option<u64> = None;
        let mut alloc_size: Option<u32> = None;
        let mut release: Option<u32> = None;
        for (k, &kind) in proto.args.iter().enumerate() {
            let regno = (k + 1) as u8;
            // A variadic helper's trailing arguments may be left unset.
            if proto.variadic && kind == ArgKind::Anything {
                break;
            }
            let reg = self.read(st, regno)?;
            match kind {
                ArgKind::Anything => {}
                ArgKind::ConstMapPtr => match reg.kind {
                    Kind::MapPtr(m) if !reg.null => map = Some(m),
                    _ => reject!(self, EACCES, "R{regno} type={} expected=map_ptr", reg.type_name()),
                },
                ArgKind::PtrToMapKey | ArgKind::PtrToMapValue | ArgKind::PtrToUninitMapValue => {
                    let Some(m) = map else {
                        reject!(self, EACCES, "invalid map_ptr to access map->key");
                    };
                    let info = self.p.maps[usize::from(m)];
                    let (size, a) = match kind {
                        ArgKind::PtrToMapKey => (info.key_size, Access::Read),
                        ArgKind::PtrToMapValue => (info.value_size, Access::Read),
                        _ => (info.value_size, Access::Write),
                    };
                    if !matches!(
                        reg.kind,
                        Kind::Stack(_) | Kind::MapValue(_) | Kind::Packet | Kind::PacketMeta
                    ) || reg.null
                    {
                        reject!(
                            self,
                            EACCES,
                            "R{regno} type={} expected=fp, pkt, pkt_meta, map_key, map_value",
                            reg.type_name()
                        );
                    }
                    self.helper_mem(st, regno, &reg, i64::from(size), a)?;
                    if kind == ArgKind::PtrToMapKey {
                        key = const_key(st, &reg, size);
                        key_direct = matches!(reg.kind, Kind::Stack(_) | Kind::MapValue(_));
                    }
                }
                // Checked with the size that follows.
                ArgKind::PtrToMem | ArgKind::PtrToUninitMem => {}
                ArgKind::ConstSize | ArgKind::ConstSizeOrZero => {
                    let or_zero = kind == ArgKind::ConstSizeOrZero;
                    if reg.kind != Kind::Scalar {
                        reject!(self, EACCES, "R{regno} type={} expected=scalar", reg.type_name());
                    }
                    let s = reg.s;
                    if s.smin < 0 {
                        reject!(
                            self,
                            EACCES,
                            "R{regno} min value is negative, either use unsigned or 'var &= const'"
                        );
                    }
                    if s.umin == 0 && !or_zero {
                        reject!(
                            self,
                            EACCES,
                            "R{regno} invalid zero-sized read: u64=[{},{}]",
                            s.umin,
                            s.umax
                        );
                    }
                    if s.umax >= MAX_VAR_OFF as u64 {
                        reject!(
                            self,
                            EACCES,
                            "R{regno} unbounded memory access, use 'var &= const' or 'if (var < const)'"
                        );
                    }
                    let mregno = regno - 1;
                    let mreg = st.cur().regs[usize::from(mregno)];
                    let a = if proto.args[k - 1] == ArgKind::PtrToUninitMem {
                        Access::Write
                    } else {
                        Access::Read
                    };
                    if s.umax == 0 && mreg.kind == Kind::Scalar && mreg.s.is_zero() {
                        continue;
                    }
                    let ok_kind = matches!(
                        mreg.kind,
                        Kind::Stack(_) | Kind::MapValue(_) | Kind::Packet | Kind::PacketMeta | Kind::Mem(_)
                    ) && !mreg.null;
                    if !ok_kind {
                        reject!(
                            self,
                            EACCES,
                            "R{mregno} type={} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
                            mreg.type_name()
                        );
                    }
                    // Helpers write at most the smallest size for sure.
                    let size = if a == Access::Write { s.umin } else { s.umax };
                    if a == Access::Write && s.umax > s.umin {
                        self.helper_mem_bounds(mregno, &mreg, s.umax as i64)?;
                    }
                    self.helper_mem(st, mregno, &mreg, size as i64, a)?;
                }
                ArgKind::PtrToCtx => {
                    if reg.kind != Kind::Ctx {
                        reject!(self, EACCES, "R{regno} type={} expected=ctx", reg.type_name());
                    }
                    if reg.off != 0 || !reg.s.is_zero() {
                        reject!(
                            self,
                            EACCES,
                            "dereference of modified ctx ptr R{regno} off={} disallowed",
                            reg.off
                        );
                    }
                }
                ArgKind::PtrToAllocMem => {
                    if !matches!(reg.kind, Kind::Mem(_)) || reg.null {
                        reject!(self, EACCES, "R{regno} type={} expected=ringbuf_mem", reg.type_name());
                    }
                    if reg.ref_id == 0 {
                        reject!(
                            self,
                            EINVAL,
                            "R{regno} must be referenced when passed to release function"
                        );
                    }
                    if reg.off != 0 || !reg.s.is_zero() {
                        reject!(
                            self,
                            EACCES,
                            "R{regno} must have zero offset when passed to release func or trusted arg to kfunc"
                        );
                    }
                    release = Some(reg.ref_id);
                }
                ArgKind::ConstAllocSizeOrZero => match reg.s.value() {
                    Some(v) if reg.kind == Kind::Scalar => alloc_size = Some(v as u32),
                    _ => reject!(self, EACCES, "R{regno} is not a known constant'"),
                },
            }
        }
        if let Some(m) = map {
            self.note_map_call(pc, m, key_direct);
        }
        if let Some(m) = map {
            let info = self.p.maps[usize::from(m)];
            if id == abi::Helper::TailCall.raw() && info.map_type != MapType::ProgArray {
                reject!(self, EINVAL, "expected prog array map for tail call");
            }
            if !map_allows(info.map_type, id) {
                let name = proto.name;
                reject!(
                    self,
                    EINVAL,
                    "cannot pass map_type {} into func bpf_{name}#{id}",
                    info.map_type.raw()
                );
            }
            let writes = matches!(
                abi::Helper::try_from(id),
                Ok(abi::Helper::MapUpdateElem
                    | abi::Helper::MapDeleteElem
                    | abi::Helper::MapPushElem
                    | abi::Helper::MapPopElem)
            );
            if writes && info.flags & BPF_F_RDONLY_PROG != 0 {
                reject!(self, EACCES, "write into map forbidden");
            }
        }
        if id == abi::Helper::TailCall.raw() && !st.refs.is_empty() {
            reject!(self, EINVAL, "tail_call would lead to reference leak");
        }
        if let Some(r) = release {
            st.refs.retain(|x| x.id != r);
            st.for_each_reg(|reg| {
                if reg.ref_id == r {
                    *reg = Reg::scalar(Scalar::UNKNOWN);
                }
            });
        }
        let f = st.cur_mut();
        for r in 1..=5 {
            f.regs[r] = Reg::NOT_INIT;
        }
        let r0 = match proto.ret {
            RetKind::Integer => Reg::scalar(Scalar::UNKNOWN),
            RetKind::Void => Reg::NOT_INIT,
            RetKind::PtrToMapValueOrNull => {
                let m = map.unwrap_or(0);
                let info = self.p.maps[usize::from(m)];
                let kind = match info.inner {
                    Some(inner) => Kind::MapPtr(inner),
                    None => Kind::MapValue(m),
                };
                // Linux: an array's element at a known index below
                // max_entries exists.
                let present = matches!(info.map_type, MapType::Array | MapType::PercpuArray)
                    && key.is_some_and(|k| k < u64::from(info.max_entries));
                Reg {
                    null: !present,
                    id: if present { 0 } else { self.new_id() },
                    ..Reg::ptr(kind)
                }
            }
            RetKind::PtrToAllocMemOrNull => {
                let id = self.new_id();
                st.refs.push(Ref { id, insn: pc });
                Reg {
                    null: true,
                    id,
                    ref_id: id,
                    ..Reg::ptr(Kind::Mem(alloc_size.unwrap_or(0)))
                }
            }
        };
        st.cur_mut().regs[0] = r0;
        Ok(())
    }

    /// Logs an error whose words are its `Display`.
    fn fail_with(&mut self, e: Error) -> Error {
        vlog!(self.log, "{e}");
        e
    }

    /// The first `size` bytes at a helper's memory argument `reg`.
    fn helper_mem(&mut self, st: &mut State, regno: u8, reg: &Reg, size: i64, a: Access) -> R<()> {
        if size == 0 {
            return Ok(());
        }
        match reg.kind {
            Kind::Stack(frame) => {
                let Some(v) = reg.s.value() else {
                    // A variable offset: every byte it may reach must be
                    // written already, even for a helper that writes (which
                    // bytes it wrote is unknown), as Linux requires.
                    let s = reg.s;
                    let (lo, hi) = self.var_stack_range(regno, &s, reg.off.into(), size, a)?;
                    self.note_depth(st, frame, lo);
                    let f = &st.frames[usize::from(frame)];
                    if let Some(k) = (lo..hi).position(|b| byte(f, b) == Byte::Invalid) {
                        reject!(
                            self,
                            EACCES,
                            "invalid read from stack R{regno} var_off {}+{k} size {size}",
                            s.var
                        );
                    }
                    return Ok(());
                };
                let at = i64::from(reg.off) + v as i64;
                self.stack_bounds(regno, at, reg.off.into(), size, a)?;
                self.note_depth(st, frame, at);
                let f = &mut st.frames[usize::from(frame)];
                for (k, b) in (at..at + size).enumerate() {
                    match a {
                        Access::Read => {
                            if byte(f, b) == Byte::Invalid {
                                reject!(
                                    self,
                                    EACCES,
                                    "invalid read from stack R{regno} off {at}+{k} size {size}"
                                );
                            }
                        }
                        Access::Write => set_byte(f, b, Byte::Misc),
                    }
                }
                Ok(())
            }
            Kind::MapValue(_) | Kind::Mem(_) | Kind::Packet | Kind::PacketMeta => {
                let r = *reg;
                if matches!(reg.kind, Kind::Packet | Kind::PacketMeta) {
                    if !ctx::packet_writable(self.p.prog_type) {
                        reject!(self, EACCES, "helper access to the packet is not allowed");
                    }
                    return self.packet(regno, &r, 0, size);
                }
                let size = size.min(i64::from(i16::MAX));
                // A helper's access is one region access of `size` bytes.
                self.mem_region_only(regno, &r, size, a)
            }
            _ => reject!(
                self,
                EACCES,
                "R{regno} type={} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
                reg.type_name()
            ),
        }
    }

    /// The largest size a helper may write: only bounds are checked.
    fn helper_mem_bounds(&mut self, regno: u8, reg: &Reg, size: i64) -> R<()> {
        match reg.kind {
            Kind::Stack(_) => {
                let at = i64::from(reg.off) + reg.s.value().unwrap_or(0) as i64;
                self.stack_bounds(regno, at, reg.off.into(), size, Access::Write)
            }
            _ => self.mem_region_only(regno, reg, size, Access::Write),
        }
    }

    /// `[at, at + size)` inside the frame, or Linux's refusal: EACCES
    /// below it, EINVAL at or above its top (`shown`: the offset the
    /// message names, the pointer's fixed part).
    fn stack_bounds(&mut self, regno: u8, at: i64, shown: i64, size: i64, a: Access) -> R<()> {
        if at >= -(STACK_BYTES as i64) && at + size <= 0 {
            return Ok(());
        }
        let errno = if at < -(STACK_BYTES as i64) {
            Errno::EACCES
        } else {
            Errno::EINVAL
        };
        Err(self.fail(
            errno,
            format_args!("invalid {} stack R{regno} off={shown} size={size}", a.words()),
        ))
    }

    /// The bytes `[lo, hi)` a stack access at a variable offset `var`
    /// (plus `off`) of `size` bytes may reach, or Linux's refusal.
    fn var_stack_range(&mut self, regno: u8, var: &Scalar, off: i64, size: i64, a: Access) -> R<(i64, i64)> {
        if var.smax >= MAX_VAR_OFF || var.smin <= -MAX_VAR_OFF {
            reject!(
                self,
                EACCES,
                "invalid unbounded variable-offset {} stack R{regno}",
                a.words()
            );
        }
        let (lo, hi) = (var.smin + off, var.smax + off + size);
        if lo < -(STACK_BYTES as i64) || hi > 0 {
            let errno = if hi > 0 { Errno::EINVAL } else { Errno::EACCES };
            return Err(self.fail(
                errno,
                format_args!(
                    "invalid variable-offset {} stack R{regno} var_off={} off={off} size={size}",
                    a.words(),
                    var.var
                ),
            ));
        }
        Ok((lo, hi))
    }

    /// A map value's or helper memory's bounds for `size` bytes from `reg`.
    fn mem_region_only(&mut self, regno: u8, reg: &Reg, size: i64, a: Access) -> R<()> {
        match reg.kind {
            Kind::MapValue(m) => {
                let info = self.p.maps[usize::from(m)];
                let vs = info.value_size;
                if a == Access::Write && info.flags & BPF_F_RDONLY_PROG != 0 {
                    reject!(
                        self,
                        EACCES,
                        "write into map forbidden, value_size={vs} off={} size={size}",
                        reg.off
                    );
                }
                if a == Access::Read && info.flags & BPF_F_WRONLY_PROG != 0 {
                    reject!(
                        self,
                        EACCES,
                        "read from map forbidden, value_size={vs} off={} size={size}",
                        reg.off
                    );
                }
                self.region(regno, reg, i64::from(reg.off), size, i64::from(vs), Region::MapValue)
            }
            Kind::Mem(n) => self.region(regno, reg, i64::from(reg.off), size, i64::from(n), Region::Mem),
            _ => Ok(()),
        }
    }

    /// Linux's `check_max_stack_depth`: the deepest chain of calls uses
    /// at most 512 bytes of stack (each frame rounded up to 16).
    fn check_stack_depth(&mut self) -> R<()> {
        let insns = self.p.insns;
        let depth = self.depth.clone();
        let index = |start: usize| depth.iter().position(|&(s, _)| s == start).unwrap_or(0);
        let end_of = |k: usize| depth.get(k + 1).map_or(insns.len(), |&(s, _)| s);
        // Depth-first over the static call graph from the main program.
        let mut worst = (0usize, 0usize);
        let mut stack = vec![(0usize, 0usize, 1usize)];
        let mut steps = 0;
        while let Some((k, above, frames)) = stack.pop() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            let here = above + round16(depth[k].1.max(1));
            if here > worst.0 {
                worst = (here, frames);
            }
            if here > STACK_BYTES {
                reject!(
                    self,
                    EACCES,
                    "combined stack size of {frames} calls is {here}. Too large"
                );
            }
            if frames >= MAX_CALL_FRAMES as usize {
                continue;
            }
            for (pc, i) in insns.iter().enumerate().take(end_of(k)).skip(depth[k].0) {
                if i.code == CALL && i.src == BPF_PSEUDO_CALL {
                    let t = (pc as i64 + 1 + i64::from(i.imm)) as usize;
                    stack.push((index(t), here, frames + 1));
                }
            }
        }
        Ok(())
    }
}

/// What a pruning visit decided.
enum Visit {
    Pruned,
    Saved(usize),
    Go,
}

#[derive(Clone, Copy)]
enum Region {
    MapValue,
    Mem,
}

/// A variable offset as Linux prints it in alignment errors.
fn var_str(s: &Scalar) -> alloc::string::String {
    match s.value() {
        Some(v) => alloc::format!("{}", v as i64),
        None => alloc::format!("{}", s.var),
    }
}

/// The key a helper argument points at, if the stack holds a known one
/// there (zeroed bytes, or a spilled known number at its slot's start).
fn const_key(st: &State, reg: &Reg, size: u32) -> Option<u64> {
    let Kind::Stack(frame) = reg.kind else { return None };
    let at = i64::from(reg.off) + reg.s.value()? as i64;
    let f = &st.frames[usize::from(frame)];
    if (at..at + i64::from(size)).all(|b| byte(f, b) == Byte::Zero) {
        return Some(0);
    }
    fill(&f.slot(((-at - 1) / 8) as usize), at, size)?.s.value()
}

fn round16(n: usize) -> usize {
    n.div_ceil(16) * 16
}

fn size_of(code: u8) -> u32 {
    u32::from(crate::prog::insn::access_size(code))
}

fn sign_extend(v: u64, size: u32) -> u64 {
    match size {
        1 => v as i8 as i64 as u64,
        2 => v as i16 as i64 as u64,
        4 => v as i32 as i64 as u64,
        _ => v,
    }
}

fn add64() -> Insn {
    Insn {
        code: ADD64_X,
        ..Insn::default()
    }
}

fn sub64() -> Insn {
    Insn {
        code: SUB64_X,
        ..Insn::default()
    }
}

/// The stack byte at offset `at` (negative) of a frame.
fn byte(f: &Frame, at: i64) -> Byte {
    let idx = (-at - 1) as usize;
    f.slot(idx / 8).bytes[7 - idx % 8]
}

/// Sets the stack byte at `at`; a spilled register it overlaps becomes
/// bytes.
fn set_byte(f: &mut Frame, at: i64, b: Byte) {
    let idx = (-at - 1) as usize;
    let s = f.slot_mut(idx / 8);
    if s.bytes[7 - idx % 8] == Byte::Spill {
        s.scrub();
    }
    s.bytes[7 - idx % 8] = b;
}

/// A number read back from a spill: the whole spill or its low bytes, at
/// the slot's start (`None`: not a read of a spilled number).
fn fill(s: &Slot, at: i64, size: u32) -> Option<Reg> {
    let n = s.spill_len();
    if n == 0 || at % 8 != 0 || s.spill.kind != Kind::Scalar || size as usize > n {
        return None;
    }
    let v = s.spill.s;
    let fits = size >= 8 || v.umax < 1u64 << (size * 8);
    Some(Reg::scalar(if fits { v } else { v.truncated(size) }))
}

/// After a comparison: every copy of the scalar `id` has the bounds `s`.
fn share_bounds(st: &mut State, id: u32, s: Scalar) {
    if id == 0 {
        return;
    }
    st.for_each_reg(|r| {
        if r.kind == Kind::Scalar && r.id == id {
            r.s = s;
        }
    });
}

/// After a null check of `p`: its copies are null (a number 0, and any
/// reference they hold is gone) or not null.
fn mark_null(st: &mut State, p: &Reg, is_null: bool) {
    let (id, ref_id) = (p.id, p.ref_id);
    if is_null && ref_id != 0 {
        st.refs.retain(|r| r.id != ref_id);
    }
    st.for_each_reg(|r| {
        if r.null && r.id == id {
            if is_null {
                *r = Reg::scalar(Scalar::konst(0));
            } else {
                r.null = false;
                r.id = 0;
            }
        }
    });
}

/// After a comparison with the packet's end: copies of `p` may read
/// `range` bytes.
fn mark_packet_range(st: &mut State, p: &Reg, range: u32) {
    st.for_each_reg(|r| {
        if r.kind == p.kind && r.id == p.id {
            r.range = r.range.max(range);
        }
    });
}

/// Which helpers a map of this type may be passed to, and which map types
/// a helper needs (Linux's `check_map_func_compatibility`).
fn map_allows(t: MapType, id: u32) -> bool {
    use abi::Helper as H;
    let Ok(h) = H::try_from(id) else { return true };
    let generic = matches!(h, H::MapLookupElem | H::MapUpdateElem | H::MapDeleteElem);
    let by_map = match t {
        MapType::ProgArray => h == H::TailCall,
        MapType::PerfEventArray => matches!(h, H::PerfEventRead | H::PerfEventOutput),
        MapType::Ringbuf => matches!(h, H::RingbufOutput | H::RingbufReserve | H::RingbufQuery),
        MapType::StackTrace => h == H::GetStackid,
        MapType::Queue | MapType::Stack => matches!(h, H::MapPushElem | H::MapPopElem | H::MapPeekElem),
        MapType::ArrayOfMaps | MapType::HashOfMaps => h == H::MapLookupElem,
        _ => generic,
    };
    let by_func = match h {
        H::TailCall => t == MapType::ProgArray,
        H::PerfEventRead | H::PerfEventOutput => t == MapType::PerfEventArray,
        H::RingbufOutput | H::RingbufReserve | H::RingbufQuery => t == MapType::Ringbuf,
        H::GetStackid => t == MapType::StackTrace,
        H::MapPushElem | H::MapPopElem | H::MapPeekElem => matches!(t, MapType::Queue | MapType::Stack),
        _ => true,
    };
    by_map && by_func
}
