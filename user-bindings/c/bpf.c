/*
 * The low-level bpf(2) API of <bpf/bpf.h>: one function per operation, each
 * filling its part of union bpf_attr (the generated layout) and calling
 * rcbpf_sys_bpf, which the program is linked with: the system call
 * (sys_linux.c) or the hosted kernel (libbpf_hosted.a).
 */
#include <bpf/bpf.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ptr_to_u64(p) ((__u64)(unsigned long)(p))
#define offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* Sets errno from a negative result, as libbpf 1.x does; returns it. */
static int result(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

static int sys_bpf(enum bpf_cmd cmd, void *attr, size_t size)
{
	long ret = rcbpf_sys_bpf(cmd, (union bpf_attr *)attr, (unsigned int)size);
	return result(ret < INT_MIN ? -EINVAL : (int)ret);
}

/*
 * Whether an options struct can be read: it holds at least its `sz`, and
 * the bytes past the fields this library knows (`known`) are zero.
 */
static bool opts_valid(const void *opts, size_t known, const char *type)
{
	const char *bytes = opts;
	size_t sz, i;

	if (!opts)
		return true;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t)) {
		fprintf(stderr, "libbpf: %s size (%zu) is too small\n", type, sz);
		return false;
	}
	for (i = known; i < sz; i++) {
		if (bytes[i]) {
			fprintf(stderr, "libbpf: %s has non-zero extra bytes\n", type);
			return false;
		}
	}
	return true;
}

#define OPTS_VALID(opts, type) opts_valid(opts, offsetofend(struct type, type##__last_field), #type)
/* Whether the caller's struct (of its `sz`) has `field`. */
#define OPTS_HAS(opts, field) ((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))
#define OPTS_SET(opts, field, value)              \
	do {                                      \
		if (OPTS_HAS(opts, field))        \
			(opts)->field = (value);  \
	} while (0)

/* Copies a name into a kernel name field, cut to leave its NUL. */
static void copy_name(char *dst, size_t size, const char *name)
{
	size_t i;

	for (i = 0; name && name[i] && i + 1 < size; i++)
		dst[i] = name[i];
}

/* ---- maps ------------------------------------------------------------ */

int bpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size, __u32 value_size,
		   __u32 max_entries, const struct bpf_map_create_opts *opts)
{
	const size_t attr_sz = offsetofend(union bpf_attr, map_extra);
	union bpf_attr attr;

	if (!OPTS_VALID(opts, bpf_map_create_opts))
		return result(-EINVAL);
	/* The kernel's attr has no room for these. */
	if (OPTS_GET(opts, value_type_btf_obj_fd, 0) || OPTS_GET(opts, token_fd, 0))
		return result(-EINVAL);
	memset(&attr, 0, attr_sz);
	attr.map_type = map_type;
	copy_name(attr.map_name, sizeof(attr.map_name), map_name);
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.btf_fd = OPTS_GET(opts, btf_fd, 0);
	attr.btf_key_type_id = OPTS_GET(opts, btf_key_type_id, 0);
	attr.btf_value_type_id = OPTS_GET(opts, btf_value_type_id, 0);
	attr.btf_vmlinux_value_type_id = OPTS_GET(opts, btf_vmlinux_value_type_id, 0);
	attr.inner_map_fd = OPTS_GET(opts, inner_map_fd, 0);
	attr.map_flags = OPTS_GET(opts, map_flags, 0);
	attr.map_extra = OPTS_GET(opts, map_extra, 0);
	attr.numa_node = OPTS_GET(opts, numa_node, 0);
	attr.map_ifindex = OPTS_GET(opts, map_ifindex, 0);
	return sys_bpf(BPF_MAP_CREATE, &attr, attr_sz);
}

/* One element command: the map, the key, the value (or next key), flags. */
static int elem(enum bpf_cmd cmd, int fd, const void *key, const void *value, __u64 flags)
{
	const size_t attr_sz = offsetofend(union bpf_attr, flags);
	union bpf_attr attr;

	memset(&attr, 0, attr_sz);
	attr.map_fd = fd;
	attr.key = ptr_to_u64(key);
	attr.value = ptr_to_u64(value);
	attr.flags = flags;
	return sys_bpf(cmd, &attr, attr_sz);
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	return elem(BPF_MAP_UPDATE_ELEM, fd, key, value, flags);
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0);
}

int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	return elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, flags);
}

int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)
{
	return elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, 0);
}

int bpf_map_lookup_and_delete_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	return elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, flags);
}

int bpf_map_delete_elem(int fd, const void *key)
{
	return elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

int bpf_map_delete_elem_flags(int fd, const void *key, __u64 flags)
{
	return elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, flags);
}

int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	return elem(BPF_MAP_GET_NEXT_KEY, fd, key, next_key, 0);
}

int bpf_map_freeze(int fd)
{
	const size_t attr_sz = offsetofend(union bpf_attr, map_fd);
	union bpf_attr attr;

	memset(&attr, 0, attr_sz);
	attr.map_fd = fd;
	return sys_bpf(BPF_MAP_FREEZE, &attr, attr_sz);
}

static int batch(enum bpf_cmd cmd, int fd, void *in_batch, void *out_batch, const void *keys, const void *values,
		 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	const size_t attr_sz = offsetofend(union bpf_attr, batch);
	union bpf_attr attr;
	int ret;

	if (!OPTS_VALID(opts, bpf_map_batch_opts))
		return result(-EINVAL);
	if (!count)
		return result(-EINVAL);
	memset(&attr, 0, attr_sz);
	attr.batch.map_fd = fd;
	attr.batch.in_batch = ptr_to_u64(in_batch);
	attr.batch.out_batch = ptr_to_u64(out_batch);
	attr.batch.keys = ptr_to_u64(keys);
	attr.batch.values = ptr_to_u64(values);
	attr.batch.count = *count;
	attr.batch.elem_flags = OPTS_GET(opts, elem_flags, 0);
	attr.batch.flags = OPTS_GET(opts, flags, 0);
	ret = sys_bpf(cmd, &attr, attr_sz);
	*count = attr.batch.count;
	return ret;
}

int bpf_map_delete_batch(int fd, const void *keys, __u32 *count, const struct bpf_map_batch_opts *opts)
{
	return batch(BPF_MAP_DELETE_BATCH, fd, NULL, NULL, keys, NULL, count, opts);
}

int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	return batch(BPF_MAP_LOOKUP_BATCH, fd, in_batch, out_batch, keys, values, count, opts);
}

int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, __u32 *count,
				    const struct bpf_map_batch_opts *opts)
{
	return batch(BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, in_batch, out_batch, keys, values, count, opts);
}

int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	return batch(BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, values, count, opts);
}

/* ---- programs -------------------------------------------------------- */

/* Loads, trying again while the kernel answers EAGAIN. */
static int load(union bpf_attr *attr, size_t attr_sz, int attempts)
{
	int fd;

	do {
		fd = sys_bpf(BPF_PROG_LOAD, attr, attr_sz);
	} while (fd == -EAGAIN && --attempts > 0);
	return fd;
}

int bpf_prog_load(enum bpf_prog_type prog_type, const char *prog_name, const char *license,
		  const struct bpf_insn *insns, size_t insn_cnt, struct bpf_prog_load_opts *opts)
{
	const size_t attr_sz = offsetofend(union bpf_attr, core_relo_rec_size);
	union bpf_attr attr;
	char *log_buf;
	__u32 log_size, log_level;
	int attempts, fd;

	if (!OPTS_VALID(opts, bpf_prog_load_opts))
		return result(-EINVAL);
	attempts = OPTS_GET(opts, attempts, 0);
	if (attempts < 0)
		return result(-EINVAL);
	if (attempts == 0)
		attempts = 5;
	/* The kernel's attr has no room for these. */
	if (OPTS_GET(opts, token_fd, 0) || OPTS_GET(opts, fd_array_cnt, 0))
		return result(-EINVAL);
	if (insn_cnt > UINT_MAX)
		return result(-E2BIG);

	memset(&attr, 0, attr_sz);
	attr.prog_type = prog_type;
	attr.expected_attach_type = OPTS_GET(opts, expected_attach_type, 0);
	attr.prog_btf_fd = OPTS_GET(opts, prog_btf_fd, 0);
	attr.prog_flags = OPTS_GET(opts, prog_flags, 0);
	attr.prog_ifindex = OPTS_GET(opts, prog_ifindex, 0);
	attr.kern_version = OPTS_GET(opts, kern_version, 0);
	copy_name(attr.prog_name, sizeof(attr.prog_name), prog_name);
	attr.license = ptr_to_u64(license);
	attr.insns = ptr_to_u64(insns);
	attr.insn_cnt = (__u32)insn_cnt;
	attr.attach_btf_id = OPTS_GET(opts, attach_btf_id, 0);
	if (OPTS_GET(opts, attach_prog_fd, 0))
		attr.attach_prog_fd = OPTS_GET(opts, attach_prog_fd, 0);
	else
		attr.attach_btf_obj_fd = OPTS_GET(opts, attach_btf_obj_fd, 0);
	attr.fd_array = ptr_to_u64(OPTS_GET(opts, fd_array, NULL));
	attr.func_info_rec_size = OPTS_GET(opts, func_info_rec_size, 0);
	attr.func_info = ptr_to_u64(OPTS_GET(opts, func_info, NULL));
	attr.func_info_cnt = OPTS_GET(opts, func_info_cnt, 0);
	attr.line_info_rec_size = OPTS_GET(opts, line_info_rec_size, 0);
	attr.line_info = ptr_to_u64(OPTS_GET(opts, line_info, NULL));
	attr.line_info_cnt = OPTS_GET(opts, line_info_cnt, 0);

	log_buf = OPTS_GET(opts, log_buf, NULL);
	log_size = OPTS_GET(opts, log_size, 0);
	log_level = OPTS_GET(opts, log_level, 0);
	if (!!log_buf != !!log_size)
		return result(-EINVAL);
	if (log_level) {
		attr.log_buf = ptr_to_u64(log_buf);
		attr.log_size = log_size;
		attr.log_level = log_level;
	}
	fd = load(&attr, attr_sz, attempts);
	/* This kernel's attr does not report the log's full size. */
	OPTS_SET(opts, log_true_size, 0);
	if (fd >= 0 || log_level || !log_buf)
		return fd;
	/* A buffer without a level: load again with level 1 to say why. */
	attr.log_buf = ptr_to_u64(log_buf);
	attr.log_size = log_size;
	attr.log_level = 1;
	return load(&attr, attr_sz, attempts);
}

int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts)
{
	const size_t attr_sz = offsetofend(union bpf_attr, test);
	union bpf_attr attr;
	int ret;

	if (!OPTS_VALID(opts, bpf_test_run_opts))
		return result(-EINVAL);
	memset(&attr, 0, attr_sz);
	attr.test.prog_fd = prog_fd;
	attr.test.batch_size = OPTS_GET(opts, batch_size, 0);
	attr.test.cpu = OPTS_GET(opts, cpu, 0);
	attr.test.flags = OPTS_GET(opts, flags, 0);
	attr.test.repeat = OPTS_GET(opts, repeat, 0);
	attr.test.duration = OPTS_GET(opts, duration, 0);
	attr.test.ctx_size_in = OPTS_GET(opts, ctx_size_in, 0);
	attr.test.ctx_size_out = OPTS_GET(opts, ctx_size_out, 0);
	attr.test.ctx_in = ptr_to_u64(OPTS_GET(opts, ctx_in, NULL));
	attr.test.ctx_out = ptr_to_u64(OPTS_GET(opts, ctx_out, NULL));
	attr.test.data_size_in = OPTS_GET(opts, data_size_in, 0);
	attr.test.data_size_out = OPTS_GET(opts, data_size_out, 0);
	attr.test.data_in = ptr_to_u64(OPTS_GET(opts, data_in, NULL));
	attr.test.data_out = ptr_to_u64(OPTS_GET(opts, data_out, NULL));
	ret = sys_bpf(BPF_PROG_TEST_RUN, &attr, attr_sz);
	OPTS_SET(opts, data_size_out, attr.test.data_size_out);
	OPTS_SET(opts, ctx_size_out, attr.test.ctx_size_out);
	OPTS_SET(opts, duration, attr.test.duration);
	OPTS_SET(opts, retval, attr.test.retval);
	return ret;
}

/* ---- object information ------------------------------------------------ */

int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len)
{
	const size_t attr_sz = offsetofend(union bpf_attr, info);
	union bpf_attr attr;
	int ret;

	if (!info_len)
		return result(-EINVAL);
	memset(&attr, 0, attr_sz);
	attr.info.bpf_fd = bpf_fd;
	attr.info.info_len = *info_len;
	attr.info.info = ptr_to_u64(info);
	ret = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, attr_sz);
	if (!ret)
		*info_len = attr.info.info_len;
	return ret;
}

int bpf_prog_get_info_by_fd(int prog_fd, struct bpf_prog_info *info, __u32 *info_len)
{
	return bpf_obj_get_info_by_fd(prog_fd, info, info_len);
}

int bpf_map_get_info_by_fd(int map_fd, struct bpf_map_info *info, __u32 *info_len)
{
	return bpf_obj_get_info_by_fd(map_fd, info, info_len);
}

/* ---- attaching --------------------------------------------------------- */

int bpf_prog_attach(int prog_fd, int attachable_fd, enum bpf_attach_type type, unsigned int flags)
{
	const size_t attr_sz = offsetofend(union bpf_attr, replace_bpf_fd);
	union bpf_attr attr;

	memset(&attr, 0, attr_sz);
	attr.target_fd = attachable_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = type;
	attr.attach_flags = flags;
	return sys_bpf(BPF_PROG_ATTACH, &attr, attr_sz);
}

int bpf_prog_detach2(int prog_fd, int attachable_fd, enum bpf_attach_type type)
{
	const size_t attr_sz = offsetofend(union bpf_attr, replace_bpf_fd);
	union bpf_attr attr;

	memset(&attr, 0, attr_sz);
	attr.target_fd = attachable_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = type;
	return sys_bpf(BPF_PROG_DETACH, &attr, attr_sz);
}

int bpf_prog_detach(int attachable_fd, enum bpf_attach_type type)
{
	return bpf_prog_detach2(0, attachable_fd, type);
}

/* ---- rCore's extensions ---------------------------------------------- */

int bpf_prog_attach_target(int prog_fd, const char *target, const struct bpf_prog_attach_target_opts *opts)
{
	struct bpf_attach_target attr;

	if (!OPTS_VALID(opts, bpf_prog_attach_target_opts))
		return result(-EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.target = ptr_to_u64(target);
	attr.prog_fd = prog_fd;
	attr.flags = OPTS_GET(opts, flags, 0);
	return sys_bpf(BPF_PROG_ATTACH, &attr, sizeof(attr));
}

int bpf_prog_detach_target(int prog_fd, const char *target)
{
	struct bpf_attach_target attr;

	memset(&attr, 0, sizeof(attr));
	attr.target = ptr_to_u64(target);
	/* The kernel reads fd 0 as "every program". */
	attr.prog_fd = prog_fd < 0 ? 0 : prog_fd;
	return sys_bpf(BPF_PROG_DETACH, &attr, sizeof(attr));
}

int bpf_prog_load_ex(const void *elf, size_t elf_size, struct bpf_prog_load_ex_opts *opts)
{
	struct bpf_program_load_ex_attr attr;
	int fd;

	if (!OPTS_VALID(opts, bpf_prog_load_ex_opts))
		return result(-EINVAL);
	if (elf_size > UINT_MAX)
		return result(-E2BIG);
	memset(&attr, 0, sizeof(attr));
	attr.elf_prog = ptr_to_u64(elf);
	attr.elf_size = (__u32)elf_size;
	attr.map_array = ptr_to_u64(OPTS_GET(opts, map_array, NULL));
	attr.map_array_len = OPTS_GET(opts, map_array_len, 0);
	attr.progs = ptr_to_u64(OPTS_GET(opts, progs, NULL));
	attr.progs_len = OPTS_GET(opts, progs_len, 0);
	attr.maps = ptr_to_u64(OPTS_GET(opts, maps, NULL));
	attr.maps_len = OPTS_GET(opts, maps_len, 0);
	attr.log_buf = ptr_to_u64(OPTS_GET(opts, log_buf, NULL));
	attr.log_size = OPTS_GET(opts, log_size, 0);
	attr.log_level = OPTS_GET(opts, log_level, 0);
	fd = sys_bpf(BPF_PROG_LOAD_EX, &attr, sizeof(attr));
	OPTS_SET(opts, progs_len, attr.progs_len);
	OPTS_SET(opts, maps_len, attr.maps_len);
	return fd;
}

/* ---- misc ------------------------------------------------------------- */

/* CPUs in a list such as "0-3,8,10-11"; -1 if it is not one. */
static int count_cpus(const char *list)
{
	int n = 0;

	while (*list && *list != '\n') {
		char *end;
		long a = strtol(list, &end, 10), b = a;

		if (end == list || a < 0)
			return -1;
		if (*end == '-') {
			list = end + 1;
			b = strtol(list, &end, 10);
			if (end == list || b < a)
				return -1;
		}
		n += (int)(b - a + 1);
		list = *end == ',' ? end + 1 : end;
	}
	return n;
}

int libbpf_num_possible_cpus(void)
{
	static int cached;
	char buf[256];
	FILE *f;
	int n = -1;

	if (cached > 0)
		return cached;
	f = fopen("/sys/devices/system/cpu/possible", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			n = count_cpus(buf);
		fclose(f);
	}
	if (n <= 0)
		n = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (n <= 0)
		return result(-ENOENT);
	cached = n;
	return n;
}
