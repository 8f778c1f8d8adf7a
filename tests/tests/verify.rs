//! The verifier's passes against Linux's verifier. So far: the control
//! flow (subprograms, jump ranges, last instructions, reachability, jumps
//! into 64-bit loads): on generated programs, every program Linux refuses
//! for its control flow is refused here with the same log line, and every
//! program Linux loads loads here.

use abi::ProgType;
use kernel_bpf::prog::insn::{encode, Insn};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tests::{close_all_and_expect_none_alive, hosted, linux_bpf};

/// The control-flow lines of Linux's log.
const CFG_LINES: &[&str] = &[
    "jump out of range from insn",
    "unreachable insn",
    "last insn is not an exit or jmp",
    "jump into the middle of ldimm64 insn",
    "call to invalid destination",
];

#[derive(Clone, Debug)]
enum Slot {
    Add,
    Jeq(i32, i16),
    Ja(i16),
    Exit,
    Lddw,
    Call(i32),
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![
        4 => Just(Slot::Add),
        3 => (0i32..4, -4i16..7).prop_map(|(k, o)| Slot::Jeq(k, o)),
        1 => (-3i16..6).prop_map(Slot::Ja),
        2 => Just(Slot::Exit),
        1 => Just(Slot::Lddw),
        1 => (-2i32..8).prop_map(Slot::Call),
    ]
}

/// `mov r0, 0`, the slots, and maybe a final `exit`.
fn program(slots: &[Slot], final_exit: bool) -> Vec<Insn> {
    let mut p = vec![Insn {
        code: 0xb7,
        ..Insn::default()
    }];
    for s in slots {
        match *s {
            Slot::Add => p.push(Insn {
                code: 0x07,
                imm: 1,
                ..Insn::default()
            }),
            Slot::Jeq(k, off) => p.push(Insn {
                code: 0x15,
                imm: k,
                off,
                ..Insn::default()
            }),
            Slot::Ja(off) => p.push(Insn {
                code: 0x05,
                off,
                ..Insn::default()
            }),
            Slot::Exit => p.push(Insn {
                code: 0x95,
                ..Insn::default()
            }),
            Slot::Lddw => {
                p.push(Insn {
                    code: 0x18,
                    imm: 7,
                    ..Insn::default()
                });
                p.push(Insn::default());
            }
            Slot::Call(imm) => p.push(Insn {
                code: 0x85,
                src: abi::BPF_PSEUDO_CALL,
                imm,
                ..Insn::default()
            }),
        }
    }
    if final_exit {
        p.push(Insn {
            code: 0x95,
            ..Insn::default()
        });
    }
    p
}

static COMPARED: AtomicUsize = AtomicUsize::new(0);
static CFG_REFUSED: AtomicUsize = AtomicUsize::new(0);
static OTHER: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn control_flow_decisions_match_linux(slots in proptest::collection::vec(slot(), 0..10), final_exit in any::<bool>()) {
        let Some(linux) = linux_bpf("control_flow_decisions_match_linux") else { return Ok(()) };
        let code = encode(&program(&slots, final_exit));
        let l = linux.prog_load_named(ProgType::SocketFilter, &code, "GPL", "cfg");
        let c = hosted();
        let o = c.prog_load_named(ProgType::SocketFilter, &code, "GPL", "cfg");
        match &l {
            Ok(fd) => {
                let _ = linux.close(*fd);
                COMPARED.fetch_add(1, Ordering::Relaxed);
                prop_assert!(o.is_ok(), "Linux loads it, we refuse: {:?}\n{:?}", o, slots);
            }
            Err((errno, log)) => match log.lines().find(|line| CFG_LINES.iter().any(|p| line.starts_with(p))) {
                Some(line) => {
                    CFG_REFUSED.fetch_add(1, Ordering::Relaxed);
                    let (oe, olog) = o.as_ref().expect_err("Linux refuses its control flow");
                    prop_assert_eq!((errno, line), (oe, olog.lines().next().unwrap_or("")), "{:?}", slots);
                }
                // Refused for what a later pass checks (loops that may not end, ...).
                None => {
                    OTHER.fetch_add(1, Ordering::Relaxed);
                }
            },
        }
        close_all_and_expect_none_alive(&c);
    }
}

#[test]
fn zz_counts() {
    println!(
        "control flow vs Linux so far: {} loaded alike, {} refused alike for their control flow, {} refused by Linux's later passes",
        COMPARED.load(Ordering::Relaxed),
        CFG_REFUSED.load(Ordering::Relaxed),
        OTHER.load(Ordering::Relaxed)
    );
}

/// The helper lists of the description (`#[progs]`) say for each helper
/// and each program type we run what Linux's verifier says: whether the
/// type may call it at all ("program of this type cannot use helper").
#[test]
fn helper_lists_match_linux() {
    let Some(linux) = linux_bpf("helper_lists_match_linux") else {
        return;
    };
    let types = [
        ProgType::SocketFilter,
        ProgType::SchedCls,
        ProgType::SchedAct,
        ProgType::Xdp,
        ProgType::Kprobe,
        ProgType::Tracepoint,
        ProgType::RawTracepoint,
        ProgType::RawTracepointWritable,
        ProgType::PerfEvent,
    ];
    let mut diffs = Vec::new();
    for h in abi::HELPERS {
        for t in types {
            // Arguments are all 0: a type that may call the helper refuses
            // them for their kinds, with another line.
            let text = format!(
                "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall {}\nmov %r0, 0\nexit",
                h.id
            );
            let r = linux.prog_load_named(t, &tests::code(&text), "GPL", "helper");
            let refused =
                matches!(&r, Err((_, log)) if log.contains("cannot use helper") || log.contains("unknown func"));
            if let Ok(fd) = r {
                let _ = linux.close(fd);
            }
            if refused == h.allows(t) {
                diffs.push(format!(
                    "bpf_{} in {t:?}: Linux allows it: {}, ours: {}",
                    h.name,
                    !refused,
                    h.allows(t)
                ));
            }
        }
    }
    println!(
        "helper lists: {} helpers x {} program types compared",
        abi::HELPERS.len(),
        types.len()
    );
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// A load with a log level and size: its result and its log.
type Loader<'a> = &'a dyn Fn(&[u8], u32, u32) -> (Result<u32, i32>, String);

/// The log's levels and a buffer too small for it, in both kernels: level
/// 1 shows the path to a refusal with Linux's disassembly, level 2 the
/// registers, and a cut log fails the load with ENOSPC, good or bad.
#[test]
fn log_levels_and_short_buffers_behave_as_linux() {
    let filler = "mov %r1, 1\n".repeat(30);
    let bad = tests::code(&format!("{filler}ldxw %r0, [%r1+0]\nexit"));
    let good = tests::code(&format!("{filler}mov %r0, 0\nexit"));
    let host = hosted();
    let linux = linux_bpf("verifier log");
    let t = ProgType::SocketFilter;
    let runs = |c: Loader<'_>| {
        let (r1, log1) = c(&bad, 1, 1 << 20);
        let (r2, log2) = c(&good, 2, 1 << 20);
        let (r3, log3) = c(&bad, 1, 128);
        let (r4, _) = c(&good, 2, 128);
        // Buffers of any size are taken (Linux 6.4 on), however short.
        let (r5, _) = c(&bad, 1, 16);
        let (r6, _) = c(&good, 2, 1);
        (
            r1.map(|_| ()),
            log1,
            r2.map(|_| ()),
            log2,
            r3.map(|_| ()),
            log3,
            r4.map(|_| ()),
            (r5.map(|_| ()), r6.map(|_| ())),
        )
    };
    let ours = runs(&|p, level, size| host.prog_load_log(t, p, "GPL", level, size));
    let (r1, log1, r2, log2, r3, log3, r4, short) = ours.clone();
    let nospc = Err(abi::Errno::ENOSPC.raw());
    assert_eq!(short, (nospc, nospc), "16 and 1 bytes are buffers too short");
    assert_eq!(r1, Err(abi::Errno::EACCES.raw()));
    assert!(log1.contains("30: (61) r0 = *(u32 *)(r1 +0)"), "{log1}");
    assert!(log1.contains("R1 invalid mem access 'scalar'"), "{log1}");
    assert!(r2.is_ok(), "{log2}");
    assert!(log2.contains("R1=ctx()") && log2.contains("R10=fp0"), "{log2}");
    assert!(log2.contains("processed 32 insns"), "{log2}");
    assert_eq!(
        r3,
        Err(abi::Errno::ENOSPC.raw()),
        "a cut log gives ENOSPC, not the reason"
    );
    assert_eq!(r4, Err(abi::Errno::ENOSPC.raw()), "a cut log fails even a good load");
    // A log too long rotates: the buffer keeps its end, with the reason.
    assert!((100..=127).contains(&log3.len()) && log1.ends_with(&log3), "{log3:?}");
    if let Some(l) = linux {
        let theirs = runs(&|p, level, size| l.prog_load_log(t, p, "GPL", level, size));
        assert_eq!(
            (&ours.0, &ours.2, &ours.4, &ours.6, &ours.7),
            (&theirs.0, &theirs.2, &theirs.4, &theirs.6, &theirs.7),
            "errnos differ from Linux's"
        );
        for want in ["30: (61) r0 = *(u32 *)(r1 +0)", "R1 invalid mem access 'scalar'"] {
            assert!(theirs.1.contains(want), "Linux's log: {}", theirs.1);
        }
        assert!(
            theirs.1.ends_with(&theirs.5),
            "Linux's short log is its end too: {:?}",
            theirs.5
        );
    }
    close_all_and_expect_none_alive(&host);
}

/// Loads keep the run-time check of the accesses the verifier proved only
/// when the kernel is told to (`Bpf::keep_memory_checks`); both kinds of
/// code compute the same.
#[test]
fn proven_accesses_run_unchecked_unless_checks_are_kept() {
    let code =
        tests::code("mov %r2, 7\nstxdw [%r10-8], %r2\nldxdw %r0, [%r10-8]\nldxw %r3, [%r1+0]\nadd %r0, %r3\nexit");
    let c = hosted();
    let bpf = &c.backend().bpf;
    let mut counts = Vec::new();
    for keep in [false, true] {
        bpf.keep_memory_checks(keep);
        let fd = c.prog_load(ProgType::SocketFilter, &code, "GPL").unwrap();
        let prog = bpf.objects().prog(fd).unwrap();
        counts.push(prog.code.trusted_accesses());
        // r0 = 7 + skb->len (the 20-byte IPv4 header and up of 34 bytes).
        let mut packet = vec![0u8; 34];
        packet[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        packet[14] = 0x45;
        assert_eq!(c.test_run(fd, &packet, 1).unwrap().0, 7 + 20, "keep checks: {keep}");
        c.close(fd).unwrap();
    }
    // The stack store and load are proven; the context load never is.
    assert_eq!(counts, [2, 0]);
    close_all_and_expect_none_alive(&c);
}
