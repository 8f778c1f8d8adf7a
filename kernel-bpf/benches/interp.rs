//! Interpreter and JIT benchmarks, side by side with the `rbpf` crate's
//! interpreter and JIT on the same programs in the same run:
//! (a) ns per executed instruction of a 4-instruction loop,
//! (b) ns per run of a 10-instruction program,
//! (c) a hash-map-heavy loop (a lookup and an update per iteration, through
//!     the same helpers on the same kernel-bpf map for both interpreters).
//! Also prints the real Linux JIT's figures for (a) and (b) through
//! BPF_PROG_TEST_RUN where bpf(2) is permitted, with the harness (the
//! same run of a program that only exits) taken out.
//!
//! Run: `cargo bench -p kernel-bpf --features std --bench interp`.

use abi::{Cmd, MapCreateAttr, MapType, ProgLoadAttr, ProgTestRunAttr, BPF_ANY};
use criterion::{black_box, Criterion};
use kernel_bpf::hosted::Hosted;
use kernel_bpf::prog::asm::assemble;
use kernel_bpf::prog::insn::{encode, Insn};
use kernel_bpf::prog::interp::{self, code::prepare, mem::Memory, Env, Limits};
use kernel_bpf::prog::verify::{verify, Input, Log};
use kernel_bpf::{Map, Platform, Result};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use user_bindings::Backend;
use zerocopy::IntoBytes;

#[path = "common.rs"]
mod common;

const LOOP_N: u64 = 10_000;

fn loop_prog(n: u64) -> Vec<Insn> {
    assemble(&format!(
        "mov %r0, 0\nmov %r2, 0\nmov %r1, {n}\nloop:\nadd %r0, %r1\nxor %r2, %r0\nsub %r1, 1\njne %r1, 0, loop\nexit"
    ))
    .unwrap()
}

fn straight_prog() -> Vec<Insn> {
    assemble(
        "mov %r0, 1\nadd %r0, 2\nmul %r0, 3\nmov %r2, %r0\nlsh %r2, 4\nor %r0, %r2\nxor %r0, 0x55\nsub %r0, 7\nand %r0, 0xffff\nexit",
    )
    .unwrap()
}

fn map_prog() -> Vec<Insn> {
    assemble(
        "mov %r6, 1000\nloop:\nmov %r1, %r6\nand %r1, 255\ncall 1\nmov %r2, %r0\nadd %r2, 1\nmov %r1, %r6\nand %r1, 255\ncall 2\n\
         sub %r6, 1\njne %r6, 0, loop\nmov %r0, 0\nexit",
    )
    .unwrap()
}

static MAP: OnceLock<Arc<dyn Map>> = OnceLock::new();

fn map() -> &'static Arc<dyn Map> {
    MAP.get_or_init(|| {
        let attr = MapCreateAttr {
            map_type: MapType::Hash.raw(),
            key_size: 4,
            value_size: 8,
            max_entries: 256,
            ..Default::default()
        };
        kernel_bpf::map::create(&attr, 1, 1, 1).unwrap()
    })
}

/// Helper 1: the value of key r1 (0 if missing). Helper 2: key r1 := r2.
fn map_helper(id: u32, key: u64, value: u64) -> u64 {
    let m = map();
    let key = (key as u32).to_ne_bytes();
    if id == 1 {
        let mut out = [0u8; 8];
        return m.lookup(&key, &mut out).map_or(0, |()| u64::from_ne_bytes(out));
    }
    m.update(&key, &value.to_ne_bytes(), BPF_ANY, Some(0)).map_or(1, |()| 0)
}

fn rbpf_lookup(a: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    map_helper(1, a, 0)
}

fn rbpf_update(a: u64, b: u64, _: u64, _: u64, _: u64) -> u64 {
    map_helper(2, a, b)
}

/// The map loop's helper calls, without a program.
fn map_loop_in_rust() -> u64 {
    for i in (1..=1000u64).rev() {
        let v = map_helper(1, i & 255, 0);
        map_helper(2, i & 255, v + 1);
    }
    0
}

struct MapEnv;

impl Env for MapEnv {
    fn call(&mut self, id: u32, args: [u64; 5], _mem: &mut Memory) -> Result<u64> {
        Ok(map_helper(id, args[0], args[1]))
    }
}

/// `prog` prepared once, as a loaded program's code is, and what the
/// verifier proved of it: verified where the verifier accepts it as a
/// socket filter (the map loop's helpers take numbers for maps, so it runs
/// as unverified code, with nothing proven).
fn prepared(prog: &[Insn]) -> (kernel_bpf::prog::interp::code::Code, Vec<bool>) {
    let input = Input {
        insns: prog,
        prog_type: abi::ProgType::SocketFilter,
        gpl: true,
        maps: Vec::new(),
        ld: Vec::new(),
    };
    match verify(&input, &mut Log::new(0)) {
        Ok(v) => (prepare(prog).unwrap().verified(), v.proven),
        Err(_) => (prepare(prog).unwrap(), Vec::new()),
    }
}

/// A run closure reusing one run context (its stack), as a kernel does per
/// CPU, on `prog` prepared once: interpreted, or compiled by the JIT
/// (`jit`, with the verifier's proofs).
fn ours(prog: &[Insn], jit: bool) -> impl FnMut() -> u64 {
    let mut mem = Memory::new();
    let (mut code, proven) = prepared(prog);
    if jit {
        let host = Hosted::new(1);
        // SAFETY: `proven` is the verifier's result for `prog` (or empty);
        // the benchmark programs end and make no local calls.
        #[allow(unsafe_code)]
        let image =
            unsafe { kernel_bpf::prog::jit::compile(prog, &proven, &Default::default(), &|b| host.map_code(b), None) };
        code = code.with_image(image.expect("the benchmark programs compile"));
    }
    move || interp::run_code(&code, [0; 5], &mut mem, &mut MapEnv, Limits { max_steps: u64::MAX }).unwrap()
}

/// A program of 1,000 instructions: ALU of every kind, jumps forward,
/// stack stores and loads.
fn thousand() -> Vec<Insn> {
    let body = "mov %r1, 7\nadd %r0, %r1\nmul %r0, 3\nstxdw [%r10-8], %r0\nldxdw %r2, [%r10-8]\nxor %r0, %r2\njgt %r0, 1000, +1\nrsh %r0, 1\nand32 %r0, 0xffff\n";
    let mut text = String::from("mov %r0, 0\n");
    while text.lines().count() + 9 < 1000 {
        text.push_str(body);
    }
    while text.lines().count() < 999 {
        text.push_str("add %r0, 1\n");
    }
    text.push_str("exit");
    assemble(&text).unwrap()
}

fn compile_time(c: &mut Criterion) {
    let prog = thousand();
    assert_eq!(prog.len(), 1000);
    let input = Input {
        insns: &prog,
        prog_type: abi::ProgType::SocketFilter,
        gpl: true,
        maps: Vec::new(),
        ld: Vec::new(),
    };
    let proven = verify(&input, &mut Log::new(0))
        .expect("the 1k program verifies")
        .proven;
    let host = Hosted::new(1);
    let mut g = c.benchmark_group("load_1k");
    // In rounds, as the comparisons (see `common::ROUNDS`): the goal's
    // figure is their median.
    for k in 1..=common::ROUNDS {
        g.bench_function(common::nth("jit_compile", k), |b| {
            b.iter(|| {
                // SAFETY: as below; nothing is mapped (so nothing runs).
                #[allow(unsafe_code)]
                let image =
                    unsafe { kernel_bpf::prog::jit::compile(&prog, &proven, &Default::default(), &|_| None, None) };
                black_box(image.is_none())
            })
        });
        g.bench_function(common::nth("jit_compile_and_map", k), |b| {
            b.iter(|| {
                // SAFETY: `proven` is the verifier's result for `prog`.
                #[allow(unsafe_code)]
                let image = unsafe {
                    kernel_bpf::prog::jit::compile(&prog, &proven, &Default::default(), &|b| host.map_code(b), None)
                };
                black_box(image.expect("compiles").len())
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let programs = [
        ("a_loop", loop_prog(LOOP_N)),
        ("b_straight", straight_prog()),
        ("c_map", map_prog()),
    ];
    for (name, prog) in &programs {
        let bytes = encode(prog);
        let mut vm = rbpf::EbpfVmNoData::new(Some(&bytes)).unwrap();
        vm.register_helper(1, rbpf_lookup).unwrap();
        vm.register_helper(2, rbpf_update).unwrap();
        let mut run_ours = ours(prog, false);
        let mut run_jit = ours(prog, true);
        let want = vm.execute_program().unwrap();
        assert_eq!(run_ours(), want, "{name}: both interpreters agree");
        assert_eq!(run_jit(), want, "{name}: our JIT agrees");
        vm.jit_compile().unwrap();
        // SAFETY: rbpf's JIT on a program its own interpreter just ran.
        #[allow(unsafe_code)]
        let rbpf_jit = || unsafe { vm.execute_program_jit() }.unwrap();
        assert_eq!(rbpf_jit(), want, "{name}: rbpf's JIT agrees");
        let mut g = c.benchmark_group(*name);
        g.bench_function("kernel-bpf", |b| b.iter(|| black_box(run_ours())));
        g.bench_function("rbpf", |b| b.iter(|| black_box(vm.execute_program().unwrap())));
        // Our JIT against rbpf's and, on the loop, Linux's, in rounds
        // (see `common::ROUNDS`). Linux's is measured as criterion samples
        // the others: each sample one BPF_PROG_TEST_RUN of as many runs,
        // timed by the kernel (no syscall in the time), less its harness.
        let linux = (*name == "a_loop").then(linux_jit);
        let theirs = match &linux {
            Some(Ok((linux, h))) => match LinuxProg::load(linux, prog) {
                Ok(p) => Some((p, *h)),
                Err(e) => {
                    println!("SKIP a_loop/linux-jit: {e}");
                    None
                }
            },
            Some(Err(e)) => {
                println!("SKIP a_loop/linux-jit: {e}");
                None
            }
            None => None,
        };
        let mut linux_routine = |b: &mut criterion::Bencher<'_>| {
            if let Some((p, h)) = &theirs {
                b.iter_custom(|iters| {
                    let ns = p.ns_per_run(iters as u32).expect("test run") - h;
                    Duration::from_secs_f64(ns.max(0.0) * iters as f64 / 1e9)
                })
            }
        };
        let mut rbpf_routine = |b: &mut criterion::Bencher<'_>| b.iter(|| black_box(rbpf_jit()));
        let mut jit_routine = |b: &mut criterion::Bencher<'_>| b.iter(|| black_box(run_jit()));
        if theirs.is_some() {
            common::bench_rounds(
                &mut g,
                ("kernel-bpf-jit", &mut jit_routine),
                ("linux-jit", &mut linux_routine),
            );
        }
        common::bench_rounds(
            &mut g,
            ("kernel-bpf-jit", &mut jit_routine),
            ("rbpf-jit", &mut rbpf_routine),
        );
        if *name == "c_map" {
            // The helpers the map loop calls, called from a Rust loop: the
            // part of both interpreters' time that is not interpretation.
            g.bench_function("helpers_alone", |b| b.iter(|| black_box(map_loop_in_rust())));
        }
        g.finish();
        let iters = if *name == "b_straight" { 100_000 } else { 20 };
        common::report(
            name,
            common::interleaved(
                || {
                    black_box(run_ours());
                },
                || {
                    black_box(vm.execute_program().unwrap());
                },
                iters,
                31,
            ),
        );
        common::report(
            &format!("{name} JITs"),
            common::interleaved(
                || {
                    black_box(run_jit());
                },
                || {
                    black_box(rbpf_jit());
                },
                iters,
                31,
            ),
        );
    }
}

/// A program loaded into Linux (its JIT), run through BPF_PROG_TEST_RUN.
struct LinuxProg<'a> {
    linux: &'a user_bindings::sys::Syscall,
    buf: Box<dyn user_bindings::UserBuffer>,
    fd: u32,
}

impl<'a> LinuxProg<'a> {
    fn load(linux: &'a user_bindings::sys::Syscall, prog: &[Insn]) -> std::result::Result<Self, String> {
        let code = encode(prog);
        let buf = linux.buffer(4096 + code.len());
        buf.write(1024, &code);
        buf.write(512, b"GPL\0");
        let load = ProgLoadAttr {
            prog_type: abi::ProgType::SocketFilter.raw(),
            insn_cnt: prog.len() as u32,
            insns: buf.at(1024),
            license: buf.at(512),
            ..Default::default()
        };
        buf.write(0, load.as_bytes());
        let fd = linux
            .bpf(Cmd::ProgLoad.raw(), buf.addr(), load.as_bytes().len() as u32)
            .map_err(|e| format!("load: errno {e}"))?;
        Ok(LinuxProg { linux, buf, fd })
    }

    /// Mean ns per run over `repeat` runs, as the kernel times them.
    fn ns_per_run(&self, repeat: u32) -> std::result::Result<f64, String> {
        let run = ProgTestRunAttr {
            prog_fd: self.fd,
            data_size_in: 64,
            data_in: self.buf.at(2048),
            repeat,
            ..Default::default()
        };
        self.buf.write(0, run.as_bytes());
        self.linux
            .bpf(Cmd::ProgTestRun.raw(), self.buf.addr(), run.as_bytes().len() as u32)
            .map_err(|e| format!("test run: errno {e}"))?;
        let out = self.buf.read(0, core::mem::size_of::<ProgTestRunAttr>());
        let at = core::mem::offset_of!(ProgTestRunAttr, duration);
        Ok(f64::from(u32::from_ne_bytes(out[at..at + 4].try_into().unwrap())))
    }
}

impl Drop for LinuxProg<'_> {
    fn drop(&mut self) {
        let _ = self.linux.close(self.fd);
    }
}

/// Linux's bpf(2), and the ns per run of its test-run harness (a
/// program that only exits).
fn linux_jit() -> std::result::Result<(user_bindings::sys::Syscall, f64), String> {
    let linux = user_bindings::sys::Syscall::probe()?;
    let h = linux_ns_per_run(&linux, &assemble("mov %r0, 0\nexit").unwrap())?;
    Ok((linux, h))
}

/// Linux's JIT through BPF_PROG_TEST_RUN: mean ns per run.
fn linux_ns_per_run(linux: &user_bindings::sys::Syscall, prog: &[Insn]) -> std::result::Result<f64, String> {
    LinuxProg::load(linux, prog)?.ns_per_run(100_000)
}

/// Our JIT against Linux's on the loop (a), in alternating rounds (each
/// side `repeat` runs, Linux's timed by the kernel less its harness `h`,
/// ns per run): the median, lowest and highest ratio.
fn linux_interleaved(linux: &user_bindings::sys::Syscall, h: f64) -> std::result::Result<(f64, f64, f64), String> {
    let prog = loop_prog(LOOP_N);
    let theirs = LinuxProg::load(linux, &prog)?;
    let mut run_jit = ours(&prog, true);
    let repeat = 2_000u32;
    let mut ratios = Vec::new();
    for _ in 0..31 {
        let t = std::time::Instant::now();
        for _ in 0..repeat {
            black_box(run_jit());
        }
        let a = t.elapsed().as_secs_f64() * 1e9 / f64::from(repeat);
        ratios.push(a / (theirs.ns_per_run(repeat)? - h));
    }
    Ok(common::spread(ratios))
}

fn report() {
    let executed = (4 * LOOP_N + 4) as f64;
    println!("\nresults (ours / rbpf; below 1 is faster):");
    let groups = [
        ("a_loop", executed, "ns per instruction"),
        ("b_straight", 1.0, "ns per run"),
        ("c_map", 1.0, "ns per run"),
    ];
    let (ours, theirs) = ("kernel-bpf", "rbpf");
    for (group, per, unit) in groups {
        match (common::mean_ns(group, ours), common::mean_ns(group, theirs)) {
            (Some(a), Some(b)) => println!(
                "  {group}: {ours} {:.3} {unit}, {theirs} {:.3}, ratio {:.2} ({:.1}x faster)",
                a / per,
                b / per,
                a / b,
                b / a
            ),
            _ => println!("  {group}: no estimate"),
        }
    }
    println!("results of the JITs, in rounds with rbpf's:");
    for (group, per, unit) in groups {
        if common::report_rounds(group, "kernel-bpf-jit", "rbpf-jit", per, unit).is_none() {
            println!("  {group}: no estimates of the rounds with rbpf-jit");
        }
    }
    let rounds = |bench: &str| -> Option<Vec<f64>> {
        (1..=common::ROUNDS)
            .map(|k| common::mean_ns("load_1k", &common::nth(bench, k)).map(|ns| ns / 1000.0))
            .collect()
    };
    if let (Some(c), Some(t)) = (rounds("jit_compile"), rounds("jit_compile_and_map")) {
        let show = |v: &[f64]| v.iter().map(|us| format!("{us:.1}")).collect::<Vec<_>>().join(", ");
        println!(
            "  load_1k: compiling a 1,000-instruction program takes {} µs in {} rounds, median {:.1} (goal: at most 20); {} µs with placing it in executable memory",
            show(&c),
            common::ROUNDS,
            common::spread(c.clone()).0,
            show(&t)
        );
    }
    if let (Some(h), Some(r)) = (
        common::mean_ns("c_map", "helpers_alone"),
        common::mean_ns("c_map", "rbpf"),
    ) {
        println!(
            "  c_map: the helpers alone take {h:.0} ns per run; an interpreter that cost nothing would be {:.1}x rbpf",
            r / h
        );
    }
    let (linux, h) = match linux_jit() {
        Ok(l) => l,
        Err(why) => return println!("  SKIP Linux JIT anchor: {why}"),
    };
    match (
        linux_ns_per_run(&linux, &loop_prog(LOOP_N)),
        linux_ns_per_run(&linux, &straight_prog()),
    ) {
        (Ok(a), Ok(b)) => println!(
            "  Linux JIT (BPF_PROG_TEST_RUN, less its harness of {h:.1} ns per run): a_loop {:.3} ns per instruction, b_straight {:.1} ns per run",
            (a - h) / executed,
            b - h
        ),
        (a, b) => println!("  Linux JIT: {a:?} {b:?}"),
    }
    // Ours in rounds with Linux's (goal: at most 1.2).
    if common::report_rounds("a_loop", "kernel-bpf-jit", "linux-jit", executed, "ns per instruction").is_none() {
        println!("  a_loop: no estimates of the rounds with linux-jit");
    }
    match linux_interleaved(&linux, h) {
        Ok(r) => common::report("a_loop kernel-bpf-jit / Linux JIT", r),
        Err(e) => println!("  a_loop against Linux, interleaved: {e}"),
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let start = common::clock_ghz();
    benches(&mut c);
    compile_time(&mut c);
    c.final_summary();
    report();
    common::report_clock(start);
}
