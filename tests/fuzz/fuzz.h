/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness table. Each tests/fuzz/fuzz_<area>.c defines
 * TW_FUZZ_TARGETS with one entry per decoder; fuzz_main.c dispatches:
 *   TW_FUZZ_LIST=1            print target names, exit
 *   TW_FUZZ_SEEDS=DIR         write the valid seed messages of
 *                             TW_FUZZ_TARGET into DIR, exit
 *   TW_FUZZ_TARGET=name ./fuzz_<area> [libFuzzer options] CORPUS
 * run() feeds the input to the decoder and checks its invariants with
 * TW_FUZZ_ASSERT (consumed <= len, re-encode round trip, ...).
 */
#ifndef TW_FUZZ_H
#define TW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*tw_fuzz_emit_fn)(void *ctx, const uint8_t *data, size_t len);

struct tw_fuzz_target {
	const char *name;
	void (*run)(const uint8_t *data, size_t len);
	void (*seeds)(tw_fuzz_emit_fn emit, void *ctx);
};

extern const struct tw_fuzz_target tw_fuzz_targets[];
extern const size_t tw_fuzz_ntargets;

#define TW_FUZZ_TARGETS(...)                                                   \
	const struct tw_fuzz_target tw_fuzz_targets[] = { __VA_ARGS__ };       \
	const size_t tw_fuzz_ntargets =                                        \
		sizeof(tw_fuzz_targets) / sizeof(tw_fuzz_targets[0])

#define TW_FUZZ_ASSERT(c)                                                      \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #c);                       \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
