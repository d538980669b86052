/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test packets of one session: build a Session-Sender packet, stamp and
 * protect it as the last step before sendmsg(), verify and decode a reply.
 * TWAMP (RFC 5357 §4.1.2, §4.2.1 + erratum 5045), TWAMP Light (RFC 5357
 * App. I; keys as docs/protocol.md), STAMP (RFC 8762 §4.2, §4.3, §4.4) and
 * OWAMP-Test (RFC 4656 §4.1.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ping.h"

static int bad(enum ping_bad b)
{
	return -(int)b - 1;
}

/* The reflector fields both reply formats share (RFC 5357 §4.2.1 and
 * RFC 8762 §4.3 use the same names and meanings). */
#define COPY_REFL_FIELDS(out, r)                                               \
	do {                                                                   \
		(out)->sender_seq = (r).sender_seq;                            \
		(out)->refl_seq = (r).seq;                                     \
		(out)->sender_ts = (r).sender_ts;                              \
		(out)->rx_ts = (r).rx_ts;                                      \
		(out)->ts = (r).ts;                                            \
		(out)->sender_errest = (r).sender_errest;                      \
		(out)->errest = (r).errest;                                    \
		(out)->sender_ttl = (r).sender_ttl;                            \
	} while (0)

static int init_layout(struct tpkt *p, enum ping_proto proto,
		       enum ping_mode mode, uint32_t padding, bool sym_size,
		       bool dscp_ecn, uint16_t reflect_len, uint16_t ssid,
		       const uint8_t *key, size_t key_len, const char **why);

int tpkt_init(struct tpkt *p, enum ping_proto proto, enum ping_mode mode,
	      uint32_t padding, bool sym_size, bool dscp_ecn,
	      uint16_t reflect_len, uint16_t ssid, bool zero_pad,
	      const uint8_t *key, size_t key_len, const char **why)
{
	int rc = init_layout(p, proto, mode, padding, sym_size, dscp_ecn,
			     reflect_len, ssid, key, key_len, why);

	if (rc < 0)
		return rc;
	/* RFC 4656 §4.1.2 (and RFC 8972 §4.1 for the Extra Padding TLV):
	 * padding SHOULD be pseudo-random, independent of everything else,
	 * with an option for zeros. One random block serves every packet. */
	p->tmpl = calloc(1, p->send_len);
	if (p->tmpl == NULL) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (!zero_pad && tw_crypto_random(p->tmpl, p->send_len) < 0) {
		*why = "no random numbers for the padding";
		return -EIO;
	}
	return 0;
}

static int init_layout(struct tpkt *p, enum ping_proto proto,
		       enum ping_mode mode, uint32_t padding, bool sym_size,
		       bool dscp_ecn, uint16_t reflect_len, uint16_t ssid,
		       const uint8_t *key, size_t key_len, const char **why)
{
	enum ping_mode tmode = mode == PING_MIXED ? PING_OPEN : mode;

	memset(p, 0, sizeof(*p));
	p->proto = proto;
	p->mode = tmode;
	*why = NULL;
	if (tmode != PING_OPEN) {
		p->eng = tw_crypto_engine_create(TW_CRYPTO_IMPL_BEST);
		if (p->eng == NULL)
			p->eng = tw_crypto_engine_create(TW_CRYPTO_IMPL_OPENSSL);
		if (p->eng == NULL) {
			*why = "no crypto engine";
			return -ENOMEM;
		}
	}
	if (proto == PING_STAMP) {
		size_t base;

		if (tmode == PING_ENC) {
			*why = "STAMP has no encrypted mode (RFC 8762 §4.2)";
			return -EINVAL;
		}
		p->smode = tmode == PING_AUTH ? TW_STAMP_AUTH : TW_STAMP_UNAUTH;
		base = tw_proto_stamp_base_len(p->smode);
		p->ssid = ssid;
		if (padding > 0) {
			/* RFC 8972 §4.1: padding travels in an Extra
			 * Padding TLV, which needs a non-zero SSID (§3) */
			if (padding < TW_STAMP_TLV_HDR ||
			    padding > TW_TEST_MAX_LEN - base) {
				*why = "STAMP padding must be 0 or 4..65415 octets (Extra Padding TLV)";
				return -EINVAL;
			}
			if (p->ssid == 0)
				p->ssid = 1;
			p->stamp_pad = padding - TW_STAMP_TLV_HDR;
		}
		p->send_len = (uint32_t)(base + padding);
		if (tmode == PING_AUTH) {
			if (key == NULL || key_len < 16 || key_len > 64) {
				*why = "STAMP authenticated mode needs a 16..64-octet secret (docs/protocol.md)";
				return -EINVAL;
			}
			p->cs = tw_crypto_stamp_create(key, key_len);
			if (p->cs == NULL) {
				*why = "cannot create the STAMP HMAC context";
				return -ENOMEM;
			}
		}
		return 0;
	}

	enum tw_test_mode m = tmode == PING_AUTH ? TW_TEST_AUTH :
			      tmode == PING_ENC ? TW_TEST_ENC : TW_TEST_UNAUTH;
	if (tw_proto_test_layout_init(&p->layout, m, sym_size, dscp_ecn,
				      reflect_len) < 0) {
		*why = "invalid test layout";
		return -EINVAL;
	}
	if ((uint64_t)p->layout.sender_hdr + padding > TW_TEST_MAX_LEN) {
		*why = "padding too large for a UDP datagram";
		return -EINVAL;
	}
	p->send_len = p->layout.sender_hdr + padding;
	if (tmode != PING_OPEN) {
		struct tw_crypto_session_keys tk;

		if (key == NULL || key_len != sizeof(tk.aes) + sizeof(tk.hmac)) {
			*why = "TWAMP test keys must be 48 octets (AES 16 | HMAC 32)";
			return -EINVAL;
		}
		memcpy(tk.aes, key, sizeof(tk.aes));
		memcpy(tk.hmac, key + sizeof(tk.aes), sizeof(tk.hmac));
		p->ct = tw_crypto_test_create(p->eng, tmode == PING_AUTH ?
					      TW_CRYPTO_TEST_AUTH :
					      TW_CRYPTO_TEST_ENC, &tk);
		tw_crypto_wipe(&tk, sizeof(tk));
		if (p->ct == NULL) {
			*why = "cannot create the test-packet crypto context";
			return -ENOMEM;
		}
	}
	return 0;
}

void tpkt_fini(struct tpkt *p)
{
	tw_crypto_test_destroy(p->ct);
	tw_crypto_stamp_destroy(p->cs);
	tw_crypto_engine_destroy(p->eng);
	free(p->tmpl);
	memset(p, 0, sizeof(*p));
}

int tpkt_build(const struct tpkt *p, uint8_t *buf, size_t cap, uint32_t seq,
	       uint16_t errest)
{
	int rc;

	if (cap < p->send_len)
		return -ENOSPC;
	memcpy(buf, p->tmpl, p->send_len);
	if (p->proto == PING_STAMP) {
		struct tw_stamp_sender s = {
			.seq = seq, .errest = errest, .ssid = p->ssid,
		};
		size_t base = tw_proto_stamp_base_len(p->smode);

		rc = tw_proto_stamp_sender_encode(p->smode, &s, buf, cap);
		if (rc < 0)
			return -EINVAL;
		if (p->send_len > base) {
			rc = tw_proto_stamp_tlv_encode_padding(
				TW_STAMP_TLV_SENDER_FLAGS, (uint16_t)p->stamp_pad,
				p->tmpl + base + TW_STAMP_TLV_HDR, buf + base,
				cap - base);
			if (rc < 0)
				return -EINVAL;
		}
		return (int)p->send_len;
	}
	rc = tw_proto_test_sender_write(&p->layout, buf, p->send_len, seq,
					errest);
	return rc < 0 ? -EINVAL : (int)p->send_len;
}

int tpkt_stamp(const struct tpkt *p, uint8_t *buf, size_t len, tw_ntp_t ts)
{
	if (p->proto == PING_STAMP) {
		tw_proto_stamp_set_ts(p->smode, buf, ts);
		if (p->cs != NULL && tw_crypto_stamp_sign(p->cs, buf, len) < 0)
			return -EIO;
		return 0;
	}
	tw_ts_put(buf + p->layout.ts_off, ts);
	if (p->ct != NULL &&
	    tw_crypto_test_protect(p->eng, p->ct, TW_CRYPTO_PKT_SENDER, buf,
				   len) < 0)
		return -EIO;
	return 0;
}

int tpkt_reply(const struct tpkt *p, uint8_t *buf, size_t len,
	       struct tpkt_reply *out)
{
	memset(out, 0, sizeof(*out));
	if (p->proto == PING_STAMP) {
		struct tw_stamp_reflector r;

		if (len < (p->smode == TW_STAMP_AUTH ? TW_STAMP_BASE_AUTH :
			   TW_STAMP_MIN_REFL_UNAUTH))
			return bad(PING_BAD_SHORT);
		/* RFC 8762 §4.4: a reply that fails the HMAC is discarded */
		if (p->cs != NULL && tw_crypto_stamp_check(p->cs, buf, len) < 0)
			return bad(PING_BAD_HMAC);
		if (tw_proto_stamp_reflector_decode(p->smode, buf, len, &r) < 0)
			return bad(PING_BAD_SHORT);
		COPY_REFL_FIELDS(out, r);
		return 0;
	}

	struct tw_test_reflector r;

	if (len < p->layout.refl_hdr)
		return bad(PING_BAD_SHORT);
	if (p->ct != NULL &&
	    tw_crypto_test_verify(p->eng, p->ct, TW_CRYPTO_PKT_REFLECTOR, buf,
				  len) < 0)
		return bad(PING_BAD_HMAC);
	if (tw_proto_test_reflector_decode(&p->layout, buf, len, &r) < 0)
		return bad(PING_BAD_SHORT);
	COPY_REFL_FIELDS(out, r);
	out->sender_tos = r.sender_dscp_ecn;
	out->have_tos = p->layout.dscp_ecn;
	return 0;
}
