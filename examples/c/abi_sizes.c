/*
 * Sizes and offsets of the ABI's structs as this compiler lays them out.
 * bpf_abi.h asserts each against the description when it is compiled (a
 * compiler that disagreed would not build this); the tests also run it
 * under qemu-riscv64, built by riscv64-linux-gnu-gcc, and compare its
 * output with the host's and with the Rust side's sizes.
 */
#include <bpf/bpf.h>
#include <stdio.h>

#define SIZE(t) printf("%s %zu\n", #t, sizeof(t))
#define OFFSET(t, f) printf("%s.%s %zu\n", #t, #f, offsetof(t, f))

int main(void)
{
	SIZE(union bpf_attr);
	SIZE(struct bpf_insn);
	SIZE(struct bpf_map_info);
	SIZE(struct bpf_prog_info);
	SIZE(struct bpf_attach_target);
	SIZE(struct bpf_program_load_ex_attr);
	SIZE(struct bpf_load_ex_prog);
	SIZE(struct bpf_load_ex_map);
	SIZE(struct bpf_map_fd_entry);
	SIZE(struct __sk_buff);
	SIZE(struct xdp_md);
	SIZE(struct bpf_probe_ctx);
	OFFSET(union bpf_attr, map_extra);
	OFFSET(union bpf_attr, flags);
	OFFSET(union bpf_attr, batch.flags);
	OFFSET(union bpf_attr, fd_array);
	OFFSET(union bpf_attr, test.batch_size);
	OFFSET(union bpf_attr, info.info);
	OFFSET(struct bpf_prog_info, nr_map_ids);
	OFFSET(struct bpf_map_info, map_extra);
	printf("__NR_bpf %d\n", __NR_bpf);
	return 0;
}
