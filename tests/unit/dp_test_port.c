/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports opened at run time and the packet pools that grow with them. The
 * group opens a net_ring underlay and then net_null ports (hot-plugged, no
 * RX) until the first pool of the node is full, checks that a second pool
 * appears and that every port's reservation is accounted and given back on
 * close, sends frames through a net_ring endpoint that uses the second
 * pool with the real loop running, and checks that queue sizes and pool
 * sizes set with dp_port_defaults_set() apply to ports and pools created
 * from then on only. The tests run in order and build on each other.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_test.h"
#include "vx_test_frames.h"

/* The sizes the group starts with. */
#define RXD   256
#define TXD   256
#define BURST 32
#define MBUFS 1023
/* Frames sent each way by the traffic test. */
#define N_FRAMES 64
/* Index of the endpoint port: dp_test_vx() puts endpoint e1 on port 1. */
#define PI_UL 0
#define PI_E1 1

static struct dp tdp;
static struct dp_test_ringport tul, te1;
static bool launched;
static unsigned int n_null;
static int node;

/* Open a hot-plugged net_null port that never receives; returns its index. */
static int
open_null(void)
{
	char name[32], devargs[64];

	snprintf(name, sizeof(name), "null%u", n_null);
	snprintf(devargs, sizeof(devargs), "net_null_pt%u,no-rx=1", n_null);
	n_null++;
	return dp_port_open(&tdp, name, devargs, DP_PORT_ENDPOINT, VX_NONE, 1500);
}

/* The mbufs a port opened with the current sizes reserves. */
static uint32_t
need_now(void)
{
	struct dp_port_defaults d;

	dp_port_defaults_get(&tdp, &d);
	return (uint32_t)d.rxd + d.txd + BURST;
}

static struct dp_pool *
pool_k(uint16_t k)
{
	return &tdp.node_pools[node][k];
}

/* Every pool's reservations are those of the ports that use it, within its room. */
static void
check_accounting(void)
{
	for (uint16_t k = 0; k < tdp.n_node_pools[node]; k++) {
		const struct dp_pool *pl = pool_k(k);
		uint32_t sum = 0;
		uint16_t n = 0;
		char name[RTE_MEMPOOL_NAMESIZE];

		for (uint16_t i = 0; i < tdp.n_ports; i++) {
			const struct dp_port *port = &tdp.ports[i];

			if (port->name[0] == '\0' || port->socket != node || port->pool != k)
				continue;
			assert_true(port->reserved != 0);
			assert_int_equal(port->reserved, (uint32_t)port->rxd + port->txd + BURST);
			assert_ptr_equal(dp_port_pool(&tdp, i), pl->mp);
			sum += port->reserved;
			n++;
		}
		assert_int_equal(pl->reserved, sum);
		assert_int_equal(pl->n_ports, n);
		assert_true(pl->reserved <= pl->room);
		assert_true(pl->room < pl->size);
		assert_int_equal(pl->mp->size, pl->size);
		snprintf(name, sizeof(name), "mflow_pool_%d_%u", node, k);
		assert_ptr_equal(rte_mempool_lookup(name), pl->mp);
	}
	assert_ptr_equal(tdp.pools[node], pool_k(0)->mp);
}

/* The newest pool of the node with room for @p need, or -1. */
static int
pool_with_room(uint32_t need)
{
	for (int k = tdp.n_node_pools[node] - 1; k >= 0; k--)
		if (pool_k((uint16_t)k)->room - pool_k((uint16_t)k)->reserved >= need)
			return k;
	return -1;
}

static int
port_setup(void **state)
{
	struct dp_params p = {.burst = BURST,
			      .drain_us = 100,
			      .idle_polls = 100,
			      .idle_sleep_us = 50,
			      .idle_sleep_max_us = 500,
			      .rxd = RXD,
			      .txd = TXD,
			      .mbufs = MBUFS,
			      .n_ports = 1};

	(void)state;
	memset(&tdp, 0, sizeof(tdp));
	dp_test_ringport(&tul, "port_ul", 1024, 1024);
	dp_test_ringport(&te1, "port_e1", 1024, 1024);
	assert_int_equal(dp_init(&tdp, &p), 0);
	assert_int_equal(dp_port_open(&tdp, "underlay", tul.name, DP_PORT_UNDERLAY, 0, 1500),
			 PI_UL);
	node = tdp.ports[PI_UL].socket;
	return 0;
}

static int
port_teardown(void **state)
{
	void *m;

	(void)state;
	if (launched) {
		__atomic_store_n(&tdp.quit, true, __ATOMIC_RELEASE);
		rte_eal_wait_lcore(tdp.lc->lcore_id);
	}
	dp_ports_close(&tdp);
	vx_destroy(tdp.vx);
	/* Mbufs left on the rings go back before their pools do. */
	while (rte_ring_dequeue(tul.tx, &m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(te1.tx, &m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(tul.rx, &m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(te1.rx, &m) == 0)
		rte_pktmbuf_free(m);
	dp_fini(&tdp);
	dp_test_ringport_free(&tul);
	dp_test_ringport_free(&te1);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Defaults.                                                                 */

static void
defaults_are(uint16_t rxd, uint16_t txd, uint32_t mbufs)
{
	struct dp_port_defaults d = {0};

	dp_port_defaults_get(&tdp, &d);
	assert_int_equal(d.rxd, rxd);
	assert_int_equal(d.txd, txd);
	assert_int_equal(d.mbufs, mbufs);
}

/* Out-of-range values are refused and change nothing, not even the valid ones beside them. */
static void
test_defaults_validation(void **state)
{
	static const struct dp_port_defaults bad[] = {
		{.rxd = 63},
		{.rxd = 4097},
		{.rxd = UINT16_MAX},
		{.txd = 63},
		{.txd = 4097},
		{.mbufs = 1022},
		{.mbufs = 1048576},
		{.mbufs = UINT32_MAX},
		{.rxd = 512, .txd = 512, .mbufs = 1022},
		{.rxd = 512, .txd = 4097},
		{.rxd = 32, .mbufs = 4095},
	};
	const struct dp_port_defaults lo = {.rxd = 64, .txd = 64, .mbufs = 1023};
	const struct dp_port_defaults hi = {.rxd = 4096, .txd = 4096, .mbufs = 1048575};
	const struct dp_port_defaults keep = {0};
	const struct dp_port_defaults txd_only = {.txd = 128};
	const struct dp_port_defaults back = {.rxd = RXD, .txd = TXD, .mbufs = MBUFS};

	(void)state;
	defaults_are(RXD, TXD, MBUFS);
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		assert_int_equal(dp_port_defaults_set(&tdp, &bad[i]), -EINVAL);
		defaults_are(RXD, TXD, MBUFS);
	}
	assert_int_equal(dp_port_defaults_set(&tdp, &keep), 0);
	defaults_are(RXD, TXD, MBUFS);
	assert_int_equal(dp_port_defaults_set(&tdp, &lo), 0);
	defaults_are(64, 64, 1023);
	assert_int_equal(dp_port_defaults_set(&tdp, &hi), 0);
	defaults_are(4096, 4096, 1048575);
	assert_int_equal(dp_port_defaults_set(&tdp, &txd_only), 0);
	defaults_are(4096, 128, 1048575);
	assert_int_equal(dp_port_defaults_set(&tdp, &back), 0);
	defaults_are(RXD, TXD, MBUFS);
	/* Nothing was opened or created meanwhile. */
	assert_int_equal(tdp.n_node_pools[node], 1);
	assert_int_equal(tdp.n_ports, 1);
}

/* ------------------------------------------------------------------------- */
/* Growth.                                                                   */

/*
 * Ports fill the first pool, the next one gets a second pool, closing a
 * port gives its reservation back, and a port opened later goes to the
 * newest pool with room even when an older one has room again.
 */
static void
test_pool_growth(void **state)
{
	const uint32_t need = RXD + TXD + BURST;
	struct dp_pool *p0 = pool_k(0), *p1;
	unsigned int fit;
	int idx;

	(void)state;
	assert_int_equal(tdp.n_node_pools[node], 1);
	assert_int_equal(tdp.ports[PI_UL].rxd, RXD);
	assert_int_equal(tdp.ports[PI_UL].txd, TXD);
	assert_int_equal(tdp.ports[PI_UL].pool, 0);
	assert_int_equal(tdp.ports[PI_UL].reserved, need);
	assert_int_equal(p0->reserved, need);
	assert_int_equal(p0->n_ports, 1);
	check_accounting();

	/* The first pool has room for the port opened at start and the spare ones. */
	fit = p0->room / need;
	assert_true(fit >= 1 + DP_SPARE_PORTS);
	assert_true(fit < 64);
	for (unsigned int i = 1; i < fit; i++) {
		idx = open_null();
		assert_int_equal(idx, (int)i);
		assert_int_equal(tdp.ports[idx].pool, 0);
		assert_int_equal(tdp.ports[idx].reserved, need);
		assert_int_equal(p0->reserved, (i + 1) * need);
	}
	assert_int_equal(tdp.n_node_pools[node], 1);
	check_accounting();

	/* One more does not fit: a second pool, with room for DP_POOL_GROW_PORTS more. */
	idx = open_null();
	assert_int_equal(idx, (int)fit);
	assert_int_equal(tdp.n_node_pools[node], 2);
	p1 = pool_k(1);
	assert_int_equal(tdp.ports[idx].pool, 1);
	assert_ptr_equal(dp_port_pool(&tdp, (uint16_t)idx), p1->mp);
	assert_int_equal(p1->reserved, need);
	assert_int_equal(p1->n_ports, 1);
	assert_true(p1->room >= (1 + DP_POOL_GROW_PORTS) * need);
	assert_true(p1->size >= MBUFS);
	assert_int_equal(p0->reserved, fit * need);
	check_accounting();
	print_message("%u ports in the first pool (%u mbufs), a second of %u mbufs\n", fit,
		      p0->size, p1->size);

	/* Closing a port of the first pool gives its reservation back there. */
	dp_port_close_one(&tdp, PI_E1);
	assert_null(dp_port_pool(&tdp, PI_E1));
	assert_int_equal(p0->reserved, (fit - 1) * need);
	assert_int_equal(p0->n_ports, fit - 1);
	assert_int_equal(p1->reserved, need);
	check_accounting();

	/* The endpoint takes the free slot and the newest pool with room: the second. */
	assert_int_equal(dp_port_open(&tdp, "e1", te1.name, DP_PORT_ENDPOINT, 0, 1500), PI_E1);
	assert_int_equal(tdp.ports[PI_E1].pool, 1);
	assert_int_equal(tdp.ports[PI_E1].reserved, need);
	assert_int_equal(p1->reserved, 2 * need);
	assert_int_equal(p0->reserved, (fit - 1) * need);
	assert_int_equal(tdp.n_node_pools[node], 2);
	check_accounting();
}

/* ------------------------------------------------------------------------- */
/* Traffic.                                                                  */

static struct rte_mbuf *
mbuf_from(struct rte_mempool *mp, const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
	return m;
}

/* Take up to @p want frames off @p r within ten seconds; each is checked, then freed. */
static unsigned int
collect(struct rte_ring *r, unsigned int want, bool encapsulated, const uint8_t *inner,
	uint32_t len)
{
	const struct vx_ip r4 = vxt_ip("198.18.0.2");
	const struct vx_parse_cfg c = {
		.ip4 = r4.v4, .udp_port = VX_UDP_PORT, .strict_reserved = true};
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	unsigned int got = 0;
	void *o;

	while (got < want && rte_get_timer_cycles() < end) {
		struct rte_mbuf *m;
		struct vx_parsed p;
		uint32_t off = 0;

		if (rte_ring_dequeue(r, &o) != 0) {
			rte_delay_us_sleep(500);
			continue;
		}
		m = o;
		if (encapsulated) {
			assert_int_equal(vx_parse_underlay(rte_pktmbuf_mtod(m, uint8_t *),
							   m->data_len, m->pkt_len, &c, &p),
					 VX_CLASS_VXLAN);
			assert_int_equal(p.vni, 100);
			off = p.outer_len;
		}
		assert_int_equal(m->pkt_len, off + len);
		/* The sequence number (at byte 42) differs from frame to frame. */
		assert_memory_equal(rte_pktmbuf_mtod_offset(m, uint8_t *, off), inner, 42);
		rte_pktmbuf_free(m);
		got++;
	}
	return got;
}

/* Wait up to ten seconds for @p mp to have @p avail mbufs again. */
static unsigned int
avail_wait(struct rte_mempool *mp, unsigned int avail)
{
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	unsigned int n = rte_mempool_avail_count(mp);

	while (n != avail && rte_get_timer_cycles() < end) {
		rte_delay_us_sleep(1000);
		n = rte_mempool_avail_count(mp);
	}
	return n;
}

/*
 * With the loop running, frames go both ways through the endpoint that
 * uses the second pool: down from the underlay (mbufs of the first pool,
 * as its driver would fill them) and up from the endpoint (mbufs of the
 * second pool). All arrive and all mbufs come back to their pools.
 */
static void
test_traffic_second_pool(void **state)
{
	const struct rte_ether_addr m1 = vxt_mac("02:00:00:00:01:11");
	const struct rte_ether_addr rmac = vxt_mac("02:00:00:00:09:01");
	const struct vx_ip l4 = vxt_ip("198.18.0.1"), r4 = vxt_ip("198.18.0.2");
	struct rte_mempool *mp0 = pool_k(0)->mp, *mp1 = pool_k(1)->mp;
	unsigned int avail0, avail1;
	uint8_t down[200], up[150], frame[300];
	uint32_t dlen = 0, ulen = 0, flen = 0;

	(void)state;
	assert_ptr_equal(dp_port_pool(&tdp, PI_E1), mp1);
	assert_ptr_equal(dp_port_pool(&tdp, PI_UL), mp0);
	tdp.vx = dp_test_vx(mp0);
	assert_int_equal(dp_port_start_one(&tdp, PI_UL), 0);
	assert_int_equal(dp_port_start_one(&tdp, PI_E1), 0);
	dp_launched(&tdp);
	assert_int_equal(rte_eal_remote_launch(dp_loop, &tdp, tdp.lc->lcore_id), 0);
	launched = true;
	avail0 = rte_mempool_avail_count(mp0);
	avail1 = rte_mempool_avail_count(mp1);
	/* Only the test and the loop take mbufs of the second pool: all are there. */
	assert_int_equal(avail1, pool_k(1)->size);

	/* Down first, so that the remote MAC is learned and the way up is unicast. */
	for (uint32_t i = 0; i < N_FRAMES; i++) {
		dlen = vxt_inner(down, sizeof(down), &m1, &rmac, 5000, i);
		flen = vxt_encap(frame, down, dlen, &r4, &l4, 100);
		assert_int_equal(rte_ring_enqueue(tul.rx, mbuf_from(mp0, frame, flen)), 0);
	}
	assert_int_equal(collect(te1.tx, N_FRAMES, false, down, dlen), N_FRAMES);
	for (uint32_t i = 0; i < N_FRAMES; i++) {
		ulen = vxt_inner(up, sizeof(up), &rmac, &m1, 5001, i);
		assert_int_equal(rte_ring_enqueue(te1.rx, mbuf_from(mp1, up, ulen)), 0);
	}
	assert_int_equal(collect(tul.tx, N_FRAMES, true, up, ulen), N_FRAMES);

	/* Nothing else came out, and every mbuf is back. */
	assert_int_equal(rte_ring_count(tul.tx), 0);
	assert_int_equal(rte_ring_count(te1.tx), 0);
	assert_int_equal(avail_wait(mp0, avail0), avail0);
	assert_int_equal(avail_wait(mp1, avail1), avail1);
	check_accounting();
}

/* ------------------------------------------------------------------------- */
/* Sizes set at run time.                                                    */

/* New queue sizes apply to ports opened from then on; older ports keep theirs. */
static void
test_defaults_new_ports(void **state)
{
	const struct dp_port_defaults d = {.rxd = 512};
	struct rte_eth_rxq_info qi;
	uint16_t rxd = 512, txd = TXD;
	uint16_t before = tdp.n_ports;
	int idx, k;

	(void)state;
	assert_int_equal(dp_port_defaults_set(&tdp, &d), 0);
	defaults_are(512, TXD, MBUFS);
	k = pool_with_room(need_now());
	assert_true(k >= 0);
	idx = open_null();
	assert_true(idx >= 0);
	/* What the driver makes of 512 and 256 (the same unless it has limits). */
	assert_int_equal(rte_eth_dev_adjust_nb_rx_tx_desc(tdp.ports[idx].port_id, &rxd, &txd), 0);
	assert_int_equal(tdp.ports[idx].rxd, rxd);
	assert_int_equal(tdp.ports[idx].txd, txd);
	if (rte_eth_rx_queue_info_get(tdp.ports[idx].port_id, 0, &qi) == 0)
		assert_int_equal(qi.nb_desc, tdp.ports[idx].rxd);
	assert_int_equal(tdp.ports[idx].reserved, (uint32_t)rxd + txd + BURST);
	assert_int_equal(tdp.ports[idx].pool, k);

	/* The ports opened before keep their sizes. */
	for (uint16_t i = 0; i < before; i++) {
		if (tdp.ports[i].name[0] == '\0')
			continue;
		assert_int_equal(tdp.ports[i].rxd, RXD);
		assert_int_equal(tdp.ports[i].txd, TXD);
		if (rte_eth_rx_queue_info_get(tdp.ports[i].port_id, 0, &qi) == 0)
			assert_int_equal(qi.nb_desc, RXD);
	}
	check_accounting();
}

/* A pool created after mbufs was raised has at least that many mbufs; older pools keep theirs. */
static void
test_defaults_new_pool(void **state)
{
	const struct dp_port_defaults d = {.rxd = RXD, .mbufs = 12287};
	uint32_t size0 = pool_k(0)->size, size1 = pool_k(1)->size;
	uint16_t n = tdp.n_node_pools[node];
	unsigned int opened = 0;
	int idx;

	(void)state;
	assert_int_equal(n, 2);
	assert_int_equal(dp_port_defaults_set(&tdp, &d), 0);
	defaults_are(RXD, TXD, 12287);
	/* Fill the pools there are; a raised mbufs creates nothing by itself. */
	while (pool_with_room(need_now()) >= 0 && opened < 32) {
		int k = pool_with_room(need_now());

		idx = open_null();
		assert_true(idx >= 0);
		assert_int_equal(tdp.ports[idx].pool, k);
		opened++;
	}
	assert_true(opened < 32);
	assert_int_equal(tdp.n_node_pools[node], n);
	check_accounting();

	idx = open_null();
	assert_true(idx >= 0);
	assert_int_equal(tdp.n_node_pools[node], n + 1);
	assert_int_equal(tdp.ports[idx].pool, n);
	/* 12287 mbufs are more than the in-flight share and nine ports of 544 need. */
	assert_int_equal(pool_k(n)->size, 12287);
	assert_int_equal(pool_k(0)->size, size0);
	assert_int_equal(pool_k(1)->size, size1);
	check_accounting();
}

/*
 * A port no pool has room for, when the pool it asks for does not fit in
 * memory (a million mbufs in this EAL's 256 MB), gets a pool with room for
 * itself alone.
 */
static void
test_pool_short_memory(void **state)
{
	const struct dp_port_defaults d = {.rxd = 4096, .txd = 4096, .mbufs = 1048575};
	const uint16_t n = tdp.n_node_pools[node];
	uint32_t need;
	int idx;

	(void)state;
	assert_int_equal(dp_port_defaults_set(&tdp, &d), 0);
	need = need_now();
	assert_int_equal(pool_with_room(need), -1);
	idx = open_null();
	assert_true(idx >= 0);
	assert_int_equal(tdp.n_node_pools[node], n + 1);
	assert_int_equal(tdp.ports[idx].pool, n);
	assert_int_equal(tdp.ports[idx].reserved, need);
	assert_int_equal(pool_k(n)->room, need);
	assert_true(pool_k(n)->size < 1048575);
	check_accounting();

	/* Closing it leaves the pool (freed by dp_fini() only) with nothing reserved. */
	dp_port_close_one(&tdp, (uint16_t)idx);
	assert_int_equal(tdp.n_node_pools[node], n + 1);
	assert_int_equal(pool_k(n)->reserved, 0);
	assert_int_equal(pool_k(n)->n_ports, 0);
	check_accounting();
}

int
dp_test_port(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_validation),
		cmocka_unit_test(test_pool_growth),
		cmocka_unit_test(test_traffic_second_pool),
		cmocka_unit_test(test_defaults_new_ports),
		cmocka_unit_test(test_defaults_new_pool),
		cmocka_unit_test(test_pool_short_memory),
	};

	return cmocka_run_group_tests_name("port", tests, port_setup, port_teardown);
}
