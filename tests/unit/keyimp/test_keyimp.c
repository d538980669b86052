/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/keyimp: every record type good and bad (docs/key-import.md), exact
 * err replies for a golden table of bad lines, atomicity (a refused record
 * changes nothing), idempotency, rekey/delete, sync, RFC 7717 key from
 * SK_d, the ops callback, and the Unix socket server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tw_crypto.h"
#include "tw_keyimp.h"

#define SPI_I "8a1f3c0e5b6d7a29"
#define SPI_R "3c94e17a00b2d4f1"
#define K32 "5d0e11223344556677889900aabbccddeeff00112233445566778899aabbccdd"
#define IKE_FIELDS "spi-i=" SPI_I " spi-r=" SPI_R " prf=5 key=" K32 \
	" local=198.18.0.1 remote=198.18.0.2 local-id=dut.example " \
	"remote-id=C=CH,%20O=Lab,%20CN=peer role=responder"
#define IKE_UP "ike-up " IKE_FIELDS
#define GCMKEY "9f0c00112233445566778899aabbccddeeff0011"
#define CBCKEY "00a1b2c3d4e5f60718293a4b5c6d7e8f"
#define SHAKEY "4b2e00112233445566778899aabbccddeeff00112233445566778899aabbccdd"
#define C_OUT "child-add spi=c2a81f07 dir=out peer-spi=cf3e5a11 proto=esp " \
	"mode=tunnel src=198.18.0.1 dst=198.18.0.2 encap=udp encap-sport=4500 " \
	"encap-dport=4500 encr=20 encr-name=aes-gcm-16 encr-keylen=128 encr-key=" \
	GCMKEY " esn=no ts-local=10.1.0.0/24 ts-remote=10.2.0.0/24[17/862-863] " \
	"ike-spi-i=" SPI_I " ike-spi-r=" SPI_R " reqid=1 unique=1 name=twamp"
#define C_IN_BASE "child-add spi=cf3e5a11 dir=in proto=esp mode=tunnel " \
	"src=198.18.0.2 dst=198.18.0.1 encap=none encr=12 encr-keylen=128 " \
	"encr-key=" CBCKEY " ts-local=10.1.0.0/24 ts-remote=10.2.0.0/24"
#define C_IN C_IN_BASE " integ=12 integ-key=" SHAKEY " ike-spi-i=" SPI_I \
	" ike-spi-r=" SPI_R
#define TS " ts-local=10.1.0.0/24 ts-remote=10.2.0.0/24"
#define AH6 "child-add spi=00001000 dir=in proto=ah mode=transport " \
	"src=2001:2::2 dst=2001:2::1 encap=none integ=2 integ-key=" \
	"1111111111111111111111111111111111111111 ts-local=2001:2::1/128 " \
	"ts-remote=2001:2::2/128[17/0-65535]"
#define DOWN "ike-down spi-i=" SPI_I " spi-r=" SPI_R
/* draft profile secrets (docs/key-import.md §6.1, §6.4) */
#define SEED32 "a5eed0112233445566778899aabbccddeeff00112233445566778899aabbc5ed"
#define SEED64 "b5eed0112233445566778899aabbccddeeff00112233445566778899aabbccdd" \
	"eeff00112233445566778899aabbccddeeff00112233445566778899aabb6464"
#define KM32 "c0ffee112233445566778899aabbccddeeff00112233445566778899aabbcafe"
#define KM32B "d0ffee112233445566778899aabbccddeeff00112233445566778899aabbcafe"
#define IKE_NEW "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32 \
	" local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator"

/* ---- harness ---- */

struct out {
	char s[256 * 1024];
	size_t len;
	char last[8192]; /* the final reply line, without LF */
};

static int emit(void *arg, const char *line, size_t len)
{
	struct out *o = arg;

	if (o->len + len >= sizeof(o->s))
		return -ENOBUFS;
	memcpy(o->s + o->len, line, len);
	o->len += len;
	o->s[o->len] = '\0';
	assert_true(len >= 1 && line[len - 1] == '\n');
	snprintf(o->last, sizeof(o->last), "%.*s", (int)(len - 1), line);
	return 0;
}

struct ops_state {
	unsigned adds, dels;
	int fail;           /* next child_add returns this */
	unsigned logs;
	char log[1024];
};

static int op_add(void *arg, const struct tw_keyimp_child *c)
{
	struct ops_state *o = arg;

	(void)c;
	if (o->fail != 0) {
		int rc = o->fail;

		o->fail = 0;
		return rc;
	}
	o->adds++;
	return 0;
}

static void op_del(void *arg, const struct tw_keyimp_child *c)
{
	struct ops_state *o = arg;

	(void)c;
	o->dels++;
}

static void op_counters(void *arg, const struct tw_keyimp_child *c,
			struct tw_keyimp_child_counters *out)
{
	(void)arg;
	out->packets = c->spi & 0xff;
	out->bytes = 1000;
	out->errors = 2;
}

static void op_log(void *arg, const char *msg)
{
	struct ops_state *o = arg;

	o->logs++;
	/* keys never reach the log */
	assert_null(strstr(msg, K32));
	assert_null(strstr(msg, GCMKEY));
	assert_null(strstr(msg, SHAKEY));
	assert_null(strstr(msg, SEED32));
	assert_null(strstr(msg, KM32));
	assert_null(strstr(msg, KM32B));
	snprintf(o->log, sizeof(o->log), "%s", msg);
}

struct fx {
	struct tw_keyimp *t;
	struct tw_keyimp_sess *s;
	struct ops_state ops;
	struct out o;
};

static struct fx *fx_new(uint32_t max_ike, uint32_t max_child, bool ipsec)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tw_keyimp_conf c = {
		.max_ike = max_ike, .max_child = max_child, .ipsec_enabled = ipsec,
		.ops = { op_add, op_del, op_counters, op_log, NULL },
	};

	assert_non_null(f);
	c.ops.arg = &f->ops;
	f->t = tw_keyimp_create(&c);
	assert_non_null(f->t);
	f->s = tw_keyimp_sess_open(f->t);
	assert_non_null(f->s);
	return f;
}

static void fx_free(struct fx *f)
{
	tw_keyimp_sess_close(f->s);
	tw_keyimp_destroy(f->t);
	free(f);
}

/* Send one line; returns the final reply line. */
static const char *req(struct fx *f, const char *line)
{
	f->o.len = 0;
	f->o.s[0] = '\0';
	assert_true(tw_keyimp_sess_line(f->s, line, strlen(line), emit, &f->o) >= 0);
	return f->o.last;
}

#define REQ(f, line, want) assert_string_equal(req(f, line), want)

static struct fx *fx_ready(void)
{
	struct fx *f = fx_new(0, 0, true);

	REQ(f, "hello versions=1 agent=unit source=test", "ok version=1");
	REQ(f, IKE_UP, "ok added");
	REQ(f, C_OUT, "ok added");
	return f;
}

/* The whole table as text (list without a source filter). */
static void snapshot(struct fx *f, char *buf, size_t n)
{
	req(f, "list");
	snprintf(buf, n, "%s", f->o.s);
}

/* ---- handshake ---- */

static void test_hello(void **state)
{
	struct fx *f = fx_new(0, 0, true);

	(void)state;
	REQ(f, "ping", "err 426 hello-required");
	REQ(f, IKE_UP, "err 426 hello-required");
	REQ(f, "hello agent=x", "err 402 missing-field versions");
	REQ(f, "hello versions=1 foo=1", "err 402 unknown-field foo");
	REQ(f, "hello versions=1,x", "err 412 bad-value versions: comma-separated numbers");
	REQ(f, "hello versions=1 source=Upper", "err 412 bad-value source: [a-z0-9-]{1,32}");
	REQ(f, "hello versions=2,1 agent=a%20b source=strongswan", "ok version=1");
	REQ(f, "hello versions=1", "err 426 hello-repeated");
	REQ(f, "ping", "ok");
	REQ(f, "ping x=1", "err 402 unknown-field x");
	assert_int_equal(tw_keyimp_sess_line(f->s, "bye", 3, emit, &f->o), 1);
	assert_string_equal(f->o.last, "ok");
	fx_free(f);

	f = fx_new(0, 0, true);
	assert_int_equal(tw_keyimp_sess_line(f->s, "hello versions=2,3", 18, emit,
					     &f->o), 1);
	assert_string_equal(f->o.last, "err 505 version supported=1");
	fx_free(f);
}

/* ---- golden table: bad line -> exact reply, and nothing changed ---- */

static const struct {
	const char *line, *reply;
} golden[] = {
	{ "", "err 400 syntax: empty line or bad spacing" },
	{ " ping", "err 400 syntax: empty line or bad spacing" },
	{ "ping ", "err 400 syntax: empty line or bad spacing" },
	{ "ike-down  spi-i=" SPI_I " spi-r=" SPI_R,
	  "err 400 syntax: empty line or bad spacing" },
	{ "ping\r", "err 400 syntax: CR or NUL" },
	{ "ping\t", "err 400 syntax: octet outside printable ASCII" },
	{ "ping \xe9", "err 400 syntax: octet outside printable ASCII" },
	{ "Ping", "err 400 syntax: verb" },
	{ "ike_down spi-i=1", "err 400 syntax: verb" },
	{ DOWN " reason", "err 400 syntax: field 3 without '='" },
	{ DOWN " Reason=x", "err 400 syntax: field name" },
	{ DOWN " =x", "err 400 syntax: field name" },
	{ DOWN " x-a=1 x-b=2 x-c=3 x-d=4 x-e=5", "err 400 syntax: more than 4 x- fields" },
	{ DOWN " x-a=1 x-a=2", "err 402 duplicate-field x-a" },
	{ DOWN " spi-i=" SPI_I, "err 402 duplicate-field spi-i" },
	{ "ike-down spi-i=%38a1f3c0e5b6d7a29 spi-r=" SPI_R, "err 400 bad-escape spi-i" },
	{ DOWN " reason=a%2", "err 400 bad-escape reason" },
	{ DOWN " reason=a%zzb", "err 400 bad-escape reason" },
	{ DOWN " reason=a%00b", "err 400 bad-escape reason" },
	{ "frobnicate spi=1", "err 401 unknown-record frobnicate" },
	/* a client-chosen name that could be key material is not echoed */
	{ "5d0e11223344556677889900aabbccdd", "err 401 unknown-record (32 octets)" },
	{ "ping-5d0e11223344556677889900aabbccdd", "err 401 unknown-record (37 octets)" },
	{ DOWN " 5d0e1122=1", "err 402 unknown-field (8 octets)" },
	{ DOWN " x-5d0e1122=1 x-5d0e1122=2", "err 402 duplicate-field x-5d0e1122" },
	{ DOWN " abcdef=%41", "err 400 bad-escape (6 octets)" },
	{ "ike-down spi-i=" SPI_I, "err 402 missing-field spi-r" },
	{ DOWN " foo=1", "err 402 unknown-field foo" },
	{ "ike-down spi-i=0000000000000000 spi-r=" SPI_R,
	  "err 412 bad-value spi-i: need 16 hex digits, not all zero" },
	{ "ike-down spi-i=8a1f3c0e5b6d7a2 spi-r=" SPI_R,
	  "err 412 bad-value spi-i: need 16 hex digits, not all zero" },
	{ "ike-down spi-i=8a1f3c0e5b6d7a2g spi-r=" SPI_R,
	  "err 412 bad-value spi-i: need 16 hex digits, not all zero" },
	{ DOWN " unique=01", "err 412 bad-value unique: need 0..4294967295" },
	{ DOWN " unique=4294967296", "err 412 bad-value unique: need 0..4294967295" },
	/* ike-up */
	{ "ike-up spi-i=" SPI_I, "err 402 missing-field local" },
	{ IKE_UP " sk-d=" K32, "err 402 field-not-allowed key/sk-d: exactly one" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 local=198.18.0.1 "
	  "remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 402 field-not-allowed key/sk-d: exactly one" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32 "00 "
	  "local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value key: length 33, need 32" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=abc "
	  "local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value key: not an even number of hex digits" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=3 key=" K32
	  " local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 422 unsupported prf 3" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 prf-name=prf-hmac-sha1 "
	  "key=" K32 " local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value prf-name: 5 is prf-hmac-sha2-256" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32
	  " local=198.18.0.1 remote=2001:2::2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value remote: address family differs" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32
	  " local=198.18.0 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value local: address" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32
	  " local=fe80::1%eth0 remote=fe80::2 local-id=a remote-id=b role=initiator",
	  "err 400 bad-escape local" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32
	  " local=198.18.0.1 remote=198.18.0.2 local-port=0 local-id=a remote-id=b "
	  "role=initiator", "err 412 bad-value local-port: need 1..65535" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32
	  " local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=both",
	  "err 412 bad-value role: one of initiator/responder" },
	{ "ike-up spi-i=" SPI_I " spi-r=" SPI_R " prf=5 key=" K32 " local=198.18.0.1 "
	  "remote=198.18.0.2 local-id=other remote-id=peer role=responder",
	  "err 409 conflict spi-i/spi-r exist with other content" },
	/* ike-rekey */
	{ "ike-rekey old-spi-i=1111111111111111 old-spi-r=2222222222222222 spi-i=3333333333333333 "
	  "spi-r=4444444444444444 prf=5 key=" K32 " local=198.18.0.1 remote=198.18.0.2 "
	  "local-id=a remote-id=b role=initiator", "err 404 unknown-ike-sa old-spi-i/old-spi-r" },
	{ "ike-rekey old-spi-i=" SPI_I " old-spi-r=" SPI_R " " IKE_FIELDS,
	  "err 412 bad-value spi-i: new SPIs equal the old ones" },
	{ "ike-rekey " IKE_FIELDS, "err 402 missing-field old-spi-i" },
	/* child-add */
	{ "child-add spi=000000ff dir=in proto=ah mode=transport src=2001:2::2 dst=2001:2::1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111" TS,
	  "err 412 bad-value spi: 1..255 are reserved" },
	{ "child-add spi=00000000 dir=in proto=ah mode=transport src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111" TS,
	  "err 412 bad-value spi: 0 is not a valid SPI" },
	{ "child-add spi=1000 dir=in proto=ah mode=transport src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111" TS,
	  "err 412 bad-value spi: need 8 hex digits" },
	{ "child-add spi=00001000 dir=up proto=ah mode=transport src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111" TS,
	  "err 412 bad-value dir: one of in/out" },
	{ "child-add spi=00001000 dir=in proto=gre mode=transport src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none" TS, "err 412 bad-value proto: one of esp/ah" },
	{ "child-add spi=00001000 dir=in proto=ah mode=beet src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none" TS, "err 412 bad-value mode: one of tunnel/transport" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=2001:2::1 "
	  "encap=none" TS, "err 412 bad-value dst: address family differs" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=udp encap-sport=4500 encap-dport=4500" TS,
	  "err 412 bad-value encap: udp only with esp" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=udp encap-dport=4500" TS, "err 402 missing-field encap-sport" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encap-sport=4500" TS, "err 402 field-not-allowed encap-sport" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=udp encap-sport=4500 encap-dport=65536" TS,
	  "err 412 bad-value encap-dport: need 1..65535" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none" TS, "err 402 missing-field encr" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=3" TS, "err 422 unsupported encr 3" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=12 encr-name=aes-gcm-16" TS,
	  "err 412 bad-value encr-name: 12 is aes-cbc" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=11 encr-key=00" TS, "err 402 field-not-allowed encr-key" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=12 encr-key=" CBCKEY TS, "err 402 missing-field encr-keylen" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=12 encr-keylen=100 encr-key=" CBCKEY TS,
	  "err 412 bad-value encr-keylen: 128, 192 or 256" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=12 encr-keylen=256 encr-key=" CBCKEY TS,
	  "err 412 bad-value encr-key: length 16, need 32" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=20 encr-keylen=128 encr-key=" CBCKEY TS,
	  "err 412 bad-value encr-key: length 16, need 20" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=12 integ=2" TS, "err 402 field-not-allowed encr" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=20 encr-keylen=128 encr-key=" GCMKEY " integ=12 integ-key=" SHAKEY TS,
	  "err 402 field-not-allowed integ" },
	{ C_IN_BASE, "err 422 unsupported integ: ESP without integrity is refused" },
	{ "child-add spi=00001000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none encr=11" TS, "err 422 unsupported integ: ESP without integrity is refused" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none" TS, "err 402 missing-field integ" },
	{ C_IN_BASE " integ=12", "err 402 missing-field integ-key" },
	{ C_IN_BASE " integ=7 integ-key=" SHAKEY, "err 422 unsupported integ 7" },
	{ C_IN_BASE " integ=12 integ-name=hmac-sha1-96 integ-key=" SHAKEY,
	  "err 412 bad-value integ-name: 12 is hmac-sha2-256-128" },
	{ C_IN_BASE " integ=2 integ-key=" SHAKEY, "err 412 bad-value integ-key: length 32, need 20" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " esn=true", "err 412 bad-value esn: one of no/yes" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " replay-window=0",
	  "err 412 bad-value replay-window: 0 only for out" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " replay-window=4097",
	  "err 412 bad-value replay-window: need 0..4096" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " ike-spi-i=" SPI_I,
	  "err 402 missing-field ike-spi-i/ike-spi-r: both or neither" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " ike-spi-i=1111111111111111 "
	  "ike-spi-r=2222222222222222", "err 404 unknown-ike-sa ike-spi-i/ike-spi-r" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " reqid=-1",
	  "err 412 bad-value reqid: need 0..4294967295" },
	/* traffic selectors */
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.1/24 ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: host bits set" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/33 ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: prefix length" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24 ts-remote=2001:2::/64",
	  "err 412 bad-value ts-remote: address family differs from the SA's" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.9-10.1.0.1 ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: range" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.9 ts-remote=10.2.0.0/24",
	  "err 412 bad-value ts-local: selector needs /len or a range" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24[256] ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: protocol" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24[17/900-800] ts-remote=10.2.0.0/24",
	  "err 412 bad-value ts-local: port range" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24[17/70000] ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: port" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24[17 ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: selector syntax" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24, ts-remote=10.2.0.0/24", "err 412 bad-value ts-local: selector syntax" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=10.1.0.0/24,,10.3.0.0/24 ts-remote=10.2.0.0/24",
	  "err 412 bad-value ts-local: selector syntax" },
	{ "child-add spi=00001000 dir=in proto=ah mode=tunnel src=198.18.0.2 dst=198.18.0.1 "
	  "encap=none integ=2 integ-key=1111111111111111111111111111111111111111 "
	  "ts-local=1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8,7.0.0.0/8,"
	  "8.0.0.0/8,9.0.0.0/8,10.0.0.0/8,11.0.0.0/8,12.0.0.0/8,13.0.0.0/8,14.0.0.0/8,"
	  "15.0.0.0/8,16.0.0.0/8,17.0.0.0/8 ts-remote=10.2.0.0/24",
	  "err 412 bad-value ts-local: 1..16 selectors" },
	{ C_OUT " x-z=1", "ok unchanged" },
	{ "child-add spi=c2a81f07 dir=out proto=esp mode=tunnel src=198.18.0.1 dst=198.18.0.2 "
	  "encap=none encr=20 encr-keylen=128 encr-key=" GCMKEY TS,
	  "err 409 conflict spi/dst exist with other content" },
	/* skeyseed (ike-up, ike-rekey) and keymat (child-add) */
	{ IKE_NEW " skeyseed=" SEED32 "00", "err 412 bad-value skeyseed: length 33, need 32" },
	{ IKE_NEW " skeyseed=a5eed011", "err 412 bad-value skeyseed: length 4, need 32" },
	{ IKE_NEW " skeyseed=" SEED64, "err 412 bad-value skeyseed: length 64, need 32" },
	{ IKE_NEW " skeyseed=a5e", "err 412 bad-value skeyseed: not an even number of hex digits" },
	{ IKE_NEW " skeyseed=", "err 412 bad-value skeyseed: not an even number of hex digits" },
	{ IKE_NEW " skeyseed=a5eed0112233445566778899aabbccddeeff00112233445566778899aabbc5eg",
	  "err 412 bad-value skeyseed: not an even number of hex digits" },
	{ IKE_NEW " skeyseed=%41" SEED32, "err 400 bad-escape skeyseed" },
	{ IKE_NEW " skeyseed=" SEED32 " skeyseed=" SEED32, "err 402 duplicate-field skeyseed" },
	{ "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=2 key="
	  "000102030405060708090a0b0c0d0e0f10111213 skeyseed=" SEED32 " local=198.18.0.1 "
	  "remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value skeyseed: length 32, need 20" },
	{ IKE_UP " skeyseed=" SEED32, "err 409 conflict spi-i/spi-r exist with other content" },
	{ IKE_NEW " skeyseed=" SEED64 "00", "err 412 bad-value skeyseed: too long" },
	/* rekeyed: SKEYSEED comes from the old SA's PRF (RFC 7296 §2.18) */
	{ "ike-rekey old-spi-i=" SPI_I " old-spi-r=" SPI_R " spi-i=51c0de2277aa9031 "
	  "spi-r=e0f1a2b3c4d5e6f7 prf=7 key=" SHAKEY SHAKEY " skeyseed=" SEED64
	  " local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	  "err 412 bad-value skeyseed: length 64, need 32 (the old IKE SA's PRF output)" },
	{ DOWN " skeyseed=" SEED32, "err 402 unknown-field skeyseed" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " keymat=" KM32,
	  "err 402 field-not-allowed keymat: needs ike-spi-i/ike-spi-r" },
	{ C_IN " keymat=" CBCKEY,
	  "err 412 bad-value keymat: length 16, need 32 (the IKE SA's PRF output)" },
	{ C_IN " keymat=" SEED64,
	  "err 412 bad-value keymat: length 64, need 32 (the IKE SA's PRF output)" },
	{ C_IN " keymat=" SEED64 "00", "err 412 bad-value keymat: too long" },
	{ C_IN " keymat=c0f", "err 412 bad-value keymat: not an even number of hex digits" },
	{ C_IN " keymat=" KM32 " keymat=" KM32, "err 402 duplicate-field keymat" },
	{ C_IN " keymat=%43" KM32, "err 400 bad-escape keymat" },
	{ C_IN_BASE " integ=12 integ-key=" SHAKEY " ike-spi-i=1111111111111111 "
	  "ike-spi-r=2222222222222222 keymat=" KM32, "err 404 unknown-ike-sa ike-spi-i/ike-spi-r" },
	{ C_OUT " keymat=" KM32, "err 409 conflict spi/dst exist with other content" },
	/* child-del */
	{ "child-del spi=c2a81f07 dir=out proto=esp dst=198.18.0.2 keymat=" KM32,
	  "err 402 unknown-field keymat" },
	{ "child-del spi=c2a81f07 dir=out proto=esp", "err 402 missing-field dst" },
	{ "child-del spi=c2a81f07 dir=out proto=esp dst=198.18.0.2 src=198.18.0.9",
	  "err 409 conflict src" },
	{ "child-del spi=c2a81f07 dir=out proto=esp dst=198.18.0.2 ike-spi-i=1111111111111111 "
	  "ike-spi-r=2222222222222222", "err 409 conflict ike-spi-i/ike-spi-r" },
	{ "child-del spi=c2a81f07 dir=out proto=esp dst=198.18.0.2 encr=20",
	  "err 402 unknown-field encr" },
	/* session records */
	{ "sync-end", "err 412 bad-value sync: not in a sync" },
	{ "list source=A", "err 412 bad-value source: [a-z0-9-]{1,32}" },
	{ "hello versions=1", "err 426 hello-repeated" },
};

static void test_golden(void **state)
{
	static char before[256 * 1024], after[256 * 1024];
	struct fx *f = fx_ready();
	struct tw_keyimp_stats st0, st1;

	(void)state;
	snapshot(f, before, sizeof(before));
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		size_t len = strlen(golden[i].line);

		f->o.len = 0;
		assert_true(tw_keyimp_sess_line(f->s, golden[i].line, len, emit, &f->o) >= 0);
		if (strcmp(f->o.last, golden[i].reply) != 0)
			fail_msg("line %zu: %.80s...\n  got  %s\n  want %s", i, golden[i].line,
				 f->o.last, golden[i].reply);
		snapshot(f, after, sizeof(after));
		if (strcmp(before, after) != 0)
			fail_msg("line %zu changed the table", i);
	}
	/* a NUL inside the line (the length covers it) */
	tw_keyimp_stats_get(f->t, &st0);
	f->o.len = 0;
	tw_keyimp_sess_line(f->s, "ping\0x", 6, emit, &f->o);
	assert_string_equal(f->o.last, "err 400 syntax: CR or NUL");
	tw_keyimp_stats_get(f->t, &st1);
	assert_int_equal(st1.records_err, st0.records_err + 1);
	assert_int_equal(f->ops.adds, 1);
	assert_int_equal(f->ops.dels, 0);
	fx_free(f);
}

static void test_line_limits(void **state)
{
	struct fx *f = fx_ready();
	char *line = malloc(TW_KEYIMP_LINE_MAX + 8);
	char txt[400];
	size_t n;

	(void)state;
	/* 4095 octets + LF is the longest line */
	n = (size_t)snprintf(line, TW_KEYIMP_LINE_MAX, "%s x-pad=", DOWN);
	memset(line + n, 'a', TW_KEYIMP_LINE_MAX - 1 - n);
	line[TW_KEYIMP_LINE_MAX - 1] = '\0';
	REQ(f, line, "ok deleted children=1");
	line[TW_KEYIMP_LINE_MAX - 1] = 'a';
	line[TW_KEYIMP_LINE_MAX] = '\0';
	REQ(f, line, "err 400 line-too-long");
	free(line);
	/* 48 fields */
	strcpy(txt, "ping");
	line = calloc(1, 1024);
	strcpy(line, DOWN);
	for (unsigned i = 2; i < TW_KEYIMP_FIELDS_MAX; i++)
		sprintf(line + strlen(line), " x%u=1", i); /* unknown, but counted */
	REQ(f, line, "err 402 unknown-field x2");
	strcat(line, " x48=1");
	REQ(f, line, "err 400 syntax: too many fields");
	free(line);
	/* free text: 255 octets decoded is the limit; escapes decode */
	n = (size_t)snprintf(txt, sizeof(txt), "%s reason=", DOWN);
	memset(txt + n, 'r', 255);
	txt[n + 255] = '\0';
	REQ(f, txt, "ok absent");
	strcat(txt, "r");
	REQ(f, txt, "err 412 bad-value reason: longer than 255 octets");
	txt[strlen(txt) - 4] = '%';
	txt[strlen(txt) - 3] = '4';
	txt[strlen(txt) - 2] = '1';
	txt[strlen(txt) - 1] = '\0';
	REQ(f, txt, "ok absent");
	fx_free(f);
}

/* ---- IKE SAs ---- */

static void test_ike(void **state)
{
	struct fx *f = fx_ready();
	struct tw_keyimp_ike k, k2;
	struct tw_keyimp_addr a;
	uint8_t si[8], sr[8];

	(void)state;
	REQ(f, IKE_UP, "ok unchanged");
	/* same content in another order, hex upper case, name matches */
	REQ(f, "ike-up role=responder spi-r=3C94E17A00B2D4F1 spi-i=" SPI_I
	    " prf=5 prf-name=PRF-HMAC-SHA2-256 key=" K32 " local=198.18.0.1 remote=198.18.0.2 "
	    "local-id=dut.example remote-id=C=CH,%20O=Lab,%20CN=peer", "ok unchanged");
	assert_int_equal(tw_keyimp_ike_count(f->t), 1);
	memcpy(si, "\x8a\x1f\x3c\x0e\x5b\x6d\x7a\x29", 8);
	memcpy(sr, "\x3c\x94\xe1\x7a\x00\xb2\xd4\xf1", 8);
	assert_int_equal(tw_keyimp_ike_get(f->t, si, sr, &k), 0);
	assert_int_equal(k.prf, 5);
	assert_int_equal(k.secret_len, 32);
	assert_int_equal(k.secret[0], 0x5d);
	assert_int_equal(k.secret[31], 0xdd);
	assert_string_equal(k.remote_id, "C=CH, O=Lab, CN=peer");
	assert_string_equal(k.source, "test");
	assert_false(k.initiator);
	assert_int_equal(tw_keyimp_ike_get(f->t, sr, si, &k2), -ENOENT);
	/* by peer: the newest wins */
	assert_int_equal(tw_keyimp_addr_parse("198.18.0.2", &a), 0);
	REQ(f, "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=2 key="
	    "000102030405060708090a0b0c0d0e0f10111213 local=198.18.0.1 remote=198.18.0.2 "
	    "local-id=a remote-id=b role=initiator", "ok added");
	assert_int_equal(tw_keyimp_ike_by_peer(f->t, &a, &k2), 0);
	assert_int_equal(k2.prf, 2);
	assert_true(k2.generation > k.generation);
	assert_int_equal(tw_keyimp_addr_parse("198.18.0.3", &a), 0);
	assert_int_equal(tw_keyimp_ike_by_peer(f->t, &a, &k2), -ENOENT);
	/* the copy is a snapshot: deleting the SA leaves it alone, wipe clears it */
	REQ(f, DOWN, "ok deleted children=1");
	assert_int_equal(f->ops.dels, 1);
	assert_int_equal(k.secret[0], 0x5d);
	assert_int_equal(tw_keyimp_ike_get(f->t, si, sr, &k2), -ENOENT);
	REQ(f, DOWN, "ok absent");
	tw_keyimp_ike_wipe(&k);
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(((uint8_t *)&k)[i], 0);
	assert_int_equal(tw_keyimp_ike_count(f->t), 1);
	fx_free(f);
}

/* RFC 7717 §5.1: with sk-d the server stores prf(SK_d, "IPPM"). */
static void test_skd(void **state)
{
	static const struct {
		unsigned prf;
		const char *skd, *want;
	} v[] = {
		{ 2, "000102030405060708090a0b0c0d0e0f10111213",
		  "4e3056d3e8add3f5602d47b6a6d310ce9348f628" },
		{ 5, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		  "3de721e3b578c7268638ca7d70c7b0781d588cca6f7a6f99ec9a5cb1f59bd51f" },
		{ 6, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		     "202122232425262728292a2b2c2d2e2f",
		  "96bccf834926cc237a44c0fbcecb35c1a2537e74a7e16a6868f14e87ee7b49a5"
		  "291656bb0fb13dcae5e1bd68cd280ca3" },
		{ 7, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		     "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		  "4d2e001d46688c58ec9e54ac0c22de13ed6ed195143c322f27a6aede03ea8333"
		  "08c3a2612f03d0921199f3cb563fce580f477a0a3ce758f75d65efdcbc684cb0" },
	};

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		struct fx *f = fx_new(0, 0, true);
		uint8_t skd[64], want[64];
		char line[600], hex[200] = "";
		struct tw_keyimp_ike k;
		uint32_t it = 0;
		size_t n = strlen(v[i].skd) / 2;
		int rc;

		REQ(f, "hello versions=1", "ok version=1");
		snprintf(line, sizeof(line), "ike-up spi-i=1111111111111111 spi-r="
			 "2222222222222222 prf=%u sk-d=%s local=2001:2::1 remote=2001:2::2 "
			 "local-id=a remote-id=b role=initiator", v[i].prf, v[i].skd);
		REQ(f, line, "ok added");
		assert_int_equal(tw_keyimp_ike_iter(f->t, &it, &k), 1);
		for (size_t j = 0; j < n; j++)
			skd[j] = (uint8_t)j;
		rc = tw_crypto_rfc7717_secret((enum tw_crypto_prf)v[i].prf, skd, n, want);
		assert_int_equal(rc, (int)n);
		assert_int_equal(k.secret_len, n);
		assert_memory_equal(k.secret, want, n);
		for (size_t j = 0; j < n; j++)
			sprintf(hex + 2 * j, "%02x", k.secret[j]);
		assert_string_equal(hex, v[i].want);
		/* the same SA with the derived key given directly: identical */
		snprintf(line, sizeof(line), "ike-up spi-i=1111111111111111 spi-r="
			 "2222222222222222 prf=%u key=%s local=2001:2::1 remote=2001:2::2 "
			 "local-id=a remote-id=b role=initiator", v[i].prf, v[i].want);
		REQ(f, line, "ok unchanged");
		/* list shows neither SK_d nor the key */
		req(f, "list");
		assert_null(strstr(f->o.s, v[i].want));
		assert_null(strstr(f->o.s, v[i].skd));
		assert_null(strstr(f->o.s, "key="));
		assert_null(strstr(f->o.s, "sk-d="));
		tw_keyimp_ike_wipe(&k);
		fx_free(f);
	}
}

static void test_rekey(void **state)
{
	struct fx *f = fx_ready();
	const char *rekey = "ike-rekey old-spi-i=" SPI_I " old-spi-r=" SPI_R
		" spi-i=51c0de2277aa9031 spi-r=e0f1a2b3c4d5e6f7 prf=5 key=" K32
		" local=198.18.0.1 remote=198.18.0.2 local-id=dut.example "
		"remote-id=peer.example role=initiator";
	uint8_t si[8], sr[8];
	struct tw_keyimp_ike k;
	struct tw_keyimp_stats st;

	(void)state;
	REQ(f, C_IN, "ok added");
	REQ(f, rekey, "ok added");
	assert_int_equal(tw_keyimp_ike_count(f->t), 1);
	memcpy(si, "\x8a\x1f\x3c\x0e\x5b\x6d\x7a\x29", 8);
	memcpy(sr, "\x3c\x94\xe1\x7a\x00\xb2\xd4\xf1", 8);
	assert_int_equal(tw_keyimp_ike_get(f->t, si, sr, &k), -ENOENT);
	/* the children moved: the old SPIs are now unknown, the new ones own them */
	REQ(f, C_OUT, "err 404 unknown-ike-sa ike-spi-i/ike-spi-r");
	req(f, "list");
	assert_non_null(strstr(f->o.s, "ike-spi-i=51c0de2277aa9031"));
	assert_null(strstr(f->o.s, "ike-spi-i=" SPI_I));
	/* a repeat of the rekey: unchanged */
	REQ(f, rekey, "ok unchanged");
	REQ(f, "ike-down spi-i=51c0de2277aa9031 spi-r=e0f1a2b3c4d5e6f7 reason=deleted",
	    "ok deleted children=2");
	assert_int_equal(f->ops.dels, 2);
	REQ(f, "list", "ok count=0");
	tw_keyimp_stats_get(f->t, &st);
	assert_int_equal(st.ike_rekeyed, 1);
	assert_int_equal(st.child_deleted, 2);
	fx_free(f);
}

/* ---- Child SAs ---- */

static void test_child(void **state)
{
	struct fx *f = fx_ready();
	struct tw_keyimp_child c;
	uint32_t it = 0;

	(void)state;
	REQ(f, C_OUT, "ok unchanged");
	REQ(f, C_IN, "ok added");
	REQ(f, AH6, "ok added");
	REQ(f, "child-add spi=00002000 dir=out proto=esp mode=transport src=198.18.0.1 "
	    "dst=198.18.0.2 encap=none encr=11 integ=14 integ-key=" SHAKEY SHAKEY
	    " replay-window=0" TS, "ok added");
	REQ(f, "child-add spi=00003000 dir=in proto=esp mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none encr=13 encr-keylen=256 encr-key=" SHAKEY "01020304"
	    " integ=5 integ-key=" CBCKEY " esn=yes ts-local=10.1.0.0-10.1.0.9,10.3.0.0/16[6] "
	    "ts-remote=0.0.0.0/0", "ok added");
	assert_int_equal(f->ops.adds, 5);
	while (tw_keyimp_child_iter(f->t, &it, &c) == 1) {
		if (c.spi == 0xc2a81f07) {
			assert_true(c.aead);
			assert_int_equal(c.encr_key_len, 20);
			assert_int_equal(c.integ, 0);
			assert_true(c.encap_udp);
			assert_int_equal(c.replay_window, 64);
			assert_int_equal(c.ts_remote[0].proto, 17);
			assert_int_equal(c.ts_remote[0].port_lo, 862);
			assert_int_equal(c.ts_remote[0].port_hi, 863);
		}
		if (c.spi == 0x3000) {
			assert_int_equal(c.encr_key_len, 36);
			assert_int_equal(c.n_ts_local, 2);
			assert_true(c.esn);
		}
		tw_keyimp_child_wipe(&c);
	}
	req(f, "list");
	assert_non_null(strstr(f->o.s, "ts-local=10.1.0.0-10.1.0.9,10.3.0.0/16[6]"));
	assert_non_null(strstr(f->o.s, "ts-remote=2001:2::2/128[17]"));
	assert_non_null(strstr(f->o.s, "packets=7 bytes=1000 errors=2"));
	assert_null(strstr(f->o.s, "encr-key="));
	assert_null(strstr(f->o.s, "integ-key="));
	assert_null(strstr(f->o.s, GCMKEY));
	assert_null(strstr(f->o.s, "4b2e0011"));
	assert_string_equal(f->o.last, "ok count=6");
	REQ(f, "list source=other", "ok count=0");
	/* the data plane refuses: nothing changes, the reply says why */
	f->ops.fail = -ENOTSUP;
	REQ(f, "child-add spi=00004000 dir=in proto=esp mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none encr=20 encr-keylen=256 encr-key=" SHAKEY "01020304" TS,
	    "err 422 unsupported encr: not available on this system");
	f->ops.fail = -ENOSPC;
	REQ(f, "child-add spi=00004000 dir=in proto=esp mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none encr=20 encr-keylen=256 encr-key=" SHAKEY "01020304" TS,
	    "err 507 no-space data-plane SA table full");
	f->ops.fail = -EIO;
	REQ(f, "child-add spi=00004000 dir=in proto=esp mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none encr=20 encr-keylen=256 encr-key=" SHAKEY "01020304" TS,
	    "err 500 internal: Input/output error");
	REQ(f, "list", "ok count=6");
	/* deletes */
	REQ(f, "child-del spi=cf3e5a11 dir=in proto=esp dst=198.18.0.1 src=198.18.0.2 "
	    "ike-spi-i=" SPI_I " ike-spi-r=" SPI_R " reason=rekeyed", "ok deleted");
	REQ(f, "child-del spi=cf3e5a11 dir=in proto=esp dst=198.18.0.1", "ok absent");
	REQ(f, "child-del spi=c2a81f07 dir=in proto=esp dst=198.18.0.2", "ok absent");
	REQ(f, "child-del spi=c2a81f07 dir=out proto=ah dst=198.18.0.2", "ok absent");
	REQ(f, "child-del spi=00001000 dir=in proto=ah dst=2001:2::1", "ok deleted");
	assert_int_equal(f->ops.dels, 2);
	fx_free(f);
}

static void test_limits_and_ready(void **state)
{
	struct fx *f = fx_new(1, 1, true);

	(void)state;
	REQ(f, "hello versions=1", "ok version=1");
	REQ(f, IKE_UP, "ok added");
	REQ(f, "ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 key=" K32
	    " local=198.18.0.1 remote=198.18.0.2 local-id=a remote-id=b role=initiator",
	    "err 507 no-space IKE SA table full (1)");
	REQ(f, C_OUT, "ok added");
	REQ(f, C_IN, "err 507 no-space Child SA table full (1)");
	/* a rekey fits in a full table */
	REQ(f, "ike-rekey old-spi-i=" SPI_I " old-spi-r=" SPI_R " spi-i=1111111111111111 "
	    "spi-r=2222222222222222 prf=5 key=" K32 " local=198.18.0.1 remote=198.18.0.2 "
	    "local-id=a remote-id=b role=initiator", "ok added");
	fx_free(f);

	f = fx_new(0, 0, false);
	REQ(f, "hello versions=1", "ok version=1");
	REQ(f, IKE_UP, "ok added");
	REQ(f, C_OUT, "err 503 not-ready ipsec is not enabled");
	REQ(f, "child-add spi=1", "err 402 missing-field dir");
	fx_free(f);
}

/* §7: sync-begin ... sync-end removes what the client no longer has. */
static void test_sync(void **state)
{
	struct fx *f = fx_ready();
	struct tw_keyimp_sess *other = tw_keyimp_sess_open(f->t);
	static struct out o2;

	(void)state;
	assert_int_equal(tw_keyimp_sess_line(other, "hello versions=1 source=other", 29,
					     emit, &o2), 0);
	assert_int_equal(tw_keyimp_sess_line(other, AH6, strlen(AH6), emit, &o2), 0);
	assert_string_equal(o2.last, "ok added");
	REQ(f, C_IN, "ok added");
	REQ(f, "sync-begin", "ok");
	REQ(f, "sync-begin", "err 412 bad-value sync: already in a sync");
	REQ(f, IKE_UP, "ok unchanged");
	REQ(f, C_OUT, "ok unchanged");
	REQ(f, "sync-end", "ok deleted=1"); /* C_IN was not repeated */
	REQ(f, "list", "ok count=3");
	/* a sync abandoned by closing removes nothing */
	REQ(f, "sync-begin", "ok");
	tw_keyimp_sess_close(f->s);
	f->s = tw_keyimp_sess_open(f->t);
	REQ(f, "hello versions=1 source=test", "ok version=1");
	REQ(f, "sync-begin", "ok");
	REQ(f, "sync-end", "ok deleted=2"); /* IKE SA + its child; not other's AH */
	REQ(f, "list", "ok count=1");
	assert_non_null(strstr(f->o.s, "source=other"));
	tw_keyimp_sess_close(other);
	fx_free(f);
}

/* ---- the socket server ---- */

static int cli(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Poll the server until fd has @p lines reply lines; returns them. */
static const char *rd(struct tw_keyimp_server *srv, int fd, unsigned lines)
{
	static char buf[65536];
	size_t len = 0;
	unsigned got = 0;

	for (int i = 0; i < 2000 && got < lines; i++) {
		ssize_t n;

		tw_keyimp_server_poll(srv, 5);
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0) {
			for (ssize_t j = 0; j < n; j++)
				got += buf[len + (size_t)j] == '\n';
			len += (size_t)n;
		}
	}
	buf[len] = '\0';
	return buf;
}

static void wr(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void test_server(void **state)
{
	struct fx *f = fx_new(0, 0, true);
	char dir[] = "/tmp/tw_keyimp_XXXXXX", path[128], *big;
	struct tw_keyimp_server_conf sc = { .allow_uid = getuid(), .hello_timeout_ms = 200 };
	struct tw_keyimp_server *srv;
	struct tw_keyimp_stats st;
	struct stat stt;
	int fds[9], fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys.sock", dir);
	sc.path = path;
	/* another file type at the path is left alone */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(tw_keyimp_server_create(f->t, &sc));
	assert_int_equal(errno, EEXIST);
	unlink(path);
	srv = tw_keyimp_server_create(f->t, &sc);
	assert_non_null(srv);
	assert_int_equal(stat(path, &stt), 0);
	assert_true(S_ISSOCK(stt.st_mode));
	assert_int_equal(stt.st_mode & 0777, 0600);
	tw_keyimp_server_destroy(srv);
	assert_int_not_equal(stat(path, &stt), 0);
	/* a stale socket is replaced */
	srv = tw_keyimp_server_create(f->t, &sc);
	assert_non_null(srv);
	tw_keyimp_server_destroy(srv);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd);
	srv = tw_keyimp_server_create(f->t, &sc);
	assert_non_null(srv);

	/* pipelined requests, replies in order */
	fd = cli(path);
	wr(fd, "hello versions=1 source=unit\n" IKE_UP "\nping\n");
	assert_string_equal(rd(srv, fd, 3), "ok version=1\nok added\nok\n");
	/* a split line */
	wr(fd, "pi");
	assert_string_equal(rd(srv, fd, 0), "");
	wr(fd, "ng\n");
	assert_string_equal(rd(srv, fd, 1), "ok\n");
	/* too long: refused once, skipped to the LF, the connection stays */
	big = malloc(3 * TW_KEYIMP_LINE_MAX);
	memset(big, 'a', 3 * TW_KEYIMP_LINE_MAX - 1);
	big[3 * TW_KEYIMP_LINE_MAX - 1] = '\0';
	wr(fd, big);
	assert_string_equal(rd(srv, fd, 1), "err 400 line-too-long\n");
	wr(fd, "\nping\n");
	assert_string_equal(rd(srv, fd, 1), "ok\n");
	free(big);
	/* 8 clients at most */
	for (unsigned i = 0; i < 7; i++)
		fds[i] = cli(path);
	tw_keyimp_server_poll(srv, 10);
	fds[7] = cli(path);
	assert_string_equal(rd(srv, fds[7], 1), "err 503 busy\n");
	close(fds[7]);
	/* no hello within the timeout: closed */
	usleep(300 * 1000);
	tw_keyimp_server_poll(srv, 10);
	tw_keyimp_stats_get(f->t, &st);
	assert_int_equal(st.clients, 1);
	assert_int_equal(st.refused_busy, 1);
	for (unsigned i = 0; i < 7; i++)
		close(fds[i]);
	/* bye closes */
	wr(fd, "bye\n");
	assert_string_equal(rd(srv, fd, 2), "ok\n");
	close(fd);
	fd = cli(path);
	wr(fd, "hello versions=9\nping\n");
	assert_string_equal(rd(srv, fd, 2), "err 505 version supported=1\n");
	close(fd);
	tw_keyimp_server_poll(srv, 10);
	tw_keyimp_stats_get(f->t, &st);
	assert_int_equal(st.clients, 0);
	assert_int_equal(st.ike, 1);
	tw_keyimp_server_destroy(srv);
	rmdir(dir);
	fx_free(f);
}

/* ---- the seed draft's view (tw_keyimp_draft_find, §6.7) ---- */

#define D_OUT(spi, peer, enc, km) "child-add spi=" spi " dir=out" peer " proto=esp " \
	"mode=tunnel src=198.18.0.1 dst=198.18.0.2 encap=none encr=12 encr-keylen=128 " \
	"encr-key=" enc " integ=12 integ-key=" SHAKEY TS " ike-spi-i=" SPI_I \
	" ike-spi-r=" SPI_R km
#define D_IN(spi, peer, enc, km) "child-add spi=" spi " dir=in" peer " proto=esp " \
	"mode=tunnel src=198.18.0.2 dst=198.18.0.1 encap=none encr=12 encr-keylen=128 " \
	"encr-key=" enc " integ=12 integ-key=" SHAKEY TS " ike-spi-i=" SPI_I \
	" ike-spi-r=" SPI_R km
#define ENC_A "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
#define ENC_B "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
#define ENC_C "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"
#define ENC_D "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d"

static void hex2(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

static void find(struct fx *f, const char *local, const char *remote, int want_rc,
		 struct tw_keyimp_draft *d)
{
	struct tw_keyimp_addr l, r;

	assert_int_equal(tw_keyimp_addr_parse(local, &l), 0);
	assert_int_equal(tw_keyimp_addr_parse(remote, &r), 0);
	assert_int_equal(tw_keyimp_draft_find(f->t, &l, &r, d), want_rc);
}

/* list (and its `sa` lines) never carries the draft secrets */
static void assert_list_clean(struct fx *f)
{
	req(f, "list");
	assert_null(strstr(f->o.s, "skeyseed"));
	assert_null(strstr(f->o.s, "keymat"));
	assert_null(strstr(f->o.s, SEED32));
	assert_null(strstr(f->o.s, SEED64));
	assert_null(strstr(f->o.s, KM32));
	assert_null(strstr(f->o.s, KM32B));
}

static void test_draft(void **state)
{
	struct fx *f = fx_new(0, 0, true);
	struct tw_keyimp_draft d;
	struct tw_keyimp_ike k;
	struct tw_keyimp_addr a;
	uint8_t want[64], si[8], sr[8];
	const char *ike_seed = "ike-up spi-i=" SPI_I " spi-r=" SPI_R " prf=5 sk-d=" K32
		" skeyseed=" SEED32 " local=198.18.0.1 remote=198.18.0.2 local-id=dut.example "
		"remote-id=peer role=responder";
	char line[1024];

	(void)state;
	REQ(f, "hello versions=1 source=strongswan", "ok version=1");
	REQ(f, ike_seed, "ok added");
	/* the same with upper-case hex: identical (content compared decoded) */
	snprintf(line, sizeof(line), "%s", ike_seed);
	for (char *p = strstr(line, "skeyseed=") + 9; *p != ' '; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	REQ(f, line, "ok unchanged");
	/* another SKEYSEED under the same SPIs: a different SA; none (a
	 * client that cannot send it again): the same, the stored one stays */
	snprintf(line, sizeof(line), "%s", ike_seed);
	memcpy(strstr(line, "skeyseed=") + 9, "b", 1);
	REQ(f, line, "err 409 conflict spi-i/spi-r exist with other content");
	REQ(f, "ike-up spi-i=" SPI_I " spi-r=" SPI_R " prf=5 sk-d=" K32 " local=198.18.0.1 "
	    "remote=198.18.0.2 local-id=dut.example remote-id=peer role=responder",
	    "ok unchanged");
	memcpy(si, "\x8a\x1f\x3c\x0e\x5b\x6d\x7a\x29", 8);
	memcpy(sr, "\x3c\x94\xe1\x7a\x00\xb2\xd4\xf1", 8);
	assert_int_equal(tw_keyimp_ike_get(f->t, si, sr, &k), 0);
	hex2(SEED32, want, 32);
	assert_int_equal(k.skeyseed_len, 32);
	assert_memory_equal(k.skeyseed, want, 32);
	tw_keyimp_ike_wipe(&k);
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(((uint8_t *)&k)[i], 0);

	/* no Child SA yet; bad arguments */
	find(f, "198.18.0.1", "198.18.0.2", -ENOENT, &d);
	assert_int_equal(tw_keyimp_draft_find(NULL, &a, &a, &d), -EINVAL);
	assert_int_equal(tw_keyimp_addr_parse("198.18.0.1", &a), 0);
	assert_int_equal(tw_keyimp_draft_find(f->t, &a, NULL, &d), -EINVAL);
	assert_int_equal(tw_keyimp_draft_find(f->t, &a, &a, NULL), -EINVAL);
	{
		struct tw_keyimp_addr b6;

		assert_int_equal(tw_keyimp_addr_parse("2001:2::2", &b6), 0);
		assert_int_equal(tw_keyimp_draft_find(f->t, &a, &b6, &d), -EINVAL);
	}

	/* first Child SA: out then in, named by peer-spi, KEYMAT on both */
	REQ(f, D_OUT("00001001", " peer-spi=00001002", ENC_A, " keymat=" KM32), "ok added");
	find(f, "198.18.0.1", "198.18.0.2", -ENOENT, &d); /* out alone: unpaired */
	REQ(f, D_IN("00001002", " peer-spi=00001001", ENC_B, " keymat=" KM32), "ok added");
	REQ(f, D_IN("00001002", " peer-spi=00001001", ENC_B, " keymat=" KM32), "ok unchanged");
	REQ(f, D_IN("00001002", " peer-spi=00001001", ENC_B, " keymat=" KM32B),
	    "err 409 conflict spi/dst exist with other content");
	REQ(f, D_IN("00001002", " peer-spi=00001001", ENC_B, ""), "ok unchanged");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.proto, 50);
	assert_int_equal(d.spi_in, 0x1002);
	assert_int_equal(d.spi_out, 0x1001);
	assert_int_equal(d.prf, 5);
	assert_int_equal(d.skeyseed_len, 32);
	assert_memory_equal(d.skeyseed, want, 32);
	hex2(KM32, want, 32);
	assert_int_equal(d.keymat_len, 32);
	assert_memory_equal(d.keymat, want, 32);
	assert_int_equal(d.encr, 12);
	assert_int_equal(d.encr_keylen, 128);
	assert_int_equal(d.encr_key_len, 16);
	assert_int_equal(d.encr_key_in[0], 0x0b);
	assert_int_equal(d.encr_key_out[0], 0x0a);
	assert_int_equal(d.integ, 12);
	assert_int_equal(d.integ_key_len, 32);
	assert_int_equal(d.integ_key_in[0], 0x4b);
	tw_keyimp_draft_wipe(&d);
	for (size_t i = 0; i < sizeof(d); i++)
		assert_int_equal(((uint8_t *)&d)[i], 0);
	/* the other way round (the peer's view) and other addresses: none */
	find(f, "198.18.0.2", "198.18.0.1", -ENOENT, &d);
	find(f, "198.18.0.1", "198.18.0.9", -ENOENT, &d);
	find(f, "2001:2::1", "2001:2::2", -ENOENT, &d);

	/* newer SAs that are not pairs are skipped: an inbound whose outbound
	 * is missing, one without IKE SA, an AH inbound (the ESP out is not
	 * its pair), an inbound with other transforms than its mirror */
	REQ(f, D_IN("00002002", " peer-spi=00002001", ENC_C, " keymat=" KM32), "ok added");
	REQ(f, "child-add spi=00002003 dir=in proto=esp mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none encr=12 encr-keylen=128 encr-key=" ENC_C
	    " integ=12 integ-key=" SHAKEY TS, "ok added");
	REQ(f, "child-add spi=00002004 dir=in proto=ah mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none integ=12 integ-key=" SHAKEY TS " ike-spi-i=" SPI_I
	    " ike-spi-r=" SPI_R, "ok added");
	REQ(f, "child-add spi=00002005 dir=in proto=esp mode=tunnel src=198.18.0.2 "
	    "dst=198.18.0.1 encap=none encr=12 encr-keylen=256 encr-key=" ENC_C ENC_C
	    " integ=12 integ-key=" SHAKEY TS " ike-spi-i=" SPI_I " ike-spi-r=" SPI_R
	    " peer-spi=00001001", "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x1002);
	assert_int_equal(d.spi_out, 0x1001);
	tw_keyimp_draft_wipe(&d);

	/* a Child SA rekey: the new pair (out first, then in) is the newest */
	REQ(f, D_OUT("00003001", " peer-spi=00003002", ENC_C, " keymat=" KM32B), "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x1002); /* the new out alone pairs with nothing */
	tw_keyimp_draft_wipe(&d);
	REQ(f, D_IN("00003002", " peer-spi=00003001", ENC_D, " keymat=" KM32B), "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x3002);
	assert_int_equal(d.spi_out, 0x3001);
	assert_int_equal(d.encr_key_in[0], 0x0d);
	assert_int_equal(d.encr_key_out[0], 0x0c);
	hex2(KM32B, want, 32);
	assert_memory_equal(d.keymat, want, 32);
	tw_keyimp_draft_wipe(&d);
	/* the old pair goes (in, then out): the new one stays */
	REQ(f, "child-del spi=00001002 dir=in proto=esp dst=198.18.0.1", "ok deleted");
	REQ(f, "child-del spi=00001001 dir=out proto=esp dst=198.18.0.2", "ok deleted");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x3002);
	tw_keyimp_draft_wipe(&d);

	/* without peer-spi: the newest unnamed mirror of the same IKE SA; a
	 * pair whose directions carry different KEYMATs has none known */
	REQ(f, D_OUT("00004001", "", ENC_A, " keymat=" KM32), "ok added");
	REQ(f, D_OUT("00004003", "", ENC_A, " keymat=" KM32B), "ok added");
	REQ(f, D_IN("00004002", "", ENC_B, " keymat=" KM32), "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x4002);
	assert_int_equal(d.spi_out, 0x4003);
	assert_int_equal(d.keymat_len, 0);
	assert_int_equal(d.skeyseed_len, 32);
	tw_keyimp_draft_wipe(&d);
	/* an inbound without KEYMAT: not known either */
	REQ(f, D_OUT("00005001", " peer-spi=00005002", ENC_A, ""), "ok added");
	REQ(f, D_IN("00005002", "", ENC_B, ""), "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x5002);
	assert_int_equal(d.spi_out, 0x5001);
	assert_int_equal(d.keymat_len, 0);
	tw_keyimp_draft_wipe(&d);
	assert_list_clean(f);

	/* an IKE rekey (here to PRF HMAC-SHA2-512): the new SA's SKEYSEED (made
	 * with the old SA's PRF, RFC 7296 §2.18, so 32 octets) and PRF; the
	 * Child SAs keep their KEYMAT */
	REQ(f, "ike-rekey old-spi-i=" SPI_I " old-spi-r=" SPI_R " spi-i=51c0de2277aa9031 "
	    "spi-r=e0f1a2b3c4d5e6f7 prf=7 key=" SHAKEY SHAKEY " skeyseed=" SEED32
	    " local=198.18.0.1 remote=198.18.0.2 local-id=dut.example remote-id=peer "
	    "role=initiator", "ok added");
	REQ(f, "child-del spi=00005002 dir=in proto=esp dst=198.18.0.1", "ok deleted");
	REQ(f, "child-del spi=00004002 dir=in proto=esp dst=198.18.0.1", "ok deleted");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x3002);
	assert_int_equal(d.prf, 7);
	assert_int_equal(d.skeyseed_len, 32);
	hex2(SEED32, want, 32);
	assert_memory_equal(d.skeyseed, want, 32);
	assert_int_equal(d.keymat_len, 32);
	tw_keyimp_draft_wipe(&d);
	/* from that SA (PRF 7) a rekey's SKEYSEED has 64 octets; an ike-up of
	 * this SA (a resync) has the new PRF's length */
	REQ(f, "ike-rekey old-spi-i=51c0de2277aa9031 old-spi-r=e0f1a2b3c4d5e6f7 "
	    "spi-i=" SPI_I " spi-r=" SPI_R " prf=5 key=" K32 " skeyseed=" SEED32
	    " local=198.18.0.1 remote=198.18.0.2 local-id=dut.example remote-id=peer "
	    "role=initiator", "err 412 bad-value skeyseed: length 32, need 64 (the old IKE "
	    "SA's PRF output)");
	REQ(f, "ike-up spi-i=51c0de2277aa9031 spi-r=e0f1a2b3c4d5e6f7 prf=7 key=" SHAKEY SHAKEY
	    " skeyseed=" SEED32 " local=198.18.0.1 remote=198.18.0.2 local-id=dut.example "
	    "remote-id=peer role=initiator", "err 412 bad-value skeyseed: length 32, need 64");
	/* an IKE SA without SKEYSEED: none known; a new Child SA under it needs
	 * KEYMAT of its PRF's length (64) */
	REQ(f, "ike-rekey old-spi-i=51c0de2277aa9031 old-spi-r=e0f1a2b3c4d5e6f7 "
	    "spi-i=" SPI_I " spi-r=" SPI_R " prf=7 key=" SHAKEY SHAKEY
	    " local=198.18.0.1 remote=198.18.0.2 local-id=dut.example remote-id=peer "
	    "role=initiator", "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.skeyseed_len, 0);
	assert_int_equal(d.keymat_len, 32);
	tw_keyimp_draft_wipe(&d);
	REQ(f, D_OUT("00006001", " peer-spi=00006002", ENC_A, " keymat=" KM32),
	    "err 412 bad-value keymat: length 32, need 64 (the IKE SA's PRF output)");
	REQ(f, D_OUT("00006001", " peer-spi=00006002", ENC_A, " keymat=" SEED64), "ok added");
	REQ(f, D_IN("00006002", " peer-spi=00006001", ENC_B, " keymat=" SEED64), "ok added");
	find(f, "198.18.0.1", "198.18.0.2", 0, &d);
	assert_int_equal(d.spi_in, 0x6002);
	assert_int_equal(d.keymat_len, 64);
	hex2(SEED64, want, 64);
	assert_memory_equal(d.keymat, want, 64);
	tw_keyimp_draft_wipe(&d);
	assert_list_clean(f);
	/* ike-down takes the Child SAs with it */
	REQ(f, DOWN, "ok deleted children=10");
	find(f, "198.18.0.1", "198.18.0.2", -ENOENT, &d);
	fx_free(f);
}

/* tw_keyimp_draft_client(): the client's side of a pair, per variant */
static void test_draft_client(void **state)
{
	struct tw_keyimp_draft d;
	struct tw_ctrl_client_draft c;
	struct tw_crypto_session_keys want;
	uint8_t buf[TW_KEYIMP_SECRET_MAX], zero[sizeof(c)];

	(void)state;
	memset(zero, 0, sizeof(zero));
	memset(&d, 0, sizeof(d));
	d.proto = 50;
	d.spi_in = 0x2001;   /* this host's inbound = the server's outbound */
	d.spi_out = 0x1001;
	d.prf = TW_CRYPTO_PRF_HMAC_SHA2_256;
	memset(d.skeyseed, 0xa5, 32);
	d.skeyseed_len = 32;
	memset(d.keymat, 0x5a, 20);
	d.keymat_len = 20;
	d.encr = 12;         /* AES-CBC-128 */
	d.encr_keylen = 128;
	hex2(ENC_A, d.encr_key_out, 16);
	hex2(ENC_B, d.encr_key_in, 16);
	d.encr_key_len = 16;
	d.integ = 12;        /* HMAC-SHA2-256-128 */
	memset(d.integ_key_out, 0x01, 32);
	memset(d.integ_key_in, 0x02, 32);
	d.integ_key_len = 32;

	/* base, SKEYSEED, per-SID key: the binding as the server sends it */
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_BASE, false, true, buf,
						sizeof(buf), &c), 0);
	assert_int_equal(c.variant, TW_CTRL_DRAFT_BASE);
	assert_int_equal(c.protocol, 50);
	assert_int_equal(c.spi_in, 0x1001);
	assert_int_equal(c.spi_out, 0x2001);
	assert_int_equal(c.prf, TW_CRYPTO_PRF_HMAC_SHA2_256);
	assert_true(c.sid_key);
	assert_ptr_equal(c.secret, buf);
	assert_int_equal(c.secret_len, 32);
	assert_memory_equal(buf, d.skeyseed, 32);
	/* Alt. 1 keyed by KEYMAT */
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_ALT1, true, false, buf,
						sizeof(buf), &c), 0);
	assert_int_equal(c.variant, TW_CTRL_DRAFT_ALT1);
	assert_false(c.sid_key);
	assert_int_equal(c.secret_len, 20);
	assert_memory_equal(c.secret, d.keymat, 20);
	/* Alt. 2: the keys of our outbound SA (client -> server), no secret */
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_ALT2, false, false, buf,
						sizeof(buf), &c), 0);
	assert_int_equal(tw_crypto_draft_alt2_keys(d.encr, d.encr_key_out, d.encr_key_len,
						   d.integ, d.integ_key_out, d.integ_key_len,
						   &want), 0);
	assert_memory_equal(&c.alt2, &want, sizeof(want));
	assert_memory_equal(c.alt2.aes, d.encr_key_out, 16);
	assert_null(c.secret);
	assert_int_equal(c.secret_len, 0);

	/* no such secret: -ENOKEY, out and buf zeroed */
	d.keymat_len = 0;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_BASE, true, false, buf,
						sizeof(buf), &c), -ENOKEY);
	assert_memory_equal(&c, zero, sizeof(c));
	assert_memory_equal(buf, zero, sizeof(buf));
	/* an SA Alt. 2 cannot use (AES-GCM: no integrity key): -ENOTSUP */
	d.encr = 20;
	d.integ = 0;
	d.integ_key_len = 0;
	d.encr_key_len = 20;
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_ALT2, false, false, buf,
						sizeof(buf), &c), -ENOTSUP);
	assert_memory_equal(&c, zero, sizeof(c));
	/* bad arguments */
	assert_int_equal(tw_keyimp_draft_client(NULL, TW_CTRL_DRAFT_BASE, false, false, buf,
						sizeof(buf), &c), -EINVAL);
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_BASE, false, false, buf,
						sizeof(buf), NULL), -EINVAL);
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_BASE, false, false, NULL,
						sizeof(buf), &c), -EINVAL);
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_BASE, false, false, buf,
						16, &c), -EINVAL);
	assert_int_equal(tw_keyimp_draft_client(&d, (enum tw_ctrl_draft_variant)3, false,
						false, buf, sizeof(buf), &c), -EINVAL);
	assert_int_equal(tw_keyimp_draft_client(&d, TW_CTRL_DRAFT_ALT1, false, true, buf,
						sizeof(buf), &c), -EINVAL);
	assert_memory_equal(&c, zero, sizeof(c));
	tw_keyimp_draft_wipe(&d);
}

/* ---- a bound pair's rekey successor (tw_keyimp_draft_successor) ---- */

#define SPI_I2 "1111111111111111"
#define SPI_R2 "2222222222222222"
/* a pair (out SPI 0xN001, in 0xN002) between 198.18.0.1 and .2 under the
 * IKE SA si/sr, AES-CBC with @p bits and @p extra fields on both halves */
static void pair(struct fx *f, unsigned n, const char *si, const char *sr, unsigned bits,
		 const char *extra)
{
	char line[1024];
	const char *key = bits == 256 ? ENC_A ENC_A : ENC_A;

	snprintf(line, sizeof(line), "child-add spi=0000%x001 dir=out peer-spi=0000%x002 "
		 "proto=esp mode=tunnel src=198.18.0.1 dst=198.18.0.2 encap=none encr=12 "
		 "encr-keylen=%u encr-key=%s integ=12 integ-key=" SHAKEY TS " ike-spi-i=%s "
		 "ike-spi-r=%s%s", n, n, bits, key, si, sr, extra);
	REQ(f, line, "ok added");
	snprintf(line, sizeof(line), "child-add spi=0000%x002 dir=in peer-spi=0000%x001 "
		 "proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 encap=none encr=12 "
		 "encr-keylen=%u encr-key=%s integ=12 integ-key=" SHAKEY TS " ike-spi-i=%s "
		 "ike-spi-r=%s%s", n, n, bits, key, si, sr, extra);
	REQ(f, line, "ok added");
}

static void successor(struct fx *f, struct tw_keyimp_draft *bound, int want_rc,
		      uint32_t want_in)
{
	struct tw_keyimp_draft n;

	assert_int_equal(tw_keyimp_draft_successor(f->t, bound, &n), want_rc);
	assert_int_equal(n.spi_in, want_in);
	if (want_rc == 0) {
		assert_int_equal(n.spi_out, want_in - 1);
		assert_true(n.generation > bound->generation);
		assert_memory_equal(n.ike_spi_i, bound->ike_spi_i, 8);
	}
	tw_keyimp_draft_wipe(&n);
}

static void test_draft_successor(void **state)
{
	struct fx *f = fx_new(0, 0, true);
	struct tw_keyimp_draft p, s, t;
	uint8_t si2[8];

	(void)state;
	REQ(f, "hello versions=1 source=strongswan", "ok version=1");
	REQ(f, "ike-up spi-i=" SPI_I " spi-r=" SPI_R " prf=5 sk-d=" K32 " local=198.18.0.1 "
	    "remote=198.18.0.2 local-id=dut.example remote-id=peer role=responder", "ok added");
	REQ(f, "ike-up spi-i=" SPI_I2 " spi-r=" SPI_R2 " prf=5 sk-d=" K32 " local=198.18.0.1 "
	    "remote=198.18.0.2 local-id=dut.example remote-id=peer2 role=responder", "ok added");
	/* pair 1, then pair 2 which the run binds (the newest): pair 1 existed
	 * before it, so it is never its successor, even once pair 2 is gone */
	pair(f, 1, SPI_I, SPI_R, 128, "");
	pair(f, 2, SPI_I, SPI_R, 128, "");
	find(f, "198.18.0.1", "198.18.0.2", 0, &p);
	assert_int_equal(p.spi_in, 0x2002);
	assert_int_equal(p.spi_out, 0x2001);
	assert_int_equal(p.local.addr[3], 1);
	assert_int_equal(p.remote.addr[3], 2);
	assert_true(p.generation >= 4);
	successor(f, &p, -ENOENT, 0);

	/* bad arguments: nothing found, out zeroed */
	assert_int_equal(tw_keyimp_draft_successor(NULL, &p, &s), -EINVAL);
	assert_int_equal(tw_keyimp_draft_successor(f->t, NULL, &s), -EINVAL);
	assert_int_equal(tw_keyimp_draft_successor(f->t, &p, NULL), -EINVAL);
	assert_int_equal(tw_keyimp_draft_successor(f->t, &p, &p), -EINVAL);
	t = p;
	t.proto = 17;
	assert_int_equal(tw_keyimp_draft_successor(f->t, &t, &s), -EINVAL);
	t = p;
	t.remote.family = 10; /* AF_INET6 against an IPv4 local */
	assert_int_equal(tw_keyimp_draft_successor(f->t, &t, &s), -EINVAL);
	assert_int_equal(s.spi_in, 0);

	/* newer pairs that are no rekey of it: other transforms (AES-256),
	 * another IKE SA, only the outbound half of pair 5 */
	pair(f, 3, SPI_I, SPI_R, 256, "");
	pair(f, 4, SPI_I2, SPI_R2, 128, "");
	REQ(f, D_OUT("00005001", " peer-spi=00005002", ENC_A, ""), "ok added");
	successor(f, &p, -ENOENT, 0);

	/* the IKE SA is rekeyed (its children re-parented), then pair 5's
	 * inbound half arrives under the new IKE SA: the successor, found
	 * while pair 2 is still there (its owner is re-read) */
	REQ(f, "ike-rekey old-spi-i=" SPI_I " old-spi-r=" SPI_R " spi-i=51c0de2277aa9031 "
	    "spi-r=e0f1a2b3c4d5e6f7 prf=5 sk-d=" K32 " local=198.18.0.1 remote=198.18.0.2 "
	    "local-id=dut.example remote-id=peer role=initiator", "ok added");
	REQ(f, "child-add spi=00005002 dir=in peer-spi=00005001 proto=esp mode=tunnel "
	    "src=198.18.0.2 dst=198.18.0.1 encap=none encr=12 encr-keylen=128 encr-key="
	    ENC_A " integ=12 integ-key=" SHAKEY TS " ike-spi-i=51c0de2277aa9031 "
	    "ike-spi-r=e0f1a2b3c4d5e6f7", "ok added");
	successor(f, &p, 0, 0x5002);
	hex2("51c0de2277aa9031", si2, 8);
	assert_memory_equal(p.ike_spi_i, si2, 8);
	/* pair 2 deleted: still found (the owner last seen) */
	REQ(f, "child-del spi=00002002 dir=in proto=esp dst=198.18.0.1", "ok deleted");
	REQ(f, "child-del spi=00002001 dir=out proto=esp dst=198.18.0.2", "ok deleted");
	successor(f, &p, 0, 0x5002);
	assert_int_equal(tw_keyimp_draft_successor(f->t, &p, &s), 0);
	tw_keyimp_draft_wipe(&p);
	/* the successor (no reqid) has none yet; pair 6 (reqid 9) follows it
	 * (a reqid is compared only when both carry one) */
	successor(f, &s, -ENOENT, 0);
	pair(f, 6, "51c0de2277aa9031", "e0f1a2b3c4d5e6f7", 128, " reqid=9");
	successor(f, &s, 0, 0x6002);
	assert_int_equal(tw_keyimp_draft_successor(f->t, &s, &t), 0);
	assert_true(t.has_reqid);
	assert_int_equal(t.reqid, 9);
	/* from pair 6: a pair of another reqid is another Child SA, not its
	 * rekey; one of reqid 9 is */
	pair(f, 7, "51c0de2277aa9031", "e0f1a2b3c4d5e6f7", 128, " reqid=10");
	successor(f, &t, -ENOENT, 0);
	pair(f, 8, "51c0de2277aa9031", "e0f1a2b3c4d5e6f7", 128, " reqid=9");
	successor(f, &t, 0, 0x8002);
	tw_keyimp_draft_wipe(&s);
	tw_keyimp_draft_wipe(&t);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_ike),
		cmocka_unit_test(test_skd),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_child),
		cmocka_unit_test(test_limits_and_ready),
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_draft),
		cmocka_unit_test(test_draft_client),
		cmocka_unit_test(test_draft_successor),
		cmocka_unit_test(test_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
