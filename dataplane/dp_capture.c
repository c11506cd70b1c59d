/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture to pcap files (dp_capture.h).
 *
 * A capture is a set of ethdev callbacks on queue 0 of its ports, a ring, a
 * mempool of its own and a writer thread. The callbacks run on the datapath
 * lcores inside rte_eth_rx_burst() (the dispatch lcore) and
 * rte_eth_tx_burst() (the merge lcore): they copy each frame they keep into
 * the capture's pool, truncated to the snap length, with the TSC and the
 * frame's length in the copy's private area, and put the copies on the
 * ring (multi-producer, single consumer). They never wait: a copy that
 * finds the pool empty or the ring full is freed and counted as lost. The
 * writer thread takes the copies off the ring, writes them with libpcap and
 * frees them.
 *
 * Mbuf ownership. The callbacks never take or change the frames of the
 * burst; the copies belong to the capture from their allocation, pass to
 * the ring, then to the writer, which frees them. Copies still on the ring
 * when the capture ends are freed by the control thread.
 *
 * Ending. The control thread removes the callbacks, waits for a grace
 * period of the datapath lcores (dp_qsbr_sync()), after which no lcore is
 * inside a callback any more, tells the writer to stop, joins it (it first
 * writes what is queued), and frees the callbacks, the ring and the pool.
 * The record of the capture (its counters and limits) is kept for
 * dp_capture_json() among the last DP_CAPTURE_MAX finished ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_capture.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dp: capture: " fmt "\n", ##__VA_ARGS__)

/* Frames a callback copies before it queues them, and the writer's batch. */
#define CAP_CHUNK 32
/* Bounds and default of dp_capture_args.queue. */
#define CAP_QUEUE_DEFAULT 4096u
#define CAP_QUEUE_MIN	  16u
#define CAP_QUEUE_MAX	  (1u << 20)
/* Bounds and default of dp_capture_args.snaplen. */
#define CAP_SNAPLEN_MIN 64u
#define CAP_SNAPLEN_MAX 65535u
/* Ports one capture follows at most: the underlay and the endpoints of a VNI. */
#define CAP_MAX_PORTS (VX_VNI_MAX_EPS + 1)
/* A grace period is waited for this long, this many times, before giving up. */
#define CAP_SYNC_MS    1000u
#define CAP_SYNC_TRIES 5
/* How long the writer sleeps when the ring is empty. */
#define CAP_IDLE_NS 1000000L

/* What a callback records about a copy, in the copy's private area. */
struct cap_meta {
	uint64_t tsc; /* When the burst was seen. */
	uint32_t len; /* Length of the frame on the wire (the copy may be shorter). */
	uint32_t pad;
};

/* One port a capture follows, with its callbacks (NULL when not installed). */
struct cap_port {
	uint16_t pi;				/* Index in dp->ports. */
	uint16_t port_id;			/* Its ethdev. */
	const struct rte_eth_rxtx_callback *rx; /* The RX callback. */
	const struct rte_eth_rxtx_callback *tx; /* The TX callback. */
	char name[VX_NAME_LEN];			/* The port's name, for the record. */
};

/* One capture, running or finished. */
struct dp_capture {
	/* Set before the callbacks are installed; read by the callbacks. */
	struct rte_ring *ring;	  /* Copies for the writer. */
	struct rte_mempool *pool; /* Where the copies come from. */
	uint64_t count;		  /* Packets to write; 0 = no limit. */
	uint64_t deadline;	  /* TSC when the capture ends; 0 = no time limit. */
	uint32_t snaplen;	  /* Bytes kept per frame. */
	uint32_t vni;		  /* The VNI, for a VNI capture. */
	struct vx_parse_cfg pcfg; /* The local VTEP, to recognise VxLAN for us. */

	/* Written by the callbacks (atomics). */
	uint64_t queued __rte_cache_aligned; /* Copies queued (only kept with a count limit). */
	uint64_t lost;			     /* Copies the pool or the ring had no room for. */

	/* Written by the writer thread (atomics where the control thread reads them). */
	uint64_t packets __rte_cache_aligned; /* Frames written. */
	uint64_t bytes;			      /* Their lengths on the wire. */
	int err;			      /* errno of a failed write, 0 if none. */
	bool finished;			      /* The writer has closed the file and returned. */
	pcap_t *pd;			      /* The libpcap handle the dumper belongs to. */
	pcap_dumper_t *dumper;		      /* The open file; NULL once closed. */
	uint8_t *buf;			      /* Linearises multi-segment copies. */
	uint64_t base_ns;		      /* CLOCK_REALTIME at base_tsc, in ns. */
	uint64_t base_tsc;		      /* TSC when the capture started. */
	uint64_t hz;			      /* TSC frequency. */

	/* Control thread only (stop is read by the writer). */
	bool stop;	  /* Set to stop the writer once the ring is empty. */
	bool running;	  /* Not finished and reaped yet. */
	bool leaked;	  /* No grace period came: the datapath may still see it. */
	bool has_vni;	  /* A VNI capture; else a port capture. */
	bool created;	  /* We created the file (removed again if the start fails). */
	bool has_thread;  /* thread is to be joined. */
	unsigned int id;  /* The ID given to the caller. */
	unsigned int dir; /* DP_CAP_RX | DP_CAP_TX. */
	uint32_t seconds; /* The time limit asked for. */
	uint32_t queue;	  /* Ring capacity. */
	char *file;	  /* Path of the pcap file. */
	pthread_t thread; /* The writer. */
	uint16_t n_ports; /* Ports followed; for a VNI capture, ports[0] is the underlay. */
	struct cap_port ports[CAP_MAX_PORTS];
};

/* The capture state of a dataplane (dp->cap). */
struct dp_cap {
	unsigned int next_id;			 /* The ID of the next capture. */
	unsigned int n_run;			 /* Running captures. */
	struct dp_capture *run[DP_CAPTURE_MAX];	 /* Running captures, by start. */
	unsigned int n_done;			 /* Finished captures kept. */
	struct dp_capture *done[DP_CAPTURE_MAX]; /* Finished captures, oldest first. */
	struct dp_capture *busy[DP_MAX_PORTS];	 /* The capture following each port. */
};

/* Names of rings, pools and threads must be unique in the process, across dataplanes. */
static uint32_t cap_seq;

/* ------------------------------------------------------------------------- */
/* Datapath: the callbacks.                                                  */

/*
 * Take up to @p k of the copies allowed by the count limit.
 *
 * @return
 *   How many may be queued.
 */
static inline unsigned int
cap_reserve(struct dp_capture *c, unsigned int k)
{
	uint64_t q, want;

	if (c->count == 0)
		return k;
	q = __atomic_load_n(&c->queued, __ATOMIC_RELAXED);
	do {
		if (q >= c->count)
			return 0;
		want = RTE_MIN((uint64_t)k, c->count - q);
	} while (!__atomic_compare_exchange_n(&c->queued, &q, q + want, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return (unsigned int)want;
}

/*
 * Is @p m VxLAN of the capture's VNI for the local VTEP? Malformed frames
 * and frames split before the inner frame are not. On success @p off and
 * @p len receive the place and length of the inner frame.
 */
static inline bool
cap_vni_match(const struct dp_capture *c, const struct rte_mbuf *m, uint32_t *off, uint32_t *len)
{
	struct vx_parsed r;

	if (vx_parse_underlay(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			      rte_pktmbuf_pkt_len(m), &c->pcfg, &r) != VX_CLASS_VXLAN ||
	    r.vni != c->vni)
		return false;
	*off = r.outer_len;
	*len = r.inner_len;
	return true;
}

/*
 * Copy the frames of a burst the capture keeps and queue the copies. The
 * burst itself is neither taken nor changed.
 */
static inline void
cap_take(struct dp_capture *c, struct rte_mbuf **pkts, uint16_t n, bool vni)
{
	struct rte_mbuf *cp[CAP_CHUNK];
	uint64_t now;
	uint16_t i = 0;

	if (c->count != 0 && __atomic_load_n(&c->queued, __ATOMIC_RELAXED) >= c->count)
		return;
	now = rte_get_tsc_cycles();
	if (c->deadline != 0 && now >= c->deadline)
		return;
	while (i < n) {
		unsigned int k = 0, failed = 0, take, q;

		for (; i < n && k < CAP_CHUNK; i++) {
			struct rte_mbuf *m = pkts[i], *x;
			uint32_t off = 0, len = rte_pktmbuf_pkt_len(m);
			struct cap_meta *meta;

			if (vni && !cap_vni_match(c, m, &off, &len))
				continue;
			x = rte_pktmbuf_copy(m, c->pool, off, RTE_MIN(len, c->snaplen));
			if (unlikely(x == NULL)) {
				failed++;
				continue;
			}
			meta = rte_mbuf_to_priv(x);
			meta->tsc = now;
			meta->len = len;
			cp[k++] = x;
		}
		if (unlikely(failed != 0))
			__atomic_fetch_add(&c->lost, failed, __ATOMIC_RELAXED);
		if (k == 0)
			continue;
		take = cap_reserve(c, k);
		/* Copies past the count limit are not lost: they were never to be written. */
		if (take < k)
			rte_pktmbuf_free_bulk(cp + take, k - take);
		q = take == 0 ? 0 : rte_ring_mp_enqueue_burst(c->ring, (void **)cp, take, NULL);
		if (unlikely(q < take)) {
			rte_pktmbuf_free_bulk(cp + q, take - q);
			__atomic_fetch_add(&c->lost, take - q, __ATOMIC_RELAXED);
			/* Give the places back: later frames may take them. */
			if (c->count != 0)
				__atomic_fetch_sub(&c->queued, take - q, __ATOMIC_RELAXED);
		}
		if (take < k)
			return;
	}
}

static uint16_t
cap_rx_cb(uint16_t port_id, uint16_t queue, struct rte_mbuf *pkts[], uint16_t nb_pkts,
	  uint16_t max_pkts, void *arg)
{
	RTE_SET_USED(port_id);
	RTE_SET_USED(queue);
	RTE_SET_USED(max_pkts);
	cap_take(arg, pkts, nb_pkts, false);
	return nb_pkts;
}

static uint16_t
cap_tx_cb(uint16_t port_id, uint16_t queue, struct rte_mbuf *pkts[], uint16_t nb_pkts, void *arg)
{
	RTE_SET_USED(port_id);
	RTE_SET_USED(queue);
	cap_take(arg, pkts, nb_pkts, false);
	return nb_pkts;
}

/* The underlay of a VNI capture: only the inner frames of the VNI. */
static uint16_t
cap_vni_rx_cb(uint16_t port_id, uint16_t queue, struct rte_mbuf *pkts[], uint16_t nb_pkts,
	      uint16_t max_pkts, void *arg)
{
	RTE_SET_USED(port_id);
	RTE_SET_USED(queue);
	RTE_SET_USED(max_pkts);
	cap_take(arg, pkts, nb_pkts, true);
	return nb_pkts;
}

/* ------------------------------------------------------------------------- */
/* The writer thread.                                                        */

static void
cap_set_err(struct dp_capture *c, int err)
{
	if (__atomic_load_n(&c->err, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&c->err, err, __ATOMIC_RELAXED);
}

/* Write one copy to the file and free it (ownership of @p m passes here). */
static void
cap_write(struct dp_capture *c, struct rte_mbuf *m)
{
	const struct cap_meta *meta = rte_mbuf_to_priv(m);
	const uint32_t caplen = rte_pktmbuf_pkt_len(m);
	struct pcap_pkthdr h;
	const void *data;
	uint64_t d, ns;

	if (__atomic_load_n(&c->err, __ATOMIC_RELAXED) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	/* Nanoseconds since the start, without overflow for any TSC rate. */
	d = meta->tsc > c->base_tsc ? meta->tsc - c->base_tsc : 0;
	ns = c->base_ns + d / c->hz * 1000000000ull + d % c->hz * 1000000000ull / c->hz;
	h.ts.tv_sec = (time_t)(ns / 1000000000ull);
	/* A dumper opened with nanosecond precision takes nanoseconds here. */
	h.ts.tv_usec = (suseconds_t)(ns % 1000000000ull);
	h.caplen = caplen;
	h.len = meta->len;
	data = rte_pktmbuf_read(m, 0, caplen, c->buf);
	if (data != NULL) {
		pcap_dump((u_char *)c->dumper, &h, data);
		__atomic_store_n(&c->packets, c->packets + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->bytes, c->bytes + meta->len, __ATOMIC_RELAXED);
	}
	rte_pktmbuf_free(m);
}

/* Flush and close the file; nothing happens when it is closed already. */
static void
cap_file_close(struct dp_capture *c)
{
	if (c->dumper != NULL) {
		if (pcap_dump_flush(c->dumper) != 0)
			cap_set_err(c, EIO);
		pcap_dump_close(c->dumper);
		c->dumper = NULL;
	}
	if (c->pd != NULL) {
		pcap_close(c->pd);
		c->pd = NULL;
	}
}

/*
 * Write what the callbacks queue until the count is written, a write fails,
 * or the control thread says stop and the ring is empty. Then close the
 * file. The file is flushed whenever the ring runs empty.
 *
 * The stop flag is read before the dequeue that finds the ring empty. The
 * control thread sets it after the grace period that follows the removal of
 * the callbacks, so every copy they queued is on the ring before the flag is
 * set: a dequeue made after the flag was seen gets all of them. Read after
 * that dequeue instead, the flag could have been set (and the ring filled)
 * in between, and the copies would be freed unwritten by cap_release().
 *
 * The time limit does not end the writer for the same reason: a callback
 * that read the TSC before the deadline may queue its copies after it, and
 * only a grace period tells when none can any more. dp_capture_poll() ends
 * the capture at the deadline through cap_end(), which waits for one.
 */
static void *
cap_writer(void *arg)
{
	struct dp_capture *c = arg;
	const struct timespec idle = {.tv_sec = 0, .tv_nsec = CAP_IDLE_NS};
	struct rte_mbuf *ms[CAP_CHUNK];
	bool dirty = false;

	for (;;) {
		/* First the flag, then the dequeue (see above). */
		const bool stop = __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
		unsigned int n = rte_ring_sc_dequeue_burst(c->ring, (void **)ms, RTE_DIM(ms), NULL);

		for (unsigned int i = 0; i < n; i++)
			cap_write(c, ms[i]);
		dirty |= n != 0;
		if (n != 0 && ferror(pcap_dump_file(c->dumper)))
			cap_set_err(c, EIO);
		if (__atomic_load_n(&c->err, __ATOMIC_RELAXED) != 0 ||
		    (c->count != 0 && c->packets >= c->count))
			break;
		if (n == 0) {
			if (stop)
				break;
			/* Idle: let readers of the file see what was written. */
			if (dirty) {
				if (pcap_dump_flush(c->dumper) != 0) {
					cap_set_err(c, EIO);
					break;
				}
				dirty = false;
			}
			nanosleep(&idle, NULL);
		}
	}
	cap_file_close(c);
	if (__atomic_load_n(&c->err, __ATOMIC_RELAXED) != 0)
		DP_LOG(ERR, "%u: cannot write %s", c->id, c->file);
	__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* Control thread.                                                           */

/* Free a capture record and whatever it still holds; NULL is accepted. */
static void
cap_free(struct dp_capture *c)
{
	if (c == NULL)
		return;
	free(c->file);
	free(c->buf);
	rte_free(c);
}

/* Free the ring, what it still holds, and the pool. */
static void
cap_release(struct dp_capture *c)
{
	void *m;

	if (c->ring != NULL) {
		while (rte_ring_dequeue(c->ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(c->ring);
		c->ring = NULL;
	}
	rte_mempool_free(c->pool);
	c->pool = NULL;
	free(c->buf);
	c->buf = NULL;
}

/*
 * Wait for a grace period of the datapath lcores.
 *
 * @return
 *   true once no lcore can be inside a callback removed before the call.
 */
static bool
cap_grace(struct dp *dp)
{
	for (int t = 1; t <= CAP_SYNC_TRIES; t++) {
		if (dp_qsbr_sync(dp, CAP_SYNC_MS) == 0)
			return true;
		DP_LOG(WARNING, "no grace period after %u ms", t * CAP_SYNC_MS);
	}
	return false;
}

/* Unhook the callbacks of a port; they are freed by cap_port_free() after a grace period. */
static void
cap_port_unhook(struct cap_port *p)
{
	if (p->rx != NULL && rte_eth_remove_rx_callback(p->port_id, 0, p->rx) != 0) {
		/* Not in the list (the port is gone): leave it, it may still be referenced. */
		DP_LOG(WARNING, "%s: cannot remove the RX callback", p->name);
		p->rx = NULL;
	}
	if (p->tx != NULL && rte_eth_remove_tx_callback(p->port_id, 0, p->tx) != 0) {
		DP_LOG(WARNING, "%s: cannot remove the TX callback", p->name);
		p->tx = NULL;
	}
}

/* Free the unhooked callbacks of a port (DPDK leaves that to us). */
static void
cap_port_free(struct cap_port *p)
{
	rte_free((void *)(uintptr_t)p->rx);
	rte_free((void *)(uintptr_t)p->tx);
	p->rx = NULL;
	p->tx = NULL;
}

/* Keep a finished capture's record, dropping the oldest one beyond DP_CAPTURE_MAX. */
static void
cap_keep_done(struct dp_cap *s, struct dp_capture *c)
{
	if (s->n_done == DP_CAPTURE_MAX) {
		/* A record the datapath may still reach (leaked) is never freed. */
		if (!s->done[0]->leaked)
			cap_free(s->done[0]);
		memmove(&s->done[0], &s->done[1], (DP_CAPTURE_MAX - 1) * sizeof(s->done[0]));
		s->n_done--;
	}
	s->done[s->n_done++] = c;
}

/*
 * End a running capture: remove its callbacks, let the writer write what is
 * queued and close the file, free the ring and the pool, and keep the
 * record among the finished ones.
 */
static void
cap_end(struct dp *dp, struct dp_capture *c)
{
	struct dp_cap *s = dp->cap;
	bool safe;

	for (uint16_t i = 0; i < c->n_ports; i++)
		cap_port_unhook(&c->ports[i]);
	safe = cap_grace(dp);
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	if (c->has_thread) {
		pthread_join(c->thread, NULL);
		c->has_thread = false;
	}
	cap_file_close(c);
	for (uint16_t i = 0; i < c->n_ports; i++) {
		if (s->busy[c->ports[i].pi] == c)
			s->busy[c->ports[i].pi] = NULL;
		if (safe)
			cap_port_free(&c->ports[i]);
	}
	if (safe) {
		cap_release(c);
	} else {
		/* Better a leak than freeing what a stuck lcore may still use. */
		c->leaked = true;
		DP_LOG(ERR, "%u: an lcore does not report quiescent states; leaking the capture",
		       c->id);
	}
	c->running = false;
	for (unsigned int i = 0; i < s->n_run; i++) {
		if (s->run[i] != c)
			continue;
		memmove(&s->run[i], &s->run[i + 1], (s->n_run - i - 1) * sizeof(s->run[0]));
		s->n_run--;
		break;
	}
	cap_keep_done(s, c);
}

/* Check the arguments of a start. */
static int
cap_check_args(const struct dp_capture_args *a)
{
	if ((a->port != NULL) == a->has_vni)
		return -EINVAL;
	if (a->has_vni && (a->vni > VX_VNI_MAX || a->dir != 0))
		return -EINVAL;
	if (a->file == NULL || a->file[0] == '\0')
		return -EINVAL;
	if (a->count == 0 && a->seconds == 0)
		return -EINVAL;
	if (a->snaplen != 0 && (a->snaplen < CAP_SNAPLEN_MIN || a->snaplen > CAP_SNAPLEN_MAX))
		return -EINVAL;
	if ((a->dir & ~(DP_CAP_RX | DP_CAP_TX)) != 0)
		return -EINVAL;
	if (a->queue != 0 && (a->queue < CAP_QUEUE_MIN || a->queue > CAP_QUEUE_MAX))
		return -EINVAL;
	return 0;
}

/* Add port @p pi to the ports a capture follows. */
static void
cap_add_port(struct dp *dp, struct dp_capture *c, uint16_t pi)
{
	struct cap_port *p = &c->ports[c->n_ports++];

	p->pi = pi;
	p->port_id = dp->ports[pi].port_id;
	snprintf(p->name, sizeof(p->name), "%s", dp->ports[pi].name);
}

/*
 * Find the ports a capture follows: the port, or the underlay and the
 * endpoint ports attached to the VNI now.
 *
 * @return
 *   0, -ENOENT for an unknown port or VNI, -EBUSY if a port is captured.
 */
static int
cap_resolve(struct dp *dp, const struct dp_capture_args *a, struct dp_capture *c)
{
	int pi;

	if (!a->has_vni) {
		pi = dp_port_find(dp, a->port);
		if (pi < 0)
			return -ENOENT;
		cap_add_port(dp, c, (uint16_t)pi);
	} else {
		const struct vx_inst *vx = dp->vx;
		const struct vx_vni *v;
		int vi;

		/*
		 * Only the control thread changes VNIs and endpoints, through the
		 * dispatch lcore, and it waits for each change: nothing changes
		 * while we read.
		 */
		if (vx == NULL || (vi = vx_vni_find(vx, a->vni)) < 0)
			return -ENOENT;
		pi = vx->p.underlay_port;
		if (pi >= dp->n_ports || dp->ports[pi].name[0] == '\0')
			return -ENOENT;
		c->pcfg = vx->pcfg;
		cap_add_port(dp, c, (uint16_t)pi);
		v = &vx->vnis[vi];
		for (uint16_t k = 0; k < v->n_eps && k < VX_VNI_MAX_EPS; k++) {
			uint16_t e = v->eps[k], epi;

			if (e >= vx->n_eps || vx->eps[e].name[0] == '\0')
				continue;
			epi = vx->eps[e].port;
			if (epi >= dp->n_ports || dp->ports[epi].name[0] == '\0' ||
			    dp->ports[epi].role != DP_PORT_ENDPOINT || dp->ports[epi].ep != e)
				continue;
			cap_add_port(dp, c, epi);
		}
	}
	for (uint16_t i = 0; i < c->n_ports; i++)
		if (dp->cap->busy[c->ports[i].pi] != NULL)
			return -EBUSY;
	return 0;
}

/* Create the ring and the pool of the copies. */
static int
cap_alloc(struct dp *dp, struct dp_capture *c)
{
	const uint32_t seq = __atomic_fetch_add(&cap_seq, 1, __ATOMIC_RELAXED);
	/* The ring full, a chunk in each of two callbacks, and the writer's batch. */
	const uint32_t n = c->queue + 3 * CAP_CHUNK;
	int socket = dp->ports[c->ports[0].pi].socket;
	char name[RTE_MEMPOOL_NAMESIZE];

	c->buf = malloc(c->snaplen);
	if (c->buf == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "dpcap_r%" PRIu32, seq);
	c->ring = rte_ring_create(name, c->queue, socket, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (c->ring == NULL)
		c->ring = rte_ring_create(name, c->queue, SOCKET_ID_ANY,
					  RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (c->ring == NULL)
		goto out_buf;
	snprintf(name, sizeof(name), "dpcap_p%" PRIu32, seq);
	c->pool = rte_pktmbuf_pool_create(name, n, 0,
					  RTE_ALIGN(sizeof(struct cap_meta), RTE_MBUF_PRIV_ALIGN),
					  RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (c->pool == NULL)
		c->pool = rte_pktmbuf_pool_create(
			name, n, 0, RTE_ALIGN(sizeof(struct cap_meta), RTE_MBUF_PRIV_ALIGN),
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (c->pool == NULL)
		goto out_ring;
	return 0;

out_ring:
	rte_ring_free(c->ring);
	c->ring = NULL;
out_buf:
	free(c->buf);
	c->buf = NULL;
	return -ENOMEM;
}

/*
 * Open the path for writing. A regular file or a symbolic link there is
 * replaced by a new regular file (mode 0640 less the umask): it is removed
 * first, so that a link is never followed. A device or a FIFO (/dev/null,
 * a pipe to a live reader) is written in place; a FIFO must have a reader.
 *
 * @return
 *   The file descriptor, or the -errno of creating or opening the file.
 */
static int
cap_path_open(struct dp_capture *c)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = open(c->file, flags, 0640);
	if (fd >= 0) {
		c->created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -errno;
	if (lstat(c->file, &st) != 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
		if (unlink(c->file) != 0)
			return -errno;
		fd = open(c->file, flags, 0640);
		if (fd < 0)
			return -errno;
		c->created = true;
		return fd;
	}
	/* Without O_NONBLOCK, opening a FIFO would wait for a reader. */
	fd = open(c->file, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/*
 * Open the file (see cap_path_open()) and write the pcap header.
 *
 * @return
 *   0, the -errno of creating the file, -ENOMEM, or -EIO.
 */
static int
cap_file_open(struct dp_capture *c)
{
	FILE *f;
	int fd, rc;

	fd = cap_path_open(c);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "wb");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		goto out_unlink;
	}
	c->pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)c->snaplen,
						     PCAP_TSTAMP_PRECISION_NANO);
	if (c->pd == NULL) {
		rc = -ENOMEM;
		goto out_fclose;
	}
	/* The dumper owns the FILE from here. */
	c->dumper = pcap_dump_fopen(c->pd, f);
	if (c->dumper == NULL) {
		rc = -EIO;
		goto out_pcap;
	}
	return 0;

out_pcap:
	pcap_close(c->pd);
	c->pd = NULL;
out_fclose:
	fclose(f);
out_unlink:
	if (c->created)
		unlink(c->file);
	c->created = false;
	return rc;
}

/*
 * Install the callbacks; on failure none is left installed.
 *
 * @return
 *   0, or the -errno of rte_eth_add_rx_callback()/rte_eth_add_tx_callback().
 */
static int
cap_install(struct dp *dp, struct dp_capture *c)
{
	int rc = 0;

	for (uint16_t i = 0; i < c->n_ports; i++) {
		struct cap_port *p = &c->ports[i];

		if (c->dir & DP_CAP_RX) {
			p->rx = rte_eth_add_rx_callback(
				p->port_id, 0, c->has_vni && i == 0 ? cap_vni_rx_cb : cap_rx_cb, c);
			if (p->rx == NULL)
				goto out_remove;
		}
		if (c->dir & DP_CAP_TX) {
			p->tx = rte_eth_add_tx_callback(p->port_id, 0, cap_tx_cb, c);
			if (p->tx == NULL)
				goto out_remove;
		}
	}
	return 0;

out_remove:
	rc = rte_errno > 0 ? -rte_errno : -ENOMEM;
	DP_LOG(ERR, "%s: cannot add a callback: %s", c->ports[0].name, rte_strerror(-rc));
	for (uint16_t i = 0; i < c->n_ports; i++)
		cap_port_unhook(&c->ports[i]);
	if (cap_grace(dp)) {
		for (uint16_t i = 0; i < c->n_ports; i++)
			cap_port_free(&c->ports[i]);
	} else {
		/* The callbacks and the capture stay allocated: an lcore may still see them. */
		c->leaked = true;
	}
	return rc;
}

int
dp_capture_start(struct dp *dp, const struct dp_capture_args *a, unsigned int *id)
{
	struct dp_cap *s;
	struct dp_capture *c;
	struct timespec ts;
	char tname[RTE_MAX_THREAD_NAME_LEN];
	int rc;

	if (dp == NULL || a == NULL || id == NULL)
		return -EINVAL;
	rc = cap_check_args(a);
	if (rc != 0)
		return rc;
	if (dp->cap == NULL) {
		dp->cap = calloc(1, sizeof(*dp->cap));
		if (dp->cap == NULL)
			return -ENOMEM;
		dp->cap->next_id = 1;
	}
	s = dp->cap;
	if (s->n_run >= DP_CAPTURE_MAX)
		return -EBUSY;

	/* The callbacks read it on the lcores: DPDK memory, cache-aligned. */
	c = rte_zmalloc("dp_capture", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL)
		return -ENOMEM;
	c->has_vni = a->has_vni;
	c->vni = a->vni;
	c->count = a->count;
	c->seconds = a->seconds;
	c->snaplen = a->snaplen != 0 ? a->snaplen : CAP_SNAPLEN_MAX;
	c->queue = a->queue != 0 ? a->queue : CAP_QUEUE_DEFAULT;
	c->dir = a->has_vni ? DP_CAP_RX : (a->dir != 0 ? a->dir : DP_CAP_RX | DP_CAP_TX);
	rc = cap_resolve(dp, a, c);
	if (rc != 0)
		goto out_free;
	c->file = strdup(a->file);
	if (c->file == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = cap_alloc(dp, c);
	if (rc != 0)
		goto out_free;
	rc = cap_file_open(c);
	if (rc != 0)
		goto out_release;

	c->id = s->next_id;
	c->hz = rte_get_tsc_hz();
	clock_gettime(CLOCK_REALTIME, &ts);
	c->base_tsc = rte_get_tsc_cycles();
	c->base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (c->seconds != 0)
		c->deadline = c->base_tsc + (uint64_t)c->seconds * c->hz;
	snprintf(tname, sizeof(tname), "dpcap%u", c->id);
	rc = rte_ctrl_thread_create(&c->thread, tname, NULL, cap_writer, c);
	if (rc != 0) {
		rc = rc < 0 ? rc : -rc;
		goto out_file;
	}
	c->has_thread = true;
	rc = cap_install(dp, c);
	if (rc != 0)
		goto out_thread;

	for (uint16_t i = 0; i < c->n_ports; i++)
		s->busy[c->ports[i].pi] = c;
	c->running = true;
	s->run[s->n_run++] = c;
	s->next_id++;
	*id = c->id;
	if (c->has_vni)
		DP_LOG(INFO, "%u: capturing VNI %" PRIu32 " to %s", c->id, c->vni, c->file);
	else
		DP_LOG(INFO, "%u: capturing %s to %s", c->id, c->ports[0].name, c->file);
	return 0;

out_thread:
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	pthread_join(c->thread, NULL);
	c->has_thread = false;
out_file:
	/* The writer may have closed the file already; this does nothing then. */
	cap_file_close(c);
	if (c->created)
		unlink(c->file);
out_release:
	if (c->leaked) {
		/* cap_install() could not make sure no lcore still sees the callbacks. */
		return rc;
	}
	cap_release(c);
out_free:
	cap_free(c);
	return rc;
}

int
dp_capture_stop(struct dp *dp, unsigned int id)
{
	struct dp_cap *s = dp != NULL ? dp->cap : NULL;

	if (s == NULL)
		return -ENOENT;
	for (unsigned int i = 0; i < s->n_run; i++) {
		if (s->run[i]->id == id) {
			cap_end(dp, s->run[i]);
			return 0;
		}
	}
	return -ENOENT;
}

void
dp_capture_port_closing(struct dp *dp, uint16_t pi)
{
	struct dp_capture *c;
	uint16_t i;

	if (dp == NULL || dp->cap == NULL || pi >= DP_MAX_PORTS)
		return;
	c = dp->cap->busy[pi];
	if (c == NULL)
		return;
	if (!c->has_vni || c->ports[0].pi == pi) {
		cap_end(dp, c);
		return;
	}
	/* An endpoint of a VNI capture: follow the others on. */
	for (i = 1; i < c->n_ports && c->ports[i].pi != pi; i++)
		;
	if (i == c->n_ports)
		return;
	cap_port_unhook(&c->ports[i]);
	if (cap_grace(dp))
		cap_port_free(&c->ports[i]);
	else
		DP_LOG(ERR, "%u: no grace period; leaking the callbacks of %s", c->id,
		       c->ports[i].name);
	dp->cap->busy[pi] = NULL;
	c->ports[i] = c->ports[--c->n_ports];
}

/* Describe one capture. */
static json_t *
cap_json_one(const struct dp_capture *c)
{
	static const char *const dirs[] = {"", "rx", "tx", "both"};
	int err = __atomic_load_n(&c->err, __ATOMIC_RELAXED);
	json_t *o, *ports;

	o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)c->id,
		      "file", c->file, "state", c->running ? "running" : "done", "packets",
		      (json_int_t)__atomic_load_n(&c->packets, __ATOMIC_RELAXED), "bytes",
		      (json_int_t)__atomic_load_n(&c->bytes, __ATOMIC_RELAXED), "lost",
		      (json_int_t)__atomic_load_n(&c->lost, __ATOMIC_RELAXED), "count",
		      (json_int_t)c->count, "seconds", (json_int_t)c->seconds, "snaplen",
		      (json_int_t)c->snaplen, "queue", (json_int_t)c->queue);
	ports = json_array();
	if (o == NULL || ports == NULL)
		goto out_fail;
	for (uint16_t i = 0; i < c->n_ports; i++)
		if (json_array_append_new(ports, json_string(c->ports[i].name)) != 0)
			goto out_fail;
	if (c->has_vni) {
		if (json_object_set_new(o, "vni", json_integer(c->vni)) != 0)
			goto out_fail;
	} else if (json_object_set_new(o, "port", json_string(c->ports[0].name)) != 0 ||
		   json_object_set_new(o, "dir", json_string(dirs[c->dir & 3])) != 0) {
		goto out_fail;
	}
	if (err != 0 && json_object_set_new(o, "error", json_string(strerror(err))) != 0)
		goto out_fail;
	/* The array's reference passes to the object. */
	if (json_object_set_new(o, "ports", ports) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;

out_fail:
	json_decref(ports);
	json_decref(o);
	return NULL;
}

json_t *
dp_capture_json(struct dp *dp)
{
	const struct dp_cap *s = dp != NULL ? dp->cap : NULL;
	const struct dp_capture *all[2 * DP_CAPTURE_MAX];
	unsigned int n = 0;
	json_t *arr = json_array();

	if (arr == NULL || s == NULL)
		return arr;
	for (unsigned int i = 0; i < s->n_done; i++)
		all[n++] = s->done[i];
	for (unsigned int i = 0; i < s->n_run; i++)
		all[n++] = s->run[i];
	/* By ID: insertion sort of at most 2 * DP_CAPTURE_MAX records. */
	for (unsigned int i = 1; i < n; i++) {
		const struct dp_capture *c = all[i];
		unsigned int j = i;

		for (; j > 0 && all[j - 1]->id > c->id; j--)
			all[j] = all[j - 1];
		all[j] = c;
	}
	for (unsigned int i = 0; i < n; i++) {
		/* The object's reference passes to the array. */
		if (json_array_append_new(arr, cap_json_one(all[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

void
dp_capture_poll(struct dp *dp)
{
	struct dp_cap *s = dp != NULL ? dp->cap : NULL;
	uint64_t now;

	if (s == NULL || s->n_run == 0)
		return;
	now = rte_get_tsc_cycles();
	for (unsigned int i = 0; i < s->n_run;) {
		struct dp_capture *c = s->run[i];

		if (__atomic_load_n(&c->finished, __ATOMIC_ACQUIRE) ||
		    (c->deadline != 0 && now >= c->deadline))
			cap_end(dp, c); /* Takes it out of run[]. */
		else
			i++;
	}
}

void
dp_capture_fini(struct dp *dp)
{
	struct dp_cap *s = dp != NULL ? dp->cap : NULL;

	if (s == NULL)
		return;
	while (s->n_run != 0)
		cap_end(dp, s->run[0]);
	for (unsigned int i = 0; i < s->n_done; i++)
		if (!s->done[i]->leaked)
			cap_free(s->done[i]);
	free(s);
	dp->cap = NULL;
}
