/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of containers/ct_nl.c: the text helpers, then, as root, real
 * namespaces, veth pairs, addresses, routes and offloads. The effects are
 * checked independently of the library with iproute2 and ethtool (`ip -j`
 * output parsed with jansson), and with a ping between two namespaces.
 *
 * Every name created is "cttn", the process id and a suffix (see nm), and
 * each test's teardown removes whatever it may have created, whether the
 * test passed or not. Only interfaces named so are made in the host
 * namespace, and no address or route is: those go into test namespaces. Every external command runs
 * under timeout(1).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <linux/if.h>
#include <linux/nsfs.h>

#include "ct_nl.h"
#include "ct_test.h"

/*
 * Names the tests create: "cttn", this process's id, and a suffix, so that
 * two runs of this executable (by two engineers, say) never collide.
 */
static struct {
	char ns_a[16], ns_b[16];
	char h0[16], p0[16], h1[16], p1[16], h2[16], p2[16];
} nm;
#define NS_A  nm.ns_a
#define NS_B  nm.ns_b
#define IF_H0 nm.h0
#define IF_P0 nm.p0
#define IF_H1 nm.h1
#define IF_P1 nm.p1
#define IF_H2 nm.h2
#define IF_P2 nm.p2
/** Create/delete cycles of the leak test, and their time budget. */
#define CYCLES	     100
#define CYCLES_MAX_S 60

/* ------------------------------------------------------------------------- */
/* Helpers. */

/* Skip the calling test unless we are root. */
#define NEED_ROOT()                                           \
	do {                                                  \
		if (geteuid() != 0) {                         \
			print_message("not root: skipped\n"); \
			skip();                               \
		}                                             \
	} while (0)

/* Remove every namespace and host interface the tests may have made. */
static int
cleanup(void **state)
{
	const char *links[] = {IF_H0, IF_P0, IF_H1, IF_P1, IF_H2, IF_P2};

	(void)state;
	if (geteuid() != 0)
		return 0;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		ct_link_del(NULL, links[i]);
	ct_netns_del(NS_A);
	ct_netns_del(NS_B);
	return 0;
}

/* Make the names, then clean up after a crashed run of the same pid. */
static int
group_setup(void **state)
{
	unsigned int id = (unsigned int)getpid() % 10000000u;

	snprintf(nm.ns_a, sizeof(nm.ns_a), "cttn%ua", id);
	snprintf(nm.ns_b, sizeof(nm.ns_b), "cttn%ub", id);
	snprintf(nm.h0, sizeof(nm.h0), "cttn%uh0", id);
	snprintf(nm.p0, sizeof(nm.p0), "cttn%up0", id);
	snprintf(nm.h1, sizeof(nm.h1), "cttn%uh1", id);
	snprintf(nm.p1, sizeof(nm.p1), "cttn%up1", id);
	snprintf(nm.h2, sizeof(nm.h2), "cttn%uh2", id);
	snprintf(nm.p2, sizeof(nm.p2), "cttn%up2", id);
	return cleanup(state);
}

/* Run a shell command (under timeout 10) and return its output, or NULL. */
static char *__attribute__((format(printf, 1, 2))) run_output(const char *fmt, ...)
{
	char cmd[512], *out = NULL;
	size_t len = 0, cap = 0;
	char buf[4096];
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + n + 1 > cap) {
			char *p;

			cap = (len + n + 1) * 2;
			p = realloc(out, cap);
			if (p == NULL)
				break;
			out = p;
		}
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	if (pclose(f) != 0) {
		free(out);
		return NULL;
	}
	if (out == NULL)
		out = strdup("");
	return out;
}

/* Run a shell command and return its exit status (-1 if it did not exit). */
static int __attribute__((format(printf, 1, 2))) run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The JSON that `ip -j ARGS` prints, or NULL; the caller owns the reference. */
static json_t *__attribute__((format(printf, 1, 2))) ip_json(const char *fmt, ...)
{
	json_error_t jerr;
	char args[256];
	va_list ap;
	json_t *j;
	char *out;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	out = run_output("timeout 10 ip -j %s 2>/dev/null", args);
	if (out == NULL)
		return NULL;
	j = json_loads(out, 0, &jerr);
	free(out);
	return j;
}

/* Whether `ip netns list` names ns. */
static bool
ip_netns_listed(const char *ns)
{
	char *out, *p;
	bool found = false;

	out = run_output("timeout 10 ip netns list 2>/dev/null");
	if (out == NULL)
		return false;
	/* Lines read "NAME" or "NAME (id: N)". */
	for (p = strtok(out, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		size_t n = strcspn(p, " ");

		if (n == strlen(ns) && strncmp(p, ns, n) == 0)
			found = true;
	}
	free(out);
	return found;
}

/* Whether the JSON array of strings arr holds s. */
static bool
json_has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* Whether `ip -n ns -j addr show dev ifname` lists local/plen. */
static bool
ip_has_addr(const char *ns, const char *ifname, const char *local, int plen)
{
	json_t *j, *link, *ai, *a;
	bool found = false;
	size_t i;

	j = ip_json("-n %s addr show dev %s", ns, ifname);
	link = json_array_get(j, 0);
	ai = json_object_get(link, "addr_info");
	json_array_foreach (ai, i, a) {
		const char *l = json_string_value(json_object_get(a, "local"));

		if (l != NULL && strcmp(l, local) == 0 &&
		    json_integer_value(json_object_get(a, "prefixlen")) == plen)
			found = true;
	}
	json_decref(j);
	return found;
}

/* The number of entries in /proc/self/fd. */
static int
count_fds(void)
{
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ct_ip
ip_of(const char *s)
{
	struct ct_ip ip;

	memset(&ip, 0, sizeof(ip));
	assert_int_equal(ct_ip_parse(s, &ip), 0);
	return ip;
}

/* ------------------------------------------------------------------------- */
/* Text helpers (no root needed). */

static void
test_ip_text(void **state)
{
	static const char *const bad[] = {
		"",
		"/24",
		"198.18.1.2/",
		"198.18.1.2/33",
		"198.18.1.2/-1",
		"198.18.1/24",
		"198.18.1.256",
		"198.18.1.2/2x",
		"2001:db8::1/129",
		"2001:db8::g",
		"198.18.1.2 /24",
		"198.18.1.2/+4",
		"198.18.1.2/0024",
		"x",
		"::1/",
	};
	char buf[CT_IP_PREFIX_STRLEN];
	struct ct_ip ip;
	uint8_t plen;

	(void)state;
	assert_int_equal(ct_ip_parse_prefix("198.18.1.2/24", &ip, &plen), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_int_equal(plen, 24);
	assert_memory_equal(ip.addr, "\xc6\x12\x01\x02", 4);
	assert_int_equal(ct_ip_format_prefix(&ip, plen, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "198.18.1.2/24");

	assert_int_equal(ct_ip_parse_prefix("2001:db8::1/64", &ip, &plen), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(plen, 64);
	assert_int_equal(ip.addr[0], 0x20);
	assert_int_equal(ip.addr[15], 1);
	assert_int_equal(ct_ip_format_prefix(&ip, plen, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::1/64");

	/* No prefix: the full length. */
	assert_int_equal(ct_ip_parse_prefix("198.18.0.1", &ip, &plen), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(ct_ip_parse_prefix("::1", &ip, &plen), 0);
	assert_int_equal(plen, 128);
	assert_int_equal(ct_ip_parse_prefix("0.0.0.0/0", &ip, &plen), 0);
	assert_int_equal(plen, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ip.family = 77;
		plen = 77;
		if (ct_ip_parse_prefix(bad[i], &ip, &plen) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		/* Outputs untouched on error. */
		assert_int_equal(ip.family, 77);
		assert_int_equal(plen, 77);
	}
	assert_int_equal(ct_ip_parse("198.18.1.2/24", &ip), -EINVAL);
	assert_int_equal(ct_ip_parse(NULL, &ip), -EINVAL);

	/* Formatting: too small a buffer, bad family, bad prefix. */
	ip = ip_of("198.18.255.254");
	assert_int_equal(ct_ip_format(&ip, buf, 14), -ENOSPC);
	assert_int_equal(ct_ip_format(&ip, buf, 15), 0);
	assert_string_equal(buf, "198.18.255.254");
	assert_int_equal(ct_ip_format_prefix(&ip, 33, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ct_ip_format_prefix(&ip, 32, buf, 17), -ENOSPC);
	ip.family = AF_UNIX;
	assert_int_equal(ct_ip_format(&ip, buf, sizeof(buf)), -EINVAL);
}

static void
test_mac_text(void **state)
{
	static const char *const bad[] = {
		"",
		"02:00:00:00:00",
		"02:00:00:00:00:0",
		"02:00:00:00:00:001",
		"02-00-00-00-00-01",
		"02:00:00:00:00:0g",
		"2:00:00:00:00:01",
		"02:00:00:00:00:01:",
	};
	uint8_t mac[6], keep[6] = {9, 9, 9, 9, 9, 9};
	char buf[CT_MAC_STRLEN];

	(void)state;
	assert_int_equal(ct_mac_parse("02:00:00:00:00:01", mac), 0);
	assert_memory_equal(mac, "\x02\x00\x00\x00\x00\x01", 6);
	assert_int_equal(ct_mac_parse("0A:bC:de:F0:12:34", mac), 0);
	assert_memory_equal(mac, "\x0a\xbc\xde\xf0\x12\x34", 6);
	assert_int_equal(ct_mac_format(mac, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0a:bc:de:f0:12:34");
	assert_int_equal(ct_mac_format(mac, buf, sizeof(buf) - 1), -ENOSPC);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(mac, keep, 6);
		if (ct_mac_parse(bad[i], mac) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_memory_equal(mac, keep, 6);
	}
	assert_true(ct_mac_is_unicast((const uint8_t *)"\x02\x00\x00\x00\x00\x01"));
	assert_false(ct_mac_is_unicast((const uint8_t *)"\x01\x00\x5e\x00\x00\x01"));
	assert_false(ct_mac_is_unicast((const uint8_t *)"\xff\xff\xff\xff\xff\xff"));
	assert_false(ct_mac_is_unicast((const uint8_t *)"\x00\x00\x00\x00\x00\x00"));
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(ct_netns_name_valid("a"));
	assert_true(ct_netns_name_valid("ct-1_x.y"));
	assert_true(ct_netns_name_valid("123456789012345"));
	assert_false(ct_netns_name_valid("1234567890123456"));
	assert_false(ct_netns_name_valid(""));
	assert_false(ct_netns_name_valid(NULL));
	assert_false(ct_netns_name_valid("."));
	assert_false(ct_netns_name_valid(".."));
	assert_false(ct_netns_name_valid("a/b"));
	assert_false(ct_netns_name_valid("a b"));
	assert_false(ct_netns_name_valid("a:b"));

	assert_true(ct_ifname_valid("eth0"));
	assert_true(ct_ifname_valid("veth@x-1.2"));
	assert_true(ct_ifname_valid("123456789012345"));
	assert_false(ct_ifname_valid("1234567890123456"));
	assert_false(ct_ifname_valid(""));
	assert_false(ct_ifname_valid(NULL));
	assert_false(ct_ifname_valid(".."));
	assert_false(ct_ifname_valid("a/b"));
	assert_false(ct_ifname_valid("a:b"));
	assert_false(ct_ifname_valid("a\tb"));
}

/* ------------------------------------------------------------------------- */
/* Namespaces. */

static void
test_netns(void **state)
{
	static const char *const bad[] = {"", "a/b", "..", ".", "1234567890123456", "a b", "x:y"};
	char err[256] = "";
	int fd, fds;

	(void)state;
	NEED_ROOT();
	fds = count_fds();
	assert_false(ct_netns_exists(NS_A));
	assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), 0);
	assert_true(ct_netns_exists(NS_A));
	assert_true(ip_netns_listed(NS_A));

	/* A second add fails and leaves the first one working. */
	err[0] = '\0';
	assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, NS_A));
	assert_true(ct_netns_exists(NS_A));

	/* The descriptor is a network namespace, another than ours. */
	fd = ct_netns_open(NS_A);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, NS_GET_NSTYPE), CLONE_NEWNET);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	{
		struct stat a, b;

		assert_int_equal(fstat(fd, &a), 0);
		assert_int_equal(stat("/proc/thread-self/ns/net", &b), 0);
		assert_true(a.st_ino != b.st_ino);
	}
	close(fd);
	/* iproute2 can enter it; its loopback is there and down. */
	assert_int_equal(run("timeout 10 ip netns exec %s true", NS_A), 0);
	{
		struct ct_link_info li;

		assert_int_equal(ct_link_get(NS_A, "lo", &li), 0);
		assert_int_equal(li.flags & IFF_UP, 0);
		assert_int_equal(ct_netns_lo_up(NS_A, err, sizeof(err)), 0);
		assert_int_equal(ct_link_get(NS_A, "lo", &li), 0);
		assert_int_not_equal(li.flags & IFF_UP, 0);
	}

	assert_int_equal(ct_netns_del(NS_A), 0);
	assert_false(ct_netns_exists(NS_A));
	assert_false(ip_netns_listed(NS_A));
	assert_int_equal(ct_netns_open(NS_A), -ENOENT);
	assert_int_equal(ct_netns_del(NS_A), -ENOENT);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ct_netns_add(bad[i], err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
		assert_int_equal(ct_netns_del(bad[i]), -EINVAL);
		assert_int_equal(ct_netns_open(bad[i]), -EINVAL);
		assert_false(ct_netns_exists(bad[i]));
	}
	assert_int_equal(ct_netns_add(NULL, NULL, 0), -EINVAL);

	/* A plain file (an add cut short) is no namespace, and del removes it. */
	{
		char path[64];

		snprintf(path, sizeof(path), CT_NETNS_DIR "/%s", NS_A);
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		assert_true(fd >= 0);
		close(fd);
		assert_true(ct_netns_exists(NS_A));
		assert_int_equal(ct_netns_open(NS_A), -EINVAL);
		assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), -EEXIST);
		assert_int_equal(ct_netns_del(NS_A), 0);
		assert_false(ct_netns_exists(NS_A));
		assert_int_equal(access(path, F_OK), -1);
	}

	/* A namespace that iproute2 made is ours to use and delete too. */
	assert_int_equal(run("timeout 10 ip netns add %s", NS_B), 0);
	assert_true(ct_netns_exists(NS_B));
	fd = ct_netns_open(NS_B);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ct_netns_del(NS_B), 0);
	assert_false(ip_netns_listed(NS_B));
	assert_int_equal(count_fds(), fds);
}

/* ------------------------------------------------------------------------- */
/* veth, link settings, addresses and routes. */

static void
test_veth_config(void **state)
{
	const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	struct ct_veth_args va = {
		.host_if = IF_H0, .peer_if = IF_P0, .netns = NS_A, .peer_mac = mac, .mtu = 1400};
	struct ct_link_args la = {
		.netns = NS_A, .ifname = IF_P0, .new_name = "eth0", .up = CT_SET_ON};
	struct ct_ip v4, v6, gw4, gw6, dst;
	struct ct_link_info li;
	char err[256] = "";
	json_t *j, *r;
	uint8_t plen4, plen6;

	(void)state;
	NEED_ROOT();
	assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), 0);
	if (ct_veth_add(&va, err, sizeof(err)) != 0)
		fail_msg("veth: %s", err);

	/* Host end in our namespace, peer in NS_A only. */
	assert_int_equal(ct_link_get(NULL, IF_H0, &li), 0);
	assert_int_equal(li.mtu, 1400);
	assert_string_equal(li.name, IF_H0);
	assert_false(ct_link_exists(NULL, IF_P0));
	assert_true(ct_link_exists(NS_A, IF_P0));
	assert_int_equal(ct_link_get(NS_A, IF_P0, &li), 0);
	assert_memory_equal(li.mac, mac, 6);
	assert_int_equal(li.mtu, 1400);
	/* Independently: iproute2 sees the same. */
	j = ip_json("-n %s link show %s", NS_A, IF_P0);
	assert_non_null(j);
	r = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(r, "address")), "02:00:00:00:00:01");
	assert_int_equal(json_integer_value(json_object_get(r, "mtu")), 1400);
	json_decref(j);

	/* Rename the peer to eth0 and bring it up in one call. */
	if (ct_link_set(&la, err, sizeof(err)) != 0)
		fail_msg("link_set: %s", err);
	assert_false(ct_link_exists(NS_A, IF_P0));
	assert_int_equal(ct_link_get(NS_A, "eth0", &li), 0);
	assert_int_not_equal(li.flags & IFF_UP, 0);
	assert_memory_equal(li.mac, mac, 6);
	assert_int_equal(ct_netns_lo_up(NS_A, err, sizeof(err)), 0);

	/* Addresses, v4 and v6, checked with iproute2. */
	assert_int_equal(ct_ip_parse_prefix("198.18.99.10/24", &v4, &plen4), 0);
	assert_int_equal(ct_ip_parse_prefix("2001:db8:99::10/64", &v6, &plen6), 0);
	assert_int_equal(ct_addr_add(NS_A, "eth0", &v4, plen4), 0);
	assert_int_equal(ct_addr_add(NS_A, "eth0", &v6, plen6), 0);
	assert_int_equal(ct_addr_add(NS_A, "eth0", &v4, plen4), -EEXIST);
	assert_true(ip_has_addr(NS_A, "eth0", "198.18.99.10", 24));
	assert_true(ip_has_addr(NS_A, "eth0", "2001:db8:99::10", 64));

	/* Default routes via gateways, and an on-link prefix route. */
	gw4 = ip_of("198.18.99.1");
	gw6 = ip_of("2001:db8:99::1");
	assert_int_equal(ct_route_add(NS_A, "eth0", NULL, 0, &gw4), 0);
	/* The default route also as ::/0 written out (dst given, plen 0). */
	{
		struct ct_ip any6 = {.family = AF_INET6};

		assert_int_equal(ct_route_add(NS_A, "eth0", &any6, 0, &gw6), 0);
	}
	assert_int_equal(ct_route_add(NS_A, "eth0", NULL, 0, &gw4), -EEXIST);
	assert_int_equal(ct_ip_parse_prefix("198.18.100.77/24", &dst, &plen4), 0);
	assert_int_equal(ct_route_add(NS_A, "eth0", &dst, plen4, NULL), 0);

	j = ip_json("-n %s -4 route show default", NS_A);
	assert_non_null(j);
	r = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(r, "gateway")), "198.18.99.1");
	assert_string_equal(json_string_value(json_object_get(r, "dev")), "eth0");
	json_decref(j);
	j = ip_json("-n %s -6 route show default", NS_A);
	assert_non_null(j);
	r = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(r, "gateway")), "2001:db8:99::1");
	json_decref(j);
	j = ip_json("-n %s -4 route show 198.18.100.0/24", NS_A);
	assert_non_null(j);
	r = json_array_get(j, 0);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "dev")), "eth0");
	assert_string_equal(json_string_value(json_object_get(r, "scope")), "link");
	json_decref(j);

	/* Removal, and removal of what is gone. */
	assert_int_equal(ct_route_del(NS_A, "eth0", &dst, plen4, NULL), 0);
	assert_int_equal(ct_route_del(NS_A, "eth0", &dst, plen4, NULL), -ENOENT);
	assert_int_equal(ct_route_del(NS_A, NULL, NULL, 0, &gw4), 0);
	j = ip_json("-n %s -4 route show default", NS_A);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	assert_int_equal(ct_addr_del(NS_A, "eth0", &v6, plen6), 0);
	assert_int_equal(ct_addr_del(NS_A, "eth0", &v6, plen6), -ENOENT);
	assert_false(ip_has_addr(NS_A, "eth0", "2001:db8:99::10", 64));
	assert_true(ip_has_addr(NS_A, "eth0", "198.18.99.10", 24));

	/* MTU, MAC and ARP settings of the host end. */
	{
		const uint8_t hmac[6] = {0x02, 0, 0, 0, 0x99, 0x01};
		struct ct_link_args ha = {
			.ifname = IF_H0, .mtu = 9000, .mac = hmac, .noarp = CT_SET_ON};

		assert_int_equal(ct_link_set(&ha, err, sizeof(err)), 0);
		assert_int_equal(ct_link_get(NULL, IF_H0, &li), 0);
		assert_int_equal(li.mtu, 9000);
		assert_memory_equal(li.mac, hmac, 6);
		assert_int_not_equal(li.flags & IFF_NOARP, 0);
		assert_int_equal(li.flags & IFF_UP, 0);
		j = ip_json("link show %s", IF_H0);
		assert_non_null(j);
		assert_true(
			json_has_string(json_object_get(json_array_get(j, 0), "flags"), "NOARP"));
		json_decref(j);
		ha = (struct ct_link_args){.ifname = IF_H0, .noarp = CT_SET_OFF};
		assert_int_equal(ct_link_set(&ha, err, sizeof(err)), 0);
		assert_int_equal(ct_link_get(NULL, IF_H0, &li), 0);
		assert_int_equal(li.flags & IFF_NOARP, 0);
		assert_int_equal(li.mtu, 9000);
	}

	/* Deleting the host end takes the peer too. */
	assert_int_equal(ct_link_del(NULL, IF_H0), 0);
	assert_false(ct_link_exists(NULL, IF_H0));
	assert_false(ct_link_exists(NS_A, "eth0"));
	assert_int_equal(ct_netns_del(NS_A), 0);
}

/* A veth pair between two namespaces, addressed, and a ping across it. */
static void
test_ping(void **state)
{
	struct ct_veth_args va = {
		.host_if = IF_H1, .peer_if = IF_P1, .host_netns = NS_A, .netns = NS_B, .mtu = 1500};
	struct ct_link_args up = {.up = CT_SET_ON};
	struct ct_ip a4, b4, a6, b6;
	char err[256] = "";

	(void)state;
	NEED_ROOT();
	assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), 0);
	assert_int_equal(ct_netns_add(NS_B, err, sizeof(err)), 0);
	if (ct_veth_add(&va, err, sizeof(err)) != 0)
		fail_msg("veth: %s", err);
	assert_false(ct_link_exists(NULL, IF_H1));
	assert_true(ct_link_exists(NS_A, IF_H1));
	assert_true(ct_link_exists(NS_B, IF_P1));

	a4 = ip_of("198.18.99.1");
	b4 = ip_of("198.18.99.2");
	a6 = ip_of("2001:db8:99::1");
	b6 = ip_of("2001:db8:99::2");
	assert_int_equal(ct_addr_add(NS_A, IF_H1, &a4, 24), 0);
	assert_int_equal(ct_addr_add(NS_B, IF_P1, &b4, 24), 0);
	assert_int_equal(ct_addr_add(NS_A, IF_H1, &a6, 64), 0);
	assert_int_equal(ct_addr_add(NS_B, IF_P1, &b6, 64), 0);
	up.netns = NS_A;
	up.ifname = IF_H1;
	assert_int_equal(ct_link_set(&up, err, sizeof(err)), 0);
	up.netns = NS_B;
	up.ifname = IF_P1;
	assert_int_equal(ct_link_set(&up, err, sizeof(err)), 0);

	assert_int_equal(
		run("timeout 10 ip netns exec %s ping -q -c1 -W2 198.18.99.2 >/dev/null", NS_A), 0);
	/* No DAD: the IPv6 addresses are usable at once. */
	assert_int_equal(
		run("timeout 10 ip netns exec %s ping -q -6 -c1 -W2 2001:db8:99::1 >/dev/null",
		    NS_B),
		0);
	/* Nothing answers an address that is not there. */
	assert_int_not_equal(
		run("timeout 10 ip netns exec %s ping -q -c1 -W1 198.18.99.3 >/dev/null", NS_A), 0);

	assert_int_equal(ct_link_del(NS_B, IF_P1), 0);
	assert_false(ct_link_exists(NS_A, IF_H1));
	assert_int_equal(ct_netns_del(NS_A), 0);
	assert_int_equal(ct_netns_del(NS_B), 0);
}

/* ------------------------------------------------------------------------- */
/* The PMD end. */

/** ct_nl_prepare_pmd_end() run in another namespace, from a thread. */
struct prep_job {
	int nsfd;
	const char *ifname;
	char err[256];
	int rc;
};

static void *
prep_main(void *arg)
{
	struct prep_job *j = arg;

	if (setns(j->nsfd, CLONE_NEWNET) < 0) {
		j->rc = -errno;
		return NULL;
	}
	j->rc = ct_nl_prepare_pmd_end(j->ifname, j->err, sizeof(j->err));
	return NULL;
}

/* Whether `ethtool -k` output says the feature is off (sub-features are indented). */
static bool
ethtool_off(const char *text, const char *feature)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s: ", feature);
	for (p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
		if (p != text && p[-1] != '\n' && p[-1] != '\t')
			continue;
		return strncmp(p + strlen(key), "off", 3) == 0;
	}
	return false;
}

/*
 * Check every transmit checksum and segmentation feature that `ethtool -k`
 * lists, whatever the kernel calls them; returns the first one on, or NULL.
 */
static const char *
ethtool_first_on(char *text)
{
	static char bad[64];
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *name = line + strspn(line, "\t "), *colon = strchr(name, ':');
		size_t len;

		if (colon == NULL)
			continue;
		len = (size_t)(colon - name);
		if (!((len > 12 && strncmp(name, "tx-checksum-", 12) == 0) ||
		      (len > 3 && strncmp(name, "tx-", 3) == 0 && len >= 12 &&
		       strncmp(colon - 12, "segmentation", 12) == 0) ||
		      strncmp(name, "rx-gro", 6) == 0))
			continue;
		if (strncmp(colon, ": off", 5) != 0) {
			snprintf(bad, sizeof(bad), "%.*s", (int)len, name);
			return bad;
		}
	}
	return NULL;
}

static void
test_prepare_pmd_end(void **state)
{
	struct ct_veth_args va = {.host_if = IF_H2, .peer_if = IF_P2, .host_netns = NS_A};
	struct prep_job job = {.ifname = IF_H2, .rc = -EINTR};
	struct ct_link_info li;
	char err[256] = "";
	struct ct_ip ip;
	pthread_t t;
	json_t *j;
	char *out;

	(void)state;
	NEED_ROOT();
	/* Everything happens in NS_A: the host namespace is left alone. */
	assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), 0);
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), 0);
	ip = ip_of("198.18.98.1");
	assert_int_equal(ct_addr_add(NS_A, IF_H2, &ip, 24), 0);
	ip = ip_of("198.18.98.2");
	assert_int_equal(ct_addr_add(NS_A, IF_H2, &ip, 24), 0);
	ip = ip_of("2001:db8:98::1");
	assert_int_equal(ct_addr_add(NS_A, IF_H2, &ip, 64), 0);
	out = run_output("timeout 10 ip netns exec %s ethtool -k %s", NS_A, IF_H2);
	assert_non_null(out);
	/* veth starts with them on; otherwise the test would prove nothing. */
	assert_false(ethtool_off(out, "tx-checksumming"));
	assert_false(ethtool_off(out, "generic-segmentation-offload"));
	assert_non_null(ethtool_first_on(out));
	free(out);

	job.nsfd = ct_netns_open(NS_A);
	assert_true(job.nsfd >= 0);
	assert_int_equal(pthread_create(&t, NULL, prep_main, &job), 0);
	pthread_join(t, NULL);
	if (job.rc != 0)
		fail_msg("prepare: %d %s", job.rc, job.err);
	/* Idempotent. */
	job.rc = -EINTR;
	assert_int_equal(pthread_create(&t, NULL, prep_main, &job), 0);
	pthread_join(t, NULL);
	close(job.nsfd);
	assert_int_equal(job.rc, 0);

	out = run_output("timeout 10 ip netns exec %s ethtool -k %s", NS_A, IF_H2);
	assert_non_null(out);
	assert_true(ethtool_off(out, "tx-checksumming"));
	assert_true(ethtool_off(out, "tx-checksum-ip-generic"));
	assert_true(ethtool_off(out, "tcp-segmentation-offload"));
	assert_true(ethtool_off(out, "tx-tcp-segmentation"));
	assert_true(ethtool_off(out, "tx-tcp6-segmentation"));
	assert_true(ethtool_off(out, "generic-segmentation-offload"));
	assert_true(ethtool_off(out, "generic-receive-offload"));
	{
		const char *on = ethtool_first_on(out);

		if (on != NULL)
			fail_msg("%s is still on", on);
	}
	free(out);
	out = run_output("timeout 10 ip netns exec %s cat /proc/sys/net/ipv6/conf/%s/disable_ipv6",
			 NS_A, IF_H2);
	assert_non_null(out);
	assert_string_equal(out, "1\n");
	free(out);
	assert_int_equal(ct_link_get(NS_A, IF_H2, &li), 0);
	assert_int_not_equal(li.flags & IFF_NOARP, 0);
	assert_int_not_equal(li.flags & IFF_UP, 0);
	j = ip_json("-n %s addr show dev %s", NS_A, IF_H2);
	assert_non_null(j);
	assert_true(json_has_string(json_object_get(json_array_get(j, 0), "flags"), "NOARP"));
	assert_int_equal(json_array_size(json_object_get(json_array_get(j, 0), "addr_info")), 0);
	json_decref(j);

	/* The container end's offloads, from outside its namespace. */
	assert_int_equal(ct_link_offloads_off(NS_A, IF_P2, err, sizeof(err)), 0);
	out = run_output("timeout 10 ip netns exec %s ethtool -k %s", NS_A, IF_P2);
	assert_non_null(out);
	assert_true(ethtool_off(out, "tx-checksumming"));
	assert_true(ethtool_off(out, "generic-receive-offload"));
	assert_null(ethtool_first_on(out));
	free(out);

	/* Bad or missing interfaces. */
	err[0] = '\0';
	assert_int_equal(ct_nl_prepare_pmd_end("cttn-none", err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "cttn-none"));
	assert_int_equal(ct_nl_prepare_pmd_end("a/b", err, sizeof(err)), -EINVAL);
	assert_int_equal(ct_link_offloads_off(NS_A, "cttn-none", err, sizeof(err)), -ENODEV);

	assert_int_equal(ct_link_del(NS_A, IF_H2), 0);
	assert_int_equal(ct_netns_del(NS_A), 0);
}

/* ------------------------------------------------------------------------- */
/* Errors change nothing. */

static void
test_errors(void **state)
{
	const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	struct ct_veth_args va = {.host_if = IF_H0, .peer_if = IF_P0, .netns = NS_A, .mtu = 1400};
	struct ct_ip ip = ip_of("198.18.97.1");
	struct ct_link_info li;
	char err[256] = "";
	int fds;

	(void)state;
	NEED_ROOT();
	fds = count_fds();
	assert_int_equal(ct_netns_add(NS_A, err, sizeof(err)), 0);

	/* A missing namespace. */
	va.netns = NS_B;
	err[0] = '\0';
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, NS_B));
	assert_false(ct_link_exists(NULL, IF_H0));
	va.netns = NS_A;

	/* Bad arguments, refused before anything is made. */
	va.peer_mac = mcast;
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), -EINVAL);
	va.peer_mac = NULL;
	va.mtu = 60;
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), -EINVAL);
	va.mtu = 1400;
	va.peer_if = "bad/name";
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), -EINVAL);
	va.peer_if = IF_P0;
	assert_false(ct_link_exists(NULL, IF_H0));
	assert_false(ct_link_exists(NS_A, IF_P0));
	assert_int_equal(ct_veth_add(NULL, err, sizeof(err)), -EINVAL);

	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), 0);

	/* Host name taken: -EEXIST, and no new peer. */
	va.peer_if = IF_P1;
	err[0] = '\0';
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, IF_H0));
	assert_false(ct_link_exists(NS_A, IF_P1));
	/* Peer name taken in the namespace: -EEXIST, and no new host end. */
	va.host_if = IF_H1;
	va.peer_if = IF_P0;
	assert_int_equal(ct_veth_add(&va, err, sizeof(err)), -EEXIST);
	assert_false(ct_link_exists(NULL, IF_H1));

	/* Missing links. */
	assert_int_equal(ct_addr_add(NS_A, "cttn-none", &ip, 24), -ENODEV);
	assert_int_equal(ct_addr_add(NULL, "cttn-none", &ip, 24), -ENODEV);
	assert_int_equal(ct_addr_add(NS_B, IF_P0, &ip, 24), -ENOENT);
	assert_int_equal(ct_addr_add(NS_A, IF_P0, &ip, 33), -EINVAL);
	assert_int_equal(ct_addr_add(NS_A, IF_P0, NULL, 24), -EINVAL);
	assert_int_equal(ct_route_add(NS_A, "cttn-none", NULL, 0, &ip), -ENODEV);
	assert_int_equal(ct_route_add(NS_A, NULL, NULL, 0, NULL), -EINVAL);
	{
		struct ct_ip v6 = ip_of("2001:db8::1");

		assert_int_equal(ct_route_add(NS_A, IF_P0, &v6, 64, &ip), -EINVAL);
	}
	assert_int_equal(ct_link_del(NULL, "cttn-none"), -ENOENT);
	assert_int_equal(ct_link_del(NS_A, "cttn-none"), -ENOENT);
	assert_int_equal(ct_link_del(NS_B, IF_P0), -ENOENT);
	assert_int_equal(ct_link_del(NULL, "a/b"), -EINVAL);
	assert_false(ct_link_exists(NS_B, IF_P0));
	assert_int_equal(ct_link_get(NULL, "cttn-none", &li), -ENODEV);
	{
		struct ct_link_args la = {.ifname = "cttn-none", .up = CT_SET_ON};

		err[0] = '\0';
		assert_int_equal(ct_link_set(&la, err, sizeof(err)), -ENODEV);
		assert_non_null(strstr(err, "cttn-none"));
		la.ifname = IF_H0;
		la.up = (enum ct_set)7;
		assert_int_equal(ct_link_set(&la, err, sizeof(err)), -EINVAL);
		la.up = CT_SET_LEAVE;
		la.mac = mcast;
		assert_int_equal(ct_link_set(&la, err, sizeof(err)), -EINVAL);
	}

	/*
	 * A rename to a taken name together with an MTU change: the kernel
	 * applies the MTU first, then refuses the name; the MTU is put back.
	 */
	{
		struct ct_link_args la = {
			.netns = NS_A, .ifname = IF_P0, .new_name = "lo", .mtu = 1300};

		err[0] = '\0';
		assert_int_equal(ct_link_set(&la, err, sizeof(err)), -EEXIST);
		assert_true(err[0] != '\0');
		assert_int_equal(ct_link_get(NS_A, IF_P0, &li), 0);
		assert_int_equal(li.mtu, 1400);
	}

	assert_int_equal(ct_link_del(NULL, IF_H0), 0);
	assert_false(ct_link_exists(NS_A, IF_P0));
	assert_int_equal(ct_netns_del(NS_A), 0);
	assert_int_equal(count_fds(), fds);
}

/* ------------------------------------------------------------------------- */
/* Repetition leaves nothing behind. */

static void
test_cycles(void **state)
{
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0x97, 0x02};
	struct ct_veth_args va = {
		.host_if = IF_H0, .peer_if = "eth0", .netns = NS_A, .peer_mac = mac, .mtu = 1450};
	struct ct_link_args la = {.netns = NS_A, .ifname = "eth0", .up = CT_SET_ON};
	struct ct_ip ip = ip_of("198.18.97.2"), gw = ip_of("198.18.97.1");
	char err[256] = "";
	double t0 = now_s();
	int fds, i;

	(void)state;
	NEED_ROOT();
	fds = count_fds();
	for (i = 0; i < CYCLES && now_s() - t0 < CYCLES_MAX_S; i++) {
		if (ct_netns_add(NS_A, err, sizeof(err)) != 0)
			fail_msg("cycle %d: netns: %s", i, err);
		if (ct_veth_add(&va, err, sizeof(err)) != 0)
			fail_msg("cycle %d: veth: %s", i, err);
		if (ct_link_set(&la, err, sizeof(err)) != 0)
			fail_msg("cycle %d: link: %s", i, err);
		assert_int_equal(ct_addr_add(NS_A, "eth0", &ip, 24), 0);
		assert_int_equal(ct_route_add(NS_A, "eth0", NULL, 0, &gw), 0);
		assert_int_equal(ct_link_del(NULL, IF_H0), 0);
		assert_int_equal(ct_netns_del(NS_A), 0);
	}
	print_message("%d cycles in %.1f s\n", i, now_s() - t0);
	assert_int_equal(i, CYCLES);
	assert_int_equal(count_fds(), fds);
	assert_false(ct_netns_exists(NS_A));
	assert_false(ip_netns_listed(NS_A));
	assert_false(ct_link_exists(NULL, IF_H0));
}

int
ct_test_nl(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_text),
		cmocka_unit_test(test_mac_text),
		cmocka_unit_test(test_names),
		cmocka_unit_test_teardown(test_netns, cleanup),
		cmocka_unit_test_teardown(test_veth_config, cleanup),
		cmocka_unit_test_teardown(test_ping, cleanup),
		cmocka_unit_test_teardown(test_prepare_pmd_end, cleanup),
		cmocka_unit_test_teardown(test_errors, cleanup),
		cmocka_unit_test_teardown(test_cycles, cleanup),
	};

	return cmocka_run_group_tests_name("containers nl", tests, group_setup, cleanup);
}
