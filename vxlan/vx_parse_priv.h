/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The underlay parser, as inline functions so that the decapsulation loop
 * inlines its fast path. vx_parse.c exports vx_parse_underlay() for tests
 * and the fuzzer; it runs exactly this code. Only vxlan/ may include this
 * header.
 */
#ifndef VX_PARSE_PRIV_H
#define VX_PARSE_PRIV_H

#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "vx.h"

#define VX_IP6_NH_FRAGMENT 44
#define VX_ICMP6_NS	   135
#define VX_ICMP6_NA	   136

static inline enum vx_class
vx_parse_drop(struct vx_parsed *out, enum vx_drop_reason r)
{
	out->drop = r;
	return VX_CLASS_DROP;
}

/* Validate UDP and VxLAN once the outer IP header has been checked. */
static inline enum vx_class
vx_parse_udp_vxlan(const uint8_t *p, uint32_t contig, const struct vx_parse_cfg *cfg,
		   struct vx_parsed *out)
{
	const struct rte_udp_hdr *udp;
	const struct vx_hdr *vxh;
	uint32_t ulen;

	if (out->l4_len < sizeof(*udp))
		return vx_parse_drop(out, VX_DROP_udp_truncated);
	if (contig < out->l4_off + sizeof(*udp))
		return vx_parse_drop(out, VX_DROP_outer_split);
	udp = (const struct rte_udp_hdr *)(p + out->l4_off);
	if (udp->dst_port != rte_cpu_to_be_16(cfg->udp_port))
		return vx_parse_drop(out, VX_DROP_udp_bad_port);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	/* The UDP length must match what the IP header says is left. */
	if (ulen < sizeof(*udp) || ulen != out->l4_len)
		return vx_parse_drop(out, VX_DROP_udp_truncated);
	if (udp->dgram_cksum != 0)
		out->udp_csum = 1;
	else if (out->family == AF_INET6 && !cfg->udp6_zero_csum_rx)
		return vx_parse_drop(out, VX_DROP_udp6_zero_csum);

	if (ulen < sizeof(*udp) + sizeof(*vxh))
		return vx_parse_drop(out, VX_DROP_vxlan_truncated);
	out->outer_len = (uint16_t)(out->l4_off + sizeof(*udp) + sizeof(*vxh));
	if (contig < out->outer_len)
		return vx_parse_drop(out, VX_DROP_outer_split);
	vxh = (const struct vx_hdr *)(udp + 1);
	if (!(vxh->flags & VX_FLAG_I))
		return vx_parse_drop(out, VX_DROP_vxlan_bad_flags);
	if (cfg->strict_reserved && ((vxh->flags & ~VX_FLAG_I) != 0 || vxh->rsvd0[0] != 0 ||
				     vxh->rsvd0[1] != 0 || vxh->rsvd0[2] != 0 || vxh->rsvd1 != 0))
		return vx_parse_drop(out, VX_DROP_vxlan_reserved);
	out->vni = vx_hdr_vni(vxh);
	out->inner_len = ulen - (uint32_t)(sizeof(*udp) + sizeof(*vxh));
	if (out->inner_len < sizeof(struct rte_ether_hdr))
		return vx_parse_drop(out, VX_DROP_inner_truncated);
	return VX_CLASS_VXLAN;
}

/* Accept an ICMP (type 8) or ICMPv6 (type 128) echo request with code 0. */
static inline enum vx_class
vx_parse_icmp_echo(const uint8_t *p, uint32_t contig, uint8_t type, struct vx_parsed *out)
{
	const struct rte_icmp_hdr *icmp;

	if (out->l4_len < sizeof(*icmp))
		return vx_parse_drop(out, VX_DROP_icmp_bad);
	if (contig < out->l4_off + sizeof(*icmp))
		return vx_parse_drop(out, VX_DROP_outer_split);
	icmp = (const struct rte_icmp_hdr *)(p + out->l4_off);
	if (icmp->icmp_type != type || icmp->icmp_code != 0)
		return vx_parse_drop(out, out->family == AF_INET ? VX_DROP_icmp_other
								 : VX_DROP_icmp6_other);
	return VX_CLASS_ECHO;
}

/*
 * One's complement sum of an IPv4 header folded to 16 bits; a correct header
 * sums to 0xffff. The usual 20-byte header is summed as five 32-bit words;
 * headers with options take the generic path.
 */
static inline uint16_t
vx_ip4_hdr_sum(const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	uint32_t w[5];
	uint64_t sum;

	if (unlikely(ihl != sizeof(*ip)))
		return rte_raw_cksum(ip, ihl);
	memcpy(w, ip, sizeof(w));
	sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline enum vx_class
vx_parse_ip4(const uint8_t *p, uint32_t contig, uint32_t pkt_len, const struct vx_parse_cfg *cfg,
	     struct vx_parsed *out)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot;
	uint16_t frag;

	out->family = AF_INET;
	if (pkt_len < out->l3_off + sizeof(*ip))
		return vx_parse_drop(out, VX_DROP_ip4_truncated);
	if (contig < out->l3_off + sizeof(*ip))
		return vx_parse_drop(out, VX_DROP_outer_split);
	ip = (const struct rte_ipv4_hdr *)(p + out->l3_off);
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || tot < ihl)
		return vx_parse_drop(out, VX_DROP_ip4_bad_header);
	if (pkt_len < out->l3_off + tot)
		return vx_parse_drop(out, VX_DROP_ip4_truncated);
	if (contig < out->l3_off + ihl)
		return vx_parse_drop(out, VX_DROP_outer_split);
	if (vx_ip4_hdr_sum(ip, ihl) != 0xffff)
		return vx_parse_drop(out, VX_DROP_ip4_bad_csum);
	if (ip->dst_addr != cfg->ip4 || cfg->ip4 == 0)
		return vx_parse_drop(out, VX_DROP_not_for_us);
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return vx_parse_drop(out, VX_DROP_ip_fragment);
	out->src.family = AF_INET;
	out->src.v4 = ip->src_addr;
	out->l4_off = (uint16_t)(out->l3_off + ihl);
	out->l4_len = tot - ihl;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return vx_parse_icmp_echo(p, contig, 8, out);
	if (ip->next_proto_id != IPPROTO_UDP)
		return vx_parse_drop(out, VX_DROP_not_udp);
	return vx_parse_udp_vxlan(p, contig, cfg, out);
}

/* ff02::1:ffXX:XXXX for the last three bytes of the local address. */
static inline bool
vx_is_solicited_node(const uint8_t *dst, const uint8_t *local)
{
	static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

	return memcmp(dst, pfx, sizeof(pfx)) == 0 && memcmp(dst + 13, local + 13, 3) == 0;
}

static inline bool
vx_is_all_nodes(const uint8_t *dst)
{
	static const uint8_t all[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	return memcmp(dst, all, 16) == 0;
}

static inline enum vx_class
vx_parse_ip6(const uint8_t *p, uint32_t contig, uint32_t pkt_len, const struct vx_parse_cfg *cfg,
	     struct vx_parsed *out)
{
	const struct rte_ipv6_hdr *ip6;
	uint32_t plen;
	bool to_local;

	out->family = AF_INET6;
	if (pkt_len < out->l3_off + sizeof(*ip6))
		return vx_parse_drop(out, VX_DROP_ip6_truncated);
	if (contig < out->l3_off + sizeof(*ip6))
		return vx_parse_drop(out, VX_DROP_outer_split);
	ip6 = (const struct rte_ipv6_hdr *)(p + out->l3_off);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)
		return vx_parse_drop(out, VX_DROP_ip6_bad_header);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (pkt_len < out->l3_off + sizeof(*ip6) + plen)
		return vx_parse_drop(out, VX_DROP_ip6_truncated);
	if (!cfg->has_ip6)
		return vx_parse_drop(out, VX_DROP_not_for_us);
	to_local = memcmp(ip6->dst_addr, cfg->ip6, 16) == 0;
	out->l4_off = (uint16_t)(out->l3_off + sizeof(*ip6));
	out->l4_len = plen;
	out->src.family = AF_INET6;
	memcpy(out->src.v6, ip6->src_addr, 16);

	if (ip6->proto == IPPROTO_ICMPV6) {
		const struct rte_icmp_hdr *icmp;

		/* Neighbour discovery also arrives on multicast destinations. */
		if (!to_local && !vx_is_solicited_node(ip6->dst_addr, cfg->ip6) &&
		    !vx_is_all_nodes(ip6->dst_addr))
			return vx_parse_drop(out, VX_DROP_not_for_us);
		if (plen < 4)
			return vx_parse_drop(out, VX_DROP_nd_bad);
		if (contig < out->l4_off + 4u)
			return vx_parse_drop(out, VX_DROP_outer_split);
		icmp = (const struct rte_icmp_hdr *)(p + out->l4_off);
		if (icmp->icmp_type == 128 && to_local)
			return vx_parse_icmp_echo(p, contig, 128, out);
		if (icmp->icmp_type != VX_ICMP6_NS && icmp->icmp_type != VX_ICMP6_NA)
			return vx_parse_drop(out, VX_DROP_icmp6_other);
		return VX_CLASS_ND;
	}
	if (!to_local)
		return vx_parse_drop(out, VX_DROP_not_for_us);
	if (ip6->proto == VX_IP6_NH_FRAGMENT)
		return vx_parse_drop(out, VX_DROP_ip_fragment);
	if (ip6->proto != IPPROTO_UDP) {
		switch (ip6->proto) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case 51:  /* AH */
		case 135: /* Mobility */
			return vx_parse_drop(out, VX_DROP_ip6_ext_header);
		default:
			return vx_parse_drop(out, VX_DROP_not_udp);
		}
	}
	return vx_parse_udp_vxlan(p, contig, cfg, out);
}

static __rte_always_inline enum vx_class
vx_parse_underlay_inline(const uint8_t *p, uint32_t contig, uint32_t pkt_len,
			 const struct vx_parse_cfg *cfg, struct vx_parsed *out)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;

	/* Set what every consumer may read; the rest is set on the way. */
	out->family = 0;
	out->udp_csum = 0;
	out->l4_off = 0;
	out->l4_len = 0;
	out->vni = 0;
	if (contig > pkt_len)
		contig = pkt_len;
	if (pkt_len < sizeof(*eth))
		return vx_parse_drop(out, VX_DROP_eth_truncated);
	if (contig < sizeof(*eth))
		return vx_parse_drop(out, VX_DROP_outer_split);
	out->l3_off = sizeof(*eth);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return vx_parse_ip4(p, contig, pkt_len, cfg, out);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return vx_parse_ip6(p, contig, pkt_len, cfg, out);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return VX_CLASS_ARP;
	default:
		return vx_parse_drop(out, VX_DROP_underlay_ethertype);
	}
}

#endif /* VX_PARSE_PRIV_H */
