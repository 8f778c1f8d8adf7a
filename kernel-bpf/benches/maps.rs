//! Map benchmarks, each against a peer measured in the same run:
//! - helper-path hash lookup and update vs `hashbrown::HashMap<u32, u64>`;
//! - lookups from a loaded program, compiled (the JIT's own array and hash
//!   lookups) and interpreted, on 1,024 and 100,000 keys, vs the same
//!   sweep over `hashbrown`, and an array's values vs a slice's;
//! - syscall-path update and lookup through hosted `sys_bpf` vs Linux's
//!   bpf(2) (skipped, with a message, where bpf(2) is refused);
//! - memory per entry of a 1M-entry u32 -> u64 HASH (resident memory
//!   growth while creating and filling it), against key + value + 24 bytes.
//!
//! Run: `cargo bench -p kernel-bpf --features std --bench maps`. The ratios
//! are printed at the end (ours / peer; below 1 is faster).

use abi::{Cmd, Insn, MapCreateAttr, MapElemAttr, MapType, BPF_ANY};
use criterion::{black_box, BenchmarkId, Criterion};
use kernel_bpf::hosted::Hosted;
use kernel_bpf::prog::interp::mem::Memory;
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

/// Lookups per run of the program-path benchmarks (a loop the verifier
/// walks in full: at most 64 states are kept at its head, as in Linux).
const PER_RUN: u64 = 64;
/// The multiplier of `keys`: key `i` is `i * K` (mod 2^32).
const K: u32 = 2_654_435_761;

fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Insn {
    Insn { code, regs, off, imm }
}

/// `r{dst} = map fd` (a map reference).
fn ld_map(dst: u8, fd: u32) -> [Insn; 2] {
    [insn(0x18, 0x10 | dst, 0, fd as i32), insn(0, 0, 0, 0)]
}

/// A program that looks up `PER_RUN` keys of `map` and returns the sum of
/// their values (`counter`: an array of one 16-byte value whose first u32
/// is the base). With `sweep` (`n`), key `j` of
/// a run is `(base + j) * K` and the base moves on by `PER_RUN` (back to 0
/// before it passes the sweep's `n`), so runs sweep every key of `keys(n)`
/// in order; without, key `j` is `j` (an array's index). The loop is
/// what clang writes for `for (j = 0; j < 64; j++) if ((v =
/// bpf_map_lookup_elem(&map, &key))) sum += *v;`: nothing in it but the
/// lookup, its key and the sum.
fn lookup_program(map: u32, counter: u32, sweep: Option<u32>) -> Vec<Insn> {
    let mut p = vec![insn(0xb7, 6, 0, 0), insn(0xb7, 7, 0, 0), insn(0xb7, 8, 0, 0)]; // i, sum, base = 0
    p.push(insn(0x62, 10, -8, 0)); // *(u32 *)(r10 - 8) = 0
    p.extend(ld_map(1, counter));
    p.extend([
        insn(0xbf, 0xa2, 0, 0), // r2 = r10
        insn(0x07, 2, 0, -8),   // r2 += -8
        insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
        insn(0x55, 0, 1, 0),    // if r0 != 0 goto +1
        insn(0x95, 0, 0, 0),    // exit (r0 = 0)
        insn(0xbf, 0x09, 0, 0), // r9 = r0
    ]);
    if sweep.is_some() {
        p.push(insn(0x61, 0x98, 0, 0)); // r8 = *(u32 *)(r9 + 0)
    }
    let top = p.len() as i16;
    p.extend([
        insn(0xbf, 0x81, 0, 0), // r1 = r8
        insn(0x0f, 0x61, 0, 0), // r1 += r6
    ]);
    if sweep.is_some() {
        p.push(insn(0x24, 1, 0, K as i32)); // w1 *= K
    }
    p.push(insn(0x63, 0x1a, -4, 0)); // *(u32 *)(r10 - 4) = r1
    p.extend(ld_map(1, map));
    p.extend([
        insn(0xbf, 0xa2, 0, 0),
        insn(0x07, 2, 0, -4),
        insn(0x85, 0, 0, 1),    // call bpf_map_lookup_elem
        insn(0x15, 0, 2, 0),    // if r0 == 0 goto +2
        insn(0x79, 0x01, 0, 0), // r1 = *(u64 *)(r0 + 0)
        insn(0x0f, 0x17, 0, 0), // r7 += r1
        insn(0x07, 6, 0, 1),    // r6 += 1
    ]);
    let back = top - (p.len() as i16 + 1);
    p.push(insn(0xa5, 6, back, PER_RUN as i32)); // if r6 < PER_RUN goto top
    if let Some(n) = sweep {
        p.extend([
            insn(0x07, 8, 0, PER_RUN as i32),                  // r8 += PER_RUN
            insn(0xb5, 8, 1, (u64::from(n) - PER_RUN) as i32), // if r8 <= n - PER_RUN goto +1
            insn(0xb7, 8, 0, 0),                               // r8 = 0
            insn(0x63, 0x89, 0, 0),                            // *(u32 *)(r9 + 0) = r8
        ]);
    }
    p.extend([insn(0xbf, 0x70, 0, 0), insn(0x95, 0, 0, 0)]); // r0 = r7; exit
    p
}

/// A kernel (compiled with `jit`, else interpreted) holding a hash map
/// filled with `ks`, a counter, and a 64-entry array; a run closure for
/// each of the sweeping hash program and the array program.
fn programs(jit: bool, ks: &[u32]) -> (impl FnMut() -> u64, impl FnMut() -> u64) {
    let n = ks.len() as u32;
    use user_bindings::hosted::Process;
    use user_bindings::maps::{Array, HashMap};
    use user_bindings::programs::Program;
    let sys = Process::new(1);
    sys.bpf.use_jit(jit);
    let hash: HashMap<Process, u32, u64> = HashMap::create(&sys, n).unwrap();
    for &k in ks {
        hash.insert(&k, &u64::from(k), BPF_ANY).unwrap();
    }
    let counter: Array<Process, [u64; 2]> = Array::create(&sys, 1).unwrap();
    let array: Array<Process, u64> = Array::create(&sys, PER_RUN as u32).unwrap();
    for i in 0..PER_RUN as u32 {
        array.set(i, &u64::from(i), BPF_ANY).unwrap();
    }
    let load = |insns: &[Insn]| {
        let p = Program::load(&sys, abi::ProgType::SocketFilter, insns, "GPL").unwrap();
        let kernel = sys.bpf.program(p.fd().raw()).unwrap();
        assert_eq!(kernel.code.image().is_some(), jit, "compiled only when asked");
        (p, kernel)
    };
    let c = counter.map().fd().raw();
    let (hp, hk) = load(&lookup_program(hash.map().fd().raw(), c, Some(n)));
    let (ap, ak) = load(&lookup_program(array.map().fd().raw(), c, None));
    let bpf = sys.bpf.clone();
    let (mut hmem, mut amem) = (Memory::new(), Memory::new());
    let keep = (hash, counter, array, hp, ap);
    let bpf2 = bpf.clone();
    (
        move || {
            let _ = &keep;
            bpf.run_program(&hk, &mut hmem, 0, 0).unwrap()
        },
        move || bpf2.run_program(&ak, &mut amem, 0, 0).unwrap(),
    )
}

/// The same sweep as the hash program's, on `hashbrown`.
fn peer_sweep(peer: &hashbrown::HashMap<u32, u64>, base: &mut u32) -> u64 {
    let mut sum = 0u64;
    for j in 0..PER_RUN as u32 {
        if let Some(v) = peer.get(&(*base + j).wrapping_mul(K)) {
            sum += v;
        }
    }
    *base += PER_RUN as u32;
    if *base as usize + PER_RUN as usize > peer.len() {
        *base = 0;
    }
    sum
}

/// Lookups from a program: a hash map of `n` keys swept by a compiled (and
/// an interpreted) program against `hashbrown` swept the same way in
/// Rust, and an array's values by index against a slice's.
fn program_path(c: &mut Criterion, n: u32) {
    let ks = keys(n);
    let mut peer: hashbrown::HashMap<u32, u64> = hashbrown::HashMap::with_capacity(n as usize);
    for &k in &ks {
        peer.insert(k, u64::from(k));
    }
    let (mut jit_hash, mut jit_array) = programs(true, &ks);
    let (mut interp_hash, _) = programs(false, &ks);
    let slice: Vec<u64> = (0..PER_RUN).collect();
    // Both sweeps start at base 0 and see the same keys, so the same sums.
    let mut base = 0u32;
    for _ in 0..3 {
        assert_eq!(
            jit_hash(),
            peer_sweep(&peer, &mut base),
            "the program sums what hashbrown finds"
        );
        interp_hash();
    }
    assert_eq!(jit_array(), (0..PER_RUN).sum::<u64>());
    let group = format!("prog_lookup_{n}");
    let mut g = c.benchmark_group(&group);
    g.throughput(criterion::Throughput::Elements(PER_RUN));
    // The two the goal compares, in rounds (see `common::ROUNDS`).
    let mut ours = |b: &mut criterion::Bencher<'_>| b.iter(|| black_box(jit_hash()));
    let mut theirs = |b: &mut criterion::Bencher<'_>| b.iter(|| black_box(peer_sweep(&peer, &mut base)));
    common::bench_rounds(
        &mut g,
        ("hash kernel-bpf-jit", &mut ours),
        ("hash hashbrown", &mut theirs),
    );
    g.bench_function("hash kernel-bpf interpreted", |b| b.iter(|| black_box(interp_hash())));
    if n == SMALL {
        g.bench_function("array kernel-bpf-jit", |b| b.iter(|| black_box(jit_array())));
        g.bench_function("array slice", |b| {
            b.iter(|| {
                let s = black_box(&slice);
                (0..PER_RUN as usize)
                    .map(|i| s.get(i).copied().unwrap_or(0))
                    .sum::<u64>()
            })
        });
    }
    g.finish();
    common::report(
        &format!("{group} hash (jit / hashbrown)"),
        common::interleaved(
            || {
                black_box(jit_hash());
            },
            || {
                black_box(peer_sweep(&peer, &mut base));
            },
            400,
            41,
        ),
    );
}

/// The hash map of the small program-path benchmark: its keys stay in the
/// caches, so the lookup's own path is what is timed.
const SMALL: u32 = 1024;

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

fn ratios() {
    println!("\nratios (ours / peer, below 1 is faster):");
    for (group, ours, peer) in [
        ("hash_lookup", "kernel-bpf", "hashbrown"),
        ("hash_update", "kernel-bpf", "hashbrown"),
        ("prog_lookup_1024", "hash kernel-bpf interpreted", "hash hashbrown #1"),
        ("prog_lookup_1024", "array kernel-bpf-jit", "array slice"),
        ("prog_lookup_100000", "hash kernel-bpf interpreted", "hash hashbrown #1"),
        ("syscall", "kernel-bpf hosted/update", "linux bpf(2)/update"),
        ("syscall", "kernel-bpf hosted/lookup", "linux bpf(2)/lookup"),
    ] {
        // Criterion keeps "function/parameter" ids as nested folders.
        let (ours_dir, peer_dir) = (ours.to_string(), peer.to_string());
        match (common::mean_ns(group, &ours_dir), common::mean_ns(group, &peer_dir)) {
            (Some(a), Some(b)) if group.starts_with("prog_lookup") => println!(
                "  {group}: {ours} {:.2} ns per lookup, {peer} {:.2} ns, ratio {:.2}",
                a / PER_RUN as f64,
                b / PER_RUN as f64,
                a / b
            ),
            (Some(a), Some(b)) => println!("  {group}: {ours} {a:.1} ns, {peer} {b:.1} ns, ratio {:.2}", a / b),
            _ => println!("  {group}: {ours} vs {peer}: no estimate (peer skipped?)"),
        }
    }
    println!("the compiled hash lookups, in rounds with hashbrown's:");
    for n in [SMALL, ENTRIES] {
        let group = format!("prog_lookup_{n}");
        let (per, unit) = (PER_RUN as f64, "ns per lookup");
        if common::report_rounds(&group, "hash kernel-bpf-jit", "hash hashbrown", per, unit).is_none() {
            println!("  {group}: no estimates of the rounds with hashbrown");
        }
    }
}

fn main() {
    let start = common::clock_ghz();
    memory_report();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    helper_path(&mut c);
    program_path(&mut c, SMALL);
    program_path(&mut c, ENTRIES);
    syscall_path(&mut c);
    c.final_summary();
    ratios();
    common::report_clock(start);
}
