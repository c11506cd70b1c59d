/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The CoAP endpoint (RFC 7252, libcoap 4.3) for IoT-style clients.
 *
 * Resources are derived from the method table (ctl_rpc.h), so that CoAP
 * offers exactly what the control socket offers, through the same
 * handlers and core functions:
 *   - every method "group.verb" is the resource /group/verb; GET is allowed
 *     on read-only methods, POST and PUT on every method;
 *   - /group itself maps the usual verbs: GET to group.show, POST to
 *     group.add, PUT to group.set, DELETE to group.del, for those of the
 *     methods that exist;
 *   - parameters come as a JSON object payload (content-format 50,
 *     application/json) or, for GET and DELETE, as URI query options
 *     "key=value", converted to the parameter's type by the schema;
 *   - answers are JSON (content-format 50): 2.05 Content with the result
 *     for GET, 2.04 Changed for POST and PUT, 2.02 Deleted for DELETE;
 *     errors carry {"code", "message"} as in JSON-RPC with 4.00 Bad Request
 *     (EINVAL), 4.04 Not Found (ENOENT, unknown resource), 4.05 Method Not
 *     Allowed, 4.09 Conflict (EEXIST, EBUSY), 4.13 Request Entity Too Large
 *     (over max_payload, E2BIG, EMSGSIZE), 4.15 Unsupported Content-Format,
 *     5.03 Service Unavailable (ETIMEDOUT, EINPROGRESS), 5.00 otherwise; also
 *     4.06 Not Acceptable (an Accept option other than 50) and 4.08 Request
 *     Entity Incomplete (a block-wise request body out of sequence);
 *   - large answers go block-wise (RFC 7959 Block2); request bodies may come
 *     block-wise (Block1) and are checked against max_payload block by block;
 *   - /.well-known/core (RFC 6690) lists every resource with its title,
 *     ct=50 and "obs" on the observable ones;
 *   - /stats and /counters are observable (RFC 7641): observers get a
 *     notification every observe interval while the content changes.
 *
 * DTLS with a pre-shared key is offered on its own port when configured
 * (needs libcoap built with OpenSSL or GnuTLS).
 *
 * Threading: runs in the control thread, like the control socket.
 */
#ifndef CTL_COAP_H
#define CTL_COAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_rpc.h"

/** Longest PSK identity and key. */
#define CTL_COAP_PSK_ID_LEN  128
#define CTL_COAP_PSK_KEY_LEN 64

/** Bounds of ctl_coap_params.observe_interval_ms. */
#define CTL_COAP_OBSERVE_MIN_MS 100
#define CTL_COAP_OBSERVE_MAX_MS 3600000

/** Bounds of ctl_coap_params.max_payload, as in the config file. */
#define CTL_COAP_PAYLOAD_MIN 64
#define CTL_COAP_PAYLOAD_MAX 65536

/** CoAP endpoint settings. */
struct ctl_coap_params {
	const char *address;	  /**< Address to bind, e.g. "127.0.0.1" or "::1". */
	uint16_t port;		  /**< UDP port for plain CoAP, 0 = none (default 5683). */
	uint16_t dtls_port;	  /**< UDP port for CoAP over DTLS, 0 = none (default 5684). */
	const char *psk_identity; /**< DTLS PSK identity; required with dtls_port. */
	const uint8_t *psk_key;	  /**< DTLS PSK; required with dtls_port. */
	size_t psk_len;		  /**< 1..CTL_COAP_PSK_KEY_LEN. */
	unsigned int observe_interval_ms; /**< Period of observe checks, 100..3600000. */
	size_t max_payload;		  /**< Largest request payload, 64..65536 bytes. */
};

struct ctl_coap;

/**
 * Start the CoAP endpoint.
 *
 * @param p
 *   Settings; copied.
 * @param rpc
 *   The method table; borrowed, must outlive the endpoint.
 * @return
 *   The endpoint, or NULL with errno: EINVAL for bad settings (no port at
 *   all, a bad address, DTLS without a key), ENOTSUP for DTLS when libcoap
 *   has no DTLS, EADDRINUSE, ENOMEM, or another errno of bind() (e.g.
 *   EADDRNOTAVAIL for an address the host does not have).
 */
struct ctl_coap *ctl_coap_create(const struct ctl_coap_params *p, struct ctl_rpc *rpc);

/** Stop the endpoint and free it; NULL is accepted. */
void ctl_coap_destroy(struct ctl_coap *c);

/** @return a descriptor that becomes readable when the endpoint has work, for poll(). */
int ctl_coap_fd(const struct ctl_coap *c);

/**
 * Serve what is ready without blocking: requests, retransmissions and
 * observe notifications that are due. Call it when ctl_coap_fd() is
 * readable and at least every 100 ms.
 */
void ctl_coap_process(struct ctl_coap *c);

/** @return true if libcoap was built with DTLS support. */
bool ctl_coap_dtls_available(void);

#endif /* CTL_COAP_H */
