//! A socket filter that counts the packets it sees in an array map and
//! passes them whole, test-run on a few packets; then the count and what
//! a ring buffer received. The same code runs against the hosted kernel
//! (the default) or the machine's bpf(2) (`--linux`, root).
//!
//!     cargo run -p user-bindings --example count_packets [-- --linux]

use user_bindings::abi::{Insn, ProgType};
use user_bindings::hosted::Process;
use user_bindings::maps::{Array, RingBuf};
use user_bindings::programs::Program;
use user_bindings::sys::Syscall;
use user_bindings::Sys;

fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Insn {
    Insn { code, regs, off, imm }
}

fn run<S: Sys + Clone>(sys: &S) -> Result<(), user_bindings::Error> {
    let count: Array<S, u64> = Array::create(sys, 1)?;
    let lens = RingBuf::create(sys, 4096)?;
    let (count_fd, lens_fd) = (count.map().fd().raw() as i32, lens.map().fd().raw() as i32);
    let insns = [
        // r6 = ctx; key 0 at fp-4
        insn(0xbf, 0x16, 0, 0),
        insn(0x62, 0x0a, -4, 0),
        // r0 = bpf_map_lookup_elem(count, fp-4); if r0 == 0 goto out
        insn(0x18, 0x11, 0, count_fd),
        insn(0, 0, 0, 0),
        insn(0xbf, 0xa2, 0, 0),
        insn(0x07, 0x02, 0, -4),
        insn(0x85, 0, 0, 1),
        insn(0x15, 0x00, 11, 0),
        // *r0 += 1
        insn(0xb7, 0x01, 0, 1),
        insn(0xdb, 0x10, 0, 0),
        // fp-8 = skb->len; bpf_ringbuf_output(lens, fp-8, 4, 0)
        insn(0x61, 0x61, 0, 0),
        insn(0x63, 0x1a, -8, 0),
        insn(0x18, 0x11, 0, lens_fd),
        insn(0, 0, 0, 0),
        insn(0xbf, 0xa2, 0, 0),
        insn(0x07, 0x02, 0, -8),
        insn(0xb7, 0x03, 0, 4),
        insn(0xb7, 0x04, 0, 0),
        insn(0x85, 0, 0, 130),
        // out: return skb->len
        insn(0x61, 0x60, 0, 0),
        insn(0x95, 0, 0, 0),
    ];
    let prog = Program::load(sys, ProgType::SocketFilter, &insns, "GPL")?;
    for size in [60usize, 100, 1500] {
        let mut packet = vec![0u8; size];
        packet[12] = 0x08;
        packet[14] = 0x45;
        let run = prog.test_run(&packet, 1)?;
        println!("packet of {size} bytes: the filter passes {} bytes", run.retval);
    }
    println!("packets counted: {}", count.get(0)?);
    let mut seen = Vec::new();
    lens.consume(|r| seen.push(u32::from_ne_bytes([r[0], r[1], r[2], r[3]])))?;
    println!("lengths the ring buffer received: {seen:?}");
    Ok(())
}

fn main() {
    let result = if std::env::args().any(|a| a == "--linux") {
        match Syscall::probe() {
            Ok(s) => run(&s),
            Err(why) => {
                println!("SKIP: {why}");
                std::process::exit(77);
            }
        }
    } else {
        run(&Process::new(2))
    };
    if let Err(e) = result {
        println!("error: {e}");
        std::process::exit(1);
    }
}
