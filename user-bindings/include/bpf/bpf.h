/*
 * The low-level bpf(2) API with libbpf's names, signatures and conventions
 * (libbpf 1.x), so code written against <bpf/bpf.h> builds unchanged with
 * -I user-bindings/include and runs on Linux, on rCore, or against the
 * hosted kernel in the same process (chosen when linking; see
 * user-bindings/c/ccbpf).
 *
 * Every function returns a negative errno on failure and also sets errno
 * to its positive value, as libbpf 1.x does. Options structs start with
 * `sz`, their size as the caller compiled them: fields past `sz` read as
 * zero (an older caller), and a larger struct is accepted only if the bytes
 * this library does not know are zero (a newer caller), else -EINVAL.
 * Declare them with LIBBPF_OPTS.
 */
#ifndef RCORE_BPF_BPF_H
#define RCORE_BPF_BPF_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libbpf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- maps ------------------------------------------------------------ */

struct bpf_map_create_opts {
	size_t sz; /* the size of this struct, as the caller compiled it */
	__u32 btf_fd;
	__u32 btf_key_type_id;
	__u32 btf_value_type_id;
	__u32 btf_vmlinux_value_type_id;
	__u32 inner_map_fd; /* the template of a map of maps */
	__u32 map_flags; /* BPF_F_* */
	__u64 map_extra;
	__u32 numa_node;
	__u32 map_ifindex;
	__s32 value_type_btf_obj_fd;
	__u32 token_fd;
	size_t : 0;
};
#define bpf_map_create_opts__last_field token_fd

/* Creates a map; returns its fd. `map_name` may be NULL. */
LIBBPF_API int bpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size, __u32 value_size,
			      __u32 max_entries, const struct bpf_map_create_opts *opts);

/* `flags`: BPF_ANY, BPF_NOEXIST or BPF_EXIST (and BPF_F_LOCK). */
LIBBPF_API int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
LIBBPF_API int bpf_map_lookup_elem(int fd, const void *key, void *value);
LIBBPF_API int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags);
LIBBPF_API int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value);
LIBBPF_API int bpf_map_lookup_and_delete_elem_flags(int fd, const void *key, void *value, __u64 flags);
LIBBPF_API int bpf_map_delete_elem(int fd, const void *key);
LIBBPF_API int bpf_map_delete_elem_flags(int fd, const void *key, __u64 flags);
/* The key after `key` (the first key when `key` is NULL); -ENOENT at the end. */
LIBBPF_API int bpf_map_get_next_key(int fd, const void *key, void *next_key);
/* Makes the map read-only for system calls. */
LIBBPF_API int bpf_map_freeze(int fd);

struct bpf_map_batch_opts {
	size_t sz; /* the size of this struct, as the caller compiled it */
	__u64 elem_flags;
	__u64 flags;
};
#define bpf_map_batch_opts__last_field flags

/*
 * Batch operations. `count` is the number of elements the arrays hold on
 * entry and the number processed on return, also when the call fails.
 * Lookups start at `in_batch` (NULL: the first element) and store where to
 * go on in `out_batch`; -ENOENT says the whole map was walked.
 */
LIBBPF_API int bpf_map_delete_batch(int fd, const void *keys, __u32 *count, const struct bpf_map_batch_opts *opts);
LIBBPF_API int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, __u32 *count,
				    const struct bpf_map_batch_opts *opts);
LIBBPF_API int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
					       __u32 *count, const struct bpf_map_batch_opts *opts);
LIBBPF_API int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				    const struct bpf_map_batch_opts *opts);

/* ---- programs -------------------------------------------------------- */

struct bpf_prog_load_opts {
	size_t sz; /* the size of this struct, as the caller compiled it */
	/* Times to try while the kernel answers EAGAIN (0: 5). */
	int attempts;
	enum bpf_attach_type expected_attach_type;
	__u32 prog_btf_fd;
	__u32 prog_flags;
	__u32 prog_ifindex;
	__u32 kern_version;
	__u32 attach_btf_id;
	__u32 attach_prog_fd;
	__u32 attach_btf_obj_fd;
	const int *fd_array;
	const void *func_info;
	__u32 func_info_cnt;
	__u32 func_info_rec_size;
	const void *line_info;
	__u32 line_info_cnt;
	__u32 line_info_rec_size;
	/* The verifier's log: level (1, 2, with BPF_LOG_STATS...), size, buffer. */
	__u32 log_level;
	__u32 log_size;
	char *log_buf;
	/* Out: the log's full size (where the kernel tells it). */
	__u32 log_true_size;
	__u32 token_fd;
	__u32 fd_array_cnt;
	size_t : 0;
};
#define bpf_prog_load_opts__last_field fd_array_cnt

/* Loads (and verifies) a program; returns its fd. `prog_name` may be NULL. */
LIBBPF_API int bpf_prog_load(enum bpf_prog_type prog_type, const char *prog_name, const char *license,
			     const struct bpf_insn *insns, size_t insn_cnt, struct bpf_prog_load_opts *opts);

struct bpf_test_run_opts {
	size_t sz; /* the size of this struct, as the caller compiled it */
	const void *data_in;
	void *data_out;
	__u32 data_size_in;
	__u32 data_size_out; /* in: room in data_out; out: bytes the run produced */
	const void *ctx_in;
	void *ctx_out;
	__u32 ctx_size_in;
	__u32 ctx_size_out; /* in: room in ctx_out; out: bytes of the context */
	__u32 retval; /* out: the program's return value */
	int repeat;
	__u32 duration; /* out: mean ns per run */
	__u32 flags;
	__u32 cpu;
	__u32 batch_size;
};
#define bpf_test_run_opts__last_field batch_size

/* Runs a program on the given data and context (BPF_PROG_TEST_RUN). */
LIBBPF_API int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts);

/* ---- object information ------------------------------------------------ */

/* Fills up to *info_len bytes of the object's info struct; sets *info_len
 * to the bytes the kernel wrote. */
LIBBPF_API int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len);
LIBBPF_API int bpf_prog_get_info_by_fd(int prog_fd, struct bpf_prog_info *info, __u32 *info_len);
LIBBPF_API int bpf_map_get_info_by_fd(int map_fd, struct bpf_map_info *info, __u32 *info_len);

/* ---- attaching --------------------------------------------------------- */

/*
 * Linux's attach of a program to an object (a cgroup, a socket map...) by
 * fd, with Linux's attr. rCore's kernel reads BPF_PROG_ATTACH and
 * BPF_PROG_DETACH in the original's form (a target string, below), so
 * there these fail.
 */
LIBBPF_API int bpf_prog_attach(int prog_fd, int attachable_fd, enum bpf_attach_type type, unsigned int flags);
LIBBPF_API int bpf_prog_detach(int attachable_fd, enum bpf_attach_type type);
LIBBPF_API int bpf_prog_detach2(int prog_fd, int attachable_fd, enum bpf_attach_type type);

/* ---- rCore's extensions, in the same style -------------------------- */

struct bpf_prog_attach_target_opts {
	size_t sz; /* the size of this struct, as the caller compiled it */
	__u32 flags; /* BPF_F_RCORE_PROBE_CTX or 0 */
	size_t : 0;
};
#define bpf_prog_attach_target_opts__last_field flags

/*
 * Attaches a program to a probe named by its target string:
 * "kprobe:<fn>", "kretprobe@entry:<fn>", "kretprobe@exit:<fn>",
 * "tracepoint:<category>:<name>" or "raw_tracepoint:<name>".
 */
LIBBPF_API int bpf_prog_attach_target(int prog_fd, const char *target,
				      const struct bpf_prog_attach_target_opts *opts);
/* Detaches `prog_fd` (or, with -1, every program) from the target. */
LIBBPF_API int bpf_prog_detach_target(int prog_fd, const char *target);

struct bpf_prog_load_ex_opts {
	size_t sz; /* the size of this struct, as the caller compiled it */
	/* Maps the caller provides, by the object's symbol names. */
	const struct bpf_map_fd_entry *map_array;
	__u32 map_array_len;
	/* In: entries `progs` has room for; out: programs in the object. */
	__u32 progs_len;
	/* Out: the programs, in object order (or NULL). */
	struct bpf_load_ex_prog *progs;
	/* Out: the maps, in object order (or NULL). */
	struct bpf_load_ex_map *maps;
	/* In: entries `maps` has room for; out: maps of the object. */
	__u32 maps_len;
	/* Why an object or a program was refused. */
	__u32 log_level;
	char *log_buf;
	__u32 log_size;
	size_t : 0;
};
#define bpf_prog_load_ex_opts__last_field log_size

/*
 * Loads every program of a clang-built ELF object (the original rCore
 * way, BPF_PROG_LOAD_EX): maps created or taken from `map_array`,
 * relocated, verified. Returns the fd of its first program.
 */
LIBBPF_API int bpf_prog_load_ex(const void *elf, size_t elf_size, struct bpf_prog_load_ex_opts *opts);

/* ---- misc ------------------------------------------------------------- */

/* Number of possible CPUs (the values a per-CPU map holds per key). */
LIBBPF_API int libbpf_num_possible_cpus(void);

/*
 * The bpf(2) system call itself: returns its result, or a negative errno.
 * The library calls it for every command; which kernel serves it is chosen
 * when the program is linked (the system call, or the hosted kernel).
 */
LIBBPF_API long rcbpf_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);

#ifdef __cplusplus
}
#endif

#endif /* RCORE_BPF_BPF_H */
