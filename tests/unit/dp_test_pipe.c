/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The micro-flow pipeline through the real lcore loops over net_ring ports:
 * a dispatch lcore, two worker lcores and a merge lcore (the dispatch lcore
 * itself in one group, an lcore of its own in the other). The test thread
 * feeds an elephant and mice through the ports and checks that every packet
 * comes out, each flow in order, while the mode, the worker count, the
 * batch size, the ring sizes and the elephant table size change under
 * traffic.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_ops.h"
#include "dp_pipe_priv.h"
#include "dp_test.h"
#include "vx_test_frames.h"

#define FLOWS 9 /* Flow 0 is the elephant. */
/* RX ring size; TX rings hold 16 times as much, more than a run sends, so that a
 * test thread kept off the CPU cannot make them overflow. */
#define RING_CAP 1024
/* Offset of the sequence number in an inner frame (Ethernet, IPv4, UDP). */
#define SEQ_OFF 42
/* Sequence numbers per flow whose duplicates are told apart (more than a run sends). */
#define ORDER_SEQS 8192

static struct dp pdp;
static struct dp_test_ringport pul, pe1;
static struct rte_ether_addr pm1, prmac, pnh, pulmac;
static struct vx_ip pl4, pr4;
static bool separate_merge;
static unsigned int group_no;

static void
pport_free(struct dp_test_ringport *pp)
{
	void *m;

	while (rte_ring_dequeue(pp->tx, &m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(pp->rx, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(pp->rx);
	rte_ring_free(pp->tx);
}

static struct dp_mf_conf
conf_base(void)
{
	struct dp_mf_conf c = {
		.mode = DP_MODE_MICROFLOW,
		.pick = DP_MF_PICK_RR,
		.workers = 2,
		.batch_size = 16,
		/*
		 * A second without progress before the merger skips a batch:
		 * long enough that nothing is ever skipped here, so that
		 * skipped == 0 checks the stall logic does not fire on
		 * workers that are merely slow.
		 */
		.merge_timeout_us = 1000000,
		.window_us = 200,
		.promote_pkts = 4,
		.demote_pkts = 1,
		.promote_windows = 1,
		.demote_windows = 50,
	};

	return c;
}

static int
pipe_setup(void **state)
{
	struct dp_params p = {.burst = 32,
			      .drain_us = 100,
			      .idle_polls = 200,
			      .idle_sleep_us = 20,
			      .idle_sleep_max_us = 200,
			      .rxd = 256,
			      .txd = 256,
			      .mbufs = 8191};
	char n[32];

	(void)state;
	memset(&pdp, 0, sizeof(pdp));
	pm1 = vxt_mac("02:00:00:00:01:11");
	prmac = vxt_mac("02:00:00:00:09:01");
	pnh = vxt_mac("02:00:00:00:00:02");
	pulmac = vxt_mac("02:00:00:00:00:01");
	pl4 = vxt_ip("198.18.0.1");
	pr4 = vxt_ip("198.18.0.2");
	/* TX rings hold more than a run sends (see RING_CAP). */
	snprintf(n, sizeof(n), "pipe_ul%u", group_no);
	dp_test_ringport(&pul, n, RING_CAP, RING_CAP * 16);
	snprintf(n, sizeof(n), "pipe_e%u", group_no);
	dp_test_ringport(&pe1, n, RING_CAP, RING_CAP * 16);
	group_no++;

	p.map.has_dispatch = true;
	p.map.dispatch = 1;
	p.map.has_merge = separate_merge;
	p.map.merge = 4;
	p.map.n_workers = 2;
	p.map.workers[0] = 2;
	p.map.workers[1] = 3;
	p.map.ring_size = 1024;
	p.map.flow_entries = 1024;
	p.mf = conf_base();
	assert_int_equal(dp_init(&pdp, &p), 0);
	assert_int_equal(dp_port_open(&pdp, "underlay", pul.name, DP_PORT_UNDERLAY, 0, 1500), 0);
	pdp.vx = dp_test_vx(pdp.pools[0]);
	assert_int_equal(vx_fdb_static_remote(pdp.vx, 100, &prmac, &pr4), 0);
	assert_int_equal(dp_port_open(&pdp, "e1", pe1.name, DP_PORT_ENDPOINT, 0, 1500), 1);
	assert_int_equal(dp_pipe_create(&pdp), 0);
	assert_int_equal(dp_ports_start(&pdp), 0);
	assert_false(dp_main_has_role(&pdp));
	assert_int_equal(dp_launch(&pdp), 0);
	return 0;
}

static int
pipe_teardown(void **state)
{
	(void)state;
	__atomic_store_n(&pdp.quit, true, __ATOMIC_RELEASE);
	dp_wait(&pdp);
	dp_pipe_destroy(&pdp);
	dp_ports_close(&pdp);
	vx_destroy(pdp.vx);
	dp_fini(&pdp);
	pport_free(&pul);
	pport_free(&pe1);
	return 0;
}

/* Flow f's next frame: decap direction from the underlay, encap from the endpoint. */
static struct rte_mbuf *
frame(bool decap, unsigned int f, uint32_t seq)
{
	uint8_t in[128], out[256];
	uint32_t len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pdp.pools[0]);

	assert_non_null(m);
	if (decap) {
		struct vxt_outer o = {.dmac = pulmac, .smac = pnh, .sport = (uint16_t)(49152 + f)};

		len = vxt_inner(in, 96, &pm1, &prmac, (uint16_t)(5000 + f), seq);
		len = vxt_encap_ex(out, in, len, &pr4, &pl4, 100, &o);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), out, len);
	} else {
		len = vxt_inner(in, 96, &prmac, &pm1, (uint16_t)(5000 + f), seq);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), in, len);
	}
	return m;
}

struct order {
	uint32_t next_seq[FLOWS]; /* Next sequence number expected per flow. */
	uint64_t sent;		  /* Frames fed. */
	uint64_t got, bad;	  /* Frames out, and those not the next of their flow. */
	uint64_t dup;		  /* Of the bad ones, frames that came out before. */
	uint64_t ooo;		  /* Of the bad ones, the others: out of order. */
	uint8_t seen[FLOWS][ORDER_SEQS / 8];
};

/* Check one output frame; @p off is where the inner frame starts. */
static void
order_take(struct order *o, struct rte_mbuf *m, uint32_t off)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	uint16_t sport;
	uint32_t seq, f;
	bool dup = false;

	memcpy(&sport, p + 34, sizeof(sport));
	memcpy(&seq, p + SEQ_OFF, sizeof(seq));
	f = (uint32_t)rte_be_to_cpu_16(sport) - 5000;
	if (f < FLOWS && seq < ORDER_SEQS) {
		dup = (o->seen[f][seq / 8] & (1u << (seq % 8))) != 0;
		o->seen[f][seq / 8] |= (uint8_t)(1u << (seq % 8));
	}
	if (f < FLOWS && seq == o->next_seq[f] && !dup) {
		o->next_seq[f]++;
	} else {
		o->bad++;
		if (dup) {
			o->dup++;
		} else {
			o->ooo++;
			/* Ahead of the next one: go on from here, so that a gap counts once. */
			if (f < FLOWS && (int32_t)(seq - o->next_seq[f]) > 0)
				o->next_seq[f] = seq + 1;
		}
	}
	o->got++;
	rte_pktmbuf_free(m);
}

/*
 * Feed @p total frames (one in two of the elephant, the rest spread over the
 * mice) and collect them, for at most 60 seconds. @p between runs between
 * chunks (may be NULL).
 */
static void
run_traffic(bool decap, unsigned int total, struct order *o)
{
	struct dp_test_ringport *in = decap ? &pul : &pe1, *out = decap ? &pe1 : &pul;
	const uint32_t off = decap ? 0 : VX_ENCAP4_LEN;
	uint32_t seq[FLOWS] = {0};
	unsigned int sent = 0;
	uint64_t end = rte_get_timer_cycles() + 60 * rte_get_timer_hz();

	memset(o, 0, sizeof(*o));
	while (o->got < total && rte_get_timer_cycles() < end) {
		void *m;

		for (unsigned int k = 0; k < 64 && sent < total && rte_ring_free_count(in->rx) > 0;
		     k++, sent++) {
			unsigned int f = (sent & 1) == 0 ? 0 : 1 + (sent / 2) % (FLOWS - 1);

			assert_int_equal(rte_ring_enqueue(in->rx, frame(decap, f, seq[f]++)), 0);
		}
		while (rte_ring_dequeue(out->tx, &m) == 0)
			order_take(o, m, off);
		if (rte_ring_free_count(in->rx) == 0)
			rte_delay_us_sleep(50);
	}
	o->sent = sent;
	if (o->got != total || o->bad != 0) {
		json_t *root = dp_stats_json(&pdp);

		/* Say where the packets went before the caller fails. */
		fprintf(stderr,
			"sent %u, got %" PRIu64 ", not in order %" PRIu64 " (%" PRIu64
			" duplicates)\n",
			sent, o->got, o->bad, o->dup);
		json_dumpf(json_object_get(root, "mflow"), stderr, JSON_INDENT(1));
		json_dumpf(json_object_get(root, "drops"), stderr, JSON_COMPACT);
		json_decref(root);
	}
}

static json_t *
mflow_stats(void)
{
	json_t *root = dp_stats_json(&pdp), *mf;

	assert_non_null(root);
	mf = json_object_get(root, "mflow");
	assert_non_null(mf);
	json_incref(mf);
	json_decref(root);
	return mf;
}

static json_int_t
jint(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	assert_non_null(v);
	return json_integer_value(v);
}

/* Both directions in microflow mode: the elephant is split and merged in order. */
static void
test_pipe_microflow_order(void **state)
{
	struct order o;
	json_t *mf;

	(void)state;
	for (int d = 1; d >= 0; d--) {
		run_traffic(d != 0, 6000, &o);
		assert_int_equal(o.got, 6000);
		assert_int_equal(o.bad, 0);
	}
	mf = mflow_stats();
	assert_string_equal(json_string_value(json_object_get(mf, "mode")), "microflow");
	assert_true(jint(mf, "flows", "promoted") >= 1);
	assert_true(jint(mf, "split", "split") > 1000);
	assert_true(jint(mf, "merge", "merged") > 50);
	assert_int_equal(jint(mf, "merge", "ooo"), 0);
	assert_int_equal(jint(mf, "merge", "skipped"), 0);
	assert_int_equal(jint(mf, "split", "ring_full"), 0);
	json_decref(mf);
}

#define CHURN_STEPS 24

struct churn {
	volatile bool stop;
	unsigned int done, failed;
	int last_rc;
	bool finished;
};

/* Cycle through CHURN_STEPS settings, 2 ms apart, unless told to stop. */
static void *
churn_thread(void *arg)
{
	struct churn *ch = arg;
	static const struct {
		uint8_t mode;
		uint16_t workers;
		uint32_t batch;
		uint8_t pick;
	} steps[] = {
		{DP_MODE_RTC, 2, 16, DP_MF_PICK_RR},
		{DP_MODE_PINNED, 2, 16, DP_MF_PICK_RR},
		{DP_MODE_MICROFLOW, 2, 4, DP_MF_PICK_RR},
		{DP_MODE_MICROFLOW, 1, 64, DP_MF_PICK_RR},
		{DP_MODE_PINNED, 1, 16, DP_MF_PICK_RR},
		{DP_MODE_MICROFLOW, 2, 1, DP_MF_PICK_LEAST},
		{DP_MODE_RTC, 1, 16, DP_MF_PICK_RR},
		{DP_MODE_MICROFLOW, 2, 256, DP_MF_PICK_RR},
	};

	for (unsigned int i = 0; !ch->stop && i < CHURN_STEPS; i++) {
		struct dp_mf_conf c = conf_base();
		int rc;

		c.mode = steps[i % RTE_DIM(steps)].mode;
		c.workers = steps[i % RTE_DIM(steps)].workers;
		c.batch_size = steps[i % RTE_DIM(steps)].batch;
		c.pick = steps[i % RTE_DIM(steps)].pick;
		rc = dp_mf_reconfigure(&pdp, &c, 5000);
		if (rc == 0) {
			ch->done++;
		} else {
			ch->failed++;
			ch->last_rc = rc;
		}
		rte_delay_us_sleep(2000);
	}
	__atomic_store_n(&ch->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Changing mode, workers, batch size and pick under traffic loses and reorders nothing. */
static void
test_pipe_reconfig_under_traffic(void **state)
{
	struct churn ch = {0};
	struct order o;
	pthread_t t;
	json_t *mf;
	json_int_t before;
	uint64_t end = rte_get_timer_cycles() + 90 * rte_get_timer_hz();
	unsigned int rounds = 0;

	(void)state;
	mf = mflow_stats();
	before = jint(mf, "reconfigs", NULL);
	json_decref(mf);
	assert_int_equal(pthread_create(&t, NULL, churn_thread, &ch), 0);
	/* Traffic in both directions, round after round, for as long as the changes go on. */
	while (!__atomic_load_n(&ch.finished, __ATOMIC_ACQUIRE) && rte_get_timer_cycles() < end) {
		run_traffic((rounds & 1) == 0, 4000, &o);
		rounds++;
		if (o.got != 4000 || o.bad != 0)
			break;
	}
	ch.stop = true;
	pthread_join(t, NULL);
	print_message("%u changes under traffic in %u rounds, %u failed (last %d)\n", ch.done,
		      rounds, ch.failed, ch.last_rc);
	assert_int_equal(o.got, 4000);
	assert_int_equal(o.bad, 0);
	assert_int_equal(ch.failed, 0);
	assert_int_equal(ch.done, CHURN_STEPS);
	mf = mflow_stats();
	assert_int_equal(jint(mf, "reconfigs", NULL), before + ch.done);
	assert_int_equal(jint(mf, "merge", "ooo"), 0);
	json_decref(mf);
	/* Leave the group in the mode its other tests expect. */
	{
		struct dp_mf_conf c = conf_base();

		assert_int_equal(dp_mf_reconfigure(&pdp, &c, 5000), 0);
	}
}

/* The control thread's changes of tables, ports and tunables. */
struct ops_churn {
	volatile bool stop;
	bool finished;
	unsigned int done, failed, step;
	int last_rc;
};

static void
ops_result(struct ops_churn *ch, unsigned int step, int rc)
{
	if (rc == 0) {
		ch->done++;
		return;
	}
	ch->failed++;
	ch->step = step;
	ch->last_rc = rc;
}

static void *
ops_thread(void *arg)
{
	struct ops_churn *ch = arg;
	struct rte_ether_addr mac = vxt_mac("02:00:00:00:66:01"),
			      epmac = vxt_mac("02:00:00:00:66:02");

	for (unsigned int i = 0; !ch->stop && i < 12; i++) {
		char name[16], dev[32];
		struct dp_vni_args v = {.vni = 200 + i, .force = true};
		struct dp_vtep_args t = {.vni = 200 + i, .ip = pr4};
		struct dp_fdb_args f = {.vni = 200 + i, .mac = mac, .vtep = pr4};
		struct dp_tune_args tu = {.set = DP_TUNE_DRAIN_US, .drain_us = (i & 1) ? 50 : 100};
		struct dp_port_add_args pa = {.name = name, .devargs = dev, .mtu = 1500};
		struct dp_port_del_args pd = {.name = name};
		struct dp_ep_attach_args at = {.port = name, .vni = 200 + i, .mac = epmac};
		struct dp_ep_detach_args de = {.port = name};
		struct dp_flow_info fl[8];
		struct dp_flows_args fa = {.max = 8, .out = fl};

		snprintf(name, sizeof(name), "hp%u", i);
		snprintf(dev, sizeof(dev), "net_null%u", 100 + i);
		ops_result(ch, 0, dp_vni_add(&pdp, &v));
		ops_result(ch, 1, dp_vtep_add(&pdp, &t));
		ops_result(ch, 2, dp_fdb_add(&pdp, &f));
		ops_result(ch, 3, dp_tune(&pdp, &tu));
		ops_result(ch, 4, dp_port_add(&pdp, &pa));
		ops_result(ch, 5, dp_ep_attach(&pdp, &at));
		ops_result(ch, 6, dp_flows_top(&pdp, &fa));
		/* Every other round the VNI goes with its endpoint still attached. */
		if (i & 1)
			ops_result(ch, 7, dp_ep_detach(&pdp, &de));
		ops_result(ch, 8, dp_fdb_del(&pdp, &f));
		ops_result(ch, 9, dp_vtep_del(&pdp, &t));
		ops_result(ch, 10, dp_vni_del(&pdp, &v));
		ops_result(ch, 11, dp_port_del(&pdp, &pd));
		/* The FDB moves to a table of another size and back. */
		ops_result(ch, 12, dp_fdb_resize(&pdp, (i & 1) ? 65536 : 1024));
	}
	__atomic_store_n(&ch->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Changing VNIs, VTEPs, FDB entries, tunables and whole ports while traffic
 * flows in both directions loses and reorders nothing.
 */
static void
test_pipe_ops_under_traffic(void **state)
{
	struct ops_churn ch = {0};
	struct order o;
	pthread_t t;
	uint64_t end = rte_get_timer_cycles() + 90 * rte_get_timer_hz();
	unsigned int rounds = 0;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, ops_thread, &ch), 0);
	while (!__atomic_load_n(&ch.finished, __ATOMIC_ACQUIRE) && rte_get_timer_cycles() < end) {
		run_traffic((rounds & 1) == 0, 4000, &o);
		rounds++;
		if (o.got != 4000 || o.bad != 0)
			break;
	}
	ch.stop = true;
	pthread_join(t, NULL);
	print_message("%u changes under traffic in %u rounds, %u failed (step %u: %d)\n", ch.done,
		      rounds, ch.failed, ch.step, ch.last_rc);
	assert_int_equal(o.got, 4000);
	assert_int_equal(o.bad, 0);
	assert_int_equal(ch.failed, 0);
	assert_int_equal(ch.done, 12 * 12 + 6);
	assert_int_equal(pdp.vx->p.fdb_size, 65536);
	/* Everything added is gone again. */
	assert_int_equal(pdp.vx->n_vnis, 1);
	assert_int_equal(dp_port_find(&pdp, "hp0"), -ENOENT);
}

/*
 * A move of the underlay to a device that cannot be probed, and FDB sizes
 * out of range or too small, are refused and change nothing.
 */
static void
test_pipe_underlay_fdb_bad(void **state)
{
	const uint16_t ul = pdp.vx->p.underlay_port;
	const uint32_t size = pdp.vx->p.fdb_size;
	const uint16_t n_ports = pdp.n_ports;
	struct rte_ether_addr mac = vxt_mac("02:00:00:00:66:09");
	struct dp_fdb_args f = {.vni = 100, .vtep = pr4};
	struct order o;

	(void)state;
	assert_int_equal(dp_underlay_port_set(&pdp, NULL), -EINVAL);
	assert_int_equal(dp_underlay_port_set(&pdp, ""), -EINVAL);
	assert_int_equal(dp_underlay_port_set(&pdp, "net_nosuchdriver0"), -ENODEV);
	/* The devargs in force change nothing. */
	assert_int_equal(dp_underlay_port_set(&pdp, pdp.ports[ul].devargs), 0);
	assert_int_equal(pdp.vx->p.underlay_port, ul);
	assert_string_equal(pdp.ports[ul].name, "underlay");
	assert_int_equal(dp_port_find(&pdp, "underlay+"), -ENOENT);
	assert_int_equal(pdp.n_ports, n_ports);

	assert_int_equal(dp_fdb_resize(&pdp, DP_FDB_SIZE_MIN - 1), -EINVAL);
	assert_int_equal(dp_fdb_resize(&pdp, DP_FDB_SIZE_MAX + 1), -EINVAL);
	/* 20 entries more than the smallest table holds (VNI 100 has the VTEP pr4). */
	for (unsigned int i = 0; i < DP_FDB_SIZE_MIN + 20; i++) {
		mac.addr_bytes[5] = (uint8_t)i;
		f.mac = mac;
		assert_int_equal(dp_fdb_add(&pdp, &f), 0);
	}
	assert_int_equal(dp_fdb_resize(&pdp, DP_FDB_SIZE_MIN), -ENOSPC);
	assert_int_equal(pdp.vx->p.fdb_size, size);
	/* Large enough: every entry moves. */
	assert_int_equal(dp_fdb_resize(&pdp, 256), 0);
	assert_int_equal(pdp.vx->p.fdb_size, 256);
	for (unsigned int i = 0; i < DP_FDB_SIZE_MIN + 20; i++) {
		mac.addr_bytes[5] = (uint8_t)i;
		f.mac = mac;
		assert_non_null(vx_fdb_lookup(pdp.vx->fdb, 100, &mac));
		assert_int_equal(dp_fdb_del(&pdp, &f), 0);
	}
	assert_int_equal(dp_fdb_resize(&pdp, size), 0);
	run_traffic(true, 1000, &o);
	assert_int_equal(o.got, 1000);
	assert_int_equal(o.bad, 0);
}

/* Whether the rings and the detector in force have the sizes dp->p.map gives. */
static bool
sizes_in_force(void)
{
	const struct dp_pipe *pp = pdp.pipe;
	const uint32_t ring = pdp.p.map.ring_size;
	bool ok = dp_fl_entries(pp->fl) == pdp.p.map.flow_entries &&
		  (pp->own == NULL || rte_ring_get_size(pp->own) == ring);

	for (uint16_t w = 0; w < pdp.n_workers; w++)
		ok = ok && rte_ring_get_size(pp->in[w]) == ring &&
		     rte_ring_get_size(pp->out[w]) == ring && pp->wr[w]->in == pp->in[w] &&
		     pp->wr[w]->out == pp->out[w] && pp->wr[w]->vw == pdp.wlc[w]->vw;
	return ok;
}

/* Bad sizes and impossible growths are refused and change nothing; no pipeline, no resize. */
static void
test_pipe_resize_bad(void **state)
{
	static const struct dp_pipe_resize_args bad[] = {
		{.ring_size = 100},
		{.ring_size = 32},
		{.ring_size = 1},
		{.ring_size = 131072},
		{.ring_size = 0x80000000u},
		{.flow_entries = 6},
		{.flow_entries = 2},
		{.flow_entries = 2097152},
		/* One good size with a bad one: the good one does not change either. */
		{.ring_size = 2048, .flow_entries = 3},
		{.ring_size = 1000, .flow_entries = 2048},
	};
	static struct dp none;
	const uint32_t ring0 = pdp.p.map.ring_size, fl0 = pdp.p.map.flow_entries;
	const uint64_t resizes0 = pdp.pipe->resizes;
	struct dp_pipe_resize_args a;
	struct order o;

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(bad); i++)
		assert_int_equal(dp_pipe_resize(&pdp, &bad[i]), -EINVAL);
	assert_int_equal(dp_pipe_resize(&pdp, NULL), -EINVAL);
	/* Growths the packet pool cannot feed: 7 * 64512 more mbufs than its 16383 in all. */
	a = (struct dp_pipe_resize_args){.ring_size = 65536};
	assert_int_equal(dp_pipe_resize(&pdp, &a), -ENOSPC);
	a = (struct dp_pipe_resize_args){.ring_size = 65536, .flow_entries = 4096};
	assert_int_equal(dp_pipe_resize(&pdp, &a), -ENOSPC);
	/* The sizes in force, or none: nothing to do. */
	a = (struct dp_pipe_resize_args){0};
	assert_int_equal(dp_pipe_resize(&pdp, &a), 0);
	a = (struct dp_pipe_resize_args){.ring_size = ring0, .flow_entries = fl0};
	assert_int_equal(dp_pipe_resize(&pdp, &a), 0);
	assert_int_equal(pdp.p.map.ring_size, ring0);
	assert_int_equal(pdp.p.map.flow_entries, fl0);
	assert_int_equal(pdp.pipe->resizes, resizes0);
	assert_true(sizes_in_force());

	/* Without worker lcores there is no pipeline to resize. */
	memset(&none, 0, sizeof(none));
	none.p.map.ring_size = 4096;
	none.p.map.flow_entries = 4096;
	a = (struct dp_pipe_resize_args){.ring_size = 1024};
	assert_int_equal(dp_pipe_resize(&none, &a), -ENOTSUP);
	a = (struct dp_pipe_resize_args){.flow_entries = 1024};
	assert_int_equal(dp_pipe_resize(&none, &a), -ENOTSUP);
	a = (struct dp_pipe_resize_args){.ring_size = 100};
	assert_int_equal(dp_pipe_resize(&none, &a), -EINVAL);
	a = (struct dp_pipe_resize_args){.ring_size = 4096, .flow_entries = 4096};
	assert_int_equal(dp_pipe_resize(&none, &a), 0);
	a = (struct dp_pipe_resize_args){0};
	assert_int_equal(dp_pipe_resize(&none, &a), 0);
	assert_int_equal(none.p.map.ring_size, 4096);
	assert_int_equal(none.p.map.flow_entries, 4096);
	assert_null(none.pipe);
	/* Worker lcores but no pipeline yet: the sizes are recorded for dp_pipe_create(). */
	none.n_workers = 2;
	a = (struct dp_pipe_resize_args){.ring_size = 256, .flow_entries = 64};
	assert_int_equal(dp_pipe_resize(&none, &a), 0);
	assert_int_equal(none.p.map.ring_size, 256);
	assert_int_equal(none.p.map.flow_entries, 64);
	assert_null(none.pipe);

	/* The pipeline still works. */
	run_traffic(true, 1000, &o);
	assert_int_equal(o.got, 1000);
	assert_int_equal(o.bad, 0);
}

#define RESIZE_STEPS 24

/* The resizes of test_pipe_resize_under_traffic(), and what came of them. */
struct resize_churn {
	volatile bool stop;
	bool finished;
	unsigned int done, failed, step, wrong;
	int last_rc;
	uint32_t rings_seen, tables_seen; /* Bit n set: 2^n was in force. */
};

/*
 * Sizes to go through, starting from 1024 and 1024. No growth of the rings
 * exceeds 1024 entries: 7 * 1024 mbufs more in flight, which the pool of
 * the group has free even while the traffic holds some.
 */
static const struct dp_pipe_resize_args resize_steps[RESIZE_STEPS] = {
	{256, 0},  {0, 4},     {64, 65536}, {512, 0},	{0, 16},   {1024, 1024},
	{2048, 0}, {0, 4096},  {128, 64},   {1024, 0},	{0, 256},  {64, 4},
	{256, 0},  {0, 65536}, {1024, 16},  {512, 0},	{0, 2048}, {1024, 0},
	{2048, 8}, {0, 1024},  {64, 0},	    {512, 512}, {128, 0},  {256, 128},
};

/* Resize through resize_steps, 5 ms apart, unless told to stop. */
static void *
resize_thread(void *arg)
{
	struct resize_churn *ch = arg;
	uint32_t ring = pdp.p.map.ring_size, fl = pdp.p.map.flow_entries;

	for (unsigned int i = 0; !ch->stop && i < RESIZE_STEPS; i++) {
		const struct dp_pipe_resize_args *a = &resize_steps[i];
		int rc = dp_pipe_resize(&pdp, a);

		if (rc != 0) {
			ch->failed++;
			ch->step = i;
			ch->last_rc = rc;
		} else {
			ch->done++;
			ring = a->ring_size != 0 ? a->ring_size : ring;
			fl = a->flow_entries != 0 ? a->flow_entries : fl;
			/* This thread makes the changes: it may look at the rings in force. */
			if (pdp.p.map.ring_size != ring || pdp.p.map.flow_entries != fl ||
			    !sizes_in_force())
				ch->wrong++;
			ch->rings_seen |= 1u << rte_log2_u32(pdp.p.map.ring_size);
			ch->tables_seen |= 1u << rte_log2_u32(pdp.p.map.flow_entries);
		}
		rte_delay_us_sleep(5000);
	}
	__atomic_store_n(&ch->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Resizing the rings and the elephant table, up and down, while traffic
 * flows in both directions in microflow mode loses, duplicates and
 * reorders nothing.
 */
static void
test_pipe_resize_under_traffic(void **state)
{
	struct resize_churn ch = {0};
	struct dp_pipe_resize_args back = {.ring_size = 1024, .flow_entries = 1024};
	struct order o;
	pthread_t t;
	uint64_t end = rte_get_timer_cycles() + 90 * rte_get_timer_hz();
	uint64_t frames = 0, lost = 0, dup = 0, ooo = 0;
	unsigned int rounds = 0;
	json_int_t full0, skipped0;
	json_t *mf;

	(void)state;
	assert_int_equal(pdp.p.map.ring_size, 1024);
	assert_int_equal(pdp.p.map.flow_entries, 1024);
	mf = mflow_stats();
	assert_string_equal(json_string_value(json_object_get(mf, "mode")), "microflow");
	full0 = jint(mf, "split", "ring_full");
	skipped0 = jint(mf, "merge", "skipped");
	json_decref(mf);
	assert_int_equal(pthread_create(&t, NULL, resize_thread, &ch), 0);
	/* Traffic round after round, both directions, for as long as the resizes go on. */
	while ((!__atomic_load_n(&ch.finished, __ATOMIC_ACQUIRE) || rounds < 2) &&
	       rte_get_timer_cycles() < end) {
		run_traffic((rounds & 1) == 0, 4000, &o);
		rounds++;
		frames += o.got - o.dup;
		lost += o.sent - (o.got - o.dup);
		dup += o.dup;
		ooo += o.ooo;
		if (o.got != 4000 || o.bad != 0)
			break;
	}
	ch.stop = true;
	pthread_join(t, NULL);
	print_message("%u resizes under traffic in %u rounds: %" PRIu64 " frames, %" PRIu64
		      " lost, %" PRIu64 " duplicated, %" PRIu64
		      " reordered; %u failed (step %u: %d)\n",
		      ch.done, rounds, frames, lost, dup, ooo, ch.failed, ch.step, ch.last_rc);
	assert_int_equal(lost, 0);
	assert_int_equal(dup, 0);
	assert_int_equal(ooo, 0);
	assert_int_equal(o.bad, 0);
	assert_true(frames >= 2 * 4000);
	assert_int_equal(ch.failed, 0);
	assert_int_equal(ch.done, RESIZE_STEPS);
	assert_int_equal(ch.wrong, 0);
	/* Every size of the list was in force at some point, and the last one is. */
	assert_int_equal(ch.rings_seen,
			 (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11));
	assert_int_equal(__builtin_popcount(ch.tables_seen), 11);
	assert_int_equal(pdp.p.map.ring_size, 256);
	assert_int_equal(pdp.p.map.flow_entries, 128);
	mf = mflow_stats();
	assert_int_equal(jint(mf, "merge", "ooo"), 0);
	assert_int_equal(jint(mf, "merge", "skipped"), skipped0);
	assert_int_equal(jint(mf, "split", "ring_full"), full0);
	json_decref(mf);
	/* Back to the sizes the other tests expect; the elephant is split again. */
	assert_int_equal(dp_pipe_resize(&pdp, &back), 0);
	assert_true(sizes_in_force());
	run_traffic(true, 4000, &o);
	assert_int_equal(o.got, 4000);
	assert_int_equal(o.bad, 0);
}

/*
 * When an lcore does not report within the grace period, a resize keeps
 * the rings it replaced, and a later resize frees them once a grace period
 * has passed.
 */
static void
test_pipe_resize_grace_timeout(void **state)
{
	struct dp_pipe_resize_args a = {.ring_size = 512};
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *old;
	struct order o;

	(void)state;
	/* QSBR thread ID 1 is the merge lcore's: free only while the dispatch lcore merges. */
	if (pdp.mlc != pdp.lc)
		skip();
	old = pdp.pipe->in[0];
	snprintf(name, sizeof(name), "%s", old->name);
	/* A reader that never reports. */
	assert_int_equal(rte_rcu_qsbr_thread_register(pdp.qsbr, 1), 0);
	rte_rcu_qsbr_thread_online(pdp.qsbr, 1);
	assert_int_equal(dp_pipe_resize(&pdp, &a), 0);
	assert_int_equal(pdp.p.map.ring_size, 512);
	assert_true(sizes_in_force());
	/* The old rings are kept: an lcore might still read them. */
	assert_ptr_equal(rte_ring_lookup(name), old);
	assert_non_null(pdp.pipe->retired);
	run_traffic(true, 2000, &o);
	assert_int_equal(o.got, 2000);
	assert_int_equal(o.bad, 0);
	/* Once every reader reports again, the next resize frees them. */
	rte_rcu_qsbr_thread_offline(pdp.qsbr, 1);
	assert_int_equal(rte_rcu_qsbr_thread_unregister(pdp.qsbr, 1), 0);
	a.ring_size = 1024;
	assert_int_equal(dp_pipe_resize(&pdp, &a), 0);
	assert_null(pdp.pipe->retired);
	assert_null(rte_ring_lookup(name));
	assert_true(sizes_in_force());
	run_traffic(false, 2000, &o);
	assert_int_equal(o.got, 2000);
	assert_int_equal(o.bad, 0);
}

/* A command the lcore has not taken by the deadline is withdrawn and never runs. */
static int
count_cmd(struct dp *dp, void *arg)
{
	(void)dp;
	__atomic_add_fetch((unsigned int *)arg, 1, __ATOMIC_RELAXED);
	return 7;
}

static void
test_pipe_cmd_withdrawn(void **state)
{
	unsigned int ran = 0, timeouts = 0;

	(void)state;
	for (unsigned int i = 0; i < 200; i++) {
		unsigned int before = __atomic_load_n(&ran, __ATOMIC_RELAXED);
		int rc = dp_cmd_exec(&pdp, count_cmd, &ran, (i & 1) != 0, 0);

		if (rc == -ETIMEDOUT) {
			timeouts++;
			/* Another command and a grace period later it still has not run. */
			assert_int_equal(dp_qsbr_sync(&pdp, 1000), 0);
			assert_int_equal(dp_cmd_exec(&pdp, count_cmd, &ran, false, 5000), 7);
			assert_int_equal(__atomic_load_n(&ran, __ATOMIC_RELAXED), before + 1);
		} else {
			assert_int_equal(rc, 7);
			assert_int_equal(__atomic_load_n(&ran, __ATOMIC_RELAXED), before + 1);
		}
	}
	print_message("%u of 200 commands withdrawn at their deadline\n", timeouts);
	/* Commands with time to spare always run. */
	assert_int_equal(dp_cmd_exec(&pdp, count_cmd, &ran, true, 5000), 7);
}

/* Bad settings are refused and change nothing. */
static void
test_pipe_reconfig_bad(void **state)
{
	struct dp_mf_conf good, c, now;

	(void)state;
	dp_mf_conf_get(&pdp, &good);
	c = good;
	c.workers = 3;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	c = good;
	c.workers = 0;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	c = good;
	c.batch_size = 0;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	c = good;
	c.batch_size = 65537;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	c = good;
	c.mode = DP_MODE__MAX;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	c = good;
	c.demote_pkts = c.promote_pkts + 1;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	c = good;
	c.pick = 9;
	assert_int_equal(dp_mf_reconfigure(&pdp, &c, 1000), -EINVAL);
	dp_mf_conf_get(&pdp, &now);
	assert_memory_equal(&now, &good, sizeof(now));
}

static json_int_t
drop_count(const char *reason)
{
	json_t *root = dp_stats_json(&pdp);
	json_int_t v;

	assert_non_null(root);
	v = jint(root, "drops", reason);
	json_decref(root);
	return v;
}

/*
 * Malformed VxLAN on the elephant's path is dropped by the workers under its
 * own reason, in every mode, and the flow goes on in order afterwards.
 */
static void
test_pipe_malformed(void **state)
{
	static const uint8_t modes[] = {DP_MODE_MICROFLOW, DP_MODE_PINNED, DP_MODE_RTC};
	struct order o;

	(void)state;
	for (unsigned int k = 0; k < RTE_DIM(modes); k++) {
		struct dp_mf_conf c = conf_base();
		json_int_t flags0 = drop_count("vxlan_bad_flags"),
			   trunc0 = drop_count("ip4_truncated");
		uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

		c.mode = modes[k];
		assert_int_equal(dp_mf_reconfigure(&pdp, &c, 5000), 0);
		/* Warm the flow up so that it is split (in microflow), then the bad frames. */
		run_traffic(true, 2000, &o);
		assert_int_equal(o.got, 2000);
		for (unsigned int i = 0; i < 40; i++) {
			struct rte_mbuf *m = frame(true, 0, 0);

			if (i % 2 == 0)
				/* The VxLAN I flag (Ethernet, IPv4, UDP: offset 42). */
				rte_pktmbuf_mtod(m, uint8_t *)[42] = 0;
			else
				/* Cut inside the VxLAN header: shorter than its IPv4 length. */
				rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - 46));
			assert_int_equal(rte_ring_enqueue(pul.rx, m), 0);
		}
		while ((drop_count("vxlan_bad_flags") != flags0 + 20 ||
			drop_count("ip4_truncated") != trunc0 + 20) &&
		       rte_get_timer_cycles() < end)
			rte_delay_us_sleep(1000);
		assert_int_equal(drop_count("vxlan_bad_flags"), flags0 + 20);
		assert_int_equal(drop_count("ip4_truncated"), trunc0 + 20);
		assert_int_equal(rte_ring_count(pe1.tx), 0);
		run_traffic(true, 2000, &o);
		assert_int_equal(o.got, 2000);
		assert_int_equal(o.bad, 0);
	}
	{
		struct dp_mf_conf c = conf_base();

		assert_int_equal(dp_mf_reconfigure(&pdp, &c, 5000), 0);
	}
}

/* Lcore maps that cannot work are refused before anything is allocated. */
static void
test_pipe_bad_map(void **state)
{
	static const struct {
		bool has_merge;
		unsigned int merge;
		uint16_t n;
		unsigned int w0, w1;
	} bad[] = {
		{true, 4, 0, 0, 0},  /* A merge lcore of its own without workers. */
		{false, 0, 2, 2, 2}, /* A worker listed twice. */
		{false, 0, 1, 1, 0}, /* A worker on the dispatch lcore. */
		{true, 2, 1, 2, 0},  /* A worker on the merge lcore. */
		{false, 0, 1, 9, 0}, /* An lcore EAL does not have. */
	};

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		struct dp d;
		struct dp_params p = {
			.burst = 32, .drain_us = 100, .rxd = 64, .txd = 64, .mbufs = 511};

		memset(&d, 0, sizeof(d));
		p.map.has_dispatch = true;
		p.map.dispatch = 1;
		p.map.has_merge = bad[i].has_merge;
		p.map.merge = bad[i].merge;
		p.map.n_workers = bad[i].n;
		p.map.workers[0] = bad[i].w0;
		p.map.workers[1] = bad[i].w1;
		p.map.ring_size = 1024;
		p.map.flow_entries = 1024;
		p.mf = conf_base();
		assert_int_equal(dp_init(&d, &p), -EINVAL);
		assert_null(d.lc);
	}
}

/* ARP for our address is answered by the dispatch lcore in microflow mode. */
static void
test_pipe_arp(void **state)
{
	uint8_t f[64] = {0};
	uint32_t len =
		vxt_arp(f, &(struct rte_ether_addr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
			RTE_ARP_OP_REQUEST, &pnh, pr4.v4, &(struct rte_ether_addr){{0}}, pl4.v4);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pdp.pools[0]);
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	void *o = NULL;
	struct rte_arp_hdr *arp;

	(void)state;
	memcpy(rte_pktmbuf_append(m, (uint16_t)RTE_MAX(len, 60u)), f, RTE_MAX(len, 60u));
	assert_int_equal(rte_ring_enqueue(pul.rx, m), 0);
	while (rte_ring_dequeue(pul.tx, &o) != 0 && rte_get_timer_cycles() < end)
		rte_delay_us_sleep(1000);
	assert_non_null(o);
	arp = rte_pktmbuf_mtod_offset((struct rte_mbuf *)o, struct rte_arp_hdr *,
				      sizeof(struct rte_ether_hdr));
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
	assert_int_equal(arp->arp_data.arp_sip, pl4.v4);
	rte_pktmbuf_free(o);
}

int
dp_test_pipe(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_microflow_order),
		cmocka_unit_test(test_pipe_reconfig_under_traffic),
		cmocka_unit_test(test_pipe_ops_under_traffic),
		cmocka_unit_test(test_pipe_underlay_fdb_bad),
		cmocka_unit_test(test_pipe_resize_bad),
		cmocka_unit_test(test_pipe_resize_under_traffic),
		cmocka_unit_test(test_pipe_resize_grace_timeout),
		cmocka_unit_test(test_pipe_cmd_withdrawn),
		cmocka_unit_test(test_pipe_reconfig_bad),
		cmocka_unit_test(test_pipe_arp),
		cmocka_unit_test(test_pipe_bad_map),
		cmocka_unit_test(test_pipe_malformed),
	};
	int rc;

	separate_merge = false;
	rc = cmocka_run_group_tests_name("pipe, merge on the dispatch lcore", tests, pipe_setup,
					 pipe_teardown);
	separate_merge = true;
	rc += cmocka_run_group_tests_name("pipe, merge on its own lcore", tests, pipe_setup,
					  pipe_teardown);
	return rc;
}
