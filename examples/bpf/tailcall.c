// SPDX-License-Identifier: GPL-2.0
/*
 * tailcall.c: a tail-call dispatcher with a statically filled jump table.
 *
 * Shows: bpf_tail_call() through a PROG_ARRAY indexed by the system call
 * number, the table filled from the object itself (libbpf style:
 * `__array(values, int (void *))` in the map and `.values = { [nr] = &prog }`,
 * which the loader turns into program fds after loading the targets), and
 * the fall-through path when a slot is empty.
 *
 * Programs:
 *   raw_tracepoint/sys_enter      dispatch       jumps to jmp[nr]
 *   raw_tracepoint/sys_enter_0    handle_read    target for nr 0 (read)
 *   raw_tracepoint/sys_enter_1    handle_write   target for nr 1 (write)
 *   raw_tracepoint/sys_enter_257  handle_openat  target for nr 257 (openat)
 * The targets are only reached by tail calls; do not attach them (a libbpf
 * skeleton would try to: turn their autoattach off).
 *
 * Maps to look at:
 *   calls  HASH        key __u32 nr, value __u64: system calls handled per
 *                      number; key 0xffffffff counts those for which no tail
 *                      call happened (no handler for that number)
 *   jmp    PROG_ARRAY  512 slots, 0, 1 and 257 filled from .values
 *
 * After the simulated workload: calls[0] = reads, calls[1] = writes,
 * calls[257] = opens the workload made, and no 0xffffffff entry (it only
 * makes those three system calls).
 */
#include "bpf_helpers.h"

#define SYS_read 0
#define SYS_write 1
#define SYS_openat 257
#define NO_HANDLER 0xffffffff

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

static __always_inline void count(__u32 nr)
{
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&calls, &nr);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	bpf_map_update_elem(&calls, &nr, &one, BPF_NOEXIST);
}

/* The targets come first: the jump table below takes their addresses. */

SEC("raw_tracepoint/sys_enter_0")
int handle_read(void *ctx)
{
	count(SYS_read);
	return 0;
}

SEC("raw_tracepoint/sys_enter_1")
int handle_write(void *ctx)
{
	count(SYS_write);
	return 0;
}

SEC("raw_tracepoint/sys_enter_257")
int handle_openat(void *ctx)
{
	count(SYS_openat);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 512);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__array(values, int (void *));
} jmp SEC(".maps") = {
	.values = {
		[SYS_read] = &handle_read,
		[SYS_write] = &handle_write,
		[SYS_openat] = &handle_openat,
	},
};

/* TP_PROTO(struct pt_regs *regs, long id): args[0] = regs, args[1] = nr. */
SEC("raw_tracepoint/sys_enter")
int dispatch(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 nr = ctx->args[1];

	/* does not return when jmp[nr] holds a program */
	bpf_tail_call(ctx, &jmp, nr);

	/* empty slot, or nr >= 512 */
	count(NO_HANDLER);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
