/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * VxLAN wire format (RFC 7348, section 5).
 *
 * A VxLAN frame on an IPv4 underlay looks like this on the wire; an IPv6
 * underlay replaces the 20-byte IPv4 header with a 40-byte IPv6 header.
 *
 * @verbatim
 *  Outer Ethernet header (14 bytes, no VLAN tag on our underlay)
 *  Outer IPv4 header     (20 bytes, protocol 17)
 *  Outer UDP header:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       Source Port = xxxx      |       Dest Port = 4789        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           UDP Length          |        UDP Checksum           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  VxLAN header:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  Inner Ethernet frame (destination MAC, source MAC, ethertype, payload)
 * @endverbatim
 *
 * The source port carries entropy from a hash of the inner flow. The UDP
 * checksum should be zero on IPv4 and is computed on IPv6 unless the
 * operator allows zero checksums (RFC 6935/6936).
 */
#ifndef VX_PACKET_H
#define VX_PACKET_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

/** IANA-assigned UDP destination port for VxLAN. */
#define VX_UDP_PORT 4789

/** The I flag: the VNI field is valid. First byte of the header. */
#define VX_FLAG_I 0x08

/** Largest VNI (24 bits). */
#define VX_VNI_MAX 0xffffffu

/** The 8-byte VxLAN header. Fields are in network order. */
struct vx_hdr {
	uint8_t flags;	  /**< R R R R I R R R. */
	uint8_t rsvd0[3]; /**< Reserved, zero. */
	uint8_t vni[3];	  /**< VxLAN Network Identifier. */
	uint8_t rsvd1;	  /**< Reserved, zero. */
} __attribute__((__packed__));

/** Outer header lengths for each underlay family. */
#define VX_ENCAP4_LEN                                                                              \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + \
	 sizeof(struct vx_hdr))
#define VX_ENCAP6_LEN                                                                              \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr) + \
	 sizeof(struct vx_hdr))

/** Overhead added to the IP packet size by encapsulation (outer IP+UDP+VxLAN+inner L2). */
#define VX_IP4_OVERHEAD \
	(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + sizeof(struct vx_hdr))
#define VX_IP6_OVERHEAD \
	(sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr) + sizeof(struct vx_hdr))

/**
 * Read the VNI from a header.
 *
 * @param h
 *   The VxLAN header.
 * @return
 *   The 24-bit VNI in host order.
 */
static inline uint32_t
vx_hdr_vni(const struct vx_hdr *h)
{
	return ((uint32_t)h->vni[0] << 16) | ((uint32_t)h->vni[1] << 8) | h->vni[2];
}

/**
 * Write a VNI into a header.
 *
 * @param h
 *   The VxLAN header.
 * @param vni
 *   The 24-bit VNI in host order.
 */
static inline void
vx_hdr_set_vni(struct vx_hdr *h, uint32_t vni)
{
	h->vni[0] = (uint8_t)(vni >> 16);
	h->vni[1] = (uint8_t)(vni >> 8);
	h->vni[2] = (uint8_t)vni;
}

#endif /* VX_PACKET_H */
