// SPDX-License-Identifier: MIT
/*
 * Style imitated: permissively licensed third-party tracing objects.
 * License "MIT" (not GPL-compatible), so only helpers the kernel offers to
 * any license are used: map lookup/update and ktime_get_ns. A loader must
 * accept this object.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} sched_stats SEC(".maps");

SEC("kprobe/schedule")
int count_schedule(struct pt_regs *ctx)
{
	__u32 key = 0;
	__u64 now = bpf_ktime_get_ns(), one = 1, *v;

	v = bpf_map_lookup_elem(&sched_stats, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&sched_stats, &key, &one, BPF_ANY);
	key = 1;
	bpf_map_update_elem(&sched_stats, &key, &now, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "MIT";
