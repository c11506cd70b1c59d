/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time changes of an instance: deleting VNIs, VTEPs, endpoints and
 * static neighbours, flushing the FDB by target, reuse of the slots that
 * deletions free, the consistency of every table afterwards, forwarding
 * after the changes, and a worker that reads the FDB while the owner
 * flushes by target.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>

#include "vx_fdb_priv.h"
#include "vx_test.h"
#include "vx_test_frames.h"
#include "vx_worker_priv.h"

/* Ports: 0 underlay, then endpoints. */
#define P_UL 0
#define P_E1 1
#define P_E2 2
#define P_E3 3
#define P_E4 4

/* How long the worker stress test runs at most. */
#define STRESS_MS 1500

struct ictx {
	struct vx_inst *vx;
	struct vx_out out;
	struct vx_stats st;
	unsigned int in_use;
	struct rte_ether_addr m1, m2, m3, m4, nmac;
	struct vx_ip l4, l6, gw4, ra, rb, rc, off1, off2;
};

/* struct vx_stats is cache aligned, so the context is too. */
static void *
zalloc_aligned(size_t size)
{
	size_t n = RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE);
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, n);

	assert_non_null(p);
	memset(p, 0, n);
	return p;
}

static int
setup(void **state)
{
	struct ictx *c = zalloc_aligned(sizeof(*c));
	struct vx_params p;

	c->m1 = vxt_mac("02:00:00:00:01:11");
	c->m2 = vxt_mac("02:00:00:00:01:12");
	c->m3 = vxt_mac("02:00:00:00:02:13");
	c->m4 = vxt_mac("02:00:00:00:03:14");
	c->nmac = vxt_mac("02:00:00:00:00:02");
	c->l4 = vxt_ip("198.18.0.1");
	c->l6 = vxt_ip("2001:2::1");
	c->gw4 = vxt_ip("198.18.255.254");
	c->ra = vxt_ip("198.18.0.2");
	c->rb = vxt_ip("198.18.0.3");
	c->rc = vxt_ip("198.18.0.4");
	c->off1 = vxt_ip("203.0.113.1");
	c->off2 = vxt_ip("203.0.113.2");

	vx_test_params(&p, P_UL);
	/* A /16, so that the slot reuse tests find a thousand on-link VTEPs. */
	p.plen4 = 16;
	p.gw4 = c->gw4;
	p.ip6 = c->l6;
	p.plen6 = 64;
	c->vx = vx_create(&p);
	assert_non_null(c->vx);
	c->in_use = rte_mempool_in_use_count(vx_test_pool());
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ictx *c = *state;

	vx_test_out_free(&c->out);
	/* Deletions freed whatever packets they held. */
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use);
	vx_destroy(c->vx);
	free(c);
	return 0;
}

/* --------------------------------------------------------------------- */
/* Helpers.                                                               */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int
ep_add(struct ictx *c, const char *name, const struct rte_ether_addr *mac, uint32_t vni,
       uint16_t port)
{
	struct vx_endpoint ep = {0};

	snprintf(ep.name, sizeof(ep.name), "%s", name);
	ep.mac = *mac;
	ep.vni = vni;
	ep.port = port;
	ep.mtu = 1500;
	return vx_endpoint_add(c->vx, &ep);
}

/* The IPv4 address 198.18.0.0 + @p n, on-link in the fixture's /16. */
static struct vx_ip
ip_n(uint32_t n)
{
	struct vx_ip ip = {.family = AF_INET};

	ip.v4 = rte_cpu_to_be_32(0xc6120000u + n);
	return ip;
}

/* A unicast MAC derived from @p n and a tag byte. */
static struct rte_ether_addr
mac_n(uint8_t tag, uint32_t n)
{
	struct rte_ether_addr m = {
		{0x02, tag, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n}};

	return m;
}

static bool
vtep_in_vni(const struct vx_vni *v, uint16_t ti)
{
	for (unsigned int i = 0; i < v->n_vteps; i++)
		if (v->vteps[i] == ti)
			return true;
	return false;
}

/*
 * Check an FDB entry against the instance: findable at its own slot, its
 * VNI exists, and its target is a used endpoint of the VNI or a used VTEP
 * that is a member of the VNI. Returns a distinct code per failure.
 */
static int
check_entry_cb(const struct vx_fdb_entry *e, void *arg)
{
	const struct vx_inst *vx = arg;
	struct vx_fdb_entry copy;
	int vi;

	if (vx_fdb_lookup(vx->fdb, e->vni, &e->mac) != e)
		return 1;
	if (!vx_fdb_lookup_copy(vx->fdb, e->vni, &e->mac, &copy) || copy.kind != e->kind ||
	    copy.target != e->target)
		return 2;
	vi = vx_vni_find(vx, e->vni);
	if (vi < 0)
		return 3;
	if (e->kind == VX_FDB_LOCAL) {
		if (e->target >= vx->n_eps || vx->eps[e->target].name[0] == '\0')
			return 4;
		if (vx->eps[e->target].vni != e->vni)
			return 5;
	} else {
		if (e->target >= vx->n_vteps || vx->vteps[e->target].ip.family == 0)
			return 6;
		if (!vtep_in_vni(&vx->vnis[vi], e->target))
			return 7;
	}
	return 0;
}

static int
count_cb(const struct vx_fdb_entry *e, void *arg)
{
	(void)e;
	(*(unsigned int *)arg)++;
	return 0;
}

/*
 * Check every table of an instance: VNIs compact and hashed, member lists
 * pointing at used slots, endpoints listed exactly once in their VNI, VTEPs
 * in some VNI with a used next hop, neighbour words matching their fields,
 * high-water marks trimmed, and every FDB entry reachable and pointing at
 * something used. With @p strict, every dynamic neighbour serves a VTEP.
 */
static void
check_inst(const struct vx_inst *vx, bool strict)
{
	unsigned int listed_eps = 0, used_eps = 0, n = 0;

	for (unsigned int i = 0; i < vx->n_vnis; i++) {
		const struct vx_vni *v = &vx->vnis[i];

		assert_int_equal(vx_vni_find(vx, v->vni), i);
		for (unsigned int j = 0; j < v->n_vteps; j++) {
			uint16_t ti = v->vteps[j];

			assert_true(ti < vx->n_vteps);
			assert_int_not_equal(vx->vteps[ti].ip.family, 0);
			for (unsigned int k = 0; k < j; k++)
				assert_int_not_equal(v->vteps[k], ti);
		}
		for (unsigned int j = 0; j < v->n_eps; j++) {
			uint16_t ei = v->eps[j];

			assert_true(ei < vx->n_eps);
			assert_int_not_equal(vx->eps[ei].name[0], '\0');
			assert_int_equal(vx->eps[ei].vni_idx, i);
			assert_int_equal(vx->eps[ei].vni, v->vni);
		}
		listed_eps += v->n_eps;
	}
	for (unsigned int i = 0; i < vx->n_eps; i++)
		if (vx->eps[i].name[0] != '\0') {
			used_eps++;
			assert_int_equal(vx_endpoint_find(vx, vx->eps[i].name), i);
		}
	assert_int_equal(used_eps, listed_eps);
	if (vx->n_eps != 0)
		assert_int_not_equal(vx->eps[vx->n_eps - 1].name[0], '\0');

	for (unsigned int i = 0; i < vx->n_vteps; i++) {
		const struct vx_vtep *t = &vx->vteps[i];
		bool member = false;

		if (t->ip.family == 0)
			continue;
		assert_int_equal(vx_vtep_find(vx, &t->ip), i);
		for (unsigned int j = 0; j < vx->n_vnis && !member; j++)
			member = vtep_in_vni(&vx->vnis[j], (uint16_t)i);
		assert_true(member);
		if (t->nh != VX_NONE) {
			assert_true(t->nh < vx->n_neigh);
			assert_int_not_equal(vx->neigh[t->nh].ip.family, 0);
		}
	}
	if (vx->n_vteps != 0)
		assert_int_not_equal(vx->vteps[vx->n_vteps - 1].ip.family, 0);

	for (unsigned int i = 0; i < vx->n_neigh; i++) {
		const struct vx_neigh *e = &vx->neigh[i];
		uint64_t pub = __atomic_load_n(&e->pub, __ATOMIC_ACQUIRE);
		bool used = false;

		if (e->ip.family == 0) {
			assert_int_equal(pub, 0);
			assert_int_equal(e->n_hold, 0);
			continue;
		}
		assert_int_equal(pub, vx_neigh_pack(&e->mac, e->state));
		for (unsigned int j = 0; j < vx->n_vteps && !used; j++)
			used = vx->vteps[j].ip.family != 0 && vx->vteps[j].nh == i;
		if (strict && e->state != VX_NEIGH_STATIC)
			assert_true(used);
	}
	if (vx->n_neigh != 0)
		assert_int_not_equal(vx->neigh[vx->n_neigh - 1].ip.family, 0);

	assert_int_equal(vx_fdb_walk(vx->fdb, check_entry_cb, (void *)(uintptr_t)vx), 0);
	assert_int_equal(vx_fdb_walk(vx->fdb, count_cb, &n), 0);
	assert_int_equal(n, vx_fdb_count(vx->fdb));
}

/* A VxLAN frame from VTEP @p src in @p vni carrying @p isrc -> @p idst. */
static void
send_decap(struct ictx *c, const struct vx_ip *src, uint32_t vni, const struct rte_ether_addr *idst,
	   const struct rte_ether_addr *isrc)
{
	uint8_t in[128], frame[256];
	uint32_t len = vxt_inner(in, 80, idst, isrc, 1, 1);
	uint32_t flen = vxt_encap(frame, in, len, src, &c->l4, vni);
	struct rte_mbuf *m = vx_test_mbuf(frame, flen);

	vx_underlay_input(c->vx, &m, 1, rte_rdtsc(), &c->out, &c->st);
}

/* A frame from endpoint @p ep, @p src -> @p dst. */
static void
send_ep(struct ictx *c, uint16_t ep, const struct rte_ether_addr *dst,
	const struct rte_ether_addr *src)
{
	uint8_t in[128];
	uint32_t len = vxt_inner(in, 80, dst, src, 1, 1);
	struct rte_mbuf *m = vx_test_mbuf(in, len);

	vx_endpoint_input(c->vx, ep, &m, 1, rte_rdtsc(), &c->out, &c->st);
}

static unsigned int
out_on_port(const struct vx_out *o, uint16_t port)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < o->n; i++)
		n += o->port[i] == port;
	return n;
}

/* How many encapsulated packets on the underlay go to @p dst in @p vni. */
static unsigned int
out_to_vtep(const struct vx_out *o, const struct vx_ip *dst, uint32_t vni)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < o->n; i++) {
		const struct rte_ipv4_hdr *ip;
		const struct vx_hdr *vxh;

		if (o->port[i] != P_UL)
			continue;
		ip = rte_pktmbuf_mtod_offset(o->pkts[i], const struct rte_ipv4_hdr *,
					     sizeof(struct rte_ether_hdr));
		if (ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP)
			continue;
		vxh = rte_pktmbuf_mtod_offset(o->pkts[i], const struct vx_hdr *,
					      sizeof(struct rte_ether_hdr) + sizeof(*ip) +
						      sizeof(struct rte_udp_hdr));
		n += ip->dst_addr == dst->v4 && vx_hdr_vni(vxh) == vni;
	}
	return n;
}

static uint64_t
drops(const struct vx_stats *st)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		n += st->drop[i];
	return n;
}

/* --------------------------------------------------------------------- */
/* Endpoints.                                                             */

static void
test_endpoint_find(void **state)
{
	struct ictx *c = *state;
	struct vx_endpoint ep = {0};
	char name31[VX_NAME_LEN];

	assert_int_equal(vx_vni_add(c->vx, 100), 0);
	assert_int_equal(vx_vni_add(c->vx, 200), 1);
	assert_int_equal(vx_endpoint_find(c->vx, "e1"), -ENOENT);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);
	assert_int_equal(ep_add(c, "e3", &c->m3, 200, P_E3), 2);
	assert_int_equal(vx_endpoint_find(c->vx, "e1"), 0);
	assert_int_equal(vx_endpoint_find(c->vx, "e2"), 1);
	assert_int_equal(vx_endpoint_find(c->vx, "e3"), 2);
	assert_int_equal(vx_endpoint_find(c->vx, "e"), -ENOENT);
	assert_int_equal(vx_endpoint_find(c->vx, "e10"), -ENOENT);
	assert_int_equal(vx_endpoint_find(c->vx, ""), -ENOENT);
	assert_int_equal(vx_endpoint_find(c->vx, NULL), -ENOENT);

	/* A deleted endpoint is not found; the others keep their indexes. */
	assert_int_equal(vx_endpoint_del(c->vx, 1), 0);
	assert_int_equal(vx_endpoint_find(c->vx, "e2"), -ENOENT);
	assert_int_equal(vx_endpoint_find(c->vx, "e1"), 0);
	assert_int_equal(vx_endpoint_find(c->vx, "e3"), 2);

	/* A name that fills the array unterminated is stored cut to 31 characters. */
	memset(ep.name, 'x', sizeof(ep.name));
	ep.mac = c->m4;
	ep.vni = 200;
	ep.port = P_E4;
	ep.mtu = 1500;
	assert_int_equal(vx_endpoint_add(c->vx, &ep), 1);
	memset(name31, 'x', sizeof(name31) - 1);
	name31[sizeof(name31) - 1] = '\0';
	assert_int_equal(vx_endpoint_find(c->vx, name31), 1);
	/* The same first 31 characters name the same endpoint. */
	ep.mac = vxt_mac("02:00:00:00:03:15");
	assert_int_equal(vx_endpoint_add(c->vx, &ep), -EEXIST);
	check_inst(c->vx, true);
}

static void
test_endpoint_del_errors(void **state)
{
	struct ictx *c = *state;

	assert_int_equal(vx_endpoint_del(c->vx, 0), -ENOENT);
	assert_int_equal(vx_vni_add(c->vx, 100), 0);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(vx_endpoint_del(c->vx, 1), -ENOENT);
	assert_int_equal(vx_endpoint_del(c->vx, VX_MAX_ENDPOINTS), -ENOENT);
	assert_int_equal(vx_endpoint_del(c->vx, VX_NONE), -ENOENT);
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);

	/* A free slot below the high-water mark. */
	assert_int_equal(vx_endpoint_del(c->vx, 0), 0);
	assert_int_equal(c->vx->n_eps, 2);
	assert_int_equal(vx_endpoint_del(c->vx, 0), -ENOENT);
	check_inst(c->vx, true);
	/* Freeing the last slot lowers the mark past every free slot. */
	assert_int_equal(vx_endpoint_del(c->vx, 1), 0);
	assert_int_equal(c->vx->n_eps, 0);
	assert_int_equal(c->vx->vnis[0].n_eps, 0);
	assert_int_equal(vx_fdb_count(c->vx->fdb), 0);
	assert_int_equal(vx_endpoint_del(c->vx, 1), -ENOENT);
	check_inst(c->vx, true);
}

/* Deleting an endpoint removes its static entry and what was learned behind it, only. */
static void
test_endpoint_del_flushes_fdb(void **state)
{
	struct ictx *c = *state;
	struct rte_ether_addr b1 = vxt_mac("02:00:00:00:0b:01"), b2 = vxt_mac("02:00:00:00:0b:02");
	struct rte_ether_addr s2 = vxt_mac("02:00:00:00:0b:03"), rm = vxt_mac("02:00:00:00:09:01");
	const struct vx_fdb_entry *e;
	struct vx_fdb *fdb;

	assert_int_equal(vx_vni_add(c->vx, 100), 0);
	assert_int_equal(vx_vni_add(c->vx, 200), 1);
	assert_int_equal(vx_vtep_add(c->vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(c->vx, 200, &c->ra), 0);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);
	assert_int_equal(ep_add(c, "e3", &c->m3, 200, P_E3), 2);
	fdb = c->vx->fdb;
	assert_int_equal(vx_fdb_learn(fdb, 100, &b1, VX_FDB_LOCAL, 0, 1), 1);
	assert_int_equal(vx_fdb_learn(fdb, 100, &b2, VX_FDB_LOCAL, 1, 1), 1);
	assert_int_equal(vx_fdb_add_static(fdb, 100, &s2, VX_FDB_LOCAL, 1), 0);
	assert_int_equal(vx_fdb_learn(fdb, 100, &rm, VX_FDB_REMOTE, 0, 1), 1);
	/* The same MAC behind e3 in another VNI, and a remote entry with target 1. */
	assert_int_equal(vx_fdb_learn(fdb, 200, &b2, VX_FDB_LOCAL, 2, 1), 1);
	assert_int_equal(vx_fdb_count(fdb), 8);
	check_inst(c->vx, true);

	assert_int_equal(vx_endpoint_del(c->vx, 1), 0);
	assert_int_equal(vx_fdb_count(fdb), 5);
	assert_null(vx_fdb_lookup(fdb, 100, &c->m2));
	assert_null(vx_fdb_lookup(fdb, 100, &b2));
	assert_null(vx_fdb_lookup(fdb, 100, &s2));
	assert_non_null(vx_fdb_lookup(fdb, 100, &c->m1));
	assert_non_null(vx_fdb_lookup(fdb, 100, &b1));
	assert_non_null(vx_fdb_lookup(fdb, 100, &rm));
	assert_non_null(vx_fdb_lookup(fdb, 200, &c->m3));
	e = vx_fdb_lookup(fdb, 200, &b2);
	assert_non_null(e);
	assert_int_equal(e->target, 2);
	assert_int_equal(c->vx->vnis[0].n_eps, 1);
	assert_int_equal(c->vx->vnis[0].eps[0], 0);
	assert_int_equal(c->vx->n_eps, 3);
	check_inst(c->vx, true);

	/* Name and MAC are free again, and so is the slot. */
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);
	e = vx_fdb_lookup(fdb, 100, &c->m2);
	assert_non_null(e);
	assert_int_equal(e->target, 1);
	assert_true(e->is_static);
	assert_int_equal(ep_add(c, "e4", &c->m4, 200, P_E4), 3);
	assert_int_equal(vx_endpoint_del(c->vx, 0), 0);
	assert_null(vx_fdb_lookup(fdb, 100, &b1));
	assert_int_equal(ep_add(c, "e5", &c->m1, 200, P_E1), 0);
	assert_int_equal(c->vx->eps[0].vni_idx, 1);
	check_inst(c->vx, true);
}

/* Add/delete cycles far beyond VX_MAX_ENDPOINTS reuse the lowest free slot. */
static void
test_endpoint_slot_reuse(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct rte_ether_addr mac[VX_MAX_ENDPOINTS], behind[VX_MAX_ENDPOINTS];
	uint32_t next = 0, adds = 0;
	uint64_t rng = 0x1234567;
	char name[VX_NAME_LEN];
	int idx;

	for (uint32_t v = 1; v <= 5; v++)
		assert_int_equal(vx_vni_add(vx, v), (int)v - 1);
	for (unsigned int i = 0; i < VX_MAX_ENDPOINTS; i++, next++) {
		snprintf(name, sizeof(name), "ep%u", next);
		mac[i] = mac_n(0x10, next);
		behind[i] = mac_n(0x20, next);
		assert_int_equal(ep_add(c, name, &mac[i], 1 + i / VX_VNI_MAX_EPS, P_E1), (int)i);
		assert_int_equal(vx_fdb_learn(vx->fdb, 1 + i / VX_VNI_MAX_EPS, &behind[i],
					      VX_FDB_LOCAL, (uint16_t)i, 1),
				 1);
	}
	/* Full: globally, and per VNI once a slot is free again. */
	snprintf(name, sizeof(name), "ep%u", next);
	assert_int_equal(ep_add(c, name, &c->m1, 5, P_E1), -ENOSPC);
	assert_int_equal(vx_endpoint_del(vx, 10), 0);
	assert_int_equal(ep_add(c, name, &c->m1, 2, P_E1), -ENOSPC);
	assert_int_equal(ep_add(c, name, &c->m1, 5, P_E1), 10);
	assert_int_equal(vx_endpoint_del(vx, 10), 0);
	assert_null(vx_fdb_lookup(vx->fdb, 1, &behind[10]));
	assert_int_equal(ep_add(c, name, &mac[10], 1, P_E1), 10);
	assert_int_equal(vx_fdb_learn(vx->fdb, 1, &behind[10], VX_FDB_LOCAL, 10, 1), 1);
	next++;
	check_inst(vx, true);

	for (unsigned int round = 0; round < 1000; round++) {
		unsigned int k = 1 + (unsigned int)(xorshift(&rng) % 12);

		/* Delete k random endpoints; now and then the highest ones. */
		for (unsigned int j = 0; j < k && vx->n_eps > 0; j++) {
			uint16_t ei = (round % 50 == 0) ? (uint16_t)(vx->n_eps - 1)
							: (uint16_t)(xorshift(&rng) % vx->n_eps);
			uint32_t vni;

			if (vx->eps[ei].name[0] == '\0') {
				assert_int_equal(vx_endpoint_del(vx, ei), -ENOENT);
				continue;
			}
			vni = vx->eps[ei].vni;
			assert_int_equal(vx_endpoint_del(vx, ei), 0);
			assert_null(vx_fdb_lookup(vx->fdb, vni, &mac[ei]));
			assert_null(vx_fdb_lookup(vx->fdb, vni, &behind[ei]));
		}
		/* Add until full again, each time into the lowest free slot. */
		for (;;) {
			unsigned int expect = vx->n_eps;
			uint32_t vni = 0;

			for (unsigned int i = 0; i < vx->n_eps; i++)
				if (vx->eps[i].name[0] == '\0') {
					expect = i;
					break;
				}
			if (expect >= VX_MAX_ENDPOINTS)
				break;
			for (uint32_t v = 0; v < 5 && vni == 0; v++) {
				uint32_t cand = 1 + (uint32_t)((v + round) % 5);

				if (vx->vnis[vx_vni_find(vx, cand)].n_eps < VX_VNI_MAX_EPS)
					vni = cand;
			}
			assert_int_not_equal(vni, 0);
			snprintf(name, sizeof(name), "ep%u", next);
			mac[expect] = mac_n(0x10, next);
			behind[expect] = mac_n(0x20, next);
			next++;
			idx = ep_add(c, name, &mac[expect], vni, P_E2);
			assert_int_equal(idx, expect);
			assert_int_equal(vx_fdb_learn(vx->fdb, vni, &behind[idx], VX_FDB_LOCAL,
						      (uint16_t)idx, 1),
					 1);
			adds++;
		}
		if (round % 64 == 0)
			check_inst(vx, true);
	}
	assert_true(adds > 4 * VX_MAX_ENDPOINTS);
	assert_int_equal(vx->n_eps, VX_MAX_ENDPOINTS);
	assert_int_equal(vx_fdb_count(vx->fdb), 2 * VX_MAX_ENDPOINTS);
	check_inst(vx, true);
	/* Empty it completely. */
	for (unsigned int i = 0; i < VX_MAX_ENDPOINTS; i++)
		assert_int_equal(vx_endpoint_del(vx, (uint16_t)i), 0);
	assert_int_equal(vx->n_eps, 0);
	assert_int_equal(vx_fdb_count(vx->fdb), 0);
	check_inst(vx, true);
}

/* --------------------------------------------------------------------- */
/* VTEPs.                                                                 */

static void
test_vtep_del_errors(void **state)
{
	struct ictx *c = *state;
	struct vx_ip unset = {0};

	assert_int_equal(vx_vtep_del(c->vx, 100, &c->ra), -ENOENT);
	assert_int_equal(vx_vni_add(c->vx, 100), 0);
	assert_int_equal(vx_vni_add(c->vx, 200), 1);
	assert_int_equal(vx_vtep_del(c->vx, 100, &c->ra), -ENOENT);
	assert_int_equal(vx_vtep_add(c->vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(c->vx, 200, &c->rb), 1);
	/* Unknown VNI, VTEP of another VNI, unknown address, no address. */
	assert_int_equal(vx_vtep_del(c->vx, 300, &c->ra), -ENOENT);
	assert_int_equal(vx_vtep_del(c->vx, 200, &c->ra), -ENOENT);
	assert_int_equal(vx_vtep_del(c->vx, 100, &c->rc), -ENOENT);
	assert_int_equal(vx_vtep_del(c->vx, 100, &unset), -ENOENT);
	assert_int_equal(vx_vtep_del(c->vx, 100, NULL), -ENOENT);
	assert_int_equal(vx_vtep_find(c->vx, NULL), -ENOENT);
	assert_int_equal(vx_vtep_del(c->vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_del(c->vx, 100, &c->ra), -ENOENT);
	assert_int_equal(vx_vtep_find(c->vx, &c->ra), -ENOENT);
	assert_int_equal(vx_vtep_find(c->vx, &c->rb), 1);
	check_inst(c->vx, true);
}

/* A VTEP in two VNIs: each deletion flushes only its VNI; the last frees it. */
static void
test_vtep_del_shared(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct rte_ether_addr x = vxt_mac("02:00:00:00:0a:01"), y = vxt_mac("02:00:00:00:0a:02");
	struct rte_ether_addr z = vxt_mac("02:00:00:00:0a:03"), w = vxt_mac("02:00:00:00:0a:04");
	struct rte_ether_addr u = vxt_mac("02:00:00:00:0a:05");
	uint16_t nha, nhb;
	int t;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vni_add(vx, 200), 1);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 200, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 1);
	nha = vx->vteps[0].nh;
	nhb = vx->vteps[1].nh;
	assert_int_equal(vx_fdb_static_remote(vx, 100, &x, &c->ra), 0);
	assert_int_equal(vx_fdb_learn(vx->fdb, 100, &y, VX_FDB_REMOTE, 0, 1), 1);
	assert_int_equal(vx_fdb_learn(vx->fdb, 100, &z, VX_FDB_REMOTE, 1, 1), 1);
	assert_int_equal(vx_fdb_static_remote(vx, 200, &w, &c->ra), 0);
	assert_int_equal(vx_fdb_learn(vx->fdb, 200, &u, VX_FDB_REMOTE, 0, 1), 1);
	check_inst(vx, true);

	assert_int_equal(vx_vtep_del(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_find(vx, &c->ra), 0);
	assert_int_equal(vx->vnis[0].n_vteps, 1);
	assert_int_equal(vx->vnis[0].vteps[0], 1);
	assert_null(vx_fdb_lookup(vx->fdb, 100, &x));
	assert_null(vx_fdb_lookup(vx->fdb, 100, &y));
	assert_non_null(vx_fdb_lookup(vx->fdb, 100, &z));
	assert_non_null(vx_fdb_lookup(vx->fdb, 200, &w));
	assert_non_null(vx_fdb_lookup(vx->fdb, 200, &u));
	assert_int_equal(vx->neigh[nha].ip.family, AF_INET);
	assert_int_equal(vx_vtep_del(vx, 100, &c->ra), -ENOENT);
	assert_int_equal(vx_fdb_static_remote(vx, 100, &x, &c->ra), -ENOENT);
	check_inst(vx, true);

	/* The last VNI lets go: the VTEP and its own next hop are freed. */
	assert_int_equal(vx_vtep_del(vx, 200, &c->ra), 0);
	assert_int_equal(vx_vtep_find(vx, &c->ra), -ENOENT);
	assert_null(vx_fdb_lookup(vx->fdb, 200, &w));
	assert_null(vx_fdb_lookup(vx->fdb, 200, &u));
	assert_int_equal(vx_fdb_count(vx->fdb), 1);
	assert_int_equal(vx->n_vteps, 2);
	assert_int_equal(vx->vteps[0].ip.family, 0);
	assert_int_equal(vx->neigh[nha].ip.family, 0);
	assert_int_equal(vx->neigh[nha].pub, 0);
	assert_int_equal(vx->n_neigh, 2);
	check_inst(vx, true);

	/* A new VTEP takes the free VTEP slot and the free neighbour slot. */
	t = vx_vtep_add(vx, 200, &c->rc);
	assert_int_equal(t, 0);
	assert_int_equal(vx->vteps[0].nh, nha);
	assert_true(vx_ip_eq(&vx->neigh[nha].ip, &c->rc));
	assert_int_equal(vx->vteps[1].nh, nhb);
	check_inst(vx, true);
	/* Freeing the highest slots lowers the marks. */
	assert_int_equal(vx_vtep_del(vx, 100, &c->rb), 0);
	assert_int_equal(vx->n_vteps, 1);
	assert_int_equal(vx->n_neigh, 1);
	assert_null(vx_fdb_lookup(vx->fdb, 100, &z));
	check_inst(vx, true);
}

/* Freeing a next hop frees the packets it held; a static next hop stays. */
static void
test_vtep_del_frees_held(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct rte_ether_addr x = vxt_mac("02:00:00:00:0a:01");
	uint16_t nh;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 1);
	assert_int_equal(vx_neigh_add_static(vx, &c->rb, &c->nmac), 0);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(vx_fdb_static_remote(vx, 100, &x, &c->ra), 0);
	nh = vx->vteps[0].nh;
	send_ep(c, 0, &x, &c->m1);
	send_ep(c, 0, &x, &c->m1);
	assert_int_equal(vx->neigh[nh].state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(vx->neigh[nh].n_hold, 2);
	assert_int_equal(c->st.stat[VX_STAT_arp_request_tx], 1);
	vx_test_out_free(&c->out);
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use + 2);

	assert_int_equal(vx_vtep_del(vx, 100, &c->ra), 0);
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use);
	assert_int_equal(vx->neigh[nh].ip.family, 0);
	assert_int_equal(vx->neigh[nh].n_hold, 0);
	check_inst(vx, true);

	/* The static next hop of rb stays, pinned, after its VTEP goes. */
	nh = vx->vteps[1].nh;
	assert_int_equal(vx_vtep_del(vx, 100, &c->rb), 0);
	assert_int_equal(vx->n_vteps, 0);
	assert_int_equal(vx->neigh[nh].state, VX_NEIGH_STATIC);
	assert_true(vx_ip_eq(&vx->neigh[nh].ip, &c->rb));
	check_inst(vx, true);
	/* Back again, it is resolved at once. */
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 0);
	assert_int_equal(vx->vteps[0].nh, nh);
	check_inst(vx, true);
}

/* A gateway next hop is freed with the last VTEP behind it, unless static. */
static void
test_vtep_del_gateway(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct vx_ip off6 = vxt_ip("2001:db8::1");
	uint16_t g;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vni_add(vx, 200), 1);
	assert_int_equal(vx_vtep_add(vx, 100, &c->off1), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->off2), 1);
	/* The gateway itself as an on-link VTEP shares the entry. */
	assert_int_equal(vx_vtep_add(vx, 200, &c->gw4), 2);
	g = vx->vteps[0].nh;
	assert_int_equal(vx->vteps[1].nh, g);
	assert_int_equal(vx->vteps[2].nh, g);
	assert_true(vx_ip_eq(&vx->neigh[g].ip, &c->gw4));
	/* Off-link without a gateway of its family: no next hop at all. */
	assert_int_equal(vx_vtep_add(vx, 200, &off6), 3);
	assert_int_equal(vx->vteps[3].nh, VX_NONE);

	assert_int_equal(vx_vtep_del(vx, 100, &c->off1), 0);
	assert_int_equal(vx->neigh[g].ip.family, AF_INET);
	assert_int_equal(vx_vtep_del(vx, 200, &c->gw4), 0);
	assert_int_equal(vx->neigh[g].ip.family, AF_INET);
	check_inst(vx, true);
	assert_int_equal(vx_vtep_del(vx, 100, &c->off2), 0);
	assert_int_equal(vx->neigh[g].ip.family, 0);
	assert_int_equal(vx->n_neigh, 0);
	assert_int_equal(vx_vtep_del(vx, 200, &off6), 0);
	assert_int_equal(vx->n_vteps, 0);
	check_inst(vx, true);

	/* A static gateway outlives its VTEPs, until it is unpinned. */
	assert_int_equal(vx_neigh_add_static(vx, &c->gw4, &c->nmac), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->off1), 0);
	g = vx->vteps[0].nh;
	assert_int_equal(vx_vtep_del(vx, 100, &c->off1), 0);
	assert_int_equal(vx->neigh[g].state, VX_NEIGH_STATIC);
	assert_int_equal(vx_neigh_del_static(vx, &c->gw4), 0);
	assert_int_equal(vx->n_neigh, 0);
	check_inst(vx, true);
}

/*
 * The underlay changes under existing VTEPs: new templates, next hops that
 * follow the new prefix and gateway, unused next hops freed, nothing
 * changed on error.
 */
/*
 * vx_fdb_replace(): the instance moves to a table of another size with
 * every entry; a table too small is refused and the old one stays.
 */
static void
test_fdb_replace(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct vx_fdb *small = vx_fdb_create(1, -1);
	struct vx_fdb *big = vx_fdb_create(200000, -1);
	struct vx_fdb *cur, *old;

	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_fdb_static_remote(vx, 100, &c->m1, &c->ra), 0);
	assert_int_equal(vx_fdb_learn(vx->fdb, 100, &c->m2, VX_FDB_REMOTE, 0, 42), 1);
	cur = vx->fdb;
	errno = 0;
	assert_null(vx_fdb_replace(vx, small));
	assert_int_equal(errno, ENOSPC);
	assert_ptr_equal(vx->fdb, cur);
	old = vx_fdb_replace(vx, big);
	assert_ptr_equal(old, cur);
	assert_ptr_equal(vx->fdb, big);
	assert_int_equal(vx->p.fdb_size, 200000);
	assert_int_equal(vx_fdb_count(vx->fdb), 2);
	assert_true(vx_fdb_lookup(vx->fdb, 100, &c->m1)->is_static);
	assert_int_equal(vx_fdb_lookup(vx->fdb, 100, &c->m2)->last_seen, 42);
	/* The instance works on the new table: deleting the VTEP flushes it. */
	assert_int_equal(vx_vtep_del(vx, 100, &c->ra), 0);
	assert_int_equal(vx_fdb_count(vx->fdb), 0);
	assert_int_equal(vx_fdb_count(old), 2);
	vx_fdb_destroy(old);
	vx_fdb_destroy(small);
	check_inst(vx, true);
}

static void
test_underlay_set(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct vx_underlay u, before;
	const struct rte_ipv4_hdr *ip;
	struct vx_ip gw = vxt_ip("198.19.0.254");
	uint16_t nh;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->off1), 1);
	/* ra is on-link (its own next hop), off1 goes through the gateway. */
	assert_true(vx_ip_eq(&vx->neigh[vx->vteps[0].nh].ip, &c->ra));
	assert_true(vx_ip_eq(&vx->neigh[vx->vteps[1].nh].ip, &c->gw4));

	vx_underlay_get(vx, &before);
	u = before;
	/* Another subnet: ra is now off-link too, through the new gateway. */
	u.ip4 = vxt_ip("198.19.0.1");
	u.plen4 = 24;
	u.gw4 = gw;
	u.udp_port = 4790;
	u.mac = vxt_mac("02:00:00:00:00:77");
	assert_int_equal(vx_underlay_set(vx, &u), 0);
	nh = vx->vteps[0].nh;
	assert_int_equal(vx->vteps[1].nh, nh);
	assert_true(vx_ip_eq(&vx->neigh[nh].ip, &gw));
	/* The old next hops (ra, the old gateway) are gone. */
	for (uint16_t i = 0; i < vx->n_neigh; i++)
		assert_true(vx->neigh[i].ip.family == 0 || i == nh);
	/* Templates carry the new source address, MAC and port. */
	ip = (const struct rte_ipv4_hdr *)(vx->vteps[0].tmpl + sizeof(struct rte_ether_hdr));
	assert_int_equal(ip->src_addr, u.ip4.v4);
	assert_memory_equal(vx->vteps[0].tmpl + RTE_ETHER_ADDR_LEN, &u.mac, RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(((const struct rte_udp_hdr *)(ip + 1))->dst_port), 4790);
	assert_int_equal(vx->pcfg.udp_port, 4790);
	assert_int_equal(vx->pcfg.ip4, u.ip4.v4);
	check_inst(vx, true);

	/* Errors change nothing. */
	vx_underlay_get(vx, &before);
	u = before;
	memset(&u.ip4, 0, sizeof(u.ip4));
	memset(&u.gw4, 0, sizeof(u.gw4));
	assert_int_equal(vx_underlay_set(vx, &u), -EAFNOSUPPORT);
	u = before;
	u.ip4 = c->ra; /* A VTEP with our own address. */
	assert_int_equal(vx_underlay_set(vx, &u), -EINVAL);
	u = before;
	memset(&u.ip4, 0, sizeof(u.ip4));
	assert_int_equal(vx_underlay_set(vx, &u), -EINVAL); /* gateway without address */
	u = before;
	u.mac = vxt_mac("01:00:5e:00:00:01");
	assert_int_equal(vx_underlay_set(vx, &u), -EINVAL);
	u = before;
	u.udp_port = 0;
	assert_int_equal(vx_underlay_set(vx, &u), -EINVAL);
	u = before;
	u.mtu = 500;
	assert_int_equal(vx_underlay_set(vx, &u), -EINVAL);
	assert_int_equal(vx_underlay_set(vx, NULL), -EINVAL);
	vx_underlay_get(vx, &u);
	assert_memory_equal(&u, &before, sizeof(u));
	assert_int_equal(vx->vteps[0].nh, nh);

	/* Back: ra on-link again, the gateway no longer used by it. */
	u = before;
	u.ip4 = c->l4;
	u.plen4 = 16;
	u.gw4 = c->gw4;
	assert_int_equal(vx_underlay_set(vx, &u), 0);
	assert_true(vx_ip_eq(&vx->neigh[vx->vteps[0].nh].ip, &c->ra));
	assert_true(vx_ip_eq(&vx->neigh[vx->vteps[1].nh].ip, &c->gw4));
	check_inst(vx, true);
}

/* Add/delete cycles far beyond VX_MAX_VTEPS and the neighbour capacity. */
static void
test_vtep_slot_reuse(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	const uint32_t n_vni = VX_MAX_VTEPS / VX_VNI_MAX_VTEPS + 1;
	struct vx_ip ip[VX_MAX_VTEPS], x1 = ip_n(60001), x2 = ip_n(60002), x3 = ip_n(60003);
	uint32_t vni_of[VX_MAX_VTEPS], next = 2, adds = 0;
	uint64_t rng = 0xfeedbeef;
	int t;

	for (uint32_t v = 1; v <= n_vni; v++)
		assert_int_equal(vx_vni_add(vx, v), (int)v - 1);
	for (unsigned int i = 0; i < VX_MAX_VTEPS; i++) {
		ip[i] = ip_n(next++);
		vni_of[i] = 1 + i / VX_VNI_MAX_VTEPS;
		assert_int_equal(vx_vtep_add(vx, vni_of[i], &ip[i]), (int)i);
		assert_int_equal(vx->vteps[i].nh, i);
	}
	assert_int_equal(vx->n_neigh, VX_MAX_VTEPS);
	{
		struct vx_ip more = ip_n(next++);

		assert_int_equal(vx_vtep_add(vx, n_vni, &more), -ENOSPC);
	}
	/* Fill the neighbour table with the two entries left. */
	assert_int_equal(vx_neigh_add_static(vx, &x1, &c->nmac), 0);
	assert_int_equal(vx_neigh_add_static(vx, &x2, &c->nmac), 0);
	assert_int_equal(vx->n_neigh, vx->max_neigh);
	assert_int_equal(vx_neigh_add(vx, &x3), -ENOSPC);
	check_inst(vx, true);

	for (unsigned int round = 0; round < 1000; round++) {
		unsigned int k = 1 + (unsigned int)(xorshift(&rng) % 12);

		for (unsigned int j = 0; j < k; j++) {
			unsigned int ti = (unsigned int)(xorshift(&rng) % vx->n_vteps);

			if (vx->vteps[ti].ip.family == 0)
				continue;
			assert_int_equal(vx_vtep_del(vx, vni_of[ti], &ip[ti]), 0);
			assert_int_equal(vx_vtep_find(vx, &ip[ti]), -ENOENT);
		}
		for (;;) {
			unsigned int expect = vx->n_vteps, expect_nh = vx->n_neigh;
			uint32_t vni = 0;

			for (unsigned int i = 0; i < vx->n_vteps; i++)
				if (vx->vteps[i].ip.family == 0) {
					expect = i;
					break;
				}
			for (unsigned int i = 0; i < vx->n_neigh; i++)
				if (vx->neigh[i].ip.family == 0) {
					expect_nh = i;
					break;
				}
			if (expect >= VX_MAX_VTEPS)
				break;
			for (uint32_t v = 0; v < n_vni && vni == 0; v++) {
				uint32_t cand = 1 + (v + round) % n_vni;

				if (vx->vnis[vx_vni_find(vx, cand)].n_vteps < VX_VNI_MAX_VTEPS)
					vni = cand;
			}
			assert_int_not_equal(vni, 0);
			ip[expect] = ip_n(next++);
			vni_of[expect] = vni;
			t = vx_vtep_add(vx, vni, &ip[expect]);
			assert_int_equal(t, expect);
			assert_int_equal(vx->vteps[t].nh, expect_nh);
			adds++;
		}
		if (round % 100 == 0)
			check_inst(vx, true);
	}
	assert_true(adds > 4 * VX_MAX_VTEPS);
	assert_int_equal(vx->n_vteps, VX_MAX_VTEPS);
	assert_int_equal(vx->n_neigh, vx->max_neigh);
	check_inst(vx, true);
	/* The static entries are still there and unpin into free slots. */
	assert_int_equal(vx_neigh_del_static(vx, &x1), 0);
	assert_int_equal(vx_neigh_add(vx, &x3), VX_MAX_VTEPS);
	check_inst(vx, false);
}

/* --------------------------------------------------------------------- */
/* Neighbours.                                                            */

/* Unpinning: dynamic again while a VTEP needs it, freed otherwise. */
static void
test_neigh_del_static(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct rte_ether_addr zero = {{0}};
	struct vx_ip x = ip_n(500), unset = {0};
	struct rte_mbuf *m;
	uint8_t buf[64];
	uint32_t len;
	uint64_t now = rte_rdtsc();
	uint16_t nh;

	assert_int_equal(vx_neigh_del_static(vx, &c->ra), -ENOENT);
	assert_int_equal(vx_neigh_del_static(vx, NULL), -ENOENT);
	assert_int_equal(vx_neigh_del_static(vx, &unset), -ENOENT);
	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_neigh_add_static(vx, &c->ra, &c->nmac), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	nh = vx->vteps[0].nh;
	assert_int_equal(nh, 0);

	assert_int_equal(vx_neigh_del_static(vx, &c->ra), 0);
	assert_int_equal(vx->neigh[nh].state, VX_NEIGH_NONE);
	assert_true(vx_ip_eq(&vx->neigh[nh].ip, &c->ra));
	assert_int_equal(vx->neigh[nh].pub, vx_neigh_pack(&zero, VX_NEIGH_NONE));
	assert_int_equal(vx->vteps[0].nh, nh);
	/* Not static any more. */
	assert_int_equal(vx_neigh_del_static(vx, &c->ra), -ENOENT);
	check_inst(vx, true);

	/* The next timer run resolves it again. */
	vx_timer(vx, now, &c->out, &c->st);
	assert_int_equal(vx->neigh[nh].state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(c->st.stat[VX_STAT_arp_request_tx], 1);
	vx_test_out_free(&c->out);
	len = vxt_arp(buf, &vx->p.mac, RTE_ARP_OP_REPLY, &c->m3, c->ra.v4, &vx->p.mac, c->l4.v4);
	m = vx_test_mbuf(buf, len);
	vx_underlay_input(vx, &m, 1, now, &c->out, &c->st);
	assert_int_equal(vx->neigh[nh].state, VX_NEIGH_REACHABLE);
	assert_true(rte_is_same_ether_addr(&vx->neigh[nh].mac, &c->m3));
	assert_int_equal(vx->neigh[nh].pub, vx_neigh_pack(&c->m3, VX_NEIGH_REACHABLE));
	check_inst(vx, true);

	/* A gateway in use becomes dynamic too. */
	assert_int_equal(vx_neigh_add_static(vx, &c->gw4, &c->nmac), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->off1), 1);
	nh = vx->vteps[1].nh;
	assert_int_equal(vx_neigh_del_static(vx, &c->gw4), 0);
	assert_int_equal(vx->neigh[nh].state, VX_NEIGH_NONE);
	assert_int_equal(vx->neigh[nh].deadline, 0);
	check_inst(vx, true);

	/* Unused, it is freed; the slot is reused. */
	assert_int_equal(vx_neigh_add_static(vx, &x, &c->nmac), 0);
	assert_int_equal(vx->n_neigh, 3);
	assert_int_equal(vx_neigh_del_static(vx, &x), 0);
	assert_int_equal(vx->n_neigh, 2);
	assert_int_equal(vx_neigh_add_static(vx, &x, &c->nmac), 0);
	assert_int_equal(vx_neigh_add_static(vx, &c->rc, &c->nmac), 0);
	assert_int_equal(vx->n_neigh, 4);
	assert_int_equal(vx_neigh_del_static(vx, &x), 0);
	assert_int_equal(vx->n_neigh, 4);
	assert_int_equal(vx->neigh[2].ip.family, 0);
	assert_int_equal(vx_neigh_add(vx, &x), 2);
	check_inst(vx, false);
}

/* Free neighbour slots are skipped by the timer and refuse output. */
static void
test_neigh_free_slot_skipped(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct vx_ip x = ip_n(500), y = ip_n(501);
	uint8_t frame[64] = {0};
	struct rte_mbuf *m;

	assert_int_equal(vx_neigh_add_static(vx, &x, &c->nmac), 0);
	assert_int_equal(vx_neigh_add_static(vx, &y, &c->nmac), 0);
	assert_int_equal(vx_neigh_del_static(vx, &x), 0);
	assert_int_equal(vx->n_neigh, 2);
	/* A free slot looks like a NONE entry due now; it must not be probed. */
	vx_timer(vx, rte_rdtsc(), &c->out, &c->st);
	assert_int_equal(c->out.n, 0);
	assert_int_equal(c->st.stat[VX_STAT_arp_request_tx], 0);
	assert_int_equal(c->st.stat[VX_STAT_nd_solicit_tx], 0);
	assert_int_equal(vx->neigh[0].state, VX_NEIGH_NONE);
	m = vx_test_mbuf(frame, sizeof(frame));
	vx_neigh_output(vx, 0, m, rte_rdtsc(), &c->out, &c->st);
	assert_int_equal(c->st.drop[VX_DROP_no_route], 1);
	assert_int_equal(c->out.n, 0);
	assert_int_equal(vx->neigh[0].n_hold, 0);
	check_inst(vx, false);
}

/* The neighbour table reuses the slots vx_neigh_del_static() frees, many times over. */
static void
test_neigh_slot_reuse(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct vx_ip ip[VX_MAX_NEIGH];
	uint32_t next = 2, adds = 0;
	uint64_t rng = 77;

	assert_int_equal(vx->max_neigh, VX_MAX_NEIGH);
	for (unsigned int i = 0; i < vx->max_neigh; i++) {
		ip[i] = ip_n(next++);
		assert_int_equal(vx_neigh_add_static(vx, &ip[i], &c->nmac), 0);
		assert_int_equal(vx_neigh_add(vx, &ip[i]), (int)i);
	}
	{
		struct vx_ip more = ip_n(next++);

		assert_int_equal(vx_neigh_add(vx, &more), -ENOSPC);
		assert_int_equal(vx_neigh_add_static(vx, &more, &c->nmac), -ENOSPC);
	}
	for (unsigned int round = 0; round < 4 * VX_MAX_NEIGH; round++) {
		unsigned int i = 0, expect;

		if (vx->n_neigh != 0)
			i = (unsigned int)(xorshift(&rng) % vx->n_neigh);
		if (i < vx->n_neigh && vx->neigh[i].ip.family != 0)
			assert_int_equal(vx_neigh_del_static(vx, &ip[i]), 0);
		if (xorshift(&rng) & 1)
			continue;
		expect = vx->n_neigh;
		for (unsigned int j = 0; j < vx->n_neigh; j++)
			if (vx->neigh[j].ip.family == 0) {
				expect = j;
				break;
			}
		ip[expect] = ip_n(next++);
		assert_int_equal(vx_neigh_add(vx, &ip[expect]), (int)expect);
		assert_int_equal(vx_neigh_add_static(vx, &ip[expect], &c->nmac), 0);
		adds++;
	}
	assert_true(adds > VX_MAX_NEIGH);
	/* Fill the holes: exactly max_neigh entries fit, not one more. */
	for (;;) {
		struct vx_ip more = ip_n(next++);
		int rc = vx_neigh_add_static(vx, &more, &c->nmac);

		if (rc == -ENOSPC)
			break;
		assert_int_equal(rc, 0);
		adds++;
	}
	assert_int_equal(vx->n_neigh, vx->max_neigh);
	for (unsigned int i = 0; i < vx->n_neigh; i++)
		assert_int_equal(vx->neigh[i].state, VX_NEIGH_STATIC);
	check_inst(vx, true);
}

/* --------------------------------------------------------------------- */
/* FDB flush by target.                                                   */

/* One entry of the model the FDB is compared with. */
struct model_entry {
	struct rte_ether_addr mac;
	uint32_t vni;
	uint8_t kind, is_static;
	uint16_t target;
};

struct model {
	struct model_entry e[256];
	unsigned int n;
};

static bool
model_match(const struct model_entry *e, uint32_t vni, uint8_t kind, uint16_t target)
{
	return (vni == VX_VNI_ANY || e->vni == vni) && e->kind == kind && e->target == target;
}

/* Flush both the model and the FDB; the FDB must remove what the model does. */
static void
model_flush(struct model *md, struct vx_fdb *fdb, uint32_t vni, uint8_t kind, uint16_t target)
{
	unsigned int expect = 0, n = 0;
	uint32_t seq = fdb->seq;

	for (unsigned int i = 0; i < md->n;) {
		if (model_match(&md->e[i], vni, kind, target)) {
			/* Removed entries are gone from the table too. */
			md->e[i] = md->e[--md->n];
			expect++;
		} else {
			i++;
		}
	}
	assert_int_equal(vx_fdb_flush_target(fdb, vni, kind, target), expect);
	/* One write section per removal, none left open. */
	assert_int_equal(fdb->seq - seq, 2 * expect);
	assert_int_equal(vx_fdb_count(fdb), md->n);
	assert_int_equal(vx_fdb_walk(fdb, count_cb, &n), 0);
	assert_int_equal(n, md->n);
	for (unsigned int i = 0; i < md->n; i++) {
		const struct model_entry *m = &md->e[i];
		const struct vx_fdb_entry *e = vx_fdb_lookup(fdb, m->vni, &m->mac);
		struct vx_fdb_entry copy;

		assert_non_null(e);
		assert_int_equal(e->kind, m->kind);
		assert_int_equal(e->target, m->target);
		assert_int_equal(e->is_static, m->is_static);
		assert_true(vx_fdb_lookup_copy(fdb, m->vni, &m->mac, &copy));
		assert_int_equal(copy.target, m->target);
	}
}

static void
model_add(struct model *md, struct vx_fdb *fdb, uint32_t vni, struct rte_ether_addr mac,
	  uint8_t kind, uint16_t target, bool is_static)
{
	struct model_entry *m = &md->e[md->n++];

	if (is_static)
		assert_int_equal(vx_fdb_add_static(fdb, vni, &mac, kind, target), 0);
	else
		assert_int_equal(vx_fdb_learn(fdb, vni, &mac, kind, target, 1), 1);
	m->mac = mac;
	m->vni = vni;
	m->kind = kind;
	m->target = target;
	m->is_static = is_static;
}

static void
test_fdb_flush_target_basic(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(64, -1);
	struct model md = {0};

	(void)state;
	assert_non_null(fdb);
	assert_int_equal(vx_fdb_flush_target(fdb, VX_VNI_ANY, VX_FDB_LOCAL, 3), 0);
	model_add(&md, fdb, 1, vxt_mac("02:00:00:00:00:0a"), VX_FDB_LOCAL, 3, true);
	model_add(&md, fdb, 1, vxt_mac("02:00:00:00:00:0b"), VX_FDB_LOCAL, 3, false);
	model_add(&md, fdb, 1, vxt_mac("02:00:00:00:00:0c"), VX_FDB_LOCAL, 4, false);
	model_add(&md, fdb, 1, vxt_mac("02:00:00:00:00:0d"), VX_FDB_REMOTE, 3, true);
	model_add(&md, fdb, 2, vxt_mac("02:00:00:00:00:0a"), VX_FDB_LOCAL, 3, false);
	model_add(&md, fdb, 2, vxt_mac("02:00:00:00:00:0e"), VX_FDB_REMOTE, 3, false);
	/* A bad kind matches nothing. */
	assert_int_equal(vx_fdb_flush_target(fdb, VX_VNI_ANY, 0, 3), 0);
	assert_int_equal(vx_fdb_flush_target(fdb, VX_VNI_ANY, 3, 3), 0);
	assert_int_equal(vx_fdb_count(fdb), 6);
	/* Kind, target and VNI must all match; static entries go too. */
	model_flush(&md, fdb, 7, VX_FDB_LOCAL, 3);
	model_flush(&md, fdb, 1, VX_FDB_LOCAL, 3);
	assert_int_equal(md.n, 4);
	model_flush(&md, fdb, VX_VNI_ANY, VX_FDB_REMOTE, 3);
	assert_int_equal(md.n, 2);
	model_flush(&md, fdb, VX_VNI_ANY, VX_FDB_LOCAL, 3);
	model_flush(&md, fdb, VX_VNI_ANY, VX_FDB_LOCAL, 4);
	assert_int_equal(md.n, 0);
	vx_fdb_destroy(fdb);
}

/* @return a MAC whose home slot in (vni) is @p home, searching from *n. */
static struct rte_ether_addr
mac_with_home(const struct vx_fdb *fdb, uint32_t vni, uint32_t home, uint32_t *n)
{
	for (;; (*n)++) {
		struct rte_ether_addr m = mac_n(0x30, *n);

		if (vx_fdb_home(fdb, vni, &m) == home) {
			(*n)++;
			return m;
		}
	}
}

/*
 * A cluster that wraps around the end of the slot array, with entries of
 * several targets interleaved: every flush leaves every other entry
 * reachable, whatever order the targets go in.
 */
static void
test_fdb_flush_target_wrap(void **state)
{
	static const uint16_t order[][3] = {{1, 2, 3}, {3, 2, 1}, {2, 1, 3}, {2, 3, 1}};

	(void)state;
	for (unsigned int o = 0; o < RTE_DIM(order); o++) {
		for (unsigned int kind = VX_FDB_LOCAL; kind <= VX_FDB_REMOTE; kind++) {
			struct vx_fdb *fdb = vx_fdb_create(32, -1);
			struct model md = {0};
			uint32_t n = 0;
			unsigned int i = 0;

			assert_non_null(fdb);
			assert_int_equal(fdb->mask, 63);
			/* Homes 61..63, then 0..2: one cluster across the end. */
			for (uint32_t h = 61; i < 24; i++, h = h == 63 ? 0 : h + 1) {
				struct rte_ether_addr m = mac_with_home(fdb, 5, h, &n);

				model_add(&md, fdb, 5, m, (uint8_t)(i % 5 == 0 ? 3 - kind : kind),
					  (uint16_t)(1 + i % 3), i % 4 == 0);
				if (h == 2)
					h = 60;
			}
			/* Fill up with entries anywhere, some in another VNI. */
			for (; md.n < 32; n++) {
				struct rte_ether_addr m = mac_n(0x40, n);

				model_add(&md, fdb, 5 + (n & 1), m, (uint8_t)kind,
					  (uint16_t)(1 + n % 3), false);
			}
			assert_int_not_equal(fdb->slots[0].kind, 0);
			assert_int_not_equal(fdb->slots[63].kind, 0);
			for (unsigned int t = 0; t < 3; t++)
				model_flush(&md, fdb, t == 1 ? VX_VNI_ANY : 5, (uint8_t)kind,
					    order[o][t]);
			model_flush(&md, fdb, VX_VNI_ANY, (uint8_t)(3 - kind), 1);
			vx_fdb_destroy(fdb);
		}
	}
}

/* Random full tables and random flushes, compared with the model. */
static void
test_fdb_flush_target_random(void **state)
{
	struct vx_fdb *fdb = vx_fdb_create(128, -1);
	struct model *md = calloc(1, sizeof(*md));
	uint64_t rng = 0xabcdef12345ull;
	uint32_t n = 0;

	(void)state;
	assert_non_null(fdb);
	assert_non_null(md);
	for (unsigned int round = 0; round < 3000; round++) {
		uint64_t r;

		/* Refill to capacity: load 1/2, long clusters. */
		while (md->n < 128) {
			struct rte_ether_addr m = mac_n(0x50, n++);

			r = xorshift(&rng);
			model_add(md, fdb, 1 + (uint32_t)(r & 1), m,
				  (uint8_t)(r & 2 ? VX_FDB_LOCAL : VX_FDB_REMOTE),
				  (uint16_t)(r >> 8 & 7), (r >> 16 & 3) == 0);
		}
		r = xorshift(&rng);
		model_flush(md, fdb, (r & 3) == 0 ? VX_VNI_ANY : 1 + (uint32_t)(r >> 2 & 1),
			    (uint8_t)(r & 16 ? VX_FDB_LOCAL : VX_FDB_REMOTE),
			    (uint16_t)(r >> 8 & 7));
	}
	free(md);
	vx_fdb_destroy(fdb);
}

/* --------------------------------------------------------------------- */
/* VNIs.                                                                  */

static void
test_vni_del_errors(void **state)
{
	struct ictx *c = *state;

	assert_int_equal(vx_vni_del(c->vx, 100), -ENOENT);
	assert_int_equal(vx_vni_add(c->vx, 100), 0);
	assert_int_equal(vx_vni_add(c->vx, 200), 1);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(vx_vni_del(c->vx, 100), -EBUSY);
	assert_int_equal(vx_vni_del(c->vx, 300), -ENOENT);
	assert_int_equal(vx_vni_del(c->vx, VX_VNI_MAX + 1), -ENOENT);
	assert_int_equal(vx_vni_find(c->vx, 100), 0);
	assert_int_equal(vx_endpoint_del(c->vx, 0), 0);
	assert_int_equal(vx_vni_del(c->vx, 100), 0);
	assert_int_equal(vx_vni_find(c->vx, 100), -ENOENT);
	assert_int_equal(vx_vni_find(c->vx, 200), 0);
	assert_int_equal(vx_vni_del(c->vx, 100), -ENOENT);
	assert_int_equal(vx_vni_del(c->vx, 200), 0);
	assert_int_equal(c->vx->n_vnis, 0);
	check_inst(c->vx, true);
}

/*
 * Deleting a VNI flushes its entries, static too, frees the VTEPs only it
 * used with their next hops and held packets, and moves the last VNI.
 */
static void
test_vni_del_frees_vteps(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct rte_ether_addr x = vxt_mac("02:00:00:00:0a:01"), y = vxt_mac("02:00:00:00:0a:02");
	struct rte_ether_addr z = vxt_mac("02:00:00:00:0a:03"), w = vxt_mac("02:00:00:00:0a:04");
	uint8_t frame[64] = {0};
	struct rte_mbuf *m;
	uint16_t nha;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vni_add(vx, 200), 1);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 1);
	assert_int_equal(vx_vtep_add(vx, 200, &c->rb), 1);
	assert_int_equal(vx_vtep_add(vx, 200, &c->rc), 2);
	assert_int_equal(ep_add(c, "e3", &c->m3, 200, P_E3), 0);
	assert_int_equal(vx_fdb_static_remote(vx, 100, &x, &c->ra), 0);
	assert_int_equal(vx_fdb_learn(vx->fdb, 100, &y, VX_FDB_REMOTE, 1, 1), 1);
	assert_int_equal(vx_fdb_learn(vx->fdb, 200, &z, VX_FDB_REMOTE, 1, 1), 1);
	assert_int_equal(vx_fdb_learn(vx->fdb, 200, &w, VX_FDB_LOCAL, 0, 1), 1);
	/* A packet waits for ra's next hop. */
	nha = vx->vteps[0].nh;
	m = vx_test_mbuf(frame, sizeof(frame));
	vx_neigh_output(vx, nha, m, rte_rdtsc(), &c->out, &c->st);
	assert_int_equal(vx->neigh[nha].n_hold, 1);
	vx_test_out_free(&c->out);
	check_inst(vx, true);

	assert_int_equal(vx_vni_del(vx, 100), 0);
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use);
	assert_int_equal(vx_vtep_find(vx, &c->ra), -ENOENT);
	assert_int_equal(vx_vtep_find(vx, &c->rb), 1);
	assert_int_equal(vx_vtep_find(vx, &c->rc), 2);
	assert_int_equal(vx->neigh[nha].ip.family, 0);
	assert_null(vx_fdb_lookup(vx->fdb, 100, &x));
	assert_null(vx_fdb_lookup(vx->fdb, 100, &y));
	assert_non_null(vx_fdb_lookup(vx->fdb, 200, &z));
	assert_non_null(vx_fdb_lookup(vx->fdb, 200, &w));
	assert_non_null(vx_fdb_lookup(vx->fdb, 200, &c->m3));
	/* VNI 200 moved into index 0, with its endpoint. */
	assert_int_equal(vx->n_vnis, 1);
	assert_int_equal(vx_vni_find(vx, 200), 0);
	assert_int_equal(vx->eps[0].vni_idx, 0);
	assert_int_equal(vx->vnis[0].n_vteps, 2);
	check_inst(vx, true);

	/* The VNI comes back empty. */
	assert_int_equal(vx_vni_add(vx, 100), 1);
	assert_int_equal(vx->vnis[1].n_vteps, 0);
	assert_int_equal(vx->vnis[1].n_eps, 0);
	check_inst(vx, true);
}

/* The VNI hash function of vx_inst.c, to build clusters on purpose. */
static uint32_t
vni_home(uint32_t vni)
{
	return ((vni * 2654435761u) >> 19) & (2 * VX_MAX_VNIS - 1);
}

/*
 * Fill the VNI table, with clusters that wrap around the end of the hash,
 * and delete in random order: every VNI left is found at its index, and
 * the endpoints and VTEPs of moved VNIs move with them.
 */
static void
test_vni_del_many(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	uint32_t *vnis = calloc(VX_MAX_VNIS, sizeof(*vnis));
	unsigned int n = 0, live;
	uint64_t rng = 4242;
	uint32_t cand = 1;
	const uint32_t mask = 2 * VX_MAX_VNIS - 1;

	assert_non_null(vnis);
	/* Six VNIs at home mask, four at home 0, three at home mask - 1. */
	for (unsigned int want = 0; want < 13; cand++) {
		uint32_t h = vni_home(cand);

		if ((want < 6 && h == mask) || (want >= 6 && want < 10 && h == 0) ||
		    (want >= 10 && h == mask - 1)) {
			vnis[n] = cand;
			assert_int_equal(vx_vni_add(vx, cand), (int)n);
			n++;
			want++;
		}
	}
	assert_int_not_equal(vx->vni_hash[0], VX_NONE);
	assert_int_not_equal(vx->vni_hash[mask], VX_NONE);
	while (n < VX_MAX_VNIS) {
		uint32_t v = (uint32_t)(xorshift(&rng) & VX_VNI_MAX);

		if (vx_vni_find(vx, v) >= 0)
			continue;
		vnis[n] = v;
		assert_int_equal(vx_vni_add(vx, v), (int)n);
		n++;
	}
	assert_int_equal(vx_vni_add(vx, VX_VNI_MAX + 1), -EINVAL);
	assert_int_equal(vx_vni_add(vx, vnis[7]), -EEXIST);
	for (uint32_t v = 0;; v++)
		if (vx_vni_find(vx, v) < 0) {
			assert_int_equal(vx_vni_add(vx, v), -ENOSPC);
			break;
		}
	/* Members in a few VNIs, which are kept to the end (EBUSY). */
	for (unsigned int i = 0; i < 4; i++) {
		char name[VX_NAME_LEN];
		struct rte_ether_addr m = mac_n(0x60, i);
		struct vx_ip ip = ip_n(10 + i);
		uint32_t v = vnis[i * 3];

		snprintf(name, sizeof(name), "keep%u", i);
		assert_int_equal(ep_add(c, name, &m, v, P_E1), (int)i);
		assert_int_equal(vx_vtep_add(vx, v, &ip), (int)i);
		assert_int_equal(vx_fdb_static_remote(vx, v, &c->m1, &ip), 0);
	}
	/* A shared VTEP too, which must survive every deletion. */
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(vx_vtep_add(vx, vnis[i * 3], &c->ra), 4);
	/* Other VNIs use the shared VTEP as well. */
	for (unsigned int i = 12; i < 40; i++)
		assert_int_equal(vx_vtep_add(vx, vnis[i], &c->ra), 4);
	/* Shuffle all but the kept ones. */
	for (unsigned int i = VX_MAX_VNIS - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(xorshift(&rng) % (i + 1));
		uint32_t t = vnis[i];

		vnis[i] = vnis[j];
		vnis[j] = t;
	}
	live = VX_MAX_VNIS;
	for (unsigned int i = 0; i < VX_MAX_VNIS; i++) {
		int vi = vx_vni_find(vx, vnis[i]);

		assert_true(vi >= 0);
		if (vx->vnis[vi].n_eps != 0) {
			assert_int_equal(vx_vni_del(vx, vnis[i]), -EBUSY);
			continue;
		}
		assert_int_equal(vx_vni_del(vx, vnis[i]), 0);
		live--;
		assert_int_equal(vx_vni_find(vx, vnis[i]), -ENOENT);
		assert_int_equal(vx->n_vnis, live);
		if (i < 64 || i % 32 == 0 || live < 64) {
			for (unsigned int j = i + 1; j < VX_MAX_VNIS; j++) {
				int k = vx_vni_find(vx, vnis[j]);

				assert_true(k >= 0 && k < (int)live);
				assert_int_equal(vx->vnis[k].vni, vnis[j]);
			}
			check_inst(vx, true);
		}
	}
	assert_int_equal(live, 4);
	assert_int_equal(vx->n_vnis, 4);
	assert_int_equal(vx->n_vteps, 5);
	for (unsigned int i = 0; i < VX_MAX_ENDPOINTS && i < 4; i++) {
		int vi = vx_vni_find(vx, vx->eps[i].vni);

		assert_true(vi >= 0);
		assert_int_equal(vx->eps[i].vni_idx, vi);
		assert_int_equal(vx->vnis[vi].n_vteps, 2);
		assert_non_null(vx_fdb_lookup(vx->fdb, vx->eps[i].vni, &c->m1));
	}
	n = 0;
	for (unsigned int h = 0; h <= mask; h++)
		n += vx->vni_hash[h] != VX_NONE;
	assert_int_equal(n, 4);
	check_inst(vx, true);
	/* Everything fits again. */
	for (unsigned int i = 0; i < VX_MAX_VNIS; i++)
		if (vx_vni_find(vx, vnis[i]) < 0)
			assert_true(vx_vni_add(vx, vnis[i]) >= 4);
	assert_int_equal(vx->n_vnis, VX_MAX_VNIS);
	check_inst(vx, true);
	free(vnis);
}

/* --------------------------------------------------------------------- */
/* Forwarding after changes.                                              */

/*
 * VNI 100: VTEPs ra and rb, endpoints e1 and e2; VNI 200: VTEP ra,
 * endpoint e3; VNI 300: VTEP rc, endpoint e4. Next hops are pinned.
 */
static void
fwd_build(struct ictx *c)
{
	struct vx_inst *vx = c->vx;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vni_add(vx, 200), 1);
	assert_int_equal(vx_vni_add(vx, 300), 2);
	assert_int_equal(vx_neigh_add_static(vx, &c->ra, &c->nmac), 0);
	assert_int_equal(vx_neigh_add_static(vx, &c->rb, &c->nmac), 0);
	assert_int_equal(vx_neigh_add_static(vx, &c->rc, &c->nmac), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 1);
	assert_int_equal(vx_vtep_add(vx, 200, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 300, &c->rc), 2);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);
	assert_int_equal(ep_add(c, "e3", &c->m3, 200, P_E3), 2);
	assert_int_equal(ep_add(c, "e4", &c->m4, 300, P_E4), 3);
}

static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* After vtep_del the VTEP gets no flooded copies and its packets are refused. */
static void
test_fwd_vtep_del(void **state)
{
	struct ictx *c = *state;
	struct rte_ether_addr x = vxt_mac("02:00:00:00:0a:01"), rm = vxt_mac("02:00:00:00:09:01");

	fwd_build(c);
	assert_int_equal(vx_fdb_static_remote(c->vx, 100, &x, &c->rb), 0);
	send_ep(c, 0, &bcast, &c->m1);
	assert_int_equal(c->out.n, 3);
	assert_int_equal(out_on_port(&c->out, P_E2), 1);
	assert_int_equal(out_to_vtep(&c->out, &c->ra, 100), 1);
	assert_int_equal(out_to_vtep(&c->out, &c->rb, 100), 1);
	vx_test_out_free(&c->out);
	send_ep(c, 0, &x, &c->m1);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(out_to_vtep(&c->out, &c->rb, 100), 1);
	vx_test_out_free(&c->out);

	assert_int_equal(vx_vtep_del(c->vx, 100, &c->rb), 0);
	check_inst(c->vx, false);
	send_ep(c, 0, &bcast, &c->m1);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(out_on_port(&c->out, P_E2), 1);
	assert_int_equal(out_to_vtep(&c->out, &c->ra, 100), 1);
	assert_int_equal(out_to_vtep(&c->out, &c->rb, 100), 0);
	vx_test_out_free(&c->out);
	/* Its static entry went with it: x is unknown now and floods. */
	send_ep(c, 0, &x, &c->m1);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(out_to_vtep(&c->out, &c->rb, 100), 0);
	vx_test_out_free(&c->out);
	send_decap(c, &c->rb, 100, &c->m1, &rm);
	assert_int_equal(c->st.drop[VX_DROP_vtep_unknown], 1);
	assert_int_equal(c->out.n, 0);
	assert_null(vx_fdb_lookup(c->vx->fdb, 100, &rm));

	/* Back again: flooded to, and accepted from. */
	assert_int_equal(vx_vtep_add(c->vx, 100, &c->rb), 1);
	send_ep(c, 0, &bcast, &c->m1);
	assert_int_equal(out_to_vtep(&c->out, &c->ra, 100), 1);
	assert_int_equal(out_to_vtep(&c->out, &c->rb, 100), 1);
	vx_test_out_free(&c->out);
	send_decap(c, &c->rb, 100, &c->m1, &rm);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->out.port[0], P_E1);
	assert_int_equal(vx_fdb_lookup(c->vx->fdb, 100, &rm)->target, 1);
	assert_int_equal(drops(&c->st), 1);
	check_inst(c->vx, false);
}

/* After endpoint_del nothing is delivered to it, by MAC or by flooding. */
static void
test_fwd_endpoint_del(void **state)
{
	struct ictx *c = *state;
	struct rte_ether_addr b2 = vxt_mac("02:00:00:00:0b:02"), rm = vxt_mac("02:00:00:00:09:01");

	fwd_build(c);
	assert_int_equal(vx_fdb_learn(c->vx->fdb, 100, &b2, VX_FDB_LOCAL, 1, rte_rdtsc()), 1);
	send_decap(c, &c->ra, 100, &c->m2, &rm);
	send_decap(c, &c->ra, 100, &b2, &rm);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(out_on_port(&c->out, P_E2), 2);
	vx_test_out_free(&c->out);

	assert_int_equal(vx_endpoint_del(c->vx, 1), 0);
	check_inst(c->vx, false);
	/* Unknown now: flooded to the endpoints left, e1 only. */
	send_decap(c, &c->ra, 100, &c->m2, &rm);
	send_decap(c, &c->ra, 100, &b2, &rm);
	send_decap(c, &c->ra, 100, &bcast, &rm);
	assert_int_equal(c->out.n, 3);
	assert_int_equal(out_on_port(&c->out, P_E1), 3);
	assert_int_equal(out_on_port(&c->out, P_E2), 0);
	vx_test_out_free(&c->out);
	/* From e1 to its MAC: flooded to the VTEPs only. */
	send_ep(c, 0, &c->m2, &c->m1);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(out_on_port(&c->out, P_UL), 2);
	vx_test_out_free(&c->out);

	/* Back again, in the same slot. */
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);
	send_decap(c, &c->ra, 100, &c->m2, &rm);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->out.port[0], P_E2);
	vx_test_out_free(&c->out);
	send_ep(c, 0, &c->m2, &c->m1);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->out.port[0], P_E2);
	vx_test_out_free(&c->out);

	/* With no endpoint left, flooding has nobody to go to. */
	assert_int_equal(vx_endpoint_del(c->vx, 0), 0);
	assert_int_equal(vx_endpoint_del(c->vx, 1), 0);
	send_decap(c, &c->ra, 100, &bcast, &rm);
	assert_int_equal(c->st.drop[VX_DROP_no_members], 1);
	assert_int_equal(drops(&c->st), 1);
	check_inst(c->vx, false);
}

/* After vni_del its packets are unknown; the moved VNI keeps forwarding. */
static void
test_fwd_vni_del(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:01");

	fwd_build(c);
	assert_int_equal(vx_vni_del(vx, 100), -EBUSY);
	assert_int_equal(vx_endpoint_del(vx, 0), 0);
	assert_int_equal(vx_endpoint_del(vx, 1), 0);
	assert_int_equal(vx_vni_del(vx, 100), 0);
	check_inst(vx, false);
	/* VNI 300 was last and took index 0; rb is gone, ra stays for VNI 200. */
	assert_int_equal(vx_vni_find(vx, 300), 0);
	assert_int_equal(vx->eps[3].vni_idx, 0);
	assert_int_equal(vx_vtep_find(vx, &c->rb), -ENOENT);
	assert_int_equal(vx_vtep_find(vx, &c->ra), 0);

	send_decap(c, &c->ra, 100, &c->m1, &rm);
	assert_int_equal(c->st.drop[VX_DROP_vni_unknown], 1);
	assert_int_equal(c->out.n, 0);
	send_decap(c, &c->rc, 300, &c->m4, &rm);
	send_decap(c, &c->ra, 200, &c->m3, &rm);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(c->out.port[0], P_E4);
	assert_int_equal(c->out.port[1], P_E3);
	vx_test_out_free(&c->out);
	send_ep(c, 3, &bcast, &c->m4);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(out_to_vtep(&c->out, &c->rc, 300), 1);
	vx_test_out_free(&c->out);
	send_ep(c, 3, &rm, &c->m4);
	assert_int_equal(out_to_vtep(&c->out, &c->rc, 300), 1);
	vx_test_out_free(&c->out);

	/* Rebuilt, VNI 100 forwards again. */
	assert_int_equal(vx_vni_add(vx, 100), 2);
	assert_int_equal(vx_vtep_add(vx, 100, &c->ra), 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 1);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	send_decap(c, &c->ra, 100, &c->m1, &rm);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->out.port[0], P_E1);
	vx_test_out_free(&c->out);
	send_ep(c, 0, &bcast, &c->m1);
	assert_int_equal(out_to_vtep(&c->out, &c->ra, 100), 1);
	assert_int_equal(out_to_vtep(&c->out, &c->rb, 100), 1);
	assert_int_equal(drops(&c->st), 1);
	check_inst(vx, false);
}

/* --------------------------------------------------------------------- */
/* A worker reads the FDB while the owner flushes by target.              */

#define N_DST	   16
#define W_BURST	   32
#define FILL_LIMIT 1000

struct wstress {
	struct vx_stats wst; /* The worker's counters. */
	struct vx_inst *vx;
	struct vx_worker *w;
	uint8_t frame[N_DST][160];
	uint32_t flen[N_DST];
	struct rte_ether_addr dst[N_DST];
	uint16_t port[N_DST];
	uint16_t tb; /* The VTEP whose entries the owner flushes. */
	uint32_t stop;
	uint64_t deadline;
	/* The owner's results. */
	uint64_t rounds, learned, flushed, left_behind;
	/* The worker's. */
	uint64_t pkts, delivered, wrong_port;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct left_arg {
	uint32_t vni;
	uint16_t tb;
	uint64_t n;
};

static int
left_cb(const struct vx_fdb_entry *e, void *arg)
{
	struct left_arg *a = arg;

	if (e->kind == VX_FDB_REMOTE && e->target == a->tb &&
	    (a->vni == VX_VNI_ANY || e->vni == a->vni))
		a->n++;
	return 0;
}

/*
 * The owner: fill the FDB to near capacity with entries behind tb, in
 * both VNIs, which pushes the static entries the worker looks up around
 * in long clusters, then flush them by target, one VNI or all.
 */
static void *
owner_thread(void *arg)
{
	struct wstress *s = arg;
	struct vx_fdb *fdb = s->vx->fdb;
	uint64_t rng = 0x5151, now = 1;

	while (mono_ms() < s->deadline && s->rounds < 200000) {
		struct left_arg la = {.tb = s->tb};

		while (vx_fdb_count(fdb) < FILL_LIMIT) {
			uint64_t r = xorshift(&rng);
			struct rte_ether_addr m = mac_n(0x70, (uint32_t)r);

			m.addr_bytes[1] = (uint8_t)(r >> 40);
			if (vx_fdb_learn(fdb, 100 + 100 * (uint32_t)(r >> 33 & 1), &m,
					 VX_FDB_REMOTE, s->tb, now++) == 1)
				s->learned++;
		}
		la.vni = (s->rounds & 1) ? VX_VNI_ANY : 100;
		s->flushed += vx_fdb_flush_target(fdb, la.vni, VX_FDB_REMOTE, s->tb);
		vx_fdb_walk(fdb, left_cb, &la);
		s->left_behind += la.n;
		s->rounds++;
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The worker: decapsulate bursts to the static MACs and check where each went. */
static void *
worker_thread(void *arg)
{
	struct wstress *s = arg;
	struct vx_out out = {0};
	struct rte_mbuf *m[W_BURST];
	unsigned int k = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (rte_pktmbuf_alloc_bulk(vx_test_pool(), m, W_BURST) != 0)
			continue;
		for (unsigned int i = 0; i < W_BURST; i++, k = (k + 1) % N_DST)
			memcpy(rte_pktmbuf_append(m[i], (uint16_t)s->flen[k]), s->frame[k],
			       s->flen[k]);
		vx_underlay_input_w(s->vx, s->w, m, W_BURST, rte_rdtsc(), &out, &s->wst);
		s->pkts += W_BURST;
		s->delivered += out.n;
		for (unsigned int i = 0; i < out.n; i++) {
			const struct rte_ether_hdr *eth =
				rte_pktmbuf_mtod(out.pkts[i], const struct rte_ether_hdr *);
			unsigned int d = 0;

			while (d < N_DST && !rte_is_same_ether_addr(&eth->dst_addr, &s->dst[d]))
				d++;
			if (d == N_DST || out.port[i] != s->port[d])
				s->wrong_port++;
		}
		vx_test_out_free(&out);
	}
	return NULL;
}

/*
 * A worker decapsulates to MACs with static entries while the owner flushes
 * entries around them by target: every packet is delivered to the right
 * endpoint, none is flooded or dropped, and the known source MAC is never
 * missed (no learn request).
 */
static void
test_worker_reads_during_flush(void **state)
{
	struct ictx *c = *state;
	struct vx_inst *vx = c->vx;
	struct wstress *s = zalloc_aligned(sizeof(*s));
	struct rte_ether_addr src = vxt_mac("02:00:00:00:09:01");
	pthread_t owner, worker;
	int ta;

	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vni_add(vx, 200), 1);
	ta = vx_vtep_add(vx, 100, &c->ra);
	assert_int_equal(ta, 0);
	assert_int_equal(vx_vtep_add(vx, 100, &c->rb), 1);
	assert_int_equal(vx_vtep_add(vx, 200, &c->rb), 1);
	assert_int_equal(ep_add(c, "e1", &c->m1, 100, P_E1), 0);
	assert_int_equal(ep_add(c, "e2", &c->m2, 100, P_E2), 1);
	assert_int_equal(vx_fdb_learn(vx->fdb, 100, &src, VX_FDB_REMOTE, (uint16_t)ta, 1), 1);
	s->vx = vx;
	s->tb = 1;
	s->w = vx_worker_create(vx, 1024, -1);
	assert_non_null(s->w);
	for (unsigned int d = 0; d < N_DST; d++) {
		uint8_t in[96];
		uint32_t len;

		if (d < 2) {
			s->dst[d] = d == 0 ? c->m1 : c->m2;
		} else {
			s->dst[d] = mac_n(0x0b, d);
			assert_int_equal(vx_fdb_add_static(vx->fdb, 100, &s->dst[d], VX_FDB_LOCAL,
							   (uint16_t)(d & 1)),
					 0);
		}
		s->port[d] = (d & 1) ? P_E2 : P_E1;
		len = vxt_inner(in, 80, &s->dst[d], &src, (uint16_t)d, d);
		s->flen[d] = vxt_encap(s->frame[d], in, len, &c->ra, &c->l4, 100);
	}
	check_inst(vx, true);

	s->deadline = mono_ms() + STRESS_MS;
	assert_int_equal(vx_test_thread_start(&worker, worker_thread, s), 0);
	assert_int_equal(vx_test_thread_start(&owner, owner_thread, s), 0);
	assert_int_equal(vx_test_thread_join(owner), 0);
	assert_int_equal(vx_test_thread_join(worker), 0);

	print_message("flush stress: %" PRIu64 " rounds, %" PRIu64 " flushed, %" PRIu64
		      " packets\n",
		      s->rounds, s->flushed, s->pkts);
	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		if (s->wst.drop[i] != 0)
			print_message("worker drop %s: %" PRIu64 "\n", vx_drop_names[i],
				      s->wst.drop[i]);
	assert_true(s->rounds >= 2);
	assert_true(s->pkts > 0);
	assert_int_equal(s->left_behind, 0);
	assert_int_equal(s->wrong_port, 0);
	assert_int_equal(s->delivered, s->pkts);
	assert_int_equal(drops(&s->wst), 0);
	assert_int_equal(s->wst.stat[VX_STAT_flood_copies], 0);
	assert_int_equal(s->wst.stat[VX_STAT_learn_req], 0);
	assert_int_equal(s->wst.stat[VX_STAT_learn_req_lost], 0);
	assert_int_equal(s->wst.stat[VX_STAT_decap_pkts], s->pkts);
	assert_int_equal(vx_worker_pending(s->w), 0);

	/* What is left is consistent, and the last flush can be completed. */
	vx_fdb_flush_target(vx->fdb, VX_VNI_ANY, VX_FDB_REMOTE, s->tb);
	assert_int_equal(vx_fdb_count(vx->fdb), 2 + (N_DST - 2) + 1);
	check_inst(vx, true);
	vx_worker_destroy(s->w);
	free(s);
}

int
vx_test_inst(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_endpoint_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_del_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_del_flushes_fdb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_slot_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtep_del_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtep_del_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtep_del_frees_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtep_del_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_underlay_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fdb_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtep_slot_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh_del_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh_free_slot_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh_slot_reuse, setup, teardown),
		cmocka_unit_test(test_fdb_flush_target_basic),
		cmocka_unit_test(test_fdb_flush_target_wrap),
		cmocka_unit_test(test_fdb_flush_target_random),
		cmocka_unit_test_setup_teardown(test_vni_del_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vni_del_frees_vteps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vni_del_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_vtep_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_endpoint_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_vni_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_reads_during_flush, setup, teardown),
	};

	return cmocka_run_group_tests_name("vxlan/inst", tests, NULL, NULL);
}
