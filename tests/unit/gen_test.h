/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shared helpers of mflow-gen's core unit tests (bench/gen.h). test_gen.c
 * runs each group in turn; none needs DPDK.
 */
#ifndef GEN_TEST_H
#define GEN_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "gen.h"

/** Groups; each returns the number of failed tests. */
int gen_test_pkt(void);
int gen_test_seq(void);
int gen_test_lat(void);
int gen_test_scenario(void);
int gen_test_sched(void);

/**
 * Parse @p json (which must be valid JSON) as a scenario.
 *
 * @return
 *   What gen_scenario_parse() returned.
 */
int gen_test_parse(const char *json, struct gen_scenario *sc, char *err, size_t errlen);

/** A seeded xorshift64* generator: the same numbers on every run. */
uint64_t gen_test_rand(uint64_t *state);

#endif /* GEN_TEST_H */
