/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture (dp_capture.h) over net_ring ports. Most tests play the
 * datapath lcores themselves: they call rte_eth_rx_burst() and
 * rte_eth_tx_burst() on the ports, which run the capture callbacks, then
 * read the pcap file back with libpcap. The last test runs the real loop
 * on an lcore, so that the callbacks run there and stopping waits for a
 * real grace period.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_capture.h"
#include "dp_test.h"
#include "vx_test_frames.h"

/* Ports beyond the underlay and the two endpoints, to run DP_CAPTURE_MAX captures. */
#define N_EXTRA 6
/* Port indexes. */
#define PI_UL 0
#define PI_E1 1
#define PI_E2 2
#define PI_X0 3
/* Frames a test reads back at most. */
#define MAX_RECS 600
/* Bytes of a frame kept by read_pcap(). */
#define REC_BYTES 2048

static struct dp cdp;
static struct dp_test_ringport cul, ce1, ce2, cx[N_EXTRA];
static struct rte_ether_addr em1, em2, rmac, ulmac, nhmac;
static struct vx_ip l4, r4, l6, r6;
static char tdir[64];
static bool launched;

/* A frame read back from a pcap file. */
struct rec {
	uint32_t caplen;
	uint32_t len;
	uint64_t ns;
	uint8_t data[REC_BYTES];
};

static struct rec recs[MAX_RECS];

/* The ring port behind each port index. */
static struct dp_test_ringport *
rport(uint16_t pi)
{
	switch (pi) {
	case PI_UL:
		return &cul;
	case PI_E1:
		return &ce1;
	case PI_E2:
		return &ce2;
	default:
		return &cx[pi - PI_X0];
	}
}

static uint16_t
pid(uint16_t pi)
{
	return cdp.ports[pi].port_id;
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A path in the test directory, valid for the next 63 calls (a test makes fewer). */
static const char *
tpath(const char *name)
{
	static char bufs[64][128];
	static unsigned int next;
	char *b = bufs[next++ % RTE_DIM(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tdir, name);
	return b;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The VxLAN instance: like dp_test_vx(), with IPv6, and VNI 200 with endpoint e2 on port 2. */
static struct vx_inst *
cap_vx(struct rte_mempool *pool)
{
	struct vx_params vp = {0};
	struct vx_endpoint ep = {0};
	struct vx_inst *vx;
	uint8_t plen;

	vp.mac = ulmac;
	vp.ip4 = l4;
	vp.plen4 = 24;
	assert_int_equal(vx_prefix_parse("2001:db8::1/64", &vp.ip6, &plen), 0);
	vp.plen6 = plen;
	vp.mtu = 1500;
	vp.udp_port = VX_UDP_PORT;
	vp.underlay_port = PI_UL;
	vp.strict_reserved = true;
	vp.fdb_size = 256;
	vp.neigh.reachable = rte_get_tsc_hz() * 30;
	vp.neigh.retrans = rte_get_tsc_hz();
	vp.neigh.failed = rte_get_tsc_hz();
	vp.neigh.max_probes = 3;
	vp.pool = pool;
	vp.socket = -1;
	vx = vx_create(&vp);
	assert_non_null(vx);
	assert_int_equal(vx_vni_add(vx, 100), 0);
	assert_int_equal(vx_vni_add(vx, 200), 1);
	assert_true(vx_vtep_add(vx, 100, &r4) >= 0);
	assert_int_equal(vx_neigh_add_static(vx, &r4, &nhmac), 0);
	snprintf(ep.name, sizeof(ep.name), "e1");
	ep.mac = em1;
	ep.vni = 100;
	ep.port = PI_E1;
	ep.mtu = 1500;
	assert_int_equal(vx_endpoint_add(vx, &ep), 0);
	snprintf(ep.name, sizeof(ep.name), "e2");
	ep.mac = em2;
	ep.vni = 200;
	ep.port = PI_E2;
	assert_int_equal(vx_endpoint_add(vx, &ep), 1);
	return vx;
}

static int
cap_setup(void **state)
{
	struct dp_params p = {.burst = 32,
			      .drain_us = 100,
			      .idle_polls = 100,
			      .idle_sleep_us = 50,
			      .idle_sleep_max_us = 500,
			      .rxd = 256,
			      .txd = 256,
			      .mbufs = 4095,
			      .n_ports = 3};
	char n[32];

	(void)state;
	memset(&cdp, 0, sizeof(cdp));
	em1 = vxt_mac("02:00:00:00:01:11");
	em2 = vxt_mac("02:00:00:00:02:22");
	rmac = vxt_mac("02:00:00:00:09:01");
	ulmac = vxt_mac("02:00:00:00:00:01");
	nhmac = vxt_mac("02:00:00:00:00:02");
	l4 = vxt_ip("198.18.0.1");
	r4 = vxt_ip("198.18.0.2");
	l6 = vxt_ip("2001:db8::1");
	r6 = vxt_ip("2001:db8::2");
	dp_test_ringport(&cul, "cap_ul", 1024, 1024);
	dp_test_ringport(&ce1, "cap_e1", 1024, 1024);
	dp_test_ringport(&ce2, "cap_e2", 1024, 1024);
	for (int i = 0; i < N_EXTRA; i++) {
		snprintf(n, sizeof(n), "cap_x%d", i);
		dp_test_ringport(&cx[i], n, 64, 64);
	}
	assert_int_equal(dp_init(&cdp, &p), 0);
	assert_int_equal(dp_port_open(&cdp, "underlay", cul.name, DP_PORT_UNDERLAY, 0, 1500),
			 PI_UL);
	cdp.vx = cap_vx(cdp.pools[0]);
	assert_int_equal(dp_port_open(&cdp, "e1", ce1.name, DP_PORT_ENDPOINT, 0, 1500), PI_E1);
	assert_int_equal(dp_port_open(&cdp, "e2", ce2.name, DP_PORT_ENDPOINT, 1, 1500), PI_E2);
	for (int i = 0; i < N_EXTRA; i++) {
		snprintf(n, sizeof(n), "x%d", i);
		assert_int_equal(dp_port_open(&cdp, n, cx[i].name, DP_PORT_ENDPOINT, VX_NONE, 1500),
				 PI_X0 + i);
	}
	assert_int_equal(dp_ports_start(&cdp), 0);
	snprintf(tdir, sizeof(tdir), "/tmp/dp_test_capture.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	return 0;
}

static int
cap_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (launched) {
		__atomic_store_n(&cdp.quit, true, __ATOMIC_RELEASE);
		rte_eal_wait_lcore(cdp.lc->lcore_id);
	}
	dp_capture_fini(&cdp);
	dp_ports_close(&cdp);
	vx_destroy(cdp.vx);
	dp_fini(&cdp);
	dp_test_ringport_free(&cul);
	dp_test_ringport_free(&ce1);
	dp_test_ringport_free(&ce2);
	for (int i = 0; i < N_EXTRA; i++)
		dp_test_ringport_free(&cx[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tdir);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Frames and ports.                                                         */

static struct rte_mbuf *
mk(const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(cdp.pools[0]);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
	return m;
}

/* A frame in two segments, the first @p first bytes long. */
static struct rte_mbuf *
mk2(const uint8_t *data, uint32_t len, uint32_t first)
{
	struct rte_mbuf *m = mk(data, first);

	assert_int_equal(rte_pktmbuf_chain(m, mk(data + first, len - first)), 0);
	return m;
}

/* An inner frame of @p len bytes from em1 to rmac carrying @p seq. */
static uint32_t
inner(uint8_t *buf, uint32_t len, uint32_t seq)
{
	return vxt_inner(buf, len, &rmac, &em1, 5000, seq);
}

/* Receive frames on a port as the dispatch lcore does: the RX callbacks run here. */
static void
rx_frames(uint16_t pi, struct rte_mbuf **ms, unsigned int n)
{
	struct rte_mbuf *got[512];

	assert_true(n <= RTE_DIM(got));
	assert_int_equal(rte_ring_enqueue_bulk(rport(pi)->rx, (void **)ms, n, NULL), n);
	assert_int_equal(rte_eth_rx_burst(pid(pi), 0, got, (uint16_t)n), n);
	/* The callbacks leave the burst alone. */
	for (unsigned int i = 0; i < n; i++)
		assert_ptr_equal(got[i], ms[i]);
	rte_pktmbuf_free_bulk(got, n);
}

static void
rx1(uint16_t pi, const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = mk(data, len);

	rx_frames(pi, &m, 1);
}

/* Send frames on a port as the merge lcore does: the TX callbacks run here. */
static void
tx_frames(uint16_t pi, struct rte_mbuf **ms, unsigned int n)
{
	void *out[512];

	assert_true(n <= RTE_DIM(out));
	assert_int_equal(rte_eth_tx_burst(pid(pi), 0, ms, (uint16_t)n), n);
	assert_int_equal(rte_ring_dequeue_bulk(rport(pi)->tx, out, n, NULL), n);
	rte_pktmbuf_free_bulk((struct rte_mbuf **)out, n);
}

static void
tx1(uint16_t pi, const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = mk(data, len);

	tx_frames(pi, &m, 1);
}

/* true if no capture callback is left on the port's queue 0. */
static bool
no_callbacks(uint16_t pi)
{
	const struct rte_eth_fp_ops *f = &rte_eth_fp_ops[pid(pi)];

	return __atomic_load_n(&f->rxq.clbk[0], __ATOMIC_ACQUIRE) == NULL &&
	       __atomic_load_n(&f->txq.clbk[0], __ATOMIC_ACQUIRE) == NULL;
}

/* ------------------------------------------------------------------------- */
/* Files and state.                                                          */

/* Read a pcap file into recs[]; checks its header. @return the number of frames. */
static int
read_pcap(const char *path, uint32_t snaplen)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0, rc;

	if (p == NULL)
		fprintf(stderr, "%s: %s\n", path, err);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), snaplen);
	assert_int_equal(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		assert_true(n < MAX_RECS);
		assert_true(h->caplen <= REC_BYTES);
		recs[n].caplen = h->caplen;
		recs[n].len = h->len;
		recs[n].ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		memcpy(recs[n].data, d, h->caplen);
		n++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(p);
	return n;
}

/* Check record @p i against a frame of @p len bytes (kept up to @p snaplen). */
static void
rec_is(int i, const uint8_t *data, uint32_t len, uint32_t snaplen)
{
	uint32_t cap = RTE_MIN(len, snaplen);

	assert_int_equal(recs[i].len, len);
	assert_int_equal(recs[i].caplen, cap);
	assert_memory_equal(recs[i].data, data, cap);
}

/* The object of capture @p id in dp_capture_json(), a new reference, or NULL. */
static json_t *
cap_obj(unsigned int id)
{
	json_t *arr = dp_capture_json(&cdp), *e, *found = NULL;
	size_t i;

	assert_non_null(arr);
	assert_true(json_is_array(arr));
	json_array_foreach (arr, i, e) {
		if (json_integer_value(json_object_get(e, "id")) == (json_int_t)id) {
			found = e;
			json_incref(found);
		}
	}
	json_decref(arr);
	return found;
}

static json_int_t
cap_int(unsigned int id, const char *key)
{
	json_t *o = cap_obj(id);
	json_int_t v;

	assert_non_null(o);
	assert_true(json_is_integer(json_object_get(o, key)));
	v = json_integer_value(json_object_get(o, key));
	json_decref(o);
	return v;
}

static bool
cap_state_is(unsigned int id, const char *state)
{
	json_t *o = cap_obj(id);
	bool r;

	assert_non_null(o);
	r = strcmp(json_string_value(json_object_get(o, "state")), state) == 0;
	json_decref(o);
	return r;
}

/* Run dp_capture_poll() like the control loop until capture @p id is done, for 10 s at most. */
static bool
wait_done(unsigned int id)
{
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	while (rte_get_timer_cycles() < end) {
		dp_capture_poll(&cdp);
		if (cap_state_is(id, "done"))
			return true;
		rte_delay_us_sleep(1000);
	}
	return false;
}

/* Wait until capture @p id has written @p n packets, for 10 s at most. */
static bool
wait_packets(unsigned int id, json_int_t n)
{
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	while (rte_get_timer_cycles() < end) {
		if (cap_int(id, "packets") >= n)
			return true;
		rte_delay_us_sleep(1000);
	}
	return false;
}

static unsigned int
start_ok(const struct dp_capture_args *a)
{
	unsigned int id = 0;

	assert_int_equal(dp_capture_start(&cdp, a, &id), 0);
	assert_true(id != 0);
	return id;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	return st.st_mode & 0777;
}

static mode_t
expected_mode(void)
{
	mode_t um = umask(0);

	umask(um);
	return 0640 & ~um;
}

/* ------------------------------------------------------------------------- */
/* Tests.                                                                    */

/* Both directions of a port, in order, with exact bytes, lengths and times. */
static void
test_port_both(void **state)
{
	uint8_t a[64], b[100], c[1514], d[1400];
	const char *f = tpath("both.pcap");
	struct dp_capture_args args = {.port = "e1", .file = f, .seconds = 60};
	uint64_t t0 = realtime_ns(), t1;
	struct rte_mbuf *m;
	unsigned int id;
	json_t *o;

	(void)state;
	inner(a, sizeof(a), 1);
	inner(b, sizeof(b), 2);
	inner(c, sizeof(c), 3);
	inner(d, sizeof(d), 4);
	id = start_ok(&args);
	assert_true(cap_state_is(id, "running"));
	rx1(PI_E1, a, sizeof(a));
	tx1(PI_E1, b, sizeof(b));
	rx1(PI_E1, c, sizeof(c));
	m = mk2(d, sizeof(d), 1000);
	tx_frames(PI_E1, &m, 1);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	t1 = realtime_ns();
	assert_true(no_callbacks(PI_E1));

	assert_int_equal(file_mode(f), expected_mode());
	assert_int_equal(read_pcap(f, 65535), 4);
	rec_is(0, a, sizeof(a), 65535);
	rec_is(1, b, sizeof(b), 65535);
	rec_is(2, c, sizeof(c), 65535);
	rec_is(3, d, sizeof(d), 65535);
	for (int i = 0; i < 4; i++) {
		assert_true(recs[i].ns >= t0);
		/* The TSC and the wall clock may drift apart by a little. */
		assert_true(recs[i].ns <= t1 + 10000000ull);
		if (i > 0)
			assert_true(recs[i].ns >= recs[i - 1].ns);
	}

	o = cap_obj(id);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "done");
	assert_string_equal(json_string_value(json_object_get(o, "port")), "e1");
	assert_string_equal(json_string_value(json_object_get(o, "dir")), "both");
	assert_string_equal(json_string_value(json_object_get(o, "file")), f);
	assert_int_equal(json_integer_value(json_object_get(o, "packets")), 4);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")),
			 sizeof(a) + sizeof(b) + sizeof(c) + sizeof(d));
	assert_int_equal(json_integer_value(json_object_get(o, "lost")), 0);
	json_decref(o);

	/* Frames after the stop go nowhere. */
	rx1(PI_E1, a, sizeof(a));
	assert_int_equal(read_pcap(f, 65535), 4);
	assert_int_equal(dp_capture_stop(&cdp, id), -ENOENT);
}

/* The snap length cuts frames (across segments too) but keeps their lengths. */
static void
test_snaplen(void **state)
{
	uint8_t a[200], b[60], c[1400];
	const char *f = tpath("snap.pcap");
	struct dp_capture_args args = {
		.port = "e1", .file = f, .seconds = 60, .snaplen = 64, .dir = DP_CAP_RX};
	struct rte_mbuf *m;
	unsigned int id;

	(void)state;
	inner(a, sizeof(a), 1);
	inner(b, sizeof(b), 2);
	inner(c, sizeof(c), 3);
	id = start_ok(&args);
	rx1(PI_E1, a, sizeof(a));
	rx1(PI_E1, b, sizeof(b));
	m = mk2(c, sizeof(c), 30);
	rx_frames(PI_E1, &m, 1);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_int_equal(read_pcap(f, 64), 3);
	rec_is(0, a, sizeof(a), 64);
	rec_is(1, b, sizeof(b), 64);
	rec_is(2, c, sizeof(c), 64);
	assert_int_equal(cap_int(id, "bytes"), sizeof(a) + sizeof(b) + sizeof(c));
	assert_int_equal(cap_int(id, "snaplen"), 64);
}

/* The count limit ends the capture by itself after exactly that many frames. */
static void
test_count_limit(void **state)
{
	uint8_t fr[6][80];
	const char *f = tpath("count.pcap");
	struct dp_capture_args args = {.port = "e1", .file = f, .count = 4};
	struct rte_mbuf *ms[3];
	unsigned int id;

	(void)state;
	for (uint32_t i = 0; i < 6; i++)
		inner(fr[i], sizeof(fr[i]), i);
	id = start_ok(&args);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 3; i++)
			ms[i] = mk(fr[3 * k + i], sizeof(fr[0]));
		rx_frames(PI_E1, ms, 3);
	}
	assert_true(wait_done(id));
	assert_true(no_callbacks(PI_E1));
	assert_int_equal(dp_capture_stop(&cdp, id), -ENOENT);
	assert_int_equal(read_pcap(f, 65535), 4);
	for (int i = 0; i < 4; i++)
		rec_is(i, fr[i], sizeof(fr[0]), 65535);
	assert_int_equal(cap_int(id, "packets"), 4);
	assert_int_equal(cap_int(id, "lost"), 0);
	/* Done: more frames change nothing. */
	rx1(PI_E1, fr[5], sizeof(fr[5]));
	assert_int_equal(read_pcap(f, 65535), 4);
}

/* The time limit ends the capture by itself. */
static void
test_time_limit(void **state)
{
	uint8_t a[60];
	const char *f = tpath("time.pcap");
	struct dp_capture_args args = {.port = "e2", .file = f, .seconds = 1};
	unsigned int id;

	(void)state;
	inner(a, sizeof(a), 7);
	id = start_ok(&args);
	rx1(PI_E2, a, sizeof(a));
	dp_capture_poll(&cdp);
	assert_true(wait_done(id));
	assert_true(no_callbacks(PI_E2));
	assert_int_equal(read_pcap(f, 65535), 1);
	rec_is(0, a, sizeof(a), 65535);
	assert_int_equal(cap_int(id, "seconds"), 1);
}

/* A direction filter keeps one direction only. */
static void
test_direction(void **state)
{
	uint8_t a[60], b[70];
	const unsigned int dirs[] = {DP_CAP_RX, DP_CAP_TX};
	const char *names[] = {"rx", "tx"};

	(void)state;
	inner(a, sizeof(a), 1);
	inner(b, sizeof(b), 2);
	for (int k = 0; k < 2; k++) {
		const char *f = tpath(k == 0 ? "rx.pcap" : "tx.pcap");
		struct dp_capture_args args = {
			.port = "e1", .file = f, .seconds = 60, .dir = dirs[k]};
		unsigned int id = start_ok(&args);
		json_t *o = cap_obj(id);

		assert_string_equal(json_string_value(json_object_get(o, "dir")), names[k]);
		json_decref(o);
		rx1(PI_E1, a, sizeof(a));
		tx1(PI_E1, b, sizeof(b));
		assert_int_equal(dp_capture_stop(&cdp, id), 0);
		assert_int_equal(read_pcap(f, 65535), 1);
		if (k == 0)
			rec_is(0, a, sizeof(a), 65535);
		else
			rec_is(0, b, sizeof(b), 65535);
	}
}

/* The underlay frames of a VNI capture: only the inner frames of the VNI's VxLAN for us. */
static void
test_vni(void **state)
{
	static uint8_t in_a[100], in_g[80], in_x[90], e[60], fr[10][256];
	uint32_t len[10], l;
	struct vx_ip other = vxt_ip("198.18.0.9");
	const char *f = tpath("vni.pcap");
	struct dp_capture_args args = {
		.has_vni = true, .vni = 100, .file = f, .seconds = 60, .snaplen = 64};
	struct rte_mbuf *ms[10];
	unsigned int id;
	json_t *o, *ports;

	(void)state;
	inner(in_a, sizeof(in_a), 1);
	inner(in_g, sizeof(in_g), 2);
	inner(in_x, sizeof(in_x), 3);
	inner(e, sizeof(e), 4);
	/* 0: VNI 100 over IPv4: kept. */
	len[0] = vxt_encap(fr[0], in_a, sizeof(in_a), &r4, &l4, 100);
	/* 1: VNI 200. */
	len[1] = vxt_encap(fr[1], in_x, sizeof(in_x), &r4, &l4, 200);
	/* 2: truncated: the IP length says more than there is. */
	len[2] = vxt_encap(fr[2], in_x, sizeof(in_x), &r4, &l4, 100) - 10;
	/* 3: another UDP port. */
	len[3] = vxt_encap(fr[3], in_x, sizeof(in_x), &r4, &l4, 100);
	((struct rte_udp_hdr *)(fr[3] + 34))->dst_port = rte_cpu_to_be_16(4790);
	/* 4: for another address. */
	len[4] = vxt_encap(fr[4], in_x, sizeof(in_x), &r4, &other, 100);
	/* 5: ARP. */
	len[5] = vxt_arp(fr[5], &ulmac, RTE_ARP_OP_REQUEST, &nhmac, r4.v4, &ulmac, l4.v4);
	/* 6: VNI 100 over IPv6: kept. */
	len[6] = vxt_encap(fr[6], in_g, sizeof(in_g), &r6, &l6, 100);
	/* 7: I flag clear. */
	len[7] = vxt_encap(fr[7], in_x, sizeof(in_x), &r4, &l4, 100);
	fr[7][42] = 0;
	/* 8: no VxLAN at all. */
	len[8] = (uint32_t)sizeof(in_x);
	memcpy(fr[8], in_x, sizeof(in_x));
	/* 9: the outer headers split over two segments (below). */
	len[9] = vxt_encap(fr[9], in_x, sizeof(in_x), &r4, &l4, 100);

	id = start_ok(&args);
	o = cap_obj(id);
	assert_int_equal(json_integer_value(json_object_get(o, "vni")), 100);
	assert_null(json_object_get(o, "port"));
	ports = json_object_get(o, "ports");
	assert_int_equal(json_array_size(ports), 2);
	assert_string_equal(json_string_value(json_array_get(ports, 0)), "underlay");
	assert_string_equal(json_string_value(json_array_get(ports, 1)), "e1");
	json_decref(o);
	/* Not followed: e2 (VNI 200), and no TX anywhere. */
	assert_true(no_callbacks(PI_E2));
	assert_null(rte_eth_fp_ops[pid(PI_UL)].txq.clbk[0]);
	assert_null(rte_eth_fp_ops[pid(PI_E1)].txq.clbk[0]);

	for (int i = 0; i < 9; i++)
		ms[i] = mk(fr[i], len[i]);
	ms[9] = mk2(fr[9], len[9], 20);
	rx_frames(PI_UL, ms, 10);
	rx1(PI_E1, e, sizeof(e));
	rx1(PI_E2, in_x, sizeof(in_x));
	tx1(PI_E1, in_x, sizeof(in_x));
	tx1(PI_UL, fr[0], len[0]);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_true(no_callbacks(PI_UL));
	assert_true(no_callbacks(PI_E1));

	assert_int_equal(read_pcap(f, 64), 3);
	rec_is(0, in_a, sizeof(in_a), 64);
	rec_is(1, in_g, sizeof(in_g), 64);
	rec_is(2, e, sizeof(e), 64);
	l = sizeof(in_a) + sizeof(in_g) + sizeof(e);
	assert_int_equal(cap_int(id, "bytes"), l);
	assert_int_equal(cap_int(id, "lost"), 0);
}

/* A full ring loses frames, counts them, and keeps the others in order. */
static void
test_lost(void **state)
{
	enum {
		N = 256
	};
	uint8_t fr[64];
	const char *f = tpath("lost.pcap");
	struct dp_capture_args args = {
		.port = "e1", .file = f, .seconds = 60, .dir = DP_CAP_RX, .queue = 16};
	struct rte_mbuf *ms[N];
	json_int_t packets, lost;
	uint32_t prev = 0;
	unsigned int id;
	int n;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		inner(fr, sizeof(fr), i + 1);
		ms[i] = mk(fr, sizeof(fr));
	}
	id = start_ok(&args);
	/*
	 * One burst: the callback queues it in chunks of 32, each of which
	 * finds at most 16 free places, so at least half is lost whatever the
	 * writer manages in between.
	 */
	rx_frames(PI_E1, ms, N);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	packets = cap_int(id, "packets");
	lost = cap_int(id, "lost");
	assert_int_equal(packets + lost, N);
	assert_true(lost >= N / 2);
	assert_true(packets >= 16);
	assert_int_equal(cap_int(id, "queue"), 16);
	n = read_pcap(f, 65535);
	assert_int_equal(n, packets);
	for (int i = 0; i < n; i++) {
		uint32_t seq;

		memcpy(&seq, recs[i].data + 42, sizeof(seq));
		assert_true(seq > prev);
		prev = seq;
	}
}

/* Every error, and that none leaves a file or a busy port behind. */
static void
test_errors(void **state)
{
	const char *f = tpath("err.pcap");
	const struct dp_capture_args ok = {.port = "e1", .file = f, .count = 1};
	struct dp_capture_args a;
	unsigned int id = 0, ids[DP_CAPTURE_MAX], last;
	const char *ro = tpath("ro");
	const char *rof = tpath("ro/x.pcap");
	const char *missing = tpath("missing/x.pcap");
	const char *old = tpath("old.pcap");
	const char *link = tpath("link.pcap");
	const char *target = tpath("target");
	FILE *fp;

	(void)state;
	assert_int_equal(dp_capture_start(NULL, &ok, &id), -EINVAL);
	assert_int_equal(dp_capture_start(&cdp, NULL, &id), -EINVAL);
	assert_int_equal(dp_capture_start(&cdp, &ok, NULL), -EINVAL);
	a = ok;
	a.port = NULL; /* Neither port nor VNI. */
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.has_vni = true; /* Both. */
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.count = 0; /* No limit. */
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.snaplen = 63;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a.snaplen = 65536;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.dir = 4;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.queue = 15;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a.queue = (1u << 20) + 1;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.file = NULL;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a.file = "";
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a = ok;
	a.port = NULL;
	a.has_vni = true;
	a.vni = VX_VNI_MAX + 1;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a.vni = 100;
	a.dir = DP_CAP_RX; /* Port captures only. */
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EINVAL);
	a.dir = 0;
	a.vni = 300;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -ENOENT);
	a = ok;
	a.port = "nope";
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -ENOENT);
	assert_int_equal(id, 0);
	assert_false(exists(f));

	/* Files that cannot be created. */
	a = ok;
	a.file = missing;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -ENOENT);
	assert_false(exists(missing));
	assert_int_equal(mkdir(ro, 0555), 0);
	a.file = rof;
	if (geteuid() == 0) {
		/* Root bypasses permissions; a file system UID of nobody does not. */
		setfsuid(65534);
		assert_int_equal(setfsuid(65534), 65534);
		assert_int_equal(dp_capture_start(&cdp, &a, &id), -EACCES);
		setfsuid(0);
		assert_int_equal(setfsuid(0), 0);
	} else {
		assert_int_equal(dp_capture_start(&cdp, &a, &id), -EACCES);
	}
	assert_false(exists(rof));
	assert_int_equal(dp_capture_stop(&cdp, 12345), -ENOENT);
	assert_int_equal(dp_capture_stop(NULL, 1), -ENOENT);

	/* Busy ports; the failures leave no file and no mark. */
	a = ok;
	a.seconds = 60;
	a.count = 0;
	ids[0] = start_ok(&a);
	a.file = tpath("busy1.pcap");
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EBUSY);
	a.port = NULL;
	a.has_vni = true;
	a.vni = 100; /* Follows e1. */
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EBUSY);
	assert_false(exists(a.file));
	a.has_vni = false;
	a.port = "underlay";
	a.file = tpath("busy2.pcap");
	ids[1] = start_ok(&a);
	assert_true(ids[1] > ids[0]);
	a.port = NULL;
	a.has_vni = true;
	a.vni = 200; /* Needs the underlay. */
	a.file = tpath("busy3.pcap");
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EBUSY);
	assert_false(exists(a.file));
	assert_int_equal(dp_capture_stop(&cdp, ids[0]), 0);
	assert_int_equal(dp_capture_stop(&cdp, ids[1]), 0);
	/* A failed start does not keep the port. */
	a = ok;
	a.file = missing;
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -ENOENT);
	a.file = f;
	last = start_ok(&a);
	assert_true(last > ids[1]);
	assert_int_equal(dp_capture_stop(&cdp, last), 0);

	/* At most DP_CAPTURE_MAX at once. */
	for (uint16_t i = 0; i < DP_CAPTURE_MAX; i++) {
		char name[32];

		snprintf(name, sizeof(name), "max%u.pcap", i);
		a = (struct dp_capture_args){
			.port = cdp.ports[i].name, .file = tpath(name), .seconds = 60, .queue = 16};
		ids[i] = start_ok(&a);
		assert_true(ids[i] > last);
		last = ids[i];
	}
	a = (struct dp_capture_args){
		.port = cdp.ports[DP_CAPTURE_MAX].name, .file = tpath("max9.pcap"), .seconds = 60};
	assert_int_equal(dp_capture_start(&cdp, &a, &id), -EBUSY);
	assert_false(exists(a.file));
	for (int i = 0; i < DP_CAPTURE_MAX; i++)
		assert_int_equal(dp_capture_stop(&cdp, ids[i]), 0);
	for (uint16_t i = 0; i < DP_MAX_PORTS && i < cdp.n_ports; i++)
		assert_true(no_callbacks(i));

	/* An existing file is replaced, and a symbolic link is not followed. */
	fp = fopen(old, "w");
	assert_non_null(fp);
	fputs("not a pcap file", fp);
	fclose(fp);
	assert_int_equal(chmod(old, 0666), 0);
	assert_int_equal(symlink(target, link), 0);
	a = ok;
	a.file = old;
	id = start_ok(&a);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_int_equal(read_pcap(old, 65535), 0);
	assert_int_equal(file_mode(old), expected_mode());
	a.file = link;
	id = start_ok(&a);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_int_equal(read_pcap(link, 65535), 0);
	assert_int_equal(file_mode(link), expected_mode()); /* stat() would follow a link. */
	assert_false(exists(target));
}

/* Devices and FIFOs are written in place; a failing write ends the capture with an error. */
static void
test_special_files(void **state)
{
	uint8_t a[60];
	const char *fifo = tpath("fifo");
	struct dp_capture_args args = {.port = "e1", .file = "/dev/null", .seconds = 60};
	unsigned char got[256];
	struct stat st;
	unsigned int id;
	uint32_t magic;
	ssize_t n;
	json_t *o;
	int rfd;

	(void)state;
	inner(a, sizeof(a), 1);
	id = start_ok(&args);
	rx1(PI_E1, a, sizeof(a));
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	/* A directory. */
	args.file = tdir;
	assert_int_equal(dp_capture_start(&cdp, &args, &id), -EISDIR);

	/* A FIFO without a reader, then with one. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	args.file = fifo;
	assert_int_equal(dp_capture_start(&cdp, &args, &id), -ENXIO);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	id = start_ok(&args);
	rx1(PI_E1, a, sizeof(a));
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	n = read(rfd, got, sizeof(got));
	close(rfd);
	/* The file header (24 bytes), one record header (16) and the frame. */
	assert_int_equal(n, 24 + 16 + sizeof(a));
	memcpy(&magic, got, sizeof(magic));
	assert_int_equal(magic, 0xa1b23c4du); /* Nanosecond time stamps. */
	assert_memory_equal(got + 40, a, sizeof(a));
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* Writes that fail: the writer stops, and the error shows. */
	args.file = "/dev/full";
	id = start_ok(&args);
	rx1(PI_E1, a, sizeof(a));
	assert_true(wait_done(id));
	o = cap_obj(id);
	assert_non_null(json_object_get(o, "error"));
	json_decref(o);
	assert_true(no_callbacks(PI_E1));
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* The JSON description, and that only the last DP_CAPTURE_MAX finished captures are kept. */
static void
test_json(void **state)
{
	uint8_t a[60], b[70];
	const char *f = tpath("json.pcap");
	struct dp_capture_args args = {.port = "e1",
				       .file = f,
				       .count = 100,
				       .seconds = 60,
				       .snaplen = 128,
				       .dir = DP_CAP_RX,
				       .queue = 32};
	unsigned int id, first, ids[DP_CAPTURE_MAX + 1];
	json_t *o, *arr, *e;
	json_int_t prev = 0;
	size_t i;
	static struct dp empty;

	(void)state;
	inner(a, sizeof(a), 1);
	inner(b, sizeof(b), 2);
	id = start_ok(&args);
	o = cap_obj(id);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(o, "port")), "e1");
	assert_string_equal(json_string_value(json_object_get(o, "dir")), "rx");
	assert_string_equal(json_string_value(json_object_get(o, "file")), f);
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 100);
	assert_int_equal(json_integer_value(json_object_get(o, "seconds")), 60);
	assert_int_equal(json_integer_value(json_object_get(o, "snaplen")), 128);
	assert_int_equal(json_integer_value(json_object_get(o, "queue")), 32);
	assert_int_equal(json_integer_value(json_object_get(o, "packets")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "lost")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "ports")), 1);
	assert_null(json_object_get(o, "vni"));
	assert_null(json_object_get(o, "error"));
	json_decref(o);
	rx1(PI_E1, a, sizeof(a));
	rx1(PI_E1, b, sizeof(b));
	assert_true(wait_packets(id, 2));
	assert_int_equal(cap_int(id, "bytes"), sizeof(a) + sizeof(b));
	assert_true(cap_state_is(id, "running"));
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_true(cap_state_is(id, "done"));
	assert_int_equal(cap_int(id, "packets"), 2);

	/* More finished captures than are kept: the oldest go. */
	first = id;
	for (int k = 0; k <= DP_CAPTURE_MAX; k++) {
		struct dp_capture_args s = {.port = "e2", .file = f, .count = 1, .queue = 16};

		ids[k] = start_ok(&s);
		assert_int_equal(dp_capture_stop(&cdp, ids[k]), 0);
	}
	assert_null(cap_obj(first));
	assert_null(cap_obj(ids[0]));
	arr = dp_capture_json(&cdp);
	assert_int_equal(json_array_size(arr), DP_CAPTURE_MAX);
	json_array_foreach (arr, i, e) {
		json_int_t v = json_integer_value(json_object_get(e, "id"));

		assert_true(v > prev);
		prev = v;
		assert_int_equal(v, ids[i + 1]);
		assert_string_equal(json_string_value(json_object_get(e, "state")), "done");
	}
	json_decref(arr);

	/* A dataplane that never captured. */
	memset(&empty, 0, sizeof(empty));
	arr = dp_capture_json(&empty);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	dp_capture_poll(&empty);
	dp_capture_port_closing(&empty, 0);
	assert_int_equal(dp_capture_stop(&empty, 1), -ENOENT);
	dp_capture_fini(&empty);
}

/* A closing port ends its port capture, and leaves a VNI capture unless it is the underlay. */
static void
test_port_closing(void **state)
{
	static uint8_t a[60], in[100], fr[256];
	uint32_t flen;
	const char *f1 = tpath("close1.pcap"), *f2 = tpath("close2.pcap");
	struct dp_capture_args p = {.port = "e2", .file = f1, .seconds = 60};
	struct dp_capture_args v = {.has_vni = true, .vni = 100, .file = f2, .seconds = 60};
	struct dp_capture_args e = {.port = "e1", .file = tpath("close3.pcap"), .seconds = 60};
	unsigned int id, vid, eid;
	json_t *o;

	(void)state;
	inner(a, sizeof(a), 1);
	inner(in, sizeof(in), 2);
	flen = vxt_encap(fr, in, sizeof(in), &r4, &l4, 100);

	id = start_ok(&p);
	rx1(PI_E2, a, sizeof(a));
	dp_capture_port_closing(&cdp, PI_E1); /* Not captured: nothing happens. */
	dp_capture_port_closing(&cdp, DP_MAX_PORTS + 3);
	assert_true(cap_state_is(id, "running"));
	dp_capture_port_closing(&cdp, PI_E2);
	assert_true(cap_state_is(id, "done"));
	assert_true(no_callbacks(PI_E2));
	rx1(PI_E2, a, sizeof(a));
	assert_int_equal(read_pcap(f1, 65535), 1);
	rec_is(0, a, sizeof(a), 65535);

	vid = start_ok(&v);
	dp_capture_port_closing(&cdp, PI_E1);
	assert_true(cap_state_is(vid, "running"));
	assert_true(no_callbacks(PI_E1));
	o = cap_obj(vid);
	assert_int_equal(json_array_size(json_object_get(o, "ports")), 1);
	json_decref(o);
	rx1(PI_E1, a, sizeof(a));
	/* e1 is free for a capture of its own. */
	eid = start_ok(&e);
	assert_int_equal(dp_capture_stop(&cdp, eid), 0);
	rx1(PI_UL, fr, flen);
	dp_capture_port_closing(&cdp, PI_UL);
	assert_true(cap_state_is(vid, "done"));
	assert_true(no_callbacks(PI_UL));
	assert_int_equal(read_pcap(f2, 65535), 1);
	rec_is(0, in, sizeof(in), 65535);
}

/* dp_capture_fini() ends running captures with complete files. */
static void
test_fini_running(void **state)
{
	uint8_t a[60], b[70];
	const char *f1 = tpath("fini1.pcap"), *f2 = tpath("fini2.pcap");
	struct dp_capture_args p = {.port = "e1", .file = f1, .seconds = 60};
	struct dp_capture_args v = {.has_vni = true, .vni = 200, .file = f2, .seconds = 60};
	json_t *arr;
	unsigned int id;

	(void)state;
	inner(a, sizeof(a), 1);
	inner(b, sizeof(b), 2);
	start_ok(&p);
	start_ok(&v);
	rx1(PI_E1, a, sizeof(a));
	rx1(PI_E2, b, sizeof(b));
	dp_capture_fini(&cdp);
	assert_null(cdp.cap);
	for (uint16_t i = 0; i < cdp.n_ports; i++)
		assert_true(no_callbacks(i));
	assert_int_equal(read_pcap(f1, 65535), 1);
	rec_is(0, a, sizeof(a), 65535);
	assert_int_equal(read_pcap(f2, 65535), 1);
	rec_is(0, b, sizeof(b), 65535);
	dp_capture_fini(&cdp);
	dp_capture_poll(&cdp);
	arr = dp_capture_json(&cdp);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	/* The state comes back on the next start. */
	id = start_ok(&p);
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
}

/*
 * Send a VxLAN frame of VNI 100 in from the underlay and an inner frame in
 * from e1, through the loop, and wait for both to come out.
 */
static void
through_loop(const uint8_t *down, uint32_t down_len, const uint8_t *up, uint32_t up_len)
{
	static uint8_t fr[2048];
	uint32_t flen = vxt_encap(fr, down, down_len, &r4, &l4, 100);
	struct rte_mbuf *o;

	assert_int_equal(rte_ring_enqueue(cul.rx, mk(fr, flen)), 0);
	o = dp_test_ring_wait(ce1.tx);
	assert_non_null(o);
	assert_int_equal(o->pkt_len, down_len);
	rte_pktmbuf_free(o);
	assert_int_equal(rte_ring_enqueue(ce1.rx, mk(up, up_len)), 0);
	o = dp_test_ring_wait(cul.tx);
	assert_non_null(o);
	rte_pktmbuf_free(o);
}

/* Captures while the real loop runs: callbacks on the lcore, a real grace period to stop. */
static void
test_through_loop(void **state)
{
	static uint8_t down[120], up[90], down2[130], up2[95];
	const char *f1 = tpath("loop1.pcap"), *f2 = tpath("loop2.pcap");
	struct dp_capture_args p = {.port = "e1", .file = f1, .seconds = 60};
	struct dp_capture_args v = {.has_vni = true, .vni = 100, .file = f2, .seconds = 60};
	unsigned int id;

	(void)state;
	vxt_inner(down, sizeof(down), &em1, &rmac, 6000, 1);
	inner(up, sizeof(up), 2);
	vxt_inner(down2, sizeof(down2), &em1, &rmac, 6000, 3);
	inner(up2, sizeof(up2), 4);
	dp_launched(&cdp);
	assert_int_equal(rte_eal_remote_launch(dp_loop, &cdp, cdp.lc->lcore_id), 0);
	launched = true;

	/* e1 both ways: the decapsulated frame leaves by e1 (TX), then e1 sends (RX). */
	id = start_ok(&p);
	through_loop(down, sizeof(down), up, sizeof(up));
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_true(no_callbacks(PI_E1));
	assert_int_equal(read_pcap(f1, 65535), 2);
	rec_is(0, down, sizeof(down), 65535);
	rec_is(1, up, sizeof(up), 65535);

	/* VNI 100: the inner frame from the underlay, then e1's frame. */
	id = start_ok(&v);
	through_loop(down2, sizeof(down2), up2, sizeof(up2));
	assert_int_equal(dp_capture_stop(&cdp, id), 0);
	assert_true(no_callbacks(PI_UL));
	assert_true(no_callbacks(PI_E1));
	through_loop(down, sizeof(down), up, sizeof(up));
	assert_int_equal(read_pcap(f2, 65535), 2);
	rec_is(0, down2, sizeof(down2), 65535);
	rec_is(1, up2, sizeof(up2), 65535);
}

int
dp_test_capture(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_both),     cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_count_limit),   cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_direction),     cmocka_unit_test(test_vni),
		cmocka_unit_test(test_lost),	      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_special_files), cmocka_unit_test(test_json),
		cmocka_unit_test(test_port_closing),  cmocka_unit_test(test_fini_running),
		cmocka_unit_test(test_through_loop),
	};

	return cmocka_run_group_tests_name("capture", tests, cap_setup, cap_teardown);
}
