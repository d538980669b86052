/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer entry points shared by every harness table (see fuzz.h). */

#include <errno.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const struct tw_fuzz_target *target;

struct seed_ctx {
	const char *dir;
	unsigned n;
};

static void write_seed(void *arg, const uint8_t *data, size_t len)
{
	struct seed_ctx *c = arg;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%04u", c->dir, c->n++);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name = getenv("TW_FUZZ_TARGET");
	const char *seeds = getenv("TW_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (getenv("TW_FUZZ_LIST") != NULL) {
		for (size_t i = 0; i < tw_fuzz_ntargets; i++)
			printf("%s\n", tw_fuzz_targets[i].name);
		exit(0);
	}
	for (size_t i = 0; name != NULL && i < tw_fuzz_ntargets; i++)
		if (strcmp(tw_fuzz_targets[i].name, name) == 0)
			target = &tw_fuzz_targets[i];
	if (target == NULL) {
		fprintf(stderr, "fuzz: set TW_FUZZ_TARGET to one of:");
		for (size_t i = 0; i < tw_fuzz_ntargets; i++)
			fprintf(stderr, " %s", tw_fuzz_targets[i].name);
		fprintf(stderr, "\n");
		exit(2);
	}
	if (seeds != NULL) {
		struct seed_ctx c = { .dir = seeds };

		if (target->seeds != NULL)
			target->seeds(write_seed, &c);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	target->run(data, len);
	return 0;
}
