//! Concurrency: threads on different simulated CPUs hammer shared maps
//! through the helper path (pointers, per-CPU updates) and the syscall path
//! at once, then the invariants are checked: every thread's own keys hold
//! exactly what it last wrote, shared keys hold a value some thread wrote
//! (never a torn mix), iteration visits each key once, and per-CPU slots
//! hold what their CPU wrote.

use abi::{MapCreateAttr, MapType, BPF_ANY, BPF_EXIST, BPF_NOEXIST};
use kernel_bpf::hosted::Hosted;
use kernel_bpf::{Bpf, Error, Platform};
use rand::{rngs::SmallRng, Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const THREADS: u32 = 4;
const OPS: u32 = 200_000;
const OWN_KEYS: u32 = 64;
const SHARED_KEYS: u32 = 16;

fn create(bpf: &Bpf<Hosted>, t: MapType, value: u32, max: u32) -> u32 {
    let attr = MapCreateAttr {
        map_type: t.raw(),
        key_size: 4,
        value_size: value,
        max_entries: max,
        ..Default::default()
    };
    let m = kernel_bpf::map::create(&attr, 1, bpf.platform().cpu_count(), 9).unwrap();
    bpf.objects().insert(kernel_bpf::object::Object::Map(m)).unwrap()
}

/// A 16-byte value whose two words agree, so a torn read is visible.
fn value(writer: u32, n: u32) -> [u8; 16] {
    let w = (u64::from(writer) << 32 | u64::from(n)).to_ne_bytes();
    let mut v = [0u8; 16];
    v[..8].copy_from_slice(&w);
    v[8..].copy_from_slice(&w);
    v
}

#[test]
fn concurrent_helper_and_syscall_paths_keep_invariants() {
    let bpf = Arc::new(Bpf::new(Hosted::new(THREADS)));
    let capacity = THREADS * OWN_KEYS + SHARED_KEYS;
    let hash = create(&bpf, MapType::Hash, 16, capacity);
    let pcpu = create(&bpf, MapType::PercpuHash, 8, 8);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let bpf = bpf.clone();
            std::thread::spawn(move || {
                Hosted::set_current_cpu(t);
                let cpu = bpf.platform().cpu_id();
                let m = bpf.map(hash).unwrap();
                let p = bpf.map(pcpu).unwrap();
                let mut rng = SmallRng::seed_from_u64(u64::from(t));
                let mut model: BTreeMap<u32, [u8; 16]> = BTreeMap::new();
                let mem = bpf.platform().user_mem(128);
                for n in 0..OPS {
                    let own = t * OWN_KEYS + rng.gen_range(0..OWN_KEYS);
                    let shared = THREADS * OWN_KEYS + rng.gen_range(0..SHARED_KEYS);
                    match rng.gen_range(0..10) {
                        0..=2 => {
                            let flags = [BPF_ANY, BPF_NOEXIST, BPF_EXIST][rng.gen_range(0..3)];
                            let v = value(t, n);
                            match m.update(&own.to_ne_bytes(), &v, flags, Some(cpu)) {
                                Ok(()) => {
                                    model.insert(own, v);
                                }
                                Err(Error::Exists) => assert!(model.contains_key(&own)),
                                Err(Error::NotFound) => assert!(!model.contains_key(&own)),
                                Err(e) => panic!("update: {e}"),
                            }
                        }
                        3 => match m.delete(&own.to_ne_bytes()) {
                            Ok(()) => assert!(model.remove(&own).is_some()),
                            Err(Error::NotFound) => assert!(!model.contains_key(&own)),
                            Err(e) => panic!("delete: {e}"),
                        },
                        4 => {
                            let mut out = [0u8; 16];
                            match m.lookup(&own.to_ne_bytes(), &mut out) {
                                Ok(()) => assert_eq!(Some(&out), model.get(&own)),
                                Err(e) => assert!(e == Error::NotFound && !model.contains_key(&own)),
                            }
                        }
                        5 => {
                            m.update(&shared.to_ne_bytes(), &value(t, n), BPF_ANY, Some(cpu))
                                .unwrap();
                        }
                        6 => {
                            // The helper path: a pointer into the value.
                            if let Some(ptr) = m.lookup_ptr(&shared.to_ne_bytes(), cpu) {
                                assert_eq!(ptr.as_ptr() as usize % 8, 0);
                            }
                            let _ = m.delete(&shared.to_ne_bytes());
                        }
                        7 => {
                            let mut out = [0u8; 16];
                            if m.lookup(&shared.to_ne_bytes(), &mut out).is_ok() {
                                assert!(out[..8] == out[8..] || out == [0; 16], "torn value {out:?}");
                            }
                        }
                        8 => {
                            p.update(&1u32.to_ne_bytes(), &u64::from(n).to_ne_bytes(), BPF_ANY, Some(cpu))
                                .unwrap();
                        }
                        _ => {
                            // The syscall path on the same map.
                            let key = own.to_ne_bytes();
                            mem.write(64, &key);
                            let attr = abi::MapElemAttr {
                                map_fd: hash,
                                key: mem.at(64),
                                value: mem.at(80),
                                ..Default::default()
                            };
                            mem.write(0, zerocopy::IntoBytes::as_bytes(&attr));
                            let r = bpf.sys_bpf(abi::Cmd::MapLookupElem.raw(), mem.addr(), 32);
                            match model.get(&own) {
                                Some(v) => {
                                    assert_eq!(r, Ok(0));
                                    assert_eq!(&mem.read(80, 16)[..], &v[..]);
                                }
                                None => assert_eq!(r, Err(abi::Errno::ENOENT)),
                            }
                        }
                    }
                }
                (t, cpu, model)
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("a worker panicked"))
        .collect();
    let m = bpf.map(hash).unwrap();
    let mut seen = BTreeSet::new();
    let mut key: Option<[u8; 4]> = None;
    let mut next = [0u8; 4];
    while m.next_key(key.as_ref().map(|k| &k[..]), &mut next).is_ok() {
        assert!(
            seen.insert(u32::from_ne_bytes(next)),
            "iteration visited {} twice",
            u32::from_ne_bytes(next)
        );
        key = Some(next);
    }
    for (t, _, model) in &results {
        for k in t * OWN_KEYS..(t + 1) * OWN_KEYS {
            let mut out = [0u8; 16];
            match model.get(&k) {
                Some(v) => {
                    m.lookup(&k.to_ne_bytes(), &mut out).unwrap();
                    assert_eq!(&out, v, "key {k} of thread {t}");
                    assert!(seen.contains(&k));
                }
                None => assert!(!seen.contains(&k), "deleted key {k} still iterated"),
            }
        }
    }
    assert!(seen.len() as u32 <= capacity);
    // Each CPU's slot of the per-CPU value holds something its thread wrote.
    let p = bpf.map(pcpu).unwrap();
    let mut all = vec![0u8; p.def().syscall_value_size()];
    if p.lookup(&1u32.to_ne_bytes(), &mut all).is_ok() {
        for (_, cpu, _) in &results {
            let slot = u64::from_ne_bytes(all[*cpu as usize * 8..*cpu as usize * 8 + 8].try_into().unwrap());
            assert!(slot < u64::from(OPS));
        }
    }
    drop((m, p));
    tests::expect_none_alive_after_closing(&bpf);
}

/// Free slots are neither lost nor handed out twice under contention:
/// threads insert, replace and delete their own keys of a map whose slots
/// are few (`max_entries` a power of two, so only the spares are over),
/// for both slot layouts. Afterwards the map still takes exactly
/// `max_entries` keys, each holding its own value.
#[test]
fn free_slots_survive_contention() {
    for flags in [0, abi::BPF_F_NO_PREALLOC] {
        let bpf = Arc::new(Bpf::new(Hosted::new(THREADS)));
        let max = 256;
        let attr = MapCreateAttr {
            map_type: MapType::Hash.raw(),
            key_size: 4,
            value_size: 16,
            max_entries: max,
            map_flags: flags,
            ..Default::default()
        };
        let m = kernel_bpf::map::create(&attr, 1, THREADS, 9).unwrap();
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let m = m.clone();
                std::thread::spawn(move || {
                    let mut rng = SmallRng::seed_from_u64(u64::from(t));
                    for n in 0..OPS / 4 {
                        let k = (t * 1000 + rng.gen_range(0..max / THREADS)).to_ne_bytes();
                        match rng.gen_range(0..3) {
                            0 | 1 => match m.update(&k, &value(t, n), BPF_ANY, Some(t)) {
                                Ok(()) | Err(Error::MapFull) => {}
                                Err(e) => panic!("update: {e}"),
                            },
                            _ => {
                                let _ = m.delete(&k);
                            }
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a worker panicked");
        }
        let mut key: Option<[u8; 4]> = None;
        let mut next = [0u8; 4];
        let mut old = Vec::new();
        while m.next_key(key.as_ref().map(|k| &k[..]), &mut next).is_ok() {
            old.push(next);
            key = Some(next);
        }
        for k in old {
            m.delete(&k).unwrap();
        }
        for k in 0..max {
            m.update(&k.to_ne_bytes(), &value(9, k), BPF_NOEXIST, None)
                .unwrap_or_else(|e| panic!("flags {flags:#x}: key {k} of {max}: {e}"));
        }
        assert_eq!(
            m.update(&max.to_ne_bytes(), &value(9, max), BPF_NOEXIST, None),
            Err(Error::MapFull)
        );
        for k in 0..max {
            let mut out = [0u8; 16];
            m.lookup(&k.to_ne_bytes(), &mut out).unwrap();
            assert_eq!(out, value(9, k), "flags {flags:#x}: key {k}");
            // A replacing update needs a spare slot: there is one.
            m.update(&k.to_ne_bytes(), &value(8, k), BPF_EXIST, None).unwrap();
        }
        drop(bpf);
    }
}

/// Lock-free lookups (the helper path's) of keys longer than a word,
/// compared a word at a time, so that their slots keep a sequence number,
/// while another thread deletes, re-inserts and replaces other keys of the
/// map, which agree with them in their first word: a key never touched is
/// always found, in its own slot; a slot reused for another key is never
/// taken for it.
#[test]
fn long_keys_are_found_beside_a_writer() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let attr = MapCreateAttr {
        map_type: MapType::Hash.raw(),
        key_size: 16,
        value_size: 16,
        max_entries: 16,
        ..Default::default()
    };
    let m = kernel_bpf::map::create(&attr, 1, 2, 1).unwrap();
    let key = |k: u64| [7u64.to_ne_bytes(), k.to_ne_bytes()].concat();
    for k in 0..16u64 {
        m.update(&key(k), &value(1, k as u32), BPF_ANY, None).unwrap();
    }
    let home: Vec<_> = (0..8).map(|k| m.lookup_ptr(&key(k), 0).unwrap()).collect();
    // The reader runs until the writer has written 1,000,000 times.
    let (stop, writes) = (AtomicBool::new(false), AtomicU64::new(0));
    let (runs, wrong) = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for k in 8..16 {
                    m.delete(&key(k)).unwrap();
                }
                for _ in 0..2 {
                    for k in 8..16 {
                        m.update(&key(k), &value(2, k as u32), BPF_ANY, None).unwrap();
                    }
                }
                writes.fetch_add(24, Ordering::Relaxed);
            }
        });
        let (mut runs, mut wrong) = (0u64, 0u64);
        while writes.load(Ordering::Relaxed) < 1_000_000 {
            let k = runs % 8;
            wrong += u64::from(m.lookup_ptr(&key(k), 0) != Some(home[k as usize]));
            runs += 1;
        }
        stop.store(true, Ordering::Relaxed);
        (runs, wrong)
    });
    println!("{runs} lookups of long keys beside 1,000,000 writes: {wrong} missed");
    assert_eq!(wrong, 0, "lookups that missed their key's slot");
}
