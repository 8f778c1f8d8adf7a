//! Map types through the `Map` trait (the syscall layer has its own tests
//! in the `tests` crate).

use super::*;
use abi::{BPF_ANY, BPF_EXIST, BPF_NOEXIST};
use alloc::vec;
use alloc::vec::Vec;

fn attr(t: MapType, key: u32, value: u32, max: u32, flags: u32) -> MapCreateAttr {
    MapCreateAttr {
        map_type: t.raw(),
        key_size: key,
        value_size: value,
        max_entries: max,
        map_flags: flags,
        ..Default::default()
    }
}

fn make(t: MapType, key: u32, value: u32, max: u32, flags: u32) -> Arc<dyn Map> {
    create(&attr(t, key, value, max, flags), 1, 2, 7).unwrap()
}

fn k(i: u32) -> [u8; 4] {
    i.to_ne_bytes()
}

fn err(t: MapType, key: u32, value: u32, max: u32, flags: u32) -> Error {
    create(&attr(t, key, value, max, flags), 1, 2, 7)
        .err()
        .expect("creation should fail")
}

#[test]
fn creation_checks_follow_linux() {
    assert_eq!(err(MapType::Array, 8, 4, 1, 0), Error::BadMapAttr);
    assert_eq!(err(MapType::Hash, 0, 4, 1, 0), Error::BadMapAttr);
    assert_eq!(err(MapType::Hash, 4, 4, 0, 0), Error::BadMapAttr);
    assert!(
        create(&attr(MapType::Hash, 513, 4, 1, 0), 1, 2, 7).is_ok(),
        "Linux 6.1 takes keys over 512 bytes"
    );
    assert_eq!(
        err(MapType::LruHash, 4, 4, 1, abi::BPF_F_NO_PREALLOC),
        Error::NotSupported
    );
    assert_eq!(
        err(MapType::Hash, 4, 4, 1, abi::BPF_F_NO_COMMON_LRU),
        Error::BadFlags { flags: 2 }
    );
    assert_eq!(err(MapType::Queue, 4, 4, 1, 0), Error::BadMapAttr);
    assert_eq!(err(MapType::Ringbuf, 0, 0, 4095, 0), Error::BadMapAttr);
    assert_eq!(err(MapType::ProgArray, 4, 8, 1, 0), Error::BadMapAttr);
    assert_eq!(
        err(MapType::LpmTrie, 8, 4, 1, 0),
        Error::UnsupportedMapType { map_type: 11 }
    );
    assert_eq!(err(MapType::Hash, 4, 4, u32::MAX, 0), Error::SizeTooLarge);
    assert_eq!(err(MapType::Array, 4, 1 << 20, 1 << 12, 0), Error::NoMemory);
    let mut bad_name = attr(MapType::Array, 4, 4, 1, 0);
    bad_name.map_name[0] = b'-';
    assert_eq!(create(&bad_name, 1, 1, 0).err(), Some(Error::InvalidArgument));
    let mut long_name = attr(MapType::Array, 4, 4, 1, 0);
    long_name.map_name = [b'a'; 16];
    assert_eq!(create(&long_name, 1, 1, 0).err(), Some(Error::InvalidArgument));
}

#[test]
fn array_semantics() {
    let m = make(MapType::Array, 4, 6, 3, 0);
    let mut v = [0u8; 6];
    m.lookup(&k(2), &mut v).unwrap();
    assert_eq!(v, [0; 6]);
    m.update(&k(2), b"abcdef", BPF_ANY, None).unwrap();
    m.lookup(&k(2), &mut v).unwrap();
    assert_eq!(&v, b"abcdef");
    assert_eq!(m.update(&k(3), b"abcdef", BPF_ANY, None), Err(Error::MapFull));
    assert_eq!(m.update(&k(1), b"abcdef", BPF_NOEXIST, None), Err(Error::Exists));
    assert_eq!(m.update(&k(1), b"abcdef", 7, None), Err(Error::BadFlags { flags: 7 }));
    assert_eq!(m.delete(&k(1)), Err(Error::InvalidArgument));
    assert_eq!(m.lookup(&k(3), &mut v), Err(Error::NotFound));
    let mut next = [0u8; 4];
    m.next_key(None, &mut next).unwrap();
    assert_eq!(next, k(0));
    m.next_key(Some(&k(1)), &mut next).unwrap();
    assert_eq!(next, k(2));
    assert_eq!(m.next_key(Some(&k(2)), &mut next), Err(Error::NotFound));
    m.next_key(Some(&k(99)), &mut next).unwrap();
    assert_eq!(next, k(0));
    let p = m.lookup_ptr(&k(2), 0).unwrap();
    assert_eq!(p.as_ptr() as usize % 8, 0, "values are 8-byte aligned");
}

#[test]
fn percpu_values_are_per_cpu() {
    let m = make(MapType::PercpuArray, 4, 4, 2, 0);
    assert_eq!(m.def().syscall_value_size(), 16);
    m.update(&k(1), &[1, 0, 0, 0], BPF_ANY, Some(1)).unwrap();
    let mut all = [0u8; 16];
    m.lookup(&k(1), &mut all).unwrap();
    assert_eq!(all, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    let h = make(MapType::PercpuHash, 4, 4, 2, 0);
    h.update(&k(5), &[9, 9, 9, 9], BPF_ANY, Some(0)).unwrap();
    h.lookup(&k(5), &mut all).unwrap();
    assert_eq!(all, [9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.update(&k(5), &[1; 16], BPF_EXIST, None).unwrap();
    h.lookup(&k(5), &mut all).unwrap();
    assert_eq!(all, [1; 16]);
}

#[test]
fn hash_semantics() {
    let m = make(MapType::Hash, 4, 8, 2, 0);
    let mut v = [0u8; 8];
    assert_eq!(m.lookup(&k(1), &mut v), Err(Error::NotFound));
    assert_eq!(m.update(&k(1), &[1; 8], BPF_EXIST, None), Err(Error::NotFound));
    m.update(&k(1), &[1; 8], BPF_NOEXIST, None).unwrap();
    assert_eq!(m.update(&k(1), &[2; 8], BPF_NOEXIST, None), Err(Error::Exists));
    m.update(&k(1), &[2; 8], BPF_EXIST, None).unwrap();
    m.update(&k(2), &[3; 8], BPF_ANY, None).unwrap();
    assert_eq!(m.update(&k(3), &[3; 8], BPF_ANY, None), Err(Error::MapFull));
    m.update(&k(2), &[4; 8], BPF_ANY, None).unwrap();
    m.lookup(&k(1), &mut v).unwrap();
    assert_eq!(v, [2; 8]);
    let mut keys = Vec::new();
    let mut cur: Option<[u8; 4]> = None;
    let mut next = [0u8; 4];
    while m.next_key(cur.as_ref().map(|c| &c[..]), &mut next).is_ok() {
        keys.push(u32::from_ne_bytes(next));
        cur = Some(next);
    }
    keys.sort();
    assert_eq!(keys, vec![1, 2]);
    m.next_key(Some(&k(77)), &mut next).unwrap();
    assert!(next == k(1) || next == k(2), "a missing key restarts");
    m.lookup_and_delete(&k(1), &mut v).unwrap();
    assert_eq!(v, [2; 8]);
    assert_eq!(m.delete(&k(1)), Err(Error::NotFound));
    m.update(&k(3), &[5; 8], BPF_ANY, None).unwrap();
    m.delete(&k(2)).unwrap();
    m.delete(&k(3)).unwrap();
    assert_eq!(m.next_key(None, &mut next), Err(Error::NotFound));
}

#[test]
fn hash_pointers_stay_valid_and_slots_are_reused() {
    for flags in [0, abi::BPF_F_NO_PREALLOC] {
        let m = make(MapType::Hash, 8, 16, 1, flags);
        m.update(&[1; 8], &[7; 16], BPF_ANY, None).unwrap();
        let p = m.lookup_ptr(&[1; 8], 0).unwrap();
        m.delete(&[1; 8]).unwrap();
        assert_eq!(m.lookup_ptr(&[1; 8], 0), None);
        // A one-entry map takes key after key: each delete frees a slot
        // for the next key.
        for i in 2..1000u64 {
            let (k, v) = (i.to_ne_bytes(), [i as u8; 16]);
            m.update(&k, &v, BPF_NOEXIST, None).unwrap();
            m.update(&k, &v, BPF_EXIST, None).unwrap();
            assert_eq!(m.update(&[1; 8], &v, BPF_ANY, None), Err(Error::MapFull));
            m.delete(&k).unwrap();
        }
        // The deleted element's value is still the map's memory.
        assert!(m.holds_value(p.as_ptr() as u64, 16));
    }
}

#[test]
fn no_prealloc_allocates_on_demand() {
    let m = make(MapType::Hash, 4, 8, 100_000, abi::BPF_F_NO_PREALLOC);
    let before = m.memory_bytes();
    for i in 0..2000 {
        m.update(&k(i), &[1; 8], BPF_ANY, None).unwrap();
    }
    assert!(m.memory_bytes() > before);
    let pre = make(MapType::Hash, 4, 8, 100_000, 0);
    assert!(pre.memory_bytes() > m.memory_bytes());
}

#[test]
fn lru_evicts_the_least_recently_used() {
    let m = make(MapType::LruHash, 4, 8, 3, 0);
    for i in 1..=3 {
        m.update(&k(i), &[i as u8; 8], BPF_ANY, None).unwrap();
    }
    let mut v = [0u8; 8];
    m.lookup(&k(1), &mut v).unwrap();
    m.update(&k(4), &[4; 8], BPF_ANY, None).unwrap();
    assert_eq!(
        m.lookup(&k(2), &mut v),
        Err(Error::NotFound),
        "2 was least recently used"
    );
    for i in [1, 3, 4] {
        m.lookup(&k(i), &mut v).unwrap();
    }
}

#[test]
fn queue_and_stack() {
    let q = make(MapType::Queue, 0, 4, 2, 0);
    let s = make(MapType::Stack, 0, 4, 2, 0);
    for m in [&q, &s] {
        let mut v = [0u8; 4];
        assert_eq!(m.lookup(&[], &mut v), Err(Error::NotFound));
        m.update(&[], &k(1), BPF_ANY, None).unwrap();
        m.update(&[], &k(2), BPF_ANY, None).unwrap();
        assert_eq!(m.update(&[], &k(3), BPF_ANY, None), Err(Error::MapFull));
        assert_eq!(
            m.update(&[], &k(3), BPF_NOEXIST, None),
            Err(Error::BadFlags { flags: 1 })
        );
        m.update(&[], &k(3), BPF_EXIST, None).unwrap();
        assert_eq!(m.delete(&[]), Err(Error::InvalidArgument));
        assert_eq!(m.next_key(None, &mut v), Err(Error::InvalidArgument));
    }
    let mut v = [0u8; 4];
    q.lookup_and_delete(&[], &mut v).unwrap();
    assert_eq!(v, k(2), "the queue dropped its oldest (1) for 3");
    q.lookup_and_delete(&[], &mut v).unwrap();
    assert_eq!(v, k(3));
    s.lookup_and_delete(&[], &mut v).unwrap();
    assert_eq!(v, k(3));
    s.lookup_and_delete(&[], &mut v).unwrap();
    assert_eq!(v, k(2));
    assert_eq!(s.lookup_and_delete(&[], &mut v), Err(Error::NotFound));
}

#[test]
fn ringbuf_records_round_trip_and_wrap() {
    let m = make(MapType::Ringbuf, 0, 0, 4096, 0);
    let rb = m.as_any().downcast_ref::<RingBuf>().unwrap();
    rb.output(b"hello").unwrap();
    let off = rb.reserve(3).unwrap();
    rb.output(b"after").unwrap();
    let mut got = Vec::new();
    assert_eq!(rb.consume(&mut |r| got.push(r.to_vec())), 1, "stops at the busy record");
    rb.commit(off, true).unwrap();
    assert_eq!(
        rb.consume(&mut |r| got.push(r.to_vec())),
        1,
        "the discarded one is skipped"
    );
    assert_eq!(got, vec![b"hello".to_vec(), b"after".to_vec()]);
    assert_eq!(rb.query(abi::BPF_RB_AVAIL_DATA), 0);
    assert_eq!(rb.query(abi::BPF_RB_RING_SIZE), 4096);
    // Fill past the end: records never straddle it.
    let mut n = 0;
    for i in 0..100u32 {
        rb.output(&[i as u8; 100]).unwrap();
        n += rb.consume(&mut |r| assert_eq!(r, &[i as u8; 100]));
    }
    assert_eq!(n, 100);
    assert_eq!(rb.reserve(5000), Err(Error::SizeTooLarge));
    // 112-byte records (100 + header, padded): at most 36 fit in 4096 bytes,
    // one fewer when the filler at the end wastes a record's worth.
    let mut fitted = 0;
    while rb.output(&[7; 100]).is_ok() {
        fitted += 1;
    }
    assert!((35..=36).contains(&fitted), "{fitted}");
    assert_eq!(rb.output(&[0; 100]), Err(Error::NoSpace));
    assert_eq!(rb.consume(&mut |r| assert_eq!(r, &[7; 100])), fitted);
    assert_eq!(rb.commit(4, false), Err(Error::InvalidArgument));
}

#[test]
fn prog_array_holds_entries() {
    let m = make(MapType::ProgArray, 4, 4, 2, 0);
    let pa = m.as_any().downcast_ref::<ProgArray>().unwrap();
    let mut v = [0u8; 4];
    assert_eq!(m.lookup(&k(0), &mut v), Err(Error::NotFound));
    let objects = crate::object::Objects::new(1);
    let code = crate::prog::insn::encode(&crate::prog::asm::assemble("mov %r0, 0\nexit").unwrap());
    let prog = Arc::new(
        crate::prog::Program::load(
            9,
            &crate::prog::load::Request {
                prog_type: abi::ProgType::SocketFilter,
                name: [0; 16],
                gpl: true,
                code: &code,
                keep_checks: false,
                jit: None,
                isa: None,
                blind: None,
            },
            &objects,
            &mut crate::prog::verify::Log::new(0),
        )
        .unwrap(),
    );
    let entry = || {
        Some(ProgEntry {
            id: 9,
            prog: prog.clone(),
        })
    };
    assert!(pa.set(1, entry()).is_err(), "no user reference: nothing may be stored");
    m.def().get_user();
    pa.set(1, entry()).unwrap();
    m.lookup(&k(1), &mut v).unwrap();
    assert_eq!(v, k(9));
    assert_eq!(pa.set(2, None).err(), Some(Error::MapFull));
    m.delete(&k(1)).unwrap();
    assert_eq!(m.delete(&k(1)), Err(Error::NotFound));
    assert_eq!(m.delete(&k(5)), Err(Error::MapFull), "E2BIG past the end, as Linux");
    pa.set(0, entry()).unwrap();
    assert_eq!(Arc::strong_count(&prog), 2);
    assert!(m.def().put_user());
    m.release_users();
    assert_eq!(Arc::strong_count(&prog), 1, "the last user reference empties the slots");
    assert_eq!(m.lookup(&k(0), &mut v), Err(Error::NotFound));
}

#[test]
fn perf_event_array_slots_open_fill_drain_and_count_losses() {
    let m = make(MapType::PerfEventArray, 4, 4, 2, 0);
    let pa = m.as_any().downcast_ref::<super::PerfEventArray>().unwrap();
    assert_eq!(pa.output(0, b"x"), Err(Error::NotFound), "a slot nobody opened");
    assert_eq!(pa.output(2, b"x"), Err(Error::MapFull), "past the end");
    pa.open(1).unwrap();
    pa.output(1, b"one").unwrap();
    pa.output(1, b"two").unwrap();
    let big = alloc::vec![0u8; super::perf_event_array::SLOT_BYTES];
    assert_eq!(
        pa.output(1, &big),
        Err(Error::NoSpace),
        "a full buffer loses the record"
    );
    let mut got = alloc::vec::Vec::new();
    assert_eq!(pa.consume(&mut |slot, r| got.push((slot, r.to_vec()))), (2, 1));
    assert_eq!(got, [(1, b"one".to_vec()), (1, b"two".to_vec())]);
    assert_eq!(pa.consume(&mut |_, _| {}), (0, 0), "drained, losses reported once");
    let mut v = [0u8; 4];
    assert_eq!(m.lookup(&k(1), &mut v), Err(Error::NotSupported));
    m.delete(&k(1)).unwrap();
    assert_eq!(pa.output(1, b"x"), Err(Error::NotFound), "deleting closes the slot");
    assert_eq!(err(MapType::PerfEventArray, 4, 8, 2, 0), Error::BadMapAttr);
}

#[test]
fn stack_traces_are_stored_by_id_as_linux_does() {
    use abi::{BPF_F_REUSE_STACKID, BPF_F_USER_BUILD_ID};
    let m = make(MapType::StackTrace, 4, 24, 8, 0);
    let st = m.as_any().downcast_ref::<super::StackTrace>().unwrap();
    let id = st.store(&[1, 2, 3, 4], 0).unwrap();
    assert_eq!(st.store(&[1, 2, 3, 4], 0), Ok(id), "the same stack, the same id");
    assert_eq!(
        st.store(&[9, 1, 2, 3], 1),
        Ok(id),
        "skipping a frame gives the same three"
    );
    let mut v = [0u8; 24];
    m.lookup(&k(id), &mut v).unwrap();
    let frames: alloc::vec::Vec<u64> = v.chunks(8).map(|w| u64::from_ne_bytes(w.try_into().unwrap())).collect();
    assert_eq!(frames, [1, 2, 3], "depth is value_size / 8");
    assert_eq!(
        st.store(&[], 0),
        Err(Error::BadAddress { addr: 0, len: 0 }),
        "no stack: EFAULT"
    );
    assert_eq!(
        st.store(&[1], BPF_F_USER_BUILD_ID),
        Err(Error::BadFlags {
            flags: BPF_F_USER_BUILD_ID
        })
    );
    // Collisions: another stack in a used bucket is EEXIST unless reused.
    let mut other = None;
    for f in 10..200u64 {
        match st.store(&[f], 0) {
            Err(Error::Exists) => {
                other = Some(f);
                break;
            }
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let f = other.expect("8 buckets collide within 190 stacks");
    let reused = st.store(&[f], BPF_F_REUSE_STACKID).unwrap();
    m.lookup(&k(reused), &mut v).unwrap();
    assert_eq!(u64::from_ne_bytes(v[..8].try_into().unwrap()), f);
    assert_eq!(m.update(&k(0), &v, 0, None), Err(Error::InvalidArgument));
    m.delete(&k(reused)).unwrap();
    assert_eq!(m.lookup(&k(reused), &mut v), Err(Error::NotFound));
    assert_eq!(
        err(MapType::StackTrace, 4, 12, 8, 0),
        Error::BadMapAttr,
        "not a whole number of frames"
    );
    assert_eq!(
        err(MapType::StackTrace, 4, 8 * 128, 8, 0),
        Error::BadMapAttr,
        "deeper than 127"
    );
}
