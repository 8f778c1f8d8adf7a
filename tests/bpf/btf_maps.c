// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Style imitated: modern libbpf / libbpf-bootstrap tools (opensnoop-like).
 * BTF-defined maps in SEC(".maps") via __uint/__type/__array: a
 * no-prealloc hash, a ring buffer, an LRU hash, and an ARRAY_OF_MAPS with a
 * statically initialised slot (.values = { &inner_a }). Tracepoint records
 * are declared by hand instead of coming from vmlinux.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16
#define NAME_MAX_LEN 256

/* /sys/kernel/tracing/events/syscalls/sys_enter_openat/format */
struct trace_event_raw_sys_enter_openat {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__s32 __syscall_nr;	/* @8 */
	__u32 __pad;
	long dfd;		/* @16 */
	const char *filename;	/* @24 */
	long flags;		/* @32 */
	long mode;		/* @40 */
};

/* /sys/kernel/tracing/events/sched/sched_switch/format */
struct trace_event_raw_sched_switch {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	char prev_comm[TASK_COMM_LEN];	/* @8 */
	__s32 prev_pid;			/* @24 */
	__s32 prev_prio;		/* @28 */
	long prev_state;		/* @32 */
	char next_comm[TASK_COMM_LEN];	/* @40 */
	__s32 next_pid;			/* @56 */
	__s32 next_prio;		/* @60 */
};

struct open_event {
	__u32 pid;
	__s32 dfd;
	__s32 flags;
	__u32 mode;
	char filename[NAME_MAX_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} opens_by_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} switches SEC(".maps");

struct inner_map_type {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inner_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_map_type);
} outer SEC(".maps") = {
	.values = { &inner_a },
};

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(struct trace_event_raw_sys_enter_openat *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct open_event *ev;
	__u64 one = 1, *cnt;

	cnt = bpf_map_lookup_elem(&opens_by_pid, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&opens_by_pid, &pid, &one, BPF_NOEXIST);

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	ev->pid = pid;
	ev->dfd = ctx->dfd;
	ev->flags = ctx->flags;
	ev->mode = ctx->mode;
	bpf_probe_read_user_str(ev->filename, sizeof(ev->filename), ctx->filename);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp/sched/sched_switch")
int trace_switch(struct trace_event_raw_sched_switch *ctx)
{
	__u32 next = ctx->next_pid, key = 0;
	__u64 one = 1, *cnt;
	void *inner;

	cnt = bpf_map_lookup_elem(&switches, &next);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&switches, &next, &one, BPF_ANY);

	/* count every switch in the inner map behind outer[0] */
	inner = bpf_map_lookup_elem(&outer, &key);
	if (!inner)
		return 0;
	cnt = bpf_map_lookup_elem(inner, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
