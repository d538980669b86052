/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ping: a TWAMP / TWAMP Light / STAMP / OWAMP client over kernel
 * sockets (no DPDK), twping/owping-like. Options, session setup (full
 * TWAMP and OWAMP through lib/control's Control-Client), the run (run.c)
 * and the results (lib/stats: summary, JSON, per-packet). See
 * docs/twamp-ping.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "out.h"
#include "run.h"
#include "tw_config.h"
#include "tw_ctrl_client.h"
#include "tw_proto_ctrl.h"
#include "tw_sched.h"
#include "tw_stats.h"

#ifndef TWAMP_PING_VERSION
#define TWAMP_PING_VERSION "0.0.0"
#endif

#define NS_PER_SEC 1000000000ull
#define REFLECT_MARK 0x7470u /* "tp": RFC 6038 Octets to be reflected */
#define PROGRESS_MIN_NS (3 * NS_PER_SEC)

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct opts {
	enum ping_proto proto;
	enum ping_mode mode;
	int family;                 /* AF_UNSPEC, AF_INET, AF_INET6 */
	const char *host;
	long port;                  /* -1: protocol default */
	long test_port;             /* TWAMP: reflector port to ask for */
	uint64_t count;             /* 0: by duration */
	uint64_t duration_ns;
	uint64_t interval_ns;
	bool poisson;
	long padding;               /* -1: equal sizes both ways */
	int dscp;                   /* -1: not set */
	int ecn;
	const char *src;
	long src_port;
	uint64_t timeout_ns;
	const char *key_file;
	const char *key_id;
	long reflect_octets;        /* RFC 6038; -1 not asked */
	bool sym_size, dscp_ecn, individual;
	bool zero_pad;
	long ssid;
	const char *json;
	const char *per_packet;
	unsigned pp_format;
	const char *hw_if;
	bool quiet;
	int progress;               /* -1 auto */
};

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
"  -p, --port PORT       control port (TWAMP 862, OWAMP 861) or, for Light/STAMP,\n"
"                        the reflector's UDP port (862)\n"
"  -P, --test-port PORT  TWAMP: reflector port to request (default: server picks)\n"
"      --reflect-octets N  RFC 6038: ask the reflector to return N padding octets\n"
"      --sym-size        RFC 6038 symmetrical size\n"
"      --dscp-ecn        RFC 7750 DSCP and ECN monitoring\n"
"      --individual      RFC 5938 Start-N/Stop-N session control\n"
"      --ssid N          STAMP Session-Sender Identifier (RFC 8972)\n"
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

static const char *proto_name(enum ping_proto p)
{
	static const char *const n[] = { "twamp", "twamp-light", "stamp",
					 "owamp" };
	return n[p];
}

static const char *mode_name(enum ping_mode m)
{
	static const char *const n[] = { "open", "authenticated", "encrypted",
					 "mixed" };
	return n[m];
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
	O_POISSON, O_PERIODIC, O_SRCPORT, O_ECN, O_ZEROPAD,
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
		{ "port", required_argument, NULL, 'p' },
		{ "test-port", required_argument, NULL, 'P' },
		{ "reflect-octets", required_argument, NULL, O_REFLECT },
		{ "sym-size", no_argument, NULL, O_SYM },
		{ "dscp-ecn", no_argument, NULL, O_DSCPECN },
		{ "individual", no_argument, NULL, O_INDIV },
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
			o->interval_ns = NS_PER_SEC / u;
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
	if (o->mode != PING_OPEN && (o->key_file == NULL || o->key_id == NULL)) {
		fprintf(stderr, "twamp-ping: mode %s needs -k KEYFILE and -u KEYID\n",
			mode_name(o->mode));
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

/* ---- addresses ---- */

static int resolve(const char *host, long port, int family, int passive,
		   struct sockaddr_storage *ss, socklen_t *len, char *err,
		   size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG,
	}, *res;
	char pbuf[24], hbuf[256];
	const char *h = host;
	int rc;

	/* [v6] written with brackets */
	if (host != NULL && host[0] == '[') {
		size_t n = strcspn(host + 1, "]");

		if (host[1 + n] != ']' || host[2 + n] != '\0' || n >= sizeof(hbuf)) {
			snprintf(err, errlen, "bad address '%s'", host);
			return -EINVAL;
		}
		memcpy(hbuf, host + 1, n);
		hbuf[n] = '\0';
		h = hbuf;
	}
	snprintf(pbuf, sizeof(pbuf), "%ld", port < 0 ? 0 : port);
	rc = getaddrinfo(h, pbuf, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf,
		      size_t len, int *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)len);
		*port = ntohs(a->sin_port);
	}
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* ---- the session ---- */

struct ping {
	struct opts o;
	struct sockaddr_storage peer, src, ctrl_peer;
	socklen_t peer_len, src_len, ctrl_len;
	struct tw_config_keys keys;
	const struct tw_config_key *key;
	struct tw_ctrl_client *cl;
	struct tw_ctrl_session sess;
	uint8_t test_key[48];
	bool have_test_key;
	enum ping_mode test_mode;
	struct psock sock;
	struct tpkt tp;
	struct tw_sched *sched;
	struct tw_stats *stats;
	struct tw_stats_pp *pp;
	struct run run;
	struct tw_stats_meta meta;
	char src_text[INET6_ADDRSTRLEN], dst_text[INET6_ADDRSTRLEN];
	char sid_text[2 * TW_CTRL_SID_LEN + 1];
	bool progress;
	bool progress_shown;
	char err[512];
};

static int setup_fail(struct ping *p, const char *fmt, const char *detail)
{
	fprintf(stderr, "twamp-ping: %s", fmt);
	if (detail != NULL && detail[0] != '\0')
		fprintf(stderr, ": %s", detail);
	fputc('\n', stderr);
	(void)p;
	return PING_EXIT_SETUP;
}

static int load_key(struct ping *p)
{
	struct tw_config_diag diag = { 0 };
	int rc;

	if (p->o.key_file == NULL)
		return 0;
	rc = tw_config_keys_load(p->o.key_file, &p->keys, &diag);
	for (unsigned i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i].text);
	tw_config_diag_free(&diag);
	if (rc < 0)
		return setup_fail(p, "cannot load the key file", p->o.key_file);
	if (p->o.key_id == NULL)
		return 0;
	p->key = tw_config_key_find(&p->keys, p->o.key_id);
	if (p->key == NULL)
		return setup_fail(p, "KeyID not in the key file", p->o.key_id);
	return 0;
}

static const char *accept_text(struct ping *p, int rc)
{
	uint8_t a = tw_ctrl_client_last_accept(p->cl);
	const char *e = tw_ctrl_client_error(p->cl);

	/* the client's message names the step and the Accept value */
	if (e[0] != '\0')
		snprintf(p->err, sizeof(p->err), "%s", e);
	else if (a != 0 && a != 0xff)
		snprintf(p->err, sizeof(p->err), "Accept %u (%s)", a,
			 tw_proto_ctrl_accept_name(a));
	else
		snprintf(p->err, sizeof(p->err), "%s", strerror(-rc));
	return p->err;
}

static uint32_t mode_bits(enum ping_mode m)
{
	static const uint32_t b[] = { TW_MODE_UNAUTH, TW_MODE_AUTH,
				      TW_MODE_ENCRYPTED, TW_MODE_MIXED };
	return b[m];
}

/* Control connection (TWAMP or OWAMP): connection setup only. */
static int ctrl_connect(struct ping *p)
{
	struct tw_ctrl_client_conf cc = { 0 };
	int rc;

	cc.proto = p->o.proto == PING_OWAMP ? TW_CTRL_OWAMP : TW_CTRL_TWAMP;
	cc.modes = mode_bits(p->o.mode);
	if (cc.proto == TW_CTRL_TWAMP) {
		if (p->o.individual)
			cc.options |= TW_MODE_INDIVIDUAL;
		if (p->o.reflect_octets >= 0)
			cc.options |= TW_MODE_REFLECT_OCTETS;
		if (p->o.sym_size)
			cc.options |= TW_MODE_SYMMETRICAL;
		if (p->o.dscp_ecn)
			cc.options |= TW_MODE_DSCP_ECN;
		/* what the user asked for must be there: no silent fallback */
		cc.options_required = cc.options;
	}
	if (p->key != NULL) {
		cc.keyid = p->key->id;
		cc.secret = p->key->value;
		cc.secret_len = p->key->len;
		cc.token_key = TW_CRYPTO_TOKEN_KEY_PBKDF2;
	}
	cc.timeout_ms = (int)(p->o.timeout_ns / 1000000u) + 3000;
	p->cl = tw_ctrl_client_create(&cc);
	if (p->cl == NULL)
		return setup_fail(p, "control client", strerror(errno));
	/* -S applies to the control connection too (any port) */
	if (p->o.src != NULL) {
		struct sockaddr_storage local = p->src;

		set_port(&local, 0);
		rc = tw_ctrl_client_connect(p->cl,
					    (const struct sockaddr *)&p->ctrl_peer,
					    p->ctrl_len,
					    (const struct sockaddr *)&local,
					    p->src_len);
	} else {
		rc = tw_ctrl_client_connect(p->cl,
					    (const struct sockaddr *)&p->ctrl_peer,
					    p->ctrl_len, NULL, 0);
	}
	if (rc < 0) {
		char where[INET6_ADDRSTRLEN];
		int port;

		addr_text(&p->ctrl_peer, where, sizeof(where), &port);
		fprintf(stderr, "twamp-ping: control connection to %s%s%s port %d failed: %s\n",
			p->ctrl_peer.ss_family == AF_INET6 ? "[" : "", where,
			p->ctrl_peer.ss_family == AF_INET6 ? "]" : "", port,
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	return 0;
}

static uint16_t local_port(const struct psock *s)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	int port = 0;
	char t[INET6_ADDRSTRLEN];

	if (getsockname(s->fd, (struct sockaddr *)&ss, &l) == 0)
		addr_text(&ss, t, sizeof(t), &port);
	return (uint16_t)port;
}

/* The source address and port the results name: the test socket's port
 * and, when it is bound to the wildcard, the address the kernel's route
 * to the peer picks (a connected probe socket tells it). */
static void source_text(struct ping *p)
{
	struct sockaddr_storage ls;
	socklen_t l = sizeof(ls);
	int port = -1, probe;

	p->meta.src_port = -1;
	if (getsockname(p->sock.fd, (struct sockaddr *)&ls, &l) < 0)
		return;
	addr_text(&ls, p->src_text, sizeof(p->src_text), &port);
	p->meta.src_port = port;
	if (p->o.src != NULL)
		return;
	probe = socket(p->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return;
	l = sizeof(ls);
	if (connect(probe, (const struct sockaddr *)&p->peer, p->peer_len) == 0 &&
	    getsockname(probe, (struct sockaddr *)&ls, &l) == 0)
		addr_text(&ls, p->src_text, sizeof(p->src_text), &port);
	close(probe);
}

static void keys_from_session(struct ping *p)
{
	uint32_t sec = p->sess.mode & TW_MODE_SECURITY_TWAMP;

	p->test_mode = sec & TW_MODE_ENCRYPTED ? PING_ENC :
		       sec & TW_MODE_AUTH ? PING_AUTH : PING_OPEN;
	if (p->test_mode != PING_OPEN && p->sess.has_keys) {
		memcpy(p->test_key, p->sess.test_keys.aes, 16);
		memcpy(p->test_key + 16, p->sess.test_keys.hmac, 32);
		p->have_test_key = true;
	}
	for (unsigned i = 0; i < TW_CTRL_SID_LEN; i++)
		snprintf(p->sid_text + 2 * i, 3, "%02x", p->sess.sid[i]);
	p->meta.sid = p->sid_text;
}

static void fill_req_common(struct ping *p, struct tw_ctrl_session_req *rq,
			    uint32_t padding)
{
	memset(rq, 0, sizeof(*rq));
	rq->sender_port = local_port(&p->sock);
	rq->padding_length = padding;
	rq->timeout = tw_sched_ns_to_ntp(p->o.timeout_ns);
	rq->type_p = tw_proto_ctrl_typep_dscp(p->o.dscp < 0 ? 0 :
					      (uint8_t)p->o.dscp);
}

static int twamp_request(struct ping *p, uint32_t padding)
{
	struct tw_ctrl_session_req rq;
	int rc;

	fill_req_common(p, &rq, padding);
	rq.receiver_port = p->o.test_port > 0 ? (uint16_t)p->o.test_port : 0;
	if (p->o.reflect_octets >= 0) {
		/* RFC 6038 §4.2: a value the server echoes in Accept-Session,
		 * and the length of padding to reflect */
		rq.reflect_octets = REFLECT_MARK;
		rq.reflect_padding = (uint16_t)p->o.reflect_octets;
	}
	rc = tw_ctrl_client_request_tw_session(p->cl, &rq, &p->sess);
	if (rc < 0) {
		fprintf(stderr, "twamp-ping: Request-TW-Session refused: %s\n",
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	if (p->o.reflect_octets >= 0 && p->sess.reflected_octets != REFLECT_MARK) {
		fprintf(stderr, "twamp-ping: the server did not reflect the Octets to be reflected (sent 0x%04x, got 0x%04x): it does not implement RFC 6038\n",
			REFLECT_MARK, p->sess.reflected_octets);
		return PING_EXIT_SETUP;
	}
	set_port(&p->peer, p->sess.receiver_port);
	memcpy(&p->sock.peer, &p->peer, p->peer_len);
	keys_from_session(p);
	return 0;
}

static int twamp_start(struct ping *p)
{
	/* RFC 5938 individual control is TWAMP only */
	int rc = p->o.individual ?
		 tw_ctrl_client_start_n(p->cl,
					(const uint8_t (*)[TW_CTRL_SID_LEN])p->sess.sid, 1, NULL) :
		 tw_ctrl_client_start(p->cl);

	if (rc < 0) {
		fprintf(stderr, "twamp-ping: Start-Sessions failed: %s\n",
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	return 0;
}

static void twamp_stop(struct ping *p)
{
	int rc = p->o.individual ?
		 tw_ctrl_client_stop_n(p->cl,
				       (const uint8_t (*)[TW_CTRL_SID_LEN])p->sess.sid, 1, NULL) :
		 tw_ctrl_client_stop(p->cl, 0);

	if (rc < 0)
		fprintf(stderr, "twamp-ping: warning: Stop-Sessions: %s\n",
			accept_text(p, rc));
}

/* OWAMP: Request-Session with the server as receiver and our schedule. */
static int owamp_request(struct ping *p, uint32_t padding,
			 struct tw_owamp_slot *slot, tw_ntp_t start)
{
	struct tw_ctrl_session_req rq;
	int rc;

	fill_req_common(p, &rq, padding);
	rq.conf_receiver = true;
	rq.start_time = start;
	rq.num_packets = (uint32_t)p->o.count;
	rq.slots = slot;
	rq.num_slots = 1;
	rc = tw_ctrl_client_request_ow_session(p->cl, &rq, &p->sess);
	if (rc < 0) {
		fprintf(stderr, "twamp-ping: Request-Session refused: %s\n",
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	set_port(&p->peer, p->sess.receiver_port);
	memcpy(&p->sock.peer, &p->peer, p->peer_len);
	keys_from_session(p);
	return 0;
}

struct fetch_ctx {
	struct ping *p;
	uint64_t records, lost, bad;
};

static int on_record(void *arg, const struct tw_owamp_record *or)
{
	struct fetch_ctx *f = arg;
	struct run *r = &f->p->run;
	struct tw_stats_rec rec;

	f->records++;
	if (or->recv_ts == 0) {
		f->lost++;
		return 0;
	}
	/* a record must describe a packet we sent, with our timestamp */
	if (or->seq >= r->n_sent || r->sent[or->seq].t1 != or->send_ts) {
		f->bad++;
		r->bad[or->seq >= r->n_sent ? PING_BAD_UNKNOWN_SEQ :
					      PING_BAD_MISMATCH]++;
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	rec.seq = or->seq;
	rec.t1 = or->send_ts;
	rec.t2 = or->recv_ts;
	rec.e1 = or->send_errest;
	rec.e2 = or->recv_errest;
	rec.ttl_fwd = or->ttl;
	rec.flags = TW_STATS_REC_ONEWAY;
	if (r->sent[or->seq].n_replies++ == 0)
		r->n_answered++;
	(void)tw_stats_recv(r->stats, &rec);
	return 0;
}

static int owamp_finish(struct ping *p)
{
	struct tw_ctrl_ow_send_state st = { 0 };
	struct tw_ctrl_fetch_info info;
	struct fetch_ctx f = { .p = p };
	uint8_t sacc = 0;
	int rc;

	memcpy(st.sid, p->sess.sid, sizeof(st.sid));
	st.next_seqno = (uint32_t)p->run.n_sent;
	rc = tw_ctrl_client_ow_stop(p->cl, 0, &st, 1, NULL, NULL, &sacc);
	if (rc < 0) {
		fprintf(stderr, "twamp-ping: Stop-Sessions failed: %s\n",
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	rc = tw_ctrl_client_fetch(p->cl, p->sess.sid, 0, UINT32_MAX, on_record,
				  NULL, &f, &info);
	if (rc < 0) {
		fprintf(stderr, "twamp-ping: Fetch-Session failed: %s\n",
			accept_text(p, rc));
		return PING_EXIT_SETUP;
	}
	return 0;
}

/* ---- output ---- */

static void tick(struct run *r, void *arg)
{
	struct ping *p = arg;
	struct tw_stats_result res;
	char line[160];
	int64_t now = pace_real_ns();
	tw_ntp_t ntp = tw_ntp_from_unix((uint64_t)(now / (int64_t)NS_PER_SEC),
					(uint32_t)(now % (int64_t)NS_PER_SEC));

	if (r->tp->proto != PING_OWAMP)
		(void)tw_stats_advance(r->stats, ntp);
	if (!p->progress)
		return;
	if (tw_stats_result(r->stats, &res) < 0)
		return;
	if (tw_stats_progress_line(line, sizeof(line), &res, &p->meta, ntp) < 0)
		return;
	printf("\r%s\033[K", line);
	fflush(stdout);
	p->progress_shown = true;
}

static void print_extra(FILE *f, const struct ping *p, const struct run_dep *d,
			const struct tw_stats_result *res)
{
	const struct run *r = &p->run;
	uint64_t nbad = 0;

	for (int i = 0; i < PING_BAD__MAX; i++)
		nbad += r->bad[i];
	fprintf(f, "departure error (sent - scheduled) p50/p99/max = %.3f/%.3f/%.3f us",
		(double)d->user_p50 / 1e3, (double)d->user_p99 / 1e3,
		(double)d->user_max / 1e3);
	if (d->n_kernel > 0)
		fprintf(f, "; kernel TX - Sender Timestamp p50/p99 = %.3f/%.3f us",
			(double)d->stamp_p50 / 1e3, (double)d->stamp_p99 / 1e3);
	fputc('\n', f);
	if (nbad > 0) {
		static const char *const names[] = {
#define PING_BAD_NAME(n, s) s,
			PING_BAD_REASONS(PING_BAD_NAME)
#undef PING_BAD_NAME
		};
		fprintf(f, "%llu bad replies rejected (", (unsigned long long)nbad);
		for (int i = 0, first = 1; i < PING_BAD__MAX; i++)
			if (r->bad[i]) {
				fprintf(f, "%s%s %llu", first ? "" : ", ",
					names[i], (unsigned long long)r->bad[i]);
				first = 0;
			}
		fprintf(f, ")%s\n", r->bad[PING_BAD_HMAC] ? ": wrong key?" : "");
	}
	if (res->sent > 0 && res->received == 0 && nbad == 0 &&
	    p->test_mode != PING_OPEN && p->test_mode != PING_MIXED)
		fprintf(f, "no reply at all: a reflector drops %s packets it cannot verify (wrong key?) or nothing answers on that port\n",
			mode_name(p->test_mode));
	if (r->send_errors > 0)
		fprintf(f, "%llu packets could not be sent (%s)\n",
			(unsigned long long)r->send_errors,
			strerror(r->last_send_errno));
}

int main(int argc, char **argv)
{
	struct ping *p = calloc(1, sizeof(*p));
	struct tw_stats_conf sc;
	struct tw_stats_result res;
	struct run_dep dep;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *why;
	uint32_t padding;
	int rc, exit_code = PING_EXIT_OK;
	int64_t now;

	if (p == NULL)
		return PING_EXIT_SETUP;
	rc = parse_opts(argc, argv, &p->o);
	if (rc >= 0) {
		free(p);
		return rc;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	p->sock.fd = -1;

	/* addresses: the reflector (or control server) and our source */
	if (resolve(p->o.host, p->o.port, p->o.family, 0, &p->peer,
		    &p->peer_len, p->err, sizeof(p->err)) < 0) {
		exit_code = setup_fail(p, p->err, NULL);
		goto out;
	}
	memcpy(&p->ctrl_peer, &p->peer, p->peer_len);
	p->ctrl_len = p->peer_len;
	if (resolve(p->o.src, p->o.src_port, p->peer.ss_family, 1, &p->src,
		    &p->src_len, p->err, sizeof(p->err)) < 0) {
		exit_code = setup_fail(p, p->err, NULL);
		goto out;
	}
	if (p->src.ss_family != p->peer.ss_family) {
		exit_code = setup_fail(p, "source and destination are of different address families", NULL);
		goto out;
	}
	exit_code = load_key(p);
	if (exit_code != 0)
		goto out;

	if (psock_open(&p->sock, &p->peer, p->peer_len, &p->src, p->src_len,
		       p->o.dscp < 0 && p->o.ecn == 0 ? -1 :
		       (p->o.dscp < 0 ? 0 : p->o.dscp) << 2 | p->o.ecn,
		       p->o.hw_if, p->err, sizeof(p->err)) < 0) {
		exit_code = setup_fail(p, "test socket", p->err);
		goto out;
	}

	/* the packet layout decides the default padding: equal sizes */
	{
		struct tw_test_layout l;
		enum tw_test_mode m = p->o.mode == PING_AUTH ? TW_TEST_AUTH :
				      p->o.mode == PING_ENC ? TW_TEST_ENC :
							      TW_TEST_UNAUTH;

		(void)tw_proto_test_layout_init(&l, m, p->o.sym_size,
						p->o.dscp_ecn,
						p->o.reflect_octets > 0 ?
						(uint16_t)p->o.reflect_octets : 0);
		if (p->o.padding >= 0)
			padding = (uint32_t)p->o.padding;
		else if (p->o.proto == PING_STAMP || p->o.proto == PING_OWAMP)
			padding = 0;
		else
			padding = tw_proto_test_equal_padding(&l);
		/* RFC 6038 §4.2: Padding Length SHALL be > the Length of
		 * padding to reflect */
		if (p->o.reflect_octets > 0 &&
		    padding <= (uint32_t)p->o.reflect_octets) {
			if (p->o.padding >= 0) {
				fprintf(stderr, "twamp-ping: -s %u must exceed --reflect-octets %ld (RFC 6038 §4.2)\n",
					padding, p->o.reflect_octets);
				exit_code = PING_EXIT_USAGE;
				goto out;
			}
			padding = (uint32_t)p->o.reflect_octets + 1;
		}
	}

	p->test_mode = p->o.mode;
	now = pace_real_ns();
	if (p->o.proto == PING_TWAMP || p->o.proto == PING_OWAMP) {
		exit_code = ctrl_connect(p);
		if (exit_code != 0)
			goto out;
	}
	if (p->o.proto == PING_TWAMP) {
		exit_code = twamp_request(p, padding);
		if (exit_code != 0)
			goto out;
	}
	if (p->o.proto == PING_OWAMP) {
		struct tw_owamp_slot slot = {
			.type = p->o.poisson ? TW_OWAMP_SLOT_EXP :
					       TW_OWAMP_SLOT_FIXED,
			.parameter = tw_sched_ns_to_ntp(p->o.interval_ns),
		};
		int64_t start_real;

		if (p->o.count == 0) {
			/* OWAMP announces the number of packets */
			p->o.count = p->o.duration_ns / p->o.interval_ns;
			if (p->o.count == 0)
				p->o.count = 1;
		}
		/* RFC 4656 §3.5: a Start Time far enough ahead for setup */
		start_real = pace_real_ns() + (int64_t)NS_PER_SEC;
		exit_code = owamp_request(p, padding, &slot,
			tw_ntp_from_unix((uint64_t)(start_real / (int64_t)NS_PER_SEC),
					 (uint32_t)(start_real % (int64_t)NS_PER_SEC)));
		if (exit_code != 0)
			goto out;
		p->sched = tw_sched_create(p->sess.sid, &slot, 1);
		p->run.start_mono = pace_mono_ns() +
				    (uint64_t)(start_real - pace_real_ns());
	} else if (p->o.poisson) {
		uint8_t seed[TW_CTRL_SID_LEN];

		/* TWAMP has no schedule on the wire: any key gives a Poisson
		 * stream; the SID when there is one */
		if (p->o.proto == PING_TWAMP)
			memcpy(seed, p->sess.sid, sizeof(seed));
		else
			(void)tw_crypto_random(seed, sizeof(seed));
		p->sched = tw_sched_create_poisson(seed, p->o.interval_ns);
	} else {
		p->sched = tw_sched_create_periodic(p->o.interval_ns);
	}
	if (p->sched == NULL) {
		exit_code = setup_fail(p, "schedule", strerror(errno));
		goto out;
	}

	/* test-packet codec: Light/STAMP keys straight from the key file,
	 * TWAMP/OWAMP keys from the control connection */
	{
		const uint8_t *k = NULL;
		size_t klen = 0;

		if (p->o.proto == PING_TWAMP || p->o.proto == PING_OWAMP) {
			if (p->have_test_key) {
				k = p->test_key;
				klen = sizeof(p->test_key);
			}
		} else if (p->key != NULL) {
			k = p->key->value;
			klen = p->key->len;
		}
		rc = tpkt_init(&p->tp, p->o.proto, p->test_mode, padding,
			       p->o.proto == PING_OWAMP ? false : p->o.sym_size,
			       p->o.proto == PING_OWAMP ? false : p->o.dscp_ecn,
			       p->o.reflect_octets > 0 ?
			       (uint16_t)p->o.reflect_octets : 0,
			       (uint16_t)p->o.ssid, p->o.zero_pad, k, klen, &why);
		if (rc < 0) {
			exit_code = setup_fail(p, "test packets", why);
			goto out;
		}
	}

	/* statistics and per-packet output */
	tw_stats_conf_init(&sc);
	sc.kind = p->o.proto == PING_OWAMP ? TW_STATS_ONEWAY : TW_STATS_ROUNDTRIP;
	sc.timeout_ns = p->o.timeout_ns;
	sc.rseq = p->o.proto == PING_LIGHT ? TW_STATS_RSEQ_COPY :
		  p->o.proto == PING_TWAMP ? TW_STATS_RSEQ_COUNTER :
					     TW_STATS_RSEQ_AUTO;
	sc.tos_sent = p->o.dscp < 0 ? (p->o.ecn ? p->o.ecn : 0) :
		      p->o.dscp << 2 | p->o.ecn;
	if (p->o.per_packet != NULL) {
		p->pp = tw_stats_pp_open(p->o.per_packet, p->o.pp_format);
		if (p->pp == NULL) {
			exit_code = setup_fail(p, "per-packet file", strerror(errno));
			goto out;
		}
		sc.pp = p->pp;
	}
	p->stats = tw_stats_create(&sc);
	if (p->stats == NULL) {
		exit_code = setup_fail(p, "statistics", strerror(errno));
		goto out;
	}

	/* what the results will say about the run */
	addr_text(&p->peer, p->dst_text, sizeof(p->dst_text), &p->meta.dst_port);
	source_text(p);
	p->meta.tool = "twamp-ping";
	p->meta.tool_version = TWAMP_PING_VERSION;
	p->meta.protocol = proto_name(p->o.proto);
	p->meta.mode = mode_name(p->o.mode);
	p->meta.src_addr = p->src_text;
	p->meta.dst_addr = p->dst_text;
	p->meta.schedule = p->o.poisson ? "poisson" : "periodic";
	p->meta.interval_s = (double)p->o.interval_ns / 1e9;
	p->meta.count = p->o.count ? (int64_t)p->o.count : -1;
	p->meta.dscp = p->o.dscp < 0 ? 0 : p->o.dscp;
	p->meta.ecn = p->o.ecn;
	p->meta.padding = (int)padding;
	p->meta.packet_size = (int)p->tp.send_len;
	p->meta.timestamps = p->sock.hw ? "hw" : "kernel";

	if (p->o.proto == PING_TWAMP || p->o.proto == PING_OWAMP) {
		exit_code = twamp_start(p);
		if (exit_code != 0)
			goto out;
	}

	/* the run */
	{
		uint64_t planned = p->o.count ? p->o.count * p->o.interval_ns :
						p->o.duration_ns;

		p->progress = p->o.progress == 1 ||
			      (p->o.progress < 0 && isatty(STDOUT_FILENO) &&
			       !p->o.quiet && planned > PROGRESS_MIN_NS);
	}
	p->run.tp = &p->tp;
	p->run.sock = &p->sock;
	p->run.sched = p->sched;
	p->run.stats = p->stats;
	p->run.count = p->o.count;
	p->run.duration_ns = p->o.proto == PING_OWAMP ? 0 : p->o.duration_ns;
	p->run.timeout_ns = p->o.timeout_ns;
	p->run.stop = &g_stop;
	p->run.ctrl_fd = p->cl != NULL ? tw_ctrl_client_fd(p->cl) : -1;
	p->run.tick = tick;
	p->run.tick_arg = p;
	if (run_init(&p->run) < 0) {
		exit_code = setup_fail(p, "out of memory", NULL);
		goto out;
	}
	now = pace_real_ns();
	p->meta.start = tw_ntp_from_unix((uint64_t)(now / (int64_t)NS_PER_SEC),
					 (uint32_t)(now % (int64_t)NS_PER_SEC));
	rc = run_send(&p->run);
	if (rc == -EMSGSIZE) {
		fprintf(stderr, "twamp-ping: a test packet of %u octets (UDP payload) does not fit the path MTU; test packets are never fragmented: use a smaller -s\n",
			p->tp.send_len);
		exit_code = PING_EXIT_SETUP;
		goto out;
	}
	if (rc < 0) {
		exit_code = setup_fail(p, "sending", strerror(-rc));
		goto out;
	}
	if (p->run.ctrl_event)
		fprintf(stderr, "twamp-ping: warning: the server %s the control connection after %llu packets: the stream stopped there\n",
			p->o.proto == PING_OWAMP ? "spoke on (Stop-Sessions?)" :
						   "closed", (unsigned long long)p->run.n_sent);
	if (p->o.proto == PING_OWAMP) {
		/* let the last packets arrive before Stop-Sessions */
		g_stop = 0;
		run_wait_replies(&p->run);
		exit_code = owamp_finish(p);
		if (exit_code != 0)
			goto out;
	} else {
		run_wait_replies(&p->run);
		if (p->o.proto == PING_TWAMP)
			twamp_stop(p);
	}
	now = pace_real_ns();
	p->meta.end = tw_ntp_from_unix((uint64_t)(now / (int64_t)NS_PER_SEC),
				       (uint32_t)(now % (int64_t)NS_PER_SEC));
	/* what t4 really was: NIC, kernel or user space (OWAMP: the receiver's) */
	if (p->o.proto != PING_OWAMP && p->run.n_answered > 0)
		p->meta.timestamps = p->run.n_hw_rx > 0 &&
				     p->run.n_hw_rx == p->run.n_kernel_rx ? "hw" :
				     p->run.n_kernel_rx > 0 ? "kernel" : "user";
	tw_stats_finish(p->stats);
	tw_stats_result(p->stats, &res);
	run_departure(&p->run, &dep);
	if (p->progress_shown)
		printf("\r\033[K");
	if (!p->o.quiet) {
		tw_stats_print_summary(stdout, &res, &p->meta);
		print_extra(stdout, p, &dep, &res);
	}
	if (p->o.json != NULL) {
		rc = out_write_json(p->o.json, &res, &p->meta, &p->run, &dep);
		if (rc < 0)
			fprintf(stderr, "twamp-ping: writing %s: %s\n",
				p->o.json, strerror(-rc));
	}
	{
		uint64_t nbad = 0;

		for (int i = 0; i < PING_BAD__MAX; i++)
			nbad += p->run.bad[i];
		if (nbad > 0 && res.received == 0) {
			fprintf(stderr, "twamp-ping: all %llu replies were rejected%s\n",
				(unsigned long long)nbad,
				p->run.bad[PING_BAD_HMAC] ?
				" (HMAC check failed: wrong key?)" : "");
			exit_code = PING_EXIT_BAD;
		}
	}
out:
	tw_stats_destroy(p->stats);
	if (p->pp != NULL && tw_stats_pp_close(p->pp) < 0)
		fprintf(stderr, "twamp-ping: writing %s failed\n", p->o.per_packet);
	tw_sched_destroy(p->sched);
	tpkt_fini(&p->tp);
	run_fini(&p->run);
	psock_close(&p->sock);
	tw_ctrl_client_destroy(p->cl);
	tw_config_keys_free(&p->keys);
	tw_crypto_wipe(p->test_key, sizeof(p->test_key));
	tw_crypto_wipe(&p->sess, sizeof(p->sess));
	free(p);
	return exit_code;
}
