/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run-to-completion datapath loop.
 *
 * Each iteration polls every port for a burst, hands the burst to the VxLAN
 * stage for its role, and queues the results on per-port TX buffers. Every
 * drain period the buffers are flushed and the VxLAN timers run. After
 * idle_polls empty iterations the loop sleeps between polls, idle_sleep_us
 * at first and twice as long each time up to idle_sleep_max_us, until
 * traffic returns, so an idle appliance does not burn its core.
 * Packets that arrive during a sleep wait in the RX rings.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_atomic.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dp_pipe_priv.h"

void
dp_out_to_tx(struct dp *dp, struct dp_lcore *tx, struct vx_out *out)
{
	for (uint16_t i = 0; i < out->n; i++) {
		uint16_t pi = out->port[i];

		rte_eth_tx_buffer(dp->ports[pi].port_id, 0, tx->txb[pi], out->pkts[i]);
	}
	tx->st.stat[VX_STAT_tx_pkts] += out->n;
	out->n = 0;
}

/*
 * Send the dispatch lcore's output: on its own TX buffers, or to the merge
 * lcore when that one transmits.
 */
static inline void
out_send(struct dp *dp, struct vx_out *out)
{
	if (out->n == 0)
		return;
	if (dp->mlc == dp->lc)
		dp_out_to_tx(dp, dp->lc, out);
	else
		dp_pipe_own_push(dp, out);
}

/* vx_out flush callback: the list filled up in the middle of a burst. */
static void
out_flush_cb(struct vx_out *out)
{
	out_send(out->ctx, out);
}

void
dp_tx_flush_all(struct dp *dp, struct dp_lcore *tx)
{
	const uint16_t n = __atomic_load_n(&dp->n_ports, __ATOMIC_ACQUIRE);

	if (tx != dp->mlc)
		return;
	for (uint16_t i = 0; i < n; i++)
		if (__atomic_load_n(&dp->ports[i].active, __ATOMIC_ACQUIRE))
			rte_eth_tx_buffer_flush(dp->ports[i].port_id, 0, tx->txb[i]);
}

void
dp_cmd_run(struct dp *dp, int fail)
{
	uint32_t posted = DP_CMD_POSTED;

	/* The control thread may have withdrawn it after a timeout. */
	if (!__atomic_compare_exchange_n(&dp->cmd.state, &posted, DP_CMD_TAKEN, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	dp->cmd.rc = fail != 0 ? fail : dp->cmd.fn(dp, dp->cmd.arg);
	__atomic_store_n(&dp->cmd.state, DP_CMD_DONE, __ATOMIC_RELEASE);
}

/* A port attached to no VNI: its frames have nowhere to go. */
static void
drop_unattached(struct dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
	lc->st.drop[VX_DROP_port_unattached] += n;
}

/* Copy the tables for the control thread. Runs on the datapath lcore. */
static int
snap_fdb_cb(const struct vx_fdb_entry *e, void *arg)
{
	struct dp_snapshot *s = arg;

	s->fdb[s->n_fdb++] = *e;
	/* Stop the walk once full: it runs on the datapath lcore. */
	return s->n_fdb == DP_SNAP_FDB;
}

static void
snap_take(struct dp *dp)
{
	struct dp_snapshot *s = dp->snap;
	const struct vx_inst *vx = dp->vx;

	s->n_fdb = 0;
	s->fdb_total = vx_fdb_count(vx->fdb);
	vx_fdb_walk(vx->fdb, snap_fdb_cb, s);
	s->n_neigh = RTE_MIN((unsigned int)vx->n_neigh, (unsigned int)RTE_DIM(s->neigh));
	memcpy(s->neigh, vx->neigh, sizeof(s->neigh[0]) * s->n_neigh);
	for (unsigned int i = 0; i < s->n_neigh; i++)
		memset(s->neigh[i].hold, 0, sizeof(s->neigh[i].hold));
}

void
dp_idle_sleep(const struct dp *dp, struct dp_lcore *lc, struct dp_idle *s)
{
	const uint32_t us = s->sleep_us,
		       cap = RTE_MAX(__atomic_load_n(&dp->p.idle_sleep_max_us, __ATOMIC_RELAXED),
				     __atomic_load_n(&dp->p.idle_sleep_us, __ATOMIC_RELAXED));
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	nanosleep(&ts, NULL);
	s->sleep_us = RTE_MIN(us * 2, cap);
	s->polls = __atomic_load_n(&dp->p.idle_polls, __ATOMIC_RELAXED);
	lc->idle_sleeps++;
}

void
dp_lcore_begin(struct dp_lcore *lc)
{
	struct rte_rcu_qsbr *v = lc->dp->qsbr;

	if (v != NULL) {
		rte_rcu_qsbr_thread_register(v, lc->qsbr_id);
		rte_rcu_qsbr_thread_online(v, lc->qsbr_id);
	}
	lc->thread = pthread_self();
	lc->start_tsc = rte_rdtsc();
	lc->stop_tsc = 0;
	lc->cpu_ns_final = -1;
	__atomic_store_n(&lc->running, true, __ATOMIC_RELEASE);
}

void
dp_lcore_end(struct dp_lcore *lc)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		lc->cpu_ns_final = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	lc->stop_tsc = rte_rdtsc();
	if (lc->dp->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(lc->dp->qsbr, lc->qsbr_id);
		rte_rcu_qsbr_thread_unregister(lc->dp->qsbr, lc->qsbr_id);
	}
	__atomic_store_n(&lc->running, false, __ATOMIC_RELEASE);
	/* From here on this lcore no longer touches the tables. */
	__atomic_store_n(&lc->stopped, true, __ATOMIC_RELEASE);
}

int
dp_loop(void *arg)
{
	struct dp *dp = arg;
	struct dp_lcore *lc = dp->lc;
	struct dp_pipe *pp = dp->pipe;
	struct vx_inst *vx = dp->vx;
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct vx_out out;
	const bool merge_here = dp->mlc == lc;
	uint64_t last_drain, now;
	struct dp_idle idle;

	out.n = 0;
	out.flush = out_flush_cb;
	out.ctx = dp;
	dp_idle_busy(dp, &idle);
	dp_lcore_begin(lc);
	last_drain = lc->start_tsc;

	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		/* Both may change at run time (dp_tune(), applied on this lcore). */
		const uint64_t drain = dp->drain_tsc;
		const uint16_t burst = dp->p.burst;
		unsigned int got = 0, merged = 0;
		uint16_t n_ports;
		bool hold_rx = false;
		uint8_t mode = DP_MODE_RTC;

		/* Nothing from the previous iteration is held: a grace point. */
		rte_rcu_qsbr_quiescent(dp->qsbr, lc->qsbr_id);
		now = rte_rdtsc();
		if (pp != NULL) {
			hold_rx = dp_pipe_service(dp, now, &out);
			out_send(dp, &out);
			mode = pp->conf.mode;
		}
		/* Commands that need no drain run here, between two polls. */
		if (unlikely(__atomic_load_n(&dp->cmd.state, __ATOMIC_ACQUIRE) == DP_CMD_POSTED) &&
		    (pp == NULL || !dp->cmd.drain))
			dp_cmd_run(dp, 0);
		n_ports = __atomic_load_n(&dp->n_ports, __ATOMIC_ACQUIRE);
		for (uint16_t pi = 0; pi < n_ports && !hold_rx; pi++) {
			const struct dp_port *port = &dp->ports[pi];
			uint16_t n;

			if (!__atomic_load_n(&port->active, __ATOMIC_ACQUIRE))
				continue;
			/* Leave packets in the RX ring rather than drop them when a worker lags. */
			if (mode != DP_MODE_RTC && !dp_mf_split_has_room(pp->sp, burst)) {
				pp->backpressure++;
				break;
			}
			n = rte_eth_rx_burst(port->port_id, 0, pkts, burst);
			if (n == 0)
				continue;
			got += n;
			if (unlikely(port->ep == VX_NONE) && port->role == DP_PORT_ENDPOINT)
				drop_unattached(lc, pkts, n);
			else if (mode != DP_MODE_RTC)
				dp_pipe_dispatch(dp, pi, pkts, n, now, &out);
			else if (port->role == DP_PORT_UNDERLAY)
				vx_underlay_input(vx, pkts, n, now, &out, &lc->st);
			else
				vx_endpoint_input(vx, port->ep, pkts, n, now, &out, &lc->st);
			out_send(dp, &out);
		}
		if (pp != NULL) {
			uint64_t full = dp_mf_split_stats(pp->sp)->ring_full;

			/* Packets the splitter could not queue count as drops of this lcore. */
			if (unlikely(full != pp->ring_full_seen)) {
				lc->st.drop[VX_DROP_mf_ring_full] += full - pp->ring_full_seen;
				pp->ring_full_seen = full;
			}
			dp_mf_split_flush(pp->sp);
			if (merge_here)
				merged = dp_pipe_merge_tx(dp, lc, now);
		}

		if (now - last_drain >= drain) {
			vx_timer(vx, now, &out, &lc->st);
			out_send(dp, &out);
			if (pp != NULL)
				dp_pipe_tick(dp, now, drain);
			dp_tx_flush_all(dp, lc);
			last_drain = now;
			if (unlikely(__atomic_load_n(&lc->snap_req, __ATOMIC_ACQUIRE) !=
				     lc->snap_done)) {
				snap_take(dp);
				__atomic_store_n(&lc->snap_done, lc->snap_req, __ATOMIC_RELEASE);
			}
		}

		/*
		 * Below line rate a burst comes back short: send what we have
		 * now rather than at the next drain, which would add up to
		 * drain_us of latency. At line rate the buffers fill and go out
		 * as full bursts.
		 */
		if ((got != 0 && got < burst) || (merged != 0 && merged < burst))
			dp_tx_flush_all(dp, lc);
		lc->pkts += got;
		if (got != 0 || merged != 0) {
			dp_idle_busy(dp, &idle);
			lc->busy_tsc += rte_rdtsc() - now;
		} else if (dp_idle_due(dp, &idle) && (pp == NULL || dp_pipe_idle(dp))) {
			/* Nothing may wait in a buffer while we sleep. */
			dp_tx_flush_all(dp, lc);
			dp_idle_sleep(dp, lc, &idle);
		}
	}
	dp_tx_flush_all(dp, lc);
	dp_lcore_end(lc);
	return 0;
}

void
dp_launched(struct dp *dp)
{
	__atomic_store_n(&dp->lc->launched, true, __ATOMIC_RELEASE);
}

int
dp_qsbr_sync(struct dp *dp, unsigned int timeout_ms)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	uint64_t token;

	if (dp->qsbr == NULL)
		return 0;
	token = rte_rcu_qsbr_start(dp->qsbr);
	while (rte_rcu_qsbr_check(dp->qsbr, token, false) == 0) {
		if (rte_get_timer_cycles() > deadline)
			return -ETIMEDOUT;
		rte_delay_us_sleep(50);
	}
	return 0;
}

int
dp_snapshot(struct dp *dp, unsigned int timeout_ms)
{
	struct dp_lcore *lc = dp->lc;
	uint32_t req;
	uint64_t deadline;

	/* Before the launch and after the loop ended nobody else touches the tables. */
	if (!__atomic_load_n(&lc->launched, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&lc->stopped, __ATOMIC_ACQUIRE)) {
		snap_take(dp);
		return 0;
	}
	req = __atomic_add_fetch(&lc->snap_req, 1, __ATOMIC_ACQ_REL);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	while (__atomic_load_n(&lc->snap_done, __ATOMIC_ACQUIRE) != req) {
		if (__atomic_load_n(&lc->stopped, __ATOMIC_ACQUIRE)) {
			snap_take(dp);
			return 0;
		}
		if (rte_get_timer_cycles() > deadline)
			return -ETIMEDOUT;
		rte_delay_us_sleep(200);
	}
	return 0;
}
