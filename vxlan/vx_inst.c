/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building and changing a VxLAN instance: VNIs, remote VTEPs with their
 * encapsulation templates, and local endpoints.
 *
 * Additions run on the control path before the datapath starts, or on the
 * owner lcore afterwards; deletions run on the owner lcore while no worker
 * holds a packet (see vx.h). The datapath follows stored indexes without
 * checking them: VNI member lists (vx_vni.vteps, vx_vni.eps), FDB targets,
 * VTEP next hops (vx_vtep.nh) and endpoint VNIs (vx_endpoint.vni_idx). So a
 * deletion first removes every reference to what it frees, then frees it.
 *
 * Free slots. vnis[] stays compact: deleting a VNI moves the last one into
 * the hole. vteps[], eps[] and neigh[] keep their indexes instead, because
 * FDB entries and member lists refer to them: a deleted entry leaves a hole
 * below the high-water mark (n_vteps, n_eps, n_neigh), which shrinks only
 * when its last entries are free. A VTEP or neighbour with ip.family 0 and
 * an endpoint with an empty name are free; additions reuse the first free
 * slot before growing the array.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_malloc.h>

#include "vx.h"
#include "vx_fdb_priv.h"
#include "vx_worker_priv.h"

#define VNI_HASH_SLOTS (2 * VX_MAX_VNIS)

static inline uint32_t
vni_hash(uint32_t vni)
{
	return (vni * 2654435761u) >> 19;
}

static inline bool
vtep_is_free(const struct vx_vtep *t)
{
	return t->ip.family == 0;
}

static inline bool
ep_is_free(const struct vx_endpoint *e)
{
	return e->name[0] == '\0';
}

static inline bool
neigh_is_free(const struct vx_neigh *e)
{
	return e->ip.family == 0;
}

/** @return the position of @p idx in a member list, or -1. */
static int
member_pos(const uint16_t *list, uint16_t n, uint16_t idx)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i] == idx)
			return (int)i;
	return -1;
}

/*
 * Remove the member at @p pos, keeping the order of the others (flooding
 * sends its copies in that order).
 */
static void
member_remove(uint16_t *list, uint16_t *n, unsigned int pos)
{
	memmove(&list[pos], &list[pos + 1], (*n - pos - 1u) * sizeof(list[0]));
	(*n)--;
}

/*
 * The timer runs every 10 ms; age enough slots per run (about twice
 * fdb_size in all) to pass over the whole table within an eighth of the
 * lifetime, so that entries outlive it by little.
 */
static void
age_budget_update(struct vx_inst *vx)
{
	uint32_t budget = 1024;

	if (vx->p.fdb_age != 0) {
		uint64_t runs = vx->p.fdb_age / 8 / (rte_get_tsc_hz() / 100) + 1;

		budget = (uint32_t)RTE_MAX((uint64_t)1024, 2 * (uint64_t)vx->p.fdb_size / runs + 1);
	}
	vx->fdb_age_budget = budget;
}

struct vx_inst *
vx_create(const struct vx_params *p)
{
	struct vx_inst *vx;
	int socket;

	if (p == NULL || p->pool == NULL || p->mtu < 576 || p->udp_port == 0 ||
	    (p->ip4.family != AF_INET && p->ip6.family != AF_INET6) ||
	    (p->ip4.family != 0 && p->ip4.family != AF_INET) ||
	    (p->ip6.family != 0 && p->ip6.family != AF_INET6) || p->fdb_size == 0 ||
	    rte_is_multicast_ether_addr(&p->mac) || rte_is_zero_ether_addr(&p->mac)) {
		errno = EINVAL;
		return NULL;
	}
	socket = p->socket < 0 ? SOCKET_ID_ANY : p->socket;
	vx = rte_zmalloc_socket("vx_inst", sizeof(*vx), RTE_CACHE_LINE_SIZE, socket);
	if (vx == NULL)
		goto out_nomem;
	vx->p = *p;
	vx->vnis = rte_zmalloc_socket("vx_vnis", sizeof(*vx->vnis) * VX_MAX_VNIS,
				      RTE_CACHE_LINE_SIZE, socket);
	vx->vteps = rte_zmalloc_socket("vx_vteps", sizeof(*vx->vteps) * VX_MAX_VTEPS,
				       RTE_CACHE_LINE_SIZE, socket);
	vx->eps = rte_zmalloc_socket("vx_eps", sizeof(*vx->eps) * VX_MAX_ENDPOINTS,
				     RTE_CACHE_LINE_SIZE, socket);
	vx->max_neigh = VX_MAX_NEIGH;
	vx->neigh = rte_zmalloc_socket("vx_neigh", sizeof(*vx->neigh) * vx->max_neigh,
				       RTE_CACHE_LINE_SIZE, socket);
	vx->vni_hash =
		rte_malloc_socket("vx_vni_hash", sizeof(uint16_t) * VNI_HASH_SLOTS, 0, socket);
	if (vx->vnis == NULL || vx->vteps == NULL || vx->eps == NULL || vx->neigh == NULL ||
	    vx->vni_hash == NULL)
		goto out_free;
	memset(vx->vni_hash, 0xff, sizeof(uint16_t) * VNI_HASH_SLOTS);
	vx->vni_hash_mask = VNI_HASH_SLOTS - 1;
	vx->fdb = vx_fdb_create(p->fdb_size, p->socket);
	if (vx->fdb == NULL)
		goto out_free;
	/*
	 * The timer runs every 10 ms; age enough slots per run (about twice
	 * fdb_size in all) to pass over the whole table within an eighth of
	 * the lifetime, so that entries outlive it by little.
	 */
	age_budget_update(vx);

	vx->pcfg.ip4 = p->ip4.family == AF_INET ? p->ip4.v4 : 0;
	if (p->ip6.family == AF_INET6) {
		memcpy(vx->pcfg.ip6, p->ip6.v6, 16);
		vx->pcfg.has_ip6 = true;
	}
	vx->pcfg.udp_port = p->udp_port;
	vx->pcfg.strict_reserved = p->strict_reserved;
	vx->pcfg.udp6_zero_csum_rx = p->udp6_zero_csum_rx;
	return vx;

out_free:
	vx_destroy(vx);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void
vx_destroy(struct vx_inst *vx)
{
	if (vx == NULL)
		return;
	for (unsigned int i = 0; vx->neigh != NULL && i < vx->n_neigh; i++) {
		const struct vx_neigh *e = &vx->neigh[i];

		if (neigh_is_free(e))
			continue;
		for (unsigned int j = 0; j < e->n_hold; j++)
			rte_pktmbuf_free(e->hold[j]);
	}
	vx_fdb_destroy(vx->fdb);
	rte_free(vx->vni_hash);
	rte_free(vx->neigh);
	rte_free(vx->eps);
	rte_free(vx->vteps);
	rte_free(vx->vnis);
	rte_free(vx);
}

int
vx_vni_find(const struct vx_inst *vx, uint32_t vni)
{
	uint32_t h = vni_hash(vni) & vx->vni_hash_mask;

	for (;;) {
		uint16_t idx = vx->vni_hash[h];

		if (idx == VX_NONE)
			return -ENOENT;
		if (vx->vnis[idx].vni == vni)
			return idx;
		h = (h + 1) & vx->vni_hash_mask;
	}
}

int
vx_vni_add(struct vx_inst *vx, uint32_t vni)
{
	uint32_t h;
	struct vx_vni *v;

	if (vni > VX_VNI_MAX)
		return -EINVAL;
	if (vx_vni_find(vx, vni) >= 0)
		return -EEXIST;
	if (vx->n_vnis >= VX_MAX_VNIS)
		return -ENOSPC;
	v = &vx->vnis[vx->n_vnis];
	memset(v, 0, sizeof(*v));
	v->vni = vni;
	h = vni_hash(vni) & vx->vni_hash_mask;
	while (vx->vni_hash[h] != VX_NONE)
		h = (h + 1) & vx->vni_hash_mask;
	vx->vni_hash[h] = vx->n_vnis;
	return vx->n_vnis++;
}

/** @return the hash slot that maps to VNI index @p idx, which must be in the table. */
static uint32_t
vni_hash_slot(const struct vx_inst *vx, uint16_t idx)
{
	uint32_t h = vni_hash(vx->vnis[idx].vni) & vx->vni_hash_mask;

	while (vx->vni_hash[h] != idx)
		h = (h + 1) & vx->vni_hash_mask;
	return h;
}

/*
 * Empty hash slot @p i by backward shifting, as vx_fdb.c does: an index at
 * slot j whose home is h moves back to the hole at i only if i lies
 * cyclically in [h, j), so that no probe sequence crosses a hole. The
 * table has twice as many slots as VNIs, so a free slot ends every scan.
 */
static void
vni_hash_remove(struct vx_inst *vx, uint32_t i)
{
	const uint32_t mask = vx->vni_hash_mask;
	uint32_t j = i;

	for (;;) {
		uint16_t idx;
		uint32_t h;

		j = (j + 1) & mask;
		idx = vx->vni_hash[j];
		if (idx == VX_NONE)
			break;
		h = vni_hash(vx->vnis[idx].vni) & mask;
		if (((j - h) & mask) >= ((j - i) & mask)) {
			vx->vni_hash[i] = idx;
			i = j;
		}
	}
	vx->vni_hash[i] = VX_NONE;
}

int
vx_vtep_find(const struct vx_inst *vx, const struct vx_ip *ip)
{
	if (ip == NULL)
		return -ENOENT;
	for (unsigned int i = 0; i < vx->n_vteps; i++)
		if (!vtep_is_free(&vx->vteps[i]) && vx_ip_eq(&vx->vteps[i].ip, ip))
			return (int)i;
	return -ENOENT;
}

/** @return true if some VNI has VTEP @p ti as a member. */
static bool
vtep_in_any_vni(const struct vx_inst *vx, uint16_t ti)
{
	for (unsigned int i = 0; i < vx->n_vnis; i++)
		if (member_pos(vx->vnis[i].vteps, vx->vnis[i].n_vteps, ti) >= 0)
			return true;
	return false;
}

/*
 * Free neighbour entry @p nh unless it is static or a VTEP still sends
 * through it (as its own next hop or as its gateway). Packets it holds are
 * freed: there is no output list to send them to.
 */
static void
nh_release(struct vx_inst *vx, uint16_t nh)
{
	struct vx_neigh *e;

	if (nh >= vx->n_neigh)
		return; /* VX_NONE: an off-link VTEP without a gateway. */
	e = &vx->neigh[nh];
	if (neigh_is_free(e) || e->state == VX_NEIGH_STATIC)
		return;
	for (unsigned int i = 0; i < vx->n_vteps; i++)
		if (!vtep_is_free(&vx->vteps[i]) && vx->vteps[i].nh == nh)
			return;
	for (unsigned int i = 0; i < e->n_hold; i++)
		rte_pktmbuf_free(e->hold[i]);
	memset(e, 0, sizeof(*e));
	/* Workers read the word, not the fields: keep it consistent with them. */
	vx_neigh_publish(e);
	while (vx->n_neigh > 0 && neigh_is_free(&vx->neigh[vx->n_neigh - 1]))
		vx->n_neigh--;
}

/*
 * Free VTEP @p ti, which no VNI has as a member any more and no FDB entry
 * points at, and then its next hop if nothing else needs it.
 */
static void
vtep_free(struct vx_inst *vx, uint16_t ti)
{
	uint16_t nh = vx->vteps[ti].nh;

	memset(&vx->vteps[ti], 0, sizeof(vx->vteps[ti]));
	while (vx->n_vteps > 0 && vtep_is_free(&vx->vteps[vx->n_vteps - 1]))
		vx->n_vteps--;
	nh_release(vx, nh);
}

/*
 * Fill the outer header template of a VTEP. Lengths, the UDP source port,
 * the VNI and the destination MAC are written per packet. For IPv4 the
 * header checksum is precomputed over a header whose total length is zero,
 * so that the datapath only adds the length (RFC 1624).
 */
static void
vtep_build_template(const struct vx_inst *vx, struct vx_vtep *t)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t->tmpl;
	struct rte_udp_hdr *udp;
	struct vx_hdr *vxh;

	memset(t->tmpl, 0, sizeof(t->tmpl));
	rte_ether_addr_copy(&vx->p.mac, &eth->src_addr);
	if (t->ip.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = vx->p.ip4.v4;
		ip->dst_addr = t->ip.v4;
		t->ip4_csum0 = rte_raw_cksum(ip, sizeof(*ip));
		udp = (struct rte_udp_hdr *)(ip + 1);
		t->hdr_len = VX_ENCAP4_LEN;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, vx->p.ip6.v6, 16);
		memcpy(ip6->dst_addr, t->ip.v6, 16);
		/* Both directions share it: the sum does not depend on the order. */
		t->ph6_sum = __rte_raw_cksum(ip6->src_addr, 32, rte_cpu_to_be_16(IPPROTO_UDP));
		udp = (struct rte_udp_hdr *)(ip6 + 1);
		t->hdr_len = VX_ENCAP6_LEN;
	}
	udp->dst_port = rte_cpu_to_be_16(vx->p.udp_port);
	vxh = (struct vx_hdr *)(udp + 1);
	vxh->flags = VX_FLAG_I;
}

int
vx_vtep_add(struct vx_inst *vx, uint32_t vni, const struct vx_ip *ip)
{
	const struct vx_ip *local, *gw;
	struct vx_vtep *t;
	struct vx_vni *v;
	uint8_t plen;
	int vi, ti, nh;

	vi = vx_vni_find(vx, vni);
	if (vi < 0)
		return -ENOENT;
	v = &vx->vnis[vi];
	if (ip->family == AF_INET) {
		local = &vx->p.ip4;
		gw = &vx->p.gw4;
		plen = vx->p.plen4;
	} else if (ip->family == AF_INET6) {
		local = &vx->p.ip6;
		gw = &vx->p.gw6;
		plen = vx->p.plen6;
	} else {
		return -EINVAL;
	}
	if (local->family != ip->family)
		return -EAFNOSUPPORT;
	if (vx_ip_eq(local, ip))
		return -EINVAL;

	ti = vx_vtep_find(vx, ip);
	if (ti >= 0) {
		for (unsigned int i = 0; i < v->n_vteps; i++)
			if (v->vteps[i] == ti)
				return -EEXIST;
	}
	if (v->n_vteps >= VX_VNI_MAX_VTEPS)
		return -ENOSPC;
	if (ti < 0) {
		/* The first free slot, else a new one at the end. */
		for (ti = 0; ti < vx->n_vteps; ti++)
			if (vtep_is_free(&vx->vteps[ti]))
				break;
		if (ti >= VX_MAX_VTEPS)
			return -ENOSPC;
		if (vx_ip_same_prefix(ip, local, plen))
			nh = vx_neigh_add(vx, ip);
		else if (gw->family == ip->family)
			nh = vx_neigh_add(vx, gw);
		else
			nh = VX_NONE;
		if (nh < 0)
			return nh;
		t = &vx->vteps[ti];
		memset(t, 0, sizeof(*t));
		t->ip = *ip;
		t->nh = (uint16_t)nh;
		vtep_build_template(vx, t);
		if (ti == vx->n_vteps)
			vx->n_vteps++;
	}
	v->vteps[v->n_vteps++] = (uint16_t)ti;
	return ti;
}

int
vx_endpoint_add(struct vx_inst *vx, const struct vx_endpoint *ep)
{
	struct vx_endpoint *e;
	struct vx_vni *v;
	unsigned int slot = VX_NONE;
	int vi, rc;

	vi = vx_vni_find(vx, ep->vni);
	if (vi < 0)
		return -ENOENT;
	v = &vx->vnis[vi];
	if (!rte_is_unicast_ether_addr(&ep->mac) || rte_is_zero_ether_addr(&ep->mac) ||
	    ep->name[0] == '\0')
		return -EINVAL;
	/* Names are stored cut to VX_NAME_LEN - 1 characters; compare them so. */
	for (unsigned int i = 0; i < vx->n_eps; i++) {
		if (ep_is_free(&vx->eps[i])) {
			if (slot == VX_NONE)
				slot = i;
			continue;
		}
		if (strncmp(vx->eps[i].name, ep->name, VX_NAME_LEN - 1) == 0)
			return -EEXIST;
	}
	if (vx_fdb_lookup(vx->fdb, ep->vni, &ep->mac) != NULL)
		return -EEXIST;
	if (slot == VX_NONE)
		slot = vx->n_eps;
	if (slot >= VX_MAX_ENDPOINTS || v->n_eps >= VX_VNI_MAX_EPS)
		return -ENOSPC;
	rc = vx_fdb_add_static(vx->fdb, ep->vni, &ep->mac, VX_FDB_LOCAL, (uint16_t)slot);
	if (rc < 0)
		return rc;
	e = &vx->eps[slot];
	*e = *ep;
	e->name[VX_NAME_LEN - 1] = '\0';
	e->vni_idx = (uint16_t)vi;
	v->eps[v->n_eps++] = (uint16_t)slot;
	if (slot == vx->n_eps)
		vx->n_eps++;
	return (int)slot;
}

int
vx_endpoint_find(const struct vx_inst *vx, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return -ENOENT;
	for (unsigned int i = 0; i < vx->n_eps; i++)
		if (!ep_is_free(&vx->eps[i]) && strncmp(vx->eps[i].name, name, VX_NAME_LEN) == 0)
			return (int)i;
	return -ENOENT;
}

int
vx_endpoint_del(struct vx_inst *vx, uint16_t ep)
{
	struct vx_endpoint *e;
	struct vx_vni *v;
	int pos;

	if (ep >= vx->n_eps || ep_is_free(&vx->eps[ep]))
		return -ENOENT;
	e = &vx->eps[ep];
	v = &vx->vnis[e->vni_idx];
	pos = member_pos(v->eps, v->n_eps, ep);
	if (pos >= 0)
		member_remove(v->eps, &v->n_eps, (unsigned int)pos);
	/* Its static entry and whatever was learned behind it. */
	vx_fdb_flush_target(vx->fdb, e->vni, VX_FDB_LOCAL, ep);
	memset(e, 0, sizeof(*e));
	while (vx->n_eps > 0 && ep_is_free(&vx->eps[vx->n_eps - 1]))
		vx->n_eps--;
	return 0;
}

int
vx_vtep_del(struct vx_inst *vx, uint32_t vni, const struct vx_ip *ip)
{
	struct vx_vni *v;
	int vi, ti, pos;

	vi = vx_vni_find(vx, vni);
	ti = vx_vtep_find(vx, ip);
	if (vi < 0 || ti < 0)
		return -ENOENT;
	v = &vx->vnis[vi];
	pos = member_pos(v->vteps, v->n_vteps, (uint16_t)ti);
	if (pos < 0)
		return -ENOENT;
	member_remove(v->vteps, &v->n_vteps, (unsigned int)pos);
	if (vtep_in_any_vni(vx, (uint16_t)ti)) {
		vx_fdb_flush_target(vx->fdb, vni, VX_FDB_REMOTE, (uint16_t)ti);
		return 0;
	}
	/*
	 * Entries of other VNIs cannot point at a VTEP that is not their
	 * member, but the scan costs the same: make sure nothing is left
	 * that a later VTEP in this slot would inherit.
	 */
	vx_fdb_flush_target(vx->fdb, VX_VNI_ANY, VX_FDB_REMOTE, (uint16_t)ti);
	vtep_free(vx, (uint16_t)ti);
	return 0;
}

int
vx_vni_del(struct vx_inst *vx, uint32_t vni)
{
	uint16_t vteps[VX_VNI_MAX_VTEPS];
	uint16_t n_vteps, last;
	struct vx_vni *v;
	int vi;

	vi = vx_vni_find(vx, vni);
	if (vi < 0)
		return -ENOENT;
	v = &vx->vnis[vi];
	if (v->n_eps != 0)
		return -EBUSY;

	/*
	 * First every FDB entry of the VNI: afterwards nothing points at its
	 * VTEPs from this VNI, and entries of other VNIs only point at their
	 * own members, so a VTEP left in no VNI can be freed.
	 */
	vx_fdb_flush(vx->fdb, vni, true);
	n_vteps = v->n_vteps;
	memcpy(vteps, v->vteps, n_vteps * sizeof(vteps[0]));
	v->n_vteps = 0;
	for (unsigned int i = 0; i < n_vteps; i++)
		if (!vtep_in_any_vni(vx, vteps[i]))
			vtep_free(vx, vteps[i]);

	/* Then the VNI itself; the last one moves into its place. */
	vni_hash_remove(vx, vni_hash_slot(vx, (uint16_t)vi));
	last = (uint16_t)(vx->n_vnis - 1);
	if (vi != last) {
		struct vx_vni *moved = &vx->vnis[last];

		vx->vni_hash[vni_hash_slot(vx, last)] = (uint16_t)vi;
		for (unsigned int i = 0; i < moved->n_eps; i++)
			vx->eps[moved->eps[i]].vni_idx = (uint16_t)vi;
		*v = *moved;
	}
	memset(&vx->vnis[last], 0, sizeof(vx->vnis[last]));
	vx->n_vnis = last;
	return 0;
}

int
vx_fdb_static_remote(struct vx_inst *vx, uint32_t vni, const struct rte_ether_addr *mac,
		     const struct vx_ip *vtep)
{
	const struct vx_vni *v;
	int vi, ti;

	vi = vx_vni_find(vx, vni);
	ti = vx_vtep_find(vx, vtep);
	if (vi < 0 || ti < 0)
		return -ENOENT;
	v = &vx->vnis[vi];
	for (unsigned int i = 0; i < v->n_vteps; i++)
		if (v->vteps[i] == ti)
			return vx_fdb_add_static(vx->fdb, vni, mac, VX_FDB_REMOTE, (uint16_t)ti);
	return -ENOENT;
}

void
vx_underlay_get(const struct vx_inst *vx, struct vx_underlay *u)
{
	const struct vx_params *p = &vx->p;

	memset(u, 0, sizeof(*u));
	u->mac = p->mac;
	u->ip4 = p->ip4;
	u->plen4 = p->plen4;
	u->ip6 = p->ip6;
	u->plen6 = p->plen6;
	u->gw4 = p->gw4;
	u->gw6 = p->gw6;
	u->mtu = p->mtu;
	u->udp_port = p->udp_port;
	u->strict_reserved = p->strict_reserved;
	u->udp6_zero_csum_rx = p->udp6_zero_csum_rx;
	u->udp6_zero_csum_tx = p->udp6_zero_csum_tx;
}

static bool
underlay_ok(const struct vx_underlay *u)
{
	return (u->ip4.family == AF_INET || u->ip6.family == AF_INET6) &&
	       (u->ip4.family == 0 || (u->ip4.family == AF_INET && u->plen4 <= 32)) &&
	       (u->ip6.family == 0 || (u->ip6.family == AF_INET6 && u->plen6 <= 128)) &&
	       (u->gw4.family == 0 || (u->gw4.family == AF_INET && u->ip4.family == AF_INET)) &&
	       (u->gw6.family == 0 || (u->gw6.family == AF_INET6 && u->ip6.family == AF_INET6)) &&
	       u->mtu >= 576 && u->udp_port != 0 && !rte_is_multicast_ether_addr(&u->mac) &&
	       !rte_is_zero_ether_addr(&u->mac);
}

/* The next hop VTEP @p ip needs under @p u: itself, the gateway, or none. */
static const struct vx_ip *
underlay_next_hop(const struct vx_underlay *u, const struct vx_ip *ip)
{
	if (ip->family == AF_INET)
		return vx_ip_same_prefix(ip, &u->ip4, u->plen4) ? ip
		       : u->gw4.family == AF_INET		? &u->gw4
								: NULL;
	return vx_ip_same_prefix(ip, &u->ip6, u->plen6) ? ip
	       : u->gw6.family == AF_INET6		? &u->gw6
							: NULL;
}

int
vx_underlay_set(struct vx_inst *vx, const struct vx_underlay *u)
{
	uint16_t old_nh[VX_MAX_VTEPS];
	unsigned int fresh = 0, room = (unsigned int)(vx->max_neigh - vx->n_neigh);

	if (u == NULL || !underlay_ok(u))
		return -EINVAL;
	/* Check everything first: nothing may change on error. */
	for (uint16_t t = 0; t < vx->n_vteps; t++) {
		const struct vx_ip *ip = &vx->vteps[t].ip;
		const struct vx_ip *local = ip->family == AF_INET ? &u->ip4 : &u->ip6;

		if (vtep_is_free(&vx->vteps[t]))
			continue;
		if (local->family != ip->family)
			return -EAFNOSUPPORT;
		if (vx_ip_eq(local, ip))
			return -EINVAL;
	}
	/*
	 * Count the next hops the new settings need that have no entry yet
	 * (each once), against the free entries: the old ones are freed only
	 * after the new ones exist.
	 */
	for (uint16_t i = 0; i < vx->n_neigh; i++)
		room += neigh_is_free(&vx->neigh[i]);
	for (uint16_t t = 0; t < vx->n_vteps; t++) {
		const struct vx_ip *nh_ip;
		bool known = false;

		if (vtep_is_free(&vx->vteps[t]))
			continue;
		nh_ip = underlay_next_hop(u, &vx->vteps[t].ip);
		if (nh_ip == NULL)
			continue;
		for (uint16_t i = 0; i < vx->n_neigh && !known; i++)
			known = !neigh_is_free(&vx->neigh[i]) && vx_ip_eq(&vx->neigh[i].ip, nh_ip);
		for (uint16_t k = 0; k < t && !known; k++) {
			const struct vx_ip *o;

			if (vtep_is_free(&vx->vteps[k]))
				continue;
			o = underlay_next_hop(u, &vx->vteps[k].ip);
			known = o != NULL && vx_ip_eq(o, nh_ip);
		}
		fresh += !known;
	}
	if (fresh > room)
		return -ENOSPC;

	/* Neighbours learn a new MAC from our next probes. */
	if (!rte_is_same_ether_addr(&vx->p.mac, &u->mac))
		vx_neigh_reprobe(vx);
	vx->p.mac = u->mac;
	vx->p.ip4 = u->ip4;
	vx->p.plen4 = u->plen4;
	vx->p.ip6 = u->ip6;
	vx->p.plen6 = u->plen6;
	vx->p.gw4 = u->gw4;
	vx->p.gw6 = u->gw6;
	vx->p.mtu = u->mtu;
	vx->p.udp_port = u->udp_port;
	vx->p.strict_reserved = u->strict_reserved;
	vx->p.udp6_zero_csum_rx = u->udp6_zero_csum_rx;
	vx->p.udp6_zero_csum_tx = u->udp6_zero_csum_tx;
	memset(&vx->pcfg, 0, sizeof(vx->pcfg));
	vx->pcfg.ip4 = u->ip4.family == AF_INET ? u->ip4.v4 : 0;
	if (u->ip6.family == AF_INET6) {
		memcpy(vx->pcfg.ip6, u->ip6.v6, 16);
		vx->pcfg.has_ip6 = true;
	}
	vx->pcfg.udp_port = u->udp_port;
	vx->pcfg.strict_reserved = u->strict_reserved;
	vx->pcfg.udp6_zero_csum_rx = u->udp6_zero_csum_rx;

	/* New next hops and templates, then free the next hops left unused. */
	for (uint16_t t = 0; t < vx->n_vteps; t++) {
		struct vx_vtep *vt = &vx->vteps[t];
		const struct vx_ip *nh_ip;
		int nh;

		old_nh[t] = vt->nh;
		if (vtep_is_free(vt))
			continue;
		nh_ip = underlay_next_hop(u, &vt->ip);
		nh = nh_ip != NULL ? vx_neigh_add(vx, nh_ip) : VX_NONE;
		/* Checked above: there is room. */
		vt->nh = nh < 0 ? VX_NONE : (uint16_t)nh;
		vtep_build_template(vx, vt);
	}
	for (uint16_t t = 0; t < vx->n_vteps; t++)
		if (!vtep_is_free(&vx->vteps[t]) && old_nh[t] != vx->vteps[t].nh)
			nh_release(vx, old_nh[t]);
	return 0;
}

struct vx_fdb *
vx_fdb_replace(struct vx_inst *vx, struct vx_fdb *fdb)
{
	struct vx_fdb *old = vx->fdb;
	int rc = vx_fdb_copy(fdb, old);

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	/* Readers on other lcores load the pointer afresh for every lookup. */
	__atomic_store_n(&vx->fdb, fdb, __ATOMIC_RELEASE);
	vx->p.fdb_size = fdb->max_entries;
	age_budget_update(vx);
	return old;
}

void
vx_fdb_age_set(struct vx_inst *vx, uint64_t ticks)
{
	vx->p.fdb_age = ticks;
	age_budget_update(vx);
}
