//! The compiled code against the interpreter, program by program.

use super::*;
use crate::hosted::Hosted;
use crate::prog::asm::assemble;
use crate::prog::interp::code::prepare;
use crate::prog::interp::Limits;
use crate::Platform;
use alloc::format;

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
            let image =
                unsafe { compile(&insns, &[], &Default::default(), &|b| host.map_code(b), blind) }.expect("compiles");
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
fn a_leaf_loads_the_arguments_it_reads() {
    // r1 is the data's address, r2 its length (3). A leaf loads at entry
    // only the arguments its first straight run does not write before
    // reading: r2 read first, read after a write of r3, after a jump (the
    // run's end), by a store, as an address; and not written at all.
    let data = [7u8, 8, 9];
    assert_eq!(same("add %r2, 1\nmov %r0, %r2\nexit", &data), 4);
    assert_eq!(same("mov %r3, 5\nmov %r0, %r2\nadd %r0, %r3\nexit", &data), 8);
    assert_eq!(same("mov %r0, 1\nja +0\nadd %r0, %r2\nexit", &data), 4);
    assert_eq!(same("mov %r0, %r2\nmov %r2, 9\nadd %r0, %r2\nexit", &data), 12);
    assert_eq!(same("mov32 %r2, 6\nmov %r0, %r2\nexit", &data), 6);
    assert_eq!(same("lddw %r2, 0x100000000\nmov %r0, %r2\nexit", &data), 1 << 32);
    assert_eq!(same("mov %r0, %r1\nsub %r0, %r1\nadd %r0, %r2\nexit", &data), 3);
}

#[test]
fn multiplies_by_constants_match_the_interpreter() {
    // Those x86_64 reduces to a `lea` or a shift, and their neighbours,
    // on values whose products wrap, in both widths, in registers of
    // each encoding (r7's, r13, takes a REX bit and, as a `lea` base, a
    // displacement byte).
    let values: [u64; 4] = [
        0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0001,
        0xfedc_ba98_7654_3210,
        0x1fff_ffff,
    ];
    for m in [2, 3, 4, 5, 6, 8, 9, 10, 1 << 30, -3, -4, -9] {
        for v in values {
            for r in ["%r0", "%r4", "%r7", "%r9"] {
                let text = format!("lddw {r}, {v:#x}\nmul {r}, {m}\nmov %r0, {r}\nexit");
                assert_eq!(same(&text, &[]), v.wrapping_mul(m as i64 as u64), "{text}");
                let text = format!("lddw {r}, {v:#x}\nmul32 {r}, {m}\nmov %r0, {r}\nexit");
                assert_eq!(same(&text, &[]), u64::from((v as u32).wrapping_mul(m as u32)), "{text}");
            }
        }
    }
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
    // Jumps back by a short distance (two bytes) and a long one (past
    // what one byte reaches), conditional and not.
    for body in [1, 60] {
        let work = "mul %r0, 3\nadd %r0, %r3\n".repeat(body);
        let loops = [
            format!("mov %r0, 1\nmov %r3, 0\nloop:\n{work}add %r3, 1\njlt %r3, 9, loop\nexit"),
            format!("mov %r0, 1\nmov %r3, 0\nloop:\n{work}add %r3, 1\njge %r3, 9, +1\nja loop\nexit"),
        ];
        for text in loops {
            same(&text, &[]);
        }
    }
}

/// A copy then an addition to it is one `lea` (`copy_add`): 64- and
/// 32-bit, a register (the copy itself too) or a constant added or
/// subtracted, bases that need a displacement byte (r7, r10); and not
/// a sign-extending copy, nor where a jump lands on the addition.
#[test]
fn copies_then_sums_match_the_interpreter() {
    assert_eq!(
        same("mov %r1, 40\nmov %r2, 2\nmov %r0, %r1\nadd %r0, %r2\nexit", &[]),
        42
    );
    assert_eq!(same("mov %r1, 40\nmov %r0, %r1\nadd %r0, %r0\nexit", &[]), 80);
    assert_eq!(same("mov %r7, 3\nmov %r0, %r7\nadd %r0, %r7\nexit", &[]), 6);
    assert_eq!(same("mov %r7, 3\nmov %r6, 4\nmov %r0, %r6\nadd %r0, %r7\nexit", &[]), 7);
    assert_eq!(same("lddw %r1, 0xffffffff\nmov32 %r0, %r1\nadd32 %r0, 1\nexit", &[]), 0);
    assert_eq!(
        same("lddw %r1, 0xfffffffe\nmov32 %r0, %r1\nadd32 %r0, %r1\nexit", &[]),
        0xffff_fffc
    );
    assert_eq!(same("mov %r1, 5\nmov %r0, %r1\nsub %r0, 7\nexit", &[]), (-2i64) as u64);
    assert_eq!(same("mov %r1, 5\nmov32 %r0, %r1\nsub32 %r0, 7\nexit", &[]), 0xffff_fffe);
    assert_eq!(
        same("mov %r1, 5\nmov32 %r0, %r1\nsub32 %r0, -2147483648\nexit", &[]),
        0x8000_0005
    );
    assert_eq!(
        same("mov %r1, 5\nmov %r0, %r1\nadd %r0, -2147483648\nexit", &[]),
        5u64.wrapping_sub(1 << 31)
    );
    assert_eq!(
        same(
            "mov %r2, %r10\nadd %r2, -8\nstdw [%r2+0], 5\nldxdw %r0, [%r10-8]\nexit",
            &[]
        ),
        5
    );
    // A sign-extending copy is not a copy.
    assert_eq!(same("mov %r1, 255\nmovsx864 %r0, %r1\nadd %r0, 2\nexit", &[]), 1);
    // The jump lands on the addition: it adds 10 to r0 as it is there.
    assert_eq!(
        same(
            "mov %r0, 1\nmov %r3, 2\njeq %r3, 2, +1\nmov %r0, %r3\nadd %r0, 10\nexit",
            &[]
        ),
        11
    );
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

#[test]
fn only_this_machines_code_is_placed() {
    let insns = assemble("mov %r0, 7\nexit").unwrap();
    let host = Hosted::new(1);
    let place = |arch: Arch| {
        // SAFETY: nothing proven; the program ends; nothing runs it.
        unsafe { compile_as(arch, &insns, &[], &Default::default(), &|b| host.map_code(b), None) }
    };
    assert_eq!(Arch::host(Some("rv64gc_zba_zbb")), Some(Arch::X86_64));
    assert!(place(Arch::X86_64).is_some());
    // riscv64 code is written here (for the tests' emulator), never placed.
    let rv = Arch::Riscv64(riscv64::Extensions::default());
    assert!(code_for(rv, &insns, &[], &Default::default(), None).is_ok_and(|c| !c.leaf && !c.bytes.is_empty()));
    assert!(place(rv).is_none());
}
