// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: xdp-tutorial / libbpf-bootstrap XDP programs.
 * PACKET PROGRAM: reads ctx->data / ctx->data_end (struct xdp_md, which the
 * kernel rewrites to pointers), checks bounds before touching the Ethernet
 * header, drops one EtherType and passes the rest.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, __u64);
} xdp_stats SEC(".maps");

static __always_inline int record(__u32 action)
{
	__u64 *v = bpf_map_lookup_elem(&xdp_stats, &action);

	if (v)
		*v += 1;
	return action;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return record(XDP_DROP);	/* runt frame */
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return record(XDP_DROP);
	return record(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
