/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text and JSON helpers of the control module (ctl_text_priv.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_text_priv.h"

const char *
ctl_text_clean(const char *s, size_t len, bool quote, size_t max, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool raw = ch >= 0x20 && ch < 0x7f && !(quote && (ch == '\'' || ch == '\\'));
		size_t need = raw ? 1 : 4;

		/* Keep room for "..." and the NUL. */
		if (i >= max || o + need + 4 > buflen)
			break;
		if (raw) {
			buf[o++] = (char)ch;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		}
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *
ctl_text_describe(const json_t *v, size_t max, size_t qlen, bool dump, char *buf, size_t len)
{
	char q[512];
	char *text;

	if (qlen > sizeof(q))
		qlen = sizeof(q);
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "string '%s'",
			 ctl_text_clean(json_string_value(v), json_string_length(v), true, max, q,
					qlen));
		break;
	case JSON_INTEGER:
		snprintf(buf, len, "integer %" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "real %.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "boolean true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "boolean false");
		break;
	case JSON_NULL:
		snprintf(buf, len, "null");
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		text = dump ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		if (text != NULL)
			snprintf(buf, len, "%s %s", json_is_object(v) ? "object" : "array",
				 ctl_text_clean(text, strlen(text), true, max, q, qlen));
		else
			snprintf(buf, len, "%s", json_is_object(v) ? "object" : "array");
		free(text);
		break;
	default:
		snprintf(buf, len, "unknown value");
		break;
	}
	return buf;
}

json_t *
ctl_ip_json(const struct vx_ip *ip)
{
	char buf[INET6_ADDRSTRLEN];

	return json_string(vx_ip_fmt(ip, buf, sizeof(buf)));
}

json_t *
ctl_prefix_json(const struct vx_ip *ip, uint8_t plen)
{
	char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

	if (ip->family == 0)
		return json_null();
	snprintf(buf, sizeof(buf), "%s/%u", vx_ip_fmt(ip, a, sizeof(a)), plen);
	return json_string(buf);
}

const char *
ctl_mac_fmt(const struct rte_ether_addr *mac, char *buf, size_t len)
{
	const uint8_t *b = mac->addr_bytes;

	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return buf;
}

json_t *
ctl_mac_json(const struct rte_ether_addr *mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	return json_string(ctl_mac_fmt(mac, buf, sizeof(buf)));
}
