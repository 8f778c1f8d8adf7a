//! The command-line tool as a user runs it.

use std::path::PathBuf;
use std::process::Command;

fn rcbpf(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rcbpf"))
        .args(args)
        .output()
        .expect("rcbpf runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(p)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn help_explains_every_command_and_option() {
    let (code, out, _) = rcbpf(&["--help"]);
    assert_eq!(code, 0);
    for cmd in ["run", "check", "probes", "examples"] {
        assert!(out.contains(cmd), "--help names {cmd}:\n{out}");
    }
    let (_, out, _) = rcbpf(&["run", "--help"]);
    for opt in [
        "--steps",
        "--seed",
        "--cpus",
        "--attach",
        "--max-events",
        "--no-progress",
    ] {
        assert!(out.contains(opt), "run --help explains {opt}:\n{out}");
    }
    let (_, out, _) = rcbpf(&["check", "--help"]);
    assert!(out.contains("--json"));
}

#[test]
fn the_default_run_loads_attaches_and_shows_maps_and_events() {
    let (code, out, err) = rcbpf(&["--help"]);
    assert_eq!(code, 0, "{err}");
    let (code, out1, err) = rcbpf(&["run", "--steps", "300", "--no-progress"]);
    assert_eq!(code, 0, "{out1}\n{err}");
    for want in [
        "attached to raw_tracepoint:sys_enter",
        "attached to kprobe:vfs_read",
        "attached to kretprobe@exit:vfs_read",
        "attached to tracepoint:syscalls:sys_enter_openat",
        "map hist",
        "event events:",
        "event perf_events cpu",
        "done: 300 opens",
    ] {
        assert!(out1.contains(want), "{want:?} missing:\n{out1}");
    }
    assert!(out1.contains('█'), "a histogram bar");
    // The workload is deterministic: the same seed, the same output.
    let (_, out2, _) = rcbpf(&["run", "--steps", "300", "--no-progress"]);
    assert_eq!(out1, out2);
    let _ = out;
}

#[test]
fn check_reports_each_program_as_json_lines() {
    let dir = repo("tests/bpf");
    let objects: Vec<String> = ["legacy_maps", "mit_gpl_helper", "btf_maps", "subprogs"]
        .iter()
        .map(|n| format!("{dir}/{n}.o"))
        .collect();
    let mut args = vec!["check", "--json"];
    args.extend(objects.iter().map(String::as_str));
    let (code, out, _) = rcbpf(&args);
    assert_eq!(code, 1, "a rejected program makes check fail");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2 + 1 + 2 + 4, "one line per program");
    for l in &lines {
        let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        let mut keys = keys.clone();
        keys.sort();
        assert_eq!(
            keys,
            [
                "errno",
                "error",
                "insns",
                "loaded",
                "name",
                "object",
                "prog_type",
                "section"
            ]
        );
    }
    let gpl = lines.iter().find(|l| l["name"] == "peek_schedule").unwrap();
    assert_eq!(gpl["loaded"], false);
    assert_eq!(gpl["errno"], 22);
    assert!(gpl["error"].as_str().unwrap().contains("GPL"), "{gpl}");
    // A map of maps is created with its inner map as the template.
    let mim = lines.iter().find(|l| l["name"] == "trace_switch").unwrap();
    assert_eq!(mim["loaded"], true, "{mim}");
    let ok = lines.iter().find(|l| l["name"] == "count_reads").unwrap();
    assert_eq!(
        (ok["loaded"].clone(), ok["errno"].clone()),
        (true.into(), serde_json::Value::Null)
    );
    assert_eq!(ok["prog_type"], "kprobe");
    assert_eq!(ok["section"], "kprobe/vfs_read");
    assert!(ok["insns"].as_u64().unwrap() > 10);
    // The plain form: one line per program too.
    let (code, out, _) = rcbpf(&["check", &objects[0], &objects[3]]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 6);
    assert!(out.lines().all(|l| l.ends_with("loaded")), "{out}");
}

#[test]
fn every_example_checks_and_runs() {
    let (code, out, _) = rcbpf(&["examples"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = out.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(names.len() >= 7);
    let mut args = vec!["check"];
    args.extend(names.iter().copied());
    let (code, out, _) = rcbpf(&args);
    assert_eq!(code, 0, "{out}");
    for n in names {
        let (code, out, err) = rcbpf(&["run", "--steps", "50", "--no-progress", n]);
        assert_eq!(code, 0, "{n}:\n{out}\n{err}");
    }
}

#[test]
fn bad_input_is_a_message_not_a_panic() {
    let (code, _, err) = rcbpf(&["run", "/no/such/object.o"]);
    assert_eq!(code, 1);
    assert!(err.contains("/no/such/object.o"), "{err}");
    let junk = std::env::temp_dir().join(format!("rcbpf-junk-{}.o", std::process::id()));
    std::fs::write(&junk, b"\x7fELF\x02\x01\x01 definitely not an object").unwrap();
    let (code, out, _) = rcbpf(&["check", junk.to_str().unwrap()]);
    std::fs::remove_file(&junk).unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("rejected") && out.contains("ELF header"), "{out}");
    let (code, _, err) = rcbpf(&["run", "--attach", "nope", "latency"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_rejected_object_prints_the_log_and_a_program_can_be_attached_by_hand() {
    let (code, out, _) = rcbpf(&[
        "run",
        "--no-progress",
        "--steps",
        "10",
        &repo("tests/bpf/mit_gpl_helper.o"),
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("rejected (errno 22)") && out.contains("GPL-restricted function"),
        "{out}"
    );
    // The xdp object's program names no probe point; attach it by hand is
    // refused (a packet program on a kprobe), and said so.
    let (code, out, _) = rcbpf(&[
        "run",
        "--no-progress",
        "--steps",
        "10",
        "--attach",
        "xdp_filter=kprobe:vfs_read",
        &repo("tests/bpf/xdp.o"),
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("not attached (its section names no probe point)"), "{out}");
    assert!(
        out.contains("xdp_filter not attached to kprobe:vfs_read: errno 22"),
        "{out}"
    );
    // A kprobe program attached again, by hand, to another point.
    let (code, out, _) = rcbpf(&[
        "run",
        "--no-progress",
        "--steps",
        "10",
        "--attach",
        "read_entry=kprobe:vfs_write",
        "latency",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("kprobe:vfs_write"), "{out}");
}
