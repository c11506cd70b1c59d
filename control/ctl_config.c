/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config file parser. It walks the JSON document section by section,
 * checks every key against the list of keys allowed at that place, checks
 * types, ranges and the relations between sections, and fills a struct
 * ctl_config. The first problem found stops the walk; its message names the
 * JSON path of the bad key and quotes the bad value. docs/config.md is the
 * reference of the format.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_config.h"
#include "ctl_text_priv.h"

/** Room for a JSON path such as "endpoints[255].port". */
#define PATH_LEN 96
/** Room for a quoted value in a message; longer values are cut with "...". */
#define VAL_LEN 100

/*
 * Next-hop entries an instance can hold: every on-link VTEP, both gateways
 * and the static neighbours share them (vx_create() allocates
 * VX_MAX_VTEPS + 2).
 */
#define CTL_MAX_NEXTHOPS VX_MAX_NEIGH

/* Defaults and bounds of the numeric keys. */
#define MTU_MIN		 576
#define MTU_MAX		 9000
#define MTU_IP6_MIN	 1280
#define MTU_DEFAULT	 1500
#define BURST_MAX	 512
#define US_MAX		 100000
#define IDLE_POLLS_MAX	 10000000
#define DESC_MIN	 64
#define DESC_MAX	 4096
#define MBUFS_MIN	 1023
#define MBUFS_MAX	 1048575
#define FDB_SIZE_MIN	 16
#define FDB_SIZE_MAX	 4194304
#define FDB_AGE_MAX	 86400
#define NEIGH_S_MAX	 3600
#define RETRANS_MS_MIN	 10
#define RETRANS_MS_MAX	 60000
#define NEIGH_PROBES_MAX 10
#define INTERVAL_MAX	 3600
#define MF_LCORE_MAX	 127
#define MF_BATCH_MAX	 65536
#define MF_TIMEOUT_MAX	 10000000
#define MF_RING_MIN	 64
#define MF_RING_MAX	 65536
#define MF_TABLE_MIN	 4
#define MF_TABLE_MAX	 1048576
#define MF_WINDOW_MAX	 10000000
#define MF_WINDOWS_MAX	 255
#define MF_DEMOTE_PKTS	 25
/* Byte thresholds take any non-negative JSON integer. */
#define MF_BYTES_MAX ((uint64_t)INT64_MAX)

/* Defaults and bounds of the control and coap sections. */
#define CTL_CLIENTS_MIN	     1
#define CTL_CLIENTS_MAX	     1024
#define CTL_CLIENTS_DEFAULT  16
#define CTL_REQUEST_MIN	     64
#define CTL_REQUEST_MAX	     16777216
#define CTL_REQUEST_DEFAULT  65536
#define COAP_ADDRESS_DEFAULT "127.0.0.1"
#define COAP_PORT_DEFAULT    5683
#define COAP_OBSERVE_MIN     100
#define COAP_OBSERVE_MAX     3600000
#define COAP_OBSERVE_DEFAULT 1000
#define COAP_PAYLOAD_MIN     64
#define COAP_PAYLOAD_MAX     65536
#define COAP_PAYLOAD_DEFAULT 4096
/* The longest group name: shadow-utils' default limit. */
#define CTL_GROUP_MAX 32
/* The longest socket path: sun_path less its terminating NUL. */
#define CTL_SOCKET_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* The longest PSK identity (less its NUL) and key, from the struct. */
#define COAP_PSK_ID_MAX	 (sizeof(((struct ctl_coap_cfg *)0)->psk_identity) - 1)
#define COAP_PSK_KEY_MAX (sizeof(((struct ctl_coap_cfg *)0)->psk_key))

/** State of one parse: where the first error message goes. */
struct ctl_parse {
	char *err;	     /**< Message buffer, may be NULL. */
	size_t errlen;	     /**< Its size. */
	struct vni_key *vix; /**< VNIs sorted by number, for lookups; owned. */
};

/** One VNI in the lookup index. */
struct vni_key {
	uint32_t vni; /**< The VNI. */
	uint32_t idx; /**< Its index in cfg->vnis. */
};

/** A static MAC (endpoint or FDB entry) in the duplicate check. */
struct mac_key {
	uint32_t vni;		   /**< Its VNI. */
	struct rte_ether_addr mac; /**< The MAC. */
	uint8_t is_fdb;		   /**< 0: endpoints[idx], 1: fdb[idx]. */
	uint32_t idx;		   /**< Index in its array. */
};

static int fail(struct ctl_parse *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Record an error as "<path>: <message>".
 *
 * @return
 *   -EINVAL, so callers can return the result directly.
 */
static int
fail(struct ctl_parse *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err == NULL || c->errlen == 0)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s: ", path);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/**
 * Make a string safe to quote in a message: control characters, quotes and
 * bytes outside ASCII are written as \xNN, and long strings are cut.
 *
 * @return
 *   @p buf.
 */
static const char *
esc(const char *s, char *buf, size_t len)
{
	return ctl_text_clean(s, strlen(s), true, SIZE_MAX, buf, len);
}

/**
 * Describe a JSON value for a type error: its type and a short rendering,
 * e.g. "string '1500'", "real 1.5", "object {\"a\":1}".
 *
 * @return
 *   @p buf.
 */
static const char *
describe(const json_t *v, char *buf, size_t len)
{
	return ctl_text_describe(v, SIZE_MAX, VAL_LEN, true, buf, len);
}

static void pathf(char *dst, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Format a JSON path; paths too long for @p dst are cut, which only shortens a message. */
static void
pathf(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

/** Write "<base>.<key>", or just "<key>" at the top level. */
static void
join(char *dst, size_t len, const char *base, const char *key)
{
	if (base[0] == '\0')
		pathf(dst, len, "%s", key);
	else
		pathf(dst, len, "%s.%s", base, key);
}

/** Fail with "expected <what>, got <type> <value>". */
static int
type_error(struct ctl_parse *c, const char *path, const char *what, const json_t *v)
{
	char d[VAL_LEN + 32];

	return fail(c, path, "expected %s, got %s", what, describe(v, d, sizeof(d)));
}

/**
 * Reject keys of an object that are not in @p allowed (NULL-terminated).
 *
 * @return
 *   0, or -EINVAL naming the first unknown key.
 */
static int
check_keys(struct ctl_parse *c, json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		const char *const *a;
		char p[PATH_LEN], k[VAL_LEN];

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL) {
			join(p, sizeof(p), path, esc(key, k, sizeof(k)));
			return fail(c, p, "unknown key");
		}
	}
	return 0;
}

/**
 * Find @p key in @p obj.
 *
 * @param path
 *   Receives the path of the key.
 * @param out
 *   Receives the value, or NULL when the key is absent and not required.
 * @return
 *   0, or -EINVAL if the key is required and absent.
 */
static int
lookup(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, bool required,
       char *path, size_t plen, json_t **out)
{
	join(path, plen, opath, key);
	*out = json_object_get(obj, key);
	if (*out == NULL && required)
		return fail(c, path, "required key is missing");
	return 0;
}

/** Check that @p v is a non-negative JSON integer in lo..hi and store it. */
static int
val_uint(struct ctl_parse *c, const char *path, const json_t *v, uint32_t lo, uint32_t hi,
	 uint32_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return type_error(c, path, "an integer", v);
	x = json_integer_value(v);
	if (x < (json_int_t)lo || x > (json_int_t)hi)
		return fail(c, path, "out of range %u..%u: %" JSON_INTEGER_FORMAT, lo, hi, x);
	*out = (uint32_t)x;
	return 0;
}

/** Check that @p v is a non-negative JSON integer in lo..hi (hi <= INT64_MAX) and store it. */
static int
val_u64(struct ctl_parse *c, const char *path, const json_t *v, uint64_t lo, uint64_t hi,
	uint64_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return type_error(c, path, "an integer", v);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi)
		return fail(c, path, "out of range %" PRIu64 "..%" PRIu64 ": %" JSON_INTEGER_FORMAT,
			    lo, hi, x);
	*out = (uint64_t)x;
	return 0;
}

/** Check that @p v is a string without NUL characters and return it. */
static int
val_str(struct ctl_parse *c, const char *path, const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return type_error(c, path, "a string", v);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(c, path, "string contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

/** Read an optional (or required) integer key; @p out is untouched when absent. */
static int
get_uint(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, bool required,
	 uint32_t lo, uint32_t hi, uint32_t *out)
{
	char path[PATH_LEN];
	json_t *v;
	int ret;

	ret = lookup(c, obj, opath, key, required, path, sizeof(path), &v);
	if (ret < 0 || v == NULL)
		return ret;
	return val_uint(c, path, v, lo, hi, out);
}

/** Read an optional boolean key; @p out is untouched when absent. */
static int
get_bool(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, bool *out)
{
	char path[PATH_LEN];
	json_t *v;

	lookup(c, obj, opath, key, false, path, sizeof(path), &v);
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return type_error(c, path, "a boolean", v);
	*out = json_is_true(v);
	return 0;
}

/**
 * Read a string key.
 *
 * @param out
 *   Receives the string (borrowed from the document), or NULL when absent.
 */
static int
get_str(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, bool required,
	char *path, size_t plen, const char **out)
{
	json_t *v;
	int ret;

	*out = NULL;
	ret = lookup(c, obj, opath, key, required, path, plen, &v);
	if (ret < 0 || v == NULL)
		return ret;
	return val_str(c, path, v, out);
}

/**
 * Find an object-valued key.
 *
 * @param out
 *   Receives the object, or NULL when absent.
 */
static int
get_object(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, bool required,
	   char *path, size_t plen, json_t **out)
{
	int ret;

	ret = lookup(c, obj, opath, key, required, path, plen, out);
	if (ret < 0 || *out == NULL)
		return ret;
	if (!json_is_object(*out))
		return type_error(c, path, "an object", *out);
	return 0;
}

/**
 * Find an array-valued key and check its length.
 *
 * @param out
 *   Receives the array, or NULL when absent.
 */
static int
get_array(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, size_t max,
	  const char *what, char *path, size_t plen, json_t **out)
{
	int ret;

	ret = lookup(c, obj, opath, key, false, path, plen, out);
	if (ret < 0 || *out == NULL)
		return ret;
	if (!json_is_array(*out))
		return type_error(c, path, "an array", *out);
	if (json_array_size(*out) > max)
		return fail(c, path, "too many %s (max %zu): %zu", what, max,
			    json_array_size(*out));
	return 0;
}

static const char *
family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/** @return true for an address that may be used as a unicast host address. */
static bool
ip_is_unicast(const struct vx_ip *ip)
{
	static const uint8_t zero[16];
	const uint8_t *b;

	if (ip->family == AF_INET) {
		b = (const uint8_t *)&ip->v4;
		/* Not 0/8 ("this network"), 127/8 (loopback), 224/4 or 240/4. */
		return b[0] != 0 && b[0] != 127 && b[0] < 224;
	}
	/* Not ::, ::1 or ff00::/8. */
	if (memcmp(ip->v6, zero, 15) == 0 && ip->v6[15] <= 1)
		return false;
	return ip->v6[0] != 0xff;
}

/**
 * Parse a host address.
 *
 * @param family
 *   Required family, or 0 for either.
 */
static int
parse_addr(struct ctl_parse *c, const char *path, const char *s, int family, struct vx_ip *out)
{
	char vb[VAL_LEN];

	if (vx_ip_parse(s, out) < 0)
		return fail(c, path, "invalid IP address '%s'", esc(s, vb, sizeof(vb)));
	if (family != 0 && out->family != family)
		return fail(c, path, "not an %s address '%s'", family_name(family),
			    esc(s, vb, sizeof(vb)));
	if (!ip_is_unicast(out))
		return fail(c, path, "not a unicast address '%s'", esc(s, vb, sizeof(vb)));
	return 0;
}

/** Parse "address/length" of one family. */
static int
parse_prefix(struct ctl_parse *c, const char *path, const char *s, int family, struct vx_ip *out,
	     uint8_t *plen)
{
	char vb[VAL_LEN];

	if (vx_prefix_parse(s, out, plen) < 0)
		return fail(c, path, "invalid %s prefix, expected address/1..%d '%s'",
			    family_name(family), family == AF_INET ? 32 : 128,
			    esc(s, vb, sizeof(vb)));
	if (out->family != family)
		return fail(c, path, "not an %s prefix '%s'", family_name(family),
			    esc(s, vb, sizeof(vb)));
	if (!ip_is_unicast(out))
		return fail(c, path, "not a unicast address '%s'", esc(s, vb, sizeof(vb)));
	return 0;
}

/** Parse a MAC address that must be unicast and not zero. */
static int
parse_mac(struct ctl_parse *c, const char *path, const char *s, struct rte_ether_addr *out)
{
	char vb[VAL_LEN];

	if (vx_mac_parse(s, out) < 0)
		return fail(c, path, "invalid MAC address '%s'", esc(s, vb, sizeof(vb)));
	if (rte_is_multicast_ether_addr(out))
		return fail(c, path, "multicast MAC address not allowed '%s'",
			    esc(s, vb, sizeof(vb)));
	if (rte_is_zero_ether_addr(out))
		return fail(c, path, "zero MAC address not allowed '%s'", esc(s, vb, sizeof(vb)));
	return 0;
}

/** Read a MAC key; @p found (if not NULL) tells whether it was present. */
static int
get_mac(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, bool required,
	struct rte_ether_addr *out, bool *found)
{
	char path[PATH_LEN];
	const char *s;
	int ret;

	ret = get_str(c, obj, opath, key, required, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (found != NULL)
		*found = s != NULL;
	if (s == NULL)
		return 0;
	return parse_mac(c, path, s, out);
}

/** Check device arguments and copy them. */
static int
parse_devargs(struct ctl_parse *c, const char *path, const char *s, char *dst)
{
	size_t len = strlen(s);
	char vb[VAL_LEN];

	if (len == 0)
		return fail(c, path, "empty device arguments ''");
	if (len >= CTL_DEVARGS_LEN)
		return fail(c, path, "device arguments too long (max %d characters): '%s'",
			    CTL_DEVARGS_LEN - 1, esc(s, vb, sizeof(vb)));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(c, path, "control character in device arguments '%s'",
				    esc(s, vb, sizeof(vb)));
	if (s[0] == ',')
		return fail(c, path, "empty device name '%s'", esc(s, vb, sizeof(vb)));
	memcpy(dst, s, len + 1);
	return 0;
}

/** @return the local address of a family and its prefix length, or NULL. */
static const struct vx_ip *
local_addr(const struct ctl_config *cfg, int family, uint8_t *plen)
{
	if (family == AF_INET && cfg->underlay.ip4.family == AF_INET) {
		*plen = cfg->underlay.plen4;
		return &cfg->underlay.ip4;
	}
	if (family == AF_INET6 && cfg->underlay.ip6.family == AF_INET6) {
		*plen = cfg->underlay.plen6;
		return &cfg->underlay.ip6;
	}
	return NULL;
}

/** Parse underlay.gateway4 or gateway6. */
static int
parse_gateway(struct ctl_parse *c, json_t *ul, struct ctl_config *cfg, int family)
{
	const char *key = family == AF_INET ? "gateway4" : "gateway6";
	const char *lkey = family == AF_INET ? "ip4" : "ip6";
	struct vx_ip *gw = family == AF_INET ? &cfg->underlay.gw4 : &cfg->underlay.gw6;
	char path[PATH_LEN], vb[VAL_LEN], lb[INET6_ADDRSTRLEN];
	const struct vx_ip *local;
	const char *s;
	uint8_t plen;
	int ret;

	ret = get_str(c, ul, "underlay", key, false, path, sizeof(path), &s);
	if (ret < 0 || s == NULL)
		return ret;
	local = local_addr(cfg, family, &plen);
	if (local == NULL)
		return fail(c, path, "requires underlay.%s '%s'", lkey, esc(s, vb, sizeof(vb)));
	ret = parse_addr(c, path, s, family, gw);
	if (ret < 0)
		return ret;
	if (vx_ip_eq(gw, local))
		return fail(c, path, "gateway is the local address '%s'", esc(s, vb, sizeof(vb)));
	if (!vx_ip_same_prefix(gw, local, plen))
		return fail(c, path, "not inside the underlay.%s prefix %s/%u '%s'", lkey,
			    vx_ip_fmt(local, lb, sizeof(lb)), plen, esc(s, vb, sizeof(vb)));
	return 0;
}

static const char *const underlay_keys[] = {
	"port",
	"ip4",
	"ip6",
	"gateway4",
	"gateway6",
	"mac",
	"mtu",
	"udp_port",
	"udp6_zero_csum_tx",
	"udp6_zero_csum_rx",
	"strict_reserved",
	NULL,
};

/** Parse the underlay object. */
static int
parse_underlay(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN];
	uint32_t v;
	const char *s;
	json_t *ul;
	int ret;

	ret = get_object(c, root, "", "underlay", true, path, sizeof(path), &ul);
	if (ret < 0)
		return ret;
	ret = check_keys(c, ul, "underlay", underlay_keys);
	if (ret < 0)
		return ret;

	ret = get_str(c, ul, "underlay", "port", true, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	ret = parse_devargs(c, path, s, cfg->underlay.port);
	if (ret < 0)
		return ret;

	ret = get_str(c, ul, "underlay", "ip4", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		ret = parse_prefix(c, path, s, AF_INET, &cfg->underlay.ip4, &cfg->underlay.plen4);
		if (ret < 0)
			return ret;
	}
	ret = get_str(c, ul, "underlay", "ip6", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		ret = parse_prefix(c, path, s, AF_INET6, &cfg->underlay.ip6, &cfg->underlay.plen6);
		if (ret < 0)
			return ret;
	}
	if (cfg->underlay.ip4.family == 0 && cfg->underlay.ip6.family == 0)
		return fail(c, "underlay.ip4",
			    "required key is missing (at least one of ip4 "
			    "and ip6 must be set)");

	ret = parse_gateway(c, ul, cfg, AF_INET);
	if (ret < 0)
		return ret;
	ret = parse_gateway(c, ul, cfg, AF_INET6);
	if (ret < 0)
		return ret;

	ret = get_mac(c, ul, "underlay", "mac", false, &cfg->underlay.mac, &cfg->underlay.has_mac);
	if (ret < 0)
		return ret;

	v = cfg->underlay.mtu;
	ret = get_uint(c, ul, "underlay", "mtu", false, MTU_MIN, MTU_MAX, &v);
	if (ret < 0)
		return ret;
	if (cfg->underlay.ip6.family != 0 && v < MTU_IP6_MIN)
		return fail(c, "underlay.mtu", "IPv6 needs an MTU of at least %d: %u", MTU_IP6_MIN,
			    v);
	cfg->underlay.mtu = (uint16_t)v;

	v = cfg->underlay.udp_port;
	ret = get_uint(c, ul, "underlay", "udp_port", false, 1, 65535, &v);
	if (ret < 0)
		return ret;
	cfg->underlay.udp_port = (uint16_t)v;

	ret = get_bool(c, ul, "underlay", "udp6_zero_csum_tx", &cfg->underlay.udp6_zero_csum_tx);
	if (ret < 0)
		return ret;
	ret = get_bool(c, ul, "underlay", "udp6_zero_csum_rx", &cfg->underlay.udp6_zero_csum_rx);
	if (ret < 0)
		return ret;
	return get_bool(c, ul, "underlay", "strict_reserved", &cfg->underlay.strict_reserved);
}

static const char *const dataplane_keys[] = {
	"burst",
	"drain_us",
	"idle_polls",
	"idle_sleep_us",
	"idle_sleep_max_us",
	"rx_desc",
	"tx_desc",
	"mbufs",
	"fdb_size",
	"fdb_age_s",
	"neigh_reachable_s",
	"neigh_retrans_ms",
	"neigh_failed_s",
	"neigh_probes",
	NULL,
};

/** Parse the dataplane object. */
static int
parse_dataplane(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	static const char *const sec = "dataplane";
	char path[PATH_LEN];
	uint32_t v;
	json_t *dp;
	int ret;

	ret = get_object(c, root, "", sec, false, path, sizeof(path), &dp);
	if (ret < 0 || dp == NULL)
		return ret;
	ret = check_keys(c, dp, sec, dataplane_keys);
	if (ret < 0)
		return ret;

	v = cfg->dp.burst;
	ret = get_uint(c, dp, sec, "burst", false, 1, BURST_MAX, &v);
	if (ret < 0)
		return ret;
	cfg->dp.burst = (uint16_t)v;
	ret = get_uint(c, dp, sec, "drain_us", false, 1, US_MAX, &cfg->dp.drain_us);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "idle_polls", false, 0, IDLE_POLLS_MAX, &cfg->dp.idle_polls);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "idle_sleep_us", false, 1, US_MAX, &cfg->dp.idle_sleep_us);
	if (ret < 0)
		return ret;
	/* Without an explicit cap, the default cap never undercuts the first sleep. */
	cfg->dp.idle_sleep_max_us = RTE_MAX(cfg->dp.idle_sleep_max_us, cfg->dp.idle_sleep_us);
	ret = get_uint(c, dp, sec, "idle_sleep_max_us", false, 1, US_MAX,
		       &cfg->dp.idle_sleep_max_us);
	if (ret < 0)
		return ret;
	if (cfg->dp.idle_sleep_max_us < cfg->dp.idle_sleep_us)
		return fail(c, "dataplane.idle_sleep_max_us", "below idle_sleep_us (%u): %u",
			    cfg->dp.idle_sleep_us, cfg->dp.idle_sleep_max_us);
	v = cfg->dp.rxd;
	ret = get_uint(c, dp, sec, "rx_desc", false, DESC_MIN, DESC_MAX, &v);
	if (ret < 0)
		return ret;
	cfg->dp.rxd = (uint16_t)v;
	v = cfg->dp.txd;
	ret = get_uint(c, dp, sec, "tx_desc", false, DESC_MIN, DESC_MAX, &v);
	if (ret < 0)
		return ret;
	cfg->dp.txd = (uint16_t)v;
	ret = get_uint(c, dp, sec, "mbufs", false, MBUFS_MIN, MBUFS_MAX, &cfg->dp.mbufs);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "fdb_size", false, FDB_SIZE_MIN, FDB_SIZE_MAX,
		       &cfg->dp.fdb_size);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "fdb_age_s", false, 0, FDB_AGE_MAX, &cfg->dp.fdb_age_s);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "neigh_reachable_s", false, 1, NEIGH_S_MAX,
		       &cfg->dp.neigh_reachable_s);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "neigh_retrans_ms", false, RETRANS_MS_MIN, RETRANS_MS_MAX,
		       &cfg->dp.neigh_retrans_ms);
	if (ret < 0)
		return ret;
	ret = get_uint(c, dp, sec, "neigh_failed_s", false, 1, NEIGH_S_MAX,
		       &cfg->dp.neigh_failed_s);
	if (ret < 0)
		return ret;
	v = cfg->dp.neigh_probes;
	ret = get_uint(c, dp, sec, "neigh_probes", false, 1, NEIGH_PROBES_MAX, &v);
	if (ret < 0)
		return ret;
	cfg->dp.neigh_probes = (uint8_t)v;
	return 0;
}

static const char *const stats_keys[] = {"file", "interval_s", NULL};

/** Parse the stats object. */
static int
parse_stats(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN], vb[VAL_LEN];
	const char *s;
	json_t *st;
	size_t len;
	int ret;

	ret = get_object(c, root, "", "stats", false, path, sizeof(path), &st);
	if (ret < 0 || st == NULL)
		return ret;
	ret = check_keys(c, st, "stats", stats_keys);
	if (ret < 0)
		return ret;
	ret = get_str(c, st, "stats", "file", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		len = strlen(s);
		if (len == 0)
			return fail(c, path, "empty path ''");
		if (len >= CTL_PATH_LEN)
			return fail(c, path, "path too long (max %d characters): '%s'",
				    CTL_PATH_LEN - 1, esc(s, vb, sizeof(vb)));
		memcpy(cfg->stats_file, s, len + 1);
	}
	return get_uint(c, st, "stats", "interval_s", false, 0, INTERVAL_MAX,
			&cfg->stats_interval_s);
}

const char *
ctl_mf_mode_name(uint8_t mode)
{
	switch (mode) {
	case CTL_MF_RTC:
		return "rtc";
	case CTL_MF_PINNED:
		return "pinned";
	case CTL_MF_MICROFLOW:
		return "microflow";
	default:
		return "?";
	}
}

int
ctl_mf_mode_parse(const char *s)
{
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "rtc") == 0)
		return CTL_MF_RTC;
	if (strcmp(s, "pinned") == 0)
		return CTL_MF_PINNED;
	if (strcmp(s, "microflow") == 0)
		return CTL_MF_MICROFLOW;
	return -EINVAL;
}

const char *
ctl_mf_pick_name(uint8_t pick)
{
	switch (pick) {
	case CTL_MF_PICK_RR:
		return "rr";
	case CTL_MF_PICK_LEAST:
		return "least";
	default:
		return "?";
	}
}

int
ctl_mf_pick_parse(const char *s)
{
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "rr") == 0)
		return CTL_MF_PICK_RR;
	if (strcmp(s, "least") == 0)
		return CTL_MF_PICK_LEAST;
	return -EINVAL;
}

/**
 * Read an optional integer key that must be a power of two in lo..hi; @p out
 * is untouched when absent.
 */
static int
get_pow2(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, uint32_t lo,
	 uint32_t hi, uint32_t *out)
{
	char path[PATH_LEN];
	uint32_t v = *out;
	int ret;

	ret = get_uint(c, obj, opath, key, false, lo, hi, &v);
	if (ret < 0)
		return ret;
	if ((v & (v - 1)) != 0) {
		join(path, sizeof(path), opath, key);
		return fail(c, path, "not a power of two: %u", v);
	}
	*out = v;
	return 0;
}

/** Read an optional 64-bit integer key; @p out is untouched when absent. */
static int
get_u64(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, uint64_t lo,
	uint64_t hi, uint64_t *out)
{
	char path[PATH_LEN];
	json_t *v;

	lookup(c, obj, opath, key, false, path, sizeof(path), &v);
	if (v == NULL)
		return 0;
	return val_u64(c, path, v, lo, hi, out);
}

/** Read an optional lcore number, 0..MF_LCORE_MAX; @p out is untouched when absent. */
static int
get_lcore(struct ctl_parse *c, json_t *obj, const char *opath, const char *key, int16_t *out)
{
	uint32_t v = UINT32_MAX;
	int ret;

	ret = get_uint(c, obj, opath, key, false, 0, MF_LCORE_MAX, &v);
	if (ret < 0)
		return ret;
	if (v != UINT32_MAX)
		*out = (int16_t)v;
	return 0;
}

/**
 * Read an optional name key (mflow.mode or mflow.pick) with its parser;
 * @p out is untouched when absent.
 */
static int
get_name(struct ctl_parse *c, json_t *obj, const char *opath, const char *key,
	 int (*parse)(const char *), const char *expected, uint8_t *out)
{
	char path[PATH_LEN], vb[VAL_LEN];
	const char *s;
	int ret;

	ret = get_str(c, obj, opath, key, false, path, sizeof(path), &s);
	if (ret < 0 || s == NULL)
		return ret;
	ret = parse(s);
	if (ret < 0)
		return fail(c, path, "unknown %s, expected %s '%s'", key, expected,
			    esc(s, vb, sizeof(vb)));
	*out = (uint8_t)ret;
	return 0;
}

/** Parse mflow.worker_lcores, after the dispatch and merge lcores. */
static int
parse_worker_lcores(struct ctl_parse *c, json_t *mf, struct ctl_mflow_cfg *m)
{
	char path[PATH_LEN];
	json_t *arr, *v;
	uint32_t lc = 0;
	size_t i;
	int ret;

	ret = get_array(c, mf, "mflow", "worker_lcores", CTL_MF_MAX_WORKERS, "worker lcores", path,
			sizeof(path), &arr);
	if (ret < 0 || arr == NULL)
		return ret;
	json_array_foreach (arr, i, v) {
		pathf(path, sizeof(path), "mflow.worker_lcores[%zu]", i);
		ret = val_uint(c, path, v, 0, MF_LCORE_MAX, &lc);
		if (ret < 0)
			return ret;
		for (size_t k = 0; k < i; k++)
			if (m->worker_lcores[k] == lc)
				return fail(c, path, "duplicate lcore, also worker_lcores[%zu]: %u",
					    k, lc);
		if (m->dispatch_lcore >= 0 && lc == (uint32_t)m->dispatch_lcore)
			return fail(c, path, "same lcore as mflow.dispatch_lcore: %u", lc);
		if (m->merge_lcore >= 0 && lc == (uint32_t)m->merge_lcore)
			return fail(c, path, "same lcore as mflow.merge_lcore: %u", lc);
		m->worker_lcores[i] = (uint16_t)lc;
		m->n_worker_lcores = (uint16_t)(i + 1);
	}
	return 0;
}

static const char *const elephant_keys[] = {
	"table_size",	   "window_us",	     "promote_pkts",
	"promote_bytes",   "demote_pkts",    "demote_bytes",
	"promote_windows", "demote_windows", NULL,
};

/** Parse mflow.elephant. */
static int
parse_elephant(struct ctl_parse *c, json_t *mf, struct ctl_mflow_cfg *m)
{
	static const char *const sec = "mflow.elephant";
	char path[PATH_LEN];
	uint32_t v;
	json_t *el;
	int ret;

	ret = get_object(c, mf, "mflow", "elephant", false, path, sizeof(path), &el);
	if (ret < 0 || el == NULL)
		return ret;
	ret = check_keys(c, el, sec, elephant_keys);
	if (ret < 0)
		return ret;

	ret = get_pow2(c, el, sec, "table_size", MF_TABLE_MIN, MF_TABLE_MAX,
		       &m->elephant.table_size);
	if (ret < 0)
		return ret;
	ret = get_uint(c, el, sec, "window_us", false, 1, MF_WINDOW_MAX, &m->elephant.window_us);
	if (ret < 0)
		return ret;
	ret = get_u64(c, el, sec, "promote_pkts", 1, UINT32_MAX, &m->elephant.promote_pkts);
	if (ret < 0)
		return ret;
	ret = get_u64(c, el, sec, "promote_bytes", 0, MF_BYTES_MAX, &m->elephant.promote_bytes);
	if (ret < 0)
		return ret;

	/* Without an explicit value, the default never exceeds promote_pkts. */
	m->elephant.demote_pkts = RTE_MIN(m->elephant.demote_pkts, m->elephant.promote_pkts);
	ret = get_u64(c, el, sec, "demote_pkts", 0, UINT32_MAX, &m->elephant.demote_pkts);
	if (ret < 0)
		return ret;
	if (m->elephant.demote_pkts > m->elephant.promote_pkts)
		return fail(c, "mflow.elephant.demote_pkts",
			    "above promote_pkts (%" PRIu64 "): %" PRIu64, m->elephant.promote_pkts,
			    m->elephant.demote_pkts);
	ret = get_u64(c, el, sec, "demote_bytes", 0, MF_BYTES_MAX, &m->elephant.demote_bytes);
	if (ret < 0)
		return ret;
	if (m->elephant.promote_bytes != 0 && m->elephant.demote_bytes > m->elephant.promote_bytes)
		return fail(c, "mflow.elephant.demote_bytes",
			    "above promote_bytes (%" PRIu64 "): %" PRIu64,
			    m->elephant.promote_bytes, m->elephant.demote_bytes);

	v = m->elephant.promote_windows;
	ret = get_uint(c, el, sec, "promote_windows", false, 1, MF_WINDOWS_MAX, &v);
	if (ret < 0)
		return ret;
	m->elephant.promote_windows = (uint8_t)v;
	v = m->elephant.demote_windows;
	ret = get_uint(c, el, sec, "demote_windows", false, 1, MF_WINDOWS_MAX, &v);
	if (ret < 0)
		return ret;
	m->elephant.demote_windows = (uint8_t)v;
	return 0;
}

static const char *const mflow_keys[] = {
	"mode", "dispatch_lcore",   "merge_lcore", "worker_lcores", "workers", "batch_size",
	"pick", "merge_timeout_us", "ring_size",   "elephant",	    NULL,
};

/** Parse the mflow object. */
static int
parse_mflow(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	static const char *const sec = "mflow";
	struct ctl_mflow_cfg *m = &cfg->mflow;
	char path[PATH_LEN];
	uint32_t v;
	json_t *mf;
	int ret;

	ret = get_object(c, root, "", sec, false, path, sizeof(path), &mf);
	if (ret < 0 || mf == NULL)
		return ret;
	ret = check_keys(c, mf, sec, mflow_keys);
	if (ret < 0)
		return ret;

	ret = get_name(c, mf, sec, "mode", ctl_mf_mode_parse, "rtc, pinned or microflow", &m->mode);
	if (ret < 0)
		return ret;
	ret = get_lcore(c, mf, sec, "dispatch_lcore", &m->dispatch_lcore);
	if (ret < 0)
		return ret;
	ret = get_lcore(c, mf, sec, "merge_lcore", &m->merge_lcore);
	if (ret < 0)
		return ret;
	ret = parse_worker_lcores(c, mf, m);
	if (ret < 0)
		return ret;
	if (m->n_worker_lcores == 0 && m->mode != CTL_MF_RTC)
		return fail(c, "mflow.worker_lcores", "needs at least one lcore in mode '%s'",
			    ctl_mf_mode_name(m->mode));
	if (m->n_worker_lcores == 0 && m->merge_lcore >= 0 && m->merge_lcore != m->dispatch_lcore)
		return fail(c, "mflow.merge_lcore",
			    "a merge lcore of its own needs worker_lcores: %d", m->merge_lcore);

	v = m->n_worker_lcores;
	ret = get_uint(c, mf, sec, "workers", false, 1, CTL_MF_MAX_WORKERS, &v);
	if (ret < 0)
		return ret;
	if (v > m->n_worker_lcores)
		return fail(c, "mflow.workers", "exceeds the number of worker_lcores (%u): %u",
			    m->n_worker_lcores, v);
	m->workers = (uint16_t)v;

	ret = get_uint(c, mf, sec, "batch_size", false, 1, MF_BATCH_MAX, &m->batch_size);
	if (ret < 0)
		return ret;
	ret = get_name(c, mf, sec, "pick", ctl_mf_pick_parse, "rr or least", &m->pick);
	if (ret < 0)
		return ret;
	ret = get_uint(c, mf, sec, "merge_timeout_us", false, 0, MF_TIMEOUT_MAX,
		       &m->merge_timeout_us);
	if (ret < 0)
		return ret;
	ret = get_pow2(c, mf, sec, "ring_size", MF_RING_MIN, MF_RING_MAX, &m->ring_size);
	if (ret < 0)
		return ret;
	return parse_elephant(c, mf, m);
}

static int
vni_key_cmp(const void *a, const void *b)
{
	const struct vni_key *x = a, *y = b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/** @return the index of @p vni in cfg->vnis, or -1 if it is not declared. */
static int
vni_find(const struct ctl_parse *c, const struct ctl_config *cfg, uint32_t vni)
{
	size_t lo = 0, hi = cfg->n_vnis;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->vix[mid].vni == vni)
			return (int)c->vix[mid].idx;
		if (c->vix[mid].vni < vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/** Read a VNI key that must name a VNI declared in vnis; returns the VNI index. */
static int
get_declared_vni(struct ctl_parse *c, const struct ctl_config *cfg, json_t *obj, const char *opath,
		 uint32_t *vni)
{
	char path[PATH_LEN];
	int ret, idx;

	ret = get_uint(c, obj, opath, "vni", true, 0, VX_VNI_MAX, vni);
	if (ret < 0)
		return ret;
	idx = vni_find(c, cfg, *vni);
	if (idx < 0) {
		join(path, sizeof(path), opath, "vni");
		return fail(c, path, "VNI %u is not declared in vnis", *vni);
	}
	return idx;
}

static int
ip_cmp(const void *a, const void *b)
{
	const struct vx_ip *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->family == AF_INET)
		return memcmp(&x->v4, &y->v4, 4);
	return memcmp(x->v6, y->v6, 16);
}

/** Sort addresses and return how many distinct ones there are. */
static size_t
ip_count_distinct(struct vx_ip *ips, size_t n)
{
	size_t d = 0;

	qsort(ips, n, sizeof(*ips), ip_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || ip_cmp(&ips[i - 1], &ips[i]) != 0)
			d++;
	return d;
}

/** Parse the VTEP list of vnis[i]. */
static int
parse_vteps(struct ctl_parse *c, json_t *vo, const char *opath, const struct ctl_config *cfg,
	    struct ctl_vni_cfg *vn)
{
	char path[PATH_LEN], vb[VAL_LEN];
	const struct vx_ip *local;
	const char *s = NULL;
	json_t *arr, *v;
	uint8_t plen = 0;
	size_t j;
	int ret;

	ret = get_array(c, vo, opath, "vteps", VX_VNI_MAX_VTEPS, "VTEPs", path, sizeof(path), &arr);
	if (ret < 0 || arr == NULL)
		return ret;
	json_array_foreach (arr, j, v) {
		struct vx_ip *ip = &vn->vteps[j];

		pathf(path, sizeof(path), "%s.vteps[%zu]", opath, j);
		ret = val_str(c, path, v, &s);
		if (ret < 0)
			return ret;
		ret = parse_addr(c, path, s, 0, ip);
		if (ret < 0)
			return ret;
		local = local_addr(cfg, ip->family, &plen);
		if (local == NULL)
			return fail(c, path, "no local %s address (underlay.%s) for VTEP '%s'",
				    family_name(ip->family), ip->family == AF_INET ? "ip4" : "ip6",
				    esc(s, vb, sizeof(vb)));
		if (vx_ip_eq(ip, local))
			return fail(c, path, "VTEP is the local address '%s'",
				    esc(s, vb, sizeof(vb)));
		if (!vx_ip_same_prefix(ip, local, plen) &&
		    (ip->family == AF_INET ? cfg->underlay.gw4.family : cfg->underlay.gw6.family) ==
			    0)
			return fail(c, path, "VTEP is off-link and underlay.%s is not set '%s'",
				    ip->family == AF_INET ? "gateway4" : "gateway6",
				    esc(s, vb, sizeof(vb)));
		for (size_t k = 0; k < j; k++)
			if (vx_ip_eq(&vn->vteps[k], ip))
				return fail(c, path, "duplicate VTEP in VNI %u '%s'", vn->vni,
					    esc(s, vb, sizeof(vb)));
		vn->n_vteps = (uint16_t)(j + 1);
	}
	return 0;
}

/** Check the limit on distinct VTEPs over all VNIs. */
static int
check_vtep_total(struct ctl_parse *c, const struct ctl_config *cfg)
{
	struct vx_ip *all;
	size_t n = 0, d;

	for (unsigned int i = 0; i < cfg->n_vnis; i++)
		n += cfg->vnis[i].n_vteps;
	if (n <= VX_MAX_VTEPS)
		return 0;
	all = malloc(n * sizeof(*all));
	if (all == NULL)
		return fail(c, "vnis", "out of memory");
	n = 0;
	for (unsigned int i = 0; i < cfg->n_vnis; i++)
		for (unsigned int j = 0; j < cfg->vnis[i].n_vteps; j++)
			all[n++] = cfg->vnis[i].vteps[j];
	d = ip_count_distinct(all, n);
	free(all);
	if (d > VX_MAX_VTEPS)
		return fail(c, "vnis", "too many distinct VTEPs (max %d): %zu", VX_MAX_VTEPS, d);
	return 0;
}

static const char *const vni_keys[] = {"vni", "vteps", NULL};

/** Parse the vnis array and build the VNI lookup index. */
static int
parse_vnis(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN], opath[PATH_LEN];
	json_t *arr, *vo;
	size_t i, n;
	int ret;

	ret = get_array(c, root, "", "vnis", VX_MAX_VNIS, "VNIs", path, sizeof(path), &arr);
	if (ret < 0 || arr == NULL)
		return ret;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	cfg->vnis = calloc(n, sizeof(*cfg->vnis));
	c->vix = calloc(n, sizeof(*c->vix));
	if (cfg->vnis == NULL || c->vix == NULL)
		return fail(c, "vnis", "out of memory");

	json_array_foreach (arr, i, vo) {
		struct ctl_vni_cfg *vn = &cfg->vnis[i];

		pathf(opath, sizeof(opath), "vnis[%zu]", i);
		if (!json_is_object(vo))
			return type_error(c, opath, "an object", vo);
		ret = check_keys(c, vo, opath, vni_keys);
		if (ret < 0)
			return ret;
		ret = get_uint(c, vo, opath, "vni", true, 0, VX_VNI_MAX, &vn->vni);
		if (ret < 0)
			return ret;
		for (size_t k = 0; k < i; k++)
			if (cfg->vnis[k].vni == vn->vni) {
				join(path, sizeof(path), opath, "vni");
				return fail(c, path, "duplicate VNI %u", vn->vni);
			}
		cfg->n_vnis = (unsigned int)(i + 1);
		ret = parse_vteps(c, vo, opath, cfg, vn);
		if (ret < 0)
			return ret;
		c->vix[i].vni = vn->vni;
		c->vix[i].idx = (uint32_t)i;
	}
	qsort(c->vix, n, sizeof(*c->vix), vni_key_cmp);
	return check_vtep_total(c, cfg);
}

/** Check an endpoint name: 1..VX_NAME_LEN-1 characters of [A-Za-z0-9_.-]. */
static int
check_name(struct ctl_parse *c, const char *path, const char *s)
{
	size_t len = strlen(s);
	char vb[VAL_LEN];

	if (len == 0 || len >= VX_NAME_LEN)
		return fail(c, path, "name must have 1..%d characters '%s'", VX_NAME_LEN - 1,
			    esc(s, vb, sizeof(vb)));
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return fail(c, path, "name may only use A-Z a-z 0-9 _ . - '%s'",
				    esc(s, vb, sizeof(vb)));
	}
	/* The stats file reports the underlay port under this name. */
	if (strcmp(s, "underlay") == 0)
		return fail(c, path, "reserved name '%s'", s);
	return 0;
}

/**
 * Check that devargs and their device name (the part before the first
 * comma) are not used by the underlay, by the first @p n_eps endpoints or by
 * the first @p n_ports ports, in that order.
 */
static int
check_port_unique(struct ctl_parse *c, const char *path, const struct ctl_config *cfg,
		  const char *mine, unsigned int n_eps, unsigned int n_ports)
{
	size_t mlen = strcspn(mine, ",");
	char other[PATH_LEN], vb[VAL_LEN], nb[VAL_LEN];

	for (unsigned int k = 0; k < 1 + n_eps + n_ports; k++) {
		const char *s;

		if (k == 0) {
			s = cfg->underlay.port;
			pathf(other, sizeof(other), "underlay.port");
		} else if (k <= n_eps) {
			s = cfg->eps[k - 1].port;
			pathf(other, sizeof(other), "endpoints[%u].port", k - 1);
		} else {
			s = cfg->ports[k - 1 - n_eps].port;
			pathf(other, sizeof(other), "ports[%u].port", k - 1 - n_eps);
		}
		if (strcmp(s, mine) == 0)
			return fail(c, path, "duplicate port, also used by %s '%s'", other,
				    esc(mine, vb, sizeof(vb)));
		if (strcspn(s, ",") == mlen && memcmp(s, mine, mlen) == 0) {
			snprintf(nb, sizeof(nb), "%.*s", (int)mlen, mine);
			return fail(c, path, "duplicate device name, also used by %s '%s'", other,
				    esc(nb, vb, sizeof(vb)));
		}
	}
	return 0;
}

static const char *const endpoint_keys[] = {
	"name", "port", "vni", "mac", "mtu", "any_src_mac", NULL,
};

/** Parse endpoints[i]. */
static int
parse_endpoint(struct ctl_parse *c, json_t *eo, const char *opath, struct ctl_config *cfg,
	       unsigned int i)
{
	struct ctl_ep_cfg *ep = &cfg->eps[i];
	char path[PATH_LEN], vb[VAL_LEN], mb[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int in_vni = 0;
	const char *s;
	uint32_t v;
	int ret;

	if (!json_is_object(eo))
		return type_error(c, opath, "an object", eo);
	ret = check_keys(c, eo, opath, endpoint_keys);
	if (ret < 0)
		return ret;

	ret = get_str(c, eo, opath, "name", true, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	ret = check_name(c, path, s);
	if (ret < 0)
		return ret;
	for (unsigned int k = 0; k < i; k++)
		if (strcmp(cfg->eps[k].name, s) == 0)
			return fail(c, path, "duplicate name '%s'", esc(s, vb, sizeof(vb)));
	memcpy(ep->name, s, strlen(s) + 1);

	ret = get_str(c, eo, opath, "port", true, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	ret = parse_devargs(c, path, s, ep->port);
	if (ret < 0)
		return ret;
	ret = check_port_unique(c, path, cfg, ep->port, i, 0);
	if (ret < 0)
		return ret;

	ret = get_declared_vni(c, cfg, eo, opath, &ep->vni);
	if (ret < 0)
		return ret;
	for (unsigned int k = 0; k < i; k++)
		in_vni += cfg->eps[k].vni == ep->vni;
	if (in_vni >= VX_VNI_MAX_EPS) {
		join(path, sizeof(path), opath, "vni");
		return fail(c, path, "too many endpoints in VNI %u (max %d)", ep->vni,
			    VX_VNI_MAX_EPS);
	}

	ret = get_mac(c, eo, opath, "mac", true, &ep->mac, NULL);
	if (ret < 0)
		return ret;
	for (unsigned int k = 0; k < i; k++)
		if (cfg->eps[k].vni == ep->vni &&
		    rte_is_same_ether_addr(&cfg->eps[k].mac, &ep->mac)) {
			join(path, sizeof(path), opath, "mac");
			ctl_mac_fmt(&ep->mac, mb, sizeof(mb));
			return fail(c, path, "duplicate MAC in VNI %u '%s'", ep->vni, mb);
		}

	v = ep->mtu;
	ret = get_uint(c, eo, opath, "mtu", false, MTU_MIN, MTU_MAX, &v);
	if (ret < 0)
		return ret;
	ep->mtu = (uint16_t)v;
	return get_bool(c, eo, opath, "any_src_mac", &ep->any_src_mac);
}

/** Parse the endpoints array. */
static int
parse_endpoints(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN], opath[PATH_LEN];
	json_t *arr, *eo;
	size_t i, n;
	int ret;

	ret = get_array(c, root, "", "endpoints", VX_MAX_ENDPOINTS, "endpoints", path, sizeof(path),
			&arr);
	if (ret < 0 || arr == NULL)
		return ret;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	cfg->eps = calloc(n, sizeof(*cfg->eps));
	if (cfg->eps == NULL)
		return fail(c, "endpoints", "out of memory");
	json_array_foreach (arr, i, eo) {
		/* Count the entry first so that a partly filled one is freed too. */
		cfg->n_eps = (unsigned int)(i + 1);
		cfg->eps[i].mtu = MTU_DEFAULT;
		pathf(opath, sizeof(opath), "endpoints[%zu]", i);
		ret = parse_endpoint(c, eo, opath, cfg, (unsigned int)i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static const char *const port_keys[] = {"name", "port", "mtu", NULL};

/** Parse ports[i], after the endpoints whose names and devargs it must not reuse. */
static int
parse_port(struct ctl_parse *c, json_t *po, const char *opath, struct ctl_config *cfg,
	   unsigned int i)
{
	struct ctl_port_cfg *p = &cfg->ports[i];
	char path[PATH_LEN], vb[VAL_LEN];
	const char *s;
	uint32_t v;
	int ret;

	if (!json_is_object(po))
		return type_error(c, opath, "an object", po);
	ret = check_keys(c, po, opath, port_keys);
	if (ret < 0)
		return ret;

	ret = get_str(c, po, opath, "name", true, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	ret = check_name(c, path, s);
	if (ret < 0)
		return ret;
	for (unsigned int k = 0; k < cfg->n_eps; k++)
		if (strcmp(cfg->eps[k].name, s) == 0)
			return fail(c, path, "duplicate name, also used by endpoints[%u].name '%s'",
				    k, esc(s, vb, sizeof(vb)));
	for (unsigned int k = 0; k < i; k++)
		if (strcmp(cfg->ports[k].name, s) == 0)
			return fail(c, path, "duplicate name, also used by ports[%u].name '%s'", k,
				    esc(s, vb, sizeof(vb)));
	memcpy(p->name, s, strlen(s) + 1);

	ret = get_str(c, po, opath, "port", true, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	ret = parse_devargs(c, path, s, p->port);
	if (ret < 0)
		return ret;
	ret = check_port_unique(c, path, cfg, p->port, cfg->n_eps, i);
	if (ret < 0)
		return ret;

	v = p->mtu;
	ret = get_uint(c, po, opath, "mtu", false, MTU_MIN, MTU_MAX, &v);
	if (ret < 0)
		return ret;
	p->mtu = (uint16_t)v;
	return 0;
}

/** Parse the ports array: ports opened at start but attached to no VNI. */
static int
parse_ports(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN], opath[PATH_LEN];
	json_t *arr, *po;
	size_t i, n;
	int ret;

	ret = get_array(c, root, "", "ports", VX_MAX_ENDPOINTS, "ports", path, sizeof(path), &arr);
	if (ret < 0 || arr == NULL)
		return ret;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	/* Ports and endpoints share the datapath's port table. */
	if (n + cfg->n_eps > VX_MAX_ENDPOINTS)
		return fail(c, "ports", "too many ports and endpoints (max %d): %zu",
			    VX_MAX_ENDPOINTS, n + cfg->n_eps);
	cfg->ports = calloc(n, sizeof(*cfg->ports));
	if (cfg->ports == NULL)
		return fail(c, "ports", "out of memory");
	json_array_foreach (arr, i, po) {
		/* Count the entry first so that a partly filled one is freed too. */
		cfg->n_ports = (unsigned int)(i + 1);
		cfg->ports[i].mtu = MTU_DEFAULT;
		pathf(opath, sizeof(opath), "ports[%zu]", i);
		ret = parse_port(c, po, opath, cfg, (unsigned int)i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
mac_key_cmp(const void *a, const void *b)
{
	const struct mac_key *x = a, *y = b;
	int r;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	r = memcmp(&x->mac, &y->mac, sizeof(x->mac));
	if (r != 0)
		return r;
	if (x->is_fdb != y->is_fdb)
		return x->is_fdb < y->is_fdb ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/**
 * Check that no static FDB MAC repeats another FDB entry or a local endpoint
 * MAC of the same VNI. Sorting keeps this fast for large tables; the entry
 * reported is the first offending one in document order.
 */
static int
check_fdb_unique(struct ctl_parse *c, const struct ctl_config *cfg)
{
	size_t n = cfg->n_eps + cfg->n_fdb, bad = SIZE_MAX;
	char path[PATH_LEN], mb[RTE_ETHER_ADDR_FMT_SIZE];
	struct mac_key *keys, *first = NULL, *dup = NULL;

	keys = malloc(n * sizeof(*keys));
	if (keys == NULL)
		return fail(c, "fdb", "out of memory");
	for (unsigned int i = 0; i < cfg->n_eps; i++)
		keys[i] = (struct mac_key){
			.vni = cfg->eps[i].vni, .mac = cfg->eps[i].mac, .is_fdb = 0, .idx = i};
	for (unsigned int i = 0; i < cfg->n_fdb; i++)
		keys[cfg->n_eps + i] = (struct mac_key){
			.vni = cfg->fdb[i].vni, .mac = cfg->fdb[i].mac, .is_fdb = 1, .idx = i};
	qsort(keys, n, sizeof(*keys), mac_key_cmp);
	for (size_t i = 1; i < n; i++) {
		/* Endpoint MACs are unique per VNI already, so keys[i] is an FDB entry. */
		if (keys[i].vni == keys[i - 1].vni &&
		    rte_is_same_ether_addr(&keys[i].mac, &keys[i - 1].mac) && keys[i].idx < bad) {
			bad = keys[i].idx;
			dup = &keys[i];
			first = &keys[i - 1];
		}
	}
	if (dup != NULL) {
		struct mac_key d = *dup, f = *first;

		free(keys);
		pathf(path, sizeof(path), "fdb[%u].mac", d.idx);
		ctl_mac_fmt(&d.mac, mb, sizeof(mb));
		if (f.is_fdb)
			return fail(c, path, "duplicate entry in VNI %u '%s'", d.vni, mb);
		return fail(c, path, "MAC of local endpoint endpoints[%u] in VNI %u '%s'", f.idx,
			    d.vni, mb);
	}
	free(keys);
	return 0;
}

static const char *const fdb_keys[] = {"vni", "mac", "vtep", NULL};

/** Parse the fdb array. */
static int
parse_fdb(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN], opath[PATH_LEN], vb[VAL_LEN];
	json_t *arr, *fo;
	const char *s;
	size_t i, n;
	int ret, vi;

	ret = get_array(c, root, "", "fdb", FDB_SIZE_MAX, "FDB entries", path, sizeof(path), &arr);
	if (ret < 0 || arr == NULL)
		return ret;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	if (n + cfg->n_eps > cfg->dp.fdb_size)
		return fail(c, "fdb",
			    "%zu static entries and %u endpoint MACs exceed dataplane.fdb_size %u",
			    n, cfg->n_eps, cfg->dp.fdb_size);
	cfg->fdb = calloc(n, sizeof(*cfg->fdb));
	if (cfg->fdb == NULL)
		return fail(c, "fdb", "out of memory");
	json_array_foreach (arr, i, fo) {
		struct ctl_fdb_cfg *f = &cfg->fdb[i];
		const struct ctl_vni_cfg *vn;
		unsigned int k;

		cfg->n_fdb = (unsigned int)(i + 1);
		pathf(opath, sizeof(opath), "fdb[%zu]", i);
		if (!json_is_object(fo))
			return type_error(c, opath, "an object", fo);
		ret = check_keys(c, fo, opath, fdb_keys);
		if (ret < 0)
			return ret;
		vi = get_declared_vni(c, cfg, fo, opath, &f->vni);
		if (vi < 0)
			return vi;
		vn = &cfg->vnis[vi];
		ret = get_mac(c, fo, opath, "mac", true, &f->mac, NULL);
		if (ret < 0)
			return ret;
		ret = get_str(c, fo, opath, "vtep", true, path, sizeof(path), &s);
		if (ret < 0)
			return ret;
		ret = parse_addr(c, path, s, 0, &f->vtep);
		if (ret < 0)
			return ret;
		for (k = 0; k < vn->n_vteps; k++)
			if (vx_ip_eq(&vn->vteps[k], &f->vtep))
				break;
		if (k == vn->n_vteps)
			return fail(c, path, "not a VTEP of VNI %u '%s'", f->vni,
				    esc(s, vb, sizeof(vb)));
	}
	return check_fdb_unique(c, cfg);
}

/**
 * Check that the next hops an instance must track fit its neighbour table:
 * the on-link VTEPs, the gateways and the static neighbours, each counted
 * once.
 */
static int
check_nexthops(struct ctl_parse *c, const struct ctl_config *cfg)
{
	size_t n = 2 + cfg->n_neigh, d;
	const struct vx_ip *local;
	struct vx_ip *all;
	uint8_t plen;

	for (unsigned int i = 0; i < cfg->n_vnis; i++)
		n += cfg->vnis[i].n_vteps;
	if (n <= CTL_MAX_NEXTHOPS)
		return 0;
	all = malloc(n * sizeof(*all));
	if (all == NULL)
		return fail(c, "neighbours", "out of memory");
	n = 0;
	for (unsigned int i = 0; i < cfg->n_vnis; i++)
		for (unsigned int j = 0; j < cfg->vnis[i].n_vteps; j++) {
			const struct vx_ip *ip = &cfg->vnis[i].vteps[j];

			local = local_addr(cfg, ip->family, &plen);
			if (local != NULL && vx_ip_same_prefix(ip, local, plen))
				all[n++] = *ip;
		}
	if (cfg->underlay.gw4.family != 0)
		all[n++] = cfg->underlay.gw4;
	if (cfg->underlay.gw6.family != 0)
		all[n++] = cfg->underlay.gw6;
	for (unsigned int i = 0; i < cfg->n_neigh; i++)
		all[n++] = cfg->neigh[i].ip;
	d = ip_count_distinct(all, n);
	free(all);
	if (d > CTL_MAX_NEXTHOPS)
		return fail(c, "neighbours",
			    "too many next hops (on-link VTEPs, gateways, neighbours; max %d): %zu",
			    CTL_MAX_NEXTHOPS, d);
	return 0;
}

static const char *const neigh_keys[] = {"ip", "mac", NULL};

/** Parse the neighbours array. */
static int
parse_neighbours(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	char path[PATH_LEN], opath[PATH_LEN], vb[VAL_LEN], lb[INET6_ADDRSTRLEN];
	const struct vx_ip *local;
	json_t *arr, *no;
	const char *s;
	size_t i, n;
	uint8_t plen;
	int ret;

	ret = get_array(c, root, "", "neighbours", CTL_MAX_NEXTHOPS, "neighbours", path,
			sizeof(path), &arr);
	if (ret < 0 || arr == NULL)
		return ret;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	cfg->neigh = calloc(n, sizeof(*cfg->neigh));
	if (cfg->neigh == NULL)
		return fail(c, "neighbours", "out of memory");
	json_array_foreach (arr, i, no) {
		struct ctl_neigh_cfg *nb = &cfg->neigh[i];

		cfg->n_neigh = (unsigned int)(i + 1);
		pathf(opath, sizeof(opath), "neighbours[%zu]", i);
		if (!json_is_object(no))
			return type_error(c, opath, "an object", no);
		ret = check_keys(c, no, opath, neigh_keys);
		if (ret < 0)
			return ret;
		ret = get_str(c, no, opath, "ip", true, path, sizeof(path), &s);
		if (ret < 0)
			return ret;
		ret = parse_addr(c, path, s, 0, &nb->ip);
		if (ret < 0)
			return ret;
		local = local_addr(cfg, nb->ip.family, &plen);
		if (local == NULL)
			return fail(c, path, "no local %s address (underlay.%s) for neighbour '%s'",
				    family_name(nb->ip.family),
				    nb->ip.family == AF_INET ? "ip4" : "ip6",
				    esc(s, vb, sizeof(vb)));
		if (vx_ip_eq(&nb->ip, local))
			return fail(c, path, "neighbour is the local address '%s'",
				    esc(s, vb, sizeof(vb)));
		if (!vx_ip_same_prefix(&nb->ip, local, plen))
			return fail(c, path, "not on-link for underlay.%s %s/%u '%s'",
				    nb->ip.family == AF_INET ? "ip4" : "ip6",
				    vx_ip_fmt(local, lb, sizeof(lb)), plen, esc(s, vb, sizeof(vb)));
		for (unsigned int k = 0; k < i; k++)
			if (vx_ip_eq(&cfg->neigh[k].ip, &nb->ip))
				return fail(c, path, "duplicate neighbour '%s'",
					    esc(s, vb, sizeof(vb)));
		ret = get_mac(c, no, opath, "mac", true, &nb->mac, NULL);
		if (ret < 0)
			return ret;
	}
	return check_nexthops(c, cfg);
}

/**
 * Check a group name: 1..CTL_GROUP_MAX characters, a letter or '_' first,
 * then letters, digits, '_', '.' or '-', and an optional final '$' (the
 * portable subset that useradd and systemd accept).
 */
static int
check_group(struct ctl_parse *c, const char *path, const char *s)
{
	size_t len = strlen(s), end = len;
	char vb[VAL_LEN];
	bool ok;

	if (len == 0 || len > CTL_GROUP_MAX)
		return fail(c, path, "group name must have 1..%d characters '%s'", CTL_GROUP_MAX,
			    esc(s, vb, sizeof(vb)));
	if (s[len - 1] == '$')
		end--;
	ok = end > 0;
	for (size_t i = 0; ok && i < end; i++) {
		char ch = s[i];

		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		     (i > 0 && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-'));
	}
	if (!ok)
		return fail(
			c, path,
			"invalid group name, expected a letter or _ then A-Z a-z 0-9 _ . - '%s'",
			esc(s, vb, sizeof(vb)));
	return 0;
}

static const char *const control_keys[] = {"socket", "group", "max_clients", "max_request", NULL};

/** Parse the control object: the control socket. */
static int
parse_control(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	static const char *const sec = "control";
	struct ctl_control_cfg *ct = &cfg->control;
	char path[PATH_LEN], vb[VAL_LEN];
	const char *s;
	json_t *co;
	size_t len;
	uint32_t v;
	int ret;

	ret = get_object(c, root, "", sec, false, path, sizeof(path), &co);
	if (ret < 0 || co == NULL)
		return ret;
	ret = check_keys(c, co, sec, control_keys);
	if (ret < 0)
		return ret;

	/* An empty path is allowed: it turns the socket off. */
	ret = get_str(c, co, sec, "socket", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		len = strlen(s);
		if (len > CTL_SOCKET_MAX)
			return fail(c, path,
				    "path too long for a unix socket (max %zu characters): '%s'",
				    CTL_SOCKET_MAX, esc(s, vb, sizeof(vb)));
		memcpy(ct->socket, s, len + 1);
	}

	/* The group need not exist yet; the server looks it up when it starts. */
	ret = get_str(c, co, sec, "group", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		if (s[0] != '\0') {
			ret = check_group(c, path, s);
			if (ret < 0)
				return ret;
		}
		memcpy(ct->group, s, strlen(s) + 1);
	}

	v = ct->max_clients;
	ret = get_uint(c, co, sec, "max_clients", false, CTL_CLIENTS_MIN, CTL_CLIENTS_MAX, &v);
	if (ret < 0)
		return ret;
	ct->max_clients = (uint16_t)v;
	return get_uint(c, co, sec, "max_request", false, CTL_REQUEST_MIN, CTL_REQUEST_MAX,
			&ct->max_request);
}

/** JSON type name of a value, for messages that must not show the value. */
static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	default:
		return "unknown value";
	}
}

/** Parse coap.psk_key; messages give its length but never its bytes. */
static int
parse_psk_key(struct ctl_parse *c, json_t *co, struct ctl_coap_cfg *cp)
{
	char path[PATH_LEN];
	json_t *v;
	size_t len;

	lookup(c, co, "coap", "psk_key", false, path, sizeof(path), &v);
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return fail(c, path, "expected a string, got %s", type_name(v));
	len = json_string_length(v);
	if (strlen(json_string_value(v)) != len)
		return fail(c, path, "string contains a NUL character");
	if (len == 0 || len > COAP_PSK_KEY_MAX)
		return fail(c, path, "key must have 1..%zu bytes: %zu", COAP_PSK_KEY_MAX, len);
	memcpy(cp->psk_key, json_string_value(v), len);
	cp->psk_len = (uint8_t)len;
	return 0;
}

static const char *const coap_keys[] = {
	"enabled",
	"address",
	"port",
	"dtls_port",
	"psk_identity",
	"psk_key",
	"observe_interval_ms",
	"max_payload",
	NULL,
};

/** Parse the coap object: the CoAP endpoint. */
static int
parse_coap(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	static const char *const sec = "coap";
	struct ctl_coap_cfg *cp = &cfg->coap;
	char path[PATH_LEN], vb[VAL_LEN];
	struct vx_ip ip;
	const char *s;
	json_t *co;
	size_t len;
	uint32_t v;
	int ret;

	ret = get_object(c, root, "", sec, false, path, sizeof(path), &co);
	if (ret < 0 || co == NULL)
		return ret;
	ret = check_keys(c, co, sec, coap_keys);
	if (ret < 0)
		return ret;

	ret = get_bool(c, co, sec, "enabled", &cp->enabled);
	if (ret < 0)
		return ret;

	/* Any literal may be bound, the wildcards too; it is kept in canonical text. */
	ret = get_str(c, co, sec, "address", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		if (vx_ip_parse(s, &ip) < 0)
			return fail(c, path, "invalid IP address '%s'", esc(s, vb, sizeof(vb)));
		vx_ip_fmt(&ip, cp->address, sizeof(cp->address));
	}

	v = cp->port;
	ret = get_uint(c, co, sec, "port", false, 0, 65535, &v);
	if (ret < 0)
		return ret;
	cp->port = (uint16_t)v;
	v = cp->dtls_port;
	ret = get_uint(c, co, sec, "dtls_port", false, 0, 65535, &v);
	if (ret < 0)
		return ret;
	cp->dtls_port = (uint16_t)v;

	ret = get_str(c, co, sec, "psk_identity", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		len = strlen(s);
		if (len == 0 || len > COAP_PSK_ID_MAX)
			return fail(c, path, "identity must have 1..%zu bytes '%s'",
				    COAP_PSK_ID_MAX, esc(s, vb, sizeof(vb)));
		memcpy(cp->psk_identity, s, len + 1);
	}
	ret = parse_psk_key(c, co, cp);
	if (ret < 0)
		return ret;

	ret = get_uint(c, co, sec, "observe_interval_ms", false, COAP_OBSERVE_MIN, COAP_OBSERVE_MAX,
		       &cp->observe_interval_ms);
	if (ret < 0)
		return ret;
	ret = get_uint(c, co, sec, "max_payload", false, COAP_PAYLOAD_MIN, COAP_PAYLOAD_MAX,
		       &cp->max_payload);
	if (ret < 0)
		return ret;

	/* The relations between the keys hold whether or not the endpoint is enabled. */
	if (cp->dtls_port != 0 && cp->dtls_port == cp->port)
		return fail(c, "coap.dtls_port", "same port as coap.port: %u", cp->dtls_port);
	if (cp->dtls_port != 0 && cp->psk_identity[0] == '\0')
		return fail(c, "coap.psk_identity",
			    "required key is missing (coap.dtls_port is %u)", cp->dtls_port);
	if (cp->dtls_port != 0 && cp->psk_len == 0)
		return fail(c, "coap.psk_key", "required key is missing (coap.dtls_port is %u)",
			    cp->dtls_port);
	if (cp->enabled && cp->port == 0 && cp->dtls_port == 0)
		return fail(c, "coap.port", "coap.enabled needs a non-zero port or dtls_port: 0");
	return 0;
}

static const char *const containers_keys[] = {"enabled", "state_dir", "run_dir",
					      "runtime", "pmd",	      NULL};
static const char *const pmd_names[] = {"auto", "af_xdp", "af_packet", NULL};

/* An absolute path of 1..CTL_PATH_LEN-1 characters into @p out. */
static int
get_abs_path(struct ctl_parse *c, json_t *obj, const char *sec, const char *key, char *out)
{
	char path[PATH_LEN], vb[VAL_LEN];
	const char *s;
	int ret;

	ret = get_str(c, obj, sec, key, false, path, sizeof(path), &s);
	if (ret < 0 || s == NULL)
		return ret;
	if (s[0] != '/' || strlen(s) >= CTL_PATH_LEN)
		return fail(c, path, "expected an absolute path of at most %d characters: '%s'",
			    CTL_PATH_LEN - 1, esc(s, vb, sizeof(vb)));
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/** Parse the containers object. */
static int
parse_containers(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	static const char *const sec = "containers";
	struct ctl_containers_cfg *ct = &cfg->containers;
	char path[PATH_LEN], vb[VAL_LEN];
	const char *s;
	json_t *co;
	int ret;

	ret = get_object(c, root, "", sec, false, path, sizeof(path), &co);
	if (ret < 0 || co == NULL)
		return ret;
	ret = check_keys(c, co, sec, containers_keys);
	if (ret == 0)
		ret = get_bool(c, co, sec, "enabled", &ct->enabled);
	if (ret == 0)
		ret = get_abs_path(c, co, sec, "state_dir", ct->state_dir);
	if (ret == 0)
		ret = get_abs_path(c, co, sec, "run_dir", ct->run_dir);
	if (ret < 0)
		return ret;
	ret = get_str(c, co, sec, "runtime", false, path, sizeof(path), &s);
	if (ret < 0)
		return ret;
	if (s != NULL) {
		if ((s[0] != '/' && strcmp(s, "runc") != 0 && strcmp(s, "crun") != 0) ||
		    strlen(s) >= CTL_PATH_LEN)
			return fail(c, path,
				    "expected \"runc\", \"crun\" or an absolute path: '%s'",
				    esc(s, vb, sizeof(vb)));
		memcpy(ct->runtime, s, strlen(s) + 1);
	}
	ret = get_str(c, co, sec, "pmd", false, path, sizeof(path), &s);
	if (ret < 0 || s == NULL)
		return ret;
	for (uint8_t i = 0; pmd_names[i] != NULL; i++)
		if (strcmp(s, pmd_names[i]) == 0) {
			ct->pmd = i;
			return 0;
		}
	return fail(c, path, "expected \"auto\", \"af_xdp\" or \"af_packet\": '%s'",
		    esc(s, vb, sizeof(vb)));
}

static const char *const top_keys[] = {
	"underlay", "vnis",  "endpoints", "ports", "fdb",	 "neighbours", "dataplane",
	"stats",    "mflow", "control",	  "coap",  "containers", NULL,
};

/** Parses one section of the document into @p cfg; 0 or -EINVAL. */
typedef int (*ctl_section_parse_t)(struct ctl_parse *c, json_t *root, struct ctl_config *cfg);

/** Every section, in the order they are parsed. */
static const ctl_section_parse_t sections[] = {
	parse_underlay,	 parse_dataplane, parse_stats, parse_vnis,
	parse_endpoints, parse_ports,	  parse_fdb,   parse_neighbours,
	parse_mflow,	 parse_control,	  parse_coap,  parse_containers,
};

/** Parse a whole document into @p cfg, which holds the defaults. */
static int
parse_root(struct ctl_parse *c, json_t *root, struct ctl_config *cfg)
{
	int ret;

	if (root == NULL)
		return fail(c, "top level", "no document");
	if (!json_is_object(root))
		return type_error(c, "top level", "an object", root);
	ret = check_keys(c, root, "", top_keys);
	if (ret < 0)
		return ret;
	/* The order matters: later sections refer to earlier ones. */
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		ret = sections[i](c, root, cfg);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void
ctl_config_defaults(struct ctl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->underlay.mtu = MTU_DEFAULT;
	cfg->underlay.udp_port = VX_UDP_PORT;
	cfg->underlay.udp6_zero_csum_tx = false;
	cfg->underlay.udp6_zero_csum_rx = false;
	cfg->underlay.strict_reserved = true;
	cfg->dp.burst = 32;
	cfg->dp.drain_us = 100;
	cfg->dp.idle_polls = 1000;
	cfg->dp.idle_sleep_us = 100;
	cfg->dp.idle_sleep_max_us = 1000;
	cfg->dp.rxd = 4096;
	cfg->dp.txd = 4096;
	cfg->dp.mbufs = 16383;
	cfg->dp.fdb_size = 65536;
	cfg->dp.fdb_age_s = 300;
	cfg->dp.neigh_reachable_s = 30;
	cfg->dp.neigh_retrans_ms = 1000;
	cfg->dp.neigh_failed_s = 5;
	cfg->dp.neigh_probes = 3;
	cfg->stats_file[0] = '\0';
	cfg->stats_interval_s = 0;
	cfg->mflow.mode = CTL_MF_RTC;
	cfg->mflow.dispatch_lcore = -1;
	cfg->mflow.merge_lcore = -1;
	cfg->mflow.n_worker_lcores = 0;
	cfg->mflow.workers = 0;
	cfg->mflow.batch_size = 256;
	cfg->mflow.pick = CTL_MF_PICK_RR;
	cfg->mflow.merge_timeout_us = 1000;
	cfg->mflow.ring_size = 4096;
	cfg->mflow.elephant.table_size = 4096;
	cfg->mflow.elephant.window_us = 1000;
	cfg->mflow.elephant.promote_pkts = 100;
	cfg->mflow.elephant.promote_bytes = 0;
	cfg->mflow.elephant.demote_pkts = MF_DEMOTE_PKTS;
	cfg->mflow.elephant.demote_bytes = 0;
	cfg->mflow.elephant.promote_windows = 2;
	cfg->mflow.elephant.demote_windows = 8;
	snprintf(cfg->control.socket, sizeof(cfg->control.socket), "%s", CTL_SOCKET_PATH);
	cfg->control.group[0] = '\0';
	cfg->control.max_clients = CTL_CLIENTS_DEFAULT;
	cfg->control.max_request = CTL_REQUEST_DEFAULT;
	cfg->coap.enabled = false;
	snprintf(cfg->coap.address, sizeof(cfg->coap.address), "%s", COAP_ADDRESS_DEFAULT);
	cfg->coap.port = COAP_PORT_DEFAULT;
	cfg->coap.dtls_port = 0;
	cfg->coap.psk_identity[0] = '\0';
	cfg->coap.psk_len = 0;
	cfg->coap.observe_interval_ms = COAP_OBSERVE_DEFAULT;
	cfg->containers.enabled = true;
	snprintf(cfg->containers.state_dir, sizeof(cfg->containers.state_dir), "%s",
		 "/var/lib/mflowd/containers");
	snprintf(cfg->containers.run_dir, sizeof(cfg->containers.run_dir), "%s", "/run/mflowd");
	snprintf(cfg->containers.runtime, sizeof(cfg->containers.runtime), "%s", "runc");
	cfg->coap.max_payload = COAP_PAYLOAD_DEFAULT;
}

int
ctl_config_parse(const json_t *root, struct ctl_config *cfg, char *err, size_t errlen)
{
	struct ctl_parse c = {.err = err, .errlen = errlen};
	struct ctl_config *tmp;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL)
		return fail(&c, "top level", "no output config");
	/* The struct is large; keep it off the stack. */
	tmp = malloc(sizeof(*tmp));
	if (tmp == NULL) {
		ctl_config_defaults(cfg);
		return fail(&c, "top level", "out of memory");
	}
	ctl_config_defaults(tmp);
	/* The document is only read; jansson's iterators just lack const. */
	ret = parse_root(&c, (json_t *)(uintptr_t)root, tmp);
	free(c.vix);
	if (ret < 0) {
		ctl_config_free(tmp);
		ctl_config_defaults(cfg);
	} else {
		*cfg = *tmp;
	}
	free(tmp);
	return ret;
}

int
ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen)
{
	struct ctl_parse c = {.err = err, .errlen = errlen};
	json_error_t jerr;
	struct stat st;
	json_t *root;
	FILE *f;
	int fd, ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL || path == NULL)
		return -EINVAL;
	ctl_config_defaults(cfg);
	/*
	 * Open the file here rather than in json_load_file() so that the
	 * errno of open() reaches the caller.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		fail(&c, path, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fail(&c, path, "cannot read: %s", strerror(EISDIR));
		return -EISDIR;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		ret = -errno;
		close(fd);
		fail(&c, path, "cannot open: %s", strerror(-ret));
		return ret;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (root == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				 jerr.text);
		return -EINVAL;
	}
	ret = ctl_config_parse(root, cfg, err, errlen);
	json_decref(root);
	return ret;
}

void
ctl_config_free(struct ctl_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->vnis);
	cfg->vnis = NULL;
	cfg->n_vnis = 0;
	free(cfg->eps);
	cfg->eps = NULL;
	cfg->n_eps = 0;
	free(cfg->fdb);
	cfg->fdb = NULL;
	cfg->n_fdb = 0;
	free(cfg->neigh);
	cfg->neigh = NULL;
	cfg->n_neigh = 0;
	free(cfg->ports);
	cfg->ports = NULL;
	cfg->n_ports = 0;
}

/*
 * Writing a config back. Each dump_*() function builds one section and
 * returns it, or NULL when jansson runs out of memory; put() and append()
 * take a value that may be NULL and record the failure in *bad, so that a
 * section is built in one pass and checked once at its end.
 */

/** Add @p v (stolen, may be NULL) to @p obj under @p key; a failure sets *bad. */
static void
put(json_t *obj, const char *key, json_t *v, bool *bad)
{
	/* jansson releases v itself when it cannot insert it. */
	if (json_object_set_new(obj, key, v) < 0)
		*bad = true;
}

/** Append @p v (stolen, may be NULL) to @p arr; a failure sets *bad. */
static void
append(json_t *arr, json_t *v, bool *bad)
{
	if (json_array_append_new(arr, v) < 0)
		*bad = true;
}

/** Return @p v, or release it and return NULL when *bad is set. */
static json_t *
done(json_t *v, bool bad)
{
	if (bad) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static json_t *
dump_underlay(const struct ctl_config *cfg)
{
	json_t *o = json_object();
	bool bad = o == NULL;

	put(o, "port", json_string(cfg->underlay.port), &bad);
	if (cfg->underlay.ip4.family != 0)
		put(o, "ip4", ctl_prefix_json(&cfg->underlay.ip4, cfg->underlay.plen4), &bad);
	if (cfg->underlay.ip6.family != 0)
		put(o, "ip6", ctl_prefix_json(&cfg->underlay.ip6, cfg->underlay.plen6), &bad);
	if (cfg->underlay.gw4.family != 0)
		put(o, "gateway4", ctl_ip_json(&cfg->underlay.gw4), &bad);
	if (cfg->underlay.gw6.family != 0)
		put(o, "gateway6", ctl_ip_json(&cfg->underlay.gw6), &bad);
	if (cfg->underlay.has_mac)
		put(o, "mac", ctl_mac_json(&cfg->underlay.mac), &bad);
	put(o, "mtu", json_integer(cfg->underlay.mtu), &bad);
	put(o, "udp_port", json_integer(cfg->underlay.udp_port), &bad);
	put(o, "udp6_zero_csum_tx", json_boolean(cfg->underlay.udp6_zero_csum_tx), &bad);
	put(o, "udp6_zero_csum_rx", json_boolean(cfg->underlay.udp6_zero_csum_rx), &bad);
	put(o, "strict_reserved", json_boolean(cfg->underlay.strict_reserved), &bad);
	return done(o, bad);
}

static json_t *
dump_vnis(const struct ctl_config *cfg)
{
	json_t *a = json_array();
	bool bad = a == NULL;

	for (unsigned int i = 0; i < cfg->n_vnis && !bad; i++) {
		const struct ctl_vni_cfg *vn = &cfg->vnis[i];
		json_t *o = json_object(), *vteps = json_array();

		for (unsigned int j = 0; j < vn->n_vteps; j++)
			append(vteps, ctl_ip_json(&vn->vteps[j]), &bad);
		put(o, "vni", json_integer(vn->vni), &bad);
		put(o, "vteps", vteps, &bad);
		append(a, o, &bad);
	}
	return done(a, bad);
}

static json_t *
dump_endpoints(const struct ctl_config *cfg)
{
	json_t *a = json_array();
	bool bad = a == NULL;

	for (unsigned int i = 0; i < cfg->n_eps && !bad; i++) {
		const struct ctl_ep_cfg *ep = &cfg->eps[i];
		json_t *o = json_object();

		put(o, "name", json_string(ep->name), &bad);
		put(o, "port", json_string(ep->port), &bad);
		put(o, "vni", json_integer(ep->vni), &bad);
		put(o, "mac", ctl_mac_json(&ep->mac), &bad);
		put(o, "mtu", json_integer(ep->mtu), &bad);
		put(o, "any_src_mac", json_boolean(ep->any_src_mac), &bad);
		append(a, o, &bad);
	}
	return done(a, bad);
}

static json_t *
dump_ports(const struct ctl_config *cfg)
{
	json_t *a = json_array();
	bool bad = a == NULL;

	for (unsigned int i = 0; i < cfg->n_ports && !bad; i++) {
		const struct ctl_port_cfg *p = &cfg->ports[i];
		json_t *o = json_object();

		put(o, "name", json_string(p->name), &bad);
		put(o, "port", json_string(p->port), &bad);
		put(o, "mtu", json_integer(p->mtu), &bad);
		append(a, o, &bad);
	}
	return done(a, bad);
}

static json_t *
dump_fdb(const struct ctl_config *cfg)
{
	json_t *a = json_array();
	bool bad = a == NULL;

	for (unsigned int i = 0; i < cfg->n_fdb && !bad; i++) {
		const struct ctl_fdb_cfg *f = &cfg->fdb[i];
		json_t *o = json_object();

		put(o, "vni", json_integer(f->vni), &bad);
		put(o, "mac", ctl_mac_json(&f->mac), &bad);
		put(o, "vtep", ctl_ip_json(&f->vtep), &bad);
		append(a, o, &bad);
	}
	return done(a, bad);
}

static json_t *
dump_neighbours(const struct ctl_config *cfg)
{
	json_t *a = json_array();
	bool bad = a == NULL;

	for (unsigned int i = 0; i < cfg->n_neigh && !bad; i++) {
		json_t *o = json_object();

		put(o, "ip", ctl_ip_json(&cfg->neigh[i].ip), &bad);
		put(o, "mac", ctl_mac_json(&cfg->neigh[i].mac), &bad);
		append(a, o, &bad);
	}
	return done(a, bad);
}

static json_t *
dump_dataplane(const struct ctl_config *cfg)
{
	json_t *o = json_object();
	bool bad = o == NULL;

	put(o, "burst", json_integer(cfg->dp.burst), &bad);
	put(o, "drain_us", json_integer(cfg->dp.drain_us), &bad);
	put(o, "idle_polls", json_integer(cfg->dp.idle_polls), &bad);
	put(o, "idle_sleep_us", json_integer(cfg->dp.idle_sleep_us), &bad);
	put(o, "idle_sleep_max_us", json_integer(cfg->dp.idle_sleep_max_us), &bad);
	put(o, "rx_desc", json_integer(cfg->dp.rxd), &bad);
	put(o, "tx_desc", json_integer(cfg->dp.txd), &bad);
	put(o, "mbufs", json_integer(cfg->dp.mbufs), &bad);
	put(o, "fdb_size", json_integer(cfg->dp.fdb_size), &bad);
	put(o, "fdb_age_s", json_integer(cfg->dp.fdb_age_s), &bad);
	put(o, "neigh_reachable_s", json_integer(cfg->dp.neigh_reachable_s), &bad);
	put(o, "neigh_retrans_ms", json_integer(cfg->dp.neigh_retrans_ms), &bad);
	put(o, "neigh_failed_s", json_integer(cfg->dp.neigh_failed_s), &bad);
	put(o, "neigh_probes", json_integer(cfg->dp.neigh_probes), &bad);
	return done(o, bad);
}

static json_t *
dump_stats(const struct ctl_config *cfg)
{
	json_t *o = json_object();
	bool bad = o == NULL;

	/* An empty path means no file, which the file says by leaving the key out. */
	if (cfg->stats_file[0] != '\0')
		put(o, "file", json_string(cfg->stats_file), &bad);
	put(o, "interval_s", json_integer(cfg->stats_interval_s), &bad);
	return done(o, bad);
}

static json_t *
dump_mflow(const struct ctl_mflow_cfg *m)
{
	json_t *o = json_object(), *wl = json_array(), *el = json_object();
	bool bad = o == NULL;

	put(o, "mode", json_string(ctl_mf_mode_name(m->mode)), &bad);
	/* -1 stands for "not set": the key is left out. */
	if (m->dispatch_lcore >= 0)
		put(o, "dispatch_lcore", json_integer(m->dispatch_lcore), &bad);
	if (m->merge_lcore >= 0)
		put(o, "merge_lcore", json_integer(m->merge_lcore), &bad);
	for (unsigned int i = 0; i < m->n_worker_lcores && i < CTL_MF_MAX_WORKERS; i++)
		append(wl, json_integer(m->worker_lcores[i]), &bad);
	put(o, "worker_lcores", wl, &bad);
	/* Without worker lcores there are no workers, and the key takes no 0. */
	if (m->n_worker_lcores > 0)
		put(o, "workers", json_integer(m->workers), &bad);
	put(o, "batch_size", json_integer(m->batch_size), &bad);
	put(o, "pick", json_string(ctl_mf_pick_name(m->pick)), &bad);
	put(o, "merge_timeout_us", json_integer(m->merge_timeout_us), &bad);
	put(o, "ring_size", json_integer(m->ring_size), &bad);
	put(el, "table_size", json_integer(m->elephant.table_size), &bad);
	put(el, "window_us", json_integer(m->elephant.window_us), &bad);
	put(el, "promote_pkts", json_integer((json_int_t)m->elephant.promote_pkts), &bad);
	put(el, "promote_bytes", json_integer((json_int_t)m->elephant.promote_bytes), &bad);
	put(el, "demote_pkts", json_integer((json_int_t)m->elephant.demote_pkts), &bad);
	put(el, "demote_bytes", json_integer((json_int_t)m->elephant.demote_bytes), &bad);
	put(el, "promote_windows", json_integer(m->elephant.promote_windows), &bad);
	put(el, "demote_windows", json_integer(m->elephant.demote_windows), &bad);
	put(o, "elephant", el, &bad);
	return done(o, bad);
}

static json_t *
dump_control(const struct ctl_control_cfg *ct)
{
	json_t *o = json_object();
	bool bad = o == NULL;

	/* Both strings are written even when empty: "" is a value of its own here. */
	put(o, "socket", json_string(ct->socket), &bad);
	put(o, "group", json_string(ct->group), &bad);
	put(o, "max_clients", json_integer(ct->max_clients), &bad);
	put(o, "max_request", json_integer(ct->max_request), &bad);
	return done(o, bad);
}

static json_t *
dump_coap(const struct ctl_coap_cfg *cp)
{
	json_t *o = json_object();
	bool bad = o == NULL;

	put(o, "enabled", json_boolean(cp->enabled), &bad);
	put(o, "address", json_string(cp->address), &bad);
	put(o, "port", json_integer(cp->port), &bad);
	put(o, "dtls_port", json_integer(cp->dtls_port), &bad);
	if (cp->psk_identity[0] != '\0')
		put(o, "psk_identity", json_string(cp->psk_identity), &bad);
	/* A key that is not UTF-8 text cannot be written as a JSON string. */
	if (cp->psk_len > sizeof(cp->psk_key))
		bad = true;
	else if (cp->psk_len > 0)
		put(o, "psk_key", json_stringn((const char *)cp->psk_key, cp->psk_len), &bad);
	put(o, "observe_interval_ms", json_integer(cp->observe_interval_ms), &bad);
	put(o, "max_payload", json_integer(cp->max_payload), &bad);
	return done(o, bad);
}

json_t *
ctl_config_dump(const struct ctl_config *cfg)
{
	json_t *root;
	bool bad;

	if (cfg == NULL)
		return NULL;
	root = json_object();
	bad = root == NULL;
	/* The order of docs/config.md, which jansson keeps. */
	put(root, "underlay", dump_underlay(cfg), &bad);
	put(root, "vnis", dump_vnis(cfg), &bad);
	put(root, "endpoints", dump_endpoints(cfg), &bad);
	put(root, "ports", dump_ports(cfg), &bad);
	put(root, "fdb", dump_fdb(cfg), &bad);
	put(root, "neighbours", dump_neighbours(cfg), &bad);
	put(root, "dataplane", dump_dataplane(cfg), &bad);
	put(root, "stats", dump_stats(cfg), &bad);
	put(root, "mflow", dump_mflow(&cfg->mflow), &bad);
	put(root, "control", dump_control(&cfg->control), &bad);
	put(root, "coap", dump_coap(&cfg->coap), &bad);
	{
		const struct ctl_containers_cfg *ct = &cfg->containers;
		json_t *o = json_object();
		bool b2 = o == NULL;

		put(o, "enabled", json_boolean(ct->enabled), &b2);
		put(o, "state_dir", json_string(ct->state_dir), &b2);
		put(o, "run_dir", json_string(ct->run_dir), &b2);
		put(o, "runtime", json_string(ct->runtime), &b2);
		put(o, "pmd", json_string(pmd_names[ct->pmd < 3 ? ct->pmd : 0]), &b2);
		put(root, "containers", done(o, b2), &bad);
	}
	return done(root, bad);
}

/** Write all of @p len bytes; 0 or -errno. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * Flush the directory holding @p path so that a rename in it is durable.
 * Best effort: the file is in place already, so a failure is not reported.
 */
static void
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL) {
		dir = strdup(".");
	} else {
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	}
	if (dir == NULL)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

int
ctl_config_save(const struct ctl_config *cfg, const char *path)
{
	char *text, *tmp;
	json_t *doc;
	size_t len;
	int fd, ret;

	if (cfg == NULL || path == NULL || path[0] == '\0')
		return -EINVAL;
	doc = ctl_config_dump(cfg);
	if (doc == NULL)
		return -ENOMEM;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		return -ENOMEM;
	len = strlen(path) + sizeof(".XXXXXX");
	tmp = malloc(len);
	if (tmp == NULL) {
		ret = -ENOMEM;
		goto out_text;
	}
	snprintf(tmp, len, "%s.XXXXXX", path);

	/* A name of its own in the same directory, so that rename() is atomic. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_tmp;
	}
	/* fchmod() is not subject to the umask, unlike the mode of open(). */
	if (fchmod(fd, 0640) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	ret = write_all(fd, text, strlen(text));
	if (ret == 0)
		ret = write_all(fd, "\n", 1);
	if (ret < 0)
		goto out_unlink;
	if (fsync(fd) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	ret = close(fd);
	fd = -1;
	if (ret < 0) {
		ret = -errno;
		goto out_unlink;
	}
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	sync_dir(path);
	ret = 0;
	goto out_tmp;

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out_tmp:
	free(tmp);
out_text:
	free(text);
	return ret;
}

static int not_runtime(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Record "<path>: cannot change at run time" for a reload.
 *
 * @return
 *   -EINVAL.
 */
static int
not_runtime(char *err, size_t errlen, const char *fmt, ...)
{
	char path[PATH_LEN];
	va_list ap;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: cannot change at run time", path);
	return -EINVAL;
}

/** @return true if two optional addresses are both unset or the same address. */
static bool
ip_same(const struct vx_ip *a, const struct vx_ip *b)
{
	if (a->family == 0 || b->family == 0)
		return a->family == b->family;
	return vx_ip_eq(a, b);
}

/** Compare the underlay sections for a reload. */
static int
reload_underlay(const struct ctl_config *a, const struct ctl_config *b, char *err, size_t errlen)
{
	if (strcmp(a->underlay.port, b->underlay.port) != 0)
		return not_runtime(err, errlen, "underlay.port");
	if (!ip_same(&a->underlay.ip4, &b->underlay.ip4) || a->underlay.plen4 != b->underlay.plen4)
		return not_runtime(err, errlen, "underlay.ip4");
	if (!ip_same(&a->underlay.ip6, &b->underlay.ip6) || a->underlay.plen6 != b->underlay.plen6)
		return not_runtime(err, errlen, "underlay.ip6");
	if (!ip_same(&a->underlay.gw4, &b->underlay.gw4))
		return not_runtime(err, errlen, "underlay.gateway4");
	if (!ip_same(&a->underlay.gw6, &b->underlay.gw6))
		return not_runtime(err, errlen, "underlay.gateway6");
	if (a->underlay.has_mac != b->underlay.has_mac ||
	    (a->underlay.has_mac && !rte_is_same_ether_addr(&a->underlay.mac, &b->underlay.mac)))
		return not_runtime(err, errlen, "underlay.mac");
	if (a->underlay.mtu != b->underlay.mtu)
		return not_runtime(err, errlen, "underlay.mtu");
	if (a->underlay.udp_port != b->underlay.udp_port)
		return not_runtime(err, errlen, "underlay.udp_port");
	if (a->underlay.udp6_zero_csum_tx != b->underlay.udp6_zero_csum_tx)
		return not_runtime(err, errlen, "underlay.udp6_zero_csum_tx");
	if (a->underlay.udp6_zero_csum_rx != b->underlay.udp6_zero_csum_rx)
		return not_runtime(err, errlen, "underlay.udp6_zero_csum_rx");
	if (a->underlay.strict_reserved != b->underlay.strict_reserved)
		return not_runtime(err, errlen, "underlay.strict_reserved");
	return 0;
}

/** Compare the vnis, endpoints, ports, fdb and neighbours arrays for a reload. */
static int
reload_arrays(const struct ctl_config *a, const struct ctl_config *b, char *err, size_t errlen)
{
	if (a->n_vnis != b->n_vnis)
		return not_runtime(err, errlen, "vnis");
	for (unsigned int i = 0; i < a->n_vnis; i++) {
		const struct ctl_vni_cfg *x = &a->vnis[i], *y = &b->vnis[i];

		if (x->vni != y->vni)
			return not_runtime(err, errlen, "vnis[%u].vni", i);
		if (x->n_vteps != y->n_vteps)
			return not_runtime(err, errlen, "vnis[%u].vteps", i);
		for (unsigned int j = 0; j < x->n_vteps; j++)
			if (!ip_same(&x->vteps[j], &y->vteps[j]))
				return not_runtime(err, errlen, "vnis[%u].vteps", i);
	}

	if (a->n_eps != b->n_eps)
		return not_runtime(err, errlen, "endpoints");
	for (unsigned int i = 0; i < a->n_eps; i++) {
		const struct ctl_ep_cfg *x = &a->eps[i], *y = &b->eps[i];

		if (strcmp(x->name, y->name) != 0)
			return not_runtime(err, errlen, "endpoints[%u].name", i);
		if (strcmp(x->port, y->port) != 0)
			return not_runtime(err, errlen, "endpoints[%u].port", i);
		if (x->vni != y->vni)
			return not_runtime(err, errlen, "endpoints[%u].vni", i);
		if (!rte_is_same_ether_addr(&x->mac, &y->mac))
			return not_runtime(err, errlen, "endpoints[%u].mac", i);
		if (x->mtu != y->mtu)
			return not_runtime(err, errlen, "endpoints[%u].mtu", i);
		if (x->any_src_mac != y->any_src_mac)
			return not_runtime(err, errlen, "endpoints[%u].any_src_mac", i);
	}

	if (a->n_ports != b->n_ports)
		return not_runtime(err, errlen, "ports");
	for (unsigned int i = 0; i < a->n_ports; i++) {
		const struct ctl_port_cfg *x = &a->ports[i], *y = &b->ports[i];

		if (strcmp(x->name, y->name) != 0)
			return not_runtime(err, errlen, "ports[%u].name", i);
		if (strcmp(x->port, y->port) != 0)
			return not_runtime(err, errlen, "ports[%u].port", i);
		if (x->mtu != y->mtu)
			return not_runtime(err, errlen, "ports[%u].mtu", i);
	}

	if (a->n_fdb != b->n_fdb)
		return not_runtime(err, errlen, "fdb");
	for (unsigned int i = 0; i < a->n_fdb; i++) {
		const struct ctl_fdb_cfg *x = &a->fdb[i], *y = &b->fdb[i];

		if (x->vni != y->vni)
			return not_runtime(err, errlen, "fdb[%u].vni", i);
		if (!rte_is_same_ether_addr(&x->mac, &y->mac))
			return not_runtime(err, errlen, "fdb[%u].mac", i);
		if (!ip_same(&x->vtep, &y->vtep))
			return not_runtime(err, errlen, "fdb[%u].vtep", i);
	}

	if (a->n_neigh != b->n_neigh)
		return not_runtime(err, errlen, "neighbours");
	for (unsigned int i = 0; i < a->n_neigh; i++) {
		const struct ctl_neigh_cfg *x = &a->neigh[i], *y = &b->neigh[i];

		if (!ip_same(&x->ip, &y->ip))
			return not_runtime(err, errlen, "neighbours[%u].ip", i);
		if (!rte_is_same_ether_addr(&x->mac, &y->mac))
			return not_runtime(err, errlen, "neighbours[%u].mac", i);
	}
	return 0;
}

/** Compare the dataplane and stats sections for a reload. */
static int
reload_dataplane(const struct ctl_config *a, const struct ctl_config *b, char *err, size_t errlen)
{
	const struct {
		const char *key;
		uint32_t x, y;
	} dp[] = {
		{"burst", a->dp.burst, b->dp.burst},
		{"drain_us", a->dp.drain_us, b->dp.drain_us},
		{"idle_polls", a->dp.idle_polls, b->dp.idle_polls},
		{"idle_sleep_us", a->dp.idle_sleep_us, b->dp.idle_sleep_us},
		{"idle_sleep_max_us", a->dp.idle_sleep_max_us, b->dp.idle_sleep_max_us},
		{"rx_desc", a->dp.rxd, b->dp.rxd},
		{"tx_desc", a->dp.txd, b->dp.txd},
		{"mbufs", a->dp.mbufs, b->dp.mbufs},
		{"fdb_size", a->dp.fdb_size, b->dp.fdb_size},
		{"fdb_age_s", a->dp.fdb_age_s, b->dp.fdb_age_s},
		{"neigh_reachable_s", a->dp.neigh_reachable_s, b->dp.neigh_reachable_s},
		{"neigh_retrans_ms", a->dp.neigh_retrans_ms, b->dp.neigh_retrans_ms},
		{"neigh_failed_s", a->dp.neigh_failed_s, b->dp.neigh_failed_s},
		{"neigh_probes", a->dp.neigh_probes, b->dp.neigh_probes},
	};

	for (size_t i = 0; i < sizeof(dp) / sizeof(dp[0]); i++)
		if (dp[i].x != dp[i].y)
			return not_runtime(err, errlen, "dataplane.%s", dp[i].key);
	if (strcmp(a->stats_file, b->stats_file) != 0)
		return not_runtime(err, errlen, "stats.file");
	if (a->stats_interval_s != b->stats_interval_s)
		return not_runtime(err, errlen, "stats.interval_s");
	return 0;
}

/** Compare the fixed fields of the mflow sections for a reload. */
static int
reload_mflow(const struct ctl_mflow_cfg *a, const struct ctl_mflow_cfg *b, char *err, size_t errlen)
{
	if (a->dispatch_lcore != b->dispatch_lcore)
		return not_runtime(err, errlen, "mflow.dispatch_lcore");
	if (a->merge_lcore != b->merge_lcore)
		return not_runtime(err, errlen, "mflow.merge_lcore");
	if (a->n_worker_lcores != b->n_worker_lcores)
		return not_runtime(err, errlen, "mflow.worker_lcores");
	for (unsigned int i = 0; i < a->n_worker_lcores; i++)
		if (a->worker_lcores[i] != b->worker_lcores[i])
			return not_runtime(err, errlen, "mflow.worker_lcores");
	if (a->ring_size != b->ring_size)
		return not_runtime(err, errlen, "mflow.ring_size");
	if (a->elephant.table_size != b->elephant.table_size)
		return not_runtime(err, errlen, "mflow.elephant.table_size");
	return 0;
}

/** Compare the control sections for a reload. */
static int
reload_control(const struct ctl_control_cfg *a, const struct ctl_control_cfg *b, char *err,
	       size_t errlen)
{
	if (strcmp(a->socket, b->socket) != 0)
		return not_runtime(err, errlen, "control.socket");
	if (strcmp(a->group, b->group) != 0)
		return not_runtime(err, errlen, "control.group");
	if (a->max_clients != b->max_clients)
		return not_runtime(err, errlen, "control.max_clients");
	if (a->max_request != b->max_request)
		return not_runtime(err, errlen, "control.max_request");
	return 0;
}

/** @return true if two bind addresses are the same, as addresses when both parse. */
static bool
addr_text_same(const char *a, const char *b)
{
	struct vx_ip x, y;

	if (vx_ip_parse(a, &x) == 0 && vx_ip_parse(b, &y) == 0)
		return vx_ip_eq(&x, &y);
	return strcmp(a, b) == 0;
}

/** Compare the coap sections for a reload. */
static int
reload_coap(const struct ctl_coap_cfg *a, const struct ctl_coap_cfg *b, char *err, size_t errlen)
{
	if (a->enabled != b->enabled)
		return not_runtime(err, errlen, "coap.enabled");
	if (!addr_text_same(a->address, b->address))
		return not_runtime(err, errlen, "coap.address");
	if (a->port != b->port)
		return not_runtime(err, errlen, "coap.port");
	if (a->dtls_port != b->dtls_port)
		return not_runtime(err, errlen, "coap.dtls_port");
	if (strcmp(a->psk_identity, b->psk_identity) != 0)
		return not_runtime(err, errlen, "coap.psk_identity");
	if (a->psk_len != b->psk_len ||
	    memcmp(a->psk_key, b->psk_key, RTE_MIN(a->psk_len, sizeof(a->psk_key))) != 0)
		return not_runtime(err, errlen, "coap.psk_key");
	if (a->observe_interval_ms != b->observe_interval_ms)
		return not_runtime(err, errlen, "coap.observe_interval_ms");
	if (a->max_payload != b->max_payload)
		return not_runtime(err, errlen, "coap.max_payload");
	return 0;
}

int
ctl_config_reload_check(const struct ctl_config *cur, const struct ctl_config *next, char *err,
			size_t errlen)
{
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cur == NULL || next == NULL)
		return not_runtime(err, errlen, "top level");
	/* Sections in the order of docs/config.md, so the first difference is reported. */
	ret = reload_underlay(cur, next, err, errlen);
	if (ret < 0)
		return ret;
	ret = reload_arrays(cur, next, err, errlen);
	if (ret < 0)
		return ret;
	ret = reload_dataplane(cur, next, err, errlen);
	if (ret < 0)
		return ret;
	ret = reload_mflow(&cur->mflow, &next->mflow, err, errlen);
	if (ret < 0)
		return ret;
	ret = reload_control(&cur->control, &next->control, err, errlen);
	if (ret < 0)
		return ret;
	ret = reload_coap(&cur->coap, &next->coap, err, errlen);
	if (ret < 0)
		return ret;
	{
		const struct ctl_containers_cfg *a = &cur->containers, *b = &next->containers;

		if (a->enabled != b->enabled)
			return not_runtime(err, errlen, "containers.enabled");
		if (strcmp(a->state_dir, b->state_dir) != 0)
			return not_runtime(err, errlen, "containers.state_dir");
		if (strcmp(a->run_dir, b->run_dir) != 0)
			return not_runtime(err, errlen, "containers.run_dir");
		if (strcmp(a->runtime, b->runtime) != 0)
			return not_runtime(err, errlen, "containers.runtime");
		if (a->pmd != b->pmd)
			return not_runtime(err, errlen, "containers.pmd");
	}
	return 0;
}
