// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: the old in-tree samples/bpf programs (pre-libbpf-1.0).
 * Maps are `struct bpf_map_def SEC("maps")` records: five __u32 fields,
 * 20 bytes each, packed back to back in one "maps" section. libbpf 1.x
 * dropped struct bpf_map_def from its headers, so it is defined here the way
 * those projects carried it. Programs are kprobe/kretprobe on vfs_read, and
 * the object has a "version" section as kprobe programs once needed.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

/* pid -> number of vfs_read calls */
struct bpf_map_def SEC("maps") read_count = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1024,
};

/* slot 0: total calls, slot 1: total bytes returned */
struct bpf_map_def SEC("maps") totals = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

/* per-CPU count of failed reads */
struct bpf_map_def SEC("maps") errors = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

SEC("kprobe/vfs_read")
int count_reads(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *val;
	__u32 key = 0;

	val = bpf_map_lookup_elem(&read_count, &pid);
	if (val)
		*val += 1;
	else
		bpf_map_update_elem(&read_count, &pid, &one, BPF_NOEXIST);

	val = bpf_map_lookup_elem(&totals, &key);
	if (val)
		__sync_fetch_and_add(val, 1);
	return 0;
}

SEC("kretprobe/vfs_read")
int count_read_bytes(struct pt_regs *ctx)
{
	long ret = PT_REGS_RC(ctx);
	__u32 key;
	__u64 *val;

	if (ret < 0) {
		key = 0;
		val = bpf_map_lookup_elem(&errors, &key);
		if (val)
			*val += 1;
		return 0;
	}
	key = 1;
	val = bpf_map_lookup_elem(&totals, &key);
	if (val)
		__sync_fetch_and_add(val, ret);
	return 0;
}

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0xFFFFFFFE;
