// SPDX-License-Identifier: GPL-2.0
/*
 * counts.c: counting events in HASH maps.
 *
 * Shows: a raw tracepoint and a kprobe in one object, both bumping a
 * counter in a BTF-defined HASH map (look the key up, add 1 atomically if
 * it is there, insert 1 if it is not).
 *
 * Programs:
 *   raw_tracepoint/sys_enter   count_syscalls  every system call
 *   kprobe/do_sys_openat2      count_opens     every open
 *
 * Maps to look at:
 *   counts  HASH  key __u32 pid            value __u64  system calls made by that pid
 *   opens   HASH  key char[16] comm        value __u64  opens made by tasks of that name
 *                 (the comm is NUL-padded, as bpf_get_current_comm() gives it)
 *
 * After the simulated workload: one `counts` entry per task that ran
 * (101 init, 230 bash, 231 cat, 412 nginx, 518 sshd) holding its
 * openat + read + write calls, and one `opens` entry per task name
 * ("init", "bash", "cat", "nginx", "sshd") holding its opens; the values
 * of `opens` add up to the number of opens the workload made.
 */
#include "bpf_helpers.h"

/* Not in the project's headers: the kernel's task name length. */
#define TASK_COMM_LEN 16

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[TASK_COMM_LEN]);
	__type(value, __u64);
} opens SEC(".maps");

/*
 * Adds 1 to the value under `key`, creating it if needed. Two CPUs
 * inserting the same new key at once may lose one count (BPF_NOEXIST makes
 * the second insert fail instead of overwriting); fine for statistics.
 */
static __always_inline void bump(void *map, const void *key)
{
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(map, key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
}

/* TP_PROTO(struct pt_regs *regs, long id): args[0] = regs, args[1] = nr. */
SEC("raw_tracepoint/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	/* the upper half is the tgid, what user space calls the pid */
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	bump(&counts, &pid);
	return 0;
}

/* long do_sys_openat2(int dfd, const char __user *filename, struct open_how *how) */
SEC("kprobe/do_sys_openat2")
int count_opens(void *ctx)
{
	char comm[TASK_COMM_LEN] = {};

	bpf_get_current_comm(comm, sizeof(comm));
	bump(&opens, comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
