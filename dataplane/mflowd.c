/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflowd: the daemon. It reads the config before EAL starts, so that a bad
 * config never touches a device, then builds the VxLAN instance and the
 * ports, runs the datapath lcore, and serves signals from a control loop.
 *
 * Usage: mflowd <EAL args> -- --config FILE [--stats-file PATH]
 *               [--stats-interval SEC] [--check]
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "ct.h"
#include "ctl_coap.h"
#include "ctl_config.h"
#include "ctl_methods.h"
#include "ctl_rpc.h"
#include "ctl_server.h"
#include "ctl_telemetry.h"
#include "dp.h"
#include "dp_capture.h"
#include "dp_ops.h"

#define LOG(level, fmt, ...) RTE_LOG(level, USER1, "mflowd: " fmt "\n", ##__VA_ARGS__)

#define EXIT_CONFIG 2

static volatile sig_atomic_t sig_quit;
static volatile sig_atomic_t sig_dump;
static volatile sig_atomic_t sig_reload;

struct app {
	const char *config_path;
	char stats_file[CTL_PATH_LEN];
	unsigned int stats_interval;
	bool check_only;
	struct ctl_config cfg;
	struct dp dp;
	struct ctl_ctx ctx;		/**< What the control methods work on. */
	struct ctl_rpc *rpc;		/**< The method table. */
	struct ctl_server *srv;		/**< The control socket, NULL when disabled. */
	struct ctl_coap *coap;		/**< The CoAP endpoint, NULL when disabled. */
	char socket_path[CTL_PATH_LEN]; /**< --socket, overriding control.socket. */
	bool has_socket_path;
};

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_dump = 1;
	else if (sig == SIGHUP)
		sig_reload = 1;
	else
		sig_quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mflowd <EAL arguments> -- --config FILE [--stats-file PATH]\n"
		"              [--stats-interval SEC] [--socket PATH] [--check]\n"
		"  --config FILE         JSON configuration (docs/config.md)\n"
		"  --socket PATH         control socket (overrides control.socket; \"\" = none)\n"
		"  --stats-file PATH     write counters as JSON there (overrides stats.file)\n"
		"  --stats-interval SEC  rewrite the stats file every SEC seconds\n"
		"  --check               validate the configuration and exit\n"
		"Signals: SIGINT/SIGTERM stop, SIGUSR1 writes the stats file, SIGHUP\n"
		"re-reads the config file and applies the run-time part of \"mflow\".\n");
}

/* Parse the arguments after "--". Returns 0, or an exit code. */
static int
parse_app_args(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"stats-file", required_argument, NULL, 's'},
		{"stats-interval", required_argument, NULL, 'i'},
		{"check", no_argument, NULL, 'k'},
		{"socket", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			app->config_path = optarg;
			break;
		case 's':
			if (strlen(optarg) >= sizeof(app->stats_file)) {
				fprintf(stderr, "mflowd: --stats-file: path too long\n");
				return EXIT_CONFIG;
			}
			snprintf(app->stats_file, sizeof(app->stats_file), "%s", optarg);
			break;
		case 'i':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 0 || v > 3600) {
				fprintf(stderr,
					"mflowd: --stats-interval: expected 0..3600, got '%s'\n",
					optarg);
				return EXIT_CONFIG;
			}
			app->stats_interval = (unsigned int)v;
			break;
		case 'k':
			app->check_only = true;
			break;
		case 'S':
			if (strlen(optarg) >= sizeof(app->socket_path)) {
				fprintf(stderr, "mflowd: --socket: path too long\n");
				return EXIT_CONFIG;
			}
			snprintf(app->socket_path, sizeof(app->socket_path), "%s", optarg);
			app->has_socket_path = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mflowd: unexpected argument '%s'\n", argv[optind]);
		return EXIT_CONFIG;
	}
	if (app->config_path == NULL) {
		fprintf(stderr, "mflowd: --config FILE is required\n");
		usage(stderr);
		return EXIT_CONFIG;
	}
	return 0;
}

/* The run-time part of the mflow section, as the dataplane takes it. */
static void
mf_conf_from(const struct ctl_mflow_cfg *m, struct dp_mf_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = m->mode == CTL_MF_MICROFLOW ? DP_MODE_MICROFLOW
		  : m->mode == CTL_MF_PINNED  ? DP_MODE_PINNED
					      : DP_MODE_RTC;
	c->pick = m->pick == CTL_MF_PICK_LEAST ? DP_MF_PICK_LEAST : DP_MF_PICK_RR;
	c->workers = m->workers;
	c->batch_size = m->batch_size;
	c->merge_timeout_us = m->merge_timeout_us;
	c->window_us = m->elephant.window_us;
	c->promote_pkts = m->elephant.promote_pkts;
	c->promote_bytes = m->elephant.promote_bytes;
	c->demote_pkts = m->elephant.demote_pkts;
	c->demote_bytes = m->elephant.demote_bytes;
	c->promote_windows = m->elephant.promote_windows;
	c->demote_windows = m->elephant.demote_windows;
}

/* The lcore roles of the mflow section. */
static void
lcore_map_from(const struct ctl_mflow_cfg *m, struct dp_lcore_map *map)
{
	memset(map, 0, sizeof(*map));
	map->has_dispatch = m->dispatch_lcore >= 0;
	map->dispatch = map->has_dispatch ? (unsigned int)m->dispatch_lcore : 0;
	map->has_merge = m->merge_lcore >= 0;
	map->merge = map->has_merge ? (unsigned int)m->merge_lcore : 0;
	map->n_workers = m->n_worker_lcores;
	for (uint16_t i = 0; i < m->n_worker_lcores; i++)
		map->workers[i] = m->worker_lcores[i];
	map->ring_size = m->ring_size;
	map->flow_entries = m->elephant.table_size;
}

/* Build the VxLAN instance and open every port. Returns 0 or -errno. */
static int
setup(struct app *app)
{
	const struct ctl_config *cfg = &app->cfg;
	struct dp *dp = &app->dp;
	struct dp_params dpp = {
		.burst = cfg->dp.burst,
		.drain_us = cfg->dp.drain_us,
		.idle_polls = cfg->dp.idle_polls,
		.idle_sleep_us = cfg->dp.idle_sleep_us,
		.idle_sleep_max_us = cfg->dp.idle_sleep_max_us,
		.rxd = cfg->dp.rxd,
		.txd = cfg->dp.txd,
		.mbufs = cfg->dp.mbufs,
		.n_ports = (uint16_t)(cfg->n_eps + cfg->n_ports + 1),
	};
	struct vx_params vp = {0};
	uint64_t hz = rte_get_tsc_hz();

	lcore_map_from(&cfg->mflow, &dpp.map);
	mf_conf_from(&cfg->mflow, &dpp.mf);
	char ip[INET6_ADDRSTRLEN];
	int rc, idx;

	rc = dp_init(dp, &dpp);
	if (rc < 0) {
		LOG(ERR, "dataplane init failed: %s", strerror(-rc));
		return rc;
	}
	idx = dp_port_open(dp, "underlay", cfg->underlay.port, DP_PORT_UNDERLAY, 0,
			   cfg->underlay.mtu);
	if (idx < 0) {
		LOG(ERR, "underlay port '%s': %s", cfg->underlay.port, strerror(-idx));
		return idx;
	}

	vp.mac = cfg->underlay.has_mac ? cfg->underlay.mac : dp->ports[idx].mac;
	vp.ip4 = cfg->underlay.ip4;
	vp.plen4 = cfg->underlay.plen4;
	vp.ip6 = cfg->underlay.ip6;
	vp.plen6 = cfg->underlay.plen6;
	vp.gw4 = cfg->underlay.gw4;
	vp.gw6 = cfg->underlay.gw6;
	vp.mtu = cfg->underlay.mtu;
	vp.udp_port = cfg->underlay.udp_port;
	vp.underlay_port = (uint16_t)idx;
	vp.strict_reserved = cfg->underlay.strict_reserved;
	vp.udp6_zero_csum_rx = cfg->underlay.udp6_zero_csum_rx;
	vp.udp6_zero_csum_tx = cfg->underlay.udp6_zero_csum_tx;
	vp.fdb_size = cfg->dp.fdb_size;
	vp.fdb_age = hz * cfg->dp.fdb_age_s;
	vp.neigh.reachable = hz * cfg->dp.neigh_reachable_s;
	vp.neigh.retrans = hz * cfg->dp.neigh_retrans_ms / 1000;
	vp.neigh.failed = hz * cfg->dp.neigh_failed_s;
	vp.neigh.max_probes = cfg->dp.neigh_probes;
	vp.pool = dp->pools[dp->ports[idx].socket];
	vp.socket = dp->ports[idx].socket;
	dp->vx = vx_create(&vp);
	if (dp->vx == NULL) {
		LOG(ERR, "cannot create the VxLAN instance: %s", strerror(errno));
		return -errno;
	}

	for (unsigned int i = 0; i < cfg->n_vnis; i++) {
		rc = vx_vni_add(dp->vx, cfg->vnis[i].vni);
		if (rc < 0) {
			LOG(ERR, "vnis[%u]: cannot add VNI %u: %s", i, cfg->vnis[i].vni,
			    strerror(-rc));
			return rc;
		}
		for (unsigned int j = 0; j < cfg->vnis[i].n_vteps; j++) {
			rc = vx_vtep_add(dp->vx, cfg->vnis[i].vni, &cfg->vnis[i].vteps[j]);
			if (rc < 0) {
				LOG(ERR, "vnis[%u].vteps[%u]: cannot add VTEP %s: %s", i, j,
				    vx_ip_fmt(&cfg->vnis[i].vteps[j], ip, sizeof(ip)),
				    strerror(-rc));
				return rc;
			}
		}
	}
	for (unsigned int i = 0; i < cfg->n_eps; i++) {
		const struct ctl_ep_cfg *e = &cfg->eps[i];
		struct vx_endpoint ep = {
			.mac = e->mac,
			.vni = e->vni,
			.port = dp->n_ports,
			.mtu = e->mtu,
			.any_src_mac = e->any_src_mac,
		};

		snprintf(ep.name, sizeof(ep.name), "%s", e->name);
		rc = vx_endpoint_add(dp->vx, &ep);
		if (rc < 0) {
			LOG(ERR, "endpoints[%u] '%s': %s", i, e->name, strerror(-rc));
			return rc;
		}
		idx = dp_port_open(dp, e->name, e->port, DP_PORT_ENDPOINT, (uint16_t)rc, e->mtu);
		if (idx < 0) {
			LOG(ERR, "endpoints[%u] '%s': port '%s': %s", i, e->name, e->port,
			    strerror(-idx));
			return idx;
		}
	}
	/* Ports attached to nothing yet: the control plane attaches them. */
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct ctl_port_cfg *pc = &cfg->ports[i];

		idx = dp_port_open(dp, pc->name, pc->port, DP_PORT_ENDPOINT, VX_NONE, pc->mtu);
		if (idx < 0) {
			LOG(ERR, "ports[%u] '%s': port '%s': %s", i, pc->name, pc->port,
			    strerror(-idx));
			return idx;
		}
	}
	for (unsigned int i = 0; i < cfg->n_fdb; i++) {
		rc = vx_fdb_static_remote(dp->vx, cfg->fdb[i].vni, &cfg->fdb[i].mac,
					  &cfg->fdb[i].vtep);
		if (rc < 0) {
			LOG(ERR, "fdb[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	for (unsigned int i = 0; i < cfg->n_neigh; i++) {
		rc = vx_neigh_add_static(dp->vx, &cfg->neigh[i].ip, &cfg->neigh[i].mac);
		if (rc < 0) {
			LOG(ERR, "neighbours[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	rc = dp_pipe_create(dp);
	if (rc < 0) {
		LOG(ERR, "mflow: cannot create the pipeline: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* The CoAP endpoint has work (its descriptor is readable). */
static void
coap_ready(int fd, void *arg)
{
	struct app *app = arg;

	(void)fd;
	if (app->coap != NULL)
		ctl_coap_process(app->coap);
}

/* Open the control socket of @p cc (none for an empty path). Returns 0 or -errno. */
static int
server_start(struct app *app, const struct ctl_control_cfg *cc)
{
	struct ctl_server_params sp = {
		.path = cc->socket,
		.max_clients = cc->max_clients,
		.max_request = cc->max_request,
		.max_output = 64u << 20,
	};
	int rc;

	if (cc->socket[0] == '\0')
		return 0;
	if (cc->group[0] != '\0') {
		struct group *g = getgrnam(cc->group);

		if (g == NULL) {
			LOG(ERR, "control.group: no group '%s'", cc->group);
			return -ENOENT;
		}
		sp.has_group = true;
		sp.group = g->gr_gid;
	}
	app->srv = ctl_server_create(&sp, app->rpc);
	if (app->srv == NULL) {
		rc = -errno;
		LOG(ERR, "control socket %s: %s%s", cc->socket, strerror(-rc),
		    rc == -EADDRINUSE ? " (is another mflowd running?)" : "");
		return rc;
	}
	if (app->coap != NULL)
		ctl_server_watch_fd(app->srv, ctl_coap_fd(app->coap), coap_ready, app);
	LOG(INFO, "control socket %s", cc->socket);
	return 0;
}

/* Start the CoAP endpoint of @p cc (none when disabled). Returns 0 or -errno. */
static int
coap_start(struct app *app, const struct ctl_coap_cfg *cc)
{
	struct ctl_coap_params cp = {
		.address = cc->address,
		.port = cc->port,
		.dtls_port = cc->dtls_port,
		.psk_identity = cc->psk_identity,
		.psk_key = cc->psk_key,
		.psk_len = cc->psk_len,
		.observe_interval_ms = cc->observe_interval_ms,
		.max_payload = cc->max_payload,
	};
	int rc;

	if (!cc->enabled)
		return 0;
	app->coap = ctl_coap_create(&cp, app->rpc);
	if (app->coap == NULL) {
		rc = -errno;
		LOG(ERR, "coap: cannot serve on %s port %u/%u: %s", cp.address, cp.port,
		    cp.dtls_port, strerror(-rc));
		return rc;
	}
	if (app->srv != NULL)
		ctl_server_watch_fd(app->srv, ctl_coap_fd(app->coap), coap_ready, app);
	LOG(INFO, "coap on %s port %u (DTLS port %u)", cp.address, cp.port, cp.dtls_port);
	return 0;
}

static void
coap_stop(struct app *app)
{
	if (app->coap == NULL)
		return;
	if (app->srv != NULL)
		ctl_server_unwatch_fd(app->srv, ctl_coap_fd(app->coap));
	ctl_coap_destroy(app->coap);
	app->coap = NULL;
}

/*
 * Apply a change of the control socket or CoAP settings (control.set,
 * coap.set) once the request that asked for it has been answered: the
 * handler ran inside the front-end it replaces. The old front-end stops
 * first (the new one may want its address); when the new one cannot
 * start, the old settings are started again and the error is kept for
 * control.show / coap.show.
 */
static void
control_apply(struct app *app)
{
	struct ctl_ctx *c = &app->ctx;
	int rc;

	pthread_mutex_lock(&c->lock);
	if (c->coap_pending) {
		c->coap_pending = false;
		coap_stop(app);
		rc = coap_start(app, &c->coap_next);
		if (rc == 0) {
			c->coap = c->coap_next;
			c->coap_error[0] = '\0';
		} else {
			snprintf(c->coap_error, sizeof(c->coap_error), "%s", strerror(-rc));
			if (coap_start(app, &c->coap) < 0)
				c->coap.enabled = false;
		}
	}
	if (c->control_pending) {
		c->control_pending = false;
		ctl_server_destroy(app->srv);
		app->srv = NULL;
		rc = server_start(app, &c->control_next);
		if (rc == 0) {
			c->control = c->control_next;
			c->control_error[0] = '\0';
		} else {
			snprintf(c->control_error, sizeof(c->control_error), "%s", strerror(-rc));
			if (server_start(app, &c->control) < 0)
				c->control.socket[0] = '\0';
		}
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Start the control plane: the method table, the control socket, CoAP and
 * telemetry. Returns 0, or -errno after logging why.
 */
static int
control_start(struct app *app)
{
	struct ctl_ctx *c = &app->ctx;
	pthread_mutexattr_t ma;
	int rc;

	c->dp = &app->dp;
	c->boot = &app->cfg;
	snprintf(c->stats_file, sizeof(c->stats_file), "%s", app->stats_file);
	c->stats_interval_s = app->stats_interval;
	c->control = app->cfg.control;
	if (app->has_socket_path)
		snprintf(c->control.socket, sizeof(c->control.socket), "%s", app->socket_path);
	c->coap = app->cfg.coap;
	pthread_mutexattr_init(&ma);
	/* Handlers may call each other's core functions under the lock. */
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	app->rpc = ctl_rpc_create(c);
	if (app->rpc == NULL)
		return -ENOMEM;
	rc = ctl_methods_register(app->rpc);
	if (rc < 0) {
		LOG(ERR, "cannot register the control methods: %s", strerror(-rc));
		return rc;
	}
	rc = server_start(app, &c->control);
	if (rc < 0)
		return rc;
	rc = coap_start(app, &c->coap);
	if (rc < 0)
		return rc;
	rc = ctl_telemetry_start(app->rpc, c);
	if (rc < 0)
		LOG(WARNING, "telemetry commands not registered: %s", strerror(-rc));
	return 0;
}

/* Stop the control plane; safe on a partly started one. */
static void
control_stop(struct app *app)
{
	ctl_telemetry_stop();
	coap_stop(app);
	ctl_server_destroy(app->srv);
	app->srv = NULL;
	ctl_rpc_destroy(app->rpc);
	app->rpc = NULL;
}

static void
write_stats(struct app *app)
{
	int rc;

	/* The control methods may have moved it (stats.set). */
	if (app->ctx.stats_file[0] == '\0')
		return;
	rc = dp_stats_write(&app->dp, app->ctx.stats_file);
	if (rc < 0)
		LOG(WARNING, "cannot write %s: %s", app->ctx.stats_file, strerror(-rc));
}

/*
 * SIGHUP: re-read the config file and apply what may change at run time.
 * A file that does not parse, or that changes anything else, is refused
 * and nothing changes.
 */
static void
reload(struct app *app)
{
	struct ctl_config next;
	struct dp_mf_conf c;
	char err[CTL_ERR_LEN];
	int rc;

	rc = ctl_config_load(app->config_path, &next, err, sizeof(err));
	if (rc < 0) {
		LOG(ERR, "reload refused: %s", err);
		goto out_count;
	}
	rc = ctl_config_reload_check(&app->cfg, &next, err, sizeof(err));
	if (rc < 0) {
		LOG(ERR, "reload refused: %s", err);
		goto out_free;
	}
	mf_conf_from(&next.mflow, &c);
	rc = dp_mf_reconfigure(&app->dp, &c, dp_mf_reconfigure_wait_ms(&app->dp));
	if (rc == -EINPROGRESS) {
		/* The dispatch lcore is stuck; the change may still happen. */
		LOG(ERR, "reload pending: the dispatch lcore has not answered");
		goto out_free;
	}
	if (rc < 0) {
		LOG(ERR, "reload refused: mflow: %s",
		    rc == -ETIMEDOUT ? "the workers did not drain in time" : strerror(-rc));
		goto out_free;
	}
	/* The new file is now the reference for the next reload. */
	pthread_mutex_lock(&app->ctx.lock);
	ctl_config_free(&app->cfg);
	app->cfg = next;
	pthread_mutex_unlock(&app->ctx.lock);
	LOG(NOTICE, "reconfigured: mode %s workers %u batch %u pick %s", dp_mode_name(c.mode),
	    c.workers, c.batch_size, c.pick == DP_MF_PICK_LEAST ? "least" : "rr");
	return;

out_free:
	ctl_config_free(&next);
out_count:
	app->dp.mf_refused++;
}

/*
 * Wait up to 20 ms for control traffic and serve it: the socket's clients,
 * and CoAP through the socket's poll or on its own.
 */
static void
control_wait(struct app *app)
{
	if (app->srv != NULL) {
		ctl_server_poll(app->srv, 20);
	} else if (app->coap != NULL) {
		struct pollfd pfd = {.fd = ctl_coap_fd(app->coap), .events = POLLIN};

		poll(&pfd, 1, 20);
	} else {
		rte_delay_us_sleep(20 * 1000);
	}
	/* Timers (retransmissions, observe) are due even without traffic. */
	if (app->coap != NULL)
		ctl_coap_process(app->coap);
	dp_capture_poll(&app->dp);
	if (app->ctx.control_pending || app->ctx.coap_pending)
		control_apply(app);
}

/* ------------------------------------------------------------------------- */
/* Containers: the manager reaches the dataplane through its core functions. */

static int
ct_port_add(void *arg, const char *name, const char *devargs, uint16_t mtu)
{
	const struct dp_port_add_args a = {.name = name, .devargs = devargs, .mtu = mtu};

	return dp_port_add(arg, &a);
}

static int
ct_port_del(void *arg, const char *name)
{
	const struct dp_port_del_args a = {.name = name};

	return dp_port_del(arg, &a);
}

static int
ct_ep_attach(void *arg, const char *port, uint32_t vni, const uint8_t mac[6], uint16_t mtu)
{
	struct dp_ep_attach_args a = {.port = port, .vni = vni, .mtu = mtu};

	memcpy(a.mac.addr_bytes, mac, RTE_ETHER_ADDR_LEN);
	return dp_ep_attach(arg, &a);
}

static int
ct_ep_detach(void *arg, const char *port)
{
	const struct dp_ep_detach_args a = {.port = port};

	return dp_ep_detach(arg, &a);
}

static void
ct_log(const char *msg, void *arg)
{
	(void)arg;
	LOG(NOTICE, "%s", msg);
}

/*
 * Load the container records and re-adopt the containers (their ports
 * come back on the running dataplane). Failure only turns containers off.
 */
static void
containers_start(struct app *app)
{
	const struct ctl_containers_cfg *cc = &app->cfg.containers;
	const struct ct_dp_ops ops = {
		.port_add = ct_port_add,
		.port_del = ct_port_del,
		.ep_attach = ct_ep_attach,
		.ep_detach = ct_ep_detach,
		.arg = &app->dp,
	};
	struct ct_mgr_conf conf = {.pmd = cc->pmd};
	char err[256] = "";
	struct ct_mgr *m;
	unsigned int n;

	if (!cc->enabled)
		return;
	snprintf(conf.state_dir, sizeof(conf.state_dir), "%s", cc->state_dir);
	snprintf(conf.run_dir, sizeof(conf.run_dir), "%s", cc->run_dir);
	snprintf(conf.runtime, sizeof(conf.runtime), "%s", cc->runtime);
	m = ct_mgr_create(&conf, &ops, err, sizeof(err));
	if (m == NULL) {
		LOG(ERR, "containers are off: %s", err[0] != '\0' ? err : strerror(errno));
		return;
	}
	pthread_mutex_lock(&app->ctx.lock);
	n = ct_mgr_adopt(m, ct_log, NULL);
	app->ctx.ct = m;
	pthread_mutex_unlock(&app->ctx.lock);
	LOG(INFO, "containers: %u adopted from %s", n, conf.state_dir);
}

/* Serve signals, control clients and the stats timer until asked to stop. */
static void *
control_loop(void *arg)
{
	struct app *app = arg;
	uint64_t hz = rte_get_timer_hz(), next = rte_get_timer_cycles();

	containers_start(app);

	while (!sig_quit) {
		uint64_t now = rte_get_timer_cycles();

		if (sig_reload) {
			sig_reload = 0;
			reload(app);
		}
		if (sig_dump) {
			sig_dump = 0;
			pthread_mutex_lock(&app->ctx.lock);
			write_stats(app);
			pthread_mutex_unlock(&app->ctx.lock);
		}
		if (app->ctx.stats_interval_s != 0 && now >= next) {
			pthread_mutex_lock(&app->ctx.lock);
			write_stats(app);
			pthread_mutex_unlock(&app->ctx.lock);
			next = now + hz * app->ctx.stats_interval_s;
		}
		control_wait(app);
	}
	__atomic_store_n(&app->dp.quit, true, __ATOMIC_RELEASE);
	return NULL;
}

int
main(int argc, char **argv)
{
	static struct app app;
	char err[CTL_ERR_LEN];
	struct sigaction sa = {.sa_handler = on_signal};
	int sep, rc, ret = 1;

	/* First, so that a signal sent early is never fatal. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	for (sep = 1; sep < argc; sep++)
		if (strcmp(argv[sep], "--") == 0)
			break;
	if (sep == argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	rc = parse_app_args(&app, argc - sep, argv + sep);
	if (rc != 0)
		return rc;
	rc = ctl_config_load(app.config_path, &app.cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "mflowd: config error: %s\n", err);
		return EXIT_CONFIG;
	}
	if (app.stats_file[0] == '\0')
		snprintf(app.stats_file, sizeof(app.stats_file), "%s", app.cfg.stats_file);
	if (app.stats_interval == 0)
		app.stats_interval = app.cfg.stats_interval_s;
	if (app.check_only) {
		printf("mflowd: %s: configuration is valid\n", app.config_path);
		ctl_config_free(&app.cfg);
		return 0;
	}

	rc = rte_eal_init(sep, argv);
	if (rc < 0) {
		fprintf(stderr, "mflowd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		goto out_config;
	}
	rc = setup(&app);
	if (rc < 0)
		goto out_ports;
	rc = dp_ports_start(&app.dp);
	if (rc < 0)
		goto out_ports;
	LOG(INFO, "running: %u ports, %u VNIs, %u VTEPs, %u endpoints", app.dp.n_ports,
	    app.dp.vx->n_vnis, app.dp.vx->n_vteps, app.dp.vx->n_eps);

	{
		struct dp_mf_conf c;

		dp_mf_conf_get(&app.dp, &c);
		LOG(INFO, "mflow: mode %s, %u worker lcores (%u active), batch %u",
		    dp_mode_name(c.mode), app.dp.n_workers, app.dp.n_workers != 0 ? c.workers : 0,
		    c.batch_size);
	}
	rc = control_start(&app);
	if (rc < 0)
		goto out_control;
	rc = dp_launch(&app.dp);
	if (rc < 0)
		goto out_control;
	if (dp_main_has_role(&app.dp)) {
		pthread_t tid;

		rc = rte_ctrl_thread_create(&tid, "mflowd-ctl", NULL, control_loop, &app);
		if (rc != 0) {
			LOG(ERR, "cannot start the control thread: %s", strerror(rc));
			__atomic_store_n(&app.dp.quit, true, __ATOMIC_RELEASE);
			dp_wait(&app.dp);
			goto out_control;
		}
		dp_run_main(&app.dp);
		pthread_join(tid, NULL);
	} else {
		control_loop(&app);
	}
	dp_wait(&app.dp);
	LOG(INFO, "stopping");
	write_stats(&app);
	dp_stats_print(&app.dp, stdout);
	fflush(stdout);
	ret = 0;

out_control:
	/* Containers keep running; the next start adopts them. */
	ct_mgr_destroy(app.ctx.ct);
	app.ctx.ct = NULL;
	control_stop(&app);
	dp_capture_fini(&app.dp);
out_ports:
	dp_pipe_destroy(&app.dp);
	dp_ports_close(&app.dp);
	vx_destroy(app.dp.vx);
	dp_fini(&app.dp);
	rte_eal_cleanup();
out_config:
	ctl_config_free(&app.cfg);
	return ret;
}
