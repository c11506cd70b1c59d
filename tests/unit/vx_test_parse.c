/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Underlay parser tests: every validation rule, both families, and every
 * truncation length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "vx_test.h"
#include "vx_test_frames.h"

static struct vx_parse_cfg cfg;
static struct vx_ip local4, local6, remote4, remote6;
static uint8_t inner[128];
static uint32_t inner_len;

static int
setup(void **state)
{
	struct rte_ether_addr a = vxt_mac("02:00:00:00:01:11");
	struct rte_ether_addr b = vxt_mac("02:00:00:00:01:01");

	(void)state;
	local4 = vxt_ip("198.18.0.1");
	local6 = vxt_ip("2001:2::1");
	remote4 = vxt_ip("198.18.0.2");
	remote6 = vxt_ip("2001:2::2");
	memset(&cfg, 0, sizeof(cfg));
	cfg.ip4 = local4.v4;
	memcpy(cfg.ip6, local6.v6, 16);
	cfg.has_ip6 = true;
	cfg.udp_port = VX_UDP_PORT;
	cfg.strict_reserved = true;
	inner_len = vxt_inner(inner, 64, &a, &b, 1234, 7);
	return 0;
}

static uint32_t
frame4(uint8_t *buf)
{
	return vxt_encap(buf, inner, inner_len, &remote4, &local4, 100);
}

static uint32_t
frame6(uint8_t *buf)
{
	return vxt_encap(buf, inner, inner_len, &remote6, &local6, 200);
}

static enum vx_class
parse(const uint8_t *buf, uint32_t len, struct vx_parsed *r)
{
	return vx_parse_underlay(buf, len, len, &cfg, r);
}

static void
refresh_ip4_csum(uint8_t *buf)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static void
test_valid_ip4(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame4(buf);
	struct vx_parsed r;

	(void)state;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.vni, 100);
	assert_int_equal(r.outer_len, VX_ENCAP4_LEN);
	assert_int_equal(r.inner_len, inner_len);
	assert_int_equal(r.udp_csum, 0);
	assert_true(vx_ip_eq(&r.src, &remote4));
	assert_memory_equal(buf + r.outer_len, inner, inner_len);
}

static void
test_valid_ip6_and_csum(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame6(buf);
	struct vx_parsed r;

	(void)state;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.vni, 200);
	assert_int_equal(r.outer_len, VX_ENCAP6_LEN);
	assert_int_equal(r.udp_csum, 1);
	assert_true(vx_ip_eq(&r.src, &remote6));
	assert_true(vx_udp_csum_ok_raw(buf, len, &r));
	buf[len - 1] ^= 0x40; /* corrupt the payload */
	assert_false(vx_udp_csum_ok_raw(buf, len, &r));
}

static void
test_ip6_zero_csum(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame6(buf);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(buf + 14 + 40);
	struct vx_parsed r;

	(void)state;
	udp->dgram_cksum = 0;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_udp6_zero_csum);
	cfg.udp6_zero_csum_rx = true;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.udp_csum, 0);
	cfg.udp6_zero_csum_rx = false;
}

static void
test_ip4_udp_csum_present(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame4(buf);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct vx_parsed r;

	(void)state;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	assert_int_equal(parse(buf, len, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.udp_csum, 1);
	assert_true(vx_udp_csum_ok_raw(buf, len, &r));
	udp->dgram_cksum ^= 0x0101;
	assert_false(vx_udp_csum_ok_raw(buf, len, &r));
}

/* Every prefix of a valid frame is dropped, and never misread as VxLAN. */
static void
test_every_truncation(void **state)
{
	uint8_t buf[256];
	uint32_t len4 = frame4(buf);
	struct vx_parsed r;

	(void)state;
	for (uint32_t l = 0; l < len4; l++) {
		assert_int_equal(parse(buf, l, &r), VX_CLASS_DROP);
		if (l < 14)
			assert_int_equal(r.drop, VX_DROP_eth_truncated);
		else if (l < 14 + 20 + 8 + 8 + 14)
			assert_int_equal(r.drop, VX_DROP_ip4_truncated);
	}
	uint32_t len6 = frame6(buf);
	for (uint32_t l = 14; l < len6; l++) {
		assert_int_equal(parse(buf, l, &r), VX_CLASS_DROP);
		assert_int_equal(r.drop, VX_DROP_ip6_truncated);
	}
}

/* Headers that straddle the first segment are refused, not read past. */
static void
test_outer_split(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame4(buf);
	struct vx_parsed r;

	(void)state;
	for (uint32_t contig = 0; contig < VX_ENCAP4_LEN; contig++) {
		assert_int_equal(vx_parse_underlay(buf, contig, len, &cfg, &r), VX_CLASS_DROP);
		assert_int_equal(r.drop, VX_DROP_outer_split);
	}
	assert_int_equal(vx_parse_underlay(buf, VX_ENCAP4_LEN, len, &cfg, &r), VX_CLASS_VXLAN);
}

static void
test_padding_ignored(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame4(buf);
	struct vx_parsed r;

	(void)state;
	memset(buf + len, 0xee, 20);
	assert_int_equal(parse(buf, len + 20, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.inner_len, inner_len);
}

struct mutation {
	const char *what;
	unsigned int off; /* byte offset in the IPv4 frame */
	uint8_t and_mask, or_mask;
	bool fix_csum;
	enum vx_drop_reason expect;
};

/* Offsets in the IPv4 frame: IP at 14, UDP at 34, VxLAN at 42, inner at 50. */
static const struct mutation mutations[] = {
	{"ethertype LLDP", 12, 0x00, 0x88, false, VX_DROP_underlay_ethertype},
	{"IP version 5", 14, 0x0f, 0x50, true, VX_DROP_ip4_bad_header},
	{"IHL 4", 14, 0xf0, 0x04, true, VX_DROP_ip4_bad_header},
	{"bad header checksum", 24, 0xff, 0x01, false, VX_DROP_ip4_bad_csum},
	{"MF flag", 20, 0xff, 0x20, true, VX_DROP_ip_fragment},
	{"fragment offset", 21, 0xff, 0x08, true, VX_DROP_ip_fragment},
	{"TCP", 23, 0x00, IPPROTO_TCP, true, VX_DROP_not_udp},
	{"destination not local", 33, 0x00, 0x77, true, VX_DROP_not_for_us},
	{"UDP port 4790", 37, 0x00, 0xb6, false, VX_DROP_udp_bad_port},
	{"UDP length short", 39, 0x00, 0x10, false, VX_DROP_udp_truncated},
	{"I flag clear", 42, 0x00, 0x00, false, VX_DROP_vxlan_bad_flags},
	{"reserved flag bit", 42, 0xff, 0x80, false, VX_DROP_vxlan_reserved},
	{"reserved byte 1", 43, 0x00, 0x01, false, VX_DROP_vxlan_reserved},
	{"reserved last byte", 49, 0x00, 0xff, false, VX_DROP_vxlan_reserved},
};

static void
test_mutations(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(mutations); i++) {
		const struct mutation *mu = &mutations[i];
		uint8_t buf[256];
		uint32_t len = frame4(buf);
		struct vx_parsed r;

		buf[mu->off] = (uint8_t)((buf[mu->off] & mu->and_mask) | mu->or_mask);
		if (mu->fix_csum)
			refresh_ip4_csum(buf);
		if (parse(buf, len, &r) != VX_CLASS_DROP || r.drop != mu->expect) {
			print_error("mutation '%s': expected %s, got %s\n", mu->what,
				    vx_drop_names[mu->expect], vx_drop_names[r.drop]);
			fail();
		}
	}
}

static void
test_reserved_lenient(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame4(buf);
	struct vx_parsed r;

	(void)state;
	buf[42] |= 0x80;
	buf[49] = 0xff;
	cfg.strict_reserved = false;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_VXLAN);
	cfg.strict_reserved = true;
}

static void
test_inner_too_short(void **state)
{
	uint8_t buf[256];
	uint32_t len = vxt_encap(buf, inner, 13, &remote4, &local4, 100);
	struct vx_parsed r;

	(void)state;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_inner_truncated);
}

static void
test_ip6_headers(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame6(buf);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(buf + 14);
	struct vx_parsed r;

	(void)state;
	ip6->proto = 44;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_ip_fragment);
	ip6->proto = 0;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_ip6_ext_header);
	ip6->proto = IPPROTO_UDP;
	ip6->vtc_flow = rte_cpu_to_be_32(4u << 28);
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_ip6_bad_header);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->dst_addr[15] = 9;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_not_for_us);
}

static void
test_arp_and_nd_classes(void **state)
{
	uint8_t buf[256] = {0};
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	uint8_t *icmp = (uint8_t *)(ip6 + 1);
	static const uint8_t snm[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
	struct vx_parsed r;

	(void)state;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	assert_int_equal(parse(buf, 42, &r), VX_CLASS_ARP);
	assert_int_equal(r.l3_off, 14);

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(32);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, remote6.v6, 16);
	memcpy(ip6->dst_addr, snm, 16);
	icmp[0] = 135;
	assert_int_equal(parse(buf, 14 + 40 + 32, &r), VX_CLASS_ND);
	assert_int_equal(r.l4_off, 54);
	assert_int_equal(r.l4_len, 32);
	icmp[0] = 128; /* echo request */
	assert_int_equal(parse(buf, 14 + 40 + 32, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_icmp6_other);
	icmp[0] = 135;
	ip6->dst_addr[15] = 2; /* someone else's solicited-node group */
	assert_int_equal(parse(buf, 14 + 40 + 32, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_not_for_us);
}

static void
test_no_local_family(void **state)
{
	uint8_t buf[256];
	uint32_t len = frame6(buf);
	struct vx_parsed r;

	(void)state;
	cfg.has_ip6 = false;
	assert_int_equal(parse(buf, len, &r), VX_CLASS_DROP);
	assert_int_equal(r.drop, VX_DROP_not_for_us);
	cfg.has_ip6 = true;
}

int
vx_test_parse(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_ip4),
		cmocka_unit_test(test_valid_ip6_and_csum),
		cmocka_unit_test(test_ip6_zero_csum),
		cmocka_unit_test(test_ip4_udp_csum_present),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_outer_split),
		cmocka_unit_test(test_padding_ignored),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_reserved_lenient),
		cmocka_unit_test(test_inner_too_short),
		cmocka_unit_test(test_ip6_headers),
		cmocka_unit_test(test_arp_and_nd_classes),
		cmocka_unit_test(test_no_local_family),
	};

	return cmocka_run_group_tests_name("vxlan/parse", tests, setup, NULL);
}
