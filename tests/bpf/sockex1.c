// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: Linux's samples/bpf/sockex1_kern.c (socket filter attached
 * to a raw AF_PACKET socket). Legacy packet access through clang's
 * llvm.bpf.load.* intrinsics, which compile to BPF_LD|BPF_ABS. The offsets
 * assume the frame starts with its Ethernet header, as on a packet socket.
 *
 *   my_map[IP protocol byte at ETH_HLEN + 9]  += skb->len
 *   pkt_type_map[skb->pkt_type]               += 1
 *
 * Unlike the sample, every packet is counted (not only PACKET_OUTGOING ones),
 * so that a test run, where pkt_type is never PACKET_OUTGOING, sees them;
 * the packet type goes to its own map instead.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} my_map SEC(".maps");

/* PACKET_HOST .. PACKET_KERNEL fit in skb->pkt_type's three bits */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} pkt_type_map SEC(".maps");

SEC("socket1")
int count_by_proto(struct __sk_buff *skb)
{
	__u32 proto = load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol));
	__u32 type = skb->pkt_type;
	__u64 *bytes, *seen;

	bytes = bpf_map_lookup_elem(&my_map, &proto);
	if (bytes)
		__sync_fetch_and_add(bytes, skb->len);

	seen = bpf_map_lookup_elem(&pkt_type_map, &type);
	if (seen)
		__sync_fetch_and_add(seen, 1);

	return 0;
}

char _license[] SEC("license") = "GPL";
