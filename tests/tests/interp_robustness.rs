//! Bad input to the interpreter: random instruction streams (random bytes,
//! and random but well-formed opcodes with random operands) never panic and
//! never hang; each run ends in r0 or an error within its step budget.

use kernel_bpf::prog::insn::{self, decode, Insn};
use kernel_bpf::prog::interp::{self, mem::Memory, Env, Limits};
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

/// Programs made of helper calls with random arguments (pointers into the
/// stack and the data, or anywhere) run through the hosted bpf(2), with a
/// map of each kind to name: never a panic, an abort or a hang.
mod helpers {
    use super::*;
    use abi::{MapCreateAttr, MapType, ProgType, HELPERS};
    use tests::{code, hosted, with_maps};

    fn arg() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => (-64i64..0).prop_map(|o| format!("mov %rX, %r10\nadd %rX, {o}")),
            1 => (0i64..16).prop_map(|o| format!("mov %rX, %r6\nadd %rX, {o}")),
            2 => (0i64..5000).prop_map(|v| format!("mov %rX, {v}")),
            1 => any::<u64>().prop_map(|v| format!("lddw %rX, {v:#x}")),
            1 => (0usize..4).prop_map(|m| format!("lddw %rX, MAP{m}")),
        ]
    }

    fn call() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(
                HELPERS
                    .iter()
                    .filter(|h| h.allows(ProgType::Kprobe))
                    .map(|h| h.id)
                    .collect::<Vec<_>>(),
            ),
            proptest::collection::vec(arg(), 5),
        )
            .prop_map(|(id, args)| {
                let mut s = String::new();
                for (i, a) in args.iter().enumerate() {
                    s += &a.replace("%rX", &format!("%r{}", i + 1));
                    s.push('\n');
                }
                s + &format!("call {id}\n")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn random_helper_calls_never_panic(calls in proptest::collection::vec(call(), 1..6), data in proptest::collection::vec(any::<u8>(), 16..64)) {
            let c = hosted();
            let maps: Vec<u32> = [
                (MapType::Hash, 4, 8, 8),
                (MapType::Array, 4, 8, 4),
                (MapType::Queue, 0, 8, 4),
                (MapType::Ringbuf, 0, 0, 4096),
            ]
            .iter()
            .map(|&(t, k, v, m)| c.map_create(&MapCreateAttr { map_type: t.raw(), key_size: k, value_size: v, max_entries: m, ..Default::default() }).unwrap())
            .collect();
            let mut text = String::from("mov %r6, %r1\n") + &calls.concat() + "mov %r0, 0\nexit";
            for (i, fd) in maps.iter().enumerate() {
                text = text.replace(&format!("MAP{i}"), &fd.to_string());
            }
            // Most random arguments are refused by the verifier (with an
            // errno, not a panic); what loads runs, to any result.
            if let Ok(prog) = c.prog_load(ProgType::Kprobe, &with_maps(code(&text), &maps), "GPL") {
                let _ = c.test_run(prog, &data, 1);
            }
            tests::close_all_and_expect_none_alive(&c);
        }
    }
}
