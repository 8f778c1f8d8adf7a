//! Firing a probe point, against a plain function call as the peer: the
//! cost a probe site adds to the function it instruments, with 0, 1 and 4
//! trivial programs attached. With nothing attached the site is one atomic
//! load (the simulated kernel's `Sites::armed`).
//!
//! `cargo bench -p kernel-bpf --features std --bench attach`

mod common;

use abi::ProgType;
use criterion::{black_box, Criterion};
use kernel_bpf::hosted::{sim::Sites, Hosted};
use kernel_bpf::prog::{asm::assemble, insn::encode};
use kernel_bpf::Bpf;
use std::sync::Arc;
use std::time::Duration;
use user_bindings::hosted::HostedBackend;
use user_bindings::Client;

/// The instrumented function: a little work, as a kernel function has.
#[inline(never)]
fn function(x: u64) -> u64 {
    black_box(x).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17)
}

/// A kernel with `n` trivial programs on `kprobe:vfs_read`, and that site.
fn kernel(n: usize) -> (Arc<Bpf<Hosted>>, usize) {
    let c = Client::new(HostedBackend::new(1));
    for _ in 0..n {
        let code = encode(&assemble("mov %r0, 0\nexit").unwrap());
        let fd = c.prog_load(ProgType::Kprobe, &code, "GPL").unwrap();
        c.prog_attach("kprobe:vfs_read", fd, 0).unwrap();
    }
    let site = Sites::site_of(kernel_bpf::attach::ProbeKind::Kprobe, "vfs_read").unwrap();
    (c.backend().bpf.clone(), site)
}

/// The instrumented function as a probed kernel runs it: the site, then
/// the body.
fn probed(bpf: &Bpf<Hosted>, site: usize, regs: &[u8], x: u64) -> u64 {
    if let Some(id) = bpf.platform().sites().armed(site) {
        bpf.fire(id, regs, 0xffff_ffff_8131_0000);
    }
    function(x)
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let regs = vec![0u8; core::mem::size_of::<abi::PtRegsX8664>()];
    let mut g = c.benchmark_group("fire");
    g.bench_function("plain_call", |b| b.iter(|| function(black_box(7))));
    let kernels: Vec<(usize, Arc<Bpf<Hosted>>, usize)> = [0, 1, 4]
        .iter()
        .map(|&n| {
            let (bpf, site) = kernel(n);
            (n, bpf, site)
        })
        .collect();
    for (n, bpf, site) in &kernels {
        g.bench_function(format!("{n}_programs"), |b| {
            b.iter(|| probed(bpf, *site, &regs, black_box(7)))
        });
    }
    g.finish();
    c.final_summary();
    println!("\nresults (probed call / plain call; interleaved ratios, and criterion's means):");
    let plain = common::mean_ns("fire", "plain_call");
    for (n, bpf, site) in &kernels {
        let r = common::interleaved(
            || {
                black_box(probed(bpf, *site, &regs, black_box(7)));
            },
            || {
                black_box(function(black_box(7)));
            },
            200_000,
            31,
        );
        common::report(&format!("{n} programs attached"), r);
        if let (Some(p), Some(o)) = (plain, common::mean_ns("fire", &format!("{n}_programs"))) {
            println!(
                "    criterion: {o:.2} ns per probed call, {p:.2} ns plain, ratio {:.2}",
                o / p
            );
        }
    }
}
