codegen_macro::bpf_abi! {
    /// Kinds.
    arg_kinds {
        /// Anything.
        ARG_ANYTHING = "__u64",
    }
    /// Kinds.
    ret_kinds {
        /// A scalar.
        RET_INTEGER = "long",
    }
    /// Helpers.
    helpers {
        /// Uses a kind nobody defined.
        1 => fn map_lookup_elem(map: ARG_CONST_MAP_PTR) -> RET_INTEGER;
    }
}

fn main() {}
