/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding tests: encapsulation, decapsulation, learning, flooding, VNI
 * isolation and the drops on those paths, through a real instance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_icmp.h>

#include "vx_test.h"
#include "vx_test_frames.h"

/* Ports: 0 underlay, 1 and 2 endpoints in VNI 100, 3 endpoint in VNI 200. */
#define P_UL 0
#define P_E1 1
#define P_E2 2
#define P_E3 3

struct fwd {
	struct vx_inst *vx;
	struct vx_out out;
	struct vx_stats st;
	unsigned int in_use;
	struct rte_ether_addr m1, m2, m3, rmac, gwmac;
	struct vx_ip l4, l6, r4, r6;
};

static int
setup(void **state)
{
	struct fwd *f = calloc(1, sizeof(*f));
	struct vx_params p = {0};
	struct vx_endpoint ep = {0};

	f->m1 = vxt_mac("02:00:00:00:01:11");
	f->m2 = vxt_mac("02:00:00:00:01:12");
	f->m3 = vxt_mac("02:00:00:00:02:13");
	f->rmac = vxt_mac("02:00:00:00:09:01");
	f->gwmac = vxt_mac("02:00:00:00:00:02");
	f->l4 = vxt_ip("198.18.0.1");
	f->l6 = vxt_ip("2001:2::1");
	f->r4 = vxt_ip("198.18.0.2");
	f->r6 = vxt_ip("2001:2::2");

	vx_test_params(&p, P_UL);
	p.ip6 = f->l6;
	p.plen6 = 64;
	f->vx = vx_create(&p);
	assert_non_null(f->vx);
	assert_int_equal(vx_vni_add(f->vx, 100), 0);
	assert_int_equal(vx_vni_add(f->vx, 200), 1);
	assert_int_equal(vx_vtep_add(f->vx, 100, &f->r4), 0);
	assert_int_equal(vx_vtep_add(f->vx, 200, &f->r6), 1);
	assert_int_equal(vx_neigh_add_static(f->vx, &f->r4, &f->gwmac), 0);
	assert_int_equal(vx_neigh_add_static(f->vx, &f->r6, &f->gwmac), 0);

	snprintf(ep.name, sizeof(ep.name), "e1");
	ep.mac = f->m1;
	ep.vni = 100;
	ep.port = P_E1;
	ep.mtu = 1500;
	assert_int_equal(vx_endpoint_add(f->vx, &ep), 0);
	snprintf(ep.name, sizeof(ep.name), "e2");
	ep.mac = f->m2;
	ep.port = P_E2;
	assert_int_equal(vx_endpoint_add(f->vx, &ep), 1);
	snprintf(ep.name, sizeof(ep.name), "e3");
	ep.mac = f->m3;
	ep.vni = 200;
	ep.port = P_E3;
	assert_int_equal(vx_endpoint_add(f->vx, &ep), 2);
	f->in_use = rte_mempool_in_use_count(vx_test_pool());
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fwd *f = *state;

	vx_test_out_free(&f->out);
	/* Everything the test made is freed or back in out lists. */
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), f->in_use);
	vx_destroy(f->vx);
	free(f);
	return 0;
}

static void
endpoint_send(struct fwd *f, uint16_t ep, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = vx_test_mbuf(frame, len);

	vx_endpoint_input(f->vx, ep, &m, 1, rte_rdtsc(), &f->out, &f->st);
}

static void
underlay_send(struct fwd *f, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = vx_test_mbuf(frame, len);

	vx_underlay_input(f->vx, &m, 1, rte_rdtsc(), &f->out, &f->st);
}

/* Parse an output frame as the remote VTEP would. */
static enum vx_class
remote_parse(struct fwd *f, struct rte_mbuf *m, const struct vx_ip *as, struct vx_parsed *r)
{
	struct vx_parse_cfg c = {.udp_port = VX_UDP_PORT, .strict_reserved = true};

	if (as->family == AF_INET) {
		c.ip4 = as->v4;
	} else {
		memcpy(c.ip6, as->v6, 16);
		c.has_ip6 = true;
	}
	(void)f;
	assert_int_equal(m->nb_segs, 1);
	return vx_parse_underlay(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, m->pkt_len, &c, r);
}

static void
test_encap_ip4(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:99");
	uint8_t in[200], *p;
	uint32_t len = vxt_inner(in, 100, &rm, &f->m1, 1000, 1);
	struct vx_parsed r;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct rte_ether_hdr *eth;

	assert_int_equal(vx_fdb_static_remote(f->vx, 100, &rm, &f->r4), 0);
	endpoint_send(f, 0, in, len);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_UL);
	assert_int_equal(remote_parse(f, f->out.pkts[0], &f->r4, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.vni, 100);
	assert_true(vx_ip_eq(&r.src, &f->l4));
	p = rte_pktmbuf_mtod(f->out.pkts[0], uint8_t *);
	eth = (struct rte_ether_hdr *)p;
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &f->gwmac));
	ip = (struct rte_ipv4_hdr *)(p + 14);
	/* The incremental checksum equals a full recomputation. */
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	assert_int_equal(rte_be_to_cpu_16(ip->fragment_offset), RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), len + 36);
	udp = (struct rte_udp_hdr *)(ip + 1);
	assert_int_equal(udp->dgram_cksum, 0);
	assert_true(rte_be_to_cpu_16(udp->src_port) >= 49152);
	assert_memory_equal(p + VX_ENCAP4_LEN, in, len);
	assert_int_equal(f->st.stat[VX_STAT_encap_pkts], 1);
}

static void
test_encap_entropy(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:99");
	uint16_t ports[16];
	unsigned int distinct = 0;

	assert_int_equal(vx_fdb_static_remote(f->vx, 100, &rm, &f->r4), 0);
	for (unsigned int i = 0; i < 16; i++) {
		uint8_t in[100];
		uint32_t len = vxt_inner(in, 80, &rm, &f->m1, (uint16_t)(2000 + i), i);
		struct rte_udp_hdr *udp;

		/* The same flow twice gets the same port. */
		for (int k = 0; k < 2; k++) {
			endpoint_send(f, 0, in, len);
			udp = rte_pktmbuf_mtod_offset(f->out.pkts[f->out.n - 1],
						      struct rte_udp_hdr *, 34);
			if (k == 0)
				ports[i] = udp->src_port;
			else
				assert_int_equal(udp->src_port, ports[i]);
		}
	}
	for (unsigned int i = 0; i < 16; i++) {
		bool seen = false;

		for (unsigned int j = 0; j < i; j++)
			seen |= ports[j] == ports[i];
		distinct += !seen;
	}
	assert_true(distinct >= 8);
}

static void
test_encap_ip6_csum(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:98");
	uint8_t in[1500];
	uint32_t len = vxt_inner(in, 1400, &rm, &f->m3, 1000, 1);
	struct vx_parsed r;

	assert_int_equal(vx_fdb_static_remote(f->vx, 200, &rm, &f->r6), 0);
	endpoint_send(f, 2, in, len);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(remote_parse(f, f->out.pkts[0], &f->r6, &r), VX_CLASS_VXLAN);
	assert_int_equal(r.vni, 200);
	assert_int_equal(r.udp_csum, 1);
	assert_true(vx_udp_csum_ok_raw(rte_pktmbuf_mtod(f->out.pkts[0], uint8_t *),
				       f->out.pkts[0]->pkt_len, &r));
}

static void
test_too_big(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:99");
	uint8_t in[1600];

	assert_int_equal(vx_fdb_static_remote(f->vx, 100, &rm, &f->r4), 0);
	/* 1450 inner IP bytes + 14 + 36 = 1500: fits exactly. */
	endpoint_send(f, 0, in, vxt_inner(in, 1464, &rm, &f->m1, 1, 1));
	assert_int_equal(f->out.n, 1);
	endpoint_send(f, 0, in, vxt_inner(in, 1465, &rm, &f->m1, 1, 1));
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->st.drop[VX_DROP_encap_too_big], 1);
}

static void
test_decap_learn_and_reply(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:77");
	uint8_t in[200], frame[300];
	uint32_t len = vxt_inner(in, 90, &f->m1, &rm, 1, 1);
	uint32_t flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	const struct vx_fdb_entry *e;

	underlay_send(f, frame, flen);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_E1);
	assert_int_equal(f->out.pkts[0]->pkt_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(f->out.pkts[0], uint8_t *), in, len);
	e = vx_fdb_lookup(f->vx->fdb, 100, &rm);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_REMOTE);
	assert_int_equal(e->target, 0);
	assert_int_equal(f->st.stat[VX_STAT_fdb_learned], 1);
	/* Not learned in the other VNI. */
	assert_null(vx_fdb_lookup(f->vx->fdb, 200, &rm));
	vx_test_out_free(&f->out);

	/* The reply now goes to the learned VTEP without flooding. */
	len = vxt_inner(in, 90, &rm, &f->m1, 1, 2);
	endpoint_send(f, 0, in, len);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_UL);
	assert_int_equal(f->st.stat[VX_STAT_flood_copies], 0);
}

/* A frame in VNI 200 addressed to a MAC that only exists in VNI 100. */
static void
test_vni_isolation(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:66");
	uint8_t in[200], frame[300];
	uint32_t len = vxt_inner(in, 90, &f->m1, &rm, 1, 1);
	uint32_t flen = vxt_encap(frame, in, len, &f->r6, &f->l6, 200);

	underlay_send(f, frame, flen);
	/* Unknown in VNI 200: flooded to VNI 200's only endpoint, never to e1. */
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_E3);
	/* The IPv4 VTEP is not a member of VNI 200. */
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 200);
	underlay_send(f, frame, flen);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->st.drop[VX_DROP_vtep_unknown], 1);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 999);
	underlay_send(f, frame, flen);
	assert_int_equal(f->st.drop[VX_DROP_vni_unknown], 1);
}

static void
test_bum_from_endpoint(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr bc;
	uint8_t in[200];
	uint32_t len;
	unsigned int seen[4] = {0};

	memset(&bc, 0xff, sizeof(bc));
	len = vxt_inner(in, 60, &bc, &f->m1, 1, 1);
	endpoint_send(f, 0, in, len);
	/* e2 and the VTEP of VNI 100; not e1 itself, not e3. */
	assert_int_equal(f->out.n, 2);
	for (unsigned int i = 0; i < f->out.n; i++)
		seen[f->out.port[i]]++;
	assert_int_equal(seen[P_E2], 1);
	assert_int_equal(seen[P_UL], 1);
	assert_int_equal(seen[P_E1] + seen[P_E3], 0);
	/* The copies are independent: the local one is the plain frame. */
	for (unsigned int i = 0; i < f->out.n; i++)
		if (f->out.port[i] == P_E2)
			assert_memory_equal(rte_pktmbuf_mtod(f->out.pkts[i], uint8_t *), in, len);
}

static void
test_bum_from_underlay(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr bc, rm = vxt_mac("02:00:00:00:09:55");
	uint8_t in[200], frame[300];
	uint32_t len, flen;

	memset(&bc, 0xff, sizeof(bc));
	len = vxt_inner(in, 60, &bc, &rm, 1, 1);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	underlay_send(f, frame, flen);
	/* Both VNI 100 endpoints, never back to the underlay. */
	assert_int_equal(f->out.n, 2);
	assert_true((f->out.port[0] == P_E1 && f->out.port[1] == P_E2) ||
		    (f->out.port[0] == P_E2 && f->out.port[1] == P_E1));
}

static void
test_local_switch_and_drops(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr spoof = vxt_mac("02:00:00:00:01:99");
	uint8_t in[200], frame[300];
	uint32_t len, flen;

	len = vxt_inner(in, 60, &f->m2, &f->m1, 1, 1);
	endpoint_send(f, 0, in, len);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_E2);
	assert_int_equal(f->st.stat[VX_STAT_local_switched], 1);

	len = vxt_inner(in, 60, &f->m2, &spoof, 1, 1);
	endpoint_send(f, 0, in, len);
	assert_int_equal(f->st.drop[VX_DROP_src_mac_spoof], 1);

	len = vxt_inner(in, 60, &f->m1, &f->m1, 1, 1);
	endpoint_send(f, 0, in, len);
	assert_int_equal(f->st.drop[VX_DROP_hairpin], 1);

	endpoint_send(f, 0, in, 10);
	assert_int_equal(f->st.drop[VX_DROP_inner_truncated], 1);

	/* A remote VTEP claiming a local endpoint's MAC. */
	len = vxt_inner(in, 60, &f->m2, &f->m1, 1, 1);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	underlay_send(f, frame, flen);
	assert_int_equal(f->st.drop[VX_DROP_src_mac_local], 1);

	/* A multicast inner source. */
	len = vxt_inner(in, 60, &f->m2, &(struct rte_ether_addr){{0x01, 0, 0x5e, 0, 0, 1}}, 1, 1);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	underlay_send(f, frame, flen);
	assert_int_equal(f->st.drop[VX_DROP_inner_src_invalid], 1);
	assert_int_equal(f->out.n, 1);
}

static void
test_dst_remote_split_horizon(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr ra = vxt_mac("02:00:00:00:09:0a");
	struct rte_ether_addr rb = vxt_mac("02:00:00:00:09:0b");
	uint8_t in[200], frame[300];
	uint32_t len, flen;

	assert_int_equal(vx_fdb_static_remote(f->vx, 100, &rb, &f->r4), 0);
	len = vxt_inner(in, 60, &rb, &ra, 1, 1);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	underlay_send(f, frame, flen);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->st.drop[VX_DROP_dst_remote], 1);
}

/* A 2-segment jumbo frame is encapsulated without copying and checksummed across segments. */
static void
test_multiseg_encap(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:98");
	uint8_t in[3000];
	uint32_t len = vxt_inner(in, 1400, &rm, &f->m3, 1000, 1);
	struct rte_mbuf *m = vx_test_mbuf(in, 700), *m2 = vx_test_mbuf(in + 700, len - 700);
	struct vx_parsed r;
	uint8_t flat[3000];

	assert_int_equal(rte_pktmbuf_chain(m, m2), 0);
	assert_int_equal(vx_fdb_static_remote(f->vx, 200, &rm, &f->r6), 0);
	vx_endpoint_input(f->vx, 2, &m, 1, rte_rdtsc(), &f->out, &f->st);
	assert_int_equal(f->out.n, 1);
	m = f->out.pkts[0];
	assert_int_equal(m->nb_segs, 2);
	assert_ptr_equal(rte_pktmbuf_read(m, 0, m->pkt_len, flat), flat);
	assert_int_equal(
		vx_parse_underlay(flat, m->pkt_len, m->pkt_len,
				  &(struct vx_parse_cfg){.ip6 = {0x20, 0x01, 0, 2, [15] = 2},
							 .has_ip6 = true,
							 .udp_port = VX_UDP_PORT},
				  &r),
		VX_CLASS_VXLAN);
	assert_true(vx_udp_csum_ok_raw(flat, m->pkt_len, &r));
	assert_memory_equal(flat + VX_ENCAP6_LEN, in, len);
}

static unsigned int flush_calls;

static void
test_flush_cb(struct vx_out *o)
{
	flush_calls++;
	for (unsigned int i = 0; i < o->n; i++)
		rte_pktmbuf_free(o->pkts[i]);
	o->n = 0;
}

/* A full output list is flushed through its callback, or overflows without one. */
static void
test_out_full(void **state)
{
	struct fwd *f = *state;
	uint8_t b[64] = {0};

	for (unsigned int i = 0; i < VX_OUT_MAX; i++)
		vx_out_push(&f->out, 1, vx_test_mbuf(b, sizeof(b)), &f->st);
	vx_out_push(&f->out, 1, vx_test_mbuf(b, sizeof(b)), &f->st);
	assert_int_equal(f->out.n, VX_OUT_MAX);
	assert_int_equal(f->st.drop[VX_DROP_flood_overflow], 1);
	f->out.flush = test_flush_cb;
	vx_out_push(&f->out, 2, vx_test_mbuf(b, sizeof(b)), &f->st);
	assert_int_equal(flush_calls, 1);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], 2);
	assert_int_equal(f->st.drop[VX_DROP_flood_overflow], 1);
}

/* Ethernet padding that fills a whole trailing segment is cut off with it. */
static void
test_decap_trim_segments(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:44");
	uint8_t in[200], frame[400];
	uint32_t len = vxt_inner(in, 90, &f->m1, &rm, 1, 1);
	uint32_t flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	struct rte_mbuf *m, *pad;

	memset(frame + flen, 0, 40);
	/* The datagram ends 10 bytes into the second segment; 40 bytes of trailer follow. */
	m = vx_test_mbuf(frame, flen - 10);
	pad = vx_test_mbuf(frame + flen - 10, 10 + 20);
	assert_int_equal(rte_pktmbuf_chain(m, pad), 0);
	assert_int_equal(rte_pktmbuf_chain(m, vx_test_mbuf(frame + flen + 20, 20)), 0);
	vx_underlay_input(f->vx, &m, 1, rte_rdtsc(), &f->out, &f->st);
	assert_int_equal(f->out.n, 1);
	m = f->out.pkts[0];
	assert_int_equal(m->pkt_len, len);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(rte_pktmbuf_lastseg(m)->data_len, 10);
}

/* A frame bigger than the endpoint's MTU is dropped, not delivered. */
static void
test_endpoint_mtu(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:33");
	static uint8_t in[1600], frame[1700];
	uint32_t len = vxt_inner(in, 1514, &f->m1, &rm, 1, 1);
	uint32_t flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);

	underlay_send(f, frame, flen);
	assert_int_equal(f->out.n, 1);
	len = vxt_inner(in, 1515, &f->m1, &rm, 1, 1);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	underlay_send(f, frame, flen);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->st.drop[VX_DROP_inner_too_big], 1);
	/* Local switching applies the same limit. */
	len = vxt_inner(in, 1515, &f->m2, &f->m1, 1, 1);
	endpoint_send(f, 0, in, len);
	assert_int_equal(f->st.drop[VX_DROP_inner_too_big], 2);
}

/* Build an echo request from the remote VTEP to our address. */
static uint32_t
echo_request(struct fwd *f, uint8_t *buf, int family)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_icmp_hdr *icmp;
	uint32_t plen = sizeof(*icmp) + 24;

	memset(buf, 0, 200);
	eth->dst_addr = f->vx->p.mac;
	eth->src_addr = f->gwmac;
	if (family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + plen));
		ip->time_to_live = 9;
		ip->next_proto_id = IPPROTO_ICMP;
		ip->src_addr = f->r4.v4;
		ip->dst_addr = f->l4.v4;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp = (struct rte_icmp_hdr *)(ip + 1);
		icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
		icmp->icmp_ident = RTE_BE16(77);
		memset(icmp + 1, 0x5a, 24);
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, plen);
		return (uint32_t)(sizeof(*eth) + sizeof(*ip) + plen);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)plen);
		ip6->proto = IPPROTO_ICMPV6;
		ip6->hop_limits = 9;
		memcpy(ip6->src_addr, f->r6.v6, 16);
		memcpy(ip6->dst_addr, f->l6.v6, 16);
		icmp = (struct rte_icmp_hdr *)(ip6 + 1);
		icmp->icmp_type = 128;
		memset(icmp + 1, 0x5a, 24);
		icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip6, icmp);
		return (uint32_t)(sizeof(*eth) + sizeof(*ip6) + plen);
	}
}

static void
test_echo_ip4(void **state)
{
	struct fwd *f = *state;
	uint8_t buf[200];
	uint32_t len = echo_request(f, buf, AF_INET);
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;

	underlay_send(f, buf, len);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_UL);
	ip = rte_pktmbuf_mtod_offset(f->out.pkts[0], struct rte_ipv4_hdr *, 14);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	assert_int_equal(ip->src_addr, f->l4.v4);
	assert_int_equal(ip->dst_addr, f->r4.v4);
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(icmp->icmp_ident, RTE_BE16(77));
	assert_int_equal(rte_raw_cksum(icmp, sizeof(*icmp) + 24), 0xffff);
	assert_true(rte_is_same_ether_addr(
		rte_pktmbuf_mtod(f->out.pkts[0], struct rte_ether_addr *), &f->gwmac));
	assert_int_equal(f->st.stat[VX_STAT_echo_reply_tx], 1);

	/* A corrupted request and another ICMP type are dropped by name. */
	len = echo_request(f, buf, AF_INET);
	buf[len - 1] ^= 1;
	underlay_send(f, buf, len);
	assert_int_equal(f->st.drop[VX_DROP_icmp_bad], 1);
	len = echo_request(f, buf, AF_INET);
	buf[34] = 13; /* timestamp request */
	underlay_send(f, buf, len);
	assert_int_equal(f->st.drop[VX_DROP_icmp_other], 1);
	assert_int_equal(f->out.n, 1);
}

static void
test_echo_ip6(void **state)
{
	struct fwd *f = *state;
	uint8_t buf[200];
	uint32_t len = echo_request(f, buf, AF_INET6);
	struct rte_ipv6_hdr *ip6;
	struct rte_icmp_hdr *icmp;

	underlay_send(f, buf, len);
	assert_int_equal(f->out.n, 1);
	ip6 = rte_pktmbuf_mtod_offset(f->out.pkts[0], struct rte_ipv6_hdr *, 14);
	icmp = (struct rte_icmp_hdr *)(ip6 + 1);
	assert_memory_equal(ip6->src_addr, f->l6.v6, 16);
	assert_memory_equal(ip6->dst_addr, f->r6.v6, 16);
	assert_int_equal(icmp->icmp_type, 129);
	/* A correct checksum makes the full sum come out as 0xffff, i.e. a recomputation gives 0.
	 */
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, icmp), 0);
	len = echo_request(f, buf, AF_INET6);
	buf[len - 3] ^= 1;
	underlay_send(f, buf, len);
	assert_int_equal(f->st.drop[VX_DROP_icmp_bad], 1);
}

/* An endpoint with any_src_mac has the MACs behind it learned as local. */
static void
test_any_src_mac_learns(void **state)
{
	struct fwd *f = *state;
	struct rte_ether_addr behind = vxt_mac("02:00:00:00:01:77");
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:21");
	uint8_t in[200], frame[300];
	uint32_t len, flen;
	const struct vx_fdb_entry *e;

	f->vx->eps[1].any_src_mac = true; /* e2 */
	len = vxt_inner(in, 60, &rm, &behind, 1, 1);
	endpoint_send(f, 1, in, len);
	e = vx_fdb_lookup(f->vx->fdb, 100, &behind);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_LOCAL);
	assert_int_equal(e->target, 1);
	assert_int_equal(f->st.stat[VX_STAT_fdb_learned], 1);
	vx_test_out_free(&f->out);

	/* A reply from the overlay now goes to e2 alone instead of flooding. */
	len = vxt_inner(in, 60, &behind, &rm, 1, 2);
	flen = vxt_encap(frame, in, len, &f->r4, &f->l4, 100);
	underlay_send(f, frame, flen);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->out.port[0], P_E2);

	/* e1's MAC is static elsewhere: claiming it is spoofing; multicast is invalid. */
	len = vxt_inner(in, 60, &rm, &f->m1, 1, 3);
	endpoint_send(f, 1, in, len);
	assert_int_equal(f->st.drop[VX_DROP_src_mac_spoof], 1);
	len = vxt_inner(in, 60, &rm, &(struct rte_ether_addr){{0x01, 0, 0x5e, 0, 0, 9}}, 1, 4);
	endpoint_send(f, 1, in, len);
	assert_int_equal(f->st.drop[VX_DROP_inner_src_invalid], 1);
	assert_int_equal(f->out.n, 1);
}

int
vx_test_fwd(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_encap_ip4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encap_entropy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encap_ip6_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decap_learn_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vni_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bum_from_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bum_from_underlay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_switch_and_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dst_remote_split_horizon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiseg_encap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decap_trim_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_ip4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_ip6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_src_mac_learns, setup, teardown),
	};

	return cmocka_run_group_tests_name("vxlan/fwd", tests, NULL, NULL);
}
