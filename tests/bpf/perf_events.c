// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: BCC-to-libbpf ports and profilers (profile.bpf.c,
 * offcputime-like tools): a PERF_EVENT_ARRAY with key/value size 4 and no
 * max_entries (the loader sizes it to the number of CPUs), a STACK_TRACE
 * map fed by bpf_get_stackid(), a raw tracepoint reading ctx->args[], and
 * a perf_event sampling program reading ctx->sample_period.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define TASK_COMM_LEN 16
#define MAX_STACK_DEPTH 127

struct event {
	__u32 pid;
	__s32 stack_id;
	__u64 count;
	__u64 ts;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} samples SEC(".maps");

SEC("kprobe/vfs_write")
int write_event(struct pt_regs *ctx)
{
	struct event ev = {};

	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	ev.count = PT_REGS_PARM3(ctx);
	ev.ts = bpf_ktime_get_ns();
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

/* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...) */
SEC("raw_tracepoint/sched_switch")
int raw_switch(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 key = (__u32)ctx->args[0];	/* preempt flag */
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&samples, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);
	return 0;
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	char comm[TASK_COMM_LEN];
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 period = ctx->sample_period, *v;

	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] == 0)
		return 0;
	v = bpf_map_lookup_elem(&samples, &pid);
	if (v)
		__sync_fetch_and_add(v, period);
	else
		bpf_map_update_elem(&samples, &pid, &period, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
