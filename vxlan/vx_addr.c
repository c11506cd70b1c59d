/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address parsing and comparison helpers shared by the config parser and
 * the control path. None of these run on the datapath.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx.h"

int
vx_ip_parse(const char *s, struct vx_ip *ip)
{
	struct vx_ip tmp = {0};

	if (s == NULL || ip == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &tmp.v4) == 1) {
		tmp.family = AF_INET;
	} else if (inet_pton(AF_INET6, s, tmp.v6) == 1) {
		tmp.family = AF_INET6;
	} else {
		return -EINVAL;
	}
	*ip = tmp;
	return 0;
}

int
vx_prefix_parse(const char *s, struct vx_ip *ip, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	char *end;
	unsigned long n;
	size_t alen;

	if (s == NULL || ip == NULL || plen == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	if (slash == NULL || slash == s || slash[1] == '\0')
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (vx_ip_parse(buf, ip) < 0)
		return -EINVAL;
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || slash[1] < '0' || slash[1] > '9' || n == 0 ||
	    n > (ip->family == AF_INET ? 32u : 128u)) {
		ip->family = 0;
		return -EINVAL;
	}
	*plen = (uint8_t)n;
	return 0;
}

const char *
vx_ip_fmt(const struct vx_ip *ip, char *buf, size_t len)
{
	if (ip == NULL || ip->family == 0 ||
	    inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->v4 : ip->v6, buf,
		      (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

bool
vx_ip_eq(const struct vx_ip *a, const struct vx_ip *b)
{
	if (a->family == 0 || a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

bool
vx_ip_same_prefix(const struct vx_ip *a, const struct vx_ip *b, uint8_t plen)
{
	const uint8_t *pa, *pb;
	unsigned int bytes, bits;

	if (a->family == 0 || a->family != b->family)
		return false;
	if (a->family == AF_INET) {
		pa = (const uint8_t *)&a->v4;
		pb = (const uint8_t *)&b->v4;
		if (plen > 32)
			return false;
	} else {
		pa = a->v6;
		pb = b->v6;
		if (plen > 128)
			return false;
	}
	bytes = plen / 8;
	bits = plen % 8;
	if (memcmp(pa, pb, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((pa[bytes] ^ pb[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

int
vx_mac_parse(const char *s, struct rte_ether_addr *mac)
{
	unsigned int b[6];
	char tail;

	if (s == NULL || mac == NULL || strlen(s) != 17)
		return -EINVAL;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		/* sscanf accepts "+1" or " 1" for %x; insist on two hex digits. */
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return -EINVAL;
		if (i < 5 && s[i * 3 + 2] != ':')
			return -EINVAL;
		mac->addr_bytes[i] = (uint8_t)b[i];
	}
	return 0;
}
