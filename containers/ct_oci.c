/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OCI bundles (config.json from an argument struct, or a patched copy of a
 * user's) and the OCI runtime's command line (runc, crun), run as bounded
 * child processes. See ct_oci.h for the overview.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ct_oci.h"

/** Longest single argument or environment entry. */
#define ARG_MAX_LEN 32768
/** Largest cpu_millis: a thousand CPUs. */
#define CPU_MILLIS_MAX 1000000u
/** Smallest cpu_millis: the kernel's smallest CFS quota is 1 ms per 100 ms period. */
#define CPU_MILLIS_MIN 10u
/** Largest pids_max (the kernel's PID_MAX_LIMIT). */
#define PIDS_MAX_MAX 4194304u
/** Bytes of a runtime's stdout kept (state answers are far smaller). */
#define RUN_OUT_MAX 65536
/** Bytes of a runtime's stderr kept to pick the error message from. */
#define RUN_ERR_MAX 4096
/** How long a child killed on timeout may take to be reaped, in ms. */
#define REAP_MS 5000
/** Poll period when no pidfd is available, in ms. */
#define TICK_MS 10
/** Poll period of container state checks without a pidfd, in ms. */
#define STATE_TICK_MS 20
/** Most cgroup2 mounts hidden from a runtime call. */
#define CG2_MAX 4
/** Most cgroup mounts (v1 hierarchies and cgroup2) ct_cgroup_prune() looks at. */
#define CGROUP_MOUNTS_MAX 32
/** The environment of the runtime processes: nothing of ours leaks into them. */
#define RUNTIME_PATH CT_OCI_DEFAULT_PATH
/** Directories searched for the runtime after PATH. */
static const char default_dirs[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Capabilities of a container's process: runc's default set, plus CAP_NET_RAW for ping. */
static const char *const caps[] = {
	"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", NULL,
};

/** Host directories offered read-only in host rootfs mode, in mount order. */
static const char *const host_dirs[] = {"usr", "bin", "sbin", "lib", "lib64", "etc", NULL};

/** Empty mount points of the host rootfs for the kernel file systems. */
static const char *const host_mnts[] = {"proc", "dev", "sys", "tmp", NULL};

/** Paths the runtime hides from the container (runc's defaults). */
static const char *const masked_paths[] = {
	"/proc/acpi",
	"/proc/asound",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/sys/firmware",
	"/proc/scsi",
	NULL,
};

/** Paths the runtime makes read-only in the container (runc's defaults). */
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/** Files of a bundle directory besides rootfs/. */
#define F_CONFIG  "config.json"
#define F_CONSOLE "console.log"
#define F_PIDFILE "init.pid"
/** Prefix of the temporary files config.json is written through. */
#define F_TMP_PREFIX ".config.json."

/* ------------------------------------------------------------------------- */
/* Small helpers. */

/** Write a message into @p err (when given) and return @p rc. */
static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/** Milliseconds of CLOCK_MONOTONIC. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** Sleep @p ms milliseconds (signals may cut it short, which callers tolerate). */
static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/** Join @p dir and @p name into @p buf; -ENAMETOOLONG when it does not fit. */
static int
path_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/** Count the entries of a NULL-terminated vector, stopping after @p max + 1. */
static size_t
strv_count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (v[n] != NULL && n <= max)
		n++;
	return n;
}

/** Close @p *fd if open and mark it closed. */
static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ------------------------------------------------------------------------- */
/* Argument checks. */

int
ct_oci_name_check(const char *name, char *err, size_t errlen)
{
	size_t i, n;

	if (name == NULL || name[0] == '\0')
		return fail(err, errlen, -EINVAL, "container name is empty");
	n = strlen(name);
	if (n > CT_OCI_NAME_MAX)
		return fail(err, errlen, -EINVAL, "container name '%.16s...' is longer than %d",
			    name, CT_OCI_NAME_MAX);
	if (!isalnum((unsigned char)name[0]))
		return fail(err, errlen, -EINVAL,
			    "container name '%s' must start with a letter or digit", name);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return fail(err, errlen, -EINVAL,
				    "container name '%s' has a character other than "
				    "[A-Za-z0-9_.-]",
				    name);
	}
	return 0;
}

/** Whether @p s is valid UTF-8, as every JSON string must be. */
static bool
is_utf8(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/** Check that @p p is a usable absolute path; @p what names it in the message. */
static int
check_abs(const char *p, const char *what, char *err, size_t errlen)
{
	if (p == NULL || p[0] == '\0')
		return fail(err, errlen, -EINVAL, "%s is missing", what);
	if (p[0] != '/')
		return fail(err, errlen, -EINVAL, "%s '%s' is not an absolute path", what, p);
	if (strlen(p) >= PATH_MAX - 64)
		return fail(err, errlen, -ENAMETOOLONG, "%s is too long", what);
	if (!is_utf8(p))
		return fail(err, errlen, -EINVAL, "%s is not valid UTF-8", what);
	return 0;
}

/** Check a cgroups path: absolute, without empty, "." or ".." components. */
static int
check_cgroup_path(const char *p, char *err, size_t errlen)
{
	const char *c = p;
	int rc;

	rc = check_abs(p, "cgroup path", err, errlen);
	if (rc < 0)
		return rc;
	if (strlen(p) > 200)
		return fail(err, errlen, -EINVAL, "cgroup path is longer than 200 characters");
	while (*c == '/') {
		const char *end = strchrnul(c + 1, '/');
		size_t len = (size_t)(end - c - 1);

		if (len == 0 || (len == 1 && c[1] == '.') ||
		    (len == 2 && c[1] == '.' && c[2] == '.'))
			return fail(err, errlen, -EINVAL,
				    "cgroup path '%s' has an empty, '.' or '..' component", p);
		c = end;
	}
	return 0;
}

/** Check a process argument vector (@p what names it). */
static int
check_argv(const char *const *argv, const char *what, char *err, size_t errlen)
{
	size_t i, n;

	if (argv == NULL || argv[0] == NULL)
		return fail(err, errlen, -EINVAL, "%s is empty", what);
	n = strv_count(argv, CT_OCI_MAX_ARGS);
	if (n > CT_OCI_MAX_ARGS)
		return fail(err, errlen, -EINVAL, "%s has more than %d arguments", what,
			    CT_OCI_MAX_ARGS);
	if (argv[0][0] == '\0')
		return fail(err, errlen, -EINVAL, "%s: the program name is empty", what);
	if (argv[0][0] == '-')
		return fail(err, errlen, -EINVAL, "%s: the program name '%s' starts with '-'", what,
			    argv[0]);
	for (i = 0; i < n; i++) {
		if (strlen(argv[i]) > ARG_MAX_LEN)
			return fail(err, errlen, -EINVAL, "%s: argument %zu is longer than %d",
				    what, i, ARG_MAX_LEN);
		if (!is_utf8(argv[i]))
			return fail(err, errlen, -EINVAL, "%s: argument %zu is not valid UTF-8",
				    what, i);
	}
	return 0;
}

/** Check an environment vector; NULL is fine. */
static int
check_env(const char *const *env, char *err, size_t errlen)
{
	size_t i, n;

	if (env == NULL)
		return 0;
	n = strv_count(env, CT_OCI_MAX_ENV);
	if (n > CT_OCI_MAX_ENV)
		return fail(err, errlen, -EINVAL, "environment has more than %d entries",
			    CT_OCI_MAX_ENV);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');

		if (eq == NULL || eq == env[i])
			return fail(err, errlen, -EINVAL,
				    "environment entry '%.64s' is not KEY=VALUE", env[i]);
		if (strlen(env[i]) > ARG_MAX_LEN)
			return fail(err, errlen, -EINVAL, "environment entry %zu is longer than %d",
				    i, ARG_MAX_LEN);
		if (!is_utf8(env[i]))
			return fail(err, errlen, -EINVAL,
				    "environment entry %zu is not valid UTF-8", i);
	}
	return 0;
}

/** Check the resource limits. */
static int
check_limits(const struct ct_oci_limits *l, char *err, size_t errlen)
{
	if (l->memory_bytes != 0 && l->memory_bytes < CT_OCI_MEMORY_MIN)
		return fail(err, errlen, -EINVAL,
			    "memory limit %llu bytes is below the minimum of %llu",
			    (unsigned long long)l->memory_bytes,
			    (unsigned long long)CT_OCI_MEMORY_MIN);
	if (l->memory_bytes > (uint64_t)INT64_MAX)
		return fail(err, errlen, -EINVAL, "memory limit %llu bytes is too large",
			    (unsigned long long)l->memory_bytes);
	if (l->cpu_millis != 0 &&
	    (l->cpu_millis < CPU_MILLIS_MIN || l->cpu_millis > CPU_MILLIS_MAX))
		return fail(err, errlen, -EINVAL, "CPU limit %u millicores is outside %u..%u",
			    l->cpu_millis, CPU_MILLIS_MIN, CPU_MILLIS_MAX);
	if (l->pids_max > PIDS_MAX_MAX)
		return fail(err, errlen, -EINVAL, "pids limit %u is above %u", l->pids_max,
			    PIDS_MAX_MAX);
	return 0;
}

/** Check that @p p exists (and is a directory when @p dir); @p what names it. */
static int
check_exists(const char *p, bool dir, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (stat(p, &st) < 0)
		return fail(err, errlen, -errno, "%s '%s': %s", what, p, strerror(errno));
	if (dir && !S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOTDIR, "%s '%s' is not a directory", what, p);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Bundle plan: everything decided before anything is written. */

/** One host directory of the host rootfs. */
struct host_ent {
	const char *name; /**< Entry name, e.g. "bin". */
	bool link;	  /**< The host has it as a symbolic link, copied as such. */
	char target[128]; /**< The link's target when @p link. */
};

/** What ct_oci_bundle_write() will do, found out without side effects. */
struct bundle_plan {
	bool host;		 /**< Host rootfs mode. */
	char rootfs[PATH_MAX];	 /**< Absolute rootfs path for config.json. */
	char user_dir[PATH_MAX]; /**< Resolved user bundle directory. */
	json_t *user_cfg;	 /**< The user's configuration (owned). */
	struct host_ent ents[8]; /**< Host entries (host mode). */
	unsigned int n_ents;	 /**< Used entries of @p ents. */
	bool bundle_exists;	 /**< The bundle directory is already there. */
};

/** Inspect the host's directories for host rootfs mode. */
static int
plan_host(struct bundle_plan *p, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; host_dirs[i] != NULL; i++) {
		struct host_ent *e = &p->ents[p->n_ents];
		char path[64];
		struct stat st;
		ssize_t n;

		snprintf(path, sizeof(path), "/%s", host_dirs[i]);
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(err, errlen, -errno, "host rootfs: %s: %s", path,
				    strerror(errno));
		}
		e->name = host_dirs[i];
		e->link = S_ISLNK(st.st_mode);
		if (e->link) {
			n = readlink(path, e->target, sizeof(e->target) - 1);
			if (n < 0)
				return fail(err, errlen, -errno, "host rootfs: readlink %s: %s",
					    path, strerror(errno));
			if ((size_t)n >= sizeof(e->target) - 1)
				return fail(err, errlen, -ENAMETOOLONG,
					    "host rootfs: the link %s is too long", path);
			e->target[n] = '\0';
		} else if (!S_ISDIR(st.st_mode)) {
			continue;
		}
		p->n_ents++;
	}
	return 0;
}

/** Load and check a user bundle's configuration. */
static int
plan_user(const struct ct_oci_bundle_args *a, struct bundle_plan *p, char *err, size_t errlen)
{
	char cfg_path[PATH_MAX], root[PATH_MAX], bundle_real[PATH_MAX];
	json_t *process, *jroot, *jpath, *jargs;
	json_error_t jerr;
	const char *rp;
	int rc;

	if (realpath(a->user_bundle, p->user_dir) == NULL)
		return fail(err, errlen, -errno, "user bundle '%s': %s", a->user_bundle,
			    strerror(errno));
	rc = check_exists(p->user_dir, true, "user bundle", err, errlen);
	if (rc < 0)
		return rc;
	if (p->bundle_exists && realpath(a->bundle_dir, bundle_real) != NULL &&
	    strcmp(bundle_real, p->user_dir) == 0)
		return fail(err, errlen, -EINVAL,
			    "the bundle directory must not be the user bundle '%s'", p->user_dir);
	if (path_join(cfg_path, sizeof(cfg_path), p->user_dir, F_CONFIG) < 0)
		return fail(err, errlen, -ENAMETOOLONG, "user bundle path is too long");
	rc = check_exists(cfg_path, false, "user bundle config", err, errlen);
	if (rc < 0)
		return rc;
	p->user_cfg = json_load_file(cfg_path, JSON_REJECT_DUPLICATES, &jerr);
	if (p->user_cfg == NULL)
		return fail(err, errlen, -EINVAL, "%s: line %d: %s", cfg_path, jerr.line,
			    jerr.text);
	if (!json_is_object(p->user_cfg))
		return fail(err, errlen, -EINVAL, "%s: not a JSON object", cfg_path);
	process = json_object_get(p->user_cfg, "process");
	if (!json_is_object(process))
		return fail(err, errlen, -EINVAL, "%s: no \"process\" object", cfg_path);
	jargs = json_object_get(process, "args");
	if (a->argv == NULL && (!json_is_array(jargs) || json_array_size(jargs) == 0))
		return fail(err, errlen, -EINVAL, "%s: no process.args and no arguments given",
			    cfg_path);
	jroot = json_object_get(p->user_cfg, "root");
	jpath = json_object_get(jroot, "path");
	if (!json_is_string(jpath) || json_string_length(jpath) == 0)
		return fail(err, errlen, -EINVAL, "%s: no root.path", cfg_path);
	rp = json_string_value(jpath);
	if (rp[0] == '/')
		rc = snprintf(root, sizeof(root), "%s", rp);
	else
		rc = snprintf(root, sizeof(root), "%s/%s", p->user_dir, rp);
	if (rc < 0 || (size_t)rc >= sizeof(root))
		return fail(err, errlen, -ENAMETOOLONG, "%s: root.path is too long", cfg_path);
	if (realpath(root, p->rootfs) == NULL)
		return fail(err, errlen, -errno, "%s: root.path '%s': %s", cfg_path, rp,
			    strerror(errno));
	return check_exists(p->rootfs, true, "user bundle root.path", err, errlen);
}

/** Check every argument and find out what to do; nothing is changed. */
static int
plan_bundle(const struct ct_oci_bundle_args *a, struct bundle_plan *p, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(p, 0, sizeof(*p));
	if (a == NULL)
		return fail(err, errlen, -EINVAL, "no bundle arguments");
	rc = ct_oci_name_check(a->name, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_abs(a->bundle_dir, "bundle directory", err, errlen);
	if (rc < 0)
		return rc;
	if ((a->rootfs == NULL) == (a->user_bundle == NULL))
		return fail(err, errlen, -EINVAL, "give exactly one of rootfs and user bundle");
	if (a->user_bundle == NULL || a->argv != NULL) {
		rc = check_argv(a->argv, "process arguments", err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = check_env(a->env, err, errlen);
	if (rc < 0)
		return rc;
	if (a->cwd != NULL) {
		rc = check_abs(a->cwd, "working directory", err, errlen);
		if (rc < 0)
			return rc;
	}
	if (a->netns_path != NULL) {
		rc = check_abs(a->netns_path, "network namespace path", err, errlen);
		if (rc < 0)
			return rc;
		if (stat(a->netns_path, &st) < 0)
			return fail(err, errlen, -errno, "network namespace '%s': %s",
				    a->netns_path, strerror(errno));
	}
	if (a->cgroup_path != NULL) {
		rc = check_cgroup_path(a->cgroup_path, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = check_limits(&a->lim, err, errlen);
	if (rc < 0)
		return rc;

	/* The bundle directory: existing, or its parent must exist. */
	if (stat(a->bundle_dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return fail(err, errlen, -ENOTDIR,
				    "bundle directory '%s' is not a directory", a->bundle_dir);
		p->bundle_exists = true;
	} else if (errno != ENOENT) {
		return fail(err, errlen, -errno, "bundle directory '%s': %s", a->bundle_dir,
			    strerror(errno));
	} else {
		char parent[PATH_MAX];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", a->bundle_dir);
		/* Trailing slashes do not count: "/a/b/" is in "/a". */
		slash = parent + strlen(parent) - 1;
		while (slash > parent && *slash == '/')
			*slash-- = '\0';
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else
			*slash = '\0';
		rc = check_exists(parent, true, "bundle parent directory", err, errlen);
		if (rc < 0)
			return rc;
	}

	if (a->user_bundle != NULL)
		return plan_user(a, p, err, errlen);
	if (strcmp(a->rootfs, CT_OCI_ROOTFS_HOST) == 0) {
		p->host = true;
		if (path_join(p->rootfs, sizeof(p->rootfs), a->bundle_dir, "rootfs") < 0)
			return fail(err, errlen, -ENAMETOOLONG, "bundle directory is too long");
		if (lstat(p->rootfs, &st) == 0 && !S_ISDIR(st.st_mode))
			return fail(err, errlen, -ENOTDIR, "'%s' exists and is not a directory",
				    p->rootfs);
		return plan_host(p, err, errlen);
	}
	rc = check_abs(a->rootfs, "rootfs", err, errlen);
	if (rc < 0)
		return rc;
	if (realpath(a->rootfs, p->rootfs) == NULL)
		return fail(err, errlen, -errno, "rootfs '%s': %s", a->rootfs, strerror(errno));
	return check_exists(p->rootfs, true, "rootfs", err, errlen);
}

/* ------------------------------------------------------------------------- */
/* JSON building. The helpers return new references or NULL (out of memory). */

/** A JSON array of the strings of a NULL-terminated vector. */
static json_t *
strv_json(const char *const *v)
{
	json_t *arr = json_array();
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; v[i] != NULL; i++)
		if (json_array_append_new(arr, json_string(v[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/** The environment: @p env (or nothing) plus the default PATH when it has none. */
static json_t *
env_json(const char *const *env)
{
	static const char *const none[] = {NULL};
	json_t *arr = strv_json(env != NULL ? env : none);
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			return arr;
	if (json_array_insert_new(arr, 0, json_string(CT_OCI_DEFAULT_PATH)) < 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/** Append a mount entry; @p opts is NULL-terminated or NULL. Returns 0 or -ENOMEM. */
static int
add_mount(json_t *mounts, const char *dest, const char *type, const char *src,
	  const char *const *opts)
{
	json_t *m;

	m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", src);
	if (m == NULL)
		return -ENOMEM;
	if (opts != NULL && json_object_set_new(m, "options", strv_json(opts)) < 0) {
		json_decref(m);
		return -ENOMEM;
	}
	return json_array_append_new(mounts, m) < 0 ? -ENOMEM : 0;
}

/** The mounts of our own bundles. */
static json_t *
mounts_json(const struct bundle_plan *p)
{
	static const char *const o_dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
					    NULL};
	static const char *const o_pts[] = {"nosuid",	 "noexec", "newinstance", "ptmxmode=0666",
					    "mode=0620", "gid=5",  NULL};
	static const char *const o_shm[] = {"nosuid",	 "noexec",	"nodev",
					    "mode=1777", "size=65536k", NULL};
	static const char *const o_mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const o_sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const o_tmp[] = {"nosuid", "nodev", "mode=1777", "size=65536k", NULL};
	static const char *const o_bind[] = {"rbind", "ro", "nosuid", "nodev", NULL};
	json_t *m = json_array();
	unsigned int i;
	int rc = 0;

	if (m == NULL)
		return NULL;
	rc |= add_mount(m, "/proc", "proc", "proc", NULL);
	rc |= add_mount(m, "/dev", "tmpfs", "tmpfs", o_dev);
	rc |= add_mount(m, "/dev/pts", "devpts", "devpts", o_pts);
	rc |= add_mount(m, "/dev/shm", "tmpfs", "shm", o_shm);
	rc |= add_mount(m, "/dev/mqueue", "mqueue", "mqueue", o_mq);
	rc |= add_mount(m, "/sys", "sysfs", "sysfs", o_sys);
	rc |= add_mount(m, "/tmp", "tmpfs", "tmpfs", o_tmp);
	for (i = 0; p->host && i < p->n_ents; i++) {
		char dst[64];

		if (p->ents[i].link)
			continue;
		snprintf(dst, sizeof(dst), "/%s", p->ents[i].name);
		rc |= add_mount(m, dst, "bind", dst, o_bind);
	}
	if (rc != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/** The process object of our own bundles. */
static json_t *
process_json(const struct ct_oci_bundle_args *a)
{
	/*
	 * No rlimits: the process inherits the runtime's, which are ours (and
	 * raising them needs CAP_SYS_RESOURCE, which mflowd may lack).
	 */
	return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:o, s:o, s:o, s:o}, s:b}",
			 "terminal", 0, "user", "uid", 0, "gid", 0, "args", strv_json(a->argv),
			 "env", env_json(a->env), "cwd", a->cwd != NULL ? a->cwd : "/",
			 "capabilities", "bounding", strv_json(caps), "effective", strv_json(caps),
			 "permitted", strv_json(caps), "ambient", strv_json(caps),
			 "noNewPrivileges", 1);
}

/** Set the non-zero limits into @p res (a linux.resources object). */
static int
set_limits(json_t *res, const struct ct_oci_limits *l)
{
	if (l->memory_bytes != 0 &&
	    json_object_set_new(res, "memory",
				json_pack("{s:I}", "limit", (json_int_t)l->memory_bytes)) < 0)
		return -ENOMEM;
	if (l->cpu_millis != 0 &&
	    json_object_set_new(res, "cpu",
				json_pack("{s:I, s:I}", "quota",
					  (json_int_t)l->cpu_millis * CT_OCI_CPU_PERIOD_US / 1000,
					  "period", (json_int_t)CT_OCI_CPU_PERIOD_US)) < 0)
		return -ENOMEM;
	if (l->pids_max != 0 &&
	    json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)l->pids_max)) <
		    0)
		return -ENOMEM;
	return 0;
}

/** The namespace list of our own bundles. */
static json_t *
namespaces_json(const char *netns_path)
{
	json_t *net = netns_path != NULL
			      ? json_pack("{s:s, s:s}", "type", "network", "path", netns_path)
			      : json_pack("{s:s}", "type", "network");

	return json_pack("[{s:s}, o, {s:s}, {s:s}, {s:s}]", "type", "pid", net, "type", "ipc",
			 "type", "uts", "type", "mount");
}

/** The whole configuration of our own bundles. */
static json_t *
config_json(const struct ct_oci_bundle_args *a, const struct bundle_plan *p)
{
	json_t *cfg, *lnx, *res;

	cfg = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o}", "ociVersion", "1.0.2", "process",
			process_json(a), "root", "path", p->rootfs, "readonly", p->host, "hostname",
			a->name, "mounts", mounts_json(p));
	if (cfg == NULL)
		return NULL;
	lnx = json_pack("{s:o, s:{s:[{s:b, s:s}]}, s:o, s:o}", "namespaces",
			namespaces_json(a->netns_path), "resources", "devices", "allow", 0,
			"access", "rwm", "maskedPaths", strv_json(masked_paths), "readonlyPaths",
			strv_json(readonly_paths));
	if (lnx == NULL || json_object_set_new(cfg, "linux", lnx) < 0)
		goto out_cfg;
	res = json_object_get(lnx, "resources");
	if (set_limits(res, &a->lim) < 0)
		goto out_cfg;
	if (a->cgroup_path != NULL &&
	    json_object_set_new(lnx, "cgroupsPath", json_string(a->cgroup_path)) < 0)
		goto out_cfg;
	return cfg;
out_cfg:
	json_decref(cfg);
	return NULL;
}

/** Get the object member @p key of @p obj, adding an empty object if missing. */
static json_t *
obj_child(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);

	if (json_is_object(c))
		return c;
	c = json_object();
	if (c == NULL || json_object_set_new(obj, key, c) < 0)
		return NULL;
	return c;
}

/** Whether a user mount entry is a bind mount. */
static bool
is_bind_mount(const json_t *m)
{
	const json_t *opt;
	size_t i;

	if (json_is_string(json_object_get(m, "type")) &&
	    strcmp(json_string_value(json_object_get(m, "type")), "bind") == 0)
		return true;
	json_array_foreach (json_object_get(m, "options"), i, opt) {
		if (json_is_string(opt) && (strcmp(json_string_value(opt), "bind") == 0 ||
					    strcmp(json_string_value(opt), "rbind") == 0))
			return true;
	}
	return false;
}

/** Apply our changes to the (loaded) user configuration @p cfg. */
static int
patch_user_config(json_t *cfg, const struct ct_oci_bundle_args *a, const struct bundle_plan *p,
		  char *err, size_t errlen)
{
	json_t *process = json_object_get(cfg, "process");
	json_t *lnx, *ns, *net = NULL, *m, *e;
	size_t i;

	if (json_object_set_new(process, "terminal", json_false()) < 0 ||
	    (a->argv != NULL && json_object_set_new(process, "args", strv_json(a->argv)) < 0) ||
	    (a->env != NULL && json_object_set_new(process, "env", env_json(a->env)) < 0) ||
	    (a->cwd != NULL && json_object_set_new(process, "cwd", json_string(a->cwd)) < 0) ||
	    json_object_set_new(json_object_get(cfg, "root"), "path", json_string(p->rootfs)) < 0)
		goto out_nomem;

	/* Bind sources relative to the user bundle would not resolve from ours. */
	json_array_foreach (json_object_get(cfg, "mounts"), i, m) {
		const char *src = json_string_value(json_object_get(m, "source"));
		char abs[PATH_MAX];

		if (src == NULL || src[0] == '/' || !is_bind_mount(m))
			continue;
		if (path_join(abs, sizeof(abs), p->user_dir, src) < 0)
			return fail(err, errlen, -ENAMETOOLONG,
				    "user bundle: mount source '%s' is too long", src);
		if (json_object_set_new(m, "source", json_string(abs)) < 0)
			goto out_nomem;
	}

	lnx = obj_child(cfg, "linux");
	if (lnx == NULL)
		goto out_nomem;
	if (a->netns_path != NULL) {
		ns = json_object_get(lnx, "namespaces");
		if (ns == NULL) {
			ns = json_array();
			if (ns == NULL || json_object_set_new(lnx, "namespaces", ns) < 0)
				goto out_nomem;
		}
		if (!json_is_array(ns))
			return fail(err, errlen, -EINVAL,
				    "user bundle: linux.namespaces is not an array");
		json_array_foreach (ns, i, e) {
			const char *t = json_string_value(json_object_get(e, "type"));

			if (t != NULL && strcmp(t, "network") == 0)
				net = e;
		}
		if (net == NULL) {
			net = json_pack("{s:s}", "type", "network");
			if (net == NULL || json_array_append_new(ns, net) < 0)
				goto out_nomem;
		}
		if (json_object_set_new(net, "path", json_string(a->netns_path)) < 0)
			goto out_nomem;
	}
	if (a->cgroup_path != NULL &&
	    json_object_set_new(lnx, "cgroupsPath", json_string(a->cgroup_path)) < 0)
		goto out_nomem;
	if (a->lim.memory_bytes != 0 || a->lim.cpu_millis != 0 || a->lim.pids_max != 0) {
		json_t *res = obj_child(lnx, "resources");

		if (res == NULL || set_limits(res, &a->lim) < 0)
			goto out_nomem;
	}
	return 0;
out_nomem:
	return fail(err, errlen, -ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------------- */
/* Writing. */

/** What a bundle write created, to undo on failure. */
struct undo {
	char paths[16][PATH_MAX / 8]; /**< Created paths, in order. */
	bool dir[16];		      /**< The path is a directory (else a link). */
	unsigned int n;		      /**< Used entries. */
};

/** Remember a created path (the list is long enough for every entry we make). */
static void
undo_add(struct undo *u, const char *path, bool dir)
{
	if (u->n >= sizeof(u->dir) / sizeof(u->dir[0]))
		return;
	snprintf(u->paths[u->n], sizeof(u->paths[0]), "%s", path);
	u->dir[u->n] = dir;
	u->n++;
}

/** Remove what was created, newest first. */
static void
undo_run(struct undo *u)
{
	while (u->n > 0) {
		u->n--;
		if (u->dir[u->n])
			rmdir(u->paths[u->n]);
		else
			unlink(u->paths[u->n]);
	}
}

/** Make a directory unless it exists; record it in @p u when made. */
static int
make_dir(struct undo *u, const char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;

	if (strlen(path) >= sizeof(u->paths[0]))
		return fail(err, errlen, -ENAMETOOLONG, "'%s' is too long", path);
	if (mkdir(path, mode) == 0) {
		undo_add(u, path, true);
		return 0;
	}
	if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return fail(err, errlen, -errno, "mkdir '%s': %s", path, strerror(errno));
}

/** Make a symbolic link unless the same one exists; record it in @p u when made. */
static int
make_link(struct undo *u, const char *path, const char *target, char *err, size_t errlen)
{
	char cur[128];
	ssize_t n;

	if (strlen(path) >= sizeof(u->paths[0]))
		return fail(err, errlen, -ENAMETOOLONG, "'%s' is too long", path);
	if (symlink(target, path) == 0) {
		undo_add(u, path, false);
		return 0;
	}
	if (errno == EEXIST) {
		n = readlink(path, cur, sizeof(cur) - 1);
		if (n >= 0 && (size_t)n < sizeof(cur) - 1) {
			cur[n] = '\0';
			if (strcmp(cur, target) == 0)
				return 0;
		}
		return fail(err, errlen, -EEXIST, "'%s' exists and is not a link to '%s'", path,
			    target);
	}
	return fail(err, errlen, -errno, "symlink '%s': %s", path, strerror(errno));
}

/** Make the host rootfs: empty mount points and the host's links. */
static int
make_host_rootfs(const struct bundle_plan *p, struct undo *u, char *err, size_t errlen)
{
	char path[PATH_MAX];
	unsigned int i;
	int rc;

	rc = make_dir(u, p->rootfs, 0755, err, errlen);
	if (rc < 0)
		return rc;
	for (i = 0; host_mnts[i] != NULL; i++) {
		if (path_join(path, sizeof(path), p->rootfs, host_mnts[i]) < 0)
			return fail(err, errlen, -ENAMETOOLONG, "rootfs path is too long");
		rc = make_dir(u, path, 0755, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < p->n_ents; i++) {
		if (path_join(path, sizeof(path), p->rootfs, p->ents[i].name) < 0)
			return fail(err, errlen, -ENAMETOOLONG, "rootfs path is too long");
		if (p->ents[i].link)
			rc = make_link(u, path, p->ents[i].target, err, errlen);
		else
			rc = make_dir(u, path, 0755, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/** Write @p cfg to @p dir/config.json through a temporary file and a rename. */
static int
write_config(const char *dir, const json_t *cfg, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, dfd, rc;

	if (path_join(dst, sizeof(dst), dir, F_CONFIG) < 0 ||
	    path_join(tmp, sizeof(tmp), dir, F_TMP_PREFIX "XXXXXX") < 0)
		return fail(err, errlen, -ENAMETOOLONG, "bundle directory is too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot create a file in '%s': %s", dir,
			    strerror(errno));
	if (json_dumpfd(cfg, fd, JSON_INDENT(2)) < 0 || write(fd, "\n", 1) != 1) {
		rc = fail(err, errlen, errno != 0 ? -errno : -EIO, "cannot write '%s': %s", tmp,
			  strerror(errno != 0 ? errno : EIO));
		goto out_unlink;
	}
	if (fsync(fd) < 0) {
		rc = fail(err, errlen, -errno, "fsync '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = fail(err, errlen, -errno, "close '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, dst) < 0) {
		rc = fail(err, errlen, -errno, "rename to '%s': %s", dst, strerror(errno));
		goto out_unlink;
	}
	/* Make the rename itself durable; a failure here leaves a valid file. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out_unlink:
	close_fd(&fd);
	unlink(tmp);
	return rc;
}

int
ct_oci_bundle_write(const struct ct_oci_bundle_args *a, char *err, size_t errlen)
{
	struct bundle_plan *p;
	struct undo *u;
	json_t *cfg = NULL;
	int rc;

	p = calloc(1, sizeof(*p));
	u = calloc(1, sizeof(*u));
	if (p == NULL || u == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	rc = plan_bundle(a, p, err, errlen);
	if (rc < 0)
		goto out_free;
	if (p->user_cfg != NULL) {
		rc = patch_user_config(p->user_cfg, a, p, err, errlen);
		if (rc < 0)
			goto out_free;
		cfg = json_incref(p->user_cfg);
	} else {
		cfg = config_json(a, p);
		if (cfg == NULL) {
			rc = fail(err, errlen, -ENOMEM, "out of memory");
			goto out_free;
		}
	}

	if (!p->bundle_exists) {
		rc = make_dir(u, a->bundle_dir, 0700, err, errlen);
		if (rc < 0)
			goto out_free;
	}
	if (p->host) {
		rc = make_host_rootfs(p, u, err, errlen);
		if (rc < 0)
			goto out_undo;
	}
	rc = write_config(a->bundle_dir, cfg, err, errlen);
	if (rc < 0)
		goto out_undo;
	goto out_free;
out_undo:
	undo_run(u);
out_free:
	json_decref(cfg);
	if (p != NULL)
		json_decref(p->user_cfg);
	free(p);
	free(u);
	return rc;
}

/** Whether @p name is one of the host rootfs entries we make. */
static bool
is_rootfs_entry(const char *name)
{
	unsigned int i;

	for (i = 0; host_mnts[i] != NULL; i++)
		if (strcmp(name, host_mnts[i]) == 0)
			return true;
	for (i = 0; host_dirs[i] != NULL; i++)
		if (strcmp(name, host_dirs[i]) == 0)
			return true;
	return false;
}

/** Whether @p name is a file of a bundle directory that we make. */
static bool
is_bundle_file(const char *name)
{
	return strcmp(name, F_CONFIG) == 0 || strcmp(name, F_CONSOLE) == 0 ||
	       strcmp(name, F_PIDFILE) == 0 ||
	       strncmp(name, F_TMP_PREFIX, strlen(F_TMP_PREFIX)) == 0;
}

/** Whether the directory @p name in @p dfd is empty. */
static bool
dir_is_empty(int dfd, const char *name)
{
	struct dirent *de;
	bool empty = true;
	DIR *d;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return false;
	}
	while (empty && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

/**
 * Go through a directory: check (when @p act is false) that every entry is
 * one of ours and removable, or remove them (when @p act is true).
 */
static int
sweep_dir(int dfd, bool rootfs, bool act)
{
	struct dirent *de;
	struct stat st;
	int rc = 0, fd;
	DIR *d;

	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			break;
		}
		if (rootfs ? !is_rootfs_entry(n)
			   : !(is_bundle_file(n) ||
			       (strcmp(n, "rootfs") == 0 && S_ISDIR(st.st_mode)))) {
			rc = -ENOTEMPTY;
			break;
		}
		if (rootfs && !S_ISLNK(st.st_mode) &&
		    !(S_ISDIR(st.st_mode) && dir_is_empty(dfd, n))) {
			rc = -ENOTEMPTY;
			break;
		}
		if (!rootfs && strcmp(n, "rootfs") == 0) {
			int sub = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				rc = -errno;
				break;
			}
			rc = sweep_dir(sub, true, act);
			close(sub);
			if (rc < 0)
				break;
		}
		if (act && unlinkat(dfd, n, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
			rc = -errno;
			break;
		}
	}
	closedir(d);
	return rc;
}

int
ct_oci_bundle_remove(const char *bundle_dir)
{
	int dfd, rc;

	if (bundle_dir == NULL || bundle_dir[0] != '/')
		return -EINVAL;
	dfd = open(bundle_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Check everything first, so that a surprise leaves all in place. */
	rc = sweep_dir(dfd, false, false);
	if (rc == 0)
		rc = sweep_dir(dfd, false, true);
	close(dfd);
	if (rc == 0 && rmdir(bundle_dir) < 0)
		rc = -errno;
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Mount table. */

/** Undo the octal escapes of /proc/self/mountinfo (\040 for a space) in place. */
static void
unescape_octal(char *s)
{
	char *w = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

/**
 * Find the cgroup2 mount points, and the cgroup v1 ones too if @p v1_too
 * (up to @p max, into @p out), and whether any cgroup v1 hierarchy is
 * mounted.
 *
 * @return the number of mount points found, or -errno.
 */
static int
find_cgroup_mounts(char (*out)[PATH_MAX], int max, bool v1_too, bool *has_v1)
{
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *f;

	*has_v1 = false;
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		char *save = NULL, *tok, *mnt = NULL;
		char fstype[32];
		int i;

		if (sep == NULL || sscanf(sep + 3, "%31s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup") == 0) {
			*has_v1 = true;
			if (!v1_too)
				continue;
		} else if (strcmp(fstype, "cgroup2") != 0) {
			continue;
		}
		if (n >= max)
			continue;
		/* Fields: id parent major:minor root mount-point ... */
		*sep = '\0';
		tok = strtok_r(line, " ", &save);
		for (i = 1; tok != NULL && i < 5; i++)
			tok = strtok_r(NULL, " ", &save);
		mnt = tok;
		if (mnt == NULL)
			continue;
		unescape_octal(mnt);
		snprintf(out[n], PATH_MAX, "%s", mnt);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

int
ct_cgroup_prune(const char *path)
{
	char(*mnts)[PATH_MAX];
	int n, removed = 0;
	bool has_v1;

	if (path == NULL || path[0] != '/' || strstr(path, "..") != NULL)
		return -EINVAL;
	mnts = calloc(CGROUP_MOUNTS_MAX, sizeof(*mnts));
	if (mnts == NULL)
		return -ENOMEM;
	n = find_cgroup_mounts(mnts, CGROUP_MOUNTS_MAX, true, &has_v1);
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];

		if (snprintf(dir, sizeof(dir), "%s%s", mnts[i], path) >= (int)sizeof(dir))
			continue;
		/* Only an empty cgroup goes: one with members or children says EBUSY. */
		if (rmdir(dir) == 0)
			removed++;
	}
	free(mnts);
	return n < 0 ? n : removed;
}

/* ------------------------------------------------------------------------- */
/* Running the runtime. */

/** Where a child failed before it could run the runtime. */
enum child_step {
	STEP_UNSHARE = 1,
	STEP_PRIVATE,
	STEP_UMOUNT,
	STEP_DUP,
	STEP_EXEC,
};

/** One call of the runtime. */
struct run {
	const char *argv[16 + CT_OCI_MAX_ARGS]; /**< Full argument vector, NULL-terminated. */
	int fd_out;				/**< Child's stdout, or -1 for a pipe to @p out. */
	int fd_err;		  /**< Child's stderr, or -1 for a pipe to @p errbuf. */
	char *out;		  /**< Captured stdout (NUL-terminated), or NULL. */
	size_t outcap;		  /**< Size of @p out. */
	size_t outlen;		  /**< Bytes in @p out. */
	bool trunc;		  /**< Output was dropped. */
	bool merge;		  /**< Also copy stderr into @p out. */
	char errbuf[RUN_ERR_MAX]; /**< Captured stderr (NUL-terminated). */
	size_t errused;		  /**< Bytes in @p errbuf. */
	unsigned int timeout_ms;  /**< Deadline. */
	const char *kill_pidfile; /**< On timeout, also kill the pid found here. */
	int status;		  /**< Exit status, or 128 + signal. */
};

/** Append @p n bytes to a bounded, NUL-terminated buffer; returns false when cut. */
static bool
buf_append(char *buf, size_t cap, size_t *used, const char *data, size_t n)
{
	size_t room;

	if (buf == NULL || cap == 0)
		return n == 0;
	room = cap - 1 - *used;
	if (n > room) {
		memcpy(buf + *used, data, room);
		*used += room;
		buf[*used] = '\0';
		return false;
	}
	memcpy(buf + *used, data, n);
	*used += n;
	buf[*used] = '\0';
	return true;
}

/** Read what is available on a non-blocking pipe; closes it at EOF or error. */
static void
drain(int *fd, struct run *r, bool is_err)
{
	char tmp[4096];
	ssize_t n;
	int i;

	/* Bounded: a chatty child cannot keep us here; poll() brings us back. */
	for (i = 0; i < 64 && *fd >= 0; i++) {
		n = read(*fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
		if (is_err) {
			buf_append(r->errbuf, sizeof(r->errbuf), &r->errused, tmp, (size_t)n);
			if (r->merge && !buf_append(r->out, r->outcap, &r->outlen, tmp, (size_t)n))
				r->trunc = true;
		} else if (!buf_append(r->out, r->outcap, &r->outlen, tmp, (size_t)n)) {
			r->trunc = true;
		}
	}
}

/** Move @p fd above the standard descriptors (close-on-exec); -errno on failure. */
static int
fd_above_std(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd < 0 ? -errno : nfd;
}

/** A pipe whose both ends are above 2, close-on-exec, the read end non-blocking. */
static int
make_pipe(int p[2])
{
	int i;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		p[i] = fd_above_std(p[i]);
		if (p[i] < 0) {
			int rc = p[i];

			p[i] = -1;
			close_fd(&p[0]);
			close_fd(&p[1]);
			return rc;
		}
	}
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		int rc = -errno;

		close_fd(&p[0]);
		close_fd(&p[1]);
		return rc;
	}
	return 0;
}

/** Report a failure of the child before exec, and end it. */
static void __attribute__((noreturn)) child_fail(int sfd, int step)
{
	int32_t msg[2] = {step, errno};

	if (write(sfd, msg, sizeof(msg)) < 0) {
		/* Nothing else to do: the parent sees exit status 127. */
	}
	_exit(127);
}

/**
 * The child: own process group, default signals, the cgroup2 mounts hidden
 * when asked, standard descriptors in place, all others close-on-exec.
 * Only async-signal-safe calls from here on.
 */
static void __attribute__((noreturn))
child_run(const struct ct_runtime *rt, const struct run *r, const int std[3], int sfd,
	  char (*cg2)[PATH_MAX], int n_cg2, int max_fd, char *const *envp)
{
	struct sigaction sa;
	sigset_t none;
	int i;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (rt->hide_cgroup2) {
		if (unshare(CLONE_NEWNS) < 0)
			child_fail(sfd, STEP_UNSHARE);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(sfd, STEP_PRIVATE);
		for (i = 0; i < n_cg2; i++)
			if (umount2(cg2[i], MNT_DETACH) < 0)
				child_fail(sfd, STEP_UMOUNT);
	}
	for (i = 0; i < 3; i++)
		if (dup2(std[i], i) < 0)
			child_fail(sfd, STEP_DUP);
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (i = 3; i < max_fd; i++)
			fcntl(i, F_SETFD, FD_CLOEXEC);
	execve(rt->bin, (char *const *)r->argv, envp);
	child_fail(sfd, STEP_EXEC);
}

/** Kill the process whose pid a runtime wrote into @p path (best effort). */
static void
kill_pidfile(const char *path)
{
	char buf[32];
	ssize_t n;
	long pid;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid > 1 && pid < INT_MAX)
		kill((pid_t)pid, SIGKILL);
}

/** Describe a child setup failure. */
static int
child_error(const struct ct_runtime *rt, const int32_t msg[2], char *err, size_t errlen)
{
	static const char *const what[] = {
		[STEP_UNSHARE] = "unshare(CLONE_NEWNS) to hide cgroup2",
		[STEP_PRIVATE] = "making / private to hide cgroup2",
		[STEP_UMOUNT] = "unmounting cgroup2",
		[STEP_DUP] = "dup2",
		[STEP_EXEC] = "exec",
	};
	int step = msg[0] >= STEP_UNSHARE && msg[0] <= STEP_EXEC ? msg[0] : STEP_EXEC;
	int e = msg[1] > 0 ? msg[1] : EIO;

	return fail(err, errlen, -e, "cannot run %s: %s: %s", rt->bin, what[step], strerror(e));
}

/**
 * Run the runtime as described by @p r: fork, exec, collect its output,
 * wait for it until the deadline (then kill its process group and reap
 * it). r->status is set when the child ran to its end.
 *
 * @return
 *   0 when the runtime ran (whatever its exit status), -ETIMEDOUT, or
 *   -errno of the setup (pipe, fork, exec, hiding cgroup2).
 */
static int
run_cmd(const struct ct_runtime *rt, struct run *r, char *err, size_t errlen)
{
	static char *const envp[] = {(char *)RUNTIME_PATH, NULL};
	enum {
		P_OUT,
		P_ERR,
		P_STAT,
		P_PID,
		P_N
	};
	char cg2[CG2_MAX][PATH_MAX];
	int pout[2] = {-1, -1}, perr[2] = {-1, -1}, pst[2] = {-1, -1};
	struct pollfd pfd[P_N];
	int devnull = -1, pidfd = -1, std[3], n_cg2 = 0, max_fd, rc, ws = 0;
	int32_t msg[2];
	size_t msg_used = 0;
	bool exited = false, timed_out = false, has_v1;
	int64_t deadline;
	pid_t pid;

	r->status = -1;
	r->outlen = 0;
	r->errused = 0;
	r->errbuf[0] = '\0';
	if (r->out != NULL && r->outcap > 0)
		r->out[0] = '\0';
	if (rt->hide_cgroup2) {
		n_cg2 = find_cgroup_mounts(cg2, CG2_MAX, false, &has_v1);
		if (n_cg2 < 0)
			return fail(err, errlen, n_cg2, "cannot read /proc/self/mountinfo: %s",
				    strerror(-n_cg2));
	}
	max_fd = (int)sysconf(_SC_OPEN_MAX);
	if (max_fd < 0 || max_fd > 65536)
		max_fd = 65536;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return fail(err, errlen, -errno, "open /dev/null: %s", strerror(errno));
	devnull = fd_above_std(devnull);
	if (devnull < 0)
		return fail(err, errlen, devnull, "open /dev/null: %s", strerror(-devnull));
	rc = make_pipe(pst);
	if (rc == 0 && r->fd_out < 0)
		rc = make_pipe(pout);
	if (rc == 0 && r->fd_err < 0)
		rc = make_pipe(perr);
	if (rc < 0) {
		fail(err, errlen, rc, "pipe: %s", strerror(-rc));
		goto out_close;
	}
	std[0] = devnull;
	std[1] = r->fd_out >= 0 ? r->fd_out : pout[1];
	std[2] = r->fd_err >= 0 ? r->fd_err : perr[1];

	pid = fork();
	if (pid < 0) {
		rc = fail(err, errlen, -errno, "fork: %s", strerror(errno));
		goto out_close;
	}
	if (pid == 0)
		child_run(rt, r, std, pst[1], cg2, n_cg2, max_fd, envp);
	/* Also from here, so that a kill of the group never misses the child. */
	setpgid(pid, pid);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	close_fd(&pst[1]);
	close_fd(&devnull);
	pidfd = pidfd_open(pid, 0);

	deadline = now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : CT_RUNTIME_TIMEOUT_MS);
	rc = 0;
	while (!exited) {
		int64_t left = deadline - now_ms();
		int wait, n;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		wait = left > INT_MAX ? INT_MAX : (int)left;
		if (pidfd < 0 && wait > TICK_MS)
			wait = TICK_MS;
		pfd[P_OUT] = (struct pollfd){.fd = pout[0], .events = POLLIN};
		pfd[P_ERR] = (struct pollfd){.fd = perr[0], .events = POLLIN};
		pfd[P_STAT] = (struct pollfd){.fd = pst[0], .events = POLLIN};
		pfd[P_PID] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		n = poll(pfd, P_N, wait);
		if (n < 0 && errno != EINTR) {
			rc = fail(err, errlen, -errno, "poll: %s", strerror(errno));
			timed_out = true; /* Kill and reap below. */
			break;
		}
		if (n > 0 && pfd[P_OUT].revents != 0)
			drain(&pout[0], r, false);
		if (n > 0 && pfd[P_ERR].revents != 0)
			drain(&perr[0], r, true);
		if (n > 0 && pfd[P_STAT].revents != 0) {
			ssize_t k = read(pst[0], (char *)msg + msg_used, sizeof(msg) - msg_used);

			if (k > 0)
				msg_used += (size_t)k;
			else if (k == 0 || errno != EAGAIN)
				close_fd(&pst[0]);
		}
		if (pidfd < 0 || (n > 0 && pfd[P_PID].revents != 0)) {
			pid_t w = waitpid(pid, &ws, WNOHANG);

			if (w == pid) {
				exited = true;
			} else if (w < 0 && errno != EINTR) {
				rc = fail(err, errlen, -errno,
					  "waitpid: %s (is SIGCHLD ignored or reaped elsewhere?)",
					  strerror(errno));
				exited = true;
			}
		}
	}
	if (timed_out) {
		int64_t reap_end = now_ms() + REAP_MS;

		if (r->kill_pidfile != NULL)
			kill_pidfile(r->kill_pidfile);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &ws, WNOHANG) == 0 && now_ms() < reap_end)
			sleep_ms(TICK_MS);
		if (rc == 0)
			rc = fail(err, errlen, -ETIMEDOUT, "%s %s: no answer within %u ms, killed",
				  rt->bin, r->argv[3] != NULL ? r->argv[3] : "", r->timeout_ms);
	}
	/* What the child wrote before it ended is still in the pipes. */
	drain(&pout[0], r, false);
	drain(&perr[0], r, true);
	if (pst[0] >= 0) {
		ssize_t k = read(pst[0], (char *)msg + msg_used, sizeof(msg) - msg_used);

		if (k > 0)
			msg_used += (size_t)k;
	}
	if (rc == 0 && msg_used == sizeof(msg))
		rc = child_error(rt, msg, err, errlen);
	if (rc == 0) {
		if (WIFEXITED(ws))
			r->status = WEXITSTATUS(ws);
		else if (WIFSIGNALED(ws))
			r->status = 128 + WTERMSIG(ws);
	}
out_close:
	close_fd(&pidfd);
	close_fd(&devnull);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	close_fd(&pst[0]);
	close_fd(&pst[1]);
	return rc;
}

/** How telling a runtime's stderr line is: 3 fatal, 2 error, 1 mentions an error, 0 other. */
static int
line_rank(const char *p, size_t len)
{
	if (memmem(p, len, "level=fatal", 11) != NULL)
		return 3;
	if (memmem(p, len, "level=error", 11) != NULL)
		return 2;
	if (memmem(p, len, "error", 5) != NULL || memmem(p, len, "Error", 5) != NULL)
		return 1;
	return 0;
}

/**
 * Pick the most telling line of a runtime's stderr into @p line: the first
 * of runc's fatal lines (the cause, where the error line that follows only
 * tells the consequence), else the first error line, else the first line
 * mentioning an error, else the first non-empty one. runc's `time=...
 * level=... msg="..."` wrapping is reduced to the message.
 */
static void
pick_line(const char *text, char *line, size_t size)
{
	const char *p, *best = NULL, *end, *msg;
	int rank, best_rank = -1;
	size_t n, i;

	line[0] = '\0';
	for (p = text; *p != '\0' && best_rank < 3; p = *end != '\0' ? end + 1 : end) {
		end = strchrnul(p, '\n');
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			continue;
		rank = line_rank(p, (size_t)(end - p));
		if (rank > best_rank) {
			best = p;
			best_rank = rank;
		}
	}
	if (best == NULL)
		return;
	end = strchrnul(best, '\n');
	msg = memmem(best, (size_t)(end - best), "msg=\"", 5);
	if (msg != NULL) {
		/* Unquote runc's logfmt message. */
		for (i = 0, p = msg + 5; p < end && *p != '"' && i + 1 < size; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			line[i++] = *p;
		}
		line[i] = '\0';
		return;
	}
	while (end > best && isspace((unsigned char)end[-1]))
		end--;
	n = (size_t)(end - best);
	if (n >= size)
		n = size - 1;
	memcpy(line, best, n);
	line[n] = '\0';
}

/** The short name of the runtime, for messages. */
static const char *
rt_name(const struct ct_runtime *rt)
{
	const char *s = strrchr(rt->bin, '/');

	return s != NULL ? s + 1 : rt->bin;
}

/** Check a runtime handle and a container name. */
static int
check_call(const struct ct_runtime *rt, const char *name, char *err, size_t errlen)
{
	if (rt == NULL || rt->bin[0] != '/' || rt->root[0] != '/')
		return fail(err, errlen, -EINVAL, "OCI runtime not initialised");
	return ct_oci_name_check(name, err, errlen);
}

/** Whether the runtime keeps state for @p name (its directory under --root). */
static bool
rt_knows(const struct ct_runtime *rt, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (path_join(path, sizeof(path), rt->root, name) < 0)
		return false;
	return lstat(path, &st) == 0;
}

/** Start an argument vector: binary, --root ROOT, @p cmd. Returns the next index. */
static unsigned int
argv_start(struct run *r, const struct ct_runtime *rt, const char *cmd)
{
	r->argv[0] = rt->bin;
	r->argv[1] = "--root";
	r->argv[2] = rt->root;
	r->argv[3] = cmd;
	return 4;
}

/**
 * Run a simple command (start, kill, delete, state) whose stdout goes to
 * @p out and whose failure is explained by its stderr.
 */
static int
run_simple(const struct ct_runtime *rt, struct run *r, const char *name, char *err, size_t errlen)
{
	char line[256];
	int rc;

	r->fd_out = -1;
	r->fd_err = -1;
	r->timeout_ms = rt->timeout_ms;
	rc = run_cmd(rt, r, err, errlen);
	if (rc < 0)
		return rc;
	if (r->status == 0)
		return 0;
	if (!rt_knows(rt, name))
		return fail(err, errlen, -ENOENT, "%s: container '%s' does not exist", rt_name(rt),
			    name);
	pick_line(r->errbuf, line, sizeof(line));
	return fail(err, errlen, -EIO, "%s %s %s: %s", rt_name(rt), r->argv[3], name,
		    line[0] != '\0' ? line : "failed without a message");
}

/**
 * Run "RUNTIME --root ROOT VERB [OPT] NAME [ARG]" as a simple command: the
 * shape of start, kill and delete. @p opt and @p arg may be NULL.
 */
static int
run_verb(const struct ct_runtime *rt, const char *verb, const char *opt, const char *name,
	 const char *arg, char *err, size_t errlen)
{
	struct run *r = calloc(1, sizeof(*r));
	unsigned int i;
	int rc;

	if (r == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	i = argv_start(r, rt, verb);
	if (opt != NULL)
		r->argv[i++] = opt;
	r->argv[i++] = name;
	if (arg != NULL)
		r->argv[i++] = arg;
	r->argv[i] = NULL;
	rc = run_simple(rt, r, name, err, errlen);
	free(r);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Runtime operations. */

/** Find @p name in the directories of @p dirs (colon-separated); fills @p out. */
static bool
search_dirs(const char *dirs, const char *name, char *out, size_t size)
{
	const char *p = dirs;

	while (p != NULL && *p != '\0') {
		const char *end = strchrnul(p, ':');
		struct stat st;
		int n;

		if (end > p && p[0] == '/') {
			n = snprintf(out, size, "%.*s/%s", (int)(end - p), p, name);
			if (n > 0 && (size_t)n < size && stat(out, &st) == 0 &&
			    S_ISREG(st.st_mode) && access(out, X_OK) == 0)
				return true;
		}
		p = *end != '\0' ? end + 1 : NULL;
	}
	return false;
}

/** Make @p path and its missing parents (mode 0700). */
static int
mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	struct stat st;
	char *s, c;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = buf + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return fail(err, errlen, -errno, "mkdir '%s': %s", buf, strerror(errno));
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOTDIR, "'%s' is not a directory", path);
	return 0;
}

int
ct_runtime_init(struct ct_runtime *rt, const char *name_or_path, const char *state_root, char *err,
		size_t errlen)
{
	char cg2[1][PATH_MAX];
	const char *base, *path;
	struct stat st;
	bool has_v1;
	int rc, n;

	if (rt == NULL || name_or_path == NULL || name_or_path[0] == '\0')
		return fail(err, errlen, -EINVAL, "no OCI runtime given");
	memset(rt, 0, sizeof(*rt));
	if (strchr(name_or_path, '/') != NULL) {
		if (name_or_path[0] != '/')
			return fail(err, errlen, -EINVAL,
				    "OCI runtime '%s': give a name or an absolute path",
				    name_or_path);
		if (strlen(name_or_path) >= sizeof(rt->bin))
			return fail(err, errlen, -ENAMETOOLONG, "OCI runtime path is too long");
		if (stat(name_or_path, &st) < 0 || !S_ISREG(st.st_mode))
			return fail(err, errlen, -ENOENT, "OCI runtime '%s' not found",
				    name_or_path);
		if (access(name_or_path, X_OK) < 0)
			return fail(err, errlen, -EACCES, "OCI runtime '%s' is not executable",
				    name_or_path);
		snprintf(rt->bin, sizeof(rt->bin), "%s", name_or_path);
	} else {
		path = getenv("PATH");
		if (!search_dirs(path, name_or_path, rt->bin, sizeof(rt->bin)) &&
		    !search_dirs(default_dirs, name_or_path, rt->bin, sizeof(rt->bin))) {
			rt->bin[0] = '\0';
			return fail(err, errlen, -ENOENT, "OCI runtime '%s' not found",
				    name_or_path);
		}
	}
	base = strrchr(rt->bin, '/') + 1;
	if (strcmp(base, "runc") == 0)
		rt->kind = CT_RUNTIME_RUNC;
	else if (strcmp(base, "crun") == 0)
		rt->kind = CT_RUNTIME_CRUN;
	else
		rt->kind = CT_RUNTIME_OTHER;

	rc = check_abs(state_root, "runtime state directory", err, errlen);
	if (rc == 0 && strlen(state_root) >= sizeof(rt->root) - CT_OCI_NAME_MAX - 32)
		rc = fail(err, errlen, -ENAMETOOLONG, "runtime state directory is too long");
	if (rc == 0)
		rc = mkdir_p(state_root, err, errlen);
	if (rc < 0) {
		memset(rt, 0, sizeof(*rt));
		return rc;
	}
	snprintf(rt->root, sizeof(rt->root), "%s", state_root);
	rt->timeout_ms = CT_RUNTIME_TIMEOUT_MS;
	if (rt->kind == CT_RUNTIME_CRUN) {
		n = find_cgroup_mounts(cg2, 1, false, &has_v1);
		rt->hide_cgroup2 = n > 0 && has_v1;
	}
	return 0;
}

/** Read the most telling line of the start of a bundle's console.log. */
static void
console_head(int fd, char *line, size_t size)
{
	char buf[RUN_ERR_MAX];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	pick_line(buf, line, size);
}

int
ct_runtime_create(const struct ct_runtime *rt, const char *name, const char *bundle, char *err,
		  size_t errlen)
{
	char cfg[PATH_MAX], log[PATH_MAX], pidf[PATH_MAX], line[256];
	struct run *r;
	unsigned int i;
	int rc, fd;

	rc = check_call(rt, name, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_abs(bundle, "bundle directory", err, errlen);
	if (rc < 0)
		return rc;
	if (path_join(cfg, sizeof(cfg), bundle, F_CONFIG) < 0 ||
	    path_join(log, sizeof(log), bundle, F_CONSOLE) < 0 ||
	    path_join(pidf, sizeof(pidf), bundle, F_PIDFILE) < 0)
		return fail(err, errlen, -ENAMETOOLONG, "bundle path is too long");
	rc = check_exists(cfg, false, "bundle config", err, errlen);
	if (rc < 0)
		return rc;
	if (rt_knows(rt, name))
		return fail(err, errlen, -EEXIST, "%s: container '%s' already exists", rt_name(rt),
			    name);

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	/* Read back on failure (console_head()), hence O_RDWR. */
	fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = fail(err, errlen, -errno, "cannot open '%s': %s", log, strerror(errno));
		goto out_free;
	}
	unlink(pidf);
	i = argv_start(r, rt, "create");
	r->argv[i++] = "--bundle";
	r->argv[i++] = bundle;
	r->argv[i++] = "--pid-file";
	r->argv[i++] = pidf;
	r->argv[i++] = name;
	r->argv[i] = NULL;
	/* The container inherits these: a file, so nothing waits on a pipe. */
	r->fd_out = fd;
	r->fd_err = fd;
	r->timeout_ms = rt->timeout_ms;
	rc = run_cmd(rt, r, err, errlen);
	if (rc == 0 && r->status != 0) {
		console_head(fd, line, sizeof(line));
		rc = fail(err, errlen, -EIO, "%s create %s: %s", rt_name(rt), name,
			  line[0] != '\0' ? line : "failed without a message");
	}
	/* Roll back what the runtime recorded before it failed. */
	if (rc < 0 && rt_knows(rt, name))
		(void)run_verb(rt, "delete", "--force", name, NULL, NULL, 0);
	close(fd);
out_free:
	free(r);
	return rc;
}

int
ct_runtime_start(const struct ct_runtime *rt, const char *name, char *err, size_t errlen)
{
	int rc = check_call(rt, name, err, errlen);

	return rc < 0 ? rc : run_verb(rt, "start", NULL, name, NULL, err, errlen);
}

int
ct_runtime_state(const struct ct_runtime *rt, const char *name, struct ct_runtime_state *st,
		 char *err, size_t errlen)
{
	json_t *j = NULL, *jpid;
	json_error_t jerr;
	const char *s;
	struct run *r;
	unsigned int i;
	int rc;

	rc = check_call(rt, name, err, errlen);
	if (rc < 0)
		return rc;
	if (st == NULL)
		return fail(err, errlen, -EINVAL, "no state buffer");
	memset(st, 0, sizeof(*st));
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	r->outcap = RUN_OUT_MAX;
	r->out = malloc(r->outcap);
	if (r->out == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	i = argv_start(r, rt, "state");
	r->argv[i++] = name;
	r->argv[i] = NULL;
	rc = run_simple(rt, r, name, err, errlen);
	if (rc < 0)
		goto out_free;
	j = json_loadb(r->out, r->outlen, 0, &jerr);
	s = json_string_value(json_object_get(j, "status"));
	if (s == NULL || strlen(s) >= sizeof(st->status)) {
		rc = fail(err, errlen, -EIO, "%s state %s: no status in the answer", rt_name(rt),
			  name);
		goto out_free;
	}
	snprintf(st->status, sizeof(st->status), "%s", s);
	jpid = json_object_get(j, "pid");
	if (json_is_integer(jpid) && json_integer_value(jpid) > 0 &&
	    json_integer_value(jpid) < INT_MAX)
		st->pid = (int)json_integer_value(jpid);
	if (strcmp(st->status, "stopped") == 0)
		st->pid = 0;
out_free:
	json_decref(j);
	free(r->out);
	free(r);
	return rc;
}

int
ct_runtime_kill(const struct ct_runtime *rt, const char *name, int sig, char *err, size_t errlen)
{
	char signum[16];
	int rc;

	rc = check_call(rt, name, err, errlen);
	if (rc < 0)
		return rc;
	if (sig < 1 || sig > 64)
		return fail(err, errlen, -EINVAL, "signal %d is outside 1..64", sig);
	snprintf(signum, sizeof(signum), "%d", sig);
	return run_verb(rt, "kill", NULL, name, signum, err, errlen);
}

int
ct_runtime_delete(const struct ct_runtime *rt, const char *name, bool force, char *err,
		  size_t errlen)
{
	int rc = check_call(rt, name, err, errlen);

	if (rc < 0)
		return rc;
	return run_verb(rt, "delete", force ? "--force" : NULL, name, NULL, err, errlen);
}

int
ct_runtime_exec(const struct ct_runtime *rt, struct ct_runtime_exec_args *a, char *err,
		size_t errlen)
{
	static atomic_uint seq;
	char pidf[PATH_MAX], line[256];
	struct run *r;
	unsigned int i, j;
	int rc, n;

	if (a == NULL)
		return fail(err, errlen, -EINVAL, "no exec arguments");
	a->status = -1;
	a->out_used = 0;
	a->truncated = false;
	rc = check_call(rt, a->name, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_argv(a->argv, "exec arguments", err, errlen);
	if (rc < 0)
		return rc;
	if (a->out == NULL || a->outlen == 0)
		return fail(err, errlen, -EINVAL, "no output buffer");
	/* A dot file: neither runc nor crun takes it for a container. */
	n = snprintf(pidf, sizeof(pidf), "%s/.exec-%d-%u.pid", rt->root, (int)getpid(),
		     atomic_fetch_add(&seq, 1));
	if (n < 0 || (size_t)n >= sizeof(pidf))
		return fail(err, errlen, -ENAMETOOLONG, "runtime state directory is too long");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	i = argv_start(r, rt, "exec");
	r->argv[i++] = "--pid-file";
	r->argv[i++] = pidf;
	r->argv[i++] = a->name;
	for (j = 0; a->argv[j] != NULL; j++)
		r->argv[i++] = a->argv[j];
	r->argv[i] = NULL;
	r->fd_out = -1;
	r->fd_err = -1;
	r->out = a->out;
	r->outcap = a->outlen;
	r->merge = true;
	r->timeout_ms = a->timeout_ms > 0 ? a->timeout_ms : rt->timeout_ms;
	r->kill_pidfile = pidf;
	rc = run_cmd(rt, r, err, errlen);
	unlink(pidf);
	a->out_used = r->outlen;
	a->truncated = r->trunc;
	if (rc == 0) {
		a->status = r->status;
		if (r->status != 0 && !rt_knows(rt, a->name))
			rc = fail(err, errlen, -ENOENT, "%s: container '%s' does not exist",
				  rt_name(rt), a->name);
		else if (r->status != 0) {
			pick_line(r->errbuf, line, sizeof(line));
			fail(err, errlen, 0, "%s exec %s: exit status %d%s%s", rt_name(rt), a->name,
			     r->status, line[0] != '\0' ? ": " : "", line);
		}
	}
	free(r);
	return rc;
}

/** Read the last non-empty line of a bundle's console.log into @p line. */
static void
console_tail(const char *bundle, char *line, size_t size)
{
	char path[PATH_MAX], buf[RUN_ERR_MAX];
	char *end, *start;
	struct stat st;
	off_t off;
	ssize_t n;
	int fd;

	line[0] = '\0';
	if (bundle == NULL || path_join(path, sizeof(path), bundle, F_CONSOLE) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off = fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(buf) - 1
		      ? st.st_size - (off_t)sizeof(buf) + 1
		      : 0;
	n = pread(fd, buf, sizeof(buf) - 1, off);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	start = strrchr(buf, '\n');
	start = start != NULL ? start + 1 : buf;
	n = end - start;
	if ((size_t)n >= size)
		n = (ssize_t)size - 1;
	memcpy(line, start, (size_t)n);
	line[n] = '\0';
}

/**
 * Wait until the runtime reports @p name stopped, for at most @p ms: on the
 * pidfd of its init when there is one, else by asking every
 * STATE_TICK_MS.
 *
 * @return 0 when stopped, -ETIMEDOUT, or an error of ct_runtime_state().
 */
static int
wait_stopped(const struct ct_runtime *rt, const char *name, int pid, unsigned int ms, char *err,
	     size_t errlen)
{
	int64_t deadline = now_ms() + ms;
	struct ct_runtime_state st;
	bool fired = false;
	int pidfd = -1, rc;

	if (pid > 0) {
		pidfd = pidfd_open(pid, 0);
		if (pidfd < 0 && errno == ESRCH)
			fired = true;
	}
	for (;;) {
		int64_t left = deadline - now_ms();

		if (left > 0 && pidfd >= 0 && !fired) {
			struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

			if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) > 0)
				fired = true;
		} else if (left > 0 && pidfd < 0 && !fired) {
			sleep_ms(left < STATE_TICK_MS ? (unsigned int)left : STATE_TICK_MS);
		}
		rc = ct_runtime_state(rt, name, &st, err, errlen);
		if (rc < 0)
			break;
		if (strcmp(st.status, "stopped") == 0)
			break;
		left = deadline - now_ms();
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		/* The init is gone but the runtime does not agree yet: ask again shortly. */
		if (fired)
			sleep_ms(left < STATE_TICK_MS ? (unsigned int)left : STATE_TICK_MS);
	}
	close_fd(&pidfd);
	return rc;
}

int
ct_runtime_check_running(const struct ct_runtime *rt, const char *name, const char *bundle,
			 unsigned int wait_ms, char *err, size_t errlen)
{
	struct ct_runtime_state st;
	char line[256];
	int rc;

	rc = ct_runtime_state(rt, name, &st, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(st.status, "stopped") != 0) {
		rc = wait_stopped(rt, name, st.pid, wait_ms > 0 ? wait_ms : CT_RUNTIME_CHECK_MS,
				  err, errlen);
		if (rc == -ETIMEDOUT)
			return 0;
		if (rc < 0)
			return rc;
	}
	console_tail(bundle, line, sizeof(line));
	if (line[0] != '\0')
		return fail(err, errlen, -ECHILD, "container '%s' exited at once: %s", name, line);
	return fail(err, errlen, -ECHILD, "container '%s' exited at once (no output)", name);
}

int
ct_runtime_stop(const struct ct_runtime *rt, const char *name, unsigned int grace_ms, char *err,
		size_t errlen)
{
	struct ct_runtime_state st;
	int rc;

	rc = ct_runtime_state(rt, name, &st, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(st.status, "running") != 0 && strcmp(st.status, "paused") != 0)
		return 0;
	rc = ct_runtime_kill(rt, name, SIGTERM, err, errlen);
	if (rc == 0)
		rc = wait_stopped(rt, name, st.pid, grace_ms, err, errlen);
	if (rc != -ETIMEDOUT && rc != -EIO)
		return rc;
	/* SIGTERM was ignored (pid 1 without a handler) or could not be sent. */
	rc = ct_runtime_kill(rt, name, SIGKILL, err, errlen);
	if (rc < 0) {
		/* It may have stopped in between. */
		if (ct_runtime_state(rt, name, &st, NULL, 0) == 0 &&
		    strcmp(st.status, "stopped") == 0)
			return 0;
		return rc;
	}
	rc = wait_stopped(rt, name, st.pid, rt->timeout_ms, err, errlen);
	if (rc == -ETIMEDOUT)
		return fail(err, errlen, -ETIMEDOUT, "container '%s' did not stop after SIGKILL",
			    name);
	return rc;
}
