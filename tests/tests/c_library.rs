//! The C library (`user-bindings/c`, `<bpf/bpf.h>`) and its examples
//! (`examples/c`), built with `ccbpf` as a user builds them:
//!
//! - every example builds with `cc -Wall -Wextra -Werror` both ways, runs
//!   linked with the hosted kernel, and prints what it prints linked with
//!   the system call on this machine's Linux (where bpf(2) is permitted
//!   and the command exists there; otherwise the Linux run says why it
//!   skips);
//! - the same examples build with `musl-gcc` (rCore's userland C library)
//!   and print the same as with glibc;
//! - they build with `riscv64-linux-gnu-gcc` (rCore's main architecture),
//!   and the ABI size program runs under `qemu-riscv64` with the host's
//!   layout.
//!
//! The cross toolchains are installed by the test command; a missing one
//! fails the test under CI and is reported as a skip elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLES: [&str; 5] = ["maps", "programs", "opts", "object", "abi_sizes"];
/// What an example that cannot run here exits with.
const EXIT_SKIP: i32 = 77;

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

/// Where one test's programs go (tests run at once).
fn out_dir(test: &str) -> PathBuf {
    let d = repo("target/c-examples").join(test);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// How a program reaches a kernel: ccbpf's link choice.
#[derive(Clone, Copy, PartialEq)]
enum Link {
    /// The bpf(2) system call.
    Syscall,
    /// The hosted kernel, `libbpf_hosted.a`.
    Hosted,
    /// The hosted kernel, `libbpf_hosted.so`.
    HostedShared,
}

impl Link {
    fn flag(self) -> &'static str {
        match self {
            Link::Syscall => "",
            Link::Hosted => "--hosted",
            Link::HostedShared => "--hosted-shared",
        }
    }
}

/// Builds `examples/c/<name>.c` with ccbpf for `test`; returns the
/// program.
fn build(test: &str, name: &str, cc: &str, link: Link, extra: &[&str]) -> PathBuf {
    let tag = format!("{}{}", cc.replace('/', "_"), link.flag());
    let exe = out_dir(test).join(format!("{name}-{tag}"));
    let mut cmd = Command::new(repo("user-bindings/c/ccbpf"));
    if link != Link::Syscall {
        cmd.arg(link.flag());
    }
    tests::without_cargo_settings(&mut cmd);
    let out = cmd
        .env("CC", cc)
        .arg("-Werror")
        .args(extra)
        .arg("-o")
        .arg(&exe)
        .arg(repo(&format!("examples/c/{name}.c")))
        .output()
        .expect("run ccbpf");
    assert!(
        out.status.success(),
        "ccbpf {} with {cc} for {name}:\n{}{}",
        link.flag(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn run(exe: &Path, wrapper: Option<&[&str]>) -> Output {
    let object = repo("examples/bpf/counts.o");
    let mut cmd = match wrapper {
        Some(w) => {
            let mut c = Command::new(w[0]);
            c.args(&w[1..]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.arg(object).output().expect("run an example")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs a program built for the system call: `Some(output)`, or `None`
/// after printing why it skipped.
fn run_linux(name: &str, exe: &Path) -> Option<String> {
    let o = run(exe, None);
    if o.status.code() == Some(EXIT_SKIP) {
        println!("{name} via the system call: {}", text(&o).trim());
        return None;
    }
    assert!(
        o.status.success(),
        "{name} via the system call: {:?}\n{}",
        o.status,
        text(&o)
    );
    Some(text(&o))
}

/// Lines each example must print linked with the hosted kernel: Linux's
/// answers (checked there too wherever bpf(2) is permitted).
fn expected(name: &str) -> &'static [&'static str] {
    match name {
        "maps" => &[
            "  update existing with BPF_NOEXIST: EEXIST",
            "  update a 5th (max 4): E2BIG",
            "  3 keys: 2=7 3=300 4=7",
            "  update when frozen: EPERM",
            "  each CPU has its own value: yes",
            "  peeked 9",
            "  10 keys: 0 3 6 9 12 15 18 21 24 27",
            "  update with a map of another shape: EINVAL",
            "  lookup with a bad key pointer: EFAULT",
        ],
        "programs" => &[
            "  returned 50 (skb->len), 64 bytes out, the same bytes: yes",
            "  the program counted 5 runs",
            "  log says: R0 invalid mem access 'map_value_or_null'",
            "  load with a log too small: ENOSPC",
        ],
        "opts" => &[
            "  its map flags: 0 (the flag past its sz was not read)",
            "newer caller, new field set: EINVAL",
            "  retval field untouched: yes",
        ],
        // What the object's comment says the workload does.
        "object" => &[
            "attach count_opens to kprobe:do_sys_openat2: ok",
            "  counts: 5 tasks made system calls",
        ],
        _ => &[],
    }
}

#[test]
fn examples_print_the_same_hosted_and_on_linux() {
    assert!(tests::require("cc", "the host C compiler"));
    let mut compared = 0;
    for name in EXAMPLES {
        let hosted = run(&build("same", name, "cc", Link::Hosted, &[]), None);
        assert!(
            hosted.status.success(),
            "{name} hosted: {:?}\n{}",
            hosted.status,
            text(&hosted)
        );
        let ours = text(&hosted);
        for line in expected(name) {
            assert!(
                ours.lines().any(|l| l == *line),
                "{name} hosted lacks {line:?}:\n{ours}"
            );
        }
        if let Some(theirs) = run_linux(name, &build("same", name, "cc", Link::Syscall, &[])) {
            assert_eq!(ours, theirs, "{name}: hosted and Linux print differently");
            compared += 1;
        }
    }
    println!("{compared} of {} examples printed the same on Linux", EXAMPLES.len());
}

/// The shared library (`ccbpf --hosted-shared`) serves the examples as
/// the static one does.
#[test]
fn the_shared_hosted_library_serves_as_the_static_one() {
    assert!(tests::require("cc", "the host C compiler"));
    for name in ["maps", "programs"] {
        let shared = run(&build("shared", name, "cc", Link::HostedShared, &[]), None);
        let fixed = run(&build("shared", name, "cc", Link::Hosted, &[]), None);
        assert!(
            shared.status.success(),
            "{name} shared: {:?}\n{}",
            shared.status,
            text(&shared)
        );
        assert_eq!(
            text(&shared),
            text(&fixed),
            "{name}: the shared and static libraries differ"
        );
    }
}

#[test]
fn examples_build_with_musl_and_print_as_with_glibc() {
    if !tests::require("musl-gcc", "musl-tools") {
        return;
    }
    for name in EXAMPLES {
        let glibc = build("musl", name, "cc", Link::Syscall, &[]);
        let musl = build("musl", name, "musl-gcc", Link::Syscall, &[]);
        let (a, b) = (run(&glibc, None), run(&musl, None));
        assert_eq!(
            a.status.code(),
            b.status.code(),
            "{name}: glibc and musl exit differently"
        );
        // The ABI program's output is the same by construction; the rest
        // may be skips, which must agree too.
        assert_eq!(text(&a), text(&b), "{name}: glibc and musl print differently");
    }
}

#[test]
fn examples_build_for_riscv64_and_the_abi_agrees_under_qemu() {
    if !tests::require("riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu") || !tests::require("qemu-riscv64", "qemu-user")
    {
        return;
    }
    for name in EXAMPLES {
        build("riscv64", name, "riscv64-linux-gnu-gcc", Link::Syscall, &["-static"]);
    }
    let host = run(&build("riscv64", "abi_sizes", "cc", Link::Syscall, &[]), None);
    let rv = build(
        "riscv64",
        "abi_sizes",
        "riscv64-linux-gnu-gcc",
        Link::Syscall,
        &["-static"],
    );
    let under_qemu = run(&rv, Some(&["qemu-riscv64", "-L", "/usr/riscv64-linux-gnu"]));
    assert!(
        under_qemu.status.success(),
        "abi_sizes under qemu: {:?}",
        under_qemu.status
    );
    let (host, rv) = (text(&host), text(&under_qemu));
    let layout = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("__NR_bpf"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert!(layout(&rv).len() > 10, "{rv}");
    assert_eq!(
        layout(&host),
        layout(&rv),
        "x86_64 and riscv64 lay the ABI out differently"
    );
    // The system call number the description gives riscv64 (and x86_64).
    assert!(rv.contains("__NR_bpf 280"), "{rv}");
    if cfg!(target_arch = "x86_64") {
        assert!(host.contains("__NR_bpf 321"), "{host}");
    }
}
