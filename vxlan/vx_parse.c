/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification and validation of underlay frames. These functions read
 * bytes only; they never touch an mbuf, so the fuzzer and the unit tests
 * call them directly.
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "vx.h"
#include "vx_parse_priv.h"

enum vx_class
vx_parse_underlay(const uint8_t *p, uint32_t contig, uint32_t pkt_len,
		  const struct vx_parse_cfg *cfg, struct vx_parsed *out)
{
	return vx_parse_underlay_inline(p, contig, pkt_len, cfg, out);
}

bool
vx_udp_csum_ok_raw(const uint8_t *p, uint32_t len, const struct vx_parsed *r)
{
	const struct rte_udp_hdr *udp;
	uint32_t sum;

	if (len < r->l4_off + r->l4_len || r->l4_len < sizeof(*udp))
		return false;
	udp = (const struct rte_udp_hdr *)(p + r->l4_off);
	if (r->family == AF_INET)
		sum = rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)(p + r->l3_off), 0);
	else
		sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)(p + r->l3_off), 0);
	sum = __rte_raw_cksum(udp, r->l4_len, sum);
	sum = __rte_raw_cksum_reduce(sum);
	return sum == 0xffff || (r->family == AF_INET && udp->dgram_cksum == 0);
}
