/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames: gen_parse() on handcrafted frames of every kind, cut at every
 * length, with IPv4 options, fragments and short length fields; the
 * templates' fields and checksums, and the round trip template -> stamp ->
 * parse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "test_csum_ref.h"
#include "gen_test.h"

#define VX_PORT 4789
#define N_FLOWS 8

/* The stamp of the handcrafted frames. */
#define T_FLOW 3
#define T_SEQ  0xdeadbeefu
#define T_TSC  0x0102030405060708ull
#define T_VNI  0xabcdef

/* ------------------------------------------------------------------------- */
/* A frame builder independent of gen_tmpl_build().                          */

/* A handcrafted frame and where its parts start. */
struct tf {
	uint8_t b[2048];
	uint32_t len;	/* Whole frame. */
	uint32_t oip;	/* Outer IPv4 header (VxLAN only). */
	uint32_t oudp;	/* Outer UDP header. */
	uint32_t vx;	/* VxLAN header. */
	uint32_t ip;	/* (Inner) IPv4 header. */
	uint32_t udp;	/* (Inner) UDP header. */
	uint32_t stamp; /* The stamp. */
};

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
rbe16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Ethernet + IPv4 (ihl words, options zero) + UDP header; returns the UDP payload's offset. */
static uint32_t
put_hdrs(uint8_t *p, uint32_t off, unsigned int ihl, uint16_t ip_tot, uint16_t dport)
{
	uint8_t *ip = p + off + 14, *udp = ip + ihl * 4;

	memset(p + off, 0, 14 + ihl * 4 + 8);
	p[off] = 0x02;
	p[off + 6] = 0x02;
	be16(p + off + 12, 0x0800);
	ip[0] = (uint8_t)(0x40 | ihl);
	be16(ip + 2, ip_tot);
	ip[8] = 64;
	ip[9] = 17;
	be16(udp, 1234);
	be16(udp + 2, dport);
	be16(udp + 4, (uint16_t)(ip_tot - ihl * 4));
	return off + 14 + ihl * 4 + 8;
}

/*
 * A frame with the test stamp: plain (oihl 0) or VxLAN with outer IHL
 * oihl, inner IHL iihl, and pad payload bytes after the stamp.
 */
static void
tf_build(struct tf *f, unsigned int oihl, unsigned int iihl, uint32_t pad)
{
	uint16_t itot = (uint16_t)(iihl * 4 + 8 + 16 + pad);
	uint32_t off = 0;

	memset(f, 0, sizeof(*f));
	assert_true((oihl ? oihl * 4 + 30 : 0) + 14 + iihl * 4 + 8 + 16 + pad <= sizeof(f->b));
	if (oihl != 0) {
		uint16_t otot = (uint16_t)(oihl * 4 + 8 + 8 + 14 + itot);

		f->oip = 14;
		f->oudp = 14 + oihl * 4;
		f->vx = put_hdrs(f->b, 0, oihl, otot, VX_PORT);
		f->b[f->vx] = 0x08;
		f->b[f->vx + 4] = (uint8_t)(T_VNI >> 16);
		f->b[f->vx + 5] = (uint8_t)(T_VNI >> 8);
		f->b[f->vx + 6] = (uint8_t)T_VNI;
		off = f->vx + 8;
	}
	f->ip = off + 14;
	f->udp = f->ip + iihl * 4;
	f->stamp = put_hdrs(f->b, off, iihl, itot, 5000);
	le(f->b + f->stamp, GEN_MAGIC, 2);
	le(f->b + f->stamp + 2, T_FLOW, 2);
	le(f->b + f->stamp + 4, T_SEQ, 4);
	le(f->b + f->stamp + 8, T_TSC, 8);
	f->len = f->stamp + 16 + pad;
}

/* gen_parse() on an exact-size heap copy of the first len bytes, so that ASan sees any overread. */
static enum gen_rx_kind
parse_n(const struct tf *f, uint32_t len, struct gen_parsed *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum gen_rx_kind k;

	assert_non_null(copy);
	memcpy(copy, f->b, len);
	k = gen_parse(copy, len, VX_PORT, N_FLOWS, out);
	free(copy);
	return k;
}

static enum gen_rx_kind
parse(const struct tf *f, struct gen_parsed *out)
{
	return parse_n(f, f->len, out);
}

static void
assert_stamp(const struct gen_parsed *p)
{
	assert_int_equal(p->stamp.magic, GEN_MAGIC);
	assert_int_equal(p->stamp.flow, T_FLOW);
	assert_int_equal(p->stamp.seq, T_SEQ);
	assert_true(p->stamp.tsc == T_TSC);
}

/* ------------------------------------------------------------------------- */
/* gen_parse().                                                              */

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(gen_rx_kind_name(GEN_RX_OK), "ok");
	assert_string_equal(gen_rx_kind_name(GEN_RX_TRUNCATED), "truncated");
	for (int i = 0; i < GEN_RX_KIND_COUNT; i++) {
		assert_string_not_equal(gen_rx_kind_name((enum gen_rx_kind)i), "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(gen_rx_kind_name((enum gen_rx_kind)i),
						gen_rx_kind_name((enum gen_rx_kind)j));
	}
	assert_string_equal(gen_rx_kind_name(GEN_RX_KIND_COUNT), "unknown");
	assert_string_equal(gen_rx_kind_name((enum gen_rx_kind) - 1), "unknown");
}

static void
test_parse_ok(void **state)
{
	struct gen_parsed p;
	struct tf f;

	(void)state;
	/* Plain, no padding and with a 1400-byte payload after the stamp. */
	tf_build(&f, 0, 5, 0);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_stamp(&p);
	assert_false(p.vxlan);
	assert_int_equal(p.inner_len, f.len);
	tf_build(&f, 0, 5, 400);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_int_equal(p.inner_len, f.len);

	/* VxLAN. */
	tf_build(&f, 5, 5, 2);
	assert_int_equal(f.stamp, GEN_VX_LEN + GEN_HDR_LEN);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_stamp(&p);
	assert_true(p.vxlan);
	assert_int_equal(p.vni, T_VNI);
	assert_int_equal(p.inner_len, f.len - GEN_VX_LEN);

	/* Other VxLAN flag bits do not matter as long as I is set. */
	f.b[f.vx] = 0xff;
	assert_int_equal(parse(&f, &p), GEN_RX_OK);

	/* Ethernet padding after the IP datagram is ignored. */
	tf_build(&f, 0, 5, 0);
	f.len += 30;
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_int_equal(p.inner_len, f.len);

	/* The last flow is fine; the flow count is exclusive. */
	le(f.b + f.stamp + 2, N_FLOWS - 1, 2);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_int_equal(p.stamp.flow, N_FLOWS - 1);
}

static void
test_parse_options(void **state)
{
	struct gen_parsed p;
	struct tf f;

	(void)state;
	/* IHL 6..15 inner and outer: the stamp moves, the parser follows. */
	for (unsigned int oihl = 5; oihl <= 15; oihl += 5)
		for (unsigned int iihl = 5; iihl <= 15; iihl++) {
			tf_build(&f, oihl, iihl, 0);
			assert_int_equal(parse(&f, &p), GEN_RX_OK);
			assert_stamp(&p);
			assert_int_equal(p.inner_len, f.len - (f.ip - 14));
		}
	for (unsigned int ihl = 6; ihl <= 15; ihl++) {
		tf_build(&f, 0, ihl, 0);
		assert_int_equal(parse(&f, &p), GEN_RX_OK);
		assert_stamp(&p);
	}
	/* IHL below 5 is not IPv4, inner or outer. */
	for (unsigned int ihl = 0; ihl < 5; ihl++) {
		tf_build(&f, 0, 5, 0);
		f.b[f.ip] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
		tf_build(&f, 5, 5, 0);
		f.b[f.oip] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
		tf_build(&f, 5, 5, 0);
		f.b[f.ip] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
	}
}

/* Every length from 0 to the whole frame: truncated up to the stamp's end, then OK. */
static void
truncate_all(const struct tf *f)
{
	struct gen_parsed p;

	for (uint32_t len = 0; len <= f->len; len++) {
		enum gen_rx_kind k = parse_n(f, len, &p);

		if (len < f->stamp + 16) {
			if (k != GEN_RX_TRUNCATED) {
				print_error("len %u of %u: %s\n", len, f->len, gen_rx_kind_name(k));
				fail();
			}
		} else {
			assert_int_equal(k, GEN_RX_OK);
			assert_stamp(&p);
			assert_int_equal(p.inner_len, len - (f->ip - 14));
		}
	}
}

static void
test_parse_truncated(void **state)
{
	struct tf f;

	(void)state;
	tf_build(&f, 5, 5, 2); /* A 64 B VxLAN frame: 110 bytes. */
	assert_int_equal(f.len, 110);
	truncate_all(&f);
	tf_build(&f, 5, 5, 1000);
	truncate_all(&f);
	tf_build(&f, 0, 5, 2);
	truncate_all(&f);
	tf_build(&f, 9, 12, 7);
	truncate_all(&f);
}

/* Length fields shorter than the stamp truncate the frame even when the buffer holds it. */
static void
test_parse_length_fields(void **state)
{
	struct gen_parsed p;
	struct tf f;

	(void)state;
	/* Inner IP total length: the stamp's last byte beyond it. */
	tf_build(&f, 5, 5, 20);
	be16(f.b + f.ip + 2, (uint16_t)(20 + 8 + 15));
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);
	be16(f.b + f.ip + 2, (uint16_t)(20 + 8 + 16));
	be16(f.b + f.udp + 4, 8 + 16);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	/* An IP total length below the header's own length is malformed. */
	be16(f.b + f.ip + 2, 19);
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
	/* ... and one that leaves no room for the UDP header is short. */
	be16(f.b + f.ip + 2, 27);
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);

	/* Inner UDP length. */
	tf_build(&f, 5, 5, 20);
	be16(f.b + f.udp + 4, 8 + 15);
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);
	be16(f.b + f.udp + 4, 7);
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
	be16(f.b + f.udp + 4, 8 + 16);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);

	/* Outer lengths bound the inner frame. */
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.oip + 2, (uint16_t)(f.len - 14 - 1));
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.oudp + 4, (uint16_t)(f.len - f.oudp - 1));
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);
	/* The outer UDP length too short for the VxLAN header. */
	be16(f.b + f.oudp + 4, 8 + 7);
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);

	/* Lengths larger than the buffer are fine: it may be the frame's first bytes. */
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.oip + 2, 9000);
	be16(f.b + f.oudp + 4, 8000);
	be16(f.b + f.ip + 2, 7000);
	be16(f.b + f.udp + 4, 6000);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_stamp(&p);
}

static void
test_parse_fragments(void **state)
{
	struct gen_parsed p;
	struct tf f;

	(void)state;
	/* A first fragment (MF, offset 0) has the stamp; its UDP length counts the rest. */
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.oip + 6, 0x2000);
	be16(f.b + f.oudp + 4, 3000);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_stamp(&p);
	/* Any later fragment is not UDP, inner or outer, with or without MF. */
	be16(f.b + f.oip + 6, 0x2001);
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
	be16(f.b + f.oip + 6, 0x00b9);
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.ip + 6, 0x1fff);
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
	/* DF alone changes nothing. */
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.oip + 6, 0x4000);
	be16(f.b + f.ip + 6, 0x4000);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
}

static void
test_parse_not_ip_udp(void **state)
{
	static const uint16_t types[] = {0x0806, 0x86dd, 0x8100, 0x88a8, 0x0000, 0xffff};
	struct gen_parsed p;
	struct tf f;

	(void)state;
	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		tf_build(&f, 0, 5, 0);
		be16(f.b + 12, types[i]);
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
		/* Only the Ethernet header is needed to tell. */
		assert_int_equal(parse_n(&f, 14, &p), GEN_RX_NOT_IP);
		assert_int_equal(parse_n(&f, 13, &p), GEN_RX_TRUNCATED);
		tf_build(&f, 5, 5, 0);
		be16(f.b + f.ip - 2, types[i]);
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
	}
	/* IPv4 ethertype with another IP version. */
	tf_build(&f, 0, 5, 0);
	f.b[f.ip] = 0x65;
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);
	tf_build(&f, 5, 5, 0);
	f.b[f.ip] = 0x45 + 0x20;
	assert_int_equal(parse(&f, &p), GEN_RX_NOT_IP);

	/* Protocols other than UDP: TCP, ICMP, GRE; inner and outer. */
	for (uint8_t proto = 0; proto < 255; proto++) {
		if (proto == 17)
			continue;
		tf_build(&f, 0, 5, 0);
		f.b[f.ip + 9] = proto;
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
		tf_build(&f, 5, 5, 0);
		f.b[f.oip + 9] = proto;
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
		tf_build(&f, 5, 5, 0);
		f.b[f.ip + 9] = proto;
		assert_int_equal(parse(&f, &p), GEN_RX_NOT_UDP);
	}
}

static void
test_parse_vxlan(void **state)
{
	struct gen_parsed p;
	struct tf f;

	(void)state;
	/* Without the I flag. */
	tf_build(&f, 5, 5, 0);
	f.b[f.vx] = 0x00;
	assert_int_equal(parse(&f, &p), GEN_RX_BAD_VXLAN);
	f.b[f.vx] = 0xf7;
	assert_int_equal(parse(&f, &p), GEN_RX_BAD_VXLAN);
	/* Only the VxLAN header is needed to tell. */
	assert_int_equal(parse_n(&f, f.vx + 8, &p), GEN_RX_BAD_VXLAN);

	/* The same frame with another VxLAN port is plain UDP without a stamp. */
	tf_build(&f, 5, 5, 0);
	assert_int_equal(gen_parse(f.b, f.len, VX_PORT + 1, N_FLOWS, &p), GEN_RX_NO_MAGIC);

	/* An inner frame to the VxLAN port is not decapsulated again. */
	tf_build(&f, 5, 5, 0);
	be16(f.b + f.udp + 2, VX_PORT);
	assert_int_equal(parse(&f, &p), GEN_RX_OK);
	assert_stamp(&p);
	assert_int_equal(p.vni, T_VNI);
	/*
	 * But a plain frame to it is taken for VxLAN: the magic's first byte
	 * (0x4d) has the I flag, and the 8 bytes after the "VxLAN header" are
	 * too short for an inner frame.
	 */
	tf_build(&f, 0, 5, 0);
	be16(f.b + f.udp + 2, VX_PORT);
	assert_int_equal(parse(&f, &p), GEN_RX_TRUNCATED);
	f.b[f.stamp] = 0x40;
	assert_int_equal(parse(&f, &p), GEN_RX_BAD_VXLAN);
}

static void
test_parse_stamp(void **state)
{
	struct gen_parsed p;
	struct tf f;

	(void)state;
	/* Magic: each byte, and the big-endian form. */
	for (int i = 0; i < 2; i++) {
		tf_build(&f, 5, 5, 0);
		f.b[f.stamp + i] ^= 0x01;
		assert_int_equal(parse(&f, &p), GEN_RX_NO_MAGIC);
	}
	tf_build(&f, 0, 5, 0);
	be16(f.b + f.stamp, GEN_MAGIC);
	assert_int_equal(parse(&f, &p), GEN_RX_NO_MAGIC);
	/* Plain UDP to another port with a zero payload. */
	tf_build(&f, 0, 5, 0);
	memset(f.b + f.stamp, 0, 16);
	assert_int_equal(parse(&f, &p), GEN_RX_NO_MAGIC);

	/* Flows at and beyond the count; a count of 0 refuses every flow. */
	tf_build(&f, 5, 5, 0);
	le(f.b + f.stamp + 2, N_FLOWS, 2);
	assert_int_equal(parse(&f, &p), GEN_RX_BAD_FLOW);
	le(f.b + f.stamp + 2, 0xffff, 2);
	assert_int_equal(parse(&f, &p), GEN_RX_BAD_FLOW);
	le(f.b + f.stamp + 2, 0, 2);
	assert_int_equal(gen_parse(f.b, f.len, VX_PORT, 0, &p), GEN_RX_BAD_FLOW);
	assert_int_equal(gen_parse(f.b, f.len, VX_PORT, 1, &p), GEN_RX_OK);
	assert_int_equal(gen_parse(f.b, f.len, VX_PORT, 65536, &p), GEN_RX_OK);
}

/* ------------------------------------------------------------------------- */
/* Templates.                                                                */

/* The documented outer source port: 49152 + FNV-1a(inner 5-tuple) % 16384. */
static uint16_t
ref_sport(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport)
{
	uint8_t b[13];
	uint32_t h = 2166136261u;

	memcpy(b, &sip, 4);
	memcpy(b + 4, &dip, 4);
	b[8] = 17;
	be16(b + 9, sport);
	be16(b + 11, dport);
	for (int i = 0; i < 13; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return (uint16_t)(49152 + h % 16384);
}

/* Ethernet + IPv4 + UDP at p for a frame of frame_len bytes between two ends. */
static void
check_hdrs(const uint8_t *p, const struct gen_end *src, const struct gen_end *dst,
	   uint16_t frame_len, uint16_t sport, bool df)
{
	const uint8_t *ip = p + 14, *udp = ip + 20;

	assert_memory_equal(p, dst->mac, 6);
	assert_memory_equal(p + 6, src->mac, 6);
	assert_int_equal(rbe16(p + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(rbe16(ip + 2), frame_len - 14);
	assert_int_equal(rbe16(ip + 6), df ? 0x4000 : 0);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 17);
	assert_int_equal(test_csum_ref(ip, 20), 0xffff);
	assert_memory_equal(ip + 12, &src->ip, 4);
	assert_memory_equal(ip + 16, &dst->ip, 4);
	assert_int_equal(rbe16(udp), sport);
	assert_int_equal(rbe16(udp + 2), dst->port);
	assert_int_equal(rbe16(udp + 4), frame_len - 34);
	assert_int_equal(rbe16(udp + 6), 0);
}

static void
scenario(struct gen_scenario *sc, enum gen_encap encap, uint32_t n_flows)
{
	gen_scenario_defaults(sc);
	sc->encap = encap;
	sc->groups[0].count = n_flows;
	sc->n_flows = n_flows;
	sc->n_vnis = 3;
	sc->vnis[0] = 100;
	sc->vnis[1] = 0xffffff;
	sc->vnis[2] = 0;
}

static void
test_tmpl_fields(void **state)
{
	static const uint16_t sizes[] = {64, 65, 128, 594, 1518, 8999, 9000};
	struct gen_scenario sc;
	struct gen_tmpl t;

	(void)state;
	scenario(&sc, GEN_ENCAP_VXLAN, 100);
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (uint32_t flow = 0; flow < 100; flow += 7) {
			uint16_t in_len = (uint16_t)(sizes[i] - 4), sport;
			const uint8_t *vx, *st;

			assert_int_equal(gen_tmpl_build(&t, &sc, flow, sizes[i]), 0);
			assert_int_equal(t.frame_len, sizes[i] + 46);
			assert_int_equal(t.len, 50 + 42 + 16);
			assert_int_equal(t.stamp_off, 92);
			sport = (uint16_t)(sc.inner_src.port + flow);
			check_hdrs(t.hdr, &sc.outer_src, &sc.outer_dst, t.frame_len,
				   ref_sport(sc.inner_src.ip, sc.inner_dst.ip, sport,
					     sc.inner_dst.port),
				   true);
			vx = t.hdr + 42;
			assert_int_equal(vx[0], 0x08);
			assert_int_equal(vx[1] | vx[2] | vx[3] | vx[7], 0);
			assert_int_equal((uint32_t)vx[4] << 16 | vx[5] << 8 | vx[6],
					 sc.vnis[flow % 3]);
			check_hdrs(t.hdr + 50, &sc.inner_src, &sc.inner_dst, in_len, sport, false);
			st = t.hdr + t.stamp_off;
			for (int b = 0; b < 16; b++)
				assert_int_equal(st[b], 0);
		}

	scenario(&sc, GEN_ENCAP_PLAIN, 100);
	sc.n_vnis = 0; /* Unused without VxLAN. */
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(gen_tmpl_build(&t, &sc, 99, sizes[i]), 0);
		assert_int_equal(t.frame_len, sizes[i] - 4);
		assert_int_equal(t.len, 42 + 16);
		assert_int_equal(t.stamp_off, 42);
		check_hdrs(t.hdr, &sc.inner_src, &sc.inner_dst, t.frame_len,
			   (uint16_t)(sc.inner_src.port + 99), false);
	}
}

static void
test_tmpl_invalid(void **state)
{
	struct gen_scenario sc;
	struct gen_tmpl t;

	(void)state;
	scenario(&sc, GEN_ENCAP_VXLAN, 4);
	assert_int_equal(gen_tmpl_build(&t, &sc, 0, 63), -EINVAL);
	assert_int_equal(gen_tmpl_build(&t, &sc, 0, 0), -EINVAL);
	assert_int_equal(gen_tmpl_build(&t, &sc, 0, 9001), -EINVAL);
	assert_int_equal(gen_tmpl_build(&t, &sc, 0, 65535), -EINVAL);
	assert_int_equal(gen_tmpl_build(&t, &sc, 4, 64), -EINVAL);
	assert_int_equal(gen_tmpl_build(&t, &sc, UINT32_MAX, 64), -EINVAL);
	assert_int_equal(gen_tmpl_build(&t, &sc, 3, 64), 0);
	sc.n_vnis = 0;
	assert_int_equal(gen_tmpl_build(&t, &sc, 3, 64), -EINVAL);
}

/* Build, stamp, parse: the same stamp, VNI and length come back. */
static void
test_tmpl_round_trip(void **state)
{
	static const uint16_t sizes[] = {64, 100, 1518, 9000};
	uint8_t *frame = malloc(GEN_SIZE_MAX + GEN_VX_LEN);
	struct gen_scenario sc;
	struct gen_parsed p;
	struct gen_tmpl t;

	(void)state;
	assert_non_null(frame);
	for (int encap = GEN_ENCAP_VXLAN; encap <= GEN_ENCAP_PLAIN; encap++) {
		bool vx = encap == GEN_ENCAP_VXLAN;

		scenario(&sc, (enum gen_encap)encap, GEN_MAX_FLOWS);
		for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			for (uint32_t flow = 0; flow < GEN_MAX_FLOWS; flow += 311) {
				uint64_t seq = 0x100000000ull * flow + 12345 + i;
				uint64_t tsc = ~seq;

				assert_int_equal(gen_tmpl_build(&t, &sc, flow, sizes[i]), 0);
				memset(frame, 0, t.frame_len);
				memcpy(frame, t.hdr, t.len);
				gen_stamp_write(&t, frame, (uint16_t)flow, seq, tsc);
				/* The whole frame, and only its headers and stamp. */
				for (int whole = 0; whole < 2; whole++) {
					uint32_t len = whole ? t.frame_len : t.len;

					assert_int_equal(
						gen_parse(frame, len, 4789, GEN_MAX_FLOWS, &p),
						GEN_RX_OK);
					assert_int_equal(p.stamp.magic, GEN_MAGIC);
					assert_int_equal(p.stamp.flow, flow);
					assert_int_equal(p.stamp.seq, (uint32_t)seq);
					assert_true(p.stamp.tsc == tsc);
					assert_int_equal(p.vxlan, vx);
					assert_int_equal(p.vni, vx ? sc.vnis[flow % 3] : 0);
					assert_int_equal(p.inner_len, len - (vx ? GEN_VX_LEN : 0));
				}
				if (vx)
					assert_int_equal(p.inner_len, sizes[i] - 4);
				/* The stamp is little-endian on the wire. */
				assert_int_equal(frame[t.stamp_off], GEN_MAGIC & 0xff);
				assert_int_equal(frame[t.stamp_off + 1], GEN_MAGIC >> 8);
				assert_int_equal(frame[t.stamp_off + 4], (uint8_t)seq);
				assert_int_equal(frame[t.stamp_off + 8], (uint8_t)tsc);
			}
	}
	free(frame);
}

int
gen_test_pkt(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),	    cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_options),	    cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_length_fields), cmocka_unit_test(test_parse_fragments),
		cmocka_unit_test(test_parse_not_ip_udp),    cmocka_unit_test(test_parse_vxlan),
		cmocka_unit_test(test_parse_stamp),	    cmocka_unit_test(test_tmpl_fields),
		cmocka_unit_test(test_tmpl_invalid),	    cmocka_unit_test(test_tmpl_round_trip),
	};

	return cmocka_run_group_tests_name("gen/pkt", tests, NULL, NULL);
}
