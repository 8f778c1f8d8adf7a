/*
 * Generated from abi/bpf.abi by the codegen crate. Do not edit.
 * Regenerate with: cargo run -p codegen --bin regen
 */
#ifndef RCORE_BPF_ABI_H
#define RCORE_BPF_ABI_H

/* This header replaces <linux/bpf.h>; including both is harmless. */
#ifndef __LINUX_BPF_H__
#define __LINUX_BPF_H__
#endif

#include <stddef.h>

/* The same typedefs as <linux/types.h>, so the two can be included together. */
typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef signed short __s16;
typedef unsigned int __u32;
typedef signed int __s32;
typedef unsigned long long __u64;
typedef signed long long __s64;
#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif

#ifdef __cplusplus
#define BPF_ABI_ASSERT(c, m) static_assert(c, m)
#else
#define BPF_ABI_ASSERT(c, m) _Static_assert(c, m)
#endif

/* Lengths of object names. */
/* Length of map and program names, including the terminating NUL. */
#define BPF_OBJ_NAME_LEN 0x10U
/* Length of a program tag (a hash of its instructions). */
#define BPF_TAG_SIZE 8U

/* Instruction classes: the low 3 bits of the opcode. */
/* Classic load (used for 64-bit immediates and legacy packet access). */
#define BPF_LD 0
/* Load from memory into a register. */
#define BPF_LDX 1
/* Store an immediate to memory. */
#define BPF_ST 2
/* Store a register to memory (and atomics). */
#define BPF_STX 3
/* 32-bit arithmetic. */
#define BPF_ALU 4
/* 64-bit jumps, calls and exit. */
#define BPF_JMP 5
/* 32-bit jumps. */
#define BPF_JMP32 6
/* 64-bit arithmetic. */
#define BPF_ALU64 7

/* Access sizes of load and store instructions (bits 3-4 of the opcode). */
/* 32-bit word. */
#define BPF_W 0
/* 16-bit half word. */
#define BPF_H 8
/* Byte. */
#define BPF_B 0x10
/* 64-bit double word. */
#define BPF_DW 0x18

/* Modes of load and store instructions (bits 5-7 of the opcode). */
/* Immediate (with BPF_LD | BPF_DW: the 64-bit immediate load). */
#define BPF_IMM 0
/* Legacy absolute packet access. */
#define BPF_ABS 0x20
/* Legacy indirect packet access. */
#define BPF_IND 0x40
/* Regular memory access. */
#define BPF_MEM 0x60
/*
 * Sign-extending memory load.
 * Linux 6.6 and later.
 */
#define BPF_MEMSX 0x80
/* Atomic memory operation; the operation is in the immediate. */
#define BPF_ATOMIC 0xc0
#define BPF_XADD BPF_ATOMIC

/* Operand source (bit 3 of ALU and jump opcodes). */
/* The 32-bit immediate. */
#define BPF_K 0
/* The source register. */
#define BPF_X 8

/* Arithmetic operations (bits 4-7 of ALU opcodes; also atomic operations in the immediate). */
/* dst += src */
#define BPF_ADD 0
/* dst -= src */
#define BPF_SUB 0x10
/* dst *= src */
#define BPF_MUL 0x20
/* dst /= src (offset 1: signed) */
#define BPF_DIV 0x30
/* dst |= src */
#define BPF_OR 0x40
/* dst &= src */
#define BPF_AND 0x50
/* dst <<= src */
#define BPF_LSH 0x60
/* dst >>= src (logical) */
#define BPF_RSH 0x70
/* dst = -dst */
#define BPF_NEG 0x80
/* dst %= src (offset 1: signed) */
#define BPF_MOD 0x90
/* dst ^= src */
#define BPF_XOR 0xa0
/* dst = src (offset 8/16/32: sign-extending) */
#define BPF_MOV 0xb0
/* dst >>= src (arithmetic) */
#define BPF_ARSH 0xc0
/* Byte swap; the width is in the immediate. */
#define BPF_END 0xd0

/* Jump operations (bits 4-7 of jump opcodes). */
/* Unconditional jump. */
#define BPF_JA 0
/* Jump if equal. */
#define BPF_JEQ 0x10
/* Jump if greater, unsigned. */
#define BPF_JGT 0x20
/* Jump if greater or equal, unsigned. */
#define BPF_JGE 0x30
/* Jump if dst & src is not zero. */
#define BPF_JSET 0x40
/* Jump if not equal. */
#define BPF_JNE 0x50
/* Jump if greater, signed. */
#define BPF_JSGT 0x60
/* Jump if greater or equal, signed. */
#define BPF_JSGE 0x70
/* Call a helper or a local function. */
#define BPF_CALL 0x80
/* Return from the function. */
#define BPF_EXIT 0x90
/* Jump if less, unsigned. */
#define BPF_JLT 0xa0
/* Jump if less or equal, unsigned. */
#define BPF_JLE 0xb0
/* Jump if less, signed. */
#define BPF_JSLT 0xc0
/* Jump if less or equal, signed. */
#define BPF_JSLE 0xd0

/* Byte-swap direction (the source bit of BPF_END). */
/* Convert to (or from) little-endian. */
#define BPF_TO_LE 0
#define BPF_FROM_LE BPF_TO_LE
/* Convert to (or from) big-endian. */
#define BPF_TO_BE 8
#define BPF_FROM_BE BPF_TO_BE

/* Atomic operation modifiers, in the immediate of BPF_ATOMIC instructions. */
/* Also load the old value into the source register. */
#define BPF_FETCH 1U
/* Atomic exchange. */
#define BPF_XCHG 0xe1U
/* Atomic compare-and-exchange with r0. */
#define BPF_CMPXCHG 0xf1U

/*
 * Masks that pick the parts of an opcode (Linux writes them as the macros
 * BPF_CLASS(), BPF_SIZE(), BPF_MODE(), BPF_OP() and BPF_SRC()).
 * Origin: rCore extension.
 */
/*
 * The class bits.
 * Origin: rCore extension.
 */
#define BPF_CLASS_MASK 7
/*
 * The size bits of loads and stores.
 * Origin: rCore extension.
 */
#define BPF_SIZE_MASK 0x18
/*
 * The mode bits of loads and stores.
 * Origin: rCore extension.
 */
#define BPF_MODE_MASK 0xe0
/*
 * The operation bits of ALU and jump instructions.
 * Origin: rCore extension.
 */
#define BPF_OP_MASK 0xf0
/*
 * The source bit of ALU and jump instructions.
 * Origin: rCore extension.
 */
#define BPF_SRC_MASK 8

/* Register numbers. */
/* Return value, and helper results. */
#define BPF_REG_0 0
/* First argument; the context at entry. */
#define BPF_REG_1 1
/* Second argument. */
#define BPF_REG_2 2
/* Third argument. */
#define BPF_REG_3 3
/* Fourth argument. */
#define BPF_REG_4 4
/* Fifth argument. */
#define BPF_REG_5 5
/* Callee-saved. */
#define BPF_REG_6 6
/* Callee-saved. */
#define BPF_REG_7 7
/* Callee-saved. */
#define BPF_REG_8 8
/* Callee-saved. */
#define BPF_REG_9 9
/* Read-only frame pointer. */
#define BPF_REG_10 10

/* `src_reg` values of a 64-bit immediate load (BPF_LD | BPF_IMM | BPF_DW). */
/* The immediate is a map fd; loads the map. */
#define BPF_PSEUDO_MAP_FD 1
/* The immediate is a map fd, the next slot's immediate an offset into its value. */
#define BPF_PSEUDO_MAP_VALUE 2
/* The immediate is a BTF type id of a kernel variable. */
#define BPF_PSEUDO_BTF_ID 3
/* The immediate is the relative address of a BPF function. */
#define BPF_PSEUDO_FUNC 4
/* The immediate indexes the fd_array given at load; loads the map. */
#define BPF_PSEUDO_MAP_IDX 5
/* As BPF_PSEUDO_MAP_IDX, with an offset into the map value. */
#define BPF_PSEUDO_MAP_IDX_VALUE 6

/* `src_reg` values of BPF_JMP | BPF_CALL. */
/* The immediate is the relative instruction of a local (bpf-to-bpf) function. */
#define BPF_PSEUDO_CALL 1
/* The immediate is the BTF id of a kernel function. */
#define BPF_PSEUDO_KFUNC_CALL 2

/* Limits of classic and extended BPF. */
/* Maximum instruction count of a classic BPF program. */
#define BPF_MAXINSNS 0x1000U

/*
 * Runtime limits of this implementation, set to Linux's kernel-internal values.
 * Origin: rCore extension.
 */
/*
 * Bytes of stack per BPF function frame (Linux MAX_BPF_STACK).
 * Origin: rCore extension.
 */
#define MAX_BPF_STACK 0x200U
/*
 * Deepest bpf-to-bpf call chain, entry frame included (Linux MAX_CALL_FRAMES).
 * Origin: rCore extension.
 */
#define MAX_CALL_FRAMES 8U
/*
 * Most tail calls one program run may make (Linux MAX_TAIL_CALL_CNT).
 * Origin: rCore extension.
 */
#define MAX_TAIL_CALL_CNT 0x21U
/*
 * Most instructions a program may have (Linux BPF_COMPLEXITY_LIMIT_INSNS).
 * Origin: rCore extension.
 */
#define BPF_COMPLEXITY_LIMIT_INSNS 0xf4240U
/*
 * Bytes of a tracepoint record a program may read (Linux PERF_MAX_TRACE_SIZE).
 * Origin: rCore extension.
 */
#define PERF_MAX_TRACE_SIZE 0x2000U
/*
 * Longest license string BPF_PROG_LOAD reads, NUL included.
 * Origin: rCore extension.
 */
#define BPF_LICENSE_LEN 0x80U
/*
 * Page size for ring buffer layouts and limits.
 * Origin: rCore extension.
 */
#define PAGE_SIZE 0x1000U
/*
 * Largest single allocation; map keys plus values must stay below it (Linux KMALLOC_MAX_SIZE on x86_64).
 * Origin: rCore extension.
 */
#define KMALLOC_MAX_SIZE 0x400000U
/*
 * Largest per-CPU value, rounded up to 8 bytes (Linux PCPU_MIN_UNIT_SIZE).
 * Origin: rCore extension.
 */
#define PCPU_MIN_UNIT_SIZE 0x8000U
/*
 * Most hash buckets (max_entries rounded up to a power of two); more is E2BIG as in Linux.
 * Origin: rCore extension.
 */
#define HTAB_MAX_BUCKETS 0x10000000U
/*
 * Bytes one map may allocate; more is ENOMEM (in Linux, the memory cgroup's limit).
 * Origin: rCore extension.
 */
#define BPF_MAP_MEMORY_LIMIT 0x40000000U

/* Flags of BPF_MAP_UPDATE_ELEM (and the batch and helper updates). */
/* Create a new element or update an existing one. */
#define BPF_ANY 0ULL
/* Create a new element only if it does not exist (EEXIST otherwise). */
#define BPF_NOEXIST 1ULL
/* Update an existing element only (ENOENT otherwise). */
#define BPF_EXIST 2ULL
/* Take the value's spin lock while copying. */
#define BPF_F_LOCK 4ULL

/* Flags of BPF_MAP_CREATE (`map_flags`). */
/* Allocate elements on demand instead of up front. */
#define BPF_F_NO_PREALLOC 1U
/* LRU maps: one LRU list per CPU instead of a common one. */
#define BPF_F_NO_COMMON_LRU 2U
/* `numa_node` is valid. */
#define BPF_F_NUMA_NODE 4U
/* The syscall side may only read. */
#define BPF_F_RDONLY 8U
/* The syscall side may only write. */
#define BPF_F_WRONLY 0x10U
/* Stack-trace maps store build id and offset. */
#define BPF_F_STACK_BUILD_ID 0x20U
/* Zero-initialize the hash seed (for tests only). */
#define BPF_F_ZERO_SEED 0x40U
/* Programs may only read. */
#define BPF_F_RDONLY_PROG 0x80U
/* Programs may only write. */
#define BPF_F_WRONLY_PROG 0x100U
/* Clone the map from a listener for accepted sockets. */
#define BPF_F_CLONE 0x200U
/* The map can be memory-mapped. */
#define BPF_F_MMAPABLE 0x400U
/* Keep perf events among processes. */
#define BPF_F_PRESERVE_ELEMS 0x800U
/* Usable as an inner map with dynamic max_entries. */
#define BPF_F_INNER_MAP 0x1000U

/* Flags of BPF_PROG_LOAD (`prog_flags`). */
/* Verify with strict alignment. */
#define BPF_F_STRICT_ALIGNMENT 1U
/* Skip alignment checks. */
#define BPF_F_ANY_ALIGNMENT 2U
/* Verifier test: randomize the upper 32 bits. */
#define BPF_F_TEST_RND_HI32 4U
/* Verifier test: state-pruning frequency. */
#define BPF_F_TEST_STATE_FREQ 8U
/* The program may sleep. */
#define BPF_F_SLEEPABLE 0x10U
/* XDP: the program handles multi-buffer frames. */
#define BPF_F_XDP_HAS_FRAGS 0x20U

/* Flags of BPF_PROG_ATTACH (`attach_flags`). */
/* A sub-cgroup's program overrides this one. */
#define BPF_F_ALLOW_OVERRIDE 1U
/* Several programs may be attached; all run. */
#define BPF_F_ALLOW_MULTI 2U
/* Replace the program given by `replace_bpf_fd`. */
#define BPF_F_REPLACE 4U

/* Flags of BPF_PROG_QUERY. */
/* Query the effective programs, inherited ones included. */
#define BPF_F_QUERY_EFFECTIVE 1U

/* Flags of BPF_PROG_TEST_RUN (`flags`). */
/* Run on the CPU given in `cpu`. */
#define BPF_F_TEST_RUN_ON_CPU 1U
/* XDP: transmit the frames after the run. */
#define BPF_F_TEST_XDP_LIVE_FRAMES 2U
/* Apply CHECKSUM_COMPLETE to the skb and validate it. */
#define BPF_F_TEST_SKB_CHECKSUM_COMPLETE 4U

/* Ring buffer record header bits and size. */
/* The record is reserved and not yet committed. */
#define BPF_RINGBUF_BUSY_BIT 0x80000000U
/* The record was discarded. */
#define BPF_RINGBUF_DISCARD_BIT 0x40000000U
/* Bytes of the record header. */
#define BPF_RINGBUF_HDR_SZ 8U

/* Flags of the ring buffer output, submit and discard helpers. */
/* Do not notify the consumer. */
#define BPF_RB_NO_WAKEUP 1ULL
/* Notify the consumer now. */
#define BPF_RB_FORCE_WAKEUP 2ULL

/* What bpf_ringbuf_query returns. */
/* Bytes not yet consumed. */
#define BPF_RB_AVAIL_DATA 0ULL
/* Size of the data area. */
#define BPF_RB_RING_SIZE 1ULL
/* Consumer position. */
#define BPF_RB_CONS_POS 2ULL
/* Producer position. */
#define BPF_RB_PROD_POS 3ULL

/* Flags of bpf_perf_event_output and bpf_perf_event_read: which CPU's slot of the PERF_EVENT_ARRAY. */
/* Use the slot of the CPU running the program; as BPF_F_INDEX_MASK, the low 32 bits that hold a slot index. */
#define BPF_F_CURRENT_CPU 0xffffffffULL
#define BPF_F_INDEX_MASK BPF_F_CURRENT_CPU
/* Bits 32..51: bytes of the context to append (socket programs). */
#define BPF_F_CTXLEN_MASK 0xfffff00000000ULL

/* Special offsets of legacy packet loads (LD_ABS, LD_IND), as linux/filter.h defines them. */
/* Offsets from this one on count from the network header. */
#define SKF_NET_OFF (-0x100000)
/* Offsets from this one on count from the link-layer (MAC) header. */
#define SKF_LL_OFF (-0x200000)

/* Where bpf_skb_load_bytes_relative counts from (Linux's `enum bpf_hdr_start_off`). */
/* The link-layer (MAC) header. */
#define BPF_HDR_START_MAC 0U
/* The network header. */
#define BPF_HDR_START_NET 1U

/* Values of `__sk_buff.pkt_type` (linux/if_packet.h). */
/* To this host. */
#define PACKET_HOST 0U
/* To every host. */
#define PACKET_BROADCAST 1U
/* To a group. */
#define PACKET_MULTICAST 2U
/* To another host. */
#define PACKET_OTHERHOST 3U

/* Flags of bpf_get_stackid. */
/* The low 8 bits: frames to skip. */
#define BPF_F_SKIP_FIELD_MASK 0xffULL
/* The user stack instead of the kernel stack. */
#define BPF_F_USER_STACK 0x100ULL
/* Compare stacks by hash only. */
#define BPF_F_FAST_STACK_CMP 0x200ULL
/* A colliding stack replaces the stored one. */
#define BPF_F_REUSE_STACKID 0x400ULL
/* Stacks as build id and offset. */
#define BPF_F_USER_BUILD_ID 0x800ULL

/*
 * Limits of stack traces.
 * Origin: rCore extension.
 */
/*
 * Most frames a STACK_TRACE value holds (Linux's default kernel.perf_event_max_stack).
 * Origin: rCore extension.
 */
#define BPF_MAX_STACK_DEPTH 0x7fU

/*
 * Flags of struct bpf_attach_target.
 * Origin: rCore extension.
 */
/*
 * The program gets the original rCore context, struct bpf_probe_ctx, instead of the architecture's struct pt_regs (kprobes and kretprobes only).
 * Origin: rCore extension.
 */
#define BPF_F_RCORE_PROBE_CTX 1U

/*
 * ELF machine number of BPF objects.
 * Origin: LLVM.
 */
/*
 * `e_machine` of BPF ELF files.
 * Origin: LLVM.
 */
#define EM_BPF 0xf7

/*
 * Relocation types of BPF ELF objects, as LLVM emits them.
 * Origin: LLVM.
 */
/*
 * No relocation.
 * Origin: LLVM.
 */
#define R_BPF_NONE 0U
/*
 * 64-bit immediate of an ld_imm64 instruction (map references).
 * Origin: LLVM.
 */
#define R_BPF_64_64 1U
/*
 * 64-bit absolute data.
 * Origin: LLVM.
 */
#define R_BPF_64_ABS64 2U
/*
 * 32-bit absolute data.
 * Origin: LLVM.
 */
#define R_BPF_64_ABS32 3U
/*
 * 32-bit data not resolved by dynamic loaders (debug info).
 * Origin: LLVM.
 */
#define R_BPF_64_NODYLD32 4U
/*
 * 32-bit immediate of a call (pc-relative, in instructions).
 * Origin: LLVM.
 */
#define R_BPF_64_32 10U

/* bpf(2) commands. */
enum bpf_cmd {
	/* Create a map; returns its fd. */
	BPF_MAP_CREATE = 0,
	/* Copy the value of a key out of a map. */
	BPF_MAP_LOOKUP_ELEM = 1,
	/* Create or update an element. */
	BPF_MAP_UPDATE_ELEM = 2,
	/* Delete an element. */
	BPF_MAP_DELETE_ELEM = 3,
	/* The key after a given key (the first key for a missing or NULL key). */
	BPF_MAP_GET_NEXT_KEY = 4,
	/* Verify and load a program; returns its fd. */
	BPF_PROG_LOAD = 5,
	/* Pin an object to a path. */
	BPF_OBJ_PIN = 6,
	/* Open a pinned object. */
	BPF_OBJ_GET = 7,
	/* Attach a program to a probe point named by a target string (the original rCore form, struct bpf_attach_target; Linux's cgroup and socket form, struct bpf_prog_attach_attr, is not served). */
	BPF_PROG_ATTACH = 8,
	/* Detach a program from a probe point (struct bpf_attach_target; prog_fd 0 detaches every program there). */
	BPF_PROG_DETACH = 9,
	/* Run a program once on given input. */
	BPF_PROG_TEST_RUN = 10,
	BPF_PROG_RUN = BPF_PROG_TEST_RUN,
	/* The next program id. */
	BPF_PROG_GET_NEXT_ID = 11,
	/* The next map id. */
	BPF_MAP_GET_NEXT_ID = 12,
	/* An fd for a program id. */
	BPF_PROG_GET_FD_BY_ID = 13,
	/* An fd for a map id. */
	BPF_MAP_GET_FD_BY_ID = 14,
	/* Information about the object behind an fd. */
	BPF_OBJ_GET_INFO_BY_FD = 15,
	/* Programs attached to a hook. */
	BPF_PROG_QUERY = 16,
	/* Attach to a raw tracepoint. */
	BPF_RAW_TRACEPOINT_OPEN = 17,
	/* Load BTF type information. */
	BPF_BTF_LOAD = 18,
	/* An fd for a BTF id. */
	BPF_BTF_GET_FD_BY_ID = 19,
	/* What a task's fd is attached to. */
	BPF_TASK_FD_QUERY = 20,
	/* Copy out and delete an element (pop for queues and stacks). */
	BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21,
	/* Make a map read-only for the syscall side. */
	BPF_MAP_FREEZE = 22,
	/* The next BTF id. */
	BPF_BTF_GET_NEXT_ID = 23,
	/* Copy out many elements. */
	BPF_MAP_LOOKUP_BATCH = 24,
	/* Copy out and delete many elements. */
	BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25,
	/* Create or update many elements. */
	BPF_MAP_UPDATE_BATCH = 26,
	/* Delete many elements. */
	BPF_MAP_DELETE_BATCH = 27,
	/* Create a link (an attachment with an fd). */
	BPF_LINK_CREATE = 28,
	/* Replace a link's program. */
	BPF_LINK_UPDATE = 29,
	/* An fd for a link id. */
	BPF_LINK_GET_FD_BY_ID = 30,
	/* The next link id. */
	BPF_LINK_GET_NEXT_ID = 31,
	/* Enable run-time statistics. */
	BPF_ENABLE_STATS = 32,
	/* Create an iterator from a link. */
	BPF_ITER_CREATE = 33,
	/* Detach a link. */
	BPF_LINK_DETACH = 34,
	/* Bind a map to a program. */
	BPF_PROG_BIND_MAP = 35,
	/*
	 * Load every program of an ELF object (bpf_program_load_ex_attr); returns the first program's fd.
	 * Origin: rCore extension.
	 */
	BPF_PROG_LOAD_EX = 1000,
};

/* Map types. */
enum bpf_map_type {
	/* Invalid. */
	BPF_MAP_TYPE_UNSPEC = 0,
	/* Hash table. */
	BPF_MAP_TYPE_HASH = 1,
	/* Array indexed by u32. */
	BPF_MAP_TYPE_ARRAY = 2,
	/* Array of program fds, for tail calls. */
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	/* Per-CPU perf event buffers. */
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	/* Hash table with one value per CPU. */
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	/* Array with one value per CPU. */
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	/* Stack traces. */
	BPF_MAP_TYPE_STACK_TRACE = 7,
	/* Array of cgroup fds. */
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	/* Hash table evicting the least recently used element when full. */
	BPF_MAP_TYPE_LRU_HASH = 9,
	/* Per-CPU LRU hash table. */
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	/* Longest-prefix-match trie. */
	BPF_MAP_TYPE_LPM_TRIE = 11,
	/* Array of maps. */
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	/* Hash of maps. */
	BPF_MAP_TYPE_HASH_OF_MAPS = 13,
	/* Network devices for redirects. */
	BPF_MAP_TYPE_DEVMAP = 14,
	/* Sockets for redirects. */
	BPF_MAP_TYPE_SOCKMAP = 15,
	/* CPUs for XDP redirects. */
	BPF_MAP_TYPE_CPUMAP = 16,
	/* AF_XDP sockets. */
	BPF_MAP_TYPE_XSKMAP = 17,
	/* Hash of sockets. */
	BPF_MAP_TYPE_SOCKHASH = 18,
	/* Per-cgroup storage. */
	BPF_MAP_TYPE_CGROUP_STORAGE = 19,
	/* Sockets for SO_REUSEPORT selection. */
	BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20,
	/* Per-CPU per-cgroup storage. */
	BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21,
	/* FIFO queue. */
	BPF_MAP_TYPE_QUEUE = 22,
	/* LIFO stack. */
	BPF_MAP_TYPE_STACK = 23,
	/* Per-socket storage. */
	BPF_MAP_TYPE_SK_STORAGE = 24,
	/* Hash of network devices. */
	BPF_MAP_TYPE_DEVMAP_HASH = 25,
	/* Kernel struct operations. */
	BPF_MAP_TYPE_STRUCT_OPS = 26,
	/* Multi-producer single-consumer ring buffer. */
	BPF_MAP_TYPE_RINGBUF = 27,
	/* Per-inode storage. */
	BPF_MAP_TYPE_INODE_STORAGE = 28,
	/* Per-task storage. */
	BPF_MAP_TYPE_TASK_STORAGE = 29,
	/* Bloom filter. */
	BPF_MAP_TYPE_BLOOM_FILTER = 30,
	/* Ring buffer written by user space. */
	BPF_MAP_TYPE_USER_RINGBUF = 31,
};

/* Program types. */
enum bpf_prog_type {
	/* Invalid. */
	BPF_PROG_TYPE_UNSPEC = 0,
	/* Socket filter. */
	BPF_PROG_TYPE_SOCKET_FILTER = 1,
	/* Kprobe and kretprobe handler. */
	BPF_PROG_TYPE_KPROBE = 2,
	/* Traffic-control classifier. */
	BPF_PROG_TYPE_SCHED_CLS = 3,
	/* Traffic-control action. */
	BPF_PROG_TYPE_SCHED_ACT = 4,
	/* Tracepoint handler. */
	BPF_PROG_TYPE_TRACEPOINT = 5,
	/* eXpress Data Path. */
	BPF_PROG_TYPE_XDP = 6,
	/* Perf event handler. */
	BPF_PROG_TYPE_PERF_EVENT = 7,
	/* Cgroup packet filter. */
	BPF_PROG_TYPE_CGROUP_SKB = 8,
	/* Cgroup socket hooks. */
	BPF_PROG_TYPE_CGROUP_SOCK = 9,
	/* Lightweight tunnel input. */
	BPF_PROG_TYPE_LWT_IN = 10,
	/* Lightweight tunnel output. */
	BPF_PROG_TYPE_LWT_OUT = 11,
	/* Lightweight tunnel transmit. */
	BPF_PROG_TYPE_LWT_XMIT = 12,
	/* Socket operations. */
	BPF_PROG_TYPE_SOCK_OPS = 13,
	/* Socket SKB parser and verdict. */
	BPF_PROG_TYPE_SK_SKB = 14,
	/* Cgroup device access. */
	BPF_PROG_TYPE_CGROUP_DEVICE = 15,
	/* Socket message verdict. */
	BPF_PROG_TYPE_SK_MSG = 16,
	/* Raw tracepoint handler. */
	BPF_PROG_TYPE_RAW_TRACEPOINT = 17,
	/* Cgroup socket address hooks. */
	BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18,
	/* Segment routing local action. */
	BPF_PROG_TYPE_LWT_SEG6LOCAL = 19,
	/* Infrared decoder. */
	BPF_PROG_TYPE_LIRC_MODE2 = 20,
	/* SO_REUSEPORT selection. */
	BPF_PROG_TYPE_SK_REUSEPORT = 21,
	/* Flow dissector. */
	BPF_PROG_TYPE_FLOW_DISSECTOR = 22,
	/* Cgroup sysctl access. */
	BPF_PROG_TYPE_CGROUP_SYSCTL = 23,
	/* Writable raw tracepoint. */
	BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24,
	/* Cgroup socket options. */
	BPF_PROG_TYPE_CGROUP_SOCKOPT = 25,
	/* fentry, fexit and iterators. */
	BPF_PROG_TYPE_TRACING = 26,
	/* Kernel struct operations. */
	BPF_PROG_TYPE_STRUCT_OPS = 27,
	/* Extension of another program. */
	BPF_PROG_TYPE_EXT = 28,
	/* Linux security module hooks. */
	BPF_PROG_TYPE_LSM = 29,
	/* Socket lookup. */
	BPF_PROG_TYPE_SK_LOOKUP = 30,
	/* A program that can execute syscalls. */
	BPF_PROG_TYPE_SYSCALL = 31,
};

/* Attach types. */
enum bpf_attach_type {
	/* Cgroup ingress packets. */
	BPF_CGROUP_INET_INGRESS = 0,
	/* Cgroup egress packets. */
	BPF_CGROUP_INET_EGRESS = 1,
	/* Cgroup socket creation. */
	BPF_CGROUP_INET_SOCK_CREATE = 2,
	/* Cgroup socket operations. */
	BPF_CGROUP_SOCK_OPS = 3,
	/* Socket stream parser. */
	BPF_SK_SKB_STREAM_PARSER = 4,
	/* Socket stream verdict. */
	BPF_SK_SKB_STREAM_VERDICT = 5,
	/* Cgroup device access. */
	BPF_CGROUP_DEVICE = 6,
	/* Socket message verdict. */
	BPF_SK_MSG_VERDICT = 7,
	/* Cgroup IPv4 bind. */
	BPF_CGROUP_INET4_BIND = 8,
	/* Cgroup IPv6 bind. */
	BPF_CGROUP_INET6_BIND = 9,
	/* Cgroup IPv4 connect. */
	BPF_CGROUP_INET4_CONNECT = 10,
	/* Cgroup IPv6 connect. */
	BPF_CGROUP_INET6_CONNECT = 11,
	/* Cgroup IPv4 post-bind. */
	BPF_CGROUP_INET4_POST_BIND = 12,
	/* Cgroup IPv6 post-bind. */
	BPF_CGROUP_INET6_POST_BIND = 13,
	/* Cgroup UDPv4 sendmsg. */
	BPF_CGROUP_UDP4_SENDMSG = 14,
	/* Cgroup UDPv6 sendmsg. */
	BPF_CGROUP_UDP6_SENDMSG = 15,
	/* Infrared decoder. */
	BPF_LIRC_MODE2 = 16,
	/* Flow dissector. */
	BPF_FLOW_DISSECTOR = 17,
	/* Cgroup sysctl. */
	BPF_CGROUP_SYSCTL = 18,
	/* Cgroup UDPv4 recvmsg. */
	BPF_CGROUP_UDP4_RECVMSG = 19,
	/* Cgroup UDPv6 recvmsg. */
	BPF_CGROUP_UDP6_RECVMSG = 20,
	/* Cgroup getsockopt. */
	BPF_CGROUP_GETSOCKOPT = 21,
	/* Cgroup setsockopt. */
	BPF_CGROUP_SETSOCKOPT = 22,
	/* Raw tracepoint. */
	BPF_TRACE_RAW_TP = 23,
	/* Function entry. */
	BPF_TRACE_FENTRY = 24,
	/* Function exit. */
	BPF_TRACE_FEXIT = 25,
	/* Return-value override. */
	BPF_MODIFY_RETURN = 26,
	/* LSM hook. */
	BPF_LSM_MAC = 27,
	/* Iterator. */
	BPF_TRACE_ITER = 28,
	/* Cgroup IPv4 getpeername. */
	BPF_CGROUP_INET4_GETPEERNAME = 29,
	/* Cgroup IPv6 getpeername. */
	BPF_CGROUP_INET6_GETPEERNAME = 30,
	/* Cgroup IPv4 getsockname. */
	BPF_CGROUP_INET4_GETSOCKNAME = 31,
	/* Cgroup IPv6 getsockname. */
	BPF_CGROUP_INET6_GETSOCKNAME = 32,
	/* XDP in a devmap. */
	BPF_XDP_DEVMAP = 33,
	/* Cgroup socket release. */
	BPF_CGROUP_INET_SOCK_RELEASE = 34,
	/* XDP in a cpumap. */
	BPF_XDP_CPUMAP = 35,
	/* Socket lookup. */
	BPF_SK_LOOKUP = 36,
	/* XDP. */
	BPF_XDP = 37,
	/* Socket SKB verdict. */
	BPF_SK_SKB_VERDICT = 38,
	/* SO_REUSEPORT select. */
	BPF_SK_REUSEPORT_SELECT = 39,
	/* SO_REUSEPORT select or migrate. */
	BPF_SK_REUSEPORT_SELECT_OR_MIGRATE = 40,
	/* Perf event. */
	BPF_PERF_EVENT = 41,
	/* Multi-function kprobe. */
	BPF_TRACE_KPROBE_MULTI = 42,
	/* Cgroup LSM hook. */
	BPF_LSM_CGROUP = 43,
};

/* Link types. */
enum bpf_link_type {
	/* Invalid. */
	BPF_LINK_TYPE_UNSPEC = 0,
	/* Raw tracepoint. */
	BPF_LINK_TYPE_RAW_TRACEPOINT = 1,
	/* fentry, fexit, LSM. */
	BPF_LINK_TYPE_TRACING = 2,
	/* Cgroup. */
	BPF_LINK_TYPE_CGROUP = 3,
	/* Iterator. */
	BPF_LINK_TYPE_ITER = 4,
	/* Network namespace. */
	BPF_LINK_TYPE_NETNS = 5,
	/* XDP. */
	BPF_LINK_TYPE_XDP = 6,
	/* Perf event (kprobes, tracepoints). */
	BPF_LINK_TYPE_PERF_EVENT = 7,
	/* Multi-function kprobe. */
	BPF_LINK_TYPE_KPROBE_MULTI = 8,
	/* Struct operations. */
	BPF_LINK_TYPE_STRUCT_OPS = 9,
};

/*
 * Kinds of rCore probe points, as seen in the probe context.
 * Origin: rCore extension.
 */
enum bpf_probe_type {
	/*
	 * A kprobe: runs before the probed instruction.
	 * Origin: rCore extension.
	 */
	BPF_PROBE_KPROBE = 0,
	/*
	 * A kretprobe, at function entry (target `kretprobe@entry:<fn>`).
	 * Origin: rCore extension.
	 */
	BPF_PROBE_KRETPROBE_ENTRY = 1,
	/*
	 * A kretprobe, at function return (target `kretprobe@exit:<fn>`).
	 * Origin: rCore extension.
	 */
	BPF_PROBE_KRETPROBE_EXIT = 2,
};

/* Error numbers bpf(2) and the helpers return (negated in helpers). */
/* Operation not permitted (e.g. writing a frozen map). */
#ifndef EPERM
#define EPERM 1
#endif
/* No such entry (missing key, empty queue). */
#ifndef ENOENT
#define ENOENT 2
#endif
/* No such process. */
#ifndef ESRCH
#define ESRCH 3
#endif
/* Interrupted. */
#ifndef EINTR
#define EINTR 4
#endif
/* I/O error. */
#ifndef EIO
#define EIO 5
#endif
/* Argument too big (map full, non-zero attr tail). */
#ifndef E2BIG
#define E2BIG 7
#endif
/* Not executable (bad program). */
#ifndef ENOEXEC
#define ENOEXEC 8
#endif
/* Bad file descriptor. */
#ifndef EBADF
#define EBADF 9
#endif
/* Try again (probe point busy). */
#ifndef EAGAIN
#define EAGAIN 11
#endif
/* File descriptor in bad state (OBJ_GET_INFO_BY_FD on an fd that is not open). */
#ifndef EBADFD
#define EBADFD 77
#endif
/* Out of memory. */
#ifndef ENOMEM
#define ENOMEM 12
#endif
/* Permission denied (verifier rejection). */
#ifndef EACCES
#define EACCES 13
#endif
/* Bad address (unreadable or unwritable user memory). */
#ifndef EFAULT
#define EFAULT 14
#endif
/* Busy. */
#ifndef EBUSY
#define EBUSY 16
#endif
/* Already exists. */
#ifndef EEXIST
#define EEXIST 17
#endif
/* No such device. */
#ifndef ENODEV
#define ENODEV 19
#endif
/* Invalid argument. */
#ifndef EINVAL
#define EINVAL 22
#endif
/* Too many open files in the system. */
#ifndef ENFILE
#define ENFILE 23
#endif
/* Too many open files. */
#ifndef EMFILE
#define EMFILE 24
#endif
/* No space left. */
#ifndef ENOSPC
#define ENOSPC 28
#endif
/* Result out of range. */
#ifndef ERANGE
#define ERANGE 34
#endif
/* Function not implemented. */
#ifndef ENOSYS
#define ENOSYS 38
#endif
/* Too many levels (tail-call or call-depth limit). */
#ifndef ELOOP
#define ELOOP 40
#endif
/* Operation not supported. */
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
/*
 * Operation not supported by this object (Linux's kernel-internal 524, which bpf(2) returns as it is).
 * Origin: rCore extension.
 */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

/* Helper function IDs. */
enum bpf_func_id {
	/* Look up a key; a pointer to its value, or NULL. */
	BPF_FUNC_map_lookup_elem = 1,
	/* Create or update an element; 0 or a negative errno. */
	BPF_FUNC_map_update_elem = 2,
	/* Delete an element; 0 or a negative errno. */
	BPF_FUNC_map_delete_elem = 3,
	/* Read kernel memory safely; on failure fill zeros and return -EFAULT. */
	BPF_FUNC_probe_read = 4,
	/* Monotonic time in ns. */
	BPF_FUNC_ktime_get_ns = 5,
	/* Print a formatted message (at most 3 arguments) to the trace console. */
	BPF_FUNC_trace_printk = 6,
	/* A pseudo-random 32-bit number. */
	BPF_FUNC_get_prandom_u32 = 7,
	/* The id of the CPU running the program. */
	BPF_FUNC_get_smp_processor_id = 8,
	/* Store bytes into a packet. */
	BPF_FUNC_skb_store_bytes = 9,
	/* Fix up an L3 checksum. */
	BPF_FUNC_l3_csum_replace = 10,
	/* Fix up an L4 checksum. */
	BPF_FUNC_l4_csum_replace = 11,
	/* Jump to the program at `index` of a PROG_ARRAY; returns only on failure. */
	BPF_FUNC_tail_call = 12,
	/* Clone a packet and redirect the clone. */
	BPF_FUNC_clone_redirect = 13,
	/* tgid << 32 | pid of the current task. */
	BPF_FUNC_get_current_pid_tgid = 14,
	/* gid << 32 | uid of the current task. */
	BPF_FUNC_get_current_uid_gid = 15,
	/* Copy the current task's name into a buffer. */
	BPF_FUNC_get_current_comm = 16,
	/* Read the counter of a perf event in a PERF_EVENT_ARRAY slot (BPF_F_CURRENT_CPU: this CPU's). */
	BPF_FUNC_perf_event_read = 22,
	/* Send a record to user space through a PERF_EVENT_ARRAY slot (BPF_F_CURRENT_CPU: this CPU's); 0 or a negative errno. */
	BPF_FUNC_perf_event_output = 25,
	/* Copy `len` bytes at `offset` of the packet (from skb->data) into `to`; 0, or -EFAULT with `to` zeroed. */
	BPF_FUNC_skb_load_bytes = 26,
	/* Store the current stack in a STACK_TRACE map; its id, or a negative errno. */
	BPF_FUNC_get_stackid = 27,
	/* The address of the current task's kernel structure (for bpf_probe_read). */
	BPF_FUNC_get_current_task = 35,
	/* The NUMA node the program runs on. */
	BPF_FUNC_get_numa_node_id = 42,
	/* Copy a NUL-terminated string from unsafe memory; its length with the NUL, or a negative errno. */
	BPF_FUNC_probe_read_str = 45,
	/* The cookie of the packet's socket (unique per socket, never 0), or 0 without one. */
	BPF_FUNC_get_socket_cookie = 46,
	/* The owner uid of the packet's socket (the overflow uid without one). */
	BPF_FUNC_get_socket_uid = 47,
	/* Copy `len` bytes at `offset` from a header of the packet (BPF_HDR_START_MAC or BPF_HDR_START_NET) into `to`; 0, or -EFAULT with `to` zeroed. */
	BPF_FUNC_skb_load_bytes_relative = 68,
	/* The id of the current task's cgroup (v2). */
	BPF_FUNC_get_current_cgroup_id = 80,
	/* Push a value onto a queue or stack. */
	BPF_FUNC_map_push_elem = 87,
	/* Pop a value from a queue or stack. */
	BPF_FUNC_map_pop_elem = 88,
	/* Read the next value of a queue or stack without removing it. */
	BPF_FUNC_map_peek_elem = 89,
	/* Read user memory safely; on failure fill zeros and return -EFAULT. */
	BPF_FUNC_probe_read_user = 112,
	/* Read kernel memory safely; on failure fill zeros and return -EFAULT. */
	BPF_FUNC_probe_read_kernel = 113,
	/* Copy a NUL-terminated string from user memory; its length with the NUL, or a negative errno. */
	BPF_FUNC_probe_read_user_str = 114,
	/* Copy a NUL-terminated string from kernel memory; its length with the NUL, or a negative errno. */
	BPF_FUNC_probe_read_kernel_str = 115,
	/* The kernel's jiffies counter, 64 bits. */
	BPF_FUNC_jiffies64 = 118,
	/* Time since boot in ns, suspend included. */
	BPF_FUNC_ktime_get_boot_ns = 125,
	/* Copy data into a ring buffer; 0 or a negative errno. */
	BPF_FUNC_ringbuf_output = 130,
	/* Reserve space in a ring buffer; a pointer to it, or NULL. */
	BPF_FUNC_ringbuf_reserve = 131,
	/* Commit a reservation to the consumer. */
	BPF_FUNC_ringbuf_submit = 132,
	/* Discard a reservation. */
	BPF_FUNC_ringbuf_discard = 133,
	/* Query a ring buffer property (BPF_RB_*). */
	BPF_FUNC_ringbuf_query = 134,
	/* Monotonic time in ns, at the clock tick's resolution. */
	BPF_FUNC_ktime_get_coarse_ns = 160,
	/* Address of the traced function (kprobe: the probed address). */
	BPF_FUNC_get_func_ip = 173,
};

/* An instruction. */
struct bpf_insn {
	/* Opcode: class, size or source, mode or operation. */
	__u8 code;
	/* Destination register (low 4 bits) and source register (high 4 bits). */
	__u8 dst_reg:4;
	__u8 src_reg:4;
	/* Signed offset. */
	__s16 off;
	/* Signed immediate. */
	__s32 imm;
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct bpf_insn) == 8, "struct bpf_insn must be 8 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_insn, code) == 0, "bpf_insn.code must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_insn, off) == 2, "bpf_insn.off must be at offset 2");
BPF_ABI_ASSERT(offsetof(struct bpf_insn, imm) == 4, "bpf_insn.imm must be at offset 4");

/* Attributes of BPF_MAP_CREATE. */
struct bpf_map_create_attr {
	/* The map type. */
	__u32 map_type;
	/* Key size in bytes. */
	__u32 key_size;
	/* Value size in bytes. */
	__u32 value_size;
	/* Maximum number of entries. */
	__u32 max_entries;
	/* BPF_F_* map flags. */
	__u32 map_flags;
	/* Fd of the inner map, for maps of maps. */
	__u32 inner_map_fd;
	/* NUMA node, with BPF_F_NUMA_NODE. */
	__u32 numa_node;
	/* Name, NUL-padded. */
	char map_name[BPF_OBJ_NAME_LEN];
	/* Network device to create the map on. */
	__u32 map_ifindex;
	/* Fd of the BTF data. */
	__u32 btf_fd;
	/* BTF type id of the key. */
	__u32 btf_key_type_id;
	/* BTF type id of the value. */
	__u32 btf_value_type_id;
	/* BTF type id of a kernel struct stored as the value. */
	__u32 btf_vmlinux_value_type_id;
	/* Per-map-type extra (e.g. bloom filter hash count). */
	__u64 map_extra;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_map_create_attr) == 72, "struct bpf_map_create_attr must be 72 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, map_type) == 0, "bpf_map_create_attr.map_type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, key_size) == 4, "bpf_map_create_attr.key_size must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, value_size) == 8, "bpf_map_create_attr.value_size must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, max_entries) == 12, "bpf_map_create_attr.max_entries must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, map_flags) == 16, "bpf_map_create_attr.map_flags must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, inner_map_fd) == 20, "bpf_map_create_attr.inner_map_fd must be at offset 20");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, numa_node) == 24, "bpf_map_create_attr.numa_node must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, map_name) == 28, "bpf_map_create_attr.map_name must be at offset 28");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, map_ifindex) == 44, "bpf_map_create_attr.map_ifindex must be at offset 44");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, btf_fd) == 48, "bpf_map_create_attr.btf_fd must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, btf_key_type_id) == 52, "bpf_map_create_attr.btf_key_type_id must be at offset 52");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, btf_value_type_id) == 56, "bpf_map_create_attr.btf_value_type_id must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, btf_vmlinux_value_type_id) == 60, "bpf_map_create_attr.btf_vmlinux_value_type_id must be at offset 60");
BPF_ABI_ASSERT(offsetof(struct bpf_map_create_attr, map_extra) == 64, "bpf_map_create_attr.map_extra must be at offset 64");

/* Attributes of BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM and FREEZE. */
struct bpf_map_elem_attr {
	/* The map. */
	__u32 map_fd;
	__u32 :32;	/* padding */
	/* Pointer to the key. */
	__aligned_u64 key;
	/* Pointer to the value (for GET_NEXT_KEY: to the next key). */
	union {
		__aligned_u64 value;
		__aligned_u64 next_key;
	};
	/* BPF_ANY, BPF_NOEXIST, BPF_EXIST or BPF_F_LOCK. */
	__u64 flags;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_map_elem_attr) == 32, "struct bpf_map_elem_attr must be 32 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_map_elem_attr, map_fd) == 0, "bpf_map_elem_attr.map_fd must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_map_elem_attr, key) == 8, "bpf_map_elem_attr.key must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_map_elem_attr, value) == 16, "bpf_map_elem_attr.value must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_map_elem_attr, flags) == 24, "bpf_map_elem_attr.flags must be at offset 24");

/* Attributes of the BPF_MAP_*_BATCH commands. */
struct bpf_map_batch_attr {
	/* Start position (NULL: from the beginning). */
	__aligned_u64 in_batch;
	/* Output: position to continue from. */
	__aligned_u64 out_batch;
	/* Array of keys. */
	__aligned_u64 keys;
	/* Array of values. */
	__aligned_u64 values;
	/* Input: elements in the arrays; output: elements processed. */
	__u32 count;
	/* The map. */
	__u32 map_fd;
	/* Flags applied to each element. */
	__u64 elem_flags;
	/* Flags of the command. */
	__u64 flags;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_map_batch_attr) == 56, "struct bpf_map_batch_attr must be 56 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, in_batch) == 0, "bpf_map_batch_attr.in_batch must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, out_batch) == 8, "bpf_map_batch_attr.out_batch must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, keys) == 16, "bpf_map_batch_attr.keys must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, values) == 24, "bpf_map_batch_attr.values must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, count) == 32, "bpf_map_batch_attr.count must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, map_fd) == 36, "bpf_map_batch_attr.map_fd must be at offset 36");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, elem_flags) == 40, "bpf_map_batch_attr.elem_flags must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_map_batch_attr, flags) == 48, "bpf_map_batch_attr.flags must be at offset 48");

/* Attributes of BPF_PROG_LOAD. */
struct bpf_prog_load_attr {
	/* The program type. */
	__u32 prog_type;
	/* Number of instructions. */
	__u32 insn_cnt;
	/* Pointer to the instructions (struct bpf_insn). */
	__aligned_u64 insns;
	/* Pointer to the license string. */
	__aligned_u64 license;
	/* Verifier log verbosity. */
	__u32 log_level;
	/* Size of the log buffer. */
	__u32 log_size;
	/* Pointer to the log buffer. */
	__aligned_u64 log_buf;
	/* Unused (kernel version). */
	__u32 kern_version;
	/* BPF_F_* program flags. */
	__u32 prog_flags;
	/* Name, NUL-padded. */
	char prog_name[BPF_OBJ_NAME_LEN];
	/* Network device to load the program for. */
	__u32 prog_ifindex;
	/* Expected attach type. */
	__u32 expected_attach_type;
	/* Fd of the BTF data. */
	__u32 prog_btf_fd;
	/* Size of one func_info record. */
	__u32 func_info_rec_size;
	/* Pointer to the func_info records. */
	__aligned_u64 func_info;
	/* Number of func_info records. */
	__u32 func_info_cnt;
	/* Size of one line_info record. */
	__u32 line_info_rec_size;
	/* Pointer to the line_info records. */
	__aligned_u64 line_info;
	/* Number of line_info records. */
	__u32 line_info_cnt;
	/* BTF id of the attach target. */
	__u32 attach_btf_id;
	/* Fd of the program to attach to (or of the BTF object). */
	union {
		__u32 attach_prog_fd;
		__u32 attach_btf_obj_fd;
	};
	/* Number of CO-RE relocations. */
	__u32 core_relo_cnt;
	/* Pointer to an array of map fds for BPF_PSEUDO_MAP_IDX. */
	__aligned_u64 fd_array;
	/* Pointer to the CO-RE relocations. */
	__aligned_u64 core_relos;
	/* Size of one CO-RE relocation. */
	__u32 core_relo_rec_size;
	__u32 :32;	/* padding */
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_prog_load_attr) == 144, "struct bpf_prog_load_attr must be 144 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, prog_type) == 0, "bpf_prog_load_attr.prog_type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, insn_cnt) == 4, "bpf_prog_load_attr.insn_cnt must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, insns) == 8, "bpf_prog_load_attr.insns must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, license) == 16, "bpf_prog_load_attr.license must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, log_level) == 24, "bpf_prog_load_attr.log_level must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, log_size) == 28, "bpf_prog_load_attr.log_size must be at offset 28");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, log_buf) == 32, "bpf_prog_load_attr.log_buf must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, kern_version) == 40, "bpf_prog_load_attr.kern_version must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, prog_flags) == 44, "bpf_prog_load_attr.prog_flags must be at offset 44");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, prog_name) == 48, "bpf_prog_load_attr.prog_name must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, prog_ifindex) == 64, "bpf_prog_load_attr.prog_ifindex must be at offset 64");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, expected_attach_type) == 68, "bpf_prog_load_attr.expected_attach_type must be at offset 68");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, prog_btf_fd) == 72, "bpf_prog_load_attr.prog_btf_fd must be at offset 72");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, func_info_rec_size) == 76, "bpf_prog_load_attr.func_info_rec_size must be at offset 76");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, func_info) == 80, "bpf_prog_load_attr.func_info must be at offset 80");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, func_info_cnt) == 88, "bpf_prog_load_attr.func_info_cnt must be at offset 88");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, line_info_rec_size) == 92, "bpf_prog_load_attr.line_info_rec_size must be at offset 92");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, line_info) == 96, "bpf_prog_load_attr.line_info must be at offset 96");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, line_info_cnt) == 104, "bpf_prog_load_attr.line_info_cnt must be at offset 104");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, attach_btf_id) == 108, "bpf_prog_load_attr.attach_btf_id must be at offset 108");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, attach_prog_fd) == 112, "bpf_prog_load_attr.attach_prog_fd must be at offset 112");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, core_relo_cnt) == 116, "bpf_prog_load_attr.core_relo_cnt must be at offset 116");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, fd_array) == 120, "bpf_prog_load_attr.fd_array must be at offset 120");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, core_relos) == 128, "bpf_prog_load_attr.core_relos must be at offset 128");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_load_attr, core_relo_rec_size) == 136, "bpf_prog_load_attr.core_relo_rec_size must be at offset 136");

/* Attributes of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
struct bpf_prog_attach_attr {
	/* The object to attach to. */
	__u32 target_fd;
	/* The program. */
	__u32 attach_bpf_fd;
	/* The attach type. */
	__u32 attach_type;
	/* BPF_F_ALLOW_* flags. */
	__u32 attach_flags;
	/* Program to replace, with BPF_F_REPLACE. */
	__u32 replace_bpf_fd;
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct bpf_prog_attach_attr) == 20, "struct bpf_prog_attach_attr must be 20 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_attach_attr, target_fd) == 0, "bpf_prog_attach_attr.target_fd must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_attach_attr, attach_bpf_fd) == 4, "bpf_prog_attach_attr.attach_bpf_fd must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_attach_attr, attach_type) == 8, "bpf_prog_attach_attr.attach_type must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_attach_attr, attach_flags) == 12, "bpf_prog_attach_attr.attach_flags must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_attach_attr, replace_bpf_fd) == 16, "bpf_prog_attach_attr.replace_bpf_fd must be at offset 16");

/* Attributes of BPF_PROG_TEST_RUN. */
struct bpf_prog_test_run_attr {
	/* The program. */
	__u32 prog_fd;
	/* Output: the program's return value. */
	__u32 retval;
	/* Length of data_in. */
	__u32 data_size_in;
	/* Input: size of data_out; output: bytes written. */
	__u32 data_size_out;
	/* Pointer to the input data. */
	__aligned_u64 data_in;
	/* Pointer to the output data buffer. */
	__aligned_u64 data_out;
	/* Times to run. */
	__u32 repeat;
	/* Output: mean run time in ns. */
	__u32 duration;
	/* Length of ctx_in. */
	__u32 ctx_size_in;
	/* Input: size of ctx_out; output: bytes written. */
	__u32 ctx_size_out;
	/* Pointer to the input context. */
	__aligned_u64 ctx_in;
	/* Pointer to the output context buffer. */
	__aligned_u64 ctx_out;
	/* BPF_F_TEST_* flags. */
	__u32 flags;
	/* CPU to run on, with BPF_F_TEST_RUN_ON_CPU. */
	__u32 cpu;
	/* XDP live frames: batch size. */
	__u32 batch_size;
	__u32 :32;	/* padding */
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_prog_test_run_attr) == 80, "struct bpf_prog_test_run_attr must be 80 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, prog_fd) == 0, "bpf_prog_test_run_attr.prog_fd must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, retval) == 4, "bpf_prog_test_run_attr.retval must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, data_size_in) == 8, "bpf_prog_test_run_attr.data_size_in must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, data_size_out) == 12, "bpf_prog_test_run_attr.data_size_out must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, data_in) == 16, "bpf_prog_test_run_attr.data_in must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, data_out) == 24, "bpf_prog_test_run_attr.data_out must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, repeat) == 32, "bpf_prog_test_run_attr.repeat must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, duration) == 36, "bpf_prog_test_run_attr.duration must be at offset 36");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, ctx_size_in) == 40, "bpf_prog_test_run_attr.ctx_size_in must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, ctx_size_out) == 44, "bpf_prog_test_run_attr.ctx_size_out must be at offset 44");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, ctx_in) == 48, "bpf_prog_test_run_attr.ctx_in must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, ctx_out) == 56, "bpf_prog_test_run_attr.ctx_out must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, flags) == 64, "bpf_prog_test_run_attr.flags must be at offset 64");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, cpu) == 68, "bpf_prog_test_run_attr.cpu must be at offset 68");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_test_run_attr, batch_size) == 72, "bpf_prog_test_run_attr.batch_size must be at offset 72");

/* Attributes of BPF_OBJ_GET_INFO_BY_FD. */
struct bpf_obj_info_attr {
	/* The object. */
	__u32 bpf_fd;
	/* Input: size of the info buffer; output: bytes written. */
	__u32 info_len;
	/* Pointer to the info buffer (struct bpf_map_info, ...). */
	__aligned_u64 info;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_obj_info_attr) == 16, "struct bpf_obj_info_attr must be 16 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_obj_info_attr, bpf_fd) == 0, "bpf_obj_info_attr.bpf_fd must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_obj_info_attr, info_len) == 4, "bpf_obj_info_attr.info_len must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_obj_info_attr, info) == 8, "bpf_obj_info_attr.info must be at offset 8");

/* What BPF_OBJ_GET_INFO_BY_FD returns for a map. */
struct bpf_map_info {
	/* The map type. */
	__u32 type;
	/* Map id. */
	__u32 id;
	/* Key size in bytes. */
	__u32 key_size;
	/* Value size in bytes. */
	__u32 value_size;
	/* Maximum number of entries. */
	__u32 max_entries;
	/* Map flags. */
	__u32 map_flags;
	/* Name, NUL-padded. */
	char name[BPF_OBJ_NAME_LEN];
	/* Network device. */
	__u32 ifindex;
	/* BTF type id of the kernel struct value. */
	__u32 btf_vmlinux_value_type_id;
	/* Network namespace device. */
	__u64 netns_dev;
	/* Network namespace inode. */
	__u64 netns_ino;
	/* BTF object id. */
	__u32 btf_id;
	/* BTF type id of the key. */
	__u32 btf_key_type_id;
	/* BTF type id of the value. */
	__u32 btf_value_type_id;
	__u32 :32;	/* padding */
	/* Per-map-type extra. */
	__u64 map_extra;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_map_info) == 88, "struct bpf_map_info must be 88 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, type) == 0, "bpf_map_info.type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, id) == 4, "bpf_map_info.id must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, key_size) == 8, "bpf_map_info.key_size must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, value_size) == 12, "bpf_map_info.value_size must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, max_entries) == 16, "bpf_map_info.max_entries must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, map_flags) == 20, "bpf_map_info.map_flags must be at offset 20");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, name) == 24, "bpf_map_info.name must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, ifindex) == 40, "bpf_map_info.ifindex must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, btf_vmlinux_value_type_id) == 44, "bpf_map_info.btf_vmlinux_value_type_id must be at offset 44");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, netns_dev) == 48, "bpf_map_info.netns_dev must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, netns_ino) == 56, "bpf_map_info.netns_ino must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, btf_id) == 64, "bpf_map_info.btf_id must be at offset 64");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, btf_key_type_id) == 68, "bpf_map_info.btf_key_type_id must be at offset 68");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, btf_value_type_id) == 72, "bpf_map_info.btf_value_type_id must be at offset 72");
BPF_ABI_ASSERT(offsetof(struct bpf_map_info, map_extra) == 80, "bpf_map_info.map_extra must be at offset 80");

/* What BPF_OBJ_GET_INFO_BY_FD returns for a program. */
struct bpf_prog_info {
	/* The program type. */
	__u32 type;
	/* Program id. */
	__u32 id;
	/* Hash of the instructions. */
	__u8 tag[BPF_TAG_SIZE];
	/* Bytes of JIT-compiled code. */
	__u32 jited_prog_len;
	/* Bytes of translated instructions. */
	__u32 xlated_prog_len;
	/* Buffer for the JIT-compiled code. */
	__aligned_u64 jited_prog_insns;
	/* Buffer for the translated instructions. */
	__aligned_u64 xlated_prog_insns;
	/* Load time in ns since boot. */
	__u64 load_time;
	/* Uid of the loader. */
	__u32 created_by_uid;
	/* Entries of map_ids. */
	__u32 nr_map_ids;
	/* Buffer for the ids of the maps the program uses. */
	__aligned_u64 map_ids;
	/* Name, NUL-padded. */
	char name[BPF_OBJ_NAME_LEN];
	/* Network device. */
	__u32 ifindex;
	/* Bit 0: the license is GPL-compatible. */
	__u32 gpl_compatible:1;
	__u32 :31;
	/* Network namespace device. */
	__u64 netns_dev;
	/* Network namespace inode. */
	__u64 netns_ino;
	/* Entries of jited_ksyms. */
	__u32 nr_jited_ksyms;
	/* Entries of jited_func_lens. */
	__u32 nr_jited_func_lens;
	/* Buffer for the JIT-compiled functions' addresses. */
	__aligned_u64 jited_ksyms;
	/* Buffer for the JIT-compiled functions' lengths. */
	__aligned_u64 jited_func_lens;
	/* BTF object id. */
	__u32 btf_id;
	/* Size of one func_info record. */
	__u32 func_info_rec_size;
	/* Buffer for func_info records. */
	__aligned_u64 func_info;
	/* Entries of func_info. */
	__u32 nr_func_info;
	/* Entries of line_info. */
	__u32 nr_line_info;
	/* Buffer for line_info records. */
	__aligned_u64 line_info;
	/* Buffer for JIT line info. */
	__aligned_u64 jited_line_info;
	/* Entries of jited_line_info. */
	__u32 nr_jited_line_info;
	/* Size of one line_info record. */
	__u32 line_info_rec_size;
	/* Size of one JIT line info record. */
	__u32 jited_line_info_rec_size;
	/* Entries of prog_tags. */
	__u32 nr_prog_tags;
	/* Buffer for the tags of the program's functions. */
	__aligned_u64 prog_tags;
	/* Total run time in ns (with BPF_ENABLE_STATS). */
	__u64 run_time_ns;
	/* Number of runs (with BPF_ENABLE_STATS). */
	__u64 run_cnt;
	/* Runs skipped because of recursion. */
	__u64 recursion_misses;
	/* Instructions the verifier processed. */
	__u32 verified_insns;
	/* BTF object id of the attach target. */
	__u32 attach_btf_obj_id;
	/* BTF type id of the attach target. */
	__u32 attach_btf_id;
	__u32 :32;	/* padding */
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_prog_info) == 232, "struct bpf_prog_info must be 232 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, type) == 0, "bpf_prog_info.type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, id) == 4, "bpf_prog_info.id must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, tag) == 8, "bpf_prog_info.tag must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, jited_prog_len) == 16, "bpf_prog_info.jited_prog_len must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, xlated_prog_len) == 20, "bpf_prog_info.xlated_prog_len must be at offset 20");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, jited_prog_insns) == 24, "bpf_prog_info.jited_prog_insns must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, xlated_prog_insns) == 32, "bpf_prog_info.xlated_prog_insns must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, load_time) == 40, "bpf_prog_info.load_time must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, created_by_uid) == 48, "bpf_prog_info.created_by_uid must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_map_ids) == 52, "bpf_prog_info.nr_map_ids must be at offset 52");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, map_ids) == 56, "bpf_prog_info.map_ids must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, name) == 64, "bpf_prog_info.name must be at offset 64");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, ifindex) == 80, "bpf_prog_info.ifindex must be at offset 80");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, netns_dev) == 88, "bpf_prog_info.netns_dev must be at offset 88");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, netns_ino) == 96, "bpf_prog_info.netns_ino must be at offset 96");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_jited_ksyms) == 104, "bpf_prog_info.nr_jited_ksyms must be at offset 104");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_jited_func_lens) == 108, "bpf_prog_info.nr_jited_func_lens must be at offset 108");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, jited_ksyms) == 112, "bpf_prog_info.jited_ksyms must be at offset 112");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, jited_func_lens) == 120, "bpf_prog_info.jited_func_lens must be at offset 120");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, btf_id) == 128, "bpf_prog_info.btf_id must be at offset 128");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, func_info_rec_size) == 132, "bpf_prog_info.func_info_rec_size must be at offset 132");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, func_info) == 136, "bpf_prog_info.func_info must be at offset 136");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_func_info) == 144, "bpf_prog_info.nr_func_info must be at offset 144");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_line_info) == 148, "bpf_prog_info.nr_line_info must be at offset 148");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, line_info) == 152, "bpf_prog_info.line_info must be at offset 152");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, jited_line_info) == 160, "bpf_prog_info.jited_line_info must be at offset 160");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_jited_line_info) == 168, "bpf_prog_info.nr_jited_line_info must be at offset 168");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, line_info_rec_size) == 172, "bpf_prog_info.line_info_rec_size must be at offset 172");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, jited_line_info_rec_size) == 176, "bpf_prog_info.jited_line_info_rec_size must be at offset 176");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, nr_prog_tags) == 180, "bpf_prog_info.nr_prog_tags must be at offset 180");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, prog_tags) == 184, "bpf_prog_info.prog_tags must be at offset 184");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, run_time_ns) == 192, "bpf_prog_info.run_time_ns must be at offset 192");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, run_cnt) == 200, "bpf_prog_info.run_cnt must be at offset 200");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, recursion_misses) == 208, "bpf_prog_info.recursion_misses must be at offset 208");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, verified_insns) == 216, "bpf_prog_info.verified_insns must be at offset 216");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, attach_btf_obj_id) == 220, "bpf_prog_info.attach_btf_obj_id must be at offset 220");
BPF_ABI_ASSERT(offsetof(struct bpf_prog_info, attach_btf_id) == 224, "bpf_prog_info.attach_btf_id must be at offset 224");

/* The context of XDP programs (and of conformance runs on Linux): packet bounds as 32-bit offsets. */
struct xdp_md {
	/* Start of the packet data. */
	/* Access (r read, R whole only, w write, a any size): xdp R. */
	__u32 data;
	/* End of the packet data. */
	/* Access (r read, R whole only, w write, a any size): xdp R. */
	__u32 data_end;
	/* Start of the metadata before the data. */
	/* Access (r read, R whole only, w write, a any size): xdp R. */
	__u32 data_meta;
	/* Ingress interface. */
	/* Access (r read, R whole only, w write, a any size): xdp R. */
	__u32 ingress_ifindex;
	/* Receive queue. */
	/* Access (r read, R whole only, w write, a any size): xdp R. */
	__u32 rx_queue_index;
	/* Egress interface (devmap programs). */
	/* Access (r read, R whole only, w write, a any size): xdp R. */
	__u32 egress_ifindex;
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct xdp_md) == 24, "struct xdp_md must be 24 bytes");
BPF_ABI_ASSERT(offsetof(struct xdp_md, data) == 0, "xdp_md.data must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct xdp_md, data_end) == 4, "xdp_md.data_end must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct xdp_md, data_meta) == 8, "xdp_md.data_meta must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct xdp_md, ingress_ifindex) == 12, "xdp_md.ingress_ifindex must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct xdp_md, rx_queue_index) == 16, "xdp_md.rx_queue_index must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct xdp_md, egress_ifindex) == 20, "xdp_md.egress_ifindex must be at offset 20");

/*
 * Legacy map definition in a BPF object's `maps` section.
 * Origin: libbpf.
 */
struct bpf_map_def {
	/*
	 * The map type.
	 * Origin: libbpf.
	 */
	__u32 type;
	/*
	 * Key size in bytes.
	 * Origin: libbpf.
	 */
	__u32 key_size;
	/*
	 * Value size in bytes.
	 * Origin: libbpf.
	 */
	__u32 value_size;
	/*
	 * Maximum number of entries.
	 * Origin: libbpf.
	 */
	__u32 max_entries;
	/*
	 * Map flags.
	 * Origin: libbpf.
	 */
	__u32 map_flags;
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct bpf_map_def) == 20, "struct bpf_map_def must be 20 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_map_def, type) == 0, "bpf_map_def.type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_map_def, key_size) == 4, "bpf_map_def.key_size must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_map_def, value_size) == 8, "bpf_map_def.value_size must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_map_def, max_entries) == 12, "bpf_map_def.max_entries must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_map_def, map_flags) == 16, "bpf_map_def.map_flags must be at offset 16");

/*
 * Attributes of BPF_PROG_ATTACH in rCore's form: a target string and a program.
 * Origin: rCore extension.
 */
struct bpf_attach_target {
	/*
	 * Pointer to the target: `kprobe:<fn>`, `kretprobe@entry:<fn>`, `kretprobe@exit:<fn>`, `tracepoint:<category>:<name>` or `raw_tracepoint:<name>`.
	 * Origin: rCore extension.
	 */
	__aligned_u64 target;
	/*
	 * The program.
	 * Origin: rCore extension.
	 */
	__u32 prog_fd;
	/*
	 * BPF_F_RCORE_PROBE_CTX or 0 (the original's padding, so its callers pass 0).
	 * Origin: rCore extension.
	 */
	__u32 flags;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_attach_target) == 16, "struct bpf_attach_target must be 16 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_attach_target, target) == 0, "bpf_attach_target.target must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_attach_target, prog_fd) == 8, "bpf_attach_target.prog_fd must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_attach_target, flags) == 12, "bpf_attach_target.flags must be at offset 12");

/*
 * Attributes of BPF_PROG_LOAD_EX: an ELF object and the fds of the maps it names.
 * The first four fields are the original rCore attr; an older caller's shorter attr reads as zeros after them.
 * Every program of the object is loaded (subprograms linked in, map references relocated) or none is.
 * A map symbol named in map_array uses that map (its type, key and value sizes must match the object's definition); every other map the object defines (legacy `maps`, BTF `.maps`, `.rodata`/`.data`/`.bss`) is created by the kernel, filled with its initial data, and `.rodata` frozen.
 * Returns the fd of the object's first program (as the original did).
 * The fds of the others, and of the maps, are handed out only through `progs` and `maps`: with NULL there, those objects live only as long as the programs that use them.
 * With `progs` (or `maps`) set, `progs_len` (`maps_len`) must be at least the count, else ENOSPC with nothing loaded; either way it is set to the count.
 * Origin: rCore extension.
 */
struct bpf_program_load_ex_attr {
	/*
	 * Pointer to the ELF bytes.
	 * Origin: rCore extension.
	 */
	__aligned_u64 elf_prog;
	/*
	 * Size of the ELF bytes.
	 * Origin: rCore extension.
	 */
	__u32 elf_size;
	/*
	 * Number of entries in map_array.
	 * Origin: rCore extension.
	 */
	__u32 map_array_len;
	/*
	 * Pointer to an array of struct bpf_map_fd_entry.
	 * Origin: rCore extension.
	 */
	__aligned_u64 map_array;
	/*
	 * Out: pointer to an array of struct bpf_load_ex_prog, one per program in object order (or NULL).
	 * Origin: rCore extension.
	 */
	__aligned_u64 progs;
	/*
	 * In: entries `progs` has room for; out: programs in the object.
	 * Origin: rCore extension.
	 */
	__u32 progs_len;
	/*
	 * In: entries `maps` has room for; out: maps the object defines.
	 * Origin: rCore extension.
	 */
	__u32 maps_len;
	/*
	 * Out: pointer to an array of struct bpf_load_ex_map, one per map in object order (or NULL).
	 * Origin: rCore extension.
	 */
	__aligned_u64 maps;
	/*
	 * Pointer to a buffer for the log: why an object or a program was refused.
	 * Origin: rCore extension.
	 */
	__aligned_u64 log_buf;
	/*
	 * Size of log_buf.
	 * Origin: rCore extension.
	 */
	__u32 log_size;
	/*
	 * 0: no log; 1 or more: the log is written.
	 * Origin: rCore extension.
	 */
	__u32 log_level;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_program_load_ex_attr) == 64, "struct bpf_program_load_ex_attr must be 64 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, elf_prog) == 0, "bpf_program_load_ex_attr.elf_prog must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, elf_size) == 8, "bpf_program_load_ex_attr.elf_size must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, map_array_len) == 12, "bpf_program_load_ex_attr.map_array_len must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, map_array) == 16, "bpf_program_load_ex_attr.map_array must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, progs) == 24, "bpf_program_load_ex_attr.progs must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, progs_len) == 32, "bpf_program_load_ex_attr.progs_len must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, maps_len) == 36, "bpf_program_load_ex_attr.maps_len must be at offset 36");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, maps) == 40, "bpf_program_load_ex_attr.maps must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, log_buf) == 48, "bpf_program_load_ex_attr.log_buf must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, log_size) == 56, "bpf_program_load_ex_attr.log_size must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_program_load_ex_attr, log_level) == 60, "bpf_program_load_ex_attr.log_level must be at offset 60");

/*
 * A program loaded by BPF_PROG_LOAD_EX.
 * Origin: rCore extension.
 */
struct bpf_load_ex_prog {
	/*
	 * Its new fd.
	 * Origin: rCore extension.
	 */
	__u32 fd;
	/*
	 * Its program type, from the section name.
	 * Origin: rCore extension.
	 */
	__u32 prog_type;
	/*
	 * Instructions after linking.
	 * Origin: rCore extension.
	 */
	__u32 insn_cnt;
	/*
	 * Attach type it expects, from the section name (0 if none).
	 * Origin: rCore extension.
	 */
	__u32 expected_attach_type;
	/*
	 * Its symbol name, NUL-terminated (cut to 63 bytes).
	 * Origin: rCore extension.
	 */
	char name[64];
	/*
	 * Its section name, NUL-terminated (cut to 63 bytes).
	 * Origin: rCore extension.
	 */
	char section[64];
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct bpf_load_ex_prog) == 144, "struct bpf_load_ex_prog must be 144 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_prog, fd) == 0, "bpf_load_ex_prog.fd must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_prog, prog_type) == 4, "bpf_load_ex_prog.prog_type must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_prog, insn_cnt) == 8, "bpf_load_ex_prog.insn_cnt must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_prog, expected_attach_type) == 12, "bpf_load_ex_prog.expected_attach_type must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_prog, name) == 16, "bpf_load_ex_prog.name must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_prog, section) == 80, "bpf_load_ex_prog.section must be at offset 80");

/*
 * A map used by a BPF_PROG_LOAD_EX object.
 * Origin: rCore extension.
 */
struct bpf_load_ex_map {
	/*
	 * Its fd: a new one for a map the kernel created, the caller's for one named in map_array.
	 * Origin: rCore extension.
	 */
	__u32 fd;
	/*
	 * Its type.
	 * Origin: rCore extension.
	 */
	__u32 map_type;
	/*
	 * 1 if the kernel created it, 0 if the caller named it.
	 * Origin: rCore extension.
	 */
	__u32 created;
	__u32 :32;	/* padding */
	/*
	 * Its symbol or section name, NUL-terminated (cut to 63 bytes).
	 * Origin: rCore extension.
	 */
	char name[64];
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct bpf_load_ex_map) == 80, "struct bpf_load_ex_map must be 80 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_map, fd) == 0, "bpf_load_ex_map.fd must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_map, map_type) == 4, "bpf_load_ex_map.map_type must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_map, created) == 8, "bpf_load_ex_map.created must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_load_ex_map, name) == 16, "bpf_load_ex_map.name must be at offset 16");

/*
 * A map symbol name of an ELF object and the fd it stands for.
 * Origin: rCore extension.
 */
struct bpf_map_fd_entry {
	/*
	 * Pointer to the NUL-terminated symbol name.
	 * Origin: rCore extension.
	 */
	__aligned_u64 name;
	/*
	 * The map.
	 * Origin: rCore extension.
	 */
	__u32 fd;
	__u32 :32;	/* padding */
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_map_fd_entry) == 16, "struct bpf_map_fd_entry must be 16 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_map_fd_entry, name) == 0, "bpf_map_fd_entry.name must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_map_fd_entry, fd) == 8, "bpf_map_fd_entry.fd must be at offset 8");

/*
 * The context of kprobe and kretprobe programs on rCore: the probe and the trap frame.
 * Origin: rCore extension.
 */
struct bpf_probe_ctx {
	/*
	 * Which kind of probe fired.
	 * Origin: rCore extension.
	 */
	__u64 probe_type;
	/*
	 * Address of the probed instruction.
	 * Origin: rCore extension.
	 */
	__u64 paddr;
	/*
	 * General registers at the probe, in the architecture's numbering (RISC-V: x0..x31).
	 * Origin: rCore extension.
	 */
	__u64 regs[32];
	/*
	 * Program counter at the probe.
	 * Origin: rCore extension.
	 */
	__u64 pc;
	/*
	 * Status register at the probe (RISC-V sstatus).
	 * Origin: rCore extension.
	 */
	__u64 status;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_probe_ctx) == 288, "struct bpf_probe_ctx must be 288 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_probe_ctx, probe_type) == 0, "bpf_probe_ctx.probe_type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_probe_ctx, paddr) == 8, "bpf_probe_ctx.paddr must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_probe_ctx, regs) == 16, "bpf_probe_ctx.regs must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_probe_ctx, pc) == 272, "bpf_probe_ctx.pc must be at offset 272");
BPF_ABI_ASSERT(offsetof(struct bpf_probe_ctx, status) == 280, "bpf_probe_ctx.status must be at offset 280");

/* Linux's x86-64 `struct pt_regs` (uapi asm/ptrace.h): the context of kprobe programs on x86-64, read by libbpf's PT_REGS_* macros with -D__TARGET_ARCH_x86. */
struct bpf_pt_regs_x86_64 {
	/* r15. */
	__u64 r15;
	/* r14. */
	__u64 r14;
	/* r13. */
	__u64 r13;
	/* r12. */
	__u64 r12;
	/* rbp, the frame pointer. */
	__u64 bp;
	/* rbx. */
	__u64 bx;
	/* r11. */
	__u64 r11;
	/* r10. */
	__u64 r10;
	/* r9: the sixth argument. */
	__u64 r9;
	/* r8: the fifth argument. */
	__u64 r8;
	/* rax: the return value. */
	__u64 ax;
	/* rcx: the fourth argument. */
	__u64 cx;
	/* rdx: the third argument. */
	__u64 dx;
	/* rsi: the second argument. */
	__u64 si;
	/* rdi: the first argument. */
	__u64 di;
	/* rax at system call entry. */
	__u64 orig_ax;
	/* rip, the instruction pointer. */
	__u64 ip;
	/* Code segment. */
	__u64 cs;
	/* rflags. */
	__u64 flags;
	/* rsp, the stack pointer (the return address is at it on entry). */
	__u64 sp;
	/* Stack segment. */
	__u64 ss;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_pt_regs_x86_64) == 168, "struct bpf_pt_regs_x86_64 must be 168 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r15) == 0, "bpf_pt_regs_x86_64.r15 must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r14) == 8, "bpf_pt_regs_x86_64.r14 must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r13) == 16, "bpf_pt_regs_x86_64.r13 must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r12) == 24, "bpf_pt_regs_x86_64.r12 must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, bp) == 32, "bpf_pt_regs_x86_64.bp must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, bx) == 40, "bpf_pt_regs_x86_64.bx must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r11) == 48, "bpf_pt_regs_x86_64.r11 must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r10) == 56, "bpf_pt_regs_x86_64.r10 must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r9) == 64, "bpf_pt_regs_x86_64.r9 must be at offset 64");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, r8) == 72, "bpf_pt_regs_x86_64.r8 must be at offset 72");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, ax) == 80, "bpf_pt_regs_x86_64.ax must be at offset 80");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, cx) == 88, "bpf_pt_regs_x86_64.cx must be at offset 88");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, dx) == 96, "bpf_pt_regs_x86_64.dx must be at offset 96");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, si) == 104, "bpf_pt_regs_x86_64.si must be at offset 104");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, di) == 112, "bpf_pt_regs_x86_64.di must be at offset 112");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, orig_ax) == 120, "bpf_pt_regs_x86_64.orig_ax must be at offset 120");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, ip) == 128, "bpf_pt_regs_x86_64.ip must be at offset 128");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, cs) == 136, "bpf_pt_regs_x86_64.cs must be at offset 136");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, flags) == 144, "bpf_pt_regs_x86_64.flags must be at offset 144");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, sp) == 152, "bpf_pt_regs_x86_64.sp must be at offset 152");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_x86_64, ss) == 160, "bpf_pt_regs_x86_64.ss must be at offset 160");

/* Linux's RISC-V `struct user_regs_struct` (uapi asm/ptrace.h), the start of its `struct pt_regs`: the context of kprobe programs on riscv64, read by libbpf's PT_REGS_* macros with -D__TARGET_ARCH_riscv. */
struct bpf_pt_regs_riscv64 {
	/* Program counter. */
	__u64 pc;
	/* x1, the return address. */
	__u64 ra;
	/* x2, the stack pointer. */
	__u64 sp;
	/* x3, the global pointer. */
	__u64 gp;
	/* x4, the thread pointer. */
	__u64 tp;
	/* x5. */
	__u64 t0;
	/* x6. */
	__u64 t1;
	/* x7. */
	__u64 t2;
	/* x8, the frame pointer. */
	__u64 s0;
	/* x9. */
	__u64 s1;
	/* x10: the first argument and the return value. */
	__u64 a0;
	/* x11: the second argument. */
	__u64 a1;
	/* x12: the third argument. */
	__u64 a2;
	/* x13: the fourth argument. */
	__u64 a3;
	/* x14: the fifth argument. */
	__u64 a4;
	/* x15: the sixth argument. */
	__u64 a5;
	/* x16. */
	__u64 a6;
	/* x17. */
	__u64 a7;
	/* x18. */
	__u64 s2;
	/* x19. */
	__u64 s3;
	/* x20. */
	__u64 s4;
	/* x21. */
	__u64 s5;
	/* x22. */
	__u64 s6;
	/* x23. */
	__u64 s7;
	/* x24. */
	__u64 s8;
	/* x25. */
	__u64 s9;
	/* x26. */
	__u64 s10;
	/* x27. */
	__u64 s11;
	/* x28. */
	__u64 t3;
	/* x29. */
	__u64 t4;
	/* x30. */
	__u64 t5;
	/* x31. */
	__u64 t6;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_pt_regs_riscv64) == 256, "struct bpf_pt_regs_riscv64 must be 256 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, pc) == 0, "bpf_pt_regs_riscv64.pc must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, ra) == 8, "bpf_pt_regs_riscv64.ra must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, sp) == 16, "bpf_pt_regs_riscv64.sp must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, gp) == 24, "bpf_pt_regs_riscv64.gp must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, tp) == 32, "bpf_pt_regs_riscv64.tp must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t0) == 40, "bpf_pt_regs_riscv64.t0 must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t1) == 48, "bpf_pt_regs_riscv64.t1 must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t2) == 56, "bpf_pt_regs_riscv64.t2 must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s0) == 64, "bpf_pt_regs_riscv64.s0 must be at offset 64");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s1) == 72, "bpf_pt_regs_riscv64.s1 must be at offset 72");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a0) == 80, "bpf_pt_regs_riscv64.a0 must be at offset 80");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a1) == 88, "bpf_pt_regs_riscv64.a1 must be at offset 88");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a2) == 96, "bpf_pt_regs_riscv64.a2 must be at offset 96");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a3) == 104, "bpf_pt_regs_riscv64.a3 must be at offset 104");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a4) == 112, "bpf_pt_regs_riscv64.a4 must be at offset 112");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a5) == 120, "bpf_pt_regs_riscv64.a5 must be at offset 120");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a6) == 128, "bpf_pt_regs_riscv64.a6 must be at offset 128");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, a7) == 136, "bpf_pt_regs_riscv64.a7 must be at offset 136");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s2) == 144, "bpf_pt_regs_riscv64.s2 must be at offset 144");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s3) == 152, "bpf_pt_regs_riscv64.s3 must be at offset 152");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s4) == 160, "bpf_pt_regs_riscv64.s4 must be at offset 160");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s5) == 168, "bpf_pt_regs_riscv64.s5 must be at offset 168");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s6) == 176, "bpf_pt_regs_riscv64.s6 must be at offset 176");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s7) == 184, "bpf_pt_regs_riscv64.s7 must be at offset 184");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s8) == 192, "bpf_pt_regs_riscv64.s8 must be at offset 192");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s9) == 200, "bpf_pt_regs_riscv64.s9 must be at offset 200");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s10) == 208, "bpf_pt_regs_riscv64.s10 must be at offset 208");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, s11) == 216, "bpf_pt_regs_riscv64.s11 must be at offset 216");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t3) == 224, "bpf_pt_regs_riscv64.t3 must be at offset 224");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t4) == 232, "bpf_pt_regs_riscv64.t4 must be at offset 232");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t5) == 240, "bpf_pt_regs_riscv64.t5 must be at offset 240");
BPF_ABI_ASSERT(offsetof(struct bpf_pt_regs_riscv64, t6) == 248, "bpf_pt_regs_riscv64.t6 must be at offset 248");

/* Linux's `struct bpf_perf_event_data` on x86-64: the context of perf event programs. */
struct bpf_perf_event_data_x86_64 {
	/* The registers when the event fired (struct bpf_pt_regs_x86_64). */
	__u64 regs[21];
	/* The event's sample period. */
	__u64 sample_period;
	/* The sampled address, if the event has one. */
	__u64 addr;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_perf_event_data_x86_64) == 184, "struct bpf_perf_event_data_x86_64 must be 184 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_perf_event_data_x86_64, regs) == 0, "bpf_perf_event_data_x86_64.regs must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_perf_event_data_x86_64, sample_period) == 168, "bpf_perf_event_data_x86_64.sample_period must be at offset 168");
BPF_ABI_ASSERT(offsetof(struct bpf_perf_event_data_x86_64, addr) == 176, "bpf_perf_event_data_x86_64.addr must be at offset 176");

/* Linux's `struct bpf_perf_event_data` on riscv64: the context of perf event programs. */
struct bpf_perf_event_data_riscv64 {
	/* The registers when the event fired (struct bpf_pt_regs_riscv64). */
	__u64 regs[32];
	/* The event's sample period. */
	__u64 sample_period;
	/* The sampled address, if the event has one. */
	__u64 addr;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_perf_event_data_riscv64) == 272, "struct bpf_perf_event_data_riscv64 must be 272 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_perf_event_data_riscv64, regs) == 0, "bpf_perf_event_data_riscv64.regs must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct bpf_perf_event_data_riscv64, sample_period) == 256, "bpf_perf_event_data_riscv64.sample_period must be at offset 256");
BPF_ABI_ASSERT(offsetof(struct bpf_perf_event_data_riscv64, addr) == 264, "bpf_perf_event_data_riscv64.addr must be at offset 264");

/* The context of raw tracepoint programs: the tracepoint's arguments as words (Linux declares `args[0]`; 12 is the most a tracepoint passes). */
struct bpf_raw_tracepoint_args {
	/* The arguments. */
	__u64 args[12];
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct bpf_raw_tracepoint_args) == 96, "struct bpf_raw_tracepoint_args must be 96 bytes");
BPF_ABI_ASSERT(offsetof(struct bpf_raw_tracepoint_args, args) == 0, "bpf_raw_tracepoint_args.args must be at offset 0");

/* The context of socket filters and tc programs: Linux's `struct __sk_buff`, a view of the socket buffer. Which fields a program type may read and write, at which sizes, is Linux's (`sk_filter_is_valid_access`, `tc_cls_act_is_valid_access`); see each field. */
struct __sk_buff {
	/* Bytes of the packet (from the network header for socket filters). */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 len;
	/* PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST or PACKET_OTHERHOST, from the link-layer destination. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 pkt_type;
	/* The packet's mark. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls rw, sched_act rw. */
	__u32 mark;
	/* Transmit queue. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls rw, sched_act rw. */
	__u32 queue_mapping;
	/* The link-layer protocol (EtherType), in network byte order. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 protocol;
	/* Whether a VLAN tag was present. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 vlan_present;
	/* The VLAN tag. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 vlan_tci;
	/* The VLAN protocol. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 vlan_proto;
	/* Queueing priority. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls rw, sched_act rw. */
	__u32 priority;
	/* Interface the packet came in on. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 ingress_ifindex;
	/* Interface of the socket buffer. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 ifindex;
	/* Traffic control index. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls rw, sched_act rw. */
	__u32 tc_index;
	/* Scratch space the program may write (20 bytes, zeroed for each packet). */
	/* Access (r read, R whole only, w write, a any size): socket_filter a, sched_cls a, sched_act a. */
	__u32 cb[5];
	/* The flow hash. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 hash;
	/* Traffic control class id (tc programs). */
	/* Access (r read, R whole only, w write, a any size): sched_cls rw, sched_act rw. */
	__u32 tc_classid;
	/* Start of the packet data (direct packet access, tc programs). */
	/* Access (r read, R whole only, w write, a any size): sched_cls R, sched_act R. */
	__u32 data;
	/* End of the packet data (direct packet access, tc programs). */
	/* Access (r read, R whole only, w write, a any size): sched_cls R, sched_act R. */
	__u32 data_end;
	/* NAPI id. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 napi_id;
	/* Socket family (sk_skb programs). */
	__u32 family;
	/* Remote IPv4 address, network byte order (sk_skb programs). */
	__u32 remote_ip4;
	/* Local IPv4 address, network byte order (sk_skb programs). */
	__u32 local_ip4;
	/* Remote IPv6 address, network byte order (sk_skb programs). */
	__u32 remote_ip6[4];
	/* Local IPv6 address, network byte order (sk_skb programs). */
	__u32 local_ip6[4];
	/* Remote port, network byte order (sk_skb programs). */
	__u32 remote_port;
	/* Local port, host byte order (sk_skb programs). */
	__u32 local_port;
	/* Start of the metadata before the packet (tc programs). */
	/* Access (r read, R whole only, w write, a any size): sched_cls R, sched_act R. */
	__u32 data_meta;
	/* Flow keys (flow dissector programs; a pointer in 64 bits). */
	__u64 flow_keys;
	/* Timestamp. */
	/* Access (r read, R whole only, w write, a any size): sched_cls Rw, sched_act Rw. */
	__u64 tstamp;
	/* Bytes on the wire. */
	/* Access (r read, R whole only, w write, a any size): sched_cls r, sched_act r. */
	__u32 wire_len;
	/* GSO segments. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 gso_segs;
	/* The socket (a pointer in 64 bits). */
	/* Access (r read, R whole only, w write, a any size): socket_filter R, sched_cls R, sched_act R. */
	__u64 sk;
	/* GSO segment size. */
	/* Access (r read, R whole only, w write, a any size): socket_filter r, sched_cls r, sched_act r. */
	__u32 gso_size;
	/* Timestamp type. */
	/* Access (r read, R whole only, w write, a any size): sched_cls R, sched_act R. */
	__u8 tstamp_type;
	__u8 :8;	/* padding */
	__u8 :8;	/* padding */
	__u8 :8;	/* padding */
	/* Hardware timestamp. */
	/* Access (r read, R whole only, w write, a any size): sched_cls R, sched_act R. */
	__u64 hwtstamp;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct __sk_buff) == 192, "struct __sk_buff must be 192 bytes");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, len) == 0, "__sk_buff.len must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, pkt_type) == 4, "__sk_buff.pkt_type must be at offset 4");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, mark) == 8, "__sk_buff.mark must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, queue_mapping) == 12, "__sk_buff.queue_mapping must be at offset 12");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, protocol) == 16, "__sk_buff.protocol must be at offset 16");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, vlan_present) == 20, "__sk_buff.vlan_present must be at offset 20");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, vlan_tci) == 24, "__sk_buff.vlan_tci must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, vlan_proto) == 28, "__sk_buff.vlan_proto must be at offset 28");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, priority) == 32, "__sk_buff.priority must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, ingress_ifindex) == 36, "__sk_buff.ingress_ifindex must be at offset 36");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, ifindex) == 40, "__sk_buff.ifindex must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, tc_index) == 44, "__sk_buff.tc_index must be at offset 44");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, cb) == 48, "__sk_buff.cb must be at offset 48");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, hash) == 68, "__sk_buff.hash must be at offset 68");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, tc_classid) == 72, "__sk_buff.tc_classid must be at offset 72");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, data) == 76, "__sk_buff.data must be at offset 76");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, data_end) == 80, "__sk_buff.data_end must be at offset 80");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, napi_id) == 84, "__sk_buff.napi_id must be at offset 84");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, family) == 88, "__sk_buff.family must be at offset 88");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, remote_ip4) == 92, "__sk_buff.remote_ip4 must be at offset 92");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, local_ip4) == 96, "__sk_buff.local_ip4 must be at offset 96");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, remote_ip6) == 100, "__sk_buff.remote_ip6 must be at offset 100");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, local_ip6) == 116, "__sk_buff.local_ip6 must be at offset 116");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, remote_port) == 132, "__sk_buff.remote_port must be at offset 132");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, local_port) == 136, "__sk_buff.local_port must be at offset 136");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, data_meta) == 140, "__sk_buff.data_meta must be at offset 140");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, flow_keys) == 144, "__sk_buff.flow_keys must be at offset 144");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, tstamp) == 152, "__sk_buff.tstamp must be at offset 152");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, wire_len) == 160, "__sk_buff.wire_len must be at offset 160");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, gso_segs) == 164, "__sk_buff.gso_segs must be at offset 164");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, sk) == 168, "__sk_buff.sk must be at offset 168");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, gso_size) == 176, "__sk_buff.gso_size must be at offset 176");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, tstamp_type) == 180, "__sk_buff.tstamp_type must be at offset 180");
BPF_ABI_ASSERT(offsetof(struct __sk_buff, hwtstamp) == 184, "__sk_buff.hwtstamp must be at offset 184");

/* The common header of every tracepoint record (Linux's `struct trace_entry`): tracepoint programs get a pointer to the record. */
struct trace_entry {
	/* The event's id. */
	__u16 type;
	/* Interrupt and preemption flags. */
	__u8 flags;
	/* Preemption depth. */
	__u8 preempt_count;
	/* The task that fired it. */
	__s32 pid;
} __attribute__((aligned(4)));
BPF_ABI_ASSERT(sizeof(struct trace_entry) == 8, "struct trace_entry must be 8 bytes");
BPF_ABI_ASSERT(offsetof(struct trace_entry, type) == 0, "trace_entry.type must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct trace_entry, flags) == 2, "trace_entry.flags must be at offset 2");
BPF_ABI_ASSERT(offsetof(struct trace_entry, preempt_count) == 3, "trace_entry.preempt_count must be at offset 3");
BPF_ABI_ASSERT(offsetof(struct trace_entry, pid) == 4, "trace_entry.pid must be at offset 4");

/* The record of tracepoint `sched:sched_switch`, as Linux's format file lays it out. */
struct trace_event_raw_sched_switch {
	/* struct trace_entry. */
	__u8 ent[8];
	/* Name of the task switched out. */
	char prev_comm[16];
	/* Its pid. */
	__s32 prev_pid;
	/* Its priority. */
	__s32 prev_prio;
	/* Its state. */
	__s64 prev_state;
	/* Name of the task switched in. */
	char next_comm[16];
	/* Its pid. */
	__s32 next_pid;
	/* Its priority. */
	__s32 next_prio;
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct trace_event_raw_sched_switch) == 64, "struct trace_event_raw_sched_switch must be 64 bytes");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, ent) == 0, "trace_event_raw_sched_switch.ent must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, prev_comm) == 8, "trace_event_raw_sched_switch.prev_comm must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, prev_pid) == 24, "trace_event_raw_sched_switch.prev_pid must be at offset 24");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, prev_prio) == 28, "trace_event_raw_sched_switch.prev_prio must be at offset 28");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, prev_state) == 32, "trace_event_raw_sched_switch.prev_state must be at offset 32");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, next_comm) == 40, "trace_event_raw_sched_switch.next_comm must be at offset 40");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, next_pid) == 56, "trace_event_raw_sched_switch.next_pid must be at offset 56");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sched_switch, next_prio) == 60, "trace_event_raw_sched_switch.next_prio must be at offset 60");

/* The record of the `syscalls:sys_enter_*` tracepoints of a system call with up to six arguments. */
struct trace_event_raw_sys_enter {
	/* struct trace_entry. */
	__u8 ent[8];
	/* The system call number. */
	__s32 __syscall_nr;
	__u32 :32;	/* padding */
	/* Its arguments. */
	__u64 args[6];
} __attribute__((aligned(8)));
BPF_ABI_ASSERT(sizeof(struct trace_event_raw_sys_enter) == 64, "struct trace_event_raw_sys_enter must be 64 bytes");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sys_enter, ent) == 0, "trace_event_raw_sys_enter.ent must be at offset 0");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sys_enter, __syscall_nr) == 8, "trace_event_raw_sys_enter.__syscall_nr must be at offset 8");
BPF_ABI_ASSERT(offsetof(struct trace_event_raw_sys_enter, args) == 16, "trace_event_raw_sys_enter.args must be at offset 16");

/* The bpf(2) attribute union, with the members this ABI serves, as Linux lays it out. */
union bpf_attr {
	/* Attributes of BPF_MAP_CREATE. */
	struct {
		/* The map type. */
		__u32 map_type;
		/* Key size in bytes. */
		__u32 key_size;
		/* Value size in bytes. */
		__u32 value_size;
		/* Maximum number of entries. */
		__u32 max_entries;
		/* BPF_F_* map flags. */
		__u32 map_flags;
		/* Fd of the inner map, for maps of maps. */
		__u32 inner_map_fd;
		/* NUMA node, with BPF_F_NUMA_NODE. */
		__u32 numa_node;
		/* Name, NUL-padded. */
		char map_name[BPF_OBJ_NAME_LEN];
		/* Network device to create the map on. */
		__u32 map_ifindex;
		/* Fd of the BTF data. */
		__u32 btf_fd;
		/* BTF type id of the key. */
		__u32 btf_key_type_id;
		/* BTF type id of the value. */
		__u32 btf_value_type_id;
		/* BTF type id of a kernel struct stored as the value. */
		__u32 btf_vmlinux_value_type_id;
		/* Per-map-type extra (e.g. bloom filter hash count). */
		__u64 map_extra;
	};
	/* Attributes of BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM and FREEZE. */
	struct {
		/* The map. */
		__u32 map_fd;
		__u32 :32;	/* padding */
		/* Pointer to the key. */
		__aligned_u64 key;
		/* Pointer to the value (for GET_NEXT_KEY: to the next key). */
		union {
			__aligned_u64 value;
			__aligned_u64 next_key;
		};
		/* BPF_ANY, BPF_NOEXIST, BPF_EXIST or BPF_F_LOCK. */
		__u64 flags;
	};
	/* Attributes of the BPF_MAP_*_BATCH commands. */
	struct {
		/* Start position (NULL: from the beginning). */
		__aligned_u64 in_batch;
		/* Output: position to continue from. */
		__aligned_u64 out_batch;
		/* Array of keys. */
		__aligned_u64 keys;
		/* Array of values. */
		__aligned_u64 values;
		/* Input: elements in the arrays; output: elements processed. */
		__u32 count;
		/* The map. */
		__u32 map_fd;
		/* Flags applied to each element. */
		__u64 elem_flags;
		/* Flags of the command. */
		__u64 flags;
	} batch;
	/* Attributes of BPF_PROG_LOAD. */
	struct {
		/* The program type. */
		__u32 prog_type;
		/* Number of instructions. */
		__u32 insn_cnt;
		/* Pointer to the instructions (struct bpf_insn). */
		__aligned_u64 insns;
		/* Pointer to the license string. */
		__aligned_u64 license;
		/* Verifier log verbosity. */
		__u32 log_level;
		/* Size of the log buffer. */
		__u32 log_size;
		/* Pointer to the log buffer. */
		__aligned_u64 log_buf;
		/* Unused (kernel version). */
		__u32 kern_version;
		/* BPF_F_* program flags. */
		__u32 prog_flags;
		/* Name, NUL-padded. */
		char prog_name[BPF_OBJ_NAME_LEN];
		/* Network device to load the program for. */
		__u32 prog_ifindex;
		/* Expected attach type. */
		__u32 expected_attach_type;
		/* Fd of the BTF data. */
		__u32 prog_btf_fd;
		/* Size of one func_info record. */
		__u32 func_info_rec_size;
		/* Pointer to the func_info records. */
		__aligned_u64 func_info;
		/* Number of func_info records. */
		__u32 func_info_cnt;
		/* Size of one line_info record. */
		__u32 line_info_rec_size;
		/* Pointer to the line_info records. */
		__aligned_u64 line_info;
		/* Number of line_info records. */
		__u32 line_info_cnt;
		/* BTF id of the attach target. */
		__u32 attach_btf_id;
		/* Fd of the program to attach to (or of the BTF object). */
		union {
			__u32 attach_prog_fd;
			__u32 attach_btf_obj_fd;
		};
		/* Number of CO-RE relocations. */
		__u32 core_relo_cnt;
		/* Pointer to an array of map fds for BPF_PSEUDO_MAP_IDX. */
		__aligned_u64 fd_array;
		/* Pointer to the CO-RE relocations. */
		__aligned_u64 core_relos;
		/* Size of one CO-RE relocation. */
		__u32 core_relo_rec_size;
		__u32 :32;	/* padding */
	};
	/* Attributes of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
	struct {
		/* The object to attach to. */
		__u32 target_fd;
		/* The program. */
		__u32 attach_bpf_fd;
		/* The attach type. */
		__u32 attach_type;
		/* BPF_F_ALLOW_* flags. */
		__u32 attach_flags;
		/* Program to replace, with BPF_F_REPLACE. */
		__u32 replace_bpf_fd;
	};
	/* Attributes of BPF_PROG_TEST_RUN. */
	struct {
		/* The program. */
		__u32 prog_fd;
		/* Output: the program's return value. */
		__u32 retval;
		/* Length of data_in. */
		__u32 data_size_in;
		/* Input: size of data_out; output: bytes written. */
		__u32 data_size_out;
		/* Pointer to the input data. */
		__aligned_u64 data_in;
		/* Pointer to the output data buffer. */
		__aligned_u64 data_out;
		/* Times to run. */
		__u32 repeat;
		/* Output: mean run time in ns. */
		__u32 duration;
		/* Length of ctx_in. */
		__u32 ctx_size_in;
		/* Input: size of ctx_out; output: bytes written. */
		__u32 ctx_size_out;
		/* Pointer to the input context. */
		__aligned_u64 ctx_in;
		/* Pointer to the output context buffer. */
		__aligned_u64 ctx_out;
		/* BPF_F_TEST_* flags. */
		__u32 flags;
		/* CPU to run on, with BPF_F_TEST_RUN_ON_CPU. */
		__u32 cpu;
		/* XDP live frames: batch size. */
		__u32 batch_size;
		__u32 :32;	/* padding */
	} test;
	/* Attributes of BPF_OBJ_GET_INFO_BY_FD. */
	struct {
		/* The object. */
		__u32 bpf_fd;
		/* Input: size of the info buffer; output: bytes written. */
		__u32 info_len;
		/* Pointer to the info buffer (struct bpf_map_info, ...). */
		__aligned_u64 info;
	} info;
} __attribute__((aligned(8)));

/* The bpf(2) system call. */
#ifndef __NR_bpf
#if defined(__x86_64__)
#define __NR_bpf 321
#elif defined(__riscv) && __riscv_xlen == 64
#define __NR_bpf 280
#elif defined(__aarch64__)
#define __NR_bpf 280
#elif defined(__loongarch64)
#define __NR_bpf 280
#endif
#endif

/*
 * close(2), which closes the fds bpf(2) returns (for user programs
 * that make system calls without a C library).
 */
#ifndef __NR_close
#if defined(__x86_64__)
#define __NR_close 3
#elif defined(__riscv) && __riscv_xlen == 64
#define __NR_close 57
#elif defined(__aarch64__)
#define __NR_close 57
#elif defined(__loongarch64)
#define __NR_close 57
#endif
#endif

/* mmap(2), which maps a ring buffer's pages for its consumer. */
#ifndef __NR_mmap
#if defined(__x86_64__)
#define __NR_mmap 9
#elif defined(__riscv) && __riscv_xlen == 64
#define __NR_mmap 222
#elif defined(__aarch64__)
#define __NR_mmap 222
#elif defined(__loongarch64)
#define __NR_mmap 222
#endif
#endif

/* munmap(2). */
#ifndef __NR_munmap
#if defined(__x86_64__)
#define __NR_munmap 11
#elif defined(__riscv) && __riscv_xlen == 64
#define __NR_munmap 215
#elif defined(__aarch64__)
#define __NR_munmap 215
#elif defined(__loongarch64)
#define __NR_munmap 215
#endif
#endif

/*
 * perf_event_open(2), which opens the per-CPU event a
 * PERF_EVENT_ARRAY slot holds on Linux (its buffer is then mapped).
 */
#ifndef __NR_perf_event_open
#if defined(__x86_64__)
#define __NR_perf_event_open 298
#elif defined(__riscv) && __riscv_xlen == 64
#define __NR_perf_event_open 241
#elif defined(__aarch64__)
#define __NR_perf_event_open 241
#elif defined(__loongarch64)
#define __NR_perf_event_open 241
#endif
#endif

#endif /* RCORE_BPF_ABI_H */
