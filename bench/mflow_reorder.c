/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-reorder-bench: the cost of restoring order after splitting flows
 * across workers, measured on one core in memory, side by side:
 *
 *   microflow  batch-ID reassembly (dp_mflow): the dispatcher splits the
 *              elephant into batches over the workers, the merger walks the
 *              workers' rings in batch-ID order;
 *   reorder    the same split, but every packet numbered and put back in
 *              order by DPDK's rte_reorder (the packet_ordering example);
 *   eventdev   event_sw with an ORDERED queue: the scheduler spreads the
 *              packets over worker ports and restores order on forward.
 *
 * One elephant carries 80% of the packets, 1000 mice the rest. Workers are
 * simulated on the same core: each round every worker moves a random number
 * of entries from its input to its output ring, which skews them as real
 * cores would. Only the order-restoring stage is timed for the first two;
 * for eventdev the scheduler's service run is (it is the reordering), and
 * the whole pipeline is reported too. Every output is checked for per-flow
 * order. A batch-size sweep reports the merge cost and how many packets
 * would arrive out of order without reassembly (the seed paper's Figure 7).
 *
 * JSON goes to stdout (or --json FILE), a table to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eventdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_reorder.h>
#include <rte_ring.h>
#include <rte_service.h>

#include "dp_mflow.h"
#include "test_eal.h"

#define MICE	  1000
#define MAX_W	  8
#define RING_SIZE 16384
#define CHUNK	  32
#define WORK_MAX  48
/* Packets dispatched before each timed merge or reorder pass. */
#define PHASE 4096

struct opts {
	unsigned int pkts;
	unsigned int workers;
	unsigned int batch;
	bool quick;
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

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
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

static inline void
order_check(struct order *o, struct rte_mbuf *m)
{
	const uint32_t *p = rte_pktmbuf_mtod(m, const uint32_t *);

	if ((int64_t)p[1] <= o->last[p[0]])
		o->ooo++;
	o->last[p[0]] = p[1];
	o->seen++;
}

static int
workload_build(unsigned int n)
{
	uint32_t seq[MICE + 1] = {0};

	pkts = calloc(n, sizeof(*pkts));
	flow_of = calloc(n, sizeof(*flow_of));
	pool = rte_pktmbuf_pool_create("reorder_pool", n + 4096, 256, 0, 256, SOCKET_ID_ANY);
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
	r->name = "microflow";
	r->batch = batch;
	r->reorder_cycles = (double)cycles / (double)ord.seen;
	r->delivered = ord.seen;
	r->ooo = ord.ooo;
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
	r->name = "rte_reorder";
	r->batch = batch;
	r->reorder_cycles = (double)cycles / (double)ord.seen;
	r->delivered = ord.seen;
	r->ooo = ord.ooo;
	r->unordered = unordered;
	rte_reorder_free(rb);
	rings_free(in, out, o->workers);
}

/* (e) event_sw: producer -> ORDERED queue -> worker ports -> forward -> consumer. */
static int
run_eventdev(const struct opts *o, struct result *r)
{
	const uint8_t q_ord = 0, q_out = 1;
	struct rte_event_dev_config dc = {0};
	struct rte_event_queue_conf qc = {0};
	struct rte_event_port_conf pc = {0};
	struct rte_event_dev_info info;
	struct rte_event ev[CHUNK];
	uint8_t prod, cons, dev;
	uint32_t sid;
	struct order ord;
	uint64_t sched = 0, t0, total;
	unsigned int i = 0, w_n = o->workers;
	int id;

	id = rte_event_dev_get_dev_id("event_sw0");
	if (id < 0)
		return -ENODEV;
	dev = (uint8_t)id;
	rte_event_dev_info_get(dev, &info);
	dc.nb_event_queues = 2;
	dc.nb_event_ports = (uint8_t)(w_n + 2);
	dc.nb_events_limit = 4096;
	dc.nb_event_queue_flows = 1024;
	dc.nb_event_port_dequeue_depth = info.max_event_port_dequeue_depth;
	dc.nb_event_port_enqueue_depth = info.max_event_port_enqueue_depth;
	if (rte_event_dev_configure(dev, &dc) < 0)
		return -EINVAL;
	qc.schedule_type = RTE_SCHED_TYPE_ORDERED;
	qc.nb_atomic_order_sequences = 1024;
	qc.nb_atomic_flows = 1024;
	qc.priority = RTE_EVENT_DEV_PRIORITY_NORMAL;
	if (rte_event_queue_setup(dev, q_ord, &qc) < 0)
		return -EINVAL;
	qc.schedule_type = RTE_SCHED_TYPE_ATOMIC;
	if (rte_event_queue_setup(dev, q_out, &qc) < 0)
		return -EINVAL;
	pc.new_event_threshold = 4096;
	pc.dequeue_depth = CHUNK;
	pc.enqueue_depth = CHUNK;
	for (uint8_t p = 0; p < w_n + 2; p++)
		if (rte_event_port_setup(dev, p, &pc) < 0)
			return -EINVAL;
	prod = (uint8_t)w_n;
	cons = (uint8_t)(w_n + 1);
	for (uint8_t p = 0; p < w_n; p++)
		if (rte_event_port_link(dev, p, &q_ord, NULL, 1) != 1)
			return -EINVAL;
	if (rte_event_port_link(dev, cons, &q_out, NULL, 1) != 1)
		return -EINVAL;
	if (rte_event_dev_service_id_get(dev, &sid) != 0)
		return -ENOTSUP;
	rte_service_runstate_set(sid, 1);
	rte_service_set_runstate_mapped_check(sid, 0);
	if (rte_event_dev_start(dev) < 0)
		return -EIO;

	order_reset(&ord);
	t0 = rte_rdtsc_precise();
	while (ord.seen < o->pkts) {
		unsigned int n = 0;
		uint64_t t;

		for (; n < CHUNK && i + n < o->pkts; n++) {
			struct rte_event *e = &ev[n];

			memset(e, 0, sizeof(*e));
			e->flow_id = flow_of[i + n];
			e->op = RTE_EVENT_OP_NEW;
			e->sched_type = RTE_SCHED_TYPE_ORDERED;
			e->queue_id = q_ord;
			e->event_type = RTE_EVENT_TYPE_CPU;
			e->mbuf = pkts[i + n];
		}
		if (n != 0)
			i += rte_event_enqueue_burst(dev, prod, ev, (uint16_t)n);
		t = rte_rdtsc_precise();
		rte_service_run_iter_on_app_lcore(sid, 0);
		sched += rte_rdtsc_precise() - t;
		for (uint8_t p = 0; p < w_n; p++) {
			uint16_t k = rte_event_dequeue_burst(dev, p, ev, 1 + rnd() % CHUNK, 0);

			for (uint16_t j = 0; j < k; j++) {
				ev[j].queue_id = q_out;
				ev[j].op = RTE_EVENT_OP_FORWARD;
				ev[j].sched_type = RTE_SCHED_TYPE_ATOMIC;
			}
			if (k != 0 && rte_event_enqueue_burst(dev, p, ev, k) != k)
				rte_panic("bench: eventdev forward refused\n");
		}
		t = rte_rdtsc_precise();
		rte_service_run_iter_on_app_lcore(sid, 0);
		sched += rte_rdtsc_precise() - t;
		for (;;) {
			uint16_t k = rte_event_dequeue_burst(dev, cons, ev, CHUNK, 0);

			for (uint16_t j = 0; j < k; j++)
				order_check(&ord, ev[j].mbuf);
			if (k < CHUNK)
				break;
		}
	}
	total = rte_rdtsc_precise() - t0;
	rte_event_dev_stop(dev);
	rte_event_dev_close(dev);
	r->name = "event_sw ordered";
	r->batch = 0;
	r->reorder_cycles = (double)sched / (double)ord.seen;
	r->total_cycles = (double)total / (double)ord.seen;
	r->delivered = ord.seen;
	r->ooo = ord.ooo;
	return 0;
}

static json_t *
result_json(const struct result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "mode", json_string(r->name));
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

static void
usage(void)
{
	fprintf(stderr, "usage: mflow-reorder-bench [--quick] [--pkts N] [--workers N]\n"
			"                           [--batch N] [--json FILE]\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"quick", no_argument, NULL, 'q'},
		{"pkts", required_argument, NULL, 'n'},
		{"workers", required_argument, NULL, 'w'},
		{"batch", required_argument, NULL, 'b'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const unsigned int sweep[] = {16, 32, 64, 128, 256, 512, 1024};
	struct opts o = {.pkts = 1u << 20, .workers = 2, .batch = 256};
	char *eal[] = {argv[0],
		       "--no-huge",
		       "-m",
		       "1024",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--vdev=event_sw0",
		       "-l",
		       "0",
		       "--log-level=*:error",
		       NULL};
	struct result rs[3 + RTE_DIM(sweep)];
	json_t *root, *modes, *sw;
	unsigned int nr = 0;
	bool bad = false;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.quick = true;
			o.pkts = 1u << 17;
			break;
		case 'n':
			o.pkts = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			o.workers = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			o.batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'j':
			o.json = optarg;
			break;
		default:
			usage();
			return c == 'h' ? 0 : 2;
		}
	}
	if (o.pkts < 1024 || o.pkts > (1u << 22) || o.workers < 1 || o.workers > MAX_W ||
	    o.batch < 1 || o.batch > 65536) {
		usage();
		return 2;
	}
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "mflow-reorder-bench: EAL initialisation failed\n");
		return 1;
	}
	test_eal_cleanup_at_exit();
	if (dp_mf_dynfield_register() < 0 || workload_build(o.pkts) < 0) {
		fprintf(stderr, "mflow-reorder-bench: cannot build the workload\n");
		return 1;
	}

	run_microflow(&o, o.batch, &rs[nr++]);
	run_reorder(&o, o.batch, &rs[nr++]);
	memset(&rs[nr], 0, sizeof(rs[nr]));
	if (run_eventdev(&o, &rs[nr]) == 0)
		nr++;
	else
		fprintf(stderr, "mflow-reorder-bench: event_sw unavailable, skipped\n");

	root = json_object();
	modes = json_array();
	sw = json_array();
	json_object_set_new(root, "tool", json_string("mflow-reorder-bench"));
	json_object_set_new(root, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	json_object_set_new(root, "pkts", json_integer(o.pkts));
	json_object_set_new(root, "workers", json_integer(o.workers));
	json_object_set_new(root, "elephant_share", json_real(0.8));
	json_object_set_new(root, "mice", json_integer(MICE));
	for (unsigned int k = 0; k < nr; k++)
		json_array_append_new(modes, result_json(&rs[k]));
	json_object_set_new(root, "modes", modes);

	fprintf(stderr, "\n%-18s %6s %14s %10s %10s %12s\n", "mode", "batch", "reorder c/pkt",
		"Mpps", "ooo", "pipeline c/p");
	for (unsigned int k = 0; k < nr; k++)
		fprintf(stderr, "%-18s %6u %14.2f %10.1f %10" PRIu64 " %12.1f\n", rs[k].name,
			rs[k].batch, rs[k].reorder_cycles,
			(double)rte_get_tsc_hz() / rs[k].reorder_cycles / 1e6, rs[k].ooo,
			rs[k].total_cycles);

	fprintf(stderr, "\nbatch sweep (microflow): %6s %14s %10s %20s\n", "batch", "merge c/pkt",
		"ooo", "ooo without merge");
	for (unsigned int k = 0; k < RTE_DIM(sweep); k++) {
		struct result r = {0};

		run_microflow(&o, sweep[k], &r);
		bad |= r.ooo != 0 || r.delivered != o.pkts;
		r.ooo_unmerged = run_unmerged(&o, sweep[k]);
		json_array_append_new(sw, result_json(&r));
		fprintf(stderr, "%25s %6u %14.2f %10" PRIu64 " %20" PRIu64 "\n", "", sweep[k],
			r.reorder_cycles, r.ooo, r.ooo_unmerged);
	}
	json_object_set_new(root, "batch_sweep", sw);
	/* Batch reassembly must deliver everything in order, or its figures mean nothing. */
	for (unsigned int k = 0; k < nr; k++)
		if (strcmp(rs[k].name, "microflow") == 0 &&
		    (rs[k].ooo != 0 || rs[k].delivered != o.pkts))
			bad = true;
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
		fprintf(stderr,
			"mflow-reorder-bench: batch reassembly lost or reordered packets\n");
	return bad ? 1 : 0;
}
