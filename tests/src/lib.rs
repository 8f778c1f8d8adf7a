//! Helpers shared by the integration tests: layouts and values seen from
//! different sides of the ABI (the Rust `abi` crate, bindgen over the
//! generated C header, bindgen over Linux's uapi headers), and the
//! comparisons that report drift by struct, field and name.

#![deny(missing_docs)]

use std::fmt::Write;

/// Where a field sits, as one side sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Field name.
    pub name: &'static str,
    /// Offset and size in bytes, or `None` if this side has no such field.
    pub at: Option<(usize, usize)>,
}

/// A struct's layout, as one side sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// C name of the struct (the description's name).
    pub name: &'static str,
    /// Size and alignment, when this side has the whole struct to compare
    /// (not for members of Linux's `union bpf_attr`, which may be longer).
    pub size_align: Option<(usize, usize)>,
    /// Whether this side has the struct at all.
    pub present: bool,
    /// The fields compared (not padding, not bit-field storage).
    pub fields: Vec<FieldLayout>,
}

/// A named number, or `None` if this side does not define the name.
pub type NamedValue = (&'static str, Option<i128>);

/// Every difference between two sides' layouts, one line each, naming the
/// struct and field. `a` is the reference: every struct in it must be in `b`.
pub fn compare_layouts(a_side: &str, a: &[Layout], b_side: &str, b: &[Layout]) -> Vec<String> {
    let mut out = Vec::new();
    for la in a {
        let Some(lb) = b.iter().find(|l| l.name == la.name) else {
            out.push(format!("struct {}: not compared on the {b_side} side", la.name));
            continue;
        };
        if !lb.present {
            out.push(format!("struct {}: missing on the {b_side} side", la.name));
            continue;
        }
        if let (Some(x), Some(y)) = (la.size_align, lb.size_align) {
            if x != y {
                out.push(format!(
                    "struct {}: size {} align {} on the {a_side} side, size {} align {} on the {b_side} side",
                    la.name, x.0, x.1, y.0, y.1
                ));
            }
        }
        for fa in &la.fields {
            let fb = lb.fields.iter().find(|f| f.name == fa.name).and_then(|f| f.at);
            match (fa.at, fb) {
                (Some(x), Some(y)) if x == y => {}
                (Some(x), Some(y)) => out.push(format!(
                    "struct {} field {}: offset {} size {} on the {a_side} side, offset {} size {} on the {b_side} side",
                    la.name, fa.name, x.0, x.1, y.0, y.1
                )),
                (Some(_), None) => out.push(format!("struct {} field {}: missing on the {b_side} side", la.name, fa.name)),
                (None, _) => out.push(format!("struct {} field {}: missing on the {a_side} side", la.name, fa.name)),
            }
        }
    }
    out
}

/// Every difference between two sides' named values, one line each.
pub fn compare_values(a_side: &str, a: &[NamedValue], b_side: &str, b: &[NamedValue]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, va) in a {
        let vb = b.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v);
        match (va, vb) {
            (Some(x), Some(y)) if *x == y => {}
            (Some(x), Some(y)) => out.push(format!("{name}: {x} on the {a_side} side, {y} on the {b_side} side")),
            (Some(_), None) => out.push(format!("{name}: missing on the {b_side} side")),
            (None, _) => out.push(format!("{name}: missing on the {a_side} side")),
        }
    }
    out
}

/// Panics with every difference, or returns if there is none.
pub fn assert_no_drift(what: &str, diffs: &[String]) {
    if diffs.is_empty() {
        return;
    }
    let mut msg = format!("{} difference(s) in {what}:\n", diffs.len());
    for d in diffs {
        let _ = writeln!(msg, "  {d}");
    }
    panic!("{msg}");
}

/// Number of possible CPUs of this machine (Linux sizes per-CPU values by
/// it).
pub fn possible_cpus() -> u32 {
    kernel_bpf::hosted::possible_cpus()
}

/// Clears the test run's own cargo settings (the sanitizer pass's
/// toolchain and flags, its target directory) from `cmd`, which builds
/// something of its own (the C library, an example) with the defaults.
pub fn without_cargo_settings(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in [
        "RUSTUP_TOOLCHAIN",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Whether the command `tool` is installed here; without it, a test fails
/// under CI (which installs it through `scripts/test.sh`) and elsewhere
/// prints why it skips. `why` names the package.
pub fn require(tool: &str, why: &str) -> bool {
    let here = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if here {
        return true;
    }
    let msg = format!("{tool} is not installed ({why}); bash scripts/test.sh installs it");
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    println!("SKIP {msg}");
    false
}

/// The real bpf(2), or `None` after printing why it cannot be used here.
pub fn linux_bpf(test: &str) -> Option<user_bindings::Client<user_bindings::sys::Syscall>> {
    match user_bindings::sys::Syscall::probe() {
        Ok(s) => Some(user_bindings::Client::new(s)),
        Err(why) => {
            println!("SKIP {test}: the real bpf(2) is refused here ({why})");
            None
        }
    }
}

/// Assembles a program into instruction bytes.
///
/// # Panics
/// If the text does not assemble (a test bug).
pub fn code(text: &str) -> Vec<u8> {
    kernel_bpf::prog::insn::encode(&kernel_bpf::prog::asm::assemble(text).expect("test program assembles"))
}

/// Marks every `lddw %rN, fd` whose immediate is one of `fds` as a
/// BPF_PSEUDO_MAP_FD reference (the assembler has no syntax for it).
pub fn with_maps(mut bytes: Vec<u8>, fds: &[u32]) -> Vec<u8> {
    for slot in bytes.chunks_mut(8) {
        if slot[0] == kernel_bpf::prog::insn::LD_DW_IMM
            && fds.contains(&u32::from_ne_bytes([slot[4], slot[5], slot[6], slot[7]]))
        {
            slot[1] |= abi::BPF_PSEUDO_MAP_FD << 4;
        }
    }
    bytes
}

/// A hosted kernel with as many CPUs as this machine, behind a client.
pub fn hosted() -> user_bindings::Client<user_bindings::hosted::HostedBackend> {
    user_bindings::Client::new(user_bindings::hosted::HostedBackend::new(possible_cpus()))
}

/// Closes every fd still open in the hosted kernel behind `c`, then checks
/// that no map or program is left alive: nothing leaks, and no objects keep
/// each other alive.
///
/// # Panics
/// If a close fails or any object is still alive.
pub fn close_all_and_expect_none_alive(c: &user_bindings::Client<user_bindings::hosted::HostedBackend>) {
    expect_none_alive_after_closing(&c.backend().bpf);
}

/// Detaches every program from every point of the hosted kernel behind `c`.
///
/// # Panics
/// If a detach fails.
pub fn detach_all(c: &user_bindings::Client<user_bindings::hosted::HostedBackend>) {
    for p in c.backend().bpf.points().list() {
        c.prog_detach(&p.target.to_string(), 0).expect("detach");
    }
}

/// [`close_all_and_expect_none_alive`] on a kernel.
///
/// # Panics
/// If a close fails or any object is still alive.
pub fn expect_none_alive_after_closing<P: kernel_bpf::Platform>(bpf: &kernel_bpf::Bpf<P>) {
    for fd in bpf.objects().fds() {
        bpf.close(fd).expect("an open fd closes");
    }
    assert_eq!(
        bpf.live(),
        kernel_bpf::object::Live::default(),
        "objects left alive after every fd was closed"
    );
}

/// The eBPF conformance corpus (`../shared/conformance/bpf_conformance`,
/// MIT): its `.data` format (see that folder's README) and its files.
pub mod corpus {
    use kernel_bpf::prog::asm::assemble;
    use kernel_bpf::prog::insn::{decode, Insn};
    use std::path::{Path, PathBuf};

    /// A parsed `.data` file.
    #[derive(Default, Debug)]
    pub struct Case {
        /// The `-- asm` text.
        pub asm: String,
        /// The `-- raw` words, if any.
        pub raw: Option<Vec<u64>>,
        /// The `-- mem` bytes.
        pub mem: Vec<u8>,
        /// The expected r0.
        pub result: Option<u64>,
        /// The expected error text.
        pub error: Option<String>,
    }

    /// Parses a `.data` file.
    ///
    /// # Errors
    /// A description of the malformed part.
    pub fn parse(text: &str) -> std::result::Result<Case, String> {
        let mut case = Case::default();
        let mut section = String::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            if line.contains("--") {
                section = line.trim().trim_start_matches("--").trim().to_string();
                continue;
            }
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            match section.as_str() {
                "asm" => {
                    case.asm.push_str(t);
                    case.asm.push('\n');
                }
                "result" => {
                    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                        Some(h) => u64::from_str_radix(h, 16),
                        None => t.parse(),
                    };
                    case.result = Some(v.map_err(|e| format!("bad result {t}: {e}"))?);
                }
                "mem" => {
                    for b in t.split_whitespace() {
                        case.mem
                            .push(u8::from_str_radix(b, 16).map_err(|e| format!("bad mem byte {b}: {e}"))?);
                    }
                }
                "raw" => {
                    for w in t.split_whitespace() {
                        let h = w.trim_start_matches("0x");
                        let v = u64::from_str_radix(h, 16).map_err(|e| format!("bad raw word {w}: {e}"))?;
                        case.raw.get_or_insert_with(Vec::new).push(v);
                    }
                }
                "error" => case.error = Some(t.to_string()),
                _ => {}
            }
        }
        Ok(case)
    }

    /// The case's program, assembled or from its raw words.
    ///
    /// # Errors
    /// The assembler's error, as text.
    pub fn program(case: &Case) -> std::result::Result<Vec<Insn>, String> {
        match &case.raw {
            Some(words) => {
                decode(&words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).map_err(|e| e.to_string())
            }
            None => assemble(&case.asm).map_err(|e| e.to_string()),
        }
    }

    /// The corpus folder, if it is there.
    pub fn dir() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/bpf_conformance/tests");
        dir.is_dir().then_some(dir)
    }

    /// The corpus folder; if it is absent, says so on the real stderr
    /// (seen even when the test harness captures output) and, under CI
    /// (`CI` set), fails the test: third-party data is not copied into the
    /// project, but its absence must never pass unnoticed.
    ///
    /// # Panics
    /// Under CI when the corpus is absent.
    pub fn dir_or_report(test: &str) -> Option<PathBuf> {
        use std::io::Write;
        if let Some(d) = dir() {
            return Some(d);
        }
        let msg = format!(
            "MISSING: {test} needs the eBPF conformance corpus at ../shared/conformance/bpf_conformance/tests \
             (outside this repository); the test did not run"
        );
        let _ = writeln!(std::io::stderr(), "{msg}");
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        None
    }

    /// The `.data` files of `dir`, sorted.
    pub fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "data"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}

/// Loads the program `text` (assembler syntax; `map0`, `map1`, ... name
/// maps created from `maps` for the load) into the kernel behind `c` with
/// a verifier log: `Ok`, or the errno and the log. Closes what it opened.
///
/// # Panics
/// If a map cannot be created or the text does not assemble (test bugs).
pub fn load_with_maps<B: user_bindings::Backend>(
    c: &user_bindings::Client<B>,
    prog_type: abi::ProgType,
    maps: &[abi::MapCreateAttr],
    text: &str,
    name: &str,
) -> Result<(), (i32, String)> {
    load_with_maps_then(c, prog_type, maps, text, name, |_, _| {})
}

/// [`load_with_maps`], calling `then(program fd, map fds)` on a program
/// that loaded, before everything is closed.
///
/// # Panics
/// As [`load_with_maps`].
pub fn load_with_maps_then<B: user_bindings::Backend>(
    c: &user_bindings::Client<B>,
    prog_type: abi::ProgType,
    maps: &[abi::MapCreateAttr],
    text: &str,
    name: &str,
    then: impl FnOnce(u32, &[u32]),
) -> Result<(), (i32, String)> {
    let fds: Vec<u32> = maps
        .iter()
        .map(|m| c.map_create(m).unwrap_or_else(|e| panic!("{name}: map {m:?}: {e:?}")))
        .collect();
    let mut text = text.to_string();
    for (k, fd) in fds.iter().enumerate().rev() {
        text = text.replace(&format!("map{k}"), &fd.to_string());
    }
    let code = with_maps(code(&text), &fds);
    let r = c.prog_load_named(prog_type, &code, "GPL", name);
    if let Ok(fd) = r {
        then(fd, &fds);
        c.close(fd).expect("close the program");
    }
    for fd in fds {
        c.close(fd).expect("close a map");
    }
    r.map(|_| ())
}

/// Test-runs a loaded packet program on packets of a few sizes; returns
/// the errnos of runs that faulted (EFAULT).
pub fn packet_faults<B: user_bindings::Backend>(c: &user_bindings::Client<B>, prog: u32) -> Vec<i32> {
    [14usize, 60, 200]
        .iter()
        .filter_map(|&n| c.test_run(prog, &vec![0x5a; n], 1).err())
        .filter(|&e| e == abi::Errno::EFAULT.raw())
        .collect()
}

/// The helpers of generated programs: helper `id` returns `id * 1000` plus
/// its arguments' sum (the riscv64 runner's helpers do the same).
pub struct NoHelpers;

impl kernel_bpf::prog::interp::Env for NoHelpers {
    fn call(
        &mut self,
        id: u32,
        args: [u64; 5],
        _mem: &mut kernel_bpf::prog::interp::mem::Memory,
    ) -> kernel_bpf::Result<u64> {
        Ok(args.iter().fold(u64::from(id) * 1000, |a, &b| a.wrapping_add(b)))
    }
}

/// Generated programs, shared by the tests that compare the JITs with the
/// interpreter.
pub mod generate {
    use abi::*;
    use kernel_bpf::prog::insn::{Insn, ALU_AND_JUMPS, EXIT, LD_DW_IMM};
    use rand::rngs::SmallRng;
    use rand::seq::SliceRandom;
    use rand::Rng;

    /// Values at the edges of 32 and 64 bits, and a few ordinary ones.
    pub const EDGES: [u64; 14] = [
        0,
        1,
        2,
        7,
        0x7f,
        0xffff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0000,
        0xffff_ffff_ffff_fffe,
        u64::MAX,
    ];

    const IMMS: [i32; 12] = [0, 1, -1, 7, 31, 32, 63, 64, i32::MIN, i32::MAX, 0x1234_5678, -8];

    /// A random program of every ALU and conditional-jump opcode, in both
    /// widths and both source forms, on registers r0..r9 that start at
    /// edge values (r10 is untouched); its jumps go forward, so it ends,
    /// and r0 ends as the xor of every register. No memory, no calls.
    pub fn alu_program(rng: &mut SmallRng) -> Vec<Insn> {
        let mut p = Vec::new();
        for r in 0..10u8 {
            let v = *EDGES.choose(rng).unwrap_or(&0);
            p.push(Insn {
                code: LD_DW_IMM,
                dst: r,
                src: 0,
                off: 0,
                imm: v as u32 as i32,
            });
            p.push(Insn {
                code: 0,
                dst: 0,
                src: 0,
                off: 0,
                imm: (v >> 32) as u32 as i32,
            });
        }
        let n = rng.gen_range(1..40);
        for k in 0..n {
            let code = *ALU_AND_JUMPS.choose(rng).unwrap_or(&0);
            let (dst, src) = (rng.gen_range(0..10), rng.gen_range(0..10));
            let imm = *IMMS.choose(rng).unwrap_or(&0);
            let class = code & BPF_CLASS_MASK;
            let op = code & BPF_OP_MASK;
            let x = code & BPF_SRC_MASK == BPF_X;
            let off = match (class, op) {
                (BPF_JMP | BPF_JMP32, _) => rng.gen_range(0..4i16).min((n - 1 - k) as i16),
                // Signed division, and sign-extending moves.
                (_, BPF_DIV | BPF_MOD) => i16::from(rng.gen_bool(0.5)),
                (_, BPF_MOV) if x => *[0, 8, 16, 32].choose(rng).unwrap_or(&0),
                _ => 0,
            };
            let off = if class == BPF_ALU && op == BPF_MOV && off == 32 {
                0
            } else {
                off
            };
            let imm = match op {
                BPF_END => *[16, 32, 64].choose(rng).unwrap_or(&16),
                BPF_LSH | BPF_RSH | BPF_ARSH if !x => imm & if class == BPF_ALU64 { 63 } else { 31 },
                _ => imm,
            };
            p.push(Insn {
                code,
                dst,
                src,
                off,
                imm,
            });
            // A copy, then often an addition to it (which the JITs compile
            // as one instruction where no jump lands between).
            if matches!(class, BPF_ALU | BPF_ALU64) && op == BPF_MOV && x && off == 0 && rng.gen_bool(0.5) {
                let (code, imm) = match rng.gen_range(0..3) {
                    0 => (class | BPF_ADD | BPF_X, 0),
                    1 => (class | BPF_ADD | BPF_K, *IMMS.choose(rng).unwrap_or(&0)),
                    _ => (class | BPF_SUB | BPF_K, *IMMS.choose(rng).unwrap_or(&0)),
                };
                p.push(Insn {
                    code,
                    dst,
                    src: rng.gen_range(0..10),
                    off: 0,
                    imm,
                });
            }
        }
        for r in 1..10 {
            p.push(Insn {
                code: BPF_ALU64 | BPF_XOR | BPF_X,
                dst: 0,
                src: r,
                off: 0,
                imm: 0,
            });
        }
        p.push(Insn {
            code: EXIT,
            ..Insn::default()
        });
        p
    }
}
