/*
 * <linux/bpf.h> for programs built against this project's headers
 * (-I user-bindings/include): the uapi types and constants come from the
 * generated bpf_abi.h, the one description of the ABI.
 */
#ifndef RCORE_LINUX_BPF_H
#define RCORE_LINUX_BPF_H
#include "../bpf_abi.h"
#endif
