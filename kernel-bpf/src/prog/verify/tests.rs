//! Random programs through the verifier: it never panics, and what it
//! accepts runs in the interpreter (which still checks every access)
//! without a memory fault, whatever the registers hold.

use super::*;
use crate::prog::insn::Insn;
use crate::prog::insn::*;
use crate::prog::interp::code::{prepare, Code};
use crate::prog::interp::{self, mem::Memory, Env, Limits};
use abi::{
    Helper, MapType, ProgType, SkBuff, BPF_B, BPF_CLASS_MASK, BPF_DW, BPF_H, BPF_JMP, BPF_JMP32, BPF_LDX, BPF_MEM,
    BPF_PSEUDO_MAP_FD, BPF_SRC_MASK, BPF_ST, BPF_STX, BPF_W, BPF_X, HELPERS,
};
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

/// Helpers answer with what their return type allows: numbers, and a null
/// map value (the program must have checked for it).
struct Zeros;

impl Env for Zeros {
    fn call(&mut self, id: u32, _: [u64; 5], _: &mut Memory) -> crate::Result<u64> {
        Ok(if id == Helper::MapLookupElem.raw() { 0 } else { 7 })
    }
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        dst,
        src,
        off,
        imm,
    }
}

/// One random instruction (or two, for a 64-bit load), jumping forward
/// only (loops are the suites' business: a random loop may walk the whole
/// budget).
fn slot(left: usize) -> impl Strategy<Value = Vec<Insn>> {
    let reg = 0u8..11;
    // Memory goes mostly through the stack and ctx pointers the prologue
    // sets up.
    let base = prop_oneof![3 => Just(10u8), 2 => Just(7u8), 1 => Just(6u8), 1 => 0u8..11];
    let off = prop_oneof![3 => -72i16..8, 1 => -520i16..8, 1 => Just(0), 1 => Just(4)];
    let imm = prop_oneof![any::<i32>(), -16i32..64, Just(0), Just(8)];
    let size = prop::sample::select(vec![BPF_B, BPF_H, BPF_W, BPF_DW]);
    prop_oneof![
        4 => (prop::sample::select(ALU_AND_JUMPS.to_vec()), reg.clone(), reg.clone(), imm.clone(), 0..left.max(1) as i16)
            .prop_map(|(code, d, s, k, o)| {
                let jump = matches!(code & BPF_CLASS_MASK, BPF_JMP | BPF_JMP32);
                let x = code & BPF_SRC_MASK == BPF_X;
                vec![insn(code, d, if x { s } else { 0 }, if jump { o } else { 0 }, if x { 0 } else { k })]
            }),
        2 => (size.clone(), reg.clone(), base.clone(), off.clone())
            .prop_map(|(sz, d, s, o)| vec![insn(BPF_LDX | BPF_MEM | sz, d, s, o, 0)]),
        2 => (size, base, reg.clone(), off, imm, any::<bool>()).prop_map(|(sz, d, s, o, k, x)| {
            if x {
                vec![insn(BPF_STX | BPF_MEM | sz, d, s, o, 0)]
            } else {
                vec![insn(BPF_ST | BPF_MEM | sz, d, 0, o, k)]
            }
        }),
        1 => (prop::sample::select(HELPERS.iter().map(|h| h.id).collect::<Vec<_>>()))
            .prop_map(|id| vec![insn(CALL, 0, 0, 0, id as i32)]),
        1 => (reg.clone(), 0u32..2).prop_map(|(d, m)| vec![insn(LD_DW_IMM, d, BPF_PSEUDO_MAP_FD, 0, m as i32), Insn::default()]),
        1 => reg.prop_map(|d| vec![insn(ADD64_X, d, 10, 0, 0)]),
    ]
}

fn program() -> impl Strategy<Value = Vec<Insn>> {
    prop::collection::vec(slot(8), 1..14).prop_map(|slots| {
        // A prologue: numbers in r0-r5, r8, r9; the ctx in r6; a stack
        // pointer in r7; the first 64 stack bytes written.
        let mut p: Vec<Insn> = vec![
            insn(MOV64_X, 6, 1, 0, 0),
            insn(MOV64_X, 7, 10, 0, 0),
            insn(ADD64_K, 7, 0, 0, -64),
        ];
        for r in [0, 1, 2, 3, 4, 5, 8, 9] {
            p.push(insn(MOV64_K, r, 0, 0, i32::from(r) * 4));
        }
        for k in 1..=8 {
            p.push(insn(ST_DW, 10, 0, -8 * k, 0));
        }
        p.extend(slots.concat());
        p.push(insn(MOV64_K, 0, 0, 0, 0));
        p.push(insn(EXIT, 0, 0, 0, 0));
        // Jumps that leave the program are the CFG pass's business; keep
        // them inside.
        let n = p.len() as i64;
        for (pc, i) in p.iter_mut().enumerate() {
            let jump = matches!(i.class(), BPF_JMP | BPF_JMP32) && !matches!(i.code, CALL | EXIT);
            if jump && pc as i64 + 1 + i64::from(i.off) >= n {
                i.off = 0;
            }
        }
        p
    })
}

fn maps() -> Vec<MapInfo> {
    let m = |t, k, v, n| MapInfo {
        map_type: t,
        key_size: k,
        value_size: v,
        max_entries: n,
        flags: 0,
        inner: None,
    };
    vec![m(MapType::Hash, 4, 16, 8), m(MapType::Array, 4, 16, 4)]
}

/// Verifies `p`; if it is accepted, runs it. Returns whether it was
/// accepted, or the fault and the log.
fn check(p: &[Insn]) -> Result<bool, alloc::string::String> {
    let ld: Vec<(usize, LdImm)> = p
        .iter()
        .enumerate()
        .filter(|(_, i)| i.code == LD_DW_IMM && i.src == BPF_PSEUDO_MAP_FD)
        .map(|(pc, i)| (pc, LdImm::Map(i.imm as u16)))
        .collect();
    let input = Input {
        insns: p,
        prog_type: ProgType::SocketFilter,
        gpl: true,
        maps: maps(),
        ld,
    };
    let mut log = Log::new(1);
    if let Ok(verified) = verify(&input, &mut log) {
        // The interpreter does not know map handles: loads of maps
        // become numbers, which the verifier never let a program use
        // as memory anyway.
        let runnable: Vec<Insn> = p
            .iter()
            .map(|i| if i.code == LD_DW_IMM { Insn { src: 0, ..*i } } else { *i })
            .collect();
        let checked = prepare(&runnable).unwrap();
        // SAFETY: `verified` is the verifier's proof for these
        // instructions, which use no map values (a proof that is wrong is
        // what this test looks for: the checked run below faults first,
        // and AddressSanitizer's run catches a stray access).
        #[allow(unsafe_code)]
        let trusted = unsafe { checked.clone().verified().trust(&verified.proven) };
        // Contexts of several fillings, so data-dependent paths run.
        for fill in [0u8, 0xff, 0x07, 0x80, 0x3c, 0x01, 0xfe, 0x55] {
            let ctx_bytes: Vec<u8> = (0..core::mem::size_of::<SkBuff>())
                .map(|k| fill.rotate_left(k as u32))
                .collect();
            // Both codes run on the same memory (the same stack and
            // context addresses), since a program may return a pointer.
            let mut mem = Memory::new();
            let (h, ctx) = mem.own(ctx_bytes.clone(), true);
            let mut run = |code: &Code| {
                if let Some(b) = mem.buffer(h) {
                    b.copy_from_slice(&ctx_bytes);
                }
                let r = interp::run_code(code, [ctx, 0, 0, 0, 0], &mut mem, &mut Zeros, Limits::default());
                (r, mem.buffer(h).map(|b| b.to_vec()))
            };
            let (r, ctx_after) = run(&checked);
            if let Err(e @ crate::Error::MemoryFault { .. }) = r {
                return Err(alloc::format!(
                    "verified, then faulted (ctx filled {fill:#x}): {e:?}\n{}",
                    log.text()
                ));
            }
            // The proven accesses, unchecked, do what the checked ones did.
            let want = (r, ctx_after);
            if run(&trusted) != want {
                return Err(alloc::format!(
                    "trusted code differs (ctx filled {fill:#x})\n{}",
                    log.text()
                ));
            }
            // The riscv64 back end compiles it too (its code runs under an
            // emulator in the tests crate), into instructions of exactly
            // RV64IMA, or with Zba and Zbb when asked (blinded then).
            #[cfg(feature = "std")]
            if fill == 0 {
                use crate::prog::jit::riscv64::{self, Extensions};
                use crate::prog::jit::{code_for, Arch};
                for ext in [Extensions::default(), Extensions { zba: true, zbb: true }] {
                    let blind = ext.zbb.then_some(0x0b1d);
                    let code = code_for(
                        Arch::Riscv64(ext),
                        &runnable,
                        &verified.proven,
                        &Default::default(),
                        blind,
                    )
                    .map_err(|e| alloc::format!("verified, but not compiled for riscv64 ({ext:?}): {e}"))?
                    .bytes;
                    if let Some(bad) = riscv64::tests::undecodable(&code, ext) {
                        return Err(alloc::format!(
                            "riscv64 code ({ext:?}) does not decode at byte {bad}\n{}",
                            log.text()
                        ));
                    }
                }
            }
            // And so does the compiled code, which makes them directly.
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            {
                use crate::Platform;
                let host = crate::hosted::Hosted::new(1);
                // Every other filling, with the constants blinded.
                let blind = Some(u64::from(fill).wrapping_mul(0x9e37_79b9_7f4a_7c15)).filter(|_| fill & 1 == 1);
                // SAFETY: as for `trusted` above.
                #[allow(unsafe_code)]
                let image = unsafe {
                    crate::prog::jit::compile(
                        &runnable,
                        &verified.proven,
                        &Default::default(),
                        &|b| host.map_code(b),
                        blind,
                    )
                };
                let Some(image) = image else {
                    return Err(alloc::format!("verified, but not compiled\n{}", log.text()));
                };
                if let Some(bad) = crate::prog::jit::tests::undecodable(image.bytes()) {
                    return Err(alloc::format!(
                        "compiled code does not decode at byte {bad}\n{}",
                        log.text()
                    ));
                }
                if run(&trusted.clone().with_image(image)) != want {
                    return Err(alloc::format!(
                        "compiled code differs (ctx filled {fill:#x})\n{}",
                        log.text()
                    ));
                }
            }
        }
        return Ok(true);
    }
    Ok(false)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_programs_verify_cleanly_and_accepted_ones_never_fault(p in program()) {
        if let Err(e) = check(&p) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn enough_random_programs_are_accepted_to_mean_something() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let n = 2000;
    let accepted = (0..n)
        .filter(|_| check(&program().new_tree(&mut runner).unwrap().current()) == Ok(true))
        .count();
    assert!(accepted * 20 >= n, "only {accepted} of {n} random programs verified");
}

#[test]
fn stack_and_map_value_accesses_are_proven_and_context_ones_not() {
    let p = [
        insn(MOV64_X, 6, 1, 0, 0),
        insn(ST_W, 10, 0, -4, 0),
        insn(MOV64_X, 2, 10, 0, 0),
        insn(ADD64_K, 2, 0, 0, -4),
        insn(LD_DW_IMM, 1, BPF_PSEUDO_MAP_FD, 0, 1),
        Insn::default(),
        insn(CALL, 0, 0, 0, Helper::MapLookupElem.raw() as i32),
        insn(JEQ_K, 0, 0, 2, 0),
        insn(LDX_DW, 0, 0, 8, 0),
        insn(STX_DW, 10, 0, -16, 0),
        insn(LDX_W, 1, 6, 0, 0),
        insn(MOV64_K, 0, 0, 0, 0),
        insn(EXIT, 0, 0, 0, 0),
    ];
    let input = Input {
        insns: &p,
        prog_type: ProgType::SocketFilter,
        gpl: true,
        maps: maps(),
        ld: vec![(4, LdImm::Map(1))],
    };
    let v = verify(&input, &mut Log::new(0)).unwrap();
    let proven: Vec<usize> = (0..p.len()).filter(|&pc| v.proven[pc]).collect();
    // The stack store, the map value load and the stack spill; not the
    // context load.
    assert_eq!(proven, [1, 8, 9]);
}

#[test]
fn an_access_that_reaches_a_packet_on_one_path_is_not_proven() {
    // r2 is the stack on one path and the packet on the other; the load
    // through it is checked at run time.
    let p = [
        insn(MOV64_X, 2, 10, 0, 0),
        insn(ADD64_K, 2, 0, 0, -8),
        insn(ST_DW, 10, 0, -8, 0),
        insn(LDX_W, 3, 1, 76, 0),
        insn(LDX_W, 4, 1, 80, 0),
        insn(MOV64_X, 5, 3, 0, 0),
        insn(ADD64_K, 5, 0, 0, 8),
        insn(JGT_X, 5, 4, 1, 0),
        insn(MOV64_X, 2, 3, 0, 0),
        insn(LDX_W, 0, 2, 0, 0),
        insn(EXIT, 0, 0, 0, 0),
    ];
    let input = Input {
        insns: &p,
        prog_type: ProgType::SchedCls,
        gpl: true,
        maps: Vec::new(),
        ld: Vec::new(),
    };
    let mut log = Log::new(1);
    let v = verify(&input, &mut log).unwrap_or_else(|e| panic!("{e:?}\n{}", log.text()));
    assert!(v.proven[2], "the stack store");
    assert!(!v.proven[9], "the load that may reach the packet");
}
