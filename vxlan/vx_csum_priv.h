/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internet checksum (RFC 1071) helpers for the datapath.
 *
 * The sum is taken over 32-bit words into a 64-bit accumulator, which the
 * compiler vectorises at -O3; the result equals the one's complement sum of
 * the data as native 16-bit words, like rte_raw_cksum(), at the same speed
 * in mflow-bench (a scalar add-with-carry loop was slower). Across segments,
 * a segment that starts at an odd offset of the datagram has its folded sum
 * byte-swapped (RFC 1071, section 2(B)) after folding; DPDK 22.11's
 * rte_raw_cksum_mbuf() swaps the unfolded sum truncated to 16 bits, which
 * is wrong when that sum has carried.
 * Only vxlan/ may include this header.
 */
#ifndef VX_CSUM_PRIV_H
#define VX_CSUM_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

/**
 * Add @p len bytes at @p buf to an unfolded sum.
 *
 * @return
 *   The new unfolded sum.
 */
static inline uint64_t
vx_csum_add(const void *buf, uint32_t len, uint64_t sum)
{
	const uint8_t *p = buf;
	uint32_t w;
	uint16_t h = 0;

	for (; len >= 4; len -= 4, p += 4) {
		memcpy(&w, p, sizeof(w));
		sum += w;
	}
	if (len >= 2) {
		memcpy(&h, p, sizeof(h));
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		/* The odd last byte is the first byte of a zero-padded word. */
		h = 0;
		memcpy(&h, p, 1);
		sum += h;
	}
	return sum;
}

/** @return an unfolded sum folded to 16 bits (not complemented). */
static inline uint16_t
vx_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * The folded sum of @p len bytes of a packet from offset @p off, across
 * segments.
 *
 * @param sum
 *   Receives the folded sum.
 * @return
 *   0, or -1 if the range runs past the packet.
 */
static inline int
vx_csum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *sum)
{
	const struct rte_mbuf *seg = m;
	uint64_t acc = 0;
	uint32_t done = 0;

	if (likely(off + len <= m->data_len)) {
		*sum = vx_csum_fold(
			vx_csum_add(rte_pktmbuf_mtod_offset(m, const void *, off), len, 0));
		return 0;
	}
	if (off + len > m->pkt_len)
		return -1;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (done < len && seg != NULL) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		uint16_t s = vx_csum_fold(
			vx_csum_add(rte_pktmbuf_mtod_offset(seg, const void *, off), n, 0));

		acc += (done & 1) ? rte_bswap16(s) : s;
		done += n;
		off = 0;
		seg = seg->next;
	}
	if (done != len)
		return -1;
	*sum = vx_csum_fold(acc);
	return 0;
}

#endif /* VX_CSUM_PRIV_H */
