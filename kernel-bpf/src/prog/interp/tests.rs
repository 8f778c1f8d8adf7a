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
