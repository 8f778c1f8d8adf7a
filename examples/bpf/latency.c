// SPDX-License-Identifier: GPL-2.0
/*
 * latency.c: a latency histogram of vfs_read(), and one of read sizes.
 *
 * Shows: pairing a kprobe with its kretprobe through a HASH keyed by
 * pid_tgid (the entry stores a timestamp, the return takes it out), log2
 * bucketing without loops, ARRAY maps used as histograms, reading the
 * return value with PT_REGS_RC().
 *
 * Programs:
 *   kprobe/vfs_read     read_entry  remembers when the read started
 *   kretprobe/vfs_read  read_exit   adds the read to both histograms
 *
 * Maps to look at:
 *   hist        ARRAY  32 x (key __u32 i, value __u64)  reads that took
 *               [2^i, 2^(i+1)) ns (bucket 0 also holds 0 ns, bucket 31
 *               everything from 2^31 ns up)
 *   bytes_hist  ARRAY  32 x (key __u32 i, value __u64)  successful reads
 *               that returned [2^i, 2^(i+1)) bytes (reads returning 0 or
 *               an error are not counted)
 *   start       HASH   key __u64 pid_tgid, value __u64 ns: reads in flight
 *               (empty once the workload is idle)
 *
 * After the simulated workload (a read costs 800 ns + 3 ns per byte
 * returned): the counts of hist add up to the number of reads and sit in
 * buckets 9 to 13: 9 for empty, failed and 64-byte reads (800..992 ns),
 * 11 for full 512-byte reads (2336 ns), 13 for full 4096-byte reads
 * (13088 ns), 10 and 12 for the short reads at the ends of files.
 * bytes_hist has its counts in buckets 6 (64 bytes), 9 (512), 12 (4096)
 * and a few in between for the ends of files.
 */
#include "bpf_helpers.h"

#define NR_BUCKETS 32

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} bytes_hist SEC(".maps");

/* floor(log2(v)) for v > 0, 0 for v == 0: five halving steps, no loop. */
static __always_inline __u32 log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xffff) << 4;
	v >>= r;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= v >> 1;
	return r;
}

/* The histogram bucket of v: floor(log2(v)), at most NR_BUCKETS - 1. */
static __always_inline __u32 bucket(__u64 v)
{
	__u32 b;

	if (v >> 32)
		return NR_BUCKETS - 1;	/* 2^32 and up: past the last bucket */
	b = log2_u32(v);	/* 0..31 */
	return b < NR_BUCKETS ? b : NR_BUCKETS - 1;
}

static __always_inline void hist_add(void *map, __u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(map, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos) */
SEC("kprobe/vfs_read")
int read_entry(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &id, &ts, BPF_ANY);
	return 0;
}

SEC("kretprobe/vfs_read")
int read_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *tsp, delta;
	long ret;

	tsp = bpf_map_lookup_elem(&start, &id);
	if (!tsp)
		return 0;	/* the entry was missed (attached mid-read) */
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &id);

	hist_add(&hist, bucket(delta));

	ret = PT_REGS_RC(ctx);	/* bytes read, or a negative errno */
	if (ret > 0)
		hist_add(&bytes_hist, bucket(ret));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
