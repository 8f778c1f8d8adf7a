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

/// Defines opcode constants from the description's parts.
macro_rules! opcodes {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $( $(#[$doc])* pub const $name: u8 = $value; )*
    };
}

opcodes! {
    /// 64-bit immediate load (two slots).
    LD_DW_IMM = BPF_LD | BPF_DW | BPF_IMM;
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
