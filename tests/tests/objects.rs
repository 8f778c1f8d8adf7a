//! The object table through the hosted kernel: fds, closing, lifetimes,
//! and the ring buffer consumer.

use abi::{Errno, MapCreateAttr, MapType, BPF_ANY};
use kernel_bpf::hosted::Hosted;
use kernel_bpf::map::RingBuf;
use kernel_bpf::object::Live;
use kernel_bpf::Bpf;
use tests::hosted;

fn array() -> MapCreateAttr {
    MapCreateAttr {
        map_type: MapType::Array.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: 2,
        ..Default::default()
    }
}

#[test]
fn fds_start_at_the_platform_base_and_are_never_reused() {
    let c = hosted();
    let a = c.map_create(&array()).unwrap();
    assert_eq!(a, 0x1000_0000);
    c.close(a).unwrap();
    let b = c.map_create(&array()).unwrap();
    assert_ne!(a, b, "a closed fd is not handed out again");
    assert_eq!(c.close(a), Err(Errno::EBADF.raw()));
    assert_eq!(c.lookup(a, Some(&[0; 4]), 8), Err(Errno::EBADF.raw()));
    assert_eq!(c.lookup(b, Some(&[0; 4]), 8), Ok(vec![0; 8]));
    tests::close_all_and_expect_none_alive(&c);
}

#[test]
fn a_map_outlives_its_fd_while_referenced() {
    let bpf = Bpf::new(Hosted::new(1));
    let mem = bpf.platform().user_mem(128);
    mem.write(0, zerocopy::IntoBytes::as_bytes(&array()));
    let fd = bpf.sys_bpf(abi::Cmd::MapCreate.raw(), mem.addr(), 72).unwrap() as u32;
    let held = bpf.map(fd).unwrap();
    held.update(&1u32.to_ne_bytes(), &7u64.to_ne_bytes(), BPF_ANY, None)
        .unwrap();
    bpf.close(fd).unwrap();
    assert!(bpf.map(fd).is_err());
    let mut v = [0u8; 8];
    held.lookup(&1u32.to_ne_bytes(), &mut v).unwrap();
    assert_eq!(u64::from_ne_bytes(v), 7, "the program's reference keeps the map alive");
    assert!(bpf.objects().is_empty());
    assert_eq!(bpf.live(), Live { maps: 1, progs: 0 }, "held, not leaked");
    drop(held);
    assert_eq!(bpf.live(), Live::default());
}

#[test]
fn ring_buffer_records_reach_the_consumer() {
    let bpf = Bpf::new(Hosted::new(1));
    let attr = MapCreateAttr {
        map_type: MapType::Ringbuf.raw(),
        max_entries: 4096,
        ..Default::default()
    };
    let mem = bpf.platform().user_mem(128);
    mem.write(0, zerocopy::IntoBytes::as_bytes(&attr));
    let fd = bpf.sys_bpf(abi::Cmd::MapCreate.raw(), mem.addr(), 72).unwrap() as u32;
    let m = bpf.map(fd).unwrap();
    let rb = m.as_any().downcast_ref::<RingBuf>().unwrap();
    rb.output(b"one").unwrap();
    rb.output(b"two").unwrap();
    let mut got = Vec::new();
    assert_eq!(bpf.consume_ringbuf(fd, &mut |r| got.push(r.to_vec())), Ok(2));
    assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    let arr = bpf
        .sys_bpf(
            abi::Cmd::MapCreate.raw(),
            {
                mem.write(0, zerocopy::IntoBytes::as_bytes(&array()));
                mem.addr()
            },
            72,
        )
        .unwrap() as u32;
    assert!(bpf.consume_ringbuf(arr, &mut |_| {}).is_err(), "not a ring buffer");
    drop(m);
    tests::expect_none_alive_after_closing(&bpf);
}

fn prog_array() -> MapCreateAttr {
    MapCreateAttr {
        map_type: MapType::ProgArray.raw(),
        key_size: 4,
        value_size: 4,
        max_entries: 2,
        ..Default::default()
    }
}

/// A program that tail-calls slot 0 of `pa` and returns 9 if that fails.
fn tail_caller(c: &user_bindings::Client<user_bindings::hosted::HostedBackend>, pa: u32) -> u32 {
    let text = format!("lddw %r2, {pa}\nmov %r3, 0\ncall 12\nmov %r0, 9\nexit");
    c.prog_load(
        abi::ProgType::SocketFilter,
        &tests::with_maps(tests::code(&text), &[pa]),
        "GPL",
    )
    .unwrap()
}

#[test]
fn a_program_in_its_own_prog_array_is_freed_with_the_last_fd() {
    let c = hosted();
    let pa = c.map_create(&prog_array()).unwrap();
    // Tail-calls slot 0 of the array it is stored in: a cycle.
    let prog = tail_caller(&c, pa);
    c.update(pa, Some(&0u32.to_ne_bytes()), &prog.to_ne_bytes(), BPF_ANY)
        .unwrap();
    let bpf = &c.backend().bpf;
    assert_eq!(bpf.live(), Live { maps: 1, progs: 1 });
    c.close(prog).unwrap();
    assert_eq!(
        bpf.live(),
        Live { maps: 1, progs: 1 },
        "the array's fd keeps the program it holds"
    );
    c.close(pa).unwrap();
    assert_eq!(bpf.live(), Live::default(), "the last user reference broke the cycle");
}

#[test]
fn closing_a_prog_array_empties_it_for_the_programs_still_using_it() {
    let c = hosted();
    let pa = c.map_create(&prog_array()).unwrap();
    let target = c
        .prog_load(abi::ProgType::SocketFilter, &tests::code("mov %r0, 42\nexit"), "GPL")
        .unwrap();
    let caller = tail_caller(&c, pa);
    c.update(pa, Some(&0u32.to_ne_bytes()), &target.to_ne_bytes(), BPF_ANY)
        .unwrap();
    assert_eq!(c.test_run(caller, &[0; 64], 1).unwrap().0, 42);
    c.close(pa).unwrap();
    // As in Linux: the map lives on in the caller, but empty.
    assert_eq!(c.test_run(caller, &[0; 64], 1).unwrap().0, 9);
    c.close(target).unwrap();
    assert_eq!(bpf_live(&c), Live { maps: 1, progs: 1 }, "the caller holds the array");
    tests::close_all_and_expect_none_alive(&c);
}

#[test]
fn dropping_the_kernel_breaks_cycles_of_fds_never_closed() {
    let bpf = std::sync::Arc::new(Bpf::new(Hosted::new(1)));
    let c = user_bindings::Client::new(user_bindings::hosted::HostedBackend { bpf: bpf.clone() });
    let pa = c.map_create(&prog_array()).unwrap();
    let prog = tail_caller(&c, pa);
    c.update(pa, Some(&0u32.to_ne_bytes()), &prog.to_ne_bytes(), BPF_ANY)
        .unwrap();
    let m = std::sync::Arc::downgrade(&bpf.map(pa).unwrap());
    let p = std::sync::Arc::downgrade(&bpf.objects().prog(prog).unwrap());
    drop(c);
    drop(bpf);
    assert_eq!((m.strong_count(), p.strong_count()), (0, 0));
}

fn bpf_live(c: &user_bindings::Client<user_bindings::hosted::HostedBackend>) -> Live {
    c.backend().bpf.live()
}
