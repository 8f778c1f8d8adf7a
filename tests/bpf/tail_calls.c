// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: libbpf tail-call dispatchers (selftests' tailcall*.c,
 * cilium-style jump tables). A BTF-defined PROG_ARRAY holds the targets;
 * the dispatcher in "kprobe/vfs_read" jumps with bpf_tail_call(). Targets
 * live in their own sections ("kprobe/handler0".."kprobe/handler2") and are
 * put in the table by the loader/user space after load (see
 * tail_calls_init.c for the statically initialised variant).
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define NR_HANDLERS 3

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_HANDLERS + 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("kprobe/handler0")
int handler0(struct pt_regs *ctx)
{
	hit(0);
	return 0;
}

SEC("kprobe/handler1")
int handler1(struct pt_regs *ctx)
{
	hit(1);
	return 1;
}

SEC("kprobe/handler2")
int handler2(struct pt_regs *ctx)
{
	hit(2);
	return 2;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, NR_HANDLERS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jmp_table SEC(".maps");

SEC("kprobe/vfs_read")
int dispatch(struct pt_regs *ctx)
{
	__u32 idx = (bpf_get_current_pid_tgid() >> 32) % NR_HANDLERS;

	bpf_tail_call(ctx, &jmp_table, idx);
	/* reached only when the slot is empty */
	hit(NR_HANDLERS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
