//! The riscv64 JIT, proven without riscv64 hardware: its code for every
//! program of the conformance corpus (and again with blinded constants)
//! runs under `qemu-riscv64`, in a small runner built by
//! `riscv64-linux-gnu-gcc` (`tests/riscv64/run.c`), and must give the
//! corpus's results. Every access is compiled as proven (the runner's
//! memory is real, and a stray access would crash it); helper calls come
//! back to the runner. The runner does not serve the slow path, so the
//! programs that call through a register (`callx`) are only checked to
//! reach it.

use kernel_bpf::prog::jit::{riscv64, Layout};
use std::path::PathBuf;
use std::process::Command;
use tests::corpus::{parse, program};

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

/// Runs the cases of `blob` (see `run.c`) under qemu-riscv64: a line each.
fn run_blob(out: &std::path::Path, runner: &std::path::Path, name: &str, blob: &[u8]) -> Vec<String> {
    let input = out.join(name);
    std::fs::write(&input, blob).unwrap();
    let run = Command::new("qemu-riscv64").arg(runner).arg(&input).output().unwrap();
    String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Generated programs of every ALU and conditional-jump opcode at edge
/// values give under qemu-riscv64 the r0 the interpreter gives, plain and
/// with blinded constants.
#[test]
fn generated_programs_match_the_interpreter_under_qemu_riscv64() {
    use kernel_bpf::prog::interp::{self, mem::Memory, Limits};
    use rand::SeedableRng;
    let Some((out, runner)) = runner("generated") else {
        return;
    };
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x0003_1415);
    let n = 1500;
    let mut blob = Vec::new();
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
        let m = riscv64::compile(&p, &[], &Layout::of(&p), blind).unwrap();
        blob.extend((m.len() as u32).to_le_bytes());
        blob.extend(0u32.to_le_bytes());
        blob.extend(&m);
        want.push((format!("{r0:x}"), p));
    }
    let lines = run_blob(&out, &runner, "generated.bin", &blob);
    for (k, (w, p)) in want.iter().enumerate() {
        assert_eq!(lines.get(k), Some(w), "program {k} (blinded: {}): {p:?}", k % 2 == 1);
    }
    println!("{n} generated programs: the same r0 under qemu-riscv64 as interpreted (every other one blinded)");
}

#[test]
fn the_corpus_runs_under_qemu_riscv64() {
    let Some((out, runner)) = runner("corpus") else {
        return;
    };
    let Some(dir) = tests::corpus::dir_or_report("the_corpus_runs_under_qemu_riscv64") else {
        return;
    };
    for blind in [None, Some(0x0b1d_5eed_u64)] {
        let mut blob = Vec::new();
        let mut cases = Vec::new();
        let mut cases_code = Vec::new();
        for f in tests::corpus::files(&dir) {
            let case = parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let prog = program(&case).unwrap();
            let proven = vec![true; prog.len()];
            let code = riscv64::compile(&prog, &proven, &Layout::of(&prog), blind)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            blob.extend((code.len() as u32).to_le_bytes());
            blob.extend((case.mem.len() as u32).to_le_bytes());
            blob.extend(&code);
            cases_code.extend(&code);
            blob.extend(&case.mem);
            let callx = prog.iter().any(|i| i.code == kernel_bpf::prog::insn::CALLX);
            cases.push((f.file_stem().unwrap().to_string_lossy().to_string(), case.result, callx));
        }
        if blind.is_none() {
            decodes(&out, &cases_code);
        }
        let lines = run_blob(
            &out,
            &runner,
            if blind.is_some() {
                "corpus-blinded.bin"
            } else {
                "corpus.bin"
            },
            &blob,
        );
        let mut failed = Vec::new();
        let mut slow = 0;
        for (k, (name, want, callx)) in cases.iter().enumerate() {
            let got = lines.get(k).map_or("(no output: the runner stopped)", String::as_str);
            if *callx && got.starts_with("slow ") {
                slow += 1;
            } else if u64::from_str_radix(got, 16).ok() != *want {
                failed.push(format!("{name}: got {got}, want {want:x?}"));
            }
        }
        println!(
            "riscv64 JIT{} under qemu-riscv64: {} of {} corpus programs give the corpus's result; {slow} call through a register and reach the slow path",
            if blind.is_some() { ", constants blinded," } else { "" },
            cases.len() - failed.len() - slow,
            cases.len()
        );
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }
}

/// The code decodes as RV64 instructions of 4 bytes each, every one of them
/// known to the GNU disassembler (no `.word`, `.insn` or `unimp`).
fn decodes(dir: &std::path::Path, code: &[u8]) {
    if !tests::require("riscv64-linux-gnu-objdump", "binutils-riscv64-linux-gnu") {
        return;
    }
    let file = dir.join("code.bin");
    std::fs::write(&file, code).unwrap();
    let out = Command::new("riscv64-linux-gnu-objdump")
        .args(["-D", "-b", "binary", "-m", "riscv:rv64"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut n = 0;
    for line in text.lines().filter(|l| l.starts_with(' ') && l.contains(":\t")) {
        let mut parts = line.split('\t');
        let (word, mnemonic) = (parts.nth(1).unwrap_or("").trim(), parts.next().unwrap_or(""));
        assert!(
            word.len() == 8 && !mnemonic.starts_with('.') && mnemonic != "unimp",
            "not a known 4-byte instruction: {line}"
        );
        n += 1;
    }
    assert_eq!(n * 4, code.len(), "every 4 bytes decoded");
}
