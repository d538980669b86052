/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-ping internals: shared between main.c (options, run, output),
 * sock.c (kernel UDP socket with SO_TIMESTAMPING), tpkt.c (test packets of
 * each protocol) and pace.c (schedule and departure statistics).
 */
#ifndef TWAMP_PING_H
#define TWAMP_PING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tw_crypto.h"
#include "tw_proto.h"
#include "tw_proto_stamp.h"
#include "tw_proto_test.h"
#include "tw_stats.h"

/* Exit codes (docs/twamp-ping.md). */
#define PING_EXIT_OK 0       /* the run completed (loss is a result) */
#define PING_EXIT_SETUP 1    /* setup failed: resolve, socket, key, control */
#define PING_EXIT_USAGE 2    /* bad command line */
#define PING_EXIT_BAD 3      /* the run completed, every reply was rejected */

enum ping_proto {
	PING_TWAMP,  /* full TWAMP: TWAMP-Control, then TWAMP-Test */
	PING_LIGHT,  /* TWAMP Light (RFC 5357 Appendix I) */
	PING_STAMP,  /* STAMP (RFC 8762) */
	PING_OWAMP,  /* OWAMP (RFC 4656), one way, results fetched */
};

enum ping_mode {
	PING_OPEN,
	PING_AUTH,
	PING_ENC,
	PING_MIXED, /* RFC 5618: control encrypted, test unauthenticated */
};

/* Why a received datagram was not used (counted, never used). */
#define PING_BAD_REASONS(X)                                                    \
	X(SHORT, "short")               /* below the reflector header */       \
	X(HMAC, "bad_hmac")             /* HMAC or decryption failed */        \
	X(UNKNOWN_SEQ, "unknown_seq")   /* Sender Sequence Number never sent */ \
	X(MISMATCH, "mismatch")         /* Sender Timestamp is not ours */     \
	X(ERREST, "bad_errest")         /* Error Estimate Multiplier 0 */      \
	X(FOREIGN, "foreign")           /* not from the reflector's address */

#define PING_BAD_ENUM(n, s) PING_BAD_##n,
enum ping_bad { PING_BAD_REASONS(PING_BAD_ENUM) PING_BAD__MAX };
#undef PING_BAD_ENUM

/* One test session's packet codec. */
struct tpkt {
	enum ping_proto proto;
	enum ping_mode mode;           /* test-packet mode (mixed -> open) */
	struct tw_test_layout layout;  /* TWAMP, Light, OWAMP */
	enum tw_stamp_mode smode;      /* STAMP */
	uint16_t ssid;                 /* STAMP SSID (0 unless TLVs) */
	uint32_t send_len;             /* every sender packet */
	uint32_t stamp_pad;            /* STAMP Extra Padding TLV value octets */
	uint8_t *tmpl;                 /* send_len octets: the padding source */
	struct tw_crypto_engine *eng;
	struct tw_crypto_test *ct;     /* TWAMP/Light auth/enc */
	struct tw_crypto_stamp *cs;    /* STAMP auth (base HMAC) */
};

/* A verified reply, before matching. */
struct tpkt_reply {
	uint32_t sender_seq;
	uint32_t refl_seq;
	tw_ntp_t sender_ts, rx_ts, ts;
	uint16_t sender_errest, errest;
	uint8_t sender_ttl, sender_tos;
	bool have_tos;
};

int tpkt_init(struct tpkt *p, enum ping_proto proto, enum ping_mode mode,
	      uint32_t padding, bool sym_size, bool dscp_ecn,
	      uint16_t reflect_len, uint16_t ssid, bool zero_pad,
	      const uint8_t *key, size_t key_len, const char **why);
void tpkt_fini(struct tpkt *p);
/* Write packet @seq (Timestamp 0) into @buf; returns its length. */
int tpkt_build(const struct tpkt *p, uint8_t *buf, size_t cap, uint32_t seq,
	       uint16_t errest);
/* Stamp the Sender Timestamp, then protect (the last step before send). */
int tpkt_stamp(const struct tpkt *p, uint8_t *buf, size_t len, tw_ntp_t ts);
/* Verify and decode a reply in place; 0 or -enum ping_bad - 1. */
int tpkt_reply(const struct tpkt *p, uint8_t *buf, size_t len,
	       struct tpkt_reply *out);

/* Kernel UDP socket with timestamps. */
struct psock {
	int fd;
	int family;
	bool hw;                     /* hardware timestamps enabled */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint32_t tx_key;             /* next SOF_TIMESTAMPING_OPT_ID key */
};

/* What recvmsg told about one datagram. */
struct psock_rx {
	int64_t ts_ns;       /* realtime ns of arrival */
	bool ts_kernel;      /* from SO_TIMESTAMPING (else user space) */
	bool ts_hw;          /* from the NIC */
	int ttl;             /* -1 unknown */
	int tos;             /* -1 unknown */
	bool from_peer;
};

int psock_open(struct psock *s, const struct sockaddr_storage *peer,
	       socklen_t peer_len, const struct sockaddr_storage *src,
	       socklen_t src_len, int tos, const char *hw_if, char *err,
	       size_t errlen);
void psock_close(struct psock *s);
/* Send one datagram; returns 0 and the OPT_ID key in @key, or -errno. */
int psock_send(struct psock *s, const uint8_t *buf, size_t len,
	       uint32_t *key);
/* Receive up to @max datagrams without blocking; returns how many. */
#define PSOCK_BATCH 32
struct psock_msg {
	uint8_t buf[TW_TEST_MAX_LEN + 1];
	size_t len;
	struct psock_rx rx;
};
int psock_recv(struct psock *s, struct psock_msg *m, unsigned max);
/* Drain TX timestamps: calls @cb(key, realtime ns, arg) for each. */
int psock_txts(struct psock *s, void (*cb)(uint32_t, int64_t, void *),
	       void *arg);

/* The pacing loop's clocks. */
uint64_t pace_mono_ns(void);
int64_t pace_real_ns(void);

/* Percentiles of an int64 array (sorted in place). */
int64_t ping_pct(int64_t *v, size_t n, double p);

#endif /* TWAMP_PING_H */
