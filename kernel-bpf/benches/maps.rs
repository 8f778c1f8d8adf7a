//! Map benchmarks, each against a peer measured in the same run:
//! - helper-path hash lookup and update vs `hashbrown::HashMap<u32, u64>`;
//! - syscall-path update and lookup through hosted `sys_bpf` vs Linux's
//!   bpf(2) (skipped, with a message, where bpf(2) is refused);
//! - memory per entry of a 1M-entry u32 -> u64 HASH (resident memory
//!   growth while creating and filling it), against key + value + 24 bytes.
//!
//! Run: `cargo bench -p kernel-bpf --features std --bench maps`. The ratios
//! are printed at the end (ours / peer; below 1 is faster).

use abi::{Cmd, MapCreateAttr, MapElemAttr, MapType, BPF_ANY};
use criterion::{black_box, BenchmarkId, Criterion};
use kernel_bpf::hosted::Hosted;
use kernel_bpf::{Bpf, Map};
use rand::{rngs::SmallRng, seq::SliceRandom, SeedableRng};
use std::sync::Arc;
use std::time::Duration;
use user_bindings::Backend;
use zerocopy::IntoBytes;

#[path = "common.rs"]
mod common;

const ENTRIES: u32 = 100_000;

fn hash_map(entries: u32) -> Arc<dyn Map> {
    let attr = MapCreateAttr {
        map_type: MapType::Hash.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: entries,
        ..Default::default()
    };
    kernel_bpf::map::create(&attr, 1, 4, 1).expect("create")
}

fn keys(n: u32) -> Vec<u32> {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut k: Vec<u32> = (0..n).map(|i| i.wrapping_mul(2_654_435_761)).collect();
    k.shuffle(&mut rng);
    k
}

fn helper_path(c: &mut Criterion) {
    let ks = keys(ENTRIES);
    let ours = hash_map(ENTRIES);
    let mut peer: hashbrown::HashMap<u32, u64> = hashbrown::HashMap::with_capacity(ENTRIES as usize);
    for &k in &ks {
        ours.update(&k.to_ne_bytes(), &u64::from(k).to_ne_bytes(), BPF_ANY, Some(0))
            .unwrap();
        peer.insert(k, u64::from(k));
    }
    let mut g = c.benchmark_group("hash_lookup");
    let mut i = 0usize;
    g.bench_function("kernel-bpf", |b| {
        b.iter(|| {
            i = (i + 1) % ks.len();
            black_box(ours.lookup_ptr(&ks[i].to_ne_bytes(), 0))
        })
    });
    g.bench_function("hashbrown", |b| {
        b.iter(|| {
            i = (i + 1) % ks.len();
            black_box(peer.get(&ks[i]))
        })
    });
    g.finish();
    let mut j = 0usize;
    let mut k = 0usize;
    common::report(
        "hash_lookup",
        common::interleaved(
            || {
                j = (j + 1) % ks.len();
                black_box(ours.lookup_ptr(&ks[j].to_ne_bytes(), 0));
            },
            || {
                k = (k + 1) % ks.len();
                black_box(peer.get(&ks[k]));
            },
            100_000,
            41,
        ),
    );
    let mut g = c.benchmark_group("hash_update");
    g.bench_function("kernel-bpf", |b| {
        b.iter(|| {
            i = (i + 1) % ks.len();
            ours.update(&ks[i].to_ne_bytes(), &(i as u64).to_ne_bytes(), BPF_ANY, Some(0))
                .unwrap()
        })
    });
    g.bench_function("hashbrown", |b| {
        b.iter(|| {
            i = (i + 1) % ks.len();
            black_box(peer.insert(ks[i], i as u64))
        })
    });
    g.finish();
    let (mut j, mut k) = (0usize, 0usize);
    common::report(
        "hash_update",
        common::interleaved(
            || {
                j = (j + 1) % ks.len();
                ours.update(&ks[j].to_ne_bytes(), &(j as u64).to_ne_bytes(), BPF_ANY, Some(0))
                    .unwrap();
            },
            || {
                k = (k + 1) % ks.len();
                black_box(peer.insert(ks[k], k as u64));
            },
            100_000,
            41,
        ),
    );
}

/// A create attr, and an elem attr with key 7 and a value, in one buffer.
fn prepare(write: &dyn Fn(usize, &[u8]), at: &dyn Fn(usize) -> u64, fd: u32) {
    write(128, &7u32.to_ne_bytes());
    write(136, &42u64.to_ne_bytes());
    let op = MapElemAttr {
        map_fd: fd,
        key: at(128),
        value: at(136),
        ..Default::default()
    };
    write(0, op.as_bytes());
}

fn syscall_path(c: &mut Criterion) {
    let create = MapCreateAttr {
        map_type: MapType::Hash.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: 1024,
        ..Default::default()
    };
    let bpf = Bpf::new(Hosted::new(4));
    let mem = bpf.platform().user_mem(256);
    mem.write(0, create.as_bytes());
    let fd = bpf
        .sys_bpf(Cmd::MapCreate.raw(), mem.addr(), 72)
        .expect("hosted create") as u32;
    prepare(&|o, b| mem.write(o, b), &|o| mem.at(o), fd);
    let mut g = c.benchmark_group("syscall");
    for (name, cmd) in [("update", Cmd::MapUpdateElem), ("lookup", Cmd::MapLookupElem)] {
        g.bench_function(BenchmarkId::new("kernel-bpf hosted", name), |b| {
            b.iter(|| bpf.sys_bpf(cmd.raw(), mem.addr(), 32).unwrap())
        });
    }
    match user_bindings::sys::Syscall::probe() {
        Ok(linux) => {
            let buf = linux.buffer(256);
            buf.write(0, create.as_bytes());
            let lfd = linux.bpf(Cmd::MapCreate.raw(), buf.addr(), 72).expect("linux create");
            prepare(&|o, b| buf.write(o, b), &|o| buf.at(o), lfd);
            for (name, cmd) in [("update", Cmd::MapUpdateElem), ("lookup", Cmd::MapLookupElem)] {
                g.bench_function(BenchmarkId::new("linux bpf(2)", name), |b| {
                    b.iter(|| linux.bpf(cmd.raw(), buf.addr(), 32).unwrap())
                });
            }
            for (name, cmd) in [
                ("syscall update", Cmd::MapUpdateElem),
                ("syscall lookup", Cmd::MapLookupElem),
            ] {
                common::report(
                    name,
                    common::interleaved(
                        || {
                            bpf.sys_bpf(cmd.raw(), mem.addr(), 32).unwrap();
                        },
                        || {
                            linux.bpf(cmd.raw(), buf.addr(), 32).unwrap();
                        },
                        20_000,
                        21,
                    ),
                );
            }
            let _ = linux.close(lfd);
        }
        Err(why) => println!("SKIP syscall peer: {why}"),
    }
    g.finish();
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn memory_report() {
    const N: u32 = 1_000_000;
    let ks = keys(N);
    let before = resident_bytes();
    let m = hash_map(N);
    for &k in &ks {
        m.update(&k.to_ne_bytes(), &u64::from(k).to_ne_bytes(), BPF_ANY, None)
            .unwrap();
    }
    let grown = resident_bytes().saturating_sub(before);
    let per = grown as f64 / f64::from(N);
    println!(
        "memory: 1M-entry u32->u64 HASH: {per:.1} bytes/entry resident ({:.1} by its own count); goal <= 4 + 8 + 24 = 36",
        m.memory_bytes() as f64 / f64::from(N)
    );
}

fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let path = format!("{}/criterion/{group}/{bench}/new/estimates.json", target_dir());
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_string())
}

fn ratios() {
    println!("\nratios (ours / peer, below 1 is faster):");
    for (group, ours, peer) in [
        ("hash_lookup", "kernel-bpf", "hashbrown"),
        ("hash_update", "kernel-bpf", "hashbrown"),
        ("syscall", "kernel-bpf hosted/update", "linux bpf(2)/update"),
        ("syscall", "kernel-bpf hosted/lookup", "linux bpf(2)/lookup"),
    ] {
        // Criterion keeps "function/parameter" ids as nested folders.
        let (ours_dir, peer_dir) = (ours.to_string(), peer.to_string());
        match (mean_ns(group, &ours_dir), mean_ns(group, &peer_dir)) {
            (Some(a), Some(b)) => println!("  {group}: {ours} {a:.1} ns, {peer} {b:.1} ns, ratio {:.2}", a / b),
            _ => println!("  {group}: {ours} vs {peer}: no estimate (peer skipped?)"),
        }
    }
}

fn main() {
    memory_report();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    helper_path(&mut c);
    syscall_path(&mut c);
    c.final_summary();
    ratios();
}
