/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Groups of the dataplane module's cmocka executable (test_dataplane.c).
 */
#ifndef DP_TEST_H
#define DP_TEST_H

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "vx.h"

/** A net_ring port: the test enqueues on rx and dequeues from tx. */
struct dp_test_ringport {
	struct rte_ring *rx, *tx;
	char name[RTE_ETH_NAME_MAX_LEN]; /**< The ethdev name, used as devargs. */
};

/** Create the rings and the net_ring ethdev @p name over them (asserts on failure). */
void dp_test_ringport(struct dp_test_ringport *rp, const char *name, unsigned int rx_size,
		      unsigned int tx_size);

/** Free the frames left on the rings of @p rp, then the rings (its port must be closed). */
void dp_test_ringport_free(struct dp_test_ringport *rp);

/**
 * The VxLAN instance of the dataplane tests: 198.18.0.1/24, VNI 100 with the
 * VTEP 198.18.0.2 behind a static next hop 02:00:00:00:00:02, and endpoint
 * "e1" (02:00:00:00:01:11) on dataplane port 1.
 */
struct vx_inst *dp_test_vx(struct rte_mempool *pool);

/** Split/merge group; returns the number of failed tests. */
int dp_test_mflow(void);

/** Elephant detection group; returns the number of failed tests. */
int dp_test_flow(void);

/** Pipeline group (real lcores over net_ring ports); returns the number of failed tests. */
int dp_test_pipe(void);

/** Capture group (pcap files of ports and VNIs); returns the number of failed tests. */
int dp_test_capture(void);

/** Port group (pools that grow with the ports, run-time queue sizes); returns the failures. */
int dp_test_port(void);

/** Kernel-object census group (AF_XDP sockets, BPF objects); returns the failures. */
int dp_test_kobj(void);

/** @return the first frame that shows up on @p r within ten seconds, or NULL. */
struct rte_mbuf *dp_test_ring_wait(struct rte_ring *r);

/** @return the pool of test_dataplane.c. */
struct rte_mempool *dp_test_pool(void);

#endif /* DP_TEST_H */
