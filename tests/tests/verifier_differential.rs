//! The verifier against Linux's on generated families of programs: random
//! ALU with pointer arithmetic, map value accesses behind bounds checks of
//! random shapes, stack spills and fills, loops with random bounds, and
//! paths that join after treating an index and its copies differently. Where
//! bpf(2) is permitted, every program is loaded into both kernels: the
//! decisions agree on at least 95% of them, this verifier never accepts a
//! program Linux refuses, and each program Linux accepts and this one
//! refuses is listed with the reason. Without Linux, each program still
//! loads or is refused cleanly here. And every program this verifier
//! accepts runs here without a memory fault (the interpreter still checks
//! every access, so a fault would be a verifier bug).

use abi::{MapCreateAttr, MapType, ProgType};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write;
use tests::{close_all_and_expect_none_alive, hosted, linux_bpf, load_with_maps, load_with_maps_then, packet_faults};

/// Programs per family.
const PER_FAMILY: usize = 250;

/// The maps every program may name: an array of 4 values of 48 bytes
/// (map0) and a hash of 16 (map1).
fn maps() -> Vec<MapCreateAttr> {
    vec![
        MapCreateAttr {
            map_type: MapType::Array.raw(),
            key_size: 4,
            value_size: 48,
            max_entries: 4,
            ..Default::default()
        },
        MapCreateAttr {
            map_type: MapType::Hash.raw(),
            key_size: 4,
            value_size: 48,
            max_entries: 16,
            ..Default::default()
        },
    ]
}

fn pick<'a, T>(rng: &mut SmallRng, xs: &'a [T]) -> &'a T {
    &xs[rng.gen_range(0..xs.len())]
}

/// A map value pointer in r0, null-checked (`out` on null); r6 the ctx.
fn lookup(rng: &mut SmallRng) -> String {
    let map = if rng.gen_bool(0.5) { "map0" } else { "map1" };
    format!("mov %r6, %r1\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, {map}\ncall 1\njeq %r0, 0, out\n")
}

/// Random ALU on scalars and pointers (mostly moves of the pointers by
/// numbers), then a load through one register (mostly a pointer).
fn alu_family(rng: &mut SmallRng) -> String {
    let mut s = lookup(rng);
    s += "mov %r7, %r10\nmov %r8, %r0\nldxw %r9, [%r6+0]\nmov %r1, 3\nmov %r2, 100\nstdw [%r10-16], 0\nstdw [%r10-8], 0\n";
    if rng.gen_bool(0.5) {
        s += &format!("and %r9, {}\n", pick(rng, &[7, 15, 31]));
    }
    for _ in 0..rng.gen_range(1..6) {
        let w = if rng.gen_bool(0.1) { "32" } else { "" };
        if rng.gen_bool(0.6) {
            // Move a pointer.
            let d = *pick(rng, &[7, 8]);
            let op = *pick(rng, &["add", "add", "sub", "and", "mul"]);
            if rng.gen_bool(0.6) {
                s += &format!("{op}{w} %r{d}, {}\n", rng.gen_range(-20i64..20));
            } else {
                s += &format!("{op}{w} %r{d}, %r{}\n", pick(rng, &[1, 2, 9, 7]));
            }
            continue;
        }
        let d = *pick(rng, &[1, 2, 9]);
        let op = *pick(
            rng,
            &[
                "add", "sub", "and", "or", "lsh", "rsh", "mul", "xor", "mov", "neg", "arsh",
            ],
        );
        if op == "neg" {
            s += &format!("neg{w} %r{d}\n");
        } else if rng.gen_bool(0.6) {
            let k = *pick(rng, &[0i64, 1, 4, 8, -8, 47, 48, 63, -1, 1 << 20, 1 << 30]);
            let k = if matches!(op, "lsh" | "rsh" | "arsh") {
                k.rem_euclid(32)
            } else {
                k
            };
            s += &format!("{op}{w} %r{d}, {k}\n");
        } else {
            s += &format!("{op}{w} %r{d}, %r{}\n", pick(rng, &[1, 2, 9]));
        }
    }
    let r = if rng.gen_bool(0.85) {
        *pick(rng, &[7, 8])
    } else {
        *pick(rng, &[1, 9])
    };
    let (size, off) = (*pick(rng, &["b", "h", "w", "dw"]), rng.gen_range(-24i32..56));
    s += &format!("ldx{size} %r3, [%r{r}{off:+}]\n");
    s + "out:\nmov %r0, 0\nexit\n"
}

/// A value index from the packet length or the value itself, bounded by a
/// check of a random shape, then an access at value + index.
fn bounds_family(rng: &mut SmallRng) -> String {
    let mut s = lookup(rng);
    s += if rng.gen_bool(0.5) {
        "ldxw %r1, [%r6+0]\n"
    } else {
        "ldxdw %r1, [%r0+8]\n"
    };
    let k = *pick(rng, &[0i64, 7, 8, 16, 40, 44, 47, 48, 60, -1]);
    let j = *pick(rng, &["", "32"]);
    match rng.gen_range(0..7) {
        0 => s += &format!("jgt{j} %r1, {k}, out\n"),
        1 => s += &format!("jge{j} %r1, {k}, out\n"),
        2 => s += &format!("jsgt{j} %r1, {k}, out\n"),
        3 => s += &format!("jslt %r1, 0, out\njsgt %r1, {k}, out\n"),
        4 => s += &format!("and %r1, {}\n", pick(rng, &[7, 15, 31, 63, 0xff])),
        5 => s += &format!("jlt %r1, {k}, +1\nja out\n"),
        _ => {}
    }
    if rng.gen_bool(0.3) {
        s += &format!(
            "{} %r1, {}\n",
            pick(rng, &["lsh", "mul", "add", "sub"]),
            rng.gen_range(0..4)
        );
    }
    let size = *pick(rng, &[("b", 1), ("h", 2), ("w", 4), ("dw", 8)]);
    let off = *pick(rng, &[0i32, 1, 4, 8, 40, 44, 47, -1]);
    s += &format!("add %r0, %r1\nldx{} %r2, [%r0{off:+}]\n", size.0);
    s + "out:\nmov %r0, 0\nexit\n"
}

/// Stores, spills and fills at random stack offsets, then a use of a
/// filled register as a pointer or a number.
fn stack_family(rng: &mut SmallRng) -> String {
    let mut s = String::from("mov %r6, %r1\nmov %r7, %r10\nadd %r7, -32\nmov %r8, 5\n");
    // Most programs initialise what they read; some leave holes.
    if rng.gen_bool(0.9) {
        s += "stdw [%r10-8], 0\nstdw [%r10-16], 0\nstdw [%r10-24], 0\nstdw [%r10-32], 0\n";
    }
    let mut spilled = Vec::new();
    for _ in 0..rng.gen_range(1..6) {
        let slot = -8 * rng.gen_range(1..5);
        let off = slot + *pick(rng, &[0, 0, 0, 4, 2, 1]);
        match rng.gen_range(0..5) {
            0 | 1 => {
                s += &format!("stxdw [%r10{slot:+}], %r{}\n", pick(rng, &[6, 7, 8]));
                spilled.push(slot);
            }
            2 => s += &format!("st{} [%r10{off:+}], 7\n", pick(rng, &["b", "h", "w", "dw"])),
            3 => s += &format!("stx{} [%r10{off:+}], %r8\n", pick(rng, &["b", "h", "w", "dw"])),
            _ => {
                s += &format!(
                    "ldx{} %r{}, [%r10{off:+}]\n",
                    pick(rng, &["w", "dw", "dw"]),
                    pick(rng, &[2, 3])
                )
            }
        }
    }
    let off = match spilled.last() {
        Some(&o) if rng.gen_bool(0.7) => o,
        _ => -8 * rng.gen_range(1..5),
    };
    s += &format!("ldxdw %r4, [%r10{off:+}]\n");
    s += match rng.gen_range(0..3) {
        0 => "ldxw %r0, [%r4+0]\n",
        1 => "add %r4, 1\nmov %r0, %r4\n",
        _ => "ldxdw %r0, [%r4+8]\n",
    };
    s + "mov %r0, 0\nexit\n"
}

/// Two paths that treat an index and its copy differently, a join, then a
/// bound on one register and an access through the other: what the join
/// may and may not carry over (pruning, copies of scalars).
fn joins_family(rng: &mut SmallRng) -> String {
    let mut s = lookup(rng);
    s += "ldxw %r1, [%r6+0]\nldxw %r2, [%r6+4]\nldxw %r3, [%r6+16]\n";
    let side = |rng: &mut SmallRng| -> String {
        let mut t = String::new();
        for _ in 0..rng.gen_range(0..3) {
            t += *pick(
                rng,
                &[
                    "mov %r2, %r1\n",
                    "mov %r1, %r2\n",
                    "and %r2, 15\n",
                    "mov %r2, 3\n",
                    "mov32 %r2, %r1\n",
                    "stxdw [%r10-16], %r1\nldxdw %r2, [%r10-16]\n",
                ],
            );
        }
        t + "mov %r3, 0\n"
    };
    s += &format!("jset %r3, {}, other\n", pick(rng, &[1, 2, 4]));
    s += &side(rng);
    s += "ja join\nother:\n";
    s += &side(rng);
    s += "join:\n";
    let (b, i) = if rng.gen_bool(0.5) { (1, 2) } else { (2, 1) };
    s += &format!(
        "{} %r{b}, {}, out\n",
        pick(rng, &["jgt", "jge", "jsgt"]),
        pick(rng, &[7, 15, 47, 48])
    );
    s += &format!("add %r0, %r{i}\nldxb %r5, [%r0+0]\n");
    s + "out:\nmov %r0, 0\nexit\n"
}

/// A counted loop with a random bound, step and exit test; its body
/// reads the stack at an index from the counter.
fn loop_family(rng: &mut SmallRng) -> String {
    let bound = rng.gen_range(0..60);
    let step = rng.gen_range(1..4);
    let mut s = String::from("stdw [%r10-8], 0\nstdw [%r10-16], 0\nmov %r0, 0\nmov %r1, 0\nloop:\n");
    if rng.gen_bool(0.5) {
        // index = counter & mask: inside 16 bytes only with a small mask.
        s += &format!(
            "mov %r2, %r1\nand %r2, {}\nmov %r3, %r10\nadd %r3, -16\nadd %r3, %r2\nldxb %r4, [%r3+0]\nadd %r0, %r4\n",
            pick(rng, &[7, 15, 31])
        );
    }
    s += &format!("add %r1, {step}\n");
    let test = *pick(rng, &["jlt", "jle", "jslt", "jne"]);
    // jne only where the counter meets the bound (a loop that ends).
    let bound = if test == "jne" {
        bound / step * step + step
    } else {
        bound
    };
    s += &format!("{test} %r1, {bound}, loop\nexit\n");
    s
}

/// A generator of one family's programs.
type Family = fn(&mut SmallRng) -> String;

#[test]
fn decisions_agree_with_linux() {
    let host = hosted();
    // Every access checked when run, so a program the verifier wrongly
    // accepts faults here instead of straying.
    host.backend().bpf.keep_memory_checks(true);
    let linux = linux_bpf("verifier differential");
    let maps = maps();
    let mut rng = SmallRng::seed_from_u64(0x5eed_0b9f);
    let families: [(&str, Family); 5] = [
        ("alu", alu_family),
        ("bounds", bounds_family),
        ("stack", stack_family),
        ("loops", loop_family),
        ("joins", joins_family),
    ];
    let (mut total, mut agree) = (0, 0);
    let mut we_refuse = Vec::new();
    let mut unsafe_accepts = Vec::new();
    let mut report = String::new();
    for (name, gen) in families {
        let (mut n, mut same, mut loaded) = (0, 0, 0);
        for k in 0..PER_FAMILY {
            let text = gen(&mut rng);
            // What loads runs, with the hash map's key 0 present, and
            // never faults.
            let mut faults = Vec::new();
            let ours = load_with_maps_then(&host, ProgType::SocketFilter, &maps, &text, "diff", |prog, fds| {
                host.update(fds[1], Some(&0u32.to_ne_bytes()), &[7u8; 48], 0).unwrap();
                faults = packet_faults(&host, prog);
            });
            assert!(faults.is_empty(), "{name}#{k} verified, then faulted:\n{text}");
            loaded += usize::from(ours.is_ok());
            let Some(l) = &linux else { continue };
            let theirs = load_with_maps(l, ProgType::SocketFilter, &maps, &text, "diff");
            n += 1;
            let reason = |log: &str| log.lines().last().unwrap_or_default().to_string();
            match (&theirs, &ours) {
                (Ok(()), Ok(())) | (Err(_), Err(_)) => same += 1,
                (Ok(()), Err((_, log))) => we_refuse.push(format!("{name}#{k}: {}\n{text}", reason(log))),
                (Err((_, log)), Ok(())) => unsafe_accepts.push(format!("{name}#{k}: Linux: {}\n{text}", reason(log))),
            }
        }
        let _ = writeln!(
            report,
            "{name}: {loaded}/{PER_FAMILY} load here; {same}/{n} decided as Linux decides"
        );
        total += n;
        agree += same;
    }
    close_all_and_expect_none_alive(&host);
    println!("{report}");
    println!(
        "programs Linux accepts and this verifier refuses ({}):",
        we_refuse.len()
    );
    for w in &we_refuse {
        println!("- {w}");
    }
    assert!(
        unsafe_accepts.is_empty(),
        "accepted what Linux refuses:\n{}",
        unsafe_accepts.join("\n")
    );
    if total > 0 {
        let rate = agree as f64 / total as f64;
        assert!(rate >= 0.95, "agreement {agree}/{total} = {rate:.3} < 0.95\n{report}");
    }
}
