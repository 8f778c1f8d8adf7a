codegen_macro::bpf_abi! {
    /// Bytes.
    consts sizes: u8 {
        /// Does not fit in a u8.
        BPF_BIG = 300,
    }
}

fn main() {}
