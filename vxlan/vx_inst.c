/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building a VxLAN instance on the control path: VNIs, remote VTEPs with
 * their encapsulation templates, and local endpoints.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_malloc.h>

#include "vx.h"

#define VNI_HASH_SLOTS (2 * VX_MAX_VNIS)

static inline uint32_t
vni_hash(uint32_t vni)
{
	return (vni * 2654435761u) >> 19;
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
	vx->fdb_age_budget = 1024;
	if (p->fdb_age != 0) {
		uint64_t runs = p->fdb_age / 8 / (rte_get_tsc_hz() / 100) + 1;

		vx->fdb_age_budget =
			(uint32_t)RTE_MAX((uint64_t)1024, 2 * (uint64_t)p->fdb_size / runs + 1);
	}

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
	for (unsigned int i = 0; vx->neigh != NULL && i < vx->n_neigh; i++)
		for (unsigned int j = 0; j < vx->neigh[i].n_hold; j++)
			rte_pktmbuf_free(vx->neigh[i].hold[j]);
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

int
vx_vtep_find(const struct vx_inst *vx, const struct vx_ip *ip)
{
	for (unsigned int i = 0; i < vx->n_vteps; i++)
		if (vx_ip_eq(&vx->vteps[i].ip, ip))
			return (int)i;
	return -ENOENT;
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
		if (vx->n_vteps >= VX_MAX_VTEPS)
			return -ENOSPC;
		if (vx_ip_same_prefix(ip, local, plen))
			nh = vx_neigh_add(vx, ip);
		else if (gw->family == ip->family)
			nh = vx_neigh_add(vx, gw);
		else
			nh = VX_NONE;
		if (nh < 0)
			return nh;
		ti = vx->n_vteps;
		t = &vx->vteps[ti];
		memset(t, 0, sizeof(*t));
		t->ip = *ip;
		t->nh = (uint16_t)nh;
		vtep_build_template(vx, t);
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
	int vi, rc;

	vi = vx_vni_find(vx, ep->vni);
	if (vi < 0)
		return -ENOENT;
	v = &vx->vnis[vi];
	if (!rte_is_unicast_ether_addr(&ep->mac) || rte_is_zero_ether_addr(&ep->mac) ||
	    ep->name[0] == '\0')
		return -EINVAL;
	for (unsigned int i = 0; i < vx->n_eps; i++)
		if (strcmp(vx->eps[i].name, ep->name) == 0)
			return -EEXIST;
	if (vx_fdb_lookup(vx->fdb, ep->vni, &ep->mac) != NULL)
		return -EEXIST;
	if (vx->n_eps >= VX_MAX_ENDPOINTS || v->n_eps >= VX_VNI_MAX_EPS)
		return -ENOSPC;
	rc = vx_fdb_add_static(vx->fdb, ep->vni, &ep->mac, VX_FDB_LOCAL, vx->n_eps);
	if (rc < 0)
		return rc;
	e = &vx->eps[vx->n_eps];
	*e = *ep;
	e->name[VX_NAME_LEN - 1] = '\0';
	e->vni_idx = (uint16_t)vi;
	v->eps[v->n_eps++] = vx->n_eps;
	return vx->n_eps++;
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
