/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Underlay neighbour resolution: ARP (RFC 826) for IPv4 next hops and
 * neighbour discovery (RFC 4861) for IPv6 next hops, answering requests for
 * the local VTEP addresses, and the per-entry state machine.
 *
 * State machine of an entry (all times from struct vx_neigh_params):
 *
 * @verbatim
 *  NONE --first packet or timer--> INCOMPLETE (probe, hold packets)
 *  INCOMPLETE --answer--> REACHABLE (held packets sent)
 *  INCOMPLETE --max_probes unanswered--> FAILED (held packets dropped)
 *  REACHABLE --reachable elapsed--> STALE (MAC still used, probe sent)
 *  STALE --answer--> REACHABLE
 *  STALE --max_probes unanswered--> FAILED
 *  FAILED --hold-down elapsed--> NONE
 *  STATIC: never changes.
 * @endverbatim
 *
 * Probes go out every `retrans` ticks. An entry without a MAC is probed by
 * broadcast (ARP) or on the solicited-node multicast address (ND); a STALE
 * entry is probed by unicast to the MAC it has. Any valid ARP packet or
 * NS/NA that names an entry's address with a link-layer address confirms
 * the entry (REACHABLE) and updates its MAC. This is simpler than the
 * REACHABLE/STALE distinction of RFC 4861, section 7.2.5, and errs on the
 * side of believing the neighbour, which is what a VTEP on a shared
 * underlay segment needs.
 *
 * Everything here runs on the lcore that owns the instance, which is also
 * where vx_neigh_add(), vx_neigh_add_static() and vx_neigh_del_static() run
 * once the datapath has started (before, the control path calls them).
 * Worker lcores read an entry's MAC and state only through vx_neigh.pub, so
 * every change of either below is followed by vx_neigh_publish().
 *
 * Entries are freed when nothing needs them any more (see
 * vx_neigh_del_static() and the VTEP deletions of vx_inst.c): a free entry
 * has ip.family 0, may lie below n_neigh, and is skipped by every walk and
 * reused by vx_neigh_add(). No VTEP points at a free entry.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "vx.h"
#include "vx_worker_priv.h"

/** ICMPv6 types of neighbour discovery. */
#define ND_NS 135
#define ND_NA 136
/** Neighbour discovery option types. */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
/** Flags of a neighbour advertisement, in the first byte of the flags word. */
#define ND_NA_FLAG_ROUTER    0x80u
#define ND_NA_FLAG_SOLICITED 0x40u
#define ND_NA_FLAG_OVERRIDE  0x20u
/** The hop limit every ND packet is sent and must be received with. */
#define ND_HOP_LIMIT 255

/** A neighbour solicitation or advertisement without options. */
struct nd_msg {
	uint8_t type;	    /**< ND_NS or ND_NA. */
	uint8_t code;	    /**< Zero. */
	rte_be16_t cksum;   /**< ICMPv6 checksum. */
	uint8_t flags;	    /**< NA flags (R, S, O); zero in an NS. */
	uint8_t rsvd[3];    /**< Reserved, zero. */
	uint8_t target[16]; /**< Target address. */
} __rte_packed __rte_aligned(2);

/** A source or target link-layer address option for Ethernet. */
struct nd_opt_lla {
	uint8_t type;		   /**< ND_OPT_SLLA or ND_OPT_TLLA. */
	uint8_t len;		   /**< Length in units of 8 bytes: 1. */
	struct rte_ether_addr mac; /**< The address. */
} __rte_packed __rte_aligned(2);

/** Length of the NS and NA frames this file builds. */
#define ND_FRAME_LEN                                                                          \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + sizeof(struct nd_msg) + \
	 sizeof(struct nd_opt_lla))
/** Length of the ARP frames this file builds. */
#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))

static const uint8_t ip6_unspecified[16];
/** The first 13 bytes of a solicited-node multicast address, ff02::1:ff00:0/104. */
static const uint8_t sn_prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

const char *
vx_neigh_state_name(uint8_t state)
{
	static const char *const names[] = {
		[VX_NEIGH_NONE] = "none",	    [VX_NEIGH_INCOMPLETE] = "incomplete",
		[VX_NEIGH_REACHABLE] = "reachable", [VX_NEIGH_STALE] = "stale",
		[VX_NEIGH_FAILED] = "failed",	    [VX_NEIGH_STATIC] = "static",
	};

	if (state >= RTE_DIM(names))
		return "unknown";
	return names[state];
}

/** @return true for a unicast address a neighbour can have. */
static bool
neigh_ip_ok(const struct vx_ip *ip)
{
	if (ip->family == AF_INET)
		return ip->v4 != 0 && ip->v4 != UINT32_MAX &&
		       (rte_be_to_cpu_32(ip->v4) >> 28) != 0xe; /* 224.0.0.0/4 */
	if (ip->family == AF_INET6)
		return memcmp(ip->v6, ip6_unspecified, 16) != 0 && ip->v6[0] != 0xff;
	return false;
}

/** @return true if entry @p e is free. */
static inline bool
neigh_is_free(const struct vx_neigh *e)
{
	return e->ip.family == 0;
}

int
vx_neigh_add(struct vx_inst *vx, const struct vx_ip *ip)
{
	unsigned int i, slot = VX_NONE;
	struct vx_neigh *e;

	if (ip == NULL || !neigh_ip_ok(ip))
		return -EINVAL;
	for (i = 0; i < vx->n_neigh; i++) {
		if (neigh_is_free(&vx->neigh[i])) {
			if (slot == VX_NONE)
				slot = i;
			continue;
		}
		if (vx_ip_eq(&vx->neigh[i].ip, ip))
			return (int)i;
	}
	/* Reuse the first free entry; grow only when there is none. */
	if (slot == VX_NONE) {
		if (vx->n_neigh >= vx->max_neigh)
			return -ENOSPC;
		slot = vx->n_neigh++;
	}
	e = &vx->neigh[slot];
	memset(e, 0, sizeof(*e));
	e->ip = *ip;
	e->state = VX_NEIGH_NONE;
	vx_neigh_publish(e);
	e->deadline = 0; /* The first timer run starts resolution. */
	return (int)slot;
}

int
vx_neigh_add_static(struct vx_inst *vx, const struct vx_ip *ip, const struct rte_ether_addr *mac)
{
	struct vx_neigh *e;
	unsigned int i;
	int idx;

	if (mac == NULL || !rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return -EINVAL;
	idx = vx_neigh_add(vx, ip);
	if (idx < 0)
		return idx;
	e = &vx->neigh[idx];
	/*
	 * This runs on the control path with no output list, so packets held
	 * (only possible if the datapath already used the entry) are freed.
	 */
	for (i = 0; i < e->n_hold; i++)
		rte_pktmbuf_free(e->hold[i]);
	e->n_hold = 0;
	e->mac = *mac;
	e->state = VX_NEIGH_STATIC;
	vx_neigh_publish(e);
	e->probes = 0;
	e->deadline = UINT64_MAX;
	return 0;
}

/** @return the entry for @p ip, or NULL. */
static struct vx_neigh *
neigh_find(struct vx_inst *vx, const struct vx_ip *ip)
{
	unsigned int i;

	for (i = 0; i < vx->n_neigh; i++)
		if (!neigh_is_free(&vx->neigh[i]) && vx_ip_eq(&vx->neigh[i].ip, ip))
			return &vx->neigh[i];
	return NULL;
}

/** @return true if a VTEP sends through entry @p idx (its own or a gateway's). */
static bool
neigh_used_by_vtep(const struct vx_inst *vx, uint16_t idx)
{
	unsigned int i;

	for (i = 0; i < vx->n_vteps; i++)
		if (vx->vteps[i].ip.family != 0 && vx->vteps[i].nh == idx)
			return true;
	return false;
}

/*
 * Free entry @p e, which no VTEP uses: drop what it holds (there is no
 * output list here) and publish the cleared word, so that the table only
 * ever shows a consistent MAC and state.
 */
static void
neigh_free(struct vx_inst *vx, struct vx_neigh *e)
{
	unsigned int i;

	for (i = 0; i < e->n_hold; i++)
		rte_pktmbuf_free(e->hold[i]);
	memset(e, 0, sizeof(*e));
	vx_neigh_publish(e);
	while (vx->n_neigh > 0 && neigh_is_free(&vx->neigh[vx->n_neigh - 1]))
		vx->n_neigh--;
}

int
vx_neigh_del_static(struct vx_inst *vx, const struct vx_ip *ip)
{
	struct vx_neigh *e;

	if (ip == NULL)
		return -ENOENT;
	e = neigh_find(vx, ip);
	if (e == NULL || e->state != VX_NEIGH_STATIC)
		return -ENOENT;
	if (!neigh_used_by_vtep(vx, (uint16_t)(e - vx->neigh))) {
		neigh_free(vx, e);
		return 0;
	}
	/*
	 * Still a next hop: forget the pinned MAC and resolve it again, on
	 * the next timer run or the next packet, whichever comes first. A
	 * static entry holds no packets.
	 */
	memset(&e->mac, 0, sizeof(e->mac));
	e->state = VX_NEIGH_NONE;
	vx_neigh_publish(e);
	e->probes = 0;
	e->updated = 0;
	e->deadline = 0;
	return 0;
}

static inline bool
neigh_has_mac(const struct vx_neigh *e)
{
	return e->state == VX_NEIGH_REACHABLE || e->state == VX_NEIGH_STALE ||
	       e->state == VX_NEIGH_STATIC;
}

static inline uint8_t
neigh_max_probes(const struct vx_inst *vx)
{
	return vx->p.neigh.max_probes != 0 ? vx->p.neigh.max_probes : 1;
}

/** Set the destination MAC of a frame and queue it on the underlay. */
static inline void
neigh_send(struct vx_inst *vx, const struct vx_neigh *e, struct rte_mbuf *m, struct vx_out *out,
	   struct vx_stats *st)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(&e->mac, &eth->dst_addr);
	vx_out_push(out, vx->p.underlay_port, m, st);
}

/**
 * Allocate a frame of @p len bytes for a generated packet.
 *
 * @return
 *   The mbuf, or NULL with no_mbuf counted.
 */
static struct rte_mbuf *
neigh_alloc(struct vx_inst *vx, uint16_t len, struct vx_stats *st)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vx->p.pool);

	if (m == NULL) {
		st->drop[VX_DROP_no_mbuf]++;
		return NULL;
	}
	if (rte_pktmbuf_append(m, len) == NULL) {
		vx_drop(m, VX_DROP_no_mbuf, st);
		return NULL;
	}
	return m;
}

/**
 * The ICMPv6 checksum sum of a message: pseudo-header (RFC 8200, section
 * 8.1) with the upper-layer length @p len, then the message.
 *
 * @return
 *   The folded, non-complemented sum; 0xffff for a message whose checksum
 *   field is right.
 */
static uint16_t
icmp6_sum(const struct rte_ipv6_hdr *ip6, const void *l4, uint32_t len)
{
	const rte_be32_t ph[2] = {rte_cpu_to_be_32(len), rte_cpu_to_be_32(IPPROTO_ICMPV6)};
	uint32_t sum;

	sum = __rte_raw_cksum(ip6->src_addr, sizeof(ip6->src_addr), 0);
	sum = __rte_raw_cksum(ip6->dst_addr, sizeof(ip6->dst_addr), sum);
	sum = __rte_raw_cksum(ph, sizeof(ph), sum);
	sum = __rte_raw_cksum(l4, len, sum);
	return __rte_raw_cksum_reduce(sum);
}

/** Send an ARP request for @p e, to @p dst or broadcast. */
static void
arp_send_request(struct vx_inst *vx, const struct vx_neigh *e, const struct rte_ether_addr *dst,
		 struct vx_out *out, struct vx_stats *st)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	if (vx->p.ip4.family != AF_INET)
		return;
	m = neigh_alloc(vx, ARP_FRAME_LEN, st);
	if (m == NULL)
		return;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (dst != NULL)
		rte_ether_addr_copy(dst, &eth->dst_addr);
	else
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&vx->p.mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&vx->p.mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = vx->p.ip4.v4;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = e->ip.v4;
	vx_out_push(out, vx->p.underlay_port, m, st);
	st->stat[VX_STAT_arp_request_tx]++;
}

/**
 * Write an NS or NA frame of ND_FRAME_LEN bytes at @p p: Ethernet to
 * @p dst_mac, IPv6 from @p src to @p dst with hop limit 255, the message
 * with @p target and one link-layer address option carrying our MAC.
 */
static void
nd_build(const struct vx_inst *vx, uint8_t *p, const struct rte_ether_addr *dst_mac,
	 const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t flags, const uint8_t *target)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	struct nd_msg *nd = (struct nd_msg *)(ip6 + 1);
	struct nd_opt_lla *opt = (struct nd_opt_lla *)(nd + 1);
	const uint16_t len = sizeof(*nd) + sizeof(*opt);

	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&vx->p.mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(len);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = ND_HOP_LIMIT;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->flags = flags;
	memcpy(nd->target, target, 16);
	opt->type = type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	opt->len = 1;
	rte_ether_addr_copy(&vx->p.mac, &opt->mac);
	nd->cksum = (rte_be16_t)~icmp6_sum(ip6, nd, len);
}

/**
 * Send a neighbour solicitation for @p e: to @p dst (unicast to the
 * neighbour's own address), or to its solicited-node multicast address.
 */
static void
nd_send_solicit(struct vx_inst *vx, const struct vx_neigh *e, const struct rte_ether_addr *dst,
		struct vx_out *out, struct vx_stats *st)
{
	uint8_t dst_ip[16];
	struct rte_ether_addr dst_mac;
	struct rte_mbuf *m;

	if (vx->p.ip6.family != AF_INET6)
		return;
	m = neigh_alloc(vx, ND_FRAME_LEN, st);
	if (m == NULL)
		return;
	if (dst != NULL) {
		memcpy(dst_ip, e->ip.v6, 16);
		dst_mac = *dst;
	} else {
		/* ff02::1:ffXX:XXXX and 33:33:ff:XX:XX:XX (RFC 4291, RFC 2464). */
		memcpy(dst_ip, sn_prefix, sizeof(sn_prefix));
		memcpy(dst_ip + 13, e->ip.v6 + 13, 3);
		dst_mac.addr_bytes[0] = 0x33;
		dst_mac.addr_bytes[1] = 0x33;
		memcpy(&dst_mac.addr_bytes[2], dst_ip + 12, 4);
	}
	nd_build(vx, rte_pktmbuf_mtod(m, uint8_t *), &dst_mac, vx->p.ip6.v6, dst_ip, ND_NS, 0,
		 e->ip.v6);
	vx_out_push(out, vx->p.underlay_port, m, st);
	st->stat[VX_STAT_nd_solicit_tx]++;
}

/**
 * Send one probe for @p e and arm the retransmission timer. An entry with a
 * MAC (STALE) is probed by unicast, others by broadcast or multicast. A
 * probe that cannot be allocated still counts as sent, so that an entry
 * cannot stay INCOMPLETE forever while the pool is empty.
 */
static void
neigh_probe(struct vx_inst *vx, struct vx_neigh *e, uint64_t now, struct vx_out *out,
	    struct vx_stats *st)
{
	const struct rte_ether_addr *dst = neigh_has_mac(e) ? &e->mac : NULL;

	e->probes++;
	e->deadline = now + vx->p.neigh.retrans;
	if (e->ip.family == AF_INET)
		arp_send_request(vx, e, dst, out, st);
	else
		nd_send_solicit(vx, e, dst, out, st);
}

/** Start resolving an entry that has no MAC. */
static void
neigh_start(struct vx_inst *vx, struct vx_neigh *e, uint64_t now, struct vx_out *out,
	    struct vx_stats *st)
{
	e->state = VX_NEIGH_INCOMPLETE;
	vx_neigh_publish(e);
	e->probes = 0;
	neigh_probe(vx, e, now, out, st);
}

/** Give up: drop held packets and start the hold-down. */
static void
neigh_fail(struct vx_inst *vx, struct vx_neigh *e, uint64_t now, struct vx_stats *st)
{
	unsigned int i;

	for (i = 0; i < e->n_hold; i++)
		vx_drop(e->hold[i], VX_DROP_neigh_failed, st);
	e->n_hold = 0;
	e->state = VX_NEIGH_FAILED;
	vx_neigh_publish(e);
	e->probes = 0;
	e->deadline = now + vx->p.neigh.failed;
}

/**
 * The neighbour answered or announced itself with @p mac: make the entry
 * REACHABLE and send the packets it held.
 */
static void
neigh_confirm(struct vx_inst *vx, struct vx_neigh *e, const struct rte_ether_addr *mac,
	      uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	unsigned int i;

	if (!neigh_has_mac(e))
		st->stat[VX_STAT_neigh_resolved]++;
	e->mac = *mac;
	e->state = VX_NEIGH_REACHABLE;
	vx_neigh_publish(e);
	e->probes = 0;
	e->updated = now;
	e->deadline = now + vx->p.neigh.reachable;
	for (i = 0; i < e->n_hold; i++)
		neigh_send(vx, e, e->hold[i], out, st);
	e->n_hold = 0;
}

void
vx_neigh_output(struct vx_inst *vx, uint16_t nh, struct rte_mbuf *m, uint64_t now,
		struct vx_out *out, struct vx_stats *st)
{
	struct vx_neigh *e;

	if (unlikely(nh >= vx->n_neigh)) {
		vx_drop(m, VX_DROP_no_route, st);
		return;
	}
	e = &vx->neigh[nh];
	if (unlikely(neigh_is_free(e))) {
		/* No VTEP uses a free entry; nothing may be sent through it. */
		vx_drop(m, VX_DROP_no_route, st);
		return;
	}
	switch (e->state) {
	case VX_NEIGH_REACHABLE:
	case VX_NEIGH_STALE:
	case VX_NEIGH_STATIC:
		neigh_send(vx, e, m, out, st);
		return;
	case VX_NEIGH_FAILED:
		if (now < e->deadline) {
			vx_drop(m, VX_DROP_neigh_failed, st);
			return;
		}
		/* The hold-down is over: try again, as from NONE. */
		neigh_start(vx, e, now, out, st);
		break;
	case VX_NEIGH_NONE:
		neigh_start(vx, e, now, out, st);
		break;
	default:
		break;
	}
	/* INCOMPLETE. */
	if (e->n_hold >= VX_NEIGH_HOLD) {
		vx_drop(m, VX_DROP_neigh_queue_full, st);
		return;
	}
	e->hold[e->n_hold++] = m;
	st->stat[VX_STAT_neigh_held]++;
}

void
vx_neigh_timer(struct vx_inst *vx, uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	unsigned int i;

	for (i = 0; i < vx->n_neigh; i++) {
		struct vx_neigh *e = &vx->neigh[i];

		if (now < e->deadline || neigh_is_free(e))
			continue;
		switch (e->state) {
		case VX_NEIGH_NONE:
			neigh_start(vx, e, now, out, st);
			break;
		case VX_NEIGH_REACHABLE:
			e->state = VX_NEIGH_STALE;
			vx_neigh_publish(e);
			e->probes = 0;
			neigh_probe(vx, e, now, out, st);
			break;
		case VX_NEIGH_INCOMPLETE:
		case VX_NEIGH_STALE:
			if (e->probes >= neigh_max_probes(vx))
				neigh_fail(vx, e, now, st);
			else
				neigh_probe(vx, e, now, out, st);
			break;
		case VX_NEIGH_FAILED:
			/* Resolution restarts on the next packet or timer run. */
			e->state = VX_NEIGH_NONE;
			vx_neigh_publish(e);
			e->deadline = now;
			break;
		default:
			e->deadline = UINT64_MAX;
			break;
		}
	}
}

/**
 * Update the entry of @p ip, if there is one and it is not static, from a
 * packet that shows the neighbour owns @p mac.
 *
 * @return
 *   true if an entry was updated.
 */
static bool
neigh_learn(struct vx_inst *vx, const struct vx_ip *ip, const struct rte_ether_addr *mac,
	    uint64_t now, struct vx_out *out, struct vx_stats *st)
{
	struct vx_neigh *e = neigh_find(vx, ip);

	if (e == NULL || e->state == VX_NEIGH_STATIC)
		return false;
	neigh_confirm(vx, e, mac, now, out, st);
	return true;
}

/**
 * Make sure the first @p len bytes of @p m are contiguous.
 *
 * @return
 *   0, or -1 if the frame is shorter or cannot be linearized.
 */
static int
neigh_contig(struct rte_mbuf *m, uint32_t len)
{
	if (rte_pktmbuf_pkt_len(m) < len)
		return -1;
	if (rte_pktmbuf_data_len(m) >= len)
		return 0;
	return rte_pktmbuf_linearize(m) == 0 ? 0 : -1;
}

void
vx_arp_input(struct vx_inst *vx, struct rte_mbuf *m, uint16_t l3_off, uint64_t now,
	     struct vx_out *out, struct vx_stats *st)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_ether_addr sha;
	struct vx_ip sip = {.family = AF_INET};
	uint32_t tip;
	uint16_t op;
	bool ours, learned;

	if (neigh_contig(m, (uint32_t)l3_off + sizeof(*arp)) < 0) {
		vx_drop(m, VX_DROP_arp_bad, st);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l3_off);
	op = rte_be_to_cpu_16(arp->arp_opcode);
	sha = arp->arp_data.arp_sha;
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(uint32_t) ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    !rte_is_unicast_ether_addr(&sha) || rte_is_zero_ether_addr(&sha)) {
		vx_drop(m, VX_DROP_arp_bad, st);
		return;
	}
	sip.v4 = arp->arp_data.arp_sip;
	tip = arp->arp_data.arp_tip;
	/* Our own frames looped back, or someone claiming our address. */
	if (rte_is_same_ether_addr(&sha, &vx->p.mac) ||
	    (vx->p.ip4.family == AF_INET && sip.v4 == vx->p.ip4.v4)) {
		vx_drop(m, VX_DROP_arp_not_for_us, st);
		return;
	}
	ours = vx->p.ip4.family == AF_INET && tip == vx->p.ip4.v4;
	/* A sender address of 0.0.0.0 (RFC 5227 probe) matches no entry. */
	learned = neigh_learn(vx, &sip, &sha, now, out, st);
	if (!ours && !learned) {
		vx_drop(m, VX_DROP_arp_not_for_us, st);
		return;
	}
	st->stat[VX_STAT_arp_rx]++;
	if (!ours || op != RTE_ARP_OP_REQUEST) {
		rte_pktmbuf_free(m);
		return;
	}
	/* Turn the request into the reply (RFC 826, "swap fields"). */
	rte_ether_addr_copy(&sha, &eth->dst_addr);
	rte_ether_addr_copy(&vx->p.mac, &eth->src_addr);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = sha;
	arp->arp_data.arp_tip = sip.v4;
	rte_ether_addr_copy(&vx->p.mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = vx->p.ip4.v4;
	m->ol_flags = 0;
	vx_out_push(out, vx->p.underlay_port, m, st);
	st->stat[VX_STAT_arp_reply_tx]++;
}

/** What the options of an NS or NA carried. */
struct nd_opts {
	const struct rte_ether_addr *slla; /**< Source link-layer address, or NULL. */
	const struct rte_ether_addr *tlla; /**< Target link-layer address, or NULL. */
};

/**
 * Check the options after an NS or NA (RFC 4861, section 4.6) and pick out
 * the link-layer addresses.
 *
 * @return
 *   0, or -1 if an option has length zero, runs past the message, or is a
 *   link-layer address option of the wrong size for Ethernet.
 */
static int
nd_parse_opts(const uint8_t *p, uint32_t len, struct nd_opts *o)
{
	uint32_t off = 0;

	o->slla = NULL;
	o->tlla = NULL;
	while (off < len) {
		uint32_t olen;

		if (len - off < 2)
			return -1;
		olen = (uint32_t)p[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return -1;
		if (p[off] == ND_OPT_SLLA || p[off] == ND_OPT_TLLA) {
			const struct nd_opt_lla *lla = (const struct nd_opt_lla *)(p + off);

			if (olen != sizeof(*lla))
				return -1;
			if (p[off] == ND_OPT_SLLA)
				o->slla = &lla->mac;
			else
				o->tlla = &lla->mac;
		}
		off += olen;
	}
	return 0;
}

static bool
ip6_is_solicited_node(const uint8_t *a)
{
	return memcmp(a, sn_prefix, sizeof(sn_prefix)) == 0;
}

/**
 * Answer a solicitation for our address with an advertisement (RFC 4861,
 * section 7.2.4). Takes ownership of @p m, the solicitation.
 */
static void
nd_reply(struct vx_inst *vx, struct rte_mbuf *m, const uint8_t *ns_src,
	 const struct rte_ether_addr *dst_mac, struct vx_stats *st, struct vx_out *out)
{
	struct rte_mbuf *reply;

	/*
	 * The advertisement is built in a fresh single-segment mbuf: the
	 * solicitation may be shorter than the reply, or split across
	 * segments, so rewriting it in place is not safe.
	 */
	reply = neigh_alloc(vx, ND_FRAME_LEN, st);
	if (reply == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	nd_build(vx, rte_pktmbuf_mtod(reply, uint8_t *), dst_mac, vx->p.ip6.v6, ns_src, ND_NA,
		 ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, vx->p.ip6.v6);
	rte_pktmbuf_free(m);
	vx_out_push(out, vx->p.underlay_port, reply, st);
	st->stat[VX_STAT_nd_advert_tx]++;
}

void
vx_nd_input(struct vx_inst *vx, struct rte_mbuf *m, const struct vx_parsed *r, uint64_t now,
	    struct vx_out *out, struct vx_stats *st)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv6_hdr *ip6;
	const struct nd_msg *nd;
	struct vx_ip peer = {.family = AF_INET6};
	struct nd_opts o;
	bool src_unspec, for_us, done = false;

	if (r->l4_len < 4 || r->l4_off < r->l3_off + sizeof(*ip6) ||
	    neigh_contig(m, r->l4_off + r->l4_len) < 0) {
		vx_drop(m, VX_DROP_nd_bad, st);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, r->l3_off);
	nd = rte_pktmbuf_mtod_offset(m, const struct nd_msg *, r->l4_off);
	if (nd->type != ND_NS && nd->type != ND_NA) {
		vx_drop(m, VX_DROP_icmp6_other, st);
		return;
	}
	/* RFC 4861, sections 7.1.1 and 7.1.2. */
	if (ip6->hop_limits != ND_HOP_LIMIT || nd->code != 0 || r->l4_len < sizeof(*nd) ||
	    icmp6_sum(ip6, nd, r->l4_len) != 0xffff || nd->target[0] == 0xff ||
	    nd_parse_opts((const uint8_t *)(nd + 1), r->l4_len - sizeof(*nd), &o) < 0) {
		vx_drop(m, VX_DROP_nd_bad, st);
		return;
	}
	src_unspec = memcmp(ip6->src_addr, ip6_unspecified, 16) == 0;
	for_us = vx->p.ip6.family == AF_INET6 && memcmp(nd->target, vx->p.ip6.v6, 16) == 0;

	if (nd->type == ND_NS) {
		/* A DAD probe goes to the solicited-node address, without SLLA. */
		if (src_unspec && (!ip6_is_solicited_node(ip6->dst_addr) || o.slla != NULL)) {
			vx_drop(m, VX_DROP_nd_bad, st);
			return;
		}
		if (src_unspec) {
			/* Someone is checking whether the address is free. */
			vx_drop(m, VX_DROP_nd_not_for_us, st);
			return;
		}
		memcpy(peer.v6, ip6->src_addr, 16);
		if (o.slla != NULL && !rte_is_same_ether_addr(o.slla, &vx->p.mac) &&
		    rte_is_unicast_ether_addr(o.slla) && !rte_is_zero_ether_addr(o.slla))
			done = neigh_learn(vx, &peer, o.slla, now, out, st);
		if (!for_us && !done) {
			vx_drop(m, VX_DROP_nd_not_for_us, st);
			return;
		}
		st->stat[VX_STAT_nd_rx]++;
		if (!for_us) {
			rte_pktmbuf_free(m);
			return;
		}
		nd_reply(vx, m, ip6->src_addr, o.slla != NULL ? o.slla : &eth->src_addr, st, out);
		return;
	}

	/* NA. */
	if ((nd->flags & ND_NA_FLAG_SOLICITED) && ip6->dst_addr[0] == 0xff) {
		vx_drop(m, VX_DROP_nd_bad, st);
		return;
	}
	if (!for_us) {
		struct vx_neigh *e;

		memcpy(peer.v6, nd->target, 16);
		e = neigh_find(vx, &peer);
		if (e != NULL && e->state != VX_NEIGH_STATIC) {
			if (o.tlla != NULL && rte_is_unicast_ether_addr(o.tlla) &&
			    !rte_is_zero_ether_addr(o.tlla)) {
				/*
				 * Without the override flag an advertisement
				 * does not replace a MAC we already have.
				 */
				if (!neigh_has_mac(e) || (nd->flags & ND_NA_FLAG_OVERRIDE) ||
				    rte_is_same_ether_addr(o.tlla, &e->mac)) {
					neigh_confirm(vx, e, o.tlla, now, out, st);
					done = true;
				}
			} else if (o.tlla == NULL && neigh_has_mac(e) &&
				   (nd->flags & ND_NA_FLAG_SOLICITED)) {
				/* A unicast probe's answer may omit the option. */
				neigh_confirm(vx, e, &e->mac, now, out, st);
				done = true;
			}
		}
	}
	if (!done) {
		vx_drop(m, VX_DROP_nd_not_for_us, st);
		return;
	}
	st->stat[VX_STAT_nd_rx]++;
	rte_pktmbuf_free(m);
}

void
vx_neigh_reprobe(struct vx_inst *vx)
{
	for (unsigned int i = 0; i < vx->n_neigh; i++) {
		struct vx_neigh *e = &vx->neigh[i];

		if (neigh_is_free(e) || e->state == VX_NEIGH_STATIC)
			continue;
		/* REACHABLE turns STALE and is probed; the others probe again. */
		e->deadline = 0;
	}
	vx->next_timer = 0;
}
