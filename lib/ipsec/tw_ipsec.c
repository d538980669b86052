/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP in the worker: SA table (lib/keys), librte_ipsec over software cryptodevs. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "tw_ipsec.h"
#include "tw_keys.h"
#include "ipsec_priv.h"

#define IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define OP_PRIV 32u   /* IV/counter block behind the op */
#define UDP_HLEN 8u
#define IPPROTO_ESP_ 50u
#define IPPROTO_UDP_ 17u

static const struct {
	const char *name;
	uint8_t key_len, salt_len, iv_len, block;
	bool aead;
	enum rte_crypto_cipher_algorithm calg;
} ciphers[TW_IPSEC_CIPHER__MAX] = {
	[TW_IPSEC_CIPHER_NULL] = { "null", 0, 0, 0, 4, false, RTE_CRYPTO_CIPHER_NULL },
	[TW_IPSEC_CIPHER_AES_GCM_128] = { "aes-gcm-128", 16, 4, 8, 4, true, 0 },
	[TW_IPSEC_CIPHER_AES_GCM_256] = { "aes-gcm-256", 32, 4, 8, 4, true, 0 },
	[TW_IPSEC_CIPHER_AES_CBC_128] = { "aes-cbc-128", 16, 0, 16, 16, false,
					  RTE_CRYPTO_CIPHER_AES_CBC },
	[TW_IPSEC_CIPHER_AES_CBC_256] = { "aes-cbc-256", 32, 0, 16, 16, false,
					  RTE_CRYPTO_CIPHER_AES_CBC },
	[TW_IPSEC_CIPHER_AES_CTR_128] = { "aes-ctr-128", 16, 4, 8, 4, false,
					  RTE_CRYPTO_CIPHER_AES_CTR },
	[TW_IPSEC_CIPHER_AES_CTR_256] = { "aes-ctr-256", 32, 4, 8, 4, false,
					  RTE_CRYPTO_CIPHER_AES_CTR },
};

static const struct {
	const char *name;
	uint8_t key_len, icv_len;
	enum rte_crypto_auth_algorithm alg;
} auths[TW_IPSEC_AUTH__MAX] = {
	[TW_IPSEC_AUTH_NONE] = { "none", 0, 0, RTE_CRYPTO_AUTH_NULL },
	[TW_IPSEC_AUTH_HMAC_SHA1_96] = { "hmac-sha1-96", 20, 12, RTE_CRYPTO_AUTH_SHA1_HMAC },
	[TW_IPSEC_AUTH_HMAC_SHA256_128] = { "hmac-sha256-128", 32, 16,
					    RTE_CRYPTO_AUTH_SHA256_HMAC },
};

unsigned tw_ipsec_cipher_key_len(enum tw_ipsec_cipher c)
{
	if ((unsigned)c >= TW_IPSEC_CIPHER__MAX)
		return 0;
	return (unsigned)ciphers[c].key_len + ciphers[c].salt_len;
}

unsigned tw_ipsec_auth_key_len(enum tw_ipsec_auth a)
{
	return (unsigned)a < TW_IPSEC_AUTH__MAX ? auths[a].key_len : 0;
}

const char *tw_ipsec_cipher_name(enum tw_ipsec_cipher c)
{
	return (unsigned)c < TW_IPSEC_CIPHER__MAX ? ciphers[c].name : NULL;
}

const char *tw_ipsec_auth_name(enum tw_ipsec_auth a)
{
	return (unsigned)a < TW_IPSEC_AUTH__MAX ? auths[a].name : NULL;
}

/* --- SA table ---------------------------------------------------------- */

static void sa_free(void *arg, void *data)
{
	struct tw_ipsec *ctx = arg;
	struct ipsec_sa *sa = data;

	tw_ipsec_ah_destroy(sa->ah);
	if (sa->cses != NULL)
		rte_cryptodev_sym_session_free(sa->dev_id, sa->cses);
	if (sa->rsa != NULL) {
		rte_ipsec_sa_fini(sa->rsa);
		rte_free(sa->rsa);
	}
	ctx->n_freed++;
	rte_free(sa);
}

static int vdev_up(struct tw_ipsec *ctx, const char *drv, int *dev_id)
{
	char name[64], args[64];
	struct rte_cryptodev_config cc = { 0 };
	int id;

	snprintf(name, sizeof(name), "%s_%s", drv, ctx->name);
	snprintf(args, sizeof(args), "max_nb_queue_pairs=%u,socket_id=%d",
		 ctx->n_workers, ctx->socket == SOCKET_ID_ANY ? 0 : ctx->socket);
	if (rte_eal_hotplug_add("vdev", name, args) != 0)
		return -ENODEV;
	id = rte_cryptodev_get_dev_id(name);
	if (id < 0) {
		rte_eal_hotplug_remove("vdev", name);
		return -ENODEV;
	}
	cc.socket_id = ctx->socket == SOCKET_ID_ANY ? 0 : ctx->socket;
	cc.nb_queue_pairs = (uint16_t)ctx->n_workers;
	if (rte_cryptodev_configure((uint8_t)id, &cc) != 0) {
		rte_eal_hotplug_remove("vdev", name);
		return -ENODEV;
	}
	*dev_id = id;
	return 0;
}

static int vdev_start(struct tw_ipsec *ctx, int id)
{
	struct rte_cryptodev_qp_conf qc = { .nb_descriptors = 2048,
					    .mp_session = ctx->sess_pool };

	for (unsigned q = 0; q < ctx->n_workers; q++)
		if (rte_cryptodev_queue_pair_setup((uint8_t)id, (uint16_t)q, &qc,
						   cc_socket(ctx)) != 0)
			return -ENODEV;
	return rte_cryptodev_start((uint8_t)id) == 0 ? 0 : -ENODEV;
}

static void vdev_down(struct tw_ipsec *ctx, int id)
{
	char name[RTE_CRYPTODEV_NAME_MAX_LEN];

	if (id < 0)
		return;
	snprintf(name, sizeof(name), "%s", rte_cryptodev_name_get((uint8_t)id));
	rte_cryptodev_stop((uint8_t)id);
	rte_cryptodev_close((uint8_t)id);
	rte_eal_hotplug_remove("vdev", name);
	(void)ctx;
}

struct tw_ipsec *tw_ipsec_create(const struct tw_ipsec_conf *conf)
{
	struct tw_keys_conf kc = { 0 };
	struct tw_ipsec *ctx;
	char pname[64];
	unsigned sz = 0;
	int rc;

	if (conf == NULL || conf->n_workers == 0 || conf->n_workers > TW_IPSEC_WORKERS_MAX ||
	    conf->qsbr == NULL || (unsigned)conf->action >= TW_IPSEC_ACT__MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (conf->action != TW_IPSEC_ACT_CPU_CRYPTO &&
	    conf->action != TW_IPSEC_ACT_LOOKASIDE_NONE) {
		errno = ENOTSUP;
		return NULL;
	}
	ctx = rte_zmalloc("tw_ipsec", sizeof(*ctx), RTE_CACHE_LINE_SIZE);
	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ctx->n_workers = conf->n_workers;
	ctx->socket = conf->socket;
	ctx->action = conf->action;
	ctx->max_sas = conf->max_sas != 0 ? conf->max_sas : 1024;
	ctx->mb_id = ctx->gcm_id = -1;
	snprintf(ctx->name, sizeof(ctx->name), "%s", conf->name != NULL ? conf->name : "tw");

	rc = vdev_up(ctx, "crypto_aesni_mb", &ctx->mb_id);
	if (rc != 0)
		goto fail;
	/* GCM's own PMD is faster for AES-GCM here; optional */
	if (vdev_up(ctx, "crypto_aesni_gcm", &ctx->gcm_id) != 0)
		ctx->gcm_id = -1;
	sz = rte_cryptodev_sym_get_private_session_size((uint8_t)ctx->mb_id);
	if (ctx->gcm_id >= 0 &&
	    rte_cryptodev_sym_get_private_session_size((uint8_t)ctx->gcm_id) > sz)
		sz = rte_cryptodev_sym_get_private_session_size((uint8_t)ctx->gcm_id);
	snprintf(pname, sizeof(pname), "tw_ips_%s", ctx->name);
	ctx->sess_pool = rte_cryptodev_sym_session_pool_create(pname, ctx->max_sas + 64, sz,
							       0, 0, cc_socket(ctx));
	rc = -ENOMEM;
	if (ctx->sess_pool == NULL)
		goto fail;
	if (ctx->action == TW_IPSEC_ACT_LOOKASIDE_NONE) {
		snprintf(pname, sizeof(pname), "tw_ipo_%s", ctx->name);
		ctx->op_pool = rte_crypto_op_pool_create(pname, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
							 1024 * ctx->n_workers + 512, 64,
							 OP_PRIV, cc_socket(ctx));
		if (ctx->op_pool == NULL)
			goto fail;
	}
	rc = vdev_start(ctx, ctx->mb_id);
	if (rc == 0 && ctx->gcm_id >= 0 && vdev_start(ctx, ctx->gcm_id) != 0) {
		vdev_down(ctx, ctx->gcm_id);
		ctx->gcm_id = -1;
	}
	if (rc != 0)
		goto fail;
	kc.entries = ctx->max_sas + ctx->max_sas / 4 + 8;
	kc.socket = conf->socket;
	kc.qsbr = conf->qsbr;
	kc.free_fn = sa_free;
	kc.free_arg = ctx;
	ctx->sas = tw_keys_create(&kc);
	if (ctx->sas == NULL) {
		rc = -(rte_errno != 0 ? rte_errno : ENOMEM);
		goto fail;
	}
	return ctx;
fail:
	tw_ipsec_destroy(ctx);
	errno = -rc;
	return NULL;
}

void tw_ipsec_destroy(struct tw_ipsec *ctx)
{
	if (ctx == NULL)
		return;
	ipsec_telemetry_forget(ctx);
	tw_keys_destroy(ctx->sas);
	vdev_down(ctx, ctx->gcm_id);
	vdev_down(ctx, ctx->mb_id);
	rte_mempool_free(ctx->sess_pool);
	rte_mempool_free(ctx->op_pool);
	rte_free(ctx);
}

static bool ts_list_ok(const struct tw_ipsec_ts *ts, unsigned n)
{
	if (n > TW_IPSEC_TS_MAX)
		return false;
	for (unsigned i = 0; i < n; i++)
		if ((ts[i].ipv != 4 && ts[i].ipv != 6) || ts[i].port_lo > ts[i].port_hi ||
		    memcmp(ts[i].from, ts[i].to, ts[i].ipv == 4 ? 4 : 16) > 0)
			return false;
	return true;
}

static int check_conf(const struct tw_ipsec_sa_conf *c)
{
	unsigned inner;

	if (!ts_list_ok(c->ts_local, c->n_ts_local) || !ts_list_ok(c->ts_remote, c->n_ts_remote))
		return -EINVAL;
	if (c->spi < 256 || (c->dir != TW_IPSEC_IN && c->dir != TW_IPSEC_OUT) ||
	    (c->ipv != 4 && c->ipv != 6) ||
	    (unsigned)c->cipher >= TW_IPSEC_CIPHER__MAX ||
	    (unsigned)c->auth >= TW_IPSEC_AUTH__MAX ||
	    (c->mode != TW_IPSEC_TUNNEL && c->mode != TW_IPSEC_TRANSPORT))
		return -EINVAL;
	/* a configured outer DSCP needs an outer header we build */
	if (c->outer_dscp_fixed && (c->dir != TW_IPSEC_OUT || c->mode != TW_IPSEC_TUNNEL ||
				    c->outer_dscp > 63))
		return -EINVAL;
	if (c->proto == TW_IPSEC_AH)
		return 0;   /* RFC 4302: tw_ipsec_ah_create() checks the rest */
	if (c->proto != TW_IPSEC_ESP)
		return -EINVAL;
	inner = c->inner_ipv != 0 ? c->inner_ipv : c->ipv;
	if (inner != 4 && inner != 6)
		return -EINVAL;
	/* integrity is required for measurement (RFC 4303 §3.2: confidentiality
	 * without integrity is open to active attacks); AEAD has its own */
	if (ciphers[c->cipher].aead != (c->auth == TW_IPSEC_AUTH_NONE))
		return -EINVAL;
	if (c->cipher == TW_IPSEC_CIPHER_NULL)
		return -ENOTSUP;   /* ESP-NULL + HMAC: not offered by this build */
	if (c->cipher_key_len != tw_ipsec_cipher_key_len(c->cipher) ||
	    c->auth_key_len != tw_ipsec_auth_key_len(c->auth))
		return -EINVAL;
	if (c->replay_window > TW_IPSEC_REPLAY_MAX || (c->dir == TW_IPSEC_OUT && c->reply_spi))
		return -EINVAL;
	if (c->encap_udp && c->mode == TW_IPSEC_TRANSPORT)
		return -ENOTSUP;
	return 0;
}

/* The crypto transform chain of an SA (xf[] holds up to two). */
static struct rte_crypto_sym_xform *sa_xforms(const struct tw_ipsec_sa_conf *c,
					      struct rte_crypto_sym_xform xf[2])
{
	bool in = c->dir == TW_IPSEC_IN;
	unsigned klen = ciphers[c->cipher].key_len;

	memset(xf, 0, 2 * sizeof(xf[0]));
	if (ciphers[c->cipher].aead) {
		xf[0].type = RTE_CRYPTO_SYM_XFORM_AEAD;
		xf[0].aead.op = in ? RTE_CRYPTO_AEAD_OP_DECRYPT : RTE_CRYPTO_AEAD_OP_ENCRYPT;
		xf[0].aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		xf[0].aead.key.data = c->cipher_key;
		xf[0].aead.key.length = (uint16_t)klen;
		xf[0].aead.iv.offset = IV_OFFSET;
		xf[0].aead.iv.length = 12;
		xf[0].aead.digest_length = 16;
		xf[0].aead.aad_length = c->esn ? 12 : 8;  /* RFC 4106 §5 */
		return &xf[0];
	}
	/* xf[0]: cipher, xf[1]: auth; inbound verifies first (RFC 4303 §3.4.4) */
	xf[0].type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	xf[0].cipher.op = in ? RTE_CRYPTO_CIPHER_OP_DECRYPT : RTE_CRYPTO_CIPHER_OP_ENCRYPT;
	xf[0].cipher.algo = ciphers[c->cipher].calg;
	xf[0].cipher.key.data = c->cipher_key;
	xf[0].cipher.key.length = (uint16_t)klen;
	xf[0].cipher.iv.offset = IV_OFFSET;
	xf[0].cipher.iv.length = 16;
	xf[1].type = RTE_CRYPTO_SYM_XFORM_AUTH;
	xf[1].auth.op = in ? RTE_CRYPTO_AUTH_OP_VERIFY : RTE_CRYPTO_AUTH_OP_GENERATE;
	xf[1].auth.algo = auths[c->auth].alg;
	xf[1].auth.key.data = c->auth_key;
	xf[1].auth.key.length = auths[c->auth].key_len;
	xf[1].auth.digest_length = auths[c->auth].icv_len;
	if (in) {
		xf[1].next = &xf[0];
		return &xf[1];
	}
	xf[0].next = &xf[1];
	return &xf[0];
}

/* Outer header template of an outbound tunnel SA: IPv4/IPv6 (+ UDP).
 * RFC 4301 §5.1.2.1: TTL / hop limit are the encapsulator's (64), the
 * flow label is ours (0); the DS field is the inner packet's, set per
 * packet by librte_ipsec (sa_build()), but for a configured DSCP, which
 * stands here (the ECN field is copied either way). */
static unsigned tun_template(const struct tw_ipsec_sa_conf *c, uint8_t *h)
{
	unsigned n, proto = c->encap_udp ? IPPROTO_UDP_ : IPPROTO_ESP_;
	uint8_t ds = tw_ipsec_outer_ds(0, c->outer_dscp_fixed, c->outer_dscp);

	if (c->ipv == 4) {
		memset(h, 0, 20);
		h[0] = 0x45;
		h[1] = ds;
		h[6] = 0x40;        /* DF */
		h[8] = 64;
		h[9] = (uint8_t)proto;
		memcpy(h + 12, c->src, 4);
		memcpy(h + 16, c->dst, 4);
		n = 20;
	} else {
		memset(h, 0, 40);
		h[0] = (uint8_t)(0x60 | ds >> 4);
		h[1] = (uint8_t)(ds << 4);
		h[6] = (uint8_t)proto;
		h[7] = 64;
		memcpy(h + 8, c->src, 16);
		memcpy(h + 24, c->dst, 16);
		n = 40;
	}
	if (c->encap_udp) {
		uint16_t sp = c->encap_sport ? c->encap_sport : 4500;
		uint16_t dp = c->encap_dport ? c->encap_dport : 4500;

		memset(h + n, 0, UDP_HLEN);
		h[n] = (uint8_t)(sp >> 8);
		h[n + 1] = (uint8_t)sp;
		h[n + 2] = (uint8_t)(dp >> 8);
		h[n + 3] = (uint8_t)dp;
		n += UDP_HLEN;
	}
	return n;
}

static int sa_build(struct tw_ipsec *ctx, const struct tw_ipsec_sa_conf *c,
		    struct ipsec_sa *sa)
{
	struct rte_crypto_sym_xform xf[2];
	struct rte_ipsec_sa_prm prm = { 0 };
	unsigned inner = c->inner_ipv != 0 ? c->inner_ipv : c->ipv;
	int sz, rc;

	prm.crypto_xform = sa_xforms(c, xf);
	prm.ipsec_xform.spi = c->spi;
	/* RFC 4106 §4 / RFC 3686 §4: the salt/nonce as on the wire */
	if (ciphers[c->cipher].salt_len != 0)
		memcpy(&prm.ipsec_xform.salt, c->cipher_key + ciphers[c->cipher].key_len, 4);
	prm.ipsec_xform.options.esn = c->esn;
	prm.ipsec_xform.direction = c->dir == TW_IPSEC_IN ? RTE_SECURITY_IPSEC_SA_DIR_INGRESS
							   : RTE_SECURITY_IPSEC_SA_DIR_EGRESS;
	prm.ipsec_xform.proto = RTE_SECURITY_IPSEC_SA_PROTO_ESP;
	if (c->mode == TW_IPSEC_TUNNEL) {
		prm.ipsec_xform.mode = RTE_SECURITY_IPSEC_SA_MODE_TUNNEL;
		prm.ipsec_xform.tunnel.type = c->ipv == 4 ? RTE_SECURITY_IPSEC_TUNNEL_IPV4
							  : RTE_SECURITY_IPSEC_TUNNEL_IPV6;
		sa->hdr_len = (uint8_t)tun_template(c, sa->hdr);
		prm.tun.hdr = sa->hdr;
		prm.tun.hdr_len = sa->hdr_len;
		prm.tun.hdr_l3_off = 0;
		prm.tun.next_proto = inner == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
		/* RFC 4301 §5.1.2.1 / RFC 6040 §4.1: librte_ipsec copies the
		 * inner DSCP (unless configured) and ECN into the outer header
		 * of each packet (update_outb_tun_tos: template bits outside
		 * the mask, inner bits inside). Not on inbound SAs: there
		 * RFC 6040 §4.2 needs more than the library does (ECT(1),
		 * the drop, the inner IPv4 checksum): dp.c decaps it. */
		if (c->dir == TW_IPSEC_OUT) {
			prm.ipsec_xform.options.ecn = 1;
			prm.ipsec_xform.options.copy_dscp = !c->outer_dscp_fixed;
		}
	} else {
		prm.ipsec_xform.mode = RTE_SECURITY_IPSEC_SA_MODE_TRANSPORT;
		prm.trs.proto = c->ipv == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	}
	if (c->dir == TW_IPSEC_IN && !c->no_replay)
		prm.ipsec_xform.replay_win_sz = c->replay_window != 0 ? c->replay_window
								      : TW_IPSEC_REPLAY_DEFAULT;
	prm.ipsec_xform.esn.value = c->seq_start;
	/* an outbound SA can protect the Session-Sender's packets (worker 0)
	 * and the reflector's replies (any worker) at once: sequence numbers
	 * taken atomically, one per burst (RFC 4303 §3.3.3: never reused) */
	if (c->dir == TW_IPSEC_OUT)
		prm.flags |= RTE_IPSEC_SAFLAG_SQN_ATOM;

	sz = rte_ipsec_sa_size(&prm);
	if (sz < 0)
		return sz;
	sa->rsa = rte_zmalloc_socket("tw_ipsec_sa", (size_t)sz, RTE_CACHE_LINE_SIZE,
				     ctx->socket);
	if (sa->rsa == NULL)
		return -ENOMEM;
	rc = rte_ipsec_sa_init(sa->rsa, &prm, (uint32_t)sz);
	if (rc < 0)
		return rc;
	sa->dev_id = (uint8_t)(ciphers[c->cipher].aead && ctx->gcm_id >= 0 ? ctx->gcm_id
									  : ctx->mb_id);
	sa->cses = rte_cryptodev_sym_session_create(sa->dev_id, prm.crypto_xform,
						    ctx->sess_pool);
	if (sa->cses == NULL)
		return rte_errno != 0 ? -rte_errno : -ENOMEM;
	sa->ss.sa = sa->rsa;
	sa->ss.type = ctx->action == TW_IPSEC_ACT_CPU_CRYPTO ?
		      RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO : RTE_SECURITY_ACTION_TYPE_NONE;
	sa->ss.crypto.ses = sa->cses;
	sa->ss.crypto.dev_id = sa->dev_id;
	rc = rte_ipsec_session_prepare(&sa->ss);
	return rc;
}

static struct ipsec_sa *find(const struct tw_ipsec *ctx, enum tw_ipsec_dir dir,
			     enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
			     const uint8_t *dst)
{
	struct tw_keys_5t k;
	void *d;

	if ((ipv != 4 && ipv != 6) || dst == NULL)
		return NULL;
	sa_key(&k, dir, proto, spi, ipv, dst);
	return tw_keys_lookup(ctx->sas, &k, &d) == 0 ? d : NULL;
}

static int locked_sa_add(struct tw_ipsec *ctx, const struct tw_ipsec_sa_conf *c)
{
	struct ipsec_sa *sa, *reply = NULL;
	struct tw_keys_5t k;
	size_t sz;
	int rc;

	if (ctx == NULL || c == NULL)
		return -EINVAL;
	rc = check_conf(c);
	if (rc != 0)
		return rc;
	if (find(ctx, c->dir, c->proto, c->spi, c->ipv, c->dst) != NULL)
		return -EEXIST;
	if (c->dir == TW_IPSEC_IN && c->reply_spi != 0) {
		reply = find(ctx, TW_IPSEC_OUT, c->proto, c->reply_spi, c->ipv, c->src);
		if (reply == NULL)
			return -ENOENT;
	}
	sz = sizeof(*sa) + (ctx->n_workers + 1) * sizeof(sa->cnt[0]);
	sa = rte_zmalloc_socket("tw_ipsec_sa", sz, RTE_CACHE_LINE_SIZE, ctx->socket);
	if (sa == NULL)
		return -ENOMEM;
	sa->conf = *c;
	sa->dir = c->dir;
	sa->encap_udp = c->encap_udp;
	sa->tunnel = c->mode == TW_IPSEC_TUNNEL;
	sa->ipv = c->ipv;
	sa->inner_ipv = c->inner_ipv != 0 ? c->inner_ipv : c->ipv;
	sa->block = ciphers[c->cipher].block;
	sa->min_len = (uint16_t)(8 + ciphers[c->cipher].iv_len + 2 +
				 (ciphers[c->cipher].aead ? 16 : auths[c->auth].icv_len));
	if (c->proto == TW_IPSEC_AH) {
		sa->ah = tw_ipsec_ah_create(c);
		rc = sa->ah != NULL ? 0 : -errno;
	} else {
		rc = sa_build(ctx, c, sa);
	}
	/* the keys live in the crypto session only */
	memset(sa->conf.cipher_key, 0, sizeof(sa->conf.cipher_key));
	memset(sa->conf.auth_key, 0, sizeof(sa->conf.auth_key));
	if (rc == 0) {
		sa->reply = reply;
		sa_key(&k, c->dir, c->proto, c->spi, c->ipv, c->dst);
		rc = tw_keys_add(ctx->sas, &k, sa);
	}
	if (rc != 0) {
		sa_free(ctx, sa);
		ctx->n_freed--;
		return rc;
	}
	if (reply != NULL)
		reply->refs++;
	sa->serial = ++ctx->serial;
	__atomic_fetch_add(&ctx->gen, 1, __ATOMIC_RELEASE);
	return 0;
}

static int locked_sa_del(struct tw_ipsec *ctx, enum tw_ipsec_dir dir,
		    enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
		    const uint8_t *dst)
{
	struct ipsec_sa *sa;
	struct tw_keys_5t k;
	int rc;

	if (ctx == NULL || dst == NULL || (ipv != 4 && ipv != 6))
		return -EINVAL;
	sa = find(ctx, dir, proto, spi, ipv, dst);
	if (sa == NULL)
		return -ENOENT;
	if (sa->refs != 0)
		return -EBUSY;
	/* before it leaves the table: a sender that still sees the old
	 * generation is inside a pass the grace period waits for */
	__atomic_fetch_add(&ctx->gen, 1, __ATOMIC_SEQ_CST);
	sa_key(&k, dir, proto, spi, ipv, dst);
	rc = tw_keys_del(ctx->sas, &k);
	if (rc == 0 && sa->reply != NULL)
		sa->reply->refs--;   /* freed after it: the grace period covers both */
	return rc;
}

static int locked_sa_pair(struct tw_ipsec *ctx, enum tw_ipsec_proto proto,
		     uint32_t in_spi, unsigned ipv, const uint8_t *dst,
		     uint32_t out_spi)
{
	struct ipsec_sa *in, *out = NULL;

	if (ctx == NULL || dst == NULL || (ipv != 4 && ipv != 6))
		return -EINVAL;
	in = find(ctx, TW_IPSEC_IN, proto, in_spi, ipv, dst);
	if (in == NULL)
		return -ENOENT;
	if (out_spi != 0) {
		out = find(ctx, TW_IPSEC_OUT, proto, out_spi, in->ipv, in->conf.src);
		if (out == NULL)
			return -ENOENT;
		out->refs++;
	}
	if (in->reply != NULL)
		in->reply->refs--;
	in->conf.reply_spi = out_spi;
	__atomic_store_n(&in->reply, out, __ATOMIC_RELEASE);
	__atomic_fetch_add(&ctx->gen, 1, __ATOMIC_RELEASE);
	return 0;
}

static void sa_info(const struct ipsec_sa *sa, unsigned n_workers,
		    struct tw_ipsec_sa_info *out)
{
	memset(out, 0, sizeof(*out));
	out->conf = sa->conf;
	out->serial = sa->serial;
	for (unsigned w = 0; w <= n_workers; w++) {
		const struct ipsec_cnt *c = &sa->cnt[w];

#define SUM(f) out->stats.f += __atomic_load_n(&c->f, __ATOMIC_RELAXED)
		SUM(packets); SUM(octets); SUM(auth_fail); SUM(replay_drop); SUM(bad);
		SUM(inner_drop); SUM(ts_mismatch); SUM(no_reply_sa); SUM(seq_overflow); SUM(errors);
		SUM(ecn_drop);
#undef SUM
	}
	if (sa->ah != NULL) {
		/* the AH engine counts its own verdicts */
		struct tw_ipsec_sa_stats a;

		tw_ipsec_ah_stats(sa->ah, &a);
		out->stats.packets += a.packets;
		out->stats.octets += a.octets;
		out->stats.auth_fail += a.auth_fail;
		out->stats.replay_drop += a.replay_drop;
		out->stats.bad += a.bad;
		out->stats.seq_overflow += a.seq_overflow;
	}
}

int tw_ipsec_sa_get(const struct tw_ipsec *ctx, enum tw_ipsec_dir dir,
		    enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
		    const uint8_t *dst, struct tw_ipsec_sa_info *out)
{
	const struct ipsec_sa *sa;

	if (ctx == NULL || out == NULL || dst == NULL || (ipv != 4 && ipv != 6))
		return -EINVAL;
	sa = find(ctx, dir, proto, spi, ipv, dst);
	if (sa == NULL)
		return -ENOENT;
	sa_info(sa, ctx->n_workers, out);
	return 0;
}

int tw_ipsec_sa_iterate(const struct tw_ipsec *ctx, uint32_t *next,
			struct tw_ipsec_sa_info *out)
{
	const struct tw_keys_5t *k;
	void *d;
	int rc;

	if (ctx == NULL || next == NULL || out == NULL)
		return -EINVAL;
	rc = tw_keys_iterate(ctx->sas, next, &k, &d);
	if (rc == 1)
		sa_info(d, ctx->n_workers, out);
	return rc;
}

uint64_t tw_ipsec_generation(const struct tw_ipsec *ctx)
{
	return ctx != NULL ? __atomic_load_n(&ctx->gen, __ATOMIC_ACQUIRE) : 0;
}

unsigned tw_ipsec_sa_count(const struct tw_ipsec *ctx)
{
	return ctx != NULL ? tw_keys_count(ctx->sas) : 0;
}

int tw_ipsec_sa_add(struct tw_ipsec *ctx, const struct tw_ipsec_sa_conf *c)
{
	int rc;

	rte_spinlock_lock(&tw_ipsec_tel_lock);
	rc = locked_sa_add(ctx, c);
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}

int tw_ipsec_sa_del(struct tw_ipsec *ctx, enum tw_ipsec_dir dir,
		    enum tw_ipsec_proto proto, uint32_t spi, unsigned ipv,
		    const uint8_t *dst)
{
	int rc;

	rte_spinlock_lock(&tw_ipsec_tel_lock);
	rc = locked_sa_del(ctx, dir, proto, spi, ipv, dst);
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}

int tw_ipsec_sa_pair(struct tw_ipsec *ctx, enum tw_ipsec_proto proto,
		     uint32_t in_spi, unsigned ipv, const uint8_t *dst,
		     uint32_t out_spi)
{
	int rc;

	rte_spinlock_lock(&tw_ipsec_tel_lock);
	rc = locked_sa_pair(ctx, proto, in_spi, ipv, dst, out_spi);
	rte_spinlock_unlock(&tw_ipsec_tel_lock);
	return rc;
}
