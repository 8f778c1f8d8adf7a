//! The eBPF conformance corpus (bpf_conformance, MIT; its tests carry their
//! own Apache-2.0 or MIT headers), read at test time from
//! `../shared/conformance/bpf_conformance/tests/`: every `.data` file is
//! assembled (or taken from `-- raw`), run by the interpreter with r1 = the
//! `-- mem` bytes and r2 = their length, and the full 64-bit r0 must equal
//! `-- result`. Helper 5 is ktime_get_ns, as on Linux (the corpus needs it
//! to return non-zero). Every case runs twice: interpreted, and compiled by
//! this machine's JIT (where it has one). Prints `N passed, M failed` for
//! each, with the failing names.

use kernel_bpf::hosted::Hosted;
use kernel_bpf::prog::interp::{self, mem::Memory, Env, Limits};
use kernel_bpf::{Error, Platform, Result};
use std::path::PathBuf;
use tests::corpus::{parse, program, Case};

/// Tests expected to fail, each with the reason. An expected failure that
/// passes is an error too, so this list cannot go stale.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// Helpers of the corpus: 5 is ktime_get_ns.
struct CorpusEnv {
    platform: Hosted,
}

impl Env for CorpusEnv {
    fn call(&mut self, id: u32, _args: [u64; 5], _mem: &mut Memory) -> Result<u64> {
        match id {
            5 => Ok(self.platform.monotonic_ns().max(1)),
            _ => Err(Error::UnknownHelper { id }),
        }
    }
}

/// How a case runs: interpreted, or compiled (with its constants blinded
/// with keys from a seed; with every access made directly, as the
/// verifier's proofs would have them, instead of checked).
#[derive(Clone, Copy)]
enum Mode {
    Interpreted,
    Compiled(Option<u64>),
    Direct,
}

/// Runs a case (`Err` also when the program could not be compiled).
fn run_case(case: &Case, mode: Mode) -> std::result::Result<u64, String> {
    let prog = program(case)?;
    let mut code = interp::code::prepare(&prog).map_err(|e| e.to_string())?;
    if let Mode::Compiled(_) | Mode::Direct = mode {
        let host = Hosted::new(1);
        let (proven, blind) = match mode {
            Mode::Compiled(blind) => (Vec::new(), blind),
            _ => (vec![true; prog.len()], None),
        };
        // SAFETY: nothing is proven (every access is checked) but in the
        // direct mode, which runs after the checked ones have shown every
        // access of the corpus in bounds of its memory or stack; the
        // corpus's programs end and call a few frames deep at most.
        #[allow(unsafe_code)]
        let image = unsafe {
            kernel_bpf::prog::jit::compile(&prog, &proven, &Default::default(), &|b| host.map_code(b), blind)
        };
        code = code.with_image(image.ok_or("not compiled")?);
    }
    let mut mem = Memory::new();
    let (r1, r2) = if case.mem.is_empty() {
        (0, 0)
    } else {
        let len = case.mem.len() as u64;
        (mem.own(case.mem.clone(), true).1, len)
    };
    let mut env = CorpusEnv {
        platform: Hosted::new(1),
    };
    interp::run_code(
        &code,
        [r1, r2, 0, 0, 0],
        &mut mem,
        &mut env,
        Limits { max_steps: 1_000_000 },
    )
    .map_err(|e| e.to_string())
}

#[test]
fn conformance_corpus_passes() {
    let Some(dir) = tests::corpus::dir_or_report("conformance_corpus_passes") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "data"))
        .collect();
    files.sort();
    assert!(files.len() >= 300, "only {} files in {}", files.len(), dir.display());
    let modes: &[(&str, Mode)] = if cfg!(target_arch = "x86_64") {
        &[
            ("interpreter", Mode::Interpreted),
            ("x86_64 JIT", Mode::Compiled(None)),
            ("x86_64 JIT, constants blinded", Mode::Compiled(Some(0x0b1d_5eed))),
            ("x86_64 JIT, every access direct", Mode::Direct),
        ]
    } else {
        &[("interpreter", Mode::Interpreted)]
    };
    for &(name, mode) in modes {
        check_corpus(&files, name, mode);
    }
}

fn check_corpus(files: &[PathBuf], mode_name: &str, mode: Mode) {
    let (mut passed, mut failed) = (0, Vec::new());
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let outcome = parse(&text).and_then(|case| {
            let r = run_case(&case, mode);
            match (&case.error, r) {
                (Some(want), Err(got)) if got.lines().next().unwrap_or("").trim_end() == want => Ok(()),
                (Some(want), r) => Err(format!("expected error {want:?}, got {r:?}")),
                (None, Ok(r0)) if Some(r0) == case.result => Ok(()),
                (None, r) => Err(format!("expected {:#x?}, got {r:x?}", case.result)),
            }
        });
        let known = KNOWN_FAILURES.iter().find(|(n, _)| *n == name);
        match (outcome, known) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => failed.push(format!("{name}: listed as a known failure but passes")),
            (Err(_), Some(_)) => passed += 1,
            (Err(e), None) => failed.push(format!("{name}: {e}")),
        }
    }
    for f in &failed {
        println!("FAILED {f}");
    }
    println!("conformance ({mode_name}): {passed} passed, {} failed", failed.len());
    assert!(
        failed.is_empty(),
        "{} conformance tests failed ({mode_name}):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The disassembler prints what the assembler reads: every corpus program
/// survives assemble -> disassemble -> assemble unchanged.
#[test]
fn corpus_programs_round_trip_through_the_disassembler() {
    let Some(dir) = tests::corpus::dir_or_report("corpus_programs_round_trip_through_the_disassembler") else {
        return;
    };
    let mut n = 0;
    for f in tests::corpus::files(&dir) {
        let case = parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let prog = program(&case).unwrap();
        let text = kernel_bpf::prog::asm::disassemble(&prog);
        let again = kernel_bpf::prog::asm::assemble(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.display()));
        assert_eq!(again, prog, "{}:\n{text}", f.display());
        n += 1;
    }
    assert!(n >= 300);
}
