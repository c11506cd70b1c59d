/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VxLAN forwarding paths: decapsulation of underlay packets towards
 * endpoints, encapsulation of endpoint frames towards remote VTEPs, local
 * switching, and flooding by head-end replication.
 *
 * Every path exists twice, for the owner lcore and for worker lcores
 * (vx_*_w), from one body: the functions below take a request buffer @rb,
 * NULL on the owner. The owner's entry points pass a constant NULL and the
 * bodies are forced inline, so the compiler removes the worker branches from
 * the owner's code, which stays as fast as before. With a buffer, the body
 * reads the FDB and the neighbour table without writing them and turns
 * whatever needs the owner into requests (see vx_worker_priv.h).
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_memcpy.h>

#include "vx.h"
#include "vx_csum_priv.h"
#include "vx_fdb_priv.h"
#include "vx_parse_priv.h"
#include "vx_worker_priv.h"

/* Where the UDP source port range for entropy starts (RFC 7348: 49152-65535). */
#define VX_SPORT_BASE 0xc000
#define VX_SPORT_MASK 0x3fff

/*
 * Hash the inner flow for the outer UDP source port. IPv4 and IPv6 use the
 * addresses, protocol and, for unfragmented TCP/UDP/SCTP, the ports; other
 * frames use the MAC addresses. A hash the NIC already computed wins.
 */
static inline uint32_t
inner_flow_hash(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t len = m->data_len, h = 0, l4 = 0;
	uint8_t proto = 0;

	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	    len >= sizeof(*eth) + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		uint32_t ihl = (ip->version_ihl & 0xf) * 4u;

		h = rte_hash_crc_8byte(((uint64_t)ip->src_addr << 32) | ip->dst_addr, 0);
		proto = ip->next_proto_id;
		if ((ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) == 0)
			l4 = (uint32_t)sizeof(*eth) + ihl;
	} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
		   len >= sizeof(*eth) + sizeof(struct rte_ipv6_hdr)) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(eth + 1);

		uint64_t a[4];

		/* Copy first: the addresses are only 2-byte aligned. */
		memcpy(a, ip6->src_addr, sizeof(a));
		h = rte_hash_crc_8byte(a[0], 0);
		h = rte_hash_crc_8byte(a[1], h);
		h = rte_hash_crc_8byte(a[2], h);
		h = rte_hash_crc_8byte(a[3], h);
		proto = ip6->proto;
		l4 = (uint32_t)(sizeof(*eth) + sizeof(*ip6));
	} else {
		const uint16_t *w = (const uint16_t *)eth;

		return rte_hash_crc_8byte(((uint64_t)w[0] << 48) | ((uint64_t)w[1] << 32) |
						  ((uint64_t)w[2] << 16) | w[3],
					  ((uint32_t)w[4] << 16) | w[5]);
	}
	if (l4 != 0 && len >= l4 + 4 &&
	    (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP)) {
		uint32_t ports;

		/* The ports may sit at any alignment. */
		memcpy(&ports, (const uint8_t *)eth + l4, sizeof(ports));
		h = rte_hash_crc_4byte(ports, h);
	}
	return rte_hash_crc_4byte(proto, h);
}

/*
 * The UDP checksum sum over an IPv6 pseudo-header whose address and protocol
 * part is precomputed per VTEP (@ph), the length @len_be (network order, as
 * stored) and the datagram from @off, folded to 16 bits. A correct datagram
 * sums to 0xffff.
 */
static inline uint16_t
udp6_sum(const struct rte_mbuf *m, uint32_t off, uint16_t len_be, uint32_t ph)
{
	uint16_t raw;
	uint32_t sum;

	if (vx_csum_mbuf(m, off, rte_be_to_cpu_16(len_be), &raw) != 0)
		return 0;
	sum = ph + len_be + raw;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Encapsulate one frame towards VTEP @ti in @vni and hand it to neighbour
 * output: on a worker (@rb set), a next hop without a MAC is left to the
 * owner. Takes ownership of @m.
 */
static inline void
encap_one(struct vx_inst *vx, struct vx_reqbuf *rb, struct rte_mbuf *m, uint16_t ti, uint32_t vni,
	  uint32_t hash, uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	const struct vx_vtep *t = &vx->vteps[ti];
	const struct vx_neigh *nb;
	uint32_t inner_len = m->pkt_len;
	uint32_t ip_len = inner_len + t->hdr_len - (uint32_t)sizeof(struct rte_ether_hdr);
	struct rte_udp_hdr *udp;
	struct vx_hdr *vxh;
	uint8_t *hdr;

	if (unlikely(ip_len > vx->p.mtu)) {
		vx_drop(m, VX_DROP_encap_too_big, st);
		return;
	}
	if (unlikely(t->nh == VX_NONE)) {
		vx_drop(m, VX_DROP_no_route, st);
		return;
	}
	hdr = (uint8_t *)rte_pktmbuf_prepend(m, t->hdr_len);
	if (unlikely(hdr == NULL)) {
		vx_drop(m, VX_DROP_no_headroom, st);
		return;
	}
	if (t->hdr_len == VX_ENCAP4_LEN) {
		struct rte_ipv4_hdr *ip;
		uint32_t sum;

		rte_memcpy(hdr, t->tmpl, VX_ENCAP4_LEN);
		ip = (struct rte_ipv4_hdr *)(hdr + sizeof(struct rte_ether_hdr));
		ip->total_length = rte_cpu_to_be_16((uint16_t)ip_len);
		/* Incremental checksum: the template's sum plus the new length. */
		sum = (uint32_t)t->ip4_csum0 + ip->total_length;
		sum = (sum & 0xffff) + (sum >> 16);
		ip->hdr_checksum = (uint16_t)~sum;
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_len - sizeof(*ip)));
		udp->src_port = rte_cpu_to_be_16(VX_SPORT_BASE | (hash & VX_SPORT_MASK));
		vxh = (struct vx_hdr *)(udp + 1);
		vx_hdr_set_vni(vxh, vni);
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip6;

		rte_memcpy(hdr, t->tmpl, VX_ENCAP6_LEN);
		ip6 = (struct rte_ipv6_hdr *)(hdr + sizeof(struct rte_ether_hdr));
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(ip_len - sizeof(*ip6)));
		udp = (struct rte_udp_hdr *)(ip6 + 1);
		udp->dgram_len = ip6->payload_len;
		udp->src_port = rte_cpu_to_be_16(VX_SPORT_BASE | (hash & VX_SPORT_MASK));
		vxh = (struct vx_hdr *)(udp + 1);
		vx_hdr_set_vni(vxh, vni);
		if (!vx->p.udp6_zero_csum_tx) {
			uint16_t sum = udp6_sum(m, sizeof(struct rte_ether_hdr) + sizeof(*ip6),
						udp->dgram_len, t->ph6_sum);

			udp->dgram_cksum = sum == 0xffff ? 0xffff : (uint16_t)~sum;
		}
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = sizeof(*ip6);
	}
	st->stat[VX_STAT_encap_pkts]++;
	st->stat[VX_STAT_encap_bytes] += inner_len;
	if (rb != NULL) {
		/* One atomic load gives a MAC and a state that belong together. */
		uint64_t pub = __atomic_load_n(&vx->neigh[t->nh].pub, __ATOMIC_ACQUIRE);
		uint8_t state = vx_neigh_pub_state(pub);

		if (likely(state == VX_NEIGH_REACHABLE || state == VX_NEIGH_STATIC ||
			   state == VX_NEIGH_STALE)) {
			vx_neigh_pub_mac(pub, hdr);
			vx_out_push(out, vx->p.underlay_port, m, st);
			return;
		}
		vx_reqbuf_pkt(rb, VX_REQ_PKT_NEIGH, m, t->nh, st);
		return;
	}
	/* Fast path: a resolved next hop; vx_neigh_output() handles the rest. */
	nb = &vx->neigh[t->nh];
	if (likely(nb->state == VX_NEIGH_REACHABLE || nb->state == VX_NEIGH_STATIC ||
		   nb->state == VX_NEIGH_STALE)) {
		rte_ether_addr_copy(&nb->mac, (struct rte_ether_addr *)hdr);
		vx_out_push(out, vx->p.underlay_port, m, st);
		return;
	}
	vx_neigh_output(vx, t->nh, m, now, out, st);
}

/*
 * Cut a packet to @len bytes, which may free whole trailing segments (a
 * link-layer trailer can straddle the last segment boundary of a jumbo
 * frame, where rte_pktmbuf_trim() gives up).
 */
static void
pkt_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m, *rest;
	uint32_t left = len;
	uint16_t nb = 1;

	while (seg->data_len < left && seg->next != NULL) {
		left -= seg->data_len;
		seg = seg->next;
		nb++;
	}
	seg->data_len = (uint16_t)left;
	rest = seg->next;
	seg->next = NULL;
	rte_pktmbuf_free(rest);
	m->nb_segs = nb;
	m->pkt_len = len;
}

/*
 * Whether a frame fits the MTU of the endpoint it goes to. The MTU counts
 * the IP packet; one VLAN tag is allowed on top of the Ethernet header.
 */
static inline bool
fits_endpoint(const struct vx_endpoint *ep, const struct rte_mbuf *m)
{
	uint32_t l2 = sizeof(struct rte_ether_hdr);

	if (likely(m->pkt_len <= ep->mtu + l2))
		return true;
	return rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->ether_type ==
		       RTE_BE16(RTE_ETHER_TYPE_VLAN) &&
	       m->pkt_len <= ep->mtu + l2 + sizeof(struct rte_vlan_hdr);
}

/* Queue a frame on an endpoint's port, or drop it when it is too big. */
static inline bool
to_endpoint(struct vx_inst *vx, uint16_t epi, struct rte_mbuf *m, struct vx_out *out,
	    struct vx_stats *st)
{
	const struct vx_endpoint *ep = &vx->eps[epi];

	if (unlikely(!fits_endpoint(ep, m))) {
		vx_drop(m, VX_DROP_inner_too_big, st);
		return false;
	}
	vx_out_push(out, ep->port, m, st);
	return true;
}

/* Copy a frame for flooding; counts no_mbuf on failure. */
static inline struct rte_mbuf *
flood_copy(struct vx_inst *vx, struct rte_mbuf *m, struct vx_stats *st)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, vx->p.pool, 0, UINT32_MAX);

	if (unlikely(c == NULL))
		st->drop[VX_DROP_no_mbuf]++;
	else
		st->stat[VX_STAT_flood_copies]++;
	return c;
}

/*
 * Flood a decapsulated frame to the local endpoints of its VNI. Frames
 * from the underlay never go back to a VTEP (split horizon).
 */
static void
flood_decap(struct vx_inst *vx, const struct vx_vni *v, struct rte_mbuf *m, struct vx_out *out,
	    struct vx_stats *st)
{
	if (v->n_eps == 0) {
		vx_drop(m, VX_DROP_no_members, st);
		return;
	}
	for (unsigned int i = 0; i + 1 < v->n_eps; i++) {
		struct rte_mbuf *c = flood_copy(vx, m, st);

		if (c != NULL)
			to_endpoint(vx, v->eps[i], c, out, st);
	}
	to_endpoint(vx, v->eps[v->n_eps - 1], m, out, st);
}

/* Flood an endpoint's frame to the other endpoints and every VTEP of its VNI. */
static void
flood_encap(struct vx_inst *vx, struct vx_reqbuf *rb, uint16_t epi, const struct vx_vni *v,
	    struct rte_mbuf *m, uint32_t hash, uint64_t now, struct vx_out *out,
	    struct vx_stats *st)
{
	unsigned int left = v->n_eps - 1u + v->n_vteps;

	if (left == 0) {
		vx_drop(m, VX_DROP_no_members, st);
		return;
	}
	for (unsigned int i = 0; i < v->n_eps; i++) {
		struct rte_mbuf *c;

		if (v->eps[i] == epi)
			continue;
		c = --left == 0 ? m : flood_copy(vx, m, st);
		if (c != NULL)
			to_endpoint(vx, v->eps[i], c, out, st);
	}
	for (unsigned int i = 0; i < v->n_vteps; i++) {
		struct rte_mbuf *c = --left == 0 ? m : flood_copy(vx, m, st);

		if (c != NULL)
			encap_one(vx, rb, c, v->vteps[i], v->vni, hash, now, out, st);
	}
}

/* Find the VTEP a packet came from among the VTEPs of its VNI. */
static inline int
vni_vtep_lookup(const struct vx_inst *vx, const struct vx_vni *v, const struct vx_ip *src)
{
	for (unsigned int i = 0; i < v->n_vteps; i++) {
		const struct vx_ip *ip = &vx->vteps[v->vteps[i]].ip;

		if (ip->family != src->family)
			continue;
		if (src->family == AF_INET ? ip->v4 == src->v4 : memcmp(ip->v6, src->v6, 16) == 0)
			return v->vteps[i];
	}
	return -1;
}

/* Whether the L4 datagram of @r sums to 0xffff with pseudo-header sum @ph. */
static inline bool
l4_csum_ok(const struct rte_mbuf *m, const struct vx_parsed *r, uint16_t ph)
{
	uint16_t raw;

	if (vx_csum_mbuf(m, r->l4_off, r->l4_len, &raw) != 0)
		return false;
	return vx_csum_fold((uint64_t)raw + ph) == 0xffff;
}

/* Verify the outer UDP checksum of a packet from VTEP @ti. */
static inline bool
udp_csum_ok(const struct vx_inst *vx, const struct rte_mbuf *m, const struct vx_parsed *r, int ti)
{
	const void *l3 = rte_pktmbuf_mtod_offset(m, const void *, r->l3_off);

	if (r->family == AF_INET)
		return l4_csum_ok(m, r, rte_ipv4_phdr_cksum(l3, 0));
	return udp6_sum(m, r->l4_off, rte_cpu_to_be_16((uint16_t)r->l4_len),
			vx->vteps[ti].ph6_sum) == 0xffff;
}

/*
 * What the previous packets of a burst resolved. Packets of one flow arrive
 * back to back, so most lookups repeat. Lookups are cached by value: on a
 * worker the owner may move entries at any time. A burst sees the FDB as it
 * was at its first lookup of a MAC, as it would if it had run a moment
 * earlier.
 */
struct decap_cache {
	int vi;				 /* VNI index of vni, or -1. */
	uint32_t vni;			 /* The VNI it resolved. */
	int ti;				 /* VTEP index that src resolved to in vni. */
	struct vx_ip src;		 /* Outer source. */
	bool learned;			 /* learn_mac was learned from ti in vni. */
	struct rte_ether_addr learn_mac; /* Last inner source learned. */
	bool dst_valid;			 /* dst_mac and dst_h are set. */
	struct rte_ether_addr dst_mac;	 /* Last inner destination. */
	struct vx_fdb_hit dst_h;	 /* Its entry; kind 0 when unknown. */
};

/*
 * Look (vni, mac) up and copy the entry to @h (kind 0 when unknown): with
 * the plain lookup on the owner, the only writer, and through the sequence
 * counter on a worker.
 */
static __rte_always_inline void
fdb_get(const struct vx_inst *vx, const struct vx_reqbuf *rb, uint32_t vni,
	const struct rte_ether_addr *mac, struct vx_fdb_hit *h)
{
	const struct vx_fdb_entry *e;

	if (rb != NULL) {
		vx_fdb_read(vx->fdb, vni, mac, h);
		return;
	}
	e = vx_fdb_lookup_inline(vx->fdb, vni, mac);
	if (e == NULL) {
		h->kind = 0;
		h->is_static = 0;
		h->target = 0;
		return;
	}
	h->kind = e->kind;
	h->is_static = e->is_static;
	h->target = e->target;
}

/*
 * Learning on a worker: what vx_fdb_learn() would do, without writing the
 * FDB. A known entry with the same kind and target has its time refreshed;
 * a new or moved MAC becomes a learn request for the owner.
 *
 * @return
 *   0 if the entry exists as learned, 1 if a request was buffered, -EPERM
 *   if a static entry with another target owns the MAC (its kind is then in
 *   @p static_kind).
 */
static inline int
learn_w(struct vx_inst *vx, struct vx_reqbuf *rb, uint32_t vni, const struct rte_ether_addr *mac,
	uint8_t kind, uint16_t target, uint64_t now, uint8_t *static_kind, struct vx_stats *st)
{
	struct vx_fdb_hit h;

	vx_fdb_read(vx->fdb, vni, mac, &h);
	if (h.kind == kind && h.target == target) {
		if (!h.is_static)
			vx_fdb_touch(vx->fdb, h.slot, now, rb->w->touch_gran);
		return 0;
	}
	if (h.kind != 0 && h.is_static) {
		*static_kind = h.kind;
		return -EPERM;
	}
	vx_reqbuf_learn(rb, vni, mac, kind, target, st);
	return 1;
}

static inline bool
ip_same(const struct vx_ip *a, const struct vx_ip *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->v4 == b->v4 : memcmp(a->v6, b->v6, 16) == 0;
}

/* Decapsulate one validated VxLAN packet and deliver the inner frame. */
static __rte_always_inline void
decap_one(struct vx_inst *vx, struct vx_reqbuf *rb, struct rte_mbuf *m, const struct vx_parsed *r,
	  uint64_t now, struct decap_cache *c, struct vx_out *out, struct vx_stats *st)
{
	struct vx_fdb_hit h;
	const struct rte_ether_hdr *eth;
	const struct vx_vni *v;
	int vi, ti, rc;

	if (likely(c->vi >= 0 && c->vni == r->vni && ip_same(&c->src, &r->src))) {
		vi = c->vi;
		ti = c->ti;
		v = &vx->vnis[vi];
	} else {
		vi = vx_vni_find(vx, r->vni);
		if (unlikely(vi < 0)) {
			vx_drop(m, VX_DROP_vni_unknown, st);
			return;
		}
		v = &vx->vnis[vi];
		ti = vni_vtep_lookup(vx, v, &r->src);
		if (unlikely(ti < 0)) {
			vx_drop(m, VX_DROP_vtep_unknown, st);
			return;
		}
		c->vi = vi;
		c->vni = r->vni;
		c->ti = ti;
		c->src = r->src;
		c->learned = false;
		c->dst_valid = false;
	}
	if (r->udp_csum && !udp_csum_ok(vx, m, r, ti)) {
		vx_drop(m, VX_DROP_udp_bad_csum, st);
		return;
	}
	/* Strip the outer headers and any Ethernet padding after the datagram. */
	rte_pktmbuf_adj(m, r->outer_len);
	if (unlikely(m->pkt_len > r->inner_len))
		pkt_trim_to(m, r->inner_len);
	if (unlikely(m->data_len < sizeof(*eth))) {
		vx_drop(m, VX_DROP_outer_split, st);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_unicast_ether_addr(&eth->src_addr) ||
		     rte_is_zero_ether_addr(&eth->src_addr))) {
		vx_drop(m, VX_DROP_inner_src_invalid, st);
		return;
	}
	/* The flow's first packet in this burst learned it with the same time. */
	if (!c->learned || !rte_is_same_ether_addr(&c->learn_mac, &eth->src_addr)) {
		uint8_t static_kind = 0;

		if (rb != NULL)
			rc = learn_w(vx, rb, r->vni, &eth->src_addr, VX_FDB_REMOTE, (uint16_t)ti,
				     now, &static_kind, st);
		else if (likely(vx_fdb_refresh_inline(vx->fdb, r->vni, &eth->src_addr,
						      VX_FDB_REMOTE, (uint16_t)ti, now)))
			rc = 0;
		else
			rc = vx_fdb_learn(vx->fdb, r->vni, &eth->src_addr, VX_FDB_REMOTE,
					  (uint16_t)ti, now);
		c->learned = false;
		if (unlikely(rc != 0)) {
			if (rc == 1) {
				/* On a worker, the owner counts when it applies the request. */
				if (rb == NULL)
					st->stat[VX_STAT_fdb_learned]++;
				/* A cached miss for this MAC would now be wrong. */
				c->dst_valid = false;
			} else if (rc == -ENOSPC) {
				st->stat[VX_STAT_fdb_learn_failed]++;
			} else if (rc == -EPERM) {
				if (rb == NULL) {
					fdb_get(vx, rb, r->vni, &eth->src_addr, &h);
					static_kind = h.kind;
				}
				if (static_kind == VX_FDB_LOCAL) {
					vx_drop(m, VX_DROP_src_mac_local, st);
					return;
				}
			}
		}
		if (rc >= 0) {
			c->learned = true;
			rte_ether_addr_copy(&eth->src_addr, &c->learn_mac);
		}
	}
	st->stat[VX_STAT_decap_pkts]++;
	st->stat[VX_STAT_decap_bytes] += m->pkt_len;
	if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
		flood_decap(vx, v, m, out, st);
		return;
	}
	if (c->dst_valid && rte_is_same_ether_addr(&c->dst_mac, &eth->dst_addr)) {
		h = c->dst_h;
	} else {
		fdb_get(vx, rb, r->vni, &eth->dst_addr, &h);
		c->dst_valid = true;
		c->dst_h = h;
		rte_ether_addr_copy(&eth->dst_addr, &c->dst_mac);
	}
	if (h.kind == 0) {
		flood_decap(vx, v, m, out, st);
	} else if (h.kind == VX_FDB_LOCAL) {
		to_endpoint(vx, h.target, m, out, st);
	} else {
		vx_drop(m, VX_DROP_dst_remote, st);
	}
}

/* Replace a 16-bit word covered by a one's complement checksum (RFC 1624, eqn. 3). */
static inline uint16_t
csum_replace16(uint16_t csum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Answer an echo request to a local address in place: swap the addresses,
 * turn the request into a reply and fix the checksums. The reply goes back to
 * the MAC the request came from.
 */
static void
echo_reply(struct vx_inst *vx, struct rte_mbuf *m, const struct vx_parsed *r, struct vx_out *out,
	   struct vx_stats *st)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, r->l4_off);
	uint16_t raw, old_word, new_word;

	if (m->pkt_len > (uint32_t)r->l4_off + r->l4_len)
		pkt_trim_to(m, (uint32_t)r->l4_off + r->l4_len);
	if (r->family == AF_INET) {
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, r->l3_off);

		if (vx_csum_mbuf(m, r->l4_off, r->l4_len, &raw) != 0 || raw != 0xffff) {
			vx_drop(m, VX_DROP_icmp_bad, st);
			return;
		}
		ip->dst_addr = ip->src_addr;
		ip->src_addr = vx->p.ip4.v4;
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		old_word = *(uint16_t *)icmp;
		icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	} else {
		struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, r->l3_off);

		if (!l4_csum_ok(m, r, rte_ipv6_phdr_cksum(ip6, 0))) {
			vx_drop(m, VX_DROP_icmp_bad, st);
			return;
		}
		/* The request was for our address, so the pseudo-header sum is unchanged. */
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		memcpy(ip6->src_addr, vx->p.ip6.v6, 16);
		ip6->hop_limits = 64;
		old_word = *(uint16_t *)icmp;
		icmp->icmp_type = 129;
	}
	new_word = *(uint16_t *)icmp;
	icmp->icmp_cksum = csum_replace16(icmp->icmp_cksum, old_word, new_word);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&vx->p.mac, &eth->src_addr);
	st->stat[VX_STAT_echo_reply_tx]++;
	vx_out_push(out, vx->p.underlay_port, m, st);
}

/*
 * Classify one underlay frame and handle it. A worker (@rb set) hands ARP,
 * ND and echo to the owner.
 */
static __rte_always_inline void
underlay_one(struct vx_inst *vx, struct vx_reqbuf *rb, struct rte_mbuf *m, struct vx_parsed *r,
	     uint64_t now, struct decap_cache *c, struct vx_out *out, struct vx_stats *st)
{
	switch (vx_parse_underlay_inline(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					 m->pkt_len, &vx->pcfg, r)) {
	case VX_CLASS_VXLAN:
		decap_one(vx, rb, m, r, now, c, out, st);
		break;
	case VX_CLASS_ARP:
		if (rb != NULL)
			vx_reqbuf_pkt(rb, VX_REQ_PKT_UNDERLAY, m, 0, st);
		else
			vx_arp_input(vx, m, r->l3_off, now, out, st);
		break;
	case VX_CLASS_ND:
		if (rb != NULL)
			vx_reqbuf_pkt(rb, VX_REQ_PKT_UNDERLAY, m, 0, st);
		else
			vx_nd_input(vx, m, r, now, out, st);
		break;
	case VX_CLASS_ECHO:
		if (rb != NULL)
			vx_reqbuf_pkt(rb, VX_REQ_PKT_UNDERLAY, m, 0, st);
		else
			echo_reply(vx, m, r, out, st);
		break;
	default:
		vx_drop(m, r->drop, st);
		break;
	}
}

void
vx_underlay_owner_one(struct vx_inst *vx, struct rte_mbuf *m, uint64_t now, struct vx_out *out,
		      struct vx_stats *st)
{
	struct decap_cache c = {.vi = -1};
	struct vx_parsed r;

	underlay_one(vx, NULL, m, &r, now, &c, out, st);
}

void
vx_underlay_input_w(struct vx_inst *vx, struct vx_worker *w, struct rte_mbuf **pkts, uint16_t n,
		    uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	struct decap_cache c = {.vi = -1};
	struct vx_parsed r;
	struct vx_reqbuf rb;

	rb.w = w;
	rb.n = 0;
	rb.has_learn = false;
	st->stat[VX_STAT_underlay_rx] += n;
	for (uint16_t i = 0; i < n; i++)
		underlay_one(vx, &rb, pkts[i], &r, now, &c, out, st);
	vx_reqbuf_flush(&rb, st);
}

void
vx_underlay_input(struct vx_inst *vx, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		  struct vx_out *out, struct vx_stats *st)
{
	struct decap_cache c = {.vi = -1};
	struct vx_parsed r;

	st->stat[VX_STAT_underlay_rx] += n;
	for (uint16_t i = 0; i < n; i++)
		underlay_one(vx, NULL, pkts[i], &r, now, &c, out, st);
}

/*
 * An endpoint with any_src_mac may send from several MACs (a bridge or a
 * VM behind it): learn each as local to it, so that replies are not
 * flooded. A MAC that a static entry places elsewhere is spoofing.
 *
 * @return
 *   true to forward the frame; false when it was dropped. Either way the
 *   caller must forget cached FDB lookups, which learning may have changed.
 */
static bool
learn_local(struct vx_inst *vx, struct vx_reqbuf *rb, const struct vx_endpoint *ep, uint16_t epi,
	    struct rte_mbuf *m, uint64_t now, struct vx_stats *st)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t static_kind;
	int rc;

	if (!rte_is_unicast_ether_addr(&eth->src_addr) || rte_is_zero_ether_addr(&eth->src_addr)) {
		vx_drop(m, VX_DROP_inner_src_invalid, st);
		return false;
	}
	if (rb != NULL) {
		/* The owner counts what it learns when it applies the request. */
		if (learn_w(vx, rb, ep->vni, &eth->src_addr, VX_FDB_LOCAL, epi, now, &static_kind,
			    st) == -EPERM) {
			vx_drop(m, VX_DROP_src_mac_spoof, st);
			return false;
		}
		return true;
	}
	rc = vx_fdb_learn(vx->fdb, ep->vni, &eth->src_addr, VX_FDB_LOCAL, epi, now);
	if (rc == -EPERM) {
		vx_drop(m, VX_DROP_src_mac_spoof, st);
		return false;
	}
	if (rc == 1)
		st->stat[VX_STAT_fdb_learned]++;
	else if (rc == -ENOSPC)
		st->stat[VX_STAT_fdb_learn_failed]++;
	return true;
}

/* The body of vx_endpoint_input() and vx_endpoint_input_w(). */
static __rte_always_inline void
endpoint_burst(struct vx_inst *vx, struct vx_reqbuf *rb, uint16_t epi, struct rte_mbuf **pkts,
	       uint16_t n, uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	const struct vx_endpoint *ep = &vx->eps[epi];
	const struct vx_vni *v = &vx->vnis[ep->vni_idx];
	/* The last destination and its entry; encapsulation never changes the FDB. */
	struct vx_fdb_hit last_h = {0};
	struct rte_ether_addr last_dst;
	bool last_valid = false;

	st->stat[VX_STAT_endpoint_rx] += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vx_fdb_hit h;
		const struct rte_ether_hdr *eth;

		if (unlikely(m->data_len < sizeof(*eth))) {
			vx_drop(m, VX_DROP_inner_truncated, st);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(ep->any_src_mac)) {
			/* Learning may change what a cached lookup said. */
			last_valid = false;
			if (!learn_local(vx, rb, ep, epi, m, now, st))
				continue;
		} else if (unlikely(!rte_is_same_ether_addr(&eth->src_addr, &ep->mac))) {
			vx_drop(m, VX_DROP_src_mac_spoof, st);
			continue;
		}
		if (unlikely(rte_is_multicast_ether_addr(&eth->dst_addr))) {
			flood_encap(vx, rb, epi, v, m, inner_flow_hash(m), now, out, st);
			continue;
		}
		if (last_valid && rte_is_same_ether_addr(&last_dst, &eth->dst_addr)) {
			h = last_h;
		} else {
			fdb_get(vx, rb, v->vni, &eth->dst_addr, &h);
			last_h = h;
			rte_ether_addr_copy(&eth->dst_addr, &last_dst);
			last_valid = true;
		}
		if (likely(h.kind == VX_FDB_REMOTE)) {
			encap_one(vx, rb, m, h.target, v->vni, inner_flow_hash(m), now, out, st);
		} else if (h.kind != 0) {
			if (h.target == epi) {
				vx_drop(m, VX_DROP_hairpin, st);
				continue;
			}
			if (to_endpoint(vx, h.target, m, out, st))
				st->stat[VX_STAT_local_switched]++;
		} else {
			flood_encap(vx, rb, epi, v, m, inner_flow_hash(m), now, out, st);
		}
	}
}

void
vx_endpoint_input(struct vx_inst *vx, uint16_t epi, struct rte_mbuf **pkts, uint16_t n,
		  uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	endpoint_burst(vx, NULL, epi, pkts, n, now, out, st);
}

void
vx_endpoint_input_w(struct vx_inst *vx, struct vx_worker *w, uint16_t epi, struct rte_mbuf **pkts,
		    uint16_t n, uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	struct vx_reqbuf rb;

	rb.w = w;
	rb.n = 0;
	rb.has_learn = false;
	endpoint_burst(vx, &rb, epi, pkts, n, now, out, st);
	vx_reqbuf_flush(&rb, st);
}

void
vx_timer(struct vx_inst *vx, uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	if (now < vx->next_timer)
		return;
	vx->next_timer = now + rte_get_tsc_hz() / 100;
	vx_neigh_timer(vx, now, out, st);
	if (vx->p.fdb_age != 0)
		st->stat[VX_STAT_fdb_aged] +=
			vx_fdb_age(vx->fdb, now, vx->p.fdb_age, vx->fdb_age_budget);
}
