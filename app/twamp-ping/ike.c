/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ping: RFC 7717 keys from a file of key-import records
 * (docs/key-import.md), read with lib/keyimp's own parser and IKE SA table
 * so a record twamp-ping accepts is exactly one twamp-dp accepts. The IKE
 * SA is the newest one whose `remote` is the server's address (RFC 7717:
 * the client picks the IKE SA it shares with the server); its KeyID is
 * SPIi | SPIr | zeros and its secret prf(SK_d, "IPPM"). With --ike-socket
 * twamp-ping serves a key-import socket (lib/keyimp's server) until that
 * IKE SA has been pushed to it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "ping.h"
#include "tw_crypto.h"
#include "tw_keyimp.h"

struct reply {
	char line[256];
};

/* Keep the last reply line of a record (the `ok` / `err` one). */
static int keep_reply(void *arg, const char *line, size_t len)
{
	struct reply *r = arg;

	if (len >= sizeof(r->line))
		len = sizeof(r->line) - 1;
	memcpy(r->line, line, len);
	r->line[len] = '\0';
	if (len > 0 && r->line[len - 1] == '\n')
		r->line[len - 1] = '\0';
	return 0;
}

static int setup_fail_ike(const char *why)
{
	fprintf(stderr, "twamp-ping: RFC 7717 keys: %s\n", why);
	return PING_EXIT_SETUP;
}

static int ike_fail(const char *file, unsigned lineno, const char *what)
{
	if (lineno > 0)
		fprintf(stderr, "twamp-ping: --ike-keys %s line %u: %s\n", file, lineno, what);
	else
		fprintf(stderr, "twamp-ping: --ike-keys %s: %s\n", file, what);
	return PING_EXIT_SETUP;
}

/* A line the file may carry that is not a record: blank, comment, session. */
static bool skip_line(const char *l, size_t n)
{
	return n == 0 || l[0] == '#' || (n == 5 && memcmp(l, "hello", 5) == 0) ||
	       (n > 5 && memcmp(l, "hello ", 6) == 0) ||
	       (n == 3 && memcmp(l, "bye", 3) == 0);
}

/* Feed every record of @p f to @p s; 0 or an exit code (reported). */
static int feed(struct tw_keyimp_sess *s, FILE *f, const char *file)
{
	static const char hello[] = "hello versions=1 agent=twamp-ping source=file";
	struct reply r = { { 0 } };
	char *line = NULL, msg[320];
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int rc = 0;

	if (tw_keyimp_sess_line(s, hello, sizeof(hello) - 1, keep_reply, &r) != 0 ||
	    strncmp(r.line, "ok", 2) != 0)
		return ike_fail(file, 0, "key-import session refused");
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (skip_line(line, len))
			continue;
		if (len + 1 > TW_KEYIMP_LINE_MAX) {
			rc = ike_fail(file, lineno, "line longer than 4096 octets");
			break;
		}
		r.line[0] = '\0';
		if (tw_keyimp_sess_line(s, line, len, keep_reply, &r) < 0 ||
		    strncmp(r.line, "ok", 2) != 0) {
			snprintf(msg, sizeof(msg), "record refused: %s",
				 r.line[0] ? r.line : "no reply");
			rc = ike_fail(file, lineno, msg);
			break;
		}
	}
	if (line != NULL) {
		tw_crypto_wipe(line, cap);
		free(line);
	}
	return rc;
}

/* The server's address as key import writes it (`remote` of an IKE SA). */
static void peer_addr(const struct ping *p, struct tw_keyimp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)p->peer.ss_family;
	if (p->peer.ss_family == AF_INET)
		memcpy(a->addr, &((const struct sockaddr_in *)&p->peer)->sin_addr, 4);
	else
		memcpy(a->addr, &((const struct sockaddr_in6 *)&p->peer)->sin6_addr, 16);
}

static int load_file(struct tw_keyimp *t, const char *file)
{
	struct tw_keyimp_sess *s;
	FILE *f;
	int rc;

	f = fopen(file, "r");
	if (f == NULL)
		return ike_fail(file, 0, strerror(errno));
	s = tw_keyimp_sess_open(t);
	if (s == NULL) {
		fclose(f);
		return ike_fail(file, 0, strerror(ENOMEM));
	}
	rc = feed(s, f, file);
	fclose(f);
	tw_keyimp_sess_close(s);
	return rc;
}

/*
 * --ike-socket: serve a key-import socket (the IKE daemon's plugin pushes
 * to it) until an IKE SA with the server appears, at most ike_wait_s.
 */
static int wait_socket(struct ping *p, struct tw_keyimp *t, const struct tw_keyimp_addr *peer,
		       struct tw_keyimp_ike *ike)
{
	struct tw_keyimp_server_conf sc = { .path = p->o.ike_socket, .allow_uid = getuid() };
	struct tw_keyimp_server *srv = tw_keyimp_server_create(t, &sc);
	struct timespec ts;
	time_t end;
	int rc = -ENOENT;

	if (srv == NULL) {
		fprintf(stderr, "twamp-ping: --ike-socket %s: %s\n", p->o.ike_socket,
			strerror(errno));
		return PING_EXIT_SETUP;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + (time_t)p->o.ike_wait_s;
	do {
		(void)tw_keyimp_server_poll(srv, 100);
		rc = tw_keyimp_ike_by_peer(t, peer, ike);
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (rc != 0 && ts.tv_sec < end && !*p->stop);
	tw_keyimp_server_destroy(srv);
	if (rc != 0) {
		fprintf(stderr, "twamp-ping: --ike-socket %s: no IKE SA with remote=%s "
			"arrived within %u s\n", p->o.ike_socket, p->o.host, p->o.ike_wait_s);
		return PING_EXIT_SETUP;
	}
	return 0;
}

int ping_load_ike(struct ping *p)
{
	struct tw_keyimp_conf kc = { .ipsec_enabled = true };
	struct tw_keyimp_addr peer;
	struct tw_keyimp_ike ike;
	struct tw_keyimp *t;
	char a[64];
	int rc = 0;

	if (p->o.ike_keys == NULL && p->o.ike_socket == NULL)
		return 0;
	t = tw_keyimp_create(&kc);
	if (t == NULL)
		return setup_fail_ike(strerror(errno));
	peer_addr(p, &peer);
	if (p->o.ike_keys != NULL)
		rc = load_file(t, p->o.ike_keys);
	if (rc == 0 && tw_keyimp_ike_by_peer(t, &peer, &ike) != 0) {
		if (p->o.ike_socket != NULL) {
			rc = wait_socket(p, t, &peer, &ike);
		} else {
			snprintf(a, sizeof(a), "no IKE SA with remote=%s", p->o.host);
			rc = ike_fail(p->o.ike_keys, 0, a);
		}
	}
	if (rc == 0) {
		tw_proto_ctrl_keyid_from_spis(p->ike_keyid, ike.spi_i, ike.spi_r);
		memcpy(p->ike_secret, ike.secret, ike.secret_len);
		p->ike_secret_len = ike.secret_len;
		p->have_ike = true;
		tw_keyimp_ike_wipe(&ike);
	}
	tw_keyimp_destroy(t);
	return rc;
}
