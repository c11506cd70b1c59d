/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shared declarations of mflow-bench: the frame builders that produce the
 * inner (container) frames and the VxLAN frames the benchmark feeds to the
 * datapath.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

#include <rte_ether.h>

#include "vx.h"

/** Room for the largest frame built: 1400-byte inner frame plus IPv6 outer headers. */
#define BENCH_FRAME_MAX 1536

/** Smallest inner frame: Ethernet, IPv4 and UDP headers. */
#define BENCH_INNER_MIN 42

/** The inner flow of one frame. Addresses in network order, ports in host order. */
struct bench_flow {
	struct rte_ether_addr dst; /**< Inner destination MAC. */
	struct rte_ether_addr src; /**< Inner source MAC. */
	uint32_t ip_src;	   /**< Inner IPv4 source. */
	uint32_t ip_dst;	   /**< Inner IPv4 destination. */
	uint16_t sport;		   /**< Inner UDP source port. */
	uint16_t dport;		   /**< Inner UDP destination port. */
};

/**
 * Build an inner Ethernet/IPv4/UDP frame with a valid IPv4 header checksum
 * and a zero UDP checksum.
 *
 * @param buf
 *   Output, at least @p len bytes.
 * @param len
 *   Frame length without FCS, BENCH_INNER_MIN to BENCH_FRAME_MAX.
 * @param f
 *   The flow.
 * @return
 *   @p len, or 0 if @p len is out of range.
 */
uint32_t bench_inner_frame(uint8_t *buf, uint32_t len, const struct bench_flow *f);

/**
 * Wrap an inner frame in outer Ethernet/IP/UDP/VxLAN headers as a remote
 * VTEP would send it: IPv4 with DF, TTL 64, a valid header checksum and a
 * zero UDP checksum, or IPv6 with hop limit 64 and a computed UDP checksum.
 *
 * @param buf
 *   Output, at least @p inner_len + VX_ENCAP6_LEN bytes.
 * @param inner
 *   The inner frame.
 * @param inner_len
 *   Its length.
 * @param dmac
 *   Outer destination MAC (the local underlay port).
 * @param smac
 *   Outer source MAC (the next hop).
 * @param src
 *   Outer source address (the remote VTEP).
 * @param dst
 *   Outer destination address (the local VTEP), of the family of @p src.
 * @param vni
 *   The VNI.
 * @param sport
 *   Outer UDP source port, host order.
 * @return
 *   The frame length.
 */
uint32_t bench_vxlan_frame(uint8_t *buf, const uint8_t *inner, uint32_t inner_len,
			   const struct rte_ether_addr *dmac, const struct rte_ether_addr *smac,
			   const struct vx_ip *src, const struct vx_ip *dst, uint32_t vni,
			   uint16_t sport);

#endif /* BENCH_H */
