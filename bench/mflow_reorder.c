/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-reorder-bench: what splitting an elephant flow across workers costs
 * and gains, with each way of restoring its order, in one run.
 *
 * 1. The VxLAN pipeline, stage by stage, on one core (measured). One
 *    workload of real VxLAN frames (one elephant carrying 80% of the
 *    packets, 1000 mice), decapsulated on their way from the underlay to an
 *    endpoint, goes through:
 *      (a) rtc          vx_underlay_input() run to completion;
 *      (b) pinned       the pipeline's flow hash and pinning, the workers'
 *                       vx_underlay_input_w(), dp_mf_merge_poll() (FIFO);
 *      (c) microflow    dp_fl_account() and dp_mf_split_*() as the
 *                       dispatch lcore runs them, the workers, and the
 *                       batch-ID merge;
 *      (d) rte_reorder  the same split, every packet numbered at dispatch
 *                       and put back in order by rte_reorder (DPDK's
 *                       packet_ordering example);
 *      (e) event_sw     the producer feeds an ORDERED queue, worker ports
 *                       decapsulate and forward to an ATOMIC queue, a
 *                       consumer port reads it.
 *    The stages run one after the other over phases of PL_PHASE packets,
 *    each timed on its own: dispatch, workers (all of them), and the
 *    order-restoring stage. From these the elephant's throughput with N
 *    workers is projected (projected, not measured).
 * 2. The order-restoring stage alone (measured): the batch-ID merge,
 *    rte_reorder and event_sw's scheduler over one million small packets
 *    moved by simulated workers that drift apart, and a batch-size sweep
 *    with the out-of-order count without reassembly (the seed paper's
 *    Figure 7).
 * 3. The real pipeline on two lcores (measured): dp_launch() with the
 *    dispatch and merge lcore on one CPU and one worker lcore on the other,
 *    over net_ring ports whose underlay RX ring is filled with the whole
 *    workload at once; the main thread only polls the endpoint TX ring.
 *
 * Every output is checked for per-flow order. Each measurement is repeated
 * and the median reported. JSON goes to stdout (or --json FILE), tables to
 * stderr. Exit status 1 when a mode loses packets or batch reassembly
 * reorders any; timing never fails the run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_eventdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_reorder.h>
#include <rte_ring.h>
#include <rte_service.h>

#include "bench.h"
#include "dp.h"
#include "dp_pipe_priv.h"
#include "test_eal.h"

#define MICE	  1000
#define MAX_W	  8
#define RING_SIZE 16384
#define CHUNK	  32
#define WORK_MAX  48
/* Packets dispatched before each timed merge or reorder pass. */
#define PHASE	 4096
#define MAX_REPS 16

/* The VxLAN pipeline sections. */
#define PL_FULL_PKTS  65536
#define PL_QUICK_PKTS 32768
#define PL_BURST      32   /* RX and dispatch burst, mflowd's default. */
#define PL_PHASE      1024 /* Packets per serially timed phase. */
#define PL_W_BURST    64   /* Entries a worker takes per poll, as dp_worker_loop(). */
#define PL_RING	      8192
#define PL_INNER_LEN  64
#define PL_TAG_OFF    42 /* Flow and sequence number in the inner UDP payload. */
#define PL_VNI	      100
#define PL_PORT_UL    0
#define PL_PORT_EP    1
/* Elephant detection: low enough that the elephant is promoted in its first windows. */
#define PL_WINDOW_US	   50
#define PL_PROMOTE_PKTS	   32
#define PL_DEMOTE_PKTS	   4
#define PL_PROMOTE_WINDOWS 1
#define PL_DEMOTE_WINDOWS  200
/* Longest a two-lcore run may take before it counts as lost packets. */
#define LC_TIMEOUT_S 20
/*
 * A two-lcore run takes a few milliseconds, so one time slice lost to
 * another process halves its figure: section 3 runs LC_REP_FACTOR times as
 * many reps as the others.
 */
#define LC_REP_FACTOR 3
#define LC_MAX_REPS   (LC_REP_FACTOR * MAX_REPS)

struct opts {
	unsigned int pkts;
	unsigned int frames;
	unsigned int workers;
	unsigned int batch;
	unsigned int reps;
	bool quick;
	bool no_lcores;
	bool huge;
	const char *json;
};

struct result {
	const char *name;
	unsigned int batch;
	double reorder_cycles; /* Order-restoring stage, per packet. */
	double total_cycles;   /* Whole simulated pipeline, per packet (eventdev only). */
	uint64_t delivered;
	uint64_t ooo;	       /* Per-flow order violations at the output. */
	uint64_t ooo_unmerged; /* The same without reassembly (sweep only). */
	uint64_t unordered;    /* rte_reorder: packets it could not take. */
};

static struct rte_mempool *pool;
static struct rte_mbuf *phase_out[2 * PHASE]; /* What a timed pass delivered. */
static struct rte_mbuf *unord[2 * PHASE];     /* What rte_reorder refused. */
static struct rte_mbuf **pkts;		      /* The workload, in arrival order. */
static uint32_t *flow_of;		      /* Flow of each packet. */
static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint8_t evdev;	     /* event_sw0, set up once. */
static uint32_t evdev_sid;   /* Its scheduler service. */
static bool evdev_ok;	     /* Set up and started. */
static unsigned int evdev_w; /* Worker ports; the producer and consumer follow. */

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* @return the median of @p n values (sorted in place). */
static double
median(double *v, unsigned int n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Per-flow order check of the output stream. */
struct order {
	int64_t last[MICE + 1];
	uint64_t ooo, seen;
};

static void
order_reset(struct order *o)
{
	for (unsigned int i = 0; i <= MICE; i++)
		o->last[i] = -1;
	o->ooo = 0;
	o->seen = 0;
}

/* Record one packet of flow @p f with sequence number @p seq. */
static inline void
order_take(struct order *o, uint32_t f, uint32_t seq)
{
	if (f > MICE) {
		o->ooo++;
	} else {
		if ((int64_t)seq <= o->last[f])
			o->ooo++;
		o->last[f] = seq;
	}
	o->seen++;
}

/* The small packets of section 2 carry their flow and sequence number first. */
static inline void
order_check(struct order *o, struct rte_mbuf *m)
{
	const uint32_t *p = rte_pktmbuf_mtod(m, const uint32_t *);

	order_take(o, p[0], p[1]);
}

/* Fill the common part of a reorder-stage result. */
static void
result_fill(struct result *r, const char *name, unsigned int batch, uint64_t cycles,
	    const struct order *ord)
{
	r->name = name;
	r->batch = batch;
	r->reorder_cycles = (double)cycles / (double)ord->seen;
	r->delivered = ord->seen;
	r->ooo = ord->ooo;
}

/* A decapsulated frame carries them in its inner UDP payload. */
static inline void
order_check_vx(struct order *o, struct rte_mbuf *m)
{
	uint32_t v[2];

	if (rte_pktmbuf_data_len(m) < PL_TAG_OFF + sizeof(v)) {
		order_take(o, UINT32_MAX, 0);
		return;
	}
	memcpy(v, rte_pktmbuf_mtod_offset(m, const uint8_t *, PL_TAG_OFF), sizeof(v));
	order_take(o, v[0], v[1]);
}
static int
workload_build(unsigned int n)
{
	uint32_t seq[MICE + 1] = {0};

	pkts = calloc(n, sizeof(*pkts));
	flow_of = calloc(n, sizeof(*flow_of));
	pool = rte_pktmbuf_pool_create("reorder_pool", n + 4096, 256, 0, RTE_PKTMBUF_HEADROOM + 64,
				       SOCKET_ID_ANY);
	if (pkts == NULL || flow_of == NULL || pool == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t f = rnd() % 5 != 0 ? 0 : 1 + rnd() % MICE;
		uint32_t *p;

		pkts[i] = rte_pktmbuf_alloc(pool);
		if (pkts[i] == NULL)
			return -ENOMEM;
		p = (uint32_t *)rte_pktmbuf_append(pkts[i], 64);
		p[0] = f;
		p[1] = seq[f]++;
		flow_of[i] = f;
	}
	return 0;
}

/* Move up to WORK_MAX entries per worker from its input to its output ring. */
static void
workers_step(struct rte_ring **in, struct rte_ring **out, unsigned int w_n)
{
	void *e[WORK_MAX];

	for (unsigned int w = 0; w < w_n; w++) {
		unsigned int n = rte_ring_sc_dequeue_burst(in[w], e, 1 + rnd() % WORK_MAX, NULL);

		if (n != 0 && rte_ring_sp_enqueue_burst(out[w], e, n, NULL) != n)
			rte_panic("bench: worker output ring full\n");
	}
}

static bool
rings_empty(struct rte_ring **r, unsigned int w_n)
{
	for (unsigned int w = 0; w < w_n; w++)
		if (rte_ring_count(r[w]) != 0)
			return false;
	return true;
}

static void
rings_create(const char *tag, struct rte_ring **in, struct rte_ring **out, unsigned int w_n)
{
	char name[32];

	for (unsigned int w = 0; w < w_n; w++) {
		snprintf(name, sizeof(name), "%s_in%u", tag, w);
		in[w] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "%s_out%u", tag, w);
		out[w] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (in[w] == NULL || out[w] == NULL)
			rte_panic("bench: cannot create rings\n");
	}
}

static void
rings_free(struct rte_ring **in, struct rte_ring **out, unsigned int w_n)
{
	for (unsigned int w = 0; w < w_n; w++) {
		rte_ring_free(in[w]);
		rte_ring_free(out[w]);
	}
}

/* The worker a packet goes to in the split: mice pinned, elephant batches round-robin. */
static inline unsigned int
split_worker(unsigned int i, uint32_t *eleph_count, unsigned int batch, unsigned int w_n)
{
	if (flow_of[i] != 0)
		return flow_of[i] % w_n;
	return ((*eleph_count)++ / batch) % w_n;
}

/* (c) batch-ID reassembly; with @merged false, the unmerged order is measured instead. */
static void
run_microflow(const struct opts *o, unsigned int batch, struct result *r)
{
	struct rte_ring *in[MAX_W], *out[MAX_W];
	struct dp_mf_split *sp;
	struct dp_mf_merge *mg;
	struct order ord;
	uint64_t cycles = 0;
	unsigned int i = 0;
	int slot;

	rings_create("mf", in, out, o->workers);
	sp = dp_mf_split_create(in, (uint16_t)o->workers, batch, DP_MF_PICK_RR);
	mg = dp_mf_merge_create(out, (uint16_t)o->workers, 0);
	if (sp == NULL || mg == NULL)
		rte_panic("bench: cannot create split/merge\n");
	slot = dp_mf_split_promote(sp, 0);
	order_reset(&ord);
	while (ord.seen < o->pkts) {
		unsigned int n_out = 0, start = i;
		uint64_t t;

		/* Dispatch a phase, let the workers move all of it in random chunks. */
		for (; i < o->pkts && i - start < PHASE; i++) {
			if (flow_of[i] == 0)
				dp_mf_split_elephant(sp, (uint16_t)slot, pkts[i]);
			else
				dp_mf_split_mouse(sp, (uint16_t)(flow_of[i] % o->workers), pkts[i]);
			if ((i - start) % CHUNK == CHUNK - 1) {
				dp_mf_split_flush(sp);
				workers_step(in, out, o->workers);
			}
		}
		if (i == o->pkts)
			dp_mf_split_close(sp, (uint16_t)slot);
		dp_mf_split_flush(sp);
		while (!rings_empty(in, o->workers))
			workers_step(in, out, o->workers);
		/* Timed: the merge of the whole phase. */
		t = rte_rdtsc_precise();
		for (;;) {
			uint16_t n = dp_mf_merge_poll(mg, phase_out + n_out, 256, 0);

			n_out += n;
			if (n == 0 || n_out + 256 > RTE_DIM(phase_out))
				break;
		}
		cycles += rte_rdtsc_precise() - t;
		for (unsigned int k = 0; k < n_out; k++)
			order_check(&ord, phase_out[k]);
	}
	result_fill(r, "microflow", batch, cycles, &ord);
	dp_mf_split_destroy(sp);
	dp_mf_merge_destroy(mg);
	rings_free(in, out, o->workers);
}

/* The same split with no reassembly: outputs taken as they come (Figure 7's count). */
static uint64_t
run_unmerged(const struct opts *o, unsigned int batch)
{
	struct rte_ring *in[MAX_W], *out[MAX_W];
	void *e[WORK_MAX];
	struct order ord;
	uint32_t eleph = 0;
	unsigned int i = 0;

	rings_create("um", in, out, o->workers);
	order_reset(&ord);
	while (ord.seen < o->pkts) {
		for (unsigned int k = 0; k < CHUNK && i < o->pkts; k++, i++) {
			unsigned int w = split_worker(i, &eleph, batch, o->workers);

			if (rte_ring_sp_enqueue(in[w], pkts[i]) != 0)
				rte_panic("bench: ring full\n");
		}
		workers_step(in, out, o->workers);
		for (unsigned int w = 0; w < o->workers; w++) {
			unsigned int n = rte_ring_sc_dequeue_burst(out[w], e, WORK_MAX, NULL);

			for (unsigned int k = 0; k < n; k++)
				order_check(&ord, e[k]);
		}
	}
	rings_free(in, out, o->workers);
	return ord.ooo;
}

/* (d) the same split, every packet numbered and reordered by rte_reorder. */
static void
run_reorder(const struct opts *o, unsigned int batch, struct result *r)
{
	struct rte_ring *in[MAX_W], *out[MAX_W];
	struct rte_reorder_buffer *rb;
	struct rte_mbuf *e[WORK_MAX];
	struct order ord;
	uint64_t cycles = 0, unordered = 0;
	uint32_t eleph = 0, seqn = 0;
	unsigned int i = 0;

	rings_create("ro", in, out, o->workers);
	rb = rte_reorder_create("bench_reorder", SOCKET_ID_ANY, 2 * PHASE);
	if (rb == NULL)
		rte_panic("bench: cannot create the reorder buffer\n");
	order_reset(&ord);
	while (ord.seen < o->pkts) {
		unsigned int n_out = 0, start = i, n_un = 0;
		uint64_t t;

		for (; i < o->pkts && i - start < PHASE; i++) {
			unsigned int w = split_worker(i, &eleph, batch, o->workers);

			*rte_reorder_seqn(pkts[i]) = seqn++;
			if (rte_ring_sp_enqueue(in[w], pkts[i]) != 0)
				rte_panic("bench: ring full\n");
			if ((i - start) % CHUNK == CHUNK - 1)
				workers_step(in, out, o->workers);
		}
		while (!rings_empty(in, o->workers))
			workers_step(in, out, o->workers);
		/* Timed: the workers' output, chunk by chunk, through the reorder buffer. */
		t = rte_rdtsc_precise();
		for (bool more = true; more;) {
			more = false;
			for (unsigned int w = 0; w < o->workers; w++) {
				unsigned int n = rte_ring_sc_dequeue_burst(out[w], (void **)e,
									   WORK_MAX, NULL);

				more |= n != 0;
				for (unsigned int k = 0; k < n; k++)
					if (rte_reorder_insert(rb, e[k]) != 0)
						/* As packet_ordering does: send it on unordered. */
						unord[n_un++] = e[k];
				n_out += rte_reorder_drain(rb, phase_out + n_out,
							   RTE_DIM(phase_out) - n_out);
			}
		}
		cycles += rte_rdtsc_precise() - t;
		unordered += n_un;
		for (unsigned int k = 0; k < n_un; k++)
			order_check(&ord, unord[k]);
		for (unsigned int k = 0; k < n_out; k++)
			order_check(&ord, phase_out[k]);
	}
	result_fill(r, "rte_reorder", batch, cycles, &ord);
	r->unordered = unordered;
	rte_reorder_free(rb);
	rings_free(in, out, o->workers);
}

/*
 * Set up event_sw0 once for both eventdev runs: an ORDERED queue linked to
 * @p w_n worker ports, an ATOMIC queue linked to the consumer port, and a
 * producer port. The device stays started; each run drains it.
 */
static int
evd_setup(unsigned int w_n)
{
	const uint8_t q_ord = 0, q_out = 1;
	struct rte_event_dev_config dc = {0};
	struct rte_event_queue_conf qc = {0};
	struct rte_event_port_conf pc = {0};
	struct rte_event_dev_info info;
	int id;

	id = rte_event_dev_get_dev_id("event_sw0");
	if (id < 0)
		return -ENODEV;
	evdev = (uint8_t)id;
	evdev_w = w_n;
	rte_event_dev_info_get(evdev, &info);
	dc.nb_event_queues = 2;
	dc.nb_event_ports = (uint8_t)(w_n + 2);
	dc.nb_events_limit = 4096;
	dc.nb_event_queue_flows = 1024;
	dc.nb_event_port_dequeue_depth = info.max_event_port_dequeue_depth;
	dc.nb_event_port_enqueue_depth = info.max_event_port_enqueue_depth;
	if (rte_event_dev_configure(evdev, &dc) < 0)
		return -EINVAL;
	qc.schedule_type = RTE_SCHED_TYPE_ORDERED;
	qc.nb_atomic_order_sequences = 1024;
	qc.nb_atomic_flows = 1024;
	qc.priority = RTE_EVENT_DEV_PRIORITY_NORMAL;
	if (rte_event_queue_setup(evdev, q_ord, &qc) < 0)
		return -EINVAL;
	qc.schedule_type = RTE_SCHED_TYPE_ATOMIC;
	if (rte_event_queue_setup(evdev, q_out, &qc) < 0)
		return -EINVAL;
	pc.new_event_threshold = 4096;
	pc.dequeue_depth = CHUNK;
	pc.enqueue_depth = CHUNK;
	for (uint8_t p = 0; p < w_n + 2; p++)
		if (rte_event_port_setup(evdev, p, &pc) < 0)
			return -EINVAL;
	for (uint8_t p = 0; p < w_n; p++)
		if (rte_event_port_link(evdev, p, &q_ord, NULL, 1) != 1)
			return -EINVAL;
	if (rte_event_port_link(evdev, (uint8_t)(w_n + 1), &q_out, NULL, 1) != 1)
		return -EINVAL;
	if (rte_event_dev_service_id_get(evdev, &evdev_sid) != 0)
		return -ENOTSUP;
	rte_service_runstate_set(evdev_sid, 1);
	rte_service_set_runstate_mapped_check(evdev_sid, 0);
	if (rte_event_dev_start(evdev) < 0)
		return -EIO;
	evdev_ok = true;
	return 0;
}

/* A NEW event for the ORDERED queue carrying @p m. */
static inline void
evd_new(struct rte_event *e, uint32_t flow, struct rte_mbuf *m)
{
	memset(e, 0, sizeof(*e));
	e->flow_id = flow & 0xfffff;
	e->op = RTE_EVENT_OP_NEW;
	e->sched_type = RTE_SCHED_TYPE_ORDERED;
	e->queue_id = 0;
	e->event_type = RTE_EVENT_TYPE_CPU;
	e->mbuf = m;
}

/* Turn a dequeued event into a forward to the ATOMIC queue. */
static inline void
evd_forward(struct rte_event *e)
{
	e->queue_id = 1;
	e->op = RTE_EVENT_OP_FORWARD;
	e->sched_type = RTE_SCHED_TYPE_ATOMIC;
}

/* (e), section 2: producer -> ORDERED queue -> worker ports -> forward -> consumer. */
static void
run_eventdev(const struct opts *o, struct result *r)
{
	const uint8_t prod = (uint8_t)evdev_w, cons = (uint8_t)(evdev_w + 1);
	struct rte_event ev[CHUNK];
	struct order ord;
	uint64_t sched = 0, t0, total;
	unsigned int i = 0;

	order_reset(&ord);
	t0 = rte_rdtsc_precise();
	while (ord.seen < o->pkts) {
		unsigned int n = 0;
		uint64_t t;

		for (; n < CHUNK && i + n < o->pkts; n++)
			evd_new(&ev[n], flow_of[i + n], pkts[i + n]);
		if (n != 0)
			i += rte_event_enqueue_burst(evdev, prod, ev, (uint16_t)n);
		t = rte_rdtsc_precise();
		rte_service_run_iter_on_app_lcore(evdev_sid, 0);
		sched += rte_rdtsc_precise() - t;
		for (uint8_t p = 0; p < evdev_w; p++) {
			uint16_t k = rte_event_dequeue_burst(evdev, p, ev, 1 + rnd() % CHUNK, 0);

			for (uint16_t j = 0; j < k; j++)
				evd_forward(&ev[j]);
			if (k != 0 && rte_event_enqueue_burst(evdev, p, ev, k) != k)
				rte_panic("bench: eventdev forward refused\n");
		}
		t = rte_rdtsc_precise();
		rte_service_run_iter_on_app_lcore(evdev_sid, 0);
		sched += rte_rdtsc_precise() - t;
		for (;;) {
			uint16_t k = rte_event_dequeue_burst(evdev, cons, ev, CHUNK, 0);

			for (uint16_t j = 0; j < k; j++)
				order_check(&ord, ev[j].mbuf);
			if (k < CHUNK)
				break;
		}
	}
	total = rte_rdtsc_precise() - t0;
	result_fill(r, "event_sw ordered", 0, sched, &ord);
	r->total_cycles = (double)total / (double)ord.seen;
}
/* ------------------------------------------------------------------------- */
/* The VxLAN workload and the instance shared by sections 1 and 3.           */

struct pport {
	struct rte_ring *rx, *tx;
	char name[RTE_ETH_NAME_MAX_LEN];
};

static struct {
	struct dp dp;		/* Ports, pools, lcore roles; its vx serves section 1 too. */
	struct pport ul, ep;	/* net_ring ports: underlay and the endpoint. */
	struct rte_mempool *mp; /* The workload's frames. */
	struct rte_mbuf **m;	/* The workload, in arrival order. */
	struct rte_mbuf **out;	/* What a run delivered, in delivery order. */
	uint32_t n, len;
	bool lcores_ok;	     /* Two CPUs for the two-lcore section. */
	const char *lc_cpus; /* Its lcore-to-CPU map, for the report. */
	struct vx_stats ost; /* The owner's counters in section 1. */
	struct vx_out oout;  /* The owner's output list in section 1. */
	struct rte_ether_addr ul_mac, nh_mac, ep_mac;
	struct vx_ip l4, r4;
} pl;

static struct rte_ether_addr
mac_of(uint8_t a, uint8_t b, uint8_t c)
{
	struct rte_ether_addr m = {{0x02, 0x00, 0x00, a, b, c}};

	return m;
}

static int
pport_create(struct pport *pp, const char *name, unsigned int size)
{
	char n[64];
	int port;

	snprintf(n, sizeof(n), "%s_rx", name);
	pp->rx = rte_ring_create(n, size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(n, sizeof(n), "%s_tx", name);
	pp->tx = rte_ring_create(n, size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pp->rx == NULL || pp->tx == NULL)
		return -ENOMEM;
	port = rte_eth_from_rings(name, &pp->rx, 1, &pp->tx, 1, SOCKET_ID_ANY);
	if (port < 0)
		return -ENODEV;
	return rte_eth_dev_get_name_by_port((uint16_t)port, pp->name);
}

/* The pipeline settings of a mode in the two-lcore section. */
static struct dp_mf_conf
pl_conf(uint8_t mode, unsigned int batch)
{
	struct dp_mf_conf c = {
		.mode = mode,
		.pick = DP_MF_PICK_RR,
		.workers = 1,
		.batch_size = batch,
		.merge_timeout_us = 1000,
		.window_us = PL_WINDOW_US,
		.promote_pkts = PL_PROMOTE_PKTS,
		.demote_pkts = PL_DEMOTE_PKTS,
		.promote_windows = PL_PROMOTE_WINDOWS,
		.demote_windows = PL_DEMOTE_WINDOWS,
	};

	return c;
}

/* Build the frames: flow f's inner payload carries f and its sequence number. */
static int
pl_workload(unsigned int n)
{
	uint32_t seq[MICE + 1] = {0};
	uint8_t inner[PL_INNER_LEN], frame[BENCH_FRAME_MAX];

	pl.n = n;
	pl.m = calloc(n, sizeof(*pl.m));
	pl.out = calloc(n, sizeof(*pl.out));
	pl.mp = rte_pktmbuf_pool_create("pl_pool", n + 1023, 256, 0, RTE_PKTMBUF_HEADROOM + 256,
					SOCKET_ID_ANY);
	if (pl.m == NULL || pl.out == NULL || pl.mp == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t f = rnd() % 5 != 0 ? 0 : 1 + rnd() % MICE;
		struct bench_flow fl = {
			.dst = pl.ep_mac,
			.src = mac_of(0xaa, (uint8_t)(f >> 8), (uint8_t)f),
			.ip_src = rte_cpu_to_be_32(RTE_IPV4(198, 19, (f >> 8) & 0xff, f & 0xff)),
			.ip_dst = RTE_BE32(RTE_IPV4(198, 19, 200, 1)),
			.sport = (uint16_t)(1024 + f),
			.dport = 9000,
		};
		char *p;

		if (bench_inner_frame(inner, PL_INNER_LEN, &fl) == 0)
			return -EINVAL;
		memcpy(inner + PL_TAG_OFF, &f, sizeof(f));
		memcpy(inner + PL_TAG_OFF + 4, &seq[f], sizeof(seq[f]));
		seq[f]++;
		pl.len = bench_vxlan_frame(frame, inner, PL_INNER_LEN, &pl.ul_mac, &pl.nh_mac,
					   &pl.r4, &pl.l4, PL_VNI, (uint16_t)(0xc000 | f));
		pl.m[i] = rte_pktmbuf_alloc(pl.mp);
		if (pl.m[i] == NULL)
			return -ENOMEM;
		p = rte_pktmbuf_append(pl.m[i], (uint16_t)pl.len);
		if (p == NULL)
			return -ENOSPC;
		memcpy(p, frame, pl.len);
	}
	return 0;
}

/*
 * The dataplane with its lcore map (dispatch and merge on lcore 1, one
 * worker on lcore 2), its ports, the VxLAN instance and the workload. The
 * pipeline itself is created only for section 3.
 */
static int
pl_setup(unsigned int n)
{
	struct dp_params p = {
		.burst = PL_BURST,
		.drain_us = 100,
		.idle_polls = 0, /* Spin: the two datapath lcores own their CPUs. */
		.idle_sleep_us = 10,
		.idle_sleep_max_us = 100,
		.rxd = 512, /* net_ring ignores it; it only sizes the pool. */
		.txd = 512,
		.mbufs = 4095,
		.n_ports = 2,
	};
	struct vx_params vp = {0};
	struct vx_endpoint ep = {0};
	unsigned int ring = rte_align32pow2(n + 1);
	uint64_t hz = rte_get_tsc_hz();
	uint8_t plen;
	int rc;

	pl.ul_mac = mac_of(0, 0, 1);
	pl.nh_mac = mac_of(0, 0, 2);
	pl.ep_mac = mac_of(0, 1, 1);
	if (vx_prefix_parse("198.18.0.1/24", &pl.l4, &plen) != 0 ||
	    vx_prefix_parse("198.18.0.2/32", &pl.r4, &plen) != 0)
		return -EINVAL;
	p.map.has_dispatch = true;
	p.map.dispatch = 1;
	p.map.n_workers = 1;
	p.map.workers[0] = 2;
	p.map.ring_size = 4096;
	p.map.flow_entries = 4096;
	p.mf = pl_conf(DP_MODE_RTC, 256);
	rc = dp_init(&pl.dp, &p);
	if (rc < 0)
		return rc;
	rc = pport_create(&pl.ul, "rb_ul", ring);
	if (rc == 0)
		rc = pport_create(&pl.ep, "rb_ep", ring);
	if (rc < 0)
		return rc;
	if (dp_port_open(&pl.dp, "underlay", pl.ul.name, DP_PORT_UNDERLAY, 0, 1500) != PL_PORT_UL)
		return -ENODEV;
	vp.mac = pl.ul_mac;
	vp.ip4 = pl.l4;
	vp.plen4 = 24;
	vp.mtu = 1500;
	vp.udp_port = VX_UDP_PORT;
	vp.underlay_port = PL_PORT_UL;
	vp.strict_reserved = true;
	vp.fdb_size = 65536;
	vp.fdb_age = hz * 300;
	vp.neigh.reachable = hz * 30;
	vp.neigh.retrans = hz;
	vp.neigh.failed = hz * 5;
	vp.neigh.max_probes = 3;
	vp.pool = pl.dp.pools[0];
	vp.socket = SOCKET_ID_ANY;
	pl.dp.vx = vx_create(&vp);
	if (pl.dp.vx == NULL)
		return -errno;
	if ((rc = vx_vni_add(pl.dp.vx, PL_VNI)) < 0 ||
	    (rc = vx_vtep_add(pl.dp.vx, PL_VNI, &pl.r4)) < 0 ||
	    (rc = vx_neigh_add_static(pl.dp.vx, &pl.r4, &pl.nh_mac)) < 0)
		return rc;
	snprintf(ep.name, sizeof(ep.name), "c1");
	ep.mac = pl.ep_mac;
	ep.vni = PL_VNI;
	ep.port = PL_PORT_EP;
	ep.mtu = 1500;
	rc = vx_endpoint_add(pl.dp.vx, &ep);
	if (rc < 0)
		return rc;
	if (dp_port_open(&pl.dp, "c1", pl.ep.name, DP_PORT_ENDPOINT, (uint16_t)rc, 1500) !=
	    PL_PORT_EP)
		return -ENODEV;
	return pl_workload(n);
}

/* Undo what decapsulation did to the frames: it only moves the data offset. */
static void
pl_reset(void)
{
	for (uint32_t i = 0; i < pl.n; i++) {
		struct rte_mbuf *m = pl.m[i];

		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = (uint16_t)pl.len;
		m->pkt_len = pl.len;
		m->port = 0;
		m->ol_flags = 0;
		m->packet_type = 0;
		m->tx_offload = 0;
	}
}

static uint64_t
drops_of(const struct vx_stats *st)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		n += st->drop[i];
	return n;
}

/* ------------------------------------------------------------------------- */
/* Section 1: the pipeline stage by stage on one core.                       */

enum pl_mode {
	PL_RTC = 0,
	PL_PINNED,
	PL_MICROFLOW,
	PL_REORDER,
	PL_EVENTDEV,
	PL_MODES,
};

static const char *const pl_names[PL_MODES] = {"rtc", "pinned", "microflow", "rte_reorder",
					       "event_sw ordered"};
static const char *const pl_reorder_names[PL_MODES] = {
	"-", "merge (FIFO)", "batch-ID merge", "rte_reorder", "event_sw scheduler+consumer"};

/* Stages timed per phase: dispatch, workers, order restoring, event_sw's scheduler. */
enum {
	ST_D = 0,
	ST_W,
	ST_R,
	ST_S,
	PL_ST
};

#define PL_MAX_PHASES ((1u << 18) / PL_PHASE)

/*
 * Cycles of each stage in each phase of each rep (rep 0 is the warm-up).
 * The report sums, over the phases, each phase's median over the reps: a
 * phase in which another process took the CPU in a minority of the reps
 * does not count.
 */
static uint64_t phc[PL_MODES][MAX_REPS + 1][PL_MAX_PHASES][PL_ST];

/* One run of one mode: cycles per packet by stage, and what came out. */
struct pl_res {
	double dispatch, worker, reorder, total;
	double sched; /* event_sw: the scheduler's part of reorder. */
	uint64_t delivered, ooo, unordered, drops;
	uint64_t promoted, demoted, split, batches, mice;
};

/* A simulated worker: its vx context, output list and counters. */
struct wk {
	struct vx_out out;     /* Output list; flushed to ring. */
	struct vx_out evout;   /* Output list of the eventdev run (no flush). */
	struct vx_worker *vw;  /* Requests to the table owner. */
	struct rte_ring *ring; /* Where the output goes (the sim's out ring). */
	struct vx_stats st;
};

static struct wk *wks[MAX_W];

/* The dispatcher and merger of one mode, with their rings; kept across reps. */
struct sim {
	struct rte_ring *in[MAX_W], *out[MAX_W];
	struct dp_mf_split *sp;
	struct dp_mf_merge *mg;
	struct dp_fl_table *fl;
	struct rte_reorder_buffer *rb;
	uint16_t n_w;
	uint32_t stamp;
	uint32_t seqn;
	uint16_t n_open;
	uint16_t open[DP_MF_MAX_SLOTS];
};

static struct sim sims[PL_MODES];

static void
wk_flush(struct vx_out *o)
{
	struct wk *k = o->ctx;

	for (uint16_t i = 0; i < o->n; i++)
		o->pkts[i]->port = o->port[i];
	if (o->n != 0 && rte_ring_sp_enqueue_burst(k->ring, (void **)o->pkts, o->n, NULL) != o->n)
		rte_panic("bench: worker output ring full\n");
	o->n = 0;
}

static int
sim_create(struct sim *s, const char *tag, unsigned int w_n, unsigned int batch, bool reorder)
{
	uint64_t hz = rte_get_tsc_hz();
	struct dp_fl_params fp = {
		.entries = 4096,
		.window = hz * PL_WINDOW_US / 1000000,
		.promote_pkts = PL_PROMOTE_PKTS,
		.demote_pkts = PL_DEMOTE_PKTS,
		.promote_windows = PL_PROMOTE_WINDOWS,
		.demote_windows = PL_DEMOTE_WINDOWS,
	};
	char name[32];

	memset(s, 0, sizeof(*s));
	s->n_w = (uint16_t)w_n;
	for (unsigned int w = 0; w < w_n; w++) {
		snprintf(name, sizeof(name), "%s_in%u", tag, w);
		s->in[w] = rte_ring_create(name, PL_RING, SOCKET_ID_ANY,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "%s_out%u", tag, w);
		s->out[w] = rte_ring_create(name, PL_RING, SOCKET_ID_ANY,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (s->in[w] == NULL || s->out[w] == NULL)
			return -ENOMEM;
	}
	s->sp = dp_mf_split_create(s->in, s->n_w, batch, DP_MF_PICK_RR);
	/* Timeout 0: lossless, the merger waits for every batch. */
	s->mg = dp_mf_merge_create(s->out, s->n_w, 0);
	s->fl = dp_fl_create(&fp);
	if (s->sp == NULL || s->mg == NULL || s->fl == NULL)
		return -ENOMEM;
	if (reorder) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pl.mp);
		struct rte_mbuf *back = NULL;

		s->rb = rte_reorder_create("pl_reorder", SOCKET_ID_ANY, 4 * PL_PHASE);
		if (s->rb == NULL || m == NULL)
			return -ENOMEM;
		/* Start the buffer's window at sequence number 0, then number from 1. */
		*rte_reorder_seqn(m) = 0;
		if (rte_reorder_insert(s->rb, m) != 0 || rte_reorder_drain(s->rb, &back, 1) != 1)
			return -EIO;
		rte_pktmbuf_free(back);
		s->seqn = 1;
	}
	return 0;
}

/* The dispatch lcore's work for a burst of underlay frames (dp_pipe_dispatch()). */
static inline void
sim_dispatch(struct sim *s, struct rte_mbuf **m, uint16_t n, uint64_t now, bool split, bool seqn)
{
	for (uint16_t i = 0; i < n; i++) {
		struct dp_fl_entry *e = NULL;
		struct dp_mf_tag *tag;
		uint32_t h;
		uint16_t w;

		if (unlikely(!dp_pipe_underlay_hash(m[i], &h)))
			rte_panic("bench: a workload frame is not UDP\n");
		m[i]->port = PL_PORT_UL;
		tag = dp_mf_tag(m[i]);
		tag->flow = h;
		tag->seq = ++s->stamp;
		if (seqn)
			*rte_reorder_seqn(m[i]) = s->seqn++;
		w = dp_pipe_pin(h, s->n_w);
		if (split) {
			enum dp_fl_event ev = dp_fl_account(s->fl, h, m[i]->pkt_len, now, &e);

			if (ev == DP_FL_PROMOTE) {
				int slot = dp_mf_split_promote(s->sp, w);

				e->slot = slot;
				if (slot >= 0)
					s->open[s->n_open++] = (uint16_t)slot;
			} else if (ev == DP_FL_DEMOTE && e->slot >= 0) {
				dp_mf_split_demote(s->sp, (uint16_t)e->slot, w);
				for (uint16_t k = 0; k < s->n_open; k++)
					if (s->open[k] == e->slot)
						s->open[k] = s->open[--s->n_open];
				e->slot = -1;
			}
			if (e != NULL && e->slot >= 0) {
				dp_mf_split_elephant(s->sp, (uint16_t)e->slot, m[i]);
				continue;
			}
		}
		dp_mf_split_mouse(s->sp, w, m[i]);
	}
	dp_mf_split_flush(s->sp);
}

/* A worker lcore's work on everything in its input ring (dp_worker_loop()). */
static void
sim_worker(struct sim *s, unsigned int w, uint64_t now)
{
	struct wk *k = wks[w];
	void *e[PL_W_BURST];
	unsigned int n;

	k->ring = s->out[w];
	while ((n = rte_ring_sc_dequeue_burst(s->in[w], e, PL_W_BURST, NULL)) != 0) {
		unsigned int i = 0;

		while (i < n) {
			unsigned int j = i;

			if (dp_mf_is_marker(e[i])) {
				/* Markers keep their place between the packets around them. */
				wk_flush(&k->out);
				if (rte_ring_sp_enqueue(k->ring, e[i]) != 0)
					rte_panic("bench: worker output ring full\n");
				i++;
				continue;
			}
			while (j < n && !dp_mf_is_marker(e[j]))
				j++;
			vx_underlay_input_w(pl.dp.vx, k->vw, (struct rte_mbuf **)&e[i],
					    (uint16_t)(j - i), now, &k->out, &k->st);
			i = j;
		}
		wk_flush(&k->out);
	}
}

/* The merge stage: deliver what can be delivered in order. */
static unsigned int
sim_merge(struct sim *s, struct rte_mbuf **out, unsigned int room)
{
	unsigned int n_out = 0;

	while (n_out < room) {
		uint16_t n = dp_mf_merge_poll(s->mg, out + n_out,
					      (uint16_t)RTE_MIN(room - n_out, 256u), 0);

		if (n == 0)
			break;
		n_out += n;
	}
	return n_out;
}

/* The rte_reorder stage: the workers' output, chunk by chunk, through the buffer. */
static unsigned int
sim_reorder(struct sim *s, struct rte_mbuf **out, unsigned int room, uint64_t *unordered)
{
	void *e[PL_W_BURST];
	unsigned int n_out = 0;

	for (bool more = true; more;) {
		more = false;
		for (unsigned int w = 0; w < s->n_w; w++) {
			unsigned int n = rte_ring_sc_dequeue_burst(s->out[w], e, PL_W_BURST, NULL);

			more |= n != 0;
			for (unsigned int k = 0; k < n; k++) {
				if (dp_mf_is_marker(e[k]))
					continue;
				if (rte_reorder_insert(s->rb, e[k]) != 0) {
					/* As packet_ordering does: send it on unordered. */
					out[n_out++] = e[k];
					(*unordered)++;
				}
			}
			n_out += rte_reorder_drain(s->rb, out + n_out, room - n_out);
		}
	}
	return n_out;
}

/* Apply the workers' requests to the owner (none once the FDB has learned every MAC). */
static void
sim_owner(unsigned int w_n, uint64_t now)
{
	for (unsigned int w = 0; w < w_n; w++)
		vx_worker_drain(pl.dp.vx, wks[w]->vw, UINT_MAX, now, &pl.oout, &pl.ost);
	for (uint16_t i = 0; i < pl.oout.n; i++)
		rte_pktmbuf_free(pl.oout.pkts[i]);
	pl.oout.n = 0;
}

static uint64_t
wk_drops(unsigned int w_n)
{
	uint64_t n = drops_of(&pl.ost);

	for (unsigned int w = 0; w < w_n; w++)
		n += drops_of(&wks[w]->st);
	return n;
}

/* (a) rtc: the owner's vx_underlay_input() over the whole workload. */
static void
pl_run_rtc(struct pl_res *r, uint64_t (*ph)[PL_ST])
{
	struct order ord;
	uint64_t cycles = 0, drops = drops_of(&pl.ost);
	uint32_t nd = 0;

	memset(r, 0, sizeof(*r));
	order_reset(&ord);
	pl_reset();
	for (uint32_t i = 0; i < pl.n;) {
		uint32_t end = RTE_MIN(i + PL_PHASE, pl.n), first = nd;
		uint64_t t = rte_rdtsc_precise();

		for (; i < end; i += PL_BURST) {
			uint16_t nb = (uint16_t)RTE_MIN((uint32_t)PL_BURST, end - i);

			vx_underlay_input(pl.dp.vx, &pl.m[i], nb, rte_rdtsc(), &pl.oout, &pl.ost);
			if (unlikely(nd + pl.oout.n > pl.n))
				rte_panic("bench: rtc delivered more than it was given\n");
			memcpy(pl.out + nd, pl.oout.pkts, sizeof(pl.out[0]) * pl.oout.n);
			nd += pl.oout.n;
			pl.oout.n = 0;
		}
		t = rte_rdtsc_precise() - t;
		cycles += t;
		ph[(i - 1) / PL_PHASE][ST_W] = t;
		for (uint32_t k = first; k < nd; k++)
			order_check_vx(&ord, pl.out[k]);
	}
	r->worker = (double)cycles / pl.n;
	r->total = r->worker;
	r->delivered = ord.seen;
	r->ooo = ord.ooo;
	r->drops = drops_of(&pl.ost) - drops;
}

/* (b), (c), (d): dispatch, workers, then merge or rte_reorder, phase by phase. */
static void
pl_run_sim(enum pl_mode mode, struct pl_res *r, uint64_t (*ph)[PL_ST])
{
	struct sim *s = &sims[mode];
	const bool split = mode != PL_PINNED, reorder = mode == PL_REORDER;
	const struct dp_mf_split_stats *ss = dp_mf_split_stats(s->sp);
	const struct dp_fl_stats *fs = dp_fl_stats(s->fl);
	struct dp_mf_split_stats ss0 = *ss;
	struct dp_fl_stats fs0 = *fs;
	uint64_t dc = 0, wc = 0, rc = 0, drops = wk_drops(s->n_w);
	struct order ord;
	uint32_t nd = 0;

	memset(r, 0, sizeof(*r));
	order_reset(&ord);
	pl_reset();
	for (uint32_t i = 0; i < pl.n;) {
		uint32_t end = RTE_MIN(i + PL_PHASE, pl.n), first = nd;
		uint64_t t = rte_rdtsc_precise(), now, t_r;
		uint64_t *phase = ph[i / PL_PHASE];

		for (; i < end; i += PL_BURST)
			sim_dispatch(s, &pl.m[i], (uint16_t)RTE_MIN((uint32_t)PL_BURST, end - i),
				     rte_rdtsc(), split, reorder);
		if (i >= pl.n) {
			/* The elephant pauses: close its batch, as dp_pipe_tick() does. */
			for (uint16_t k = 0; k < s->n_open; k++)
				dp_mf_split_close(s->sp, s->open[k]);
			dp_mf_split_flush(s->sp);
		}
		now = rte_rdtsc_precise();
		phase[ST_D] = now - t;
		dc += now - t;
		for (unsigned int w = 0; w < s->n_w; w++)
			sim_worker(s, w, now);
		t = rte_rdtsc_precise();
		phase[ST_W] = t - now;
		wc += t - now;
		sim_owner(s->n_w, t);
		t = rte_rdtsc_precise();
		if (reorder)
			nd += sim_reorder(s, pl.out + nd, pl.n - nd, &r->unordered);
		else
			nd += sim_merge(s, pl.out + nd, pl.n - nd);
		t_r = rte_rdtsc_precise() - t;
		phase[ST_R] = t_r;
		rc += t_r;
		for (uint32_t k = first; k < nd; k++)
			order_check_vx(&ord, pl.out[k]);
	}
	r->dispatch = (double)dc / pl.n;
	r->worker = (double)wc / pl.n;
	r->reorder = (double)rc / pl.n;
	r->total = r->dispatch + r->worker + r->reorder;
	r->delivered = ord.seen;
	r->ooo = ord.ooo;
	r->drops = wk_drops(s->n_w) - drops;
	r->promoted = fs->promoted - fs0.promoted;
	r->demoted = fs->demoted - fs0.demoted;
	r->split = ss->split - ss0.split;
	r->batches = ss->batches - ss0.batches;
	r->mice = ss->mice - ss0.mice;
}

/* (e) event_sw: producer, scheduler, worker ports running the VxLAN stage, consumer. */
static void
pl_run_evd(struct pl_res *r, uint64_t (*ph)[PL_ST])
{
	const uint8_t prod = (uint8_t)evdev_w, cons = (uint8_t)(evdev_w + 1);
	struct rte_event ev[CHUNK];
	struct rte_mbuf *mb[CHUNK];
	uint64_t dc = 0, wc = 0, sc = 0, cc = 0, drops = wk_drops(evdev_w);
	uint64_t deadline = rte_get_tsc_hz() * 30 + rte_rdtsc();
	struct order ord;
	uint32_t nd = 0, i = 0;

	memset(r, 0, sizeof(*r));
	order_reset(&ord);
	pl_reset();
	while (nd < pl.n && rte_rdtsc() < deadline) {
		uint32_t end = RTE_MIN(i + PL_PHASE, pl.n), first = nd;
		uint64_t *phase = ph[i / PL_PHASE];
		const uint64_t d0 = dc, w0 = wc, s0 = sc, c0 = cc;

		while (nd < end && rte_rdtsc() < deadline) {
			uint64_t t = rte_rdtsc_precise(), t2;

			if (i < end) {
				uint16_t n = (uint16_t)RTE_MIN((uint32_t)CHUNK, end - i);

				for (uint16_t k = 0; k < n; k++) {
					uint32_t h;

					if (unlikely(!dp_pipe_underlay_hash(pl.m[i + k], &h)))
						rte_panic("bench: a workload frame is not UDP\n");
					pl.m[i + k]->port = PL_PORT_UL;
					evd_new(&ev[k], h, pl.m[i + k]);
				}
				i += rte_event_enqueue_burst(evdev, prod, ev, n);
			}
			t2 = rte_rdtsc_precise();
			dc += t2 - t;
			rte_service_run_iter_on_app_lcore(evdev_sid, 0);
			t = rte_rdtsc_precise();
			sc += t - t2;
			for (uint8_t p = 0; p < evdev_w; p++) {
				struct wk *k = wks[p];
				uint16_t n = rte_event_dequeue_burst(evdev, p, ev, CHUNK, 0), j;

				if (n == 0)
					continue;
				for (j = 0; j < n; j++)
					mb[j] = ev[j].mbuf;
				vx_underlay_input_w(pl.dp.vx, k->vw, mb, n, t, &k->evout, &k->st);
				/* The stage keeps the burst's order; what it dropped is released.
				 */
				for (j = 0; j < n; j++) {
					if (j < k->evout.n) {
						ev[j].mbuf = k->evout.pkts[j];
						evd_forward(&ev[j]);
					} else {
						ev[j].op = RTE_EVENT_OP_RELEASE;
					}
				}
				k->evout.n = 0;
				if (rte_event_enqueue_burst(evdev, p, ev, n) != n)
					rte_panic("bench: eventdev forward refused\n");
			}
			t2 = rte_rdtsc_precise();
			wc += t2 - t;
			rte_service_run_iter_on_app_lcore(evdev_sid, 0);
			t = rte_rdtsc_precise();
			sc += t - t2;
			for (;;) {
				uint16_t n = rte_event_dequeue_burst(evdev, cons, ev, CHUNK, 0);

				for (uint16_t j = 0; j < n && nd < pl.n; j++)
					pl.out[nd++] = ev[j].mbuf;
				if (n < CHUNK)
					break;
			}
			cc += rte_rdtsc_precise() - t;
		}
		phase[ST_D] = dc - d0;
		phase[ST_W] = wc - w0;
		phase[ST_R] = sc - s0 + cc - c0;
		phase[ST_S] = sc - s0;
		sim_owner(evdev_w, rte_rdtsc());
		for (uint32_t k = first; k < nd; k++)
			order_check_vx(&ord, pl.out[k]);
	}
	r->dispatch = (double)dc / pl.n;
	r->worker = (double)wc / pl.n;
	r->sched = (double)sc / pl.n;
	r->reorder = (double)(sc + cc) / pl.n;
	r->total = r->dispatch + r->worker + r->reorder;
	r->delivered = ord.seen;
	r->ooo = ord.ooo;
	r->drops = wk_drops(evdev_w) - drops;
}

/* Sum over the phases of each phase's median over the reps, per packet. */
static double
pl_stage(unsigned int mode, unsigned int st, unsigned int reps)
{
	double v[MAX_REPS], sum = 0;

	for (unsigned int p = 0; p < (pl.n + PL_PHASE - 1) / PL_PHASE; p++) {
		for (unsigned int k = 0; k < reps; k++)
			v[k] = (double)phc[mode][k + 1][p][st];
		sum += median(v, reps);
	}
	return sum / pl.n;
}

/* The figures of one mode over the reps. */
static void
pl_median(unsigned int mode, struct pl_res *res, unsigned int reps, struct pl_res *m)
{
	m->dispatch = pl_stage(mode, ST_D, reps);
	m->worker = pl_stage(mode, ST_W, reps);
	m->reorder = pl_stage(mode, ST_R, reps);
	m->sched = pl_stage(mode, ST_S, reps);
	m->total = m->dispatch + m->worker + m->reorder;
	/* Counts: the worst rep. */
	for (unsigned int k = 0; k < reps; k++) {
		m->ooo = RTE_MAX(m->ooo, res[k].ooo);
		m->drops = RTE_MAX(m->drops, res[k].drops);
		m->unordered = RTE_MAX(m->unordered, res[k].unordered);
	}
	m->delivered = res[0].delivered;
	for (unsigned int k = 0; k < reps; k++)
		m->delivered = RTE_MIN(m->delivered, res[k].delivered);
	m->promoted = res[reps - 1].promoted;
	m->demoted = res[reps - 1].demoted;
	m->split = res[reps - 1].split;
	m->batches = res[reps - 1].batches;
	m->mice = res[reps - 1].mice;
}

/* The elephant's projected throughput with @p n workers, Mpps. */
static double
pl_project(enum pl_mode mode, const struct pl_res *m, unsigned int n)
{
	double hz = (double)rte_get_tsc_hz(), c;

	switch (mode) {
	case PL_RTC:
		c = m->total;
		break;
	case PL_PINNED:
		/* The elephant stays on one worker. */
		c = RTE_MAX(m->dispatch + m->reorder, m->worker);
		break;
	default:
		c = RTE_MAX(m->dispatch + m->reorder, m->worker / n);
		break;
	}
	return c > 0 ? hz / c / 1e6 : 0;
}

static json_t *
jreal_or_null(bool have, double v)
{
	return have ? json_real(v) : json_null();
}

/*
 * Section 1: every mode once per rep, interleaved, after a warm-up rep
 * (which also lets the owner learn every MAC). @return true if every mode
 * delivered every frame and the batch-ID merge kept the order.
 */
static bool
pl_section(const struct opts *o, json_t *root, struct pl_res *med)
{
	static const unsigned int proj_n[] = {1, 2, 4, 8};
	static struct pl_res res[PL_MODES][MAX_REPS];
	const double hz = (double)rte_get_tsc_hz();
	json_t *sec = json_object(), *modes = json_array(), *proj = json_object(),
	       *rows = json_array();
	bool ok = true;

	for (unsigned int w = 0; w < o->workers; w++) {
		wks[w] = rte_zmalloc("bench_wk", sizeof(*wks[w]), RTE_CACHE_LINE_SIZE);
		if (wks[w] == NULL)
			rte_panic("bench: no memory\n");
		wks[w]->vw = vx_worker_create(pl.dp.vx, 4096, SOCKET_ID_ANY);
		if (wks[w]->vw == NULL)
			rte_panic("bench: cannot create a vx worker\n");
		wks[w]->out.flush = wk_flush;
		wks[w]->out.ctx = wks[w];
	}
	if (sim_create(&sims[PL_PINNED], "plp", o->workers, o->batch, false) < 0 ||
	    sim_create(&sims[PL_MICROFLOW], "plm", o->workers, o->batch, false) < 0 ||
	    sim_create(&sims[PL_REORDER], "plr", o->workers, o->batch, true) < 0)
		rte_panic("bench: cannot set up the simulated pipeline\n");

	for (unsigned int rep = 0; rep <= o->reps; rep++) {
		/* Rep 0 warms up and is not kept. */
		struct pl_res *slot[PL_MODES], scratch[PL_MODES];

		for (unsigned int m = 0; m < PL_MODES; m++)
			slot[m] = rep == 0 ? &scratch[m] : &res[m][rep - 1];
		pl_run_rtc(slot[PL_RTC], phc[PL_RTC][rep]);
		pl_run_sim(PL_PINNED, slot[PL_PINNED], phc[PL_PINNED][rep]);
		pl_run_sim(PL_MICROFLOW, slot[PL_MICROFLOW], phc[PL_MICROFLOW][rep]);
		pl_run_sim(PL_REORDER, slot[PL_REORDER], phc[PL_REORDER][rep]);
		if (evdev_ok)
			pl_run_evd(slot[PL_EVENTDEV], phc[PL_EVENTDEV][rep]);
		for (unsigned int m = 0; m < PL_MODES; m++)
			if ((m != PL_EVENTDEV || evdev_ok) &&
			    (slot[m]->delivered != pl.n || slot[m]->drops != 0)) {
				fprintf(stderr,
					"mflow-reorder-bench: %s delivered %" PRIu64
					" of %u frames (%" PRIu64 " drops)\n",
					pl_names[m], slot[m]->delivered, pl.n, slot[m]->drops);
				ok = false;
			}
		if (!ok)
			break;
	}

	fprintf(stderr,
		"\n[1] VxLAN pipeline in memory, stage by stage on one core (MEASURED)\n"
		"    %u real VxLAN frames (decap, underlay -> endpoint): one elephant carrying "
		"80%%, "
		"%u mice;\n"
		"    %u simulated workers, batch %u, phases of %u packets; median of %u reps; "
		"cycles/packet over all packets\n",
		pl.n, MICE, o->workers, o->batch, PL_PHASE, o->reps);
	fprintf(stderr, "%-17s %9s %9s %14s %9s %13s %5s  %s\n", "mode", "dispatch", "worker",
		"reorder/merge", "total", "Mpps (1 core)", "ooo", "order stage");
	for (unsigned int m = 0; m < PL_MODES; m++) {
		struct pl_res *r = &med[m];
		json_t *j;
		bool staged = m != PL_RTC;

		if (m == PL_EVENTDEV && !evdev_ok)
			continue;
		memset(r, 0, sizeof(*r));
		if (ok)
			pl_median(m, res[m], o->reps, r);
		if (staged)
			fprintf(stderr, "%-17s %9.1f %9.1f %14.1f %9.1f %13.2f %5" PRIu64 "  %s\n",
				pl_names[m], r->dispatch, r->worker, r->reorder, r->total,
				hz / r->total / 1e6, r->ooo, pl_reorder_names[m]);
		else
			fprintf(stderr, "%-17s %9s %9.1f %14s %9.1f %13.2f %5" PRIu64 "  %s\n",
				pl_names[m], "-", r->worker, "-", r->total, hz / r->total / 1e6,
				r->ooo, "(none: one core does everything)");
		j = json_object();
		json_object_set_new(j, "mode", json_string(pl_names[m]));
		json_object_set_new(j, "kind", json_string("measured"));
		json_object_set_new(j, "order_stage", json_string(pl_reorder_names[m]));
		json_object_set_new(j, "dispatch_cycles_per_pkt",
				    jreal_or_null(staged, r->dispatch));
		json_object_set_new(j, "worker_cycles_per_pkt", json_real(r->worker));
		json_object_set_new(j, "reorder_cycles_per_pkt", jreal_or_null(staged, r->reorder));
		if (m == PL_EVENTDEV)
			json_object_set_new(j, "scheduler_cycles_per_pkt", json_real(r->sched));
		json_object_set_new(j, "total_cycles_per_pkt", json_real(r->total));
		json_object_set_new(j, "mpps_one_core", json_real(hz / r->total / 1e6));
		json_object_set_new(j, "delivered", json_integer((json_int_t)r->delivered));
		json_object_set_new(j, "drops", json_integer((json_int_t)r->drops));
		json_object_set_new(j, "out_of_order", json_integer((json_int_t)r->ooo));
		if (m == PL_REORDER)
			json_object_set_new(j, "unordered_by_reorder_buffer",
					    json_integer((json_int_t)r->unordered));
		if (m == PL_MICROFLOW || m == PL_REORDER) {
			json_object_set_new(j, "promoted", json_integer((json_int_t)r->promoted));
			json_object_set_new(j, "demoted", json_integer((json_int_t)r->demoted));
			json_object_set_new(j, "split", json_integer((json_int_t)r->split));
			json_object_set_new(j, "batches", json_integer((json_int_t)r->batches));
			json_object_set_new(j, "mice", json_integer((json_int_t)r->mice));
		}
		json_array_append_new(modes, j);
	}
	fprintf(stderr,
		"    microflow (last rep): elephant promoted %" PRIu64 "x, %" PRIu64
		" packets split in %" PRIu64 " batches, %" PRIu64 " sent pinned\n",
		med[PL_MICROFLOW].promoted, med[PL_MICROFLOW].split, med[PL_MICROFLOW].batches,
		med[PL_MICROFLOW].mice);
	json_object_set_new(sec, "kind", json_string("measured"));
	json_object_set_new(sec, "what",
			    json_string("real VxLAN decap stages run serially on one core, each "
					"timed separately; cycles per packet over all packets"));
	json_object_set_new(sec, "frames", json_integer(pl.n));
	json_object_set_new(sec, "frame_len", json_integer(pl.len));
	json_object_set_new(sec, "sim_workers", json_integer(o->workers));
	json_object_set_new(sec, "batch", json_integer(o->batch));
	json_object_set_new(sec, "phase", json_integer(PL_PHASE));
	json_object_set_new(sec, "reps", json_integer(o->reps));
	json_object_set_new(sec, "modes", modes);
	json_object_set_new(root, "pipeline", sec);

	fprintf(stderr,
		"\n[1p] Elephant throughput with N workers, Mpps (PROJECTED from [1], not "
		"measured)\n"
		"    microflow, rte_reorder, event_sw: hz / max(dispatch + reorder, worker / N);\n"
		"    pinned: hz / max(dispatch + merge, worker) (the elephant stays on one worker);"
		" rtc: hz / total\n");
	fprintf(stderr, "%-17s", "mode");
	for (unsigned int k = 0; k < RTE_DIM(proj_n); k++)
		fprintf(stderr, " %8s%-2u", "N=", proj_n[k]);
	fprintf(stderr, "\n");
	for (unsigned int m = 0; m < PL_MODES; m++) {
		json_t *row = json_object(), *v = json_object();

		if (m == PL_EVENTDEV && !evdev_ok)
			continue;
		fprintf(stderr, "%-17s", pl_names[m]);
		for (unsigned int k = 0; k < RTE_DIM(proj_n); k++) {
			char key[8];
			double mpps = pl_project(m, &med[m], proj_n[k]);

			fprintf(stderr, " %10.2f", mpps);
			snprintf(key, sizeof(key), "%u", proj_n[k]);
			json_object_set_new(v, key, json_real(mpps));
		}
		fprintf(stderr, "\n");
		json_object_set_new(row, "mode", json_string(pl_names[m]));
		json_object_set_new(row, "kind", json_string("projected"));
		json_object_set_new(row, "elephant_mpps_by_workers", v);
		json_array_append_new(rows, row);
	}
	json_object_set_new(proj, "kind", json_string("projected"));
	json_object_set_new(proj, "from", json_string("pipeline (measured per-stage cycles)"));
	json_object_set_new(proj, "formula",
			    json_string("microflow, rte_reorder, event_sw: hz / max(dispatch + "
					"reorder, worker / N); pinned: hz / max(dispatch + merge, "
					"worker); rtc: hz / total"));
	json_object_set_new(proj, "rows", rows);
	json_object_set_new(root, "projection", proj);
	return ok && med[PL_MICROFLOW].ooo == 0;
}

/* ------------------------------------------------------------------------- */
/* Section 3: the real pipeline on two lcores.                               */

/* The counters of the pipeline that section 3 reports. */
struct lc_counts {
	json_int_t promoted, split, batches, merged, merge_ooo, tx, drops;
};

static json_int_t
jget(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_integer_value(v);
}

static void
lc_counts(struct lc_counts *c)
{
	json_t *root = dp_stats_json(&pl.dp), *mf, *drops, *v;
	const char *k;

	memset(c, 0, sizeof(*c));
	if (root == NULL)
		return;
	mf = json_object_get(root, "mflow");
	c->promoted = jget(mf, "flows", "promoted");
	c->split = jget(mf, "split", "split");
	c->batches = jget(mf, "split", "batches");
	c->merged = jget(mf, "merge", "merged");
	c->merge_ooo = jget(mf, "merge", "ooo");
	c->tx = jget(root, "stats", "tx_pkts");
	drops = json_object_get(root, "drops");
	json_object_foreach (drops, k, v)
		c->drops += json_integer_value(v);
	json_decref(root);
}

struct lc_res {
	double mpps[LC_MAX_REPS];
	uint64_t ooo, merge_ooo, delivered, promoted, split, batches, merged;
	uint32_t last_us; /* How long the previous run took. */
	bool lost;
};

/*
 * Wait until the endpoint TX ring holds every frame, without taking the
 * datapath lcores' CPUs: sleep through the first half of the run (judging
 * by the previous one), then look every 20 us. The end is extrapolated from
 * the last two looks before the ring was full, at the rate between them, so
 * that the length of a sleep does not count.
 *
 * @return
 *   The end, or 0 when the first look already found the ring full (the
 *   sleep was too long: the caller runs again without it).
 */
static uint64_t
lc_wait(uint64_t t0, uint64_t sleep_us, uint64_t deadline)
{
	uint64_t tp = t0, tpp = t0, t;
	unsigned int cp = 0, cpp = 0, c;

	if (sleep_us != 0)
		rte_delay_us_sleep((unsigned int)sleep_us);
	for (;;) {
		c = rte_ring_count(pl.ep.tx);
		t = rte_rdtsc();
		if (c >= pl.n || t > deadline)
			break;
		tpp = tp;
		cpp = cp;
		tp = t;
		cp = c;
		rte_delay_us_sleep(20);
	}
	if (c < pl.n)
		return t;
	if (tp == t0)
		return sleep_us != 0 ? 0 : t;
	if (cp > cpp) {
		uint64_t end = tp + (uint64_t)((double)(tp - tpp) * (pl.n - cp) / (cp - cpp));

		return RTE_MIN(end, t);
	}
	return t;
}

/* One run: fill the RX ring at once, wait until the endpoint TX ring holds it all. */
static void
lc_run(uint8_t mode, unsigned int batch, struct lc_res *r, unsigned int rep)
{
	struct dp_mf_conf c = pl_conf(mode, batch);
	struct lc_counts a, b;
	struct order ord;
	uint64_t t0, t1 = 0, hz = rte_get_tsc_hz();
	unsigned int got = 0;
	int rc = dp_mf_reconfigure(&pl.dp, &c, 5000);

	if (rc < 0) {
		fprintf(stderr, "mflow-reorder-bench: cannot switch to %s: %s\n",
			dp_mode_name(mode), strerror(-rc));
		r->lost = true;
		return;
	}
	lc_counts(&a);
	for (unsigned int attempt = 0; t1 == 0 && attempt < 2; attempt++) {
		uint64_t sleep_us = attempt == 0 ? r->last_us / 2 : 0;

		if (attempt != 0 &&
		    rte_ring_sc_dequeue_burst(pl.ep.tx, (void **)pl.out, pl.n, NULL) != pl.n)
			rte_panic("bench: frames went missing between attempts\n");
		pl_reset();
		t0 = rte_rdtsc();
		if (rte_ring_sp_enqueue_burst(pl.ul.rx, (void **)pl.m, pl.n, NULL) != pl.n)
			rte_panic("bench: the underlay RX ring is too small\n");
		t1 = lc_wait(t0, sleep_us, t0 + hz * LC_TIMEOUT_S);
		if (t1 != 0)
			r->last_us = (uint32_t)((t1 - t0) * 1000000 / hz);
	}
	if (rte_ring_count(pl.ep.tx) < pl.n) {
		/* Give the stragglers a moment before counting them lost. */
		rte_delay_us_sleep(100000);
	}
	got = rte_ring_sc_dequeue_burst(pl.ep.tx, (void **)pl.out, pl.n, NULL);
	order_reset(&ord);
	for (unsigned int k = 0; k < got; k++)
		order_check_vx(&ord, pl.out[k]);
	lc_counts(&b);
	if (got != pl.n) {
		fprintf(stderr,
			"mflow-reorder-bench: two-lcore %s delivered %u of %u frames (%lld "
			"drops)\n",
			dp_mode_name(mode), got, pl.n, (long long)(b.drops - a.drops));
		r->lost = true;
	}
	if (rep > 0) {
		r->mpps[rep - 1] = (double)pl.n * (double)hz / (double)(t1 - t0) / 1e6;
		r->ooo = RTE_MAX(r->ooo, ord.ooo);
		r->merge_ooo += (uint64_t)(b.merge_ooo - a.merge_ooo);
		r->delivered = got;
		/* A change starts a new detector: its count is this run's. */
		r->promoted = (uint64_t)b.promoted;
		r->split = (uint64_t)(b.split - a.split);
		r->batches = (uint64_t)(b.batches - a.batches);
		r->merged = (uint64_t)(b.merged - a.merged);
	}
}

static bool
lc_section(const struct opts *o, json_t *root)
{
	static const uint8_t modes[] = {DP_MODE_RTC, DP_MODE_PINNED, DP_MODE_MICROFLOW};
	static struct lc_res res[RTE_DIM(modes)];
	json_t *sec = json_object(), *arr = json_array();
	const unsigned int lc_reps = LC_REP_FACTOR * o->reps;
	bool ok = true;
	int rc;

	json_object_set_new(sec, "kind", json_string("measured"));
	json_object_set_new(root, "two_lcore", sec);
	if (o->no_lcores || !pl.lcores_ok) {
		const char *why = o->no_lcores ? "--no-lcores" : "fewer than 2 CPUs";

		fprintf(stderr, "\n[3] two-lcore pipeline skipped: %s\n", why);
		json_object_set_new(sec, "skipped", json_string(why));
		json_decref(arr);
		return true;
	}
	rc = dp_pipe_create(&pl.dp);
	if (rc == 0)
		rc = dp_ports_start(&pl.dp);
	if (rc == 0)
		rc = dp_launch(&pl.dp);
	if (rc < 0) {
		fprintf(stderr, "mflow-reorder-bench: cannot start the pipeline: %s\n",
			strerror(-rc));
		json_object_set_new(sec, "error", json_string(strerror(-rc)));
		json_decref(arr);
		return false;
	}
	/* Rep 0 warms up; modes interleave so that noise spreads over all of them. */
	for (unsigned int rep = 0; rep <= lc_reps && ok; rep++)
		for (unsigned int m = 0; m < RTE_DIM(modes) && ok; m++) {
			lc_run(modes[m], o->batch, &res[m], rep);
			ok = !res[m].lost;
		}
	{
		/* The datapath's own counters after the last run, for the record. */
		json_t *st = dp_stats_json(&pl.dp);

		if (st != NULL) {
			json_object_set(sec, "stats", json_object_get(st, "stats"));
			json_object_set(sec, "drops", json_object_get(st, "drops"));
			json_object_set(sec, "mflow", json_object_get(st, "mflow"));
			json_object_set(sec, "lcore_stats", json_object_get(st, "lcores"));
			json_decref(st);
		}
	}
	__atomic_store_n(&pl.dp.quit, true, __ATOMIC_RELEASE);
	dp_wait(&pl.dp);
	dp_pipe_destroy(&pl.dp);
	dp_ports_close(&pl.dp);

	fprintf(stderr,
		"\n[3] Real pipeline on two lcores (MEASURED): dp_launch(), dispatch+merge lcore 1 "
		"and worker lcore 2\n"
		"    (lcore@cpu %s), net_ring ports, %u frames put on the underlay RX ring at "
		"once, "
		"timed until all\n"
		"    are on the endpoint TX ring; batch %u; median of %u reps\n",
		pl.lc_cpus, pl.n, o->batch, lc_reps);
	fprintf(stderr, "%-10s %8s %8s %8s %6s %10s %9s %9s %8s\n", "mode", "Mpps", "min", "best",
		"ooo", "merge.ooo", "promoted", "split", "batches");
	for (unsigned int m = 0; m < RTE_DIM(modes); m++) {
		struct lc_res *r = &res[m];
		json_t *j = json_object(), *reps = json_array();
		double v[LC_MAX_REPS], med, lo = 0, hi = 0;
		unsigned int n = ok ? lc_reps : 0;

		for (unsigned int k = 0; k < n; k++) {
			v[k] = r->mpps[k];
			json_array_append_new(reps, json_real(r->mpps[k]));
		}
		med = median(v, n);
		if (n != 0) {
			lo = v[0];
			hi = v[n - 1];
		}
		fprintf(stderr,
			"%-10s %8.2f %8.2f %8.2f %6" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64
			" %8" PRIu64 "\n",
			dp_mode_name(modes[m]), med, lo, hi, r->ooo, r->merge_ooo, r->promoted,
			r->split, r->batches);
		json_object_set_new(j, "mode", json_string(dp_mode_name(modes[m])));
		json_object_set_new(j, "kind", json_string("measured"));
		json_object_set_new(j, "mpps", json_real(med));
		json_object_set_new(j, "mpps_best", json_real(hi));
		json_object_set_new(j, "mpps_reps", reps);
		json_object_set_new(j, "delivered", json_integer((json_int_t)r->delivered));
		json_object_set_new(j, "out_of_order", json_integer((json_int_t)r->ooo));
		json_object_set_new(j, "merge_ooo", json_integer((json_int_t)r->merge_ooo));
		json_object_set_new(j, "promoted", json_integer((json_int_t)r->promoted));
		json_object_set_new(j, "split", json_integer((json_int_t)r->split));
		json_object_set_new(j, "batches", json_integer((json_int_t)r->batches));
		json_object_set_new(j, "merged", json_integer((json_int_t)r->merged));
		json_array_append_new(arr, j);
		ok = ok && r->ooo == 0 && r->merge_ooo == 0;
	}
	fprintf(stderr, "    promoted, split, batches: counters of the last rep (mflow.flows, "
			"mflow.split)\n");
	json_object_set_new(
		sec, "what",
		json_string("mflowd's pipeline (dp_launch) over net_ring ports; Mpps "
			    "from filling the underlay RX ring to the last frame on the "
			    "endpoint TX ring"));
	json_object_set_new(sec, "lcores", json_string(pl.lc_cpus));
	json_object_set_new(sec, "frames", json_integer(pl.n));
	json_object_set_new(sec, "batch", json_integer(o->batch));
	json_object_set_new(sec, "workers", json_integer(1));
	json_object_set_new(sec, "reps", json_integer(lc_reps));
	json_object_set_new(sec, "elephant",
			    json_pack("{s:i, s:i, s:i, s:i, s:i}", "window_us", PL_WINDOW_US,
				      "promote_pkts", PL_PROMOTE_PKTS, "demote_pkts",
				      PL_DEMOTE_PKTS, "promote_windows", PL_PROMOTE_WINDOWS,
				      "demote_windows", PL_DEMOTE_WINDOWS));
	json_object_set_new(sec, "modes", arr);
	return ok;
}
/* ------------------------------------------------------------------------- */
/* Report and main.                                                          */

static json_t *
result_json(const struct result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "mode", json_string(r->name));
	json_object_set_new(o, "kind", json_string("measured"));
	json_object_set_new(o, "batch", json_integer(r->batch));
	json_object_set_new(o, "reorder_cycles_per_pkt", json_real(r->reorder_cycles));
	json_object_set_new(o, "reorder_mpps",
			    json_real(r->reorder_cycles > 0
					      ? (double)rte_get_tsc_hz() / r->reorder_cycles / 1e6
					      : 0));
	if (r->total_cycles > 0)
		json_object_set_new(o, "pipeline_cycles_per_pkt", json_real(r->total_cycles));
	json_object_set_new(o, "delivered", json_integer((json_int_t)r->delivered));
	json_object_set_new(o, "out_of_order", json_integer((json_int_t)r->ooo));
	json_object_set_new(o, "out_of_order_without_reassembly",
			    json_integer((json_int_t)r->ooo_unmerged));
	json_object_set_new(o, "unordered_by_reorder_buffer",
			    json_integer((json_int_t)r->unordered));
	return o;
}

/* Fold the reps of one section 2 mode: medians of the cycles, worst counts. */
static void
result_median(struct result *rs, unsigned int reps, struct result *m)
{
	double a[MAX_REPS], b[MAX_REPS];

	*m = rs[0];
	for (unsigned int k = 0; k < reps; k++) {
		a[k] = rs[k].reorder_cycles;
		b[k] = rs[k].total_cycles;
		m->ooo = RTE_MAX(m->ooo, rs[k].ooo);
		m->unordered = RTE_MAX(m->unordered, rs[k].unordered);
		m->delivered = RTE_MIN(m->delivered, rs[k].delivered);
	}
	m->reorder_cycles = median(a, reps);
	m->total_cycles = median(b, reps);
}

static json_t *
target_json(const char *what, double value, const char *goal, bool met, const char *from)
{
	return json_pack("{s:s, s:f, s:s, s:b, s:s, s:s}", "target", what, "value", value, "goal",
			 goal, "met", met, "from", from, "kind", "measured");
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: mflow-reorder-bench [--quick] [--pkts N] [--frames N] [--workers N]\n"
		"                           [--batch N] [--reps N] [--no-lcores] [--huge]\n"
		"                           [--json FILE]\n"
		"  --quick      short run (well under a minute): fewer packets and reps\n"
		"  --pkts N     packets of the reorder-stage comparison (default 1048576)\n"
		"  --frames N   VxLAN frames of the pipeline sections (default %u)\n"
		"  --workers N  simulated workers in the one-core sections (default 2)\n"
		"  --batch N    micro-batch size (default 256)\n"
		"  --reps N     repetitions of each measurement, median reported (default 7)\n"
		"  --no-lcores  skip the two-lcore pipeline section\n"
		"  --huge       use hugepages (EAL --in-memory) instead of --no-huge -m 1536\n"
		"  --json FILE  write the JSON report to FILE instead of stdout\n",
		PL_FULL_PKTS);
}

/* The EAL lcore map: lcore 0 (main) and the two datapath lcores 1 and 2. */
static const char *
lcore_map(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set) &&
	    CPU_ISSET(1, &set)) {
		/*
		 * Dispatch+merge on CPU 0, the worker on CPU 1. The main lcore
		 * runs the one-core sections on CPU 1 while the datapath lcores
		 * are not launched, and only sleeps and polls during section 3.
		 */
		pl.lcores_ok = true;
		pl.lc_cpus = "0@1,1@0,2@1";
		return "--lcores=0@1,1@0,2@1";
	}
	pl.lc_cpus = "0@0,1@0,2@0";
	return "--lcores=0@0,1@0,2@0";
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"quick", no_argument, NULL, 'q'},
		{"pkts", required_argument, NULL, 'n'},
		{"frames", required_argument, NULL, 'f'},
		{"workers", required_argument, NULL, 'w'},
		{"batch", required_argument, NULL, 'b'},
		{"reps", required_argument, NULL, 'r'},
		{"no-lcores", no_argument, NULL, 'L'},
		{"huge", no_argument, NULL, 'H'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const unsigned int sweep[] = {16, 32, 64, 128, 256, 512, 1024};
	static struct result reps[3][MAX_REPS];
	struct opts o = {
		.pkts = 1u << 20, .frames = PL_FULL_PKTS, .workers = 2, .batch = 256, .reps = 7};
	char *eal[] = {argv[0],
		       "--no-huge",
		       "-m",
		       "1536",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--vdev=event_sw0",
		       (char *)lcore_map(),
		       "--log-level=*:error",
		       NULL};
	struct result rs[3];
	struct pl_res pmed[PL_MODES];
	json_t *root, *modes, *sw, *targets;
	unsigned int nr = 0;
	bool bad = false, pkts_set = false, frames_set = false, reps_set = false;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.quick = true;
			break;
		case 'n':
			o.pkts = (unsigned int)strtoul(optarg, NULL, 0);
			pkts_set = true;
			break;
		case 'f':
			o.frames = (unsigned int)strtoul(optarg, NULL, 0);
			frames_set = true;
			break;
		case 'w':
			o.workers = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			o.batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o.reps = (unsigned int)strtoul(optarg, NULL, 0);
			reps_set = true;
			break;
		case 'L':
			o.no_lcores = true;
			break;
		case 'H':
			o.huge = true;
			break;
		case 'j':
			o.json = optarg;
			break;
		default:
			usage();
			return c == 'h' ? 0 : 2;
		}
	}
	if (o.quick) {
		if (!pkts_set)
			o.pkts = 1u << 17;
		if (!frames_set)
			o.frames = PL_QUICK_PKTS;
		if (!reps_set)
			o.reps = 3;
	}
	if (optind != argc || o.pkts < 1024 || o.pkts > (1u << 22) || o.frames < 1024 ||
	    o.frames > (1u << 18) || o.workers < 1 || o.workers > MAX_W || o.batch < 1 ||
	    o.batch > 65536 || o.reps < 1 || o.reps > MAX_REPS) {
		usage();
		return 2;
	}
	if (o.huge) {
		/* Hugepages instead of 4 KiB pages: --in-memory, no -m. */
		eal[1] = "--in-memory";
		eal[2] = "--no-pci";
		eal[3] = "--no-telemetry";
		eal[4] = "--file-prefix=mflow-reorder-bench";
		eal[5] = "--vdev=event_sw0";
		eal[6] = (char *)lcore_map();
		eal[7] = "--log-level=*:error";
		eal[8] = NULL;
	}
	/* Whole phases only. */
	o.frames -= o.frames % PL_PHASE;
	for (c = 0; eal[c] != NULL; c++)
		;
	if (rte_eal_init(c, eal) < 0) {
		fprintf(stderr, "mflow-reorder-bench: EAL initialisation failed\n");
		return 1;
	}
	test_eal_cleanup_at_exit();
	if (dp_mf_dynfield_register() < 0 || workload_build(o.pkts) < 0 || pl_setup(o.frames) < 0) {
		fprintf(stderr, "mflow-reorder-bench: cannot build the workload\n");
		return 1;
	}
	if (evd_setup(o.workers) < 0)
		fprintf(stderr, "mflow-reorder-bench: event_sw unavailable, skipped\n");

	root = json_object();
	json_object_set_new(root, "tool", json_string("mflow-reorder-bench"));
	json_object_set_new(root, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	json_object_set_new(root, "pkts", json_integer(o.pkts));
	json_object_set_new(root, "workers", json_integer(o.workers));
	json_object_set_new(root, "elephant_share", json_real(0.8));
	json_object_set_new(root, "mice", json_integer(MICE));
	json_object_set_new(root, "reps", json_integer(o.reps));
	json_object_set_new(root, "quick", json_boolean(o.quick));
	json_object_set_new(root, "eal_memory", json_string(o.huge ? "hugepages" : "no-huge"));

	/* Section 1: the VxLAN pipeline stage by stage. */
	if (!pl_section(&o, root, pmed))
		bad = true;

	/* Section 2: the order-restoring stage alone; rep 0 warms up. */
	for (unsigned int rep = 0; rep <= o.reps; rep++) {
		struct result scratch[3];
		struct result *slot = rep == 0 ? scratch : NULL;

		memset(scratch, 0, sizeof(scratch));
		run_microflow(&o, o.batch, slot != NULL ? &slot[0] : &reps[0][rep - 1]);
		run_reorder(&o, o.batch, slot != NULL ? &slot[1] : &reps[1][rep - 1]);
		if (evdev_ok)
			run_eventdev(&o, slot != NULL ? &slot[2] : &reps[2][rep - 1]);
	}
	for (unsigned int k = 0; k < (evdev_ok ? 3u : 2u); k++)
		result_median(reps[k], o.reps, &rs[nr++]);

	modes = json_array();
	sw = json_array();
	for (unsigned int k = 0; k < nr; k++)
		json_array_append_new(modes, result_json(&rs[k]));
	json_object_set_new(root, "modes", modes);

	fprintf(stderr,
		"\n[2] Order-restoring stage alone, one core (MEASURED): %u small packets, "
		"%u simulated workers\n"
		"    that drift apart; median of %u reps\n",
		o.pkts, o.workers, o.reps);
	fprintf(stderr, "%-18s %6s %14s %10s %10s %12s\n", "mode", "batch", "reorder c/pkt", "Mpps",
		"ooo", "pipeline c/p");
	for (unsigned int k = 0; k < nr; k++)
		fprintf(stderr, "%-18s %6u %14.2f %10.1f %10" PRIu64 " %12.1f\n", rs[k].name,
			rs[k].batch, rs[k].reorder_cycles,
			(double)rte_get_tsc_hz() / rs[k].reorder_cycles / 1e6, rs[k].ooo,
			rs[k].total_cycles);

	fprintf(stderr, "\nbatch sweep (microflow, MEASURED): %6s %14s %10s %20s\n", "batch",
		"merge c/pkt", "ooo", "ooo without merge");
	for (unsigned int k = 0; k < RTE_DIM(sweep); k++) {
		struct result sr[MAX_REPS], r;

		for (unsigned int rep = 0; rep < o.reps; rep++) {
			memset(&sr[rep], 0, sizeof(sr[rep]));
			run_microflow(&o, sweep[k], &sr[rep]);
			bad |= sr[rep].ooo != 0 || sr[rep].delivered != o.pkts;
		}
		result_median(sr, o.reps, &r);
		r.ooo_unmerged = run_unmerged(&o, sweep[k]);
		json_array_append_new(sw, result_json(&r));
		fprintf(stderr, "%35s %6u %14.2f %10" PRIu64 " %20" PRIu64 "\n", "", sweep[k],
			r.reorder_cycles, r.ooo, r.ooo_unmerged);
	}
	json_object_set_new(root, "batch_sweep", sw);
	/* Batch reassembly must deliver everything in order, or its figures mean nothing. */
	if (rs[0].ooo != 0 || rs[0].delivered != o.pkts)
		bad = true;

	/* Section 3: the real pipeline on two lcores. */
	if (!lc_section(&o, root))
		bad = true;

	/* The targets. */
	targets = json_array();
	fprintf(stderr, "\nTargets (issue 3), from measured figures:\n");
	{
		const double mf = rs[0].reorder_cycles, ro = rs[1].reorder_cycles;
		const double ev = nr > 2 ? rs[2].reorder_cycles : 0;
		const double pm = pmed[PL_MICROFLOW].reorder, pr = pmed[PL_REORDER].reorder;
		const double pe = evdev_ok ? pmed[PL_EVENTDEV].reorder : 0;
		const uint64_t ooo = rs[0].ooo + pmed[PL_MICROFLOW].ooo;
		struct {
			const char *what, *goal, *from;
			double v;
			bool met;
		} t[] = {
			{"reassembly cycles/packet at batch 256", "<= 10", "[2] reorder stage", mf,
			 o.batch == 256 && mf <= 10},
			{"rte_reorder / batch-ID merge", ">= 3", "[2] reorder stage", ro / mf,
			 ro / mf >= 3},
			{"event_sw scheduler / batch-ID merge", ">= 10", "[2] reorder stage",
			 ev / mf, ev / mf >= 10},
			{"reassembly cycles/packet at batch 256", "<= 10", "[1] pipeline", pm,
			 o.batch == 256 && pm <= 10},
			{"rte_reorder / batch-ID merge", ">= 3", "[1] pipeline", pr / pm,
			 pr / pm >= 3},
			{"event_sw scheduler+consumer / batch-ID merge", ">= 10", "[1] pipeline",
			 pe / pm, pe / pm >= 10},
			{"out-of-order after batch-ID merge", "0", "[1] and [2]", (double)ooo,
			 ooo == 0},
		};

		for (unsigned int k = 0; k < RTE_DIM(t); k++) {
			if (strstr(t[k].what, "event_sw") != NULL && !evdev_ok)
				continue;
			fprintf(stderr, "  %-46s %-20s %8.2f  goal %-6s %s\n", t[k].what, t[k].from,
				t[k].v, t[k].goal, t[k].met ? "met" : "NOT met");
			json_array_append_new(targets, target_json(t[k].what, t[k].v, t[k].goal,
								   t[k].met, t[k].from));
		}
	}
	json_object_set_new(root, "targets", targets);
	json_object_set_new(root, "ok", json_boolean(!bad));
	if (o.json != NULL) {
		if (json_dump_file(root, o.json, JSON_INDENT(1)) < 0)
			fprintf(stderr, "mflow-reorder-bench: cannot write %s\n", o.json);
	} else {
		json_dumpf(root, stdout, JSON_INDENT(1));
		printf("\n");
	}
	json_decref(root);
	if (bad)
		fprintf(stderr, "mflow-reorder-bench: packets were lost or reordered\n");
	return bad ? 1 : 0;
}
