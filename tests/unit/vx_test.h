/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shared helpers of the vxlan unit tests. test_vxlan.c initialises EAL
 * once (--no-huge, no PCI, in memory) and runs each group in turn.
 */
#ifndef VX_TEST_H
#define VX_TEST_H

#include <pthread.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vx.h"

/** Groups; each returns the number of failed tests. */
int vx_test_parse(void);
int vx_test_fdb(void);
int vx_test_neigh(void);
int vx_test_fwd(void);
int vx_test_csum(void);
int vx_test_worker(void);
int vx_test_inst(void);

/** @return the shared test mempool (2048-byte data room, 4096 mbufs). */
struct rte_mempool *vx_test_pool(void);

/**
 * Build a single-segment mbuf holding a copy of @p data.
 *
 * @return
 *   The mbuf (caller owns it); the test fails if allocation fails.
 */
struct rte_mbuf *vx_test_mbuf(const void *data, uint32_t len);

/**
 * Fill the parameters the forwarding tests share: MAC 02:00:00:00:00:01,
 * 198.18.0.1/24, MTU 1500, strict reserved bits, 1024 FDB entries aged
 * after 300 s, default neighbour timers, the test pool.
 */
void vx_test_params(struct vx_params *p, uint16_t underlay_port);

/** Free every packet of an output list and empty it. */
void vx_test_out_free(struct vx_out *o);

/** How long vx_test_thread_join() waits. */
#define VX_TEST_JOIN_SECS 30

/**
 * Start a thread that may run on any CPU: EAL pins the main thread to its
 * lcore and threads inherit that, so two test threads would otherwise only
 * ever interleave on one CPU instead of running at the same time.
 *
 * @return
 *   0, or the error of pthread_create().
 */
int vx_test_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/** Join @p t, giving up after VX_TEST_JOIN_SECS; @return 0 if it ended. */
int vx_test_thread_join(pthread_t t);

#endif /* VX_TEST_H */
