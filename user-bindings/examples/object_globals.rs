//! Loads a clang-built object (`examples/bpf/globals.o`, whose programs
//! count reads and writes in global variables) the way libbpf does, from
//! user space: its `.rodata`, `.data` and `.bss` become one-element array
//! maps, filled from the object, and the programs are loaded against
//! them. Prints the programs, the maps, and the globals' values, read as
//! typed arrays. The same code runs against the hosted kernel (the
//! default) or the machine's bpf(2) (`--linux`, root).
//!
//!     cargo run -p user-bindings --example object_globals [-- --linux]

use user_bindings::hosted::Process;
use user_bindings::loader::Object;
use user_bindings::maps::Array;
use user_bindings::sys::Syscall;
use user_bindings::Sys;

/// `struct io_stats` of globals.c: reads, writes, bytes.
type IoStats = [u64; 3];

fn run<S: Sys + Clone>(sys: &S) -> Result<(), user_bindings::Error> {
    let elf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/bpf/globals.o"))
        .expect("examples/bpf/globals.o is in the repository");
    let mut obj = Object::load(sys, &elf)?;
    for p in obj.programs() {
        println!(
            "program {} from section {} ({:?}), attaches to {}",
            p.name,
            p.section,
            p.program.prog_type(),
            p.target.as_deref().unwrap_or("nothing"),
        );
    }
    for (name, map) in obj.maps() {
        println!(
            "map {name}: {:?}, key {} bytes, value {} bytes, {} entries",
            map.map_type(),
            map.key_size(),
            map.value_size(),
            map.max_entries()
        );
    }
    let rodata: Array<S, u32> = Array::try_from(obj.take_map(".rodata").expect("the object has .rodata"))?;
    let data: Array<S, u64> = Array::try_from(obj.take_map(".data").expect("the object has .data"))?;
    let bss: Array<S, IoStats> = Array::try_from(obj.take_map(".bss").expect("the object has .bss"))?;
    println!("target_pid (.rodata) = {}", rodata.get(0)?);
    println!("runs (.data) = {}", data.get(0)?);
    let [reads, writes, bytes] = bss.get(0)?;
    println!("stats (.bss) = {{ reads {reads}, writes {writes}, bytes {bytes} }}");
    println!(
        ".rodata is frozen: a write from user space fails with errno {}",
        rodata.set(0, &1, 0).err().map_or(0, |e| e.errno)
    );
    data.set(0, &5, 0)?;
    println!("runs after a write from user space = {}", data.get(0)?);
    Ok(())
}

fn main() {
    let result = if std::env::args().any(|a| a == "--linux") {
        match Syscall::probe() {
            Ok(s) => run(&s),
            Err(why) => {
                println!("SKIP: {why}");
                std::process::exit(77);
            }
        }
    } else {
        run(&Process::new(2))
    };
    if let Err(e) = result {
        println!("error: {e}");
        std::process::exit(1);
    }
}
