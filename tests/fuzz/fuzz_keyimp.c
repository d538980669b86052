/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/keyimp (docs/key-import.md).
 *   lines: arbitrary bytes, split at LF, as records of one session after
 *          hello on a table holding an IKE SA and a Child SA. Every line
 *          gets exactly one final reply, `ok...` or `err <3 digits> ...`;
 *          an `err` changes nothing (the `list` output is the same before
 *          and after); no final reply echoes a key, no `sa` line carries a
 *          key field (skeyseed and keymat included).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tw_keyimp.h"

#define KEY "5d0e11223344556677889900aabbccddeeff00112233445566778899aabbccdd"
#define GCM "9f0c00112233445566778899aabbccddeeff0011"
#define IKE "ike-up spi-i=8a1f3c0e5b6d7a29 spi-r=3c94e17a00b2d4f1 prf=5 key=" KEY \
	" local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=C=CH,%20CN=b role=responder"
#define CHILD "child-add spi=c2a81f07 dir=out peer-spi=cf3e5a11 proto=esp mode=tunnel " \
	"src=198.18.0.1 dst=198.18.0.2 encap=udp encap-sport=4500 encap-dport=4500 " \
	"encr=20 encr-keylen=128 encr-key=" GCM " ts-local=10.1.0.0/24 " \
	"ts-remote=10.2.0.0/24[17/862-863] ike-spi-i=8a1f3c0e5b6d7a29 " \
	"ike-spi-r=3c94e17a00b2d4f1"

struct out {
	char *s;
	size_t len, cap;
	size_t last; /* offset of the last line */
	unsigned lines;
};

static int emit(void *arg, const char *line, size_t len)
{
	struct out *o = arg;

	TW_FUZZ_ASSERT(len > 0 && line[len - 1] == '\n');
	TW_FUZZ_ASSERT(memchr(line, '\n', len - 1) == NULL);
	if (o->len + len + 1 > o->cap) {
		o->cap = (o->len + len + 1) * 2;
		o->s = realloc(o->s, o->cap);
		TW_FUZZ_ASSERT(o->s != NULL);
	}
	o->last = o->len;
	memcpy(o->s + o->len, line, len);
	o->len += len;
	o->s[o->len] = '\0';
	o->lines++;
	return 0;
}

static void req(struct tw_keyimp_sess *s, const char *line, size_t len, struct out *o)
{
	o->len = o->last = 0;
	o->lines = 0;
	(void)tw_keyimp_sess_line(s, line, len, emit, o);
	TW_FUZZ_ASSERT(o->lines >= 1);
}

static void run_lines(const uint8_t *data, size_t len)
{
	struct tw_keyimp_conf c = { .max_ike = 4, .max_child = 4, .ipsec_enabled = true };
	struct tw_keyimp *t = tw_keyimp_create(&c);
	struct tw_keyimp_sess *s;
	struct out o = { 0 }, l = { 0 };
	char *before;
	size_t off = 0;

	TW_FUZZ_ASSERT(t != NULL);
	s = tw_keyimp_sess_open(t);
	TW_FUZZ_ASSERT(s != NULL);
	req(s, "hello versions=1", 16, &o);
	req(s, IKE, strlen(IKE), &o);
	req(s, CHILD, strlen(CHILD), &o);
	while (off < len) {
		const uint8_t *lf = memchr(data + off, '\n', len - off);
		size_t n = lf != NULL ? (size_t)(lf - (data + off)) : len - off;
		const char *rep;
		int err;

		req(s, "list", 4, &l);
		before = strdup(l.s);
		TW_FUZZ_ASSERT(before != NULL);
		req(s, (const char *)data + off, n, &o);
		rep = o.s + o.last;
		err = strncmp(rep, "err ", 4) == 0;
		TW_FUZZ_ASSERT(err || strncmp(rep, "ok", 2) == 0);
		if (err)
			TW_FUZZ_ASSERT(rep[4] >= '1' && rep[4] <= '5' && rep[7] == ' ');
		/* the final reply never echoes a key; `sa` lines (list) carry
		 * no key field (a client may put anything in its free text) */
		TW_FUZZ_ASSERT(strstr(rep, KEY) == NULL && strstr(rep, GCM) == NULL);
		TW_FUZZ_ASSERT(strstr(o.s, " key=") == NULL && strstr(o.s, " sk-d=") == NULL &&
			       strstr(o.s, " encr-key=") == NULL &&
			       strstr(o.s, " integ-key=") == NULL &&
			       strstr(o.s, " skeyseed=") == NULL &&
			       strstr(o.s, " keymat=") == NULL);
		if (err) {
			req(s, "list", 4, &l);
			TW_FUZZ_ASSERT(strcmp(before, l.s) == 0);
		}
		free(before);
		off += n + 1;
	}
	tw_keyimp_sess_close(s);
	tw_keyimp_destroy(t);
	free(o.s);
	free(l.s);
}

static void seeds_lines(tw_fuzz_emit_fn emit_seed, void *ctx)
{
	static const char *const seeds[] = {
		(IKE "\n" CHILD "\nlist\n"),
		("ike-rekey old-spi-i=8a1f3c0e5b6d7a29 old-spi-r=3c94e17a00b2d4f1 "
		 "spi-i=1111111111111111 spi-r=2222222222222222 prf=2 sk-d="
		 "000102030405060708090a0b0c0d0e0f10111213 local=2001:2::1 remote=2001:2::2 "
		 "local-id=x remote-id=y role=initiator\n"),
		("child-add spi=00001000 dir=in proto=ah mode=transport src=198.18.0.2 "
		 "dst=198.18.0.1 encap=none integ=2 integ-key=1111111111111111111111111111111111111111"
		 " ts-local=10.1.0.0-10.1.0.9,10.3.0.0/16[6] ts-remote=0.0.0.0/0[17/1-2]\n"),
		("child-del spi=c2a81f07 dir=out proto=esp dst=198.18.0.2 src=198.18.0.1\n"
		 "ike-down spi-i=8a1f3c0e5b6d7a29 spi-r=3c94e17a00b2d4f1 reason=a%20b\n"),
		"sync-begin\nsync-end\nping\nbye\n",
		/* the draft profile's secrets: SKEYSEED on ike-up/ike-rekey
		 * (a rekey's has the old SA's PRF length), KEYMAT on child-add
		 * (docs/key-import.md §6.1, §6.2, §6.4) */
		("ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" KEY
		 " skeyseed=" KEY " local=198.18.0.1 remote=198.18.0.2 local-id=a "
		 "remote-id=b role=initiator\n"
		 "child-add spi=00002001 dir=out peer-spi=00002002 proto=esp mode=tunnel "
		 "src=198.18.0.1 dst=198.18.0.2 encap=none encr=20 encr-keylen=128 encr-key="
		 GCM " ts-local=10.1.0.0/24 ts-remote=10.2.0.0/24 ike-spi-i=1111111111111111 "
		 "ike-spi-r=2222222222222222 keymat=" KEY "\n"
		 "ike-rekey old-spi-i=1111111111111111 old-spi-r=2222222222222222 "
		 "spi-i=3333333333333333 spi-r=4444444444444444 prf=2 sk-d="
		 "000102030405060708090a0b0c0d0e0f10111213 skeyseed=" KEY
		 " local=198.18.0.1 "
		 "remote=198.18.0.2 local-id=a remote-id=b role=responder\nlist\n"),
	};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		emit_seed(ctx, (const uint8_t *)seeds[i], strlen(seeds[i]));
}

TW_FUZZ_TARGETS(
	{ "lines", run_lines, seeds_lines },
);
