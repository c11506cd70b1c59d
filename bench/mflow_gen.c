/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-gen: an order-aware DPDK traffic generator for mflowd.
 *
 *   mflow-gen [EAL options] -- --tx PORT --rx PORT[,PORT...] [options]
 *
 * It sends the frames a scenario describes (bench/gen.h: VxLAN or plain,
 * frame sizes or IMIX, groups of flows with shares of the rate, a VNI set)
 * on one port, at a fixed rate or as fast as it can, and receives them on
 * one or more ports. Every frame carries a stamp after its inner UDP header:
 * its flow, its sequence number in the flow and the TSC when it was built.
 * The receive side counts, per flow, what arrived, what is missing, what
 * came twice and what came out of order, and puts every frame's latency in
 * a histogram.
 *
 * One run is either one trial (the scenario's rate and duration) or a
 * search (--search, or a "search" object in the scenario): the largest rate
 * whose loss stays at or below each threshold (0 % gives the no-drop rate,
 * NDR; 0.5 % the partial-drop rate, PDR), found by binary search between 0
 * and the rate the generator reaches unpaced, and confirmed by a final
 * trial at the rate found, as RFC 2544 section 26.1 and FD.io CSIT do.
 *
 * One lcore does everything: it sends when the pacing allows, and polls the
 * receive ports in between. After the sending ends it keeps polling until
 * nothing has arrived for --drain-ms, so frames still in flight are counted
 * as late, not lost.
 *
 * The JSON report goes to stdout (or --json FILE); the readable table and
 * progress go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "gen.h"
#include "gen_version.h"

#define GEN_MAX_RX_PORTS  8
#define GEN_BURST_DEF	  32
#define GEN_BURST_MAX	  256
#define GEN_SCHED_LEN	  4096
#define GEN_SCHED_MAX	  (1u << 20)
#define GEN_DESC	  1024
#define GEN_MBUFS_DEF	  16383
#define GEN_DRAIN_MS_DEF  200
#define GEN_LINK_WAIT_S	  10
#define GEN_CONFIRM_TRIES 3
/* Times a trial is run again when this lcore fell behind. */
#define GEN_LATE_RETRIES 2
/* Frames due but not yet sent that a paced sender may still catch up on. */
#define GEN_BACKLOG_US 200
/* Bytes of a received frame given to gen_parse(): the stamp with room for IP options. */
#define GEN_RX_PEEK 256
/* The most per-flow entries printed in the JSON of a trial. */
#define GEN_JSON_FLOWS_MAX 4096

/** Command-line settings (those not in the scenario). */
struct gen_opts {
	const char *scenario;		  /**< --scenario FILE. */
	const char *json_out;		  /**< --json FILE, or NULL for stdout. */
	const char *tx_name;		  /**< --tx: the sending port's device name. */
	char *rx_names[GEN_MAX_RX_PORTS]; /**< --rx: receiving ports. */
	unsigned int n_rx;		  /**< Entries of @c rx_names. */
	unsigned int burst;		  /**< --burst. */
	unsigned int mbufs;		  /**< --mbufs. */
	unsigned int drain_ms;		  /**< --drain-ms. */
	unsigned int link_wait_s;	  /**< --link-wait. */
	bool quick;			  /**< --quick. */
	bool search;			  /**< --search (or the scenario's "search"). */
	bool per_flow;			  /**< --per-flow: per-flow counters in every trial. */
};

/** Receive-side counters of one trial that are not per flow. */
struct gen_rx_totals {
	uint64_t kind[GEN_RX_KIND_COUNT]; /**< Frames by parse result (OK included). */
	uint64_t warmup;		  /**< Stamped frames sent before the measurement. */
	uint64_t bytes;			  /**< Bytes of measured frames (with FCS, inner size). */
	uint64_t late;			  /**< Measured frames received after the sending ended. */
};

/** Everything one trial measured. */
struct gen_trial {
	double rate_pps;	 /**< The rate asked for; 0 = unpaced. */
	double duration_s;	 /**< Measured sending time. */
	uint64_t tx;		 /**< Measured frames sent. */
	uint64_t tx_bytes;	 /**< Their bytes (frame sizes with FCS). */
	uint64_t tx_warmup;	 /**< Frames sent in the warm-up (not measured). */
	uint64_t tx_refused;	 /**< Frames the TX ring refused (full), to be sent again. */
	uint64_t not_sent;	 /**< Frames due at the rate that could not be sent in time. */
	uint64_t not_sent_late;	 /**< Of those, given up while the ring was not refusing:
				  *   this lcore was late (the trial says nothing of the peer). */
	uint64_t unique;	 /**< Distinct measured frames received. */
	uint64_t received;	 /**< Measured frames received, duplicates included. */
	uint64_t lost;		 /**< tx - unique. */
	uint64_t dup;		 /**< Duplicates. */
	uint64_t ooo;		 /**< Reordered frames. */
	uint64_t stale;		 /**< Frames too far behind to classify. */
	uint64_t max_reorder;	 /**< Largest reorder distance. */
	uint32_t flows_ooo;	 /**< Flows with at least one reordered frame. */
	uint32_t flows_lossy;	 /**< Flows that lost frames. */
	struct gen_rx_totals rx; /**< Not per flow. */
	struct gen_lat *lat;	 /**< All frames' latency (owned by the run). */
};

/** The whole run's state. */
struct gen_run {
	struct gen_opts o;
	struct gen_scenario sc;
	uint16_t tx_port;
	uint16_t rx_ports[GEN_MAX_RX_PORTS];
	struct rte_mempool *pool;
	struct gen_tmpl *tmpl;	   /**< n_flows x sizes.n templates. */
	struct gen_sched sched;	   /**< The flow schedule. */
	uint64_t *tx_seq;	   /**< Next sequence number per flow. */
	uint64_t *base;		   /**< First measured sequence number per flow. */
	uint64_t *flow_tx;	   /**< Measured frames sent per flow. */
	struct gen_seq *seq;	   /**< Receive accounting per flow. */
	struct gen_lat *lat;	   /**< Latency of the trial, all flows. */
	struct gen_lat *group_lat; /**< Latency per group. */
	uint16_t *flow_group;	   /**< Group of each flow. */
	uint32_t sched_pos;	   /**< Position in the schedule. */
	bool measuring;		   /**< Frames sent now are counted. */
	uint64_t hz;		   /**< TSC frequency. */
	json_t *trials;		   /**< Every trial's summary (owned). */
};

static volatile sig_atomic_t gen_stop;

static void
gen_on_signal(int sig)
{
	(void)sig;
	gen_stop = 1;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- --tx PORT --rx PORT[,PORT...] [options]\n"
		"\n"
		"PORT is an ethdev name, e.g. net_memif0 from --vdev net_memif0,role=client,...\n"
		"\n"
		"  --scenario FILE    the scenario (JSON, docs/benchmarks.md#scenario)\n"
		"  --size N|imix|N,N  frame size(s) with FCS, 64..9000 (inner size for VxLAN)\n"
		"  --encap vxlan|plain\n"
		"  --flows SPEC       groups COUNT:SHARE[,COUNT:SHARE...], e.g. 1:0.8,100:0.2\n"
		"  --vnis V[,V...]    the VNI set; flow i uses VNI i %% n\n"
		"  --rate-pps R       sending rate, 0 = as fast as possible\n"
		"  --duration S       seconds of a trial\n"
		"  --warmup S         seconds sent before the measurement\n"
		"  --search           search the highest rate per loss threshold (NDR/PDR)\n"
		"  --loss-pct L[,L]   the search's thresholds (default 0,0.5)\n"
		"  --trial S          seconds of a search trial\n"
		"  --quick            short trials (1 s, a 0.2 s warm-up, 5 %% precision)\n"
		"  --burst N          frames per TX burst, 1..%d (default %d)\n"
		"  --mbufs N          mbufs in the pool (default %d)\n"
		"  --drain-ms N       receive this long after the last frame (default %d)\n"
		"  --link-wait S      seconds to wait for the ports' links (default %d)\n"
		"  --per-flow         per-flow counters in every trial, not only the last\n"
		"  --json FILE        write the JSON report to FILE instead of stdout\n"
		"  -h, --help\n",
		prog, GEN_BURST_MAX, GEN_BURST_DEF, GEN_MBUFS_DEF, GEN_DRAIN_MS_DEF,
		GEN_LINK_WAIT_S);
}

enum {
	OPT_SCENARIO = 256,
	OPT_SIZE,
	OPT_ENCAP,
	OPT_FLOWS,
	OPT_VNIS,
	OPT_RATE,
	OPT_DURATION,
	OPT_WARMUP,
	OPT_SEARCH,
	OPT_LOSS,
	OPT_TRIAL,
	OPT_QUICK,
	OPT_BURST,
	OPT_MBUFS,
	OPT_DRAIN,
	OPT_LINK_WAIT,
	OPT_PER_FLOW,
	OPT_JSON,
	OPT_TX,
	OPT_RX,
};

/* Read an unsigned integer option in [min, max]. */
static int
parse_uint(const char *name, const char *s, unsigned long min, unsigned long max,
	   unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "mflow-gen: %s: '%s' is not an integer in %lu..%lu\n", name, s, min,
			max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/**
 * Turns one token of a comma-separated option value into a JSON value.
 *
 * @param tok
 *   The token (NUL-terminated, may be changed).
 * @param opt
 *   The option's name, for messages.
 * @param out
 *   The new value (a new reference) on success.
 * @return
 *   0, -EINVAL (message printed) or -ENOMEM.
 */
typedef int (*gen_tok_fn)(char *tok, const char *opt, json_t **out);

static int
tok_size(char *tok, const char *opt, json_t **out)
{
	unsigned long v;
	int rc = parse_uint(opt, tok, GEN_SIZE_MIN, GEN_SIZE_MAX, &v);

	if (rc == 0)
		*out = json_integer((json_int_t)v);
	return rc;
}

static int
tok_vni(char *tok, const char *opt, json_t **out)
{
	unsigned long v;
	int rc = parse_uint(opt, tok, 0, 16777215, &v);

	if (rc == 0)
		*out = json_integer((json_int_t)v);
	return rc;
}

static int
tok_real(char *tok, const char *opt, json_t **out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(tok, &end);
	if (errno != 0 || end == tok || *end != '\0' || !isfinite(v)) {
		fprintf(stderr, "mflow-gen: %s: '%s' is not a number\n", opt, tok);
		return -EINVAL;
	}
	*out = json_real(v);
	return 0;
}

/* COUNT:SHARE, a flow group. */
static int
tok_flows(char *tok, const char *opt, json_t **out)
{
	char *colon = strchr(tok, ':');
	unsigned long count;
	json_t *share;
	int rc;

	if (colon == NULL) {
		fprintf(stderr, "mflow-gen: %s: '%s' is not COUNT:SHARE\n", opt, tok);
		return -EINVAL;
	}
	*colon = '\0';
	rc = parse_uint(opt, tok, 1, GEN_MAX_FLOWS, &count);
	if (rc == 0)
		rc = tok_real(colon + 1, opt, &share);
	if (rc == 0)
		*out = json_pack("{s:I,s:o}", "count", (json_int_t)count, "share", share);
	return rc;
}

/*
 * Turn a command-line override into the JSON key @p key of @p root (owned
 * by the caller), so that gen_scenario_parse() checks it like the file's
 * own: the comma-separated tokens of @p s, each turned into a value by
 * @p fn, as an array, or as one value when @p single and there is one.
 */
static int
override_list(json_t *root, const char *key, const char *opt, const char *s, gen_tok_fn fn,
	      bool single)
{
	json_t *arr = json_array(), *v;
	char *copy = strdup(s), *tok, *save = NULL;
	int rc = 0;

	if (arr == NULL || copy == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		rc = fn(tok, opt, &v);
		if (rc != 0)
			goto out_free;
		if (json_array_append_new(arr, v) != 0) {
			rc = -ENOMEM;
			goto out_free;
		}
	}
	v = single && json_array_size(arr) == 1 ? json_array_get(arr, 0) : arr;
	rc = json_object_set(root, key, v) == 0 ? 0 : -ENOMEM;
out_free:
	free(copy);
	json_decref(arr);
	return rc;
}

static int
override_size(json_t *root, const char *s)
{
	if (strcmp(s, "imix") == 0)
		return json_object_set_new(root, "size", json_string("imix")) == 0 ? 0 : -ENOMEM;
	return override_list(root, "size", "--size", s, tok_size, true);
}

static int
override_number(json_t *root, const char *key, const char *opt, const char *s)
{
	char *copy = strdup(s);
	json_t *v;
	int rc;

	if (copy == NULL)
		return -ENOMEM;
	rc = tok_real(copy, opt, &v);
	free(copy);
	if (rc == 0)
		rc = json_object_set_new(root, key, v) == 0 ? 0 : -ENOMEM;
	return rc;
}

/* The "search" object of @p root, created when missing (borrowed). */
static json_t *
search_obj(json_t *root)
{
	json_t *s = json_object_get(root, "search");

	if (s == NULL) {
		s = json_object();
		if (s == NULL || json_object_set_new(root, "search", s) != 0)
			return NULL;
	}
	return s;
}

/*
 * Parse the options after "--". The scenario file is read first, the
 * overrides are put on top of it, and the result is checked as a whole.
 */
static int
parse_args(int argc, char **argv, struct gen_run *r)
{
	static const struct option longopts[] = {
		{"scenario", required_argument, NULL, OPT_SCENARIO},
		{"size", required_argument, NULL, OPT_SIZE},
		{"encap", required_argument, NULL, OPT_ENCAP},
		{"flows", required_argument, NULL, OPT_FLOWS},
		{"vnis", required_argument, NULL, OPT_VNIS},
		{"rate-pps", required_argument, NULL, OPT_RATE},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"warmup", required_argument, NULL, OPT_WARMUP},
		{"search", no_argument, NULL, OPT_SEARCH},
		{"loss-pct", required_argument, NULL, OPT_LOSS},
		{"trial", required_argument, NULL, OPT_TRIAL},
		{"quick", no_argument, NULL, OPT_QUICK},
		{"burst", required_argument, NULL, OPT_BURST},
		{"mbufs", required_argument, NULL, OPT_MBUFS},
		{"drain-ms", required_argument, NULL, OPT_DRAIN},
		{"link-wait", required_argument, NULL, OPT_LINK_WAIT},
		{"per-flow", no_argument, NULL, OPT_PER_FLOW},
		{"json", required_argument, NULL, OPT_JSON},
		{"tx", required_argument, NULL, OPT_TX},
		{"rx", required_argument, NULL, OPT_RX},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gen_opts *o = &r->o;
	json_t *over, *root = NULL;
	json_error_t jerr;
	char err[256];
	unsigned long v;
	bool trial_opt = false, file_search = false;
	int opt, rc = 0;
	const char *key;
	json_t *val;

	o->burst = GEN_BURST_DEF;
	o->mbufs = GEN_MBUFS_DEF;
	o->drain_ms = GEN_DRAIN_MS_DEF;
	o->link_wait_s = GEN_LINK_WAIT_S;
	over = json_object();
	if (over == NULL)
		return -ENOMEM;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SCENARIO:
			o->scenario = optarg;
			break;
		case OPT_SIZE:
			rc = override_size(over, optarg);
			break;
		case OPT_ENCAP:
			rc = json_object_set_new(over, "encap", json_string(optarg));
			break;
		case OPT_FLOWS:
			rc = override_list(over, "flows", "--flows", optarg, tok_flows, false);
			break;
		case OPT_VNIS:
			rc = override_list(over, "vnis", "--vnis", optarg, tok_vni, false);
			break;
		case OPT_RATE:
			rc = override_number(over, "rate_pps", "--rate-pps", optarg);
			break;
		case OPT_DURATION:
			rc = override_number(over, "duration_s", "--duration", optarg);
			break;
		case OPT_WARMUP:
			rc = override_number(over, "warmup_s", "--warmup", optarg);
			break;
		case OPT_SEARCH:
			o->search = true;
			rc = search_obj(over) == NULL ? -ENOMEM : 0;
			break;
		case OPT_LOSS:
			o->search = true;
			val = search_obj(over);
			rc = val == NULL ? -ENOMEM
					 : override_list(val, "loss_pct", "--loss-pct", optarg,
							 tok_real, false);
			break;
		case OPT_TRIAL:
			trial_opt = true;
			val = search_obj(over);
			rc = val == NULL ? -ENOMEM
					 : override_number(val, "trial_s", "--trial", optarg);
			break;
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_BURST:
			rc = parse_uint("--burst", optarg, 1, GEN_BURST_MAX, &v);
			o->burst = (unsigned int)v;
			break;
		case OPT_MBUFS:
			rc = parse_uint("--mbufs", optarg, 1023, 1048575, &v);
			o->mbufs = (unsigned int)v;
			break;
		case OPT_DRAIN:
			rc = parse_uint("--drain-ms", optarg, 1, 60000, &v);
			o->drain_ms = (unsigned int)v;
			break;
		case OPT_LINK_WAIT:
			rc = parse_uint("--link-wait", optarg, 0, 600, &v);
			o->link_wait_s = (unsigned int)v;
			break;
		case OPT_PER_FLOW:
			o->per_flow = true;
			break;
		case OPT_JSON:
			o->json_out = optarg;
			break;
		case OPT_TX:
			o->tx_name = optarg;
			break;
		case OPT_RX: {
			char *save = NULL, *tok, *copy = strdup(optarg);

			if (copy == NULL) {
				rc = -ENOMEM;
				break;
			}
			for (tok = strtok_r(copy, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				if (o->n_rx == GEN_MAX_RX_PORTS) {
					fprintf(stderr, "mflow-gen: --rx: at most %d ports\n",
						GEN_MAX_RX_PORTS);
					rc = -EINVAL;
					break;
				}
				o->rx_names[o->n_rx] = strdup(tok);
				if (o->rx_names[o->n_rx++] == NULL)
					rc = -ENOMEM;
			}
			free(copy);
			break;
		}
		case 'h':
			usage(stdout, argv[0]);
			rc = 1;
			break;
		default:
			usage(stderr, argv[0]);
			rc = -EINVAL;
			break;
		}
		if (rc != 0)
			goto out_over;
	}
	if (optind < argc) {
		fprintf(stderr, "mflow-gen: unexpected argument '%s'\n", argv[optind]);
		rc = -EINVAL;
		goto out_over;
	}
	if (o->tx_name == NULL || o->n_rx == 0) {
		fprintf(stderr, "mflow-gen: --tx and --rx are required (try --help)\n");
		rc = -EINVAL;
		goto out_over;
	}

	if (o->scenario != NULL) {
		root = json_load_file(o->scenario, JSON_REJECT_DUPLICATES, &jerr);
		if (root == NULL) {
			fprintf(stderr, "mflow-gen: %s:%d:%d: %s\n", o->scenario, jerr.line,
				jerr.column, jerr.text);
			rc = -EINVAL;
			goto out_over;
		}
		if (!json_is_object(root)) {
			fprintf(stderr, "mflow-gen: %s: a scenario is a JSON object\n",
				o->scenario);
			rc = -EINVAL;
			goto out_root;
		}
	} else {
		root = json_object();
		if (root == NULL) {
			rc = -ENOMEM;
			goto out_over;
		}
	}
	file_search = json_object_get(root, "search") != NULL;
	/* The overrides win; "search" objects are merged key by key. */
	json_object_foreach (over, key, val) {
		json_t *cur = json_object_get(root, key);

		if (strcmp(key, "search") == 0 && json_is_object(cur))
			rc = json_object_update(cur, val);
		else
			rc = json_object_set(root, key, val);
		if (rc != 0) {
			rc = -ENOMEM;
			goto out_root;
		}
	}
	if (o->quick) {
		/* Short trials, unless the command line asked for others. */
		if (json_object_get(over, "duration_s") == NULL)
			json_object_set_new(root, "duration_s", json_real(1));
		if (json_object_get(over, "warmup_s") == NULL)
			json_object_set_new(root, "warmup_s", json_real(0.2));
		val = json_object_get(root, "search");
		if (json_is_object(val)) {
			json_t *ov = json_object_get(over, "search");

			if (ov == NULL || json_object_get(ov, "trial_s") == NULL)
				json_object_set_new(val, "trial_s", json_real(1));
			if (json_object_get(val, "precision_pct") == NULL)
				json_object_set_new(val, "precision_pct", json_real(5));
		}
	}
	if (trial_opt && !o->search && !file_search) {
		fprintf(stderr, "mflow-gen: --trial sets the search's trials: it needs --search\n");
		rc = -EINVAL;
		goto out_root;
	}
	rc = gen_scenario_parse(root, &r->sc, err, sizeof(err));
	if (rc != 0) {
		/* The message names the key; say where the key came from. */
		if (o->scenario != NULL)
			fprintf(stderr, "mflow-gen: %s with the command-line options: %s\n",
				o->scenario, err);
		else
			fprintf(stderr, "mflow-gen: command line: %s\n", err);
		goto out_root;
	}
	if (r->sc.search)
		o->search = true;
out_root:
	json_decref(root);
out_over:
	json_decref(over);
	return rc;
}

/* The largest frame the scenario sends, in the mbuf (outer headers included). */
static uint32_t
max_frame_len(const struct gen_scenario *sc)
{
	uint32_t i, m = 0;

	for (i = 0; i < sc->sizes.n; i++)
		if (sc->sizes.seq[i] > m)
			m = sc->sizes.seq[i];
	m -= GEN_FCS_LEN;
	if (sc->encap == GEN_ENCAP_VXLAN)
		m += GEN_VX_LEN;
	return m;
}

/* Zero a new mbuf's data room, so that payload bytes after the headers are zeros. */
static void
zero_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;

	rte_pktmbuf_init(mp, arg, obj, idx);
	memset(m->buf_addr, 0, m->buf_len);
}

static int
port_setup(struct gen_run *r, uint16_t port, const char *name)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx = GEN_DESC, ntx = GEN_DESC;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0) {
		fprintf(stderr, "mflow-gen: %s: configure: %s\n", name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, nrx, rte_eth_dev_socket_id(port), NULL,
					    r->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL);
	if (rc != 0) {
		fprintf(stderr, "mflow-gen: %s: queue setup: %s\n", name, rte_strerror(-rc));
		return rc;
	}
	/* Jumbo frames need the MTU raised on drivers that check it; memif does not. */
	if (max_frame_len(&r->sc) > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
		rc = rte_eth_dev_set_mtu(port,
					 (uint16_t)(max_frame_len(&r->sc) - RTE_ETHER_HDR_LEN));
		if (rc != 0)
			fprintf(stderr,
				"mflow-gen: %s: warning: MTU for %u-byte frames: %s (they may be "
				"dropped on the way)\n",
				name, max_frame_len(&r->sc), rte_strerror(-rc));
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		fprintf(stderr, "mflow-gen: %s: start: %s\n", name, rte_strerror(-rc));
		return rc;
	}
	(void)rte_eth_promiscuous_enable(port);
	return 0;
}

static int
find_port(const char *name, uint16_t *port)
{
	if (rte_eth_dev_get_port_by_name(name, port) != 0) {
		uint16_t p;

		fprintf(stderr, "mflow-gen: no port named '%s'; ports:", name);
		RTE_ETH_FOREACH_DEV (p) {
			char n[RTE_ETH_NAME_MAX_LEN];

			if (rte_eth_dev_get_name_by_port(p, n) == 0)
				fprintf(stderr, " %s", n);
		}
		fprintf(stderr, "%s\n", rte_eth_dev_count_avail() ? "" : " none (give --vdev)");
		return -ENODEV;
	}
	return 0;
}

/* Wait until every port's link is up; a memif link comes up when its peer connects. */
static int
wait_links(struct gen_run *r)
{
	uint64_t deadline = rte_get_timer_cycles() + (uint64_t)r->o.link_wait_s * r->hz;
	uint16_t ports[GEN_MAX_RX_PORTS + 1];
	unsigned int i, n = 0;

	ports[n++] = r->tx_port;
	for (i = 0; i < r->o.n_rx; i++)
		ports[n++] = r->rx_ports[i];
	for (;;) {
		unsigned int down = 0;
		uint16_t last = 0;

		for (i = 0; i < n; i++) {
			struct rte_eth_link link;

			if (rte_eth_link_get_nowait(ports[i], &link) != 0 ||
			    link.link_status != RTE_ETH_LINK_UP) {
				down++;
				last = ports[i];
			}
		}
		if (down == 0)
			return 0;
		if (gen_stop)
			return -EINTR;
		if (rte_get_timer_cycles() > deadline) {
			char name[RTE_ETH_NAME_MAX_LEN] = "?";

			rte_eth_dev_get_name_by_port(last, name);
			fprintf(stderr,
				"mflow-gen: %u port(s) still down after %u s, e.g. %s "
				"(is the peer, e.g. mflowd, running with the same memif socket?)\n",
				down, r->o.link_wait_s, name);
			return -ENETDOWN;
		}
		rte_delay_ms(10);
	}
}

/* Poll every receive port once; account what arrived. Returns the frames received. */
static unsigned int
rx_poll(struct gen_run *r, struct gen_trial *t, bool sending)
{
	struct rte_mbuf *pkts[GEN_BURST_MAX];
	unsigned int p, total = 0;

	for (p = 0; p < r->o.n_rx; p++) {
		uint16_t i, n = rte_eth_rx_burst(r->rx_ports[p], 0, pkts, GEN_BURST_MAX);
		uint64_t now = rte_rdtsc();

		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			uint8_t copy[GEN_RX_PEEK];
			uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)GEN_RX_PEEK);
			const uint8_t *buf = rte_pktmbuf_read(m, 0, len, copy);
			struct gen_parsed pp;
			enum gen_rx_kind k;
			uint32_t flow;
			uint64_t seq, sent, delta;
			enum gen_seq_kind sk;

			k = buf == NULL
				    ? GEN_RX_TRUNCATED
				    : gen_parse(buf, len, r->sc.outer_dst.port, r->sc.n_flows, &pp);
			t->rx.kind[k]++;
			if (k != GEN_RX_OK)
				goto next;
			flow = pp.stamp.flow;
			/*
			 * The full sequence number: the latest one sent with these low 32
			 * bits (a frame is never 2^32 frames of its flow behind). Those
			 * before the flow's base were sent in the warm-up or an earlier
			 * trial.
			 */
			sent = r->tx_seq[flow];
			seq = sent - (uint32_t)((uint32_t)sent - pp.stamp.seq);
			if (seq >= sent || r->base[flow] == UINT64_MAX || seq < r->base[flow]) {
				t->rx.warmup++;
				goto next;
			}
			sk = gen_seq_rx(&r->seq[flow], seq - r->base[flow]);
			if (sk == GEN_SEQ_STALE)
				goto next;
			if (!sending)
				t->rx.late++;
			if (sk != GEN_SEQ_DUP)
				t->rx.bytes +=
					m->pkt_len + GEN_FCS_LEN - (pp.vxlan ? GEN_VX_LEN : 0);
			delta = now > pp.stamp.tsc ? now - pp.stamp.tsc : 0;
			delta = (uint64_t)(((unsigned __int128)delta * 1000000000u) / r->hz);
			gen_lat_add(r->lat, delta);
			gen_lat_add(&r->group_lat[r->flow_group[flow]], delta);
		next:
			rte_pktmbuf_free(m);
		}
		total += n;
	}
	return total;
}

/*
 * Build up to @p n frames into @p pkts; returns how many. The flow and the
 * size of each go into @p flows and @p sizes, since a frame may be freed by
 * the driver as soon as it is sent.
 */
static uint16_t
tx_build(struct gen_run *r, struct rte_mbuf **pkts, uint16_t *flows, uint16_t *sizes, uint16_t n)
{
	const struct gen_scenario *sc = &r->sc;
	uint64_t now = rte_rdtsc();
	uint16_t i;

	if (rte_pktmbuf_alloc_bulk(r->pool, pkts, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t flow = r->sched.flow[r->sched_pos];
		/* Each flow goes through the size list on its own, frame by frame. */
		uint32_t si = (uint32_t)(r->tx_seq[flow] % sc->sizes.n);
		const struct gen_tmpl *t = &r->tmpl[(uint32_t)flow * sc->sizes.n + si];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

		if (++r->sched_pos == r->sched.n)
			r->sched_pos = 0;
		memcpy(d, t->hdr, t->len);
		gen_stamp_write(t, d, flow, r->tx_seq[flow]++, now);
		flows[i] = flow;
		sizes[i] = sc->sizes.seq[si];
		m->data_len = t->frame_len;
		m->pkt_len = t->frame_len;
	}
	return n;
}

/*
 * Take back the frames the TX ring refused: they were built last, so their
 * sequence numbers are the highest of their flows (which also gives back
 * their sizes), and the schedule position steps back over them.
 */
static void
tx_unbuild(struct gen_run *r, struct rte_mbuf **pkts, uint16_t from, uint16_t n)
{
	uint16_t i;

	for (i = n; i > from; i--) {
		r->sched_pos = r->sched_pos == 0 ? r->sched.n - 1 : r->sched_pos - 1;
		r->tx_seq[r->sched.flow[r->sched_pos]]--;
	}
	rte_pktmbuf_free_bulk(pkts + from, n - from);
}

/* Account the sent frames of the measurement (sizes with FCS, inner frame). */
static void
tx_account(struct gen_run *r, struct gen_trial *t, const uint16_t *flows, const uint16_t *sizes,
	   uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		r->flow_tx[flows[i]]++;
		t->tx_bytes += sizes[i];
	}
	t->tx += n;
}

/*
 * Send at @p pps (0: unpaced) for @p seconds. Only frames sent while
 * r->measuring is set are counted in @p t. Returns the sending time.
 *
 * When the TX ring stays full (a memif peer that does not keep up pushes
 * back instead of dropping, where a NIC would count rx_missed) or this
 * lcore falls behind, frames become due faster than they leave. At most
 * GEN_BACKLOG_US of them are kept to be caught up; the others are given
 * up and counted in not_sent, so that a stall is not followed by a burst
 * at line rate, and the search counts them as lost.
 */
static double
send_phase(struct gen_run *r, struct gen_trial *t, double pps, double seconds)
{
	struct rte_mbuf *pkts[GEN_BURST_MAX];
	uint16_t flows[GEN_BURST_MAX], sizes[GEN_BURST_MAX];
	uint64_t start = rte_rdtsc(), end = start + (uint64_t)(seconds * (double)r->hz);
	uint64_t sent = 0, now = start;
	double per_cycle = pps / (double)r->hz;
	double backlog_max = RTE_MAX(4.0 * r->o.burst, pps * GEN_BACKLOG_US / 1e6);
	double due = 0;
	uint64_t given_up = 0;
	/* The ring refused frames since the backlog last cleared: the peer is slow. */
	bool refused = false;

	while (!gen_stop && (now = rte_rdtsc()) < end) {
		uint64_t allowed = r->o.burst;
		uint16_t n, k;

		if (pps > 0) {
			due = (double)(now - start) * per_cycle - (double)given_up;
			if (due - (double)sent > backlog_max) {
				uint64_t drop = (uint64_t)(due - (double)sent - backlog_max);

				given_up += drop;
				due -= (double)drop;
				if (r->measuring) {
					t->not_sent += drop;
					t->not_sent_late += refused ? 0 : drop;
				}
			} else if (due - (double)sent < r->o.burst) {
				refused = false;
			}
			allowed = due > (double)sent ? (uint64_t)(due - (double)sent) : 0;
			if (allowed > r->o.burst)
				allowed = r->o.burst;
		}
		if (allowed > 0) {
			n = tx_build(r, pkts, flows, sizes, (uint16_t)allowed);
			k = n == 0 ? 0 : rte_eth_tx_burst(r->tx_port, 0, pkts, n);
			if (k < n) {
				tx_unbuild(r, pkts, k, n);
				refused = true;
				if (r->measuring)
					t->tx_refused += n - k;
			}
			if (r->measuring)
				tx_account(r, t, flows, sizes, k);
			else
				t->tx_warmup += k;
			sent += k;
		}
		rx_poll(r, t, true);
	}
	/* Frames still due at the end were not sent either. */
	if (pps > 0 && r->measuring && due > (double)sent + 1) {
		uint64_t left = (uint64_t)(due - (double)sent);

		t->not_sent += left;
		t->not_sent_late += refused ? 0 : left;
	}
	return (double)(now - start) / (double)r->hz;
}

static void
trial_reset(struct gen_run *r, struct gen_trial *t, double pps)
{
	uint32_t f, g;

	memset(t, 0, sizeof(*t));
	t->rate_pps = pps;
	t->lat = r->lat;
	gen_lat_init(r->lat);
	for (g = 0; g < r->sc.n_groups; g++)
		gen_lat_init(&r->group_lat[g]);
	for (f = 0; f < r->sc.n_flows; f++) {
		gen_seq_init(&r->seq[f]);
		r->flow_tx[f] = 0;
		r->base[f] = UINT64_MAX;
	}
}

/* One trial: warm-up, measured sending, drain; fills @p t. */
static void
run_trial(struct gen_run *r, struct gen_trial *t, double pps, double seconds, double warmup)
{
	uint64_t idle_limit, last_rx;
	uint32_t f;

	trial_reset(r, t, pps);
	/* Frames of an earlier trial still arriving are counted as warm-up. */
	r->measuring = false;
	if (warmup > 0)
		send_phase(r, t, pps, warmup);
	for (f = 0; f < r->sc.n_flows; f++)
		r->base[f] = r->tx_seq[f];
	r->measuring = true;
	t->duration_s = send_phase(r, t, pps, seconds);
	r->measuring = false;

	/* Drain: poll until nothing has come for drain_ms (at most 10 drain periods). */
	idle_limit = (uint64_t)r->o.drain_ms * r->hz / 1000;
	last_rx = rte_rdtsc();
	for (uint64_t stop = last_rx + 10 * idle_limit; !gen_stop;) {
		uint64_t now = rte_rdtsc();

		if (rx_poll(r, t, false) > 0)
			last_rx = now;
		else if (now - last_rx > idle_limit || now > stop)
			break;
	}

	for (f = 0; f < r->sc.n_flows; f++) {
		const struct gen_seq *s = &r->seq[f];
		uint64_t lost = gen_seq_lost(s, r->flow_tx[f]);

		t->unique += s->unique;
		t->received += s->received;
		t->dup += s->dup;
		t->ooo += s->ooo;
		t->stale += s->stale;
		t->lost += lost;
		if (s->max_reorder > t->max_reorder)
			t->max_reorder = s->max_reorder;
		t->flows_ooo += s->ooo > 0;
		t->flows_lossy += lost > 0;
	}
}

/*
 * Loss of a trial in percent of the frames due: those lost on the way plus
 * those the sender could not put on the wire at the rate (not_sent).
 */
static double
loss_pct(const struct gen_trial *t)
{
	uint64_t due = t->tx + t->not_sent;

	return due == 0 ? 100.0 : 100.0 * (double)(t->lost + t->not_sent) / (double)due;
}

static json_t *
lat_json(const struct gen_lat *h)
{
	if (h->count == 0)
		return json_pack("{s:I}", "count", (json_int_t)0);
	return json_pack("{s:I,s:I,s:f,s:I,s:I,s:I,s:I}", "count", (json_int_t)h->count, "min",
			 (json_int_t)h->min, "avg", (double)h->sum / (double)h->count, "p50",
			 (json_int_t)gen_lat_pct(h, 50), "p99", (json_int_t)gen_lat_pct(h, 99),
			 "p99_9", (json_int_t)gen_lat_pct(h, 99.9), "max", (json_int_t)h->max);
}

/* The JSON of one trial (new reference). */
static json_t *
trial_json(const struct gen_run *r, const struct gen_trial *t, bool per_flow)
{
	double secs = t->duration_s > 0 ? t->duration_s : 1;
	json_t *j, *kinds;
	unsigned int k;

	j = json_pack("{s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,"
		      "s:I,s:I,s:I,s:o}",
		      "rate_pps", t->rate_pps, "duration_s", t->duration_s, "tx", (json_int_t)t->tx,
		      "rx_unique", (json_int_t)t->unique, "rx", (json_int_t)t->received, "lost",
		      (json_int_t)t->lost, "tx_refused", (json_int_t)t->tx_refused, "loss_pct",
		      loss_pct(t), "dup", (json_int_t)t->dup, "ooo", (json_int_t)t->ooo, "stale",
		      (json_int_t)t->stale, "max_reorder", (json_int_t)t->max_reorder, "flows_ooo",
		      (json_int_t)t->flows_ooo, "flows_lossy", (json_int_t)t->flows_lossy,
		      "tx_mpps", (double)t->tx / secs / 1e6, "rx_mpps",
		      (double)t->unique / secs / 1e6, "tx_gbps",
		      (double)t->tx_bytes * 8 / secs / 1e9, "rx_gbps",
		      (double)t->rx.bytes * 8 / secs / 1e9, "rx_late", (json_int_t)t->rx.late,
		      "rx_warmup", (json_int_t)t->rx.warmup, "rx_bytes", (json_int_t)t->rx.bytes,
		      "latency_ns", lat_json(t->lat));
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "not_sent", json_integer((json_int_t)t->not_sent));
	json_object_set_new(j, "not_sent_late", json_integer((json_int_t)t->not_sent_late));
	json_object_set_new(j, "tx_warmup", json_integer((json_int_t)t->tx_warmup));
	kinds = json_object();
	for (k = 0; k < GEN_RX_KIND_COUNT; k++)
		json_object_set_new(kinds, gen_rx_kind_name(k),
				    json_integer((json_int_t)t->rx.kind[k]));
	json_object_set_new(j, "rx_kinds", kinds);
	if (per_flow) {
		json_t *groups = json_array(), *flows = json_array();
		uint32_t g, f;

		for (g = 0; g < r->sc.n_groups; g++) {
			const struct gen_group *gr = &r->sc.groups[g];
			uint64_t tx = 0, uniq = 0, ooo = 0, dup = 0, lost = 0;

			for (f = gr->first; f < gr->first + gr->count; f++) {
				tx += r->flow_tx[f];
				uniq += r->seq[f].unique;
				ooo += r->seq[f].ooo;
				dup += r->seq[f].dup;
				lost += gen_seq_lost(&r->seq[f], r->flow_tx[f]);
			}
			json_array_append_new(
				groups, json_pack("{s:s,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:o}", "name",
						  gr->name, "flows", (json_int_t)gr->count, "share",
						  gr->share, "tx", (json_int_t)tx, "rx_unique",
						  (json_int_t)uniq, "lost", (json_int_t)lost, "dup",
						  (json_int_t)dup, "ooo", (json_int_t)ooo,
						  "latency_ns", lat_json(&r->group_lat[g])));
		}
		for (f = 0; f < r->sc.n_flows && f < GEN_JSON_FLOWS_MAX; f++) {
			const struct gen_seq *s = &r->seq[f];

			json_array_append_new(flows,
					      json_pack("[I,I,I,I,I,I]", (json_int_t)r->flow_tx[f],
							(json_int_t)s->unique,
							(json_int_t)gen_seq_lost(s, r->flow_tx[f]),
							(json_int_t)s->dup, (json_int_t)s->ooo,
							(json_int_t)s->max_reorder));
		}
		json_object_set_new(j, "groups", groups);
		json_object_set_new(j, "flow_columns",
				    json_pack("[s,s,s,s,s,s]", "tx", "rx_unique", "lost", "dup",
					      "ooo", "max_reorder"));
		json_object_set_new(j, "flows", flows);
	}
	return j;
}

static void
trial_print(const struct gen_trial *t, const char *what)
{
	double secs = t->duration_s > 0 ? t->duration_s : 1;

	fprintf(stderr,
		"[gen] %-10s rate %10.0f pps: tx %9" PRIu64 " rx %9" PRIu64 " lost %7" PRIu64
		" not sent %" PRIu64 " (%.3f %%) dup %" PRIu64 " ooo %" PRIu64
		" | %.3f Mpps %.2f Gbps | lat p50 %" PRIu64 " p99 %" PRIu64 " max %" PRIu64 " ns\n",
		what, t->rate_pps, t->tx, t->unique, t->lost, t->not_sent, loss_pct(t), t->dup,
		t->ooo, (double)t->unique / secs / 1e6, (double)t->rx.bytes * 8 / secs / 1e9,
		gen_lat_pct(t->lat, 50), gen_lat_pct(t->lat, 99), t->lat->max);
}

/* Run a trial, print it and log it in r->trials; returns whether its loss is <= thr. */
static bool
trial_logged(struct gen_run *r, struct gen_trial *t, double pps, double secs, double thr,
	     const char *what)
{
	unsigned int attempt;
	json_t *j;

	/*
	 * A trial in which this lcore fell behind (frames given up while the
	 * ring took everything) says nothing of the peer: it is run again, at
	 * most twice (not in quick mode), and then counts as it is (the late
	 * frames as lost), which can only understate the rate.
	 */
	for (attempt = 0; attempt < (r->o.quick ? 1 : GEN_LATE_RETRIES + 1) && !gen_stop;
	     attempt++) {
		run_trial(r, t, pps, secs, r->sc.warmup_s);
		trial_print(t, what);
		j = trial_json(r, t, r->o.per_flow);
		if (j != NULL) {
			json_object_set_new(j, "phase", json_string(what));
			json_array_append_new(r->trials, j);
		}
		if (t->not_sent_late == 0)
			break;
	}
	return thr == 0 ? t->lost + t->not_sent == 0 && t->tx > 0 : loss_pct(t) <= thr && t->tx > 0;
}

/*
 * The rate search for one loss threshold, between lo (known or assumed to
 * pass) and hi. Binary search until the interval is below the precision,
 * then a confirmation trial at the result; a failed confirmation steps the
 * rate down by the precision and tries again.
 */
static json_t *
search_one(struct gen_run *r, double thr, double lo, double hi, double *found)
{
	const struct gen_scenario *sc = &r->sc;
	double step = sc->search_precision / 100.0 * hi, secs = sc->search_trial_s;
	struct gen_trial t;
	uint32_t trials = 0, tries;
	double passed = lo;
	bool confirmed = false;
	char what[32];
	json_t *j;

	snprintf(what, sizeof(what), "search<=%g%%", thr);
	/* The top of the range first: an unloaded system passes there at once. */
	if (trial_logged(r, &t, hi, secs, thr, what)) {
		lo = passed = hi;
	} else {
		while (hi - lo > step && trials < sc->search_max_trials && !gen_stop) {
			double mid = (lo + hi) / 2;

			trials++;
			if (trial_logged(r, &t, mid, secs, thr, what))
				lo = passed = mid;
			else
				hi = mid;
		}
	}
	snprintf(what, sizeof(what), "confirm<=%g%%", thr);
	for (tries = 0; tries < GEN_CONFIRM_TRIES && lo > 0 && !gen_stop; tries++) {
		if (trial_logged(r, &t, lo, secs, thr, what)) {
			confirmed = true;
			break;
		}
		lo = lo > step ? lo - step : 0;
	}
	/* An unconfirmed result is 0; the best rate that passed a trial is kept apart. */
	if (!confirmed)
		lo = 0;
	*found = lo;
	j = json_pack("{s:f,s:f,s:f,s:b,s:I,s:f}", "loss_pct", thr, "rate_pps", lo, "mpps",
		      lo / 1e6, "confirmed", confirmed, "trials",
		      (json_int_t)(1 + trials + tries + (confirmed ? 1 : 0)), "best_passed_pps",
		      passed);
	if (j != NULL && confirmed)
		json_object_set_new(j, "trial", trial_json(r, &t, true));
	return j;
}

static json_t *
run_search(struct gen_run *r)
{
	const struct gen_scenario *sc = &r->sc;
	double max = sc->search_max_pps, lo = 0, thr[2];
	struct gen_trial t;
	json_t *res, *arr;
	uint32_t i;

	if (max <= 0) {
		/* The generator's own ceiling: one unpaced trial. */
		run_trial(r, &t, 0, sc->search_trial_s, sc->warmup_s);
		trial_print(&t, "max");
		max = (double)t.tx / (t.duration_s > 0 ? t.duration_s : 1);
		json_t *j = trial_json(r, &t, false);

		if (j != NULL) {
			json_object_set_new(j, "phase", json_string("max"));
			json_array_append_new(r->trials, j);
		}
	}
	res = json_pack("{s:f,s:f,s:f}", "max_pps", max, "precision_pct", sc->search_precision,
			"trial_s", sc->search_trial_s);
	arr = json_array();
	/* Thresholds in increasing order: a lower one's result is a floor for the next. */
	memcpy(thr, sc->search_loss_pct, sizeof(thr));
	if (sc->search_n_loss == 2 && thr[1] < thr[0]) {
		thr[0] = sc->search_loss_pct[1];
		thr[1] = sc->search_loss_pct[0];
	}
	for (i = 0; i < sc->search_n_loss && !gen_stop; i++) {
		double found = 0;

		if (i > 0 && thr[i] == thr[i - 1])
			continue;
		json_array_append_new(arr, search_one(r, thr[i], lo, max, &found));
		lo = found;
	}
	json_object_set_new(res, "results", arr);
	return res;
}

static json_t *
scenario_json(const struct gen_scenario *sc)
{
	json_t *j, *sizes = json_array(), *vnis = json_array(), *groups = json_array();
	uint32_t i;

	for (i = 0; i < sc->sizes.n; i++)
		json_array_append_new(sizes, json_integer(sc->sizes.seq[i]));
	for (i = 0; i < sc->n_vnis; i++)
		json_array_append_new(vnis, json_integer(sc->vnis[i]));
	for (i = 0; i < sc->n_groups; i++)
		json_array_append_new(groups, json_pack("{s:s,s:I,s:f}", "name", sc->groups[i].name,
							"count", (json_int_t)sc->groups[i].count,
							"share", sc->groups[i].share));
	j = json_pack("{s:s,s:s,s:o,s:b,s:o,s:o,s:I,s:f,s:f,s:f}", "name", sc->name, "encap",
		      sc->encap == GEN_ENCAP_VXLAN ? "vxlan" : "plain", "sizes", sizes, "imix",
		      sc->sizes.imix, "vnis", vnis, "flows", groups, "n_flows",
		      (json_int_t)sc->n_flows, "rate_pps", sc->rate_pps, "duration_s",
		      sc->duration_s, "warmup_s", sc->warmup_s);
	return j;
}

static json_t *
port_json(uint16_t port)
{
	struct rte_eth_stats st;
	char name[RTE_ETH_NAME_MAX_LEN] = "?";

	rte_eth_dev_get_name_by_port(port, name);
	if (rte_eth_stats_get(port, &st) != 0)
		return json_pack("{s:s}", "name", name);
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "name", name, "ipackets",
			 (json_int_t)st.ipackets, "opackets", (json_int_t)st.opackets, "imissed",
			 (json_int_t)st.imissed, "ierrors", (json_int_t)st.ierrors, "oerrors",
			 (json_int_t)st.oerrors, "rx_nombuf", (json_int_t)st.rx_nombuf);
}

static json_t *
machine_json(void)
{
	char model[128] = "unknown", line[256], date[32];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *c = strchr(line, ':');

			if (strncmp(line, "model name", 10) == 0 && c != NULL) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	uname(&u);
	return json_pack("{s:s,s:s,s:i,s:s,s:s,s:s}", "date", date, "cpu", model, "nproc",
			 (int)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release, "host",
			 u.nodename, "commit", GEN_GIT_COMMIT);
}

static void
print_table(const json_t *report)
{
	const json_t *search = json_object_get(report, "search");
	const json_t *res = json_object_get(report, "result");
	size_t i;
	json_t *e;

	fprintf(stderr, "\n%-14s %12s %9s %9s %9s %6s %6s %9s %9s %9s\n", "result", "rate pps",
		"Mpps rx", "Gbps rx", "loss %", "dup", "ooo", "p50 us", "p99 us", "p99.9 us");
	if (res != NULL) {
		const json_t *lat = json_object_get(res, "latency_ns");

		fprintf(stderr,
			"%-14s %12.0f %9.3f %9.3f %9.4f %6" JSON_INTEGER_FORMAT
			" %6" JSON_INTEGER_FORMAT " %9.1f %9.1f %9.1f\n",
			"trial", json_real_value(json_object_get(res, "rate_pps")),
			json_real_value(json_object_get(res, "rx_mpps")),
			json_real_value(json_object_get(res, "rx_gbps")),
			json_real_value(json_object_get(res, "loss_pct")),
			json_integer_value(json_object_get(res, "dup")),
			json_integer_value(json_object_get(res, "ooo")),
			json_integer_value(json_object_get(lat, "p50")) / 1e3,
			json_integer_value(json_object_get(lat, "p99")) / 1e3,
			json_integer_value(json_object_get(lat, "p99_9")) / 1e3);
	}
	json_array_foreach (json_object_get(search, "results"), i, e) {
		const json_t *tr = json_object_get(e, "trial");
		const json_t *lat = json_object_get(tr, "latency_ns");
		char name[32];

		snprintf(name, sizeof(name), "%s %g%%",
			 json_real_value(json_object_get(e, "loss_pct")) == 0 ? "NDR" : "PDR",
			 json_real_value(json_object_get(e, "loss_pct")));
		fprintf(stderr,
			"%-14s %12.0f %9.3f %9.3f %9.4f %6" JSON_INTEGER_FORMAT
			" %6" JSON_INTEGER_FORMAT " %9.1f %9.1f %9.1f%s\n",
			name, json_real_value(json_object_get(e, "rate_pps")),
			json_real_value(json_object_get(tr, "rx_mpps")),
			json_real_value(json_object_get(tr, "rx_gbps")),
			json_real_value(json_object_get(tr, "loss_pct")),
			json_integer_value(json_object_get(tr, "dup")),
			json_integer_value(json_object_get(tr, "ooo")),
			json_integer_value(json_object_get(lat, "p50")) / 1e3,
			json_integer_value(json_object_get(lat, "p99")) / 1e3,
			json_integer_value(json_object_get(lat, "p99_9")) / 1e3,
			json_is_true(json_object_get(e, "confirmed")) ? "" : "  (not confirmed)");
	}
}

/*
 * The schedule's period: long enough that every group's share is met
 * although each of its flows must appear at least once (a group of C flows
 * with share S needs C / S frames), four times over for rounding, within
 * GEN_SCHED_LEN..GEN_SCHED_MAX.
 */
static uint32_t
sched_len(const struct gen_scenario *sc)
{
	double len = GEN_SCHED_LEN;
	uint32_t g;

	for (g = 0; g < sc->n_groups; g++)
		len = RTE_MAX(len, 4.0 * sc->groups[g].count / sc->groups[g].share);
	return (uint32_t)RTE_MIN(len, (double)GEN_SCHED_MAX);
}

static int
setup(struct gen_run *r)
{
	struct gen_scenario *sc = &r->sc;
	uint32_t f, s, g, data_room;
	unsigned int i;
	int rc;

	r->hz = rte_get_tsc_hz();
	rc = find_port(r->o.tx_name, &r->tx_port);
	for (i = 0; rc == 0 && i < r->o.n_rx; i++)
		rc = find_port(r->o.rx_names[i], &r->rx_ports[i]);
	if (rc != 0)
		return rc;

	/* One segment per frame: the data room holds the largest frame. */
	data_room = RTE_MAX(max_frame_len(sc), (uint32_t)RTE_MBUF_DEFAULT_DATAROOM) +
		    RTE_PKTMBUF_HEADROOM;
	r->pool = rte_mempool_create(
		"gen_pool", r->o.mbufs, sizeof(struct rte_mbuf) + data_room, 256,
		sizeof(struct rte_pktmbuf_pool_private), rte_pktmbuf_pool_init,
		&(struct rte_pktmbuf_pool_private){.mbuf_data_room_size = (uint16_t)data_room},
		zero_obj, NULL, (int)rte_socket_id(), 0);
	if (r->pool == NULL) {
		fprintf(stderr, "mflow-gen: mbuf pool of %u: %s\n", r->o.mbufs,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = port_setup(r, r->tx_port, r->o.tx_name);
	for (i = 0; rc == 0 && i < r->o.n_rx; i++)
		if (r->rx_ports[i] != r->tx_port)
			rc = port_setup(r, r->rx_ports[i], r->o.rx_names[i]);
	if (rc != 0)
		return rc;

	r->tmpl = calloc((size_t)sc->n_flows * sc->sizes.n, sizeof(*r->tmpl));
	r->tx_seq = calloc(sc->n_flows, sizeof(*r->tx_seq));
	r->base = calloc(sc->n_flows, sizeof(*r->base));
	r->flow_tx = calloc(sc->n_flows, sizeof(*r->flow_tx));
	r->seq = calloc(sc->n_flows, sizeof(*r->seq));
	r->flow_group = calloc(sc->n_flows, sizeof(*r->flow_group));
	r->lat = malloc(sizeof(*r->lat));
	r->group_lat = calloc(sc->n_groups, sizeof(*r->group_lat));
	r->trials = json_array();
	if (r->tmpl == NULL || r->tx_seq == NULL || r->base == NULL || r->flow_tx == NULL ||
	    r->seq == NULL || r->flow_group == NULL || r->lat == NULL || r->group_lat == NULL ||
	    r->trials == NULL)
		return -ENOMEM;
	for (f = 0; f < sc->n_flows; f++)
		for (s = 0; s < sc->sizes.n; s++) {
			rc = gen_tmpl_build(&r->tmpl[f * sc->sizes.n + s], sc, f, sc->sizes.seq[s]);
			if (rc != 0) {
				fprintf(stderr, "mflow-gen: template of flow %u: %s\n", f,
					strerror(-rc));
				return rc;
			}
		}
	for (g = 0; g < sc->n_groups; g++)
		for (f = sc->groups[g].first; f < sc->groups[g].first + sc->groups[g].count; f++)
			r->flow_group[f] = (uint16_t)g;
	rc = gen_sched_build(&r->sched, sc, sched_len(sc));
	if (rc != 0)
		fprintf(stderr, "mflow-gen: schedule: %s\n", strerror(-rc));
	return rc;
}

static void
teardown(struct gen_run *r)
{
	unsigned int i;

	/* Every port there is was set up by us (only --vdev ports exist with --no-pci). */
	if (r->pool != NULL) {
		uint16_t p;

		RTE_ETH_FOREACH_DEV (p) {
			(void)rte_eth_dev_stop(p);
			(void)rte_eth_dev_close(p);
		}
		rte_mempool_free(r->pool);
	}
	gen_sched_free(&r->sched);
	free(r->tmpl);
	free(r->tx_seq);
	free(r->base);
	free(r->flow_tx);
	free(r->seq);
	free(r->flow_group);
	free(r->lat);
	free(r->group_lat);
	json_decref(r->trials);
	for (i = 0; i < r->o.n_rx; i++)
		free(r->o.rx_names[i]);
}

int
main(int argc, char **argv)
{
	struct gen_run r;
	json_t *report = NULL, *ports;
	struct gen_trial t;
	unsigned int i;
	int n, rc;

	memset(&r, 0, sizeof(r));
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mflow-gen: EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argv[n] = argv[0];
	rc = parse_args(argc - n, argv + n, &r);
	if (rc != 0) {
		rc = rc > 0 ? 0 : 2;
		goto out_eal;
	}
	signal(SIGINT, gen_on_signal);
	signal(SIGTERM, gen_on_signal);
	rc = setup(&r);
	if (rc == 0)
		rc = wait_links(&r);
	if (rc != 0) {
		rc = rc == -EINTR ? 130 : 1;
		goto out_run;
	}

	report = json_pack("{s:s,s:s,s:o,s:o}", "tool", "mflow-gen", "kind", "measured", "machine",
			   machine_json(), "scenario", scenario_json(&r.sc));
	{
		/* The shares the schedule gives, which rounding may move off the asked ones. */
		json_t *groups = json_object_get(json_object_get(report, "scenario"), "flows");
		uint64_t per[GEN_MAX_GROUPS] = {0};
		uint32_t k, g;
		size_t gi;
		json_t *gj;

		for (k = 0; k < r.sched.n; k++)
			per[r.flow_group[r.sched.flow[k]]]++;
		json_array_foreach (groups, gi, gj) {
			g = (uint32_t)gi;
			json_object_set_new(gj, "share_scheduled",
					    json_real((double)per[g] / (double)r.sched.n));
		}
	}
	json_object_set_new(report, "options",
			    json_pack("{s:i,s:i,s:b,s:I}", "burst", (int)r.o.burst, "drain_ms",
				      (int)r.o.drain_ms, "quick", r.o.quick, "tsc_hz",
				      (json_int_t)r.hz));
	if (r.o.search) {
		json_object_set_new(report, "search", run_search(&r));
	} else {
		run_trial(&r, &t, r.sc.rate_pps, r.sc.duration_s, r.sc.warmup_s);
		trial_print(&t, "trial");
		json_object_set_new(report, "result", trial_json(&r, &t, true));
	}
	json_object_set(report, "trials", r.trials);
	ports = json_array();
	json_array_append_new(ports, port_json(r.tx_port));
	for (i = 0; i < r.o.n_rx; i++)
		if (r.rx_ports[i] != r.tx_port)
			json_array_append_new(ports, port_json(r.rx_ports[i]));
	json_object_set_new(report, "ports", ports);
	json_object_set_new(report, "interrupted", json_boolean(gen_stop));

	print_table(report);
	if (r.o.json_out != NULL) {
		if (json_dump_file(report, r.o.json_out, JSON_INDENT(1)) != 0) {
			fprintf(stderr, "mflow-gen: cannot write %s\n", r.o.json_out);
			rc = 1;
		}
	} else {
		json_dumpf(report, stdout, JSON_INDENT(1));
		putchar('\n');
	}
	if (gen_stop)
		rc = 130;
	json_decref(report);
out_run:
	teardown(&r);
out_eal:
	rte_eal_cleanup();
	return rc;
}
