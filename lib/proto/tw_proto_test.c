/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Test / OWAMP-Test packets. Layout diagrams are in tw_proto_test.h
 * above each encode/decode pair.
 *
 * Why 112 and 64: RFC 5357 §4.2.1 says the auth/enc reflector header is
 * 104 octets, but its own diagram adds up to 112 (erratum 5045); perfSONAR
 * and every implementation we know use 112, so equal sizes need 64 octets
 * of sender padding (RFC 5357 §4.1.2 and RFC 6038 say 56, from the 104).
 *
 * Why 42 for RFC 7750 unauthenticated: its text (§2.2.2) asks for Padding
 * Length >= 28 and draws a 28-octet Symmetrical Size MBZ, i.e. a 42-octet
 * reflector header; only its Figure 2 shows two more MBZ octets. Using 42
 * keeps the symmetrical sender and reflector headers equal.
 */

#include "tw_proto_test.h"

/* Field offsets inside sender and reflector packets, per security mode. */
struct test_offsets {
	uint8_t ts, ee;          /* both packets */
	uint8_t rx_ts, s_seq, s_ts, s_ee, s_ttl, s_dscp;
};

static const struct test_offsets off_unauth = {
	.ts = 4, .ee = 12, .rx_ts = 16, .s_seq = 24, .s_ts = 28, .s_ee = 36,
	.s_ttl = 40, .s_dscp = 41,
};

static const struct test_offsets off_auth = {
	.ts = 16, .ee = 24, .rx_ts = 32, .s_seq = 48, .s_ts = 64, .s_ee = 72,
	.s_ttl = 80, .s_dscp = 81,
};

static const struct test_offsets *offsets(const struct tw_test_layout *l)
{
	return l->mode == TW_TEST_UNAUTH ? &off_unauth : &off_auth;
}

int tw_proto_test_layout_init(struct tw_test_layout *l, enum tw_test_mode mode,
			      bool sym_size, bool dscp_ecn,
			      uint16_t reflect_len)
{
	bool auth;

	if (l == NULL || (mode != TW_TEST_UNAUTH && mode != TW_TEST_AUTH &&
			  mode != TW_TEST_ENC))
		return -TW_PROTO_E_INVAL;
	auth = mode != TW_TEST_UNAUTH;
	memset(l, 0, sizeof(*l));
	l->mode = (uint8_t)mode;
	l->sym_size = sym_size;
	l->dscp_ecn = dscp_ecn;
	l->reflect_len = reflect_len;
	if (auth) {
		l->sender_hdr = TW_TEST_SENDER_AUTH_LEN +
				(sym_size ? TW_TEST_SYM_MBZ_AUTH : 0);
		l->refl_hdr = TW_TEST_REFL_AUTH_LEN;
		l->ts_off = 16;
		l->sender_crypt = mode == TW_TEST_AUTH ? 16 : 32;
		l->refl_crypt = mode == TW_TEST_AUTH ? 16 : 96;
	} else {
		l->sender_hdr = TW_TEST_SENDER_UNAUTH_LEN;
		if (sym_size)
			l->sender_hdr += dscp_ecn ? TW_TEST_SYM_MBZ_UNAUTH_DSCP
						  : TW_TEST_SYM_MBZ_UNAUTH;
		l->refl_hdr = dscp_ecn ? TW_TEST_REFL_UNAUTH_DSCP_LEN
				       : TW_TEST_REFL_UNAUTH_LEN;
		l->ts_off = 4;
	}
	return 0;
}

/* Header + padding, checked against the UDP limit and the buffer. */
static int total_len(uint16_t hdr, uint32_t pad_len, size_t cap)
{
	uint64_t total = (uint64_t)hdr + pad_len;

	if (total > TW_TEST_MAX_LEN)
		return -TW_PROTO_E_LENGTH;
	if (total > cap)
		return -TW_PROTO_E_NOSPACE;
	return (int)total;
}

static void put_pad(uint8_t *dst, const uint8_t *pad, uint32_t len)
{
	if (pad != NULL)
		memmove(dst, pad, len);
	else
		memset(dst, 0, len);
}

/* RFC 4656 §4.1.2, RFC 5357 §4.1.2, RFC 6038 §5.1.4: Session-Sender packet */
int tw_proto_test_sender_encode(const struct tw_test_layout *l,
				const struct tw_test_sender *m, uint8_t *buf,
				size_t cap)
{
	const struct test_offsets *o = offsets(l);
	int n = total_len(l->sender_hdr, m->pad_len, cap);

	if (n < 0)
		return n;
	memset(buf, 0, l->sender_hdr);
	tw_put_be32(buf, m->seq);
	tw_ts_put(buf + o->ts, m->ts);
	tw_put_be16(buf + o->ee, m->errest);
	if (l->mode != TW_TEST_UNAUTH)
		memcpy(buf + TW_TEST_SENDER_HMAC_OFF, m->hmac,
		       TW_TEST_HMAC_LEN);
	put_pad(buf + l->sender_hdr, m->pad, m->pad_len);
	return n;
}

int tw_proto_test_sender_decode(const struct tw_test_layout *l,
				const uint8_t *buf, size_t len,
				struct tw_test_sender *out)
{
	const struct test_offsets *o = offsets(l);

	if (len > TW_TEST_MAX_LEN)
		return -TW_PROTO_E_LENGTH;
	if (len < l->sender_hdr)
		return -TW_PROTO_E_TRUNCATED;
	memset(out, 0, sizeof(*out));
	out->seq = tw_get_be32(buf);
	out->ts = tw_ts_get(buf + o->ts);
	out->errest = tw_get_be16(buf + o->ee);
	if (l->mode != TW_TEST_UNAUTH)
		memcpy(out->hmac, buf + TW_TEST_SENDER_HMAC_OFF,
		       TW_TEST_HMAC_LEN);
	out->pad = buf + l->sender_hdr;
	out->pad_len = (uint32_t)(len - l->sender_hdr);
	return (int)len;
}

/* RFC 5357 §4.2.1 (erratum 5045), RFC 7750 §2.2.1: Session-Reflector packet */
static void reflector_fields(const struct tw_test_layout *l, uint8_t *buf,
			     const struct tw_test_reflector *m)
{
	const struct test_offsets *o = offsets(l);

	memset(buf, 0, l->refl_hdr);
	tw_put_be32(buf, m->seq);
	tw_ts_put(buf + o->ts, m->ts);
	tw_put_be16(buf + o->ee, m->errest);
	tw_ts_put(buf + o->rx_ts, m->rx_ts);
	tw_put_be32(buf + o->s_seq, m->sender_seq);
	tw_ts_put(buf + o->s_ts, m->sender_ts);
	tw_put_be16(buf + o->s_ee, m->sender_errest);
	buf[o->s_ttl] = m->sender_ttl;
	if (l->dscp_ecn)
		buf[o->s_dscp] = m->sender_dscp_ecn;
}

int tw_proto_test_reflector_encode(const struct tw_test_layout *l,
				   const struct tw_test_reflector *m,
				   uint8_t *buf, size_t cap)
{
	int n = total_len(l->refl_hdr, m->pad_len, cap);

	if (n < 0)
		return n;
	reflector_fields(l, buf, m);
	if (l->mode != TW_TEST_UNAUTH)
		memcpy(buf + TW_TEST_REFL_HMAC_OFF, m->hmac, TW_TEST_HMAC_LEN);
	put_pad(buf + l->refl_hdr, m->pad, m->pad_len);
	return n;
}

int tw_proto_test_reflector_decode(const struct tw_test_layout *l,
				   const uint8_t *buf, size_t len,
				   struct tw_test_reflector *out)
{
	const struct test_offsets *o = offsets(l);

	if (len > TW_TEST_MAX_LEN)
		return -TW_PROTO_E_LENGTH;
	if (len < l->refl_hdr)
		return -TW_PROTO_E_TRUNCATED;
	memset(out, 0, sizeof(*out));
	out->seq = tw_get_be32(buf);
	out->ts = tw_ts_get(buf + o->ts);
	out->errest = tw_get_be16(buf + o->ee);
	out->rx_ts = tw_ts_get(buf + o->rx_ts);
	out->sender_seq = tw_get_be32(buf + o->s_seq);
	out->sender_ts = tw_ts_get(buf + o->s_ts);
	out->sender_errest = tw_get_be16(buf + o->s_ee);
	out->sender_ttl = buf[o->s_ttl];
	if (l->dscp_ecn)
		out->sender_dscp_ecn = buf[o->s_dscp];
	if (l->mode != TW_TEST_UNAUTH)
		memcpy(out->hmac, buf + TW_TEST_REFL_HMAC_OFF,
		       TW_TEST_HMAC_LEN);
	out->pad = buf + l->refl_hdr;
	out->pad_len = (uint32_t)(len - l->refl_hdr);
	return (int)len;
}

/* RFC 5357 §4.2.1, RFC 6038 §5.2.1: equalise, never below the header */
int tw_proto_test_reply_len(const struct tw_test_layout *l, size_t rx_len)
{
	uint32_t need;

	if (rx_len > TW_TEST_MAX_LEN)
		return -TW_PROTO_E_LENGTH;
	if (rx_len < l->sender_hdr)
		return -TW_PROTO_E_TRUNCATED;
	if (rx_len - l->sender_hdr < l->reflect_len)
		return -TW_PROTO_E_PADDING;
	need = (uint32_t)l->refl_hdr + l->reflect_len;
	if (need > TW_TEST_MAX_LEN)
		return -TW_PROTO_E_LENGTH;
	return rx_len > need ? (int)rx_len : (int)need;
}

int tw_proto_test_session_sizes(const struct tw_test_layout *l,
				uint32_t padding_len, struct tw_test_sizes *out)
{
	uint64_t sender = (uint64_t)l->sender_hdr + padding_len;
	uint64_t need = (uint64_t)l->refl_hdr + l->reflect_len;
	uint64_t reply = sender > need ? sender : need;

	if (padding_len < l->reflect_len || reply > TW_TEST_MAX_LEN)
		return -TW_PROTO_E_PADDING;
	out->sender_len = (uint32_t)sender;
	out->reply_len = (uint32_t)reply;
	out->symmetric = sender == reply;
	return 0;
}

uint32_t tw_proto_test_equal_padding(const struct tw_test_layout *l)
{
	uint32_t gap = l->refl_hdr > l->sender_hdr ?
		       (uint32_t)(l->refl_hdr - l->sender_hdr) : 0;

	return gap + l->reflect_len;
}

int tw_proto_test_sender_write(const struct tw_test_layout *l, uint8_t *buf,
			       size_t len, uint32_t seq, uint16_t errest)
{
	if (len < l->sender_hdr)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, l->sender_hdr);
	tw_put_be32(buf, seq);
	tw_put_be16(buf + offsets(l)->ee, errest);
	return l->sender_hdr;
}

int tw_proto_test_reflect_inplace(const struct tw_test_layout *l, uint8_t *buf,
				  size_t rx_len, size_t cap,
				  const struct tw_test_reflect_info *ri)
{
	const struct test_offsets *o = offsets(l);
	uint8_t snd[14]; /* Sequence Number, then Timestamp + Error Estimate */
	size_t pad;
	int n = tw_proto_test_reply_len(l, rx_len);

	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return -TW_PROTO_E_NOSPACE;
	/* the sender's fields move as octets: no decode and re-encode */
	memcpy(snd, buf, 4);
	memcpy(snd + 4, buf + o->ts, 10);
	/*
	 * Re-use the sender's padding, dropping its highest-numbered octets
	 * (RFC 5357 §4.2.1); this also carries the octets to reflect to the
	 * start of the reply's padding (RFC 6038 §5.2.1). With Symmetrical
	 * Size both headers are equal and nothing moves. The sizes from
	 * tw_proto_test_reply_len() guarantee the sender supplied every padding
	 * octet of the reply (n - refl_hdr <= rx_len - sender_hdr), so no
	 * octet of the reply is left over from an earlier packet.
	 */
	pad = (size_t)n - l->refl_hdr;
	if (l->sender_hdr != l->refl_hdr && pad > 0)
		memmove(buf + l->refl_hdr, buf + l->sender_hdr, pad);
	/* reflector_fields() with the Timestamp zero, as written octets */
	memset(buf, 0, l->refl_hdr);
	tw_put_be32(buf, ri->seq);
	tw_put_be16(buf + o->ee, ri->errest);
	tw_ts_put(buf + o->rx_ts, ri->rx_ts);
	memcpy(buf + o->s_seq, snd, 4);
	memcpy(buf + o->s_ts, snd + 4, 10);
	buf[o->s_ttl] = ri->ttl;
	if (l->dscp_ecn)
		buf[o->s_dscp] = ri->dscp_ecn;
	return n;
}
