// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: iproute2 (tc / ip link ... bpf) objects, the
 * examples/bpf and bpf_elf.h convention. Maps are `struct bpf_elf_map`
 * records in SEC("maps"): nine __u32 fields, 36 bytes each, with iproute2's
 * pinning/id/inner fields. Programs sit in the section names tc and
 * `ip link` look for: "socket" (socket filter) and "classifier" (tc cls_bpf).
 * Only skb->len (offset 0 of struct __sk_buff) is read from the context.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* as in iproute2's include/bpf_elf.h */
#define PIN_NONE		0
#define PIN_OBJECT_NS		1
#define PIN_GLOBAL_NS		2

struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

#define LEN_BUCKETS 16

/* packets seen by the socket filter, bucketed by len / 128 */
struct bpf_elf_map SEC("maps") sock_len_hist = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = LEN_BUCKETS,
	.pinning = PIN_NONE,
};

/* bytes seen by the classifier: [0] packets, [1] bytes */
struct bpf_elf_map SEC("maps") cls_totals = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 2,
	.id = 1,
	.pinning = PIN_NONE,
};

static __always_inline __u32 len_bucket(__u32 len)
{
	__u32 b = len >> 7;

	return b < LEN_BUCKETS ? b : LEN_BUCKETS - 1;
}

SEC("socket")
int sock_count(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	__u32 key = len_bucket(len);
	__u64 *val;

	val = bpf_map_lookup_elem(&sock_len_hist, &key);
	if (val)
		__sync_fetch_and_add(val, 1);
	/* keep at most 1500 bytes of the packet */
	return len < 1500 ? len : 1500;
}

SEC("classifier")
int cls_count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *val;

	val = bpf_map_lookup_elem(&cls_totals, &key);
	if (val)
		__sync_fetch_and_add(val, 1);
	key = 1;
	val = bpf_map_lookup_elem(&cls_totals, &key);
	if (val)
		__sync_fetch_and_add(val, skb->len);
	return TC_ACT_OK;
}

char __license[] SEC("license") = "GPL";
