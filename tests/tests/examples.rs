//! The examples (examples/bpf/*.c) do what their comments say when the
//! simulated kernel runs under them, and the committed objects (examples
//! and tests/bpf) are what their build scripts make from the sources, or
//! at least load the same.

use kernel_bpf::attach::Target;
use kernel_bpf::hosted::sim::{Counts, Kernel};
use std::path::{Path, PathBuf};
use std::process::Command;
use tests::{close_all_and_expect_none_alive, detach_all, hosted};
use user_bindings::{hosted::HostedBackend, Client, LoadedObject};

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

fn u64_at(v: &[u8]) -> u64 {
    u64::from_ne_bytes(v[..8].try_into().unwrap())
}

/// Loads `examples/bpf/<name>.o`, attaches what its sections name (not the
/// tail-call targets), and runs `steps` of the workload.
fn run(name: &str, steps: u64) -> (Client<HostedBackend>, LoadedObject, Counts) {
    let c = hosted();
    let bytes = std::fs::read(repo(&format!("examples/bpf/{name}.o"))).unwrap();
    let o = c.prog_load_ex(&bytes, &[]).unwrap();
    let parsed = kernel_bpf::elf::parse(&bytes).unwrap();
    for (i, (p, e)) in parsed.programs.iter().zip(&o.progs).enumerate() {
        if let Some(t) = Target::of_section(&p.kind).filter(|_| !parsed.is_tail_call_target(i)) {
            c.prog_attach(&t, e.fd, 0).unwrap();
        }
    }
    for m in &o.maps {
        if m.map_type == abi::MapType::PerfEventArray.raw() {
            c.backend().bpf.open_perf_buffer(m.fd).unwrap();
        }
    }
    let mut k = Kernel::new(c.backend().bpf.clone(), 11);
    k.run(steps, &mut |_| {});
    let counts = k.counts();
    (c, o, counts)
}

fn fd(o: &LoadedObject, name: &str) -> u32 {
    o.maps
        .iter()
        .find(|m| m.name.starts_with(name.as_bytes()) && m.name[name.len()] == 0)
        .unwrap_or_else(|| panic!("no map {name}"))
        .fd
}

fn values(c: &Client<HostedBackend>, fd: u32, key_len: usize) -> Vec<(Vec<u8>, u64)> {
    let mut out = Vec::new();
    let mut key: Option<Vec<u8>> = None;
    while let Ok(k) = c.next_key(fd, key.as_deref(), key_len) {
        out.push((k.clone(), u64_at(&c.lookup(fd, Some(&k), 8).unwrap())));
        key = Some(k);
    }
    out
}

fn finish(c: &Client<HostedBackend>) {
    detach_all(c);
    close_all_and_expect_none_alive(c);
}

#[test]
fn counts_adds_up_to_the_system_calls() {
    let (c, o, n) = run("counts", 200);
    let per_pid: u64 = values(&c, fd(&o, "counts"), 4).iter().map(|v| v.1).sum();
    assert_eq!(per_pid, n.opens + n.reads + n.writes);
    let per_comm = values(&c, fd(&o, "opens"), 16);
    assert_eq!(per_comm.iter().map(|v| v.1).sum::<u64>(), n.opens);
    assert!(per_comm.iter().any(|(k, _)| k.starts_with(b"nginx\0")));
    finish(&c);
}

#[test]
fn latency_histograms_count_every_read() {
    let (c, o, n) = run("latency", 200);
    let hist: u64 = values(&c, fd(&o, "hist"), 4).iter().map(|v| v.1).sum();
    assert_eq!(hist, n.reads);
    let sizes: u64 = values(&c, fd(&o, "bytes_hist"), 4).iter().map(|v| v.1).sum();
    assert!(sizes > 0 && sizes <= n.reads - n.read_errors);
    assert!(
        values(&c, fd(&o, "start"), 8).is_empty(),
        "every entry was matched by its return"
    );
    finish(&c);
}

#[test]
fn events_arrive_through_the_ring_buffer_and_the_perf_event_array() {
    let (c, o, n) = run("events", 100);
    let bpf = c.backend().bpf.clone();
    let mut opens = Vec::new();
    bpf.consume_ringbuf(fd(&o, "events"), &mut |r| opens.push(r.to_vec()))
        .unwrap();
    assert_eq!(opens.len() as u64, n.opens);
    // struct open_event { u32 pid; u32 flags; char comm[16]; char filename[64]; }
    assert!(
        opens.iter().all(|r| r.len() == 88 && r[24] == b'/'),
        "filenames read from user memory"
    );
    let mut writes = 0;
    let (got, lost) = bpf
        .consume_perf(fd(&o, "perf_events"), &mut |_, r| {
            assert_eq!(r.len(), 16);
            writes += 1;
        })
        .unwrap();
    assert_eq!((got as u64, lost, writes), (n.writes, 0, n.writes));
    finish(&c);
}

#[test]
fn tailcall_dispatches_by_system_call_number() {
    let (c, o, n) = run("tailcall", 200);
    let calls = values(&c, fd(&o, "calls"), 4);
    let at = |nr: u32| calls.iter().find(|v| v.0 == nr.to_ne_bytes()).map_or(0, |v| v.1);
    assert_eq!((at(0), at(1), at(257)), (n.reads, n.writes, n.opens));
    assert_eq!(at(u32::MAX), 0, "every system call had a handler");
    finish(&c);
}

#[test]
fn globals_live_in_rodata_data_and_bss() {
    let (c, o, n) = run("globals", 200);
    let bss = c.lookup(fd(&o, ".bss"), Some(&0u32.to_ne_bytes()), 24).unwrap();
    assert_eq!(u64_at(&bss[0..8]), n.reads);
    let data = c.lookup(fd(&o, ".data"), Some(&0u32.to_ne_bytes()), 8).unwrap();
    assert_eq!(u64_at(&data), 1000 + n.reads + n.writes);
    finish(&c);
}

#[test]
fn stacks_are_stored_once_and_counted() {
    let (c, o, n) = run("stacks", 100);
    let counts = values(&c, fd(&o, "stack_counts"), 4);
    assert_eq!(counts.len(), 1, "one call path to vfs_read");
    assert_eq!(counts[0].1, n.reads);
    let stack = c.lookup(fd(&o, "stacks"), Some(&counts[0].0), 128).unwrap();
    let vfs_read = kernel_bpf::hosted::sim::symbol_addr("vfs_read").unwrap();
    assert_eq!(u64_at(&stack[0..8]), vfs_read, "innermost frame first");
    finish(&c);
}

/// Programs of an object as a loader sees them: name, type, instructions.
fn shape(bytes: &[u8]) -> Vec<(String, u32, u32)> {
    let c = hosted();
    let o = c.prog_load_ex(bytes, &[]);
    let shape = match o {
        Ok(o) => o
            .progs
            .iter()
            .map(|p| {
                let end = p.name.iter().position(|&b| b == 0).unwrap_or(64);
                (
                    String::from_utf8_lossy(&p.name[..end]).into_owned(),
                    p.prog_type,
                    p.insn_cnt,
                )
            })
            .collect(),
        Err((errno, log)) => vec![(log, errno as u32, 0)],
    };
    detach_all(&c);
    shape
}

/// Rebuilds one folder's objects into a temporary folder and compares.
fn rebuilt_equal_or_load_the_same(dir: &str) {
    let clang_ok = Command::new("clang")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !clang_ok {
        println!("SKIP rebuilding {dir}: no clang here (the committed objects are used as they are)");
        assert!(
            std::env::var("CI").is_err(),
            "CI must have clang: scripts/test.sh installs it"
        );
        return;
    }
    let out = std::env::temp_dir().join(format!("rebuild-{}-{}", dir.replace('/', "-"), std::process::id()));
    let status = Command::new("bash")
        .arg(repo(&format!("{dir}/build.sh")))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "{dir}/build.sh failed");
    let mut same = 0;
    let mut equivalent = Vec::new();
    for entry in std::fs::read_dir(repo(dir)).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_none_or(|x| x != "o") {
            continue;
        }
        let committed = std::fs::read(&p).unwrap();
        let fresh =
            std::fs::read(out.join(p.file_name().unwrap())).unwrap_or_else(|_| panic!("{} has no source", p.display()));
        if committed == fresh {
            same += 1;
        } else {
            assert_eq!(
                shape(&committed),
                shape(&fresh),
                "{}: a rebuild loads differently",
                p.display()
            );
            equivalent.push(p.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
    println!(
        "{dir}: {same} objects rebuilt byte for byte, {} other clang output that loads the same: {equivalent:?}",
        equivalent.len()
    );
    assert!(same + equivalent.len() > 0);
    let _ = Path::new(dir);
}

#[test]
fn committed_example_objects_match_their_sources() {
    rebuilt_equal_or_load_the_same("examples/bpf");
}

#[test]
fn committed_test_objects_match_their_sources() {
    let have_libbpf = Path::new("/usr/include/bpf/bpf_helpers.h").exists();
    if !have_libbpf {
        println!("SKIP rebuilding tests/bpf: libbpf-dev is not installed");
        assert!(
            std::env::var("CI").is_err(),
            "CI must have libbpf-dev: scripts/test.sh installs it"
        );
        return;
    }
    rebuilt_equal_or_load_the_same("tests/bpf");
}
