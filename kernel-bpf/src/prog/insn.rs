//! Instructions: decoding into a plain [`Insn`], and every opcode the
//! interpreter knows, built from the generated encoding constants (no
//! opcode number is written here by hand).

use crate::error::{Error, Result};
use abi::*;
use alloc::vec::Vec;
use zerocopy::FromBytes;

/// One decoded instruction slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    /// Opcode.
    pub code: u8,
    /// Destination register.
    pub dst: u8,
    /// Source register.
    pub src: u8,
    /// Signed offset.
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// Size of one slot in bytes.
    pub const SIZE: usize = core::mem::size_of::<abi::Insn>();

    /// The class bits.
    pub fn class(&self) -> u8 {
        self.code & BPF_CLASS_MASK
    }

    /// Encodes the slot as Linux lays out `struct bpf_insn`.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut raw = abi::Insn {
            code: self.code,
            regs: 0,
            off: self.off,
            imm: self.imm,
        };
        raw.set_dst_reg(self.dst);
        raw.set_src_reg(self.src);
        let mut out = [0u8; 8];
        out.copy_from_slice(zerocopy::IntoBytes::as_bytes(&raw));
        out
    }

    /// Whether this is the first slot of a 64-bit immediate load.
    pub fn is_lddw(&self) -> bool {
        self.code == LD_DW_IMM
    }
}

/// Bytes a load, store or atomic of opcode `code` moves (its size field).
pub const fn access_size(code: u8) -> u8 {
    match code & BPF_SIZE_MASK {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    }
}

/// Decodes instruction bytes (a whole number of 8-byte slots).
///
/// # Errors
/// [`Error::InvalidArgument`] if the length is not a multiple of 8.
pub fn decode(bytes: &[u8]) -> Result<Vec<Insn>> {
    if bytes.len() % Insn::SIZE != 0 {
        return Err(Error::InvalidArgument);
    }
    let mut out = Vec::new();
    out.try_reserve_exact(bytes.len() / Insn::SIZE)
        .map_err(|_| Error::NoMemory)?;
    for slot in bytes.chunks_exact(Insn::SIZE) {
        let raw = abi::Insn::read_from_bytes(slot).map_err(|_| Error::InvalidArgument)?;
        out.push(Insn {
            code: raw.code,
            dst: raw.dst_reg(),
            src: raw.src_reg(),
            off: raw.off,
            imm: raw.imm,
        });
    }
    Ok(out)
}

/// Encodes instructions into bytes.
pub fn encode(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.to_bytes()).collect()
}

/// Whether `i`'s opcode is one Linux knows (its `bpf_opcode_in_insntable`):
/// the verifier refuses the others before anything else.
pub fn known_opcode(i: &Insn) -> bool {
    let code = i.code;
    let op = code & BPF_OP_MASK;
    let x = code & BPF_SRC_MASK == BPF_X;
    let size = code & BPF_SIZE_MASK;
    let mode = code & BPF_MODE_MASK;
    match i.class() {
        BPF_ALU | BPF_ALU64 => match op {
            BPF_NEG => !x,
            BPF_END => i.class() == BPF_ALU || !x,
            _ => op <= BPF_END,
        },
        BPF_JMP | BPF_JMP32 => match op {
            BPF_JA => !x,
            BPF_CALL | BPF_EXIT => i.class() == BPF_JMP && !x,
            _ => op <= BPF_JSLE,
        },
        BPF_LD => code == LD_DW_IMM || (matches!(mode, BPF_ABS | BPF_IND) && size != BPF_DW),
        BPF_LDX => mode == BPF_MEM || (mode == BPF_MEMSX && size != BPF_DW),
        BPF_ST => mode == BPF_MEM,
        _ => mode == BPF_MEM || (mode == BPF_ATOMIC && matches!(size, BPF_W | BPF_DW)),
    }
}

/// Defines opcode constants from the description's parts, and a list of them.
macro_rules! opcodes {
    ($(#[$ldoc:meta])* $list:ident: $($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $( $(#[$doc])* pub const $name: u8 = $value; )*
        $(#[$ldoc])*
        pub const $list: &[u8] = &[$($name),*];
    };
}

opcodes! {
    /// The load, store, atomic and control opcodes named here.
    MEMORY_AND_CONTROL:
    /// 64-bit immediate load (two slots).
    LD_DW_IMM = BPF_LD | BPF_DW | BPF_IMM;
    /// Legacy packet load of a byte at a constant offset.
    LD_ABS_B = BPF_LD | BPF_B | BPF_ABS;
    /// Legacy packet load of a half word at a constant offset.
    LD_ABS_H = BPF_LD | BPF_H | BPF_ABS;
    /// Legacy packet load of a word at a constant offset.
    LD_ABS_W = BPF_LD | BPF_W | BPF_ABS;
    /// Legacy packet load of a byte at a register plus an offset.
    LD_IND_B = BPF_LD | BPF_B | BPF_IND;
    /// Legacy packet load of a half word at a register plus an offset.
    LD_IND_H = BPF_LD | BPF_H | BPF_IND;
    /// Legacy packet load of a word at a register plus an offset.
    LD_IND_W = BPF_LD | BPF_W | BPF_IND;
    /// Load a byte.
    LDX_B = BPF_LDX | BPF_B | BPF_MEM;
    /// Load a half word.
    LDX_H = BPF_LDX | BPF_H | BPF_MEM;
    /// Load a word.
    LDX_W = BPF_LDX | BPF_W | BPF_MEM;
    /// Load a double word.
    LDX_DW = BPF_LDX | BPF_DW | BPF_MEM;
    /// Load a sign-extended byte.
    LDXS_B = BPF_LDX | BPF_B | BPF_MEMSX;
    /// Load a sign-extended half word.
    LDXS_H = BPF_LDX | BPF_H | BPF_MEMSX;
    /// Load a sign-extended word.
    LDXS_W = BPF_LDX | BPF_W | BPF_MEMSX;
    /// Store an immediate byte.
    ST_B = BPF_ST | BPF_B | BPF_MEM;
    /// Store an immediate half word.
    ST_H = BPF_ST | BPF_H | BPF_MEM;
    /// Store an immediate word.
    ST_W = BPF_ST | BPF_W | BPF_MEM;
    /// Store an immediate double word.
    ST_DW = BPF_ST | BPF_DW | BPF_MEM;
    /// Store a register byte.
    STX_B = BPF_STX | BPF_B | BPF_MEM;
    /// Store a register half word.
    STX_H = BPF_STX | BPF_H | BPF_MEM;
    /// Store a register word.
    STX_W = BPF_STX | BPF_W | BPF_MEM;
    /// Store a register double word.
    STX_DW = BPF_STX | BPF_DW | BPF_MEM;
    /// 32-bit atomic operation.
    ATOMIC_W = BPF_STX | BPF_W | BPF_ATOMIC;
    /// 64-bit atomic operation.
    ATOMIC_DW = BPF_STX | BPF_DW | BPF_ATOMIC;
    /// Unconditional jump (16-bit offset).
    JA = BPF_JMP | BPF_JA;
    /// Unconditional jump with the offset in the immediate.
    JA32 = BPF_JMP32 | BPF_JA;
    /// Helper, local or kfunc call.
    CALL = BPF_JMP | BPF_CALL;
    /// Call through a register (callx).
    CALLX = BPF_JMP | BPF_CALL | BPF_X;
    /// Return.
    EXIT = BPF_JMP | BPF_EXIT;
}

opcodes! {
    /// The ALU and conditional jump opcodes named here.
    ALU_AND_JUMPS:
    /// `BPF_ALU | BPF_ADD | BPF_K`.
    ADD32_K = BPF_ALU | BPF_ADD | BPF_K;
    /// `BPF_ALU | BPF_ADD | BPF_X`.
    ADD32_X = BPF_ALU | BPF_ADD | BPF_X;
    /// `BPF_ALU64 | BPF_ADD | BPF_K`.
    ADD64_K = BPF_ALU64 | BPF_ADD | BPF_K;
    /// `BPF_ALU64 | BPF_ADD | BPF_X`.
    ADD64_X = BPF_ALU64 | BPF_ADD | BPF_X;
    /// `BPF_ALU | BPF_AND | BPF_K`.
    AND32_K = BPF_ALU | BPF_AND | BPF_K;
    /// `BPF_ALU | BPF_AND | BPF_X`.
    AND32_X = BPF_ALU | BPF_AND | BPF_X;
    /// `BPF_ALU64 | BPF_AND | BPF_K`.
    AND64_K = BPF_ALU64 | BPF_AND | BPF_K;
    /// `BPF_ALU64 | BPF_AND | BPF_X`.
    AND64_X = BPF_ALU64 | BPF_AND | BPF_X;
    /// `BPF_ALU64 | BPF_ARSH | BPF_K`.
    ARSH64_K = BPF_ALU64 | BPF_ARSH | BPF_K;
    /// `BPF_ALU64 | BPF_ARSH | BPF_X`.
    ARSH64_X = BPF_ALU64 | BPF_ARSH | BPF_X;
    /// `BPF_JMP32 | BPF_JEQ | BPF_K`.
    JEQ32_K = BPF_JMP32 | BPF_JEQ | BPF_K;
    /// `BPF_JMP32 | BPF_JEQ | BPF_X`.
    JEQ32_X = BPF_JMP32 | BPF_JEQ | BPF_X;
    /// `BPF_JMP | BPF_JEQ | BPF_K`.
    JEQ_K = BPF_JMP | BPF_JEQ | BPF_K;
    /// `BPF_JMP | BPF_JEQ | BPF_X`.
    JEQ_X = BPF_JMP | BPF_JEQ | BPF_X;
    /// `BPF_JMP32 | BPF_JGE | BPF_K`.
    JGE32_K = BPF_JMP32 | BPF_JGE | BPF_K;
    /// `BPF_JMP32 | BPF_JGE | BPF_X`.
    JGE32_X = BPF_JMP32 | BPF_JGE | BPF_X;
    /// `BPF_JMP | BPF_JGE | BPF_K`.
    JGE_K = BPF_JMP | BPF_JGE | BPF_K;
    /// `BPF_JMP | BPF_JGE | BPF_X`.
    JGE_X = BPF_JMP | BPF_JGE | BPF_X;
    /// `BPF_JMP32 | BPF_JGT | BPF_K`.
    JGT32_K = BPF_JMP32 | BPF_JGT | BPF_K;
    /// `BPF_JMP32 | BPF_JGT | BPF_X`.
    JGT32_X = BPF_JMP32 | BPF_JGT | BPF_X;
    /// `BPF_JMP | BPF_JGT | BPF_K`.
    JGT_K = BPF_JMP | BPF_JGT | BPF_K;
    /// `BPF_JMP | BPF_JGT | BPF_X`.
    JGT_X = BPF_JMP | BPF_JGT | BPF_X;
    /// `BPF_JMP32 | BPF_JLE | BPF_K`.
    JLE32_K = BPF_JMP32 | BPF_JLE | BPF_K;
    /// `BPF_JMP32 | BPF_JLE | BPF_X`.
    JLE32_X = BPF_JMP32 | BPF_JLE | BPF_X;
    /// `BPF_JMP | BPF_JLE | BPF_K`.
    JLE_K = BPF_JMP | BPF_JLE | BPF_K;
    /// `BPF_JMP | BPF_JLE | BPF_X`.
    JLE_X = BPF_JMP | BPF_JLE | BPF_X;
    /// `BPF_JMP32 | BPF_JLT | BPF_K`.
    JLT32_K = BPF_JMP32 | BPF_JLT | BPF_K;
    /// `BPF_JMP32 | BPF_JLT | BPF_X`.
    JLT32_X = BPF_JMP32 | BPF_JLT | BPF_X;
    /// `BPF_JMP | BPF_JLT | BPF_K`.
    JLT_K = BPF_JMP | BPF_JLT | BPF_K;
    /// `BPF_JMP | BPF_JLT | BPF_X`.
    JLT_X = BPF_JMP | BPF_JLT | BPF_X;
    /// `BPF_JMP32 | BPF_JNE | BPF_K`.
    JNE32_K = BPF_JMP32 | BPF_JNE | BPF_K;
    /// `BPF_JMP32 | BPF_JNE | BPF_X`.
    JNE32_X = BPF_JMP32 | BPF_JNE | BPF_X;
    /// `BPF_JMP | BPF_JNE | BPF_K`.
    JNE_K = BPF_JMP | BPF_JNE | BPF_K;
    /// `BPF_JMP | BPF_JNE | BPF_X`.
    JNE_X = BPF_JMP | BPF_JNE | BPF_X;
    /// `BPF_JMP32 | BPF_JSET | BPF_K`.
    JSET32_K = BPF_JMP32 | BPF_JSET | BPF_K;
    /// `BPF_JMP32 | BPF_JSET | BPF_X`.
    JSET32_X = BPF_JMP32 | BPF_JSET | BPF_X;
    /// `BPF_JMP | BPF_JSET | BPF_K`.
    JSET_K = BPF_JMP | BPF_JSET | BPF_K;
    /// `BPF_JMP | BPF_JSET | BPF_X`.
    JSET_X = BPF_JMP | BPF_JSET | BPF_X;
    /// `BPF_JMP32 | BPF_JSGE | BPF_K`.
    JSGE32_K = BPF_JMP32 | BPF_JSGE | BPF_K;
    /// `BPF_JMP32 | BPF_JSGE | BPF_X`.
    JSGE32_X = BPF_JMP32 | BPF_JSGE | BPF_X;
    /// `BPF_JMP | BPF_JSGE | BPF_K`.
    JSGE_K = BPF_JMP | BPF_JSGE | BPF_K;
    /// `BPF_JMP | BPF_JSGE | BPF_X`.
    JSGE_X = BPF_JMP | BPF_JSGE | BPF_X;
    /// `BPF_JMP32 | BPF_JSGT | BPF_K`.
    JSGT32_K = BPF_JMP32 | BPF_JSGT | BPF_K;
    /// `BPF_JMP32 | BPF_JSGT | BPF_X`.
    JSGT32_X = BPF_JMP32 | BPF_JSGT | BPF_X;
    /// `BPF_JMP | BPF_JSGT | BPF_K`.
    JSGT_K = BPF_JMP | BPF_JSGT | BPF_K;
    /// `BPF_JMP | BPF_JSGT | BPF_X`.
    JSGT_X = BPF_JMP | BPF_JSGT | BPF_X;
    /// `BPF_JMP32 | BPF_JSLE | BPF_K`.
    JSLE32_K = BPF_JMP32 | BPF_JSLE | BPF_K;
    /// `BPF_JMP32 | BPF_JSLE | BPF_X`.
    JSLE32_X = BPF_JMP32 | BPF_JSLE | BPF_X;
    /// `BPF_JMP | BPF_JSLE | BPF_K`.
    JSLE_K = BPF_JMP | BPF_JSLE | BPF_K;
    /// `BPF_JMP | BPF_JSLE | BPF_X`.
    JSLE_X = BPF_JMP | BPF_JSLE | BPF_X;
    /// `BPF_JMP32 | BPF_JSLT | BPF_K`.
    JSLT32_K = BPF_JMP32 | BPF_JSLT | BPF_K;
    /// `BPF_JMP32 | BPF_JSLT | BPF_X`.
    JSLT32_X = BPF_JMP32 | BPF_JSLT | BPF_X;
    /// `BPF_JMP | BPF_JSLT | BPF_K`.
    JSLT_K = BPF_JMP | BPF_JSLT | BPF_K;
    /// `BPF_JMP | BPF_JSLT | BPF_X`.
    JSLT_X = BPF_JMP | BPF_JSLT | BPF_X;
    /// `BPF_ALU | BPF_LSH | BPF_K`.
    LSH32_K = BPF_ALU | BPF_LSH | BPF_K;
    /// `BPF_ALU | BPF_LSH | BPF_X`.
    LSH32_X = BPF_ALU | BPF_LSH | BPF_X;
    /// `BPF_ALU64 | BPF_LSH | BPF_K`.
    LSH64_K = BPF_ALU64 | BPF_LSH | BPF_K;
    /// `BPF_ALU64 | BPF_LSH | BPF_X`.
    LSH64_X = BPF_ALU64 | BPF_LSH | BPF_X;
    /// `BPF_ALU | BPF_MOV | BPF_K`.
    MOV32_K = BPF_ALU | BPF_MOV | BPF_K;
    /// `BPF_ALU | BPF_MOV | BPF_X`.
    MOV32_X = BPF_ALU | BPF_MOV | BPF_X;
    /// `BPF_ALU64 | BPF_MOV | BPF_K`.
    MOV64_K = BPF_ALU64 | BPF_MOV | BPF_K;
    /// `BPF_ALU64 | BPF_MOV | BPF_X`.
    MOV64_X = BPF_ALU64 | BPF_MOV | BPF_X;
    /// `BPF_ALU | BPF_MUL | BPF_K`.
    MUL32_K = BPF_ALU | BPF_MUL | BPF_K;
    /// `BPF_ALU | BPF_MUL | BPF_X`.
    MUL32_X = BPF_ALU | BPF_MUL | BPF_X;
    /// `BPF_ALU64 | BPF_MUL | BPF_K`.
    MUL64_K = BPF_ALU64 | BPF_MUL | BPF_K;
    /// `BPF_ALU64 | BPF_MUL | BPF_X`.
    MUL64_X = BPF_ALU64 | BPF_MUL | BPF_X;
    /// `BPF_ALU | BPF_OR | BPF_K`.
    OR32_K = BPF_ALU | BPF_OR | BPF_K;
    /// `BPF_ALU | BPF_OR | BPF_X`.
    OR32_X = BPF_ALU | BPF_OR | BPF_X;
    /// `BPF_ALU64 | BPF_OR | BPF_K`.
    OR64_K = BPF_ALU64 | BPF_OR | BPF_K;
    /// `BPF_ALU64 | BPF_OR | BPF_X`.
    OR64_X = BPF_ALU64 | BPF_OR | BPF_X;
    /// `BPF_ALU | BPF_RSH | BPF_K`.
    RSH32_K = BPF_ALU | BPF_RSH | BPF_K;
    /// `BPF_ALU | BPF_RSH | BPF_X`.
    RSH32_X = BPF_ALU | BPF_RSH | BPF_X;
    /// `BPF_ALU64 | BPF_RSH | BPF_K`.
    RSH64_K = BPF_ALU64 | BPF_RSH | BPF_K;
    /// `BPF_ALU64 | BPF_RSH | BPF_X`.
    RSH64_X = BPF_ALU64 | BPF_RSH | BPF_X;
    /// `BPF_ALU | BPF_SUB | BPF_K`.
    SUB32_K = BPF_ALU | BPF_SUB | BPF_K;
    /// `BPF_ALU | BPF_SUB | BPF_X`.
    SUB32_X = BPF_ALU | BPF_SUB | BPF_X;
    /// `BPF_ALU64 | BPF_SUB | BPF_K`.
    SUB64_K = BPF_ALU64 | BPF_SUB | BPF_K;
    /// `BPF_ALU64 | BPF_SUB | BPF_X`.
    SUB64_X = BPF_ALU64 | BPF_SUB | BPF_X;
    /// `BPF_ALU | BPF_XOR | BPF_K`.
    XOR32_K = BPF_ALU | BPF_XOR | BPF_K;
    /// `BPF_ALU | BPF_XOR | BPF_X`.
    XOR32_X = BPF_ALU | BPF_XOR | BPF_X;
    /// `BPF_ALU64 | BPF_XOR | BPF_K`.
    XOR64_K = BPF_ALU64 | BPF_XOR | BPF_K;
    /// `BPF_ALU64 | BPF_XOR | BPF_X`.
    XOR64_X = BPF_ALU64 | BPF_XOR | BPF_X;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_with_linux_layout() {
        let i = Insn {
            code: BPF_ALU64 | BPF_MOV | BPF_K,
            dst: 3,
            src: 10,
            off: -2,
            imm: -7,
        };
        let b = i.to_bytes();
        assert_eq!(b[0], 0xb7);
        assert_eq!(b[1], 0xa3, "dst in the low nibble, src in the high one");
        assert_eq!(decode(&b).unwrap(), [i]);
        assert_eq!(decode(&b[..7]), Err(Error::InvalidArgument));
    }
}
