/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cmocka executable of mflow-gen's core (bench/gen.h): frames,
 * sequence and latency accounting, scenarios and schedules. No DPDK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>
#include <jansson.h>

#include "gen_test.h"

int
gen_test_parse(const char *json, struct gen_scenario *sc, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	int rc;

	if (root == NULL) {
		print_error("bad test JSON %s: %s\n", json, jerr.text);
		fail();
	}
	rc = gen_scenario_parse(root, sc, err, errlen);
	json_decref(root);
	return rc;
}

uint64_t
gen_test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

int
main(void)
{
	int failed = 0;

	failed += gen_test_pkt();
	failed += gen_test_seq();
	failed += gen_test_lat();
	failed += gen_test_scenario();
	failed += gen_test_sched();
	return failed != 0;
}
