// A small description expands into working Rust.
codegen_macro::bpf_abi! {
    /// Sizes.
    consts sizes: u32 {
        /// Name length.
        BPF_OBJ_NAME_LEN = 16,
    }
    /// Commands.
    enum bpf_cmd: u32 {
        /// Create.
        BPF_MAP_CREATE = 0,
        /// Extension.
        #[ext]
        BPF_PROG_LOAD_EX = 1000,
    }
    /// Attr.
    struct bpf_map_create_attr {
        /// Type.
        map_type: u32,
        /// Name.
        map_name: [char; BPF_OBJ_NAME_LEN],
        #[pad]
        _pad0: u32,
        /// Pointer.
        key: uptr,
    }
}

fn main() {
    use zerocopy::{FromBytes, IntoBytes};
    assert_eq!(Cmd::try_from(1000u32), Ok(Cmd::ProgLoadEx));
    assert!(Cmd::ProgLoadEx.is_extension());
    assert!(!Cmd::MapCreate.is_extension());
    assert_eq!(Cmd::try_from(7u32).unwrap_err().value, 7);
    assert_eq!(core::mem::size_of::<MapCreateAttr>(), 32);
    let a = MapCreateAttr::read_from_bytes(&[0u8; 32]).unwrap();
    assert_eq!(a.as_bytes().len(), 32);
    assert_eq!(BPF_OBJ_NAME_LEN, 16);
}
