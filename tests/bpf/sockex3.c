// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: Linux's samples/bpf/sockex3_kern.c, a flow parser split
 * into socket-filter programs chained with bpf_tail_call() through a
 * statically initialised BTF PROG_ARRAY. Packet access is the legacy
 * llvm.bpf.load.* intrinsics (BPF_LD|BPF_ABS / BPF_LD|BPF_IND); offsets
 * assume the frame starts with its Ethernet header, as on a raw AF_PACKET
 * socket. The parse state (next header offset, flow key being built) lives
 * in a one-slot PERCPU_ARRAY between tail calls.
 *
 *   socket/0  entry:      reset the state, offset = 14, dispatch on the
 *                         Ethernet type at 12
 *   socket/1  parse_vlan: type = half at offset + 2, offset += 4, dispatch
 *   socket/2  parse_mpls: label = word at offset, offset += 4; not bottom
 *                         of stack: again; else dispatch on the version
 *                         nibble of the next byte (4: IPv4, 6: IPv6)
 *   socket/3  parse_ip:   IPv4 (fragments dropped), src/dst from the header,
 *                         offset += ihl * 4, then the transport protocol
 *   socket/4  parse_ipv6: src/dst = XOR of the address words, offset += 40
 *
 * Transport: IPIP / IPv6-in-IPv4 tail-call the IPv4 / IPv6 parser again
 * (the inner header wins); TCP/UDP take ports = word at offset; any other
 * protocol has ports = 0. Then hash_map[{ src, dst, ip_proto, ports }]
 * counts { packets += 1, bytes += skb->len }.
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

#define MPLS_BOS	0x00000100	/* bottom-of-stack bit of a label word */

#define PARSE_VLAN	1
#define PARSE_MPLS	2
#define PARSE_IP	3
#define PARSE_IPV6	4

struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

struct flow_key {
	__u32 src;
	__u32 dst;
	__u32 ip_proto;
	__u32 ports;
};

struct parse_state {
	struct flow_key flow;
	__u32 nhoff;
	__u32 pad;
};

struct pair {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parse_state);
} state_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct pair);
} hash_map SEC(".maps");

int parse_vlan(struct __sk_buff *skb);
int parse_mpls(struct __sk_buff *skb);
int parse_ip(struct __sk_buff *skb);
int parse_ipv6(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jmp_table SEC(".maps") = {
	.values = {
		[PARSE_VLAN] = (void *)&parse_vlan,
		[PARSE_MPLS] = (void *)&parse_mpls,
		[PARSE_IP] = (void *)&parse_ip,
		[PARSE_IPV6] = (void *)&parse_ipv6,
	},
};

static __always_inline struct parse_state *get_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&state_map, &zero);
}

/* tail-calls the parser for an Ethernet type; returns if there is none */
static __always_inline void dispatch_eth(struct __sk_buff *skb, __u32 proto)
{
	switch (proto) {
	case ETH_P_8021Q:
	case ETH_P_8021AD:
		bpf_tail_call(skb, &jmp_table, PARSE_VLAN);
		break;
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
		bpf_tail_call(skb, &jmp_table, PARSE_MPLS);
		break;
	case ETH_P_IP:
		bpf_tail_call(skb, &jmp_table, PARSE_IP);
		break;
	case ETH_P_IPV6:
		bpf_tail_call(skb, &jmp_table, PARSE_IPV6);
		break;
	}
}

static __always_inline void count_flow(struct __sk_buff *skb, struct parse_state *st)
{
	struct flow_key key = st->flow;
	struct pair *value;

	value = bpf_map_lookup_elem(&hash_map, &key);
	if (value) {
		__sync_fetch_and_add(&value->packets, 1);
		__sync_fetch_and_add(&value->bytes, skb->len);
	} else {
		struct pair init = { 1, skb->len };

		bpf_map_update_elem(&hash_map, &key, &init, BPF_ANY);
	}
}

static __always_inline void parse_transport(struct __sk_buff *skb, struct parse_state *st,
					    __u32 ip_proto)
{
	switch (ip_proto) {
	case IPPROTO_IPIP:
		bpf_tail_call(skb, &jmp_table, PARSE_IP);
		return;
	case IPPROTO_IPV6:
		bpf_tail_call(skb, &jmp_table, PARSE_IPV6);
		return;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		st->flow.ports = load_word(skb, st->nhoff);
		break;
	default:
		st->flow.ports = 0;
		break;
	}
	st->flow.ip_proto = ip_proto;
	count_flow(skb, st);
}

SEC("socket/1")
int parse_vlan(struct __sk_buff *skb)
{
	struct parse_state *st = get_state();
	__u32 nhoff, proto;

	if (!st)
		return 0;
	nhoff = st->nhoff;
	proto = load_half(skb, nhoff + offsetof(struct vlan_tag, encapsulated_proto));
	st->nhoff = nhoff + sizeof(struct vlan_tag);
	dispatch_eth(skb, proto);
	return 0;
}

SEC("socket/2")
int parse_mpls(struct __sk_buff *skb)
{
	struct parse_state *st = get_state();
	__u32 nhoff, label, version;

	if (!st)
		return 0;
	nhoff = st->nhoff;
	label = load_word(skb, nhoff);
	st->nhoff = nhoff + 4;
	if (!(label & MPLS_BOS)) {
		bpf_tail_call(skb, &jmp_table, PARSE_MPLS);
		return 0;
	}
	version = load_byte(skb, nhoff + 4) >> 4;
	if (version == 4)
		dispatch_eth(skb, ETH_P_IP);
	else if (version == 6)
		dispatch_eth(skb, ETH_P_IPV6);
	return 0;
}

SEC("socket/3")
int parse_ip(struct __sk_buff *skb)
{
	struct parse_state *st = get_state();
	__u32 nhoff, ip_proto, ihl;

	if (!st)
		return 0;
	nhoff = st->nhoff;
	if (load_half(skb, nhoff + offsetof(struct iphdr, frag_off)) & (IP_MF | IP_OFFSET))
		return 0;
	ip_proto = load_byte(skb, nhoff + offsetof(struct iphdr, protocol));
	st->flow.src = load_word(skb, nhoff + offsetof(struct iphdr, saddr));
	st->flow.dst = load_word(skb, nhoff + offsetof(struct iphdr, daddr));
	ihl = load_byte(skb, nhoff) & 0xf;
	st->nhoff = nhoff + ihl * 4;
	parse_transport(skb, st, ip_proto);
	return 0;
}

static __always_inline __u32 fold_ipv6_addr(struct __sk_buff *skb, __u32 off)
{
	return load_word(skb, off) ^ load_word(skb, off + 4) ^
	       load_word(skb, off + 8) ^ load_word(skb, off + 12);
}

SEC("socket/4")
int parse_ipv6(struct __sk_buff *skb)
{
	struct parse_state *st = get_state();
	__u32 nhoff, ip_proto;

	if (!st)
		return 0;
	nhoff = st->nhoff;
	ip_proto = load_byte(skb, nhoff + offsetof(struct ipv6hdr, nexthdr));
	st->flow.src = fold_ipv6_addr(skb, nhoff + offsetof(struct ipv6hdr, saddr));
	st->flow.dst = fold_ipv6_addr(skb, nhoff + offsetof(struct ipv6hdr, daddr));
	st->nhoff = nhoff + sizeof(struct ipv6hdr);
	parse_transport(skb, st, ip_proto);
	return 0;
}

SEC("socket/0")
int sockex3_entry(struct __sk_buff *skb)
{
	struct parse_state *st = get_state();

	if (!st)
		return 0;
	__builtin_memset(&st->flow, 0, sizeof(st->flow));
	st->nhoff = ETH_HLEN;
	dispatch_eth(skb, load_half(skb, offsetof(struct ethhdr, h_proto)));
	return 0;
}

char _license[] SEC("license") = "GPL";
