//! Ownership: random sequences of map creations, program loads that refer
//! to those maps, programs stored in prog arrays (themselves and each
//! other), runs and closes, in any order, end with no object alive once
//! every fd is closed; and while fds are open, nothing they reach is freed.

use abi::{MapCreateAttr, MapType, ProgType, BPF_ANY};
use proptest::prelude::*;
use tests::{close_all_and_expect_none_alive, code, hosted, with_maps};

#[derive(Clone, Debug)]
enum Op {
    /// Creates a map: 0 = ARRAY, 1 = HASH, 2 = PROG_ARRAY, 3 = ARRAY_OF_MAPS
    /// (whose template is an ARRAY like kind 0).
    Create(u8),
    /// Loads a program referring to these fds (picks from every fd made so
    /// far, open or closed); it tail-calls through each prog array among them.
    Load(Vec<usize>),
    /// Stores a program fd into a prog array's slot.
    Store { array: usize, slot: u32, prog: usize },
    /// Stores a map fd (any, open or closed) into a map of maps' slot.
    StoreMap { outer: usize, slot: u32, map: usize },
    /// Runs a program.
    Run(usize),
    /// Closes an fd.
    Close(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u8..4).prop_map(Op::Create),
        3 => proptest::collection::vec(any::<usize>(), 0..4).prop_map(Op::Load),
        4 => (any::<usize>(), 0u32..3, any::<usize>()).prop_map(|(array, slot, prog)| Op::Store { array, slot, prog }),
        2 => (any::<usize>(), 0u32..3, any::<usize>()).prop_map(|(outer, slot, map)| Op::StoreMap { outer, slot, map }),
        2 => any::<usize>().prop_map(Op::Run),
        2 => any::<usize>().prop_map(Op::Close),
    ]
}

fn pick(fds: &[u32], i: usize) -> Option<u32> {
    (!fds.is_empty()).then(|| fds[i % fds.len()])
}

/// A program holding `maps` that tail-calls slot 0 of each prog array in
/// `arrays` in turn (a failed tail call falls through to the next).
fn program(maps: &[u32], arrays: &[u32]) -> Vec<u8> {
    let mut text = String::from("mov %r6, %r1\n");
    for m in maps {
        text.push_str(&format!("lddw %r1, {m}\n"));
    }
    for a in arrays {
        text.push_str(&format!("mov %r1, %r6\nlddw %r2, {a}\nmov %r3, 0\ncall 12\n"));
    }
    text.push_str("mov %r0, 1\nexit");
    with_maps(code(&text), maps)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_object_graphs_are_freed_once_every_fd_is_closed(ops in proptest::collection::vec(op(), 1..40)) {
        let c = hosted();
        let mut maps: Vec<(u32, bool)> = Vec::new();
        let mut progs: Vec<u32> = Vec::new();
        let mut all: Vec<u32> = Vec::new();
        let mut outers: Vec<u32> = Vec::new();
        for op in ops {
            match op {
                Op::Create(kind) => {
                    let array = MapCreateAttr { map_type: MapType::Array.raw(), key_size: 4, value_size: 8, max_entries: 3, ..Default::default() };
                    let attr = match kind {
                        0 => array,
                        1 => MapCreateAttr { map_type: MapType::Hash.raw(), ..array },
                        2 => MapCreateAttr { map_type: MapType::ProgArray.raw(), value_size: 4, ..array },
                        _ => {
                            let template = c.map_create(&array).unwrap();
                            let outer = MapCreateAttr { map_type: MapType::ArrayOfMaps.raw(), value_size: 4, inner_map_fd: template, ..array };
                            let fd = c.map_create(&outer).unwrap();
                            c.close(template).unwrap();
                            outers.push(fd);
                            all.push(fd);
                            continue;
                        }
                    };
                    let fd = c.map_create(&attr).unwrap();
                    maps.push((fd, attr.map_type == MapType::ProgArray.raw()));
                    all.push(fd);
                }
                Op::StoreMap { outer, slot, map } => {
                    if let (Some(o), Some(m)) = (pick(&outers, outer), pick(&all, map)) {
                        // Refused unless `m` is an open map matching the template.
                        let _ = c.update(o, Some(&slot.to_ne_bytes()), &m.to_ne_bytes(), BPF_ANY);
                    }
                }
                Op::Load(picks) => {
                    let mut chosen: Vec<(u32, bool)> = Vec::new();
                    for p in picks {
                        if let Some(i) = (!maps.is_empty()).then(|| p % maps.len()) {
                            if !chosen.contains(&maps[i]) {
                                chosen.push(maps[i]);
                            }
                        }
                    }
                    let fds: Vec<u32> = chosen.iter().map(|m| m.0).collect();
                    let arrays: Vec<u32> = chosen.iter().filter(|m| m.1).map(|m| m.0).collect();
                    // Fails with EBADF when a chosen map's fd is closed.
                    if let Ok(fd) = c.prog_load(ProgType::SocketFilter, &program(&fds, &arrays), "GPL") {
                        progs.push(fd);
                        all.push(fd);
                    }
                }
                Op::Store { array, slot, prog } => {
                    let arrays: Vec<u32> = maps.iter().filter(|m| m.1).map(|m| m.0).collect();
                    if let (Some(a), Some(p)) = (pick(&arrays, array), pick(&progs, prog)) {
                        let _ = c.update(a, Some(&slot.to_ne_bytes()), &p.to_ne_bytes(), BPF_ANY);
                    }
                }
                Op::Run(i) => {
                    if let Some(p) = pick(&progs, i) {
                        if let Ok((r0, _)) = c.test_run(p, &[0; 64], 1) {
                            prop_assert_eq!(r0, 1);
                        }
                    }
                }
                Op::Close(i) => {
                    if let Some(fd) = pick(&all, i) {
                        let _ = c.close(fd);
                    }
                }
            }
            // What an open fd names is alive.
            let open = c.backend().bpf.objects().len();
            let live = c.backend().bpf.live();
            prop_assert!(live.maps + live.progs >= open, "{live:?} alive with {open} fds open");
        }
        close_all_and_expect_none_alive(&c);
    }
}
