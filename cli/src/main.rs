//! `rcbpf`: try BPF objects written for Linux without root and without a
//! VM. It loads objects into the hosted kernel (kernel-bpf in this
//! process), attaches their programs to a small simulated kernel, runs a
//! deterministic workload and shows what the programs saw; `check` tells
//! which programs of each object load.
//!
//! Everything it does goes through the libraries a user program has: the
//! `user-bindings` client for bpf(2), the ELF module of `kernel-bpf`, and
//! the hosted platform's simulated kernel.

mod check;
mod examples;
mod render;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Try BPF objects written for Linux, without root and without a VM.
///
/// With no command, runs the demo: the examples `counts`, `latency` and
/// `events`, built from examples/bpf/*.c and embedded in this binary, are
/// loaded, attached and run against the simulated kernel.
#[derive(Parser)]
#[command(name = "rcbpf", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Load objects, attach their programs, run the simulated workload, and
    /// show events as they arrive and the maps at the end.
    Run(run::RunArgs),
    /// Load every program of each object into a fresh hosted kernel (maps
    /// created, relocations applied, nothing attached) and report, per
    /// program, whether it loaded; exits 1 if any was rejected.
    Check(check::CheckArgs),
    /// List the simulated kernel's functions, tracepoints and raw
    /// tracepoints, which programs can attach to.
    Probes,
    /// List the embedded example objects.
    Examples,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run(run::RunArgs::default())) {
        Command::Run(a) => run::run(&a),
        Command::Check(a) => check::check(&a),
        Command::Probes => {
            use kernel_bpf::hosted::sim;
            println!("functions (kprobe:<fn>, kretprobe@entry:<fn>, kretprobe@exit:<fn>):");
            for (name, addr, proto) in sim::FUNCTIONS {
                println!("  {name:<16} {addr:#x}  {proto}");
            }
            println!("tracepoints (tracepoint:<category>:<name>):");
            for (name, rec) in sim::TRACEPOINTS {
                println!("  {name:<28} {rec}");
            }
            println!("raw tracepoints (raw_tracepoint:<name>):");
            for (name, args) in sim::RAW_TRACEPOINTS {
                println!("  {name:<16} {args}");
            }
            ExitCode::SUCCESS
        }
        Command::Examples => {
            for e in examples::ALL {
                println!("{:<10} {}", e.name, e.about);
            }
            ExitCode::SUCCESS
        }
    }
}
