/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath checksum against an independent byte-wise reference, over
 * random data split into random segments at odd and even boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_csum_ref.h"
#include "vx_csum_priv.h"
#include "vx_test.h"

/* The same sum as vx_csum_mbuf() returns: native 16-bit words. */
static uint16_t
ref_sum_native(const uint8_t *p, uint32_t len)
{
	return rte_be_to_cpu_16(test_csum_ref(p, len));
}

static void
test_contiguous(void **state)
{
	static uint8_t buf[2048];

	(void)state;
	srand(7);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (uint32_t len = 0; len < 200; len++)
		for (uint32_t off = 0; off < 5; off++)
			assert_int_equal(vx_csum_fold(vx_csum_add(buf + off, len, 0)),
					 ref_sum_native(buf + off, len));
	assert_int_equal(vx_csum_fold(vx_csum_add(buf, sizeof(buf), 0)),
			 ref_sum_native(buf, sizeof(buf)));
	/* All ones stays all ones; zero stays zero. */
	memset(buf, 0xff, 64);
	assert_int_equal(vx_csum_fold(vx_csum_add(buf, 64, 0)), 0xffff);
	memset(buf, 0, 64);
	assert_int_equal(vx_csum_fold(vx_csum_add(buf, 64, 0)), 0);
}

static void
test_segments(void **state)
{
	static uint8_t data[3000];

	(void)state;
	srand(11);
	for (unsigned int round = 0; round < 2000; round++) {
		uint32_t total = 1 + (uint32_t)rand() % 2500;
		uint32_t nseg = 1 + (uint32_t)rand() % 4, done = 0;
		struct rte_mbuf *m = NULL;
		uint32_t off, len;
		uint16_t sum = 0;

		for (uint32_t i = 0; i < total; i++)
			data[i] = (uint8_t)rand();
		for (uint32_t s = 0; s < nseg && done < total; s++) {
			uint32_t left = total - done;
			uint32_t n = s + 1 == nseg ? left : 1 + (uint32_t)rand() % left;
			struct rte_mbuf *seg;

			n = RTE_MIN(n, 1900u);
			seg = vx_test_mbuf(data + done, n);
			if (m == NULL)
				m = seg;
			else
				assert_int_equal(rte_pktmbuf_chain(m, seg), 0);
			done += n;
		}
		total = done;
		off = (uint32_t)rand() % total;
		len = (uint32_t)rand() % (total - off + 1);
		assert_int_equal(vx_csum_mbuf(m, off, len, &sum), 0);
		if (sum != ref_sum_native(data + off, len)) {
			print_error(
				"round %u: %u bytes in %u segments, off %u len %u: %04x != %04x\n",
				round, total, m->nb_segs, off, len, sum,
				ref_sum_native(data + off, len));
			fail();
		}
		assert_int_equal(vx_csum_mbuf(m, off, total - off + 1, &sum), -1);
		rte_pktmbuf_free(m);
	}
}

int
vx_test_csum(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contiguous),
		cmocka_unit_test(test_segments),
	};

	return cmocka_run_group_tests_name("vxlan/csum", tests, NULL, NULL);
}
