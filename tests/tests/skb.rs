//! Socket filters and tc programs on socket buffers: generated programs
//! (context fields read whole and narrow, legacy packet loads LD_ABS and
//! LD_IND at every kind of offset, the packet helpers, writes to cb[])
//! test-run on generated packets and contexts give the same retval, data
//! out, context out and errno here as on the real kernel.

use abi::{ProgType, SkBuff};
use core::mem::offset_of;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tests::{close_all_and_expect_none_alive, code, hosted, linux_bpf};
use user_bindings::{Backend, Client, TestRun};

/// Readable `__sk_buff` fields of socket filters (offset, size).
const FIELDS: &[(usize, usize)] = &[
    (offset_of!(SkBuff, len), 4),
    (offset_of!(SkBuff, pkt_type), 4),
    (offset_of!(SkBuff, mark), 4),
    (offset_of!(SkBuff, queue_mapping), 4),
    (offset_of!(SkBuff, protocol), 4),
    (offset_of!(SkBuff, vlan_present), 4),
    (offset_of!(SkBuff, vlan_tci), 4),
    (offset_of!(SkBuff, vlan_proto), 4),
    (offset_of!(SkBuff, priority), 4),
    (offset_of!(SkBuff, ingress_ifindex), 4),
    (offset_of!(SkBuff, ifindex), 4),
    (offset_of!(SkBuff, tc_index), 4),
    (offset_of!(SkBuff, cb), 4),
    (offset_of!(SkBuff, cb) + 4, 4),
    (offset_of!(SkBuff, cb) + 16, 4),
    (offset_of!(SkBuff, hash), 4),
    (offset_of!(SkBuff, napi_id), 4),
    (offset_of!(SkBuff, gso_segs), 4),
    (offset_of!(SkBuff, gso_size), 4),
];

/// Fields Linux keeps in 32 bits, so a narrow load of their upper bytes is
/// defined; the others (protocol, vlan_tci, gso_segs, ...) are narrower in
/// the kernel's sk_buff, and their upper bytes read what lies beside them.
fn full_width(field: usize) -> bool {
    let off = FIELDS[field].0;
    [
        offset_of!(SkBuff, len),
        offset_of!(SkBuff, mark),
        offset_of!(SkBuff, priority),
        offset_of!(SkBuff, ingress_ifindex),
        offset_of!(SkBuff, ifindex),
        offset_of!(SkBuff, hash),
    ]
    .contains(&off)
        || (offset_of!(SkBuff, cb)..offset_of!(SkBuff, cb) + 20).contains(&off)
}

/// One step of a generated program. r6 holds the context, r7 the result.
#[derive(Clone, Debug)]
enum Step {
    /// r7 ^= field (narrowed to `size` bytes at `sub`).
    Field { field: usize, size: usize, sub: usize },
    /// r7 += LD_ABS at `off`.
    Abs { size: usize, off: i32 },
    /// r7 += LD_IND at r8 + `off`, r8 = `base`.
    Ind { size: usize, base: i32, off: i32 },
    /// r7 += r0 and the word read by skb_load_bytes(ctx, off, stack, len).
    LoadBytes { off: u32, len: u32 },
    /// The same through skb_load_bytes_relative from header `start`.
    LoadRelative { off: u32, len: u32, start: u32 },
    /// cb[i] = r7.
    WriteCb { i: usize },
    /// r7 = rotate(r7).
    Mix,
}

fn size_name(n: usize) -> &'static str {
    match n {
        1 => "b",
        2 => "h",
        _ => "w",
    }
}

fn assemble(steps: &[Step]) -> String {
    let mut t = String::from("mov %r6, %r1\nmov %r7, 0\n");
    for s in steps {
        match *s {
            Step::Field { field, size, sub } => {
                let (off, _) = FIELDS[field];
                t += &format!("ldx{} %r0, [%r6+{}]\nxor %r7, %r0\n", size_name(size), off + sub);
            }
            Step::Abs { size, off } => t += &format!("ldabs{} {off}\nadd %r7, %r0\n", size_name(size)),
            Step::Ind { size, base, off } => {
                t += &format!("mov %r8, {base}\nldind{} %r8, {off}\nadd %r7, %r0\n", size_name(size))
            }
            Step::LoadBytes { off, len } => {
                t += &format!(
                    "stdw [%r10-8], 0\nmov %r1, %r6\nmov %r2, {off}\nmov %r3, %r10\nadd %r3, -8\nmov %r4, {len}\ncall 26\n\
                     add %r7, %r0\nldxdw %r0, [%r10-8]\nadd %r7, %r0\n"
                )
            }
            Step::LoadRelative { off, len, start } => {
                t += &format!(
                    "stdw [%r10-8], 0\nmov %r1, %r6\nmov %r2, {off}\nmov %r3, %r10\nadd %r3, -8\nmov %r4, {len}\nmov %r5, {start}\n\
                     call 68\nadd %r7, %r0\nldxdw %r0, [%r10-8]\nadd %r7, %r0\n"
                )
            }
            Step::WriteCb { i } => t += &format!("stxw [%r6+{}], %r7\n", offset_of!(SkBuff, cb) + 4 * i),
            Step::Mix => t += "mov %r0, %r7\nlsh %r7, 7\nrsh %r0, 57\nor %r7, %r0\n",
        }
    }
    t + "mov %r0, %r7\nexit"
}

fn step() -> impl Strategy<Value = Step> {
    let off = prop_oneof![
        4 => 0i32..80,
        1 => (-64i32..64).prop_map(|o| o + abi::SKF_NET_OFF),
        1 => (-80i32..64).prop_map(|o| o + abi::SKF_LL_OFF),
        1 => any::<i32>(),
    ];
    let size = proptest::sample::select(vec![1usize, 2, 4]);
    prop_oneof![
        3 => (0..FIELDS.len(), 0usize..3).prop_map(|(field, k)| {
            let size = [4, 2, 1][k];
            let sub = if full_width(field) { [0, 2, 3][k] } else { 0 };
            Step::Field { field, size, sub }
        }),
        3 => (size.clone(), off.clone()).prop_map(|(size, off)| Step::Abs { size, off }),
        2 => (size, -40i32..80, off).prop_map(|(size, base, off)| Step::Ind { size, base, off }),
        1 => (0u32..100, 1u32..9).prop_map(|(off, len)| Step::LoadBytes { off, len }),
        1 => (prop_oneof![0u32..100, Just(0x10000u32)], 1u32..9, 0u32..3)
            .prop_map(|(off, len, start)| Step::LoadRelative { off, len, start }),
        1 => (0usize..5).prop_map(|i| Step::WriteCb { i }),
        1 => Just(Step::Mix),
    ]
}

fn packet() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![8 => 14usize..160, 1 => 0usize..14, 1 => 3700usize..3720],
        proptest::sample::select(vec![[0u8; 6], [0xff; 6], [1, 0, 0x5e, 0, 0, 9], [2, 4, 6, 8, 10, 12]]),
        proptest::sample::select(vec![[8u8, 0], [0x86, 0xdd], [8, 6], [0x05, 0xdc], [0, 0x2e]]),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(n, dest, ty, sap, seed)| {
            let mut p: Vec<u8> = (0..n)
                .map(|i| (seed.rotate_left(i as u32 % 64) >> 3) as u8 ^ i as u8)
                .collect();
            for (i, b) in dest.iter().enumerate().take(n) {
                p[i] = *b;
            }
            if n >= 14 {
                p[12..14].copy_from_slice(&ty);
            }
            if n >= 16 && sap {
                p[14..16].copy_from_slice(&[0xff, 0xff]);
            }
            p
        })
}

/// The test run's context in: none, or mark, priority, cb, wire_len,
/// gso_segs and (rarely) a field Linux refuses.
fn context() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::of(
        (
            any::<u32>(),
            any::<u32>(),
            any::<[u32; 5]>(),
            0u32..200,
            0u32..4,
            proptest::option::weighted(0.1, 0usize..4),
        )
            .prop_map(|(mark, priority, cb, wire_len, gso_segs, bad)| {
                let mut c = <SkBuff as zerocopy::FromZeros>::new_zeroed();
                c.mark = mark;
                c.priority = priority;
                c.cb = cb;
                c.wire_len = wire_len;
                c.gso_segs = gso_segs;
                if let Some(b) = bad {
                    match b {
                        0 => c.len = 1,
                        1 => c.hash = 1,
                        2 => c.ifindex = 1,
                        _ => c.tc_index = 1,
                    }
                }
                zerocopy::IntoBytes::as_bytes(&c).to_vec()
            }),
    )
}

#[derive(Debug)]
struct Case {
    tc: bool,
    steps: Vec<Step>,
    packet: Vec<u8>,
    ctx: Option<Vec<u8>>,
    data_out: usize,
    ctx_out: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        proptest::collection::vec(step(), 1..10),
        packet(),
        context(),
        prop_oneof![3 => Just(usize::MAX), 1 => Just(0usize), 1 => 0usize..60],
        prop_oneof![2 => Just(0usize), 2 => Just(192usize), 1 => 1usize..191],
    )
        .prop_map(|(tc, steps, packet, ctx, data_out, ctx_out)| Case {
            tc,
            data_out: data_out.min(packet.len() + 8),
            steps,
            packet,
            ctx,
            ctx_out,
        })
}

type Outcome = Result<TestRun, (i32, TestRun)>;

fn run<B: Backend>(c: &Client<B>, fd: u32, k: &Case) -> Outcome {
    c.test_run_opts(fd, &k.packet, k.data_out, k.ctx.as_deref(), k.ctx_out, 1)
}

static COMPARED: AtomicUsize = AtomicUsize::new(0);
static LINUX_REJECTED: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn skb_test_runs_match_linux(k in case()) {
        let Some(linux) = linux_bpf("skb_test_runs_match_linux") else { return Ok(()) };
        let t = if k.tc { ProgType::SchedCls } else { ProgType::SocketFilter };
        let prog = code(&assemble(&k.steps));
        let lfd = match linux.prog_load(t, &prog, "GPL") {
            Ok(fd) => fd,
            Err(_) => {
                LINUX_REJECTED.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        };
        let ours = hosted();
        let ofd = ours.prog_load(t, &prog, "GPL");
        prop_assert!(ofd.is_ok(), "Linux loads it, we refuse: {:?}", ofd);
        let (l, o) = (run(&linux, lfd, &k), run(&ours, ofd.unwrap(), &k));
        let _ = linux.close(lfd);
        COMPARED.fetch_add(1, Ordering::Relaxed);
        prop_assert_eq!(&l, &o, "linux (left), ours (right)\n{}\n{:?}", assemble(&k.steps), k);
        close_all_and_expect_none_alive(&ours);
    }
}

/// Runs last by name order; says how much was compared.
#[test]
fn zz_skb_comparison_counts() {
    println!(
        "skb test runs compared with Linux so far in this process: {}, programs Linux refused: {}",
        COMPARED.load(Ordering::Relaxed),
        LINUX_REJECTED.load(Ordering::Relaxed)
    );
}

#[test]
fn socket_filters_may_not_call_packet_writing_helpers() {
    let c = hosted();
    for (id, name) in [
        (9, "skb_store_bytes"),
        (13, "clone_redirect"),
        (4, "probe_read"),
        (27, "get_stackid"),
    ] {
        let prog = code(&format!(
            "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\ncall {id}\nmov %r0, 0\nexit"
        ));
        let (errno, log) = c
            .prog_load_named(ProgType::SocketFilter, &prog, "GPL", "f")
            .unwrap_err();
        assert_eq!(errno, abi::Errno::EINVAL.raw());
        assert!(
            log.contains(&format!("program of this type cannot use helper bpf_{name}#{id}")),
            "{log}"
        );
    }
    // tc programs may.
    let prog = code(
        "stdw [%r10-8], 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 1\nmov %r5, 0\ncall 9\nmov %r0, 0\nexit",
    );
    assert!(c.prog_load(ProgType::SchedCls, &prog, "GPL").is_ok());
    close_all_and_expect_none_alive(&c);
}

#[test]
fn a_socket_has_a_cookie_and_an_owner() {
    let c = hosted();
    let prog = code(
        "mov %r6, %r1\ncall 46\nmov %r7, %r0\nmov %r1, %r6\ncall 47\nstxw [%r6+48], %r0\n\
         mov %r0, 0\njeq %r7, 0, out\nmov %r0, 1\nout:\nexit",
    );
    let fd = c.prog_load(ProgType::SocketFilter, &prog, "GPL").unwrap();
    let r = c.test_run_opts(fd, &[0u8; 60], 60, None, 192, 1).unwrap();
    assert_eq!(r.retval, 1, "the test run's socket has a cookie");
    assert_eq!(
        &r.ctx_out[48..52],
        &0u32.to_ne_bytes(),
        "owned by root, as Linux's test socket"
    );
    if let Some(linux) = linux_bpf("a_socket_has_a_cookie_and_an_owner") {
        let lfd = linux.prog_load(ProgType::SocketFilter, &prog, "GPL").unwrap();
        let l = linux.test_run_opts(lfd, &[0u8; 60], 60, None, 192, 1).unwrap();
        let _ = linux.close(lfd);
        assert_eq!((l.retval, &l.ctx_out[48..52]), (r.retval, &r.ctx_out[48..52]));
    }
    close_all_and_expect_none_alive(&c);
}

/// The description's `__sk_buff` access rules (`#[ctx]`, in
/// `abi::CTX_FIELDS`) decide every load and store of every size at every
/// offset as Linux's verifier decides it, for socket filters and tc.
#[test]
fn sk_buff_access_rules_match_linux() {
    let Some(linux) = linux_bpf("sk_buff_access_rules_match_linux") else {
        return;
    };
    let mut diffs = Vec::new();
    let mut n = 0;
    for t in [ProgType::SocketFilter, ProgType::SchedCls] {
        for size in [1usize, 2, 4, 8] {
            for off in (0..core::mem::size_of::<SkBuff>()).step_by(size) {
                for write in [false, true] {
                    let name = if size == 8 { "dw" } else { size_name(size) };
                    let text = if write {
                        format!("mov %r2, 0\nstx{name} [%r1+{off}], %r2\nmov %r0, 0\nexit")
                    } else {
                        format!("ldx{name} %r0, [%r1+{off}]\nmov %r0, 0\nexit")
                    };
                    let l = linux.prog_load(t, &code(&text), "GPL");
                    if let Ok(fd) = l {
                        let _ = linux.close(fd);
                    }
                    let ours = abi::ctx_access_ok("__sk_buff", t, off, size, write);
                    n += 1;
                    if l.is_ok() != ours {
                        diffs.push(format!(
                            "{t:?} {} {size} bytes at {off}: Linux {:?}, ours {ours}",
                            if write { "write" } else { "read" },
                            l.map(|_| ())
                        ));
                    }
                }
            }
        }
    }
    println!("__sk_buff accesses compared with Linux's verifier: {n}");
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// Loads every program of an object on a kernel the way a loader does:
/// maps created ([`Client::create_object_maps`]), references relocated,
/// prog arrays filled from `.values`. Returns the map fds and the program fds, in object order.
fn load_object<B: Backend>(c: &Client<B>, o: &kernel_bpf::elf::ElfObject) -> (Vec<u32>, Vec<u32>) {
    use kernel_bpf::elf::MapRef;
    let maps: Vec<u32> = c
        .create_object_maps(o, tests::possible_cpus())
        .into_iter()
        .zip(&o.maps)
        .map(|(r, m)| r.unwrap_or_else(|e| panic!("map {}: errno {e}", m.name)))
        .collect();
    let progs: Vec<u32> = (0..o.programs.len())
        .map(|i| {
            let insns = o
                .link(i)
                .unwrap()
                .resolve(|r| match r {
                    MapRef::Map(k) | MapRef::Value(k, _) => Ok::<u32, ()>(maps[*k]),
                    MapRef::Named(_) => Err(()),
                })
                .unwrap();
            let p = &o.programs[i];
            c.prog_load(p.kind.prog_type, &kernel_bpf::prog::insn::encode(&insns), &o.license)
                .unwrap_or_else(|e| panic!("{}: errno {e}", p.name))
        })
        .collect();
    for (m, fd) in o.maps.iter().zip(&maps) {
        for init in &m.init {
            let k = o.programs.iter().position(|p| p.name == init.symbol).unwrap();
            c.update(*fd, Some(&init.slot.to_ne_bytes()), &progs[k].to_ne_bytes(), 0)
                .unwrap();
        }
    }
    (maps, progs)
}

/// Every element of a map, keys in order (hash maps iterate differently).
fn contents<B: Backend>(
    c: &Client<B>,
    fd: u32,
    key: usize,
    value: usize,
) -> std::collections::BTreeMap<Vec<u8>, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut k: Option<Vec<u8>> = None;
    while let Ok(next) = c.next_key(fd, k.as_deref(), key) {
        if let Ok(v) = c.lookup(fd, Some(&next), value) {
            out.insert(next.clone(), v);
        }
        k = Some(next);
    }
    out
}

/// Frames a flow dissector meets: Ethernet, maybe VLAN-tagged or MPLS,
/// IPv4 (with options, fragments) or IPv6 (maybe tunnelled), TCP, UDP or
/// ICMP, and truncated or foreign frames now and then.
fn frames(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut r = seed | 1;
    let mut next = move || {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        r
    };
    (0..n)
        .map(|_| {
            let x = next();
            let mut f = Vec::new();
            let dests: [[u8; 6]; 3] = [[0; 6], [0xff; 6], [2, 0, 0, 0, 0, 1]];
            f.extend_from_slice(&dests[(x % 3) as usize]);
            f.extend_from_slice(&[2, 0, 0, 0, 0, 2]);
            match (x >> 4) % 8 {
                0 => f.extend_from_slice(&[0x81, 0x00, 0x00, (x >> 8) as u8 & 0x0f]),
                1 => f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x05]),
                _ => {}
            }
            let v6 = (x >> 8) % 4 == 0;
            let mpls = (x >> 10) % 8 == 0;
            if mpls {
                f.extend_from_slice(&[0x88, 0x47]);
                let labels = 1 + (x >> 12) % 2;
                for i in 0..labels {
                    let bos = if i + 1 == labels { 1 } else { 0 };
                    f.extend_from_slice(&[0, 0x10, (bos | ((x >> 14) as u8 & 0x0e)), 64]);
                }
            } else {
                f.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
            }
            let proto = [6u8, 17, 1, 4][((x >> 16) % 4) as usize];
            if v6 {
                f.extend_from_slice(&[0x60, 0, 0, 0, 0, 20, proto, 64]);
                for i in 0..32 {
                    f.push((x >> (i % 48)) as u8 ^ i as u8);
                }
            } else {
                let ihl = 5 + ((x >> 20) % 3) as u8;
                let frag: u16 = if (x >> 22) % 6 == 0 { 0x2000 } else { 0 };
                f.extend_from_slice(&[0x40 | ihl, 0, 0, 40, 0, 1]);
                f.extend_from_slice(&frag.to_be_bytes());
                f.extend_from_slice(&[
                    64,
                    proto,
                    0,
                    0,
                    10,
                    0,
                    0,
                    (x >> 24) as u8 % 4,
                    10,
                    0,
                    0,
                    (x >> 26) as u8 % 4,
                ]);
                for _ in 5..ihl {
                    f.extend_from_slice(&[1, 1, 1, 1]);
                }
                if proto == 4 {
                    f.extend_from_slice(&[0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2]);
                }
            }
            let ports = [(x >> 28) as u16 % 3 + 1000, [80u16, 443, 53][((x >> 30) % 3) as usize]];
            f.extend_from_slice(&ports[0].to_be_bytes());
            f.extend_from_slice(&ports[1].to_be_bytes());
            f.extend_from_slice(&[0; 16]);
            // Now and then, cut short.
            if (x >> 40) % 10 == 0 {
                let keep = 14 + ((x >> 44) as usize % f.len().saturating_sub(14).max(1));
                f.truncate(keep);
            }
            f
        })
        .collect()
}

/// Socket filters written the way Linux's samples/bpf sockex1..3 are
/// (`tests/bpf/sockex*.c`: legacy packet loads, a flow dissector, a
/// tail-call parser) give the same results and leave the same maps here as
/// on the real kernel, over a few hundred frames each.
#[test]
fn linux_style_sample_filters_match_linux() {
    let Some(linux) = linux_bpf("linux_style_sample_filters_match_linux") else {
        return;
    };
    let cpus = tests::possible_cpus() as usize;
    for name in ["sockex1", "sockex2", "sockex3"] {
        let bytes =
            std::fs::read(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("bpf/{name}.o"))).unwrap();
        let o = kernel_bpf::elf::parse(&bytes).unwrap();
        let ours = hosted();
        let (lm, lp) = load_object(&linux, &o);
        let (om, op) = load_object(&ours, &o);
        // The entry: the first program no prog array holds.
        let entry = (0..o.programs.len()).find(|&i| !o.is_tail_call_target(i)).unwrap();
        let mut ran = 0;
        // A test run pulls the first 14 bytes as the Ethernet header and the
        // program's LD_ABS offsets start after them; the samples are written
        // for packet sockets, where offset 0 is the frame's first byte. So
        // each frame goes in once as it is and once behind 14 more bytes.
        let all: Vec<Vec<u8>> = frames(name.len() as u64 * 7919, 300)
            .into_iter()
            .flat_map(|f| {
                let mut wrapped = vec![0u8; 12];
                wrapped.extend_from_slice(&[0x88, 0xb5]);
                wrapped.extend_from_slice(&f);
                [f, wrapped]
            })
            .collect();
        for f in all {
            let (l, r) = (
                linux.test_run_opts(lp[entry], &f, f.len(), None, 0, 1),
                ours.test_run_opts(op[entry], &f, f.len(), None, 0, 1),
            );
            assert_eq!(l, r, "{name}: frame {f:02x?}");
            ran += usize::from(l.is_ok());
        }
        let mut compared = 0;
        for (i, m) in o.maps.iter().enumerate() {
            let percpu = m.map_type == abi::MapType::PercpuArray.raw() || m.map_type == abi::MapType::PercpuHash.raw();
            if percpu || m.map_type == abi::MapType::ProgArray.raw() {
                // Per-CPU scratch depends on the CPU each run landed on.
                continue;
            }
            let (k, v) = (m.key_size as usize, m.value_size as usize);
            let (l, r) = (contents(&linux, lm[i], k, v), contents(&ours, om[i], k, v));
            assert_eq!(l, r, "{name}: map {}", m.name);
            compared += l.len();
        }
        println!("{name}: {ran} frames test-run alike, {compared} map elements alike ({cpus} CPUs)");
        assert!(ran > 500 && compared > 0);
        for fd in lm.into_iter().chain(lp) {
            let _ = linux.close(fd);
        }
        close_all_and_expect_none_alive(&ours);
    }
}
