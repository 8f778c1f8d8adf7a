/*
 * Generated from abi/bpf.abi by the codegen crate. Do not edit.
 * Regenerate with: cargo run -p codegen --bin regen
 */
#ifndef RCORE_BPF_HELPERS_H
#define RCORE_BPF_HELPERS_H

#include "bpf_abi.h"

/* Place a program or map in an ELF section. */
#define SEC(name) __attribute__((section(name), used))

/* BTF-style map definitions: struct { __uint(type, BPF_MAP_TYPE_HASH); ... } m SEC(".maps"); */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

/* libbpf's bpf_printk: the format in .rodata, then bpf_trace_printk (at most 3 arguments). */
#define bpf_printk(fmt, ...) ({ static const char ____fmt[] = fmt; bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__); })

/* Kprobe arguments and results, as libbpf's bpf_tracing.h reads them: build with -D__TARGET_ARCH_<arch>. */
#if defined(__TARGET_ARCH_x86) && !defined(PT_REGS_RC)
#define PT_REGS_PARM1(x) (((const struct bpf_pt_regs_x86_64 *)(x))->di)
#define PT_REGS_PARM2(x) (((const struct bpf_pt_regs_x86_64 *)(x))->si)
#define PT_REGS_PARM3(x) (((const struct bpf_pt_regs_x86_64 *)(x))->dx)
#define PT_REGS_PARM4(x) (((const struct bpf_pt_regs_x86_64 *)(x))->cx)
#define PT_REGS_PARM5(x) (((const struct bpf_pt_regs_x86_64 *)(x))->r8)
#define PT_REGS_PARM6(x) (((const struct bpf_pt_regs_x86_64 *)(x))->r9)
#define PT_REGS_RC(x) (((const struct bpf_pt_regs_x86_64 *)(x))->ax)
#define PT_REGS_SP(x) (((const struct bpf_pt_regs_x86_64 *)(x))->sp)
#define PT_REGS_FP(x) (((const struct bpf_pt_regs_x86_64 *)(x))->bp)
#define PT_REGS_IP(x) (((const struct bpf_pt_regs_x86_64 *)(x))->ip)
#define PT_REGS_RET(x) (((const struct bpf_pt_regs_x86_64 *)(x))->sp)
#endif
#if defined(__TARGET_ARCH_riscv) && !defined(PT_REGS_RC)
#define PT_REGS_PARM1(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a0)
#define PT_REGS_PARM2(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a1)
#define PT_REGS_PARM3(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a2)
#define PT_REGS_PARM4(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a3)
#define PT_REGS_PARM5(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a4)
#define PT_REGS_PARM6(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a5)
#define PT_REGS_RC(x) (((const struct bpf_pt_regs_riscv64 *)(x))->a0)
#define PT_REGS_SP(x) (((const struct bpf_pt_regs_riscv64 *)(x))->sp)
#define PT_REGS_FP(x) (((const struct bpf_pt_regs_riscv64 *)(x))->s0)
#define PT_REGS_IP(x) (((const struct bpf_pt_regs_riscv64 *)(x))->pc)
#define PT_REGS_RET(x) (((const struct bpf_pt_regs_riscv64 *)(x))->ra)
#endif

/* Look up a key; a pointer to its value, or NULL. */
static void * (* const bpf_map_lookup_elem)(void *map, const void *key) = (void *) BPF_FUNC_map_lookup_elem;

/* Create or update an element; 0 or a negative errno. */
static long (* const bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *) BPF_FUNC_map_update_elem;

/* Delete an element; 0 or a negative errno. */
static long (* const bpf_map_delete_elem)(void *map, const void *key) = (void *) BPF_FUNC_map_delete_elem;

/* Read kernel memory safely; on failure fill zeros and return -EFAULT. */
/* Program types: kprobe, tracepoint, raw_tracepoint, raw_tracepoint_writable, perf_event. */
static long (* const bpf_probe_read)(void *dst, __u32 size, const void *unsafe_ptr) = (void *) BPF_FUNC_probe_read;

/* Monotonic time in ns. */
static __u64 (* const bpf_ktime_get_ns)(void) = (void *) BPF_FUNC_ktime_get_ns;

/* Print a formatted message (at most 3 arguments) to the trace console. */
static long (* const bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *) BPF_FUNC_trace_printk;

/* A pseudo-random 32-bit number. */
static __u32 (* const bpf_get_prandom_u32)(void) = (void *) BPF_FUNC_get_prandom_u32;

/* The id of the CPU running the program. */
static __u32 (* const bpf_get_smp_processor_id)(void) = (void *) BPF_FUNC_get_smp_processor_id;

/* Store bytes into a packet. */
/* Program types: sched_cls, sched_act. */
static long (* const bpf_skb_store_bytes)(void *skb, __u32 offset, const void *from, __u32 len, __u64 flags) = (void *) BPF_FUNC_skb_store_bytes;

/* Fix up an L3 checksum. */
/* Program types: sched_cls, sched_act. */
static long (* const bpf_l3_csum_replace)(void *skb, __u32 offset, __u64 from, __u64 to, __u64 size) = (void *) BPF_FUNC_l3_csum_replace;

/* Fix up an L4 checksum. */
/* Program types: sched_cls, sched_act. */
static long (* const bpf_l4_csum_replace)(void *skb, __u32 offset, __u64 from, __u64 to, __u64 flags) = (void *) BPF_FUNC_l4_csum_replace;

/* Jump to the program at `index` of a PROG_ARRAY; returns only on failure. */
static long (* const bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *) BPF_FUNC_tail_call;

/* Clone a packet and redirect the clone. */
/* Program types: sched_cls, sched_act. */
static long (* const bpf_clone_redirect)(void *skb, __u32 ifindex, __u64 flags) = (void *) BPF_FUNC_clone_redirect;

/* tgid << 32 | pid of the current task. */
static __u64 (* const bpf_get_current_pid_tgid)(void) = (void *) BPF_FUNC_get_current_pid_tgid;

/* gid << 32 | uid of the current task. */
static __u64 (* const bpf_get_current_uid_gid)(void) = (void *) BPF_FUNC_get_current_uid_gid;

/* Copy the current task's name into a buffer. */
static long (* const bpf_get_current_comm)(void *buf, __u32 size_of_buf) = (void *) BPF_FUNC_get_current_comm;

/* Read the counter of a perf event in a PERF_EVENT_ARRAY slot (BPF_F_CURRENT_CPU: this CPU's). */
static __u64 (* const bpf_perf_event_read)(void *map, __u64 flags) = (void *) BPF_FUNC_perf_event_read;

/* Send a record to user space through a PERF_EVENT_ARRAY slot (BPF_F_CURRENT_CPU: this CPU's); 0 or a negative errno. */
static long (* const bpf_perf_event_output)(void *ctx, void *map, __u64 flags, const void *data, __u32 size) = (void *) BPF_FUNC_perf_event_output;

/* Copy `len` bytes at `offset` of the packet (from skb->data) into `to`; 0, or -EFAULT with `to` zeroed. */
/* Program types: socket_filter, sched_cls, sched_act. */
static long (* const bpf_skb_load_bytes)(void *skb, __u32 offset, void *to, __u32 len) = (void *) BPF_FUNC_skb_load_bytes;

/* Store the current stack in a STACK_TRACE map; its id, or a negative errno. */
/* Program types: kprobe, tracepoint, raw_tracepoint, raw_tracepoint_writable, perf_event. */
static long (* const bpf_get_stackid)(void *ctx, void *map, __u64 flags) = (void *) BPF_FUNC_get_stackid;

/* The address of the current task's kernel structure (for bpf_probe_read). */
static __u64 (* const bpf_get_current_task)(void) = (void *) BPF_FUNC_get_current_task;

/* The NUMA node the program runs on. */
static long (* const bpf_get_numa_node_id)(void) = (void *) BPF_FUNC_get_numa_node_id;

/* Copy a NUL-terminated string from unsafe memory; its length with the NUL, or a negative errno. */
/* Program types: kprobe, tracepoint, raw_tracepoint, raw_tracepoint_writable, perf_event. */
static long (* const bpf_probe_read_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *) BPF_FUNC_probe_read_str;

/* The cookie of the packet's socket (unique per socket, never 0), or 0 without one. */
/* Program types: socket_filter, sched_cls, sched_act. */
static __u64 (* const bpf_get_socket_cookie)(void *skb) = (void *) BPF_FUNC_get_socket_cookie;

/* The owner uid of the packet's socket (the overflow uid without one). */
/* Program types: socket_filter, sched_cls, sched_act. */
static __u32 (* const bpf_get_socket_uid)(void *skb) = (void *) BPF_FUNC_get_socket_uid;

/* Copy `len` bytes at `offset` from a header of the packet (BPF_HDR_START_MAC or BPF_HDR_START_NET) into `to`; 0, or -EFAULT with `to` zeroed. */
/* Program types: socket_filter, sched_cls, sched_act. */
static long (* const bpf_skb_load_bytes_relative)(void *skb, __u32 offset, void *to, __u32 len, __u32 start_header) = (void *) BPF_FUNC_skb_load_bytes_relative;

/* The id of the current task's cgroup (v2). */
static __u64 (* const bpf_get_current_cgroup_id)(void) = (void *) BPF_FUNC_get_current_cgroup_id;

/* Push a value onto a queue or stack. */
static long (* const bpf_map_push_elem)(void *map, const void *value, __u64 flags) = (void *) BPF_FUNC_map_push_elem;

/* Pop a value from a queue or stack. */
static long (* const bpf_map_pop_elem)(void *map, void *value) = (void *) BPF_FUNC_map_pop_elem;

/* Read the next value of a queue or stack without removing it. */
static long (* const bpf_map_peek_elem)(void *map, void *value) = (void *) BPF_FUNC_map_peek_elem;

/* Read user memory safely; on failure fill zeros and return -EFAULT. */
static long (* const bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *) BPF_FUNC_probe_read_user;

/* Read kernel memory safely; on failure fill zeros and return -EFAULT. */
static long (* const bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *) BPF_FUNC_probe_read_kernel;

/* Copy a NUL-terminated string from user memory; its length with the NUL, or a negative errno. */
static long (* const bpf_probe_read_user_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *) BPF_FUNC_probe_read_user_str;

/* Copy a NUL-terminated string from kernel memory; its length with the NUL, or a negative errno. */
static long (* const bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *) BPF_FUNC_probe_read_kernel_str;

/* The kernel's jiffies counter, 64 bits. */
static __u64 (* const bpf_jiffies64)(void) = (void *) BPF_FUNC_jiffies64;

/* Time since boot in ns, suspend included. */
static __u64 (* const bpf_ktime_get_boot_ns)(void) = (void *) BPF_FUNC_ktime_get_boot_ns;

/* Copy data into a ring buffer; 0 or a negative errno. */
static long (* const bpf_ringbuf_output)(void *ringbuf, const void *data, __u32 size, __u64 flags) = (void *) BPF_FUNC_ringbuf_output;

/* Reserve space in a ring buffer; a pointer to it, or NULL. */
static void * (* const bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *) BPF_FUNC_ringbuf_reserve;

/* Commit a reservation to the consumer. */
static void (* const bpf_ringbuf_submit)(void *data, __u64 flags) = (void *) BPF_FUNC_ringbuf_submit;

/* Discard a reservation. */
static void (* const bpf_ringbuf_discard)(void *data, __u64 flags) = (void *) BPF_FUNC_ringbuf_discard;

/* Query a ring buffer property (BPF_RB_*). */
static __u64 (* const bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *) BPF_FUNC_ringbuf_query;

/* Monotonic time in ns, at the clock tick's resolution. */
/* Program types: socket_filter, sched_cls, sched_act, xdp. */
static __u64 (* const bpf_ktime_get_coarse_ns)(void) = (void *) BPF_FUNC_ktime_get_coarse_ns;

/* Address of the traced function (kprobe: the probed address). */
/* Program types: kprobe, tracepoint, raw_tracepoint, raw_tracepoint_writable, perf_event. */
static __u64 (* const bpf_get_func_ip)(void *ctx) = (void *) BPF_FUNC_get_func_ip;

#endif /* RCORE_BPF_HELPERS_H */
