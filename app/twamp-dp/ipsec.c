/* SPDX-License-Identifier: BSD-3-Clause */
/* twamp-dp: lib/ipsec wired to the data plane; static SAs from ipsec.sas. */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "ipsec.h"
#include "twamp_dp.h"

static struct tw_ipsec *ctx;

static uint16_t esp_in(void *arg, unsigned worker, struct rte_mbuf **pkts, uint16_t n,
		       uint8_t verdict[], void *reply[])
{
	/* lib/ipsec's verdicts are the data plane's (NOT_OURS/INNER/DROP) */
	return tw_ipsec_dp_inbound(arg, worker, pkts, n, verdict, reply);
}

static uint16_t esp_out(void *arg, unsigned worker, struct rte_mbuf **pkts, void *reply[],
			uint16_t n)
{
	return tw_ipsec_dp_outbound(arg, worker, pkts, reply, n);
}

static void esp_inner_drop(void *arg, unsigned worker, void *reply)
{
	tw_ipsec_dp_inner_drop(arg, worker, reply);
}

static bool esp_inner_ok(void *arg, unsigned worker, void *reply, unsigned ipv,
			 const uint8_t *src, const uint8_t *dst, uint8_t proto,
			 uint16_t sport, uint16_t dport)
{
	return tw_ipsec_dp_inner_ok(arg, worker, reply, ipv, src, dst, proto, sport, dport);
}

_Static_assert((int)TW_DP_ESP_NOT_OURS == (int)TW_IPSEC_V_NOT_OURS &&
	       (int)TW_DP_ESP_INNER == (int)TW_IPSEC_V_INNER &&
	       (int)TW_DP_ESP_DROP == (int)TW_IPSEC_V_DROP &&
	       (int)TW_DP_ESP_HOST == (int)TW_IPSEC_V_HOST, "ESP verdicts agree");

int app_ipsec_create(const struct tw_config *cfg, unsigned n_workers,
		     struct rte_rcu_qsbr *qsbr)
{
	struct tw_ipsec_conf c = { 0 };

	if (cfg->ipsec.n_sas == 0 && cfg->ipsec.key_import_socket[0] == '\0')
		return 0;
	c.n_workers = n_workers;
	c.qsbr = qsbr;
	c.max_sas = 1024;
	c.socket = SOCKET_ID_ANY;
	c.action = TW_IPSEC_ACT_CPU_CRYPTO;
	c.name = "twdp";
	ctx = tw_ipsec_create(&c);
	if (ctx == NULL) {
		app_log("ipsec: cannot create the SA table and crypto devices: %s",
			strerror(errno));
		return -1;
	}
	return 0;
}

static enum tw_ipsec_cipher map_cipher(enum tw_config_cipher c)
{
	switch (c) {
	case TW_CONFIG_CIPHER_AES_GCM_128: return TW_IPSEC_CIPHER_AES_GCM_128;
	case TW_CONFIG_CIPHER_AES_GCM_256: return TW_IPSEC_CIPHER_AES_GCM_256;
	case TW_CONFIG_CIPHER_AES_CBC_128: return TW_IPSEC_CIPHER_AES_CBC_128;
	case TW_CONFIG_CIPHER_AES_CBC_256: return TW_IPSEC_CIPHER_AES_CBC_256;
	case TW_CONFIG_CIPHER_AES_CTR_128: return TW_IPSEC_CIPHER_AES_CTR_128;
	default: return TW_IPSEC_CIPHER_NULL;
	}
}

static enum tw_ipsec_auth map_auth(enum tw_config_auth a)
{
	switch (a) {
	case TW_CONFIG_AUTH_HMAC_SHA1_96: return TW_IPSEC_AUTH_HMAC_SHA1_96;
	case TW_CONFIG_AUTH_HMAC_SHA256_128: return TW_IPSEC_AUTH_HMAC_SHA256_128;
	default: return TW_IPSEC_AUTH_NONE;
	}
}

/* A key-file secret into @p dst; 0 or -1 (logged, nothing copied). */
static int secret(const struct tw_config *cfg, const char *name, unsigned want,
		  uint8_t *dst, uint8_t *len, unsigned idx, const char *what)
{
	const struct tw_config_key *k;

	if (want == 0) {
		*len = 0;
		return 0;
	}
	k = tw_config_key_find(&cfg->keys, name);
	if (k == NULL || !k->is_secret || k->len != want) {
		app_log("ipsec.sas[%u]: %s '%s' is not a %u-octet secret in the key file",
			idx, what, name, want);
		return -1;
	}
	memcpy(dst, k->value, want);
	*len = (uint8_t)want;
	return 0;
}

static int sa_conf(const struct tw_config *cfg, unsigned i, struct tw_ipsec_sa_conf *c)
{
	const struct tw_config_sa *s = &cfg->ipsec.sas[i];
	unsigned al = s->src.family == 4 ? 4 : 16;

	memset(c, 0, sizeof(*c));
	c->spi = s->spi;
	c->dir = s->dir == TW_CONFIG_DIR_IN ? TW_IPSEC_IN : TW_IPSEC_OUT;
	c->proto = s->proto == TW_CONFIG_SA_AH ? TW_IPSEC_AH : TW_IPSEC_ESP;
	c->mode = s->mode == TW_CONFIG_SA_TRANSPORT ? TW_IPSEC_TRANSPORT : TW_IPSEC_TUNNEL;
	c->ipv = s->src.family;
	memcpy(c->src, s->src.addr, al);
	memcpy(c->dst, s->dst.addr, al);
	c->encap_udp = s->encap_udp;
	c->encap_sport = s->encap_sport;
	c->encap_dport = s->encap_dport;
	c->cipher = map_cipher(s->cipher);
	c->auth = map_auth(s->auth);
	c->esn = s->esn;
	c->outer_dscp_fixed = s->outer_dscp_fixed;
	c->outer_dscp = s->outer_dscp;
	if (c->dir == TW_IPSEC_IN) {
		/* RFC 4303 §3.4.3: window 0 = the receiver does not check */
		c->replay_window = s->replay_window;
		c->no_replay = s->replay_window == 0;
	}
	if (secret(cfg, s->cipher_key, tw_ipsec_cipher_key_len(c->cipher), c->cipher_key,
		   &c->cipher_key_len, i, "cipher_key") != 0 ||
	    secret(cfg, s->auth_key, tw_ipsec_auth_key_len(c->auth), c->auth_key,
		   &c->auth_key_len, i, "auth_key") != 0)
		return -1;
	return 0;
}

/* The outbound SA that protects replies to inbound SA @p in: the reverse
 * addresses, same protocol; 0 when there is none. */
static uint32_t reply_spi(const struct tw_config *cfg, const struct tw_config_sa *in)
{
	for (unsigned j = 0; j < cfg->ipsec.n_sas; j++) {
		const struct tw_config_sa *o = &cfg->ipsec.sas[j];

		if (o->dir == TW_CONFIG_DIR_OUT && o->proto == in->proto &&
		    o->src.family == in->dst.family &&
		    memcmp(o->src.addr, in->dst.addr, 16) == 0 &&
		    memcmp(o->dst.addr, in->src.addr, 16) == 0)
			return o->spi;
	}
	return 0;
}

static int install(const struct tw_config *cfg)
{
	/* outbound first: inbound SAs name their reply SA */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < cfg->ipsec.n_sas; i++) {
			const struct tw_config_sa *s = &cfg->ipsec.sas[i];
			struct tw_ipsec_sa_conf c;
			int rc;

			if ((s->dir == TW_CONFIG_DIR_OUT) != (pass == 0))
				continue;
			if (sa_conf(cfg, i, &c) != 0)
				return -1;
			if (c.dir == TW_IPSEC_IN) {
				if (c.no_replay)
					app_log("ipsec.sas[%u]: SPI 0x%x: warning: replay_window 0, "
						"replay protection is off (RFC 4303 §3.4.3): replayed "
						"packets are reflected", i, c.spi);
				c.reply_spi = reply_spi(cfg, s);
				if (c.reply_spi == 0)
					app_log("ipsec.sas[%u]: no outbound SA back to its source: "
						"replies to SPI 0x%x are dropped", i, c.spi);
			}
			rc = tw_ipsec_sa_add(ctx, &c);
			memset(&c, 0, sizeof(c));
			if (rc != 0) {
				app_log("ipsec.sas[%u]: SPI 0x%x not installed: %s", i, s->spi,
					rc == -ENOTSUP ? "not supported by this build" :
					strerror(-rc));
				return -1;
			}
			app_log("ipsec: SA %s SPI 0x%x %s/%s %s%s%s", s->dir == TW_CONFIG_DIR_IN ?
				"in" : "out", s->spi, tw_ipsec_cipher_name(map_cipher(s->cipher)),
				tw_ipsec_auth_name(map_auth(s->auth)),
				s->mode == TW_CONFIG_SA_TRANSPORT ? "transport" : "tunnel",
				s->encap_udp ? " udp-encap" : "", s->esn ? " esn" : "");
		}
	}
	return 0;
}

int app_ipsec_attach(struct tw_dp *dp, const struct tw_config *cfg)
{
	const struct tw_dp_esp_ops ops = { .in = esp_in, .out = esp_out,
					   .inner_drop = esp_inner_drop,
					   .inner_ok = esp_inner_ok };
	int rc;

	if (ctx == NULL)
		return 0;
	rc = tw_dp_set_esp_handler(dp, &ops, ctx);
	/* RFC 3948 §2: IKE-negotiated ESP in UDP uses 4500 */
	if (rc == 0)
		rc = tw_dp_esp_udp_port(dp, 4500, true);
	for (unsigned i = 0; rc == 0 && i < cfg->ipsec.n_sas; i++)
		if (cfg->ipsec.sas[i].dir == TW_CONFIG_DIR_IN && cfg->ipsec.sas[i].encap_udp)
			rc = tw_dp_esp_udp_port(dp, cfg->ipsec.sas[i].encap_dport, true);
	if (rc != 0) {
		app_log("ipsec: cannot attach to the data plane: %s", strerror(-rc));
		return -1;
	}
	if (install(cfg) != 0)
		return -1;
	rc = tw_ipsec_telemetry_register(ctx);
	if (rc != 0)
		app_log("ipsec: telemetry commands not registered (%s)", strerror(-rc));
	return 0;
}

struct tw_ipsec *app_ipsec_get(void)
{
	return ctx;
}

void app_ipsec_destroy(void)
{
	tw_ipsec_destroy(ctx);
	ctx = NULL;
}
