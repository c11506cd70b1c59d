/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control module: the config parser, and writing a
 * config back (ctl_config_dump(), ctl_config_save()).
 *
 * Inline JSON documents are written with single quotes to keep them
 * readable; parse_sq() turns them into double quotes before parsing, so
 * test documents must not contain a real single quote.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl_config.h"
#include "ctl_test.h"

#ifndef CTL_TEST_DATA
#error "CTL_TEST_DATA must name the directory of the sample configs"
#endif

/** A private directory for files written by the tests. */
static char tmp_dir[64];

/** Replace single quotes by double quotes; the caller frees the copy. */
static char *
sq_to_dq(const char *sq)
{
	char *s = strdup(sq);

	assert_non_null(s);
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/** Parse a JSON document given as a jansson value; the value is stolen. */
static int
parse_doc(json_t *doc, struct ctl_config *cfg, char *err, size_t errlen)
{
	int ret;

	assert_non_null(doc);
	ret = ctl_config_parse(doc, cfg, err, errlen);
	json_decref(doc);
	return ret;
}

/** Parse a single-quoted JSON text; it must be valid JSON. */
static int
parse_sq(const char *sq, struct ctl_config *cfg, char *err, size_t errlen)
{
	char *text = sq_to_dq(sq);
	json_error_t jerr;
	json_t *doc;

	doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fail_msg("test document is not JSON (%d:%d: %s): %s", jerr.line, jerr.column,
			 jerr.text, text);
	free(text);
	return parse_doc(doc, cfg, err, errlen);
}

/** Assert that a config holds no arrays. */
static void
assert_empty(const struct ctl_config *cfg)
{
	assert_null(cfg->vnis);
	assert_int_equal(cfg->n_vnis, 0);
	assert_null(cfg->eps);
	assert_int_equal(cfg->n_eps, 0);
	assert_null(cfg->fdb);
	assert_int_equal(cfg->n_fdb, 0);
	assert_null(cfg->neigh);
	assert_int_equal(cfg->n_neigh, 0);
	assert_null(cfg->ports);
	assert_int_equal(cfg->n_ports, 0);
}

/**
 * Assert that an error message starts with "<path>: " and contains
 * @p what.
 */
static void
assert_error(const char *err, const char *path, const char *what)
{
	size_t plen = strlen(path);

	if (strncmp(err, path, plen) != 0 || err[plen] != ':' || err[plen + 1] != ' ')
		fail_msg("error \"%s\" does not start with path \"%s: \"", err, path);
	if (strstr(err + plen, what) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, what);
}

/** Parse a document (stolen) that must be rejected with the given path and text. */
static void
expect_doc_error(json_t *doc, const char *path, const char *what)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	memset(&cfg, 0xa5, sizeof(cfg));
	ret = parse_doc(doc, &cfg, err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg("expected -EINVAL for %s, got %d (%s)", path, ret, err);
	assert_error(err, path, what);
	assert_empty(&cfg);
}

/** Parse a document (stolen) that must be accepted. */
static void
expect_doc_ok(json_t *doc)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	ret = parse_doc(doc, &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("expected success, got %d: %s", ret, err);
	ctl_config_free(&cfg);
}

static void
assert_ip(const struct vx_ip *ip, const char *text)
{
	char buf[INET6_ADDRSTRLEN];

	assert_int_not_equal(ip->family, 0);
	assert_string_equal(vx_ip_fmt(ip, buf, sizeof(buf)), text);
}

static void
assert_mac(const struct rte_ether_addr *mac, const char *text)
{
	const uint8_t *b = mac->addr_bytes;
	char buf[32];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5]);
	assert_string_equal(buf, text);
}

/* ------------------------------------------------------------------------- */
/* Valid configs.                                                            */

/** Every key of the full example lands in the right field. */
/* Compare an mflow section field by field against what a test expects. */
static void
assert_mflow(const struct ctl_mflow_cfg *got, const struct ctl_mflow_cfg *want)
{
	assert_int_equal(got->mode, want->mode);
	assert_int_equal(got->dispatch_lcore, want->dispatch_lcore);
	assert_int_equal(got->merge_lcore, want->merge_lcore);
	assert_int_equal(got->n_worker_lcores, want->n_worker_lcores);
	for (unsigned int i = 0; i < want->n_worker_lcores; i++)
		assert_int_equal(got->worker_lcores[i], want->worker_lcores[i]);
	assert_int_equal(got->workers, want->workers);
	assert_int_equal(got->batch_size, want->batch_size);
	assert_int_equal(got->pick, want->pick);
	assert_int_equal(got->merge_timeout_us, want->merge_timeout_us);
	assert_int_equal(got->ring_size, want->ring_size);
	assert_int_equal(got->elephant.table_size, want->elephant.table_size);
	assert_int_equal(got->elephant.window_us, want->elephant.window_us);
	assert_true(got->elephant.promote_pkts == want->elephant.promote_pkts);
	assert_true(got->elephant.promote_bytes == want->elephant.promote_bytes);
	assert_true(got->elephant.demote_pkts == want->elephant.demote_pkts);
	assert_true(got->elephant.demote_bytes == want->elephant.demote_bytes);
	assert_int_equal(got->elephant.promote_windows, want->elephant.promote_windows);
	assert_int_equal(got->elephant.demote_windows, want->elephant.demote_windows);
}

/* Compare a control section field by field. */
static void
assert_control(const struct ctl_control_cfg *got, const struct ctl_control_cfg *want)
{
	assert_string_equal(got->socket, want->socket);
	assert_string_equal(got->group, want->group);
	assert_int_equal(got->max_clients, want->max_clients);
	assert_int_equal(got->max_request, want->max_request);
}

/* Compare a coap section field by field; the key byte by byte. */
static void
assert_coap(const struct ctl_coap_cfg *got, const struct ctl_coap_cfg *want)
{
	assert_int_equal(got->enabled, want->enabled);
	assert_string_equal(got->address, want->address);
	assert_int_equal(got->port, want->port);
	assert_int_equal(got->dtls_port, want->dtls_port);
	assert_string_equal(got->psk_identity, want->psk_identity);
	assert_int_equal(got->psk_len, want->psk_len);
	for (unsigned int i = 0; i < want->psk_len; i++)
		assert_int_equal(got->psk_key[i], want->psk_key[i]);
	assert_int_equal(got->observe_interval_ms, want->observe_interval_ms);
	assert_int_equal(got->max_payload, want->max_payload);
}

static void
test_full_example(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	(void)state;
	ret = ctl_config_load(CTL_TEST_DATA "/full.json", &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("full.json: %d: %s", ret, err);

	assert_string_equal(cfg.underlay.port, "net_af_xdp0,iface=mfu0");
	assert_int_equal(cfg.underlay.ip4.family, AF_INET);
	assert_ip(&cfg.underlay.ip4, "198.18.0.1");
	assert_int_equal(cfg.underlay.plen4, 24);
	assert_int_equal(cfg.underlay.ip6.family, AF_INET6);
	assert_ip(&cfg.underlay.ip6, "2001:2::1");
	assert_int_equal(cfg.underlay.plen6, 64);
	assert_ip(&cfg.underlay.gw4, "198.18.0.254");
	assert_ip(&cfg.underlay.gw6, "2001:2::fe");
	assert_true(cfg.underlay.has_mac);
	assert_mac(&cfg.underlay.mac, "02:00:00:00:00:01");
	assert_int_equal(cfg.underlay.mtu, 1600);
	assert_int_equal(cfg.underlay.udp_port, 4790);
	assert_true(cfg.underlay.udp6_zero_csum_tx);
	assert_true(cfg.underlay.udp6_zero_csum_rx);
	assert_false(cfg.underlay.strict_reserved);

	assert_int_equal(cfg.n_vnis, 3);
	assert_non_null(cfg.vnis);
	assert_int_equal(cfg.vnis[0].vni, 100);
	assert_int_equal(cfg.vnis[0].n_vteps, 2);
	assert_int_equal(cfg.vnis[0].vteps[0].family, AF_INET);
	assert_ip(&cfg.vnis[0].vteps[0], "198.18.0.2");
	assert_int_equal(cfg.vnis[0].vteps[1].family, AF_INET6);
	assert_ip(&cfg.vnis[0].vteps[1], "2001:2::2");
	assert_int_equal(cfg.vnis[1].vni, 200);
	assert_int_equal(cfg.vnis[1].n_vteps, 2);
	assert_ip(&cfg.vnis[1].vteps[0], "198.18.1.2");
	assert_ip(&cfg.vnis[1].vteps[1], "198.18.0.2");
	assert_int_equal(cfg.vnis[2].vni, 16777215);
	assert_int_equal(cfg.vnis[2].n_vteps, 0);

	assert_int_equal(cfg.n_eps, 3);
	assert_non_null(cfg.eps);
	assert_string_equal(cfg.eps[0].name, "c1");
	assert_string_equal(cfg.eps[0].port, "net_af_xdp1,iface=mfc1h");
	assert_int_equal(cfg.eps[0].vni, 100);
	assert_mac(&cfg.eps[0].mac, "02:00:00:00:01:01");
	assert_int_equal(cfg.eps[0].mtu, 1450);
	assert_true(cfg.eps[0].any_src_mac);
	assert_string_equal(cfg.eps[1].name, "c2");
	assert_string_equal(cfg.eps[1].port, "net_tap0,iface=mfc2h");
	assert_int_equal(cfg.eps[1].vni, 100);
	assert_mac(&cfg.eps[1].mac, "02:00:00:00:01:02");
	assert_int_equal(cfg.eps[1].mtu, 1500);
	assert_false(cfg.eps[1].any_src_mac);
	assert_string_equal(cfg.eps[2].name, "vm-3.a_B");
	assert_string_equal(cfg.eps[2].port,
			    "net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap");
	assert_int_equal(cfg.eps[2].vni, 200);
	assert_mac(&cfg.eps[2].mac, "02:00:00:00:01:01");
	assert_int_equal(cfg.eps[2].mtu, 9000);
	assert_false(cfg.eps[2].any_src_mac);

	assert_int_equal(cfg.n_ports, 2);
	assert_non_null(cfg.ports);
	assert_string_equal(cfg.ports[0].name, "spare0");
	assert_string_equal(cfg.ports[0].port, "net_tap1,iface=mfspare0");
	assert_int_equal(cfg.ports[0].mtu, 9000);
	assert_string_equal(cfg.ports[1].name, "spare-1");
	assert_string_equal(cfg.ports[1].port, "net_null7");
	assert_int_equal(cfg.ports[1].mtu, 1500);

	assert_int_equal(cfg.n_fdb, 3);
	assert_non_null(cfg.fdb);
	assert_int_equal(cfg.fdb[0].vni, 100);
	assert_mac(&cfg.fdb[0].mac, "02:00:00:00:02:01");
	assert_ip(&cfg.fdb[0].vtep, "198.18.0.2");
	assert_int_equal(cfg.fdb[1].vni, 100);
	assert_mac(&cfg.fdb[1].mac, "02:00:00:00:02:02");
	assert_ip(&cfg.fdb[1].vtep, "2001:2::2");
	assert_int_equal(cfg.fdb[2].vni, 200);
	assert_mac(&cfg.fdb[2].mac, "02:00:00:00:01:02");
	assert_ip(&cfg.fdb[2].vtep, "198.18.1.2");

	assert_int_equal(cfg.n_neigh, 2);
	assert_non_null(cfg.neigh);
	assert_ip(&cfg.neigh[0].ip, "198.18.0.2");
	assert_mac(&cfg.neigh[0].mac, "02:00:00:00:00:02");
	assert_ip(&cfg.neigh[1].ip, "2001:2::fe");
	assert_mac(&cfg.neigh[1].mac, "02:00:00:00:00:fe");

	assert_int_equal(cfg.dp.burst, 64);
	assert_int_equal(cfg.dp.drain_us, 50);
	assert_int_equal(cfg.dp.idle_polls, 0);
	assert_int_equal(cfg.dp.idle_sleep_us, 20);
	assert_int_equal(cfg.dp.idle_sleep_max_us, 640);
	assert_int_equal(cfg.dp.rxd, 2048);
	assert_int_equal(cfg.dp.txd, 512);
	assert_int_equal(cfg.dp.mbufs, 32767);
	assert_int_equal(cfg.dp.fdb_size, 131072);
	assert_int_equal(cfg.dp.fdb_age_s, 600);
	assert_int_equal(cfg.dp.neigh_reachable_s, 60);
	assert_int_equal(cfg.dp.neigh_retrans_ms, 500);
	assert_int_equal(cfg.dp.neigh_failed_s, 10);
	assert_int_equal(cfg.dp.neigh_probes, 5);

	assert_string_equal(cfg.stats_file, "/run/mflowd/stats.json");
	assert_int_equal(cfg.stats_interval_s, 5);

	assert_mflow(&cfg.mflow, &(struct ctl_mflow_cfg){
					 .mode = CTL_MF_MICROFLOW,
					 .dispatch_lcore = 0,
					 .merge_lcore = 1,
					 .n_worker_lcores = 4,
					 .worker_lcores = {2, 3, 5, 4},
					 .workers = 3,
					 .batch_size = 128,
					 .pick = CTL_MF_PICK_LEAST,
					 .merge_timeout_us = 500,
					 .ring_size = 1024,
					 .elephant = {8192, 2000, 200, 300000, 50, 75000, 3, 10}});

	assert_control(&cfg.control, &(struct ctl_control_cfg){.socket = "/run/mflowd/ctl.sock",
							       .group = "mflow",
							       .max_clients = 32,
							       .max_request = 1048576});
	assert_coap(&cfg.coap, &(struct ctl_coap_cfg){.enabled = true,
						      .address = "::1",
						      .port = 5683,
						      .dtls_port = 5684,
						      .psk_identity = "mflowctl",
						      .psk_key = "0123456789abcdef",
						      .psk_len = 16,
						      .observe_interval_ms = 500,
						      .max_payload = 8192});

	ctl_config_free(&cfg);
	assert_empty(&cfg);
}

/** Check every default of ctl_config_defaults() and of an absent key. */
static void
assert_defaults(const struct ctl_config *cfg)
{
	assert_int_equal(cfg->underlay.mtu, 1500);
	assert_int_equal(cfg->underlay.udp_port, 4789);
	assert_false(cfg->underlay.udp6_zero_csum_tx);
	assert_false(cfg->underlay.udp6_zero_csum_rx);
	assert_true(cfg->underlay.strict_reserved);
	assert_false(cfg->underlay.has_mac);
	assert_int_equal(cfg->underlay.gw4.family, 0);
	assert_int_equal(cfg->underlay.gw6.family, 0);
	assert_int_equal(cfg->dp.burst, 32);
	assert_int_equal(cfg->dp.drain_us, 100);
	assert_int_equal(cfg->dp.idle_polls, 1000);
	assert_int_equal(cfg->dp.idle_sleep_us, 100);
	assert_int_equal(cfg->dp.idle_sleep_max_us, 1000);
	assert_int_equal(cfg->dp.rxd, 4096);
	assert_int_equal(cfg->dp.txd, 4096);
	assert_int_equal(cfg->dp.mbufs, 16383);
	assert_int_equal(cfg->dp.fdb_size, 65536);
	assert_int_equal(cfg->dp.fdb_age_s, 300);
	assert_int_equal(cfg->dp.neigh_reachable_s, 30);
	assert_int_equal(cfg->dp.neigh_retrans_ms, 1000);
	assert_int_equal(cfg->dp.neigh_failed_s, 5);
	assert_int_equal(cfg->dp.neigh_probes, 3);
	assert_string_equal(cfg->stats_file, "");
	assert_int_equal(cfg->stats_interval_s, 0);
	assert_mflow(&cfg->mflow,
		     &(struct ctl_mflow_cfg){.mode = CTL_MF_RTC,
					     .dispatch_lcore = -1,
					     .merge_lcore = -1,
					     .batch_size = 256,
					     .pick = CTL_MF_PICK_RR,
					     .merge_timeout_us = 1000,
					     .ring_size = 4096,
					     .elephant = {4096, 1000, 100, 0, 25, 0, 2, 8}});
	assert_string_equal(CTL_SOCKET_PATH, "/run/mflowd/mflowd.sock");
	assert_control(&cfg->control, &(struct ctl_control_cfg){.socket = CTL_SOCKET_PATH,
								.group = "",
								.max_clients = 16,
								.max_request = 65536});
	assert_coap(&cfg->coap, &(struct ctl_coap_cfg){.enabled = false,
						       .address = "127.0.0.1",
						       .port = 5683,
						       .dtls_port = 0,
						       .psk_identity = "",
						       .psk_len = 0,
						       .observe_interval_ms = 1000,
						       .max_payload = 4096});
}

static void
test_defaults_function(void **state)
{
	struct ctl_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	ctl_config_defaults(&cfg);
	assert_defaults(&cfg);
	assert_empty(&cfg);
	assert_string_equal(cfg.underlay.port, "");
	assert_int_equal(cfg.underlay.ip4.family, 0);
	assert_int_equal(cfg.underlay.ip6.family, 0);
}

/** Absent keys take their defaults, both from a file and inline. */
static void
test_defaults_absent_keys(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	(void)state;
	ret = ctl_config_load(CTL_TEST_DATA "/minimal.json", &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("minimal.json: %d: %s", ret, err);
	assert_defaults(&cfg);
	assert_empty(&cfg);
	assert_string_equal(cfg.underlay.port, "net_null0");
	assert_int_equal(cfg.underlay.ip6.family, 0);
	ctl_config_free(&cfg);

	/* Optional keys of endpoints and vnis; empty objects and arrays. */
	ret = parse_sq("{'underlay':{'port':'net_null0','ip6':'2001:2::1/64'},"
		       "'vnis':[{'vni':7}],"
		       "'endpoints':[{'name':'e','port':'net_null1','vni':7,"
		       "'mac':'02:AB:cd:00:00:07'}],"
		       "'fdb':[],'neighbours':[],'dataplane':{},'stats':{},"
		       "'mflow':{'worker_lcores':[],'elephant':{}},"
		       "'ports':[{'name':'p','port':'net_null2'}],'control':{},'coap':{}}",
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("%d: %s", ret, err);
	assert_defaults(&cfg);
	assert_int_equal(cfg.underlay.ip4.family, 0);
	assert_int_equal(cfg.underlay.ip6.family, AF_INET6);
	assert_int_equal(cfg.underlay.plen6, 64);
	assert_int_equal(cfg.n_vnis, 1);
	assert_int_equal(cfg.vnis[0].n_vteps, 0);
	assert_int_equal(cfg.n_eps, 1);
	assert_int_equal(cfg.eps[0].mtu, 1500);
	assert_false(cfg.eps[0].any_src_mac);
	assert_mac(&cfg.eps[0].mac, "02:ab:cd:00:00:07");
	assert_int_equal(cfg.n_fdb, 0);
	assert_int_equal(cfg.n_neigh, 0);
	assert_int_equal(cfg.n_ports, 1);
	assert_int_equal(cfg.ports[0].mtu, 1500);
	ctl_config_free(&cfg);
}

/** Values at the edges of every range are accepted. */
static void
test_boundaries_accepted(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	(void)state;
	ret = parse_sq("{'underlay':{'port':'0000:03:00.0','ip4':'198.18.0.1/32','mtu':576,"
		       "'udp_port':1},"
		       "'vnis':[{'vni':0},{'vni':16777215}],"
		       "'endpoints':[{'name':'abcdefghijklmnopqrstuvwxyz01234','port':'net_null1',"
		       "'vni':0,'mac':'02:00:00:00:00:07','mtu':576}],"
		       "'dataplane':{'burst':1,'drain_us':1,'idle_polls':0,'idle_sleep_us':1,"
		       "'rx_desc':64,'tx_desc':64,'mbufs':1023,'fdb_size':16,'fdb_age_s':0,"
		       "'neigh_reachable_s':1,'neigh_retrans_ms':10,'neigh_failed_s':1,"
		       "'neigh_probes':1},"
		       "'stats':{'interval_s':0}}",
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("minimums: %d: %s", ret, err);
	assert_int_equal(cfg.underlay.mtu, 576);
	assert_int_equal(cfg.underlay.udp_port, 1);
	assert_int_equal(cfg.underlay.plen4, 32);
	assert_int_equal(cfg.vnis[0].vni, 0);
	assert_int_equal(cfg.vnis[1].vni, 16777215);
	assert_string_equal(cfg.eps[0].name, "abcdefghijklmnopqrstuvwxyz01234");
	assert_int_equal(cfg.eps[0].mtu, 576);
	assert_int_equal(cfg.dp.burst, 1);
	assert_int_equal(cfg.dp.drain_us, 1);
	assert_int_equal(cfg.dp.idle_polls, 0);
	assert_int_equal(cfg.dp.idle_sleep_us, 1);
	assert_int_equal(cfg.dp.idle_sleep_max_us, 1000);
	assert_int_equal(cfg.dp.rxd, 64);
	assert_int_equal(cfg.dp.txd, 64);
	assert_int_equal(cfg.dp.mbufs, 1023);
	assert_int_equal(cfg.dp.fdb_size, 16);
	assert_int_equal(cfg.dp.fdb_age_s, 0);
	assert_int_equal(cfg.dp.neigh_reachable_s, 1);
	assert_int_equal(cfg.dp.neigh_retrans_ms, 10);
	assert_int_equal(cfg.dp.neigh_failed_s, 1);
	assert_int_equal(cfg.dp.neigh_probes, 1);
	assert_int_equal(cfg.stats_interval_s, 0);
	ctl_config_free(&cfg);

	ret = parse_sq("{'underlay':{'port':'net_null0','ip6':'2001:2::1/128','mtu':9000,"
		       "'udp_port':65535},"
		       "'endpoints':[],"
		       "'dataplane':{'burst':512,'drain_us':100000,'idle_polls':10000000,"
		       "'idle_sleep_us':100000,'rx_desc':4096,'tx_desc':4096,'mbufs':1048575,"
		       "'fdb_size':4194304,'fdb_age_s':86400,'neigh_reachable_s':3600,"
		       "'neigh_retrans_ms':60000,'neigh_failed_s':3600,'neigh_probes':10},"
		       "'stats':{'interval_s':3600}}",
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("maximums: %d: %s", ret, err);
	assert_int_equal(cfg.underlay.mtu, 9000);
	assert_int_equal(cfg.underlay.udp_port, 65535);
	assert_int_equal(cfg.underlay.plen6, 128);
	assert_int_equal(cfg.dp.burst, 512);
	assert_int_equal(cfg.dp.drain_us, 100000);
	assert_int_equal(cfg.dp.idle_polls, 10000000);
	assert_int_equal(cfg.dp.idle_sleep_us, 100000);
	assert_int_equal(cfg.dp.idle_sleep_max_us, 100000);
	assert_int_equal(cfg.dp.rxd, 4096);
	assert_int_equal(cfg.dp.txd, 4096);
	assert_int_equal(cfg.dp.mbufs, 1048575);
	assert_int_equal(cfg.dp.fdb_size, 4194304);
	assert_int_equal(cfg.dp.fdb_age_s, 86400);
	assert_int_equal(cfg.dp.neigh_reachable_s, 3600);
	assert_int_equal(cfg.dp.neigh_retrans_ms, 60000);
	assert_int_equal(cfg.dp.neigh_failed_s, 3600);
	assert_int_equal(cfg.dp.neigh_probes, 10);
	assert_int_equal(cfg.stats_interval_s, 3600);
	ctl_config_free(&cfg);
}

static const char *write_tmp(const char *name, const char *text);

/* ------------------------------------------------------------------------- */
/* Rejected configs.                                                         */

/** A rejected document, the path its error must start with, and a substring. */
struct bad_case {
	const char *json; /**< Single-quoted JSON (or not JSON at all, with file set). */
	const char *path; /**< The message starts with "<path>: ". */
	const char *what; /**< The message contains this. */
	bool file;	  /**< Load it from a file; path is then "<line>:<column>". */
};

/* Fragments of the documents below. */
#define PORT0 "'port':'net_null0'"
#define IPS   "'ip4':'198.18.0.1/24','ip6':'2001:2::1/64'"
#define UL    "'underlay':{" PORT0 "," IPS "}"
/* An underlay with extra keys appended. */
#define ULX(x) "'underlay':{" PORT0 "," IPS "," x "}"
#define VNIS   "'vnis':[{'vni':100,'vteps':['198.18.0.2','2001:2::2']},{'vni':200}]"
#define EP(name, port, vni, mac) \
	"{'name':'" name "','port':'" port "','vni':" #vni ",'mac':'" mac "'}"
#define EPS "'endpoints':[" EP("c1", "net_null1", 100, "02:00:00:00:01:01") "]"
/* A document with the base underlay, VNIs and endpoint, plus x. */
#define DOC(x) "{" UL "," VNIS "," EPS "," x "}"
#define DP(x)  "{" UL ",'dataplane':{" x "}}"
#define MF(x)  "{" UL ",'mflow':{" x "}}"
/* An mflow section in microflow mode with two workers, plus x in elephant. */
#define ME(x) MF("'mode':'microflow','worker_lcores':[1,2],'elephant':{" x "}")
/* The base document with a ports array of x. */
#define PT(x) DOC("'ports':[" x "]")
/* One port with the given name and devargs. */
#define PORT(name, port) "{'name':'" name "','port':'" port "'}"
/* A control section of x. */
#define CT(x) "{" UL ",'control':{" x "}}"
/* A coap section of x. */
#define CO(x)  "{" UL ",'coap':{" x "}}"
#define CTS(x) "{" UL ",'containers':{" x "}}"

static const struct bad_case bad_cases[] = {
	/* Not JSON, or JSON that jansson refuses: loaded from a file. */
	{"{'underlay':}", "1:13", "unexpected token near '}'", true},
	{"{'underlay':{" PORT0 ",}}", "1:33", "string or '}' expected near '}'", true},
	{"{" UL ",'vnis':[{'vni':1,'vni':2}]}", "1:98", "duplicate object key near", true},
	{"{" UL "} {}", "1:78", "end of file expected", true},
	{"{" UL ",'vnis':[{'vni':1e400}]}", "1:96", "real number overflow", true},
	{"{" UL ",'vnis':[{'vni':99999999999999999999}]}", "1:111", "too big integer", true},
	{"{" UL ",'stats':{'file':'\\u0000'}}", "1:100", "\\u0000 is not allowed", true},
	{"'underlay'", "1:10", "'[' or '{' expected", true},
	/* Document shape and unknown keys. */
	{"[]", "top level", "expected an object, got array []"},
	{"{" UL ",'vni':[]}", "vni", "unknown key"},
	{"{" ULX("'prot':'x'") "}", "underlay.prot", "unknown key"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2','x':1}]"), "fdb[0].x",
	 "unknown key"},
	{"{" UL ",'vnis':[{'vni':1,'vtep':[]}]}", "vnis[0].vtep", "unknown key"},
	{DOC("'neighbours':[{'ip':'198.18.0.2','mac':'02:00:00:00:00:02','state':'x'}]"),
	 "neighbours[0].state", "unknown key"},
	{DP("'bursts':1"), "dataplane.bursts", "unknown key"},
	{"{" UL ",'stats':{'path':'/x'}}", "stats.path", "unknown key"},
	{"{" UL "," VNIS ",'endpoints':[{'name':'c1','port':'net_null1','vni':100,"
	 "'mac':'02:00:00:00:01:01','macs':1}]}",
	 "endpoints[0].macs", "unknown key"},
	/* Required keys. */
	{"{}", "underlay", "required key is missing"},
	{"{'underlay':{" IPS "}}", "underlay.port", "required key is missing"},
	{"{'underlay':{" PORT0 "}}", "underlay.ip4", "required key is missing"},
	{"{" UL ",'vnis':[{'vteps':[]}]}", "vnis[0].vni", "required key is missing"},
	{"{" UL "," VNIS ",'endpoints':[{'port':'net_null1','vni':100,'mac':'02:00:00:00:01:01'}]}",
	 "endpoints[0].name", "required key is missing"},
	{"{" UL "," VNIS ",'endpoints':[{'name':'c1','port':'net_null1','vni':100}]}",
	 "endpoints[0].mac", "required key is missing"},
	{"{" UL "," VNIS ",'endpoints':[{'name':'c1','vni':100,'mac':'02:00:00:00:01:01'}]}",
	 "endpoints[0].port", "required key is missing"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01'}]"), "fdb[0].vtep",
	 "required key is missing"},
	{DOC("'neighbours':[{'mac':'02:00:00:00:00:02'}]"), "neighbours[0].ip",
	 "required key is missing"},
	/* Wrong types. */
	{"{'underlay':[]}", "underlay", "expected an object, got array []"},
	{"{" UL ",'vnis':{'vni':1}}", "vnis", "expected an array, got object {\"vni\":1}"},
	{"{" UL ",'vnis':[100]}", "vnis[0]", "expected an object, got integer 100"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':'198.18.0.2'}]}", "vnis[0].vteps",
	 "expected an array, got string '198.18.0.2'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':[3]}]}", "vnis[0].vteps[0]",
	 "expected a string, got integer 3"},
	{"{'underlay':{'port':5," IPS "}}", "underlay.port", "expected a string, got integer 5"},
	{"{" ULX("'mtu':'1500'") "}", "underlay.mtu", "expected an integer, got string '1500'"},
	{"{" ULX("'mtu':1500.5") "}", "underlay.mtu", "expected an integer, got real 1500.5"},
	{"{" ULX("'mtu':1500.0") "}", "underlay.mtu", "expected an integer, got real 1500"},
	{"{" ULX("'mtu':null") "}", "underlay.mtu", "expected an integer, got null"},
	{"{" ULX("'mtu':true") "}", "underlay.mtu", "expected an integer, got boolean true"},
	{"{" ULX("'strict_reserved':1") "}", "underlay.strict_reserved",
	 "expected a boolean, got integer 1"},
	{"{" ULX("'udp6_zero_csum_tx':'true'") "}", "underlay.udp6_zero_csum_tx",
	 "expected a boolean, got string 'true'"},
	{"{" ULX("'udp6_zero_csum_rx':null") "}", "underlay.udp6_zero_csum_rx",
	 "expected a boolean, got null"},
	{"{" UL "," VNIS ",'endpoints':[{'name':'c1','port':'net_null1','vni':100,"
	 "'mac':'02:00:00:00:01:01','any_src_mac':0}]}",
	 "endpoints[0].any_src_mac", "expected a boolean, got integer 0"},
	{"{" UL "," VNIS ",'endpoints':{}}", "endpoints", "expected an array, got object {}"},
	{"{" UL "," VNIS ",'endpoints':['c1']}", "endpoints[0]", "expected an object, got string"},
	{DOC("'fdb':{}"), "fdb", "expected an array"},
	{DOC("'fdb':[null]"), "fdb[0]", "expected an object, got null"},
	{DOC("'neighbours':[[]]"), "neighbours[0]", "expected an object, got array []"},
	{"{" UL ",'dataplane':[]}", "dataplane", "expected an object"},
	{"{" UL ",'stats':'/x'}", "stats", "expected an object, got string '/x'"},
	{"{" UL ",'stats':{'file':1}}", "stats.file", "expected a string, got integer 1"},
	{"{" UL ",'vnis':[{'vni':'100'}]}", "vnis[0].vni", "expected an integer, got string '100'"},
	/* Numbers out of range. */
	{"{" UL ",'vnis':[{'vni':16777216}]}", "vnis[0].vni", "out of range 0..16777215: 16777216"},
	{"{" UL ",'vnis':[{'vni':-1}]}", "vnis[0].vni", "out of range 0..16777215: -1"},
	{"{" ULX("'mtu':575") "}", "underlay.mtu", "out of range 576..9000: 575"},
	{"{" ULX("'mtu':9001") "}", "underlay.mtu", "out of range 576..9000: 9001"},
	{"{" ULX("'mtu':99999999999") "}", "underlay.mtu", "out of range 576..9000: 99999999999"},
	{"{" ULX("'mtu':1279") "}", "underlay.mtu", "IPv6 needs an MTU of at least 1280: 1279"},
	{"{" ULX("'udp_port':0") "}", "underlay.udp_port", "out of range 1..65535: 0"},
	{"{" ULX("'udp_port':65536") "}", "underlay.udp_port", "out of range 1..65535: 65536"},
	{"{" ULX("'udp_port':-4789") "}", "underlay.udp_port", "out of range 1..65535: -4789"},
	{"{" UL "," VNIS ",'endpoints':[{'name':'c1','port':'net_null1','vni':100,"
	 "'mac':'02:00:00:00:01:01','mtu':575}]}",
	 "endpoints[0].mtu", "out of range 576..9000: 575"},
	{"{" UL "," VNIS ",'endpoints':[{'name':'c1','port':'net_null1','vni':100,"
	 "'mac':'02:00:00:00:01:01','mtu':9001}]}",
	 "endpoints[0].mtu", "out of range 576..9000: 9001"},
	{DP("'burst':0"), "dataplane.burst", "out of range 1..512: 0"},
	{DP("'burst':513"), "dataplane.burst", "out of range 1..512: 513"},
	{DP("'drain_us':0"), "dataplane.drain_us", "out of range 1..100000: 0"},
	{DP("'idle_polls':-1"), "dataplane.idle_polls", "out of range 0..10000000: -1"},
	{DP("'idle_sleep_us':100001"), "dataplane.idle_sleep_us", "out of range 1..100000: 100001"},
	{DP("'idle_sleep_us':500,'idle_sleep_max_us':400"), "dataplane.idle_sleep_max_us",
	 "below idle_sleep_us (500): 400"},
	{DP("'idle_sleep_max_us':0"), "dataplane.idle_sleep_max_us", "out of range 1..100000: 0"},
	{DP("'rx_desc':63"), "dataplane.rx_desc", "out of range 64..4096: 63"},
	{DP("'tx_desc':4097"), "dataplane.tx_desc", "out of range 64..4096: 4097"},
	{DP("'mbufs':1022"), "dataplane.mbufs", "out of range 1023..1048575: 1022"},
	{DP("'fdb_size':15"), "dataplane.fdb_size", "out of range 16..4194304: 15"},
	{DP("'fdb_age_s':86401"), "dataplane.fdb_age_s", "out of range 0..86400: 86401"},
	{DP("'neigh_reachable_s':0"), "dataplane.neigh_reachable_s", "out of range 1..3600: 0"},
	{DP("'neigh_retrans_ms':9"), "dataplane.neigh_retrans_ms", "out of range 10..60000: 9"},
	{DP("'neigh_failed_s':3601"), "dataplane.neigh_failed_s", "out of range 1..3600: 3601"},
	{DP("'neigh_probes':11"), "dataplane.neigh_probes", "out of range 1..10: 11"},
	{"{" UL ",'stats':{'interval_s':3601}}", "stats.interval_s", "out of range 0..3600: 3601"},
	{"{" UL ",'stats':{'file':''}}", "stats.file", "empty path ''"},
	/* Underlay addresses. */
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.x/24'}}", "underlay.ip4",
	 "invalid IPv4 prefix, expected address/1..32 '198.18.0.x/24'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1'}}", "underlay.ip4", "'198.18.0.1'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1/0'}}", "underlay.ip4", "'198.18.0.1/0'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1/33'}}", "underlay.ip4", "'198.18.0.1/33'"},
	{"{'underlay':{" PORT0 ",'ip4':'2001:2::1/64'}}", "underlay.ip4",
	 "not an IPv4 prefix '2001:2::1/64'"},
	{"{'underlay':{" PORT0 ",'ip6':'198.18.0.1/24'}}", "underlay.ip6",
	 "not an IPv6 prefix '198.18.0.1/24'"},
	{"{'underlay':{" PORT0 ",'ip6':'2001:2::1/129'}}", "underlay.ip6",
	 "invalid IPv6 prefix, expected address/1..128 '2001:2::1/129'"},
	{"{'underlay':{" PORT0 ",'ip4':'224.0.0.1/24'}}", "underlay.ip4",
	 "not a unicast address '224.0.0.1/24'"},
	{"{'underlay':{" PORT0 ",'ip6':'ff02::1/64'}}", "underlay.ip6",
	 "not a unicast address 'ff02::1/64'"},
	{"{'underlay':{" PORT0 ",'ip6':'2001:2::1/64','gateway4':'198.18.0.254'}}",
	 "underlay.gateway4", "requires underlay.ip4 '198.18.0.254'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1/24','gateway6':'2001:2::fe'}}",
	 "underlay.gateway6", "requires underlay.ip6 '2001:2::fe'"},
	{"{" ULX("'gateway4':'198.19.0.1'") "}", "underlay.gateway4",
	 "not inside the underlay.ip4 prefix 198.18.0.1/24 '198.19.0.1'"},
	{"{" ULX("'gateway6':'2001:2:0:1::fe'") "}", "underlay.gateway6",
	 "not inside the underlay.ip6 prefix 2001:2::1/64 '2001:2:0:1::fe'"},
	{"{" ULX("'gateway4':'2001:2::fe'") "}", "underlay.gateway4",
	 "not an IPv4 address '2001:2::fe'"},
	{"{" ULX("'gateway4':'198.18.0.1'") "}", "underlay.gateway4",
	 "gateway is the local address '198.18.0.1'"},
	{"{" ULX("'gateway4':'198.18.0.256'") "}", "underlay.gateway4",
	 "invalid IP address '198.18.0.256'"},
	/* MAC addresses. */
	{"{" ULX("'mac':'02:00:00:00:00'") "}", "underlay.mac",
	 "invalid MAC address '02:00:00:00:00'"},
	{"{" ULX("'mac':'02:00:00:00:00:0g'") "}", "underlay.mac",
	 "invalid MAC address '02:00:00:00:00:0g'"},
	{"{" ULX("'mac':'01:00:5e:00:00:01'") "}", "underlay.mac",
	 "multicast MAC address not allowed '01:00:5e:00:00:01'"},
	{"{" ULX("'mac':'ff:ff:ff:ff:ff:ff'") "}", "underlay.mac",
	 "multicast MAC address not allowed 'ff:ff:ff:ff:ff:ff'"},
	{"{" ULX("'mac':'00:00:00:00:00:00'") "}", "underlay.mac",
	 "zero MAC address not allowed '00:00:00:00:00:00'"},
	{"{" UL "," VNIS ",'endpoints':[" EP("c1", "net_null1", 100, "33:33:00:00:00:01") "]}",
	 "endpoints[0].mac", "multicast MAC address not allowed '33:33:00:00:00:01'"},
	{DOC("'fdb':[{'vni':100,'mac':'03:00:00:00:02:01','vtep':'198.18.0.2'}]"), "fdb[0].mac",
	 "multicast MAC address not allowed '03:00:00:00:02:01'"},
	{DOC("'neighbours':[{'ip':'198.18.0.2','mac':'00:00:00:00:00:00'}]"), "neighbours[0].mac",
	 "zero MAC address not allowed"},
	/* Ports. */
	{"{'underlay':{'port':''," IPS "}}", "underlay.port", "empty device arguments ''"},
	{"{'underlay':{'port':',iface=x'," IPS "}}", "underlay.port",
	 "empty device name ',iface=x'"},
	{"{'underlay':{'port':'net_null0\\n'," IPS "}}", "underlay.port",
	 "control character in device arguments 'net_null0\\x0a'"},
	{"{" UL "," VNIS ",'endpoints':[" EP("c1", "net_null0", 100, "02:00:00:00:01:01") "]}",
	 "endpoints[0].port", "duplicate port, also used by underlay.port 'net_null0'"},
	{"{" UL "," VNIS
	 ",'endpoints':[" EP("c1", "net_af_xdp0,iface=a", 100, "02:00:00:00:01:01") "," EP(
		 "c2", "net_af_xdp0,iface=b", 100, "02:00:00:00:01:02") "]}",
	 "endpoints[1].port",
	 "duplicate device name, also used by endpoints[0].port 'net_af_xdp0'"},
	{"{" UL "," VNIS
	 ",'endpoints':[" EP("c1", "net_tap0,iface=a", 100, "02:00:00:00:01:01") "," EP(
		 "c2", "net_tap0,iface=a", 100, "02:00:00:00:01:02") "]}",
	 "endpoints[1].port", "duplicate port, also used by endpoints[0].port 'net_tap0,iface=a'"},
	/* VNIs and VTEPs. */
	{"{" UL ",'vnis':[{'vni':100},{'vni':100}]}", "vnis[1].vni", "duplicate VNI 100"},
	{"{" UL ",'vnis':[{'vni':1},{'vni':2,'vteps':['198.18.0.x']}]}", "vnis[1].vteps[0]",
	 "invalid IP address '198.18.0.x'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['198.18.0.2/24']}]}", "vnis[0].vteps[0]",
	 "invalid IP address '198.18.0.2/24'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['198.18.0.2','198.18.0.3','198.18.0.2']}]}",
	 "vnis[0].vteps[2]", "duplicate VTEP in VNI 1 '198.18.0.2'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['2001:2::2','2001:2:0::2']}]}", "vnis[0].vteps[1]",
	 "duplicate VTEP in VNI 1 '2001:2:0::2'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1/24'},'vnis':[{'vni':1,'vteps':['2001:2::2']}]}",
	 "vnis[0].vteps[0]", "no local IPv6 address (underlay.ip6) for VTEP '2001:2::2'"},
	{"{'underlay':{" PORT0 ",'ip6':'2001:2::1/64'},'vnis':[{'vni':1,'vteps':['198.18.0.2']}]}",
	 "vnis[0].vteps[0]", "no local IPv4 address (underlay.ip4) for VTEP '198.18.0.2'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['198.18.0.1']}]}", "vnis[0].vteps[0]",
	 "VTEP is the local address '198.18.0.1'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1/24'},'vnis':[{'vni':1,'vteps':['198.18.9.2']}]}",
	 "vnis[0].vteps[0]", "VTEP is off-link and underlay.gateway4 is not set '198.18.9.2'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['239.1.1.1']}]}", "vnis[0].vteps[0]",
	 "not a unicast address '239.1.1.1'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['0.0.0.0']}]}", "vnis[0].vteps[0]",
	 "not a unicast address '0.0.0.0'"},
	{"{" UL ",'vnis':[{'vni':1,'vteps':['::']}]}", "vnis[0].vteps[0]",
	 "not a unicast address '::'"},
	/* Endpoints. */
	{"{" UL "," VNIS ",'endpoints':[" EP("c1", "net_null1", 300, "02:00:00:00:01:01") "]}",
	 "endpoints[0].vni", "VNI 300 is not declared in vnis"},
	{"{" UL "," VNIS ",'endpoints':[" EP("c1", "net_null1", 100, "02:00:00:00:01:01") "," EP(
		 "c1", "net_null2", 100, "02:00:00:00:01:02") "]}",
	 "endpoints[1].name", "duplicate name 'c1'"},
	{"{" UL "," VNIS ",'endpoints':[" EP("", "net_null1", 100, "02:00:00:00:01:01") "]}",
	 "endpoints[0].name", "name must have 1..31 characters ''"},
	{"{" UL "," VNIS ",'endpoints':[" EP("abcdefghijklmnopqrstuvwxyz012345", "net_null1", 100,
					     "02:00:00:00:01:01") "]}",
	 "endpoints[0].name", "name must have 1..31 characters 'abcdefghijklmnopqrstuvwxyz012345'"},
	{"{" UL "," VNIS ",'endpoints':[" EP("c 1", "net_null1", 100, "02:00:00:00:01:01") "]}",
	 "endpoints[0].name", "name may only use A-Z a-z 0-9 _ . - 'c 1'"},
	{"{" UL "," VNIS ",'endpoints':[" EP("c/1", "net_null1", 100, "02:00:00:00:01:01") "]}",
	 "endpoints[0].name", "'c/1'"},
	{"{" UL "," VNIS
	 ",'endpoints':[" EP("underlay", "net_null1", 100, "02:00:00:00:01:01") "]}",
	 "endpoints[0].name", "reserved name 'underlay'"},
	{"{" UL "," VNIS ",'endpoints':[" EP("c1", "net_null1", 100, "02:00:00:00:01:01") "," EP(
		 "c2", "net_null2", 100, "02:00:00:00:01:01") "]}",
	 "endpoints[1].mac", "duplicate MAC in VNI 100 '02:00:00:00:01:01'"},
	/* FDB. */
	{DOC("'fdb':[{'vni':300,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'}]"), "fdb[0].vni",
	 "VNI 300 is not declared in vnis"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'198.18.0.9'}]"), "fdb[0].vtep",
	 "not a VTEP of VNI 100 '198.18.0.9'"},
	{DOC("'fdb':[{'vni':200,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'}]"), "fdb[0].vtep",
	 "not a VTEP of VNI 200 '198.18.0.2'"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'},"
	     "{'vni':200,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'}]"),
	 "fdb[1].vtep", "not a VTEP of VNI 200"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'},"
	     "{'vni':100,'mac':'02:00:00:00:02:03','vtep':'198.18.0.2'},"
	     "{'vni':100,'mac':'02:00:00:00:02:01','vtep':'2001:2::2'}]"),
	 "fdb[2].mac", "duplicate entry in VNI 100 '02:00:00:00:02:01'"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:09','vtep':'198.18.0.2'},"
	     "{'vni':100,'mac':'02:00:00:00:01:01','vtep':'198.18.0.2'}]"),
	 "fdb[1].mac", "MAC of local endpoint endpoints[0] in VNI 100 '02:00:00:00:01:01'"},
	{DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'nope'}]"), "fdb[0].vtep",
	 "invalid IP address 'nope'"},
	/* Neighbours. */
	{DOC("'neighbours':[{'ip':'198.19.0.5','mac':'02:00:00:00:00:02'}]"), "neighbours[0].ip",
	 "not on-link for underlay.ip4 198.18.0.1/24 '198.19.0.5'"},
	{DOC("'neighbours':[{'ip':'2001:3::5','mac':'02:00:00:00:00:02'}]"), "neighbours[0].ip",
	 "not on-link for underlay.ip6 2001:2::1/64 '2001:3::5'"},
	{"{'underlay':{" PORT0 ",'ip4':'198.18.0.1/24'},"
	 "'neighbours':[{'ip':'2001:2::5','mac':'02:00:00:00:00:02'}]}",
	 "neighbours[0].ip", "no local IPv6 address (underlay.ip6) for neighbour '2001:2::5'"},
	{DOC("'neighbours':[{'ip':'198.18.0.1','mac':'02:00:00:00:00:02'}]"), "neighbours[0].ip",
	 "neighbour is the local address '198.18.0.1'"},
	{DOC("'neighbours':[{'ip':'198.18.0.2','mac':'02:00:00:00:00:02'},"
	     "{'ip':'198.18.0.2','mac':'02:00:00:00:00:03'}]"),
	 "neighbours[1].ip", "duplicate neighbour '198.18.0.2'"},
	{DOC("'neighbours':[{'ip':'198.18.0.x','mac':'02:00:00:00:00:02'}]"), "neighbours[0].ip",
	 "invalid IP address '198.18.0.x'"},
	{DOC("'neighbours':[{'ip':'198.18.0.2','mac':'02-00-00-00-00-02'}]"), "neighbours[0].mac",
	 "invalid MAC address '02-00-00-00-00-02'"},
	/* The mflow section: shape and unknown keys. */
	{"{" UL ",'mflow':[]}", "mflow", "expected an object, got array []"},
	{"{" UL ",'mflow':null}", "mflow", "expected an object, got null"},
	{MF("'bogus':1"), "mflow.bogus", "unknown key"},
	{MF("'batch_size':0,'zz':1"), "mflow.zz", "unknown key"},
	{MF("'elephant':5"), "mflow.elephant", "expected an object, got integer 5"},
	{ME("'table':8"), "mflow.elephant.table", "unknown key"},
	/* mflow.mode and mflow.pick. */
	{MF("'mode':'fast'"), "mflow.mode",
	 "unknown mode, expected rtc, pinned or microflow 'fast'"},
	{MF("'mode':'RTC'"), "mflow.mode", "unknown mode, expected rtc, pinned or microflow 'RTC'"},
	{MF("'mode':''"), "mflow.mode", "unknown mode, expected rtc, pinned or microflow ''"},
	{MF("'mode':1"), "mflow.mode", "expected a string, got integer 1"},
	{MF("'pick':'random'"), "mflow.pick", "unknown pick, expected rr or least 'random'"},
	{MF("'pick':null"), "mflow.pick", "expected a string, got null"},
	/* Lcores. */
	{MF("'dispatch_lcore':128"), "mflow.dispatch_lcore", "out of range 0..127: 128"},
	{MF("'dispatch_lcore':-1"), "mflow.dispatch_lcore", "out of range 0..127: -1"},
	{MF("'merge_lcore':'1'"), "mflow.merge_lcore", "expected an integer, got string '1'"},
	{MF("'merge_lcore':200"), "mflow.merge_lcore", "out of range 0..127: 200"},
	{MF("'merge_lcore':1"), "mflow.merge_lcore",
	 "a merge lcore of its own needs worker_lcores: 1"},
	{MF("'worker_lcores':3"), "mflow.worker_lcores", "expected an array, got integer 3"},
	{MF("'worker_lcores':[128]"), "mflow.worker_lcores[0]", "out of range 0..127: 128"},
	{MF("'worker_lcores':[1,'2']"), "mflow.worker_lcores[1]",
	 "expected an integer, got string '2'"},
	{MF("'worker_lcores':[1,2,1]"), "mflow.worker_lcores[2]",
	 "duplicate lcore, also worker_lcores[0]: 1"},
	{MF("'dispatch_lcore':2,'worker_lcores':[1,2]"), "mflow.worker_lcores[1]",
	 "same lcore as mflow.dispatch_lcore: 2"},
	{MF("'merge_lcore':3,'worker_lcores':[3]"), "mflow.worker_lcores[0]",
	 "same lcore as mflow.merge_lcore: 3"},
	{MF("'mode':'pinned'"), "mflow.worker_lcores", "needs at least one lcore in mode 'pinned'"},
	{MF("'mode':'microflow','worker_lcores':[]"), "mflow.worker_lcores",
	 "needs at least one lcore in mode 'microflow'"},
	/* Active workers. */
	{MF("'worker_lcores':[1,2],'workers':3"), "mflow.workers",
	 "exceeds the number of worker_lcores (2): 3"},
	{MF("'workers':1"), "mflow.workers", "exceeds the number of worker_lcores (0): 1"},
	{MF("'worker_lcores':[1],'workers':0"), "mflow.workers", "out of range 1..64: 0"},
	{MF("'worker_lcores':[1],'workers':true"), "mflow.workers",
	 "expected an integer, got boolean true"},
	/* Batches, rings and the merge timeout. */
	{MF("'batch_size':0"), "mflow.batch_size", "out of range 1..65536: 0"},
	{MF("'batch_size':65537"), "mflow.batch_size", "out of range 1..65536: 65537"},
	{MF("'batch_size':256.0"), "mflow.batch_size", "expected an integer, got real 256"},
	{MF("'merge_timeout_us':10000001"), "mflow.merge_timeout_us",
	 "out of range 0..10000000: 10000001"},
	{MF("'merge_timeout_us':-1"), "mflow.merge_timeout_us", "out of range 0..10000000: -1"},
	{MF("'ring_size':32"), "mflow.ring_size", "out of range 64..65536: 32"},
	{MF("'ring_size':131072"), "mflow.ring_size", "out of range 64..65536: 131072"},
	{MF("'ring_size':1000"), "mflow.ring_size", "not a power of two: 1000"},
	{MF("'ring_size':'4096'"), "mflow.ring_size", "expected an integer, got string '4096'"},
	/* Elephant detection. */
	{ME("'table_size':2"), "mflow.elephant.table_size", "out of range 4..1048576: 2"},
	{ME("'table_size':2097152"), "mflow.elephant.table_size",
	 "out of range 4..1048576: 2097152"},
	{ME("'table_size':6000"), "mflow.elephant.table_size", "not a power of two: 6000"},
	{ME("'window_us':0"), "mflow.elephant.window_us", "out of range 1..10000000: 0"},
	{ME("'window_us':10000001"), "mflow.elephant.window_us",
	 "out of range 1..10000000: 10000001"},
	{ME("'promote_pkts':0"), "mflow.elephant.promote_pkts", "out of range 1..4294967295: 0"},
	{ME("'promote_pkts':4294967296"), "mflow.elephant.promote_pkts",
	 "out of range 1..4294967295: 4294967296"},
	{ME("'promote_pkts':1.5"), "mflow.elephant.promote_pkts",
	 "expected an integer, got real 1.5"},
	{ME("'promote_bytes':-1"), "mflow.elephant.promote_bytes",
	 "out of range 0..9223372036854775807: -1"},
	{ME("'promote_bytes':'1M'"), "mflow.elephant.promote_bytes",
	 "expected an integer, got string '1M'"},
	{ME("'demote_pkts':101"), "mflow.elephant.demote_pkts", "above promote_pkts (100): 101"},
	{ME("'promote_pkts':10,'demote_pkts':11"), "mflow.elephant.demote_pkts",
	 "above promote_pkts (10): 11"},
	{ME("'demote_pkts':4294967296"), "mflow.elephant.demote_pkts",
	 "out of range 0..4294967295: 4294967296"},
	{ME("'promote_bytes':1000,'demote_bytes':1001"), "mflow.elephant.demote_bytes",
	 "above promote_bytes (1000): 1001"},
	{ME("'demote_bytes':-5"), "mflow.elephant.demote_bytes",
	 "out of range 0..9223372036854775807: -5"},
	{ME("'promote_windows':0"), "mflow.elephant.promote_windows", "out of range 1..255: 0"},
	{ME("'promote_windows':256"), "mflow.elephant.promote_windows", "out of range 1..255: 256"},
	{ME("'demote_windows':0"), "mflow.elephant.demote_windows", "out of range 1..255: 0"},
	{ME("'demote_windows':256"), "mflow.elephant.demote_windows", "out of range 1..255: 256"},
	{ME("'demote_windows':false"), "mflow.elephant.demote_windows",
	 "expected an integer, got boolean false"},
	/* Ports: shape, unknown and required keys, types. */
	{DOC("'ports':{}"), "ports", "expected an array, got object {}"},
	{DOC("'ports':null"), "ports", "expected an array, got null"},
	{PT("5"), "ports[0]", "expected an object, got integer 5"},
	{PT(PORT("p1", "net_null5") ",[]"), "ports[1]", "expected an object, got array []"},
	{PT("{'name':'p1','port':'net_null5','vni':100}"), "ports[0].vni", "unknown key"},
	{PT("{'port':'net_null5'}"), "ports[0].name", "required key is missing"},
	{PT("{'name':'p1'}"), "ports[0].port", "required key is missing"},
	{PT("{'name':1,'port':'net_null5'}"), "ports[0].name", "expected a string, got integer 1"},
	{PT("{'name':'p1','port':['net_null5']}"), "ports[0].port",
	 "expected a string, got array [\"net_null5\"]"},
	/* Port names: syntax, and unique across endpoints and ports. */
	{PT(PORT("", "net_null5")), "ports[0].name", "name must have 1..31 characters ''"},
	{PT(PORT("abcdefghijklmnopqrstuvwxyz012345", "net_null5")), "ports[0].name",
	 "name must have 1..31 characters 'abcdefghijklmnopqrstuvwxyz012345'"},
	{PT(PORT("p 1", "net_null5")), "ports[0].name",
	 "name may only use A-Z a-z 0-9 _ . - 'p 1'"},
	{PT(PORT("underlay", "net_null5")), "ports[0].name", "reserved name 'underlay'"},
	{PT(PORT("c1", "net_null5")), "ports[0].name",
	 "duplicate name, also used by endpoints[0].name 'c1'"},
	{PT(PORT("p1", "net_null5") "," PORT("p1", "net_null6")), "ports[1].name",
	 "duplicate name, also used by ports[0].name 'p1'"},
	{PT(PORT("p1", "net_null5") "," PORT("p2", "net_null6") "," PORT("c1", "net_null7")),
	 "ports[2].name", "duplicate name, also used by endpoints[0].name 'c1'"},
	/* Port devargs: syntax, and unique across the underlay, endpoints and ports. */
	{PT(PORT("p1", "")), "ports[0].port", "empty device arguments ''"},
	{PT(PORT("p1", ",iface=x")), "ports[0].port", "empty device name ',iface=x'"},
	{PT(PORT("p1", "net_null5\\t")), "ports[0].port",
	 "control character in device arguments 'net_null5\\x09'"},
	{PT(PORT("p1", "net_null0")), "ports[0].port",
	 "duplicate port, also used by underlay.port 'net_null0'"},
	{PT(PORT("p1", "net_null1")), "ports[0].port",
	 "duplicate port, also used by endpoints[0].port 'net_null1'"},
	{PT(PORT("p1", "net_null1,x=1")), "ports[0].port",
	 "duplicate device name, also used by endpoints[0].port 'net_null1'"},
	{PT(PORT("p1", "net_null5") "," PORT("p2", "net_null5")), "ports[1].port",
	 "duplicate port, also used by ports[0].port 'net_null5'"},
	{PT(PORT("p1", "net_tap5,iface=a") "," PORT("p2", "net_tap5,iface=b")), "ports[1].port",
	 "duplicate device name, also used by ports[0].port 'net_tap5'"},
	/* Port MTU. */
	{PT("{'name':'p1','port':'net_null5','mtu':575}"), "ports[0].mtu",
	 "out of range 576..9000: 575"},
	{PT("{'name':'p1','port':'net_null5','mtu':9001}"), "ports[0].mtu",
	 "out of range 576..9000: 9001"},
	{PT("{'name':'p1','port':'net_null5','mtu':'1500'}"), "ports[0].mtu",
	 "expected an integer, got string '1500'"},
	{PT("{'name':'p1','port':'net_null5','mtu':1500.5}"), "ports[0].mtu",
	 "expected an integer, got real 1500.5"},
	/* The control section. */
	{"{" UL ",'control':[]}", "control", "expected an object, got array []"},
	{"{" UL ",'control':'/run/x.sock'}", "control", "expected an object, got string"},
	{CT("'sock':'/x'"), "control.sock", "unknown key"},
	{CT("'max_clients':0,'zz':1"), "control.zz", "unknown key"},
	{CT("'socket':5"), "control.socket", "expected a string, got integer 5"},
	{CT("'socket':null"), "control.socket", "expected a string, got null"},
	{CT("'socket':false"), "control.socket", "expected a string, got boolean false"},
	{CT("'group':0"), "control.group", "expected a string, got integer 0"},
	{CT("'group':'1mflow'"), "control.group",
	 "invalid group name, expected a letter or _ then A-Z a-z 0-9 _ . - '1mflow'"},
	{CT("'group':'-mflow'"), "control.group", "invalid group name"},
	{CT("'group':'.mflow'"), "control.group", "invalid group name"},
	{CT("'group':'mf low'"), "control.group", "invalid group name"},
	{CT("'group':'mf:low'"), "control.group", "invalid group name"},
	{CT("'group':'mf$low'"), "control.group", "invalid group name"},
	{CT("'group':'$'"), "control.group", "invalid group name"},
	{CT("'group':'mf/low'"), "control.group", "invalid group name"},
	{CT("'group':'gr\\u00fcppe'"), "control.group", "invalid group name"},
	{CT("'group':'abcdefghijklmnopqrstuvwxyz0123456'"), "control.group",
	 "group name must have 1..32 characters 'abcdefghijklmnopqrstuvwxyz0123456'"},
	{CT("'max_clients':0"), "control.max_clients", "out of range 1..1024: 0"},
	{CT("'max_clients':1025"), "control.max_clients", "out of range 1..1024: 1025"},
	{CT("'max_clients':-1"), "control.max_clients", "out of range 1..1024: -1"},
	{CT("'max_clients':'16'"), "control.max_clients", "expected an integer, got string '16'"},
	{CT("'max_request':63"), "control.max_request", "out of range 64..16777216: 63"},
	{CT("'max_request':16777217"), "control.max_request",
	 "out of range 64..16777216: 16777217"},
	{CT("'max_request':65536.0"), "control.max_request", "expected an integer, got real 65536"},
	/* The coap section: shape, unknown keys and types. */
	{"{" UL ",'coap':true}", "coap", "expected an object, got boolean true"},
	{"{" UL ",'coap':[]}", "coap", "expected an object, got array []"},
	{CO("'enable':true"), "coap.enable", "unknown key"},
	{CO("'port':-1,'zz':1"), "coap.zz", "unknown key"},
	{CO("'enabled':1"), "coap.enabled", "expected a boolean, got integer 1"},
	{CO("'enabled':'true'"), "coap.enabled", "expected a boolean, got string 'true'"},
	{CO("'enabled':null"), "coap.enabled", "expected a boolean, got null"},
	/* coap.address. */
	{CO("'address':'localhost'"), "coap.address", "invalid IP address 'localhost'"},
	{CO("'address':''"), "coap.address", "invalid IP address ''"},
	{CO("'address':'127.0.0.1:5683'"), "coap.address", "invalid IP address '127.0.0.1:5683'"},
	{CO("'address':'127.0.0.1/8'"), "coap.address", "invalid IP address '127.0.0.1/8'"},
	{CO("'address':'[::1]'"), "coap.address", "invalid IP address '[::1]'"},
	{CO("'address':'fe80::1%eth0'"), "coap.address", "invalid IP address 'fe80::1%eth0'"},
	{CO("'address':' 127.0.0.1'"), "coap.address", "invalid IP address ' 127.0.0.1'"},
	{CO("'address':2130706433"), "coap.address", "expected a string, got integer 2130706433"},
	/* coap ports. */
	{CO("'port':65536"), "coap.port", "out of range 0..65535: 65536"},
	{CO("'port':-1"), "coap.port", "out of range 0..65535: -1"},
	{CO("'port':'5683'"), "coap.port", "expected an integer, got string '5683'"},
	{CO("'dtls_port':65536"), "coap.dtls_port", "out of range 0..65535: 65536"},
	{CO("'dtls_port':-5684"), "coap.dtls_port", "out of range 0..65535: -5684"},
	{CO("'dtls_port':true"), "coap.dtls_port", "expected an integer, got boolean true"},
	/* coap PSK. */
	{CO("'psk_identity':''"), "coap.psk_identity", "identity must have 1..127 bytes ''"},
	{CO("'psk_identity':7"), "coap.psk_identity", "expected a string, got integer 7"},
	{CO("'psk_key':''"), "coap.psk_key", "key must have 1..64 bytes: 0"},
	{CO("'psk_key':12345"), "coap.psk_key", "expected a string, got integer"},
	{CO("'psk_key':['secret']"), "coap.psk_key", "expected a string, got array"},
	/* coap intervals and sizes. */
	{CO("'observe_interval_ms':99"), "coap.observe_interval_ms",
	 "out of range 100..3600000: 99"},
	{CO("'observe_interval_ms':3600001"), "coap.observe_interval_ms",
	 "out of range 100..3600000: 3600001"},
	{CO("'observe_interval_ms':1e3"), "coap.observe_interval_ms",
	 "expected an integer, got real 1000"},
	{CO("'max_payload':63"), "coap.max_payload", "out of range 64..65536: 63"},
	{CO("'max_payload':65537"), "coap.max_payload", "out of range 64..65536: 65537"},
	{CO("'max_payload':'4k'"), "coap.max_payload", "expected an integer, got string '4k'"},
	/* The containers section. */
	{CTS("'enabled':'yes'"), "containers.enabled", "expected a boolean, got string 'yes'"},
	{CTS("'state_dir':'var/lib'"), "containers.state_dir",
	 "expected an absolute path of at most 255 characters: 'var/lib'"},
	{CTS("'run_dir':''"), "containers.run_dir",
	 "expected an absolute path of at most 255 characters: ''"},
	{CTS("'run_dir':7"), "containers.run_dir", "expected a string, got integer 7"},
	{CTS("'runtime':'docker'"), "containers.runtime",
	 "expected \"runc\", \"crun\" or an absolute path: 'docker'"},
	{CTS("'pmd':'dpdk'"), "containers.pmd",
	 "expected \"auto\", \"af_xdp\" or \"af_packet\": 'dpdk'"},
	{CTS("'image':'x'"), "containers.image", "unknown key"},
	/* Relations between the coap keys. */
	{CO("'enabled':true,'port':0"), "coap.port",
	 "coap.enabled needs a non-zero port or dtls_port: 0"},
	{CO("'enabled':true,'port':0,'dtls_port':0"), "coap.port",
	 "coap.enabled needs a non-zero port or dtls_port: 0"},
	{CO("'port':5684,'dtls_port':5684,'psk_identity':'id','psk_key':'key'"), "coap.dtls_port",
	 "same port as coap.port: 5684"},
	{CO("'dtls_port':5683,'psk_identity':'id','psk_key':'key'"), "coap.dtls_port",
	 "same port as coap.port: 5683"},
	{CO("'enabled':true,'dtls_port':5684,'psk_key':'key'"), "coap.psk_identity",
	 "required key is missing (coap.dtls_port is 5684)"},
	{CO("'enabled':true,'dtls_port':5684,'psk_identity':'id'"), "coap.psk_key",
	 "required key is missing (coap.dtls_port is 5684)"},
	{CO("'enabled':false,'port':0,'dtls_port':5684"), "coap.psk_identity",
	 "required key is missing (coap.dtls_port is 5684)"},
	/* The new sections come after mflow, in the order control, coap. */
	{"{" UL ",'mflow':{'batch_size':0},'control':{'max_clients':0},'coap':{'port':-1}}",
	 "mflow.batch_size", "out of range"},
	{"{" UL ",'control':{'max_clients':0},'coap':{'port':-1}}", "control.max_clients",
	 "out of range"},
	{DOC("'ports':[" PORT("c1", "net_null5") "],'fdb':[{'vni':300}]"), "ports[0].name",
	 "duplicate name"},
};

#define N_BAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

/** One table entry: the parser returns -EINVAL with the expected message. */
static void
test_bad_one(void **state)
{
	const struct bad_case *bc = *state;
	char err[CTL_ERR_LEN], path[160];
	struct ctl_config cfg;
	const char *file;
	char *text;
	int ret;

	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	text = sq_to_dq(bc->json);
	if (bc->file) {
		file = write_tmp("bad.json", text);
		snprintf(path, sizeof(path), "%s:%s", file, bc->path);
		ret = ctl_config_load(file, &cfg, err, sizeof(err));
	} else {
		snprintf(path, sizeof(path), "%s", bc->path);
		ret = parse_sq(bc->json, &cfg, err, sizeof(err));
	}
	if (ret != -EINVAL)
		fail_msg("expected -EINVAL, got %d for %s", ret, text);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':' ||
	    strstr(err, bc->what) == NULL)
		fail_msg("for %s\n  got      \"%s\"\n  expected \"%s: ...%s...\"", text, err, path,
			 bc->what);
	free(text);
	/* A rejected config holds nothing and has the defaults. */
	assert_empty(&cfg);
	assert_defaults(&cfg);
}

/** The example messages of the format description, verbatim. */
static void
test_exact_messages(void **state)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{"{" UL ",'vnis':[{'vni':1},{'vni':2,'vteps':['198.18.0.x']}]}",
		 "vnis[1].vteps[0]: invalid IP address '198.18.0.x'"},
		{"{" UL ",'vnis':[{'vni':16777216}]}",
		 "vnis[0].vni: out of range 0..16777215: 16777216"},
		{"{" UL "," VNIS
		 ",'endpoints':[" EP("c1", "net_null1", 100, "02:00:00:00:01:01") "," EP(
			 "c2", "net_null2", 200,
			 "02:00:00:00:01:02") "," EP("c3", "net_null3", 300,
						     "02:00:00:00:01:03") "]}",
		 "endpoints[2].vni: VNI 300 is not declared in vnis"},
		{"{'underlay':{" IPS "}}", "underlay.port: required key is missing"},
		{DP("'burst':0"), "dataplane.burst: out of range 1..512: 0"},
		{"{" UL "," VNIS
		 ",'endpoints':[" EP("c1", "net_null1", 100, "02:00:00:00:01:01") "," EP(
			 "c1", "net_null2", 200, "02:00:00:00:01:02") "]}",
		 "endpoints[1].name: duplicate name 'c1'"},
		{MF("'batch_size':0"), "mflow.batch_size: out of range 1..65536: 0"},
		{MF("'mode':'fast'"),
		 "mflow.mode: unknown mode, expected rtc, pinned or microflow 'fast'"},
		{MF("'mode':'pinned','worker_lcores':[]"),
		 "mflow.worker_lcores: needs at least one lcore in mode 'pinned'"},
		{ME("'demote_pkts':200"),
		 "mflow.elephant.demote_pkts: above promote_pkts (100): 200"},
		{PT(PORT("c1", "net_null5")),
		 "ports[0].name: duplicate name, also used by endpoints[0].name 'c1'"},
		{PT(PORT("p1", "net_null5") "," PORT("p2", "net_null5,x=1")),
		 "ports[1].port: duplicate device name, also used by ports[0].port 'net_null5'"},
		{CT("'group':'1x'"), "control.group: invalid group name, expected a letter or _ "
				     "then A-Z a-z 0-9 _ . - '1x'"},
		{CT("'max_request':63"), "control.max_request: out of range 64..16777216: 63"},
		{CO("'address':'::g'"), "coap.address: invalid IP address '::g'"},
		{CO("'enabled':true,'port':0"),
		 "coap.port: coap.enabled needs a non-zero port or dtls_port: 0"},
		{CO("'port':5684,'dtls_port':5684,'psk_identity':'i','psk_key':'k'"),
		 "coap.dtls_port: same port as coap.port: 5684"},
		{CO("'dtls_port':5684,'psk_key':'k'"),
		 "coap.psk_identity: required key is missing (coap.dtls_port is 5684)"},
		{CO("'dtls_port':5684,'psk_identity':'i'"),
		 "coap.psk_key: required key is missing (coap.dtls_port is 5684)"},
		/* The key itself never appears in a message. */
		{CO("'psk_key':12345"), "coap.psk_key: expected a string, got integer"},
		{CO("'psk_key':''"), "coap.psk_key: key must have 1..64 bytes: 0"},
	};
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_sq(cases[i].json, &cfg, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

/** Values in messages are escaped and cut, and the message fits the buffer. */
static void
test_message_escaping(void **state)
{
	char long_ip[400], err[CTL_ERR_LEN];
	struct ctl_config cfg;
	json_t *doc;

	(void)state;
	doc = json_pack("{s:{s:s,s:s},s:[{s:i,s:[s]}]}", "underlay", "port", "net_null0", "ip4",
			"198.18.0.1/24", "vnis", "vni", 1, "vteps", "198.18.0.2\n\x1b[31m'");
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "vnis[0].vteps[0]: invalid IP address "
				 "'198.18.0.2\\x0a\\x1b[31m\\x27'");

	memset(long_ip, '9', sizeof(long_ip) - 1);
	long_ip[sizeof(long_ip) - 1] = '\0';
	doc = json_pack("{s:{s:s,s:s}}", "underlay", "port", "net_null0", "ip4", long_ip);
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_error(err, "underlay.ip4", "...'");
	assert_true(strlen(err) < 200);

	/* An unknown key is escaped in the path too. */
	doc = json_pack("{s:{s:s,s:s,s:i}}", "underlay", "port", "net_null0", "ip4",
			"198.18.0.1/24", "a\tb", 1);
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "underlay.a\\x09b: unknown key");

	/* A string with an embedded NUL cannot come from a file but from a caller. */
	doc = json_pack("{s:{s:s%,s:s}}", "underlay", "port", "net_null0\0x", (size_t)11, "ip4",
			"198.18.0.1/24");
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_error(err, "underlay.port", "NUL");
}

/** Small and absent error buffers are handled. */
static void
test_error_buffer(void **state)
{
	struct ctl_config cfg;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse_sq("{'underlay':{" IPS "}}", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "underla");
	assert_int_equal(parse_sq("{'underlay':{" IPS "}}", &cfg, NULL, 0), -EINVAL);
	assert_int_equal(parse_sq("{" UL "}", &cfg, NULL, 0), 0);
	ctl_config_free(&cfg);
	assert_int_equal(ctl_config_parse(NULL, &cfg, NULL, 0), -EINVAL);
	assert_empty(&cfg);
}

/** The document is borrowed: its reference count does not change. */
static void
test_root_borrowed(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	json_t *doc;
	char *text;

	(void)state;
	text = sq_to_dq(DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'}]"));
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	assert_int_equal(doc->refcount, 1);
	assert_int_equal(ctl_config_parse(doc, &cfg, err, sizeof(err)), 0);
	assert_int_equal(doc->refcount, 1);
	assert_int_equal(cfg.n_fdb, 1);
	ctl_config_free(&cfg);
	json_decref(doc);
}

/** A failure after arrays were allocated leaves nothing behind. */
static void
test_error_after_arrays(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(parse_sq(DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01',"
				      "'vtep':'198.18.0.2'}],"
				      "'neighbours':[{'ip':'198.18.0.2','mac':'02:00:00:00:00:02'},"
				      "{'ip':'198.18.0.3','mac':'01:00:00:00:00:02'}]"),
				  &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_error(err, "neighbours[1].mac", "multicast");
	assert_empty(&cfg);
	assert_defaults(&cfg);
	assert_string_equal(cfg.underlay.port, "");
	/* Freeing the emptied config is harmless. */
	ctl_config_free(&cfg);
	assert_empty(&cfg);
}

/* ------------------------------------------------------------------------- */
/* Capacity limits, built with jansson.                                      */

/** A document with an underlay on 198.18.0.1/15 and 2001:2::1/64. */
static json_t *
base_doc(void)
{
	json_t *doc = json_pack("{s:{s:s,s:s,s:s}}", "underlay", "port", "net_null0", "ip4",
				"198.18.0.1/15", "ip6", "2001:2::1/64");

	assert_non_null(doc);
	return doc;
}

/** Add an empty array under @p key and return it (borrowed). */
static json_t *
add_array(json_t *doc, const char *key)
{
	json_t *a = json_array();

	assert_non_null(a);
	assert_int_equal(json_object_set_new(doc, key, a), 0);
	return a;
}

/** An on-link IPv4 address in 198.19.0.0/16, numbered by @p n. */
static json_t *
ip4_json(unsigned int n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "198.19.%u.%u", (n >> 8) & 255, n & 255);
	return json_string(buf);
}

static json_t *
mac_json(unsigned int n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "02:00:00:%02x:%02x:%02x", (n >> 16) & 255, (n >> 8) & 255,
		 n & 255);
	return json_string(buf);
}

/** A document with @p n VNIs numbered 1.., each with @p vteps VTEPs. */
static json_t *
vnis_doc(unsigned int n, unsigned int vteps, bool shared)
{
	json_t *doc = base_doc(), *vnis = add_array(doc, "vnis");

	for (unsigned int i = 0; i < n; i++) {
		json_t *vo = json_pack("{s:i}", "vni", i + 1), *va = json_array();

		for (unsigned int j = 0; j < vteps; j++)
			json_array_append_new(va, ip4_json(shared ? j : i * vteps + j));
		json_object_set_new(vo, "vteps", va);
		json_array_append_new(vnis, vo);
	}
	return doc;
}

/**
 * A document with @p n endpoints spread over VNIs of @p per_vni endpoints
 * each, plus @p n_fdb static FDB entries in VNI 1 and @p fdb_size.
 */
static json_t *
eps_doc(unsigned int n, unsigned int per_vni, unsigned int n_fdb, unsigned int fdb_size)
{
	json_t *doc = vnis_doc((n + per_vni - 1) / per_vni + 1, 1, true);
	json_t *eps = add_array(doc, "endpoints"), *fdb;
	char name[32], port[32];

	for (unsigned int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ep%u", i);
		snprintf(port, sizeof(port), "net_null%u", i + 1);
		json_array_append_new(eps,
				      json_pack("{s:s,s:s,s:i,s:o}", "name", name, "port", port,
						"vni", i / per_vni + 1, "mac", mac_json(i + 1)));
	}
	fdb = add_array(doc, "fdb");
	for (unsigned int i = 0; i < n_fdb; i++)
		json_array_append_new(fdb, json_pack("{s:i,s:o,s:o}", "vni", 1, "mac",
						     mac_json(0x10000 + i), "vtep", ip4_json(0)));
	json_object_set_new(doc, "dataplane", json_pack("{s:i}", "fdb_size", fdb_size));
	return doc;
}

static void
test_limit_vnis(void **state)
{
	(void)state;
	expect_doc_ok(vnis_doc(VX_MAX_VNIS, 0, false));
	expect_doc_error(vnis_doc(VX_MAX_VNIS + 1, 0, false), "vnis",
			 "too many VNIs (max 4096): 4097");
}

static void
test_limit_vteps(void **state)
{
	(void)state;
	expect_doc_ok(vnis_doc(1, VX_VNI_MAX_VTEPS, false));
	expect_doc_error(vnis_doc(1, VX_VNI_MAX_VTEPS + 1, false), "vnis[0].vteps",
			 "too many VTEPs (max 64): 65");
	/* 16 x 64 distinct VTEPs fit; 17 x 64 do not, unless they are shared. */
	expect_doc_ok(vnis_doc(VX_MAX_VTEPS / VX_VNI_MAX_VTEPS, VX_VNI_MAX_VTEPS, false));
	expect_doc_ok(vnis_doc(VX_MAX_VTEPS / VX_VNI_MAX_VTEPS + 1, VX_VNI_MAX_VTEPS, true));
	expect_doc_error(vnis_doc(VX_MAX_VTEPS / VX_VNI_MAX_VTEPS + 1, VX_VNI_MAX_VTEPS, false),
			 "vnis", "too many distinct VTEPs (max 1024): 1088");
}

static void
test_limit_endpoints(void **state)
{
	(void)state;
	expect_doc_ok(eps_doc(VX_MAX_ENDPOINTS, VX_VNI_MAX_EPS, 0, 65536));
	expect_doc_error(eps_doc(VX_MAX_ENDPOINTS + 1, VX_VNI_MAX_EPS, 0, 65536), "endpoints",
			 "too many endpoints (max 256): 257");
	expect_doc_error(eps_doc(VX_VNI_MAX_EPS + 1, VX_VNI_MAX_EPS + 1, 0, 65536),
			 "endpoints[64].vni", "too many endpoints in VNI 1 (max 64)");
}

static void
test_limit_fdb(void **state)
{
	(void)state;
	/* Endpoint MACs and static entries share the FDB. */
	expect_doc_ok(eps_doc(2, 2, 14, 16));
	expect_doc_error(eps_doc(2, 2, 15, 16), "fdb",
			 "15 static entries and 2 endpoint MACs exceed dataplane.fdb_size 16");
}

static void
test_limit_neighbours(void **state)
{
	json_t *doc, *nb;

	(void)state;
	/* 1024 on-link VTEPs, both gateways and one more neighbour: one too many. */
	doc = vnis_doc(16, 64, false);
	json_object_set_new(json_object_get(doc, "underlay"), "gateway4",
			    json_string("198.18.0.254"));
	json_object_set_new(json_object_get(doc, "underlay"), "gateway6",
			    json_string("2001:2::fe"));
	nb = add_array(doc, "neighbours");
	json_array_append_new(nb, json_pack("{s:o,s:o}", "ip", ip4_json(2000), "mac", mac_json(1)));
	expect_doc_error(doc, "neighbours", "too many next hops");

	/* A neighbour that is also a VTEP or gateway is counted once. */
	doc = vnis_doc(16, 64, false);
	json_object_set_new(json_object_get(doc, "underlay"), "gateway4",
			    json_string("198.18.0.254"));
	nb = add_array(doc, "neighbours");
	json_array_append_new(nb, json_pack("{s:o,s:o}", "ip", ip4_json(5), "mac", mac_json(1)));
	json_array_append_new(nb, json_pack("{s:s,s:o}", "ip", "198.18.0.254", "mac", mac_json(2)));
	json_array_append_new(nb, json_pack("{s:o,s:o}", "ip", ip4_json(2000), "mac", mac_json(3)));
	expect_doc_ok(doc);

	/* The array itself is bounded. */
	doc = base_doc();
	nb = add_array(doc, "neighbours");
	for (unsigned int i = 0; i < VX_MAX_VTEPS + 3; i++)
		json_array_append_new(
			nb, json_pack("{s:o,s:o}", "ip", ip4_json(i), "mac", mac_json(i + 1)));
	expect_doc_error(doc, "neighbours", "too many neighbours (max 1026): 1027");
}

/** A string of @p len characters starting with @p prefix, padded with 'a'. */
static char *
long_string(const char *prefix, size_t len)
{
	char *s = malloc(len + 1);

	assert_non_null(s);
	memset(s, 'a', len);
	memcpy(s, prefix, strlen(prefix));
	s[len] = '\0';
	return s;
}

static void
test_limit_strings(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	json_t *doc;
	char *s;

	(void)state;
	s = long_string("net_null0,x=", CTL_DEVARGS_LEN - 1);
	doc = json_pack("{s:{s:s,s:s}}", "underlay", "port", s, "ip4", "198.18.0.1/24");
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.underlay.port, s);
	ctl_config_free(&cfg);
	free(s);
	s = long_string("net_null0,x=", CTL_DEVARGS_LEN);
	expect_doc_error(json_pack("{s:{s:s,s:s}}", "underlay", "port", s, "ip4", "198.18.0.1/24"),
			 "underlay.port", "device arguments too long (max 511 characters)");
	free(s);

	s = long_string("/", CTL_PATH_LEN - 1);
	doc = json_pack("{s:{s:s,s:s},s:{s:s}}", "underlay", "port", "net_null0", "ip4",
			"198.18.0.1/24", "stats", "file", s);
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.stats_file, s);
	ctl_config_free(&cfg);
	free(s);
	s = long_string("/", CTL_PATH_LEN);
	expect_doc_error(json_pack("{s:{s:s,s:s},s:{s:s}}", "underlay", "port", "net_null0", "ip4",
				   "198.18.0.1/24", "stats", "file", s),
			 "stats.file", "path too long (max 255 characters)");
	free(s);
}

/* ------------------------------------------------------------------------- */
/* The ports, control and coap sections.                                     */

/** Accepted values at the edges of the new sections' ranges, and their relations. */
static void
test_sections_accepted(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	(void)state;
	/* Minimums; the socket is off; the wildcard address; DTLS alone. */
	ret = parse_sq(DOC("'ports':[{'name':'p','port':'net_null5','mtu':576}],"
			   "'control':{'socket':'','group':'_','max_clients':1,'max_request':64},"
			   "'coap':{'enabled':true,'address':'0.0.0.0','port':0,'dtls_port':1,"
			   "'psk_identity':'i','psk_key':'k','observe_interval_ms':100,"
			   "'max_payload':64}"),
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("minimums: %d: %s", ret, err);
	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(cfg.ports[0].name, "p");
	assert_string_equal(cfg.ports[0].port, "net_null5");
	assert_int_equal(cfg.ports[0].mtu, 576);
	assert_control(&cfg.control,
		       &(struct ctl_control_cfg){
			       .socket = "", .group = "_", .max_clients = 1, .max_request = 64});
	assert_coap(&cfg.coap, &(struct ctl_coap_cfg){.enabled = true,
						      .address = "0.0.0.0",
						      .port = 0,
						      .dtls_port = 1,
						      .psk_identity = "i",
						      .psk_key = "k",
						      .psk_len = 1,
						      .observe_interval_ms = 100,
						      .max_payload = 64});
	ctl_config_free(&cfg);

	/* Maximums; an IPv6 address is kept in canonical text. */
	ret = parse_sq(DOC("'ports':[{'name':'p1','port':'net_null5','mtu':9000},"
			   "{'name':'p2','port':'net_null6'}],"
			   "'control':{'socket':'/s','group':'Ab9_.-$','max_clients':1024,"
			   "'max_request':16777216},"
			   "'coap':{'enabled':true,'address':'2001:DB8:0:0::1','port':65535,"
			   "'dtls_port':65534,'psk_identity':'id','psk_key':'key',"
			   "'observe_interval_ms':3600000,'max_payload':65536}"),
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("maximums: %d: %s", ret, err);
	assert_int_equal(cfg.n_ports, 2);
	assert_int_equal(cfg.ports[0].mtu, 9000);
	assert_int_equal(cfg.ports[1].mtu, 1500);
	assert_control(&cfg.control, &(struct ctl_control_cfg){.socket = "/s",
							       .group = "Ab9_.-$",
							       .max_clients = 1024,
							       .max_request = 16777216});
	assert_coap(&cfg.coap, &(struct ctl_coap_cfg){.enabled = true,
						      .address = "2001:db8::1",
						      .port = 65535,
						      .dtls_port = 65534,
						      .psk_identity = "id",
						      .psk_key = "key",
						      .psk_len = 3,
						      .observe_interval_ms = 3600000,
						      .max_payload = 65536});
	ctl_config_free(&cfg);

	/*
	 * A disabled endpoint may have no port at all; a PSK without a DTLS
	 * port is kept; an empty group is no group.
	 */
	ret = parse_sq(DOC("'control':{'group':''},"
			   "'coap':{'enabled':false,'port':0,'psk_identity':'id','psk_key':'k',"
			   "'address':'::'}"),
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("disabled: %d: %s", ret, err);
	assert_false(cfg.coap.enabled);
	assert_int_equal(cfg.coap.port, 0);
	assert_int_equal(cfg.coap.psk_len, 1);
	assert_string_equal(cfg.coap.address, "::");
	assert_string_equal(cfg.control.group, "");
	assert_string_equal(cfg.control.socket, CTL_SOCKET_PATH);
	assert_int_equal(cfg.n_ports, 0);
	ctl_config_free(&cfg);

	/* Enabled with the default plain port only. */
	ret = parse_sq(CO("'enabled':true,'address':'::FFFF:127.0.0.1'"), &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("enabled: %d: %s", ret, err);
	assert_true(cfg.coap.enabled);
	assert_int_equal(cfg.coap.port, 5683);
	assert_int_equal(cfg.coap.dtls_port, 0);
	assert_string_equal(cfg.coap.address, "::ffff:127.0.0.1");
	ctl_config_free(&cfg);

	/* Ports alone, without VNIs or endpoints. */
	ret = parse_sq("{" UL ",'ports':[" PORT("a", "net_null1") "," PORT("b", "net_null2") "]}",
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("ports alone: %d: %s", ret, err);
	assert_int_equal(cfg.n_ports, 2);
	assert_int_equal(cfg.n_eps, 0);
	ctl_config_free(&cfg);
}

/** A document with @p n_eps endpoints (see eps_doc()) and @p n_ports ports. */
static json_t *
ports_doc(unsigned int n_eps, unsigned int n_ports)
{
	json_t *doc = n_eps > 0 ? eps_doc(n_eps, VX_VNI_MAX_EPS, 0, 65536) : base_doc();
	json_t *ports = add_array(doc, "ports");
	char name[32], port[32];

	for (unsigned int i = 0; i < n_ports; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(port, sizeof(port), "net_ring%u", i);
		json_array_append_new(ports, json_pack("{s:s,s:s}", "name", name, "port", port));
	}
	return doc;
}

/** Ports and endpoints share VX_MAX_ENDPOINTS. */
static void
test_limit_ports(void **state)
{
	(void)state;
	expect_doc_ok(ports_doc(0, VX_MAX_ENDPOINTS));
	expect_doc_error(ports_doc(0, VX_MAX_ENDPOINTS + 1), "ports",
			 "too many ports (max 256): 257");
	expect_doc_ok(ports_doc(200, VX_MAX_ENDPOINTS - 200));
	expect_doc_error(ports_doc(200, VX_MAX_ENDPOINTS - 199), "ports",
			 "too many ports and endpoints (max 256): 257");
	expect_doc_error(ports_doc(VX_MAX_ENDPOINTS, 1), "ports",
			 "too many ports and endpoints (max 256): 257");
}

/** A document with the base underlay and one section @p sec holding @p key: @p val. */
static json_t *
section_doc(const char *sec, const char *key, json_t *val)
{
	json_t *doc = base_doc();

	assert_int_equal(json_object_set_new(doc, sec, json_pack("{s:o}", key, val)), 0);
	return doc;
}

/** Length limits of the new string keys, at the edge. */
static void
test_limit_section_strings(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	char *s;

	(void)state;
	/* 107 characters fit sun_path with its NUL; 108 do not. */
	s = long_string("/run/", 107);
	assert_int_equal(
		parse_doc(section_doc("control", "socket", json_string(s)), &cfg, err, sizeof(err)),
		0);
	assert_string_equal(cfg.control.socket, s);
	ctl_config_free(&cfg);
	free(s);
	s = long_string("/run/", 108);
	expect_doc_error(section_doc("control", "socket", json_string(s)), "control.socket",
			 "path too long for a unix socket (max 107 characters): '/run/aaa");
	free(s);

	s = long_string("g", 32);
	assert_int_equal(
		parse_doc(section_doc("control", "group", json_string(s)), &cfg, err, sizeof(err)),
		0);
	assert_string_equal(cfg.control.group, s);
	ctl_config_free(&cfg);
	free(s);
	s = long_string("g", 33);
	expect_doc_error(section_doc("control", "group", json_string(s)), "control.group",
			 "group name must have 1..32 characters");
	free(s);

	s = long_string("id", 127);
	assert_int_equal(parse_doc(section_doc("coap", "psk_identity", json_string(s)), &cfg, err,
				   sizeof(err)),
			 0);
	assert_string_equal(cfg.coap.psk_identity, s);
	ctl_config_free(&cfg);
	free(s);
	s = long_string("id", 128);
	expect_doc_error(section_doc("coap", "psk_identity", json_string(s)), "coap.psk_identity",
			 "identity must have 1..127 bytes 'idaaa");
	free(s);

	s = long_string("key", 64);
	assert_int_equal(
		parse_doc(section_doc("coap", "psk_key", json_string(s)), &cfg, err, sizeof(err)),
		0);
	assert_int_equal(cfg.coap.psk_len, 64);
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(cfg.coap.psk_key[i], (uint8_t)s[i]);
	ctl_config_free(&cfg);
	free(s);
}

/** Errors about coap.psk_key give its length or type, never its bytes. */
static void
test_coap_psk_secret(void **state)
{
	static const char secret[] = "TopSecretKey";
	struct ctl_config cfg;
	char err[CTL_ERR_LEN], *s;
	json_t *doc;

	(void)state;
	/* 65 bytes. */
	s = long_string(secret, 65);
	assert_int_equal(
		parse_doc(section_doc("coap", "psk_key", json_string(s)), &cfg, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "coap.psk_key: key must have 1..64 bytes: 65");
	free(s);

	/* The limit is in bytes: 32 two-byte characters fit, 33 do not. */
	s = malloc(67);
	assert_non_null(s);
	for (unsigned int i = 0; i < 33; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[66] = '\0';
	assert_int_equal(
		parse_doc(section_doc("coap", "psk_key", json_string(s)), &cfg, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "coap.psk_key: key must have 1..64 bytes: 66");
	s[64] = '\0';
	assert_int_equal(
		parse_doc(section_doc("coap", "psk_key", json_string(s)), &cfg, err, sizeof(err)),
		0);
	assert_int_equal(cfg.coap.psk_len, 64);
	ctl_config_free(&cfg);
	free(s);

	/* Not a string: the type only. */
	doc = section_doc("coap", "psk_key", json_pack("[s]", secret));
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "coap.psk_key: expected a string, got array");
	doc = section_doc("coap", "psk_key", json_pack("{s:s}", secret, secret));
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "coap.psk_key: expected a string, got object");

	/* An embedded NUL cannot come from a file, but is refused from a caller. */
	doc = section_doc("coap", "psk_key", json_stringn("Top\0Secret", 10));
	assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "coap.psk_key: string contains a NUL character");
	assert_empty(&cfg);
}

/* ------------------------------------------------------------------------- */
/* The mflow section.                                                        */

/** Mode and pick names round-trip, and anything else is refused. */
static void
test_mflow_names(void **state)
{
	static const char *const bad[] = {"",	   "RTC", "rtc ",  "pin", "micro-flow",
					  "least", "RR",  "LEAST", "r",	  "round-robin"};

	(void)state;
	for (int m = CTL_MF_RTC; m <= CTL_MF_MICROFLOW; m++)
		assert_int_equal(ctl_mf_mode_parse(ctl_mf_mode_name((uint8_t)m)), m);
	assert_string_equal(ctl_mf_mode_name(CTL_MF_RTC), "rtc");
	assert_string_equal(ctl_mf_mode_name(CTL_MF_PINNED), "pinned");
	assert_string_equal(ctl_mf_mode_name(CTL_MF_MICROFLOW), "microflow");
	assert_string_equal(ctl_mf_mode_name(CTL_MF_MICROFLOW + 1), "?");
	assert_string_equal(ctl_mf_mode_name(255), "?");
	assert_int_equal(ctl_mf_mode_parse(NULL), -EINVAL);

	for (int p = CTL_MF_PICK_RR; p <= CTL_MF_PICK_LEAST; p++)
		assert_int_equal(ctl_mf_pick_parse(ctl_mf_pick_name((uint8_t)p)), p);
	assert_string_equal(ctl_mf_pick_name(CTL_MF_PICK_RR), "rr");
	assert_string_equal(ctl_mf_pick_name(CTL_MF_PICK_LEAST), "least");
	assert_string_equal(ctl_mf_pick_name(CTL_MF_PICK_LEAST + 1), "?");
	assert_int_equal(ctl_mf_pick_parse(NULL), -EINVAL);

	/* "least" is a pick, not a mode; "rtc" is a mode, not a pick. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strcmp(bad[i], "least") != 0)
			assert_int_equal(ctl_mf_mode_parse(bad[i]), -EINVAL);
	assert_int_equal(ctl_mf_mode_parse("least"), -EINVAL);
	assert_int_equal(ctl_mf_pick_parse("rtc"), -EINVAL);
	assert_int_equal(ctl_mf_pick_parse("RR"), -EINVAL);
	assert_int_equal(ctl_mf_pick_parse(""), -EINVAL);
	assert_int_equal(ctl_mf_pick_parse("least "), -EINVAL);
}

/** Accepted mflow sections: range edges and the defaults that depend on other keys. */
static void
test_mflow_accepted(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	int ret;

	(void)state;
	/* Minimums; workers defaults to the number of worker lcores. */
	ret = parse_sq(MF("'mode':'pinned','dispatch_lcore':0,'merge_lcore':0,"
			  "'worker_lcores':[127,1,64],'batch_size':1,'pick':'rr',"
			  "'merge_timeout_us':0,'ring_size':64,"
			  "'elephant':{'table_size':4,'window_us':1,'promote_pkts':1,"
			  "'promote_bytes':0,'demote_pkts':0,'demote_bytes':0,"
			  "'promote_windows':1,'demote_windows':1}"),
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("minimums: %d: %s", ret, err);
	assert_mflow(&cfg.mflow, &(struct ctl_mflow_cfg){.mode = CTL_MF_PINNED,
							 .dispatch_lcore = 0,
							 .merge_lcore = 0,
							 .n_worker_lcores = 3,
							 .worker_lcores = {127, 1, 64},
							 .workers = 3,
							 .batch_size = 1,
							 .pick = CTL_MF_PICK_RR,
							 .merge_timeout_us = 0,
							 .ring_size = 64,
							 .elephant = {4, 1, 1, 0, 0, 0, 1, 1}});
	ctl_config_free(&cfg);

	/* Maximums. */
	ret = parse_sq(MF("'mode':'microflow','dispatch_lcore':127,'merge_lcore':126,"
			  "'worker_lcores':[0,1],'workers':2,'batch_size':65536,'pick':'least',"
			  "'merge_timeout_us':10000000,'ring_size':65536,"
			  "'elephant':{'table_size':1048576,'window_us':10000000,"
			  "'promote_pkts':4294967295,'promote_bytes':9223372036854775807,"
			  "'demote_pkts':4294967295,'demote_bytes':9223372036854775807,"
			  "'promote_windows':255,'demote_windows':255}"),
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("maximums: %d: %s", ret, err);
	assert_mflow(&cfg.mflow,
		     &(struct ctl_mflow_cfg){.mode = CTL_MF_MICROFLOW,
					     .dispatch_lcore = 127,
					     .merge_lcore = 126,
					     .n_worker_lcores = 2,
					     .worker_lcores = {0, 1},
					     .workers = 2,
					     .batch_size = 65536,
					     .pick = CTL_MF_PICK_LEAST,
					     .merge_timeout_us = 10000000,
					     .ring_size = 65536,
					     .elephant = {1048576, 10000000, UINT32_MAX, INT64_MAX,
							  UINT32_MAX, INT64_MAX, 255, 255}});
	ctl_config_free(&cfg);

	/* rtc may keep idle worker lcores and a smaller active count. */
	ret = parse_sq(MF("'mode':'rtc','worker_lcores':[3,2],'workers':1"), &cfg, err,
		       sizeof(err));
	if (ret != 0)
		fail_msg("rtc with workers: %d: %s", ret, err);
	assert_int_equal(cfg.mflow.mode, CTL_MF_RTC);
	assert_int_equal(cfg.mflow.n_worker_lcores, 2);
	assert_int_equal(cfg.mflow.workers, 1);
	assert_int_equal(cfg.mflow.dispatch_lcore, -1);
	assert_int_equal(cfg.mflow.merge_lcore, -1);
	ctl_config_free(&cfg);

	/*
	 * Without an explicit demote_pkts, its default never exceeds
	 * promote_pkts; demote_bytes is free while promote_bytes is off.
	 */
	ret = parse_sq(ME("'promote_pkts':10,'demote_bytes':5000"), &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("demote defaults: %d: %s", ret, err);
	assert_int_equal(cfg.mflow.elephant.promote_pkts, 10);
	assert_int_equal(cfg.mflow.elephant.demote_pkts, 10);
	assert_int_equal(cfg.mflow.elephant.promote_bytes, 0);
	assert_int_equal(cfg.mflow.elephant.demote_bytes, 5000);
	assert_int_equal(cfg.mflow.workers, 2);
	ctl_config_free(&cfg);

	/* Equal thresholds are allowed. */
	ret = parse_sq(ME("'promote_pkts':30,'demote_pkts':30,'promote_bytes':900,"
			  "'demote_bytes':900"),
		       &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("equal thresholds: %d: %s", ret, err);
	assert_int_equal(cfg.mflow.elephant.demote_pkts, 30);
	assert_int_equal(cfg.mflow.elephant.demote_bytes, 900);
	ctl_config_free(&cfg);
}

/** At most CTL_MF_MAX_WORKERS worker lcores. */
static void
test_mflow_limit_workers(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	json_t *doc, *mf, *wl;

	(void)state;
	for (unsigned int n = CTL_MF_MAX_WORKERS; n <= CTL_MF_MAX_WORKERS + 1; n++) {
		doc = base_doc();
		wl = json_array();
		for (unsigned int i = 0; i < n; i++)
			json_array_append_new(wl, json_integer(i + 1));
		mf = json_pack("{s:s,s:o}", "mode", "microflow", "worker_lcores", wl);
		json_object_set_new(doc, "mflow", mf);
		if (n == CTL_MF_MAX_WORKERS) {
			assert_int_equal(parse_doc(doc, &cfg, err, sizeof(err)), 0);
			assert_int_equal(cfg.mflow.n_worker_lcores, CTL_MF_MAX_WORKERS);
			assert_int_equal(cfg.mflow.workers, CTL_MF_MAX_WORKERS);
			assert_int_equal(cfg.mflow.worker_lcores[CTL_MF_MAX_WORKERS - 1],
					 CTL_MF_MAX_WORKERS);
			ctl_config_free(&cfg);
		} else {
			expect_doc_error(doc, "mflow.worker_lcores",
					 "too many worker lcores (max 64): 65");
		}
	}
}

/* ------------------------------------------------------------------------- */
/* Reload checks.                                                            */

/* The document the reload tests start from. */
#define RELOAD_DOC                                                                             \
	DOC("'fdb':[{'vni':100,'mac':'02:00:00:00:02:01','vtep':'198.18.0.2'}],"               \
	    "'neighbours':[{'ip':'198.18.0.2','mac':'02:00:00:00:00:02'}],"                    \
	    "'dataplane':{'burst':64},'stats':{'file':'/tmp/s.json','interval_s':2},"          \
	    "'mflow':{'mode':'pinned','dispatch_lcore':0,'worker_lcores':[1,2,3],'workers':2," \
	    "'elephant':{'promote_bytes':100000,'demote_bytes':1000}},"                        \
	    "'ports':[{'name':'p1','port':'net_null5'}],'control':{'group':'mflow'},"          \
	    "'coap':{'enabled':true,'dtls_port':5684,'psk_identity':'id','psk_key':'key'}")

/** Duplicate an array of @p n elements of @p size bytes; NULL when empty. */
static void *
dup_array(const void *src, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	p = malloc(n * size);
	assert_non_null(p);
	memcpy(p, src, n * size);
	return p;
}

/** Copy a config with its own arrays; free the copy with ctl_config_free(). */
static void
clone_config(const struct ctl_config *src, struct ctl_config *dst)
{
	/* Garbage in the padding must not matter to the comparison. */
	memset(dst, 0x5a, sizeof(*dst));
	*dst = *src;
	dst->vnis = dup_array(src->vnis, src->n_vnis, sizeof(*src->vnis));
	dst->eps = dup_array(src->eps, src->n_eps, sizeof(*src->eps));
	dst->fdb = dup_array(src->fdb, src->n_fdb, sizeof(*src->fdb));
	dst->neigh = dup_array(src->neigh, src->n_neigh, sizeof(*src->neigh));
	dst->ports = dup_array(src->ports, src->n_ports, sizeof(*src->ports));
}

/** Parse the reload base document. */
static void
reload_base(struct ctl_config *cfg)
{
	char err[CTL_ERR_LEN];
	int ret;

	ret = parse_sq(RELOAD_DOC, cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("reload base: %d: %s", ret, err);
	assert_int_equal(cfg->n_fdb, 1);
	assert_int_equal(cfg->n_neigh, 1);
	assert_int_equal(cfg->mflow.n_worker_lcores, 3);
	assert_int_equal(cfg->n_ports, 1);
	assert_int_equal(cfg->coap.psk_len, 3);
}

/** Unchanged configs, and changes of run-time keys, are accepted. */
static void
test_reload_runtime(void **state)
{
	struct ctl_config cur, next;
	char err[CTL_ERR_LEN];

	(void)state;
	reload_base(&cur);

	/* The same file parsed twice. */
	reload_base(&next);
	memset(err, 'x', sizeof(err));
	assert_int_equal(ctl_config_reload_check(&cur, &next, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(ctl_config_reload_check(&cur, &next, NULL, 0), 0);
	ctl_config_free(&next);

	for (int i = 0;; i++) {
		clone_config(&cur, &next);
		switch (i) {
		case 0:
			break;
		case 1:
			next.mflow.mode = CTL_MF_MICROFLOW;
			break;
		case 2:
			next.mflow.mode = CTL_MF_RTC;
			break;
		case 3:
			next.mflow.workers = 3;
			break;
		case 4:
			next.mflow.workers = 1;
			break;
		case 5:
			next.mflow.batch_size = 32;
			break;
		case 6:
			next.mflow.pick = CTL_MF_PICK_LEAST;
			break;
		case 7:
			next.mflow.merge_timeout_us = 0;
			break;
		case 8:
			next.mflow.elephant.window_us = 5000;
			break;
		case 9:
			next.mflow.elephant.promote_pkts = 1000;
			break;
		case 10:
			next.mflow.elephant.promote_bytes = 0;
			break;
		case 11:
			next.mflow.elephant.demote_pkts = 1;
			break;
		case 12:
			next.mflow.elephant.demote_bytes = 0;
			break;
		case 13:
			next.mflow.elephant.promote_windows = 7;
			break;
		case 14:
			next.mflow.elephant.demote_windows = 1;
			break;
		case 15:
			/* Everything that may change, at once. */
			next.mflow.mode = CTL_MF_MICROFLOW;
			next.mflow.workers = 3;
			next.mflow.batch_size = 1024;
			next.mflow.pick = CTL_MF_PICK_LEAST;
			next.mflow.merge_timeout_us = 77;
			next.mflow.elephant.window_us = 9;
			next.mflow.elephant.promote_pkts = 9;
			next.mflow.elephant.promote_bytes = 9;
			next.mflow.elephant.demote_pkts = 9;
			next.mflow.elephant.demote_bytes = 9;
			next.mflow.elephant.promote_windows = 9;
			next.mflow.elephant.demote_windows = 9;
			break;
		default:
			ctl_config_free(&next);
			ctl_config_free(&cur);
			return;
		}
		memset(err, 'x', sizeof(err));
		if (ctl_config_reload_check(&cur, &next, err, sizeof(err)) != 0)
			fail_msg("run-time change %d refused: %s", i, err);
		assert_string_equal(err, "");
		ctl_config_free(&next);
	}
}

/** Any change of a key that is fixed at start is refused, naming the key. */
static void
test_reload_fixed(void **state)
{
	struct ctl_config cur, next;
	char err[CTL_ERR_LEN], want[128];
	const char *path;

	(void)state;
	reload_base(&cur);
	for (int i = 0;; i++) {
		clone_config(&cur, &next);
		/* A run-time change alongside must not hide the fixed one. */
		next.mflow.batch_size = 99;
		switch (i) {
		case 0:
			path = "underlay.port";
			next.underlay.port[0] = 'X';
			break;
		case 1:
			path = "underlay.ip4";
			next.underlay.plen4 = 25;
			break;
		case 2:
			path = "underlay.ip6";
			next.underlay.ip6.v6[15] ^= 1;
			break;
		case 3:
			path = "underlay.gateway4";
			assert_int_equal(vx_ip_parse("198.18.0.254", &next.underlay.gw4), 0);
			break;
		case 4:
			path = "underlay.mac";
			next.underlay.has_mac = true;
			break;
		case 5:
			path = "underlay.mtu";
			next.underlay.mtu = 1400;
			break;
		case 6:
			path = "underlay.udp_port";
			next.underlay.udp_port = 4790;
			break;
		case 7:
			path = "underlay.strict_reserved";
			next.underlay.strict_reserved = false;
			break;
		case 8:
			path = "vnis";
			next.n_vnis = 1;
			break;
		case 9:
			path = "vnis[1].vni";
			next.vnis[1].vni = 201;
			break;
		case 10:
			path = "vnis[0].vteps";
			assert_int_equal(vx_ip_parse("198.18.0.3", &next.vnis[0].vteps[0]), 0);
			break;
		case 11:
			path = "vnis[0].vteps";
			next.vnis[0].n_vteps = 1;
			break;
		case 12:
			path = "endpoints[0].mac";
			next.eps[0].mac.addr_bytes[5] = 0x99;
			break;
		case 13:
			path = "endpoints[0].name";
			strcpy(next.eps[0].name, "c9");
			break;
		case 14:
			path = "endpoints[0].mtu";
			next.eps[0].mtu = 1400;
			break;
		case 15:
			path = "endpoints[0].any_src_mac";
			next.eps[0].any_src_mac = true;
			break;
		case 16:
			path = "fdb[0].vtep";
			assert_int_equal(vx_ip_parse("2001:2::2", &next.fdb[0].vtep), 0);
			break;
		case 17:
			path = "fdb";
			next.n_fdb = 0;
			break;
		case 18:
			path = "neighbours[0].mac";
			next.neigh[0].mac.addr_bytes[5] = 0x33;
			break;
		case 19:
			path = "dataplane.burst";
			next.dp.burst = 32;
			break;
		case 20:
			path = "dataplane.neigh_probes";
			next.dp.neigh_probes = 4;
			break;
		case 21:
			path = "dataplane.rx_desc";
			next.dp.rxd = 1024;
			break;
		case 22:
			path = "stats.file";
			strcpy(next.stats_file, "/tmp/t.json");
			break;
		case 23:
			path = "stats.interval_s";
			next.stats_interval_s = 3;
			break;
		case 24:
			path = "mflow.worker_lcores";
			next.mflow.worker_lcores[2] = 4;
			break;
		case 25:
			path = "mflow.worker_lcores";
			next.mflow.n_worker_lcores = 2;
			next.mflow.workers = 2;
			break;
		case 26:
			path = "mflow.ring_size";
			next.mflow.ring_size = 8192;
			break;
		case 27:
			path = "mflow.elephant.table_size";
			next.mflow.elephant.table_size = 1024;
			break;
		case 28:
			path = "mflow.dispatch_lcore";
			next.mflow.dispatch_lcore = -1;
			break;
		case 29:
			path = "mflow.merge_lcore";
			next.mflow.merge_lcore = 0;
			break;
		case 30:
			/* The first difference in document order is named. */
			path = "underlay.port";
			next.mflow.ring_size = 8192;
			next.dp.burst = 1;
			next.underlay.port[1] = 'Y';
			break;
		case 31:
			path = "ports";
			next.n_ports = 0;
			break;
		case 32:
			path = "ports[0].name";
			strcpy(next.ports[0].name, "p9");
			break;
		case 33:
			path = "ports[0].port";
			next.ports[0].port[0] = 'X';
			break;
		case 34:
			path = "ports[0].mtu";
			next.ports[0].mtu = 9000;
			break;
		case 35:
			path = "control.socket";
			next.control.socket[0] = '\0';
			break;
		case 36:
			path = "control.group";
			strcpy(next.control.group, "mflox");
			break;
		case 37:
			path = "control.max_clients";
			next.control.max_clients = 17;
			break;
		case 38:
			path = "control.max_request";
			next.control.max_request = 1024;
			break;
		case 39:
			path = "coap.enabled";
			next.coap.enabled = false;
			break;
		case 40:
			path = "coap.address";
			strcpy(next.coap.address, "::1");
			break;
		case 41:
			path = "coap.port";
			next.coap.port = 0;
			break;
		case 42:
			path = "coap.dtls_port";
			next.coap.dtls_port = 5685;
			break;
		case 43:
			path = "coap.psk_identity";
			strcpy(next.coap.psk_identity, "id2");
			break;
		case 44:
			path = "coap.psk_key";
			next.coap.psk_key[2] ^= 1;
			break;
		case 45:
			path = "coap.psk_key";
			next.coap.psk_len = 2;
			break;
		case 46:
			path = "coap.observe_interval_ms";
			next.coap.observe_interval_ms = 2000;
			break;
		case 47:
			path = "coap.max_payload";
			next.coap.max_payload = 1024;
			break;
		case 48:
			/* ports come before fdb ... */
			path = "ports[0].mtu";
			next.fdb[0].mac.addr_bytes[5] ^= 1;
			next.ports[0].mtu = 1400;
			break;
		case 49:
			/* ... control after mflow ... */
			path = "mflow.ring_size";
			strcpy(next.control.group, "other");
			next.mflow.ring_size = 8192;
			break;
		case 50:
			/* ... and coap after control. */
			path = "control.max_clients";
			next.coap.port = 1;
			next.control.max_clients = 1;
			break;
		default:
			ctl_config_free(&next);
			ctl_config_free(&cur);
			return;
		}
		memset(err, 'x', sizeof(err));
		if (ctl_config_reload_check(&cur, &next, err, sizeof(err)) != -EINVAL)
			fail_msg("change of %s (case %d) accepted", path, i);
		snprintf(want, sizeof(want), "%s: cannot change at run time", path);
		assert_string_equal(err, want);
		/* Without an error buffer the answer is the same. */
		assert_int_equal(ctl_config_reload_check(&cur, &next, NULL, 0), -EINVAL);
		ctl_config_free(&next);
	}
}

/** Reload checks on configs parsed from changed documents, and odd arguments. */
static void
test_reload_parsed(void **state)
{
	struct ctl_config cur, next;
	char err[CTL_ERR_LEN], small[8];
	int ret;

	(void)state;
	ret = ctl_config_load(CTL_TEST_DATA "/full.json", &cur, err, sizeof(err));
	if (ret != 0)
		fail_msg("full.json: %d: %s", ret, err);

	/* The full example in another mode with other run-time values. */
	ret = parse_sq(RELOAD_DOC, &next, err, sizeof(err));
	assert_int_equal(ret, 0);
	assert_int_equal(ctl_config_reload_check(&cur, &next, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "underlay.port: cannot change at run time");
	ctl_config_free(&next);

	/* A config without an mflow section differs from one with lcores. */
	ret = parse_sq("{" UL "}", &next, err, sizeof(err));
	assert_int_equal(ret, 0);
	ctl_config_free(&cur);
	clone_config(&next, &cur);
	next.mflow.mode = CTL_MF_PINNED;
	assert_int_equal(ctl_config_reload_check(&cur, &next, err, sizeof(err)), 0);
	next.mflow.dispatch_lcore = 1;
	assert_int_equal(ctl_config_reload_check(&cur, &next, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "mflow.d");
	ctl_config_free(&next);
	ctl_config_free(&cur);

	/* Bind addresses are compared as addresses, whatever their spelling. */
	ret = parse_sq(CO("'address':'::1'"), &cur, err, sizeof(err));
	assert_int_equal(ret, 0);
	clone_config(&cur, &next);
	strcpy(next.coap.address, "0:0:0::1");
	assert_int_equal(ctl_config_reload_check(&cur, &next, err, sizeof(err)), 0);
	strcpy(next.coap.address, "::2");
	assert_int_equal(ctl_config_reload_check(&cur, &next, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "coap.address: cannot change at run time");
	ctl_config_free(&next);
	ctl_config_free(&cur);

	assert_int_equal(ctl_config_reload_check(NULL, &cur, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_config_reload_check(&cur, NULL, NULL, 0), -EINVAL);
}

/* ------------------------------------------------------------------------- */
/* Files.                                                                    */

/** Write @p text to a file in the test directory; returns its path (static). */
static const char *
write_tmp(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_load_missing(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN], path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/does-not-exist.json", tmp_dir);
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_error(err, path, "No such file or directory");
	assert_empty(&cfg);

	assert_int_equal(ctl_config_load(tmp_dir, &cfg, err, sizeof(err)), -EISDIR);
	assert_error(err, tmp_dir, "Is a directory");
	assert_empty(&cfg);
}

static void
test_load_syntax_error(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN], want[256];
	const char *path;

	(void)state;
	path = write_tmp("syntax.json", "{\n  \"underlay\": {\n    \"port\": \"net_null0\",,\n"
					"    \"ip4\": \"198.18.0.1/24\"\n  }\n}\n");
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3:25: ", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got \"%s\", expected prefix \"%s\"", err, want);
	assert_non_null(strstr(err, "near ','"));
	assert_empty(&cfg);

	path = write_tmp("dup.json", "{\"underlay\": {\"port\": \"net_null0\",\n"
				     "\"ip4\": \"198.18.0.1/24\", \"port\": \"net_null1\"}}\n");
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_non_null(strstr(err, "duplicate object key"));
	assert_empty(&cfg);

	path = write_tmp("empty.json", "");
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);

	path = write_tmp("trailing.json", "{\"underlay\": {}} x");
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
}

static void
test_load_semantic_error(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];

	(void)state;
	assert_int_equal(
		ctl_config_load(CTL_TEST_DATA "/bad_semantic.json", &cfg, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "vnis[0].vni: out of range 0..16777215: 16777216");
	assert_empty(&cfg);
}

static void
test_free_null(void **state)
{
	struct ctl_config cfg;

	(void)state;
	ctl_config_free(NULL);
	ctl_config_defaults(&cfg);
	ctl_config_free(&cfg);
	ctl_config_free(&cfg);
	assert_empty(&cfg);
}

/* ------------------------------------------------------------------------- */
/* Writing configs back: ctl_config_dump() and ctl_config_save().            */

/** Two optional addresses are both unset, or of one family and equal. */
static void
assert_ip_same(const struct vx_ip *got, const struct vx_ip *want)
{
	assert_int_equal(got->family, want->family);
	if (want->family == AF_INET)
		assert_int_equal(got->v4, want->v4);
	else if (want->family == AF_INET6)
		for (unsigned int i = 0; i < 16; i++)
			assert_int_equal(got->v6[i], want->v6[i]);
}

static void
assert_mac_same(const struct rte_ether_addr *got, const struct rte_ether_addr *want)
{
	for (unsigned int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		assert_int_equal(got->addr_bytes[i], want->addr_bytes[i]);
}

/**
 * Compare two configs field by field, every section (no memcmp of
 * structs, so padding does not matter), then with ctl_config_reload_check()
 * both ways.
 */
static void
assert_config_equal(const struct ctl_config *got, const struct ctl_config *want)
{
	char err[CTL_ERR_LEN];

	assert_string_equal(got->underlay.port, want->underlay.port);
	assert_ip_same(&got->underlay.ip4, &want->underlay.ip4);
	if (want->underlay.ip4.family != 0)
		assert_int_equal(got->underlay.plen4, want->underlay.plen4);
	assert_ip_same(&got->underlay.ip6, &want->underlay.ip6);
	if (want->underlay.ip6.family != 0)
		assert_int_equal(got->underlay.plen6, want->underlay.plen6);
	assert_ip_same(&got->underlay.gw4, &want->underlay.gw4);
	assert_ip_same(&got->underlay.gw6, &want->underlay.gw6);
	assert_int_equal(got->underlay.has_mac, want->underlay.has_mac);
	if (want->underlay.has_mac)
		assert_mac_same(&got->underlay.mac, &want->underlay.mac);
	assert_int_equal(got->underlay.mtu, want->underlay.mtu);
	assert_int_equal(got->underlay.udp_port, want->underlay.udp_port);
	assert_int_equal(got->underlay.udp6_zero_csum_tx, want->underlay.udp6_zero_csum_tx);
	assert_int_equal(got->underlay.udp6_zero_csum_rx, want->underlay.udp6_zero_csum_rx);
	assert_int_equal(got->underlay.strict_reserved, want->underlay.strict_reserved);

	assert_int_equal(got->n_vnis, want->n_vnis);
	for (unsigned int i = 0; i < want->n_vnis; i++) {
		assert_int_equal(got->vnis[i].vni, want->vnis[i].vni);
		assert_int_equal(got->vnis[i].n_vteps, want->vnis[i].n_vteps);
		for (unsigned int j = 0; j < want->vnis[i].n_vteps; j++)
			assert_ip_same(&got->vnis[i].vteps[j], &want->vnis[i].vteps[j]);
	}
	assert_int_equal(got->n_eps, want->n_eps);
	for (unsigned int i = 0; i < want->n_eps; i++) {
		assert_string_equal(got->eps[i].name, want->eps[i].name);
		assert_string_equal(got->eps[i].port, want->eps[i].port);
		assert_int_equal(got->eps[i].vni, want->eps[i].vni);
		assert_mac_same(&got->eps[i].mac, &want->eps[i].mac);
		assert_int_equal(got->eps[i].mtu, want->eps[i].mtu);
		assert_int_equal(got->eps[i].any_src_mac, want->eps[i].any_src_mac);
	}
	assert_int_equal(got->n_ports, want->n_ports);
	for (unsigned int i = 0; i < want->n_ports; i++) {
		assert_string_equal(got->ports[i].name, want->ports[i].name);
		assert_string_equal(got->ports[i].port, want->ports[i].port);
		assert_int_equal(got->ports[i].mtu, want->ports[i].mtu);
	}
	assert_int_equal(got->n_fdb, want->n_fdb);
	for (unsigned int i = 0; i < want->n_fdb; i++) {
		assert_int_equal(got->fdb[i].vni, want->fdb[i].vni);
		assert_mac_same(&got->fdb[i].mac, &want->fdb[i].mac);
		assert_ip_same(&got->fdb[i].vtep, &want->fdb[i].vtep);
	}
	assert_int_equal(got->n_neigh, want->n_neigh);
	for (unsigned int i = 0; i < want->n_neigh; i++) {
		assert_ip_same(&got->neigh[i].ip, &want->neigh[i].ip);
		assert_mac_same(&got->neigh[i].mac, &want->neigh[i].mac);
	}

	assert_int_equal(got->dp.burst, want->dp.burst);
	assert_int_equal(got->dp.drain_us, want->dp.drain_us);
	assert_int_equal(got->dp.idle_polls, want->dp.idle_polls);
	assert_int_equal(got->dp.idle_sleep_us, want->dp.idle_sleep_us);
	assert_int_equal(got->dp.idle_sleep_max_us, want->dp.idle_sleep_max_us);
	assert_int_equal(got->dp.rxd, want->dp.rxd);
	assert_int_equal(got->dp.txd, want->dp.txd);
	assert_int_equal(got->dp.mbufs, want->dp.mbufs);
	assert_int_equal(got->dp.fdb_size, want->dp.fdb_size);
	assert_int_equal(got->dp.fdb_age_s, want->dp.fdb_age_s);
	assert_int_equal(got->dp.neigh_reachable_s, want->dp.neigh_reachable_s);
	assert_int_equal(got->dp.neigh_retrans_ms, want->dp.neigh_retrans_ms);
	assert_int_equal(got->dp.neigh_failed_s, want->dp.neigh_failed_s);
	assert_int_equal(got->dp.neigh_probes, want->dp.neigh_probes);
	assert_string_equal(got->stats_file, want->stats_file);
	assert_int_equal(got->stats_interval_s, want->stats_interval_s);

	assert_mflow(&got->mflow, &want->mflow);
	assert_control(&got->control, &want->control);
	assert_coap(&got->coap, &want->coap);

	if (ctl_config_reload_check(want, got, err, sizeof(err)) != 0)
		fail_msg("reload check: %s", err);
	if (ctl_config_reload_check(got, want, err, sizeof(err)) != 0)
		fail_msg("reload check (reversed): %s", err);
}

/** Parse a dump; it must be accepted. The document is borrowed. */
static void
parse_dump(const json_t *doc, struct ctl_config *cfg)
{
	char err[CTL_ERR_LEN];
	char *text;

	if (ctl_config_parse(doc, cfg, err, sizeof(err)) != 0) {
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fail_msg("dump refused: %s\n%s", err, text != NULL ? text : "");
	}
}

/**
 * parse -> dump -> parse gives an equal config, both from the document and
 * from its text, and dump(parse(dump(x))) equals dump(x), as JSON and as
 * text.
 *
 * @return
 *   The dump of @p cfg; the caller releases it.
 */
static json_t *
roundtrip(const struct ctl_config *cfg)
{
	struct ctl_config back, back_text;
	json_t *d1, *d2, *reread;
	char *t1, *t2;

	d1 = ctl_config_dump(cfg);
	assert_non_null(d1);
	parse_dump(d1, &back);
	assert_config_equal(&back, cfg);

	d2 = ctl_config_dump(&back);
	assert_non_null(d2);
	assert_true(json_equal(d1, d2));
	t1 = json_dumps(d1, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	t2 = json_dumps(d2, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_non_null(t1);
	assert_non_null(t2);
	assert_string_equal(t1, t2);

	/* Through text, as a saved file would be read. */
	reread = json_loads(t1, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(reread);
	parse_dump(reread, &back_text);
	assert_config_equal(&back_text, cfg);

	free(t1);
	free(t2);
	json_decref(reread);
	json_decref(d2);
	ctl_config_free(&back_text);
	ctl_config_free(&back);
	return d1;
}

/** Keys of an object, in order, must be exactly @p keys (NULL-terminated). */
static void
assert_keys(const json_t *obj, const char *const *keys)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	assert_true(json_is_object(obj));
	json_object_foreach ((json_t *)(uintptr_t)obj, key, v) {
		(void)v;
		if (keys[i] == NULL)
			fail_msg("unexpected key %s", key);
		assert_string_equal(key, keys[i]);
		i++;
	}
	if (keys[i] != NULL)
		fail_msg("missing key %s", keys[i]);
}

/** The full example survives a round trip, with every section and key written. */
static void
test_roundtrip_full(void **state)
{
	static const char *const top[] = {
		"underlay", "vnis",  "endpoints", "ports", "fdb",	 "neighbours", "dataplane",
		"stats",    "mflow", "control",	  "coap",  "containers", NULL};
	static const char *const underlay[] = {"port",
					       "ip4",
					       "ip6",
					       "gateway4",
					       "gateway6",
					       "mac",
					       "mtu",
					       "udp_port",
					       "udp6_zero_csum_tx",
					       "udp6_zero_csum_rx",
					       "strict_reserved",
					       NULL};
	static const char *const mflow[] = {
		"mode", "dispatch_lcore",   "merge_lcore", "worker_lcores", "workers", "batch_size",
		"pick", "merge_timeout_us", "ring_size",   "elephant",	    NULL};
	static const char *const elephant[] = {
		"table_size",	   "window_us",	     "promote_pkts",
		"promote_bytes",   "demote_pkts",    "demote_bytes",
		"promote_windows", "demote_windows", NULL,
	};
	static const char *const ports[] = {"name", "port", "mtu", NULL};
	static const char *const endpoint[] = {"name", "port",	      "vni", "mac",
					       "mtu",  "any_src_mac", NULL};
	static const char *const control[] = {"socket", "group", "max_clients", "max_request",
					      NULL};
	static const char *const coap[] = {"enabled",
					   "address",
					   "port",
					   "dtls_port",
					   "psk_identity",
					   "psk_key",
					   "observe_interval_ms",
					   "max_payload",
					   NULL};
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	json_t *d;

	(void)state;
	if (ctl_config_load(CTL_TEST_DATA "/full.json", &cfg, err, sizeof(err)) != 0)
		fail_msg("full.json: %s", err);
	d = roundtrip(&cfg);

	assert_keys(d, top);
	assert_keys(json_object_get(d, "underlay"), underlay);
	assert_keys(json_object_get(d, "mflow"), mflow);
	assert_keys(json_object_get(json_object_get(d, "mflow"), "elephant"), elephant);
	assert_keys(json_object_get(d, "control"), control);
	assert_keys(json_object_get(d, "coap"), coap);
	assert_int_equal(json_array_size(json_object_get(d, "ports")), 2);
	assert_keys(json_array_get(json_object_get(d, "ports"), 1), ports);
	/* Defaults are written out: c2 has no mtu in the file. */
	assert_keys(json_array_get(json_object_get(d, "endpoints"), 1), endpoint);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(d, "endpoints"), 1), "mtu")),
			 1500);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(d, "ports"), 1), "mtu")),
			 1500);
	/* So are empty lists: the third VNI has no VTEPs. */
	assert_int_equal(json_array_size(json_object_get(
				 json_array_get(json_object_get(d, "vnis"), 2), "vteps")),
			 0);
	/* Canonical text and the key as it was. */
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "underlay"), "ip6")),
		"2001:2::1/64");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "coap"), "address")), "::1");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "coap"), "psk_key")),
		"0123456789abcdef");
	json_decref(d);
	ctl_config_free(&cfg);
}

/** The dump of a config of defaults, compared with the whole expected document. */
static void
test_roundtrip_defaults(void **state)
{
	static const char expected[] =
		"{'underlay':{'port':'net_null0','ip4':'198.18.0.1/24','mtu':1500,'udp_port':4789,"
		"'udp6_zero_csum_tx':false,'udp6_zero_csum_rx':false,'strict_reserved':true},"
		"'vnis':[],'endpoints':[],'ports':[],'fdb':[],'neighbours':[],"
		"'dataplane':{'burst':32,'drain_us':100,'idle_polls':1000,'idle_sleep_us':100,"
		"'idle_sleep_max_us':1000,'rx_desc':4096,'tx_desc':4096,'mbufs':16383,"
		"'fdb_size':65536,'fdb_age_s':300,'neigh_reachable_s':30,'neigh_retrans_ms':1000,"
		"'neigh_failed_s':5,'neigh_probes':3},"
		"'stats':{'interval_s':0},"
		"'mflow':{'mode':'rtc','worker_lcores':[],'batch_size':256,'pick':'rr',"
		"'merge_timeout_us':1000,'ring_size':4096,'elephant':{'table_size':4096,"
		"'window_us':1000,'promote_pkts':100,'promote_bytes':0,'demote_pkts':25,"
		"'demote_bytes':0,'promote_windows':2,'demote_windows':8}},"
		"'control':{'socket':'/run/mflowd/mflowd.sock','group':'','max_clients':16,"
		"'max_request':65536},"
		"'coap':{'enabled':false,'address':'127.0.0.1','port':5683,'dtls_port':0,"
		"'observe_interval_ms':1000,'max_payload':4096},"
		"'containers':{'enabled':true,'state_dir':'/var/lib/mflowd/containers',"
		"'run_dir':'/run/mflowd','runtime':'runc','pmd':'auto'}}";
	struct ctl_config cfg, built;
	char err[CTL_ERR_LEN], *text;
	json_t *d, *want;

	(void)state;
	if (ctl_config_load(CTL_TEST_DATA "/minimal.json", &cfg, err, sizeof(err)) != 0)
		fail_msg("minimal.json: %s", err);
	d = roundtrip(&cfg);
	text = sq_to_dq(expected);
	want = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(want);
	if (!json_equal(d, want)) {
		char *got = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);

		fail_msg("dump of defaults:\n got  %s\n want %s", got, text);
	}
	free(text);
	json_decref(want);
	json_decref(d);

	/* A config built from ctl_config_defaults() dumps the same way. */
	ctl_config_defaults(&built);
	strcpy(built.underlay.port, "net_null0");
	assert_int_equal(
		vx_prefix_parse("198.18.0.1/24", &built.underlay.ip4, &built.underlay.plen4), 0);
	assert_config_equal(&built, &cfg);
	d = roundtrip(&built);
	json_decref(d);
	ctl_config_free(&cfg);
	assert_null(ctl_config_dump(NULL));
}

/**
 * IPv6 only, gateways, static FDB entries and neighbours, mflow settings,
 * written with non-canonical addresses and upper-case MACs: the dump is in
 * canonical form and parses back to the same config.
 */
static void
test_roundtrip_ipv6(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN];
	json_t *d;
	int ret;

	(void)state;
	ret = parse_sq(
		"{'underlay':{'port':'net_af_packet0,iface=eth1','ip6':'2001:DB8:0:0:0:0:0:1/64',"
		"'gateway6':'2001:db8::FE','mac':'02:AB:CD:EF:00:01','mtu':9000,"
		"'udp_port':8472,'udp6_zero_csum_tx':true},"
		"'vnis':[{'vni':5,'vteps':['2001:db8:0::2','2001:DB8:1::2']},"
		"{'vni':6,'vteps':['2001:db8::2']}],"
		"'endpoints':[{'name':'a','port':'net_null1','vni':5,'mac':'0A:00:00:00:00:0A',"
		"'any_src_mac':true}],"
		"'ports':[{'name':'b','port':'net_null2','mtu':1280}],"
		"'fdb':[{'vni':5,'mac':'02:00:00:00:00:BB','vtep':'2001:DB8:1::2'},"
		"{'vni':6,'mac':'02:00:00:00:00:cc','vtep':'2001:db8:0:0::2'}],"
		"'neighbours':[{'ip':'2001:db8::fe','mac':'02:00:00:00:00:FE'},"
		"{'ip':'2001:DB8::2','mac':'02:00:00:00:00:02'}],"
		"'dataplane':{'idle_sleep_us':2000,'fdb_size':16},"
		"'stats':{'file':'/tmp/x.json','interval_s':1},"
		"'mflow':{'mode':'pinned','dispatch_lcore':3,'merge_lcore':3,'worker_lcores':[5,4],"
		"'workers':1,'pick':'least','elephant':{'promote_pkts':10,'promote_bytes':1000}},"
		"'control':{'socket':'','group':'netadm'},"
		"'coap':{'address':'0:0:0:0:0:0:0:0','port':0,'dtls_port':5684,'psk_identity':'id',"
		"'psk_key':'k\\u00e9y'}}",
		&cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("%d: %s", ret, err);
	/* Defaults that follow other keys. */
	assert_int_equal(cfg.dp.idle_sleep_max_us, 2000);
	assert_int_equal(cfg.mflow.elephant.demote_pkts, 10);
	assert_int_equal(cfg.coap.psk_len, 4);

	d = roundtrip(&cfg);
	assert_null(json_object_get(json_object_get(d, "underlay"), "ip4"));
	assert_null(json_object_get(json_object_get(d, "underlay"), "gateway4"));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "underlay"), "ip6")),
		"2001:db8::1/64");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "underlay"), "gateway6")),
		"2001:db8::fe");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "underlay"), "mac")),
		"02:ab:cd:ef:00:01");
	assert_string_equal(
		json_string_value(json_array_get(
			json_object_get(json_array_get(json_object_get(d, "vnis"), 0), "vteps"),
			1)),
		"2001:db8:1::2");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "endpoints"), 0), "mac")),
			    "0a:00:00:00:00:0a");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "fdb"), 0), "mac")),
			    "02:00:00:00:00:bb");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "fdb"), 1), "vtep")),
			    "2001:db8::2");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "neighbours"), 1), "ip")),
			    "2001:db8::2");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "neighbours"), 0), "mac")),
			    "02:00:00:00:00:fe");
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "stats"), "file")),
			    "/tmp/x.json");
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(d, "mflow"), "dispatch_lcore")),
		3);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(d, "mflow"), "workers")), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "control"), "socket")), "");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "coap"), "address")), "::");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "coap"), "psk_key")),
		"k\xc3\xa9y");
	json_decref(d);
	ctl_config_free(&cfg);

	/* IPv4 only, no gateways, no MAC: the IPv6 keys are left out. */
	ret = parse_sq("{" UL ",'mflow':{'dispatch_lcore':2},"
		       "'coap':{'psk_identity':'only-id'}}",
		       &cfg, err, sizeof(err));
	assert_int_equal(ret, 0);
	d = roundtrip(&cfg);
	assert_null(json_object_get(json_object_get(d, "underlay"), "mac"));
	assert_null(json_object_get(json_object_get(d, "underlay"), "gateway6"));
	assert_null(json_object_get(json_object_get(d, "mflow"), "merge_lcore"));
	assert_null(json_object_get(json_object_get(d, "mflow"), "workers"));
	assert_null(json_object_get(json_object_get(d, "coap"), "psk_key"));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(d, "coap"), "psk_identity")),
		"only-id");
	json_decref(d);
	ctl_config_free(&cfg);
}

/** Read a whole file into a new string. */
static char *
read_file(const char *path)
{
	struct stat st;
	char *buf;
	FILE *f;

	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	buf[st.st_size] = '\0';
	fclose(f);
	return buf;
}

/** Count the entries of the test directory whose name starts with @p prefix. */
static unsigned int
count_entries(const char *prefix)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(tmp_dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/** Saved files load back equal, pretty-printed, mode 0640, with no temporary file left. */
static void
test_save(void **state)
{
	struct ctl_config cfg, back, small;
	char err[CTL_ERR_LEN], path[128];
	char *text, *want;
	struct stat st;
	mode_t old;
	json_t *d;

	(void)state;
	if (ctl_config_load(CTL_TEST_DATA "/full.json", &cfg, err, sizeof(err)) != 0)
		fail_msg("full.json: %s", err);
	snprintf(path, sizeof(path), "%s/saved.json", tmp_dir);

	/* The mode does not depend on the umask. */
	old = umask(0077);
	assert_int_equal(ctl_config_save(&cfg, path), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(count_entries("saved.json"), 1);

	if (ctl_config_load(path, &back, err, sizeof(err)) != 0)
		fail_msg("saved file: %s", err);
	assert_config_equal(&back, &cfg);
	ctl_config_free(&back);

	/* Exactly the dump, indented by two, keys in order, one trailing newline. */
	text = read_file(path);
	d = ctl_config_dump(&cfg);
	assert_non_null(d);
	want = json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_non_null(want);
	assert_int_equal(strlen(text), strlen(want) + 1);
	assert_memory_equal(text, want, strlen(want));
	assert_string_equal(text + strlen(want), "\n");
	assert_int_equal(strncmp(text, "{\n  \"underlay\": {\n    \"port\": ", 30), 0);
	free(want);
	free(text);
	json_decref(d);

	/* Replacing a file gives a new one with mode 0640, whatever the old mode. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ctl_config_load(CTL_TEST_DATA "/minimal.json", &small, err, sizeof(err)),
			 0);
	old = umask(0);
	assert_int_equal(ctl_config_save(&small, path), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(ctl_config_load(path, &back, err, sizeof(err)), 0);
	assert_config_equal(&back, &small);
	ctl_config_free(&back);
	assert_int_equal(count_entries("saved.json"), 1);
	assert_int_equal(unlink(path), 0);
	ctl_config_free(&small);
	ctl_config_free(&cfg);
}

/** Failures return -errno and leave nothing behind. */
static void
test_save_errors(void **state)
{
	struct ctl_config cfg;
	char err[CTL_ERR_LEN], path[160];
	struct stat st;

	(void)state;
	if (ctl_config_load(CTL_TEST_DATA "/full.json", &cfg, err, sizeof(err)) != 0)
		fail_msg("full.json: %s", err);

	/* A missing directory: nothing is created, neither it nor a file. */
	snprintf(path, sizeof(path), "%s/nodir/x.json", tmp_dir);
	assert_int_equal(ctl_config_save(&cfg, path), -ENOENT);
	snprintf(path, sizeof(path), "%s/nodir", tmp_dir);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries("nodir"), 0);

	/* A directory in the way: the temporary file is removed again. */
	snprintf(path, sizeof(path), "%s/adir", tmp_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ctl_config_save(&cfg, path), -EISDIR);
	assert_int_equal(count_entries("adir"), 1);
	assert_int_equal(rmdir(path), 0);

	/* A path through a regular file. */
	snprintf(path, sizeof(path), "%s/plain", tmp_dir);
	write_tmp("plain", "x");
	snprintf(path, sizeof(path), "%s/plain/x.json", tmp_dir);
	assert_int_equal(ctl_config_save(&cfg, path), -ENOTDIR);
	assert_int_equal(count_entries("plain"), 1);

	/* Bad arguments. */
	assert_int_equal(ctl_config_save(NULL, path), -EINVAL);
	assert_int_equal(ctl_config_save(&cfg, NULL), -EINVAL);
	assert_int_equal(ctl_config_save(&cfg, ""), -EINVAL);

	/* A key that is not UTF-8 cannot be written; no file appears. */
	cfg.coap.psk_key[0] = 0xff;
	assert_null(ctl_config_dump(&cfg));
	snprintf(path, sizeof(path), "%s/bad-key.json", tmp_dir);
	assert_int_equal(ctl_config_save(&cfg, path), -ENOMEM);
	assert_int_equal(count_entries("bad-key"), 0);
	ctl_config_free(&cfg);
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/mflowd-ctl-XXXXXX");
	return mkdtemp(tmp_dir) == NULL ? -1 : 0;
}

/** Remove the test directory and whatever the tests left in it. */
static int
teardown_tmp(void **state)
{
	char path[384];
	struct dirent *de;
	DIR *d;

	(void)state;
	d = opendir(tmp_dir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp_dir, de->d_name);
		if (unlink(path) < 0)
			rmdir(path);
	}
	closedir(d);
	return rmdir(tmp_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_defaults_function),
		cmocka_unit_test(test_defaults_absent_keys),
		cmocka_unit_test(test_boundaries_accepted),
		cmocka_unit_test(test_exact_messages),
		cmocka_unit_test(test_message_escaping),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_root_borrowed),
		cmocka_unit_test(test_error_after_arrays),
		cmocka_unit_test(test_limit_vnis),
		cmocka_unit_test(test_limit_vteps),
		cmocka_unit_test(test_limit_endpoints),
		cmocka_unit_test(test_limit_fdb),
		cmocka_unit_test(test_limit_neighbours),
		cmocka_unit_test(test_limit_strings),
		cmocka_unit_test(test_sections_accepted),
		cmocka_unit_test(test_limit_ports),
		cmocka_unit_test(test_limit_section_strings),
		cmocka_unit_test(test_coap_psk_secret),
		cmocka_unit_test(test_mflow_names),
		cmocka_unit_test(test_mflow_accepted),
		cmocka_unit_test(test_mflow_limit_workers),
		cmocka_unit_test(test_reload_runtime),
		cmocka_unit_test(test_reload_fixed),
		cmocka_unit_test(test_reload_parsed),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_syntax_error),
		cmocka_unit_test(test_load_semantic_error),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_roundtrip_full),
		cmocka_unit_test(test_roundtrip_defaults),
		cmocka_unit_test(test_roundtrip_ipv6),
		cmocka_unit_test(test_save),
		cmocka_unit_test(test_save_errors),
	};
	static struct CMUnitTest bad[N_BAD];
	static char names[N_BAD][96];
	int failed;

	failed = cmocka_run_group_tests_name("control", tests, setup_tmp, teardown_tmp);

	/* One named test per rejected document, so that a failure names its case. */
	for (size_t i = 0; i < N_BAD; i++) {
		snprintf(names[i], sizeof(names[i]), "bad[%zu] %s: %.60s", i, bad_cases[i].path,
			 bad_cases[i].what);
		bad[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_bad_one,
			.initial_state = (void *)(uintptr_t)&bad_cases[i],
		};
	}
	failed +=
		_cmocka_run_group_tests("control bad configs", bad, N_BAD, setup_tmp, teardown_tmp);
	failed += ctl_test_rpc();
	failed += ctl_test_server();
	failed += ctl_test_coap();
	failed += ctl_test_methods();
	return failed == 0 ? 0 : 1;
}
