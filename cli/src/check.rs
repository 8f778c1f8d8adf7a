//! `rcbpf check OBJECT...`: one line (or JSON object) per program: does it
//! load here? What a BPF project's CI runs to check its objects without
//! root.

use crate::examples;
use clap::Args;
use kernel_bpf::elf::{self, MapRef};
use std::process::ExitCode;
use user_bindings::hosted::HostedBackend;
use user_bindings::Client;

/// Arguments of `check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Object files (or names of embedded examples).
    #[arg(required = true)]
    objects: Vec<String>,
    /// Print JSON Lines with the keys object, section, name, prog_type,
    /// insns, loaded, errno, error.
    #[arg(long)]
    json: bool,
}

/// Simulated CPUs of the kernel each object is checked in.
const CPUS: u32 = 2;

/// One program's verdict.
struct Verdict {
    object: String,
    section: String,
    name: String,
    prog_type: String,
    insns: usize,
    error: Option<(i32, String)>,
}

/// Every program of one object, each loaded alone into a fresh kernel
/// with the object's maps; an object that does not parse is one verdict.
fn check_object(path: &str, bytes: &[u8]) -> Vec<Verdict> {
    let broken = |e: String| Verdict {
        object: path.into(),
        section: String::new(),
        name: String::new(),
        prog_type: String::new(),
        insns: 0,
        error: Some((abi::Errno::EINVAL.raw(), e)),
    };
    let obj = match elf::parse(bytes) {
        Ok(o) => o,
        Err(e) => return vec![broken(e.to_string())],
    };
    if obj.programs.is_empty() {
        return vec![broken("the object has no programs".into())];
    }
    let c = Client::new(HostedBackend::new(CPUS));
    // The object's maps, as BPF_PROG_LOAD_EX would create them.
    let maps: Vec<Result<u32, String>> = c
        .create_object_maps(&obj, CPUS)
        .into_iter()
        .zip(&obj.maps)
        .map(|(r, m)| r.map_err(|e| format!("map '{}' cannot be created (errno {e})", m.name)))
        .collect();
    let mut out = Vec::new();
    for (i, p) in obj.programs.iter().enumerate() {
        let mut v = Verdict {
            object: path.into(),
            section: p.section.clone(),
            name: p.name.clone(),
            prog_type: p
                .kind
                .prog_type
                .c_name()
                .trim_start_matches("BPF_PROG_TYPE_")
                .to_lowercase(),
            insns: 0,
            error: None,
        };
        let linked = match obj.link(i) {
            Ok(l) => l,
            Err(e) => {
                v.error = Some((abi::Errno::EINVAL.raw(), e.to_string()));
                out.push(v);
                continue;
            }
        };
        v.insns = linked.insns.len();
        let insns = linked.resolve(|r| match r {
            MapRef::Map(k) | MapRef::Value(k, _) => maps[*k].clone(),
            MapRef::Named(n) => Err(format!("map symbol '{n}' is not defined in the object")),
        });
        v.error = match insns {
            Err(e) => Some((abi::Errno::EINVAL.raw(), e)),
            Ok(insns) => {
                let code = kernel_bpf::prog::insn::encode(&insns);
                match c.prog_load_named(p.kind.prog_type, &code, &obj.license, &p.name) {
                    Ok(fd) => {
                        let _ = c.close(fd);
                        None
                    }
                    Err((errno, log)) => Some((errno, log.lines().last().unwrap_or("").to_string())),
                }
            }
        };
        out.push(v);
    }
    out
}

/// Runs `check`.
pub fn check(a: &CheckArgs) -> ExitCode {
    let mut rejected = 0;
    for path in &a.objects {
        let bytes = match examples::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("rcbpf: {path}: {e}");
                rejected += 1;
                continue;
            }
        };
        for v in check_object(path, &bytes) {
            rejected += usize::from(v.error.is_some());
            if a.json {
                let j = serde_json::json!({
                    "object": v.object,
                    "section": v.section,
                    "name": v.name,
                    "prog_type": v.prog_type,
                    "insns": v.insns,
                    "loaded": v.error.is_none(),
                    "errno": v.error.as_ref().map(|e| e.0),
                    "error": v.error.as_ref().map(|e| e.1.clone()),
                });
                println!("{j}");
            } else {
                let verdict = match &v.error {
                    None => "loaded".to_string(),
                    Some((errno, e)) => format!("rejected (errno {errno}): {e}"),
                };
                println!(
                    "{}  {}  {}  {}  {} insns  {verdict}",
                    v.object, v.section, v.name, v.prog_type, v.insns
                );
            }
        }
    }
    if rejected > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
