/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * mflow-cni: a CNI plugin (CNI spec 1.0 and 1.1, results in the formats
 * of 0.3.0 to 1.1.0) that puts a container's interface on mflowd's overlay.
 *
 * A container runtime runs the plugin with the operation and the
 * container in environment variables (CNI_COMMAND, CNI_CONTAINERID,
 * CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH) and the network configuration
 * as JSON on stdin; the plugin prints a result, or an error object, as JSON
 * on stdout. For ADD the plugin:
 *
 * 1. records the attachment in its data directory (so that DEL and GC find
 *    it even when ADD was interrupted);
 * 2. asks the IPAM plugin of the configuration (host-local, static, ...,
 *    found in CNI_PATH) for addresses, routes and DNS;
 * 3. creates a veth pair: the host end `mfcni<hash>` in the caller's
 *    namespace and the container end, named CNI_IFNAME, in CNI_NETNS; sets
 *    MTU, MAC, addresses and routes over netlink, offloads off on both ends
 *    and prepares the host end for a DPDK PMD (ct_nl.h);
 * 4. asks the running mflowd, over its control socket, to hot-plug the host
 *    end as port `cni-<hash>` (net_af_xdp, else net_af_packet) and to attach
 *    it to the configured VNI with the container's MAC (port.add and
 *    endpoint.attach);
 * and undoes every step on a failure. DEL undoes all of it and succeeds
 * for what is gone already (it is idempotent, and works without CNI_NETNS
 * and without mflowd running). CHECK compares the attachment with the
 * previous result; STATUS tells whether mflowd answers; GC removes the
 * attachments of the network that are not in the runtime's valid list;
 * VERSION lists the versions supported.
 *
 * The network configuration (keys besides the standard cniVersion, name,
 * type, ipam, dns, prevResult, runtimeConfig, args):
 *
 * | key        | type    | default                  | meaning                               |
 * |------------|---------|--------------------------|---------------------------------------|
 * | vni        | integer | (required)               | VNI to attach to, 0..16777215         |
 * | socket     | string  | /run/mflowd/mflowd.sock  | mflowd's control socket               |
 * | mtu        | integer | 1450                     | MTU of the veth pair, 576..9000       |
 * | pmd        | string  | "auto"                   | "auto", "af_xdp" or "af_packet"       |
 * | anySrcMac  | boolean | false                    | let the container send any source MAC |
 * | dataDir    | string  | /var/lib/cni/mflow-cni   | where attachments are recorded        |
 * | timeout    | integer | 30                       | seconds for mflowd and IPAM, 1..600   |
 *
 * The container's MAC comes from runtimeConfig.mac (the "mac" capability),
 * else from CNI_ARGS MAC=..., else the kernel picks one.
 *
 * Errors. Functions return 0 or -errno; where they take a struct
 * ct_cni_error it receives the CNI error code and message to print.
 */
#ifndef CT_CNI_H
#define CT_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ct_nl.h"

/** Versions of the spec the plugin speaks, oldest first. */
#define CT_CNI_VERSIONS "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"
/** The newest of CT_CNI_VERSIONS. */
#define CT_CNI_VERSION_LATEST "1.1.0"
/** Where attachments are recorded by default. */
#define CT_CNI_DATA_DIR "/var/lib/cni/mflow-cni"
/** Prefix of the host end of a veth pair made by the plugin. */
#define CT_CNI_HOST_PREFIX "mfcni"
/** Prefix of the names of mflowd ports made by the plugin. */
#define CT_CNI_PORT_PREFIX "cni-"
/** Longest container ID accepted. */
#define CT_CNI_ID_MAX 255
/** Longest network name accepted. */
#define CT_CNI_NAME_MAX 128
/** Longest stdin accepted, in bytes. */
#define CT_CNI_STDIN_MAX ((size_t)1 << 20)

/** The operations (CNI_COMMAND). */
enum ct_cni_cmd {
	CT_CNI_ADD,
	CT_CNI_DEL,
	CT_CNI_CHECK,
	CT_CNI_VERSION,
	CT_CNI_STATUS,
	CT_CNI_GC,
};

/** Error codes of the CNI spec, and the plugin's own (100 and up). */
enum ct_cni_code {
	CT_CNI_E_VERSION = 1,	   /**< Incompatible CNI version. */
	CT_CNI_E_FIELD = 2,	   /**< Unsupported field in the network configuration. */
	CT_CNI_E_CONTAINER = 3,	   /**< Container unknown or does not exist. */
	CT_CNI_E_ENV = 4,	   /**< Invalid necessary environment variables. */
	CT_CNI_E_IO = 5,	   /**< I/O failure. */
	CT_CNI_E_DECODE = 6,	   /**< Failed to decode content. */
	CT_CNI_E_CONFIG = 7,	   /**< Invalid network configuration. */
	CT_CNI_E_TRY_AGAIN = 11,   /**< Try again later (mflowd busy or not running). */
	CT_CNI_E_UNAVAILABLE = 50, /**< STATUS: the plugin is not available. */
	CT_CNI_E_DATAPLANE = 100,  /**< mflowd refused a change (its message follows). */
	CT_CNI_E_CHECK = 101,	   /**< CHECK found the attachment not as recorded. */
	CT_CNI_E_IPAM = 102,	   /**< The IPAM plugin could not be run or answered nonsense. */
	CT_CNI_E_NETWORK = 103,	   /**< The veth pair could not be made or configured. */
};

/** An error to print: {"cniVersion", "code", "msg", "details"}. */
struct ct_cni_error {
	int code;	   /**< enum ct_cni_code, or a delegated plugin's code. */
	char msg[256];	   /**< One line. */
	char details[512]; /**< More, or "". */
};

/** What the runtime passes in environment variables. */
struct ct_cni_env {
	enum ct_cni_cmd cmd;
	char container_id[CT_CNI_ID_MAX + 1]; /**< CNI_CONTAINERID. */
	char netns[CT_NETNS_PATH_MAX + 1];    /**< CNI_NETNS ("" when absent, allowed for DEL). */
	char ifname[CT_IFNAME_MAX + 1];	      /**< CNI_IFNAME. */
	char args[1024];		      /**< CNI_ARGS, "" if absent. */
	char path[4096];		      /**< CNI_PATH, "" if absent. */
	uint8_t args_mac[6];		      /**< MAC=... of CNI_ARGS. */
	bool has_args_mac;		      /**< Whether CNI_ARGS had MAC. */
};

/** The PMD choice. */
enum ct_cni_pmd {
	CT_CNI_PMD_AUTO,
	CT_CNI_PMD_AF_XDP,
	CT_CNI_PMD_AF_PACKET,
};

/** The network configuration. */
struct ct_cni_conf {
	char version[16];		/**< cniVersion. */
	char name[CT_CNI_NAME_MAX + 1]; /**< Network name. */
	uint32_t vni;
	char socket[108];
	uint16_t mtu;
	enum ct_cni_pmd pmd;
	bool any_src_mac;
	char data_dir[256];
	int timeout_ms;
	uint8_t mac[6]; /**< runtimeConfig.mac. */
	bool has_mac;
	json_t *raw;	     /**< The whole configuration; owned (one reference). */
	const json_t *ipam;  /**< Its "ipam" object with a "type", or NULL; borrowed from raw. */
	const json_t *prev;  /**< Its "prevResult", or NULL; borrowed from raw. */
	const json_t *valid; /**< GC: "cni.dev/valid-attachments", or NULL; borrowed. */
};

/**
 * Read the CNI_* variables.
 *
 * @param getenv_fn
 *   How to read a variable (getenv, or a test's function).
 * @return
 *   0; -EINVAL with @p e set (code 4) for a missing or bad variable: an
 *   unknown CNI_COMMAND, a container ID that is not 1..255 of [A-Za-z0-9_.-]
 *   starting with an alphanumeric, a CNI_NETNS that is not an absolute
 *   path, a bad CNI_IFNAME, a bad MAC in CNI_ARGS.
 */
int ct_cni_env_parse(const char *(*getenv_fn)(const char *name), struct ct_cni_env *env,
		     struct ct_cni_error *e);

/**
 * Parse and check the network configuration for @p cmd.
 *
 * @param text
 *   The bytes read from stdin (need not be NUL-terminated).
 * @param conf
 *   Receives the configuration; release it with ct_cni_conf_fini() after
 *   0. On failure nothing is to be released, and conf->version holds the
 *   cniVersion if a supported one was read ("" otherwise), to print the
 *   error in.
 * @return
 *   0; -EINVAL with @p e set: code 6 for text that is not a JSON object,
 *   code 1 for an unsupported cniVersion (or one too old for @p cmd), code 7
 *   for a bad value (named in the message).
 */
int ct_cni_conf_parse(const char *text, size_t len, enum ct_cni_cmd cmd, struct ct_cni_conf *conf,
		      struct ct_cni_error *e);

/** Release a configuration; NULL and a zeroed one are accepted. */
void ct_cni_conf_fini(struct ct_cni_conf *conf);

/**
 * The names the plugin gives an attachment, derived from the container ID
 * and interface name alone (so DEL needs nothing but them).
 *
 * @param host_if
 *   Receives the host end's name (CT_CNI_HOST_PREFIX and 10 hex digits).
 * @param port
 *   Receives mflowd's port name (CT_CNI_PORT_PREFIX and 16 hex digits).
 */
void ct_cni_names(const char *container_id, const char *ifname, char host_if[CT_IFNAME_MAX + 1],
		  char port[32]);

/**
 * Compare two CNI versions ("1.0.0").
 *
 * @return
 *   <0, 0 or >0 as @p a is older, the same or newer; a malformed version
 *   counts as older than any other.
 */
int ct_cni_version_cmp(const char *a, const char *b);

/**
 * Build the result of an ADD from the IPAM plugin's result.
 *
 * @param conf
 *   The configuration: its cniVersion picks the format (0.3.x and 0.4.0
 *   give each IP a "version"), its prevResult is carried forward.
 * @param ipam
 *   The IPAM result (borrowed), or NULL for none.
 * @param host_if, host_mac
 *   The host end.
 * @param ifname, mac, netns
 *   The container end and its sandbox.
 * @return
 *   A new reference; NULL if out of memory or if an IP of @p ipam is not
 *   an address with a prefix length.
 */
json_t *ct_cni_result(const struct ct_cni_conf *conf, const json_t *ipam, const char *host_if,
		      const uint8_t host_mac[6], const char *ifname, const uint8_t mac[6],
		      const char *netns);

/** The VERSION answer for @p conf's version (or the latest when NULL); a new reference. */
json_t *ct_cni_version_result(const char *version);

/** The error object to print for @p e; a new reference, or NULL if out of memory. */
json_t *ct_cni_error_json(const struct ct_cni_error *e, const char *version);

/**
 * Carry out one operation, as mflow-cni's main() does.
 *
 * @param env
 *   The environment (ct_cni_env_parse()).
 * @param conf
 *   The configuration (ct_cni_conf_parse()); for VERSION it may be NULL.
 * @param stdin_text, stdin_len
 *   The configuration as read, handed on to the IPAM plugin.
 * @param result
 *   Receives what to print on success (a new reference), or NULL when the
 *   operation prints nothing (DEL, STATUS, GC).
 * @return
 *   0, or -errno with @p e set.
 */
int ct_cni_run(const struct ct_cni_env *env, const struct ct_cni_conf *conf, const char *stdin_text,
	       size_t stdin_len, json_t **result, struct ct_cni_error *e);

#endif /* CT_CNI_H */
