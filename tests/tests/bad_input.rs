//! Bad input: arbitrary attr bytes, sizes and pointers for every command
//! give an errno, never a panic, and a failed call changes no map.
//!
//! The exceptions: the batch commands that write (UPDATE_BATCH,
//! DELETE_BATCH, LOOKUP_AND_DELETE_BATCH), which as in Linux apply elements
//! one by one and report in `count` how many were applied before the error;
//! and PROG_TEST_RUN, whose program may change maps before it fails.

use abi::{Cmd, MapCreateAttr, MapType, BPF_ANY, BPF_ATTR_SIZE};
use kernel_bpf::hosted::{Hosted, UserMem};
use kernel_bpf::map::RingBuf;
use kernel_bpf::Bpf;
use proptest::prelude::*;
use std::collections::BTreeMap;

static OK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct World {
    bpf: Bpf<Hosted>,
    fds: Vec<u32>,
    /// Valid user memory that pointers in the attr may land in.
    mem: UserMem,
}

/// Everything observable about the maps.
type Snapshot = Vec<(u32, BTreeMap<Vec<u8>, Vec<u8>>, Vec<u8>, bool)>;

fn world() -> World {
    let bpf = Bpf::new(Hosted::new(2));
    let mem = bpf.platform().user_mem(4096);
    let mut fds = Vec::new();
    for (t, k, v, max) in [
        (MapType::Hash, 4, 8, 8),
        (MapType::Array, 4, 8, 4),
        (MapType::PercpuHash, 4, 4, 4),
        (MapType::Queue, 0, 4, 4),
        (MapType::Ringbuf, 0, 0, 4096),
    ] {
        let attr = MapCreateAttr {
            map_type: t.raw(),
            key_size: k,
            value_size: v,
            max_entries: max,
            ..Default::default()
        };
        let m = kernel_bpf::map::create(&attr, 1, 2, 3).unwrap();
        for i in 0..3u32 {
            let _ = m.update(
                &i.to_ne_bytes()[..k as usize],
                &vec![i as u8 + 1; m.def().syscall_value_size()],
                BPF_ANY,
                None,
            );
        }
        fds.push(bpf.objects().insert(kernel_bpf::object::Object::Map(m)).unwrap());
    }
    World { bpf, fds, mem }
}

fn snapshot(w: &World) -> Snapshot {
    w.fds
        .iter()
        .map(|&fd| {
            let m = w.bpf.map(fd).unwrap();
            let d = m.def();
            let mut elems = BTreeMap::new();
            let mut key: Option<Vec<u8>> = None;
            let mut next = vec![0u8; d.key_size as usize];
            for _ in 0..=d.max_entries {
                if d.key_size == 0 || m.next_key(key.as_deref(), &mut next).is_err() {
                    break;
                }
                let mut v = vec![0u8; d.syscall_value_size()];
                if m.lookup(&next, &mut v).is_ok() {
                    elems.insert(next.clone(), v);
                }
                key = Some(next.clone());
            }
            let mut head = vec![0u8; d.syscall_value_size()];
            if d.key_size == 0 {
                // Queues: what a peek sees.
                let _ = m.lookup(&[], &mut head);
            }
            if let Some(rb) = m.as_any().downcast_ref::<RingBuf>() {
                head = rb.query(abi::BPF_RB_PROD_POS).to_ne_bytes().to_vec();
            }
            (fd, elems, head, d.is_frozen())
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Ptr {
    Null,
    Valid(u16),
    Wild(u64),
}

fn ptr() -> impl Strategy<Value = Ptr> {
    prop_oneof![2 => Just(Ptr::Null), 6 => (0..4096u16).prop_map(Ptr::Valid), 1 => any::<u64>().prop_map(Ptr::Wild)]
}

#[derive(Debug, Clone)]
struct Call {
    cmd: u32,
    size: u32,
    bytes: Vec<u8>,
    fd_pick: Option<usize>,
    /// Where the fd goes: the command's fd field, or a random offset.
    fd_at: Option<usize>,
    /// Pointers into the command's pointer fields (index into its list).
    ptrs: Vec<(usize, Ptr)>,
    attr_ptr: Ptr,
    /// Zero the bytes the command does not read, to get past CHECK_ATTR.
    trim: bool,
}

fn call() -> impl Strategy<Value = Call> {
    let cmd = prop_oneof![8 => 0..37u32, 1 => Just(1000u32), 1 => any::<u32>()];
    let size = prop_oneof![
        6 => Just(BPF_ATTR_SIZE as u32),
        3 => 0..=BPF_ATTR_SIZE as u32 + 16,
        1 => any::<u32>(),
        1 => 4090..5000u32
    ];
    (
        cmd,
        size,
        proptest::collection::vec(prop_oneof![4 => Just(0u8), 1 => any::<u8>()], 0..BPF_ATTR_SIZE + 16),
        proptest::option::of(0..5usize),
        prop_oneof![4 => Just(None), 1 => (0..40usize).prop_map(Some)],
        proptest::collection::vec((0..4usize, ptr()), 0..4),
        prop_oneof![8 => (0..64u16).prop_map(Ptr::Valid), 1 => Just(Ptr::Null), 1 => any::<u64>().prop_map(Ptr::Wild)],
        prop_oneof![3 => Just(true), 1 => Just(false)],
    )
        .prop_map(|(cmd, size, bytes, fd_pick, fd_at, ptrs, attr_ptr, trim)| Call {
            cmd,
            size,
            bytes,
            fd_pick,
            fd_at,
            ptrs,
            attr_ptr,
            trim,
        })
}

fn addr(w: &World, p: &Ptr, base: usize) -> u64 {
    match p {
        Ptr::Null => 0,
        Ptr::Valid(off) => w.mem.at(base + (*off as usize % (4096 - base))),
        Ptr::Wild(a) => *a,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn bad_attrs_give_errnos_and_change_nothing(calls in proptest::collection::vec(call(), 1..8)) {
        let w = world();
        let mut before = snapshot(&w);
        for c in &calls {
            // The attr lives at the start of the block; pointers in it aim
            // at the rest of the block or anywhere.
            let mut attr = c.bytes.clone();
            attr.resize(BPF_ATTR_SIZE + 16, 0);
            let batch = (Cmd::MapLookupBatch.raw()..=Cmd::MapDeleteBatch.raw()).contains(&c.cmd);
            // map_fd and pointer fields of the elem, batch and info attrs.
            use core::mem::offset_of;
            use abi::{MapBatchAttr as B, MapElemAttr as E};
            let (fd_field, ptr_fields): (usize, [usize; 4]) = if batch {
                (offset_of!(B, map_fd), [offset_of!(B, in_batch), offset_of!(B, out_batch), offset_of!(B, keys), offset_of!(B, values)])
            } else {
                (offset_of!(E, map_fd), [offset_of!(E, key), offset_of!(E, value), offset_of!(E, key), offset_of!(E, value)])
            };
            if let Some(i) = c.fd_pick {
                let at = c.fd_at.unwrap_or(fd_field);
                attr[at..at + 4].copy_from_slice(&w.fds[i].to_ne_bytes());
            }
            for (i, p) in &c.ptrs {
                let at = ptr_fields[*i];
                let a = addr(&w, p, 512);
                attr[at..at + 8].copy_from_slice(&a.to_ne_bytes());
            }
            let count = core::mem::offset_of!(abi::MapBatchAttr, count);
            if batch && c.bytes.get(count).is_some() {
                // A small count, so batches do some work.
                attr[count..count + 4].copy_from_slice(&u32::from(c.bytes[count] % 8).to_ne_bytes());
            }
            if c.trim {
                if let Some(used) = Cmd::try_from(c.cmd).ok().and_then(Cmd::attr_size) {
                    attr[used..].fill(0);
                }
            }
            w.mem.write(0, &attr);
            let attr_addr = match c.attr_ptr {
                Ptr::Valid(_) => w.mem.addr(),
                ref p => addr(&w, p, 0),
            };
            let r = w.bpf.bpf(c.cmd, attr_addr, c.size);
            let after = snapshot(&w);
            match r {
                Ok(v) => {
                    OK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if c.cmd == Cmd::MapCreate.raw() {
                        prop_assert!(w.bpf.close(v as u32).is_ok());
                    }
                }
                Err(e) => {
                    let _ = e.errno();
                    let partial = [Cmd::MapUpdateBatch, Cmd::MapDeleteBatch, Cmd::MapLookupAndDeleteBatch, Cmd::ProgTestRun]
                        .iter()
                        .any(|b| b.raw() == c.cmd);
                    if !partial {
                        prop_assert_eq!(&before, &after, "failed call {:?} ({}) changed a map", c, e);
                    }
                }
            }
            before = after;
        }
        tests::expect_none_alive_after_closing(&w.bpf);
    }
}
