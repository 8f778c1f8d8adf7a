//! Bad input to the interpreter: random instruction streams (random bytes,
//! and random but well-formed opcodes with random operands) never panic and
//! never hang; each run ends in r0 or an error within its step budget.

use kernel_bpf::insn::{self, decode, Insn};
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
    // Every opcode the interpreter names, plus the byte-swap and negation
    // forms it decodes by class.
    let mut known: Vec<u8> = [insn::MEMORY_AND_CONTROL, insn::ALU_AND_JUMPS].concat();
    known.extend([
        abi::BPF_ALU64 | abi::BPF_NEG,
        abi::BPF_ALU | abi::BPF_NEG,
        abi::BPF_ALU64 | abi::BPF_END,
        abi::BPF_ALU | abi::BPF_END | abi::BPF_TO_LE,
        abi::BPF_ALU | abi::BPF_END | abi::BPF_TO_BE,
        abi::BPF_ALU64 | abi::BPF_DIV | abi::BPF_K,
        abi::BPF_ALU64 | abi::BPF_MOD | abi::BPF_X,
        abi::BPF_ALU | abi::BPF_DIV | abi::BPF_X,
        abi::BPF_ALU | abi::BPF_MOD | abi::BPF_K,
        abi::BPF_ALU64 | abi::BPF_ARSH | abi::BPF_K,
        abi::BPF_ALU | abi::BPF_ARSH | abi::BPF_X,
    ]);
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
