/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The micro-flow pipeline: dispatching to workers, the worker and merge
 * loops, the order check, and run-time changes (docs/mflow.md).
 *
 * A packet's path in modes pinned and microflow: the dispatch lcore writes
 * the dataplane port index it came from into mbuf->port, and its flow hash
 * and dispatch order into the mflow dynfield, then stages it for a worker
 * (dp_mflow.h). The worker runs the VxLAN stage with the worker-safe entry
 * points, which hand anything that needs the tables' owner (learning,
 * address resolution, ARP and ND) back to the dispatch lcore, and writes the
 * output port index into mbuf->port. The merger restores order and the
 * merge lcore transmits.
 *
 * Run-time changes. The control thread posts new settings; the dispatch
 * lcore stops polling RX, closes its open batches, waits until every entry
 * it sent has been merged, applies the change and resumes. Packets that
 * arrive meanwhile wait in the RX rings, so nothing is lost or reordered;
 * the pause lasts as long as the workers need to drain their rings.
 *
 * Resizes (dp_pipe_resize()) replace the rings and the elephant detector
 * the same way, as a drained command; the lcores that read the rings
 * without a lock (workers, a merge lcore of its own) move to the new ones
 * at their next loop iteration, and the old ones are freed after a grace
 * period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_ops.h"
#include "dp_pipe_priv.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dp: " fmt "\n", ##__VA_ARGS__)

/* Entries a worker takes per poll, and a worker's output list. */
#define W_BURST 64
/* Requests the dispatch lcore applies per worker per iteration. */
#define REQ_BUDGET 64
/* Elephant detector entries examined per drain period. */
#define SWEEP_BUDGET 64
/* Shortest wait for a drain before a change gives up. */
#define QUIESCE_MIN_US 100000u

static const char *const mode_names[DP_MODE__MAX] = {
	[DP_MODE_RTC] = "rtc",
	[DP_MODE_PINNED] = "pinned",
	[DP_MODE_MICROFLOW] = "microflow",
};

const char *
dp_mode_name(uint8_t mode)
{
	return mode < DP_MODE__MAX ? mode_names[mode] : "?";
}

/* ------------------------------------------------------------------------- */
/* Dispatch lcore.                                                           */

static void
open_slot_add(struct dp_pipe *pp, uint16_t slot, uint64_t now)
{
	pp->open_slots[pp->n_open++] = slot;
	pp->slot_last[slot] = now;
}

static void
open_slot_del(struct dp_pipe *pp, uint16_t slot)
{
	for (uint16_t i = 0; i < pp->n_open; i++)
		if (pp->open_slots[i] == slot) {
			pp->open_slots[i] = pp->open_slots[--pp->n_open];
			return;
		}
}

void
dp_pipe_dispatch(struct dp *dp, uint16_t pi, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		 struct vx_out *out)
{
	struct dp_pipe *pp = dp->pipe;
	const bool underlay = dp->ports[pi].role == DP_PORT_UNDERLAY;
	const bool split = pp->conf.mode == DP_MODE_MICROFLOW;
	const uint16_t active = dp_mf_split_active(pp->sp);
	struct rte_mbuf *own[DP_BURST_MAX];
	uint16_t n_own = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_fl_entry *e = NULL;
		struct dp_mf_tag *tag;
		uint32_t h;
		uint16_t w;

		if (underlay) {
			if (!dp_pipe_underlay_hash(m, &h)) {
				own[n_own++] = m;
				continue;
			}
		} else {
			h = dp_pipe_frame_hash(m);
		}
		m->port = pi;
		tag = dp_mf_tag(m);
		tag->flow = h;
		tag->seq = ++pp->stamp;
		w = dp_pipe_pin(h, active);
		if (split) {
			enum dp_fl_event ev = dp_fl_account(pp->fl, h, m->pkt_len, now, &e);

			if (ev == DP_FL_PROMOTE) {
				int slot = dp_mf_split_promote(pp->sp, w);

				e->slot = slot;
				if (slot >= 0)
					open_slot_add(pp, (uint16_t)slot, now);
			} else if (ev == DP_FL_DEMOTE && e->slot >= 0) {
				dp_mf_split_demote(pp->sp, (uint16_t)e->slot, w);
				open_slot_del(pp, (uint16_t)e->slot);
				e->slot = -1;
			}
			if (e != NULL && e->slot >= 0) {
				dp_mf_split_elephant(pp->sp, (uint16_t)e->slot, m);
				pp->slot_last[e->slot] = now;
				continue;
			}
		}
		dp_mf_split_mouse(pp->sp, w, m);
	}
	if (n_own != 0) {
		pp->owner_pkts += n_own;
		vx_underlay_input(dp->vx, own, n_own, now, out, &dp->lc->st);
	}
}

/* dp_fl_sweep() callback: an elephant went quiet. */
static void
sweep_demote(struct dp_fl_entry *e, void *arg)
{
	struct dp_pipe *pp = arg;

	if (e->slot < 0)
		return;
	dp_mf_split_demote(pp->sp, (uint16_t)e->slot,
			   dp_pipe_pin(e->hash, dp_mf_split_active(pp->sp)));
	open_slot_del(pp, (uint16_t)e->slot);
}

void
dp_pipe_tick(struct dp *dp, uint64_t now, uint64_t period)
{
	struct dp_pipe *pp = dp->pipe;

	if (pp->conf.mode != DP_MODE_MICROFLOW)
		return;
	/*
	 * A batch stays open while its elephant sends; one that got nothing
	 * for a period is closed so that the merger can move past it.
	 */
	for (uint16_t i = 0; i < pp->n_open; i++) {
		uint16_t slot = pp->open_slots[i];

		if (now - pp->slot_last[slot] >= period)
			dp_mf_split_close(pp->sp, slot);
	}
	dp_fl_sweep(pp->fl, now, SWEEP_BUDGET, sweep_demote, pp);
}

bool
dp_pipe_idle(struct dp *dp)
{
	struct dp_pipe *pp = dp->pipe;

	if (dp_mf_split_staged(pp->sp) != 0)
		return false;
	for (uint16_t w = 0; w < dp->n_workers; w++) {
		const struct dp_lcore *wl = dp->wlc[w];

		if (__atomic_load_n(&wl->in_done, __ATOMIC_ACQUIRE) !=
			    dp_mf_split_sent(pp->sp, w) ||
		    __atomic_load_n(&wl->out_prod, __ATOMIC_ACQUIRE) !=
			    dp_mf_merge_consumed(pp->mg, w) ||
		    vx_worker_pending(wl->vw) != 0)
			return false;
	}
	if (pp->own != NULL && dp_mf_merge_consumed(pp->mg, dp->n_workers) != pp->own_sent)
		return false;
	return true;
}

/* Install the requested settings; the pipeline is drained. */
static void
apply_conf(struct dp *dp, struct dp_pipe *pp)
{
	const struct dp_mf_conf *c = &pp->req;

	for (uint16_t i = 0; i < pp->n_open; i++)
		dp_mf_split_close(pp->sp, pp->open_slots[i]);
	dp_mf_split_release_all(pp->sp);
	pp->n_open = 0;
	if (dp->n_workers != 0)
		RTE_VERIFY(dp_mf_split_set(pp->sp, c->workers, c->batch_size,
					   (enum dp_mf_pick)c->pick) == 0);
	pp->timeout_tsc = rte_get_tsc_hz() * c->merge_timeout_us / 1000000;
	if (pp->mg != NULL)
		dp_mf_merge_set_timeout(pp->mg, pp->timeout_tsc);
	pp->fl_free = pp->fl;
	pp->fl = pp->req_fl;
	pp->req_fl = NULL;
	pp->conf = *c;
	pp->reconfigs++;
}

static void
ack(struct dp_pipe *pp, int rc)
{
	pp->ack_rc = rc;
	if (rc != 0) {
		pp->fl_free = pp->req_fl;
		pp->req_fl = NULL;
		pp->reconfig_errors++;
	}
	pp->quiescing = false;
	__atomic_store_n(&pp->ack_seq, pp->req_seq, __ATOMIC_RELEASE);
}

uint64_t
dp_pipe_drain_limit_us(const struct dp *dp)
{
	const struct dp_pipe *pp = dp->pipe;
	uint64_t t = pp != NULL ? 2 * (uint64_t)pp->conf.merge_timeout_us : 0;

	/* Workers and the merge lcore may be asleep when the change comes. */
	return RTE_MAX((uint64_t)QUIESCE_MIN_US, t) + 4 * (uint64_t)dp->p.idle_sleep_max_us;
}

bool
dp_pipe_service(struct dp *dp, uint64_t now, struct vx_out *out)
{
	struct dp_pipe *pp = dp->pipe;
	bool mf, cmd;
	uint32_t req;

	for (uint16_t w = 0; w < dp->n_workers; w++)
		vx_worker_drain(dp->vx, dp->wlc[w]->vw, REQ_BUDGET, now, out, &dp->lc->st);
	dp_mf_split_flush(pp->sp);

	req = __atomic_load_n(&pp->req_seq, __ATOMIC_ACQUIRE);
	mf = req != pp->ack_seq;
	cmd = __atomic_load_n(&dp->cmd.state, __ATOMIC_ACQUIRE) == DP_CMD_POSTED && dp->cmd.drain;
	if (likely(!mf && !cmd)) {
		/* A command withdrawn while we drained for it. */
		pp->quiescing = false;
		return false;
	}
	if (!pp->quiescing) {
		pp->quiescing = true;
		pp->quiesce_start = now;
		for (uint16_t i = 0; i < pp->n_open; i++)
			dp_mf_split_close(pp->sp, pp->open_slots[i]);
		dp_mf_split_flush(pp->sp);
	}
	/* Requests just drained may have left packets in out, not yet sent. */
	if (out->n == 0 && dp_pipe_idle(dp)) {
		uint64_t took = now - pp->quiesce_start;

		if (took > pp->quiesce_tsc_max)
			pp->quiesce_tsc_max = took;
		if (mf) {
			apply_conf(dp, pp);
			ack(pp, 0);
		}
		if (cmd)
			dp_cmd_run(dp, 0);
		pp->quiescing = false;
		return false;
	}
	if (now - pp->quiesce_start > rte_get_tsc_hz() / 1000000 * dp_pipe_drain_limit_us(dp)) {
		/* A worker does not drain: resume with the old settings. */
		if (mf)
			ack(pp, -ETIMEDOUT);
		if (cmd)
			dp_cmd_run(dp, -ETIMEDOUT);
		pp->quiescing = false;
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------- */
/* Merge and TX.                                                             */

/* Count a packet delivered behind a later packet of its flow. */
static inline void
order_check(struct dp_pipe *pp, struct rte_mbuf *m, uint64_t now)
{
	const struct dp_mf_tag *tag = dp_mf_tag(m);
	uint32_t b;

	if (tag->flow == 0)
		return;
	b = tag->flow & (DP_ORD_SIZE - 1);
	/*
	 * Stamps wrap after 2^32 packets; a flow last seen more than a second
	 * ago starts afresh so that the 32-bit comparison stays meaningful.
	 */
	if (pp->ord[b].flow == tag->flow && now - pp->ord[b].when < pp->ord_age) {
		int32_t d = (int32_t)(tag->seq - pp->ord[b].seq);

		if (d < 0) {
			pp->ooo++;
			return;
		}
	}
	pp->ord[b].flow = tag->flow;
	pp->ord[b].seq = tag->seq;
	pp->ord[b].when = now;
}

unsigned int
dp_pipe_merge_tx(struct dp *dp, struct dp_lcore *tx, uint64_t now)
{
	struct dp_pipe *pp = dp->pipe;
	struct rte_mbuf *pkts[DP_BURST_MAX];
	uint16_t n = dp_mf_merge_poll(pp->mg, pkts, DP_BURST_MAX, now);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t pi = m->port;

		order_check(pp, m, now);
		rte_eth_tx_buffer(dp->ports[pi].port_id, 0, tx->txb[pi], m);
	}
	tx->st.stat[VX_STAT_tx_pkts] += n;
	{
		/* Packets the merger dropped as late count as drops of this lcore. */
		uint64_t late = dp_mf_merge_stats(pp->mg)->late;

		if (unlikely(late != pp->late_seen)) {
			tx->st.drop[VX_DROP_mf_late] += late - pp->late_seen;
			pp->late_seen = late;
		}
	}
	return n;
}

/* Put entries on a ring, waiting for room; on quit the packets left are freed. */
static void
ring_put(struct dp *dp, struct rte_ring *r, void *const *e, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		done += rte_ring_sp_enqueue_burst(r, e + done, n - done, NULL);
		if (done == n)
			break;
		if (__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
			for (; done < n; done++)
				if (!dp_mf_is_marker(e[done]))
					rte_pktmbuf_free(e[done]);
			break;
		}
		rte_pause();
	}
}

void
dp_pipe_own_push(struct dp *dp, struct vx_out *out)
{
	struct dp_pipe *pp = dp->pipe;

	for (uint16_t i = 0; i < out->n; i++) {
		out->pkts[i]->port = out->port[i];
		/* Not dispatched: in no batch, and not part of the order check. */
		dp_mf_tag(out->pkts[i])->flow = 0;
		dp_mf_tag(out->pkts[i])->slot = DP_MF_NO_SLOT;
	}
	ring_put(dp, pp->own, (void *const *)out->pkts, out->n);
	pp->own_sent += out->n;
	out->n = 0;
}

int
dp_merge_loop(void *arg)
{
	struct dp *dp = arg;
	struct dp_lcore *lc = dp->mlc;
	struct dp_idle idle;
	uint64_t last_drain, now;

	dp_idle_busy(dp, &idle);
	dp_lcore_begin(lc);
	last_drain = lc->start_tsc;
	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		unsigned int got;

		const uint64_t drain = __atomic_load_n(&dp->drain_tsc, __ATOMIC_RELAXED);

		rte_rcu_qsbr_quiescent(dp->qsbr, lc->qsbr_id);
		now = rte_rdtsc();
		got = dp_pipe_merge_tx(dp, lc, now);
		lc->pkts += got;
		if (got != 0 && got < __atomic_load_n(&dp->p.burst, __ATOMIC_RELAXED))
			dp_tx_flush_all(dp, lc);
		if (now - last_drain >= drain) {
			dp_tx_flush_all(dp, lc);
			last_drain = now;
		}
		if (got != 0) {
			dp_idle_busy(dp, &idle);
			lc->busy_tsc += rte_rdtsc() - now;
		} else if (dp_idle_due(dp, &idle)) {
			dp_tx_flush_all(dp, lc);
			dp_idle_sleep(dp, lc, &idle);
		}
	}
	dp_tx_flush_all(dp, lc);
	dp_lcore_end(lc);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Workers.                                                                  */

/* What a worker's output list flushes to: its lcore and the rings of this iteration. */
struct worker_ctx {
	struct dp_lcore *lc;
	const struct dp_pipe_wrings *r;
};

/* Hand a worker's output list to the merger, each packet tagged with its output port. */
static void
worker_out_flush(struct vx_out *out)
{
	const struct worker_ctx *ctx = out->ctx;
	struct dp_lcore *lc = ctx->lc;

	for (uint16_t i = 0; i < out->n; i++)
		out->pkts[i]->port = out->port[i];
	ring_put(lc->dp, ctx->r->out, (void *const *)out->pkts, out->n);
	__atomic_store_n(&lc->out_prod, lc->out_prod + out->n, __ATOMIC_RELEASE);
	out->n = 0;
}

/* Run the VxLAN stage over a run of packets from one port. */
static inline void
worker_run(struct dp *dp, struct dp_lcore *lc, struct vx_worker *vw, struct rte_mbuf **pkts,
	   uint16_t n, uint64_t now, struct vx_out *out)
{
	const struct dp_port *port = &dp->ports[pkts[0]->port];

	if (port->role == DP_PORT_UNDERLAY)
		vx_underlay_input_w(dp->vx, vw, pkts, n, now, out, &lc->st);
	else
		vx_endpoint_input_w(dp->vx, vw, port->ep, pkts, n, now, out, &lc->st);
}

int
dp_worker_loop(void *arg)
{
	struct dp_lcore *lc = arg;
	struct dp *dp = lc->dp;
	struct dp_pipe *pp = dp->pipe;
	struct worker_ctx ctx = {.lc = lc};
	void *e[W_BURST];
	struct vx_out out;
	struct dp_idle idle;

	memset(&out, 0, sizeof(out));
	dp_idle_busy(dp, &idle);
	out.flush = worker_out_flush;
	out.ctx = &ctx;
	dp_lcore_begin(lc);
	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		const struct dp_pipe_wrings *r;
		unsigned int n, i = 0;
		uint64_t now;

		rte_rcu_qsbr_quiescent(dp->qsbr, lc->qsbr_id);
		/*
		 * The rings, once per iteration and after the grace point: a
		 * resize frees the set it replaced only once every lcore has
		 * passed a grace point after the swap, and one load gives the
		 * input, output and request rings of the same resize.
		 */
		r = __atomic_load_n(&pp->wr[lc->index], __ATOMIC_ACQUIRE);
		ctx.r = r;
		n = rte_ring_sc_dequeue_burst(r->in, e, W_BURST, NULL);
		if (n == 0) {
			if (dp_idle_due(dp, &idle))
				dp_idle_sleep(dp, lc, &idle);
			continue;
		}
		dp_idle_busy(dp, &idle);
		now = rte_rdtsc();
		while (i < n) {
			unsigned int j = i;

			if (dp_mf_is_marker(e[i])) {
				/* Markers keep their place between the packets around them. */
				worker_out_flush(&out);
				ring_put(dp, r->out, &e[i], 1);
				__atomic_store_n(&lc->out_prod, lc->out_prod + 1, __ATOMIC_RELEASE);
				i++;
				continue;
			}
			while (j < n && !dp_mf_is_marker(e[j]) &&
			       ((struct rte_mbuf *)e[j])->port == ((struct rte_mbuf *)e[i])->port)
				j++;
			worker_run(dp, lc, r->vw, (struct rte_mbuf **)&e[i], (uint16_t)(j - i), now,
				   &out);
			i = j;
		}
		worker_out_flush(&out);
		lc->pkts += n;
		__atomic_store_n(&lc->in_done, lc->in_done + n, __ATOMIC_RELEASE);
		lc->busy_tsc += rte_rdtsc() - now;
	}
	dp_lcore_end(lc);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Life cycle.                                                               */

static int
conf_check(const struct dp *dp, const struct dp_mf_conf *c)
{
	if (c->mode >= DP_MODE__MAX || c->batch_size == 0 || c->batch_size > 65536 ||
	    (c->pick != DP_MF_PICK_RR && c->pick != DP_MF_PICK_LEAST) || c->window_us == 0 ||
	    c->promote_pkts == 0 || c->demote_pkts > c->promote_pkts ||
	    (c->promote_bytes != 0 && c->demote_bytes > c->promote_bytes) ||
	    c->promote_windows == 0 || c->demote_windows == 0)
		return -EINVAL;
	if (dp->n_workers == 0)
		return c->mode == DP_MODE_RTC ? 0 : -ENOTSUP;
	if (c->workers == 0 || c->workers > dp->n_workers)
		return -EINVAL;
	return 0;
}

/* The NUMA node of an lcore, or SOCKET_ID_ANY when DPDK does not know it. */
static int
lcore_socket(unsigned int lcore)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);

	return socket >= 0 && socket < RTE_MAX_NUMA_NODES ? socket : SOCKET_ID_ANY;
}

/* An elephant detector of @p entries for the settings @p c, on the dispatch lcore's node. */
static struct dp_fl_table *
fl_for(const struct dp *dp, const struct dp_mf_conf *c, uint32_t entries)
{
	uint64_t hz = rte_get_tsc_hz();
	struct dp_fl_params p = {
		.entries = entries,
		.window = hz * c->window_us / 1000000,
		.promote_pkts = c->promote_pkts,
		.promote_bytes = c->promote_bytes,
		.demote_pkts = c->demote_pkts,
		.demote_bytes = c->demote_bytes,
		.promote_windows = c->promote_windows,
		.demote_windows = c->demote_windows,
	};

	if (p.window == 0)
		p.window = 1;
	return dp_fl_create_socket(&p, lcore_socket(dp->lc->lcore_id));
}

/*
 * Numbers the generations of rings: a resize creates rings while the old
 * ones still exist, and ring names must be unique in the process.
 */
static uint32_t ring_gen;

static struct rte_ring *
ring_new(const char *what, unsigned int i, uint32_t gen, uint32_t size, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "mf_%s%u.%u_%d", what, i, gen, (int)getpid() & 0xffff);
	return rte_ring_create(name, size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static void
ring_free_all(struct rte_ring *r)
{
	void *e;

	if (r == NULL)
		return;
	while (rte_ring_sc_dequeue(r, &e) == 0)
		if (!dp_mf_is_marker(e))
			rte_pktmbuf_free(e);
	rte_ring_free(r);
}

/* The rings of worker @p w, of @p size entries each, on the worker's NUMA node. */
static struct dp_pipe_wrings *
wrings_new(struct dp *dp, uint16_t w, uint32_t gen, uint32_t size)
{
	const int socket = lcore_socket(dp->wlc[w]->lcore_id);
	struct dp_pipe_wrings *r =
		rte_zmalloc_socket("dp_wrings", sizeof(*r), RTE_CACHE_LINE_SIZE, socket);

	if (r == NULL)
		return NULL;
	r->in = ring_new("in", w, gen, size, socket);
	if (r->in == NULL)
		goto out_free;
	r->out = ring_new("out", w, gen, size, socket);
	if (r->out == NULL)
		goto out_free_in;
	r->vw = vx_worker_create(dp->vx, size, socket);
	if (r->vw == NULL)
		goto out_free_out;
	return r;

out_free_out:
	rte_ring_free(r->out);
out_free_in:
	rte_ring_free(r->in);
out_free:
	rte_free(r);
	return NULL;
}

/* Entries left on a worker's rings. */
static unsigned int
wrings_count(const struct dp_pipe_wrings *r)
{
	return rte_ring_count(r->in) + rte_ring_count(r->out) + vx_worker_pending(r->vw);
}

/*
 * Free a worker's rings and the packets left on them. @p retired says that
 * the rings were in use and replaced with the pipeline drained: anything
 * left there is a bug, and is logged rather than freed silently.
 */
static void
wrings_free(struct dp_pipe_wrings *r, uint16_t w, bool retired)
{
	if (r == NULL)
		return;
	if (retired && wrings_count(r) != 0)
		DP_LOG(ERR, "resize: %u entries were left on the old rings of worker %u; freed",
		       wrings_count(r), w);
	ring_free_all(r->in);
	ring_free_all(r->out);
	vx_worker_destroy(r->vw);
	rte_free(r);
}

/* Make @p r the rings of worker @p w for every reader but the worker, which reads pp->wr. */
static void
wrings_set(struct dp *dp, struct dp_pipe *pp, uint16_t w, struct dp_pipe_wrings *r)
{
	struct dp_lcore *wl = dp->wlc[w];

	pp->in[w] = r->in;
	pp->out[w] = r->out;
	wl->in = r->in;
	wl->out = r->out;
	wl->vw = r->vw;
}

int
dp_pipe_create(struct dp *dp)
{
	struct dp_pipe *pp;
	const struct dp_lcore_map *map = &dp->p.map;
	int socket = lcore_socket(dp->lc->lcore_id), rc = -ENOMEM;
	uint32_t gen;
	uint16_t n_rings;

	if (dp->n_workers == 0)
		return dp->p.mf.mode == DP_MODE_RTC ? 0 : -ENOTSUP;
	rc = dp_mf_dynfield_register();
	if (rc < 0)
		return rc;
	if (conf_check(dp, &dp->p.mf) < 0 || map->ring_size < DP_PIPE_RING_MIN ||
	    !rte_is_power_of_2(map->ring_size))
		return -EINVAL;
	pp = rte_zmalloc_socket("dp_pipe", sizeof(*pp), RTE_CACHE_LINE_SIZE, socket);
	if (pp == NULL)
		return -ENOMEM;
	dp->pipe = pp;
	rc = -ENOMEM;
	gen = __atomic_fetch_add(&ring_gen, 1, __ATOMIC_RELAXED);
	for (uint16_t w = 0; w < dp->n_workers; w++) {
		pp->wr[w] = wrings_new(dp, w, gen, map->ring_size);
		if (pp->wr[w] == NULL)
			goto out_destroy;
		wrings_set(dp, pp, w, pp->wr[w]);
	}
	n_rings = dp->n_workers;
	if (dp->mlc != dp->lc) {
		pp->own = ring_new("own", 0, gen, map->ring_size, lcore_socket(dp->mlc->lcore_id));
		if (pp->own == NULL)
			goto out_destroy;
		pp->out[n_rings++] = pp->own;
	}
	pp->sp = dp_mf_split_create(pp->in, dp->n_workers, dp->p.mf.batch_size,
				    (enum dp_mf_pick)dp->p.mf.pick);
	pp->timeout_tsc = rte_get_tsc_hz() * dp->p.mf.merge_timeout_us / 1000000;
	pp->mg = dp_mf_merge_create(pp->out, n_rings, pp->timeout_tsc);
	pp->fl = fl_for(dp, &dp->p.mf, map->flow_entries);
	if (pp->sp == NULL || pp->mg == NULL || pp->fl == NULL)
		goto out_destroy;
	rc = dp_mf_split_set(pp->sp, dp->p.mf.workers, dp->p.mf.batch_size,
			     (enum dp_mf_pick)dp->p.mf.pick);
	if (rc < 0)
		goto out_destroy;
	dp_mf_split_set_quit(pp->sp, (const bool *)(uintptr_t)&dp->quit);
	pp->ord_age = rte_get_tsc_hz();
	pp->conf = dp->p.mf;
	pp->conf_ctl = dp->p.mf;
	return 0;

out_destroy:
	dp_pipe_destroy(dp);
	return rc;
}

static void retired_free(struct dp_pipe *pp);

void
dp_pipe_destroy(struct dp *dp)
{
	struct dp_pipe *pp = dp->pipe;

	if (pp == NULL)
		return;
	dp_mf_split_destroy(pp->sp);
	dp_mf_merge_destroy(pp->mg);
	dp_fl_destroy(pp->fl);
	dp_fl_destroy(pp->req_fl);
	dp_fl_destroy(pp->fl_free);
	for (uint16_t w = 0; w < dp->n_workers; w++) {
		/* Packets still in flight when the lcores stopped go with the rings. */
		wrings_free(pp->wr[w], w, false);
		pp->wr[w] = NULL;
		if (dp->wlc[w] != NULL) {
			dp->wlc[w]->vw = NULL;
			dp->wlc[w]->in = NULL;
			dp->wlc[w]->out = NULL;
		}
	}
	ring_free_all(pp->own);
	/* The lcores have stopped: what older resizes could not free yet goes now. */
	retired_free(pp);
	rte_free(pp);
	dp->pipe = NULL;
}

/* The function and argument of a role. */
static lcore_function_t *
role_fn(struct dp *dp, const struct dp_lcore *lc, void **arg)
{
	switch (lc->role) {
	case DP_ROLE_WORKER:
		*arg = (void *)(uintptr_t)lc;
		return dp_worker_loop;
	case DP_ROLE_MERGE:
		*arg = dp;
		return dp_merge_loop;
	default:
		*arg = dp;
		return dp_loop;
	}
}

/* Every lcore with a role, dispatch first. */
static unsigned int
lcores_all(struct dp *dp, struct dp_lcore **all)
{
	unsigned int n = 0;

	all[n++] = dp->lc;
	if (dp->mlc != dp->lc)
		all[n++] = dp->mlc;
	for (uint16_t w = 0; w < dp->n_workers; w++)
		all[n++] = dp->wlc[w];
	return n;
}

int
dp_launch(struct dp *dp)
{
	struct dp_lcore *all[DP_MF_MAX_WORKERS + 2];
	unsigned int n = lcores_all(dp, all);

	dp_launched(dp);
	for (unsigned int i = 0; i < n; i++) {
		void *arg;
		lcore_function_t *fn = role_fn(dp, all[i], &arg);
		int rc;

		if (all[i]->lcore_id == rte_get_main_lcore())
			continue;
		rc = rte_eal_remote_launch(fn, arg, all[i]->lcore_id);
		if (rc < 0) {
			DP_LOG(ERR, "cannot launch lcore %u: %s", all[i]->lcore_id,
			       rte_strerror(-rc));
			__atomic_store_n(&dp->quit, true, __ATOMIC_RELEASE);
			dp_wait(dp);
			return -EBUSY;
		}
	}
	return 0;
}

bool
dp_main_has_role(const struct dp *dp)
{
	struct dp_lcore *all[DP_MF_MAX_WORKERS + 2];
	unsigned int n = lcores_all((struct dp *)(uintptr_t)dp, all);

	for (unsigned int i = 0; i < n; i++)
		if (all[i]->lcore_id == rte_get_main_lcore())
			return true;
	return false;
}

void
dp_run_main(struct dp *dp)
{
	struct dp_lcore *all[DP_MF_MAX_WORKERS + 2];
	unsigned int n = lcores_all(dp, all);

	for (unsigned int i = 0; i < n; i++)
		if (all[i]->lcore_id == rte_get_main_lcore()) {
			void *arg;
			lcore_function_t *fn = role_fn(dp, all[i], &arg);

			fn(arg);
			return;
		}
}

void
dp_wait(struct dp *dp)
{
	struct dp_lcore *all[DP_MF_MAX_WORKERS + 2];
	unsigned int n = lcores_all(dp, all);

	for (unsigned int i = 0; i < n; i++)
		if (all[i]->lcore_id != rte_get_main_lcore())
			rte_eal_wait_lcore(all[i]->lcore_id);
}

/* ------------------------------------------------------------------------- */
/* Run-time changes (control thread).                                        */

void
dp_mf_conf_get(const struct dp *dp, struct dp_mf_conf *c)
{
	/* The control thread's copy: the lcore's may be changing under us. */
	if (dp->pipe != NULL)
		*c = dp->pipe->conf_ctl;
	else
		*c = dp->p.mf;
}

/* The dispatch lcore is not running: apply on this thread. */
static void
apply_here(struct dp *dp, struct dp_pipe *pp)
{
	apply_conf(dp, pp);
	ack(pp, 0);
	pp->conf_ctl = pp->req;
	dp_fl_destroy(pp->fl_free);
	pp->fl_free = NULL;
}

/*
 * Take over what an acknowledged request left behind: the settings it
 * applied and the detector it replaced. -EBUSY while one is still pending.
 */
static int
mf_settle(struct dp_pipe *pp)
{
	if (__atomic_load_n(&pp->req_seq, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&pp->ack_seq, __ATOMIC_ACQUIRE))
		return -EBUSY;
	if (pp->req_seq != 0 && pp->ack_rc == 0)
		pp->conf_ctl = pp->req;
	dp_fl_destroy(pp->fl_free);
	pp->fl_free = NULL;
	return 0;
}

int
dp_mf_reconfigure(struct dp *dp, const struct dp_mf_conf *c, unsigned int timeout_ms)
{
	struct dp_pipe *pp = dp->pipe;
	struct dp_lcore *lc = dp->lc;
	uint64_t deadline;
	uint32_t req;
	int rc = conf_check(dp, c);

	if (rc < 0)
		return rc;
	if (pp == NULL) {
		/* No workers: rtc is all there is, and it is in force. */
		dp->p.mf = *c;
		return 0;
	}
	/* Once the previous request is acknowledged, what it left behind is ours. */
	rc = mf_settle(pp);
	if (rc < 0)
		return rc;
	pp->req_fl = fl_for(dp, c, dp->p.map.flow_entries);
	if (pp->req_fl == NULL)
		return -ENOMEM;
	pp->req = *c;
	req = pp->req_seq + 1;
	if (!__atomic_load_n(&lc->launched, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&lc->stopped, __ATOMIC_ACQUIRE)) {
		pp->req_seq = req;
		apply_here(dp, pp);
		return 0;
	}
	__atomic_store_n(&pp->req_seq, req, __ATOMIC_RELEASE);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	while (__atomic_load_n(&pp->ack_seq, __ATOMIC_ACQUIRE) != req) {
		if (__atomic_load_n(&lc->stopped, __ATOMIC_ACQUIRE)) {
			/* The loop ended before it saw the request. */
			if (__atomic_load_n(&pp->ack_seq, __ATOMIC_ACQUIRE) != req)
				apply_here(dp, pp);
			return 0;
		}
		if (rte_get_timer_cycles() > deadline)
			return -EINPROGRESS;
		rte_delay_us_sleep(100);
	}
	rc = pp->ack_rc;
	if (rc == 0)
		pp->conf_ctl = pp->req;
	dp_fl_destroy(pp->fl_free);
	pp->fl_free = NULL;
	return rc;
}

unsigned int
dp_mf_reconfigure_wait_ms(const struct dp *dp)
{
	/* The drain limit, plus time for the lcore to notice and answer. */
	return (unsigned int)(dp_pipe_drain_limit_us(dp) / 1000) + 1000;
}

/* ------------------------------------------------------------------------- */
/* Resizing the rings and the elephant detector (control thread).            */

/* What a resize installs and, once it ran, what it replaced. */
struct dp_pipe_resize_job {
	struct dp_pipe_resize_job *next;	      /* On pp->retired. */
	bool rings;				      /* The rings change. */
	struct dp_pipe_wrings *wr[DP_MF_MAX_WORKERS]; /* Each worker's rings: new, then old. */
	struct rte_ring *own;			      /* The ring to the merge lcore, likewise. */
	struct dp_fl_table *fl;			      /* The detector, likewise. */
};

/*
 * Free a job and whatever it holds: the new rings and detector of a resize
 * that did not happen, or, with @p retired, the old ones of a resize that
 * did, once no lcore can reach them any more.
 */
static void
job_free(struct dp_pipe_resize_job *j, bool retired)
{
	for (uint16_t w = 0; w < DP_MF_MAX_WORKERS; w++)
		wrings_free(j->wr[w], w, retired);
	if (retired && j->own != NULL && rte_ring_count(j->own) != 0)
		DP_LOG(ERR,
		       "resize: %u entries were left on the old ring to the merge lcore; freed",
		       rte_ring_count(j->own));
	ring_free_all(j->own);
	dp_fl_destroy(j->fl);
	free(j);
}

/* Free the resizes whose grace period timed out; a later grace period covers them. */
static void
retired_free(struct dp_pipe *pp)
{
	while (pp->retired != NULL) {
		struct dp_pipe_resize_job *j = pp->retired;

		pp->retired = j->next;
		job_free(j, true);
	}
}

/* Allocate a job's rings: @p size entries each, every ring on the NUMA node of its reader. */
static int
job_rings_new(struct dp *dp, struct dp_pipe_resize_job *j, uint32_t size)
{
	const uint32_t gen = __atomic_fetch_add(&ring_gen, 1, __ATOMIC_RELAXED);

	j->rings = true;
	for (uint16_t w = 0; w < dp->n_workers; w++) {
		j->wr[w] = wrings_new(dp, w, gen, size);
		if (j->wr[w] == NULL)
			return -ENOMEM;
	}
	if (dp->pipe->own != NULL) {
		j->own = ring_new("own", 0, gen, size, lcore_socket(dp->mlc->lcore_id));
		if (j->own == NULL)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Whether the packet pools can feed rings @p grow entries longer. pool_get()
 * (dp_port.c) sized each pool for the pipeline full: per worker its input,
 * output and request rings, and one ring more (to a merge lcore of its own).
 * Longer rings let as many more mbufs sit in flight; unless a pool has them
 * free now, RX could run out of mbufs under load. Every pool is checked, as
 * each was sized for the whole pipeline.
 */
static bool
pools_have_room(const struct dp *dp, uint32_t grow)
{
	const uint64_t extra = (uint64_t)grow * (3u * dp->n_workers + 1u);

	for (unsigned int node = 0; node < RTE_MAX_NUMA_NODES; node++)
		if (dp->pools[node] != NULL && rte_mempool_avail_count(dp->pools[node]) < extra)
			return false;
	return true;
}

/* Entries on the rings in use: none once the pipeline is drained. */
static unsigned int
rings_left(const struct dp *dp, const struct dp_pipe *pp)
{
	unsigned int n = pp->own != NULL ? rte_ring_count(pp->own) : 0;

	for (uint16_t w = 0; w < dp->n_workers; w++)
		n += wrings_count(pp->wr[w]);
	return n;
}

/*
 * On the dispatch lcore with the pipeline drained (or on the control thread
 * when the lcores do not run): install the job's rings and detector, and
 * leave the old ones in the job.
 */
static int
resize_cmd(struct dp *dp, void *arg)
{
	struct dp_pipe_resize_job *j = arg;
	struct dp_pipe *pp = dp->pipe;
	const uint16_t n = dp->n_workers;

	if (j->rings) {
		/*
		 * Drained means every old ring is empty. Rings have a single
		 * consumer, another lcore, so what a bug left there cannot be
		 * moved from here: refuse, and the old rings stay in use with
		 * everything on them.
		 */
		const unsigned int left = rings_left(dp, pp);

		if (unlikely(left != 0)) {
			DP_LOG(ERR,
			       "resize: %u entries on the rings of a drained pipeline; refused",
			       left);
			return -EBUSY;
		}
	}
	if (j->fl != NULL) {
		struct dp_fl_table *old = pp->fl;

		/*
		 * The new detector knows no flow, so no flow keeps its slot.
		 * The drain closed every batch and merged it, so the slots go
		 * without barriers, each keeping its next batch ID in step with
		 * the merger, as apply_conf() does.
		 */
		for (uint16_t i = 0; i < pp->n_open; i++)
			dp_mf_split_close(pp->sp, pp->open_slots[i]);
		dp_mf_split_release_all(pp->sp);
		pp->n_open = 0;
		pp->fl = j->fl;
		j->fl = old;
	}
	if (!j->rings)
		return 0;
	for (uint16_t w = 0; w < n; w++) {
		struct dp_pipe_wrings *old = pp->wr[w], *r = j->wr[w];

		/*
		 * The merger moves to the new output ring when it next reads
		 * it, the worker to all three at its next iteration. Until
		 * then either reads an old ring, empty and with no producer
		 * left, so it misses nothing whatever the order.
		 */
		RTE_VERIFY(dp_mf_merge_set_ring(pp->mg, w, r->out) == 0);
		wrings_set(dp, pp, w, r);
		__atomic_store_n(&pp->wr[w], r, __ATOMIC_RELEASE);
		j->wr[w] = old;
	}
	/* This lcore is the only producer of the input rings: from now on it fills the new ones. */
	RTE_VERIFY(dp_mf_split_set_rings(pp->sp, pp->in, n) == 0);
	if (pp->own != NULL) {
		struct rte_ring *old = pp->own;

		RTE_VERIFY(dp_mf_merge_set_ring(pp->mg, n, j->own) == 0);
		pp->own = j->own;
		pp->out[n] = j->own;
		j->own = old;
	}
	return 0;
}

/* Sizes a resize accepts: 0 (keep), or a power of two from @p min to @p max. */
static bool
size_ok(uint32_t v, uint32_t min, uint32_t max)
{
	return v == 0 || (v >= min && v <= max && rte_is_power_of_2(v));
}

int
dp_pipe_resize(struct dp *dp, const struct dp_pipe_resize_args *a)
{
	struct dp_pipe *pp = dp->pipe;
	const uint32_t ring0 = dp->p.map.ring_size, fl0 = dp->p.map.flow_entries;
	struct dp_pipe_resize_job *j;
	uint32_t ring, fl;
	int rc;

	if (a == NULL || !size_ok(a->ring_size, DP_PIPE_RING_MIN, DP_PIPE_RING_MAX) ||
	    !size_ok(a->flow_entries, DP_PIPE_FLOWS_MIN, DP_PIPE_FLOWS_MAX))
		return -EINVAL;
	ring = a->ring_size != 0 ? a->ring_size : ring0;
	fl = a->flow_entries != 0 ? a->flow_entries : fl0;
	if (ring == ring0 && fl == fl0)
		return 0;
	if (pp == NULL && dp->n_workers == 0)
		return -ENOTSUP;
	if (ring > ring0 && !pools_have_room(dp, ring - ring0))
		return -ENOSPC;
	if (pp == NULL) {
		/* Worker lcores, but no pipeline yet (or any more): it will take these. */
		dp->p.map.ring_size = ring;
		dp->p.map.flow_entries = fl;
		return 0;
	}
	/* A pending dp_mf_reconfigure() would install a detector of the old size. */
	rc = mf_settle(pp);
	if (rc < 0)
		return rc;

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	if (ring != ring0) {
		rc = job_rings_new(dp, j, ring);
		if (rc < 0)
			goto out_free_job;
	}
	if (fl != fl0) {
		/* The settings in force: no request is pending (mf_settle()). */
		j->fl = fl_for(dp, &pp->conf_ctl, fl);
		if (j->fl == NULL) {
			rc = -ENOMEM;
			goto out_free_job;
		}
	}
	rc = dp_cmd_exec(dp, resize_cmd, j, true, dp_cmd_timeout_ms(dp));
	if (rc < 0)
		/* The command did not run, or refused before it changed anything. */
		goto out_free_job;
	dp->p.map.ring_size = ring;
	dp->p.map.flow_entries = fl;
	pp->resizes++;
	DP_LOG(NOTICE, "mflow: ring_size %u -> %u, elephant table %u -> %u", ring0, ring, fl0, fl);
	/* Workers and the merge lcore may hold the old rings until their next grace point. */
	rc = dp_qsbr_sync(dp, dp_cmd_timeout_ms(dp));
	if (rc < 0) {
		/* Better kept than freed under an lcore: a later grace period frees them. */
		DP_LOG(ERR, "resize: an lcore did not report; the old rings are kept for now");
		j->next = pp->retired;
		pp->retired = j;
		return 0;
	}
	retired_free(pp);
	job_free(j, true);
	return 0;

out_free_job:
	job_free(j, false);
	return rc;
}
