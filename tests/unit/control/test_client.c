/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TWAMP/OWAMP Control-Client against a scripted server: a thread on a
 * loopback TCP connection that plays the server with lib/proto and
 * lib/crypto, in every mode, and misbehaves on request (truncation,
 * garbage, bad HMAC, wrong order, stall, close mid-message, refusals).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tw_ctrl_client.h"

#define PASS "correct horse battery staple"
#define KEYID "lab-key"
#define FAST_TIMEOUT_MS 300

/* ================================================= the scripted server */

enum fault {
	F_NONE,
	F_CLOSE,     /* close instead of sending message #fault_msg */
	F_TRUNCATE,  /* send half of it, then close */
	F_STALL,     /* send nothing, wait for the client to give up */
	F_GARBAGE,   /* overwrite it (after sealing) with 0xEE */
	F_BAD_HMAC,  /* flip the last octet (the HMAC) after sealing */
	F_EXTRA,     /* send it twice */
};

struct peer {
	/* script */
	enum tw_ctrl_proto proto;
	uint32_t modes;
	uint32_t count;
	const char *secret;
	bool direct;             /* token key: first 16 octets of the secret */
	uint8_t ss_accept;
	uint8_t sess_accept;
	uint16_t port_offer;     /* Accept-Session Port; 0: the requested one or 7000+n */
	bool port_zero;          /* accept with Port 0 (a violation) */
	bool zero_sid;
	uint8_t start_accept;
	bool split_acks;         /* RFC 5938: last SID acked apart with Accept 5 */
	bool bad_ack_sid;        /* ack a SID nobody asked for */
	bool wrong_ack;          /* answer Start-N with a Stop-N-Ack */
	bool bad_reflected;      /* RFC 6038 Reflected octets not the requested ones */
	uint8_t ow_stop_accept;  /* Accept of the server's Stop-Sessions */
	uint8_t fetch_accept;
	uint32_t n_records;
	uint32_t n_skips;
	uint32_t record_seq_base;
	int stop_extra_records;  /* OWAMP: server Stop-Sessions count skew */
	int fault_msg;
	enum fault fault;

	/* results */
	int lfd, fd;
	pthread_t th;
	int done;                /* 0 clean end, 1 ended by a fault */
	uint32_t got_mode;
	uint8_t got_keyid[TW_CTRL_KEYID_LEN];
	bool token_ok;
	struct tw_crypto_session_keys sk;
	struct tw_crypto_ctrl *cc;
	int msg;                 /* server messages sent so far */
	uint8_t cmds[64];
	int n_cmds;
	struct tw_ctrl_request req[8];
	struct tw_owamp_slot req_slot0[8];
	uint32_t req_num_slots[8];
	int n_req;
	uint8_t sids[8][16];
	int n_sids;
	uint32_t stop_num_sessions;
	uint8_t stop_accept;
	uint32_t ow_stop_next_seqno;
	uint32_t ow_stop_skips;
	struct tw_owamp_skip ow_stop_skip0;
	struct tw_owamp_fetch_session fetch;
};

static int rd(int fd, uint8_t *b, size_t n)
{
	size_t d = 0;

	while (d < n) {
		ssize_t r = read(fd, b + d, n - d);

		if (r <= 0)
			return -1;
		d += (size_t)r;
	}
	return 0;
}

static bool keyed(uint32_t mode)
{
	return (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED | TW_MODE_MIXED)) != 0;
}

/* Send one server message (sealed in keyed modes), faults applied. */
static int psend(struct peer *p, uint8_t *b, size_t len, bool seal)
{
	int idx = p->msg++;

	if (seal && p->cc != NULL)
		assert_int_equal(tw_crypto_ctrl_seal(p->cc, b, len), 0);
	if (idx != p->fault_msg || p->fault == F_NONE)
		return write(p->fd, b, len) == (ssize_t)len ? 0 : -1;
	switch (p->fault) {
	case F_CLOSE:
		return -1;
	case F_TRUNCATE:
		(void)!write(p->fd, b, len / 2);
		return -1;
	case F_STALL: {
		uint8_t x[64];

		while (read(p->fd, x, sizeof(x)) > 0)
			;
		return -1;
	}
	case F_GARBAGE:
		memset(b, 0xEE, len);
		break;
	case F_BAD_HMAC:
		b[len - 1] ^= 0x01;
		break;
	case F_EXTRA: {
		/* one write, so both copies are there when the client looks */
		uint8_t *two = malloc(2 * len);
		ssize_t w;

		memcpy(two, b, len);
		memcpy(two + len, b, len);
		w = write(p->fd, two, 2 * len);
		free(two);
		return w == (ssize_t)(2 * len) ? 0 : -1;
	}
	default:
		break;
	}
	return write(p->fd, b, len) == (ssize_t)len ? 0 : -1;
}

/* Read n octets; the last 16 are an HMAC when hmac, else decrypt only. */
static int precv(struct peer *p, uint8_t *b, size_t n, bool hmac)
{
	if (rd(p->fd, b, n) < 0)
		return -1;
	if (p->cc == NULL)
		return 0;
	if (hmac)
		return tw_crypto_ctrl_open(p->cc, b, n) == 0 ? 0 : -1;
	return tw_crypto_ctrl_decrypt(p->cc, b, n) == 0 ? 0 : -1;
}

static void make_sid(struct peer *p, uint8_t sid[16])
{
	memset(sid, 0, 16);
	if (p->zero_sid)
		return;
	sid[0] = 0xC0;
	sid[15] = (uint8_t)(p->n_sids + 1);
	if (p->n_sids < 8)
		memcpy(p->sids[p->n_sids++], sid, 16);
}

static int on_request(struct peer *p, uint8_t *b, size_t len)
{
	struct tw_ctrl_accept_session as;
	struct tw_ctrl_request *q = &p->req[p->n_req < 8 ? p->n_req : 7];
	uint8_t out[64];
	int r;

	if (p->proto == TW_CTRL_TWAMP)
		r = tw_proto_twamp_request_decode(b, len, p->got_mode, q);
	else
		r = tw_proto_owamp_request_decode(b, len, q);
	assert_true(r > 0);
	if (p->proto == TW_CTRL_OWAMP) {
		tw_proto_owamp_slot_get(q, 0, &p->req_slot0[p->n_req < 8 ? p->n_req : 7]);
		p->req_num_slots[p->n_req < 8 ? p->n_req : 7] = q->num_slots;
		q->slot_wire = NULL;
	}
	p->n_req++;
	memset(&as, 0, sizeof(as));
	as.accept = p->sess_accept;
	if (as.accept == 0) {
		as.port = p->port_zero ? 0 : p->port_offer ? p->port_offer :
			  q->receiver_port ? q->receiver_port :
					     (uint16_t)(7000 + p->n_req);
		make_sid(p, as.sid);
		as.reflected_octets = q->reflect_octets ^ (p->bad_reflected ? 0x0100 : 0);
		as.server_octets = 2;
	}
	r = tw_proto_ctrl_accept_session_encode(&as, p->proto == TW_CTRL_TWAMP ?
						p->got_mode : 0, out, sizeof(out));
	assert_int_equal(r, 48);
	return psend(p, out, 48, true);
}

static int on_n(struct peer *p, uint8_t *b, size_t len, bool start)
{
	struct tw_ctrl_n_sessions m, ack;
	uint8_t out[32 + 16 * 8], sids[16 * 8];
	uint32_t n;
	int r;

	r = start ? tw_proto_twamp_start_n_decode(b, len, &m) :
		    tw_proto_twamp_stop_n_decode(b, len, &m);
	assert_true(r > 0);
	n = m.num_sessions;
	assert_true(n <= 8);
	memcpy(sids, m.sids, 16 * n);
	memset(&ack, 0, sizeof(ack));
	ack.sids = sids;
	ack.num_sessions = p->split_acks && n > 1 ? n - 1 : n;
	if (p->bad_ack_sid)
		sids[0] ^= 0x55;
	r = start && !p->wrong_ack ?
		    tw_proto_twamp_start_n_ack_encode(&ack, out, sizeof(out)) :
		    tw_proto_twamp_stop_n_ack_encode(&ack, out, sizeof(out));
	if (psend(p, out, (size_t)r, true) < 0)
		return -1;
	if (p->split_acks && n > 1) {
		ack.accept = TW_ACCEPT_TEMPORARY;
		ack.num_sessions = 1;
		ack.sids = sids + 16 * (n - 1);
		r = start ? tw_proto_twamp_start_n_ack_encode(&ack, out, sizeof(out)) :
			    tw_proto_twamp_stop_n_ack_encode(&ack, out, sizeof(out));
		return psend(p, out, (size_t)r, true);
	}
	return 0;
}

/* OWAMP: the server's Stop-Sessions, one record per session it sends. */
static int ow_server_stop(struct peer *p)
{
	struct tw_owamp_sess_desc d[9];
	struct tw_owamp_skip skip = { .first = 3, .last = 4 };
	struct tw_owamp_stop_sessions m;
	uint8_t out[1024];
	uint32_t n = 0;
	int r;

	memset(d, 0, sizeof(d));
	for (int i = 0; i < p->n_req && i < 8; i++) {
		if (!p->req[i].conf_sender)
			continue;
		/* the receiving side chose the SID: the client when it receives */
		memcpy(d[n].sid, p->req[i].conf_receiver ? p->sids[i] : p->req[i].sid, 16);
		d[n].next_seqno = 10;
		d[n].num_skips = 1;
		d[n].skips = &skip;
		n++;
	}
	if (p->stop_extra_records > 0) {
		memset(d[n].sid, 0x77, 16);
		n++;
	}
	if (p->stop_extra_records < 0 && n > 0)
		n--;
	memset(&m, 0, sizeof(m));
	m.accept = p->ow_stop_accept;
	m.num_sessions = n;
	m.sessions = d;
	r = tw_proto_owamp_stop_sessions_encode(&m, out, sizeof(out));
	assert_true(r > 0);
	return psend(p, out, (size_t)r, true);
}

static int on_stop(struct peer *p, uint8_t *b, size_t len)
{
	if (p->proto == TW_CTRL_TWAMP) {
		struct tw_ctrl_stop_sessions m;

		assert_true(tw_proto_twamp_stop_sessions_decode(b, len, &m) > 0);
		p->stop_num_sessions = m.num_sessions;
		p->stop_accept = m.accept;
		return 0;
	}
	struct tw_owamp_stop_sessions m;
	struct tw_owamp_sess_desc sd;

	assert_true(tw_proto_owamp_stop_sessions_decode(b, len, &m) > 0);
	p->stop_num_sessions = m.num_sessions;
	p->stop_accept = m.accept;
	if (m.num_sessions > 0) {
		assert_true(tw_proto_owamp_sess_desc_decode(m.records, m.records_len, &sd) > 0);
		p->ow_stop_next_seqno = sd.next_seqno;
		p->ow_stop_skips = sd.num_skips;
		if (sd.num_skips > 0)
			tw_proto_owamp_skip_get(sd.skip_wire, 0, &p->ow_stop_skip0);
	}
	return ow_server_stop(p);
}

static int on_fetch(struct peer *p, uint8_t *b, size_t len)
{
	struct tw_owamp_fetch_ack fa;
	struct tw_ctrl_request rq;
	struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 30 };
	struct tw_owamp_skip skips[4] = { { 1, 2 }, { 5, 5 }, { 7, 9 }, { 11, 11 } };
	static uint8_t out[64 * 1024];
	static struct tw_owamp_record recs[2000];
	uint8_t zero[16] = { 0 };
	int r;

	assert_true(tw_proto_owamp_fetch_session_decode(b, len, &p->fetch) > 0);
	memset(&fa, 0, sizeof(fa));
	fa.accept = p->fetch_accept;
	fa.finished = 1;
	fa.next_seqno = p->n_records;
	fa.num_skips = p->n_skips;
	fa.num_records = p->n_records;
	assert_int_equal(tw_proto_owamp_fetch_ack_encode(&fa, out, sizeof(out)), 32);
	if (psend(p, out, 32, true) < 0 || fa.accept != 0)
		return fa.accept ? 0 : -1;
	memset(&rq, 0, sizeof(rq));
	rq.ipvn = 4;
	rq.conf_receiver = 1;
	rq.num_slots = 1;
	rq.num_packets = p->n_records;
	rq.sender_port = 9000;
	rq.receiver_port = 9001;
	memcpy(rq.sid, p->fetch.sid, 16);
	rq.slots = &slot;
	r = tw_proto_owamp_request_encode(&rq, out, sizeof(out));
	assert_int_equal(r, 112 + 16 + 16);
	if (psend(p, out, 112, true) < 0 || psend(p, out + 112, 32, true) < 0)
		return -1;
	r = tw_proto_owamp_skips_encode(skips, p->n_skips, zero, out, sizeof(out));
	assert_true(r > 0);
	if (psend(p, out, (size_t)r, true) < 0)
		return -1;
	assert_true(p->n_records <= 2000);
	for (uint32_t i = 0; i < p->n_records; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].seq = p->record_seq_base + i;
		recs[i].send_errest = 0x0101;
		recs[i].recv_errest = 0x0102;
		recs[i].send_ts = ((uint64_t)3900000000u << 32) + i;
		recs[i].recv_ts = ((uint64_t)3900000000u << 32) + i + 1000;
		recs[i].ttl = 255 - (uint8_t)(i % 3);
	}
	r = tw_proto_owamp_records_encode(recs, p->n_records, zero, out, sizeof(out));
	assert_true(r > 0);
	return psend(p, out, (size_t)r, true);
}

static int serve_commands(struct peer *p)
{
	static uint8_t b[64 * 1024];

	for (;;) {
		size_t need = 0, have = 16;
		int n;

		if (precv(p, b, 16, false) < 0)
			return 0; /* client closed */
		if (p->n_cmds < 64)
			p->cmds[p->n_cmds++] = b[0];
		if (p->proto == TW_CTRL_OWAMP && b[0] == TW_OWAMP_CMD_REQUEST_SESSION) {
			/* first HMAC at 96 */
			if (precv(p, b + 16, 96, true) < 0)
				return -1;
			have = 112;
		}
		while ((n = tw_proto_ctrl_msg_len(p->proto, p->got_mode,
						  TW_CTRL_EXPECT_COMMAND, b, have,
						  &need)) == 0) {
			if (precv(p, b + have, need - have, false) < 0)
				return -1;
			have = need;
		}
		if (n < 0)
			return -1;
		if (precv(p, b + have, (size_t)n - have, true) < 0)
			return -1;
		switch (b[0]) {
		case 1:
		case 5:
			if (on_request(p, b, (size_t)n) < 0)
				return -1;
			break;
		case 2: {
			struct tw_ctrl_start_ack a = { .accept = p->start_accept };
			uint8_t out[32];

			tw_proto_ctrl_start_ack_encode(&a, out, sizeof(out));
			if (psend(p, out, 32, true) < 0)
				return -1;
			break;
		}
		case 3:
			if (on_stop(p, b, (size_t)n) < 0)
				return -1;
			break;
		case 4:
			if (p->proto == TW_CTRL_OWAMP && on_fetch(p, b, (size_t)n) < 0)
				return -1;
			break;
		case 7:
		case 9:
			if (on_n(p, b, (size_t)n, b[0] == 7) < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct tw_ctrl_greeting g;
	struct tw_ctrl_setup_response sr;
	struct tw_ctrl_server_start ss;
	uint8_t b[256], key[16];

	p->fd = accept(p->lfd, NULL, NULL);
	if (p->fd < 0)
		return NULL;
	memset(&g, 0, sizeof(g));
	g.modes = p->modes;
	for (int i = 0; i < 16; i++) {
		g.challenge[i] = (uint8_t)(i * 7 + 1);
		g.salt[i] = (uint8_t)(i * 13 + 5);
	}
	/* encode refuses a bad Count: build with 1024, then patch Count in */
	g.count = 1024;
	assert_int_equal(tw_proto_ctrl_greeting_encode(&g, b, sizeof(b)), 64);
	g.count = p->count ? p->count : 1024;
	tw_put_be32(b + 48, g.count);
	if (psend(p, b, 64, false) < 0 || p->modes == 0)
		goto out;
	if (rd(p->fd, b, TW_CTRL_SETUP_RESPONSE_LEN) < 0)
		goto out;
	tw_proto_ctrl_setup_response_decode(b, TW_CTRL_SETUP_RESPONSE_LEN, &sr);
	p->got_mode = sr.mode;
	memcpy(p->got_keyid, sr.keyid, sizeof(sr.keyid));
	if (sr.mode == 0)
		goto out;
	memset(&ss, 0, sizeof(ss));
	ss.accept = p->ss_accept;
	for (int i = 0; i < 16; i++)
		ss.server_iv[i] = (uint8_t)(0xA0 + i);
	ss.start_time = ((uint64_t)3900000000u << 32) | 0x80000000u;
	if (keyed(sr.mode)) {
		const char *sec = p->secret ? p->secret : PASS;

		if (p->direct)
			memcpy(key, sec, 16);
		else
			tw_crypto_token_key(sec, strlen(sec), g.salt, g.count, 0, key);
		p->token_ok = tw_crypto_token_decrypt(key, g.challenge, sr.token,
						      &p->sk) == 0;
		if (!p->token_ok && ss.accept == 0)
			ss.accept = TW_ACCEPT_FAILURE;
	}
	if (ss.accept != 0)
		ss.start_time = 0;
	tw_proto_ctrl_server_start_encode(&ss, b, sizeof(b));
	if (keyed(sr.mode) && ss.accept == 0) {
		p->cc = tw_crypto_ctrl_create(TW_CRYPTO_SERVER, &p->sk,
					      sr.client_iv, ss.server_iv);
		assert_non_null(p->cc);
		assert_int_equal(tw_crypto_ctrl_server_start(p->cc, b, 48), 0);
	}
	if (psend(p, b, 48, false) < 0 || ss.accept != 0)
		goto out;
	p->done = serve_commands(p) < 0;
out:
	tw_crypto_ctrl_destroy(p->cc);
	p->cc = NULL;
	close(p->fd);
	return NULL;
}

/* Listen on loopback (IPv4 or IPv6), start the peer; *sa gets its address. */
static void peer_start(struct peer *p, int family, struct sockaddr_storage *sa,
		       socklen_t *salen)
{
	int one = 1;

	memset(sa, 0, sizeof(*sa));
	p->lfd = socket(family, SOCK_STREAM, 0);
	assert_true(p->lfd >= 0);
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)sa;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*salen = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*salen = sizeof(*a);
	}
	assert_int_equal(bind(p->lfd, (struct sockaddr *)sa, *salen), 0);
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(getsockname(p->lfd, (struct sockaddr *)sa, salen), 0);
	p->fault_msg = p->fault == F_NONE ? -1 : p->fault_msg;
	assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
}

static void peer_join(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
}

/* ===================================================== client helpers */

static struct tw_ctrl_client *mk_client(enum tw_ctrl_proto proto, uint32_t modes,
					uint32_t options, int timeout_ms)
{
	struct tw_ctrl_client_conf cf = {
		.proto = proto,
		.modes = modes,
		.options = options,
		.keyid = KEYID,
		.secret = PASS,
		.secret_len = strlen(PASS),
		.timeout_ms = timeout_ms,
	};
	struct tw_ctrl_client *c = tw_ctrl_client_create(&cf);

	assert_non_null(c);
	return c;
}

static int run_connect(struct peer *p, struct tw_ctrl_client *c, int family)
{
	struct sockaddr_storage sa;
	socklen_t l;

	peer_start(p, family, &sa, &l);
	return tw_ctrl_client_connect(c, (struct sockaddr *)&sa, l, NULL, 0);
}

static void tw_req(struct tw_ctrl_session_req *q, uint16_t sport)
{
	memset(q, 0, sizeof(*q));
	q->sender_port = sport;
	q->receiver_port = 0;
	q->padding_length = 64;
	q->start_time = ((uint64_t)3900000001u << 32);
	q->timeout = 2ull << 32;
	q->type_p = tw_proto_ctrl_typep_dscp(46);
}

/* ====================================================== TWAMP: modes */

static void twamp_mode_run(uint32_t mode, uint32_t options, int family)
{
	struct peer p = { .proto = TW_CTRL_TWAMP,
			  .modes = TW_MODE_SECURITY_TWAMP | TW_CTRL_CLIENT_OPTIONS };
	struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, mode, options, 0);
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s[2];
	struct tw_crypto_session_keys want;
	uint8_t id[TW_CTRL_KEYID_LEN];

	assert_int_equal(run_connect(&p, c, family), 0);
	assert_true(tw_ctrl_client_connected(c));
	assert_int_equal(tw_ctrl_client_mode(c), mode | options);
	assert_int_equal(tw_ctrl_client_server_modes(c), p.modes);
	assert_int_equal(tw_ctrl_client_server_start_time(c),
			 ((uint64_t)3900000000u << 32) | 0x80000000u);
	tw_req(&q, 5001);
	if (options & TW_MODE_REFLECT_OCTETS) {
		q.reflect_octets = 8;
		q.reflect_padding = 16;
	}
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s[0]), 0);
	q.sender_port = 5002;
	q.receiver_port = 6002;
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s[1]), 0);
	assert_int_equal(tw_ctrl_client_start(c), 0);
	assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
	tw_ctrl_client_close(c);
	peer_join(&p);

	assert_int_equal(p.done, 0);
	assert_int_equal(p.got_mode, mode | options);
	if (keyed(mode)) {
		assert_true(p.token_ok);
		tw_proto_ctrl_keyid_from_name(id, KEYID, strlen(KEYID));
		assert_memory_equal(p.got_keyid, id, sizeof(id));
	}
	/* what the server saw */
	assert_int_equal(p.n_req, 2);
	assert_int_equal(p.req[0].ipvn, family == AF_INET ? 4 : 6);
	assert_true(tw_proto_is_zero(p.req[0].sender_addr, 16));
	assert_int_equal(p.req[0].sender_port, 5001);
	assert_int_equal(p.req[0].receiver_port, 0);
	assert_int_equal(p.req[1].receiver_port, 6002);
	assert_int_equal(p.req[0].padding_length, 64);
	assert_int_equal(p.req[0].start_time, (uint64_t)3900000001u << 32);
	assert_int_equal(p.req[0].timeout, 2ull << 32);
	assert_int_equal(p.req[0].typep.format, TW_TYPEP_DSCP);
	assert_int_equal(p.req[0].typep.dscp, 46);
	assert_int_equal(p.req[0].reflect_octets, options & TW_MODE_REFLECT_OCTETS ? 8 : 0);
	assert_int_equal(p.req[0].reflect_padding, options & TW_MODE_REFLECT_OCTETS ? 16 : 0);
	assert_int_equal(p.n_cmds, 4);
	assert_int_equal(p.cmds[2], TW_TWAMP_CMD_START_SESSIONS);
	assert_int_equal(p.cmds[3], TW_TWAMP_CMD_STOP_SESSIONS);
	assert_int_equal(p.stop_num_sessions, 2);
	/* what the client handed back */
	assert_memory_equal(s[0].sid, p.sids[0], 16);
	assert_memory_equal(s[1].sid, p.sids[1], 16);
	assert_int_equal(s[0].receiver_port, 7001);
	assert_int_equal(s[1].receiver_port, 6002);
	assert_int_equal(s[0].sender_port, 5001);
	assert_int_equal(s[0].ipvn, family == AF_INET ? 4 : 6);
	assert_false(tw_proto_is_zero(s[0].sender_addr, 16));
	assert_memory_equal(s[0].sender_addr, s[0].receiver_addr, 16); /* loopback */
	assert_int_equal(s[0].mode, mode | options);
	if (options & TW_MODE_REFLECT_OCTETS) {
		assert_int_equal(s[0].reflected_octets, 8);
		assert_int_equal(s[0].server_octets, 2);
	}
	if (mode & (TW_MODE_AUTH | TW_MODE_ENCRYPTED)) {
		assert_true(s[1].has_keys);
		assert_int_equal(tw_crypto_test_keys(&p.sk, s[1].sid, &want), 0);
		assert_memory_equal(&s[1].test_keys, &want, sizeof(want));
	} else {
		assert_false(s[0].has_keys);
	}
	tw_ctrl_client_destroy(c);
}

static void test_twamp_modes(void **state)
{
	(void)state;
	twamp_mode_run(TW_MODE_UNAUTH, 0, AF_INET);
	twamp_mode_run(TW_MODE_AUTH, 0, AF_INET);
	twamp_mode_run(TW_MODE_ENCRYPTED, 0, AF_INET);
	twamp_mode_run(TW_MODE_MIXED, 0, AF_INET);
	twamp_mode_run(TW_MODE_ENCRYPTED, TW_MODE_REFLECT_OCTETS | TW_MODE_SYMMETRICAL |
		       TW_MODE_DSCP_ECN, AF_INET);
	twamp_mode_run(TW_MODE_UNAUTH, TW_MODE_REFLECT_OCTETS, AF_INET6);
	twamp_mode_run(TW_MODE_MIXED, TW_MODE_DSCP_ECN, AF_INET6);
}

/* =============================================== TWAMP: mode choice */

static int choose(uint32_t offered, struct tw_ctrl_client_conf *cf,
		  uint32_t *got_mode, uint32_t *sent_mode)
{
	struct peer p = { .proto = cf->proto, .modes = offered };
	struct tw_ctrl_client *c = tw_ctrl_client_create(cf);
	int r;

	assert_non_null(c);
	r = run_connect(&p, c, AF_INET);
	*got_mode = tw_ctrl_client_mode(c);
	tw_ctrl_client_destroy(c);
	peer_join(&p);
	*sent_mode = p.got_mode;
	return r;
}

static void test_mode_choice(void **state)
{
	struct tw_ctrl_client_conf cf = {
		.proto = TW_CTRL_TWAMP,
		.modes = TW_MODE_SECURITY_TWAMP,
		.keyid = KEYID, .secret = PASS, .secret_len = strlen(PASS),
	};
	uint32_t m, sent;

	(void)state;
	/* the strongest common mode */
	assert_int_equal(choose(TW_MODE_UNAUTH | TW_MODE_AUTH | TW_MODE_MIXED, &cf, &m, &sent), 0);
	assert_int_equal(m, TW_MODE_AUTH);
	assert_int_equal(choose(TW_MODE_UNAUTH | TW_MODE_MIXED, &cf, &m, &sent), 0);
	assert_int_equal(m, TW_MODE_MIXED);
	/* nothing in common: Mode 0 sent, -ENOPROTOOPT */
	cf.modes = TW_MODE_ENCRYPTED;
	assert_int_equal(choose(TW_MODE_UNAUTH, &cf, &m, &sent), -ENOPROTOOPT);
	assert_int_equal(sent, 0);
	assert_int_equal(m, 0);
	/* options: offered ones are added, missing ones dropped ... */
	cf.modes = TW_MODE_UNAUTH;
	cf.options = TW_MODE_INDIVIDUAL | TW_MODE_REFLECT_OCTETS;
	assert_int_equal(choose(TW_MODE_UNAUTH | TW_MODE_REFLECT_OCTETS, &cf, &m, &sent), 0);
	assert_int_equal(m, TW_MODE_UNAUTH | TW_MODE_REFLECT_OCTETS);
	assert_int_equal(sent, m);
	/* ... unless required */
	cf.options_required = TW_MODE_INDIVIDUAL;
	assert_int_equal(choose(TW_MODE_UNAUTH | TW_MODE_REFLECT_OCTETS, &cf, &m, &sent),
			 -ENOPROTOOPT);
	assert_int_equal(sent, 0);
	/* exact mode */
	cf.options = cf.options_required = 0;
	cf.exact_mode = TW_MODE_AUTH | TW_MODE_INDIVIDUAL;
	assert_int_equal(choose(TW_MODE_SECURITY_TWAMP | TW_MODE_INDIVIDUAL, &cf, &m, &sent), 0);
	assert_int_equal(sent, TW_MODE_AUTH | TW_MODE_INDIVIDUAL);
	assert_int_equal(choose(TW_MODE_SECURITY_TWAMP, &cf, &m, &sent), -ENOPROTOOPT);
	/* Modes 0: the server refuses */
	cf.exact_mode = 0;
	cf.modes = TW_MODE_UNAUTH;
	assert_int_equal(choose(0, &cf, &m, &sent), -ECONNREFUSED);
	/* OWAMP: no mixed mode; strongest of open/auth/enc */
	cf.proto = TW_CTRL_OWAMP;
	cf.modes = TW_MODE_SECURITY_OWAMP;
	assert_int_equal(choose(TW_MODE_SECURITY_OWAMP, &cf, &m, &sent), 0);
	assert_int_equal(m, TW_MODE_ENCRYPTED);
}

/* ========================================= keys: count cap, wrong key */

static void test_keys(void **state)
{
	struct tw_ctrl_client_conf cf = {
		.proto = TW_CTRL_TWAMP, .modes = TW_MODE_AUTH,
		.keyid = KEYID, .secret = PASS, .secret_len = strlen(PASS),
	};
	struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_AUTH, .count = 65536 };
	struct tw_ctrl_client *c = tw_ctrl_client_create(&cf);

	(void)state;
	/* Count above the default cap 32768: refused before any PBKDF2 */
	assert_int_equal(run_connect(&p, c, AF_INET), -ERANGE);
	assert_non_null(strstr(tw_ctrl_client_error(c), "Count 65536"));
	peer_join(&p);
	assert_int_equal(p.got_mode, 0);
	tw_ctrl_client_destroy(c);

	/* a raised cap accepts it */
	cf.count_cap = 65536;
	c = tw_ctrl_client_create(&cf);
	memset(&p, 0, sizeof(p));
	p.proto = TW_CTRL_TWAMP;
	p.modes = TW_MODE_AUTH;
	p.count = 65536;
	assert_int_equal(run_connect(&p, c, AF_INET), 0);
	tw_ctrl_client_destroy(c);
	peer_join(&p);
	assert_true(p.token_ok);

	/* wrong passphrase: Server-Start Accept 1 */
	memset(&p, 0, sizeof(p));
	p.proto = TW_CTRL_TWAMP;
	p.modes = TW_MODE_AUTH | TW_MODE_ENCRYPTED;
	p.secret = "another passphrase";
	cf.count_cap = 0;
	c = tw_ctrl_client_create(&cf);
	assert_int_equal(run_connect(&p, c, AF_INET), -EACCES);
	assert_int_equal(tw_ctrl_client_last_accept(c), 1);
	assert_false(tw_ctrl_client_connected(c));
	assert_non_null(strstr(tw_ctrl_client_error(c), "Accept 1"));
	peer_join(&p);
	assert_false(p.token_ok);
	tw_ctrl_client_destroy(c);

	/* RFC 7717: raw KeyID (SPIs) and a shared secret read directly */
	{
		uint8_t secret[20], keyid[80], spii[8] = { 1, 2, 3, 4, 5, 6, 7, 8 },
			spir[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
		char sec_str[21];
		struct tw_crypto_session_keys k;

		for (int i = 0; i < 20; i++)
			secret[i] = (uint8_t)('a' + i);
		memcpy(sec_str, secret, 20);
		sec_str[20] = '\0';
		tw_proto_ctrl_keyid_from_spis(keyid, spii, spir);
		cf.keyid = NULL;
		cf.keyid_raw = keyid;
		cf.secret = secret;
		cf.secret_len = sizeof(secret);
		cf.token_key = TW_CRYPTO_TOKEN_KEY_DIRECT;
		c = tw_ctrl_client_create(&cf);
		assert_non_null(c);
		memset(&p, 0, sizeof(p));
		p.proto = TW_CTRL_TWAMP;
		p.modes = TW_MODE_AUTH;
		p.secret = sec_str;
		p.direct = true;
		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_session_keys(c, &k), 0);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
		assert_true(p.token_ok);
		assert_memory_equal(p.got_keyid, keyid, 80);
		assert_memory_equal(&k, &p.sk, sizeof(k));
	}
}

/* ==================================================== Accept codes */

static void test_accept_codes(void **state)
{
	static const int want[7] = { 0, -EACCES, -EREMOTEIO, -EOPNOTSUPP,
				     -ENOSPC, -EAGAIN, -ENOKEY };
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;

	(void)state;
	/* Server-Start */
	for (uint8_t a = 1; a <= 6; a++) {
		struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_AUTH,
				  .ss_accept = a };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_AUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), want[a]);
		assert_int_equal(tw_ctrl_client_last_accept(c), a);
		assert_false(tw_ctrl_client_connected(c));
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* an undefined Accept value reads as 1 (RFC 4656 §3.3) */
	assert_int_equal(tw_ctrl_client_accept_errno(77), -EACCES);

	/* Accept-Session refusal keeps the connection */
	for (uint8_t a = 1; a <= 5; a++) {
		struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_ENCRYPTED,
				  .sess_accept = a };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_ENCRYPTED, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		tw_req(&q, 5001);
		assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), want[a]);
		assert_int_equal(s.accept, a);
		assert_true(tw_ctrl_client_connected(c));
		/* the refused session does not count in Stop-Sessions */
		assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
		assert_int_equal(p.stop_num_sessions, 0);
	}
	/* Start-Ack refusal closes (RFC 4656 §3.7) */
	{
		struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_UNAUTH,
				  .start_accept = 5 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_UNAUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		tw_req(&q, 5001);
		assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), 0);
		assert_int_equal(tw_ctrl_client_start(c), -EAGAIN);
		assert_false(tw_ctrl_client_connected(c));
		assert_int_equal(tw_ctrl_client_stop(c, 0), -ENOTCONN);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
}

/* =========================================== RFC 5938 individual mode */

static void test_individual(void **state)
{
	const uint32_t mode = TW_MODE_AUTH | TW_MODE_INDIVIDUAL;
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s[3];
	uint8_t sids[3][16], acc[3];

	(void)state;
	for (int variant = 0; variant < 4; variant++) {
		struct peer p = { .proto = TW_CTRL_TWAMP,
				  .modes = TW_MODE_SECURITY_TWAMP | TW_MODE_INDIVIDUAL,
				  .split_acks = variant == 1, .bad_ack_sid = variant == 2,
				  .wrong_ack = variant == 3 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_AUTH,
						     TW_MODE_INDIVIDUAL, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_mode(c), mode);
		for (int i = 0; i < 3; i++) {
			tw_req(&q, (uint16_t)(5001 + i));
			assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s[i]), 0);
			memcpy(sids[i], s[i].sid, 16);
		}
		/* Start-Sessions/Stop-Sessions are not for this mode */
		assert_int_equal(tw_ctrl_client_start(c), -EINVAL);
		assert_int_equal(tw_ctrl_client_stop(c, 0), -EINVAL);
		assert_true(tw_ctrl_client_connected(c));
		if (variant == 0) {
			assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 3, acc), 0);
			assert_int_equal(acc[0] | acc[1] | acc[2], 0);
			assert_int_equal(tw_ctrl_client_stop_n(c, (const uint8_t (*)[16])sids, 2, NULL), 0);
			/* stopped sessions are gone */
			assert_int_equal(tw_ctrl_client_stop_n(c, (const uint8_t (*)[16])sids, 1, NULL),
					 -EINVAL);
			assert_int_equal(tw_ctrl_client_stop_n(c, (const uint8_t (*)[16])&sids[2], 1, NULL), 0);
		} else if (variant == 1) {
			/* two acks: SIDs 1-2 accepted, SID 3 Accept 5 */
			assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 3, acc),
					 -EAGAIN);
			assert_int_equal(acc[0], 0);
			assert_int_equal(acc[1], 0);
			assert_int_equal(acc[2], 5);
			assert_true(tw_ctrl_client_connected(c));
			/* a repeated SID is refused locally */
			memcpy(sids[1], sids[0], 16);
			assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 2, acc),
					 -EINVAL);
		} else {
			/* a SID not asked for (2), a Stop-N-Ack for a Start-N (3) */
			assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 3, NULL),
					 -EPROTO);
			assert_false(tw_ctrl_client_connected(c));
		}
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* without the mode, Start-N is refused locally */
	{
		struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_UNAUTH };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_UNAUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_start_n(c, (const uint8_t (*)[16])sids, 1, NULL),
				 -EINVAL);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
}

/* ====================================================== faulty servers */

struct fault_case {
	const char *name;
	uint32_t mode;
	int msg;             /* 0 greeting, 1 Server-Start, 2 Accept-Session, 3 Start-Ack */
	enum fault fault;
	int want;
	int step;            /* the client step that fails: 0 connect, 1 request, 2 start */
	bool port_zero;
	bool zero_sid;
};

static void test_faults(void **state)
{
	static const struct fault_case fc[] = {
		{ "greeting truncated", TW_MODE_UNAUTH, 0, F_TRUNCATE, -ECONNRESET, 0, false, false },
		{ "greeting never sent", TW_MODE_UNAUTH, 0, F_STALL, -ETIMEDOUT, 0, false, false },
		{ "greeting garbage (Count)", TW_MODE_UNAUTH, 0, F_GARBAGE, -EPROTO, 0, false, false },
		{ "no greeting, closed", TW_MODE_AUTH, 0, F_CLOSE, -ECONNRESET, 0, false, false },
		{ "Server-Start truncated", TW_MODE_ENCRYPTED, 1, F_TRUNCATE, -ECONNRESET, 0, false, false },
		{ "Server-Start stalls", TW_MODE_AUTH, 1, F_STALL, -ETIMEDOUT, 0, false, false },
		{ "Accept-Session bad HMAC", TW_MODE_AUTH, 2, F_BAD_HMAC, -EBADMSG, 1, false, false },
		{ "Accept-Session bad HMAC (enc)", TW_MODE_ENCRYPTED, 2, F_BAD_HMAC, -EBADMSG, 1, false, false },
		{ "Accept-Session bad HMAC (mixed)", TW_MODE_MIXED, 2, F_BAD_HMAC, -EBADMSG, 1, false, false },
		{ "Accept-Session garbage (auth)", TW_MODE_AUTH, 2, F_GARBAGE, -EBADMSG, 1, false, false },
		{ "Accept-Session truncated", TW_MODE_UNAUTH, 2, F_TRUNCATE, -ECONNRESET, 1, false, false },
		{ "Accept-Session stalls", TW_MODE_ENCRYPTED, 2, F_STALL, -ETIMEDOUT, 1, false, false },
		{ "Accept-Session twice", TW_MODE_AUTH, 2, F_EXTRA, -EPROTO, 2, false, false },
		{ "Accept-Session twice (open)", TW_MODE_UNAUTH, 2, F_EXTRA, -EPROTO, 2, false, false },
		{ "Accept-Session port 0", TW_MODE_UNAUTH, -1, F_NONE, -EPROTO, 1, true, false },
		{ "Accept-Session zero SID", TW_MODE_AUTH, -1, F_NONE, -EPROTO, 1, false, true },
		{ "Start-Ack closed", TW_MODE_AUTH, 3, F_CLOSE, -ECONNRESET, 2, false, false },
		{ "Start-Ack bad HMAC", TW_MODE_ENCRYPTED, 3, F_BAD_HMAC, -EBADMSG, 2, false, false },
		{ "Start-Ack stalls", TW_MODE_UNAUTH, 3, F_STALL, -ETIMEDOUT, 2, false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
		struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_SECURITY_TWAMP,
				  .fault = fc[i].fault, .fault_msg = fc[i].msg,
				  .port_zero = fc[i].port_zero, .zero_sid = fc[i].zero_sid };
		/* a short deadline only where the server stalls on purpose */
		struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, fc[i].mode, 0,
						     fc[i].fault == F_STALL ?
						     FAST_TIMEOUT_MS : 0);
		struct tw_ctrl_session_req q;
		struct tw_ctrl_session s;
		int r;

		r = run_connect(&p, c, AF_INET);
		if (fc[i].step > 0) {
			assert_int_equal(r, 0);
			tw_req(&q, 5001);
			r = tw_ctrl_client_request_tw_session(c, &q, &s);
			if (fc[i].step > 1) {
				assert_int_equal(r, 0);
				r = tw_ctrl_client_start(c);
			}
		}
		if (r != fc[i].want)
			fail_msg("%s: got %d (%s), want %d", fc[i].name, r,
				 tw_ctrl_client_error(c), fc[i].want);
		assert_false(tw_ctrl_client_connected(c));
		assert_true(tw_ctrl_client_error(c)[0] != '\0');
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
}

/* A server that speaks unasked: the client notices before its next command. */
static void test_unsolicited(void **state)
{
	struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_UNAUTH, 0, 0);
	struct tw_ctrl_greeting g = { .modes = TW_MODE_UNAUTH, .count = 1024 };
	struct tw_ctrl_server_start ss = { 0 };
	struct tw_ctrl_accept_session as = { .accept = 0, .port = 7000, .sid = { 1 } };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd, sfd;
	uint8_t b[256];

	(void)state;
	/* a TCP pair over loopback; the server side is played inline and the
	 * client gets the connected socket (tw_ctrl_client_connect_fd) */
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, l), 0);
	assert_int_equal(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&a, &l);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&a, l), 0);
	sfd = accept(lfd, NULL, NULL);
	close(lfd);
	tw_proto_ctrl_greeting_encode(&g, b, sizeof(b));
	assert_int_equal(write(sfd, b, 64), 64);
	tw_proto_ctrl_server_start_encode(&ss, b, sizeof(b));
	assert_int_equal(write(sfd, b, 48), 48);
	assert_int_equal(tw_ctrl_client_connect_fd(c, cfd), 0);
	assert_int_equal(tw_ctrl_client_fd(c), cfd);
	/* an Accept-Session nobody asked for */
	tw_proto_ctrl_accept_session_encode(&as, 0, b, sizeof(b));
	assert_int_equal(write(sfd, b, 48), 48);
	tw_req(&q, 5001);
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EPROTO);
	assert_non_null(strstr(tw_ctrl_client_error(c), "unasked"));
	assert_false(tw_ctrl_client_connected(c));
	/* a second connect_fd on a used client: -EBUSY only when connected */
	tw_ctrl_client_destroy(c);
	close(sfd);
}

/*
 * Random server bytes after a good connection setup: whatever arrives, the
 * client returns a code (never crashes, never hangs) and ends up closed
 * once the server is gone. Seeds are fixed: the run is reproducible.
 */
struct noise {
	int fd;
	uint32_t seed;
	size_t len;
};

static void *noise_main(void *arg)
{
	struct noise *n = arg;
	uint8_t b[4096];
	uint32_t x = n->seed * 2654435761u + 1;

	for (size_t i = 0; i < n->len && i < sizeof(b); i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	/* every few seeds: a plausible first octet (Accept 0 / a command) */
	if (n->len > 0 && n->seed % 3 == 0)
		b[0] = (uint8_t)(n->seed % 11);
	(void)!write(n->fd, b, n->len);
	close(n->fd);
	return NULL;
}

static void test_random_server(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 200; seed++) {
		enum tw_ctrl_proto proto = seed % 2 ? TW_CTRL_TWAMP : TW_CTRL_OWAMP;
		struct tw_ctrl_client *c = mk_client(proto, TW_MODE_UNAUTH, 0, 0);
		struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 28 };
		struct tw_ctrl_greeting g = { .modes = TW_MODE_UNAUTH, .count = 1024 };
		struct tw_ctrl_server_start ss = { 0 };
		uint8_t b[TW_CTRL_SETUP_RESPONSE_LEN];
		struct tw_ctrl_session_req q;
		struct tw_ctrl_session s;
		struct tw_ctrl_fetch_info info;
		struct noise nz;
		pthread_t th;
		int sv[2], r;

		/* a good setup on a socketpair, then noise from the "server" */
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		tw_proto_ctrl_greeting_encode(&g, b, sizeof(b));
		assert_int_equal(write(sv[1], b, 64), 64);
		tw_proto_ctrl_server_start_encode(&ss, b, sizeof(b));
		assert_int_equal(write(sv[1], b, 48), 48);
		assert_int_equal(tw_ctrl_client_connect_fd(c, sv[0]), 0);
		assert_int_equal(rd(sv[1], b, sizeof(b)), 0); /* Set-Up-Response */
		nz.fd = sv[1];
		nz.seed = seed;
		nz.len = (size_t)(seed * 37 % 700);
		assert_int_equal(pthread_create(&th, NULL, noise_main, &nz), 0);
		memset(&q, 0, sizeof(q));
		memset(&s, 0, sizeof(s));
		q.ipvn = 4;
		q.sender_addr[0] = 10;
		q.receiver_addr[0] = 10;
		q.sender_port = 5001;
		q.receiver_port = 5002;
		q.conf_receiver = true;
		q.slots = &slot;
		q.num_slots = 1;
		for (int step = 0; step < 4 && tw_ctrl_client_connected(c); step++) {
			if (proto == TW_CTRL_TWAMP)
				r = step % 2 ? tw_ctrl_client_start(c) :
					       tw_ctrl_client_request_tw_session(c, &q, &s);
			else
				r = step % 2 ? tw_ctrl_client_fetch(c, s.sid, 0, 9, NULL, NULL,
								   NULL, &info) :
					       tw_ctrl_client_request_ow_session(c, &q, &s);
			assert_true(r <= 0);
			if (r < 0)
				assert_true(tw_ctrl_client_error(c)[0] != '\0');
		}
		pthread_join(th, NULL);
		/* the server is gone: the next command ends the connection */
		if (tw_ctrl_client_connected(c))
			assert_true(tw_ctrl_client_start(c) < 0);
		assert_false(tw_ctrl_client_connected(c));
		tw_ctrl_client_destroy(c);
	}
}

/* ================================================================ OWAMP */

struct ow_cb {
	int descs;
	uint32_t next_seqno;
	uint32_t skips;
	struct tw_owamp_skip skip0;
	int recs;
	uint32_t last_seq;
	int skips_seen;
	bool bad;
};

static int desc_cb(void *arg, const uint8_t sid[16], uint32_t next_seqno,
		   const struct tw_owamp_skip *skips, uint32_t n)
{
	struct ow_cb *o = arg;

	(void)sid;
	o->descs++;
	o->next_seqno = next_seqno;
	o->skips = n;
	if (n > 0)
		o->skip0 = skips[0];
	return 0;
}

static int rec_cb(void *arg, const struct tw_owamp_record *r)
{
	struct ow_cb *o = arg;

	if (o->recs > 0 && r->seq != o->last_seq + 1)
		o->bad = true;
	if (r->recv_ts != r->send_ts + 1000)
		o->bad = true;
	o->last_seq = r->seq;
	o->recs++;
	return 0;
}

static int skip_cb(void *arg, const struct tw_owamp_skip *s)
{
	struct ow_cb *o = arg;

	(void)s;
	o->skips_seen++;
	return 0;
}

static void owamp_run(uint32_t mode, int family)
{
	struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_SECURITY_OWAMP,
			  .n_records = 1000, .n_skips = 4 };
	struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, mode, 0, 0);
	struct tw_owamp_slot slots[2] = {
		{ .type = TW_OWAMP_SLOT_EXP, .parameter = 1ull << 28 },
		{ .type = TW_OWAMP_SLOT_FIXED, .parameter = 0 },
	};
	struct tw_owamp_skip skip = { .first = 0, .last = 9 };
	struct tw_ctrl_ow_send_state st;
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s_send, s_recv;
	struct tw_ctrl_fetch_info info;
	struct tw_owamp_record *recs = calloc(1000, sizeof(*recs));
	struct ow_cb o = { 0 };
	uint8_t acc = 0xFF;
	uint32_t n_recs = 0;

	assert_int_equal(run_connect(&p, c, family), 0);
	assert_int_equal(tw_ctrl_client_mode(c), mode);

	/* client sends, server receives (Conf-Receiver) */
	memset(&q, 0, sizeof(q));
	q.conf_receiver = true;
	q.sender_port = 8001;
	q.num_packets = 100;
	q.slots = slots;
	q.num_slots = 2;
	q.padding_length = 10;
	q.timeout = 3ull << 32;
	assert_int_equal(tw_ctrl_client_request_ow_session(c, &q, &s_send), 0);
	assert_int_equal(s_send.receiver_port, 7001);
	assert_memory_equal(s_send.sid, p.sids[0], 16);
	/* client receives, server sends (Conf-Sender): the SID is ours */
	memset(&q, 0, sizeof(q));
	q.conf_sender = true;
	q.receiver_port = 8002;
	q.num_packets = 10;
	q.slots = slots;
	q.num_slots = 1;
	p.port_offer = 0;
	assert_int_equal(tw_ctrl_client_request_ow_session(c, &q, &s_recv), 0);
	assert_false(tw_proto_is_zero(s_recv.sid, 16));
	assert_int_equal(s_recv.receiver_port, 8002);
	if (mode != TW_MODE_UNAUTH) {
		struct tw_crypto_session_keys want;

		assert_true(s_recv.has_keys);
		assert_int_equal(tw_crypto_test_keys(&p.sk, s_recv.sid, &want), 0);
		assert_memory_equal(&want, &s_recv.test_keys, sizeof(want));
	}
	assert_int_equal(tw_ctrl_client_start(c), 0);

	/* Stop-Sessions: ours must describe exactly the session we send */
	memset(&st, 0, sizeof(st));
	memcpy(st.sid, s_recv.sid, 16);
	st.next_seqno = 100;
	assert_int_equal(tw_ctrl_client_ow_stop(c, 0, &st, 1, desc_cb, &o, &acc), -EINVAL);
	assert_true(tw_ctrl_client_connected(c));
	memcpy(st.sid, s_send.sid, 16);
	st.skips = &skip;
	st.num_skips = 1;
	assert_int_equal(tw_ctrl_client_ow_stop(c, 0, &st, 1, desc_cb, &o, &acc), 0);
	assert_int_equal(acc, 0);
	assert_int_equal(o.descs, 1);
	assert_int_equal(o.next_seqno, 10);
	assert_int_equal(o.skips, 1);
	assert_int_equal(o.skip0.first, 3);
	assert_int_equal(o.skip0.last, 4);

	/* Fetch-Session: 4 skip ranges, 1000 records, HMACs checked */
	assert_int_equal(tw_ctrl_client_fetch(c, s_send.sid, 0, 0xFFFFFFFFu, rec_cb,
					      skip_cb, &o, &info), 0);
	assert_int_equal(o.recs, 1000);
	assert_int_equal(o.skips_seen, 4);
	assert_false(o.bad);
	assert_true(info.finished);
	assert_int_equal(info.num_records, 1000);
	assert_int_equal(info.request.num_slots, 1);
	assert_int_equal(info.slots[0].type, TW_OWAMP_SLOT_FIXED);
	assert_int_equal(info.slots[0].parameter, 1ull << 30);
	assert_int_equal(info.request.sender_port, 9000);
	/* into an array; too small an array aborts */
	assert_int_equal(tw_ctrl_client_fetch_array(c, s_send.sid, 0, 0xFFFFFFFFu, recs,
						    1000, &n_recs, &info), 0);
	assert_int_equal(n_recs, 1000);
	assert_int_equal(recs[999].seq, 999);
	assert_int_equal(recs[2].ttl, 253);
	assert_int_equal(recs[5].send_errest, 0x0101);
	assert_int_equal(tw_ctrl_client_fetch_array(c, s_send.sid, 0, 0xFFFFFFFFu, recs,
						    10, &n_recs, &info), -ENOSPC);
	assert_int_equal(n_recs, 10);
	assert_false(tw_ctrl_client_connected(c));
	tw_ctrl_client_destroy(c);
	peer_join(&p);
	free(recs);

	/* what the server saw */
	assert_int_equal(p.done, 0);
	assert_int_equal(p.n_req, 2);
	assert_int_equal(p.req[0].conf_receiver, 1);
	assert_int_equal(p.req[0].conf_sender, 0);
	assert_int_equal(p.req[0].num_packets, 100);
	assert_int_equal(p.req_num_slots[0], 2);
	assert_int_equal(p.req_slot0[0].type, TW_OWAMP_SLOT_EXP);
	assert_int_equal(p.req_slot0[0].parameter, 1ull << 28);
	assert_int_equal(p.req[0].sender_port, 8001);
	assert_int_equal(p.req[0].padding_length, 10);
	assert_int_equal(p.req[1].conf_sender, 1);
	assert_int_equal(p.req[1].receiver_port, 8002);
	assert_memory_equal(p.req[1].sid, s_recv.sid, 16);
	assert_int_equal(p.stop_num_sessions, 1);
	assert_int_equal(p.ow_stop_next_seqno, 100);
	assert_int_equal(p.ow_stop_skips, 1);
	assert_int_equal(p.ow_stop_skip0.last, 9);
	assert_int_equal(p.fetch.begin_seq, 0);
	assert_int_equal(p.fetch.end_seq, 0xFFFFFFFFu);
}

static void test_owamp_modes(void **state)
{
	(void)state;
	owamp_run(TW_MODE_UNAUTH, AF_INET);
	owamp_run(TW_MODE_AUTH, AF_INET);
	owamp_run(TW_MODE_ENCRYPTED, AF_INET6);
}

static void test_owamp_faults(void **state)
{
	struct tw_owamp_slot slot = { .type = TW_OWAMP_SLOT_FIXED, .parameter = 1ull << 28 };
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;
	struct tw_ctrl_fetch_info info;
	uint8_t sid[16] = { 9 };
	struct ow_cb o = { 0 };

	(void)state;
	memset(&q, 0, sizeof(q));
	q.conf_sender = true;
	q.receiver_port = 8002;
	q.slots = &slot;
	q.num_slots = 1;

	/* fetch refused: Accept 3, connection open */
	{
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_AUTH,
				  .fetch_accept = 3 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_AUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_fetch(c, sid, 0, 0xFFFFFFFFu, rec_cb, NULL, &o,
						      &info), -EOPNOTSUPP);
		assert_int_equal(info.accept, 3);
		assert_true(tw_ctrl_client_connected(c));
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* records block with a bad HMAC (message #5: ack, req, slots, skips, records) */
	{
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_ENCRYPTED,
				  .n_records = 300, .fault = F_BAD_HMAC, .fault_msg = 2 + 5 - 1 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_ENCRYPTED, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_fetch(c, sid, 0, 0xFFFFFFFFu, NULL, NULL, NULL,
						      &info), -EBADMSG);
		assert_false(tw_ctrl_client_connected(c));
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* skip block truncated */
	{
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_AUTH,
				  .n_records = 3, .n_skips = 2, .fault = F_TRUNCATE,
				  .fault_msg = 2 + 3 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_AUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_fetch(c, sid, 0, 0xFFFFFFFFu, NULL, NULL, NULL,
						      &info), -ECONNRESET);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* records outside the requested range */
	{
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_UNAUTH,
				  .n_records = 5, .record_seq_base = 100 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_UNAUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_fetch(c, sid, 0, 50, NULL, NULL, NULL, &info),
				 -EPROTO);
		assert_non_null(strstr(tw_ctrl_client_error(c), "outside"));
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* the server's Stop-Sessions describes too many / too few sessions */
	for (int skew = -1; skew <= 1; skew += 2) {
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_AUTH,
				  .stop_extra_records = skew };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_AUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_request_ow_session(c, &q, &s), 0);
		assert_int_equal(tw_ctrl_client_start(c), 0);
		assert_int_equal(tw_ctrl_client_ow_stop(c, 0, NULL, 0, NULL, NULL, NULL),
				 -EPROTO);
		assert_false(tw_ctrl_client_connected(c));
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* the server's Stop-Sessions with Accept 2: reported, records read */
	{
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_ENCRYPTED,
				  .ow_stop_accept = 2 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_ENCRYPTED, 0, 0);
		uint8_t acc = 0xFF;

		o.descs = 0;
		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_request_ow_session(c, &q, &s), 0);
		assert_int_equal(tw_ctrl_client_start(c), 0);
		assert_int_equal(tw_ctrl_client_ow_stop(c, 0, NULL, 0, desc_cb, &o, &acc),
				 -EREMOTEIO);
		assert_int_equal(acc, 2);
		assert_int_equal(o.descs, 1);
		assert_int_equal(tw_ctrl_client_last_accept(c), 2);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
	/* Fetch-Ack with a bad HMAC */
	{
		struct peer p = { .proto = TW_CTRL_OWAMP, .modes = TW_MODE_AUTH,
				  .fault = F_BAD_HMAC, .fault_msg = 2 };
		struct tw_ctrl_client *c = mk_client(TW_CTRL_OWAMP, TW_MODE_AUTH, 0, 0);

		assert_int_equal(run_connect(&p, c, AF_INET), 0);
		assert_int_equal(tw_ctrl_client_fetch(c, sid, 0, 0xFFFFFFFFu, NULL, NULL, NULL,
						      &info), -EBADMSG);
		tw_ctrl_client_destroy(c);
		peer_join(&p);
	}
}

/* ============================================ arguments and connecting */

static void test_bad_args(void **state)
{
	struct tw_ctrl_client_conf cf = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_AUTH };
	struct tw_ctrl_client *c;
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;

	(void)state;
	errno = 0;
	assert_null(tw_ctrl_client_create(NULL));
	assert_int_equal(errno, EINVAL);
	/* keyed mode without KeyID/secret */
	assert_null(tw_ctrl_client_create(&cf));
	assert_int_equal(errno, EINVAL);
	cf.keyid = KEYID;
	cf.secret = PASS;
	cf.secret_len = strlen(PASS);
	cf.modes = 0;
	assert_null(tw_ctrl_client_create(&cf));
	cf.modes = TW_MODE_AUTH | TW_MODE_INDIVIDUAL; /* option in modes */
	assert_null(tw_ctrl_client_create(&cf));
	cf.modes = TW_MODE_AUTH;
	cf.exact_mode = TW_MODE_AUTH | TW_MODE_ENCRYPTED; /* two security bits */
	assert_null(tw_ctrl_client_create(&cf));
	cf.exact_mode = 0;
	cf.proto = TW_CTRL_OWAMP;
	cf.options = TW_MODE_REFLECT_OCTETS;
	assert_null(tw_ctrl_client_create(&cf));
	cf.proto = TW_CTRL_TWAMP;
	cf.options = 0;
	cf.keyid = "bad\xff";
	assert_null(tw_ctrl_client_create(&cf));
	cf.keyid = KEYID;
	cf.token_key = TW_CRYPTO_TOKEN_KEY_DIRECT;
	cf.secret_len = 8; /* too short for a direct key */
	assert_null(tw_ctrl_client_create(&cf));
	cf.token_key = TW_CRYPTO_TOKEN_KEY_PBKDF2;
	cf.secret_len = strlen(PASS);
	c = tw_ctrl_client_create(&cf);
	assert_non_null(c);
	/* nothing works before connect */
	tw_req(&q, 5001);
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -ENOTCONN);
	assert_int_equal(tw_ctrl_client_start(c), -ENOTCONN);
	assert_int_equal(tw_ctrl_client_stop(c, 0), -ENOTCONN);
	assert_int_equal(tw_ctrl_client_fd(c), -1);
	assert_int_equal(tw_ctrl_client_mode(c), 0);
	assert_int_equal(tw_ctrl_client_last_accept(c), 0xFF);
	assert_int_equal(tw_ctrl_client_connect(c, NULL, 0, NULL, 0), -EINVAL);
	/* refused TCP connection */
	{
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t l = sizeof(a);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		bind(fd, (struct sockaddr *)&a, l);
		getsockname(fd, (struct sockaddr *)&a, &l);
		close(fd); /* a port nobody listens on */
		assert_int_equal(tw_ctrl_client_connect(c, (struct sockaddr *)&a, l, NULL, 0),
				 -ECONNREFUSED);
		assert_non_null(strstr(tw_ctrl_client_error(c), "connect"));
	}
	tw_ctrl_client_destroy(c);
	tw_ctrl_client_destroy(NULL);
}

static void test_session_args(void **state)
{
	struct peer p = { .proto = TW_CTRL_TWAMP, .modes = TW_MODE_UNAUTH };
	struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_UNAUTH, 0, 0);
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;
	struct sockaddr_storage sa;
	struct sockaddr_in loc = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l;

	(void)state;
	/* bind a local address, then invalid requests change nothing */
	peer_start(&p, AF_INET, &sa, &l);
	assert_int_equal(tw_ctrl_client_connect(c, (struct sockaddr *)&sa, l,
						(struct sockaddr *)&loc, sizeof(loc)), 0);
	assert_int_equal(tw_ctrl_client_connect(c, (struct sockaddr *)&sa, l, NULL, 0),
			 -EBUSY);
	tw_req(&q, 0);
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EINVAL);
	tw_req(&q, 5001);
	q.reflect_octets = 4; /* not negotiated */
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EINVAL);
	tw_req(&q, 5001);
	q.type_p = 0x80000000u; /* format 10 */
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EINVAL);
	tw_req(&q, 5001);
	q.reflect_padding = 65; /* more than the 64 octets of padding sent */
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EINVAL);
	tw_req(&q, 5001);
	q.ipvn = 6; /* zero addresses, IPv4 connection */
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EINVAL);
	tw_req(&q, 5001);
	q.ipvn = 5;
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EINVAL);
	assert_int_equal(tw_ctrl_client_request_ow_session(c, &q, &s), -EINVAL);
	assert_int_equal(tw_ctrl_client_fetch(c, s.sid, 0, 1, NULL, NULL, NULL, NULL), -EINVAL);
	assert_true(tw_ctrl_client_connected(c));
	/* explicit IPv6 addresses over an IPv4 connection are fine */
	tw_req(&q, 5001);
	q.ipvn = 6;
	q.sender_addr[15] = 1;
	q.receiver_addr[15] = 2;
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), 0);
	assert_int_equal(s.ipvn, 6);
	assert_int_equal(s.receiver_addr[15], 2);
	assert_int_equal(tw_ctrl_client_stop(c, 0), 0);
	tw_ctrl_client_destroy(c);
	peer_join(&p);
	assert_int_equal(p.n_req, 1);
	assert_int_equal(p.stop_num_sessions, 1);
}

/* RFC 6038 §4.3: the server must hand back the octets asked for. */
static void test_reflect_octets(void **state)
{
	struct peer p = { .proto = TW_CTRL_TWAMP,
			  .modes = TW_MODE_UNAUTH | TW_MODE_REFLECT_OCTETS,
			  .bad_reflected = true };
	struct tw_ctrl_client *c = mk_client(TW_CTRL_TWAMP, TW_MODE_UNAUTH,
					     TW_MODE_REFLECT_OCTETS, 0);
	struct tw_ctrl_session_req q;
	struct tw_ctrl_session s;

	(void)state;
	assert_int_equal(run_connect(&p, c, AF_INET), 0);
	tw_req(&q, 5001);
	q.reflect_octets = 0x1234;
	q.reflect_padding = 64; /* equal to the padding sent: allowed */
	assert_int_equal(tw_ctrl_client_request_tw_session(c, &q, &s), -EPROTO);
	assert_non_null(strstr(tw_ctrl_client_error(c), "Reflected octets"));
	assert_false(tw_ctrl_client_connected(c));
	tw_ctrl_client_destroy(c);
	peer_join(&p);
	assert_int_equal(p.req[0].reflect_padding, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twamp_modes),
		cmocka_unit_test(test_mode_choice),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_accept_codes),
		cmocka_unit_test(test_individual),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_unsolicited),
		cmocka_unit_test(test_random_server),
		cmocka_unit_test(test_owamp_modes),
		cmocka_unit_test(test_owamp_faults),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_session_args),
		cmocka_unit_test(test_reflect_octets),
	};

	/* the scripted server keeps writing after the client gave up on it */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
