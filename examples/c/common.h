/*
 * Shared by the C examples: errno names (strerror's words differ between
 * C libraries, and the examples' output is compared across them) and a
 * printer of call results.
 */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit status of an example that cannot run here (the tests' skip). */
#define EXIT_SKIP 77

static inline const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ELOOP: return "ELOOP";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case 524: return "ENOTSUPP";
	default: return "another errno";
	}
}

/*
 * Prints `label: ok` or `label: <errno name>` for a libbpf-style result,
 * and says so if errno does not match it. Returns the result.
 */
static inline int show(const char *label, int ret)
{
	if (ret >= 0) {
		printf("%s: ok\n", label);
	} else {
		printf("%s: %s\n", label, errname(-ret));
		if (errno != -ret)
			printf("  errno is %d, not %d\n", errno, -ret);
	}
	return ret;
}

/* The first argument that is not a libbpf-style success ends the example. */
static inline int must(const char *what, int ret)
{
	if (ret < 0) {
		printf("%s failed: %s\n", what, errname(-ret));
		exit(1);
	}
	return ret;
}

/* Whether bpf(2) can be used here; prints why not. */
static inline int bpf_usable(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd < 0) {
		printf("SKIP: bpf(2) is refused here (%s)\n", errname(-fd));
		return 0;
	}
	close(fd);
	return 1;
}

static inline int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

#endif
