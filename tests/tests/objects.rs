//! The object table through the hosted kernel: fds, closing, lifetimes,
//! and the ring buffer consumer.

use abi::{Errno, MapCreateAttr, MapType, BPF_ANY};
use kernel_bpf::hosted::Hosted;
use kernel_bpf::map::RingBuf;
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
}
