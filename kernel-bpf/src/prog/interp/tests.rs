use super::*;
use crate::prog::asm::assemble;

struct NoHelpers;

impl Env for NoHelpers {
    fn call(&mut self, id: u32, args: [u64; 5], _mem: &mut Memory) -> Result<u64> {
        match id {
            // Echo r1, for tests.
            1 => Ok(args[0]),
            _ => Err(Error::UnknownHelper { id }),
        }
    }
}

fn exec(text: &str) -> Result<u64> {
    let p = assemble(text).unwrap();
    run(
        &p,
        [0; 5],
        &mut Memory::new(),
        &mut NoHelpers,
        Limits { max_steps: 10_000 },
    )
}

#[test]
fn arithmetic_follows_linux() {
    assert_eq!(exec("mov %r0, 7\ndiv %r0, 0\nexit"), Ok(0));
    assert_eq!(exec("mov %r0, 7\nmod32 %r0, 0\nexit"), Ok(7));
    assert_eq!(
        exec("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit"),
        Ok(0x8000_0000_0000_0000)
    );
    assert_eq!(
        exec("mov32 %r0, -1\nexit"),
        Ok(0xffff_ffff),
        "32-bit results are zero-extended"
    );
    assert_eq!(
        exec("mov %r0, 1\nlsh32 %r0, 60\nexit"),
        Ok(1 << 28),
        "shift counts are masked"
    );
    assert_eq!(exec("mov %r0, 0x1234\nbe16 %r0\nexit"), Ok(0x3412));
    assert_eq!(
        exec("mov %r1, 0x80\nmovsx864 %r0, %r1\nexit"),
        Ok(0xffff_ffff_ffff_ff80)
    );
}

#[test]
fn memory_is_checked() {
    assert_eq!(exec("stdw [%r10-8], 5\nldxdw %r0, [%r10-8]\nexit"), Ok(5));
    // The stack of all frames is one region; past its top is not.
    let top = (STACK_BYTES - MAX_BPF_STACK as usize) as i64;
    assert!(matches!(
        exec(&alloc::format!("ldxb %r0, [%r10+{top}]\nexit")),
        Err(Error::MemoryFault { pc: 0, .. })
    ));
    assert_eq!(exec(&alloc::format!("ldxb %r0, [%r10+{}]\nexit", top - 1)), Ok(0));
    assert!(
        matches!(exec("ldxb %r0, [%r10-513]\nexit"), Err(Error::MemoryFault { .. })),
        "below the stack"
    );
    assert!(matches!(
        exec("mov %r1, 0\nldxb %r0, [%r1]\nexit"),
        Err(Error::MemoryFault { pc: 1, addr: 0 })
    ));
    assert!(
        matches!(exec("lock add [%r10-7], %r1\nexit"), Err(Error::MemoryFault { .. })),
        "misaligned atomic"
    );
}

#[test]
fn control_flow_errors() {
    assert_eq!(exec("ja +5\nexit"), Err(Error::BadInstruction { pc: 0 }));
    assert_eq!(exec("ja -1"), Err(Error::StepLimit));
    assert_eq!(
        exec("mov %r0, 1"),
        Err(Error::BadInstruction { pc: 1 }),
        "falling off the end"
    );
    assert_eq!(exec("call 99\nexit"), Err(Error::UnknownHelper { id: 99 }));
    assert_eq!(exec("mov %r1, 42\ncall 1\nexit"), Ok(42));
    assert_eq!(exec("f:\ncall local f\nexit"), Err(Error::CallDepth { pc: 0 }));
}

/// Runs `text` with r1 = r6 = a context whose packet is `frame` behind
/// 4 bytes of headroom, the network header after a 14-byte link header.
fn exec_packet(text: &str, frame: &[u8]) -> Result<u64> {
    use crate::prog::interp::mem::Packet;
    let p = assemble(&alloc::format!("mov %r6, %r1\n{text}")).unwrap();
    let mut mem = Memory::new();
    let (_, ctx) = mem.own(alloc::vec![0u8; 8], false);
    let mut buf = alloc::vec![0u8; 4];
    buf.extend_from_slice(frame);
    let end = buf.len();
    let (handle, _) = mem.own(buf, false);
    mem.set_packet(Packet {
        ctx,
        handle,
        mac: 4,
        network: 18,
        data: 18,
        end,
        sock_cookie: 0,
        sock_uid: 0,
    });
    run(
        &p,
        [ctx, 0, 0, 0, 0],
        &mut mem,
        &mut NoHelpers,
        Limits { max_steps: 10_000 },
    )
}

#[test]
fn legacy_packet_loads_read_network_byte_order_and_end_the_program_out_of_bounds() {
    let mut frame = alloc::vec![0u8; 14];
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    frame.extend_from_slice(&[0x45, 0x00, 0x00, 0x54, 0xde, 0xad, 0xbe, 0xef]);
    // Offsets count from the network header.
    assert_eq!(exec_packet("ldabsb 0\nexit", &frame), Ok(0x45));
    assert_eq!(exec_packet("ldabsh 2\nexit", &frame), Ok(0x0054));
    assert_eq!(exec_packet("ldabsw 4\nexit", &frame), Ok(0xdead_beef));
    // Register plus immediate, 32-bit arithmetic.
    assert_eq!(exec_packet("mov %r7, 3\nldindh %r7, 1\nexit", &frame), Ok(0xdead));
    assert_eq!(exec_packet("mov %r7, -1\nldindb %r7, 1\nexit", &frame), Ok(0x45));
    // Past the end: the program stops with r0 = 0, whatever comes after.
    assert_eq!(exec_packet("ldabsw 5\nmov %r0, 7\nexit", &frame), Ok(0));
    assert_eq!(exec_packet("ldabsb 8\nmov %r0, 7\nexit", &frame), Ok(0));
    assert_eq!(exec_packet("ldabsb -1\nmov %r0, 7\nexit", &frame), Ok(0));
    assert_eq!(
        exec_packet("mov %r7, 0x7fffffff\nldindw %r7, 8\nmov %r0, 7\nexit", &frame),
        Ok(0)
    );
    // SKF_LL_OFF reaches the link-layer header (the EtherType at 12),
    // SKF_NET_OFF the network header; before the buffer fails.
    assert_eq!(exec_packet("ldabsh -0x1ffff4\nexit", &frame), Ok(0x0800));
    assert_eq!(exec_packet("ldabsb -0x100000\nexit", &frame), Ok(0x45));
    assert_eq!(exec_packet("ldabsb -0x200005\nmov %r0, 7\nexit", &frame), Ok(0));
    assert_eq!(exec_packet("ldabsb -0x300000\nmov %r0, 7\nexit", &frame), Ok(0));
    // Without the packet's context in r6 there is nothing to load.
    assert_eq!(exec_packet("mov %r6, 0\nldabsb 0\nmov %r0, 7\nexit", &frame), Ok(0));
    // The assembler and disassembler agree on the syntax.
    let p = assemble("ldabsw 12\nldindh %r3, -2\nexit").unwrap();
    assert_eq!(crate::prog::asm::disassemble(&p), "ldabsw 12\nldindh %r3, -2\nexit\n");
}

#[test]
fn the_step_budget_counts_taken_jumps_and_calls_exactly() {
    // 11 taken jumps (the loop's back edge 9 times, then two unconditional
    // jumps, one of them to the next instruction), and 2 local calls with
    // a taken jump each.
    let looped = "mov %r0, 10\nloop:\nsub %r0, 1\njne %r0, 0, loop\nja +0\nja +1\nexit\nexit";
    let called = "call local +2\ncall local +1\nexit\nja +0\nexit";
    for (text, n) in [(looped, 11), (called, 4)] {
        let p = assemble(text).unwrap();
        let run_with = |max_steps| run(&p, [0; 5], &mut Memory::new(), &mut NoHelpers, Limits { max_steps });
        assert!(run_with(n).is_ok(), "{text}: {n} steps suffice: {:?}", run_with(n));
        assert_eq!(run_with(n - 1), Err(Error::StepLimit), "{text}: {} do not", n - 1);
    }
}
