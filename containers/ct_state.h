/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Containers: the arguments of container.create, their validation, and the
 * persistent record of each container kept on disk.
 *
 * This file needs jansson and libc only (no DPDK), so that the CNI plugin
 * can link it alone.
 *
 * Arguments. struct ct_create_args holds what container.create takes. Every
 * scalar string lives in a fixed-size buffer inside the struct; argv and
 * env are heap copies owned by the struct (NULL-terminated vectors, ready
 * for exec). So the struct owns everything it points to, borrows nothing
 * from a json_t, and is released with ct_create_args_fini(). Because of the
 * two vectors it must not be copied by value: use ct_create_args_copy().
 * ct_create_args_check() validates every field; ct_create_args_from_json()
 * parses the params object of container.create and then runs the check.
 *
 * Records. struct ct_rec is one container as persisted: the arguments with
 * the MAC and the runtime resolved, the names derived from the container
 * name, the dataplane port, the state and the process. The derived names
 * (see ct_rec_init()) are:
 *
 *   - netns       "mf-<name>" (a file under /run/netns, no 15-character limit);
 *   - host_ifname "mfh" + 12 hex digits, 48 bits of a hash of the name;
 *   - peer_ifname "mfp" + the same 12 hex digits: the container end of the
 *                 veth while it is still in the host namespace, if ever;
 *   - ifname      "eth0", the container end inside its netns;
 *   - port        the container name, as the dataplane port name.
 *
 * The two interface names are 15 characters, the kernel's limit. Two
 * different names hash to the same 48 bits with probability about n^2/2^49
 * for n containers (about 2e-7 for 10000); such a collision is not resolved
 * but detected: ct_rec_unique() refuses the second container with -EEXIST,
 * so the user picks another name. The default MAC is "02" followed by 40
 * bits of another hash of the name (locally administered, unicast); a
 * collision there is detected the same way, within a VNI. The hash (FNV-1a
 * 64 with a splitmix64 finaliser over a per-use domain string and the name)
 * is part of the file format: records are refused when their names do not
 * match it.
 *
 * Files. Each record is "<dir>/<name>.json" (mode 0600) in a directory that
 * is created with mode 0700 when missing (default CT_STATE_DIR_DEFAULT).
 * Writes go to a temp file ".tmp-<name>.XXXXXX" in the same directory that
 * the writer holds an flock() on; it is fsync'ed, renamed over the record,
 * and the directory is fsync'ed. A temp file nobody holds locked is a
 * leftover of a crash, and ct_rec_load_all() deletes it. Every record read
 * is validated as thoroughly as the arguments of a create, and more; a
 * file that fails is refused, never trusted, as is one writable by group
 * or others or owned by another user.
 *
 * Messages. Functions taking char *err, size_t errlen write one line there
 * on failure that starts with the field at fault and quotes the value,
 * e.g. "ip: invalid address '198.18.1.300/24'"; err may be NULL.
 *
 * Threading: nothing here keeps global state; distinct structs may be used
 * from distinct threads.
 */
#ifndef CT_STATE_H
#define CT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CT_NAME_LEN	     32		  /**< Container name buffer: 1..31 characters. */
#define CT_IFNAME_LEN	     16		  /**< Interface name buffer (IFNAMSIZ). */
#define CT_NETNS_LEN	     40		  /**< Netns name buffer: "mf-" + name. */
#define CT_IP_STR_LEN	     64		  /**< Address text with an optional "/prefix". */
#define CT_MAC_STR_LEN	     18		  /**< "xx:xx:xx:xx:xx:xx". */
#define CT_PATH_LEN	     1024	  /**< Paths: bundle, rootfs, runtime, bundle_dir. */
#define CT_DEVARGS_LEN	     512	  /**< DPDK devargs, as the dataplane's. */
#define CT_ARGV_MAX	     64		  /**< At most this many argv strings. */
#define CT_ENV_MAX	     64		  /**< At most this many env strings. */
#define CT_ARG_MAX_LEN	     4096	  /**< Longest argv or env string, in bytes. */
#define CT_VNI_MAX	     0xffffff	  /**< Largest VNI. */
#define CT_MTU_MIN	     576	  /**< Smallest MTU (1280 for an IPv6 address). */
#define CT_MTU_MAX	     9000	  /**< Largest MTU. */
#define CT_MTU_DEFAULT	     1500	  /**< MTU when none is given. */
#define CT_MEMORY_MIN	     (4ULL << 20) /**< Smallest memory limit other than 0. */
#define CT_CPUS_MAX	     64000	  /**< Largest CPU limit, in millicores. */
#define CT_PIDS_MAX	     4194304	  /**< Largest pids limit (the kernel's PID_MAX_LIMIT). */
#define CT_REC_VERSION	     1		  /**< The record file format written. */
#define CT_REC_FILE_MAX	     (4 << 20)	  /**< Largest record file read, in bytes. */
#define CT_RUNTIME_DEFAULT   "runc"	  /**< Runtime when neither args nor config name one. */
#define CT_IFNAME_INNER	     "eth0"	  /**< The container's interface, inside its netns. */
#define CT_STATE_DIR_DEFAULT "/var/lib/mflowd/containers" /**< Where records live. */

/**
 * What container.create takes. Strings are "" when not given. With a
 * bundle, argv is refused (the bundle's config.json sets the process); env
 * and the limits are accepted, for the OCI code to apply to the bundle.
 */
struct ct_create_args {
	char name[CT_NAME_LEN];	     /**< 1..31 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
	uint32_t vni;		     /**< 0..CT_VNI_MAX. */
	char ip[CT_IP_STR_LEN];	     /**< "198.18.1.10/24" or IPv6 "addr/prefix"; required. */
	char gateway[CT_IP_STR_LEN]; /**< Plain address inside ip's prefix; "" = none. */
	char mac[CT_MAC_STR_LEN];    /**< Unicast, non-zero; "" = derived from the name. */
	uint16_t mtu;		     /**< CT_MTU_MIN..CT_MTU_MAX (1280.. for IPv6). */
	char bundle[CT_PATH_LEN];    /**< Absolute path of an OCI bundle; "" = none. */
	char rootfs[CT_PATH_LEN];    /**< Absolute path or "host"; "" = none. */
	char **argv;		     /**< argc strings then NULL, owned; NULL when argc is 0. */
	unsigned int argc;	     /**< 1..CT_ARGV_MAX with rootfs, 0 with bundle. */
	char **env;		     /**< envc "K=V" strings then NULL, owned; may be NULL. */
	unsigned int envc;	     /**< 0..CT_ENV_MAX, keys distinct. */
	uint64_t memory;	     /**< Bytes; 0 = no limit, else >= CT_MEMORY_MIN. */
	uint32_t cpus;		     /**< Millicores, 0 = no limit, ..CT_CPUS_MAX. */
	uint32_t pids;		     /**< 0 = no limit, ..CT_PIDS_MAX. */
	char runtime[CT_PATH_LEN];   /**< "" = the configured default, "runc", "crun" or an
					absolute path. */
};

/** Lifecycle states of a container, as persisted. */
enum ct_state {
	CT_STATE_CREATING, /**< Being set up; a crash here leaves something to undo. */
	CT_STATE_CREATED,  /**< Network and runtime container ready, process not started. */
	CT_STATE_RUNNING,  /**< The process runs (pid). */
	CT_STATE_STOPPED,  /**< The process has exited or was stopped. */
	CT_STATE_DELETING, /**< Being torn down. */
	CT_STATE_COUNT,	   /**< Number of states; not a state. */
};

/** An IP address, with a prefix length for the container's own address. */
struct ct_rec_ip {
	int family;	  /**< AF_INET, AF_INET6, or 0 for none. */
	uint8_t prefix;	  /**< Prefix length; 0 for a plain address. */
	uint8_t addr[16]; /**< Network byte order; IPv4 in the first 4 bytes. */
};

/**
 * The persistent record of one container. args.mac and args.runtime are
 * never empty; args.ip and args.gateway are in canonical text (inet_ntop);
 * ip, gateway and mac are their parsed forms. Owns args' vectors: release
 * with ct_rec_fini(), copy with ct_rec_copy(), never by value.
 */
struct ct_rec {
	unsigned int version;		 /**< File format, 1..CT_REC_VERSION. */
	struct ct_create_args args;	 /**< The arguments, resolved. */
	struct ct_rec_ip ip;		 /**< Parsed args.ip, with its prefix. */
	struct ct_rec_ip gateway;	 /**< Parsed args.gateway; family 0 when none. */
	uint8_t mac[6];			 /**< Parsed args.mac. */
	char netns[CT_NETNS_LEN];	 /**< Derived: "mf-<name>". */
	char host_ifname[CT_IFNAME_LEN]; /**< Derived: "mfh<12 hex>", the host veth end. */
	char peer_ifname[CT_IFNAME_LEN]; /**< Derived: "mfp<12 hex>", the other end's host name. */
	char ifname[CT_IFNAME_LEN];	 /**< Derived: CT_IFNAME_INNER. */
	char port[CT_NAME_LEN];		 /**< Derived: the dataplane port name (= name). */
	char devargs[CT_DEVARGS_LEN];	 /**< Devargs the port was added with; "" = not yet. */
	char bundle_dir[CT_PATH_LEN];	 /**< The bundle used (absolute); "" = not yet. */
	enum ct_state state;		 /**< Where in its lifecycle. */
	int pid;			 /**< Container init process; 0 = none. */
	int64_t created;		 /**< CLOCK_REALTIME seconds of the create. */
	int64_t started; /**< CLOCK_REALTIME seconds of the last start; 0 = never. */
};

/**
 * Called by ct_rec_load_all() for each valid record, in name order.
 *
 * @param rec
 *   Owned by ct_rec_load_all() and released after the call; the callee may
 *   keep it with ct_rec_copy() or take it with ct_rec_move().
 * @param arg
 *   The caller's argument.
 * @return
 *   0 to go on, or a -errno that stops the walk and is returned.
 */
typedef int(ct_rec_fn)(struct ct_rec *rec, void *arg);

/**
 * Called by ct_rec_load_all() for each file refused or cleaned up.
 *
 * @param msg
 *   One line starting with the file's path.
 * @param arg
 *   The caller's argument.
 */
typedef void(ct_rec_report_fn)(const char *msg, void *arg);

/**
 * Set @p a to empty arguments with the defaults (mtu CT_MTU_DEFAULT).
 *
 * @param a
 *   Not released first: call ct_create_args_fini() on a used struct.
 */
void ct_create_args_init(struct ct_create_args *a);

/**
 * Release argv and env and reset @p a as ct_create_args_init() does.
 *
 * @param a
 *   May be NULL.
 */
void ct_create_args_fini(struct ct_create_args *a);

/**
 * Replace @p a's argv with copies of @p argv.
 *
 * @param a
 *   The arguments.
 * @param argv
 *   @p n strings, none NULL; may be NULL when @p n is 0 (clears argv).
 * @param n
 *   How many.
 * @return
 *   0; -EINVAL for a NULL string; -ENOMEM, leaving @p a unchanged.
 */
int ct_create_args_set_argv(struct ct_create_args *a, const char *const *argv, unsigned int n);

/**
 * Replace @p a's env with copies of @p env.
 *
 * @param a
 *   The arguments.
 * @param env
 *   @p n "K=V" strings, none NULL; may be NULL when @p n is 0 (clears env).
 * @param n
 *   How many.
 * @return
 *   0; -EINVAL for a NULL string; -ENOMEM, leaving @p a unchanged.
 */
int ct_create_args_set_env(struct ct_create_args *a, const char *const *env, unsigned int n);

/**
 * Deep-copy @p src into @p dst.
 *
 * @param dst
 *   Overwritten without being released first.
 * @param src
 *   The arguments to copy.
 * @return
 *   0; -EINVAL when @p src's vectors hold a NULL string; -ENOMEM; on
 *   failure @p dst is left empty (initialised).
 */
int ct_create_args_copy(struct ct_create_args *dst, const struct ct_create_args *src);

/**
 * Validate every field of @p a (see struct ct_create_args for the rules).
 * Paths are checked for form only, not for existence.
 *
 * @param a
 *   The arguments.
 * @param err
 *   Receives a message naming the field and its value; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EINVAL.
 */
int ct_create_args_check(const struct ct_create_args *a, char *err, size_t errlen);

/**
 * Parse the params object of container.create into @p a and validate it
 * with ct_create_args_check().
 *
 * Keys: name (string), vni (integer), ip (string), gateway (string), mac
 * (string), mtu (integer), bundle (string), rootfs (string), argv (array
 * of strings), env (array of strings), memory (integer, bytes), cpus
 * (integer, millicores), pids (integer), runtime (string). name, vni and
 * ip are required; so is bundle, or rootfs with argv. null stands for an
 * absent gateway, mac, bundle, rootfs, argv, env or runtime. Any other key
 * is refused (there is no "cmd": the command is argv).
 *
 * @param params
 *   Borrowed; nothing of it is kept: strings are copied into @p a.
 * @param a
 *   Initialised by this function. On success the caller releases it with
 *   ct_create_args_fini(); on failure it holds nothing to release.
 * @param err
 *   Receives a message naming the key; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL for a missing, unknown, mistyped or invalid key; -ENOMEM.
 */
int ct_create_args_from_json(const json_t *params, struct ct_create_args *a, char *err,
			     size_t errlen);

/**
 * Build a new record from checked arguments: copy them, put ip and gateway
 * in canonical text, derive the MAC from the name when none is given,
 * resolve the runtime, derive the names, and set state CT_STATE_CREATING,
 * created to now, and bundle_dir to args.bundle (the caller sets it for a
 * rootfs container). Nothing is looked up on the system.
 *
 * @param rec
 *   Overwritten without being released first. On failure it holds
 *   nothing to release.
 * @param a
 *   The arguments; validated here with ct_create_args_check().
 * @param default_runtime
 *   The configured runtime, used when a->runtime is ""; NULL means
 *   CT_RUNTIME_DEFAULT. Must pass the same check as a->runtime.
 * @param err
 *   Receives a message; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL for invalid arguments or default runtime; -ENOMEM.
 */
int ct_rec_init(struct ct_rec *rec, const struct ct_create_args *a, const char *default_runtime,
		char *err, size_t errlen);

/**
 * Release a record's vectors and zero it.
 *
 * @param rec
 *   May be NULL.
 */
void ct_rec_fini(struct ct_rec *rec);

/**
 * Deep-copy @p src into @p dst.
 *
 * @param dst
 *   Overwritten without being released first.
 * @param src
 *   The record to copy.
 * @return
 *   0; -ENOMEM, leaving @p dst zeroed.
 */
int ct_rec_copy(struct ct_rec *dst, const struct ct_rec *src);

/**
 * Move @p src into @p dst: @p dst takes its vectors, @p src is zeroed.
 *
 * @param dst
 *   Overwritten without being released first.
 * @param src
 *   The record to move.
 */
void ct_rec_move(struct ct_rec *dst, struct ct_rec *src);

/**
 * Validate a record as a loaded file is validated: version, arguments
 * (ct_create_args_check()), MAC and runtime present, parsed forms matching
 * the text, the text of ip, gateway and mac canonical, derived names
 * matching the name, state, pid (> 0 when running), timestamps, devargs
 * and bundle_dir.
 *
 * @param rec
 *   The record.
 * @param err
 *   Receives a message naming the field; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EINVAL.
 */
int ct_rec_check(const struct ct_rec *rec, char *err, size_t errlen);

/**
 * Describe a record as JSON: the object written to the record file and
 * returned by container.show and container.list. Keys, in order: version,
 * name, vni, ip, gateway (null when none), mac, mtu, bundle and rootfs
 * (null when not given), argv, env, memory, cpus, pids, runtime, netns,
 * host_ifname, peer_ifname, ifname, port, devargs, bundle_dir, state (its
 * name), pid, created, started.
 *
 * @param rec
 *   The record.
 * @return
 *   A new reference owned by the caller, or NULL when out of memory.
 */
json_t *ct_rec_json(const struct ct_rec *rec);

/**
 * The inverse of ct_rec_json(): every key must be present with its type,
 * no other key is accepted, and the result must pass ct_rec_check().
 *
 * @param j
 *   Borrowed; nothing of it is kept.
 * @param rec
 *   Initialised by this function. On failure it holds nothing to release.
 * @param err
 *   Receives a message naming the key; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL; -ENOMEM.
 */
int ct_rec_from_json(const json_t *j, struct ct_rec *rec, char *err, size_t errlen);

/**
 * The path of a record's file, "<dir>/<name>.json".
 *
 * @param dir
 *   The state directory; NULL means CT_STATE_DIR_DEFAULT.
 * @param name
 *   A valid container name.
 * @param buf
 *   Receives the path.
 * @param len
 *   Size of @p buf.
 * @return
 *   0; -EINVAL for an invalid name; -ENAMETOOLONG.
 */
int ct_rec_path(const char *dir, const char *name, char *buf, size_t len);

/**
 * Write a record to "<dir>/<name>.json" atomically (see the file comment),
 * replacing any previous version, with mode 0600. Creates @p dir (mode
 * 0700, and its missing parents) when missing.
 *
 * @param dir
 *   The state directory; NULL means CT_STATE_DIR_DEFAULT.
 * @param rec
 *   Must pass ct_rec_check().
 * @return
 *   0; -EINVAL for an invalid record; -ENAMETOOLONG; -ENOMEM; or the
 *   -errno of a failed system call, in which case the old file (if any)
 *   is intact and no temp file is left.
 */
int ct_rec_save(const char *dir, const struct ct_rec *rec);

/**
 * Read and validate one record file. Refused: a file that is not a
 * regular file, is owned by another user than the effective one, is
 * writable by group or others, is larger than CT_REC_FILE_MAX, is not
 * valid JSON, fails ct_rec_from_json(), or whose name is not "<name>.json"
 * for the name it holds.
 *
 * @param path
 *   The file.
 * @param rec
 *   Initialised by this function. On failure it holds nothing to release.
 * @param err
 *   Receives a message starting with @p path; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL for invalid content; -EPERM for a wrong owner or mode;
 *   -EFBIG; -ENOMEM; or the -errno of open() or read() (-ENOENT...).
 */
int ct_rec_load(const char *path, struct ct_rec *rec, char *err, size_t errlen);

/**
 * Remove a record's file and flush the directory.
 *
 * @param dir
 *   The state directory; NULL means CT_STATE_DIR_DEFAULT.
 * @param name
 *   The container name.
 * @return
 *   0; -EINVAL for an invalid name; -ENOENT when there is no such file;
 *   or the -errno of unlink().
 */
int ct_rec_remove(const char *dir, const char *name);

/**
 * Load every record of a directory: call @p fn for each valid
 * "<name>.json" in name order; report and skip each invalid one; delete
 * leftover temp files that no writer holds (and report them). Other files
 * are ignored. Creates @p dir (mode 0700) when missing. Records are not
 * checked against each other: the caller runs ct_rec_unique() if it
 * needs to.
 *
 * @param dir
 *   The state directory; NULL means CT_STATE_DIR_DEFAULT. Refused when
 *   it is owned by another user or writable by group or others.
 * @param fn
 *   Called for each valid record; may be NULL to count them only.
 * @param report
 *   Called with a message for each file refused or deleted; may be NULL.
 * @param arg
 *   Passed to @p fn and @p report.
 * @param err
 *   Receives a message when the directory itself fails; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   The number of valid records (>= 0); -EPERM for an untrusted
 *   directory; -ENOMEM; the -errno of mkdir() or opendir(); or the
 *   negative value returned by @p fn, which stops the walk.
 */
int ct_rec_load_all(const char *dir, ct_rec_fn *fn, ct_rec_report_fn *report, void *arg, char *err,
		    size_t errlen);

/**
 * Check that a new container does not clash with existing ones: same
 * name, same host interface name (a hash collision, see the file
 * comment), or, within the same VNI, the same IP address or the same MAC.
 *
 * @param cand
 *   The new record (from ct_rec_init()).
 * @param recs
 *   The existing records; NULL entries and @p cand itself are skipped.
 * @param n
 *   How many in @p recs.
 * @param err
 *   Receives a message naming the field and the other container; may be
 *   NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EEXIST.
 */
int ct_rec_unique(const struct ct_rec *cand, const struct ct_rec *const *recs, size_t n, char *err,
		  size_t errlen);

/**
 * The name of a state, as in records and container.show.
 *
 * @param s
 *   The state.
 * @return
 *   "creating", "created", "running", "stopped" or "deleting"; "invalid"
 *   for anything else. A static string.
 */
const char *ct_state_name(enum ct_state s);

/**
 * Parse a state name (as ct_state_name() gives, case-sensitive).
 *
 * @param name
 *   The name.
 * @param s
 *   Receives the state.
 * @return
 *   0, or -EINVAL for an unknown name (@p s unchanged).
 */
int ct_state_from_name(const char *name, enum ct_state *s);

/**
 * Parse an IP address: "addr/prefix" when @p with_prefix, else a plain
 * address. Refused: bad syntax, prefix outside 1..32 or 1..128, addresses
 * that are not unicast host addresses (unspecified, loopback, multicast,
 * 0.0.0.0/8, 240.0.0.0/4, IPv4-mapped IPv6), and with a prefix of at most
 * 30, the IPv4 network and broadcast addresses.
 *
 * @param s
 *   The text.
 * @param with_prefix
 *   Whether "/prefix" is required (true) or refused (false).
 * @param ip
 *   Receives the address; its prefix is 0 without one.
 * @return
 *   0, or -EINVAL.
 */
int ct_rec_ip_parse(const char *s, bool with_prefix, struct ct_rec_ip *ip);

/**
 * Parse a MAC "xx:xx:xx:xx:xx:xx" (either case); any MAC is accepted,
 * multicast and zero included (ct_create_args_check() refuses those).
 *
 * @param s
 *   The text.
 * @param mac
 *   Receives the MAC; unchanged on failure.
 * @return
 *   0, or -EINVAL.
 */
int ct_rec_mac_parse(const char *s, uint8_t mac[6]);

/**
 * The default MAC of a container: 02 and 40 bits of a hash of @p name
 * (locally administered, unicast).
 *
 * @param name
 *   The container name.
 * @param mac
 *   Receives the MAC.
 */
void ct_rec_mac_from_name(const char *name, uint8_t mac[6]);

/**
 * The host veth name of a container: "mfh" and 12 hex digits of a hash of
 * @p name (15 characters).
 *
 * @param name
 *   The container name.
 * @param buf
 *   Receives the name; CT_IFNAME_LEN bytes are enough.
 * @param len
 *   Size of @p buf.
 */
void ct_rec_host_ifname(const char *name, char *buf, size_t len);

#endif /* CT_STATE_H */
