/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the VxLAN datapath.
 *
 * Each input is treated as one Ethernet frame and pushed through every entry
 * point that sees untrusted bytes:
 *
 *   1. vx_parse_underlay() on the raw bytes (contig = len), then again on a
 *      heap copy of only the first bytes (contig < len), so that AddressSanitizer
 *      catches any read past the contiguous part; vx_udp_csum_ok_raw() when
 *      the parser asks for a checksum check.
 *   2. vx_underlay_input() with a single-segment mbuf, and, for longer inputs,
 *      again with a two-segment chain split at an input-dependent offset.
 *   3. vx_endpoint_input() with another copy, from one of two endpoints.
 *   4. vx_timer() with a clock advanced by an amount taken from the input.
 *
 * Besides the sanitizers, the target checks the mbuf contract of vx.h after
 * each input: every packet in a struct vx_out is a sane mbuf bound for a
 * known port, and once those are freed the only mbufs still allocated from
 * the pool are the ones in neighbour hold queues. A leak or a double free of
 * an mbuf therefore aborts with a message.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vx.h"

/** Dataplane port indexes the instance is told about. */
#define FZ_PORT_UNDERLAY 0
#define FZ_PORT_EP0	 1
#define FZ_PORT_EP1	 2
#define FZ_N_PORTS	 3

/** Mbufs in the pool: enough for a full vx_out plus hold queues. */
#define FZ_POOL_SIZE 4095

/** Inputs longer than this are cut (the frame must fit two mbufs). */
#define FZ_MAX_FRAME 3000

/** Timer scale: one "tick" of the synthetic clock is a millisecond. */
#define FZ_MS 1ull

static struct rte_mempool *fz_pool;
static struct vx_inst *fz_vx;
static struct vx_out fz_out;
static struct vx_stats fz_st;
static uint64_t fz_now = 1000000;
/** Endpoint indexes returned by vx_endpoint_add(). */
static uint16_t fz_ep[2];

static void
fz_die(const char *what, int err)
{
	fprintf(stderr, "fuzz_underlay: %s: %s\n", what, strerror(err < 0 ? -err : err));
	abort();
}

/* Parse an address known to be valid. */
static struct vx_ip
fz_ip(const char *s)
{
	struct vx_ip ip;
	int rc = vx_ip_parse(s, &ip);

	if (rc < 0)
		fz_die(s, rc);
	return ip;
}

static struct rte_ether_addr
fz_mac(const char *s)
{
	struct rte_ether_addr mac;
	int rc = vx_mac_parse(s, &mac);

	if (rc < 0)
		fz_die(s, rc);
	return mac;
}

/* Pick the first CPU this process may run on, for EAL's -l. */
static int
fz_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				return i;
	return 0;
}

static void
fz_init_eal(void)
{
	char lcores[16];
	char *eal_argv[] = {
		"fuzz_underlay",
		"-l",
		lcores,
		"--no-huge",
		"-m",
		"256",
		"--no-pci",
		"--no-shconf",
		"--no-telemetry",
		"--log-level=*:error",
		NULL,
	};
	int eal_argc = (int)RTE_DIM(eal_argv) - 1;

	snprintf(lcores, sizeof(lcores), "%d", fz_first_cpu());
	if (rte_eal_init(eal_argc, eal_argv) < 0)
		fz_die("rte_eal_init", rte_errno);
}

/* Build the instance: three VNIs, on- and off-link VTEPs of both families, two endpoints. */
static void
fz_init_vx(void)
{
	struct vx_params p = {0};
	struct vx_endpoint ep;
	struct vx_ip ip;
	int rc;

	p.mac = fz_mac("02:00:00:00:00:01");
	if (vx_prefix_parse("198.18.0.1/24", &p.ip4, &p.plen4) < 0 ||
	    vx_prefix_parse("2001:2::1/64", &p.ip6, &p.plen6) < 0)
		fz_die("vx_prefix_parse", EINVAL);
	p.gw4 = fz_ip("198.18.0.254");
	p.mtu = 1500;
	p.udp_port = VX_UDP_PORT;
	p.underlay_port = FZ_PORT_UNDERLAY;
	p.strict_reserved = true;
	p.udp6_zero_csum_rx = false;
	p.udp6_zero_csum_tx = false;
	/* Small on purpose, so that the input stream can fill it. */
	p.fdb_size = 256;
	p.fdb_age = 300000 * FZ_MS;
	p.neigh.reachable = 30000 * FZ_MS;
	p.neigh.retrans = 1000 * FZ_MS;
	p.neigh.failed = 5000 * FZ_MS;
	p.neigh.max_probes = 3;
	p.pool = fz_pool;
	p.socket = SOCKET_ID_ANY;

	fz_vx = vx_create(&p);
	if (fz_vx == NULL)
		fz_die("vx_create", errno);

	static const uint32_t vnis[] = {100, 200, 300};
	for (unsigned int i = 0; i < RTE_DIM(vnis); i++) {
		rc = vx_vni_add(fz_vx, vnis[i]);
		if (rc < 0)
			fz_die("vx_vni_add", rc);
	}

	/*
	 * VNI 100 has on-link VTEPs of both families and one off-link IPv4
	 * VTEP reached through gateway4; VNI 300 shares 198.18.0.2 with 100.
	 */
	static const struct {
		uint32_t vni;
		const char *ip;
	} vteps[] = {
		{100, "198.18.0.2"}, {100, "2001:2::2"}, {100, "198.19.0.5"},
		{200, "198.18.0.3"}, {200, "2001:2::3"}, {300, "198.18.0.2"},
	};
	for (unsigned int i = 0; i < RTE_DIM(vteps); i++) {
		ip = fz_ip(vteps[i].ip);
		rc = vx_vtep_add(fz_vx, vteps[i].vni, &ip);
		if (rc < 0)
			fz_die("vx_vtep_add", rc);
	}
	/* An off-link IPv6 VTEP with no gateway6: its packets have no route. */
	ip = fz_ip("2001:2:0:1::5");
	(void)vx_vtep_add(fz_vx, 300, &ip);

	memset(&ep, 0, sizeof(ep));
	snprintf(ep.name, sizeof(ep.name), "c1");
	ep.mac = fz_mac("02:00:00:00:01:01");
	ep.vni = 100;
	ep.port = FZ_PORT_EP0;
	ep.mtu = 1500;
	ep.any_src_mac = false;
	rc = vx_endpoint_add(fz_vx, &ep);
	if (rc < 0)
		fz_die("vx_endpoint_add c1", rc);
	fz_ep[0] = (uint16_t)rc;

	snprintf(ep.name, sizeof(ep.name), "c2");
	ep.mac = fz_mac("02:00:00:00:01:02");
	ep.port = FZ_PORT_EP1;
	ep.mtu = 1400;
	ep.any_src_mac = true;
	rc = vx_endpoint_add(fz_vx, &ep);
	if (rc < 0)
		fz_die("vx_endpoint_add c2", rc);
	fz_ep[1] = (uint16_t)rc;

	/* A static remote MAC and a pinned next hop next to the learned ones. */
	struct rte_ether_addr rmac = fz_mac("02:00:00:00:02:01");
	ip = fz_ip("198.18.0.2");
	rc = vx_fdb_static_remote(fz_vx, 100, &rmac, &ip);
	if (rc < 0)
		fz_die("vx_fdb_static_remote", rc);
	ip = fz_ip("198.18.0.3");
	rmac = fz_mac("02:00:00:00:00:03");
	rc = vx_neigh_add_static(fz_vx, &ip, &rmac);
	if (rc < 0)
		fz_die("vx_neigh_add_static", rc);
}

/*
 * Free the instance at exit. Its tables hold the only pointers to some heap
 * blocks, and LeakSanitizer does not scan DPDK memory, so without this the
 * exit-time leak check would report them.
 */
static void
fz_fini(void)
{
	/* FUZZ_UNDERLAY_STATS=1 shows which paths the inputs reached. */
	if (getenv("FUZZ_UNDERLAY_STATS") != NULL) {
		for (unsigned int i = 0; i < VX_DROP__MAX; i++)
			if (fz_st.drop[i] != 0)
				fprintf(stderr, "drop %-20s %" PRIu64 "\n", vx_drop_names[i],
					fz_st.drop[i]);
		for (unsigned int i = 0; i < VX_STAT__MAX; i++)
			if (fz_st.stat[i] != 0)
				fprintf(stderr, "stat %-20s %" PRIu64 "\n", vx_stat_names[i],
					fz_st.stat[i]);
	}
	vx_destroy(fz_vx);
	fz_vx = NULL;
	rte_mempool_free(fz_pool);
	fz_pool = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init_eal();
	fz_pool = rte_pktmbuf_pool_create("fuzz", FZ_POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (fz_pool == NULL)
		fz_die("rte_pktmbuf_pool_create", rte_errno);
	fz_init_vx();
	atexit(fz_fini);
	return 0;
}

/*
 * Copy @p len bytes into an mbuf; when 0 < split < len, the first @p split
 * bytes go to one segment and the rest to a second. Returns NULL when the
 * pool is empty (which the mbuf check below turns into a failure anyway).
 */
static struct rte_mbuf *
fz_mbuf(const uint8_t *data, uint32_t len, uint32_t split)
{
	struct rte_mbuf *m, *m2;
	char *d;

	if (split == 0 || split >= len)
		split = len;
	m = rte_pktmbuf_alloc(fz_pool);
	if (m == NULL)
		return NULL;
	if (split > rte_pktmbuf_tailroom(m))
		split = rte_pktmbuf_tailroom(m);
	d = rte_pktmbuf_append(m, (uint16_t)split);
	memcpy(d, data, split);
	if (split == len)
		return m;

	m2 = rte_pktmbuf_alloc(fz_pool);
	if (m2 == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	len -= split;
	if (len > rte_pktmbuf_tailroom(m2))
		len = rte_pktmbuf_tailroom(m2);
	d = rte_pktmbuf_append(m2, (uint16_t)len);
	memcpy(d, data + split, len);
	if (rte_pktmbuf_chain(m, m2) < 0) {
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(m2);
		return NULL;
	}
	return m;
}

/* Check and free everything the datapath handed back. */
static void
fz_drain(const char *after)
{
	const char *reason;

	if (fz_out.n > VX_OUT_MAX) {
		fprintf(stderr, "fuzz_underlay: %s: vx_out.n = %u\n", after, fz_out.n);
		abort();
	}
	for (uint16_t i = 0; i < fz_out.n; i++) {
		struct rte_mbuf *m = fz_out.pkts[i];

		if (m == NULL || fz_out.port[i] >= FZ_N_PORTS) {
			fprintf(stderr, "fuzz_underlay: %s: output %u: mbuf %p, port %u\n", after,
				i, (void *)m, fz_out.port[i]);
			abort();
		}
		if (rte_mbuf_check(m, 1, &reason) != 0) {
			fprintf(stderr, "fuzz_underlay: %s: output %u: bad mbuf: %s\n", after, i,
				reason);
			abort();
		}
		rte_pktmbuf_free(m);
	}
	fz_out.n = 0;
}

/* Count the mbufs a held packet keeps allocated: its segments and, for clones, their direct mbufs.
 */
static unsigned int
fz_pkt_mbufs(const struct rte_mbuf *m)
{
	unsigned int n = 0;

	for (; m != NULL; m = m->next) {
		n++;
		if (RTE_MBUF_CLONED(m) &&
		    rte_mbuf_from_indirect((struct rte_mbuf *)(uintptr_t)m)->pool == fz_pool)
			n++;
	}
	return n;
}

/*
 * Every mbuf still taken from the pool must belong to a packet in a
 * neighbour hold queue (vx.h: each mbuf is in a vx_out, held, or freed).
 * Clones of one direct mbuf would be counted twice; the datapath copies
 * rather than clones, and a miscount shows up as "double free" below.
 */
static void
fz_check_pool(const char *after)
{
	unsigned int held = 0, pkts = 0, in_use;

	for (uint16_t i = 0; i < fz_vx->n_neigh; i++) {
		for (uint8_t j = 0; j < fz_vx->neigh[i].n_hold && j < VX_NEIGH_HOLD; j++)
			held += fz_pkt_mbufs(fz_vx->neigh[i].hold[j]);
		pkts += fz_vx->neigh[i].n_hold;
	}
	in_use = rte_mempool_in_use_count(fz_pool);
	if (in_use != held) {
		fprintf(stderr,
			"fuzz_underlay: %s: %u mbufs in use but %u held by neighbours in %u "
			"packets (%s)\n",
			after, in_use, held, pkts, in_use > held ? "leak" : "double free");
		abort();
	}
}

/* Run the parser alone, with a policy chosen by @p sel. */
static void
fz_parse(const uint8_t *data, uint32_t len, uint8_t sel, uint32_t split)
{
	struct vx_parse_cfg cfg = fz_vx->pcfg;
	struct vx_parsed r;
	enum vx_class c;

	cfg.strict_reserved = (sel & 0x10) != 0;
	cfg.udp6_zero_csum_rx = (sel & 0x20) != 0;
	if (sel & 0x40)
		cfg.udp_port = 8472;

	memset(&r, 0, sizeof(r));
	c = vx_parse_underlay(data, len, len, &cfg, &r);
	if (c == VX_CLASS_DROP) {
		if ((unsigned int)r.drop >= VX_DROP__MAX) {
			fprintf(stderr, "fuzz_underlay: parser drop reason %u out of range\n",
				(unsigned int)r.drop);
			abort();
		}
	} else {
		/*
		 * ARP and ND bodies are validated later by vx_arp_input() and
		 * vx_nd_input(), so an offset may equal the length (empty body).
		 */
		if (r.l3_off > len || (c != VX_CLASS_ARP && r.l4_off > len) ||
		    (c == VX_CLASS_VXLAN && r.l4_off >= r.outer_len)) {
			fprintf(stderr, "fuzz_underlay: parser offsets l3 %u l4 %u past %u\n",
				r.l3_off, r.l4_off, len);
			abort();
		}
		if (c == VX_CLASS_VXLAN && (uint64_t)r.outer_len + r.inner_len > len) {
			fprintf(stderr, "fuzz_underlay: inner frame %u+%u past %u\n", r.outer_len,
				r.inner_len, len);
			abort();
		}
		if (r.udp_csum)
			(void)vx_udp_csum_ok_raw(data, len, &r);
	}

	/*
	 * Same frame, but only the first @p split bytes are contiguous. The copy
	 * is exactly that long, so reading past it is a heap overflow.
	 */
	if (split > 0 && split < len) {
		uint8_t *head = malloc(split);

		if (head == NULL)
			return;
		memcpy(head, data, split);
		memset(&r, 0, sizeof(r));
		(void)vx_parse_underlay(head, split, len, &cfg, &r);
		free(head);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	uint32_t len, split = 0;
	uint8_t sel;
	uint64_t advance;

	if (size == 0)
		return 0;
	len = size > FZ_MAX_FRAME ? FZ_MAX_FRAME : (uint32_t)size;
	/* The last byte steers the harness; the frame still includes it. */
	sel = data[len - 1];
	if (len >= 16)
		split = 1 + ((uint32_t)sel * 7u + len) % (len - 1);

	fz_parse(data, len, sel, split);

	/* Underlay, one segment (cut to what one mbuf holds). */
	m = fz_mbuf(data, len, 0);
	if (m != NULL)
		vx_underlay_input(fz_vx, &m, 1, fz_now, &fz_out, &fz_st);
	fz_drain("vx_underlay_input");
	fz_check_pool("vx_underlay_input");

	/* Underlay, two segments. */
	if (split != 0) {
		m = fz_mbuf(data, len, split);
		if (m != NULL)
			vx_underlay_input(fz_vx, &m, 1, fz_now, &fz_out, &fz_st);
		fz_drain("vx_underlay_input (2 segments)");
		fz_check_pool("vx_underlay_input (2 segments)");
	}

	/* Endpoint side: the same bytes as a frame sent by a container. */
	m = fz_mbuf(data, len, (sel & 0x08) ? split : 0);
	if (m != NULL) {
		uint16_t ep = fz_ep[sel & 1];

		/* Usually claim the endpoint's own MAC, so anti-spoofing lets it in. */
		if ((sel & 0x02) && rte_pktmbuf_data_len(m) >= 12)
			rte_ether_addr_copy(&fz_vx->eps[ep].mac,
					    rte_pktmbuf_mtod_offset(m, struct rte_ether_addr *, 6));
		vx_endpoint_input(fz_vx, ep, &m, 1, fz_now, &fz_out, &fz_st);
	}
	fz_drain("vx_endpoint_input");
	fz_check_pool("vx_endpoint_input");

	/* Let time pass: 1 ms to about 17 minutes, enough to cross every timer. */
	advance = len >= 2 ? data[len - 2] : 0;
	fz_now += (advance * advance * 16 + 1) * FZ_MS;
	vx_timer(fz_vx, fz_now, &fz_out, &fz_st);
	fz_drain("vx_timer");
	fz_check_pool("vx_timer");
	return 0;
}
