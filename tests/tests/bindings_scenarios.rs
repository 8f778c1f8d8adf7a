//! One scenario suite for the typed Rust API (`user_bindings::{maps,
//! programs, loader}`), run over every backend: the hosted kernel in this
//! process, and this machine's Linux through libc and called directly
//! (where bpf(2) is permitted). Each scenario prints what it saw; the
//! transcripts must be equal, but for the lines `docs/bindings.md` lists
//! as deliberate differences (marked `[rcore]` here).

use abi::{Insn, MapType, ProgType, BPF_ANY, BPF_EXIST, BPF_F_CURRENT_CPU, BPF_NOEXIST};
use std::fmt::Write;
use user_bindings::direct::DirectSyscall;
use user_bindings::hosted::Process;
use user_bindings::loader::Object;
use user_bindings::maps::{
    Array, HashMap, LruHashMap, Map, MapSpec, PerCpuArray, PerCpuHashMap, PerfEventArray, ProgramArray, Queue, RingBuf,
    Stack,
};
use user_bindings::programs::Program;
use user_bindings::{sys::Syscall, Sys};

fn r<T: std::fmt::Debug>(x: user_bindings::fd::Result<T>) -> String {
    match x {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("errno {}", e.errno),
    }
}

fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Insn {
    Insn { code, regs, off, imm }
}

fn hash_maps<S: Sys + Clone>(sys: &S, t: &mut String) {
    let m: HashMap<S, u32, u64> = HashMap::create(sys, 4).unwrap();
    for k in 1..=5u32 {
        writeln!(t, "insert {k}: {}", r(m.insert(&k, &(u64::from(k) * 10), BPF_NOEXIST))).unwrap();
    }
    writeln!(t, "insert 1 again: {}", r(m.insert(&1, &0, BPF_NOEXIST))).unwrap();
    writeln!(t, "update missing: {}", r(m.insert(&9, &0, BPF_EXIST))).unwrap();
    writeln!(t, "get 2: {} get 9: {}", r(m.get(&2, 0)), r(m.get(&9, 0))).unwrap();
    writeln!(t, "remove 3: {} again: {}", r(m.remove(&3)), r(m.remove(&3))).unwrap();
    let mut all: Vec<(u32, u64)> = m.iter().map(Result::unwrap).collect();
    all.sort();
    writeln!(t, "iter: {all:?}").unwrap();
    let mut batch = m.get_batch(1).unwrap();
    batch.sort();
    writeln!(t, "get_batch: {batch:?}").unwrap();
    writeln!(t, "remove_batch [1, 2]: {}", r(m.remove_batch(&[1, 2]))).unwrap();
    writeln!(t, "insert_batch: {}", r(m.insert_batch(&[7, 8], &[70, 80], 0))).unwrap();
    let mut keys: Vec<u32> = m.keys().map(Result::unwrap).collect();
    keys.sort();
    writeln!(t, "keys: {keys:?}").unwrap();
    let lru: LruHashMap<S, u32, u32> = LruHashMap::create(sys, 8).unwrap();
    let ok = (0..64u32).all(|k| lru.insert(&k, &k, BPF_ANY).is_ok());
    let n = lru.keys().count();
    writeln!(
        t,
        "lru: 64 inserts ok {ok}, kept between 1 and 8: {}",
        (1..=8).contains(&n)
    )
    .unwrap();
    writeln!(t, "lru newest: {}", r(lru.get(&63, 0))).unwrap();
}

fn arrays<S: Sys + Clone>(sys: &S, t: &mut String) {
    let a: Array<S, u64> = Array::create(sys, 3).unwrap();
    writeln!(t, "set 1: {} set 3: {}", r(a.set(1, &5, 0)), r(a.set(3, &5, 0))).unwrap();
    writeln!(t, "set 1 NOEXIST: {}", r(a.set(1, &6, BPF_NOEXIST))).unwrap();
    writeln!(t, "values: {:?}", a.iter().map(r).collect::<Vec<_>>()).unwrap();
    writeln!(t, "freeze: {} then set: {}", r(a.map().freeze()), r(a.set(0, &1, 0))).unwrap();
    let cpus = sys.possible_cpus() as usize;
    let pa: PerCpuArray<S, u32> = PerCpuArray::create(sys, 2).unwrap();
    let values: Vec<u32> = (0..cpus as u32).map(|c| c + 100).collect();
    writeln!(t, "per-cpu set: {}", r(pa.set(1, &values, 0))).unwrap();
    writeln!(t, "per-cpu get is each CPU's: {}", pa.get(1).unwrap() == values).unwrap();
    writeln!(t, "per-cpu set too few: {}", r(pa.set(1, &values[1..], 0))).unwrap();
    let ph: PerCpuHashMap<S, u32, u64> = PerCpuHashMap::create(sys, 2).unwrap();
    let values: Vec<u64> = (0..cpus as u64).collect();
    writeln!(t, "per-cpu hash insert: {}", r(ph.insert(&1, &values, 0))).unwrap();
    writeln!(
        t,
        "per-cpu hash get is each CPU's: {}",
        ph.get(&1).unwrap() == Some(values)
    )
    .unwrap();
    writeln!(t, "per-cpu hash missing: {}", r(ph.get(&2))).unwrap();
}

fn queues<S: Sys + Clone>(sys: &S, t: &mut String) {
    let q: Queue<S, u32> = Queue::create(sys, 2).unwrap();
    let s: Stack<S, u32> = Stack::create(sys, 2).unwrap();
    for v in 1..=3u32 {
        writeln!(t, "push {v}: {} {}", r(q.push(&v, 0)), r(s.push(&v, 0))).unwrap();
    }
    writeln!(
        t,
        "push 4 EXIST: {} {}",
        r(q.push(&4, BPF_EXIST)),
        r(s.push(&4, BPF_EXIST))
    )
    .unwrap();
    writeln!(t, "peek: {} {}", r(q.peek()), r(s.peek())).unwrap();
    for _ in 0..3 {
        writeln!(t, "pop: {} {}", r(q.pop()), r(s.pop())).unwrap();
    }
}

fn programs<S: Sys + Clone>(sys: &S, t: &mut String) {
    // r0 = skb->len; exit
    let len = [insn(0x61, 0x10, 0, 0), insn(0x95, 0, 0, 0)];
    let p = Program::load(sys, ProgType::SocketFilter, &len, "GPL").unwrap();
    let mut packet = vec![0u8; 60];
    packet[12] = 0x08;
    packet[14] = 0x45;
    let run = p.test_run(&packet, 2).unwrap();
    writeln!(t, "test run: retval {} out {} bytes", run.retval, run.data_out.len()).unwrap();
    writeln!(t, "test run short: {}", r(p.test_run(&packet[..8], 1))).unwrap();
    // r0 = *(u64 *)(r1 + 0) of a scalar: refused.
    let bad = [insn(0xb7, 0x01, 0, 0), insn(0x79, 0x10, 0, 0), insn(0x95, 0, 0, 0)];
    let Err(e) = Program::load(sys, ProgType::SocketFilter, &bad, "GPL") else {
        panic!("a load of a scalar's memory was accepted");
    };
    let reason = e.log.lines().find(|l| l.contains("invalid mem access")).unwrap_or("");
    writeln!(t, "refused: errno {} log: {reason}", e.errno).unwrap();
    let pa = ProgramArray::create(sys, 2).unwrap();
    writeln!(
        t,
        "prog array set: {} clear: {} again: {}",
        r(pa.set(0, &p, 0)),
        r(pa.clear(0)),
        r(pa.clear(0))
    )
    .unwrap();
    let m = Map::create(sys, &MapSpec::new(MapType::Hash, 4, 8, 2)).unwrap();
    writeln!(t, "hash as array: {}", r(Array::<S, u64>::try_from(m).map(|_| ()))).unwrap();
}

fn ring_buffers<S: Sys + Clone>(sys: &S, t: &mut String) {
    let rb = RingBuf::create(sys, 16384).unwrap();
    let fd = rb.map().fd().raw() as i32;
    let ld_map = |dst: u8| [insn(0x18, dst | 0x10, 0, fd), insn(0, 0, 0, 0)];
    // Two records through bpf_ringbuf_output: the 8 bytes at fp-8 (the
    // number 0x11223344), then the 4 bytes at fp-4.
    let mut prog = vec![insn(0xb7, 0x02, 0, 0x1122_3344), insn(0x7b, 0x2a, -8, 0)];
    for (at, len) in [(-8, 8), (-4, 4)] {
        prog.extend(ld_map(1));
        prog.extend([
            insn(0xbf, 0xa2, 0, 0),
            insn(0x07, 0x02, 0, at),
            insn(0xb7, 0x03, 0, len),
            insn(0xb7, 0x04, 0, 0),
            insn(0x85, 0, 0, 130),
        ]);
    }
    prog.extend([insn(0xb7, 0, 0, 0), insn(0x95, 0, 0, 0)]);
    let p = Program::load(sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
    writeln!(t, "consume before: {}", r(rb.consume(|_| {}))).unwrap();
    let mut packet = vec![0u8; 60];
    packet[12] = 0x08;
    packet[14] = 0x45;
    writeln!(t, "run twice: {}", r(p.test_run(&packet, 2).map(|run| run.retval))).unwrap();
    let mut records = Vec::new();
    writeln!(t, "consume: {}", r(rb.consume(|rec| records.push(rec.to_vec())))).unwrap();
    writeln!(t, "records: {records:02x?}").unwrap();
    writeln!(t, "consume again: {}", r(rb.consume(|_| {}))).unwrap();
}

fn perf_buffers<S: Sys + Clone>(sys: &S, t: &mut String) {
    let events = PerfEventArray::create(sys, sys.possible_cpus()).unwrap();
    let fd = events.map().fd().raw() as i32;
    // Two samples through bpf_perf_event_output to this CPU's slot: the 8
    // bytes at fp-8 (the number 0x11223344), then the 4 bytes at fp-4;
    // returns the second call's result.
    let mut prog = vec![
        insn(0xbf, 0x16, 0, 0),
        insn(0xb7, 0x02, 0, 0x1122_3344),
        insn(0x7b, 0x2a, -8, 0),
    ];
    for (at, len) in [(-8, 8), (-4, 4)] {
        prog.extend([
            insn(0xbf, 0x61, 0, 0),
            insn(0x18, 0x12, 0, fd),
            insn(0, 0, 0, 0),
            insn(0x18, 0x03, 0, BPF_F_CURRENT_CPU as i32),
            insn(0, 0, 0, 0),
            insn(0xbf, 0xa4, 0, 0),
            insn(0x07, 0x04, 0, at),
            insn(0xb7, 0x05, 0, len),
            insn(0x85, 0, 0, 25),
        ]);
    }
    prog.push(insn(0x95, 0, 0, 0));
    let p = Program::load(sys, ProgType::SocketFilter, &prog, "GPL").unwrap();
    let mut packet = vec![0u8; 60];
    packet[12] = 0x08;
    packet[14] = 0x45;
    let run = |p: &Program<S>| r(p.test_run(&packet, 2).map(|run| run.retval as i32));
    writeln!(t, "output before open: {}", run(&p)).unwrap();
    writeln!(t, "open with 3 pages: {}", r(events.open(3).map(|_| ()))).unwrap();
    let mut reader = events.open(8).unwrap();
    writeln!(t, "read before: {}", r(reader.read(|_, _| {}))).unwrap();
    writeln!(t, "run twice: {}", run(&p)).unwrap();
    let mut samples = Vec::new();
    writeln!(t, "read: {}", r(reader.read(|_, s| samples.push(s.to_vec())))).unwrap();
    // Each CPU's samples come in order; the runs may move between CPUs.
    samples.sort();
    writeln!(t, "samples: {samples:02x?}").unwrap();
    writeln!(t, "read again: {}", r(reader.read(|_, _| {}))).unwrap();
    drop(reader);
    writeln!(t, "output after the reader: {}", run(&p)).unwrap();
}

fn objects<S: Sys + Clone>(sys: &S, t: &mut String) {
    let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/counts.o")).unwrap();
    let mut obj = Object::load(sys, &elf).unwrap();
    for p in obj.programs() {
        writeln!(t, "program {} ({}) -> {:?}", p.name, p.section, p.target).unwrap();
    }
    // Attach by target string is rCore's command.
    let attached = obj.attach_all().map(|a| a.len());
    writeln!(t, "[rcore] attach_all: {}", r(attached)).unwrap();
    let counts: HashMap<S, u32, u64> = HashMap::try_from(obj.take_map("counts").unwrap()).unwrap();
    writeln!(t, "counts starts empty: {}", counts.keys().count() == 0).unwrap();
    writeln!(t, "broken object: {}", r(Object::load(sys, &elf[..100]).map(|_| ()))).unwrap();
    // A jump table the object fills itself (`.values`), and the programs'
    // names as the kernel tells them.
    let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/tailcall.o")).unwrap();
    let mut obj = Object::load(sys, &elf).unwrap();
    for p in obj.programs() {
        let info = p.program.info().unwrap();
        let name = String::from_utf8_lossy(&info.name).trim_end_matches('\0').to_string();
        writeln!(t, "program {} named {name:?} by the kernel", p.name).unwrap();
    }
    let jmp = ProgramArray::try_from(obj.take_map("jmp").unwrap()).unwrap();
    for slot in [0, 1, 2, 257] {
        writeln!(t, "jmp[{slot}] filled: {}", r(jmp.id(slot).map(|id| id.is_some()))).unwrap();
    }
}

/// A scenario: what it does to a kernel, written into a transcript.
type Scenario<S> = fn(&S, &mut String);

fn transcript<S: Sys + Clone>(sys: &S) -> String {
    let mut t = String::new();
    let scenarios: [(&str, Scenario<S>); 7] = [
        ("hash maps", hash_maps),
        ("arrays", arrays),
        ("queues", queues),
        ("programs", programs),
        ("ring buffers", ring_buffers),
        ("perf buffers", perf_buffers),
        ("objects", objects),
    ];
    for (name, f) in scenarios {
        writeln!(t, "== {name}").unwrap();
        f(sys, &mut t);
    }
    t
}

fn comparable(t: &str) -> String {
    t.lines()
        .filter(|l| !l.starts_with("[rcore]"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_typed_api_behaves_the_same_on_every_backend() {
    let ours = transcript(&Process::new(tests::possible_cpus()));
    for want in [
        "insert 5: errno 7",
        "insert 1 again: errno 17",
        "get_batch: [(1, 10), (2, 20), (4, 40)]",
        "values: [\"ok 0\", \"ok 5\", \"ok 0\"]",
        "freeze: ok () then set: errno 1",
        "per-cpu get is each CPU's: true",
        "pop: ok Some(2) ok Some(4)",
        "test run: retval 46 out 60 bytes",
        "refused: errno 13 log: R1 invalid mem access 'scalar'",
        "[rcore] attach_all: ok 2",
        "jmp[257] filled: ok true",
        "jmp[2] filled: ok false",
        "consume: ok 4",
        "consume again: ok 0",
        "output before open: ok -2",
        "read: ok PerfEvents { read: 4, lost: 0 }",
        "samples: [[00, 00, 00, 00], [00, 00, 00, 00], [44, 33, 22, 11, 00, 00, 00, 00, 00, 00, 00, 00], [44, 33, 22, 11, 00, 00, 00, 00, 00, 00, 00, 00]]",
        "output after the reader: ok -2",
        "records: [[44, 33, 22, 11, 00, 00, 00, 00], [00, 00, 00, 00], [44, 33, 22, 11, 00, 00, 00, 00], [00, 00, 00, 00]]",
    ] {
        assert!(ours.lines().any(|l| l == want), "hosted lacks {want:?}:\n{ours}");
    }
    let n = ours.lines().filter(|l| !l.starts_with("==")).count();
    match Syscall::probe() {
        Ok(libc) => {
            let theirs = transcript(&libc);
            assert_eq!(comparable(&ours), comparable(&theirs), "hosted and Linux (libc) differ");
            assert_eq!(
                comparable(&transcript(&DirectSyscall)),
                comparable(&theirs),
                "libc and direct differ"
            );
            let differ: Vec<&str> = ours.lines().filter(|l| l.starts_with("[rcore]")).collect();
            println!("{n} results; all but {differ:?} agree with Linux");
        }
        Err(why) => println!("SKIP the Linux backends ({why}); {n} hosted results checked"),
    }
}

/// The Rust examples (`user-bindings/examples/`) print the same against
/// the hosted kernel as against Linux's bpf(2).
#[test]
fn the_rust_examples_print_the_same_both_ways() {
    let examples: [(&str, &[&str]); 2] = [
        (
            "count_packets",
            &[
                "packet of 1500 bytes: the filter passes 1486 bytes",
                "packets counted: 3",
                "lengths the ring buffer received: [46, 86, 1486]",
            ],
        ),
        (
            "object_globals",
            &[
                "program on_write from section kprobe/vfs_write (Kprobe), attaches to kprobe:vfs_write",
                "map .bss: Array, key 4 bytes, value 24 bytes, 1 entries",
                "target_pid (.rodata) = 412",
                "runs (.data) = 1000",
                ".rodata is frozen: a write from user space fails with errno 1",
                "runs after a write from user space = 5",
            ],
        ),
    ];
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target/rust-examples");
    let mut build = std::process::Command::new("cargo");
    tests::without_cargo_settings(&mut build);
    build.current_dir(&root).args(["build", "-q", "-p", "user-bindings"]);
    for (name, _) in examples {
        build.args(["--example", name]);
    }
    let built = build.arg("--target-dir").arg(&target).status().expect("run cargo");
    assert!(built.success(), "the examples build");
    for (name, wants) in examples {
        let exe = target.join("debug/examples").join(name);
        let run = |args: &[&str]| {
            std::process::Command::new(&exe)
                .args(args)
                .output()
                .expect("run the example")
        };
        let hosted = run(&[]);
        let ours = String::from_utf8_lossy(&hosted.stdout).into_owned();
        assert!(hosted.status.success(), "{name}: {ours}");
        for want in wants {
            assert!(ours.lines().any(|l| l == *want), "{name} lacks {want:?}:\n{ours}");
        }
        let linux = run(&["--linux"]);
        if linux.status.code() == Some(77) {
            println!("{name}: {}", String::from_utf8_lossy(&linux.stdout).trim());
            continue;
        }
        assert_eq!(
            ours,
            String::from_utf8_lossy(&linux.stdout),
            "{name}: hosted and Linux print differently"
        );
    }
}
