/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore tests: the worker burst functions leave every write to the
 * owner (learning, neighbour resolution, ARP), the request ring's overflow
 * accounting, and lock-free reads of the FDB and the neighbour table while
 * an owner thread changes them.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>

#include "vx_test.h"
#include "vx_test_frames.h"

/* Ports: 0 underlay, 1 and 2 endpoints in VNI 100. */
#define P_UL 0
#define P_E1 1
#define P_E2 2

/* How long each stress test runs at most, and how long a join may wait. */
#define STRESS_SECONDS 2

struct wctx {
	struct vx_inst *vx;
	struct vx_worker *w;
	struct vx_out out;   /* The worker's output. */
	struct vx_out oout;  /* The owner's output. */
	struct vx_stats st;  /* The worker's counters. */
	struct vx_stats ost; /* The owner's counters. */
	unsigned int in_use;
	struct rte_ether_addr m1, m2, rmac, our_mac;
	struct vx_ip l4, r4;
};

static int
setup(void **state)
{
	struct wctx *c = calloc(1, sizeof(*c));
	struct vx_params p = {0};
	struct vx_endpoint ep = {0};

	c->m1 = vxt_mac("02:00:00:00:01:11");
	c->m2 = vxt_mac("02:00:00:00:01:12");
	c->rmac = vxt_mac("02:00:00:00:09:01");
	c->our_mac = vxt_mac("02:00:00:00:00:01");
	c->l4 = vxt_ip("198.18.0.1");
	c->r4 = vxt_ip("198.18.0.2");

	vx_test_params(&p, P_UL);
	c->vx = vx_create(&p);
	assert_non_null(c->vx);
	assert_int_equal(vx_vni_add(c->vx, 100), 0);
	/* On-link, so its next hop is itself, left unresolved. */
	assert_int_equal(vx_vtep_add(c->vx, 100, &c->r4), 0);

	snprintf(ep.name, sizeof(ep.name), "e1");
	ep.mac = c->m1;
	ep.vni = 100;
	ep.port = P_E1;
	ep.mtu = 1500;
	assert_int_equal(vx_endpoint_add(c->vx, &ep), 0);
	snprintf(ep.name, sizeof(ep.name), "e2");
	ep.mac = c->m2;
	ep.port = P_E2;
	assert_int_equal(vx_endpoint_add(c->vx, &ep), 1);
	c->w = vx_worker_create(c->vx, 64, -1);
	assert_non_null(c->w);
	c->in_use = rte_mempool_in_use_count(vx_test_pool());
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct wctx *c = *state;

	vx_test_out_free(&c->out);
	vx_test_out_free(&c->oout);
	vx_worker_destroy(c->w);
	/* Every mbuf a test made is freed, in an output list, or was in the ring. */
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use);
	vx_destroy(c->vx);
	free(c);
	return 0;
}

/* A VxLAN frame from the remote VTEP carrying inner @src -> @dst. */
static void
w_decap(struct wctx *c, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
	uint16_t n, uint64_t now)
{
	uint8_t in[128], frame[256];
	uint32_t len = vxt_inner(in, 80, dst, src, 1, 1);
	uint32_t flen = vxt_encap(frame, in, len, &c->r4, &c->l4, 100);
	struct rte_mbuf *m[8];

	assert_true(n <= RTE_DIM(m));
	for (uint16_t i = 0; i < n; i++)
		m[i] = vx_test_mbuf(frame, flen);
	vx_underlay_input_w(c->vx, c->w, m, n, now, &c->out, &c->st);
}

/* A frame from endpoint @ep, @src -> @dst, through the worker. */
static void
w_encap(struct wctx *c, uint16_t ep, const struct rte_ether_addr *dst,
	const struct rte_ether_addr *src, uint64_t now)
{
	uint8_t in[128];
	uint32_t len = vxt_inner(in, 80, dst, src, 1, 1);
	struct rte_mbuf *m = vx_test_mbuf(in, len);

	vx_endpoint_input_w(c->vx, c->w, ep, &m, 1, now, &c->out, &c->st);
}

/* An ARP frame from the remote VTEP (sender r4 with @sha). */
static struct rte_mbuf *
arp_from_remote(struct wctx *c, uint16_t op, const struct rte_ether_addr *sha)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	uint8_t buf[64];
	uint32_t len;

	if (op == RTE_ARP_OP_REQUEST)
		len = vxt_arp(buf, &bcast, op, sha, c->r4.v4, &(struct rte_ether_addr){{0}},
			      c->l4.v4);
	else
		len = vxt_arp(buf, &c->our_mac, op, sha, c->r4.v4, &c->our_mac, c->l4.v4);
	return vx_test_mbuf(buf, len);
}

static const struct rte_ether_hdr *
eth_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
}

/*
 * A new inner source MAC is forwarded at once but only learned when the
 * owner drains the request; a known one is refreshed by the worker alone.
 */
static void
test_decap_learn_via_owner(void **state)
{
	struct wctx *c = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:77");
	const struct vx_fdb_entry *e;
	uint64_t t0 = 1000000, t1 = 2000000, t2 = t1 + c->vx->p.fdb_age;

	/* Two packets of one flow in one burst make one request. */
	w_decap(c, &c->m1, &rm, 2, t0);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(c->out.port[0], P_E1);
	assert_int_equal(c->out.port[1], P_E1);
	assert_null(vx_fdb_lookup(c->vx->fdb, 100, &rm));
	assert_int_equal(vx_worker_pending(c->w), 1);
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 1);
	assert_int_equal(c->st.stat[VX_STAT_fdb_learned], 0);
	assert_int_equal(c->st.stat[VX_STAT_decap_pkts], 2);

	assert_int_equal(vx_worker_drain(c->vx, c->w, 16, t1, &c->oout, &c->ost), 1);
	assert_int_equal(vx_worker_pending(c->w), 0);
	assert_int_equal(c->oout.n, 0);
	e = vx_fdb_lookup(c->vx->fdb, 100, &rm);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_REMOTE);
	assert_int_equal(e->target, vx_vtep_find(c->vx, &c->r4));
	assert_int_equal(e->is_static, 0);
	assert_int_equal(e->last_seen, t1);
	assert_int_equal(c->ost.stat[VX_STAT_fdb_learned], 1);

	/* Seen again much later: the worker refreshes it without a request. */
	w_decap(c, &c->m1, &rm, 1, t2);
	assert_int_equal(vx_worker_pending(c->w), 0);
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 1);
	assert_int_equal(vx_fdb_lookup(c->vx->fdb, 100, &rm)->last_seen, t2);
	assert_int_equal(c->out.n, 3);
}

/* Decapsulated frames that claim a local endpoint's MAC are dropped as on the owner. */
static void
test_decap_static_local_src(void **state)
{
	struct wctx *c = *state;

	w_decap(c, &c->m2, &c->m1, 1, 1000);
	assert_int_equal(c->st.drop[VX_DROP_src_mac_local], 1);
	assert_int_equal(c->out.n, 0);
	assert_int_equal(vx_worker_pending(c->w), 0);
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 0);
}

/*
 * Encapsulation towards an unresolved next hop goes through the owner,
 * which holds the packet and probes; once resolved, workers send directly.
 */
static void
test_encap_unresolved_then_direct(void **state)
{
	struct wctx *c = *state;
	struct rte_ether_addr rm = vxt_mac("02:00:00:00:09:99");
	const struct rte_arp_hdr *arp;
	const struct vx_neigh *nb;
	struct rte_mbuf *m;
	uint64_t now = rte_rdtsc();
	int nh;

	assert_int_equal(vx_fdb_static_remote(c->vx, 100, &rm, &c->r4), 0);
	nh = c->vx->vteps[vx_vtep_find(c->vx, &c->r4)].nh;
	nb = &c->vx->neigh[nh];
	w_encap(c, 0, &rm, &c->m1, now);
	assert_int_equal(c->out.n, 0);
	assert_int_equal(c->st.stat[VX_STAT_owner_handoff], 1);
	assert_int_equal(c->st.stat[VX_STAT_encap_pkts], 1);
	assert_int_equal(vx_worker_pending(c->w), 1);
	assert_int_equal(nb->state, VX_NEIGH_NONE);

	assert_int_equal(vx_worker_drain(c->vx, c->w, 16, now, &c->oout, &c->ost), 1);
	assert_int_equal(nb->state, VX_NEIGH_INCOMPLETE);
	assert_int_equal(nb->n_hold, 1);
	assert_int_equal(c->ost.stat[VX_STAT_neigh_held], 1);
	assert_int_equal(c->ost.stat[VX_STAT_arp_request_tx], 1);
	assert_int_equal(c->oout.n, 1);
	assert_int_equal(c->oout.port[0], P_UL);
	assert_int_equal(eth_of(c->oout.pkts[0])->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	arp = rte_pktmbuf_mtod_offset(c->oout.pkts[0], const struct rte_arp_hdr *,
				      sizeof(struct rte_ether_hdr));
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(arp->arp_data.arp_tip, c->r4.v4);
	vx_test_out_free(&c->oout);

	/* The reply reaches the owner, which releases the held packet. */
	m = arp_from_remote(c, RTE_ARP_OP_REPLY, &c->rmac);
	vx_underlay_input(c->vx, &m, 1, now, &c->oout, &c->ost);
	assert_int_equal(nb->state, VX_NEIGH_REACHABLE);
	assert_int_equal(c->oout.n, 1);
	assert_true(rte_is_same_ether_addr(&eth_of(c->oout.pkts[0])->dst_addr, &c->rmac));

	/* Now a worker sends directly, with the resolved MAC. */
	w_encap(c, 0, &rm, &c->m1, now);
	assert_int_equal(vx_worker_pending(c->w), 0);
	assert_int_equal(c->st.stat[VX_STAT_owner_handoff], 1);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->out.port[0], P_UL);
	assert_true(rte_is_same_ether_addr(&eth_of(c->out.pkts[0])->dst_addr, &c->rmac));
}

/* ARP for our address that reaches a worker is answered by the owner only. */
static void
test_arp_answered_by_owner(void **state)
{
	struct wctx *c = *state;
	struct rte_mbuf *m = arp_from_remote(c, RTE_ARP_OP_REQUEST, &c->rmac);
	const struct rte_arp_hdr *arp;

	vx_underlay_input_w(c->vx, c->w, &m, 1, 1000, &c->out, &c->st);
	assert_int_equal(c->out.n, 0);
	assert_int_equal(c->st.stat[VX_STAT_arp_reply_tx], 0);
	assert_int_equal(c->st.stat[VX_STAT_owner_handoff], 1);
	assert_int_equal(c->st.stat[VX_STAT_underlay_rx], 1);
	assert_int_equal(vx_worker_pending(c->w), 1);

	assert_int_equal(vx_worker_drain(c->vx, c->w, 16, 1000, &c->oout, &c->ost), 1);
	assert_int_equal(c->oout.n, 1);
	assert_int_equal(c->oout.port[0], P_UL);
	assert_int_equal(c->ost.stat[VX_STAT_arp_reply_tx], 1);
	/* Received once, by the worker; the owner does not count it again. */
	assert_int_equal(c->ost.stat[VX_STAT_underlay_rx], 0);
	arp = rte_pktmbuf_mtod_offset(c->oout.pkts[0], const struct rte_arp_hdr *,
				      sizeof(struct rte_ether_hdr));
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_int_equal(arp->arp_data.arp_sip, c->l4.v4);
	assert_int_equal(arp->arp_data.arp_tip, c->r4.v4);
	assert_true(rte_is_same_ether_addr(&eth_of(c->oout.pkts[0])->dst_addr, &c->rmac));
}

/* A full ring drops handed-over packets and loses learn requests, counted exactly. */
static void
test_ring_full(void **state)
{
	struct wctx *c = *state;
	struct rte_ether_addr ra = vxt_mac("02:00:00:00:09:0a");
	struct rte_ether_addr rb = vxt_mac("02:00:00:00:09:0b");
	struct rte_mbuf *m[5];

	vx_worker_destroy(c->w);
	/* A ring of 4 holds 3 requests. */
	c->w = vx_worker_create(c->vx, 4, -1);
	assert_non_null(c->w);
	for (unsigned int i = 0; i < RTE_DIM(m); i++)
		m[i] = arp_from_remote(c, RTE_ARP_OP_REQUEST, &c->rmac);
	vx_underlay_input_w(c->vx, c->w, m, RTE_DIM(m), 1000, &c->out, &c->st);
	assert_int_equal(c->st.stat[VX_STAT_owner_handoff], 3);
	assert_int_equal(c->st.drop[VX_DROP_owner_ring_full], 2);
	assert_int_equal(vx_worker_pending(c->w), 3);

	/* The packet is still forwarded; only its learn request is lost. */
	w_decap(c, &c->m1, &ra, 1, 2000);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->st.stat[VX_STAT_learn_req_lost], 1);
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 0);

	assert_int_equal(vx_worker_drain(c->vx, c->w, 2, 3000, &c->oout, &c->ost), 2);
	assert_int_equal(vx_worker_pending(c->w), 1);
	w_decap(c, &c->m1, &rb, 1, 4000);
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 1);
	assert_int_equal(c->st.stat[VX_STAT_learn_req_lost], 1);
	assert_int_equal(c->st.drop[VX_DROP_owner_ring_full], 2);
	assert_int_equal(vx_worker_drain(c->vx, c->w, 16, 5000, &c->oout, &c->ost), 2);
	assert_int_equal(c->oout.n, 3);
	assert_null(vx_fdb_lookup(c->vx->fdb, 100, &ra));
	assert_non_null(vx_fdb_lookup(c->vx->fdb, 100, &rb));
}

/* Destroying a worker frees the packets its ring still holds. */
static void
test_destroy_frees_pending(void **state)
{
	struct wctx *c = *state;
	struct rte_mbuf *m[3];

	for (unsigned int i = 0; i < RTE_DIM(m); i++)
		m[i] = arp_from_remote(c, RTE_ARP_OP_REQUEST, &c->rmac);
	vx_underlay_input_w(c->vx, c->w, m, RTE_DIM(m), 1000, &c->out, &c->st);
	w_decap(c, &c->m1, &c->rmac, 1, 1000);
	assert_int_equal(vx_worker_pending(c->w), 4);
	vx_test_out_free(&c->out);
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use + 3);
	vx_worker_destroy(c->w);
	c->w = NULL;
	assert_int_equal(rte_mempool_in_use_count(vx_test_pool()), c->in_use);
	vx_worker_destroy(NULL);
}

static void
test_create_args(void **state)
{
	struct wctx *c = *state;
	struct vx_worker *w2;

	errno = 0;
	assert_null(vx_worker_create(c->vx, 3, -1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vx_worker_create(c->vx, 1, -1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vx_worker_create(NULL, 64, -1));
	assert_int_equal(errno, EINVAL);
	/* Several workers of one instance get rings of their own. */
	w2 = vx_worker_create(c->vx, 64, -1);
	assert_non_null(w2);
	assert_int_equal(vx_worker_pending(w2), 0);
	vx_worker_destroy(w2);
}

/* An any_src_mac endpoint on a worker: learning through the owner, spoofing dropped. */
static void
test_any_src_mac(void **state)
{
	struct wctx *c = *state;
	struct rte_ether_addr behind = vxt_mac("02:00:00:00:01:77");
	const struct vx_fdb_entry *e;

	c->vx->eps[1].any_src_mac = true; /* e2 */
	w_encap(c, 1, &c->m1, &behind, 1000);
	assert_int_equal(c->out.n, 1);
	assert_int_equal(c->out.port[0], P_E1);
	assert_null(vx_fdb_lookup(c->vx->fdb, 100, &behind));
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 1);
	assert_int_equal(vx_worker_drain(c->vx, c->w, 16, 2000, &c->oout, &c->ost), 1);
	e = vx_fdb_lookup(c->vx->fdb, 100, &behind);
	assert_non_null(e);
	assert_int_equal(e->kind, VX_FDB_LOCAL);
	assert_int_equal(e->target, 1);
	/* Known now: no further request. */
	w_encap(c, 1, &c->m1, &behind, 3000);
	assert_int_equal(c->st.stat[VX_STAT_learn_req], 1);
	/* e1's MAC is statically e1's. */
	w_encap(c, 1, &c->m2, &c->m1, 3000);
	assert_int_equal(c->st.drop[VX_DROP_src_mac_spoof], 1);
	assert_int_equal(c->out.n, 2);
	assert_int_equal(vx_worker_pending(c->w), 0);
}

/* --------------------------------------------------------------------- */
/* Stress: an owner thread writes while a reader thread reads.            */

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define SET_N	   24
#define LEARN_MAX  180
#define FDB_STRESS 256

struct fdb_stress {
	struct vx_fdb *fdb;
	struct rte_ether_addr set_mac[2][SET_N];
	uint32_t set_vni[2][SET_N];
	uint8_t set_kind[2][SET_N];
	uint16_t set_target[2][SET_N];
	uint32_t stable;   /* The set the reader checks; the owner leaves it alone. */
	uint32_t ack;	   /* The set the reader last started checking. */
	uint32_t stop;	   /* The reader must end. */
	uint64_t deadline; /* mono_ns() when both threads stop. */
	/* Results: the reader's, then the owner's. */
	uint64_t lookups, missing, wrong;
	uint64_t rounds, ops, add_failed;
};

/* A MAC the owner learned, and its VNI. */
struct learned_mac {
	struct rte_ether_addr mac;
	uint32_t vni;
};

static void
stress_set_add(struct fdb_stress *s, unsigned int k)
{
	for (unsigned int i = 0; i < SET_N; i++)
		if (vx_fdb_add_static(s->fdb, s->set_vni[k][i], &s->set_mac[k][i],
				      s->set_kind[k][i], s->set_target[k][i]) != 0)
			s->add_failed++;
}

static void *
fdb_reader(void *arg)
{
	struct fdb_stress *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint32_t k = __atomic_load_n(&s->stable, __ATOMIC_ACQUIRE);

		__atomic_store_n(&s->ack, k, __ATOMIC_RELEASE);
		for (unsigned int i = 0; i < SET_N; i++) {
			struct vx_fdb_entry e;

			s->lookups++;
			if (!vx_fdb_lookup_copy(s->fdb, s->set_vni[k][i], &s->set_mac[k][i], &e))
				s->missing++;
			else if (e.kind != s->set_kind[k][i] || e.target != s->set_target[k][i] ||
				 !e.is_static)
				s->wrong++;
		}
	}
	return NULL;
}

static void *
fdb_owner(void *arg)
{
	struct fdb_stress *s = arg;
	struct learned_mac learned[LEARN_MAX];
	unsigned int n_learned = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull, now = 1;

	while (mono_ns() < s->deadline && s->rounds < 100000) {
		uint32_t next = 1 - s->stable;

		/* Fill the table with learned MACs, then re-add the idle set behind them. */
		for (unsigned int tries = 0; n_learned < LEARN_MAX && tries < 4 * LEARN_MAX;
		     tries++) {
			uint64_t r = xorshift(&rng);
			struct learned_mac *l = &learned[n_learned];

			l->mac.addr_bytes[0] = 0x02;
			memcpy(&l->mac.addr_bytes[1], &r, 5);
			l->vni = 7 + (uint32_t)(r >> 60 & 1);
			if (vx_fdb_learn(s->fdb, l->vni, &l->mac, VX_FDB_REMOTE,
					 (uint16_t)(500 + (r >> 50 & 3)), now++) == 1)
				n_learned++;
			s->ops++;
		}
		for (unsigned int i = 0; i < SET_N; i++)
			vx_fdb_del(s->fdb, s->set_vni[next][i], &s->set_mac[next][i]);
		stress_set_add(s, next);
		__atomic_store_n(&s->stable, next, __ATOMIC_RELEASE);
		while (__atomic_load_n(&s->ack, __ATOMIC_ACQUIRE) != next &&
		       mono_ns() < s->deadline)
			;
		/* Churn around the set the reader is checking. */
		for (unsigned int k = 0; k < 400; k++) {
			uint64_t r = xorshift(&rng);
			unsigned int j = n_learned != 0 ? (unsigned int)(r % n_learned) : 0;

			s->ops++;
			switch (r >> 56 & 7) {
			case 0:
			case 1:
			case 2:
				/* Delete a learned MAC. */
				if (n_learned == 0)
					break;
				vx_fdb_del(s->fdb, learned[j].vni, &learned[j].mac);
				learned[j] = learned[--n_learned];
				break;
			case 3:
			case 4:
				/* Move a learned MAC to another VTEP. */
				if (n_learned != 0)
					vx_fdb_learn(s->fdb, learned[j].vni, &learned[j].mac,
						     VX_FDB_REMOTE, (uint16_t)(600 + (r & 3)), now);
				break;
			case 5:
				/* Age with a short lifetime. */
				now += 20;
				vx_fdb_age(s->fdb, now, 60, 64);
				break;
			case 6:
				/* A set MAC learned behind another target must not move it. */
				vx_fdb_learn(s->fdb, s->set_vni[next][r % SET_N],
					     &s->set_mac[next][r % SET_N], VX_FDB_REMOTE, 999, now);
				break;
			default:
				if ((r & 63) == 0)
					vx_fdb_flush(s->fdb, VX_VNI_ANY, false);
				break;
			}
			now++;
		}
		/* Aging and flushing forget MACs this list still has: re-sync it. */
		for (unsigned int i = 0; i < n_learned;) {
			if (vx_fdb_lookup(s->fdb, learned[i].vni, &learned[i].mac) == NULL)
				learned[i] = learned[--n_learned];
			else
				i++;
		}
		s->rounds++;
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A reader thread looks static entries up through the worker read path
 * while the owner thread learns, moves, deletes, ages and flushes around
 * them (backward-shift deletion moves the static entries between slots):
 * every lookup must find each static entry with its exact kind and target,
 * and the reader must never hang.
 */
static void
test_stress_fdb(void **state)
{
	struct fdb_stress *s = calloc(1, sizeof(*s));
	pthread_t owner, reader;

	(void)state;
	assert_non_null(s);
	s->fdb = vx_fdb_create(FDB_STRESS, -1);
	assert_non_null(s->fdb);
	for (unsigned int k = 0; k < 2; k++)
		for (unsigned int i = 0; i < SET_N; i++) {
			s->set_mac[k][i] = (struct rte_ether_addr){{0x02, 0x5a, 0, 0, k, i}};
			s->set_vni[k][i] = 7 + (i & 1);
			s->set_kind[k][i] = (i & 2) ? VX_FDB_LOCAL : VX_FDB_REMOTE;
			s->set_target[k][i] = (uint16_t)(100 + k * SET_N + i);
		}
	stress_set_add(s, 0);
	s->deadline = mono_ns() + STRESS_SECONDS * 1000000000ull;
	assert_int_equal(vx_test_thread_start(&reader, fdb_reader, s), 0);
	assert_int_equal(vx_test_thread_start(&owner, fdb_owner, s), 0);
	assert_int_equal(vx_test_thread_join(owner), 0);
	/* A reader stuck in a probe or retry loop would not end. */
	assert_int_equal(vx_test_thread_join(reader), 0);
	assert_int_equal(s->add_failed, 0);
	assert_int_equal(s->missing, 0);
	assert_int_equal(s->wrong, 0);
	assert_true(s->rounds >= 2);
	assert_true(s->lookups > 0);
	print_message("fdb stress: %" PRIu64 " rounds, %" PRIu64 " owner ops, %" PRIu64
		      " lookups\n",
		      s->rounds, s->ops, s->lookups);
	vx_fdb_destroy(s->fdb);
	free(s);
}

struct neigh_stress {
	struct wctx *c;
	struct rte_ether_addr rm, a, b;
	uint32_t stop;
	uint64_t deadline;
	uint64_t flips, owner_other; /* The owner's results. */
	uint64_t reads, torn, other; /* The reader's. */
};

/*
 * The owner: pins the next hop's MAC alternately to a and b. This is the
 * cheapest write of a neighbour's MAC and state, so flips come as fast as
 * possible and a reader that could see half of a write would soon do so.
 */
static void *
neigh_owner(void *arg)
{
	struct neigh_stress *s = arg;
	struct wctx *c = s->c;

	while (mono_ns() < s->deadline && s->flips < 100000000) {
		for (unsigned int i = 0; i < 1000; i++, s->flips++)
			if (vx_neigh_add_static(c->vx, &c->r4, (s->flips & 1) ? &s->b : &s->a) != 0)
				s->owner_other++;
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The worker: encapsulate bursts towards the next hop and check its MAC. */
static void *
neigh_reader(void *arg)
{
	struct neigh_stress *s = arg;
	struct wctx *c = s->c;
	struct vx_out out = {0};
	struct vx_stats st = {0};
	struct rte_mbuf *m[32];
	uint8_t in[128];
	uint32_t len = vxt_inner(in, 64, &s->rm, &c->m1, 1, 1);

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (rte_pktmbuf_alloc_bulk(vx_test_pool(), m, RTE_DIM(m)) != 0)
			continue;
		for (unsigned int i = 0; i < RTE_DIM(m); i++)
			memcpy(rte_pktmbuf_append(m[i], (uint16_t)len), in, len);
		vx_endpoint_input_w(c->vx, c->w, 0, m, RTE_DIM(m), rte_rdtsc(), &out, &st);
		s->reads += RTE_DIM(m);
		s->other += RTE_DIM(m) - out.n;
		for (unsigned int i = 0; i < out.n; i++) {
			const struct rte_ether_addr *d = &eth_of(out.pkts[i])->dst_addr;

			if (!rte_is_same_ether_addr(d, &s->a) && !rte_is_same_ether_addr(d, &s->b))
				s->torn++;
		}
		vx_test_out_free(&out);
	}
	s->other += st.stat[VX_STAT_owner_handoff];
	return NULL;
}

/*
 * A worker reads a next hop's MAC while the owner flips it between two
 * values: every packet must carry one of them whole, never a mix, and none
 * may wait for the owner.
 */
static void
test_stress_neigh(void **state)
{
	struct wctx *c = *state;
	struct neigh_stress s = {
		.c = c,
		.rm = vxt_mac("02:00:00:00:09:99"),
		.a = vxt_mac("02:aa:aa:aa:aa:aa"),
		.b = vxt_mac("02:55:55:55:55:55"),
	};
	struct rte_mbuf *m;
	pthread_t owner, reader;

	assert_int_equal(vx_fdb_static_remote(c->vx, 100, &s.rm, &c->r4), 0);
	/* Resolve the next hop first, to MAC a. */
	m = arp_from_remote(c, RTE_ARP_OP_REPLY, &s.a);
	vx_underlay_input(c->vx, &m, 1, rte_rdtsc(), &c->oout, &c->ost);
	assert_int_equal(c->ost.stat[VX_STAT_neigh_resolved], 1);
	s.deadline = mono_ns() + STRESS_SECONDS * 1000000000ull;
	assert_int_equal(vx_test_thread_start(&reader, neigh_reader, &s), 0);
	assert_int_equal(vx_test_thread_start(&owner, neigh_owner, &s), 0);
	assert_int_equal(vx_test_thread_join(owner), 0);
	assert_int_equal(vx_test_thread_join(reader), 0);
	assert_int_equal(s.torn, 0);
	assert_int_equal(s.other, 0);
	assert_int_equal(s.owner_other, 0);
	assert_true(s.flips > 1);
	assert_true(s.reads > 0);
	print_message("neigh stress: %" PRIu64 " flips, %" PRIu64 " reads\n", s.flips, s.reads);
}

int
vx_test_worker(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decap_learn_via_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decap_static_local_src, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encap_unresolved_then_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_answered_by_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_frees_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_src_mac, setup, teardown),
		cmocka_unit_test(test_stress_fdb),
		cmocka_unit_test_setup_teardown(test_stress_neigh, setup, teardown),
	};

	return cmocka_run_group_tests_name("vxlan/worker", tests, NULL, NULL);
}
