//! Emits the C headers and the low-level layer (`raw.rs`) from
//! `abi/bpf.abi` into `OUT_DIR` (never elsewhere;
//! the committed copies in `include/` are written by `regen` and checked by
//! the drift test).

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let desc = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../abi/bpf.abi");
    println!("cargo::rerun-if-changed={}", desc.display());
    let text = std::fs::read_to_string(&desc).expect("read abi/bpf.abi");
    let abi = match codegen::parse_file(codegen::DESCRIPTION_PATH, &text) {
        Ok(abi) => abi,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    std::fs::write(out.join("bpf_abi.h"), codegen::emit::c_user::emit(&abi)).expect("write bpf_abi.h");
    std::fs::write(out.join("bpf_helpers.h"), codegen::emit::c_helpers::emit(&abi)).expect("write bpf_helpers.h");
    std::fs::write(out.join("raw.rs"), codegen::emit::rust_user::emit(&abi)).expect("write raw.rs");
}
