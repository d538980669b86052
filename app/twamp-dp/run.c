/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-dp run mode: config -> EAL -> ports -> reflector -> workers on their
 * lcores, the main lcore serving the exception path until SIGINT/SIGTERM,
 * then everything undone in reverse order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "tw_config.h"
#include "tw_dataplane.h"
#include "twamp_dp.h"
#include "ctrl.h"
#include "keyimp.h"
#include "recv.h"
#include "refl.h"
#include "send.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char when[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", when, (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

void app_log(const char *fmt, ...)
{
	char when[40], line[1024];
	va_list ap;

	timestamp(when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fprintf per line: lines from threads do not interleave */
	fprintf(stderr, "%s twamp-dp: %s\n", when, line);
}

/* DPDK's log stream: every line on stderr with the same timestamp prefix.
 * DPDK writes one message per call (under its own lock), so a message is
 * split at newlines and nothing is buffered across calls. */
static ssize_t dpdk_log_write(void *cookie, const char *buf, size_t len)
{
	size_t off = 0;

	(void)cookie;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		char when[40];

		timestamp(when, sizeof(when));
		fprintf(stderr, "%s dpdk: %.*s\n", when, (int)n, buf + off);
		off += n + (nl != NULL);
	}
	return (ssize_t)len;
}

static FILE *dpdk_log_open(void)
{
	cookie_io_functions_t io = { .write = dpdk_log_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (f != NULL)
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}

static struct tw_config *load_config(const char *path)
{
	struct tw_config_diag diag = { 0 };
	struct tw_config *cfg = NULL;
	int rc = path != NULL ?
		tw_config_load(path, &cfg, &diag) :
		tw_config_load_buffer(DEFAULT_NAME, tw_default_config,
				      tw_default_config_len, &cfg, &diag);

	/* the same messages as --check prints */
	for (unsigned i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i].text);
	if (diag.truncated)
		fprintf(stderr, "twamp-dp: too many messages; %u errors in all\n",
			diag.n_errors);
	tw_config_diag_free(&diag);
	return rc < 0 ? NULL : cfg;
}

static void map_port(const struct tw_config_port *cp, struct tw_dp_port_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->name, sizeof(pc->name), "%s", cp->name);
	snprintf(pc->device, sizeof(pc->device), "%s", cp->device);
	for (unsigned i = 0; i < cp->n_ipv4 && pc->n_addrs < RTE_DIM(pc->addrs); i++) {
		struct tw_dp_prefix *p = &pc->addrs[pc->n_addrs++];

		p->family = AF_INET;
		p->len = cp->ipv4[i].prefix;
		memcpy(p->addr, cp->ipv4[i].addr, 16);
	}
	for (unsigned i = 0; i < cp->n_ipv6 && pc->n_addrs < RTE_DIM(pc->addrs); i++) {
		struct tw_dp_prefix *p = &pc->addrs[pc->n_addrs++];

		p->family = AF_INET6;
		p->len = cp->ipv6[i].prefix;
		memcpy(p->addr, cp->ipv6[i].addr, 16);
	}
	pc->vlan = cp->vlan;
	pc->has_mac = cp->has_mac;
	memcpy(pc->mac, cp->mac, 6);
	pc->rx_desc = cp->rx_desc;
	pc->tx_desc = cp->tx_desc;
	pc->exception = cp->exception == TW_CONFIG_EXC_TAP;
}

static void log_port(const struct tw_dp *dp, unsigned idx, const struct tw_dp_port_conf *pc)
{
	struct tw_dp_port_info pi;
	char addrs[512] = "", a[INET6_ADDRSTRLEN];
	size_t off = 0;

	if (tw_dp_port_info(dp, idx, &pi) != 0)
		return;
	for (unsigned i = 0; i < pc->n_addrs && off < sizeof(addrs); i++) {
		inet_ntop(pc->addrs[i].family, pc->addrs[i].addr, a, sizeof(a));
		off += (size_t)snprintf(addrs + off, sizeof(addrs) - off, " %s/%u", a,
					pc->addrs[i].len);
	}
	app_log("port %s: %s (ethdev %u), MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		"%u queue(s), RX timestamps %s, TAP %s, addresses%s",
		pi.name, pi.devname, pi.port_id, pi.mac[0], pi.mac[1], pi.mac[2],
		pi.mac[3], pi.mac[4], pi.mac[5], pi.queues,
		pi.hw_rx_timestamp ? "hardware" : "TSC",
		pi.tap_ifname[0] != '\0' ? pi.tap_ifname : "none (no exception path)",
		off > 0 ? addrs : " none");
}

/* rte_eal_init() reorders its argv: give it a copy, program name first. */
static int eal_init(const struct tw_config *cfg, const char *prog)
{
	char *argv[TW_CONFIG_EAL_MAX + 2];
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t)prog;
	for (unsigned i = 0; i < cfg->n_eal; i++)
		argv[argc++] = cfg->eal[i];
	argv[argc] = NULL;
	return rte_eal_init(argc, argv);
}

/* One worker on the main lcore is allowed (a one-core machine): the control
 * loop then polls the worker itself. */
static int check_lcores(const struct tw_config *cfg, bool *inline_worker)
{
	unsigned main_lc = rte_get_main_lcore();

	*inline_worker = cfg->n_lcores == 1 && cfg->lcores[0] == main_lc;
	if (*inline_worker)
		return 0;
	for (unsigned i = 0; i < cfg->n_lcores; i++) {
		unsigned lc = cfg->lcores[i];

		if (lc == main_lc) {
			app_log("workers.lcores: lcore %u is the main (control) lcore; with "
				"more than one worker give EAL more lcores (-l) or pick another", lc);
			return -1;
		}
		if (lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc)) {
			app_log("workers.lcores: lcore %u is not enabled in EAL (eal: -l ...)", lc);
			return -1;
		}
	}
	return 0;
}

int app_run(const struct app_opts *o)
{
	struct tw_dp_port_conf pcs[TW_DP_PORTS_MAX];
	struct tw_dp_conf conf = { 0 };
	struct tw_config *cfg;
	struct app_refl *refl = NULL;
	struct app_send *snd = NULL;
	bool snd_launched = false;
	struct app_ctrl *ctrl = NULL;
	struct app_keyimp *kimp = NULL;
	struct tw_dp *dp = NULL;
	FILE *dpdk_log;
	struct rte_rcu_qsbr *qsbr = NULL;
	bool inline_worker = false;
	unsigned launched = 0;
	char err[512];
	int rc, status = 1;

	cfg = load_config(o->config);
	if (cfg == NULL)
		return 1;
	app_log("starting (config %s)", o->config != NULL ? o->config : DEFAULT_NAME);
	if (cfg->n_ports > TW_DP_PORTS_MAX || cfg->n_lcores > TW_DP_WORKERS_MAX) {
		app_log("too many ports or workers");
		tw_config_free(cfg);
		return 1;
	}
	dpdk_log = dpdk_log_open();
	if (dpdk_log != NULL)
		rte_openlog_stream(dpdk_log);
	rc = eal_init(cfg, "twamp-dp");
	if (rc < 0) {
		app_log("EAL initialisation failed: %s", rte_strerror(rte_errno));
		rte_openlog_stream(NULL);
		if (dpdk_log != NULL)
			fclose(dpdk_log);
		tw_config_free(cfg);
		return 1;
	}
	app_log("EAL up: %u lcores, main lcore %u, runtime dir %s", rte_lcore_count(),
		rte_get_main_lcore(), rte_eal_get_runtime_dir());
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (check_lcores(cfg, &inline_worker) != 0)
		goto out_eal;

	for (unsigned i = 0; i < cfg->n_ports; i++)
		map_port(&cfg->ports[i], &pcs[i]);
	conf.ports = pcs;
	conf.n_ports = cfg->n_ports;
	conf.n_workers = cfg->n_lcores;
	conf.idle_sleep_us = o->idle_us >= 0 ? (uint32_t)o->idle_us : cfg->idle_sleep_us;
	conf.sender_txq = cfg->has_sender_lcore;

	refl = app_refl_create(cfg, conf.n_workers);
	if (refl == NULL)
		goto out_eal;
	conf.qsbr = app_refl_qsbr(refl);
	if (app_recv_create(cfg, conf.n_workers, conf.qsbr) != 0)
		goto out_refl;

	dp = tw_dp_ports_create(&conf, err, sizeof(err));
	if (dp == NULL) {
		app_log("%s", err);
		goto out_refl;
	}
	if (app_refl_attach(refl, dp, cfg) != 0 || app_recv_attach(dp) != 0)
		goto out_dp;
	snd = app_send_create(cfg, dp);
	if (snd == NULL)
		goto out_dp;
	rc = tw_dp_telemetry_register(dp);
	if (rc != 0)
		app_log("telemetry commands not registered (%s); twamp-ctl will not see them",
			strerror(-rc));
	rc = tw_dp_ports_start(dp, err, sizeof(err));
	if (rc != 0) {
		app_log("%s", err);
		goto out_dp;
	}
	for (unsigned i = 0; i < cfg->n_ports; i++)
		log_port(dp, i, &pcs[i]);
	app_refl_log(refl, cfg);
	/* key import before control: RFC 7717 looks IKE SAs up in its table */
	kimp = app_keyimp_create(cfg, &rc);
	if (rc != 0)
		got_signal = -1;
	/* TCP on the TAP's addresses: after the ports (and TAPs) are up */
	ctrl = app_ctrl_create(cfg, refl, dp, &rc);
	if (rc != 0)
		got_signal = -1;
	/* configured, checked, but not served by this version yet */
	if (cfg->ipsec.n_sas > 0)
		app_log("warning: ipsec.sas: static SAs are not built yet; ignored");

	for (unsigned i = 0; i < cfg->n_lcores && !inline_worker; i++) {
		rc = rte_eal_remote_launch(tw_dp_worker_main, tw_dp_worker_arg(dp, i),
					   cfg->lcores[i]);
		if (rc != 0) {
			app_log("cannot launch worker %u on lcore %u: %s", i,
				cfg->lcores[i], strerror(-rc));
			got_signal = -1;
			break;
		}
		launched++;
	}
	if (!got_signal && app_send_dedicated(snd)) {
		unsigned lc = cfg->sender_lcore;

		if (lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc) || lc == rte_get_main_lcore()) {
			app_log("sender.lcore: lcore %u is %s (eal: -l ...)", lc,
				lc == rte_get_main_lcore() ? "the main (control) lcore" :
				"not enabled in EAL");
			got_signal = -1;
		} else if ((rc = rte_eal_remote_launch(app_send_main, snd, lc)) != 0) {
			app_log("cannot launch the sender on lcore %u: %s", lc, strerror(-rc));
			got_signal = -1;
		} else {
			snd_launched = true;
		}
	}
	if (!got_signal)
		app_send_start(snd);
	if (inline_worker) {
		/* what tw_dp_worker_main() does for QSBR thread 0 */
		qsbr = conf.qsbr;
		if (qsbr != NULL) {
			rte_rcu_qsbr_thread_register(qsbr, 0);
			rte_rcu_qsbr_thread_online(qsbr, 0);
		}
		app_log("running: 1 worker on the main lcore %u with the control loop; "
			"SIGINT/SIGTERM stops", rte_get_main_lcore());
	} else if (launched == cfg->n_lcores && !got_signal) {
		char lcs[256] = "";
		size_t off = 0;

		for (unsigned i = 0; i < launched && off < sizeof(lcs); i++)
			off += (size_t)snprintf(lcs + off, sizeof(lcs) - off, " %u",
						cfg->lcores[i]);
		app_log("running: %u worker(s) on lcore(s)%s, control on lcore %u; "
			"SIGINT/SIGTERM stops", launched, lcs, rte_get_main_lcore());
	}

	while (!got_signal && inline_worker) {
		int n = tw_dp_worker_poll(dp, 0);

		if (qsbr != NULL)
			rte_rcu_qsbr_quiescent(qsbr, 0);
		if (tw_dp_service(dp) == 0 && n <= 0 && conf.idle_sleep_us > 0)
			usleep(conf.idle_sleep_us);
		app_refl_service(refl);
		app_recv_service();
		app_send_service(snd);
		app_ctrl_service(ctrl);
		app_keyimp_service(kimp);
	}
	for (unsigned pass = 1; !got_signal; pass++) {
		if (tw_dp_service(dp) == 0)
			usleep(conf.idle_sleep_us > 0 && conf.idle_sleep_us < 1000 ?
			       conf.idle_sleep_us : 1000);
		app_refl_service(refl);
		app_recv_service();
		app_send_service(snd);
		app_ctrl_service(ctrl);
		app_keyimp_service(kimp);
		/* a worker loop only returns on quit or on a setup error */
		for (unsigned i = 0; i < launched && pass % 256 == 0; i++) {
			if (rte_eal_get_lcore_state(cfg->lcores[i]) == WAIT) {
				app_log("worker %u on lcore %u stopped by itself", i,
					cfg->lcores[i]);
				got_signal = -1;
			}
		}
	}
	if (qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(qsbr, 0);
		rte_rcu_qsbr_thread_unregister(qsbr, 0);
	}
	if (got_signal > 0)
		app_log("%s: stopping", got_signal == SIGINT ? "SIGINT" : "SIGTERM");
	else
		app_log("stopping after an error");
	app_ctrl_destroy(ctrl); /* closes connections, removes their sessions */
	app_keyimp_destroy(kimp); /* removes the socket, wipes the keys */
	tw_dp_quit(dp);
	status = got_signal > 0 ? 0 : 1;
	for (unsigned i = 0; i < launched; i++) {
		rc = rte_eal_wait_lcore(cfg->lcores[i]);
		if (rc != 0) {
			app_log("worker %u on lcore %u returned %d", i, cfg->lcores[i], rc);
			status = 1;
		}
	}
	if (snd_launched && (rc = rte_eal_wait_lcore(cfg->sender_lcore)) != 0) {
		app_log("sender on lcore %u returned %d", cfg->sender_lcore, rc);
		status = 1;
	}
	rc = tw_dp_ports_stop(dp);
	if (rc != 0)
		app_log("stopping the ports: %s", strerror(-rc));
	app_log("workers stopped, ports stopped");
out_dp:
	app_send_destroy(snd);
	app_refl_detach(refl);
	tw_dp_ports_destroy(dp);
out_refl:
	app_recv_destroy();
	app_refl_destroy(refl);
out_eal:
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	if (dpdk_log != NULL)
		fclose(dpdk_log);
	tw_config_free(cfg);
	app_log("exit %d", status);
	return status;
}
