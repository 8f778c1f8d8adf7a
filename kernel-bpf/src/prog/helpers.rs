//! Helper functions, dispatched by the generated helper table, with their
//! Linux meaning. Arguments that point into program memory are checked
//! through the run's [`Memory`]; helpers report ordinary failures as
//! negative errnos in r0, as Linux does.

use crate::error::{Error, Result};
use crate::map::{is_map_in_map, Map, MapInMap, PerfEventArray, ProgArray, RingBuf, StackTrace};
use crate::platform::Platform;
use crate::prog::interp::code::Code;
use crate::prog::interp::mem::Memory;
use crate::prog::interp::Env;
use crate::prog::Program;
use crate::syscall::Bpf;
use abi::{Errno, Helper, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, BPF_F_USER_STACK, BPF_MAX_STACK_DEPTH};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;

/// The helpers a program calls, for one run on the current CPU.
pub struct KernelEnv<'a, P: Platform> {
    /// The subsystem (platform, objects).
    pub bpf: &'a Bpf<P>,
    /// The program the run started with (its maps), borrowed: a run
    /// touches no reference count unless it tail-calls.
    pub prog: &'a Arc<Program>,
    /// The program a tail call switched to, which the run then holds.
    pub tail: Option<Arc<Program>>,
    /// The probed function's address, for bpf_get_func_ip (0 outside
    /// function probes).
    pub func_ip: u64,
    /// Inner maps the run looked up in maps of maps; a handle
    /// `INNER_HANDLE_TAG | i` names `inner[i]` (held until the run ends).
    pub inner: Vec<Arc<dyn Map>>,
}

/// Bytes a helper reads on its stack rather than allocating (keys).
const SMALL: usize = 64;

/// The high bits of the handle of an inner map (see [`KernelEnv::inner`]).
pub const INNER_HANDLE_TAG: u64 = 0xffff_b9f1_0000_0000;

/// Queues and stacks, which programs use through push, pop and peek only.
fn is_queue(d: &crate::map::MapDef) -> bool {
    matches!(d.map_type, abi::MapType::Queue | abi::MapType::Stack)
}

fn neg(e: Errno) -> u64 {
    (-i64::from(e.raw())) as u64
}

fn err_code(e: Error) -> u64 {
    neg(e.errno())
}

impl<P: Platform> KernelEnv<'_, P> {
    /// The program running now: the last one tail-called, else the first.
    fn running(&self) -> &Program {
        self.tail.as_deref().unwrap_or(self.prog)
    }

    fn map(&self, handle: u64) -> Option<&Arc<dyn Map>> {
        if handle & !0xffff_ffff == INNER_HANDLE_TAG {
            return self.inner.get((handle & 0xffff_ffff) as usize);
        }
        self.running().map_of(handle)
    }

    /// Program memory at `addr`, if all `len` bytes may be read (checked
    /// before allocating, so a huge `len` costs nothing).
    fn read(mem: &Memory, addr: u64, len: usize) -> Option<Vec<u8>> {
        if !mem.check(addr, len as u64, false) {
            return None;
        }
        let mut v = vec![0u8; len];
        mem.read_bytes(addr, &mut v)?;
        Some(v)
    }

    /// [`KernelEnv::read`] into `small` when `len` fits (keys, mostly: no
    /// allocation on the lookup path), else into `big`.
    fn read_into<'b>(
        mem: &Memory,
        addr: u64,
        len: usize,
        small: &'b mut [u8; SMALL],
        big: &'b mut Vec<u8>,
    ) -> Option<&'b [u8]> {
        if !mem.check(addr, len as u64, false) {
            return None;
        }
        let buf = match small.get_mut(..len) {
            Some(b) => b,
            None => {
                big.resize(len, 0);
                big.as_mut_slice()
            }
        };
        mem.read_bytes(addr, buf)?;
        Some(buf)
    }

    /// probe_read(_user/_kernel): fills `size` bytes at `dst` from `src`, or
    /// zeros and -EFAULT.
    fn probe_read(&self, mem: &Memory, dst: u64, size: u64, src: u64, user: bool) -> u64 {
        if !mem.check(dst, size, true) {
            return neg(Errno::EFAULT);
        }
        let mut buf = vec![0u8; size as usize];
        let r = if user {
            self.bpf.platform.copy_from_user(src, &mut buf)
        } else {
            self.bpf.platform.read_kernel(src, &mut buf)
        };
        if r.is_err() {
            buf.fill(0);
        }
        if mem.write_bytes(dst, &buf).is_none() {
            return neg(Errno::EFAULT);
        }
        r.map_or_else(err_code, |()| 0)
    }

    /// probe_read_*_str: a NUL-terminated copy of at most `size` bytes;
    /// returns its length with the NUL.
    fn probe_read_str(&self, mem: &Memory, dst: u64, size: u64, src: u64, user: bool) -> u64 {
        if size == 0 {
            return 0;
        }
        if !mem.check(dst, size, true) {
            return neg(Errno::EFAULT);
        }
        let mut buf = vec![0u8; size as usize];
        let mut n = 0usize;
        while n + 1 < buf.len() {
            let mut b = [0u8; 1];
            let addr = src.wrapping_add(n as u64);
            let r = if user {
                self.bpf.platform.copy_from_user(addr, &mut b)
            } else {
                self.bpf.platform.read_kernel(addr, &mut b)
            };
            if r.is_err() {
                let _ = mem.write_bytes(dst, &vec![0u8; size as usize]);
                return neg(Errno::EFAULT);
            }
            if b[0] == 0 {
                break;
            }
            buf[n] = b[0];
            n += 1;
        }
        buf[n] = 0;
        if mem.write_bytes(dst, &buf[..=n]).is_none() {
            return neg(Errno::EFAULT);
        }
        (n + 1) as u64
    }

    fn ringbuf_of(&self, ptr: u64) -> Option<(&RingBuf, u64)> {
        self.running().maps.iter().find_map(|m| {
            let rb = m.as_any().downcast_ref::<RingBuf>()?;
            Some((rb, rb.offset_of(ptr as *const u8)?))
        })
    }
}

/// bpf_trace_printk's format subset: `%d %i %u %x %ld %li %lu %lx %lld %lli
/// %llu %llx %p %s %c %%`, at most three arguments.
fn format(fmt: &[u8], args: [u64; 3], read_str: &dyn Fn(u64) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c == 0 {
            break;
        }
        if c != b'%' {
            out.push(c as char);
            i += 1;
            continue;
        }
        i += 1;
        let mut longs = 0;
        while fmt.get(i) == Some(&b'l') {
            longs += 1;
            i += 1;
        }
        let conv = *fmt.get(i)?;
        i += 1;
        if conv == b'%' && longs == 0 {
            out.push('%');
            continue;
        }
        let v = *next.next()?;
        let _ = match (conv, longs) {
            (b'd' | b'i', 0) => write!(out, "{}", v as i32),
            (b'd' | b'i', _) => write!(out, "{}", v as i64),
            (b'u', 0) => write!(out, "{}", v as u32),
            (b'u', _) => write!(out, "{v}"),
            (b'x', 0) => write!(out, "{:x}", v as u32),
            (b'x', _) => write!(out, "{v:x}"),
            (b'p', 0) => write!(out, "0x{v:x}"),
            (b'c', 0) => write!(out, "{}", v as u8 as char),
            (b's', 0) => write!(out, "{}", read_str(v)?),
            _ => return None,
        };
    }
    Some(out)
}

impl<P: Platform> Env for KernelEnv<'_, P> {
    fn tail_call(&mut self, prog_array: u64, index: u64, mem: &mut Memory) -> Option<Arc<Code>> {
        let m = self.map(prog_array)?;
        let pa = m.as_any().downcast_ref::<ProgArray>()?;
        let next = pa.get(u32::try_from(index).ok()?)?.prog;
        next.lend_values(mem);
        let code = next.code.clone();
        self.tail = Some(next);
        Some(code)
    }

    fn call(&mut self, id: u32, a: [u64; 5], mem: &mut Memory) -> Result<u64> {
        let helper = Helper::try_from(id).map_err(|_| Error::UnknownHelper { id })?;
        let p = &self.bpf.platform;
        let cpu = p.cpu_id();
        Ok(match helper {
            Helper::MapLookupElem => {
                let Some(m) = self.map(a[0]).filter(|m| !is_queue(m.def())).cloned() else {
                    return Ok(0);
                };
                let d = m.def();
                let (mut small, mut big) = ([0u8; SMALL], Vec::new());
                let Some(key) = Self::read_into(mem, a[1], d.key_size as usize, &mut small, &mut big) else {
                    return Ok(0);
                };
                // (The type is checked first: a plain lookup stays one compare.)
                if let Some(outer) = is_map_in_map(d.map_type)
                    .then(|| m.as_any().downcast_ref::<MapInMap>())
                    .flatten()
                {
                    // A map of maps gives the inner map, as a handle.
                    let Some(inner) = outer.get(key) else { return Ok(0) };
                    let i = match self.inner.iter().position(|x| Arc::ptr_eq(x, &inner)) {
                        Some(i) => i,
                        None => {
                            self.inner.push(inner);
                            self.inner.len() - 1
                        }
                    };
                    return Ok(INNER_HANDLE_TAG | i as u64);
                }
                match m.lookup_ptr(key, cpu) {
                    Some(ptr) if d.prog_can_read() => {
                        // The value is the map's: the run may use it while
                        // it keeps the map.
                        mem.keep_map(&m);
                        ptr.as_ptr() as u64
                    }
                    _ => 0,
                }
            }
            Helper::MapUpdateElem | Helper::MapPushElem => {
                let Some(m) = self.map(a[0]) else {
                    return Ok(neg(Errno::EINVAL));
                };
                let d = m.def();
                if (helper == Helper::MapPushElem) != is_queue(d) {
                    // Queues and stacks take push, other maps update.
                    return Ok(neg(Errno::EINVAL));
                }
                if !d.prog_can_write() {
                    return Ok(neg(Errno::EPERM));
                }
                let (key, value, flags) = if helper == Helper::MapPushElem {
                    (Some(Vec::new()), Self::read(mem, a[1], d.value_size as usize), a[2])
                } else {
                    (
                        Self::read(mem, a[1], d.key_size as usize),
                        Self::read(mem, a[2], d.value_size as usize),
                        a[3],
                    )
                };
                let (Some(key), Some(value)) = (key, value) else {
                    return Ok(neg(Errno::EFAULT));
                };
                m.update(&key, &value, flags, Some(cpu)).map_or_else(err_code, |()| 0)
            }
            Helper::MapDeleteElem => {
                let Some(m) = self.map(a[0]).filter(|m| !is_queue(m.def())) else {
                    return Ok(neg(Errno::EINVAL));
                };
                let (mut small, mut big) = ([0u8; SMALL], Vec::new());
                let Some(key) = Self::read_into(mem, a[1], m.def().key_size as usize, &mut small, &mut big) else {
                    return Ok(neg(Errno::EFAULT));
                };
                m.delete(key).map_or_else(err_code, |()| 0)
            }
            Helper::MapPopElem | Helper::MapPeekElem => {
                let Some(m) = self.map(a[0]).filter(|m| is_queue(m.def())) else {
                    return Ok(neg(Errno::EINVAL));
                };
                let mut out = vec![0u8; m.def().value_size as usize];
                let r = if helper == Helper::MapPopElem {
                    m.lookup_and_delete(&[], &mut out)
                } else {
                    m.lookup(&[], &mut out)
                };
                match r {
                    Ok(()) => mem.write_bytes(a[1], &out).map_or(neg(Errno::EFAULT), |()| 0),
                    Err(e) => err_code(e),
                }
            }
            Helper::ProbeRead | Helper::ProbeReadKernel => self.probe_read(mem, a[0], a[1], a[2], false),
            Helper::ProbeReadUser => self.probe_read(mem, a[0], a[1], a[2], true),
            Helper::ProbeReadStr | Helper::ProbeReadKernelStr => self.probe_read_str(mem, a[0], a[1], a[2], false),
            Helper::ProbeReadUserStr => self.probe_read_str(mem, a[0], a[1], a[2], true),
            Helper::KtimeGetNs => p.monotonic_ns(),
            Helper::KtimeGetBootNs => p.boot_ns(),
            Helper::GetPrandomU32 => u64::from(p.random_u32()),
            Helper::GetSmpProcessorId => u64::from(cpu),
            Helper::GetCurrentPidTgid => {
                let t = p.current_task();
                (u64::from(t.tgid) << 32) | u64::from(t.pid)
            }
            Helper::GetCurrentUidGid => {
                let t = p.current_task();
                (u64::from(t.gid) << 32) | u64::from(t.uid)
            }
            Helper::GetCurrentComm => {
                let comm = p.current_task().comm;
                let n = (a[1] as usize).min(comm.len());
                if n == 0 {
                    return Ok(neg(Errno::EINVAL));
                }
                let mut buf = comm[..n].to_vec();
                buf[n - 1] = 0;
                mem.write_bytes(a[0], &buf).map_or(neg(Errno::EFAULT), |()| 0)
            }
            Helper::TracePrintk => {
                let Some(fmt) = Self::read(mem, a[0], a[1] as usize) else {
                    return Ok(neg(Errno::EFAULT));
                };
                let read_str = |addr: u64| {
                    let mut s = String::new();
                    for k in 0..256u64 {
                        let b = mem.load(addr.wrapping_add(k), 1)? as u8;
                        if b == 0 {
                            return Some(s);
                        }
                        s.push(b as char);
                    }
                    Some(s)
                };
                match format(&fmt, [a[2], a[3], a[4]], &read_str) {
                    Some(text) => {
                        p.console(&text);
                        text.len() as u64
                    }
                    None => neg(Errno::EINVAL),
                }
            }
            Helper::RingbufOutput => {
                let Some(rb) = self.map(a[0]).and_then(|m| m.as_any().downcast_ref::<RingBuf>()) else {
                    return Ok(neg(Errno::EINVAL));
                };
                let Some(data) = Self::read(mem, a[1], a[2] as usize) else {
                    return Ok(neg(Errno::EFAULT));
                };
                rb.output(&data).map_or(neg(Errno::EAGAIN), |()| 0)
            }
            Helper::RingbufReserve => {
                let Some(m) = self.map(a[0]).cloned() else { return Ok(0) };
                let Some(rb) = m.as_any().downcast_ref::<RingBuf>() else {
                    return Ok(0);
                };
                let Ok(off) = u32::try_from(a[1])
                    .map_err(|_| Error::SizeTooLarge)
                    .and_then(|n| rb.reserve(n))
                else {
                    return Ok(0);
                };
                match rb.data_ptr(off) {
                    Some(ptr) => {
                        mem.lend(m.clone(), ptr, a[1] as usize, true);
                        ptr.as_ptr() as u64
                    }
                    None => 0,
                }
            }
            Helper::RingbufSubmit | Helper::RingbufDiscard => {
                if let Some((rb, off)) = self.ringbuf_of(a[0]) {
                    let _ = rb.commit(off, helper == Helper::RingbufDiscard);
                }
                0
            }
            Helper::RingbufQuery => match self.map(a[0]).and_then(|m| m.as_any().downcast_ref::<RingBuf>()) {
                Some(rb) => rb.query(a[1]),
                None => 0,
            },
            Helper::PerfEventOutput => {
                let Some(pa) = self.map(a[1]).and_then(|m| m.as_any().downcast_ref::<PerfEventArray>()) else {
                    return Ok(neg(Errno::EINVAL));
                };
                if a[2] & !BPF_F_INDEX_MASK != 0 {
                    // Context bytes (BPF_F_CTXLEN_MASK) are for packet programs.
                    return Ok(neg(Errno::EINVAL));
                }
                let idx = if a[2] == BPF_F_CURRENT_CPU { cpu } else { a[2] as u32 };
                let Some(data) = Self::read(mem, a[3], a[4] as usize) else {
                    return Ok(neg(Errno::EFAULT));
                };
                pa.output(idx, &data).map_or_else(err_code, |()| 0)
            }
            Helper::PerfEventRead => {
                let Some(pa) = self.map(a[0]).and_then(|m| m.as_any().downcast_ref::<PerfEventArray>()) else {
                    return Ok(neg(Errno::EINVAL));
                };
                let idx = if a[1] == BPF_F_CURRENT_CPU { cpu } else { a[1] as u32 };
                // Open slots hold event buffers, not hardware counters.
                match pa.is_open(idx) {
                    None => neg(Errno::E2BIG),
                    Some(false) => neg(Errno::ENOENT),
                    Some(true) => neg(Errno::EOPNOTSUPP),
                }
            }
            Helper::GetStackid => {
                let Some(st) = self.map(a[1]).and_then(|m| m.as_any().downcast_ref::<StackTrace>()) else {
                    return Ok(neg(Errno::EINVAL));
                };
                let mut frames = [0u64; (BPF_MAX_STACK_DEPTH + 256) as usize];
                let n = p.stack_trace(a[2] & BPF_F_USER_STACK != 0, &mut frames);
                match st.store(&frames[..n.min(frames.len())], a[2]) {
                    Ok(id) => u64::from(id),
                    Err(e) => err_code(e),
                }
            }
            Helper::GetCurrentTask => p.current_task_addr(),
            Helper::SkbLoadBytes | Helper::SkbLoadBytesRelative => {
                // Linux: offsets past INT_MAX (0xffff for the relative form)
                // fail, and a failure zeroes the destination.
                let len = a[3] as usize;
                if !mem.check(a[2], a[3], true) {
                    return Ok(neg(Errno::EFAULT));
                }
                let off = a[1] as u32 as usize;
                let bytes = mem.packet(a[0]).and_then(|(pk, buf)| {
                    let start = if helper == Helper::SkbLoadBytes {
                        (off <= i32::MAX as usize).then_some(pk.data + off)?
                    } else if off > 0xffff {
                        return None;
                    } else if a[4] == u64::from(abi::BPF_HDR_START_MAC) {
                        pk.mac + off
                    } else if a[4] == u64::from(abi::BPF_HDR_START_NET) {
                        pk.network + off
                    } else {
                        return None;
                    };
                    (start.checked_add(len)? <= pk.end).then(|| buf[start..start + len].to_vec())
                });
                match bytes {
                    Some(b) => mem.write_bytes(a[2], &b).map_or(neg(Errno::EFAULT), |()| 0),
                    None => {
                        let _ = mem.write_bytes(a[2], &vec![0u8; len]);
                        neg(Errno::EFAULT)
                    }
                }
            }
            Helper::GetSocketCookie => mem.packet(a[0]).map_or(0, |(pk, _)| pk.sock_cookie),
            // The overflow uid (65534) without a socket, as Linux.
            Helper::GetSocketUid => mem
                .packet(a[0])
                .filter(|(pk, _)| pk.sock_cookie != 0)
                .map_or(65534, |(pk, _)| u64::from(pk.sock_uid)),
            Helper::Jiffies64 => p.jiffies(),
            Helper::GetNumaNodeId => u64::from(p.numa_node_id()),
            Helper::GetCurrentCgroupId => p.current_cgroup_id(),
            Helper::KtimeGetCoarseNs => p.coarse_ns(),
            Helper::GetFuncIp => self.func_ip,
            // Packet helpers need socket buffers, which this kernel has not;
            // tail calls are done by the program runner.
            Helper::SkbStoreBytes
            | Helper::L3CsumReplace
            | Helper::L4CsumReplace
            | Helper::CloneRedirect
            | Helper::TailCall => return Err(Error::UnknownHelper { id }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn printk_formats() {
        let none = |_| None;
        assert_eq!(
            format(b"a %d b %u %x\n", [(-5i64) as u64, 7, 255], &none).as_deref(),
            Some("a -5 b 7 ff\n")
        );
        assert_eq!(
            format(b"%lld %llx %c%%", [u64::MAX, 0xabc, 65], &none).as_deref(),
            Some("-1 abc A%")
        );
        assert_eq!(
            format(b"%d %d %d %d", [1, 2, 3], &none),
            None,
            "at most three arguments"
        );
        assert_eq!(format(b"%q", [0; 3], &none), None);
        assert_eq!(
            format(b"%s!", [1, 0, 0], &|_| Some("hi".into())).as_deref(),
            Some("hi!")
        );
    }
}
