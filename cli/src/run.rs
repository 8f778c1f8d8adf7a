//! `rcbpf run`: load, attach, run the simulated kernel, show.

use crate::examples;
use crate::render::{self, Shown};
use clap::Args;
use kernel_bpf::attach::Target;
use kernel_bpf::hosted::sim::Kernel;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use user_bindings::hosted::HostedBackend;
use user_bindings::Client;

/// Arguments of `run`.
#[derive(Args)]
pub struct RunArgs {
    /// Objects to load: paths, or names of embedded examples (see
    /// `rcbpf examples`). Default: counts latency events.
    objects: Vec<String>,
    /// Steps of the workload (each opens a file, reads and writes it, and
    /// sometimes switches tasks).
    #[arg(long, default_value_t = 2000)]
    steps: u64,
    /// Seed of the workload; the same seed gives the same run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated CPUs (per-CPU maps hold one value for each).
    #[arg(long, default_value_t = 2)]
    cpus: u32,
    /// Attach a program whose section names no target, or attach again:
    /// `PROGRAM=TARGET`, e.g. `count_reads=kretprobe@exit:vfs_read`.
    #[arg(long = "attach", value_name = "PROGRAM=TARGET")]
    attach: Vec<String>,
    /// Events (ring buffer, perf events, bpf_printk lines) printed per
    /// source before the rest are only counted.
    #[arg(long, default_value_t = 8)]
    max_events: usize,
    /// No progress line.
    #[arg(long)]
    no_progress: bool,
}

impl Default for RunArgs {
    fn default() -> RunArgs {
        RunArgs {
            objects: Vec::new(),
            steps: 2000,
            seed: 1,
            cpus: 2,
            attach: Vec::new(),
            max_events: 8,
            no_progress: false,
        }
    }
}

/// An event source: a ring buffer or a perf event array, and what was
/// printed of it.
struct Source {
    name: String,
    fd: u32,
    perf: bool,
    seen: usize,
    lost: u64,
}

/// Prints events above the progress line.
struct Out {
    progress: bool,
    max: usize,
    printk_seen: usize,
}

impl Out {
    fn line(&self, s: &str) {
        if self.progress {
            eprint!("\r\x1b[K");
        }
        println!("{s}");
    }
}

fn drain(c: &Client<HostedBackend>, sources: &mut [Source], out: &mut Out) {
    let bpf = &c.backend().bpf;
    for src in sources.iter_mut() {
        let mut lines = Vec::new();
        let mut take = |slot: Option<u32>, rec: &[u8]| {
            src.seen += 1;
            if src.seen <= out.max {
                let cpu = slot.map(|s| format!(" cpu {s}")).unwrap_or_default();
                lines.push(format!("event {}{cpu}: {}", src.name, render::event(rec)));
            }
        };
        if src.perf {
            if let Ok((_, lost)) = bpf.consume_perf(src.fd, &mut |slot, r| take(Some(slot), r)) {
                src.lost += lost;
            }
        } else {
            let _ = bpf.consume_ringbuf(src.fd, &mut |r| take(None, r));
        }
        for l in lines {
            out.line(&l);
        }
    }
    for l in bpf.platform().take_console().lines() {
        out.printk_seen += 1;
        if out.printk_seen <= out.max {
            out.line(&format!("printk: {l}"));
        }
    }
}

/// Runs `run`.
pub fn run(a: &RunArgs) -> ExitCode {
    let names: Vec<String> = if a.objects.is_empty() {
        examples::DEFAULT.iter().map(|s| s.to_string()).collect()
    } else {
        a.objects.clone()
    };
    let c = Client::new(HostedBackend::new(a.cpus));
    let bpf = c.backend().bpf.clone();
    let mut failed = false;
    let mut shown: Vec<Shown> = Vec::new();
    let mut sources: Vec<Source> = Vec::new();
    let mut programs: Vec<(String, u32)> = Vec::new();
    for name in &names {
        let bytes = match examples::read(name) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("rcbpf: {name}: {e}");
                failed = true;
                continue;
            }
        };
        println!("object {name}");
        let parsed = match kernel_bpf::elf::parse(&bytes) {
            Ok(p) => p,
            Err(e) => {
                println!("  rejected: {e}");
                failed = true;
                continue;
            }
        };
        let loaded = match c.prog_load_ex(&bytes, &[]) {
            Ok(l) => l,
            Err((errno, log)) => {
                println!("  rejected (errno {errno}): {log}");
                failed = true;
                continue;
            }
        };
        for (i, (p, e)) in parsed.programs.iter().zip(&loaded.progs).enumerate() {
            let tail = parsed.is_tail_call_target(i);
            let t = Target::of_section(&p.kind).filter(|_| !tail);
            let attached = match &t {
                None if tail => "not attached (a tail-call target)".into(),
                Some(t) => match c.prog_attach(t, e.fd, 0) {
                    Ok(()) => format!("attached to {t}"),
                    Err(errno) => {
                        failed = true;
                        format!("not attached to {t}: errno {errno}")
                    }
                },
                None => "not attached (its section names no probe point)".into(),
            };
            // Compiled at load unless the platform cannot place machine code.
            let code = match c
                .backend()
                .bpf
                .objects()
                .prog(e.fd)
                .ok()
                .and_then(|p| p.code.image().map(|i| i.len()))
            {
                Some(n) => format!("compiled to {n} bytes of machine code"),
                None => "interpreted".into(),
            };
            println!(
                "  program {:<20} {:<36} {} insns, {code}, {attached}",
                p.name, p.section, e.insn_cnt
            );
            programs.push((p.name.clone(), e.fd));
        }
        for (spec, e) in parsed.maps.iter().zip(&loaded.maps) {
            let Ok(info) = c.map_info(e.fd) else { continue };
            match abi::MapType::try_from(info.r#type) {
                Ok(abi::MapType::Ringbuf) => sources.push(Source {
                    name: spec.name.clone(),
                    fd: e.fd,
                    perf: false,
                    seen: 0,
                    lost: 0,
                }),
                Ok(abi::MapType::PerfEventArray) => {
                    let _ = bpf.open_perf_buffer(e.fd);
                    sources.push(Source {
                        name: spec.name.clone(),
                        fd: e.fd,
                        perf: true,
                        seen: 0,
                        lost: 0,
                    });
                }
                _ => {}
            }
            shown.push(Shown {
                name: spec.name.clone(),
                fd: e.fd,
                info,
            });
        }
    }
    for spec in &a.attach {
        let Some((prog, target)) = spec.split_once('=') else {
            eprintln!("rcbpf: --attach {spec}: expected PROGRAM=TARGET");
            return ExitCode::from(2);
        };
        let Some(&(_, fd)) = programs.iter().find(|p| p.0 == prog) else {
            eprintln!("rcbpf: --attach {spec}: no program named {prog}");
            return ExitCode::from(2);
        };
        match c.prog_attach(target, fd, 0) {
            Ok(()) => println!("  program {prog} attached to {target}"),
            Err(errno) => {
                println!("  program {prog} not attached to {target}: errno {errno}");
                failed = true;
            }
        }
    }
    let progress = !a.no_progress && std::io::stderr().is_terminal();
    let mut out = Out {
        progress,
        max: a.max_events,
        printk_seen: 0,
    };
    println!("\nworkload: {} steps, seed {}", a.steps, a.seed);
    let mut kernel = Kernel::new(bpf.clone(), a.seed);
    let every = (a.steps / 100).max(1);
    let steps = a.steps;
    let mut done = 0;
    while done < steps {
        let n = every.min(steps - done);
        kernel.run(n, &mut |_| {});
        done += n;
        drain(&c, &mut sources, &mut out);
        if progress {
            let k = kernel.counts();
            let width = 30;
            let filled = (done * width / steps) as usize;
            eprint!(
                "\r[{}{}] {done}/{steps} steps  opens {} reads {} writes {} switches {}  programs run {}",
                "#".repeat(filled),
                ".".repeat(width as usize - filled),
                k.opens,
                k.reads,
                k.writes,
                k.switches,
                k.programs_run
            );
            let _ = std::io::stderr().flush();
        }
    }
    if progress {
        eprintln!();
    }
    let k = kernel.counts();
    println!(
        "done: {} opens, {} reads ({} bytes, {} failed), {} writes, {} switches; {} program runs",
        k.opens, k.reads, k.bytes_read, k.read_errors, k.writes, k.switches, k.programs_run
    );
    for s in &sources {
        let more = s.seen.saturating_sub(out.max);
        let lost = if s.lost > 0 {
            format!(", {} lost", s.lost)
        } else {
            String::new()
        };
        println!("events {}: {} ({more} not shown{lost})", s.name, s.seen);
    }
    if out.printk_seen > 0 {
        println!(
            "printk: {} lines ({} not shown)",
            out.printk_seen,
            out.printk_seen.saturating_sub(out.max)
        );
    }
    println!("\nprobe points:");
    for p in bpf.points().list() {
        for (id, runs, errors) in &p.progs {
            let errors = if *errors > 0 {
                format!(", {errors} faulted")
            } else {
                String::new()
            };
            println!("  {:<36} program id {id}: {runs} runs{errors}", p.target.to_string());
        }
    }
    println!();
    for m in &shown {
        print!("{}", render::map(&c, m, a.cpus));
    }
    // Detach and close everything: nothing stays alive.
    for p in bpf.points().list() {
        let _ = c.prog_detach(&p.target.to_string(), 0);
    }
    drop(kernel);
    for fd in bpf.objects().fds() {
        let _ = bpf.close(fd);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
