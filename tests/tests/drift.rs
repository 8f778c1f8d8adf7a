//! The proof that the kernel side, the user side and Linux agree.
//!
//! - The committed generated files equal what the description generates now
//!   (fix: `ABI_BLESS=1 cargo test -p tests --test drift`, or regen).
//! - Every struct and value of the description has the same layout and
//!   number in the Rust `abi` crate and in the generated `bpf_abi.h` (read by
//!   bindgen), and every item of Linux origin the same as in the system's
//!   `linux/bpf.h`.
//! - The headers compile: `cc -std=c11 -Wall -Wextra -Werror` with
//!   `bpf_abi.h`, and `clang -target bpf -O2` with `bpf_helpers.h`.
//! - The checks can fail: a header emitted from an altered model is caught,
//!   naming the struct and field and the constant.

/// A module of bindgen output plus the `layouts()` and `values()` that
/// `build.rs` appended to it.
macro_rules! bindgen_view {
    ($name:ident, $file:literal) => {
        #[allow(
            non_camel_case_types,
            non_upper_case_globals,
            non_snake_case,
            dead_code,
            unsafe_code,
            unsafe_op_in_unsafe_fn,
            clippy::all,
            clippy::undocumented_unsafe_blocks,
            reason = "bindgen output (its bit-field accessors use unsafe); only layouts and constants are read"
        )]
        mod $name {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

bindgen_view!(c_header, "c_header.rs");
bindgen_view!(mutated, "mutated.rs");
bindgen_view!(linux, "linux.rs");

#[allow(clippy::all, reason = "generated")]
mod rust_side {
    include!(concat!(env!("OUT_DIR"), "/rust_side.rs"));
}

use std::path::{Path, PathBuf};
use std::process::Command;
use tests::{assert_no_drift, compare_layouts, compare_values};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_files_are_regenerated() {
    let abi = codegen::description().expect("description parses");
    let bless = std::env::var_os("ABI_BLESS").is_some();
    let mut stale = Vec::new();
    for (rel, content) in codegen::emit::committed_files(&abi) {
        let path = root().join(rel);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != content {
            if bless {
                std::fs::write(&path, &content).expect("write generated file");
            } else {
                stale.push(rel);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `ABI_BLESS=1 cargo test -p tests --test drift` or `cargo run -p codegen --bin regen`"
    );
}

#[test]
fn build_script_headers_equal_committed() {
    let dir = user_bindings::include_dir();
    assert_eq!(
        std::fs::read_to_string(dir.join("bpf_abi.h")).unwrap(),
        user_bindings::BPF_ABI_H
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("bpf_helpers.h")).unwrap(),
        user_bindings::BPF_HELPERS_H
    );
}

#[test]
fn every_struct_is_compared() {
    let abi = codegen::description().unwrap();
    let rust = rust_side::layouts();
    assert_eq!(rust.len(), abi.structs.len());
    assert!(abi.structs.len() >= 10, "the description lost structs");
    let fields: usize = rust.iter().map(|l| l.fields.len()).sum();
    assert!(fields > 100, "only {fields} fields compared");
}

#[test]
fn rust_and_c_header_layouts_agree() {
    let diffs = compare_layouts("Rust", &rust_side::layouts(), "bpf_abi.h", &c_header::layouts());
    assert_no_drift("struct layouts between the abi crate and bpf_abi.h", &diffs);
}

#[test]
fn rust_and_c_header_values_agree() {
    let values = rust_side::values();
    assert!(values.len() > 250, "only {} values compared", values.len());
    println!("{} values compared with bpf_abi.h", values.len());
    let diffs = compare_values("Rust", &values, "bpf_abi.h", &c_header::values());
    assert_no_drift("values between the abi crate and bpf_abi.h", &diffs);
}

#[test]
fn linux_layouts_agree() {
    let rust = rust_side::layouts();
    let linux = linux::layouts();
    assert!(
        linux.len() >= 7,
        "only {} structs claimed Linux-compatible",
        linux.len()
    );
    // Linux is the reference for what it has: compare its view against ours.
    let ours: Vec<_> = rust
        .into_iter()
        .filter(|l| linux.iter().any(|x| x.name == l.name))
        .collect();
    println!("{} structs compared with Linux", linux.len());
    let diffs = compare_layouts("Rust", &ours, "linux/bpf.h", &linux);
    assert_no_drift(
        "layouts between the abi crate and Linux's union bpf_attr / structs",
        &diffs,
    );
}

#[test]
fn linux_values_agree() {
    let linux = linux::values();
    if !linux::TOO_NEW.is_empty() {
        println!("newer than the system headers, not compared: {:?}", linux::TOO_NEW);
    }
    assert!(linux.len() > 200, "only {} Linux values compared", linux.len());
    let ours: Vec<_> = rust_side::values()
        .into_iter()
        .filter(|(n, _)| linux.iter().any(|(m, _)| m == n))
        .collect();
    assert_eq!(ours.len(), linux.len());
    println!("{} values compared with Linux", linux.len());
    let diffs = compare_values("Rust", &ours, "linux/bpf.h", &linux);
    assert_no_drift("values between the abi crate and Linux", &diffs);
}

#[test]
fn drift_checks_catch_an_altered_header() {
    // build.rs emitted this header from a model with bpf_map_create_attr.key_size
    // changed to u16 and BPF_NOEXIST changed by 100.
    let layouts = compare_layouts("Rust", &rust_side::layouts(), "altered bpf_abi.h", &mutated::layouts());
    assert_eq!(layouts.len(), 1, "{layouts:?}");
    assert!(
        layouts[0].contains("struct bpf_map_create_attr field key_size"),
        "{}",
        layouts[0]
    );
    assert!(
        layouts[0].contains("size 4") && layouts[0].contains("size 2"),
        "{}",
        layouts[0]
    );
    let values = compare_values("Rust", &rust_side::values(), "altered bpf_abi.h", &mutated::values());
    assert_eq!(
        values,
        vec!["BPF_NOEXIST: 1 on the Rust side, 101 on the altered bpf_abi.h side".to_string()]
    );
}

#[test]
fn drift_checks_catch_a_hand_edited_layout() {
    let mut edited = c_header::layouts();
    let insn = edited.iter_mut().find(|l| l.name == "bpf_insn").unwrap();
    insn.fields.iter_mut().find(|f| f.name == "imm").unwrap().at = Some((5, 4));
    let diffs = compare_layouts("Rust", &rust_side::layouts(), "edited", &edited);
    assert_eq!(
        diffs,
        vec!["struct bpf_insn field imm: offset 4 size 4 on the Rust side, offset 5 size 4 on the edited side"]
    );
    edited.retain(|l| l.name != "bpf_map_info");
    let diffs = compare_layouts("Rust", &rust_side::layouts(), "edited", &edited);
    assert!(
        diffs.contains(&"struct bpf_map_info: not compared on the edited side".to_string()),
        "{diffs:?}"
    );
}

fn tool(name: &str) -> Command {
    Command::new(name)
}

#[test]
fn user_header_compiles_with_cc() {
    let dir = tempdir("cc");
    let src = dir.join("user.c");
    std::fs::write(
        &src,
        r#"#include <errno.h>
#include <linux/types.h>
#include "bpf_abi.h"
#include <linux/bpf.h>
int main(void) {
    union bpf_attr attr = {0};
    struct bpf_insn insn = {0};
    struct bpf_program_load_ex_attr ex = {0};
    attr.map_type = BPF_MAP_TYPE_HASH;
    attr.next_key = 0;
    attr.batch.count = 1;
    insn.code = BPF_ALU64 | BPF_MOV | BPF_K;
    insn.dst_reg = BPF_REG_0;
    ex.elf_size = 1;
    return (int)(attr.map_type + insn.dst_reg + ex.elf_size) + EFAULT + __NR_bpf + BPF_PROG_RUN + BPF_PROG_LOAD_EX;
}
"#,
    )
    .unwrap();
    let out = tool("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(user_bindings::include_dir())
        .arg(&src)
        .arg("-o")
        .arg(dir.join("user"))
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn helpers_header_compiles_for_bpf() {
    let dir = tempdir("bpf");
    let src = dir.join("prog.c");
    std::fs::write(
        &src,
        r#"#include "bpf_helpers.h"
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");
SEC("kprobe/do_sys_open")
int count(void *ctx) {
    __u32 key = bpf_get_smp_processor_id();
    __u64 *v = bpf_map_lookup_elem(&counts, &key);
    char fmt[] = "pid %d\n";
    if (v) {
        *v += 1;
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
    }
    bpf_trace_printk(fmt, sizeof(fmt), (__u32)bpf_get_current_pid_tgid());
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"#,
    )
    .unwrap();
    let obj = dir.join("prog.o");
    let out = tool("clang")
        .args(["-target", "bpf", "-O2", "-Wall", "-Werror", "-c", "-I"])
        .arg(user_bindings::include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .expect("run clang (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "clang -target bpf failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = std::fs::read(&obj).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    // e_machine at offset 18 (little-endian) is EM_BPF.
    assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), abi::EM_BPF);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abi-drift-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The perf-buffer reader's layouts (`user_bindings::perf`) are those of
/// Linux's `<linux/perf_event.h>`.
#[test]
fn perf_buffer_layouts_are_linuxs() {
    use std::mem::{offset_of, size_of};
    use user_bindings::perf::{self, EventAttr};
    type A = linux::perf_event_attr;
    let ours = [
        size_of::<EventAttr>(),
        offset_of!(EventAttr, config),
        offset_of!(EventAttr, sample_period),
        offset_of!(EventAttr, sample_type),
        offset_of!(EventAttr, read_format),
        offset_of!(EventAttr, flags),
        offset_of!(EventAttr, wakeup_events),
        offset_of!(EventAttr, bp_type),
        offset_of!(EventAttr, config1),
    ];
    let theirs = [
        linux::PERF_ATTR_SIZE_VER0 as usize,
        offset_of!(A, config),
        offset_of!(A, __bindgen_anon_1),
        offset_of!(A, sample_type),
        offset_of!(A, read_format),
        offset_of!(A, _bitfield_1),
        offset_of!(A, __bindgen_anon_2),
        offset_of!(A, bp_type),
        offset_of!(A, __bindgen_anon_3),
    ];
    assert_eq!(ours, theirs, "perf_event_attr: size, then field offsets");
    type P = linux::perf_event_mmap_page;
    assert_eq!(
        [perf::DATA_HEAD, perf::DATA_TAIL, perf::DATA_OFFSET, perf::DATA_SIZE],
        [
            offset_of!(P, data_head),
            offset_of!(P, data_tail),
            offset_of!(P, data_offset),
            offset_of!(P, data_size)
        ]
    );
    assert_eq!(
        [
            u64::from(perf::TYPE_SOFTWARE),
            perf::COUNT_SW_BPF_OUTPUT,
            perf::SAMPLE_RAW,
            u64::from(perf::FLAG_FD_CLOEXEC),
            u64::from(perf::RECORD_LOST),
            u64::from(perf::RECORD_SAMPLE),
        ],
        [
            u64::from(linux::PERF_TYPE_SOFTWARE),
            u64::from(linux::PERF_COUNT_SW_BPF_OUTPUT),
            u64::from(linux::PERF_SAMPLE_RAW),
            u64::from(linux::PERF_FLAG_FD_CLOEXEC),
            u64::from(linux::PERF_RECORD_LOST),
            u64::from(linux::PERF_RECORD_SAMPLE),
        ]
    );
}
