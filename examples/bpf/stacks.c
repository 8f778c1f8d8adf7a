// SPDX-License-Identifier: GPL-2.0
/*
 * stacks.c: kernel stack traces with bpf_get_stackid().
 *
 * Shows: a STACK_TRACE map (which must be sized with key_size/value_size,
 * not BTF types), bpf_get_stackid() storing the current kernel stack and
 * returning its id, and counting how often each distinct stack was seen.
 *
 * Programs:
 *   kprobe/vfs_read  on_read  stores the stack of every vfs_read call
 *
 * Maps to look at:
 *   stacks        STACK_TRACE  key __u32 stack id, value __u64[16]: the
 *                 return addresses, innermost first, 0-padded (64 stacks)
 *   stack_counts  HASH         key __u32 stack id, value __u64: how many
 *                 times that stack was seen
 * Look an id of stack_counts up in stacks, and the addresses up in the
 * kernel's symbols.
 *
 * After the simulated workload: every read comes through the same path,
 * so one stack id, counted once per read, whose stack is vfs_read's
 * address then the system call entry (in the simulated kernel:
 * 0xffffffff81310000, 0xffffffff81000080, then zeros).
 */
#include "bpf_helpers.h"

#define MAX_DEPTH 16

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} stack_counts SEC(".maps");

/* ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos) */
SEC("kprobe/vfs_read")
int on_read(void *ctx)
{
	__u64 one = 1, *v;
	long id;
	__u32 key;

	id = bpf_get_stackid(ctx, &stacks, 0);
	if (id < 0)
		return 0;	/* e.g. -EEXIST: another stack took that bucket */
	key = id;

	v = bpf_map_lookup_elem(&stack_counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	bpf_map_update_elem(&stack_counts, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
