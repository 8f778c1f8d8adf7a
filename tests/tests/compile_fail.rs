//! Malformed descriptions fail to compile, with an error at the bad line
//! (trybuild compares the compiler's output with `tests/ui/*.stderr`; after
//! an intended change of a message, refresh them with `TRYBUILD=overwrite`).

#[test]
fn malformed_descriptions_fail_with_spanned_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/unknown_type.rs");
    t.compile_fail("ui/implicit_padding.rs");
    t.compile_fail("ui/tail_padding.rs");
    t.compile_fail("ui/duplicate_name.rs");
    t.compile_fail("ui/duplicate_value.rs");
    t.compile_fail("ui/value_out_of_range.rs");
    t.compile_fail("ui/unknown_arg_kind.rs");
    t.compile_fail("ui/mem_without_size.rs");
    t.compile_fail("ui/missing_doc.rs");
    t.compile_fail("ui/unknown_attribute.rs");
    t.compile_fail("ui/bad_file.rs");
    t.pass("ui/pass_minimal.rs");
}
