//! Program sections: which program type a section name stands for, and
//! what it attaches to, following libbpf's section names (and the prefix
//! matching of older loaders, so `socket1` and `xdp_prog` still load).

use abi::{AttachType, ProgType};

/// Where a program wants to be attached, as its section name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Nothing named (sockets, XDP, classifiers, perf events, ...).
    None,
    /// A kprobe on a function.
    Kprobe(alloc::string::String),
    /// A kretprobe on a function.
    Kretprobe(alloc::string::String),
    /// A tracepoint `category/name`.
    Tracepoint(alloc::string::String, alloc::string::String),
    /// A raw tracepoint.
    RawTracepoint(alloc::string::String),
}

/// What a program section name says about its programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionKind {
    /// The program type.
    pub prog_type: ProgType,
    /// The attach type BPF_PROG_LOAD expects, if the type needs one.
    pub expected_attach_type: Option<AttachType>,
    /// The attach point named after the prefix.
    pub target: Target,
}

/// How a prefix matches.
#[derive(Clone, Copy)]
enum Match {
    /// The name is exactly the prefix, or the prefix then `/...`.
    Exact,
    /// The name starts with the prefix (older loaders: `socket1`).
    Prefix,
    /// The prefix ends in `/` and something must follow.
    Arg,
}

/// libbpf's table, the names real objects use most. Longer prefixes first.
const SECTIONS: &[(&str, Match, ProgType, Option<AttachType>)] = &[
    ("kprobe/", Match::Arg, ProgType::Kprobe, None),
    ("kretprobe/", Match::Arg, ProgType::Kprobe, None),
    ("uprobe", Match::Exact, ProgType::Kprobe, None),
    ("uretprobe", Match::Exact, ProgType::Kprobe, None),
    ("tracepoint/", Match::Arg, ProgType::Tracepoint, None),
    ("tp/", Match::Arg, ProgType::Tracepoint, None),
    ("raw_tracepoint.w/", Match::Arg, ProgType::RawTracepointWritable, None),
    ("raw_tp.w/", Match::Arg, ProgType::RawTracepointWritable, None),
    ("raw_tracepoint/", Match::Arg, ProgType::RawTracepoint, None),
    ("raw_tp/", Match::Arg, ProgType::RawTracepoint, None),
    ("tp_btf/", Match::Arg, ProgType::Tracing, Some(AttachType::TraceRawTp)),
    ("fentry/", Match::Arg, ProgType::Tracing, Some(AttachType::TraceFentry)),
    ("fexit/", Match::Arg, ProgType::Tracing, Some(AttachType::TraceFexit)),
    (
        "fmod_ret/",
        Match::Arg,
        ProgType::Tracing,
        Some(AttachType::ModifyReturn),
    ),
    ("lsm/", Match::Arg, ProgType::Lsm, Some(AttachType::LsmMac)),
    ("iter/", Match::Arg, ProgType::Tracing, Some(AttachType::TraceIter)),
    ("perf_event", Match::Exact, ProgType::PerfEvent, None),
    ("socket", Match::Prefix, ProgType::SocketFilter, None),
    ("sk_reuseport", Match::Exact, ProgType::SkReuseport, None),
    ("xdp", Match::Prefix, ProgType::Xdp, None),
    ("classifier", Match::Prefix, ProgType::SchedCls, None),
    ("tc", Match::Exact, ProgType::SchedCls, None),
    ("action", Match::Prefix, ProgType::SchedAct, None),
    (
        "cgroup_skb/ingress",
        Match::Exact,
        ProgType::CgroupSkb,
        Some(AttachType::CgroupInetIngress),
    ),
    (
        "cgroup_skb/egress",
        Match::Exact,
        ProgType::CgroupSkb,
        Some(AttachType::CgroupInetEgress),
    ),
    ("cgroup/skb", Match::Exact, ProgType::CgroupSkb, None),
    (
        "cgroup/sock",
        Match::Exact,
        ProgType::CgroupSock,
        Some(AttachType::CgroupInetSockCreate),
    ),
    (
        "cgroup/dev",
        Match::Exact,
        ProgType::CgroupDevice,
        Some(AttachType::CgroupDevice),
    ),
    (
        "cgroup/sysctl",
        Match::Exact,
        ProgType::CgroupSysctl,
        Some(AttachType::CgroupSysctl),
    ),
    (
        "sockops",
        Match::Exact,
        ProgType::SockOps,
        Some(AttachType::CgroupSockOps),
    ),
    (
        "sk_skb/stream_parser",
        Match::Exact,
        ProgType::SkSkb,
        Some(AttachType::SkSkbStreamParser),
    ),
    (
        "sk_skb/stream_verdict",
        Match::Exact,
        ProgType::SkSkb,
        Some(AttachType::SkSkbStreamVerdict),
    ),
    ("sk_skb", Match::Prefix, ProgType::SkSkb, None),
    ("sk_msg", Match::Exact, ProgType::SkMsg, Some(AttachType::SkMsgVerdict)),
    ("lwt_in", Match::Exact, ProgType::LwtIn, None),
    ("lwt_out", Match::Exact, ProgType::LwtOut, None),
    ("lwt_xmit", Match::Exact, ProgType::LwtXmit, None),
    ("lwt_seg6local", Match::Exact, ProgType::LwtSeg6local, None),
    (
        "flow_dissector",
        Match::Exact,
        ProgType::FlowDissector,
        Some(AttachType::FlowDissector),
    ),
    ("syscall", Match::Exact, ProgType::Syscall, None),
];

/// The program type and target of section `name`, or `None` for a section
/// that is not a program section libbpf knows.
pub fn classify(name: &str) -> Option<SectionKind> {
    for &(prefix, how, prog_type, expected_attach_type) in SECTIONS {
        let rest = match how {
            Match::Exact if name == prefix => "",
            Match::Exact => match name.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r,
                None => continue,
            },
            Match::Prefix => match name.strip_prefix(prefix) {
                Some(r) => r,
                None => continue,
            },
            Match::Arg => match name.strip_prefix(prefix) {
                Some(r) if !r.is_empty() => r,
                _ => continue,
            },
        };
        let target = match prefix {
            "kprobe/" => Target::Kprobe(rest.into()),
            "kretprobe/" => Target::Kretprobe(rest.into()),
            "tracepoint/" | "tp/" => match rest.split_once('/') {
                Some((cat, tp)) if !cat.is_empty() && !tp.is_empty() => Target::Tracepoint(cat.into(), tp.into()),
                _ => Target::None,
            },
            "raw_tracepoint/" | "raw_tp/" | "raw_tracepoint.w/" | "raw_tp.w/" => Target::RawTracepoint(rest.into()),
            _ => Target::None,
        };
        return Some(SectionKind {
            prog_type,
            expected_attach_type,
            target,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libbpf_names_and_legacy_prefixes() {
        let k = classify("kprobe/vfs_read").unwrap();
        assert_eq!(
            (k.prog_type, k.target),
            (ProgType::Kprobe, Target::Kprobe("vfs_read".into()))
        );
        assert_eq!(
            classify("kretprobe/vfs_read").unwrap().target,
            Target::Kretprobe("vfs_read".into())
        );
        assert_eq!(
            classify("tp/sched/sched_switch").unwrap().target,
            Target::Tracepoint("sched".into(), "sched_switch".into())
        );
        assert_eq!(classify("raw_tp/sys_enter").unwrap().prog_type, ProgType::RawTracepoint);
        assert_eq!(classify("socket1").unwrap().prog_type, ProgType::SocketFilter);
        assert_eq!(classify("xdp").unwrap().prog_type, ProgType::Xdp);
        assert_eq!(classify("classifier").unwrap().prog_type, ProgType::SchedCls);
        assert_eq!(classify("tc").unwrap().prog_type, ProgType::SchedCls);
        assert_eq!(classify("perf_event").unwrap().prog_type, ProgType::PerfEvent);
        assert_eq!(classify("kprobe/"), None, "a kprobe needs a function");
        assert_eq!(classify("license"), None);
        assert_eq!(classify("tcx"), None);
    }
}
