codegen_macro::bpf_abi! {
    /// Kinds.
    arg_kinds {
        /// Anything.
        ARG_ANYTHING = "__u64",
        /// Memory.
        #[mem]
        ARG_PTR_TO_MEM = "const void *",
    }
    /// Kinds.
    ret_kinds {
        /// A scalar.
        RET_INTEGER = "long",
    }
    /// Helpers.
    helpers {
        /// A memory argument followed by something that is not its size.
        6 => fn trace_printk(fmt: ARG_PTR_TO_MEM, arg: ARG_ANYTHING) -> RET_INTEGER;
    }
}

fn main() {}
