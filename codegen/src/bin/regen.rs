//! Rewrites the committed generated files from `abi/bpf.abi`.
//!
//! `regen` writes them; `regen --check` only compares and fails on a
//! difference; `regen --print` writes them and prints them to stdout;
//! `regen --rust` prints the Rust that `bpf_abi!` expands to, formatted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    let print = args.iter().any(|a| a == "--print");
    let rust = args.iter().any(|a| a == "--rust");
    if let Some(bad) = args
        .iter()
        .find(|a| !["--check", "--print", "--rust"].contains(&a.as_str()))
    {
        eprintln!("regen: unknown argument `{bad}`; usage: regen [--check] [--print] [--rust]");
        return ExitCode::from(2);
    }
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join(codegen::DESCRIPTION_PATH);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("regen: cannot read {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let abi = match codegen::parse_file(codegen::DESCRIPTION_PATH, &text) {
        Ok(abi) => abi,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if rust {
        let tokens = codegen::emit::rust::emit(&abi);
        match syn::parse2::<syn::File>(tokens) {
            Ok(file) => print!("{}", prettyplease::unparse(&file)),
            Err(e) => {
                eprintln!("regen: the Rust expansion does not parse: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut stale = 0;
    for (rel, content) in codegen::emit::committed_files(&abi) {
        let file = root.join(rel);
        let same = std::fs::read_to_string(&file).is_ok_and(|old| old == content);
        if check {
            if !same {
                eprintln!("regen: {rel} is stale");
                stale += 1;
            }
        } else if !same {
            if let Err(e) = std::fs::write(&file, &content) {
                eprintln!("regen: cannot write {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
            eprintln!("regen: wrote {rel}");
        } else {
            eprintln!("regen: {rel} is up to date");
        }
        if print {
            println!("==> {rel} <==\n{content}");
        }
    }
    eprintln!("regen: the description holds {}", codegen::emit::counts(&abi));
    if stale > 0 {
        eprintln!("regen: {stale} file(s) stale; run `{}`", codegen::emit::REGEN_COMMAND);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
