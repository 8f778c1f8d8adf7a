//! Shared by the benchmarks: a ratio measured by interleaving the two sides
//! in short rounds, so that drift in the machine's speed (a shared VM)
//! affects both alike, unlike two criterion groups measured one after the
//! other.

use std::time::Instant;

/// Median, lowest and highest of the per-round ratios ours / peer, each
/// round timing `iters` calls of each side.
pub fn interleaved(mut ours: impl FnMut(), mut peer: impl FnMut(), iters: u32, rounds: u32) -> (f64, f64, f64) {
    let ratios: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                ours();
            }
            let a = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for _ in 0..iters {
                peer();
            }
            a / t.elapsed().as_secs_f64()
        })
        .collect();
    spread(ratios)
}

/// Median, lowest and highest of per-round ratios (at least one).
pub fn spread(mut ratios: Vec<f64>) -> (f64, f64, f64) {
    ratios.sort_by(|a, b| a.total_cmp(b));
    (ratios[ratios.len() / 2], ratios[0], ratios[ratios.len() - 1])
}

/// Prints an interleaved ratio.
pub fn report(name: &str, (median, lo, hi): (f64, f64, f64)) {
    println!("  {name}: interleaved ratio ours/peer median {median:.2} (range {lo:.2}..{hi:.2}); below 1 is faster");
}

/// Criterion's mean estimate (ns) of `group/bench` from this run.
#[allow(dead_code)]
pub fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_string());
    let text = std::fs::read_to_string(format!("{dir}/criterion/{group}/{bench}/new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// The processor's clock as this process sees it now, in GHz: the time of
/// a chain of 64-bit multiplies and rotates, each waiting for the one
/// before (3 cycles and 1 on the x86_64 cores of recent years, Intel's and
/// AMD's alike; the rotate keeps the compiler from folding the multiplies).
/// On a shared VM whose speed moves, a figure in time is this clock's as
/// much as the code's; the benches print it beside their absolute goals.
#[allow(dead_code)]
pub fn clock_ghz() -> f64 {
    const N: u64 = 20_000_000;
    let mut x = std::hint::black_box(0x9e37_79b9_7f4a_7c15u64);
    let t = Instant::now();
    for _ in 0..N {
        x = x.wrapping_mul(0x2545_f491_4f6c_dd1d).rotate_left(7);
    }
    let ns = t.elapsed().as_nanos() as f64;
    std::hint::black_box(x);
    4.0 * N as f64 / ns
}

/// Prints the clock at the run's start (`start`) and now.
#[allow(dead_code)]
pub fn report_clock(start: f64) {
    println!(
        "  clock (a chain of multiplies and rotates, 4 cycles a step): {start:.2} GHz at the start of this run, {:.2} GHz at its end",
        clock_ghz()
    );
}

/// Criterion's means of ours measured straight before the peer
/// (`group/before`) and straight after it (`group/after`), against the
/// peer's (`group/peer`), per `per` units: the ratio of their mean to the
/// peer's (ours at the moment the peer was measured, wherever this
/// machine's speed drifts steadily), and each apart (how far it drifted).
/// `None` where an estimate is missing.
#[allow(dead_code)]
pub fn around(group: &str, before: &str, after: &str, peer: &str, per: f64, unit: &str) -> Option<f64> {
    let (b, a, p) = (mean_ns(group, before)?, mean_ns(group, after)?, mean_ns(group, peer)?);
    let ours = (b + a) / 2.0;
    println!(
        "  {group}: ours measured before and after {peer} (A, B, A): {:.3} and {:.3} {unit}, {peer} {:.3}: ratio of means {:.2} ({:.2} and {:.2} apart)",
        b / per,
        a / per,
        p / per,
        ours / p,
        b / p,
        a / p
    );
    Some(ours / p)
}
