/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vxlan module's cmocka executable: initialises EAL once without
 * hugepages or devices, then runs every group.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "test_eal.h"
#include "vx_test.h"
#include "vx_test_frames.h"

static struct rte_mempool *pool;

struct rte_mempool *
vx_test_pool(void)
{
	return pool;
}

struct rte_mbuf *
vx_test_mbuf(const void *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, data, len);
	return m;
}

void
vx_test_params(struct vx_params *p, uint16_t underlay_port)
{
	memset(p, 0, sizeof(*p));
	p->mac = vxt_mac("02:00:00:00:00:01");
	p->ip4 = vxt_ip("198.18.0.1");
	p->plen4 = 24;
	p->mtu = 1500;
	p->udp_port = VX_UDP_PORT;
	p->underlay_port = underlay_port;
	p->strict_reserved = true;
	p->fdb_size = 1024;
	p->fdb_age = rte_get_tsc_hz() * 300;
	p->neigh.reachable = rte_get_tsc_hz() * 30;
	p->neigh.retrans = rte_get_tsc_hz();
	p->neigh.failed = rte_get_tsc_hz() * 5;
	p->neigh.max_probes = 3;
	p->pool = pool;
	p->socket = -1;
}

void
vx_test_out_free(struct vx_out *o)
{
	for (unsigned int i = 0; i < o->n; i++)
		rte_pktmbuf_free(o->pkts[i]);
	o->n = 0;
}

int
vx_test_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_attr_t attr;
	cpu_set_t cpus;
	int rc;

	CPU_ZERO(&cpus);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &cpus);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

int
vx_test_thread_join(pthread_t t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += VX_TEST_JOIN_SECS;
	return pthread_timedjoin_np(t, NULL, &ts);
}

int
main(void)
{
	int failed = 0;

	if (test_eal_init("test_vxlan", "0") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "test_vxlan: cannot create the mempool\n");
		return 1;
	}
	failed += vx_test_parse();
	failed += vx_test_fdb();
	failed += vx_test_neigh();
	failed += vx_test_fwd();
	failed += vx_test_csum();
	failed += vx_test_worker();
	failed += vx_test_inst();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed != 0;
}
