/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Container arguments, their validation, and the records on disk. See
 * ct_state.h for the rules, the derived names and the file format.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ct_state.h"

/* Prefix of temp files in the state directory; names cannot start with '.'. */
#define TMP_PREFIX ".tmp-"
/* Room for a quoted value in a message. */
#define QUOTE_LEN 72
/* How often a save retries when its temp file was reaped under it. */
#define SAVE_TRIES 3

/* ------------------------------------------------------------------------- */
/* Messages.                                                                 */

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Write a message into err (when given) and return rc. */
static int
fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * A value made safe to print in a one-line message: control and non-ASCII
 * bytes become '?', and a long value is cut with "...". Reads at most max
 * bytes of s, so that an unterminated buffer is safe too.
 */
static const char *
quote(char buf[QUOTE_LEN], const char *s, size_t max)
{
	size_t i, o = 0;

	for (i = 0; i < max && s[i] != '\0'; i++) {
		if (o == QUOTE_LEN - 4) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------------------------- */
/* Addresses.                                                                */

/* Why an address was refused. */
enum ip_why {
	IP_OK,
	IP_SYNTAX,
	IP_NO_PREFIX,
	IP_HAS_PREFIX,
	IP_PREFIX,
	IP_NOT_UNICAST,
	IP_NETWORK,
	IP_BROADCAST,
};

static unsigned int
ip_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Bit i (from the most significant) of an address. */
static bool
ip_bit(const uint8_t *addr, unsigned int i)
{
	return (addr[i / 8] >> (7 - i % 8)) & 1;
}

/* Whether every host bit (past prefix) of addr equals v. */
static bool
host_bits_all(const struct ct_rec_ip *ip, unsigned int prefix, bool v)
{
	for (unsigned int i = prefix; i < ip_bits(ip->family); i++)
		if (ip_bit(ip->addr, i) != v)
			return false;
	return true;
}

/* Whether a and b share their first prefix bits. */
static bool
same_prefix(const uint8_t *a, const uint8_t *b, unsigned int prefix)
{
	for (unsigned int i = 0; i < prefix; i++)
		if (ip_bit(a, i) != ip_bit(b, i))
			return false;
	return true;
}

static bool
ip_is_unicast(const struct ct_rec_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t zero[16];
	const uint8_t *a = ip->addr;

	if (ip->family == AF_INET)
		/* 0/8, loopback 127/8, multicast 224/4, reserved 240/4. */
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return false; /* :: and ::1 */
	if (a[0] == 0xff)
		return false; /* multicast */
	return memcmp(a, mapped, sizeof(mapped)) != 0;
}

static enum ip_why
ip_parse(const char *s, bool with_prefix, struct ct_rec_ip *ip)
{
	const char *slash = strchr(s, '/');
	char buf[CT_IP_STR_LEN];
	unsigned int prefix = 0;
	size_t alen;

	memset(ip, 0, sizeof(*ip));
	if (slash != NULL && !with_prefix)
		return IP_HAS_PREFIX;
	if (slash == NULL && with_prefix)
		return IP_NO_PREFIX;
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return IP_SYNTAX;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	ip->family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(ip->family, buf, ip->addr) != 1) {
		memset(ip, 0, sizeof(*ip));
		return IP_SYNTAX;
	}
	if (with_prefix) {
		const char *p = slash + 1;
		size_t n = strlen(p);

		/* Decimal digits only, no sign, no leading zero. */
		if (n == 0 || n > 3 || p[0] == '0' || strspn(p, "0123456789") != n)
			return IP_PREFIX;
		prefix = (unsigned int)atoi(p);
		if (prefix < 1 || prefix > ip_bits(ip->family))
			return IP_PREFIX;
		ip->prefix = (uint8_t)prefix;
	}
	if (!ip_is_unicast(ip))
		return IP_NOT_UNICAST;
	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	if (with_prefix && ip->family == AF_INET && prefix <= 30) {
		if (host_bits_all(ip, prefix, false))
			return IP_NETWORK;
		if (host_bits_all(ip, prefix, true))
			return IP_BROADCAST;
	}
	return IP_OK;
}

int
ct_rec_ip_parse(const char *s, bool with_prefix, struct ct_rec_ip *ip)
{
	if (s == NULL || ip == NULL)
		return -EINVAL;
	return ip_parse(s, with_prefix, ip) == IP_OK ? 0 : -EINVAL;
}

/* Canonical text of an address, with "/prefix" when it has one. */
static void
ip_format(const struct ct_rec_ip *ip, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ip->family == 0 || inet_ntop(ip->family, ip->addr, a, sizeof(a)) == NULL) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (ip->prefix != 0)
		snprintf(buf, len, "%s/%u", a, ip->prefix);
	else
		snprintf(buf, len, "%s", a);
}

static bool
ip_equal(const struct ct_rec_ip *a, const struct ct_rec_ip *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* The message for an address refused by ip_parse(). */
static int
ip_fail(enum ip_why why, const char *field, const char *s, int family, char *err, size_t errlen)
{
	char q[QUOTE_LEN];

	quote(q, s, CT_IP_STR_LEN);
	switch (why) {
	case IP_NO_PREFIX:
		return fail(-EINVAL, err, errlen,
			    "%s: '%s' has no prefix length (expected address/prefix)", field, q);
	case IP_HAS_PREFIX:
		return fail(-EINVAL, err, errlen,
			    "%s: '%s' must be a plain address, without a prefix length", field, q);
	case IP_PREFIX:
		return fail(-EINVAL, err, errlen, "%s: invalid prefix length in '%s' (1..%u)",
			    field, q, ip_bits(family));
	case IP_NOT_UNICAST:
		return fail(-EINVAL, err, errlen, "%s: '%s' is not a unicast host address", field,
			    q);
	case IP_NETWORK:
		return fail(-EINVAL, err, errlen, "%s: '%s' is the network address of its prefix",
			    field, q);
	case IP_BROADCAST:
		return fail(-EINVAL, err, errlen, "%s: '%s' is the broadcast address of its prefix",
			    field, q);
	default:
		return fail(-EINVAL, err, errlen, "%s: invalid address '%s'", field, q);
	}
}

int
ct_rec_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t out[6];

	if (s == NULL || mac == NULL || strlen(s) != 17)
		return -EINVAL;
	for (unsigned int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		char hex[3] = {p[0], p[1], '\0'};

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EINVAL;
		if (i < 5 && p[2] != ':')
			return -EINVAL;
		out[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	memcpy(mac, out, sizeof(out));
	return 0;
}

static void
mac_format(const uint8_t mac[6], char buf[CT_MAC_STR_LEN])
{
	snprintf(buf, CT_MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

/* ------------------------------------------------------------------------- */
/* Derived names.                                                            */

/*
 * FNV-1a 64 over the domain, a zero byte and the name, then the splitmix64
 * finaliser so that every output bit depends on every input byte. Part of
 * the file format: changing it changes the derived names.
 */
static uint64_t
name_hash(const char *domain, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = {domain, name};

	for (unsigned int k = 0; k < 2; k++) {
		for (const char *p = parts[k]; *p != '\0'; p++) {
			h ^= (uint8_t)*p;
			h *= 0x100000001b3ULL;
		}
		h *= 0x100000001b3ULL; /* The zero byte after each part. */
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void
ct_rec_mac_from_name(const char *name, uint8_t mac[6])
{
	uint64_t h = name_hash("mac", name);

	mac[0] = 0x02; /* Locally administered, unicast. */
	for (unsigned int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (64 - 8 * i));
}

/* "mfh" or "mfp" and the top 48 bits of the interface hash, in hex. */
static void
ifname_derive(const char *prefix, const char *name, char *buf, size_t len)
{
	uint64_t h = name_hash("ifname", name) >> 16;

	snprintf(buf, len, "%s%012" PRIx64, prefix, h);
}

void
ct_rec_host_ifname(const char *name, char *buf, size_t len)
{
	ifname_derive("mfh", name, buf, len);
}

/* The names a record derives from its container name. */
struct names {
	char netns[CT_NETNS_LEN];
	char host_ifname[CT_IFNAME_LEN];
	char peer_ifname[CT_IFNAME_LEN];
	char ifname[CT_IFNAME_LEN];
	char port[CT_NAME_LEN];
};

static void
names_derive(const char *name, struct names *n)
{
	snprintf(n->netns, sizeof(n->netns), "mf-%s", name);
	ifname_derive("mfh", name, n->host_ifname, sizeof(n->host_ifname));
	ifname_derive("mfp", name, n->peer_ifname, sizeof(n->peer_ifname));
	snprintf(n->ifname, sizeof(n->ifname), "%s", CT_IFNAME_INNER);
	snprintf(n->port, sizeof(n->port), "%s", name);
}

/* ------------------------------------------------------------------------- */
/* String vectors.                                                           */

static void
strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* A NULL-terminated copy of n strings; *out is NULL when n is 0. */
static int
strv_dup(const char *const *src, unsigned int n, char ***out)
{
	char **v;

	*out = NULL;
	if (n == 0)
		return 0;
	if (src == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (src[i] == NULL)
			return -EINVAL;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (v[i] == NULL) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Arguments.                                                                */

void
ct_create_args_init(struct ct_create_args *a)
{
	memset(a, 0, sizeof(*a));
	a->mtu = CT_MTU_DEFAULT;
}

void
ct_create_args_fini(struct ct_create_args *a)
{
	if (a == NULL)
		return;
	strv_free(a->argv);
	strv_free(a->env);
	ct_create_args_init(a);
}

int
ct_create_args_set_argv(struct ct_create_args *a, const char *const *argv, unsigned int n)
{
	char **v;
	int rc = strv_dup(argv, n, &v);

	if (rc < 0)
		return rc;
	strv_free(a->argv);
	a->argv = v;
	a->argc = n;
	return 0;
}

int
ct_create_args_set_env(struct ct_create_args *a, const char *const *env, unsigned int n)
{
	char **v;
	int rc = strv_dup(env, n, &v);

	if (rc < 0)
		return rc;
	strv_free(a->env);
	a->env = v;
	a->envc = n;
	return 0;
}

int
ct_create_args_copy(struct ct_create_args *dst, const struct ct_create_args *src)
{
	int rc;

	memcpy(dst, src, sizeof(*dst));
	dst->argv = NULL;
	dst->env = NULL;
	dst->argc = 0;
	dst->envc = 0;
	rc = strv_dup((const char *const *)src->argv, src->argc, &dst->argv);
	if (rc < 0)
		goto out_fail;
	dst->argc = src->argc;
	rc = strv_dup((const char *const *)src->env, src->envc, &dst->env);
	if (rc < 0)
		goto out_fail;
	dst->envc = src->envc;
	return 0;

out_fail:
	ct_create_args_fini(dst);
	return rc == -EINVAL ? -EINVAL : -ENOMEM;
}

/* A fixed buffer's string: present (terminated) and at most max bytes. */
static int
check_buf(const char *field, const char *s, size_t size, char *err, size_t errlen)
{
	char q[QUOTE_LEN];

	if (strnlen(s, size) == size)
		return fail(-EINVAL, err, errlen, "%s: too long '%s' (max %zu bytes)", field,
			    quote(q, s, size), size - 1);
	return 0;
}

/* Whether s has a control character (a path or name must fit on a line). */
static bool
has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int
check_name(const char *field, const char *name, char *err, size_t errlen)
{
	char q[QUOTE_LEN];
	size_t n;
	int rc;

	rc = check_buf(field, name, CT_NAME_LEN, err, errlen);
	if (rc < 0)
		return rc;
	n = strlen(name);
	quote(q, name, CT_NAME_LEN);
	if (n == 0)
		return fail(-EINVAL, err, errlen, "%s: missing (1..%d characters)", field,
			    CT_NAME_LEN - 1);
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return fail(-EINVAL, err, errlen,
			    "%s: invalid character in '%s' (allowed: A-Z a-z 0-9 _ . -)", field, q);
	if (name[0] == '.' || name[0] == '-')
		return fail(-EINVAL, err, errlen, "%s: '%s' must not start with '.' or '-'", field,
			    q);
	return 0;
}

/* An absolute path without control characters. */
static int
check_path(const char *field, const char *s, char *err, size_t errlen)
{
	char q[QUOTE_LEN];
	int rc = check_buf(field, s, CT_PATH_LEN, err, errlen);

	if (rc < 0)
		return rc;
	quote(q, s, CT_PATH_LEN);
	if (s[0] != '/')
		return fail(-EINVAL, err, errlen, "%s: '%s' is not an absolute path", field, q);
	if (has_ctrl(s))
		return fail(-EINVAL, err, errlen, "%s: control character in '%s'", field, q);
	return 0;
}

static int
check_runtime(const char *field, const char *s, char *err, size_t errlen)
{
	char q[QUOTE_LEN];
	int rc = check_buf(field, s, CT_PATH_LEN, err, errlen);

	if (rc < 0)
		return rc;
	if (s[0] == '\0' || strcmp(s, "runc") == 0 || strcmp(s, "crun") == 0)
		return 0;
	if (s[0] != '/')
		return fail(-EINVAL, err, errlen,
			    "%s: '%s' is neither runc, crun nor an absolute path", field,
			    quote(q, s, CT_PATH_LEN));
	return check_path(field, s, err, errlen);
}

/* The count of a vector, same message from the check and the parser. */
static int
check_count(const char *field, size_t n, size_t max, char *err, size_t errlen)
{
	if (n > max)
		return fail(-EINVAL, err, errlen, "%s: %zu entries, max %zu", field, n, max);
	return 0;
}

static int
check_strv(const char *field, char *const *v, unsigned int n, char *err, size_t errlen)
{
	char q[QUOTE_LEN];

	if (n > 0 && v == NULL)
		return fail(-EINVAL, err, errlen, "%s: %u entries but no vector", field, n);
	for (unsigned int i = 0; i < n; i++) {
		size_t len;

		if (v[i] == NULL)
			return fail(-EINVAL, err, errlen, "%s[%u]: missing", field, i);
		len = strnlen(v[i], CT_ARG_MAX_LEN + 1);
		if (len > CT_ARG_MAX_LEN)
			return fail(-EINVAL, err, errlen, "%s[%u]: too long '%s' (max %d bytes)",
				    field, i, quote(q, v[i], CT_ARG_MAX_LEN), CT_ARG_MAX_LEN);
	}
	return 0;
}

static int
check_argv(const struct ct_create_args *a, char *err, size_t errlen)
{
	int rc;

	if (a->bundle[0] != '\0') {
		if (a->argc != 0)
			return fail(-EINVAL, err, errlen,
				    "argv: not allowed with bundle (its config.json sets the "
				    "process)");
		return 0;
	}
	if (a->argc == 0)
		return fail(-EINVAL, err, errlen, "argv: missing (1..%d strings)", CT_ARGV_MAX);
	rc = check_count("argv", a->argc, CT_ARGV_MAX, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_strv("argv", a->argv, a->argc, err, errlen);
	if (rc < 0)
		return rc;
	if (a->argv[0][0] == '\0')
		return fail(-EINVAL, err, errlen, "argv[0]: empty");
	return 0;
}

static int
check_env(const struct ct_create_args *a, char *err, size_t errlen)
{
	char q[QUOTE_LEN];
	int rc;

	rc = check_count("env", a->envc, CT_ENV_MAX, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_strv("env", a->env, a->envc, err, errlen);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < a->envc; i++) {
		const char *e = a->env[i], *eq = strchr(e, '=');
		size_t klen;

		if (eq == NULL || eq == e)
			return fail(-EINVAL, err, errlen, "env[%u]: '%s' is not KEY=VALUE", i,
				    quote(q, e, CT_ARG_MAX_LEN));
		klen = (size_t)(eq - e);
		for (unsigned int j = 0; j < i; j++)
			if (strncmp(a->env[j], e, klen + 1) == 0)
				return fail(-EINVAL, err, errlen,
					    "env[%u]: duplicate variable '%s' (env[%u])", i,
					    quote(q, e, klen), j);
	}
	return 0;
}

/* The address fields; fills the parsed forms. */
static int
check_addrs(const struct ct_create_args *a, struct ct_rec_ip *ip, struct ct_rec_ip *gw,
	    uint8_t mac[6], char *err, size_t errlen)
{
	char q[QUOTE_LEN], net[CT_IP_STR_LEN];
	struct ct_rec_ip n;
	enum ip_why why;
	int rc;

	rc = check_buf("ip", a->ip, sizeof(a->ip), err, errlen);
	if (rc < 0)
		return rc;
	if (a->ip[0] == '\0')
		return fail(-EINVAL, err, errlen, "ip: missing (address/prefix)");
	why = ip_parse(a->ip, true, ip);
	if (why != IP_OK)
		return ip_fail(why, "ip", a->ip, ip->family, err, errlen);

	rc = check_buf("gateway", a->gateway, sizeof(a->gateway), err, errlen);
	if (rc < 0)
		return rc;
	memset(gw, 0, sizeof(*gw));
	if (a->gateway[0] != '\0') {
		why = ip_parse(a->gateway, false, gw);
		if (why != IP_OK)
			return ip_fail(why, "gateway", a->gateway, gw->family, err, errlen);
		quote(q, a->gateway, sizeof(a->gateway));
		/* The prefix of ip, for the messages. */
		n = *ip;
		for (unsigned int i = n.prefix; i < ip_bits(n.family); i++)
			n.addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
		ip_format(&n, net, sizeof(net));
		if (gw->family != ip->family)
			return fail(-EINVAL, err, errlen,
				    "gateway: '%s' is not of the same family as ip '%s'", q, a->ip);
		if (!same_prefix(gw->addr, ip->addr, ip->prefix))
			return fail(-EINVAL, err, errlen, "gateway: '%s' is outside %s", q, net);
		if (memcmp(gw->addr, ip->addr, sizeof(gw->addr)) == 0)
			return fail(-EINVAL, err, errlen,
				    "gateway: '%s' is the container's own address", q);
		if (gw->family == AF_INET && ip->prefix <= 30 &&
		    (host_bits_all(gw, ip->prefix, false) || host_bits_all(gw, ip->prefix, true)))
			return fail(-EINVAL, err, errlen,
				    "gateway: '%s' is the network or broadcast address of %s", q,
				    net);
	}

	rc = check_buf("mac", a->mac, sizeof(a->mac), err, errlen);
	if (rc < 0)
		return rc;
	memset(mac, 0, 6);
	if (a->mac[0] != '\0') {
		static const uint8_t zero[6];

		quote(q, a->mac, sizeof(a->mac));
		if (ct_rec_mac_parse(a->mac, mac) < 0)
			return fail(-EINVAL, err, errlen,
				    "mac: invalid MAC '%s' (expected xx:xx:xx:xx:xx:xx)", q);
		if (mac[0] & 1)
			return fail(-EINVAL, err, errlen, "mac: '%s' is a multicast address", q);
		if (memcmp(mac, zero, 6) == 0)
			return fail(-EINVAL, err, errlen, "mac: '%s' is all zeros", q);
	}
	return 0;
}

/* The whole check; fills the parsed forms of the addresses. */
static int
args_check(const struct ct_create_args *a, struct ct_rec_ip *ip, struct ct_rec_ip *gw,
	   uint8_t mac[6], char *err, size_t errlen)
{
	char q[QUOTE_LEN];
	int rc;

	rc = check_name("name", a->name, err, errlen);
	if (rc < 0)
		return rc;
	if (a->vni > CT_VNI_MAX)
		return fail(-EINVAL, err, errlen, "vni: %" PRIu32 " out of range 0..%d", a->vni,
			    CT_VNI_MAX);
	rc = check_addrs(a, ip, gw, mac, err, errlen);
	if (rc < 0)
		return rc;
	if (a->mtu < CT_MTU_MIN || a->mtu > CT_MTU_MAX)
		return fail(-EINVAL, err, errlen, "mtu: %u out of range %d..%d", a->mtu, CT_MTU_MIN,
			    CT_MTU_MAX);
	if (ip->family == AF_INET6 && a->mtu < 1280)
		return fail(-EINVAL, err, errlen, "mtu: %u is below 1280, the IPv6 minimum",
			    a->mtu);

	rc = check_buf("bundle", a->bundle, sizeof(a->bundle), err, errlen);
	if (rc == 0)
		rc = check_buf("rootfs", a->rootfs, sizeof(a->rootfs), err, errlen);
	if (rc < 0)
		return rc;
	if (a->bundle[0] != '\0' && a->rootfs[0] != '\0')
		return fail(-EINVAL, err, errlen, "bundle: give either bundle or rootfs, not both");
	if (a->bundle[0] == '\0' && a->rootfs[0] == '\0')
		return fail(-EINVAL, err, errlen,
			    "rootfs: missing (give bundle, or rootfs and argv)");
	if (a->bundle[0] != '\0')
		rc = check_path("bundle", a->bundle, err, errlen);
	else if (strcmp(a->rootfs, "host") != 0 && a->rootfs[0] != '/')
		rc = fail(-EINVAL, err, errlen,
			  "rootfs: '%s' is neither \"host\" nor an absolute path",
			  quote(q, a->rootfs, sizeof(a->rootfs)));
	else if (a->rootfs[0] == '/')
		rc = check_path("rootfs", a->rootfs, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_argv(a, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_env(a, err, errlen);
	if (rc < 0)
		return rc;

	if (a->memory != 0 && a->memory < CT_MEMORY_MIN)
		return fail(-EINVAL, err, errlen,
			    "memory: %" PRIu64
			    " is below the minimum of %llu (4 MiB; 0 = no limit)",
			    a->memory, CT_MEMORY_MIN);
	if (a->memory > (uint64_t)INT64_MAX)
		return fail(-EINVAL, err, errlen, "memory: %" PRIu64 " is too large", a->memory);
	if (a->cpus > CT_CPUS_MAX)
		return fail(-EINVAL, err, errlen,
			    "cpus: %" PRIu32 " out of range 0..%d (millicores)", a->cpus,
			    CT_CPUS_MAX);
	if (a->pids > CT_PIDS_MAX)
		return fail(-EINVAL, err, errlen, "pids: %" PRIu32 " out of range 0..%d", a->pids,
			    CT_PIDS_MAX);
	return check_runtime("runtime", a->runtime, err, errlen);
}

int
ct_create_args_check(const struct ct_create_args *a, char *err, size_t errlen)
{
	struct ct_rec_ip ip, gw;
	uint8_t mac[6];

	if (a == NULL)
		return fail(-EINVAL, err, errlen, "args: missing");
	return args_check(a, &ip, &gw, mac, err, errlen);
}

/* ------------------------------------------------------------------------- */
/* JSON fields.                                                              */

enum field_type {
	F_STR,	/* Fixed char buffer of size bytes. */
	F_STRV, /* char ** with an unsigned int count at count_off. */
	F_U16,
	F_U32,
	F_U64,
	F_I32,
	F_I64,
	F_STATE, /* enum ct_state, as its name. */
};

/* One key of the params of container.create or of a record. */
struct field {
	const char *key;
	enum field_type type;
	bool required; /* In the params of container.create (a record needs all). */
	bool nullable; /* null stands for absent. */
	size_t off;    /* Of the member in its struct. */
	size_t size;   /* F_STR: of the buffer. */
	size_t count_off;
	int64_t min, max; /* Integers. */
};

#define ARG(k, t, m, ...)                                                       \
	{                                                                       \
		.key = k, .type = t, .off = offsetof(struct ct_create_args, m), \
		.size = sizeof(((struct ct_create_args *)0)->m), __VA_ARGS__    \
	}
#define REC(k, t, m, ...)                                               \
	{                                                               \
		.key = k, .type = t, .off = offsetof(struct ct_rec, m), \
		.size = sizeof(((struct ct_rec *)0)->m), __VA_ARGS__    \
	}

/* The arguments, in the order of ct_rec_json(). */
static const struct field args_fields[] = {
	ARG("name", F_STR, name, .required = true),
	ARG("vni", F_U32, vni, .required = true, .max = CT_VNI_MAX),
	ARG("ip", F_STR, ip, .required = true),
	ARG("gateway", F_STR, gateway, .nullable = true),
	ARG("mac", F_STR, mac, .nullable = true),
	ARG("mtu", F_U16, mtu, .min = CT_MTU_MIN, .max = CT_MTU_MAX),
	ARG("bundle", F_STR, bundle, .nullable = true),
	ARG("rootfs", F_STR, rootfs, .nullable = true),
	ARG("argv", F_STRV, argv, .nullable = true,
	    .count_off = offsetof(struct ct_create_args, argc), .max = CT_ARGV_MAX),
	ARG("env", F_STRV, env, .nullable = true,
	    .count_off = offsetof(struct ct_create_args, envc), .max = CT_ENV_MAX),
	ARG("memory", F_U64, memory, .max = INT64_MAX),
	ARG("cpus", F_U32, cpus, .max = CT_CPUS_MAX),
	ARG("pids", F_U32, pids, .max = CT_PIDS_MAX),
	ARG("runtime", F_STR, runtime, .nullable = true),
};

/* What a record adds, in the order of ct_rec_json(); "version" comes first. */
static const struct field rec_version = REC("version", F_U32, version, .max = UINT32_MAX);
static const struct field rec_fields[] = {
	REC("netns", F_STR, netns),
	REC("host_ifname", F_STR, host_ifname),
	REC("peer_ifname", F_STR, peer_ifname),
	REC("ifname", F_STR, ifname),
	REC("port", F_STR, port),
	REC("devargs", F_STR, devargs),
	REC("bundle_dir", F_STR, bundle_dir),
	REC("state", F_STATE, state),
	REC("pid", F_I32, pid, .min = 0, .max = CT_PIDS_MAX),
	REC("created", F_I64, created, .min = 0, .max = INT64_MAX),
	REC("started", F_I64, started, .min = 0, .max = INT64_MAX),
};

#define N_ARGS_FIELDS (sizeof(args_fields) / sizeof(args_fields[0]))
#define N_REC_FIELDS  (sizeof(rec_fields) / sizeof(rec_fields[0]))

static const char *
type_name(const struct field *f)
{
	switch (f->type) {
	case F_STR:
	case F_STATE:
		return f->nullable ? "a string or null" : "a string";
	case F_STRV:
		return f->nullable ? "an array of strings or null" : "an array of strings";
	default:
		return "an integer";
	}
}

/* A JSON string without NUL bytes, or a message. */
static int
json_str(const char *key, const json_t *v, const char **s, size_t *len, char *err, size_t errlen)
{
	*s = json_string_value(v);
	*len = json_string_length(v);
	if (strlen(*s) != *len)
		return fail(-EINVAL, err, errlen, "%s: contains a NUL byte", key);
	return 0;
}

static int
parse_strv(const struct field *f, const json_t *v, void *base, char *err, size_t errlen)
{
	char ***dst = (char ***)((char *)base + f->off);
	unsigned int *count = (unsigned int *)((char *)base + f->count_off);
	size_t n = json_array_size(v), len;
	const char *s;
	char **out;
	char key[32];
	int rc;

	rc = check_count(f->key, n, (size_t)f->max, err, errlen);
	if (rc < 0)
		return rc;
	if (n == 0)
		return 0;
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);

		snprintf(key, sizeof(key), "%s[%zu]", f->key, i);
		if (!json_is_string(e)) {
			rc = fail(-EINVAL, err, errlen, "%s: expected a string", key);
			goto out_free;
		}
		rc = json_str(key, e, &s, &len, err, errlen);
		if (rc < 0)
			goto out_free;
		out[i] = strdup(s);
		if (out[i] == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
	}
	*dst = out;
	*count = (unsigned int)n;
	return 0;

out_free:
	strv_free(out);
	return rc;
}

/* Parse one value into its member of base; base's vectors are empty. */
static int
parse_field(const struct field *f, const json_t *v, void *base, char *err, size_t errlen)
{
	char *m = (char *)base + f->off;
	char q[QUOTE_LEN];
	json_int_t i;
	const char *s;
	size_t len;
	int rc;

	if (json_is_null(v) && f->nullable)
		return 0;
	switch (f->type) {
	case F_STR:
	case F_STATE:
		if (!json_is_string(v))
			break;
		rc = json_str(f->key, v, &s, &len, err, errlen);
		if (rc < 0)
			return rc;
		quote(q, s, len);
		if (f->type == F_STATE) {
			if (ct_state_from_name(s, (enum ct_state *)(void *)m) < 0)
				return fail(-EINVAL, err, errlen, "%s: unknown state '%s'", f->key,
					    q);
			return 0;
		}
		if (len >= f->size)
			return fail(-EINVAL, err, errlen, "%s: too long '%s' (max %zu bytes)",
				    f->key, q, f->size - 1);
		memcpy(m, s, len + 1);
		return 0;
	case F_STRV:
		if (!json_is_array(v))
			break;
		return parse_strv(f, v, base, err, errlen);
	default:
		if (!json_is_integer(v))
			break;
		i = json_integer_value(v);
		if (i < f->min || i > f->max)
			return fail(-EINVAL, err, errlen, "%s: %lld out of range %lld..%lld",
				    f->key, (long long)i, (long long)f->min, (long long)f->max);
		if (f->type == F_U16)
			*(uint16_t *)(void *)m = (uint16_t)i;
		else if (f->type == F_U32)
			*(uint32_t *)(void *)m = (uint32_t)i;
		else if (f->type == F_U64)
			*(uint64_t *)(void *)m = (uint64_t)i;
		else if (f->type == F_I32)
			*(int32_t *)(void *)m = (int32_t)i;
		else
			*(int64_t *)(void *)m = (int64_t)i;
		return 0;
	}
	return fail(-EINVAL, err, errlen, "%s: expected %s", f->key, type_name(f));
}

static const struct field *
field_find(const struct field *fields, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	return NULL;
}

static int
unknown_key(const char *key, char *err, size_t errlen)
{
	char q[QUOTE_LEN];

	quote(q, key, strlen(key));
	if (strcmp(key, "cmd") == 0)
		return fail(-EINVAL, err, errlen,
			    "cmd: unknown key (the command is 'argv', an array of strings)");
	return fail(-EINVAL, err, errlen, "%s: unknown key", q);
}

int
ct_create_args_from_json(const json_t *params, struct ct_create_args *a, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	int rc;

	ct_create_args_init(a);
	if (!json_is_object(params))
		return fail(-EINVAL, err, errlen, "params: expected an object");
	json_object_foreach ((json_t *)params, key, v) {
		if (field_find(args_fields, N_ARGS_FIELDS, key) == NULL)
			return unknown_key(key, err, errlen);
	}
	for (size_t i = 0; i < N_ARGS_FIELDS; i++) {
		const struct field *f = &args_fields[i];

		v = json_object_get(params, f->key);
		if (v == NULL) {
			if (f->required) {
				rc = fail(-EINVAL, err, errlen, "%s: missing (%s)", f->key,
					  type_name(f));
				goto out_fini;
			}
			continue;
		}
		rc = parse_field(f, v, a, err, errlen);
		if (rc < 0)
			goto out_fini;
	}
	rc = ct_create_args_check(a, err, errlen);
	if (rc < 0)
		goto out_fini;
	return 0;

out_fini:
	ct_create_args_fini(a);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Records.                                                                  */

static const char *const state_names[CT_STATE_COUNT] = {
	[CT_STATE_CREATING] = "creating", [CT_STATE_CREATED] = "created",
	[CT_STATE_RUNNING] = "running",	  [CT_STATE_STOPPED] = "stopped",
	[CT_STATE_DELETING] = "deleting",
};

const char *
ct_state_name(enum ct_state s)
{
	if ((unsigned int)s >= CT_STATE_COUNT)
		return "invalid";
	return state_names[s];
}

int
ct_state_from_name(const char *name, enum ct_state *s)
{
	for (unsigned int i = 0; i < CT_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*s = (enum ct_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
ct_rec_fini(struct ct_rec *rec)
{
	if (rec == NULL)
		return;
	ct_create_args_fini(&rec->args);
	memset(rec, 0, sizeof(*rec));
}

int
ct_rec_copy(struct ct_rec *dst, const struct ct_rec *src)
{
	int rc;

	memcpy(dst, src, sizeof(*dst));
	rc = ct_create_args_copy(&dst->args, &src->args);
	if (rc < 0) {
		memset(dst, 0, sizeof(*dst));
		return rc;
	}
	return 0;
}

void
ct_rec_move(struct ct_rec *dst, struct ct_rec *src)
{
	memcpy(dst, src, sizeof(*dst));
	memset(src, 0, sizeof(*src));
}

static int64_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int
ct_rec_init(struct ct_rec *rec, const struct ct_create_args *a, const char *default_runtime,
	    char *err, size_t errlen)
{
	struct ct_create_args *ra = &rec->args;
	struct names n;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (a == NULL)
		return fail(-EINVAL, err, errlen, "args: missing");
	rc = args_check(a, &rec->ip, &rec->gateway, rec->mac, err, errlen);
	if (rc < 0)
		goto out_zero;
	if (default_runtime == NULL)
		default_runtime = CT_RUNTIME_DEFAULT;
	if (a->runtime[0] == '\0') {
		if (default_runtime[0] == '\0')
			rc = fail(-EINVAL, err, errlen, "runtime: the default runtime is empty");
		else
			rc = check_runtime("runtime (default)", default_runtime, err, errlen);
		if (rc < 0)
			goto out_zero;
	}
	rc = ct_create_args_copy(ra, a);
	if (rc < 0)
		goto out_zero;

	ip_format(&rec->ip, ra->ip, sizeof(ra->ip));
	ip_format(&rec->gateway, ra->gateway, sizeof(ra->gateway));
	if (ra->mac[0] == '\0')
		ct_rec_mac_from_name(ra->name, rec->mac);
	mac_format(rec->mac, ra->mac);
	if (ra->runtime[0] == '\0')
		snprintf(ra->runtime, sizeof(ra->runtime), "%s", default_runtime);

	names_derive(ra->name, &n);
	memcpy(rec->netns, n.netns, sizeof(rec->netns));
	memcpy(rec->host_ifname, n.host_ifname, sizeof(rec->host_ifname));
	memcpy(rec->peer_ifname, n.peer_ifname, sizeof(rec->peer_ifname));
	memcpy(rec->ifname, n.ifname, sizeof(rec->ifname));
	memcpy(rec->port, n.port, sizeof(rec->port));
	memcpy(rec->bundle_dir, ra->bundle, sizeof(rec->bundle_dir));
	rec->version = CT_REC_VERSION;
	rec->state = CT_STATE_CREATING;
	rec->created = now_s();
	return 0;

out_zero:
	memset(rec, 0, sizeof(*rec));
	return rc;
}

/* A derived name matches the one derived now. */
static int
check_derived(const char *field, const char *have, const char *want, size_t size, char *err,
	      size_t errlen)
{
	char q[QUOTE_LEN];

	if (strnlen(have, size) == size || strcmp(have, want) != 0)
		return fail(-EINVAL, err, errlen, "%s: '%s' is not the name derived ('%s')", field,
			    quote(q, have, size), want);
	return 0;
}

int
ct_rec_check(const struct ct_rec *rec, char *err, size_t errlen)
{
	const struct ct_create_args *a;
	char q[QUOTE_LEN], canon[CT_IP_STR_LEN];
	struct ct_rec_ip ip, gw;
	struct names n;
	uint8_t mac[6];
	int rc;

	if (rec == NULL)
		return fail(-EINVAL, err, errlen, "record: missing");
	a = &rec->args;
	if (rec->version < 1)
		return fail(-EINVAL, err, errlen, "version: %u is invalid", rec->version);
	if (rec->version > CT_REC_VERSION)
		return fail(-EINVAL, err, errlen,
			    "version: %u is newer than this mflowd understands (%d)", rec->version,
			    CT_REC_VERSION);
	rc = args_check(a, &ip, &gw, mac, err, errlen);
	if (rc < 0)
		return rc;
	if (a->mac[0] == '\0')
		return fail(-EINVAL, err, errlen, "mac: missing");
	if (a->runtime[0] == '\0')
		return fail(-EINVAL, err, errlen, "runtime: missing");
	if (!ip_equal(&ip, &rec->ip))
		return fail(-EINVAL, err, errlen, "ip: the parsed address does not match '%s'",
			    a->ip);
	if (!ip_equal(&gw, &rec->gateway))
		return fail(-EINVAL, err, errlen, "gateway: the parsed address does not match '%s'",
			    a->gateway);
	if (memcmp(mac, rec->mac, sizeof(mac)) != 0)
		return fail(-EINVAL, err, errlen, "mac: the parsed MAC does not match '%s'",
			    a->mac);
	/* The text is canonical, so that records compare and show alike. */
	ip_format(&ip, canon, sizeof(canon));
	if (strcmp(canon, a->ip) != 0)
		return fail(-EINVAL, err, errlen, "ip: '%s' is not in canonical form ('%s')", a->ip,
			    canon);
	ip_format(&gw, canon, sizeof(canon));
	if (strcmp(canon, a->gateway) != 0)
		return fail(-EINVAL, err, errlen, "gateway: '%s' is not in canonical form ('%s')",
			    a->gateway, canon);
	mac_format(mac, canon);
	if (strcmp(canon, a->mac) != 0)
		return fail(-EINVAL, err, errlen, "mac: '%s' is not in canonical form ('%s')",
			    a->mac, canon);

	names_derive(a->name, &n);
	rc = check_derived("netns", rec->netns, n.netns, sizeof(rec->netns), err, errlen);
	if (rc == 0)
		rc = check_derived("host_ifname", rec->host_ifname, n.host_ifname,
				   sizeof(rec->host_ifname), err, errlen);
	if (rc == 0)
		rc = check_derived("peer_ifname", rec->peer_ifname, n.peer_ifname,
				   sizeof(rec->peer_ifname), err, errlen);
	if (rc == 0)
		rc = check_derived("ifname", rec->ifname, n.ifname, sizeof(rec->ifname), err,
				   errlen);
	if (rc == 0)
		rc = check_derived("port", rec->port, n.port, sizeof(rec->port), err, errlen);
	if (rc < 0)
		return rc;

	rc = check_buf("devargs", rec->devargs, sizeof(rec->devargs), err, errlen);
	if (rc < 0)
		return rc;
	for (const char *p = rec->devargs; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return fail(-EINVAL, err, errlen,
				    "devargs: space or non-printable character in '%s'",
				    quote(q, rec->devargs, sizeof(rec->devargs)));
	rc = check_buf("bundle_dir", rec->bundle_dir, sizeof(rec->bundle_dir), err, errlen);
	if (rc == 0 && rec->bundle_dir[0] != '\0')
		rc = check_path("bundle_dir", rec->bundle_dir, err, errlen);
	if (rc < 0)
		return rc;

	if ((unsigned int)rec->state >= CT_STATE_COUNT)
		return fail(-EINVAL, err, errlen, "state: %d is not a state", (int)rec->state);
	if (rec->pid < 0 || rec->pid > CT_PIDS_MAX)
		return fail(-EINVAL, err, errlen, "pid: %d out of range 0..%d", rec->pid,
			    CT_PIDS_MAX);
	if (rec->state == CT_STATE_RUNNING && rec->pid == 0)
		return fail(-EINVAL, err, errlen, "pid: 0 but the state is running");
	if (rec->created < 0)
		return fail(-EINVAL, err, errlen, "created: %" PRId64 " is negative", rec->created);
	if (rec->started < 0)
		return fail(-EINVAL, err, errlen, "started: %" PRId64 " is negative", rec->started);
	return 0;
}

static json_t *
str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
strv_json(char *const *v, unsigned int n)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *
ct_rec_json(const struct ct_rec *rec)
{
	const struct ct_create_args *a = &rec->args;
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	/* json_object_set_new() takes the value even when it fails. */
	rc |= json_object_set_new(o, "version", json_integer(rec->version));
	rc |= json_object_set_new(o, "name", json_string(a->name));
	rc |= json_object_set_new(o, "vni", json_integer(a->vni));
	rc |= json_object_set_new(o, "ip", json_string(a->ip));
	rc |= json_object_set_new(o, "gateway", str_or_null(a->gateway));
	rc |= json_object_set_new(o, "mac", json_string(a->mac));
	rc |= json_object_set_new(o, "mtu", json_integer(a->mtu));
	rc |= json_object_set_new(o, "bundle", str_or_null(a->bundle));
	rc |= json_object_set_new(o, "rootfs", str_or_null(a->rootfs));
	rc |= json_object_set_new(o, "argv", strv_json(a->argv, a->argc));
	rc |= json_object_set_new(o, "env", strv_json(a->env, a->envc));
	rc |= json_object_set_new(o, "memory", json_integer((json_int_t)a->memory));
	rc |= json_object_set_new(o, "cpus", json_integer(a->cpus));
	rc |= json_object_set_new(o, "pids", json_integer(a->pids));
	rc |= json_object_set_new(o, "runtime", json_string(a->runtime));
	rc |= json_object_set_new(o, "netns", json_string(rec->netns));
	rc |= json_object_set_new(o, "host_ifname", json_string(rec->host_ifname));
	rc |= json_object_set_new(o, "peer_ifname", json_string(rec->peer_ifname));
	rc |= json_object_set_new(o, "ifname", json_string(rec->ifname));
	rc |= json_object_set_new(o, "port", json_string(rec->port));
	rc |= json_object_set_new(o, "devargs", json_string(rec->devargs));
	rc |= json_object_set_new(o, "bundle_dir", json_string(rec->bundle_dir));
	rc |= json_object_set_new(o, "state", json_string(ct_state_name(rec->state)));
	rc |= json_object_set_new(o, "pid", json_integer(rec->pid));
	rc |= json_object_set_new(o, "created", json_integer(rec->created));
	rc |= json_object_set_new(o, "started", json_integer(rec->started));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
ct_rec_from_json(const json_t *j, struct ct_rec *rec, char *err, size_t errlen)
{
	struct ct_create_args *a = &rec->args;
	const char *key;
	json_t *v;
	int rc;

	memset(rec, 0, sizeof(*rec));
	ct_create_args_init(a);
	if (!json_is_object(j))
		return fail(-EINVAL, err, errlen, "record: expected an object");
	json_object_foreach ((json_t *)j, key, v) {
		if (strcmp(key, rec_version.key) != 0 &&
		    field_find(args_fields, N_ARGS_FIELDS, key) == NULL &&
		    field_find(rec_fields, N_REC_FIELDS, key) == NULL)
			return unknown_key(key, err, errlen);
	}
	/* The version first: a newer file is refused for that, not for its keys. */
	v = json_object_get(j, rec_version.key);
	if (v == NULL)
		return fail(-EINVAL, err, errlen, "version: missing (an integer)");
	rc = parse_field(&rec_version, v, rec, err, errlen);
	if (rc < 0)
		goto out_fini;
	if (rec->version < 1 || rec->version > CT_REC_VERSION) {
		rc = ct_rec_check(rec, err, errlen);
		goto out_fini;
	}
	for (size_t i = 0; i < N_ARGS_FIELDS + N_REC_FIELDS; i++) {
		bool is_arg = i < N_ARGS_FIELDS;
		const struct field *f = is_arg ? &args_fields[i] : &rec_fields[i - N_ARGS_FIELDS];

		v = json_object_get(j, f->key);
		if (v == NULL) {
			rc = fail(-EINVAL, err, errlen, "%s: missing (%s)", f->key, type_name(f));
			goto out_fini;
		}
		rc = parse_field(f, v, is_arg ? (void *)a : (void *)rec, err, errlen);
		if (rc < 0)
			goto out_fini;
	}
	/* The parsed forms, from the text; ct_rec_check() validates the text. */
	if (ip_parse(a->ip, true, &rec->ip) != IP_OK)
		memset(&rec->ip, 0, sizeof(rec->ip));
	if (a->gateway[0] != '\0' && ip_parse(a->gateway, false, &rec->gateway) != IP_OK)
		memset(&rec->gateway, 0, sizeof(rec->gateway));
	if (ct_rec_mac_parse(a->mac, rec->mac) < 0)
		memset(rec->mac, 0, sizeof(rec->mac));
	rc = ct_rec_check(rec, err, errlen);
	if (rc < 0)
		goto out_fini;
	return 0;

out_fini:
	ct_rec_fini(rec);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Files.                                                                    */

static const char *
dir_or_default(const char *dir)
{
	return dir != NULL ? dir : CT_STATE_DIR_DEFAULT;
}

int
ct_rec_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n;

	if (name == NULL || check_name("name", name, NULL, 0) < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s.json", dir_or_default(dir), name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p with mode 0700 for what it creates; the last one must be a directory. */
static int
mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);

	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Create and lock a temp file for name in dir. A loader that reaped the
 * file between its creation and our lock has unlinked it; then try again.
 */
static int
tmp_open(const char *dir, const char *name, char *tmp, size_t len)
{
	for (unsigned int t = 0; t < SAVE_TRIES; t++) {
		struct stat st;
		int n, fd;

		n = snprintf(tmp, len, "%s/" TMP_PREFIX "%s.XXXXXX", dir, name);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
			int rc = -errno;

			close(fd);
			unlink(tmp);
			return rc;
		}
		if (st.st_nlink > 0)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

int
ct_rec_save(const char *dir, const struct ct_rec *rec)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	char *text;
	json_t *j;
	int fd, rc;

	if (rec == NULL || ct_rec_check(rec, NULL, 0) < 0)
		return -EINVAL;
	dir = dir_or_default(dir);
	rc = ct_rec_path(dir, rec->args.name, path, sizeof(path));
	if (rc < 0)
		return rc;
	j = ct_rec_json(rec);
	if (j == NULL)
		return -ENOMEM;
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (text == NULL)
		return -ENOMEM;
	rc = mkdir_p(dir);
	if (rc < 0)
		goto out_text;
	fd = tmp_open(dir, rec->args.name, tmp, sizeof(tmp));
	if (fd < 0) {
		rc = fd;
		goto out_text;
	}
	/* fchmod() is not subject to the umask. */
	if (fchmod(fd, 0600) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	rc = write_all(fd, text, strlen(text));
	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	if (rc < 0)
		goto out_unlink;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	/* Renamed while still locked, so that no loader reaps it first. */
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	close(fd);
	sync_dir(dir);
	free(text);
	return 0;

out_unlink:
	unlink(tmp);
	close(fd);
out_text:
	free(text);
	return rc;
}

/* Read a whole regular file of at most CT_REC_FILE_MAX bytes. */
static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd, rc;

	*buf = NULL;
	/* O_NONBLOCK: a FIFO planted here must not block the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return fail(-errno, err, errlen, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = fail(-errno, err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(-EINVAL, err, errlen, "%s: not a regular file", path);
		goto out_close;
	}
	if (st.st_uid != geteuid()) {
		rc = fail(-EPERM, err, errlen, "%s: owned by uid %u, not %u; not trusted", path,
			  (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto out_close;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = fail(-EPERM, err, errlen,
			  "%s: mode %04o is writable by group or others; not trusted", path,
			  (unsigned int)(st.st_mode & 07777));
		goto out_close;
	}
	if (st.st_size > CT_REC_FILE_MAX) {
		rc = fail(-EFBIG, err, errlen, "%s: %lld bytes, more than the %d allowed", path,
			  (long long)st.st_size, CT_REC_FILE_MAX);
		goto out_close;
	}
	/* One byte more than the size, to see a file that grew since. */
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size + 1) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(-errno, err, errlen, "%s: cannot read: %s", path,
				  strerror(errno));
			free(b);
			goto out_close;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > (size_t)st.st_size) {
		rc = fail(-EAGAIN, err, errlen, "%s: changed while being read", path);
		free(b);
		goto out_close;
	}
	*buf = b;
	*len = got;
	rc = 0;
out_close:
	close(fd);
	return rc;
}

int
ct_rec_load(const char *path, struct ct_rec *rec, char *err, size_t errlen)
{
	char msg[256], q[QUOTE_LEN];
	const char *base;
	json_error_t jerr;
	size_t len = 0, n;
	json_t *j;
	char *buf;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (path == NULL)
		return fail(-EINVAL, err, errlen, "path: missing");
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (j == NULL)
		return fail(-EINVAL, err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
			    jerr.text);
	rc = ct_rec_from_json(j, rec, msg, sizeof(msg));
	json_decref(j);
	if (rc < 0)
		return fail(rc, err, errlen, "%s: %s", path, msg);

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	n = strlen(rec->args.name);
	if (strncmp(base, rec->args.name, n) != 0 || strcmp(base + n, ".json") != 0) {
		rc = fail(-EINVAL, err, errlen, "%s: name: '%s' does not match the file name", path,
			  quote(q, rec->args.name, CT_NAME_LEN));
		ct_rec_fini(rec);
		return rc;
	}
	return 0;
}

int
ct_rec_remove(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int rc;

	dir = dir_or_default(dir);
	rc = ct_rec_path(dir, name, path, sizeof(path));
	if (rc < 0)
		return rc;
	if (unlink(path) < 0)
		return -errno;
	sync_dir(dir);
	return 0;
}

/* Delete a temp file unless a writer holds it (see tmp_open()). */
static void
reap_tmp(int dfd, const char *dir, const char *name, ct_rec_report_fn *report, void *arg)
{
	char msg[PATH_MAX + 128];
	struct stat st;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg),
			 "%s/%s: temp file name but not a regular file; left alone", dir, name);
		goto out_report;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return; /* A save is writing it. */
	}
	if (unlinkat(dfd, name, 0) < 0)
		snprintf(msg, sizeof(msg), "%s/%s: cannot delete a stale temp file: %s", dir, name,
			 strerror(errno));
	else
		snprintf(msg, sizeof(msg), "%s/%s: deleted a stale temp file", dir, name);
out_report:
	if (fd >= 0)
		close(fd);
	if (report != NULL)
		report(msg, arg);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_record_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

int
ct_rec_load_all(const char *dir, ct_rec_fn *fn, ct_rec_report_fn *report, void *arg, char *err,
		size_t errlen)
{
	char path[PATH_MAX], msg[PATH_MAX + 256];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	int dfd, rc, count = 0;
	DIR *d;

	dir = dir_or_default(dir);
	rc = mkdir_p(dir);
	if (rc < 0)
		return fail(rc, err, errlen, "%s: cannot create the directory: %s", dir,
			    strerror(-rc));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(-errno, err, errlen, "%s: cannot open: %s", dir, strerror(errno));
	if (fstat(dfd, &st) < 0) {
		rc = fail(-errno, err, errlen, "%s: cannot stat: %s", dir, strerror(errno));
		close(dfd);
		return rc;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(dfd);
		return fail(-EPERM, err, errlen,
			    "%s: owned by uid %u with mode %04o; expected uid %u and no write "
			    "access for group or others",
			    dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			    (unsigned int)geteuid());
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		rc = fail(-errno, err, errlen, "%s: cannot open: %s", dir, strerror(errno));
		close(dfd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			reap_tmp(dfd, dir, de->d_name, report, arg);
			continue;
		}
		if (!is_record_name(de->d_name))
			continue;
		if (n == cap) {
			size_t ncap = cap != 0 ? 2 * cap : 16;
			char **nn = realloc(names, ncap * sizeof(*names));

			if (nn == NULL) {
				rc = -ENOMEM;
				goto out_names;
			}
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = -ENOMEM;
			goto out_names;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct ct_rec rec;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ct_rec_load(path, &rec, msg, sizeof(msg)) < 0) {
			if (report != NULL)
				report(msg, arg);
			continue;
		}
		count++;
		if (fn != NULL)
			rc = fn(&rec, arg);
		ct_rec_fini(&rec);
	}
	if (rc > 0)
		rc = -EINVAL;
out_names:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	if (rc < 0)
		return fail(rc, err, errlen, "%s: loading stopped: %s", dir, strerror(-rc));
	return count;
}

/* ------------------------------------------------------------------------- */
/* Uniqueness.                                                               */

int
ct_rec_unique(const struct ct_rec *cand, const struct ct_rec *const *recs, size_t n, char *err,
	      size_t errlen)
{
	const struct ct_create_args *a = &cand->args;
	char q[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct ct_rec *r = recs[i];

		if (r == NULL || r == cand)
			continue;
		if (strcmp(r->args.name, a->name) == 0)
			return fail(-EEXIST, err, errlen, "name: container '%s' exists", a->name);
		if (strcmp(r->host_ifname, cand->host_ifname) == 0)
			return fail(-EEXIST, err, errlen,
				    "name: '%s' derives the same interface name %s as container "
				    "'%s'; choose another name",
				    a->name, cand->host_ifname, r->args.name);
		if (r->args.vni != a->vni)
			continue;
		if (r->ip.family == cand->ip.family &&
		    memcmp(r->ip.addr, cand->ip.addr, sizeof(r->ip.addr)) == 0) {
			inet_ntop(cand->ip.family, cand->ip.addr, q, sizeof(q));
			return fail(-EEXIST, err, errlen,
				    "ip: %s is already used by container '%s' in vni %" PRIu32, q,
				    r->args.name, a->vni);
		}
		if (memcmp(r->mac, cand->mac, sizeof(r->mac)) == 0)
			return fail(-EEXIST, err, errlen,
				    "mac: %s is already used by container '%s' in vni %" PRIu32,
				    a->mac, r->args.name, a->vni);
	}
	return 0;
}
