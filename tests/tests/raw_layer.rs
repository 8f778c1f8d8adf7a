//! The low-level layer (`user_bindings::raw`, generated from the
//! description) gives the same results over every `Sys`: the hosted kernel
//! in this process, and this machine's Linux reached through libc and
//! directly (inline assembly, no libc) where bpf(2) is permitted.

// The layer is unsafe by nature: attrs carry raw pointers.
#![allow(unsafe_code)]

use abi::{MapCreateAttr, MapElemAttr, MapType, ObjInfoAttr, BPF_ANY, BPF_NOEXIST};
use user_bindings::direct::DirectSyscall;
use user_bindings::hosted::Process;
use user_bindings::{raw, sys::Syscall, Errno, Sys};

/// A map's life through the raw functions: every result, in order.
fn scenario(sys: &dyn Sys) -> Vec<Result<u32, Errno>> {
    let mut out = Vec::new();
    let mut create = MapCreateAttr {
        map_type: MapType::Hash.raw(),
        key_size: 4,
        value_size: 8,
        max_entries: 2,
        ..Default::default()
    };
    // SAFETY: no pointers.
    let fd = unsafe { raw::map_create(sys, &mut create) };
    let Ok(fd) = fd else { return vec![fd] };
    let keys = [1u32, 2, 3];
    let mut value = 0u64;
    let elem = |key: &u32, value: &mut u64, flags| MapElemAttr {
        map_fd: fd,
        key: key as *const u32 as u64,
        value: value as *mut u64 as u64,
        flags,
        ..Default::default()
    };
    for (k, flags) in keys.iter().zip([BPF_ANY, BPF_NOEXIST, BPF_ANY]) {
        value = u64::from(*k) * 10;
        let mut a = elem(k, &mut value, flags);
        // SAFETY: key and value outlive the call.
        out.push(unsafe { raw::map_update_elem(sys, &mut a) });
    }
    let mut a = elem(&keys[1], &mut value, 0);
    // SAFETY: as above.
    out.push(unsafe { raw::map_lookup_elem(sys, &mut a) });
    out.push(Ok(value as u32));
    let mut a = elem(&keys[0], &mut value, 0);
    // SAFETY: as above.
    out.push(unsafe { raw::map_delete_elem(sys, &mut a) });
    // SAFETY: as above.
    out.push(unsafe { raw::map_lookup_elem(sys, &mut a) });
    // A key pointer into unmapped memory is EFAULT, not a crash.
    let mut bad = MapElemAttr {
        map_fd: fd,
        key: 8,
        value: &mut value as *mut u64 as u64,
        ..Default::default()
    };
    // SAFETY: the kernel refuses the bad key pointer; the value is live.
    out.push(unsafe { raw::map_lookup_elem(sys, &mut bad) });
    let mut info = abi::MapInfo::default();
    let mut get = ObjInfoAttr {
        bpf_fd: fd,
        info_len: core::mem::size_of::<abi::MapInfo>() as u32,
        info: &mut info as *mut abi::MapInfo as u64,
    };
    // SAFETY: `info` is live and as long as `info_len` says.
    out.push(unsafe { raw::obj_get_info_by_fd(sys, &mut get) });
    out.push(Ok(info.max_entries));
    out.push(sys.close(fd).map(|()| 0));
    out.push(sys.close(fd).map(|()| 0));
    out
}

#[test]
fn the_raw_layer_agrees_over_every_backend() {
    let hosted = scenario(&Process::new(2));
    let e = |e: abi::Errno| Err(e.raw());
    assert_eq!(
        hosted,
        [
            Ok(0),
            Ok(0),
            e(abi::Errno::E2BIG),
            Ok(0),
            Ok(20),
            Ok(0),
            e(abi::Errno::ENOENT),
            e(abi::Errno::EFAULT),
            Ok(0),
            Ok(2),
            Ok(0),
            e(abi::Errno::EBADF),
        ],
        "hosted"
    );
    match Syscall::probe() {
        Ok(libc) => {
            assert_eq!(scenario(&libc), hosted, "Linux through libc");
            assert_eq!(scenario(&DirectSyscall), hosted, "Linux, called directly");
        }
        Err(why) => println!("SKIP the Linux backends: {why}"),
    }
}
