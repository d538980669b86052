/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control / OWAMP-Control codecs: every message against octets laid
 * out by hand from the RFC diagrams, decode back, every truncation, every
 * invalid value, short output buffers, and the framing helper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tw_proto_ctrl.h"

/* ---- octet patterns used to lay out the expected messages ---- */
#define Z4 0, 0, 0, 0
#define Z8 Z4, Z4
#define Z12 Z8, Z4
#define Z16 Z8, Z8
#define SEQ4(b) (b), (b) + 1, (b) + 2, (b) + 3
#define SEQ8(b) SEQ4(b), SEQ4((b) + 4)
#define SEQ16(b) SEQ8(b), SEQ8((b) + 8)
#define SEQ64(b) SEQ16(b), SEQ16((b) + 16), SEQ16((b) + 32), SEQ16((b) + 48)

static void seq(uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(b + i);
}

#define HMAC_A 0xa0
#define HMAC_B 0xd0
#define TS_START 0xe123456789abcdefULL
#define TS_TIMEOUT 0x0000000280000000ULL /* 2.5 s */

/* ================================================== generic checks */

/* One codec under the generic truncation / short-buffer / round-trip tests. */
struct codec {
	const uint8_t *wire;
	size_t len;
	int (*enc)(const void *msg, uint8_t *buf, size_t cap);
	int (*dec)(const uint8_t *buf, size_t len, void *out);
	const void *msg;
	size_t out_size;
};

/* Every prefix shorter than the message: TRUNCATED, output untouched. */
static void check_truncated(void **state)
{
	const struct codec *c = *state;
	uint8_t out[512], ref[512];
	uint8_t in[2048];

	assert_true(c->out_size <= sizeof(out) && c->len <= sizeof(in));
	for (size_t n = 0; n < c->len; n++) {
		/* a copy of exactly n octets so ASan would see an over-read */
		memcpy(in, c->wire, n);
		memset(out, 0xa5, sizeof(out));
		memcpy(ref, out, sizeof(out));
		assert_int_equal(c->dec(in, n, out), -TW_PROTO_E_TRUNCATED);
		assert_memory_equal(out, ref, c->out_size);
	}
}

/* Every output buffer shorter than the message: NOSPACE, nothing written. */
static void check_nospace(void **state)
{
	const struct codec *c = *state;
	uint8_t buf[2048];

	for (size_t cap = 0; cap < c->len; cap++) {
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(c->enc(c->msg, buf, cap), -TW_PROTO_E_NOSPACE);
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xee);
	}
}

/* encode == hand-built octets; decode consumes it all; re-encode equal. */
static void check_roundtrip(void **state)
{
	const struct codec *c = *state;
	uint8_t buf[2048], buf2[2048], out[512];

	assert_int_equal(c->enc(c->msg, buf, sizeof(buf)), (int)c->len);
	assert_memory_equal(buf, c->wire, c->len);
	/* trailing octets are not part of the message */
	memcpy(buf2, c->wire, c->len);
	memset(buf2 + c->len, 0x77, 64);
	assert_int_equal(c->dec(buf2, c->len + 64, out), (int)c->len);
	assert_int_equal(c->enc(out, buf, sizeof(buf)), (int)c->len);
	assert_memory_equal(buf, c->wire, c->len);
}

/* ======================================================== Greeting */

/* RFC 4656 §3.1 Server Greeting */
static const uint8_t greeting_wire[64] = {
	Z12,                          /* Unused */
	0x00, 0x00, 0x00, 0xbf,       /* Modes: bits 0-5 and 7 */
	SEQ16(0x10),                  /* Challenge */
	SEQ16(0x20),                  /* Salt */
	0x00, 0x00, 0x08, 0x00,       /* Count 2048 */
	Z12,                          /* MBZ */
};

static struct tw_ctrl_greeting greeting_msg(void)
{
	struct tw_ctrl_greeting m = { .modes = 0xbf, .count = 2048 };

	seq(m.challenge, 16, 0x10);
	seq(m.salt, 16, 0x20);
	return m;
}

static const struct tw_ctrl_greeting greeting_m = {
	.modes = 0xbf, .count = 2048,
	.challenge = { SEQ16(0x10) }, .salt = { SEQ16(0x20) },
};

static int greeting_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_greeting_encode(m, b, c);
}

static int greeting_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_greeting_decode(b, l, o);
}

static struct codec greeting_codec = {
	greeting_wire, sizeof(greeting_wire), greeting_enc, greeting_dec,
	&greeting_m, sizeof(struct tw_ctrl_greeting),
};

static void test_greeting_encode(void **state)
{
	struct tw_ctrl_greeting m = greeting_msg();
	uint8_t buf[64];

	(void)state;
	assert_int_equal(tw_proto_ctrl_greeting_encode(&m, buf, sizeof(buf)), 64);
	assert_memory_equal(buf, greeting_wire, 64);
}

static void test_greeting_decode(void **state)
{
	struct tw_ctrl_greeting m;

	(void)state;
	assert_int_equal(tw_proto_ctrl_greeting_decode(greeting_wire, 64, &m), 64);
	assert_int_equal(m.modes, 0xbf);
	assert_int_equal(m.count, 2048);
	assert_memory_equal(m.challenge, greeting_wire + 16, 16);
	assert_memory_equal(m.salt, greeting_wire + 32, 16);
	assert_true(tw_proto_is_zero(m.unused, 12));
}

static void test_greeting_unused_passthrough(void **state)
{
	struct tw_ctrl_greeting m = greeting_msg(), d;
	uint8_t buf[64];

	(void)state;
	seq(m.unused, 12, 0x01);  /* draft profile: SA binding lives here */
	assert_int_equal(tw_proto_ctrl_greeting_encode(&m, buf, 64), 64);
	assert_int_equal(buf[0], 0x01);
	assert_int_equal(buf[11], 0x0c);
	assert_int_equal(tw_proto_ctrl_greeting_decode(buf, 64, &d), 64);
	assert_memory_equal(d.unused, m.unused, 12);
}

static void test_greeting_mbz_ignored(void **state)
{
	uint8_t buf[64];
	struct tw_ctrl_greeting m;

	(void)state;
	memcpy(buf, greeting_wire, 64);
	memset(buf + 52, 0xff, 12);
	assert_int_equal(tw_proto_ctrl_greeting_decode(buf, 64, &m), 64);
	assert_int_equal(m.count, 2048);
}

static void test_greeting_bad_count(void **state)
{
	static const uint32_t bad[] = { 0, 1, 512, 1023, 1025, 3072, 0xffffffff };
	struct tw_ctrl_greeting m, ref;
	uint8_t buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(buf, greeting_wire, 64);
		tw_put_be32(buf + 48, bad[i]);
		memset(&m, 0x5a, sizeof(m));
		ref = m;
		assert_int_equal(tw_proto_ctrl_greeting_decode(buf, 64, &m),
				 -TW_PROTO_E_COUNT);
		assert_memory_equal(&m, &ref, sizeof(m));
		m = greeting_msg();
		m.count = bad[i];
		assert_int_equal(tw_proto_ctrl_greeting_encode(&m, buf, 64),
				 -TW_PROTO_E_COUNT);
	}
	memcpy(buf, greeting_wire, 64);
	tw_put_be32(buf + 48, 0x80000000u); /* power of 2: valid */
	assert_int_equal(tw_proto_ctrl_greeting_decode(buf, 64, &m), 64);
	tw_put_be32(buf + 48, 1024);
	assert_int_equal(tw_proto_ctrl_greeting_decode(buf, 64, &m), 64);
}

static void test_greeting_modes_zero_decodes(void **state)
{
	uint8_t buf[64];
	struct tw_ctrl_greeting m;

	(void)state;
	memcpy(buf, greeting_wire, 64);
	memset(buf + 12, 0, 4);
	assert_int_equal(tw_proto_ctrl_greeting_decode(buf, 64, &m), 64);
	assert_int_equal(m.modes, 0);
}

static void test_count_check(void **state)
{
	(void)state;
	assert_int_equal(tw_proto_ctrl_count_check(1024, 0), 0);
	assert_int_equal(tw_proto_ctrl_count_check(32768, 0), 0);
	assert_int_equal(tw_proto_ctrl_count_check(65536, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_proto_ctrl_count_check(65536, 65536), 0);
	assert_int_equal(tw_proto_ctrl_count_check(4096, 2048), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_proto_ctrl_count_check(1000, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_proto_ctrl_count_check(3000, 0), -TW_PROTO_E_COUNT);
	assert_int_equal(tw_proto_ctrl_count_check(0, 0), -TW_PROTO_E_COUNT);
}

/* ================================================== Set-Up-Response */

/* RFC 4656 §3.1 Set-Up-Response with an RFC 7717 KeyID */
static const uint8_t setup_wire[164] = {
	0x00, 0x00, 0x00, 0x82,       /* Mode: authenticated + IKEv2Derived */
	SEQ8(0x01), SEQ8(0x11),       /* KeyID: SPIi | SPIr */
	Z16, Z16, Z16, Z16,           /* KeyID: 64 zero octets */
	SEQ64(0x40),                  /* Token */
	SEQ16(0x80),                  /* Client-IV */
};

static const struct tw_ctrl_setup_response setup_m = {
	.mode = 0x82,
	.keyid = { SEQ8(0x01), SEQ8(0x11) },
	.token = { SEQ64(0x40) },
	.client_iv = { SEQ16(0x80) },
};

static int setup_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_setup_response_encode(m, b, c);
}

static int setup_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_setup_response_decode(b, l, o);
}

static struct codec setup_codec = {
	setup_wire, sizeof(setup_wire), setup_enc, setup_dec, &setup_m,
	sizeof(struct tw_ctrl_setup_response),
};

static void test_setup_encode_spis(void **state)
{
	static const uint8_t spii[8] = { SEQ8(0x01) }, spir[8] = { SEQ8(0x11) };
	struct tw_ctrl_setup_response m = { .mode = 0x82 };
	uint8_t buf[200];

	(void)state;
	tw_proto_ctrl_keyid_from_spis(m.keyid, spii, spir);
	seq(m.token, 64, 0x40);
	seq(m.client_iv, 16, 0x80);
	assert_int_equal(tw_proto_ctrl_setup_response_encode(&m, buf, sizeof(buf)), 164);
	assert_memory_equal(buf, setup_wire, 164);
}

static void test_setup_decode(void **state)
{
	struct tw_ctrl_setup_response m;
	uint8_t spii[8], spir[8];

	(void)state;
	assert_int_equal(tw_proto_ctrl_setup_response_decode(setup_wire, 164, &m), 164);
	assert_int_equal(m.mode, TW_MODE_AUTH | TW_MODE_IKEV2);
	assert_memory_equal(m.token, setup_wire + 84, 64);
	assert_memory_equal(m.client_iv, setup_wire + 148, 16);
	tw_proto_ctrl_keyid_to_spis(m.keyid, spii, spir);
	assert_memory_equal(spii, setup_wire + 4, 8);
	assert_memory_equal(spir, setup_wire + 12, 8);
}

static void test_keyid_spis_ignore_tail(void **state)
{
	uint8_t keyid[80], spii[8], spir[8];

	(void)state;
	memset(keyid, 0xcc, sizeof(keyid)); /* RFC 7717: ignore octets 16-79 */
	seq(keyid, 16, 0x61);
	tw_proto_ctrl_keyid_to_spis(keyid, spii, spir);
	assert_int_equal(spii[0], 0x61);
	assert_int_equal(spir[7], 0x70);
}

static void test_keyid_name(void **state)
{
	uint8_t keyid[80];
	char longname[81];

	(void)state;
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "lab", 3), 0);
	assert_memory_equal(keyid, "lab", 3);
	assert_true(tw_proto_is_zero(keyid + 3, 77));
	assert_int_equal(tw_proto_ctrl_keyid_name_len(keyid), 3);
	/* UTF-8 name "clé" */
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "cl\xc3\xa9", 4), 0);
	assert_int_equal(tw_proto_ctrl_keyid_name_len(keyid), 4);
	memset(longname, 'k', sizeof(longname));
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, longname, 80), 0);
	assert_int_equal(tw_proto_ctrl_keyid_name_len(keyid), 80);
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, longname, 81),
			 -TW_PROTO_E_RANGE);
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "", 0),
			 -TW_PROTO_E_RANGE);
}

static void test_keyid_name_invalid(void **state)
{
	uint8_t keyid[80] = { 0 };

	(void)state;
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "a\0b", 3),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "\xc3", 1),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "\xc0\xaf", 2),
			 -TW_PROTO_E_INVAL); /* overlong */
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "\xed\xa0\x80", 3),
			 -TW_PROTO_E_INVAL); /* surrogate */
	assert_int_equal(tw_proto_ctrl_keyid_from_name(keyid, "\xff", 1),
			 -TW_PROTO_E_INVAL);
	memset(keyid, 0, sizeof(keyid));
	assert_int_equal(tw_proto_ctrl_keyid_name_len(keyid), -TW_PROTO_E_INVAL);
	keyid[0] = 'a';
	keyid[5] = 'b'; /* garbage after the padding starts */
	assert_int_equal(tw_proto_ctrl_keyid_name_len(keyid), -TW_PROTO_E_INVAL);
}

static void test_mode_check(void **state)
{
	const uint32_t offered = TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_MIXED |
				 TW_MODE_INDIVIDUAL | TW_MODE_IKEV2;

	(void)state;
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
						  TW_MODE_UNAUTH), 0);
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
		TW_MODE_AUTH | TW_MODE_IKEV2 | TW_MODE_INDIVIDUAL), 0);
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
						  TW_MODE_MIXED), 0);
	/* not offered */
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
		TW_MODE_ENCRYPTED), -TW_PROTO_E_MODE);
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
		TW_MODE_AUTH | TW_MODE_REFLECT_OCTETS), -TW_PROTO_E_MODE);
	/* two security bits */
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
		TW_MODE_UNAUTH | TW_MODE_AUTH), -TW_PROTO_E_MODE);
	/* no security bit, or nothing at all */
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered,
		TW_MODE_IKEV2), -TW_PROTO_E_MODE);
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, offered, 0),
			 -TW_PROTO_E_MODE);
	/* OWAMP has no mixed mode: bit 3 is no security bit there */
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_OWAMP, 0x0f, 0x08),
			 -TW_PROTO_E_MODE);
	assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_OWAMP, 0x17,
		TW_MODE_AUTH | TW_MODE_OWAMP_IKEV2), 0);
}

/* ===================================================== Server-Start */

/* RFC 4656 §3.1 Server-Start */
static const uint8_t start_wire[48] = {
	Z8, 0, 0, 0, 0, 0, 0, 0,      /* MBZ (15) */
	0x00,                         /* Accept */
	SEQ16(0x90),                  /* Server-IV */
	0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* Start-Time */
	Z8,                           /* MBZ */
};

static const struct tw_ctrl_server_start start_m = {
	.accept = 0, .server_iv = { SEQ16(0x90) }, .start_time = TS_START,
};

static int sstart_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_server_start_encode(m, b, c);
}

static int sstart_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_server_start_decode(b, l, o);
}

static struct codec sstart_codec = {
	start_wire, sizeof(start_wire), sstart_enc, sstart_dec, &start_m,
	sizeof(struct tw_ctrl_server_start),
};

static void test_server_start_decode(void **state)
{
	struct tw_ctrl_server_start m;
	uint8_t buf[48];

	(void)state;
	assert_int_equal(tw_proto_ctrl_server_start_decode(start_wire, 48, &m), 48);
	assert_int_equal(m.accept, 0);
	assert_memory_equal(m.server_iv, start_wire + 16, 16);
	assert_true(m.start_time == TS_START);
	/* Accept 6 (RFC 7717 §5.3) sits in octet 15; MBZ garbage ignored */
	memcpy(buf, start_wire, 48);
	memset(buf, 0xff, 15);
	memset(buf + 40, 0xff, 8);
	buf[15] = TW_ACCEPT_NO_IKEV2_SA;
	assert_int_equal(tw_proto_ctrl_server_start_decode(buf, 48, &m), 48);
	assert_int_equal(m.accept, 6);
	assert_true(m.start_time == TS_START);
}

static void test_server_start_encode_accept(void **state)
{
	struct tw_ctrl_server_start m = { .accept = 6 };
	uint8_t buf[48];

	(void)state;
	assert_int_equal(tw_proto_ctrl_server_start_encode(&m, buf, 48), 48);
	assert_int_equal(buf[15], 6);
	assert_true(tw_proto_is_zero(buf, 15));
	assert_true(tw_proto_is_zero(buf + 16, 32));
}

/* =============================================== Request-TW-Session */

/* RFC 5357 §3.5 Request-TW-Session, IPv4, DSCP EF */
static const uint8_t req4_wire[112] = {
	0x05, 0x04, 0x00, 0x00,       /* Command 5 | MBZ | IPVN 4 | Conf-S | Conf-R */
	Z4,                           /* Number of Schedule Slots */
	Z4,                           /* Number of Packets */
	0x4e, 0x20, 0x4e, 0x21,       /* Sender Port 20000 | Receiver Port 20001 */
	192, 0, 2, 1, Z12,            /* Sender Address + MBZ */
	198, 51, 100, 2, Z12,         /* Receiver Address + MBZ */
	Z16,                          /* SID */
	0x00, 0x00, 0x00, 0x1b,       /* Padding Length 27 */
	0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* Start Time */
	0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, /* Timeout 2.5 s */
	0x2e, 0x00, 0x00, 0x00,       /* Type-P: format 00, DSCP 46 (EF) */
	Z8,                           /* MBZ */
	SEQ16(HMAC_A),                /* HMAC */
};

static const struct tw_ctrl_request req4_m = {
	.ipvn = 4, .sender_port = 20000, .receiver_port = 20001,
	.sender_addr = { 192, 0, 2, 1 }, .receiver_addr = { 198, 51, 100, 2 },
	.padding_length = 27, .start_time = TS_START, .timeout = TS_TIMEOUT,
	.type_p = 0x2e000000, .hmac = { SEQ16(HMAC_A) },
};

/* The same with IPv6 addresses and RFC 6038 reflect octets. */
static const uint8_t req6_wire[112] = {
	0x05, 0x06, 0x00, 0x00,
	Z4,
	Z4,
	0x4e, 0x20, 0x00, 0x00,       /* Receiver Port 0: server chooses */
	0x20, 0x01, 0x0d, 0xb8, Z8, 0, 0, 0, 1,  /* 2001:db8::1 */
	0x20, 0x01, 0x0d, 0xb8, Z8, 0, 0, 0, 2,  /* 2001:db8::2 */
	Z16,
	0x00, 0x00, 0x00, 0x60,       /* Padding Length 96 */
	0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00,
	0x40, 0x0b, 0x80, 0x00,       /* Type-P: format 01, PHB ID 0x002e */
	0x12, 0x34, 0x00, 0x20,       /* Octets to be reflected | Length of padding to reflect 32 */
	Z4,                           /* MBZ */
	SEQ16(HMAC_A),
};

static const struct tw_ctrl_request req6_m = {
	.ipvn = 6, .sender_port = 20000, .receiver_port = 0,
	.sender_addr = { 0x20, 0x01, 0x0d, 0xb8, Z8, 0, 0, 0, 1 },
	.receiver_addr = { 0x20, 0x01, 0x0d, 0xb8, Z8, 0, 0, 0, 2 },
	.padding_length = 96, .start_time = TS_START, .timeout = TS_TIMEOUT,
	.type_p = 0x400b8000, .reflect_octets = 0x1234, .reflect_padding = 32,
	.hmac = { SEQ16(HMAC_A) },
};

static int req4_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_twamp_request_encode(m, TW_MODE_UNAUTH, b, c);
}

static int req4_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_twamp_request_decode(b, l, TW_MODE_UNAUTH, o);
}

static int req6_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_twamp_request_encode(m, TW_MODE_AUTH | TW_MODE_REFLECT_OCTETS, b, c);
}

static int req6_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_twamp_request_decode(b, l, TW_MODE_AUTH | TW_MODE_REFLECT_OCTETS, o);
}

static struct codec req4_codec = {
	req4_wire, sizeof(req4_wire), req4_enc, req4_dec, &req4_m,
	sizeof(struct tw_ctrl_request),
};

static struct codec req6_codec = {
	req6_wire, sizeof(req6_wire), req6_enc, req6_dec, &req6_m,
	sizeof(struct tw_ctrl_request),
};

static void test_request_encode_dscp_helper(void **state)
{
	struct tw_ctrl_request m = req4_m;
	uint8_t buf[112];

	(void)state;
	m.type_p = tw_proto_ctrl_typep_dscp(46);
	assert_int_equal(m.type_p, 0x2e000000);
	/* fields TWAMP forbids are written as 0 whatever the struct holds */
	m.conf_sender = 1;
	m.num_slots = 3;
	m.num_packets = 9;
	m.reflect_octets = 0xffff; /* no reflect-octets mode: MBZ */
	m.sender_addr[4] = 0xff;   /* beyond the IPv4 address: MBZ */
	assert_int_equal(tw_proto_twamp_request_encode(&m, TW_MODE_UNAUTH, buf, 112), 112);
	assert_memory_equal(buf, req4_wire, 112);
}

static void test_request_decode_v4(void **state)
{
	struct tw_ctrl_request m;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, req4_wire, 112);
	memset(buf + 20, 0xff, 12); /* MBZ after the IPv4 addresses */
	memset(buf + 36, 0xff, 12);
	memset(buf + 88, 0xff, 8);  /* MBZ without reflect octets */
	buf[1] |= 0xf0;             /* MBZ nibble before IPVN */
	assert_int_equal(tw_proto_twamp_request_decode(buf, 112, TW_MODE_UNAUTH, &m), 112);
	assert_int_equal(m.ipvn, 4);
	assert_int_equal(m.sender_port, 20000);
	assert_int_equal(m.receiver_port, 20001);
	assert_memory_equal(m.sender_addr, req4_m.sender_addr, 16);
	assert_memory_equal(m.receiver_addr, req4_m.receiver_addr, 16);
	assert_true(tw_proto_is_zero(m.sid, 16));
	assert_int_equal(m.padding_length, 27);
	assert_true(m.start_time == TS_START);
	assert_true(m.timeout == TS_TIMEOUT);
	assert_int_equal(m.type_p, 0x2e000000);
	assert_int_equal(m.typep.format, TW_TYPEP_DSCP);
	assert_int_equal(m.typep.dscp, 46);
	assert_int_equal(m.reflect_octets, 0);
	assert_int_equal(m.reflect_padding, 0);
	assert_memory_equal(m.hmac, req4_wire + 96, 16);
	assert_int_equal(m.num_slots, 0);
	assert_int_equal(m.num_packets, 0);
}

static void test_request_decode_v6_reflect(void **state)
{
	struct tw_ctrl_request m;

	(void)state;
	assert_int_equal(tw_proto_twamp_request_decode(req6_wire, 112,
		TW_MODE_AUTH | TW_MODE_REFLECT_OCTETS, &m), 112);
	assert_int_equal(m.ipvn, 6);
	assert_int_equal(m.receiver_port, 0);
	assert_memory_equal(m.sender_addr, req6_wire + 16, 16);
	assert_memory_equal(m.receiver_addr, req6_wire + 32, 16);
	assert_int_equal(m.typep.format, TW_TYPEP_PHB_ID);
	assert_int_equal(m.typep.phb_id, 0x002e);
	assert_int_equal(m.reflect_octets, 0x1234);
	assert_int_equal(m.reflect_padding, 32);
	/* the same octets without the mode: those fields are MBZ */
	assert_int_equal(tw_proto_twamp_request_decode(req6_wire, 112,
		TW_MODE_AUTH, &m), 112);
	assert_int_equal(m.reflect_octets, 0);
	assert_int_equal(m.reflect_padding, 0);
}

static void test_request_zero_addresses(void **state)
{
	struct tw_ctrl_request m = req4_m, d;
	uint8_t buf[112];

	(void)state;
	memset(m.sender_addr, 0, 16);  /* RFC 5357 §3.5: use the control addresses */
	memset(m.receiver_addr, 0, 16);
	assert_int_equal(tw_proto_twamp_request_encode(&m, 0, buf, 112), 112);
	assert_true(tw_proto_is_zero(buf + 16, 32));
	assert_int_equal(tw_proto_twamp_request_decode(buf, 112, 0, &d), 112);
	assert_true(tw_proto_is_zero(d.sender_addr, 16));
}

static void test_request_bad_command(void **state)
{
	struct tw_ctrl_request m, ref;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, req4_wire, 112);
	for (unsigned c = 0; c < 256; c++) {
		if (c == TW_TWAMP_CMD_REQUEST_TW_SESSION)
			continue;
		buf[0] = (uint8_t)c;
		memset(&m, 0x5a, sizeof(m));
		ref = m;
		assert_int_equal(tw_proto_twamp_request_decode(buf, 112, 0, &m),
				 -TW_PROTO_E_COMMAND);
		assert_memory_equal(&m, &ref, sizeof(m));
	}
}

static void test_request_bad_ipvn(void **state)
{
	struct tw_ctrl_request m = req4_m;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, req4_wire, 112);
	for (unsigned v = 0; v < 16; v++) {
		buf[1] = (uint8_t)v;
		assert_int_equal(tw_proto_twamp_request_decode(buf, 112, 0, &m),
				 v == 4 || v == 6 ? 112 : -TW_PROTO_E_IPVN);
	}
	m.ipvn = 5;
	assert_int_equal(tw_proto_twamp_request_encode(&m, 0, buf, 112),
			 -TW_PROTO_E_IPVN);
	m.ipvn = 0;
	assert_int_equal(tw_proto_twamp_request_encode(&m, 0, buf, 112),
			 -TW_PROTO_E_IPVN);
}

static void test_request_conf_nonzero(void **state)
{
	struct tw_ctrl_request m;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, req4_wire, 112);
	buf[2] = 1;
	assert_int_equal(tw_proto_twamp_request_decode(buf, 112, 0, &m),
			 -TW_PROTO_E_CONF);
	buf[2] = 0;
	buf[3] = 0x80;
	assert_int_equal(tw_proto_twamp_request_decode(buf, 112, 0, &m),
			 -TW_PROTO_E_CONF);
}

static void test_request_slots_reported(void **state)
{
	struct tw_ctrl_request m;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, req4_wire, 112);
	tw_put_be32(buf + 4, 7);
	tw_put_be32(buf + 8, 100);
	assert_int_equal(tw_proto_twamp_request_decode(buf, 112, 0, &m), 112);
	assert_int_equal(m.num_slots, 7);
	assert_int_equal(m.num_packets, 100);
}

static void test_typep(void **state)
{
	struct tw_typep t;

	(void)state;
	assert_int_equal(tw_proto_ctrl_typep_decode(0, &t), 0);
	assert_int_equal(t.format, TW_TYPEP_DSCP);
	assert_int_equal(t.dscp, 0);
	assert_int_equal(tw_proto_ctrl_typep_decode(0x2e000000, &t), 0);
	assert_int_equal(t.dscp, 46);
	assert_int_equal(tw_proto_ctrl_typep_dscp(63), 0x3f000000);
	assert_int_equal(tw_proto_ctrl_typep_phb(0xffff), 0x7fffc000);
	assert_int_equal(tw_proto_ctrl_typep_decode(0x7fffc000, &t), 0);
	assert_int_equal(t.format, TW_TYPEP_PHB_ID);
	assert_int_equal(t.phb_id, 0xffff);
	assert_int_equal(tw_proto_ctrl_typep_decode(0x80000000, &t), -TW_PROTO_E_RANGE);
	assert_int_equal(t.format, 2);
	assert_int_equal(tw_proto_ctrl_typep_decode(0xc0000000, &t), -TW_PROTO_E_RANGE);
	assert_int_equal(t.format, 3);
}

/* =================================================== Accept-Session */

/* RFC 4656 §3.5 Accept-Session */
static const uint8_t acc_wire[48] = {
	0x00, 0x00, 0x4e, 0x21,       /* Accept 0 | MBZ | Port 20001 */
	SEQ16(0xb0),                  /* SID */
	Z12,                          /* MBZ */
	SEQ16(HMAC_A),                /* HMAC */
};

/* RFC 6038 §4.3 Accept-Session with reflect octets */
static const uint8_t accr_wire[48] = {
	0x00, 0x00, 0x4e, 0x21,
	SEQ16(0xb0),
	0x12, 0x34, 0x56, 0x78,       /* Reflected octets | Server octets */
	Z8,                           /* MBZ */
	SEQ16(HMAC_A),
};

static const struct tw_ctrl_accept_session acc_m = {
	.accept = 0, .port = 20001, .sid = { SEQ16(0xb0) },
	.hmac = { SEQ16(HMAC_A) },
};

static const struct tw_ctrl_accept_session accr_m = {
	.accept = 0, .port = 20001, .sid = { SEQ16(0xb0) },
	.reflected_octets = 0x1234, .server_octets = 0x5678,
	.hmac = { SEQ16(HMAC_A) },
};

static int acc_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_accept_session_encode(m, 0, b, c);
}

static int acc_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_accept_session_decode(b, l, 0, o);
}

static int accr_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_accept_session_encode(m, TW_MODE_REFLECT_OCTETS, b, c);
}

static int accr_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_accept_session_decode(b, l, TW_MODE_REFLECT_OCTETS, o);
}

static struct codec acc_codec = {
	acc_wire, 48, acc_enc, acc_dec, &acc_m,
	sizeof(struct tw_ctrl_accept_session),
};

static struct codec accr_codec = {
	accr_wire, 48, accr_enc, accr_dec, &accr_m,
	sizeof(struct tw_ctrl_accept_session),
};

static void test_accept_session_decode(void **state)
{
	struct tw_ctrl_accept_session m;
	uint8_t buf[48];

	(void)state;
	assert_int_equal(tw_proto_ctrl_accept_session_decode(accr_wire, 48,
		TW_MODE_REFLECT_OCTETS, &m), 48);
	assert_int_equal(m.accept, 0);
	assert_int_equal(m.port, 20001);
	assert_memory_equal(m.sid, accr_wire + 4, 16);
	assert_int_equal(m.reflected_octets, 0x1234);
	assert_int_equal(m.server_octets, 0x5678);
	assert_memory_equal(m.hmac, accr_wire + 32, 16);
	/* without the mode octets 20-31 are MBZ and ignored */
	assert_int_equal(tw_proto_ctrl_accept_session_decode(accr_wire, 48, 0, &m), 48);
	assert_int_equal(m.reflected_octets, 0);
	memcpy(buf, acc_wire, 48);
	buf[1] = 0xff;
	buf[0] = TW_ACCEPT_NOT_SUPPORTED;
	assert_int_equal(tw_proto_ctrl_accept_session_decode(buf, 48, 0, &m), 48);
	assert_int_equal(m.accept, 3);
}

static void test_accept_session_encode_no_mode(void **state)
{
	uint8_t buf[48];

	(void)state;
	/* reflect fields are not sent without the mode */
	assert_int_equal(tw_proto_ctrl_accept_session_encode(&accr_m, 0, buf, 48), 48);
	assert_memory_equal(buf, acc_wire, 48);
}

/* ============================================ Start / Stop messages */

/* RFC 4656 §3.7 Start-Sessions */
static const uint8_t ss_wire[32] = {
	0x02, 0, 0, 0, Z4, Z8,        /* Command 2 | MBZ (15) */
	SEQ16(HMAC_A),
};
static const struct tw_ctrl_start_sessions ss_m = { .hmac = { SEQ16(HMAC_A) } };

static int ss_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_start_sessions_encode(m, b, c);
}

static int ss_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_start_sessions_decode(b, l, o);
}

static struct codec ss_codec = {
	ss_wire, 32, ss_enc, ss_dec, &ss_m, sizeof(struct tw_ctrl_start_sessions),
};

static void test_start_sessions_decode(void **state)
{
	struct tw_ctrl_start_sessions m;
	uint8_t buf[32];

	(void)state;
	memcpy(buf, ss_wire, 32);
	memset(buf + 1, 0xff, 15);
	assert_int_equal(tw_proto_ctrl_start_sessions_decode(buf, 32, &m), 32);
	assert_memory_equal(m.hmac, ss_wire + 16, 16);
	buf[0] = 3;
	assert_int_equal(tw_proto_ctrl_start_sessions_decode(buf, 32, &m),
			 -TW_PROTO_E_COMMAND);
}

/* RFC 4656 §3.7 Start-Ack */
static const uint8_t sa_wire[32] = {
	0x05, 0, 0, 0, Z4, Z8,        /* Accept 5 | MBZ (15) */
	SEQ16(HMAC_B),
};
static const struct tw_ctrl_start_ack sa_m = { .accept = 5, .hmac = { SEQ16(HMAC_B) } };

static int sa_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_start_ack_encode(m, b, c);
}

static int sa_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_ctrl_start_ack_decode(b, l, o);
}

static struct codec sa_codec = {
	sa_wire, 32, sa_enc, sa_dec, &sa_m, sizeof(struct tw_ctrl_start_ack),
};

static void test_start_ack_decode(void **state)
{
	struct tw_ctrl_start_ack m;

	(void)state;
	assert_int_equal(tw_proto_ctrl_start_ack_decode(sa_wire, 32, &m), 32);
	assert_int_equal(m.accept, 5);
	assert_memory_equal(m.hmac, sa_wire + 16, 16);
}

/* RFC 5357 §3.8 Stop-Sessions */
static const uint8_t stop_wire[32] = {
	0x03, 0x00, 0x00, 0x00,       /* Command 3 | Accept 0 | MBZ */
	0x00, 0x00, 0x00, 0x02,       /* Number of Sessions 2 */
	Z8,                           /* MBZ */
	SEQ16(HMAC_A),
};
static const struct tw_ctrl_stop_sessions stop_m = {
	.accept = 0, .num_sessions = 2, .hmac = { SEQ16(HMAC_A) },
};

static int stop_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_twamp_stop_sessions_encode(m, b, c);
}

static int stop_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_twamp_stop_sessions_decode(b, l, o);
}

static struct codec stop_codec = {
	stop_wire, 32, stop_enc, stop_dec, &stop_m, sizeof(struct tw_ctrl_stop_sessions),
};

static void test_stop_sessions_decode(void **state)
{
	struct tw_ctrl_stop_sessions m;
	uint8_t buf[32];

	(void)state;
	memcpy(buf, stop_wire, 32);
	buf[1] = 2;
	memset(buf + 8, 0xff, 8);
	assert_int_equal(tw_proto_twamp_stop_sessions_decode(buf, 32, &m), 32);
	assert_int_equal(m.accept, 2);
	assert_int_equal(m.num_sessions, 2);
	assert_memory_equal(m.hmac, stop_wire + 16, 16);
	buf[0] = 2;
	assert_int_equal(tw_proto_twamp_stop_sessions_decode(buf, 32, &m),
			 -TW_PROTO_E_COMMAND);
}

/* ============================================ RFC 5938 N-sessions */

static const uint8_t two_sids[32] = { SEQ16(0x30), SEQ16(0x50) };

/* RFC 5938 §3.2 Start-N-Sessions with two SIDs */
static const uint8_t sn_wire[64] = {
	0x07, 0, 0, 0, Z8,            /* Command 7 | MBZ (11) */
	0x00, 0x00, 0x00, 0x02,       /* Number of Sessions */
	SEQ16(0x30), SEQ16(0x50),     /* SIDs */
	SEQ16(HMAC_A),
};
/* RFC 5938 §3.3 Start-N-Ack */
static const uint8_t sna_wire[64] = {
	0x08, 0x05, 0x00, 0x00,       /* Command 8 | Accept 5 | MBZ */
	Z8,                           /* MBZ */
	0x00, 0x00, 0x00, 0x02,
	SEQ16(0x30), SEQ16(0x50),
	SEQ16(HMAC_A),
};
/* RFC 5938 §3.4 Stop-N-Sessions with one SID */
static const uint8_t stn_wire[48] = {
	0x09, 0, 0, 0, Z8,
	0x00, 0x00, 0x00, 0x01,
	SEQ16(0x30),
	SEQ16(HMAC_A),
};
/* RFC 5938 §3.5 Stop-N-Ack */
static const uint8_t stna_wire[48] = {
	0x0a, 0x00, 0x00, 0x00, Z8,
	0x00, 0x00, 0x00, 0x01,
	SEQ16(0x30),
	SEQ16(HMAC_A),
};

static const struct tw_ctrl_n_sessions sn_m = {
	.num_sessions = 2, .sids = two_sids, .hmac = { SEQ16(HMAC_A) },
};
static const struct tw_ctrl_n_sessions sna_m = {
	.accept = 5, .num_sessions = 2, .sids = two_sids, .hmac = { SEQ16(HMAC_A) },
};
static const struct tw_ctrl_n_sessions stn_m = {
	.num_sessions = 1, .sids = two_sids, .hmac = { SEQ16(HMAC_A) },
};

#define N_WRAP(name)                                                          \
	static int name##_e(const void *m, uint8_t *b, size_t c)              \
	{                                                                     \
		return tw_proto_twamp_##name##_encode(m, b, c);               \
	}                                                                     \
	static int name##_d(const uint8_t *b, size_t l, void *o)              \
	{                                                                     \
		return tw_proto_twamp_##name##_decode(b, l, o);               \
	}
N_WRAP(start_n)
N_WRAP(start_n_ack)
N_WRAP(stop_n)
N_WRAP(stop_n_ack)

static struct codec sn_codec = {
	sn_wire, 64, start_n_e, start_n_d, &sn_m, sizeof(struct tw_ctrl_n_sessions),
};
static struct codec sna_codec = {
	sna_wire, 64, start_n_ack_e, start_n_ack_d, &sna_m,
	sizeof(struct tw_ctrl_n_sessions),
};
static struct codec stn_codec = {
	stn_wire, 48, stop_n_e, stop_n_d, &stn_m, sizeof(struct tw_ctrl_n_sessions),
};
static struct codec stna_codec = {
	stna_wire, 48, stop_n_ack_e, stop_n_ack_d, &stn_m,
	sizeof(struct tw_ctrl_n_sessions),
};

static void test_start_n_decode(void **state)
{
	struct tw_ctrl_n_sessions m;

	(void)state;
	assert_int_equal(tw_proto_twamp_start_n_decode(sn_wire, 64, &m), 64);
	assert_int_equal(m.num_sessions, 2);
	assert_int_equal(m.accept, 0);
	assert_ptr_equal(m.sids, sn_wire + 16);
	assert_memory_equal(m.sids, two_sids, 32);
	assert_memory_equal(m.hmac, sn_wire + 48, 16);
	assert_int_equal(tw_proto_twamp_start_n_ack_decode(sna_wire, 64, &m), 64);
	assert_int_equal(m.accept, 5);
	assert_int_equal(m.num_sessions, 2);
	assert_int_equal(tw_proto_twamp_stop_n_decode(stn_wire, 48, &m), 48);
	assert_int_equal(m.num_sessions, 1);
	assert_memory_equal(m.sids, two_sids, 16);
	assert_int_equal(tw_proto_twamp_stop_n_ack_decode(stna_wire, 48, &m), 48);
	assert_int_equal(m.accept, 0);
}

static void test_n_wrong_command(void **state)
{
	struct tw_ctrl_n_sessions m;

	(void)state;
	assert_int_equal(tw_proto_twamp_start_n_decode(sna_wire, 64, &m),
			 -TW_PROTO_E_COMMAND);
	assert_int_equal(tw_proto_twamp_start_n_ack_decode(sn_wire, 64, &m),
			 -TW_PROTO_E_COMMAND);
	assert_int_equal(tw_proto_twamp_stop_n_decode(stna_wire, 48, &m),
			 -TW_PROTO_E_COMMAND);
	assert_int_equal(tw_proto_twamp_stop_n_ack_decode(stn_wire, 48, &m),
			 -TW_PROTO_E_COMMAND);
}

static void test_n_zero_sessions(void **state)
{
	struct tw_ctrl_n_sessions m = sn_m;
	uint8_t buf[64];

	(void)state;
	memcpy(buf, sn_wire, 64);
	tw_put_be32(buf + 12, 0);
	assert_int_equal(tw_proto_twamp_start_n_decode(buf, 64, &m), -TW_PROTO_E_RANGE);
	m.num_sessions = 0;
	assert_int_equal(tw_proto_twamp_start_n_encode(&m, buf, 64), -TW_PROTO_E_RANGE);
	assert_int_equal(tw_proto_twamp_stop_n_ack_encode(&m, buf, 64), -TW_PROTO_E_RANGE);
}

static void test_n_count_vs_input(void **state)
{
	struct tw_ctrl_n_sessions m = sn_m;
	uint8_t buf[64];

	(void)state;
	memcpy(buf, sn_wire, 64);
	tw_put_be32(buf + 12, 3);  /* claims 3 SIDs, 2 present */
	assert_int_equal(tw_proto_twamp_start_n_decode(buf, 64, &m),
			 -TW_PROTO_E_TRUNCATED);
	tw_put_be32(buf + 12, 0xffffffff);
	assert_int_equal(tw_proto_twamp_start_n_decode(buf, 64, &m),
			 -TW_PROTO_E_LENGTH);
	m.num_sessions = 0x10000;  /* 32 + 16 * 65536 > 1 MiB */
	assert_int_equal(tw_proto_twamp_start_n_encode(&m, buf, 64),
			 -TW_PROTO_E_LENGTH);
	m = sn_m;
	m.sids = NULL;
	assert_int_equal(tw_proto_twamp_start_n_encode(&m, buf, 64),
			 -TW_PROTO_E_INVAL);
}

/* ============================================ OWAMP Request-Session */

/* RFC 4656 §3.5 Request-Session with two slots and both HMACs */
static const uint8_t oreq_wire[160] = {
	0x01, 0x04, 0x00, 0x01,       /* Command 1 | IPVN 4 | Conf-S 0 | Conf-R 1 */
	0x00, 0x00, 0x00, 0x02,       /* Number of Schedule Slots */
	0x00, 0x00, 0x00, 0x64,       /* Number of Packets 100 */
	0x4e, 0x20, 0x4e, 0x21,
	192, 0, 2, 1, Z12,
	198, 51, 100, 2, Z12,
	SEQ16(0xb0),                  /* SID */
	0x00, 0x00, 0x00, 0x00,       /* Padding Length */
	0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,       /* Type-P: best effort */
	Z8,
	SEQ16(HMAC_A),                /* first HMAC */
	0x00, 0, 0, 0, 0, 0, 0, 0,    /* slot: type 0 (exponential) | MBZ */
	0x00, 0x00, 0x00, 0x00, 0x19, 0x99, 0x99, 0x9a, /* 0.1 s */
	0x01, 0, 0, 0, 0, 0, 0, 0,    /* slot: type 1 (fixed) */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* 1 s */
	SEQ16(HMAC_B),                /* second HMAC */
};

static const struct tw_owamp_slot oreq_slots[2] = {
	{ TW_OWAMP_SLOT_EXP, 0x1999999aULL }, { TW_OWAMP_SLOT_FIXED, 1ULL << 32 },
};

static const struct tw_ctrl_request oreq_m = {
	.ipvn = 4, .conf_receiver = 1, .num_slots = 2, .num_packets = 100,
	.sender_port = 20000, .receiver_port = 20001,
	.sender_addr = { 192, 0, 2, 1 }, .receiver_addr = { 198, 51, 100, 2 },
	.sid = { SEQ16(0xb0) }, .start_time = TS_START, .timeout = TS_TIMEOUT,
	.hmac = { SEQ16(HMAC_A) }, .slots = oreq_slots, .hmac2 = { SEQ16(HMAC_B) },
};

static int oreq_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_owamp_request_encode(m, b, c);
}

static int oreq_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_owamp_request_decode(b, l, o);
}

static struct codec oreq_codec = {
	oreq_wire, sizeof(oreq_wire), oreq_enc, oreq_dec, &oreq_m,
	sizeof(struct tw_ctrl_request),
};

static void test_owamp_request_decode(void **state)
{
	struct tw_ctrl_request m;
	struct tw_owamp_slot sl;

	(void)state;
	assert_int_equal(tw_proto_owamp_request_decode(oreq_wire, 160, &m), 160);
	assert_int_equal(m.conf_sender, 0);
	assert_int_equal(m.conf_receiver, 1);
	assert_int_equal(m.num_slots, 2);
	assert_int_equal(m.num_packets, 100);
	assert_memory_equal(m.sid, oreq_wire + 48, 16);
	assert_memory_equal(m.hmac, oreq_wire + 96, 16);
	assert_memory_equal(m.hmac2, oreq_wire + 144, 16);
	assert_ptr_equal(m.slot_wire, oreq_wire + 112);
	tw_proto_owamp_slot_get(&m, 0, &sl);
	assert_int_equal(sl.type, TW_OWAMP_SLOT_EXP);
	assert_true(sl.parameter == 0x1999999aULL);
	tw_proto_owamp_slot_get(&m, 1, &sl);
	assert_int_equal(sl.type, TW_OWAMP_SLOT_FIXED);
	assert_true(sl.parameter == 1ULL << 32);
}

static void test_owamp_request_conf(void **state)
{
	struct tw_ctrl_request m = oreq_m;
	uint8_t buf[160];

	(void)state;
	memcpy(buf, oreq_wire, 160);
	buf[2] = 0x80;  /* any non-zero value means 1 */
	buf[3] = 0;
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), 160);
	assert_int_equal(m.conf_sender, 1);
	assert_int_equal(m.conf_receiver, 0);
	buf[2] = 0;     /* at least one MUST be 1 */
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_CONF);
	m = oreq_m;
	m.conf_receiver = 0;
	assert_int_equal(tw_proto_owamp_request_encode(&m, buf, 160), -TW_PROTO_E_CONF);
	m.conf_sender = 7;  /* written as 1 */
	assert_int_equal(tw_proto_owamp_request_encode(&m, buf, 160), 160);
	assert_int_equal(buf[2], 1);
}

static void test_owamp_request_bad_slot(void **state)
{
	struct tw_owamp_slot slots[2] = { oreq_slots[0], { 2, 1 } };
	struct tw_ctrl_request m = oreq_m;
	uint8_t buf[160];

	(void)state;
	memcpy(buf, oreq_wire, 160);
	buf[128] = 2;
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_SLOT);
	buf[128] = 0xff;
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_SLOT);
	m.slots = slots;
	assert_int_equal(tw_proto_owamp_request_encode(&m, buf, 160), -TW_PROTO_E_SLOT);
}

static void test_owamp_request_counts(void **state)
{
	struct tw_ctrl_request m = oreq_m;
	uint8_t buf[160];

	(void)state;
	memcpy(buf, oreq_wire, 160);
	tw_put_be32(buf + 4, 0);
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_RANGE);
	tw_put_be32(buf + 4, 3);  /* one slot more than present */
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m),
			 -TW_PROTO_E_TRUNCATED);
	tw_put_be32(buf + 4, 0x00100000);
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_LENGTH);
	buf[0] = 5;
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_COMMAND);
	memcpy(buf, oreq_wire, 160);
	buf[1] = 5;
	assert_int_equal(tw_proto_owamp_request_decode(buf, 160, &m), -TW_PROTO_E_IPVN);
	m.num_slots = 0;
	assert_int_equal(tw_proto_owamp_request_encode(&m, buf, 160), -TW_PROTO_E_RANGE);
	m.num_slots = 0x00100000;
	assert_int_equal(tw_proto_owamp_request_encode(&m, buf, 160), -TW_PROTO_E_LENGTH);
	m = oreq_m;
	m.slots = NULL;
	assert_int_equal(tw_proto_owamp_request_encode(&m, buf, 160), -TW_PROTO_E_INVAL);
}

/* ============================================ OWAMP Stop-Sessions */

static const struct tw_owamp_skip ostop_skips[2] = { { 5, 9 }, { 20, 20 } };
static const struct tw_owamp_sess_desc ostop_sess[2] = {
	{ .sid = { SEQ16(0x30) }, .next_seqno = 100 },
	{ .sid = { SEQ16(0x50) }, .next_seqno = 100, .num_skips = 2,
	  .skips = ostop_skips },
};

/* RFC 4656 §3.8 Stop-Sessions: two records, the second with 2 skip ranges */
static const uint8_t ostop_wire[112] = {
	0x03, 0x00, 0x00, 0x00,       /* Command 3 | Accept 0 | MBZ */
	0x00, 0x00, 0x00, 0x02,       /* Number of Sessions */
	Z8,                           /* MBZ */
	SEQ16(0x30),                  /* SID */
	0x00, 0x00, 0x00, 0x64,       /* Next Seqno 100 */
	0x00, 0x00, 0x00, 0x00,       /* Number of Skip Ranges 0 */
	Z8,                           /* padding to 32 */
	SEQ16(0x50),
	0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09, /* skip 5..9 */
	0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x14, /* skip 20..20 */
	Z8,                           /* padding to 48 */
	SEQ16(HMAC_A),
};

static const struct tw_owamp_stop_sessions ostop_m = {
	.accept = 0, .num_sessions = 2, .sessions = ostop_sess,
	.hmac = { SEQ16(HMAC_A) },
};

static int ostop_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_owamp_stop_sessions_encode(m, b, c);
}

static int ostop_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_owamp_stop_sessions_decode(b, l, o);
}

static struct codec ostop_codec = {
	ostop_wire, sizeof(ostop_wire), ostop_enc, ostop_dec, &ostop_m,
	sizeof(struct tw_owamp_stop_sessions),
};

static void test_owamp_stop_decode(void **state)
{
	struct tw_owamp_stop_sessions m;
	struct tw_owamp_sess_desc d;
	struct tw_owamp_skip sk;
	size_t off = 0;
	int rc;

	(void)state;
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(ostop_wire, 112, &m), 112);
	assert_int_equal(m.num_sessions, 2);
	assert_int_equal(m.records_len, 80);
	assert_memory_equal(m.hmac, ostop_wire + 96, 16);
	rc = tw_proto_owamp_sess_desc_decode(m.records + off, m.records_len - off, &d);
	assert_int_equal(rc, 32);
	assert_memory_equal(d.sid, ostop_wire + 16, 16);
	assert_int_equal(d.next_seqno, 100);
	assert_int_equal(d.num_skips, 0);
	off += (size_t)rc;
	rc = tw_proto_owamp_sess_desc_decode(m.records + off, m.records_len - off, &d);
	assert_int_equal(rc, 48);
	assert_int_equal(d.num_skips, 2);
	tw_proto_owamp_skip_get(d.skip_wire, 1, &sk);
	assert_int_equal(sk.first, 20);
	assert_int_equal(sk.last, 20);
	off += (size_t)rc;
	assert_int_equal(off, m.records_len);
}

static void test_owamp_stop_empty(void **state)
{
	static const uint8_t wire[32] = {
		0x03, 0x02, 0x00, 0x00, Z4, Z8, SEQ16(HMAC_A),
	};
	struct tw_owamp_stop_sessions m = { .accept = 2, .hmac = { SEQ16(HMAC_A) } };
	uint8_t buf[32];

	(void)state;
	assert_int_equal(tw_proto_owamp_stop_sessions_encode(&m, buf, 32), 32);
	assert_memory_equal(buf, wire, 32);
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(wire, 32, &m), 32);
	assert_int_equal(m.accept, 2);
	assert_int_equal(m.records_len, 0);
}

static void test_owamp_stop_skip_order(void **state)
{
	struct tw_owamp_skip bad[2] = { { 5, 9 }, { 9, 12 } };  /* overlap */
	struct tw_owamp_sess_desc s = ostop_sess[1];
	struct tw_owamp_stop_sessions m = ostop_m;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, ostop_wire, 112);
	buf[83] = 9; /* second range starts at 9 <= 9 */
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(buf, 112, &m),
			 -TW_PROTO_E_RANGE);
	memcpy(buf, ostop_wire, 112);
	buf[75] = 10; /* first 10 > last 9 */
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(buf, 112, &m),
			 -TW_PROTO_E_RANGE);
	s.skips = bad;
	m.sessions = &s;
	m.num_sessions = 1;
	assert_int_equal(tw_proto_owamp_stop_sessions_encode(&m, buf, 112),
			 -TW_PROTO_E_RANGE);
}

static void test_owamp_stop_counts(void **state)
{
	struct tw_owamp_stop_sessions m;
	uint8_t buf[112];

	(void)state;
	memcpy(buf, ostop_wire, 112);
	tw_put_be32(buf + 4, 3);
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(buf, 112, &m),
			 -TW_PROTO_E_TRUNCATED);
	memcpy(buf, ostop_wire, 112);
	tw_put_be32(buf + 4 + 16 + 16, 0x00200000); /* skip count of record 1 */
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(buf, 112, &m),
			 -TW_PROTO_E_LENGTH);
	memcpy(buf, ostop_wire, 112);
	buf[0] = 1;
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(buf, 112, &m),
			 -TW_PROTO_E_COMMAND);
	m = ostop_m;
	m.sessions = NULL;
	assert_int_equal(tw_proto_owamp_stop_sessions_encode(&m, buf, 112),
			 -TW_PROTO_E_INVAL);
}

static void test_owamp_stop_padding_ignored(void **state)
{
	struct tw_owamp_stop_sessions m;
	uint8_t buf[112], out[112];

	(void)state;
	memcpy(buf, ostop_wire, 112);
	memset(buf + 40, 0xff, 8);   /* padding of record 1 */
	memset(buf + 88, 0xff, 8);   /* padding of record 2 */
	assert_int_equal(tw_proto_owamp_stop_sessions_decode(buf, 112, &m), 112);
	/* re-encoding from the decoded records zeroes the padding */
	assert_int_equal(tw_proto_owamp_stop_sessions_encode(&m, out, 112), 112);
	assert_memory_equal(out, ostop_wire, 112);
}

/* ============================================ OWAMP Fetch */

/* RFC 4656 §3.9 Fetch-Session: the complete session */
static const uint8_t fs_wire[48] = {
	0x04, 0, 0, 0, Z4,            /* Command 4 | MBZ (7) */
	0x00, 0x00, 0x00, 0x00,       /* Begin Seq */
	0xff, 0xff, 0xff, 0xff,       /* End Seq */
	SEQ16(0xb0),                  /* SID */
	SEQ16(HMAC_A),
};
static const struct tw_owamp_fetch_session fs_m = {
	.begin_seq = 0, .end_seq = 0xffffffff, .sid = { SEQ16(0xb0) },
	.hmac = { SEQ16(HMAC_A) },
};

static int fs_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_owamp_fetch_session_encode(m, b, c);
}

static int fs_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_owamp_fetch_session_decode(b, l, o);
}

static struct codec fs_codec = {
	fs_wire, 48, fs_enc, fs_dec, &fs_m, sizeof(struct tw_owamp_fetch_session),
};

static void test_fetch_session_decode(void **state)
{
	struct tw_owamp_fetch_session m;
	uint8_t buf[48];

	(void)state;
	assert_int_equal(tw_proto_owamp_fetch_session_decode(fs_wire, 48, &m), 48);
	assert_int_equal(m.begin_seq, 0);
	assert_int_equal(m.end_seq, 0xffffffff);
	assert_memory_equal(m.sid, fs_wire + 16, 16);
	memcpy(buf, fs_wire, 48);
	buf[0] = 5;
	assert_int_equal(tw_proto_owamp_fetch_session_decode(buf, 48, &m),
			 -TW_PROTO_E_COMMAND);
}

/* RFC 4656 §3.9 Fetch-Ack */
static const uint8_t fa_wire[32] = {
	0x00, 0x01, 0x00, 0x00,       /* Accept 0 | Finished 1 | MBZ */
	0x00, 0x00, 0x00, 0x64,       /* Next Seqno 100 */
	0x00, 0x00, 0x00, 0x01,       /* Number of Skip Ranges */
	0x00, 0x00, 0x00, 0x03,       /* Number of Records */
	SEQ16(HMAC_B),
};
static const struct tw_owamp_fetch_ack fa_m = {
	.accept = 0, .finished = 1, .next_seqno = 100, .num_skips = 1,
	.num_records = 3, .hmac = { SEQ16(HMAC_B) },
};

static int fa_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_owamp_fetch_ack_encode(m, b, c);
}

static int fa_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_owamp_fetch_ack_decode(b, l, o);
}

static struct codec fa_codec = {
	fa_wire, 32, fa_enc, fa_dec, &fa_m, sizeof(struct tw_owamp_fetch_ack),
};

static void test_fetch_ack_decode(void **state)
{
	struct tw_owamp_fetch_ack m;

	(void)state;
	assert_int_equal(tw_proto_owamp_fetch_ack_decode(fa_wire, 32, &m), 32);
	assert_int_equal(m.finished, 1);
	assert_int_equal(m.next_seqno, 100);
	assert_int_equal(m.num_skips, 1);
	assert_int_equal(m.num_records, 3);
}

static void test_fetch_ack_reject_zeroes(void **state)
{
	struct tw_owamp_fetch_ack m = fa_m;
	uint8_t buf[32];

	(void)state;
	m.accept = 1;
	assert_int_equal(tw_proto_owamp_fetch_ack_encode(&m, buf, 32), 32);
	assert_int_equal(buf[0], 1);
	assert_true(tw_proto_is_zero(buf + 1, 15));
	memcpy(buf, fa_wire, 32);
	buf[0] = 4;
	assert_int_equal(tw_proto_owamp_fetch_ack_decode(buf, 32, &m), 32);
	assert_int_equal(m.accept, 4);
	assert_int_equal(m.finished, 0);
	assert_int_equal(m.num_records, 0);
	assert_memory_equal(m.hmac, fa_wire + 16, 16);
}

/* RFC 4656 §3.9 packet record */
static const uint8_t rec_wire[25] = {
	0x00, 0x00, 0x00, 0x07,       /* Seq Number */
	0x81, 0x02, 0x00, 0x01,       /* Send / Receive Error Estimate */
	0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* Send Timestamp */
	0xe1, 0x23, 0x45, 0x68, 0x00, 0x00, 0x00, 0x01, /* Receive Timestamp */
	0xfe,                         /* TTL */
};
static const struct tw_owamp_record rec_m = {
	.seq = 7, .send_errest = 0x8102, .recv_errest = 0x0001,
	.send_ts = TS_START, .recv_ts = 0xe123456800000001ULL, .ttl = 254,
};

static int rec_enc(const void *m, uint8_t *b, size_t c)
{
	return tw_proto_owamp_record_encode(m, b, c);
}

static int rec_dec(const uint8_t *b, size_t l, void *o)
{
	return tw_proto_owamp_record_decode(b, l, o);
}

static struct codec rec_codec = {
	rec_wire, 25, rec_enc, rec_dec, &rec_m, sizeof(struct tw_owamp_record),
};

static void test_record_decode(void **state)
{
	struct tw_owamp_record r;

	(void)state;
	assert_int_equal(tw_proto_owamp_record_decode(rec_wire, 25, &r), 25);
	assert_int_equal(r.seq, 7);
	assert_int_equal(r.send_errest, 0x8102);
	assert_int_equal(r.recv_errest, 1);
	assert_true(r.send_ts == TS_START);
	assert_true(r.recv_ts == 0xe123456800000001ULL);
	assert_int_equal(r.ttl, 254);
}

static void test_records_block(void **state)
{
	struct tw_owamp_record recs[2] = { rec_m, rec_m };
	static const uint8_t hmac[16] = { SEQ16(HMAC_A) };
	uint8_t buf[128], h[16];
	const uint8_t *wire;
	struct tw_owamp_record r;

	(void)state;
	recs[1].seq = 8;
	assert_int_equal(tw_proto_owamp_records_block_len(2), 80);
	assert_int_equal(tw_proto_owamp_records_encode(recs, 2, hmac, buf, 79),
			 -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_owamp_records_encode(recs, 2, hmac, buf, sizeof(buf)), 80);
	assert_memory_equal(buf, rec_wire, 25);
	assert_int_equal(buf[28], 8);
	assert_true(tw_proto_is_zero(buf + 50, 14)); /* padding to 64 */
	assert_memory_equal(buf + 64, hmac, 16);
	for (size_t n = 0; n < 80; n++)
		assert_int_equal(tw_proto_owamp_records_decode(buf, n, 2, &wire, h),
				 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_owamp_records_decode(buf, 80, 2, &wire, h), 80);
	assert_ptr_equal(wire, buf);
	assert_memory_equal(h, hmac, 16);
	assert_int_equal(tw_proto_owamp_record_decode(wire + 25, 25, &r), 25);
	assert_int_equal(r.seq, 8);
	/* no records: only the HMAC block */
	assert_int_equal(tw_proto_owamp_records_encode(NULL, 0, hmac, buf, 16), 16);
	assert_int_equal(tw_proto_owamp_records_encode(NULL, 1, hmac, buf, 128),
			 -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_owamp_records_decode(buf, 128, 0x10000000, &wire, h),
			 -TW_PROTO_E_LENGTH);
}

static void test_skips_block(void **state)
{
	static const struct tw_owamp_skip sk[3] = { { 0, 9 }, { 15, 15 }, { 40, 41 } };
	static const uint8_t hmac[16] = { SEQ16(HMAC_B) };
	static const uint8_t wire_exp[48] = {
		0, 0, 0, 0, 0, 0, 0, 9,
		0, 0, 0, 15, 0, 0, 0, 15,
		0, 0, 0, 40, 0, 0, 0, 41,
		Z8,
		SEQ16(HMAC_B),
	};
	struct tw_owamp_skip bad[2] = { { 4, 9 }, { 1, 2 } };
	uint8_t buf[64], h[16];
	const uint8_t *wire;
	struct tw_owamp_skip s;

	(void)state;
	assert_int_equal(tw_proto_owamp_skips_block_len(3), 48);
	assert_int_equal(tw_proto_owamp_skips_encode(sk, 3, hmac, buf, 47),
			 -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_owamp_skips_encode(sk, 3, hmac, buf, 64), 48);
	assert_memory_equal(buf, wire_exp, 48);
	for (size_t n = 0; n < 48; n++)
		assert_int_equal(tw_proto_owamp_skips_decode(buf, n, 3, &wire, h),
				 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_owamp_skips_decode(buf, 48, 3, &wire, h), 48);
	tw_proto_owamp_skip_get(wire, 2, &s);
	assert_int_equal(s.first, 40);
	assert_int_equal(s.last, 41);
	assert_int_equal(tw_proto_owamp_skips_encode(bad, 2, hmac, buf, 64),
			 -TW_PROTO_E_RANGE);
	buf[11] = 3; /* second range 3..15 overlaps 0..9 */
	assert_int_equal(tw_proto_owamp_skips_decode(buf, 48, 3, &wire, h),
			 -TW_PROTO_E_RANGE);
}

/* ============================================ framing */

static void test_msg_len_twamp_commands(void **state)
{
	size_t need = 0;

	(void)state;
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_UNAUTH,
		TW_CTRL_EXPECT_COMMAND, req4_wire, 16, &need), 112);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_UNAUTH,
		TW_CTRL_EXPECT_COMMAND, ss_wire, 16, &need), 32);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_UNAUTH,
		TW_CTRL_EXPECT_COMMAND, stop_wire, 16, &need), 32);
	/* nothing yet: read one block */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		TW_CTRL_EXPECT_COMMAND, req4_wire, 0, &need), 0);
	assert_int_equal(need, 16);
}

static void test_msg_len_twamp_unknown(void **state)
{
	uint8_t blk[16] = { 0 };

	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		int rc;

		blk[0] = (uint8_t)c;
		rc = tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_UNAUTH,
					   TW_CTRL_EXPECT_COMMAND, blk, 16, NULL);
		if (c == 2 || c == 3)
			assert_int_equal(rc, 32);
		else if (c == 5)
			assert_int_equal(rc, 112);
		else
			assert_int_equal(rc, -TW_PROTO_E_COMMAND);
	}
}

static void test_msg_len_individual(void **state)
{
	const uint32_t mode = TW_MODE_UNAUTH | TW_MODE_INDIVIDUAL;
	uint8_t blk[16];
	size_t need;

	(void)state;
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, sn_wire, 16, NULL), 64);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, stn_wire, 16, NULL), 48);
	/* RFC 5938 §3.1: 2 and 3 are not used with bit 4 */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, ss_wire, 16, NULL), -TW_PROTO_E_COMMAND);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, stop_wire, 16, NULL), -TW_PROTO_E_COMMAND);
	/* and 7/9 only with it */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_UNAUTH,
		TW_CTRL_EXPECT_COMMAND, sn_wire, 16, NULL), -TW_PROTO_E_COMMAND);
	/* the count is in the first block: fewer octets, ask for the block */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, sn_wire, 8, &need), 0);
	assert_int_equal(need, 16);
	memcpy(blk, sn_wire, 16);
	tw_put_be32(blk + 12, 0);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, blk, 16, NULL), -TW_PROTO_E_RANGE);
	tw_put_be32(blk + 12, 0xffffffff);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, blk, 16, NULL), -TW_PROTO_E_LENGTH);
	tw_put_be32(blk + 12, 65534); /* the largest that fits 1 MiB */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, mode,
		TW_CTRL_EXPECT_COMMAND, blk, 16, NULL), 32 + 16 * 65534);
}

static void test_msg_len_replies(void **state)
{
	(void)state;
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		TW_CTRL_EXPECT_GREETING, NULL, 0, NULL), 64);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		TW_CTRL_EXPECT_SETUP_RESPONSE, NULL, 0, NULL), 164);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_SERVER_START, NULL, 0, NULL), 48);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		TW_CTRL_EXPECT_ACCEPT_SESSION, NULL, 0, NULL), 48);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		TW_CTRL_EXPECT_START_ACK, NULL, 0, NULL), 32);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_FETCH_ACK, NULL, 0, NULL), 32);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_INDIVIDUAL,
		TW_CTRL_EXPECT_N_ACK, sna_wire, 16, NULL), 64);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_INDIVIDUAL,
		TW_CTRL_EXPECT_N_ACK, stna_wire, 16, NULL), 48);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, TW_MODE_INDIVIDUAL,
		TW_CTRL_EXPECT_N_ACK, sn_wire, 16, NULL), -TW_PROTO_E_COMMAND);
	/* wrong protocol for the expectation, or out of range */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		TW_CTRL_EXPECT_FETCH_ACK, NULL, 0, NULL), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_N_ACK, sna_wire, 16, NULL), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_ctrl_msg_len((enum tw_ctrl_proto)7, 0,
		TW_CTRL_EXPECT_GREETING, NULL, 0, NULL), -TW_PROTO_E_INVAL);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, 0,
		(enum tw_ctrl_expect)99, NULL, 0, NULL), -TW_PROTO_E_INVAL);
}

static void test_msg_len_owamp(void **state)
{
	uint8_t blk[16] = { 0 };
	size_t need;

	(void)state;
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, TW_MODE_AUTH,
		TW_CTRL_EXPECT_COMMAND, oreq_wire, 16, NULL), 160);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, TW_MODE_AUTH,
		TW_CTRL_EXPECT_COMMAND, ss_wire, 16, NULL), 32);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, TW_MODE_AUTH,
		TW_CTRL_EXPECT_COMMAND, fs_wire, 16, NULL), 48);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, TW_MODE_AUTH,
		TW_CTRL_EXPECT_COMMAND, oreq_wire, 4, &need), 0);
	assert_int_equal(need, 16);
	blk[0] = 5; /* Request-TW-Session is no OWAMP command */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_COMMAND, blk, 16, NULL), -TW_PROTO_E_COMMAND);
	blk[0] = 1; /* Request-Session with no slot */
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_COMMAND, blk, 16, NULL), -TW_PROTO_E_RANGE);
	tw_put_be32(blk + 4, 0x00100000);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_COMMAND, blk, 16, NULL), -TW_PROTO_E_LENGTH);
}

static void test_msg_len_owamp_stop_incremental(void **state)
{
	size_t need = 0, have = 16;
	int rc;

	(void)state;
	/* feed block by block as a decrypting reader would */
	for (;;) {
		rc = tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0, TW_CTRL_EXPECT_COMMAND,
					   ostop_wire, have, &need);
		if (rc != 0)
			break;
		assert_true(need > have);
		assert_true(need <= 112);
		have = need;
	}
	assert_int_equal(rc, 112);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_STOP_SESSIONS, ostop_wire, 112, NULL), 112);
	assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_OWAMP, 0,
		TW_CTRL_EXPECT_STOP_SESSIONS, ss_wire, 16, NULL), -TW_PROTO_E_COMMAND);
}

/* ============================================ names */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tw_proto_ctrl_cmd_name(TW_CTRL_TWAMP, 5), "Request-TW-Session");
	assert_string_equal(tw_proto_ctrl_cmd_name(TW_CTRL_TWAMP, 10), "Stop-N-Ack");
	assert_string_equal(tw_proto_ctrl_cmd_name(TW_CTRL_TWAMP, 200), "unknown");
	assert_string_equal(tw_proto_ctrl_cmd_name(TW_CTRL_OWAMP, 4), "Fetch-Session");
	assert_string_equal(tw_proto_ctrl_cmd_name(TW_CTRL_OWAMP, 254), "Experimentation");
	assert_string_equal(tw_proto_ctrl_cmd_name(TW_CTRL_OWAMP, 5), "unknown");
	assert_string_equal(tw_proto_ctrl_accept_name(0), "OK");
	assert_string_equal(tw_proto_ctrl_accept_name(6), "Cannot find the IKEv2 SA");
	assert_string_equal(tw_proto_ctrl_accept_name(7), "reserved");
	assert_string_equal(tw_proto_ctrl_mode_name(TW_CTRL_TWAMP, 7), "IKEv2-derived key");
	assert_string_equal(tw_proto_ctrl_mode_name(TW_CTRL_OWAMP, 4), "IKEv2-derived key");
	assert_string_equal(tw_proto_ctrl_mode_name(TW_CTRL_TWAMP, 4),
			    "individual session control");
	assert_string_equal(tw_proto_ctrl_mode_name(TW_CTRL_TWAMP, 10), "unassigned");
	assert_string_equal(tw_proto_ctrl_mode_name(TW_CTRL_OWAMP, 31), "unassigned");
}

static void test_accept_normalize(void **state)
{
	(void)state;
	for (unsigned a = 0; a <= 6; a++)
		assert_int_equal(tw_proto_ctrl_accept_normalize((uint8_t)a), a);
	assert_int_equal(tw_proto_ctrl_accept_normalize(7), 1);
	assert_int_equal(tw_proto_ctrl_accept_normalize(255), 1);
}

static void test_mode_bits(void **state)
{
	(void)state;
	/* STANDARDS.md §2.2 / IANA TWAMP-Modes */
	assert_int_equal(TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_ENCRYPTED, 7);
	assert_int_equal(TW_MODE_AUTH | TW_MODE_IKEV2, 130);
	assert_int_equal(TW_MODE_ENCRYPTED | TW_MODE_IKEV2, 132);
	assert_int_equal(TW_MODE_MIXED | TW_MODE_IKEV2, 136);
	assert_int_equal(TW_MODE_AUTH | TW_MODE_OWAMP_IKEV2, 18);
	assert_int_equal(TW_MODE_DSCP_ECN, 256);
	assert_int_equal(TW_MODE_PTP, 512);
}

/* ============================================ mode matrix */

/*
 * The security mode never changes the plaintext layout (the caller encrypts);
 * only Reflect Octets and Individual Session Control do.
 */
static void test_mode_matrix(void **state)
{
	static const uint32_t sec[] = {
		TW_MODE_UNAUTH, TW_MODE_AUTH, TW_MODE_ENCRYPTED, TW_MODE_MIXED,
		TW_MODE_AUTH | TW_MODE_IKEV2, TW_MODE_ENCRYPTED | TW_MODE_IKEV2,
	};
	uint8_t buf[112];
	struct tw_ctrl_request r;
	struct tw_ctrl_accept_session a;

	(void)state;
	for (size_t i = 0; i < sizeof(sec) / sizeof(sec[0]); i++) {
		uint32_t m = sec[i];

		assert_int_equal(tw_proto_twamp_request_encode(&req4_m, m, buf, 112), 112);
		assert_memory_equal(buf, req4_wire, 112);
		assert_int_equal(tw_proto_twamp_request_encode(&req6_m,
			m | TW_MODE_REFLECT_OCTETS, buf, 112), 112);
		assert_memory_equal(buf, req6_wire, 112);
		assert_int_equal(tw_proto_twamp_request_decode(req6_wire, 112,
			m | TW_MODE_REFLECT_OCTETS, &r), 112);
		assert_int_equal(r.reflect_octets, 0x1234);
		assert_int_equal(tw_proto_ctrl_accept_session_encode(&accr_m,
			m | TW_MODE_REFLECT_OCTETS, buf, 48), 48);
		assert_memory_equal(buf, accr_wire, 48);
		assert_int_equal(tw_proto_ctrl_accept_session_decode(acc_wire, 48, m, &a), 48);
		assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, m,
			TW_CTRL_EXPECT_COMMAND, req4_wire, 16, NULL), 112);
		assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, m,
			TW_CTRL_EXPECT_COMMAND, ss_wire, 16, NULL), 32);
		assert_int_equal(tw_proto_ctrl_msg_len(TW_CTRL_TWAMP, m | TW_MODE_INDIVIDUAL,
			TW_CTRL_EXPECT_COMMAND, sn_wire, 16, NULL), 64);
		assert_int_equal(tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, 0x3ff, m), 0);
	}
}

static void test_keyid_from_spis_clears(void **state)
{
	static const uint8_t spii[8] = { SEQ8(0x01) }, spir[8] = { SEQ8(0x11) };
	uint8_t keyid[80];

	(void)state;
	memset(keyid, 0xff, sizeof(keyid));
	tw_proto_ctrl_keyid_from_spis(keyid, spii, spir);
	assert_memory_equal(keyid, setup_wire + 4, 80);
}

/* ============================================ main */

#define GENERIC(label, c)                                                     \
	{ "truncated " label, check_truncated, NULL, NULL, &(c) },    \
	{ "nospace " label, check_nospace, NULL, NULL, &(c) },        \
	{ "roundtrip " label, check_roundtrip, NULL, NULL, &(c) }

/* ---- the seed draft's greeting and Set-Up-Response (docs/protocol.md) ---- */

/* A base-variant draft greeting: ESP, SPIs 0x0000c001 / 0xc0de0002,
 * Modes auth|IKEv2, Challenge 0x10.., Salt 0x20.., Count 1024. */
static void draft_wire(uint8_t w[64])
{
	memset(w, 0, 64);
	w[0] = 50;
	w[6] = 0xc0, w[7] = 0x01;
	w[8] = 0xc0, w[9] = 0xde, w[11] = 0x02;
	w[15] = 0x82;
	for (int i = 0; i < 16; i++) {
		w[16 + i] = (uint8_t)(0x10 + i);
		w[32 + i] = (uint8_t)(0x20 + i);
	}
	w[50] = 0x04; /* 1024 */
}

static void test_draft_greeting_round_trip(void **state)
{
	static const enum tw_ctrl_draft_variant vs[] = { TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_ALT1,
							 TW_CTRL_DRAFT_ALT2 };
	struct tw_ctrl_draft_greeting m, d;
	uint8_t w[64], b[64];

	(void)state;
	draft_wire(w);
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_BASE, w, 64, &m), 64);
	assert_int_equal(m.protocol, 50);
	assert_int_equal(m.spi_in, 0xc001);
	assert_int_equal(m.spi_out, 0xc0de0002);
	assert_int_equal(m.modes, 0x82);
	assert_int_equal(m.count, 1024);
	assert_memory_equal(m.challenge, w + 16, 16);
	assert_memory_equal(m.salt, w + 32, 16);
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_BASE, &m, b, 64), 64);
	assert_memory_equal(b, w, 64);
	/* a base draft greeting is also a valid RFC 4656 greeting */
	{
		struct tw_ctrl_greeting g;

		assert_int_equal(tw_proto_ctrl_greeting_decode(w, 64, &g), 64);
		assert_memory_equal(g.unused, w, 12);
	}
	/* Alt. 1 drops Salt and Count, Alt. 2 the Challenge too: the encoder
	 * writes zeros whatever the struct holds, the decoder gives them back */
	for (unsigned i = 1; i < 3; i++) {
		assert_int_equal(tw_proto_ctrl_draft_greeting_encode(vs[i], &m, b, 64), 64);
		assert_true(b[0] == 50 && b[15] == 0x82);
		for (int j = 32; j < 64; j++)
			assert_int_equal(b[j], 0);
		for (int j = 16; j < 32; j++)
			assert_int_equal(b[j], vs[i] == TW_CTRL_DRAFT_ALT2 ? 0 : w[j]);
		assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d), 64);
		assert_int_equal(d.spi_in, 0xc001);
		assert_int_equal(d.count, 0);
		/* Count 0: the RFC 4656 decoder refuses it, as a non-draft client would */
		{
			struct tw_ctrl_greeting g;

			assert_int_equal(tw_proto_ctrl_greeting_decode(b, 64, &g), -TW_PROTO_E_COUNT);
		}
	}
	/* AH */
	m.protocol = 51;
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_ALT1, &m, b, 64), 64);
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_ALT1, b, 64, &d), 64);
	assert_int_equal(d.protocol, 51);
}

static void test_draft_greeting_malformed(void **state)
{
	static const enum tw_ctrl_draft_variant vs[] = { TW_CTRL_DRAFT_BASE, TW_CTRL_DRAFT_ALT1,
							 TW_CTRL_DRAFT_ALT2 };
	struct tw_ctrl_draft_greeting m, keep;
	uint8_t w[64], b[64], alt[3][64];

	(void)state;
	draft_wire(w);
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_BASE, w, 64, &m), 64);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(tw_proto_ctrl_draft_greeting_encode(vs[i], &m, alt[i], 64), 64);
	memset(&keep, 0x77, sizeof(keep));
	for (unsigned i = 0; i < 3; i++) {
		struct tw_ctrl_draft_greeting d = keep;

		/* short input, unknown variant */
		assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], alt[i], 63, &d),
				 -TW_PROTO_E_TRUNCATED);
		assert_int_equal(tw_proto_ctrl_draft_greeting_decode((enum tw_ctrl_draft_variant)3,
								     alt[i], 64, &d),
				 -TW_PROTO_E_INVAL);
		/* protocol neither 50 nor 51 (0: an RFC 4656 greeting's Unused) */
		for (unsigned p = 0; p < 256; p++) {
			if (p == 50 || p == 51)
				continue;
			memcpy(b, alt[i], 64);
			b[0] = (uint8_t)p;
			assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d),
					 -TW_PROTO_E_PROTOCOL);
		}
		/* reserved SPIs 0..255 */
		memcpy(b, alt[i], 64);
		memset(b + 4, 0, 4);
		b[7] = 0xff;
		assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d),
				 -TW_PROTO_E_RANGE);
		memcpy(b, alt[i], 64);
		memset(b + 8, 0, 4);
		assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d),
				 -TW_PROTO_E_RANGE);
		/* every MBZ octet of the variant, one at a time */
		for (unsigned o = 0; o < 64; o++) {
			bool mbz = (o >= 1 && o < 4) || o >= 52 ||
				   (vs[i] != TW_CTRL_DRAFT_BASE && o >= 32) ||
				   (vs[i] == TW_CTRL_DRAFT_ALT2 && o >= 16);

			if (!mbz)
				continue;
			memcpy(b, alt[i], 64);
			b[o] ^= 0x01;
			assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d),
					 -TW_PROTO_E_MBZ);
		}
		/* base: Count must be a power of 2 >= 1024 */
		if (vs[i] == TW_CTRL_DRAFT_BASE) {
			memcpy(b, alt[i], 64);
			b[48] = b[49] = b[50] = b[51] = 0;
			assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d),
					 -TW_PROTO_E_COUNT);
			b[50] = 0x03;
			assert_int_equal(tw_proto_ctrl_draft_greeting_decode(vs[i], b, 64, &d),
					 -TW_PROTO_E_COUNT);
		}
		/* nothing written on failure */
		assert_memory_equal(&d, &keep, sizeof(d));
	}
	/* a base greeting read as Alt. 1 / Alt. 2 (another variant) */
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_ALT1, alt[0], 64, &m),
			 -TW_PROTO_E_MBZ);
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_ALT2, alt[1], 64, &m),
			 -TW_PROTO_E_MBZ);
	/* encoder refusals, nothing written */
	assert_int_equal(tw_proto_ctrl_draft_greeting_decode(TW_CTRL_DRAFT_BASE, w, 64, &m), 64);
	memset(b, 0xee, 64);
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_BASE, &m, b, 63),
			 -TW_PROTO_E_NOSPACE);
	keep = m;
	m.protocol = 17;
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_ALT1, &m, b, 64),
			 -TW_PROTO_E_PROTOCOL);
	m = keep;
	m.spi_out = 255;
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_ALT2, &m, b, 64),
			 -TW_PROTO_E_RANGE);
	m = keep;
	m.count = 1000;
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_BASE, &m, b, 64),
			 -TW_PROTO_E_COUNT);
	/* Alt. 1/2 do not carry Count: any value is fine, 0 is sent */
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode(TW_CTRL_DRAFT_ALT1, &m, b, 64), 64);
	m = keep;
	assert_int_equal(tw_proto_ctrl_draft_greeting_encode((enum tw_ctrl_draft_variant)7, &m,
							     b, 64), -TW_PROTO_E_INVAL);
}

static void test_draft_setup_response(void **state)
{
	struct tw_ctrl_draft_setup_response m, d, keep;
	uint8_t b[TW_CTRL_SETUP_RESPONSE_LEN], c[TW_CTRL_SETUP_RESPONSE_LEN];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.mode = TW_MODE_ENCRYPTED | TW_MODE_IKEV2;
	for (int i = 0; i < 16; i++) {
		m.token[i] = (uint8_t)(0xa0 + i);
		m.client_iv[i] = (uint8_t)(0x50 + i);
	}
	/* Alt. 1: Mode | 80 MBZ | Token 16 | 48 MBZ | Client-IV 16 */
	assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_ALT1, &m, b,
								   sizeof(b)), 164);
	assert_int_equal(b[3], 0x84);
	for (int i = 4; i < 84; i++)
		assert_int_equal(b[i], 0);
	assert_memory_equal(b + 84, m.token, 16);
	for (int i = 100; i < 148; i++)
		assert_int_equal(b[i], 0);
	assert_memory_equal(b + 148, m.client_iv, 16);
	assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT1, b,
								   sizeof(b), &d), 164);
	assert_memory_equal(&d, &m, sizeof(d));
	/* Alt. 2: no Token, whatever the struct holds */
	assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_ALT2, &m, c,
								   sizeof(c)), 164);
	for (int i = 4; i < 148; i++)
		assert_int_equal(c[i], 0);
	assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT2, c,
								   sizeof(c), &d), 164);
	assert_memory_equal(d.client_iv, m.client_iv, 16);
	/* malformed: short, base/unknown variant, every MBZ octet */
	memset(&keep, 0x33, sizeof(keep));
	d = keep;
	assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT1, b, 163, &d),
			 -TW_PROTO_E_TRUNCATED);
	assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_BASE, b, 164, &d),
			 -TW_PROTO_E_INVAL);
	for (unsigned o = 4; o < 148; o++) {
		uint8_t x[TW_CTRL_SETUP_RESPONSE_LEN];

		memcpy(x, c, sizeof(x));
		x[o] ^= 0x80;
		assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT2, x,
									   164, &d),
				 -TW_PROTO_E_MBZ);
		if (o >= 84 && o < 100)
			continue; /* Alt. 1's Token */
		memcpy(x, b, sizeof(x));
		x[o] ^= 0x80;
		assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT1, x,
									   164, &d),
				 -TW_PROTO_E_MBZ);
	}
	assert_memory_equal(&d, &keep, sizeof(d));
	/* an Alt. 1 response read as Alt. 2 (the Token is not zero) */
	assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT2, b, 164, &d),
			 -TW_PROTO_E_MBZ);
	/* Mode 0 (the client quits) decodes whatever follows */
	b[3] = 0;
	b[10] = 1;
	assert_int_equal(tw_proto_ctrl_draft_setup_response_decode(TW_CTRL_DRAFT_ALT2, b, 164, &d),
			 164);
	assert_int_equal(d.mode, 0);
	/* encoder refusals */
	assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_ALT1, &m, b, 163),
			 -TW_PROTO_E_NOSPACE);
	assert_int_equal(tw_proto_ctrl_draft_setup_response_encode(TW_CTRL_DRAFT_BASE, &m, b, 164),
			 -TW_PROTO_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GENERIC("greeting", greeting_codec),
		GENERIC("setup_response", setup_codec),
		GENERIC("server_start", sstart_codec),
		GENERIC("request_tw_session_v4", req4_codec),
		GENERIC("request_tw_session_v6_reflect", req6_codec),
		GENERIC("accept_session", acc_codec),
		GENERIC("accept_session_reflect", accr_codec),
		GENERIC("start_sessions", ss_codec),
		GENERIC("start_ack", sa_codec),
		GENERIC("stop_sessions", stop_codec),
		GENERIC("start_n_sessions", sn_codec),
		GENERIC("start_n_ack", sna_codec),
		GENERIC("stop_n_sessions", stn_codec),
		GENERIC("stop_n_ack", stna_codec),
		GENERIC("owamp_request_session", oreq_codec),
		GENERIC("owamp_stop_sessions", ostop_codec),
		GENERIC("fetch_session", fs_codec),
		GENERIC("fetch_ack", fa_codec),
		GENERIC("owamp_record", rec_codec),
		cmocka_unit_test(test_greeting_encode),
		cmocka_unit_test(test_greeting_decode),
		cmocka_unit_test(test_greeting_unused_passthrough),
		cmocka_unit_test(test_greeting_mbz_ignored),
		cmocka_unit_test(test_greeting_bad_count),
		cmocka_unit_test(test_greeting_modes_zero_decodes),
		cmocka_unit_test(test_count_check),
		cmocka_unit_test(test_setup_encode_spis),
		cmocka_unit_test(test_setup_decode),
		cmocka_unit_test(test_keyid_spis_ignore_tail),
		cmocka_unit_test(test_keyid_name),
		cmocka_unit_test(test_keyid_name_invalid),
		cmocka_unit_test(test_mode_check),
		cmocka_unit_test(test_server_start_decode),
		cmocka_unit_test(test_server_start_encode_accept),
		cmocka_unit_test(test_request_encode_dscp_helper),
		cmocka_unit_test(test_request_decode_v4),
		cmocka_unit_test(test_request_decode_v6_reflect),
		cmocka_unit_test(test_request_zero_addresses),
		cmocka_unit_test(test_request_bad_command),
		cmocka_unit_test(test_request_bad_ipvn),
		cmocka_unit_test(test_request_conf_nonzero),
		cmocka_unit_test(test_request_slots_reported),
		cmocka_unit_test(test_typep),
		cmocka_unit_test(test_accept_session_decode),
		cmocka_unit_test(test_accept_session_encode_no_mode),
		cmocka_unit_test(test_start_sessions_decode),
		cmocka_unit_test(test_start_ack_decode),
		cmocka_unit_test(test_stop_sessions_decode),
		cmocka_unit_test(test_start_n_decode),
		cmocka_unit_test(test_n_wrong_command),
		cmocka_unit_test(test_n_zero_sessions),
		cmocka_unit_test(test_n_count_vs_input),
		cmocka_unit_test(test_owamp_request_decode),
		cmocka_unit_test(test_owamp_request_conf),
		cmocka_unit_test(test_owamp_request_bad_slot),
		cmocka_unit_test(test_owamp_request_counts),
		cmocka_unit_test(test_owamp_stop_decode),
		cmocka_unit_test(test_owamp_stop_empty),
		cmocka_unit_test(test_owamp_stop_skip_order),
		cmocka_unit_test(test_owamp_stop_counts),
		cmocka_unit_test(test_owamp_stop_padding_ignored),
		cmocka_unit_test(test_fetch_session_decode),
		cmocka_unit_test(test_fetch_ack_decode),
		cmocka_unit_test(test_fetch_ack_reject_zeroes),
		cmocka_unit_test(test_record_decode),
		cmocka_unit_test(test_records_block),
		cmocka_unit_test(test_skips_block),
		cmocka_unit_test(test_msg_len_twamp_commands),
		cmocka_unit_test(test_msg_len_twamp_unknown),
		cmocka_unit_test(test_msg_len_individual),
		cmocka_unit_test(test_msg_len_replies),
		cmocka_unit_test(test_msg_len_owamp),
		cmocka_unit_test(test_msg_len_owamp_stop_incremental),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_accept_normalize),
		cmocka_unit_test(test_mode_bits),
		cmocka_unit_test(test_mode_matrix),
		cmocka_unit_test(test_keyid_from_spis_clears),
		cmocka_unit_test(test_draft_greeting_round_trip),
		cmocka_unit_test(test_draft_greeting_malformed),
		cmocka_unit_test(test_draft_setup_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
