/*
 * Programs with libbpf's low-level API: a socket filter loaded from raw
 * instructions and test-run on packets (BPF_PROG_TEST_RUN), one that
 * counts its runs in an array map, the program's info, and a program the
 * verifier refuses, with the line of its log that says why.
 *
 *     user-bindings/c/ccbpf [--hosted] -o programs examples/c/programs.c && ./programs
 */
#include "common.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define LDX_DW(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX_DW(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define LD_MAP(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)
#define CALL(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* An Ethernet frame carrying an IPv4 header, `len` bytes in all. */
static void packet(unsigned char *p, size_t len)
{
	memset(p, 0, len);
	p[12] = 0x08; /* EtherType IPv4 */
	p[14] = 0x45; /* version 4, 20-byte header */
}

static void socket_filter(void)
{
	/* r0 = skb->len: the whole packet passes. */
	struct bpf_insn insns[] = {
		LDX_W(0, 1, 0),
		EXIT(),
	};
	unsigned char pkt[64], out[64];
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt), .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 3);
	int fd = must("load", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "skb_len", "GPL", insns, COUNT(insns), NULL));

	printf("socket filter:\n");
	packet(pkt, sizeof(pkt));
	show("  test run", bpf_prog_test_run_opts(fd, &run));
	printf("  returned %u (skb->len), %u bytes out, the same bytes: %s\n", run.retval, run.data_size_out,
	       memcmp(pkt + 14, out + 14, sizeof(pkt) - 14) == 0 ? "yes" : "no");
	run.data_size_in = 10;
	show("  test run on a frame shorter than its Ethernet header", bpf_prog_test_run_opts(fd, &run));
	close(fd);
}

static void counter(void)
{
	int map = must("create", bpf_map_create(BPF_MAP_TYPE_ARRAY, "runs", 4, 8, 1, NULL));
	/* runs[0] += 1 through a map value pointer; returns 0. */
	struct bpf_insn insns[] = {
		ST_W(10, -4, 0),
		MOV_REG(2, 10),
		ADD_IMM(2, -4),
		LD_MAP(1, map),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(0, 0, 3),
		LDX_DW(1, 0, 0),
		ADD_IMM(1, 1),
		STX_DW(0, 1, 0),
		MOV_IMM(0, 0),
		EXIT(),
	};
	unsigned char pkt[64];
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 5);
	int fd = must("load", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "counter", "GPL", insns, COUNT(insns), NULL));
	struct bpf_prog_info info;
	__u32 len = sizeof(info), k = 0;
	__u64 runs = 0;

	printf("counter:\n");
	packet(pkt, sizeof(pkt));
	show("  test run 5 times", bpf_prog_test_run_opts(fd, &run));
	show("  lookup", bpf_map_lookup_elem(map, &k, &runs));
	printf("  the program counted %llu runs\n", (unsigned long long)runs);
	memset(&info, 0, sizeof(info));
	if (show("  info", bpf_prog_get_info_by_fd(fd, &info, &len)) == 0)
		/* (Not their number: Linux inlines array lookups into it.) */
		printf("  type %u name '%s', has its instructions: %s, %u map\n", info.type, info.name,
		       info.xlated_prog_len ? "yes" : "no", info.nr_map_ids);
	close(fd);
	close(map);
}

/* Prints the log line that names the reason (the one after the last instruction shown). */
static void reason(const char *log)
{
	const char *line = log, *last = NULL;

	for (const char *p = log; *p; p++) {
		if (*p == '\n') {
			if (p > line && !(line[0] >= '0' && line[0] <= '9') && strncmp(line, "processed", 9) != 0 &&
			    strncmp(line, "func#", 5) != 0)
				last = line;
			line = p + 1;
		}
	}
	if (last)
		printf("  log says: %.*s\n", (int)(strchr(last, '\n') - last), last);
}

static void refused(void)
{
	/* Reads r2, which nothing wrote. */
	struct bpf_insn insns[] = {
		MOV_REG(0, 2),
		EXIT(),
	};
	/* Dereferences a map value without checking it for NULL. */
	int map = must("create", bpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 8, 1, NULL));
	struct bpf_insn unchecked[] = {
		ST_W(10, -4, 0),
		MOV_REG(2, 10),
		ADD_IMM(2, -4),
		LD_MAP(1, map),
		CALL(BPF_FUNC_map_lookup_elem),
		LDX_DW(0, 0, 0),
		EXIT(),
	};
	char log[4096], tiny[16];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1);

	printf("refused:\n");
	log[0] = 0;
	show("  load a read of r2", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bad", "GPL", insns, COUNT(insns), &opts));
	reason(log);
	log[0] = 0;
	show("  load an unchecked map value", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bad", "GPL", unchecked,
							    COUNT(unchecked), &opts));
	reason(log);
	/* A buffer without a level: loaded again with level 1 on failure. */
	opts.log_level = 0;
	log[0] = 0;
	show("  load with a log buffer and no level", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bad", "GPL", insns,
								    COUNT(insns), &opts));
	reason(log);
	opts.log_buf = tiny;
	opts.log_size = sizeof(tiny);
	opts.log_level = 1;
	show("  load with a log too small", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bad", "GPL", insns,
							  COUNT(insns), &opts));
	opts.log_buf = NULL;
	show("  load with a log size and no buffer", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bad", "GPL", insns,
								   COUNT(insns), &opts));
	show("  load no instructions", bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bad", "GPL", insns, 0, NULL));
	close(map);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bpf_usable())
		return EXIT_SKIP;
	socket_filter();
	counter();
	refused();
	return 0;
}
