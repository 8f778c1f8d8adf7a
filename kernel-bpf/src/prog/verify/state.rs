//! The abstract machine state the verifier walks with: what each register
//! and stack byte holds on one path, frame by frame, and the references the
//! path holds. [`State::covers`] is the pruning test: a state already
//! proven safe that allows everything another allows proves it too.

use super::scalar::Scalar;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Bytes of one stack frame.
pub const STACK_BYTES: usize = abi::MAX_BPF_STACK as usize;
/// Stack slots (8 bytes each) of a frame.
pub const SLOTS: usize = STACK_BYTES / 8;

/// What a register holds (Linux's `enum bpf_reg_type`, base types).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Never written on this path.
    NotInit,
    /// A number.
    Scalar,
    /// The context.
    Ctx,
    /// A stack frame (by depth, 0 = the main program's).
    Stack(u8),
    /// A map (CONST_PTR_TO_MAP), by index in the verifier's map table.
    MapPtr(u16),
    /// A value of a map.
    MapValue(u16),
    /// Packet data.
    Packet,
    /// Packet metadata (before the data).
    PacketMeta,
    /// The end of the packet data.
    PacketEnd,
    /// Memory a helper handed out (a ring buffer reservation), of a size.
    Mem(u32),
}

impl Kind {
    /// Linux's name for the kind (`reg_type_str`), with `_or_null` when it
    /// may be null.
    pub fn name(self, null: bool) -> &'static str {
        match (self, null) {
            (Kind::NotInit, _) => "?",
            (Kind::Scalar, _) => "scalar",
            (Kind::Ctx, _) => "ctx",
            (Kind::Stack(_), _) => "fp",
            (Kind::MapPtr(_), false) => "map_ptr",
            (Kind::MapPtr(_), true) => "map_ptr_or_null",
            (Kind::MapValue(_), false) => "map_value",
            (Kind::MapValue(_), true) => "map_value_or_null",
            (Kind::Packet, _) => "pkt",
            (Kind::PacketMeta, _) => "pkt_meta",
            (Kind::PacketEnd, _) => "pkt_end",
            (Kind::Mem(_), false) => "ringbuf_mem",
            (Kind::Mem(_), true) => "ringbuf_mem_or_null",
        }
    }

    /// Whether it is a pointer.
    pub fn is_ptr(self) -> bool {
        !matches!(self, Kind::NotInit | Kind::Scalar)
    }
}

/// One register.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Reg {
    /// What it holds.
    pub kind: Kind,
    /// A pointer that may be null (not yet checked).
    pub null: bool,
    /// A pointer's constant offset.
    pub off: i32,
    /// A scalar's value, or a pointer's variable offset.
    pub s: Scalar,
    /// Shared by copies: a null check or a bound learned on one applies
    /// to all (0: none).
    pub id: u32,
    /// The reference it points into, if it was acquired (0: none).
    pub ref_id: u32,
    /// Packet pointers: bytes proven inside the packet from `off` back to
    /// the pointer's variable base.
    pub range: u32,
}

impl Reg {
    /// An uninitialised register.
    pub const NOT_INIT: Reg = Reg {
        kind: Kind::NotInit,
        null: false,
        off: 0,
        s: Scalar::UNKNOWN,
        id: 0,
        ref_id: 0,
        range: 0,
    };

    /// A scalar.
    pub fn scalar(s: Scalar) -> Reg {
        Reg {
            kind: Kind::Scalar,
            s,
            ..Reg::NOT_INIT
        }
    }

    /// A pointer at offset 0.
    pub fn ptr(kind: Kind) -> Reg {
        Reg {
            kind,
            s: Scalar::konst(0),
            ..Reg::NOT_INIT
        }
    }

    /// Linux's name of what it holds.
    pub fn type_name(&self) -> &'static str {
        self.kind.name(self.null)
    }

    /// Whether `self` allows everything `cur` does (pruning).
    fn covers(&self, cur: &Reg, ids: &mut IdMap) -> bool {
        match self.kind {
            Kind::NotInit => true,
            // A scalar linked to copies (an id) was narrowed with them on
            // the explored path: the current one must have the same links.
            Kind::Scalar => {
                cur.kind == Kind::Scalar && self.s.contains(&cur.s) && (self.id == 0 || ids.check(self.id, cur.id))
            }
            _ => {
                self.kind == cur.kind
                    && self.null == cur.null
                    && self.off == cur.off
                    && self.s.contains(&cur.s)
                    && self.range <= cur.range
                    && ids.check(self.id, cur.id)
                    && ids.check(self.ref_id, cur.ref_id)
            }
        }
    }
}

/// What a stack byte holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Byte {
    /// Never written.
    Invalid,
    /// Some number.
    Misc,
    /// Zero.
    Zero,
    /// Part of a spilled register.
    Spill,
}

/// Eight stack bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Slot {
    /// Each byte, lowest address first.
    pub bytes: [Byte; 8],
    /// The register spilled here: all bytes [`Byte::Spill`], or (a number
    /// stored narrower, as Linux keeps it) the first few.
    pub spill: Reg,
}

impl Slot {
    /// A slot never written.
    pub const INVALID: Slot = Slot {
        bytes: [Byte::Invalid; 8],
        spill: Reg::NOT_INIT,
    };

    /// The spilled register, if the slot holds a whole one.
    pub fn spilled(&self) -> Option<&Reg> {
        self.bytes.iter().all(|&b| b == Byte::Spill).then_some(&self.spill)
    }

    /// Bytes of a spill at the slot's start (0: none).
    pub fn spill_len(&self) -> usize {
        self.bytes.iter().take_while(|&&b| b == Byte::Spill).count()
    }

    /// Turns a spill into plain bytes (zero if it was the number 0).
    pub fn scrub(&mut self) {
        let keep = if self.spill.kind == Kind::Scalar && self.spill.s.is_zero() {
            Byte::Zero
        } else {
            Byte::Misc
        };
        for b in &mut self.bytes {
            if *b == Byte::Spill {
                *b = keep;
            }
        }
        self.spill = Reg::NOT_INIT;
    }

    fn covers(&self, cur: &Slot, ids: &mut IdMap) -> bool {
        let (n, m) = (self.spill_len(), cur.spill_len());
        if n > 0 && n < 8 {
            // A narrow spill: the same kind of spill, the rest byte by byte.
            return n == m
                && self.spill.covers(&cur.spill, ids)
                && self.bytes[n..]
                    .iter()
                    .zip(&cur.bytes[n..])
                    .all(|(o, c)| byte_covers(*o, *c, false));
        }
        if let Some(old) = self.spilled() {
            return match cur.spilled() {
                Some(c) => old.covers(c, ids),
                None => {
                    old.kind == Kind::Scalar
                        && old.s == Scalar::UNKNOWN
                        && cur.bytes.iter().all(|b| matches!(b, Byte::Misc | Byte::Zero))
                }
            };
        }
        let cur_scalar = m > 0 && cur.spill.kind == Kind::Scalar;
        self.bytes
            .iter()
            .zip(&cur.bytes)
            .all(|(o, c)| byte_covers(*o, *c, cur_scalar))
    }
}

/// Whether an explored stack byte allows what a current one does.
fn byte_covers(old: Byte, cur: Byte, cur_scalar: bool) -> bool {
    match old {
        Byte::Invalid => true,
        Byte::Misc => matches!(cur, Byte::Misc | Byte::Zero) || (cur == Byte::Spill && cur_scalar),
        Byte::Zero => cur == Byte::Zero,
        Byte::Spill => false,
    }
}

/// One function's frame.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Frame {
    /// r0 to r10.
    pub regs: [Reg; 11],
    /// Stack slots, slot `i` at `-8 * (i + 1)`; grown as written.
    pub stack: Vec<Slot>,
    /// The call instruction that made this frame (0 for the main one).
    pub callsite: usize,
    /// The subprogram's first instruction.
    pub subprog: usize,
}

impl Frame {
    /// A frame with r10 at its top; other registers not initialised.
    pub fn new(depth: u8, callsite: usize, subprog: usize) -> Frame {
        let mut regs = [Reg::NOT_INIT; 11];
        regs[10] = Reg::ptr(Kind::Stack(depth));
        Frame {
            regs,
            stack: Vec::new(),
            callsite,
            subprog,
        }
    }

    /// The slot `i`, growing the stack to hold it.
    pub fn slot_mut(&mut self, i: usize) -> &mut Slot {
        if self.stack.len() <= i {
            self.stack.resize(i + 1, Slot::INVALID);
        }
        &mut self.stack[i]
    }

    /// The slot `i` (never written if beyond the stack's growth).
    pub fn slot(&self, i: usize) -> Slot {
        self.stack.get(i).copied().unwrap_or(Slot::INVALID)
    }

    /// Bytes of stack the frame has used.
    pub fn depth(&self) -> usize {
        self.stack.len() * 8
    }
}

/// A reference the path holds: its id and the instruction that took it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ref {
    /// The id.
    pub id: u32,
    /// Where it was acquired.
    pub insn: usize,
}

/// The state of one path.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct State {
    /// Frames, the caller's first.
    pub frames: Vec<Frame>,
    /// References held.
    pub refs: Vec<Ref>,
}

impl State {
    /// The entry state: r1 the context, r10 the frame.
    pub fn entry() -> State {
        let mut f = Frame::new(0, 0, 0);
        f.regs[1] = Reg::ptr(Kind::Ctx);
        State {
            frames: vec![f],
            refs: Vec::new(),
        }
    }

    /// The current frame.
    pub fn cur(&self) -> &Frame {
        &self.frames[self.frames.len() - 1]
    }

    /// The current frame.
    pub fn cur_mut(&mut self) -> &mut Frame {
        let n = self.frames.len() - 1;
        &mut self.frames[n]
    }

    /// Every register and spilled register of every frame.
    pub fn for_each_reg(&mut self, mut f: impl FnMut(&mut Reg)) {
        for fr in &mut self.frames {
            fr.regs.iter_mut().for_each(&mut f);
            for s in &mut fr.stack {
                if s.spill_len() > 0 {
                    f(&mut s.spill);
                }
            }
        }
    }

    /// Whether `self` (explored, safe) allows everything `cur` allows.
    pub fn covers(&self, cur: &State) -> bool {
        if self.frames.len() != cur.frames.len() || self.refs.len() != cur.refs.len() {
            return false;
        }
        let mut ids = IdMap::default();
        for (o, c) in self.frames.iter().zip(&cur.frames) {
            if o.callsite != c.callsite {
                return false;
            }
            if !o.regs.iter().zip(&c.regs).all(|(a, b)| a.covers(b, &mut ids)) {
                return false;
            }
            for i in 0..o.stack.len().max(c.stack.len()) {
                if !o.slot(i).covers(&c.slot(i), &mut ids) {
                    return false;
                }
            }
        }
        self.refs.iter().zip(&cur.refs).all(|(a, b)| ids.check(a.id, b.id))
    }
}

/// A consistent renaming of ids between two states.
#[derive(Default)]
struct IdMap(Vec<(u32, u32)>);

impl IdMap {
    fn check(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 || cur == 0 {
            return old == cur;
        }
        for &(o, c) in &self.0 {
            if o == old || c == cur {
                return o == old && c == cur;
            }
        }
        self.0.push((old, cur));
        true
    }
}

impl fmt::Display for Reg {
    /// Linux's form: `ctx()`, `fp-8`, `map_value(map=..,ks=4,vs=8)`, the
    /// scalar's facts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::NotInit => write!(f, "?"),
            Kind::Scalar => write!(f, "{}", self.s),
            Kind::Stack(_) if self.s.is_zero() => write!(f, "fp{}", self.off),
            k => {
                write!(f, "{}(", k.name(self.null))?;
                let mut sep = "";
                if self.id != 0 {
                    write!(f, "id={}", self.id)?;
                    sep = ",";
                }
                if self.ref_id != 0 {
                    write!(f, "{sep}ref_obj_id={}", self.ref_id)?;
                    sep = ",";
                }
                if self.off != 0 {
                    write!(f, "{sep}off={}", self.off)?;
                    sep = ",";
                }
                if matches!(k, Kind::Packet | Kind::PacketMeta) {
                    write!(f, "{sep}r={}", self.range)?;
                    sep = ",";
                }
                if let Kind::Mem(n) = k {
                    write!(f, "{sep}sz={n}")?;
                    sep = ",";
                }
                if !self.s.is_zero() {
                    write!(f, "{sep}var_off={}", self.s.var)?;
                }
                write!(f, ")")
            }
        }
    }
}

impl fmt::Display for State {
    /// Linux's state line: the initialised registers, then the stack.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let depth = self.frames.len() - 1;
        if depth > 0 {
            write!(f, "frame{depth}: ")?;
        }
        let fr = self.cur();
        let mut sep = "";
        for (i, r) in fr.regs.iter().enumerate() {
            if r.kind != Kind::NotInit {
                write!(f, "{sep}R{i}={r}")?;
                sep = " ";
            }
        }
        for (i, s) in fr.stack.iter().enumerate() {
            let off = -8 * (i as i64 + 1);
            if let Some(r) = s.spilled() {
                write!(f, "{sep}fp{off}={r}")?;
            } else if s.bytes.iter().any(|&b| b != Byte::Invalid) {
                let marks: alloc::string::String = s
                    .bytes
                    .iter()
                    .rev()
                    .map(|b| match b {
                        Byte::Invalid => '?',
                        Byte::Misc => 'm',
                        Byte::Zero => '0',
                        Byte::Spill => 'r',
                    })
                    .collect();
                write!(f, "{sep}fp{off}={marks}")?;
            } else {
                continue;
            }
            sep = " ";
        }
        Ok(())
    }
}
