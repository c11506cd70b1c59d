/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Unit tests of underlay neighbour resolution (vx_neigh.c): answering ARP
 * and neighbour solicitations, validation of both, and the entry state
 * machine driven by a fake clock. Every test checks all counters and that
 * no mbuf leaks.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "vx.h"
#include "vx_test.h"

/* Timers of the test instance, in fake ticks. */
#define T_REACHABLE 1000
#define T_RETRANS   100
#define T_FAILED    500
#define N_PROBES    3

static const struct rte_ether_addr our_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const struct rte_ether_addr peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct rte_ether_addr peer_mac2 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x22}};
static const struct rte_ether_addr other_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/** One test's instance, output list and counters. */
struct nctx {
	struct vx_inst *vx;
	struct vx_out out;
	struct vx_stats st;   /**< What the code under test counted. */
	struct vx_stats want; /**< What the test expects. */
	unsigned int in_use;  /**< Pool usage before the test. */
	struct vx_ip ip4, ip6, peer4, peer6, other4;
};

#define WANT_DROP(c, name) ((c)->want.drop[VX_DROP_##name])
#define WANT_STAT(c, name) ((c)->want.stat[VX_STAT_##name])

static struct vx_ip
ip_of(const char *s)
{
	struct vx_ip ip = {0};

	if (strchr(s, ':') != NULL) {
		ip.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, ip.v6), 1);
	} else {
		ip.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &ip.v4), 1);
	}
	return ip;
}

static int
setup(void **state)
{
	struct nctx *c = calloc(1, sizeof(*c));
	struct vx_params p = {0};

	if (c == NULL)
		return -1;
	c->in_use = rte_mempool_in_use_count(vx_test_pool());
	c->ip4 = ip_of("198.18.0.1");
	c->ip6 = ip_of("2001:2::1");
	c->peer4 = ip_of("198.18.0.2");
	c->peer6 = ip_of("2001:2::2");
	c->other4 = ip_of("198.18.0.77");
	p.mac = our_mac;
	p.ip4 = c->ip4;
	p.plen4 = 24;
	p.ip6 = c->ip6;
	p.plen6 = 64;
	p.mtu = 1500;
	p.udp_port = VX_UDP_PORT;
	p.underlay_port = 0;
	p.fdb_size = 64;
	p.neigh.reachable = T_REACHABLE;
	p.neigh.retrans = T_RETRANS;
	p.neigh.failed = T_FAILED;
	p.neigh.max_probes = N_PROBES;
	p.pool = vx_test_pool();
	p.socket = -1;
	c->vx = vx_create(&p);
	if (c->vx == NULL) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static void
out_clear(struct nctx *c)
{
	unsigned int i;

	for (i = 0; i < c->out.n; i++)
		rte_pktmbuf_free(c->out.pkts[i]);
	c->out.n = 0;
}

static int
teardown(void **state)
{
	struct nctx *c = *state;

	if (c == NULL)
		return 0;
	out_clear(c);
	vx_destroy(c->vx);
	free(c);
	return 0;
}

/** Compare every counter with what the test expects, naming the ones that differ. */
static void
check_stats(const struct nctx *c)
{
	unsigned int i, bad = 0;

	for (i = 0; i < VX_DROP__MAX; i++) {
		if (c->st.drop[i] != c->want.drop[i]) {
			print_error("drop %s: got %" PRIu64 ", want %" PRIu64 "\n",
				    vx_drop_names[i], c->st.drop[i], c->want.drop[i]);
			bad++;
		}
	}
	for (i = 0; i < VX_STAT__MAX; i++) {
		if (c->st.stat[i] != c->want.stat[i]) {
			print_error("stat %s: got %" PRIu64 ", want %" PRIu64 "\n",
				    vx_stat_names[i], c->st.stat[i], c->want.stat[i]);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/** End a test: free everything and check that no mbuf leaked. */
static void
finish(struct nctx *c)
{
	check_stats(c);
	out_clear(c);
	vx_destroy(c->vx);
	c->vx = NULL;
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use);
}

/** Build an ARP frame; returns its length (@p pad_to pads with zeros). */
static uint32_t
arp_frame(uint8_t *buf, const struct rte_ether_addr *edst, const struct rte_ether_addr *esrc,
	  uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
	  const struct rte_ether_addr *tha, uint32_t tip, uint32_t pad_to)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint32_t len = sizeof(*eth) + sizeof(*arp);

	memset(buf, 0, pad_to > len ? pad_to : len);
	eth->dst_addr = *edst;
	eth->src_addr = *esrc;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(1);
	arp->arp_protocol = rte_cpu_to_be_16(0x0800);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = *sha;
	arp->arp_data.arp_sip = sip;
	arp->arp_data.arp_tha = *tha;
	arp->arp_data.arp_tip = tip;
	return pad_to > len ? pad_to : len;
}

/** Feed one ARP frame to vx_arp_input(). */
static void
arp_in(struct nctx *c, const uint8_t *buf, uint32_t len, uint64_t now)
{
	vx_arp_input(c->vx, vx_test_mbuf(buf, len), sizeof(struct rte_ether_hdr), now, &c->out,
		     &c->st);
}

/*
 * The Internet checksum computed here independently of DPDK: big-endian
 * 16-bit words, one byte at a time.
 */
static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += ((uint32_t)p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/** @return the folded ICMPv6 sum over pseudo-header and message (0xffff if valid). */
static uint16_t
icmp6_check(const uint8_t *ip6hdr, const uint8_t *msg, uint32_t len)
{
	uint32_t sum = sum16(ip6hdr + 8, 32, 0); /* Source and destination. */

	sum += len >> 16;
	sum += len & 0xffff;
	sum += 58;
	sum = sum16(msg, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/** Offsets in the ND frames the tests build and read. */
#define OFF_IP6	 14
#define OFF_ICMP (14 + 40)
#define OFF_OPT	 (14 + 40 + 24)

/**
 * Build an NS or NA frame with the given options; the ICMPv6 checksum is
 * set right (corrupt it afterwards if needed).
 *
 * @return
 *   The frame length.
 */
static uint32_t
nd_frame(uint8_t *buf, const struct rte_ether_addr *edst, const struct rte_ether_addr *esrc,
	 const uint8_t *src, const uint8_t *dst, uint8_t hop, uint8_t type, uint8_t flags,
	 const uint8_t *target, const uint8_t *opts, uint32_t opts_len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	uint8_t *ip6 = buf + OFF_IP6, *icmp = buf + OFF_ICMP;
	uint32_t plen = 24 + opts_len;
	uint16_t ck;

	memset(buf, 0, OFF_ICMP + plen);
	eth->dst_addr = *edst;
	eth->src_addr = *esrc;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6[0] = 0x60;
	ip6[4] = (uint8_t)(plen >> 8);
	ip6[5] = (uint8_t)plen;
	ip6[6] = 58;
	ip6[7] = hop;
	memcpy(ip6 + 8, src, 16);
	memcpy(ip6 + 24, dst, 16);
	icmp[0] = type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	if (opts_len > 0)
		memcpy(icmp + 24, opts, opts_len);
	ck = (uint16_t)~icmp6_check(ip6, icmp, plen);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;
	return OFF_ICMP + plen;
}

/** Feed one ND frame to vx_nd_input() with the parser's offsets. */
static void
nd_in(struct nctx *c, const uint8_t *buf, uint32_t len, uint64_t now)
{
	struct vx_parsed r = {0};

	r.family = AF_INET6;
	r.l3_off = OFF_IP6;
	r.l4_off = OFF_ICMP;
	r.l4_len = ((uint32_t)buf[OFF_IP6 + 4] << 8) | buf[OFF_IP6 + 5];
	vx_nd_input(c->vx, vx_test_mbuf(buf, len), &r, now, &c->out, &c->st);
}

/** An 8-byte link-layer address option. */
static void
lla_opt(uint8_t *o, uint8_t type, const struct rte_ether_addr *mac)
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, mac->addr_bytes, 6);
}

/** Solicited-node multicast address of @p a. */
static void
sn_addr(uint8_t *sn, const uint8_t *a)
{
	static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

	memcpy(sn, pfx, 13);
	memcpy(sn + 13, a + 13, 3);
}

/** A data frame as vx_neigh_output() receives it; @p tag marks it. */
static struct rte_mbuf *
data_pkt(uint8_t tag)
{
	uint8_t buf[64] = {0};

	memcpy(buf + 6, our_mac.addr_bytes, 6);
	buf[12] = 0x08;
	buf[20] = tag;
	return vx_test_mbuf(buf, sizeof(buf));
}

static const uint8_t *
out_data(const struct nctx *c, unsigned int i)
{
	return rte_pktmbuf_mtod(c->out.pkts[i], const uint8_t *);
}

static bool
out_dst_is(const struct nctx *c, unsigned int i, const struct rte_ether_addr *mac)
{
	return memcmp(out_data(c, i), mac->addr_bytes, 6) == 0;
}

/** Check out.pkts[i] is an ARP request from us for @p tip, to @p edst. */
static void
check_arp_request(const struct nctx *c, unsigned int i, uint32_t tip,
		  const struct rte_ether_addr *edst)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)out_data(c, i);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);
	const struct rte_ether_addr zero = {{0}};

	assert_int_equal(c->out.port[i], 0);
	assert_true(rte_pktmbuf_pkt_len(c->out.pkts[i]) >= 42);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, edst));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_ARP);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_hardware), 1);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_protocol), 0x0800);
	assert_int_equal(arp->arp_hlen, 6);
	assert_int_equal(arp->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), 1);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &our_mac));
	assert_int_equal(arp->arp_data.arp_sip, c->ip4.v4);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &zero));
	assert_int_equal(arp->arp_data.arp_tip, tip);
}

/**
 * Check out.pkts[i] is an NS or NA from us: Ethernet to @p edst, IPv6 to
 * @p dst, hop limit 255, @p target, one link-layer option with our MAC, and
 * a checksum that verifies.
 */
static void
check_nd_out(const struct nctx *c, unsigned int i, uint8_t type, uint8_t flags,
	     const struct rte_ether_addr *edst, const uint8_t *dst, const uint8_t *target)
{
	const uint8_t *p = out_data(c, i);

	assert_int_equal(c->out.port[i], 0);
	assert_int_equal(rte_pktmbuf_pkt_len(c->out.pkts[i]), OFF_OPT + 8);
	assert_int_equal(rte_pktmbuf_data_len(c->out.pkts[i]), OFF_OPT + 8);
	assert_memory_equal(p, edst->addr_bytes, 6);
	assert_memory_equal(p + 6, our_mac.addr_bytes, 6);
	assert_int_equal(p[12], 0x86);
	assert_int_equal(p[13], 0xdd);
	assert_int_equal(p[OFF_IP6] >> 4, 6);
	assert_int_equal((p[OFF_IP6 + 4] << 8) | p[OFF_IP6 + 5], 32);
	assert_int_equal(p[OFF_IP6 + 6], 58);
	assert_int_equal(p[OFF_IP6 + 7], 255);
	assert_memory_equal(p + OFF_IP6 + 8, c->ip6.v6, 16);
	assert_memory_equal(p + OFF_IP6 + 24, dst, 16);
	assert_int_equal(p[OFF_ICMP], type);
	assert_int_equal(p[OFF_ICMP + 1], 0);
	assert_int_equal(p[OFF_ICMP + 4], flags);
	assert_int_equal(p[OFF_ICMP + 5] | p[OFF_ICMP + 6] | p[OFF_ICMP + 7], 0);
	assert_memory_equal(p + OFF_ICMP + 8, target, 16);
	assert_int_equal(p[OFF_OPT], type == 135 ? 1 : 2);
	assert_int_equal(p[OFF_OPT + 1], 1);
	assert_memory_equal(p + OFF_OPT + 2, our_mac.addr_bytes, 6);
	assert_int_equal(icmp6_check(p + OFF_IP6, p + OFF_ICMP, 32), 0xffff);
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(vx_neigh_state_name(VX_NEIGH_NONE), "none");
	assert_string_equal(vx_neigh_state_name(VX_NEIGH_INCOMPLETE), "incomplete");
	assert_string_equal(vx_neigh_state_name(VX_NEIGH_REACHABLE), "reachable");
	assert_string_equal(vx_neigh_state_name(VX_NEIGH_STALE), "stale");
	assert_string_equal(vx_neigh_state_name(VX_NEIGH_FAILED), "failed");
	assert_string_equal(vx_neigh_state_name(VX_NEIGH_STATIC), "static");
	assert_string_equal(vx_neigh_state_name(200), "unknown");
}

static void
test_add(void **state)
{
	struct nctx *c = *state;
	struct rte_ether_addr mc = {{0x01, 0, 0x5e, 0, 0, 1}}, zero = {{0}};
	struct vx_ip unset = {0}, ip;
	int a, b, i;

	a = vx_neigh_add(c->vx, &c->peer4);
	b = vx_neigh_add(c->vx, &c->peer6);
	assert_true(a >= 0);
	assert_true(b >= 0 && b != a);
	assert_int_equal(vx_neigh_add(c->vx, &c->peer4), a);
	assert_int_equal(vx_neigh_add(c->vx, &c->peer6), b);
	assert_int_equal(c->vx->n_neigh, 2);
	assert_int_equal(c->vx->neigh[a].state, VX_NEIGH_NONE);
	assert_int_equal(vx_neigh_add(c->vx, &unset), -EINVAL);
	ip = ip_of("0.0.0.0");
	assert_int_equal(vx_neigh_add(c->vx, &ip), -EINVAL);
	ip = ip_of("224.0.0.1");
	assert_int_equal(vx_neigh_add(c->vx, &ip), -EINVAL);
	ip = ip_of("255.255.255.255");
	assert_int_equal(vx_neigh_add(c->vx, &ip), -EINVAL);
	ip = ip_of("::");
	assert_int_equal(vx_neigh_add(c->vx, &ip), -EINVAL);
	ip = ip_of("ff02::1");
	assert_int_equal(vx_neigh_add_static(c->vx, &ip, &peer_mac), -EINVAL);

	assert_int_equal(vx_neigh_add_static(c->vx, &c->other4, &mc), -EINVAL);
	assert_int_equal(vx_neigh_add_static(c->vx, &c->other4, &bcast), -EINVAL);
	assert_int_equal(vx_neigh_add_static(c->vx, &c->other4, &zero), -EINVAL);
	assert_int_equal(c->vx->n_neigh, 2);
	/* Pinning an existing entry keeps its index. */
	assert_int_equal(vx_neigh_add_static(c->vx, &c->peer4, &peer_mac), 0);
	assert_int_equal(c->vx->n_neigh, 2);
	assert_int_equal(c->vx->neigh[a].state, VX_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&c->vx->neigh[a].mac, &peer_mac));

	/* Fill the table. */
	ip = ip_of("198.18.1.0");
	for (i = c->vx->n_neigh; i < c->vx->max_neigh; i++) {
		ip.v4 = htonl(ntohl(ip.v4) + 1);
		assert_int_equal(vx_neigh_add(c->vx, &ip), i);
	}
	ip.v4 = htonl(ntohl(ip.v4) + 1);
	assert_int_equal(vx_neigh_add(c->vx, &ip), -ENOSPC);
	assert_int_equal(vx_neigh_add_static(c->vx, &ip, &peer_mac), -ENOSPC);
	/* Existing entries are still found. */
	assert_int_equal(vx_neigh_add(c->vx, &c->peer6), b);
	finish(c);
}

static void
test_arp_request_for_us(void **state)
{
	struct nctx *c = *state;
	const struct rte_ether_addr zero = {{0}};
	const struct rte_ether_hdr *eth;
	const struct rte_arp_hdr *arp;
	uint8_t buf[64];
	uint32_t len;
	struct rte_mbuf *m;

	/* A request padded to the Ethernet minimum, as it arrives on a wire. */
	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, c->other4.v4, &zero, c->ip4.v4, 60);
	m = vx_test_mbuf(buf, len);
	vx_arp_input(c->vx, m, 14, 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 1);
	assert_ptr_equal(c->out.pkts[0], m); /* Answered in place. */
	assert_int_equal(c->out.port[0], 0);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	arp = (const struct rte_arp_hdr *)(eth + 1);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &other_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_ARP);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_hardware), 1);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_protocol), 0x0800);
	assert_int_equal(arp->arp_hlen, 6);
	assert_int_equal(arp->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), 2);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &our_mac));
	assert_int_equal(arp->arp_data.arp_sip, c->ip4.v4);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &other_mac));
	assert_int_equal(arp->arp_data.arp_tip, c->other4.v4);
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, arp_reply_tx) = 1;

	/* An RFC 5227 probe (sender 0.0.0.0) for our address is answered too. */
	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, 0, &zero, c->ip4.v4, 0);
	arp_in(c, buf, len, 0);
	assert_int_equal(c->out.n, 2);
	arp = rte_pktmbuf_mtod_offset(c->out.pkts[1], const struct rte_arp_hdr *, 14);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), 2);
	assert_int_equal(arp->arp_data.arp_tip, 0);
	WANT_STAT(c, arp_rx) = 2;
	WANT_STAT(c, arp_reply_tx) = 2;
	finish(c);
}

static void
test_arp_not_for_us(void **state)
{
	struct nctx *c = *state;
	const struct rte_ether_addr zero = {{0}};
	struct vx_ip peer9 = ip_of("198.18.0.9");
	uint8_t buf[64];
	uint32_t len;
	int nh;

	/* A request for another address from a host we do not track. */
	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, peer9.v4, &zero, c->other4.v4, 0);
	arp_in(c, buf, len, 0);
	/* A gratuitous ARP from a host we do not track. */
	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, peer9.v4, &zero, peer9.v4, 0);
	arp_in(c, buf, len, 0);
	/* A reply to someone else. */
	len = arp_frame(buf, &bcast, &other_mac, 2, &other_mac, peer9.v4, &peer_mac, c->peer4.v4,
			0);
	arp_in(c, buf, len, 0);
	/* Our own request looped back. */
	len = arp_frame(buf, &bcast, &our_mac, 1, &our_mac, c->ip4.v4, &zero, c->ip4.v4, 0);
	arp_in(c, buf, len, 0);
	/* Another host claiming our address. */
	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, c->ip4.v4, &zero, c->ip4.v4, 0);
	arp_in(c, buf, len, 0);
	/* A frame with our own MAC as sender never teaches an entry. */
	nh = vx_neigh_add(c->vx, &c->peer4);
	assert_true(nh >= 0);
	len = arp_frame(buf, &bcast, &our_mac, 2, &our_mac, c->peer4.v4, &our_mac, c->ip4.v4, 0);
	arp_in(c, buf, len, 0);
	assert_int_equal(c->vx->neigh[nh].state, VX_NEIGH_NONE);
	assert_int_equal(c->out.n, 0);
	WANT_DROP(c, arp_not_for_us) = 6;

	/* A reply to us from a host we do not track is accepted, no more. */
	len = arp_frame(buf, &our_mac, &other_mac, 2, &other_mac, peer9.v4, &our_mac, c->ip4.v4, 0);
	arp_in(c, buf, len, 0);
	assert_int_equal(c->out.n, 0);
	WANT_STAT(c, arp_rx) = 1;
	finish(c);
}

static void
test_arp_bad(void **state)
{
	struct nctx *c = *state;
	const struct rte_ether_addr zero = {{0}};
	const struct rte_ether_addr mc = {{0x01, 0, 0x5e, 0, 0, 1}};
	uint8_t buf[64];
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(buf + 14);
	uint32_t len;
	unsigned int v;

	for (v = 0; v < 9; v++) {
		len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, c->other4.v4, &zero,
				c->ip4.v4, 0);
		switch (v) {
		case 0:
			len = 14 + 27; /* One byte short. */
			break;
		case 1:
			arp->arp_hardware = rte_cpu_to_be_16(6);
			break;
		case 2:
			arp->arp_protocol = rte_cpu_to_be_16(0x86dd);
			break;
		case 3:
			arp->arp_hlen = 8;
			break;
		case 4:
			arp->arp_plen = 16;
			break;
		case 5:
			arp->arp_opcode = rte_cpu_to_be_16(3);
			break;
		case 6:
			arp->arp_opcode = 0;
			break;
		case 7:
			arp->arp_data.arp_sha = mc;
			break;
		case 8:
			arp->arp_data.arp_sha = zero;
			break;
		}
		arp_in(c, buf, len, 0);
	}
	assert_int_equal(c->out.n, 0);
	WANT_DROP(c, arp_bad) = 9;
	finish(c);
}

static void
test_arp_resolve(void **state)
{
	struct nctx *c = *state;
	struct rte_mbuf *held[2];
	struct vx_neigh *e;
	uint8_t buf[64];
	uint32_t len;
	int nh;

	nh = vx_neigh_add(c->vx, &c->peer4);
	assert_true(nh >= 0);
	e = &c->vx->neigh[nh];
	held[0] = data_pkt(1);
	held[1] = data_pkt(2);
	vx_neigh_output(c->vx, (uint16_t)nh, held[0], 10, &c->out, &c->st);
	vx_neigh_output(c->vx, (uint16_t)nh, held[1], 11, &c->out, &c->st);
	/* One broadcast probe; both packets wait. */
	assert_int_equal(c->out.n, 1);
	check_arp_request(c, 0, c->peer4.v4, &bcast);
	assert_int_equal(e->state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(e->n_hold, 2);
	assert_int_equal(e->probes, 1);
	assert_int_equal(e->deadline, 10 + T_RETRANS);
	WANT_STAT(c, arp_request_tx) = 1;
	WANT_STAT(c, neigh_held) = 2;
	check_stats(c);
	out_clear(c);

	/* The reply releases them, in order, with the right destination. */
	len = arp_frame(buf, &our_mac, &peer_mac, 2, &peer_mac, c->peer4.v4, &our_mac, c->ip4.v4,
			0);
	arp_in(c, buf, len, 50);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac));
	assert_int_equal(e->n_hold, 0);
	assert_int_equal(e->deadline, 50 + T_REACHABLE);
	assert_int_equal(e->updated, 50);
	assert_int_equal(c->out.n, 2);
	assert_ptr_equal(c->out.pkts[0], held[0]);
	assert_ptr_equal(c->out.pkts[1], held[1]);
	assert_true(out_dst_is(c, 0, &peer_mac));
	assert_true(out_dst_is(c, 1, &peer_mac));
	assert_int_equal(out_data(c, 1)[20], 2);
	assert_int_equal(c->out.port[0], 0);
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, neigh_resolved) = 1;

	/* Later packets go straight out. */
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(3), 60, &c->out, &c->st);
	assert_int_equal(c->out.n, 3);
	assert_true(out_dst_is(c, 2, &peer_mac));
	/* The timer has nothing to do before the deadline. */
	vx_neigh_timer(c->vx, 50 + T_REACHABLE - 1, &c->out, &c->st);
	assert_int_equal(c->out.n, 3);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);

	/* A next hop index out of range has no route. */
	vx_neigh_output(c->vx, VX_NONE, data_pkt(4), 60, &c->out, &c->st);
	WANT_DROP(c, no_route) = 1;
	finish(c);
}

static void
test_hold_overflow(void **state)
{
	struct nctx *c = *state;
	int nh = vx_neigh_add(c->vx, &c->peer4);
	unsigned int i;

	assert_true(nh >= 0);
	for (i = 0; i < VX_NEIGH_HOLD + 3; i++)
		vx_neigh_output(c->vx, (uint16_t)nh, data_pkt((uint8_t)i), 5, &c->out, &c->st);
	assert_int_equal(c->out.n, 1); /* Only the probe. */
	assert_int_equal(c->vx->neigh[nh].n_hold, VX_NEIGH_HOLD);
	WANT_STAT(c, arp_request_tx) = 1;
	WANT_STAT(c, neigh_held) = VX_NEIGH_HOLD;
	WANT_DROP(c, neigh_queue_full) = 3;
	/* Destroying the instance frees the held packets (checked by finish). */
	finish(c);
}

static void
test_retransmit_failed(void **state)
{
	struct nctx *c = *state;
	int nh = vx_neigh_add(c->vx, &c->peer4);
	struct vx_neigh *e = &c->vx->neigh[nh];
	uint64_t t0 = 1000, t;
	unsigned int i;

	assert_true(nh >= 0);
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(1), t0, &c->out, &c->st);
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(2), t0, &c->out, &c->st);
	assert_int_equal(c->out.n, 1);
	/* Nothing before the retransmission time. */
	vx_neigh_timer(c->vx, t0 + T_RETRANS - 1, &c->out, &c->st);
	assert_int_equal(c->out.n, 1);
	/* Probes 2 and 3, one per retransmission interval. */
	for (i = 1; i < N_PROBES; i++) {
		t = t0 + i * T_RETRANS;
		vx_neigh_timer(c->vx, t, &c->out, &c->st);
		vx_neigh_timer(c->vx, t + 1, &c->out, &c->st); /* Not again. */
		assert_int_equal(c->out.n, i + 1);
		check_arp_request(c, i, c->peer4.v4, &bcast);
		assert_int_equal(e->probes, i + 1);
		assert_int_equal(e->state, VX_NEIGH_INCOMPLETE);
	}
	/* No answer to the last one: FAILED, held packets dropped. */
	t = t0 + N_PROBES * T_RETRANS;
	vx_neigh_timer(c->vx, t, &c->out, &c->st);
	assert_int_equal(c->out.n, N_PROBES);
	assert_int_equal(e->state, VX_NEIGH_FAILED);
	assert_int_equal(e->n_hold, 0);
	assert_int_equal(e->deadline, t + T_FAILED);
	WANT_STAT(c, arp_request_tx) = N_PROBES;
	WANT_STAT(c, neigh_held) = 2;
	WANT_DROP(c, neigh_failed) = 2;
	check_stats(c);

	/* During the hold-down new packets drop and nothing is sent. */
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(3), t + 1, &c->out, &c->st);
	vx_neigh_timer(c->vx, t + T_FAILED - 1, &c->out, &c->st);
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(4), t + T_FAILED - 1, &c->out, &c->st);
	assert_int_equal(c->out.n, N_PROBES);
	WANT_DROP(c, neigh_failed) = 4;
	check_stats(c);

	/* Hold-down over: NONE, then the next timer run probes again. */
	t += T_FAILED;
	vx_neigh_timer(c->vx, t, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_NONE);
	assert_int_equal(c->out.n, N_PROBES);
	vx_neigh_timer(c->vx, t + 1, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(e->probes, 1);
	assert_int_equal(c->out.n, N_PROBES + 1);
	check_arp_request(c, N_PROBES, c->peer4.v4, &bcast);
	WANT_STAT(c, arp_request_tx) = N_PROBES + 1;
	finish(c);
}

/* A packet after the hold-down restarts resolution even before the timer runs. */
static void
test_failed_then_packet(void **state)
{
	struct nctx *c = *state;
	int nh = vx_neigh_add(c->vx, &c->peer6);
	struct vx_neigh *e = &c->vx->neigh[nh];
	uint64_t t = 0;
	unsigned int i;
	uint8_t sn[16];

	assert_true(nh >= 0);
	vx_neigh_timer(c->vx, t, &c->out, &c->st); /* Kicks the NONE entry. */
	for (i = 1; i <= N_PROBES; i++)
		vx_neigh_timer(c->vx, t + i * T_RETRANS, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_FAILED);
	assert_int_equal(c->out.n, N_PROBES);
	sn_addr(sn, c->peer6.v6);
	for (i = 0; i < N_PROBES; i++) {
		const struct rte_ether_addr snmac = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x02}};

		check_nd_out(c, i, 135, 0, &snmac, sn, c->peer6.v6);
	}
	t = N_PROBES * T_RETRANS + T_FAILED;
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(1), t, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(e->n_hold, 1);
	assert_int_equal(c->out.n, N_PROBES + 1);
	WANT_STAT(c, nd_solicit_tx) = N_PROBES + 1;
	WANT_STAT(c, neigh_held) = 1;
	finish(c);
}

static void
test_stale_refresh(void **state)
{
	struct nctx *c = *state;
	int nh = vx_neigh_add(c->vx, &c->peer4);
	struct vx_neigh *e = &c->vx->neigh[nh];
	uint8_t buf[64];
	uint32_t len;
	uint64_t t;
	unsigned int i;

	assert_true(nh >= 0);
	/* A gratuitous ARP from the next hop resolves it without a probe. */
	len = arp_frame(buf, &bcast, &peer_mac, 1, &peer_mac, c->peer4.v4, &bcast, c->peer4.v4, 0);
	arp_in(c, buf, len, 0);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	assert_int_equal(c->out.n, 0);
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, neigh_resolved) = 1;

	/* Lifetime over: STALE, unicast probe to the known MAC. */
	t = T_REACHABLE;
	vx_neigh_timer(c->vx, t, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_STALE);
	assert_int_equal(c->out.n, 1);
	check_arp_request(c, 0, c->peer4.v4, &peer_mac);
	WANT_STAT(c, arp_request_tx) = 1;
	/* STALE still forwards. */
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(1), t + 1, &c->out, &c->st);
	assert_int_equal(c->out.n, 2);
	assert_true(out_dst_is(c, 1, &peer_mac));

	/* The answer, from a new MAC, makes it REACHABLE again. */
	len = arp_frame(buf, &our_mac, &peer_mac2, 2, &peer_mac2, c->peer4.v4, &our_mac, c->ip4.v4,
			0);
	arp_in(c, buf, len, t + 10);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac2));
	assert_int_equal(e->deadline, t + 10 + T_REACHABLE);
	WANT_STAT(c, arp_rx) = 2; /* neigh_resolved stays 1: it had a MAC. */
	check_stats(c);
	out_clear(c);

	/* STALE without an answer ends FAILED after max_probes. */
	t = t + 10 + T_REACHABLE;
	vx_neigh_timer(c->vx, t, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_STALE);
	for (i = 1; i < N_PROBES; i++) {
		vx_neigh_timer(c->vx, t + i * T_RETRANS, &c->out, &c->st);
		assert_int_equal(e->state, VX_NEIGH_STALE);
	}
	assert_int_equal(c->out.n, N_PROBES);
	for (i = 0; i < N_PROBES; i++)
		check_arp_request(c, i, c->peer4.v4, &peer_mac2);
	vx_neigh_timer(c->vx, t + N_PROBES * T_RETRANS, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_FAILED);
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(2), t + N_PROBES * T_RETRANS, &c->out,
			&c->st);
	WANT_STAT(c, arp_request_tx) = 1 + N_PROBES;
	WANT_DROP(c, neigh_failed) = 1;
	finish(c);
}

/*
 * vx_neigh_reprobe() (a new underlay MAC): a fresh REACHABLE entry is probed
 * by unicast at the next timer run, long before its lifetime ends, and a
 * static one is left alone.
 */
static void
test_reprobe(void **state)
{
	struct nctx *c = *state;
	const struct rte_ether_addr smac = {{0x02, 0, 0, 0, 0x5e, 0x01}};
	int nh = vx_neigh_add(c->vx, &c->peer4);
	const struct vx_ip peer7 = ip_of("198.18.0.7");
	struct vx_neigh *e = &c->vx->neigh[nh];
	uint8_t buf[64];
	uint32_t len;

	assert_true(nh >= 0);
	assert_int_equal(vx_neigh_add_static(c->vx, &peer7, &smac), 0);
	len = arp_frame(buf, &bcast, &peer_mac, 1, &peer_mac, c->peer4.v4, &bcast, c->peer4.v4, 0);
	arp_in(c, buf, len, 100);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, neigh_resolved) = 1;
	/* Nothing to do before the lifetime ends... */
	vx_neigh_timer(c->vx, 200, &c->out, &c->st);
	assert_int_equal(c->out.n, 0);
	/* ...unless asked to probe again. */
	vx_neigh_reprobe(c->vx);
	vx_neigh_timer(c->vx, 200, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_STALE);
	assert_int_equal(c->out.n, 1);
	check_arp_request(c, 0, c->peer4.v4, &peer_mac);
	WANT_STAT(c, arp_request_tx) = 1;
	finish(c);
}

static void
test_static(void **state)
{
	struct nctx *c = *state;
	struct vx_neigh *e;
	uint8_t buf[64];
	uint32_t len;
	int nh;

	assert_int_equal(vx_neigh_add_static(c->vx, &c->peer4, &peer_mac), 0);
	nh = vx_neigh_add(c->vx, &c->peer4);
	assert_true(nh >= 0);
	e = &c->vx->neigh[nh];
	vx_neigh_timer(c->vx, 0, &c->out, &c->st);
	vx_neigh_timer(c->vx, UINT64_MAX - 1, &c->out, &c->st);
	assert_int_equal(c->out.n, 0); /* Never probed. */
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(1), 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 1);
	assert_true(out_dst_is(c, 0, &peer_mac));

	/* ARP and NA do not override a static entry. */
	len = arp_frame(buf, &our_mac, &peer_mac2, 2, &peer_mac2, c->peer4.v4, &our_mac, c->ip4.v4,
			0);
	arp_in(c, buf, len, 5);
	len = arp_frame(buf, &bcast, &peer_mac2, 1, &peer_mac2, c->peer4.v4, &bcast, c->peer4.v4,
			0);
	arp_in(c, buf, len, 5);
	assert_int_equal(e->state, VX_NEIGH_STATIC);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac));
	WANT_STAT(c, arp_rx) = 1; /* The reply was addressed to us. */
	WANT_DROP(c, arp_not_for_us) = 1;
	finish(c);
}

static void
test_timer_kicks_none(void **state)
{
	struct nctx *c = *state;
	int a = vx_neigh_add(c->vx, &c->peer4);
	int b = vx_neigh_add(c->vx, &c->peer6);
	const struct rte_ether_addr snmac = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x02}};
	uint8_t sn[16];

	assert_true(a >= 0 && b >= 0);
	vx_neigh_timer(c->vx, 7, &c->out, &c->st);
	assert_int_equal(c->vx->neigh[a].state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(c->vx->neigh[b].state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(c->out.n, 2);
	check_arp_request(c, 0, c->peer4.v4, &bcast);
	sn_addr(sn, c->peer6.v6);
	/* The solicited-node address, spelled out independently. */
	assert_memory_equal(sn, ip_of("ff02::1:ff00:2").v6, 16);
	check_nd_out(c, 1, 135, 0, &snmac, sn, c->peer6.v6);
	/* Packets for an entry that is already probing do not send more probes. */
	vx_neigh_output(c->vx, (uint16_t)b, data_pkt(1), 8, &c->out, &c->st);
	assert_int_equal(c->out.n, 2);
	WANT_STAT(c, arp_request_tx) = 1;
	WANT_STAT(c, nd_solicit_tx) = 1;
	WANT_STAT(c, neigh_held) = 1;
	finish(c);
}

static void
test_no_mbuf(void **state)
{
	struct nctx *c = *state;
	struct rte_mempool *tiny;
	struct rte_mbuf *only;
	int nh = vx_neigh_add(c->vx, &c->peer4);

	assert_true(nh >= 0);
	tiny = rte_pktmbuf_pool_create("neigh_tiny", 1, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	assert_non_null(tiny);
	only = rte_pktmbuf_alloc(tiny);
	assert_non_null(only);
	c->vx->p.pool = tiny;
	vx_neigh_output(c->vx, (uint16_t)nh, data_pkt(1), 0, &c->out, &c->st);
	/* The probe could not be built but counts as sent; the packet waits. */
	assert_int_equal(c->out.n, 0);
	assert_int_equal(c->vx->neigh[nh].state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(c->vx->neigh[nh].probes, 1);
	assert_int_equal(c->vx->neigh[nh].n_hold, 1);
	WANT_DROP(c, no_mbuf) = 1;
	WANT_STAT(c, neigh_held) = 1;
	c->vx->p.pool = vx_test_pool();
	rte_pktmbuf_free(only);
	rte_mempool_free(tiny);
	finish(c);
}

static void
test_ns_for_us(void **state)
{
	struct nctx *c = *state;
	uint8_t buf[128], opt[8], sn[16];
	struct vx_ip peer9 = ip_of("2001:2::99");
	const struct rte_ether_addr mc_ours = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}};
	uint32_t len;

	/* Multicast NS with a source link-layer option. */
	sn_addr(sn, c->ip6.v6);
	lla_opt(opt, 1, &other_mac);
	len = nd_frame(buf, &mc_ours, &peer_mac2, peer9.v6, sn, 255, 135, 0, c->ip6.v6, opt, 8);
	nd_in(c, buf, len, 0);
	assert_int_equal(c->out.n, 1);
	/* Sent to the option's MAC, not the frame's source. */
	check_nd_out(c, 0, 136, 0x60, &other_mac, peer9.v6, c->ip6.v6);
	WANT_STAT(c, nd_rx) = 1;
	WANT_STAT(c, nd_advert_tx) = 1;

	/* Unicast NS without options: answered to the frame's source MAC. */
	len = nd_frame(buf, &our_mac, &peer_mac2, peer9.v6, c->ip6.v6, 255, 135, 0, c->ip6.v6, NULL,
		       0);
	nd_in(c, buf, len, 0);
	assert_int_equal(c->out.n, 2);
	check_nd_out(c, 1, 136, 0x60, &peer_mac2, peer9.v6, c->ip6.v6);
	WANT_STAT(c, nd_rx) = 2;
	WANT_STAT(c, nd_advert_tx) = 2;

	/* An NS with an unknown option and Ethernet padding: the reply is trimmed. */
	{
		uint8_t opts[24] = {0};

		lla_opt(opts, 1, &other_mac);
		opts[8] = 14; /* Nonce option (RFC 3971), 16 bytes. */
		opts[9] = 2;
		len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0, c->ip6.v6,
			       opts, 24);
		memset(buf + len, 0, 10);
		nd_in(c, buf, len + 10, 0);
		assert_int_equal(c->out.n, 3);
		check_nd_out(c, 2, 136, 0x60, &other_mac, peer9.v6, c->ip6.v6);
	}
	WANT_STAT(c, nd_rx) = 3;
	WANT_STAT(c, nd_advert_tx) = 3;
	finish(c);
}

static void
test_nd_bad(void **state)
{
	struct nctx *c = *state;
	uint8_t buf[128], opt[16], sn[16];
	const struct rte_ether_addr mc_ours = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}};
	struct vx_ip peer9 = ip_of("2001:2::99");
	struct vx_ip unspec = {.family = AF_INET6};
	struct vx_parsed r = {0};
	uint32_t len;
	unsigned int v;

	sn_addr(sn, c->ip6.v6);
	for (v = 0; v < 13; v++) {
		lla_opt(opt, 1, &other_mac);
		memset(opt + 8, 0, 8);
		switch (v) {
		case 0: /* Hop limit not 255: could come from off-link. */
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 64, 135, 0,
				       c->ip6.v6, opt, 8);
			break;
		case 1: /* Checksum wrong. */
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 8);
			buf[OFF_ICMP + 3] ^= 1;
			break;
		case 2: /* Option of length 0. */
			opt[1] = 0;
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 8);
			break;
		case 3: /* Option running past the message. */
			opt[1] = 2;
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 8);
			break;
		case 4: /* Code not 0. */
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 8);
			buf[OFF_ICMP + 1] = 1;
			/* Keep the checksum right so that only the code is wrong. */
			buf[OFF_ICMP + 2] = 0;
			buf[OFF_ICMP + 3] = 0;
			{
				uint16_t ck =
					(uint16_t)~icmp6_check(buf + OFF_IP6, buf + OFF_ICMP, 32);

				buf[OFF_ICMP + 2] = (uint8_t)(ck >> 8);
				buf[OFF_ICMP + 3] = (uint8_t)ck;
			}
			break;
		case 5: /* Shorter than an NS. */
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 0);
			buf[OFF_IP6 + 5] = 20;
			len = OFF_ICMP + 20;
			break;
		case 6: /* Link-layer option of the wrong size. */
			opt[1] = 2;
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 16);
			break;
		case 7: /* Multicast target. */
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0, sn,
				       opt, 8);
			break;
		case 8: /* DAD probe with a source link-layer option. */
			len = nd_frame(buf, &mc_ours, &other_mac, unspec.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 8);
			break;
		case 9: /* DAD probe to a unicast address. */
			len = nd_frame(buf, &our_mac, &other_mac, unspec.v6, c->ip6.v6, 255, 135, 0,
				       c->ip6.v6, NULL, 0);
			break;
		case 10: /* Unknown option of length 0 after a good one. */
			opt[8] = 14;
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 16);
			break;
		case 11: /* Unknown option running past the message. */
			opt[8] = 14;
			opt[9] = 2;
			len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0,
				       c->ip6.v6, opt, 16);
			break;
		default: /* Solicited NA to a multicast address. */
			lla_opt(opt, 2, &other_mac);
			len = nd_frame(buf, &bcast, &other_mac, peer9.v6, sn, 255, 136, 0x60,
				       peer9.v6, opt, 8);
			break;
		}
		nd_in(c, buf, len, 0);
	}
	/* An ICMPv6 message too short for its header. */
	len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0, c->ip6.v6, NULL, 0);
	r.l3_off = OFF_IP6;
	r.l4_off = OFF_ICMP;
	r.l4_len = 2;
	vx_nd_input(c->vx, vx_test_mbuf(buf, len), &r, 0, &c->out, &c->st);
	WANT_DROP(c, nd_bad) = 14;

	/* Valid, but not for us. */
	len = nd_frame(buf, &mc_ours, &other_mac, unspec.v6, sn, 255, 135, 0, c->ip6.v6, NULL, 0);
	nd_in(c, buf, len, 0); /* DAD for our address. */
	lla_opt(opt, 1, &other_mac);
	len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0, peer9.v6, opt, 8);
	nd_in(c, buf, len, 0); /* NS for another target. */
	lla_opt(opt, 2, &other_mac);
	len = nd_frame(buf, &bcast, &other_mac, peer9.v6, sn, 255, 136, 0x20, peer9.v6, opt, 8);
	nd_in(c, buf, len, 0); /* NA for an address we do not track. */
	len = nd_frame(buf, &bcast, &other_mac, peer9.v6, sn, 255, 136, 0x20, c->ip6.v6, opt, 8);
	nd_in(c, buf, len, 0); /* NA claiming our own address. */
	WANT_DROP(c, nd_not_for_us) = 4;

	/* Not neighbour discovery at all: an echo request. */
	len = nd_frame(buf, &our_mac, &other_mac, peer9.v6, c->ip6.v6, 64, 128, 0, c->ip6.v6, NULL,
		       0);
	nd_in(c, buf, len, 0);
	WANT_DROP(c, icmp6_other) = 1;
	assert_int_equal(c->out.n, 0);
	finish(c);
}

static void
test_na_updates(void **state)
{
	struct nctx *c = *state;
	int nh = vx_neigh_add(c->vx, &c->peer6);
	struct vx_neigh *e = &c->vx->neigh[nh];
	uint8_t buf[128], opt[8];
	uint32_t len;
	struct rte_mbuf *held;

	assert_true(nh >= 0);
	held = data_pkt(1);
	vx_neigh_output(c->vx, (uint16_t)nh, held, 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 1);
	out_clear(c);
	WANT_STAT(c, nd_solicit_tx) = 1;
	WANT_STAT(c, neigh_held) = 1;

	/* Solicited NA with the target's link-layer address. */
	lla_opt(opt, 2, &peer_mac);
	len = nd_frame(buf, &our_mac, &peer_mac, c->peer6.v6, c->ip6.v6, 255, 136, 0x60,
		       c->peer6.v6, opt, 8);
	nd_in(c, buf, len, 20);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac));
	assert_int_equal(e->deadline, 20 + T_REACHABLE);
	assert_int_equal(c->out.n, 1);
	assert_ptr_equal(c->out.pkts[0], held);
	assert_true(out_dst_is(c, 0, &peer_mac));
	WANT_STAT(c, nd_rx) = 1;
	WANT_STAT(c, neigh_resolved) = 1;

	/* Without the override flag a different MAC is not taken. */
	lla_opt(opt, 2, &peer_mac2);
	len = nd_frame(buf, &our_mac, &peer_mac2, c->peer6.v6, c->ip6.v6, 255, 136, 0x40,
		       c->peer6.v6, opt, 8);
	nd_in(c, buf, len, 30);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac));
	assert_int_equal(e->deadline, 20 + T_REACHABLE);
	WANT_DROP(c, nd_not_for_us) = 1;

	/* An unsolicited NA with override, to all nodes, moves it. */
	{
		const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
		const struct rte_ether_addr mc_all = {{0x33, 0x33, 0, 0, 0, 1}};

		len = nd_frame(buf, &mc_all, &peer_mac2, c->peer6.v6, all_nodes, 255, 136, 0x20,
			       c->peer6.v6, opt, 8);
		nd_in(c, buf, len, 40);
	}
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac2));
	assert_int_equal(e->deadline, 40 + T_REACHABLE);
	WANT_STAT(c, nd_rx) = 2;

	/* STALE, then a solicited NA without an option confirms the MAC it has. */
	vx_neigh_timer(c->vx, 40 + T_REACHABLE, &c->out, &c->st);
	assert_int_equal(e->state, VX_NEIGH_STALE);
	assert_int_equal(c->out.n, 2);
	/* The unicast probe goes to the neighbour's address and MAC. */
	check_nd_out(c, 1, 135, 0, &peer_mac2, c->peer6.v6, c->peer6.v6);
	WANT_STAT(c, nd_solicit_tx) = 2;
	len = nd_frame(buf, &our_mac, &peer_mac2, c->peer6.v6, c->ip6.v6, 255, 136, 0x40,
		       c->peer6.v6, NULL, 0);
	nd_in(c, buf, len, 1100);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	assert_int_equal(e->deadline, 1100 + T_REACHABLE);
	WANT_STAT(c, nd_rx) = 3;

	/* An NS from the neighbour, for us, updates it and is answered. */
	lla_opt(opt, 1, &peer_mac);
	len = nd_frame(buf, &our_mac, &peer_mac, c->peer6.v6, c->ip6.v6, 255, 135, 0, c->ip6.v6,
		       opt, 8);
	nd_in(c, buf, len, 1200);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac));
	assert_int_equal(e->deadline, 1200 + T_REACHABLE);
	assert_int_equal(c->out.n, 3);
	check_nd_out(c, 2, 136, 0x60, &peer_mac, c->peer6.v6, c->ip6.v6);
	WANT_STAT(c, nd_rx) = 4;
	WANT_STAT(c, nd_advert_tx) = 1;
	finish(c);
}

static void
test_arp_updates_entry(void **state)
{
	struct nctx *c = *state;
	int nh = vx_neigh_add(c->vx, &c->peer4);
	struct vx_neigh *e = &c->vx->neigh[nh];
	const struct rte_ether_addr zero = {{0}};
	uint8_t buf[64];
	uint32_t len;

	assert_true(nh >= 0);
	/* A request from the next hop for someone else teaches its MAC. */
	len = arp_frame(buf, &bcast, &peer_mac, 1, &peer_mac, c->peer4.v4, &zero, c->other4.v4, 0);
	arp_in(c, buf, len, 3);
	assert_int_equal(e->state, VX_NEIGH_REACHABLE);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac));
	assert_int_equal(c->out.n, 0);
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, neigh_resolved) = 1;

	/* A request from the next hop for us: answered, and it updates the MAC. */
	len = arp_frame(buf, &bcast, &peer_mac2, 1, &peer_mac2, c->peer4.v4, &zero, c->ip4.v4, 0);
	arp_in(c, buf, len, 9);
	assert_true(rte_is_same_ether_addr(&e->mac, &peer_mac2));
	assert_int_equal(e->deadline, 9 + T_REACHABLE);
	assert_int_equal(c->out.n, 1);
	assert_true(out_dst_is(c, 0, &peer_mac2));
	WANT_STAT(c, arp_rx) = 2;
	WANT_STAT(c, arp_reply_tx) = 1;
	finish(c);
}

/* ARP and NS reach vx_neigh through vx_underlay_input() as well. */
static void
test_via_underlay_input(void **state)
{
	struct nctx *c = *state;
	const struct rte_ether_addr zero = {{0}};
	const struct rte_ether_addr mc_ours = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}};
	struct vx_ip peer9 = ip_of("2001:2::99");
	struct rte_mbuf *pkts[2];
	uint8_t buf[128], opt[8], sn[16];
	uint32_t len;

	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, c->other4.v4, &zero, c->ip4.v4, 0);
	pkts[0] = vx_test_mbuf(buf, len);
	sn_addr(sn, c->ip6.v6);
	lla_opt(opt, 1, &other_mac);
	len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0, c->ip6.v6, opt, 8);
	pkts[1] = vx_test_mbuf(buf, len);
	vx_underlay_input(c->vx, pkts, 2, 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 2);
	check_nd_out(c, 1, 136, 0x60, &other_mac, peer9.v6, c->ip6.v6);
	WANT_STAT(c, underlay_rx) = 2;
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, arp_reply_tx) = 1;
	WANT_STAT(c, nd_rx) = 1;
	WANT_STAT(c, nd_advert_tx) = 1;
	finish(c);
}

/** Build a two-segment mbuf whose first segment holds @p split bytes. */
static struct rte_mbuf *
two_segs(const uint8_t *buf, uint32_t len, uint32_t split)
{
	struct rte_mbuf *m = vx_test_mbuf(buf, split);

	assert_int_equal(rte_pktmbuf_chain(m, vx_test_mbuf(buf + split, len - split)), 0);
	return m;
}

/* Frames whose ARP or ICMPv6 part spans two segments are handled whole. */
static void
test_multiseg(void **state)
{
	struct nctx *c = *state;
	const struct rte_ether_addr zero = {{0}};
	const struct rte_ether_addr mc_ours = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}};
	struct vx_ip peer9 = ip_of("2001:2::99");
	const struct rte_arp_hdr *arp;
	struct vx_parsed r = {0};
	uint8_t buf[128], opt[8], sn[16];
	uint32_t len;

	len = arp_frame(buf, &bcast, &other_mac, 1, &other_mac, c->other4.v4, &zero, c->ip4.v4, 0);
	vx_arp_input(c->vx, two_segs(buf, len, 20), 14, 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 1);
	arp = rte_pktmbuf_mtod_offset(c->out.pkts[0], const struct rte_arp_hdr *, 14);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), 2);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &other_mac));
	assert_int_equal(arp->arp_data.arp_tip, c->other4.v4);
	WANT_STAT(c, arp_rx) = 1;
	WANT_STAT(c, arp_reply_tx) = 1;

	sn_addr(sn, c->ip6.v6);
	lla_opt(opt, 1, &other_mac);
	len = nd_frame(buf, &mc_ours, &other_mac, peer9.v6, sn, 255, 135, 0, c->ip6.v6, opt, 8);
	r.l3_off = OFF_IP6;
	r.l4_off = OFF_ICMP;
	r.l4_len = 32;
	vx_nd_input(c->vx, two_segs(buf, len, OFF_ICMP + 10), &r, 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(c->out.pkts[1]->nb_segs, 1);
	check_nd_out(c, 1, 136, 0x60, &other_mac, peer9.v6, c->ip6.v6);
	WANT_STAT(c, nd_rx) = 1;
	WANT_STAT(c, nd_advert_tx) = 1;

	/*
	 * A 78-byte NS without options plus a 22-byte trailer, split 80 + 20:
	 * the 86-byte reply does not fit where the NS was, so it must be built
	 * elsewhere, whole and with a valid checksum.
	 */
	len = nd_frame(buf, &our_mac, &other_mac, peer9.v6, c->ip6.v6, 255, 135, 0, c->ip6.v6, NULL,
		       0);
	memset(buf + len, 0xee, 22);
	r.l4_len = 24;
	vx_nd_input(c->vx, two_segs(buf, len + 22, 80), &r, 0, &c->out, &c->st);
	assert_int_equal(c->out.n, 3);
	assert_int_equal(c->out.pkts[2]->nb_segs, 1);
	assert_int_equal(c->out.pkts[2]->pkt_len, 86);
	check_nd_out(c, 2, 136, 0x60, &other_mac, peer9.v6, c->ip6.v6);
	WANT_STAT(c, nd_rx) = 2;
	WANT_STAT(c, nd_advert_tx) = 2;
	finish(c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
vx_test_neigh(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		T(test_add),
		T(test_arp_request_for_us),
		T(test_arp_not_for_us),
		T(test_arp_bad),
		T(test_arp_resolve),
		T(test_hold_overflow),
		T(test_retransmit_failed),
		T(test_failed_then_packet),
		T(test_stale_refresh),
		T(test_reprobe),
		T(test_static),
		T(test_timer_kicks_none),
		T(test_no_mbuf),
		T(test_ns_for_us),
		T(test_nd_bad),
		T(test_na_updates),
		T(test_arp_updates_entry),
		T(test_via_underlay_input),
		T(test_multiseg),
	};

	return cmocka_run_group_tests_name("neigh", tests, NULL, NULL);
}
