/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canonical YAML of the effective configuration. Every key is written in a
 * fixed order with its effective value, strings double-quoted, so the
 * output loads back to an equal struct (and diffs well). Secrets are never
 * written: the main config only names keys, the key file is referenced.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "config_priv.h"

const char *cfg_enum_name(int which, unsigned v);
enum { E_EXC, E_PROTO, E_TMODE, E_SCHED, E_PROFILE, E_TOKEN, E_DIR, E_SAPROTO,
       E_SAMODE, E_ENCAP, E_CIPHER, E_AUTH, E_PP, E_ECN, E_VARIANT, E_DSECRET };

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_addr(FILE *f, const struct tw_config_addr *a, bool prefix)
{
	char buf[INET6_ADDRSTRLEN];

	tw_config_addr_str(a, buf, sizeof(buf));
	if (prefix)
		fprintf(f, "\"%s/%u\"", buf, a->prefix);
	else
		fprintf(f, "\"%s\"", buf);
}

static void put_addrs(FILE *f, const struct tw_config_addr *a, unsigned n)
{
	fputc('[', f);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		put_addr(f, &a[i], true);
	}
	fputs("]\n", f);
}

static void put_bits(FILE *f, uint32_t bits)
{
	bool first = true;

	fputc('[', f);
	for (uint32_t b = 1; b != 0 && b <= bits; b <<= 1) {
		const char *n = tw_config_mode_name(b);

		if (!(bits & b) || n == NULL)
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", n);
		first = false;
	}
	fputs("]\n", f);
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static void dump_ports(const struct tw_config *cfg, FILE *f)
{
	fprintf(f, "ports:\n");
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct tw_config_port *p = &cfg->ports[i];

		fputs("  - name: ", f);
		put_str(f, p->name);
		fputs("\n    device: ", f);
		put_str(f, p->device);
		fputs("\n    ipv4: ", f);
		put_addrs(f, p->ipv4, p->n_ipv4);
		fputs("    ipv6: ", f);
		put_addrs(f, p->ipv6, p->n_ipv6);
		fprintf(f, "    vlan: %u\n", p->vlan);
		if (p->has_mac)
			fprintf(f, "    mac: \"%02x:%02x:%02x:%02x:%02x:%02x\"\n",
				p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4],
				p->mac[5]);
		else
			fputs("    mac: auto\n", f);
		fprintf(f, "    exception: %s\n", cfg_enum_name(E_EXC, p->exception));
		fprintf(f, "    rx_desc: %u\n    tx_desc: %u\n", p->rx_desc, p->tx_desc);
	}
	if (cfg->n_ports == 0)
		fputs("  []\n", f);
}

static void dump_control(const struct tw_config_control *c, FILE *f)
{
	fprintf(f, "  control:\n    enabled: %s\n    listen: [", tf(c->enabled));
	for (unsigned i = 0; i < c->n_listen; i++) {
		char buf[INET6_ADDRSTRLEN];
		const struct tw_config_endpoint *e = &c->listen[i];

		tw_config_addr_str(&e->ip, buf, sizeof(buf));
		fprintf(f, e->ip.family == 4 ? "%s\"%s:%u\"" : "%s\"[%s]:%u\"",
			i ? ", " : "", buf, e->port);
	}
	fputs("]\n    modes: ", f);
	put_bits(f, c->modes);
	fputs("    options: ", f);
	put_bits(f, c->options);
	fputs("    keys: ", f);
	put_str(f, c->keys);
	fprintf(f, "\n    count: %u\n    max_connections: %u\n    max_sessions: %u\n"
		"    max_sessions_per_connection: %u\n    servwait_s: %u\n"
		"    refwait_s: %u\n    owamp_port: %u\n", c->count, c->max_connections,
		c->max_sessions, c->max_sessions_per_connection, c->servwait_s, c->refwait_s,
		c->owamp_port);
}

static void dump_reflector(const struct tw_config *cfg, FILE *f)
{
	fputs("reflector:\n", f);
	dump_control(&cfg->control, f);
	fputs("  light:", f);
	fputs(cfg->n_light ? "\n" : " []\n", f);
	for (unsigned i = 0; i < cfg->n_light; i++) {
		const struct tw_config_light *l = &cfg->light[i];

		fprintf(f, "    - port: %u\n      protocol: %s\n      mode: %s\n"
			"      key_id: ", l->port, cfg_enum_name(E_PROTO, l->protocol),
			cfg_enum_name(E_TMODE, l->mode));
		put_str(f, l->key_id);
		fprintf(f, "\n      stateful: %s\n      allow: ", tf(l->stateful));
		put_addrs(f, l->allow, l->n_allow);
	}
	fputs("  static_sessions:", f);
	fputs(cfg->n_statics ? "\n" : " []\n", f);
	for (unsigned i = 0; i < cfg->n_statics; i++) {
		const struct tw_config_static *s = &cfg->statics[i];

		fputs("    - peer: ", f);
		put_addr(f, &s->peer, false);
		fprintf(f, "\n      peer_port: %u\n      port: %u\n      protocol: %s\n"
			"      mode: %s\n      key_id: ", s->peer_port, s->port,
			cfg_enum_name(E_PROTO, s->protocol), cfg_enum_name(E_TMODE, s->mode));
		put_str(f, s->key_id);
		fprintf(f, "\n      stateful: %s\n", tf(s->stateful));
	}
}

static void dump_sender(const struct tw_config *cfg, FILE *f)
{
	fputs("sender:\n", f);
	if (cfg->has_sender_lcore)
		fprintf(f, "  lcore: %u\n", cfg->sender_lcore);
	fputs("  sessions:", f);
	fputs(cfg->n_sessions ? "\n" : " []\n", f);
	for (unsigned i = 0; i < cfg->n_sessions; i++) {
		const struct tw_config_session *s = &cfg->sessions[i];

		fputs("    - name: ", f);
		put_str(f, s->name);
		fputs("\n      peer: ", f);
		put_addr(f, &s->peer, false);
		fprintf(f, "\n      peer_port: %u\n      port: ", s->peer_port);
		put_str(f, s->port);
		fprintf(f, "\n      src_port: %u\n      protocol: %s\n      mode: %s\n"
			"      key_id: ", s->src_port, cfg_enum_name(E_PROTO, s->protocol),
			cfg_enum_name(E_TMODE, s->mode));
		put_str(f, s->key_id);
		fputc('\n', f);
		if (s->by_duration)
			fprintf(f, "      duration_s: %u\n", s->duration_s);
		else
			fprintf(f, "      count: %llu\n", (unsigned long long)s->count);
		if (s->by_interval)
			fprintf(f, "      interval_us: %u\n", s->interval_us);
		else
			fprintf(f, "      rate_pps: %u\n", s->rate_pps);
		fprintf(f, "      schedule: %s\n      padding: %u\n      dscp: %u\n"
			"      ecn: %u\n      timeout_s: %u\n",
			cfg_enum_name(E_SCHED, s->schedule), s->padding, s->dscp, s->ecn,
			s->timeout_s);
		if (s->protocol == TW_CONFIG_PROTO_TWAMP) {
			fputs("      options: ", f);
			put_bits(f, s->options);
			fprintf(f, "      reflect_padding: %u\n", s->reflect_padding);
		}
		/* printed when set: older canonical outputs stay valid */
		if (s->ikev2)
			fputs("      ikev2: true\n", f);
		if (s->sa_spi != 0)
			fprintf(f, "      sa_spi: 0x%x\n", s->sa_spi);
	}
}

static void dump_ipsec(const struct tw_config_ipsec *ip, FILE *f)
{
	fputs("ipsec:\n  key_import:\n    socket: ", f);
	put_str(f, ip->key_import_socket);
	fprintf(f, "\n  ikev2:\n    profile: %s\n    token_key: %s\n",
		cfg_enum_name(E_PROFILE, ip->profile), cfg_enum_name(E_TOKEN, ip->token_key));
	if (ip->profile == TW_CONFIG_IKEV2_DRAFT) {
		fprintf(f, "    variant: %s\n", cfg_enum_name(E_VARIANT, ip->variant));
		if (ip->variant != TW_CONFIG_VARIANT_ALT2)
			fprintf(f, "    secret: %s\n", cfg_enum_name(E_DSECRET, ip->secret));
		if (ip->variant == TW_CONFIG_VARIANT_BASE)
			fprintf(f, "    sid_key: %s\n", ip->sid_key ? "true" : "false");
	}
	fputs("  sas:", f);
	fputs(ip->n_sas ? "\n" : " []\n", f);
	for (unsigned i = 0; i < ip->n_sas; i++) {
		const struct tw_config_sa *sa = &ip->sas[i];

		fprintf(f, "    - spi: 0x%08x\n      direction: %s\n      src: ", sa->spi,
			cfg_enum_name(E_DIR, sa->dir));
		put_addr(f, &sa->src, false);
		fputs("\n      dst: ", f);
		put_addr(f, &sa->dst, false);
		fprintf(f, "\n      proto: %s\n      mode: %s\n      encap: %s\n",
			cfg_enum_name(E_SAPROTO, sa->proto), cfg_enum_name(E_SAMODE, sa->mode),
			cfg_enum_name(E_ENCAP, sa->encap_udp));
		if (sa->encap_udp)
			fprintf(f, "      encap_sport: %u\n      encap_dport: %u\n",
				sa->encap_sport, sa->encap_dport);
		fprintf(f, "      cipher: %s\n      auth: %s\n      cipher_key: ",
			cfg_enum_name(E_CIPHER, sa->cipher), cfg_enum_name(E_AUTH, sa->auth));
		put_str(f, sa->cipher_key);
		fputs("\n      auth_key: ", f);
		put_str(f, sa->auth_key);
		if (sa->dir == TW_CONFIG_DIR_IN)
			fprintf(f, "\n      replay_window: %u", sa->replay_window);
		fprintf(f, "\n      esn: %s\n", sa->esn ? "true" : "false");
		if (sa->dir == TW_CONFIG_DIR_OUT && sa->mode == TW_CONFIG_SA_TUNNEL) {
			if (sa->outer_dscp_fixed)
				fprintf(f, "      outer_dscp: %u\n", sa->outer_dscp);
			else
				fputs("      outer_dscp: copy\n", f);
		}
	}
}

int tw_config_dump(const struct tw_config *cfg, FILE *f)
{
	fputs("eal: [", f);
	for (unsigned i = 0; i < cfg->n_eal; i++) {
		if (i)
			fputs(", ", f);
		put_str(f, cfg->eal[i]);
	}
	fputs("]\n", f);
	dump_ports(cfg, f);
	fputs("workers:\n  lcores: [", f);
	for (unsigned i = 0; i < cfg->n_lcores; i++)
		fprintf(f, "%s%u", i ? ", " : "", cfg->lcores[i]);
	fprintf(f, "]\n  idle_sleep_us: %u\n", cfg->idle_sleep_us);
	dump_reflector(cfg, f);
	dump_sender(cfg, f);
	dump_ipsec(&cfg->ipsec, f);
	fprintf(f, "telemetry:\n  counters: %s\n  turnaround: %s\n  interval_s: %u\n",
		tf(cfg->telemetry.counters), tf(cfg->telemetry.turnaround),
		cfg->telemetry.interval_s);
	fputs("results:\n  dir: ", f);
	put_str(f, cfg->results.dir);
	fprintf(f, "\n  per_packet: %s\n", cfg_enum_name(E_PP, cfg->results.per_packet));
	return ferror(f) ? -EIO : 0;
}
