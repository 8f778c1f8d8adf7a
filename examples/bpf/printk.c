// SPDX-License-Identifier: GPL-2.0
/*
 * printk.c: printing from BPF programs with bpf_printk().
 *
 * Shows: bpf_printk() (bpf_trace_printk with its format in .rodata, at
 * most 3 arguments, %s reading a string the program copied to its stack),
 * reading a user-space string with bpf_probe_read_user_str(), a kprobe
 * and a tracepoint reading its record's fields.
 *
 * Programs:
 *   kprobe/do_sys_openat2   trace_open    "open <filename> by <pid>"
 *   tp/sched/sched_switch   trace_switch  "switch <prev pid> -> <next pid>"
 *
 * Maps: none besides .rodata (the two formats). Look at the trace output
 * (trace_pipe on Linux).
 *
 * After the simulated workload: one line per open, such as
 * "open /etc/passwd by 230", and one line per context switch, such as
 * "switch 230 -> 412".
 */
#include "bpf_helpers.h"

#define NAME_LEN 64

/* long do_sys_openat2(int dfd, const char __user *filename, struct open_how *how) */
SEC("kprobe/do_sys_openat2")
int trace_open(void *ctx)
{
	const char *filename = (const char *)PT_REGS_PARM2(ctx);
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	char name[NAME_LEN];

	/* on failure the buffer is zeroed: an empty name is printed */
	bpf_probe_read_user_str(name, sizeof(name), filename);
	bpf_printk("open %s by %d\n", name, pid);
	return 0;
}

SEC("tp/sched/sched_switch")
int trace_switch(struct trace_event_raw_sched_switch *ctx)
{
	bpf_printk("switch %d -> %d\n", ctx->prev_pid, ctx->next_pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
