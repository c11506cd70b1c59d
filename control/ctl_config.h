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

/** Free the arrays of a config; NULL is accepted. */
void ctl_config_free(struct ctl_config *cfg);

#endif /* CTL_CONFIG_H */
