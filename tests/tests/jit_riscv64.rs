//! The riscv64 JIT, proven without riscv64 hardware: its code for every
//! program of the conformance corpus (and again with blinded constants)
//! runs under `qemu-riscv64`, in a small runner built by
//! `riscv64-linux-gnu-gcc` (`tests/riscv64/run.c`), and must give the
//! corpus's results, compiled for plain RV64IMA (run on a core without
//! Zba and Zbb) and with those extensions (on a core with them), and
//! decoding as exactly those instructions. Every access is compiled as
//! proven (the runner's memory is real, and a stray access would crash
//! it); helper calls come back to the runner (calls through a register
//! too). The runner does not
//! serve the slow path (tail calls, unproven accesses), which no program
//! here reaches.

use kernel_bpf::prog::jit::riscv64::Extensions;
use kernel_bpf::prog::jit::{code_for, Arch, Lookups};
use std::path::PathBuf;
use std::process::Command;
use tests::corpus::{parse, program};

/// The riscv64 code of `prog` (as the loader of a riscv64 host would
/// compile it, for cores with the extensions `ext`).
fn riscv64(
    prog: &[kernel_bpf::prog::insn::Insn],
    proven: &[bool],
    lookups: &Lookups,
    blind: Option<u64>,
    ext: Extensions,
) -> kernel_bpf::Result<Vec<u8>> {
    code_for(Arch::Riscv64(ext), prog, proven, lookups, blind).map(|c| c.bytes)
}

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

/// The runner, built for this test in its own directory (tests run at
/// once); `None` after saying why the tools are missing.
fn runner(test: &str) -> Option<(PathBuf, PathBuf)> {
    if !tests::require("riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu") || !tests::require("qemu-riscv64", "qemu-user")
    {
        return None;
    }
    let out = repo("target/jit-riscv64").join(test);
    std::fs::create_dir_all(&out).unwrap();
    let runner = out.join("run");
    let built = Command::new("riscv64-linux-gnu-gcc")
        .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&runner)
        .arg(repo("tests/riscv64/run.c"))
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    Some((out, runner))
}

/// Seconds a runner may take under qemu (the longest takes about one).
const QEMU_LIMIT_S: u32 = 300;

/// The extensions of both kinds of code: none (RV64IMA), or Zba and Zbb.
const PLAIN: Extensions = Extensions { zba: false, zbb: false };
const ZB: Extensions = Extensions { zba: true, zbb: true };

/// Runs the cases of `blob` (see `run.c`) under qemu-riscv64, on a core
/// with exactly the extensions `ext`: a line each.
fn run_blob(out: &std::path::Path, runner: &std::path::Path, name: &str, blob: &[u8], ext: Extensions) -> Vec<String> {
    run_blob_with(out, runner, name, blob, ext, None)
}

/// [`run_blob`], with `table` loaded at the runner's `TABLE`.
fn run_blob_with(
    out: &std::path::Path,
    runner: &std::path::Path,
    name: &str,
    blob: &[u8],
    ext: Extensions,
    table: Option<&[u8]>,
) -> Vec<String> {
    let input = out.join(name);
    std::fs::write(&input, blob).unwrap();
    let cpu = format!("rv64,zba={},zbb={}", ext.zba, ext.zbb);
    // Wrong code can loop (a hash search on a bad address): a time limit
    // turns that into a failure.
    let mut run = Command::new("timeout");
    run.args([&format!("{QEMU_LIMIT_S}"), "qemu-riscv64", "-cpu", &cpu])
        .arg(runner)
        .arg(&input);
    if let Some(table) = table {
        let file = out.join(format!("{name}.table"));
        std::fs::write(&file, table).unwrap();
        run.arg(file);
    }
    let run = run.output().unwrap();
    assert_ne!(
        run.status.code(),
        Some(124),
        "{name}: qemu-riscv64 ran past {QEMU_LIMIT_S} s"
    );
    String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Generated programs of every ALU and conditional-jump opcode at edge
/// values give under qemu-riscv64 the r0 the interpreter gives, plain and
/// with blinded constants, compiled for RV64IMA on a core without Zba and
/// Zbb and compiled with them on a core with them.
#[test]
fn generated_programs_match_the_interpreter_under_qemu_riscv64() {
    use kernel_bpf::prog::interp::{self, mem::Memory, Limits};
    use rand::SeedableRng;
    let Some((out, runner)) = runner("generated") else {
        return;
    };
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x0003_1415);
    let n = 1500;
    let mut blobs = [Vec::new(), Vec::new()];
    let mut want = Vec::new();
    for k in 0..n {
        let p = tests::generate::alu_program(&mut rng);
        let code = interp::code::prepare(&p).unwrap();
        let r0 = interp::run_code(
            &code,
            [0; 5],
            &mut Memory::new(),
            &mut tests::NoHelpers,
            Limits::default(),
        )
        .unwrap();
        let blind = (k % 2 == 1).then_some(0x5eed + k as u64);
        for (blob, ext) in blobs.iter_mut().zip([PLAIN, ZB]) {
            let m = riscv64(&p, &[], &Default::default(), blind, ext).unwrap();
            blob.extend((m.len() as u32).to_le_bytes());
            blob.extend(0u32.to_le_bytes());
            blob.extend(&m);
        }
        want.push((format!("{r0:x}"), p));
    }
    for (blob, ext) in blobs.iter().zip([PLAIN, ZB]) {
        let lines = run_blob(&out, &runner, &format!("generated-{}.bin", ext.zbb), blob, ext);
        for (k, (w, p)) in want.iter().enumerate() {
            assert_eq!(
                lines.get(k),
                Some(w),
                "program {k} ({ext:?}, blinded: {}): {p:?}",
                k % 2 == 1
            );
        }
    }
    println!(
        "{n} generated programs: the same r0 under qemu-riscv64 as interpreted, for RV64IMA and with Zba and Zbb (every other one blinded)"
    );
}

#[test]
fn the_corpus_runs_under_qemu_riscv64() {
    let Some((out, runner)) = runner("corpus") else {
        return;
    };
    let Some(dir) = tests::corpus::dir_or_report("the_corpus_runs_under_qemu_riscv64") else {
        return;
    };
    // Bytes of unblinded code without and with Zba and Zbb.
    let mut bytes = [0usize; 2];
    for (blind, ext) in [(None, PLAIN), (Some(0x0b1d_5eed_u64), PLAIN), (None, ZB)] {
        let mut blob = Vec::new();
        let mut cases = Vec::new();
        let mut cases_code = Vec::new();
        for f in tests::corpus::files(&dir) {
            let case = parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let prog = program(&case).unwrap();
            let proven = vec![true; prog.len()];
            let code = riscv64(&prog, &proven, &Default::default(), blind, ext)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            blob.extend((code.len() as u32).to_le_bytes());
            blob.extend((case.mem.len() as u32).to_le_bytes());
            blob.extend(&code);
            cases_code.extend(&code);
            blob.extend(&case.mem);
            cases.push((f.file_stem().unwrap().to_string_lossy().to_string(), case.result));
        }
        if blind.is_none() {
            decodes(&out, &cases_code, ext);
            bytes[usize::from(ext.zbb)] = cases_code.len();
        }
        let name = format!("corpus-{}-{}.bin", blind.is_some(), ext.zbb);
        let lines = run_blob(&out, &runner, &name, &blob, ext);
        let mut failed = Vec::new();
        for (k, (name, want)) in cases.iter().enumerate() {
            let got = lines.get(k).map_or("(no output: the runner stopped)", String::as_str);
            if u64::from_str_radix(got, 16).ok() != *want {
                failed.push(format!("{name}: got {got}, want {want:x?}"));
            }
        }
        println!(
            "riscv64 JIT{}{} under qemu-riscv64: {} of {} corpus programs give the corpus's result",
            if blind.is_some() { ", constants blinded," } else { "" },
            if ext.zbb { ", with Zba and Zbb," } else { "" },
            cases.len() - failed.len(),
            cases.len()
        );
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }
    println!(
        "the corpus's riscv64 code: {} bytes for RV64IMA, {} with Zba and Zbb",
        bytes[0], bytes[1]
    );
    assert!(bytes[1] < bytes[0], "the extensions shorten the code");
}

/// The code decodes as instructions of 4 bytes each of exactly RV64IMA
/// and the extensions `ext`, every one known to the GNU disassembler (no
/// `.word`, `.4byte`, `.insn` or `unimp`): each word is assembled as an
/// instruction of an object whose architecture says so, and disassembled.
fn decodes(dir: &std::path::Path, code: &[u8], ext: Extensions) {
    if !tests::require("riscv64-linux-gnu-objdump", "binutils-riscv64-linux-gnu")
        || !tests::require("riscv64-linux-gnu-as", "binutils-riscv64-linux-gnu")
    {
        return;
    }
    let arch = if ext.zbb { "rv64ima_zba_zbb" } else { "rv64ima" };
    let source = dir.join(format!("code-{arch}.s"));
    let object = dir.join(format!("code-{arch}.o"));
    let text: String = code
        .chunks(4)
        .map(|w| format!(".insn 0x{:08x}\n", u32::from_le_bytes(w.try_into().unwrap())))
        .collect();
    std::fs::write(&source, text).unwrap();
    let built = Command::new("riscv64-linux-gnu-as")
        .arg(format!("-march={arch}"))
        .arg("-o")
        .arg(&object)
        .arg(&source)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let out = Command::new("riscv64-linux-gnu-objdump")
        .arg("-d")
        .arg(&object)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut n = 0;
    for line in text.lines().filter(|l| l.starts_with(' ') && l.contains(":\t")) {
        let mut parts = line.split('\t');
        let (word, mnemonic) = (parts.nth(1).unwrap_or("").trim(), parts.next().unwrap_or(""));
        assert!(
            word.len() == 8 && !mnemonic.starts_with('.') && mnemonic != "unimp",
            "not a known {arch} instruction of 4 bytes: {line}"
        );
        n += 1;
    }
    assert_eq!(n * 4, code.len(), "every 4 bytes decoded as {arch}");
}

/// Looks up keys of the array map (fd `array`) and of the hash map (fd
/// `hash`), folding each found value (or 1) into r0; each lookup three
/// ways: r0 tested after another instruction, and tested straight after
/// (`if r0 == 0`, `if r0 != 0`: the test a compiled lookup takes as its
/// own branch). The hash map's keys are `u64` with `key8`, else `u32`.
fn lookups_program(array: u32, hash: u32, key8: bool) -> Vec<kernel_bpf::prog::insn::Insn> {
    use kernel_bpf::prog::insn::Insn;
    let i = |code: u8, dst: u8, src: u8, off: i16, imm: i32| Insn {
        code,
        dst,
        src,
        off,
        imm,
    };
    let mut p = vec![i(0xb7, 6, 0, 0, 1)]; // r6 = 1
    for (map, key) in [
        (array, 0),
        (array, 5),
        (array, 63),
        (array, 64),
        (array, -1),
        (hash, 6),
        (hash, 7),
        (hash, 64),
    ] {
        let at = if map == hash && key8 { -8 } else { -4 };
        for way in 0..3 {
            p.extend([
                match at {
                    -8 => i(0x7a, 10, 0, -8, key), // *(u64 *)(r10 - 8) = key
                    _ => i(0x62, 10, 0, -4, key),  // *(u32 *)(r10 - 4) = key
                },
                i(0x18, 1, 1, 0, map as i32),
                i(0, 0, 0, 0, 0), // r1 = map
                i(0xbf, 2, 10, 0, 0),
                i(0x07, 2, 0, 0, at), // r2 = r10 + at
                i(0x85, 0, 0, 0, 1),  // call bpf_map_lookup_elem
            ]);
            p.extend(match way {
                0 => [
                    i(0x27, 6, 0, 0, 7), // r6 *= 7
                    i(0x55, 0, 0, 2, 0), // if r0 != 0 goto +2
                    i(0x07, 6, 0, 0, 1), // r6 += 1
                    i(0x05, 0, 0, 2, 0), // goto +2
                    i(0x79, 1, 0, 0, 0), // r1 = *(u64 *)(r0 + 0)
                    i(0x0f, 6, 1, 0, 0), // r6 += r1
                ],
                1 => [
                    i(0x15, 0, 0, 3, 0), // if r0 == 0 goto +3
                    i(0x79, 1, 0, 0, 0), // r1 = *(u64 *)(r0 + 0)
                    i(0x0f, 6, 1, 0, 0), // r6 += r1
                    i(0x05, 0, 0, 1, 0), // goto +1
                    i(0x07, 6, 0, 0, 1), // r6 += 1
                    i(0x27, 6, 0, 0, 7), // r6 *= 7
                ],
                _ => [
                    i(0x55, 0, 0, 2, 0), // if r0 != 0 goto +2
                    i(0x07, 6, 0, 0, 1), // r6 += 1
                    i(0x05, 0, 0, 2, 0), // goto +2
                    i(0x79, 1, 0, 0, 0), // r1 = *(u64 *)(r0 + 0)
                    i(0x0f, 6, 1, 0, 0), // r6 += r1
                    i(0x27, 6, 0, 0, 7), // r6 *= 7
                ],
            });
        }
    }
    // w0 = w6 (a test run's r0 is 32 bits); exit.
    p.extend([i(0xbc, 0, 6, 0, 0), i(0x95, 0, 0, 0, 0)]);
    p
}

/// Map lookups the riscv64 back end compiles itself (an array's in machine
/// code, a hash map's a direct call or its table searched) give under
/// qemu-riscv64 the r0 the hosted kernel gives on real maps of the
/// runner's contents, compiled (x86_64) and interpreted; plain, blinded,
/// and with Zba and Zbb. The hash map's keys are `u32` (in the slot's
/// link word, compared as 4 bytes) with values of one word (16-byte
/// slots, by a shift), two (24-byte slots, addressed by a multiply, or
/// with Zba two `shNadd`) and eight (72-byte slots: 9 words), and `u64`
/// (a word of their own, compared as 8 bytes) with values of one word
/// (24-byte slots) and three (40).
#[test]
fn map_lookups_match_the_hosted_kernel_under_qemu_riscv64() {
    lookups_match::<u32, _>("lookups", |v| v, 16);
    lookups_match::<u32, _>("lookups-wide", |v| [v, !v], 24);
    lookups_match::<u32, _>("lookups-9-words", |v| [v, !v, 1, 2, 3, 4, 5, 6], 72);
    lookups_match::<u64, _>("lookups-key8", |v| v, 24);
    lookups_match::<u64, _>("lookups-key8-wide", |v| [v, !v, 1], 40);
}

/// The test above with hash keys of type `K` and values `value(first
/// word)` in slots of `slot_bytes`.
fn lookups_match<K, V>(name: &str, value: fn(u64) -> V, slot_bytes: u32)
where
    K: From<u32> + zerocopy::IntoBytes + zerocopy::FromBytes + zerocopy::Immutable,
    V: zerocopy::IntoBytes + zerocopy::FromBytes + zerocopy::Immutable,
{
    use kernel_bpf::map::{ArrayValues, HashTable};
    use kernel_bpf::prog::jit::{Lookup, Lookups};
    use user_bindings::hosted::Process;
    use user_bindings::maps::{Array, HashMap};
    use user_bindings::programs::Program;
    use zerocopy::FromBytes;
    let Some((out, runner)) = runner(name) else {
        return;
    };
    let sys = Process::new(1);
    let array: Array<Process, u64> = Array::create(&sys, 64).unwrap();
    let hash: HashMap<Process, K, V> = HashMap::create(&sys, 64).unwrap();
    for k in 0..64u32 {
        let v = 3 * u64::from(k) + 1;
        array.set(k, &v, 0).unwrap();
        if k % 2 == 0 {
            hash.insert(&K::from(k), &value(v), 0).unwrap();
        }
    }
    let (afd, hfd) = (array.map().fd().raw(), hash.map().fd().raw());
    let prog = lookups_program(afd, hfd, std::mem::size_of::<K>() == 8);
    let bytes = kernel_bpf::prog::insn::encode(&prog);
    let abi_prog: Vec<abi::Insn> = bytes
        .chunks(8)
        .map(|c| abi::Insn::read_from_bytes(c).unwrap())
        .collect();
    // The lookups the loader plans on the real maps (the hash map's table
    // searched in machine code), moved below to the runner's copies: the
    // array's values at VALUES, the hash map at HASH_MAP (its lookup served
    // by the runner) or its table copied to TABLE.
    let maps = vec![sys.bpf.map(afd).unwrap(), sys.bpf.map(hfd).unwrap()];
    let call_map: Vec<Option<u16>> = (0..prog.len())
        .map(|pc| (prog[pc].code == 0x85).then(|| u16::from(prog[pc - 4].imm as u32 == hfd)))
        .collect();
    let planned = Lookups::plan(&prog, &call_map, &maps);
    let Some(Lookup::Table(real)) = planned
        .at
        .iter()
        .flatten()
        .copied()
        .find(|l| matches!(l, Lookup::Table(_)))
    else {
        panic!("the hash map's lookups are planned as a table search");
    };
    // With u64 keys, a key in the chain of the missing key 64 that agrees
    // with it in its low 4 bytes: a search comparing only 4 bytes of a key
    // would take it for 64.
    if std::mem::size_of::<K>() == 8 {
        let bucket = |k: u64| k.wrapping_mul(real.mult) >> real.shift;
        let decoy = (1u64..)
            .map(|h| h << 32 | 64)
            .find(|&d| bucket(d) == bucket(64))
            .unwrap();
        let k = K::read_from_bytes(&decoy.to_ne_bytes()).unwrap();
        hash.insert(&k, &value(5), 0).unwrap();
    }
    let hosted = |jit: bool| {
        sys.bpf.use_jit(jit);
        let p = Program::load(&sys, abi::ProgType::SocketFilter, &abi_prog, "GPL").unwrap();
        p.test_run(&[0u8; 60], 1).unwrap().retval
    };
    let (compiled, interpreted) = (hosted(true), hosted(false));
    assert_eq!(compiled, interpreted, "x86_64 JIT and interpreter");
    assert_eq!(real.slot_bytes, slot_bytes, "the slots of this case's hash map");
    // The runner's table: the heads (a `u32` per bucket), then from the
    // next 64 bytes the slots.
    let heads_bytes = 4usize << (64 - real.shift);
    let slots_at = heads_bytes.next_multiple_of(64);
    let slots_bytes = real.slot_count as usize * real.slot_bytes as usize;
    // SAFETY: the addresses are of the hash map `maps` holds, its heads
    // and its slots that many bytes, and nothing writes them now.
    #[allow(unsafe_code)]
    let (heads, slots) = unsafe {
        (
            std::slice::from_raw_parts(real.heads as *const u8, heads_bytes),
            std::slice::from_raw_parts(real.slots as *const u8, slots_bytes),
        )
    };
    let mut table = heads.to_vec();
    table.resize(slots_at, 0);
    table.extend(slots);
    let copied = HashTable {
        heads: 0x4010_0000,
        slots: 0x4010_0000 + slots_at as u64,
        ..real
    };
    let plan = |table: bool| Lookups {
        at: (0..prog.len())
            .map(|pc| match planned.at[pc] {
                Some(Lookup::Array(_)) => Some(Lookup::Array(ArrayValues {
                    base: 0x4000_0000,
                    max_entries: 64,
                    stride: 8,
                })),
                Some(_) if table => Some(Lookup::Table(copied)),
                Some(_) => Some(Lookup::Hash(0x4000_1000)),
                None => None,
            })
            .collect(),
        kept: Vec::new(),
    };
    let proven = vec![true; prog.len()];
    let mut blob = Vec::new();
    let cases = [(None, PLAIN), (Some(0x10c0_0c5e_u64), PLAIN), (None, ZB)];
    for table in [false, true] {
        for (blind, ext) in cases {
            let code = riscv64(&prog, &proven, &plan(table), blind, ext).unwrap();
            decodes(&out, &code, ext);
            blob.extend((code.len() as u32).to_le_bytes());
            blob.extend(0u32.to_le_bytes());
            blob.extend(&code);
        }
    }
    let lines = run_blob_with(&out, &runner, "lookups.bin", &blob, ZB, Some(&table));
    for (k, (table, (blind, ext))) in [false, true]
        .iter()
        .flat_map(|t| cases.iter().map(move |c| (t, c)))
        .enumerate()
    {
        assert_eq!(
            lines.get(k).map(String::as_str),
            Some(format!("{compiled:x}").as_str()),
            "hash table searched in machine code: {table}, blinded: {}, {ext:?}, {slot_bytes}-byte slots",
            blind.is_some()
        );
    }
    println!(
        "map lookups compiled for riscv64 give r0 {compiled:#x} under qemu-riscv64, as the hosted kernel does (plain, blinded, Zba and Zbb; the hash map's lookup a call, or its table of {slot_bytes}-byte slots searched in machine code)"
    );
}
