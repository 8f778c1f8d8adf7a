//! Bad input to the interpreter: random instruction streams (random bytes,
//! and random but well-formed opcodes with random operands) never panic and
//! never hang; each run ends in r0 or an error within its step budget.

use kernel_bpf::insn::{decode, Insn};
use kernel_bpf::interp::{self, mem::Memory, Env, Limits};
use kernel_bpf::{Error, Result};
use proptest::prelude::*;

struct Helpers;

impl Env for Helpers {
    fn call(&mut self, id: u32, args: [u64; 5], _mem: &mut Memory) -> Result<u64> {
        match id {
            1..=8 => Ok(args[0] ^ u64::from(id)),
            _ => Err(Error::UnknownHelper { id }),
        }
    }
}

fn run(prog: &[Insn], data: &[u8]) -> Result<u64> {
    let mut mem = Memory::new();
    let (_, addr) = mem.own(data.to_vec(), true);
    interp::run(
        prog,
        [addr, data.len() as u64, 0, 0, 0],
        &mut mem,
        &mut Helpers,
        Limits { max_steps: 10_000 },
    )
}

/// Opcodes the interpreter knows (and some it does not), so most programs
/// get past the first instruction.
fn opcode() -> impl Strategy<Value = u8> {
    let known: Vec<u8> = vec![
        0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97,
        0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd4, 0xdc, 0xd7, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x34, 0x3c, 0x44,
        0x54, 0x64, 0x74, 0x84, 0x94, 0x9c, 0xa4, 0xb4, 0xbc, 0xc4, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91,
        0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d,
        0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x16, 0x1e,
        0x56, 0x5e, 0xa6, 0xae, 0x85, 0x8d, 0x95,
    ];
    prop_oneof![9 => proptest::sample::select(known), 1 => any::<u8>()]
}

fn insn() -> impl Strategy<Value = Insn> {
    (
        opcode(),
        0..12u8,
        0..12u8,
        prop_oneof![3 => -8i16..8, 1 => any::<i16>()],
        prop_oneof![3 => -64i32..64, 1 => any::<i32>()],
    )
        .prop_map(|(code, dst, src, off, imm)| Insn {
            code,
            dst,
            src,
            off,
            imm,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let bytes = &bytes[..bytes.len() / 8 * 8];
        let prog = decode(bytes).unwrap();
        let _ = run(&prog, &data);
    }

    #[test]
    fn random_programs_end_within_budget(prog in proptest::collection::vec(insn(), 1..64), data in proptest::collection::vec(any::<u8>(), 0..64)) {
        match run(&prog, &data) {
            Ok(_) | Err(Error::BadInstruction { .. }) | Err(Error::MemoryFault { .. }) | Err(Error::CallDepth { .. })
            | Err(Error::StepLimit) | Err(Error::UnknownHelper { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
