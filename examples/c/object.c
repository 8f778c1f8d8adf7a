/*
 * A clang-built object loaded the original rCore way (bpf_prog_load_ex:
 * the ELF image, with maps created and relocated by the kernel), its
 * programs attached to probes by target string, the simulated kernel run
 * (where the program is linked with the hosted kernel), and its maps read.
 *
 *     user-bindings/c/ccbpf [--hosted] -o object examples/c/object.c
 *     ./object examples/bpf/counts.o
 *
 * Linux has neither BPF_PROG_LOAD_EX nor attach by target string: there
 * the example says so and stops.
 */
#include "common.h"

/* Runs the hosted kernel's simulated workload; only there (weak: NULL
 * when the program is linked with the system call). */
void rcbpf_hosted_run(unsigned long long steps) __attribute__((weak));

static char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc(n);
		if (data && fread(data, 1, n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		*size = n;
	}
	fclose(f);
	return data;
}

/* "kprobe/do_sys_openat2" -> "kprobe:do_sys_openat2", and so on. */
static void target_of(const char *section, char *out, size_t size)
{
	size_t i;

	for (i = 0; section[i] && i + 1 < size; i++)
		out[i] = section[i] == '/' ? ':' : section[i];
	out[i] = 0;
}

struct entry {
	char comm[16];
	__u64 count;
};

static int by_comm(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->comm, ((const struct entry *)b)->comm);
}

/* Prints a map keyed by task name, sorted. */
static void dump_by_comm(int fd)
{
	struct entry e[64];
	char key[16];
	int n = 0, i, ret;

	for (ret = bpf_map_get_next_key(fd, NULL, key); ret == 0 && n < 64; ret = bpf_map_get_next_key(fd, key, key)) {
		memcpy(e[n].comm, key, sizeof(key));
		e[n].comm[15] = 0;
		if (bpf_map_lookup_elem(fd, key, &e[n].count) == 0)
			n++;
	}
	qsort(e, n, sizeof(e[0]), by_comm);
	for (i = 0; i < n; i++)
		printf("    %-8s %llu\n", e[i].comm, (unsigned long long)e[i].count);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "examples/bpf/counts.o";
	struct bpf_load_ex_prog progs[8];
	struct bpf_load_ex_map maps[8];
	char log[4096] = "", target[80], label[160];
	size_t size = 0;
	char *elf = read_file(path, &size);
	LIBBPF_OPTS(bpf_prog_load_ex_opts, opts, .progs = progs, .progs_len = 8, .maps = maps, .maps_len = 8,
		    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	__u32 i, pid;
	int fd, opens = -1, counts = -1, entries = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!elf) {
		printf("cannot read %s\n", path);
		return 1;
	}
	if (!bpf_usable())
		return EXIT_SKIP;
	fd = bpf_prog_load_ex(elf, size, &opts);
	if (fd == -EINVAL && !log[0]) {
		printf("SKIP: this kernel has no BPF_PROG_LOAD_EX (rCore's extension)\n");
		return EXIT_SKIP;
	}
	if (show("load the object", fd) < 0) {
		printf("%s", log);
		return 1;
	}
	printf("%u programs:\n", opts.progs_len);
	for (i = 0; i < opts.progs_len; i++)
		printf("  %s in %s, type %u\n", progs[i].name, progs[i].section, progs[i].prog_type);
	printf("%u maps:\n", opts.maps_len);
	for (i = 0; i < opts.maps_len; i++) {
		printf("  %s, type %u, %s\n", maps[i].name, maps[i].map_type, maps[i].created ? "created" : "given");
		if (!strcmp(maps[i].name, "opens"))
			opens = maps[i].fd;
		if (!strcmp(maps[i].name, "counts"))
			counts = maps[i].fd;
	}
	for (i = 0; i < opts.progs_len; i++) {
		target_of(progs[i].section, target, sizeof(target));
		snprintf(label, sizeof(label), "attach %s to %s", progs[i].name, target);
		show(label, bpf_prog_attach_target(progs[i].fd, target, NULL));
	}
	show("attach to a function that does not exist",
	     bpf_prog_attach_target(progs[0].fd, "kprobe:no_such_function", NULL));
	if (rcbpf_hosted_run) {
		rcbpf_hosted_run(2000);
		printf("after 2000 steps of the simulated kernel:\n");
	} else {
		printf("(no simulated kernel here: the maps hold what this machine did)\n");
	}
	if (opens >= 0) {
		printf("  opens:\n");
		dump_by_comm(opens);
	}
	if (counts >= 0) {
		for (int r = bpf_map_get_next_key(counts, NULL, &pid); r == 0; r = bpf_map_get_next_key(counts, &pid, &pid))
			entries++;
		printf("  counts: %d tasks made system calls\n", entries);
	}
	for (i = 0; i < opts.progs_len; i++) {
		target_of(progs[i].section, target, sizeof(target));
		show("detach", bpf_prog_detach_target(progs[i].fd, target));
		close(progs[i].fd);
	}
	for (i = 0; i < opts.maps_len; i++)
		close(maps[i].fd);

	/* A broken object: the log says what is wrong. */
	log[0] = 0;
	opts.progs = NULL;
	opts.maps = NULL;
	elf[1] = 'X';
	show("load an object that is not ELF", bpf_prog_load_ex(elf, size, &opts));
	printf("  log: %s", log);
	free(elf);
	return 0;
}
