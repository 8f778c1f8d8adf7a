codegen_macro::bpf_abi! {
    /// A struct with a hole.
    struct bpf_thing {
        /// Four bytes.
        fd: u32,
        /// Needs 8-byte alignment: four bytes of implicit padding before it.
        key: uptr,
    }
}

fn main() {}
