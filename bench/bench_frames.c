/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builders of mflow-bench. They run once per case, before anything is
 * timed, so they favour clarity over speed.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "bench.h"
#include "vx_test_frames.h"

uint32_t
bench_inner_frame(uint8_t *buf, uint32_t len, const struct bench_flow *f)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *payload = (uint8_t *)(udp + 1);
	uint32_t i;

	if (len < BENCH_INNER_MIN || len > BENCH_FRAME_MAX)
		return 0;
	memset(buf, 0, len);
	eth->dst_addr = f->dst;
	eth->src_addr = f->src;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = f->ip_src;
	ip->dst_addr = f->ip_dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(f->sport);
	udp->dst_port = rte_cpu_to_be_16(f->dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth) - sizeof(*ip)));
	/* A recognisable payload, so that a corrupted copy shows in a hex dump. */
	for (i = 0; payload + i < buf + len; i++)
		payload[i] = (uint8_t)i;
	return len;
}

uint32_t
bench_vxlan_frame(uint8_t *buf, const uint8_t *inner, uint32_t inner_len,
		  const struct rte_ether_addr *dmac, const struct rte_ether_addr *smac,
		  const struct vx_ip *src, const struct vx_ip *dst, uint32_t vni, uint16_t sport)
{
	const struct vxt_outer o = {.dmac = *dmac, .smac = *smac, .sport = sport, .df = true};

	return vxt_encap_ex(buf, inner, inner_len, src, dst, vni, &o);
}
