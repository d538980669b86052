/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STAMP base packets and TLVs. Diagrams are in tw_proto_stamp.h above each
 * encode/decode pair. Short packets are parsed from a zero-filled copy so
 * the RFC 8762 §4.6 leniency never reads past the datagram.
 */

#include "tw_proto_stamp.h"

#define MAX_PKT 65527u /* UDP Length minus the UDP header */

int tw_proto_stamp_ssid_check(uint16_t ssid)
{
	return ssid == 0 ? -TW_PROTO_E_SSID : 0;
}

static int mode_ok(enum tw_stamp_mode mode)
{
	return mode == TW_STAMP_UNAUTH || mode == TW_STAMP_AUTH;
}

/* Offsets that differ between the modes (RFC 8762 Figures 2, 4, 5, 6). */
struct stamp_offsets {
	uint8_t ts, ee, ssid, rx_ts, s_seq, s_ts, s_ee, s_ttl;
};

static const struct stamp_offsets off_unauth = {
	.ts = 4, .ee = 12, .ssid = 14, .rx_ts = 16, .s_seq = 24, .s_ts = 28,
	.s_ee = 36, .s_ttl = 40,
};

static const struct stamp_offsets off_auth = {
	.ts = 16, .ee = 24, .ssid = 26, .rx_ts = 32, .s_seq = 48, .s_ts = 64,
	.s_ee = 72, .s_ttl = 80,
};

static const struct stamp_offsets *offsets(enum tw_stamp_mode mode)
{
	return mode == TW_STAMP_AUTH ? &off_auth : &off_unauth;
}

/* RFC 8762 §4.2.1, §4.2.2, RFC 8972 §3: Session-Sender base packet */
int tw_proto_stamp_sender_encode(enum tw_stamp_mode mode,
				 const struct tw_stamp_sender *m, uint8_t *buf,
				 size_t cap)
{
	const struct stamp_offsets *o;
	size_t base;

	if (!mode_ok(mode))
		return -TW_PROTO_E_INVAL;
	o = offsets(mode);
	base = tw_proto_stamp_base_len(mode);
	if (cap < base)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, base);
	tw_put_be32(buf, m->seq);
	tw_ts_put(buf + o->ts, m->ts);
	tw_put_be16(buf + o->ee, m->errest);
	tw_put_be16(buf + o->ssid, m->ssid);
	if (mode == TW_STAMP_AUTH)
		memcpy(buf + TW_STAMP_HMAC_OFF, m->hmac, TW_STAMP_HMAC_LEN);
	return (int)base;
}

/* Copy up to the base length into a zeroed buffer; return octets copied. */
static size_t base_copy(uint8_t tmp[TW_STAMP_BASE_AUTH], size_t base,
			const uint8_t *buf, size_t len)
{
	size_t n = len < base ? len : base;

	memset(tmp, 0, TW_STAMP_BASE_AUTH);
	memcpy(tmp, buf, n);
	return n;
}

int tw_proto_stamp_sender_decode(enum tw_stamp_mode mode, const uint8_t *buf,
				 size_t len, struct tw_stamp_sender *out)
{
	uint8_t p[TW_STAMP_BASE_AUTH];
	const struct stamp_offsets *o;
	size_t n;

	if (!mode_ok(mode))
		return -TW_PROTO_E_INVAL;
	if (len < (mode == TW_STAMP_AUTH ? TW_STAMP_BASE_AUTH
					 : TW_STAMP_MIN_UNAUTH))
		return -TW_PROTO_E_TRUNCATED;
	o = offsets(mode);
	n = base_copy(p, tw_proto_stamp_base_len(mode), buf, len);
	memset(out, 0, sizeof(*out));
	out->seq = tw_get_be32(p);
	out->ts = tw_ts_get(p + o->ts);
	out->errest = tw_get_be16(p + o->ee);
	out->ssid = tw_get_be16(p + o->ssid);
	if (mode == TW_STAMP_AUTH)
		memcpy(out->hmac, p + TW_STAMP_HMAC_OFF, TW_STAMP_HMAC_LEN);
	return (int)n;
}

/* RFC 8762 §4.3.1, §4.3.2, RFC 8972 §3: Session-Reflector base packet */
static void reflector_fields(enum tw_stamp_mode mode, uint8_t *buf,
			     const struct tw_stamp_reflector *m)
{
	const struct stamp_offsets *o = offsets(mode);

	memset(buf, 0, tw_proto_stamp_base_len(mode));
	tw_put_be32(buf, m->seq);
	tw_ts_put(buf + o->ts, m->ts);
	tw_put_be16(buf + o->ee, m->errest);
	tw_put_be16(buf + o->ssid, m->ssid);
	tw_ts_put(buf + o->rx_ts, m->rx_ts);
	tw_put_be32(buf + o->s_seq, m->sender_seq);
	tw_ts_put(buf + o->s_ts, m->sender_ts);
	tw_put_be16(buf + o->s_ee, m->sender_errest);
	buf[o->s_ttl] = m->sender_ttl;
}

int tw_proto_stamp_reflector_encode(enum tw_stamp_mode mode,
				    const struct tw_stamp_reflector *m,
				    uint8_t *buf, size_t cap)
{
	if (!mode_ok(mode))
		return -TW_PROTO_E_INVAL;
	if (cap < tw_proto_stamp_base_len(mode))
		return -TW_PROTO_E_NOSPACE;
	reflector_fields(mode, buf, m);
	if (mode == TW_STAMP_AUTH)
		memcpy(buf + TW_STAMP_HMAC_OFF, m->hmac, TW_STAMP_HMAC_LEN);
	return (int)tw_proto_stamp_base_len(mode);
}

int tw_proto_stamp_reflector_decode(enum tw_stamp_mode mode, const uint8_t *buf,
				    size_t len, struct tw_stamp_reflector *out)
{
	uint8_t p[TW_STAMP_BASE_AUTH];
	const struct stamp_offsets *o;
	size_t n;

	if (!mode_ok(mode))
		return -TW_PROTO_E_INVAL;
	if (len < (mode == TW_STAMP_AUTH ? TW_STAMP_BASE_AUTH
					 : TW_STAMP_MIN_REFL_UNAUTH))
		return -TW_PROTO_E_TRUNCATED;
	o = offsets(mode);
	n = base_copy(p, tw_proto_stamp_base_len(mode), buf, len);
	memset(out, 0, sizeof(*out));
	out->seq = tw_get_be32(p);
	out->ts = tw_ts_get(p + o->ts);
	out->errest = tw_get_be16(p + o->ee);
	out->ssid = tw_get_be16(p + o->ssid);
	out->rx_ts = tw_ts_get(p + o->rx_ts);
	out->sender_seq = tw_get_be32(p + o->s_seq);
	out->sender_ts = tw_ts_get(p + o->s_ts);
	out->sender_errest = tw_get_be16(p + o->s_ee);
	out->sender_ttl = p[o->s_ttl];
	if (mode == TW_STAMP_AUTH)
		memcpy(out->hmac, p + TW_STAMP_HMAC_OFF, TW_STAMP_HMAC_LEN);
	return (int)n;
}

int tw_proto_stamp_reflect_inplace(enum tw_stamp_mode mode, uint8_t *buf,
				   size_t rx_len, size_t cap,
				   const struct tw_stamp_reflect_info *ri)
{
	const struct stamp_offsets *o;
	struct tw_stamp_sender s;
	size_t base, n;
	int rc;

	if (!mode_ok(mode))
		return -TW_PROTO_E_INVAL;
	if (rx_len > MAX_PKT)
		return -TW_PROTO_E_LENGTH;
	o = offsets(mode);
	base = tw_proto_stamp_base_len(mode);
	if (rx_len >= base) {
		/* the usual case: the sender's fields move as octets
		 * (Sequence Number; Timestamp, Error Estimate and SSID) */
		uint8_t snd[16];

		if (rx_len > cap)
			return -TW_PROTO_E_NOSPACE;
		memcpy(snd, buf, 4);
		memcpy(snd + 4, buf + o->ts, 12);
		memset(buf, 0, base);
		tw_put_be32(buf, ri->seq);
		tw_put_be16(buf + o->ee, ri->errest);
		memcpy(buf + o->ssid, snd + 14, 2);
		tw_ts_put(buf + o->rx_ts, ri->rx_ts);
		memcpy(buf + o->s_seq, snd, 4);
		memcpy(buf + o->s_ts, snd + 4, 10);
		buf[o->s_ttl] = ri->ttl;
		return (int)rx_len;
	}
	rc = tw_proto_stamp_sender_decode(mode, buf, rx_len, &s);
	if (rc < 0)
		return rc;
	n = rx_len > base ? rx_len : base;
	if (n > cap)
		return -TW_PROTO_E_NOSPACE;
	reflector_fields(mode, buf, &(const struct tw_stamp_reflector){
		.seq = ri->seq, .errest = ri->errest, .ssid = s.ssid,
		.rx_ts = ri->rx_ts, .sender_seq = s.seq, .sender_ts = s.ts,
		.sender_errest = s.errest, .sender_ttl = ri->ttl,
	});
	return (int)n;
}

/* ---- TLVs: RFC 8972 §4 ---- */

void tw_proto_stamp_tlv_iter_init(struct tw_stamp_tlv_iter *it,
				  const uint8_t *buf, size_t len, size_t start)
{
	it->buf = buf;
	it->len = len;
	it->off = start;
	it->err = start > len ? -TW_PROTO_E_TLV : 0;
}

int tw_proto_stamp_tlv_next(struct tw_stamp_tlv_iter *it,
			    struct tw_stamp_tlv *t)
{
	size_t rem;
	uint16_t vlen;

	if (it->err != 0)
		return it->err;
	if (it->off == it->len)
		return 0;
	rem = it->len - it->off;
	if (rem < TW_STAMP_TLV_HDR) {
		it->err = -TW_PROTO_E_TLV;
		return it->err;
	}
	vlen = tw_get_be16(it->buf + it->off + 2);
	if (vlen > rem - TW_STAMP_TLV_HDR) {
		it->err = -TW_PROTO_E_TLV;
		return it->err;
	}
	t->flags = it->buf[it->off];
	t->type = it->buf[it->off + 1];
	t->len = vlen;
	t->value = it->buf + it->off + TW_STAMP_TLV_HDR;
	t->off = it->off;
	it->off += TW_STAMP_TLV_HDR + vlen;
	return 1;
}

int tw_proto_stamp_tlv_put(uint8_t *buf, size_t cap, uint8_t flags,
			   uint8_t type, const uint8_t *value, uint16_t vlen)
{
	size_t n = TW_STAMP_TLV_HDR + (size_t)vlen;

	if (cap < n)
		return -TW_PROTO_E_NOSPACE;
	buf[0] = flags;
	buf[1] = type;
	tw_put_be16(buf + 2, vlen);
	if (value != NULL)
		memmove(buf + TW_STAMP_TLV_HDR, value, vlen);
	else
		memset(buf + TW_STAMP_TLV_HDR, 0, vlen);
	return (int)n;
}

/* Check a TLV's type and exact Length. */
static int want(const struct tw_stamp_tlv *t, uint8_t type, uint16_t len)
{
	if (t->type != type)
		return -TW_PROTO_E_INVAL;
	return t->len == len ? 0 : -TW_PROTO_E_TLV;
}

/* A chain of sub-TLVs that stays inside its parent. */
static int subs_ok(const uint8_t *p, size_t len, bool location)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv s;
	int r;

	tw_proto_stamp_tlv_iter_init(&it, p, len, 0);
	while ((r = tw_proto_stamp_tlv_next(&it, &s)) == 1) {
		int want_len = location ? tw_proto_stamp_loc_sub_len(s.type)
					: -1;

		if (want_len > 0 && s.len != want_len)
			return -TW_PROTO_E_TLV;
	}
	return r;
}

/* RFC 8972 §4.1: Extra Padding TLV */
int tw_proto_stamp_tlv_encode_padding(uint8_t flags, uint16_t len,
				      const uint8_t *pad, uint8_t *buf,
				      size_t cap)
{
	return tw_proto_stamp_tlv_put(buf, cap, flags, TW_STAMP_TLV_PADDING, pad,
				     len);
}

/* RFC 8972 §4.2, §4.2.1: Location TLV and its sub-TLVs */
int tw_proto_stamp_loc_sub_len(uint8_t type)
{
	if (type >= TW_STAMP_LOC_SRC_MAC && type <= TW_STAMP_LOC_SRC_EUI64)
		return 8;
	if (type >= TW_STAMP_LOC_DST_IP && type <= TW_STAMP_LOC_SRC_IPV6)
		return 16;
	return -TW_PROTO_E_INVAL;
}

/* Octets of a sub-TLV value that carry data; the rest is MBZ. */
static size_t loc_sub_data(uint8_t type)
{
	switch (type) {
	case TW_STAMP_LOC_SRC_EUI48:
		return 6;
	case TW_STAMP_LOC_SRC_EUI64:
		return 8;
	case TW_STAMP_LOC_DST_IPV4:
	case TW_STAMP_LOC_SRC_IPV4:
		return 4;
	case TW_STAMP_LOC_DST_IPV6:
	case TW_STAMP_LOC_SRC_IPV6:
		return 16;
	default:
		return 0; /* the generic request types are all MBZ */
	}
}

int tw_proto_stamp_tlv_decode_location(const struct tw_stamp_tlv *t,
				       struct tw_stamp_location *out)
{
	int r;

	if (t->type != TW_STAMP_TLV_LOCATION)
		return -TW_PROTO_E_INVAL;
	if (t->len < 4)
		return -TW_PROTO_E_TLV;
	r = subs_ok(t->value + 4, t->len - 4u, true);
	if (r < 0)
		return r;
	out->dst_port = tw_get_be16(t->value);
	out->src_port = tw_get_be16(t->value + 2);
	out->sub = t->value + 4;
	out->sub_len = (uint16_t)(t->len - 4u);
	return 0;
}

int tw_proto_stamp_loc_sub_decode(const struct tw_stamp_tlv *sub,
				  struct tw_stamp_loc_addr *out)
{
	int len = tw_proto_stamp_loc_sub_len(sub->type);

	if (len < 0)
		return len;
	if (sub->len != len)
		return -TW_PROTO_E_TLV;
	memset(out, 0, sizeof(*out));
	out->flags = sub->flags;
	out->type = sub->type;
	memcpy(out->addr, sub->value, loc_sub_data(sub->type));
	return 0;
}

int tw_proto_stamp_tlv_encode_location(uint8_t flags, uint16_t dst_port,
				       uint16_t src_port,
				       const struct tw_stamp_loc_addr *subs,
				       size_t n, uint8_t *buf, size_t cap)
{
	size_t total = TW_STAMP_TLV_HDR + 4, o;

	for (size_t i = 0; i < n; i++) {
		int len = tw_proto_stamp_loc_sub_len(subs[i].type);

		if (len < 0 || total > 0xffff)
			return -TW_PROTO_E_RANGE;
		total += TW_STAMP_TLV_HDR + (size_t)len;
	}
	if (total - TW_STAMP_TLV_HDR > 0xffff)
		return -TW_PROTO_E_RANGE;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, total);
	buf[0] = flags;
	buf[1] = TW_STAMP_TLV_LOCATION;
	tw_put_be16(buf + 2, (uint16_t)(total - TW_STAMP_TLV_HDR));
	tw_put_be16(buf + 4, dst_port);
	tw_put_be16(buf + 6, src_port);
	o = 8;
	for (size_t i = 0; i < n; i++) {
		uint16_t len =
			(uint16_t)tw_proto_stamp_loc_sub_len(subs[i].type);

		buf[o] = subs[i].flags;
		buf[o + 1] = subs[i].type;
		tw_put_be16(buf + o + 2, len);
		memcpy(buf + o + 4, subs[i].addr, loc_sub_data(subs[i].type));
		o += TW_STAMP_TLV_HDR + len;
	}
	return (int)total;
}

/* RFC 8972 §4.3: Timestamp Information TLV */
int tw_proto_stamp_tlv_decode_tsinfo(const struct tw_stamp_tlv *t,
				     struct tw_stamp_tsinfo *out)
{
	int r;

	if (t->type != TW_STAMP_TLV_TSINFO)
		return -TW_PROTO_E_INVAL;
	if (t->len < 4)
		return -TW_PROTO_E_TLV;
	r = subs_ok(t->value + 4, t->len - 4u, false);
	if (r < 0)
		return r;
	out->sync_in = t->value[0];
	out->ts_in = t->value[1];
	out->sync_out = t->value[2];
	out->ts_out = t->value[3];
	out->sub = t->value + 4;
	out->sub_len = (uint16_t)(t->len - 4u);
	return 0;
}

int tw_proto_stamp_tlv_encode_tsinfo(uint8_t flags,
				     const struct tw_stamp_tsinfo *ti,
				     uint8_t *buf, size_t cap)
{
	size_t total = TW_STAMP_TLV_HDR + 4 + (size_t)ti->sub_len;

	if (ti->sub_len > 0xffff - 4)
		return -TW_PROTO_E_RANGE;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	buf[0] = flags;
	buf[1] = TW_STAMP_TLV_TSINFO;
	tw_put_be16(buf + 2, (uint16_t)(4 + ti->sub_len));
	buf[4] = ti->sync_in;
	buf[5] = ti->ts_in;
	buf[6] = ti->sync_out;
	buf[7] = ti->ts_out;
	if (ti->sub_len > 0)
		memmove(buf + 8, ti->sub, ti->sub_len);
	return (int)total;
}

/* RFC 8972 §4.4: Class of Service TLV */
int tw_proto_stamp_tlv_decode_cos(const struct tw_stamp_tlv *t,
				  struct tw_stamp_cos *out)
{
	const uint8_t *v = t->value;
	int r = want(t, TW_STAMP_TLV_COS, 4);

	if (r < 0)
		return r;
	out->dscp1 = v[0] >> 2;
	out->dscp2 = (uint8_t)((v[0] & 3) << 4 | v[1] >> 4);
	out->ecn = (v[1] >> 2) & 3;
	out->rp = v[1] & 3;
	return 0;
}

static void cos_put(uint8_t *v, const struct tw_stamp_cos *c)
{
	v[0] = (uint8_t)(c->dscp1 << 2 | c->dscp2 >> 4);
	v[1] = (uint8_t)((c->dscp2 & 0xf) << 4 | c->ecn << 2 | c->rp);
	v[2] = 0;
	v[3] = 0;
}

int tw_proto_stamp_tlv_encode_cos(uint8_t flags, const struct tw_stamp_cos *c,
				  uint8_t *buf, size_t cap)
{
	if (c->dscp1 > 63 || c->dscp2 > 63 || c->ecn > 3 || c->rp > 3)
		return -TW_PROTO_E_RANGE;
	if (cap < 8)
		return -TW_PROTO_E_NOSPACE;
	buf[0] = flags;
	buf[1] = TW_STAMP_TLV_COS;
	tw_put_be16(buf + 2, 4);
	cos_put(buf + 4, c);
	return 8;
}

/* RFC 8972 §4.5: Direct Measurement TLV */
int tw_proto_stamp_tlv_decode_direct(const struct tw_stamp_tlv *t,
				     struct tw_stamp_direct *out)
{
	int r = want(t, TW_STAMP_TLV_DIRECT, 12);

	if (r < 0)
		return r;
	out->s_txc = tw_get_be32(t->value);
	out->r_rxc = tw_get_be32(t->value + 4);
	out->r_txc = tw_get_be32(t->value + 8);
	return 0;
}

int tw_proto_stamp_tlv_encode_direct(uint8_t flags,
				     const struct tw_stamp_direct *d,
				     uint8_t *buf, size_t cap)
{
	if (cap < 16)
		return -TW_PROTO_E_NOSPACE;
	buf[0] = flags;
	buf[1] = TW_STAMP_TLV_DIRECT;
	tw_put_be16(buf + 2, 12);
	tw_put_be32(buf + 4, d->s_txc);
	tw_put_be32(buf + 8, d->r_rxc);
	tw_put_be32(buf + 12, d->r_txc);
	return 16;
}

/* RFC 8972 §4.6: Access Report TLV */
int tw_proto_stamp_tlv_decode_access(const struct tw_stamp_tlv *t,
				     struct tw_stamp_access *out)
{
	int r = want(t, TW_STAMP_TLV_ACCESS, 4);
	uint8_t id;

	if (r < 0)
		return r;
	id = t->value[0] >> 4;
	if (id != 1 && id != 2)
		return -TW_PROTO_E_RANGE;
	out->id = id;
	out->return_code = t->value[1];
	return 0;
}

int tw_proto_stamp_tlv_encode_access(uint8_t flags,
				     const struct tw_stamp_access *a,
				     uint8_t *buf, size_t cap)
{
	if (a->id > 15)
		return -TW_PROTO_E_RANGE;
	if (cap < 8)
		return -TW_PROTO_E_NOSPACE;
	buf[0] = flags;
	buf[1] = TW_STAMP_TLV_ACCESS;
	tw_put_be16(buf + 2, 4);
	buf[4] = (uint8_t)(a->id << 4);
	buf[5] = a->return_code;
	buf[6] = 0;
	buf[7] = 0;
	return 8;
}

/* RFC 8972 §4.7: Follow-Up Telemetry TLV */
int tw_proto_stamp_tlv_decode_followup(const struct tw_stamp_tlv *t,
				       struct tw_stamp_followup *out)
{
	int r = want(t, TW_STAMP_TLV_FOLLOWUP, 16);

	if (r < 0)
		return r;
	out->seq = tw_get_be32(t->value);
	out->ts = tw_ts_get(t->value + 4);
	out->ts_mode = t->value[12];
	return 0;
}

static void followup_put(uint8_t *v, const struct tw_stamp_followup *f)
{
	tw_put_be32(v, f->seq);
	tw_ts_put(v + 4, f->ts);
	v[12] = f->ts_mode;
	v[13] = 0;
	v[14] = 0;
	v[15] = 0;
}

int tw_proto_stamp_tlv_encode_followup(uint8_t flags,
				       const struct tw_stamp_followup *f,
				       uint8_t *buf, size_t cap)
{
	if (cap < 20)
		return -TW_PROTO_E_NOSPACE;
	buf[0] = flags;
	buf[1] = TW_STAMP_TLV_FOLLOWUP;
	tw_put_be16(buf + 2, 16);
	followup_put(buf + 4, f);
	return 20;
}

/* RFC 8972 §4.8: HMAC TLV */
int tw_proto_stamp_tlv_decode_hmac(const struct tw_stamp_tlv *t,
				   uint8_t hmac[TW_STAMP_HMAC_LEN])
{
	int r = want(t, TW_STAMP_TLV_HMAC, TW_STAMP_HMAC_LEN);

	if (r < 0)
		return r;
	memcpy(hmac, t->value, TW_STAMP_HMAC_LEN);
	return 0;
}

int tw_proto_stamp_tlv_encode_hmac(uint8_t flags,
				   const uint8_t hmac[TW_STAMP_HMAC_LEN],
				   uint8_t *buf, size_t cap)
{
	return tw_proto_stamp_tlv_put(buf, cap, flags, TW_STAMP_TLV_HMAC, hmac,
				TW_STAMP_HMAC_LEN);
}

int tw_proto_stamp_hmac_tlv_find(const uint8_t *buf, size_t len, size_t start,
				 bool required, size_t *hmac_off)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;
	unsigned ntlv = 0, npad = 0;
	bool found = false;
	int r;

	tw_proto_stamp_tlv_iter_init(&it, buf, len, start);
	while ((r = tw_proto_stamp_tlv_next(&it, &t)) == 1) {
		ntlv++;
		if (t.type == TW_STAMP_TLV_HMAC) {
			if (found || t.len != TW_STAMP_HMAC_LEN)
				return TW_STAMP_HMAC_BAD;
			found = true;
			*hmac_off = t.off;
		} else if (t.type == TW_STAMP_TLV_PADDING) {
			npad++;
		} else if (found) {
			return TW_STAMP_HMAC_BAD; /* only padding may follow */
		}
	}
	if (r < 0) /* trailing octets after an HMAC are not a padding TLV */
		return found || required ? TW_STAMP_HMAC_BAD
					  : TW_STAMP_HMAC_NONE;
	if (found)
		return TW_STAMP_HMAC_PRESENT;
	if (required && ntlv > 0 && !(ntlv == 1 && npad == 1))
		return TW_STAMP_HMAC_BAD;
	return TW_STAMP_HMAC_NONE;
}

/* RFC 8972 §4: what a Session-Sender may use of a reflected packet */
int tw_proto_stamp_reflected_check(const uint8_t *buf, size_t len, size_t start)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;
	bool stopped = false;
	int usable = 0;

	tw_proto_stamp_tlv_iter_init(&it, buf, len, start);
	while (tw_proto_stamp_tlv_next(&it, &t) == 1) {
		if (t.flags & TW_STAMP_TLV_I)
			return -TW_PROTO_E_HMAC;
		if (t.flags & TW_STAMP_TLV_M)
			stopped = true;
		if (!stopped)
			usable++;
	}
	/* an overrunning TLV may still carry I in its flags octet */
	if (it.err != 0 && it.off < len && (buf[it.off] & TW_STAMP_TLV_I))
		return -TW_PROTO_E_HMAC;
	return usable;
}

/* ---- reflector processing ---- */

/* RFC 8972 §4.2.2: answer the sender's address requests. */
static uint8_t reflect_location(const struct tw_stamp_reflect_ctx *c,
				uint8_t *v, uint16_t len)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv s;
	int r;

	if (len < 4)
		return TW_STAMP_TLV_M;
	tw_put_be16(v, c->dst_port);
	tw_put_be16(v + 2, c->src_port);
	tw_proto_stamp_tlv_iter_init(&it, v, len, 4);
	while ((r = tw_proto_stamp_tlv_next(&it, &s)) == 1) {
		uint8_t *h = v + s.off, *val = h + TW_STAMP_TLV_HDR;
		int want_len = tw_proto_stamp_loc_sub_len(s.type);

		if (want_len < 0) {
			h[0] = TW_STAMP_TLV_U;
			continue;
		}
		if (s.len != want_len) {
			h[0] = TW_STAMP_TLV_M;
			return TW_STAMP_TLV_M;
		}
		h[0] = 0;
		memset(val, 0, s.len);
		if (want_len == 8) {
			if (c->have_mac && !c->mac_eui64) {
				h[1] = TW_STAMP_LOC_SRC_EUI48;
				memcpy(val, c->src_mac, 6);
			} else {
				h[1] = TW_STAMP_LOC_SRC_EUI64;
				if (c->have_mac)
					memcpy(val, c->src_mac, 8);
			}
			continue;
		}
		bool dst = s.type <= TW_STAMP_LOC_DST_IPV6;
		const uint8_t *ip = dst ? c->dst_ip : c->src_ip;

		if (c->ipv6) {
			h[1] = dst ? TW_STAMP_LOC_DST_IPV6
				   : TW_STAMP_LOC_SRC_IPV6;
			memcpy(val, ip, 16);
		} else {
			h[1] = dst ? TW_STAMP_LOC_DST_IPV4
				   : TW_STAMP_LOC_SRC_IPV4;
			memcpy(val, ip, 4);
		}
	}
	return r < 0 ? TW_STAMP_TLV_M : 0;
}

/* RFC 8972 §4.3: we define no sub-TLVs, so each one is unrecognized. */
static uint8_t reflect_tsinfo(const struct tw_stamp_reflect_ctx *c,
			      uint8_t *v, uint16_t len)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv s;
	int r;

	if (len < 4)
		return TW_STAMP_TLV_M;
	v[0] = c->sync_in;
	v[1] = c->ts_in;
	v[2] = c->sync_out;
	v[3] = c->ts_out;
	tw_proto_stamp_tlv_iter_init(&it, v, len, 4);
	while ((r = tw_proto_stamp_tlv_next(&it, &s)) == 1)
		v[s.off] = TW_STAMP_TLV_U;
	return r < 0 ? TW_STAMP_TLV_M : 0;
}

/* RFC 8972 §4.4: DSCP2/ECN as received; DSCP1 honoured if policy allows. */
static uint8_t reflect_cos(const struct tw_stamp_reflect_ctx *c, uint8_t *v,
			   uint16_t len, struct tw_stamp_reflect_out *out)
{
	struct tw_stamp_cos cos;

	if (len != 4)
		return TW_STAMP_TLV_M;
	cos.dscp1 = v[0] >> 2;
	cos.dscp2 = c->tos >> 2;
	cos.ecn = c->tos & 3;
	if ((c->dscp_allowed >> cos.dscp1) & 1) {
		cos.rp = 0;
		out->reply_dscp = cos.dscp1;
	} else {
		cos.rp = 1;
		out->reply_dscp = cos.dscp2;
	}
	out->cos = true;
	cos_put(v, &cos);
	return 0;
}

/* RFC 8972 §4.7: stateless or first reply: all zero. */
static uint8_t reflect_followup(const struct tw_stamp_reflect_ctx *c,
				uint8_t *v, uint16_t len)
{
	struct tw_stamp_followup f = { 0 };

	if (len != 16) {
		memset(v, 0, len < 12 ? len : 12);
		return TW_STAMP_TLV_M;
	}
	if (c->have_prev) {
		f.seq = c->prev_seq;
		f.ts = c->prev_ts;
		f.ts_mode = c->prev_ts_mode;
	}
	followup_put(v, &f);
	return 0;
}

/* One TLV: return its reply flags (0, U or M). */
static uint8_t reflect_one(const struct tw_stamp_reflect_ctx *c,
			   const struct tw_stamp_tlv *t, uint8_t *v,
			   struct tw_stamp_reflect_out *out)
{
	switch (t->type) {
	case TW_STAMP_TLV_PADDING:
		return 0;
	case TW_STAMP_TLV_LOCATION:
		return reflect_location(c, v, t->len);
	case TW_STAMP_TLV_TSINFO:
		return reflect_tsinfo(c, v, t->len);
	case TW_STAMP_TLV_COS:
		return reflect_cos(c, v, t->len, out);
	case TW_STAMP_TLV_DIRECT:
		if (t->len != 12)
			return TW_STAMP_TLV_M;
		tw_put_be32(v + 4, c->r_rxc);
		tw_put_be32(v + 8, c->r_txc);
		return 0;
	case TW_STAMP_TLV_ACCESS:
		if (t->len != 4)
			return TW_STAMP_TLV_M;
		v[0] &= 0xf0;
		v[2] = 0;
		v[3] = 0;
		return 0;
	case TW_STAMP_TLV_FOLLOWUP:
		return reflect_followup(c, v, t->len);
	case TW_STAMP_TLV_HMAC:
		if (t->len != TW_STAMP_HMAC_LEN)
			return TW_STAMP_TLV_M;
		if (!out->has_hmac) {
			out->has_hmac = true;
			out->hmac_off = t->off;
		}
		memset(v, 0, TW_STAMP_HMAC_LEN);
		return 0;
	default:
		return TW_STAMP_TLV_U;
	}
}

int tw_proto_stamp_reflect_tlvs(const struct tw_stamp_reflect_ctx *ctx,
				uint8_t *buf, size_t len, size_t start,
				struct tw_stamp_reflect_out *out)
{
	struct tw_stamp_tlv_iter it;
	struct tw_stamp_tlv t;
	uint8_t integrity = ctx->integrity_failed ? TW_STAMP_TLV_I : 0;
	int r;

	if (start > len)
		return -TW_PROTO_E_INVAL;
	memset(out, 0, sizeof(*out));
	out->reply_dscp = ctx->tos >> 2;
	tw_proto_stamp_tlv_iter_init(&it, buf, len, start);
	while ((r = tw_proto_stamp_tlv_next(&it, &t)) == 1) {
		uint8_t f;

		out->ntlv++;
		if (integrity) {
			buf[t.off] = TW_STAMP_TLV_I;
			continue;
		}
		f = reflect_one(ctx, &t, buf + t.off + TW_STAMP_TLV_HDR, out);
		buf[t.off] = f;
		if (f == TW_STAMP_TLV_M) {
			out->malformed = true;
			break;
		}
	}
	if (r < 0) {
		/* the TLV at it.off runs past the packet: mark and stop */
		buf[it.off] = integrity | TW_STAMP_TLV_M;
		out->ntlv++;
		out->malformed = true;
	}
	return 0;
}
