//! The low-level layer of the Rust user bindings (`user_bindings::raw`):
//! one function per command that has an attr struct, handing that struct
//! (up to the bytes the command reads) to a `Sys`. Its `build.rs` writes
//! this into `OUT_DIR`; the output names `abi`, `Sys` and `Errno`, which
//! the including module brings into scope.

use crate::model::{Abi, Enum};
use crate::names;
use std::fmt::Write;

/// The Rust function name of a command (`BPF_MAP_CREATE` to `map_create`).
pub fn command_fn(c_name: &str) -> String {
    c_name.strip_prefix("BPF_").unwrap_or(c_name).to_ascii_lowercase()
}

/// The layer, as Rust source (written as text, so that each unsafe block
/// keeps its SAFETY comment).
pub fn emit(abi: &Abi) -> String {
    let mut out = String::from("// Generated from abi/bpf.abi by codegen::emit::rust_user. Do not edit.\n");
    if let Some(cmd) = abi.enums.iter().find(|e| e.name == "bpf_cmd") {
        commands(cmd, &mut out);
    }
    out
}

fn commands(cmd: &Enum, out: &mut String) {
    for (v, variant) in cmd.variants.iter().zip(names::variants(cmd)) {
        let Some(a) = v.attr.as_ref() else { continue };
        let f = command_fn(&v.name);
        let ty = names::rust_type(&a.struct_name);
        let _ = write!(
            out,
            r#"
/// `{c}`: {doc}
///
/// The kernel reads the first {used} bytes of `attr` (`struct {s}`) and
/// writes its output fields back.
///
/// # Safety
/// Every pointer in `attr` must be valid for what the command reads and
/// writes through it, as for the system call: the kernel writes through
/// output pointers without knowing Rust's borrows.
///
/// # Errors
/// The errno the kernel returned.
///
/// ```
/// # use user_bindings::{{abi, hosted::Process, raw}};
/// # let sys = Process::new(1);
{example}
/// ```
pub unsafe fn {f}<S: Sys + ?Sized>(sys: &S, attr: &mut abi::{ty}) -> Result<u32, Errno> {{
    // SAFETY: `attr` is a live, writable struct at least as long as the
    // bytes the command uses; the caller vouches for the pointers in it.
    unsafe {{ sys.bpf(abi::Cmd::{variant}.raw(), (attr as *mut abi::{ty}).cast::<u8>(), {used}) }}
}}
"#,
            c = v.name,
            doc = v.meta.doc_line(),
            used = a.used,
            s = a.struct_name,
            example = example(&f)
                .unwrap_or_else(|| panic!("no example for raw::{f}: add one to codegen::emit::rust_user::EXAMPLES"))
                .lines()
                .map(|l| format!("/// {l}").trim_end().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

/// The example of each function, run by rustdoc against the hosted kernel
/// (`sys`); lines starting `# ` are hidden, as in rustdoc.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "map_create",
        "let mut attr = abi::MapCreateAttr {
    map_type: abi::MapType::Hash.raw(),
    key_size: 4,
    value_size: 8,
    max_entries: 16,
    ..Default::default()
};
// SAFETY: this attr holds no pointers.
let fd = unsafe { raw::map_create(&sys, &mut attr) }.unwrap();
attr.key_size = 0;
assert_eq!(unsafe { raw::map_create(&sys, &mut attr) }, Err(abi::Errno::EINVAL.raw()));",
    ),
    (
        "map_lookup_elem",
        "# let fd = hash_map(&sys);
let (key, mut value) = (1u32, 0u64);
let mut attr = abi::MapElemAttr {
    map_fd: fd,
    key: &raw const key as u64,
    value: &raw mut value as u64,
    ..Default::default()
};
// SAFETY: key and value are the map's sizes and outlive the call.
assert_eq!(unsafe { raw::map_lookup_elem(&sys, &mut attr) }, Err(abi::Errno::ENOENT.raw()));
# let mut set = attr;
# value = 10;
# unsafe { raw::map_update_elem(&sys, &mut set) }.unwrap();
# value = 0;
// (after an update of key 1 to 10)
unsafe { raw::map_lookup_elem(&sys, &mut attr) }.unwrap();
assert_eq!(value, 10);",
    ),
    (
        "map_update_elem",
        "# let fd = hash_map(&sys);
let (key, value) = (1u32, 10u64);
let mut attr = abi::MapElemAttr {
    map_fd: fd,
    key: &raw const key as u64,
    value: &raw const value as u64,
    flags: abi::BPF_NOEXIST,
    ..Default::default()
};
// SAFETY: key and value are the map's sizes and outlive the call.
unsafe { raw::map_update_elem(&sys, &mut attr) }.unwrap();
assert_eq!(unsafe { raw::map_update_elem(&sys, &mut attr) }, Err(abi::Errno::EEXIST.raw()));",
    ),
    (
        "map_delete_elem",
        "# let fd = hash_map(&sys);
let key = 1u32;
# let value = 10u64;
# let mut set = abi::MapElemAttr { map_fd: fd, key: &raw const key as u64, value: &raw const value as u64, ..Default::default() };
# unsafe { raw::map_update_elem(&sys, &mut set) }.unwrap();
let mut attr = abi::MapElemAttr { map_fd: fd, key: &raw const key as u64, ..Default::default() };
// SAFETY: the key is the map's size and outlives the call.
unsafe { raw::map_delete_elem(&sys, &mut attr) }.unwrap();
assert_eq!(unsafe { raw::map_delete_elem(&sys, &mut attr) }, Err(abi::Errno::ENOENT.raw()));",
    ),
    (
        "map_get_next_key",
        "# let fd = hash_map(&sys);
# let (key, value) = (5u32, 50u64);
# let mut set = abi::MapElemAttr { map_fd: fd, key: &raw const key as u64, value: &raw const value as u64, ..Default::default() };
# unsafe { raw::map_update_elem(&sys, &mut set) }.unwrap();
// The map holds key 5 alone. No key asks for the first.
let mut next = 0u32;
let mut attr = abi::MapElemAttr { map_fd: fd, key: 0, value: &raw mut next as u64, ..Default::default() };
// SAFETY: `next` is the map's key size and outlives the call.
unsafe { raw::map_get_next_key(&sys, &mut attr) }.unwrap();
assert_eq!(next, 5);
attr.key = &raw const key as u64;
assert_eq!(unsafe { raw::map_get_next_key(&sys, &mut attr) }, Err(abi::Errno::ENOENT.raw()));",
    ),
    (
        "prog_load",
        "// r0 = 0; exit
let insns = [abi::Insn { code: 0xb7, ..Default::default() }, abi::Insn { code: 0x95, ..Default::default() }];
let mut attr = abi::ProgLoadAttr {
    prog_type: abi::ProgType::SocketFilter.raw(),
    insn_cnt: 2,
    insns: insns.as_ptr() as u64,
    license: c\"GPL\".as_ptr() as u64,
    ..Default::default()
};
// SAFETY: the instructions and the license outlive the call.
unsafe { raw::prog_load(&sys, &mut attr) }.unwrap();
attr.insn_cnt = 1; // falls off the end
assert_eq!(unsafe { raw::prog_load(&sys, &mut attr) }, Err(abi::Errno::EINVAL.raw()));",
    ),
    (
        "prog_attach",
        "# let prog = exit0(&sys, abi::ProgType::Kprobe);
let mut attr = abi::AttachTarget {
    target: c\"kprobe:do_sys_openat2\".as_ptr() as u64,
    prog_fd: prog,
    flags: 0,
};
// SAFETY: the target string outlives the call.
unsafe { raw::prog_attach(&sys, &mut attr) }.unwrap();
attr.target = c\"nowhere\".as_ptr() as u64;
assert_eq!(unsafe { raw::prog_attach(&sys, &mut attr) }, Err(abi::Errno::EINVAL.raw()));",
    ),
    (
        "prog_detach",
        "# let prog = exit0(&sys, abi::ProgType::Kprobe);
let mut attr = abi::AttachTarget {
    target: c\"kprobe:do_sys_openat2\".as_ptr() as u64,
    prog_fd: prog,
    flags: 0,
};
// SAFETY: the target string outlives the calls.
unsafe { raw::prog_attach(&sys, &mut attr) }.unwrap();
unsafe { raw::prog_detach(&sys, &mut attr) }.unwrap();
assert_eq!(unsafe { raw::prog_detach(&sys, &mut attr) }, Err(abi::Errno::ENOENT.raw()));",
    ),
    (
        "prog_test_run",
        "// r0 = skb->len; exit
let insns = [abi::Insn { code: 0x61, regs: 0x10, ..Default::default() }, abi::Insn { code: 0x95, ..Default::default() }];
# let mut load = abi::ProgLoadAttr { prog_type: abi::ProgType::SocketFilter.raw(), insn_cnt: 2, insns: insns.as_ptr() as u64, license: c\"GPL\".as_ptr() as u64, ..Default::default() };
# let prog = unsafe { raw::prog_load(&sys, &mut load) }.unwrap();
let packet = [0u8; 60];
let mut attr = abi::ProgTestRunAttr {
    prog_fd: prog,
    data_in: packet.as_ptr() as u64,
    data_size_in: 60,
    repeat: 1,
    ..Default::default()
};
// SAFETY: the packet outlives the call; there is no output buffer.
unsafe { raw::prog_test_run(&sys, &mut attr) }.unwrap();
assert_eq!(attr.retval, 46, \"the packet past its Ethernet header\");",
    ),
    (
        "obj_get_info_by_fd",
        "# let fd = hash_map(&sys);
let mut info = abi::MapInfo::default();
let mut attr = abi::ObjInfoAttr {
    bpf_fd: fd,
    info_len: core::mem::size_of::<abi::MapInfo>() as u32,
    info: &raw mut info as u64,
};
// SAFETY: `info` is `info_len` bytes and outlives the call.
unsafe { raw::obj_get_info_by_fd(&sys, &mut attr) }.unwrap();
assert_eq!((info.r#type, info.key_size, info.value_size), (abi::MapType::Hash.raw(), 4, 8));",
    ),
    (
        "map_lookup_and_delete_elem",
        "let mut create = abi::MapCreateAttr {
    map_type: abi::MapType::Queue.raw(),
    value_size: 8,
    max_entries: 4,
    ..Default::default()
};
let queue = unsafe { raw::map_create(&sys, &mut create) }.unwrap();
let mut value = 7u64;
let mut attr = abi::MapElemAttr { map_fd: queue, value: &raw mut value as u64, ..Default::default() };
// SAFETY: `value` is the map's value size and outlives the calls.
unsafe { raw::map_update_elem(&sys, &mut attr) }.unwrap(); // push 7
value = 0;
unsafe { raw::map_lookup_and_delete_elem(&sys, &mut attr) }.unwrap(); // pop
assert_eq!(value, 7);
assert_eq!(unsafe { raw::map_lookup_and_delete_elem(&sys, &mut attr) }, Err(abi::Errno::ENOENT.raw()));",
    ),
    (
        "map_freeze",
        "# let fd = hash_map(&sys);
let mut attr = abi::MapElemAttr { map_fd: fd, ..Default::default() };
// SAFETY: only the fd is read.
unsafe { raw::map_freeze(&sys, &mut attr) }.unwrap();
let (key, value) = (1u32, 1u64);
let mut set = abi::MapElemAttr { map_fd: fd, key: &raw const key as u64, value: &raw const value as u64, ..Default::default() };
// SAFETY: key and value are the map's sizes and outlive the call.
assert_eq!(unsafe { raw::map_update_elem(&sys, &mut set) }, Err(abi::Errno::EPERM.raw()));",
    ),
    (
        "map_lookup_batch",
        "# let fd = hash_map(&sys);
# fill(&sys, fd, &[1, 2], &[10, 20]);
// The map holds 1 -> 10 and 2 -> 20.
let (mut keys, mut values, mut next) = ([0u32; 8], [0u64; 8], 0u32);
let mut attr = abi::MapBatchAttr {
    out_batch: &raw mut next as u64,
    keys: keys.as_mut_ptr() as u64,
    values: values.as_mut_ptr() as u64,
    count: 8,
    map_fd: fd,
    ..Default::default()
};
// SAFETY: room for `count` keys and values, and a batch position, all
// outliving the call.
let end = unsafe { raw::map_lookup_batch(&sys, &mut attr) };
assert_eq!(end, Err(abi::Errno::ENOENT.raw()), \"the whole map was read\");
assert_eq!(attr.count, 2);
let mut read: Vec<_> = keys.iter().zip(values).take(2).map(|(k, v)| (*k, v)).collect();
read.sort();
assert_eq!(read, [(1, 10), (2, 20)]);",
    ),
    (
        "map_lookup_and_delete_batch",
        "# let fd = hash_map(&sys);
# fill(&sys, fd, &[1, 2], &[10, 20]);
// The map holds two elements.
let (mut keys, mut values, mut next) = ([0u32; 8], [0u64; 8], 0u32);
let mut attr = abi::MapBatchAttr {
    out_batch: &raw mut next as u64,
    keys: keys.as_mut_ptr() as u64,
    values: values.as_mut_ptr() as u64,
    count: 8,
    map_fd: fd,
    ..Default::default()
};
// SAFETY: as for map_lookup_batch.
let end = unsafe { raw::map_lookup_and_delete_batch(&sys, &mut attr) };
assert_eq!((end, attr.count), (Err(abi::Errno::ENOENT.raw()), 2));
attr.count = 8;
let again = unsafe { raw::map_lookup_and_delete_batch(&sys, &mut attr) };
assert_eq!((again, attr.count), (Err(abi::Errno::ENOENT.raw()), 0), \"nothing left\");",
    ),
    (
        "map_update_batch",
        "# let fd = hash_map(&sys);
let (keys, values) = ([1u32, 2], [10u64, 20]);
let mut attr = abi::MapBatchAttr {
    keys: keys.as_ptr() as u64,
    values: values.as_ptr() as u64,
    count: 2,
    map_fd: fd,
    ..Default::default()
};
// SAFETY: `count` keys and values, outliving the call.
unsafe { raw::map_update_batch(&sys, &mut attr) }.unwrap();
assert_eq!(attr.count, 2);
// A hash map takes no per-element flag but BPF_F_LOCK, as in Linux.
attr.elem_flags = abi::BPF_NOEXIST;
assert_eq!(unsafe { raw::map_update_batch(&sys, &mut attr) }, Err(abi::Errno::EINVAL.raw()));",
    ),
    (
        "map_delete_batch",
        "# let fd = hash_map(&sys);
# fill(&sys, fd, &[1, 2], &[10, 20]);
let keys = [1u32, 2, 3];
let mut attr = abi::MapBatchAttr { keys: keys.as_ptr() as u64, count: 3, map_fd: fd, ..Default::default() };
// SAFETY: `count` keys, outliving the call.
assert_eq!(unsafe { raw::map_delete_batch(&sys, &mut attr) }, Err(abi::Errno::ENOENT.raw()));
assert_eq!(attr.count, 2, \"keys 1 and 2 were deleted, 3 was missing\");",
    ),
    (
        "prog_load_ex",
        "let image = b\"not an ELF image\";
let mut attr = abi::ProgramLoadExAttr {
    elf_prog: image.as_ptr() as u64,
    elf_size: image.len() as u32,
    ..Default::default()
};
// SAFETY: the image outlives the call; there are no other buffers.
assert_eq!(unsafe { raw::prog_load_ex(&sys, &mut attr) }, Err(abi::Errno::EINVAL.raw()));
// `user_bindings::loader::Object` loads a real object the portable way.",
    ),
];

/// The hidden helpers the examples share.
const HELPERS: &str = "# fn hash_map(sys: &Process) -> u32 {
#     let mut a = abi::MapCreateAttr { map_type: abi::MapType::Hash.raw(), key_size: 4, value_size: 8, max_entries: 8, ..Default::default() };
#     unsafe { raw::map_create(sys, &mut a) }.unwrap()
# }
# fn fill(sys: &Process, fd: u32, keys: &[u32], values: &[u64]) {
#     let mut a = abi::MapBatchAttr { keys: keys.as_ptr() as u64, values: values.as_ptr() as u64, count: keys.len() as u32, map_fd: fd, ..Default::default() };
#     unsafe { raw::map_update_batch(sys, &mut a) }.unwrap();
# }
# fn exit0(sys: &Process, t: abi::ProgType) -> u32 {
#     let insns = [abi::Insn { code: 0xb7, ..Default::default() }, abi::Insn { code: 0x95, ..Default::default() }];
#     let mut a = abi::ProgLoadAttr { prog_type: t.raw(), insn_cnt: 2, insns: insns.as_ptr() as u64, license: c\"GPL\".as_ptr() as u64, ..Default::default() };
#     unsafe { raw::prog_load(sys, &mut a) }.unwrap()
# }";

/// The example of `raw::{f}`, with the hidden helpers it uses.
fn example(f: &str) -> Option<String> {
    let (_, text) = EXAMPLES.iter().find(|(name, _)| *name == f)?;
    let helpers: Vec<&str> = HELPERS
        .split("\n# fn ")
        .filter(|h| {
            let name = h.trim_start_matches("# fn ").split('(').next().unwrap_or("");
            text.contains(&format!("{name}(&sys"))
        })
        .collect();
    let helpers = helpers
        .iter()
        .map(|h| {
            if h.starts_with("# fn ") {
                h.to_string()
            } else {
                format!("# fn {h}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some(if helpers.is_empty() {
        text.to_string()
    } else {
        format!("{helpers}\n{text}")
    })
}
