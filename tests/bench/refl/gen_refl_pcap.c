/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input for scripts/bench-reflector.sh: a pcap of Session-Sender packets of
 * one kind, built with lib/proto and protected with lib/crypto, so that a
 * reflector replaying it (net_pcap infinite_rx) does the full per-packet work
 * (checksum, decode, HMAC verify/decrypt) and reflects every packet.
 *
 *   gen_refl_pcap --case CASE --out FILE [--count N] [--flows F]
 *                 [--src A] [--dst A] [--dport P] [--key HEX] [--padding N]
 *
 * CASE: twamp-light-unauth | twamp-light-auth | twamp-light-enc |
 *       stamp-unauth | stamp-auth.
 * N packets (default 4096) with sequence numbers 0..N-1, spread round robin
 * over F flows (default 4): source port 20000 + f from F consecutive source
 * addresses starting at --src (default 198.18.0.2) to --dst (default
 * 198.18.0.1), UDP --dport (default 862).
 * TWAMP Light auth/enc: --key is the 48-octet secret (AES-128 key, then the
 * 32-octet HMAC key) used as TestAESKey | TestHMACKey; STAMP auth: the
 * HMAC-SHA-256 key (16..64 octets). Padding makes replies as long as the
 * requests (RFC 5357 §4.1.2 with the 112-octet reflector header, RFC 6038).
 * --padding N (TWAMP Light cases): N octets of Packet Padding instead of
 * that smallest equal amount, to make larger test packets (a frame-size
 * sweep, scripts/bench-ipsec.sh --sizes); N below it is refused, as the
 * replies would then be longer than the requests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_write.h"
#include "tw_crypto.h"
#include "tw_proto.h"
#include "tw_proto_stamp.h"
#include "tw_proto_test.h"

enum bench_case {
	C_TL_UNAUTH,
	C_TL_AUTH,
	C_TL_ENC,
	C_STAMP_UNAUTH,
	C_STAMP_AUTH,
};

static const char *const case_names[] = {
	[C_TL_UNAUTH] = "twamp-light-unauth",
	[C_TL_AUTH] = "twamp-light-auth",
	[C_TL_ENC] = "twamp-light-enc",
	[C_STAMP_UNAUTH] = "stamp-unauth",
	[C_STAMP_AUTH] = "stamp-auth",
};

/* Sender packet time of packet i: a fixed NTP epoch plus 1 µs per packet. */
#define BASE_UNIX 1795000000u

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	while (s[0] != '\0' && s[1] != '\0') {
		unsigned v;

		if (n == cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	if (s[0] != '\0')
		return -1;
	*len = n;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_refl_pcap --case CASE --out FILE [--count N] [--flows F]\n"
		"                     [--src A] [--dst A] [--dport P] [--key HEX]\n"
		"                     [--padding N]\n"
		"CASE: twamp-light-unauth twamp-light-auth twamp-light-enc\n"
		"      stamp-unauth stamp-auth\n"
		"--padding: TWAMP Light Packet Padding octets (default: the least\n"
		"           that makes replies as long as requests)\n");
}

/* Build packet i of the case into buf; return its length or -1. */
static int build(enum bench_case c, uint32_t seq, uint8_t *buf, size_t cap,
		 struct tw_crypto_engine *eng, const struct tw_crypto_test *tt,
		 const struct tw_crypto_stamp *st, long padding)
{
	tw_ntp_t ts = tw_ntp_from_unix(BASE_UNIX + seq / 1000000u,
				       (seq % 1000000u) * 1000u);
	struct tw_errest ee = { .synced = true, .scale = 0, .multiplier = 1 };
	uint16_t errest = tw_errest_encode(&ee);
	int len;

	if (c == C_STAMP_UNAUTH || c == C_STAMP_AUTH) {
		enum tw_stamp_mode m = c == C_STAMP_AUTH ? TW_STAMP_AUTH
							  : TW_STAMP_UNAUTH;
		struct tw_stamp_sender s = { .seq = seq, .ts = ts, .errest = errest };

		len = tw_proto_stamp_sender_encode(m, &s, buf, cap);
		if (len < 0)
			return -1;
		if (c == C_STAMP_AUTH &&
		    tw_crypto_stamp_sign(st, buf, (size_t)len) != 0)
			return -1;
		return len;
	}

	struct tw_test_layout l;
	enum tw_test_mode m = c == C_TL_AUTH ? TW_TEST_AUTH :
			      c == C_TL_ENC ? TW_TEST_ENC : TW_TEST_UNAUTH;

	if (tw_proto_test_layout_init(&l, m, false, false, 0) != 0)
		return -1;
	struct tw_test_sender s = {
		.seq = seq,
		.ts = ts,
		.errest = errest,
		.pad_len = padding >= 0 ? (uint32_t)padding : tw_proto_test_equal_padding(&l),
	};

	len = tw_proto_test_sender_encode(&l, &s, buf, cap);
	if (len < 0)
		return -1;
	if (m != TW_TEST_UNAUTH &&
	    tw_crypto_test_protect(eng, tt, TW_CRYPTO_PKT_SENDER, buf,
				   (size_t)len) != 0)
		return -1;
	return len;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "flows", required_argument, NULL, 'f' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dport", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "padding", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *src = "198.18.0.2", *dst = "198.18.0.1";
	unsigned long count = 4096, flows = 4, dport = 862;
	uint8_t key[64];
	size_t key_len = 0;
	int c = -1, o, rc = 1;
	long padding = -1;
	char *end;

	while ((o = getopt_long(argc, argv, "c:o:n:f:s:d:p:k:P:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			for (unsigned i = 0; i < sizeof(case_names) / sizeof(case_names[0]); i++)
				if (strcmp(optarg, case_names[i]) == 0)
					c = (int)i;
			if (c < 0) {
				fprintf(stderr, "gen_refl_pcap: unknown case %s\n", optarg);
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			flows = strtoul(optarg, NULL, 0);
			break;
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			dport = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			if (parse_hex(optarg, key, sizeof(key), &key_len) != 0) {
				fprintf(stderr, "gen_refl_pcap: bad hex key\n");
				return 2;
			}
			break;
		case 'P':
			errno = 0;
			padding = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || padding < 0 ||
			    padding > 65000) {
				fprintf(stderr, "gen_refl_pcap: --padding %s: not 0..65000\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (c < 0 || out == NULL || optind != argc || count == 0 ||
	    count > 1000000 || flows == 0 || flows > 256 || dport == 0 ||
	    dport > 65535) {
		usage();
		return 2;
	}

	if (padding >= 0) {
		struct tw_test_layout l;
		struct tw_test_sizes sz;

		/* RFC 5357 §4.1.2: the reply is at least the reflector's header,
		 * so less padding than this makes it longer than the request */
		if (c == C_STAMP_UNAUTH || c == C_STAMP_AUTH) {
			fprintf(stderr, "gen_refl_pcap: --padding is for the TWAMP Light cases\n");
			return 2;
		}
		if (tw_proto_test_layout_init(&l, c == C_TL_AUTH ? TW_TEST_AUTH :
					      c == C_TL_ENC ? TW_TEST_ENC : TW_TEST_UNAUTH,
					      false, false, 0) != 0)
			return 1;
		if ((uint32_t)padding < tw_proto_test_equal_padding(&l) ||
		    tw_proto_test_session_sizes(&l, (uint32_t)padding, &sz) != 0 ||
		    !sz.symmetric || sz.sender_len > 65000) {
			fprintf(stderr, "gen_refl_pcap: --padding %ld: %s needs %u..%u octets "
				"for replies as long as the requests\n", padding, case_names[c],
				tw_proto_test_equal_padding(&l), 65000u - l.sender_hdr);
			return 2;
		}
	}

	struct in_addr src0;
	if (inet_pton(AF_INET, src, &src0) != 1) {
		fprintf(stderr, "gen_refl_pcap: bad --src %s\n", src);
		return 2;
	}

	struct tw_crypto_engine *eng = NULL;
	struct tw_crypto_test *tt = NULL;
	struct tw_crypto_stamp *st = NULL;

	if (c == C_TL_AUTH || c == C_TL_ENC) {
		struct tw_crypto_session_keys k;

		if (key_len != sizeof(k.aes) + sizeof(k.hmac)) {
			fprintf(stderr, "gen_refl_pcap: TWAMP Light needs a 48-octet --key\n");
			return 2;
		}
		memcpy(k.aes, key, sizeof(k.aes));
		memcpy(k.hmac, key + sizeof(k.aes), sizeof(k.hmac));
		eng = tw_crypto_engine_create(TW_CRYPTO_IMPL_OPENSSL);
		if (eng != NULL)
			tt = tw_crypto_test_create(eng, c == C_TL_AUTH ? TW_CRYPTO_TEST_AUTH
									: TW_CRYPTO_TEST_ENC, &k);
		tw_crypto_wipe(&k, sizeof(k));
		if (tt == NULL) {
			fprintf(stderr, "gen_refl_pcap: crypto context failed\n");
			goto out;
		}
	} else if (c == C_STAMP_AUTH) {
		if (key_len < 16) {
			fprintf(stderr, "gen_refl_pcap: STAMP auth needs a --key of 16..64 octets\n");
			return 2;
		}
		st = tw_crypto_stamp_create(key, key_len);
		if (st == NULL) {
			fprintf(stderr, "gen_refl_pcap: STAMP key failed\n");
			goto out;
		}
	}

	FILE *f = tw_pcap_open(out);
	if (f == NULL) {
		fprintf(stderr, "gen_refl_pcap: %s: %s\n", out, strerror(errno));
		goto out;
	}
	for (unsigned long i = 0; i < count; i++) {
		static uint8_t buf[65536];
		char a[INET_ADDRSTRLEN];
		struct in_addr sa = { htonl(ntohl(src0.s_addr) + (uint32_t)(i % flows)) };
		int len = build((enum bench_case)c, (uint32_t)i, buf, sizeof(buf), eng,
				tt, st, padding);
		struct tw_pcap_flow fl;

		inet_ntop(AF_INET, &sa, a, sizeof(a));
		fl = tw_pcap_flow4(a, (uint16_t)(20000 + i % flows), dst,
				   (uint16_t)dport, false);
		fl.ttl = 64;
		if (len < 0 || tw_pcap_write_frame(f, &fl, buf, (size_t)len) != 0) {
			fprintf(stderr, "gen_refl_pcap: packet %lu failed\n", i);
			fclose(f);
			goto out;
		}
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "gen_refl_pcap: %s: %s\n", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	tw_crypto_wipe(key, sizeof(key));
	tw_crypto_stamp_destroy(st);
	tw_crypto_test_destroy(tt);
	tw_crypto_engine_destroy(eng);
	return rc;
}
