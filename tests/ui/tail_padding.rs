codegen_macro::bpf_abi! {
    /// A struct whose size is not a multiple of its alignment.
    struct bpf_thing {
        /// Eight bytes.
        key: u64,
        /// Four bytes, then implicit tail padding.
        fd: u32,
    }
}

fn main() {}
