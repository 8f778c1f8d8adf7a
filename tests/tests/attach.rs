//! Attach: BPF_PROG_ATTACH and DETACH by target string, and programs
//! running when the hosted simulated kernel's points fire, with the
//! contexts Linux gives (pt_regs, tracepoint records, raw arguments).

use abi::{Errno, ProgType, BPF_F_RCORE_PROBE_CTX};
use kernel_bpf::attach::Target;
use kernel_bpf::hosted::sim::{Kernel, TASKS};
use std::path::PathBuf;
use tests::{close_all_and_expect_none_alive, code, hosted, with_maps};

fn object(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("bpf")
            .join(format!("{name}.o")),
    )
    .unwrap()
}

fn u64_at(v: &[u8]) -> u64 {
    u64::from_ne_bytes(v[..8].try_into().unwrap())
}

/// Loads an object and attaches every program to the target its section
/// names.
fn load_and_attach(
    c: &user_bindings::Client<user_bindings::hosted::HostedBackend>,
    name: &str,
) -> user_bindings::LoadedObject {
    let o = c.prog_load_ex(&object(name), &[]).unwrap();
    let parsed = kernel_bpf::elf::parse(&object(name)).unwrap();
    for (p, e) in parsed.programs.iter().zip(&o.progs) {
        if let Some(t) = Target::of_section(&p.kind) {
            c.prog_attach(&t, e.fd, 0).unwrap_or_else(|e| panic!("{t}: errno {e}"));
        }
    }
    o
}

fn map_fd(o: &user_bindings::LoadedObject, name: &str) -> u32 {
    o.maps
        .iter()
        .find(|m| m.name.starts_with(name.as_bytes()) && m.name[name.len()] == 0)
        .unwrap()
        .fd
}

#[test]
fn a_linux_kprobe_object_counts_what_the_kernel_did() {
    let c = hosted();
    let o = load_and_attach(&c, "legacy_maps");
    let mut k = Kernel::new(c.backend().bpf.clone(), 7);
    k.run(300, &mut |_| {});
    let n = k.counts();
    assert!(n.reads > 300 && n.read_errors > 0, "{n:?}");
    let totals = map_fd(&o, "totals");
    let at = |key: u32| u64_at(&c.lookup(totals, Some(&key.to_ne_bytes()), 8).unwrap());
    assert_eq!(at(0), n.reads, "the kprobe ran once per vfs_read");
    assert_eq!(
        at(1),
        n.bytes_read,
        "the kretprobe summed PT_REGS_RC of the successful reads"
    );
    let cpus = tests::possible_cpus() as usize;
    let errors = c
        .lookup(map_fd(&o, "errors"), Some(&0u32.to_ne_bytes()), 8 * cpus)
        .unwrap();
    let errors: u64 = errors.chunks(8).map(u64_at).sum();
    assert_eq!(errors, n.read_errors, "negative returns counted as errors");
    // Reads per pid add up, and only the workload's pids appear.
    let per_pid = map_fd(&o, "read_count");
    let mut key = None;
    let mut sum = 0;
    while let Ok(next) = c.next_key(per_pid, key.as_deref(), 4) {
        let pid = u32::from_ne_bytes(next[..4].try_into().unwrap());
        assert!(TASKS.iter().any(|t| t.pid == pid), "pid {pid}");
        sum += u64_at(&c.lookup(per_pid, Some(&next), 8).unwrap());
        key = Some(next);
    }
    assert_eq!(sum, n.reads);
    tests::detach_all(&c);
    drop(k);
    close_all_and_expect_none_alive(&c);
}

/// Stores r0 = `value` into slot 0 of `array`: who ran last wins.
fn store(array: u32, value: u32) -> Vec<u8> {
    with_maps(
        code(&format!(
            "stw [%r10-4], 0\nlddw %r1, {array}\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, out\nstdw [%r0], {value}\nout:\nmov %r0, 0\nexit"
        )),
        &[array],
    )
}

fn array(c: &user_bindings::Client<user_bindings::hosted::HostedBackend>, max: u32) -> u32 {
    c.map_create(&abi::MapCreateAttr {
        map_type: abi::MapType::Array.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: max,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn programs_on_one_point_run_in_attach_order_until_detached() {
    let c = hosted();
    let slot = array(&c, 1);
    let first = c.prog_load(ProgType::Kprobe, &store(slot, 1), "GPL").unwrap();
    let second = c.prog_load(ProgType::Kprobe, &store(slot, 2), "GPL").unwrap();
    let mut k = Kernel::new(c.backend().bpf.clone(), 1);
    let value = || u64_at(&c.lookup(slot, Some(&0u32.to_ne_bytes()), 8).unwrap());
    c.prog_attach("kprobe:vfs_read", first, 0).unwrap();
    c.prog_attach("kprobe:vfs_read", second, 0).unwrap();
    k.read(3, 1);
    assert_eq!(value(), 2, "the second ran after the first");
    c.prog_detach("kprobe:vfs_read", second).unwrap();
    c.prog_attach("kprobe:vfs_read", second, 0).unwrap();
    c.prog_detach("kprobe:vfs_read", first).unwrap();
    c.prog_attach("kprobe:vfs_read", first, 0).unwrap();
    k.read(3, 1);
    assert_eq!(value(), 1, "re-attached, the first now runs last");
    // Closing the fds does not detach (link semantics).
    c.close(first).unwrap();
    c.close(second).unwrap();
    c.update(slot, Some(&0u32.to_ne_bytes()), &0u64.to_ne_bytes(), 0)
        .unwrap();
    k.read(3, 1);
    assert_eq!(value(), 1);
    assert_eq!(c.backend().bpf.live().progs, 2, "attached programs live on");
    // Detaching every program at the point frees them.
    c.prog_detach("kprobe:vfs_read", 0).unwrap();
    c.update(slot, Some(&0u32.to_ne_bytes()), &0u64.to_ne_bytes(), 0)
        .unwrap();
    k.read(3, 1);
    assert_eq!(value(), 0, "nothing runs once detached");
    assert_eq!(c.backend().bpf.live().progs, 0);
    drop(k);
    close_all_and_expect_none_alive(&c);
}

#[test]
fn attach_errors_are_linuxs_and_the_originals() {
    let c = hosted();
    let kp = c.prog_load(ProgType::Kprobe, &code("mov %r0, 0\nexit"), "GPL").unwrap();
    let tp = c
        .prog_load(ProgType::Tracepoint, &code("mov %r0, 0\nexit"), "GPL")
        .unwrap();
    let sock = c
        .prog_load(ProgType::SocketFilter, &code("mov %r0, 0\nexit"), "GPL")
        .unwrap();
    assert_eq!(
        c.prog_attach("kprobe:no_such_function", kp, 0),
        Err(Errno::ENOENT.raw())
    );
    assert_eq!(
        c.prog_attach("tracepoint:sched:no_such_event", tp, 0),
        Err(Errno::ENOENT.raw())
    );
    assert_eq!(
        c.prog_attach("kprobe:vfs_read", tp, 0),
        Err(Errno::EINVAL.raw()),
        "type mismatch"
    );
    assert_eq!(
        c.prog_attach("tracepoint:sched:sched_switch", kp, 0),
        Err(Errno::EINVAL.raw())
    );
    assert_eq!(c.prog_attach("kprobe:vfs_read", sock, 0), Err(Errno::EINVAL.raw()));
    assert_eq!(c.prog_attach("uprobe:/bin/sh:main", kp, 0), Err(Errno::EINVAL.raw()));
    assert_eq!(
        c.prog_attach("kprobe:vfs_read", kp, 4),
        Err(Errno::EINVAL.raw()),
        "unknown flag"
    );
    assert_eq!(
        c.prog_attach("tracepoint:sched:sched_switch", tp, BPF_F_RCORE_PROBE_CTX),
        Err(Errno::EINVAL.raw()),
        "the rCore context is for function probes"
    );
    assert_eq!(
        c.prog_attach("kprobe:vfs_read", 0x7fff_0000, 0),
        Err(Errno::EBADF.raw())
    );
    c.prog_attach("kprobe:vfs_read", kp, 0).unwrap();
    assert_eq!(
        c.prog_attach("kprobe:vfs_read", kp, 0),
        Err(Errno::EAGAIN.raw()),
        "twice on one point"
    );
    c.prog_attach("kretprobe@exit:vfs_read", kp, 0).unwrap();
    assert_eq!(c.prog_detach("kprobe:vfs_write", kp), Err(Errno::ENOENT.raw()));
    assert_eq!(c.prog_detach("kprobe:vfs_read", tp), Err(Errno::ENOENT.raw()));
    c.prog_detach("kprobe:vfs_read", kp).unwrap();
    assert_eq!(c.prog_detach("kprobe:vfs_read", kp), Err(Errno::ENOENT.raw()));
    // A bad target pointer is EFAULT.
    let mut a = abi::AttachTarget {
        target: 8,
        prog_fd: kp,
        flags: 0,
    };
    let buf = c.backend().bpf.platform().user_mem(64);
    buf.write(0, zerocopy::IntoBytes::as_bytes(&a));
    assert_eq!(
        c.raw(abi::Cmd::ProgAttach.raw(), buf.addr(), 16),
        Err(Errno::EFAULT.raw())
    );
    a.target = 0;
    buf.write(0, zerocopy::IntoBytes::as_bytes(&a));
    assert_eq!(
        c.raw(abi::Cmd::ProgAttach.raw(), buf.addr(), 16),
        Err(Errno::EFAULT.raw())
    );
    c.prog_detach("kretprobe@exit:vfs_read", 0).unwrap();
    close_all_and_expect_none_alive(&c);
}

#[test]
fn contexts_are_pt_regs_records_raw_arguments_and_the_original_probe_ctx() {
    let c = hosted();
    let out = array(&c, 8);
    // Stores the 8-byte word at ctx + `off` into slot `slot`.
    let save = |slot: u32, off: usize| {
        with_maps(
            code(&format!(
                "ldxdw %r6, [%r1+{off}]\nstw [%r10-4], {slot}\nlddw %r1, {out}\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, x\nstxdw [%r0], %r6\nx:\nmov %r0, 0\nexit"
            )),
            &[out],
        )
    };
    use core::mem::offset_of;
    #[cfg(target_arch = "riscv64")]
    let (count_at, rc_at) = (offset_of!(abi::PtRegsRiscv64, a2), offset_of!(abi::PtRegsRiscv64, a0));
    #[cfg(not(target_arch = "riscv64"))]
    let (count_at, rc_at) = (offset_of!(abi::PtRegsX8664, dx), offset_of!(abi::PtRegsX8664, ax));
    let load = |t: ProgType, text: Vec<u8>| c.prog_load(t, &text, "GPL").unwrap();
    c.prog_attach("kprobe:vfs_read", load(ProgType::Kprobe, save(0, count_at)), 0)
        .unwrap();
    c.prog_attach("kretprobe@exit:vfs_read", load(ProgType::Kprobe, save(1, rc_at)), 0)
        .unwrap();
    c.prog_attach(
        "tracepoint:sched:sched_switch",
        load(
            ProgType::Tracepoint,
            save(2, offset_of!(abi::TraceEventRawSchedSwitch, next_pid)),
        ),
        0,
    )
    .unwrap();
    c.prog_attach("raw_tracepoint:sys_enter", load(ProgType::RawTracepoint, save(3, 8)), 0)
        .unwrap();
    c.prog_attach(
        "kretprobe@entry:vfs_read",
        load(ProgType::Kprobe, save(4, offset_of!(abi::ProbeCtx, probe_type))),
        BPF_F_RCORE_PROBE_CTX,
    )
    .unwrap();
    c.prog_attach(
        "kretprobe@exit:vfs_write",
        load(ProgType::Kprobe, save(5, offset_of!(abi::ProbeCtx, paddr))),
        BPF_F_RCORE_PROBE_CTX,
    )
    .unwrap();
    // bpf_get_func_ip in a kprobe.
    let ip = with_maps(
        code(&format!(
            "call 173\nmov %r6, %r0\nstw [%r10-4], 6\nlddw %r1, {out}\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, x\nstxdw [%r0], %r6\nx:\nmov %r0, 0\nexit"
        )),
        &[out],
    );
    c.prog_attach("kprobe:vfs_write", load(ProgType::Kprobe, ip), 0)
        .unwrap();
    let mut k = Kernel::new(c.backend().bpf.clone(), 3);
    let fd = k.openat(0);
    k.read(fd, 100);
    k.write(fd, 10);
    k.switch_to(3);
    let slot = |i: u32| u64_at(&c.lookup(out, Some(&i.to_ne_bytes()), 8).unwrap());
    assert_eq!(slot(0), 100, "PT_REGS_PARM3 of vfs_read is count");
    assert_eq!(slot(1), 100, "PT_REGS_RC at the kretprobe is what it returned");
    assert_eq!(slot(2) as u32, TASKS[3].pid, "the sched_switch record's next_pid");
    assert_eq!(
        slot(3),
        1,
        "raw sys_enter's second argument is the syscall number (write: 1)"
    );
    assert_eq!(slot(4), u64::from(abi::ProbeType::KretprobeEntry.raw()));
    let write_addr = kernel_bpf::hosted::sim::symbol_addr("vfs_write").unwrap();
    assert_eq!(slot(5), write_addr, "bpf_probe_ctx.paddr");
    assert_eq!(slot(6), write_addr, "bpf_get_func_ip");
    let points = c.backend().bpf.points().list();
    assert_eq!(points.len(), 7);
    assert!(points
        .iter()
        .all(|p| p.progs.iter().all(|&(_, runs, errors)| runs > 0 && errors == 0)));
    tests::detach_all(&c);
    assert!(c.backend().bpf.points().list().is_empty());
    drop(k);
    close_all_and_expect_none_alive(&c);
}

#[test]
fn a_program_counts_through_an_inner_map_of_a_map_of_maps() {
    let c = hosted();
    let o = load_and_attach(&c, "btf_maps");
    let mut k = Kernel::new(c.backend().bpf.clone(), 5);
    k.run(200, &mut |_| {});
    let n = k.counts();
    assert!(n.switches > 10);
    let inner = map_fd(&o, "inner_a");
    let counted = u64_at(&c.lookup(inner, Some(&0u32.to_ne_bytes()), 8).unwrap());
    assert_eq!(counted, n.switches, "outer[0] is inner_a, filled from .values");
    // The outer map holds inner_a's id.
    let outer = map_fd(&o, "outer");
    let id = c.lookup(outer, Some(&0u32.to_ne_bytes()), 4).unwrap();
    assert_eq!(
        u32::from_ne_bytes(id[..4].try_into().unwrap()),
        c.map_info(inner).unwrap().id
    );
    // Per next pid, in the LRU hash.
    let switches = map_fd(&o, "switches");
    let mut key = None;
    let mut sum = 0;
    while let Ok(next) = c.next_key(switches, key.as_deref(), 4) {
        sum += u64_at(&c.lookup(switches, Some(&next), 8).unwrap());
        key = Some(next);
    }
    assert_eq!(sum, n.switches);
    tests::detach_all(&c);
    drop(k);
    close_all_and_expect_none_alive(&c);
}
