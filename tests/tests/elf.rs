//! The ELF module and BPF_PROG_LOAD_EX on objects clang built from C
//! written for Linux (`tests/bpf/*.c`, built by `tests/bpf/build.sh`):
//! what each object holds, that it loads into the hosted kernel with its
//! maps created and filled, that the real kernel takes the same programs
//! after the same relocation, and that malformed objects are refused with
//! a log line, never a panic.

use abi::{Errno, MapCreateAttr, MapType, ProgType};
use kernel_bpf::elf::{self, MapRef, Target};
use proptest::prelude::*;
use std::path::PathBuf;
use tests::{close_all_and_expect_none_alive, hosted};

fn object(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("bpf")
        .join(format!("{name}.o"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (build with tests/bpf/build.sh)", p.display()))
}

/// Every test object, by name.
const OBJECTS: &[&str] = &[
    "btf_maps",
    "globals",
    "iproute2_maps",
    "legacy_maps",
    "legacy_maps28",
    "mit_gpl_helper",
    "mit_license",
    "perf_events",
    "sockex1",
    "sockex2",
    "sockex3",
    "subprogs",
    "tail_calls",
    "tail_calls_init",
    "xdp",
];

#[test]
fn every_object_in_the_folder_is_listed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bpf");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "c").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    found.sort();
    assert_eq!(found, OBJECTS);
}

#[test]
fn objects_read_as_their_sources_say() {
    let o = elf::parse(&object("legacy_maps")).unwrap();
    assert_eq!((o.license.as_str(), o.kern_version), ("GPL", Some(0xffff_fffe)));
    let names: Vec<(&str, &str)> = o
        .programs
        .iter()
        .map(|p| (p.name.as_str(), p.section.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("count_reads", "kprobe/vfs_read"),
            ("count_read_bytes", "kretprobe/vfs_read")
        ]
    );
    assert_eq!(o.programs[1].kind.target, Target::Kretprobe("vfs_read".into()));
    let maps: Vec<(&str, u32, u32, u32, u32)> = o
        .maps
        .iter()
        .map(|m| (m.name.as_str(), m.map_type, m.key_size, m.value_size, m.max_entries))
        .collect();
    assert_eq!(
        maps,
        [
            ("read_count", MapType::Hash.raw(), 4, 8, 1024),
            ("totals", MapType::Array.raw(), 4, 8, 2),
            ("errors", MapType::PercpuArray.raw(), 4, 8, 1)
        ]
    );

    // iproute2's 36-byte records, and legacy per-map sections of 28 bytes.
    let o = elf::parse(&object("iproute2_maps")).unwrap();
    assert_eq!(o.maps.len(), 2);
    assert_eq!(o.programs[0].kind.prog_type, ProgType::SocketFilter);
    assert_eq!(o.programs[1].kind.prog_type, ProgType::SchedCls);
    let o = elf::parse(&object("legacy_maps28")).unwrap();
    assert_eq!(o.maps[0].map_flags, abi::BPF_F_NO_PREALLOC);

    // BTF maps: sizes from the key and value types, the inner map of a
    // map-in-map and its initial slot.
    let o = elf::parse(&object("btf_maps")).unwrap();
    let outer = o.maps.iter().find(|m| m.name == "outer").unwrap();
    assert_eq!(outer.map_type, MapType::ArrayOfMaps.raw());
    let inner = outer.inner.as_ref().unwrap();
    assert_eq!(
        (inner.map_type, inner.key_size, inner.value_size),
        (MapType::Array.raw(), 4, 8)
    );
    assert_eq!(outer.init[0].symbol, "inner_a");
    let rb = o.maps.iter().find(|m| m.name == "events").unwrap();
    assert_eq!((rb.map_type, rb.max_entries), (MapType::Ringbuf.raw(), 4096));
    assert_eq!(
        o.programs[0].kind.target,
        Target::Tracepoint("syscalls".into(), "sys_enter_openat".into())
    );

    // Global data: one map per section, .rodata read-only and frozen.
    let o = elf::parse(&object("globals")).unwrap();
    let data: Vec<(&str, bool)> = o.maps.iter().map(|m| (m.name.as_str(), m.freeze)).collect();
    assert_eq!(
        data,
        [
            (".rodata", true),
            (".data", false),
            (".bss", false),
            (".rodata.str1.1", true)
        ]
    );
    let dot_data = &o.maps[1];
    assert_eq!(
        &dot_data.data.as_ref().unwrap()[..4],
        &42u32.to_le_bytes(),
        "generation = 42"
    );
    let linked = o.link(0).unwrap();
    assert!(linked.map_refs.iter().all(|(_, r)| matches!(r, MapRef::Value(..))));
}

#[test]
fn subprograms_are_appended_once_and_calls_relocated() {
    let o = elf::parse(&object("subprogs")).unwrap();
    assert_eq!(
        o.programs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["on_read", "on_read_ret", "on_write_a", "on_write_b"],
        "two programs share kprobe/vfs_write"
    );
    for i in 0..o.programs.len() {
        let l = o.link(i).unwrap();
        let n = l.insns.len() as i64;
        for (pc, insn) in l.insns.iter().enumerate() {
            if insn.code == kernel_bpf::prog::insn::CALL && insn.src == abi::BPF_PSEUDO_CALL {
                let t = pc as i64 + 1 + i64::from(insn.imm);
                assert!((0..n).contains(&t), "{}: call at {pc} to {t}", o.programs[i].name);
            }
        }
    }
    let own = o.programs[0].name.len();
    assert!(
        own > 0 && o.link(0).unwrap().insns.len() > 40,
        "on_read got its subprograms"
    );
}

/// The hosted kernel: which objects load, and the log of those that do not.
#[test]
fn objects_load_into_the_hosted_kernel() {
    let c = hosted();
    let mut report = Vec::new();
    for name in OBJECTS {
        let r = c.prog_load_ex(&object(name), &[]);
        report.push(format!("{name}: {:?}", r.as_ref().map(|o| o.progs.len())));
        match (*name, r) {
            ("mit_gpl_helper", r) => {
                let (errno, log) = r.expect_err("a GPL-only helper under MIT");
                assert_eq!(errno, Errno::EINVAL.raw());
                assert!(
                    log.contains("peek_schedule") && log.contains("GPL-restricted function"),
                    "log: {log}"
                );
            }
            (_, Ok(loaded)) => {
                let parsed = elf::parse(&object(name)).unwrap();
                assert_eq!(loaded.progs.len(), parsed.programs.len());
                assert_eq!(loaded.maps.len(), parsed.maps.len());
                for (p, e) in parsed.programs.iter().zip(&loaded.progs) {
                    assert_eq!(e.prog_type, p.kind.prog_type.raw());
                    assert!(e.name.starts_with(p.name.as_bytes()));
                }
            }
            (_, Err(e)) => panic!("{name}: {e:?}"),
        }
    }
    println!("{}", report.join("\n"));
    close_all_and_expect_none_alive(&c);
}

#[test]
fn load_ex_fills_global_data_and_freezes_rodata() {
    let c = hosted();
    let o = c.prog_load_ex(&object("globals"), &[]).unwrap();
    let fd_of = |name: &str| {
        o.maps
            .iter()
            .find(|m| m.name.starts_with(name.as_bytes()) && m.name[name.len()] == 0)
            .unwrap()
            .fd
    };
    let data = c.lookup(fd_of(".data"), Some(&0u32.to_ne_bytes()), 12).unwrap();
    assert_eq!(&data[..4], &42u32.to_ne_bytes());
    let rodata = fd_of(".rodata");
    let value = c.lookup(rodata, Some(&0u32.to_ne_bytes()), 47).unwrap();
    assert_eq!(
        c.update(rodata, Some(&0u32.to_ne_bytes()), &value, 0),
        Err(Errno::EPERM.raw()),
        "frozen"
    );
    assert_eq!(
        c.map_info(rodata).unwrap().map_flags,
        abi::BPF_F_RDONLY_PROG | abi::BPF_F_MMAPABLE
    );
    close_all_and_expect_none_alive(&c);
}

#[test]
fn load_ex_uses_the_callers_maps_and_fills_prog_arrays() {
    let c = hosted();
    let totals = c
        .map_create(&MapCreateAttr {
            map_type: MapType::Array.raw(),
            key_size: 4,
            value_size: 8,
            max_entries: 2,
            ..Default::default()
        })
        .unwrap();
    let o = c
        .prog_load_ex(&object("iproute2_maps"), &[("cls_totals", totals)])
        .unwrap();
    let entry = o.maps.iter().find(|m| m.name.starts_with(b"cls_totals")).unwrap();
    assert_eq!((entry.fd, entry.created), (totals, 0));
    assert_eq!(o.maps.iter().filter(|m| m.created == 1).count(), 1);
    // The classifier counts into the caller's map.
    let cls = o.progs[1].fd;
    c.test_run(cls, &[0u8; 60], 1).unwrap();
    let counted: Vec<u8> = (0..2u32)
        .flat_map(|k| c.lookup(totals, Some(&k.to_ne_bytes()), 8).unwrap())
        .collect();
    assert_ne!(counted, vec![0; 16], "the classifier wrote into the caller's map");

    // A named map that does not fit its definition is refused.
    let wrong = c
        .map_create(&MapCreateAttr {
            map_type: MapType::Hash.raw(),
            key_size: 4,
            value_size: 8,
            max_entries: 2,
            ..Default::default()
        })
        .unwrap();
    let (errno, log) = c
        .prog_load_ex(&object("iproute2_maps"), &[("cls_totals", wrong)])
        .unwrap_err();
    assert_eq!(errno, Errno::EINVAL.raw());
    assert!(log.contains("cls_totals"), "{log}");

    // `.values = { ... }` fills the prog array once the programs are loaded.
    let o = c.prog_load_ex(&object("tail_calls_init"), &[]).unwrap();
    let table = o.maps.iter().find(|m| m.name.starts_with(b"jmp_table")).unwrap().fd;
    for slot in 0..3u32 {
        assert!(c.lookup(table, Some(&slot.to_ne_bytes()), 4).is_ok(), "slot {slot}");
    }
    close_all_and_expect_none_alive(&c);
}

#[test]
fn load_ex_reports_counts_and_refuses_malformed_objects() {
    let c = hosted();
    let (errno, log) = c.prog_load_ex(b"\x7fELF not really", &[]).unwrap_err();
    assert_eq!(errno, Errno::EINVAL.raw());
    assert!(log.contains("ELF header"), "{log}");
    let mut bad_machine = object("xdp");
    bad_machine[18] = 62; // EM_X86_64
    let (_, log) = c.prog_load_ex(&bad_machine, &[]).unwrap_err();
    assert!(log.contains("machine 62"), "{log}");
    let (errno, _) = c.prog_load_ex(&[], &[]).unwrap_err();
    assert_eq!(errno, Errno::EINVAL.raw());
    // A map symbol the object leaves to the caller, missing.
    let (errno, _) = c
        .prog_load_ex(&object("xdp"), &[("no_such_map", 0x7fff_0000)])
        .unwrap_err();
    assert_eq!(errno, Errno::EBADF.raw());
    close_all_and_expect_none_alive(&c);
}

/// The real kernel takes the same programs, after the same relocation (our
/// ELF module's output, maps created on Linux), with the same decision.
#[test]
fn the_real_kernel_loads_what_the_hosted_kernel_loads() {
    let Some(linux) = tests::linux_bpf("the_real_kernel_loads_what_the_hosted_kernel_loads") else {
        return;
    };
    let ours = hosted();
    let mut lines = Vec::new();
    for name in OBJECTS {
        let bytes = object(name);
        let o = elf::parse(&bytes).unwrap();
        let made = linux.create_object_maps(&o, tests::possible_cpus());
        let mut created = true;
        let fds: Vec<u32> = made
            .iter()
            .zip(&o.maps)
            .map(|(r, m)| {
                r.unwrap_or_else(|e| {
                    lines.push(format!("{name}: map {} not created on Linux: errno {e}", m.name));
                    created = false;
                    0
                })
            })
            .collect();
        let ours_result = ours.prog_load_ex(&bytes, &[]);
        let mut linux_all = created;
        for (i, p) in o.programs.iter().enumerate() {
            let insns = o
                .link(i)
                .unwrap()
                .resolve(|r| match r {
                    MapRef::Map(k) | MapRef::Value(k, _) => Ok::<u32, ()>(fds[*k]),
                    MapRef::Named(_) => Err(()),
                })
                .unwrap();
            let r = linux.prog_load(p.kind.prog_type, &kernel_bpf::prog::insn::encode(&insns), &o.license);
            lines.push(format!("{name}/{}: Linux {:?}", p.name, r.map(|_| "loaded")));
            match r {
                Ok(fd) => {
                    let _ = linux.close(fd);
                }
                Err(_) => linux_all = false,
            }
        }
        for fd in fds.into_iter().filter(|&f| f != 0) {
            let _ = linux.close(fd);
        }
        lines.push(format!(
            "{name}: Linux loads every program: {linux_all}; hosted: {:?}",
            ours_result.as_ref().map(|_| "loaded").map_err(|e| e.1.clone())
        ));
        assert_eq!(linux_all, ours_result.is_ok(), "{name}\n{}", lines.join("\n"));
    }
    println!("{}", lines.join("\n"));
    close_all_and_expect_none_alive(&ours);
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(OBJECTS),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        proptest::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(name, edits, cut)| {
            let mut b = object(name);
            for (i, v) in edits {
                let at = i.index(b.len());
                b[at] = v;
            }
            if let Some(c) = cut {
                let at = c.index(b.len());
                b.truncate(at);
            }
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Mutated real objects: parsing and linking give an object or an
    /// error naming a section, and loading one gives fds or an errno.
    #[test]
    fn mutated_objects_never_panic(bytes in mutated()) {
        if let Ok(o) = elf::parse(&bytes) {
            for i in 0..o.programs.len() {
                if let Err(e) = o.link(i) {
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
        let c = hosted();
        match c.prog_load_ex(&bytes, &[]) {
            Ok(_) => {}
            Err((errno, _)) => prop_assert!(errno > 0),
        }
        close_all_and_expect_none_alive(&c);
    }
}
