//! Programs through the hosted bpf(2): BPF_PROG_LOAD with map references,
//! helpers, BPF_PROG_TEST_RUN, and the load-time checks.

use abi::{Errno, MapCreateAttr, MapType, ProgType};
use tests::hosted;

use tests::{close_all_and_expect_none_alive, code, with_maps};

#[test]
fn a_program_counts_into_a_hash_map() {
    let c = hosted();
    let attr = MapCreateAttr {
        map_type: MapType::Hash.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: 16,
        ..Default::default()
    };
    let map = c.map_create(&attr).unwrap();
    // key = the first byte after the Ethernet header (a legacy packet
    // load); counts[key] += 1 (inserting 1 the first time); r0 = new count.
    let text = format!(
        "mov %r6, %r1\nldabsb 0\nmov %r6, %r0\nstxw [%r10-4], %r6\nlddw %r1, {map}\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, insert\n\
         ldxdw %r1, [%r0]\nadd %r1, 1\nstxdw [%r0], %r1\nmov %r0, %r1\nexit\n\
         insert:\nstdw [%r10-16], 1\nlddw %r1, {map}\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\nmov %r0, 1\nexit"
    );
    let bytes = with_maps(code(&text), &[map]);
    let prog = c.prog_load(ProgType::SocketFilter, &bytes, "GPL").unwrap();
    let packet = |key: u8| {
        let mut p = vec![0u8; 64];
        p[14] = key;
        p
    };
    assert_eq!(c.test_run(prog, &packet(7), 1).unwrap().0, 1);
    assert_eq!(c.test_run(prog, &packet(7), 1).unwrap().0, 2);
    assert_eq!(c.test_run(prog, &packet(9), 3).unwrap().0, 3, "repeat runs three times");
    assert_eq!(c.lookup(map, Some(&7u32.to_ne_bytes()), 8).unwrap(), 2u64.to_ne_bytes());
    // The map lives while the program holds it.
    c.close(map).unwrap();
    assert_eq!(c.test_run(prog, &packet(7), 1).unwrap().0, 3);
    close_all_and_expect_none_alive(&c);
}

#[test]
fn test_run_copies_data_back_and_reports_faults() {
    let c = hosted();
    let prog = c
        .prog_load(
            // Not a socket filter: other types test-run on the raw data
            // as their (read-only) context.
            ProgType::Kprobe,
            &code("ldxb %r0, [%r1+1]\nexit"),
            "MIT",
        )
        .unwrap();
    let (r0, out) = c.test_run(prog, &[1, 2, 3], 1).unwrap();
    assert_eq!((r0, out), (2, vec![1, 2, 3]));
    let bad = c
        .prog_load(ProgType::Kprobe, &code("ldxdw %r0, [%r1+64]\nexit"), "MIT")
        .unwrap();
    assert_eq!(c.test_run(bad, &[0; 8], 1), Err(Errno::EFAULT.raw()));
    close_all_and_expect_none_alive(&c);
}

#[test]
fn load_checks() {
    let c = hosted();
    let gpl_only = code("mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 0\ncall 4\nmov %r0, 0\nexit");
    assert_eq!(
        c.prog_load(ProgType::Kprobe, &gpl_only, "MIT"),
        Err(Errno::EINVAL.raw()),
        "probe_read is GPL-only"
    );
    assert!(c.prog_load(ProgType::Kprobe, &gpl_only, "Dual BSD/GPL").is_ok());
    assert_eq!(
        c.prog_load(ProgType::SocketFilter, &code("call 9999\nexit"), "GPL"),
        Err(Errno::EINVAL.raw())
    );
    assert_eq!(
        c.prog_load(ProgType::SocketFilter, &code("mov %r0, 0"), "GPL"),
        Err(Errno::EINVAL.raw()),
        "must end in exit"
    );
    assert_eq!(c.prog_load(ProgType::SocketFilter, &[], "GPL"), Err(Errno::E2BIG.raw()));
    assert_eq!(
        c.prog_load(ProgType::Unspec, &code("exit"), "GPL"),
        Err(Errno::EINVAL.raw())
    );
    let mut map_ref = code("lddw %r1, 0x7fffffff\nmov %r0, 0\nexit");
    map_ref[1] |= abi::BPF_PSEUDO_MAP_FD << 4;
    assert_eq!(
        c.prog_load(ProgType::SocketFilter, &map_ref, "GPL"),
        Err(Errno::EBADF.raw())
    );
    close_all_and_expect_none_alive(&c);
}

#[test]
fn tail_calls_jump_and_stop_after_the_limit() {
    let c = hosted();
    let pa = c
        .map_create(&MapCreateAttr {
            map_type: MapType::ProgArray.raw(),
            key_size: 4,
            value_size: 4,
            max_entries: 2,
            ..Default::default()
        })
        .unwrap();
    let counter = c
        .map_create(&MapCreateAttr {
            map_type: MapType::Array.raw(),
            key_size: 4,
            value_size: 8,
            max_entries: 1,
            ..Default::default()
        })
        .unwrap();
    let target = c
        .prog_load(ProgType::SocketFilter, &code("mov %r0, 42\nexit"), "GPL")
        .unwrap();
    // Slot 0: the target; slot 1 stays empty.
    let caller_text = |slot: u32| format!("lddw %r2, {pa}\nmov %r3, {slot}\ncall 12\nmov %r0, 7\nexit");
    let caller = c
        .prog_load(ProgType::SocketFilter, &with_maps(code(&caller_text(0)), &[pa]), "GPL")
        .unwrap();
    let missing = c
        .prog_load(ProgType::SocketFilter, &with_maps(code(&caller_text(1)), &[pa]), "GPL")
        .unwrap();
    assert_eq!(
        c.test_run(caller, &[0; 64], 1).unwrap().0,
        7,
        "an empty slot falls through"
    );
    c.update(pa, Some(&0u32.to_ne_bytes()), &target.to_ne_bytes(), 0)
        .unwrap();
    assert_eq!(c.lookup(pa, Some(&0u32.to_ne_bytes()), 4).unwrap().len(), 4);
    assert_eq!(
        c.test_run(caller, &[0; 64], 1).unwrap().0,
        42,
        "the tail call replaced the caller"
    );
    assert_eq!(c.test_run(missing, &[0; 64], 1).unwrap().0, 7);
    // A program that counts its runs and tail calls itself.
    let looper = format!(
        "mov %r6, %r1\nstw [%r10-4], 0\nlddw %r1, {counter}\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, out\n\
         ldxdw %r1, [%r0]\nadd %r1, 1\nstxdw [%r0], %r1\nmov %r1, %r6\nlddw %r2, {pa}\nmov %r3, 1\ncall 12\n\
         out:\nstw [%r10-4], 0\nlddw %r1, {counter}\nmov %r2, %r10\nadd %r2, -4\ncall 1\nldxdw %r0, [%r0]\nexit"
    );
    let looper = c
        .prog_load(ProgType::SocketFilter, &with_maps(code(&looper), &[pa, counter]), "GPL")
        .unwrap();
    c.update(pa, Some(&1u32.to_ne_bytes()), &looper.to_ne_bytes(), 0)
        .unwrap();
    let runs = c.test_run(looper, &[0; 64], 1).unwrap().0;
    assert_eq!(
        runs,
        1 + abi::MAX_TAIL_CALL_CNT,
        "33 tail calls, then the call falls through"
    );
    // Only programs may be stored.
    assert_eq!(
        c.update(pa, Some(&0u32.to_ne_bytes()), &counter.to_ne_bytes(), 0),
        Err(Errno::EINVAL.raw())
    );
    close_all_and_expect_none_alive(&c);
}
