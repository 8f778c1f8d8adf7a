// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: libbpf skeleton-era tools (bootstrap.bpf.c, the
 * libbpf-tools in bcc): global variables instead of config maps.
 *   .rodata  const volatile config set by the loader before load
 *   .data    initialised (non-zero) mutable globals
 *   .bss     zero-initialised globals
 *   bpf_printk's format (a static const char[]) lands in .rodata; a bare
 *   string literal passed to bpf_trace_printk lands in .rodata.str1.1
 * Uses libbpf's BPF_KPROBE() and PT_REGS_PARM*() macros.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct open_stats {
	__u64 calls;
	__u64 filtered;
	__s32 last_dfd;
	__u32 last_pid;
};

/* .rodata: configuration, frozen after load */
const volatile __u32 target_pid = 0;
const volatile __u64 min_interval_ns = 1000;

/* .data: initialised non-zero */
__u64 generation = 42;
__u32 sample_every = 3;

/* .bss: zero-initialised */
struct open_stats stats;
__u64 last_ns;

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(trace_openat2, int dfd, const char *filename)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();

	if (target_pid && pid != target_pid) {
		stats.filtered++;
		/* a bare string literal: clang puts it in .rodata.str1.1 */
		bpf_trace_printk("openat2: filtered\n", sizeof("openat2: filtered\n"));
		return 0;
	}
	stats.calls++;
	stats.last_dfd = dfd;
	stats.last_pid = pid;

	if (now - last_ns < min_interval_ns)
		return 0;
	last_ns = now;

	if (sample_every && stats.calls % sample_every == 0) {
		generation++;
		bpf_printk("openat2 pid=%u dfd=%d gen=%llu", pid, dfd, generation);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
