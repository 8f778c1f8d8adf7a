/*
 * Map operations with libbpf's low-level API, for each map type: create,
 * update with each flag, look up, iterate (keys sorted, as hash order is
 * the kernel's own), delete, batch operations, freeze, per-CPU values, and
 * the errnos of the usual mistakes.
 *
 *     user-bindings/c/ccbpf [--hosted] -o maps examples/c/maps.c && ./maps
 */
#include "common.h"

/* Prints the map's keys (4 bytes each), sorted, with a value of 8 bytes. */
static void dump(int fd, int with_values)
{
	__u32 keys[64], key, n = 0, i;
	int ret = bpf_map_get_next_key(fd, NULL, &key);

	while (ret == 0 && n < 64) {
		keys[n++] = key;
		ret = bpf_map_get_next_key(fd, &key, &key);
	}
	qsort(keys, n, sizeof(keys[0]), cmp_u32);
	printf("  %u keys:", n);
	for (i = 0; i < n; i++) {
		__u64 v = 0;

		if (with_values && bpf_map_lookup_elem(fd, &keys[i], &v) == 0)
			printf(" %u=%llu", keys[i], (unsigned long long)v);
		else
			printf(" %u", keys[i]);
	}
	printf("\n  iteration ends with %s\n", ret == 0 ? "more keys" : errname(-ret));
}

static void info(int fd)
{
	struct bpf_map_info m;
	__u32 len = sizeof(m);

	memset(&m, 0, sizeof(m));
	if (show("  info", bpf_map_get_info_by_fd(fd, &m, &len)) == 0)
		printf("  type %u key %u value %u max %u flags %#x name '%s'\n", m.type, m.key_size, m.value_size,
		       m.max_entries, m.map_flags, m.name);
}

static void hash(enum bpf_map_type type, const char *name)
{
	int fd = must("create", bpf_map_create(type, name, 4, 8, 4, NULL));
	__u32 k;
	__u64 v;

	printf("%s:\n", name);
	info(fd);
	for (k = 1; k <= 3; k++) {
		v = k * 100;
		show("  update", bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST));
	}
	k = 2;
	v = 7;
	show("  update existing with BPF_NOEXIST", bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST));
	show("  update existing with BPF_EXIST", bpf_map_update_elem(fd, &k, &v, BPF_EXIST));
	k = 9;
	show("  update missing with BPF_EXIST", bpf_map_update_elem(fd, &k, &v, BPF_EXIST));
	show("  update with bad flags", bpf_map_update_elem(fd, &k, &v, 42));
	show("  lookup missing", bpf_map_lookup_elem(fd, &k, &v));
	dump(fd, 1);
	if (type == BPF_MAP_TYPE_HASH) {
		k = 4;
		show("  update the 4th", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
		k = 5;
		show("  update a 5th (max 4)", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	}
	k = 1;
	show("  lookup and delete", bpf_map_lookup_and_delete_elem(fd, &k, &v));
	printf("  it held %llu\n", (unsigned long long)v);
	show("  delete", bpf_map_delete_elem(fd, &k));
	dump(fd, 1);
	close(fd);
}

static void array(void)
{
	int fd = must("create", bpf_map_create(BPF_MAP_TYPE_ARRAY, "array", 4, 8, 4, NULL));
	__u32 k = 2;
	__u64 v = 5;

	printf("array:\n");
	info(fd);
	show("  update", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	show("  update with BPF_NOEXIST", bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST));
	k = 4;
	show("  update past the end", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	show("  lookup past the end", bpf_map_lookup_elem(fd, &k, &v));
	k = 0;
	show("  delete", bpf_map_delete_elem(fd, &k));
	dump(fd, 1);
	show("  freeze", bpf_map_freeze(fd));
	show("  update when frozen", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	show("  lookup when frozen", bpf_map_lookup_elem(fd, &k, &v));
	close(fd);
}

static void percpu(enum bpf_map_type type, const char *name)
{
	int cpus = must("cpus", libbpf_num_possible_cpus()), c, same = 0;
	int fd = must("create", bpf_map_create(type, name, 4, 8, 4, NULL));
	__u64 *values = calloc(cpus, sizeof(__u64));
	__u32 k = 1;

	printf("%s:\n", name);
	for (c = 0; c < cpus; c++)
		values[c] = 10 + c;
	show("  update every CPU's value", bpf_map_update_elem(fd, &k, values, BPF_ANY));
	memset(values, 0, cpus * sizeof(__u64));
	show("  lookup", bpf_map_lookup_elem(fd, &k, values));
	for (c = 0; c < cpus; c++)
		same += values[c] == (__u64)(10 + c);
	printf("  each CPU has its own value: %s\n", same == cpus ? "yes" : "no");
	show("  lookup with BPF_F_CPU", bpf_map_lookup_elem_flags(fd, &k, values, 1ULL << 3));
	free(values);
	close(fd);
}

static void lru(void)
{
	int fd = must("create", bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "lru", 4, 8, 8, NULL));
	__u32 k, n = 0, key;
	__u64 v = 1;
	int ok = 1;

	printf("lru_hash:\n");
	for (k = 0; k < 64; k++)
		ok &= bpf_map_update_elem(fd, &k, &v, BPF_ANY) == 0;
	printf("  64 updates into 8 entries succeed: %s\n", ok ? "yes" : "no");
	for (int r = bpf_map_get_next_key(fd, NULL, &key); r == 0; r = bpf_map_get_next_key(fd, &key, &key))
		n++;
	printf("  entries kept: at most 8: %s\n", n <= 8 && n > 0 ? "yes" : "no");
	k = 63;
	show("  lookup the newest", bpf_map_lookup_elem(fd, &k, &v));
	close(fd);
}

static void queue(enum bpf_map_type type, const char *name)
{
	int fd = must("create", bpf_map_create(type, name, 0, 4, 3, NULL));
	__u32 v, i;

	printf("%s:\n", name);
	for (i = 1; i <= 4; i++)
		show("  push", bpf_map_update_elem(fd, NULL, &i, BPF_ANY));
	i = 9;
	show("  push with BPF_EXIST (replaces the oldest)", bpf_map_update_elem(fd, NULL, &i, BPF_EXIST));
	if (show("  peek", bpf_map_lookup_elem(fd, NULL, &v)) == 0)
		printf("  peeked %u\n", v);
	while (bpf_map_lookup_and_delete_elem(fd, NULL, &v) == 0)
		printf("  popped %u\n", v);
	show("  pop when empty", bpf_map_lookup_and_delete_elem(fd, NULL, &v));
	show("  delete", bpf_map_delete_elem(fd, NULL));
	show("  get_next_key", bpf_map_get_next_key(fd, NULL, &v));
	close(fd);
}

static void batches(void)
{
	int fd = must("create", bpf_map_create(BPF_MAP_TYPE_HASH, "batch", 4, 8, 16, NULL));
	__u32 keys[16], out_keys[16], count, i, out_batch = 0;
	__u64 values[16], out_values[16];
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_NOEXIST);

	printf("batch:\n");
	for (i = 0; i < 10; i++) {
		keys[i] = i * 3;
		values[i] = i * i;
	}
	count = 10;
	show("  update_batch", bpf_map_update_batch(fd, keys, values, &count, NULL));
	printf("  updated %u\n", count);
	count = 2;
	show("  update_batch with BPF_NOEXIST per element (hash maps take only BPF_F_LOCK)",
	     bpf_map_update_batch(fd, keys, values, &count, &opts));
	count = 16;
	show("  lookup_batch of all", bpf_map_lookup_batch(fd, NULL, &out_batch, out_keys, out_values, &count, NULL));
	qsort(out_keys, count, sizeof(out_keys[0]), cmp_u32);
	printf("  %u keys:", count);
	for (i = 0; i < count; i++)
		printf(" %u", out_keys[i]);
	printf("\n");
	count = 3;
	show("  delete_batch", bpf_map_delete_batch(fd, keys, &count, NULL));
	printf("  deleted %u\n", count);
	dump(fd, 1);
	close(fd);
}

static void maps_of_maps(void)
{
	int inner = must("create", bpf_map_create(BPF_MAP_TYPE_ARRAY, "inner", 4, 8, 2, NULL));
	int other = must("create", bpf_map_create(BPF_MAP_TYPE_ARRAY, "other", 4, 16, 2, NULL));
	LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = inner);
	int outer = must("create", bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "outer", 4, 4, 2, &opts));
	__u32 k = 1, v = inner, id;

	printf("array_of_maps:\n");
	opts.inner_map_fd = 999999;
	show("  create with a template fd that is not open",
	     bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "bad", 4, 4, 2, &opts));
	show("  update with the inner map", bpf_map_update_elem(outer, &k, &v, BPF_ANY));
	show("  lookup (gives its id)", bpf_map_lookup_elem(outer, &k, &id));
	v = other;
	show("  update with a map of another shape", bpf_map_update_elem(outer, &k, &v, BPF_ANY));
	close(outer);
	close(other);
	close(inner);
}

static void others(void)
{
	int cpus = must("cpus", libbpf_num_possible_cpus());
	int fd;
	__u32 k = 0, v;

	printf("ringbuf:\n");
	show("  create with a size that is not a power of 2 pages",
	     bpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 5000, NULL));
	fd = must("create", bpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096 * 4, NULL));
	show("  lookup", bpf_map_lookup_elem(fd, &k, &v));
	close(fd);
	printf("perf_event_array:\n");
	fd = must("create", bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "perf", 4, 4, cpus, NULL));
	v = 0;
	show("  update with a number that is no perf event", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	close(fd);
	printf("prog_array:\n");
	fd = must("create", bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "progs", 4, 4, 4, NULL));
	v = fd;
	show("  update with a map fd", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	show("  lookup", bpf_map_lookup_elem(fd, &k, &v));
	close(fd);
	printf("stack_trace:\n");
	fd = must("create", bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "stacks", 4, 8 * 127, 16, NULL));
	show("  get_next_key when empty", bpf_map_get_next_key(fd, NULL, &k));
	close(fd);
	printf("mistakes:\n");
	show("  create with key size 0", bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 0, 8, 4, NULL));
	show("  create with an unknown type", bpf_map_create(1000, NULL, 4, 8, 4, NULL));
	show("  lookup on a closed fd", bpf_map_lookup_elem(fd, &k, &v));
	fd = must("create", bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 4, 4, NULL));
	show("  lookup with a bad key pointer", bpf_map_lookup_elem(fd, (void *)8, &v));
	show("  update with a bad value pointer", bpf_map_update_elem(fd, &k, (void *)8, BPF_ANY));
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bpf_usable())
		return EXIT_SKIP;
	hash(BPF_MAP_TYPE_HASH, "hash");
	hash(BPF_MAP_TYPE_LRU_HASH, "lru_hash_basic");
	array();
	percpu(BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array");
	percpu(BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash");
	percpu(BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash");
	lru();
	queue(BPF_MAP_TYPE_QUEUE, "queue");
	queue(BPF_MAP_TYPE_STACK, "stack");
	batches();
	maps_of_maps();
	others();
	return 0;
}
