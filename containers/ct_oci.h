/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * OCI bundles and the OCI runtime (runc, crun).
 *
 * Bundles. ct_oci_bundle_write() turns an argument struct into an OCI
 * runtime-spec 1.0 bundle: `<bundle>/config.json`, written atomically
 * (temporary file, fsync, rename, fsync of the directory). The container
 * gets new pid, ipc, uts and mount namespaces, joins the network namespace
 * it is given (`/run/netns/NAME`), and never a user namespace: mflowd runs
 * as root. Three root file systems are possible:
 *
 * - a directory (an unpacked image), writable by the container;
 * - CT_OCI_ROOTFS_HOST ("host"): `<bundle>/rootfs/` holds empty mount
 *   points, and the host's /usr and /etc (and /bin, /sbin, /lib, /lib64
 *   where they are directories) are bind-mounted read-only; where the host
 *   has them as symbolic links (merged /usr), the same links are made in
 *   the rootfs instead. The root itself is read-only. Host tools
 *   (coap-server-notls, sockperf, ping, sh, sleep) run without an image;
 * - a user's bundle (a directory with config.json): its config.json is
 *   read, copied with our changes into our bundle directory (network
 *   namespace, cgroups path, limits, arguments; see ct_oci_bundle_args),
 *   and never modified itself.
 *
 * The runtime. struct ct_runtime names the binary, its state directory
 * (`--root`, our own, so that mflowd's containers never mix with others)
 * and the time limit of each call. Every call forks and execs the runtime
 * with stdin on /dev/null and stdout/stderr on pipes that are read with
 * poll() (no deadlock on full pipes), waits for it with a deadline (a
 * pidfd, or a waitpid(WNOHANG) loop where pidfds are missing), kills its
 * process group with SIGKILL when the deadline passes, and always reaps
 * it: no zombie and no descriptor (everything is O_CLOEXEC, and the child
 * marks every descriptor above 2 close-on-exec) is left behind.
 *
 * Children are awaited with waitpid() on their own pid: a caller that
 * reaps every child (waitpid(-1) in a SIGCHLD handler) or sets SIGCHLD to
 * SIG_IGN breaks these calls (they then fail with -ECHILD).
 *
 * Hybrid cgroups and crun. On a host that mounts cgroup v1 controllers and
 * also a cgroup2 hierarchy without controllers (e.g. at
 * /sys/fs/cgroup/unified), crun 1.8 refuses to create containers ("cgroups
 * in hybrid mode not supported"). With ct_runtime::hide_cgroup2 set, each
 * call of the runtime runs in a private mount namespace of its own
 * (unshare(CLONE_NEWNS), "/" made private recursively) where every cgroup2
 * mount found in /proc/self/mountinfo is detached, so crun sees cgroup v1
 * only. Nothing changes in the caller's mount namespace.
 * ct_runtime_init() sets the flag for crun when the host has both kinds of
 * mounts; runc handles hybrid hosts itself.
 *
 * The process of our own bundles runs as root (uid 0), with runc's default
 * capabilities plus CAP_NET_RAW (ping) and CAP_NET_BIND_SERVICE, no new
 * privileges, and the resource limits (rlimits) of the runtime, which are
 * the caller's: none is set, as raising one needs CAP_SYS_RESOURCE.
 *
 * Containers started detached have their stdin on /dev/null and stdout and
 * stderr on `<bundle>/console.log` (created or truncated by
 * ct_runtime_create(); it is not rotated).
 *
 * The runtime runs with an environment of its own (only PATH), so that
 * nothing of the caller's (NOTIFY_SOCKET, LISTEN_FDS, ...) reaches it.
 *
 * Errors. Every function returns 0 or -errno and, when given a buffer,
 * writes a one-line message on failure. When the runtime itself fails, the
 * message is the most telling line of its stderr ("runc start: container
 * not running", with runc's `time=... level=error msg="..."` wrapping
 * removed).
 */
#ifndef CT_OCI_H
#define CT_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The rootfs value that selects the host's own tools (see the file overview). */
#define CT_OCI_ROOTFS_HOST "host"
/** Most arguments of a container's process or of an exec. */
#define CT_OCI_MAX_ARGS 64
/** Most environment entries of a container's process. */
#define CT_OCI_MAX_ENV 256
/** Longest container name. */
#define CT_OCI_NAME_MAX 63
/** The PATH a container gets when its environment has none. */
#define CT_OCI_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/** Smallest memory limit accepted (the runtime's own init needs a few MiB). */
#define CT_OCI_MEMORY_MIN (4ULL << 20)
/** CPU period of the CFS quota derived from millicores, in microseconds. */
#define CT_OCI_CPU_PERIOD_US 100000
/** The time limit of each runtime call when none is given, in ms. */
#define CT_RUNTIME_TIMEOUT_MS 15000
/** The default wait of ct_runtime_check_running(), in ms. */
#define CT_RUNTIME_CHECK_MS 200

/** Resource limits of a container; 0 means no limit. */
struct ct_oci_limits {
	uint64_t memory_bytes; /**< Memory limit in bytes: 0, or CT_OCI_MEMORY_MIN and more. */
	uint32_t cpu_millis;   /**< CPU in thousandths of a CPU: 0, or 10..1000000. */
	uint32_t pids_max;     /**< Most processes (tasks): 0, or 1..4194304. */
};

/** What ct_oci_bundle_write() makes. Strings are borrowed for the call only. */
struct ct_oci_bundle_args {
	/** Container name, also the hostname: 1..63 of [A-Za-z0-9_.-], starting alphanumeric. */
	const char *name;
	/** Our bundle directory, absolute; created (mode 0700, parent must exist) if missing. */
	const char *bundle_dir;
	/**
	 * An existing directory to use as the root file system, or
	 * CT_OCI_ROOTFS_HOST. NULL when @p user_bundle is given (exactly one
	 * of the two).
	 */
	const char *rootfs;
	/**
	 * A user's bundle directory holding config.json, or NULL. Its
	 * root.path must exist (relative paths are taken from the bundle
	 * directory, as the runtimes do); relative bind-mount sources are made
	 * absolute in our copy; process.terminal is forced off (the container
	 * runs detached). The other fields below override the user's
	 * configuration only when set: @p argv replaces process.args, @p env
	 * and @p cwd replace process.env and process.cwd, non-zero limits and
	 * @p cgroup_path replace theirs, and @p netns_path becomes the path of
	 * its network namespace (added if the configuration has none).
	 */
	const char *user_bundle;
	/** The process: NULL-terminated, 1..CT_OCI_MAX_ARGS entries, argv[0] not empty. */
	const char *const *argv;
	/**
	 * Environment, NULL-terminated "KEY=VALUE" entries (at most
	 * CT_OCI_MAX_ENV), or NULL; CT_OCI_DEFAULT_PATH is added when no entry
	 * sets PATH.
	 */
	const char *const *env;
	/** Working directory inside the container, absolute; NULL means "/". */
	const char *cwd;
	/**
	 * Network namespace to join, an existing absolute path such as
	 * /run/netns/NAME; NULL gives the container a new, empty one.
	 */
	const char *netns_path;
	/**
	 * cgroups path such as /mflowd/NAME (absolute, no "." or ".."
	 * components); NULL leaves the choice to the runtime.
	 */
	const char *cgroup_path;
	/** Resource limits. */
	struct ct_oci_limits lim;
};

/**
 * Check a container name (see ct_oci_bundle_args::name).
 *
 * @return
 *   0, or -EINVAL with a message.
 */
int ct_oci_name_check(const char *name, char *err, size_t errlen);

/**
 * Write an OCI bundle: check every argument first, then create the bundle
 * directory if needed (and `rootfs/` in host mode) and replace
 * `<bundle_dir>/config.json` atomically. On failure nothing is left that
 * was not there before: a directory this call created is removed, and an
 * existing config.json is kept as it was.
 *
 * @param a
 *   What to write.
 * @return
 *   0 on success;
 *   -EINVAL for a bad argument (name, argv, env, cwd, paths, limits, a
 *   user configuration that is not valid JSON or lacks what is needed, a
 *   user bundle that is our bundle directory);
 *   -ENOENT when the rootfs directory, the user bundle, its config.json or
 *   root path, the network namespace or the bundle's parent is missing;
 *   -EEXIST when a host-mode rootfs entry exists as something else than
 *   what we would make; -ENOTDIR, -ENAMETOOLONG, -ENOMEM, or the errno of
 *   a failed file operation (-EACCES, -ENOSPC, ...).
 */
int ct_oci_bundle_write(const struct ct_oci_bundle_args *a, char *err, size_t errlen);

/**
 * Remove what ct_oci_bundle_write() and the runtime calls put in a bundle
 * directory (config.json, console.log, init.pid, the host-mode rootfs of
 * empty mount points and links) and then the directory. Nothing is removed
 * recursively: anything else found there stops the removal with
 * -ENOTEMPTY. Call it after the container was deleted.
 *
 * @return
 *   0 (also when the directory does not exist), -EINVAL for a relative or
 *   NULL path, -ENOTEMPTY, or the errno of unlink()/rmdir().
 */
int ct_oci_bundle_remove(const char *bundle_dir);

/** The runtime, as far as its command line differs. */
enum ct_runtime_kind {
	CT_RUNTIME_RUNC,  /**< runc. */
	CT_RUNTIME_CRUN,  /**< crun. */
	CT_RUNTIME_OTHER, /**< Any other binary, assumed to take runc's command line. */
};

/** An OCI runtime and how to call it. Plain data: no destructor needed. */
struct ct_runtime {
	char bin[256];		   /**< Absolute path of the binary. */
	char root[256];		   /**< State directory given as --root. */
	enum ct_runtime_kind kind; /**< From the binary's name. */
	bool hide_cgroup2;	   /**< Run each call with the cgroup2 mounts hidden (see @file). */
	unsigned int timeout_ms;   /**< Time limit of each call (exec has its own). */
};

/**
 * Find the runtime and prepare its state directory.
 *
 * @param rt
 *   Filled in. hide_cgroup2 and timeout_ms (CT_RUNTIME_TIMEOUT_MS) get
 *   their defaults; the caller may change them afterwards.
 * @param name_or_path
 *   A name looked up in PATH and then in the usual sbin/bin directories
 *   ("runc", "crun"), or an absolute path. The kind follows the file name.
 * @param state_root
 *   Absolute path of the state directory, e.g. /run/mflowd/runc; created
 *   (mode 0700, with missing parents) if needed.
 * @return
 *   0; -ENOENT when the binary is not found ("OCI runtime 'crun' not
 *   found"); -EACCES when it is not executable; -EINVAL for an empty name,
 *   a relative path with a slash or a relative state root; -ENAMETOOLONG;
 *   or the errno of mkdir().
 */
int ct_runtime_init(struct ct_runtime *rt, const char *name_or_path, const char *state_root,
		    char *err, size_t errlen);

/**
 * Create a container, detached: `<rt> --root R create --bundle B
 * --pid-file B/init.pid NAME`, with the runtime's (and so the container's)
 * stdin on /dev/null and stdout and stderr on B/console.log, which is
 * truncated first; the runtime's own error message is read back from it.
 * If the call fails after the runtime started to record the container, the
 * container is deleted again (forcibly).
 *
 * @param bundle
 *   Absolute path of a bundle directory with config.json.
 * @return
 *   0; -EEXIST when the runtime already has a container of that name
 *   (nothing is done); -EINVAL for a bad name or bundle path; -ENOENT when
 *   the bundle has no config.json; -EIO when the runtime failed;
 *   -ETIMEDOUT when it overran rt->timeout_ms (it was killed); or the
 *   errno of a failed fork/exec/open.
 */
int ct_runtime_create(const struct ct_runtime *rt, const char *name, const char *bundle, char *err,
		      size_t errlen);

/**
 * Start a created container (`start NAME`).
 *
 * @return
 *   0; -ENOENT when the runtime does not know the container; -EINVAL for
 *   a bad name; -EIO when the runtime failed (e.g. not in the created
 *   state); -ETIMEDOUT.
 */
int ct_runtime_start(const struct ct_runtime *rt, const char *name, char *err, size_t errlen);

/** A container's state as the runtime reports it. */
struct ct_runtime_state {
	char status[16]; /**< "creating", "created", "running", "paused" or "stopped". */
	int pid;	 /**< Its init's pid in our pid namespace; 0 when there is none. */
};

/**
 * Query a container's state (`state NAME`, whose JSON answer is parsed).
 *
 * @return
 *   0; -ENOENT when the runtime does not know the container; -EINVAL for a
 *   bad name; -EIO when the runtime failed or its answer lacks a status;
 *   -ETIMEDOUT.
 */
int ct_runtime_state(const struct ct_runtime *rt, const char *name, struct ct_runtime_state *st,
		     char *err, size_t errlen);

/**
 * Send a signal to a container's init (`kill NAME SIGNUM`). Note that the
 * init is pid 1 of its pid namespace: signals it does not handle, such as
 * SIGTERM for `sleep`, are ignored; ct_runtime_stop() escalates.
 *
 * @param sig
 *   Signal number, 1..64.
 * @return
 *   0; -ENOENT when the runtime does not know the container; -EINVAL; -EIO
 *   when the runtime failed (e.g. the container is not running);
 *   -ETIMEDOUT.
 */
int ct_runtime_kill(const struct ct_runtime *rt, const char *name, int sig, char *err,
		    size_t errlen);

/**
 * Delete a container (`delete [--force] NAME`), which must be stopped or
 * created unless @p force is set (then it is killed first).
 *
 * @return
 *   0; -ENOENT when the runtime does not know the container; -EINVAL; -EIO
 *   when the runtime failed (e.g. still running); -ETIMEDOUT.
 */
int ct_runtime_delete(const struct ct_runtime *rt, const char *name, bool force, char *err,
		      size_t errlen);

/** Arguments and results of ct_runtime_exec(). */
struct ct_runtime_exec_args {
	const char *name;	 /**< Container. */
	const char *const *argv; /**< Command, NULL-terminated, 1..CT_OCI_MAX_ARGS entries. */
	char *out;		 /**< Receives stdout and stderr as they come, NUL-terminated. */
	size_t outlen;		 /**< Size of @p out, at least 1. */
	unsigned int timeout_ms; /**< Time limit; 0 means the runtime's timeout_ms. */
	int status;		 /**< Result: exit status, or 128 + signal number. */
	size_t out_used;	 /**< Result: bytes stored in @p out (without the NUL). */
	bool truncated;		 /**< Result: the output did not fit and was cut. */
};

/**
 * Run a command in a running container (`exec --pid-file F NAME argv...`)
 * and wait for it, collecting its output (bytes beyond @p outlen - 1 are
 * read and dropped, so the command never blocks on a full pipe). On
 * timeout the runtime and the command (by the pid file) are killed with
 * SIGKILL. The command's own failure is no error: it shows in @p status
 * (runc and crun exit with 255 when the command cannot be started), and
 * @p err then gets a line with the status and the runtime's most telling
 * stderr line (the return value stays 0).
 *
 * @param a
 *   Arguments; status, out_used and truncated are written.
 * @return
 *   0 when the runtime ran to its end (whatever the status); -ENOENT when
 *   the status is not 0 and the runtime does not know the container;
 *   -EINVAL for bad arguments; -ETIMEDOUT (output so far is in @p out); or
 *   the errno of a failed fork/exec/pipe.
 */
int ct_runtime_exec(const struct ct_runtime *rt, struct ct_runtime_exec_args *a, char *err,
		    size_t errlen);

/**
 * Check that a container just started did not exit at once: watch its
 * init for @p wait_ms (with a pidfd where the kernel has them, otherwise by
 * polling the state), then confirm with the runtime.
 *
 * @param bundle
 *   Its bundle directory, for the tail of console.log; NULL to skip it.
 * @param wait_ms
 *   How long to watch; 0 means CT_RUNTIME_CHECK_MS.
 * @return
 *   0 when it has not stopped (running, or created and never started);
 *   -ECHILD when it stopped (the message
 *   carries the last line of console.log); -ENOENT when the runtime does
 *   not know it; -EIO or -ETIMEDOUT from ct_runtime_state().
 */
int ct_runtime_check_running(const struct ct_runtime *rt, const char *name, const char *bundle,
			     unsigned int wait_ms, char *err, size_t errlen);

/**
 * Stop a container: SIGTERM, up to @p grace_ms for it to stop, then
 * SIGKILL and up to rt->timeout_ms more. A container that is not running
 * (created, stopped) is left as it is.
 *
 * @return
 *   0 when the container is stopped (or was not running); -ENOENT when
 *   the runtime does not know it; -ETIMEDOUT when even SIGKILL did not
 *   stop it in time; -EIO.
 */
int ct_runtime_stop(const struct ct_runtime *rt, const char *name, unsigned int grace_ms, char *err,
		    size_t errlen);

/**
 * Remove the cgroup @p path (such as the parent the containers' cgroups are
 * made under) from every cgroup hierarchy mounted, v1 and v2, where it is
 * empty: one that still has processes or child cgroups is left.
 *
 * @return
 *   The number of directories removed (0 when there was nothing to do),
 *   -EINVAL for a path that is not absolute or has "..", -ENOMEM, or the
 *   -errno of reading /proc/self/mountinfo.
 */
int ct_cgroup_prune(const char *path);

#endif /* CT_OCI_H */
