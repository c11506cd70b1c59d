/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane module's cmocka executable. It runs the real poll loop on a
 * worker lcore over net_ring ports: frames enqueued on a port's RX ring come
 * out of the TX rings after decapsulation, encapsulation or ARP handling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_test.h"
#include "test_eal.h"
#include "vx_test_frames.h"

static struct dp dp;
static struct rte_mempool *mf_pool;

struct rte_mempool *
dp_test_pool(void)
{
	return mf_pool;
}
static struct dp_test_ringport ul, e1;
static struct rte_ether_addr m1, rmac, nhmac, ulmac;
static struct vx_ip l4, r4;

void
dp_test_ringport(struct dp_test_ringport *rp, const char *name, unsigned int rx_size,
		 unsigned int tx_size)
{
	char n[64];
	int port;

	snprintf(n, sizeof(n), "%s_rx", name);
	rp->rx = rte_ring_create(n, rx_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(n, sizeof(n), "%s_tx", name);
	rp->tx = rte_ring_create(n, tx_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(rp->rx);
	assert_non_null(rp->tx);
	port = rte_eth_from_rings(name, &rp->rx, 1, &rp->tx, 1, SOCKET_ID_ANY);
	assert_true(port >= 0);
	assert_int_equal(rte_eth_dev_get_name_by_port((uint16_t)port, rp->name), 0);
}

void
dp_test_ringport_free(struct dp_test_ringport *rp)
{
	void *m;

	while (rte_ring_dequeue(rp->tx, &m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(rp->rx, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(rp->rx);
	rte_ring_free(rp->tx);
}

struct vx_inst *
dp_test_vx(struct rte_mempool *pool)
{
	struct rte_ether_addr nh = vxt_mac("02:00:00:00:00:02");
	struct vx_ip remote = vxt_ip("198.18.0.2");
	struct vx_params vp = {0};
	struct vx_endpoint ep = {0};
	struct vx_inst *vx;

	vp.mac = vxt_mac("02:00:00:00:00:01");
	vp.ip4 = vxt_ip("198.18.0.1");
	vp.plen4 = 24;
	vp.mtu = 1500;
	vp.udp_port = VX_UDP_PORT;
	vp.strict_reserved = true;
	vp.fdb_size = 256;
	vp.neigh.reachable = rte_get_tsc_hz() * 30;
	vp.neigh.retrans = rte_get_tsc_hz();
	vp.neigh.failed = rte_get_tsc_hz();
	vp.neigh.max_probes = 3;
	vp.pool = pool;
	vp.socket = -1;
	vx = vx_create(&vp);
	assert_non_null(vx);
	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &remote), 0);
	assert_int_equal(vx_neigh_add_static(vx, &remote, &nh), 0);
	snprintf(ep.name, sizeof(ep.name), "e1");
	ep.mac = vxt_mac("02:00:00:00:01:11");
	ep.vni = 100;
	ep.port = 1;
	ep.mtu = 1500;
	assert_int_equal(vx_endpoint_add(vx, &ep), 0);
	return vx;
}

static struct rte_mbuf *
mbuf_of(const void *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pools[0]);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
	return m;
}

/* Wait up to ten seconds (a loaded machine) for one frame on a TX ring. */
struct rte_mbuf *
dp_test_ring_wait(struct rte_ring *r)
{
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	void *m;

	while (rte_get_timer_cycles() < end) {
		if (rte_ring_dequeue(r, &m) == 0)
			return m;
		rte_delay_us_sleep(1000);
	}
	return NULL;
}

static int
group_setup(void **state)
{
	struct dp_params p = {.burst = 32,
			      .drain_us = 100,
			      .idle_polls = 100,
			      .idle_sleep_us = 200,
			      .idle_sleep_max_us = 1000,
			      .rxd = 256,
			      .txd = 256,
			      .mbufs = 2047};
	(void)state;
	m1 = vxt_mac("02:00:00:00:01:11");
	rmac = vxt_mac("02:00:00:00:09:01");
	nhmac = vxt_mac("02:00:00:00:00:02");
	ulmac = vxt_mac("02:00:00:00:00:01");
	l4 = vxt_ip("198.18.0.1");
	r4 = vxt_ip("198.18.0.2");
	dp_test_ringport(&ul, "ring_ul", 1024, 1024);
	dp_test_ringport(&e1, "ring_e1", 1024, 1024);

	assert_int_equal(dp_init(&dp, &p), 0);
	assert_int_equal(dp.lc->lcore_id, 1);
	assert_int_equal(dp_port_open(&dp, "underlay", ul.name, DP_PORT_UNDERLAY, 0, 1500), 0);
	dp.vx = dp_test_vx(dp.pools[0]);
	assert_int_equal(dp_port_open(&dp, "e1", e1.name, DP_PORT_ENDPOINT, 0, 1500), 1);
	assert_int_equal(dp_ports_start(&dp), 0);
	dp_launched(&dp);
	assert_int_equal(rte_eal_remote_launch(dp_loop, &dp, dp.lc->lcore_id), 0);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	__atomic_store_n(&dp.quit, true, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(dp.lc->lcore_id);
	dp_ports_close(&dp);
	vx_destroy(dp.vx);
	dp_fini(&dp);
	return 0;
}

static void
test_decap_through_loop(void **state)
{
	uint8_t in[200], frame[300];
	uint32_t len = vxt_inner(in, 100, &m1, &rmac, 5000, 1);
	uint32_t flen = vxt_encap(frame, in, len, &r4, &l4, 100);
	struct rte_mbuf *m = mbuf_of(frame, flen), *o;

	(void)state;
	assert_int_equal(rte_ring_enqueue(ul.rx, m), 0);
	o = dp_test_ring_wait(e1.tx);
	assert_non_null(o);
	assert_int_equal(o->pkt_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(o, uint8_t *), in, len);
	rte_pktmbuf_free(o);
}

static void
test_encap_through_loop(void **state)
{
	uint8_t in[200];
	uint32_t len = vxt_inner(in, 100, &rmac, &m1, 5000, 2);
	struct rte_mbuf *o;
	struct vx_parsed r;
	struct vx_parse_cfg c = {.ip4 = r4.v4, .udp_port = VX_UDP_PORT, .strict_reserved = true};

	(void)state;
	/* rmac was learned behind 198.18.0.2 by the previous test. */
	assert_int_equal(rte_ring_enqueue(e1.rx, mbuf_of(in, len)), 0);
	o = dp_test_ring_wait(ul.tx);
	assert_non_null(o);
	assert_int_equal(
		vx_parse_underlay(rte_pktmbuf_mtod(o, uint8_t *), o->data_len, o->pkt_len, &c, &r),
		VX_CLASS_VXLAN);
	assert_int_equal(r.vni, 100);
	assert_true(rte_is_same_ether_addr(rte_pktmbuf_mtod(o, struct rte_ether_addr *), &nhmac));
	assert_memory_equal(rte_pktmbuf_mtod_offset(o, uint8_t *, r.outer_len), in, len);
	rte_pktmbuf_free(o);
}

static void
test_arp_reply_through_loop(void **state)
{
	uint8_t frame[60] = {0};
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	struct rte_mbuf *o;

	(void)state;
	memset(&eth->dst_addr, 0xff, 6);
	eth->src_addr = nhmac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = nhmac;
	arp->arp_data.arp_sip = r4.v4;
	arp->arp_data.arp_tip = l4.v4;
	assert_int_equal(rte_ring_enqueue(ul.rx, mbuf_of(frame, sizeof(frame))), 0);
	o = dp_test_ring_wait(ul.tx);
	assert_non_null(o);
	arp = rte_pktmbuf_mtod_offset(o, struct rte_arp_hdr *, sizeof(*eth));
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &ulmac));
	assert_int_equal(arp->arp_data.arp_sip, l4.v4);
	assert_int_equal(arp->arp_data.arp_tip, r4.v4);
	rte_pktmbuf_free(o);
}

/* Bad frames are counted by reason; counters, ports and tables reach JSON. */
static void
test_counters_and_snapshot(void **state)
{
	uint8_t in[200], frame[300];
	uint32_t len = vxt_inner(in, 100, &m1, &rmac, 5000, 1);
	uint32_t flen = vxt_encap(frame, in, len, &r4, &l4, 100);
	uint64_t before = dp.lc->st.drop[VX_DROP_vxlan_bad_flags];
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	json_t *root, *drops, *fdb;
	bool found = false;
	size_t i;
	json_t *e;

	(void)state;
	frame[42] = 0; /* I flag clear */
	assert_int_equal(rte_ring_enqueue(ul.rx, mbuf_of(frame, flen)), 0);
	while (__atomic_load_n(&dp.lc->st.drop[VX_DROP_vxlan_bad_flags], __ATOMIC_RELAXED) ==
		       before &&
	       rte_get_timer_cycles() < end)
		rte_delay_us_sleep(1000);
	assert_int_equal(dp.lc->st.drop[VX_DROP_vxlan_bad_flags], before + 1);
	assert_int_equal(rte_ring_count(e1.tx), 0);

	assert_int_equal(dp_snapshot(&dp, 1000), 0);
	root = dp_stats_json(&dp);
	assert_non_null(root);
	drops = json_object_get(root, "drops");
	assert_int_equal(json_object_size(drops), VX_DROP__MAX);
	assert_int_equal(json_integer_value(json_object_get(drops, "vxlan_bad_flags")), before + 1);
	assert_int_equal(json_array_size(json_object_get(root, "ports")), 2);
	fdb = json_object_get(root, "fdb");
	json_array_foreach (fdb, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "mac")), "02:00:00:00:09:01") ==
			    0 &&
		    strcmp(json_string_value(json_object_get(e, "kind")), "remote") == 0 &&
		    strcmp(json_string_value(json_object_get(e, "target")), "198.18.0.2") == 0)
			found = true;
	}
	assert_true(found);
	json_decref(root);
}

/* With no traffic the loop sleeps instead of spinning. */
static void
test_idle_backoff(void **state)
{
	uint64_t before = __atomic_load_n(&dp.lc->idle_sleeps, __ATOMIC_RELAXED);
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	(void)state;
	while (__atomic_load_n(&dp.lc->idle_sleeps, __ATOMIC_RELAXED) == before &&
	       rte_get_timer_cycles() < end)
		rte_delay_us_sleep(1000);
	assert_true(dp.lc->idle_sleeps > before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decap_through_loop),
		cmocka_unit_test(test_encap_through_loop),
		cmocka_unit_test(test_arp_reply_through_loop),
		cmocka_unit_test(test_counters_and_snapshot),
		cmocka_unit_test(test_idle_backoff),
	};
	int rc;

	/* Five lcores on whatever CPUs there are: dispatch, two workers and a merge lcore. */
	if (test_eal_init("test_dataplane", "0@0,1@1,2@0,3@1,4@0") < 0)
		return 1;
	rc = cmocka_run_group_tests_name("dataplane", tests, group_setup, group_teardown);
	mf_pool = rte_pktmbuf_pool_create("mf_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (mf_pool == NULL) {
		fprintf(stderr, "test_dataplane: cannot create the split/merge pool\n");
		return 1;
	}
	rc += dp_test_mflow();
	rc += dp_test_flow();
	rc += dp_test_pipe();
	rc += dp_test_capture();
	rc += dp_test_port();
	rc += dp_test_kobj();
	rte_mempool_free(mf_pool);
	rte_eal_cleanup();
	return rc;
}
