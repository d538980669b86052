/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets for the TWAMP/OWAMP-Control decoders (see fuzz.h).
 * Invariants: a decoder never reads past len and returns <= len; what it
 * accepts re-encodes to the same length, keeps every non-MBZ octet, and is
 * a fixed point (decode(encode(x)) encodes to the same octets).
 */
#include <string.h>

#include "fuzz.h"
#include "tw_proto_ctrl.h"

#define BUF_MAX (TW_CTRL_MSG_MAX + 64)

static uint8_t enc1[BUF_MAX], enc2[BUF_MAX];

/*
 * Re-encoding keeps each octet, or clears bits of it (MBZ fields, the MBZ
 * nibble before IPVN), or writes 1 for a non-zero OWAMP Conf flag.
 */
static void check_canonical(const uint8_t *in, const uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		TW_FUZZ_ASSERT((out[i] & (uint8_t)~in[i]) == 0 ||
			       (out[i] == 1 && in[i] != 0));
}

/* Generic check for a fixed or variable message with encode/decode. */
#define ROUNDTRIP(T, DEC, ENC)                                                 \
	do {                                                                   \
		T m1, m2;                                                      \
		int rc = DEC(data, len, &m1), rc2;                             \
		TW_FUZZ_ASSERT(rc <= (int)len);                                \
		if (rc <= 0)                                                   \
			break;                                                 \
		TW_FUZZ_ASSERT(ENC(&m1, enc1, sizeof(enc1)) == rc);            \
		check_canonical(data, enc1, (size_t)rc);                       \
		rc2 = DEC(enc1, (size_t)rc, &m2);                              \
		TW_FUZZ_ASSERT(rc2 == rc);                                     \
		TW_FUZZ_ASSERT(ENC(&m2, enc2, sizeof(enc2)) == rc);            \
		TW_FUZZ_ASSERT(memcmp(enc1, enc2, (size_t)rc) == 0);           \
	} while (0)

/* Wrappers with a mode argument: the mode is taken from the fuzzer. */
static uint32_t fz_mode;

static int req_dec(const uint8_t *b, size_t l, struct tw_ctrl_request *o)
{
	return tw_proto_twamp_request_decode(b, l, fz_mode, o);
}

static int req_enc(const struct tw_ctrl_request *m, uint8_t *b, size_t c)
{
	return tw_proto_twamp_request_encode(m, fz_mode, b, c);
}

static int acc_dec(const uint8_t *b, size_t l, struct tw_ctrl_accept_session *o)
{
	return tw_proto_ctrl_accept_session_decode(b, l, fz_mode, o);
}

static int acc_enc(const struct tw_ctrl_accept_session *m, uint8_t *b, size_t c)
{
	return tw_proto_ctrl_accept_session_encode(m, fz_mode, b, c);
}

/* ------------------------------------------------------------ runs */

static void run_greeting(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_greeting, tw_proto_ctrl_greeting_decode,
		  tw_proto_ctrl_greeting_encode);
}

/* The seed draft's codecs check every MBZ octet: what decodes re-encodes
 * to exactly the input. */
static void run_draft_greeting(const uint8_t *data, size_t len)
{
	for (int v = 0; v < 3; v++) {
		struct tw_ctrl_draft_greeting m;
		int rc = tw_proto_ctrl_draft_greeting_decode((enum tw_ctrl_draft_variant)v, data,
							     len, &m);

		TW_FUZZ_ASSERT(rc <= (int)len);
		if (rc <= 0)
			continue;
		TW_FUZZ_ASSERT(rc == TW_CTRL_GREETING_LEN);
		TW_FUZZ_ASSERT(tw_proto_ctrl_draft_greeting_encode((enum tw_ctrl_draft_variant)v,
								   &m, enc1, sizeof(enc1)) == rc);
		TW_FUZZ_ASSERT(memcmp(enc1, data, (size_t)rc) == 0);
	}
}

static void run_draft_setup_response(const uint8_t *data, size_t len)
{
	for (int v = 1; v < 3; v++) {
		struct tw_ctrl_draft_setup_response m;
		int rc = tw_proto_ctrl_draft_setup_response_decode((enum tw_ctrl_draft_variant)v,
								   data, len, &m);

		TW_FUZZ_ASSERT(rc <= (int)len);
		if (rc <= 0 || m.mode == 0)
			continue; /* Mode 0: the rest is not looked at */
		TW_FUZZ_ASSERT(rc == TW_CTRL_SETUP_RESPONSE_LEN);
		TW_FUZZ_ASSERT(tw_proto_ctrl_draft_setup_response_encode(
				       (enum tw_ctrl_draft_variant)v, &m, enc1, sizeof(enc1)) == rc);
		TW_FUZZ_ASSERT(memcmp(enc1, data, (size_t)rc) == 0);
	}
}

static void run_setup_response(const uint8_t *data, size_t len)
{
	struct tw_ctrl_setup_response m;
	uint8_t spii[8], spir[8], keyid[80];
	int n;

	ROUNDTRIP(struct tw_ctrl_setup_response,
		  tw_proto_ctrl_setup_response_decode,
		  tw_proto_ctrl_setup_response_encode);
	if (tw_proto_ctrl_setup_response_decode(data, len, &m) < 0)
		return;
	TW_FUZZ_ASSERT(memcmp(enc1, data, TW_CTRL_SETUP_RESPONSE_LEN) == 0);
	(void)tw_proto_ctrl_mode_check(TW_CTRL_TWAMP, m.mode >> 8, m.mode);
	tw_proto_ctrl_keyid_to_spis(m.keyid, spii, spir);
	tw_proto_ctrl_keyid_from_spis(keyid, spii, spir);
	TW_FUZZ_ASSERT(memcmp(keyid, m.keyid, 16) == 0);
	n = tw_proto_ctrl_keyid_name_len(m.keyid);
	if (n > 0) {
		TW_FUZZ_ASSERT(n <= 80);
		TW_FUZZ_ASSERT(tw_proto_ctrl_keyid_from_name(keyid,
			(const char *)m.keyid, (size_t)n) == 0);
		TW_FUZZ_ASSERT(memcmp(keyid, m.keyid, 80) == 0);
	}
}

static void run_server_start(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_server_start, tw_proto_ctrl_server_start_decode,
		  tw_proto_ctrl_server_start_encode);
}

static void run_request_tw_session(const uint8_t *data, size_t len)
{
	fz_mode = 0;
	ROUNDTRIP(struct tw_ctrl_request, req_dec, req_enc);
	fz_mode = TW_MODE_AUTH | TW_MODE_REFLECT_OCTETS;
	ROUNDTRIP(struct tw_ctrl_request, req_dec, req_enc);
}

static void run_accept_session(const uint8_t *data, size_t len)
{
	fz_mode = 0;
	ROUNDTRIP(struct tw_ctrl_accept_session, acc_dec, acc_enc);
	fz_mode = TW_MODE_REFLECT_OCTETS;
	ROUNDTRIP(struct tw_ctrl_accept_session, acc_dec, acc_enc);
}

static void run_start_sessions(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_start_sessions,
		  tw_proto_ctrl_start_sessions_decode,
		  tw_proto_ctrl_start_sessions_encode);
}

static void run_start_ack(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_start_ack, tw_proto_ctrl_start_ack_decode,
		  tw_proto_ctrl_start_ack_encode);
}

static void run_stop_sessions(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_stop_sessions,
		  tw_proto_twamp_stop_sessions_decode,
		  tw_proto_twamp_stop_sessions_encode);
}

static void run_start_n(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_n_sessions, tw_proto_twamp_start_n_decode,
		  tw_proto_twamp_start_n_encode);
}

static void run_start_n_ack(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_n_sessions, tw_proto_twamp_start_n_ack_decode,
		  tw_proto_twamp_start_n_ack_encode);
}

static void run_stop_n(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_n_sessions, tw_proto_twamp_stop_n_decode,
		  tw_proto_twamp_stop_n_encode);
}

static void run_stop_n_ack(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_ctrl_n_sessions, tw_proto_twamp_stop_n_ack_decode,
		  tw_proto_twamp_stop_n_ack_encode);
}

static void run_owamp_request_session(const uint8_t *data, size_t len)
{
	struct tw_ctrl_request m;
	struct tw_owamp_slot sl;

	ROUNDTRIP(struct tw_ctrl_request, tw_proto_owamp_request_decode,
		  tw_proto_owamp_request_encode);
	if (tw_proto_owamp_request_decode(data, len, &m) < 0)
		return;
	for (uint32_t i = 0; i < m.num_slots; i++) {
		tw_proto_owamp_slot_get(&m, i, &sl);
		TW_FUZZ_ASSERT(sl.type <= TW_OWAMP_SLOT_FIXED);
	}
}

static void run_owamp_stop_sessions(const uint8_t *data, size_t len)
{
	struct tw_owamp_stop_sessions m;
	struct tw_owamp_sess_desc d;
	size_t off = 0;

	ROUNDTRIP(struct tw_owamp_stop_sessions,
		  tw_proto_owamp_stop_sessions_decode,
		  tw_proto_owamp_stop_sessions_encode);
	if (tw_proto_owamp_stop_sessions_decode(data, len, &m) < 0)
		return;
	/* the records iterate to exactly records_len */
	for (uint32_t i = 0; i < m.num_sessions; i++) {
		int rc = tw_proto_owamp_sess_desc_decode(m.records + off,
							 m.records_len - off, &d);

		TW_FUZZ_ASSERT(rc > 0);
		off += (size_t)rc;
	}
	TW_FUZZ_ASSERT(off == m.records_len);
}

static void run_sess_desc(const uint8_t *data, size_t len)
{
	struct tw_owamp_sess_desc d;
	struct tw_owamp_skip s, prev = { 0, 0 };
	int rc = tw_proto_owamp_sess_desc_decode(data, len, &d);

	TW_FUZZ_ASSERT(rc <= (int)len);
	if (rc <= 0)
		return;
	TW_FUZZ_ASSERT(rc % 16 == 0);
	TW_FUZZ_ASSERT((size_t)d.num_skips * 8 + 24 <= (size_t)rc);
	for (uint32_t i = 0; i < d.num_skips; i++) {
		tw_proto_owamp_skip_get(d.skip_wire, i, &s);
		TW_FUZZ_ASSERT(s.first <= s.last);
		TW_FUZZ_ASSERT(i == 0 || s.first > prev.last);
		prev = s;
	}
}

static void run_fetch_session(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_owamp_fetch_session,
		  tw_proto_owamp_fetch_session_decode,
		  tw_proto_owamp_fetch_session_encode);
}

static void run_fetch_ack(const uint8_t *data, size_t len)
{
	ROUNDTRIP(struct tw_owamp_fetch_ack, tw_proto_owamp_fetch_ack_decode,
		  tw_proto_owamp_fetch_ack_encode);
}

static void run_record(const uint8_t *data, size_t len)
{
	struct tw_owamp_record r;

	ROUNDTRIP(struct tw_owamp_record, tw_proto_owamp_record_decode,
		  tw_proto_owamp_record_encode);
	if (tw_proto_owamp_record_decode(data, len, &r) > 0)
		TW_FUZZ_ASSERT(memcmp(enc1, data, TW_OWAMP_RECORD_LEN) == 0);
}

/* First 4 octets: the count; the block follows. */
static void run_fetch_blocks(const uint8_t *data, size_t len)
{
	uint8_t hmac[16];
	const uint8_t *wire;
	uint32_t n;
	int rc;

	if (len < 4)
		return;
	n = tw_get_be32(data) & 0xffff;
	rc = tw_proto_owamp_skips_decode(data + 4, len - 4, n, &wire, hmac);
	TW_FUZZ_ASSERT(rc <= (int)(len - 4));
	if (rc > 0)
		TW_FUZZ_ASSERT((size_t)rc == tw_proto_owamp_skips_block_len(n));
	rc = tw_proto_owamp_records_decode(data + 4, len - 4, n, &wire, hmac);
	TW_FUZZ_ASSERT(rc <= (int)(len - 4));
	if (rc > 0) {
		struct tw_owamp_record r;

		TW_FUZZ_ASSERT((size_t)rc == tw_proto_owamp_records_block_len(n));
		for (uint32_t i = 0; i < n; i++)
			TW_FUZZ_ASSERT(tw_proto_owamp_record_decode(
				wire + (size_t)i * 25, 25, &r) == 25);
	}
}

/*
 * Octet 0: bit 0 protocol, bits 1-4 expectation, bit 5 Individual Session
 * Control; the rest is the stream. The framing must agree with the
 * decoders: a length it announces is never TRUNCATED for them.
 */
static void run_msg_len(const uint8_t *data, size_t len)
{
	enum tw_ctrl_proto proto;
	enum tw_ctrl_expect ex;
	uint32_t mode;
	const uint8_t *p;
	size_t n, need = 0;
	int rc;

	if (len < 1)
		return;
	proto = (data[0] & 1) ? TW_CTRL_OWAMP : TW_CTRL_TWAMP;
	ex = (enum tw_ctrl_expect)((data[0] >> 1) & 0x0f);
	mode = TW_MODE_UNAUTH | ((data[0] & 0x20) ? TW_MODE_INDIVIDUAL : 0);
	p = data + 1;
	n = len - 1;
	rc = tw_proto_ctrl_msg_len(proto, mode, ex, p, n, &need);
	TW_FUZZ_ASSERT(rc <= (int)TW_CTRL_MSG_MAX);
	if (rc == 0) {
		TW_FUZZ_ASSERT(need > n);
		TW_FUZZ_ASSERT(need <= TW_CTRL_MSG_MAX);
		TW_FUZZ_ASSERT(need % 16 == 0);
		return;
	}
	if (rc < 0 || (size_t)rc > n || ex != TW_CTRL_EXPECT_COMMAND)
		return;
	if (proto == TW_CTRL_OWAMP) {
		struct tw_ctrl_request r;
		struct tw_owamp_stop_sessions s;

		if (p[0] == TW_OWAMP_CMD_REQUEST_SESSION) {
			int d = tw_proto_owamp_request_decode(p, (size_t)rc, &r);

			TW_FUZZ_ASSERT(d == rc || (d < 0 && d != -TW_PROTO_E_TRUNCATED));
		}
		if (p[0] == TW_OWAMP_CMD_STOP_SESSIONS) {
			int d = tw_proto_owamp_stop_sessions_decode(p, (size_t)rc, &s);

			TW_FUZZ_ASSERT(d == rc || (d < 0 && d != -TW_PROTO_E_TRUNCATED));
		}
	} else if (p[0] == TW_TWAMP_CMD_START_N_SESSIONS) {
		struct tw_ctrl_n_sessions s;

		TW_FUZZ_ASSERT(tw_proto_twamp_start_n_decode(p, (size_t)rc, &s) == rc);
	} else if (p[0] == TW_TWAMP_CMD_REQUEST_TW_SESSION) {
		struct tw_ctrl_request r;

		TW_FUZZ_ASSERT(tw_proto_twamp_request_decode(p, (size_t)rc, 0, &r) !=
			       -TW_PROTO_E_TRUNCATED);
	}
}

/* ------------------------------------------------------------ seeds */

static void fill(uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(b + i);
}

static uint8_t sbuf[4096];

static void seed_greeting(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_greeting m = { .modes = 0xbf, .count = 2048 };

	fill(m.challenge, 16, 0x10);
	fill(m.salt, 16, 0x20);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_greeting_encode(&m, sbuf, sizeof(sbuf)));
	m.modes = 0;
	m.count = 1024;
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_greeting_encode(&m, sbuf, sizeof(sbuf)));
}

static void seed_draft_greeting(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_draft_greeting m = { .protocol = 50, .spi_in = 0xc2000002u,
					    .spi_out = 0xc1000001u, .modes = 0x8e,
					    .count = 1024 };

	memset(m.challenge, 0x5a, 16);
	memset(m.salt, 0xa5, 16);
	for (int v = 0; v < 3; v++)
		emit(ctx, sbuf, (size_t)tw_proto_ctrl_draft_greeting_encode(
					(enum tw_ctrl_draft_variant)v, &m, sbuf, sizeof(sbuf)));
}

static void seed_draft_setup_response(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_draft_setup_response m = { .mode = TW_MODE_ENCRYPTED | TW_MODE_IKEV2 };

	memset(m.token, 0x3c, 16);
	memset(m.client_iv, 0xc3, 16);
	for (int v = 1; v < 3; v++)
		emit(ctx, sbuf, (size_t)tw_proto_ctrl_draft_setup_response_encode(
					(enum tw_ctrl_draft_variant)v, &m, sbuf, sizeof(sbuf)));
}

static void seed_setup_response(tw_fuzz_emit_fn emit, void *ctx)
{
	static const uint8_t spii[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t spir[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
	struct tw_ctrl_setup_response m = { .mode = 0x82 };

	tw_proto_ctrl_keyid_from_spis(m.keyid, spii, spir);
	fill(m.token, 64, 0x40);
	fill(m.client_iv, 16, 0x80);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_setup_response_encode(&m, sbuf, sizeof(sbuf)));
	m.mode = TW_MODE_AUTH;
	(void)tw_proto_ctrl_keyid_from_name(m.keyid, "lab-key", 7);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_setup_response_encode(&m, sbuf, sizeof(sbuf)));
}

static void seed_server_start(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_server_start m = { .accept = 0, .start_time = 0xe123456789abcdefULL };

	fill(m.server_iv, 16, 0x90);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_server_start_encode(&m, sbuf, sizeof(sbuf)));
	m.accept = 6;
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_server_start_encode(&m, sbuf, sizeof(sbuf)));
}

static struct tw_ctrl_request seed_req(uint8_t ipvn)
{
	struct tw_ctrl_request m = {
		.ipvn = ipvn, .sender_port = 20000, .receiver_port = 20001,
		.padding_length = 27, .start_time = 0xe123456789abcdefULL,
		.timeout = 2ULL << 32, .type_p = 0x2e000000,
		.reflect_octets = 0x1234, .reflect_padding = 16,
	};

	fill(m.sender_addr, ipvn == 4 ? 4 : 16, 0xc0);
	fill(m.receiver_addr, ipvn == 4 ? 4 : 16, 0xc6);
	fill(m.hmac, 16, 0xa0);
	return m;
}

static void seed_request_tw_session(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_request m = seed_req(4);

	emit(ctx, sbuf, (size_t)tw_proto_twamp_request_encode(&m, 0, sbuf, sizeof(sbuf)));
	m = seed_req(6);
	emit(ctx, sbuf, (size_t)tw_proto_twamp_request_encode(&m,
		TW_MODE_REFLECT_OCTETS, sbuf, sizeof(sbuf)));
}

static void seed_accept_session(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_accept_session m = {
		.port = 20001, .reflected_octets = 0x1234, .server_octets = 0x5678,
	};

	fill(m.sid, 16, 0xb0);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_accept_session_encode(&m,
		TW_MODE_REFLECT_OCTETS, sbuf, sizeof(sbuf)));
	m.accept = 3;
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_accept_session_encode(&m, 0, sbuf, sizeof(sbuf)));
}

static void seed_start_sessions(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_start_sessions m;

	fill(m.hmac, 16, 0xa0);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_start_sessions_encode(&m, sbuf, sizeof(sbuf)));
}

static void seed_start_ack(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_start_ack m = { .accept = 0 };

	fill(m.hmac, 16, 0xa0);
	emit(ctx, sbuf, (size_t)tw_proto_ctrl_start_ack_encode(&m, sbuf, sizeof(sbuf)));
}

static void seed_stop_sessions(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_stop_sessions m = { .accept = 0, .num_sessions = 3 };

	fill(m.hmac, 16, 0xa0);
	emit(ctx, sbuf, (size_t)tw_proto_twamp_stop_sessions_encode(&m, sbuf, sizeof(sbuf)));
}

static uint8_t seed_sids[3 * 16];

static void seed_n(tw_fuzz_emit_fn emit, void *ctx,
		   int (*enc)(const struct tw_ctrl_n_sessions *, uint8_t *, size_t))
{
	struct tw_ctrl_n_sessions m = { .accept = 0, .num_sessions = 1, .sids = seed_sids };

	fill(seed_sids, sizeof(seed_sids), 0x30);
	fill(m.hmac, 16, 0xa0);
	emit(ctx, sbuf, (size_t)enc(&m, sbuf, sizeof(sbuf)));
	m.num_sessions = 3;
	emit(ctx, sbuf, (size_t)enc(&m, sbuf, sizeof(sbuf)));
}

static void seed_start_n(tw_fuzz_emit_fn emit, void *ctx)
{
	seed_n(emit, ctx, tw_proto_twamp_start_n_encode);
}

static void seed_start_n_ack(tw_fuzz_emit_fn emit, void *ctx)
{
	seed_n(emit, ctx, tw_proto_twamp_start_n_ack_encode);
}

static void seed_stop_n(tw_fuzz_emit_fn emit, void *ctx)
{
	seed_n(emit, ctx, tw_proto_twamp_stop_n_encode);
}

static void seed_stop_n_ack(tw_fuzz_emit_fn emit, void *ctx)
{
	seed_n(emit, ctx, tw_proto_twamp_stop_n_ack_encode);
}

static int seed_owamp_req_enc(uint8_t *buf, size_t cap)
{
	static const struct tw_owamp_slot slots[2] = {
		{ TW_OWAMP_SLOT_EXP, 0x1999999aULL }, { TW_OWAMP_SLOT_FIXED, 1ULL << 32 },
	};
	struct tw_ctrl_request m = seed_req(4);

	m.conf_receiver = 1;
	m.num_slots = 2;
	m.num_packets = 100;
	m.slots = slots;
	return tw_proto_owamp_request_encode(&m, buf, cap);
}

static void seed_owamp_request_session(tw_fuzz_emit_fn emit, void *ctx)
{
	emit(ctx, sbuf, (size_t)seed_owamp_req_enc(sbuf, sizeof(sbuf)));
}

static int seed_owamp_stop_enc(uint8_t *buf, size_t cap)
{
	static const struct tw_owamp_skip sk[2] = { { 5, 9 }, { 20, 20 } };
	struct tw_owamp_sess_desc s[2] = {
		{ .next_seqno = 100 },
		{ .next_seqno = 100, .num_skips = 2, .skips = sk },
	};
	struct tw_owamp_stop_sessions m = { .num_sessions = 2, .sessions = s };

	fill(s[0].sid, 16, 0x30);
	fill(s[1].sid, 16, 0x50);
	return tw_proto_owamp_stop_sessions_encode(&m, buf, cap);
}

static void seed_owamp_stop_sessions(tw_fuzz_emit_fn emit, void *ctx)
{
	emit(ctx, sbuf, (size_t)seed_owamp_stop_enc(sbuf, sizeof(sbuf)));
}

static void seed_sess_desc(tw_fuzz_emit_fn emit, void *ctx)
{
	int n = seed_owamp_stop_enc(sbuf, sizeof(sbuf));

	emit(ctx, sbuf + 16, 32);
	emit(ctx, sbuf + 48, (size_t)n - 64);
}

static void seed_fetch_session(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_owamp_fetch_session m = { .begin_seq = 0, .end_seq = 0xffffffff };

	fill(m.sid, 16, 0xb0);
	emit(ctx, sbuf, (size_t)tw_proto_owamp_fetch_session_encode(&m, sbuf, sizeof(sbuf)));
}

static void seed_fetch_ack(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_owamp_fetch_ack m = {
		.finished = 1, .next_seqno = 100, .num_skips = 1, .num_records = 3,
	};

	emit(ctx, sbuf, (size_t)tw_proto_owamp_fetch_ack_encode(&m, sbuf, sizeof(sbuf)));
}

static const struct tw_owamp_record seed_rec = {
	.seq = 7, .send_errest = 0x8102, .recv_errest = 1,
	.send_ts = 0xe123456789abcdefULL, .recv_ts = 0xe123456800000001ULL, .ttl = 254,
};

static void seed_record(tw_fuzz_emit_fn emit, void *ctx)
{
	emit(ctx, sbuf, (size_t)tw_proto_owamp_record_encode(&seed_rec, sbuf, sizeof(sbuf)));
}

static void seed_fetch_blocks(tw_fuzz_emit_fn emit, void *ctx)
{
	static const struct tw_owamp_skip sk[3] = { { 0, 9 }, { 15, 15 }, { 40, 41 } };
	struct tw_owamp_record recs[3] = { seed_rec, seed_rec, seed_rec };
	uint8_t hmac[16];
	int n;

	fill(hmac, 16, 0xa0);
	tw_put_be32(sbuf, 3);
	n = tw_proto_owamp_skips_encode(sk, 3, hmac, sbuf + 4, sizeof(sbuf) - 4);
	emit(ctx, sbuf, 4 + (size_t)n);
	n = tw_proto_owamp_records_encode(recs, 3, hmac, sbuf + 4, sizeof(sbuf) - 4);
	emit(ctx, sbuf, 4 + (size_t)n);
}

static void seed_msg_len(tw_fuzz_emit_fn emit, void *ctx)
{
	struct tw_ctrl_request r = seed_req(4);
	uint8_t *p = sbuf + 1;
	int n;

	/* TWAMP command: Request-TW-Session */
	sbuf[0] = (uint8_t)(TW_CTRL_EXPECT_COMMAND << 1);
	n = tw_proto_twamp_request_encode(&r, 0, p, sizeof(sbuf) - 1);
	emit(ctx, sbuf, 1 + (size_t)n);
	/* TWAMP individual session control: Start-N-Sessions */
	sbuf[0] = 0x20;
	fill(seed_sids, sizeof(seed_sids), 0x30);
	{
		struct tw_ctrl_n_sessions m = { .num_sessions = 3, .sids = seed_sids };

		n = tw_proto_twamp_start_n_encode(&m, p, sizeof(sbuf) - 1);
		emit(ctx, sbuf, 1 + (size_t)n);
		sbuf[0] = (uint8_t)(0x20 | TW_CTRL_EXPECT_N_ACK << 1);
		n = tw_proto_twamp_stop_n_ack_encode(&m, p, sizeof(sbuf) - 1);
		emit(ctx, sbuf, 1 + (size_t)n);
	}
	/* OWAMP commands */
	sbuf[0] = 1;
	n = seed_owamp_req_enc(p, sizeof(sbuf) - 1);
	emit(ctx, sbuf, 1 + (size_t)n);
	n = seed_owamp_stop_enc(p, sizeof(sbuf) - 1);
	emit(ctx, sbuf, 1 + (size_t)n);
	emit(ctx, sbuf, 1 + 40); /* Stop-Sessions cut inside a record */
	sbuf[0] = (uint8_t)(1 | TW_CTRL_EXPECT_STOP_SESSIONS << 1);
	emit(ctx, sbuf, 1 + (size_t)n);
}

TW_FUZZ_TARGETS(
	{ "greeting", run_greeting, seed_greeting },
	{ "setup_response", run_setup_response, seed_setup_response },
	{ "draft_greeting", run_draft_greeting, seed_draft_greeting },
	{ "draft_setup_response", run_draft_setup_response, seed_draft_setup_response },
	{ "server_start", run_server_start, seed_server_start },
	{ "request_tw_session", run_request_tw_session, seed_request_tw_session },
	{ "accept_session", run_accept_session, seed_accept_session },
	{ "start_sessions", run_start_sessions, seed_start_sessions },
	{ "start_ack", run_start_ack, seed_start_ack },
	{ "stop_sessions", run_stop_sessions, seed_stop_sessions },
	{ "start_n", run_start_n, seed_start_n },
	{ "start_n_ack", run_start_n_ack, seed_start_n_ack },
	{ "stop_n", run_stop_n, seed_stop_n },
	{ "stop_n_ack", run_stop_n_ack, seed_stop_n_ack },
	{ "owamp_request_session", run_owamp_request_session, seed_owamp_request_session },
	{ "owamp_stop_sessions", run_owamp_stop_sessions, seed_owamp_stop_sessions },
	{ "sess_desc", run_sess_desc, seed_sess_desc },
	{ "fetch_session", run_fetch_session, seed_fetch_session },
	{ "fetch_ack", run_fetch_ack, seed_fetch_ack },
	{ "fetch_blocks", run_fetch_blocks, seed_fetch_blocks },
	{ "record", run_record, seed_record },
	{ "msg_len", run_msg_len, seed_msg_len },
);
