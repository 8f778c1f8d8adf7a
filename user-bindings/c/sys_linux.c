/*
 * rcbpf_sys_bpf as the bpf(2) system call, for Linux and rCore. The
 * number comes from the description (bpf_abi.h); <sys/syscall.h> is
 * included after it, so a different number there is a redefinition that
 * -Werror refuses.
 */
#include <bpf/bpf.h>

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

long rcbpf_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	long ret = syscall(__NR_bpf, cmd, attr, size);

	return ret < 0 ? -errno : ret;
}
