//! Showing what programs left: maps as tables, histograms as bar charts,
//! stack traces with symbols, events as words and strings.

use abi::MapType;
use kernel_bpf::hosted::sim;
use std::fmt::Write;
use user_bindings::hosted::HostedBackend;
use user_bindings::Client;

/// Rows a table shows before it says how many more there are.
const MAX_ROWS: usize = 20;

/// A map to show: its name and info.
pub struct Shown {
    /// Name as the object gave it.
    pub name: String,
    /// Its fd.
    pub fd: u32,
    /// Its info.
    pub info: abi::MapInfo,
}

fn le_u64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    u64::from_ne_bytes(w)
}

/// A C string, if `b` is printable text NUL-padded (at least 2 characters).
fn text(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let (s, pad) = b.split_at(end);
    (s.len() >= 2 && s.iter().all(|c| c.is_ascii_graphic() || *c == b' ') && pad.iter().all(|&c| c == 0))
        .then(|| String::from_utf8_lossy(s).into_owned())
}

/// A key or value: a number for 1, 2, 4 and 8 bytes, text if it is text,
/// hex otherwise.
pub fn scalar(b: &[u8]) -> String {
    if let Some(t) = text(b) {
        return format!("\"{t}\"");
    }
    match b.len() {
        1 | 2 | 4 | 8 => le_u64(b).to_string(),
        _ => hex(b),
    }
}

fn hex(b: &[u8]) -> String {
    let shown: Vec<String> = b.iter().take(32).map(|x| format!("{x:02x}")).collect();
    let more = if b.len() > 32 { "…" } else { "" };
    format!("{}{more}", shown.join(""))
}

/// An event record: its bytes as 4-byte words, with NUL-terminated text
/// runs shown as strings. The zeros after a string are taken as the rest of
/// its char array (up to the word of the next non-zero byte).
pub fn event(b: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let run = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_graphic() || **c == b' ')
            .count();
        if run >= 3 && b.get(i + run) == Some(&0) {
            parts.push(format!("\"{}\"", String::from_utf8_lossy(&b[i..i + run])));
            let nul = i + run;
            i = match b[nul..].iter().position(|&c| c != 0) {
                Some(k) => ((nul + k) & !3).max(nul + 1),
                None => b.len(),
            };
            continue;
        }
        let end = (i + 4).min(b.len());
        parts.push((le_u64(&b[i..end]) as u32 as i32).to_string());
        i = end;
    }
    parts.join(" ")
}

/// The symbol of a simulated kernel address, as `name+0xoff`.
pub fn symbol(addr: u64) -> String {
    sim::FUNCTIONS
        .iter()
        .filter(|f| f.1 <= addr && addr - f.1 < 0x10000)
        .map(|f| format!("{}+{:#x}", f.0, addr - f.1))
        .next()
        .unwrap_or_else(|| format!("{addr:#x}"))
}

/// Every element of a map: (key, value as the syscall returns it).
fn entries(c: &Client<HostedBackend>, m: &Shown, value_len: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut key: Option<Vec<u8>> = None;
    while let Ok(next) = c.next_key(m.fd, key.as_deref(), m.info.key_size as usize) {
        if let Ok(v) = c.lookup(m.fd, Some(&next), value_len) {
            out.push((next.clone(), v));
        }
        key = Some(next);
        if out.len() > 100_000 {
            break;
        }
    }
    out
}

/// A bar of `n` out of `max`, `width` characters at most.
fn bar(n: u64, max: u64, width: usize) -> String {
    let len = if max == 0 {
        0
    } else {
        (n as u128 * width as u128 / max as u128) as usize
    };
    "█".repeat(len.max(usize::from(n > 0)))
}

/// Shows one map.
pub fn map(c: &Client<HostedBackend>, m: &Shown, cpus: u32) -> String {
    let info = &m.info;
    let t = MapType::try_from(info.r#type).ok();
    let type_name = t.map_or("?".into(), |t| {
        t.c_name().trim_start_matches("BPF_MAP_TYPE_").to_lowercase()
    });
    let mut s = format!(
        "map {} ({type_name}, key {} B, value {} B, max {})\n",
        m.name, info.key_size, info.value_size, info.max_entries
    );
    let percpu = matches!(
        t,
        Some(MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash)
    );
    let value_len = if percpu {
        info.value_size.div_ceil(8) as usize * 8 * cpus as usize
    } else {
        info.value_size as usize
    };
    match t {
        Some(MapType::Ringbuf | MapType::PerfEventArray) => {
            s += "  (events: shown as they arrived)\n";
            return s;
        }
        Some(MapType::ProgArray) => {
            let n = entries(c, m, 4).len();
            let _ = writeln!(s, "  {n} program(s) in the jump table");
            return s;
        }
        _ => {}
    }
    let mut rows = entries(c, m, value_len);
    // Per-CPU values of one word: the sum over CPUs.
    if percpu && info.value_size == 8 {
        for (_, v) in &mut rows {
            let sum: u64 = v.chunks(8).map(le_u64).sum();
            *v = sum.to_ne_bytes().to_vec();
        }
    }
    if rows.is_empty() {
        s += "  (empty)\n";
        return s;
    }
    if t == Some(MapType::StackTrace) {
        for (k, v) in rows.iter().take(MAX_ROWS) {
            let frames: Vec<String> = v.chunks(8).map(le_u64).take_while(|&a| a != 0).map(symbol).collect();
            let _ = writeln!(s, "  stack {}: {}", le_u64(k), frames.join(" <- "));
        }
        return s;
    }
    let is_hist = m.name.contains("hist") && info.value_size == 8 && info.key_size == 4;
    if is_hist {
        let counts: Vec<(u64, u64)> = rows.iter().map(|(k, v)| (le_u64(k), le_u64(v))).collect();
        let (Some(first), Some(last)) = (
            counts.iter().position(|c| c.1 > 0),
            counts.iter().rposition(|c| c.1 > 0),
        ) else {
            s += "  (all zero)\n";
            return s;
        };
        let max = counts.iter().map(|c| c.1).max().unwrap_or(0);
        for &(k, n) in &counts[first..=last] {
            let lo = if k == 0 { 0 } else { 1u64 << k };
            let hi = (1u64 << (k + 1)) - 1;
            let _ = writeln!(s, "  {lo:>10} .. {hi:<10} {n:>8} |{}", bar(n, max, 40));
        }
        return s;
    }
    if m.name.starts_with('.') {
        // Global data: the section's bytes.
        for (_, v) in &rows {
            for (i, chunk) in v.chunks(16).enumerate() {
                let words: Vec<String> = chunk.chunks(8).map(|w| le_u64(w).to_string()).collect();
                let ascii: String = chunk
                    .iter()
                    .map(|&c| {
                        if c.is_ascii_graphic() || c == b' ' {
                            c as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "  +{:<4} {:<32}  {ascii:<16}  {}",
                    i * 16,
                    hex(chunk),
                    words.join(" ")
                );
            }
        }
        return s;
    }
    // Numeric values: the largest first.
    if info.value_size <= 8 {
        rows.sort_by_key(|(_, v)| std::cmp::Reverse(le_u64(v)));
    }
    for (k, v) in rows.iter().take(MAX_ROWS) {
        let _ = writeln!(s, "  {:>24} : {}", scalar(k), scalar(v));
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(s, "  … {} more", rows.len() - MAX_ROWS);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_events_read_as_numbers_and_text() {
        assert_eq!(scalar(&7u32.to_ne_bytes()), "7");
        assert_eq!(scalar(b"bash\0\0\0\0\0\0\0\0\0\0\0\0"), "\"bash\"");
        assert_eq!(scalar(&[1, 2, 3]), "010203");
        let mut ev = Vec::new();
        ev.extend_from_slice(&230u32.to_ne_bytes());
        ev.extend_from_slice(&(-9i32).to_ne_bytes());
        ev.extend_from_slice(b"cat\0\0\0\0\0\0\0\0\0\0\0\0\0");
        ev.extend_from_slice(&5u32.to_ne_bytes());
        assert_eq!(event(&ev), "230 -9 \"cat\" 5");
        assert_eq!(bar(5, 10, 40).chars().count(), 20);
        assert_eq!(bar(1, 1000, 40).chars().count(), 1, "a count is never invisible");
    }
}
