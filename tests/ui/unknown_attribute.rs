codegen_macro::bpf_abi! {
    /// Flags.
    #[frobnicate]
    consts flags: u32 {
        /// One.
        BPF_F_ONE = 1,
    }
}

fn main() {}
