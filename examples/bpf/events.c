// SPDX-License-Identifier: GPL-2.0
/*
 * events.c: sending records to user space, through a ring buffer and
 * through a perf event array.
 *
 * Shows: bpf_ringbuf_reserve()/bpf_ringbuf_submit() (the record is built in
 * place in the buffer), bpf_perf_event_output() from a kretprobe (the
 * record is built on the stack and copied), a syscall tracepoint reading
 * its arguments.
 *
 * Programs:
 *   tracepoint/syscalls/sys_enter_openat  on_openat     one open_event per openat()
 *   kretprobe/vfs_write                   on_write_ret  one write_event per write
 *
 * Maps to look at:
 *   events       RINGBUF (16 KiB): records of 88 bytes, laid out as
 *                  struct open_event {
 *                          __u32 pid;          // tgid of the caller
 *                          __u32 flags;        // openat's flags argument
 *                          char  comm[16];     // task name, NUL-padded
 *                          char  filename[64]; // path, NUL-terminated and NUL-padded
 *                  };
 *   perf_events  PERF_EVENT_ARRAY (key and value 4 bytes, one slot per
 *                CPU, sized by the loader): records of 16 bytes on the
 *                current CPU's slot, laid out as
 *                  struct write_event {
 *                          __u32 pid;          // tgid of the writer
 *                          __s32 ret;          // bytes written, or a negative errno
 *                          __u64 ts;           // bpf_ktime_get_ns() at the return
 *                  };
 *
 * After the simulated workload: one open_event per open, such as
 * { pid 412, flags 0, "nginx", "/srv/www/index.html" }; one write_event
 * per write, with ret the bytes written (128..576), always for pid 412
 * and now and then for the other tasks, ts increasing.
 */
#include "bpf_helpers.h"

/* Not in the project's headers: the kernel's task name length. */
#define TASK_COMM_LEN 16
#define FILENAME_LEN 64

struct open_event {
	__u32 pid;
	__u32 flags;
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
};

struct write_event {
	__u32 pid;
	__s32 ret;
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 4);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

/* openat(int dfd, const char __user *filename, int flags, umode_t mode) */
SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	struct open_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;	/* buffer full: the event is dropped */

	/* ring buffer space is not zeroed: clear it so no old bytes leak out */
	__builtin_memset(e, 0, sizeof(*e));
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->flags = ctx->args[2];
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->filename, sizeof(e->filename),
				(const char *)ctx->args[1]);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos) */
SEC("kretprobe/vfs_write")
int on_write_ret(void *ctx)
{
	struct write_event ev = {};

	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.ret = PT_REGS_RC(ctx);
	ev.ts = bpf_ktime_get_ns();
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
