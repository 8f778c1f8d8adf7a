// SPDX-License-Identifier: GPL-2.0
/*
 * globals.c: global variables instead of maps.
 *
 * Shows: the three kinds of global data, each backed by a one-entry ARRAY
 * map that the loader creates and fills from the object:
 *   .rodata  `const volatile` configuration, set by the loader before load
 *            and frozen (the verifier then knows its value)
 *   .data    initialised mutable globals
 *   .bss     zero-initialised mutable globals
 *
 * Programs:
 *   kprobe/vfs_read   on_read   counts every read
 *   kprobe/vfs_write  on_write  counts the writes of target_pid only
 *
 * Maps to look at (the object's name is prefixed to them by libbpf, e.g.
 * "globals.rodata"; the value is the section's bytes):
 *   .rodata  __u32 target_pid = 412            (offset 0)
 *   .data    __u64 runs = 1000                 (offset 0) 1000 + the number
 *            of times either program ran (all tasks)
 *   .bss     struct io_stats {                 (offset 0)
 *                    __u64 reads;   // vfs_read calls, all tasks
 *                    __u64 writes;  // vfs_write calls by target_pid
 *                    __u64 bytes;   // bytes target_pid asked to write
 *            } stats;
 *
 * After the simulated workload: stats.reads = every read made, stats.writes
 * = the writes of nginx (412), stats.bytes = their sizes added up (each
 * 128..576), runs = 1000 + reads + writes of all tasks. Setting target_pid
 * to another pid before load (e.g. 230 for bash) counts that task instead.
 */
#include "bpf_helpers.h"

struct io_stats {
	__u64 reads;
	__u64 writes;
	__u64 bytes;
};

/* .rodata */
const volatile __u32 target_pid = 412;

/* .data */
__u64 runs = 1000;

/* .bss */
struct io_stats stats;

/* ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos) */
SEC("kprobe/vfs_read")
int on_read(void *ctx)
{
	__sync_fetch_and_add(&runs, 1);
	__sync_fetch_and_add(&stats.reads, 1);
	return 0;
}

/* ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos) */
SEC("kprobe/vfs_write")
int on_write(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	__sync_fetch_and_add(&runs, 1);
	if (pid != target_pid)
		return 0;
	__sync_fetch_and_add(&stats.writes, 1);
	__sync_fetch_and_add(&stats.bytes, PT_REGS_PARM3(ctx));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
