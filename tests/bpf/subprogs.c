// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: libbpf-era programs that factor code into BPF-to-BPF
 * subprograms (e.g. cilium/tetragon helpers, selftests' test_subprogs):
 *  - static __noinline helpers in .text, calling one another;
 *  - a global (non-static) __noinline function, verified by the kernel on
 *    its own as a "global function";
 *  - two programs in different sections calling the same subprograms;
 *  - two programs sharing the section "kprobe/vfs_write", told apart only
 *    by their symbol names.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __noinline __u64 mix(__u64 a, __u64 b)
{
	return (a * 31) ^ (b + 7);
}

static __noinline int bump(__u32 slot, __u64 by)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (!v)
		return -1;
	__sync_fetch_and_add(v, by);
	return 0;
}

/* calls both helpers above: a call chain .text -> .text */
static __noinline int account(__u32 slot, __u64 seed)
{
	__u64 h = mix(seed, slot);

	return bump(slot & 3, (h & 0xff) + 1);
}

/* global function: arguments are scalars only, as the verifier requires */
__noinline int global_scale(int x)
{
	if (x < 0)
		return 0;
	return x * 2 + 1;
}

SEC("kprobe/vfs_read")
int on_read(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	int s = global_scale((int)(id & 0xffff));

	return account(0, id + s);
}

SEC("kretprobe/vfs_read")
int on_read_ret(struct pt_regs *ctx)
{
	return bump(1, 1);
}

SEC("kprobe/vfs_write")
int on_write_a(struct pt_regs *ctx)
{
	return account(2, PT_REGS_PARM3(ctx));
}

SEC("kprobe/vfs_write")
int on_write_b(struct pt_regs *ctx)
{
	int r = global_scale((int)PT_REGS_PARM3(ctx));

	return bump(3, (__u64)r);
}

char LICENSE[] SEC("license") = "GPL";
