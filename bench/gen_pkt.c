/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-gen's frames: the stamp parser and the frame templates (gen.h).
 * No DPDK: the byte order is handled byte by byte, so the code reads and
 * writes unaligned buffers safely on any host.
 */
#include <errno.h>
#include <string.h>

#include "gen.h"

/* Header lengths and fields. */
#define ETH_LEN	       14
#define ETH_TYPE_IPV4  0x0800
#define IPV4_MIN_LEN   20
#define IPV4_PROTO_UDP 17
#define IPV4_DF	       0x4000
#define IPV4_OFF_MASK  0x1fff
#define IPV4_MF	       0x2000
#define IPV4_TTL       64
#define UDP_LEN	       8
#define VXLAN_LEN      8
#define VXLAN_FLAG_I   0x08
#define STAMP_LEN      ((uint32_t)sizeof(struct gen_stamp))

/* RFC 7348 outer UDP source ports: the dynamic range 49152..65535. */
#define SPORT_BASE  49152
#define SPORT_RANGE 16384

/* FNV-1a, 32 bits. */
#define FNV_OFFSET 2166136261u
#define FNV_PRIME  16777619u

static const char *const kind_names[GEN_RX_KIND_COUNT] = {
	[GEN_RX_OK] = "ok",
	[GEN_RX_TRUNCATED] = "truncated",
	[GEN_RX_NOT_IP] = "not_ip",
	[GEN_RX_NOT_UDP] = "not_udp",
	[GEN_RX_BAD_VXLAN] = "bad_vxlan",
	[GEN_RX_NO_MAGIC] = "no_magic",
	[GEN_RX_BAD_FLOW] = "bad_flow",
};

const char *
gen_rx_kind_name(enum gen_rx_kind k)
{
	if ((unsigned int)k >= GEN_RX_KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

/* ------------------------------------------------------------------------- */
/* Byte order.                                                               */

static uint16_t
rd_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t
rd_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
rd_le64(const uint8_t *p)
{
	return (uint64_t)rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32;
}

static void
wr_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
wr_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
wr_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------------------- */
/* Parser.                                                                   */

/*
 * Lengths. Three bounds apply to every byte the parser needs (a header, the
 * VxLAN header, the stamp):
 *
 * - the buffer: @p len, which may be the first bytes of a longer frame, so
 *   the IP total length need not be present in full;
 * - the IPv4 total length: what lies after it is Ethernet padding;
 * - the UDP length, unless the datagram is the first fragment of several
 *   (MF set), whose UDP length counts the fragments that follow.
 *
 * A needed byte beyond any of them makes the frame GEN_RX_TRUNCATED: it is
 * shorter, by its buffer or by its own length fields, than its headers or
 * the stamp. The inner frame of a VxLAN packet is bounded by the outer
 * packet's bounds as well as its own. Malformed fields count as the
 * protocol missing: an IPv4 version other than 4, an IHL below 5 or a total
 * length below the header length is GEN_RX_NOT_IP, and a UDP length below
 * 8 is GEN_RX_NOT_UDP.
 */

/*
 * Parse Ethernet + IPv4 + UDP at @p off, with @p *end the first byte that
 * must not be read (<= the buffer length). On GEN_RX_OK, *payload is the
 * offset of the UDP payload, *end is lowered to the datagram's own bounds
 * and *dport is the UDP destination port.
 */
static enum gen_rx_kind
parse_udp(const uint8_t *buf, uint32_t off, uint32_t *end, uint32_t *payload, uint16_t *dport)
{
	const uint8_t *ip;
	uint32_t ihl, tot, ulen, lim = *end;
	uint16_t frag;

	if (off > lim || lim - off < ETH_LEN)
		return GEN_RX_TRUNCATED;
	if (rd_be16(buf + off + 12) != ETH_TYPE_IPV4)
		return GEN_RX_NOT_IP;
	off += ETH_LEN;
	if (lim - off < IPV4_MIN_LEN)
		return GEN_RX_TRUNCATED;
	ip = buf + off;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	tot = rd_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < IPV4_MIN_LEN || tot < ihl)
		return GEN_RX_NOT_IP;
	if (lim - off < ihl)
		return GEN_RX_TRUNCATED;
	if (ip[9] != IPV4_PROTO_UDP)
		return GEN_RX_NOT_UDP;
	frag = rd_be16(ip + 6);
	if ((frag & IPV4_OFF_MASK) != 0)
		return GEN_RX_NOT_UDP;
	/* From here on, the datagram's own length bounds it too. */
	if (tot < lim - off)
		lim = off + tot;
	off += ihl;
	if (lim - off < UDP_LEN)
		return GEN_RX_TRUNCATED;
	ulen = rd_be16(buf + off + 4);
	if (ulen < UDP_LEN)
		return GEN_RX_NOT_UDP;
	if (!(frag & IPV4_MF) && ulen < lim - off)
		lim = off + ulen;
	*dport = rd_be16(buf + off + 2);
	*payload = off + UDP_LEN;
	*end = lim;
	return GEN_RX_OK;
}

enum gen_rx_kind
gen_parse(const uint8_t *buf, uint32_t len, uint16_t vx_port, uint32_t n_flows,
	  struct gen_parsed *out)
{
	uint32_t end = len, pl = 0, inner = 0;
	enum gen_rx_kind k;
	uint16_t dport = 0;
	const uint8_t *p;

	k = parse_udp(buf, 0, &end, &pl, &dport);
	if (k != GEN_RX_OK)
		return k;
	out->vxlan = false;
	out->vni = 0;
	if (dport == vx_port) {
		if (end - pl < VXLAN_LEN)
			return GEN_RX_TRUNCATED;
		if (!(buf[pl] & VXLAN_FLAG_I))
			return GEN_RX_BAD_VXLAN;
		out->vxlan = true;
		out->vni = (uint32_t)buf[pl + 4] << 16 | (uint32_t)buf[pl + 5] << 8 | buf[pl + 6];
		inner = pl + VXLAN_LEN;
		/* The inner frame is not checked for VxLAN again. */
		k = parse_udp(buf, inner, &end, &pl, &dport);
		if (k != GEN_RX_OK)
			return k;
	}
	if (end - pl < STAMP_LEN)
		return GEN_RX_TRUNCATED;
	p = buf + pl;
	if (rd_le16(p) != GEN_MAGIC)
		return GEN_RX_NO_MAGIC;
	out->stamp.magic = GEN_MAGIC;
	out->stamp.flow = rd_le16(p + 2);
	out->stamp.seq = rd_le32(p + 4);
	out->stamp.tsc = rd_le64(p + 8);
	if (out->stamp.flow >= n_flows)
		return GEN_RX_BAD_FLOW;
	out->inner_len = len - inner;
	return GEN_RX_OK;
}

/* ------------------------------------------------------------------------- */
/* Templates.                                                                */

/* RFC 1071 checksum of an IPv4 header (even length), ready to store. */
static uint16_t
ip_csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += rd_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * FNV-1a over the inner 5-tuple in wire order: source address, destination
 * address (4 bytes each, network order), protocol (1 byte, 17), source
 * port and destination port (2 bytes each, network order). The outer UDP
 * source port is 49152 + hash % 16384.
 */
static uint32_t
tuple_hash(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport)
{
	uint8_t b[13];
	uint32_t h = FNV_OFFSET;

	memcpy(b, &sip, 4); /* Both addresses are already in network order. */
	memcpy(b + 4, &dip, 4);
	b[8] = IPV4_PROTO_UDP;
	wr_be16(b + 9, sport);
	wr_be16(b + 11, dport);
	for (unsigned int i = 0; i < sizeof(b); i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Write Ethernet + IPv4 + UDP for a frame of @p frame_len bytes (no FCS). */
static uint8_t *
put_eth_ip_udp(uint8_t *p, const struct gen_end *src, const struct gen_end *dst, uint16_t sport,
	       uint16_t dport, uint16_t frame_len, uint16_t ip_flags)
{
	uint8_t *ip = p + ETH_LEN, *udp = ip + IPV4_MIN_LEN;
	uint16_t tot = (uint16_t)(frame_len - ETH_LEN);

	memcpy(p, dst->mac, 6);
	memcpy(p + 6, src->mac, 6);
	wr_be16(p + 12, ETH_TYPE_IPV4);

	ip[0] = 0x45;
	ip[1] = 0;
	wr_be16(ip + 2, tot);
	wr_be16(ip + 4, 0);
	wr_be16(ip + 6, ip_flags);
	ip[8] = IPV4_TTL;
	ip[9] = IPV4_PROTO_UDP;
	wr_be16(ip + 10, 0);
	memcpy(ip + 12, &src->ip, 4); /* Network order already. */
	memcpy(ip + 16, &dst->ip, 4);
	wr_be16(ip + 10, ip_csum(ip, IPV4_MIN_LEN));

	wr_be16(udp, sport);
	wr_be16(udp + 2, dport);
	wr_be16(udp + 4, (uint16_t)(tot - IPV4_MIN_LEN));
	wr_be16(udp + 6, 0);
	return udp + UDP_LEN;
}

/*
 * The inner IPv4 header has no flags (DF clear, as a sender's datagram
 * usually is); the outer one has DF set, since VxLAN packets must not be
 * fragmented (RFC 7348, section 4.3). The inner UDP source port of flow i
 * is inner_src.port + i, modulo 65536 (gen_scenario_parse() keeps it below
 * 65536).
 */
int
gen_tmpl_build(struct gen_tmpl *t, const struct gen_scenario *sc, uint32_t flow, uint16_t size)
{
	bool vx = sc->encap == GEN_ENCAP_VXLAN;
	uint16_t inner_len, sport;
	uint8_t *p;

	if (size < GEN_SIZE_MIN || size > GEN_SIZE_MAX || flow >= sc->n_flows)
		return -EINVAL;
	if (sc->encap != GEN_ENCAP_VXLAN && sc->encap != GEN_ENCAP_PLAIN)
		return -EINVAL;
	if (vx && (sc->n_vnis == 0 || sc->n_vnis > GEN_MAX_VNIS))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	inner_len = (uint16_t)(size - GEN_FCS_LEN);
	sport = (uint16_t)(sc->inner_src.port + flow);
	p = t->hdr;
	if (vx) {
		uint32_t h =
			tuple_hash(sc->inner_src.ip, sc->inner_dst.ip, sport, sc->inner_dst.port);
		uint32_t vni;

		vni = sc->vnis[flow % sc->n_vnis] & 0xffffff;
		p = put_eth_ip_udp(p, &sc->outer_src, &sc->outer_dst,
				   (uint16_t)(SPORT_BASE + h % SPORT_RANGE), sc->outer_dst.port,
				   (uint16_t)(inner_len + GEN_VX_LEN), IPV4_DF);
		p[0] = VXLAN_FLAG_I;
		p[4] = (uint8_t)(vni >> 16);
		p[5] = (uint8_t)(vni >> 8);
		p[6] = (uint8_t)vni;
		p += VXLAN_LEN;
	}
	p = put_eth_ip_udp(p, &sc->inner_src, &sc->inner_dst, sport, sc->inner_dst.port, inner_len,
			   0);
	/* The stamp stays zero: gen_stamp_write() fills it per frame. */
	t->stamp_off = (uint16_t)(p - t->hdr);
	t->len = (uint16_t)(t->stamp_off + STAMP_LEN);
	t->frame_len = (uint16_t)(inner_len + (vx ? GEN_VX_LEN : 0));
	return 0;
}

void
gen_stamp_write(const struct gen_tmpl *t, uint8_t *frame, uint16_t flow, uint64_t seq, uint64_t tsc)
{
	uint8_t *p = frame + t->stamp_off;

	wr_le16(p, GEN_MAGIC);
	wr_le16(p + 2, flow);
	wr_le32(p + 4, (uint32_t)seq);
	wr_le64(p + 8, tsc);
}
