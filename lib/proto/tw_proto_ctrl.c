/* SPDX-License-Identifier: BSD-3-Clause */
/* TWAMP-Control and OWAMP-Control message codecs (see tw_proto_ctrl.h). */

#include "tw_proto_ctrl.h"

/* ---------------------------------------------------------------- names */

const char *tw_proto_ctrl_cmd_name(enum tw_ctrl_proto proto, uint8_t cmd)
{
	static const char *const twamp[] = {
		[0] = "Reserved", [1] = "Forbidden", [2] = "Start-Sessions",
		[3] = "Stop-Sessions", [4] = "Reserved",
		[5] = "Request-TW-Session", [6] = "Experimentation",
		[7] = "Start-N-Sessions", [8] = "Start-N-Ack",
		[9] = "Stop-N-Sessions", [10] = "Stop-N-Ack",
		[11] = "Request-TW-Micro-Sessions",
	};
	static const char *const owamp[] = {
		[0] = "Reserved", [1] = "Request-Session", [2] = "Start-Sessions",
		[3] = "Stop-Sessions", [4] = "Fetch-Session",
	};

	if (proto == TW_CTRL_TWAMP && cmd < sizeof(twamp) / sizeof(twamp[0]))
		return twamp[cmd];
	if (proto == TW_CTRL_OWAMP) {
		if (cmd < sizeof(owamp) / sizeof(owamp[0]))
			return owamp[cmd];
		if (cmd == TW_OWAMP_CMD_EXPERIMENTATION)
			return "Experimentation";
		if (cmd == TW_OWAMP_CMD_RESERVED255)
			return "Reserved";
	}
	return "unknown";
}

const char *tw_proto_ctrl_accept_name(uint8_t accept)
{
	static const char *const names[] = {
		"OK",
		"Failure, reason unspecified",
		"Internal error",
		"Some aspect of request is not supported",
		"Cannot perform request due to permanent resource limitations",
		"Cannot perform request due to temporary resource limitations",
		"Cannot find the IKEv2 SA",
	};

	if (accept < sizeof(names) / sizeof(names[0]))
		return names[accept];
	return "reserved";
}

uint8_t tw_proto_ctrl_accept_normalize(uint8_t accept)
{
	return accept <= TW_ACCEPT_NO_IKEV2_SA ? accept : TW_ACCEPT_FAILURE;
}

const char *tw_proto_ctrl_mode_name(enum tw_ctrl_proto proto, unsigned bit)
{
	static const char *const twamp[] = {
		"unauthenticated", "authenticated", "encrypted",
		"mixed (unauthenticated test, encrypted control)",
		"individual session control", "reflect octets",
		"symmetrical size", "IKEv2-derived key",
		"DSCP and ECN monitoring", "PTPv2 timestamps",
	};
	static const char *const owamp[] = {
		"unauthenticated", "authenticated", "encrypted", "reserved",
		"IKEv2-derived key",
	};

	if (proto == TW_CTRL_TWAMP && bit < sizeof(twamp) / sizeof(twamp[0]))
		return twamp[bit];
	if (proto == TW_CTRL_OWAMP && bit < sizeof(owamp) / sizeof(owamp[0]))
		return owamp[bit];
	return "unassigned";
}

/* -------------------------------------------------------------- helpers */

static bool count_valid(uint32_t count)
{
	return count >= TW_CTRL_COUNT_MIN && (count & (count - 1)) == 0;
}

int tw_proto_ctrl_count_check(uint32_t count, uint32_t cap)
{
	if (cap == 0)
		cap = TW_CTRL_COUNT_CAP_DEFAULT;
	if (!count_valid(count) || count > cap)
		return -TW_PROTO_E_COUNT;
	return 0;
}

/* An address field: IPv4 uses octets 0-3, the other 12 are MBZ. */
static void put_addr(uint8_t *p, const uint8_t addr[16], uint8_t ipvn)
{
	memset(p, 0, 16);
	memcpy(p, addr, ipvn == 4 ? 4 : 16);
}

static void get_addr(uint8_t addr[16], const uint8_t *p, uint8_t ipvn)
{
	memset(addr, 0, 16);
	memcpy(addr, p, ipvn == 4 ? 4 : 16);
}

/* Skip ranges must be in order and must not overlap (RFC 4656 §3.8, §3.9). */
static int skips_check_wire(const uint8_t *p, uint32_t n)
{
	uint32_t prev_last = 0;

	for (uint32_t i = 0; i < n; i++, p += TW_OWAMP_SKIP_LEN) {
		uint32_t first = tw_get_be32(p), last = tw_get_be32(p + 4);

		if (first > last || (i > 0 && first <= prev_last))
			return -TW_PROTO_E_RANGE;
		prev_last = last;
	}
	return 0;
}

static int skips_check(const struct tw_owamp_skip *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (s[i].first > s[i].last ||
		    (i > 0 && s[i].first <= s[i - 1].last))
			return -TW_PROTO_E_RANGE;
	return 0;
}

/* ===================================================== connection setup */

/*
 * RFC 4656 §3.1: Server Greeting
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Unused (12 octets)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Modes                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Challenge (16 octets)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Salt (16 octets)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Count (4 octets)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        MBZ (12 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_greeting_encode(const struct tw_ctrl_greeting *m,
				  uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_GREETING_LEN)
		return -TW_PROTO_E_NOSPACE;
	if (!count_valid(m->count))
		return -TW_PROTO_E_COUNT;
	memset(buf, 0, TW_CTRL_GREETING_LEN);
	memcpy(buf, m->unused, 12);
	tw_put_be32(buf + 12, m->modes);
	memcpy(buf + 16, m->challenge, 16);
	memcpy(buf + 32, m->salt, 16);
	tw_put_be32(buf + 48, m->count);
	return TW_CTRL_GREETING_LEN;
}

int tw_proto_ctrl_greeting_decode(const uint8_t *buf, size_t len,
				  struct tw_ctrl_greeting *out)
{
	uint32_t count;

	if (len < TW_CTRL_GREETING_LEN)
		return -TW_PROTO_E_TRUNCATED;
	count = tw_get_be32(buf + 48);
	if (!count_valid(count))
		return -TW_PROTO_E_COUNT;
	memcpy(out->unused, buf, 12);
	out->modes = tw_get_be32(buf + 12);
	memcpy(out->challenge, buf + 16, 16);
	memcpy(out->salt, buf + 32, 16);
	out->count = count;
	return TW_CTRL_GREETING_LEN;
}

/*
 * RFC 4656 §3.1: Set-Up-Response (RFC 7717 §5.3: KeyID = SPIi|SPIr|0)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Mode                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                       KeyID (80 octets)                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                       Token (64 octets)                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                     Client-IV (16 octets)                     .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_setup_response_encode(const struct tw_ctrl_setup_response *m,
					uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_SETUP_RESPONSE_LEN)
		return -TW_PROTO_E_NOSPACE;
	tw_put_be32(buf, m->mode);
	memcpy(buf + 4, m->keyid, TW_CTRL_KEYID_LEN);
	memcpy(buf + 84, m->token, TW_CTRL_TOKEN_LEN);
	memcpy(buf + 148, m->client_iv, TW_CTRL_IV_LEN);
	return TW_CTRL_SETUP_RESPONSE_LEN;
}

int tw_proto_ctrl_setup_response_decode(const uint8_t *buf, size_t len,
					struct tw_ctrl_setup_response *out)
{
	if (len < TW_CTRL_SETUP_RESPONSE_LEN)
		return -TW_PROTO_E_TRUNCATED;
	out->mode = tw_get_be32(buf);
	memcpy(out->keyid, buf + 4, TW_CTRL_KEYID_LEN);
	memcpy(out->token, buf + 84, TW_CTRL_TOKEN_LEN);
	memcpy(out->client_iv, buf + 148, TW_CTRL_IV_LEN);
	return TW_CTRL_SETUP_RESPONSE_LEN;
}

/* ---- the seed draft's profile (docs/protocol.md: reconstruction) ---- */

static bool draft_variant_valid(enum tw_ctrl_draft_variant v)
{
	return v == TW_CTRL_DRAFT_BASE || v == TW_CTRL_DRAFT_ALT1 || v == TW_CTRL_DRAFT_ALT2;
}

/*
 * Seed draft §4.1 (Figure 2) and Figure 5: Server Greeting with the SA
 * binding in the Unused octets; Salt and Count MBZ in Alt. 1 (§4.2.1),
 * Challenge too in Alt. 2 (§4.2.2).
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Protocol    |                 MBZ (3 octets)                |
 * |             SPI of the server's inbound SA (client -> server) |
 * |            SPI of the server's outbound SA (server -> client) |
 * |                            Modes                              |
 * .                  Challenge (16 octets; Alt. 2: MBZ)           .
 * .                  Salt (16 octets; Alt. 1 and 2: MBZ)          .
 * |                  Count (Alt. 1 and 2: MBZ)                    |
 * .                  MBZ (12 octets)                              .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_draft_greeting_encode(enum tw_ctrl_draft_variant v,
					const struct tw_ctrl_draft_greeting *m,
					uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_GREETING_LEN)
		return -TW_PROTO_E_NOSPACE;
	if (!draft_variant_valid(v))
		return -TW_PROTO_E_INVAL;
	if (m->protocol != TW_CTRL_DRAFT_PROTO_ESP && m->protocol != TW_CTRL_DRAFT_PROTO_AH)
		return -TW_PROTO_E_PROTOCOL;
	if (m->spi_in < TW_CTRL_DRAFT_SPI_MIN || m->spi_out < TW_CTRL_DRAFT_SPI_MIN)
		return -TW_PROTO_E_RANGE;
	if (v == TW_CTRL_DRAFT_BASE && !count_valid(m->count))
		return -TW_PROTO_E_COUNT;
	memset(buf, 0, TW_CTRL_GREETING_LEN);
	buf[0] = m->protocol;
	tw_put_be32(buf + 4, m->spi_in);
	tw_put_be32(buf + 8, m->spi_out);
	tw_put_be32(buf + 12, m->modes);
	if (v != TW_CTRL_DRAFT_ALT2)
		memcpy(buf + 16, m->challenge, 16);
	if (v == TW_CTRL_DRAFT_BASE) {
		memcpy(buf + 32, m->salt, 16);
		tw_put_be32(buf + 48, m->count);
	}
	return TW_CTRL_GREETING_LEN;
}

int tw_proto_ctrl_draft_greeting_decode(enum tw_ctrl_draft_variant v,
					const uint8_t *buf, size_t len,
					struct tw_ctrl_draft_greeting *out)
{
	uint32_t spi_in, spi_out, count;

	if (len < TW_CTRL_GREETING_LEN)
		return -TW_PROTO_E_TRUNCATED;
	if (!draft_variant_valid(v))
		return -TW_PROTO_E_INVAL;
	if (buf[0] != TW_CTRL_DRAFT_PROTO_ESP && buf[0] != TW_CTRL_DRAFT_PROTO_AH)
		return -TW_PROTO_E_PROTOCOL;
	spi_in = tw_get_be32(buf + 4);
	spi_out = tw_get_be32(buf + 8);
	if (spi_in < TW_CTRL_DRAFT_SPI_MIN || spi_out < TW_CTRL_DRAFT_SPI_MIN)
		return -TW_PROTO_E_RANGE;
	count = tw_get_be32(buf + 48);
	if (!tw_proto_is_zero(buf + 1, 3) || !tw_proto_is_zero(buf + 52, 12) ||
	    (v != TW_CTRL_DRAFT_BASE &&
	     (!tw_proto_is_zero(buf + 32, 16) || count != 0)) ||
	    (v == TW_CTRL_DRAFT_ALT2 && !tw_proto_is_zero(buf + 16, 16)))
		return -TW_PROTO_E_MBZ;
	if (v == TW_CTRL_DRAFT_BASE && !count_valid(count))
		return -TW_PROTO_E_COUNT;
	out->protocol = buf[0];
	out->spi_in = spi_in;
	out->spi_out = spi_out;
	out->modes = tw_get_be32(buf + 12);
	memcpy(out->challenge, buf + 16, 16);
	memcpy(out->salt, buf + 32, 16);
	out->count = count;
	return TW_CTRL_GREETING_LEN;
}

/*
 * Seed draft §4.2.1 / §4.2.2 (Figure 6): Set-Up-Response of Alternatives 1
 * and 2, kept at RFC 4656's 164 octets (docs/protocol.md).
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Mode                              |
 * .                    MBZ (80 octets, the KeyID)                 .
 * .          Token (16 octets; Alt. 2: MBZ) | MBZ (48 octets)     .
 * .                     Client-IV (16 octets)                     .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_draft_setup_response_encode(enum tw_ctrl_draft_variant v,
					      const struct tw_ctrl_draft_setup_response *m,
					      uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_SETUP_RESPONSE_LEN)
		return -TW_PROTO_E_NOSPACE;
	if (v != TW_CTRL_DRAFT_ALT1 && v != TW_CTRL_DRAFT_ALT2)
		return -TW_PROTO_E_INVAL;
	memset(buf, 0, TW_CTRL_SETUP_RESPONSE_LEN);
	tw_put_be32(buf, m->mode);
	if (v == TW_CTRL_DRAFT_ALT1)
		memcpy(buf + 84, m->token, 16);
	memcpy(buf + 148, m->client_iv, TW_CTRL_IV_LEN);
	return TW_CTRL_SETUP_RESPONSE_LEN;
}

int tw_proto_ctrl_draft_setup_response_decode(enum tw_ctrl_draft_variant v,
					      const uint8_t *buf, size_t len,
					      struct tw_ctrl_draft_setup_response *out)
{
	uint32_t mode;

	if (len < TW_CTRL_SETUP_RESPONSE_LEN)
		return -TW_PROTO_E_TRUNCATED;
	if (v != TW_CTRL_DRAFT_ALT1 && v != TW_CTRL_DRAFT_ALT2)
		return -TW_PROTO_E_INVAL;
	mode = tw_get_be32(buf);
	if (mode != 0 &&
	    (!tw_proto_is_zero(buf + 4, TW_CTRL_KEYID_LEN) ||
	     !tw_proto_is_zero(buf + 100, 48) ||
	     (v == TW_CTRL_DRAFT_ALT2 && !tw_proto_is_zero(buf + 84, 16))))
		return -TW_PROTO_E_MBZ;
	memset(out, 0, sizeof(*out));
	out->mode = mode;
	memcpy(out->token, buf + 84, 16);
	memcpy(out->client_iv, buf + 148, TW_CTRL_IV_LEN);
	return TW_CTRL_SETUP_RESPONSE_LEN;
}

int tw_proto_ctrl_mode_check(enum tw_ctrl_proto proto, uint32_t offered,
			     uint32_t chosen)
{
	uint32_t sec_mask = proto == TW_CTRL_OWAMP ? TW_MODE_SECURITY_OWAMP :
						     TW_MODE_SECURITY_TWAMP;
	uint32_t sec = chosen & sec_mask;

	if (sec == 0 || (sec & (sec - 1)) != 0)
		return -TW_PROTO_E_MODE;
	if ((chosen & ~offered) != 0)
		return -TW_PROTO_E_MODE;
	return 0;
}

void tw_proto_ctrl_keyid_from_spis(uint8_t keyid[TW_CTRL_KEYID_LEN],
				   const uint8_t spii[TW_CTRL_SPI_LEN],
				   const uint8_t spir[TW_CTRL_SPI_LEN])
{
	memset(keyid, 0, TW_CTRL_KEYID_LEN);
	memcpy(keyid, spii, TW_CTRL_SPI_LEN);
	memcpy(keyid + TW_CTRL_SPI_LEN, spir, TW_CTRL_SPI_LEN);
}

void tw_proto_ctrl_keyid_to_spis(const uint8_t keyid[TW_CTRL_KEYID_LEN],
				 uint8_t spii[TW_CTRL_SPI_LEN],
				 uint8_t spir[TW_CTRL_SPI_LEN])
{
	memcpy(spii, keyid, TW_CTRL_SPI_LEN);
	memcpy(spir, keyid + TW_CTRL_SPI_LEN, TW_CTRL_SPI_LEN);
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

int tw_proto_ctrl_keyid_from_name(uint8_t keyid[TW_CTRL_KEYID_LEN],
				  const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;

	if (len == 0 || len > TW_CTRL_KEYID_LEN)
		return -TW_PROTO_E_RANGE;
	if (memchr(p, 0, len) != NULL || !utf8_valid(p, len))
		return -TW_PROTO_E_INVAL;
	memset(keyid, 0, TW_CTRL_KEYID_LEN);
	memcpy(keyid, p, len);
	return 0;
}

int tw_proto_ctrl_keyid_name_len(const uint8_t keyid[TW_CTRL_KEYID_LEN])
{
	const uint8_t *z = memchr(keyid, 0, TW_CTRL_KEYID_LEN);
	size_t n = z != NULL ? (size_t)(z - keyid) : TW_CTRL_KEYID_LEN;

	if (n == 0 || !tw_proto_is_zero(keyid + n, TW_CTRL_KEYID_LEN - n) ||
	    !utf8_valid(keyid, n))
		return -TW_PROTO_E_INVAL;
	return (int)n;
}

/*
 * RFC 4656 §3.1: Server-Start
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         MBZ (15 octets)                       |
 * |                                               +-+-+-+-+-+-+-+-+
 * |                                               |   Accept      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Server-IV (16 octets)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Start-Time (Timestamp)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         MBZ (8 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_server_start_encode(const struct tw_ctrl_server_start *m,
				      uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_SERVER_START_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_SERVER_START_LEN);
	buf[15] = m->accept;
	memcpy(buf + 16, m->server_iv, TW_CTRL_IV_LEN);
	tw_ts_put(buf + 32, m->start_time);
	return TW_CTRL_SERVER_START_LEN;
}

int tw_proto_ctrl_server_start_decode(const uint8_t *buf, size_t len,
				      struct tw_ctrl_server_start *out)
{
	if (len < TW_CTRL_SERVER_START_LEN)
		return -TW_PROTO_E_TRUNCATED;
	out->accept = buf[15];
	memcpy(out->server_iv, buf + 16, TW_CTRL_IV_LEN);
	out->start_time = tw_ts_get(buf + 32);
	return TW_CTRL_SERVER_START_LEN;
}

/* ===================================================== session requests */

uint32_t tw_proto_ctrl_typep_dscp(uint8_t dscp)
{
	return (uint32_t)(dscp & 0x3f) << 24;
}

uint32_t tw_proto_ctrl_typep_phb(uint16_t phb_id)
{
	return 0x40000000u | (uint32_t)phb_id << 14;
}

/* RFC 4656 §3.5: 00 -> 6-bit DSCP, 01 -> 16-bit PHB ID (RFC 2836). */
int tw_proto_ctrl_typep_decode(uint32_t raw, struct tw_typep *out)
{
	out->format = (uint8_t)(raw >> 30);
	out->dscp = out->format == TW_TYPEP_DSCP ? (uint8_t)(raw >> 24 & 0x3f) : 0;
	out->phb_id = out->format == TW_TYPEP_PHB_ID ? (uint16_t)(raw >> 14) : 0;
	return out->format <= TW_TYPEP_PHB_ID ? 0 : -TW_PROTO_E_RANGE;
}

/*
 * RFC 4656 §3.5 / RFC 5357 §3.5 / RFC 6038 §4.2: Request-(TW-)Session
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    1 or 5     |  MBZ  | IPVN  |  Conf-Sender  | Conf-Receiver |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Number of Schedule Slots                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Number of Packets                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Sender Port          |         Receiver Port         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Sender Address (IPv4, or IPv6 with the 12 below)       |
 * |           Sender Address (cont.) or MBZ (12 octets)           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Receiver Address                       |
 * |           Receiver Address (cont.) or MBZ (12 octets)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        SID (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Padding Length                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Start Time                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Timeout, (8 octets)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Type-P Descriptor                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  MBZ (8), or with Reflect Octets (TWAMP mode bit 5):          |
 * |     Octets to be reflected    |  Length of padding to reflect |
 * |                       MBZ (4 octets)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * OWAMP then: Number of Schedule Slots x { Slot Type (1) | MBZ (7) |
 * Slot Parameter (8) }, then HMAC (16).
 */
static void request_put(const struct tw_ctrl_request *m, uint8_t cmd,
			uint8_t conf_s, uint8_t conf_r, uint32_t slots,
			uint32_t pkts, bool reflect, uint8_t *buf)
{
	memset(buf, 0, TW_CTRL_REQUEST_TW_SESSION_LEN);
	buf[0] = cmd;
	buf[1] = m->ipvn & 0x0f;
	buf[2] = conf_s;
	buf[3] = conf_r;
	tw_put_be32(buf + 4, slots);
	tw_put_be32(buf + 8, pkts);
	tw_put_be16(buf + 12, m->sender_port);
	tw_put_be16(buf + 14, m->receiver_port);
	put_addr(buf + 16, m->sender_addr, m->ipvn);
	put_addr(buf + 32, m->receiver_addr, m->ipvn);
	memcpy(buf + 48, m->sid, TW_CTRL_SID_LEN);
	tw_put_be32(buf + 64, m->padding_length);
	tw_ts_put(buf + 68, m->start_time);
	tw_ts_put(buf + 76, m->timeout);
	tw_put_be32(buf + 84, m->type_p);
	if (reflect) {
		tw_put_be16(buf + 88, m->reflect_octets);
		tw_put_be16(buf + 90, m->reflect_padding);
	}
	memcpy(buf + 96, m->hmac, TW_CTRL_HMAC_LEN);
}

/* Fields common to both protocols; the caller has checked length and IPVN. */
static void request_get(const uint8_t *buf, bool reflect,
			struct tw_ctrl_request *out)
{
	out->ipvn = buf[1] & 0x0f;
	out->conf_sender = buf[2];
	out->conf_receiver = buf[3];
	out->num_slots = tw_get_be32(buf + 4);
	out->num_packets = tw_get_be32(buf + 8);
	out->sender_port = tw_get_be16(buf + 12);
	out->receiver_port = tw_get_be16(buf + 14);
	get_addr(out->sender_addr, buf + 16, out->ipvn);
	get_addr(out->receiver_addr, buf + 32, out->ipvn);
	memcpy(out->sid, buf + 48, TW_CTRL_SID_LEN);
	out->padding_length = tw_get_be32(buf + 64);
	out->start_time = tw_ts_get(buf + 68);
	out->timeout = tw_ts_get(buf + 76);
	out->type_p = tw_get_be32(buf + 84);
	(void)tw_proto_ctrl_typep_decode(out->type_p, &out->typep);
	out->reflect_octets = reflect ? tw_get_be16(buf + 88) : 0;
	out->reflect_padding = reflect ? tw_get_be16(buf + 90) : 0;
	memcpy(out->hmac, buf + 96, TW_CTRL_HMAC_LEN);
	out->slots = NULL;
	out->slot_wire = NULL;
	memset(out->hmac2, 0, TW_CTRL_HMAC_LEN);
}

static bool ipvn_valid(uint8_t ipvn)
{
	return ipvn == 4 || ipvn == 6;
}

int tw_proto_twamp_request_encode(const struct tw_ctrl_request *m, uint32_t mode,
				  uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_REQUEST_TW_SESSION_LEN)
		return -TW_PROTO_E_NOSPACE;
	if (!ipvn_valid(m->ipvn))
		return -TW_PROTO_E_IPVN;
	request_put(m, TW_TWAMP_CMD_REQUEST_TW_SESSION, 0, 0, 0, 0,
		    (mode & TW_MODE_REFLECT_OCTETS) != 0, buf);
	return TW_CTRL_REQUEST_TW_SESSION_LEN;
}

int tw_proto_twamp_request_decode(const uint8_t *buf, size_t len, uint32_t mode,
				  struct tw_ctrl_request *out)
{
	if (len < TW_CTRL_REQUEST_TW_SESSION_LEN)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != TW_TWAMP_CMD_REQUEST_TW_SESSION)
		return -TW_PROTO_E_COMMAND;
	if (!ipvn_valid(buf[1] & 0x0f))
		return -TW_PROTO_E_IPVN;
	if (buf[2] != 0 || buf[3] != 0)
		return -TW_PROTO_E_CONF;
	request_get(buf, (mode & TW_MODE_REFLECT_OCTETS) != 0, out);
	return TW_CTRL_REQUEST_TW_SESSION_LEN;
}

/* 112-octet block + slots + HMAC; 0 when above TW_CTRL_MSG_MAX. */
static size_t owamp_request_len(uint32_t slots)
{
	uint64_t n = TW_CTRL_REQUEST_TW_SESSION_LEN +
		     (uint64_t)slots * TW_OWAMP_SLOT_LEN + TW_CTRL_HMAC_LEN;

	return n > TW_CTRL_MSG_MAX ? 0 : (size_t)n;
}

int tw_proto_owamp_request_encode(const struct tw_ctrl_request *m,
				  uint8_t *buf, size_t cap)
{
	size_t total;
	uint8_t *p;

	if (m->num_slots == 0)
		return -TW_PROTO_E_RANGE;
	total = owamp_request_len(m->num_slots);
	if (total == 0)
		return -TW_PROTO_E_LENGTH;
	if (m->slots == NULL && m->slot_wire == NULL)
		return -TW_PROTO_E_INVAL;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	if (!ipvn_valid(m->ipvn))
		return -TW_PROTO_E_IPVN;
	if (m->conf_sender == 0 && m->conf_receiver == 0)
		return -TW_PROTO_E_CONF;
	for (uint32_t i = 0; i < m->num_slots; i++) {
		uint8_t type = m->slots != NULL ? m->slots[i].type :
				m->slot_wire[(size_t)i * TW_OWAMP_SLOT_LEN];

		if (type > TW_OWAMP_SLOT_FIXED)
			return -TW_PROTO_E_SLOT;
	}
	request_put(m, TW_OWAMP_CMD_REQUEST_SESSION, m->conf_sender != 0,
		    m->conf_receiver != 0, m->num_slots, m->num_packets, false,
		    buf);
	p = buf + TW_CTRL_REQUEST_TW_SESSION_LEN;
	for (uint32_t i = 0; i < m->num_slots; i++, p += TW_OWAMP_SLOT_LEN) {
		struct tw_owamp_slot sl;

		if (m->slots != NULL)
			sl = m->slots[i];
		else
			tw_proto_owamp_slot_get(m, i, &sl);
		memset(p, 0, 8);
		p[0] = sl.type;
		tw_ts_put(p + 8, sl.parameter);
	}
	memcpy(p, m->hmac2, TW_CTRL_HMAC_LEN);
	return (int)total;
}

int tw_proto_owamp_request_decode(const uint8_t *buf, size_t len,
				  struct tw_ctrl_request *out)
{
	const uint8_t *slots = buf + TW_CTRL_REQUEST_TW_SESSION_LEN;
	uint32_t nslots;
	size_t total;

	if (len < TW_CTRL_BLOCK)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != TW_OWAMP_CMD_REQUEST_SESSION)
		return -TW_PROTO_E_COMMAND;
	nslots = tw_get_be32(buf + 4);
	if (nslots == 0)
		return -TW_PROTO_E_RANGE;
	total = owamp_request_len(nslots);
	if (total == 0)
		return -TW_PROTO_E_LENGTH;
	if (len < total)
		return -TW_PROTO_E_TRUNCATED;
	if (!ipvn_valid(buf[1] & 0x0f))
		return -TW_PROTO_E_IPVN;
	if (buf[2] == 0 && buf[3] == 0)
		return -TW_PROTO_E_CONF;
	for (uint32_t i = 0; i < nslots; i++)
		if (slots[i * TW_OWAMP_SLOT_LEN] > TW_OWAMP_SLOT_FIXED)
			return -TW_PROTO_E_SLOT;
	request_get(buf, false, out);
	out->conf_sender = buf[2] != 0;
	out->conf_receiver = buf[3] != 0;
	out->slot_wire = slots;
	memcpy(out->hmac2, buf + total - TW_CTRL_HMAC_LEN, TW_CTRL_HMAC_LEN);
	return (int)total;
}

void tw_proto_owamp_slot_get(const struct tw_ctrl_request *m, uint32_t i,
			     struct tw_owamp_slot *out)
{
	const uint8_t *p = m->slot_wire + (size_t)i * TW_OWAMP_SLOT_LEN;

	out->type = p[0];
	out->parameter = tw_ts_get(p + 8);
}

/*
 * RFC 4656 §3.5 / RFC 6038 §4.3: Accept-Session
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Accept     |  MBZ          |            Port               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        SID (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  MBZ (12), or with Reflect Octets (TWAMP mode bit 5):         |
 * |       Reflected octets        |         Server octets         |
 * |                       MBZ (8 octets)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_accept_session_encode(const struct tw_ctrl_accept_session *m,
					uint32_t mode, uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_ACCEPT_SESSION_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_ACCEPT_SESSION_LEN);
	buf[0] = m->accept;
	tw_put_be16(buf + 2, m->port);
	memcpy(buf + 4, m->sid, TW_CTRL_SID_LEN);
	if (mode & TW_MODE_REFLECT_OCTETS) {
		tw_put_be16(buf + 20, m->reflected_octets);
		tw_put_be16(buf + 22, m->server_octets);
	}
	memcpy(buf + 32, m->hmac, TW_CTRL_HMAC_LEN);
	return TW_CTRL_ACCEPT_SESSION_LEN;
}

int tw_proto_ctrl_accept_session_decode(const uint8_t *buf, size_t len,
					uint32_t mode,
					struct tw_ctrl_accept_session *out)
{
	bool reflect = (mode & TW_MODE_REFLECT_OCTETS) != 0;

	if (len < TW_CTRL_ACCEPT_SESSION_LEN)
		return -TW_PROTO_E_TRUNCATED;
	out->accept = buf[0];
	out->port = tw_get_be16(buf + 2);
	memcpy(out->sid, buf + 4, TW_CTRL_SID_LEN);
	out->reflected_octets = reflect ? tw_get_be16(buf + 20) : 0;
	out->server_octets = reflect ? tw_get_be16(buf + 22) : 0;
	memcpy(out->hmac, buf + 32, TW_CTRL_HMAC_LEN);
	return TW_CTRL_ACCEPT_SESSION_LEN;
}

/* ========================================================= start / stop */

/*
 * RFC 4656 §3.7: Start-Sessions
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      2        |                                               |
 * +-+-+-+-+-+-+-+-+        MBZ (15 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_start_sessions_encode(const struct tw_ctrl_start_sessions *m,
					uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_START_SESSIONS_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_BLOCK);
	buf[0] = TW_TWAMP_CMD_START_SESSIONS;
	memcpy(buf + 16, m->hmac, TW_CTRL_HMAC_LEN);
	return TW_CTRL_START_SESSIONS_LEN;
}

int tw_proto_ctrl_start_sessions_decode(const uint8_t *buf, size_t len,
					struct tw_ctrl_start_sessions *out)
{
	if (len < TW_CTRL_START_SESSIONS_LEN)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != TW_TWAMP_CMD_START_SESSIONS)
		return -TW_PROTO_E_COMMAND;
	memcpy(out->hmac, buf + 16, TW_CTRL_HMAC_LEN);
	return TW_CTRL_START_SESSIONS_LEN;
}

/*
 * RFC 4656 §3.7: Start-Ack
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Accept    |                                               |
 * +-+-+-+-+-+-+-+-+        MBZ (15 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_ctrl_start_ack_encode(const struct tw_ctrl_start_ack *m,
				   uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_START_ACK_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_BLOCK);
	buf[0] = m->accept;
	memcpy(buf + 16, m->hmac, TW_CTRL_HMAC_LEN);
	return TW_CTRL_START_ACK_LEN;
}

int tw_proto_ctrl_start_ack_decode(const uint8_t *buf, size_t len,
				   struct tw_ctrl_start_ack *out)
{
	if (len < TW_CTRL_START_ACK_LEN)
		return -TW_PROTO_E_TRUNCATED;
	out->accept = buf[0];
	memcpy(out->hmac, buf + 16, TW_CTRL_HMAC_LEN);
	return TW_CTRL_START_ACK_LEN;
}

/*
 * RFC 5357 §3.8: Stop-Sessions (TWAMP: no session description records)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      3        |    Accept     |              MBZ              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Number of Sessions                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        MBZ (8 octets)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_twamp_stop_sessions_encode(const struct tw_ctrl_stop_sessions *m,
					uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_STOP_SESSIONS_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_BLOCK);
	buf[0] = TW_TWAMP_CMD_STOP_SESSIONS;
	buf[1] = m->accept;
	tw_put_be32(buf + 4, m->num_sessions);
	memcpy(buf + 16, m->hmac, TW_CTRL_HMAC_LEN);
	return TW_CTRL_STOP_SESSIONS_LEN;
}

int tw_proto_twamp_stop_sessions_decode(const uint8_t *buf, size_t len,
					struct tw_ctrl_stop_sessions *out)
{
	if (len < TW_CTRL_STOP_SESSIONS_LEN)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != TW_TWAMP_CMD_STOP_SESSIONS)
		return -TW_PROTO_E_COMMAND;
	out->accept = buf[1];
	out->num_sessions = tw_get_be32(buf + 4);
	memcpy(out->hmac, buf + 16, TW_CTRL_HMAC_LEN);
	return TW_CTRL_STOP_SESSIONS_LEN;
}

/*
 * RFC 5938 §3.2-§3.5: Start-N-Sessions (7) / Stop-N-Sessions (9)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    7 or 9     |                                               |
 * +-+-+-+-+-+-+-+-+        MBZ (11 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Number of Sessions                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              First SID, remaining SIDs (16 octets each)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Start-N-Ack (8) / Stop-N-Ack (10): octet 1 is Accept, octets 2-11 MBZ.
 */
static size_t n_sessions_len(uint32_t n)
{
	uint64_t total = 2 * TW_CTRL_BLOCK + (uint64_t)n * TW_CTRL_SID_LEN;

	return total > TW_CTRL_MSG_MAX ? 0 : (size_t)total;
}

static int n_encode(const struct tw_ctrl_n_sessions *m, uint8_t cmd, bool ack,
		    uint8_t *buf, size_t cap)
{
	size_t total, sids_len;

	if (m->num_sessions == 0)
		return -TW_PROTO_E_RANGE;
	total = n_sessions_len(m->num_sessions);
	if (total == 0)
		return -TW_PROTO_E_LENGTH;
	if (m->sids == NULL)
		return -TW_PROTO_E_INVAL;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	sids_len = (size_t)m->num_sessions * TW_CTRL_SID_LEN;
	memset(buf, 0, TW_CTRL_BLOCK);
	buf[0] = cmd;
	if (ack)
		buf[1] = m->accept;
	tw_put_be32(buf + 12, m->num_sessions);
	memmove(buf + TW_CTRL_BLOCK, m->sids, sids_len);
	memcpy(buf + TW_CTRL_BLOCK + sids_len, m->hmac, TW_CTRL_HMAC_LEN);
	return (int)total;
}

static int n_decode(const uint8_t *buf, size_t len, uint8_t cmd, bool ack,
		    struct tw_ctrl_n_sessions *out)
{
	uint32_t n;
	size_t total;

	if (len < TW_CTRL_BLOCK)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != cmd)
		return -TW_PROTO_E_COMMAND;
	n = tw_get_be32(buf + 12);
	if (n == 0)
		return -TW_PROTO_E_RANGE;
	total = n_sessions_len(n);
	if (total == 0)
		return -TW_PROTO_E_LENGTH;
	if (len < total)
		return -TW_PROTO_E_TRUNCATED;
	out->accept = ack ? buf[1] : 0;
	out->num_sessions = n;
	out->sids = buf + TW_CTRL_BLOCK;
	memcpy(out->hmac, buf + total - TW_CTRL_HMAC_LEN, TW_CTRL_HMAC_LEN);
	return (int)total;
}

int tw_proto_twamp_start_n_encode(const struct tw_ctrl_n_sessions *m,
				  uint8_t *buf, size_t cap)
{
	return n_encode(m, TW_TWAMP_CMD_START_N_SESSIONS, false, buf, cap);
}

int tw_proto_twamp_start_n_ack_encode(const struct tw_ctrl_n_sessions *m,
				      uint8_t *buf, size_t cap)
{
	return n_encode(m, TW_TWAMP_CMD_START_N_ACK, true, buf, cap);
}

int tw_proto_twamp_stop_n_encode(const struct tw_ctrl_n_sessions *m,
				 uint8_t *buf, size_t cap)
{
	return n_encode(m, TW_TWAMP_CMD_STOP_N_SESSIONS, false, buf, cap);
}

int tw_proto_twamp_stop_n_ack_encode(const struct tw_ctrl_n_sessions *m,
				     uint8_t *buf, size_t cap)
{
	return n_encode(m, TW_TWAMP_CMD_STOP_N_ACK, true, buf, cap);
}

int tw_proto_twamp_start_n_decode(const uint8_t *buf, size_t len,
				  struct tw_ctrl_n_sessions *out)
{
	return n_decode(buf, len, TW_TWAMP_CMD_START_N_SESSIONS, false, out);
}

int tw_proto_twamp_start_n_ack_decode(const uint8_t *buf, size_t len,
				      struct tw_ctrl_n_sessions *out)
{
	return n_decode(buf, len, TW_TWAMP_CMD_START_N_ACK, true, out);
}

int tw_proto_twamp_stop_n_decode(const uint8_t *buf, size_t len,
				 struct tw_ctrl_n_sessions *out)
{
	return n_decode(buf, len, TW_TWAMP_CMD_STOP_N_SESSIONS, false, out);
}

int tw_proto_twamp_stop_n_ack_decode(const uint8_t *buf, size_t len,
				     struct tw_ctrl_n_sessions *out)
{
	return n_decode(buf, len, TW_TWAMP_CMD_STOP_N_ACK, true, out);
}

/* ================================================ OWAMP stop and fetch */

/*
 * RFC 4656 §3.8: Stop-Sessions (OWAMP)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      3        |    Accept     |              MBZ              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Number of Sessions                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        MBZ (8 octets)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * then Number of Sessions session description records:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        SID (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Next Seqno                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Number of Skip Ranges                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   First Seqno Skipped   |   Last Seqno Skipped  (x N, 8 each) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       zero padding to the next 16-octet block boundary        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * then HMAC (16 octets).
 */
#define SESS_DESC_HDR 24u

static uint64_t sess_desc_len(uint32_t nskips)
{
	return tw_proto_ctrl_pad16(SESS_DESC_HDR + (uint64_t)nskips * TW_OWAMP_SKIP_LEN);
}

int tw_proto_owamp_sess_desc_decode(const uint8_t *buf, size_t len,
				    struct tw_owamp_sess_desc *out)
{
	uint32_t nskips;
	uint64_t total;
	int rc;

	if (len < SESS_DESC_HDR)
		return -TW_PROTO_E_TRUNCATED;
	nskips = tw_get_be32(buf + 20);
	total = sess_desc_len(nskips);
	if (total > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	if (len < total)
		return -TW_PROTO_E_TRUNCATED;
	rc = skips_check_wire(buf + SESS_DESC_HDR, nskips);
	if (rc < 0)
		return rc;
	memcpy(out->sid, buf, TW_CTRL_SID_LEN);
	out->next_seqno = tw_get_be32(buf + 16);
	out->num_skips = nskips;
	out->skips = NULL;
	out->skip_wire = buf + SESS_DESC_HDR;
	return (int)total;
}

void tw_proto_owamp_skip_get(const uint8_t *skip_wire, uint32_t i,
			     struct tw_owamp_skip *out)
{
	const uint8_t *p = skip_wire + (size_t)i * TW_OWAMP_SKIP_LEN;

	out->first = tw_get_be32(p);
	out->last = tw_get_be32(p + 4);
}

static void skips_put(uint8_t *p, const struct tw_owamp_skip *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, p += TW_OWAMP_SKIP_LEN) {
		tw_put_be32(p, s[i].first);
		tw_put_be32(p + 4, s[i].last);
	}
}

static int sess_desc_check(const struct tw_owamp_sess_desc *s)
{
	if (s->skips != NULL)
		return skips_check(s->skips, s->num_skips);
	if (s->num_skips > 0 && s->skip_wire == NULL)
		return -TW_PROTO_E_INVAL;
	return skips_check_wire(s->skip_wire, s->num_skips);
}

static void sess_desc_put(uint8_t *p, const struct tw_owamp_sess_desc *s)
{
	memset(p, 0, (size_t)sess_desc_len(s->num_skips));
	memcpy(p, s->sid, TW_CTRL_SID_LEN);
	tw_put_be32(p + 16, s->next_seqno);
	tw_put_be32(p + 20, s->num_skips);
	if (s->skips != NULL)
		skips_put(p + SESS_DESC_HDR, s->skips, s->num_skips);
	else if (s->num_skips > 0)
		memcpy(p + SESS_DESC_HDR, s->skip_wire,
		       (size_t)s->num_skips * TW_OWAMP_SKIP_LEN);
}

/* Session i of m: from the array, or the next one of the decoded records. */
static int stop_next(const struct tw_owamp_stop_sessions *m, uint32_t i,
		     size_t *roff, struct tw_owamp_sess_desc *d)
{
	int rc;

	if (m->sessions != NULL) {
		*d = m->sessions[i];
		return sess_desc_check(d);
	}
	if (m->records == NULL || *roff >= m->records_len)
		return -TW_PROTO_E_INVAL;
	rc = tw_proto_owamp_sess_desc_decode(m->records + *roff,
					     m->records_len - *roff, d);
	if (rc < 0)
		return rc == -TW_PROTO_E_TRUNCATED ? -TW_PROTO_E_INVAL : rc;
	*roff += (size_t)rc;
	return 0;
}

int tw_proto_owamp_stop_sessions_encode(const struct tw_owamp_stop_sessions *m,
					uint8_t *buf, size_t cap)
{
	struct tw_owamp_sess_desc d;
	uint64_t total = 2 * TW_CTRL_BLOCK;
	size_t roff = 0;
	uint8_t *p;
	int rc;

	for (uint32_t i = 0; i < m->num_sessions; i++) {
		rc = stop_next(m, i, &roff, &d);
		if (rc < 0)
			return rc;
		total += sess_desc_len(d.num_skips);
		if (total > TW_CTRL_MSG_MAX)
			return -TW_PROTO_E_LENGTH;
	}
	if (m->sessions == NULL && roff != m->records_len)
		return -TW_PROTO_E_INVAL;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_BLOCK);
	buf[0] = TW_OWAMP_CMD_STOP_SESSIONS;
	buf[1] = m->accept;
	tw_put_be32(buf + 4, m->num_sessions);
	p = buf + TW_CTRL_BLOCK;
	roff = 0;
	for (uint32_t i = 0; i < m->num_sessions; i++) {
		(void)stop_next(m, i, &roff, &d);
		sess_desc_put(p, &d);
		p += sess_desc_len(d.num_skips);
	}
	memcpy(p, m->hmac, TW_CTRL_HMAC_LEN);
	return (int)total;
}

int tw_proto_owamp_stop_sessions_decode(const uint8_t *buf, size_t len,
					struct tw_owamp_stop_sessions *out)
{
	struct tw_owamp_sess_desc d;
	uint32_t n;
	size_t off = TW_CTRL_BLOCK;

	if (len < TW_CTRL_BLOCK)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != TW_OWAMP_CMD_STOP_SESSIONS)
		return -TW_PROTO_E_COMMAND;
	n = tw_get_be32(buf + 4);
	for (uint32_t i = 0; i < n; i++) {
		int rc;

		/* each record is at least 32 octets: no loop can outrun len */
		if (off + 2 * TW_CTRL_BLOCK + TW_CTRL_HMAC_LEN > TW_CTRL_MSG_MAX)
			return -TW_PROTO_E_LENGTH;
		if (len - off >= SESS_DESC_HDR &&
		    off + sess_desc_len(tw_get_be32(buf + off + 20)) +
				    TW_CTRL_HMAC_LEN > TW_CTRL_MSG_MAX)
			return -TW_PROTO_E_LENGTH;
		rc = tw_proto_owamp_sess_desc_decode(buf + off, len - off, &d);
		if (rc < 0)
			return rc;
		off += (size_t)rc;
	}
	if (off + TW_CTRL_HMAC_LEN > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	if (len < off + TW_CTRL_HMAC_LEN)
		return -TW_PROTO_E_TRUNCATED;
	out->accept = buf[1];
	out->num_sessions = n;
	out->sessions = NULL;
	out->records = buf + TW_CTRL_BLOCK;
	out->records_len = off - TW_CTRL_BLOCK;
	memcpy(out->hmac, buf + off, TW_CTRL_HMAC_LEN);
	return (int)(off + TW_CTRL_HMAC_LEN);
}

/*
 * RFC 4656 §3.9: Fetch-Session
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      4        |                                               |
 * +-+-+-+-+-+-+-+-+        MBZ (7 octets)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Begin Seq                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          End Seq                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        SID (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_owamp_fetch_session_encode(const struct tw_owamp_fetch_session *m,
					uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_FETCH_SESSION_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, 8);
	buf[0] = TW_OWAMP_CMD_FETCH_SESSION;
	tw_put_be32(buf + 8, m->begin_seq);
	tw_put_be32(buf + 12, m->end_seq);
	memcpy(buf + 16, m->sid, TW_CTRL_SID_LEN);
	memcpy(buf + 32, m->hmac, TW_CTRL_HMAC_LEN);
	return TW_CTRL_FETCH_SESSION_LEN;
}

int tw_proto_owamp_fetch_session_decode(const uint8_t *buf, size_t len,
					struct tw_owamp_fetch_session *out)
{
	if (len < TW_CTRL_FETCH_SESSION_LEN)
		return -TW_PROTO_E_TRUNCATED;
	if (buf[0] != TW_OWAMP_CMD_FETCH_SESSION)
		return -TW_PROTO_E_COMMAND;
	out->begin_seq = tw_get_be32(buf + 8);
	out->end_seq = tw_get_be32(buf + 12);
	memcpy(out->sid, buf + 16, TW_CTRL_SID_LEN);
	memcpy(out->hmac, buf + 32, TW_CTRL_HMAC_LEN);
	return TW_CTRL_FETCH_SESSION_LEN;
}

/*
 * RFC 4656 §3.9: Fetch-Ack
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Accept    | Finished      |          MBZ (2 octets)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Next Seqno                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Number of Skip Ranges                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Number of Records                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       HMAC (16 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int tw_proto_owamp_fetch_ack_encode(const struct tw_owamp_fetch_ack *m,
				    uint8_t *buf, size_t cap)
{
	if (cap < TW_CTRL_FETCH_ACK_LEN)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, TW_CTRL_BLOCK);
	buf[0] = m->accept;
	if (m->accept == TW_ACCEPT_OK) {
		buf[1] = m->finished;
		tw_put_be32(buf + 4, m->next_seqno);
		tw_put_be32(buf + 8, m->num_skips);
		tw_put_be32(buf + 12, m->num_records);
	}
	memcpy(buf + 16, m->hmac, TW_CTRL_HMAC_LEN);
	return TW_CTRL_FETCH_ACK_LEN;
}

int tw_proto_owamp_fetch_ack_decode(const uint8_t *buf, size_t len,
				    struct tw_owamp_fetch_ack *out)
{
	bool ok;

	if (len < TW_CTRL_FETCH_ACK_LEN)
		return -TW_PROTO_E_TRUNCATED;
	ok = buf[0] == TW_ACCEPT_OK;
	out->accept = buf[0];
	out->finished = ok ? buf[1] : 0;
	out->next_seqno = ok ? tw_get_be32(buf + 4) : 0;
	out->num_skips = ok ? tw_get_be32(buf + 8) : 0;
	out->num_records = ok ? tw_get_be32(buf + 12) : 0;
	memcpy(out->hmac, buf + 16, TW_CTRL_HMAC_LEN);
	return TW_CTRL_FETCH_ACK_LEN;
}

/*
 * RFC 4656 §3.9: skip ranges block of the session data
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      First Seqno Skipped                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Last Seqno Skipped                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * x N, zero padding to a 16-octet boundary, then HMAC (16 octets).
 */
int tw_proto_owamp_skips_encode(const struct tw_owamp_skip *skips, uint32_t n,
				const uint8_t hmac[TW_CTRL_HMAC_LEN],
				uint8_t *buf, size_t cap)
{
	size_t total = tw_proto_owamp_skips_block_len(n);
	int rc;

	if (total > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	if ((n > 0 && skips == NULL) || hmac == NULL)
		return -TW_PROTO_E_INVAL;
	rc = skips_check(skips, n);
	if (rc < 0)
		return rc;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, total - TW_CTRL_HMAC_LEN);
	skips_put(buf, skips, n);
	memcpy(buf + total - TW_CTRL_HMAC_LEN, hmac, TW_CTRL_HMAC_LEN);
	return (int)total;
}

int tw_proto_owamp_skips_decode(const uint8_t *buf, size_t len, uint32_t n,
				const uint8_t **wire,
				uint8_t hmac[TW_CTRL_HMAC_LEN])
{
	size_t total = tw_proto_owamp_skips_block_len(n);
	int rc;

	if (total > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	if (len < total)
		return -TW_PROTO_E_TRUNCATED;
	rc = skips_check_wire(buf, n);
	if (rc < 0)
		return rc;
	*wire = buf;
	memcpy(hmac, buf + total - TW_CTRL_HMAC_LEN, TW_CTRL_HMAC_LEN);
	return (int)total;
}

/*
 * RFC 4656 §3.9: packet record (25 octets)
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   00|                          Seq Number                           |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   04|      Send Error Estimate      |    Receive Error Estimate     |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   08|                         Send Timestamp                        |
 *   12|                                                               |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   16|                       Receive Timestamp                       |
 *   20|                                                               |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   24|    TTL        |
 *     +-+-+-+-+-+-+-+-+
 */
int tw_proto_owamp_record_encode(const struct tw_owamp_record *r,
				 uint8_t *buf, size_t cap)
{
	if (cap < TW_OWAMP_RECORD_LEN)
		return -TW_PROTO_E_NOSPACE;
	tw_put_be32(buf, r->seq);
	tw_put_be16(buf + 4, r->send_errest);
	tw_put_be16(buf + 6, r->recv_errest);
	tw_ts_put(buf + 8, r->send_ts);
	tw_ts_put(buf + 16, r->recv_ts);
	buf[24] = r->ttl;
	return TW_OWAMP_RECORD_LEN;
}

int tw_proto_owamp_record_decode(const uint8_t *buf, size_t len,
				 struct tw_owamp_record *out)
{
	if (len < TW_OWAMP_RECORD_LEN)
		return -TW_PROTO_E_TRUNCATED;
	out->seq = tw_get_be32(buf);
	out->send_errest = tw_get_be16(buf + 4);
	out->recv_errest = tw_get_be16(buf + 6);
	out->send_ts = tw_ts_get(buf + 8);
	out->recv_ts = tw_ts_get(buf + 16);
	out->ttl = buf[24];
	return TW_OWAMP_RECORD_LEN;
}

int tw_proto_owamp_records_encode(const struct tw_owamp_record *recs, uint32_t n,
				  const uint8_t hmac[TW_CTRL_HMAC_LEN],
				  uint8_t *buf, size_t cap)
{
	size_t total = tw_proto_owamp_records_block_len(n);

	if (total > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	if ((n > 0 && recs == NULL) || hmac == NULL)
		return -TW_PROTO_E_INVAL;
	if (cap < total)
		return -TW_PROTO_E_NOSPACE;
	memset(buf, 0, total - TW_CTRL_HMAC_LEN);
	for (uint32_t i = 0; i < n; i++)
		(void)tw_proto_owamp_record_encode(&recs[i],
			buf + (size_t)i * TW_OWAMP_RECORD_LEN, TW_OWAMP_RECORD_LEN);
	memcpy(buf + total - TW_CTRL_HMAC_LEN, hmac, TW_CTRL_HMAC_LEN);
	return (int)total;
}

int tw_proto_owamp_records_decode(const uint8_t *buf, size_t len, uint32_t n,
				  const uint8_t **wire,
				  uint8_t hmac[TW_CTRL_HMAC_LEN])
{
	size_t total = tw_proto_owamp_records_block_len(n);

	if (total > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	if (len < total)
		return -TW_PROTO_E_TRUNCATED;
	*wire = buf;
	memcpy(hmac, buf + total - TW_CTRL_HMAC_LEN, TW_CTRL_HMAC_LEN);
	return (int)total;
}

/* ============================================================= framing */

/* Length known from what is there, or "read up to *need and ask again". */
static int need_more(size_t want, size_t *need)
{
	if (need != NULL)
		*need = want;
	return 0;
}

static int frame_n(const uint8_t *buf, size_t len, size_t *need)
{
	uint32_t n;
	size_t total;

	if (len < TW_CTRL_BLOCK)
		return need_more(TW_CTRL_BLOCK, need);
	n = tw_get_be32(buf + 12);
	if (n == 0)
		return -TW_PROTO_E_RANGE;
	total = n_sessions_len(n);
	return total == 0 ? -TW_PROTO_E_LENGTH : (int)total;
}

static int frame_owamp_stop(const uint8_t *buf, size_t len, size_t *need)
{
	size_t off = TW_CTRL_BLOCK;
	uint32_t n;

	if (len < TW_CTRL_BLOCK)
		return need_more(TW_CTRL_BLOCK, need);
	n = tw_get_be32(buf + 4);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t rec;

		/* a record header spans two blocks; a record is >= 32 octets */
		if (off + 2 * TW_CTRL_BLOCK + TW_CTRL_HMAC_LEN > TW_CTRL_MSG_MAX)
			return -TW_PROTO_E_LENGTH;
		if (len < off + 2 * TW_CTRL_BLOCK)
			return need_more(off + 2 * TW_CTRL_BLOCK, need);
		rec = sess_desc_len(tw_get_be32(buf + off + 20));
		if (off + rec + TW_CTRL_HMAC_LEN > TW_CTRL_MSG_MAX)
			return -TW_PROTO_E_LENGTH;
		off += (size_t)rec;
	}
	if (off + TW_CTRL_HMAC_LEN > TW_CTRL_MSG_MAX)
		return -TW_PROTO_E_LENGTH;
	return (int)(off + TW_CTRL_HMAC_LEN);
}

static int frame_twamp_cmd(uint32_t mode, const uint8_t *buf, size_t len,
			   size_t *need)
{
	bool indiv = (mode & TW_MODE_INDIVIDUAL) != 0;

	if (len < 1)
		return need_more(TW_CTRL_BLOCK, need);
	switch (buf[0]) {
	case TW_TWAMP_CMD_START_SESSIONS:
	case TW_TWAMP_CMD_STOP_SESSIONS:
		/* RFC 5938 §3.1: not with Individual Session Control */
		return indiv ? -TW_PROTO_E_COMMAND : (int)TW_CTRL_STOP_SESSIONS_LEN;
	case TW_TWAMP_CMD_REQUEST_TW_SESSION:
		return TW_CTRL_REQUEST_TW_SESSION_LEN;
	case TW_TWAMP_CMD_START_N_SESSIONS:
	case TW_TWAMP_CMD_STOP_N_SESSIONS:
		return indiv ? frame_n(buf, len, need) : -TW_PROTO_E_COMMAND;
	default:
		return -TW_PROTO_E_COMMAND;
	}
}

static int frame_owamp_cmd(const uint8_t *buf, size_t len, size_t *need)
{
	size_t total;

	if (len < 1)
		return need_more(TW_CTRL_BLOCK, need);
	switch (buf[0]) {
	case TW_OWAMP_CMD_REQUEST_SESSION:
		if (len < TW_CTRL_BLOCK)
			return need_more(TW_CTRL_BLOCK, need);
		if (tw_get_be32(buf + 4) == 0)
			return -TW_PROTO_E_RANGE;
		total = owamp_request_len(tw_get_be32(buf + 4));
		return total == 0 ? -TW_PROTO_E_LENGTH : (int)total;
	case TW_OWAMP_CMD_START_SESSIONS:
		return TW_CTRL_START_SESSIONS_LEN;
	case TW_OWAMP_CMD_STOP_SESSIONS:
		return frame_owamp_stop(buf, len, need);
	case TW_OWAMP_CMD_FETCH_SESSION:
		return TW_CTRL_FETCH_SESSION_LEN;
	default:
		return -TW_PROTO_E_COMMAND;
	}
}

int tw_proto_ctrl_msg_len(enum tw_ctrl_proto proto, uint32_t mode,
			  enum tw_ctrl_expect expect, const uint8_t *buf,
			  size_t len, size_t *need)
{
	bool twamp = proto == TW_CTRL_TWAMP;

	if (proto != TW_CTRL_TWAMP && proto != TW_CTRL_OWAMP)
		return -TW_PROTO_E_INVAL;
	if (buf == NULL && len > 0)
		return -TW_PROTO_E_INVAL;
	switch (expect) {
	case TW_CTRL_EXPECT_COMMAND:
		return twamp ? frame_twamp_cmd(mode, buf, len, need) :
			       frame_owamp_cmd(buf, len, need);
	case TW_CTRL_EXPECT_GREETING:
		return TW_CTRL_GREETING_LEN;
	case TW_CTRL_EXPECT_SETUP_RESPONSE:
		return TW_CTRL_SETUP_RESPONSE_LEN;
	case TW_CTRL_EXPECT_SERVER_START:
		return TW_CTRL_SERVER_START_LEN;
	case TW_CTRL_EXPECT_ACCEPT_SESSION:
		return TW_CTRL_ACCEPT_SESSION_LEN;
	case TW_CTRL_EXPECT_START_ACK:
		return TW_CTRL_START_ACK_LEN;
	case TW_CTRL_EXPECT_FETCH_ACK:
		return twamp ? -TW_PROTO_E_INVAL : (int)TW_CTRL_FETCH_ACK_LEN;
	case TW_CTRL_EXPECT_N_ACK:
		if (!twamp)
			return -TW_PROTO_E_INVAL;
		if (len < 1)
			return need_more(TW_CTRL_BLOCK, need);
		if (buf[0] != TW_TWAMP_CMD_START_N_ACK &&
		    buf[0] != TW_TWAMP_CMD_STOP_N_ACK)
			return -TW_PROTO_E_COMMAND;
		return frame_n(buf, len, need);
	case TW_CTRL_EXPECT_STOP_SESSIONS:
		if (twamp)
			return -TW_PROTO_E_INVAL;
		if (len < 1)
			return need_more(TW_CTRL_BLOCK, need);
		if (buf[0] != TW_OWAMP_CMD_STOP_SESSIONS)
			return -TW_PROTO_E_COMMAND;
		return frame_owamp_stop(buf, len, need);
	}
	return -TW_PROTO_E_INVAL;
}
