/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp: the appliance daemon. Options and the check modes (--check,
 * --check-keys, --show-default) here; the run mode is in run.c.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "tw_config.h"
#include "twamp_dp.h"

#ifndef TWAMP_DP_VERSION
#define TWAMP_DP_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-dp [-c FILE] [--idle-us N]  run the appliance with FILE\n"
		"                                  (default: the built-in configuration)\n"
		"       twamp-dp --check [FILE]    validate FILE (default: the built-in\n"
		"                                  configuration), print the effective config\n"
		"       twamp-dp --show-default    print the built-in configuration\n"
		"       twamp-dp --check-keys FILE validate a key file (no secrets printed)\n"
		"       twamp-dp --version | -h\n"
		"\n"
		"  -c, --config FILE   configuration (YAML, see docs/config.md)\n"
		"  -f, --foreground    stay in the foreground, log to stderr (the default)\n"
		"  -i, --idle-us N     workers sleep N us after an empty poll (0: pure\n"
		"                      polling; default: workers.idle_sleep_us of the config)\n"
		"  -n, --check [FILE]  check only: effective config on stdout, exit 0;\n"
		"                      or every error on stderr, exit 1\n"
		"  -k, --check-keys FILE  check a key file\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n");
}

static void print_diag(const struct tw_config_diag *d)
{
	for (unsigned i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->msgs[i].text);
	if (d->truncated)
		fprintf(stderr, "twamp-dp: too many messages; %u errors in all\n",
			d->n_errors);
}

static int check(const char *path)
{
	struct tw_config_diag diag = { 0 };
	struct tw_config *cfg;
	int rc = path != NULL ?
		tw_config_load(path, &cfg, &diag) :
		tw_config_load_buffer(DEFAULT_NAME, tw_default_config,
				      tw_default_config_len, &cfg, &diag);

	print_diag(&diag);
	tw_config_diag_free(&diag);
	if (rc < 0)
		return 1;
	rc = tw_config_dump(cfg, stdout);
	tw_config_free(cfg);
	if (rc < 0 || fflush(stdout) != 0) {
		perror("twamp-dp: stdout");
		return 1;
	}
	return 0;
}

static int check_keys(const char *path)
{
	struct tw_config_diag diag = { 0 };
	struct tw_config_keys keys;
	int rc = tw_config_keys_load(path, &keys, &diag);

	print_diag(&diag);
	tw_config_diag_free(&diag);
	if (rc < 0)
		return 1;
	for (unsigned i = 0; i < keys.n; i++)
		printf("%s: \"%s\"  # %zu octets\n",
		       keys.v[i].is_secret ? "secret" : "passphrase", keys.v[i].id,
		       keys.v[i].len);
	tw_config_keys_free(&keys);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", optional_argument, NULL, 'n' },
		{ "show-default", no_argument, NULL, 'D' },
		{ "check-keys", required_argument, NULL, 'k' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "idle-us", required_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *checkf = NULL, *keysf = NULL;
	struct app_opts ro = { .idle_us = -1 };
	bool do_check = false;
	char *end;
	unsigned long ul;
	int c;

	while ((c = getopt_long(argc, argv, "c:n::k:fi:DVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ro.config = optarg;
			break;
		case 'f':
			break;
		case 'i':
			errno = 0;
			ul = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || ul > 1000000) {
				fprintf(stderr, "twamp-dp: --idle-us: '%s' is not 0..1000000\n",
					optarg);
				return 2;
			}
			ro.idle_us = (int64_t)ul;
			break;
		case 'n':
			/* "--check FILE" as well as "--check=FILE" and "-nFILE" */
			do_check = true;
			checkf = optarg;
			if (checkf == NULL && optind < argc && argv[optind][0] != '-')
				checkf = argv[optind++];
			break;
		case 'D':
			fwrite(tw_default_config, 1, tw_default_config_len, stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'k':
			keysf = optarg;
			break;
		case 'V':
			printf("twamp-dp %s\n", TWAMP_DP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "twamp-dp: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (keysf != NULL)
		return check_keys(keysf);
	if (do_check)
		return check(checkf);
	return app_run(&ro);
}
