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

/// Rounds of a comparison criterion measures: ours, then the peer and
/// ours again after it, `ROUNDS` times over (A, B, A, B, A, ...). Each of
/// the peer's measurements so has ours straight before and after it, and
/// a phase in which the machine runs slow (a shared host) spoils a round,
/// not the figure: the median of the rounds' ratios.
#[allow(dead_code)]
pub const ROUNDS: usize = 3;

/// The name of a side's `k`th measurement in rounds (ours from 0, a
/// peer's from 1).
#[allow(dead_code)]
pub fn nth(side: &str, k: usize) -> String {
    format!("{side} #{k}")
}

/// The name of ours in the rounds with `peer`.
fn ours_around(ours: &str, peer: &str) -> String {
    format!("{ours} around {peer}")
}

/// A benchmark's routine, as criterion runs it.
#[allow(dead_code)]
pub type Routine<'a> = &'a mut dyn FnMut(&mut criterion::Bencher<'_>);

/// Measures `ours` and `peer` in `g`, in [`ROUNDS`] rounds.
#[allow(dead_code)]
pub fn bench_rounds(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    (name, ours): (&str, Routine<'_>),
    (peer, theirs): (&str, Routine<'_>),
) {
    let side = ours_around(name, peer);
    g.bench_function(nth(&side, 0), |b| ours(b));
    for k in 1..=ROUNDS {
        g.bench_function(nth(peer, k), |b| theirs(b));
        g.bench_function(nth(&side, k), |b| ours(b));
    }
}

/// Criterion's means of `peer`, measured in rounds with `ours`
/// ([`bench_rounds`]), each against the mean of ours straight before and
/// after it, per `per` units: prints each round and the median of their
/// ratios, which it returns. `None` where an estimate is missing.
#[allow(dead_code)]
pub fn report_rounds(group: &str, ours: &str, peer: &str, per: f64, unit: &str) -> Option<f64> {
    let side = ours_around(ours, peer);
    let mut ratios = Vec::new();
    let mut rounds = Vec::new();
    for k in 1..=ROUNDS {
        let before = mean_ns(group, &nth(&side, k - 1))?;
        let theirs = mean_ns(group, &nth(peer, k))?;
        let after = mean_ns(group, &nth(&side, k))?;
        let ratio = (before + after) / 2.0 / theirs;
        ratios.push(ratio);
        rounds.push(format!(
            "{:.3}, {:.3}, {:.3}: {ratio:.2}",
            before / per,
            theirs / per,
            after / per
        ));
    }
    let (median, _, _) = spread(ratios);
    println!(
        "  {group}: ours, {peer}, ours in {ROUNDS} rounds ({unit}; ratio of ours' mean to the peer's): {}; median ratio {median:.2}",
        rounds.join("; ")
    );
    Some(median)
}
