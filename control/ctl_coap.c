/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The CoAP endpoint (RFC 7252) on libcoap 4.3.
 *
 * The endpoint only translates: a request becomes a method name and a JSON
 * object of parameters, handed to ctl_rpc_call(); the result or the error
 * becomes a CoAP response with a JSON payload. Resources are built once, at
 * create time, from the method table (see ctl_coap.h for the mapping).
 *
 * libcoap does the framing, retransmissions, block-wise answers (RFC 7959
 * Block2: a handler gives the whole answer), observe bookkeeping (RFC 7641),
 * discovery (RFC 6690) and DTLS. This file checks options and payloads,
 * collects block-wise request bodies (Block1) within max_payload, and runs
 * a timer that tells libcoap when an observable result has changed.
 *
 * JSON ownership: the params object built for a request is owned by the
 * request handler and freed after ctl_rpc_call(), which borrows it; the
 * result ctl_rpc_call() returns is owned by the handler, serialised, then
 * freed; the serialised text passes to libcoap with the response and is
 * freed by free_text() once sent.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "ctl_coap.h"

/** Longest error message in an error answer. */
#define CTL_COAP_ERR_LEN 256

/** Longest piece of a client's value quoted back in an error message. */
#define CTL_COAP_QUOTE_LEN 64

/** Most request bodies being received block-wise at once; the oldest gives way. */
#define CTL_COAP_MAX_UPLOADS 8

/** A block-wise request body not completed in this time is dropped, ms. */
#define CTL_COAP_UPLOAD_TIMEOUT_MS 60000

/** The path segments that are observable when they map GET to a read method. */
static const char *const observable_paths[] = {"stats", "counters", NULL};

/** The request codes every resource answers, if only with 4.05. */
static const coap_request_t request_codes[] = {
	COAP_REQUEST_GET,   COAP_REQUEST_POST,	COAP_REQUEST_PUT,    COAP_REQUEST_DELETE,
	COAP_REQUEST_FETCH, COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH,
};

/** One CoAP resource and the methods its request codes map to. */
struct ctl_coap_route {
	struct ctl_coap *owner;	       /**< The endpoint. */
	char *path;		       /**< "group/verb" or "group", no leading slash. */
	char *group;		       /**< Group for the rt attribute, e.g. "vni". */
	const struct ctl_method *get;  /**< GET, a read method, or NULL. */
	const struct ctl_method *post; /**< POST, or NULL. */
	const struct ctl_method *put;  /**< PUT, or NULL. */
	const struct ctl_method *del;  /**< DELETE, or NULL. */
	bool observable;	       /**< GET may be observed. */
	bool watched;		       /**< Someone asked to observe it: run the timer. */
	char *last;		       /**< Observable: last result text without query. */
	coap_resource_t *res;	       /**< The libcoap resource, owned by the context. */
};

/** A request body being received block-wise (RFC 7959 Block1). */
struct ctl_coap_upload {
	const coap_session_t *sess;	 /**< The client, compared only, never dereferenced. */
	const struct ctl_coap_route *rt; /**< The resource. */
	coap_pdu_code_t code;		 /**< The request code. */
	uint8_t tag[8];			 /**< The Request-Tag option (RFC 9175), if any. */
	size_t taglen;			 /**< Its length. */
	uint8_t *buf;			 /**< The body so far; NULL when the slot is free. */
	size_t len;			 /**< Bytes in buf. */
	uint64_t started;		 /**< now_ms() at the first block. */
};

struct ctl_coap {
	coap_context_t *ctx;			    /**< libcoap context; owns the resources. */
	struct ctl_rpc *rpc;			    /**< The method table, borrowed. */
	struct ctl_coap_route *routes;		    /**< The resources, n_routes of them. */
	unsigned int n_routes;			    /**< Routes in use. */
	unsigned int observe_ms;		    /**< Period of observe checks. */
	size_t max_payload;			    /**< Largest request body accepted. */
	uint64_t next_observe;			    /**< Monotonic ms of the next observe check. */
	int fd;					    /**< libcoap's epoll descriptor. */
	char psk_identity[CTL_COAP_PSK_ID_LEN + 1]; /**< DTLS identity, NUL-terminated. */
	uint8_t psk_key[CTL_COAP_PSK_KEY_LEN];	    /**< DTLS key. */
	size_t psk_len;				    /**< Length of psk_key. */
	coap_bin_const_t psk_bin;		    /**< psk_key as libcoap wants it. */
	struct ctl_coap_upload uploads[CTL_COAP_MAX_UPLOADS]; /**< Block-wise bodies in progress. */
};

/** The outcome of a request: a CoAP response code and, for errors, a message. */
struct ctl_coap_answer {
	coap_pdu_code_t status;	    /**< CoAP response code. */
	int code;		    /**< JSON-RPC error code, for errors. */
	size_t size1;		    /**< Size1 option for 4.13, 0 for none. */
	char msg[CTL_COAP_ERR_LEN]; /**< Error message. */
};

/* ------------------------------------------------------------------------- */
/* Helpers.                                                                  */

/** @return monotonic milliseconds. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/** Release callback for response payloads: the text was malloc'd. */
static void
free_text(coap_session_t *session, void *text)
{
	(void)session;
	free(text);
}

/** Record an error in @p a; always returns -1 so callers can return it. */
__attribute__((format(printf, 4, 5))) static int
answer_error(struct ctl_coap_answer *a, coap_pdu_code_t status, int code, const char *fmt, ...)
{
	va_list ap;

	a->status = status;
	a->code = code;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * Copy at most CTL_COAP_QUOTE_LEN bytes of a client's value into @p buf for an
 * error message, replacing control characters, quotes and non-ASCII bytes
 * by '?', so that any input gives a valid one-line UTF-8 message.
 */
static const char *
quote(const uint8_t *s, size_t len, char *buf, size_t size)
{
	size_t n = len < size - 1 ? len : size - 1;

	if (n > CTL_COAP_QUOTE_LEN)
		n = CTL_COAP_QUOTE_LEN;
	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\'') ? '?' : (char)s[i];
	buf[n] = '\0';
	return buf;
}

/** @return the name of a request code for messages. */
static const char *
code_name(coap_pdu_code_t code)
{
	switch (code) {
	case COAP_REQUEST_CODE_GET:
		return "GET";
	case COAP_REQUEST_CODE_POST:
		return "POST";
	case COAP_REQUEST_CODE_PUT:
		return "PUT";
	case COAP_REQUEST_CODE_DELETE:
		return "DELETE";
	case COAP_REQUEST_CODE_FETCH:
		return "FETCH";
	case COAP_REQUEST_CODE_PATCH:
		return "PATCH";
	case COAP_REQUEST_CODE_IPATCH:
		return "iPATCH";
	default:
		return "this method";
	}
}

/** @return the CoAP response code for a handler's -errno. */
static coap_pdu_code_t
errno_status(int rc)
{
	switch (-rc) {
	case EINVAL:
		return COAP_RESPONSE_CODE_BAD_REQUEST;
	case ENOENT:
		return COAP_RESPONSE_CODE_NOT_FOUND;
	case EEXIST:
	case EBUSY:
		return COAP_RESPONSE_CODE_CONFLICT;
	case E2BIG:
	case EMSGSIZE:
		return COAP_RESPONSE_CODE_REQUEST_TOO_LARGE;
	case ETIMEDOUT:
	case EINPROGRESS:
		return COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE;
	default:
		return COAP_RESPONSE_CODE_INTERNAL_ERROR;
	}
}

/** @return the value of an unsigned integer option, or -1 when absent or too long. */
static int64_t
uint_option(const coap_pdu_t *pdu, coap_option_num_t num)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;

	opt = coap_check_option(pdu, num, &it);
	if (opt == NULL)
		return -1;
	if (coap_opt_length(opt) > 4)
		return -1;
	return coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

/* ------------------------------------------------------------------------- */
/* Responses.                                                                */

/**
 * Fill @p resp with an error answer: the code and a JSON body
 * {"code": <JSON-RPC code>, "message": "..."}.
 */
static void
send_error(coap_pdu_t *resp, const struct ctl_coap_answer *a)
{
	uint8_t buf[4];
	json_t *body, *msg;
	char *text;

	coap_pdu_set_code(resp, a->status);
	msg = json_string(a->msg);
	if (msg == NULL) {
		/* A handler's message that is not UTF-8: keep its ASCII part. */
		char safe[CTL_COAP_ERR_LEN];

		msg = json_string(
			quote((const uint8_t *)a->msg, strlen(a->msg), safe, sizeof(safe)));
	}
	body = json_pack("{s:i,s:o*}", "code", a->code, "message", msg);
	if (body == NULL)
		return;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return;
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
			coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_APPLICATION_JSON),
			buf);
	if (a->size1 != 0)
		coap_add_option(resp, COAP_OPTION_SIZE1,
				coap_encode_var_safe(buf, sizeof(buf), (unsigned int)a->size1),
				buf);
	coap_add_data(resp, strlen(text), (const uint8_t *)text);
	free(text);
}

/**
 * Fill @p resp with a success answer carrying @p text (malloc'd; it passes
 * to libcoap, which frees it once sent, block-wise if it is large).
 */
static void
send_text(coap_resource_t *res, coap_session_t *sess, const coap_pdu_t *req,
	  const coap_string_t *query, coap_pdu_t *resp, coap_pdu_code_t status, char *text)
{
	coap_pdu_set_code(resp, status);
	if (!coap_add_data_large_response(res, sess, req, resp, query,
					  COAP_MEDIATYPE_APPLICATION_JSON, -1, 0, strlen(text),
					  (const uint8_t *)text, free_text, text)) {
		/* libcoap does not call the release function when it fails. */
		free(text);
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR);
	}
}

/* ------------------------------------------------------------------------- */
/* Parameters.                                                               */

/** @return the schema entry of @p m called @p name, or NULL. */
static const struct ctl_param *
find_param(const struct ctl_method *m, const char *name)
{
	if (m->params == NULL)
		return NULL;
	for (const struct ctl_param *p = m->params; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/**
 * Convert the value of a query option to the JSON type of its parameter.
 * Keys that are not in the schema stay strings: the dispatcher rejects
 * them by name. Range, syntax and choice checks are left to the dispatcher
 * too; only what cannot be represented is refused here.
 *
 * @return
 *   A new reference, or NULL with @p a filled.
 */
static json_t *
query_value(const struct ctl_param *p, const char *key, const uint8_t *v, size_t vlen,
	    bool has_value, struct ctl_coap_answer *a)
{
	char text[32], q[CTL_COAP_QUOTE_LEN + 1];
	json_error_t jerr;
	long long n;
	json_t *j;
	char *end;

	if (p != NULL && p->type == CTL_P_BOOL) {
		if (!has_value || (vlen == 4 && memcmp(v, "true", 4) == 0) ||
		    (vlen == 1 && v[0] == '1'))
			return json_true();
		if ((vlen == 5 && memcmp(v, "false", 5) == 0) || (vlen == 1 && v[0] == '0'))
			return json_false();
		answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_INVALID_PARAMS,
			     "%s: expected true or false, got '%s'", key,
			     quote(v, vlen, q, sizeof(q)));
		return NULL;
	}
	if (!has_value) {
		answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_INVALID_PARAMS,
			     "%s: missing value, expected %s=<value>", key, key);
		return NULL;
	}
	if (p != NULL && p->type == CTL_P_INT) {
		if (vlen == 0 || vlen >= sizeof(text))
			goto bad_int;
		memcpy(text, v, vlen);
		text[vlen] = '\0';
		if (!(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
			goto bad_int;
		errno = 0;
		n = strtoll(text, &end, 10);
		/* A NUL inside the value must not end it early. */
		if (errno != 0 || end != text + vlen)
			goto bad_int;
		j = json_integer(n);
		if (j == NULL)
			answer_error(a, COAP_RESPONSE_CODE_INTERNAL_ERROR, CTL_RPC_INTERNAL,
				     "out of memory");
		return j;
	}
	if (p != NULL && (p->type == CTL_P_OBJECT || p->type == CTL_P_ARRAY)) {
		const bool obj = p->type == CTL_P_OBJECT;

		j = json_loadb((const char *)v, vlen, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			       &jerr);
		if (j == NULL || (obj ? !json_is_object(j) : !json_is_array(j))) {
			json_decref(j);
			answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_INVALID_PARAMS,
				     "%s: expected a JSON %s", key, obj ? "object" : "array");
			return NULL;
		}
		return j;
	}
	if (memchr(v, '\0', vlen) != NULL || (j = json_stringn((const char *)v, vlen)) == NULL) {
		answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_INVALID_PARAMS,
			     "%s: not a valid UTF-8 string", key);
		return NULL;
	}
	return j;

bad_int:
	answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_INVALID_PARAMS,
		     "%s: expected an integer, got '%s'", key, quote(v, vlen, q, sizeof(q)));
	return NULL;
}

/**
 * Add the URI query options "key=value" of @p req to @p params, typed by
 * the schema of @p m.
 *
 * @return 0, or -1 with @p a filled.
 */
static int
query_params(const struct ctl_method *m, const coap_pdu_t *req, json_t *params,
	     struct ctl_coap_answer *a)
{
	char key[CTL_COAP_QUOTE_LEN + 1], q[CTL_COAP_QUOTE_LEN + 1];
	coap_opt_iterator_t it;
	const uint8_t *v, *eq;
	coap_opt_t *opt;
	size_t len, klen;
	json_t *j;

	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number != COAP_OPTION_URI_QUERY)
			continue;
		v = coap_opt_value(opt);
		len = coap_opt_length(opt);
		eq = memchr(v, '=', len);
		klen = eq != NULL ? (size_t)(eq - v) : len;
		if (klen == 0)
			return answer_error(
				a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_INVALID_PARAMS,
				"query option '%s' is not key=value", quote(v, len, q, sizeof(q)));
		if (klen > CTL_COAP_QUOTE_LEN || memchr(v, '\0', klen) != NULL)
			return answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST,
					    CTL_RPC_INVALID_PARAMS, "unknown parameter '%s'",
					    quote(v, klen, q, sizeof(q)));
		memcpy(key, v, klen);
		key[klen] = '\0';
		if (json_object_get(params, key) != NULL)
			return answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST,
					    CTL_RPC_INVALID_PARAMS, "%s: given twice",
					    quote(v, klen, q, sizeof(q)));
		j = query_value(find_param(m, key), quote(v, klen, q, sizeof(q)),
				eq != NULL ? eq + 1 : v + len, eq != NULL ? len - klen - 1 : 0,
				eq != NULL, a);
		if (j == NULL)
			return -1;
		/* A key that is not UTF-8 cannot be a parameter; name it quoted. */
		if (json_object_set_new(params, key, j) != 0)
			return answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST,
					    CTL_RPC_INVALID_PARAMS, "unknown parameter '%s'",
					    quote(v, klen, q, sizeof(q)));
	}
	return 0;
}

/** Free an upload slot. */
static void
upload_drop(struct ctl_coap_upload *u)
{
	free(u->buf);
	memset(u, 0, sizeof(*u));
}

/**
 * Get the Request-Tag of a request into @p tag (8 bytes). Blocks of one body
 * share it, while libcoap gives each block its own token.
 *
 * @return its length, 0 for none.
 */
static size_t
request_tag(const coap_pdu_t *req, uint8_t *tag)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t len;

	opt = coap_check_option(req, COAP_OPTION_RTAG, &it);
	if (opt == NULL)
		return 0;
	len = coap_opt_length(opt);
	if (len > 8)
		len = 8;
	memcpy(tag, coap_opt_value(opt), len);
	return len;
}

/** @return the upload of this client, resource and Request-Tag, or NULL. */
static struct ctl_coap_upload *
upload_find(struct ctl_coap *c, const coap_session_t *sess, const struct ctl_coap_route *rt,
	    const coap_pdu_t *req)
{
	uint64_t now = now_ms();
	uint8_t tag[8];
	size_t taglen;

	taglen = request_tag(req, tag);

	for (unsigned int i = 0; i < CTL_COAP_MAX_UPLOADS; i++) {
		struct ctl_coap_upload *u = &c->uploads[i];

		if (u->buf == NULL)
			continue;
		if (now - u->started > CTL_COAP_UPLOAD_TIMEOUT_MS) {
			upload_drop(u);
			continue;
		}
		if (u->sess == sess && u->rt == rt && u->code == coap_pdu_get_code(req) &&
		    u->taglen == taglen && memcmp(u->tag, tag, taglen) == 0)
			return u;
	}
	return NULL;
}

/** Start an upload in a free slot, or in the oldest one. @return it, or NULL (ENOMEM). */
static struct ctl_coap_upload *
upload_new(struct ctl_coap *c, const coap_session_t *sess, const struct ctl_coap_route *rt,
	   const coap_pdu_t *req)
{
	struct ctl_coap_upload *u = &c->uploads[0];

	for (unsigned int i = 0; i < CTL_COAP_MAX_UPLOADS; i++) {
		if (c->uploads[i].buf == NULL) {
			u = &c->uploads[i];
			break;
		}
		if (c->uploads[i].started < u->started)
			u = &c->uploads[i];
	}
	upload_drop(u);
	u->buf = malloc(c->max_payload);
	if (u->buf == NULL)
		return NULL;
	u->sess = sess;
	u->rt = rt;
	u->code = coap_pdu_get_code(req);
	u->taglen = request_tag(req, u->tag);
	u->started = now_ms();
	return u;
}

/**
 * Collect the body of a request. libcoap runs in block mode without
 * COAP_BLOCK_SINGLE_BODY: in single-body mode it buffers a block-wise body
 * of any size (Size1 up to 4 GB is accepted) before a handler can apply
 * max_payload. Here each block is checked as it comes, and at most
 * CTL_COAP_MAX_UPLOADS bodies of max_payload bytes are held.
 *
 * @param owned
 *   Receives a buffer to free() after use (the reassembled body), or NULL.
 * @return
 *   0 when the body is complete in *data, *len (0 for none); 1 when more
 *   blocks are to come (answer 2.31 Continue); -1 with @p a filled.
 */
static int
request_body(struct ctl_coap *c, const struct ctl_coap_route *rt, const coap_session_t *sess,
	     const coap_pdu_t *req, const uint8_t **data, size_t *len, uint8_t **owned,
	     struct ctl_coap_answer *a)
{
	size_t offset = 0, total = 0;
	struct ctl_coap_upload *u;
	coap_opt_iterator_t it;
	int64_t size1, format;
	coap_opt_t *block1;
	bool more;

	*owned = NULL;
	if (!coap_get_data_large(req, len, data, &offset, &total)) {
		*data = NULL;
		*len = 0;
	}
	block1 = coap_check_option(req, COAP_OPTION_BLOCK1, &it);
	more = block1 != NULL && COAP_OPT_BLOCK_MORE(block1);
	u = block1 != NULL ? upload_find(c, sess, rt, req) : NULL;

	size1 = uint_option(req, COAP_OPTION_SIZE1);
	if (offset + *len > c->max_payload || (size1 >= 0 && (uint64_t)size1 > c->max_payload)) {
		if (u != NULL)
			upload_drop(u);
		a->size1 = c->max_payload;
		return answer_error(a, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE, CTL_RPC_TOO_BIG,
				    "payload of %zu bytes is larger than %zu",
				    size1 > 0 ? (size_t)size1 : offset + *len, c->max_payload);
	}
	/* The first (or only) block says what the body is. */
	if (offset == 0 && (*len > 0 || more)) {
		format = uint_option(req, COAP_OPTION_CONTENT_FORMAT);
		if (format != COAP_MEDIATYPE_APPLICATION_JSON) {
			if (u != NULL)
				upload_drop(u);
			return answer_error(a, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
					    CTL_RPC_INVALID_REQUEST,
					    "payload must be application/json (content-format "
					    "50)");
		}
	}
	if (block1 == NULL || (offset == 0 && !more)) {
		/* The whole body in one datagram. */
		if (u != NULL)
			upload_drop(u);
		return 0;
	}
	if (offset == 0) {
		u = upload_new(c, sess, rt, req);
		if (u == NULL)
			return answer_error(a, COAP_RESPONSE_CODE_INTERNAL_ERROR, CTL_RPC_INTERNAL,
					    "out of memory");
	} else if (u == NULL || u->len != offset) {
		if (u != NULL)
			upload_drop(u);
		return answer_error(a, COAP_RESPONSE_CODE_INCOMPLETE, CTL_RPC_INVALID_REQUEST,
				    "block-wise payload: no block before offset %zu", offset);
	}
	if (*len > 0)
		memcpy(u->buf + u->len, *data, *len);
	u->len += *len;
	if (more)
		return 1;
	/* The last block: the body passes to the caller. */
	*owned = u->buf;
	*data = u->buf;
	*len = u->len;
	u->buf = NULL;
	upload_drop(u);
	return 0;
}

/**
 * Build the parameters of a request: the JSON object payload, if any,
 * then the URI query options.
 *
 * @param params
 *   Receives a new object the caller owns.
 * @return 0, or -1 with @p a filled.
 */
static int
request_params(const struct ctl_method *m, const coap_pdu_t *req, const uint8_t *data, size_t len,
	       json_t **params, struct ctl_coap_answer *a)
{
	json_error_t jerr;
	json_t *obj;

	*params = NULL;
	if (len > 0) {
		obj = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
				 &jerr);
		if (obj == NULL)
			return answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST, CTL_RPC_PARSE_ERROR,
					    "payload is not JSON: %d:%d: %s", jerr.line,
					    jerr.column, jerr.text);
		if (!json_is_object(obj)) {
			json_decref(obj);
			return answer_error(a, COAP_RESPONSE_CODE_BAD_REQUEST,
					    CTL_RPC_INVALID_PARAMS,
					    "payload must be a JSON object of parameters");
		}
	} else {
		obj = json_object();
		if (obj == NULL)
			return answer_error(a, COAP_RESPONSE_CODE_INTERNAL_ERROR, CTL_RPC_INTERNAL,
					    "out of memory");
	}
	if (query_params(m, req, obj, a) != 0) {
		json_decref(obj);
		return -1;
	}
	*params = obj;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Request handlers.                                                         */

/** @return the method a request code maps to on @p rt, or NULL. */
static const struct ctl_method *
route_method(const struct ctl_coap_route *rt, coap_pdu_code_t code)
{
	switch (code) {
	case COAP_REQUEST_CODE_GET:
		return rt->get;
	case COAP_REQUEST_CODE_POST:
		return rt->post;
	case COAP_REQUEST_CODE_PUT:
		return rt->put;
	case COAP_REQUEST_CODE_DELETE:
		return rt->del;
	default:
		return NULL;
	}
}

/** Fill @p a with 4.05, listing the request codes @p rt allows. */
static int
not_allowed(const struct ctl_coap_route *rt, coap_pdu_code_t code, struct ctl_coap_answer *a)
{
	char allowed[32] = "";

	if (rt->get != NULL)
		strcat(allowed, " GET");
	if (rt->post != NULL)
		strcat(allowed, " POST");
	if (rt->put != NULL)
		strcat(allowed, " PUT");
	if (rt->del != NULL)
		strcat(allowed, " DELETE");
	return answer_error(a, COAP_RESPONSE_CODE_NOT_ALLOWED, CTL_RPC_METHOD_NOT_FOUND,
			    "%s is not allowed on /%s (allowed:%s)", code_name(code), rt->path,
			    allowed);
}

/** @return true when the request carries a URI query option. */
static bool
has_query(const coap_pdu_t *req)
{
	coap_opt_iterator_t it;

	return coap_check_option(req, COAP_OPTION_URI_QUERY, &it) != NULL;
}

/** Handle GET, POST, PUT and DELETE on a resource of the method table. */
static void
on_request(coap_resource_t *res, coap_session_t *sess, const coap_pdu_t *req,
	   const coap_string_t *query, coap_pdu_t *resp)
{
	struct ctl_coap_route *rt = coap_resource_get_userdata(res);
	coap_pdu_code_t code = coap_pdu_get_code(req);
	struct ctl_coap_answer a = {.status = COAP_RESPONSE_CODE_CONTENT};
	const struct ctl_method *m;
	json_t *params = NULL, *result = NULL;
	char err[CTL_COAP_ERR_LEN] = "";
	const uint8_t *data;
	uint8_t *owned;
	int64_t accept;
	size_t len;
	char *text;
	int rc;

	m = route_method(rt, code);
	if (m == NULL) {
		not_allowed(rt, code, &a);
		goto out_error;
	}
	accept = uint_option(req, COAP_OPTION_ACCEPT);
	if (accept >= 0 && accept != COAP_MEDIATYPE_APPLICATION_JSON) {
		answer_error(&a, COAP_RESPONSE_CODE_NOT_ACCEPTABLE, CTL_RPC_INVALID_REQUEST,
			     "answers are application/json (content-format 50) only");
		goto out_error;
	}
	rc = request_body(rt->owner, rt, sess, req, &data, &len, &owned, &a);
	if (rc < 0)
		goto out_error;
	if (rc > 0) {
		/* libcoap adds the Block1 option that asks for the next block. */
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTINUE);
		return;
	}
	rc = request_params(m, req, data, len, &params, &a);
	free(owned);
	if (rc != 0)
		goto out_error;

	rc = ctl_rpc_call(rt->owner->rpc, m->name, params, &result, err, sizeof(err));
	json_decref(params);
	if (rc != 0) {
		answer_error(&a, errno_status(rc), ctl_rpc_errno_code(rc), "%s",
			     err[0] != '\0' ? err : strerror(-rc));
		goto out_error;
	}
	text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(result);
	if (text == NULL) {
		answer_error(&a, COAP_RESPONSE_CODE_INTERNAL_ERROR, CTL_RPC_INTERNAL,
			     "cannot serialise the result");
		goto out_error;
	}
	if (code == COAP_REQUEST_CODE_GET && rt->observable) {
		/* The baseline of the observe timer: what observers were given last. */
		if (uint_option(req, COAP_OPTION_OBSERVE) == COAP_OBSERVE_ESTABLISH)
			rt->watched = true;
		if (!has_query(req)) {
			char *copy = strdup(text);

			if (copy != NULL) {
				free(rt->last);
				rt->last = copy;
			}
		}
	}
	switch (code) {
	case COAP_REQUEST_CODE_GET:
		a.status = COAP_RESPONSE_CODE_CONTENT;
		break;
	case COAP_REQUEST_CODE_DELETE:
		a.status = COAP_RESPONSE_CODE_DELETED;
		break;
	default:
		a.status = COAP_RESPONSE_CODE_CHANGED;
		break;
	}
	send_text(res, sess, req, query, resp, a.status, text);
	return;

out_error:
	send_error(resp, &a);
}

/** Handle any request to a path that is not a resource. */
static void
on_unknown(coap_resource_t *res, coap_session_t *sess, const coap_pdu_t *req,
	   const coap_string_t *query, coap_pdu_t *resp)
{
	struct ctl_coap_answer a;
	coap_string_t *path;
	char q[CTL_COAP_QUOTE_LEN + 1];

	(void)res;
	(void)sess;
	(void)query;
	path = coap_get_uri_path(req);
	answer_error(&a, COAP_RESPONSE_CODE_NOT_FOUND, CTL_RPC_METHOD_NOT_FOUND, "no resource /%s",
		     path != NULL ? quote(path->s, path->length, q, sizeof(q)) : "");
	a.size1 = 0;
	coap_delete_string(path);
	send_error(resp, &a);
}

/* ------------------------------------------------------------------------- */
/* Observe.                                                                  */

/** Recompute the observable results and notify observers of those that changed. */
static void
observe_check(struct ctl_coap *c)
{
	char err[CTL_COAP_ERR_LEN];
	json_t *result;
	char *text;

	for (unsigned int i = 0; i < c->n_routes; i++) {
		struct ctl_coap_route *rt = &c->routes[i];

		if (!rt->observable || !rt->watched)
			continue;
		result = NULL;
		if (ctl_rpc_call(c->rpc, rt->get->name, NULL, &result, err, sizeof(err)) != 0) {
			/* Let observers get the error: the GET handler answers it. */
			text = strdup("");
		} else {
			text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
			json_decref(result);
		}
		if (text == NULL)
			continue;
		if (rt->last != NULL && strcmp(rt->last, text) == 0) {
			free(text);
			continue;
		}
		free(rt->last);
		rt->last = text;
		coap_resource_notify_observers(rt->res, NULL);
	}
}

/* ------------------------------------------------------------------------- */
/* Resources.                                                                */

/** @return true if a method name maps to a path: no empty segment, no '/'. */
static bool
name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || name[0] == '.' || name[len - 1] == '.')
		return false;
	return strstr(name, "..") == NULL && strchr(name, '/') == NULL;
}

/** @return a copy of @p n bytes of @p s with '.' turned into '/', or NULL. */
static char *
dots_to_slashes(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p != NULL)
		for (char *q = p; *q != '\0'; q++)
			if (*q == '.')
				*q = '/';
	return p;
}

/**
 * Find the route of @p path (taken: freed when a route exists), or add one
 * whose rt group is the first @p glen bytes of @p group.
 *
 * @return the route, or NULL when out of memory.
 */
static struct ctl_coap_route *
get_route(struct ctl_coap *c, char *path, const char *group, size_t glen)
{
	struct ctl_coap_route *rt;

	if (path == NULL)
		return NULL;
	for (unsigned int i = 0; i < c->n_routes; i++)
		if (strcmp(c->routes[i].path, path) == 0) {
			free(path);
			return &c->routes[i];
		}
	rt = &c->routes[c->n_routes];
	rt->group = strndup(group, glen);
	if (rt->group == NULL) {
		free(path);
		return NULL;
	}
	rt->owner = c;
	rt->path = path;
	c->n_routes++;
	return rt;
}

/** Map every method of the table to routes. @return 0 or -ENOMEM. */
static int
build_routes(struct ctl_coap *c)
{
	unsigned int n = ctl_rpc_count(c->rpc);
	const struct ctl_method *m;
	struct ctl_coap_route *rt;

	/* Each method gives at most its own resource and its group's. */
	c->routes = calloc(2 * (size_t)n + 1, sizeof(*c->routes));
	if (c->routes == NULL)
		return -ENOMEM;

	/* First every method's own resource /group/verb. */
	for (unsigned int i = 0; i < n; i++) {
		const char *dot;

		m = ctl_rpc_at(c->rpc, i);
		if (m == NULL || m->name == NULL || !name_ok(m->name))
			continue;
		dot = strrchr(m->name, '.');
		rt = get_route(c, dots_to_slashes(m->name, strlen(m->name)), m->name,
			       dot != NULL ? (size_t)(dot - m->name) : strlen(m->name));
		if (rt == NULL)
			return -ENOMEM;
		rt->post = m;
		rt->put = m;
		if (m->flags & CTL_RPC_READ)
			rt->get = m;
	}

	/* Then the usual verbs on /group, where the method's own resource left room. */
	for (unsigned int i = 0; i < n; i++) {
		const struct ctl_method **slot;
		const char *dot, *verb;
		size_t glen;
		int which;

		m = ctl_rpc_at(c->rpc, i);
		if (m == NULL || m->name == NULL || !name_ok(m->name))
			continue;
		dot = strrchr(m->name, '.');
		if (dot == NULL)
			continue;
		verb = dot + 1;
		glen = (size_t)(dot - m->name);
		if (strcmp(verb, "show") == 0 && (m->flags & CTL_RPC_READ))
			which = 0;
		else if (strcmp(verb, "add") == 0)
			which = 1;
		else if (strcmp(verb, "set") == 0)
			which = 2;
		else if (strcmp(verb, "del") == 0)
			which = 3;
		else
			continue;
		rt = get_route(c, dots_to_slashes(m->name, glen), m->name, glen);
		if (rt == NULL)
			return -ENOMEM;
		slot = which == 0   ? &rt->get
		       : which == 1 ? &rt->post
		       : which == 2 ? &rt->put
				    : &rt->del;
		if (*slot == NULL)
			*slot = m;
	}

	for (unsigned int i = 0; i < c->n_routes; i++) {
		rt = &c->routes[i];
		for (const char *const *o = observable_paths; *o != NULL; o++)
			if (strcmp(rt->path, *o) == 0 && rt->get != NULL)
				rt->observable = true;
	}
	return 0;
}

/**
 * Add an attribute to a resource; libcoap takes copies we allocate.
 *
 * @param quoted
 *   Put the value in double quotes, with the ones inside turned to '.
 * @return 0 or -ENOMEM.
 */
static int
add_attr(coap_resource_t *r, const char *name, const char *value, bool quoted)
{
	coap_str_const_t *n = NULL, *v = NULL;
	size_t len = strlen(value);
	char *text;

	text = malloc(len + 3);
	if (text == NULL)
		return -ENOMEM;
	if (quoted) {
		text[0] = '"';
		for (size_t i = 0; i < len; i++)
			text[i + 1] = (value[i] == '"' || value[i] == '\\') ? '\'' : value[i];
		text[len + 1] = '"';
		text[len + 2] = '\0';
		len += 2;
	} else {
		memcpy(text, value, len + 1);
	}
	n = coap_new_str_const((const uint8_t *)name, strlen(name));
	v = coap_new_str_const((const uint8_t *)text, len);
	free(text);
	if (n == NULL || v == NULL)
		goto out_free;
	/* With the release flags, libcoap keeps (and later frees) n and v. */
	if (coap_add_attr(r, n, v, COAP_ATTR_FLAGS_RELEASE_NAME | COAP_ATTR_FLAGS_RELEASE_VALUE) ==
	    NULL)
		goto out_free;
	return 0;

out_free:
	if (n != NULL)
		coap_delete_str_const(n);
	if (v != NULL)
		coap_delete_str_const(v);
	return -ENOMEM;
}

/** Create the libcoap resource of a route and add it to the context. */
static int
publish_route(struct ctl_coap *c, struct ctl_coap_route *rt)
{
	const struct ctl_method *h;
	coap_str_const_t *uri;
	coap_resource_t *r;
	char rtype[160];

	uri = coap_new_str_const((const uint8_t *)rt->path, strlen(rt->path));
	if (uri == NULL)
		return -ENOMEM;
	r = coap_resource_init(uri, COAP_RESOURCE_FLAGS_RELEASE_URI);
	if (r == NULL) {
		coap_delete_str_const(uri);
		return -ENOMEM;
	}
	coap_resource_set_userdata(r, rt);
	/* Every request code, so that the ones not mapped get a JSON 4.05. */
	for (size_t i = 0; i < sizeof(request_codes) / sizeof(request_codes[0]); i++)
		coap_register_request_handler(r, request_codes[i], on_request);
	if (rt->observable)
		coap_resource_set_get_observable(r, 1);
	/* From here the context owns the resource, even if an attribute fails. */
	coap_add_resource(c->ctx, r);
	rt->res = r;

	h = rt->get != NULL ? rt->get : rt->post != NULL ? rt->post : rt->put ? rt->put : rt->del;
	snprintf(rtype, sizeof(rtype), "mflowd.%s", rt->group);
	/* libcoap lists attributes last added first. */
	if (add_attr(r, "rt", rtype, true) != 0 || add_attr(r, "ct", "50", false) != 0 ||
	    add_attr(r, "title", h != NULL && h->help != NULL ? h->help : rt->path, true) != 0)
		return -ENOMEM;
	return 0;
}

/** Create every resource, and the handler of unknown paths. */
static int
publish(struct ctl_coap *c)
{
	coap_resource_t *r;
	int ret;

	for (unsigned int i = 0; i < c->n_routes; i++) {
		ret = publish_route(c, &c->routes[i]);
		if (ret != 0)
			return ret;
	}
	r = coap_resource_unknown_init(on_unknown);
	if (r == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(request_codes) / sizeof(request_codes[0]); i++)
		coap_register_request_handler(r, request_codes[i], on_unknown);
	coap_add_resource(c->ctx, r);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Endpoints.                                                                */

/** DTLS: give the key for the configured identity, refuse any other. */
static const coap_bin_const_t *
check_identity(coap_bin_const_t *identity, coap_session_t *sess, void *arg)
{
	const struct ctl_coap *c = arg;
	size_t len = strlen(c->psk_identity);

	(void)sess;
	if (identity == NULL || identity->length != len ||
	    memcmp(identity->s, c->psk_identity, len) != 0)
		return NULL;
	return &c->psk_bin;
}

/**
 * Resolve a numeric address and port.
 *
 * @return 0, or -EINVAL when @p address is not a numeric IPv4 or IPv6 address.
 */
static int
resolve(const char *address, uint16_t port, coap_address_t *out)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai;
	char service[8];

	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(address, service, &hints, &ai) != 0)
		return -EINVAL;
	if (ai->ai_addrlen > sizeof(out->addr)) {
		freeaddrinfo(ai);
		return -EINVAL;
	}
	coap_address_init(out);
	memcpy(&out->addr, ai->ai_addr, ai->ai_addrlen);
	out->size = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/**
 * Try to bind the address the way an exclusive owner would, to report a
 * port in use: libcoap sets SO_REUSEADDR on its UDP sockets, so a second
 * libcoap server on the same port would otherwise bind successfully and
 * steal datagrams.
 *
 * @return 0 or -errno of bind().
 */
static int
probe_bind(const coap_address_t *addr)
{
	int fd, ret = 0;

	fd = socket(addr->addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, &addr->addr.sa, addr->size) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

/** Open one endpoint. @return 0 or -errno. */
static int
add_endpoint(struct ctl_coap *c, const char *address, uint16_t port, coap_proto_t proto)
{
	coap_address_t addr;
	int ret;

	ret = resolve(address, port, &addr);
	if (ret != 0)
		return ret;
	ret = probe_bind(&addr);
	if (ret != 0)
		return ret;
	if (coap_new_endpoint(c->ctx, &addr, proto) == NULL)
		return errno == EADDRINUSE || errno == EADDRNOTAVAIL || errno == EACCES ? -errno
											: -ENOMEM;
	return 0;
}

/** Check the settings. @return 0, -EINVAL or -ENOTSUP. */
static int
check_params(const struct ctl_coap_params *p, struct ctl_rpc *rpc)
{
	coap_address_t addr;
	size_t idlen;

	if (p == NULL || rpc == NULL || p->address == NULL)
		return -EINVAL;
	if (p->port == 0 && p->dtls_port == 0)
		return -EINVAL;
	if (p->port != 0 && p->port == p->dtls_port)
		return -EINVAL;
	if (p->observe_interval_ms < CTL_COAP_OBSERVE_MIN_MS ||
	    p->observe_interval_ms > CTL_COAP_OBSERVE_MAX_MS)
		return -EINVAL;
	if (p->max_payload < CTL_COAP_PAYLOAD_MIN || p->max_payload > CTL_COAP_PAYLOAD_MAX)
		return -EINVAL;
	if (resolve(p->address, 0, &addr) != 0)
		return -EINVAL;
	if (p->dtls_port != 0) {
		idlen = p->psk_identity != NULL ? strlen(p->psk_identity) : 0;
		if (idlen == 0 || idlen > CTL_COAP_PSK_ID_LEN)
			return -EINVAL;
		if (p->psk_key == NULL || p->psk_len == 0 || p->psk_len > CTL_COAP_PSK_KEY_LEN)
			return -EINVAL;
		if (!coap_dtls_is_supported())
			return -ENOTSUP;
	}
	return 0;
}

struct ctl_coap *
ctl_coap_create(const struct ctl_coap_params *p, struct ctl_rpc *rpc)
{
	struct ctl_coap *c;
	int ret;

	ret = check_params(p, rpc);
	if (ret != 0)
		goto out_errno;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ret = -ENOMEM;
		goto out_errno;
	}
	c->rpc = rpc;
	c->observe_ms = p->observe_interval_ms;
	c->max_payload = p->max_payload;

	coap_startup();
	/*
	 * libcoap logs every malformed datagram it drops; a remote sender must
	 * not be able to flood mflowd's log, so only errors are kept.
	 */
	coap_set_log_level(LOG_ERR);
	coap_dtls_set_log_level(LOG_ERR);
	c->ctx = coap_new_context(NULL);
	if (c->ctx == NULL) {
		ret = -ENOMEM;
		goto out_free;
	}
	/* Not COAP_BLOCK_SINGLE_BODY: request bodies are collected here (request_body()). */
	coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP);

	if (p->dtls_port != 0) {
		coap_dtls_spsk_t psk = {
			.version = COAP_DTLS_SPSK_SETUP_VERSION,
			.validate_id_call_back = check_identity,
			.id_call_back_arg = c,
		};

		snprintf(c->psk_identity, sizeof(c->psk_identity), "%s", p->psk_identity);
		memcpy(c->psk_key, p->psk_key, p->psk_len);
		c->psk_len = p->psk_len;
		c->psk_bin.s = c->psk_key;
		c->psk_bin.length = c->psk_len;
		psk.psk_info.key = c->psk_bin;
		if (!coap_context_set_psk2(c->ctx, &psk)) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	if (p->port != 0) {
		ret = add_endpoint(c, p->address, p->port, COAP_PROTO_UDP);
		if (ret != 0)
			goto out_free;
	}
	if (p->dtls_port != 0) {
		ret = add_endpoint(c, p->address, p->dtls_port, COAP_PROTO_DTLS);
		if (ret != 0)
			goto out_free;
	}

	ret = build_routes(c);
	if (ret != 0)
		goto out_free;
	ret = publish(c);
	if (ret != 0)
		goto out_free;

	c->fd = coap_context_get_coap_fd(c->ctx);
	if (c->fd < 0) {
		/* libcoap built without epoll: there is no descriptor to poll. */
		ret = -ENOTSUP;
		goto out_free;
	}
	c->next_observe = now_ms() + c->observe_ms;
	return c;

out_free:
	ctl_coap_destroy(c);
out_errno:
	errno = -ret;
	return NULL;
}

void
ctl_coap_destroy(struct ctl_coap *c)
{
	if (c == NULL)
		return;
	/* This frees the resources, the sessions and pending block-wise answers. */
	if (c->ctx != NULL)
		coap_free_context(c->ctx);
	for (unsigned int i = 0; i < c->n_routes; i++) {
		free(c->routes[i].path);
		free(c->routes[i].group);
		free(c->routes[i].last);
	}
	free(c->routes);
	for (unsigned int i = 0; i < CTL_COAP_MAX_UPLOADS; i++)
		upload_drop(&c->uploads[i]);
	memset(c->psk_key, 0, sizeof(c->psk_key));
	free(c);
}

int
ctl_coap_fd(const struct ctl_coap *c)
{
	return c != NULL ? c->fd : -1;
}

void
ctl_coap_process(struct ctl_coap *c)
{
	uint64_t now;

	if (c == NULL)
		return;
	/* Mark changed resources first, so that this very call sends the notifications. */
	now = now_ms();
	if (now >= c->next_observe) {
		observe_check(c);
		c->next_observe = now + c->observe_ms;
	}
	coap_io_process(c->ctx, COAP_IO_NO_WAIT);
}

bool
ctl_coap_dtls_available(void)
{
	return coap_dtls_is_supported() != 0;
}
