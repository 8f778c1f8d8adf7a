/*
 * Options structs as libbpf handles them: `sz` is the struct's size as the
 * caller was compiled, so an older caller (a shorter struct) and a newer
 * one (a longer struct, with fields this library does not know) both work,
 * and a newer caller that sets an unknown field is told so (-EINVAL).
 *
 *     user-bindings/c/ccbpf [--hosted] -o opts examples/c/opts.c && ./opts
 */
#include "common.h"

#define offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* What a caller built against a newer header would pass. */
struct newer_map_create_opts {
	struct bpf_map_create_opts known;
	__u64 future_field;
};

int main(void)
{
	struct bpf_map_info info;
	__u32 len;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bpf_usable())
		return EXIT_SKIP;

	/* An older caller: its struct ends before map_flags, so the flags
	 * it holds (here, garbage past its end) are not read. */
	LIBBPF_OPTS(bpf_map_create_opts, older, .map_flags = 1U << 0 /* BPF_F_NO_PREALLOC */);
	older.sz = offsetofend(struct bpf_map_create_opts, inner_map_fd);
	fd = show("older caller", bpf_map_create(BPF_MAP_TYPE_HASH, "older", 4, 4, 4, &older));
	len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (fd >= 0 && bpf_map_get_info_by_fd(fd, &info, &len) == 0)
		printf("  its map flags: %#x (the flag past its sz was not read)\n", info.map_flags);
	close(fd);

	LIBBPF_OPTS(bpf_map_create_opts, current, .map_flags = 1U << 0);
	fd = show("current caller", bpf_map_create(BPF_MAP_TYPE_HASH, "current", 4, 4, 4, &current));
	len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (fd >= 0 && bpf_map_get_info_by_fd(fd, &info, &len) == 0)
		printf("  its map flags: %#x\n", info.map_flags);
	close(fd);

	/* A newer caller: unknown fields left zero are fine, set ones are not. */
	struct newer_map_create_opts newer;
	memset(&newer, 0, sizeof(newer));
	newer.known.sz = sizeof(newer);
	fd = show("newer caller, new field zero", bpf_map_create(BPF_MAP_TYPE_HASH, "newer", 4, 4, 4, &newer.known));
	close(fd);
	newer.future_field = 1;
	show("newer caller, new field set", bpf_map_create(BPF_MAP_TYPE_HASH, "newer", 4, 4, 4, &newer.known));

	/* A size that cannot be a struct's. */
	LIBBPF_OPTS(bpf_map_batch_opts, broken);
	broken.sz = 2;
	__u32 count = 0;
	show("sz smaller than sz itself", bpf_map_delete_batch(-1, NULL, &count, &broken));

	/* Output fields are written only inside the caller's struct. */
	fd = must("load", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL",
					(struct bpf_insn[]){
						{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 7 },
						{ .code = BPF_JMP | BPF_EXIT },
					},
					2, NULL));
	unsigned char pkt[64] = { [12] = 0x08, [14] = 0x45 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
	show("test run", bpf_prog_test_run_opts(fd, &run));
	printf("  retval %u\n", run.retval);
	run.retval = 12345;
	run.sz = offsetof(struct bpf_test_run_opts, retval);
	show("test run, caller's struct ends before retval", bpf_prog_test_run_opts(fd, &run));
	printf("  retval field untouched: %s\n", run.retval == 12345 ? "yes" : "no");
	close(fd);
	return 0;
}
