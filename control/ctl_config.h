/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The mflowd configuration file: a JSON document read with jansson.
 *
 * Parsing is separate from applying: ctl_config_parse() only validates and
 * fills a struct ctl_config; nothing in the datapath changes. Every error
 * names the JSON path of the bad key and its value, for example
 * "vnis[1].vteps[0]: invalid IP address '198.18.0.x'".
 *
 * See docs/config.md for the reference of every key.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vx.h"

#define CTL_DEVARGS_LEN 512
#define CTL_PATH_LEN	256
#define CTL_ERR_LEN	256

/** One VNI and its remote VTEPs. */
struct ctl_vni_cfg {
	uint32_t vni;			      /**< 0 .. 2^24-1. */
	uint16_t n_vteps;		      /**< How many in vteps. */
	struct vx_ip vteps[VX_VNI_MAX_VTEPS]; /**< Remote VTEP addresses. */
};

/** One container endpoint: a DPDK port bound to a VNI. */
struct ctl_ep_cfg {
	char name[VX_NAME_LEN];	    /**< Unique name. */
	char port[CTL_DEVARGS_LEN]; /**< DPDK devargs, e.g. "net_af_xdp0,iface=veth1". */
	uint32_t vni;		    /**< Must be declared in vnis. */
	struct rte_ether_addr mac;  /**< The container's MAC. */
	uint16_t mtu;		    /**< Endpoint MTU; default 1500. */
	bool any_src_mac;	    /**< Disable source-MAC anti-spoofing. */
};

/** A static FDB entry towards a remote VTEP. */
struct ctl_fdb_cfg {
	uint32_t vni;
	struct rte_ether_addr mac;
	struct vx_ip vtep; /**< Must be a VTEP of the VNI. */
};

/** A static neighbour. */
struct ctl_neigh_cfg {
	struct vx_ip ip;
	struct rte_ether_addr mac;
};

/** A port opened at start but attached to no VNI ("ports"). */
struct ctl_port_cfg {
	char name[VX_NAME_LEN];	    /**< Unique among ports and endpoints. */
	char port[CTL_DEVARGS_LEN]; /**< DPDK devargs. */
	uint16_t mtu;		    /**< 576..9000, default 1500. */
};

/** The control socket ("control"). */
struct ctl_control_cfg {
	char socket[CTL_PATH_LEN]; /**< Socket path, default CTL_SOCKET_PATH; "" = no socket.
				      At most 107 characters (sun_path). */
	char group[64];		   /**< Group name that may use the socket; "" = none. 1..32
				      characters, checked for syntax only. */
	uint16_t max_clients;	   /**< 1..1024, default 16. */
	uint32_t max_request;	   /**< Longest request in bytes, 64..16777216, default 65536. */
};

/** The CoAP endpoint ("coap"). Off unless the section says enabled. */
struct ctl_coap_cfg {
	bool enabled;		/**< Default false. */
	char address[64];	/**< Bind address, default "127.0.0.1"; an IPv4 or IPv6 literal,
				   stored in canonical text. */
	uint16_t port;		/**< Plain CoAP port, 0 = none, default 5683. */
	uint16_t dtls_port;	/**< CoAP over DTLS port, 0 = none (default). */
	char psk_identity[128]; /**< Required with dtls_port. */
	uint8_t psk_key[64];	/**< The key's bytes (from "psk_key", a string of 1..64 bytes). */
	uint8_t psk_len;	/**< Length of psk_key; required with dtls_port. */
	uint32_t observe_interval_ms; /**< 100..3600000, default 1000. */
	uint32_t max_payload;	      /**< Largest request payload, 64..65536, default 4096. */
};

/** Containers ("containers"): where their state lives and how they run. */
struct ctl_containers_cfg {
	bool enabled;		      /**< Default true. */
	char state_dir[CTL_PATH_LEN]; /**< Records, default /var/lib/mflowd/containers. */
	char run_dir[CTL_PATH_LEN];   /**< Bundles and runtime state, default /run/mflowd. */
	char runtime[CTL_PATH_LEN];   /**< Default OCI runtime: "runc" (default), "crun", or an
					 absolute path. */
	uint8_t pmd; /**< 0 auto (AF_XDP, else AF_PACKET), 1 af_xdp, 2 af_packet. */
};

/** Default control socket path. */
#define CTL_SOCKET_PATH "/run/mflowd/mflowd.sock"

/** How packets are spread over lcores (mflow.mode). */
enum ctl_mf_mode {
	CTL_MF_RTC = 0,	  /**< Run to completion: the dispatch lcore does everything. */
	CTL_MF_PINNED,	  /**< Each flow is pinned to one worker by its hash. */
	CTL_MF_MICROFLOW, /**< Elephants are split into batches over the workers. */
};

/** How the dispatcher picks the worker of the next elephant batch (mflow.pick). */
enum ctl_mf_pick {
	CTL_MF_PICK_RR = 0, /**< Round robin over the active workers. */
	CTL_MF_PICK_LEAST,  /**< The active worker with the emptiest input ring. */
};

/** Most worker lcores mflow.worker_lcores may list. */
#define CTL_MF_MAX_WORKERS 64

/**
 * The "mflow" section: lcore roles and micro-flow splitting.
 *
 * Only mode, workers, batch_size, pick, merge_timeout_us and the elephant
 * thresholds (everything in elephant but table_size) may change when the
 * config is reloaded; see ctl_config_reload_check().
 */
struct ctl_mflow_cfg {
	uint8_t mode;		  /**< enum ctl_mf_mode; default CTL_MF_RTC. Run-time. */
	int16_t dispatch_lcore;	  /**< 0..127, or -1 (default) for the datapath lcore chosen as
				     without this section. */
	int16_t merge_lcore;	  /**< 0..127, or -1 (default) for the dispatch lcore. */
	uint16_t n_worker_lcores; /**< How many in worker_lcores. */
	uint16_t worker_lcores[CTL_MF_MAX_WORKERS]; /**< Distinct worker lcores, 0..127,
						       none the dispatch or merge lcore. */
	uint16_t workers;	   /**< Active workers, 1..n_worker_lcores (0 only when there are
				      no worker lcores); default n_worker_lcores. Run-time. */
	uint32_t batch_size;	   /**< Packets per elephant batch, 1..65536, default 256.
				      Run-time. */
	uint8_t pick;		   /**< enum ctl_mf_pick; default CTL_MF_PICK_RR. Run-time. */
	uint32_t merge_timeout_us; /**< Wait for a stalled batch before the merger skips it,
				      0..10000000, 0 = never skip; default 1000. Run-time. */
	uint32_t ring_size;	   /**< Entries of each worker ring, a power of two 64..65536,
				      default 4096. */
	struct {
		uint32_t table_size;	 /**< Tracked flows, a power of two 4..1048576, default
					    4096. */
		uint32_t window_us;	 /**< Rate window, 1..10000000, default 1000. Run-time. */
		uint64_t promote_pkts;	 /**< Packets per window that make an elephant,
					    1..2^32-1, default 100. Run-time. */
		uint64_t promote_bytes;	 /**< Bytes per window that make an elephant, 0 = off
					    (default). Run-time. */
		uint64_t demote_pkts;	 /**< A window below this many packets counts low,
					    0..promote_pkts, default min(25, promote_pkts).
					    Run-time. */
		uint64_t demote_bytes;	 /**< ...and below this many bytes (0 = off, default);
					    at most promote_bytes when that is set. Run-time. */
		uint8_t promote_windows; /**< High windows in a row before promotion, 1..255,
					    default 2. Run-time. */
		uint8_t demote_windows;	 /**< Low windows in a row before demotion, 1..255,
					    default 8. Run-time. */
	} elephant;
};

/** The whole configuration. Arrays are owned by the struct (ctl_config_free()). */
struct ctl_config {
	struct {
		char port[CTL_DEVARGS_LEN]; /**< DPDK devargs of the underlay port. */
		struct vx_ip ip4;	    /**< Local IPv4 VTEP address, if any. */
		uint8_t plen4;
		struct vx_ip ip6; /**< Local IPv6 VTEP address, if any. */
		uint8_t plen6;
		struct vx_ip gw4; /**< Gateway for off-link IPv4 VTEPs, if any. */
		struct vx_ip gw6; /**< Gateway for off-link IPv6 VTEPs, if any. */
		bool has_mac;	  /**< mac is set; otherwise the port's MAC is used. */
		struct rte_ether_addr mac;
		uint16_t mtu;		/**< Underlay IP MTU, 576..9000, default 1500. */
		uint16_t udp_port;	/**< Default 4789. */
		bool udp6_zero_csum_tx; /**< Default false. */
		bool udp6_zero_csum_rx; /**< Default false. */
		bool strict_reserved;	/**< Default true. */
	} underlay;

	struct ctl_vni_cfg *vnis;
	unsigned int n_vnis;
	struct ctl_ep_cfg *eps;
	unsigned int n_eps;
	struct ctl_fdb_cfg *fdb;
	unsigned int n_fdb;
	struct ctl_neigh_cfg *neigh;
	unsigned int n_neigh;
	struct ctl_port_cfg *ports; /**< Ports not attached to a VNI. */
	unsigned int n_ports;

	struct {
		uint16_t burst;		/**< RX burst size, 1..512, default 32. */
		uint32_t drain_us;	/**< TX buffer drain period, 1..100000, default 100. */
		uint32_t idle_polls;	/**< Empty polls before sleeping, 0 = never sleep, default
					   1000. */
		uint32_t idle_sleep_us; /**< First idle sleep, 1..100000, default 100. */
		uint32_t idle_sleep_max_us; /**< Cap of the doubling idle sleep, default 1000. */
		uint16_t rxd;		    /**< RX descriptors, default 4096. */
		uint16_t txd;		    /**< TX descriptors, default 4096. */
		uint32_t mbufs;	    /**< Mbufs per NUMA node at least, default 16383; grown to fill
				       every ring. */
		uint32_t fdb_size;  /**< FDB capacity, default 65536. */
		uint32_t fdb_age_s; /**< Learned entry lifetime, 0 = never, default 300. */
		uint32_t neigh_reachable_s; /**< Default 30. */
		uint32_t neigh_retrans_ms;  /**< Default 1000. */
		uint32_t neigh_failed_s;    /**< Default 5. */
		uint8_t neigh_probes;	    /**< Default 3. */
	} dp;

	char stats_file[CTL_PATH_LEN]; /**< Where counters are written as JSON; empty = off. */
	uint32_t
		stats_interval_s; /**< Period of stats_file writes; 0 = only on SIGUSR1 and exit. */

	struct ctl_mflow_cfg mflow;	      /**< Lcore roles and micro-flow splitting. */
	struct ctl_control_cfg control;	      /**< The control socket. */
	struct ctl_coap_cfg coap;	      /**< The CoAP endpoint. */
	struct ctl_containers_cfg containers; /**< Containers. */
};

/**
 * Fill a config with defaults and no VNIs, endpoints or ports.
 *
 * @param cfg
 *   The config to reset; it must not own arrays.
 */
void ctl_config_defaults(struct ctl_config *cfg);

/**
 * Validate a JSON document and fill @p cfg. Unknown keys are errors.
 *
 * @param root
 *   The document; borrowed, not stolen.
 * @param cfg
 *   Output; on error it is left empty (nothing to free).
 * @param err
 *   Receives a one-line message naming the key path and the bad value.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EINVAL.
 */
int ctl_config_parse(const json_t *root, struct ctl_config *cfg, char *err, size_t errlen);

/**
 * Read and parse a config file.
 *
 * @return
 *   0, -ENOENT/-EACCES/-EISDIR (errno of open) with the path in @p err, or -EINVAL
 *   for bad JSON (line and column in @p err) or a bad value.
 */
int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen);

/**
 * Write a config as the JSON document ctl_config_parse() reads: every
 * section and key, defaults included, so that parsing the result gives an
 * equal config (ctl_config_reload_check() finds no difference, and the
 * sections it does not compare are equal too).
 *
 * Sections and keys come in the order of docs/config.md; arrays are always
 * written, even when empty. Addresses are in canonical text (inet_ntop()),
 * MACs in lower case. Keys that are unset are left out rather than written
 * with a value the parser would refuse: underlay.ip4/ip6/gateway4/gateway6
 * when unset, underlay.mac when has_mac is false, stats.file when empty,
 * mflow.dispatch_lcore and merge_lcore when -1, mflow.workers without
 * worker lcores, coap.psk_identity and coap.psk_key when empty. The PSK is
 * written as it is, so keep the output private (ctl_config_save() does).
 *
 * @param cfg
 *   A config that ctl_config_parse() accepted (or built to the same rules).
 * @return
 *   A new reference the caller owns, or NULL for a NULL @p cfg, on
 *   allocation failure, or when a string is not UTF-8 text (which a parsed
 *   config never holds).
 */
json_t *ctl_config_dump(const struct ctl_config *cfg);

/**
 * Write ctl_config_dump() to @p path atomically: the document, indented by
 * two spaces and ending in a newline, goes to a temporary file
 * "<path>.XXXXXX" in the same directory, which is given mode 0640
 * (whatever the umask), flushed with fsync() and renamed over @p path; the
 * directory is then flushed too. On failure the temporary file is removed
 * and @p path is left as it was.
 *
 * @return
 *   0, or -errno: -EINVAL for a NULL or empty argument, -ENOENT for a
 *   missing directory (nothing is created), -EACCES, -EISDIR when @p path
 *   is a directory, -ENOSPC, -ENOMEM, ...
 */
int ctl_config_save(const struct ctl_config *cfg, const char *path);

/** Free the arrays of a config; NULL is accepted. */
void ctl_config_free(struct ctl_config *cfg);

/**
 * Name an mflow mode as the config file writes it.
 *
 * @param mode
 *   An enum ctl_mf_mode value.
 * @return
 *   "rtc", "pinned", "microflow", or "?" for any other value.
 */
const char *ctl_mf_mode_name(uint8_t mode);

/**
 * Parse an mflow mode name (exact, case-sensitive).
 *
 * @param s
 *   "rtc", "pinned" or "microflow"; NULL is accepted.
 * @return
 *   The enum ctl_mf_mode value, or -EINVAL.
 */
int ctl_mf_mode_parse(const char *s);

/**
 * Name a worker pick policy as the config file writes it.
 *
 * @param pick
 *   An enum ctl_mf_pick value.
 * @return
 *   "rr", "least", or "?" for any other value.
 */
const char *ctl_mf_pick_name(uint8_t pick);

/**
 * Parse a worker pick policy name (exact, case-sensitive).
 *
 * @param s
 *   "rr" or "least"; NULL is accepted.
 * @return
 *   The enum ctl_mf_pick value, or -EINVAL.
 */
int ctl_mf_pick_parse(const char *s);

/**
 * Check that a reloaded config only changes what may change at run time:
 * mflow.mode, mflow.workers, mflow.batch_size, mflow.pick,
 * mflow.merge_timeout_us and mflow.elephant.* except table_size.
 *
 * Every other field is compared, section by section in the order of
 * docs/config.md (underlay, vnis, endpoints, ports, fdb, neighbours,
 * dataplane, stats, mflow, control, coap), value by value (addresses as
 * addresses, strings as strings, the PSK as bytes), so padding never
 * matters. The ports, control and coap sections are fixed as a whole.
 * Neither config is changed.
 *
 * @param cur
 *   The config in use.
 * @param next
 *   The config just parsed from the file (ctl_config_load() succeeded).
 * @param err
 *   Receives "<json.path>: cannot change at run time" for the first
 *   difference, e.g. "underlay.port: cannot change at run time" or
 *   "endpoints[1].mac: cannot change at run time"; a different number of
 *   entries names the array ("vnis", "vnis[0].vteps", "mflow.worker_lcores").
 *   Empty on success. May be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0 if @p next may be applied at run time, or -EINVAL.
 */
int ctl_config_reload_check(const struct ctl_config *cur, const struct ctl_config *next, char *err,
			    size_t errlen);

#endif /* CTL_CONFIG_H */
