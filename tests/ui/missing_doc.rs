codegen_macro::bpf_abi! {
    /// Flags.
    consts flags: u32 {
        /// Documented.
        BPF_F_ONE = 1,
        BPF_F_TWO = 2,
    }
}

fn main() {}
