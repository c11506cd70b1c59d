/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Text and JSON helpers shared by the control module's parsers and
 * serialisers (ctl_config.c, ctl_rpc.c, ctl_methods.c): safe quoting of
 * untrusted text in one-line messages, descriptions of JSON values for type
 * errors, and the canonical JSON forms of addresses.
 */
#ifndef CTL_TEXT_PRIV_H
#define CTL_TEXT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vx.h"

/**
 * Make @p len bytes of text safe to print on one line: bytes below 0x20,
 * 0x7f and above and, when @p quote is set, the single quote and the
 * backslash are written as \xNN. Text that does not fit in @p buf, or is
 * longer than @p max input bytes, ends with "...".
 *
 * @return
 *   @p buf, always NUL-terminated (@p buflen is at least 8).
 */
const char *ctl_text_clean(const char *s, size_t len, bool quote, size_t max, char *buf,
			   size_t buflen);

/**
 * Describe a JSON value for a type error: "string 'x'", "integer 5",
 * "real 1.5", "boolean true", "null", and for containers "array" and
 * "object", followed by their compact text when @p dump is set.
 *
 * @param max
 *   Most input bytes of a string (or dumped container) to show.
 * @param qlen
 *   Room for the quoted text, at most 512 bytes.
 * @return
 *   @p buf.
 */
const char *ctl_text_describe(const json_t *v, size_t max, size_t qlen, bool dump, char *buf,
			      size_t len);

/** @return a new reference: the address as canonical text. */
json_t *ctl_ip_json(const struct vx_ip *ip);

/** @return a new reference: "address/length", or null for an unset address. */
json_t *ctl_prefix_json(const struct vx_ip *ip, uint8_t plen);

/** Format a MAC address in lower case into @p buf; @return @p buf. */
const char *ctl_mac_fmt(const struct rte_ether_addr *mac, char *buf, size_t len);

/** @return a new reference: the MAC address in lower case. */
json_t *ctl_mac_json(const struct rte_ether_addr *mac);

#endif /* CTL_TEXT_PRIV_H */
