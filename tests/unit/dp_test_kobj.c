/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The census of AF_XDP sockets and BPF objects (dataplane/dp_kobj.c) with
 * real kernel objects: a census finds exactly the objects created between
 * two censuses and nothing else (pipes, UDP sockets, files), and the reaper
 * closes only descriptors that still name the object they were counted as.
 * The tests need root (CAP_BPF and CAP_NET_RAW) and are skipped without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp_kobj.h"
#include "dp_test.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

static int
sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* A one-entry array map, or -errno. */
static int
map_new(void)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : fd;
}

/* A socket filter that returns 0, or -errno. */
static int
prog_new(void)
{
	struct bpf_insn insns[2];
	union bpf_attr a;
	int fd;

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
	insns[1].code = BPF_JMP | BPF_EXIT;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t) "GPL";
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

/* The ID of a BPF object, asked of the kernel rather than read from fdinfo. */
static uint64_t
bpf_id(int fd, bool prog)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(&pi, 0, sizeof(pi));
	memset(&mi, 0, sizeof(mi));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = prog ? sizeof(pi) : sizeof(mi);
	a.info.info = prog ? (uintptr_t)&pi : (uintptr_t)&mi;
	assert_int_equal(sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a), 0);
	return prog ? pi.id : mi.id;
}

static uint64_t
inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_ino;
}

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The entry of @p set for @p fd, or NULL. */
static const struct dp_kobj *
set_find(const struct dp_kobj_set *set, int fd)
{
	for (uint16_t i = 0; i < set->n; i++)
		if (set->obj[i].fd == fd)
			return &set->obj[i];
	return NULL;
}

/* Skip the test when this process may not create the objects. */
static void
need_privileges(void)
{
	int xsk = socket(AF_XDP, SOCK_RAW, 0);
	int map = map_new();

	if (xsk >= 0)
		close(xsk);
	if (map >= 0)
		close(map);
	if (xsk < 0 || map < 0)
		skip();
}

/* The objects made between two censuses are found, with their IDs; nothing else is. */
static void
test_census_finds_new_objects(void **state)
{
	struct dp_kobj_census c0, c1;
	struct dp_kobj_set set = {0};
	const struct dp_kobj *o;
	int xsk, map, prog, pfd[2], udp, file;

	(void)state;
	need_privileges();
	assert_int_equal(dp_kobj_census(&c0), 0);
	xsk = socket(AF_XDP, SOCK_RAW, 0);
	map = map_new();
	prog = prog_new();
	assert_true(xsk >= 0 && map >= 0 && prog >= 0);
	assert_int_equal(pipe(pfd), 0);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	file = open("/proc/self/status", O_RDONLY);
	assert_true(udp >= 0 && file >= 0);
	assert_int_equal(dp_kobj_census(&c1), 0);

	assert_int_equal(dp_kobj_added(&c0, &c1, &set), 3);
	assert_int_equal(set.n, 3);
	assert_false(set.overflow);
	o = set_find(&set, xsk);
	assert_non_null(o);
	assert_int_equal(o->kind, DP_KOBJ_XSK);
	assert_int_equal(o->id, inode(xsk));
	o = set_find(&set, map);
	assert_non_null(o);
	assert_int_equal(o->kind, DP_KOBJ_BPF_MAP);
	assert_int_equal(o->id, bpf_id(map, false));
	o = set_find(&set, prog);
	assert_non_null(o);
	assert_int_equal(o->kind, DP_KOBJ_BPF_PROG);
	assert_int_equal(o->id, bpf_id(prog, true));
	/* The census is sorted by descriptor. */
	for (uint32_t i = 1; i < c1.n; i++)
		assert_true(c1.obj[i - 1].fd < c1.obj[i].fd);

	/* Counting against itself adds nothing. */
	set.n = 0;
	assert_int_equal(dp_kobj_added(&c1, &c1, &set), 0);
	dp_kobj_census_free(&c0);
	dp_kobj_census_free(&c1);
	dp_kobj_census_free(&c1);
	dp_kobj_census_free(NULL);
	close(xsk);
	close(map);
	close(prog);
	close(pfd[0]);
	close(pfd[1]);
	close(udp);
	close(file);
}

/*
 * The reaper closes what still names the counted object, and leaves a
 * descriptor that was closed, or reused for another object, alone.
 */
static void
test_reap_same_object_only(void **state)
{
	struct dp_kobj_census c0, c1;
	struct dp_kobj_set set = {0};
	int xsk, prog, map_a, map_b, map_c;
	uint64_t id_b;

	(void)state;
	need_privileges();
	assert_int_equal(dp_kobj_census(&c0), 0);
	xsk = socket(AF_XDP, SOCK_RAW, 0);
	prog = prog_new();
	map_a = map_new();
	map_c = map_new();
	assert_true(xsk >= 0 && prog >= 0 && map_a >= 0 && map_c >= 0);
	assert_int_equal(dp_kobj_census(&c1), 0);
	assert_int_equal(dp_kobj_added(&c0, &c1, &set), 4);
	dp_kobj_census_free(&c0);
	dp_kobj_census_free(&c1);

	/* map_a's descriptor now names another map; map_c's is closed. */
	map_b = map_new();
	assert_true(map_b >= 0);
	id_b = bpf_id(map_b, false);
	assert_int_equal(dup2(map_b, map_a), map_a);
	close(map_b);
	close(map_c);

	assert_int_equal(dp_kobj_census(&c1), 0);
	assert_true(dp_kobj_left_open(&set, &c1, DP_KOBJ_XSK));
	assert_true(dp_kobj_left_open(&set, &c1, DP_KOBJ_BPF_PROG));
	/* map_a's descriptor names another map now, and map_c's is closed. */
	assert_false(dp_kobj_left_open(&set, &c1, DP_KOBJ_BPF_MAP));
	dp_kobj_census_free(&c1);

	assert_int_equal(dp_kobj_reap(&set), 2);
	assert_int_equal(dp_kobj_census(&c1), 0);
	assert_false(dp_kobj_left_open(&set, &c1, DP_KOBJ_XSK));
	dp_kobj_census_free(&c1);
	assert_false(is_open(xsk));
	assert_false(is_open(prog));
	assert_true(is_open(map_a));
	assert_int_equal(bpf_id(map_a, false), id_b);
	/* Nothing left to close the second time. */
	assert_int_equal(dp_kobj_reap(&set), 0);
	assert_true(is_open(map_a));
	close(map_a);
}

/* A set holds DP_KOBJ_SET_MAX objects and flags the ones it drops. */
static void
test_set_overflow(void **state)
{
	int fds[DP_KOBJ_SET_MAX + 2];
	struct dp_kobj_census c0, c1;
	struct dp_kobj_set set = {0};

	(void)state;
	need_privileges();
	assert_int_equal(dp_kobj_census(&c0), 0);
	for (int i = 0; i < DP_KOBJ_SET_MAX + 2; i++) {
		fds[i] = map_new();
		assert_true(fds[i] >= 0);
	}
	assert_int_equal(dp_kobj_census(&c1), 0);
	assert_int_equal(dp_kobj_added(&c0, &c1, &set), DP_KOBJ_SET_MAX);
	assert_int_equal(set.n, DP_KOBJ_SET_MAX);
	assert_true(set.overflow);
	assert_int_equal(dp_kobj_reap(&set), DP_KOBJ_SET_MAX);
	for (int i = 0; i < DP_KOBJ_SET_MAX + 2; i++)
		if (is_open(fds[i]))
			close(fds[i]);
	dp_kobj_census_free(&c0);
	dp_kobj_census_free(&c1);
}

int
dp_test_kobj(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_census_finds_new_objects),
		cmocka_unit_test(test_reap_same_object_only),
		cmocka_unit_test(test_set_overflow),
	};

	return cmocka_run_group_tests_name("kobj", tests, NULL, NULL);
}
