//! The verifier's suites (`tests/verifier/reject.txt` and `accept.txt`,
//! checked against Linux by `tests/verifier/check_linux.py`): every program
//! that must be refused is refused with Linux's log line, every program
//! that must load loads, and where bpf(2) is permitted each program gets
//! the same decision from Linux. A case with an `ours:` line is a
//! deliberate difference (listed in docs/verifier.md): `ours: load` or
//! `ours: refuse <log words>` says what this verifier does instead.

use abi::{MapCreateAttr, MapType, ProgType};
use tests::{close_all_and_expect_none_alive, hosted, linux_bpf, load_with_maps, load_with_maps_then, packet_faults};
use user_bindings::{Backend, Client};

/// One case of a suite file.
#[derive(Debug)]
struct Case {
    name: String,
    prog_type: ProgType,
    maps: Vec<MapCreateAttr>,
    expect: Option<String>,
    /// A deliberate difference: Some(None) loads, Some(Some(words)) is
    /// refused with those words.
    ours: Option<Option<String>>,
    text: String,
}

fn parse(file: &str) -> Vec<Case> {
    let path = format!("{}/verifier/{file}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    for block in src.split("\n=== ").map(|b| b.trim_start_matches("=== ")) {
        let mut lines = block.lines();
        let name = lines.next().unwrap_or_default().trim().to_string();
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        let mut case = Case {
            name,
            prog_type: ProgType::SocketFilter,
            maps: Vec::new(),
            expect: None,
            ours: None,
            text: String::new(),
        };
        for l in lines {
            if let Some(t) = l.strip_prefix("type:") {
                case.prog_type = prog_type(t.trim());
            } else if let Some(m) = l.strip_prefix("maps:") {
                case.maps = m.split(';').map(|d| map_attr(d.trim())).collect();
            } else if let Some(o) = l.strip_prefix("ours:") {
                let o = o.trim();
                case.ours = Some(o.strip_prefix("refuse").map(|w| w.trim().to_string()));
                assert!(
                    o == "load" || o.starts_with("refuse"),
                    "{}: bad `ours:` line",
                    case.name
                );
            } else if let Some(e) = l.strip_prefix("expect:") {
                case.expect = Some(e.trim().to_string());
            } else {
                case.text.push_str(l);
                case.text.push('\n');
            }
        }
        out.push(case);
    }
    out
}

fn prog_type(name: &str) -> ProgType {
    match name {
        "socket_filter" => ProgType::SocketFilter,
        "kprobe" => ProgType::Kprobe,
        "sched_cls" => ProgType::SchedCls,
        "sched_act" => ProgType::SchedAct,
        "tracepoint" => ProgType::Tracepoint,
        "xdp" => ProgType::Xdp,
        "perf_event" => ProgType::PerfEvent,
        "cgroup_skb" => ProgType::CgroupSkb,
        "raw_tracepoint" => ProgType::RawTracepoint,
        t => panic!("unknown program type {t}"),
    }
}

fn map_attr(def: &str) -> MapCreateAttr {
    let w: Vec<&str> = def.split_whitespace().collect();
    let t = match w[0] {
        "hash" => MapType::Hash,
        "array" => MapType::Array,
        "prog_array" => MapType::ProgArray,
        "perf_event_array" => MapType::PerfEventArray,
        "percpu_hash" => MapType::PercpuHash,
        "percpu_array" => MapType::PercpuArray,
        "stack_trace" => MapType::StackTrace,
        "lru_hash" => MapType::LruHash,
        "queue" => MapType::Queue,
        "stack" => MapType::Stack,
        "ringbuf" => MapType::Ringbuf,
        t => panic!("unknown map type {t}"),
    };
    let n = |k: usize| w.get(k).map_or(0, |v| v.parse::<u32>().unwrap());
    MapCreateAttr {
        map_type: t.raw(),
        key_size: n(1),
        value_size: n(2),
        max_entries: n(3),
        map_flags: n(4),
        ..Default::default()
    }
}

/// Loads `case` into the kernel behind `c`: Ok, or the errno and the log.
fn load<B: Backend>(c: &Client<B>, case: &Case) -> Result<(), (i32, String)> {
    load_with_maps(c, case.prog_type, &case.maps, &case.text, &case.name)
}

/// Runs a suite; returns the report of every failure.
fn run(file: &str, must_load: bool) -> (usize, Vec<String>) {
    let cases = parse(file);
    let host = hosted();
    // Every access checked when run, so a program the verifier wrongly
    // accepts faults here instead of straying.
    host.backend().bpf.keep_memory_checks(true);
    let linux = linux_bpf("verifier suites");
    let mut failures = Vec::new();
    let mut agreed = 0;
    let mut deliberate = 0;
    for case in &cases {
        // Packet programs that load run on a few packets without a fault.
        let mut faults = Vec::new();
        let packets = matches!(case.prog_type, ProgType::SocketFilter | ProgType::SchedCls);
        let ours = load_with_maps_then(&host, case.prog_type, &case.maps, &case.text, &case.name, |prog, _| {
            if packets {
                faults = packet_faults(&host, prog);
            }
        });
        if !faults.is_empty() {
            failures.push(format!("{}: verified, then faulted", case.name));
        }
        let mut fail = |what: String| failures.push(format!("{}: {what}", case.name));
        // What this verifier must do, and the words it must give.
        let (should_load, words) = match &case.ours {
            Some(o) => (o.is_none(), o.clone()),
            None => (must_load, case.expect.clone()),
        };
        match (&ours, should_load) {
            (Ok(()), true) => {}
            (Err((e, log)), true) => fail(format!("refused ({e}):\n{log}")),
            (Ok(()), false) => fail("loaded, but must be refused".into()),
            (Err((_, log)), false) => {
                if let Some(want) = &words {
                    if !log.contains(want.as_str()) {
                        fail(format!("log lacks `{want}`:\n{log}"));
                    }
                }
            }
        }
        if let Some(l) = &linux {
            let theirs = load(l, case);
            match (case.ours.is_some(), theirs.is_ok() == must_load) {
                (_, false) => fail(format!(
                    "Linux decides otherwise than the suite: {:?}",
                    theirs.map_err(|e| e.0)
                )),
                (true, _) => deliberate += 1,
                (false, _) => agreed += usize::from(theirs.is_ok() == ours.is_ok()),
            }
        }
    }
    println!(
        "{file}: {} cases; where Linux was there to ask, {agreed} decided as Linux decides, {deliberate} deliberately not",
        cases.len()
    );
    close_all_and_expect_none_alive(&host);
    (cases.len(), failures)
}

#[test]
fn unsafe_programs_are_refused_with_linux_words() {
    let (n, failures) = run("reject.txt", false);
    assert!(n >= 100, "the reject suite has {n} cases");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn safe_programs_load() {
    let (n, failures) = run("accept.txt", true);
    assert!(n >= 40, "the accept suite has {n} cases");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
