/*
 * Runs code of kernel-bpf's riscv64 JIT under qemu-riscv64, for the tests
 * (tests/tests/jit_riscv64.rs). The input file is a sequence of cases,
 * each: u32 code length, u32 memory length, the code, the memory. Each
 * case runs with r1 = the memory (or 0), r2 = its length and a stack of
 * its own, and prints r0 in hex on a line. Helper calls come back here:
 * helper 5 (ktime_get_ns) returns 1, any other id*1000 + the arguments'
 * sum. The slow path (calls through a register, here) is not served: it
 * ends the case with "slow PC".
 *
 * Map lookups the JIT compiles itself find, at VALUES (a fixed address),
 * 64 u64 values, value i being 3i + 1: an array's values (the tests
 * compile array lookups with that base), and the values of a hash map
 * whose lookup function is served here, for the map at HASH_MAP, with
 * every even key below 64. A second file, if given, is loaded at TABLE: a
 * copy of a real hash map's table, which code searches in itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>

/* kernel-bpf's struct RunCtx, as far as compiled code reads it. */
struct run_ctx {
	uint64_t regs[11];
	uint64_t entry_sp, helper, failed, fast_lo, fast_end8, slow_fn, helper_fn, lookup_fn;
};

#define VALUES 0x40000000UL
#define HASH_MAP 0x40001000UL
#define TABLE 0x40100000UL

static uint64_t lookup(uint64_t map, const uint32_t *key)
{
	if (map != HASH_MAP || *key >= 64 || *key % 2)
		return 0;
	return VALUES + 8 * (uint64_t)*key;
}

static uint64_t helper(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, struct run_ctx *cx)
{
	if (cx->helper == 5)
		return 1;
	return cx->helper * 1000 + a1 + a2 + a3 + a4 + a5;
}

static jmp_buf back;

static uint64_t slow(struct run_ctx *cx, uint64_t arg)
{
	(void)cx;
	longjmp(back, 1 + (int)(arg & 0x7fffffff));
}

static int get(FILE *f, void *p, size_t n)
{
	return fread(p, 1, n, f) == n;
}

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	uint32_t lens[2];
	static uint64_t stack[512 * 8 / 8] __attribute__((aligned(16)));

	uint64_t *values = mmap((void *)VALUES, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (!f || values != (uint64_t *)VALUES)
		return 2;
	if (argc > 2) {
		FILE *t = fopen(argv[2], "rb");
		long n;
		uint8_t *table;

		if (!t || fseek(t, 0, SEEK_END) || (n = ftell(t)) <= 0 || fseek(t, 0, SEEK_SET))
			return 2;
		table = mmap((void *)TABLE, (size_t)n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (table != (uint8_t *)TABLE || !get(t, table, (size_t)n))
			return 2;
		fclose(t);
	}
	for (int i = 0; i < 64; i++)
		values[i] = 3 * (uint64_t)i + 1;
	while (get(f, lens, sizeof(lens))) {
		size_t page = 4096, size = (lens[0] + page - 1) / page * page;
		uint8_t *code = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint8_t *mem = calloc(1, lens[1] + 8);
		struct run_ctx cx = {0};
		uint64_t args[5] = {0};
		uint64_t (*entry)(struct run_ctx *, const uint64_t *, uint64_t);

		if (code == MAP_FAILED || !mem || !get(f, code, lens[0]) || !get(f, mem, lens[1]))
			return 2;
		if (mprotect(code, size, PROT_READ | PROT_EXEC))
			return 2;
		__builtin___clear_cache((char *)code, (char *)code + lens[0]);
		memset(stack, 0, sizeof(stack));
		args[0] = lens[1] ? (uint64_t)(uintptr_t)mem : 0;
		args[1] = lens[1];
		cx.fast_lo = UINT64_MAX;
		cx.slow_fn = (uint64_t)(uintptr_t)slow;
		cx.helper_fn = (uint64_t)(uintptr_t)helper;
		cx.lookup_fn = (uint64_t)(uintptr_t)lookup;
		entry = (uint64_t (*)(struct run_ctx *, const uint64_t *, uint64_t))(uintptr_t)code;
		int pc = setjmp(back);
		if (pc)
			printf("slow %d\n", pc - 1);
		else
			printf("%llx\n", (unsigned long long)entry(&cx, args, (uint64_t)(uintptr_t)stack + 512));
		fflush(stdout);
		munmap(code, size);
		free(mem);
	}
	return 0;
}
