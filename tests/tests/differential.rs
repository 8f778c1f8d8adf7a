//! Differential test against the real Linux bpf(2): generated sequences of
//! map commands with random keys, values and flags run on Linux and on the
//! hosted kernel-bpf, and every result, errno and value must be the same.
//! Hash iteration order may differ, so for hash maps the set of keys an
//! iteration visits is compared instead of each next-key answer.
//!
//! Skips (with a printed reason) where bpf(2) is refused. The machine's
//! kernel may be newer than the Linux 6.1 ABI the description follows; the
//! cases avoid attr fields that later kernels added.

use abi::{MapCreateAttr, MapType, BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use tests::{close_all_and_expect_none_alive, hosted, linux_bpf};
use user_bindings::{Backend, Client, Errno};

static OPS: AtomicUsize = AtomicUsize::new(0);
static SEQUENCES: AtomicUsize = AtomicUsize::new(0);
static SUCCESSES: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Debug)]
struct Spec {
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: u32,
}

impl Spec {
    fn attr(&self) -> MapCreateAttr {
        MapCreateAttr {
            map_type: self.map_type.raw(),
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            map_flags: self.flags,
            ..Default::default()
        }
    }
    fn is_hash(&self) -> bool {
        matches!(
            self.map_type,
            MapType::Hash | MapType::LruHash | MapType::PercpuHash | MapType::LruPercpuHash
        )
    }
    fn keyless(&self) -> bool {
        self.key_size == 0
    }
    fn value_len(&self, cpus: u32) -> usize {
        if matches!(
            self.map_type,
            MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash
        ) {
            (self.value_size as usize).div_ceil(8) * 8 * cpus as usize
        } else {
            self.value_size as usize
        }
    }
    fn key(&self, k: u32) -> Vec<u8> {
        let mut b = k.to_ne_bytes().to_vec();
        b.resize(self.key_size as usize, 0x5a);
        b
    }
}

#[derive(Clone, Debug)]
enum Op {
    Update(u32, u8, u64),
    Lookup(u32),
    Delete(u32),
    NextKey(Option<u32>),
    LookupAndDelete(u32),
    Freeze,
    LookupBatch(u32),
    /// A batch lookup continuing after key `k` (arrays: the position is a key).
    LookupBatchFrom(u32, u32),
    LookupAndDeleteBatch,
    UpdateBatch(Vec<u32>, u8, u64),
    DeleteBatch(Vec<u32>),
}

fn flags() -> impl Strategy<Value = u64> {
    prop_oneof![6 => Just(BPF_ANY), 3 => Just(BPF_NOEXIST), 3 => Just(BPF_EXIST), 1 => Just(BPF_F_LOCK), 1 => Just(3u64), 1 => Just(1u64 << 33)]
}

fn op(keys: u32) -> impl Strategy<Value = Op> {
    let k = 0..keys;
    prop_oneof![
        8 => (k.clone(), any::<u8>(), flags()).prop_map(|(k, v, f)| Op::Update(k, v, f)),
        5 => k.clone().prop_map(Op::Lookup),
        3 => k.clone().prop_map(Op::Delete),
        3 => proptest::option::of(k.clone()).prop_map(Op::NextKey),
        2 => k.clone().prop_map(Op::LookupAndDelete),
        1 => Just(Op::Freeze),
        1 => (1..6u32).prop_map(Op::LookupBatch),
        1 => (k.clone(), 1..6u32).prop_map(|(k, n)| Op::LookupBatchFrom(k, n)),
        1 => Just(Op::LookupAndDeleteBatch),
        1 => (proptest::collection::vec(k.clone(), 0..4), any::<u8>(), prop_oneof![Just(0u64), Just(BPF_NOEXIST), Just(BPF_EXIST)])
            .prop_map(|(ks, v, f)| Op::UpdateBatch(ks, v, f)),
        1 => proptest::collection::vec(k, 0..4).prop_map(Op::DeleteBatch),
    ]
}

/// What one side answered.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done(Result<(), Errno>),
    Value(Result<Vec<u8>, Errno>),
    Count(Result<(), Errno>, u32),
    Elements(Result<(), Errno>, BTreeMap<Vec<u8>, Vec<u8>>),
    Batch(Result<(), Errno>, Vec<Vec<u8>>, Vec<Vec<u8>>),
}

fn value(spec: &Spec, cpus: u32, v: u8) -> Vec<u8> {
    (0..spec.value_len(cpus)).map(|i| v.wrapping_add(i as u8)).collect()
}

fn run<B: Backend>(c: &Client<B>, fd: u32, spec: &Spec, cpus: u32, op: &Op) -> Outcome {
    let key = |k: u32| if spec.keyless() { None } else { Some(spec.key(k)) };
    let vlen = spec.value_len(cpus);
    let klen = spec.key_size as usize;
    match op {
        Op::Update(k, v, f) => Outcome::Done(c.update(fd, key(*k).as_deref(), &value(spec, cpus, *v), *f)),
        Op::Lookup(k) => Outcome::Value(c.lookup(fd, key(*k).as_deref(), vlen)),
        Op::Delete(k) => Outcome::Done(c.delete(fd, key(*k).as_deref())),
        Op::NextKey(k) if spec.is_hash() => {
            // Order differs: compare whether it errs, and the full iteration.
            let r = c.next_key(fd, k.and_then(key).as_deref(), klen).map(|_| ());
            let r = match r {
                Err(e) if e == abi::Errno::ENOENT.raw() && k.is_some() => Ok(()),
                other => other,
            };
            Outcome::Elements(r, contents(c, fd, spec, cpus))
        }
        Op::NextKey(k) => Outcome::Value(c.next_key(fd, k.and_then(key).as_deref(), klen)),
        Op::LookupAndDelete(k) => Outcome::Value(c.lookup_and_delete(fd, key(*k).as_deref(), vlen)),
        Op::Freeze => Outcome::Done(c.freeze(fd)),
        Op::LookupBatch(n) if !spec.is_hash() => {
            let (r, out) = c.lookup_batch(fd, None, klen.max(4), *n, klen, vlen, false);
            Outcome::Batch(r, out.keys, out.values)
        }
        Op::LookupBatchFrom(k, n) if !spec.is_hash() && !spec.keyless() => {
            let (r, out) = c.lookup_batch(fd, Some(&spec.key(*k)), klen, *n, klen, vlen, false);
            let next = if r.is_ok() { out.out_batch.clone() } else { Vec::new() };
            Outcome::Batch(r, [out.keys, vec![next]].concat(), out.values)
        }
        Op::LookupBatchFrom(..) => Outcome::Done(Ok(())),
        Op::LookupBatch(_) | Op::LookupAndDeleteBatch => {
            // A full sweep: every element in one call, whatever the order.
            let delete = matches!(op, Op::LookupAndDeleteBatch);
            let (r, out) = c.lookup_batch(fd, None, klen.max(4), spec.max_entries, klen, vlen, delete);
            let set = out.keys.into_iter().zip(out.values).collect();
            Outcome::Elements(r, set)
        }
        Op::UpdateBatch(ks, v, f) => {
            let keys: Vec<Vec<u8>> = ks.iter().map(|k| spec.key(*k)).collect();
            let values: Vec<Vec<u8>> = ks.iter().map(|k| value(spec, cpus, v.wrapping_add(*k as u8))).collect();
            let (r, n) = c.update_batch(fd, &keys, &values, *f);
            Outcome::Count(r, n)
        }
        Op::DeleteBatch(ks) => {
            let keys: Vec<Vec<u8>> = ks.iter().map(|k| spec.key(*k)).collect();
            let (r, n) = c.delete_batch(fd, &keys);
            Outcome::Count(r, n)
        }
    }
}

/// Every element, found by iterating with next-key (bounded).
fn contents<B: Backend>(c: &Client<B>, fd: u32, spec: &Spec, cpus: u32) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut out = BTreeMap::new();
    if spec.keyless() {
        return out;
    }
    let mut cur: Option<Vec<u8>> = None;
    for _ in 0..=spec.max_entries {
        match c.next_key(fd, cur.as_deref(), spec.key_size as usize) {
            Ok(k) => {
                if let Ok(v) = c.lookup(fd, Some(&k), spec.value_len(cpus)) {
                    out.insert(k.clone(), v);
                }
                cur = Some(k);
            }
            Err(_) => break,
        }
    }
    out
}

fn check(spec: &Spec, ops: &[Op]) -> Result<(), TestCaseError> {
    let Some(linux) = linux_bpf("differential") else {
        return Ok(());
    };
    let ours = hosted();
    let cpus = tests::possible_cpus();
    let (lf, of) = (linux.map_create(&spec.attr()), ours.map_create(&spec.attr()));
    prop_assert_eq!(
        lf.is_ok(),
        of.is_ok(),
        "create {:?}: linux {:?}, ours {:?}",
        spec,
        lf,
        of
    );
    let (Ok(lf), Ok(of)) = (lf, of) else { return Ok(()) };
    let mut result = Ok(());
    SEQUENCES.fetch_add(1, Ordering::Relaxed);
    for (i, op) in ops.iter().enumerate() {
        let (l, o) = (run(&linux, lf, spec, cpus, op), run(&ours, of, spec, cpus, op));
        OPS.fetch_add(1, Ordering::Relaxed);
        if matches!(
            &l,
            Outcome::Done(Ok(())) | Outcome::Value(Ok(_)) | Outcome::Count(Ok(()), _)
        ) {
            SUCCESSES.fetch_add(1, Ordering::Relaxed);
        }
        if l != o {
            result = Err(TestCaseError::fail(format!(
                "{spec:?}\nop {i}: {op:?}\nlinux: {l:?}\nours:  {o:?}\nops: {ops:?}"
            )));
            break;
        }
    }
    if result.is_ok() && spec.is_hash() {
        let (l, o) = (contents(&linux, lf, spec, cpus), contents(&ours, of, spec, cpus));
        if l != o {
            result = Err(TestCaseError::fail(format!(
                "{spec:?}: final contents differ\nlinux: {l:?}\nours:  {o:?}"
            )));
        }
    }
    let _ = linux.close(lf);
    let _ = ours.close(of);
    prop_assert_eq!(ours.backend().bpf.live(), kernel_bpf::object::Live::default());
    result
}

fn specs() -> impl Strategy<Value = Spec> {
    let t = prop_oneof![
        Just(MapType::Hash),
        Just(MapType::Array),
        Just(MapType::PercpuArray),
        Just(MapType::LruHash),
        Just(MapType::Queue),
        Just(MapType::Stack),
        Just(MapType::PercpuHash),
        Just(MapType::LruPercpuHash),
    ];
    (
        t,
        prop_oneof![Just(4u32), Just(8), Just(5), Just(12)],
        1..24u32,
        1..9u32,
        any::<bool>(),
    )
        .prop_map(|(t, k, v, max, nopre)| {
            let keyless = matches!(t, MapType::Queue | MapType::Stack);
            let lru = matches!(t, MapType::LruHash | MapType::LruPercpuHash);
            Spec {
                map_type: t,
                key_size: if keyless {
                    0
                } else if matches!(t, MapType::Array | MapType::PercpuArray) {
                    4
                } else {
                    k
                },
                value_size: v,
                // LRU: far more room than keys, so neither side evicts.
                max_entries: if lru { 1024 } else { max },
                flags: if nopre && matches!(t, MapType::Hash | MapType::PercpuHash) {
                    abi::BPF_F_NO_PREALLOC
                } else {
                    0
                },
            }
        })
}

#[test]
fn map_commands_match_linux() {
    if linux_bpf("map_commands_match_linux").is_none() {
        return;
    }
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let strategy = (specs(), proptest::collection::vec(op(10), 1..40));
    if let Err(e) = runner.run(&strategy, |(spec, ops)| check(&spec, &ops)) {
        panic!("{e}");
    }
    println!(
        "differential: {} sequences, {} ops compared, {} of them successful",
        SEQUENCES.load(Ordering::Relaxed),
        OPS.load(Ordering::Relaxed),
        SUCCESSES.load(Ordering::Relaxed)
    );
}

#[test]
fn creation_matches_linux() {
    let Some(linux) = linux_bpf("creation_matches_linux") else {
        return;
    };
    let ours = hosted();
    let mut n = 0;
    let mut diffs = Vec::new();
    let mut compare = |attr: MapCreateAttr| {
        let (l, o) = (linux.map_create(&attr), ours.map_create(&attr));
        n += 1;
        if let Ok(fd) = l {
            let _ = linux.close(fd);
        }
        if let Ok(fd) = o {
            let _ = ours.close(fd);
        }
        let (l, o) = (l.map(|_| ()), o.map(|_| ()));
        if l != o {
            diffs.push(format!(
                "type {} key {} value {} max {} flags {:#x}: linux {l:?}, ours {o:?}",
                attr.map_type, attr.key_size, attr.value_size, attr.max_entries, attr.map_flags
            ));
        }
    };
    // Sizes and counts stay small enough that Linux allocates at most a few
    // MiB per map; the limits above that are checked with the cases below.
    let types: Vec<u32> = [
        MapType::Hash,
        MapType::Array,
        MapType::ProgArray,
        MapType::PercpuHash,
        MapType::PercpuArray,
        MapType::LruHash,
        MapType::LruPercpuHash,
        MapType::Queue,
        MapType::Stack,
        MapType::Ringbuf,
    ]
    .iter()
    .map(|t| t.raw())
    .chain([99])
    .collect();
    let sizes = [0u32, 1, 4, 8, 513, 4096];
    let flags = [0u32, 1, 2, 4, 8, 16, 24, 64, 128, 256, 384, 1024, 1 << 15];
    for &map_type in &types {
        for &key_size in &sizes {
            for &value_size in &sizes {
                for &max_entries in &[0u32, 1, 64] {
                    for &map_flags in &flags {
                        compare(MapCreateAttr {
                            map_type,
                            key_size,
                            value_size,
                            max_entries,
                            map_flags,
                            ..Default::default()
                        });
                    }
                }
            }
        }
    }
    for (map_type, key_size, value_size, max_entries) in [
        (1u32, 4u32, 8u32, 1u32 << 29),
        (5, 4, 1 << 16, 1),
        (6, 4, 1 << 16, 1),
        (2, 4, 1 << 22, 1),
        (22, 0, 1 << 23, 1),
    ] {
        compare(MapCreateAttr {
            map_type,
            key_size,
            value_size,
            max_entries,
            ..Default::default()
        });
    }
    tests::close_all_and_expect_none_alive(&ours);
    println!("{n} creations compared");
    assert!(
        diffs.is_empty(),
        "{} of {n} differ:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(40)].join("\n")
    );
}

/// The attr rules: short attrs are zero-extended, bytes past the union must
/// be zero (E2BIG), unread bytes inside it too (EINVAL), at most a page.
#[test]
fn attr_rules_match_linux() {
    let Some(linux) = linux_bpf("attr_rules_match_linux") else {
        return;
    };
    let ours = hosted();
    let create = MapCreateAttr {
        map_type: MapType::Array.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: 2,
        ..Default::default()
    };
    let mut cases: Vec<(String, u32, Vec<u8>, u32)> = Vec::new();
    let bytes = zerocopy::IntoBytes::as_bytes(&create).to_vec();
    for size in [0u32, 4, 16, 20, 71, 72, 73, 144, 145, 200, 4096, 4097] {
        cases.push((
            format!("create, size {size}"),
            abi::Cmd::MapCreate.raw(),
            bytes.clone(),
            size,
        ));
    }
    // Bytes past every kernel's union (this machine's kernel may be newer
    // than the 6.1 ABI we describe, with a longer union and more fields).
    for at in [300usize, 1000, 4095] {
        let mut b = bytes.clone();
        b.resize(4096, 0);
        b[at] = 1;
        cases.push((format!("create, byte {at} set"), abi::Cmd::MapCreate.raw(), b, 4096));
    }
    for cmd in [37u32, 999, 1001, u32::MAX] {
        cases.push((format!("command {cmd}"), cmd, bytes.clone(), 72));
    }
    let mut diffs = Vec::new();
    for (name, cmd, b, size) in &cases {
        let run = |c: &dyn Backend| {
            let buf = c.buffer(b.len().max(*size as usize));
            buf.write(0, b);
            let r = c.bpf(*cmd, buf.addr(), *size);
            if let Ok(fd) = r {
                let _ = c.close(fd);
            }
            r.map(|_| ())
        };
        let (l, o) = (run(linux.backend()), run(ours.backend()));
        if l != o {
            diffs.push(format!("{name}: linux {l:?}, ours {o:?}"));
        }
    }
    // A NULL or wild attr pointer is EFAULT when bytes are to be read.
    for (addr, size) in [(0u64, 72u32), (8, 72), (0, 0)] {
        let (l, o) = (
            linux.raw(abi::Cmd::MapCreate.raw(), addr, size).map(|_| ()),
            ours.raw(abi::Cmd::MapCreate.raw(), addr, size).map(|_| ()),
        );
        if l != o {
            diffs.push(format!("attr at {addr:#x} size {size}: linux {l:?}, ours {o:?}"));
        }
    }
    tests::close_all_and_expect_none_alive(&ours);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// Map names and what OBJ_GET_INFO_BY_FD reports.
#[test]
fn names_and_info_match_linux() {
    let Some(linux) = linux_bpf("names_and_info_match_linux") else {
        return;
    };
    let ours = hosted();
    let mut diffs = Vec::new();
    for name in [
        &b"counts"[..],
        b"with.dot_under",
        b"bad-dash",
        b"sixteen_chars_xx",
        b"",
        b"a\0junk-after-nul",
        b"sp ace",
    ] {
        let mut attr = MapCreateAttr {
            map_type: MapType::Hash.raw(),
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            map_flags: abi::BPF_F_NO_PREALLOC | abi::BPF_F_RDONLY,
            ..Default::default()
        };
        attr.map_name[..name.len()].copy_from_slice(name);
        let (l, o) = (linux.map_create(&attr), ours.map_create(&attr));
        match (l, o) {
            (Ok(lf), Ok(of)) => {
                let (li, oi) = (linux.map_info(lf).unwrap(), ours.map_info(of).unwrap());
                let strip = |i: abi::MapInfo| (i.r#type, i.key_size, i.value_size, i.max_entries, i.map_flags, i.name);
                if strip(li) != strip(oi) {
                    diffs.push(format!(
                        "{:?}: linux {li:?}, ours {oi:?}",
                        String::from_utf8_lossy(name)
                    ));
                }
                // Read-only for the syscall side: updates are EPERM on both.
                let (lu, ou) = (
                    linux.update(lf, Some(&[0; 4]), &[0; 8], BPF_ANY),
                    ours.update(of, Some(&[0; 4]), &[0; 8], BPF_ANY),
                );
                if lu != ou {
                    diffs.push(format!("update of a read-only map: linux {lu:?}, ours {ou:?}"));
                }
                let _ = linux.close(lf);
                let _ = ours.close(of);
            }
            (l, o) if l.is_err() && o.is_err() && l == o => {}
            (l, o) => diffs.push(format!("{:?}: linux {l:?}, ours {o:?}", String::from_utf8_lossy(name))),
        }
    }
    // Info of an fd that is not open.
    let (l, o) = (
        linux.map_info(0x7fff_0000).map(|_| ()),
        ours.map_info(0x7fff_0000).map(|_| ()),
    );
    if l != o {
        diffs.push(format!("info of a closed fd: linux {l:?}, ours {o:?}"));
    }
    tests::close_all_and_expect_none_alive(&ours);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// The conformance programs Linux's verifier accepts as socket filters (and
/// that need no memory, since Linux hands socket filters an skb, not the
/// corpus buffer) give the same BPF_PROG_TEST_RUN result on both kernels.
#[test]
fn conformance_programs_match_linux_test_run() {
    let Some(linux) = linux_bpf("conformance_programs_match_linux_test_run") else {
        return;
    };
    let Some(dir) = tests::corpus::dir_or_report("conformance_programs_match_linux_test_run") else {
        return;
    };
    let ours = hosted();
    let (mut compared, mut rejected) = (0, 0);
    let mut diffs = Vec::new();
    for f in tests::corpus::files(&dir) {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let Ok(case) = tests::corpus::parse(&std::fs::read_to_string(&f).unwrap()) else {
            continue;
        };
        if !case.mem.is_empty() {
            continue;
        }
        let Ok(prog) = tests::corpus::program(&case) else {
            continue;
        };
        let code = kernel_bpf::prog::insn::encode(&prog);
        let Ok(lfd) = linux.prog_load(abi::ProgType::SocketFilter, &code, "GPL") else {
            rejected += 1;
            continue;
        };
        let data = [0u8; 64];
        let l = linux.test_run(lfd, &data, 1).map(|r| r.0);
        let _ = linux.close(lfd);
        let o = ours
            .prog_load(abi::ProgType::SocketFilter, &code, "GPL")
            .and_then(|fd| {
                let r = ours.test_run(fd, &data, 1).map(|r| r.0);
                let _ = ours.close(fd);
                r
            });
        compared += 1;
        if l != o {
            diffs.push(format!("{name}: linux {l:?}, ours {o:?}"));
        }
    }
    tests::close_all_and_expect_none_alive(&ours);
    println!("conformance vs Linux test run: {compared} programs compared, {rejected} rejected by Linux's verifier");
    assert!(compared > 100, "only {compared} compared");
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// Maps of maps: creation with a template, stores that match it or not,
/// lookups (the inner map's id: compared as present or not), deletes.
#[test]
fn maps_of_maps_match_linux() {
    let Some(linux) = linux_bpf("maps_of_maps_match_linux") else {
        return;
    };
    let ours = hosted();
    let attr = |t: MapType, k: u32, v: u32, max: u32, inner: u32| MapCreateAttr {
        map_type: t.raw(),
        key_size: k,
        value_size: v,
        max_entries: max,
        inner_map_fd: inner,
        ..Default::default()
    };
    let mut steps = Vec::new();
    for c in [&linux as &dyn Side, &ours as &dyn Side] {
        let mut log: Vec<String> = Vec::new();
        let array = c.create(&attr(MapType::Array, 4, 8, 4, 0)).unwrap();
        let other = c.create(&attr(MapType::Array, 4, 16, 4, 0)).unwrap();
        let hash = c.create(&attr(MapType::Hash, 4, 8, 4, 0)).unwrap();
        let progs = c.create(&attr(MapType::ProgArray, 4, 4, 4, 0)).unwrap();
        let mut outer = Vec::new();
        for (t, k, v, max, inner) in [
            (MapType::ArrayOfMaps, 4, 4, 3, array),
            (MapType::HashOfMaps, 4, 4, 2, array),
            (MapType::ArrayOfMaps, 4, 8, 3, array),
            (MapType::ArrayOfMaps, 4, 4, 3, 0x7fff_0000),
            (MapType::ArrayOfMaps, 8, 4, 3, array),
            (MapType::ArrayOfMaps, 4, 4, 0, array),
            (MapType::HashOfMaps, 4, 4, 2, progs),
        ] {
            let r = c.create(&attr(t, k, v, max, inner));
            log.push(format!("create {t:?} {k} {v} {max}: {:?}", r.map(|_| ())));
            if let Ok(fd) = r {
                outer.push(fd);
            }
        }
        let (aom, hom) = (outer[0], outer[1]);
        let key = |k: u32| k.to_ne_bytes();
        for (m, k, v, flags) in [
            (aom, 0, array, 0),
            (aom, 1, other, 0),
            (aom, 1, hash, 0),
            (aom, 1, 0x7fff_0000, 0),
            (aom, 2, array, BPF_NOEXIST),
            (aom, 2, array, BPF_EXIST),
            (aom, 3, array, 0),
            (aom, 0, array, 4),
            (hom, 7, array, BPF_EXIST),
            (hom, 7, array, 0),
            (hom, 7, array, BPF_NOEXIST),
            (hom, 8, array, 0),
            (hom, 9, array, 0),
        ] {
            log.push(format!(
                "update {k} <- map, flags {flags}: {:?}",
                c.update(m, &key(k), v, flags)
            ));
        }
        for (m, k) in [(aom, 0), (aom, 1), (aom, 3), (hom, 7), (hom, 9)] {
            log.push(format!("lookup {k}: {:?}", c.lookup(m, &key(k)).map(|_| "a map id")));
        }
        for (m, k) in [(aom, 0), (aom, 0), (aom, 5), (hom, 7), (hom, 7), (progs, 5), (progs, 1)] {
            log.push(format!("delete {k}: {:?}", c.delete(m, &key(k))));
        }
        for fd in outer.into_iter().chain([array, other, hash, progs]) {
            c.close(fd);
        }
        steps.push(log);
    }
    println!("maps of maps: {} steps compared", steps[0].len());
    assert_eq!(steps[0], steps[1], "linux (left), ours (right)");
    close_all_and_expect_none_alive(&ours);
}

/// The few commands the map-of-maps comparison uses, on either kernel.
trait Side {
    fn create(&self, a: &MapCreateAttr) -> Result<u32, i32>;
    fn update(&self, fd: u32, key: &[u8], value_fd: u32, flags: u64) -> Result<(), i32>;
    fn lookup(&self, fd: u32, key: &[u8]) -> Result<Vec<u8>, i32>;
    fn delete(&self, fd: u32, key: &[u8]) -> Result<(), i32>;
    fn close(&self, fd: u32);
}

impl<B: Backend> Side for Client<B> {
    fn create(&self, a: &MapCreateAttr) -> Result<u32, i32> {
        self.map_create(a)
    }
    fn update(&self, fd: u32, key: &[u8], value_fd: u32, flags: u64) -> Result<(), i32> {
        Client::update(self, fd, Some(key), &value_fd.to_ne_bytes(), flags)
    }
    fn lookup(&self, fd: u32, key: &[u8]) -> Result<Vec<u8>, i32> {
        Client::lookup(self, fd, Some(key), 4)
    }
    fn delete(&self, fd: u32, key: &[u8]) -> Result<(), i32> {
        Client::delete(self, fd, Some(key))
    }
    fn close(&self, fd: u32) {
        let _ = Client::close(self, fd);
    }
}
