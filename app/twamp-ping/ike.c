/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ping: RFC 7717 keys from a file of key-import records
 * (docs/key-import.md), read with lib/keyimp's own parser and IKE SA table
 * so a record twamp-ping accepts is exactly one twamp-dp accepts. The IKE
 * SA is the newest one whose `remote` is the server's address (RFC 7717:
 * the client picks the IKE SA it shares with the server); its KeyID is
 * SPIi | SPIr | zeros and its secret prf(SK_d, "IPPM").
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

int ping_load_ike(struct ping *p)
{
	const char *file = p->o.ike_keys;
	struct tw_keyimp_conf kc = { .ipsec_enabled = true };
	struct tw_keyimp_addr peer;
	struct tw_keyimp *t;
	struct tw_keyimp_sess *s;
	struct tw_keyimp_ike ike;
	char a[64];
	FILE *f;
	int rc;

	if (file == NULL)
		return 0;
	f = fopen(file, "r");
	if (f == NULL)
		return ike_fail(file, 0, strerror(errno));
	t = tw_keyimp_create(&kc);
	s = t != NULL ? tw_keyimp_sess_open(t) : NULL;
	if (s == NULL) {
		fclose(f);
		tw_keyimp_destroy(t);
		return ike_fail(file, 0, strerror(ENOMEM));
	}
	rc = feed(s, f, file);
	fclose(f);
	tw_keyimp_sess_close(s);
	if (rc == 0) {
		memset(&peer, 0, sizeof(peer));
		peer.family = (uint8_t)p->peer.ss_family;
		if (p->peer.ss_family == AF_INET)
			memcpy(peer.addr, &((const struct sockaddr_in *)&p->peer)->sin_addr, 4);
		else
			memcpy(peer.addr, &((const struct sockaddr_in6 *)&p->peer)->sin6_addr, 16);
		if (tw_keyimp_ike_by_peer(t, &peer, &ike) != 0) {
			snprintf(a, sizeof(a), "no IKE SA with remote=%s", p->o.host);
			rc = ike_fail(file, 0, a);
		} else {
			tw_proto_ctrl_keyid_from_spis(p->ike_keyid, ike.spi_i, ike.spi_r);
			memcpy(p->ike_secret, ike.secret, ike.secret_len);
			p->ike_secret_len = ike.secret_len;
			p->have_ike = true;
			tw_keyimp_ike_wipe(&ike);
		}
	}
	tw_keyimp_destroy(t);
	return rc;
}
