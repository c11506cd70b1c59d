/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports and NUMA-local packet pools.
 */
#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_mbuf.h>

#include "dp.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dp: " fmt "\n", ##__VA_ARGS__)

/* The NUMA node of an lcore, asking libnuma when DPDK does not know. */
static int
lcore_node(unsigned int lcore)
{
	int node = (int)rte_lcore_to_socket_id(lcore);

	if (node >= 0 && node < RTE_MAX_NUMA_NODES)
		return node;
	if (numa_available() >= 0) {
		node = numa_node_of_cpu(rte_lcore_to_cpu_id((int)lcore));
		if (node >= 0 && node < RTE_MAX_NUMA_NODES)
			return node;
	}
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Packet pools.                                                             */

/*
 * Every pool has the same mbuf size, so a port's need for scattered RX does
 * not depend on which pool it gets.
 */
#define DP_MBUF_BUF_SIZE  RTE_MBUF_DEFAULT_BUF_SIZE
#define DP_MBUF_DATA_ROOM (DP_MBUF_BUF_SIZE - RTE_PKTMBUF_HEADROOM)
#define DP_POOL_CACHE	  256

/* The RX burst size; the dispatch lcore may change it (dp_tune()). */
static uint16_t
burst_now(const struct dp *dp)
{
	return __atomic_load_n(&dp->p.burst, __ATOMIC_RELAXED);
}

/*
 * The mbufs of a pool that are not in a port's rings: the lcore caches,
 * TX buffers, held packets and copies in flight, and the pipeline full
 * (per worker its input, output and request rings, the dispatcher's stage,
 * a worker burst and the merger's stage, plus the ring to a separate merge
 * lcore). Mbufs travel between ports and through the pipeline whatever
 * pool they come from, so every pool keeps this share.
 */
static uint32_t
pool_inflight(const struct dp *dp)
{
	uint32_t n = 4096;

	if (dp->p.map.n_workers != 0)
		n += (uint32_t)dp->p.map.n_workers *
			     (3 * dp->p.map.ring_size + DP_MF_STAGE_PKTS + 2 * DP_MF_STAGE) +
		     dp->p.map.ring_size;
	return n;
}

/* Create the next pool of @p node: @p n mbufs of which @p inflight are kept back. */
static struct dp_pool *
pool_create(struct dp *dp, int node, uint32_t n, uint32_t inflight)
{
	uint16_t k = dp->n_node_pools[node];
	char name[RTE_MEMPOOL_NAMESIZE];
	struct dp_pool *pl;
	struct rte_mempool *mp;

	if (k >= DP_MAX_POOLS) {
		DP_LOG(ERR, "NUMA node %d already has %u packet pools", node, k);
		return NULL;
	}
	snprintf(name, sizeof(name), "mflow_pool_%d_%u", node, k);
	mp = rte_pktmbuf_pool_create(name, n, DP_POOL_CACHE, 0, DP_MBUF_BUF_SIZE, node);
	if (mp == NULL) {
		DP_LOG(ERR, "cannot create %s of %u mbufs on NUMA node %d: %s", name, n, node,
		       rte_strerror(rte_errno));
		return NULL;
	}
	pl = &dp->node_pools[node][k];
	pl->mp = mp;
	pl->size = n;
	pl->room = n > inflight ? n - inflight : 0;
	pl->reserved = 0;
	pl->n_ports = 0;
	dp->n_node_pools[node] = (uint16_t)(k + 1);
	if (k == 0)
		dp->pools[node] = mp;
	DP_LOG(INFO, "%s: %u mbufs on NUMA node %d, room for %u in port rings", name, n, node,
	       pl->room);
	return pl;
}

/*
 * The first pool of a node, sized for the ports opened at start (each with
 * its RX and TX rings full and a burst), room for DP_SPARE_PORTS more RX
 * rings, and the in-flight share; at least dp->p.mbufs, rounded up to
 * 2^n - 1.
 */
static int
pool_first(struct dp *dp, int node)
{
	const uint32_t rxd = dp->p.rxd, txd = dp->p.txd, burst = burst_now(dp);
	uint32_t inflight, need, n;

	if (dp->n_node_pools[node] != 0)
		return 0;
	inflight = pool_inflight(dp);
	need = (uint32_t)dp->p.n_ports * (rxd + txd + burst) + DP_SPARE_PORTS * (rxd + burst) +
	       inflight;
	n = RTE_MAX(dp->p.mbufs, need);
	n = rte_align32pow2(n + 1) - 1;
	return pool_create(dp, node, n, inflight) != NULL ? 0 : -ENOMEM;
}

/*
 * Reserve @p need mbufs for the port in slot @p idx on its node: in the
 * newest pool with room for them, else in a new pool with room for
 * DP_POOL_GROW_PORTS more ports like it (at least dp->p.mbufs in all), else,
 * when memory is short, in a new pool with room for this port alone.
 */
static int
pool_reserve(struct dp *dp, uint16_t idx, uint32_t need)
{
	struct dp_port *port = &dp->ports[idx];
	const int node = port->socket;
	struct dp_pool *pl = NULL;
	uint32_t inflight, n;
	int k, rc;

	rc = pool_first(dp, node);
	if (rc < 0)
		return rc;
	for (k = dp->n_node_pools[node] - 1; k >= 0; k--) {
		struct dp_pool *c = &dp->node_pools[node][k];

		if (c->room >= c->reserved && c->room - c->reserved >= need) {
			pl = c;
			break;
		}
	}
	if (pl == NULL) {
		inflight = pool_inflight(dp);
		n = RTE_MAX(dp->p.mbufs, inflight + need * (1 + DP_POOL_GROW_PORTS));
		DP_LOG(INFO, "%s: no packet pool on NUMA node %d has room for %u more mbufs",
		       port->name, node, need);
		pl = pool_create(dp, node, n, inflight);
		if (pl == NULL && dp->n_node_pools[node] < DP_MAX_POOLS) {
			n = inflight + need;
			DP_LOG(WARNING, "%s: trying a pool of %u mbufs, for this port alone",
			       port->name, n);
			pl = pool_create(dp, node, n, inflight);
		}
		if (pl == NULL)
			return -ENOMEM;
		k = dp->n_node_pools[node] - 1;
	}
	pl->reserved += need;
	pl->n_ports++;
	port->pool = (uint16_t)k;
	port->reserved = need;
	return 0;
}

/* Give back what a port reserved in its pool; the pool stays (see struct dp_pool). */
static void
pool_release(struct dp *dp, struct dp_port *port)
{
	struct dp_pool *pl;

	if (port->reserved == 0)
		return;
	pl = &dp->node_pools[port->socket][port->pool];
	pl->reserved -= port->reserved;
	pl->n_ports--;
	port->reserved = 0;
}

struct rte_mempool *
dp_port_pool(const struct dp *dp, uint16_t idx)
{
	const struct dp_port *port;

	if (idx >= DP_MAX_PORTS)
		return NULL;
	port = &dp->ports[idx];
	if (port->name[0] == '\0' || port->reserved == 0)
		return NULL;
	return dp->node_pools[port->socket][port->pool].mp;
}

int
dp_port_defaults_set(struct dp *dp, const struct dp_port_defaults *d)
{
	if ((d->rxd != 0 && (d->rxd < 64 || d->rxd > 4096)) ||
	    (d->txd != 0 && (d->txd < 64 || d->txd > 4096)) ||
	    (d->mbufs != 0 && (d->mbufs < 1023 || d->mbufs > 1048575)))
		return -EINVAL;
	/* Only the control thread reads these, when it opens a port or creates a pool. */
	if (d->rxd != 0)
		dp->p.rxd = d->rxd;
	if (d->txd != 0)
		dp->p.txd = d->txd;
	if (d->mbufs != 0)
		dp->p.mbufs = d->mbufs;
	return 0;
}

void
dp_port_defaults_get(const struct dp *dp, struct dp_port_defaults *d)
{
	d->rxd = dp->p.rxd;
	d->txd = dp->p.txd;
	d->mbufs = dp->p.mbufs;
}

/* ------------------------------------------------------------------------- */
/* Lcores.                                                                   */

/* Allocate the state of an lcore on its NUMA node. */
static struct dp_lcore *
lcore_new(struct dp *dp, unsigned int lcore, enum dp_role role, uint16_t index)
{
	struct dp_lcore *lc =
		rte_zmalloc_socket("dp_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, lcore_node(lcore));

	if (lc == NULL)
		return NULL;
	lc->dp = dp;
	lc->lcore_id = lcore;
	lc->role = (uint8_t)role;
	lc->index = index;
	return lc;
}

static bool
lcore_usable(unsigned int lcore)
{
	return lcore < RTE_MAX_LCORE && rte_lcore_is_enabled(lcore);
}

int
dp_init(struct dp *dp, const struct dp_params *p)
{
	const struct dp_lcore_map *map = &p->map;
	unsigned int lcore, merge;
	int node;

	if (p->burst == 0 || p->burst > DP_BURST_MAX || p->drain_us == 0 || p->rxd == 0 ||
	    p->txd == 0 || p->mbufs == 0 || map->n_workers > DP_MF_MAX_WORKERS)
		return -EINVAL;
	dp->p = *p;
	dp->drain_tsc = rte_get_tsc_hz() * p->drain_us / 1000000;
	lcore = map->dispatch;
	if (!map->has_dispatch) {
		/* The first worker lcore no other role takes, or the main lcore alone. */
		RTE_LCORE_FOREACH_WORKER (lcore) {
			bool taken = map->has_merge && lcore == map->merge;

			for (uint16_t w = 0; w < map->n_workers; w++)
				taken = taken || map->workers[w] == lcore;
			if (!taken)
				break;
		}
		if (lcore >= RTE_MAX_LCORE)
			lcore = rte_get_main_lcore();
	}
	merge = map->has_merge ? map->merge : lcore;
	if (merge != lcore && map->n_workers == 0) {
		DP_LOG(ERR, "a merge lcore of its own needs worker lcores");
		return -EINVAL;
	}
	if (!lcore_usable(lcore) || !lcore_usable(merge)) {
		DP_LOG(ERR, "dispatch lcore %u or merge lcore %u is not in the EAL lcore list",
		       lcore, merge);
		return -EINVAL;
	}
	for (uint16_t w = 0; w < map->n_workers; w++) {
		unsigned int wl = map->workers[w];

		if (!lcore_usable(wl) || wl == lcore || wl == merge) {
			DP_LOG(ERR,
			       "worker lcore %u is not in the EAL lcore list or has another role",
			       wl);
			return -EINVAL;
		}
		for (uint16_t v = 0; v < w; v++)
			if (map->workers[v] == wl) {
				DP_LOG(ERR, "worker lcore %u is listed twice", wl);
				return -EINVAL;
			}
	}
	node = lcore_node(lcore);
	dp->lc = lcore_new(dp, lcore, DP_ROLE_DISPATCH, 0);
	dp->snap = rte_zmalloc_socket("dp_snap", sizeof(*dp->snap), RTE_CACHE_LINE_SIZE, node);
	if (dp->lc == NULL || dp->snap == NULL)
		goto out_free;
	dp->mlc = merge == lcore ? dp->lc : lcore_new(dp, merge, DP_ROLE_MERGE, 0);
	if (dp->mlc == NULL)
		goto out_free;
	for (uint16_t w = 0; w < map->n_workers; w++) {
		dp->wlc[w] = lcore_new(dp, map->workers[w], DP_ROLE_WORKER, w);
		if (dp->wlc[w] == NULL)
			goto out_free;
		dp->n_workers = (uint16_t)(w + 1);
	}
	if (numa_available() >= 0)
		DP_LOG(INFO, "dispatch on lcore %u (cpu %d, NUMA node %d of %d)", lcore,
		       rte_lcore_to_cpu_id((int)lcore), node, numa_max_node() + 1);
	else
		DP_LOG(INFO, "dispatch on lcore %u (no NUMA support)", lcore);
	if (merge != lcore)
		DP_LOG(INFO, "merge and TX on lcore %u", merge);
	for (uint16_t w = 0; w < dp->n_workers; w++)
		DP_LOG(INFO, "worker %u on lcore %u", w, dp->wlc[w]->lcore_id);
	if (pool_first(dp, node) < 0)
		goto out_free;
	/* One QSBR thread ID per lcore: dispatch 0, merge 1, workers from 2. */
	{
		uint32_t n = 2u + dp->n_workers;
		size_t sz = rte_rcu_qsbr_get_memsize(n);

		dp->qsbr = rte_zmalloc_socket("dp_qsbr", sz, RTE_CACHE_LINE_SIZE, node);
		if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, n) != 0)
			goto out_free;
		dp->lc->qsbr_id = 0;
		if (dp->mlc != dp->lc)
			dp->mlc->qsbr_id = 1;
		for (uint16_t w = 0; w < dp->n_workers; w++)
			dp->wlc[w]->qsbr_id = (uint16_t)(2 + w);
	}
	return 0;

out_free:
	dp_fini(dp);
	return -ENOMEM;
}

/* Find the ethdev a devargs string names, probing the device if needed. */
static int
port_lookup_or_probe(const char *devargs, uint16_t *port_id, bool *hotplugged)
{
	struct rte_dev_iterator it;
	char name[RTE_DEV_NAME_MAX_LEN];
	const char *comma = strchr(devargs, ',');
	size_t len = comma != NULL ? (size_t)(comma - devargs) : strlen(devargs);
	uint16_t pid;
	int rc;

	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, devargs, len);
	name[len] = '\0';
	*hotplugged = false;
	if (rte_eth_dev_get_port_by_name(name, &pid) == 0) {
		*port_id = pid;
		return 0;
	}
	rc = rte_dev_probe(devargs);
	if (rc < 0) {
		DP_LOG(ERR, "cannot probe device '%s': %s", devargs, rte_strerror(-rc));
		return -ENODEV;
	}
	*hotplugged = true;
	if (rte_eth_dev_get_port_by_name(name, &pid) == 0) {
		*port_id = pid;
		return 0;
	}
	/* PCI and other buses: match by the device arguments. */
	RTE_ETH_FOREACH_MATCHING_DEV(pid, devargs, &it)
	{
		*port_id = pid;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	return -ENODEV;
}

static void
tx_buffer_error(struct rte_mbuf **unsent, uint16_t count, void *userdata)
{
	struct vx_stats *st = userdata;

	/* They were counted in tx_pkts when buffered; move them to the drop. */
	rte_pktmbuf_free_bulk(unsent, count);
	st->drop[VX_DROP_tx_full] += count;
	st->stat[VX_STAT_tx_pkts] -= count;
}

static int port_setup(struct dp *dp, int idx, uint16_t mtu);

int
dp_port_open(struct dp *dp, const char *name, const char *devargs, enum dp_port_role role,
	     uint16_t ep, uint16_t mtu)
{
	struct dp_kobj_census before = {0}, after = {0};
	struct dp_port *port;
	bool census;
	int rc, idx;

	if (name == NULL || name[0] == '\0' || devargs == NULL)
		return -EINVAL;

	/* The first free slot: below n_ports after a removal, else a new one. */
	for (idx = 0; idx < dp->n_ports; idx++)
		if (dp->ports[idx].name[0] == '\0')
			break;
	if (idx >= DP_MAX_PORTS)
		return -ENOSPC;
	port = &dp->ports[idx];
	memset(port, 0, sizeof(*port));
	snprintf(port->name, sizeof(port->name), "%s", name);
	snprintf(port->devargs, sizeof(port->devargs), "%s", devargs);
	port->role = (uint8_t)role;
	port->ep = ep;
	port->mtu = mtu;
	/* What the driver opens from here on is the port's (dp_kobj.h). */
	census = dp_kobj_census(&before) == 0;
	rc = port_lookup_or_probe(devargs, &port->port_id, &port->hotplugged);
	if (rc < 0) {
		port->name[0] = '\0';
		goto out_census;
	}
	/* The slot is in use (but not active) from here; lcores see n_ports grow. */
	if (idx == dp->n_ports)
		__atomic_store_n(&dp->n_ports, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	rc = port_setup(dp, idx, mtu);
	if (census && port->hotplugged && dp_kobj_census(&after) == 0) {
		dp_kobj_added(&before, &after, &port->kobjs);
		dp_kobj_census_free(&after);
		/* Its AF_XDP rings, to read back when it closes (dp_kobj_xsk_recover()). */
		if (dp_kobj_xsk_view(&port->kobjs, &port->xsk) < 0)
			DP_LOG(WARNING, "%s: cannot map its AF_XDP rings", name);
	}
	if (rc < 0)
		dp_port_close_one(dp, (uint16_t)idx);
out_census:
	dp_kobj_census_free(&before);
	return rc < 0 ? rc : idx;
}

/*
 * Configure the queues of a probed port with the current sizes, reserve
 * their mbufs in a pool, and set up its TX buffer.
 */
static int
port_setup(struct dp *dp, int idx, uint16_t mtu)
{
	struct dp_port *port = &dp->ports[idx];
	const char *name = port->name;
	const uint16_t burst = burst_now(dp);
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	struct rte_mempool *pool;
	uint16_t rxd = dp->p.rxd, txd = dp->p.txd;
	uint32_t frame;
	int rc, node;

	rc = rte_eth_dev_info_get(port->port_id, &info);
	if (rc < 0)
		return -ENODEV;
	node = rte_eth_dev_socket_id(port->port_id);
	if (node < 0 || node >= RTE_MAX_NUMA_NODES)
		node = lcore_node(dp->lc->lcore_id);
	port->socket = node;

	frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	if (mtu >= info.min_mtu && mtu <= info.max_mtu)
		conf.rxmode.mtu = mtu;
	else
		DP_LOG(WARNING, "%s: MTU %u outside the device range %u..%u, keeping default", name,
		       mtu, info.min_mtu, info.max_mtu);
	if (frame > DP_MBUF_DATA_ROOM) {
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else
			DP_LOG(WARNING, "%s: MTU %u needs scattered RX, which %s lacks", name, mtu,
			       info.driver_name);
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	rc = rte_eth_dev_configure(port->port_id, 1, 1, &conf);
	if (rc < 0) {
		DP_LOG(ERR, "%s: configure failed: %s", name, rte_strerror(-rc));
		return -EINVAL;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port->port_id, &rxd, &txd);
	if (rc < 0)
		return -EINVAL;
	port->rxd = rxd;
	port->txd = txd;
	/* Its RX ring full, its TX ring full of its own mbufs, and a burst. */
	rc = pool_reserve(dp, (uint16_t)idx, (uint32_t)rxd + txd + burst);
	if (rc < 0)
		return rc;
	pool = dp->node_pools[node][port->pool].mp;
	rc = rte_eth_rx_queue_setup(port->port_id, 0, rxd, (unsigned int)node, NULL, pool);
	if (rc < 0) {
		DP_LOG(ERR, "%s: RX queue setup failed: %s", name, rte_strerror(-rc));
		return -EINVAL;
	}
	rc = rte_eth_tx_queue_setup(port->port_id, 0, txd, (unsigned int)node, NULL);
	if (rc < 0) {
		DP_LOG(ERR, "%s: TX queue setup failed: %s", name, rte_strerror(-rc));
		return -EINVAL;
	}
	rte_eth_macaddr_get(port->port_id, &port->mac);

	/*
	 * Only the merge lcore transmits (the dispatch lcore unless separate).
	 * The buffer outlives the port and is reused by the next port of the
	 * slot, so it has room for the largest burst dp_tune() allows.
	 */
	if (dp->mlc->txb[idx] == NULL)
		dp->mlc->txb[idx] =
			rte_zmalloc_socket("dp_txb", RTE_ETH_TX_BUFFER_SIZE(DP_BURST_MAX), 0, node);
	if (dp->mlc->txb[idx] == NULL)
		return -ENOMEM;
	rte_eth_tx_buffer_init(dp->mlc->txb[idx], burst);
	rte_eth_tx_buffer_set_err_callback(dp->mlc->txb[idx], tx_buffer_error, &dp->mlc->st);
	DP_LOG(INFO, "%s: port %u (%s) on NUMA node %d, %u/%u descriptors, pool %s, MTU %u", name,
	       port->port_id, info.driver_name, node, rxd, txd, pool->name, mtu);
	return 0;
}

int
dp_port_find(const struct dp *dp, const char *name)
{
	for (uint16_t i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].name[0] != '\0' && strcmp(dp->ports[i].name, name) == 0)
			return i;
	return -ENOENT;
}

int
dp_port_start_one(struct dp *dp, uint16_t idx)
{
	struct dp_port *port = &dp->ports[idx];
	int rc = rte_eth_dev_start(port->port_id);

	if (rc < 0) {
		DP_LOG(ERR, "%s: start failed: %s", port->name, rte_strerror(-rc));
		return rc;
	}
	port->started = true;
	/* Endpoint and underlay ports must see frames for other MACs too. */
	rc = rte_eth_promiscuous_enable(port->port_id);
	if (rc < 0 && rc != -ENOTSUP)
		DP_LOG(WARNING, "%s: cannot enable promiscuous mode: %s", port->name,
		       rte_strerror(-rc));
	/* Published last: lcores poll and send on the slot once they see it active. */
	__atomic_store_n(&port->active, true, __ATOMIC_RELEASE);
	return 0;
}

int
dp_ports_start(struct dp *dp)
{
	for (uint16_t i = 0; i < dp->n_ports; i++) {
		int rc;

		if (dp->ports[i].name[0] == '\0' || dp->ports[i].started)
			continue;
		rc = dp_port_start_one(dp, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
dp_port_close_one(struct dp *dp, uint16_t idx)
{
	struct dp_port *port = &dp->ports[idx];
	struct rte_eth_dev_tx_buffer *txb = dp->mlc != NULL ? dp->mlc->txb[idx] : NULL;
	struct dp_kobj_census before = {0}, after = {0};
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	bool census;

	if (port->name[0] == '\0')
		return;
	port->active = false;
	if (port->started) {
		if (txb != NULL)
			rte_eth_tx_buffer_flush(port->port_id, 0, txb);
		if (rte_eth_dev_stop(port->port_id) < 0)
			DP_LOG(WARNING, "%s: stop failed", port->name);
		port->started = false;
	}
	/* What the device would not take is freed (counted by the error callback). */
	if (txb != NULL && txb->length != 0) {
		rte_pktmbuf_free_bulk(txb->pkts, txb->length);
		txb->length = 0;
	}
	if (port->hotplugged && rte_eth_dev_info_get(port->port_id, &info) == 0)
		dev = info.device;
	census = port->hotplugged && dp_kobj_census(&before) == 0;
	rte_eth_dev_close(port->port_id);
	if (dev != NULL)
		rte_dev_remove(dev);
	/*
	 * What the driver held since the port opened, and what closing it
	 * opened, is no longer anyone's once the port is gone (dp_kobj.h).
	 */
	if (census && dp_kobj_census(&after) == 0) {
		struct dp_kobj_set left = port->kobjs;
		unsigned int n;
		int got = 0;

		dp_kobj_added(&before, &after, &left);
		/* Only a driver that left its AF_XDP socket open left its mbufs in it. */
		if (dp_kobj_left_open(&port->kobjs, &after, DP_KOBJ_XSK))
			got = dp_kobj_xsk_recover(&port->xsk, dp_port_pool(dp, idx));
		if (got > 0)
			dp->xsk_mbufs_recovered += (uint64_t)got;
		n = dp_kobj_reap(&left);
		if (n != 0) {
			dp->kobj_reaped += n;
			DP_LOG(INFO,
			       "%s: closed %u descriptors and freed %d mbufs its driver left "
			       "behind",
			       port->name, n, got > 0 ? got : 0);
		}
		if (left.overflow || port->kobjs.overflow)
			DP_LOG(WARNING, "%s: its driver opened more than %u kernel objects",
			       port->name, DP_KOBJ_SET_MAX);
		dp_kobj_census_free(&after);
	}
	dp_kobj_census_free(&before);
	dp_kobj_xsk_view_free(&port->xsk);
	pool_release(dp, port);
	memset(port, 0, sizeof(*port));
	port->ep = VX_NONE;
}

void
dp_ports_close(struct dp *dp)
{
	if (dp == NULL)
		return;
	for (uint16_t i = 0; i < dp->n_ports; i++)
		dp_port_close_one(dp, i);
	dp->n_ports = 0;
}

void
dp_fini(struct dp *dp)
{
	if (dp == NULL)
		return;
	if (dp->mlc != NULL)
		for (unsigned int i = 0; i < DP_MAX_PORTS; i++)
			rte_free(dp->mlc->txb[i]);
	if (dp->mlc != dp->lc)
		rte_free(dp->mlc);
	dp->mlc = NULL;
	rte_free(dp->lc);
	dp->lc = NULL;
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		rte_free(dp->wlc[w]);
		dp->wlc[w] = NULL;
	}
	dp->n_workers = 0;
	rte_free(dp->snap);
	dp->snap = NULL;
	rte_free(dp->qsbr);
	dp->qsbr = NULL;
	/* The pools last: ports, captures and the pipeline are gone with their mbufs. */
	for (unsigned int i = 0; i < RTE_MAX_NUMA_NODES; i++) {
		for (unsigned int k = 0; k < dp->n_node_pools[i]; k++) {
			rte_mempool_free(dp->node_pools[i][k].mp);
			memset(&dp->node_pools[i][k], 0, sizeof(dp->node_pools[i][k]));
		}
		dp->n_node_pools[i] = 0;
		dp->pools[i] = NULL;
	}
}
