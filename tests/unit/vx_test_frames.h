/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Frame builders for the vxlan unit tests. They write well-formed VxLAN
 * frames that tests then corrupt field by field.
 */
#ifndef VX_TEST_FRAMES_H
#define VX_TEST_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
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

/** Outer header choices of vxt_encap_ex(). */
struct vxt_outer {
	struct rte_ether_addr dmac; /**< Outer destination MAC. */
	struct rte_ether_addr smac; /**< Outer source MAC. */
	uint16_t sport;		    /**< Outer UDP source port. */
	bool df;		    /**< Set DF on an IPv4 outer header. */
};

/**
 * Wrap @p inner in Ethernet/IP/UDP/VxLAN from @p src to @p dst (both of one
 * family). The IPv4 header checksum is set; the UDP checksum is computed
 * for IPv6, last since it covers the inner frame, and left zero for IPv4.
 *
 * @return
 *   The frame length.
 */
static inline uint32_t
vxt_encap_ex(uint8_t *buf, const uint8_t *inner, uint32_t inner_len, const struct vx_ip *src,
	     const struct vx_ip *dst, uint32_t vni, const struct vxt_outer *o)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv6_hdr *ip6 = NULL;
	struct rte_udp_hdr *udp;
	struct vx_hdr *vxh;
	uint32_t l4len = (uint32_t)(sizeof(*udp) + sizeof(*vxh)) + inner_len;

	eth->dst_addr = o->dmac;
	eth->src_addr = o->smac;
	if (src->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
		if (o->df)
			ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = src->v4;
		ip->dst_addr = dst->v4;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
	} else {
		ip6 = (struct rte_ipv6_hdr *)(eth + 1);
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
	udp->src_port = rte_cpu_to_be_16(o->sport);
	udp->dst_port = rte_cpu_to_be_16(VX_UDP_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)l4len);
	udp->dgram_cksum = 0;
	vxh = (struct vx_hdr *)(udp + 1);
	memset(vxh, 0, sizeof(*vxh));
	vxh->flags = VX_FLAG_I;
	vx_hdr_set_vni(vxh, vni);
	memcpy(vxh + 1, inner, inner_len);
	if (ip6 != NULL)
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	return (uint32_t)((uint8_t *)(vxh + 1) - buf) + inner_len;
}

/** vxt_encap_ex() with fixed test MACs, source port 50000 and no DF. */
static inline uint32_t
vxt_encap(uint8_t *buf, const uint8_t *inner, uint32_t inner_len, const struct vx_ip *src,
	  const struct vx_ip *dst, uint32_t vni)
{
	const struct vxt_outer o = {
		.dmac = {{0x02, 0, 0, 0, 0, 0x01}},
		.smac = {{0x02, 0, 0, 0, 0, 0x02}},
		.sport = 50000,
	};

	return vxt_encap_ex(buf, inner, inner_len, src, dst, vni, &o);
}

/**
 * Build an ARP frame: Ethernet from @p sha to @p edst, opcode @p op
 * (RTE_ARP_OP_REQUEST or RTE_ARP_OP_REPLY), sender @p sha/@p sip, target
 * @p tha/@p tip (addresses in network order).
 *
 * @return
 *   The frame length.
 */
static inline uint32_t
vxt_arp(uint8_t *buf, const struct rte_ether_addr *edst, uint16_t op,
	const struct rte_ether_addr *sha, uint32_t sip, const struct rte_ether_addr *tha,
	uint32_t tip)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(buf, 0, sizeof(*eth) + sizeof(*arp));
	eth->dst_addr = *edst;
	eth->src_addr = *sha;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = *sha;
	arp->arp_data.arp_sip = sip;
	arp->arp_data.arp_tha = *tha;
	arp->arp_data.arp_tip = tip;
	return (uint32_t)(sizeof(*eth) + sizeof(*arp));
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
