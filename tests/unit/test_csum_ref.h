/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A reference Internet checksum for the unit tests: RFC 1071 computed one
 * byte at a time, independent of the code under test.
 */
#ifndef TEST_CSUM_REF_H
#define TEST_CSUM_REF_H

#include <stdint.h>

/**
 * The one's complement sum of @p len bytes read as big-endian 16-bit words
 * (an odd last byte is padded with zero), folded to 16 bits. A header whose
 * checksum field is right sums to 0xffff.
 *
 * @param p
 *   The bytes.
 * @param len
 *   Their number.
 * @return
 *   The folded sum, host order.
 */
static inline uint16_t
test_csum_ref(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif /* TEST_CSUM_REF_H */
