codegen_macro::bpf_abi! {
    /// Flags.
    consts flags: u32 {
        /// One.
        BPF_F_ONE = 1,
    }
    /// More flags.
    consts more_flags: u32 {
        /// The same name again.
        BPF_F_ONE = 2,
    }
}

fn main() {}
