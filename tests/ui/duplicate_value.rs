codegen_macro::bpf_abi! {
    /// Commands.
    enum bpf_cmd: u32 {
        /// First.
        BPF_MAP_CREATE = 0,
        /// The same number again.
        BPF_MAP_LOOKUP_ELEM = 0,
    }
}

fn main() {}
