/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Groups of the dataplane module's cmocka executable (test_dataplane.c).
 */
#ifndef DP_TEST_H
#define DP_TEST_H

#include <rte_mempool.h>

/** Split/merge group; returns the number of failed tests. */
int dp_test_mflow(void);

/** Elephant detection group; returns the number of failed tests. */
int dp_test_flow(void);

/** Pipeline group (real lcores over net_ring ports); returns the number of failed tests. */
int dp_test_pipe(void);

/** @return the pool of test_dataplane.c. */
struct rte_mempool *dp_test_pool(void);

#endif /* DP_TEST_H */
