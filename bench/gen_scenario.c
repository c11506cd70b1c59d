/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-gen's scenario (gen.h): the defaults, the JSON reader and the
 * sending schedule.
 *
 * The defaults are test addresses only: the underlay in 198.18.0.0/24 and
 * the overlay in 198.19.0.0/24 (both in 198.18.0.0/15, RFC 2544), with
 * locally administered MAC addresses (02:...):
 *
 *   outer src  02:00:00:00:01:02  198.18.0.2  (the remote VTEP)
 *   outer dst  02:00:00:00:00:01  198.18.0.1  UDP 4789 (mflowd's underlay)
 *   inner src  02:00:00:00:02:01  198.19.0.1  UDP 10000 (+ flow index)
 *   inner dst  02:00:00:00:02:02  198.19.0.2  UDP 20000
 *
 * The outer source port is unused (0): the templates derive it from the
 * inner 5-tuple.
 *
 * Every json_t in this file is borrowed from the caller's document: none is
 * kept, changed or freed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Room for a key path such as "search.loss_pct[1]" or "outer.<unknown key>". */
#define PATH_LEN 128
/* Bytes of an unknown key shown in a message. */
#define KEY_SHOWN 40
/* How far from 1 the shares may add up. */
#define SHARE_EPS 1e-6
/* The largest VNI (24 bits). */
#define VNI_MAX 0xffffff

/* ------------------------------------------------------------------------- */
/* Defaults.                                                                 */

static void
set_end(struct gen_end *e, uint8_t m4, uint8_t m5, const char *ip, uint16_t port)
{
	const uint8_t mac[6] = {0x02, 0, 0, 0, m4, m5};

	memcpy(e->mac, mac, sizeof(mac));
	inet_pton(AF_INET, ip, &e->ip);
	e->port = port;
}

void
gen_scenario_defaults(struct gen_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->name, sizeof(sc->name), "scenario");
	sc->encap = GEN_ENCAP_VXLAN;
	sc->sizes.n = 1;
	sc->sizes.seq[0] = GEN_SIZE_MIN;
	sc->n_vnis = 1;
	sc->vnis[0] = 100;
	sc->n_groups = 1;
	snprintf(sc->groups[0].name, sizeof(sc->groups[0].name), "group0");
	sc->groups[0].count = 1;
	sc->groups[0].share = 1;
	sc->groups[0].first = 0;
	sc->n_flows = 1;
	sc->rate_pps = 0;
	sc->duration_s = 5;
	sc->warmup_s = 0.5;
	set_end(&sc->outer_src, 0x01, 0x02, "198.18.0.2", 0);
	set_end(&sc->outer_dst, 0x00, 0x01, "198.18.0.1", 4789);
	set_end(&sc->inner_src, 0x02, 0x01, "198.19.0.1", 10000);
	set_end(&sc->inner_dst, 0x02, 0x02, "198.19.0.2", 20000);
	sc->search = false;
	sc->search_loss_pct[0] = 0;
	sc->search_loss_pct[1] = 0.5;
	sc->search_n_loss = 2;
	sc->search_trial_s = 2;
	sc->search_precision = 1;
	sc->search_max_trials = 20;
	sc->search_max_pps = 0;
}

/* ------------------------------------------------------------------------- */
/* Messages and key paths.                                                   */

/* Where a message goes. */
struct perr {
	char *buf;
	size_t len;
};

static int fail(struct perr *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write "path: message" (truncated to fit, NUL-terminated) and return -EINVAL. */
static int
fail(struct perr *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->buf == NULL || e->len == 0)
		return -EINVAL;
	n = snprintf(e->buf, e->len, "%s: ", path);
	if (n >= 0 && (size_t)n < e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A path cut to fit (which the paths of known keys never are) ends with "...". */
static void
path_done(char out[PATH_LEN], int n)
{
	if (n < 0 || n >= PATH_LEN)
		memcpy(out + PATH_LEN - 4, "...", 4);
}

/*
 * The path of @p key (@p klen bytes, maybe with NUL bytes: JSON allows
 * them) under @p base. Bytes other than printable ASCII become '?' and a
 * long key is cut with "...", so that a message is always printable.
 */
static void
path_key(char out[PATH_LEN], const char *base, const char *key, size_t klen)
{
	char shown[KEY_SHOWN + 4];
	size_t i, n = klen < KEY_SHOWN ? klen : KEY_SHOWN;

	for (i = 0; i < n; i++)
		shown[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
	if (klen > KEY_SHOWN) {
		memcpy(shown + i, "...", 3);
		i += 3;
	}
	shown[i] = '\0';
	path_done(out, snprintf(out, PATH_LEN, "%s%s%s", base, base[0] != '\0' ? "." : "", shown));
}

/* The path of element @p i of the array at @p base. */
static void
path_index(char out[PATH_LEN], const char *base, size_t i)
{
	path_done(out, snprintf(out, PATH_LEN, "%s[%zu]", base, i));
}

/* Whether @p key (@p klen bytes) is @p name. */
static bool
key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

/* ------------------------------------------------------------------------- */
/* Values.                                                                   */

/* An integer in [lo, hi]: a JSON integer, or a real without a fraction. */
static int
get_uint(struct perr *e, const char *path, const json_t *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || (uint64_t)i < lo || (uint64_t)i > hi)
			goto out_range;
		*out = (uint64_t)i;
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d != floor(d))
			return fail(e, path, "must be an integer, not %g", d);
		if (d < (double)lo || d > (double)hi)
			goto out_range;
		*out = (uint64_t)d;
		return 0;
	}
	return fail(e, path, "must be an integer");
out_range:
	return fail(e, path, "must be an integer >= %" PRIu64 " and <= %" PRIu64, lo, hi);
}

/* Bounds of a real number: lo (open or not) and, when finite, hi. */
struct range {
	double lo;
	bool lo_open;
	double hi;
	bool hi_open;
};

static const struct range RANGE_POS = {0, false, INFINITY, false}; /* [0, inf) */
static const struct range RANGE_SHARE = {0, true, 1, false};	   /* (0, 1] */
static const struct range RANGE_DURATION = {0, true, 3600, false}; /* (0, 3600] */
static const struct range RANGE_WARMUP = {0, false, 60, false};	   /* [0, 60] */
static const struct range RANGE_LOSS = {0, false, 100, true};	   /* [0, 100) */
static const struct range RANGE_TRIAL = {0, true, 600, false};	   /* (0, 600] */
static const struct range RANGE_PRECISION = {0, true, 50, false};  /* (0, 50] */

/* A number (JSON integer or real) within @p r. */
static int
get_num(struct perr *e, const char *path, const json_t *v, const struct range *r, double *out)
{
	double d;

	if (!json_is_number(v))
		return fail(e, path, "must be a number");
	d = json_number_value(v);
	if ((r->lo_open ? d <= r->lo : d < r->lo) ||
	    (isfinite(r->hi) && (r->hi_open ? d >= r->hi : d > r->hi))) {
		if (!isfinite(r->hi))
			return fail(e, path, "must be %s %g", r->lo_open ? ">" : ">=", r->lo);
		return fail(e, path, "must be %s %g and %s %g", r->lo_open ? ">" : ">=", r->lo,
			    r->hi_open ? "<" : "<=", r->hi);
	}
	*out = d;
	return 0;
}

/* A string of @p min to @p max bytes without NUL, copied into @p out (max + 1 bytes). */
static int
get_str(struct perr *e, const char *path, const json_t *v, size_t min, size_t max, char *out)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return fail(e, path, "must be a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (strlen(s) != n)
		return fail(e, path, "must not contain NUL");
	if (n < min || n > max)
		return fail(e, path, "must be %zu to %zu bytes long", min, max);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* A MAC address written as six pairs of hex digits separated by ':'. */
static int
get_mac(struct perr *e, const char *path, const json_t *v, uint8_t mac[6])
{
	const char *s;

	if (!json_is_string(v))
		goto out_bad;
	s = json_string_value(v);
	if (json_string_length(v) != 17)
		goto out_bad;
	for (int i = 0; i < 6; i++) {
		const char *d = &s[3 * i];

		if (!isxdigit((unsigned char)d[0]) || !isxdigit((unsigned char)d[1]) ||
		    (i < 5 && d[2] != ':'))
			goto out_bad;
		mac[i] = (uint8_t)strtoul((char[3]){d[0], d[1], '\0'}, NULL, 16);
	}
	return 0;
out_bad:
	return fail(e, path, "must be a MAC address like \"02:00:00:00:00:01\"");
}

/* A dotted-quad IPv4 address, stored in network order. */
static int
get_ip(struct perr *e, const char *path, const json_t *v, uint32_t *ip)
{
	const char *s;

	if (!json_is_string(v))
		goto out_bad;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || inet_pton(AF_INET, s, ip) != 1)
		goto out_bad;
	return 0;
out_bad:
	return fail(e, path, "must be an IPv4 address like \"198.18.0.1\"");
}

static int
get_port(struct perr *e, const char *path, const json_t *v, uint16_t *port)
{
	uint64_t u;
	int rc = get_uint(e, path, v, 1, 65535, &u);

	if (rc == 0)
		*port = (uint16_t)u;
	return rc;
}

static int
need_object(struct perr *e, const char *path, const json_t *v)
{
	return json_is_object(v) ? 0 : fail(e, path, "must be an object");
}

/*
 * The array at @p path with @p min to @p max elements; a single value is an
 * error. The caller walks the elements.
 */
static int
need_array(struct perr *e, const char *path, const json_t *v, size_t min, size_t max)
{
	size_t n;

	if (!json_is_array(v))
		return fail(e, path, "must be an array");
	n = json_array_size(v);
	if (n < min || n > max)
		return fail(e, path, "must have %zu to %zu elements, not %zu", min, max, n);
	return 0;
}

/* The iteration functions take no const; walking an object changes nothing. */
#define OBJ_FOREACH(obj, key, klen, val) \
	json_object_keylen_foreach((json_t *)(uintptr_t)(obj), key, klen, val)

/* ------------------------------------------------------------------------- */
/* Keys.                                                                     */

/*
 * "size": one frame size, a list of them, or "imix": the simple IMIX of
 * 7 x 64 B, 4 x 594 B and 1 x 1518 B (7:4:1), sent in the order
 * 64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518.
 */
static int
parse_size(struct perr *e, const json_t *v, struct gen_sizes *sz)
{
	static const uint16_t imix[] = {64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518};
	char path[PATH_LEN];
	uint64_t u;
	size_t i;
	int rc;

	_Static_assert(sizeof(imix) / sizeof(imix[0]) <= GEN_MAX_SIZES, "IMIX too long");
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "imix") != 0 || json_string_length(v) != 4)
			return fail(e, "size",
				    "must be an integer, an array of integers or \"imix\"");
		sz->n = sizeof(imix) / sizeof(imix[0]);
		memcpy(sz->seq, imix, sizeof(imix));
		sz->imix = true;
		return 0;
	}
	sz->imix = false;
	if (json_is_number(v)) {
		rc = get_uint(e, "size", v, GEN_SIZE_MIN, GEN_SIZE_MAX, &u);
		if (rc != 0)
			return rc;
		sz->n = 1;
		sz->seq[0] = (uint16_t)u;
		return 0;
	}
	if (!json_is_array(v))
		return fail(e, "size", "must be an integer, an array of integers or \"imix\"");
	rc = need_array(e, "size", v, 1, GEN_MAX_SIZES);
	if (rc != 0)
		return rc;
	for (i = 0; i < json_array_size(v); i++) {
		path_index(path, "size", i);
		rc = get_uint(e, path, json_array_get(v, i), GEN_SIZE_MIN, GEN_SIZE_MAX, &u);
		if (rc != 0)
			return rc;
		sz->seq[i] = (uint16_t)u;
	}
	sz->n = (uint32_t)i;
	return 0;
}

/* "vnis": distinct 24-bit VNIs. */
static int
parse_vnis(struct perr *e, const json_t *v, struct gen_scenario *sc)
{
	char path[PATH_LEN];
	uint64_t u;
	size_t i;
	int rc;

	rc = need_array(e, "vnis", v, 1, GEN_MAX_VNIS);
	if (rc != 0)
		return rc;
	for (i = 0; i < json_array_size(v); i++) {
		path_index(path, "vnis", i);
		rc = get_uint(e, path, json_array_get(v, i), 0, VNI_MAX, &u);
		if (rc != 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (sc->vnis[j] == u)
				return fail(e, path, "%" PRIu64 " is already vnis[%zu]", u, j);
		sc->vnis[i] = (uint32_t)u;
	}
	sc->n_vnis = (uint32_t)i;
	return 0;
}

/* One element of "flows": {"name"?, "count", "share"}. */
static int
parse_group(struct perr *e, const char *base, const json_t *v, struct gen_group *g, size_t idx)
{
	bool have_count = false, have_share = false;
	char path[PATH_LEN];
	const char *key;
	json_t *val;
	size_t klen;
	uint64_t u = 0;
	int rc;

	rc = need_object(e, base, v);
	if (rc != 0)
		return rc;
	snprintf(g->name, sizeof(g->name), "group%zu", idx);
	OBJ_FOREACH(v, key, klen, val)
	{
		path_key(path, base, key, klen);
		if (key_is(key, klen, "name")) {
			rc = get_str(e, path, val, 1, sizeof(g->name) - 1, g->name);
		} else if (key_is(key, klen, "count")) {
			rc = get_uint(e, path, val, 1, GEN_MAX_FLOWS, &u);
			g->count = (uint32_t)u;
			have_count = true;
		} else if (key_is(key, klen, "share")) {
			rc = get_num(e, path, val, &RANGE_SHARE, &g->share);
			have_share = true;
		} else {
			rc = fail(e, path, "unknown key");
		}
		if (rc != 0)
			return rc;
	}
	if (!have_count) {
		path_key(path, base, "count", 5);
		return fail(e, path, "required");
	}
	if (!have_share) {
		path_key(path, base, "share", 5);
		return fail(e, path, "required");
	}
	return 0;
}

/*
 * "flows": 1 to GEN_MAX_GROUPS groups whose shares add up to 1 (within
 * 1e-6) and whose counts add up to at most GEN_MAX_FLOWS.
 */
static int
parse_flows(struct perr *e, const json_t *v, struct gen_scenario *sc)
{
	char path[PATH_LEN];
	uint32_t total = 0;
	double shares = 0;
	size_t i;
	int rc;

	rc = need_array(e, "flows", v, 1, GEN_MAX_GROUPS);
	if (rc != 0)
		return rc;
	for (i = 0; i < json_array_size(v); i++) {
		struct gen_group *g = &sc->groups[i];

		path_index(path, "flows", i);
		memset(g, 0, sizeof(*g));
		rc = parse_group(e, path, json_array_get(v, i), g, i);
		if (rc != 0)
			return rc;
		g->first = total;
		total += g->count; /* At most 16 x 4096: no overflow. */
		shares += g->share;
	}
	if (total > GEN_MAX_FLOWS)
		return fail(e, "flows", "%" PRIu32 " flows in all, more than %d", total,
			    GEN_MAX_FLOWS);
	if (fabs(shares - 1) > SHARE_EPS)
		return fail(e, "flows", "the shares add up to %.9g, not 1", shares);
	sc->n_groups = (uint32_t)i;
	sc->n_flows = total;
	return 0;
}

/* "outer" (@p inner false) or "inner": the two ends' addresses and ports. */
static int
parse_ends(struct perr *e, const json_t *v, bool inner, struct gen_scenario *sc)
{
	const char *base = inner ? "inner" : "outer";
	struct gen_end *src = inner ? &sc->inner_src : &sc->outer_src;
	struct gen_end *dst = inner ? &sc->inner_dst : &sc->outer_dst;
	char path[PATH_LEN];
	const char *key;
	json_t *val;
	size_t klen;
	int rc;

	rc = need_object(e, base, v);
	if (rc != 0)
		return rc;
	OBJ_FOREACH(v, key, klen, val)
	{
		path_key(path, base, key, klen);
		if (key_is(key, klen, "src_mac"))
			rc = get_mac(e, path, val, src->mac);
		else if (key_is(key, klen, "dst_mac"))
			rc = get_mac(e, path, val, dst->mac);
		else if (key_is(key, klen, "src_ip"))
			rc = get_ip(e, path, val, &src->ip);
		else if (key_is(key, klen, "dst_ip"))
			rc = get_ip(e, path, val, &dst->ip);
		else if (!inner && key_is(key, klen, "udp_port"))
			rc = get_port(e, path, val, &dst->port);
		else if (inner && key_is(key, klen, "src_port"))
			rc = get_port(e, path, val, &src->port);
		else if (inner && key_is(key, klen, "dst_port"))
			rc = get_port(e, path, val, &dst->port);
		else
			rc = fail(e, path, "unknown key");
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* "search": the rate search's parameters. */
static int
parse_search(struct perr *e, const json_t *v, struct gen_scenario *sc)
{
	char path[PATH_LEN], elem[PATH_LEN];
	const char *key;
	json_t *val;
	size_t klen;
	uint64_t u = 0;
	int rc;

	rc = need_object(e, "search", v);
	if (rc != 0)
		return rc;
	sc->search = true;
	OBJ_FOREACH(v, key, klen, val)
	{
		path_key(path, "search", key, klen);
		if (key_is(key, klen, "loss_pct")) {
			if (json_is_number(val)) {
				rc = get_num(e, path, val, &RANGE_LOSS, &sc->search_loss_pct[0]);
				sc->search_n_loss = 1;
			} else if (!json_is_array(val)) {
				rc = fail(e, path, "must be a number or an array of numbers");
			} else {
				rc = need_array(e, path, val, 1, 2);
				for (size_t i = 0; rc == 0 && i < json_array_size(val); i++) {
					path_index(elem, path, i);
					rc = get_num(e, elem, json_array_get(val, i), &RANGE_LOSS,
						     &sc->search_loss_pct[i]);
				}
				sc->search_n_loss = (uint32_t)json_array_size(val);
			}
		} else if (key_is(key, klen, "trial_s")) {
			rc = get_num(e, path, val, &RANGE_TRIAL, &sc->search_trial_s);
		} else if (key_is(key, klen, "precision_pct")) {
			rc = get_num(e, path, val, &RANGE_PRECISION, &sc->search_precision);
		} else if (key_is(key, klen, "max_trials")) {
			rc = get_uint(e, path, val, 1, 100, &u);
			sc->search_max_trials = (uint32_t)u;
		} else if (key_is(key, klen, "max_pps")) {
			rc = get_num(e, path, val, &RANGE_POS, &sc->search_max_pps);
		} else {
			rc = fail(e, path, "unknown key");
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Beyond each key's own range: the inner source ports of the flows,
 * src_port .. src_port + n_flows - 1, must be valid ports.
 */
int
gen_scenario_parse(const json_t *root, struct gen_scenario *sc, char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	char path[PATH_LEN];
	const char *key;
	json_t *val;
	size_t klen;
	uint64_t u;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	gen_scenario_defaults(sc);
	if (!json_is_object(root))
		return fail(&e, "scenario", "must be an object");
	OBJ_FOREACH(root, key, klen, val)
	{
		rc = 0;
		path_key(path, "", key, klen);
		if (key_is(key, klen, "name")) {
			rc = get_str(&e, path, val, 1, sizeof(sc->name) - 1, sc->name);
		} else if (key_is(key, klen, "encap")) {
			if (json_is_string(val) &&
			    key_is(json_string_value(val), json_string_length(val), "vxlan"))
				sc->encap = GEN_ENCAP_VXLAN;
			else if (json_is_string(val) &&
				 key_is(json_string_value(val), json_string_length(val), "plain"))
				sc->encap = GEN_ENCAP_PLAIN;
			else
				rc = fail(&e, path, "must be \"vxlan\" or \"plain\"");
		} else if (key_is(key, klen, "size")) {
			rc = parse_size(&e, val, &sc->sizes);
		} else if (key_is(key, klen, "vnis")) {
			rc = parse_vnis(&e, val, sc);
		} else if (key_is(key, klen, "flows")) {
			rc = parse_flows(&e, val, sc);
		} else if (key_is(key, klen, "rate_pps")) {
			rc = get_num(&e, path, val, &RANGE_POS, &sc->rate_pps);
		} else if (key_is(key, klen, "duration_s")) {
			rc = get_num(&e, path, val, &RANGE_DURATION, &sc->duration_s);
		} else if (key_is(key, klen, "warmup_s")) {
			rc = get_num(&e, path, val, &RANGE_WARMUP, &sc->warmup_s);
		} else if (key_is(key, klen, "outer")) {
			rc = parse_ends(&e, val, false, sc);
		} else if (key_is(key, klen, "inner")) {
			rc = parse_ends(&e, val, true, sc);
		} else if (key_is(key, klen, "search")) {
			rc = parse_search(&e, val, sc);
		} else {
			rc = fail(&e, path, "unknown key");
		}
		if (rc != 0)
			return rc;
	}
	u = (uint64_t)sc->inner_src.port + sc->n_flows - 1;
	if (u > 65535)
		return fail(&e, "inner.src_port",
			    "the %" PRIu32 " flows' source ports would reach %" PRIu64
			    ", beyond 65535",
			    sc->n_flows, u);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Schedule.                                                                 */

/*
 * Group g's weight is round(share_g * len), raised to the group's flow
 * count when below it, so that every flow sends at least once per period.
 * The period is the sum of the weights, so it may differ from @p len by
 * the rounding (at most half a frame per group) and by the raises. Smooth
 * weighted round robin (as in nginx) spreads each group's frames evenly:
 * every pick, each group's credit grows by its weight, the group with the
 * most credit (the first one on a tie) sends and loses the period. A
 * period holds exactly weight_g frames of group g, and the flows of the
 * group send in turn, first + 0, 1, ..., count - 1, 0, ...
 */
int
gen_sched_build(struct gen_sched *sched, const struct gen_scenario *sc, uint32_t len)
{
	int64_t credit[GEN_MAX_GROUPS] = {0};
	uint32_t turn[GEN_MAX_GROUPS] = {0};
	uint64_t weight[GEN_MAX_GROUPS], n = 0, flows = 0;
	uint32_t ng = sc->n_groups;

	sched->n = 0;
	sched->flow = NULL;
	if (ng == 0 || ng > GEN_MAX_GROUPS || sc->n_flows == 0 || sc->n_flows > GEN_MAX_FLOWS ||
	    len < sc->n_flows)
		return -EINVAL;
	for (uint32_t g = 0; g < ng; g++) {
		const struct gen_group *gr = &sc->groups[g];
		double w = floor(gr->share * len + 0.5);

		if (gr->count == 0 || gr->first != flows || !(gr->share > 0 && gr->share <= 1))
			return -EINVAL;
		flows += gr->count;
		weight[g] = (uint64_t)w;
		if (weight[g] < gr->count)
			weight[g] = gr->count;
		n += weight[g];
	}
	if (flows != sc->n_flows || n > UINT32_MAX)
		return -EINVAL;
	sched->flow = malloc(n * sizeof(sched->flow[0]));
	if (sched->flow == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t best = 0;

		for (uint32_t g = 0; g < ng; g++) {
			credit[g] += (int64_t)weight[g];
			if (credit[g] > credit[best])
				best = g;
		}
		credit[best] -= (int64_t)n;
		sched->flow[i] = (uint16_t)(sc->groups[best].first + turn[best]);
		if (++turn[best] == sc->groups[best].count)
			turn[best] = 0;
	}
	sched->n = (uint32_t)n;
	return 0;
}

void
gen_sched_free(struct gen_sched *sched)
{
	if (sched == NULL)
		return;
	free(sched->flow);
	sched->flow = NULL;
	sched->n = 0;
}
