codegen_macro::bpf_abi! {
    /// A struct.
    struct bpf_thing {
        /// A field of a type that does not exist.
        count: u33,
    }
}

fn main() {}
