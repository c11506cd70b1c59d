/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-bench: a single-core, in-memory benchmark of the VxLAN datapath.
 *
 * It builds one struct vx_inst the way mflowd does (IPv4 VNI 100 with VTEP
 * 198.18.0.2, IPv6 VNI 200 with VTEP 2001:2::2, static next hops, one
 * endpoint per VNI), pre-builds frames for every case and feeds them through
 * the datapath in three modes:
 *
 *   stage         vx_underlay_input() / vx_endpoint_input() alone, on frames
 *                 already in memory: the cost of the VxLAN code itself.
 *   with_io       rte_eth_rx_burst() on a net_ring port, the stage, then
 *                 rte_eth_tx_buffer() to a net_ring port, as dp_loop() does.
 *   with_io_free  the same with a net_null TX port, which frees every mbuf
 *                 it is given, as a NIC's TX completion does.
 *
 * Decapsulation only moves the mbuf data offset and encapsulation only
 * writes into the headroom, so between passes the stage mode resets the
 * mbuf metadata (data_off, data_len, pkt_len) instead of rebuilding the
 * frames; the reset is not timed. Each case checks once that the reset
 * restores the exact input bytes and that every output is right, and checks
 * the datapath counters after every mode: a run that measured drops fails.
 *
 * Every case runs in several rounds; the report keeps the best round's
 * median, because other jobs on a shared machine inflate whole rounds.
 *
 * JSON goes to stdout (or --json FILE), the readable table to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench.h"
#include "test_eal.h"
#include "vx.h"

#ifndef MFLOW_SRC_DIR
#define MFLOW_SRC_DIR "."
#endif

/** The per-packet budget from the issue, for 64-byte frames. */
#define BENCH_TARGET_CYCLES 60
#define BENCH_MAX_BURST	    256
#define BENCH_DEF_MBUFS	    1024
#define BENCH_MAX_MBUFS	    65536
#define BENCH_FULL_ITERS    1000
#define BENCH_FULL_WARMUP   20
#define BENCH_QUICK_ITERS   200
#define BENCH_QUICK_WARMUP  5
#define BENCH_FULL_ROUNDS   5
#define BENCH_MAX_ROUNDS    16
#define BENCH_VNI4	    100
#define BENCH_VNI6	    200
/** Environment variable that forces (and, after a re-exec, records) the --no-huge fallback. */
#define BENCH_ENV_FALLBACK "MFLOW_BENCH_NO_HUGE"

/* Dataplane port indexes as the instance knows them. */
#define BP_UL 0
#define BP_E4 1
#define BP_E6 2
#define BP_N  3

enum bench_mode {
	BENCH_STAGE = 0,
	BENCH_IO_RING,
	BENCH_IO_NULL,
	BENCH_MODES,
};

static const char *const mode_names[BENCH_MODES] = {"stage", "with_io", "with_io_free"};

struct bench_opts {
	bool quick;
	bool no_huge;
	bool no_io;
	bool rt;
	const char *json_path;
	const char *filter;
	int cpu;
	unsigned int burst;
	unsigned int iters;
	unsigned int warmup;
	unsigned int rounds;
	unsigned int mbufs;
	unsigned int fdb_size;
};

/** The result of one mode of one case. */
struct bench_res {
	bool ran;
	double cpp_med; /**< Median over passes of TSC cycles per packet (best round). */
	double cpp_min; /**< Fastest pass of any round. */
	double cpp_max; /**< Slowest pass of any round. */
	uint64_t pkts;	/**< Packets processed in timed passes, all rounds. */
	unsigned int passes;
	unsigned int rounds;
	double round_med[BENCH_MAX_ROUNDS]; /**< Median of each round. */
};

struct bench_case {
	char name[48];
	bool encap;
	int family;	    /**< Underlay family. */
	uint32_t inner_len; /**< Inner frame length. */
	uint32_t flows;
	uint32_t frame_len; /**< Length of the frames fed, set by the run. */
	struct bench_res res[BENCH_MODES];
};

/** The frames of one case. */
struct bench_set {
	const struct bench_case *c;
	uint32_t n;	    /**< Frames per pass. */
	uint32_t len;	    /**< Length of every frame fed. */
	uint32_t inner_off; /**< Offset of the inner frame in a template. */
	uint8_t *tmpl;	    /**< One template per flow, BENCH_FRAME_MAX bytes apart. */
	struct rte_mbuf **m;
	struct rte_mbuf **scratch;
	bool owned;	   /**< m[] holds mbufs this program owns. */
	uint16_t in_ep;	   /**< Endpoint index of encap input. */
	uint16_t out_port; /**< Dataplane port index every output must use. */
	uint32_t vni;
};

struct bench_env {
	struct bench_opts o;
	uint64_t tsc_hz;
	char eal_args[256];
	const char *eal_mem;
	const char *fallback;
	bool rt_active;
	struct rte_mempool *pool;
	struct vx_inst *vx;
	struct vx_stats st;
	struct vx_out out;
	struct vx_ip l4, l6, r4, r6;
	struct rte_ether_addr ul_mac, nh_mac, e4_mac, e6_mac;
	uint16_t ep4, ep6;
	/* I/O ports. */
	bool ring_ok, null_ok;
	uint16_t ul_dev, ep_dev, null_dev;
	struct rte_ring *ul_rx, *ul_tx, *ep_rx, *ep_tx;
	struct rte_eth_dev_tx_buffer *txb[BP_N];
	uint16_t txdev[BP_N];
	uint64_t unsent;
};

static struct bench_env env;

#define LOG(fmt, ...) fprintf(stderr, "mflow-bench: " fmt "\n", ##__VA_ARGS__)

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mflow-bench [options]\n"
		"  --quick        short run (< 30 s): %u timed passes per case and mode\n"
		"  --json FILE    write the JSON report to FILE instead of stdout\n"
		"  --cpu N        run on CPU N (default: 1 if present, else 0)\n"
		"  --burst N      frames per burst, 1-%u (default 32)\n"
		"  --iters N      timed passes per case and mode in each round (default %u)\n"
		"  --rounds N     run every case N times, 1-%u, keep the best median\n"
		"                 (default %u, 2 with --quick)\n"
		"  --mbufs N      frames per pass, 1-%u (default %u)\n"
		"  --fdb-size N   FDB capacity, 1024-4194304 (default 65536, as mflowd)\n"
		"  --case TEXT    run only cases whose name contains TEXT\n"
		"  --no-io        skip the with_io and with_io_free modes\n"
		"  --no-huge      do not try hugepages (EAL --no-huge -m 1024 --no-shconf)\n"
		"  --rt           run the benchmark thread SCHED_FIFO (needs root): fewer\n"
		"                 context switches on a busy machine\n"
		"  --help         this text\n"
		"The JSON report goes to stdout unless --json is given; the table goes to "
		"stderr.\n",
		BENCH_QUICK_ITERS, BENCH_MAX_BURST, BENCH_FULL_ITERS, BENCH_MAX_ROUNDS,
		BENCH_FULL_ROUNDS, BENCH_MAX_MBUFS, BENCH_DEF_MBUFS);
}

static int
parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* @return 0, 1 for --help, or -EINVAL. */
static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	enum {
		OPT_QUICK = 256,
		OPT_JSON,
		OPT_CPU,
		OPT_BURST,
		OPT_ITERS,
		OPT_ROUNDS,
		OPT_RT,
		OPT_MBUFS,
		OPT_CASE,
		OPT_FDB,
		OPT_NO_IO,
		OPT_NO_HUGE,
		OPT_HELP,
	};
	static const struct option lopts[] = {
		{"quick", no_argument, NULL, OPT_QUICK},
		{"json", required_argument, NULL, OPT_JSON},
		{"cpu", required_argument, NULL, OPT_CPU},
		{"burst", required_argument, NULL, OPT_BURST},
		{"iters", required_argument, NULL, OPT_ITERS},
		{"rounds", required_argument, NULL, OPT_ROUNDS},
		{"rt", no_argument, NULL, OPT_RT},
		{"mbufs", required_argument, NULL, OPT_MBUFS},
		{"case", required_argument, NULL, OPT_CASE},
		{"fdb-size", required_argument, NULL, OPT_FDB},
		{"no-io", no_argument, NULL, OPT_NO_IO},
		{"no-huge", no_argument, NULL, OPT_NO_HUGE},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	bool iters_set = false, rounds_set = false;
	cpu_set_t set;
	unsigned int v;
	int c;

	memset(o, 0, sizeof(*o));
	o->cpu = -1;
	o->burst = 32;
	o->mbufs = BENCH_DEF_MBUFS;
	o->fdb_size = 65536;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case OPT_CPU:
			if (parse_uint(optarg, 0, CPU_SETSIZE - 1, &v) != 0)
				goto out_bad;
			o->cpu = (int)v;
			break;
		case OPT_BURST:
			if (parse_uint(optarg, 1, BENCH_MAX_BURST, &o->burst) != 0)
				goto out_bad;
			break;
		case OPT_ITERS:
			if (parse_uint(optarg, 1, 1000000, &o->iters) != 0)
				goto out_bad;
			iters_set = true;
			break;
		case OPT_ROUNDS:
			if (parse_uint(optarg, 1, BENCH_MAX_ROUNDS, &o->rounds) != 0)
				goto out_bad;
			rounds_set = true;
			break;
		case OPT_RT:
			o->rt = true;
			break;
		case OPT_MBUFS:
			if (parse_uint(optarg, 1, BENCH_MAX_MBUFS, &o->mbufs) != 0)
				goto out_bad;
			break;
		case OPT_CASE:
			o->filter = optarg;
			break;
		case OPT_FDB:
			if (parse_uint(optarg, 1024, 1u << 22, &o->fdb_size) != 0)
				goto out_bad;
			break;
		case OPT_NO_IO:
			o->no_io = true;
			break;
		case OPT_NO_HUGE:
			o->no_huge = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			goto out_bad;
		}
	}
	if (optind != argc) {
		LOG("unexpected argument '%s'", argv[optind]);
		goto out_bad;
	}
	if (!iters_set)
		o->iters = o->quick ? BENCH_QUICK_ITERS : BENCH_FULL_ITERS;
	if (!rounds_set)
		o->rounds = o->quick ? 2 : BENCH_FULL_ROUNDS;
	o->warmup = o->quick ? BENCH_QUICK_WARMUP : BENCH_FULL_WARMUP;
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		LOG("cannot read the CPU affinity: %s", strerror(errno));
		return -EINVAL;
	}
	if (o->cpu < 0) {
		o->cpu = CPU_ISSET(1, &set) ? 1 : 0;
	} else if (!CPU_ISSET(o->cpu, &set)) {
		LOG("CPU %d is not available to this process", o->cpu);
		return -EINVAL;
	}
	return 0;

out_bad:
	if (c != '?')
		LOG("bad value for an option");
	usage(stderr);
	return -EINVAL;
}

/* ------------------------------------------------------------------------- */
/* EAL start-up with the hugepage fallback.                                  */

/* @return free hugepage memory in bytes according to /proc/meminfo. */
static uint64_t
hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long free_pages = 0, size_kb = 0;
	char line[256];

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %llu", &free_pages) == 1)
			continue;
		if (sscanf(line, "Hugepagesize: %llu kB", &size_kb) == 1)
			continue;
	}
	fclose(f);
	return (uint64_t)free_pages * size_kb * 1024;
}

/* Memory the benchmark needs from EAL: the pool plus rings and EAL's own. */
static uint64_t
mem_needed(const struct bench_opts *o)
{
	return (uint64_t)rte_align32pow2(o->mbufs + 1024) * 2560 + (64ull << 20);
}

/* Start over as "argv... --no-huge" after a failed hugepage EAL start. */
static void
reexec_no_huge(int argc, char **argv)
{
	char **nargv = calloc((size_t)argc + 2, sizeof(*nargv));

	if (nargv == NULL)
		return;
	memcpy(nargv, argv, sizeof(*nargv) * (size_t)argc);
	nargv[argc] = (char *)"--no-huge";
	setenv(BENCH_ENV_FALLBACK, "eal-init-failed", 1);
	fflush(NULL);
	execv("/proc/self/exe", nargv);
	LOG("cannot re-execute: %s", strerror(errno));
	free(nargv);
}

static int
eal_start(const struct bench_opts *o, bool huge, const char *prog)
{
	static char lcores[16], prefix[64];
	char *args[16];
	int n = 0, rc;
	size_t used = 0;

	snprintf(lcores, sizeof(lcores), "%d", o->cpu);
	/* With --in-memory or --no-shconf nothing is shared, so one fixed prefix leaves one runtime
	 * directory. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=mflow-bench");
	args[n++] = (char *)prog;
	args[n++] = (char *)"-l";
	args[n++] = lcores;
	args[n++] = (char *)"--no-pci";
	args[n++] = (char *)"--no-telemetry";
	args[n++] = (char *)"--log-level=lib.eal:warning";
	args[n++] = prefix;
	if (huge) {
		args[n++] = (char *)"--in-memory";
	} else {
		args[n++] = (char *)"--no-huge";
		args[n++] = (char *)"-m";
		args[n++] = (char *)"1024";
		args[n++] = (char *)"--no-shconf";
	}
	args[n] = NULL;
	env.eal_args[0] = '\0';
	/* Kept for the report; the arguments are short, so nothing is cut. */
	for (int i = 1; i < n && used < sizeof(env.eal_args); i++)
		used += (size_t)snprintf(env.eal_args + used, sizeof(env.eal_args) - used, "%s%s",
					 i > 1 ? " " : "", args[i]);
	rc = rte_eal_init(n, args);
	if (rc < 0)
		return -rte_errno;
	test_eal_cleanup_at_exit();
	env.eal_mem = huge ? "hugepages" : "no-huge";
	return 0;
}

/* ------------------------------------------------------------------------- */
/* The instance and the ports.                                               */

static struct rte_ether_addr
mac_of(uint8_t a, uint8_t b, uint8_t c)
{
	struct rte_ether_addr m = {{0x02, 0x00, 0x00, a, b, c}};

	return m;
}

static int
inst_setup(void)
{
	struct vx_params p = {0};
	struct vx_endpoint ep = {0};
	uint8_t plen;
	int rc;

	env.ul_mac = mac_of(0, 0, 1);
	env.nh_mac = mac_of(0, 0, 2);
	env.e4_mac = mac_of(0, 1, 1);
	env.e6_mac = mac_of(0, 2, 1);
	if (vx_prefix_parse("198.18.0.1/24", &p.ip4, &p.plen4) != 0 ||
	    vx_prefix_parse("2001:2::1/64", &p.ip6, &p.plen6) != 0 ||
	    vx_prefix_parse("198.18.0.2/32", &env.r4, &plen) != 0 ||
	    vx_prefix_parse("2001:2::2/128", &env.r6, &plen) != 0)
		return -EINVAL;
	env.l4 = p.ip4;
	env.l6 = p.ip6;
	p.mac = env.ul_mac;
	p.mtu = 1500;
	p.udp_port = VX_UDP_PORT;
	p.underlay_port = BP_UL;
	p.strict_reserved = true;
	p.fdb_size = env.o.fdb_size;
	p.fdb_age = env.tsc_hz * 300;
	p.neigh.reachable = env.tsc_hz * 30;
	p.neigh.retrans = env.tsc_hz;
	p.neigh.failed = env.tsc_hz * 5;
	p.neigh.max_probes = 3;
	p.pool = env.pool;
	p.socket = (int)rte_socket_id();
	env.vx = vx_create(&p);
	if (env.vx == NULL)
		return -errno;
	if ((rc = vx_vni_add(env.vx, BENCH_VNI4)) < 0 ||
	    (rc = vx_vni_add(env.vx, BENCH_VNI6)) < 0 ||
	    (rc = vx_vtep_add(env.vx, BENCH_VNI4, &env.r4)) < 0 ||
	    (rc = vx_vtep_add(env.vx, BENCH_VNI6, &env.r6)) < 0 ||
	    (rc = vx_neigh_add_static(env.vx, &env.r4, &env.nh_mac)) < 0 ||
	    (rc = vx_neigh_add_static(env.vx, &env.r6, &env.nh_mac)) < 0)
		return rc;
	snprintf(ep.name, sizeof(ep.name), "c4");
	ep.mac = env.e4_mac;
	ep.vni = BENCH_VNI4;
	ep.port = BP_E4;
	ep.mtu = 1500;
	rc = vx_endpoint_add(env.vx, &ep);
	if (rc < 0)
		return rc;
	env.ep4 = (uint16_t)rc;
	snprintf(ep.name, sizeof(ep.name), "c6");
	ep.mac = env.e6_mac;
	ep.vni = BENCH_VNI6;
	ep.port = BP_E6;
	rc = vx_endpoint_add(env.vx, &ep);
	if (rc < 0)
		return rc;
	env.ep6 = (uint16_t)rc;
	return 0;
}

static int
port_start(uint16_t port)
{
	struct rte_eth_conf conf;
	int socket = (int)rte_socket_id();
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, 1024, (unsigned int)socket, NULL, env.pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, 1024, (unsigned int)socket, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

static struct rte_ring *
ring_new(const char *name)
{
	unsigned int size = rte_align32pow2(env.o.mbufs + 1);

	return rte_ring_create(name, size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int
ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx, uint16_t *dev)
{
	int port;

	if (rx == NULL || tx == NULL)
		return -ENOMEM;
	port = rte_eth_from_rings(name, &rx, 1, &tx, 1, rte_socket_id());
	if (port < 0)
		return -ENODEV;
	*dev = (uint16_t)port;
	return port_start(*dev);
}

/* Create the I/O ports; a mode whose ports fail is skipped, not fatal. */
static void
io_setup(void)
{
	int rc;

	for (unsigned int i = 0; i < BP_N; i++) {
		env.txb[i] = rte_zmalloc_socket("bench_txb", RTE_ETH_TX_BUFFER_SIZE(env.o.burst), 0,
						(int)rte_socket_id());
		if (env.txb[i] == NULL) {
			LOG("cannot allocate TX buffers; I/O modes skipped");
			return;
		}
		rte_eth_tx_buffer_init(env.txb[i], (uint16_t)env.o.burst);
		rte_eth_tx_buffer_set_err_callback(env.txb[i], rte_eth_tx_buffer_count_callback,
						   &env.unsent);
	}
	env.ul_rx = ring_new("bench_ul_rx");
	env.ul_tx = ring_new("bench_ul_tx");
	env.ep_rx = ring_new("bench_ep_rx");
	env.ep_tx = ring_new("bench_ep_tx");
	rc = ring_port("bench_ul", env.ul_rx, env.ul_tx, &env.ul_dev);
	if (rc == 0)
		rc = ring_port("bench_ep", env.ep_rx, env.ep_tx, &env.ep_dev);
	if (rc != 0)
		LOG("net_ring ports failed (%s); with_io skipped", strerror(-rc));
	env.ring_ok = rc == 0;
	if (!env.ring_ok)
		return;
	rc = rte_vdev_init("net_null0", "copy=0");
	if (rc == 0)
		rc = rte_eth_dev_get_port_by_name("net_null0", &env.null_dev);
	if (rc == 0)
		rc = port_start(env.null_dev);
	if (rc != 0)
		LOG("net_null port failed (%s); with_io_free skipped", strerror(rc < 0 ? -rc : rc));
	env.null_ok = rc == 0;
}

/* ------------------------------------------------------------------------- */
/* Frames.                                                                   */

/* Build the templates of a case and the FDB entries it relies on. */
static int
set_build(struct bench_set *s, const struct bench_case *c)
{
	bool v4 = c->family == AF_INET;
	uint8_t inner[BENCH_FRAME_MAX];
	int rc;

	memset(s, 0, sizeof(*s));
	s->c = c;
	s->n = env.o.mbufs;
	s->vni = v4 ? BENCH_VNI4 : BENCH_VNI6;
	s->in_ep = v4 ? env.ep4 : env.ep6;
	s->out_port = c->encap ? BP_UL : (v4 ? BP_E4 : BP_E6);
	s->inner_off = c->encap ? 0 : (v4 ? VX_ENCAP4_LEN : VX_ENCAP6_LEN);
	s->len = c->inner_len + s->inner_off;
	s->tmpl = calloc(c->flows, BENCH_FRAME_MAX);
	s->m = calloc(s->n, sizeof(*s->m));
	s->scratch = calloc(s->n, sizeof(*s->scratch));
	if (s->tmpl == NULL || s->m == NULL || s->scratch == NULL)
		return -ENOMEM;
	for (uint32_t f = 0; f < c->flows; f++) {
		uint8_t *t = s->tmpl + (size_t)f * BENCH_FRAME_MAX;
		struct bench_flow fl;
		uint8_t hi = (uint8_t)(f >> 8), lo = (uint8_t)f;

		fl.dport = 9000;
		fl.sport = (uint16_t)(1024 + f);
		if (c->encap) {
			/* Container -> remote MACs behind the VTEP, one static entry per flow. */
			fl.dst = mac_of(v4 ? 0xbb : 0xbc, hi, lo);
			fl.src = v4 ? env.e4_mac : env.e6_mac;
			fl.ip_src = RTE_BE32(RTE_IPV4(198, 19, 200, 1));
			fl.ip_dst = rte_cpu_to_be_32(RTE_IPV4(198, 19, hi, lo));
			if (bench_inner_frame(t, c->inner_len, &fl) == 0)
				return -EINVAL;
			rc = vx_fdb_static_remote(env.vx, s->vni, &fl.dst, v4 ? &env.r4 : &env.r6);
			if (rc != 0)
				return rc;
		} else {
			/* Remote MACs -> the container; learned during warm-up. */
			fl.dst = v4 ? env.e4_mac : env.e6_mac;
			fl.src = mac_of(v4 ? 0xaa : 0xab, hi, lo);
			fl.ip_src = rte_cpu_to_be_32(RTE_IPV4(198, 19, hi, lo));
			fl.ip_dst = RTE_BE32(RTE_IPV4(198, 19, 200, 1));
			if (bench_inner_frame(inner, c->inner_len, &fl) == 0)
				return -EINVAL;
			if (bench_vxlan_frame(t, inner, c->inner_len, &env.ul_mac, &env.nh_mac,
					      v4 ? &env.r4 : &env.r6, v4 ? &env.l4 : &env.l6,
					      s->vni, (uint16_t)(0xc000 | (f & 0x3fff))) != s->len)
				return -EINVAL;
		}
	}
	return 0;
}

static const uint8_t *
set_tmpl(const struct bench_set *s, uint32_t i)
{
	return s->tmpl + (size_t)(i % s->c->flows) * BENCH_FRAME_MAX;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return (x > y) - (x < y);
}

/*
 * Allocate fresh mbufs and copy the templates into them. The mbufs are put
 * in address order, so that every pass and every case walks memory the same
 * way, whatever order earlier cases left the pool in.
 */
static int
set_fill(struct bench_set *s)
{
	if (rte_pktmbuf_alloc_bulk(env.pool, s->m, s->n) != 0)
		return -ENOMEM;
	s->owned = true;
	qsort(s->m, s->n, sizeof(*s->m), cmp_ptr);
	for (uint32_t i = 0; i < s->n; i++) {
		char *p = rte_pktmbuf_append(s->m[i], (uint16_t)s->len);

		if (p == NULL)
			return -ENOSPC;
		memcpy(p, set_tmpl(s, i), s->len);
	}
	return 0;
}

/* Undo what the stage did to the mbufs: only offsets and lengths change. */
static inline void
set_reset(struct bench_set *s)
{
	for (uint32_t i = 0; i < s->n; i++) {
		struct rte_mbuf *m = s->m[i];

		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = (uint16_t)s->len;
		m->pkt_len = s->len;
	}
}

static void
set_release(struct bench_set *s)
{
	if (s->owned)
		rte_pktmbuf_free_bulk(s->m, s->n);
	s->owned = false;
}

static void
set_free(struct bench_set *s)
{
	set_release(s);
	free(s->tmpl);
	free(s->m);
	free(s->scratch);
}

/* @return the number of frames whose bytes differ from their template. */
static uint32_t
set_check_input(const struct bench_set *s)
{
	uint32_t bad = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		const struct rte_mbuf *m = s->m[i];

		if (m->nb_segs != 1 || m->pkt_len != s->len ||
		    memcmp(rte_pktmbuf_mtod(m, const uint8_t *), set_tmpl(s, i), s->len) != 0)
			bad++;
	}
	return bad;
}

/* @return the number of processed frames that are not what the datapath must produce. */
static uint32_t
set_check_output(const struct bench_set *s)
{
	bool v4 = s->c->family == AF_INET;
	struct vx_parse_cfg rc = {.udp_port = VX_UDP_PORT, .strict_reserved = true};
	uint32_t bad = 0;

	if (v4) {
		rc.ip4 = env.r4.v4;
	} else {
		memcpy(rc.ip6, env.r6.v6, 16);
		rc.has_ip6 = true;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		const struct rte_mbuf *m = s->m[i];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		const uint8_t *inner = set_tmpl(s, i) + s->inner_off;
		struct vx_parsed r;

		if (!s->c->encap) {
			bad += m->pkt_len != s->c->inner_len || m->data_len != m->pkt_len ||
			       memcmp(p, inner, s->c->inner_len) != 0;
			continue;
		}
		/* Parse the output as the remote VTEP would. */
		if (m->nb_segs != 1 ||
		    vx_parse_underlay(p, m->data_len, m->pkt_len, &rc, &r) != VX_CLASS_VXLAN ||
		    r.vni != s->vni || !vx_ip_eq(&r.src, v4 ? &env.l4 : &env.l6) ||
		    r.inner_len != s->c->inner_len ||
		    memcmp(p, &env.nh_mac, RTE_ETHER_ADDR_LEN) != 0 ||
		    memcmp(p + r.outer_len, inner, s->c->inner_len) != 0 ||
		    (r.udp_csum && !vx_udp_csum_ok_raw(p, m->pkt_len, &r)) ||
		    (!v4 && !r.udp_csum)) {
			bad++;
		}
	}
	return bad;
}

/* ------------------------------------------------------------------------- */
/* Measurement.                                                              */

static inline void
stage_burst(const struct bench_set *s, struct rte_mbuf **pkts, uint16_t k, uint64_t now)
{
	if (s->c->encap)
		vx_endpoint_input(env.vx, s->in_ep, pkts, k, now, &env.out, &env.st);
	else
		vx_underlay_input(env.vx, pkts, k, now, &env.out, &env.st);
}

/* One pass over every frame; @return the number of frames output. */
static inline uint64_t
stage_pass(const struct bench_set *s)
{
	const uint16_t burst = (uint16_t)env.o.burst;
	uint64_t outs = 0;

	for (uint32_t i = 0; i < s->n; i += burst) {
		uint16_t k = (uint16_t)RTE_MIN((uint32_t)burst, s->n - i);

		stage_burst(s, s->m + i, k, rte_rdtsc());
		outs += env.out.n;
		env.out.n = 0;
	}
	return outs;
}

/* Like stage_pass(), checking that each frame comes out in place and on the right port. */
static int
stage_pass_checked(const struct bench_set *s)
{
	const uint16_t burst = (uint16_t)env.o.burst;

	for (uint32_t i = 0; i < s->n; i += burst) {
		uint16_t k = (uint16_t)RTE_MIN((uint32_t)burst, s->n - i);

		stage_burst(s, s->m + i, k, rte_rdtsc());
		if (env.out.n != k) {
			LOG("%s: burst at %u: %u frames in, %u out", s->c->name, i, k, env.out.n);
			env.out.n = 0;
			return -EIO;
		}
		for (uint16_t j = 0; j < k; j++) {
			if (env.out.pkts[j] != s->m[i + j] || env.out.port[j] != s->out_port) {
				LOG("%s: frame %u left by port %u, not in place on port %u",
				    s->c->name, i + j, env.out.port[j], s->out_port);
				env.out.n = 0;
				return -EIO;
			}
		}
		env.out.n = 0;
	}
	return 0;
}

/* Compare the counters with a snapshot: @p expect frames processed, no drop, no flood. */
static int
check_stats(const struct bench_set *s, const struct vx_stats *before, uint64_t expect,
	    const char *mode)
{
	enum vx_stat done = s->c->encap ? VX_STAT_encap_pkts : VX_STAT_decap_pkts;
	uint64_t got = env.st.stat[done] - before->stat[done];
	uint64_t flood = env.st.stat[VX_STAT_flood_copies] - before->stat[VX_STAT_flood_copies];
	int rc = 0;

	for (unsigned int r = 0; r < VX_DROP__MAX; r++) {
		uint64_t d = env.st.drop[r] - before->drop[r];

		if (d != 0) {
			LOG("%s/%s: %" PRIu64 " drops '%s'", s->c->name, mode, d, vx_drop_names[r]);
			rc = -EIO;
		}
	}
	if (got != expect || flood != 0) {
		LOG("%s/%s: %s %" PRIu64 " of %" PRIu64 " frames, %" PRIu64 " flood copies",
		    s->c->name, mode, vx_stat_names[done], got, expect, flood);
		rc = -EIO;
	}
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Fold the passes of one round into the result: the best round's median wins. */
static void
summarise(double *cpp, unsigned int n, uint32_t frames, struct bench_res *r)
{
	double med;

	qsort(cpp, n, sizeof(*cpp), cmp_double);
	med = n % 2 ? cpp[n / 2] : (cpp[n / 2 - 1] + cpp[n / 2]) / 2;
	if (!r->ran || med < r->cpp_med)
		r->cpp_med = med;
	if (!r->ran || cpp[0] < r->cpp_min)
		r->cpp_min = cpp[0];
	if (!r->ran || cpp[n - 1] > r->cpp_max)
		r->cpp_max = cpp[n - 1];
	r->ran = true;
	r->passes += n;
	r->pkts += (uint64_t)n * frames;
	if (r->rounds < BENCH_MAX_ROUNDS)
		r->round_med[r->rounds] = med;
	r->rounds++;
}

static int
run_stage(struct bench_set *s, struct bench_res *r)
{
	const struct bench_opts *o = &env.o;
	struct vx_stats before = env.st;
	double *cpp = calloc(o->iters, sizeof(*cpp));
	uint32_t bad;
	int rc = -EIO;

	if (cpp == NULL)
		return -ENOMEM;
	/* The first pass checks every output (and, for decap, learns the MACs). */
	set_reset(s);
	if (stage_pass_checked(s) != 0)
		goto out_free;
	bad = set_check_output(s);
	if (bad != 0) {
		LOG("%s: %u of %u outputs are wrong", s->c->name, bad, s->n);
		goto out_free;
	}
	for (unsigned int w = 0; w < o->warmup; w++) {
		set_reset(s);
		stage_pass(s);
	}
	for (unsigned int p = 0; p < o->iters; p++) {
		uint64_t t0, t1, outs;

		set_reset(s);
		t0 = rte_rdtsc_precise();
		outs = stage_pass(s);
		t1 = rte_rdtsc_precise();
		if (outs != s->n) {
			LOG("%s: pass %u output %" PRIu64 " of %u frames", s->c->name, p, outs,
			    s->n);
			goto out_free;
		}
		cpp[p] = (double)(t1 - t0) / s->n;
	}
	if (check_stats(s, &before, (uint64_t)s->n * (1 + o->warmup + o->iters), "stage") != 0)
		goto out_free;
	/* The invariant the reset relies on: the input bytes are untouched. */
	set_reset(s);
	bad = set_check_input(s);
	if (bad != 0) {
		LOG("%s: %u frames changed after reset: the stage wrote outside the headroom",
		    s->c->name, bad);
		goto out_free;
	}
	summarise(cpp, o->iters, s->n, r);
	rc = 0;
out_free:
	free(cpp);
	return rc;
}

/* Queue the output on the TX buffers of its ports, as dp_loop() does. */
static inline void
out_to_tx(void)
{
	for (uint16_t i = 0; i < env.out.n; i++) {
		uint16_t pi = env.out.port[i];

		rte_eth_tx_buffer(env.txdev[pi], 0, env.txb[pi], env.out.pkts[i]);
	}
	env.st.stat[VX_STAT_tx_pkts] += env.out.n;
	env.out.n = 0;
}

/* RX every frame queued on @p rxdev, run the stage, TX: @return the TSC cycles taken. */
static int
io_pass(const struct bench_set *s, uint16_t rxdev, uint64_t *cycles)
{
	const uint16_t burst = (uint16_t)env.o.burst;
	struct rte_mbuf *pkts[BENCH_MAX_BURST];
	uint32_t got = 0;
	uint64_t t0, t1;

	t0 = rte_rdtsc_precise();
	while (got < s->n) {
		uint64_t now = rte_rdtsc();
		uint16_t k = rte_eth_rx_burst(rxdev, 0, pkts, burst);

		if (unlikely(k == 0))
			break;
		stage_burst(s, pkts, k, now);
		out_to_tx();
		got += k;
	}
	for (unsigned int i = 0; i < BP_N; i++)
		rte_eth_tx_buffer_flush(env.txdev[i], 0, env.txb[i]);
	t1 = rte_rdtsc_precise();
	*cycles = t1 - t0;
	if (got != s->n) {
		LOG("%s: received %u of %u frames", s->c->name, got, s->n);
		return -EIO;
	}
	return 0;
}

static int
run_io(struct bench_set *s, enum bench_mode mode, struct bench_res *r)
{
	const struct bench_opts *o = &env.o;
	const char *mname = mode_names[mode];
	bool ring = mode == BENCH_IO_RING;
	uint16_t rxdev = s->c->encap ? env.ep_dev : env.ul_dev;
	struct rte_ring *rxr = s->c->encap ? env.ep_rx : env.ul_rx;
	struct rte_ring *txr = s->c->encap ? env.ul_tx : env.ep_tx;
	unsigned int total = o->warmup + o->iters;
	struct vx_stats before = env.st;
	struct rte_eth_stats ps0, ps1;
	double *cpp = calloc(o->iters, sizeof(*cpp));
	int rc = -EIO;

	if (cpp == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < BP_N; i++)
		env.txdev[i] = ring ? (i == BP_UL ? env.ul_dev : env.ep_dev) : env.null_dev;
	env.unsent = 0;
	rte_eth_stats_get(env.null_dev, &ps0);
	for (unsigned int p = 0; p < total; p++) {
		uint64_t cycles;

		/* Untimed: put the frames back on the RX ring. */
		if (ring) {
			set_reset(s);
		} else if (set_fill(s) != 0) {
			LOG("%s/%s: out of mbufs", s->c->name, mname);
			goto out_free;
		}
		if (rte_ring_enqueue_bulk(rxr, (void **)s->m, s->n, NULL) != s->n) {
			LOG("%s/%s: RX ring refused the frames", s->c->name, mname);
			goto out_free;
		}
		if (!ring)
			s->owned = false; /* The null port frees them. */
		if (io_pass(s, rxdev, &cycles) != 0)
			goto out_free;
		if (p >= o->warmup)
			cpp[p - o->warmup] = (double)cycles / s->n;
		if (env.unsent != 0) {
			LOG("%s/%s: %" PRIu64 " frames not transmitted", s->c->name, mname,
			    env.unsent);
			goto out_free;
		}
		if (!ring)
			continue;
		/* Untimed: collect the frames from the TX ring, in order. */
		if (rte_ring_dequeue_bulk(txr, (void **)s->scratch, s->n, NULL) != s->n ||
		    memcmp(s->scratch, s->m, sizeof(*s->m) * s->n) != 0) {
			LOG("%s/%s: TX ring does not hold the frames in order", s->c->name, mname);
			goto out_free;
		}
		if (p == 0 && set_check_output(s) != 0) {
			LOG("%s/%s: wrong output", s->c->name, mname);
			goto out_free;
		}
	}
	if (check_stats(s, &before, (uint64_t)s->n * total, mname) != 0)
		goto out_free;
	if (!ring) {
		rte_eth_stats_get(env.null_dev, &ps1);
		if (ps1.opackets - ps0.opackets != (uint64_t)s->n * total) {
			LOG("%s/%s: null port sent %" PRIu64 " of %" PRIu64, s->c->name, mname,
			    ps1.opackets - ps0.opackets, (uint64_t)s->n * total);
			goto out_free;
		}
	}
	summarise(cpp, o->iters, s->n, r);
	rc = 0;
out_free:
	/* Whatever is still queued goes back to the pool. */
	if (rc != 0) {
		void *m;

		while (rte_ring_dequeue(rxr, &m) == 0)
			if (!ring)
				rte_pktmbuf_free(m);
		while (rte_ring_dequeue(txr, &m) == 0)
			if (!ring)
				rte_pktmbuf_free(m);
	}
	free(cpp);
	return rc;
}

static int
run_case(struct bench_case *c)
{
	struct bench_set s;
	int rc;

	rc = set_build(&s, c);
	if (rc == 0)
		rc = set_fill(&s);
	if (rc != 0) {
		LOG("%s: cannot build frames: %s", c->name, strerror(-rc));
		goto out_free;
	}
	c->frame_len = s.len;
	rc = run_stage(&s, &c->res[BENCH_STAGE]);
	if (rc != 0 || env.o.no_io)
		goto out_free;
	if (env.ring_ok) {
		rc = run_io(&s, BENCH_IO_RING, &c->res[BENCH_IO_RING]);
		if (rc != 0)
			goto out_free;
	}
	if (env.null_ok) {
		set_release(&s);
		rc = run_io(&s, BENCH_IO_NULL, &c->res[BENCH_IO_NULL]);
	}
out_free:
	set_free(&s);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Reporting.                                                                */

static unsigned int
make_cases(struct bench_case *cs)
{
	static const struct {
		int family;
		uint32_t inner_len, flows;
	} shapes[] = {
		{AF_INET, 64, 1},      {AF_INET, 64, 1000}, {AF_INET, 1400, 1},
		{AF_INET, 1400, 1000}, {AF_INET6, 64, 1},   {AF_INET6, 1400, 1},
	};
	unsigned int n = 0;

	for (int encap = 0; encap < 2; encap++) {
		for (unsigned int i = 0; i < RTE_DIM(shapes); i++) {
			struct bench_case *c = &cs[n];

			memset(c, 0, sizeof(*c));
			c->encap = encap;
			c->family = shapes[i].family;
			c->inner_len = shapes[i].inner_len;
			c->flows = shapes[i].flows;
			snprintf(c->name, sizeof(c->name), "%s_%s_%uB_%uflow%s",
				 encap ? "encap" : "decap", c->family == AF_INET ? "v4" : "v6",
				 c->inner_len, c->flows, c->flows > 1 ? "s" : "");
			if (env.o.filter == NULL || strstr(c->name, env.o.filter) != NULL)
				n++;
		}
	}
	return n;
}

static double
mpps(double cpp)
{
	return cpp > 0 ? (double)env.tsc_hz / cpp / 1e6 : 0;
}

static double
round2(double x)
{
	return (double)(int64_t)(x * 100 + (x < 0 ? -0.5 : 0.5)) / 100;
}

/* Run a command; @return its first output line without the newline, or NULL. */
static json_t *
cmd_line(const char *cmd)
{
	char buf[256];
	FILE *p = popen(cmd, "r");
	bool ok;

	if (p == NULL)
		return json_null();
	ok = fgets(buf, sizeof(buf), p) != NULL;
	if (pclose(p) != 0 || !ok)
		return json_null();
	buf[strcspn(buf, "\r\n")] = '\0';
	return json_string(buf);
}

static json_t *
git_info(void)
{
	json_t *g = json_object();
	char cmd[PATH_MAX + 128];
	json_t *dirty;

	if (strchr(MFLOW_SRC_DIR, '\'') != NULL) {
		json_object_set_new(g, "commit", json_null());
		return g;
	}
	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse --short HEAD 2>/dev/null", MFLOW_SRC_DIR);
	json_object_set_new(g, "commit", cmd_line(cmd));
	/* Any line of output means a modified tracked file. */
	snprintf(cmd, sizeof(cmd),
		 "git -C '%s' status --porcelain --untracked-files=no 2>/dev/null | head -1",
		 MFLOW_SRC_DIR);
	dirty = cmd_line(cmd);
	json_object_set_new(g, "dirty", json_boolean(json_is_string(dirty)));
	json_decref(dirty);
	return g;
}

static json_t *
machine_info(void)
{
	json_t *m = json_object();
	char host[256] = "", line[512], model[256] = "";
	struct utsname u;
	FILE *f;

	if (gethostname(host, sizeof(host) - 1) == 0)
		json_object_set_new(m, "hostname", json_string(host));
	f = fopen("/proc/cpuinfo", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	json_object_set_new(m, "cpu_model", json_string(model));
	json_object_set_new(m, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	if (uname(&u) == 0)
		json_object_set_new(m, "kernel", json_string(u.release));
	return m;
}

static json_t *
res_json(const struct bench_res *r)
{
	json_t *o, *rm;

	if (!r->ran)
		return json_null();
	o = json_object();
	json_object_set_new(o, "cycles_per_pkt", json_real(round2(r->cpp_med)));
	json_object_set_new(o, "cycles_per_pkt_min", json_real(round2(r->cpp_min)));
	json_object_set_new(o, "cycles_per_pkt_max", json_real(round2(r->cpp_max)));
	json_object_set_new(o, "mpps", json_real(round2(mpps(r->cpp_med))));
	json_object_set_new(o, "pkts", json_integer((json_int_t)r->pkts));
	json_object_set_new(o, "passes", json_integer(r->passes));
	rm = json_array();
	for (unsigned int i = 0; i < r->rounds && i < BENCH_MAX_ROUNDS; i++)
		json_array_append_new(rm, json_real(round2(r->round_med[i])));
	json_object_set_new(o, "round_medians", rm);
	return o;
}

static bool
has_target(const struct bench_case *c)
{
	return c->inner_len == 64;
}

static json_t *
report_json(const struct bench_case *cs, unsigned int n, bool ok)
{
	json_t *root = json_object(), *cases = json_array(), *run = json_object();
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(root, "tool", json_string("mflow-bench"));
	json_object_set_new(root, "date", json_string(date));
	json_object_set_new(root, "git", git_info());
	json_object_set_new(root, "machine", machine_info());
	json_object_set_new(root, "tsc_hz", json_integer((json_int_t)env.tsc_hz));
	json_object_set_new(run, "quick", json_boolean(env.o.quick));
	json_object_set_new(run, "cpu", json_integer(env.o.cpu));
	json_object_set_new(run, "burst", json_integer(env.o.burst));
	json_object_set_new(run, "frames_per_pass", json_integer(env.o.mbufs));
	json_object_set_new(run, "passes_per_round", json_integer(env.o.iters));
	json_object_set_new(run, "rounds", json_integer(env.o.rounds));
	json_object_set_new(run, "sched_fifo", json_boolean(env.rt_active));
	json_object_set_new(run, "warmup_passes", json_integer(env.o.warmup));
	json_object_set_new(run, "fdb_size", json_integer(env.o.fdb_size));
	json_object_set_new(run, "eal_memory", json_string(env.eal_mem));
	json_object_set_new(run, "eal_fallback",
			    env.fallback ? json_string(env.fallback) : json_null());
	json_object_set_new(run, "eal_args", json_string(env.eal_args));
	json_object_set_new(run, "target_cycles_per_pkt_64B", json_integer(BENCH_TARGET_CYCLES));
	json_object_set_new(root, "run", run);
	for (unsigned int i = 0; i < n; i++) {
		const struct bench_case *c = &cs[i];
		const struct bench_res *st = &c->res[BENCH_STAGE];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "dir", json_string(c->encap ? "encap" : "decap"));
		json_object_set_new(o, "underlay",
				    json_string(c->family == AF_INET ? "ipv4" : "ipv6"));
		json_object_set_new(o, "inner_len", json_integer(c->inner_len));
		json_object_set_new(o, "frame_len", json_integer(c->frame_len));
		json_object_set_new(o, "flows", json_integer(c->flows));
		for (unsigned int m = 0; m < BENCH_MODES; m++)
			json_object_set_new(o, mode_names[m], res_json(&c->res[m]));
		if (has_target(c) && st->ran)
			json_object_set_new(o, "meets_target",
					    json_boolean(st->cpp_med <= BENCH_TARGET_CYCLES));
		else
			json_object_set_new(o, "meets_target", json_null());
		json_array_append_new(cases, o);
	}
	json_object_set_new(root, "cases", cases);
	json_object_set_new(root, "ok", json_boolean(ok));
	return root;
}

static void
cell(char *buf, size_t len, const struct bench_res *r, bool cycles)
{
	if (!r->ran)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", cycles ? r->cpp_med : mpps(r->cpp_med));
}

static void
report_table(FILE *f, const struct bench_case *cs, unsigned int n, json_t *git)
{
	const char *commit = json_string_value(json_object_get(git, "commit"));

	fprintf(f,
		"\nmflow-bench: TSC %.1f MHz, cpu %d%s, burst %u, %u frames/pass, %u passes x %u "
		"rounds, EAL %s, commit %s%s\n",
		(double)env.tsc_hz / 1e6, env.o.cpu, env.rt_active ? " (SCHED_FIFO)" : "",
		env.o.burst, env.o.mbufs, env.o.iters, env.o.rounds, env.eal_mem,
		commit ? commit : "?",
		json_is_true(json_object_get(git, "dirty")) ? " (modified)" : "");
	fprintf(f, "cycles = TSC cycles per packet, median of the passes of the best round; "
		   "Mpps = TSC Hz / cycles\n");
	fprintf(f, "%-24s %6s | %8s %7s | %8s %7s | %8s %7s | %s\n", "case", "frame", "stage",
		"Mpps", "with_io", "Mpps", "io_free", "Mpps", "target (stage <= 60)");
	for (unsigned int i = 0; i < n; i++) {
		const struct bench_case *c = &cs[i];
		char v[BENCH_MODES][2][16];
		const char *target = "";

		for (unsigned int m = 0; m < BENCH_MODES; m++) {
			cell(v[m][0], sizeof(v[m][0]), &c->res[m], true);
			cell(v[m][1], sizeof(v[m][1]), &c->res[m], false);
		}
		if (has_target(c) && c->res[BENCH_STAGE].ran)
			target = c->res[BENCH_STAGE].cpp_med <= BENCH_TARGET_CYCLES ? "met"
										    : "MISSED";
		fprintf(f, "%-24s %4uB | %8s %7s | %8s %7s | %8s %7s | %s\n", c->name, c->frame_len,
			v[0][0], v[0][1], v[1][0], v[1][1], v[2][0], v[2][1], target);
	}
}

static int
report(const struct bench_case *cs, unsigned int n, bool ok)
{
	json_t *root = report_json(cs, n, ok);
	FILE *f = stdout;
	int rc = 0;

	if (env.o.json_path != NULL) {
		f = fopen(env.o.json_path, "w");
		if (f == NULL) {
			LOG("cannot write %s: %s", env.o.json_path, strerror(errno));
			json_decref(root);
			return -errno;
		}
	}
	if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) !=
		    0 ||
	    fputc('\n', f) == EOF)
		rc = -EIO;
	if (f != stdout && fclose(f) != 0)
		rc = -EIO;
	else if (f == stdout)
		fflush(stdout);
	report_table(stderr, cs, n, json_object_get(root, "git"));
	json_decref(root);
	return rc;
}

int
main(int argc, char **argv)
{
	struct bench_case cases[16];
	unsigned int n_cases, pool_n;
	bool huge, ok = true;
	uint64_t t_start;
	int rc;

	rc = parse_opts(argc, argv, &env.o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	env.fallback = getenv(BENCH_ENV_FALLBACK);
	huge = !env.o.no_huge && env.fallback == NULL;
	if (huge && hugepages_free() < mem_needed(&env.o)) {
		LOG("not enough free hugepages (%" PRIu64 " MB free, %" PRIu64
		    " MB needed): using --no-huge",
		    hugepages_free() >> 20, mem_needed(&env.o) >> 20);
		huge = false;
		env.fallback = "hugepages-unavailable";
	}
	rc = eal_start(&env.o, huge, argv[0]);
	if (rc != 0 && huge) {
		LOG("EAL with hugepages failed (%s): retrying with --no-huge", rte_strerror(-rc));
		reexec_no_huge(argc, argv);
	}
	if (rc != 0) {
		LOG("EAL start failed: %s", rte_strerror(-rc));
		return 1;
	}
	env.tsc_hz = rte_get_tsc_hz();
	pool_n = rte_align32pow2(env.o.mbufs + 1024) - 1;
	env.pool = rte_pktmbuf_pool_create("bench_pool", pool_n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (env.pool == NULL) {
		LOG("cannot create a pool of %u mbufs: %s", pool_n, rte_strerror(rte_errno));
		rc = 1;
		goto out_eal;
	}
	rc = inst_setup();
	if (rc != 0) {
		LOG("cannot build the VxLAN instance: %s", strerror(-rc));
		rc = 1;
		goto out_vx;
	}
	if (!env.o.no_io)
		io_setup();
	n_cases = make_cases(cases);
	if (n_cases == 0) {
		LOG("no case matches '%s'", env.o.filter);
		rc = 2;
		goto out_vx;
	}
	if (env.o.rt) {
		struct sched_param sp = {.sched_priority = 10};

		if (sched_setscheduler(0, SCHED_FIFO, &sp) == 0)
			env.rt_active = true;
		else
			LOG("cannot switch to SCHED_FIFO (%s); running as a normal thread",
			    strerror(errno));
	}
	t_start = rte_rdtsc();
	for (unsigned int round = 0; round < env.o.rounds; round++) {
		for (unsigned int i = 0; i < n_cases; i++) {
			LOG("round %u/%u: %s", round + 1, env.o.rounds, cases[i].name);
			if (run_case(&cases[i]) != 0) {
				LOG("%s FAILED", cases[i].name);
				ok = false;
			}
		}
	}
	if (env.rt_active) {
		struct sched_param sp = {.sched_priority = 0};

		sched_setscheduler(0, SCHED_OTHER, &sp);
	}
	LOG("done in %.1f s", (double)(rte_rdtsc() - t_start) / (double)env.tsc_hz);
	rc = report(cases, n_cases, ok) != 0 || !ok ? 1 : 0;
out_vx:
	vx_destroy(env.vx);
	if (env.ring_ok) {
		rte_eth_dev_stop(env.ul_dev);
		rte_eth_dev_close(env.ul_dev);
		rte_eth_dev_stop(env.ep_dev);
		rte_eth_dev_close(env.ep_dev);
	}
	if (env.null_ok) {
		rte_eth_dev_stop(env.null_dev);
		rte_eth_dev_close(env.null_dev);
	}
	for (unsigned int i = 0; i < BP_N; i++)
		rte_free(env.txb[i]);
	rte_ring_free(env.ul_rx);
	rte_ring_free(env.ul_tx);
	rte_ring_free(env.ep_rx);
	rte_ring_free(env.ep_tx);
	rte_mempool_free(env.pool);
out_eal:
	rte_eal_cleanup();
	return rc;
}
