/*
 * The conventions of libbpf's API that <bpf/bpf.h> uses: the export
 * attribute and the options-struct macro.
 */
#ifndef RCORE_BPF_LIBBPF_COMMON_H
#define RCORE_BPF_LIBBPF_COMMON_H

#include <string.h>

#ifndef LIBBPF_API
#define LIBBPF_API __attribute__((visibility("default")))
#endif

/*
 * Declares and initializes an options struct: every byte zero (padding
 * too, so a newer library can tell an older caller's fields from its own),
 * then `.sz` set to the struct's size and the named fields to their values.
 *
 *     LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .repeat = 1);
 */
#define LIBBPF_OPTS(TYPE, NAME, ...)                                      \
	struct TYPE NAME = ({                                             \
		memset(&NAME, 0, sizeof(struct TYPE));                    \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
	})

/* Zeroes an options struct and sets its size (for a struct declared earlier). */
#define LIBBPF_OPTS_RESET(NAME, ...)                                      \
	do {                                                              \
		typeof(NAME) ___##NAME = ({                               \
			memset(&___##NAME, 0, sizeof(NAME));              \
			(typeof(NAME)){ .sz = sizeof(NAME), __VA_ARGS__ }; \
		});                                                       \
		memcpy(&NAME, &___##NAME, sizeof(NAME));                  \
	} while (0)

#endif
