//! The JIT seen through bpf(2): a loaded program is compiled, and
//! BPF_OBJ_GET_INFO_BY_FD reports its machine code as Linux reports its
//! own (`jited_prog_len`, and `jited_prog_insns` filled up to the length
//! the caller gives); `Bpf::use_jit(false)` interprets instead.

use user_bindings::abi::{Insn, ObjInfoAttr, ProgInfo, ProgType};
use user_bindings::hosted::Process;
use user_bindings::programs::Program;
use user_bindings::{raw, sys::Syscall, Sys};

fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Insn {
    Insn { code, regs, off, imm }
}

/// r0 = skb->len; r0 += 1; exit
fn program() -> [Insn; 3] {
    [insn(0x61, 0x10, 0, 0), insn(0x07, 0, 0, 1), insn(0x95, 0, 0, 0)]
}

/// The program's info, asking for up to `room` bytes of machine code.
fn info<S: Sys + Clone>(p: &Program<S>, room: usize) -> (ProgInfo, Vec<u8>) {
    let mut code = vec![0u8; room];
    let mut info = ProgInfo {
        jited_prog_len: room as u32,
        jited_prog_insns: if room == 0 { 0 } else { code.as_mut_ptr() as u64 },
        ..ProgInfo::default()
    };
    let mut attr = ObjInfoAttr {
        bpf_fd: p.fd().raw(),
        info_len: std::mem::size_of::<ProgInfo>() as u32,
        info: &raw mut info as u64,
    };
    // SAFETY: `info` and `code` are live and as long as the attr says.
    #[allow(unsafe_code)]
    unsafe { raw::obj_get_info_by_fd(p.fd().sys(), &mut attr) }.expect("info");
    (info, code)
}

/// What a kernel reports of a compiled program: its machine code's length
/// is not 0, a big enough buffer gets all of it, a short one its start.
fn reports_machine_code<S: Sys + Clone>(sys: &S) -> usize {
    let p = Program::load(sys, ProgType::SocketFilter, &program(), "GPL").unwrap();
    let (i, _) = info(&p, 0);
    let len = i.jited_prog_len as usize;
    assert!(len > 0, "a compiled program has machine code");
    let (whole, code) = info(&p, len + 16);
    assert_eq!(whole.jited_prog_len as usize, len);
    assert!(code[..len].iter().any(|&b| b != 0), "the code was copied");
    assert!(code[len..].iter().all(|&b| b == 0), "nothing past the code");
    let (short, start) = info(&p, 4);
    assert_eq!(short.jited_prog_len as usize, len, "the length is the whole code's");
    assert_eq!(start[..4], code[..4]);
    let mut packet = vec![0u8; 60];
    packet[12] = 0x08;
    packet[14] = 0x45;
    assert_eq!(p.test_run(&packet, 3).unwrap().retval, 47, "it runs: skb->len + 1");
    len
}

#[test]
fn loaded_programs_are_compiled_and_report_their_code_as_linux_does() {
    let ours = reports_machine_code(&Process::new(1));
    match Syscall::probe() {
        Ok(linux) => {
            let theirs = reports_machine_code(&linux);
            println!("machine code of the same program: {ours} bytes here, {theirs} bytes by Linux's JIT");
        }
        Err(why) => println!("SKIP the Linux half: {why}"),
    }
}

#[test]
fn use_jit_false_interprets() {
    let sys = Process::new(1);
    sys.bpf.use_jit(false);
    let p = Program::load(&sys, ProgType::SocketFilter, &program(), "GPL").unwrap();
    assert_eq!(info(&p, 64).0.jited_prog_len, 0);
    let mut packet = vec![0u8; 60];
    packet[12] = 0x08;
    packet[14] = 0x45;
    assert_eq!(p.test_run(&packet, 1).unwrap().retval, 47);
    sys.bpf.use_jit(true);
    let p = Program::load(&sys, ProgType::SocketFilter, &program(), "GPL").unwrap();
    assert!(info(&p, 0).0.jited_prog_len > 0);
}

#[test]
fn blinded_constants_do_not_appear_in_the_code() {
    // r0 = 0x5a5a1234; r0 ^= 0x0f0f7777; exit
    let prog = [
        insn(0xb7, 0, 0, 0x5a5a_1234),
        insn(0xa7, 0, 0, 0x0f0f_7777),
        insn(0x95, 0, 0, 0),
    ];
    let contains = |code: &[u8], imm: i32| code.windows(4).any(|w| w == imm.to_le_bytes());
    let sys = Process::new(1);
    for blind in [false, true] {
        sys.bpf.blind_constants(blind);
        let p = Program::load(&sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
        let len = info(&p, 0).0.jited_prog_len as usize;
        let (_, code) = info(&p, len);
        for imm in [0x5a5a_1234, 0x0f0f_7777] {
            assert_eq!(contains(&code, imm), !blind, "{imm:#x} in the code, blinded: {blind}");
        }
        let run = p.test_run(&[0u8; 60], 1).unwrap();
        assert_eq!(run.retval, 0x5a5a_1234 ^ 0x0f0f_7777, "blinded: {blind}");
    }
}
