/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ping: a TWAMP / TWAMP Light / STAMP / OWAMP client over kernel
 * sockets (no DPDK), twping/owping-like. This file: the options and the
 * order of the steps (sess.c); docs/twamp-ping.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "app.h"

#define NS_PER_SEC 1000000000ull

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}


static void usage(FILE *f)
{
	fprintf(f,
"usage: twamp-ping [OPTIONS] HOST\n"
"Measure delay, loss and jitter to HOST with TWAMP (default), TWAMP Light,\n"
"STAMP or OWAMP over kernel sockets.\n"
"\n"
"Protocol:\n"
"  -T, --protocol P      twamp (full, TCP control; default), light, stamp, owamp\n"
"      --light, --stamp, --owamp   the same\n"
"  -m, --mode M          open (default), auth, enc, mixed (TWAMP: RFC 5618)\n"
"  -A MODES              twping style: O open, A auth, E enc, M mixed (first wins)\n"
"  -k, --key-file FILE   key file (the appliance's format, docs/config.md)\n"
"  -u, --key-id ID       KeyID: TWAMP/OWAMP passphrase or secret; Light: the\n"
"                        48-octet test key; STAMP: the 16..64-octet HMAC key\n"
"      --ike-keys FILE   RFC 7717: keys from an IKE SA (key-import records,\n"
"                        docs/key-import.md); the SA whose remote is HOST\n"
"      --ike-socket PATH serve a key-import socket at PATH (the IKE daemon's\n"
"                        plugin pushes to it) until the IKE SA with HOST is\n"
"                        there, at most --ike-wait SEC (default 10)\n"
"      --ike-token-key K pbkdf2 (default) or direct, as the server's\n"
"                        ipsec.ikev2.token_key\n"
"      --ike-profile P   rfc7717 (default) or draft: the seed draft's profile\n"
"                        (ipsec.ikev2.profile); keys from the Child SA pair\n"
"                        between this host and HOST in --ike-keys/--ike-socket\n"
"      --ike-variant V   draft: base (default), alt1 or alt2\n"
"      --ike-secret S    draft base/alt1: skeyseed (default) or keymat\n"
"      --ike-sid-key     draft base: test keys = prf+(secret, SID)\n"
"  -p, --port PORT       control port (TWAMP 862, OWAMP 861) or, for Light/STAMP,\n"
"                        the reflector's UDP port (862)\n"
"  -P, --test-port PORT  TWAMP: reflector port to request (default: server picks)\n"
"      --reflect-octets N  RFC 6038: ask the reflector to return N padding octets\n"
"      --sym-size        RFC 6038 symmetrical size\n"
"      --dscp-ecn        RFC 7750 DSCP and ECN monitoring\n"
"      --individual      RFC 5938 Start-N/Stop-N session control\n"
"      --ssid N          STAMP Session-Sender Identifier (RFC 8972)\n"
"      --sessions N      N concurrent sessions (one thread each); --json and\n"
"                        --per-packet then write FILE.1 ... FILE.N\n"
"\n"
"Stream:\n"
"  -c, --count N         packets to send (default 100 unless -d)\n"
"  -d, --duration SEC    send for SEC seconds\n"
"  -i, --interval SEC    mean interval (default 0.1); suffix e = Poisson\n"
"  -r, --rate PPS        packets per second instead of -i\n"
"      --poisson         exponential gaps (RFC 4656 §5); --periodic (default)\n"
"  -s, --padding N       padding octets (default: equal size both ways)\n"
"      --zero-padding    zeros instead of pseudo-random padding\n"
"  -D, --dscp DSCP       DSCP of test packets: 0..63 or EF, AF41, CS5, ...\n"
"      --ecn N           ECN bits of test packets (0..3)\n"
"  -4, -6                IPv4 or IPv6 only\n"
"  -S, --source ADDR     source address\n"
"      --source-port N   source UDP port of the test packets\n"
"  -L, --timeout SEC     a reply later than this is lost (default 2)\n"
"      --hw-timestamps IF  enable NIC timestamps on IF (else kernel software)\n"
"\n"
"Output:\n"
"  -q, --quiet           no summary\n"
"      --json FILE       results as JSON (written atomically; docs/results.md)\n"
"      --per-packet FILE one line per packet; --format csv (default) or jsonl\n"
"      --progress, --no-progress  once-a-second line (default: on a terminal,\n"
"                        runs longer than 3 s)\n"
"  -h, --help, -V, --version\n"
"\n"
"Exit: 0 run completed (loss is a result), 1 setup failed, 2 bad usage,\n"
"3 replies came back but every one was rejected (wrong key, forged).\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	uint64_t v;

	if (parse_u64(s, (uint64_t)max, &v) < 0 || (long)v < min)
		return -EINVAL;
	*out = (long)v;
	return 0;
}

/* Seconds (decimal) to ns; @poisson set when it ends with 'e'. */
static int parse_secs(const char *s, uint64_t *ns, bool *poisson)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (poisson != NULL && *end == 'e' && end[1] == '\0') {
		*poisson = true;
		end++;
	}
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 1e6)
		return -EINVAL;
	*ns = (uint64_t)llround(v * 1e9);
	return *ns == 0 ? -EINVAL : 0;
}

/* DSCP number or name (RFC 2474, 2597, 3246, 5865, 8622). */
static int parse_dscp(const char *s)
{
	static const struct {
		const char *name;
		int v;
	} names[] = {
		{ "BE", 0 }, { "DF", 0 }, { "CS0", 0 }, { "LE", 1 },
		{ "EF", 46 }, { "VA", 44 }, { "VOICE-ADMIT", 44 },
	};
	long v;

	if (parse_long(s, 0, 63, &v) == 0)
		return (int)v;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].v;
	if (strncasecmp(s, "CS", 2) == 0 && s[2] >= '0' && s[2] <= '7' &&
	    s[3] == '\0')
		return (s[2] - '0') * 8;
	if (strncasecmp(s, "AF", 2) == 0 && s[2] >= '1' && s[2] <= '4' &&
	    s[3] >= '1' && s[3] <= '3' && s[4] == '\0')
		return (s[2] - '0') * 8 + (s[3] - '0') * 2;
	return -1;
}

struct name_val {
	const char *name;
	int val;
};

/* @return the value of @p s in @p t (NULL-terminated), or -1. */
static int lookup(const struct name_val *t, const char *s)
{
	for (; t->name != NULL; t++)
		if (strcmp(s, t->name) == 0)
			return t->val;
	return -1;
}

static const struct name_val mode_names[] = {
	{ "open", PING_OPEN }, { "unauth", PING_OPEN },
	{ "auth", PING_AUTH }, { "authenticated", PING_AUTH },
	{ "enc", PING_ENC }, { "encrypted", PING_ENC },
	{ "mixed", PING_MIXED }, { NULL, 0 },
};

static const struct name_val proto_names[] = {
	{ "twamp", PING_TWAMP }, { "light", PING_LIGHT },
	{ "twamp-light", PING_LIGHT }, { "stamp", PING_STAMP },
	{ "owamp", PING_OWAMP }, { NULL, 0 },
};

enum {
	O_LIGHT = 256, O_STAMP, O_OWAMP, O_REFLECT, O_SYM, O_DSCPECN, O_INDIV,
	O_SSID, O_JSON, O_PP, O_FORMAT, O_HW, O_PROGRESS, O_NOPROGRESS,
	O_POISSON, O_PERIODIC, O_SRCPORT, O_ECN, O_ZEROPAD, O_SESSIONS,
	O_IKE_KEYS, O_IKE_TOKEN, O_IKE_SOCKET, O_IKE_WAIT, O_IKE_PROFILE, O_IKE_VARIANT,
	O_IKE_SECRET, O_IKE_SIDKEY,
};

static int bad_arg(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "twamp-ping: %s '%s': %s\n", opt, val, what);
	return PING_EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "protocol", required_argument, NULL, 'T' },
		{ "light", no_argument, NULL, O_LIGHT },
		{ "stamp", no_argument, NULL, O_STAMP },
		{ "owamp", no_argument, NULL, O_OWAMP },
		{ "mode", required_argument, NULL, 'm' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "key-id", required_argument, NULL, 'u' },
		{ "ike-keys", required_argument, NULL, O_IKE_KEYS },
		{ "ike-token-key", required_argument, NULL, O_IKE_TOKEN },
		{ "ike-socket", required_argument, NULL, O_IKE_SOCKET },
		{ "ike-wait", required_argument, NULL, O_IKE_WAIT },
		{ "ike-profile", required_argument, NULL, O_IKE_PROFILE },
		{ "ike-variant", required_argument, NULL, O_IKE_VARIANT },
		{ "ike-secret", required_argument, NULL, O_IKE_SECRET },
		{ "ike-sid-key", no_argument, NULL, O_IKE_SIDKEY },
		{ "port", required_argument, NULL, 'p' },
		{ "test-port", required_argument, NULL, 'P' },
		{ "reflect-octets", required_argument, NULL, O_REFLECT },
		{ "sym-size", no_argument, NULL, O_SYM },
		{ "dscp-ecn", no_argument, NULL, O_DSCPECN },
		{ "individual", no_argument, NULL, O_INDIV },
		{ "sessions", required_argument, NULL, O_SESSIONS },
		{ "ssid", required_argument, NULL, O_SSID },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "poisson", no_argument, NULL, O_POISSON },
		{ "periodic", no_argument, NULL, O_PERIODIC },
		{ "padding", required_argument, NULL, 's' },
		{ "zero-padding", no_argument, NULL, O_ZEROPAD },
		{ "dscp", required_argument, NULL, 'D' },
		{ "ecn", required_argument, NULL, O_ECN },
		{ "source", required_argument, NULL, 'S' },
		{ "source-port", required_argument, NULL, O_SRCPORT },
		{ "timeout", required_argument, NULL, 'L' },
		{ "hw-timestamps", required_argument, NULL, O_HW },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, O_JSON },
		{ "per-packet", required_argument, NULL, O_PP },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "no-progress", no_argument, NULL, O_NOPROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_interval = false;
	uint64_t u;
	int c;

	memset(o, 0, sizeof(*o));
	o->port = o->test_port = o->src_port = -1;
	o->padding = o->reflect_octets = -1;
	o->dscp = -1;
	o->timeout_ns = 2 * NS_PER_SEC;
	o->interval_ns = NS_PER_SEC / 10;
	o->pp_format = TW_STATS_PP_CSV;
	o->progress = -1;
	o->sessions = 1;
	while ((c = getopt_long(argc, argv, "T:m:A:k:u:p:P:c:d:i:r:s:D:S:L:46qhV",
				lo, NULL)) != -1) {
		switch (c) {
		case 'T':
			if ((c = lookup(proto_names, optarg)) < 0)
				return bad_arg("--protocol", optarg,
					       "twamp, light, stamp or owamp");
			o->proto = (enum ping_proto)c;
			break;
		case O_LIGHT: o->proto = PING_LIGHT; break;
		case O_STAMP: o->proto = PING_STAMP; break;
		case O_OWAMP: o->proto = PING_OWAMP; break;
		case 'm':
			if ((c = lookup(mode_names, optarg)) < 0)
				return bad_arg("--mode", optarg,
					       "open, auth, enc or mixed");
			o->mode = (enum ping_mode)c;
			break;
		case 'A': {
			static const char letters[] = "OAEM";
			const char *l = strchr(letters, optarg[0]);

			if (optarg[0] == '\0' || l == NULL)
				return bad_arg("-A", optarg, "letters O, A, E, M");
			o->mode = (enum ping_mode)(l - letters);
			break;
		}
		case 'k': o->key_file = optarg; break;
		case 'u': o->key_id = optarg; break;
		case O_IKE_KEYS: o->ike_keys = optarg; break;
		case O_IKE_SOCKET: o->ike_socket = optarg; break;
		case O_IKE_WAIT: {
			long w;

			if (parse_long(optarg, 1, 3600, &w) < 0)
				return bad_arg("--ike-wait", optarg, "1..3600 seconds");
			o->ike_wait_s = (unsigned)w;
			break;
		}
		case O_IKE_PROFILE:
			if (strcmp(optarg, "rfc7717") != 0 && strcmp(optarg, "draft") != 0)
				return bad_arg("--ike-profile", optarg, "rfc7717 or draft");
			o->ike_draft = strcmp(optarg, "draft") == 0;
			break;
		case O_IKE_VARIANT:
			if (strcmp(optarg, "base") == 0)
				o->ike_variant = TW_CTRL_DRAFT_BASE;
			else if (strcmp(optarg, "alt1") == 0)
				o->ike_variant = TW_CTRL_DRAFT_ALT1;
			else if (strcmp(optarg, "alt2") == 0)
				o->ike_variant = TW_CTRL_DRAFT_ALT2;
			else
				return bad_arg("--ike-variant", optarg, "base, alt1 or alt2");
			o->ike_draft_opts = true;
			break;
		case O_IKE_SECRET:
			if (strcmp(optarg, "skeyseed") != 0 && strcmp(optarg, "keymat") != 0)
				return bad_arg("--ike-secret", optarg, "skeyseed or keymat");
			o->ike_keymat = strcmp(optarg, "keymat") == 0;
			o->ike_secret_given = true;
			o->ike_draft_opts = true;
			break;
		case O_IKE_SIDKEY:
			o->ike_sid_key = true;
			o->ike_draft_opts = true;
			break;
		case O_IKE_TOKEN:
			if (strcmp(optarg, "pbkdf2") != 0 && strcmp(optarg, "direct") != 0)
				return bad_arg("--ike-token-key", optarg, "pbkdf2 or direct");
			o->ike_direct = strcmp(optarg, "direct") == 0;
			break;
		case 'p':
			if (parse_long(optarg, 1, 65535, &o->port) < 0)
				return bad_arg("--port", optarg, "1..65535");
			break;
		case 'P':
			if (parse_long(optarg, 1, 65535, &o->test_port) < 0)
				return bad_arg("--test-port", optarg, "1..65535");
			break;
		case O_REFLECT:
			if (parse_long(optarg, 0, 65535, &o->reflect_octets) < 0)
				return bad_arg("--reflect-octets", optarg, "0..65535");
			break;
		case O_SYM: o->sym_size = true; break;
		case O_DSCPECN: o->dscp_ecn = true; break;
		case O_INDIV: o->individual = true; break;
		case O_SESSIONS: {
			long v;

			if (parse_long(optarg, 1, PING_SESSIONS_MAX, &v) < 0)
				return bad_arg("--sessions", optarg, "1..64");
			o->sessions = (unsigned)v;
			break;
		}
		case O_SSID:
			if (parse_long(optarg, 1, 65535, &o->ssid) < 0)
				return bad_arg("--ssid", optarg, "1..65535");
			break;
		case 'c':
			if (parse_u64(optarg, UINT32_MAX, &o->count) < 0 ||
			    o->count == 0)
				return bad_arg("--count", optarg, "1..4294967295");
			break;
		case 'd':
			if (parse_secs(optarg, &o->duration_ns, NULL) < 0)
				return bad_arg("--duration", optarg,
					       "seconds, > 0");
			break;
		case 'i':
			if (parse_secs(optarg, &o->interval_ns, &o->poisson) < 0)
				return bad_arg("--interval", optarg,
					       "seconds > 0, optional suffix e");
			have_interval = true;
			break;
		case 'r':
			if (parse_u64(optarg, 100000000, &u) < 0 || u == 0)
				return bad_arg("--rate", optarg,
					       "packets per second, 1..1e8");
			o->interval_ns = (NS_PER_SEC + u / 2) / u;
			if (o->interval_ns == 0)
				o->interval_ns = 1;
			have_interval = true;
			break;
		case O_POISSON: o->poisson = true; break;
		case O_ZEROPAD: o->zero_pad = true; break;
		case O_PERIODIC: o->poisson = false; break;
		case 's':
			if (parse_long(optarg, 0, TW_TEST_MAX_LEN, &o->padding) < 0)
				return bad_arg("--padding", optarg, "0..65527");
			break;
		case 'D':
			o->dscp = parse_dscp(optarg);
			if (o->dscp < 0)
				return bad_arg("--dscp", optarg,
					       "0..63 or a name (EF, AF41, CS5, ...)");
			break;
		case O_ECN: {
			long v;

			if (parse_long(optarg, 0, 3, &v) < 0)
				return bad_arg("--ecn", optarg, "0..3");
			o->ecn = (int)v;
			break;
		}
		case 'S': o->src = optarg; break;
		case O_SRCPORT:
			if (parse_long(optarg, 1, 65535, &o->src_port) < 0)
				return bad_arg("--source-port", optarg, "1..65535");
			break;
		case 'L':
			if (parse_secs(optarg, &o->timeout_ns, NULL) < 0)
				return bad_arg("--timeout", optarg, "seconds, > 0");
			break;
		case O_HW: o->hw_if = optarg; break;
		case '4': o->family = AF_INET; break;
		case '6': o->family = AF_INET6; break;
		case 'q': o->quiet = true; break;
		case O_JSON: o->json = optarg; break;
		case O_PP: o->per_packet = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "csv") == 0)
				o->pp_format = TW_STATS_PP_CSV;
			else if (strcmp(optarg, "jsonl") == 0)
				o->pp_format = TW_STATS_PP_JSONL;
			else
				return bad_arg("--format", optarg, "csv or jsonl");
			break;
		case O_PROGRESS: o->progress = 1; break;
		case O_NOPROGRESS: o->progress = 0; break;
		case 'h': usage(stdout); exit(PING_EXIT_OK);
		case 'V':
			printf("twamp-ping %s\n", TWAMP_PING_VERSION);
			exit(PING_EXIT_OK);
		default:
			usage(stderr);
			return PING_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "twamp-ping: exactly one HOST expected\n");
		usage(stderr);
		return PING_EXIT_USAGE;
	}
	o->host = argv[optind];
	if (o->count == 0 && o->duration_ns == 0)
		o->count = 100;
	(void)have_interval;
	if (o->mode == PING_MIXED &&
	    (o->proto == PING_LIGHT || o->proto == PING_STAMP)) {
		fprintf(stderr, "twamp-ping: mixed mode needs a control connection (full TWAMP)\n");
		return PING_EXIT_USAGE;
	}
	if (o->mode == PING_MIXED && o->proto == PING_OWAMP) {
		fprintf(stderr, "twamp-ping: OWAMP has no mixed mode (RFC 5618 is TWAMP only)\n");
		return PING_EXIT_USAGE;
	}
	if (o->proto == PING_STAMP && o->mode == PING_ENC) {
		fprintf(stderr, "twamp-ping: STAMP has open and auth modes only (RFC 8762 §4)\n");
		return PING_EXIT_USAGE;
	}
	if (o->ike_wait_s == 0)
		o->ike_wait_s = 10;
	if ((o->ike_keys != NULL || o->ike_socket != NULL) &&
	    (o->mode == PING_OPEN || (o->proto != PING_TWAMP && o->proto != PING_OWAMP) ||
	     o->key_file != NULL || o->key_id != NULL)) {
		fprintf(stderr, "twamp-ping: --ike-keys/--ike-socket (RFC 7717) need TWAMP or OWAMP in mode "
			"auth, enc or mixed, and no -k/-u\n");
		return PING_EXIT_USAGE;
	}
	if (o->ike_draft_opts && !o->ike_draft) {
		fprintf(stderr, "twamp-ping: --ike-variant, --ike-secret and --ike-sid-key need "
			"--ike-profile draft\n");
		return PING_EXIT_USAGE;
	}
	if (o->ike_draft && (o->ike_keys == NULL && o->ike_socket == NULL)) {
		fprintf(stderr, "twamp-ping: --ike-profile draft needs --ike-keys or --ike-socket\n");
		return PING_EXIT_USAGE;
	}
	if (o->ike_draft && o->ike_secret_given && o->ike_variant == TW_CTRL_DRAFT_ALT2) {
		fprintf(stderr, "twamp-ping: --ike-secret: variant alt2 keys the connection with "
			"the Child SA's own keys, it has no secret\n");
		return PING_EXIT_USAGE;
	}
	if (o->ike_draft && o->ike_sid_key && o->ike_variant != TW_CTRL_DRAFT_BASE) {
		fprintf(stderr, "twamp-ping: --ike-sid-key: only the base variant has a per-SID "
			"key\n");
		return PING_EXIT_USAGE;
	}
	if (o->mode != PING_OPEN && o->ike_keys == NULL && o->ike_socket == NULL &&
	    (o->key_file == NULL || o->key_id == NULL)) {
		fprintf(stderr, "twamp-ping: mode %s needs -k KEYFILE and -u KEYID\n",
			ping_mode_name(o->mode));
		return PING_EXIT_USAGE;
	}
	if (o->proto != PING_TWAMP &&
	    (o->reflect_octets >= 0 || o->individual || o->test_port >= 0)) {
		fprintf(stderr, "twamp-ping: --reflect-octets, --individual and --test-port need full TWAMP\n");
		return PING_EXIT_USAGE;
	}
	if ((o->sym_size || o->dscp_ecn) &&
	    (o->proto == PING_STAMP || o->proto == PING_OWAMP)) {
		fprintf(stderr, "twamp-ping: --sym-size and --dscp-ecn are TWAMP options\n");
		return PING_EXIT_USAGE;
	}
	if (o->ssid != 0 && o->proto != PING_STAMP) {
		fprintf(stderr, "twamp-ping: --ssid is a STAMP option\n");
		return PING_EXIT_USAGE;
	}
	if (o->port < 0)
		o->port = o->proto == PING_OWAMP ? TW_CTRL_OWAMP_PORT :
			  TW_CTRL_TWAMP_PORT;
	return -1;
}

int main(int argc, char **argv)
{
	static int (*const steps[])(struct ping *) = {
		ping_resolve, ping_load_key, ping_load_ike, ping_padding, ping_ctrl_connect,
		ping_sessions_open, ping_start, ping_run, ping_stop,
		ping_results,
	};
	struct ping *p = calloc(1, sizeof(*p));
	struct sigaction sa = { .sa_handler = on_signal };
	int rc;

	if (p == NULL)
		return PING_EXIT_SETUP;
	rc = parse_opts(argc, argv, &p->o);
	if (rc >= 0) {
		free(p);
		return rc;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	p->stop = &g_stop;
	p->n = p->o.sessions;
	/* each step has said why it failed; the first failure ends the run */
	rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
		rc = steps[i](p);
	ping_free(p);
	free(p);
	return rc;
}
