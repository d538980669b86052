/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp internals shared by main.c (options, --check) and run.c (the
 * appliance: EAL, ports, reflector, workers, signals).
 */
#ifndef TWAMP_DP_H
#define TWAMP_DP_H

#include <stddef.h>
#include <stdint.h>

/* config/default.yaml, compiled in by embed.py */
extern const char tw_default_config[];
extern const size_t tw_default_config_len;
#define DEFAULT_NAME "<default>"

struct app_opts {
	const char *config;     /* NULL: the embedded default */
	int64_t idle_us;        /* worker back-off after an empty poll; 0 = poll;
				 * -1: workers.idle_sleep_us of the config */
};

/* Run the appliance until SIGINT/SIGTERM; the process exit code. */
int app_run(const struct app_opts *o);

/* Timestamped lifecycle line on stderr ("2026-01-01T00:00:00.000Z twamp-dp: ..."). */
void app_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
