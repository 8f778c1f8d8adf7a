// SPDX-License-Identifier: GPL-2.0
/*
 * Style imitated: projects that carried the longer 7-field bpf_map_def
 * (samples/bpf's bpf_load.h era, also gobpf/bcc-adjacent loaders): 28-byte
 * records with inner_map_idx and numa_node, each map in its own
 * "maps/<name>" section instead of one shared "maps" section.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx;
	unsigned int numa_node;
};

struct bpf_map_def SEC("maps/counts") counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps/last_ret") last_ret = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__s64),
	.max_entries = 1,
};

SEC("kprobe/vfs_read")
int kprobe_vfs_read(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 init = 1, *cnt;

	cnt = bpf_map_lookup_elem(&counts, &tgid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&counts, &tgid, &init, BPF_ANY);
	return 0;
}

SEC("kretprobe/vfs_read")
int kretprobe_vfs_read(struct pt_regs *ctx)
{
	__s64 rc = PT_REGS_RC(ctx);
	__u32 key = 0;

	bpf_map_update_elem(&last_ret, &key, &rc, BPF_ANY);
	return 0;
}

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0xFFFFFFFE;
