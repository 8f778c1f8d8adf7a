//! Target strings: what BPF_PROG_ATTACH names, parsed.

use crate::elf::{SectionKind, Target as SectionTarget};
use crate::error::{Error, Result};
use abi::ProgType;
use alloc::format;
use alloc::string::String;

/// The kind of a probe point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    /// Entry of a kernel function.
    Kprobe,
    /// A kretprobe's entry handler (the original's `kretprobe@entry`).
    KretprobeEntry,
    /// A kretprobe's return handler: sees the return value.
    KretprobeExit,
    /// A tracepoint, `category:name`.
    Tracepoint,
    /// A raw tracepoint, by name.
    RawTracepoint,
}

impl ProbeKind {
    /// The program types that may attach here.
    pub fn accepts(self, t: ProgType) -> bool {
        match self {
            ProbeKind::Kprobe | ProbeKind::KretprobeEntry | ProbeKind::KretprobeExit => t == ProgType::Kprobe,
            ProbeKind::Tracepoint => t == ProgType::Tracepoint,
            ProbeKind::RawTracepoint => matches!(t, ProgType::RawTracepoint | ProgType::RawTracepointWritable),
        }
    }

    /// Whether the point is a function probe (its target is a symbol).
    pub fn is_function(self) -> bool {
        matches!(
            self,
            ProbeKind::Kprobe | ProbeKind::KretprobeEntry | ProbeKind::KretprobeExit
        )
    }
}

/// A parsed target: a kind and a name (a function, `category:name`, or a
/// raw tracepoint).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// What kind of point.
    pub kind: ProbeKind,
    /// The function or tracepoint name.
    pub name: String,
}

impl Target {
    /// Parses a target string.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown form or an empty name.
    pub fn parse(s: &str) -> Result<Target> {
        let (kind, name) = if let Some(f) = s.strip_prefix("kprobe:") {
            (ProbeKind::Kprobe, f)
        } else if let Some(f) = s.strip_prefix("kretprobe@entry:") {
            (ProbeKind::KretprobeEntry, f)
        } else if let Some(f) = s.strip_prefix("kretprobe@exit:") {
            (ProbeKind::KretprobeExit, f)
        } else if let Some(t) = s.strip_prefix("tracepoint:") {
            match t.split_once(':') {
                Some((c, n)) if !c.is_empty() && !n.is_empty() && !n.contains(':') => (ProbeKind::Tracepoint, t),
                _ => return Err(Error::InvalidArgument),
            }
        } else if let Some(n) = s.strip_prefix("raw_tracepoint:") {
            (ProbeKind::RawTracepoint, n)
        } else {
            return Err(Error::InvalidArgument);
        };
        if name.is_empty() || name.bytes().any(|c| c.is_ascii_whitespace() || c == 0) {
            return Err(Error::InvalidArgument);
        }
        Ok(Target {
            kind,
            name: name.into(),
        })
    }

    /// The target string of an ELF program's section (`kprobe/vfs_read` is
    /// `kprobe:vfs_read`, `kretprobe/f` is `kretprobe@exit:f`, ...), if it
    /// names one.
    pub fn of_section(kind: &SectionKind) -> Option<String> {
        Some(match &kind.target {
            SectionTarget::Kprobe(f) => format!("kprobe:{f}"),
            SectionTarget::Kretprobe(f) => format!("kretprobe@exit:{f}"),
            SectionTarget::Tracepoint(c, n) => format!("tracepoint:{c}:{n}"),
            SectionTarget::RawTracepoint(n) => format!("raw_tracepoint:{n}"),
            SectionTarget::None => return None,
        })
    }
}

impl core::fmt::Display for Target {
    /// The target string BPF_PROG_ATTACH takes.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let prefix = match self.kind {
            ProbeKind::Kprobe => "kprobe",
            ProbeKind::KretprobeEntry => "kretprobe@entry",
            ProbeKind::KretprobeExit => "kretprobe@exit",
            ProbeKind::Tracepoint => "tracepoint",
            ProbeKind::RawTracepoint => "raw_tracepoint",
        };
        write!(f, "{prefix}:{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn target_strings() {
        let t = Target::parse("kprobe:vfs_read").unwrap();
        assert_eq!((t.kind, t.name.as_str()), (ProbeKind::Kprobe, "vfs_read"));
        assert_eq!(
            Target::parse("kretprobe@exit:f").unwrap().kind,
            ProbeKind::KretprobeExit
        );
        assert_eq!(
            Target::parse("kretprobe@entry:f").unwrap().kind,
            ProbeKind::KretprobeEntry
        );
        assert_eq!(
            Target::parse("tracepoint:sched:sched_switch").unwrap().name,
            "sched:sched_switch"
        );
        assert_eq!(
            Target::parse("raw_tracepoint:sys_enter").unwrap().kind,
            ProbeKind::RawTracepoint
        );
        for s in [
            "kprobe:f",
            "kretprobe@entry:f",
            "kretprobe@exit:f",
            "tracepoint:a:b",
            "raw_tracepoint:r",
        ] {
            assert_eq!(Target::parse(s).unwrap().to_string(), s);
        }
        for bad in [
            "",
            "kprobe:",
            "kprobe",
            "uprobe:f",
            "tracepoint:sched",
            "tracepoint::x",
            "tracepoint:a:b:c",
            "kprobe:a b",
        ] {
            assert_eq!(Target::parse(bad), Err(Error::InvalidArgument), "{bad:?}");
        }
    }
}
