/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State group: the checks of container.create's arguments, their parsing
 * from JSON, records and their names, the files on disk (round trip,
 * atomic writes, refused files, temp files) and the uniqueness checks
 * (containers/ct_state.c). Needs no root; each test that touches files
 * works in its own mkdtemp() directory, removed by its teardown.
 *
 * JSON in the tables is written with backticks for double quotes, so that
 * it reads next to the messages; bt() turns it into real JSON.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ct_state.h"
#include "ct_test.h"

/* The params every table case starts from: valid. */
#define BASE_PARAMS                                                                  \
	"{`name`: `ctts-web1`, `vni`: 5, `ip`: `198.18.1.10/24`, `rootfs`: `host`, " \
	"`argv`: [`/bin/sleep`, `10`]}"

/* A test's directory and what it must release. */
struct tdir {
	char path[64]; /* The mkdtemp() directory. */
	int lock_fd;   /* A temp file held locked, or -1. */
};

/* ------------------------------------------------------------------------- */
/* Helpers.                                                                  */

/* A JSON text with backticks for double quotes, parsed; owned by the caller. */
static json_t *
bt(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;
	json_t *j;

	assert_non_null(s);
	for (char *p = s; *p != '\0'; p++)
		if (*p == '`')
			*p = '"';
	j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		fail_msg("bad test JSON '%s': %s", s, jerr.text);
	free(s);
	return j;
}

/* The message starts with "<field>:" (or "<field>[" for a vector entry). */
static void
assert_field(const char *msg, const char *field)
{
	size_t n = strlen(field);

	if (strncmp(msg, field, n) != 0 || (msg[n] != ':' && field[n - 1] != ']'))
		fail_msg("message '%s' does not start with '%s:'", msg, field);
}

static void
assert_contains(const char *msg, const char *part)
{
	if (strstr(msg, part) == NULL)
		fail_msg("message '%s' does not contain '%s'", msg, part);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_dir(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "/tmp/ctts-XXXXXX");
	if (mkdtemp(t->path) == NULL) {
		free(t);
		return -1;
	}
	t->lock_fd = -1;
	*state = t;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct tdir *t = *state;

	if (t == NULL)
		return 0;
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	/* Make it removable again if a test took the write bit away. */
	chmod(t->path, 0700);
	nftw(t->path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* Fill args from a C table; argv NULL-terminated. */
static void
args_fill(struct ct_create_args *a, const char *name, uint32_t vni, const char *ip,
	  const char *const *argv)
{
	unsigned int n = 0;

	ct_create_args_init(a);
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->vni = vni;
	snprintf(a->ip, sizeof(a->ip), "%s", ip);
	snprintf(a->rootfs, sizeof(a->rootfs), "host");
	while (argv[n] != NULL)
		n++;
	assert_int_equal(ct_create_args_set_argv(a, argv, n), 0);
}

/* A valid record with every field set. */
static void
rec_make(struct ct_rec *r, const char *name, uint32_t vni, const char *ip, const char *mac)
{
	static const char *const argv[] = {"/bin/sh", "-c", "echo 'hi there'\nsleep 1", NULL};
	static const char *const env[] = {"PATH=/usr/bin:/bin", "GREETING=hello world"};
	struct ct_create_args a;
	char err[256] = "";

	args_fill(&a, name, vni, ip, argv);
	assert_int_equal(ct_create_args_set_env(&a, env, 2), 0);
	snprintf(a.gateway, sizeof(a.gateway), "198.18.1.1");
	if (mac != NULL)
		snprintf(a.mac, sizeof(a.mac), "%s", mac);
	a.mtu = 1450;
	a.memory = 64ULL << 20;
	a.cpus = 500;
	a.pids = 128;
	if (ct_rec_init(r, &a, "crun", err, sizeof(err)) != 0)
		fail_msg("ct_rec_init(%s): %s", name, err);
	ct_create_args_fini(&a);
	snprintf(r->devargs, sizeof(r->devargs), "net_af_packet_%s,iface=%s", name, r->host_ifname);
	snprintf(r->bundle_dir, sizeof(r->bundle_dir), "/run/mflowd/bundles/%s", name);
	r->state = CT_STATE_RUNNING;
	r->pid = 4242;
	r->started = r->created + 1;
}

/* Write text to dir/name with a mode. */
static void
file_write(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Write a record's JSON, changed by the caller, to dir/file. */
static void
json_write(const char *dir, const char *file, json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2));

	assert_non_null(text);
	file_write(dir, file, text, 0600);
	free(text);
}

static bool
file_exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* How many entries the directory has, "." and ".." aside. */
static unsigned int
dir_count(const char *dir)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------------------------- */
/* Arguments: one table for the checks and the parser.                      */

/* Generated values too long for the table. */
enum gen {
	GEN_NONE,
	GEN_ARGV_N,  /* argv of n strings. */
	GEN_ARG_LEN, /* argv[1] of n bytes. */
	GEN_ENV_N,   /* env of n distinct variables. */
};

struct args_case {
	const char *patch;  /* Merged into BASE_PARAMS; NULL = nothing. */
	const char *remove; /* Keys removed from BASE_PARAMS, space-separated; NULL = none. */
	enum gen gen;
	unsigned int gen_n;
	int rc;		   /* What ct_create_args_from_json() returns. */
	const char *field; /* The message starts with it, then ':'. */
	const char *part;  /* The message contains it; NULL = no check. */
};

static const struct args_case args_cases[] = {
	/* Accepted. */
	{NULL, NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`name`: `a`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`name`: `A234567890123456789012345678901`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`name`: `x_y.z-1`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`vni`: 0}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`vni`: 16777215}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`ip`: `198.18.1.1/32`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`ip`: `198.18.1.0/31`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`ip`: `198.18.255.254/15`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`ip`: `2001:2::10/64`, `gateway`: `2001:2::1`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`gateway`: `198.18.1.1`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`gateway`: null, `mac`: null, `runtime`: null, `env`: null}", NULL, GEN_NONE, 0, 0, NULL,
	 NULL},
	{"{`mac`: `02:00:00:00:00:01`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`mac`: `0A:BB:CC:DD:EE:FF`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`mtu`: 576}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`mtu`: 9000}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`bundle`: `/var/lib/ctts/b1`}", "rootfs argv", GEN_NONE, 0, 0, NULL, NULL},
	{"{`bundle`: `/var/lib/ctts/b1`, `env`: [`A=1`]}", "rootfs argv", GEN_NONE, 0, 0, NULL,
	 NULL},
	{"{`rootfs`: `/srv/ctts/rootfs`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`env`: [`A=1`, `B=`, `C==x`]}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`memory`: 0, `cpus`: 0, `pids`: 0}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`memory`: 4194304, `cpus`: 64000, `pids`: 4194304}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`runtime`: `crun`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{"{`runtime`: `/usr/local/bin/runc`}", NULL, GEN_NONE, 0, 0, NULL, NULL},
	{NULL, NULL, GEN_ARGV_N, 64, 0, NULL, NULL},
	{NULL, NULL, GEN_ARG_LEN, 4096, 0, NULL, NULL},
	{NULL, NULL, GEN_ENV_N, 64, 0, NULL, NULL},

	/* Refused: name. */
	{"{`name`: ``}", NULL, GEN_NONE, 0, -EINVAL, "name", "missing"},
	{"{`name`: `A2345678901234567890123456789012`}", NULL, GEN_NONE, 0, -EINVAL, "name",
	 "too long"},
	{"{`name`: `a/b`}", NULL, GEN_NONE, 0, -EINVAL, "name", "'a/b'"},
	{"{`name`: `a b`}", NULL, GEN_NONE, 0, -EINVAL, "name", "'a b'"},
	{"{`name`: `.hidden`}", NULL, GEN_NONE, 0, -EINVAL, "name", "'.hidden'"},
	{"{`name`: `-opt`}", NULL, GEN_NONE, 0, -EINVAL, "name", "'-opt'"},
	{"{`name`: `caf\\u00e9`}", NULL, GEN_NONE, 0, -EINVAL, "name", "invalid character"},
	/* vni. */
	{"{`vni`: 16777216}", NULL, GEN_NONE, 0, -EINVAL, "vni", "16777216"},
	{"{`vni`: -1}", NULL, GEN_NONE, 0, -EINVAL, "vni", "-1"},
	/* ip. */
	{"{`ip`: `198.18.1.300/24`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "'198.18.1.300/24'"},
	{"{`ip`: `198.18.1.10`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "no prefix"},
	{"{`ip`: `198.18.1.10/33`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "1..32"},
	{"{`ip`: `198.18.1.10/0`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "prefix"},
	{"{`ip`: `198.18.1.10/`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "prefix"},
	{"{`ip`: `198.18.1.10/24x`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "prefix"},
	{"{`ip`: `198.18.1.10/+24`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "prefix"},
	{"{`ip`: `198.18.1.0/24`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "network address"},
	{"{`ip`: `198.18.1.255/24`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "broadcast address"},
	{"{`ip`: `224.0.0.5/24`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "not a unicast"},
	{"{`ip`: `0.0.0.0/8`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "not a unicast"},
	{"{`ip`: `2001:2::1/129`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "1..128"},
	{"{`ip`: `ff02::1/64`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "not a unicast"},
	{"{`ip`: `2001:2::zz/64`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "invalid address"},
	{"{`ip`: `web/24`}", NULL, GEN_NONE, 0, -EINVAL, "ip", "'web/24'"},
	/* gateway. */
	{"{`gateway`: `198.18.2.1`}", NULL, GEN_NONE, 0, -EINVAL, "gateway", "outside"},
	{"{`gateway`: `2001:2::1`}", NULL, GEN_NONE, 0, -EINVAL, "gateway", "family"},
	{"{`gateway`: `198.18.1.10`}", NULL, GEN_NONE, 0, -EINVAL, "gateway", "own address"},
	{"{`gateway`: `198.18.1.255`}", NULL, GEN_NONE, 0, -EINVAL, "gateway", "broadcast"},
	{"{`gateway`: `198.18.1.0`}", NULL, GEN_NONE, 0, -EINVAL, "gateway", "network"},
	{"{`gateway`: `198.18.1.1/24`}", NULL, GEN_NONE, 0, -EINVAL, "gateway", "plain address"},
	/* mac. */
	{"{`mac`: `01:00:5e:00:00:01`}", NULL, GEN_NONE, 0, -EINVAL, "mac", "multicast"},
	{"{`mac`: `ff:ff:ff:ff:ff:ff`}", NULL, GEN_NONE, 0, -EINVAL, "mac", "multicast"},
	{"{`mac`: `00:00:00:00:00:00`}", NULL, GEN_NONE, 0, -EINVAL, "mac", "all zeros"},
	{"{`mac`: `02:00:00:00:00`}", NULL, GEN_NONE, 0, -EINVAL, "mac", "'02:00:00:00:00'"},
	{"{`mac`: `02-00-00-00-00-01`}", NULL, GEN_NONE, 0, -EINVAL, "mac", "invalid MAC"},
	{"{`mac`: `02:00:00:00:00:0g`}", NULL, GEN_NONE, 0, -EINVAL, "mac", "invalid MAC"},
	/* mtu. */
	{"{`mtu`: 575}", NULL, GEN_NONE, 0, -EINVAL, "mtu", "575"},
	{"{`mtu`: 9001}", NULL, GEN_NONE, 0, -EINVAL, "mtu", "9001"},
	{"{`ip`: `2001:2::10/64`, `mtu`: 1279}", NULL, GEN_NONE, 0, -EINVAL, "mtu", "IPv6"},
	/* bundle, rootfs, argv. */
	{"{`bundle`: `/var/lib/ctts/b1`}", "argv", GEN_NONE, 0, -EINVAL, "bundle", "not both"},
	{NULL, "rootfs argv", GEN_NONE, 0, -EINVAL, "rootfs", "missing"},
	{"{`bundle`: `ctts/b1`}", "rootfs argv", GEN_NONE, 0, -EINVAL, "bundle", "absolute path"},
	{"{`bundle`: `/var/lib/ctts/b1`}", "rootfs", GEN_NONE, 0, -EINVAL, "argv", "not allowed"},
	{"{`rootfs`: `srv/rootfs`}", NULL, GEN_NONE, 0, -EINVAL, "rootfs", "'srv/rootfs'"},
	{"{`rootfs`: `/srv/a\\nb`}", NULL, GEN_NONE, 0, -EINVAL, "rootfs", "control character"},
	{"{`argv`: []}", NULL, GEN_NONE, 0, -EINVAL, "argv", "missing"},
	{NULL, "argv", GEN_NONE, 0, -EINVAL, "argv", "missing"},
	{NULL, NULL, GEN_ARGV_N, 65, -EINVAL, "argv", "65 entries"},
	{"{`argv`: [``, `x`]}", NULL, GEN_NONE, 0, -EINVAL, "argv[0]", "empty"},
	{NULL, NULL, GEN_ARG_LEN, 4097, -EINVAL, "argv[1]", "too long"},
	/* env. */
	{"{`env`: [`A=1`, `NOEQUALS`]}", NULL, GEN_NONE, 0, -EINVAL, "env[1]", "'NOEQUALS'"},
	{"{`env`: [`=x`]}", NULL, GEN_NONE, 0, -EINVAL, "env[0]", "KEY=VALUE"},
	{"{`env`: [`A=1`, `B=2`, `A=3`]}", NULL, GEN_NONE, 0, -EINVAL, "env[2]", "duplicate"},
	{NULL, NULL, GEN_ENV_N, 65, -EINVAL, "env", "65 entries"},
	/* Limits and runtime. */
	{"{`memory`: 1048576}", NULL, GEN_NONE, 0, -EINVAL, "memory", "1048576"},
	{"{`memory`: 4194303}", NULL, GEN_NONE, 0, -EINVAL, "memory", "minimum"},
	{"{`memory`: -1}", NULL, GEN_NONE, 0, -EINVAL, "memory", "out of range"},
	{"{`cpus`: 64001}", NULL, GEN_NONE, 0, -EINVAL, "cpus", "64001"},
	{"{`pids`: 4194305}", NULL, GEN_NONE, 0, -EINVAL, "pids", "4194305"},
	{"{`runtime`: `bin/runc`}", NULL, GEN_NONE, 0, -EINVAL, "runtime", "'bin/runc'"},
	{"{`runtime`: `youki`}", NULL, GEN_NONE, 0, -EINVAL, "runtime", "'youki'"},
	{"{`runtime`: ``}", NULL, GEN_NONE, 0, 0, NULL, NULL},
};

/* The base params with a case applied; owned by the caller. */
static json_t *
case_params(const struct args_case *c)
{
	json_t *p = bt(BASE_PARAMS), *arr;
	char *buf;

	if (c->remove != NULL) {
		char *keys = strdup(c->remove), *save = NULL;

		assert_non_null(keys);
		for (char *k = strtok_r(keys, " ", &save); k != NULL;
		     k = strtok_r(NULL, " ", &save))
			assert_int_equal(json_object_del(p, k), 0);
		free(keys);
	}
	if (c->patch != NULL) {
		json_t *patch = bt(c->patch);

		assert_int_equal(json_object_update(p, patch), 0);
		json_decref(patch);
	}
	switch (c->gen) {
	case GEN_ARGV_N:
	case GEN_ENV_N:
		arr = json_array();
		for (unsigned int i = 0; i < c->gen_n; i++) {
			char s[32];

			snprintf(s, sizeof(s), c->gen == GEN_ARGV_N ? "/bin/a%u" : "V%u=1", i);
			json_array_append_new(arr, json_string(s));
		}
		json_object_set_new(p, c->gen == GEN_ARGV_N ? "argv" : "env", arr);
		break;
	case GEN_ARG_LEN:
		buf = malloc(c->gen_n + 1);
		assert_non_null(buf);
		memset(buf, 'a', c->gen_n);
		buf[c->gen_n] = '\0';
		arr = json_array();
		json_array_append_new(arr, json_string("/bin/echo"));
		json_array_append_new(arr, json_string(buf));
		json_object_set_new(p, "argv", arr);
		free(buf);
		break;
	default:
		break;
	}
	return p;
}

static void
test_args_table(void **state)
{
	unsigned int refused = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		const struct args_case *c = &args_cases[i];
		json_t *p = case_params(c);
		struct ct_create_args a;
		char err[256] = "", err2[256] = "";
		int rc;

		rc = ct_create_args_from_json(p, &a, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d, expected %d: %s", i,
				 c->patch != NULL ? c->patch : "-", rc, c->rc, err);
		if (rc == 0) {
			/* Parsed args pass the check, own their strings, and make a record. */
			struct ct_rec r;

			json_decref(p);
			p = NULL;
			assert_int_equal(ct_create_args_check(&a, err2, sizeof(err2)), 0);
			assert_int_equal(ct_rec_init(&r, &a, NULL, err2, sizeof(err2)), 0);
			assert_int_equal(ct_rec_check(&r, err2, sizeof(err2)), 0);
			ct_rec_fini(&r);
			ct_create_args_fini(&a);
		} else {
			assert_field(err, c->field);
			if (c->part != NULL)
				assert_contains(err, c->part);
			/* Nothing to release after a failure. */
			assert_null(a.argv);
			assert_null(a.env);
			assert_int_equal(a.argc, 0);
			refused++;
		}
		json_decref(p);
	}
	assert_true(refused >= 40);
}

/* The check on structs built in C, where the parser cannot help. */
static void
test_args_check_c(void **state)
{
	static const char *const argv[] = {"/bin/true", NULL};
	const char *many[CT_ARGV_MAX + 1];
	struct ct_create_args a;
	char err[256];

	(void)state;
	args_fill(&a, "ctts-c1", 7, "198.18.1.10/24", argv);
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), 0);

	/* An unterminated name buffer. */
	memset(a.name, 'a', sizeof(a.name));
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "name");
	snprintf(a.name, sizeof(a.name), "ctts-c1");

	/* A NULL argv entry, and a count without a vector. */
	free(a.argv[0]);
	a.argv[0] = NULL;
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "argv[0]");
	assert_int_equal(ct_create_args_set_argv(&a, argv, 1), 0);
	a.argc = 2;
	a.argv[1] = NULL;
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "argv[1]");
	a.argc = 1;

	/* 65 strings through the setter. */
	for (unsigned int i = 0; i <= CT_ARGV_MAX; i++)
		many[i] = "/bin/x";
	assert_int_equal(ct_create_args_set_argv(&a, many, CT_ARGV_MAX + 1), 0);
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "argv");
	assert_contains(err, "65");
	assert_int_equal(ct_create_args_set_argv(&a, many, CT_ARGV_MAX), 0);
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), 0);

	/* The setter refuses NULL strings and leaves the old vector. */
	many[3] = NULL;
	assert_int_equal(ct_create_args_set_argv(&a, many, 5), -EINVAL);
	assert_int_equal(a.argc, CT_ARGV_MAX);

	/* mtu 0 is not "the default": init sets the default. */
	a.mtu = 0;
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "mtu");
	a.mtu = CT_MTU_DEFAULT;

	/* vni past 24 bits, given in C. */
	a.vni = 1u << 24;
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "vni");
	a.vni = 7;

	/* A memory limit too large for JSON. */
	a.memory = UINT64_MAX;
	assert_int_equal(ct_create_args_check(&a, err, sizeof(err)), -EINVAL);
	assert_field(err, "memory");
	a.memory = 0;

	/* A NULL err is allowed. */
	a.cpus = CT_CPUS_MAX + 1;
	assert_int_equal(ct_create_args_check(&a, NULL, 0), -EINVAL);
	assert_int_equal(ct_create_args_check(NULL, err, sizeof(err)), -EINVAL);
	a.cpus = 0;

	/* A deep copy survives the original. */
	{
		struct ct_create_args b;

		assert_int_equal(ct_create_args_copy(&b, &a), 0);
		ct_create_args_fini(&a);
		assert_int_equal(b.argc, CT_ARGV_MAX);
		assert_string_equal(b.argv[CT_ARGV_MAX - 1], "/bin/x");
		assert_null(b.argv[CT_ARGV_MAX]);
		assert_int_equal(ct_create_args_check(&b, err, sizeof(err)), 0);
		ct_create_args_fini(&b);
	}
	ct_create_args_fini(NULL);
}

/* ------------------------------------------------------------------------- */
/* Parsing: types, unknown and missing keys.                                 */

struct type_case {
	const char *key;
	const char *value; /* JSON, backticks for quotes. */
	const char *field; /* Expected at the start of the message. */
	const char *part;
};

static const struct type_case type_cases[] = {
	{"name", "5", "name", "expected a string"},
	{"name", "null", "name", "expected a string"},
	{"vni", "`5`", "vni", "expected an integer"},
	{"vni", "5.0", "vni", "expected an integer"},
	{"vni", "true", "vni", "expected an integer"},
	{"ip", "[`198.18.1.10/24`]", "ip", "expected a string"},
	{"gateway", "false", "gateway", "expected a string or null"},
	{"mac", "2", "mac", "expected a string or null"},
	{"mtu", "null", "mtu", "expected an integer"},
	{"mtu", "`1500`", "mtu", "expected an integer"},
	{"bundle", "{}", "bundle", "expected a string or null"},
	{"rootfs", "1", "rootfs", "expected a string or null"},
	{"argv", "`/bin/sleep 10`", "argv", "expected an array of strings"},
	{"argv", "[`/bin/sleep`, 10]", "argv[1]", "expected a string"},
	{"env", "{`A`: `1`}", "env", "expected an array of strings"},
	{"env", "[null]", "env[0]", "expected a string"},
	{"memory", "1.5", "memory", "expected an integer"},
	{"cpus", "`1`", "cpus", "expected an integer"},
	{"pids", "[]", "pids", "expected an integer"},
	{"runtime", "1", "runtime", "expected a string or null"},
	{"cmd", "[`/bin/sleep`]", "cmd", "argv"},
	{"command", "[]", "command", "unknown key"},
	{"Name", "`x`", "Name", "unknown key"},
};

static void
test_from_json_types(void **state)
{
	static const char *const required[] = {"name", "vni", "ip"};
	struct ct_create_args a;
	char err[256];
	json_t *p;

	(void)state;
	for (size_t i = 0; i < sizeof(type_cases) / sizeof(type_cases[0]); i++) {
		const struct type_case *c = &type_cases[i];

		p = bt(BASE_PARAMS);
		json_object_set_new(p, c->key, bt(c->value));
		err[0] = '\0';
		if (ct_create_args_from_json(p, &a, err, sizeof(err)) != -EINVAL)
			fail_msg("%s = %s accepted", c->key, c->value);
		assert_field(err, c->field);
		assert_contains(err, c->part);
		json_decref(p);
	}

	/* Missing required keys. */
	for (size_t i = 0; i < 3; i++) {
		p = bt(BASE_PARAMS);
		json_object_del(p, required[i]);
		assert_int_equal(ct_create_args_from_json(p, &a, err, sizeof(err)), -EINVAL);
		assert_field(err, required[i]);
		assert_contains(err, "missing");
		json_decref(p);
	}

	/* Not an object. */
	p = bt("[1, 2]");
	assert_int_equal(ct_create_args_from_json(p, &a, err, sizeof(err)), -EINVAL);
	assert_field(err, "params");
	json_decref(p);
	assert_int_equal(ct_create_args_from_json(NULL, &a, err, sizeof(err)), -EINVAL);
	assert_field(err, "params");

	/* A NUL byte inside a string. */
	p = bt(BASE_PARAMS);
	json_object_set_new(p, "name", json_stringn("ab\0c", 4));
	assert_int_equal(ct_create_args_from_json(p, &a, err, sizeof(err)), -EINVAL);
	assert_field(err, "name");
	assert_contains(err, "NUL");
	json_decref(p);

	/* A string too long for its buffer is refused, not cut. */
	p = bt(BASE_PARAMS);
	json_object_set_new(p, "ip",
			    json_string("198.18.1.10/24                                "
					"                                    "));
	assert_int_equal(ct_create_args_from_json(p, &a, err, sizeof(err)), -EINVAL);
	assert_field(err, "ip");
	assert_contains(err, "too long");
	json_decref(p);
}

/* What the parser keeps: copies, defaults, independent of the JSON. */
static void
test_from_json_values(void **state)
{
	struct ct_create_args a;
	char err[256] = "";
	json_t *p;

	(void)state;
	p = bt("{`name`: `ctts-v1`, `vni`: 9, `ip`: `198.18.3.4/16`, `rootfs`: `/srv/r`, "
	       "`argv`: [`/bin/sh`, `-c`, `x y`], `env`: [`K=V`], `memory`: 8388608, "
	       "`cpus`: 250, `pids`: 64, `runtime`: `crun`, `mac`: `02:AA:bb:cc:dd:ee`}");
	assert_int_equal(ct_create_args_from_json(p, &a, err, sizeof(err)), 0);
	json_decref(p);
	assert_string_equal(a.name, "ctts-v1");
	assert_int_equal(a.vni, 9);
	assert_string_equal(a.ip, "198.18.3.4/16");
	assert_string_equal(a.gateway, "");
	assert_string_equal(a.mac, "02:AA:bb:cc:dd:ee");
	assert_int_equal(a.mtu, CT_MTU_DEFAULT);
	assert_string_equal(a.bundle, "");
	assert_string_equal(a.rootfs, "/srv/r");
	assert_int_equal(a.argc, 3);
	assert_string_equal(a.argv[2], "x y");
	assert_null(a.argv[3]);
	assert_int_equal(a.envc, 1);
	assert_string_equal(a.env[0], "K=V");
	assert_null(a.env[1]);
	assert_int_equal(a.memory, 8388608);
	assert_int_equal(a.cpus, 250);
	assert_int_equal(a.pids, 64);
	assert_string_equal(a.runtime, "crun");
	ct_create_args_fini(&a);
	assert_null(a.argv);
	assert_int_equal(a.mtu, CT_MTU_DEFAULT);
}

/* ------------------------------------------------------------------------- */
/* Records and derived names.                                                */

static int
cmp_str16(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int
cmp_mac(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

static void
test_derived_names(void **state)
{
	enum {
		N = 10000
	};
	char(*names)[CT_IFNAME_LEN] = calloc(N, CT_IFNAME_LEN);
	uint8_t(*macs)[6] = calloc(N, 6);
	char name[CT_NAME_LEN], again[CT_IFNAME_LEN];
	uint8_t mac2[6];

	(void)state;
	assert_non_null(names);
	assert_non_null(macs);
	for (unsigned int i = 0; i < N; i++) {
		/* Names of several shapes and lengths, all valid. */
		switch (i % 4) {
		case 0:
			snprintf(name, sizeof(name), "ctts-%u", i);
			break;
		case 1:
			snprintf(name, sizeof(name), "c%u", i);
			break;
		case 2:
			snprintf(name, sizeof(name), "ctts.sensor_%05u-xxxxxxxxxxxxx", i);
			break;
		default:
			snprintf(name, sizeof(name), "%u", i);
			break;
		}
		ct_rec_host_ifname(name, names[i], CT_IFNAME_LEN);
		assert_int_equal(strlen(names[i]), 15);
		assert_memory_equal(names[i], "mfh", 3);
		assert_int_equal(strspn(names[i] + 3, "0123456789abcdef"), 12);
		ct_rec_host_ifname(name, again, sizeof(again));
		assert_string_equal(again, names[i]);

		ct_rec_mac_from_name(name, macs[i]);
		assert_int_equal(macs[i][0], 0x02);
		ct_rec_mac_from_name(name, mac2);
		assert_memory_equal(mac2, macs[i], 6);
	}
	qsort(names, N, CT_IFNAME_LEN, cmp_str16);
	qsort(macs, N, 6, cmp_mac);
	for (unsigned int i = 1; i < N; i++) {
		if (strcmp(names[i - 1], names[i]) == 0)
			fail_msg("interface name collision: %s", names[i]);
		if (memcmp(macs[i - 1], macs[i], 6) == 0)
			fail_msg("MAC collision at %u", i);
	}
	free(names);
	free(macs);
}

static void
test_rec_init(void **state)
{
	static const char *const argv[] = {"/bin/true", NULL};
	const char *longname = "A234567890123456789012345678901";
	struct ct_create_args a;
	struct ct_rec r, r2;
	char err[256] = "", host[CT_IFNAME_LEN];
	uint8_t mac[6];
	int64_t t0 = (int64_t)time(NULL);

	(void)state;
	args_fill(&a, longname, 3, "2001:2:0:0::10/64", argv);
	snprintf(a.gateway, sizeof(a.gateway), "2001:2:0::1");
	assert_int_equal(ct_rec_init(&r, &a, NULL, err, sizeof(err)), 0);
	/* Canonical text, derived MAC, default runtime. */
	assert_string_equal(r.args.ip, "2001:2::10/64");
	assert_string_equal(r.args.gateway, "2001:2::1");
	assert_int_equal(r.ip.family, AF_INET6);
	assert_int_equal(r.ip.prefix, 64);
	assert_int_equal(r.gateway.prefix, 0);
	ct_rec_mac_from_name(longname, mac);
	assert_memory_equal(r.mac, mac, 6);
	assert_int_equal(strlen(r.args.mac), 17);
	assert_string_equal(r.args.runtime, CT_RUNTIME_DEFAULT);
	/* Derived names. */
	assert_string_equal(r.netns, "mf-A234567890123456789012345678901");
	ct_rec_host_ifname(longname, host, sizeof(host));
	assert_string_equal(r.host_ifname, host);
	assert_memory_equal(r.peer_ifname, "mfp", 3);
	assert_string_equal(r.peer_ifname + 3, host + 3);
	assert_string_equal(r.ifname, "eth0");
	assert_string_equal(r.port, longname);
	/* State. */
	assert_int_equal(r.version, CT_REC_VERSION);
	assert_int_equal(r.state, CT_STATE_CREATING);
	assert_true(r.created >= t0 && r.created <= t0 + 5);
	assert_int_equal(r.started, 0);
	assert_int_equal(r.pid, 0);
	assert_string_equal(r.bundle_dir, "");
	assert_int_equal(ct_rec_check(&r, err, sizeof(err)), 0);
	/* A record must hold the canonical text. */
	snprintf(r.args.ip, sizeof(r.args.ip), "2001:2:0::10/64");
	assert_int_equal(ct_rec_check(&r, err, sizeof(err)), -EINVAL);
	assert_field(err, "ip");
	assert_contains(err, "canonical");
	snprintf(r.args.ip, sizeof(r.args.ip), "2001:2::10/64");
	snprintf(r.args.gateway, sizeof(r.args.gateway), "2001:0002::1");
	assert_int_equal(ct_rec_check(&r, err, sizeof(err)), -EINVAL);
	assert_field(err, "gateway");
	snprintf(r.args.gateway, sizeof(r.args.gateway), "2001:2::1");
	assert_int_equal(ct_rec_check(&r, err, sizeof(err)), 0);

	/* A copy is deep; a move empties the source. */
	assert_int_equal(ct_rec_copy(&r2, &r), 0);
	ct_rec_fini(&r);
	assert_string_equal(r2.args.argv[0], "/bin/true");
	ct_rec_move(&r, &r2);
	assert_null(r2.args.argv);
	assert_string_equal(r.args.argv[0], "/bin/true");
	ct_rec_fini(&r);
	ct_rec_fini(&r2);
	ct_rec_fini(NULL);

	/* A given MAC is kept, in lower case; the configured runtime is used. */
	snprintf(a.mac, sizeof(a.mac), "02:AB:CD:EF:01:23");
	assert_int_equal(ct_rec_init(&r, &a, "crun", err, sizeof(err)), 0);
	assert_string_equal(r.args.mac, "02:ab:cd:ef:01:23");
	assert_string_equal(r.args.runtime, "crun");
	ct_rec_fini(&r);

	/* The args' runtime wins over the default. */
	snprintf(a.runtime, sizeof(a.runtime), "/usr/bin/crun");
	assert_int_equal(ct_rec_init(&r, &a, "runc", err, sizeof(err)), 0);
	assert_string_equal(r.args.runtime, "/usr/bin/crun");
	ct_rec_fini(&r);

	/* A bad default runtime, or bad args, make nothing. */
	a.runtime[0] = '\0';
	assert_int_equal(ct_rec_init(&r, &a, "youki", err, sizeof(err)), -EINVAL);
	assert_contains(err, "runtime");
	assert_null(r.args.argv);
	snprintf(a.ip, sizeof(a.ip), "198.18.1.0/24");
	assert_int_equal(ct_rec_init(&r, &a, NULL, err, sizeof(err)), -EINVAL);
	assert_field(err, "ip");
	assert_null(r.args.argv);
	ct_create_args_fini(&a);

	/* A bundle container uses its bundle. */
	ct_create_args_init(&a);
	snprintf(a.name, sizeof(a.name), "ctts-b");
	snprintf(a.ip, sizeof(a.ip), "198.18.1.20/24");
	snprintf(a.bundle, sizeof(a.bundle), "/var/lib/ctts/bundle");
	assert_int_equal(ct_rec_init(&r, &a, NULL, err, sizeof(err)), 0);
	assert_string_equal(r.bundle_dir, "/var/lib/ctts/bundle");
	assert_int_equal(r.args.argc, 0);
	ct_rec_fini(&r);
	ct_create_args_fini(&a);
}

/* A change that makes a record invalid, and the field it must be refused for. */
struct rec_case {
	const char *field;
	void (*mutate)(struct ct_rec *r);
};

static void
m_version0(struct ct_rec *r)
{
	r->version = 0;
}
static void
m_version2(struct ct_rec *r)
{
	r->version = CT_REC_VERSION + 1;
}
static void
m_state(struct ct_rec *r)
{
	r->state = CT_STATE_COUNT;
}
static void
m_pid_neg(struct ct_rec *r)
{
	r->pid = -1;
}
static void
m_pid_zero_running(struct ct_rec *r)
{
	r->pid = 0;
}
static void
m_created(struct ct_rec *r)
{
	r->created = -5;
}
static void
m_started(struct ct_rec *r)
{
	r->started = -5;
}
static void
m_devargs(struct ct_rec *r)
{
	snprintf(r->devargs, sizeof(r->devargs), "net_null0, iface=x");
}
static void
m_bundle_dir(struct ct_rec *r)
{
	snprintf(r->bundle_dir, sizeof(r->bundle_dir), "bundles/x");
}
static void
m_netns(struct ct_rec *r)
{
	snprintf(r->netns, sizeof(r->netns), "mf-other");
}
static void
m_host_ifname(struct ct_rec *r)
{
	r->host_ifname[5] = r->host_ifname[5] == '0' ? '1' : '0';
}
static void
m_peer_ifname(struct ct_rec *r)
{
	snprintf(r->peer_ifname, sizeof(r->peer_ifname), "veth0");
}
static void
m_ifname(struct ct_rec *r)
{
	snprintf(r->ifname, sizeof(r->ifname), "eth1");
}
static void
m_port(struct ct_rec *r)
{
	snprintf(r->port, sizeof(r->port), "other");
}
static void
m_parsed_ip(struct ct_rec *r)
{
	r->ip.addr[3] ^= 1;
}
static void
m_parsed_mac(struct ct_rec *r)
{
	r->mac[5] ^= 1;
}
static void
m_mac_upper(struct ct_rec *r)
{
	static const uint8_t mac[6] = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x23};

	snprintf(r->args.mac, sizeof(r->args.mac), "02:AB:CD:EF:01:23");
	memcpy(r->mac, mac, sizeof(mac));
}
static void
m_no_mac(struct ct_rec *r)
{
	r->args.mac[0] = '\0';
}
static void
m_no_runtime(struct ct_rec *r)
{
	r->args.runtime[0] = '\0';
}
static void
m_args(struct ct_rec *r)
{
	r->args.mtu = 9001;
}

static const struct rec_case rec_cases[] = {
	{"version", m_version0},
	{"version", m_version2},
	{"state", m_state},
	{"pid", m_pid_neg},
	{"pid", m_pid_zero_running},
	{"created", m_created},
	{"started", m_started},
	{"devargs", m_devargs},
	{"bundle_dir", m_bundle_dir},
	{"netns", m_netns},
	{"host_ifname", m_host_ifname},
	{"peer_ifname", m_peer_ifname},
	{"ifname", m_ifname},
	{"port", m_port},
	{"ip", m_parsed_ip},
	{"mac", m_parsed_mac},
	{"mac", m_mac_upper},
	{"mac", m_no_mac},
	{"runtime", m_no_runtime},
	{"mtu", m_args},
};

static void
test_rec_check(void **state)
{
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		struct ct_rec r;

		rec_make(&r, "ctts-r1", 5, "198.18.1.10/24", NULL);
		assert_int_equal(ct_rec_check(&r, err, sizeof(err)), 0);
		rec_cases[i].mutate(&r);
		err[0] = '\0';
		if (ct_rec_check(&r, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu (%s) accepted", i, rec_cases[i].field);
		assert_field(err, rec_cases[i].field);
		ct_rec_fini(&r);
	}
	assert_int_equal(ct_rec_check(NULL, err, sizeof(err)), -EINVAL);
}

static void
test_state_names(void **state)
{
	static const char *const names[] = {"creating", "created", "running", "stopped",
					    "deleting"};
	enum ct_state s;

	(void)state;
	for (unsigned int i = 0; i < CT_STATE_COUNT; i++) {
		assert_string_equal(ct_state_name((enum ct_state)i), names[i]);
		assert_int_equal(ct_state_from_name(names[i], &s), 0);
		assert_int_equal(s, i);
	}
	s = CT_STATE_STOPPED;
	assert_int_equal(ct_state_from_name("paused", &s), -EINVAL);
	assert_int_equal(ct_state_from_name("Running", &s), -EINVAL);
	assert_int_equal(s, CT_STATE_STOPPED);
	assert_string_equal(ct_state_name(CT_STATE_COUNT), "invalid");
	assert_string_equal(ct_state_name((enum ct_state) - 1), "invalid");
}

static void
test_rec_json(void **state)
{
	static const char *const keys[] = {
		"version",    "name",	"vni",	       "ip",	      "gateway", "mac",	 "mtu",
		"bundle",     "rootfs", "argv",	       "env",	      "memory",	 "cpus", "pids",
		"runtime",    "netns",	"host_ifname", "peer_ifname", "ifname",	 "port", "devargs",
		"bundle_dir", "state",	"pid",	       "created",     "started", NULL};
	struct ct_rec r, back;
	char err[256] = "";
	const char *key;
	json_t *j, *v;
	size_t k = 0;

	(void)state;
	rec_make(&r, "ctts-j1", 5, "198.18.1.10/24", NULL);
	j = ct_rec_json(&r);
	assert_non_null(j);
	/* Every key, in the documented order. */
	json_object_foreach (j, key, v) {
		assert_non_null(keys[k]);
		assert_string_equal(key, keys[k]);
		k++;
	}
	assert_null(keys[k]);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(j, "gateway")), "198.18.1.1");
	assert_true(json_is_null(json_object_get(j, "bundle")));
	assert_int_equal(json_array_size(json_object_get(j, "argv")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "memory")), 64 << 20);

	/* And back. */
	assert_int_equal(ct_rec_from_json(j, &back, err, sizeof(err)), 0);
	v = ct_rec_json(&back);
	assert_true(json_equal(j, v));
	json_decref(v);
	ct_rec_fini(&back);

	/* Missing and unknown keys are refused. */
	json_object_del(j, "started");
	assert_int_equal(ct_rec_from_json(j, &back, err, sizeof(err)), -EINVAL);
	assert_field(err, "started");
	assert_contains(err, "missing");
	json_object_set_new(j, "started", json_integer(0));
	json_object_set_new(j, "cmd", json_array());
	assert_int_equal(ct_rec_from_json(j, &back, err, sizeof(err)), -EINVAL);
	assert_field(err, "cmd");
	json_decref(j);

	/* No gateway shows as null. */
	r.args.gateway[0] = '\0';
	memset(&r.gateway, 0, sizeof(r.gateway));
	j = ct_rec_json(&r);
	assert_true(json_is_null(json_object_get(j, "gateway")));
	assert_int_equal(ct_rec_from_json(j, &back, err, sizeof(err)), 0);
	assert_string_equal(back.args.gateway, "");
	ct_rec_fini(&back);
	json_decref(j);
	ct_rec_fini(&r);
}

/* ------------------------------------------------------------------------- */
/* Files.                                                                    */

/* What ct_rec_load_all() reported back. */
struct seen {
	char names[16][CT_NAME_LEN];
	unsigned int n;
	unsigned int reports;
	char last_report[512];
	int fail_with; /* The callback returns it. */
	struct ct_rec kept;
};

static int
on_rec(struct ct_rec *rec, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 16);
	snprintf(s->names[s->n++], CT_NAME_LEN, "%s", rec->args.name);
	if (s->n == 1)
		ct_rec_move(&s->kept, rec); /* Taken by the callee. */
	return s->fail_with;
}

static void
on_report(const char *msg, void *arg)
{
	struct seen *s = arg;

	s->reports++;
	snprintf(s->last_report, sizeof(s->last_report), "%s", msg);
}

static void
test_save_load(void **state)
{
	struct tdir *t = *state;
	struct ct_rec r, back;
	char path[256], err[512] = "";
	json_t *j1, *j2;
	struct stat st;

	rec_make(&r, "ctts-s1", 5, "198.18.1.10/24", NULL);
	assert_int_equal(ct_rec_save(t->path, &r), 0);
	assert_int_equal(ct_rec_path(t->path, "ctts-s1", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The record only: no temp file left. */
	assert_int_equal(dir_count(t->path), 1);

	assert_int_equal(ct_rec_load(path, &back, err, sizeof(err)), 0);
	j1 = ct_rec_json(&r);
	j2 = ct_rec_json(&back);
	assert_true(json_equal(j1, j2));
	json_decref(j1);
	json_decref(j2);
	assert_memory_equal(back.mac, r.mac, 6);
	assert_int_equal(back.ip.family, AF_INET);
	assert_memory_equal(back.ip.addr, r.ip.addr, 4);
	assert_int_equal(back.ip.prefix, 24);
	assert_memory_equal(back.gateway.addr, r.gateway.addr, 4);
	assert_string_equal(back.args.argv[2], "echo 'hi there'\nsleep 1");
	assert_null(back.args.argv[3]);
	assert_string_equal(back.args.env[1], "GREETING=hello world");
	assert_int_equal(back.state, CT_STATE_RUNNING);
	assert_int_equal(back.pid, 4242);
	assert_int_equal(back.started, r.started);
	assert_int_equal(back.args.memory, 64 << 20);
	ct_rec_fini(&back);

	/* A second save replaces the first, atomically. */
	r.state = CT_STATE_STOPPED;
	r.pid = 0;
	assert_int_equal(ct_rec_save(t->path, &r), 0);
	assert_int_equal(dir_count(t->path), 1);
	assert_int_equal(ct_rec_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.state, CT_STATE_STOPPED);
	ct_rec_fini(&back);

	/* An invalid record is not written, and the old file stays. */
	r.state = CT_STATE_RUNNING;
	assert_int_equal(ct_rec_save(t->path, &r), -EINVAL);
	assert_int_equal(dir_count(t->path), 1);
	assert_int_equal(ct_rec_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.state, CT_STATE_STOPPED);
	ct_rec_fini(&back);
	r.state = CT_STATE_STOPPED;

	/* Remove. */
	assert_int_equal(ct_rec_remove(t->path, "ctts-s1"), 0);
	assert_int_equal(dir_count(t->path), 0);
	assert_int_equal(ct_rec_remove(t->path, "ctts-s1"), -ENOENT);
	assert_int_equal(ct_rec_remove(t->path, "../ctts-s1"), -EINVAL);
	assert_int_equal(ct_rec_load(path, &back, err, sizeof(err)), -ENOENT);
	assert_contains(err, path);

	/* A missing directory and its parents are created, mode 0700. */
	snprintf(path, sizeof(path), "%s/a/b", t->path);
	assert_int_equal(ct_rec_save(path, &r), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0077, 0);
	assert_int_equal(dir_count(path), 1);
	ct_rec_fini(&r);

	/* Paths. */
	assert_int_equal(ct_rec_path(NULL, "x", path, sizeof(path)), 0);
	assert_string_equal(path, CT_STATE_DIR_DEFAULT "/x.json");
	assert_int_equal(ct_rec_path(t->path, "x", path, 8), -ENAMETOOLONG);
	assert_int_equal(ct_rec_path(t->path, ".x", path, sizeof(path)), -EINVAL);
}

/* A bad file: its name, what it holds, and the field the message names. */
struct bad_file {
	const char *file;
	int rc;
	const char *part;
};

static void
test_bad_files(void **state)
{
	static const struct bad_file bad[] = {
		{"ctts-b.json", -EINVAL, "ctts-b.json:"}, /* Truncated JSON. */
		{"ctts-d.json", -EINVAL, "vni: expected an integer"},
		{"ctts-e.json", -EINVAL, "state: unknown state 'paused'"},
		{"ctts-f.json", -EINVAL, "name: 'ctts-a' does not match"},
		{"ctts-g.json", -EINVAL, "version: 2 is newer"},
		{"ctts-h.json", -EINVAL, "extra: unknown key"},
		{"ctts-i.json", -EINVAL, "host_ifname:"},
		{"ctts-j.json", -EPERM, "writable by group or others"},
		{"ctts-k.json", -EINVAL, "pid: 0 but"},
		{"ctts-l.json", -EINVAL, "ip: '198.18.1.0/24' is the network"},
		{"ctts-m.json", -EINVAL, "env: missing"},
		{"ctts-n.json", -EINVAL, "mtu: 100 out of range"},
		{"ctts-o.json", -EINVAL, "not a regular file"},
	};
	struct tdir *t = *state;
	struct seen seen = {0};
	struct ct_rec r, back;
	char path[256], err[512], *text;
	json_t *j;
	int rc;

	/* Two good records around the bad ones. */
	rec_make(&r, "ctts-a", 5, "198.18.1.10/24", NULL);
	assert_int_equal(ct_rec_save(t->path, &r), 0);
	ct_rec_fini(&r);
	rec_make(&r, "ctts-c", 5, "198.18.1.12/24", NULL);
	assert_int_equal(ct_rec_save(t->path, &r), 0);
	ct_rec_fini(&r);

	/* Truncated. */
	rec_make(&r, "ctts-b", 5, "198.18.1.11/24", NULL);
	j = ct_rec_json(&r);
	text = json_dumps(j, JSON_INDENT(2));
	text[strlen(text) / 2] = '\0';
	file_write(t->path, "ctts-b.json", text, 0600);
	free(text);
	json_decref(j);
	ct_rec_fini(&r);

#define BAD_JSON(name, ip, edit)                      \
	do {                                          \
		rec_make(&r, name, 5, ip, NULL);      \
		j = ct_rec_json(&r);                  \
		edit;                                 \
		json_write(t->path, name ".json", j); \
		json_decref(j);                       \
		ct_rec_fini(&r);                      \
	} while (0)

	BAD_JSON("ctts-d", "198.18.1.13/24", json_object_set_new(j, "vni", json_string("5")));
	BAD_JSON("ctts-e", "198.18.1.14/24",
		 json_object_set_new(j, "state", json_string("paused")));
	BAD_JSON("ctts-g", "198.18.1.16/24", json_object_set_new(j, "version", json_integer(2)));
	BAD_JSON("ctts-h", "198.18.1.17/24", json_object_set_new(j, "extra", json_true()));
	BAD_JSON("ctts-i", "198.18.1.18/24",
		 json_object_set_new(j, "host_ifname", json_string("mfh000000000000")));
	BAD_JSON("ctts-k", "198.18.1.20/24", json_object_set_new(j, "pid", json_integer(0)));
	BAD_JSON("ctts-l", "198.18.1.21/24",
		 json_object_set_new(j, "ip", json_string("198.18.1.0/24")));
	BAD_JSON("ctts-m", "198.18.1.22/24", json_object_del(j, "env"));
	BAD_JSON("ctts-n", "198.18.1.23/24", json_object_set_new(j, "mtu", json_integer(100)));
#undef BAD_JSON

	/* The record of ctts-a under another name. */
	snprintf(path, sizeof(path), "%s/ctts-a.json", t->path);
	assert_int_equal(ct_rec_load(path, &r, err, sizeof(err)), 0);
	j = ct_rec_json(&r);
	json_write(t->path, "ctts-f.json", j);
	json_decref(j);
	ct_rec_fini(&r);

	/* A valid record others may write. */
	rec_make(&r, "ctts-j", 5, "198.18.1.19/24", NULL);
	j = ct_rec_json(&r);
	json_write(t->path, "ctts-j.json", j);
	snprintf(path, sizeof(path), "%s/ctts-j.json", t->path);
	assert_int_equal(chmod(path, 0666), 0);
	json_decref(j);
	ct_rec_fini(&r);

	/* A directory with a record's name. */
	snprintf(path, sizeof(path), "%s/ctts-o.json", t->path);
	assert_int_equal(mkdir(path, 0700), 0);

	/* Each is refused alone, with a message naming the file and the field. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->path, bad[i].file);
		err[0] = '\0';
		rc = ct_rec_load(path, &back, err, sizeof(err));
		if (rc != bad[i].rc)
			fail_msg("%s: rc %d, expected %d: %s", bad[i].file, rc, bad[i].rc, err);
		assert_memory_equal(err, path, strlen(path));
		assert_contains(err, bad[i].part);
		assert_null(back.args.argv);
	}

	/* Temp files: one stale, one held by a writer; and a file that is no record. */
	file_write(t->path, ".tmp-ctts-x.Ab12Cd", "{\"half", 0600);
	file_write(t->path, ".tmp-ctts-y.Ef34Gh", "{", 0600);
	file_write(t->path, "README", "not a record", 0644);
	snprintf(path, sizeof(path), "%s/.tmp-ctts-y.Ef34Gh", t->path);
	t->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(t->lock_fd >= 0);
	assert_int_equal(flock(t->lock_fd, LOCK_EX), 0);

	/* load_all returns the good ones in order and reports the rest. */
	rc = ct_rec_load_all(t->path, on_rec, on_report, &seen, err, sizeof(err));
	assert_int_equal(rc, 2);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "ctts-a");
	assert_string_equal(seen.names[1], "ctts-c");
	assert_string_equal(seen.kept.args.name, "ctts-a");
	assert_int_equal(seen.kept.state, CT_STATE_RUNNING);
	ct_rec_fini(&seen.kept);
	/* 13 bad files and one stale temp file. */
	assert_int_equal(seen.reports, sizeof(bad) / sizeof(bad[0]) + 1);
	assert_false(file_exists(t->path, ".tmp-ctts-x.Ab12Cd"));
	assert_true(file_exists(t->path, ".tmp-ctts-y.Ef34Gh"));
	assert_true(file_exists(t->path, "README"));
	/* Refused files are left for a person to look at. */
	assert_true(file_exists(t->path, "ctts-b.json"));

	/* Once the writer is gone, its temp file is stale too. */
	close(t->lock_fd);
	t->lock_fd = -1;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(ct_rec_load_all(t->path, NULL, on_report, &seen, err, sizeof(err)), 2);
	assert_false(file_exists(t->path, ".tmp-ctts-y.Ef34Gh"));
	assert_int_equal(seen.reports, sizeof(bad) / sizeof(bad[0]) + 1);
	assert_contains(seen.last_report, "ctts-");

	/* A callback error stops the walk and is returned. */
	memset(&seen, 0, sizeof(seen));
	seen.fail_with = -ECANCELED;
	assert_int_equal(ct_rec_load_all(t->path, on_rec, NULL, &seen, err, sizeof(err)),
			 -ECANCELED);
	assert_int_equal(seen.n, 1);
	ct_rec_fini(&seen.kept);

	/* Another owner is not trusted either (needs root to chown). */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/ctts-a.json", t->path);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(ct_rec_load(path, &back, err, sizeof(err)), -EPERM);
		assert_contains(err, "owned by uid 65534");
	}
}

static void
test_load_all_dir(void **state)
{
	struct tdir *t = *state;
	struct seen seen = {0};
	char path[256], err[512] = "";
	struct stat st;
	struct ct_rec r;

	/* A missing directory is created, empty. */
	snprintf(path, sizeof(path), "%s/state/containers", t->path);
	assert_int_equal(ct_rec_load_all(path, on_rec, on_report, &seen, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(seen.n + seen.reports, 0);

	/* A directory others may write is not trusted. */
	rec_make(&r, "ctts-w", 5, "198.18.1.10/24", NULL);
	assert_int_equal(ct_rec_save(path, &r), 0);
	ct_rec_fini(&r);
	assert_int_equal(chmod(path, 0777), 0);
	assert_int_equal(ct_rec_load_all(path, on_rec, on_report, &seen, err, sizeof(err)), -EPERM);
	assert_contains(err, path);
	assert_int_equal(seen.n, 0);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(ct_rec_load_all(path, on_rec, on_report, &seen, err, sizeof(err)), 1);
	ct_rec_fini(&seen.kept);

	/* A file where the directory should be. */
	snprintf(path, sizeof(path), "%s/plain", t->path);
	file_write(t->path, "plain", "", 0600);
	assert_int_equal(ct_rec_load_all(path, NULL, NULL, NULL, err, sizeof(err)), -ENOTDIR);
	assert_contains(err, path);
}

/* ------------------------------------------------------------------------- */
/* Uniqueness.                                                               */

static void
test_unique(void **state)
{
	struct ct_rec a, b, d, c;
	const struct ct_rec *recs[5];
	char err[256] = "";

	(void)state;
	rec_make(&a, "ctts-ua", 5, "198.18.1.10/24", NULL);
	rec_make(&b, "ctts-ub", 6, "198.18.1.11/24", "02:00:00:00:00:0b");
	rec_make(&d, "ctts-ud", 5, "198.18.1.12/24", NULL);
	recs[0] = &a;
	recs[1] = NULL;
	recs[2] = &b;
	recs[3] = &d;

	/* A new container clashing with nothing. */
	rec_make(&c, "ctts-uc", 5, "198.18.1.20/24", NULL);
	recs[4] = &c; /* Itself is skipped. */
	assert_int_equal(ct_rec_unique(&c, recs, 5, err, sizeof(err)), 0);
	ct_rec_fini(&c);

	/* Same name. */
	rec_make(&c, "ctts-ua", 7, "198.18.1.20/24", NULL);
	assert_int_equal(ct_rec_unique(&c, recs, 4, err, sizeof(err)), -EEXIST);
	assert_field(err, "name");
	assert_contains(err, "'ctts-ua'");
	ct_rec_fini(&c);

	/* Same IP in the same VNI; the prefix length does not matter. */
	rec_make(&c, "ctts-uc", 5, "198.18.1.10/16", NULL);
	assert_int_equal(ct_rec_unique(&c, recs, 4, err, sizeof(err)), -EEXIST);
	assert_field(err, "ip");
	assert_contains(err, "198.18.1.10");
	assert_contains(err, "'ctts-ua'");
	ct_rec_fini(&c);

	/* Same IP in another VNI is fine. */
	rec_make(&c, "ctts-uc", 7, "198.18.1.10/24", NULL);
	assert_int_equal(ct_rec_unique(&c, recs, 4, err, sizeof(err)), 0);
	ct_rec_fini(&c);

	/* Same MAC in the same VNI, and in another. */
	rec_make(&c, "ctts-uc", 6, "198.18.1.20/24", "02:00:00:00:00:0b");
	assert_int_equal(ct_rec_unique(&c, recs, 4, err, sizeof(err)), -EEXIST);
	assert_field(err, "mac");
	assert_contains(err, "'ctts-ub'");
	ct_rec_fini(&c);
	rec_make(&c, "ctts-uc", 5, "198.18.1.20/24", "02:00:00:00:00:0b");
	assert_int_equal(ct_rec_unique(&c, recs, 4, err, sizeof(err)), 0);
	ct_rec_fini(&c);

	/* A hash collision of the interface names (forged: none is known). */
	rec_make(&c, "ctts-uc", 9, "198.18.1.20/24", NULL);
	memcpy(c.host_ifname, b.host_ifname, sizeof(c.host_ifname));
	assert_int_equal(ct_rec_unique(&c, recs, 4, err, sizeof(err)), -EEXIST);
	assert_field(err, "name");
	assert_contains(err, b.host_ifname);
	assert_contains(err, "'ctts-ub'");
	ct_rec_fini(&c);

	/* No records at all. */
	rec_make(&c, "ctts-ua", 5, "198.18.1.10/24", NULL);
	assert_int_equal(ct_rec_unique(&c, NULL, 0, err, sizeof(err)), 0);
	ct_rec_fini(&c);

	ct_rec_fini(&a);
	ct_rec_fini(&b);
	ct_rec_fini(&d);
}

/* The parsers exported for the CNI plugin and the lifecycle. */
static void
test_parsers(void **state)
{
	struct ct_rec_ip ip;
	uint8_t mac[6];

	(void)state;
	assert_int_equal(ct_rec_ip_parse("198.18.0.1", false, &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_int_equal(ip.addr[0], 198);
	assert_int_equal(ip.addr[3], 1);
	assert_int_equal(ct_rec_ip_parse("198.18.0.1", true, &ip), -EINVAL);
	assert_int_equal(ct_rec_ip_parse("198.18.0.1/15", false, &ip), -EINVAL);
	assert_int_equal(ct_rec_ip_parse("198.19.255.255/15", true, &ip), -EINVAL);
	assert_int_equal(ct_rec_ip_parse("::ffff:198.18.0.1", false, &ip), -EINVAL);
	assert_int_equal(ct_rec_ip_parse("::1", false, &ip), -EINVAL);
	assert_int_equal(ct_rec_ip_parse("2001:2::1/48", true, &ip), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(ip.prefix, 48);
	assert_int_equal(ct_rec_ip_parse(NULL, true, &ip), -EINVAL);
	assert_int_equal(ct_rec_mac_parse("02:aB:0c:00:00:ff", mac), 0);
	assert_int_equal(mac[1], 0xab);
	assert_int_equal(mac[5], 0xff);
	assert_int_equal(ct_rec_mac_parse("02:ab:0c:00:00:ff:", mac), -EINVAL);
	assert_int_equal(ct_rec_mac_parse("02:ab:0c:00:00", mac), -EINVAL);
	assert_int_equal(ct_rec_mac_parse(" 2:ab:0c:00:00:ff", mac), -EINVAL);
}

int
ct_test_state(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_table),
		cmocka_unit_test(test_args_check_c),
		cmocka_unit_test(test_from_json_types),
		cmocka_unit_test(test_from_json_values),
		cmocka_unit_test(test_derived_names),
		cmocka_unit_test(test_rec_init),
		cmocka_unit_test(test_rec_check),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_rec_json),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_unique),
		cmocka_unit_test_setup_teardown(test_save_load, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_bad_files, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_all_dir, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests_name("containers state", tests, NULL, NULL);
}
