/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets for lib/config.
 *   yaml: arbitrary bytes as a configuration. Never crashes or leaks; a
 *         config that loads dumps to YAML that loads to an equal config and
 *         dumps to the same octets.
 *   keys: arbitrary bytes as a key file (through a memfd).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tw_config.h"

#define NAME "fuzz/cfg.yaml"

static char *dump(const struct tw_config *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	TW_FUZZ_ASSERT(f != NULL);
	TW_FUZZ_ASSERT(tw_config_dump(c, f) == 0);
	fclose(f);
	return buf;
}

static void run_yaml(const uint8_t *data, size_t len)
{
	struct tw_config_diag d = { 0 };
	struct tw_config *a = NULL, *b = NULL;
	char *out, *out2;
	size_t n, n2;
	int rc = tw_config_load_buffer(NAME, (const char *)data, len, &a, &d);

	TW_FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	TW_FUZZ_ASSERT((rc == 0) == (a != NULL));
	TW_FUZZ_ASSERT(rc != 0 || d.n_errors == 0);
	TW_FUZZ_ASSERT(rc == 0 || rc == -ENOMEM || d.n_errors > 0);
	TW_FUZZ_ASSERT(d.n <= TW_CONFIG_DIAG_MAX);
	for (unsigned i = 0; i < d.n; i++)
		TW_FUZZ_ASSERT(strncmp(d.msgs[i].text, NAME, strlen(NAME)) == 0);
	tw_config_diag_free(&d);
	if (rc != 0)
		return;
	out = dump(a, &n);
	rc = tw_config_load_buffer(NAME, out, n, &b, &d);
	if (rc != 0) {
		for (unsigned i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i].text);
		fprintf(stderr, "---- dump ----\n%.*s\n", (int)n, out);
	}
	TW_FUZZ_ASSERT(rc == 0);
	TW_FUZZ_ASSERT(tw_config_equal(a, b));
	out2 = dump(b, &n2);
	TW_FUZZ_ASSERT(n == n2 && memcmp(out, out2, n) == 0);
	free(out);
	free(out2);
	tw_config_diag_free(&d);
	tw_config_free(a);
	tw_config_free(b);
}

static void run_keys(const uint8_t *data, size_t len)
{
	static int fd = -1;
	static char path[64];
	struct tw_config_diag d = { 0 };
	struct tw_config_keys k;
	int rc;

	if (fd < 0) {
		fd = memfd_create("keys", 0);
		TW_FUZZ_ASSERT(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	TW_FUZZ_ASSERT(ftruncate(fd, 0) == 0);
	TW_FUZZ_ASSERT(pwrite(fd, data, len, 0) == (ssize_t)len);
	rc = tw_config_keys_load(path, &k, &d);
	TW_FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	TW_FUZZ_ASSERT((rc == 0) == (d.n_errors == 0) || rc == -ENOMEM);
	for (unsigned i = 0; rc == 0 && i < k.n; i++) {
		const struct tw_config_key *e = &k.v[i];

		TW_FUZZ_ASSERT(e->id[0] != '\0' && strlen(e->id) <= TW_CONFIG_KEYID_MAX);
		TW_FUZZ_ASSERT(e->len > 0 && e->len <= (e->is_secret ?
			TW_CONFIG_SECRET_MAX : TW_CONFIG_PASS_MAX));
		TW_FUZZ_ASSERT(tw_config_key_find(&k, e->id) == e);
	}
	if (rc == 0)
		tw_config_keys_free(&k);
	tw_config_diag_free(&d);
}

static const char *const yaml_seeds[] = {
	"ports:\n  - {name: p0, device: net_null0, ipv4: [198.18.0.1/24]}\n"
	"reflector:\n  light:\n    - {port: 862, protocol: stamp}\n",
	"eal: [--no-huge, -m, \"512\"]\nports:\n  - name: dut\n    device: net_af_packet0,iface=tw-dut\n"
	"    ipv4: [198.18.0.1/24]\n    ipv6: [\"2001:2::1/64\"]\n    vlan: 7\n    mac: 02:00:00:00:00:01\n"
	"workers: {lcores: [1, 2]}\n"
	"reflector:\n  control: {listen: [\"198.18.0.1:862\", \"[::]:862\"], modes: [open], count: 4096}\n"
	"  light: [{port: 862}, {port: 863, protocol: twamp-light, allow: [10.0.0.0/8]}]\n"
	"  static_sessions: [{peer: 198.18.0.2, peer_port: 5000, port: 5000}]\n"
	"sender:\n  sessions:\n    - {peer: 198.18.0.2, protocol: stamp, dscp: EF, ecn: ce, interval_us: 100,"
	" duration_s: 5, schedule: poisson, padding: 30}\n"
	"ipsec:\n  key_import: {socket: /run/k.sock}\n  ikev2: {profile: draft, token_key: direct}\n"
	"  sas:\n    - {spi: 0x1001, direction: out, src: 198.18.0.1, dst: 198.18.0.2, proto: ah,"
	" cipher: null, auth: none}\n"
	"telemetry: {counters: false, interval_s: 3}\nresults: {dir: /tmp/r, per_packet: csv}\n",
	"ports: [{name: a, device: b, ipv6: [\"::1/128\"]}]\nsender: {sessions: [{peer: \"::2\", count: 5}]}\n",
};

static const char *const key_seeds[] = {
	"keys:\n  lab: \"passphrase\"\nsecrets:\n  s: 000102030405060708090a0b0c0d0e0f\n",
	"keys: {\"k\\u00e4y\": x}\nsecrets: {t: 0x00112233445566778899aabbccddeeff0011}\n",
};

static void emit_file(tw_fuzz_emit_fn emit, void *ctx, const char *rel)
{
	/* the config/ files, found from this source file's path when it exists */
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;
	uint8_t *buf;
	size_t n;

	if (slash == NULL)
		return;
	snprintf(path, sizeof(path), "%.*s/../../%s", (int)(slash - __FILE__), __FILE__, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return;
	buf = malloc(1 << 20);
	if (buf != NULL) {
		n = fread(buf, 1, 1 << 20, f);
		emit(ctx, buf, n);
		free(buf);
	}
	fclose(f);
}

static void seeds_yaml(tw_fuzz_emit_fn emit, void *ctx)
{
	static const char *const files[] = { "config/default.yaml", "config/reflector.yaml",
		"config/sender.yaml", "config/light-probe.yaml", "config/ipsec.yaml",
		"tests/golden/good/full.yaml" };

	for (size_t i = 0; i < sizeof(yaml_seeds) / sizeof(yaml_seeds[0]); i++)
		emit(ctx, (const uint8_t *)yaml_seeds[i], strlen(yaml_seeds[i]));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		emit_file(emit, ctx, files[i]);
}

static void seeds_keys(tw_fuzz_emit_fn emit, void *ctx)
{
	for (size_t i = 0; i < sizeof(key_seeds) / sizeof(key_seeds[0]); i++)
		emit(ctx, (const uint8_t *)key_seeds[i], strlen(key_seeds[i]));
	emit_file(emit, ctx, "config/keys.yaml");
}

TW_FUZZ_TARGETS(
	{ "yaml", run_yaml, seeds_yaml },
	{ "keys", run_keys, seeds_keys },
);
