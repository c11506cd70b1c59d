/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Network namespaces, veth pairs, link settings, addresses and routes for
 * containers, over rtnetlink (libmnl) and the ethtool ioctl. No DPDK here.
 *
 * Namespaces. Named namespaces live where iproute2 keeps them: the file
 * /run/netns/NAME is a bind mount of a namespace's nsfs inode, so
 * `ip netns list` and `ip netns exec NAME` see ours and we see theirs. The
 * directory /run/netns is made a shared mount point first, as iproute2 does,
 * so that mounting and unmounting a namespace file propagates to every mount
 * namespace that holds a copy of it (runc and crun create such copies).
 *
 * Working inside a namespace. Every function taking a @p netns works in that
 * namespace, given as a reference: a name (the file /run/netns/NAME) or an
 * absolute path to a namespace file, such as /proc/PID/ns/net or the
 * CNI_NETNS path a container runtime hands a CNI plugin. NULL means the
 * calling thread's own namespace. Only ct_netns_add(), ct_netns_del() and
 * ct_netns_exists() take names alone, since they manage /run/netns. The
 * calling thread never changes namespace: a short-lived helper thread
 * enters the target namespace with setns(), opens the netlink (or ioctl)
 * socket there, and exits; a socket stays bound to the namespace it was
 * created in, so the caller then talks to the target through it. Nothing
 * can therefore leave the caller in the wrong namespace, whatever fails.
 *
 * Netlink. Each call opens its own socket, numbers its requests, asks for an
 * acknowledgement of every change (NLM_F_ACK) and reads the answer with a
 * receive timeout of a few seconds, so no call can block for ever. Answers
 * from another port or with another sequence number are rejected. The
 * kernel's error comes back as -errno, and its extended-ack message, when it
 * sends one, is copied into @p err.
 *
 * Errors. Every function returns 0 (or a descriptor) on success and -errno
 * on failure. Arguments are checked before anything is changed: bad input
 * changes nothing. A function that makes several changes undoes the ones it
 * made when a later one fails, except where stated. @p err, when not NULL
 * and @p errlen is not 0, receives a one-line message on failure and is left
 * untouched on success.
 *
 * Threads. The functions are thread-safe; they share no state.
 */
#ifndef CT_NL_H
#define CT_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Directory of the named network namespaces (the one iproute2 uses). */
#define CT_NETNS_DIR "/run/netns"
/** Longest namespace name, as for interface names. */
#define CT_NETNS_NAME_MAX 15
/** Longest namespace path accepted where a namespace reference may be a path. */
#define CT_NETNS_PATH_MAX 4095
/** Longest interface name (IFNAMSIZ - 1). */
#define CT_IFNAME_MAX 15

/** Size of a buffer for ct_ip_format() (an IPv6 address and its NUL). */
#define CT_IP_STRLEN 46
/** Size of a buffer for ct_ip_format_prefix() (address, "/128" and NUL). */
#define CT_IP_PREFIX_STRLEN 50
/** Size of a buffer for ct_mac_format() ("xx:xx:xx:xx:xx:xx" and NUL). */
#define CT_MAC_STRLEN 18

/** An IPv4 or IPv6 address. */
struct ct_ip {
	int family;	  /**< AF_INET or AF_INET6. */
	uint8_t addr[16]; /**< Network byte order; IPv4 uses the first 4 bytes, the rest is 0. */
};

/* ------------------------------------------------------------------------- */
/* Addresses and names. */

/**
 * Parse an IPv4 address ("198.18.1.2") or an IPv6 address ("2001:db8::1").
 *
 * @param s
 *   The text; nothing may follow the address.
 * @param ip
 *   Receives the address; untouched on error.
 * @return
 *   0, or -EINVAL if @p s is not an address.
 */
int ct_ip_parse(const char *s, struct ct_ip *ip);

/**
 * Parse an address with an optional prefix length: "198.18.1.2/24",
 * "2001:db8::1/64". Without "/N" the prefix is the full length (32 or 128).
 *
 * @param s
 *   The text; the prefix length is decimal, 0..32 for IPv4, 0..128 for IPv6.
 * @param ip
 *   Receives the address as written (host bits are kept).
 * @param plen
 *   Receives the prefix length.
 * @return
 *   0, or -EINVAL for a bad address or prefix length (outputs untouched).
 */
int ct_ip_parse_prefix(const char *s, struct ct_ip *ip, uint8_t *plen);

/**
 * Format an address in its usual text form.
 *
 * @param buf
 *   Receives the text; CT_IP_STRLEN bytes are always enough.
 * @return
 *   0, -EINVAL for an unknown family, or -ENOSPC if @p len is too small.
 */
int ct_ip_format(const struct ct_ip *ip, char *buf, size_t len);

/**
 * Format "ADDRESS/PLEN"; CT_IP_PREFIX_STRLEN bytes are always enough.
 *
 * @return
 *   0, -EINVAL for an unknown family or a prefix longer than the family's
 *   address, or -ENOSPC if @p len is too small.
 */
int ct_ip_format_prefix(const struct ct_ip *ip, uint8_t plen, char *buf, size_t len);

/**
 * Parse a MAC address written as six two-digit hexadecimal bytes separated
 * by colons ("02:00:00:00:00:01"; either case).
 *
 * @return
 *   0, or -EINVAL if @p s has another form (@p mac untouched).
 */
int ct_mac_parse(const char *s, uint8_t mac[6]);

/**
 * Format a MAC address as "02:00:00:00:00:01" (lower case).
 *
 * @return
 *   0, or -ENOSPC if @p len is below CT_MAC_STRLEN.
 */
int ct_mac_format(const uint8_t mac[6], char *buf, size_t len);

/**
 * Whether @p mac can be given to an Ethernet interface: not all zeros, and
 * neither multicast nor broadcast (the group bit of the first byte clear).
 */
bool ct_mac_is_unicast(const uint8_t mac[6]);

/**
 * Whether @p name is a valid namespace name: 1..15 characters of
 * [A-Za-z0-9_.-], and neither "." nor "..".
 */
bool ct_netns_name_valid(const char *name);

/**
 * Whether @p ref is a valid namespace reference: a valid name
 * (ct_netns_name_valid()) or an absolute path of at most CT_NETNS_PATH_MAX
 * bytes. Whether the path is a network namespace shows when it is opened.
 */
bool ct_netns_ref_valid(const char *ref);

/**
 * Whether @p name is a valid interface name as the kernel accepts it:
 * 1..15 bytes, no '/', ':' or white space, and neither "." nor "..".
 */
bool ct_ifname_valid(const char *name);

/* ------------------------------------------------------------------------- */
/* Named network namespaces. */

/**
 * Create the named network namespace @p name (/run/netns/NAME). Its
 * loopback interface is down, as in every new namespace (ct_netns_lo_up()).
 *
 * @param err
 *   Receives a message on failure.
 * @return
 *   0; -EINVAL for a bad name; -EEXIST if the name is taken; or the errno
 *   of mkdir(), mount() (EPERM without CAP_SYS_ADMIN) or unshare(). On
 *   failure no file is left behind.
 */
int ct_netns_add(const char *name, char *err, size_t errlen);

/**
 * Delete the named namespace: lazily unmount /run/netns/NAME and remove the
 * file. The namespace itself lives on while a process or a descriptor
 * still holds it (the kernel frees it, and the interfaces in it, last).
 * A file left by an interrupted ct_netns_add() (not a mount) is removed too.
 *
 * @return
 *   0; -EINVAL for a bad name; -ENOENT if there is no such namespace; or
 *   the errno of umount2() or unlink().
 */
int ct_netns_del(const char *name);

/** Whether /run/netns/NAME exists (as `ip netns list` would show it); false for a bad name. */
bool ct_netns_exists(const char *name);

/**
 * Open a namespace, e.g. to setns() into it or to hand it to a runtime.
 *
 * @param ref
 *   A name (/run/netns/NAME) or an absolute path to a namespace file.
 * @return
 *   A descriptor opened O_RDONLY|O_CLOEXEC, which the caller closes;
 *   -EINVAL for a bad reference or if the file is not a network namespace
 *   (e.g. a leftover of an interrupted ct_netns_add()); -ENOENT if it does
 *   not exist; or the errno of open().
 */
int ct_netns_open(const char *ref);

/**
 * Bring up the loopback interface of @p netns (NULL: the caller's).
 *
 * @return
 *   0, or -errno as for ct_link_set().
 */
int ct_netns_lo_up(const char *netns, char *err, size_t errlen);

/* ------------------------------------------------------------------------- */
/* Links. */

/** A veth pair to create. */
struct ct_veth_args {
	const char *host_if; /**< Name of the host end. */
	const char *peer_if; /**< Name of the other end. */
	const char *netns;   /**< Named namespace the peer is created in; NULL: the host end's. */
	const char *host_netns;	 /**< Named namespace of the host end; NULL: the caller's. */
	const uint8_t *host_mac; /**< MAC of the host end; NULL: random. */
	const uint8_t *peer_mac; /**< MAC of the peer; NULL: random. */
	uint16_t mtu;		 /**< MTU of both ends, 68..65535; 0: the default (1500). */
};

/**
 * Create a veth pair whose peer end is created directly inside a namespace
 * (the kernel moves it there as part of the creation). Both ends are left
 * down. The kernel creates the pair atomically: on any failure neither end
 * exists.
 *
 * @return
 *   0; -EINVAL for a bad name, MAC or MTU, or the same name twice in one
 *   namespace; -ENOENT if @p a->netns or @p a->host_netns does not exist;
 *   -EEXIST if @p a->host_if exists in the host end's namespace or
 *   @p a->peer_if in the peer's; or another kernel error.
 */
int ct_veth_add(const struct ct_veth_args *a, char *err, size_t errlen);

/**
 * Delete the interface @p ifname of @p netns (NULL: the caller's). Deleting
 * either end of a veth pair deletes both.
 *
 * @return
 *   0; -EINVAL for a bad name; -ENOENT if there is no such interface or no
 *   such namespace; or another kernel error.
 */
int ct_link_del(const char *netns, const char *ifname);

/** Whether the interface @p ifname exists in @p netns (NULL: the caller's); false on any error. */
bool ct_link_exists(const char *netns, const char *ifname);

/** What ct_link_get() reports. */
struct ct_link_info {
	int ifindex;		      /**< Interface index, in its namespace. */
	char name[CT_IFNAME_MAX + 1]; /**< Name. */
	uint8_t mac[6];		      /**< Hardware address (zero if it has none of 6 bytes). */
	uint32_t mtu;		      /**< MTU. */
	unsigned int flags;	      /**< IFF_* flags (IFF_UP, IFF_NOARP, IFF_LOWER_UP, ...). */
};

/**
 * Look up an interface by name.
 *
 * @param info
 *   Receives the interface's index, MAC, MTU and flags.
 * @return
 *   0; -EINVAL for a bad name; -ENODEV if there is no such interface;
 *   -ENOENT if there is no such namespace; or another kernel error.
 */
int ct_link_get(const char *netns, const char *ifname, struct ct_link_info *info);

/** A tri-state setting: leave as is, or turn on or off. */
enum ct_set {
	CT_SET_LEAVE = 0, /**< Leave the setting as it is. */
	CT_SET_ON = 1,	  /**< Turn it on. */
	CT_SET_OFF = 2,	  /**< Turn it off. */
};

/**
 * Changes to one interface. Zero fields leave the setting alone, so an
 * initializer names only what changes.
 */
struct ct_link_args {
	const char *netns;    /**< Namespace of the interface; NULL: the caller's. */
	const char *ifname;   /**< The interface. */
	const char *new_name; /**< New name; NULL: keep. */
	enum ct_set up;	      /**< Administrative state (IFF_UP). */
	uint16_t mtu;	      /**< New MTU, at least 68; 0: keep. */
	const uint8_t *mac;   /**< New MAC (unicast); NULL: keep. */
	enum ct_set noarp;    /**< IFF_NOARP: ON stops ARP on the link. */
};

/**
 * Change an interface's name, MTU, MAC and flags in one netlink request.
 * The kernel applies the name, MAC and MTU before the flags, so a link can
 * be renamed and brought up in one call (kernels before 6.x refuse to rename
 * a link that is already up, with -EBUSY). If the kernel refuses part of the
 * request, what it had already applied is put back (the name, MAC, MTU and
 * flags asked for get their old values again).
 *
 * @return
 *   0; -EINVAL for bad arguments; -ENODEV if there is no such interface;
 *   -ENOENT if there is no such namespace; -EEXIST if @p a->new_name is
 *   taken; -EBUSY (older kernels) when renaming a link that is up; or
 *   another kernel error.
 */
int ct_link_set(const struct ct_link_args *a, char *err, size_t errlen);

/**
 * Turn off transmit checksum offload, every segmentation offload and receive
 * aggregation on an interface: the ethtool features tx-checksum-*,
 * tx-*segmentation and tx-gso-* (TSO, GSO, USO, tunnel GSO, ...), rx-gro*,
 * rx-lro and rx-udp-gro-forwarding; a superset of
 * `ethtool -K IF tx off tso off gso off gro off`. Features are matched by
 * name, so ones that newer kernels add to these families go off too.
 *
 * A veth whose peer is not a kernel stack needs this: with checksum offload
 * the kernel hands over frames whose checksum is only partially computed
 * (left for "hardware" that does not exist on the other side), and with
 * TSO/GSO/GRO it hands over or builds superframes far larger than the MTU.
 * A DPDK PMD reading the host end would forward both as they are. Turn it
 * off on the container end too, since that end is where the kernel sends.
 *
 * @return
 *   0; -EINVAL for a bad name; -ENODEV if there is no such interface;
 *   -ENOENT if there is no such namespace; -EOPNOTSUPP if the driver keeps
 *   one of them on; or the errno of the ioctl.
 */
int ct_link_offloads_off(const char *netns, const char *ifname, char *err, size_t errlen);

/**
 * Prepare an interface in the caller's namespace (the host end of a veth
 * pair) to be driven by a DPDK PMD (AF_XDP or AF_PACKET). A PMD owns every
 * frame that reaches the interface; the kernel must neither answer them nor
 * send its own frames on the link, and must hand over frames a PMD can
 * forward as they are. So, in order:
 *
 * - offloads off (ct_link_offloads_off()): no partial checksums and no
 *   superframes;
 * - IPv6 disabled (net.ipv6.conf.IF.disable_ipv6 = 1): no link-local
 *   address, hence no router or neighbour solicitations, no MLD reports,
 *   no answers to IPv6 traffic meant for the PMD's endpoints;
 * - every address removed: the kernel would otherwise answer ARP, ICMP and
 *   TCP resets for frames it takes as its own, in parallel with the PMD;
 * - ARP off (IFF_NOARP) and the link up (a PMD needs it up to receive).
 *
 * The steps are idempotent: the function can be called again on a prepared
 * interface. If a later step fails, the earlier ones are not undone (they
 * only switch features off); calling again finishes the job.
 *
 * @return
 *   0; -EINVAL for a bad name; -ENODEV if there is no such interface; or
 *   the error of the step that failed (named in @p err).
 */
int ct_nl_prepare_pmd_end(const char *ifname, char *err, size_t errlen);

/* ------------------------------------------------------------------------- */
/* Addresses and routes. */

/**
 * Add an address to an interface. IPv4 addresses get the broadcast address
 * of their prefix (for prefixes up to /30); IPv6 addresses skip duplicate
 * address detection (IFA_F_NODAD), since the controller hands them out and
 * DAD would only delay their use by a second or two.
 *
 * @param netns
 *   Namespace of the interface; NULL: the caller's.
 * @param plen
 *   Prefix length, up to 32 or 128.
 * @return
 *   0; -EINVAL for bad arguments; -ENODEV if there is no such interface;
 *   -ENOENT if there is no such namespace; -EEXIST if the interface has the
 *   address already; or another kernel error.
 */
int ct_addr_add(const char *netns, const char *ifname, const struct ct_ip *ip, uint8_t plen);

/**
 * Remove an address (with its prefix length) from an interface.
 *
 * @return
 *   0; -EINVAL for bad arguments; -ENODEV if there is no such interface;
 *   -ENOENT if there is no such namespace or the interface has no such
 *   address; or another kernel error.
 */
int ct_addr_del(const char *netns, const char *ifname, const struct ct_ip *ip, uint8_t plen);

/**
 * Whether an interface has an address with this prefix length.
 *
 * @return
 *   1 if it has, 0 if not; -EINVAL for bad arguments; -ENODEV if there is
 *   no such interface; -ENOENT if there is no such namespace; -E2BIG if the
 *   interface has too many addresses to tell; or another kernel error.
 */
int ct_addr_has(const char *netns, const char *ifname, const struct ct_ip *ip, uint8_t plen);

/**
 * Add a route to the main table of @p netns: to @p dst/@p plen, or the
 * default route when @p dst is NULL, either via the gateway @p gw or, when
 * @p gw is NULL, directly on the link @p ifname. Host bits of @p dst are
 * ignored (198.18.1.7/24 means 198.18.1.0/24).
 *
 * @param ifname
 *   Output interface; NULL lets the kernel pick it from @p gw. One of
 *   @p ifname and @p gw is required.
 * @param dst
 *   Destination prefix, or NULL for the default route (0.0.0.0/0 or ::/0,
 *   the family taken from @p gw; with neither @p dst nor @p gw, IPv4).
 * @param gw
 *   Gateway, of the family of @p dst; NULL: on-link.
 * @return
 *   0; -EINVAL for bad arguments (mixed families, prefix too long, neither
 *   @p ifname nor @p gw); -ENODEV if there is no such interface; -ENOENT if
 *   there is no such namespace; -EEXIST if the route exists; -ENETUNREACH
 *   if @p gw is not reachable on a link; or another kernel error.
 */
int ct_route_add(const char *netns, const char *ifname, const struct ct_ip *dst, uint8_t plen,
		 const struct ct_ip *gw);

/**
 * Remove a route added by ct_route_add() (same arguments; @p ifname and
 * @p gw, when given, must match too).
 *
 * @return
 *   0; -EINVAL for bad arguments; -ENODEV if there is no such interface;
 *   -ENOENT if there is no such namespace or no such route; or another
 *   kernel error.
 */
int ct_route_del(const char *netns, const char *ifname, const struct ct_ip *dst, uint8_t plen,
		 const struct ct_ip *gw);

#endif /* CT_NL_H */
