//! The example objects (examples/bpf/*.c, built by examples/bpf/build.sh),
//! embedded so the tool needs no clang.

/// An embedded example.
pub struct Example {
    /// Its name (the file stem).
    pub name: &'static str,
    /// What it shows.
    pub about: &'static str,
    /// The object.
    pub bytes: &'static [u8],
}

macro_rules! example {
    ($name:literal, $about:literal) => {
        Example {
            name: $name,
            about: $about,
            bytes: include_bytes!(concat!("../../examples/bpf/", $name, ".o")),
        }
    };
}

/// Every example.
pub const ALL: &[Example] = &[
    example!(
        "counts",
        "system calls per pid (raw tracepoint) and opens per command (kprobe), in hash maps"
    ),
    example!(
        "latency",
        "vfs_read latency and size histograms from a kprobe and a kretprobe"
    ),
    example!(
        "events",
        "open events through a ring buffer, write results through a perf event array"
    ),
    example!("printk", "bpf_printk of opened files and context switches"),
    example!("tailcall", "a tail-call dispatcher by system call number"),
    example!(
        "globals",
        "global data: a .rodata setting, a .data counter, .bss statistics"
    ),
    example!("stacks", "stack traces of vfs_read, counted by stack id"),
];

/// The examples the default run loads.
pub const DEFAULT: &[&str] = &["counts", "latency", "events"];

/// The bytes of `what`: an example's name, or a file.
///
/// # Errors
/// The file's read error.
pub fn read(what: &str) -> std::io::Result<Vec<u8>> {
    match ALL.iter().find(|e| e.name == what) {
        Some(e) if !std::path::Path::new(what).exists() => Ok(e.bytes.to_vec()),
        _ => std::fs::read(what),
    }
}
