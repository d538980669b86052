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
 *
 * With --ike-profile draft (the seed draft, docs/protocol.md) the same
 * records give the Child SA pair between this host and the server
 * (tw_keyimp_draft_find(), the lookup twamp-dp's server makes from its
 * side): its Protocol and SPIs are what the greeting must carry, its
 * SKEYSEED / KEYMAT or outbound keys key the connection.
 */
#include <arpa/inet.h>
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
#include "tw_ctrl_client.h"
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
 * This host's address towards the server: -S when given, else the one the
 * kernel routes from (a UDP connect sends nothing).
 */
static int local_addr(const struct ping *p, struct tw_keyimp_addr *a)
{
	struct sockaddr_storage ss = p->src;
	socklen_t sl = sizeof(ss);
	int fd;

	if (p->o.src == NULL) {
		fd = socket(p->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (const struct sockaddr *)&p->peer, p->peer_len) != 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		close(fd);
	}
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)ss.ss_family;
	if (ss.ss_family == AF_INET)
		memcpy(a->addr, &((const struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(a->addr, &((const struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	return 0;
}

/* What the table holds for this connection: 0 when found. */
struct want {
	bool draft;
	struct tw_keyimp_addr local, peer;
	struct tw_keyimp_ike ike;
	struct tw_keyimp_draft d;
};

static int find(struct tw_keyimp *t, struct want *w)
{
	if (w->draft)
		return tw_keyimp_draft_find(t, &w->local, &w->peer, &w->d);
	return tw_keyimp_ike_by_peer(t, &w->peer, &w->ike);
}

/*
 * --ike-socket: serve a key-import socket (the IKE daemon's plugin pushes
 * to it) until an IKE SA with the server appears, at most ike_wait_s.
 */
static int wait_socket(struct ping *p, struct tw_keyimp *t, struct want *w)
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
		rc = find(t, w);
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (rc != 0 && ts.tv_sec < end && !*p->stop);
	tw_keyimp_server_destroy(srv);
	if (rc != 0) {
		fprintf(stderr, "twamp-ping: --ike-socket %s: no %s with remote=%s "
			"arrived within %u s\n", p->o.ike_socket,
			w->draft ? "Child SA pair (both directions, of an IKE SA)" : "IKE SA",
			p->o.host, p->o.ike_wait_s);
		return PING_EXIT_SETUP;
	}
	return 0;
}

/* The seed draft's client view of the pair (the server sees it mirrored). */
static int draft_take(struct ping *p, const struct tw_keyimp_draft *d)
{
	int rc = tw_keyimp_draft_client(d, (enum tw_ctrl_draft_variant)p->o.ike_variant,
					p->o.ike_keymat, p->o.ike_sid_key, p->ike_secret,
					sizeof(p->ike_secret), &p->draft);

	if (rc == -ENOTSUP)
		return setup_fail_ike("the Child SA cannot key the draft's Alternative 2 "
				      "(AES-CBC/CTR-128 with HMAC-SHA1-96, "
				      "HMAC-SHA2-256-128 or AES-XCBC-96 needed)");
	if (rc == -ENOKEY)
		return setup_fail_ike(p->o.ike_keymat ?
				      "the Child SA has no keymat= (both directions)" :
				      "its IKE SA has no skeyseed=");
	if (rc != 0)
		return setup_fail_ike(strerror(-rc));
	p->ike_secret_len = p->draft.secret_len;
	p->have_draft = true;
	return 0;
}

int ping_load_ike(struct ping *p)
{
	struct tw_keyimp_conf kc = { .ipsec_enabled = true };
	struct want w;
	struct tw_keyimp *t;
	char a[160], l[64];
	int rc = 0;

	if (p->o.ike_keys == NULL && p->o.ike_socket == NULL)
		return 0;
	memset(&w, 0, sizeof(w));
	w.draft = p->o.ike_draft;
	peer_addr(p, &w.peer);
	if (w.draft) {
		rc = local_addr(p, &w.local);
		if (rc != 0)
			return setup_fail_ike(strerror(-rc));
	}
	t = tw_keyimp_create(&kc);
	if (t == NULL)
		return setup_fail_ike(strerror(errno));
	if (p->o.ike_keys != NULL)
		rc = load_file(t, p->o.ike_keys);
	if (rc == 0 && find(t, &w) != 0) {
		if (p->o.ike_socket != NULL) {
			rc = wait_socket(p, t, &w);
		} else if (w.draft) {
			if (inet_ntop(w.local.family, w.local.addr, l, sizeof(l)) == NULL)
				snprintf(l, sizeof(l), "?");
			snprintf(a, sizeof(a), "no Child SA pair (both directions, of an IKE SA) "
				 "between %s and %s", l, p->o.host);
			rc = ike_fail(p->o.ike_keys, 0, a);
		} else {
			snprintf(a, sizeof(a), "no IKE SA with remote=%s", p->o.host);
			rc = ike_fail(p->o.ike_keys, 0, a);
		}
	}
	if (rc == 0 && w.draft) {
		rc = draft_take(p, &w.d);
	} else if (rc == 0) {
		tw_proto_ctrl_keyid_from_spis(p->ike_keyid, w.ike.spi_i, w.ike.spi_r);
		memcpy(p->ike_secret, w.ike.secret, w.ike.secret_len);
		p->ike_secret_len = w.ike.secret_len;
		p->have_ike = true;
	}
	tw_keyimp_ike_wipe(&w.ike);
	tw_keyimp_draft_wipe(&w.d);
	tw_keyimp_destroy(t);
	return rc;
}
