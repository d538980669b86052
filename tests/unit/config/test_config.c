/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/config unit tests: defaults, every section, diagnostics, dump round trip, wiping. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tw_config.h"

#define PORT "ports:\n  - name: p0\n    device: net_null0\n    ipv4: [198.18.0.1/24]\n"
#define PORT6 PORT "    ipv6: [\"2001:2::1/64\"]\n"
#define LIGHT "reflector:\n  light:\n    - port: 862\n"

static char tmpdir[64];
static char cfgname[128]; /* tmpdir/cfg.yaml: the key file sits beside it */

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static const char keyfile[] =
	"keys:\n"
	"  lab: \"unit test passphrase\"\n"
	"  \"k\xc3\xa4y\": \"x\"\n"
	"secrets:\n"
	"  stamp: 000102030405060708090a0b0c0d0e0f\n"
	"  light: 0x00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	"  gcm: 2b7e151628aed2a6abf7158809cf4f3cdeadbeef\n"
	"  sha256: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tw-config-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfgname, sizeof(cfgname), "%s/cfg.yaml", tmpdir);
	write_file("keys.yaml", keyfile, 0600);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct tw_config *load_ok(const char *text)
{
	struct tw_config_diag d = { 0 };
	struct tw_config *cfg = NULL;
	int rc = tw_config_load_buffer(cfgname, text, strlen(text), &cfg, &d);

	for (unsigned i = 0; i < d.n; i++)
		print_message("%s\n", d.msgs[i].text);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n_errors, 0);
	assert_non_null(cfg);
	tw_config_diag_free(&d);
	return cfg;
}

/* Load text expected to fail; returns the diag (caller frees). */
static struct tw_config_diag load_bad(const char *text)
{
	struct tw_config_diag d = { 0 };
	struct tw_config *cfg = (struct tw_config *)1;

	assert_int_equal(tw_config_load_buffer(cfgname, text, strlen(text), &cfg, &d),
			 -EINVAL);
	assert_null(cfg);
	assert_true(d.n_errors > 0);
	return d;
}

static bool diag_has(const struct tw_config_diag *d, const char *needle)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strstr(d->msgs[i].text, needle) != NULL)
			return true;
	return false;
}

static void expect_error(const char *text, const char *needle)
{
	struct tw_config_diag d = load_bad(text);

	if (!diag_has(&d, needle)) {
		for (unsigned i = 0; i < d.n; i++)
			print_message("got: %s\n", d.msgs[i].text);
		fail_msg("no message containing '%s'", needle);
	}
	tw_config_diag_free(&d);
}

/* ---- defaults ---- */

static void test_defaults_minimal(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT);

	(void)state;
	assert_int_equal(c->n_eal, 0);
	assert_int_equal(c->n_ports, 1);
	assert_string_equal(c->ports[0].name, "p0");
	assert_int_equal(c->ports[0].rx_desc, 1024);
	assert_int_equal(c->ports[0].tx_desc, 1024);
	assert_int_equal(c->ports[0].vlan, 0);
	assert_false(c->ports[0].has_mac);
	assert_int_equal(c->ports[0].exception, TW_CONFIG_EXC_TAP);
	assert_int_equal(c->n_lcores, 1);
	assert_int_equal(c->lcores[0], 1);
	assert_false(c->control.enabled);
	assert_int_equal(c->control.count, 2048);
	assert_int_equal(c->control.servwait_s, 900);
	assert_int_equal(c->control.refwait_s, 900);
	assert_int_equal(c->control.modes, TW_CONFIG_MODE_OPEN);
	assert_int_equal(c->n_light, 1);
	assert_int_equal(c->light[0].port, 862);
	assert_int_equal(c->light[0].protocol, TW_CONFIG_PROTO_STAMP);
	assert_int_equal(c->light[0].mode, TW_CONFIG_TMODE_OPEN);
	assert_false(c->light[0].stateful);
	assert_true(c->telemetry.counters);
	assert_int_equal(c->telemetry.interval_s, 10);
	assert_string_equal(c->results.dir, "/var/lib/twamp-dp/results");
	assert_int_equal(c->results.per_packet, TW_CONFIG_PP_NONE);
	assert_int_equal(c->ipsec.profile, TW_CONFIG_IKEV2_RFC7717);
	assert_int_equal(c->ipsec.token_key, TW_CONFIG_TOKEN_PBKDF2);
	tw_config_free(c);
}

static void test_defaults_control(void **state)
{
	struct tw_config *c = load_ok(PORT6 "reflector:\n  control:\n    keys: keys.yaml\n");

	(void)state;
	assert_true(c->control.enabled);
	assert_int_equal(c->control.modes, TW_CONFIG_MODE_OPEN | TW_CONFIG_MODE_AUTH |
			 TW_CONFIG_MODE_ENC | TW_CONFIG_MODE_MIXED);
	assert_int_equal(c->control.n_listen, 2);
	assert_int_equal(c->control.listen[0].ip.family, 4);
	assert_int_equal(c->control.listen[0].port, 862);
	assert_int_equal(c->control.listen[1].ip.family, 6);
	assert_int_equal(c->control.max_connections, 64);
	assert_true(c->control.options & TW_CONFIG_OPT_SYMMETRIC);
	assert_false(c->control.options & TW_CONFIG_OPT_PTP);
	assert_int_equal(c->keys.n, 6);
	tw_config_free(c);
}

static void test_defaults_session_padding(void **state)
{
	struct tw_config *c = load_ok(PORT
		"reflector:\n  control: {enabled: false, keys: keys.yaml}\n"
		"sender:\n  sessions:\n"
		"    - {peer: 198.18.0.2}\n"
		"    - {peer: 198.18.0.2, mode: auth, key_id: lab}\n"
		"    - {peer: 198.18.0.2, protocol: stamp}\n"
		"    - {peer: 198.18.0.2, protocol: twamp-light, padding: 5}\n");

	(void)state;
	assert_int_equal(c->n_sessions, 4);
	assert_int_equal(c->sessions[0].padding, 27);
	assert_int_equal(c->sessions[1].padding, 64);
	assert_int_equal(c->sessions[2].padding, 0);
	assert_int_equal(c->sessions[3].padding, 5);
	assert_string_equal(c->sessions[0].name, "s0");
	assert_string_equal(c->sessions[0].port, "p0");
	assert_int_equal(c->sessions[0].protocol, TW_CONFIG_PROTO_TWAMP);
	assert_int_equal(c->sessions[0].peer_port, 862);
	assert_false(c->sessions[0].by_duration);
	assert_int_equal(c->sessions[0].count, 100);
	assert_false(c->sessions[0].by_interval);
	assert_int_equal(c->sessions[0].rate_pps, 10);
	assert_int_equal(c->sessions[0].timeout_s, 2);
	tw_config_free(c);
}

/* TWAMP-Control options, OWAMP sessions and their defaults; equality
 * sees an option. */
static void test_session_options_owamp(void **state)
{
	static const char *const base = PORT
		"reflector:\n  control: {enabled: false, keys: keys.yaml, owamp_port: 0}\n"
		"sender:\n  sessions:\n"
		"    - {peer: 198.18.0.2, options: [symmetrical_size, reflect_octets],"
		" reflect_padding: 12}\n"
		"    - {peer: 198.18.0.2, protocol: owamp, mode: auth, key_id: lab,"
		" duration_s: 10}\n";
	struct tw_config *c = load_ok(base);
	struct tw_config *d = load_ok(base);

	(void)state;
	assert_int_equal(c->control.owamp_port, 0);
	assert_int_equal(c->sessions[0].options,
			 TW_CONFIG_OPT_SYMMETRIC | TW_CONFIG_OPT_REFLECT);
	assert_int_equal(c->sessions[0].reflect_padding, 12);
	assert_int_equal(c->sessions[0].padding, 12); /* symmetrical: 0 + reflected */
	assert_int_equal(c->sessions[1].protocol, TW_CONFIG_PROTO_OWAMP);
	assert_int_equal(c->sessions[1].peer_port, 861);
	assert_int_equal(c->sessions[1].padding, 0);
	assert_int_equal(c->sessions[1].options, 0);
	assert_string_equal(tw_config_proto_name(TW_CONFIG_PROTO_OWAMP), "owamp");
	assert_true(tw_config_equal(c, d));
	d->sessions[0].options &= ~TW_CONFIG_OPT_SYMMETRIC;
	assert_false(tw_config_equal(c, d));
	tw_config_free(c);
	tw_config_free(d);
}

/* ---- sections ---- */

static void test_ports(void **state)
{
	struct tw_config *c = load_ok(
		"ports:\n  - name: a\n    device: \"0000:3b:00.0\"\n"
		"    ipv4: [192.0.2.1/24, 192.0.2.2/32]\n    ipv6: [\"2001:db8::1/64\"]\n"
		"    vlan: 100\n    mac: 02:00:5E:10:00:01\n    exception: none\n"
		"    rx_desc: 4096\n    tx_desc: 64\n" LIGHT);
	const struct tw_config_port *p = &c->ports[0];
	const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	(void)state;
	assert_string_equal(p->device, "0000:3b:00.0");
	assert_int_equal(p->n_ipv4, 2);
	assert_memory_equal(p->ipv4[0].addr, ((uint8_t[]){ 192, 0, 2, 1 }), 4);
	assert_int_equal(p->ipv4[0].prefix, 24);
	assert_int_equal(p->ipv4[1].prefix, 32);
	assert_int_equal(p->n_ipv6, 1);
	assert_memory_equal(p->ipv6[0].addr, v6, 16);
	assert_int_equal(p->ipv6[0].prefix, 64);
	assert_int_equal(p->vlan, 100);
	assert_true(p->has_mac);
	assert_memory_equal(p->mac, mac, 6);
	assert_int_equal(p->exception, TW_CONFIG_EXC_NONE);
	assert_int_equal(p->rx_desc, 4096);
	assert_int_equal(p->tx_desc, 64);
	tw_config_free(c);
}

static void test_eal_workers(void **state)
{
	struct tw_config *c = load_ok("eal: [--no-huge, -m, \"512\"]\n" PORT
				      "workers: {lcores: [2, 0, 5]}\n" LIGHT);

	(void)state;
	assert_int_equal(c->n_eal, 3);
	assert_string_equal(c->eal[0], "--no-huge");
	assert_string_equal(c->eal[2], "512");
	assert_int_equal(c->n_lcores, 3);
	assert_int_equal(c->lcores[0], 2);
	assert_int_equal(c->lcores[1], 0);
	assert_int_equal(c->lcores[2], 5);
	tw_config_free(c);
}

static void test_control(void **state)
{
	struct tw_config *c = load_ok(PORT6
		"reflector:\n  control:\n"
		"    listen: [\"198.18.0.1:8620\", \"[2001:2::1]\", \"[::]:9\"]\n"
		"    modes: [enc, ikev2]\n    options: [ptp_timestamps]\n"
		"    keys: keys.yaml\n    count: 65536\n    max_connections: 3\n"
		"    max_sessions: 30\n    max_sessions_per_connection: 10\n"
		"    servwait_s: 60\n    refwait_s: 30\n"
		"ipsec: {key_import: {socket: /run/k.sock}}\n");

	(void)state;
	assert_int_equal(c->control.n_listen, 3);
	assert_int_equal(c->control.listen[0].port, 8620);
	assert_int_equal(c->control.listen[1].port, 862);
	assert_int_equal(c->control.listen[1].ip.family, 6);
	assert_int_equal(c->control.listen[2].port, 9);
	assert_int_equal(c->control.modes, TW_CONFIG_MODE_ENC | TW_CONFIG_MODE_IKEV2);
	assert_int_equal(c->control.options, TW_CONFIG_OPT_PTP);
	assert_int_equal(c->control.count, 65536);
	assert_int_equal(c->control.max_sessions_per_connection, 10);
	assert_int_equal(c->control.servwait_s, 60);
	assert_string_equal(c->ipsec.key_import_socket, "/run/k.sock");
	tw_config_free(c);
}

static void test_light_and_static(void **state)
{
	struct tw_config *c = load_ok(PORT
		"reflector:\n  control: {enabled: false, keys: keys.yaml}\n  light:\n"
		"    - {port: 862, protocol: stamp, mode: auth, key_id: stamp, stateful: true,"
		" allow: [10.0.0.0/8]}\n"
		"    - {port: 4000, protocol: twamp-light, mode: enc, key_id: light}\n"
		"  static_sessions:\n"
		"    - {peer: 198.18.0.9, peer_port: 5000, port: 5001, protocol: stamp}\n");

	(void)state;
	assert_int_equal(c->n_light, 2);
	assert_int_equal(c->light[0].mode, TW_CONFIG_TMODE_AUTH);
	assert_string_equal(c->light[0].key_id, "stamp");
	assert_true(c->light[0].stateful);
	assert_int_equal(c->light[0].n_allow, 1);
	assert_int_equal(c->light[0].allow[0].prefix, 8);
	assert_int_equal(c->light[1].protocol, TW_CONFIG_PROTO_LIGHT);
	assert_int_equal(c->light[1].mode, TW_CONFIG_TMODE_ENC);
	assert_int_equal(c->n_statics, 1);
	assert_int_equal(c->statics[0].peer_port, 5000);
	assert_int_equal(c->statics[0].port, 5001);
	assert_int_equal(c->statics[0].protocol, TW_CONFIG_PROTO_STAMP);
	tw_config_free(c);
}

static void test_sessions_dscp_ecn(void **state)
{
	static const struct { const char *in; unsigned dscp; } v[] = {
		{ "EF", 46 }, { "BE", 0 }, { "CS0", 0 }, { "CS7", 56 }, { "cs5", 40 },
		{ "AF11", 10 }, { "AF12", 12 }, { "AF13", 14 }, { "AF41", 34 },
		{ "AF43", 38 }, { "0", 0 }, { "63", 63 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[512];
		struct tw_config *c;

		snprintf(text, sizeof(text), PORT "sender:\n  sessions:\n"
			 "    - {peer: 198.18.0.2, dscp: %s, ecn: ect0}\n", v[i].in);
		c = load_ok(text);
		assert_int_equal(c->sessions[0].dscp, v[i].dscp);
		assert_int_equal(c->sessions[0].ecn, 2);
		tw_config_free(c);
	}
}

static void test_sessions_pacing(void **state)
{
	struct tw_config *c = load_ok(PORT6
		"sender:\n  sessions:\n"
		"    - {name: x, peer: \"2001:2::2\", duration_s: 60, interval_us: 500,"
		" schedule: poisson, src_port: 4000, peer_port: 5000, ecn: ce, timeout_s: 9}\n");
	const struct tw_config_session *s = &c->sessions[0];

	(void)state;
	assert_string_equal(s->name, "x");
	assert_int_equal(s->peer.family, 6);
	assert_true(s->by_duration);
	assert_int_equal(s->duration_s, 60);
	assert_true(s->by_interval);
	assert_int_equal(s->interval_us, 500);
	assert_int_equal(s->schedule, TW_CONFIG_SCHED_POISSON);
	assert_int_equal(s->src_port, 4000);
	assert_int_equal(s->peer_port, 5000);
	assert_int_equal(s->ecn, 3);
	assert_int_equal(s->timeout_s, 9);
	tw_config_free(c);
}

static void test_ipsec_sas(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT
		"  control: {enabled: false, keys: keys.yaml}\n"
		"ipsec:\n  ikev2: {profile: draft, token_key: direct}\n  sas:\n"
		"    - {spi: 0x1001, direction: out, src: 198.18.0.1, dst: 198.18.0.2,"
		" encap: udp, encap_dport: 4501, cipher: aes-gcm-128, cipher_key: gcm}\n"
		"    - {spi: 4096, direction: in, src: 198.18.0.2, dst: 198.18.0.1, proto: ah,"
		" mode: transport, cipher: null, auth: hmac-sha256-128, auth_key: sha256}\n");
	const struct tw_config_sa *a = &c->ipsec.sas[0], *b = &c->ipsec.sas[1];

	(void)state;
	assert_int_equal(c->ipsec.profile, TW_CONFIG_IKEV2_DRAFT);
	assert_int_equal(c->ipsec.token_key, TW_CONFIG_TOKEN_DIRECT);
	assert_int_equal(c->ipsec.n_sas, 2);
	assert_int_equal(a->spi, 0x1001);
	assert_int_equal(a->dir, TW_CONFIG_DIR_OUT);
	assert_true(a->encap_udp);
	assert_int_equal(a->encap_sport, 4500);
	assert_int_equal(a->encap_dport, 4501);
	assert_int_equal(a->cipher, TW_CONFIG_CIPHER_AES_GCM_128);
	assert_int_equal(a->auth, TW_CONFIG_AUTH_NONE);
	assert_string_equal(a->cipher_key, "gcm");
	assert_int_equal(b->spi, 4096);
	assert_int_equal(b->proto, TW_CONFIG_SA_AH);
	assert_int_equal(b->mode, TW_CONFIG_SA_TRANSPORT);
	assert_int_equal(b->cipher, TW_CONFIG_CIPHER_NULL);
	assert_int_equal(b->auth, TW_CONFIG_AUTH_HMAC_SHA256_128);
	tw_config_free(c);
}

/* RFC 4301 §5.1.2.1: outer DSCP copied by default, or the SA's own */
static void test_ipsec_outer_dscp(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT
		"  control: {enabled: false, keys: keys.yaml}\n"
		"ipsec:\n  sas:\n"
		"    - {spi: 0x1001, direction: out, src: 198.18.0.1, dst: 198.18.0.2,"
		" cipher: aes-gcm-128, cipher_key: gcm}\n"
		"    - {spi: 0x1002, direction: out, src: 198.18.0.1, dst: 198.18.0.3,"
		" cipher: aes-gcm-128, cipher_key: gcm, outer_dscp: 0}\n"
		"    - {spi: 0x1003, direction: out, src: 198.18.0.1, dst: 198.18.0.4,"
		" cipher: aes-gcm-128, cipher_key: gcm, outer_dscp: AF41}\n"
		"    - {spi: 0x1004, direction: out, src: 198.18.0.1, dst: 198.18.0.5,"
		" cipher: aes-gcm-128, cipher_key: gcm, outer_dscp: copy}\n");
	const struct tw_config_sa *a = c->ipsec.sas;

	(void)state;
	assert_false(a[0].outer_dscp_fixed);
	assert_true(a[1].outer_dscp_fixed);
	assert_int_equal(a[1].outer_dscp, 0);
	assert_true(a[2].outer_dscp_fixed);
	assert_int_equal(a[2].outer_dscp, 34);
	assert_false(a[3].outer_dscp_fixed);
	tw_config_free(c);
	expect_error(PORT LIGHT "ipsec:\n  sas:\n    - {spi: 300, direction: in, "
		     "src: 198.18.0.2, dst: 198.18.0.1, cipher: aes-gcm-128, outer_dscp: 1}\n",
		     "ipsec.sas[0].outer_dscp: only for direction: out, mode: tunnel");
	expect_error(PORT LIGHT "ipsec:\n  sas:\n    - {spi: 300, direction: out, "
		     "src: 198.18.0.1, dst: 198.18.0.2, cipher: aes-gcm-128, outer_dscp: 64}\n",
		     "ipsec.sas[0].outer_dscp: 64 is out of range 0..63");
}

static void test_telemetry_results(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT
		"telemetry: {counters: false, turnaround: False, interval_s: 5}\n"
		"results: {dir: /tmp/r, per_packet: jsonl}\n");

	(void)state;
	assert_false(c->telemetry.counters);
	assert_false(c->telemetry.turnaround);
	assert_int_equal(c->telemetry.interval_s, 5);
	assert_string_equal(c->results.dir, "/tmp/r");
	assert_int_equal(c->results.per_packet, TW_CONFIG_PP_JSONL);
	tw_config_free(c);
}

/* ---- key file ---- */

static void test_keys_values(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT "  control: {keys: keys.yaml}\n");
	const struct tw_config_key *k;

	(void)state;
	k = tw_config_key_find(&c->keys, "lab");
	assert_non_null(k);
	assert_false(k->is_secret);
	assert_int_equal(k->len, strlen("unit test passphrase"));
	assert_memory_equal(k->value, "unit test passphrase", k->len);
	k = tw_config_key_find(&c->keys, "k\xc3\xa4y");
	assert_non_null(k);
	k = tw_config_key_find(&c->keys, "light");
	assert_non_null(k);
	assert_true(k->is_secret);
	assert_int_equal(k->len, 48);
	assert_int_equal(k->value[0], 0x00);
	assert_int_equal(k->value[1], 0x11);
	assert_int_equal(k->value[47], 0x1f);
	assert_null(tw_config_key_find(&c->keys, "nope"));
	tw_config_free(c);
}

static void test_keys_errors(void **state)
{
	char kid80[81], text[512];
	struct tw_config_keys keys;
	struct tw_config_diag d = { 0 };
	char path[192];

	(void)state;
	memset(kid80, 'k', 80);
	kid80[80] = '\0';
	snprintf(text, sizeof(text), "keys:\n  %s: ok\n  %sX: long\n  crlf: \"a\\r\\nb\"\n"
		 "  \"\\x01\": bad-utf8\nsecrets:\n  odd: 012\n  short: 0011\n", kid80, kid80);
	write_file("k2.yaml", text, 0600);
	snprintf(path, sizeof(path), "%s/k2.yaml", tmpdir);
	assert_int_equal(tw_config_keys_load(path, &keys, &d), -EINVAL);
	assert_int_equal(d.n_errors, 5);
	assert_true(diag_has(&d, ":3:3: keys: KeyID is 81 octets long, at most 80"));
	assert_true(diag_has(&d, ":4:9: keys.crlf: a passphrase is"));
	assert_true(diag_has(&d, "KeyID is not printable UTF-8"));
	assert_true(diag_has(&d, ":7:8: secrets.odd: a secret is 16..64 octets"));
	assert_true(diag_has(&d, ":8:10: secrets.short:"));
	/* the bad passphrase itself is never echoed */
	assert_false(diag_has(&d, "a\r\nb"));
	tw_config_diag_free(&d);
}

static void test_keys_permission_warning(void **state)
{
	struct tw_config_diag d = { 0 };
	struct tw_config *c;
	const char *text = PORT LIGHT "  control: {keys: open.yaml}\n";

	(void)state;
	write_file("open.yaml", "keys: {lab: pass}\n", 0644);
	assert_int_equal(tw_config_load_buffer(cfgname, text, strlen(text), &c, &d), 0);
	assert_int_equal(d.n_errors, 0);
	assert_int_equal(d.n_warnings, 1);
	assert_true(d.msgs[0].warning);
	assert_non_null(strstr(d.msgs[0].text, "warning: reflector.control.keys: "
			       "key file"));
	assert_non_null(strstr(d.msgs[0].text, "(mode 0644); chmod 600 it"));
	tw_config_diag_free(&d);
	tw_config_free(c);
}

static void test_keys_missing_reference(void **state)
{
	(void)state;
	expect_error(PORT "reflector:\n  control: {keys: keys.yaml}\n  light:\n"
		     "    - {mode: auth, key_id: missing}\n",
		     ":8:28: reflector.light[0].key_id: key 'missing' is not in the key file");
	expect_error(PORT "reflector:\n  light:\n    - {mode: auth, key_id: stamp}\n",
		     "needs a key file (reflector.control.keys)");
	expect_error(PORT "reflector:\n  control: {keys: keys.yaml}\n  light:\n"
		     "    - {mode: auth, key_id: lab}\n",
		     "is a passphrase (keys:), STAMP HMAC-SHA-256 needs a hex secret");
}

/* ---- diagnostics ---- */

static void test_diag_collects_all(void **state)
{
	struct tw_config_diag d = load_bad(
		"ports:\n"
		"  - name: p0\n"
		"    device: net_null0\n"
		"    ipv4: [198.18.0.1/24]\n"
		"    vlan: 5000\n"
		"    colour: red\n"
		"reflector:\n"
		"  light:\n"
		"    - port: 0\n");

	(void)state;
	assert_int_equal(d.n_errors, 3);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.msgs[0].line, 5);
	assert_int_equal(d.msgs[0].col, 11);
	assert_int_equal(d.msgs[1].line, 6);
	assert_int_equal(d.msgs[1].col, 5);
	assert_int_equal(d.msgs[2].line, 9);
	assert_int_equal(d.msgs[2].col, 13);
	assert_true(strncmp(d.msgs[0].text, cfgname, strlen(cfgname)) == 0);
	assert_string_equal(d.msgs[0].text + strlen(cfgname),
			    ":5:11: ports[0].vlan: 5000 is out of range 0..4094");
	assert_string_equal(d.msgs[1].text + strlen(cfgname),
			    ":6:5: unknown key 'colour' in ports[0]; expected one of: "
			    "name, device, ipv4, ipv6, vlan, mac, exception, rx_desc, tx_desc");
	assert_string_equal(d.msgs[2].text + strlen(cfgname),
			    ":9:13: reflector.light[0].port: 0 is out of range 1..65535");
	tw_config_diag_free(&d);
}

static void test_diag_syntax_error(void **state)
{
	struct tw_config_diag d = load_bad("ports: [a, b\nreflector: {}\n");

	(void)state;
	assert_int_equal(d.n, 1);
	assert_int_equal(d.msgs[0].line, 2);
	assert_non_null(strstr(d.msgs[0].text, "YAML syntax error"));
	tw_config_diag_free(&d);
}

static void test_diag_sorted_and_truncated(void **state)
{
	char *text = malloc(64 * 1024);
	size_t off;
	struct tw_config_diag d;

	(void)state;
	assert_non_null(text);
	off = (size_t)sprintf(text, "%s", PORT "sender:\n  sessions:\n");
	for (int i = 0; i < 300; i++)
		off += (size_t)sprintf(text + off, "    - {peer: 198.18.0.2, dscp: 99}\n");
	d = load_bad(text);
	assert_int_equal(d.n_errors, 300);
	assert_int_equal(d.n, TW_CONFIG_DIAG_MAX);
	assert_true(d.truncated);
	for (unsigned i = 1; i < d.n; i++)
		assert_true(d.msgs[i - 1].line <= d.msgs[i].line);
	tw_config_diag_free(&d);
	assert_int_equal(d.n, 0);
	free(text);
}

static void test_diag_null_ok(void **state)
{
	struct tw_config *c;
	const char *bad = "ports: 1\n";

	(void)state;
	assert_int_equal(tw_config_load_buffer("x.yaml", bad, strlen(bad), &c, NULL),
			 -EINVAL);
	assert_null(c);
}

static void test_load_missing_file(void **state)
{
	struct tw_config_diag d = { 0 };
	struct tw_config *c;

	(void)state;
	assert_int_equal(tw_config_load("/nonexistent/tw.yaml", &c, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0].text,
			    "/nonexistent/tw.yaml: cannot read: No such file or directory");
	tw_config_diag_free(&d);
}

static void test_errors_cross_reference(void **state)
{
	(void)state;
	expect_error(PORT "sender:\n  sessions:\n    - {peer: 198.18.0.2, port: nope}\n",
		     "sender.sessions[0].port: no port named 'nope'");
	expect_error(PORT "sender:\n  sessions:\n    - {peer: \"2001::2\"}\n",
		     "no port has an IPv6 address to reach 2001::2");
	expect_error(PORT "reflector:\n  control: {listen: [\"10.0.0.1:862\"]}\n",
		     "10.0.0.1 is not an address of any port");
	expect_error(PORT LIGHT "ipsec:\n  sas:\n    - {spi: 300, direction: out, "
		     "src: 198.18.0.1, dst: 198.18.0.2, cipher: aes-cbc-256}\n",
		     "encryption-only ESP without integrity is refused");
	expect_error(PORT LIGHT "    - port: 862\n", "UDP port 862 is already a light port");
	expect_error(PORT "  - name: p0\n    device: x\n    ipv4: [10.0.0.1/8]\n" LIGHT,
		     "duplicate port name 'p0'");
	expect_error(PORT LIGHT "ipsec:\n  sas:\n"
		     "    - {spi: 300, direction: out, src: 198.18.0.1, dst: 198.18.0.2, proto: ah}\n"
		     "    - {spi: 300, direction: out, src: 198.18.0.1, dst: 198.18.0.2, proto: ah}\n",
		     "SPI 0x12c (out) is already used by ipsec.sas[0]");
}

/* ---- dump ---- */

static char *dump_to_string(const struct tw_config *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(tw_config_dump(c, f), 0);
	fclose(f);
	return buf;
}

static void roundtrip(const char *name, const char *text, size_t len)
{
	struct tw_config_diag d = { 0 };
	struct tw_config *a, *b;
	char *out, *out2;
	size_t n, n2;

	assert_int_equal(tw_config_load_buffer(name, text, len, &a, &d), 0);
	out = dump_to_string(a, &n);
	assert_int_equal(tw_config_load_buffer(name, out, n, &b, &d), 0);
	assert_int_equal(d.n_errors, 0);
	assert_true(tw_config_equal(a, b));
	out2 = dump_to_string(b, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, out2, n);
	free(out);
	free(out2);
	tw_config_free(a);
	tw_config_free(b);
	tw_config_diag_free(&d);
}

static void roundtrip_file(const char *rel)
{
	char path[512];
	FILE *f;
	char *buf = malloc(1 << 20);
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TW_SOURCE_ROOT, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	roundtrip(path, buf, n);
	free(buf);
}

static void test_roundtrip_config_default(void **s) { (void)s; roundtrip_file("config/default.yaml"); }
static void test_roundtrip_config_reflector(void **s) { (void)s; roundtrip_file("config/reflector.yaml"); }
static void test_roundtrip_config_sender(void **s) { (void)s; roundtrip_file("config/sender.yaml"); }
static void test_roundtrip_config_light(void **s) { (void)s; roundtrip_file("config/light-probe.yaml"); }
static void test_roundtrip_config_ipsec(void **s) { (void)s; roundtrip_file("config/ipsec.yaml"); }
static void test_roundtrip_golden_full(void **s) { (void)s; roundtrip_file("tests/golden/good/full.yaml"); }

static void test_dump_no_secrets(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT "  control: {keys: keys.yaml}\n");
	size_t n;
	char *out = dump_to_string(c, &n);

	(void)state;
	assert_null(strstr(out, "unit test passphrase"));
	assert_null(strstr(out, "000102030405"));
	assert_non_null(strstr(out, "    keys: \"keys.yaml\"\n"));
	free(out);
	tw_config_free(c);
}

static void test_equal_detects_difference(void **state)
{
	struct tw_config *a = load_ok(PORT LIGHT), *b = load_ok(PORT LIGHT "      stateful: true\n");
	struct tw_config *c = load_ok(PORT LIGHT);

	(void)state;
	assert_false(tw_config_equal(a, b));
	assert_true(tw_config_equal(a, c));
	tw_config_free(a);
	tw_config_free(b);
	tw_config_free(c);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tw_config_mode_name(TW_CONFIG_MODE_IKEV2), "ikev2");
	assert_string_equal(tw_config_mode_name(TW_CONFIG_OPT_DSCP_ECN), "dscp_ecn");
	assert_null(tw_config_mode_name(0x400));
	assert_string_equal(tw_config_proto_name(TW_CONFIG_PROTO_LIGHT), "twamp-light");
}

/* ---- wiping: free() is wrapped (-Wl,--wrap=free) to look at memory first ---- */

void __real_free(void *p);
void __wrap_free(void *p);

static const void *watch_ptr;
static size_t watch_len;
static int watch_seen, watch_dirty;

void __wrap_free(void *p)
{
	if (p != NULL && p == watch_ptr) {
		const uint8_t *b = p;

		watch_seen++;
		for (size_t i = 0; i < watch_len; i++)
			if (b[i] != 0)
				watch_dirty++;
	}
	__real_free(p);
}

static void test_free_wipes_keys(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT "  control: {keys: keys.yaml}\n");

	(void)state;
	watch_ptr = c->keys.v;
	watch_len = TW_CONFIG_KEYS_MAX * sizeof(struct tw_config_key);
	watch_seen = watch_dirty = 0;
	tw_config_free(c);
	watch_ptr = NULL;
	assert_int_equal(watch_seen, 1);
	assert_int_equal(watch_dirty, 0);
}

static void test_free_wipes_config(void **state)
{
	struct tw_config *c = load_ok(PORT LIGHT "  control: {keys: keys.yaml}\n");

	(void)state;
	watch_ptr = c;
	watch_len = sizeof(*c);
	watch_seen = watch_dirty = 0;
	tw_config_free(c);
	watch_ptr = NULL;
	assert_int_equal(watch_seen, 1);
	assert_int_equal(watch_dirty, 0);
	tw_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_minimal),
		cmocka_unit_test(test_defaults_control),
		cmocka_unit_test(test_defaults_session_padding),
		cmocka_unit_test(test_session_options_owamp),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_eal_workers),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_light_and_static),
		cmocka_unit_test(test_sessions_dscp_ecn),
		cmocka_unit_test(test_sessions_pacing),
		cmocka_unit_test(test_ipsec_sas),
		cmocka_unit_test(test_ipsec_outer_dscp),
		cmocka_unit_test(test_telemetry_results),
		cmocka_unit_test(test_keys_values),
		cmocka_unit_test(test_keys_errors),
		cmocka_unit_test(test_keys_permission_warning),
		cmocka_unit_test(test_keys_missing_reference),
		cmocka_unit_test(test_diag_collects_all),
		cmocka_unit_test(test_diag_syntax_error),
		cmocka_unit_test(test_diag_sorted_and_truncated),
		cmocka_unit_test(test_diag_null_ok),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_errors_cross_reference),
		cmocka_unit_test(test_roundtrip_config_default),
		cmocka_unit_test(test_roundtrip_config_reflector),
		cmocka_unit_test(test_roundtrip_config_sender),
		cmocka_unit_test(test_roundtrip_config_light),
		cmocka_unit_test(test_roundtrip_config_ipsec),
		cmocka_unit_test(test_roundtrip_golden_full),
		cmocka_unit_test(test_dump_no_secrets),
		cmocka_unit_test(test_equal_detects_difference),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_free_wipes_keys),
		cmocka_unit_test(test_free_wipes_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
