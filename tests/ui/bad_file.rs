// The abi crate include!s its description; an error points into the file.
include!("bad_file.abi");

fn main() {}
