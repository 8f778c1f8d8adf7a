// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: Linux's samples/bpf/sockex2_kern.c, a socket filter with
 * a small inline flow dissector built on the legacy llvm.bpf.load.*
 * intrinsics (BPF_LD|BPF_ABS for constant offsets, BPF_LD|BPF_IND once the
 * offset depends on the packet). Offsets assume the frame starts with its
 * Ethernet header, as on a raw AF_PACKET socket. Loop-free.
 *
 * Per packet: Ethernet type at 12 (one 802.1Q / 802.1ad tag is stepped
 * over), then IPv4 or IPv6; anything else, and IPv4 fragments, are
 * ignored. The flow's destination (IPv4 address, or the four words of the
 * IPv6 address XORed together, as host-order u32 since BPF_LD converts from
 * network order) keys hash_map, whose { packets, bytes } grow by 1 and
 * skb->len. port_map[{ ip_proto, ports }] counts packets, ports being the
 * first transport word (sport << 16 | dport) for TCP/UDP, else 0.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

/* linux/if_vlan.h is kernel-internal: the 4 bytes after the MAC addresses */
struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

struct flow {
	__u32 src;
	__u32 dst;
	__u32 ports;
	__u32 thoff;
	__u8 ip_proto;
};

struct pair {
	__u64 packets;
	__u64 bytes;
};

struct port_key {
	__u32 ip_proto;
	__u32 ports;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pair);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct port_key);
	__type(value, __u64);
} port_map SEC(".maps");

static __always_inline __u32 fold_ipv6_addr(struct __sk_buff *skb, __u64 off)
{
	__u32 w0 = load_word(skb, off);
	__u32 w1 = load_word(skb, off + 4);
	__u32 w2 = load_word(skb, off + 8);
	__u32 w3 = load_word(skb, off + 12);

	return w0 ^ w1 ^ w2 ^ w3;
}

static __always_inline int dissect(struct __sk_buff *skb, struct flow *f)
{
	__u64 nhoff = ETH_HLEN;
	__u64 proto = load_half(skb, offsetof(struct ethhdr, h_proto));
	__u64 ip_proto;

	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		proto = load_half(skb, nhoff + offsetof(struct vlan_tag, encapsulated_proto));
		nhoff += sizeof(struct vlan_tag);
	}

	if (proto == ETH_P_IP) {
		__u64 frag = load_half(skb, nhoff + offsetof(struct iphdr, frag_off));
		__u64 ihl;

		/* fragments have no usable transport header: skip them */
		if (frag & (IP_MF | IP_OFFSET))
			return 0;
		ip_proto = load_byte(skb, nhoff + offsetof(struct iphdr, protocol));
		f->src = load_word(skb, nhoff + offsetof(struct iphdr, saddr));
		f->dst = load_word(skb, nhoff + offsetof(struct iphdr, daddr));
		ihl = load_byte(skb, nhoff) & 0xf;
		nhoff += ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		ip_proto = load_byte(skb, nhoff + offsetof(struct ipv6hdr, nexthdr));
		f->src = fold_ipv6_addr(skb, nhoff + offsetof(struct ipv6hdr, saddr));
		f->dst = fold_ipv6_addr(skb, nhoff + offsetof(struct ipv6hdr, daddr));
		nhoff += sizeof(struct ipv6hdr);
	} else {
		return 0;
	}

	f->ip_proto = ip_proto;
	f->thoff = nhoff;
	if (ip_proto == IPPROTO_TCP || ip_proto == IPPROTO_UDP)
		f->ports = load_word(skb, nhoff);
	else
		f->ports = 0;
	return 1;
}

SEC("socket2")
int flow_by_dst(struct __sk_buff *skb)
{
	struct flow f = {};
	struct port_key pk;
	struct pair *value;
	__u64 *count;
	__u32 key;

	if (!dissect(skb, &f))
		return 0;

	key = f.dst;
	value = bpf_map_lookup_elem(&hash_map, &key);
	if (value) {
		__sync_fetch_and_add(&value->packets, 1);
		__sync_fetch_and_add(&value->bytes, skb->len);
	} else {
		struct pair init = { 1, skb->len };

		bpf_map_update_elem(&hash_map, &key, &init, BPF_ANY);
	}

	pk.ip_proto = f.ip_proto;
	pk.ports = f.ports;
	count = bpf_map_lookup_elem(&port_map, &pk);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else {
		__u64 one = 1;

		bpf_map_update_elem(&port_map, &pk, &one, BPF_ANY);
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
