//! BPF_PROG_TEST_RUN of socket filters and tc programs on a socket buffer
//! built as Linux's `bpf_prog_test_run_skb` builds it: the packet behind
//! headroom, `eth_type_trans` on the loopback device (protocol and packet
//! type from the Ethernet header), a socket for the packet; a socket filter
//! sees the packet from the network header and its data comes back with a
//! zeroed Ethernet header, a tc program sees it whole. `struct __sk_buff`
//! comes in and out through `ctx_in`/`ctx_out` with Linux's field rules.

use super::{buffer, Bpf};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::prog::interp::mem::{Memory, Packet};
use crate::prog::Program;
use abi::{
    ProgTestRunAttr, ProgType, SkBuff, CTX_ANY_SIZE, CTX_WRITE, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST,
    PAGE_SIZE,
};
use alloc::sync::Arc;
use core::mem::{offset_of, size_of};
use core::ops::Range;
use zerocopy::{FromBytes, FromZeros, IntoBytes};

/// Bytes of an Ethernet header.
const ETH_HLEN: usize = 14;
/// Headroom before the frame (NET_SKB_PAD + NET_IP_ALIGN on x86-64).
const HEADROOM: usize = 64;
/// Largest frame: a page less the headroom and `struct skb_shared_info`
/// (320 bytes), as Linux's `bpf_test_init`.
const MAX_FRAME: usize = PAGE_SIZE as usize - HEADROOM - 320;
/// Linux's GSO_LEGACY_MAX_SIZE and GSO_MAX_SEGS: limits of `wire_len` and
/// `gso_segs` in `ctx_in`.
const GSO_MAX_SIZE: u32 = 65536;
const GSO_MAX_SEGS: u32 = 65535;
/// `skb->dev`: the loopback device.
const LOOPBACK_IFINDEX: u32 = 1;
/// The value programs read as `skb->sk` (a socket exists; it cannot be
/// dereferenced here).
const SOCK_HANDLE: u64 = 0xffff_8880_5050_0000;

/// Whether the program type runs on a socket buffer, and if so whether it
/// sees the link-layer header (tc).
pub(super) fn skb_kind(t: ProgType) -> Option<bool> {
    match t {
        ProgType::SocketFilter => Some(false),
        ProgType::SchedCls | ProgType::SchedAct => Some(true),
        _ => None,
    }
}

/// The bytes of `struct __sk_buff` programs of type `t` may write, from
/// the description's access rules (`abi::CTX_FIELDS`).
fn writable(t: ProgType) -> alloc::vec::Vec<Range<usize>> {
    abi::CTX_FIELDS
        .iter()
        .filter(|f| f.ctx == "__sk_buff" && f.prog_type == t && f.modes & (CTX_WRITE | CTX_ANY_SIZE) != 0)
        .map(|f| f.offset..f.offset + f.elem * f.len)
        .collect()
}

/// The fields a test run's context carries in and out (Linux's
/// `convert___skb_to_skb` and `convert_skb_to___skb`), copied from `from`.
fn carry(from: &SkBuff, to: &mut SkBuff) {
    to.mark = from.mark;
    to.priority = from.priority;
    to.ingress_ifindex = from.ingress_ifindex;
    to.ifindex = from.ifindex;
    to.cb = from.cb;
    to.tstamp = from.tstamp;
    to.wire_len = from.wire_len;
    to.gso_segs = from.gso_segs;
    to.gso_size = from.gso_size;
    to.hwtstamp = from.hwtstamp;
}

/// Linux's `convert___skb_to_skb`: `ctx_in` may set only the carried
/// fields, within their limits.
fn check_ctx_in(c: &SkBuff, len: usize) -> Result<()> {
    let mut rest = *c;
    carry(&SkBuff::new_zeroed(), &mut rest);
    if rest.as_bytes().iter().any(|&b| b != 0) {
        return Err(Error::InvalidArgument);
    }
    if c.wire_len != 0 && ((c.wire_len as usize) < len || c.wire_len > GSO_MAX_SIZE) {
        return Err(Error::InvalidArgument);
    }
    if c.gso_segs > GSO_MAX_SEGS {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

impl<P: Platform> Bpf<P> {
    /// The socket buffer test run (see the module).
    pub(super) fn test_run_skb(&self, prog: &Arc<Program>, a: &ProgTestRunAttr, uattr: u64, l2: bool) -> Result<usize> {
        let size = a.data_size_in as usize;
        if !(ETH_HLEN..=MAX_FRAME).contains(&size) {
            return Err(Error::InvalidArgument);
        }
        // ctx_in: at most a `struct __sk_buff`, any longer tail zero.
        let ctx_in = if a.ctx_in != 0 || a.ctx_out != 0 {
            let mut raw = buffer(a.ctx_size_in as usize)?;
            if a.ctx_in != 0 {
                self.platform.copy_from_user(a.ctx_in, &mut raw)?;
            }
            if raw.iter().skip(size_of::<SkBuff>()).any(|&b| b != 0) {
                return Err(Error::AttrTooBig { size: a.ctx_size_in });
            }
            raw.resize(size_of::<SkBuff>(), 0);
            Some(SkBuff::read_from_bytes(&raw).map_err(|_| Error::InvalidArgument)?)
        } else {
            None
        };
        let mut frame = buffer(HEADROOM + size)?;
        self.platform.copy_from_user(a.data_in, &mut frame[HEADROOM..])?;
        let (mac, network) = (HEADROOM, HEADROOM + ETH_HLEN);
        let data = if l2 { mac } else { network };
        let end = HEADROOM + size;
        if ctx_in.is_some_and(|c| c.ifindex > LOOPBACK_IFINDEX) {
            // Only the loopback device exists here.
            return Err(Error::NoDevice);
        }
        // eth_type_trans on the loopback device (address and broadcast
        // address all zero).
        let dest = &frame[mac..mac + 6];
        let pkt_type = if dest.iter().all(|&b| b == 0) {
            PACKET_HOST
        } else if dest[0] & 1 != 0 {
            PACKET_MULTICAST
        } else {
            PACKET_OTHERHOST
        };
        let proto = [frame[mac + 12], frame[mac + 13]];
        let protocol: [u8; 2] = if u16::from_be_bytes(proto) >= 0x600 {
            proto
        } else if frame.get(network..network + 2) == Some(&[0xff, 0xff]) {
            0x0001u16.to_be_bytes()
        } else {
            0x0004u16.to_be_bytes()
        };
        // The test socket takes its addresses from the IP header, which
        // must then be there (Linux refuses shorter IPv4 and IPv6 packets).
        let ip_header = match u16::from_be_bytes(protocol) {
            0x0800 => 20,
            0x86dd => 40,
            _ => 0,
        };
        if end - network < ip_header {
            return Err(Error::InvalidArgument);
        }
        let len = (end - data) as u32;
        let mut skb = SkBuff::new_zeroed();
        if let Some(c) = &ctx_in {
            check_ctx_in(c, len as usize)?;
            carry(c, &mut skb);
        }
        if skb.wire_len == 0 {
            skb.wire_len = len;
        }
        skb.len = len;
        skb.pkt_type = pkt_type;
        skb.protocol = u32::from(u16::from_ne_bytes(protocol));
        skb.ifindex = LOOPBACK_IFINDEX;
        skb.sk = SOCK_HANDLE;

        let mut mem = Memory::new();
        let handle = mem.own_unmapped(frame);
        let (ch, ctx) = mem.own_with(skb.as_bytes().to_vec(), &writable(prog.prog_type));
        mem.set_packet(Packet {
            ctx,
            handle,
            mac,
            network,
            data,
            end,
            sock_cookie: self.next_sock_cookie(),
            sock_uid: 0,
        });
        let repeat = a.repeat.max(1);
        let start = self.platform.monotonic_ns();
        let mut r0 = 0;
        for _ in 0..repeat {
            r0 = self.run_program(prog, &mut mem, ctx, 0)?;
        }
        let duration =
            (self.platform.monotonic_ns().saturating_sub(start) / u64::from(repeat)).min(u64::from(u32::MAX)) as u32;
        let after = mem
            .buffer(ch)
            .and_then(|b| SkBuff::read_from_bytes(b).ok())
            .ok_or(Error::InvalidArgument)?;
        let mut frame = mem.take(handle).ok_or(Error::InvalidArgument)?;
        if !l2 {
            // The Ethernet header is pushed back, zeroed.
            frame[mac..network].fill(0);
        }
        let out = &frame[mac..end];
        let mut short = false;
        if a.data_out != 0 {
            let n = out.len().min(a.data_size_out as usize);
            short |= n < out.len();
            self.platform.copy_to_user(a.data_out, &out[..n])?;
        }
        self.write_attr(
            uattr,
            offset_of!(ProgTestRunAttr, data_size_out),
            &(out.len() as u32).to_ne_bytes(),
        )?;
        self.write_attr(uattr, offset_of!(ProgTestRunAttr, retval), &(r0 as u32).to_ne_bytes())?;
        self.write_attr(uattr, offset_of!(ProgTestRunAttr, duration), &duration.to_ne_bytes())?;
        if short {
            // Linux copies the context out only after the data went out whole.
            return Err(Error::NoSpace);
        }
        if a.ctx_out != 0 {
            // Linux's convert_skb_to___skb.
            let mut c = SkBuff::new_zeroed();
            carry(&after, &mut c);
            let bytes = c.as_bytes();
            let n = bytes.len().min(a.ctx_size_out as usize);
            short |= n < bytes.len();
            self.platform.copy_to_user(a.ctx_out, &bytes[..n])?;
            self.write_attr(
                uattr,
                offset_of!(ProgTestRunAttr, ctx_size_out),
                &(bytes.len() as u32).to_ne_bytes(),
            )?;
        }
        if short {
            return Err(Error::NoSpace);
        }
        Ok(0)
    }
}
