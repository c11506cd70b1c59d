/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of OCI bundles and the runtime runner (containers/ct_oci.c).
 *
 * - Bundles: written config.json files are parsed back with jansson and
 *   checked field by field; bad arguments must fail with a message and
 *   leave nothing behind; a user's bundle is never modified.
 * - The runner, with a fake runtime (a shell script written by the test):
 *   state parsing, error messages, timeouts that kill the runtime's process
 *   group and the exec'd command, output bounds without deadlock, the
 *   create rollback, and (root) the private mount namespace that hides
 *   cgroup2.
 * - Real runc and crun (root; each skips when its binary is missing): a
 *   host-rootfs container in a network namespace made for the test, its
 *   limits in its cgroups, exec, kill, delete, the exited-at-once check.
 *
 * Everything the tests create on the host carries the prefix "ctto" and our
 * pid; teardowns remove it even when a test fails. The last test checks
 * that no descriptor and no child process was left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ct_oci.h"
#include "ct_test.h"

/** Deadline of every wait, in ms. */
#define WAIT_MS 5000
/** Poll period of waits, in ms. */
#define STEP_MS 20

/** Descriptors open when the group started (checked by the last test). */
static int fds_at_start = -1;

/* ------------------------------------------------------------------------- */
/* Helpers. */

/** snprintf() into a buffer that must be large enough. */
static void __attribute__((format(printf, 3, 4))) fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/** Number of open descriptors of this process. */
static int
count_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* The directory's own descriptor. */
}

/** Number of child processes of this process (zombies included). */
static int
count_children(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[64], buf[512], *rp;
		int ppid;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fmt(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL && (rp = strrchr(buf, ')')) != NULL &&
		    sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == (int)getpid())
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/** Whether process @p pid has ended (gone, or a zombie waiting for its parent). */
static bool
proc_dead(int pid)
{
	char path[64], buf[512], *rp;
	bool dead = true;
	FILE *f;

	fmt(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return true;
	if (fgets(buf, sizeof(buf), f) != NULL && (rp = strrchr(buf, ')')) != NULL)
		dead = rp[2] == 'Z' || rp[2] == 'X';
	fclose(f);
	return dead;
}

/** Wait up to WAIT_MS for process @p pid to end. */
static bool
wait_dead(int pid)
{
	int i;

	for (i = 0; i < WAIT_MS / STEP_MS; i++) {
		if (proc_dead(pid))
			return true;
		sleep_ms(STEP_MS);
	}
	return proc_dead(pid);
}

/** Read a small file into @p buf (NUL-terminated); -1 when it cannot be read. */
static int
read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/** Read a pid written into a file. */
static int
read_pid(const char *path)
{
	char buf[32];

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

/** Write @p text into @p path with mode @p mode. */
static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/** Remove a directory tree (not following links). */
static void
rm_rf(const char *path)
{
	if (path[0] != '\0')
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/** Run a shell command with a time limit (test set-up only); returns its status. */
static int __attribute__((format(printf, 1, 2))) sh(const char *f, ...)
{
	static const char pfx[] = "timeout -k 2 10 ";
	char cmd[512];
	va_list ap;

	memcpy(cmd, pfx, sizeof(pfx));
	va_start(ap, f);
	vsnprintf(cmd + sizeof(pfx) - 1, sizeof(cmd) - sizeof(pfx) + 1, f, ap);
	va_end(ap);
	return system(cmd);
}

/** Load @p dir/config.json. */
static json_t *
load_cfg(const char *dir)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *j;

	fmt(path, sizeof(path), "%s/config.json", dir);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		print_error("%s: %s\n", path, jerr.text);
	return j;
}

/** Whether the JSON array @p arr holds the string @p s. */
static bool
arr_has(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/** The mount of @p cfg with destination @p dest, or NULL. */
static json_t *
find_mount(const json_t *cfg, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(cfg, "mounts"), i, m) {
		if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
			return m;
	}
	return NULL;
}

/** The namespace entry of @p cfg of type @p type, or NULL. */
static json_t *
find_ns(const json_t *cfg, const char *type)
{
	json_t *n;
	size_t i;

	json_array_foreach (json_object_get(json_object_get(cfg, "linux"), "namespaces"), i, n) {
		if (strcmp(json_string_value(json_object_get(n, "type")), type) == 0)
			return n;
	}
	return NULL;
}

/** A string member, following a path of keys ("a", "b", NULL). */
static const char *
jstr(const json_t *j, ...)
{
	const char *k;
	va_list ap;

	va_start(ap, j);
	while ((k = va_arg(ap, const char *)) != NULL)
		j = json_object_get(j, k);
	va_end(ap);
	return json_is_string(j) ? json_string_value(j) : "";
}

/** An integer member, following a path of keys; -1 when missing. */
static json_int_t
jint(const json_t *j, ...)
{
	const char *k;
	va_list ap;

	va_start(ap, j);
	while ((k = va_arg(ap, const char *)) != NULL)
		j = json_object_get(j, k);
	va_end(ap);
	return json_is_integer(j) ? json_integer_value(j) : -1;
}

/* ------------------------------------------------------------------------- */
/* Bundle tests: a temporary directory each. */

/** A test's scratch directory. */
struct tdir {
	char path[64];
	char img[96];	/**< A rootfs directory. */
	char netns[96]; /**< A file standing for a network namespace. */
	char b[96];	/**< A bundle path (not made). */
};

static int
tdir_setup(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	fmt(t->path, sizeof(t->path), "/tmp/ctto.XXXXXX");
	if (mkdtemp(t->path) == NULL) {
		free(t);
		return -1;
	}
	fmt(t->img, sizeof(t->img), "%s/img", t->path);
	fmt(t->netns, sizeof(t->netns), "%s/netns", t->path);
	fmt(t->b, sizeof(t->b), "%s/b", t->path);
	if (mkdir(t->img, 0755) < 0) {
		rm_rf(t->path);
		free(t);
		return -1;
	}
	close(open(t->netns, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	*state = t;
	return 0;
}

static int
tdir_teardown(void **state)
{
	struct tdir *t = *state;

	rm_rf(t->path);
	free(t);
	return 0;
}

static const char *const argv3[] = {"/bin/echo", "a b", "c", NULL};

/** Valid arguments of an image-rootfs bundle in @p t. */
static struct ct_oci_bundle_args
good_args(const struct tdir *t)
{
	static const char *const env[] = {"FOO=bar", NULL};

	return (struct ct_oci_bundle_args){
		.name = "ctto-b1",
		.bundle_dir = t->b,
		.rootfs = t->img,
		.argv = argv3,
		.env = env,
		.cwd = "/tmp",
		.netns_path = t->netns,
		.cgroup_path = "/ctto/b1",
		.lim = {.memory_bytes = 64 << 20, .cpu_millis = 500, .pids_max = 32},
	};
}

/** An image-rootfs bundle: every input lands where the runtime spec says. */
static void
test_bundle_fields(void **state)
{
	struct tdir *t = *state;
	struct ct_oci_bundle_args a = good_args(t);
	static const char *const types[] = {"pid", "network", "ipc", "uts", "mount"};
	char err[256] = "", img_real[PATH_MAX], path[PATH_MAX];
	json_t *cfg, *args, *env, *m, *caps;
	struct dirent *de;
	struct stat st;
	unsigned int i;
	DIR *d;

	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);

	args = json_object_get(json_object_get(cfg, "process"), "args");
	assert_int_equal(json_array_size(args), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_array_get(args, i)), argv3[i]);
	env = json_object_get(json_object_get(cfg, "process"), "env");
	assert_true(arr_has(env, "FOO=bar"));
	assert_true(arr_has(env, CT_OCI_DEFAULT_PATH));
	assert_string_equal(jstr(cfg, "process", "cwd", NULL), "/tmp");
	assert_true(json_is_false(json_object_get(json_object_get(cfg, "process"), "terminal")));
	assert_int_equal(jint(cfg, "process", "user", "uid", NULL), 0);
	caps = json_object_get(json_object_get(cfg, "process"), "capabilities");
	assert_true(arr_has(json_object_get(caps, "bounding"), "CAP_NET_RAW"));
	assert_true(arr_has(json_object_get(caps, "effective"), "CAP_NET_RAW"));
	assert_true(arr_has(json_object_get(caps, "bounding"), "CAP_NET_BIND_SERVICE"));
	assert_true(arr_has(json_object_get(caps, "permitted"), "CAP_NET_BIND_SERVICE"));
	assert_false(arr_has(json_object_get(caps, "bounding"), "CAP_SYS_ADMIN"));

	assert_string_equal(jstr(cfg, "hostname", NULL), "ctto-b1");
	assert_non_null(realpath(t->img, img_real));
	assert_string_equal(jstr(cfg, "root", "path", NULL), img_real);
	assert_true(json_is_false(json_object_get(json_object_get(cfg, "root"), "readonly")));

	assert_int_equal(
		json_array_size(json_object_get(json_object_get(cfg, "linux"), "namespaces")), 5);
	for (i = 0; i < 5; i++)
		assert_non_null(find_ns(cfg, types[i]));
	assert_null(find_ns(cfg, "user"));
	assert_string_equal(jstr(find_ns(cfg, "network"), "path", NULL), t->netns);
	assert_null(json_object_get(find_ns(cfg, "pid"), "path"));
	assert_string_equal(jstr(cfg, "linux", "cgroupsPath", NULL), "/ctto/b1");
	assert_int_equal(jint(cfg, "linux", "resources", "memory", "limit", NULL), 64 << 20);
	assert_int_equal(jint(cfg, "linux", "resources", "cpu", "quota", NULL), 50000);
	assert_int_equal(jint(cfg, "linux", "resources", "cpu", "period", NULL), 100000);
	assert_int_equal(jint(cfg, "linux", "resources", "pids", "limit", NULL), 32);

	assert_string_equal(jstr(find_mount(cfg, "/proc"), "type", NULL), "proc");
	assert_string_equal(jstr(find_mount(cfg, "/dev"), "type", NULL), "tmpfs");
	assert_string_equal(jstr(find_mount(cfg, "/dev/pts"), "type", NULL), "devpts");
	assert_string_equal(jstr(find_mount(cfg, "/dev/shm"), "type", NULL), "tmpfs");
	assert_string_equal(jstr(find_mount(cfg, "/dev/mqueue"), "type", NULL), "mqueue");
	assert_string_equal(jstr(find_mount(cfg, "/tmp"), "type", NULL), "tmpfs");
	m = find_mount(cfg, "/sys");
	assert_string_equal(jstr(m, "type", NULL), "sysfs");
	assert_true(arr_has(json_object_get(m, "options"), "ro"));
	assert_null(find_mount(cfg, "/usr"));
	json_decref(cfg);

	/* Only config.json, private, and no temporary file left. */
	fmt(path, sizeof(path), "%s/config.json", t->b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	d = opendir(t->b);
	assert_non_null(d);
	i = 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			assert_string_equal(de->d_name, "config.json");
			i++;
		}
	closedir(d);
	assert_int_equal(i, 1);
}

/** Defaults: PATH, cwd, a new network namespace, no cgroups path, no limits. */
static void
test_bundle_defaults(void **state)
{
	static const char *const env_path[] = {"PATH=/ctto/bin", "A=1", NULL};
	struct tdir *t = *state;
	struct ct_oci_bundle_args a = good_args(t);
	char err[256] = "";
	json_t *cfg, *res, *env;

	a.env = NULL;
	a.cwd = NULL;
	a.netns_path = NULL;
	a.cgroup_path = NULL;
	memset(&a.lim, 0, sizeof(a.lim));
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);
	env = json_object_get(json_object_get(cfg, "process"), "env");
	assert_int_equal(json_array_size(env), 1);
	assert_string_equal(json_string_value(json_array_get(env, 0)), CT_OCI_DEFAULT_PATH);
	assert_string_equal(jstr(cfg, "process", "cwd", NULL), "/");
	assert_non_null(find_ns(cfg, "network"));
	assert_null(json_object_get(find_ns(cfg, "network"), "path"));
	assert_null(json_object_get(json_object_get(cfg, "linux"), "cgroupsPath"));
	res = json_object_get(json_object_get(cfg, "linux"), "resources");
	assert_non_null(res);
	assert_null(json_object_get(res, "memory"));
	assert_null(json_object_get(res, "cpu"));
	assert_null(json_object_get(res, "pids"));
	json_decref(cfg);

	/* An environment with its own PATH gets no second one. */
	a.env = env_path;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);
	env = json_object_get(json_object_get(cfg, "process"), "env");
	assert_int_equal(json_array_size(env), 2);
	assert_false(arr_has(env, CT_OCI_DEFAULT_PATH));
	assert_true(arr_has(env, "PATH=/ctto/bin"));
	json_decref(cfg);
}

/** Host rootfs: mount points, the host's links, read-only binds; removal. */
static void
test_bundle_host(void **state)
{
	static const char *const dirs[] = {"usr", "bin", "sbin", "lib", "lib64", "etc", NULL};
	static const char *const mnts[] = {"proc", "dev", "sys", "tmp", NULL};
	struct tdir *t = *state;
	struct ct_oci_bundle_args a = good_args(t);
	char err[256] = "", path[PATH_MAX], host[64], dst[64], lt[256], ht[256], rootfs[PATH_MAX];
	unsigned int i, binds = 0;
	struct stat st;
	json_t *cfg, *m;
	ssize_t n;

	a.rootfs = CT_OCI_ROOTFS_HOST;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	/* A second write over the same bundle is fine (the rootfs is reused). */
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);
	fmt(rootfs, sizeof(rootfs), "%s/rootfs", t->b);
	assert_string_equal(jstr(cfg, "root", "path", NULL), rootfs);
	assert_true(json_is_true(json_object_get(json_object_get(cfg, "root"), "readonly")));
	for (i = 0; mnts[i] != NULL; i++) {
		fmt(path, sizeof(path), "%s/%s", rootfs, mnts[i]);
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
	for (i = 0; dirs[i] != NULL; i++) {
		fmt(host, sizeof(host), "/%s", dirs[i]);
		fmt(path, sizeof(path), "%s/%s", rootfs, dirs[i]);
		fmt(dst, sizeof(dst), "/%s", dirs[i]);
		m = find_mount(cfg, dst);
		if (lstat(host, &st) < 0) {
			assert_false(exists(path));
			assert_null(m);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			/* Merged /usr: the same link, no mount. */
			n = readlink(host, ht, sizeof(ht) - 1);
			assert_true(n > 0);
			ht[n] = '\0';
			n = readlink(path, lt, sizeof(lt) - 1);
			assert_true(n > 0);
			lt[n] = '\0';
			assert_string_equal(lt, ht);
			assert_null(m);
			continue;
		}
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_non_null(m);
		assert_string_equal(jstr(m, "source", NULL), host);
		assert_string_equal(jstr(m, "type", NULL), "bind");
		assert_true(arr_has(json_object_get(m, "options"), "ro"));
		assert_true(arr_has(json_object_get(m, "options"), "rbind"));
		binds++;
	}
	/* At least /usr and /etc are real directories on any host. */
	assert_true(binds >= 2);
	json_decref(cfg);

	/* Something unknown in the bundle stops the removal, which then changes nothing. */
	fmt(path, sizeof(path), "%s/ctto-foreign", t->b);
	write_file(path, "x", 0600);
	assert_int_equal(ct_oci_bundle_remove(t->b), -ENOTEMPTY);
	fmt(path, sizeof(path), "%s/config.json", t->b);
	assert_true(exists(path));
	fmt(path, sizeof(path), "%s/ctto-foreign", t->b);
	unlink(path);
	/* Also something inside a mount point. */
	fmt(path, sizeof(path), "%s/usr/ctto-foreign", rootfs);
	write_file(path, "x", 0600);
	assert_int_equal(ct_oci_bundle_remove(t->b), -ENOTEMPTY);
	fmt(path, sizeof(path), "%s/proc", rootfs);
	assert_true(exists(path));
	fmt(path, sizeof(path), "%s/usr/ctto-foreign", rootfs);
	unlink(path);

	assert_int_equal(ct_oci_bundle_remove(t->b), 0);
	assert_false(exists(t->b));
	assert_int_equal(ct_oci_bundle_remove(t->b), 0);
	assert_int_equal(ct_oci_bundle_remove("relative/b"), -EINVAL);
}

/** One bad-argument case: a change to the good arguments and the expected error. */
struct bad_case {
	const char *what;
	int rc;
	void (*apply)(struct ct_oci_bundle_args *a, const struct tdir *t);
	const char *msg; /**< Expected in the message. */
};

static char long_name[80];
static const char *many_args[CT_OCI_MAX_ARGS + 2];
static const char *const empty_argv[] = {NULL};
static const char *const blank_argv[] = {"", NULL};
static const char *const bad_env1[] = {"NOEQUALS", NULL};
static const char *const bad_env2[] = {"=x", NULL};
static const char *const bad_utf8[] = {"echo", "\xff\xfe", NULL};
static const char *const bad_env_utf8[] = {"K=\xff", NULL};
static char path_buf[160];

/*
 * A bundle case that changes one field and needs no test directory; the
 * cases that do are written out below.
 */
#define BUNDLE_CASE(fn, change)                                            \
	static void fn(struct ct_oci_bundle_args *a, const struct tdir *t) \
	{                                                                  \
		(void)t;                                                   \
		change;                                                    \
	}
BUNDLE_CASE(b_name_empty, a->name = "")
BUNDLE_CASE(b_name_dash, a->name = "-ctto")
BUNDLE_CASE(b_name_slash, a->name = "ctto/x")
static void
b_name_long(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	(void)t;
	memset(long_name, 'c', CT_OCI_NAME_MAX + 1);
	long_name[CT_OCI_NAME_MAX + 1] = '\0';
	a->name = long_name;
}
BUNDLE_CASE(b_bundle_rel, a->bundle_dir = "ctto-rel/b")
BUNDLE_CASE(b_bundle_null, a->bundle_dir = NULL)
static void
b_parent_missing(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	fmt(path_buf, sizeof(path_buf), "%s/none/b", t->path);
	a->bundle_dir = path_buf;
}
BUNDLE_CASE(b_argv_null, a->argv = NULL)
BUNDLE_CASE(b_argv_empty, a->argv = empty_argv)
BUNDLE_CASE(b_argv_blank, a->argv = blank_argv)
static void
b_argv_65(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	int i;

	(void)t;
	for (i = 0; i < CT_OCI_MAX_ARGS + 1; i++)
		many_args[i] = "x";
	many_args[CT_OCI_MAX_ARGS + 1] = NULL;
	a->argv = many_args;
}
BUNDLE_CASE(b_no_rootfs, a->rootfs = NULL)
static void
b_both_rootfs(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	a->user_bundle = t->path;
}
static void
b_rootfs_missing(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	fmt(path_buf, sizeof(path_buf), "%s/no-such-img", t->path);
	a->rootfs = path_buf;
}
BUNDLE_CASE(b_rootfs_rel, a->rootfs = "img")
static void
b_rootfs_file(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	a->rootfs = t->netns;
}
BUNDLE_CASE(b_env1, a->env = bad_env1)
BUNDLE_CASE(b_env2, a->env = bad_env2)
BUNDLE_CASE(b_argv_utf8, a->argv = bad_utf8)
BUNDLE_CASE(b_env_utf8, a->env = bad_env_utf8)
BUNDLE_CASE(b_cwd_rel, a->cwd = "tmp")
BUNDLE_CASE(b_netns_missing, a->netns_path = "/run/netns/ctto-no-such-netns")
BUNDLE_CASE(b_cg_rel, a->cgroup_path = "ctto/x")
BUNDLE_CASE(b_cg_dotdot, a->cgroup_path = "/ctto/../x")
BUNDLE_CASE(b_cg_empty, a->cgroup_path = "/ctto//x")
BUNDLE_CASE(b_mem_small, a->lim.memory_bytes = 4096)
BUNDLE_CASE(b_cpu_small, a->lim.cpu_millis = 5)
BUNDLE_CASE(b_cpu_big, a->lim.cpu_millis = 2000000)
BUNDLE_CASE(b_pids_big, a->lim.pids_max = 5000000)
static void
b_user_missing(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	fmt(path_buf, sizeof(path_buf), "%s/no-such-bundle", t->path);
	a->rootfs = NULL;
	a->user_bundle = path_buf;
}
static void
b_user_no_config(struct ct_oci_bundle_args *a, const struct tdir *t)
{
	/* The image directory has no config.json. */
	a->rootfs = NULL;
	a->user_bundle = t->img;
}

static const struct bad_case bad_cases[] = {
	{"empty name", -EINVAL, b_name_empty, "name is empty"},
	{"name starting with a dash", -EINVAL, b_name_dash, "must start with"},
	{"name with a slash", -EINVAL, b_name_slash, "[A-Za-z0-9_.-]"},
	{"name too long", -EINVAL, b_name_long, "longer than 63"},
	{"relative bundle", -EINVAL, b_bundle_rel, "not an absolute path"},
	{"no bundle", -EINVAL, b_bundle_null, "bundle directory is missing"},
	{"bundle parent missing", -ENOENT, b_parent_missing, "No such file"},
	{"no argv", -EINVAL, b_argv_null, "process arguments is empty"},
	{"empty argv", -EINVAL, b_argv_empty, "process arguments is empty"},
	{"empty program", -EINVAL, b_argv_blank, "program name is empty"},
	{"65 arguments", -EINVAL, b_argv_65, "more than 64"},
	{"neither rootfs nor user bundle", -EINVAL, b_no_rootfs, "exactly one"},
	{"both rootfs and user bundle", -EINVAL, b_both_rootfs, "exactly one"},
	{"missing rootfs", -ENOENT, b_rootfs_missing, "No such file"},
	{"relative rootfs", -EINVAL, b_rootfs_rel, "not an absolute path"},
	{"rootfs is a file", -ENOTDIR, b_rootfs_file, "not a directory"},
	{"env without '='", -EINVAL, b_env1, "KEY=VALUE"},
	{"env without a key", -EINVAL, b_env2, "KEY=VALUE"},
	{"argument not UTF-8", -EINVAL, b_argv_utf8, "UTF-8"},
	{"env not UTF-8", -EINVAL, b_env_utf8, "UTF-8"},
	{"relative cwd", -EINVAL, b_cwd_rel, "not an absolute path"},
	{"missing netns", -ENOENT, b_netns_missing, "ctto-no-such-netns"},
	{"relative cgroup path", -EINVAL, b_cg_rel, "not an absolute path"},
	{"cgroup path with ..", -EINVAL, b_cg_dotdot, "'..' component"},
	{"cgroup path with //", -EINVAL, b_cg_empty, "'..' component"},
	{"memory below the minimum", -EINVAL, b_mem_small, "below the minimum"},
	{"cpu below the minimum", -EINVAL, b_cpu_small, "outside 10..1000000"},
	{"cpu above the maximum", -EINVAL, b_cpu_big, "outside 10..1000000"},
	{"pids above the maximum", -EINVAL, b_pids_big, "above 4194304"},
	{"missing user bundle", -ENOENT, b_user_missing, "no-such-bundle"},
	{"user bundle without config.json", -ENOENT, b_user_no_config, "config.json"},
};

/** Number of entries of a directory. */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/** Bad arguments: the expected error, a message, and nothing written. */
static void
test_bundle_bad_args(void **state)
{
	struct tdir *t = *state;
	char err[256], keep[PATH_MAX], before[8192], after[8192];
	struct ct_oci_bundle_args a;
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		a = good_args(t);
		bad_cases[i].apply(&a, t);
		err[0] = '\0';
		rc = ct_oci_bundle_write(&a, err, sizeof(err));
		if (rc != bad_cases[i].rc || err[0] == '\0' || exists(t->b))
			print_error("case '%s': rc %d (expected %d), err '%s'\n", bad_cases[i].what,
				    rc, bad_cases[i].rc, err);
		assert_int_equal(rc, bad_cases[i].rc);
		if (strstr(err, bad_cases[i].msg) == NULL)
			print_error("case '%s': message '%s' lacks '%s'\n", bad_cases[i].what, err,
				    bad_cases[i].msg);
		assert_non_null(strstr(err, bad_cases[i].msg));
		/* Nothing new in the scratch directory: only img and netns. */
		assert_int_equal(count_entries(t->path), 2);
	}

	/* Exactly CT_OCI_MAX_ARGS arguments are fine. */
	a = good_args(t);
	b_argv_65(&a, t);
	many_args[CT_OCI_MAX_ARGS] = NULL;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);

	/* A failed write over an existing bundle keeps its config.json as it was. */
	fmt(keep, sizeof(keep), "%s/config.json", t->b);
	assert_true(read_file(keep, before, sizeof(before)) > 0);
	a = good_args(t);
	a.argv = empty_argv;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), -EINVAL);
	a = good_args(t);
	a.rootfs = CT_OCI_ROOTFS_HOST;
	a.lim.memory_bytes = 1;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), -EINVAL);
	assert_true(read_file(keep, after, sizeof(after)) > 0);
	assert_string_equal(before, after);
	fmt(keep, sizeof(keep), "%s/rootfs", t->b);
	assert_false(exists(keep));
	assert_int_equal(ct_oci_name_check("ctto_ok.1-x", NULL, 0), 0);
	assert_int_equal(ct_oci_bundle_write(NULL, err, sizeof(err)), -EINVAL);
}

/** A user's configuration in the style of `runc spec`. */
static const char user_config[] =
	"{\n"
	"  \"ociVersion\": \"1.0.2-dev\",\n"
	"  \"process\": {\"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0},\n"
	"    \"args\": [\"sh\"], \"env\": [\"PATH=/bin\", \"TERM=xterm\"], \"cwd\": \"/\"},\n"
	"  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
	"  \"hostname\": \"userhost\",\n"
	"  \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	"    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"data\",\n"
	"     \"options\": [\"rbind\", \"ro\"]},\n"
	"    {\"destination\": \"/abs\", \"type\": \"none\", \"source\": \"/srv\",\n"
	"     \"options\": [\"bind\"]}],\n"
	"  \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"},\n"
	"    {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}],\n"
	"    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}}\n"
	"}\n";

/** A user's bundle: copied with our changes, never modified. */
static void
test_bundle_user(void **state)
{
	static const char *const argv2[] = {"sleep", "1", NULL};
	struct tdir *t = *state;
	struct ct_oci_bundle_args a = good_args(t);
	char err[256] = "", ub[PATH_MAX], path[PATH_MAX], cfgp[PATH_MAX], real[PATH_MAX];
	char before[8192], after[8192];
	struct stat st0, st1;
	json_t *cfg, *args;

	fmt(ub, sizeof(ub), "%s/user", t->path);
	assert_int_equal(mkdir(ub, 0755), 0);
	fmt(path, sizeof(path), "%s/rootfs", ub);
	assert_int_equal(mkdir(path, 0755), 0);
	fmt(path, sizeof(path), "%s/data", ub);
	assert_int_equal(mkdir(path, 0755), 0);
	fmt(cfgp, sizeof(cfgp), "%s/config.json", ub);
	write_file(cfgp, user_config, 0644);
	assert_int_equal(stat(cfgp, &st0), 0);
	assert_true(read_file(cfgp, before, sizeof(before)) > 0);

	a.rootfs = NULL;
	a.user_bundle = ub;
	a.argv = NULL;
	a.env = NULL;
	a.cwd = NULL;
	a.lim = (struct ct_oci_limits){.memory_bytes = 32 << 20};
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);
	assert_string_equal(jstr(find_ns(cfg, "network"), "path", NULL), t->netns);
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(cfg, "linux"), "namespaces")), 5);
	assert_null(json_object_get(find_ns(cfg, "pid"), "path"));
	fmt(path, sizeof(path), "%s/rootfs", ub);
	assert_non_null(realpath(path, real));
	assert_string_equal(jstr(cfg, "root", "path", NULL), real);
	assert_true(json_is_true(json_object_get(json_object_get(cfg, "root"), "readonly")));
	assert_non_null(realpath(ub, real));
	fmt(path, sizeof(path), "%s/data", real);
	assert_string_equal(jstr(find_mount(cfg, "/data"), "source", NULL), path);
	assert_string_equal(jstr(find_mount(cfg, "/abs"), "source", NULL), "/srv");
	assert_string_equal(jstr(find_mount(cfg, "/proc"), "source", NULL), "proc");
	assert_true(json_is_false(json_object_get(json_object_get(cfg, "process"), "terminal")));
	args = json_object_get(json_object_get(cfg, "process"), "args");
	assert_int_equal(json_array_size(args), 1);
	assert_string_equal(json_string_value(json_array_get(args, 0)), "sh");
	assert_true(arr_has(json_object_get(json_object_get(cfg, "process"), "env"), "TERM=xterm"));
	assert_string_equal(jstr(cfg, "hostname", NULL), "userhost");
	assert_string_equal(jstr(cfg, "linux", "cgroupsPath", NULL), "/ctto/b1");
	assert_int_equal(jint(cfg, "linux", "resources", "memory", "limit", NULL), 32 << 20);
	assert_null(json_object_get(json_object_get(json_object_get(cfg, "linux"), "resources"),
				    "cpu"));
	assert_non_null(json_object_get(json_object_get(json_object_get(cfg, "linux"), "resources"),
					"devices"));
	json_decref(cfg);

	/* Arguments given replace the user's. */
	a.argv = argv2;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);
	args = json_object_get(json_object_get(cfg, "process"), "args");
	assert_int_equal(json_array_size(args), 2);
	assert_string_equal(json_string_value(json_array_get(args, 0)), "sleep");
	json_decref(cfg);

	/* Our bundle directory must not be the user's. */
	a.bundle_dir = ub;
	err[0] = '\0';
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), -EINVAL);
	assert_true(err[0] != '\0');
	a.bundle_dir = t->b;

	/* The user's file is untouched. */
	assert_true(read_file(cfgp, after, sizeof(after)) > 0);
	assert_string_equal(before, after);
	assert_int_equal(stat(cfgp, &st1), 0);
	assert_int_equal(st0.st_mtim.tv_sec, st1.st_mtim.tv_sec);
	assert_int_equal(st0.st_mtim.tv_nsec, st1.st_mtim.tv_nsec);

	/* A configuration without a network namespace gets one. */
	write_file(cfgp,
		   "{\"process\": {\"args\": [\"sh\"]}, \"root\": {\"path\": \"rootfs\"},"
		   " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
		   0644);
	rm_rf(t->b);
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	cfg = load_cfg(t->b);
	assert_non_null(cfg);
	assert_string_equal(jstr(find_ns(cfg, "network"), "path", NULL), t->netns);
	assert_non_null(find_ns(cfg, "pid"));
	json_decref(cfg);

	/* Bad user configurations: an error, a message and nothing written. */
	rm_rf(t->b);
	write_file(cfgp, "{\"process\": {\"args\": [\"sh\"]}, \"root\": {\"path\": \"nope\"}}",
		   0644);
	err[0] = '\0';
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), -ENOENT);
	assert_true(err[0] != '\0');
	assert_false(exists(t->b));
	write_file(cfgp, "{\"process\": {\"args\": [\"sh\"]}, \"root\": ", 0644);
	err[0] = '\0';
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), -EINVAL);
	assert_true(err[0] != '\0');
	assert_false(exists(t->b));
	write_file(cfgp, "{\"root\": {\"path\": \"rootfs\"}}", 0644);
	a.argv = NULL;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), -EINVAL);
	assert_false(exists(t->b));
}

/* ------------------------------------------------------------------------- */
/* The runner, with a fake runtime. */

/**
 * The fake runtime. It is called as `fakert --root R CMD ARGS...` and
 * leaves traces in R for the test to check.
 */
static const char fake_rt[] =
	"#!/bin/sh\n"
	"root=$2; cmd=$3; shift 3\n"
	"case \"$cmd\" in\n"
	"state)\n"
	"\tif [ \"$1\" = ctto-fake ]; then\n"
	"\t\techo '{\"ociVersion\": \"1.0.2\", \"id\": \"ctto-fake\", \"pid\": 4242,'\n"
	"\t\techo ' \"status\": \"running\", \"bundle\": \"/x\"}'; exit 0\n"
	"\tfi\n"
	"\techo 'time=\"2024-01-01T00:00:00Z\" level=error msg=\"container does not exist\"' >&2\n"
	"\texit 1 ;;\n"
	"start)\n"
	"\techo 'time=\"2024-01-01T00:00:00Z\" level=warning msg=\"just a warning\"' >&2\n"
	"\techo 'time=\"2024-01-01T00:00:00Z\" level=error msg=\"cannot start \\\"x\\\": boom\"' "
	">&2\n"
	"\texit 1 ;;\n"
	"kill)\n"
	"\tsleep 30 & echo $! > \"$root/bg.pid\"; wait; exit 0 ;;\n"
	"delete)\n"
	"\t[ \"$1\" = --force ] && shift\n"
	"\techo \"$1\" >> \"$root/deleted\"; rmdir \"$root/$1\" 2>/dev/null; exit 0 ;;\n"
	"create)\n"
	"\techo \"$5\" > \"$root/create-called\"\n"
	"\tcase \"$5\" in *-half) mkdir \"$root/$5\" ;; esac\n"
	"\techo 'time=\"x\" level=error msg=\"bad config \\\"c\\\"\"' >&2; exit 1 ;;\n"
	"exec)\n"
	"\tpidf=$2; shift 3; echo $$ > \"$pidf\"\n"
	"\tcase \"$1\" in\n"
	"\tout) echo out; echo err >&2; exit 3 ;;\n"
	"\tbig) i=0; while [ $i -lt 5000 ]; do\n"
	"\t\techo 0123456789012345678901234567890123456789; i=$((i+1)); done; exit 0 ;;\n"
	"\thang) setsid sleep 30 & echo $! > \"$pidf\"; echo $! > \"$root/hang.pid\"\n"
	"\t\twait; exit 0 ;;\n"
	"\tmounts) grep -c ' - cgroup2 ' /proc/self/mountinfo; exit 0 ;;\n"
	"\tenv) env; exit 0 ;;\n"
	"\tesac ;;\n"
	"esac\n"
	"exit 2\n";

/** A fake runtime in a scratch directory. */
struct tfake {
	char dir[64];
	char root[96];
	char bin[96];
	char bundle[96];
	struct ct_runtime rt;
};

static int
fake_setup(void **state)
{
	struct tfake *f = calloc(1, sizeof(*f));
	char err[256], known[PATH_MAX];
	int fd;

	if (f == NULL)
		return -1;
	fmt(f->dir, sizeof(f->dir), "/tmp/ctto.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	fmt(f->root, sizeof(f->root), "%s/state", f->dir);
	fmt(f->bin, sizeof(f->bin), "%s/fakert", f->dir);
	fmt(f->bundle, sizeof(f->bundle), "%s/bundle", f->dir);
	/* The runtime keeps a directory per container under its root. */
	fmt(known, sizeof(known), "%s/ctto-fake", f->root);
	fd = open(f->bin, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, fake_rt, strlen(fake_rt)) != (ssize_t)strlen(fake_rt) ||
	    close(fd) < 0 || mkdir(f->bundle, 0700) < 0 ||
	    ct_runtime_init(&f->rt, f->bin, f->root, err, sizeof(err)) < 0 ||
	    mkdir(known, 0700) < 0) {
		print_error("fake runtime setup failed\n");
		rm_rf(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
fake_teardown(void **state)
{
	struct tfake *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

/** The runner: answers, messages, -ENOENT, timeouts, output bounds, rollback. */
static void
test_runner_fake(void **state)
{
	static const char *const c_out[] = {"out", NULL};
	static const char *const c_big[] = {"big", NULL};
	static const char *const c_hang[] = {"hang", NULL};
	static const char *const c_env[] = {"env", NULL};
	struct tfake *f = *state;
	struct ct_runtime_exec_args x;
	struct ct_runtime_state st;
	char err[256], out[512], small[100], path[PATH_MAX], buf[512];
	int pid;

	assert_int_equal(f->rt.kind, CT_RUNTIME_OTHER);
	assert_false(f->rt.hide_cgroup2);
	assert_string_equal(f->rt.bin, f->bin);

	/* state: the JSON answer is parsed. */
	assert_int_equal(ct_runtime_state(&f->rt, "ctto-fake", &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "running");
	assert_int_equal(st.pid, 4242);
	/* A container the runtime does not keep state for. */
	err[0] = '\0';
	assert_int_equal(ct_runtime_state(&f->rt, "ctto-gone", &st, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "ctto-gone"));
	assert_int_equal(ct_runtime_start(&f->rt, "ctto-gone", err, sizeof(err)), -ENOENT);

	/* A known container whose start fails: runc's error line, unquoted. */
	fmt(path, sizeof(path), "%s/ctto-known", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	err[0] = '\0';
	assert_int_equal(ct_runtime_start(&f->rt, "ctto-known", err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "cannot start \"x\": boom"));
	assert_null(strstr(err, "level="));
	assert_int_equal(ct_runtime_state(&f->rt, "ctto-known", &st, err, sizeof(err)), -EIO);
	assert_int_equal(rmdir(path), 0);

	/* A runtime that hangs is killed with its process group, and reaped. */
	f->rt.timeout_ms = 300;
	err[0] = '\0';
	assert_int_equal(ct_runtime_kill(&f->rt, "ctto-fake", SIGTERM, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_true(err[0] != '\0');
	fmt(path, sizeof(path), "%s/bg.pid", f->root);
	pid = read_pid(path);
	assert_true(pid > 1);
	assert_true(wait_dead(pid));
	assert_int_equal(count_children(), 0);
	f->rt.timeout_ms = CT_RUNTIME_TIMEOUT_MS;
	assert_int_equal(ct_runtime_kill(&f->rt, "ctto-fake", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(ct_runtime_kill(&f->rt, "ctto-fake", 65, err, sizeof(err)), -EINVAL);

	/* exec: stdout and stderr together, the exit status, the message. */
	x = (struct ct_runtime_exec_args){
		.name = "ctto-fake", .argv = c_out, .out = out, .outlen = sizeof(out)};
	err[0] = '\0';
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), 0);
	assert_int_equal(x.status, 3);
	assert_non_null(strstr(out, "out\n"));
	assert_non_null(strstr(out, "err\n"));
	assert_int_equal(x.out_used, strlen(out));
	assert_false(x.truncated);
	assert_non_null(strstr(err, "exit status 3"));

	/* Output far beyond the pipe's buffer: read and cut, no deadlock. */
	x = (struct ct_runtime_exec_args){
		.name = "ctto-fake", .argv = c_big, .out = small, .outlen = sizeof(small)};
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), 0);
	assert_int_equal(x.status, 0);
	assert_true(x.truncated);
	assert_int_equal(x.out_used, sizeof(small) - 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "0123456789", 10);

	/* The runtime's environment is ours to choose, not the caller's. */
	setenv("CTTO_SECRET", "1", 1);
	x = (struct ct_runtime_exec_args){
		.name = "ctto-fake", .argv = c_env, .out = out, .outlen = sizeof(out)};
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), 0);
	unsetenv("CTTO_SECRET");
	assert_null(strstr(out, "CTTO_SECRET"));
	assert_non_null(strstr(out, CT_OCI_DEFAULT_PATH));

	/* An exec that overruns: the runtime and its command (by pid file) are killed. */
	x = (struct ct_runtime_exec_args){.name = "ctto-fake",
					  .argv = c_hang,
					  .out = out,
					  .outlen = sizeof(out),
					  .timeout_ms = 300};
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), -ETIMEDOUT);
	fmt(path, sizeof(path), "%s/hang.pid", f->root);
	pid = read_pid(path);
	assert_true(pid > 1);
	assert_true(wait_dead(pid));
	assert_int_equal(count_children(), 0);
	/* No pid file left in the state directory. */
	fmt(path, sizeof(path), "sh -c 'ls -a %s | grep -q exec'", f->root);
	assert_true(system(path) != 0);

	/* create: the message comes back from console.log. */
	fmt(path, sizeof(path), "%s/config.json", f->bundle);
	write_file(path, "{}", 0600);
	err[0] = '\0';
	assert_int_equal(ct_runtime_create(&f->rt, "ctto-c1", f->bundle, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "bad config \"c\""));
	fmt(path, sizeof(path), "%s/console.log", f->bundle);
	assert_true(read_file(path, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "bad config"));
	/* Nothing to roll back: delete is not called. */
	fmt(path, sizeof(path), "%s/deleted", f->root);
	assert_false(exists(path));
	/* A create that failed half-way is rolled back. */
	assert_int_equal(ct_runtime_create(&f->rt, "ctto-half", f->bundle, err, sizeof(err)), -EIO);
	assert_true(read_file(path, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ctto-half\n");
	fmt(path, sizeof(path), "%s/ctto-half", f->root);
	assert_false(exists(path));
	/* An existing container: -EEXIST, and the runtime is not even called. */
	fmt(path, sizeof(path), "%s/create-called", f->root);
	unlink(path);
	fmt(path, sizeof(path), "%s/ctto-there", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ct_runtime_create(&f->rt, "ctto-there", f->bundle, err, sizeof(err)),
			 -EEXIST);
	fmt(path, sizeof(path), "%s/create-called", f->root);
	assert_false(exists(path));
	/* A bundle without config.json, bad names, relative bundles. */
	fmt(path, sizeof(path), "%s/config.json", f->bundle);
	unlink(path);
	assert_int_equal(ct_runtime_create(&f->rt, "ctto-c2", f->bundle, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(ct_runtime_create(&f->rt, "ctto-c2", "bundle", err, sizeof(err)), -EINVAL);
	assert_int_equal(ct_runtime_start(&f->rt, "../x", err, sizeof(err)), -EINVAL);
	assert_int_equal(ct_runtime_delete(&f->rt, "", false, err, sizeof(err)), -EINVAL);
	x = (struct ct_runtime_exec_args){
		.name = "ctto-fake", .argv = empty_argv, .out = out, .outlen = sizeof(out)};
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), -EINVAL);
	assert_int_equal(count_children(), 0);
}

/** Count the cgroup2 mounts of this process. */
static int
count_cgroup2(bool *has_v1)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	*has_v1 = false;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, " - cgroup2 ") != NULL)
			n++;
		else if (strstr(line, " - cgroup ") != NULL)
			*has_v1 = true;
	}
	fclose(f);
	return n;
}

/** hide_cgroup2: the runtime sees no cgroup2 mount; we still do (root). */
static void
test_runner_hide_cgroup2(void **state)
{
	static const char *const c_mounts[] = {"mounts", NULL};
	struct tfake *f = *state;
	struct ct_runtime_exec_args x;
	char err[256], out[64], expect[16];
	bool has_v1;
	int host;

	if (geteuid() != 0)
		skip();
	host = count_cgroup2(&has_v1);
	assert_true(host >= 0);
	x = (struct ct_runtime_exec_args){
		.name = "ctto-fake", .argv = c_mounts, .out = out, .outlen = sizeof(out)};
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), 0);
	fmt(expect, sizeof(expect), "%d\n", host);
	assert_string_equal(out, expect);
	f->rt.hide_cgroup2 = true;
	assert_int_equal(ct_runtime_exec(&f->rt, &x, err, sizeof(err)), 0);
	assert_string_equal(out, "0\n");
	assert_int_equal(count_cgroup2(&has_v1), host);
}

/** ct_runtime_init(): lookup, kinds, the cgroup2 flag, missing runtimes. */
static void
test_runtime_init(void **state)
{
	struct tdir *t = *state;
	struct ct_runtime rt;
	char err[256] = "", root[PATH_MAX];
	bool has_v1;
	int cg2;

	fmt(root, sizeof(root), "%s/state/runc", t->path);
	assert_int_equal(ct_runtime_init(&rt, "ctto-no-such-runtime", root, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "OCI runtime 'ctto-no-such-runtime' not found");
	assert_false(exists(root));
	assert_int_equal(ct_runtime_init(&rt, "/ctto/no/crun", root, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not found"));
	assert_int_equal(ct_runtime_init(&rt, "./runc", root, err, sizeof(err)), -EINVAL);
	assert_int_equal(ct_runtime_init(&rt, "", root, err, sizeof(err)), -EINVAL);
	/* Not executable. */
	assert_int_equal(ct_runtime_init(&rt, t->netns, root, err, sizeof(err)), -EACCES);
	assert_false(exists(root));
	/* The ordinary shell stands in for a runtime here; the state root must be absolute. */
	assert_int_equal(ct_runtime_init(&rt, "sh", "ctto-state", err, sizeof(err)), -EINVAL);
	assert_int_equal(ct_runtime_init(&rt, "sh", root, err, sizeof(err)), 0);
	assert_int_equal(rt.kind, CT_RUNTIME_OTHER);
	assert_true(rt.bin[0] == '/');
	assert_string_equal(rt.root, root);
	assert_int_equal(rt.timeout_ms, CT_RUNTIME_TIMEOUT_MS);
	assert_true(exists(root));

	cg2 = count_cgroup2(&has_v1);
	if (ct_runtime_init(&rt, "runc", root, err, sizeof(err)) == 0) {
		assert_int_equal(rt.kind, CT_RUNTIME_RUNC);
		assert_false(rt.hide_cgroup2);
	}
	if (ct_runtime_init(&rt, "crun", root, err, sizeof(err)) == 0) {
		assert_int_equal(rt.kind, CT_RUNTIME_CRUN);
		assert_int_equal(rt.hide_cgroup2, cg2 > 0 && has_v1);
	}
}

/* ------------------------------------------------------------------------- */
/* Real runtimes (root). */

/** One real runtime's test context. */
struct trt {
	const char *name;     /**< "runc" or "crun". */
	char tag;	      /**< 'r' or 'c', in host names. */
	bool ready;	      /**< Set up; otherwise the test skips. */
	char netns[32];	      /**< Network namespace made for the test. */
	char netns_path[64];  /**< /run/netns/<netns>. */
	char dir[64];	      /**< Scratch directory (bundles). */
	char root[96];	      /**< Runtime state directory. */
	char cgparent[48];    /**< cgroups parent: /ctto-<pid>-<tag>. */
	char names[4][32];    /**< Containers made by the test, deleted in teardown. */
	struct ct_runtime rt; /**< The runtime. */
};

static struct trt rt_runc = {.name = "runc", .tag = 'r'};
static struct trt rt_crun = {.name = "crun", .tag = 'c'};

static int
trt_setup(void **state)
{
	struct trt *c = *state;
	char err[256];

	c->ready = false;
	memset(c->names, 0, sizeof(c->names));
	if (geteuid() != 0)
		return 0;
	fmt(c->root, sizeof(c->root), "/run/ctto-%d-%c", (int)getpid(), c->tag);
	if (ct_runtime_init(&c->rt, c->name, c->root, err, sizeof(err)) < 0) {
		print_message("%s: %s\n", c->name, err);
		return 0;
	}
	fmt(c->dir, sizeof(c->dir), "/tmp/ctto.XXXXXX");
	if (mkdtemp(c->dir) == NULL)
		return -1;
	fmt(c->netns, sizeof(c->netns), "ctto%c%d", c->tag, (int)getpid());
	fmt(c->netns_path, sizeof(c->netns_path), "/run/netns/%s", c->netns);
	fmt(c->cgparent, sizeof(c->cgparent), "/ctto-%d-%c", (int)getpid(), c->tag);
	if (sh("ip netns add %s", c->netns) != 0) {
		rm_rf(c->dir);
		return -1;
	}
	c->ready = true;
	return 0;
}

static int
trt_teardown(void **state)
{
	struct trt *c = *state;
	char path[PATH_MAX];
	struct dirent *de;
	unsigned int i;
	DIR *d;

	if (!c->ready)
		return 0;
	for (i = 0; i < 4; i++) {
		if (c->names[i][0] == '\0')
			continue;
		ct_runtime_delete(&c->rt, c->names[i], true, NULL, 0);
		fmt(path, sizeof(path), "%s/%s", c->dir, c->names[i]);
		ct_oci_bundle_remove(path);
	}
	rm_rf(c->dir);
	rm_rf(c->root);
	sh("ip netns del %s", c->netns);
	/* The runtimes leave the cgroups parent behind in every hierarchy. */
	d = opendir("/sys/fs/cgroup");
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fmt(path, sizeof(path), "/sys/fs/cgroup/%s%s", de->d_name, c->cgparent);
		rmdir(path);
	}
	if (d != NULL)
		closedir(d);
	fmt(path, sizeof(path), "/sys/fs/cgroup%s", c->cgparent);
	rmdir(path);
	c->ready = false;
	return 0;
}

/** Write a host-rootfs bundle for container @p idx of the test, running @p argv. */
static void
trt_bundle(struct trt *c, unsigned int idx, const char *name, const char *const *argv, char *bundle,
	   size_t size)
{
	char err[256] = "", cg[96];
	struct ct_oci_bundle_args a = {
		.name = name,
		.rootfs = CT_OCI_ROOTFS_HOST,
		.argv = argv,
		.netns_path = c->netns_path,
		.cgroup_path = cg,
		.lim = {.memory_bytes = 64 << 20, .cpu_millis = 500, .pids_max = 64},
	};

	fmt(c->names[idx], sizeof(c->names[idx]), "%s", name);
	fmt(cg, sizeof(cg), "%s/%s", c->cgparent, name);
	fmt(bundle, size, "%s/%s", c->dir, name);
	a.bundle_dir = bundle;
	if (ct_oci_bundle_write(&a, err, sizeof(err)) != 0)
		print_error("bundle: %s\n", err);
	assert_string_equal(err, "");
}

/** Wait up to WAIT_MS for a container to be reported stopped. */
static bool
trt_wait_stopped(struct trt *c, const char *name)
{
	struct ct_runtime_state st;
	int i;

	for (i = 0; i < WAIT_MS / STEP_MS; i++) {
		if (ct_runtime_state(&c->rt, name, &st, NULL, 0) == 0 &&
		    strcmp(st.status, "stopped") == 0)
			return true;
		sleep_ms(STEP_MS);
	}
	return false;
}

/**
 * The directory of @p pid's cgroup for controller @p ctrl: the v1
 * hierarchy mounted with that controller, or the v2 one when no v1
 * hierarchy has it.
 */
static bool
cgroup_dir(int pid, const char *ctrl, char *out, size_t size, bool *v2)
{
	char path[64], line[1024], mnt[256] = "", mnt2[256] = "", rel[512] = "", rel2[512] = "";
	FILE *f;

	/* Mount points of the v1 controller and of cgroup2. */
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		char mp[256], *sep = strstr(line, " - ");
		char fstype[32], src[64], opts[256];

		if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %255s", mp) != 1 ||
		    sscanf(sep + 3, "%31s %63s %255s", fstype, src, opts) != 3)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && mnt2[0] == '\0')
			fmt(mnt2, sizeof(mnt2), "%s", mp);
		if (strcmp(fstype, "cgroup") == 0) {
			char *o, *save = NULL;

			for (o = strtok_r(opts, ",", &save); o != NULL;
			     o = strtok_r(NULL, ",", &save))
				if (strcmp(o, ctrl) == 0)
					fmt(mnt, sizeof(mnt), "%s", mp);
		}
	}
	fclose(f);

	fmt(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c1 = strchr(line, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		char *o, *save = NULL;

		if (c2 == NULL)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*c2 = '\0';
		if (c1[1] == '\0') {
			fmt(rel2, sizeof(rel2), "%s", c2 + 1);
			continue;
		}
		for (o = strtok_r(c1 + 1, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save))
			if (strcmp(o, ctrl) == 0)
				fmt(rel, sizeof(rel), "%s", c2 + 1);
	}
	fclose(f);
	if (mnt[0] != '\0' && rel[0] != '\0') {
		*v2 = false;
		fmt(out, size, "%s%s", mnt, rel);
		return true;
	}
	if (mnt2[0] != '\0' && rel2[0] != '\0') {
		*v2 = true;
		fmt(out, size, "%s%s", mnt2, rel2);
		return true;
	}
	return false;
}

/** Read a cgroup file of @p pid's cgroup; returns its value text. */
static bool
cgroup_read(int pid, const char *ctrl, const char *v1file, const char *v2file, char *buf,
	    size_t size, char *dir, size_t dirsize)
{
	char path[PATH_MAX];
	bool v2;

	if (!cgroup_dir(pid, ctrl, dir, dirsize, &v2))
		return false;
	fmt(path, sizeof(path), "%s/%s", dir, v2 ? v2file : v1file);
	if (read_file(path, buf, size) <= 0)
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/** Whether a process of network namespace @p ino runs `sleep 31`. */
static bool
sleep31_running(ino_t ino)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/proc");

	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		char path[64], cmd[64];
		struct stat st;
		int n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fmt(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) < 0 || st.st_ino != ino)
			continue;
		fmt(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		n = read_file(path, cmd, sizeof(cmd));
		if (n == 9 &&
		    memcmp(cmd,
			   "sleep\0"
			   "31\0",
			   9) == 0 &&
		    !proc_dead(atoi(de->d_name)))
			found = true;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

/** Create, start, inspect, exec, limits, kill, delete. */
static void
test_rt_lifecycle(void **state)
{
	static const char *const argv[] = {"sh", "-c", "trap 'exit 0' TERM; sleep 30 & wait", NULL};
	static const char *const c_hi[] = {"sh", "-c", "echo hi", NULL};
	static const char *const c_missing[] = {"/ctto-no-such-binary", NULL};
	static const char *const c_mixed[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
	static const char *const c_sleep[] = {"sleep", "31", NULL};
	struct trt *c = *state;
	char err[512] = "", bundle[PATH_MAX], out[256], val[64], cgdir[PATH_MAX], path[PATH_MAX];
	const char *name = "ctto-life";
	struct ct_runtime_exec_args x;
	struct ct_runtime_state st;
	struct stat sn, sp;
	int i;

	if (!c->ready)
		skip();
	trt_bundle(c, 0, name, argv, bundle, sizeof(bundle));
	if (ct_runtime_create(&c->rt, name, bundle, err, sizeof(err)) != 0)
		print_error("create: %s\n", err);
	assert_string_equal(err, "");
	assert_int_equal(ct_runtime_state(&c->rt, name, &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "created");
	assert_true(st.pid > 0);
	assert_int_equal(ct_runtime_create(&c->rt, name, bundle, err, sizeof(err)), -EEXIST);

	assert_int_equal(ct_runtime_start(&c->rt, name, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_check_running(&c->rt, name, bundle, 100, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_state(&c->rt, name, &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "running");
	assert_true(st.pid > 1);

	/* It lives in our network namespace. */
	fmt(path, sizeof(path), "/proc/%d/ns/net", st.pid);
	assert_int_equal(stat(path, &sp), 0);
	assert_int_equal(stat(c->netns_path, &sn), 0);
	assert_int_equal(sp.st_ino, sn.st_ino);
	assert_int_equal(sp.st_dev, sn.st_dev);

	/* exec. */
	x = (struct ct_runtime_exec_args){
		.name = name, .argv = c_hi, .out = out, .outlen = sizeof(out)};
	assert_int_equal(ct_runtime_exec(&c->rt, &x, err, sizeof(err)), 0);
	assert_int_equal(x.status, 0);
	assert_string_equal(out, "hi\n");
	x.argv = c_missing;
	assert_int_equal(ct_runtime_exec(&c->rt, &x, err, sizeof(err)), 0);
	assert_int_not_equal(x.status, 0);
	x.argv = c_mixed;
	assert_int_equal(ct_runtime_exec(&c->rt, &x, err, sizeof(err)), 0);
	assert_int_equal(x.status, 7);
	assert_non_null(strstr(out, "out\n"));
	assert_non_null(strstr(out, "err\n"));
	/* An exec that overruns is killed, inside the container too. */
	x.argv = c_sleep;
	x.timeout_ms = 500;
	assert_int_equal(ct_runtime_exec(&c->rt, &x, err, sizeof(err)), -ETIMEDOUT);
	for (i = 0; i < WAIT_MS / STEP_MS && sleep31_running(sn.st_ino); i++)
		sleep_ms(STEP_MS);
	assert_false(sleep31_running(sn.st_ino));

	/* Limits, in the container's cgroups. */
	assert_true(cgroup_read(st.pid, "memory", "memory.limit_in_bytes", "memory.max", val,
				sizeof(val), cgdir, sizeof(cgdir)));
	assert_string_equal(val, "67108864");
	assert_non_null(strstr(cgdir, c->cgparent));
	assert_true(cgroup_read(st.pid, "pids", "pids.max", "pids.max", val, sizeof(val), path,
				sizeof(path)));
	assert_string_equal(val, "64");
	assert_true(cgroup_read(st.pid, "cpu", "cpu.cfs_quota_us", "cpu.max", val, sizeof(val),
				path, sizeof(path)));
	assert_int_equal(atoi(val), 50000);

	/* kill: the trap ends the container. */
	assert_int_equal(ct_runtime_kill(&c->rt, name, SIGTERM, err, sizeof(err)), 0);
	assert_true(trt_wait_stopped(c, name));
	assert_int_equal(ct_runtime_state(&c->rt, name, &st, err, sizeof(err)), 0);
	assert_int_equal(st.pid, 0);

	assert_int_equal(ct_runtime_delete(&c->rt, name, false, err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(ct_runtime_state(&c->rt, name, &st, err, sizeof(err)), -ENOENT);
	assert_true(err[0] != '\0');
	assert_int_equal(ct_runtime_delete(&c->rt, name, false, err, sizeof(err)), -ENOENT);
	assert_int_equal(ct_runtime_start(&c->rt, name, err, sizeof(err)), -ENOENT);
	assert_int_equal(ct_runtime_kill(&c->rt, name, SIGKILL, err, sizeof(err)), -ENOENT);
	assert_false(exists(cgdir));
	assert_int_equal(ct_oci_bundle_remove(bundle), 0);
	assert_false(exists(bundle));
	c->names[0][0] = '\0';
	assert_int_equal(count_children(), 0);
}

/** A process that exits at once is reported, with the end of its output. */
static void
test_rt_exit_at_once(void **state)
{
	static const char *const c_false[] = {"/bin/false", NULL};
	static const char *const c_boom[] = {"sh", "-c", "echo ctto-boom >&2; exit 3", NULL};
	struct trt *c = *state;
	char err[512] = "", bundle[PATH_MAX];
	struct ct_runtime_state st;

	if (!c->ready)
		skip();
	trt_bundle(c, 0, "ctto-false", c_false, bundle, sizeof(bundle));
	assert_int_equal(ct_runtime_create(&c->rt, "ctto-false", bundle, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_start(&c->rt, "ctto-false", err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(
		ct_runtime_check_running(&c->rt, "ctto-false", bundle, 0, err, sizeof(err)),
		-ECHILD);
	assert_non_null(strstr(err, "exited at once"));
	assert_int_equal(ct_runtime_state(&c->rt, "ctto-false", &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "stopped");

	trt_bundle(c, 1, "ctto-boom", c_boom, bundle, sizeof(bundle));
	assert_int_equal(ct_runtime_create(&c->rt, "ctto-boom", bundle, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_start(&c->rt, "ctto-boom", err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(
		ct_runtime_check_running(&c->rt, "ctto-boom", bundle, 2000, err, sizeof(err)),
		-ECHILD);
	assert_non_null(strstr(err, "ctto-boom"));

	assert_int_equal(ct_runtime_delete(&c->rt, "ctto-false", false, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_delete(&c->rt, "ctto-boom", false, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_check_running(&c->rt, "ctto-boom", bundle, 0, err, sizeof(err)),
			 -ENOENT);
}

/** stop: pid 1 ignores SIGTERM, so stop escalates to SIGKILL. */
static void
test_rt_stop(void **state)
{
	static const char *const c_sleep[] = {"sleep", "30", NULL};
	struct trt *c = *state;
	char err[512] = "", bundle[PATH_MAX];
	struct ct_runtime_state st;

	if (!c->ready)
		skip();
	trt_bundle(c, 0, "ctto-stop", c_sleep, bundle, sizeof(bundle));
	assert_int_equal(ct_runtime_create(&c->rt, "ctto-stop", bundle, err, sizeof(err)), 0);
	/* A created container is not running: stop leaves it. */
	assert_int_equal(ct_runtime_stop(&c->rt, "ctto-stop", 100, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_state(&c->rt, "ctto-stop", &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "created");
	assert_int_equal(ct_runtime_start(&c->rt, "ctto-stop", err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_kill(&c->rt, "ctto-stop", SIGTERM, err, sizeof(err)), 0);
	sleep_ms(200);
	assert_int_equal(ct_runtime_state(&c->rt, "ctto-stop", &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "running");
	assert_int_equal(ct_runtime_stop(&c->rt, "ctto-stop", 200, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_state(&c->rt, "ctto-stop", &st, err, sizeof(err)), 0);
	assert_string_equal(st.status, "stopped");
	/* Stopping a stopped container is fine. */
	assert_int_equal(ct_runtime_stop(&c->rt, "ctto-stop", 200, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_delete(&c->rt, "ctto-stop", false, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_stop(&c->rt, "ctto-stop", 200, err, sizeof(err)), -ENOENT);
}

/** A create the runtime refuses: a message, and nothing recorded. */
static void
test_rt_create_fails(void **state)
{
	static const char *const c_sleep[] = {"sleep", "30", NULL};
	struct trt *c = *state;
	char err[512] = "", bundle[PATH_MAX], fake[PATH_MAX], cg[96];
	struct ct_runtime_state st;
	struct ct_oci_bundle_args a = {
		.name = "ctto-bad",
		.rootfs = CT_OCI_ROOTFS_HOST,
		.argv = c_sleep,
		.netns_path = fake,
		.cgroup_path = cg,
	};

	if (!c->ready)
		skip();
	/* A regular file where the network namespace should be: setns() fails. */
	fmt(fake, sizeof(fake), "%s/not-a-netns", c->dir);
	write_file(fake, "", 0600);
	fmt(bundle, sizeof(bundle), "%s/ctto-bad", c->dir);
	fmt(cg, sizeof(cg), "%s/ctto-bad", c->cgparent);
	fmt(c->names[0], sizeof(c->names[0]), "ctto-bad");
	a.bundle_dir = bundle;
	assert_int_equal(ct_oci_bundle_write(&a, err, sizeof(err)), 0);
	assert_int_equal(ct_runtime_create(&c->rt, "ctto-bad", bundle, err, sizeof(err)), -EIO);
	print_message("%s: create refused: %s\n", c->name, err);
	assert_non_null(strstr(err, "create ctto-bad: "));
	assert_true(strlen(err) > strlen("runc create ctto-bad: "));
	assert_int_equal(ct_runtime_state(&c->rt, "ctto-bad", &st, err, sizeof(err)), -ENOENT);
}

/** No descriptor and no child process left behind by the whole group. */
static void
test_no_leaks(void **state)
{
	(void)state;
	assert_int_equal(count_fds(), fds_at_start);
	assert_int_equal(count_children(), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	fds_at_start = count_fds();
	return 0;
}

/*
 * ct_cgroup_prune() with real cgroups: the test's cgroup is made in every
 * hierarchy it can be, with a child in one; pruning removes the empty ones
 * only, and the last once its child is gone.
 */
static void
test_cgroup_prune(void **state)
{
	const char *roots[] = {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory",
			       "/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	char name[64], dir[PATH_MAX], child[PATH_MAX], first[PATH_MAX] = "";
	int made = 0;

	(void)state;
	snprintf(name, sizeof(name), "/mflowd-test-%d", (int)getpid());
	assert_int_equal(ct_cgroup_prune("relative"), -EINVAL);
	assert_int_equal(ct_cgroup_prune("/a/../b"), -EINVAL);
	assert_int_equal(ct_cgroup_prune(NULL), -EINVAL);
	/* Nothing to remove is not an error. */
	assert_int_equal(ct_cgroup_prune(name), 0);
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		struct stat st;

		snprintf(dir, sizeof(dir), "%s/cgroup.procs", roots[i]);
		if (stat(dir, &st) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s%s", roots[i], name);
		if (mkdir(dir, 0755) != 0)
			continue;
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", dir);
		made++;
	}
	if (made == 0)
		skip();
	snprintf(child, sizeof(child), "%s/child", first);
	assert_int_equal(mkdir(child, 0755), 0);
	/* All but the one with a child go. */
	assert_int_equal(ct_cgroup_prune(name), made - 1);
	assert_int_equal(access(first, F_OK), 0);
	assert_int_equal(rmdir(child), 0);
	assert_int_equal(ct_cgroup_prune(name), 1);
	assert_int_equal(access(first, F_OK), -1);
	assert_int_equal(ct_cgroup_prune(name), 0);
}

int
ct_test_oci(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bundle_fields, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_bundle_defaults, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_bundle_host, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_bundle_bad_args, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_bundle_user, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_runtime_init, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_runner_fake, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_runner_hide_cgroup2, fake_setup,
						fake_teardown),
		cmocka_unit_test_prestate_setup_teardown(test_rt_lifecycle, trt_setup, trt_teardown,
							 &rt_runc),
		cmocka_unit_test_prestate_setup_teardown(test_rt_exit_at_once, trt_setup,
							 trt_teardown, &rt_runc),
		cmocka_unit_test_prestate_setup_teardown(test_rt_stop, trt_setup, trt_teardown,
							 &rt_runc),
		cmocka_unit_test_prestate_setup_teardown(test_rt_create_fails, trt_setup,
							 trt_teardown, &rt_runc),
		cmocka_unit_test_prestate_setup_teardown(test_rt_lifecycle, trt_setup, trt_teardown,
							 &rt_crun),
		cmocka_unit_test_prestate_setup_teardown(test_rt_exit_at_once, trt_setup,
							 trt_teardown, &rt_crun),
		cmocka_unit_test_prestate_setup_teardown(test_rt_stop, trt_setup, trt_teardown,
							 &rt_crun),
		cmocka_unit_test_prestate_setup_teardown(test_rt_create_fails, trt_setup,
							 trt_teardown, &rt_crun),
		cmocka_unit_test(test_cgroup_prune),
		cmocka_unit_test(test_no_leaks),
	};

	return cmocka_run_group_tests_name("oci", tests, group_setup, NULL);
}
