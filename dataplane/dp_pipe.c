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
 */
#include <errno.h>
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
		/* Not dispatched, so not part of the order check. */
		dp_mf_tag(out->pkts[i])->flow = 0;
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

/* Hand a worker's output list to the merger, each packet tagged with its output port. */
static void
worker_out_flush(struct vx_out *out)
{
	struct dp_lcore *lc = out->ctx;

	for (uint16_t i = 0; i < out->n; i++)
		out->pkts[i]->port = out->port[i];
	ring_put(lc->dp, lc->out, (void *const *)out->pkts, out->n);
	__atomic_store_n(&lc->out_prod, lc->out_prod + out->n, __ATOMIC_RELEASE);
	out->n = 0;
}

/* Run the VxLAN stage over a run of packets from one port. */
static inline void
worker_run(struct dp *dp, struct dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
	   struct vx_out *out)
{
	const struct dp_port *port = &dp->ports[pkts[0]->port];

	if (port->role == DP_PORT_UNDERLAY)
		vx_underlay_input_w(dp->vx, lc->vw, pkts, n, now, out, &lc->st);
	else
		vx_endpoint_input_w(dp->vx, lc->vw, port->ep, pkts, n, now, out, &lc->st);
}

int
dp_worker_loop(void *arg)
{
	struct dp_lcore *lc = arg;
	struct dp *dp = lc->dp;
	void *e[W_BURST];
	struct vx_out out;
	struct dp_idle idle;

	memset(&out, 0, sizeof(out));
	dp_idle_busy(dp, &idle);
	out.flush = worker_out_flush;
	out.ctx = lc;
	dp_lcore_begin(lc);
	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		unsigned int n, i = 0;
		uint64_t now;

		rte_rcu_qsbr_quiescent(dp->qsbr, lc->qsbr_id);
		n = rte_ring_sc_dequeue_burst(lc->in, e, W_BURST, NULL);
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
				ring_put(dp, lc->out, &e[i], 1);
				__atomic_store_n(&lc->out_prod, lc->out_prod + 1, __ATOMIC_RELEASE);
				i++;
				continue;
			}
			while (j < n && !dp_mf_is_marker(e[j]) &&
			       ((struct rte_mbuf *)e[j])->port == ((struct rte_mbuf *)e[i])->port)
				j++;
			worker_run(dp, lc, (struct rte_mbuf **)&e[i], (uint16_t)(j - i), now, &out);
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

static struct dp_fl_table *
fl_for(const struct dp *dp, const struct dp_mf_conf *c)
{
	uint64_t hz = rte_get_tsc_hz();
	struct dp_fl_params p = {
		.entries = dp->p.map.flow_entries,
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
	return dp_fl_create(&p);
}

static struct rte_ring *
ring_new(const char *what, unsigned int i, uint32_t size, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "mf_%s%u_%d", what, i, (int)getpid() & 0xffff);
	return rte_ring_create(name, size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int
dp_pipe_create(struct dp *dp)
{
	struct dp_pipe *pp;
	const struct dp_lcore_map *map = &dp->p.map;
	int socket = (int)rte_lcore_to_socket_id(dp->lc->lcore_id), rc = -ENOMEM;
	uint16_t n_rings;

	if (dp->n_workers == 0)
		return dp->p.mf.mode == DP_MODE_RTC ? 0 : -ENOTSUP;
	rc = dp_mf_dynfield_register();
	if (rc < 0)
		return rc;
	if (conf_check(dp, &dp->p.mf) < 0 || map->ring_size < 64 ||
	    !rte_is_power_of_2(map->ring_size))
		return -EINVAL;
	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = SOCKET_ID_ANY;
	pp = rte_zmalloc_socket("dp_pipe", sizeof(*pp), RTE_CACHE_LINE_SIZE, socket);
	if (pp == NULL)
		return -ENOMEM;
	dp->pipe = pp;
	rc = -ENOMEM;
	for (uint16_t w = 0; w < dp->n_workers; w++) {
		struct dp_lcore *wl = dp->wlc[w];

		pp->in[w] = ring_new("in", w, map->ring_size, socket);
		pp->out[w] = ring_new("out", w, map->ring_size, socket);
		wl->vw = vx_worker_create(dp->vx, map->ring_size, socket);
		if (pp->in[w] == NULL || pp->out[w] == NULL || wl->vw == NULL)
			goto out_destroy;
		wl->in = pp->in[w];
		wl->out = pp->out[w];
	}
	n_rings = dp->n_workers;
	if (dp->mlc != dp->lc) {
		pp->own = ring_new("own", 0, map->ring_size, socket);
		if (pp->own == NULL)
			goto out_destroy;
		pp->out[n_rings++] = pp->own;
	}
	pp->sp = dp_mf_split_create(pp->in, dp->n_workers, dp->p.mf.batch_size,
				    (enum dp_mf_pick)dp->p.mf.pick);
	pp->timeout_tsc = rte_get_tsc_hz() * dp->p.mf.merge_timeout_us / 1000000;
	pp->mg = dp_mf_merge_create(pp->out, n_rings, pp->timeout_tsc);
	pp->fl = fl_for(dp, &dp->p.mf);
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
		ring_free_all(pp->in[w]);
		ring_free_all(pp->out[w]);
		if (dp->wlc[w] != NULL) {
			vx_worker_destroy(dp->wlc[w]->vw);
			dp->wlc[w]->vw = NULL;
			dp->wlc[w]->in = NULL;
			dp->wlc[w]->out = NULL;
		}
	}
	ring_free_all(pp->own);
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
	if (__atomic_load_n(&pp->req_seq, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&pp->ack_seq, __ATOMIC_ACQUIRE))
		return -EBUSY;
	/* The previous request is acknowledged: what it left behind is ours. */
	if (pp->req_seq != 0 && pp->ack_rc == 0)
		pp->conf_ctl = pp->req;
	dp_fl_destroy(pp->fl_free);
	pp->fl_free = NULL;
	pp->req_fl = fl_for(dp, c);
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
