/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-cni: the CNI plugin of mflowd (see containers/ct_cni.h and
 * docs/cni.md). A container runtime runs it with CNI_* environment
 * variables and the network configuration on stdin; it prints the result,
 * or a CNI error object, on stdout and exits 0 or 1. Diagnostics go to
 * stderr, which runtimes log.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct_cni.h"

static const char usage[] =
	"Usage: mflow-cni (run by a container runtime, see the CNI specification)\n"
	"\n"
	"Environment: CNI_COMMAND (ADD, DEL, CHECK, VERSION, STATUS, GC), CNI_CONTAINERID,\n"
	"CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH. Standard input: the network\n"
	"configuration (JSON), e.g.\n"
	"  {\"cniVersion\": \"1.0.0\", \"name\": \"overlay\", \"type\": \"mflow-cni\",\n"
	"   \"vni\": 100, \"ipam\": {\"type\": \"host-local\", \"subnet\": \"198.18.1.0/24\"}}\n"
	"Keys: vni (required), socket, mtu, pmd, anySrcMac, dataDir, timeout, ipam.\n";

static const char *
env_get(const char *name)
{
	return getenv(name);
}

/* Read all of stdin, at most CT_CNI_STDIN_MAX bytes; -EFBIG beyond. */
static int
read_stdin(char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *p;

			if (cap >= CT_CNI_STDIN_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			p = realloc(buf, cap);
			if (p == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int rc = -errno;

			free(buf);
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Print @p j (stolen) on stdout, followed by a newline. */
static int
print_json(json_t *j)
{
	int rc = j != NULL && json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0
											       : -1;

	json_decref(j);
	if (rc == 0)
		fputc('\n', stdout);
	return fflush(stdout) == 0 ? rc : -1;
}

static int
print_error(const struct ct_cni_error *e, const char *version)
{
	fprintf(stderr, "mflow-cni: %s\n", e->msg);
	print_json(ct_cni_error_json(e, version));
	return 1;
}

int
main(int argc, char **argv)
{
	struct ct_cni_conf conf = {0};
	struct ct_cni_error e = {0};
	struct ct_cni_env env;
	json_t *result = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = ct_cni_env_parse(env_get, &env, &e);
	if (rc < 0)
		return print_error(&e, NULL);
	rc = read_stdin(&text, &len);
	if (rc < 0) {
		e.code = rc == -EFBIG ? CT_CNI_E_DECODE : CT_CNI_E_IO;
		snprintf(e.msg, sizeof(e.msg), "cannot read the configuration on stdin: %s",
			 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		return print_error(&e, NULL);
	}
	rc = ct_cni_conf_parse(text, len, env.cmd, &conf, &e);
	if (rc < 0 && env.cmd == CT_CNI_VERSION) {
		/* VERSION answers whatever it is given: the runtime learns what we speak. */
		free(text);
		return print_json(ct_cni_version_result(NULL)) < 0 ? 1 : 0;
	}
	if (rc < 0) {
		free(text);
		return print_error(&e, conf.version[0] != '\0' ? conf.version : NULL);
	}
	rc = ct_cni_run(&env, &conf, text, len, &result, &e);
	free(text);
	if (rc < 0) {
		rc = print_error(&e, conf.version);
		ct_cni_conf_fini(&conf);
		return rc;
	}
	ct_cni_conf_fini(&conf);
	if (result != NULL && print_json(result) < 0)
		return 1;
	return 0;
}
