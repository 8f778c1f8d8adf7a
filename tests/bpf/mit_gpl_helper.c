// SPDX-License-Identifier: MIT
/*
 * NEGATIVE TEST: license "MIT", but calls bpf_probe_read_kernel, a
 * GPL-only helper. The kernel (and so our loader) must reject it with
 * "cannot call GPL-restricted function from non-GPL compatible program".
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} peeked SEC(".maps");

SEC("kprobe/schedule")
int peek_schedule(struct pt_regs *ctx)
{
	__u64 word = 0;
	__u32 key = 0;

	bpf_probe_read_kernel(&word, sizeof(word), (void *)PT_REGS_PARM1(ctx));
	bpf_map_update_elem(&peeked, &key, &word, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "MIT";
