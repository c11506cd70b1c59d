/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-coap-load: a CoAP load generator for the IoT experiment
 * (bench/coap_iot.py, after Section VI of the seed paper).
 *
 * It sends confirmable GET requests to one or more CoAP servers and keeps
 * exactly P of them outstanding per server: as soon as a request of a
 * server is answered, times out or fails, the next one is sent. Every
 * request carries a token of its own (an 8-byte counter unique within the
 * run), so a response is matched to its request by token alone, and its
 * response time is the CLOCK_MONOTONIC time from just before coap_send() to
 * the entry of the response handler.
 *
 * One libcoap context holds one client session per server. libcoap's own
 * congestion control would get in the way of the measurement, so each
 * session is tuned:
 *
 * - NSTART (RFC 7252, 4.8) is raised to its maximum. With the default of 1,
 *   libcoap queues a second confirmable request until the first is
 *   acknowledged, and the queueing time would count as response time. The
 *   number in flight is bounded here instead (P, plus the requests given up
 *   on that libcoap may still retransmit once).
 * - ACK_TIMEOUT is set above our own per-request timeout and the random
 *   factor to 1, so that libcoap never retransmits a request that we still
 *   wait for: every response time measured is that of a first transmission.
 *   MAX_RETRANSMIT is 1 (libcoap's smallest), so that a request given up on
 *   leaves libcoap's queue soon.
 *
 * A request not answered within --timeout-ms counts as a timeout and frees
 * its place; a response that comes for it later counts as late and is
 * otherwise ignored. A request that libcoap reports as failed (reset by the
 * server, ICMP error) counts as failed. Only responses matched in time give
 * response times; every response code is counted.
 *
 * The loop never spins: it sleeps in coap_io_process() until a datagram
 * arrives or the nearest deadline (a request's timeout, the end of
 * --duration, the hard limit --max-time) but at most CL_MAX_WAIT_MS, so
 * that SIGINT and SIGTERM (which stop sending and print the report of what
 * was done) are seen quickly. --max-time bounds the whole run whatever the
 * servers do.
 *
 * Known cost: libcoap 4.3.1 built with epoll re-arms its timerfd after
 * each confirmable request that joins a non-empty retransmission queue
 * (with the queue's relative delay, about 1 ms), and again before waiting.
 * With P >= 2 this costs two extra timer reprogrammings per request, which
 * on a virtual machine show up as tens of microseconds of system time in
 * the client. The client is the same in every configuration of the
 * experiment, so comparisons hold, but absolute times at P >= 2 include it.
 *
 * Output: one JSON document on stdout with --json, else a readable table.
 * Percentiles are nearest-rank over the matched responses.
 *
 * Exit status: 0 when the run completed and every server answered at least
 * once, 1 when setup failed, the run was cut short (signal, --max-time) or
 * a server never answered, 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <coap3/coap.h>
#include <jansson.h>

/** The program name in messages. */
#define CL_PROG "mflow-coap-load"
/** Most --server options. */
#define CL_MAX_SERVERS 16
/** Most requests outstanding per server (the paper's 1 to 4 parallel requests). */
#define CL_MAX_PARALLEL 4
/** Most requests per server. */
#define CL_MAX_COUNT 1000000u
/** Requests per server when neither --count nor --duration is given. */
#define CL_DEF_COUNT 1000u
/** Longest --duration, in seconds. */
#define CL_MAX_DURATION_S 3600.0
/** Default and bounds of --timeout-ms. */
#define CL_DEF_TIMEOUT_MS 2000u
#define CL_MIN_TIMEOUT_MS 10u
#define CL_MAX_TIMEOUT_MS 60000u
/** Default and bounds of --max-time, in seconds. */
#define CL_DEF_MAX_TIME_S 600.0
#define CL_MAX_MAX_TIME_S 86400.0
/** Longest single wait in coap_io_process(), in milliseconds. */
#define CL_MAX_WAIT_MS 100
/** Longest server text (address, port and path). */
#define CL_SPEC_MAX 300
/** Longest Uri-Path segment (the CoAP option's limit). */
#define CL_SEGMENT_MAX 255
/** Most Uri-Path segments of a --server path. */
#define CL_MAX_SEGMENTS 8
/** Bytes of a request token. */
#define CL_TOKEN_LEN 8
/** Default CoAP port. */
#define CL_DEF_PORT 5683

#define NS_PER_MS 1000000ull
#define NS_PER_S  1000000000ull

/** Command-line options. */
struct cl_opts {
	const char *servers[CL_MAX_SERVERS]; /**< The --server texts, as given. */
	unsigned int n_servers;		     /**< Entries in servers. */
	unsigned int parallel;		     /**< Requests outstanding per server. */
	unsigned int count;		     /**< Requests per server. */
	bool count_set;			     /**< --count was given. */
	double duration_s;		     /**< Sending time, or 0 for no limit. */
	unsigned int timeout_ms;	     /**< Wait for each response. */
	double max_time_s;		     /**< Hard limit of the whole run. */
	bool json;			     /**< JSON on stdout instead of the table. */
	int verbose; /**< libcoap messages: 0 none, 1 warnings, 2 info, 3 debug. */
};

/** One place for a request in flight. */
struct cl_slot {
	bool busy;	  /**< A request occupies this place. */
	uint64_t token;	  /**< The request's token. */
	uint64_t sent_ns; /**< CLOCK_MONOTONIC time just before coap_send(). */
};

/** Counters of one server, or of all of them. */
struct cl_counts {
	uint64_t sent;	     /**< Requests handed to libcoap. */
	uint64_t received;   /**< Responses matched to a request in time. */
	uint64_t timeouts;   /**< Requests unanswered after the timeout. */
	uint64_t failed;     /**< Requests libcoap gave up on (RST, ICMP, send error). */
	uint64_t unfinished; /**< Requests in flight when the run was cut short. */
	uint64_t late;	     /**< Responses to requests already timed out. */
	uint64_t codes[256]; /**< Matched responses by CoAP code (class << 5 | detail). */
};

/** A growing array of response times. */
struct cl_samples {
	uint64_t *ns; /**< Response times, nanoseconds. */
	size_t n;     /**< Entries used. */
	size_t cap;   /**< Entries allocated. */
};

/** One server and its session. */
struct cl_server {
	const char *spec;    /**< The --server text (borrowed from argv). */
	coap_address_t addr; /**< Address and port. */
	char segs[CL_MAX_SEGMENTS][CL_SEGMENT_MAX + 1]; /**< Uri-Path segments. */
	unsigned int n_segs;				/**< Segments used. */
	coap_session_t *sess;				/**< Client session, owned. */
	struct cl_slot slots[CL_MAX_PARALLEL];		/**< Requests in flight. */
	unsigned int busy;				/**< Slots in use. */
	struct cl_counts c;				/**< Counters. */
	struct cl_samples lat;				/**< Response times of matched responses. */
};

/** The whole run. */
struct cl_run {
	struct cl_opts o;	   /**< Options. */
	coap_context_t *ctx;	   /**< libcoap context, owned. */
	struct cl_server *srv;	   /**< Servers, o.n_servers of them. */
	uint64_t next_token;	   /**< Last token handed out. */
	uint64_t start_ns;	   /**< Start of sending. */
	uint64_t end_ns;	   /**< End of the run. */
	uint64_t send_until_ns;	   /**< End of --duration, or UINT64_MAX. */
	uint64_t hard_deadline_ns; /**< End of --max-time. */
	uint64_t timeout_ns;	   /**< Per-request timeout. */
	bool sending;		   /**< New requests may still be sent. */
	bool interrupted;	   /**< SIGINT or SIGTERM stopped the run. */
	bool deadline_hit;	   /**< --max-time stopped the run. */
	bool io_error;		   /**< coap_io_process() failed. */
	bool coap_started;	   /**< coap_startup() was called. */
};

/** Set by the signal handler; the loop stops sending when it sees it. */
static volatile sig_atomic_t stop_requested;

/** The only run, for the response handler to stop sending when memory runs out. */
static struct cl_run *the_run;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/** @return CLOCK_MONOTONIC now, in nanoseconds. */
static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/** Print a one-line error about the command line. */
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CL_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " CL_PROG " --server ADDR[:PORT][/PATH] [--server ...] [OPTIONS]\n"
		"\n"
		"Send confirmable CoAP GET requests, P outstanding per server, and report the\n"
		"response times (from send to matching response, CLOCK_MONOTONIC).\n"
		"\n"
		"  -s, --server SPEC     a server: 198.18.1.10:5683/time, [2001:2::1]/time;\n"
		"                        PORT defaults to %u, PATH to '' (GET /); up to %u\n"
		"                        servers, all loaded at the same time\n"
		"  -P, --parallel N      requests outstanding per server, 1-%u (default 1)\n"
		"  -n, --count N         requests per server, 1-%u (default %u, or no limit\n"
		"                        below %u with --duration)\n"
		"  -d, --duration SEC    stop sending after SEC seconds, 0.001-%.0f; with\n"
		"                        --count, whichever comes first ends the run\n"
		"  -t, --timeout-ms MS   give up on a request after MS ms, %u-%u (default %u)\n"
		"  -m, --max-time SEC    hard limit of the whole run, 1-%.0f (default %.0f, or\n"
		"                        the duration + the timeout + 5 s with --duration)\n"
		"  -j, --json            print one JSON document instead of the table\n"
		"  -v, --verbose         libcoap messages: warnings, then info, then debug\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 done and every server answered, 1 failure or cut short or a\n"
		"server that never answered, 2 bad command line.\n",
		CL_DEF_PORT, CL_MAX_SERVERS, CL_MAX_PARALLEL, CL_MAX_COUNT, CL_DEF_COUNT,
		CL_MAX_COUNT, CL_MAX_DURATION_S, CL_MIN_TIMEOUT_MS, CL_MAX_TIMEOUT_MS,
		CL_DEF_TIMEOUT_MS, CL_MAX_MAX_TIME_S, CL_DEF_MAX_TIME_S);
}

/**
 * Parse a decimal integer within [@p min, @p max].
 *
 * @return 0, or -EINVAL when @p s is not such an integer.
 */
static int
parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/**
 * Parse a finite decimal number of seconds within [@p min, @p max].
 *
 * @return 0, or -EINVAL.
 */
static int
parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/**
 * Parse a --server text into @p s: an IPv4 address or a bracketed IPv6
 * address, an optional port, an optional path of at most 8 segments.
 * Host names are not resolved.
 *
 * @return 0, or -EINVAL with a message on stderr.
 */
static int
parse_server(const char *spec, struct cl_server *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *p = spec, *hend, *path;
	unsigned int port = CL_DEF_PORT;
	size_t hlen;

	memset(s, 0, sizeof(*s));
	s->spec = spec;
	if (strlen(spec) > CL_SPEC_MAX)
		goto out_bad;
	if (*p == '[') {
		p++;
		hend = strchr(p, ']');
		if (hend == NULL)
			goto out_bad;
		hlen = (size_t)(hend - p);
		p = hend + 1;
	} else {
		hlen = strcspn(p, ":/");
		hend = p + hlen;
		p = hend;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto out_bad;
	memcpy(host, hend - hlen, hlen);
	host[hlen] = '\0';

	/* The port, up to the path. */
	path = strchr(p, '/');
	if (*p == ':') {
		char num[8];
		size_t n = (size_t)((path != NULL ? path : p + strlen(p)) - (p + 1));

		if (n == 0 || n >= sizeof(num))
			goto out_bad;
		memcpy(num, p + 1, n);
		num[n] = '\0';
		if (parse_uint(num, 1, 65535, &port) != 0)
			goto out_bad;
	} else if (*p != '\0' && *p != '/') {
		goto out_bad;
	}

	/* The address: IPv4 without brackets, IPv6 with them. */
	coap_address_init(&s->addr);
	if (spec[0] == '[') {
		s->addr.addr.sin6.sin6_family = AF_INET6;
		s->addr.addr.sin6.sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s->addr.addr.sin6.sin6_addr) != 1)
			goto out_bad;
		s->addr.size = sizeof(s->addr.addr.sin6);
	} else {
		s->addr.addr.sin.sin_family = AF_INET;
		s->addr.addr.sin.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s->addr.addr.sin.sin_addr) != 1)
			goto out_bad;
		s->addr.size = sizeof(s->addr.addr.sin);
	}

	/* The path: segments separated by '/', empty ones skipped. */
	while (path != NULL && *path != '\0') {
		size_t n;

		path++;
		n = strcspn(path, "/");
		if (n > 0) {
			if (n > CL_SEGMENT_MAX || s->n_segs == CL_MAX_SEGMENTS)
				goto out_bad;
			memcpy(s->segs[s->n_segs], path, n);
			s->segs[s->n_segs][n] = '\0';
			s->n_segs++;
		}
		path += n;
	}
	return 0;

out_bad:
	usage_error("--server: expected IPv4[:PORT][/PATH] or [IPv6][:PORT][/PATH] (numeric, "
		    "at most 8 path segments), got '%s'",
		    spec);
	return -EINVAL;
}

/**
 * Parse the command line into @p o.
 *
 * @return 0, 1 when --help was printed, or -EINVAL after a one-line message.
 */
static int
parse_opts(int argc, char **argv, struct cl_opts *o)
{
	static const struct option lopts[] = {
		{"server", required_argument, NULL, 's'},
		{"parallel", required_argument, NULL, 'P'},
		{"count", required_argument, NULL, 'n'},
		{"duration", required_argument, NULL, 'd'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"max-time", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool max_time_set = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->parallel = 1;
	o->timeout_ms = CL_DEF_TIMEOUT_MS;
	o->max_time_s = CL_DEF_MAX_TIME_S;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:P:n:d:t:m:jvh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (o->n_servers == CL_MAX_SERVERS) {
				usage_error("at most %u --server options", CL_MAX_SERVERS);
				return -EINVAL;
			}
			o->servers[o->n_servers++] = optarg;
			break;
		case 'P':
			if (parse_uint(optarg, 1, CL_MAX_PARALLEL, &o->parallel) != 0) {
				usage_error(
					"--parallel: expected an integer from 1 to %u, got '%s'",
					CL_MAX_PARALLEL, optarg);
				return -EINVAL;
			}
			break;
		case 'n':
			if (parse_uint(optarg, 1, CL_MAX_COUNT, &o->count) != 0) {
				usage_error("--count: expected an integer from 1 to %u, got '%s'",
					    CL_MAX_COUNT, optarg);
				return -EINVAL;
			}
			o->count_set = true;
			break;
		case 'd':
			if (parse_seconds(optarg, 0.001, CL_MAX_DURATION_S, &o->duration_s) != 0) {
				usage_error(
					"--duration: expected seconds from 0.001 to %.0f, got '%s'",
					CL_MAX_DURATION_S, optarg);
				return -EINVAL;
			}
			break;
		case 't':
			if (parse_uint(optarg, CL_MIN_TIMEOUT_MS, CL_MAX_TIMEOUT_MS,
				       &o->timeout_ms) != 0) {
				usage_error(
					"--timeout-ms: expected an integer from %u to %u, got '%s'",
					CL_MIN_TIMEOUT_MS, CL_MAX_TIMEOUT_MS, optarg);
				return -EINVAL;
			}
			break;
		case 'm':
			if (parse_seconds(optarg, 1.0, CL_MAX_MAX_TIME_S, &o->max_time_s) != 0) {
				usage_error("--max-time: expected seconds from 1 to %.0f, got '%s'",
					    CL_MAX_MAX_TIME_S, optarg);
				return -EINVAL;
			}
			max_time_set = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->n_servers == 0) {
		usage_error("at least one --server is needed");
		return -EINVAL;
	}
	if (!o->count_set)
		o->count = o->duration_s > 0 ? CL_MAX_COUNT : CL_DEF_COUNT;
	if (max_time_set && o->duration_s > 0 && o->max_time_s < o->duration_s) {
		usage_error("--max-time (%g s) is shorter than --duration (%g s)", o->max_time_s,
			    o->duration_s);
		return -EINVAL;
	}
	if (!max_time_set && o->duration_s > 0)
		o->max_time_s = o->duration_s + o->timeout_ms / 1000.0 + 5.0;
	return 0;
}

/** Free the response times of @p s; NULL is accepted. */
static void
samples_free(struct cl_samples *s)
{
	if (s == NULL)
		return;
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
}

/**
 * Append a response time to @p s.
 *
 * @return 0, or -ENOMEM.
 */
static int
samples_add(struct cl_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *p = realloc(s->ns, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		s->ns = p;
		s->cap = cap;
	}
	s->ns[s->n++] = ns;
	return 0;
}

/** Write @p v into @p buf as the 8-byte big-endian token. */
static void
token_encode(uint64_t v, uint8_t buf[CL_TOKEN_LEN])
{
	for (int i = CL_TOKEN_LEN - 1; i >= 0; i--) {
		buf[i] = (uint8_t)v;
		v >>= 8;
	}
}

/** @return the token of @p pdu as a counter, or 0 when it is not one of ours. */
static uint64_t
token_decode(const coap_pdu_t *pdu)
{
	coap_bin_const_t t = coap_pdu_get_token(pdu);
	uint64_t v = 0;

	if (t.length != CL_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < CL_TOKEN_LEN; i++)
		v = (v << 8) | t.s[i];
	return v;
}

/** @return the slot of @p s waiting for @p token, or NULL. */
static struct cl_slot *
slot_find(struct cl_server *s, uint64_t token)
{
	if (token == 0)
		return NULL;
	for (unsigned int i = 0; i < CL_MAX_PARALLEL; i++)
		if (s->slots[i].busy && s->slots[i].token == token)
			return &s->slots[i];
	return NULL;
}

/** Free @p slot of @p s. */
static void
slot_release(struct cl_server *s, struct cl_slot *slot)
{
	slot->busy = false;
	s->busy--;
}

/**
 * libcoap's response handler: match the response to its request by token,
 * record the response time and the code, and free the request's place.
 */
static coap_response_t
on_response(coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *received,
	    const coap_mid_t mid)
{
	uint64_t now = mono_ns();
	struct cl_server *s = coap_session_get_app_data(session);
	struct cl_slot *slot;

	(void)sent;
	(void)mid;
	if (s == NULL)
		return COAP_RESPONSE_OK;
	slot = slot_find(s, token_decode(received));
	if (slot == NULL) {
		/* A request that timed out, or a duplicate: not measured. */
		s->c.late++;
		return COAP_RESPONSE_OK;
	}
	if (samples_add(&s->lat, now - slot->sent_ns) != 0) {
		fprintf(stderr, "%s: out of memory for response times\n", CL_PROG);
		the_run->sending = false;
	}
	s->c.received++;
	s->c.codes[coap_pdu_get_code(received) & 0xff]++;
	slot_release(s, slot);
	return COAP_RESPONSE_OK;
}

/**
 * libcoap's failure handler: a request was reset by the server, hit an ICMP
 * error or was retransmitted too often. A request still waited for counts as
 * failed; one already timed out is ignored.
 */
static void
on_nack(coap_session_t *session, const coap_pdu_t *sent, const coap_nack_reason_t reason,
	const coap_mid_t mid)
{
	struct cl_server *s = coap_session_get_app_data(session);
	struct cl_slot *slot;

	(void)reason;
	(void)mid;
	if (s == NULL || sent == NULL)
		return;
	slot = slot_find(s, token_decode(sent));
	if (slot == NULL)
		return;
	s->c.failed++;
	slot_release(s, slot);
}

/**
 * Send the next request of @p s into a free slot.
 *
 * @return 0, or -EIO when libcoap could not build or send it (the request
 *   then counts as sent and failed, so that a broken path ends the run).
 */
static int
send_one(struct cl_run *r, struct cl_server *s)
{
	uint8_t tok[CL_TOKEN_LEN];
	struct cl_slot *slot = NULL;
	coap_pdu_t *pdu;

	for (unsigned int i = 0; i < CL_MAX_PARALLEL; i++) {
		if (!s->slots[i].busy) {
			slot = &s->slots[i];
			break;
		}
	}
	if (slot == NULL)
		return -EBUSY;

	s->c.sent++;
	pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s->sess);
	if (pdu == NULL)
		goto out_failed;
	r->next_token++;
	token_encode(r->next_token, tok);
	if (!coap_add_token(pdu, sizeof(tok), tok))
		goto out_free_pdu;
	for (unsigned int i = 0; i < s->n_segs; i++)
		if (!coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(s->segs[i]),
				     (const uint8_t *)s->segs[i]))
			goto out_free_pdu;

	/* The slot is taken before sending: libcoap may answer from inside coap_send(). */
	slot->busy = true;
	slot->token = r->next_token;
	s->busy++;
	slot->sent_ns = mono_ns();
	if (coap_send(s->sess, pdu) == COAP_INVALID_MID) {
		/* coap_send() has freed the PDU. Unless the failure handler has
		 * already counted the request and freed its slot, do it here. */
		if (slot->busy && slot->token == r->next_token)
			goto out_release;
		return -EIO;
	}
	return 0;

out_release:
	slot_release(s, slot);
	goto out_failed;

out_free_pdu:
	coap_delete_pdu(pdu);
out_failed:
	s->c.failed++;
	return -EIO;
}

/** Count the requests of every server that waited longer than the timeout. */
static void
expire(struct cl_run *r, uint64_t now)
{
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		struct cl_server *s = &r->srv[k];

		for (unsigned int i = 0; i < CL_MAX_PARALLEL; i++) {
			struct cl_slot *slot = &s->slots[i];

			if (slot->busy && now - slot->sent_ns >= r->timeout_ns) {
				s->c.timeouts++;
				slot_release(s, slot);
			}
		}
	}
}

/** Fill every server's free slots while it has requests left to send. */
static void
fill(struct cl_run *r)
{
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		struct cl_server *s = &r->srv[k];

		/* Each pass either fills a slot or counts a failed send, so the
		 * loop ends within count iterations. */
		while (r->sending && s->busy < r->o.parallel && s->c.sent < r->o.count)
			send_one(r, s);
	}
}

/** @return true when no server has anything left to send or to wait for. */
static bool
all_done(const struct cl_run *r)
{
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		const struct cl_server *s = &r->srv[k];

		if (s->busy > 0 || (r->sending && s->c.sent < r->o.count))
			return false;
	}
	return true;
}

/** @return how long coap_io_process() may sleep: until the nearest deadline, 1..CL_MAX_WAIT_MS. */
static uint32_t
wait_ms(const struct cl_run *r, uint64_t now)
{
	uint64_t next = r->hard_deadline_ns;

	if (r->sending && r->send_until_ns < next)
		next = r->send_until_ns;
	for (unsigned int k = 0; k < r->o.n_servers; k++)
		for (unsigned int i = 0; i < CL_MAX_PARALLEL; i++) {
			const struct cl_slot *slot = &r->srv[k].slots[i];

			if (slot->busy && slot->sent_ns + r->timeout_ns < next)
				next = slot->sent_ns + r->timeout_ns;
		}
	if (next <= now)
		return 1;
	next = (next - now + NS_PER_MS - 1) / NS_PER_MS;
	return next > CL_MAX_WAIT_MS ? CL_MAX_WAIT_MS : (uint32_t)next;
}

/**
 * Run the load until every request is done, or a signal or the hard limit
 * cuts it short (requests then in flight count as unfinished).
 */
static void
run_loop(struct cl_run *r)
{
	r->start_ns = mono_ns();
	r->send_until_ns = r->o.duration_s > 0
				   ? r->start_ns + (uint64_t)(r->o.duration_s * NS_PER_S)
				   : UINT64_MAX;
	r->hard_deadline_ns = r->start_ns + (uint64_t)(r->o.max_time_s * NS_PER_S);
	r->sending = true;
	for (;;) {
		uint64_t now = mono_ns();

		if (stop_requested) {
			r->interrupted = true;
			break;
		}
		if (now >= r->hard_deadline_ns) {
			r->deadline_hit = true;
			break;
		}
		if (now >= r->send_until_ns)
			r->sending = false;
		expire(r, now);
		fill(r);
		if (all_done(r))
			break;
		if (coap_io_process(r->ctx, wait_ms(r, mono_ns())) < 0) {
			fprintf(stderr, "%s: coap_io_process failed\n", CL_PROG);
			r->io_error = true;
			break;
		}
	}
	r->end_ns = mono_ns();
	r->sending = false;
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		struct cl_server *s = &r->srv[k];

		for (unsigned int i = 0; i < CL_MAX_PARALLEL; i++)
			if (s->slots[i].busy) {
				s->c.unfinished++;
				slot_release(s, &s->slots[i]);
			}
	}
}

/**
 * Create the libcoap context and one session per server.
 *
 * @return 0, or -errno with a message on stderr.
 */
static int
run_setup(struct cl_run *r)
{
	/* An ACK_TIMEOUT above our timeout: libcoap never retransmits a request
	 * that we still wait for. */
	coap_fixed_point_t ack = {.integer_part = (uint16_t)(r->o.timeout_ms / 1000 + 1),
				  .fractional_part = 0};
	coap_fixed_point_t factor = {.integer_part = 1, .fractional_part = 0};
	/* Quiet by default: every failure is counted in the report, and libcoap
	 * would log each refused datagram at LOG_CRIT. */
	int levels[] = {LOG_EMERG, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	coap_startup();
	r->coap_started = true;
	coap_set_log_level(levels[r->o.verbose > 3 ? 3 : r->o.verbose]);
	r->ctx = coap_new_context(NULL);
	if (r->ctx == NULL) {
		fprintf(stderr, "%s: cannot create the libcoap context\n", CL_PROG);
		return -ENOMEM;
	}
	coap_register_response_handler(r->ctx, on_response);
	coap_register_nack_handler(r->ctx, on_nack);
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		struct cl_server *s = &r->srv[k];

		s->sess = coap_new_client_session(r->ctx, NULL, &s->addr, COAP_PROTO_UDP);
		if (s->sess == NULL) {
			fprintf(stderr, "%s: cannot open a session to %s\n", CL_PROG, s->spec);
			return -EIO;
		}
		coap_session_set_app_data(s->sess, s);
		coap_session_set_nstart(s->sess, UINT16_MAX);
		coap_session_set_ack_timeout(s->sess, ack);
		coap_session_set_ack_random_factor(s->sess, factor);
		coap_session_set_max_retransmit(s->sess, 1);
	}
	return 0;
}

/** Release the sessions, the context and the response times; safe on a partial setup. */
static void
run_cleanup(struct cl_run *r)
{
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		if (r->srv[k].sess != NULL) {
			coap_session_set_app_data(r->srv[k].sess, NULL);
			coap_session_release(r->srv[k].sess);
			r->srv[k].sess = NULL;
		}
		samples_free(&r->srv[k].lat);
	}
	if (r->ctx != NULL) {
		coap_free_context(r->ctx);
		r->ctx = NULL;
	}
	if (r->coap_started) {
		coap_cleanup();
		r->coap_started = false;
	}
}

/** Latency figures of one set of samples, in microseconds. */
struct cl_summary {
	size_t n;	/**< Samples. */
	double min_us;	/**< Smallest. */
	double p50_us;	/**< Median (nearest rank). */
	double p90_us;	/**< 90th percentile. */
	double p99_us;	/**< 99th percentile. */
	double max_us;	/**< Largest. */
	double mean_us; /**< Arithmetic mean. */
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/** @return the nearest-rank @p pct percentile of @p n sorted samples, in us. */
static double
rank_us(const uint64_t *sorted, size_t n, double pct)
{
	size_t rank = (size_t)ceil(pct / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)sorted[rank - 1] / 1000.0;
}

/** Sort @p s in place and summarise it into @p out (n = 0 when empty). */
static void
summarise(struct cl_samples *s, struct cl_summary *out)
{
	long double sum = 0;

	memset(out, 0, sizeof(*out));
	out->n = s->n;
	if (s->n == 0)
		return;
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		sum += s->ns[i];
	out->min_us = s->ns[0] / 1000.0;
	out->p50_us = rank_us(s->ns, s->n, 50);
	out->p90_us = rank_us(s->ns, s->n, 90);
	out->p99_us = rank_us(s->ns, s->n, 99);
	out->max_us = s->ns[s->n - 1] / 1000.0;
	out->mean_us = (double)(sum / s->n) / 1000.0;
}

/** Add the counters of @p from to @p to. */
static void
counts_add(struct cl_counts *to, const struct cl_counts *from)
{
	to->sent += from->sent;
	to->received += from->received;
	to->timeouts += from->timeouts;
	to->failed += from->failed;
	to->unfinished += from->unfinished;
	to->late += from->late;
	for (size_t i = 0; i < 256; i++)
		to->codes[i] += from->codes[i];
}

/** Write the CoAP code @p code as "c.dd" into @p buf. */
static void
code_text(unsigned int code, char buf[8])
{
	snprintf(buf, 8, "%u.%02u", (code >> 5) & 7, code & 31);
}

/** Round @p v to 0.1 for the report. */
static double
r1(double v)
{
	return round(v * 10.0) / 10.0;
}

/**
 * Build the JSON object of one server or of the total.
 *
 * @return a new reference owned by the caller, or NULL when out of memory.
 */
static json_t *
json_entry(const char *name, const struct cl_counts *c, const struct cl_summary *sum, double wall_s)
{
	json_t *codes = json_object(), *lat, *o;
	char code[8];

	if (codes == NULL)
		return NULL;
	for (unsigned int i = 0; i < 256; i++) {
		if (c->codes[i] == 0)
			continue;
		code_text(i, code);
		json_object_set_new(codes, code, json_integer((json_int_t)c->codes[i]));
	}
	if (sum->n > 0)
		lat = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "min", r1(sum->min_us), "median",
				r1(sum->p50_us), "p90", r1(sum->p90_us), "p99", r1(sum->p99_us),
				"max", r1(sum->max_us), "mean", r1(sum->mean_us));
	else
		lat = json_null();
	/* json_pack's "o" steals the references to codes and lat, even on failure. */
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:f}", "server", name,
		      "sent", (json_int_t)c->sent, "received", (json_int_t)c->received, "timeouts",
		      (json_int_t)c->timeouts, "failed", (json_int_t)c->failed, "unfinished",
		      (json_int_t)c->unfinished, "late", (json_int_t)c->late, "lost",
		      (json_int_t)(c->sent - c->received), "codes", codes, "latency_us", lat,
		      "responses_per_s", wall_s > 0 ? r1((double)c->received / wall_s) : 0.0);
	return o;
}

/** Write the codes of @p c as "2.05=1000 4.04=2" into @p buf. */
static void
codes_line(const struct cl_counts *c, char *buf, size_t len)
{
	size_t used = 0;
	char code[8];

	buf[0] = '\0';
	for (unsigned int i = 0; i < 256 && used < len; i++) {
		int n;

		if (c->codes[i] == 0)
			continue;
		code_text(i, code);
		n = snprintf(buf + used, len - used, "%s%s=%" PRIu64, used ? " " : "", code,
			     c->codes[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

/** Print one row of the table. */
static void
table_row(const char *name, const struct cl_counts *c, const struct cl_summary *sum)
{
	char codes[64];

	codes_line(c, codes, sizeof(codes));
	printf("%-28s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64
	       " %-12s",
	       name, c->sent, c->received, c->timeouts, c->failed, c->unfinished, c->late, codes);
	if (sum->n > 0)
		printf(" %9.1f %9.1f %9.1f %9.1f %9.1f\n", sum->min_us, sum->p50_us, sum->p90_us,
		       sum->p99_us, sum->max_us);
	else
		printf(" %9s %9s %9s %9s %9s\n", "-", "-", "-", "-", "-");
}

/**
 * Print the report: JSON or the table.
 *
 * @return 0, or -ENOMEM.
 */
static int
report(struct cl_run *r)
{
	double wall_s = (double)(r->end_ns - r->start_ns) / NS_PER_S;
	struct cl_samples all = {0};
	struct cl_counts total = {0};
	struct cl_summary sum;
	json_t *doc = NULL, *servers = NULL;
	int ret = -ENOMEM;

	/* The total's samples are a copy: each server's are sorted on their own. */
	for (unsigned int k = 0; k < r->o.n_servers; k++) {
		struct cl_server *s = &r->srv[k];

		counts_add(&total, &s->c);
		for (size_t i = 0; i < s->lat.n; i++)
			if (samples_add(&all, s->lat.ns[i]) != 0)
				goto out_free;
	}
	if (r->o.json) {
		servers = json_array();
		if (servers == NULL)
			goto out_free;
		for (unsigned int k = 0; k < r->o.n_servers; k++) {
			summarise(&r->srv[k].lat, &sum);
			if (json_array_append_new(servers, json_entry(r->srv[k].spec, &r->srv[k].c,
								      &sum, wall_s)) != 0)
				goto out_free;
		}
		summarise(&all, &sum);
		/* json_pack's "o" takes the references to servers and to the total. */
		doc = json_pack(
			"{s:s, s:{s:I, s:I, s:f, s:I, s:f, s:b, s:b, s:s, s:s}, s:o, s:o}", "tool",
			CL_PROG, "run", "parallel", (json_int_t)r->o.parallel, "count",
			(json_int_t)r->o.count, "duration_s", r->o.duration_s, "timeout_ms",
			(json_int_t)r->o.timeout_ms, "wall_s", round(wall_s * 1e6) / 1e6,
			"interrupted", r->interrupted, "deadline_hit", r->deadline_hit, "clock",
			"CLOCK_MONOTONIC, send to matching response", "percentiles", "nearest rank",
			"servers", servers, "total", json_entry("all", &total, &sum, wall_s));
		servers = NULL;
		if (doc == NULL)
			goto out_free;
		if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) != 0)
			goto out_free;
		fputc('\n', stdout);
	} else {
		printf("%d request(s) outstanding per server, %.3f s, timeout %u ms%s%s\n",
		       r->o.parallel, wall_s, r->o.timeout_ms,
		       r->interrupted ? ", interrupted" : "",
		       r->deadline_hit ? ", cut short by --max-time" : "");
		printf("%-28s %8s %8s %6s %6s %6s %6s %-12s %9s %9s %9s %9s %9s\n", "server",
		       "sent", "received", "tmo", "failed", "unfin", "late", "codes", "min us",
		       "median", "p90", "p99", "max us");
		for (unsigned int k = 0; k < r->o.n_servers; k++) {
			summarise(&r->srv[k].lat, &sum);
			table_row(r->srv[k].spec, &r->srv[k].c, &sum);
		}
		if (r->o.n_servers > 1) {
			summarise(&all, &sum);
			table_row("all", &total, &sum);
		}
	}
	fflush(stdout);
	ret = 0;

out_free:
	if (ret != 0)
		fprintf(stderr, "%s: out of memory while reporting\n", CL_PROG);
	json_decref(servers);
	json_decref(doc);
	samples_free(&all);
	return ret;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct cl_run r = {0};
	int ret;

	ret = parse_opts(argc, argv, &r.o);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	r.srv = calloc(r.o.n_servers, sizeof(*r.srv));
	if (r.srv == NULL) {
		fprintf(stderr, "%s: out of memory\n", CL_PROG);
		return 1;
	}
	for (unsigned int k = 0; k < r.o.n_servers; k++) {
		if (parse_server(r.o.servers[k], &r.srv[k]) != 0) {
			free(r.srv);
			return 2;
		}
	}
	r.timeout_ns = (uint64_t)r.o.timeout_ms * NS_PER_MS;
	the_run = &r;

	/* No SA_RESTART: a signal cuts the wait in coap_io_process() short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = 1;
	if (run_setup(&r) != 0)
		goto out_cleanup;
	run_loop(&r);
	if (report(&r) != 0)
		goto out_cleanup;
	ret = r.interrupted || r.deadline_hit || r.io_error ? 1 : 0;
	for (unsigned int k = 0; k < r.o.n_servers; k++)
		if (r.srv[k].c.received == 0) {
			fprintf(stderr, "%s: %s never answered\n", CL_PROG, r.srv[k].spec);
			ret = 1;
		}

out_cleanup:
	run_cleanup(&r);
	free(r.srv);
	the_run = NULL;
	return ret;
}
