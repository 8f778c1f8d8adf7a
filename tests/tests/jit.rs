//! The JIT seen through bpf(2): a loaded program is compiled, and
//! BPF_OBJ_GET_INFO_BY_FD reports its machine code as Linux reports its
//! own (`jited_prog_len`, and `jited_prog_insns` filled up to the length
//! the caller gives); `Bpf::use_jit(false)` interprets instead.

use user_bindings::abi::{Insn, MapType, ObjInfoAttr, ProgInfo, ProgType};
use user_bindings::hosted::Process;
use user_bindings::programs::Program;
use user_bindings::{raw, sys::Syscall, Sys};

fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Insn {
    Insn { code, regs, off, imm }
}

/// `dst = ` the map of fd `fd` (a 64-bit immediate, two slots).
fn ld_map(dst: u8, fd: u32) -> [Insn; 2] {
    [insn(0x18, 0x10 | dst, 0, fd as i32), insn(0, 0, 0, 0)]
}

/// `r0 = ` the address of value 0 of the map of fd `map` (the key at
/// r10 - 4), or exit with r0 = 0.
fn value_0_or_exit(map: u32) -> Vec<Insn> {
    let mut p = vec![insn(0x62, 10, -4, 0)]; // *(u32 *)(r10 - 4) = 0
    p.extend(ld_map(1, map));
    p.extend([
        insn(0xbf, 0xa2, 0, 0), // r2 = r10
        insn(0x07, 2, 0, -4),   // r2 += -4
        insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
        insn(0x55, 0, 1, 0),    // if r0 != 0 goto +1
        insn(0x95, 0, 0, 0),    // exit
    ]);
    p
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

/// With constants blinded, the lookups compiled inline keep the maps'
/// sizes out of the code too (an array's size and stride, a hash table's
/// slot count and slot size: numbers the loader chooses), as Linux blinds
/// the constants of the lookups it inlines; unblinded, each is there.
#[test]
fn blinded_lookups_keep_the_maps_sizes_out_of_the_code() {
    use user_bindings::maps::{Array, HashMap};
    let sys = Process::new(1);
    // Sizes whose bytes stand out: an array of 0x1_3579 entries, one of
    // 0x1_0238-byte values (a stride the code multiplies by), a hash map
    // of 0x1_2345 entries (its table a few slots more), and one of
    // 0x1_0470-byte values (0x1_0478-byte slots, multiplied by too).
    let long: Array<Process, u64> = Array::create(&sys, 0x1_3579).unwrap();
    let wide: Array<Process, [u8; 0x1_0238]> = Array::create(&sys, 4).unwrap();
    let many: HashMap<Process, u32, u64> = HashMap::create(&sys, 0x1_2345).unwrap();
    let big: HashMap<Process, u32, [u8; 0x1_0470]> = HashMap::create(&sys, 4).unwrap();
    let maps = [long.map(), wide.map(), many.map(), big.map()];
    let mut prog = Vec::new();
    for m in maps {
        prog.push(insn(0x62, 10, -4, 0)); // *(u32 *)(r10 - 4) = 0
        prog.extend(ld_map(1, m.fd().raw()));
        prog.extend([
            insn(0xbf, 0xa2, 0, 0), // r2 = r10
            insn(0x07, 2, 0, -4),   // r2 += -4
            insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
        ]);
    }
    prog.extend([insn(0xb7, 0, 0, 0), insn(0x95, 0, 0, 0)]); // r0 = 0; exit
    let contains = |code: &[u8], v: u32| code.windows(4).any(|w| w == v.to_le_bytes());
    for blind in [false, true] {
        sys.bpf.blind_constants(blind);
        let p = Program::load(&sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
        let loaded = sys.bpf.program(p.fd().raw()).unwrap();
        assert_eq!(loaded.compiled_lookups(), &[0, 1, 2, 3], "every lookup is compiled");
        let len = info(&p, 0).0.jited_prog_len as usize;
        let (_, code) = info(&p, len);
        for (what, v) in [
            ("array size", 0x1_3579),
            ("array stride", 0x1_0238),
            ("slot size", 0x1_0478),
        ] {
            assert_eq!(
                contains(&code, v),
                !blind,
                "{what} {v:#x} in the code, blinded: {blind}"
            );
        }
        let slots = (0x1_2345..0x1_2345 + 65).any(|v| contains(&code, v));
        assert_eq!(
            slots, !blind,
            "the hash table's slot count in the code, blinded: {blind}"
        );
        assert_eq!(p.test_run(&[0u8; 60], 1).unwrap().retval, 0, "blinded: {blind}");
    }
}

/// Everything a run left in `o`'s maps, what its ring buffers and perf
/// event arrays received, and what it printed.
fn contents(
    c: &user_bindings::Client<user_bindings::hosted::HostedBackend>,
    o: &user_bindings::LoadedObject,
) -> String {
    use std::fmt::Write;
    let bpf = &c.backend().bpf;
    let mut out = String::new();
    for m in &o.maps {
        let name = String::from_utf8_lossy(&m.name).trim_end_matches('\0').to_string();
        let map = bpf.map(m.fd).unwrap();
        let (klen, vlen) = (map.def().key_size as usize, map.def().syscall_value_size());
        writeln!(out, "map {name}:").unwrap();
        if m.map_type == abi::MapType::Ringbuf.raw() {
            bpf.consume_ringbuf(m.fd, &mut |r| writeln!(out, "  record {r:02x?}").unwrap())
                .unwrap();
            continue;
        }
        if m.map_type == abi::MapType::PerfEventArray.raw() {
            bpf.consume_perf(m.fd, &mut |cpu, r| {
                writeln!(out, "  cpu {cpu} sample {r:02x?}").unwrap()
            })
            .unwrap();
            continue;
        }
        if klen == 0 || m.map_type == abi::MapType::ProgArray.raw() || m.map_type == abi::MapType::StackTrace.raw() {
            continue;
        }
        let mut key: Option<Vec<u8>> = None;
        let mut entries = Vec::new();
        while let Ok(k) = c.next_key(m.fd, key.as_deref(), klen) {
            entries.push((k.clone(), c.lookup(m.fd, Some(&k), vlen).ok()));
            key = Some(k);
        }
        entries.sort();
        for (k, v) in entries {
            writeln!(out, "  {k:02x?} = {v:02x?}").unwrap();
        }
    }
    out + &bpf.platform().take_console()
}

/// Every clang-built example, attached where its sections say and run
/// under the same simulated workload, leaves the same maps and records
/// compiled as interpreted: its helper calls, map accesses, tail calls and
/// context reads agree.
#[test]
fn clang_objects_leave_the_same_maps_compiled_as_interpreted() {
    use kernel_bpf::attach::Target;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bpf");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "the examples are there");
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        let run = |jit: bool| {
            let c = tests::hosted();
            c.backend().bpf.use_jit(jit);
            let o = c.prog_load_ex(&bytes, &[]).unwrap();
            let parsed = kernel_bpf::elf::parse(&bytes).unwrap();
            let mut compiled = 0;
            for (i, (p, e)) in parsed.programs.iter().zip(&o.progs).enumerate() {
                let prog = c.backend().bpf.objects().prog(e.fd).unwrap();
                compiled += usize::from(prog.code.image().is_some());
                if let Some(t) = Target::of_section(&p.kind).filter(|_| !parsed.is_tail_call_target(i)) {
                    c.prog_attach(&t, e.fd, 0).unwrap();
                }
            }
            assert_eq!(compiled, if jit { o.progs.len() } else { 0 }, "{}", path.display());
            for m in &o.maps {
                if m.map_type == abi::MapType::PerfEventArray.raw() {
                    c.backend().bpf.open_perf_buffer(m.fd).unwrap();
                }
            }
            let mut k = kernel_bpf::hosted::sim::Kernel::new(c.backend().bpf.clone(), 7);
            k.run(3000, &mut |_| {});
            let text = contents(&c, &o);
            tests::detach_all(&c);
            text
        };
        let (interpreted, compiled) = (run(false), run(true));
        assert!(
            interpreted.lines().count() > 1,
            "{}: the run left something",
            path.display()
        );
        assert_eq!(interpreted, compiled, "{}", path.display());
        println!(
            "{}: {} lines of maps and records, the same both ways",
            path.file_name().unwrap().to_string_lossy(),
            interpreted.lines().count()
        );
    }
}

/// Runs `p` interpreted (`None`) or compiled (`Some(blind seed or 0)`).
fn run_generated(p: &[kernel_bpf::prog::insn::Insn], jit: Option<u64>) -> String {
    use kernel_bpf::prog::interp::{self, mem::Memory, Limits};
    use kernel_bpf::Platform;
    let mut code = interp::code::prepare(p).unwrap();
    if let Some(seed) = jit {
        let host = kernel_bpf::hosted::Hosted::new(1);
        // SAFETY: nothing proven; the generated programs touch no memory,
        // make no calls and only jump forward.
        #[allow(unsafe_code)]
        let image = unsafe {
            kernel_bpf::prog::jit::compile(
                p,
                &[],
                &Default::default(),
                &|b| host.map_code(b),
                (seed != 0).then_some(seed),
            )
        };
        code = code.with_image(image.expect("compiles"));
    }
    let mut mem = Memory::new();
    format!(
        "{:?}",
        interp::run_code(&code, [0; 5], &mut mem, &mut tests::NoHelpers, Limits::default())
    )
}

/// Generated programs of every ALU and conditional-jump opcode at edge
/// values give the same r0 interpreted, compiled, and compiled with blinded
/// constants.
#[test]
fn generated_alu_and_jump_programs_match_the_interpreter() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed);
    let n = 3000;
    for _ in 0..n {
        let p = tests::generate::alu_program(&mut rng);
        let want = run_generated(&p, None);
        assert_eq!(run_generated(&p, Some(0)), want, "compiled: {p:?}");
        assert_eq!(run_generated(&p, Some(0x0b1d)), want, "blinded: {p:?}");
    }
    println!("{n} generated programs: the same r0 interpreted, compiled and blinded");
}

/// A program that looks up an array (a hit and a key past its end) and a
/// hash map (a hit and a miss), writes through one value, and hands the
/// other to `bpf_map_update_elem`: compiled, the lookups are machine
/// code and a direct call (`jit::Lookup`), so their values must still be
/// what helpers accept.
fn lookups_program(array: u32, hash: u32) -> Vec<Insn> {
    let mut p = vec![insn(0xb7, 6, 0, 1)]; // r6 = 1
    for key in [1, 7] {
        p.push(insn(0x62, 10, -4, key)); // *(u32 *)(r10 - 4) = key
        p.extend(ld_map(1, array));
        p.extend([
            insn(0xbf, 0xa2, 0, 0), // r2 = r10
            insn(0x07, 2, 0, -4),   // r2 += -4
            insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
            insn(0x15, 0, 3, 0),    // if r0 == 0 goto +3
            insn(0x79, 0x01, 0, 0), // r1 = *(u64 *)(r0 + 0)
            insn(0x0f, 0x16, 0, 0), // r6 += r1
            insn(0x7b, 0x60, 0, 0), // *(u64 *)(r0 + 0) = r6
            insn(0x27, 6, 0, 3),    // r6 *= 3
        ]);
    }
    for key in [5, 6] {
        p.push(insn(0x62, 10, -4, key));
        p.extend(ld_map(1, hash));
        p.extend([
            insn(0xbf, 0xa2, 0, 0),
            insn(0x07, 2, 0, -4),
            insn(0x85, 0, 0, 1),
            insn(0x15, 0, 11, 0),   // if r0 == 0 goto +11
            insn(0x79, 0x01, 0, 0), // r1 = *(u64 *)(r0 + 0)
            insn(0x0f, 0x16, 0, 0), // r6 += r1
            insn(0x62, 10, -8, 9),  // *(u32 *)(r10 - 8) = 9
            insn(0xbf, 0x03, 0, 0), // r3 = r0 (the value, for the update)
        ]);
        p.extend(ld_map(1, hash));
        p.extend([
            insn(0xbf, 0xa2, 0, 0),
            insn(0x07, 2, 0, -8),
            insn(0xb7, 4, 0, 0),    // r4 = BPF_ANY
            insn(0x85, 0, 0, 2),    // call bpf_map_update_elem
            insn(0x0f, 0x06, 0, 0), // r6 += r0
            insn(0x27, 6, 0, 3),    // r6 *= 3
        ]);
    }
    p.extend([insn(0xbf, 0x60, 0, 0), insn(0x95, 0, 0, 0)]); // r0 = r6; exit
    p
}

/// The run's r0 and what it left in both maps.
fn run_lookups<S: Sys + Clone + 'static>(sys: &S) -> (u32, Vec<u64>, Vec<(u32, u64)>) {
    use user_bindings::maps::{Array, HashMap};
    let array: Array<S, u64> = Array::create(sys, 4).unwrap();
    for (i, v) in [10u64, 20, 30, 40].iter().enumerate() {
        array.set(i as u32, v, 0).unwrap();
    }
    let hash: HashMap<S, u32, u64> = HashMap::create(sys, 8).unwrap();
    hash.insert(&5, &50, 0).unwrap();
    let prog = lookups_program(array.map().fd().raw(), hash.map().fd().raw());
    let p = Program::load(sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
    if let Some(hosted) = (sys as &dyn std::any::Any).downcast_ref::<Process>() {
        // Compiled, both maps' lookups are the JIT's own.
        let loaded = hosted.bpf.program(p.fd().raw()).unwrap();
        let want: &[usize] = if loaded.code.image().is_some() { &[0, 1] } else { &[] };
        assert_eq!(loaded.compiled_lookups(), want);
    }
    let r0 = p.test_run(&[0u8; 60], 1).unwrap().retval;
    let mut entries: Vec<(u32, u64)> = hash.iter().map(|e| e.unwrap()).collect();
    entries.sort_unstable();
    (r0, array.iter().map(|v| v.unwrap()).collect(), entries)
}

/// Map lookups compiled without the helper table (an array's inline, a
/// hash map's a direct call) give what the interpreter and Linux give:
/// the same r0, the same maps after writes through the values, and
/// values that helpers take.
#[test]
fn compiled_map_lookups_match_the_interpreter_and_linux() {
    let sys = Process::new(1);
    let compiled = run_lookups(&sys);
    sys.bpf.blind_constants(true);
    let blinded = run_lookups(&sys);
    sys.bpf.blind_constants(false);
    sys.bpf.use_jit(false);
    let interpreted = run_lookups(&sys);
    // Worked by hand: r6 = ((((1 + 20) * 3 * 3) + 50 + 0) * 3) * 3.
    let want = (2151, vec![10, 21, 30, 40], vec![(5, 50), (9, 50)]);
    assert_eq!(interpreted, want, "interpreted");
    assert_eq!(compiled, want, "compiled");
    assert_eq!(blinded, want, "compiled, constants blinded");
    match Syscall::probe() {
        Ok(linux) => {
            assert_eq!(run_lookups(&linux), want, "Linux");
            println!("map lookups: r0 and maps agree compiled, blinded, interpreted and on Linux");
        }
        Err(why) => println!("SKIP the Linux half: {why}"),
    }
}

/// A program that looks up, in the map `map`, the key whose bytes
/// `input`'s value 0 holds (up to 16): r0 is the value's low 32 bits plus
/// 1, or 0 for no element. It tests the lookup's r0 with `if r0 == 0`, or
/// with `if r0 != 0` (`jne`).
fn probe_program(input: u32, map: u32, jne: bool) -> Vec<Insn> {
    let mut p = value_0_or_exit(input);
    p.extend([
        insn(0x79, 0x01, 0, 0),   // r1 = *(u64 *)(r0 + 0)
        insn(0x7b, 0x1a, -24, 0), // *(u64 *)(r10 - 24) = r1
        insn(0x79, 0x01, 8, 0),   // r1 = *(u64 *)(r0 + 8)
        insn(0x7b, 0x1a, -16, 0), // *(u64 *)(r10 - 16) = r1
    ]);
    p.extend(ld_map(1, map));
    p.extend([
        insn(0xbf, 0xa2, 0, 0), // r2 = r10
        insn(0x07, 2, 0, -24),  // r2 += -24
        insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
    ]);
    if jne {
        p.extend([
            insn(0x55, 0, 1, 0), // if r0 != 0 goto +1
            insn(0x95, 0, 0, 0), // exit (r0 = 0)
        ]);
    } else {
        p.push(insn(0x15, 0, 2, 0)); // if r0 == 0 goto +2
    }
    p.extend([
        insn(0x61, 0x00, 0, 0), // r0 = *(u32 *)(r0 + 0)
        insn(0x07, 0, 0, 1),    // r0 += 1
        insn(0x95, 0, 0, 0),    // exit
    ]);
    p
}

/// Key `i` of `N` bytes: distinct for distinct `i` below 2^(8N).
fn probe_key<const N: usize>(i: u32) -> [u8; N] {
    let w = u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
    std::array::from_fn(|b| (w >> (8 * b)) as u8)
}

/// Fills a map of `N`-byte keys (inserts, deletes, replacing updates),
/// then looks up 64 keys (present, deleted, never inserted) from a
/// program; each r0, and which of the program's maps its lookups are
/// compiled for (hosted only).
fn probe_runs<S: Sys + Clone + 'static, const N: usize, const V: usize>(
    sys: &S,
    map_type: MapType,
    flags: u32,
    jne: bool,
) -> (Vec<u32>, Vec<usize>) {
    use user_bindings::maps::{Array, HashMap, Map, MapSpec};
    let spec = MapSpec {
        flags,
        ..MapSpec::new(map_type, N as u32, V as u32, 48)
    };
    let hash: HashMap<S, [u8; N], [u8; V]> = HashMap::try_from(Map::create(sys, &spec).unwrap()).unwrap();
    // A value of `V` bytes whose first 8 are `v`.
    let value = |v: u32| -> [u8; V] {
        let mut b = [0xa5; V];
        b[..8].copy_from_slice(&u64::from(v).to_ne_bytes());
        b
    };
    for i in 0..48 {
        hash.insert(&probe_key(i), &value(i * 1000 + 7), 0).unwrap();
    }
    for i in (0..48).step_by(3) {
        hash.remove(&probe_key(i)).unwrap();
    }
    for i in (1..48).step_by(3) {
        hash.insert(&probe_key(i), &value(i * 1000 + 9), 0).unwrap();
    }
    let input: Array<S, [u8; 16]> = Array::create(sys, 1).unwrap();
    let prog = probe_program(input.map().fd().raw(), hash.map().fd().raw(), jne);
    let p = Program::load(sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
    let compiled = match (sys as &dyn std::any::Any).downcast_ref::<Process>() {
        Some(hosted) => hosted.bpf.program(p.fd().raw()).unwrap().compiled_lookups().to_vec(),
        None => Vec::new(),
    };
    let r0 = (0..64)
        .map(|i| {
            let mut key = [0u8; 16];
            key[..N].copy_from_slice(&probe_key::<N>(i));
            input.set(0, &key, 0).unwrap();
            p.test_run(&[0u8; 60], 1).unwrap().retval
        })
        .collect();
    (r0, compiled)
}

/// What `probe_runs` must find: deleted keys (every third) missing,
/// replaced ones with their new value, none past 48.
fn probe_want() -> Vec<u32> {
    (0..64u32)
        .map(|i| match (i < 48, i % 3) {
            (false, _) | (true, 0) => 0,
            (true, 1) => i * 1000 + 10,
            (true, _) => i * 1000 + 8,
        })
        .collect()
}

fn probe_case<const N: usize, const V: usize>(linux: Option<&Syscall>, map_type: MapType, flags: u32) {
    for jne in [false, true] {
        let what = format!("{map_type:?}, {N}-byte keys, {V}-byte values, flags {flags:#x}, jne {jne}");
        let sys = Process::new(1);
        let (compiled, kept) = probe_runs::<_, N, V>(&sys, map_type, flags, jne);
        assert_eq!(kept, [0, 1], "{what}: both lookups compiled");
        sys.bpf.blind_constants(true);
        let (blinded, _) = probe_runs::<_, N, V>(&sys, map_type, flags, jne);
        sys.bpf.blind_constants(false);
        sys.bpf.use_jit(false);
        let (interpreted, _) = probe_runs::<_, N, V>(&sys, map_type, flags, jne);
        assert_eq!(interpreted, probe_want(), "{what}: interpreted");
        assert_eq!(compiled, probe_want(), "{what}: compiled");
        assert_eq!(blinded, probe_want(), "{what}: compiled, constants blinded");
        if let Some(linux) = linux {
            assert_eq!(
                probe_runs::<_, N, V>(linux, map_type, flags, jne).0,
                probe_want(),
                "{what}: Linux"
            );
        }
    }
}

/// Hash lookups compiled for every shape of hash map: searched in machine
/// code (one-word keys, preallocated, not LRU) or by a direct call (the
/// rest) find what the interpreter and Linux find, after deletes and
/// replacing updates have moved elements between slots.
#[test]
fn compiled_hash_lookups_match_the_interpreter_and_linux_for_every_key_size() {
    let linux = match Syscall::probe() {
        Ok(l) => Some(l),
        Err(why) => {
            println!("SKIP the Linux half: {why}");
            None
        }
    };
    let l = linux.as_ref();
    for (t, flags) in [
        (MapType::Hash, 0),
        (MapType::Hash, user_bindings::abi::BPF_F_NO_PREALLOC),
        (MapType::LruHash, 0),
    ] {
        probe_case::<1, 8>(l, t, flags);
        probe_case::<2, 8>(l, t, flags);
        probe_case::<3, 8>(l, t, flags);
        probe_case::<4, 8>(l, t, flags);
        probe_case::<8, 8>(l, t, flags);
        probe_case::<16, 8>(l, t, flags);
    }
    // Above, slots of 16 bytes (keys of at most 4 bytes share the link's
    // word) and 24 (an 8-byte key); here 24, 40 and 72 (the search
    // addresses slots of a power of two bytes by shifts, of 3, 5 or 9
    // words by a `lea`, others by multiplies) and 112.
    for flags in [0, user_bindings::abi::BPF_F_NO_PREALLOC] {
        probe_case::<4, 16>(l, MapType::Hash, flags);
        probe_case::<8, 24>(l, MapType::Hash, flags);
        probe_case::<2, 100>(l, MapType::Hash, flags);
        probe_case::<4, 64>(l, MapType::Hash, flags);
    }
    if linux.is_some() {
        println!(
            "hash lookups: 26 map shapes, each tested both ways, agree compiled, blinded, interpreted and on Linux"
        );
    }
}

/// Keys of one bucket (found with the map's own hash, from the table the
/// compiled search is given), seven in its chain and one never inserted:
/// each is found, or not, wherever it is in the chain (the straight path
/// reads the first two entries, the full search the rest), as by the
/// interpreter, before and after one in the middle is deleted; with keys
/// in the link's word (4 bytes) and after it (8: the one never inserted
/// then agrees with the first in its low 4 bytes), in slots addressed by
/// shifts (16 and 32 bytes) and by a `lea` (24).
#[test]
fn compiled_hash_lookups_find_keys_anywhere_in_a_chain() {
    use kernel_bpf::prog::jit::{Lookup, Lookups};
    use user_bindings::maps::{Array, HashMap};
    fn case<const N: usize, const V: usize>(jit: bool, jne: bool) -> Vec<u32> {
        let sys = Process::new(1);
        sys.bpf.use_jit(jit);
        let hash: HashMap<Process, [u8; N], [u8; V]> = HashMap::create(&sys, 64).unwrap();
        let map = sys.bpf.map(hash.map().fd().raw()).unwrap();
        let call = kernel_bpf::prog::insn::Insn {
            code: kernel_bpf::prog::insn::CALL,
            dst: 0,
            src: 0,
            off: 0,
            imm: user_bindings::abi::Helper::MapLookupElem.raw() as i32,
        };
        let Some(Lookup::Table(t)) = Lookups::plan(&[call], &[Some(0)], &[map]).at[0] else {
            panic!("{N}-byte keys, {V}-byte values: the table is searched in machine code");
        };
        let bucket = |k: u64| k.wrapping_mul(t.mult) >> t.shift;
        let mut keys: Vec<u64> = (0..).filter(|&k| bucket(k) == bucket(0)).take(8).collect();
        if N == 8 {
            // The key never inserted agrees with the first (0) in its low 4
            // bytes: a search comparing only 4 bytes would find it.
            keys[7] = (1u64..).map(|h| h << 32).find(|&d| bucket(d) == bucket(0)).unwrap();
        }
        let key = |k: u64| -> [u8; N] { std::array::from_fn(|b| (k >> (8 * b)) as u8) };
        for (i, &k) in keys[..7].iter().enumerate() {
            let mut v = [0u8; V];
            v[..4].copy_from_slice(&(i as u32 * 1000 + 7).to_ne_bytes());
            hash.insert(&key(k), &v, 0).unwrap();
        }
        let input: Array<Process, [u8; 16]> = Array::create(&sys, 1).unwrap();
        let p = Program::load(
            &sys,
            ProgType::SocketFilter,
            &probe_program(input.map().fd().raw(), hash.map().fd().raw(), jne),
            "GPL",
        )
        .unwrap();
        let lookups = || -> Vec<u32> {
            keys.iter()
                .map(|&k| {
                    let mut bytes = [0u8; 16];
                    bytes[..N].copy_from_slice(&key(k));
                    input.set(0, &bytes, 0).unwrap();
                    p.test_run(&[0u8; 60], 1).unwrap().retval
                })
                .collect()
        };
        let mut r0 = lookups();
        hash.remove(&key(keys[3])).unwrap();
        r0.extend(lookups());
        r0
    }
    // Key i holds i * 1000 + 7 (the program returns it plus 1); the
    // eighth is missing, and so is the fourth once deleted.
    let found = |i: u32| i * 1000 + 8;
    let mut want: Vec<u32> = (0..7).map(found).chain([0]).collect();
    want.extend((0..7).map(|i| if i == 3 { 0 } else { found(i) }).chain([0]));
    for jne in [false, true] {
        for (n, v, compiled, interpreted) in [
            (4, 8, case::<4, 8>(true, jne), case::<4, 8>(false, jne)),
            (4, 16, case::<4, 16>(true, jne), case::<4, 16>(false, jne)),
            (8, 8, case::<8, 8>(true, jne), case::<8, 8>(false, jne)),
            (8, 16, case::<8, 16>(true, jne), case::<8, 16>(false, jne)),
        ] {
            assert_eq!(
                interpreted, want,
                "{n}-byte keys, {v}-byte values, jne {jne}: interpreted"
            );
            assert_eq!(compiled, want, "{n}-byte keys, {v}-byte values, jne {jne}: compiled");
        }
    }
}

/// A program that looks up keys 0..16 of `hash` (u32 to u64) four times
/// over and counts, in `counter`'s value 0, each lookup of a key below 8
/// that went wrong: not found, or a value other than the key * 3 + 1.
/// (Keys from 8 up are looked up but not checked: as in Linux, a value
/// may be reused for another key the moment after its lookup.)
fn churn_program(counter: u32, hash: u32) -> Vec<Insn> {
    let mut p = vec![insn(0xb7, 6, 0, 0)]; // r6 = 0
    p.extend(value_0_or_exit(counter));
    p.extend([
        insn(0xbf, 0x09, 0, 0), // r9 = r0
        // top (10):
        insn(0xbf, 0x61, 0, 0),  // r1 = r6
        insn(0x57, 1, 0, 15),    // r1 &= 15
        insn(0x63, 0x1a, -8, 0), // *(u32 *)(r10 - 8) = r1
    ]);
    p.extend(ld_map(1, hash));
    p.extend([
        insn(0xbf, 0xa2, 0, 0),  // r2 = r10
        insn(0x07, 2, 0, -8),    // r2 += -8
        insn(0x85, 0, 0, 1),     // call bpf_map_lookup_elem
        insn(0x61, 0xa1, -8, 0), // r1 = *(u32 *)(r10 - 8)
        insn(0xbf, 0x12, 0, 0),  // r2 = r1
        insn(0x27, 2, 0, 3),     // r2 *= 3
        insn(0x07, 2, 0, 1),     // r2 += 1
        insn(0x35, 1, 6, 8),     // if r1 >= 8 goto ok
        insn(0x15, 0, 2, 0),     // if r0 == 0 goto bad
        insn(0x79, 0x03, 0, 0),  // r3 = *(u64 *)(r0 + 0)
        insn(0x1d, 0x23, 3, 0),  // if r3 == r2 goto ok
        insn(0x79, 0x93, 0, 0),  // bad: r3 = *(u64 *)(r9 + 0)
        insn(0x07, 3, 0, 1),     // r3 += 1
        insn(0x7b, 0x39, 0, 0),  // *(u64 *)(r9 + 0) = r3
        insn(0xb7, 0, 0, 0),     // ok: r0 = 0
        insn(0xb7, 1, 0, 0),     // r1 = 0
        insn(0xb7, 2, 0, 0),     // r2 = 0
        insn(0xb7, 3, 0, 0),     // r3 = 0
        insn(0x07, 6, 0, 1),     // r6 += 1
        insn(0xa5, 6, -25, 64),  // if r6 < 64 goto top
        insn(0x95, 0, 0, 0),     // exit
    ]);
    p
}

/// Compiled hash lookups (searched in machine code) while another thread
/// keeps replacing, deleting and re-inserting other keys of the same map:
/// the keys never touched are always found, with their values (the
/// chains' end markers send a reader that followed a moved element into
/// another chain back to the start).
#[test]
fn compiled_hash_lookups_hold_up_while_another_thread_writes() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use user_bindings::maps::{Array, HashMap};
    let sys = Process::new(2);
    let hash: HashMap<Process, u32, u64> = HashMap::create(&sys, 16).unwrap();
    for k in 0..16u32 {
        hash.insert(&k, &u64::from(k * 3 + 1), 0).unwrap();
    }
    let counter: Array<Process, u64> = Array::create(&sys, 1).unwrap();
    let prog = churn_program(counter.map().fd().raw(), hash.map().fd().raw());
    let p = Program::load(&sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
    assert_eq!(sys.bpf.program(p.fd().raw()).unwrap().compiled_lookups(), [0, 1]);
    let map = sys.bpf.map(hash.map().fd().raw()).unwrap();
    // The reader runs until the writer has written 1,000,000 times.
    let (stop, writes) = (AtomicBool::new(false), AtomicU64::new(0));
    let runs = std::thread::scope(|s| {
        s.spawn(|| {
            let key = |k: u32| k.to_ne_bytes();
            let value = |k: u32| u64::from(k * 3 + 1).to_ne_bytes();
            while !stop.load(Ordering::Relaxed) {
                // Deleting all, then inserting in the same order, moves
                // each key to a slot another key had (freed slots are
                // reused last first), often in another chain; then a
                // replacing update puts each in a fresh slot.
                for k in 8..16u32 {
                    map.delete(&key(k)).unwrap();
                }
                for k in 8..16u32 {
                    map.update(&key(k), &value(k), 0, None).unwrap();
                }
                for k in 8..16u32 {
                    map.update(&key(k), &value(k), 0, None).unwrap();
                }
                writes.fetch_add(24, Ordering::Relaxed);
            }
        });
        let mut runs = 0u64;
        while writes.load(Ordering::Relaxed) < 1_000_000 {
            p.test_run(&[0u8; 60], 100).unwrap();
            runs += 100;
        }
        stop.store(true, Ordering::Relaxed);
        runs
    });
    assert_eq!(counter.get(0).unwrap(), 0, "lookups that went wrong");
    println!(
        "{} compiled lookups beside 1,000,000 writes: none went wrong",
        runs * 64
    );
}

/// Looks up keys 0..6 and 2^32 - 1 of an array of `entries` `N`-byte
/// values (value `i` starting with `i * 1000 + 7`) from `probe_program`.
fn array_probe_runs<S: Sys + Clone + 'static, const N: usize>(sys: &S, entries: u32, jne: bool) -> Vec<u32> {
    use user_bindings::maps::Array;
    let array: Array<S, [u8; N]> = Array::create(sys, entries).unwrap();
    for i in 0..entries {
        let mut v = [0u8; N];
        v[..4].copy_from_slice(&(i * 1000 + 7).to_ne_bytes());
        array.set(i, &v, 0).unwrap();
    }
    let input: Array<S, [u8; 16]> = Array::create(sys, 1).unwrap();
    let p = Program::load(
        sys,
        ProgType::SocketFilter,
        &probe_program(input.map().fd().raw(), array.map().fd().raw(), jne),
        "GPL",
    )
    .unwrap();
    ARRAY_KEYS
        .iter()
        .map(|k| {
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&k.to_ne_bytes());
            input.set(0, &key, 0).unwrap();
            p.test_run(&[0u8; 60], 1).unwrap().retval
        })
        .collect()
}

/// The keys `array_probe_runs` looks up: inside and past arrays of 4 and
/// 5 entries, and the last u32.
const ARRAY_KEYS: [u32; 8] = [0, 1, 2, 3, 4, 5, 6, u32::MAX];

fn array_probe_case<const N: usize>(linux: Option<&Syscall>) {
    // A power of two (the index is masked to it) and not.
    for (entries, jne) in [(4, false), (4, true), (5, false), (5, true)] {
        let what = format!("{N}-byte values, {entries} entries, jne {jne}");
        let want: Vec<u32> = ARRAY_KEYS
            .iter()
            .map(|&k| if k < entries { k * 1000 + 8 } else { 0 })
            .collect();
        let sys = Process::new(1);
        assert_eq!(array_probe_runs::<_, N>(&sys, entries, jne), want, "{what}: compiled");
        sys.bpf.blind_constants(true);
        assert_eq!(array_probe_runs::<_, N>(&sys, entries, jne), want, "{what}: blinded");
        sys.bpf.use_jit(false);
        assert_eq!(
            array_probe_runs::<_, N>(&sys, entries, jne),
            want,
            "{what}: interpreted"
        );
        if let Some(linux) = linux {
            assert_eq!(array_probe_runs::<_, N>(linux, entries, jne), want, "{what}: Linux");
        }
    }
}

/// Array lookups compiled inline for every stride (a scale of the
/// address mode, or a multiply), sizes a power of two and not, and tests
/// of r0 both ways, find what the interpreter and Linux find, and
/// nothing past the end.
#[test]
fn compiled_array_lookups_match_the_interpreter_and_linux_for_every_stride() {
    let linux = Syscall::probe()
        .map_err(|why| println!("SKIP the Linux half: {why}"))
        .ok();
    array_probe_case::<4>(linux.as_ref());
    array_probe_case::<12>(linux.as_ref());
    array_probe_case::<24>(linux.as_ref());
    array_probe_case::<40>(linux.as_ref());
}

/// A program whose test of the lookup's r0 is also reached by a jump
/// over the lookup (with r0 = 0) when the packet is longer than 1,000
/// bytes: r0 is the value of key 1 plus 1, or 0 on that path. (The
/// compiled lookup takes the test as its own branch only where nothing
/// else reaches it.)
fn jump_to_test_program(map: u32) -> Vec<Insn> {
    let mut p = vec![
        insn(0x62, 10, -4, 1),  // *(u32 *)(r10 - 4) = 1
        insn(0x61, 0x13, 0, 0), // r3 = skb->len
        insn(0xb7, 0, 0, 0),    // r0 = 0
        insn(0x25, 3, 5, 1000), // if r3 > 1000 goto test
    ];
    p.extend(ld_map(1, map));
    p.extend([
        insn(0xbf, 0xa2, 0, 0), // r2 = r10
        insn(0x07, 2, 0, -4),   // r2 += -4
        insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
        insn(0x15, 0, 2, 0),    // test: if r0 == 0 goto +2
        insn(0x61, 0x00, 0, 0), // r0 = *(u32 *)(r0 + 0)
        insn(0x07, 0, 0, 1),    // r0 += 1
        insn(0x95, 0, 0, 0),    // exit
    ]);
    p
}

fn jump_to_test_runs<S: Sys + Clone + 'static>(sys: &S) -> [[u32; 2]; 2] {
    use user_bindings::maps::{Array, HashMap};
    let array: Array<S, u64> = Array::create(sys, 4).unwrap();
    array.set(1, &1007, 0).unwrap();
    let hash: HashMap<S, u32, u64> = HashMap::create(sys, 8).unwrap();
    hash.insert(&1, &2007, 0).unwrap();
    [array.map().fd().raw(), hash.map().fd().raw()].map(|map| {
        let p = Program::load(sys, ProgType::SocketFilter, &jump_to_test_program(map), "GPL").unwrap();
        [60, 2000].map(|len| p.test_run(&vec![0u8; len], 1).unwrap().retval)
    })
}

/// `want` from `hosted` compiled and interpreted, and from `linux` on the
/// real bpf(2) (skipped, with the reason, where it is refused): one
/// generic `runs` function passed as both.
fn same_compiled_interpreted_and_on_linux<T: PartialEq + std::fmt::Debug>(
    want: T,
    hosted: impl Fn(&Process) -> T,
    linux: impl Fn(&Syscall) -> T,
) {
    let sys = Process::new(1);
    assert_eq!(hosted(&sys), want, "compiled");
    sys.bpf.use_jit(false);
    assert_eq!(hosted(&sys), want, "interpreted");
    match Syscall::probe() {
        Ok(l) => assert_eq!(linux(&l), want, "Linux"),
        Err(why) => println!("SKIP the Linux half: {why}"),
    }
}

#[test]
fn a_null_test_another_path_reaches_is_kept() {
    same_compiled_interpreted_and_on_linux([[1008, 0], [2008, 0]], jump_to_test_runs, jump_to_test_runs);
}

/// A lookup on two paths, the one jumped to when the packet is longer
/// than 1,000 bytes: r0 is the value found. Without `past_setup`, the jump
/// lands on the `r2 += -4` of the other path's `r2 = r10; r2 += -4` with
/// r2 = r10 - 4 (so it looks up key 6, at r10 - 8, where the other path
/// looks up key 5); with it, on the `r1 = map` after that setup, with r2
/// = r10 - 8.
fn two_path_key_program(hash: u32, past_setup: bool) -> Vec<Insn> {
    let (first, skip) = if past_setup { (-8, 2) } else { (-4, 1) };
    let mut p = vec![
        insn(0x62, 10, -4, 5),     // *(u32 *)(r10 - 4) = 5
        insn(0x62, 10, -8, 6),     // *(u32 *)(r10 - 8) = 6
        insn(0x61, 0x13, 0, 0),    // r3 = skb->len
        insn(0xbf, 0xa2, 0, 0),    // r2 = r10
        insn(0x07, 2, 0, first),   // r2 += first
        insn(0x25, 3, skip, 1000), // if r3 > 1000 goto +skip
        insn(0xbf, 0xa2, 0, 0),    // r2 = r10
        insn(0x07, 2, 0, -4),      // r2 += -4
    ];
    p.extend(ld_map(1, hash));
    p.extend([
        insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
        insn(0x15, 0, 1, 0),    // if r0 == 0 goto +1
        insn(0x79, 0x00, 0, 0), // r0 = *(u64 *)(r0 + 0)
        insn(0x95, 0, 0, 0),    // exit
    ]);
    p
}

fn two_path_runs<S: Sys + Clone + 'static>(sys: &S) -> [[u32; 2]; 2] {
    use user_bindings::maps::HashMap;
    let hash: HashMap<S, u32, u64> = HashMap::create(sys, 8).unwrap();
    hash.insert(&5, &50, 0).unwrap();
    hash.insert(&6, &60, 0).unwrap();
    [false, true].map(|past_setup| {
        let prog = two_path_key_program(hash.map().fd().raw(), past_setup);
        let p = Program::load(sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
        [60, 2000].map(|len| p.test_run(&vec![0u8; len], 1).unwrap().retval)
    })
}

/// A compiled lookup reads its key from the stack itself only where no
/// jump lands between r2's setup and the lookup: here both paths find
/// their own key, whether the jump lands in the setup or after it.
#[test]
fn a_key_pointer_set_on_two_paths_is_followed_on_both() {
    same_compiled_interpreted_and_on_linux([[50, 60], [50, 60]], two_path_runs, two_path_runs);
}
