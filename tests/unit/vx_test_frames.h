/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Frame builders for the vxlan unit tests. They write well-formed VxLAN
 * frames that tests then corrupt field by field.
 */
#ifndef VX_TEST_FRAMES_H
#define VX_TEST_FRAMES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "vx.h"

/** Build an inner Ethernet/IPv4/UDP frame of @p len bytes (>= 42). */
static inline uint32_t
vxt_inner(uint8_t *buf, uint32_t len, const struct rte_ether_addr *dst,
	  const struct rte_ether_addr *src, uint16_t sport, uint32_t seq)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(buf, 0, len);
	eth->dst_addr = *dst;
	eth->src_addr = *src;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = RTE_BE32(0xc6130101u) /* 198.19.1.1 */;
	ip->dst_addr = RTE_BE32(0xc613010bu) /* 198.19.1.11 */;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(9000);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth) - sizeof(*ip)));
	memcpy(udp + 1, &seq, sizeof(seq));
	return len;
}

/**
 * Wrap @p inner in Ethernet/IP/UDP/VxLAN from @p src to @p dst (both of one
 * family). The IPv4 header checksum is set; the UDP checksum is computed
 * for IPv6 and left zero for IPv4.
 *
 * @return
 *   The frame length.
 */
static inline uint32_t
vxt_encap(uint8_t *buf, const uint8_t *inner, uint32_t inner_len, const struct vx_ip *src,
	  const struct vx_ip *dst, uint32_t vni)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_udp_hdr *udp;
	struct vx_hdr *vxh;
	uint32_t l4len = (uint32_t)(sizeof(*udp) + sizeof(*vxh)) + inner_len;
	uint32_t total;

	memset(eth, 0, sizeof(*eth));
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[5] = 0x01;
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[5] = 0x02;
	if (src->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = src->v4;
		ip->dst_addr = dst->v4;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src->v6, 16);
		memcpy(ip6->dst_addr, dst->v6, 16);
		udp = (struct rte_udp_hdr *)(ip6 + 1);
	}
	udp->src_port = rte_cpu_to_be_16(50000);
	udp->dst_port = rte_cpu_to_be_16(VX_UDP_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)l4len);
	udp->dgram_cksum = 0;
	vxh = (struct vx_hdr *)(udp + 1);
	memset(vxh, 0, sizeof(*vxh));
	vxh->flags = VX_FLAG_I;
	vx_hdr_set_vni(vxh, vni);
	memcpy(vxh + 1, inner, inner_len);
	total = (uint32_t)((uint8_t *)(vxh + 1) - buf) + inner_len;
	if (src->family == AF_INET6)
		udp->dgram_cksum =
			rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(eth + 1), udp);
	return total;
}

/** Parse a MAC or an address in a test, failing loudly. */
static inline struct rte_ether_addr
vxt_mac(const char *s)
{
	struct rte_ether_addr m;

	if (vx_mac_parse(s, &m) != 0)
		abort();
	return m;
}

static inline struct vx_ip
vxt_ip(const char *s)
{
	struct vx_ip ip;

	if (vx_ip_parse(s, &ip) != 0)
		abort();
	return ip;
}

#endif /* VX_TEST_FRAMES_H */
