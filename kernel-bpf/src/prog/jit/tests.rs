//! The compiled code against the interpreter, program by program.

use super::*;
use crate::hosted::Hosted;
use crate::prog::asm::assemble;
use crate::prog::insn::Insn;
use crate::prog::interp::code::prepare;
use crate::prog::interp::Limits;
use crate::Platform;
use abi::*;
use alloc::format;
use proptest::strategy::Strategy;

struct NoHelpers;

impl Env for NoHelpers {
    fn call(&mut self, id: u32, args: [u64; 5], _mem: &mut Memory) -> Result<u64> {
        Ok(u64::from(id) * 1000 + args.iter().sum::<u64>())
    }
}

/// r0 of `text` run by the interpreter, compiled, and compiled with its
/// constants blinded, each with `data` as r1 (and its length as r2); a
/// fault's address is given from `data`'s start.
fn runs(text: &str, data: &[u8]) -> [Result<u64>; 3] {
    let insns = assemble(text).unwrap();
    let run = |jit: bool, blind: Option<u64>| {
        let mut code = prepare(&insns).unwrap();
        if jit {
            let host = Hosted::new(1);
            // SAFETY: nothing proven: every access is checked; the test
            // programs call at most a few frames deep and end.
            let image = unsafe { compile(&insns, &[], &|b| host.map_code(b), blind) }.expect("compiles");
            assert_eq!(undecodable(image.bytes()), None, "{text}");
            code = code.with_image(image);
        }
        let mut mem = Memory::new();
        let (_, addr) = mem.own(data.to_vec(), true);
        interp::run_code(
            &code,
            [addr, data.len() as u64, 0, 0, 0],
            &mut mem,
            &mut NoHelpers,
            Limits::default(),
        )
        .map_err(|e| match e {
            crate::Error::MemoryFault { pc, addr: a } => crate::Error::MemoryFault {
                pc,
                addr: a.wrapping_sub(addr),
            },
            e => e,
        })
    };
    [run(false, None), run(true, None), run(true, Some(0x5eed))]
}

#[track_caller]
fn same(text: &str, data: &[u8]) -> u64 {
    let [i, j, b] = runs(text, data);
    assert_eq!(format!("{i:?}"), format!("{j:?}"), "{text}");
    assert_eq!(format!("{i:?}"), format!("{b:?}"), "{text} (blinded)");
    i.unwrap_or(u64::MAX)
}

#[test]
fn arithmetic_matches_the_interpreter() {
    assert_eq!(same("mov %r0, 5\nadd %r0, 7\nexit", &[]), 12);
    same("mov %r0, -1\nmov32 %r1, 3\nmul %r0, %r1\nexit", &[]);
    same("lddw %r0, 0x123456789abcdef0\nrsh %r0, 4\narsh32 %r0, 3\nexit", &[]);
    same("mov %r0, 7\nmov %r3, 0\ndiv %r0, %r3\nexit", &[]);
    same("mov %r0, 7\nmov %r3, 0\nmod %r0, %r3\nexit", &[]);
    same("lddw %r0, 0x8000000000000000\nmov %r2, -1\nsdiv %r0, %r2\nexit", &[]);
    same("mov32 %r0, -9\nmov32 %r4, 2\nsmod32 %r0, %r4\nexit", &[]);
    same(
        "mov %r0, 100\nmov %r3, 9\nmov %r4, 3\ndiv %r3, %r4\nmod %r0, %r3\nexit",
        &[],
    );
    same(
        "lddw %r4, 0x1122334455667788\nmov %r0, %r4\nmov %r1, 12\nlsh %r4, %r1\nmov %r0, %r4\nexit",
        &[],
    );
    same("mov %r0, 3\nmov %r4, 5\nlsh %r4, %r4\nadd %r0, %r4\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nbe64 %r0\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nle32 %r0\nexit", &[]);
    same("mov %r0, -3\nneg32 %r0\nexit", &[]);
}

#[test]
fn jumps_loops_and_memory_match_the_interpreter() {
    let data: Vec<u8> = (1..=16).collect();
    assert_eq!(
        same(
            "mov %r0, 0\nmov %r3, 0\nloop:\nldxb %r4, [%r1+0]\nadd %r0, %r4\nadd %r1, 1\nadd %r3, 1\njlt %r3, 16, loop\nexit",
            &data
        ),
        136
    );
    same("ldxdw %r0, [%r1+8]\nstxw [%r1+0], %r0\nldxw %r0, [%r1+0]\nexit", &data);
    same("stdw [%r10-8], -5\nldxdw %r0, [%r10-8]\nexit", &[]);
    // A checked access out of bounds faults the same way.
    same("ldxdw %r0, [%r1+64]\nexit", &data);
    same("mov32 %r0, 1\njslt32 %r0, -1, +1\nmov %r0, 2\nexit", &[]);
}

#[test]
fn calls_match_the_interpreter() {
    // A helper call through the slow path, then a local call.
    same("mov %r1, 1\nmov %r2, 2\ncall 5\nexit", &[]);
    same(
        "mov %r6, 40\nmov %r1, 2\ncall local sub\nadd %r0, %r6\nexit\nsub:\nmov %r6, 1\nstdw [%r10-8], 3\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit",
        &[],
    );
}

/// The offset of the first byte of `code` that does not start a valid
/// x86_64 instruction, decoding from the start (so every instruction the
/// compiler wrote is one the processor reads as written).
pub(crate) fn undecodable(code: &[u8]) -> Option<usize> {
    let mut d = iced_x86::Decoder::new(64, code, iced_x86::DecoderOptions::NONE);
    let mut at = 0;
    while d.can_decode() {
        let i = d.decode();
        if i.is_invalid() {
            return Some(at);
        }
        at += i.len();
    }
    (at != code.len()).then_some(at)
}

#[test]
fn the_decoder_check_catches_a_bad_byte() {
    // push rbp; ret: fine. A lone 0x0f 0x0b is ud2 (valid); 0x06 is not
    // an instruction in 64-bit mode.
    assert_eq!(undecodable(&[0x55, 0xc3]), None);
    assert_eq!(undecodable(&[0x55, 0x06, 0xc3]), Some(1));
}

/// Values at the edges of 32 and 64 bits, and a few ordinary ones.
const EDGES: [u64; 14] = [
    0,
    1,
    2,
    7,
    0x7f,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0xffff_ffff_ffff_fffe,
    u64::MAX,
];

/// A random program of every ALU and conditional jump opcode, in both
/// widths and both source forms, on registers r0..r9 that start at edge
/// values; jumps go forward, so it ends. r0 ends as a mix of all.
fn alu_program() -> impl Strategy<Value = Vec<Insn>> {
    use crate::prog::insn::{ALU_AND_JUMPS, EXIT, LD_DW_IMM};
    let step = (
        proptest::sample::select(ALU_AND_JUMPS.to_vec()),
        0u8..10,
        0u8..10,
        proptest::sample::select(alloc::vec![
            0i32,
            1,
            -1,
            7,
            31,
            32,
            63,
            64,
            i32::MIN,
            i32::MAX,
            0x1234_5678,
            -8
        ]),
        proptest::sample::select(alloc::vec![0i16, 1, 8, 16, 32]),
        0i16..4,
    );
    (
        proptest::collection::vec(proptest::sample::select(EDGES.to_vec()), 10),
        proptest::collection::vec(step, 1..40),
    )
        .prop_map(|(init, steps)| {
            let mut p = Vec::new();
            for (r, v) in init.into_iter().enumerate() {
                p.push(Insn {
                    code: LD_DW_IMM,
                    dst: r as u8,
                    src: 0,
                    off: 0,
                    imm: v as u32 as i32,
                });
                p.push(Insn {
                    code: 0,
                    dst: 0,
                    src: 0,
                    off: 0,
                    imm: (v >> 32) as u32 as i32,
                });
            }
            let n = steps.len();
            for (k, (code, dst, src, imm, off, jump)) in steps.into_iter().enumerate() {
                let class = code & BPF_CLASS_MASK;
                let op = code & BPF_OP_MASK;
                let off = match (class, op) {
                    // Jumps forward, within the program.
                    (BPF_JMP | BPF_JMP32, _) => jump.min((n - 1 - k) as i16),
                    // The offset selects signed division and sign-extending moves.
                    (_, BPF_DIV | BPF_MOD) => i16::from(off == 1),
                    (_, BPF_MOV) if code & BPF_SRC_MASK == BPF_X => {
                        if (class == BPF_ALU && off == 32) || off == 1 {
                            0
                        } else {
                            off
                        }
                    }
                    _ => 0,
                };
                let imm = match op {
                    BPF_END => [16, 32, 64][imm.unsigned_abs() as usize % 3],
                    BPF_LSH | BPF_RSH | BPF_ARSH if code & BPF_SRC_MASK == BPF_K => {
                        imm & if class == BPF_ALU64 { 63 } else { 31 }
                    }
                    _ => imm,
                };
                p.push(Insn {
                    code,
                    dst,
                    src,
                    off,
                    imm,
                });
            }
            // r0 = r0 ^ r1 ^ ... ^ r9
            for r in 1..10 {
                p.push(Insn {
                    code: BPF_ALU64 | BPF_XOR | BPF_X,
                    dst: 0,
                    src: r,
                    off: 0,
                    imm: 0,
                });
            }
            p.push(Insn {
                code: EXIT,
                ..Insn::default()
            });
            p
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn random_alu_and_jump_programs_match_the_interpreter(p in alu_program()) {
        let host = Hosted::new(1);
        let run = |blind: Option<u64>| {
            let mut code = prepare(&p).unwrap();
            if let Some(b) = blind {
                // SAFETY: nothing proven, no calls, only forward jumps.
                let image = unsafe { compile(&p, &[], &|c| host.map_code(c), (b != 0).then_some(b)) };
                let image = image.expect("compiles");
                assert_eq!(undecodable(image.bytes()), None);
                code = code.with_image(image);
            }
            let mut mem = Memory::new();
            interp::run_code(&code, [0; 5], &mut mem, &mut NoHelpers, Limits::default())
        };
        let want = run(None);
        proptest::prop_assert_eq!(&run(Some(0)), &want, "compiled");
        proptest::prop_assert_eq!(&run(Some(0x5eed)), &want, "blinded");
    }
}
