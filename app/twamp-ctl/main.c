/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ctl: operator CLI of a running twamp-dp. It speaks the DPDK
 * telemetry v2 protocol (a SOCK_SEQPACKET unix socket in the EAL runtime
 * directory: a JSON greeting, then one JSON reply per command) and prints
 * the /twamp/... counters for an operator, or as one JSON object.
 *
 *   twamp-ctl [-s SOCKET | -p PREFIX | -c CONFIG] stats [--json]
 *   twamp-ctl [...] query COMMAND[,PARAMS]      one raw telemetry command
 *   twamp-ctl [...] list                        the /twamp/ commands
 *   twamp-ctl [...] run PEER [options] [--json] a test run from the appliance's
 *                                               Session-Sender, with its summary
 *   twamp-ctl [-k SOCKET | -c CONFIG] key add|del|list ...
 *                                               key-import records (docs/key-import.md)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#include "tw_config.h"

#define SOCK_NAME "dpdk_telemetry.v2"
#define KEY_SOCK_DEFAULT "/run/twamp-dp/keys.sock"

/* ipsec.key_import.socket of the -c config */
static char cfg_key_sock[TW_CONFIG_STR_MAX];

struct tel {
	int fd;
	size_t max_len;
	char *buf;
	json_t *hello;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-ctl [OPTIONS] stats [--json]   counters per port, lcore,\n"
		"                                            session; turnaround\n"
		"       twamp-ctl [OPTIONS] query CMD[,PARAMS] one telemetry command (JSON)\n"
		"       twamp-ctl [OPTIONS] list             the /twamp/ telemetry commands\n"
		"       twamp-ctl [OPTIONS] run PEER [RUN OPTIONS] [--json]\n"
		"                                            a test run from the appliance's\n"
		"                                            sender; summary, or the results JSON\n"
		"Run options (defaults: TWAMP Light, port 862, open, 100 packets, 100 ms):\n"
		"  --protocol light|stamp|twamp|owamp   --port N (owamp: 861)\n"
		"  --mode open|auth|enc|mixed   --key-id ID\n"
		"  --ikev2 (twamp/owamp: RFC 7717 keys from the IKE SA with PEER; no --key-id)\n"
		"  --count N | --duration S       --interval-us N | --rate PPS      --poisson\n"
		"  --padding N   --dscp N   --ecn N   --timeout S   --name NAME   --src-port N\n"
		"  --local PORTNAME (the appliance port to send from)\n"
		"  full TWAMP: --individual (RFC 5938)  --reflect-octets N  --symmetrical\n"
		"  (RFC 6038)  --dscp-ecn (RFC 7750): asked for, each one must be offered\n"
		"       twamp-ctl [OPTIONS] key add RECORD | key del RECORD\n"
		"                                            one key-import record (ike-up,\n"
		"                                            ike-rekey, child-add | ike-down,\n"
		"                                            child-del); RECORD \"-\" or none:\n"
		"                                            one record a line from stdin\n"
		"       twamp-ctl [OPTIONS] key list [--source NAME]\n"
		"                                            IKE and Child SAs (never keys)\n"
		"  -k, --key-socket PATH  key-import socket (default: the config's\n"
		"                      ipsec.key_import.socket, else " KEY_SOCK_DEFAULT ")\n"
		"\n"
		"Which twamp-dp (default: EAL file prefix \"rte\", else the only running one):\n"
		"  -s, --socket PATH   telemetry socket (.../dpdk_telemetry.v2)\n"
		"  -p, --prefix NAME   EAL --file-prefix of the twamp-dp process\n"
		"  -c, --config FILE   the twamp-dp config: its eal: --file-prefix\n"
		"  -h, --help          this text\n");
}

/* Where EAL puts its runtime directories (eal_get_baseruntime_dir()). */
static const char *runtime_base(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (getuid() == 0)
		return "/var/run/dpdk";
	snprintf(buf, len, "%s/dpdk", xdg != NULL ? xdg : "/tmp");
	return buf;
}

static int prefix_from_config(const char *file, char *prefix, size_t len)
{
	struct tw_config_diag diag = { 0 };
	struct tw_config *cfg;
	int rc = tw_config_load(file, &cfg, &diag);

	for (unsigned i = 0; i < diag.n; i++)
		if (!diag.msgs[i].warning)
			fprintf(stderr, "%s\n", diag.msgs[i].text);
	tw_config_diag_free(&diag);
	if (rc < 0)
		return -1;
	snprintf(prefix, len, "rte");
	snprintf(cfg_key_sock, sizeof(cfg_key_sock), "%s", cfg->ipsec.key_import_socket);
	for (unsigned i = 0; i < cfg->n_eal; i++) {
		const char *a = cfg->eal[i];

		if (strcmp(a, "--file-prefix") == 0 && i + 1 < cfg->n_eal)
			snprintf(prefix, len, "%s", cfg->eal[i + 1]);
		else if (strncmp(a, "--file-prefix=", 14) == 0)
			snprintf(prefix, len, "%s", a + 14);
		else if (strcmp(a, "--no-telemetry") == 0)
			fprintf(stderr, "twamp-ctl: %s has --no-telemetry in eal:\n", file);
	}
	tw_config_free(cfg);
	return 0;
}

/* The socket of prefix "rte" if it exists, else the only one there is. */
static int find_socket(char *path, size_t len)
{
	char base[256], pattern[300];
	const char *b = runtime_base(base, sizeof(base));
	glob_t g;
	int rc = -1;

	snprintf(path, len, "%s/rte/" SOCK_NAME, b);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(pattern, sizeof(pattern), "%s/*/" SOCK_NAME, b);
	if (glob(pattern, 0, NULL, &g) != 0) {
		fprintf(stderr, "twamp-ctl: no DPDK telemetry socket under %s; is twamp-dp "
			"running (and are you the same user)?\n", b);
		return -1;
	}
	if (g.gl_pathc == 1) {
		snprintf(path, len, "%s", g.gl_pathv[0]);
		rc = 0;
	} else {
		fprintf(stderr, "twamp-ctl: several DPDK processes; pick one with -p or -s:\n");
		for (size_t i = 0; i < g.gl_pathc; i++)
			fprintf(stderr, "  %s\n", g.gl_pathv[i]);
	}
	globfree(&g);
	return rc;
}

static int tel_open(struct tel *t, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_error_t jerr;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	t->fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "twamp-ctl: %s: %s\n", path, strerror(errno));
		if (t->fd >= 0)
			close(t->fd);
		return -1;
	}
	t->max_len = 16384;
	t->buf = malloc(t->max_len + 1);
	if (t->buf == NULL)
		goto fail;
	n = read(t->fd, t->buf, t->max_len);
	if (n <= 0)
		goto fail;
	t->buf[n] = '\0';
	t->hello = json_loads(t->buf, 0, &jerr);
	if (!json_is_object(t->hello))
		goto fail;
	json_int_t ml = json_integer_value(json_object_get(t->hello, "max_output_len"));
	if (ml > (json_int_t)t->max_len) {
		char *nb = realloc(t->buf, (size_t)ml + 1);

		if (nb == NULL)
			goto fail;
		t->buf = nb;
		t->max_len = (size_t)ml;
	}
	return 0;
fail:
	fprintf(stderr, "twamp-ctl: %s: no telemetry greeting (too many clients?)\n", path);
	close(t->fd);
	free(t->buf);
	json_decref(t->hello);
	return -1;
}

static void tel_close(struct tel *t)
{
	close(t->fd);
	free(t->buf);
	json_decref(t->hello);
}

/* Send "cmd[,params]"; the value under the command's name (new reference),
 * NULL when the command failed, is unknown, or the socket broke. */
static json_t *tel_query(struct tel *t, const char *cmd, const char *params)
{
	char req[512];
	json_error_t jerr;
	json_t *root, *v;
	ssize_t n;

	if (params != NULL)
		snprintf(req, sizeof(req), "%s,%s", cmd, params);
	else
		snprintf(req, sizeof(req), "%s", cmd);
	if (write(t->fd, req, strlen(req)) < 0)
		return NULL;
	n = read(t->fd, t->buf, t->max_len);
	if (n <= 0)
		return NULL;
	t->buf[n] = '\0';
	root = json_loads(t->buf, 0, &jerr);
	if (root == NULL)
		return NULL;
	v = json_object_get(root, cmd);
	if (v != NULL && !json_is_null(v))
		json_incref(v);
	else
		v = NULL;
	json_decref(root);
	return v;
}

static bool has_cmd(const json_t *list, const char *cmd)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c)
		if (json_is_string(c) && strcmp(json_string_value(c), cmd) == 0)
			return true;
	return false;
}

static uint64_t u64(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* Everything stats shows, as one JSON object. */
static json_t *collect(struct tel *t)
{
	json_t *out = json_object(), *list = tel_query(t, "/", NULL);
	json_t *ports, *lcores = json_array(), *per_port = json_object(), *other = json_object();
	size_t i;
	json_t *c;

	json_object_set_new(out, "socket", json_string(t->path));
	json_object_set(out, "pid", json_object_get(t->hello, "pid"));
	json_object_set(out, "dpdk", json_object_get(t->hello, "version"));
	if (list == NULL || !has_cmd(list, "/twamp/dp/stats")) {
		json_decref(list);
		json_decref(lcores);
		json_decref(per_port);
		json_decref(other);
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "stats", tel_query(t, "/twamp/dp/stats", NULL));
	ports = tel_query(t, "/twamp/dp/ports", NULL);
	if (ports != NULL) {
		const char *name;
		json_t *pv;

		json_object_foreach(ports, name, pv) {
			json_t *s = tel_query(t, "/twamp/dp/port", name);

			if (s != NULL)
				json_object_set_new(per_port, name, s);
		}
		json_object_set_new(out, "ports", ports);
	}
	json_object_set_new(out, "port", per_port);
	for (unsigned w = 0; w <= 128; w++) {
		char p[16];
		json_t *s;

		snprintf(p, sizeof(p), "%u", w);
		s = tel_query(t, "/twamp/dp/lcore", p);
		if (s == NULL)
			break;
		json_array_append_new(lcores, s);
		if (strcmp(json_string_value(json_object_get(s, "role")) ?: "", "service") == 0)
			break;
	}
	json_object_set_new(out, "lcore", lcores);
	if (has_cmd(list, "/twamp/refl/worker")) {
		json_t *rw = json_array();

		for (unsigned w = 0; w + 1 < json_array_size(lcores); w++) {
			char p[16];
			json_t *s;

			snprintf(p, sizeof(p), "%u", w);
			s = tel_query(t, "/twamp/refl/worker", p);
			if (s == NULL)
				break;
			json_array_append_new(rw, s);
		}
		json_object_set_new(out, "refl_worker", rw);
	}
	if (has_cmd(list, "/twamp/dp/turnaround")) {
		json_t *ta = tel_query(t, "/twamp/dp/turnaround", NULL);

		if (ta != NULL)
			json_object_set_new(out, "turnaround", ta);
	}
	/* whatever else lives under /twamp/ (the reflector's sessions, ...):
	 * commands that answer without a parameter */
	json_array_foreach(list, i, c) {
		const char *cmd = json_string_value(c);
		json_t *v;

		if (cmd == NULL || strncmp(cmd, "/twamp/", 7) != 0 ||
		    strncmp(cmd, "/twamp/dp/", 10) == 0)
			continue;
		v = tel_query(t, cmd, NULL);
		if (v != NULL)
			json_object_set_new(other, cmd, v);
	}
	json_object_set_new(out, "other", other);
	json_decref(list);
	return out;
}

static void print_us(const char *label, uint64_t ns)
{
	printf("  %s %.3f us", label, (double)ns / 1000.0);
}

static void print_value(const json_t *v, int indent);

static void print_object(const json_t *o, int indent)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)o, k, v) {
		printf("%*s%s:", indent, "", k);
		if (json_is_object(v) || json_is_array(v)) {
			printf("\n");
			print_value(v, indent + 2);
		} else {
			printf(" ");
			print_value(v, 0);
		}
	}
}

static void print_value(const json_t *v, int indent)
{
	size_t i;
	json_t *e;

	if (json_is_object(v)) {
		print_object(v, indent);
	} else if (json_is_array(v)) {
		json_array_foreach((json_t *)(uintptr_t)v, i, e) {
			printf("%*s- ", indent, "");
			if (json_is_object(e) || json_is_array(e)) {
				printf("\n");
				print_value(e, indent + 2);
			} else {
				print_value(e, 0);
			}
		}
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);

		printf("%s\n", s != NULL ? s : "?");
		free(s);
	}
}

/* "reason count, ..." of the non-zero counters of @p o whose names are not
 * in the first @p skip keys ("rx", "tx", ...), or "none". */
static void print_drops(const json_t *o, const char *const *skip, unsigned n_skip)
{
	const char *k;
	json_t *v;
	bool any = false;

	json_object_foreach((json_t *)(uintptr_t)o, k, v) {
		bool skipped = false;

		for (unsigned i = 0; i < n_skip; i++)
			skipped |= strcmp(k, skip[i]) == 0;
		if (skipped || !json_is_integer(v) || json_integer_value(v) == 0)
			continue;
		printf("%s%s %lld", any ? ", " : "", strncmp(k, "drop_", 5) == 0 ? k + 5 : k,
		       (long long)json_integer_value(v));
		any = true;
	}
	printf("%s\n", any ? "" : "none");
}

static const char *const refl_fields[] = {
	"rx", "tx", "protocol", "mode", "peer", "peer_port", "port", "next_seq",
	"last_rx_ntp", "sessions", "light_ports",
};

static const char *const recv_fields[] = { "rx", "consumed", "last_rx_ntp", "sessions" };

/* The receiver (replies to our senders, OWAMP-Test): one line. */
static void print_receiver(const json_t *tot)
{
	if (tot == NULL)
		return;
	printf("\nreceiver: rx %llu, recorded %llu, %llu session(s); dropped: ",
	       (unsigned long long)u64(tot, "rx"), (unsigned long long)u64(tot, "consumed"),
	       (unsigned long long)u64(tot, "sessions"));
	print_drops(tot, recv_fields, N_ELEMS(recv_fields));
}

/* The Session-Sender: one line with its departure error, and the runs. */
static void print_sender(const json_t *st, const json_t *runs)
{
	const char *k;
	json_t *v;

	if (st == NULL)
		return;
	printf("\nsender (%s): sent %llu, tx drops %llu, late %llu, stalls %llu, crypto "
	       "errors %llu; streams %llu running, %llu done",
	       json_string_value(json_object_get(st, "where")) ?: "?",
	       (unsigned long long)u64(st, "sent"), (unsigned long long)u64(st, "tx_drop"),
	       (unsigned long long)u64(st, "late"), (unsigned long long)u64(st, "stalls"),
	       (unsigned long long)u64(st, "crypto_err"), (unsigned long long)u64(st, "running"),
	       (unsigned long long)u64(st, "streams_done"));
	/* IPsec streams (docs/config.md "Test streams through IPsec") */
	if (u64(st, "ipsec") != 0 || u64(st, "no_sa") != 0)
		printf("; through IPsec %llu, waited for an SA %llu",
		       (unsigned long long)u64(st, "ipsec"), (unsigned long long)u64(st, "no_sa"));
	printf("; departure error");
	print_us("p50", u64(st, "depart_p50_ns"));
	print_us("p99", u64(st, "depart_p99_ns"));
	print_us("max", u64(st, "depart_max_ns"));
	printf("\n");
	if (runs == NULL || json_object_size(runs) == 0)
		return;
	printf("  runs:");
	json_object_foreach((json_t *)(uintptr_t)runs, k, v)
		printf(" %s %s", k, json_string_value(v) ?: "?");
	printf("\n");
}

/* Key import (/twamp/keys/stats): one line. */
static void print_keys(const json_t *k)
{
	if (k == NULL || json_object_size(k) == 0)
		return;
	printf("\nkey import: %llu IKE SA(s), %llu Child SA(s); %llu client(s) open "
	       "(%llu accepted, %llu refused, %llu busy); records %llu (%llu ok, %llu refused); "
	       "IKE SAs added %llu, rekeyed %llu, deleted %llu; Child SAs added %llu, "
	       "deleted %llu\n",
	       (unsigned long long)u64(k, "ike_sas"), (unsigned long long)u64(k, "child_sas"),
	       (unsigned long long)u64(k, "clients"), (unsigned long long)u64(k, "accepted"),
	       (unsigned long long)u64(k, "refused_peer"),
	       (unsigned long long)u64(k, "refused_busy"), (unsigned long long)u64(k, "records"),
	       (unsigned long long)u64(k, "records_ok"), (unsigned long long)u64(k, "records_err"),
	       (unsigned long long)u64(k, "ike_added"), (unsigned long long)u64(k, "ike_rekeyed"),
	       (unsigned long long)u64(k, "ike_deleted"), (unsigned long long)u64(k, "child_added"),
	       (unsigned long long)u64(k, "child_deleted"));
}

/* The TWAMP/OWAMP-Control server: one line, closes by reason. */
static void print_control(const json_t *c)
{
	const char *k;
	json_t *v;
	bool any = false;

	if (c == NULL)
		return;
	printf("\ncontrol: %llu connection(s) open (%llu accepted), %llu session(s) "
	       "(%llu accepted, %llu refused, %llu REFWAIT); closed: ",
	       (unsigned long long)u64(c, "connections"), (unsigned long long)u64(c, "accepted"),
	       (unsigned long long)u64(c, "sessions"),
	       (unsigned long long)u64(c, "sessions_accepted"),
	       (unsigned long long)u64(c, "sessions_refused"),
	       (unsigned long long)u64(c, "refwait_expired"));
	json_object_foreach((json_t *)(uintptr_t)c, k, v) {
		if (strncmp(k, "close_", 6) != 0 || !json_is_integer(v) ||
		    json_integer_value(v) == 0)
			continue;
		printf("%s%s %lld", any ? ", " : "", k + 6, (long long)json_integer_value(v));
		any = true;
	}
	printf("%s\n", any ? "" : "none");
}

static void print_reflector(const json_t *all)
{
	const json_t *other = json_object_get(all, "other");
	const json_t *app = json_object_get(other, "/twamp/app/reflector");
	const json_t *tot = json_object_get(other, "/twamp/refl/stats");
	const json_t *rw = json_object_get(all, "refl_worker");
	const json_t *light = json_object_get(app, "light");
	const json_t *sess = json_object_get(app, "sessions");
	const char *k;
	json_t *v;
	size_t i;

	if (tot != NULL) {
		printf("\nreflector: rx %llu, reflected %llu, %llu session(s), %llu light port(s); "
		       "dropped: ", (unsigned long long)u64(tot, "rx"),
		       (unsigned long long)u64(tot, "tx"), (unsigned long long)u64(tot, "sessions"),
		       (unsigned long long)u64(tot, "light_ports"));
		print_drops(tot, refl_fields, N_ELEMS(refl_fields));
	}
	json_array_foreach((json_t *)(uintptr_t)rw, i, v) {
		printf("  worker %zu: rx %llu, reflected %llu; dropped: ", i,
		       (unsigned long long)u64(v, "rx"), (unsigned long long)u64(v, "tx"));
		print_drops(v, refl_fields, N_ELEMS(refl_fields));
	}
	if (json_object_size(light) > 0) {
		printf("\n%-9s %-12s %-5s %12s %12s  %s\n", "UDP port", "protocol", "mode",
		       "rx", "reflected", "dropped");
		json_object_foreach((json_t *)(uintptr_t)light, k, v) {
			printf("%-9s %-12s %-5s %12llu %12llu  ", k,
			       json_string_value(json_object_get(v, "protocol")) ?: "?",
			       json_string_value(json_object_get(v, "mode")) ?: "?",
			       (unsigned long long)u64(v, "rx"), (unsigned long long)u64(v, "tx"));
			print_drops(v, refl_fields, N_ELEMS(refl_fields));
		}
	}
	if (json_object_size(sess) > 0) {
		printf("\n%-8s %-30s %-6s %-12s %-5s %12s %12s  %s\n", "session", "peer",
		       "port", "protocol", "mode", "rx", "reflected", "dropped");
		json_object_foreach((json_t *)(uintptr_t)sess, k, v) {
			char peer[64];

			if (u64(v, "peer_port") != 0)
				snprintf(peer, sizeof(peer), "%s port %llu",
					 json_string_value(json_object_get(v, "peer")) ?: "?",
					 (unsigned long long)u64(v, "peer_port"));
			else
				snprintf(peer, sizeof(peer), "%s any port",
					 json_string_value(json_object_get(v, "peer")) ?: "?");
			printf("%-8s %-30s %-6llu %-12s %-5s %12llu %12llu  ", k, peer,
			       (unsigned long long)u64(v, "port"),
			       json_string_value(json_object_get(v, "protocol")) ?: "?",
			       json_string_value(json_object_get(v, "mode")) ?: "?",
			       (unsigned long long)u64(v, "rx"), (unsigned long long)u64(v, "tx"));
			print_drops(v, refl_fields, N_ELEMS(refl_fields));
		}
	}
}

/* Per worker: quantiles, then the histogram folded into powers of two with
 * a bar per row. */
static void print_turnaround_workers(const json_t *tw)
{
	const char *w;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)tw, w, v) {
		const json_t *b = json_object_get(v, "buckets_ns");
		uint64_t rows[64] = { 0 }, top = 0;
		int lo = 64, hi = -1;
		const char *k;
		json_t *c;

		printf("  %s: %llu packets", w, (unsigned long long)u64(v, "count"));
		if (u64(v, "count") == 0) {
			printf("\n");
			continue;
		}
		print_us("p50", u64(v, "p50_ns"));
		print_us("p99", u64(v, "p99_ns"));
		print_us("max", u64(v, "max_ns"));
		printf("\n");
		json_object_foreach((json_t *)(uintptr_t)b, k, c) {
			unsigned long long ns = strtoull(k, NULL, 10);
			int r = ns == 0 ? 0 : 63 - __builtin_clzll(ns);

			rows[r] += (uint64_t)json_integer_value(c);
			lo = r < lo ? r : lo;
			hi = r > hi ? r : hi;
		}
		for (int r = lo; r <= hi; r++)
			top = rows[r] > top ? rows[r] : top;
		for (int r = lo; r <= hi && top > 0; r++) {
			int bar = (int)((rows[r] * 40 + top - 1) / top);

			printf("    %10.3f us .. %10.3f us %10llu %.*s\n",
			       (double)(1ull << r) / 1000.0, (double)(2ull << r) / 1000.0,
			       (unsigned long long)rows[r], bar,
			       "########################################");
		}
	}
}

static void print_stats(const json_t *all)
{
	const json_t *stats = json_object_get(all, "stats");
	const json_t *ports = json_object_get(all, "ports");
	const json_t *per_port = json_object_get(all, "port");
	const json_t *lcores = json_object_get(all, "lcore");
	const json_t *ta = json_object_get(all, "turnaround");
	const json_t *other = json_object_get(all, "other");
	const char *k, *name;
	json_t *v, *pv;
	size_t i;

	printf("twamp-dp pid %lld, %s (%s)\n",
	       (long long)json_integer_value(json_object_get(all, "pid")),
	       json_string_value(json_object_get(all, "dpdk")) ?: "DPDK",
	       json_string_value(json_object_get(all, "socket")));
	if (json_object_size(ports) > 0) {
		printf("\nports\n");
		json_object_foreach((json_t *)(uintptr_t)ports, name, pv) {
			const char *tap = json_string_value(json_object_get(pv, "tap"));

			printf("  %-12s %s (ethdev %lld), %lld queue(s), TAP %s, RX timestamps %s\n",
			       name, json_string_value(json_object_get(pv, "device")) ?: "?",
			       (long long)json_integer_value(json_object_get(pv, "ethdev")),
			       (long long)json_integer_value(json_object_get(pv, "queues")),
			       tap != NULL && *tap != '\0' ? tap : "none",
			       json_string_value(json_object_get(pv, "rx_timestamp")) ?: "?");
		}
	}

	/* one row per counter: total, then each port, then each lcore;
	 * drop reasons only where some column is not zero */
	printf("\n%-22s %14s", "counter", "total");
	json_object_foreach((json_t *)(uintptr_t)per_port, name, pv)
		printf(" %14.14s", name);
	json_array_foreach((json_t *)(uintptr_t)lcores, i, v) {
		char col[32];
		const char *role = json_string_value(json_object_get(v, "role"));

		if (role != NULL && strcmp(role, "service") == 0)
			snprintf(col, sizeof(col), "service");
		else
			snprintf(col, sizeof(col), "worker %zu", i);
		printf(" %14s", col);
	}
	printf("\n");
	json_object_foreach((json_t *)(uintptr_t)stats, k, v) {
		bool any = u64(stats, k) != 0;

		if (!any && strncmp(k, "drop_", 5) == 0)
			continue;
		printf("%-22s %14llu", k, (unsigned long long)u64(stats, k));
		json_object_foreach((json_t *)(uintptr_t)per_port, name, pv)
			printf(" %14llu", (unsigned long long)u64(pv, k));
		json_array_foreach((json_t *)(uintptr_t)lcores, i, pv)
			printf(" %14llu", (unsigned long long)u64(pv, k));
		printf("\n");
	}

	if (ta != NULL) {
		printf("\nreflector turnaround (RX stamp to TX), all workers: %llu packets\n",
		       (unsigned long long)u64(ta, "count"));
		if (u64(ta, "count") > 0) {
			print_us("mean", u64(ta, "mean_ns"));
			print_us("p50", u64(ta, "p50_ns"));
			print_us("p90", u64(ta, "p90_ns"));
			print_us("p99", u64(ta, "p99_ns"));
			print_us("p99.9", u64(ta, "p999_ns"));
			print_us("max", u64(ta, "max_ns"));
			printf("\n");
		}
	}
	if (json_object_get(other, "/twamp/app/turnaround") != NULL) {
		printf("  per worker (packets per power-of-two range):\n");
		print_turnaround_workers(json_object_get(other, "/twamp/app/turnaround"));
	}
	print_reflector(all);
	print_receiver(json_object_get(other, "/twamp/recv/stats"));
	print_control(json_object_get(other, "/twamp/ctrl/stats"));
	print_keys(json_object_get(other, "/twamp/keys/stats"));
	print_sender(json_object_get(other, "/twamp/send/stats"),
		     json_object_get(other, "/twamp/send/runs"));
	/* anything this version does not know how to lay out */
	json_object_foreach((json_t *)(uintptr_t)other, k, v) {
		if (strcmp(k, "/twamp/app/reflector") == 0 ||
		    strcmp(k, "/twamp/app/turnaround") == 0 ||
		    strcmp(k, "/twamp/refl/stats") == 0 ||
		    strcmp(k, "/twamp/recv/stats") == 0 ||
		    strcmp(k, "/twamp/ctrl/stats") == 0 ||
		    strcmp(k, "/twamp/keys/stats") == 0 ||
		    strcmp(k, "/twamp/send/stats") == 0 ||
		    strcmp(k, "/twamp/send/runs") == 0)
			continue;
		printf("\n%s\n", k);
		print_value(v, 2);
	}
}

static int cmd_stats(struct tel *t, bool as_json)
{
	json_t *all = collect(t);

	if (all == NULL) {
		fprintf(stderr, "twamp-ctl: %s answers no /twamp/dp/ commands: not a "
			"twamp-dp, or it is still starting\n", t->path);
		return 1;
	}
	if (as_json)
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else
		print_stats(all);
	if (as_json)
		printf("\n");
	json_decref(all);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_query(struct tel *t, const char *arg)
{
	char cmd[256];
	const char *comma = strchr(arg, ',');
	json_t *v;

	snprintf(cmd, sizeof(cmd), "%.*s", comma != NULL ? (int)(comma - arg) : (int)strlen(arg),
		 arg);
	v = tel_query(t, cmd, comma != NULL ? comma + 1 : NULL);
	if (v == NULL) {
		fprintf(stderr, "twamp-ctl: %s: no answer (unknown command or bad parameter)\n",
			arg);
		return 1;
	}
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	printf("\n");
	json_decref(v);
	return 0;
}

static int cmd_list(struct tel *t)
{
	json_t *list = tel_query(t, "/", NULL), *c;
	size_t i;

	if (list == NULL)
		return 1;
	json_array_foreach(list, i, c) {
		const char *s = json_string_value(c);
		json_t *help;

		if (s == NULL || strncmp(s, "/twamp/", 7) != 0)
			continue;
		help = tel_query(t, "/help", s);
		printf("%-24s %s\n", s,
		       json_string_value(json_object_get(help, s)) ?: "");
		json_decref(help);
	}
	json_decref(list);
	return 0;
}

/* twamp-ctl run options -> /twamp/send/run parameters (key=value,...). */
static int run_params(int argc, char **argv, char *out, size_t len, bool *as_json)
{
	static const struct {
		const char *opt, *key;
		bool arg;
	} map[] = {
		{ "--protocol", "protocol", true }, { "--port", "port", true },
		{ "--mode", "mode", true }, { "--key-id", "key_id", true },
		{ "--count", "count", true }, { "--duration", "duration_s", true },
		{ "--interval-us", "interval_us", true }, { "--rate", "rate_pps", true },
		{ "--poisson", "schedule=poisson", false }, { "--padding", "padding", true },
		{ "--dscp", "dscp", true }, { "--ecn", "ecn", true },
		{ "--timeout", "timeout_s", true }, { "--name", "name", true },
		{ "--local", "local", true }, { "--src-port", "src_port", true },
		{ "--individual", "individual=1", false },
		{ "--reflect-octets", "reflect_padding", true },
		{ "--symmetrical", "symmetrical=1", false },
		{ "--dscp-ecn", "dscp_ecn=1", false },
		{ "--ikev2", "ikev2=1", false },
	};
	size_t off;
	int n;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "twamp-ctl run: the peer address comes first\n");
		return -1;
	}
	n = snprintf(out, len, "peer=%s", argv[0]);
	off = n > 0 ? (size_t)n : 0;
	for (int i = 1; i < argc; i++) {
		size_t k;

		if (strcmp(argv[i], "--json") == 0) {
			*as_json = true;
			continue;
		}
		for (k = 0; k < N_ELEMS(map); k++)
			if (strcmp(argv[i], map[k].opt) == 0)
				break;
		if (k == N_ELEMS(map)) {
			fprintf(stderr, "twamp-ctl run: unknown option %s\n", argv[i]);
			return -1;
		}
		if (map[k].arg && (i + 1 >= argc || strchr(argv[i + 1], ',') != NULL ||
				   strchr(argv[i + 1], '=') != NULL)) {
			fprintf(stderr, "twamp-ctl run: %s needs a value (no ',' or '=')\n",
				argv[i]);
			return -1;
		}
		n = map[k].arg ? snprintf(out + off, len - off, ",%s=%s", map[k].key, argv[++i]) :
				 snprintf(out + off, len - off, ",%s", map[k].key);
		if (n < 0 || (size_t)n >= len - off) {
			fprintf(stderr, "twamp-ctl run: options too long\n");
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int cat_file(const char *path)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "twamp-ctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

/* A run's "error": the pieces of one message (telemetry strings are short),
 * printed joined; a plain string is taken as it is. */
static void print_run_error(const json_t *e)
{
	size_t i;
	json_t *piece;

	fputs("twamp-ctl run: ", stderr);
	if (json_is_string(e))
		fputs(json_string_value(e), stderr);
	else if (json_is_array(e) && json_array_size(e) > 0)
		json_array_foreach(e, i, piece)
			fputs(json_string_value(piece) ?: "", stderr);
	else
		fputs("refused", stderr);
	fputc('\n', stderr);
}

/* Start a run, show progress once a second on a terminal, then the summary
 * (or, with --json, the results file the appliance wrote). */
static int cmd_run(struct tel *t, int argc, char **argv, bool as_json)
{
	char params[900], id[32];
	bool tty = isatty(STDERR_FILENO), shown = false;
	json_t *v, *e;
	int rc = 1;

	if (run_params(argc, argv, params, sizeof(params), &as_json) != 0)
		return 2;
	v = tel_query(t, "/twamp/send/run", params);
	if (v == NULL) {
		fprintf(stderr, "twamp-ctl run: no answer: is this twamp-dp built with the "
			"sender?\n");
		return 1;
	}
	e = json_object_get(v, "error");
	if (e != NULL) {
		print_run_error(e);
		json_decref(v);
		return 1;
	}
	snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(v, "id")));
	json_decref(v);
	for (;;) {
		const char *state;

		v = tel_query(t, "/twamp/send/result", id);
		if (v == NULL) {
			fprintf(stderr, "twamp-ctl run: run %s disappeared\n", id);
			return 1;
		}
		state = json_string_value(json_object_get(v, "state")) ?: "?";
		if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0)
			break;
		if (tty) {
			fprintf(stderr, "\r%s: sent %" PRIu64 ", received %" PRIu64 ", lost %"
				PRIu64 ", in flight %" PRIu64 "   ", state, u64(v, "sent"),
				u64(v, "received"), u64(v, "lost"), u64(v, "in_flight"));
			shown = true;
		}
		json_decref(v);
		sleep(1);
	}
	if (shown)
		fputc('\n', stderr);
	e = json_object_get(v, "error");
	if (e != NULL) {
		print_run_error(e);
	} else if (as_json) {
		const char *file = json_string_value(json_object_get(v, "json"));

		if (file == NULL)
			fprintf(stderr, "twamp-ctl run: the appliance wrote no results file "
				"(see its log)\n");
		else
			rc = cat_file(file);
	} else {
		size_t i;
		json_t *line;

		json_array_foreach(json_object_get(v, "summary"), i, line)
			printf("%s\n", json_string_value(line) ?: "");
		if (json_object_get(v, "json") != NULL)
			printf("results: %s\n", json_string_value(json_object_get(v, "json")));
		rc = 0;
	}
	json_decref(v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* key add|del|list: the key-import socket (docs/key-import.md)        */
/* ------------------------------------------------------------------ */

struct kconn {
	FILE *in;   /* replies */
	int fd;
};

/* One reply line (without LF) into buf; -1 on EOF or timeout. */
static int key_reply(struct kconn *k, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, k->in) == NULL) {
		fprintf(stderr, "twamp-ctl: key import: %s\n",
			ferror(k->in) ? strerror(errno) : "connection closed by twamp-dp");
		return -1;
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int key_send(struct kconn *k, const char *line)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n = send(k->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "twamp-ctl: key import: send: %s\n", strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int key_connect(struct kconn *k, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	char rep[512];

	k->in = NULL;
	k->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "twamp-ctl: key import socket %s: %s\n", path,
			k->fd < 0 ? strerror(errno) : "path too long");
		goto fail;
	}
	strcpy(sa.sun_path, path);
	setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(k->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "twamp-ctl: cannot connect to the key import socket %s: %s "
			"(is ipsec.key_import.socket set and twamp-dp running? -k PATH)\n",
			path, strerror(errno));
		goto fail;
	}
	k->in = fdopen(dup(k->fd), "r");
	if (k->in == NULL)
		goto fail;
	if (key_send(k, "hello versions=1 agent=twamp-ctl/" TWAMP_CTL_VERSION
		     " source=ctl\n") != 0 || key_reply(k, rep, sizeof(rep)) != 0)
		goto fail;
	if (strncmp(rep, "ok", 2) != 0) {
		fprintf(stderr, "twamp-ctl: key import: %s\n", rep);
		goto fail;
	}
	return 0;
fail:
	if (k->in != NULL)
		fclose(k->in);
	if (k->fd >= 0)
		close(k->fd);
	return -1;
}

static void key_close(struct kconn *k)
{
	char rep[64];

	if (key_send(k, "bye\n") == 0)
		(void)key_reply(k, rep, sizeof(rep));
	fclose(k->in);
	close(k->fd);
}

static bool verb_in(const char *line, const char *const *verbs)
{
	size_t n = strcspn(line, " ");

	for (unsigned i = 0; verbs[i] != NULL; i++)
		if (strlen(verbs[i]) == n && strncmp(line, verbs[i], n) == 0)
			return true;
	return false;
}

/* One record: checked against the command, sent, its reply printed. */
static int key_record(struct kconn *k, const char *line, const char *const *verbs,
		      const char *what)
{
	char rep[8192];
	char *buf;
	int rc;

	if (!verb_in(line, verbs)) {
		fprintf(stderr, "twamp-ctl: key %s takes %s %s records, not \"%.*s\"\n", what,
			verbs[0], verbs[1], (int)strcspn(line, " "), line);
		return 1;
	}
	buf = malloc(strlen(line) + 2);
	if (buf == NULL)
		return 1;
	sprintf(buf, "%s\n", line);
	rc = key_send(k, buf);
	explicit_bzero(buf, strlen(buf));
	free(buf);
	if (rc != 0 || key_reply(k, rep, sizeof(rep)) != 0)
		return 1;
	printf("%s\n", rep);
	return strncmp(rep, "ok", 2) == 0 ? 0 : 1;
}

/* A record from argv: fields as on the wire; an argument with spaces or
 * other octets outside 0x21-0x7e (a quoted identity) is escaped here. */
static char *key_join(int argc, char **argv)
{
	size_t len = 1;
	char *s, *w;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) * 3 + 1;
	s = calloc(1, len);
	if (s == NULL)
		return NULL;
	w = s;
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			*w++ = ' ';
		for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++) {
			if (*p <= 0x20 || *p >= 0x7f)
				w += sprintf(w, "%%%02X", *p);
			else
				*w++ = (char)*p;
		}
	}
	return s;
}

static int cmd_key(const char *path, int argc, char **argv)
{
	static const char *const add_verbs[] = { "ike-up", "ike-rekey", "child-add", NULL };
	static const char *const del_verbs[] = { "ike-down", "child-del", NULL };
	const char *sub = argc > 0 ? argv[0] : "";
	struct kconn k;
	char rep[8192];
	int rc = 0;

	if (strcmp(sub, "list") == 0) {
		unsigned n = 0;

		if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--source") == 0)) {
			usage(stderr);
			return 2;
		}
		if (key_connect(&k, path) != 0)
			return 1;
		snprintf(rep, sizeof(rep), "list%s%s\n", argc == 3 ? " source=" : "",
			 argc == 3 ? argv[2] : "");
		if (key_send(&k, rep) != 0) {
			key_close(&k);
			return 1;
		}
		while ((rc = key_reply(&k, rep, sizeof(rep))) == 0 && strncmp(rep, "sa ", 3) == 0) {
			printf("%s\n", rep + 3);
			n++;
		}
		if (rc == 0 && strncmp(rep, "ok", 2) != 0) {
			fprintf(stderr, "twamp-ctl: key list: %s\n", rep);
			rc = 1;
		} else if (rc == 0) {
			printf("%u SA(s)\n", n);
		} else {
			rc = 1;
		}
		key_close(&k);
		return rc;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "del") != 0) {
		usage(stderr);
		return 2;
	}
	if (key_connect(&k, path) != 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "-") != 0) {
		char *line = key_join(argc - 1, argv + 1);

		rc = line == NULL ? 1 : key_record(&k, line, sub[0] == 'a' ? add_verbs : del_verbs,
						    sub);
		if (line != NULL)
			explicit_bzero(line, strlen(line));
		free(line);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			if (n == 0 || line[0] == '#')
				continue;
			rc |= key_record(&k, line, sub[0] == 'a' ? add_verbs : del_verbs, sub);
		}
		if (line != NULL)
			explicit_bzero(line, cap);
		free(line);
	}
	key_close(&k);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "key-socket", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "", prefix[256] = "";
	char base[256], ksock[TW_CONFIG_STR_MAX] = "";
	const char *cmd;
	bool as_json = false;
	struct tel t;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+s:p:c:k:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'p':
			snprintf(prefix, sizeof(prefix), "%s", optarg);
			break;
		case 'c':
			if (prefix_from_config(optarg, prefix, sizeof(prefix)) != 0)
				return 1;
			break;
		case 'k':
			snprintf(ksock, sizeof(ksock), "%s", optarg);
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "key") == 0)
		return cmd_key(ksock[0] != '\0' ? ksock : cfg_key_sock[0] != '\0' ?
			       cfg_key_sock : KEY_SOCK_DEFAULT, argc - optind, argv + optind);
	/* "stats --json" as well as "--json stats" */
	while (optind < argc && strcmp(argv[optind], "--json") == 0) {
		as_json = true;
		optind++;
	}
	if (path[0] == '\0' && prefix[0] != '\0')
		snprintf(path, sizeof(path), "%s/%s/" SOCK_NAME,
			 runtime_base(base, sizeof(base)), prefix);
	if (path[0] == '\0' && find_socket(path, sizeof(path)) != 0)
		return 1;

	if (strcmp(cmd, "stats") == 0 && optind == argc) {
		if (tel_open(&t, path) != 0)
			return 1;
		rc = cmd_stats(&t, as_json);
	} else if (strcmp(cmd, "query") == 0 && optind + 1 == argc) {
		if (tel_open(&t, path) != 0)
			return 1;
		rc = cmd_query(&t, argv[optind]);
	} else if (strcmp(cmd, "run") == 0 && optind < argc) {
		if (tel_open(&t, path) != 0)
			return 1;
		rc = cmd_run(&t, argc - optind, argv + optind, as_json);
	} else if (strcmp(cmd, "list") == 0 && optind == argc) {
		if (tel_open(&t, path) != 0)
			return 1;
		rc = cmd_list(&t);
	} else {
		usage(stderr);
		return 2;
	}
	tel_close(&t);
	return rc;
}
